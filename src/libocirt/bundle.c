#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "idmap.h"
#include "namespaces.h"
#include "netdev.h"
#include "process.h"
#include "utils.h"

oci_spec *
ocirt_config_load (const char *bundle, const char *config_path, ocirt_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *perr = NULL;
  const char *name;
  oci_spec *spec;
  struct stat sb;

  if (config_path)
    path = xstrdup (config_path);
  else
    {
      if (stat (bundle, &sb) < 0)
        {
          ocirt_make_error (err, errno, "bundle `%s`", bundle);
          return NULL;
        }
      if (!S_ISDIR (sb.st_mode))
        {
          ocirt_make_error (err, ENOTDIR, "bundle `%s`", bundle);
          return NULL;
        }
      path = xasprintf ("%s/config.json", bundle);
    }
  if (stat (path, &sb) < 0)
    {
      ocirt_make_error (err, errno, "open `%s`", path);
      return NULL;
    }
  spec = oci_spec_parse_file (path, &perr);
  if (spec == NULL)
    {
      name = config_path ? config_path : "config.json";
      ocirt_make_error (err, 0, "%s: %s", name, perr ? perr : "cannot parse");
      return NULL;
    }
  return spec;
}

bool
ocirt_config_has_ns (const oci_spec *spec, const char *type)
{
  size_t i;

  for (i = 0; spec->linux && i < spec->linux->namespaces_len; i++)
    if (spec->linux->namespaces[i]->type && strcmp (spec->linux->namespaces[i]->type, type) == 0)
      return true;
  return false;
}

int
ocirt_config_validate (const oci_spec *spec, ocirt_error_t *err)
{
  const oci_linux *lx = spec->linux;
  size_t i;

  if (spec->root == NULL || spec->root->path == NULL || spec->root->path[0] == '\0')
    return ocirt_make_error (err, 0, "config.json: root.path is not set");
  if (ocirt_process_validate (spec->process, err) < 0)
    return -1;
  if (lx == NULL)
    return ocirt_make_error (err, 0, "config.json: the linux section is missing");
  if (!ocirt_config_has_ns (spec, "mount"))
    return ocirt_make_error (err, 0, "config.json: a mount namespace is required");
  if (spec->hostname && spec->hostname[0] && !ocirt_config_has_ns (spec, "uts"))
    return ocirt_make_error (err, 0, "config.json: hostname needs a uts namespace");
  if (spec->domainname && spec->domainname[0] && !ocirt_config_has_ns (spec, "uts"))
    return ocirt_make_error (err, 0, "config.json: domainname needs a uts namespace");
  if ((lx->uid_mappings_len || lx->gid_mappings_len) && !ocirt_config_has_ns (spec, "user"))
    return ocirt_make_error (err, 0, "config.json: uidMappings and gidMappings need a user namespace");
  if (lx->time_offsets && lx->time_offsets->len && !ocirt_config_has_ns (spec, "time"))
    return ocirt_make_error (err, 0, "config.json: timeOffsets need a time namespace");
  for (i = 0; i < spec->mounts_len; i++)
    {
      const char *d = spec->mounts[i]->destination;
      if (d == NULL || d[0] == '\0')
        return ocirt_make_error (err, 0, "config.json: mounts[%zu]: empty destination", i);
    }
  if (ocirt_idmap_validate (spec, err) < 0)
    return -1;
  if (ocirt_netdev_validate (spec, err) < 0)
    return -1;
  /* resctrl is not driven by this build: better no container than one
     without the cache and memory bandwidth split it asked for.  */
  if (lx->intel_rdt)
    {
      if (access ("/sys/fs/resctrl/schemata", F_OK) < 0)
        return ocirt_make_error (err, 0, "config.json: linux.intelRdt is set, but resctrl is not mounted on this host");
      return ocirt_make_error (err, 0, "config.json: linux.intelRdt is set, but this build does not support resctrl");
    }
  if (spec->hooks)
    {
      const oci_hooks *h = spec->hooks;
      struct
      {
        const char *kind;
        oci_hook **v;
        size_t n;
      } lists[] = {
        { "prestart", h->prestart, h->prestart_len },
        { "createRuntime", h->create_runtime, h->create_runtime_len },
        { "createContainer", h->create_container, h->create_container_len },
        { "startContainer", h->start_container, h->start_container_len },
        { "poststart", h->poststart, h->poststart_len },
        { "poststop", h->poststop, h->poststop_len },
      };
      size_t k, j;

      for (k = 0; k < ARRAY_SIZE (lists); k++)
        for (j = 0; j < lists[k].n; j++)
          {
            const oci_hook *hk = lists[k].v[j];
            if (hk->path == NULL || hk->path[0] != '/')
              return ocirt_make_error (err, 0, "config.json: hooks.%s[%zu]: path `%s` is not absolute",
                                       lists[k].kind, j, hk->path ? hk->path : "");
            if (hk->timeout_present && hk->timeout <= 0)
              return ocirt_make_error (err, 0, "config.json: hooks.%s[%zu]: timeout must be positive",
                                       lists[k].kind, j);
          }
    }
  for (i = 0; i < lx->namespaces_len; i++)
    if (ocirt_ns_flag (lx->namespaces[i]->type) == 0)
      return ocirt_make_error (err, 0, "config.json: unknown namespace type `%s`",
                               lx->namespaces[i]->type);
  return 0;
}

char *
ocirt_config_rootfs (const oci_spec *spec, const char *bundle, ocirt_error_t *err)
{
  cleanup_free char *joined = NULL;
  char resolved[PATH_MAX];
  struct stat sb;

  if (spec->root->path[0] == '/')
    joined = xstrdup (spec->root->path);
  else
    joined = xasprintf ("%s/%s", bundle, spec->root->path);
  if (realpath (joined, resolved) == NULL)
    {
      ocirt_make_error (err, errno, "rootfs `%s`", joined);
      return NULL;
    }
  if (stat (resolved, &sb) < 0 || !S_ISDIR (sb.st_mode))
    {
      ocirt_make_error (err, ENOTDIR, "rootfs `%s`", joined);
      return NULL;
    }
  return xstrdup (resolved);
}
