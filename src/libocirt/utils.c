#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <yajl/yajl_gen.h>

#include "utils.h"

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);

  if (p == NULL)
    abort ();
  return p;
}

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);

  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r;

  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r < 0)
    abort ();
  return s;
}

int
ocirt_utils_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t w = write (fd, p, len);

      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += w;
      len -= w;
    }
  return 0;
}

static int
read_file_how (int dirfd, const char *path, char **out, size_t *len, bool one_read, ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t size = 0, alloc = 4096;

  fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ocirt_error_make (err, errno, "open `%s`", path);

  /* Not zeroed: only what is read is used, and it is terminated.  */
  buf = xmalloc (alloc);
  for (;;)
    {
      ssize_t r;

      if (size + 1 >= alloc)
        {
          char *n = realloc (buf, alloc * 2);
          if (n == NULL)
            return ocirt_error_make (err, ENOMEM, "read `%s`", path);
          buf = n;
          alloc *= 2;
        }
      r = read (fd, buf + size, alloc - size - 1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return ocirt_error_make (err, errno, "read `%s`", path);
        }
      if (r == 0)
        break;
      size += r;
      if (one_read && size + 1 < alloc)
        break;
    }
  buf[size] = '\0';
  if (len)
    *len = size;
  *out = steal_pointer (&buf);
  return 0;
}

int
ocirt_utils_read_file_at (int dirfd, const char *path, char **out, size_t *len, ocirt_error_t *err)
{
  return read_file_how (dirfd, path, out, len, false, err);
}

int
ocirt_utils_read_small_file_at (int dirfd, const char *path, char **out, size_t *len, ocirt_error_t *err)
{
  return read_file_how (dirfd, path, out, len, true, err);
}

int
ocirt_utils_write_file_at (int dirfd, const char *path, const char *data, size_t len, ocirt_error_t *err)
{
  cleanup_close int fd = -1;

  fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return ocirt_error_make (err, errno, "open `%s`", path);
  if (ocirt_utils_write_all (fd, data, len) < 0)
    return ocirt_error_make (err, errno, "write `%s`", path);
  return 0;
}

static char *
staged_name (const char *path)
{
  return xasprintf ("%s.tmp.%d", path, (int) getpid ());
}

int
ocirt_utils_write_file_staged_at (int dirfd, const char *path, const char *data, size_t len, mode_t mode,
                                  ocirt_error_t *err)
{
  cleanup_free char *tmp = staged_name (path);
  cleanup_close int fd = -1;

  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return ocirt_error_make (err, errno, "create `%s`", tmp);
  /* No fsync: the rename makes the update atomic for every reader, and a
     state root lives on tmpfs (/run), which a power cut empties anyway.  */
  if (ocirt_utils_write_all (fd, data, len) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return ocirt_error_make (err, saved, "write `%s`", tmp);
    }
  return 0;
}

int
ocirt_utils_commit_staged_at (int dirfd, const char *path, ocirt_error_t *err)
{
  cleanup_free char *tmp = staged_name (path);

  if (renameat (dirfd, tmp, dirfd, path) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return ocirt_error_make (err, saved, "rename `%s` to `%s`", tmp, path);
    }
  return 0;
}

int
ocirt_utils_write_file_atomic_at (int dirfd, const char *path, const char *data, size_t len, mode_t mode,
                                  ocirt_error_t *err)
{
  if (ocirt_utils_write_file_staged_at (dirfd, path, data, len, mode, err) < 0)
    return -1;
  return ocirt_utils_commit_staged_at (dirfd, path, err);
}

int
ocirt_utils_mkdir_p (const char *path, mode_t mode, ocirt_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  char *p;

  for (p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return ocirt_error_make (err, errno, "mkdir `%s`", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return ocirt_error_make (err, errno, "mkdir `%s`", copy);
  return 0;
}

int
ocirt_utils_unix_connect (const char *path, const char *what, ocirt_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (strlen (path) >= sizeof (addr.sun_path))
    return ocirt_error_make (err, ENAMETOOLONG, "%s `%s`", what, path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return ocirt_error_make (err, errno, "create a socket for the %s", what);
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return ocirt_error_make (err, errno, "connect to the %s `%s`", what, path);
  return steal_fd (&fd);
}

bool
ocirt_utils_parse_ulong (const char *s, unsigned long long *out)
{
  char *end;

  if (s == NULL || *s < '0' || *s > '9')
    return false;
  errno = 0;
  *out = strtoull (s, &end, 10);
  return errno == 0 && *end == '\0';
}

int
ocirt_utils_parse_user (const char *s, unsigned *uid, unsigned *gid, bool *has_gid)
{
  cleanup_free char *copy = xstrdup (s);
  char *colon = strchr (copy, ':');
  unsigned long long v;

  *has_gid = false;
  if (colon)
    *colon = '\0';
  if (!ocirt_utils_parse_ulong (copy, &v) || v >= 0xffffffffULL)
    return -1;
  *uid = (unsigned) v;
  if (colon)
    {
      if (!ocirt_utils_parse_ulong (colon + 1, &v) || v >= 0xffffffffULL)
        return -1;
      *gid = (unsigned) v;
      *has_gid = true;
    }
  return 0;
}

char *
ocirt_utils_json_gen_take (struct yajl_gen_t *g)
{
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_get_buf (g, &buf, &len);
  out = xmalloc0 (len + 2);
  memcpy (out, buf, len);
  yajl_gen_free (g);
  return out;
}

int
ocirt_utils_fsmount_new (const char *fstype, unsigned int attrs)
{
  cleanup_close int ctx = syscall (SYS_fsopen, fstype, FSOPEN_CLOEXEC);

  if (ctx < 0 || syscall (SYS_fsconfig, ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  return syscall (SYS_fsmount, ctx, FSMOUNT_CLOEXEC, attrs);
}

/* One buffer and room for one fd.  */
static struct msghdr
fd_msghdr (struct iovec *iov, char *cbuf, size_t size)
{
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = size };

  return msg;
}

int
ocirt_utils_send_fd (int sockfd, int fd, const void *data, size_t len)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov;
  struct msghdr msg = fd_msghdr (&iov, cbuf, sizeof (cbuf));
  struct cmsghdr *cm;
  size_t done = 0;
  ssize_t n;

  memset (cbuf, 0, sizeof (cbuf));
  cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));
  do
    {
      iov.iov_base = (char *) data + done;
      iov.iov_len = len - done;
      n = sendmsg (sockfd, &msg, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      done += (size_t) n;
      /* The fd went with the first bytes.  */
      msg.msg_control = NULL;
      msg.msg_controllen = 0;
    }
  while (done < len);
  return 0;
}

int
ocirt_utils_recv_fd (int sockfd, void *buf, size_t size)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = buf, .iov_len = size };
  struct msghdr msg = fd_msghdr (&iov, cbuf, sizeof (cbuf));
  struct cmsghdr *cm;
  ssize_t r;
  int fd;

  do
    r = recvmsg (sockfd, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -1;
  cm = CMSG_FIRSTHDR (&msg);
  if (r == 0 || cm == NULL || cm->cmsg_type != SCM_RIGHTS)
    {
      errno = ENOMSG;
      return -1;
    }
  memcpy (&fd, CMSG_DATA (cm), sizeof (int));
  return fd;
}

int
ocirt_utils_pidfd_socket_connect (const char *path, ocirt_error_t *err)
{
  return ocirt_utils_unix_connect (path, "pidfd socket", err);
}

int
ocirt_utils_send_pidfd (int sockfd, pid_t pid, const char *kind, ocirt_error_t *err)
{
  cleanup_close int pidfd = syscall (SYS_pidfd_open, pid, 0);

  if (pidfd < 0)
    return ocirt_error_make (err, errno, "pidfd_open of process %d", (int) pid);
  if (ocirt_utils_send_fd (sockfd, pidfd, kind, strlen (kind)) < 0)
    return ocirt_error_make (err, errno, "send the pidfd of process %d to the pidfd socket", (int) pid);
  return 0;
}

int
ocirt_utils_write_pid_file (const char *path, pid_t pid, ocirt_error_t *err)
{
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", pid);

  if (ocirt_utils_write_file_atomic_at (AT_FDCWD, path, buf, len, 0644, err) < 0)
    return ocirt_error_prefix (err, "write pid file");
  return 0;
}

char *
ocirt_utils_rfc3339 (const struct timespec *ts, char *buf, size_t size)
{
  struct tm tm;
  size_t n;

  gmtime_r (&ts->tv_sec, &tm);
  n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, size - n, ".%09ldZ", ts->tv_nsec);
  return buf;
}

char *
ocirt_utils_rfc3339_now (void)
{
  struct timespec ts;
  char buf[OCIRT_RFC3339_SIZE];

  clock_gettime (CLOCK_REALTIME, &ts);
  return xstrdup (ocirt_utils_rfc3339 (&ts, buf, sizeof (buf)));
}
