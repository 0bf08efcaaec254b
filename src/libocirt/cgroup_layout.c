/* The host's cgroup layout (v1, v2, hybrid) and the container's
   directories in it: where they go, making, adopting and removing them.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "log.h"
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

      if (ocirt_utils_read_file_at (AT_FDCWD, "/proc/self/cgroup", self, NULL, &err) < 0)
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
  d = ocirt_cgroup_push_dir (cg);
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
container_path (const char *cgroups_path, const char *given, const char *controllers, bool in_parent,
                char **self)
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
    return ocirt_error_make (err, 0, "linux.cgroupsPath `%s` names no cgroup", cgroups_path);
  /* The path must not climb out of where it is rooted.  */
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    if (strcmp (tok, "..") == 0 || strcmp (tok, ".") == 0)
      return ocirt_error_make (err, 0, "linux.cgroupsPath `%s`: `%s` is not allowed", cgroups_path, tok);
  return 0;
}

static int
find_hierarchies (struct ocirt_cgroup *cg, const char *cgroups_path, const char *id, ocirt_error_t *err)
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
    return ocirt_error_make (err, errno, "open /proc/self/mountinfo");
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
    return ocirt_error_make (err, 0, "no cgroup hierarchy is mounted under " CGROUP_ROOT);
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

      if (ocirt_utils_read_file_at (AT_FDCWD, mine, &cur, NULL, err) < 0)
        return -1;
      if (cur[0] != '\0' && cur[0] != '\n')
        continue;
      if (ocirt_utils_read_file_at (AT_FDCWD, parent, &val, &len, err) < 0)
        return -1;
      if (ocirt_utils_write_file_at (AT_FDCWD, mine, val, len, err) < 0)
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

  if (ocirt_utils_read_file_at (AT_FDCWD, avail_path, &avail, NULL, err) < 0)
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
  if (ocirt_utils_write_file_at (AT_FDCWD, ctl_path, want, strlen (want), &tmp) == 0)
    return 0;
  ocirt_error_release (&tmp);
  /* One may refuse (a threaded subtree, a busy rdma): keep the others. */
  save = NULL;
  for (tok = strtok_r (want, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
    if (ocirt_utils_write_file_at (AT_FDCWD, ctl_path, tok, strlen (tok), &tmp) < 0)
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
        return ocirt_error_make (err, errno, "create cgroup `%s`", copy);
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
    return ocirt_error_make (err, 0, "cgroup `%s` exists in no hierarchy", path);
  return 0;
}

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
        return ocirt_error_make (err, errno, "remove cgroup `%s`", dir);
      nanosleep (&ts, NULL);
    }
  return ocirt_error_make (err, EBUSY, "remove cgroup `%s`", dir);
}

/* Sub-cgroups the container made below a directory we created.  */
static int
remove_children (const char *dir, int depth, ocirt_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (depth > 64)
    return ocirt_error_make (err, ELOOP, "remove cgroup `%s`", dir);
  d = opendir (dir);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return ocirt_error_make (err, errno, "open cgroup `%s`", dir);
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
            return ocirt_error_make (err, errno, "remove cgroup `%s`", dir);
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
  if (cg->systemd_free)
    cg->systemd_free (cg->systemd);
  memset (cg, 0, sizeof (*cg));
}
