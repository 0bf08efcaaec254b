/* The container's cgroup directories and the limits in effect there, as
   the kernel's files hold them, for `inspect`.  */
#ifndef OCIRT_INSPECT_CGROUP_H
#define OCIRT_INSPECT_CGROUP_H

#include "error.h"
#include "oci_types.h"
#include "state_record.h"

/* The limit files inspect shows, in the order it shows them; NULL-ended. */
extern const char *const ocirt_inspect_cgroup_files[];

/* DOC->cgroups: one entry per directory of ST's cgroup, with the limit
   files that exist in it.  */
int ocirt_inspect_cgroup_fill (const struct ocirt_container_state *st, oci_inspect *doc,
                               ocirt_error_t *err);

#endif
