/* The state documents in JSON, through the types generated from
   libocispec/spec.desc: state.json (store_state) and what `state`, `list`
   and the hooks are given (state_output).  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_types.h"
#include "state_json.h"
#include "state_status.h"
#include "utils.h"

/* The writers below borrow the strings of the state: the generated
   structs they fill are never freed with free_oci_*.  */

char *
ocirt_state_to_json (const struct ocirt_container_state *st)
{
  static char *no_dirs[1];
  oci_map_string annotations = { st->annotation_keys, st->annotation_values, st->annotations_len };
  cleanup_free oci_store_cgroup *leaves = xmalloc0 (sizeof (*leaves) * (st->cgroup_leaves_len + 1));
  cleanup_free oci_store_cgroup **leafp = xmalloc0 (sizeof (*leafp) * (st->cgroup_leaves_len + 1));
  oci_store_state s = {
    .id = st->id,
    .pid = st->pid,
    .pid_present = true,
    .start_time = st->start_time,
    .start_time_present = true,
    /* Only while create runs: what tells creating from stopped.  */
    .runtime_pid = st->runtime_pid,
    .runtime_pid_present = st->runtime_pid > 0,
    .runtime_start_time = st->runtime_start_time,
    .runtime_start_time_present = st->runtime_pid > 0,
    .bundle = st->bundle,
    .config = st->config,
    .notify_socket = st->notify_socket,
    .rootfs = st->rootfs,
    .created = st->created,
    .owner = st->owner,
    .owner_present = true,
    .systemd_cgroup = st->systemd_cgroup,
    .systemd_cgroup_present = true,
    .hooks_saved = st->hooks_saved,
    .hooks_saved_present = true,
    .cgroup_path = st->cgroup_path,
    .cgroup_dirs = st->cgroup_dirs ? st->cgroup_dirs : no_dirs,
    .cgroup_dirs_len = st->cgroup_dirs_len,
    .cgroup_leaves = leafp,
    .cgroup_leaves_len = st->cgroup_leaves_len,
    .annotations = &annotations,
  };
  char *json;
  size_t i;

  for (i = 0; i < st->cgroup_leaves_len; i++)
    {
      leaves[i].controllers = st->cgroup_leaves[i].controllers;
      leaves[i].path = st->cgroup_leaves[i].path;
      leafp[i] = &leaves[i];
    }
  json = oci_store_state_to_json (&s, false, NULL);
  if (json == NULL)
    abort ();
  return json;
}

/* Move the cgroup leaves of S into ST; a leaf without both its
   controllers and its path is none of ours.  */
static void
take_leaves (oci_store_state *s, struct ocirt_container_state *st)
{
  size_t i;

  st->cgroup_leaves = xmalloc0 (sizeof (*st->cgroup_leaves) * (s->cgroup_leaves_len + 1));
  for (i = 0; i < s->cgroup_leaves_len; i++)
    {
      oci_store_cgroup *leaf = s->cgroup_leaves[i];

      if (leaf == NULL || leaf->controllers == NULL || leaf->path == NULL)
        continue;
      st->cgroup_leaves[st->cgroup_leaves_len].controllers = steal_pointer (&leaf->controllers);
      st->cgroup_leaves[st->cgroup_leaves_len++].path = steal_pointer (&leaf->path);
    }
}

/* Move the annotations of S into ST, keys and values together.  */
static void
take_annotations (oci_store_state *s, struct ocirt_container_state *st)
{
  if (s->annotations == NULL)
    return;
  st->annotation_keys = steal_pointer (&s->annotations->keys);
  st->annotation_values = steal_pointer (&s->annotations->values);
  st->annotations_len = s->annotations->len;
  s->annotations->len = 0;
}

int
ocirt_state_from_json (const char *data, size_t len, struct ocirt_container_state *st, char **why)
{
  oci_store_state *s = oci_store_state_parse_data (data, len, why);

  memset (st, 0, sizeof (*st));
  if (s == NULL)
    return -1;
  st->id = steal_pointer (&s->id);
  st->pid = s->pid;
  st->start_time = s->start_time;
  st->runtime_pid = s->runtime_pid;
  st->runtime_start_time = s->runtime_start_time;
  st->bundle = steal_pointer (&s->bundle);
  st->config = steal_pointer (&s->config);
  st->notify_socket = steal_pointer (&s->notify_socket);
  st->rootfs = steal_pointer (&s->rootfs);
  st->created = steal_pointer (&s->created);
  st->owner = s->owner;
  st->systemd_cgroup = s->systemd_cgroup;
  st->hooks_saved = s->hooks_saved;
  st->cgroup_path = steal_pointer (&s->cgroup_path);
  st->cgroup_dirs_len = s->cgroup_dirs_len;
  st->cgroup_dirs = steal_pointer (&s->cgroup_dirs);
  s->cgroup_dirs_len = 0;
  take_leaves (s, st);
  take_annotations (s, st);
  free_oci_store_state (s);
  return 0;
}

/* The OCI state of ST with runc's rootfs, created and owner.  */
static char *
state_output_json (const oci_state_output *o, bool pretty)
{
  char *json = oci_state_output_to_json (o, pretty, NULL);

  if (json == NULL)
    abort ();
  return json;
}

char *
ocirt_state_to_oci_json (const struct ocirt_container_state *st, enum ocirt_status status, bool pretty)
{
  oci_map_string annotations = { st->annotation_keys, st->annotation_values, st->annotations_len };
  oci_state_output o = {
    .oci_version = (char *) OCI_SPEC_VERSION,
    .id = st->id,
    .pid = status == OCIRT_STATUS_STOPPED ? 0 : st->pid,
    .pid_present = true,
    .status = (char *) ocirt_state_status_name (status),
    .bundle = st->bundle,
    .rootfs = st->rootfs,
    .created = st->created,
    /* runc's owner is always empty in `state`.  */
    .owner = (char *) "",
    .annotations = st->annotations_len ? &annotations : NULL,
  };
  char *json = state_output_json (&o, pretty);

  if (pretty)
    {
      /* Ends with a newline, as it always has.  */
      char *nl = xasprintf ("%s\n", json);

      free (json);
      json = nl;
    }
  return json;
}

char *
ocirt_state_to_list_json (const struct ocirt_container_state *st, enum ocirt_status status,
                          const char *owner)
{
  oci_state_output o = {
    .oci_version = (char *) OCI_SPEC_VERSION,
    .id = st->id,
    .pid = status == OCIRT_STATUS_STOPPED ? 0 : st->pid,
    .pid_present = true,
    .status = (char *) ocirt_state_status_name (status),
    .bundle = st->bundle,
    .rootfs = st->rootfs ? st->rootfs : (char *) "",
    .created = st->created ? st->created : (char *) "",
    .owner = (char *) owner,
  };

  return state_output_json (&o, false);
}
