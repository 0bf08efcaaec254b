#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "process.h"
#include "utils.h"

#define SOCKET_NAME "notify.sock"

static char **
strv (const char *a, const char *b, const char *c, const char *d)
{
  char **v = xmalloc0 (sizeof (char *) * 5);

  v[0] = xstrdup (a);
  v[1] = xstrdup (b);
  v[2] = xstrdup (c);
  v[3] = xstrdup (d);
  return v;
}

int
ocirt_notify_setup (const char *state_dir, oci_spec *spec, ocirt_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/notify", state_dir);
  oci_mount *m;

  if (mkdir (dir, 0755) < 0 && errno != EEXIST)
    return ocirt_error_make (err, errno, "create `%s`", dir);
  m = xmalloc0 (sizeof (*m));
  m->destination = xstrdup (OCIRT_NOTIFY_CONTAINER_DIR);
  m->type = xstrdup ("bind");
  m->source = xstrdup (dir);
  m->options = strv ("bind", "nosuid", "nodev", "noexec");
  m->options_len = 4;
  spec->mounts = realloc (spec->mounts, sizeof (oci_mount *) * (spec->mounts_len + 2));
  if (spec->mounts == NULL)
    abort ();
  spec->mounts[spec->mounts_len++] = m;
  spec->mounts[spec->mounts_len] = NULL;
  ocirt_process_setenv (spec->process, "NOTIFY_SOCKET=" OCIRT_NOTIFY_CONTAINER_DIR "/" SOCKET_NAME);
  return 0;
}

static socklen_t
make_addr (struct sockaddr_un *addr, const char *path)
{
  size_t len = strlen (path);

  memset (addr, 0, sizeof (*addr));
  addr->sun_family = AF_UNIX;
  if (len >= sizeof (addr->sun_path))
    return 0;
  memcpy (addr->sun_path, path, len);
  /* "@name" is an abstract socket.  */
  if (path[0] == '@')
    addr->sun_path[0] = '\0';
  return (socklen_t) (offsetof (struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
}

int
ocirt_notify_listen (const char *state_dir, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/notify/" SOCKET_NAME, state_dir);
  struct sockaddr_un addr;
  socklen_t len = make_addr (&addr, path);
  cleanup_close int fd = -1;

  if (len == 0)
    return ocirt_error_make (err, ENAMETOOLONG, "notify socket `%s`", path);
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return ocirt_error_make (err, errno, "create notify socket");
  unlink (path);
  if (bind (fd, (struct sockaddr *) &addr, len) < 0)
    return ocirt_error_make (err, errno, "bind notify socket `%s`", path);
  /* Whatever user the container runs as may notify.  */
  if (chmod (path, 0777) < 0)
    return ocirt_error_make (err, errno, "chmod `%s`", path);
  return steal_fd (&fd);
}

int
ocirt_notify_forward (int fd, const char *host_socket, int pidfd, ocirt_error_t *err)
{
  struct sockaddr_un addr;
  socklen_t alen = make_addr (&addr, host_socket);
  cleanup_close int out = -1;

  if (alen == 0)
    return ocirt_error_make (err, ENAMETOOLONG, "NOTIFY_SOCKET `%s`", host_socket);
  out = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (out < 0)
    return ocirt_error_make (err, errno, "create socket");

  for (;;)
    {
      struct pollfd fds[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      char buf[4096];
      ssize_t n;
      int r = poll (fds, pidfd >= 0 ? 2 : 1, -1);

      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return ocirt_error_make (err, errno, "wait for the container's notification");
        }
      if (!(fds[0].revents & POLLIN))
        return ocirt_error_make (err, 0, "the container exited before it sent READY=1");
      n = recv (fd, buf, sizeof (buf) - 1, 0);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return ocirt_error_make (err, errno, "read the container's notification");
        }
      buf[n] = '\0';
      if (sendto (out, buf, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &addr, alen) < 0)
        return ocirt_error_make (err, errno, "pass the notification to `%s`", host_socket);
      if (strncmp (buf, "READY=1", 7) == 0 || strstr (buf, "\nREADY=1"))
        return 0;
    }
}
