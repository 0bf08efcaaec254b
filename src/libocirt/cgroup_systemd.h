/* The systemd cgroup driver (--systemd-cgroup): the container's cgroup is
   a transient scope unit that systemd makes over D-Bus, with the limits
   and device rules systemd knows as unit properties; all of them are
   written to the scope's cgroup files (or, for devices on v2, its eBPF
   program) by the cgroupfs code too.  */
#ifndef OCIRT_CGROUP_SYSTEMD_H
#define OCIRT_CGROUP_SYSTEMD_H

#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "oci_types.h"
#include "state_record.h"

/* The default slice and prefix when the config names no cgroupsPath.  */
#define OCIRT_SYSTEMD_SLICE "system.slice"
/* An ordinary user's containers, in its own systemd instance.  */
#define OCIRT_SYSTEMD_USER_SLICE "user.slice"
#define OCIRT_SYSTEMD_PREFIX "ocirt"
/* Annotations with this prefix set properties of the unit: an engine
   should not pass them on from untrusted users (see features).  */
#define OCIRT_SYSTEMD_PROPERTY_ANNOTATION "org.systemd.property."

/* Split CGROUPS_PATH, "slice:prefix:name" (NULL or empty: the default
   slice and prefix with the container ID), into the slice and the scope's
   unit name ("prefix-name.scope").  */
int ocirt_cgroup_systemd_parse_path (const char *cgroups_path, const char *id, char **slice, char **unit,
                                     ocirt_error_t *err);

/* Check the config and connect to systemd: nothing is made yet.  SPEC is
   borrowed and must live until ocirt_cgroup_systemd_enter.  */
int ocirt_cgroup_systemd_create (const oci_spec *spec, const char *id, struct ocirt_cgroup *cg,
                                 ocirt_error_t *err);

/* Start the scope with PID in it, wait until systemd is done, and point CG
   at the scope's directories.  */
int ocirt_cgroup_systemd_enter (struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err);

/* Stop the scope CG started, if it did.  */
int ocirt_cgroup_systemd_destroy (struct ocirt_cgroup *cg, ocirt_error_t *err);

/* Stop the scope of a container from its state (the unit is the last
   component of its cgroup); a scope systemd has collected already is
   fine.  */
int ocirt_cgroup_systemd_destroy_state (const struct ocirt_container_state *st, ocirt_error_t *err);

/* For `update` of a container of the systemd driver: set the unit
   properties systemd knows of RES (SetUnitProperties, runtime), before
   the cgroupfs code writes the files, so that systemd does not put the old
   values back at a daemon-reload.  CG is the container's cgroup, where
   what RES leaves out is read.  Nothing for a container of cgroupfs.  */
int ocirt_cgroup_systemd_update (const struct ocirt_container_state *st, const struct ocirt_cgroup *cg,
                                 const oci_resources *res, ocirt_error_t *err);

void ocirt_cgroup_systemd_scope_free (struct ocirt_systemd_scope *sc);

#endif
