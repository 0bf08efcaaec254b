#include <string.h>

#include "spec_default.h"
#include "utils.h"

static const char head[] =
    "{\n"
    "\t\"ociVersion\": \"" OCI_SPEC_VERSION "\",\n"
    "\t\"process\": {\n"
    "\t\t\"terminal\": true,\n"
    "\t\t\"user\": {\n\t\t\t\"uid\": 0,\n\t\t\t\"gid\": 0\n\t\t},\n"
    "\t\t\"args\": [\n\t\t\t\"sh\"\n\t\t],\n"
    "\t\t\"env\": [\n"
    "\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "\t\t\t\"TERM=xterm\"\n"
    "\t\t],\n"
    "\t\t\"cwd\": \"/\",\n"
    "\t\t\"capabilities\": {\n"
    "\t\t\t\"bounding\": "
    "[\n\t\t\t\t\"CAP_AUDIT_WRITE\",\n\t\t\t\t\"CAP_KILL\",\n\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n\t\t\t],"
    "\n"
    "\t\t\t\"effective\": "
    "[\n\t\t\t\t\"CAP_AUDIT_WRITE\",\n\t\t\t\t\"CAP_KILL\",\n\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n\t\t\t],"
    "\n"
    "\t\t\t\"permitted\": "
    "[\n\t\t\t\t\"CAP_AUDIT_WRITE\",\n\t\t\t\t\"CAP_KILL\",\n\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n\t\t\t],"
    "\n"
    "\t\t\t\"ambient\": "
    "[\n\t\t\t\t\"CAP_AUDIT_WRITE\",\n\t\t\t\t\"CAP_KILL\",\n\t\t\t\t\"CAP_NET_BIND_SERVICE\"\n\t\t\t]\n"
    "\t\t},\n"
    "\t\t\"rlimits\": [\n"
    "\t\t\t{\n\t\t\t\t\"type\": \"RLIMIT_NOFILE\",\n\t\t\t\t\"hard\": 1024,\n\t\t\t\t\"soft\": "
    "1024\n\t\t\t}\n"
    "\t\t],\n"
    "\t\t\"noNewPrivileges\": true\n"
    "\t},\n"
    "\t\"root\": {\n\t\t\"path\": \"rootfs\",\n\t\t\"readonly\": true\n\t},\n"
    "\t\"hostname\": \"ocirt\",\n"
    "\t\"mounts\": [\n"
    "\t\t{\n\t\t\t\"destination\": \"/proc\",\n\t\t\t\"type\": \"proc\",\n\t\t\t\"source\": "
    "\"proc\"\n\t\t},\n"
    "\t\t{\n\t\t\t\"destination\": \"/dev\",\n\t\t\t\"type\": \"tmpfs\",\n\t\t\t\"source\": \"tmpfs\",\n"
    "\t\t\t\"options\": "
    "[\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"strictatime\",\n\t\t\t\t\"mode=755\",\n\t\t\t\t\"size="
    "65536k\"\n\t\t\t]\n\t\t},\n";

static const char devpts_root[] =
    "\t\t{\n\t\t\t\"destination\": \"/dev/pts\",\n\t\t\t\"type\": \"devpts\",\n\t\t\t\"source\": "
    "\"devpts\",\n"
    "\t\t\t\"options\": [\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"noexec\",\n\t\t\t\t\"newinstance\",\n"
    "\t\t\t\t\"ptmxmode=0666\",\n\t\t\t\t\"mode=0620\",\n\t\t\t\t\"gid=5\"\n\t\t\t]\n\t\t},\n";

/* Without a mapped gid 5 the devpts gid option fails.  */
static const char devpts_rootless[] =
    "\t\t{\n\t\t\t\"destination\": \"/dev/pts\",\n\t\t\t\"type\": \"devpts\",\n\t\t\t\"source\": "
    "\"devpts\",\n"
    "\t\t\t\"options\": [\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"noexec\",\n\t\t\t\t\"newinstance\",\n"
    "\t\t\t\t\"ptmxmode=0666\",\n\t\t\t\t\"mode=0620\"\n\t\t\t]\n\t\t},\n";

static const char shm_mqueue[] =
    "\t\t{\n\t\t\t\"destination\": \"/dev/shm\",\n\t\t\t\"type\": \"tmpfs\",\n\t\t\t\"source\": "
    "\"shm\",\n"
    "\t\t\t\"options\": [\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"noexec\",\n\t\t\t\t\"nodev\",\n"
    "\t\t\t\t\"mode=1777\",\n\t\t\t\t\"size=65536k\"\n\t\t\t]\n\t\t},\n"
    "\t\t{\n\t\t\t\"destination\": \"/dev/mqueue\",\n\t\t\t\"type\": \"mqueue\",\n\t\t\t\"source\": "
    "\"mqueue\",\n"
    "\t\t\t\"options\": "
    "[\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"noexec\",\n\t\t\t\t\"nodev\"\n\t\t\t]\n\t\t},\n";

static const char sys_root[] =
    "\t\t{\n\t\t\t\"destination\": \"/sys\",\n\t\t\t\"type\": \"sysfs\",\n\t\t\t\"source\": \"sysfs\",\n"
    "\t\t\t\"options\": "
    "[\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"noexec\",\n\t\t\t\t\"nodev\",\n\t\t\t\t\"ro\"\n\t\t\t]\n\t\t},\n";

/* sysfs cannot be mounted by a user namespace that does not own the
   network namespace: bind the host's.  */
static const char sys_rootless[] =
    "\t\t{\n\t\t\t\"destination\": \"/sys\",\n\t\t\t\"type\": \"none\",\n\t\t\t\"source\": \"/sys\",\n"
    "\t\t\t\"options\": "
    "[\n\t\t\t\t\"rbind\",\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"noexec\",\n\t\t\t\t\"nodev\","
    "\n\t\t\t\t\"ro\"\n\t\t\t]\n\t\t},\n";

static const char cgroup_mount[] =
    "\t\t{\n\t\t\t\"destination\": \"/sys/fs/cgroup\",\n\t\t\t\"type\": \"cgroup\",\n\t\t\t\"source\": "
    "\"cgroup\",\n"
    "\t\t\t\"options\": [\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"noexec\",\n\t\t\t\t\"nodev\",\n"
    "\t\t\t\t\"relatime\",\n\t\t\t\t\"ro\"\n\t\t\t]\n\t\t}\n"
    "\t],\n"
    "\t\"linux\": {\n";

static const char resources_root[] =
    "\t\t\"resources\": {\n\t\t\t\"devices\": [\n\t\t\t\t{\n\t\t\t\t\t\"allow\": false,\n"
    "\t\t\t\t\t\"access\": \"rwm\"\n\t\t\t\t}\n\t\t\t]\n\t\t},\n";

static const char mappings_fmt[] = "\t\t\"uidMappings\": [\n\t\t\t{\n\t\t\t\t\"containerID\": "
                                   "0,\n\t\t\t\t\"hostID\": %u,\n\t\t\t\t\"size\": 1\n\t\t\t}\n\t\t],\n"
                                   "\t\t\"gidMappings\": [\n\t\t\t{\n\t\t\t\t\"containerID\": "
                                   "0,\n\t\t\t\t\"hostID\": %u,\n\t\t\t\t\"size\": 1\n\t\t\t}\n\t\t],\n";

/* The namespaces, in runc's order: a cgroup namespace on a pure cgroup v2
   host only (as runc and crun), the user namespace last.  */
static char *
namespaces_json (bool rootless, bool cgroup_ns)
{
  const char *types[] = { "pid",
                          rootless ? NULL : "network",
                          "ipc",
                          "uts",
                          "mount",
                          cgroup_ns ? "cgroup" : NULL,
                          rootless ? "user" : NULL };
  cleanup_free char *list = strdup ("");
  size_t i;

  for (i = 0; i < sizeof (types) / sizeof (types[0]); i++)
    {
      char *more;

      if (types[i] == NULL)
        continue;
      more = xasprintf ("%s%s\t\t\t{\n\t\t\t\t\"type\": \"%s\"\n\t\t\t}", list, list[0] ? ",\n" : "",
                        types[i]);
      free (list);
      list = more;
    }
  return xasprintf ("\t\t\"namespaces\": [\n%s\n\t\t],\n", list);
}

static const char tail[] =
    "\t\t\"maskedPaths\": [\n"
    "\t\t\t\"/proc/acpi\",\n\t\t\t\"/proc/asound\",\n\t\t\t\"/proc/kcore\",\n\t\t\t\"/proc/keys\",\n"
    "\t\t\t\"/proc/latency_stats\",\n\t\t\t\"/proc/timer_list\",\n\t\t\t\"/proc/timer_stats\",\n"
    "\t\t\t\"/proc/sched_debug\",\n\t\t\t\"/sys/firmware\",\n\t\t\t\"/proc/scsi\"\n"
    "\t\t],\n"
    "\t\t\"readonlyPaths\": [\n"
    "\t\t\t\"/proc/bus\",\n\t\t\t\"/proc/fs\",\n\t\t\t\"/proc/irq\",\n\t\t\t\"/proc/sys\",\n"
    "\t\t\t\"/proc/sysrq-trigger\"\n"
    "\t\t]\n"
    "\t}\n"
    "}\n";

char *
ocirt_spec_default (bool rootless, bool cgroup_ns, uid_t uid, gid_t gid)
{
  cleanup_free char *ns = namespaces_json (rootless, cgroup_ns);

  if (!rootless)
    return xasprintf ("%s%s%s%s%s%s%s%s", head, devpts_root, shm_mqueue, sys_root, cgroup_mount,
                      resources_root, ns, tail);
  {
    cleanup_free char *maps = xasprintf (mappings_fmt, (unsigned) uid, (unsigned) gid);
    return xasprintf ("%s%s%s%s%s%s%s%s", head, devpts_rootless, shm_mqueue, sys_rootless, cgroup_mount,
                      maps, ns, tail);
  }
}
