/* Writes to /proc that cannot be redirected: through a private procfs
   instance that no container process can mount over or swap.  */
#ifndef OCIRT_PROCFS_H
#define OCIRT_PROCFS_H

#include "error.h"

/* Open FILE (relative, e.g. "sys/net/ipv4/ip_forward") of a procfs with
   FLAGS, never following a symlink and never leaving that procfs.  A
   private instance made with fsopen is used where the kernel allows it,
   else /proc, checked to be procfs.  */
int ocirt_procfs_open (const char *file, int flags, ocirt_error_t *err);

/* Write VALUE to FILE of procfs, opened as above.  */
int ocirt_procfs_write (const char *file, const char *value, ocirt_error_t *err);

#endif
