/* linux.netDevices: host network interfaces moved into the container's
   network namespace over rtnetlink.  */
#ifndef OCIRT_NETDEV_H
#define OCIRT_NETDEV_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "namespaces.h"
#include "oci_types.h"
#include "utils.h"

struct ocirt_netdevs;

/* NULL when the kernel takes NAME for an interface (dev_valid_name: 1 to
   15 bytes, not "." or "..", no '/', ':' or white space; with TEMPLATE, one
   "%d" the kernel replaces by a number), else what is wrong with it.  */
const char *ocirt_netdev_name_problem (const char *name, bool template);

/* The checks on the config alone: a network namespace, valid and distinct
   names.  */
int ocirt_netdev_validate (const oci_spec *spec, ocirt_error_t *err);

/* Before anything is made: every device exists in the runtime's network
   namespace and the container's is another one.  *OUT is NULL when the
   config moves no device.  */
int ocirt_netdev_prepare (const oci_linux *linux_cfg, const struct ocirt_ns_plan *plan,
                          struct ocirt_netdevs **out, ocirt_error_t *err);

/* Move the devices into the network namespace of PID (or the one PLAN
   joins), rename them, put back their permanent global addresses and set
   them up.  The namespace is held open until ocirt_netdev_free.  */
int ocirt_netdev_move (struct ocirt_netdevs *d, pid_t pid, const struct ocirt_ns_plan *plan,
                       ocirt_error_t *err);

/* A create that failed: move what was moved back to the runtime's
   namespace, with its name, addresses and state.  Failures are warnings. */
void ocirt_netdev_undo (struct ocirt_netdevs *d);

void ocirt_netdev_free (struct ocirt_netdevs *d);
DEFINE_TRIVIAL_CLEANUP_FUNC (struct ocirt_netdevs *, ocirt_netdev_free)
#define cleanup_netdevs __attribute__ ((cleanup (ocirt_netdev_freep)))

/* Set `lo` of the caller's network namespace up, as runc and crun do in a
   namespace they make.  */
int ocirt_netdev_loopback_up (ocirt_error_t *err);

#endif
