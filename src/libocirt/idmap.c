#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "idmap.h"
#include "mount_fd.h"
#include "mount_options.h"
#include "namespaces.h"
#include "utils.h"

bool
ocirt_idmap_wanted (const oci_mount *m)
{
  size_t i;

  if (m->uid_mappings_len || m->gid_mappings_len)
    return true;
  for (i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], "idmap") == 0 || strcmp (m->options[i], "ridmap") == 0)
      return true;
  return false;
}

static bool
mount_is_bind (const oci_mount *m, const struct ocirt_mount_flags *f)
{
  return (f->flags & MS_BIND) || (m->type && strcmp (m->type, "bind") == 0);
}

int
ocirt_idmap_validate (const oci_spec *spec, ocirt_error_t *err)
{
  const oci_linux *lx = spec->linux;
  size_t i;

  for (i = 0; i < spec->mounts_len; i++)
    {
      const oci_mount *m = spec->mounts[i];
      struct ocirt_mount_flags f;
      bool bind;

      if (!ocirt_idmap_wanted (m))
        continue;
      if (!m->uid_mappings_len != !m->gid_mappings_len)
        return ocirt_error_make (
            err, 0, "config.json: mounts[%zu] (%s): uidMappings and gidMappings must be given together",
            i, m->destination);
      ocirt_mount_options_parse (m->options, m->options_len, &f);
      bind = mount_is_bind (m, &f);
      ocirt_mount_flags_release (&f);
      if (!bind)
        return ocirt_error_make (err, 0,
                                 "config.json: mounts[%zu] (%s): idmapped mounts need a bind mount", i,
                                 m->destination);
      if (m->uid_mappings_len == 0
          && (lx == NULL || lx->uid_mappings_len == 0 || lx->gid_mappings_len == 0))
        return ocirt_error_make (err, 0,
                                 "config.json: mounts[%zu] (%s): idmap without uidMappings/gidMappings "
                                 "needs the container's user namespace mappings",
                                 i, m->destination);
    }
  return 0;
}

static bool
same_mappings (oci_id_mapping **a, size_t na, oci_id_mapping **b, size_t nb)
{
  size_t i;

  if (na != nb)
    return false;
  for (i = 0; i < na; i++)
    if (a[i]->container_id != b[i]->container_id || a[i]->host_id != b[i]->host_id
        || a[i]->size != b[i]->size)
      return false;
  return true;
}

/* The child of userns_with_mapping: report whether unshare worked, then
   wait until the runtime holds the namespace.  */
static void __attribute__ ((noreturn)) userns_child (int ready_w, int hold_r, int hold_w)
{
  char c = unshare (CLONE_NEWUSER) == 0 ? 'y' : 'n';

  if (write (ready_w, &c, 1) != 1)
    _exit (1);
  close (hold_w);
  if (read (hold_r, &c, 1) < 0)
    _exit (1);
  _exit (0);
}

/* Once the child PID says it has unshared: write its maps and open its
   user namespace.  */
static int
open_mapped_userns (pid_t pid, int ready_r, oci_id_mapping **uids, size_t nuid, oci_id_mapping **gids,
                    size_t ngid, ocirt_error_t *err)
{
  char path[64], c = 0;
  int fd;

  if (read (ready_r, &c, 1) != 1 || c != 'y')
    return ocirt_error_make (err, EPERM, "unshare a user namespace for an idmapped mount");
  if (ocirt_ns_write_mapping (pid, "uid_map", uids, nuid, err) < 0
      || ocirt_ns_write_mapping (pid, "gid_map", gids, ngid, err) < 0)
    return -1;
  snprintf (path, sizeof (path), "/proc/%d/ns/user", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ocirt_error_make (err, errno, "open %s", path);
  return fd;
}

/* A user namespace holding the mapping: a short-lived child unshares it,
   the runtime writes the maps and keeps the namespace open by fd.  */
static int
userns_with_mapping (oci_id_mapping **uids, size_t nuid, oci_id_mapping **gids, size_t ngid,
                     ocirt_error_t *err)
{
  cleanup_close int ready_r = -1, ready_w = -1, hold_r = -1, hold_w = -1;
  int pipes[2][2], fd;
  pid_t pid;

  if (pipe2 (pipes[0], O_CLOEXEC) < 0)
    return ocirt_error_make (err, errno, "pipe for the idmap user namespace");
  ready_r = pipes[0][0];
  ready_w = pipes[0][1];
  if (pipe2 (pipes[1], O_CLOEXEC) < 0)
    return ocirt_error_make (err, errno, "pipe for the idmap user namespace");
  hold_r = pipes[1][0];
  hold_w = pipes[1][1];

  pid = fork ();
  if (pid < 0)
    return ocirt_error_make (err, errno, "fork for the idmap user namespace");
  if (pid == 0)
    userns_child (ready_w, hold_r, hold_w);
  close_fd (&ready_w);
  close_fd (&hold_r);
  fd = open_mapped_userns (pid, ready_r, uids, nuid, gids, ngid, err);
  /* The child ends when the pipe closes.  */
  close_fd (&hold_w);
  ocirt_utils_waitpid (pid, NULL, 0);
  return fd;
}

static const char *
fs_name (long type, char *buf, size_t size)
{
  switch (type)
    {
    case TMPFS_MAGIC:
      return "tmpfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlay";
    case NFS_SUPER_MAGIC:
      return "nfs";
    default:
      snprintf (buf, size, "filesystem type 0x%lx", (unsigned long) type);
      return buf;
    }
}

/* Say which kernel feature is missing: the kernel answers ENOSYS without
   mount_setattr, and EINVAL for a filesystem it cannot idmap (tmpfs
   before Linux 6.3, for one).  */
static int
idmap_error (ocirt_error_t *err, int status, int tree, bool recursive, const char *source,
             const char *dest)
{
  struct statfs sf;
  char buf[64];

  if (status == ENOSYS)
    return ocirt_error_make (err, status,
                             "idmapped mount of `%s` on %s: this kernel has no idmapped mounts "
                             "(mount_setattr, Linux 5.12)",
                             source, dest);
  if (status == EINVAL && fstatfs (tree, &sf) == 0)
    return ocirt_error_make (err, status, "idmap the mount `%s` on %s: this kernel cannot idmap %s%s",
                             source, dest, fs_name (sf.f_type, buf, sizeof (buf)),
                             recursive ? " or a filesystem mounted below it" : "");
  return ocirt_error_make (err, status, "idmap the mount `%s` on %s", source, dest);
}

/* A detached copy of SOURCE with the mapping of the user namespace USERNS
   applied (to every mount below it too with RECURSIVE).  */
static int
idmapped_tree (const char *source, bool rbind, bool recursive, int userns, const char *dest,
               ocirt_error_t *err)
{
  struct mount_attr attr = {
    .attr_set = MOUNT_ATTR_IDMAP,
    .userns_fd = (uint64_t) userns,
  };
  cleanup_close int tree = -1;

  tree = syscall (SYS_open_tree, AT_FDCWD, source,
                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rbind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return ocirt_error_make (err, errno, "open_tree `%s` for the idmapped mount on %s", source, dest);
  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
               sizeof (attr))
      < 0)
    return idmap_error (err, errno, tree, recursive, source, dest);
  return steal_fd (&tree);
}

void
ocirt_idmap_release (int *fds, size_t n)
{
  ocirt_mount_fds_release (fds, n);
}

/* The user namespace of the last mapping: mounts sharing a mapping share
   one.  */
struct userns_cache
{
  int fd;
  oci_id_mapping **uids, **gids;
  size_t nuid, ngid;
};

static void
userns_cache_release (struct userns_cache *c)
{
  close_fd (&c->fd);
}

static int
userns_for (struct userns_cache *c, oci_id_mapping **uids, size_t nuid, oci_id_mapping **gids,
            size_t ngid, ocirt_error_t *err)
{
  if (c->fd >= 0 && same_mappings (uids, nuid, c->uids, c->nuid)
      && same_mappings (gids, ngid, c->gids, c->ngid))
    return c->fd;
  close_fd (&c->fd);
  c->fd = userns_with_mapping (uids, nuid, gids, ngid, err);
  if (c->fd < 0)
    return -1;
  c->uids = uids, c->nuid = nuid, c->gids = gids, c->ngid = ngid;
  return c->fd;
}

/* The idmapped tree of the mount M, for a user namespace from C.  */
static int
idmapped_mount (const oci_mount *m, const oci_linux *lx, const char *bundle, struct userns_cache *c,
                ocirt_error_t *err)
{
  oci_id_mapping **uids = m->uid_mappings, **gids = m->gid_mappings;
  size_t nuid = m->uid_mappings_len, ngid = m->gid_mappings_len;
  cleanup_free char *source = NULL;
  struct ocirt_mount_flags f;
  bool rbind, recursive;
  int userns;

  if (nuid == 0)
    {
      /* Validated: the container's own mappings exist.  */
      uids = lx->uid_mappings;
      nuid = lx->uid_mappings_len;
      gids = lx->gid_mappings;
      ngid = lx->gid_mappings_len;
    }
  userns = userns_for (c, uids, nuid, gids, ngid, err);
  if (userns < 0)
    return -1;
  ocirt_mount_options_parse (m->options, m->options_len, &f);
  rbind = (f.flags & MS_REC) != 0;
  /* ridmap maps every mount of the tree; idmap the top one only.  A
     mapping without either option follows the bind.  */
  recursive = f.ridmap || (!f.idmap && rbind);
  ocirt_mount_flags_release (&f);
  source = m->source && m->source[0] == '/' ? xstrdup (m->source)
                                            : xasprintf ("%s/%s", bundle, m->source ? m->source : "");
  return idmapped_tree (source, rbind, recursive, userns, m->destination, err);
}

/* What ocirt_idmap_prepare has made so far.  */
struct idmap_fds
{
  int *fds;
  size_t n;
};

static void
idmap_fds_release (struct idmap_fds *f)
{
  ocirt_idmap_release (f->fds, f->n);
}

int
ocirt_idmap_prepare (const oci_spec *spec, const char *bundle, int **fds_out, ocirt_error_t *err)
{
  __attribute__ ((cleanup (userns_cache_release))) struct userns_cache cache = { .fd = -1 };
  __attribute__ ((cleanup (idmap_fds_release))) struct idmap_fds made = { NULL, spec->mounts_len };
  size_t i, j;

  *fds_out = NULL;
  for (i = 0; i < spec->mounts_len; i++)
    {
      if (!ocirt_idmap_wanted (spec->mounts[i]))
        continue;
      if (made.fds == NULL)
        {
          made.fds = xmalloc0 (spec->mounts_len * sizeof (*made.fds));
          for (j = 0; j < spec->mounts_len; j++)
            made.fds[j] = -1;
        }
      made.fds[i] = idmapped_mount (spec->mounts[i], spec->linux, bundle, &cache, err);
      if (made.fds[i] < 0)
        return -1;
    }
  *fds_out = steal_pointer (&made.fds);
  return 0;
}

int
ocirt_idmap_kernel_can (bool tmpfs)
{
  oci_id_mapping uid = { .container_id = 0, .host_id = getuid (), .size = 1 };
  oci_id_mapping gid = { .container_id = 0, .host_id = getgid (), .size = 1 };
  oci_id_mapping *uids[] = { &uid }, *gids[] = { &gid };
  cleanup_close int tree = -1, userns = -1;
  cleanup_error ocirt_error_t err = NULL;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };

  /* Without mount_setattr (before Linux 5.12) ENOSYS, else a complaint
     about the size.  */
  if (syscall (SYS_mount_setattr, -1, "", AT_EMPTY_PATH, NULL, 0) < 0 && errno == ENOSYS)
    return 0;
  if (!tmpfs)
    return 1;
  /* The probe needs the privilege to mount a tmpfs and map ids.  */
  tree = ocirt_utils_fsmount_new ("tmpfs", 0);
  if (tree >= 0)
    userns = userns_with_mapping (uids, 1, gids, 1, &err);
  if (userns < 0)
    return -1;
  attr.userns_fd = (uint64_t) userns;
  return syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof (attr)) == 0;
}
