/* Device nodes and the standard /dev links in the container.  */
#ifndef OCIRT_DEVICES_H
#define OCIRT_DEVICES_H

#include <stdbool.h>

#include "error.h"
#include "oci_types.h"

/* Create the default devices and those of the config below ROOTFD, by mknod,
   or by bind mounts from the host when in a user namespace.  */
int ocirt_devices_create (int rootfd, const oci_linux *linux_cfg, bool userns, ocirt_error_t *err);

/* /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/ptmx.  */
int ocirt_devices_symlinks (int rootfd, bool have_ptmx_device, ocirt_error_t *err);

/* Bind the pty slave at CONSOLE_FD onto /dev/console.  */
int ocirt_devices_console (int rootfd, int console_fd, ocirt_error_t *err);

#endif
