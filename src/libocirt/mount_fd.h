/* The mount primitive below the rootfs, the devices and the cgroupfs
   mount: mounting on a file or directory open as an fd.  */
#ifndef OCIRT_MOUNT_FD_H
#define OCIRT_MOUNT_FD_H

#include "error.h"

/* Mount SOURCE on the directory or file open at TARGET_FD.  */
int ocirt_mount_on_fd (const char *source, int target_fd, const char *fstype, unsigned long flags,
                       const char *data, const char *what, ocirt_error_t *err);

#endif
