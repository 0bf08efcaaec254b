#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "signals.h"
#include "utils.h"

static const struct
{
  const char *name;
  int signo;
} signal_table[] = {
  { "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },       { "CHLD", SIGCHLD },
  { "CLD", SIGCHLD },  { "CONT", SIGCONT }, { "FPE", SIGFPE },       { "HUP", SIGHUP },
  { "ILL", SIGILL },   { "INT", SIGINT },   { "IO", SIGIO },         { "IOT", SIGIOT },
  { "KILL", SIGKILL }, { "PIPE", SIGPIPE }, { "POLL", SIGPOLL },     { "PROF", SIGPROF },
  { "PWR", SIGPWR },   { "QUIT", SIGQUIT }, { "SEGV", SIGSEGV },     { "STKFLT", SIGSTKFLT },
  { "STOP", SIGSTOP }, { "SYS", SIGSYS },   { "TERM", SIGTERM },     { "TRAP", SIGTRAP },
  { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
  { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH },
  { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
};

static int
parse_number (const char *s, int max)
{
  unsigned long long v;

  /* 0 is the null signal: kill(2) then only checks the process is there,
     which `kill ID 0` asks for as with runc.  */
  if (!ocirt_utils_parse_ulong (s, &v) || v > (unsigned long long) max)
    return -1;
  return (int) v;
}

int
ocirt_signals_parse (const char *name)
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

/* ---- passing signals on to the container's process ------------------ */

/* What `run` and `exec` pass on, as runc does: the terminal's and the job
   control's signals and the usual ways of asking a program to stop.  */
static const int forwarded[] = { SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
                                 SIGCONT, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };

static volatile sig_atomic_t forward_pid;
static sigset_t caller_mask;
static bool held;

void
ocirt_signals_init (void)
{
  struct sigaction dfl = { .sa_handler = SIG_DFL };

  /* With SIGCHLD ignored, as a caller may leave it, the kernel reaps our
     children itself and every wait for a hook or the container fails.  */
  sigemptyset (&dfl.sa_mask);
  sigaction (SIGCHLD, &dfl, NULL);
}

static void
forward_signal (int signo)
{
  if (forward_pid > 0)
    kill (forward_pid, signo);
}

int
ocirt_signals_hold (ocirt_error_t *err)
{
  sigset_t set;
  size_t i;

  if (held)
    return 0;
  sigemptyset (&set);
  for (i = 0; i < ARRAY_SIZE (forwarded); i++)
    sigaddset (&set, forwarded[i]);
  if (sigprocmask (SIG_BLOCK, &set, &caller_mask) < 0)
    return ocirt_error_make (err, errno, "block the signals to forward");
  held = true;
  return 0;
}

/* The kernel's struct sigaction: glibc's sigaction() refuses the two
   real-time signals it keeps for itself, which a caller may still have
   left ignored.  */
struct kernel_sigaction
{
  void (*handler) (int);
  unsigned long flags;
  void (*restorer) (void);
  uint64_t mask;
};

void
ocirt_signals_child_reset (void)
{
  struct kernel_sigaction dfl = { .handler = SIG_DFL };
  int signo;

  /* An ignored signal stays ignored across execve: a caller that ignores
     SIGPIPE or SIGCHLD (Python does the first) must not pass that on to
     the container.  The caller's mask stays, as with runc.  */
  for (signo = 1; signo <= 64; signo++)
    if (signo != SIGKILL && signo != SIGSTOP)
      syscall (SYS_rt_sigaction, signo, &dfl, NULL, sizeof (dfl.mask));
  if (held)
    sigprocmask (SIG_SETMASK, &caller_mask, NULL);
}

void
ocirt_signals_forward_to (pid_t pid)
{
  struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
  size_t i;

  forward_pid = pid;
  sigemptyset (&sa.sa_mask);
  for (i = 0; i < ARRAY_SIZE (forwarded); i++)
    sigaction (forwarded[i], &sa, NULL);
  /* What came while held is delivered now, to the handler.  */
  if (held)
    {
      sigprocmask (SIG_SETMASK, &caller_mask, NULL);
      held = false;
    }
}

void
ocirt_signals_stop_forwarding (void)
{
  forward_pid = 0;
}
