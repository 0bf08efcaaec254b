/* The container's rootfs: its mounts in order, pivot_root, masked and
   read-only paths.  Runs in the container process, in its mount namespace. */
#ifndef OCIRT_MOUNTS_H
#define OCIRT_MOUNTS_H

#include <stdbool.h>

#include "cgroup.h"
#include "error.h"
#include "oci_types.h"

struct ocirt_rootfs_ctx
{
  const oci_spec *spec;
  const char *rootfs; /* absolute host path */
  const char *bundle; /* absolute host path, for relative mount sources */
  const struct ocirt_cgroup *cgroup;
  bool userns; /* in a new user namespace: bind devices, keep locked flags */
  bool cgroupns;
  bool no_pivot;
  bool mountns;         /* the container has a mount namespace of its own */
  int host_mntns;       /* without one: the runtime's, to come back to */
  int copy_fd;          /* and the detached copy of the tree, until finalized */
  int console_fd;       /* the pty slave for /dev/console, or -1 */
  const int *idmap_fds; /* per mount: a detached idmapped tree, or -1; may be NULL */
  /* Called once every mount is in place, before pivot_root.  */
  int (*before_pivot) (void *data, ocirt_error_t *err);
  void *data;
};

/* Everything up to and including pivot_root.  Afterwards "/" is the
   container's root.  Without a mount namespace of its own, the container
   stays in the runtime's: its tree is built in a scratch namespace, and
   the container is chrooted into a detached copy of it, which the host
   never sees and which goes with the container's last process.  */
int ocirt_mounts_prepare_rootfs (struct ocirt_rootfs_ctx *ctx, ocirt_error_t *err);

/* After pivot_root: masked and read-only paths, read-only root.  */
int ocirt_mounts_finalize_rootfs (struct ocirt_rootfs_ctx *ctx, ocirt_error_t *err);

#endif
