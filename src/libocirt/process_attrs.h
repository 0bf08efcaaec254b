/* How the container's processes are scheduled and where they run:
   process.scheduler, ioPriority and execCPUAffinity, and the linux
   personality and NUMA memory policy.  Each does nothing when its field is
   absent.  */
#ifndef OCIRT_PROCESS_ATTRS_H
#define OCIRT_PROCESS_ATTRS_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "oci_types.h"

/* Bounds of the ids in a CPU list and in a node list: far above the CPUs
   of any machine, and the most NUMA nodes a kernel can be built for
   (NODES_SHIFT 10).  */
#define OCIRT_MAX_CPUS 8192
#define OCIRT_MAX_NODES 1024

/* The name tables: the value for a name of the runtime-spec, -1 when the
   name is unknown.  Flags are returned as their bit.  */
int ocirt_process_attrs_sched_policy (const char *name);
int ocirt_process_attrs_sched_flag (const char *name);
int ocirt_process_attrs_ioprio_class (const char *name);
int ocirt_process_attrs_mempolicy_mode (const char *name);
int ocirt_process_attrs_mempolicy_flag (const char *name);
int ocirt_process_attrs_personality_domain (const char *name);

/* Parse a list such as "0-3,7" into BITS, a bitmap of NBITS bits that is
   cleared first.  Only decimal ids and ranges A-B with A <= B, separated
   by single commas; "" is the empty set.  Returns the number of ids set,
   or -1 when the list is malformed or names an id >= NBITS.  */
int ocirt_process_attrs_parse_id_list (const char *s, unsigned long *bits, size_t nbits);

/* Checks of the fields, before anything is created.  */
int ocirt_process_attrs_validate (const oci_process *p, ocirt_error_t *err);
int ocirt_process_attrs_validate_linux (const oci_linux *l, ocirt_error_t *err);

/* scheduler and ioPriority on the calling process.  Before the user switch:
   raising a priority needs CAP_SYS_NICE.  */
int ocirt_process_attrs_apply (const oci_process *p, ocirt_error_t *err);

/* personality and memoryPolicy on the calling process, which keeps both
   across execve.  */
int ocirt_process_attrs_apply_linux (const oci_linux *l, ocirt_error_t *err);

/* execCPUAffinity, which is for exec'd processes only: "initial" set by the
   runtime on PID before PID joins the container's cgroups, "final" set by
   the process itself once it is in them.  */
int ocirt_process_attrs_exec_affinity_initial (const oci_process *p, pid_t pid, ocirt_error_t *err);
int ocirt_process_attrs_exec_affinity_final (const oci_process *p, ocirt_error_t *err);

#endif
