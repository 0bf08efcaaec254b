/* The cgroupfs mount inside the container's rootfs: above both the
   cgroup code and the mount primitives.  */
#ifndef OCIRT_CGROUP_MOUNT_H
#define OCIRT_CGROUP_MOUNT_H

#include <stdbool.h>

#include "cgroup.h"
#include "error.h"

/* Mount the container's view of cgroups at TARGET_FD (a directory in the
   rootfs), read-only when RDONLY.  */
int ocirt_cgroup_mount (const struct ocirt_cgroup *cg, int rootfd, const char *dest, unsigned long flags,
                        bool cgroupns, ocirt_error_t *err);

#endif
