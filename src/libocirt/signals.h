#ifndef OCIRT_SIGNALS_H
#define OCIRT_SIGNALS_H

#include <sys/types.h>

#include "error.h"

/* Parse "KILL", "SIGKILL", "kill", "9", or "RTMIN+3".  Returns -1 when the
   name is unknown or the number is out of range.  */
int ocirt_signals_parse (const char *name);

/* At startup: the signal dispositions the runtime relies on.  */
void ocirt_signals_init (void);

/* `run` and `exec` pass signals on to the container's process.  From
   before that process exists until forwarding is in place the signals are
   held (blocked): one sent meanwhile is passed on once the process runs
   instead of killing the runtime half-way and leaving the container behind;
   `create` and detached runs keep them held to the end, as runc and crun
   ignore them there.  */
int ocirt_signals_hold (ocirt_error_t *err);
/* In a child that will exec something else: every signal to its default
   action, the caller's signal mask back.  Async-signal-safe.  */
void ocirt_signals_child_reset (void);
/* Pass the signals on to PID from now on; what came while held goes first. */
void ocirt_signals_forward_to (pid_t pid);
/* PID is gone: signals from now on are dropped.  */
void ocirt_signals_stop_forwarding (void);

#endif
