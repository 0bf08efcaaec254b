/* Namespaces: which are new, which are joined by path, and in what order. */
#ifndef OCIRT_NAMESPACES_H
#define OCIRT_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_types.h"

#define OCIRT_NS_COUNT 8

struct ocirt_ns_join
{
  int type; /* CLONE_NEW* */
  int fd;
};

struct ocirt_ns_plan
{
  int new_flags;     /* every namespace to create */
  int clone_flags;   /* those created by clone() itself */
  int unshare_flags; /* those the child creates with unshare() */
  bool fork_pid;     /* a new pid namespace owned by a joined user namespace:
                        the child makes it and forks the container process */
  struct ocirt_ns_join join[OCIRT_NS_COUNT];
  size_t njoin;
};

/* "pid" -> CLONE_NEWPID, 0 when unknown.  */
int ocirt_ns_flag (const char *type);
const char *ocirt_ns_name (int flag);

/* Whether the config asks for namespace TYPE (new or joined).  */
bool ocirt_ns_in_config (const oci_spec *spec, const char *type);

/* Check the namespaces of the config (known types, no duplicates, joined
   paths are namespaces of the right type) and open the joined ones.  */
int ocirt_ns_plan_build (const oci_linux *linux_cfg, struct ocirt_ns_plan *plan, ocirt_error_t *err);
void ocirt_ns_plan_release (struct ocirt_ns_plan *plan);
#define cleanup_ns_plan __attribute__ ((cleanup (ocirt_ns_plan_release)))

/* In the runtime, before clone: join the pid namespace (it applies to
   children only).  */
int ocirt_ns_join_pid (struct ocirt_ns_plan *plan, ocirt_error_t *err);

/* In the runtime, right after that clone: later children (hooks, the
   tracer LeakSanitizer clones at exit) go to the runtime's own pid
   namespace again.  Best effort.  */
void ocirt_ns_leave_pid (const struct ocirt_ns_plan *plan);

/* In the container process: join the user namespace if one is given, then
   the other joined ones.  */
int ocirt_ns_join_in_child (struct ocirt_ns_plan *plan, ocirt_error_t *err);

/* In the container process, once in its cgroup: create the cgroup and time
   namespaces (and everything else when joining a user namespace).  */
int ocirt_ns_unshare_in_child (struct ocirt_ns_plan *plan, const oci_linux *linux_cfg,
                               ocirt_error_t *err);

/* From the runtime: write the user namespace id mappings of PID.  */
int ocirt_ns_write_id_mappings (pid_t pid, const oci_linux *linux_cfg, ocirt_error_t *err);

/* The kernel takes at most this many ranges in a uid_map or gid_map, in
   one write shorter than a page.  */
#define OCIRT_ID_MAP_MAX 340
#define OCIRT_ID_MAP_TEXT_MAX 4096

/* The text to write to uid_map or gid_map for MAPS into BUF (of
   OCIRT_ID_MAP_TEXT_MAX bytes), checked as the kernel would: no empty or
   wrapping range, no overlap on either side, not too many.  FIELD names the
   mappings in the error (`linux.uidMappings`).  Returns the length.  */
int ocirt_ns_id_map_text (const char *field, oci_id_mapping *const *maps, size_t n, char *buf,
                          ocirt_error_t *err);

/* Write MAPS to /proc/PID/FILE (uid_map or gid_map).  */
int ocirt_ns_write_mapping (pid_t pid, const char *file, oci_id_mapping **maps, size_t n,
                            ocirt_error_t *err);

#endif
