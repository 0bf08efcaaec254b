/* Placing processes in the container's cgroup.  */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cgroup.h"
#include "utils.h"

/* PID into every directory, or with ONLY_UNIFIED into the v2 one.  */
static int
enter_pid (const struct ocirt_cgroup *cg, pid_t pid, bool only_unified, ocirt_error_t *err)
{
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", pid);
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    {
      cleanup_free char *procs = NULL;

      if (only_unified && !cg->dirs[i].unified)
        continue;
      procs = xasprintf ("%s/cgroup.procs", cg->dirs[i].path);
      if (ocirt_utils_write_file_at (AT_FDCWD, procs, buf, len, err) < 0)
        return ocirt_error_prefix (err, "join cgroup");
    }
  return 0;
}

int
ocirt_cgroup_enter (const struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err)
{
  return enter_pid (cg, pid, false, err);
}

int
ocirt_cgroup_enter_self (const struct ocirt_cgroup *cg, bool v1, bool unified, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    {
      cleanup_free char *tasks = NULL;

      if (cg->dirs[i].unified ? !unified : !v1)
        continue;
      /* "0" in tasks moves this thread, the whole of a single-threaded
         process, without the lock that costs a pid written to cgroup.procs
         an RCU grace period.  */
      tasks = xasprintf ("%s/%s", cg->dirs[i].path, cg->dirs[i].unified ? "cgroup.procs" : "tasks");
      if (ocirt_utils_write_file_at (AT_FDCWD, tasks, "0", 1, err) < 0)
        return ocirt_error_prefix (err, "join cgroup");
    }
  return 0;
}

int
ocirt_cgroup_enter_unified (const struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err)
{
  return enter_pid (cg, pid, true, err);
}

int
ocirt_cgroup_unified_fd (const struct ocirt_cgroup *cg)
{
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    if (cg->dirs[i].unified)
      return open (cg->dirs[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return -1;
}
