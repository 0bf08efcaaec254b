/* The nodes of linux.devices for a container in a user namespace, which
   may not mknod: the runtime makes them on a tmpfs nobody sees and hands
   each over as a mount of its own.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "utils.h"

#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

/* The host id that container id ID maps to, or the kernel's overflow id
   (nobody) when it is not mapped.  */
static unsigned int
host_id (oci_id_mapping **maps, size_t n, unsigned int id)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (id >= maps[i]->container_id && id - maps[i]->container_id < maps[i]->size)
      return maps[i]->host_id + (id - maps[i]->container_id);
  return 65534;
}

/* linux.devices[I] made as the file named I on the tmpfs open at TMP;
   -1 with errno set.  */
static int
make_node (int tmp, size_t i, const oci_linux *lx)
{
  const oci_device *d = lx->devices[i];
  mode_t type, perm = d->file_mode_present ? (d->file_mode & 07777) : 0666;
  char name[32];

  if (ocirt_devices_type (d->type, &type) < 0)
    {
      errno = EINVAL;
      return -1;
    }
  snprintf (name, sizeof (name), "%zu", i);
  if (mknodat (tmp, name, type | perm, makedev (d->major, d->minor)) < 0
      || fchownat (tmp, name,
                   host_id (lx->uid_mappings, lx->uid_mappings_len, d->uid_present ? d->uid : 0),
                   host_id (lx->gid_mappings, lx->gid_mappings_len, d->gid_present ? d->gid : 0),
                   AT_SYMLINK_NOFOLLOW)
             < 0
      /* mknod is subject to the umask; the config's mode is exact.  */
      || fchmodat (tmp, name, perm, 0) < 0)
    return -1;
  return 0;
}

/* Close the N fds at FDS, leaving -1s.  */
static void
close_all (int *fds, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    close_fd (&fds[i]);
}

/* A detached mount of the node I on the tmpfs at TMP; -1 with errno set.  */
static int
clone_node (int tmp, size_t i)
{
  char name[32];

  snprintf (name, sizeof (name), "%zu", i);
  return syscall (SYS_open_tree, tmp, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
}

/* The helper of clone_in_private_ns: attaches the tmpfs in a mount
   namespace of its own, where the kernel lets it clone the nodes, and
   sends each clone (or "n" for a node MADE says is not there).  Exits
   with an errno.  */
static void __attribute__ ((noreturn)) send_clones (int tmp, const bool *made, size_t n, int sock)
{
  size_t i;

  /* Private first: the attach must not reach the runtime's namespace.  */
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || syscall (SYS_move_mount, tmp, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
    _exit (errno);
  for (i = 0; i < n; i++)
    {
      cleanup_close int fd = made[i] ? clone_node (tmp, i) : -1;

      if (fd >= 0 ? ocirt_utils_send_fd (sock, fd, "f", 1) < 0 : send (sock, "n", 1, MSG_NOSIGNAL) < 0)
        _exit (errno);
    }
  _exit (0);
}

/* Before 6.15 the kernel clones no file of a mount that is attached
   nowhere (EINVAL): a helper process attaches the tmpfs at TMP in a
   namespace of its own and clones the nodes there.  Fills FDS; -1 with
   errno set when the helper could not.  */
static int
clone_in_private_ns (int tmp, const bool *made, int *fds, size_t n)
{
  cleanup_close int mine = -1;
  cleanup_close int theirs = -1;
  int sv[2], status;
  pid_t helper;
  size_t i;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return -1;
  mine = sv[0];
  theirs = sv[1];
  helper = fork ();
  if (helper < 0)
    return -1;
  if (helper == 0)
    send_clones (tmp, made, n, theirs);
  close_fd (&theirs);
  for (i = 0; i < n; i++)
    {
      char c = 0;

      fds[i] = ocirt_utils_recv_fd (mine, &c, 1);
      if (fds[i] < 0 && c != 'n')
        break;
    }
  if (ocirt_utils_waitpid (helper, &status, 0) < 0)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      errno = WIFEXITED (status) ? WEXITSTATUS (status) : EINTR;
      return -1;
    }
  return 0;
}

/* Clones of the nodes MADE on the tmpfs at TMP into FDS, all -1 on the
   way in (and where there is no clone); -1 with errno set when none
   could be cloned.  */
static int
clone_nodes (int tmp, const bool *made, int *fds, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      fds[i] = made[i] ? clone_node (tmp, i) : -1;
      if (made[i] && fds[i] < 0 && errno == EINVAL)
        break;
    }
  if (i == n)
    return 0;
  close_all (fds, n);
  return clone_in_private_ns (tmp, made, fds, n);
}

void
ocirt_devices_precreate (const oci_linux *lx, int **fds_out)
{
  cleanup_close int tmp = -1;
  cleanup_free bool *made = NULL;
  int *fds;
  size_t i;

  *fds_out = NULL;
  if (lx == NULL || lx->devices_len == 0)
    return;
  /* Seen by nobody: only the nodes' own mounts keep it.  */
  tmp = ocirt_utils_fsmount_new ("tmpfs", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  if (tmp < 0)
    {
      ocirt_debug ("no tmpfs for the devices of the user namespace: %s", strerror (errno));
      return;
    }
  made = xmalloc0 (lx->devices_len * sizeof (*made));
  for (i = 0; i < lx->devices_len; i++)
    {
      made[i] = make_node (tmp, i, lx) == 0;
      if (!made[i])
        ocirt_debug ("make device `%s` for the user namespace: %s", lx->devices[i]->path,
                     strerror (errno));
    }
  fds = xmalloc (lx->devices_len * sizeof (*fds));
  for (i = 0; i < lx->devices_len; i++)
    fds[i] = -1;
  if (clone_nodes (tmp, made, fds, lx->devices_len) < 0)
    {
      ocirt_debug ("hand the devices made for the user namespace over: %s", strerror (errno));
      close_all (fds, lx->devices_len);
    }
  *fds_out = fds;
}
