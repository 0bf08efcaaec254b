#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "cgroup_systemd.h"
#include "log.h"
#include "mounts.h"
#include "path.h"
#include "utils.h"

/* Asked once per container by list and status: the layout of the host
   does not change under one command, so look once.  */
enum ocirt_cgroup_mode
ocirt_cgroup_detect_mode (void)
{
  static enum ocirt_cgroup_mode mode;
  static bool known;
  struct statfs sf;

  if (known)
    return mode;
  if (statfs (CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    mode = OCIRT_CGROUP_V2;
  else if (statfs (CGROUP_ROOT "/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    mode = OCIRT_CGROUP_HYBRID;
  else
    mode = OCIRT_CGROUP_V1;
  known = true;
  return mode;
}

/* Controllers named in the super options of a v1 mount, "" when none.  */
static char *
v1_controllers (const char *superopts)
{
  cleanup_free char *copy = xstrdup (superopts);
  char *tok, *save = NULL, *out = xstrdup ("");

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *n;

      if (strcmp (tok, "rw") == 0 || strcmp (tok, "ro") == 0 || strcmp (tok, "xattr") == 0
          || strcmp (tok, "clone_children") == 0 || strcmp (tok, "noprefix") == 0
          || strcmp (tok, "cpuset_v2_mode") == 0 || strncmp (tok, "release_agent=", 14) == 0
          || strncmp (tok, "name=", 5) == 0)
        continue;
      n = out[0] ? xasprintf ("%s,%s", out, tok) : xstrdup (tok);
      free (out);
      out = n;
    }
  return out;
}

/* The runtime's own cgroup in the hierarchy with CONTROLLERS ("" for v2),
   from the text of /proc/self/cgroup, which *SELF caches: it is read at
   most once for all the hierarchies.  */
static char *
own_cgroup (const char *controllers, char **self)
{
  const char *line, *end;
  size_t clen = strlen (controllers);

  if (*self == NULL)
    {
      ocirt_error_t err = NULL;

      if (read_file_at (AT_FDCWD, "/proc/self/cgroup", self, NULL, &err) < 0)
        {
          ocirt_error_release (&err);
          *self = xstrdup ("");
        }
    }
  for (line = *self; *line; line = *end ? end + 1 : end)
    {
      const char *ctrl, *path;

      end = line + strcspn (line, "\n");
      /* hierarchy-id:controllers:path */
      ctrl = memchr (line, ':', (size_t) (end - line));
      if (ctrl == NULL)
        continue;
      ctrl++;
      path = memchr (ctrl, ':', (size_t) (end - ctrl));
      if (path == NULL)
        continue;
      if ((size_t) (path - ctrl) == clen && strncmp (ctrl, controllers, clen) == 0)
        return xasprintf ("%.*s", (int) (end - path - 1), path + 1);
    }
  return xstrdup ("/");
}

static struct ocirt_cgroup_dir *
push_dir (struct ocirt_cgroup *cg)
{
  struct ocirt_cgroup_dir *d;

  cg->dirs = realloc (cg->dirs, sizeof (*cg->dirs) * (cg->ndirs + 1));
  if (cg->dirs == NULL)
    abort ();
  d = &cg->dirs[cg->ndirs++];
  memset (d, 0, sizeof (*d));
  return d;
}

static void
add_dir (struct ocirt_cgroup *cg, const char *controllers, const char *mount, const char *root,
         const char *container_path, bool unified)
{
  struct ocirt_cgroup_dir *d;
  const char *rel = container_path;
  size_t rl = strlen (root);

  /* A hierarchy mounted from a sub-cgroup shows paths below its root.  */
  if (strcmp (root, "/") != 0 && strncmp (rel, root, rl) == 0)
    rel += rl;
  d = push_dir (cg);
  d->controllers = xstrdup (controllers);
  d->mount = xstrdup (mount);
  d->path = xasprintf ("%s%s%s", mount, rel[0] == '/' ? "" : "/", rel);
  d->unified = unified;
}

/* The part of the path the config names: no leading or trailing slash. */
static char *
given_part (const char *cgroups_path, const char *id)
{
  const char *rel = cgroups_path && cgroups_path[0] ? cgroups_path : id;
  char *out, *end;

  while (*rel == '/')
    rel++;
  out = xstrdup (rel);
  for (end = out + strlen (out); end > out && end[-1] == '/'; end--)
    end[-1] = '\0';
  return out;
}

/* Where GIVEN lands in a hierarchy.  An absolute cgroupsPath is taken from
   the root.  A relative one (the id without a cgroupsPath) is joined, as
   runc does, to the runtime's own cgroup on v1 and in a hybrid host's
   hierarchies, and to the parent of it (IN_PARENT) on pure v2: there the
   caller's cgroup (a service's, a session's scope) holds processes, and a
   cgroup with processes cannot give controllers to a child.  */
static char *
container_path (const char *cgroups_path, const char *given, const char *controllers,
                bool in_parent, char **self)
{
  cleanup_free char *base = NULL;
  char *slash;

  if (cgroups_path && cgroups_path[0] == '/')
    return xasprintf ("/%s", given);
  base = own_cgroup (controllers, self);
  if (in_parent && (slash = strrchr (base, '/')) != NULL)
    *slash = '\0';
  return xasprintf ("%s/%s", strcmp (base, "/") == 0 ? "" : base, given);
}

static int
check_given (const char *given, const char *cgroups_path, ocirt_error_t *err)
{
  cleanup_free char *copy = xstrdup (given);
  char *tok, *save = NULL;

  if (given[0] == '\0')
    return ocirt_make_error (err, 0, "linux.cgroupsPath `%s` names no cgroup", cgroups_path);
  /* The path must not climb out of where it is rooted.  */
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    if (strcmp (tok, "..") == 0 || strcmp (tok, ".") == 0)
      return ocirt_make_error (err, 0, "linux.cgroupsPath `%s`: `%s` is not allowed", cgroups_path,
                               tok);
  return 0;
}

static int
find_hierarchies (struct ocirt_cgroup *cg, const char *cgroups_path, const char *id,
                  ocirt_error_t *err)
{
  cleanup_fclose FILE *f = NULL;
  cleanup_free char *line = NULL;
  cleanup_free char *given = given_part (cgroups_path, id);
  cleanup_free char *self = NULL;
  size_t n = 0;

  if (check_given (given, cgroups_path ? cgroups_path : id, err) < 0)
    return -1;
  f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return ocirt_make_error (err, errno, "open /proc/self/mountinfo");
  while (getline (&line, &n, f) > 0)
    {
      char root[4096], mnt[4096], fstype[64], superopts[1024];
      cleanup_free char *ctrls = NULL;
      cleanup_free char *cpath = NULL;
      char *sep = strstr (line, " - ");

      if (sep == NULL || sscanf (line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2
          || sscanf (sep + 3, "%63s %*s %1023s", fstype, superopts) != 2)
        continue;
      if (strncmp (mnt, CGROUP_ROOT, strlen (CGROUP_ROOT)) != 0)
        continue;
      if (strcmp (fstype, "cgroup2") == 0)
        {
          cpath = container_path (cgroups_path, given, "", cg->mode == OCIRT_CGROUP_V2, &self);
          add_dir (cg, "", mnt, root, cpath, true);
          continue;
        }
      if (strcmp (fstype, "cgroup") != 0)
        continue;
      ctrls = v1_controllers (superopts);
      if (ctrls[0] == '\0')
        continue; /* a named hierarchy such as name=systemd */
      cpath = container_path (cgroups_path, given, ctrls, false, &self);
      add_dir (cg, ctrls, mnt, root, cpath, false);
    }
  if (cg->ndirs == 0)
    return ocirt_make_error (err, 0, "no cgroup hierarchy is mounted under " CGROUP_ROOT);
  return 0;
}

/* A new v1 cpuset is empty and refuses tasks: copy the parent's.  */
static int
cpuset_inherit (const char *dir, ocirt_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *mine = xasprintf ("%s/%s", dir, files[i]);
      cleanup_free char *parent = xasprintf ("%s/../%s", dir, files[i]);
      cleanup_free char *cur = NULL;
      cleanup_free char *val = NULL;
      size_t len;

      if (read_file_at (AT_FDCWD, mine, &cur, NULL, err) < 0)
        return -1;
      if (cur[0] != '\0' && cur[0] != '\n')
        continue;
      if (read_file_at (AT_FDCWD, parent, &val, &len, err) < 0)
        return -1;
      if (write_file_at (AT_FDCWD, mine, val, len, err) < 0)
        return -1;
    }
  return 0;
}

/* Enable in DIR's cgroup.subtree_control every controller DIR has, as
   runc does, so that the container gets its limits and its stats.  */
static int
enable_controllers (const char *dir, ocirt_error_t *err)
{
  cleanup_free char *avail_path = xasprintf ("%s/cgroup.controllers", dir);
  cleanup_free char *ctl_path = xasprintf ("%s/cgroup.subtree_control", dir);
  cleanup_free char *avail = NULL;
  cleanup_free char *want = NULL;
  char *tok, *save = NULL;
  ocirt_error_t tmp = NULL;

  if (read_file_at (AT_FDCWD, avail_path, &avail, NULL, err) < 0)
    return -1;
  want = xstrdup ("");
  for (tok = strtok_r (avail, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
    {
      char *n = xasprintf ("%s%s+%s", want, want[0] ? " " : "", tok);
      free (want);
      want = n;
    }
  if (want[0] == '\0')
    return 0;
  ocirt_debug ("cgroup: enable %s in %s", want, dir);
  if (write_file_at (AT_FDCWD, ctl_path, want, strlen (want), &tmp) == 0)
    return 0;
  ocirt_error_release (&tmp);
  /* One may refuse (a threaded subtree, a busy rdma): keep the others. */
  save = NULL;
  for (tok = strtok_r (want, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
    if (write_file_at (AT_FDCWD, ctl_path, tok, strlen (tok), &tmp) < 0)
      {
        ocirt_debug ("cgroup: %s", tmp->msg);
        ocirt_error_release (&tmp);
      }
  return 0;
}

static void
record_created (struct ocirt_cgroup *cg, const char *path)
{
  cg->created = realloc (cg->created, sizeof (char *) * (cg->ncreated + 1));
  if (cg->created == NULL)
    abort ();
  cg->created[cg->ncreated++] = xstrdup (path);
}

static int
make_dir (struct ocirt_cgroup *cg, const struct ocirt_cgroup_dir *d, ocirt_error_t *err)
{
  cleanup_free char *copy = xstrdup (d->path);
  bool cpuset = !d->unified && strstr (d->controllers, "cpuset") != NULL;
  bool v2 = d->unified && cg->mode == OCIRT_CGROUP_V2;
  char *p;

  /* Below the unified root a child only gets what its parent enables.
     On pure v2, as runc and crun do, in every directory from the root
     down (one with processes refuses, and is left as it is); on a hybrid
     host only in what we made.  */
  if (v2 && enable_controllers (d->mount, err) < 0)
    return -1;
  for (p = copy + strlen (d->mount) + 1;; p++)
    {
      bool end = *p == '\0', made = false;

      if (*p != '/' && !end)
        continue;
      *p = '\0';
      if (mkdir (copy, 0755) == 0)
        {
          made = true;
          record_created (cg, copy);
          if (cpuset && cpuset_inherit (copy, err) < 0)
            return -1;
        }
      else if (errno != EEXIST)
        return ocirt_make_error (err, errno, "create cgroup `%s`", copy);
      if (end)
        break;
      if (d->unified && (made || v2) && enable_controllers (copy, err) < 0)
        return -1;
      *p = '/';
    }
  return 0;
}

int
ocirt_cgroup_resolve (const char *cgroups_path, const char *id, struct ocirt_cgroup *cg,
                      ocirt_error_t *err)
{
  memset (cg, 0, sizeof (*cg));
  cg->mode = ocirt_cgroup_detect_mode ();
  return find_hierarchies (cg, cgroups_path, id, err);
}

size_t
ocirt_cgroup_missing (const struct ocirt_cgroup *cg, char ***dirs)
{
  size_t i, n = 0;

  *dirs = NULL;
  for (i = 0; i < cg->ndirs; i++)
    {
      const struct ocirt_cgroup_dir *d = &cg->dirs[i];
      cleanup_free char *copy = xstrdup (d->path);
      bool missing = false;
      char *p;

      for (p = copy + strlen (d->mount) + 1;; p++)
        {
          bool end = *p == '\0';

          if (*p != '/' && !end)
            continue;
          *p = '\0';
          /* Below a missing directory everything is missing.  */
          if (missing || access (copy, F_OK) < 0)
            {
              missing = true;
              *dirs = realloc (*dirs, sizeof (char *) * (n + 2));
              if (*dirs == NULL)
                abort ();
              (*dirs)[n++] = xstrdup (copy);
              (*dirs)[n] = NULL;
            }
          if (end)
            break;
          *p = '/';
        }
    }
  return n;
}

int
ocirt_cgroup_create (const char *cgroups_path, const char *id, struct ocirt_cgroup *cg,
                     ocirt_error_t *err)
{
  if (ocirt_cgroup_resolve (cgroups_path, id, cg, err) < 0)
    return -1;
  return ocirt_cgroup_make (cg, err);
}

int
ocirt_cgroup_make (struct ocirt_cgroup *cg, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    if (make_dir (cg, &cg->dirs[i], err) < 0)
      {
        ocirt_cgroup_remove_dirs (cg->created, cg->ncreated, NULL);
        return -1;
      }
  return 0;
}

int
ocirt_cgroup_adopt (const char *path, struct ocirt_cgroup *cg, ocirt_error_t *err)
{
  size_t i, kept = 0;

  cg->mode = ocirt_cgroup_detect_mode ();
  if (find_hierarchies (cg, path, NULL, err) < 0)
    return -1;
  /* Another manager made these: keep only where it did.  */
  for (i = 0; i < cg->ndirs; i++)
    {
      if (access (cg->dirs[i].path, F_OK) == 0)
        {
          cg->dirs[kept++] = cg->dirs[i];
          continue;
        }
      free (cg->dirs[i].controllers);
      free (cg->dirs[i].mount);
      free (cg->dirs[i].path);
    }
  cg->ndirs = kept;
  if (kept == 0)
    return ocirt_make_error (err, 0, "cgroup `%s` exists in no hierarchy", path);
  return 0;
}

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
      if (write_file_at (AT_FDCWD, procs, buf, len, err) < 0)
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
      if (write_file_at (AT_FDCWD, tasks, "0", 1, err) < 0)
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

/* ---- looking up and touching files --------------------------------- */

static bool
list_has (const char *list, const char *word, const char *seps)
{
  size_t wl = strlen (word);
  const char *c = list;

  while ((c = strstr (c, word)))
    {
      if ((c == list || strchr (seps, c[-1])) && (c[wl] == '\0' || strchr (seps, c[wl])))
        return true;
      c += wl;
    }
  return false;
}

const struct ocirt_cgroup_dir *
ocirt_cgroup_unified (const struct ocirt_cgroup *cg)
{
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    if (cg->dirs[i].unified)
      return &cg->dirs[i];
  return NULL;
}

bool
ocirt_cgroup_v2_has (const struct ocirt_cgroup_dir *d, const char *controller)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.controllers", d->path);
  cleanup_free char *data = NULL;
  ocirt_error_t tmp = NULL;

  if (read_file_at (AT_FDCWD, path, &data, NULL, &tmp) < 0)
    {
      ocirt_error_release (&tmp);
      return false;
    }
  return list_has (data, controller, " \n");
}

const struct ocirt_cgroup_dir *
ocirt_cgroup_dir_for (const struct ocirt_cgroup *cg, const char *controller)
{
  const struct ocirt_cgroup_dir *u;
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    if (!cg->dirs[i].unified && list_has (cg->dirs[i].controllers, controller, ","))
      return &cg->dirs[i];
  u = ocirt_cgroup_unified (cg);
  if (u == NULL)
    return NULL;
  if (cg->mode == OCIRT_CGROUP_V2)
    return u;
  /* Hybrid: what no v1 tree holds may be enabled in the unified one.  */
  return ocirt_cgroup_v2_has (u, controller) ? u : NULL;
}

bool
ocirt_cgroup_has_file (const struct ocirt_cgroup_dir *d, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);

  return access (path, F_OK) == 0;
}

int
ocirt_cgroup_write_fd (const struct ocirt_cgroup_dir *d, const char *file, const char *value,
                       int *fd, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);

  ocirt_debug ("cgroup: write %s to %s", value, path);
  /* O_TRUNC is a no-op on cgroupfs, as with a shell's ">".  */
  if (*fd < 0)
    *fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (*fd < 0)
    {
      int saved = errno;
      size_t cl = strcspn (file, ".");
      cleanup_free char *ctrl = strndup (file, cl);

      if (ctrl == NULL)
        abort ();
      /* On v2 a controller that is not enabled shows as missing files.  */
      if (saved == ENOENT && d->unified && strcmp (ctrl, "cgroup") != 0
          && !ocirt_cgroup_v2_has (d, ctrl))
        return ocirt_make_error (err, 0, "cannot set %s: the %s controller is not enabled in `%s`",
                                 file, ctrl, d->path);
      return ocirt_make_error (err, saved, "open `%s`", path);
    }
  if (write_all (*fd, value, strlen (value)) < 0)
    return ocirt_make_error (err, errno, "write `%s` to `%s`", value, path);
  return 0;
}

int
ocirt_cgroup_write (const struct ocirt_cgroup_dir *d, const char *file, const char *value,
                    ocirt_error_t *err)
{
  cleanup_close int fd = -1;

  return ocirt_cgroup_write_fd (d, file, value, &fd, err);
}

int
ocirt_cgroup_read (const struct ocirt_cgroup_dir *d, const char *file, char **out,
                   ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);

  return read_file_at (AT_FDCWD, path, out, NULL, err);
}

/* ---- removal -------------------------------------------------------- */

/* Tasks leave a cgroup a moment after they die: retry EBUSY a while.  */
static int
rmdir_wait (const char *dir, ocirt_error_t *err)
{
  int tries;

  for (tries = 0; tries < 500; tries++)
    {
      struct timespec ts = { 0, 2 * 1000 * 1000 };

      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        return ocirt_make_error (err, errno, "remove cgroup `%s`", dir);
      nanosleep (&ts, NULL);
    }
  return ocirt_make_error (err, EBUSY, "remove cgroup `%s`", dir);
}

/* Sub-cgroups the container made below a directory we created.  */
static int
remove_children (const char *dir, int depth, ocirt_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (depth > 64)
    return ocirt_make_error (err, ELOOP, "remove cgroup `%s`", dir);
  d = opendir (dir);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return ocirt_make_error (err, errno, "open cgroup `%s`", dir);
    }
  while ((de = readdir (d)))
    {
      cleanup_free char *sub = NULL;

      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (remove_children (sub, depth + 1, err) < 0 || rmdir_wait (sub, err) < 0)
        return -1;
    }
  return 0;
}

static bool
has_child_in (char **dirs, size_t n, const char *dir)
{
  size_t i, l = strlen (dir);

  for (i = 0; i < n; i++)
    if (strncmp (dirs[i], dir, l) == 0 && dirs[i][l] == '/')
      return true;
  return false;
}

int
ocirt_cgroup_remove_dirs (char **dirs, size_t n, ocirt_error_t *err)
{
  size_t i;

  for (i = n; i > 0; i--)
    {
      const char *dir = dirs[i - 1];

      /* A parent we made may hold another container's cgroup by now.  */
      if (has_child_in (dirs, n, dir))
        {
          if (rmdir (dir) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
            return ocirt_make_error (err, errno, "remove cgroup `%s`", dir);
          continue;
        }
      if (remove_children (dir, 0, err) < 0 || rmdir_wait (dir, err) < 0)
        return -1;
    }
  return 0;
}

void
ocirt_cgroup_release (struct ocirt_cgroup *cg)
{
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    {
      free (cg->dirs[i].controllers);
      free (cg->dirs[i].mount);
      free (cg->dirs[i].path);
    }
  free (cg->dirs);
  for (i = 0; i < cg->ncreated; i++)
    free (cg->created[i]);
  free (cg->created);
  ocirt_systemd_scope_free (cg->systemd);
  memset (cg, 0, sizeof (*cg));
}

/* ---- the state ------------------------------------------------------ */

void
ocirt_cgroup_to_state (const struct ocirt_cgroup *cg, struct ocirt_container_state *st)
{
  size_t i;

  st->cgroup_dirs = xmalloc0 (sizeof (char *) * (cg->ncreated + cg->ndirs + 1));
  st->cgroup_dirs_len = 0;
  for (i = 0; i < cg->ncreated; i++)
    st->cgroup_dirs[st->cgroup_dirs_len++] = xstrdup (cg->created[i]);
  if (cg->ndirs)
    st->cgroup_path = xstrdup (cg->dirs[0].path);
  st->cgroup_leaves = xmalloc0 (sizeof (*st->cgroup_leaves) * (cg->ndirs + 1));
  st->cgroup_leaves_len = cg->ndirs;
  for (i = 0; i < cg->ndirs; i++)
    {
      st->cgroup_leaves[i].controllers = xstrdup (cg->dirs[i].controllers);
      st->cgroup_leaves[i].path = xstrdup (cg->dirs[i].path);
    }
}

void
ocirt_cgroup_state_release (struct ocirt_container_state *st)
{
  size_t i;

  free (st->cgroup_path);
  for (i = 0; i < st->cgroup_dirs_len; i++)
    free (st->cgroup_dirs[i]);
  free (st->cgroup_dirs);
  for (i = 0; i < st->cgroup_leaves_len; i++)
    {
      free (st->cgroup_leaves[i].controllers);
      free (st->cgroup_leaves[i].path);
    }
  free (st->cgroup_leaves);
  st->cgroup_path = NULL;
  st->cgroup_dirs = NULL;
  st->cgroup_dirs_len = 0;
  st->cgroup_leaves = NULL;
  st->cgroup_leaves_len = 0;
}

/* Controllers of a created directory from where it lives, for states
   written before the leaves were recorded.  */
static char *
controllers_of_path (const char *path, enum ocirt_cgroup_mode mode)
{
  const char *rest = path + strlen (CGROUP_ROOT "/");

  if (mode == OCIRT_CGROUP_V2 || strncmp (rest, "unified/", 8) == 0)
    return xstrdup ("");
  return strndup (rest, strcspn (rest, "/"));
}

int
ocirt_cgroup_from_state (const struct ocirt_container_state *st, struct ocirt_cgroup *cg,
                         ocirt_error_t *err)
{
  size_t i, j;

  memset (cg, 0, sizeof (*cg));
  cg->mode = ocirt_cgroup_detect_mode ();
  for (i = 0; i < st->cgroup_leaves_len; i++)
    {
      struct ocirt_cgroup_dir *d = push_dir (cg);

      d->controllers = xstrdup (st->cgroup_leaves[i].controllers);
      d->mount = xstrdup ("");
      d->path = xstrdup (st->cgroup_leaves[i].path);
      d->unified = d->controllers[0] == '\0';
    }
  if (st->cgroup_leaves_len)
    return 0;
  for (i = 0; i < st->cgroup_dirs_len; i++)
    {
      const char *p = st->cgroup_dirs[i];
      size_t pl = strlen (p);
      struct ocirt_cgroup_dir *d;
      bool leaf = strncmp (p, CGROUP_ROOT "/", strlen (CGROUP_ROOT "/")) == 0;

      for (j = 0; j < st->cgroup_dirs_len && leaf; j++)
        if (j != i && strncmp (st->cgroup_dirs[j], p, pl) == 0 && st->cgroup_dirs[j][pl] == '/')
          leaf = false;
      if (!leaf)
        continue;
      d = push_dir (cg);
      d->controllers = controllers_of_path (p, cg->mode);
      if (d->controllers == NULL)
        abort ();
      d->mount = xstrdup ("");
      d->path = xstrdup (p);
      d->unified = d->controllers[0] == '\0';
    }
  (void) err;
  return 0;
}

/* ---- processes ------------------------------------------------------ */

struct pid_list
{
  pid_t *pids;
  size_t n, alloc;
};

static int
collect_pids (const char *dir, struct pid_list *l, int depth, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.procs", dir);
  cleanup_free char *data = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  char *line, *save = NULL;
  ocirt_error_t tmp = NULL;

  if (read_file_at (AT_FDCWD, path, &data, NULL, &tmp) < 0)
    {
      /* A cgroup removed meanwhile holds nobody.  */
      if (tmp->status == ENOENT || tmp->status == ENODEV)
        {
          ocirt_error_release (&tmp);
          return 0;
        }
      *err = tmp;
      return -1;
    }
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long v;

      if (!parse_ulong (line, &v) || v == 0)
        continue;
      if (l->n == l->alloc)
        {
          l->alloc = l->alloc ? l->alloc * 2 : 16;
          l->pids = realloc (l->pids, sizeof (pid_t) * l->alloc);
          if (l->pids == NULL)
            abort ();
        }
      l->pids[l->n++] = (pid_t) v;
    }
  if (depth > 64)
    return 0;
  d = opendir (dir);
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      cleanup_free char *sub = NULL;

      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (collect_pids (sub, l, depth + 1, err) < 0)
        return -1;
    }
  return 0;
}

/* The hierarchy to read processes from: every one holds them all.  */
static const struct ocirt_cgroup_dir *
procs_dir (const struct ocirt_cgroup *cg)
{
  size_t i;

  if (cg->mode == OCIRT_CGROUP_V2 && ocirt_cgroup_unified (cg))
    return ocirt_cgroup_unified (cg);
  for (i = 0; i < cg->ndirs; i++)
    if (!cg->dirs[i].unified && access (cg->dirs[i].path, F_OK) == 0)
      return &cg->dirs[i];
  return cg->ndirs ? &cg->dirs[0] : NULL;
}

int
ocirt_cgroup_read_pids (const struct ocirt_cgroup *cg, pid_t **pids, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = procs_dir (cg);
  struct pid_list l = { NULL, 0, 0 };

  *pids = NULL;
  if (d == NULL)
    return 0;
  if (collect_pids (d->path, &l, 0, err) < 0)
    {
      free (l.pids);
      return -1;
    }
  *pids = l.pids ? l.pids : xmalloc0 (sizeof (pid_t));
  return (int) l.n;
}

int
ocirt_cgroup_pids (const struct ocirt_container_state *st, pid_t **pids, ocirt_error_t *err)
{
  struct ocirt_cgroup cg;
  int n;

  *pids = NULL;
  if (ocirt_cgroup_from_state (st, &cg, err) < 0)
    return -1;
  n = ocirt_cgroup_read_pids (&cg, pids, err);
  ocirt_cgroup_release (&cg);
  return n;
}

/* ---- freezing ------------------------------------------------------- */

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
  if (mode != OCIRT_CGROUP_V2 && list_has (controllers, "freezer", ","))
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
    freezer_consider (freezer_kind (cg->dirs[i].controllers, cg->dirs[i].unified, cg->mode), i,
                      &best, &at);
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
  return ocirt_make_error (err, 0, "freeze `%s`: the tasks did not freeze in time", d->path);
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
    return ocirt_make_error (err, errno, "open `%s`", path);
  for (i = 0; i < 100; i++)
    {
      char buf[256];
      ssize_t r = pread (fd, buf, sizeof (buf) - 1, 0);
      struct pollfd pfd = { .fd = fd, .events = POLLPRI };
      uint64_t frozen;

      if (r < 0)
        return ocirt_make_error (err, errno, "read `%s`", path);
      buf[r] = '\0';
      if (ocirt_cgroup_parse_keyed (buf, "frozen", &frozen) && (frozen == 1) == want)
        return 0;
      if (poll (&pfd, 1, 100) < 0 && errno != EINTR)
        return ocirt_make_error (err, errno, "poll `%s`", path);
    }
  if (want)
    ocirt_cgroup_write (d, "cgroup.freeze", "0", NULL);
  return ocirt_make_error (err, 0, "%s `%s`: the tasks did not %s in time",
                           want ? "freeze" : "thaw", d->path, want ? "freeze" : "thaw");
}

int
ocirt_cgroup_freeze (const struct ocirt_cgroup *cg, bool freeze, ocirt_error_t *err)
{
  bool v2;
  const struct ocirt_cgroup_dir *d = freezer_dir (cg, &v2);

  if (d == NULL)
    return ocirt_make_error (err, 0, "the container has no freezer cgroup");
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
  if (read_small_file_at (AT_FDCWD, path, &data, NULL, &tmp) < 0)
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

          freezer_consider (freezer_kind (l->controllers, l->controllers[0] == '\0', mode), i,
                            &best, &at);
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
        ret = ocirt_make_error (err, errno, "kill process %d", pids[i]);
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

/* ---- OOM ------------------------------------------------------------ */

int
ocirt_cgroup_oom_kills (const struct ocirt_cgroup *cg, uint64_t *count, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "memory");
  cleanup_free char *data = NULL;

  *count = 0;
  if (d == NULL)
    return ocirt_make_error (err, 0, "the container has no memory cgroup");
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

/* ---- the cgroup mount inside the container ------------------------- */

static int
mkdir_at_fd (int dirfd, const char *name, ocirt_error_t *err)
{
  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return ocirt_make_error (err, errno, "mkdir cgroup mount point `%s`", name);
  return 0;
}

/* Remount the mount at FD read-only, as a bind mount: only its flags
   change.  */
static int
remount_read_only (int fd, unsigned long flags, const char *what, ocirt_error_t *err)
{
  char p[64];

  if (mount (NULL, ocirt_fd_path (p, sizeof (p), fd), NULL,
             MS_BIND | MS_REMOUNT | MS_RDONLY | flags, NULL) < 0)
    return ocirt_make_error (err, errno, "remount %s read-only", what);
  return 0;
}

/* Before Linux 5.12 (no mount_setattr; only such kernels get here): each
   bind-mounted hierarchy, then the tmpfs, one remount each.  Hierarchies
   mounted in a cgroup namespace are read-only already.  */
static int
v1_read_only_each (const struct ocirt_cgroup *cg, int dirfd, int target, const char *dest,
                   unsigned long flags, bool cgroupns, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < cg->ndirs && !cgroupns; i++)
    {
      const char *name = cg->dirs[i].unified ? "unified" : cg->dirs[i].controllers;
      cleanup_free char *what = xasprintf ("%s/%s", dest, name);
      cleanup_close int sub = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

      if (sub < 0)
        return ocirt_make_error (err, errno, "open %s", what);
      if (remount_read_only (sub, flags, what, err) < 0)
        return -1;
    }
  return remount_read_only (target, flags, dest, err);
}

int
ocirt_cgroup_mount (const struct ocirt_cgroup *cg, int rootfd, const char *dest,
                    unsigned long flags, bool cgroupns, ocirt_error_t *err)
{
  const unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  cleanup_close int target = -1;
  cleanup_close int dirfd = -1;
  size_t i;

  target = ocirt_mkpath_in_root (rootfd, dest, false, err);
  if (target < 0)
    return -1;

  if (cg == NULL || cg->ndirs == 0)
    return 0;

  if (cg->mode == OCIRT_CGROUP_V2)
    {
      if (cgroupns)
        return ocirt_mount_on_fd ("cgroup2", target, "cgroup2", base | (flags & MS_RDONLY), NULL,
                                  dest, err);
      if (ocirt_mount_on_fd (cg->dirs[0].path, target, NULL, MS_BIND, NULL, dest, err) < 0)
        return -1;
      if (flags & MS_RDONLY)
        {
          cleanup_close int m = ocirt_open_in_root (rootfd, dest, O_PATH);

          if (m < 0)
            return ocirt_make_error (err, errno, "open %s", dest);
          return remount_read_only (m, base, dest, err);
        }
      return 0;
    }

  /* v1 and hybrid: a tmpfs holding one mount per hierarchy.  */
  if (ocirt_mount_on_fd ("tmpfs", target, "tmpfs", base, "mode=755", dest, err) < 0)
    return -1;
  close (target);
  target = ocirt_open_in_root (rootfd, dest, O_PATH);
  if (target < 0)
    return ocirt_make_error (err, errno, "open %s", dest);
  dirfd = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return ocirt_make_error (err, errno, "open %s", dest);

  for (i = 0; i < cg->ndirs; i++)
    {
      const struct ocirt_cgroup_dir *d = &cg->dirs[i];
      const char *name = d->unified ? "unified" : d->controllers;
      cleanup_close int sub = -1;
      cleanup_free char *what = xasprintf ("%s/%s", dest, name);

      if (mkdir_at_fd (dirfd, name, err) < 0)
        return -1;
      sub = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        return ocirt_make_error (err, errno, "open %s", what);
      if (cgroupns)
        {
          if (ocirt_mount_on_fd ("cgroup", sub, d->unified ? "cgroup2" : "cgroup",
                                 base | (flags & MS_RDONLY), d->unified ? NULL : d->controllers,
                                 what, err) < 0)
            return -1;
        }
      else if (ocirt_mount_on_fd (d->path, sub, NULL, MS_BIND, NULL, what, err) < 0)
        return -1;
      /* Co-mounted controllers are also reachable by each name.  */
      if (!d->unified && strchr (d->controllers, ','))
        {
          cleanup_free char *copy = xstrdup (d->controllers);
          char *tok, *save = NULL;
          for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
            if (symlinkat (d->controllers, dirfd, tok) < 0 && errno != EEXIST)
              return ocirt_make_error (err, errno, "symlink %s/%s", dest, tok);
        }
    }

  /* The tmpfs and every hierarchy on it read-only in one call, instead of
     a remount each.  */
  if (flags & MS_RDONLY)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID
                                             | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };

      if (syscall (SYS_mount_setattr, target, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                   sizeof (attr)) == 0)
        return 0;
      if (errno != ENOSYS)
        return ocirt_make_error (err, errno, "make %s read-only", dest);
      return v1_read_only_each (cg, dirfd, target, dest, base, cgroupns, err);
    }
  return 0;
}
