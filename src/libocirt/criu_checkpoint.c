/* `checkpoint`: CRIU dumps the container's processes to the image
   directory; without --leave-running (or --pre-dump) the container is then
   gone, as with runc.  */
#ifdef HAVE_CRIU
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "container.h"
#include "criu_internal.h"
#include "log.h"
#include "state.h"
#include "state_status.h"
#include "utils.h"

int
ocirt_criu_cg_mode (const char *name, int *mode, ocirt_error_t *err)
{
  static const struct
  {
    const char *name;
    int mode;
  } modes[] = {
    { "soft", OCIRT_CRIU_CG_SOFT },
    { "full", OCIRT_CRIU_CG_FULL },
    { "strict", OCIRT_CRIU_CG_STRICT },
    { "ignore", OCIRT_CRIU_CG_IGNORE },
  };
  size_t i;

  if (name == NULL)
    name = "soft";
  for (i = 0; i < ARRAY_SIZE (modes); i++)
    if (strcmp (name, modes[i].name) == 0)
      {
        *mode = modes[i].mode;
        return 0;
      }
  return ocirt_error_make (err, 0, "invalid --manage-cgroups-mode `%s` (soft, full, strict or ignore)",
                           name);
}

/* S as a JSON string into BUF.  */
static void
json_string (FILE *out, const char *s)
{
  fputc ('"', out);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;

      if (c == '"' || c == '\\')
        fprintf (out, "\\%c", c);
      else if (c < 0x20)
        fprintf (out, "\\u%04x", c);
      else
        fputc (c, out);
    }
  fputc ('"', out);
}

/* OCIRT_CRIU_DESCRIPTORS: where the init's fds 0, 1 and 2 lead.  */
static int
save_descriptors (struct ocirt_criu_session *s, pid_t pid, ocirt_error_t *err)
{
  cleanup_free char *json = NULL;
  size_t size = 0;
  FILE *out = open_memstream (&json, &size);
  int fd;

  if (out == NULL)
    return ocirt_error_make (err, errno, "write %s", OCIRT_CRIU_DESCRIPTORS);
  fputc ('[', out);
  for (fd = 0; fd < 3; fd++)
    {
      char link[64], target[PATH_MAX];
      ssize_t n;

      snprintf (link, sizeof (link), "/proc/%d/fd/%d", pid, fd);
      n = readlink (link, target, sizeof (target) - 1);
      target[n > 0 ? n : 0] = '\0';
      if (fd)
        fputc (',', out);
      json_string (out, target);
    }
  fputc (']', out);
  if (fclose (out) != 0)
    return ocirt_error_make (err, errno, "write %s", OCIRT_CRIU_DESCRIPTORS);
  return ocirt_utils_write_file_atomic_at (s->images_fd, OCIRT_CRIU_DESCRIPTORS, json, size, 0600, err);
}

/* A namespace joined by path stays outside the images: restore joins it
   again (runc's keys).  */
static int
external_ns (struct ocirt_criu_session *s, const oci_spec *spec, ocirt_error_t *err)
{
  static const struct
  {
    const char *type, *criu, *key;
  } kinds[] = {
    { "network", "net", OCIRT_CRIU_NET_KEY },
    { "pid", "pid", OCIRT_CRIU_PID_KEY },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (kinds); i++)
    {
      const char *path = ocirt_criu_joined_ns (spec, kinds[i].type);
      cleanup_free char *ext = NULL;
      struct stat sb;

      if (path == NULL)
        continue;
      if (stat (path, &sb) < 0)
        return ocirt_error_make (err, errno, "%s namespace `%s`", kinds[i].type, path);
      ext = xasprintf ("%s[%lu]:%s", kinds[i].criu, (unsigned long) sb.st_ino, kinds[i].key);
      if (ocirt_criu_dl_criu_local_add_external (s->opts, ext) < 0)
        return ocirt_error_make (err, ENOMEM, "CRIU external `%s`", ext);
    }
  return 0;
}

/* The cgroup CRIU freezes the container with: v1's freezer, else the
   unified one.  */
static const char *
freezer (const struct ocirt_container_state *st)
{
  const char *unified = NULL;
  size_t i;

  for (i = 0; i < st->cgroup_leaves_len; i++)
    {
      const char *c = st->cgroup_leaves[i].controllers;

      if (strcmp (c, "freezer") == 0 || strstr (c, "freezer,") || strstr (c, ",freezer"))
        return st->cgroup_leaves[i].path;
      if (c[0] == '\0')
        unified = st->cgroup_leaves[i].path;
    }
  return unified;
}

/* --status-fd of a lazy dump: libcriu's notify callback has no argument
   of ours.  */
static int lazy_status_fd = -1;

/* CRIU says "status-ready" once its page server waits for the restore to
   ask for the pages: as runc, a 0 byte on --status-fd, then it is closed. */
static int
notify (char *action, ocirt_criu_notify_arg na)
{
  (void) na;
  if (strcmp (action, "status-ready") != 0 || lazy_status_fd < 0)
    return 0;
  if (ocirt_utils_write_all (lazy_status_fd, "", 1) < 0)
    ocirt_warn ("write to --status-fd %d: %s", lazy_status_fd, strerror (errno));
  close_fd (&lazy_status_fd);
  return 0;
}

/* --lazy-pages and --status-fd, checked before anything is done: the
   pages stay with the page server of this dump (CRIU's option comes in
   the configuration, see ocirt_criu_config_file).  */
static int
check_lazy_options (const struct ocirt_checkpoint_options *o, ocirt_error_t *err)
{
  int flags;

  if (!o->c.lazy_pages)
    return 0;
  if (o->pre_dump)
    return ocirt_error_make (err, 0, "--lazy-pages and --pre-dump cannot go together");
  if (o->status_fd < 0)
    return 0;
  flags = fcntl (o->status_fd, F_GETFL);
  if (flags < 0)
    return ocirt_error_make (err, errno, "invalid --status-fd %d", o->status_fd);
  if ((flags & O_ACCMODE) == O_RDONLY)
    return ocirt_error_make (err, 0, "invalid --status-fd %d: not open for writing", o->status_fd);
  return 0;
}

static int
set_dump_options (struct ocirt_criu_session *s, const struct ocirt_checkpoint_options *o,
                  const struct ocirt_container_state *st, const oci_spec *spec, int cg_mode,
                  ocirt_error_t *err)
{
  cleanup_free char *proc_root = xasprintf ("/proc/%d/root", st->pid);
  const char *fz = freezer (st);

  ocirt_criu_dl_criu_local_set_pid (s->opts, st->pid);
  ocirt_criu_dl_criu_local_set_leave_running (s->opts, o->leave_running || o->pre_dump);
  ocirt_criu_dl_criu_local_set_track_mem (s->opts, o->pre_dump || o->parent_path);
  /* A terminal's master is outside the container, with the caller.  */
  ocirt_criu_dl_criu_local_set_orphan_pts_master (s->opts, true);
  if (o->parent_path && ocirt_criu_dl_criu_local_set_parent_images (s->opts, o->parent_path) < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU options");
  if (o->page_server)
    {
      cleanup_free char *addr = xstrdup (o->page_server);
      char *colon = strrchr (addr, ':');
      unsigned long long port;

      if (colon == NULL || !ocirt_utils_parse_ulong (colon + 1, &port) || port == 0 || port > 65535)
        return ocirt_error_make (err, 0, "invalid --page-server `%s` (ADDRESS:PORT)", o->page_server);
      *colon = '\0';
      /* libcriu 3.17 returns -ENOMEM even when it worked: nothing to check. */
      ocirt_criu_dl_criu_local_set_page_server_address_port (s->opts, addr, (int) port);
    }
  if (st->rootfs && ocirt_criu_dl_criu_local_set_root (s->opts, st->rootfs) < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU options");
  ocirt_criu_dl_criu_local_set_manage_cgroups (s->opts, true);
  ocirt_criu_dl_criu_local_set_manage_cgroups_mode (s->opts, cg_mode);
  if (fz && ocirt_criu_dl_criu_local_set_freeze_cgroup (s->opts, fz) < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU options");
  if (o->c.lazy_pages)
    {
      lazy_status_fd = o->status_fd;
      ocirt_criu_dl_criu_local_set_notify_cb (s->opts, notify);
    }
  if (ocirt_criu_external_mounts (s, spec, proc_root, false, err) < 0)
    return -1;
  return external_ns (s, spec, err);
}

static int
check_running (int dirfd, const struct ocirt_container_state *st, ocirt_error_t *err)
{
  enum ocirt_status status = ocirt_state_status (dirfd, st);

  if (status == OCIRT_STATUS_RUNNING || status == OCIRT_STATUS_PAUSED)
    return 0;
  return ocirt_error_make (err, 0, "cannot checkpoint container `%s`: it is %s, not running", st->id,
                           ocirt_state_status_name (status));
}

static int
dump (const struct ocirt_checkpoint_options *o, int dirfd, const struct ocirt_container_state *st,
      int cg_mode, ocirt_error_t *err)
{
  struct ocirt_criu_session s = { .images_fd = -1, .work_fd = -1, .config_fd = -1 };
  oci_spec *spec = NULL;
  int ret = -1, r;

  if (check_running (dirfd, st, err) < 0)
    return -1;
  spec = ocirt_bundle_load_config (st->bundle, st->config, err);
  if (spec == NULL)
    return ocirt_error_prefix (err, "container `%s`", st->id);
  if (ocirt_criu_dirs_open (&s, &o->c, true, o->pre_dump ? "pre-dump.log" : "dump.log", err) < 0)
    goto out;
  if (ocirt_criu_config_file (&s, spec, &o->c, err) < 0 || ocirt_criu_start (&s, &o->c, err) < 0
      || set_dump_options (&s, o, st, spec, cg_mode, err) < 0 || save_descriptors (&s, st->pid, err) < 0)
    goto undo;
  ocirt_debug ("criu %s of %d into %s", o->pre_dump ? "pre-dump" : "dump", st->pid, s.image_path);
  r = o->pre_dump ? ocirt_criu_dl_criu_local_pre_dump (s.opts) : ocirt_criu_dl_criu_local_dump (s.opts);
  if (r >= 0)
    {
      ret = 0;
      goto out;
    }
  ocirt_criu_failed (&s, r, o->pre_dump ? "pre-dump" : "checkpoint", err);
undo:
  ocirt_criu_images_undo (&s);
out:
  ocirt_criu_session_close (&s);
  free_oci_spec (spec);
  return ret;
}

int
ocirt_criu_checkpoint (const struct ocirt_checkpoint_options *o, ocirt_error_t *err)
{
  struct ocirt_container_state st;
  int dirfd, cg_mode, ret;

  if (ocirt_criu_cg_mode (o->c.manage_cgroups_mode, &cg_mode, err) < 0
      || check_lazy_options (o, err) < 0)
    return -1;
  dirfd = ocirt_state_open_read (o->c.root, o->c.id, true, &st, err);
  if (dirfd < 0)
    return -1;
  ret = dump (o, dirfd, &st, cg_mode, err);
  ocirt_state_free (&st);
  close (dirfd);
  if (ret < 0 || o->leave_running || o->pre_dump)
    return ret;
  /* CRIU killed its processes: the container goes, poststop hooks run. */
  return ocirt_container_delete (o->c.root, o->c.id, true, err);
}
#endif
