/* Device rules on cgroup v2: the v1 whitelist rules turned into a
   BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container's cgroup. */
#ifndef OCIRT_CGROUP_DEVICES_BPF_H
#define OCIRT_CGROUP_DEVICES_BPF_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct ocirt_dev_rule
{
  char type;       /* 'a', 'b' or 'c' */
  int64_t major;   /* -1: any */
  int64_t minor;   /* -1: any */
  uint32_t access; /* BPF_DEVCG_ACC_* bits */
  bool allow;
};

struct ocirt_dev_rules
{
  struct ocirt_dev_rule *rules;
  size_t n;
};

/* Append a rule in the text of v1's devices.allow / devices.deny ("a",
   "c 1:3 rwm", "b *:* m").  */
int ocirt_cgroup_devices_rules_add (struct ocirt_dev_rules *r, bool allow, const char *text,
                                    ocirt_error_t *err);

void ocirt_cgroup_devices_rules_release (struct ocirt_dev_rules *r);
#define cleanup_dev_rules __attribute__ ((cleanup (ocirt_cgroup_devices_rules_release)))

/* The program for R: the last rule that matches decides, as with v1's
   whitelist; what no rule matches is allowed unless an "a" rule said
   otherwise.  *OUT is malloc'd.  */
int ocirt_cgroup_devices_rules_to_bpf (const struct ocirt_dev_rules *r, struct bpf_insn **out,
                                       size_t *len, ocirt_error_t *err);

/* Load INSNS as a cgroup device program; returns its fd.  */
int ocirt_cgroup_devices_bpf_load (const struct bpf_insn *insns, size_t len, ocirt_error_t *err);

/* Build, load and attach R's program to the cgroup v2 directory PATH.  The
   attachment keeps the program alive until the cgroup goes away.  */
int ocirt_cgroup_devices_bpf_apply (const struct ocirt_dev_rules *r, const char *path,
                                    ocirt_error_t *err);

#endif
