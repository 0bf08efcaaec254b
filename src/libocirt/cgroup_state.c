/* The container's cgroup in its state, and back.  */
#include <string.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "state_record.h"
#include "utils.h"

void
ocirt_cgroup_to_state (const struct ocirt_cgroup *cg, struct ocirt_container_state *st)
{
  size_t i;

  st->cgroup_dirs = xmalloc0 (sizeof (char *) * (cg->ncreated + cg->ndirs + 1));
  st->cgroup_dirs_len = 0;
  for (i = 0; i < cg->ncreated; i++)
    st->cgroup_dirs[st->cgroup_dirs_len++] = xstrdup (cg->created[i]);
  if (cg->ndirs)
    st->cgroup_path = xstrdup (cg->dirs[0].path);
  st->cgroup_leaves = xmalloc0 (sizeof (*st->cgroup_leaves) * (cg->ndirs + 1));
  st->cgroup_leaves_len = cg->ndirs;
  for (i = 0; i < cg->ndirs; i++)
    {
      st->cgroup_leaves[i].controllers = xstrdup (cg->dirs[i].controllers);
      st->cgroup_leaves[i].path = xstrdup (cg->dirs[i].path);
    }
}

void
ocirt_cgroup_to_state_missing (const struct ocirt_cgroup *cg, struct ocirt_container_state *st)
{
  size_t i;

  ocirt_cgroup_to_state (cg, st);
  for (i = 0; i < st->cgroup_dirs_len; i++)
    free (st->cgroup_dirs[i]);
  free (st->cgroup_dirs);
  st->cgroup_dirs_len = ocirt_cgroup_missing (cg, &st->cgroup_dirs);
}

void
ocirt_cgroup_state_release (struct ocirt_container_state *st)
{
  size_t i;

  free (st->cgroup_path);
  for (i = 0; i < st->cgroup_dirs_len; i++)
    free (st->cgroup_dirs[i]);
  free (st->cgroup_dirs);
  for (i = 0; i < st->cgroup_leaves_len; i++)
    {
      free (st->cgroup_leaves[i].controllers);
      free (st->cgroup_leaves[i].path);
    }
  free (st->cgroup_leaves);
  st->cgroup_path = NULL;
  st->cgroup_dirs = NULL;
  st->cgroup_dirs_len = 0;
  st->cgroup_leaves = NULL;
  st->cgroup_leaves_len = 0;
}

/* Controllers of a created directory from where it lives, for states
   written before the leaves were recorded.  */
static char *
controllers_of_path (const char *path, enum ocirt_cgroup_mode mode)
{
  const char *rest = path + strlen (CGROUP_ROOT "/");

  if (mode == OCIRT_CGROUP_V2 || strncmp (rest, "unified/", 8) == 0)
    return xstrdup ("");
  return strndup (rest, strcspn (rest, "/"));
}

int
ocirt_cgroup_from_state (const struct ocirt_container_state *st, struct ocirt_cgroup *cg,
                         ocirt_error_t *err)
{
  size_t i, j;

  memset (cg, 0, sizeof (*cg));
  cg->mode = ocirt_cgroup_detect_mode ();
  for (i = 0; i < st->cgroup_leaves_len; i++)
    {
      struct ocirt_cgroup_dir *d = ocirt_cgroup_push_dir (cg);

      d->controllers = xstrdup (st->cgroup_leaves[i].controllers);
      d->mount = xstrdup ("");
      d->path = xstrdup (st->cgroup_leaves[i].path);
      d->unified = d->controllers[0] == '\0';
    }
  if (st->cgroup_leaves_len)
    return 0;
  for (i = 0; i < st->cgroup_dirs_len; i++)
    {
      const char *p = st->cgroup_dirs[i];
      size_t pl = strlen (p);
      struct ocirt_cgroup_dir *d;
      bool leaf = strncmp (p, CGROUP_ROOT "/", strlen (CGROUP_ROOT "/")) == 0;

      for (j = 0; j < st->cgroup_dirs_len && leaf; j++)
        if (j != i && strncmp (st->cgroup_dirs[j], p, pl) == 0 && st->cgroup_dirs[j][pl] == '/')
          leaf = false;
      if (!leaf)
        continue;
      d = ocirt_cgroup_push_dir (cg);
      d->controllers = controllers_of_path (p, cg->mode);
      if (d->controllers == NULL)
        abort ();
      d->mount = xstrdup ("");
      d->path = xstrdup (p);
      d->unified = d->controllers[0] == '\0';
    }
  (void) err;
  return 0;
}
