/* The processes in the container's cgroup.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "state_record.h"
#include "utils.h"

struct pid_list
{
  pid_t *pids;
  size_t n, alloc;
};

static int
collect_pids (const char *dir, struct pid_list *l, int depth, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.procs", dir);
  cleanup_free char *data = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  char *line, *save = NULL;
  ocirt_error_t tmp = NULL;

  if (ocirt_utils_read_file_at (AT_FDCWD, path, &data, NULL, &tmp) < 0)
    {
      /* A cgroup removed meanwhile holds nobody.  */
      if (tmp->status == ENOENT || tmp->status == ENODEV)
        {
          ocirt_error_release (&tmp);
          return 0;
        }
      *err = tmp;
      return -1;
    }
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long v;

      if (!ocirt_utils_parse_ulong (line, &v) || v == 0)
        continue;
      if (l->n == l->alloc)
        {
          l->alloc = l->alloc ? l->alloc * 2 : 16;
          l->pids = realloc (l->pids, sizeof (pid_t) * l->alloc);
          if (l->pids == NULL)
            abort ();
        }
      l->pids[l->n++] = (pid_t) v;
    }
  if (depth > 64)
    return 0;
  d = opendir (dir);
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      cleanup_free char *sub = NULL;

      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (collect_pids (sub, l, depth + 1, err) < 0)
        return -1;
    }
  return 0;
}

/* The hierarchy to read processes from: every one holds them all.  */
static const struct ocirt_cgroup_dir *
procs_dir (const struct ocirt_cgroup *cg)
{
  size_t i;

  if (cg->mode == OCIRT_CGROUP_V2 && ocirt_cgroup_unified (cg))
    return ocirt_cgroup_unified (cg);
  for (i = 0; i < cg->ndirs; i++)
    if (!cg->dirs[i].unified && access (cg->dirs[i].path, F_OK) == 0)
      return &cg->dirs[i];
  return cg->ndirs ? &cg->dirs[0] : NULL;
}

int
ocirt_cgroup_read_pids (const struct ocirt_cgroup *cg, pid_t **pids, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = procs_dir (cg);
  struct pid_list l = { NULL, 0, 0 };

  *pids = NULL;
  if (d == NULL)
    return 0;
  if (collect_pids (d->path, &l, 0, err) < 0)
    {
      free (l.pids);
      return -1;
    }
  *pids = l.pids ? l.pids : xmalloc0 (sizeof (pid_t));
  return (int) l.n;
}

int
ocirt_cgroup_pids (const struct ocirt_container_state *st, pid_t **pids, ocirt_error_t *err)
{
  struct ocirt_cgroup cg;
  int n;

  *pids = NULL;
  if (ocirt_cgroup_from_state (st, &cg, err) < 0)
    return -1;
  n = ocirt_cgroup_read_pids (&cg, pids, err);
  ocirt_cgroup_release (&cg);
  return n;
}
