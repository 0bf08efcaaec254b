/* Looking up and touching the files of a cgroup, and parsing them.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_files.h"
#include "log.h"
#include "utils.h"

/* ---- looking up and touching files --------------------------------- */

struct ocirt_cgroup_dir *
ocirt_cgroup_push_dir (struct ocirt_cgroup *cg)
{
  struct ocirt_cgroup_dir *d;

  cg->dirs = realloc (cg->dirs, sizeof (*cg->dirs) * (cg->ndirs + 1));
  if (cg->dirs == NULL)
    abort ();
  d = &cg->dirs[cg->ndirs++];
  memset (d, 0, sizeof (*d));
  return d;
}

bool
ocirt_cgroup_list_has (const char *list, const char *word, const char *seps)
{
  size_t wl = strlen (word);
  const char *c = list;

  while ((c = strstr (c, word)))
    {
      if ((c == list || strchr (seps, c[-1])) && (c[wl] == '\0' || strchr (seps, c[wl])))
        return true;
      c += wl;
    }
  return false;
}

const struct ocirt_cgroup_dir *
ocirt_cgroup_unified (const struct ocirt_cgroup *cg)
{
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    if (cg->dirs[i].unified)
      return &cg->dirs[i];
  return NULL;
}

bool
ocirt_cgroup_v2_has (const struct ocirt_cgroup_dir *d, const char *controller)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.controllers", d->path);
  cleanup_free char *data = NULL;
  ocirt_error_t tmp = NULL;

  if (ocirt_utils_read_file_at (AT_FDCWD, path, &data, NULL, &tmp) < 0)
    {
      ocirt_error_release (&tmp);
      return false;
    }
  return ocirt_cgroup_list_has (data, controller, " \n");
}

const struct ocirt_cgroup_dir *
ocirt_cgroup_dir_for (const struct ocirt_cgroup *cg, const char *controller)
{
  const struct ocirt_cgroup_dir *u;
  size_t i;

  for (i = 0; i < cg->ndirs; i++)
    if (!cg->dirs[i].unified && ocirt_cgroup_list_has (cg->dirs[i].controllers, controller, ","))
      return &cg->dirs[i];
  u = ocirt_cgroup_unified (cg);
  if (u == NULL)
    return NULL;
  if (cg->mode == OCIRT_CGROUP_V2)
    return u;
  /* Hybrid: what no v1 tree holds may be enabled in the unified one.  */
  return ocirt_cgroup_v2_has (u, controller) ? u : NULL;
}

bool
ocirt_cgroup_has_file (const struct ocirt_cgroup_dir *d, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);

  return access (path, F_OK) == 0;
}

int
ocirt_cgroup_write_fd (const struct ocirt_cgroup_dir *d, const char *file, const char *value, int *fd,
                       ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);

  ocirt_debug ("cgroup: write %s to %s", value, path);
  /* O_TRUNC is a no-op on cgroupfs, as with a shell's ">".  */
  if (*fd < 0)
    *fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (*fd < 0)
    {
      int saved = errno;
      size_t cl = strcspn (file, ".");
      cleanup_free char *ctrl = strndup (file, cl);

      if (ctrl == NULL)
        abort ();
      /* On v2 a controller that is not enabled shows as missing files.  */
      if (saved == ENOENT && d->unified && strcmp (ctrl, "cgroup") != 0
          && !ocirt_cgroup_v2_has (d, ctrl))
        return ocirt_error_make (err, 0, "cannot set %s: the %s controller is not enabled in `%s`", file,
                                 ctrl, d->path);
      return ocirt_error_make (err, saved, "open `%s`", path);
    }
  if (ocirt_utils_write_all (*fd, value, strlen (value)) < 0)
    return ocirt_error_make (err, errno, "write `%s` to `%s`", value, path);
  return 0;
}

int
ocirt_cgroup_write (const struct ocirt_cgroup_dir *d, const char *file, const char *value,
                    ocirt_error_t *err)
{
  cleanup_close int fd = -1;

  return ocirt_cgroup_write_fd (d, file, value, &fd, err);
}

int
ocirt_cgroup_read (const struct ocirt_cgroup_dir *d, const char *file, char **out, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", d->path, file);

  return ocirt_utils_read_file_at (AT_FDCWD, path, out, NULL, err);
}

/* ---- parsers -------------------------------------------------------- */

bool
ocirt_cgroup_parse_u64 (const char *s, uint64_t *out)
{
  unsigned long long v = 0;
  const char *p;

  if (s == NULL)
    return false;
  while (*s == ' ' || *s == '\t' || *s == '\n')
    s++;
  if (strncmp (s, "max", 3) == 0)
    {
      v = UINT64_MAX;
      p = s + 3;
    }
  else
    {
      if (*s < '0' || *s > '9')
        return false;
      for (p = s; *p >= '0' && *p <= '9'; p++)
        {
          if (v > (UINT64_MAX - (*p - '0')) / 10)
            return false;
          v = v * 10 + (*p - '0');
        }
    }
  while (*p == ' ' || *p == '\t' || *p == '\n')
    p++;
  if (*p != '\0')
    return false;
  *out = v;
  return true;
}

bool
ocirt_cgroup_parse_keyed (const char *data, const char *key, uint64_t *out)
{
  size_t kl = strlen (key);
  const char *line;

  if (data == NULL)
    return false;
  for (line = data; *line; line += strcspn (line, "\n"), line += *line == '\n')
    {
      size_t ll = strcspn (line, "\n");
      char buf[64];

      if (ll <= kl || strncmp (line, key, kl) != 0 || line[kl] != ' ')
        continue;
      if (ll - kl - 1 >= sizeof (buf))
        return false;
      memcpy (buf, line + kl + 1, ll - kl - 1);
      buf[ll - kl - 1] = '\0';
      return ocirt_cgroup_parse_u64 (buf, out);
    }
  return false;
}

bool
ocirt_cgroup_parse_nested (const char *line, const char *key, uint64_t *out)
{
  size_t kl = strlen (key);
  const char *p = line;

  while (p && *p && *p != '\n')
    {
      size_t tl;

      p += strspn (p, " \t");
      tl = strcspn (p, " \t\n");
      if (tl > kl && strncmp (p, key, kl) == 0 && p[kl] == '=')
        {
          char buf[32];

          if (tl - kl - 1 >= sizeof (buf))
            return false;
          memcpy (buf, p + kl + 1, tl - kl - 1);
          buf[tl - kl - 1] = '\0';
          return ocirt_cgroup_parse_u64 (buf, out);
        }
      p += tl;
    }
  return false;
}

static void
push_u16 (uint16_t **out, size_t *n, size_t *alloc, uint16_t v)
{
  if (*n == *alloc)
    {
      *alloc = *alloc ? *alloc * 2 : 8;
      *out = realloc (*out, sizeof (**out) * *alloc);
      if (*out == NULL)
        abort ();
    }
  (*out)[(*n)++] = v;
}

int
ocirt_cgroup_parse_list (const char *s, uint16_t **out, size_t *n)
{
  size_t alloc = 0;
  const char *p = s;

  *out = NULL;
  *n = 0;
  while (p && *p && *p != '\n')
    {
      char *end;
      unsigned long a, b;

      if (*p < '0' || *p > '9')
        goto bad;
      a = strtoul (p, &end, 10);
      b = a;
      if (*end == '-')
        {
          if (end[1] < '0' || end[1] > '9')
            goto bad;
          b = strtoul (end + 1, &end, 10);
        }
      if (b < a || b > UINT16_MAX)
        goto bad;
      for (; a <= b; a++)
        push_u16 (out, n, &alloc, (uint16_t) a);
      if (*end == ',')
        end++;
      else if (*end != '\0' && *end != '\n')
        goto bad;
      p = end;
    }
  return 0;
bad:
  free (*out);
  *out = NULL;
  *n = 0;
  return -1;
}

int
ocirt_cgroup_parse_numbers (const char *s, uint64_t **out, size_t *n)
{
  size_t alloc = 0;
  const char *p = s;

  *out = NULL;
  *n = 0;
  while (p && *p)
    {
      char *end;
      unsigned long long v;

      p += strspn (p, " \t\n");
      if (*p == '\0')
        break;
      if (*p < '0' || *p > '9')
        {
          free (*out);
          *out = NULL;
          *n = 0;
          return -1;
        }
      errno = 0;
      v = strtoull (p, &end, 10);
      if (errno)
        {
          free (*out);
          *out = NULL;
          *n = 0;
          return -1;
        }
      if (*n == alloc)
        {
          alloc = alloc ? alloc * 2 : 8;
          *out = realloc (*out, sizeof (**out) * alloc);
          if (*out == NULL)
            abort ();
        }
      (*out)[(*n)++] = v;
      p = end;
    }
  return 0;
}
