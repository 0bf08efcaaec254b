/* Limits and device rules: what cgroupfs and the systemd driver share.  */
#ifndef OCIRT_CGROUP_RESOURCES_H
#define OCIRT_CGROUP_RESOURCES_H

#include <stdbool.h>

#include "error.h"
#include "oci_types.h"

/* Every device rule of the container in the text of v1's devices.allow
   and devices.deny, in order: linux.resources.devices, the defaults every
   container gets, an allow for each linux.devices entry.  FN is called
   for each; LX must have resources with devices.  */
typedef int (*ocirt_device_rule_fn) (void *data, bool allow, const char *rule, ocirt_error_t *err);
int ocirt_cgroup_device_rules (const oci_linux *lx, ocirt_device_rule_fn fn, void *data,
                               ocirt_error_t *err);

#endif
