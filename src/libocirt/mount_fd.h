/* The mount primitive below the rootfs, the devices and the cgroupfs
   mount: mounting on a file or directory open as an fd.  */
#ifndef OCIRT_MOUNT_FD_H
#define OCIRT_MOUNT_FD_H

#include <stddef.h>
#include <sys/mount.h>

#include "error.h"

/* The flags a bind remount takes.  */
#define OCIRT_REMOUNT_FLAGS                                                                             \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME              \
   | MS_STRICTATIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | 256 /* MS_NOSYMFOLLOW */)

/* Mount SOURCE on the directory or file open at TARGET_FD.  */
int ocirt_mount_on_fd (const char *source, int target_fd, const char *fstype, unsigned long flags,
                       const char *data, const char *what, ocirt_error_t *err);

/* Attach the detached mount TREE (open_tree, fsmount) on the file or
   directory open at TARGET.  */
int ocirt_mount_attach (int tree, int target, const char *what, ocirt_error_t *err);

/* Close the fds of an array of N (-1 for none) and free it: detached
   mounts or mount sources, one per mount or device.  */
void ocirt_mount_fds_release (int *fds, size_t n);

/* The flags of the mount at FD that matter for a bind remount, among them
   those the kernel may have locked (a user namespace may not clear them). */
unsigned long ocirt_mount_locked_flags (int fd);

/* Remount the bind mount at FD with FLAGS, keeping what the kernel locked;
   it is reached through /proc/self/fd.  */
int ocirt_mount_bind_remount (int fd, unsigned long flags, const char *what, ocirt_error_t *err);

/* The same for the mount at PATH, which FD is open on: for / after the
   root changed, where the container's /proc may be missing.  */
int ocirt_mount_bind_remount_at (const char *path, int fd, unsigned long flags, const char *what,
                                 ocirt_error_t *err);

#endif
