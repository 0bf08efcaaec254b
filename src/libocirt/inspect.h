/* `inspect`: what isolates a container, read from the kernel.  */
#ifndef OCIRT_INSPECT_H
#define OCIRT_INSPECT_H

#include <stdio.h>

#include "error.h"
#include "oci_types.h"
#include "utils.h"

DEFINE_TRIVIAL_CLEANUP_FUNC (oci_inspect *, free_oci_inspect)
#define cleanup_inspect __attribute__ ((cleanup (free_oci_inspectp)))

/* The inspect document of ID, a container of ROOT that is created,
   running or paused.  */
oci_inspect *ocirt_inspect_container (const char *root, const char *id, ocirt_error_t *err);

#endif
