#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup_mount.h"
#include "devices.h"
#include "log.h"
#include "mount_fd.h"
#include "mount_options.h"
#include "mounts.h"
#include "namespaces.h"
#include "path.h"
#include "utils.h"

static bool
is_bind (const oci_mount *m, const struct ocirt_mount_flags *f)
{
  return (f->flags & MS_BIND) || (m->type && strcmp (m->type, "bind") == 0);
}

static int
set_propagation (int fd, unsigned long propagation, const char *what, ocirt_error_t *err)
{
  char path[64];

  if (propagation == 0)
    return 0;
  if (mount (NULL, ocirt_path_of_fd (path, sizeof (path), fd), NULL, propagation, NULL) < 0)
    return ocirt_error_make (err, errno, "set propagation of %s", what);
  return 0;
}

static int
set_recursive_attrs (int fd, const struct ocirt_mount_flags *f, const char *what, ocirt_error_t *err)
{
  struct mount_attr attr = {
    .attr_set = f->rec_attr_set,
    .attr_clr = f->rec_attr_clr,
  };

  if (f->rec_attr_set == 0 && f->rec_attr_clr == 0)
    return 0;
  if (syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
    {
      /* No fallback: a remount per submount would race with the tree.  */
      if (errno == ENOSYS)
        return ocirt_error_make (err, errno,
                                 "recursive mount options (rro, rnosuid, ...) on %s need "
                                 "mount_setattr, which this kernel lacks (Linux 5.12)",
                                 what);
      return ocirt_error_make (err, errno, "mount_setattr %s", what);
    }
  return 0;
}

static char *
mount_source (const char *bundle, const oci_mount *m)
{
  if (m->source == NULL)
    return xstrdup (m->type ? m->type : "none");
  if (m->source[0] == '/' || !is_bind (m, &(struct ocirt_mount_flags){ 0 }))
    return xstrdup (m->source);
  /* A relative bind source is relative to the bundle.  */
  return xasprintf ("%s/%s", bundle, m->source);
}

/* Whether the runtime opens the source of mounts[I]: a bind mount with a
   source and no idmapped tree.  */
static bool
source_wanted (const oci_spec *spec, const int *idmap_fds, size_t i)
{
  const oci_mount *m = spec->mounts[i];
  struct ocirt_mount_flags f;
  bool bind;

  if ((idmap_fds && idmap_fds[i] >= 0) || m->source == NULL || m->source[0] == '\0')
    return false;
  ocirt_mount_options_parse (m->options, m->options_len, &f);
  bind = is_bind (m, &f);
  ocirt_mount_flags_release (&f);
  return bind;
}

bool
ocirt_mounts_sources_wanted (const oci_spec *spec, const int *idmap_fds, bool unprivileged)
{
  size_t i;

  if (unprivileged || !ocirt_ns_in_config (spec, "user") || !ocirt_ns_in_config (spec, "mount"))
    return false;
  for (i = 0; i < spec->mounts_len; i++)
    if (source_wanted (spec, idmap_fds, i))
      return true;
  return false;
}

/* The helper process of ocirt_mounts_send_sources: in the container's
   mount namespace, so that the fds name its mounts (a bind from a mount of
   another namespace is refused, and a clone of the namespace's own keeps
   the flags and submounts the kernel locked there), but with the
   runtime's credentials.  Exits with an errno.  */
static void __attribute__ ((noreturn))
send_sources_from (int nsfd, const oci_spec *spec, const char *bundle, const int *idmap_fds, int sock)
{
  size_t i;

  if (setns (nsfd, CLONE_NEWNS) < 0)
    _exit (errno);
  for (i = 0; i < spec->mounts_len; i++)
    {
      cleanup_free char *path = NULL;
      cleanup_close int fd = -1;

      if (!source_wanted (spec, idmap_fds, i))
        continue;
      path = mount_source (bundle, spec->mounts[i]);
      fd = open (path, O_PATH | O_CLOEXEC);
      if (fd >= 0 ? ocirt_utils_send_fd (sock, fd, "f", 1) < 0 : send (sock, "n", 1, MSG_NOSIGNAL) < 0)
        _exit (errno);
    }
  _exit (0);
}

int
ocirt_mounts_send_sources (const oci_spec *spec, const char *bundle, const int *idmap_fds, pid_t pid,
                           int sock, ocirt_error_t *err)
{
  cleanup_close int nsfd = -1;
  char path[64];
  pid_t helper;
  int status;

  snprintf (path, sizeof (path), "/proc/%d/ns/mnt", (int) pid);
  nsfd = open (path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return ocirt_error_make (err, errno, "open %s", path);
  helper = fork ();
  if (helper < 0)
    return ocirt_error_make (err, errno, "fork to open the bind mount sources");
  if (helper == 0)
    send_sources_from (nsfd, spec, bundle, idmap_fds, sock);
  if (ocirt_utils_waitpid (helper, &status, 0) < 0)
    return ocirt_error_make (err, errno, "wait for the bind mount sources");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return ocirt_error_make (err, WIFEXITED (status) ? WEXITSTATUS (status) : 0,
                             "open the bind mount sources in the container's mount namespace");
  return 0;
}

int
ocirt_mounts_recv_sources (const oci_spec *spec, const int *idmap_fds, int sock, int **fds_out,
                           ocirt_error_t *err)
{
  int *fds = xmalloc (spec->mounts_len * sizeof (*fds));
  size_t i;

  for (i = 0; i < spec->mounts_len; i++)
    fds[i] = -1;
  for (i = 0; i < spec->mounts_len; i++)
    {
      char c = 0;

      if (!source_wanted (spec, idmap_fds, i))
        continue;
      /* "n": the runtime could not open it either.  */
      fds[i] = ocirt_utils_recv_fd (sock, &c, 1);
      if (fds[i] < 0 && c != 'n')
        {
          ocirt_mount_fds_release (fds, spec->mounts_len);
          return ocirt_error_make (err, errno, "receive the source of mounts[%zu] from the runtime", i);
        }
    }
  *fds_out = fds;
  return 0;
}

/* The magic filesystems a container could misuse if they landed
   elsewhere: proc and sysfs go only on a real directory of the rootfs,
   never through a symlink the image planted (CVE-2019-16884,
   CVE-2019-19921), and what ends up there must be that filesystem.  */
static long
special_fs_magic (const char *type)
{
  if (type && strcmp (type, "proc") == 0)
    return PROC_SUPER_MAGIC;
  if (type && strcmp (type, "sysfs") == 0)
    return SYSFS_MAGIC;
  return 0;
}

static int
check_special_target (int rootfd, const char *dest, const char *type, ocirt_error_t *err)
{
  cleanup_close int fd = ocirt_path_open_in_root (rootfd, dest, O_PATH | O_NOFOLLOW);
  struct stat sb;

  if (fd < 0)
    return errno == ENOENT ? 0 : ocirt_error_make (err, errno, "open %s in the rootfs", dest);
  if (fstat (fd, &sb) < 0)
    return ocirt_error_make (err, errno, "stat %s in the rootfs", dest);
  if (S_ISLNK (sb.st_mode))
    return ocirt_error_make (err, ELOOP, "mount %s on %s: the target is a symlink in the rootfs", type,
                             dest);
  if (!S_ISDIR (sb.st_mode))
    return ocirt_error_make (err, ENOTDIR, "mount %s on %s", type, dest);
  return 0;
}

static int
check_mounted_fs (int mounted, const char *dest, const char *type, long magic, ocirt_error_t *err)
{
  struct statfs sf;

  if (fstatfs (mounted, &sf) < 0)
    return ocirt_error_make (err, errno, "statfs %s", dest);
  if (sf.f_type != magic)
    return ocirt_error_make (err, EXDEV, "mount %s on %s: what is mounted there is not %s", type, dest,
                             type);
  return 0;
}

/* The host's cgroupfs has no place in the container: hidden under an
   empty read-only tmpfs, on which the config's cgroup mount, if any,
   goes (cgroup2 cannot be stacked on its own mount: EBUSY).  */
static int
hide_host_cgroupfs (int rootfd, const char *sys, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/fs/cgroup", sys);
  cleanup_close int target = ocirt_path_open_in_root (rootfd, path, O_PATH | O_DIRECTORY);
  cleanup_close int tree = -1;

  if (target < 0)
    return errno == ENOENT ? 0 : ocirt_error_make (err, errno, "open %s", path);
  tree = ocirt_utils_fsmount_new ("tmpfs", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                                               | MOUNT_ATTR_NOEXEC);
  if (tree < 0)
    return ocirt_error_make (err, errno, "make a tmpfs to hide %s", path);
  return ocirt_mount_attach (tree, target, path, err);
}

/* sysfs is mounted only by the owner of the network namespace: in a user
   namespace without a network namespace of its own, the kernel refuses
   it, and /sys is then the host's, bound recursively as crun does, with
   nosuid, nodev, noexec, and read-only if asked: the whole tree where
   mount_setattr is there (Linux 5.12), its top alone before.  */
static int
bind_host_sysfs (int rootfd, int target, unsigned long flags, const char *dest, ocirt_error_t *err)
{
  unsigned long want = MS_NOSUID | MS_NODEV | MS_NOEXEC | (flags & MS_RDONLY);
  struct mount_attr attr = {
    .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC
                | (flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0),
  };
  cleanup_close int tree = syscall (SYS_open_tree, AT_FDCWD, "/sys",
                                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

  ocirt_debug ("sysfs refused on %s: binding the host's /sys", dest);
  if (tree < 0)
    return ocirt_error_make (err, errno, "bind the host's /sys on %s", dest);
  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) == 0)
    {
      if (ocirt_mount_attach (tree, target, dest, err) < 0)
        return -1;
    }
  else if (errno != ENOSYS)
    return ocirt_error_make (err, errno, "set the flags of the host's /sys on %s", dest);
  else if (ocirt_mount_attach (tree, target, dest, err) < 0
           || ocirt_mount_bind_remount (tree, ocirt_mount_locked_flags (tree) | want, dest, err) < 0)
    return -1;
  return hide_host_cgroupfs (rootfd, dest, err);
}

/* The data of a new filesystem: as runc and crun, a tmpfs on a directory
   that is there takes its mode, last so that it wins over a mode= of the
   mount's own as with runc (crun lets the option win); linux.mountLabel labels the filesystems the
   container mounts (it was checked that SELinux is there).  */
static char *
new_fs_data (struct ocirt_rootfs_ctx *ctx, int rootfd, const oci_mount *m, const char *data)
{
  const char *label = ctx->spec->linux ? ctx->spec->linux->mount_label : NULL;
  cleanup_free char *mode = NULL;
  cleanup_free char *base = NULL;
  struct stat sb;

  if (m->type && strcmp (m->type, "tmpfs") == 0)
    {
      cleanup_close int fd = ocirt_path_open_in_root (rootfd, m->destination, O_PATH);

      if (fd >= 0 && fstat (fd, &sb) == 0 && S_ISDIR (sb.st_mode))
        mode = xasprintf ("mode=%04o", (unsigned int) (sb.st_mode & 07777));
    }
  if (mode)
    base = data ? xasprintf ("%s,%s", data, mode) : xstrdup (mode);
  else
    base = data ? xstrdup (data) : NULL;
  if (label && label[0])
    return base ? xasprintf ("%s,context=\"%s\"", base, label) : xasprintf ("context=\"%s\"", label);
  return steal_pointer (&base);
}

/* A bind mount of SOURCE (or of SOURCE_FD, the source the runtime opened
   for us, which we may not reach; or of IDMAP_TREE, the tree idmapped
   already) on DEST.  Returns the fd of the covered target.  */
static int
mount_bind (int rootfd, const char *source, int source_fd, const char *dest,
            const struct ocirt_mount_flags *f, int idmap_tree, ocirt_error_t *err)
{
  cleanup_close int target = -1;
  char fd_path[64];
  struct stat sb;

  if (source_fd >= 0 ? fstat (source_fd, &sb) < 0 : stat (source, &sb) < 0)
    return ocirt_error_make (err, errno, "bind mount source `%s`", source);
  if (source_fd >= 0)
    source = ocirt_path_of_fd (fd_path, sizeof (fd_path), source_fd);
  target = ocirt_path_mkpath_in_root (rootfd, dest, !S_ISDIR (sb.st_mode), err);
  if (target < 0)
    return -1;
  if (idmap_tree >= 0)
    {
      if (ocirt_mount_attach (idmap_tree, target, dest, err) < 0)
        return -1;
    }
  else if (ocirt_mount_on_fd (source, target, NULL, MS_BIND | (f->flags & MS_REC), NULL, dest, err) < 0)
    return -1;
  return steal_fd (&target);
}

/* A new filesystem of M's type on its destination; sysfs, which the
   kernel refuses in a user namespace without a network namespace of its
   own, falls back to the host's.  Returns the fd of the covered target.  */
static int
mount_new_fs (struct ocirt_rootfs_ctx *ctx, int rootfd, const oci_mount *m, const char *source,
              const struct ocirt_mount_flags *f, ocirt_error_t *err)
{
  cleanup_free char *data = new_fs_data (ctx, rootfd, m, f->data);
  cleanup_close int target = -1;
  const char *dest = m->destination;

  if (special_fs_magic (m->type) && check_special_target (rootfd, dest, m->type, err) < 0)
    return -1;
  target = ocirt_path_mkpath_in_root (rootfd, dest, false, err);
  if (target < 0)
    return -1;
  if (ocirt_mount_on_fd (source, target, m->type, f->flags & ~(MS_BIND | MS_REC | MS_REMOUNT), data,
                         dest, err)
      < 0)
    {
      if (!(ctx->userns && (*err)->status == EPERM && special_fs_magic (m->type) == SYSFS_MAGIC))
        return -1;
      ocirt_error_release (err);
      if (bind_host_sysfs (rootfd, target, f->flags, dest, err) < 0)
        return -1;
    }
  return steal_fd (&target);
}

/* What M's options ask of the mount once it is there.  */
static int
finish_mount (int rootfd, const oci_mount *m, bool bind, const struct ocirt_mount_flags *f,
              ocirt_error_t *err)
{
  const char *dest = m->destination;
  cleanup_close int mounted = -1;

  /* The target's fd still names the covered directory: reopen the new
     mount.  */
  mounted = ocirt_path_open_in_root (rootfd, dest, O_PATH);
  if (mounted < 0)
    return ocirt_error_make (err, errno, "open mount %s", dest);
  if (!bind && special_fs_magic (m->type)
      && check_mounted_fs (mounted, dest, m->type, special_fs_magic (m->type), err) < 0)
    return -1;
  if (bind && (f->flags & OCIRT_REMOUNT_FLAGS)
      && ocirt_mount_bind_remount (mounted, f->flags, dest, err) < 0)
    return -1;
  if (set_propagation (mounted, f->propagation, dest, err) < 0)
    return -1;
  return set_recursive_attrs (mounted, f, dest, err);
}

static int
do_mount (struct ocirt_rootfs_ctx *ctx, int rootfd, const oci_mount *m, int idmap_tree, int source_fd,
          ocirt_error_t *err)
{
  cleanup_mount_flags struct ocirt_mount_flags f;
  cleanup_free char *source = NULL;
  cleanup_close int target = -1;
  const char *dest = m->destination;
  bool bind;

  ocirt_mount_options_parse (m->options, m->options_len, &f);
  bind = is_bind (m, &f);
  source = mount_source (ctx->bundle, m);
  if (dest == NULL || dest[0] == '\0')
    return ocirt_error_make (err, 0, "mount without a destination");
  if (m->type && strcmp (m->type, "cgroup") == 0 && !bind)
    return ocirt_cgroup_mount (ctx->cgroup, rootfd, dest, f.flags, ctx->cgroupns, err);
  if (bind)
    target = mount_bind (rootfd, source, source_fd, dest, &f, idmap_tree, err);
  else
    target = mount_new_fs (ctx, rootfd, m, source, &f, err);
  if (target < 0)
    return -1;
  return finish_mount (rootfd, m, bind, &f, err);
}

static unsigned long
propagation_flag (const char *name, unsigned long def)
{
  static const struct
  {
    const char *name;
    unsigned long flag;
  } table[] = {
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  size_t i;

  if (name == NULL || name[0] == '\0')
    return def;
  for (i = 0; i < ARRAY_SIZE (table); i++)
    if (strcmp (table[i].name, name) == 0)
      return table[i].flag;
  return 0;
}

static bool
mounts_dev (const oci_spec *spec)
{
  size_t i;

  for (i = 0; i < spec->mounts_len; i++)
    {
      const oci_mount *m = spec->mounts[i];
      struct ocirt_mount_flags f;
      bool bind;

      if (m->destination == NULL || strcmp (m->destination, "/dev") != 0)
        continue;
      ocirt_mount_options_parse (m->options, m->options_len, &f);
      bind = is_bind (m, &f);
      ocirt_mount_flags_release (&f);
      return bind;
    }
  return false;
}

static int
pivot (const char *rootfs, ocirt_error_t *err)
{
  cleanup_close int oldroot = -1;
  cleanup_close int newroot = -1;

  oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return ocirt_error_make (err, errno, "open /");
  newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return ocirt_error_make (err, errno, "open rootfs `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return ocirt_error_make (err, errno, "chdir to rootfs");
  /* Stack the old root under the new one, then detach it.  */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return ocirt_error_make (err, errno, "pivot_root to `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return ocirt_error_make (err, errno, "chdir to the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return ocirt_error_make (err, errno, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return ocirt_error_make (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return ocirt_error_make (err, errno, "chdir /");
  return 0;
}

static int
move_root (const char *rootfs, ocirt_error_t *err)
{
  if (chdir (rootfs) < 0)
    return ocirt_error_make (err, errno, "chdir to rootfs `%s`", rootfs);
  if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return ocirt_error_make (err, errno, "move rootfs `%s` to /", rootfs);
  if (chroot (".") < 0)
    return ocirt_error_make (err, errno, "chroot to `%s`", rootfs);
  if (chdir ("/") < 0)
    return ocirt_error_make (err, errno, "chdir /");
  return 0;
}

/* The mount point that holds PATH, from mountinfo: the longest prefix.  */
static char *
mount_point_of (const char *path)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  char *best = NULL;
  size_t n = 0, best_len = 0;

  if (f == NULL)
    return NULL;
  while (getline (&line, &n, f) > 0)
    {
      char mnt[4096];
      size_t len;

      if (sscanf (line, "%*s %*s %*s %*s %4095s", mnt) != 1)
        continue;
      len = strlen (mnt);
      if (strncmp (path, mnt, len) != 0 || (path[len] != '/' && path[len] != '\0' && len > 1))
        continue;
      if (len >= best_len)
        {
          free (best);
          best = xstrdup (mnt);
          best_len = len;
        }
    }
  return best;
}

/* No mount namespace in the config: the mounts are made in a scratch
   one, so that none is made in the host's (runc makes them there and
   leaves them behind).  */
static int
enter_scratch_mntns (struct ocirt_rootfs_ctx *ctx, ocirt_error_t *err)
{
  ctx->host_mntns = open ("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (ctx->host_mntns < 0)
    return ocirt_error_make (err, errno, "open /proc/self/ns/mnt");
  if (unshare (CLONE_NEWNS) < 0)
    return ocirt_error_make (err, errno, "unshare a scratch mount namespace");
  return 0;
}

/* Back in the runtime's mount namespace, chrooted into a detached copy of
   the tree; the scratch namespace goes as we leave it.  */
static int
chroot_into_copy (struct ocirt_rootfs_ctx *ctx, ocirt_error_t *err)
{
  cleanup_close int host = ctx->host_mntns;

  ctx->host_mntns = -1;
  /* Held open while the copy is changed: closed, it is no longer a mount
     that mount_setattr takes (though it stays whole, under our root).  */
  ctx->copy_fd = syscall (SYS_open_tree, AT_FDCWD, ctx->rootfs,
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (ctx->copy_fd < 0)
    return ocirt_error_make (err, errno, "copy the mount tree of rootfs `%s`", ctx->rootfs);
  if (setns (host, CLONE_NEWNS) < 0)
    return ocirt_error_make (err, errno, "join the runtime's mount namespace");
  if (fchdir (ctx->copy_fd) < 0)
    return ocirt_error_make (err, errno, "chdir to the copy of rootfs `%s`", ctx->rootfs);
  if (chroot (".") < 0)
    return ocirt_error_make (err, errno, "chroot to the copy of rootfs `%s`", ctx->rootfs);
  if (chdir ("/") < 0)
    return ocirt_error_make (err, errno, "chdir /");
  return 0;
}

int
ocirt_mounts_prepare_rootfs (struct ocirt_rootfs_ctx *ctx, ocirt_error_t *err)
{
  const oci_spec *spec = ctx->spec;
  const oci_linux *lx = spec->linux;
  cleanup_close int rootfd = -1;
  unsigned long prop;
  bool have_ptmx = false;
  size_t i;

  if (!ctx->mountns && enter_scratch_mntns (ctx, err) < 0)
    return -1;
  /* Nothing mounted from here on may propagate back to the host.  */
  prop = propagation_flag (lx ? lx->rootfs_propagation : NULL, MS_SLAVE | MS_REC);
  if (prop == 0)
    return ocirt_error_make (err, 0, "invalid rootfsPropagation `%s`", lx->rootfs_propagation);
  /* The rootfs could not be bound from an unbindable tree: the root is
     made unbindable once it is in place (below).  */
  if (prop & MS_UNBINDABLE)
    prop = MS_PRIVATE | MS_REC;
  if (mount (NULL, "/", NULL, prop, NULL) < 0)
    return ocirt_error_make (err, errno, "set propagation of /");

  /* pivot_root refuses a new root that is shared or whose parent mount
     is, and the bind below is shared when the mount holding the rootfs
     is: / alone was changed, and the rootfs may be a shared mount point
     of its own.  Made a slave, it still receives from the host for a
     slave root; the root gets the propagation asked for once it is in
     place.  */
  if (!(prop & MS_REC) || (prop & MS_SHARED))
    {
      cleanup_free char *parent = mount_point_of (ctx->rootfs);
      unsigned long parent_prop = prop & MS_SHARED ? MS_PRIVATE : MS_SLAVE;

      if (parent && mount (NULL, parent, NULL, parent_prop, NULL) < 0)
        return ocirt_error_make (err, errno, "make `%s` %s", parent,
                                 parent_prop == MS_PRIVATE ? "private" : "a slave");
    }

  /* pivot_root needs the new root to be a mount point.  */
  if (mount (ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return ocirt_error_make (err, errno, "bind mount rootfs `%s`", ctx->rootfs);

  rootfd = open (ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return ocirt_error_make (err, errno, "open rootfs `%s`", ctx->rootfs);

  for (i = 0; i < spec->mounts_len; i++)
    {
      ocirt_debug ("mount %s on %s", spec->mounts[i]->source ? spec->mounts[i]->source : "",
                   spec->mounts[i]->destination ? spec->mounts[i]->destination : "");
      if (do_mount (ctx, rootfd, spec->mounts[i], ctx->idmap_fds ? ctx->idmap_fds[i] : -1,
                    ctx->source_fds ? ctx->source_fds[i] : -1, err)
          < 0)
        return -1;
    }

  if (!mounts_dev (spec))
    {
      if (ocirt_devices_create (rootfd, lx, ctx->userns, ctx->device_fds, err) < 0)
        return -1;
      for (i = 0; lx && i < lx->devices_len; i++)
        if (lx->devices[i]->path && strcmp (lx->devices[i]->path, "/dev/ptmx") == 0)
          have_ptmx = true;
      if (ocirt_devices_symlinks (rootfd, have_ptmx, err) < 0)
        return -1;
    }
  if (ctx->console_fd >= 0 && ocirt_devices_console (rootfd, ctx->console_fd, err) < 0)
    return -1;
  if (ctx->before_pivot && ctx->before_pivot (ctx->data, err) < 0)
    return -1;

  if (!ctx->mountns)
    return chroot_into_copy (ctx, err);
  if (ctx->no_pivot)
    return move_root (ctx->rootfs, err);
  return pivot (ctx->rootfs, err);
}

/* /dev/null of the container, checked to be the null device before any
   mask is made of it: a /dev/null swapped for a symlink or a file would
   turn a mask into a writable window on what it points at
   (CVE-2025-31133).  */
static int
open_null_device (ocirt_error_t *err)
{
  cleanup_close int fd = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat sb;

  if (fd < 0)
    return ocirt_error_make (err, errno, "open /dev/null to mask paths");
  if (fstat (fd, &sb) < 0)
    return ocirt_error_make (err, errno, "stat /dev/null");
  if (!S_ISCHR (sb.st_mode) || sb.st_rdev != makedev (1, 3))
    return ocirt_error_make (err, EPERM,
                             "/dev/null is not the null device (char 1:3): no path is masked with it");
  return steal_fd (&fd);
}

/* Every path is opened once, resolved inside the root without magic
   links, and the mask goes on that fd: a symlink swapped in later cannot
   move it.  */
/* maskedPaths and readonlyPaths are absolute paths in the container.  */
static int
check_absolute (const char *path, const char *what, ocirt_error_t *err)
{
  if (path[0] != '/')
    return ocirt_error_make (err, 0, "%s `%s` is not absolute", what, path);
  return 0;
}

/* NULLFD is opened on the first path there is to mask: a container whose
   /dev is hidden, with nothing to mask, needs no /dev/null.  */
static int
mask_path (int rootfd, int *nullfd, const char *path, ocirt_error_t *err)
{
  cleanup_close int target = ocirt_path_open_in_root (rootfd, path, O_PATH);
  cleanup_close int tree = -1;
  struct stat sb;

  if (target < 0)
    {
      if (errno == ENOENT)
        return 0;
      return ocirt_error_make (err, errno, "open masked path `%s`", path);
    }
  if (fstat (target, &sb) < 0)
    return ocirt_error_make (err, errno, "stat masked path `%s`", path);
  if (S_ISDIR (sb.st_mode))
    tree = ocirt_utils_fsmount_new ("tmpfs", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                                                 | MOUNT_ATTR_NOEXEC);
  else
    {
      if (*nullfd < 0 && (*nullfd = open_null_device (err)) < 0)
        return -1;
      tree = syscall (SYS_open_tree, *nullfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    }
  if (tree < 0)
    return ocirt_error_make (err, errno, "mask `%s`", path);
  return ocirt_mount_attach (tree, target, path, err);
}

/* A read-only copy of the mount tree at PATH, stacked on it: read-only
   from the first moment it is visible.  */
static int
readonly_path (int rootfd, const char *path, ocirt_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  cleanup_close int target = ocirt_path_open_in_root (rootfd, path, O_PATH);
  cleanup_close int tree = -1;

  if (target < 0)
    {
      if (errno == ENOENT)
        return 0;
      return ocirt_error_make (err, errno, "open read-only path `%s`", path);
    }
  tree = syscall (SYS_open_tree, target, "",
                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0)
    return ocirt_error_make (err, errno, "bind mount read-only path `%s`", path);
  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) == 0)
    return ocirt_mount_attach (tree, target, path, err);
  if (errno != ENOSYS)
    return ocirt_error_make (err, errno, "make `%s` read-only", path);
  /* Before Linux 5.12 (no mount_setattr; only such kernels get here): a
     detached tree cannot be remounted, so attach it first, then remount
     its top read-only as runc does, keeping nosuid, nodev, noexec and the
     atime mode it has.  Nothing runs in the container yet.  */
  if (ocirt_mount_attach (tree, target, path, err) < 0)
    return -1;
  return ocirt_mount_bind_remount (tree, ocirt_mount_locked_flags (tree) | MS_RDONLY, path, err);
}

/* mount_setattr on the fd needs no /proc, which the container may not
   have or may have hidden under a mount on "/"; it also serves a detached
   copy, which cannot be remounted.  Only kernels before 5.12 remount, by
   the path "/" as runc does: it names the root mount itself, the one FD
   is open on (a mount stacked on the root is not followed), so that
   needs no /proc either.  */
static int
make_root_readonly (int fd, ocirt_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

  if (syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof (attr)) == 0)
    return 0;
  if (errno != ENOSYS)
    return ocirt_error_make (err, errno, "make / read-only");
  return ocirt_mount_bind_remount_at ("/", fd, ocirt_mount_locked_flags (fd) | MS_RDONLY, "/ read-only",
                                      err);
}

int
ocirt_mounts_finalize_rootfs (struct ocirt_rootfs_ctx *ctx, ocirt_error_t *err)
{
  const oci_spec *spec = ctx->spec;
  const oci_linux *lx = spec->linux;
  size_t i;

  cleanup_close int rootfd = -1;
  cleanup_close int nullfd = -1;

  if (lx && (lx->masked_paths_len || lx->readonly_paths_len))
    {
      rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0)
        return ocirt_error_make (err, errno, "open /");
    }
  for (i = 0; lx && i < lx->masked_paths_len; i++)
    if (check_absolute (lx->masked_paths[i], "masked path", err) < 0
        || mask_path (rootfd, &nullfd, lx->masked_paths[i], err) < 0)
      return -1;
  for (i = 0; lx && i < lx->readonly_paths_len; i++)
    if (check_absolute (lx->readonly_paths[i], "read-only path", err) < 0
        || readonly_path (rootfd, lx->readonly_paths[i], err) < 0)
      return -1;

  if (spec->root && spec->root->readonly)
    {
      cleanup_close int fd = open ("/", O_PATH | O_CLOEXEC);

      if (fd < 0)
        return ocirt_error_make (err, errno, "open /");
      if (make_root_readonly (fd, err) < 0)
        return -1;
    }

  /* A detached copy shares with nothing.  */
  if (!ctx->mountns)
    {
      close (ctx->copy_fd);
      ctx->copy_fd = -1;
    }
  else if (lx && lx->rootfs_propagation && lx->rootfs_propagation[0])
    {
      unsigned long prop = propagation_flag (lx->rootfs_propagation, 0);

      if (mount (NULL, "/", NULL, prop, NULL) < 0)
        return ocirt_error_make (err, errno, "set propagation of / to %s", lx->rootfs_propagation);
    }
  return 0;
}
