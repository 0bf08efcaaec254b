/* /proc/PID/status, uid_map, gid_map and attr/current of a container's
   init, for `inspect`.  */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capabilities.h"
#include "inspect_proc.h"
#include "utils.h"

/* The value of "KEY:\tVALUE" in TEXT, NULL when no line has KEY.  */
static const char *
status_value (const char *text, const char *key)
{
  size_t len = strlen (key);
  const char *p = text;

  while (p && *p)
    {
      if (strncmp (p, key, len) == 0 && p[len] == ':')
        return p + len + 1 + strspn (p + len + 1, " \t");
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return NULL;
}

static bool
status_hex (const char *text, const char *key, uint64_t *out)
{
  const char *v = status_value (text, key);
  char *end;

  if (v == NULL || !strchr ("0123456789abcdefABCDEF", *v) || *v == '\0')
    return false;
  errno = 0;
  *out = strtoull (v, &end, 16);
  return errno == 0 && (*end == '\n' || *end == '\0');
}

/* A decimal line, -1 when absent; false when present and not a number.  */
static bool
status_int (const char *text, const char *key, int *out)
{
  const char *v = status_value (text, key);
  char *end;
  long n;

  *out = -1;
  if (v == NULL)
    return true;
  errno = 0;
  n = strtol (v, &end, 10);
  if (errno || end == v || (*end != '\n' && *end != '\0') || n < 0 || n > INT32_MAX)
    return false;
  *out = (int) n;
  return true;
}

int
ocirt_inspect_proc_parse_status (const char *text, struct ocirt_inspect_status *out, ocirt_error_t *err)
{
  static const struct
  {
    const char *key;
    size_t offset;
  } caps[] = {
    { "CapInh", offsetof (struct ocirt_inspect_status, cap_inh) },
    { "CapPrm", offsetof (struct ocirt_inspect_status, cap_prm) },
    { "CapEff", offsetof (struct ocirt_inspect_status, cap_eff) },
    { "CapBnd", offsetof (struct ocirt_inspect_status, cap_bnd) },
    { "CapAmb", offsetof (struct ocirt_inspect_status, cap_amb) },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (caps); i++)
    if (!status_hex (text, caps[i].key, (uint64_t *) ((char *) out + caps[i].offset)))
      return ocirt_error_make (err, 0, "status: no valid `%s` line", caps[i].key);
  if (!status_int (text, "NoNewPrivs", &out->no_new_privs))
    return ocirt_error_make (err, 0, "status: invalid `NoNewPrivs` line");
  if (!status_int (text, "Seccomp", &out->seccomp))
    return ocirt_error_make (err, 0, "status: invalid `Seccomp` line");
  if (!status_int (text, "Seccomp_filters", &out->seccomp_filters))
    return ocirt_error_make (err, 0, "status: invalid `Seccomp_filters` line");
  return 0;
}

int
ocirt_inspect_proc_parse_id_map (const char *text, oci_id_mapping ***maps, size_t *n, ocirt_error_t *err)
{
  cleanup_free char *copy = xstrdup (text);
  char *line, *save = NULL;
  size_t count = 0, i;
  oci_id_mapping **v;

  for (i = 0; text[i]; i++)
    count += text[i] == '\n';
  v = xmalloc0 (sizeof (*v) * (count + 2));
  *maps = v;
  *n = 0;
  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long c, h, s;
      int used = 0;

      if (sscanf (line, " %llu %llu %llu %n", &c, &h, &s, &used) != 3 || line[used] != '\0'
          || c > UINT32_MAX || h > UINT32_MAX || s > UINT32_MAX)
        return ocirt_error_make (err, 0, "invalid id map line `%.64s`", line);
      v[*n] = xmalloc0 (sizeof (oci_id_mapping));
      v[*n]->container_id = (uint32_t) c;
      v[*n]->host_id = (uint32_t) h;
      v[*n]->size = (uint32_t) s;
      v[*n]->container_id_present = v[*n]->host_id_present = v[*n]->size_present = true;
      (*n)++;
    }
  return 0;
}

char **
ocirt_inspect_proc_cap_names (uint64_t mask, size_t *n)
{
  const char **known;
  int nknown = ocirt_caps_known (&known);
  char **names = xmalloc0 (sizeof (char *) * 65);
  int bit;

  *n = 0;
  for (bit = 0; bit < 64; bit++)
    if (mask & (UINT64_C (1) << bit))
      names[(*n)++] = bit < nknown ? xstrdup (known[bit]) : xasprintf ("%d", bit);
  return names;
}

const char *
ocirt_inspect_proc_seccomp_mode (int mode)
{
  static const char *const modes[] = { "disabled", "strict", "filter" };

  return mode >= 0 && mode < (int) ARRAY_SIZE (modes) ? modes[mode] : "unknown";
}

static oci_inspect_capabilities *
capabilities (const struct ocirt_inspect_status *s)
{
  oci_inspect_capabilities *c = xmalloc0 (sizeof (*c));

  c->bounding = ocirt_inspect_proc_cap_names (s->cap_bnd, &c->bounding_len);
  c->effective = ocirt_inspect_proc_cap_names (s->cap_eff, &c->effective_len);
  c->inheritable = ocirt_inspect_proc_cap_names (s->cap_inh, &c->inheritable_len);
  c->permitted = ocirt_inspect_proc_cap_names (s->cap_prm, &c->permitted_len);
  c->ambient = ocirt_inspect_proc_cap_names (s->cap_amb, &c->ambient_len);
  return c;
}

static int
fill_status (int procfd, oci_inspect *doc, ocirt_error_t *err)
{
  cleanup_free char *text = NULL;
  struct ocirt_inspect_status s;

  if (ocirt_utils_read_file_at (procfd, "status", &text, NULL, err) < 0
      || ocirt_inspect_proc_parse_status (text, &s, err) < 0)
    return ocirt_error_prefix (err, "inspect the init's status");
  doc->capabilities = capabilities (&s);
  if (s.no_new_privs >= 0)
    {
      doc->no_new_privileges = s.no_new_privs != 0;
      doc->no_new_privileges_present = true;
    }
  if (s.seccomp >= 0)
    {
      doc->seccomp = xmalloc0 (sizeof (*doc->seccomp));
      doc->seccomp->mode = xstrdup (ocirt_inspect_proc_seccomp_mode (s.seccomp));
      doc->seccomp->filters = s.seccomp_filters;
      doc->seccomp->filters_present = s.seccomp_filters >= 0;
    }
  return 0;
}

static int
fill_map (int procfd, const char *file, oci_id_mapping ***maps, size_t *n, ocirt_error_t *err)
{
  cleanup_free char *text = NULL;

  if (ocirt_utils_read_file_at (procfd, file, &text, NULL, err) < 0
      || ocirt_inspect_proc_parse_id_map (text, maps, n, err) < 0)
    return ocirt_error_prefix (err, "inspect the init's %s", file);
  return 0;
}

/* The label, when an LSM gives one: without one (EINVAL) or unreadable,
   there is none to show.  */
static void
fill_label (int procfd, oci_inspect *doc)
{
  cleanup_error ocirt_error_t tmp = NULL;
  char *text = NULL;
  size_t len = 0;

  if (ocirt_utils_read_small_file_at (procfd, "attr/current", &text, &len, &tmp) < 0)
    return;
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\0'))
    text[--len] = '\0';
  doc->label = text;
}

int
ocirt_inspect_proc_fill (int procfd, oci_inspect *doc, ocirt_error_t *err)
{
  if (fill_status (procfd, doc, err) < 0
      || fill_map (procfd, "uid_map", &doc->uid_mappings, &doc->uid_mappings_len, err) < 0
      || fill_map (procfd, "gid_map", &doc->gid_mappings, &doc->gid_mappings_len, err) < 0)
    return -1;
  fill_label (procfd, doc);
  return 0;
}
