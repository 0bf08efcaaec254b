#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "mount_fd.h"
#include "path.h"
#include "utils.h"

static const struct
{
  const char *path;
  int major, minor;
} default_devices[] = {
  { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

/* PATH without trailing slashes: as runc, "/dev/x/" names "/dev/x".  */
static char *
device_path (const char *path)
{
  char *p = xstrdup (path);
  size_t n = strlen (p);

  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  return p;
}

static bool
same_device_path (const char *config_path, const char *path)
{
  cleanup_free char *clean = device_path (config_path);

  return strcmp (clean, path) == 0;
}

static int
split_parent (int rootfd, const char *path, char **base, ocirt_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');

  if (slash == NULL || slash[1] == '\0')
    return ocirt_error_make (err, 0, "invalid device path `%s`", path);
  *slash = '\0';
  *base = xstrdup (slash + 1);
  return ocirt_path_mkpath_in_root (rootfd, dir, false, err);
}

/* In a user namespace: a bind of the host's node at PATH on TARGET (open
   on the file DIRFD/BASE), nosuid and noexec.  */
static int
bind_host_device (int dirfd, const char *base, int target, const char *path, ocirt_error_t *err)
{
  cleanup_close int mounted = -1;

  if (ocirt_mount_on_fd (path, target, NULL, MS_BIND, NULL, path, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      ocirt_error_release (err);
      return ocirt_error_make (err, ENOENT,
                               "device `%s`: there is no such node on the host to bind, and a user "
                               "namespace cannot make one",
                               path);
    }
  /* The fd still names the covered file: reopen the new mount.  */
  mounted = openat (dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (mounted < 0)
    return ocirt_error_make (err, errno, "open device `%s`", path);
  return ocirt_mount_bind_remount (mounted, ocirt_mount_locked_flags (mounted) | MS_NOSUID | MS_NOEXEC,
                                   path, err);
}

static int
make_device (int rootfd, const char *path, mode_t type, int major, int minor, mode_t perm, uid_t uid,
             gid_t gid, bool userns, int srcfd, ocirt_error_t *err)
{
  cleanup_free char *base = NULL;
  cleanup_close int parent = -1;
  cleanup_close int dirfd = -1;

  parent = split_parent (rootfd, path, &base, err);
  if (parent < 0)
    return -1;
  /* Reopen as a real directory fd: *at() calls refuse O_PATH for mknod.  */
  dirfd = openat (parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return ocirt_error_make (err, errno, "open parent of device `%s`", path);

  if (userns)
    {
      /* mknod is not allowed in a user namespace: mount the node the
         runtime made, or bind the host's.  */
      cleanup_close int target = -1;
      cleanup_close int fd = -1;

      fd = openat (dirfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0 && errno != EEXIST)
        return ocirt_error_make (err, errno, "create mount point for device `%s`", path);
      target = openat (dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (target < 0)
        return ocirt_error_make (err, errno, "open mount point for device `%s`", path);
      if (srcfd >= 0)
        return ocirt_mount_attach (srcfd, target, path, err);
      return bind_host_device (dirfd, base, target, path, err);
    }

  if (mknodat (dirfd, base, type | perm, makedev (major, minor)) < 0)
    {
      struct stat st;

      if (errno != EEXIST)
        return ocirt_error_make (err, errno, "mknod `%s`", path);
      /* What is there already must be this very device (runtime-spec:
         anything else is an error).  */
      if (fstatat (dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return ocirt_error_make (err, errno, "stat `%s`", path);
      if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != makedev (major, minor)))
        return ocirt_error_make (err, EEXIST, "device `%s`: a different file exists there", path);
    }
  if (fchownat (dirfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return ocirt_error_make (err, errno, "chown `%s`", path);
  /* mknod is subject to the umask; the config's mode is exact.  */
  if (fchmodat (dirfd, base, perm, 0) < 0)
    return ocirt_error_make (err, errno, "chmod `%s`", path);
  return 0;
}

int
ocirt_devices_type (const char *t, mode_t *out)
{
  if (t == NULL)
    return -1;
  if (strcmp (t, "c") == 0 || strcmp (t, "u") == 0)
    *out = S_IFCHR;
  else if (strcmp (t, "b") == 0)
    *out = S_IFBLK;
  else if (strcmp (t, "p") == 0)
    *out = S_IFIFO;
  else
    return -1;
  return 0;
}

char **
ocirt_devices_paths (const oci_linux *lx, size_t *n)
{
  char **paths = xmalloc ((ARRAY_SIZE (default_devices) + (lx ? lx->devices_len : 0)) * sizeof (*paths));
  size_t i, j;

  *n = 0;
  for (i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      bool overridden = false;

      for (j = 0; lx && j < lx->devices_len; j++)
        if (lx->devices[j]->path && same_device_path (lx->devices[j]->path, default_devices[i].path))
          overridden = true;
      if (!overridden)
        paths[(*n)++] = xstrdup (default_devices[i].path);
    }
  for (j = 0; lx && j < lx->devices_len; j++)
    if (lx->devices[j]->path)
      paths[(*n)++] = device_path (lx->devices[j]->path);
  return paths;
}

int
ocirt_devices_create (int rootfd, const oci_linux *linux_cfg, bool userns, const int *device_fds,
                      ocirt_error_t *err)
{
  size_t i, j;

  for (i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      bool overridden = false;

      for (j = 0; linux_cfg && j < linux_cfg->devices_len; j++)
        if (same_device_path (linux_cfg->devices[j]->path, default_devices[i].path))
          overridden = true;
      if (overridden)
        continue;
      if (make_device (rootfd, default_devices[i].path, S_IFCHR, default_devices[i].major,
                       default_devices[i].minor, 0666, 0, 0, userns, -1, err)
          < 0)
        return -1;
    }

  for (i = 0; linux_cfg && i < linux_cfg->devices_len; i++)
    {
      const oci_device *d = linux_cfg->devices[i];
      cleanup_free char *path = NULL;
      mode_t type;

      if (ocirt_devices_type (d->type, &type) < 0)
        return ocirt_error_make (err, 0, "device `%s`: invalid type `%s`", d->path,
                                 d->type ? d->type : "");
      if (d->path == NULL || d->path[0] != '/')
        return ocirt_error_make (err, 0, "device path `%s` is not absolute", d->path ? d->path : "");
      path = device_path (d->path);
      if (make_device (rootfd, path, type, (int) d->major, (int) d->minor,
                       d->file_mode_present ? (d->file_mode & 07777) : 0666, d->uid_present ? d->uid : 0,
                       d->gid_present ? d->gid : 0, userns, device_fds ? device_fds[i] : -1, err)
          < 0)
        return -1;
    }
  return 0;
}

int
ocirt_devices_symlinks (int rootfd, bool have_ptmx_device, ocirt_error_t *err)
{
  static const struct
  {
    const char *target, *name;
  } links[] = {
    { "/proc/self/fd", "fd" },
    { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },
  };
  cleanup_close int dev = -1;
  cleanup_close int devdir = -1;
  size_t i;

  dev = ocirt_path_mkpath_in_root (rootfd, "/dev", false, err);
  if (dev < 0)
    return -1;
  devdir = openat (dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (devdir < 0)
    return ocirt_error_make (err, errno, "open /dev");
  for (i = 0; i < ARRAY_SIZE (links); i++)
    if (symlinkat (links[i].target, devdir, links[i].name) < 0 && errno != EEXIST)
      return ocirt_error_make (err, errno, "symlink /dev/%s", links[i].name);

  if (!have_ptmx_device)
    {
      if (unlinkat (devdir, "ptmx", 0) < 0 && errno != ENOENT)
        return ocirt_error_make (err, errno, "remove /dev/ptmx");
      if (symlinkat ("pts/ptmx", devdir, "ptmx") < 0)
        return ocirt_error_make (err, errno, "symlink /dev/ptmx");
    }
  return 0;
}

int
ocirt_devices_console (int rootfd, int console_fd, ocirt_error_t *err)
{
  cleanup_close int target = -1;
  cleanup_close int existing = -1;
  struct stat sb;
  char src[64];

  /* The pty goes on the file we see, never through a symlink the rootfs
     put there (CVE-2025-52565).  */
  existing = ocirt_path_open_in_root (rootfd, "/dev/console", O_PATH | O_NOFOLLOW);
  if (existing >= 0 && fstat (existing, &sb) == 0 && S_ISLNK (sb.st_mode))
    return ocirt_error_make (err, ELOOP,
                             "bind the terminal on /dev/console: it is a symlink in the rootfs");
  target = ocirt_path_mkpath_in_root (rootfd, "/dev/console", true, err);
  if (target < 0)
    return -1;
  return ocirt_mount_on_fd (ocirt_path_of_fd (src, sizeof (src), console_fd), target, NULL, MS_BIND,
                            NULL, "/dev/console", err);
}
