/* The commands that work on a container's cgroup: pause, resume, ps,
   update, events.  */
#ifndef OCIRT_CONTAINER_CGROUP_H
#define OCIRT_CONTAINER_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"
#include "oci_types.h"
#include "utils.h"

int ocirt_container_pause (const char *root, const char *id, ocirt_error_t *err);
int ocirt_container_resume (const char *root, const char *id, ocirt_error_t *err);

/* Pids of the container's cgroup; returns the count, -1 on error.  */
int ocirt_container_pids (const char *root, const char *id, pid_t **pids, ocirt_error_t *err);

/* Write RES (a linux.resources document) to the container's cgroup.  */
int ocirt_container_update (const char *root, const char *id, const oci_resources *res,
                            ocirt_error_t *err);

/* Parse a linux.resources JSON document, as `update -r` takes it.  */
oci_resources *ocirt_container_parse_resources (const char *data, size_t len, ocirt_error_t *err);
DEFINE_TRIVIAL_CLEANUP_FUNC (oci_resources *, free_oci_resources)
#define cleanup_resources __attribute__ ((cleanup (free_oci_resourcesp)))

/* Print {"type":"stats",...} lines to OUT: once with ONCE, else every
   INTERVAL_NS with {"type":"oom"} lines between, until the container is
   gone.  */
int ocirt_container_events (const char *root, const char *id, bool once, uint64_t interval_ns, FILE *out,
                            ocirt_error_t *err);

#endif
