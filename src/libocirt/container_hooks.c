/* The hooks the runtime itself runs for a container, and those saved for start and delete.  */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "bundle.h"
#include "container_hooks.h"
#include "hooks.h"
#include "utils.h"

bool
ocirt_container_hooks_at_create (const oci_spec *spec)
{
  return spec->hooks && (spec->hooks->prestart_len || spec->hooks->create_runtime_len);
}

int
ocirt_container_hooks_save (int dirfd, const oci_spec *spec, ocirt_error_t *err)
{
  const oci_hooks *h = spec->hooks;
  oci_hooks later = { 0 };
  oci_spec doc = { 0 };
  cleanup_free char *json = NULL;

  if (h == NULL || (h->poststart_len == 0 && h->poststop_len == 0))
    return 0;
  later.poststart = h->poststart;
  later.poststart_len = h->poststart_len;
  later.poststop = h->poststop;
  later.poststop_len = h->poststop_len;
  doc.oci_version = spec->oci_version;
  doc.hooks = &later;
  doc.annotations = spec->annotations;
  json = oci_spec_to_json (&doc, false, NULL);
  if (json == NULL)
    return ocirt_error_make (err, ENOMEM, "write `%s`", OCIRT_HOOKS_FILE);
  return ocirt_utils_write_file_atomic_at (dirfd, OCIRT_HOOKS_FILE, json, strlen (json), 0600, err);
}

int
ocirt_container_hooks_load (int dirfd, const struct ocirt_container_state *st, oci_spec **spec,
                            ocirt_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *perr = NULL;
  size_t len;

  *spec = NULL;
  if (!st->hooks_saved)
    {
      *spec = ocirt_bundle_load_config (st->bundle, st->config, err);
      return *spec ? 0 : -1;
    }
  if (ocirt_utils_read_file_at (dirfd, OCIRT_HOOKS_FILE, &data, &len, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      ocirt_error_release (err);
      return 0;
    }
  *spec = oci_spec_parse_data (data, len, &perr);
  if (*spec == NULL)
    return ocirt_error_make (err, 0, "%s of `%s`: %s", OCIRT_HOOKS_FILE, st->id,
                             perr ? perr : "cannot parse");
  return 0;
}

int
ocirt_container_hooks_poststart (const struct ocirt_container_state *st, const oci_spec *spec,
                                 ocirt_error_t *err)
{
  cleanup_free char *state = NULL;
  int ret = 0;

  if (spec && spec->hooks && spec->hooks->poststart_len)
    {
      state = ocirt_hooks_state (spec, st->id, st->pid, st->bundle, "running");
      ret = ocirt_hooks_run (spec->hooks->poststart, spec->hooks->poststart_len, "poststart", state,
                             err);
      if (ret < 0)
        kill (st->pid, SIGKILL);
    }
  return ret;
}

void
ocirt_container_hooks_poststop (const struct ocirt_container_state *st, const oci_spec *spec)
{
  cleanup_free char *state = NULL;

  if (spec && spec->hooks && spec->hooks->poststop_len)
    {
      state = ocirt_hooks_state (spec, st->id, st->pid, st->bundle, "stopped");
      ocirt_hooks_run_all (spec->hooks->poststop, spec->hooks->poststop_len, "poststop", state);
    }
}
