#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signals.h"
#include "utils.h"

static const struct
{
  const char *name;
  int signo;
} signal_table[] = {
  { "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },
  { "CHLD", SIGCHLD }, { "CLD", SIGCHLD }, { "CONT", SIGCONT },
  { "FPE", SIGFPE }, { "HUP", SIGHUP }, { "ILL", SIGILL },
  { "INT", SIGINT }, { "IO", SIGIO }, { "IOT", SIGIOT },
  { "KILL", SIGKILL }, { "PIPE", SIGPIPE }, { "POLL", SIGPOLL },
  { "PROF", SIGPROF }, { "PWR", SIGPWR }, { "QUIT", SIGQUIT },
  { "SEGV", SIGSEGV }, { "STKFLT", SIGSTKFLT }, { "STOP", SIGSTOP },
  { "SYS", SIGSYS }, { "TERM", SIGTERM }, { "TRAP", SIGTRAP },
  { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
  { "URG", SIGURG }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
  { "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH }, { "XCPU", SIGXCPU },
  { "XFSZ", SIGXFSZ },
};

static int
parse_number (const char *s, int max)
{
  unsigned long long v;

  /* 0 is the null signal: kill(2) then only checks the process is there,
     which `kill ID 0` asks for as with runc.  */
  if (!parse_ulong (s, &v) || v > (unsigned long long) max)
    return -1;
  return (int) v;
}

int
ocirt_parse_signal (const char *name)
{
  size_t i;

  if (name == NULL || *name == '\0')
    return -1;
  if (*name >= '0' && *name <= '9')
    return parse_number (name, SIGRTMAX);

  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;

  for (i = 0; i < ARRAY_SIZE (signal_table); i++)
    if (strcasecmp (name, signal_table[i].name) == 0)
      return signal_table[i].signo;

  /* RTMIN, RTMIN+N, RTMAX, RTMAX-N.  */
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (name, "RTMIN", 5) == 0;
      const char *rest = name + 5;
      int base = min ? SIGRTMIN : SIGRTMAX, off = 0;

      if (*rest == '\0')
        return base;
      if ((min && *rest != '+') || (!min && *rest != '-'))
        return -1;
      off = parse_number (rest + 1, SIGRTMAX - SIGRTMIN);
      if (off < 0)
        return -1;
      return min ? base + off : base - off;
    }
  return -1;
}
