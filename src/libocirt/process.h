/* The container's process: identity, limits, fds and the final execve.  */
#ifndef OCIRT_PROCESS_H
#define OCIRT_PROCESS_H

#include <stdbool.h>

#include "capabilities.h"
#include "error.h"
#include "oci_types.h"
#include "utils.h"

DEFINE_TRIVIAL_CLEANUP_FUNC (oci_process *, free_oci_process)
#define cleanup_process __attribute__ ((cleanup (free_oci_processp)))

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, -1 when unknown.  */
int ocirt_process_rlimit_resource (const char *name);

/* Check what can be checked before anything is created.  */
int ocirt_process_validate (const oci_process *p, ocirt_error_t *err);

int ocirt_process_set_rlimits (const oci_process *p, ocirt_error_t *err);
int ocirt_process_set_oom_score_adj (const oci_process *p, ocirt_error_t *err);

/* The annotation `podman --group-add keep-groups` sets: the process keeps
   the supplementary groups of the runtime's caller instead of
   additionalGids (crun's; runc ignores it).  */
#define OCIRT_KEEP_GROUPS_ANNOTATION "run.oci.keep_original_groups"

/* Whether ANNOTATIONS ask for the caller's groups: the annotation set to
   anything but "0", as crun reads it.  */
bool ocirt_process_keep_groups (const oci_map_string *annotations);

/* Groups (unless KEEP_GROUPS), gid and uid, with the capabilities kept
   across the switch, and EXTRA in the effective and permitted sets until
   exec.  */
int ocirt_process_set_user (const oci_process *p, bool keep_groups, const struct ocirt_caps *caps,
                            uint64_t extra, ocirt_error_t *err);

/* Resolve args[0] against PATH from the process env, as execvp would, in the
   current root.  Returns a malloc'd path.  */
char *ocirt_process_find_executable (const oci_process *p, ocirt_error_t *err);

/* Mark every fd from 3 + PRESERVE_FDS up close-on-exec.  */
int ocirt_process_cloexec_fds (int preserve_fds, ocirt_error_t *err);

/* Where the kernel cannot do that alone (before 5.11), open this
   process's /proc/self/fd now, before its root changes, for the call
   above.  */
int ocirt_process_open_fd_dir (ocirt_error_t *err);

/* chdir to cwd and make sure it is inside the container's root.  */
int ocirt_process_chdir (const oci_process *p, ocirt_error_t *err);

/* The environment for execve: process.env, plus HOME from the container's
   /etc/passwd when env does not set it, as runc does.  */
char **ocirt_process_build_env (const oci_process *p);

/* The last steps before execve, shared by the container's init and exec:
   oomScoreAdj, rlimits, user and capabilities, no_new_privs, cwd, the
   environment and the executable's path, fds closed on exec.  All of it
   comes before the seccomp filter, which a profile may not let through.
   SECCOMP: a filter is loaded after this; without no_new_privs it needs
   CAP_SYS_ADMIN, kept in the effective set until exec.  KEEP_GROUPS: see
   ocirt_process_keep_groups.  */
int ocirt_process_prepare_exec (const oci_process *p, bool keep_groups, bool seccomp, int preserve_fds,
                                char **exe, char ***envp, ocirt_error_t *err);

/* Set KEY=VALUE in process.env, replacing an entry with the same key.  */
void ocirt_process_setenv (oci_process *p, const char *kv);

#endif
