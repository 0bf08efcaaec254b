/* Unit tests of signals.c: signal names and numbers.  */
#include <criterion/criterion.h>
#include <signal.h>

#include "libocirt/signals.h"

Test (signals, names_numbers_and_prefixes)
{
  cr_assert_eq (ocirt_parse_signal ("KILL"), SIGKILL);
  cr_assert_eq (ocirt_parse_signal ("SIGKILL"), SIGKILL);
  cr_assert_eq (ocirt_parse_signal ("kill"), SIGKILL);
  cr_assert_eq (ocirt_parse_signal ("sigterm"), SIGTERM);
  cr_assert_eq (ocirt_parse_signal ("9"), 9);
  cr_assert_eq (ocirt_parse_signal ("15"), 15);
  cr_assert_eq (ocirt_parse_signal ("HUP"), SIGHUP);
  cr_assert_eq (ocirt_parse_signal ("WINCH"), SIGWINCH);
  cr_assert_eq (ocirt_parse_signal ("RTMIN"), SIGRTMIN);
  cr_assert_eq (ocirt_parse_signal ("RTMIN+3"), SIGRTMIN + 3);
  cr_assert_eq (ocirt_parse_signal ("SIGRTMAX-1"), SIGRTMAX - 1);
}

Test (signals, rejects_junk)
{
  cr_assert_eq (ocirt_parse_signal (""), -1);
  cr_assert_eq (ocirt_parse_signal ("0"), 0);
  cr_assert_eq (ocirt_parse_signal ("65"), -1);
  cr_assert_eq (ocirt_parse_signal ("9x"), -1);
  cr_assert_eq (ocirt_parse_signal ("SIG"), -1);
  cr_assert_eq (ocirt_parse_signal ("NOPE"), -1);
  cr_assert_eq (ocirt_parse_signal ("RTMIN-1"), -1);
  cr_assert_eq (ocirt_parse_signal ("-9"), -1);
}
