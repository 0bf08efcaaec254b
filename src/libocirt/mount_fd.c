#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mount_fd.h"
#include "path.h"

int
ocirt_mount_on_fd (const char *source, int target_fd, const char *fstype, unsigned long flags,
                   const char *data, const char *what, ocirt_error_t *err)
{
  char target[64];

  if (mount (source, ocirt_path_of_fd (target, sizeof (target), target_fd), fstype, flags, data) < 0)
    return ocirt_error_make (err, errno, "mount %s on %s", source && *source ? source : fstype, what);
  return 0;
}

int
ocirt_mount_attach (int tree, int target, const char *what, ocirt_error_t *err)
{
  if (syscall (SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
      == 0)
    return 0;
  return ocirt_error_make (err, errno, "mount on %s", what);
}

void
ocirt_mount_fds_release (int *fds, size_t n)
{
  size_t i;

  for (i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}

unsigned long
ocirt_mount_locked_flags (int fd)
{
  struct statvfs sv;
  unsigned long f = 0;

  if (fstatvfs (fd, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY)
    f |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

int
ocirt_mount_bind_remount_at (const char *path, int fd, unsigned long flags, const char *what,
                             ocirt_error_t *err)
{
  if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | (flags & OCIRT_REMOUNT_FLAGS), NULL) == 0)
    return 0;
  if (errno == EPERM)
    {
      unsigned long keep = ocirt_mount_locked_flags (fd) & ~MS_RDONLY;
      if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | ((flags | keep) & OCIRT_REMOUNT_FLAGS), NULL)
          == 0)
        return 0;
    }
  return ocirt_error_make (err, errno, "remount %s", what);
}

int
ocirt_mount_bind_remount (int fd, unsigned long flags, const char *what, ocirt_error_t *err)
{
  char path[64];

  return ocirt_mount_bind_remount_at (ocirt_path_of_fd (path, sizeof (path), fd), fd, flags, what, err);
}
