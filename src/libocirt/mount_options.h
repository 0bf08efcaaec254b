/* The mount options of config.json, turned into flags and data.  */
#ifndef OCIRT_MOUNT_OPTIONS_H
#define OCIRT_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ocirt_mount_flags
{
  unsigned long flags;       /* MS_* for mount(2) */
  unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE [|MS_REC] */
  uint64_t rec_attr_set;     /* MOUNT_ATTR_* applied with AT_RECURSIVE */
  uint64_t rec_attr_clr;
  char *data; /* unknown options, for the filesystem */
  bool idmap, ridmap, tmpcopyup;
};

/* Parse OPTIONS.  Never fails: unknown options become filesystem data, as
   the spec asks.  Free with ocirt_mount_flags_release.  */
void ocirt_mount_options_parse (char *const *options, size_t n, struct ocirt_mount_flags *out);
void ocirt_mount_flags_release (struct ocirt_mount_flags *f);
#define cleanup_mount_flags __attribute__ ((cleanup (ocirt_mount_flags_release)))

/* The names this build understands, for `features`.  NULL-terminated.  */
extern const char *const ocirt_mount_options_known[];

#endif
