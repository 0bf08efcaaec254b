/* /proc/PID/ns of a container's init, for `inspect`.  */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect_ns.h"
#include "utils.h"

static const struct
{
  const char *type; /* config.json's name */
  const char *file; /* in /proc/PID/ns */
} namespaces[OCIRT_INSPECT_NS_COUNT] = {
  { "pid", "pid" }, { "network", "net" }, { "mount", "mnt" },     { "ipc", "ipc" },
  { "uts", "uts" }, { "user", "user" },   { "cgroup", "cgroup" }, { "time", "time" },
};

const char *
ocirt_inspect_ns_type (int i)
{
  return namespaces[i].type;
}

void
ocirt_inspect_ns_read (int procfd, struct ocirt_inspect_ns_id ids[OCIRT_INSPECT_NS_COUNT])
{
  int i;

  for (i = 0; i < OCIRT_INSPECT_NS_COUNT; i++)
    {
      cleanup_free char *path = xasprintf ("ns/%s", namespaces[i].file);
      struct stat sb;

      /* stat follows the link to the namespace's own inode.  */
      ids[i].present = fstatat (procfd, path, &sb, 0) == 0;
      ids[i].dev = ids[i].present ? sb.st_dev : 0;
      ids[i].ino = ids[i].present ? sb.st_ino : 0;
    }
}

static void
read_pid (const char *dir, struct ocirt_inspect_ns_id ids[OCIRT_INSPECT_NS_COUNT])
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int i;

  if (fd >= 0)
    ocirt_inspect_ns_read (fd, ids);
  else
    for (i = 0; i < OCIRT_INSPECT_NS_COUNT; i++)
      ids[i].present = false;
}

static bool
same (const struct ocirt_inspect_ns_id *a, const struct ocirt_inspect_ns_id *b)
{
  return a->present && b->present && a->dev == b->dev && a->ino == b->ino;
}

int
ocirt_inspect_ns_fill (const struct ocirt_inspect_ns_id ids[OCIRT_INSPECT_NS_COUNT], oci_inspect *doc,
                       ocirt_error_t *err)
{
  struct ocirt_inspect_ns_id host[OCIRT_INSPECT_NS_COUNT], self[OCIRT_INSPECT_NS_COUNT];
  int i;

  read_pid ("/proc/1", host);
  read_pid ("/proc/self", self);
  if (!ids[0].present && !ids[2].present)
    return ocirt_error_make (err, 0, "inspect the namespaces of pid %d: /proc/%d/ns cannot be read",
                             doc->pid, doc->pid);
  doc->namespaces = xmalloc0 (sizeof (*doc->namespaces) * (OCIRT_INSPECT_NS_COUNT + 1));
  for (i = 0; i < OCIRT_INSPECT_NS_COUNT; i++)
    {
      oci_inspect_namespace *ns;

      if (!ids[i].present)
        continue;
      ns = xmalloc0 (sizeof (*ns));
      ns->type = xstrdup (namespaces[i].type);
      ns->inode = (uint64_t) ids[i].ino;
      ns->inode_present = true;
      ns->host = same (&ids[i], host[i].present ? &host[i] : &self[i]);
      ns->host_present = true;
      ns->containers = xmalloc0 (sizeof (char *));
      doc->namespaces[doc->namespaces_len++] = ns;
    }
  return 0;
}
