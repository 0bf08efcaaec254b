#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync.h"
#include "utils.h"

int
ocirt_sync_pair (int fds[2], ocirt_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return ocirt_error_make (err, errno, "socketpair");
  return 0;
}

/* The peer is gone (killed, or exited without a word).  */
static int
peer_gone (ocirt_error_t *err)
{
  return ocirt_error_make (err, 0, "container process exited during setup");
}

static int
send_msg (int fd, const struct ocirt_sync_msg *m, size_t len)
{
  ssize_t r;

  do
    r = send (fd, m, len, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int
ocirt_sync_send (int fd, enum ocirt_sync_type type, ocirt_error_t *err)
{
  return ocirt_sync_send_value (fd, type, 0, err);
}

int
ocirt_sync_send_value (int fd, enum ocirt_sync_type type, int value, ocirt_error_t *err)
{
  struct ocirt_sync_msg m = { .type = type, .status = value };

  if (send_msg (fd, &m, offsetof (struct ocirt_sync_msg, msg)) < 0)
    {
      if (errno == EPIPE || errno == ECONNRESET)
        return peer_gone (err);
      return ocirt_error_make (err, errno, "sync with container process");
    }
  return 0;
}

void
ocirt_sync_send_error (int fd, ocirt_error_t *child_err)
{
  struct ocirt_sync_msg m = { .type = OCIRT_SYNC_ERROR };

  if (child_err && *child_err)
    {
      m.status = (*child_err)->status;
      snprintf (m.msg, sizeof (m.msg), "%s", (*child_err)->msg);
    }
  else
    snprintf (m.msg, sizeof (m.msg), "container setup failed");
  send_msg (fd, &m, offsetof (struct ocirt_sync_msg, msg) + strlen (m.msg) + 1);

  /* Closing with unread messages would reset the connection before the
     other side reads the error: read until it hangs up or kills us.  */
  for (;;)
    {
      ssize_t r = recv (fd, &m, sizeof (m), 0);
      if (r == 0 || (r < 0 && errno != EINTR))
        break;
    }
}

int
ocirt_sync_expect (int fd, enum ocirt_sync_type expected, ocirt_error_t *err)
{
  return ocirt_sync_expect_value (fd, expected, NULL, err);
}

/* One message: returns its size (0 at EOF), or -1 with *ERR set, which is
   also the case for an ERROR message.  */
static ssize_t
recv_msg (int fd, struct ocirt_sync_msg *m, ocirt_error_t *err)
{
  ssize_t r;

  memset (m, 0, sizeof (*m));
  do
    r = recv (fd, m, sizeof (*m) - 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == ECONNRESET)
    return peer_gone (err);
  if (r < 0)
    return ocirt_error_make (err, errno, "sync with the container process");
  if (r > 0 && m->type == OCIRT_SYNC_ERROR)
    {
      m->msg[sizeof (m->msg) - 1] = '\0';
      /* The child's message already carries strerror.  */
      ocirt_error_make (err, 0, "%s", m->msg);
      (*err)->status = m->status;
      return -1;
    }
  return r;
}

int
ocirt_sync_expect_value (int fd, enum ocirt_sync_type expected, int *value, ocirt_error_t *err)
{
  struct ocirt_sync_msg m;
  ssize_t r = recv_msg (fd, &m, err);

  if (r < 0)
    return -1;
  if (r == 0)
    return peer_gone (err);
  if (m.type != (int) expected)
    return ocirt_error_make (err, 0, "sync with container process: unexpected message %d", m.type);
  if (value)
    *value = m.status;
  return 0;
}

int
ocirt_sync_expect_exec (int fd, ocirt_error_t *err)
{
  struct ocirt_sync_msg m;
  ssize_t r = recv_msg (fd, &m, err);

  if (r <= 0)
    return (int) r;
  return ocirt_error_make (err, 0, "sync with the process: unexpected message %d", m.type);
}
