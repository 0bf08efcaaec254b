/* Capabilities: the five sets, applied around the switch of user.  */
#ifndef OCIRT_CAPABILITIES_H
#define OCIRT_CAPABILITIES_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "oci_types.h"

struct ocirt_caps
{
  bool present; /* the config has a capabilities object */
  uint64_t bounding, effective, permitted, inheritable, ambient;
};

/* Translate names to bits; unknown names are warned about and skipped.  */
void ocirt_caps_from_config (const oci_capabilities *c, struct ocirt_caps *out);

/* Before the user switch: shrink the bounding set and keep the permitted
   set across setuid.  */
int ocirt_caps_prepare (const struct ocirt_caps *caps, ocirt_error_t *err);

/* After the user switch: set effective, permitted and inheritable, then
   raise the ambient set.  */
int ocirt_caps_apply (const struct ocirt_caps *caps, ocirt_error_t *err);

/* Capability names this build knows, for `features`.  Returns the count. */
int ocirt_caps_known (const char ***names);

#endif
