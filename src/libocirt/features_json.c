#include <string.h>
#include <yajl/yajl_gen.h>

#include "capabilities.h"
#include "cgroup_systemd.h"
#include "features_json.h"
#include "idmap.h"
#include "lsm.h"
#include "mount_options.h"
#include "process_attrs.h"
#include "seccomp.h"
#include "utils.h"

#define STR(g, s) yajl_gen_string (g, (const unsigned char *) (s), strlen (s))

static void
str_array (yajl_gen g, const char *key, const char *const *v, size_t n)
{
  size_t i;

  STR (g, key);
  yajl_gen_array_open (g);
  for (i = 0; i < n && v[i]; i++)
    STR (g, v[i]);
  yajl_gen_array_close (g);
}

static void
enabled_object (yajl_gen g, const char *key, bool enabled)
{
  STR (g, key);
  yajl_gen_map_open (g);
  STR (g, "enabled");
  yajl_gen_bool (g, enabled);
  yajl_gen_map_close (g);
}

static void
seccomp_object (yajl_gen g)
{
  static const struct
  {
    const char *key;
    enum ocirt_seccomp_names which;
  } lists[] = {
    { "actions", OCIRT_SECCOMP_ACTIONS },
    { "operators", OCIRT_SECCOMP_OPERATORS },
    { "archs", OCIRT_SECCOMP_ARCHS },
    { "knownFlags", OCIRT_SECCOMP_KNOWN_FLAGS },
    { "supportedFlags", OCIRT_SECCOMP_SUPPORTED_FLAGS },
  };
  const char *names[OCIRT_SECCOMP_NAMES_MAX];
  size_t i;

  if (!ocirt_seccomp_enabled ())
    {
      enabled_object (g, "seccomp", false);
      return;
    }
  STR (g, "seccomp");
  yajl_gen_map_open (g);
  STR (g, "enabled");
  yajl_gen_bool (g, 1);
  for (i = 0; i < ARRAY_SIZE (lists); i++)
    str_array (g, lists[i].key, names, ocirt_seccomp_names (lists[i].which, names));
  yajl_gen_map_close (g);
}

char *
ocirt_features_json (void)
{
  static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
                                       "startContainer", "poststart", "poststop" };
  static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network",
                                            "pid", "time", "user", "uts" };
  const char **caps;
  int ncaps = ocirt_caps_known (&caps);
  size_t nopts = 0;
  int idmap_tmpfs;
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    abort ();
  while (ocirt_known_mount_options[nopts])
    nopts++;
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "    ");
  yajl_gen_map_open (g);
  STR (g, "ociVersionMin");
  STR (g, "1.0.0");
  STR (g, "ociVersionMax");
  STR (g, OCI_SPEC_VERSION);
  str_array (g, "hooks", hooks, ARRAY_SIZE (hooks));
  str_array (g, "mountOptions", ocirt_known_mount_options, nopts);
  STR (g, "linux");
  yajl_gen_map_open (g);
  str_array (g, "namespaces", namespaces, ARRAY_SIZE (namespaces));
  str_array (g, "capabilities", caps, (size_t) ncaps);
  STR (g, "cgroup");
  yajl_gen_map_open (g);
  STR (g, "v1");
  yajl_gen_bool (g, 1);
  STR (g, "v2");
  yajl_gen_bool (g, 1);
  STR (g, "systemd");
#ifdef HAVE_SYSTEMD
  yajl_gen_bool (g, 1);
#else
  yajl_gen_bool (g, 0);
#endif
  STR (g, "systemdUser");
  yajl_gen_bool (g, 0);
  STR (g, "rdma");
  yajl_gen_bool (g, 1);
  yajl_gen_map_close (g);
  seccomp_object (g);
  /* Profiles and labels are applied where the host has the module.  */
  enabled_object (g, "apparmor", ocirt_apparmor_enabled ());
  enabled_object (g, "selinux", ocirt_selinux_enabled ());
  enabled_object (g, "intelRdt", false);
  enabled_object (g, "netDevices", true);
  {
    /* Only the names the validator takes.  */
    static const char *const modes[] = { "MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE",
                                         "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED",
                                         "MPOL_PREFERRED_MANY", "MPOL_LOCAL" };
    static const char *const flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                         "MPOL_F_STATIC_NODES" };
    const char *m[ARRAY_SIZE (modes)], *f[ARRAY_SIZE (flags)];
    size_t nm = 0, nf = 0, i;

    for (i = 0; i < ARRAY_SIZE (modes); i++)
      if (ocirt_mempolicy_mode (modes[i]) >= 0)
        m[nm++] = modes[i];
    for (i = 0; i < ARRAY_SIZE (flags); i++)
      if (ocirt_mempolicy_flag (flags[i]) >= 0)
        f[nf++] = flags[i];
    STR (g, "memoryPolicy");
    yajl_gen_map_open (g);
    str_array (g, "modes", m, nm);
    str_array (g, "flags", f, nf);
    yajl_gen_map_close (g);
  }
  /* The spec asks for true whenever the runtime takes the mappings,
     whatever the kernel: what this kernel can do is in the annotations.  */
  STR (g, "mountExtensions");
  yajl_gen_map_open (g);
  enabled_object (g, "idmap", true);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  STR (g, "annotations");
  yajl_gen_map_open (g);
  STR (g, "ocirt.version");
  STR (g, PACKAGE_VERSION);
  STR (g, "ocirt.features");
  STR (g, OCIRT_FEATURES);
  STR (g, "ocirt.kernel.idmap");
  STR (g, ocirt_idmap_kernel_can (false) ? "true" : "false");
  idmap_tmpfs = ocirt_idmap_kernel_can (true);
  if (idmap_tmpfs >= 0)
    {
      STR (g, "ocirt.kernel.idmap.tmpfs");
      STR (g, idmap_tmpfs ? "true" : "false");
    }
  yajl_gen_map_close (g);
  {
    /* The annotations that change what the runtime does.  */
    static const char *const unsafe[] = { OCIRT_SYSTEMD_PROPERTY_ANNOTATION };

    str_array (g, "potentiallyUnsafeConfigAnnotations", unsafe, ARRAY_SIZE (unsafe));
  }
  yajl_gen_map_close (g);
  return json_gen_take (g);
}
