/* `inspect`: the namespaces, cgroups, credentials, security and mounts of
   a container's init, each read from the kernel, in one document.  */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "container.h"
#include "container_cgroup.h"
#include "inspect.h"
#include "inspect_cgroup.h"
#include "inspect_mounts.h"
#include "inspect_ns.h"
#include "inspect_proc.h"
#include "log.h"
#include "state.h"
#include "state_status.h"

/* A directory fd of /proc/PID that is the container's init: opened, then
   the start time checked, so that what is read through it is the init's
   or fails (ESRCH) once it is gone.  */
static int
open_init (const struct ocirt_container_state *st, enum ocirt_status status, ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  char path[32];

  if (status == OCIRT_STATUS_STOPPED || status == OCIRT_STATUS_CREATING || st->pid <= 0)
    return ocirt_error_make (err, 0, "cannot inspect container `%s`: container not running (it is %s)",
                             st->id, ocirt_state_status_name (status));
  snprintf (path, sizeof (path), "/proc/%d", st->pid);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !ocirt_state_process_alive (st))
    return ocirt_error_make (err, 0,
                             "cannot inspect container `%s`: container not running (it has stopped)",
                             st->id);
  return steal_fd (&fd);
}

static void
add_container (oci_inspect_namespace *ns, const char *id)
{
  ns->containers = realloc (ns->containers, sizeof (char *) * (ns->containers_len + 2));
  if (ns->containers == NULL)
    abort ();
  ns->containers[ns->containers_len++] = xstrdup (id);
  ns->containers[ns->containers_len] = NULL;
}

/* Name, in each namespace of DOC, the other live containers whose init
   is in it.  */
static void
shared_with (const struct ocirt_list_entry *e,
             const struct ocirt_inspect_ns_id ids[OCIRT_INSPECT_NS_COUNT], oci_inspect *doc)
{
  struct ocirt_inspect_ns_id other[OCIRT_INSPECT_NS_COUNT];
  cleanup_error ocirt_error_t tmp = NULL;
  cleanup_close int fd = -1;
  size_t i, j;

  fd = open_init (&e->st, e->status, &tmp);
  if (fd < 0)
    return;
  ocirt_inspect_ns_read (fd, other);
  for (i = 0, j = 0; i < OCIRT_INSPECT_NS_COUNT; i++)
    {
      if (!ids[i].present)
        continue;
      if (other[i].present && other[i].dev == ids[i].dev && other[i].ino == ids[i].ino)
        add_container (doc->namespaces[j], e->st.id);
      j++;
    }
}

static int
fill_namespaces (const char *root, int procfd, oci_inspect *doc, ocirt_error_t *err)
{
  struct ocirt_inspect_ns_id ids[OCIRT_INSPECT_NS_COUNT];
  struct ocirt_list_entry *entries = NULL;
  size_t n = 0, i;

  ocirt_inspect_ns_read (procfd, ids);
  if (ocirt_inspect_ns_fill (ids, doc, err) < 0 || ocirt_container_list (root, &entries, &n, err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    if (strcmp (entries[i].st.id, doc->id) != 0)
      shared_with (&entries[i], ids, doc);
  ocirt_container_list_free (entries, n);
  return 0;
}

/* The mounts against the config the container was made from; without it
   (moved or removed since) there is nothing to compare with.  */
static int
fill_mounts (const struct ocirt_container_state *st, int procfd, oci_inspect *doc, ocirt_error_t *err)
{
  cleanup_error ocirt_error_t tmp = NULL;
  cleanup_spec oci_spec *spec = NULL;
  cleanup_free char *mountinfo = NULL;

  if (ocirt_utils_read_file_at (procfd, "mountinfo", &mountinfo, NULL, err) < 0)
    return ocirt_error_prefix (err, "inspect the mounts of container `%s`", st->id);
  spec = ocirt_bundle_load_config (st->bundle, st->config, &tmp);
  if (spec == NULL)
    ocirt_log_warn_release (&tmp);
  return ocirt_inspect_mounts_fill (mountinfo, spec, st->rootfs, doc, err);
}

static int
fill_processes (const char *root, oci_inspect *doc, ocirt_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  int n = ocirt_container_pids (root, doc->id, &pids, err), i;

  if (n < 0)
    return -1;
  doc->processes = xmalloc0 (sizeof (int) * (n + 1));
  for (i = 0; i < n; i++)
    doc->processes[i] = pids[i];
  doc->processes_len = n;
  return 0;
}

oci_inspect *
ocirt_inspect_container (const char *root, const char *id, ocirt_error_t *err)
{
  cleanup_state struct ocirt_container_state st = { 0 };
  cleanup_inspect oci_inspect *doc = NULL;
  cleanup_close int dirfd = -1, procfd = -1;
  enum ocirt_status status;

  dirfd = ocirt_state_open_read (root, id, false, &st, err);
  if (dirfd < 0)
    return NULL;
  status = ocirt_state_status (dirfd, &st);
  procfd = open_init (&st, status, err);
  if (procfd < 0)
    return NULL;
  doc = xmalloc0 (sizeof (*doc));
  doc->id = xstrdup (st.id);
  doc->pid = st.pid;
  doc->pid_present = true;
  doc->status = xstrdup (ocirt_state_status_name (status));
  doc->bundle = st.bundle ? xstrdup (st.bundle) : NULL;
  if (fill_namespaces (root, procfd, doc, err) < 0 || ocirt_inspect_cgroup_fill (&st, doc, err) < 0
      || ocirt_inspect_proc_fill (procfd, doc, err) < 0 || fill_mounts (&st, procfd, doc, err) < 0
      || fill_processes (root, doc, err) < 0)
    return NULL;
  return steal_pointer (&doc);
}
