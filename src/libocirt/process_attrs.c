#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process_attrs.h"
#include "utils.h"

/* glibc 2.36 has no sched_setattr: the kernel's struct, up to the
   utilization clamps (SCHED_ATTR_SIZE_VER1).  */
struct sched_attr_v1
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_RECLAIM 0x02
#define SCHED_FLAG_DL_OVERRUN 0x04
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAG_UTIL_CLAMP_MIN 0x20
#define SCHED_FLAG_UTIL_CLAMP_MAX 0x40

#define IOPRIO_CLASS_RT 1
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_WEIGHTED_INTERLEAVE 6
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_STATIC_NODES (1 << 15)

#define MPOL_MODE_FLAGS (MPOL_F_NUMA_BALANCING | MPOL_F_RELATIVE_NODES | MPOL_F_STATIC_NODES)
#ifndef MPOL_F_MEMS_ALLOWED
#define MPOL_F_MEMS_ALLOWED (1 << 2)
#endif

#define BITS_PER_LONG (8 * sizeof (unsigned long))

struct name_value
{
  const char *name;
  int value;
};

static const struct name_value sched_policies[] = {
  { "SCHED_OTHER", SCHED_OTHER },       { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH },       { "SCHED_ISO", SCHED_ISO },   { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const struct name_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK },
  { "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
  { "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN },
  { "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
  { "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
};

static const struct name_value ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
  { "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
  { "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};

static const struct name_value mempolicy_modes[] = {
  { "MPOL_DEFAULT", MPOL_DEFAULT },
  { "MPOL_PREFERRED", MPOL_PREFERRED },
  { "MPOL_BIND", MPOL_BIND },
  { "MPOL_INTERLEAVE", MPOL_INTERLEAVE },
  { "MPOL_LOCAL", MPOL_LOCAL },
  { "MPOL_PREFERRED_MANY", MPOL_PREFERRED_MANY },
  { "MPOL_WEIGHTED_INTERLEAVE", MPOL_WEIGHTED_INTERLEAVE },
};

static const struct name_value mempolicy_flags[] = {
  { "MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING },
  { "MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES },
  { "MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES },
};

static const struct name_value personality_domains[] = {
  { "LINUX", PER_LINUX },
  { "LINUX32", PER_LINUX32 },
};

static int
lookup (const struct name_value *table, size_t n, const char *name)
{
  size_t i;

  for (i = 0; name && i < n; i++)
    if (strcmp (name, table[i].name) == 0)
      return table[i].value;
  return -1;
}

int
ocirt_process_attrs_sched_policy (const char *name)
{
  return lookup (sched_policies, ARRAY_SIZE (sched_policies), name);
}

int
ocirt_process_attrs_sched_flag (const char *name)
{
  return lookup (sched_flags, ARRAY_SIZE (sched_flags), name);
}

int
ocirt_process_attrs_ioprio_class (const char *name)
{
  return lookup (ioprio_classes, ARRAY_SIZE (ioprio_classes), name);
}

int
ocirt_process_attrs_mempolicy_mode (const char *name)
{
  return lookup (mempolicy_modes, ARRAY_SIZE (mempolicy_modes), name);
}

int
ocirt_process_attrs_mempolicy_flag (const char *name)
{
  return lookup (mempolicy_flags, ARRAY_SIZE (mempolicy_flags), name);
}

int
ocirt_process_attrs_personality_domain (const char *name)
{
  return lookup (personality_domains, ARRAY_SIZE (personality_domains), name);
}

/* One decimal id below LIMIT; returns where it ends, NULL when there is
   none or it is too large.  */
static const char *
parse_id (const char *s, unsigned long limit, unsigned long *out)
{
  unsigned long v = 0;

  if (*s < '0' || *s > '9')
    return NULL;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      v = v * 10 + (unsigned long) (*s - '0');
      if (v >= limit)
        return NULL;
    }
  *out = v;
  return s;
}

int
ocirt_process_attrs_parse_id_list (const char *s, unsigned long *bits, size_t nbits)
{
  int count = 0;

  memset (bits, 0, (nbits + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof (unsigned long));
  if (*s == '\0')
    return 0;
  for (;;)
    {
      unsigned long a, b, i;

      s = parse_id (s, nbits, &a);
      if (s == NULL)
        return -1;
      b = a;
      if (*s == '-' && ((s = parse_id (s + 1, nbits, &b)) == NULL || b < a))
        return -1;
      for (i = a; i <= b; i++)
        if (!(bits[i / BITS_PER_LONG] & (1UL << (i % BITS_PER_LONG))))
          {
            bits[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
            count++;
          }
      if (*s == '\0')
        return count;
      if (*s != ',')
        return -1;
      s++;
    }
}

/* ---- validation ----------------------------------------------------- */

static bool
rt_policy (int policy)
{
  return policy == SCHED_FIFO || policy == SCHED_RR;
}

static int
validate_scheduler (const oci_scheduler *s, ocirt_error_t *err)
{
  bool keep_policy = false;
  int policy;
  size_t i;

  if (s->policy == NULL)
    return ocirt_error_make (err, 0, "config.json: process.scheduler.policy is required");
  policy = ocirt_process_attrs_sched_policy (s->policy);
  if (policy < 0)
    return ocirt_error_make (err, 0, "config.json: process.scheduler.policy `%s` is not a known policy",
                             s->policy);
  for (i = 0; i < s->flags_len; i++)
    {
      int flag = ocirt_process_attrs_sched_flag (s->flags[i]);

      if (flag < 0)
        return ocirt_error_make (err, 0,
                                 "config.json: process.scheduler.flags: `%s` is not a known flag",
                                 s->flags[i]);
      keep_policy |= flag == SCHED_FLAG_KEEP_POLICY;
    }
  if (s->nice < -20 || s->nice > 19)
    return ocirt_error_make (err, 0, "config.json: process.scheduler.nice %d is out of range -20..19",
                             s->nice);
  /* With KEEP_POLICY the kernel checks the values against the policy the
     process already has.  */
  if (keep_policy)
    return 0;
  if (rt_policy (policy) && (s->priority < 1 || s->priority > 99))
    return ocirt_error_make (err, 0,
                             "config.json: process.scheduler.priority %d is out of range 1..99 for %s",
                             s->priority, s->policy);
  if (!rt_policy (policy) && s->priority != 0)
    return ocirt_error_make (err, 0,
                             "config.json: process.scheduler.priority %d is only for SCHED_FIFO and "
                             "SCHED_RR, not %s",
                             s->priority, s->policy);
  if (policy == SCHED_DEADLINE)
    {
      /* A period of 0 is the deadline, as for the kernel.  */
      uint64_t period = s->period ? s->period : s->deadline;

      if (s->runtime == 0 || s->runtime > s->deadline || s->deadline > period)
        return ocirt_error_make (err, 0,
                                 "config.json: process.scheduler: SCHED_DEADLINE needs "
                                 "0 < runtime <= deadline <= period, not %llu, %llu, %llu",
                                 (unsigned long long) s->runtime, (unsigned long long) s->deadline,
                                 (unsigned long long) s->period);
    }
  else if (s->runtime || s->deadline || s->period)
    return ocirt_error_make (err, 0,
                             "config.json: process.scheduler.runtime, deadline and period are only "
                             "for SCHED_DEADLINE, not %s",
                             s->policy);
  return 0;
}

static int
validate_io_priority (const oci_io_priority *io, ocirt_error_t *err)
{
  if (io->class_ == NULL)
    return ocirt_error_make (err, 0, "config.json: process.ioPriority.class is required");
  if (ocirt_process_attrs_ioprio_class (io->class_) < 0)
    return ocirt_error_make (err, 0, "config.json: process.ioPriority.class `%s` is not a known class",
                             io->class_);
  if (io->priority < 0 || io->priority > 7)
    return ocirt_error_make (err, 0, "config.json: process.ioPriority.priority %d is out of range 0..7",
                             io->priority);
  return 0;
}

static int
validate_cpu_list (const char *field, const char *list, ocirt_error_t *err)
{
  unsigned long bits[OCIRT_MAX_CPUS / BITS_PER_LONG];

  if (list && ocirt_process_attrs_parse_id_list (list, bits, OCIRT_MAX_CPUS) < 0)
    return ocirt_error_make (err, 0,
                             "config.json: process.execCPUAffinity.%s `%s` is not a CPU list "
                             "such as 0-3,7",
                             field, list);
  return 0;
}

int
ocirt_process_attrs_validate (const oci_process *p, ocirt_error_t *err)
{
  if (p->scheduler && validate_scheduler (p->scheduler, err) < 0)
    return -1;
  if (p->io_priority && validate_io_priority (p->io_priority, err) < 0)
    return -1;
  if (p->exec_cpu_affinity
      && (validate_cpu_list ("initial", p->exec_cpu_affinity->initial, err) < 0
          || validate_cpu_list ("final", p->exec_cpu_affinity->final, err) < 0))
    return -1;
  return 0;
}

static int
validate_personality (const oci_personality *pe, ocirt_error_t *err)
{
  if (pe->domain == NULL)
    return ocirt_error_make (err, 0, "config.json: linux.personality.domain is required");
  if (ocirt_process_attrs_personality_domain (pe->domain) < 0)
    return ocirt_error_make (err, 0,
                             "config.json: linux.personality.domain `%s` is not LINUX or LINUX32",
                             pe->domain);
  /* The runtime-spec defines none yet.  */
  if (pe->flags_len)
    return ocirt_error_make (err, 0, "config.json: linux.personality.flags: `%s` is not supported",
                             pe->flags[0]);
  return 0;
}

static int
validate_memory_policy (const oci_memory_policy *mp, ocirt_error_t *err)
{
  unsigned long bits[OCIRT_MAX_NODES / BITS_PER_LONG];
  int mode, flags = 0, nodes = 0;
  size_t i;

  if (mp->mode == NULL)
    return ocirt_error_make (err, 0, "config.json: linux.memoryPolicy.mode is required");
  mode = ocirt_process_attrs_mempolicy_mode (mp->mode);
  if (mode < 0)
    return ocirt_error_make (err, 0, "config.json: linux.memoryPolicy.mode `%s` is not a known mode",
                             mp->mode);
  if (mp->nodes && (nodes = ocirt_process_attrs_parse_id_list (mp->nodes, bits, OCIRT_MAX_NODES)) < 0)
    return ocirt_error_make (err, 0,
                             "config.json: linux.memoryPolicy.nodes `%s` is not a node list "
                             "such as 0-3,7",
                             mp->nodes);
  for (i = 0; i < mp->flags_len; i++)
    {
      int flag = ocirt_process_attrs_mempolicy_flag (mp->flags[i]);

      if (flag < 0)
        return ocirt_error_make (err, 0,
                                 "config.json: linux.memoryPolicy.flags: `%s` is not a known flag",
                                 mp->flags[i]);
      flags |= flag;
    }
  if ((flags & MPOL_F_STATIC_NODES) && (flags & MPOL_F_RELATIVE_NODES))
    return ocirt_error_make (err, 0,
                             "config.json: linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and "
                             "MPOL_F_RELATIVE_NODES exclude each other");
  if ((flags & MPOL_F_NUMA_BALANCING) && mode != MPOL_BIND && mode != MPOL_PREFERRED_MANY)
    return ocirt_error_make (err, 0,
                             "config.json: linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING is for "
                             "MPOL_BIND and MPOL_PREFERRED_MANY, not %s",
                             mp->mode);
  if (mode == MPOL_LOCAL && (flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)))
    return ocirt_error_make (err, 0,
                             "config.json: linux.memoryPolicy.flags: MPOL_LOCAL takes no node flags");
  if ((mode == MPOL_DEFAULT || mode == MPOL_LOCAL) && nodes)
    return ocirt_error_make (err, 0, "config.json: linux.memoryPolicy.nodes `%s`: %s takes no nodes",
                             mp->nodes, mp->mode);
  if (mode != MPOL_DEFAULT && mode != MPOL_LOCAL && mode != MPOL_PREFERRED && nodes == 0)
    return ocirt_error_make (err, 0, "config.json: linux.memoryPolicy.nodes: %s needs at least one node",
                             mp->mode);
  return 0;
}

int
ocirt_process_attrs_validate_linux (const oci_linux *l, ocirt_error_t *err)
{
  if (l == NULL)
    return 0;
  if (l->personality && validate_personality (l->personality, err) < 0)
    return -1;
  if (l->memory_policy && validate_memory_policy (l->memory_policy, err) < 0)
    return -1;
  return 0;
}

/* ---- applying ------------------------------------------------------- */

/* An errno with the reason the kernel most likely had, on one line.  */
static int
error_with_hint (ocirt_error_t *err, int status, const char *what, const char *hint)
{
  if (hint == NULL)
    return ocirt_error_make (err, status, "%s", what);
  ocirt_error_make (err, 0, "%s: %s (%s)", what, strerror (status), hint);
  (*err)->status = status;
  return -1;
}

static const char *
sched_hint (int status, const oci_scheduler *s, int policy, uint64_t flags)
{
  if (status == EPERM && rt_policy (policy))
    return "real-time policies need CAP_SYS_NICE in the host's user namespace and, with RT group "
           "scheduling, a linux.resources.cpu.realtimeRuntime for the container's cgroup";
  if (status == EPERM && policy == SCHED_DEADLINE)
    return "SCHED_DEADLINE needs CAP_SYS_NICE in the host's user namespace and an affinity for "
           "all the CPUs";
  if (status == EPERM && s->nice < 0)
    return "a negative nice needs CAP_SYS_NICE in the host's user namespace or an RLIMIT_NICE "
           "that allows it";
  if (status == EBUSY && policy == SCHED_DEADLINE)
    return "the CPUs have no deadline bandwidth left for it";
  if (status == EINVAL && policy == SCHED_DEADLINE)
    return "the kernel wants a runtime of at least 1024 ns and a period within "
           "kernel.sched_deadline_period_min_us..max_us";
  if (status == EOPNOTSUPP && (flags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX)))
    return "the kernel has no utilization clamping";
  if (status == EINVAL && policy == SCHED_ISO)
    return "the kernel has no SCHED_ISO";
  return NULL;
}

static int
set_scheduler (const oci_scheduler *s, ocirt_error_t *err)
{
  struct sched_attr_v1 attr = {
    .size = sizeof (attr),
    .sched_policy = (uint32_t) ocirt_process_attrs_sched_policy (s->policy),
    .sched_nice = s->nice,
    .sched_priority = (uint32_t) s->priority,
    .sched_runtime = s->runtime,
    .sched_deadline = s->deadline,
    .sched_period = s->period,
  };
  size_t i;

  for (i = 0; i < s->flags_len; i++)
    attr.sched_flags |= (uint64_t) ocirt_process_attrs_sched_flag (s->flags[i]);
  /* The spec carries no clamp values: -1 asks for the kernel's default.  */
  if (attr.sched_flags & SCHED_FLAG_UTIL_CLAMP_MIN)
    attr.sched_util_min = UINT32_MAX;
  if (attr.sched_flags & SCHED_FLAG_UTIL_CLAMP_MAX)
    attr.sched_util_max = UINT32_MAX;
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    {
      int status = errno;
      cleanup_free char *what = NULL;

      if (attr.sched_policy == SCHED_DEADLINE)
        what = xasprintf ("set process.scheduler (policy %s, runtime %llu, deadline %llu, period %llu)",
                          s->policy, (unsigned long long) s->runtime, (unsigned long long) s->deadline,
                          (unsigned long long) s->period);
      else
        what = xasprintf ("set process.scheduler (policy %s, priority %d, nice %d)", s->policy,
                          s->priority, s->nice);

      return error_with_hint (err, status, what,
                              sched_hint (status, s, (int) attr.sched_policy, attr.sched_flags));
    }
  return 0;
}

static int
set_io_priority (const oci_io_priority *io, ocirt_error_t *err)
{
  int value = (ocirt_process_attrs_ioprio_class (io->class_) << IOPRIO_CLASS_SHIFT) | io->priority;

  /* The process only: its children inherit it.  */
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
    {
      int status = errno;
      cleanup_free char *what = xasprintf ("set process.ioPriority (class %s, priority %d)", io->class_,
                                           io->priority);

      return error_with_hint (err, status, what,
                              status == EPERM
                                      && ocirt_process_attrs_ioprio_class (io->class_) == IOPRIO_CLASS_RT
                                  ? "the real-time class needs CAP_SYS_NICE or CAP_SYS_ADMIN in "
                                    "the host's user namespace"
                                  : NULL);
    }
  return 0;
}

int
ocirt_process_attrs_apply (const oci_process *p, ocirt_error_t *err)
{
  if (p->scheduler && set_scheduler (p->scheduler, err) < 0)
    return -1;
  if (p->io_priority && set_io_priority (p->io_priority, err) < 0)
    return -1;
  return 0;
}

/* After EINVAL: the mode or flag of MP the kernel does not know, found by
   asking for it again on the nodes this process may use (a mode or flag
   newer than the kernel: MPOL_PREFERRED_MANY came in Linux 5.15,
   MPOL_WEIGHTED_INTERLEAVE in 6.9, MPOL_F_NUMA_BALANCING in 5.12).  The
   process is failing, its own policy no longer matters.  NULL when both
   are known: the nodes were the problem.  */
static const char *
mempolicy_unknown_part (const oci_memory_policy *mp, int mode)
{
  unsigned long allowed[OCIRT_MAX_NODES / BITS_PER_LONG];
  size_t i;

  if (mode == MPOL_DEFAULT || mode == MPOL_LOCAL)
    return NULL;
  if (syscall (SYS_get_mempolicy, NULL, allowed, OCIRT_MAX_NODES + 1, NULL, MPOL_F_MEMS_ALLOWED) < 0)
    return NULL;
  if (syscall (SYS_set_mempolicy, mode, allowed, OCIRT_MAX_NODES + 1) < 0 && errno == EINVAL)
    return mp->mode;
  for (i = 0; i < mp->flags_len; i++)
    if (syscall (SYS_set_mempolicy, mode | ocirt_process_attrs_mempolicy_flag (mp->flags[i]), allowed,
                 OCIRT_MAX_NODES + 1)
            < 0
        && errno == EINVAL)
      return mp->flags[i];
  return NULL;
}

static int
set_memory_policy (const oci_memory_policy *mp, ocirt_error_t *err)
{
  unsigned long bits[OCIRT_MAX_NODES / BITS_PER_LONG];
  int mode = ocirt_process_attrs_mempolicy_mode (mp->mode), nodes = 0;
  char flags[128] = "";
  size_t i;

  if (mp->nodes && (nodes = ocirt_process_attrs_parse_id_list (mp->nodes, bits, OCIRT_MAX_NODES)) < 0)
    return ocirt_error_make (err, EINVAL, "linux.memoryPolicy.nodes `%s`", mp->nodes);
  for (i = 0; i < mp->flags_len; i++)
    mode |= ocirt_process_attrs_mempolicy_flag (mp->flags[i]);
  /* The kernel reads one bit less than maxnode says.  */
  if (syscall (SYS_set_mempolicy, mode, nodes ? bits : NULL, nodes ? OCIRT_MAX_NODES + 1 : 0) < 0)
    {
      int status = errno;
      const char *unknown = status == EINVAL ? mempolicy_unknown_part (mp, mode & ~MPOL_MODE_FLAGS)
                                             : NULL;

      for (i = 0; i < mp->flags_len; i++)
        snprintf (flags + strlen (flags), sizeof (flags) - strlen (flags), "%s%s", i ? "|" : ", flags ",
                  mp->flags[i]);
      if (unknown)
        return ocirt_error_make (err, status,
                                 "set linux.memoryPolicy (mode %s, nodes `%s`%s): this kernel does "
                                 "not support %s%s",
                                 mp->mode, mp->nodes ? mp->nodes : "", flags, unknown,
                                 unknown == mp->mode ? "" : " with this mode");
      return ocirt_error_make (err, status, "set linux.memoryPolicy (mode %s, nodes `%s`%s)", mp->mode,
                               mp->nodes ? mp->nodes : "", flags);
    }
  return 0;
}

int
ocirt_process_attrs_apply_linux (const oci_linux *l, ocirt_error_t *err)
{
  if (l == NULL)
    return 0;
  if (l->personality
      && personality ((unsigned long) ocirt_process_attrs_personality_domain (l->personality->domain))
             < 0)
    return ocirt_error_make (err, errno, "set linux.personality domain %s", l->personality->domain);
  if (l->memory_policy && set_memory_policy (l->memory_policy, err) < 0)
    return -1;
  return 0;
}

static int
set_affinity (pid_t pid, const char *field, const char *list, ocirt_error_t *err)
{
  unsigned long bits[OCIRT_MAX_CPUS / BITS_PER_LONG];
  size_t last, len;

  if (ocirt_process_attrs_parse_id_list (list, bits, OCIRT_MAX_CPUS) < 0)
    return ocirt_error_make (err, EINVAL, "process.execCPUAffinity.%s `%s`", field, list);
  /* Pass the words up to the last CPU named; the kernel clears the rest.  */
  for (last = ARRAY_SIZE (bits); last > 1 && bits[last - 1] == 0; last--)
    ;
  len = last * sizeof (unsigned long);
  if (sched_setaffinity (pid, len, (cpu_set_t *) bits) < 0)
    return ocirt_error_make (err, errno, "set process.execCPUAffinity.%s `%s`", field, list);
  return 0;
}

int
ocirt_process_attrs_exec_affinity_initial (const oci_process *p, pid_t pid, ocirt_error_t *err)
{
  const oci_exec_cpu_affinity *a = p->exec_cpu_affinity;

  if (a == NULL || a->initial == NULL || a->initial[0] == '\0')
    return 0;
  return set_affinity (pid, "initial", a->initial, err);
}

int
ocirt_process_attrs_exec_affinity_final (const oci_process *p, ocirt_error_t *err)
{
  const oci_exec_cpu_affinity *a = p->exec_cpu_affinity;

  /* Empty or absent: the kernel's choice once in the cgroup stands.  */
  if (a == NULL || a->final == NULL || a->final[0] == '\0')
    return 0;
  return set_affinity (0, "final", a->final, err);
}
