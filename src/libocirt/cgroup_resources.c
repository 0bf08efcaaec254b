/* linux.resources into cgroup files, for v1, v2 and hybrid hosts.  Each
   controller is written in the hierarchy that holds it, so on a hybrid
   host the v1 trees win and the unified tree gets the rest.  Only what
   the config sets is written: zero means "not set", as in runc, except
   where the spec gives zero a meaning (pids.limit, cpu.burst, cpu.idle).  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "cgroup_devices_bpf.h"
#include "cgroup_files.h"
#include "cgroup_resources.h"
#include "log.h"
#include "utils.h"

#define RES "linux.resources."

uint64_t
ocirt_cgroup_shares_to_weight (uint64_t shares)
{
  /* cpu.shares [2, 262144] onto cpu.weight [1, 10000].  */
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
ocirt_cgroup_blkio_to_io_weight (uint64_t weight)
{
  /* blkio.weight [10, 1000] onto io.weight [1, 10000].  */
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  return 1 + (weight - 10) * 9999 / 990;
}

int
ocirt_cgroup_swap_to_v2 (int64_t swap, int64_t limit, int64_t *out, ocirt_error_t *err)
{
  /* Unlimited memory and no word on swap: both unlimited, as on v1.  */
  if (limit == -1 && swap == 0)
    {
      *out = -1;
      return 0;
    }
  if (swap == -1 || swap == 0)
    {
      *out = swap;
      return 0;
    }
  if (swap < -1)
    return ocirt_error_make (err, 0, RES "memory.swap: invalid value %" PRId64, swap);
  if (limit == 0 || limit == -1)
    return ocirt_error_make (err, 0, RES "memory.swap: a swap limit needs a memory limit");
  if (limit < 0)
    return ocirt_error_make (err, 0, RES "memory.limit: invalid value %" PRId64, limit);
  /* The spec's swap is memory+swap; memory.swap.max is swap alone.  */
  if (swap < limit)
    return ocirt_error_make (err, 0,
                             RES "memory.swap: %" PRId64 " is below memory.limit %" PRId64
                                 " (swap counts memory+swap)",
                             swap, limit);
  *out = swap - limit;
  return 0;
}

static int
unsupported (const char *what, const char *why, ocirt_error_t *err)
{
  return ocirt_error_make (err, 0, RES "%s: %s", what, why);
}

/* v1-only settings that configs written for v1 hosts still carry: runc
   leaves them out on a v2 host, and so do we, saying so.  */
static void
ignored_on_v2 (const char *what)
{
  ocirt_warn (RES "%s: not supported on cgroup v2, ignored", what);
}

static int
set (const struct ocirt_cgroup_dir *d, const char *file, const char *value, const char *what,
     ocirt_error_t *err)
{
  if (ocirt_cgroup_write (d, file, value, err) < 0)
    return ocirt_error_prefix (err, RES "%s", what);
  return 0;
}

/* Negative values are "no limit": -1 on v1, "max" on v2.  */
static int
set_i64 (const struct ocirt_cgroup_dir *d, const char *file, int64_t v, const char *what,
         ocirt_error_t *err)
{
  char buf[32];

  if (v < 0)
    snprintf (buf, sizeof (buf), d->unified ? "max" : "-1");
  else
    snprintf (buf, sizeof (buf), "%" PRId64, v);
  return set (d, file, buf, what, err);
}

static int
set_u64 (const struct ocirt_cgroup_dir *d, const char *file, uint64_t v, const char *what,
         ocirt_error_t *err)
{
  char buf[32];

  snprintf (buf, sizeof (buf), "%" PRIu64, v);
  return set (d, file, buf, what, err);
}

static const struct ocirt_cgroup_dir *
need (const struct ocirt_cgroup *cg, const char *controller, const char *what, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, controller);

  if (d == NULL)
    ocirt_error_make (err, 0, RES "%s: the %s controller is not available on this host", what,
                      controller);
  return d;
}

static int
read_u64 (const struct ocirt_cgroup_dir *d, const char *file, uint64_t *v, ocirt_error_t *err)
{
  cleanup_free char *data = NULL;

  if (ocirt_cgroup_read (d, file, &data, err) < 0)
    return -1;
  if (!ocirt_cgroup_parse_u64 (data, v))
    return ocirt_error_make (err, 0, "unexpected content in `%s/%s`", d->path, file);
  return 0;
}

/* ---- memory --------------------------------------------------------- */

static int
check_usage (const struct ocirt_cgroup_dir *d, const char *file, int64_t limit, ocirt_error_t *err)
{
  uint64_t usage;

  if (read_u64 (d, file, &usage, err) < 0)
    return -1;
  if (usage >= (uint64_t) limit)
    return ocirt_error_make (err, 0,
                             RES "memory.limit: %" PRId64 " is not above the current usage %" PRIu64
                                 " (checkBeforeUpdate)",
                             limit, usage);
  return 0;
}

static int
set_memory_limit (const struct ocirt_cgroup_dir *d, const char *file, int64_t limit, ocirt_error_t *err)
{
  if (set_i64 (d, file, limit, "memory.limit", err) == 0)
    return 0;
  if ((*err)->status == EBUSY)
    {
      ocirt_error_release (err);
      return ocirt_error_make (err, 0,
                               RES "memory.limit: %" PRId64 " is below what the container uses now",
                               limit);
    }
  return -1;
}

static int
memory_v1 (const struct ocirt_cgroup_dir *d, const oci_memory *m, bool update, ocirt_error_t *err)
{
  int64_t limit = m->limit_present ? m->limit : 0;
  int64_t swap = m->swap_present ? m->swap : 0;
  bool memsw = false, swap_first = false;

  if (m->swappiness_present && m->swappiness > 100)
    return ocirt_error_make (err, 0, RES "memory.swappiness: %" PRIu64 " is out of range (0-100)",
                             m->swappiness);
  if (m->check_before_update_present && m->check_before_update && limit > 0
      && check_usage (d, "memory.usage_in_bytes", limit, err) < 0)
    return -1;
  if (swap != 0 || limit == -1)
    memsw = ocirt_cgroup_has_file (d, "memory.memsw.limit_in_bytes");
  if (limit == -1 && swap == 0 && memsw)
    swap = -1;
  if (swap != 0 && !memsw)
    return unsupported ("memory.swap",
                        "swap accounting is off in this kernel (no memory.memsw.limit_in_bytes)", err);
  /* memory+swap may never be below the memory limit: raise it first,
     lower it last.  */
  if (limit != 0 && swap != 0)
    {
      uint64_t cur;

      if (read_u64 (d, "memory.limit_in_bytes", &cur, err) < 0)
        return -1;
      swap_first = swap == -1 || cur < (uint64_t) swap;
    }
  if (swap_first && set_i64 (d, "memory.memsw.limit_in_bytes", swap, "memory.swap", err) < 0)
    return -1;
  if (limit != 0 && set_memory_limit (d, "memory.limit_in_bytes", limit, err) < 0)
    return -1;
  if (!swap_first && swap != 0
      && set_i64 (d, "memory.memsw.limit_in_bytes", swap, "memory.swap", err) < 0)
    return -1;
  if (m->reservation_present && m->reservation != 0
      && set_i64 (d, "memory.soft_limit_in_bytes", m->reservation, "memory.reservation", err) < 0)
    return -1;
  if (m->kernel_present && m->kernel != 0)
    {
      if (!ocirt_cgroup_has_file (d, "memory.kmem.limit_in_bytes"))
        return unsupported ("memory.kernel", "this kernel has no kernel memory limit", err);
      if (set_i64 (d, "memory.kmem.limit_in_bytes", m->kernel, "memory.kernel", err) < 0)
        return -1;
      /* Since 5.16 the kernel takes the write and keeps no limit.  */
      if (m->kernel > 0)
        {
          uint64_t cur;

          if (read_u64 (d, "memory.kmem.limit_in_bytes", &cur, err) < 0)
            return -1;
          if (cur > (uint64_t) m->kernel)
            ocirt_warn (RES "memory.kernel: this kernel keeps no kernel memory limit");
        }
    }
  if (m->kernel_tcp_present && m->kernel_tcp != 0)
    {
      if (!ocirt_cgroup_has_file (d, "memory.kmem.tcp.limit_in_bytes"))
        return unsupported ("memory.kernelTCP", "this kernel has no kernel TCP memory limit", err);
      if (set_i64 (d, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, "memory.kernelTCP", err) < 0)
        return -1;
    }
  if (m->swappiness_present
      && set_u64 (d, "memory.swappiness", m->swappiness, "memory.swappiness", err) < 0)
    return -1;
  if (m->disable_oom_killer_present && (m->disable_oom_killer || update)
      && set (d, "memory.oom_control", m->disable_oom_killer ? "1" : "0", "memory.disableOOMKiller", err)
             < 0)
    return -1;
  if (m->use_hierarchy_present
      && set (d, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", "memory.useHierarchy", err) < 0)
    return -1;
  return 0;
}

static int
memory_v2 (const struct ocirt_cgroup_dir *d, const oci_memory *m, bool update, ocirt_error_t *err)
{
  int64_t limit = m->limit_present ? m->limit : 0;
  int64_t swap = m->swap_present ? m->swap : 0;
  int64_t for_swap = limit, v2swap;

  if (m->swappiness_present && m->swappiness > 100)
    return ocirt_error_make (err, 0, RES "memory.swappiness: %" PRIu64 " is out of range (0-100)",
                             m->swappiness);
  if (m->swappiness_present)
    ignored_on_v2 ("memory.swappiness");
  if (m->disable_oom_killer_present && m->disable_oom_killer)
    return unsupported ("memory.disableOOMKiller", "not supported on cgroup v2", err);
  if (m->use_hierarchy_present && !m->use_hierarchy)
    return unsupported ("memory.useHierarchy", "cgroup v2 is always hierarchical", err);
  if (m->kernel_present && m->kernel != 0)
    ignored_on_v2 ("memory.kernel");
  if (m->kernel_tcp_present && m->kernel_tcp != 0)
    ignored_on_v2 ("memory.kernelTCP");
  if (m->check_before_update_present && m->check_before_update && limit > 0
      && check_usage (d, "memory.current", limit, err) < 0)
    return -1;
  /* An update of swap alone is relative to the limit in force.  */
  if (update && swap > 0 && limit == 0)
    {
      uint64_t cur;

      if (read_u64 (d, "memory.max", &cur, err) < 0)
        return -1;
      for_swap = cur == UINT64_MAX ? -1 : (int64_t) cur;
    }
  if (ocirt_cgroup_swap_to_v2 (swap, for_swap, &v2swap, err) < 0)
    return -1;
  if (v2swap != 0 || swap > 0)
    {
      char value[32];

      if (v2swap < 0)
        snprintf (value, sizeof (value), "max");
      else
        snprintf (value, sizeof (value), "%" PRId64, v2swap);
      /* Without swap in the kernel, "no limit" and "none" are what is. */
      if (v2swap <= 0 && !ocirt_cgroup_has_file (d, "memory.swap.max")
          && ocirt_cgroup_v2_has (d, "memory"))
        ocirt_debug ("cgroup: no memory.swap.max, swap %s not set", value);
      else if (set (d, "memory.swap.max", value, "memory.swap", err) < 0)
        return -1;
    }
  if (limit != 0 && set_memory_limit (d, "memory.max", limit, err) < 0)
    return -1;
  if (m->reservation_present && m->reservation != 0
      && set_i64 (d, "memory.low", m->reservation, "memory.reservation", err) < 0)
    return -1;
  return 0;
}

static int
apply_memory (const struct ocirt_cgroup *cg, const oci_memory *m, bool update, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d;

  if (m == NULL)
    return 0;
  d = need (cg, "memory", "memory", err);
  if (d == NULL)
    return -1;
  return d->unified ? memory_v2 (d, m, update, err) : memory_v1 (d, m, update, err);
}

/* ---- cpu ------------------------------------------------------------ */

static int
cpu_v1 (const struct ocirt_cgroup_dir *d, const oci_cpu *c, ocirt_error_t *err)
{
  uint64_t period = c->period_present ? c->period : 0;
  int64_t quota = c->quota_present ? c->quota : 0;
  bool period_again = false;

  if (c->shares_present && c->shares && set_u64 (d, "cpu.shares", c->shares, "cpu.shares", err) < 0)
    return -1;
  if (period)
    {
      if (set_u64 (d, "cpu.cfs_period_us", period, "cpu.period", err) < 0)
        {
          /* old quota / new period may exceed the parent's: retry once
             the quota is in.  */
          if ((*err)->status != EINVAL || quota == 0)
            return -1;
          ocirt_error_release (err);
          period_again = true;
        }
    }
  if (quota && set_i64 (d, "cpu.cfs_quota_us", quota, "cpu.quota", err) < 0)
    return -1;
  if (period_again && set_u64 (d, "cpu.cfs_period_us", period, "cpu.period", err) < 0)
    return -1;
  if (c->burst_present && set_u64 (d, "cpu.cfs_burst_us", c->burst, "cpu.burst", err) < 0)
    return -1;
  if (c->realtime_period_present && c->realtime_period
      && set_u64 (d, "cpu.rt_period_us", c->realtime_period, "cpu.realtimePeriod", err) < 0)
    return -1;
  if (c->realtime_runtime_present && c->realtime_runtime
      && set_i64 (d, "cpu.rt_runtime_us", c->realtime_runtime, "cpu.realtimeRuntime", err) < 0)
    return -1;
  if (c->idle_present && set_i64 (d, "cpu.idle", c->idle, "cpu.idle", err) < 0)
    return -1;
  return 0;
}

static int
cpu_v2 (const struct ocirt_cgroup_dir *d, const oci_cpu *c, bool update, ocirt_error_t *err)
{
  uint64_t period = c->period_present ? c->period : 0;
  int64_t quota = c->quota_present ? c->quota : 0;

  if (c->realtime_period_present && c->realtime_period)
    ignored_on_v2 ("cpu.realtimePeriod");
  if (c->realtime_runtime_present && c->realtime_runtime)
    ignored_on_v2 ("cpu.realtimeRuntime");
  if (c->shares_present && c->shares
      && set_u64 (d, "cpu.weight", ocirt_cgroup_shares_to_weight (c->shares), "cpu.shares", err) < 0)
    return -1;
  if (quota || period)
    {
      cleanup_free char *cur = NULL;
      char buf[64];
      int n;

      if (quota > 0)
        n = snprintf (buf, sizeof (buf), "%" PRId64, quota);
      else if (quota == 0 && update)
        {
          /* A new period alone keeps the quota in force.  */
          if (ocirt_cgroup_read (d, "cpu.max", &cur, err) < 0)
            return ocirt_error_prefix (err, RES "cpu.period");
          n = snprintf (buf, sizeof (buf), "%.*s", (int) strcspn (cur, " \n"), cur);
        }
      else
        n = snprintf (buf, sizeof (buf), "max");
      if (period)
        snprintf (buf + n, sizeof (buf) - n, " %" PRIu64, period);
      if (set (d, "cpu.max", buf, quota ? "cpu.quota" : "cpu.period", err) < 0)
        {
          /* A lower quota than the burst in force: the burst goes first. */
          if ((*err)->status != EINVAL || !c->burst_present)
            return -1;
          ocirt_error_release (err);
          if (set_u64 (d, "cpu.max.burst", c->burst, "cpu.burst", err) < 0
              || set (d, "cpu.max", buf, quota ? "cpu.quota" : "cpu.period", err) < 0)
            return -1;
        }
    }
  if (c->burst_present && set_u64 (d, "cpu.max.burst", c->burst, "cpu.burst", err) < 0)
    return -1;
  if (c->idle_present && set_i64 (d, "cpu.idle", c->idle, "cpu.idle", err) < 0)
    return -1;
  return 0;
}

static bool
cpu_needs_cpu (const oci_cpu *c)
{
  return (c->shares_present && c->shares) || (c->quota_present && c->quota)
         || (c->period_present && c->period) || c->burst_present
         || (c->realtime_period_present && c->realtime_period)
         || (c->realtime_runtime_present && c->realtime_runtime) || c->idle_present;
}

static int
apply_cpu (const struct ocirt_cgroup *cg, const oci_cpu *c, bool update, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d;

  if (c == NULL)
    return 0;
  /* cpu.shares is clamped silently by the kernel: say so instead.  */
  if (c->shares_present && c->shares && (c->shares < 2 || c->shares > 262144))
    return ocirt_error_make (err, 0, RES "cpu.shares: %" PRIu64 " is out of range (2-262144)",
                             c->shares);
  if (cpu_needs_cpu (c))
    {
      d = need (cg, "cpu", "cpu", err);
      if (d == NULL)
        return -1;
      if ((d->unified ? cpu_v2 (d, c, update, err) : cpu_v1 (d, c, err)) < 0)
        return -1;
    }
  if ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0]))
    {
      d = need (cg, "cpuset", c->cpus && c->cpus[0] ? "cpu.cpus" : "cpu.mems", err);
      if (d == NULL)
        return -1;
      if (c->cpus && c->cpus[0] && set (d, "cpuset.cpus", c->cpus, "cpu.cpus", err) < 0)
        return -1;
      if (c->mems && c->mems[0] && set (d, "cpuset.mems", c->mems, "cpu.mems", err) < 0)
        return -1;
    }
  return 0;
}

/* ---- pids ----------------------------------------------------------- */

static int
apply_pids (const struct ocirt_cgroup *cg, const oci_pids *p, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d;
  char buf[32];

  if (p == NULL || !p->limit_present)
    return 0;
  d = need (cg, "pids", "pids.limit", err);
  if (d == NULL)
    return -1;
  /* Since spec 1.3, 0 is a limit like any other; negative is none.  */
  if (p->limit < 0)
    snprintf (buf, sizeof (buf), "max");
  else
    snprintf (buf, sizeof (buf), "%" PRId64, p->limit);
  return set (d, "pids.max", buf, "pids.limit", err);
}

/* ---- block io ------------------------------------------------------- */

static int
throttle (const struct ocirt_cgroup_dir *d, oci_throttle_device **devs, size_t n, const char *v1file,
          const char *v2key, const char *what, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      char buf[96];

      if (!d->unified)
        snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %" PRIu64, devs[i]->major, devs[i]->minor,
                  devs[i]->rate);
      else if (devs[i]->rate == 0)
        /* 0 lifts the limit on v1; "max" says it on v2.  */
        snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %s=max", devs[i]->major, devs[i]->minor,
                  v2key);
      else
        snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, devs[i]->major,
                  devs[i]->minor, v2key, devs[i]->rate);
      if (set (d, d->unified ? "io.max" : v1file, buf, what, err) < 0)
        return -1;
    }
  return 0;
}

static int
blkio_v1 (const struct ocirt_cgroup_dir *d, const oci_block_io *b, ocirt_error_t *err)
{
  bool bfq = false, weights = (b->weight_present && b->weight) || b->weight_device_len;
  size_t i;

  /* CFQ's files, or BFQ's when the kernel has that scheduler instead.  */
  if (weights)
    {
      bfq = ocirt_cgroup_has_file (d, "blkio.bfq.weight");
      if (!bfq && !ocirt_cgroup_has_file (d, "blkio.weight"))
        return unsupported (b->weight_present && b->weight ? "blockIO.weight" : "blockIO.weightDevice",
                            "no blkio.weight or blkio.bfq.weight here (no CFQ or BFQ scheduler)", err);
    }
  if (b->weight_present && b->weight
      && set_u64 (d, bfq ? "blkio.bfq.weight" : "blkio.weight", b->weight, "blockIO.weight", err) < 0)
    return -1;
  if (b->leaf_weight_present && b->leaf_weight)
    {
      if (!ocirt_cgroup_has_file (d, "blkio.leaf_weight"))
        return unsupported ("blockIO.leafWeight", "no blkio.leaf_weight here (no CFQ scheduler)", err);
      if (set_u64 (d, "blkio.leaf_weight", b->leaf_weight, "blockIO.leafWeight", err) < 0)
        return -1;
    }
  for (i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *w = b->weight_device[i];
      char buf[96];

      if (w->weight_present && w->weight)
        {
          snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight);
          if (set (d, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", buf,
                   "blockIO.weightDevice", err)
              < 0)
            return -1;
        }
      if (w->leaf_weight_present && w->leaf_weight)
        {
          snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->leaf_weight);
          if (set (d, "blkio.leaf_weight_device", buf, "blockIO.weightDevice", err) < 0)
            return -1;
        }
    }
  return 0;
}

static int
blkio_v2 (const struct ocirt_cgroup_dir *d, const oci_block_io *b, ocirt_error_t *err)
{
  bool bfq = false;
  size_t i;

  if (b->leaf_weight_present && b->leaf_weight)
    ignored_on_v2 ("blockIO.leafWeight");
  if ((b->weight_present && b->weight) || b->weight_device_len)
    bfq = ocirt_cgroup_has_file (d, "io.bfq.weight");
  /* BFQ takes blkio's scale as it is; io.weight needs the conversion.  */
  if (b->weight_present && b->weight)
    {
      if (bfq)
        {
          if (set_u64 (d, "io.bfq.weight", b->weight, "blockIO.weight", err) < 0)
            return -1;
        }
      else if (set_u64 (d, "io.weight", ocirt_cgroup_blkio_to_io_weight (b->weight), "blockIO.weight",
                        err)
               < 0)
        return -1;
    }
  for (i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *w = b->weight_device[i];
      char buf[96];

      if (w->leaf_weight_present && w->leaf_weight)
        ignored_on_v2 ("blockIO.weightDevice.leafWeight");
      if (!w->weight_present || !w->weight)
        continue;
      snprintf (buf, sizeof (buf), "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                bfq ? (uint64_t) w->weight : ocirt_cgroup_blkio_to_io_weight (w->weight));
      if (set (d, bfq ? "io.bfq.weight" : "io.weight", buf, "blockIO.weightDevice", err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_blkio (const struct ocirt_cgroup *cg, const oci_block_io *b, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d;

  if (b == NULL)
    return 0;
  if (!(b->weight_present && b->weight) && !(b->leaf_weight_present && b->leaf_weight)
      && !b->weight_device_len && !b->throttle_read_bps_device_len && !b->throttle_write_bps_device_len
      && !b->throttle_read_iops_device_len && !b->throttle_write_iops_device_len)
    return 0;
  /* v1 calls it blkio, v2 io.  */
  d = cg->mode == OCIRT_CGROUP_V2 ? NULL : ocirt_cgroup_dir_for (cg, "blkio");
  if (d == NULL || d->unified)
    d = need (cg, "io", "blockIO", err);
  if (d == NULL)
    return -1;
  if ((d->unified ? blkio_v2 (d, b, err) : blkio_v1 (d, b, err)) < 0)
    return -1;
  if (throttle (d, b->throttle_read_bps_device, b->throttle_read_bps_device_len,
                "blkio.throttle.read_bps_device", "rbps", "blockIO.throttleReadBpsDevice", err)
          < 0
      || throttle (d, b->throttle_write_bps_device, b->throttle_write_bps_device_len,
                   "blkio.throttle.write_bps_device", "wbps", "blockIO.throttleWriteBpsDevice", err)
             < 0
      || throttle (d, b->throttle_read_iops_device, b->throttle_read_iops_device_len,
                   "blkio.throttle.read_iops_device", "riops", "blockIO.throttleReadIOPSDevice", err)
             < 0
      || throttle (d, b->throttle_write_iops_device, b->throttle_write_iops_device_len,
                   "blkio.throttle.write_iops_device", "wiops", "blockIO.throttleWriteIOPSDevice", err)
             < 0)
    return -1;
  return 0;
}

/* ---- hugetlb, network, rdma ------------------------------------------ */

static bool
valid_page_size (const char *s)
{
  size_t i;

  if (s == NULL || s[0] < '0' || s[0] > '9')
    return false;
  for (i = 0; s[i]; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
      return false;
  return i < 16;
}

static int
apply_hugetlb (const struct ocirt_cgroup *cg, oci_hugepage_limit **h, size_t n, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d;
  size_t i;

  if (n == 0)
    return 0;
  d = need (cg, "hugetlb", "hugepageLimits", err);
  if (d == NULL)
    return -1;
  if (d->unified && !ocirt_cgroup_v2_has (d, "hugetlb"))
    return unsupported ("hugepageLimits", "the hugetlb controller is not enabled for the container",
                        err);
  for (i = 0; i < n; i++)
    {
      const char *size = h[i]->page_size;
      cleanup_free char *file = NULL;
      cleanup_free char *rsvd = NULL;

      if (!valid_page_size (size))
        return ocirt_error_make (err, 0, RES "hugepageLimits: invalid page size `%s`", size ? size : "");
      file = xasprintf (d->unified ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", size);
      if (!ocirt_cgroup_has_file (d, file))
        return ocirt_error_make (err, 0, RES "hugepageLimits: page size `%s` is not supported here",
                                 size);
      if (set_u64 (d, file, h[i]->limit, "hugepageLimits", err) < 0)
        return -1;
      /* Reservations (5.7) get the same limit, as in runc.  */
      rsvd = xasprintf (d->unified ? "hugetlb.%s.rsvd.max" : "hugetlb.%s.rsvd.limit_in_bytes", size);
      if (ocirt_cgroup_has_file (d, rsvd) && set_u64 (d, rsvd, h[i]->limit, "hugepageLimits", err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_network (const struct ocirt_cgroup *cg, const oci_network *net, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d;
  size_t i;

  if (net == NULL)
    return 0;
  if (cg->mode == OCIRT_CGROUP_V2)
    {
      if (net->class_id_present)
        ignored_on_v2 ("network.classID");
      if (net->priorities_len)
        ignored_on_v2 ("network.priorities");
      return 0;
    }
  if (net->class_id_present)
    {
      d = ocirt_cgroup_dir_for (cg, "net_cls");
      if (d == NULL || d->unified)
        return unsupported ("network.classID", "needs the v1 net_cls controller, not mounted here", err);
      if (set_u64 (d, "net_cls.classid", net->class_id, "network.classID", err) < 0)
        return -1;
    }
  if (net->priorities_len)
    {
      d = ocirt_cgroup_dir_for (cg, "net_prio");
      if (d == NULL || d->unified)
        return unsupported ("network.priorities", "needs the v1 net_prio controller, not mounted here",
                            err);
      for (i = 0; i < net->priorities_len; i++)
        {
          cleanup_free char *line = xasprintf ("%s %u", net->priorities[i]->name,
                                               net->priorities[i]->priority);

          if (set (d, "net_prio.ifpriomap", line, "network.priorities", err) < 0)
            return -1;
        }
    }
  return 0;
}

static int
apply_rdma (const struct ocirt_cgroup *cg, const oci_map_rdma *r, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d;
  size_t i;

  if (r == NULL || r->len == 0)
    return 0;
  d = need (cg, "rdma", "rdma", err);
  if (d == NULL)
    return -1;
  for (i = 0; i < r->len; i++)
    {
      const oci_rdma *v = r->values[i];
      char line[512];
      int n;

      if (!v->hca_handles_present && !v->hca_objects_present)
        continue;
      n = snprintf (line, sizeof (line), "%s", r->keys[i]);
      if (v->hca_handles_present)
        n += snprintf (line + n, sizeof (line) - n, " hca_handle=%u", v->hca_handles);
      if (v->hca_objects_present)
        snprintf (line + n, sizeof (line) - n, " hca_object=%u", v->hca_objects);
      if (set (d, "rdma.max", line, "rdma", err) < 0)
        return -1;
    }
  return 0;
}

/* ---- unified -------------------------------------------------------- */

static int
apply_unified (const struct ocirt_cgroup *cg, const oci_map_string *u, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d;
  cleanup_free char *avail = NULL;
  size_t i;

  if (u == NULL || u->len == 0)
    return 0;
  d = ocirt_cgroup_unified (cg);
  if (d == NULL)
    return unsupported ("unified", "needs cgroup v2, and this host has only cgroup v1", err);
  if (ocirt_cgroup_read (d, "cgroup.controllers", &avail, err) < 0)
    return ocirt_error_prefix (err, RES "unified");
  for (i = 0; i < u->len; i++)
    {
      const char *key = u->keys[i];
      cleanup_free char *ctrl = NULL;
      cleanup_free char *value = NULL;
      char *line, *save = NULL;
      size_t cl = strcspn (key, ".");

      if (strchr (key, '/') || cl == 0 || key[cl] != '.' || key[cl + 1] == '\0')
        return ocirt_error_make (err, 0, RES "unified: `%s` is not a cgroup file name (CONTROLLER.NAME)",
                                 key);
      ctrl = strndup (key, cl);
      if (ctrl == NULL)
        abort ();
      /* The container may only use what its parent enabled for it.  */
      if (strcmp (ctrl, "cgroup") != 0)
        {
          cleanup_free char *copy = xstrdup (avail);
          char *tok, *s2 = NULL;
          bool found = false;

          for (tok = strtok_r (copy, " \n", &s2); tok && !found; tok = strtok_r (NULL, " \n", &s2))
            found = strcmp (tok, ctrl) == 0;
          if (!found)
            {
              const struct ocirt_cgroup_dir *v1 = ocirt_cgroup_dir_for (cg, ctrl);

              if (v1 && !v1->unified)
                return ocirt_error_make (err, 0,
                                         RES "unified: `%s`: %s is a cgroup v1 controller on this host",
                                         key, ctrl);
              return ocirt_error_make (err, 0,
                                       RES "unified: `%s`: the %s controller is not enabled in `%s`",
                                       key, ctrl, d->path);
            }
        }
      if (!ocirt_cgroup_has_file (d, key))
        return ocirt_error_make (err, 0, RES "unified: `%s`: no such file in `%s`", key, d->path);
      /* Files such as io.max take one entry per write.  */
      value = xstrdup (u->values[i] ? u->values[i] : "");
      if (strchr (value, '\n') == NULL)
        {
          if (ocirt_cgroup_write (d, key, value, err) < 0)
            return ocirt_error_prefix (err, RES "unified");
          continue;
        }
      for (line = strtok_r (value, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        if (ocirt_cgroup_write (d, key, line, err) < 0)
          return ocirt_error_prefix (err, RES "unified");
    }
  return 0;
}

/* ---- devices -------------------------------------------------------- */

/* What every container may use whatever the rules say, as runc grants. */
/* runc's list.  Not c 5:1: the container's /dev/console is a bind of its
   pty (136:*), and with CAP_MKNOD 5:1 would be the host's console.  */
static const char *const default_device_rules[] = {
  "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm",   "c 1:7 rwm",    "c 1:8 rwm",
  "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
};

static void
device_number (char *buf, size_t size, bool present, int64_t v)
{
  if (present && v >= 0)
    snprintf (buf, size, "%" PRId64, v);
  else
    snprintf (buf, size, "*");
}

/* Only into a cgroup we made: the program outlives us, attached there.  */
static bool
made_by_us (const struct ocirt_cgroup *cg, const char *path)
{
  size_t i;

  for (i = 0; i < cg->ncreated; i++)
    if (strcmp (cg->created[i], path) == 0)
      return true;
  return false;
}

int
ocirt_cgroup_device_rules (const oci_linux *lx, ocirt_device_rule_fn fn, void *data, ocirt_error_t *err)
{
  const oci_resources *res = lx->resources;
  size_t i;

  for (i = 0; i < res->devices_len; i++)
    {
      const oci_device_cgroup *r = res->devices[i];
      const char *type = r->type && r->type[0] ? r->type : "a";
      char rule[128], maj[24], min[24];

      device_number (maj, sizeof (maj), r->major_present, r->major);
      device_number (min, sizeof (min), r->minor_present, r->minor);
      if (strcmp (type, "a") == 0)
        snprintf (rule, sizeof (rule), "a");
      else
        snprintf (rule, sizeof (rule), "%s %s:%s %s", type, maj, min,
                  r->access && r->access[0] ? r->access : "rwm");
      if (fn (data, r->allow, rule, err) < 0)
        return -1;
    }
  for (i = 0; i < ARRAY_SIZE (default_device_rules); i++)
    if (fn (data, true, default_device_rules[i], err) < 0)
      return -1;
  /* The devices the config creates are the container's to use.  */
  for (i = 0; i < lx->devices_len; i++)
    {
      const oci_device *dev = lx->devices[i];
      char rule[128];

      if (dev->type == NULL || strcmp (dev->type, "p") == 0)
        continue;
      snprintf (rule, sizeof (rule), "%c %" PRId64 ":%" PRId64 " rwm", dev->type[0] == 'b' ? 'b' : 'c',
                dev->major, dev->minor);
      if (fn (data, true, rule, err) < 0)
        return -1;
    }
  return 0;
}

struct device_target
{
  const struct ocirt_cgroup_dir *d;
  struct ocirt_dev_rules *bpf;
  int fd[2]; /* devices.deny, devices.allow: kept open across the rules */
};

/* A rule in v1's text: written on v1, collected for the program on v2. */
static int
device_rule (void *data, bool allow, const char *rule, ocirt_error_t *err)
{
  struct device_target *t = data;

  if (t->bpf)
    return ocirt_cgroup_devices_rules_add (t->bpf, allow, rule, err) < 0
               ? ocirt_error_prefix (err, RES "devices")
               : 0;
  /* v1 takes one rule per write.  */
  if (ocirt_cgroup_write_fd (t->d, allow ? "devices.allow" : "devices.deny", rule, &t->fd[allow], err)
      < 0)
    return ocirt_error_prefix (err, RES "devices");
  return 0;
}

/* v1 device rules, or on pure v2 the same rules as an eBPF program.  */
static int
apply_devices (const struct ocirt_cgroup *cg, const oci_linux *lx, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "devices");
  const oci_resources *res = lx->resources;
  struct ocirt_dev_rules rules = { NULL, 0 };
  struct device_target t = { d, NULL, { -1, -1 } };
  int ret = -1;

  if (d == NULL || res == NULL || res->devices_len == 0)
    return 0;
  if (d->unified)
    {
      /* On a hybrid host the v1 devices controller is the one in force. */
      if (cg->mode != OCIRT_CGROUP_V2)
        return 0;
      /* A systemd scope is the container's own, as runc has it: systemd's
         program and ours both apply.  */
      if (!cg->systemd && !made_by_us (cg, d->path))
        {
          ocirt_debug ("cgroup: %s was not created by ocirt: no device program", d->path);
          return 0;
        }
      t.bpf = &rules;
    }
  if (ocirt_cgroup_device_rules (lx, device_rule, &t, err) < 0)
    goto out;
  if (t.bpf && ocirt_cgroup_devices_bpf_apply (t.bpf, d->path, err) < 0)
    {
      ocirt_error_prefix (err, RES "devices");
      goto out;
    }
  ret = 0;
out:
  if (t.fd[0] >= 0)
    close (t.fd[0]);
  if (t.fd[1] >= 0)
    close (t.fd[1]);
  ocirt_cgroup_devices_rules_release (&rules);
  return ret;
}

/* ---- entry points --------------------------------------------------- */

static int
set_resources (const struct ocirt_cgroup *cg, const oci_resources *res, bool update, ocirt_error_t *err)
{
  if (apply_cpu (cg, res->cpu, update, err) < 0 || apply_memory (cg, res->memory, update, err) < 0
      || apply_pids (cg, res->pids, err) < 0 || apply_blkio (cg, res->block_io, err) < 0
      || apply_hugetlb (cg, res->hugepage_limits, res->hugepage_limits_len, err) < 0
      || apply_network (cg, res->network, err) < 0 || apply_rdma (cg, res->rdma, err) < 0)
    return -1;
  return 0;
}

int
ocirt_cgroup_apply_resources (const struct ocirt_cgroup *cg, const oci_linux *lx, ocirt_error_t *err)
{
  const oci_resources *res = lx ? lx->resources : NULL;

  if (res == NULL)
    return 0;
  if (set_resources (cg, res, false, err) < 0 || apply_devices (cg, lx, err) < 0)
    return -1;
  /* Last, so that it overrides what the fields above set, as in runc.  */
  return apply_unified (cg, res->unified, err);
}

int
ocirt_cgroup_update_resources (const struct ocirt_cgroup *cg, const oci_resources *res,
                               ocirt_error_t *err)
{
  if (res == NULL)
    return 0;
  if (set_resources (cg, res, true, err) < 0)
    return -1;
  return apply_unified (cg, res->unified, err);
}
