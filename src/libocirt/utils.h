/* Small helpers shared by the library and the CLI. */
#ifndef OCIRT_UTILS_H
#define OCIRT_UTILS_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "error.h"

/* The document of a yajl generator as a malloc'd string, with room for
   one more character (a newline) and its NUL; frees the generator.  */
char *ocirt_utils_json_gen_take (struct yajl_gen_t *g);

/* Declare FUNC##p (TYPE *p), the cleanup function that calls FUNC on a
   pointer unless it is NULL (systemd's macro of the same name).  An owned
   type's cleanup is declared once, in the header of its module, with
   `#define cleanup_NAME __attribute__ ((cleanup (FUNCp)))`; a struct held
   by value whose release takes its address and accepts a zeroed struct
   needs no wrapper: the release is the cleanup function.  */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                         \
  static inline void func##p (type *p)                                                                  \
  {                                                                                                     \
    if (*p)                                                                                             \
      func (*p);                                                                                        \
  }

static inline void
cleanup_freep (void *p)
{
  free (*(void **) p);
}

static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

/* Close and forget: for an fd held in a struct, closed early.  */
static inline void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

DEFINE_TRIVIAL_CLEANUP_FUNC (FILE *, fclose)
DEFINE_TRIVIAL_CLEANUP_FUNC (DIR *, closedir)

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_fclose __attribute__ ((cleanup (fclosep)))
#define cleanup_dir __attribute__ ((cleanup (closedirp)))

DEFINE_TRIVIAL_CLEANUP_FUNC (yajl_gen, yajl_gen_free)
#define cleanup_yajl_gen __attribute__ ((cleanup (yajl_gen_freep)))

/* waitpid, retried on EINTR.  */
static inline pid_t
ocirt_utils_waitpid (pid_t pid, int *status, int options)
{
  pid_t r;

  while ((r = waitpid (pid, status, options)) < 0 && errno == EINTR)
    ;
  return r;
}

/* A child of ours that must not outlive an error: killed and reaped.
   steal_pid once it may live on.  */
static inline void
cleanup_reapp (pid_t *pid)
{
  if (*pid <= 0)
    return;
  kill (*pid, SIGKILL);
  ocirt_utils_waitpid (*pid, NULL, 0);
}

#define cleanup_reap __attribute__ ((cleanup (cleanup_reapp)))

/* Return the value and leave the variable empty, so cleanup skips it.  */
#define steal_pointer(pp)                                                                               \
  ({                                                                                                    \
    __typeof__ (*(pp)) _v = *(pp);                                                                      \
    *(pp) = NULL;                                                                                       \
    _v;                                                                                                 \
  })
#define steal_fd(fdp)                                                                                   \
  ({                                                                                                    \
    int _fd = *(fdp);                                                                                   \
    *(fdp) = -1;                                                                                        \
    _fd;                                                                                                \
  })
#define steal_pid(pidp)                                                                                 \
  ({                                                                                                    \
    pid_t _pid = *(pidp);                                                                               \
    *(pidp) = -1;                                                                                       \
    _pid;                                                                                               \
  })

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* Not zeroed, for buffers that are filled at once.  */
void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Write all of BUF to FD, retrying on EINTR and short writes.  */
int ocirt_utils_write_all (int fd, const void *buf, size_t len);

/* Read the whole file PATH (relative to DIRFD) into a NUL-terminated buffer. */
int ocirt_utils_read_file_at (int dirfd, const char *path, char **out, size_t *len, ocirt_error_t *err);
/* The same for a file whose whole content a read returns while it fits:
   a regular file, or a one-line cgroup or proc file (not cgroup.procs or
   mountinfo, whose reads stop at record boundaries).  A read shorter than
   the buffer is taken for the end: one read(2) instead of two.  */
int ocirt_utils_read_small_file_at (int dirfd, const char *path, char **out, size_t *len,
                                    ocirt_error_t *err);

/* Write DATA to PATH (relative to DIRFD), opened with O_WRONLY (no create). */
int ocirt_utils_write_file_at (int dirfd, const char *path, const char *data, size_t len,
                               ocirt_error_t *err);

/* Write DATA to PATH atomically: temp file in the same dir, then rename. */
int ocirt_utils_write_file_atomic_at (int dirfd, const char *path, const char *data, size_t len,
                                      mode_t mode, ocirt_error_t *err);

/* The two halves of ocirt_utils_write_file_atomic_at: the temp file is written by
   ocirt_utils_write_file_staged_at and becomes PATH at ocirt_utils_commit_staged_at, from the
   same process.  */
int ocirt_utils_write_file_staged_at (int dirfd, const char *path, const char *data, size_t len,
                                      mode_t mode, ocirt_error_t *err);
int ocirt_utils_commit_staged_at (int dirfd, const char *path, ocirt_error_t *err);

/* mkdir -p of PATH (absolute or relative to the cwd).  */
int ocirt_utils_mkdir_p (const char *path, mode_t mode, ocirt_error_t *err);

/* Connect a SOCK_STREAM unix socket to PATH; WHAT names it in errors.  */
int ocirt_utils_unix_connect (const char *path, const char *what, ocirt_error_t *err);

/* Parse "UID" or "UID:GID" strictly (exec --user).  */
int ocirt_utils_parse_user (const char *s, unsigned *uid, unsigned *gid, bool *has_gid);

/* Parse a whole decimal unsigned number; false on junk or overflow.  */
bool ocirt_utils_parse_ulong (const char *s, unsigned long long *out);

/* Send LEN bytes of DATA (one message when LEN is 0) over the unix socket SOCKFD, with FD
   attached to the first (SCM_RIGHTS), retrying on EINTR and short writes.
   Returns 0, or -1 with errno set; it calls nothing but sendmsg, so it
   may run under a seccomp filter with a listener.  */
int ocirt_utils_send_fd (int sockfd, int fd, const void *data, size_t len);

/* Receive one fd sent with ocirt_utils_send_fd (close-on-exec), and up to
   SIZE bytes of the data that came with it into BUF.  Returns the fd, or
   -1 with errno set (ENOMSG: the message carried no fd).  */
int ocirt_utils_recv_fd (int sockfd, void *buf, size_t size);

/* --pidfd-socket: connect to PATH and send a pidfd of PID, with KIND as
   the data ("standard" for a container's init, "setns" for an exec'd
   process, as runc sends).  */
int ocirt_utils_pidfd_socket_connect (const char *path, ocirt_error_t *err);
int ocirt_utils_send_pidfd (int sockfd, pid_t pid, const char *kind, ocirt_error_t *err);

/* Write PID to the pid file PATH as runc does: to a temp file in the same
   directory, renamed over PATH.  */
int ocirt_utils_write_pid_file (const char *path, pid_t pid, ocirt_error_t *err);

/* TS as an RFC 3339 UTC time with nanoseconds
   ("2006-01-02T15:04:05.999999999Z") into BUF of SIZE bytes (at least
   OCIRT_RFC3339_SIZE); returns BUF.  */
#define OCIRT_RFC3339_SIZE 64
char *ocirt_utils_rfc3339 (const struct timespec *ts, char *buf, size_t size);
/* The time now, so written, malloc'd.  */
char *ocirt_utils_rfc3339_now (void);

/* A new filesystem of type FSTYPE, detached, with the mount attributes
   ATTRS (MOUNT_ATTR_*): its fd, or -1 with errno set.  */
int ocirt_utils_fsmount_new (const char *fstype, unsigned int attrs);

#endif
