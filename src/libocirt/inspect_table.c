/* `inspect`'s default output: one section per concern, a line per item.  */
#include <string.h>

#include "inspect_table.h"

#define ROW "%-16s %s\n"

static void
print_list (FILE *out, const char *label, char *const *v, size_t n)
{
  size_t i;

  fprintf (out, "  %-14s ", label);
  if (n == 0)
    fputs ("-", out);
  for (i = 0; i < n; i++)
    fprintf (out, "%s%s", i ? "," : "", v[i]);
  fputc ('\n', out);
}

static void
print_namespaces (const oci_inspect *doc, FILE *out)
{
  size_t i, j;

  fprintf (out, "%-16s %-12s %s\n", "NAMESPACE", "INODE", "SHARED WITH");
  for (i = 0; i < doc->namespaces_len; i++)
    {
      const oci_inspect_namespace *ns = doc->namespaces[i];

      fprintf (out, "  %-14s %-12llu %s", ns->type, (unsigned long long) ns->inode,
               ns->host             ? "host"
               : ns->containers_len ? ""
                                    : "-");
      for (j = 0; j < ns->containers_len; j++)
        fprintf (out, "%s%s", j || ns->host ? "," : "", ns->containers[j]);
      fputc ('\n', out);
    }
}

static void
print_cgroups (const oci_inspect *doc, FILE *out)
{
  size_t i, j;

  for (i = 0; i < doc->cgroups_len; i++)
    {
      const oci_inspect_cgroup *c = doc->cgroups[i];

      fprintf (out, "%-16s %s%s%s\n", "CGROUP", c->controllers[0] ? c->controllers : "(unified)", " ",
               c->path);
      for (j = 0; c->limits && j < c->limits->len; j++)
        fprintf (out, "  %-30s %s\n", c->limits->keys[j], c->limits->values[j]);
    }
}

static void
print_maps (FILE *out, const char *label, oci_id_mapping *const *m, size_t n)
{
  size_t i;

  fprintf (out, "%-16s", label);
  for (i = 0; i < n; i++)
    fprintf (out, "%s%u %u %u", i ? ", " : " ", m[i]->container_id, m[i]->host_id, m[i]->size);
  fputc ('\n', out);
}

static void
print_security (const oci_inspect *doc, FILE *out)
{
  const oci_inspect_capabilities *c = doc->capabilities;

  fprintf (out, "CAPABILITIES\n");
  print_list (out, "bounding", c->bounding, c->bounding_len);
  print_list (out, "effective", c->effective, c->effective_len);
  print_list (out, "inheritable", c->inheritable, c->inheritable_len);
  print_list (out, "permitted", c->permitted, c->permitted_len);
  print_list (out, "ambient", c->ambient, c->ambient_len);
  if (doc->no_new_privileges_present)
    fprintf (out, ROW, "NO_NEW_PRIVS", doc->no_new_privileges ? "true" : "false");
  if (doc->seccomp)
    fprintf (out, "%-16s %s, %d filter%s\n", "SECCOMP", doc->seccomp->mode, doc->seccomp->filters,
             doc->seccomp->filters == 1 ? "" : "s");
  fprintf (out, ROW, "LABEL", doc->label ? doc->label : "-");
  print_maps (out, "UID_MAP", doc->uid_mappings, doc->uid_mappings_len);
  print_maps (out, "GID_MAP", doc->gid_mappings, doc->gid_mappings_len);
}

static void
print_mounts (const oci_inspect *doc, FILE *out)
{
  size_t i, width = 14;

  if (doc->root)
    fprintf (out, "%-16s %s (%s %s, %s)\n", "ROOT", doc->root->path ? doc->root->path : "-",
             doc->root->type, doc->root->source, doc->root->readonly ? "ro" : "rw");
  /* The destinations in one column, however long.  */
  for (i = 0; i < doc->mounts_len; i++)
    if (strlen (doc->mounts[i]->destination) > width)
      width = strlen (doc->mounts[i]->destination);
  fprintf (out, "%-*s %-9s %s\n", (int) width + 2, "MOUNT", "DIFFERS", "TYPE SOURCE OPTIONS");
  for (i = 0; i < doc->mounts_len; i++)
    {
      const oci_inspect_mount *m = doc->mounts[i];

      fprintf (out, "  %-*s %-9s %s %s %s\n", (int) width, m->destination, m->difference,
               m->type ? m->type : "-", m->source ? m->source : "-", m->options ? m->options : "-");
    }
}

void
ocirt_inspect_table_print (const oci_inspect *doc, FILE *out)
{
  size_t i;

  fprintf (out, ROW, "ID", doc->id);
  fprintf (out, "%-16s %d\n", "PID", doc->pid);
  fprintf (out, ROW, "STATUS", doc->status);
  fprintf (out, ROW, "BUNDLE", doc->bundle ? doc->bundle : "-");
  print_mounts (doc, out);
  print_namespaces (doc, out);
  print_cgroups (doc, out);
  print_security (doc, out);
  fprintf (out, "%-16s", "PROCESSES");
  for (i = 0; i < doc->processes_len; i++)
    fprintf (out, " %d", doc->processes[i]);
  fputc ('\n', out);
}
