/* Freezing and thawing the container's cgroup, and signalling every
   process in it.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "log.h"
#include "state_record.h"
#include "utils.h"

/* Which freezer a hierarchy offers.  v1 uses the freezer hierarchy; v2, or
   a hybrid host without one, the unified tree's cgroup.freeze.  The one
   rule for both the built cgroup and the leaves recorded in a state.  */
enum freezer_kind
{
  FREEZER_NONE,
  FREEZER_V2,
  FREEZER_V1,
};

static enum freezer_kind
freezer_kind (const char *controllers, bool unified, enum ocirt_cgroup_mode mode)
{
  if (unified)
    return FREEZER_V2;
  if (mode != OCIRT_CGROUP_V2 && ocirt_cgroup_list_has (controllers, "freezer", ","))
    return FREEZER_V1;
  return FREEZER_NONE;
}

/* Keep the first hierarchy of the best kind seen so far.  */
static void
freezer_consider (enum freezer_kind kind, size_t i, enum freezer_kind *best, size_t *at)
{
  if (kind > *best)
    {
      *best = kind;
      *at = i;
    }
}

static const struct ocirt_cgroup_dir *
freezer_dir (const struct ocirt_cgroup *cg, bool *v2)
{
  enum freezer_kind best = FREEZER_NONE;
  size_t i, at = 0;

  for (i = 0; i < cg->ndirs; i++)
    freezer_consider (freezer_kind (cg->dirs[i].controllers, cg->dirs[i].unified, cg->mode), i, &best,
                      &at);
  *v2 = best == FREEZER_V2;
  return best == FREEZER_NONE ? NULL : &cg->dirs[at];
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000 * 1000 };

  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static int
freeze_v1 (const struct ocirt_cgroup_dir *d, ocirt_error_t *err)
{
  int i;

  if (ocirt_cgroup_write (d, "freezer.state", "FROZEN", err) < 0)
    return -1;
  /* FREEZING until every task is caught; asking again nudges tasks that
     were forking or in a vfork wait.  */
  for (i = 0; i < 2000; i++)
    {
      cleanup_free char *state = NULL;

      if (ocirt_cgroup_read (d, "freezer.state", &state, err) < 0)
        return -1;
      if (strncmp (state, "FROZEN", 6) == 0)
        return 0;
      if (i % 100 == 99 && ocirt_cgroup_write (d, "freezer.state", "FROZEN", err) < 0)
        return -1;
      sleep_ms (i < 100 ? 1 : 5);
    }
  ocirt_cgroup_write (d, "freezer.state", "THAWED", NULL);
  return ocirt_error_make (err, 0, "freeze `%s`: the tasks did not freeze in time", d->path);
}

/* Wait for "frozen 1" in cgroup.events: the kernel signals changes of the
   file with POLLPRI.  */
static int
freeze_v2_wait (const struct ocirt_cgroup_dir *d, bool want, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.events", d->path);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  int i;

  if (fd < 0)
    return ocirt_error_make (err, errno, "open `%s`", path);
  for (i = 0; i < 100; i++)
    {
      char buf[256];
      ssize_t r = pread (fd, buf, sizeof (buf) - 1, 0);
      struct pollfd pfd = { .fd = fd, .events = POLLPRI };
      uint64_t frozen;

      if (r < 0)
        return ocirt_error_make (err, errno, "read `%s`", path);
      buf[r] = '\0';
      if (ocirt_cgroup_parse_keyed (buf, "frozen", &frozen) && (frozen == 1) == want)
        return 0;
      if (poll (&pfd, 1, 100) < 0 && errno != EINTR)
        return ocirt_error_make (err, errno, "poll `%s`", path);
    }
  if (want)
    ocirt_cgroup_write (d, "cgroup.freeze", "0", NULL);
  return ocirt_error_make (err, 0, "%s `%s`: the tasks did not %s in time", want ? "freeze" : "thaw",
                           d->path, want ? "freeze" : "thaw");
}

int
ocirt_cgroup_freeze (const struct ocirt_cgroup *cg, bool freeze, ocirt_error_t *err)
{
  bool v2;
  const struct ocirt_cgroup_dir *d = freezer_dir (cg, &v2);

  if (d == NULL)
    return ocirt_error_make (err, 0, "the container has no freezer cgroup");
  if (!v2)
    return freeze ? freeze_v1 (d, err) : ocirt_cgroup_write (d, "freezer.state", "THAWED", err);
  if (ocirt_cgroup_write (d, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
    return -1;
  return freeze_v2_wait (d, freeze, err);
}

/* Whether the freezer at DIR (v2: cgroup.freeze) says frozen.  */
static bool
dir_frozen (const char *dir, bool v2)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, v2 ? "cgroup.freeze" : "freezer.state");
  cleanup_free char *data = NULL;
  ocirt_error_t tmp = NULL;

  /* Asked for every container by list: one line, one read.  */
  if (ocirt_utils_read_small_file_at (AT_FDCWD, path, &data, NULL, &tmp) < 0)
    {
      ocirt_error_release (&tmp);
      return false;
    }
  return v2 ? data[0] == '1' : strncmp (data, "FROZEN", 6) == 0;
}

bool
ocirt_cgroup_frozen (const struct ocirt_cgroup *cg)
{
  bool v2;
  const struct ocirt_cgroup_dir *d = freezer_dir (cg, &v2);

  return d != NULL && dir_frozen (d->path, v2);
}

bool
ocirt_cgroup_is_frozen (const struct ocirt_container_state *st)
{
  enum freezer_kind best = FREEZER_NONE;
  enum ocirt_cgroup_mode mode;
  struct ocirt_cgroup cg;
  size_t i, at = 0;
  bool frozen;

  /* From the recorded leaves, without building the cgroup: list asks this
     of every container.  */
  if (st->cgroup_leaves_len)
    {
      mode = ocirt_cgroup_detect_mode ();
      for (i = 0; i < st->cgroup_leaves_len; i++)
        {
          const struct ocirt_state_cgroup *l = &st->cgroup_leaves[i];

          freezer_consider (freezer_kind (l->controllers, l->controllers[0] == '\0', mode), i, &best,
                            &at);
        }
      return best != FREEZER_NONE && dir_frozen (st->cgroup_leaves[at].path, best == FREEZER_V2);
    }
  if (ocirt_cgroup_from_state (st, &cg, NULL) < 0)
    return false;
  frozen = ocirt_cgroup_frozen (&cg);
  ocirt_cgroup_release (&cg);
  return frozen;
}

/* ---- signals -------------------------------------------------------- */

int
ocirt_cgroup_kill_all (const struct ocirt_cgroup *cg, int signo, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *u = ocirt_cgroup_unified (cg);
  cleanup_free pid_t *pids = NULL;
  ocirt_error_t tmp = NULL;
  bool froze = false;
  int n, i, ret = 0;

  /* cgroup.kill (5.14) leaves no window for a fork; it only sends SIGKILL. */
  if (signo == SIGKILL && u && ocirt_cgroup_has_file (u, "cgroup.kill"))
    {
      if (ocirt_cgroup_write (u, "cgroup.kill", "1", &tmp) == 0)
        return 0;
      ocirt_debug ("%s", tmp->msg);
      ocirt_error_release (&tmp);
    }
  if (!ocirt_cgroup_frozen (cg))
    {
      froze = ocirt_cgroup_freeze (cg, true, &tmp) == 0;
      if (!froze)
        {
          ocirt_debug ("%s", tmp->msg);
          ocirt_error_release (&tmp);
        }
    }
  n = ocirt_cgroup_read_pids (cg, &pids, err);
  if (n < 0)
    ret = -1;
  for (i = 0; i < n; i++)
    if (kill (pids[i], signo) < 0 && errno != ESRCH)
      {
        ret = ocirt_error_make (err, errno, "kill process %d", pids[i]);
        break;
      }
  if (froze && ocirt_cgroup_freeze (cg, false, &tmp) < 0)
    {
      if (ret == 0)
        {
          *err = tmp;
          return -1;
        }
      ocirt_error_release (&tmp);
    }
  return ret;
}
