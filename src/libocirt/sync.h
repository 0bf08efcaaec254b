/* Messages between the runtime and the container process while it is set up,
   over a SOCK_SEQPACKET socketpair: one message per packet.  */
#ifndef OCIRT_SYNC_H
#define OCIRT_SYNC_H

#include "error.h"

enum ocirt_sync_type
{
  OCIRT_SYNC_GO = 1,     /* parent: ids mapped, carry on */
  OCIRT_SYNC_CGROUP,     /* parent: the child is in its cgroup, limits set */
  OCIRT_SYNC_READY,      /* child: set up, about to wait for start */
  OCIRT_SYNC_EXEC,       /* parent: run without a fifo, exec now */
  OCIRT_SYNC_ERROR,      /* child: setup failed, with errno and message */
  OCIRT_SYNC_HOOKS,      /* child: mounts done, run prestart and createRuntime */
  OCIRT_SYNC_HOOKS_DONE, /* parent: they ran */
  OCIRT_SYNC_PID,        /* child: the container process it forked, with its pid */
  OCIRT_SYNC_MOUNTS,     /* child: in its mount namespace, open the bind sources */
};

struct ocirt_sync_msg
{
  int type;
  int status;
  char msg[3072];
};

int ocirt_sync_pair (int fds[2], ocirt_error_t *err);
int ocirt_sync_send (int fd, enum ocirt_sync_type type, ocirt_error_t *err);
/* The same, carrying an integer (the child's pid with GO).  */
int ocirt_sync_send_value (int fd, enum ocirt_sync_type type, int value, ocirt_error_t *err);
/* Send *CHILD_ERR to the parent; used by the child on failure.  */
void ocirt_sync_send_error (int fd, ocirt_error_t *child_err);
/* Wait for EXPECTED; an ERROR message becomes *ERR, EOF means the other side
   died.  */
int ocirt_sync_expect (int fd, enum ocirt_sync_type expected, ocirt_error_t *err);
int ocirt_sync_expect_value (int fd, enum ocirt_sync_type expected, int *value, ocirt_error_t *err);

/* Wait for the other side to exec: the close-on-exec socket reads EOF.  An
   ERROR message becomes *ERR.  */
int ocirt_sync_expect_exec (int fd, ocirt_error_t *err);

#endif
