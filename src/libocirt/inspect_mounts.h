/* The mounts of a container's init (its mountinfo) against config.json's
   mounts: the root, and what is not as the config has it.  */
#ifndef OCIRT_INSPECT_MOUNTS_H
#define OCIRT_INSPECT_MOUNTS_H

#include <stdbool.h>

#include "error.h"
#include "oci_types.h"

/* One line of mountinfo, its strings pointing into LINE (unescaped in
   place).  */
struct ocirt_inspect_mountinfo
{
  char *mount_point;
  char *options; /* the mount's own: "rw,nosuid" */
  char *type;
  char *source;
};

/* Parse one mountinfo line in place.  */
bool ocirt_inspect_mounts_parse_line (char *line, struct ocirt_inspect_mountinfo *out);

/* A destination as mountinfo writes it: slashes folded, no trailing one.
   Malloc'd.  */
char *ocirt_inspect_mounts_clean_path (const char *path);

/* DOC->root (ROOTFS its path) and DOC->mounts from MOUNTINFO, the text of
   the init's mountinfo, against SPEC's mounts (NULL: no comparison, every
   mount is listed as added).  */
int ocirt_inspect_mounts_fill (const char *mountinfo, const oci_spec *spec, const char *rootfs,
                               oci_inspect *doc, ocirt_error_t *err);

#endif
