#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_systemd.h"
#include "container_cgroup.h"
#include "log.h"
#include "state.h"
#include "state_status.h"
#include "utils.h"

/* The container's state and cgroup, with its status.  */
static int
open_cgroup (const char *root, const char *id, bool lock, struct ocirt_container_state *st,
             struct ocirt_cgroup *cg, enum ocirt_status *status, ocirt_error_t *err)
{
  int dirfd = ocirt_state_open_read (root, id, lock, st, err);

  if (dirfd < 0)
    return -1;
  *status = ocirt_state_status (dirfd, st);
  if (ocirt_cgroup_from_state (st, cg, err) < 0)
    {
      close (dirfd);
      ocirt_state_free (st);
      return -1;
    }
  return dirfd;
}

static void
close_cgroup (int dirfd, struct ocirt_container_state *st, struct ocirt_cgroup *cg)
{
  ocirt_cgroup_release (cg);
  ocirt_state_free (st);
  if (dirfd >= 0)
    close (dirfd);
}

/* Freeze or thaw the container's cgroup, when its status allows it.  The
   lock orders this against resume, delete and the others.  */
static int
set_frozen (const char *root, const char *id, bool freeze, ocirt_error_t *err)
{
  struct ocirt_container_state st;
  struct ocirt_cgroup cg;
  enum ocirt_status status;
  bool allowed;
  int dirfd, ret;

  dirfd = open_cgroup (root, id, true, &st, &cg, &status, err);
  if (dirfd < 0)
    return -1;
  allowed = freeze ? status == OCIRT_STATUS_RUNNING || status == OCIRT_STATUS_CREATED
                   : status == OCIRT_STATUS_PAUSED;
  if (!allowed)
    ret = ocirt_error_make (err, 0, "cannot %s container `%s`: container not %s (it is %s)",
                            freeze ? "pause" : "resume", id, freeze ? "running" : "paused",
                            ocirt_state_status_name (status));
  else
    ret = ocirt_cgroup_freeze (&cg, freeze, err);
  close_cgroup (dirfd, &st, &cg);
  return ret;
}

int
ocirt_container_pause (const char *root, const char *id, ocirt_error_t *err)
{
  return set_frozen (root, id, true, err);
}

int
ocirt_container_resume (const char *root, const char *id, ocirt_error_t *err)
{
  return set_frozen (root, id, false, err);
}

/* A container without a cgroup of its own (rootless, nothing delegated):
   its init and everything below it, from /proc/PID/task/TID/children.  */
static int
process_tree (pid_t init, pid_t **pids)
{
  size_t n = 0, done = 0;

  *pids = xmalloc0 (sizeof (pid_t));
  (*pids)[n++] = init;
  while (done < n)
    {
      char path[64];
      cleanup_dir DIR *tasks = NULL;
      struct dirent *de;

      snprintf (path, sizeof (path), "/proc/%d/task", (*pids)[done++]);
      tasks = opendir (path);
      while (tasks && (de = readdir (tasks)))
        {
          cleanup_fclose FILE *f = NULL;
          char child[384];
          int pid;

          if (de->d_name[0] == '.')
            continue;
          snprintf (child, sizeof (child), "%s/%s/children", path, de->d_name);
          f = fopen (child, "re");
          while (f && fscanf (f, "%d", &pid) == 1)
            {
              *pids = realloc (*pids, (n + 1) * sizeof (pid_t));
              if (*pids == NULL)
                abort ();
              (*pids)[n++] = pid;
            }
        }
    }
  return (int) n;
}

int
ocirt_container_pids (const char *root, const char *id, pid_t **pids, ocirt_error_t *err)
{
  struct ocirt_container_state st;
  struct ocirt_cgroup cg;
  enum ocirt_status status;
  int dirfd, n;

  *pids = NULL;
  dirfd = open_cgroup (root, id, false, &st, &cg, &status, err);
  if (dirfd < 0)
    return -1;
  if (cg.ndirs == 0 && st.pid > 0 && status != OCIRT_STATUS_STOPPED)
    n = process_tree (st.pid, pids);
  else
    n = ocirt_cgroup_read_pids (&cg, pids, err);
  close_cgroup (dirfd, &st, &cg);
  return n;
}

int
ocirt_container_update (const char *root, const char *id, const oci_resources *res, ocirt_error_t *err)
{
  struct ocirt_container_state st;
  struct ocirt_cgroup cg;
  enum ocirt_status status;
  int dirfd, ret;

  dirfd = open_cgroup (root, id, true, &st, &cg, &status, err);
  if (dirfd < 0)
    return -1;
  if (status == OCIRT_STATUS_STOPPED)
    ret = ocirt_error_make (err, 0,
                            "cannot update container `%s`: container not running (it has stopped)", id);
  else if (ocirt_cgroup_systemd_update (&st, &cg, res, err) < 0)
    ret = -1;
  else
    ret = ocirt_cgroup_update_resources (&cg, res, err);
  close_cgroup (dirfd, &st, &cg);
  return ret;
}

oci_resources *
ocirt_container_parse_resources (const char *data, size_t len, ocirt_error_t *err)
{
  static const char prefix[] = ".linux.resources";
  cleanup_free char *doc = NULL;
  char *perr = NULL;
  oci_resources *res;
  oci_spec *spec;
  size_t i = 0;

  while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
    i++;
  if (i == len || data[i] != '{')
    {
      ocirt_error_make (err, 0, "resources: expected a JSON object");
      return NULL;
    }
  /* The generated parser reads whole documents: put it where a config
     has it.  */
  doc = xasprintf ("{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":%.*s}}", (int) len, data);
  spec = oci_spec_parse_data (doc, strlen (doc), &perr);
  if (spec == NULL)
    {
      const char *m = perr ? perr : "invalid document";

      if (strncmp (m, prefix, strlen (prefix)) == 0)
        ocirt_error_make (err, 0, "resources%s", m + strlen (prefix));
      else
        ocirt_error_make (err, 0, "resources: %s", m);
      free (perr);
      return NULL;
    }
  res = spec->linux ? spec->linux->resources : NULL;
  if (res)
    spec->linux->resources = NULL;
  else
    res = xmalloc0 (sizeof (*res));
  free_oci_spec (spec);
  return res;
}

/* ---- events --------------------------------------------------------- */

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int
print_event (FILE *out, const char *type, const char *id, const char *data, ocirt_error_t *err)
{
  /* Ids are [a-zA-Z0-9_+.-]: nothing to escape.  */
  if (data)
    fprintf (out, "{\"type\":\"%s\",\"id\":\"%s\",\"data\":%s}\n", type, id, data);
  else
    fprintf (out, "{\"type\":\"%s\",\"id\":\"%s\"}\n", type, id);
  if (fflush (out) != 0 || ferror (out))
    return ocirt_error_make (err, errno, "write events");
  return 0;
}

static int
stats_event (const struct ocirt_cgroup *cg, const char *id, FILE *out, ocirt_error_t *err)
{
  cleanup_free char *json = ocirt_cgroup_stats_json (cg, err);

  if (json == NULL)
    return -1;
  return print_event (out, "stats", id, json, err);
}

/* The OOM-kill counter, 0 when it cannot be read.  */
static uint64_t
oom_kills (const struct ocirt_cgroup *cg)
{
  cleanup_error ocirt_error_t tmp = NULL;
  uint64_t n;

  if (ocirt_cgroup_oom_kills (cg, &n, &tmp) < 0)
    return 0;
  return n;
}

/* One "oom" line each time the counter has moved.  */
static int
check_oom (const struct ocirt_cgroup *cg, const char *id, uint64_t *last, FILE *out, ocirt_error_t *err)
{
  uint64_t n = oom_kills (cg);

  if (n <= *last)
    return 0;
  *last = n;
  return print_event (out, "oom", id, NULL, err);
}

/* Wait until the process ends (*GONE), an OOM event comes or the time is
   NEXT.  */
static int
wait_events (const struct ocirt_container_state *st, const char *id, int pidfd, int oomfd, uint64_t next,
             bool *gone, ocirt_error_t *err)
{
  struct pollfd pfds[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = oomfd, .events = POLLIN } };
  uint64_t now = now_ns ();
  int timeout = now >= next ? 0 : (int) ((next - now + 999999) / 1000000);
  int r;

  /* Without a pidfd, look at the process at least every 100ms.  */
  if (pidfd < 0 && timeout > 100)
    timeout = 100;
  r = poll (pfds, 2, timeout);
  if (r < 0 && errno != EINTR)
    return ocirt_error_make (err, errno, "wait for events of `%s`", id);
  if (r > 0 && (pfds[1].revents & POLLIN))
    {
      char buf[4096];

      /* Only the counter matters, not what woke us.  */
      while (read (oomfd, buf, sizeof (buf)) > 0)
        ;
    }
  *gone = pidfd >= 0 ? r > 0 && (pfds[0].revents & POLLIN) : !ocirt_state_process_alive (st);
  return 0;
}

/* "oom" lines as they come and "stats" every INTERVAL_NS, until the
   container's process ends.  */
static int
stream_events (const struct ocirt_container_state *st, const struct ocirt_cgroup *cg, const char *id,
               uint64_t interval_ns, FILE *out, ocirt_error_t *err)
{
  cleanup_close int pidfd = syscall (SYS_pidfd_open, st->pid, 0);
  cleanup_close int oomfd = -1;
  uint64_t last, next;

  if (pidfd >= 0 && !ocirt_state_process_alive (st))
    return 0;
  oomfd = ocirt_cgroup_oom_fd (cg);
  last = oom_kills (cg);
  next = now_ns () + interval_ns;
  for (;;)
    {
      bool gone;

      if (wait_events (st, id, pidfd, oomfd, next, &gone, err) < 0)
        return -1;
      /* An OOM kill of the init must be told before the end.  */
      if (check_oom (cg, id, &last, out, err) < 0)
        return -1;
      if (gone)
        return 0;
      if (now_ns () >= next)
        {
          cleanup_error ocirt_error_t tmp = NULL;

          if (stats_event (cg, id, out, &tmp) < 0)
            {
              /* The container went away between two looks.  */
              ocirt_debug ("%s", tmp->msg);
              return 0;
            }
          next += interval_ns;
        }
    }
}

int
ocirt_container_events (const char *root, const char *id, bool once, uint64_t interval_ns, FILE *out,
                        ocirt_error_t *err)
{
  cleanup_state struct ocirt_container_state st = { 0 };
  cleanup_cgroup struct ocirt_cgroup cg = { 0 };
  enum ocirt_status status;
  int dirfd;

  dirfd = open_cgroup (root, id, false, &st, &cg, &status, err);
  if (dirfd < 0)
    return -1;
  /* Not held while streaming: other commands need the state dir.  */
  close (dirfd);
  if (status == OCIRT_STATUS_STOPPED)
    return ocirt_error_make (err, 0, "cannot watch container `%s`: container not running", id);
  if (once)
    return stats_event (&cg, id, out, err);
  return stream_events (&st, &cg, id, interval_ns, out, err);
}
