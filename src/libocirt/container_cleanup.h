/* Cleanup attributes, as in utils.h, for the owned types the container operations hold.  */
#ifndef OCIRT_CONTAINER_CLEANUP_H
#define OCIRT_CONTAINER_CLEANUP_H

#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "namespaces.h"
#include "oci_types.h"
#include "seccomp.h"
#include "state.h"

/* Close and forget: for an fd held in a struct, closed early.  */
static inline void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static inline void
cleanup_specp (oci_spec **spec)
{
  free_oci_spec (*spec);
}

static inline void
cleanup_processp (oci_process **p)
{
  free_oci_process (*p);
}

/* For a state zeroed at its declaration: a failed read leaves it so.  */
static inline void
cleanup_statep (struct ocirt_container_state *st)
{
  ocirt_state_free (st);
}

static inline void
cleanup_cgroupp (struct ocirt_cgroup *cg)
{
  ocirt_cgroup_release (cg);
}

static inline void
cleanup_ns_planp (struct ocirt_ns_plan *plan)
{
  ocirt_ns_plan_release (plan);
}

static inline void
cleanup_seccompp (struct ocirt_seccomp **sc)
{
  ocirt_seccomp_free (*sc);
}

/* A child of ours that must not outlive an error: killed and reaped.
   steal_pid once it may live on.  */
static inline void
cleanup_reapp (pid_t *pid)
{
  if (*pid <= 0)
    return;
  kill (*pid, SIGKILL);
  while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

#define cleanup_spec __attribute__ ((cleanup (cleanup_specp)))
#define cleanup_process __attribute__ ((cleanup (cleanup_processp)))
#define cleanup_state __attribute__ ((cleanup (cleanup_statep)))
#define cleanup_cgroup __attribute__ ((cleanup (cleanup_cgroupp)))
#define cleanup_ns_plan __attribute__ ((cleanup (cleanup_ns_planp)))
#define cleanup_seccomp __attribute__ ((cleanup (cleanup_seccompp)))
#define cleanup_reap __attribute__ ((cleanup (cleanup_reapp)))

#define steal_pid(pidp) ({ pid_t _pid = *(pidp); *(pidp) = -1; _pid; })

#endif
