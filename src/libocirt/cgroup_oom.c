/* The container's OOM kills: the counter and an fd to wait on.  */
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "log.h"
#include "utils.h"

int
ocirt_cgroup_oom_kills (const struct ocirt_cgroup *cg, uint64_t *count, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "memory");
  cleanup_free char *data = NULL;

  *count = 0;
  if (d == NULL)
    return ocirt_error_make (err, 0, "the container has no memory cgroup");
  if (ocirt_cgroup_read (d, d->unified ? "memory.events" : "memory.oom_control", &data, err) < 0)
    return -1;
  if (!ocirt_cgroup_parse_keyed (data, "oom_kill", count))
    *count = 0;
  return 0;
}

int
ocirt_cgroup_oom_fd (const struct ocirt_cgroup *cg)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "memory");
  cleanup_free char *path = NULL;
  cleanup_close int efd = -1;
  cleanup_close int ofd = -1;
  char buf[64];
  ocirt_error_t tmp = NULL;

  if (d == NULL)
    return -1;
  if (d->unified)
    {
      int ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);

      path = xasprintf ("%s/memory.events", d->path);
      if (ifd >= 0 && inotify_add_watch (ifd, path, IN_MODIFY) < 0)
        {
          close (ifd);
          return -1;
        }
      return ifd;
    }
  /* v1: an eventfd registered for memory.oom_control fires on each OOM.  */
  path = xasprintf ("%s/memory.oom_control", d->path);
  efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  ofd = open (path, O_RDONLY | O_CLOEXEC);
  if (efd < 0 || ofd < 0)
    return -1;
  snprintf (buf, sizeof (buf), "%d %d", efd, ofd);
  if (ocirt_cgroup_write (d, "cgroup.event_control", buf, &tmp) < 0)
    {
      ocirt_debug ("%s", tmp->msg);
      ocirt_error_release (&tmp);
      return -1;
    }
  return steal_fd (&efd);
}
