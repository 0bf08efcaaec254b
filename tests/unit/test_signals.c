/* Unit tests of signals.c: signal names and numbers.  */
#include <criterion/criterion.h>
#include <signal.h>

#include "libocirt/signals.h"

Test (signals, names_numbers_and_prefixes)
{
  cr_assert_eq (ocirt_signals_parse ("KILL"), SIGKILL);
  cr_assert_eq (ocirt_signals_parse ("SIGKILL"), SIGKILL);
  cr_assert_eq (ocirt_signals_parse ("kill"), SIGKILL);
  cr_assert_eq (ocirt_signals_parse ("sigterm"), SIGTERM);
  cr_assert_eq (ocirt_signals_parse ("9"), 9);
  cr_assert_eq (ocirt_signals_parse ("15"), 15);
  cr_assert_eq (ocirt_signals_parse ("HUP"), SIGHUP);
  cr_assert_eq (ocirt_signals_parse ("WINCH"), SIGWINCH);
  cr_assert_eq (ocirt_signals_parse ("RTMIN"), SIGRTMIN);
  cr_assert_eq (ocirt_signals_parse ("RTMIN+3"), SIGRTMIN + 3);
  cr_assert_eq (ocirt_signals_parse ("SIGRTMAX-1"), SIGRTMAX - 1);
}

Test (signals, rejects_junk)
{
  cr_assert_eq (ocirt_signals_parse (""), -1);
  cr_assert_eq (ocirt_signals_parse ("0"), 0);
  cr_assert_eq (ocirt_signals_parse ("65"), -1);
  cr_assert_eq (ocirt_signals_parse ("9x"), -1);
  cr_assert_eq (ocirt_signals_parse ("SIG"), -1);
  cr_assert_eq (ocirt_signals_parse ("NOPE"), -1);
  cr_assert_eq (ocirt_signals_parse ("RTMIN-1"), -1);
  cr_assert_eq (ocirt_signals_parse ("-9"), -1);
}
