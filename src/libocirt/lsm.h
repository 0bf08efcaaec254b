/* Linux security modules: AppArmor profiles and SELinux labels.  */
#ifndef OCIRT_LSM_H
#define OCIRT_LSM_H

#include <stdbool.h>

#include "error.h"
#include "oci_types.h"

bool ocirt_lsm_apparmor_enabled (void);
bool ocirt_lsm_selinux_enabled (void);

/* A profile or label asked for on a host without that LSM is an error, as
   with runc: running the container unconfined would be a silent downgrade. */
int ocirt_lsm_validate (const oci_process *p, const oci_linux *lx, ocirt_error_t *err);

/* Just before execve: the profile and label the program starts under.  */
int ocirt_lsm_apply_exec (const oci_process *p, ocirt_error_t *err);

#endif
