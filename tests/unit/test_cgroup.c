/* Unit tests of the cgroup code that needs no kernel: the v1 -> v2
   conversions, the parsers of cgroup files and flags, and which file each
   resource lands in (against directories of plain files that stand for a
   v1 and a v2 cgroup).  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libocirt/cgroup.h"
#include "libocirt/cgroup_files.h"
#include "libocirt/cgroup_resources.h"
#include "libocirt/container_cgroup.h"
#include "libocirt/units.h"
#include "libocirt/utils.h"

Test (conversions, cpu_shares_to_weight)
{
  cr_assert_eq (ocirt_cgroup_shares_to_weight (0), 0);
  cr_assert_eq (ocirt_cgroup_shares_to_weight (2), 1);
  cr_assert_eq (ocirt_cgroup_shares_to_weight (512), 20);
  cr_assert_eq (ocirt_cgroup_shares_to_weight (1024), 39);
  cr_assert_eq (ocirt_cgroup_shares_to_weight (262144), 10000);
}

Test (conversions, blkio_weight_to_io_weight)
{
  cr_assert_eq (ocirt_cgroup_blkio_to_io_weight (0), 0);
  cr_assert_eq (ocirt_cgroup_blkio_to_io_weight (10), 1);
  cr_assert_eq (ocirt_cgroup_blkio_to_io_weight (100), 910);
  cr_assert_eq (ocirt_cgroup_blkio_to_io_weight (500), 4950);
  cr_assert_eq (ocirt_cgroup_blkio_to_io_weight (1000), 10000);
}

Test (conversions, swap_is_memory_plus_swap)
{
  ocirt_error_t err = NULL;
  int64_t out;

  cr_assert_eq (ocirt_cgroup_swap_to_v2 (300, 100, &out, &err), 0);
  cr_assert_eq (out, 200);
  cr_assert_eq (ocirt_cgroup_swap_to_v2 (100, 100, &out, &err), 0);
  cr_assert_eq (out, 0);
  cr_assert_eq (ocirt_cgroup_swap_to_v2 (-1, 100, &out, &err), 0);
  cr_assert_eq (out, -1);
  cr_assert_eq (ocirt_cgroup_swap_to_v2 (0, -1, &out, &err), 0);
  cr_assert_eq (out, -1);
  cr_assert_eq (ocirt_cgroup_swap_to_v2 (0, 100, &out, &err), 0);
  cr_assert_eq (out, 0);
  cr_assert_eq (ocirt_cgroup_swap_to_v2 (50, 100, &out, &err), -1);
  cr_assert (strstr (err->msg, "memory.swap") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
  cr_assert_eq (ocirt_cgroup_swap_to_v2 (100, 0, &out, &err), -1);
  cr_assert (strstr (err->msg, "needs a memory limit") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
}

Test (parse, numbers_and_max)
{
  uint64_t v;

  cr_assert (ocirt_cgroup_parse_u64 ("123\n", &v) && v == 123);
  cr_assert (ocirt_cgroup_parse_u64 (" 7 ", &v) && v == 7);
  cr_assert (ocirt_cgroup_parse_u64 ("max\n", &v) && v == UINT64_MAX);
  cr_assert (ocirt_cgroup_parse_u64 ("18446744073709551615", &v) && v == UINT64_MAX);
  cr_assert_not (ocirt_cgroup_parse_u64 ("18446744073709551616", &v));
  cr_assert_not (ocirt_cgroup_parse_u64 ("", &v));
  cr_assert_not (ocirt_cgroup_parse_u64 ("12 34", &v));
  cr_assert_not (ocirt_cgroup_parse_u64 ("-1", &v));
  cr_assert_not (ocirt_cgroup_parse_u64 ("maxi", &v));
}

Test (parse, flat_keyed)
{
  const char *events = "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n";
  uint64_t v;

  cr_assert (ocirt_cgroup_parse_keyed (events, "oom", &v) && v == 2);
  cr_assert (ocirt_cgroup_parse_keyed (events, "oom_kill", &v) && v == 1);
  cr_assert (ocirt_cgroup_parse_keyed (events, "max", &v) && v == 4);
  cr_assert_not (ocirt_cgroup_parse_keyed (events, "oom_k", &v));
  cr_assert_not (ocirt_cgroup_parse_keyed (events, "missing", &v));
  cr_assert (ocirt_cgroup_parse_keyed ("populated 1\nfrozen 0", "frozen", &v) && v == 0);
  cr_assert (ocirt_cgroup_parse_keyed ("oom_kill_disable 0\nunder_oom 0\noom_kill 9\n", "oom_kill", &v)
             && v == 9);
}

Test (parse, nested_keyed)
{
  const char *line = "254:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0";
  uint64_t v;

  cr_assert (ocirt_cgroup_parse_nested (line, "rbytes", &v) && v == 4096);
  cr_assert (ocirt_cgroup_parse_nested (line, "wios", &v) && v == 2);
  cr_assert (ocirt_cgroup_parse_nested ("8:0 rbps=max wbps=10", "rbps", &v) && v == UINT64_MAX);
  cr_assert_not (ocirt_cgroup_parse_nested (line, "bytes", &v));
}

Test (parse, cpu_lists)
{
  uint16_t *v = NULL;
  size_t n;

  cr_assert_eq (ocirt_cgroup_parse_list ("0-3,8,10-11\n", &v, &n), 0);
  cr_assert_eq (n, 7);
  cr_assert (v[0] == 0 && v[3] == 3 && v[4] == 8 && v[5] == 10 && v[6] == 11);
  free (v);
  cr_assert_eq (ocirt_cgroup_parse_list ("\n", &v, &n), 0);
  cr_assert_eq (n, 0);
  cr_assert_eq (ocirt_cgroup_parse_list ("3-1", &v, &n), -1);
  cr_assert_eq (ocirt_cgroup_parse_list ("a", &v, &n), -1);
  cr_assert_eq (ocirt_cgroup_parse_list ("1,,2", &v, &n), -1);
}

Test (parse, percpu_numbers)
{
  uint64_t *v = NULL;
  size_t n;

  cr_assert_eq (ocirt_cgroup_parse_numbers ("11 22 33 \n", &v, &n), 0);
  cr_assert (n == 3 && v[0] == 11 && v[2] == 33);
  free (v);
  cr_assert_eq (ocirt_cgroup_parse_numbers ("1 x", &v, &n), -1);
}

Test (parse, go_durations)
{
  uint64_t ns;

  cr_assert (ocirt_units_parse_duration ("5s", &ns) && ns == 5000000000ULL);
  cr_assert (ocirt_units_parse_duration ("250ms", &ns) && ns == 250000000ULL);
  cr_assert (ocirt_units_parse_duration ("1m30s", &ns) && ns == 90000000000ULL);
  cr_assert (ocirt_units_parse_duration ("1.5h", &ns) && ns == 5400000000000ULL);
  cr_assert (ocirt_units_parse_duration ("300us", &ns) && ns == 300000ULL);
  cr_assert (ocirt_units_parse_duration ("2\xc2\xb5s", &ns) && ns == 2000ULL);
  cr_assert (ocirt_units_parse_duration ("10ns", &ns) && ns == 10ULL);
  cr_assert (ocirt_units_parse_duration ("0", &ns) && ns == 0);
  cr_assert_not (ocirt_units_parse_duration ("", &ns));
  cr_assert_not (ocirt_units_parse_duration ("5", &ns));
  cr_assert_not (ocirt_units_parse_duration ("5x", &ns));
  cr_assert_not (ocirt_units_parse_duration ("-1s", &ns));
  cr_assert_not (ocirt_units_parse_duration ("s", &ns));
}

Test (parse, ram_sizes)
{
  int64_t v;

  cr_assert (ocirt_units_parse_ram_bytes ("1024", &v) && v == 1024);
  cr_assert (ocirt_units_parse_ram_bytes ("1k", &v) && v == 1024);
  cr_assert (ocirt_units_parse_ram_bytes ("1kb", &v) && v == 1024);
  cr_assert (ocirt_units_parse_ram_bytes ("512m", &v) && v == 512LL * 1024 * 1024);
  cr_assert (ocirt_units_parse_ram_bytes ("64MiB", &v) && v == 64LL * 1024 * 1024);
  cr_assert (ocirt_units_parse_ram_bytes ("1.5g", &v) && v == 1536LL * 1024 * 1024);
  cr_assert (ocirt_units_parse_ram_bytes ("2 GB", &v) && v == 2048LL * 1024 * 1024);
  cr_assert_not (ocirt_units_parse_ram_bytes ("abc", &v));
  cr_assert_not (ocirt_units_parse_ram_bytes ("1x", &v));
  cr_assert_not (ocirt_units_parse_ram_bytes ("1.", &v));
  cr_assert_not (ocirt_units_parse_ram_bytes ("", &v));
  cr_assert_not (ocirt_units_parse_ram_bytes ("-5", &v));
}

Test (parse, update_resources_document)
{
  const char *doc = "{\"memory\":{\"limit\":123,\"swap\":-1},\"pids\":{\"limit\":0},"
                    "\"cpu\":{\"shares\":0,\"cpus\":\"\"},\"unified\":{\"pids.max\":\"5\"},"
                    "\"somethingNew\":1}";
  ocirt_error_t err = NULL;
  oci_resources *r = ocirt_container_parse_resources (doc, strlen (doc), &err);

  cr_assert_not_null (r, "%s", err ? err->msg : "");
  cr_assert (r->memory->limit_present && r->memory->limit == 123);
  cr_assert (r->memory->swap_present && r->memory->swap == -1);
  cr_assert (r->pids->limit_present && r->pids->limit == 0);
  cr_assert_eq (r->unified->len, 1);
  free_oci_resources (r);

  r = ocirt_container_parse_resources ("{\"memory\":{\"limit\":\"x\"}}", 24, &err);
  cr_assert_null (r);
  cr_assert (strncmp (err->msg, "resources.memory.limit", 22) == 0, "%s", err->msg);
  ocirt_error_release (&err);
  cr_assert_null (ocirt_container_parse_resources ("[]", 2, &err));
  ocirt_error_release (&err);
  cr_assert_null (ocirt_container_parse_resources ("", 0, &err));
  ocirt_error_release (&err);
  r = ocirt_container_parse_resources (" {} ", 4, &err);
  cr_assert_not_null (r);
  free_oci_resources (r);
}

/* ---- resources against fake cgroup directories --------------------- */

static char *
tmpdir (void)
{
  char tmpl[] = "/tmp/ocirt-cg-XXXXXX";
  char *d = mkdtemp (tmpl);

  cr_assert_not_null (d);
  return xstrdup (d);
}

static void
put (const char *dir, const char *file, const char *content)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  FILE *f = fopen (p, "w");

  cr_assert_not_null (f, "%s", p);
  fputs (content, f);
  fclose (f);
}

/* The content of dir/file, valid until the next call (each caller only
 * compares it), so that the tests leak nothing under LeakSanitizer. */
static const char *
get (const char *dir, const char *file)
{
  static char buf[4096];
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  cleanup_free char *out = NULL;
  ocirt_error_t err = NULL;

  cr_assert_eq (ocirt_utils_read_file_at (AT_FDCWD, p, &out, NULL, &err), 0, "%s", p);
  snprintf (buf, sizeof (buf), "%s", out);
  return buf;
}

static void
rm_rf (const char *dir)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);

  cr_assert_eq (system (cmd), 0);
}

static void
add (struct ocirt_cgroup *cg, const char *controllers, const char *path, bool unified)
{
  struct ocirt_cgroup_dir *d;

  cg->dirs = realloc (cg->dirs, sizeof (*cg->dirs) * (cg->ndirs + 1));
  d = &cg->dirs[cg->ndirs++];
  memset (d, 0, sizeof (*d));
  d->controllers = xstrdup (controllers);
  d->mount = xstrdup ("");
  d->path = xstrdup (path);
  d->unified = unified;
}

static oci_resources *
resources (const char *json)
{
  ocirt_error_t err = NULL;
  oci_resources *r = ocirt_container_parse_resources (json, strlen (json), &err);

  cr_assert_not_null (r, "%s", err ? err->msg : "");
  return r;
}

Test (apply, v2_files_and_conversions)
{
  cleanup_free char *d = tmpdir ();
  static const char *const files[] = {
    "memory.max",    "memory.swap.max", "memory.low",      "cpu.weight",           "cpu.max",
    "cpu.max.burst", "cpu.idle",        "cpuset.cpus",     "cpuset.mems",          "pids.max",
    "io.weight",     "io.max",          "hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "rdma.max"
  };
  struct ocirt_cgroup cg = { .mode = OCIRT_CGROUP_V2 };
  ocirt_error_t err = NULL;
  oci_linux lx = { 0 };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (files); i++)
    put (d, files[i], "");
  put (d, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma\n");
  add (&cg, "", d, true);
  lx.resources = resources (
      "{\"memory\":{\"limit\":100000000,\"swap\":300000000,\"reservation\":5000},"
      "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"burst\":1000,\"idle\":1,"
      "\"cpus\":\"0\",\"mems\":\"0\"},\"pids\":{\"limit\":0},"
      "\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1024}]},"
      "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
      "\"rdma\":{\"mlx5_0\":{\"hcaHandles\":3,\"hcaObjects\":100}},"
      "\"unified\":{\"pids.max\":\"42\"}}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (get (d, "memory.max"), "100000000");
  cr_assert_str_eq (get (d, "memory.swap.max"), "200000000");
  cr_assert_str_eq (get (d, "memory.low"), "5000");
  cr_assert_str_eq (get (d, "cpu.weight"), "39");
  cr_assert_str_eq (get (d, "cpu.max"), "50000 100000");
  cr_assert_str_eq (get (d, "cpu.max.burst"), "1000");
  cr_assert_str_eq (get (d, "cpu.idle"), "1");
  cr_assert_str_eq (get (d, "cpuset.cpus"), "0");
  cr_assert_str_eq (get (d, "io.weight"), "4950");
  cr_assert_str_eq (get (d, "io.max"), "8:0 rbps=1024");
  cr_assert_str_eq (get (d, "hugetlb.2MB.max"), "4194304");
  cr_assert_str_eq (get (d, "hugetlb.2MB.rsvd.max"), "4194304");
  cr_assert_str_eq (get (d, "rdma.max"), "mlx5_0 hca_handle=3 hca_object=100");
  /* unified comes last and wins over pids.limit */
  cr_assert_str_eq (get (d, "pids.max"), "42");
  free_oci_resources (lx.resources);

  /* v1-only settings are left out, as runc does; nonsense is still an error.  */
  lx.resources = resources ("{\"memory\":{\"swappiness\":10,\"kernel\":1048576},"
                            "\"cpu\":{\"realtimeRuntime\":1000},\"blockIO\":{\"leafWeight\":300},"
                            "\"network\":{\"classID\":1048577}}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), 0, "%s", err ? err->msg : "");
  free_oci_resources (lx.resources);
  lx.resources = resources ("{\"memory\":{\"swappiness\":101}}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), -1);
  cr_assert (strstr (err->msg, "memory.swappiness: 101 is out of range") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
  free_oci_resources (lx.resources);
  lx.resources = resources ("{\"unified\":{\"misc.max\":\"1\"}}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), -1);
  cr_assert (strstr (err->msg, "the misc controller is not enabled") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
  free_oci_resources (lx.resources);
  lx.resources = resources ("{\"unified\":{\"../x\":\"1\"}}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), -1);
  cr_assert (strstr (err->msg, "not a cgroup file name") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
  free_oci_resources (lx.resources);

  /* -1 is "max"; update keeps the quota when only the period moves.  */
  put (d, "cpu.max", "20000 100000\n");
  lx.resources = resources ("{\"memory\":{\"limit\":-1},\"cpu\":{\"period\":50000},"
                            "\"pids\":{\"limit\":-1}}");
  cr_assert_eq (ocirt_cgroup_update_resources (&cg, lx.resources, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (get (d, "memory.max"), "max");
  cr_assert_str_eq (get (d, "memory.swap.max"), "max");
  cr_assert_str_eq (get (d, "cpu.max"), "20000 50000");
  cr_assert_str_eq (get (d, "pids.max"), "max");
  free_oci_resources (lx.resources);
  ocirt_cgroup_release (&cg);
  rm_rf (d);
}

Test (apply, v1_files_and_order)
{
  cleanup_free char *mem = tmpdir ();
  cleanup_free char *cpu = tmpdir ();
  cleanup_free char *pids = tmpdir ();
  cleanup_free char *blk = tmpdir ();
  struct ocirt_cgroup cg = { .mode = OCIRT_CGROUP_V1 };
  ocirt_error_t err = NULL;
  oci_linux lx = { 0 };

  put (mem, "memory.limit_in_bytes", "9223372036854771712\n");
  put (mem, "memory.memsw.limit_in_bytes", "");
  put (mem, "memory.soft_limit_in_bytes", "");
  put (mem, "memory.swappiness", "");
  put (mem, "memory.oom_control", "");
  put (mem, "memory.kmem.tcp.limit_in_bytes", "");
  put (cpu, "cpu.shares", "");
  put (cpu, "cpu.cfs_quota_us", "");
  put (cpu, "cpu.cfs_period_us", "");
  put (cpu, "cpu.rt_runtime_us", "");
  put (cpu, "cpu.rt_period_us", "");
  put (pids, "pids.max", "");
  put (blk, "blkio.weight", "");
  put (blk, "blkio.throttle.write_iops_device", "");
  add (&cg, "memory", mem, false);
  add (&cg, "cpu,cpuacct", cpu, false);
  add (&cg, "pids", pids, false);
  add (&cg, "blkio", blk, false);
  lx.resources = resources (
      "{\"memory\":{\"limit\":100000000,\"swap\":300000000,\"reservation\":5000,\"swappiness\":10,"
      "\"disableOOMKiller\":true,\"kernelTCP\":65536},"
      "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,"
      "\"realtimeRuntime\":5000,\"realtimePeriod\":10000},\"pids\":{\"limit\":0},"
      "\"blockIO\":{\"weight\":500,\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":10}]}"
      "}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), 0, "%s", err ? err->msg : "");
  /* v1 keeps memory+swap as the spec does.  */
  cr_assert_str_eq (get (mem, "memory.limit_in_bytes"), "100000000");
  cr_assert_str_eq (get (mem, "memory.memsw.limit_in_bytes"), "300000000");
  cr_assert_str_eq (get (mem, "memory.soft_limit_in_bytes"), "5000");
  cr_assert_str_eq (get (mem, "memory.swappiness"), "10");
  cr_assert_str_eq (get (mem, "memory.oom_control"), "1");
  cr_assert_str_eq (get (mem, "memory.kmem.tcp.limit_in_bytes"), "65536");
  cr_assert_str_eq (get (cpu, "cpu.shares"), "1024");
  cr_assert_str_eq (get (cpu, "cpu.cfs_quota_us"), "50000");
  cr_assert_str_eq (get (cpu, "cpu.cfs_period_us"), "100000");
  cr_assert_str_eq (get (cpu, "cpu.rt_runtime_us"), "5000");
  cr_assert_str_eq (get (cpu, "cpu.rt_period_us"), "10000");
  cr_assert_str_eq (get (pids, "pids.max"), "0");
  cr_assert_str_eq (get (blk, "blkio.weight"), "500");
  cr_assert_str_eq (get (blk, "blkio.throttle.write_iops_device"), "8:0 10");
  free_oci_resources (lx.resources);

  lx.resources = resources ("{\"memory\":{\"kernel\":1000}}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), -1);
  cr_assert (strstr (err->msg, "linux.resources.memory.kernel") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
  free_oci_resources (lx.resources);
  lx.resources = resources ("{\"unified\":{\"memory.max\":\"1\"}}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), -1);
  cr_assert (strstr (err->msg, "needs cgroup v2") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
  free_oci_resources (lx.resources);
  lx.resources = resources ("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1}]}");
  cr_assert_eq (ocirt_cgroup_apply_resources (&cg, &lx, &err), -1);
  cr_assert (strstr (err->msg, "hugetlb controller is not available") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
  free_oci_resources (lx.resources);

  /* Unlimited memory takes swap along when swap is not given.  */
  lx.resources = resources ("{\"memory\":{\"limit\":-1}}");
  cr_assert_eq (ocirt_cgroup_update_resources (&cg, lx.resources, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (get (mem, "memory.limit_in_bytes"), "-1");
  cr_assert_str_eq (get (mem, "memory.memsw.limit_in_bytes"), "-1");
  free_oci_resources (lx.resources);
  ocirt_cgroup_release (&cg);
  rm_rf (mem);
  rm_rf (cpu);
  rm_rf (pids);
  rm_rf (blk);
}

Test (stats, v2_shape)
{
  cleanup_free char *d = tmpdir ();
  struct ocirt_cgroup cg = { .mode = OCIRT_CGROUP_V2 };
  ocirt_error_t err = NULL;
  cleanup_free char *json = NULL;

  put (d, "cgroup.controllers", "cpu io memory hugetlb pids\n");
  put (d, "cpu.stat",
       "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 3\nnr_throttled 1\n"
       "throttled_usec 2\n");
  put (d, "memory.current", "4096\n");
  put (d, "memory.max", "max\n");
  put (d, "memory.swap.current", "0\n");
  put (d, "memory.swap.max", "max\n");
  put (d, "memory.events", "low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n");
  put (d, "memory.stat", "file 100\nanon 200\n");
  put (d, "pids.current", "3\n");
  put (d, "pids.max", "max\n");
  put (d, "io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
  put (d, "hugetlb.2MB.max", "max\n");
  put (d, "hugetlb.2MB.rsvd.max", "max\n");
  put (d, "hugetlb.2MB.current", "0\n");
  put (d, "hugetlb.2MB.events", "max 0\n");
  add (&cg, "", d, true);
  json = ocirt_cgroup_stats_json (&cg, &err);
  cr_assert_not_null (json, "%s", err ? err->msg : "");
  cr_assert (strstr (json,
                     "\"cpu\":{\"usage\":{\"total\":10000,\"kernel\":4000,\"user\":6000},"
                     "\"throttling\":{\"periods\":3,\"throttledPeriods\":1,\"throttledTime\":2000}}")
                 != NULL,
             "%s", json);
  cr_assert (strstr (json, "\"usage\":{\"limit\":18446744073709551615,\"usage\":4096,\"failcnt\":2}")
                 != NULL,
             "%s", json);
  cr_assert (strstr (json, "\"cache\":100") != NULL, "%s", json);
  cr_assert (strstr (json, "\"raw\":{\"anon\":200,\"file\":100}") != NULL, "%s", json);
  cr_assert (strstr (json, "\"pids\":{\"current\":3}") != NULL, "%s", json);
  cr_assert (strstr (json, "\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\",\"value\":10},"
                           "{\"major\":8,\"op\":\"Write\",\"value\":20}]")
                 != NULL,
             "%s", json);
  cr_assert (strstr (json, "\"hugetlb\":{\"2MB\":{\"failcnt\":0}}") != NULL, "%s", json);
  cr_assert (strstr (json, "\"network_interfaces\":null") != NULL, "%s", json);
  ocirt_cgroup_release (&cg);
  rm_rf (d);
}

Test (stats, gone_cgroup_is_an_error)
{
  struct ocirt_cgroup cg = { .mode = OCIRT_CGROUP_V2 };
  ocirt_error_t err = NULL;

  add (&cg, "", "/nonexistent/ocirt-cgroup", true);
  cr_assert_null (ocirt_cgroup_stats_json (&cg, &err));
  cr_assert_not_null (err);
  ocirt_error_release (&err);
  ocirt_cgroup_release (&cg);
}
