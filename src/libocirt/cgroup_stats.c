/* The stats of `events` in runc's
   JSON shape (its Go encoding: map keys sorted, "omitempty" fields left
   out when zero).  */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "utils.h"

static char *
slurp (const struct ocirt_cgroup_dir *d, const char *file)
{
  ocirt_error_t tmp = NULL;
  char *data = NULL;

  if (d == NULL || ocirt_cgroup_read (d, file, &data, &tmp) < 0)
    {
      ocirt_error_release (&tmp);
      return NULL;
    }
  return data;
}

/* A missing or odd file reads as 0, as runc's stats do.  */
static uint64_t
file_u64 (const struct ocirt_cgroup_dir *d, const char *file)
{
  cleanup_free char *data = slurp (d, file);
  uint64_t v;

  return data && ocirt_cgroup_parse_u64 (data, &v) ? v : 0;
}

static uint64_t
file_keyed (const struct ocirt_cgroup_dir *d, const char *file, const char *key)
{
  cleanup_free char *data = slurp (d, file);
  uint64_t v;

  return data && ocirt_cgroup_parse_keyed (data, key, &v) ? v : 0;
}

static const struct ocirt_cgroup_dir *
v1_dir (const struct ocirt_cgroup *cg, const char *controller)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, controller);

  return d && !d->unified ? d : NULL;
}

/* ---- JSON ----------------------------------------------------------- */

static void
key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

static void
num (yajl_gen g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%" PRIu64, v);

  yajl_gen_number (g, buf, n);
}

static void
knum (yajl_gen g, const char *k, uint64_t v)
{
  key (g, k);
  num (g, v);
}

/* An "omitempty" field.  */
static void
knum_nz (yajl_gen g, const char *k, uint64_t v)
{
  if (v)
    knum (g, k, v);
}

static void
knum_array (yajl_gen g, const char *k, const uint64_t *v, size_t n)
{
  size_t i;

  if (n == 0)
    return;
  key (g, k);
  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    num (g, v[i]);
  yajl_gen_array_close (g);
}

/* ---- cpu ------------------------------------------------------------ */

static void
cpu_stats (yajl_gen g, const struct ocirt_cgroup *cg)
{
  const struct ocirt_cgroup_dir *acct = v1_dir (cg, "cpuacct");
  const struct ocirt_cgroup_dir *cpu = v1_dir (cg, "cpu");
  const struct ocirt_cgroup_dir *u = ocirt_cgroup_unified (cg);
  cleanup_free uint64_t *percpu = NULL;
  cleanup_free uint64_t *pkernel = NULL;
  cleanup_free uint64_t *puser = NULL;
  size_t npercpu = 0, nall = 0;
  uint64_t total = 0, kernel = 0, user = 0, periods, throttled, ttime;

  if (acct)
    {
      cleanup_free char *pc = slurp (acct, "cpuacct.usage_percpu");
      cleanup_free char *all = slurp (acct, "cpuacct.usage_all");
      cleanup_free char *stat = slurp (acct, "cpuacct.stat");
      long hz = sysconf (_SC_CLK_TCK);
      uint64_t v;

      total = file_u64 (acct, "cpuacct.usage");
      if (pc && ocirt_cgroup_parse_numbers (pc, &percpu, &npercpu) < 0)
        npercpu = 0;
      /* "cpu user system" then one line per cpu, in ns.  */
      if (all && strchr (all, '\n'))
        {
          char *line, *save = NULL;
          size_t alloc;

          alloc = 8;
          pkernel = xmalloc0 (sizeof (uint64_t) * alloc);
          puser = xmalloc0 (sizeof (uint64_t) * alloc);
          for (line = strtok_r (strchr (all, '\n') + 1, "\n", &save); line;
               line = strtok_r (NULL, "\n", &save))
            {
              unsigned long long c, us, sy;

              if (sscanf (line, "%llu %llu %llu", &c, &us, &sy) != 3)
                continue;
              if (nall == alloc)
                {
                  alloc *= 2;
                  pkernel = realloc (pkernel, sizeof (uint64_t) * alloc);
                  puser = realloc (puser, sizeof (uint64_t) * alloc);
                  if (pkernel == NULL || puser == NULL)
                    abort ();
                }
              puser[nall] = us;
              pkernel[nall++] = sy;
            }
        }
      /* cpuacct.stat counts clock ticks.  */
      if (hz <= 0)
        hz = 100;
      if (ocirt_cgroup_parse_keyed (stat, "user", &v))
        user = v * (1000000000ULL / hz);
      if (ocirt_cgroup_parse_keyed (stat, "system", &v))
        kernel = v * (1000000000ULL / hz);
    }
  else if (u)
    {
      cleanup_free char *stat = slurp (u, "cpu.stat");
      uint64_t v;

      if (ocirt_cgroup_parse_keyed (stat, "usage_usec", &v))
        total = v * 1000;
      if (ocirt_cgroup_parse_keyed (stat, "user_usec", &v))
        user = v * 1000;
      if (ocirt_cgroup_parse_keyed (stat, "system_usec", &v))
        kernel = v * 1000;
    }
  if (cpu)
    {
      periods = file_keyed (cpu, "cpu.stat", "nr_periods");
      throttled = file_keyed (cpu, "cpu.stat", "nr_throttled");
      ttime = file_keyed (cpu, "cpu.stat", "throttled_time");
    }
  else
    {
      periods = file_keyed (u, "cpu.stat", "nr_periods");
      throttled = file_keyed (u, "cpu.stat", "nr_throttled");
      ttime = file_keyed (u, "cpu.stat", "throttled_usec") * 1000;
    }

  key (g, "cpu");
  yajl_gen_map_open (g);
  key (g, "usage");
  yajl_gen_map_open (g);
  knum_nz (g, "total", total);
  knum_array (g, "percpu", percpu, npercpu);
  knum_array (g, "percpu_kernel", pkernel, nall);
  knum_array (g, "percpu_user", puser, nall);
  knum (g, "kernel", kernel);
  knum (g, "user", user);
  yajl_gen_map_close (g);
  key (g, "throttling");
  yajl_gen_map_open (g);
  knum_nz (g, "periods", periods);
  knum_nz (g, "throttledPeriods", throttled);
  knum_nz (g, "throttledTime", ttime);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

/* A cpuset list ("0-2,4") as the array of its numbers.  */
static void
klist (yajl_gen g, const char *k, const char *data)
{
  cleanup_free uint16_t *v = NULL;
  cleanup_free uint64_t *wide = NULL;
  size_t n = 0, i;

  if (data == NULL || ocirt_cgroup_parse_list (data, &v, &n) < 0 || n == 0)
    return;
  wide = xmalloc0 (n * sizeof (*wide));
  for (i = 0; i < n; i++)
    wide[i] = v[i];
  knum_array (g, k, wide, n);
}

static void
cpuset_stats (yajl_gen g, const struct ocirt_cgroup *cg)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "cpuset");
  bool v1 = d && !d->unified;
  cleanup_free char *cpus = slurp (d, v1 ? "cpuset.cpus" : "cpuset.cpus.effective");
  cleanup_free char *mems = slurp (d, v1 ? "cpuset.mems" : "cpuset.mems.effective");
  cleanup_free char *relax = v1 ? slurp (d, "cpuset.sched_relax_domain_level") : NULL;
  long long rl = relax ? strtoll (relax, NULL, 10) : 0;
  char buf[32];

  key (g, "cpuset");
  yajl_gen_map_open (g);
  klist (g, "cpus", cpus);
  knum (g, "cpu_exclusive", v1 ? file_u64 (d, "cpuset.cpu_exclusive") : 0);
  klist (g, "mems", mems);
  knum (g, "mem_hardwall", v1 ? file_u64 (d, "cpuset.mem_hardwall") : 0);
  knum (g, "mem_exclusive", v1 ? file_u64 (d, "cpuset.mem_exclusive") : 0);
  knum (g, "memory_migrate", v1 ? file_u64 (d, "cpuset.memory_migrate") : 0);
  knum (g, "memory_spread_page", v1 ? file_u64 (d, "cpuset.memory_spread_page") : 0);
  knum (g, "memory_spread_slab", v1 ? file_u64 (d, "cpuset.memory_spread_slab") : 0);
  knum (g, "memory_pressure", v1 ? file_u64 (d, "cpuset.memory_pressure") : 0);
  knum (g, "sched_load_balance", v1 ? file_u64 (d, "cpuset.sched_load_balance") : 0);
  key (g, "sched_relax_domain_level");
  yajl_gen_number (g, buf, snprintf (buf, sizeof (buf), "%lld", rl));
  yajl_gen_map_close (g);
}

/* ---- memory --------------------------------------------------------- */

static void
mem_entry (yajl_gen g, const char *k, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  key (g, k);
  yajl_gen_map_open (g);
  knum (g, "limit", limit);
  knum_nz (g, "usage", usage);
  knum_nz (g, "max", max);
  knum (g, "failcnt", failcnt);
  yajl_gen_map_close (g);
}

static void
v1_entry (yajl_gen g, const char *k, const struct ocirt_cgroup_dir *d, const char *prefix)
{
  char f[4][96];

  snprintf (f[0], sizeof (f[0]), "%slimit_in_bytes", prefix);
  snprintf (f[1], sizeof (f[1]), "%susage_in_bytes", prefix);
  snprintf (f[2], sizeof (f[2]), "%smax_usage_in_bytes", prefix);
  snprintf (f[3], sizeof (f[3]), "%sfailcnt", prefix);
  mem_entry (g, k, file_u64 (d, f[0]), file_u64 (d, f[1]), file_u64 (d, f[2]), file_u64 (d, f[3]));
}

static int
compare_lines (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* memory.stat as a map, keys sorted as Go writes them.  */
static void
raw_stats (yajl_gen g, const char *data)
{
  cleanup_free char *copy = xstrdup (data ? data : "");
  cleanup_free char **lines = NULL;
  char *line, *save = NULL;
  size_t n = 0, alloc = 64, i;

  lines = xmalloc0 (sizeof (char *) * alloc);
  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (n == alloc)
        {
          alloc *= 2;
          lines = realloc (lines, sizeof (char *) * alloc);
          if (lines == NULL)
            abort ();
        }
      lines[n++] = line;
    }
  if (n == 0)
    return;
  qsort (lines, n, sizeof (char *), compare_lines);
  key (g, "raw");
  yajl_gen_map_open (g);
  for (i = 0; i < n; i++)
    {
      char *sp = strchr (lines[i], ' ');
      uint64_t v;

      if (sp == NULL)
        continue;
      *sp = '\0';
      if (!ocirt_cgroup_parse_u64 (sp + 1, &v))
        continue;
      knum (g, lines[i], v);
    }
  yajl_gen_map_close (g);
}

static uint64_t
add_sat (uint64_t a, uint64_t b)
{
  return a == UINT64_MAX || b == UINT64_MAX || a + b < a ? UINT64_MAX : a + b;
}

static void
memory_stats (yajl_gen g, const struct ocirt_cgroup *cg)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "memory");
  cleanup_free char *stat = slurp (d, "memory.stat");
  uint64_t cache = 0;

  key (g, "memory");
  yajl_gen_map_open (g);
  if (d && !d->unified)
    {
      if (stat)
        ocirt_cgroup_parse_keyed (stat, "cache", &cache);
      knum_nz (g, "cache", cache);
      v1_entry (g, "usage", d, "memory.");
      v1_entry (g, "swap", d, "memory.memsw.");
      v1_entry (g, "kernel", d, "memory.kmem.");
      v1_entry (g, "kernelTCP", d, "memory.kmem.tcp.");
    }
  else
    {
      uint64_t limit = file_u64 (d, "memory.max"), usage = file_u64 (d, "memory.current");
      uint64_t swap_max = file_u64 (d, "memory.swap.max");

      if (stat)
        ocirt_cgroup_parse_keyed (stat, "file", &cache);
      knum_nz (g, "cache", cache);
      mem_entry (g, "usage", limit, usage, file_u64 (d, "memory.peak"),
                 file_keyed (d, "memory.events", "max"));
      /* v1's view: swap counts memory+swap.  */
      mem_entry (g, "swap", add_sat (swap_max, limit),
                 add_sat (file_u64 (d, "memory.swap.current"), usage), 0,
                 file_keyed (d, "memory.swap.events", "max"));
      mem_entry (g, "kernel", 0, 0, 0, 0);
      mem_entry (g, "kernelTCP", 0, 0, 0, 0);
    }
  raw_stats (g, stat);
  yajl_gen_map_close (g);
}

static void
pids_stats (yajl_gen g, const struct ocirt_cgroup *cg)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "pids");
  uint64_t limit = file_u64 (d, "pids.max");

  key (g, "pids");
  yajl_gen_map_open (g);
  knum_nz (g, "current", file_u64 (d, "pids.current"));
  knum_nz (g, "limit", limit == UINT64_MAX ? 0 : limit);
  yajl_gen_map_close (g);
}

/* ---- block io ------------------------------------------------------- */

/* Lines "MAJ:MIN Op value" (or "MAJ:MIN value"); "Total" lines are not
   entries.  Returns how many were written.  */
static size_t
blkio_entries (yajl_gen g, const char *k, const char *data, bool emit)
{
  cleanup_free char *copy = xstrdup (data ? data : "");
  char *line, *save = NULL;
  size_t n = 0;

  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, v;
      char op[32] = "";

      if (sscanf (line, "%llu:%llu %31s %llu", &maj, &min, op, &v) != 4)
        {
          op[0] = '\0';
          if (sscanf (line, "%llu:%llu %llu", &maj, &min, &v) != 3)
            continue;
        }
      if (emit && n == 0)
        {
          key (g, k);
          yajl_gen_array_open (g);
        }
      n++;
      if (!emit)
        continue;
      yajl_gen_map_open (g);
      knum_nz (g, "major", maj);
      knum_nz (g, "minor", min);
      if (op[0])
        {
          key (g, "op");
          key (g, op);
        }
      knum_nz (g, "value", v);
      yajl_gen_map_close (g);
    }
  if (emit && n)
    yajl_gen_array_close (g);
  return n;
}

static void
blkio_v2 (yajl_gen g, const struct ocirt_cgroup_dir *d)
{
  static const char *const names[] = { "ioServiceBytesRecursive", "ioServicedRecursive" };
  static const char *const keys[2][2] = { { "rbytes", "wbytes" }, { "rios", "wios" } };
  cleanup_free char *stat = slurp (d, "io.stat");
  size_t t;

  for (t = 0; t < 2; t++)
    {
      cleanup_free char *copy = xstrdup (stat ? stat : "");
      char *line, *save = NULL;
      bool open = false;

      for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          unsigned long long maj, min;
          size_t o;

          if (sscanf (line, "%llu:%llu", &maj, &min) != 2)
            continue;
          for (o = 0; o < 2; o++)
            {
              uint64_t v;

              if (!ocirt_cgroup_parse_nested (strchr (line, ' ') ? strchr (line, ' ') : "", keys[t][o],
                                              &v))
                continue;
              if (!open)
                {
                  key (g, names[t]);
                  yajl_gen_array_open (g);
                  open = true;
                }
              yajl_gen_map_open (g);
              knum_nz (g, "major", maj);
              knum_nz (g, "minor", min);
              key (g, "op");
              key (g, o == 0 ? "Read" : "Write");
              knum_nz (g, "value", v);
              yajl_gen_map_close (g);
            }
        }
      if (open)
        yajl_gen_array_close (g);
    }
}

static void
blkio_stats (yajl_gen g, const struct ocirt_cgroup *cg)
{
  static const char *const cfq[][2] = {
    { "ioServiceBytesRecursive", "blkio.io_service_bytes_recursive" },
    { "ioServicedRecursive", "blkio.io_serviced_recursive" },
    { "ioQueueRecursive", "blkio.io_queued_recursive" },
    { "ioServiceTimeRecursive", "blkio.io_service_time_recursive" },
    { "ioWaitTimeRecursive", "blkio.io_wait_time_recursive" },
    { "ioMergedRecursive", "blkio.io_merged_recursive" },
    { "ioTimeRecursive", "blkio.time_recursive" },
    { "sectorsRecursive", "blkio.sectors_recursive" },
  };
  const struct ocirt_cgroup_dir *d = cg->mode == OCIRT_CGROUP_V2 ? NULL : v1_dir (cg, "blkio");
  size_t i;

  key (g, "blkio");
  yajl_gen_map_open (g);
  if (d)
    {
      cleanup_free char *bfq = slurp (d, "blkio.bfq.io_service_bytes_recursive");
      cleanup_free char *bfq_ios = slurp (d, "blkio.bfq.io_serviced_recursive");

      if (ocirt_cgroup_has_file (d, cfq[1][1]))
        for (i = 0; i < ARRAY_SIZE (cfq); i++)
          {
            cleanup_free char *data = slurp (d, cfq[i][1]);
            blkio_entries (g, cfq[i][0], data, true);
          }
      /* BFQ counts only what went through it; the throttle layer sees
         every request.  */
      else if (bfq && blkio_entries (g, NULL, bfq, false) > 0)
        {
          blkio_entries (g, "ioServiceBytesRecursive", bfq, true);
          blkio_entries (g, "ioServicedRecursive", bfq_ios, true);
        }
      else
        {
          cleanup_free char *b = slurp (d, "blkio.throttle.io_service_bytes_recursive");
          cleanup_free char *s = slurp (d, "blkio.throttle.io_serviced_recursive");

          blkio_entries (g, "ioServiceBytesRecursive", b, true);
          blkio_entries (g, "ioServicedRecursive", s, true);
        }
    }
  else if ((d = ocirt_cgroup_dir_for (cg, "io")) && d->unified)
    blkio_v2 (g, d);
  yajl_gen_map_close (g);
}

/* ---- hugetlb -------------------------------------------------------- */

static void
hugetlb_stats (yajl_gen g, const struct ocirt_cgroup *cg)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "hugetlb");
  cleanup_free char **sizes = NULL;
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  size_t n = 0, i;
  bool v2 = d && d->unified;
  const char *suffix = v2 ? ".max" : ".limit_in_bytes";

  key (g, "hugetlb");
  yajl_gen_map_open (g);
  if (d && (!v2 || cg->mode == OCIRT_CGROUP_V2 || ocirt_cgroup_v2_has (d, "hugetlb")))
    dir = opendir (d->path);
  sizes = xmalloc0 (sizeof (char *) * 16);
  while (dir && (de = readdir (dir)) && n < 16)
    {
      const char *name = de->d_name;
      size_t l = strlen (name), sl = strlen (suffix);

      /* hugetlb.SIZE.max, not hugetlb.SIZE.rsvd.max */
      if (strncmp (name, "hugetlb.", 8) != 0 || l <= 8 + sl || strcmp (name + l - sl, suffix) != 0
          || memchr (name + 8, '.', l - 8 - sl))
        continue;
      sizes[n++] = strndup (name + 8, l - 8 - sl);
      if (sizes[n - 1] == NULL)
        abort ();
    }
  qsort (sizes, n, sizeof (char *), compare_lines);
  for (i = 0; i < n; i++)
    {
      char f[3][96];

      key (g, sizes[i]);
      yajl_gen_map_open (g);
      if (v2)
        {
          snprintf (f[0], sizeof (f[0]), "hugetlb.%s.current", sizes[i]);
          snprintf (f[1], sizeof (f[1]), "hugetlb.%s.events", sizes[i]);
          knum_nz (g, "usage", file_u64 (d, f[0]));
          knum (g, "failcnt", file_keyed (d, f[1], "max"));
        }
      else
        {
          snprintf (f[0], sizeof (f[0]), "hugetlb.%s.usage_in_bytes", sizes[i]);
          snprintf (f[1], sizeof (f[1]), "hugetlb.%s.max_usage_in_bytes", sizes[i]);
          snprintf (f[2], sizeof (f[2]), "hugetlb.%s.failcnt", sizes[i]);
          knum_nz (g, "usage", file_u64 (d, f[0]));
          knum_nz (g, "max", file_u64 (d, f[1]));
          knum (g, "failcnt", file_u64 (d, f[2]));
        }
      yajl_gen_map_close (g);
      free (sizes[i]);
    }
  yajl_gen_map_close (g);
}

char *
ocirt_cgroup_stats_json (const struct ocirt_cgroup *cg, ocirt_error_t *err)
{
  yajl_gen g;
  size_t i;
  bool any = false;

  /* Gone with the container: no stats rather than zeros.  */
  for (i = 0; i < cg->ndirs && !any; i++)
    any = access (cg->dirs[i].path, F_OK) == 0;
  if (!any)
    {
      ocirt_error_make (err, 0, "the container's cgroup is gone");
      return NULL;
    }
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  yajl_gen_map_open (g);
  cpu_stats (g, cg);
  cpuset_stats (g, cg);
  memory_stats (g, cg);
  pids_stats (g, cg);
  blkio_stats (g, cg);
  hugetlb_stats (g, cg);
  key (g, "intel_rdt");
  yajl_gen_map_open (g);
  yajl_gen_map_close (g);
  key (g, "network_interfaces");
  yajl_gen_null (g);
  yajl_gen_map_close (g);
  return ocirt_utils_json_gen_take (g);
}
