/* The hooks the runtime itself runs for a container, and those saved for start and delete.  */
#ifndef OCIRT_CONTAINER_HOOKS_H
#define OCIRT_CONTAINER_HOOKS_H

#include <stdbool.h>

#include "error.h"
#include "oci_types.h"
#include "state_record.h"

/* Whether SPEC has hooks the runtime runs while the container process
   waits before pivot_root (prestart, createRuntime).  */
bool ocirt_container_hooks_at_create (const oci_spec *spec);

/* OCIRT_HOOKS_FILE in DIRFD: the hooks later commands run, with the
   annotations their state shows, when SPEC has any.  */
int ocirt_container_hooks_save (int dirfd, const oci_spec *spec, ocirt_error_t *err);

/* The poststart and poststop hooks of a container made by an earlier
   command, in *SPEC: from OCIRT_HOOKS_FILE (NULL when there is none: no
   such hooks), or from the config for a state written before that file
   existed.  */
int ocirt_container_hooks_load (int dirfd, const struct ocirt_container_state *st, oci_spec **spec,
                                ocirt_error_t *err);

/* poststart: a failure stops the container and is reported.  */
int ocirt_container_hooks_poststart (const struct ocirt_container_state *st, const oci_spec *spec,
                                     ocirt_error_t *err);

/* poststop: after the container is gone; a failure is only logged.  */
void ocirt_container_hooks_poststop (const struct ocirt_container_state *st, const oci_spec *spec);

#endif
