#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "idmap.h"
#include "namespaces.h"
#include "netdev.h"
#include "process.h"
#include "utils.h"

oci_spec *
ocirt_bundle_load_config (const char *bundle, const char *config_path, ocirt_error_t *err)
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
          ocirt_error_make (err, errno, "bundle `%s`", bundle);
          return NULL;
        }
      if (!S_ISDIR (sb.st_mode))
        {
          ocirt_error_make (err, ENOTDIR, "bundle `%s`", bundle);
          return NULL;
        }
      path = xasprintf ("%s/config.json", bundle);
    }
  if (stat (path, &sb) < 0)
    {
      ocirt_error_make (err, errno, "open `%s`", path);
      return NULL;
    }
  spec = oci_spec_parse_file (path, &perr);
  if (spec == NULL)
    {
      name = config_path ? config_path : "config.json";
      ocirt_error_make (err, 0, "%s: %s", name, perr ? perr : "cannot parse");
      return NULL;
    }
  return spec;
}

/* User strings in errors are cut: the error is one line, whatever the
   config holds.  */
#define Q "`%.128s%s`"
#define QARG(s) (s), strlen (s) > 128 ? "..." : ""

/* Whether a path has a `..` component.  */
static bool
has_dotdot (const char *p)
{
  const char *c;

  for (c = p; (c = strstr (c, "..")) != NULL; c += 2)
    if ((c == p || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
      return true;
  return false;
}

/* A new user namespace without maps would leave every id unmapped and
   fail later, half built; runc refuses it with these words.  */
static int
validate_new_userns (const oci_linux *lx, ocirt_error_t *err)
{
  if (lx->uid_mappings_len == 0)
    return ocirt_error_make (err, 0, "config.json: user namespaces enabled, but no uid mappings found");
  if (lx->gid_mappings_len == 0)
    return ocirt_error_make (err, 0, "config.json: user namespaces enabled, but no gid mappings found");
  return 0;
}

static int
validate_namespaces (const oci_linux *lx, ocirt_error_t *err)
{
  int seen = 0;
  size_t i;

  for (i = 0; i < lx->namespaces_len; i++)
    {
      const oci_namespace *ns = lx->namespaces[i];
      int flag = ocirt_ns_flag (ns->type);

      if (flag == 0)
        return ocirt_error_make (err, 0, "config.json: linux.namespaces[%zu]: unknown namespace type " Q,
                                 i, QARG (ns->type));
      if (seen & flag)
        return ocirt_error_make (err, 0,
                                 "config.json: linux.namespaces[%zu]: `%s` is listed more than once", i,
                                 ns->type);
      seen |= flag;
      if (ns->path && ns->path[0] && ns->path[0] != '/')
        return ocirt_error_make (err, 0, "config.json: linux.namespaces[%zu].path " Q " is not absolute",
                                 i, QARG (ns->path));
      if (flag == CLONE_NEWUSER && (ns->path == NULL || ns->path[0] == '\0')
          && validate_new_userns (lx, err) < 0)
        return -1;
    }
  return 0;
}

/* What execve will take, as the kernel counts it (fs/exec.c): each string
   at most MAX_ARG_STRLEN, and strings plus pointers within a quarter of
   the stack limit, at most 6 MiB and at least 128 KiB.  Better said now
   than by E2BIG at start.  */
static int
validate_exec_size (const oci_process *p, ocirt_error_t *err)
{
  const size_t max_strlen = 32 * 4096, floor = 32 * 4096, cap = 6 << 20;
  struct rlimit stack = { 0 };
  size_t i, total = (p->args_len + p->env_len) * sizeof (char *), limit;

  for (i = 0; i < p->args_len + p->env_len; i++)
    {
      bool arg = i < p->args_len;
      size_t n = strlen (arg ? p->args[i] : p->env[i - p->args_len]) + 1;

      if (n > max_strlen)
        return ocirt_error_make (
            err, 0, "config.json: process.%s[%zu] takes %zu bytes, execve takes at most %zu per string",
            arg ? "args" : "env", arg ? i : i - p->args_len, n, max_strlen);
      total += n;
    }
  getrlimit (RLIMIT_STACK, &stack);
  for (i = 0; i < p->rlimits_len; i++)
    if (strcmp (p->rlimits[i]->type, "RLIMIT_STACK") == 0)
      stack.rlim_cur = p->rlimits[i]->soft;
  limit = stack.rlim_cur / 4 < cap ? (size_t) (stack.rlim_cur / 4) : cap;
  if (limit < floor)
    limit = floor;
  if (total > limit)
    return ocirt_error_make (
        err, 0,
        "config.json: process.args and process.env take %zu bytes, execve takes at most %zu here", total,
        limit);
  return 0;
}

static int
validate_process (const oci_spec *spec, ocirt_error_t *err)
{
  const oci_process *p = spec->process;
  size_t i;

  /* (uid_t) -1 means "unchanged" to the kernel, never an id.  */
  if (p->user && (p->user->uid == UINT32_MAX || p->user->gid == UINT32_MAX))
    return ocirt_error_make (err, 0, "config.json: process.user.%s 4294967295 is not a valid id",
                             p->user->uid == UINT32_MAX ? "uid" : "gid");
  for (i = 0; p->user && i < p->user->additional_gids_len; i++)
    if (p->user->additional_gids[i] == UINT32_MAX)
      return ocirt_error_make (
          err, 0, "config.json: process.user.additionalGids[%zu] 4294967295 is not a valid id", i);
  for (i = 0; i < p->env_len; i++)
    if (p->env[i][0] == '=' || strchr (p->env[i], '=') == NULL)
      return ocirt_error_make (err, 0, "config.json: process.env[%zu] " Q " is not NAME=VALUE", i,
                               QARG (p->env[i]));
  if (validate_exec_size (p, err) < 0)
    return -1;
  /* The spec: consoleSize is ignored without a terminal.  */
  if (p->terminal && p->console_size)
    {
      if (p->console_size->height > 0xffff)
        return ocirt_error_make (err, 0,
                                 "config.json: process.consoleSize.height %llu is out of range 0..65535",
                                 (unsigned long long) p->console_size->height);
      if (p->console_size->width > 0xffff)
        return ocirt_error_make (err, 0,
                                 "config.json: process.consoleSize.width %llu is out of range 0..65535",
                                 (unsigned long long) p->console_size->width);
    }
  if (p->oom_score_adj_present && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return ocirt_error_make (err, 0, "config.json: process.oomScoreAdj %d is out of range -1000..1000",
                             p->oom_score_adj);
  /* sethostname would say EINVAL from inside the container.  */
  if (spec->hostname && strlen (spec->hostname) > HOST_NAME_MAX)
    return ocirt_error_make (err, 0, "config.json: hostname is longer than %d bytes", HOST_NAME_MAX);
  if (spec->domainname && strlen (spec->domainname) > HOST_NAME_MAX)
    return ocirt_error_make (err, 0, "config.json: domainname is longer than %d bytes", HOST_NAME_MAX);
  return 0;
}

static int
validate_mounts (const oci_spec *spec, ocirt_error_t *err)
{
  char field[64], buf[OCIRT_ID_MAP_TEXT_MAX];
  size_t i;

  for (i = 0; i < spec->mounts_len; i++)
    {
      const oci_mount *m = spec->mounts[i];

      if (m->destination == NULL || m->destination[0] == '\0')
        return ocirt_error_make (err, 0, "config.json: mounts[%zu].destination is empty", i);
      /* Relative destinations are deprecated but allowed (from /); a `..`
         is never needed and is how a hostile config would try to climb.  */
      if (has_dotdot (m->destination))
        return ocirt_error_make (err, 0, "config.json: mounts[%zu].destination " Q " contains `..`", i,
                                 QARG (m->destination));
      snprintf (field, sizeof (field), "config.json: mounts[%zu].uidMappings", i);
      if (ocirt_ns_id_map_text (field, m->uid_mappings, m->uid_mappings_len, buf, err) < 0)
        return -1;
      snprintf (field, sizeof (field), "config.json: mounts[%zu].gidMappings", i);
      if (ocirt_ns_id_map_text (field, m->gid_mappings, m->gid_mappings_len, buf, err) < 0)
        return -1;
    }
  return 0;
}

static int
validate_devices (const oci_linux *lx, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < lx->devices_len; i++)
    {
      const oci_device *d = lx->devices[i];
      const char *t = d->type;

      if (strcmp (t, "c") && strcmp (t, "u") && strcmp (t, "b") && strcmp (t, "p"))
        return ocirt_error_make (err, 0, "config.json: linux.devices[%zu]: invalid type " Q, i,
                                 QARG (t));
      if (d->path[0] != '/')
        return ocirt_error_make (err, 0, "config.json: linux.devices[%zu].path " Q " is not absolute", i,
                                 QARG (d->path));
      if (has_dotdot (d->path))
        return ocirt_error_make (err, 0, "config.json: linux.devices[%zu].path " Q " contains `..`", i,
                                 QARG (d->path));
      if (strcmp (t, "p") == 0)
        continue;
      if (!d->major_present || !d->minor_present)
        return ocirt_error_make (err, 0,
                                 "config.json: linux.devices[%zu]: type %s needs major and minor", i, t);
      /* The kernel's dev_t: 12 bits of major, 20 of minor.  */
      if (d->major < 0 || d->major > 4095)
        return ocirt_error_make (err, 0,
                                 "config.json: linux.devices[%zu]: major %lld is out of range 0..4095",
                                 i, (long long) d->major);
      if (d->minor < 0 || d->minor > 1048575)
        return ocirt_error_make (
            err, 0, "config.json: linux.devices[%zu]: minor %lld is out of range 0..1048575", i,
            (long long) d->minor);
    }
  return 0;
}

/* As runc and crun: the hostname is set by "hostname" only, and a
   domainname sysctl may not say otherwise than "domainname".  */
static int
uts_sysctl_conflict (const oci_spec *spec, const char *key, const char *value, ocirt_error_t *err)
{
  if (strcmp (key, "kernel.hostname") == 0)
    return ocirt_error_make (err, 0,
                             "config.json: linux.sysctl: `kernel.hostname` conflicts with "
                             "the `hostname` field: set the hostname there");
  if (strcmp (key, "kernel.domainname") == 0 && spec->domainname
      && strcmp (spec->domainname, value) != 0)
    return ocirt_error_make (err, 0,
                             "config.json: linux.sysctl: `kernel.domainname` conflicts with "
                             "the `domainname` field");
  return 0;
}

/* The sysctls a container may set: those of a namespace it has its own of
   (the list of runc and the kernel's namespaced tables).  Anything else
   would be written to the host's kernel.  */
static int
validate_sysctl (const oci_spec *spec, ocirt_error_t *err)
{
  static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced" };
  const oci_map_string *sc = spec->linux->sysctl;
  size_t i, k;

  for (i = 0; sc && i < sc->len; i++)
    {
      cleanup_free char *key = xstrdup (sc->keys[i]);
      const char *ns = NULL, *need = NULL;
      char *c;

      for (c = key; *c; c++)
        if (*c == '/')
          *c = '.';
      if (key[0] == '\0' || key[0] == '.' || strstr (key, "..") || key[strlen (key) - 1] == '.')
        return ocirt_error_make (err, 0, "config.json: linux.sysctl: invalid name " Q,
                                 QARG (sc->keys[i]));
      for (k = 0; k < ARRAY_SIZE (ipc); k++)
        if (strcmp (key, ipc[k]) == 0)
          ns = "ipc", need = "an ipc";
      if (strncmp (key, "fs.mqueue.", 10) == 0)
        ns = "ipc", need = "an ipc";
      else if (strncmp (key, "net.", 4) == 0)
        ns = "network", need = "a network";
      else if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
        ns = "uts", need = "a uts";
      if (ns == NULL)
        return ocirt_error_make (err, 0, "config.json: linux.sysctl: " Q " is not namespaced",
                                 QARG (sc->keys[i]));
      if (!ocirt_ns_in_config (spec, ns))
        return ocirt_error_make (err, 0, "config.json: linux.sysctl: " Q " needs %s namespace",
                                 QARG (sc->keys[i]), need);
      if (strcmp (ns, "uts") == 0 && uts_sysctl_conflict (spec, key, sc->values[i], err) < 0)
        return -1;
    }
  return 0;
}

int
ocirt_bundle_validate_config (const oci_spec *spec, ocirt_error_t *err)
{
  const oci_linux *lx = spec->linux;

  if (spec->root == NULL || spec->root->path == NULL || spec->root->path[0] == '\0')
    return ocirt_error_make (err, 0, "config.json: root.path is not set");
  if (ocirt_process_validate (spec->process, err) < 0)
    return -1;
  if (lx == NULL)
    return ocirt_error_make (err, 0, "config.json: the linux section is missing");
  if (validate_namespaces (lx, err) < 0 || validate_process (spec, err) < 0)
    return -1;
  /* Masks in the runtime's mount namespace would be the host's.  */
  if ((lx->masked_paths_len || lx->readonly_paths_len) && !ocirt_ns_in_config (spec, "mount"))
    return ocirt_error_make (err, 0,
                             "config.json: maskedPaths and readonlyPaths need a mount namespace");
  if (spec->hostname && spec->hostname[0] && !ocirt_ns_in_config (spec, "uts"))
    return ocirt_error_make (err, 0, "config.json: hostname needs a uts namespace");
  if (spec->domainname && spec->domainname[0] && !ocirt_ns_in_config (spec, "uts"))
    return ocirt_error_make (err, 0, "config.json: domainname needs a uts namespace");
  if ((lx->uid_mappings_len || lx->gid_mappings_len) && !ocirt_ns_in_config (spec, "user"))
    return ocirt_error_make (err, 0, "config.json: uidMappings and gidMappings need a user namespace");
  if (lx->time_offsets && lx->time_offsets->len && !ocirt_ns_in_config (spec, "time"))
    return ocirt_error_make (err, 0, "config.json: timeOffsets need a time namespace");
  if (validate_mounts (spec, err) < 0 || validate_devices (lx, err) < 0
      || validate_sysctl (spec, err) < 0)
    return -1;
  {
    char buf[OCIRT_ID_MAP_TEXT_MAX];

    if (ocirt_ns_id_map_text ("config.json: linux.uidMappings", lx->uid_mappings, lx->uid_mappings_len,
                              buf, err)
            < 0
        || ocirt_ns_id_map_text ("config.json: linux.gidMappings", lx->gid_mappings,
                                 lx->gid_mappings_len, buf, err)
               < 0)
      return -1;
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
        return ocirt_error_make (
            err, 0, "config.json: linux.intelRdt is set, but resctrl is not mounted on this host");
      return ocirt_error_make (
          err, 0, "config.json: linux.intelRdt is set, but this build does not support resctrl");
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
              return ocirt_error_make (err, 0, "config.json: hooks.%s[%zu]: path `%s` is not absolute",
                                       lists[k].kind, j, hk->path ? hk->path : "");
            if (hk->timeout_present && hk->timeout <= 0)
              return ocirt_error_make (err, 0, "config.json: hooks.%s[%zu]: timeout must be positive",
                                       lists[k].kind, j);
          }
    }
  return 0;
}

char *
ocirt_bundle_rootfs (const oci_spec *spec, const char *bundle, ocirt_error_t *err)
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
      ocirt_error_make (err, errno, "rootfs `%s`", joined);
      return NULL;
    }
  if (stat (resolved, &sb) < 0 || !S_ISDIR (sb.st_mode))
    {
      ocirt_error_make (err, ENOTDIR, "rootfs `%s`", joined);
      return NULL;
    }
  return xstrdup (resolved);
}
