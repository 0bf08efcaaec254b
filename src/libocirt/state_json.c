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

/* The fields state.json shares with the record under the same name, for
   both directions: strings (lent on the way out, taken on the way in) and
   values copied.  */
#define STORE_STRINGS(X)                                                                                \
  X (id) X (bundle) X (config) X (notify_socket) X (rootfs) X (created) X (cgroup_path)
#define STORE_VALUES(X)                                                                                 \
  X (pid)                                                                                               \
  X (start_time) X (runtime_pid) X (runtime_start_time) X (owner) X (systemd_cgroup) X (hooks_saved)

char *
ocirt_state_to_json (const struct ocirt_container_state *st)
{
  static char *no_dirs[1];
  oci_map_string annotations = { st->annotation_keys, st->annotation_values, st->annotations_len };
  cleanup_free oci_store_cgroup *leaves = xmalloc0 (sizeof (*leaves) * (st->cgroup_leaves_len + 1));
  cleanup_free oci_store_cgroup **leafp = xmalloc0 (sizeof (*leafp) * (st->cgroup_leaves_len + 1));
  oci_store_state s = {
    .cgroup_dirs = st->cgroup_dirs ? st->cgroup_dirs : no_dirs,
    .cgroup_dirs_len = st->cgroup_dirs_len,
    .cgroup_leaves = leafp,
    .cgroup_leaves_len = st->cgroup_leaves_len,
    .annotations = &annotations,
  };
  char *json;
  size_t i;

#define LEND_STRING(f) s.f = st->f;
#define COPY_VALUE(f) s.f = st->f, s.f##_present = true;
  STORE_STRINGS (LEND_STRING)
  STORE_VALUES (COPY_VALUE)
#undef LEND_STRING
#undef COPY_VALUE
  /* Only while create runs: what tells creating from stopped.  */
  s.runtime_pid_present = s.runtime_start_time_present = st->runtime_pid > 0;
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
#define TAKE_STRING(f) st->f = steal_pointer (&s->f);
#define TAKE_VALUE(f) st->f = s->f;
  STORE_STRINGS (TAKE_STRING)
  STORE_VALUES (TAKE_VALUE)
#undef TAKE_STRING
#undef TAKE_VALUE
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

/* What the OCI state and a `list` entry both say of ST.  */
static oci_state_output
state_output (const struct ocirt_container_state *st, enum ocirt_status status)
{
  return (oci_state_output){
    .oci_version = (char *) OCI_SPEC_VERSION,
    .id = st->id,
    .pid = status == OCIRT_STATUS_STOPPED ? 0 : st->pid,
    .pid_present = true,
    .status = (char *) ocirt_state_status_name (status),
    .bundle = st->bundle,
    .rootfs = st->rootfs,
    .created = st->created,
  };
}

char *
ocirt_state_to_oci_json (const struct ocirt_container_state *st, enum ocirt_status status, bool pretty)
{
  oci_map_string annotations = { st->annotation_keys, st->annotation_values, st->annotations_len };
  oci_state_output o = state_output (st, status);
  char *json;

  /* runc's owner is always empty in `state`.  */
  o.owner = (char *) "";
  o.annotations = st->annotations_len ? &annotations : NULL;
  json = state_output_json (&o, pretty);
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
  oci_state_output o = state_output (st, status);

  o.rootfs = st->rootfs ? st->rootfs : (char *) "";
  o.created = st->created ? st->created : (char *) "";
  o.owner = (char *) owner;
  return state_output_json (&o, false);
}
