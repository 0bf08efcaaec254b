/* Device nodes and the standard /dev links in the container.  */
#ifndef OCIRT_DEVICES_H
#define OCIRT_DEVICES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_types.h"

/* Create the default devices and those of the config below ROOTFD, by
   mknod, or in a user namespace, which may not mknod, by mounts: the nodes
   the runtime made for linux.devices (DEVICE_FDS, from
   ocirt_devices_precreate; may be NULL), else bind mounts of the host's
   nodes, nosuid and noexec as crun makes them.  */
int ocirt_devices_create (int rootfd, const oci_linux *linux_cfg, bool userns, const int *device_fds,
                          ocirt_error_t *err);

/* The paths of the device nodes ocirt_devices_create makes, the default
   ones the config does not override and those of linux.devices (without
   trailing slashes); *N of them, each and the array to free.  */
char **ocirt_devices_paths (const oci_linux *linux_cfg, size_t *n);

/* The file type of a linux.devices type ("c", "u", "b", "p") in *OUT;
   -1 for anything else.  */
int ocirt_devices_type (const char *type, mode_t *out);

/* In the runtime, before the container process is cloned into a user
   namespace: each node of linux.devices made on a tmpfs of its own
   (nosuid, noexec), owned by the host ids its uid and gid map to, as a
   detached mount (devices_userns.c).  *FDS gets devices_len entries, -1 where a node could
   not be made (the container binds the host's node then), or stays NULL
   when there are none, or the runtime may not make nodes (rootless).
   ocirt_mount_fds_release frees it.  */
void ocirt_devices_precreate (const oci_linux *linux_cfg, int **fds);

/* /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/ptmx.  */
int ocirt_devices_symlinks (int rootfd, bool have_ptmx_device, ocirt_error_t *err);

/* Bind the pty slave at CONSOLE_FD onto /dev/console.  */
int ocirt_devices_console (int rootfd, int console_fd, ocirt_error_t *err);

#endif
