#include <string.h>
#include <stdlib.h>

#include "capabilities.h"
#include "cgroup_systemd.h"
#include "criu.h"
#include "features_json.h"
#include "idmap.h"
#include "lsm.h"
#include "oci_types.h"
#include "mount_options.h"
#include "process_attrs.h"
#include "seccomp.h"
#include "utils.h"

/* The document owns copies of everything: free_oci_features frees it.  */
static char **
strv_dup (const char *const *v, size_t n, size_t *len)
{
  char **r = xmalloc0 (sizeof (*r) * (n + 1));
  size_t i;

  for (i = 0; i < n && v[i]; i++)
    r[i] = xstrdup (v[i]);
  *len = i;
  return r;
}

#define SET_STRV(obj, field, v, n) ((obj)->field = strv_dup (v, n, &(obj)->field##_len))
#define SET_BOOL(obj, field, v) ((obj)->field = (v), (obj)->field##_present = true)

/* The { "enabled": ... } objects.  */
#define NEW_ENABLED(type, v)                                                                            \
  ({                                                                                                    \
    type *_o = xmalloc0 (sizeof (type));                                                                \
    SET_BOOL (_o, enabled, v);                                                                          \
    _o;                                                                                                 \
  })

static oci_features_cgroup *
cgroup_features (void)
{
  oci_features_cgroup *c = xmalloc0 (sizeof (*c));

  SET_BOOL (c, v1, true);
  SET_BOOL (c, v2, true);
#ifdef HAVE_SYSTEMD
  SET_BOOL (c, systemd, true);
#else
  SET_BOOL (c, systemd, false);
#endif
  SET_BOOL (c, systemd_user, false);
  SET_BOOL (c, rdma, true);
  return c;
}

static oci_features_seccomp *
seccomp_features (void)
{
  oci_features_seccomp *s = xmalloc0 (sizeof (*s));
  const char *names[OCIRT_SECCOMP_NAMES_MAX];

  SET_BOOL (s, enabled, ocirt_seccomp_enabled ());
  if (!s->enabled)
    return s;
  SET_STRV (s, actions, names, ocirt_seccomp_names (OCIRT_SECCOMP_ACTIONS, names));
  SET_STRV (s, operators, names, ocirt_seccomp_names (OCIRT_SECCOMP_OPERATORS, names));
  SET_STRV (s, archs, names, ocirt_seccomp_names (OCIRT_SECCOMP_ARCHS, names));
  SET_STRV (s, known_flags, names, ocirt_seccomp_names (OCIRT_SECCOMP_KNOWN_FLAGS, names));
  SET_STRV (s, supported_flags, names, ocirt_seccomp_names (OCIRT_SECCOMP_SUPPORTED_FLAGS, names));
  return s;
}

/* Only the names the validator takes.  */
static oci_features_memory_policy *
memory_policy_features (void)
{
  static const char *const modes[] = { "MPOL_DEFAULT",    "MPOL_BIND",
                                       "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
                                       "MPOL_PREFERRED",  "MPOL_PREFERRED_MANY",
                                       "MPOL_LOCAL" };
  static const char *const flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                       "MPOL_F_STATIC_NODES" };
  oci_features_memory_policy *p = xmalloc0 (sizeof (*p));
  const char *m[ARRAY_SIZE (modes)], *f[ARRAY_SIZE (flags)];
  size_t nm = 0, nf = 0, i;

  for (i = 0; i < ARRAY_SIZE (modes); i++)
    if (ocirt_process_attrs_mempolicy_mode (modes[i]) >= 0)
      m[nm++] = modes[i];
  for (i = 0; i < ARRAY_SIZE (flags); i++)
    if (ocirt_process_attrs_mempolicy_flag (flags[i]) >= 0)
      f[nf++] = flags[i];
  SET_STRV (p, modes, m, nm);
  SET_STRV (p, flags, f, nf);
  return p;
}

static oci_features_linux *
linux_features (void)
{
  static const char *const namespaces[] = { "cgroup", "ipc",  "mount", "network",
                                            "pid",    "time", "user",  "uts" };
  oci_features_linux *l = xmalloc0 (sizeof (*l));
  const char **caps;
  int ncaps = ocirt_caps_known (&caps);

  SET_STRV (l, namespaces, namespaces, ARRAY_SIZE (namespaces));
  SET_STRV (l, capabilities, caps, (size_t) ncaps);
  l->cgroup = cgroup_features ();
  l->seccomp = seccomp_features ();
  /* Profiles and labels are applied where the host has the module.  */
  l->apparmor = NEW_ENABLED (oci_features_apparmor, ocirt_lsm_apparmor_enabled ());
  l->selinux = NEW_ENABLED (oci_features_selinux, ocirt_lsm_selinux_enabled ());
  l->intel_rdt = NEW_ENABLED (oci_features_intel_rdt, false);
  l->net_devices = NEW_ENABLED (oci_features_net_devices, true);
  l->memory_policy = memory_policy_features ();
  /* The spec asks for true whenever the runtime takes the mappings,
     whatever the kernel: what this kernel can do is in the annotations.  */
  l->mount_extensions = xmalloc0 (sizeof (*l->mount_extensions));
  l->mount_extensions->idmap = NEW_ENABLED (oci_features_idmap, true);
  return l;
}

static void
annotate (oci_map_string *m, const char *key, const char *value)
{
  m->keys[m->len] = xstrdup (key);
  m->values[m->len++] = xstrdup (value);
}

static oci_map_string *
annotations (void)
{
  oci_map_string *m = xmalloc0 (sizeof (*m));
  int idmap_tmpfs = ocirt_idmap_kernel_can (true);
  cleanup_free char *libseccomp = ocirt_seccomp_library_version ();

  /* runc's and crun's key for checkpointing, which clients look for.  */
  const char *criu = ocirt_criu_available () ? "true" : "false";

  /* Reverse-DNS keys, and libseccomp's under its own, as runc's.  */
  m->keys = xmalloc0 (sizeof (char *) * 8);
  m->values = xmalloc0 (sizeof (char *) * 8);
  if (libseccomp)
    annotate (m, "io.github.seccomp.libseccomp.version", libseccomp);
  annotate (m, "org.ocirt.version", PACKAGE_VERSION);
  annotate (m, "org.ocirt.features", OCIRT_FEATURES);
  annotate (m, "org.opencontainers.runc.checkpoint.enabled", criu);
  annotate (m, "org.ocirt.checkpoint.enabled", criu);
  annotate (m, "org.ocirt.kernel.idmap", ocirt_idmap_kernel_can (false) ? "true" : "false");
  if (idmap_tmpfs >= 0)
    annotate (m, "org.ocirt.kernel.idmap.tmpfs", idmap_tmpfs ? "true" : "false");
  return m;
}

/* runc and crun indent `features` by four spaces, the generated writer by
   two: double the indentation (a JSON string holds no raw newline, so the
   spaces that start a line are indentation only), and end with a newline,
   as the document always has.  */
static char *
four_space_indent (const char *json)
{
  size_t i, n = 0;
  const char *p;
  char *out;

  out = xmalloc (2 * strlen (json) + 2);
  for (p = json; *p;)
    {
      for (i = 0; p[i] == ' '; i++)
        ;
      memset (out + n, ' ', 2 * i);
      n += 2 * i;
      p += i;
      while (*p && *p != '\n')
        out[n++] = *p++;
      if (*p)
        out[n++] = *p++;
    }
  out[n++] = '\n';
  out[n] = '\0';
  return out;
}

char *
ocirt_features_json (void)
{
  static const char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
                                       "startContainer", "poststart",     "poststop" };
  /* The annotations that change what the runtime does.  */
  static const char *const unsafe[] = { OCIRT_SYSTEMD_PROPERTY_ANNOTATION };
  oci_features *f = xmalloc0 (sizeof (*f));
  size_t nopts = 0;
  char *json, *out;

  while (ocirt_mount_options_known[nopts])
    nopts++;
  f->oci_version_min = xstrdup ("1.0.0");
  f->oci_version_max = xstrdup (OCI_SPEC_VERSION);
  SET_STRV (f, hooks, hooks, ARRAY_SIZE (hooks));
  SET_STRV (f, mount_options, ocirt_mount_options_known, nopts);
  f->linux = linux_features ();
  f->annotations = annotations ();
  SET_STRV (f, potentially_unsafe_config_annotations, unsafe, ARRAY_SIZE (unsafe));
  json = oci_features_to_json (f, true, NULL);
  free_oci_features (f);
  if (json == NULL)
    abort ();
  out = four_space_indent (json);
  free (json);
  return out;
}
