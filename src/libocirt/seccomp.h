/* seccomp: linux.seccomp is compiled to a BPF program by the runtime before
   clone; the container process only installs it.  */
#ifndef OCIRT_SECCOMP_H
#define OCIRT_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "oci_types.h"
#include "utils.h"

struct ocirt_seccomp;

/* Keep compiled filters under STATE_ROOT (NULL: no cache).  */
void ocirt_seccomp_set_cache_dir (const char *state_root);

/* In the runtime: check and compile linux.seccomp of SPEC, and connect to
   its listenerPath when SCMP_ACT_NOTIFY is used.  *OUT stays NULL when the
   config has no seccomp.  ID and BUNDLE (and SPEC's annotations) are
   borrowed for the state sent to the listener: they must outlive *OUT.  */
int ocirt_seccomp_prepare (const oci_spec *spec, const char *id, const char *bundle,
                           struct ocirt_seccomp **out, ocirt_error_t *err);

/* In the runtime, after clone: the listener connection is the container
   process's alone from now on.  */
void ocirt_seccomp_after_clone (struct ocirt_seccomp *sc);

/* In the container process, right before execve, once every check is
   done and the user and capabilities are set: installs the filter, and
   hands the notification fd to the listener.  Nothing when SC is NULL.
   The kernel wants no_new_privs or CAP_SYS_ADMIN for it: see
   ocirt_process_prepare_exec.  */
int ocirt_seccomp_load (struct ocirt_seccomp *sc, ocirt_error_t *err);

/* Closes what the runtime opened for the listener.  NULL is fine.  */
void ocirt_seccomp_free (struct ocirt_seccomp *sc);
DEFINE_TRIVIAL_CLEANUP_FUNC (struct ocirt_seccomp *, ocirt_seccomp_free)
#define cleanup_seccomp __attribute__ ((cleanup (ocirt_seccomp_freep)))

/* The BPF program, for tests: *LEN instructions of 8 bytes.  */
const void *ocirt_seccomp_program (const struct ocirt_seccomp *sc, size_t *len);

/* Name tables.  ACTION includes the errno (SCMP_ACT_ERRNO, SCMP_ACT_TRACE;
   EPERM when none is given); an errno for any other action is an error.
   OPERATOR is libseccomp's enum scmp_compare, ARCH its SCMP_ARCH_* (0 for a
   name of the spec that this libseccomp cannot filter), FLAG the kernel's
   SECCOMP_FILTER_FLAG_*.  */
int ocirt_seccomp_action (const char *name, bool has_errno, uint32_t errno_ret, uint32_t *action,
                          ocirt_error_t *err);
int ocirt_seccomp_operator (const char *name, int *op, ocirt_error_t *err);
int ocirt_seccomp_arch (const char *name, uint32_t *arch, ocirt_error_t *err);
int ocirt_seccomp_flag (const char *name, unsigned int *flag, ocirt_error_t *err);

/* Whether the running kernel accepts FLAG when installing a filter.  */
bool ocirt_seccomp_flag_supported (unsigned int flag);

/* For `features`.  */
enum ocirt_seccomp_names
{
  OCIRT_SECCOMP_ACTIONS,
  OCIRT_SECCOMP_OPERATORS,
  OCIRT_SECCOMP_ARCHS, /* those this libseccomp can filter */
  OCIRT_SECCOMP_KNOWN_FLAGS,
  OCIRT_SECCOMP_SUPPORTED_FLAGS, /* those the running kernel accepts */
};
#define OCIRT_SECCOMP_NAMES_MAX 32

bool ocirt_seccomp_enabled (void);

/* "MAJOR.MINOR.MICRO" of the libseccomp in use, NULL without it.  */
char *ocirt_seccomp_library_version (void);

/* Fill NAMES (room for OCIRT_SECCOMP_NAMES_MAX) with static strings;
   returns how many.  0 in a build without seccomp.  */
size_t ocirt_seccomp_names (enum ocirt_seccomp_names which, const char **names);

#endif
