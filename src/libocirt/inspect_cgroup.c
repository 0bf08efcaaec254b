/* The limits in the container's cgroup directories, for `inspect`: read
   from the kernel's files, v1, v2 or hybrid, whichever exist.  */
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "inspect_cgroup.h"
#include "utils.h"

const char *const ocirt_inspect_cgroup_files[] = {
  /* v1 */
  "memory.limit_in_bytes",
  "memory.memsw.limit_in_bytes",
  "memory.soft_limit_in_bytes",
  "cpu.shares",
  "cpu.cfs_quota_us",
  "cpu.cfs_period_us",
  "blkio.weight",
  /* v2 */
  "memory.max",
  "memory.high",
  "memory.low",
  "memory.min",
  "memory.swap.max",
  "cpu.max",
  "cpu.weight",
  "io.weight",
  /* both */
  "pids.max",
  "cpuset.cpus",
  "cpuset.mems",
  NULL,
};

static void
map_add (oci_map_string *m, const char *key, char *value)
{
  m->keys = realloc (m->keys, sizeof (char *) * (m->len + 1));
  m->values = realloc (m->values, sizeof (char *) * (m->len + 1));
  if (m->keys == NULL || m->values == NULL)
    abort ();
  m->keys[m->len] = xstrdup (key);
  m->values[m->len++] = value;
}

static int
dir_limits (const struct ocirt_cgroup_dir *d, oci_map_string *limits, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; ocirt_inspect_cgroup_files[i]; i++)
    {
      char *value = NULL;
      size_t len;

      if (!ocirt_cgroup_has_file (d, ocirt_inspect_cgroup_files[i]))
        continue;
      if (ocirt_cgroup_read (d, ocirt_inspect_cgroup_files[i], &value, err) < 0)
        return -1;
      len = strlen (value);
      while (len > 0 && value[len - 1] == '\n')
        value[--len] = '\0';
      map_add (limits, ocirt_inspect_cgroup_files[i], value);
    }
  return 0;
}

int
ocirt_inspect_cgroup_fill (const struct ocirt_container_state *st, oci_inspect *doc, ocirt_error_t *err)
{
  cleanup_cgroup struct ocirt_cgroup cg = { 0 };
  size_t i;

  if (ocirt_cgroup_from_state (st, &cg, err) < 0)
    return -1;
  doc->cgroups = xmalloc0 (sizeof (*doc->cgroups) * (cg.ndirs + 1));
  for (i = 0; i < cg.ndirs; i++)
    {
      oci_inspect_cgroup *c = xmalloc0 (sizeof (*c));

      doc->cgroups[doc->cgroups_len++] = c;
      c->controllers = xstrdup (cg.dirs[i].controllers);
      c->path = xstrdup (cg.dirs[i].path);
      c->limits = xmalloc0 (sizeof (*c->limits));
      if (dir_limits (&cg.dirs[i], c->limits, err) < 0)
        return -1;
    }
  return 0;
}
