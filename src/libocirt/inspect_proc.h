/* What /proc tells of a container's init: its capability sets,
   no_new_privs and seccomp (status), its id maps, its LSM label.  */
#ifndef OCIRT_INSPECT_PROC_H
#define OCIRT_INSPECT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "oci_types.h"

/* The lines of /proc/PID/status that inspect shows; -1 for a line the
   kernel does not have.  */
struct ocirt_inspect_status
{
  uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
  int no_new_privs;
  int seccomp;
  int seccomp_filters;
};

/* Parse the text of /proc/PID/status; the Cap* lines are required.  */
int ocirt_inspect_proc_parse_status (const char *text, struct ocirt_inspect_status *out,
                                     ocirt_error_t *err);

/* Parse the text of a uid_map or gid_map.  */
int ocirt_inspect_proc_parse_id_map (const char *text, oci_id_mapping ***maps, size_t *n,
                                     ocirt_error_t *err);

/* The names of the bits of MASK ("CAP_CHOWN", or the number of a bit
   this build has no name for), malloc'd and NULL-terminated.  */
char **ocirt_inspect_proc_cap_names (uint64_t mask, size_t *n);

/* "disabled", "strict" or "filter" (seccomp(2)'s modes).  */
const char *ocirt_inspect_proc_seccomp_mode (int mode);

/* Fill DOC's capabilities, noNewPrivileges, seccomp, label and id maps
   from PROCFD, a directory fd of /proc/PID.  */
int ocirt_inspect_proc_fill (int procfd, oci_inspect *doc, ocirt_error_t *err);

#endif
