/* OCI hooks: programs run at fixed points of the lifecycle, each given the
   container's state on stdin.  */
#ifndef OCIRT_HOOKS_H
#define OCIRT_HOOKS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_types.h"

/* Run HOOKS in order; the first failure (exit status, signal, timeout)
   stops the run and is returned.  KIND names them in messages.  */
int ocirt_hooks_run (oci_hook **hooks, size_t n, const char *kind, const char *state_json,
                     ocirt_error_t *err);

/* Run every one of HOOKS; each failure is only logged as a warning and
   the next hook still runs (poststop, lifecycle step 13).  */
void ocirt_hooks_run_all (oci_hook **hooks, size_t n, const char *kind, const char *state_json);

/* The state document given to hooks.  */
char *ocirt_hooks_state (const oci_spec *spec, const char *id, pid_t pid, const char *bundle,
                         const char *status);

bool ocirt_hooks_any (const oci_hooks *h);

#endif
