/* The cgroupfs mount inside the container's rootfs.  */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "cgroup_mount.h"
#include "log.h"
#include "mount_fd.h"
#include "path.h"
#include "utils.h"

static int
mkdir_at_fd (int dirfd, const char *name, ocirt_error_t *err)
{
  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return ocirt_error_make (err, errno, "mkdir cgroup mount point `%s`", name);
  return 0;
}

/* Remount the mount at FD read-only, as a bind mount: only its flags
   change.  */
static int
remount_read_only (int fd, unsigned long flags, const char *what, ocirt_error_t *err)
{
  char p[64];

  if (mount (NULL, ocirt_path_of_fd (p, sizeof (p), fd), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | flags,
             NULL)
      < 0)
    return ocirt_error_make (err, errno, "remount %s read-only", what);
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
        return ocirt_error_make (err, errno, "open %s", what);
      if (remount_read_only (sub, flags, what, err) < 0)
        return -1;
    }
  return remount_read_only (target, flags, dest, err);
}

/* A cgroup2 mount of the container's cgroup namespace on DEST, open at
   TARGET.  Where the host's cgroup2 is there already (the config binds
   the host's /sys, as a rootless one does), the kernel refuses the same
   filesystem on the root of one of its mounts (EBUSY): an empty
   read-only tmpfs in between hides the host's, as runc and crun do.  */
static int
mount_cgroup2 (int rootfd, int target, const char *dest, unsigned long flags, ocirt_error_t *err)
{
  cleanup_close int above = -1;

  if (ocirt_mount_on_fd ("cgroup2", target, "cgroup2", flags, NULL, dest, err) == 0)
    return 0;
  if ((*err)->status != EBUSY)
    return -1;
  ocirt_error_release (err);
  if (ocirt_mount_on_fd ("tmpfs", target, "tmpfs", flags | MS_RDONLY, "mode=755", dest, err) < 0)
    return -1;
  /* TARGET still names the covered directory: the tmpfs is above it.  */
  above = ocirt_path_open_in_root (rootfd, dest, O_PATH);
  if (above < 0)
    return ocirt_error_make (err, errno, "open %s", dest);
  return ocirt_mount_on_fd ("cgroup2", above, "cgroup2", flags, NULL, dest, err);
}

int
ocirt_cgroup_mount (const struct ocirt_cgroup *cg, int rootfd, const char *dest, unsigned long flags,
                    bool cgroupns, ocirt_error_t *err)
{
  const unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  cleanup_close int target = -1;
  cleanup_close int dirfd = -1;
  size_t i;

  target = ocirt_path_mkpath_in_root (rootfd, dest, false, err);
  if (target < 0)
    return -1;

  if (cg == NULL || cg->ndirs == 0)
    return 0;

  if (cg->mode == OCIRT_CGROUP_V2)
    {
      if (cgroupns)
        return mount_cgroup2 (rootfd, target, dest, base | (flags & MS_RDONLY), err);
      if (ocirt_mount_on_fd (cg->dirs[0].path, target, NULL, MS_BIND, NULL, dest, err) < 0)
        return -1;
      if (flags & MS_RDONLY)
        {
          cleanup_close int m = ocirt_path_open_in_root (rootfd, dest, O_PATH);

          if (m < 0)
            return ocirt_error_make (err, errno, "open %s", dest);
          return remount_read_only (m, base, dest, err);
        }
      return 0;
    }

  /* v1 and hybrid: a tmpfs holding one mount per hierarchy.  */
  if (ocirt_mount_on_fd ("tmpfs", target, "tmpfs", base, "mode=755", dest, err) < 0)
    return -1;
  close (target);
  target = ocirt_path_open_in_root (rootfd, dest, O_PATH);
  if (target < 0)
    return ocirt_error_make (err, errno, "open %s", dest);
  dirfd = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return ocirt_error_make (err, errno, "open %s", dest);

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
        return ocirt_error_make (err, errno, "open %s", what);
      if (cgroupns)
        {
          if (ocirt_mount_on_fd ("cgroup", sub, d->unified ? "cgroup2" : "cgroup",
                                 base | (flags & MS_RDONLY), d->unified ? NULL : d->controllers, what,
                                 err)
              < 0)
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
              return ocirt_error_make (err, errno, "symlink %s/%s", dest, tok);
        }
    }

  /* The tmpfs and every hierarchy on it read-only in one call, instead of
     a remount each.  */
  if (flags & MS_RDONLY)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                                             | MOUNT_ATTR_NOEXEC };

      if (syscall (SYS_mount_setattr, target, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr))
          == 0)
        return 0;
      if (errno != ENOSYS)
        return ocirt_error_make (err, errno, "make %s read-only", dest);
      return v1_read_only_each (cg, dirfd, target, dest, base, cgroupns, err);
    }
  return 0;
}
