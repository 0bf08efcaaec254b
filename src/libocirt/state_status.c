/* Whether a container's process still lives, by /proc, and the status
   that follows from it.  */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "state_status.h"
#include "utils.h"

static const char *const status_names[] = {
  [OCIRT_STATUS_CREATING] = "creating", [OCIRT_STATUS_CREATED] = "created",
  [OCIRT_STATUS_RUNNING] = "running",   [OCIRT_STATUS_PAUSED] = "paused",
  [OCIRT_STATUS_STOPPED] = "stopped",
};

const char *
ocirt_state_status_name (enum ocirt_status s)
{
  return status_names[s];
}

/* Fields 3 (state) and 22 (starttime) of /proc/PID/stat.  */
static int
read_proc_stat (pid_t pid, char *state, unsigned long long *start_time)
{
  char path[64], buf[1024], *p;
  cleanup_close int fd = -1;
  ssize_t r;
  int field;

  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  r = read (fd, buf, sizeof (buf) - 1);
  if (r <= 0)
    return -1;
  buf[r] = '\0';
  /* comm may hold spaces and parentheses: skip to the last ')'.  */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return -1;
  p += 2;
  *state = *p;
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -1;
  *start_time = strtoull (p, NULL, 10);
  return 0;
}

unsigned long long
ocirt_state_pid_start_time (pid_t pid)
{
  unsigned long long t;
  char state;

  if (pid <= 0 || read_proc_stat (pid, &state, &t) < 0)
    return 0;
  return t;
}

bool
ocirt_state_process_alive (const struct ocirt_container_state *st)
{
  unsigned long long t;
  char state;

  if (st->pid <= 0 || read_proc_stat (st->pid, &state, &t) < 0)
    return false;
  if (state == 'Z' || state == 'X')
    return false;
  return t == st->start_time;
}

enum ocirt_status
ocirt_state_status (int dirfd, const struct ocirt_container_state *st)
{
  if (st->pid <= 0)
    {
      unsigned long long t;
      char state;

      if (st->runtime_pid > 0 && read_proc_stat (st->runtime_pid, &state, &t) == 0 && state != 'Z'
          && state != 'X' && t == st->runtime_start_time)
        return OCIRT_STATUS_CREATING;
      return OCIRT_STATUS_STOPPED;
    }
  if (!ocirt_state_process_alive (st))
    return OCIRT_STATUS_STOPPED;
  /* A created container can be paused too; paused wins, as in runc.  */
  if (ocirt_cgroup_is_frozen (st))
    return OCIRT_STATUS_PAUSED;
  if (faccessat (dirfd, OCIRT_EXEC_FIFO, F_OK, 0) == 0)
    return OCIRT_STATUS_CREATED;
  return OCIRT_STATUS_RUNNING;
}
