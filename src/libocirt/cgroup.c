#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "mounts.h"
#include "path.h"
#include "utils.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

enum ocirt_cgroup_mode
ocirt_cgroup_detect_mode (void)
{
  struct statfs sf;

  if (statfs (CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    return OCIRT_CGROUP_V2;
  if (statfs (CGROUP_ROOT "/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    return OCIRT_CGROUP_HYBRID;
  return OCIRT_CGROUP_V1;
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

/* The runtime's own cgroup in the hierarchy with CONTROLLERS ("" for v2).  */
static char *
own_cgroup (const char *controllers)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t n = 0;

  if (f == NULL)
    return xstrdup ("/");
  while (getline (&line, &n, f) > 0)
    {
      char *ctrl, *path;

      line[strcspn (line, "\n")] = '\0';
      ctrl = strchr (line, ':');
      if (ctrl == NULL)
        continue;
      ctrl++;
      path = strchr (ctrl, ':');
      if (path == NULL)
        continue;
      *path++ = '\0';
      if (strcmp (ctrl, controllers) == 0)
        return xstrdup (path);
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
  cg->dirs = realloc (cg->dirs, sizeof (*cg->dirs) * (cg->ndirs + 1));
  if (cg->dirs == NULL)
    abort ();
  d = &cg->dirs[cg->ndirs++];
  d->controllers = xstrdup (controllers);
  d->mount = xstrdup (mount);
  d->path = xasprintf ("%s%s%s", mount, rel[0] == '/' ? "" : "/", rel);
  d->unified = unified;
}

static char *
container_path (const char *cgroups_path, const char *id, const char *controllers)
{
  cleanup_free char *own = NULL;
  const char *rel = cgroups_path && cgroups_path[0] ? cgroups_path : id;

  if (rel[0] == '/')
    return xstrdup (rel);
  /* Relative paths nest below the runtime's own cgroup, as runc does.  */
  own = own_cgroup (controllers);
  return xasprintf ("%s/%s", strcmp (own, "/") == 0 ? "" : own, rel);
}

static int
find_hierarchies (struct ocirt_cgroup *cg, const char *cgroups_path, const char *id,
                  ocirt_error_t *err)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t n = 0;

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
          cpath = container_path (cgroups_path, id, "");
          add_dir (cg, "", mnt, root, cpath, true);
          continue;
        }
      if (strcmp (fstype, "cgroup") != 0)
        continue;
      ctrls = v1_controllers (superopts);
      if (ctrls[0] == '\0')
        continue; /* a named hierarchy such as name=systemd */
      cpath = container_path (cgroups_path, id, ctrls);
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
  char *p;

  for (p = copy + strlen (d->mount) + 1;; p++)
    {
      bool end = *p == '\0';

      if (*p != '/' && !end)
        continue;
      *p = '\0';
      if (mkdir (copy, 0755) == 0)
        {
          record_created (cg, copy);
          if (cpuset && cpuset_inherit (copy, err) < 0)
            return -1;
        }
      else if (errno != EEXIST)
        return ocirt_make_error (err, errno, "create cgroup `%s`", copy);
      if (end)
        break;
      *p = '/';
    }
  return 0;
}

int
ocirt_cgroup_create (const char *cgroups_path, const char *id, struct ocirt_cgroup *cg,
                     ocirt_error_t *err)
{
  size_t i;

  memset (cg, 0, sizeof (*cg));
  cg->mode = ocirt_cgroup_detect_mode ();
  if (find_hierarchies (cg, cgroups_path, id, err) < 0)
    return -1;
  for (i = 0; i < cg->ndirs; i++)
    if (make_dir (cg, &cg->dirs[i], err) < 0)
      {
        ocirt_cgroup_remove_dirs (cg->created, cg->ncreated, NULL);
        return -1;
      }
  return 0;
}

int
ocirt_cgroup_enter (const struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err)
{
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", pid);
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    {
      cleanup_free char *procs = xasprintf ("%s/cgroup.procs", cg->dirs[i].path);

      if (write_file_at (AT_FDCWD, procs, buf, len, err) < 0)
        return ocirt_error_prefix (err, "join cgroup");
    }
  return 0;
}

/* The directory that holds CONTROLLER, NULL when the host has none.  */
static const struct ocirt_cgroup_dir *
dir_for (const struct ocirt_cgroup *cg, const char *controller)
{
  size_t i, cl = strlen (controller);

  for (i = 0; i < cg->ndirs; i++)
    {
      const char *c = cg->dirs[i].controllers;

      if (cg->dirs[i].unified)
        continue;
      while ((c = strstr (c, controller)))
        {
          if ((c == cg->dirs[i].controllers || c[-1] == ',') && (c[cl] == '\0' || c[cl] == ','))
            return &cg->dirs[i];
          c += cl;
        }
    }
  for (i = 0; i < cg->ndirs; i++)
    if (cg->dirs[i].unified && cg->mode == OCIRT_CGROUP_V2)
      return &cg->dirs[i];
  return NULL;
}

static int
write_value (const struct ocirt_cgroup_dir *d, const char *file, const char *value, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);

  ocirt_debug ("cgroup: write %s to %s", value, path);
  if (write_file_at (AT_FDCWD, path, value, strlen (value), err) < 0)
    return ocirt_error_prefix (err, "set cgroup limit");
  return 0;
}

static int
write_i64 (const struct ocirt_cgroup_dir *d, const char *file, int64_t v, bool v2, ocirt_error_t *err)
{
  char buf[32];

  if (v2 && v < 0)
    snprintf (buf, sizeof (buf), "max");
  else
    snprintf (buf, sizeof (buf), "%lld", (long long) v);
  return write_value (d, file, buf, err);
}

static int
apply_memory (const struct ocirt_cgroup *cg, const oci_memory *m, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = dir_for (cg, "memory");
  bool v2;

  if (m == NULL)
    return 0;
  if (d == NULL)
    return ocirt_make_error (err, 0, "memory limits are set but the memory controller is not available");
  v2 = d->unified;
  if (m->limit_present && write_i64 (d, v2 ? "memory.max" : "memory.limit_in_bytes", m->limit, v2, err) < 0)
    return -1;
  if (m->reservation_present
      && write_i64 (d, v2 ? "memory.low" : "memory.soft_limit_in_bytes", m->reservation, v2, err) < 0)
    return -1;
  if (m->swap_present)
    {
      /* v1 counts memory+swap; v2 counts swap alone.  */
      int64_t swap = m->swap;
      if (v2 && swap > 0 && m->limit_present && m->limit > 0)
        swap = swap > m->limit ? swap - m->limit : 0;
      if (write_i64 (d, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes", swap, v2, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_pids (const struct ocirt_cgroup *cg, const oci_pids *p, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = dir_for (cg, "pids");
  char buf[32];

  if (p == NULL || !p->limit_present)
    return 0;
  if (d == NULL)
    return ocirt_make_error (err, 0, "a pids limit is set but the pids controller is not available");
  if (p->limit < 0)
    snprintf (buf, sizeof (buf), "max");
  else
    snprintf (buf, sizeof (buf), "%lld", (long long) p->limit);
  return write_value (d, "pids.max", buf, err);
}

static int
apply_cpu (const struct ocirt_cgroup *cg, const oci_cpu *c, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = dir_for (cg, "cpu");
  const struct ocirt_cgroup_dir *cs = dir_for (cg, "cpuset");
  char buf[64];

  if (c == NULL)
    return 0;
  if (d && !d->unified)
    {
      if (c->shares_present && c->shares)
        {
          snprintf (buf, sizeof (buf), "%llu", (unsigned long long) c->shares);
          if (write_value (d, "cpu.shares", buf, err) < 0)
            return -1;
        }
      if (c->period_present && c->period)
        {
          snprintf (buf, sizeof (buf), "%llu", (unsigned long long) c->period);
          if (write_value (d, "cpu.cfs_period_us", buf, err) < 0)
            return -1;
        }
      if (c->quota_present && c->quota && write_i64 (d, "cpu.cfs_quota_us", c->quota, false, err) < 0)
        return -1;
    }
  else if (d)
    {
      if (c->shares_present && c->shares)
        {
          /* The mapping of cpu.shares [2, 262144] onto cpu.weight [1, 10000].  */
          unsigned long long w = 1 + ((c->shares - 2) * 9999) / 262142;
          snprintf (buf, sizeof (buf), "%llu", w);
          if (write_value (d, "cpu.weight", buf, err) < 0)
            return -1;
        }
      if ((c->quota_present && c->quota) || (c->period_present && c->period))
        {
          unsigned long long period = c->period_present && c->period ? c->period : 100000;
          if (c->quota_present && c->quota > 0)
            snprintf (buf, sizeof (buf), "%lld %llu", (long long) c->quota, period);
          else
            snprintf (buf, sizeof (buf), "max %llu", period);
          if (write_value (d, "cpu.max", buf, err) < 0)
            return -1;
        }
    }
  if (cs && c->cpus && c->cpus[0] && write_value (cs, "cpuset.cpus", c->cpus, err) < 0)
    return -1;
  if (cs && c->mems && c->mems[0] && write_value (cs, "cpuset.mems", c->mems, err) < 0)
    return -1;
  return 0;
}

/* What every container may use whatever the rules say, as runc grants. */
static const char *const default_device_rules[] = {
  "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
  "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
};

static void
device_number (char *buf, size_t size, bool present, int64_t v)
{
  if (present && v >= 0)
    snprintf (buf, size, "%lld", (long long) v);
  else
    snprintf (buf, size, "*");
}

/* v1 device rules; v2 needs an eBPF program and is not done yet.  */
static int
apply_devices_v1 (const struct ocirt_cgroup *cg, const oci_linux *lx, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = dir_for (cg, "devices");
  const oci_resources *res = lx->resources;
  size_t i;

  if (d == NULL || d->unified || res == NULL || res->devices_len == 0)
    return 0;
  for (i = 0; i < res->devices_len; i++)
    {
      const oci_device_cgroup *r = res->devices[i];
      const char *type = r->type && r->type[0] ? r->type : "a";
      char rule[128], maj[24], min[24];

      device_number (maj, sizeof (maj), r->major_present, r->major);
      device_number (min, sizeof (min), r->minor_present, r->minor);
      if (strcmp (type, "a") == 0)
        snprintf (rule, sizeof (rule), "a");
      else
        snprintf (rule, sizeof (rule), "%s %s:%s %s", type, maj, min,
                  r->access && r->access[0] ? r->access : "rwm");
      if (write_value (d, r->allow ? "devices.allow" : "devices.deny", rule, err) < 0)
        return -1;
    }
  for (i = 0; i < ARRAY_SIZE (default_device_rules); i++)
    if (write_value (d, "devices.allow", default_device_rules[i], err) < 0)
      return -1;
  /* The devices the config creates are the container's to use.  */
  for (i = 0; i < lx->devices_len; i++)
    {
      const oci_device *dev = lx->devices[i];
      char rule[128];

      if (dev->type == NULL || strcmp (dev->type, "p") == 0)
        continue;
      snprintf (rule, sizeof (rule), "%c %lld:%lld rwm", dev->type[0] == 'b' ? 'b' : 'c',
                (long long) dev->major, (long long) dev->minor);
      if (write_value (d, "devices.allow", rule, err) < 0)
        return -1;
    }
  return 0;
}

int
ocirt_cgroup_apply_resources (const struct ocirt_cgroup *cg, const oci_linux *lx,
                              ocirt_error_t *err)
{
  const oci_resources *res = lx ? lx->resources : NULL;

  if (res == NULL)
    return 0;
  if (apply_memory (cg, res->memory, err) < 0 || apply_pids (cg, res->pids, err) < 0
      || apply_cpu (cg, res->cpu, err) < 0 || apply_devices_v1 (cg, lx, err) < 0)
    return -1;
  return 0;
}

int
ocirt_cgroup_remove_dirs (char **dirs, size_t n, ocirt_error_t *err)
{
  size_t i;

  for (i = n; i > 0; i--)
    {
      const char *dir = dirs[i - 1];
      int tries;

      /* Tasks leave a cgroup a moment after they die.  */
      for (tries = 0; tries < 500; tries++)
        {
          struct timespec ts = { 0, 2 * 1000 * 1000 };

          if (rmdir (dir) == 0 || errno == ENOENT)
            break;
          if (errno != EBUSY)
            return ocirt_make_error (err, errno, "remove cgroup `%s`", dir);
          nanosleep (&ts, NULL);
        }
      if (tries == 500)
        return ocirt_make_error (err, EBUSY, "remove cgroup `%s`", dir);
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
  memset (cg, 0, sizeof (*cg));
}

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
}

int
ocirt_cgroup_pids (const struct ocirt_container_state *st, pid_t **pids, ocirt_error_t *err)
{
  size_t i;

  *pids = NULL;
  /* The leaf directories are the last created in each hierarchy; any one of
     them lists every process.  */
  for (i = st->cgroup_dirs_len; i > 0; i--)
    {
      cleanup_free char *path = xasprintf ("%s/cgroup.procs", st->cgroup_dirs[i - 1]);
      cleanup_free char *data = NULL;
      ocirt_error_t tmp = NULL;
      char *line, *save = NULL;
      int n = 0, alloc = 16;

      if (read_file_at (AT_FDCWD, path, &data, NULL, &tmp) < 0)
        {
          ocirt_error_release (&tmp);
          continue;
        }
      *pids = xmalloc0 (sizeof (pid_t) * alloc);
      for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          if (n == alloc)
            {
              alloc *= 2;
              *pids = realloc (*pids, sizeof (pid_t) * alloc);
              if (*pids == NULL)
                abort ();
            }
          (*pids)[n++] = atoi (line);
        }
      return n;
    }
  (void) err;
  return 0;
}

bool
ocirt_cgroup_is_frozen (const struct ocirt_container_state *st)
{
  size_t i;

  for (i = 0; i < st->cgroup_dirs_len; i++)
    {
      const char *dir = st->cgroup_dirs[i];
      cleanup_free char *v1 = xasprintf ("%s/freezer.state", dir);
      cleanup_free char *v2 = xasprintf ("%s/cgroup.freeze", dir);
      cleanup_free char *data = NULL;
      ocirt_error_t tmp = NULL;

      if (strstr (dir, "/freezer/") == NULL && strstr (dir, "/unified/") == NULL
          && ocirt_cgroup_detect_mode () != OCIRT_CGROUP_V2)
        continue;
      if (read_file_at (AT_FDCWD, v1, &data, NULL, &tmp) == 0)
        return strncmp (data, "FROZEN", 6) == 0;
      ocirt_error_release (&tmp);
      if (read_file_at (AT_FDCWD, v2, &data, NULL, &tmp) == 0)
        {
          if (data[0] == '1')
            return true;
          continue;
        }
      ocirt_error_release (&tmp);
    }
  return false;
}

static int
mkdir_at_fd (int dirfd, const char *name, ocirt_error_t *err)
{
  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return ocirt_make_error (err, errno, "mkdir cgroup mount point `%s`", name);
  return 0;
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
          char p[64];
          if (m < 0 || mount (NULL, ocirt_fd_path (p, sizeof (p), m), NULL,
                              MS_BIND | MS_REMOUNT | MS_RDONLY | base, NULL) < 0)
            return ocirt_make_error (err, errno, "remount %s read-only", dest);
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
      char p[64];

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
      else
        {
          if (ocirt_mount_on_fd (d->path, sub, NULL, MS_BIND, NULL, what, err) < 0)
            return -1;
          if (flags & MS_RDONLY)
            {
              cleanup_close int m = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
              if (m < 0 || mount (NULL, ocirt_fd_path (p, sizeof (p), m), NULL,
                                  MS_BIND | MS_REMOUNT | MS_RDONLY | base, NULL) < 0)
                return ocirt_make_error (err, errno, "remount %s read-only", what);
            }
        }
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

  if (flags & MS_RDONLY)
    {
      char p[64];
      if (mount (NULL, ocirt_fd_path (p, sizeof (p), target), NULL, MS_REMOUNT | MS_RDONLY | base,
                 "mode=755") < 0)
        return ocirt_make_error (err, errno, "remount %s read-only", dest);
    }
  return 0;
}
