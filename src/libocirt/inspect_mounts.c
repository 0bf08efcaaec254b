/* /proc/PID/mountinfo of a container's init against config.json's
   mounts, for `inspect`.  */
#include <stdlib.h>
#include <string.h>

#include "inspect_mounts.h"
#include "utils.h"

/* mountinfo writes space, tab, newline and backslash as \ooo.  */
static void
unescape (char *s)
{
  char *out = s;

  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *out++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 4;
        }
      else
        *out++ = *s++;
    }
  *out = '\0';
}

bool
ocirt_inspect_mounts_parse_line (char *line, struct ocirt_inspect_mountinfo *out)
{
  char *fields[6], *tok, *save = NULL;
  int n = 0;

  /* ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER */
  for (tok = strtok_r (line, " ", &save); tok && n < 6; tok = strtok_r (NULL, " ", &save))
    fields[n++] = tok;
  if (n < 6)
    return false;
  while (tok && strcmp (tok, "-") != 0)
    tok = strtok_r (NULL, " ", &save);
  if (tok == NULL)
    return false;
  out->mount_point = fields[4];
  out->options = fields[5];
  out->type = strtok_r (NULL, " ", &save);
  out->source = strtok_r (NULL, " ", &save);
  if (out->type == NULL || out->source == NULL)
    return false;
  unescape (out->mount_point);
  unescape (out->type);
  unescape (out->source);
  return true;
}

char *
ocirt_inspect_mounts_clean_path (const char *path)
{
  char *out = xmalloc (strlen (path) + 2), *o = out;

  *o++ = '/';
  for (; *path; path++)
    if (*path != '/' || o[-1] != '/')
      *o++ = *path;
  if (o - out > 1 && o[-1] == '/')
    o--;
  *o = '\0';
  return out;
}

static bool
has_option (char *const *options, size_t n, const char *a, const char *b)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (options[i], a) == 0 || (b && strcmp (options[i], b) == 0))
      return true;
  return false;
}

static bool
is_bind (const oci_mount *m)
{
  return (m->type && strcmp (m->type, "bind") == 0)
         || has_option (m->options, m->options_len, "bind", "rbind");
}

static bool
readonly (const char *options)
{
  return strcmp (options, "ro") == 0 || strncmp (options, "ro,", 3) == 0;
}

/* The last of SPEC's mounts on DEST (what is on top), or NULL.  */
static const oci_mount *
config_mount (const oci_spec *spec, const char *dest)
{
  const oci_mount *found = NULL;
  size_t i;

  for (i = 0; spec && i < spec->mounts_len; i++)
    {
      cleanup_free char *d = ocirt_inspect_mounts_clean_path (spec->mounts[i]->destination);

      if (strcmp (d, dest) == 0)
        found = spec->mounts[i];
    }
  return found;
}

/* How the mount M differs from config.json: NULL when it does not.  */
static const char *
difference (const oci_spec *spec, const struct ocirt_inspect_mountinfo *m)
{
  const oci_mount *c = config_mount (spec, m->mount_point);

  if (c == NULL)
    return "added";
  if (!is_bind (c) && c->type && strcmp (c->type, m->type) != 0)
    return "type";
  if (has_option (c->options, c->options_len, "ro", "rro") != readonly (m->options))
    return "readonly";
  return NULL;
}

static void
push_mount (oci_inspect *doc, const char *dest, const struct ocirt_inspect_mountinfo *m,
            const char *diff)
{
  oci_inspect_mount *o = xmalloc0 (sizeof (*o));

  o->destination = xstrdup (dest);
  if (m)
    {
      o->type = xstrdup (m->type);
      o->source = xstrdup (m->source);
      o->options = xstrdup (m->options);
    }
  o->difference = xstrdup (diff);
  doc->mounts = realloc (doc->mounts, sizeof (*doc->mounts) * (doc->mounts_len + 2));
  if (doc->mounts == NULL)
    abort ();
  doc->mounts[doc->mounts_len++] = o;
  doc->mounts[doc->mounts_len] = NULL;
}

static void
set_root (oci_inspect *doc, const struct ocirt_inspect_mountinfo *m, const char *rootfs)
{
  if (doc->root == NULL)
    doc->root = xmalloc0 (sizeof (*doc->root));
  free (doc->root->path);
  free (doc->root->type);
  free (doc->root->source);
  doc->root->path = rootfs ? xstrdup (rootfs) : NULL;
  doc->root->type = xstrdup (m->type);
  doc->root->source = xstrdup (m->source);
  doc->root->readonly = readonly (m->options);
  doc->root->readonly_present = true;
}

/* Whether the init has a mount on DEST (cleaned).  */
static bool
mounted (const char *mountinfo, const char *dest)
{
  cleanup_free char *copy = xstrdup (mountinfo);
  char *line, *save = NULL;
  struct ocirt_inspect_mountinfo m;

  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (ocirt_inspect_mounts_parse_line (line, &m) && strcmp (m.mount_point, dest) == 0)
      return true;
  return false;
}

int
ocirt_inspect_mounts_fill (const char *mountinfo, const oci_spec *spec, const char *rootfs,
                           oci_inspect *doc, ocirt_error_t *err)
{
  cleanup_free char *copy = xstrdup (mountinfo);
  char *line, *save = NULL;
  size_t i;

  doc->mounts = xmalloc0 (sizeof (*doc->mounts));
  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct ocirt_inspect_mountinfo m;
      const char *diff;

      if (!ocirt_inspect_mounts_parse_line (line, &m))
        return ocirt_error_make (err, 0, "invalid mountinfo line `%.64s`", line);
      if (strcmp (m.mount_point, "/") == 0)
        set_root (doc, &m, rootfs);
      else if ((diff = difference (spec, &m)))
        push_mount (doc, m.mount_point, &m, diff);
    }
  for (i = 0; spec && i < spec->mounts_len; i++)
    {
      cleanup_free char *d = ocirt_inspect_mounts_clean_path (spec->mounts[i]->destination);

      if (strcmp (d, "/") != 0 && !mounted (mountinfo, d))
        push_mount (doc, d, NULL, "missing");
    }
  return 0;
}
