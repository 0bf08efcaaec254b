/* ocirt update [-r FILE|-] [resource flags] ID */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libocirt/container_cgroup.h"
#include "libocirt/log.h"
#include "libocirt/units.h"
#include "ocirt.h"
#include "libocirt/utils.h"

/* The resource options first, OPT_BLKIO_WEIGHT to OPT_PIDS_LIMIT.  */
enum
{
  OPT_BLKIO_WEIGHT = 256,
  OPT_CPU_PERIOD,
  OPT_CPU_QUOTA,
  OPT_CPU_BURST,
  OPT_CPU_IDLE,
  OPT_CPU_SHARE,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_KERNEL_MEMORY,
  OPT_KERNEL_MEMORY_TCP,
  OPT_MEMORY,
  OPT_MEMORY_RESERVATION,
  OPT_MEMORY_SWAP,
  OPT_PIDS_LIMIT,
  OPT_L3_CACHE,
  OPT_MEM_BW,
};

static oci_memory *
mem (oci_resources *r)
{
  if (r->memory == NULL)
    r->memory = xmalloc0 (sizeof (*r->memory));
  return r->memory;
}

static oci_cpu *
cpu (oci_resources *r)
{
  if (r->cpu == NULL)
    r->cpu = xmalloc0 (sizeof (*r->cpu));
  return r->cpu;
}

static bool
parse_u64 (const char *s, uint64_t *v)
{
  unsigned long long x;

  if (!ocirt_utils_parse_ulong (s, &x))
    return false;
  *v = x;
  return true;
}

static bool
parse_i64 (const char *s, int64_t *v)
{
  char *end;
  long long x;

  if (s == NULL || *s == '\0')
    return false;
  errno = 0;
  x = strtoll (s, &end, 10);
  if (errno || *end != '\0')
    return false;
  *v = x;
  return true;
}

/* Memory sizes take units ("512m"), and -1 for no limit.  */
static bool
parse_size (const char *s, int64_t *v)
{
  if (strcmp (s, "-1") == 0)
    {
      *v = -1;
      return true;
    }
  return ocirt_units_parse_ram_bytes (s, v);
}

static char *
read_all (FILE *f, size_t *len)
{
  char *buf = xstrdup (""), buf2[4096];
  size_t r;

  *len = 0;
  while ((r = fread (buf2, 1, sizeof (buf2), f)) > 0)
    {
      char *n = realloc (buf, *len + r + 1);

      if (n == NULL)
        abort ();
      buf = n;
      memcpy (buf + *len, buf2, r);
      *len += r;
      buf[*len] = '\0';
    }
  if (ferror (f))
    {
      free (buf);
      return NULL;
    }
  return buf;
}

static oci_resources *
resources_from_file (const char *path, ocirt_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len;

  if (strcmp (path, "-") == 0)
    data = read_all (stdin, &len);
  else
    {
      cleanup_fclose FILE *f = fopen (path, "re");

      if (f == NULL)
        {
          ocirt_error_make (err, errno, "update: open `%s`", path);
          return NULL;
        }
      data = read_all (f, &len);
    }
  if (data == NULL)
    {
      ocirt_error_make (err, errno, "update: read `%s`", path);
      return NULL;
    }
  return ocirt_container_parse_resources (data, len, err);
}

/* Set the resource of the option C (not -r, not the RDT ones) from
   OPTARG; false when OPTARG is not a value it takes.  */
static bool
set_resource (oci_resources *res, int c, const char *optarg)
{
  uint64_t u;
  int64_t i;
  bool ok;

  switch (c)
    {
    case OPT_BLKIO_WEIGHT:
      ok = parse_u64 (optarg, &u) && (u == 0 || (u >= 10 && u <= 1000));
      if (ok && u)
        {
          if (res->block_io == NULL)
            res->block_io = xmalloc0 (sizeof (*res->block_io));
          res->block_io->weight = (uint16_t) u;
          res->block_io->weight_present = true;
        }
      return ok;
    case OPT_CPU_PERIOD:
      if ((ok = parse_u64 (optarg, &u)))
        cpu (res)->period = u, cpu (res)->period_present = true;
      return ok;
    case OPT_CPU_QUOTA:
      if ((ok = parse_i64 (optarg, &i)))
        cpu (res)->quota = i, cpu (res)->quota_present = true;
      return ok;
    case OPT_CPU_BURST:
      if ((ok = parse_u64 (optarg, &u)))
        cpu (res)->burst = u, cpu (res)->burst_present = true;
      return ok;
    case OPT_CPU_IDLE:
      if ((ok = parse_i64 (optarg, &i)))
        cpu (res)->idle = i, cpu (res)->idle_present = true;
      return ok;
    case OPT_CPU_SHARE:
      if ((ok = parse_u64 (optarg, &u)))
        cpu (res)->shares = u, cpu (res)->shares_present = true;
      return ok;
    case OPT_CPU_RT_PERIOD:
      if ((ok = parse_u64 (optarg, &u)))
        cpu (res)->realtime_period = u, cpu (res)->realtime_period_present = true;
      return ok;
    case OPT_CPU_RT_RUNTIME:
      if ((ok = parse_i64 (optarg, &i)))
        cpu (res)->realtime_runtime = i, cpu (res)->realtime_runtime_present = true;
      return ok;
    case OPT_CPUSET_CPUS:
      free (cpu (res)->cpus);
      cpu (res)->cpus = xstrdup (optarg);
      return true;
    case OPT_CPUSET_MEMS:
      free (cpu (res)->mems);
      cpu (res)->mems = xstrdup (optarg);
      return true;
    case OPT_KERNEL_MEMORY:
      if ((ok = parse_size (optarg, &i)))
        mem (res)->kernel = i, mem (res)->kernel_present = true;
      return ok;
    case OPT_KERNEL_MEMORY_TCP:
      if ((ok = parse_size (optarg, &i)))
        mem (res)->kernel_tcp = i, mem (res)->kernel_tcp_present = true;
      return ok;
    case OPT_MEMORY:
      if ((ok = parse_size (optarg, &i)))
        mem (res)->limit = i, mem (res)->limit_present = true;
      return ok;
    case OPT_MEMORY_RESERVATION:
      if ((ok = parse_size (optarg, &i)))
        mem (res)->reservation = i, mem (res)->reservation_present = true;
      return ok;
    case OPT_MEMORY_SWAP:
      if ((ok = parse_size (optarg, &i)))
        mem (res)->swap = i, mem (res)->swap_present = true;
      return ok;
    case OPT_PIDS_LIMIT:
      /* Given is given: 0 is a limit (spec 1.3), negative none.  */
      if ((ok = parse_i64 (optarg, &i)))
        {
          if (res->pids == NULL)
            res->pids = xmalloc0 (sizeof (*res->pids));
          res->pids->limit = i;
          res->pids->limit_present = true;
        }
      return ok;
    }
  return false;
}

int
ocirt_cmd_update (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "resources", required_argument, NULL, 'r' },
    { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
    { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
    { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
    { "cpu-burst", required_argument, NULL, OPT_CPU_BURST },
    { "cpu-idle", required_argument, NULL, OPT_CPU_IDLE },
    { "cpu-share", required_argument, NULL, OPT_CPU_SHARE },
    { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
    { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
    { "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
    { "kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
    { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
    { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
    { "l3-cache-schema", required_argument, NULL, OPT_L3_CACHE },
    { "mem-bw-schema", required_argument, NULL, OPT_MEM_BW },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error ocirt_error_t err = NULL;
  cleanup_resources oci_resources *res = xmalloc0 (sizeof (*res));
  const char *file = NULL, *rdt = NULL;
  int c, li;

  opterr = 0;
  while ((li = -1, c = getopt_long_only (argc, argv, "r:", options, &li)) != -1)
    {
      cleanup_free char *name = li >= 0 ? xasprintf ("--%s", options[li].name)
                                        : xstrdup (c == 'r' ? "-r" : argv[optind - 1]);

      if (c == 'r')
        file = optarg;
      else if (c == OPT_L3_CACHE || c == OPT_MEM_BW)
        rdt = options[li].name;
      else if (c < OPT_BLKIO_WEIGHT || c > OPT_PIDS_LIMIT)
        return ocirt_cli_fail ("update: unknown or incomplete option `%s`", name);
      else if (!set_resource (res, c, optarg))
        return ocirt_cli_fail ("update: invalid value `%s` for %s", optarg, name);
    }
  if (!ocirt_cli_positional ("update", "[-r FILE|-] [resource options] CONTAINER_ID", argc, argv, optind,
                             1, 1))
    return 1;
  if (file)
    {
      /* As runc: the document replaces every other option.  */
      free_oci_resources (res);
      res = resources_from_file (file, &err);
      if (res == NULL)
        return ocirt_log_report (&err);
    }
  else if (rdt)
    return ocirt_cli_fail ("update: --%s: Intel RDT is not supported by this runtime", rdt);
  if (ocirt_container_update (g->root, argv[optind], res, &err) < 0)
    return ocirt_log_report (&err);
  return 0;
}
