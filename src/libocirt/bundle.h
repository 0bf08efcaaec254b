/* Loading and checking config.json before anything is created.  */
#ifndef OCIRT_BUNDLE_H
#define OCIRT_BUNDLE_H

#include "error.h"
#include "namespaces.h" /* ocirt_ns_in_config */
#include "oci_types.h"
#include "utils.h"

/* Parse CONFIG_PATH (NULL: BUNDLE/config.json).  */
oci_spec *ocirt_bundle_load_config (const char *bundle, const char *config_path, ocirt_error_t *err);
DEFINE_TRIVIAL_CLEANUP_FUNC (oci_spec *, free_oci_spec)
#define cleanup_spec __attribute__ ((cleanup (free_oci_specp)))

/* The checks a careful runtime makes before it creates anything.  */
int ocirt_bundle_validate_config (const oci_spec *spec, ocirt_error_t *err);

/* The absolute rootfs path: root.path, relative to BUNDLE when relative.  */
char *ocirt_bundle_rootfs (const oci_spec *spec, const char *bundle, ocirt_error_t *err);

#endif
