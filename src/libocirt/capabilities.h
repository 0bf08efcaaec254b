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
   raise the ambient set.  EXTRA is added to the effective and permitted
   sets only: execve computes both anew from the bounding, inheritable and
   ambient sets (and the file's), so what EXTRA grants ends at exec.  */
int ocirt_caps_apply (const struct ocirt_caps *caps, uint64_t extra, ocirt_error_t *err);

/* No capabilities object, a user other than root: what the switch of user
   leaves, the inheritable and bounding sets, made explicit so that EXTRA
   can be kept across it.  */
int ocirt_caps_of_plain_user (struct ocirt_caps *caps, ocirt_error_t *err);

/* Capability names this build knows, for `features`.  Returns the count. */
int ocirt_caps_known (const char ***names);

#endif
