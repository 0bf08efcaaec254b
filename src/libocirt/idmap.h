/* idmapped bind mounts: a mount whose file owners are seen through an id
   mapping (mount_setattr MOUNT_ATTR_IDMAP, Linux 5.12).  */
#ifndef OCIRT_IDMAP_H
#define OCIRT_IDMAP_H

#include <stdbool.h>

#include "error.h"
#include "oci_types.h"

/* Whether mounts[I] asks for an idmapped mount (the idmap or ridmap
   option, or uidMappings/gidMappings).  */
bool ocirt_idmap_wanted (const oci_mount *m);

/* The rules of the spec: mappings come in pairs, only bind mounts, and
   without mappings of its own a mount borrows the container's user
   namespace mappings, which must then exist.  */
int ocirt_idmap_validate (const oci_spec *spec, ocirt_error_t *err);

/* In the runtime, before the container process is cloned: for every mount
   that asks for it, a detached copy of its source with the mapping
   applied, ready for move_mount.  *FDS gets spec->mounts_len entries (-1
   where no idmap is asked for), or NULL when no mount asks.  The tree is
   made in the runtime because a container in a user namespace no longer
   has the privilege over the source filesystem that MOUNT_ATTR_IDMAP
   needs.  */
int ocirt_idmap_prepare (const oci_spec *spec, const char *bundle, int **fds, ocirt_error_t *err);

/* 1 when this kernel makes idmapped mounts (Linux 5.12), 0 when not; with
   TMPFS, of a tmpfs (Linux 6.3), and -1 when the caller may not try.  */
int ocirt_idmap_kernel_can (bool tmpfs);

/* Close and free what ocirt_idmap_prepare made.  */
void ocirt_idmap_release (int *fds, size_t n);

#endif
