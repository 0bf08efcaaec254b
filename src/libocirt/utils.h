/* Small helpers shared by the library and the CLI. */
#ifndef OCIRT_UTILS_H
#define OCIRT_UTILS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

struct yajl_gen_t;

/* The document of a yajl generator as a malloc'd string, with room for
   one more character (a newline) and its NUL; frees the generator.  */
char *json_gen_take (struct yajl_gen_t *g);

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

static inline void
cleanup_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void
cleanup_closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

static inline void
cleanup_errorp (ocirt_error_t *e)
{
  ocirt_error_release (e);
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_fclose __attribute__ ((cleanup (cleanup_fclosep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_closedirp)))
#define cleanup_error __attribute__ ((cleanup (cleanup_errorp)))

/* Return the value and leave the variable empty, so cleanup skips it.  */
#define steal_pointer(pp) ({ __typeof__ (*(pp)) _v = *(pp); *(pp) = NULL; _v; })
#define steal_fd(fdp) ({ int _fd = *(fdp); *(fdp) = -1; _fd; })

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* Not zeroed, for buffers that are filled at once.  */
void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Write all of BUF to FD, retrying on EINTR and short writes.  */
int write_all (int fd, const void *buf, size_t len);

/* Read the whole file PATH (relative to DIRFD) into a NUL-terminated buffer. */
int read_file_at (int dirfd, const char *path, char **out, size_t *len, ocirt_error_t *err);
/* The same for a file whose whole content a read returns while it fits:
   a regular file, or a one-line cgroup or proc file (not cgroup.procs or
   mountinfo, whose reads stop at record boundaries).  A read shorter than
   the buffer is taken for the end: one read(2) instead of two.  */
int read_small_file_at (int dirfd, const char *path, char **out, size_t *len, ocirt_error_t *err);

/* Write DATA to PATH (relative to DIRFD), opened with O_WRONLY (no create). */
int write_file_at (int dirfd, const char *path, const char *data, size_t len, ocirt_error_t *err);

/* Write DATA to PATH atomically: temp file in the same dir, then rename. */
int write_file_atomic_at (int dirfd, const char *path, const char *data, size_t len,
                          mode_t mode, ocirt_error_t *err);

/* The two halves of write_file_atomic_at: the temp file is written by
   write_file_staged_at and becomes PATH at commit_staged_at, from the
   same process.  */
int write_file_staged_at (int dirfd, const char *path, const char *data, size_t len,
                          mode_t mode, ocirt_error_t *err);
int commit_staged_at (int dirfd, const char *path, ocirt_error_t *err);

/* mkdir -p of PATH (absolute or relative to the cwd).  */
int mkdir_p (const char *path, mode_t mode, ocirt_error_t *err);

/* Connect a SOCK_STREAM unix socket to PATH; WHAT names it in errors.  */
int ocirt_unix_connect (const char *path, const char *what, ocirt_error_t *err);

/* Parse "UID" or "UID:GID" strictly (exec --user).  */
int ocirt_parse_user (const char *s, unsigned *uid, unsigned *gid, bool *has_gid);

/* Parse a whole decimal unsigned number; false on junk or overflow.  */
bool parse_ulong (const char *s, unsigned long long *out);

/* A new filesystem of type FSTYPE, detached, with the mount attributes
   ATTRS (MOUNT_ATTR_*): its fd, or -1 with errno set.  */
int ocirt_fsmount_new (const char *fstype, unsigned int attrs);

#endif
