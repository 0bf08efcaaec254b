/* `restore`: a new container from a checkpoint.  The id is claimed and
   its cgroup made with the config's limits as at create; CRIU then
   rebuilds the processes, their namespaces and mounts in that cgroup, the
   root task as our child (libcriu's restore_child).  A failure undoes
   everything.  */
#ifdef HAVE_CRIU
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "bundle.h"
#include "cgroup.h"
#include "cgroup_systemd.h"
#include "container.h"
#include "criu_internal.h"
#include "hooks.h"
#include "log.h"
#include "signals.h"
#include "state.h"
#include "state_status.h"
#include "terminal.h"
#include "utils.h"

#define CRIU_ROOT "criu-root"

struct restore
{
  const struct ocirt_restore_options *o;
  struct ocirt_criu_session s;
  oci_spec *spec;
  char *bundle;
  char *config_path;
  char *rootfs;
  char *criu_root; /* the rootfs bound here: CRIU's root must be a mount */
  int dirfd;
  struct ocirt_cgroup cg;
  bool have_cgroup;
  bool criu_root_mounted;
  int console_fd;
  int pidfd_sock;
  pid_t placeholder;    /* holds the systemd scope until CRIU's tasks are in it */
  int placeholder_hold; /* closed: the placeholder ends */
  int netns_fd;
  pid_t pid;
  ocirt_error_t hook_err; /* what failed in the notify callback */
};

/* libcriu's notify callback has no argument of ours.  */
static struct restore *current;

/* create.json before anything is made (RECORD), or state.json once the
   container runs; as create writes them.  */
static int
write_state (struct restore *r, bool record, ocirt_error_t *err)
{
  struct ocirt_container_state st = { 0 };
  const oci_map_string *ann = r->spec->annotations;
  int ret;

  st.id = (char *) r->o->c.id;
  if (record)
    {
      st.runtime_pid = getpid ();
      st.runtime_start_time = ocirt_state_pid_start_time (st.runtime_pid);
    }
  else
    {
      st.pid = r->pid;
      st.start_time = ocirt_state_pid_start_time (r->pid);
    }
  st.bundle = r->bundle;
  st.config = r->config_path;
  st.rootfs = r->rootfs;
  st.created = ocirt_utils_rfc3339_now ();
  st.owner = geteuid ();
  st.systemd_cgroup = r->o->systemd_cgroup;
  if (r->have_cgroup && record)
    ocirt_cgroup_to_state_missing (&r->cg, &st);
  else if (r->have_cgroup)
    ocirt_cgroup_to_state (&r->cg, &st);
  if (ann && ann->len)
    {
      st.annotation_keys = ann->keys;
      st.annotation_values = ann->values;
      st.annotations_len = ann->len;
    }
  /* hooks_saved stays false: delete reads poststop from the config.  */
  ret = ocirt_state_write_file (r->dirfd, record ? OCIRT_CREATE_FILE : OCIRT_STATE_FILE, &st, err);
  free (st.created);
  ocirt_cgroup_state_release (&st);
  return ret;
}

static int
load_bundle (struct restore *r, ocirt_error_t *err)
{
  char resolved[PATH_MAX];
  const char *bundle = r->o->bundle ? r->o->bundle : ".";

  if (!ocirt_state_id_valid (r->o->c.id))
    return ocirt_error_make (err, 0, "invalid container id `%s`", r->o->c.id ? r->o->c.id : "");
  if (realpath (bundle, resolved) == NULL)
    return ocirt_error_make (err, errno, "bundle `%s`", bundle);
  r->bundle = xstrdup (resolved);
  r->config_path = xasprintf ("%s/config.json", r->bundle);
  r->spec = ocirt_bundle_load_config (r->bundle, NULL, err);
  if (r->spec == NULL || ocirt_bundle_validate_config (r->spec, err) < 0)
    return -1;
  r->rootfs = ocirt_bundle_rootfs (r->spec, r->bundle, err);
  if (r->rootfs == NULL)
    return -1;
  if (r->spec->process && r->spec->process->terminal && r->o->console_socket == NULL)
    return ocirt_error_make (err, 0, "process.terminal is set: --console-socket is required");
  return 0;
}

/* CRIU's inventory is the first image it reads: without it the path holds
   no checkpoint, which is said before the id is claimed.  */
static int
check_images (struct restore *r, ocirt_error_t *err)
{
  if (faccessat (r->s.images_fd, "inventory.img", R_OK, 0) == 0)
    return 0;
  return ocirt_error_make (err, errno, "image path `%s` holds no checkpoint (inventory.img)",
                           r->s.image_path);
}

static int
mount_criu_root (struct restore *r, ocirt_error_t *err)
{
  r->criu_root = xasprintf ("%s/%s/%s", r->o->c.root, r->o->c.id, CRIU_ROOT);
  if (mkdir (r->criu_root, 0755) < 0)
    return ocirt_error_make (err, errno, "mkdir `%s`", r->criu_root);
  if (mount (r->rootfs, r->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
    return ocirt_error_make (err, errno, "bind mount `%s` on `%s`", r->rootfs, r->criu_root);
  r->criu_root_mounted = true;
  return 0;
}

static void
umount_criu_root (struct restore *r)
{
  if (r->criu_root_mounted && umount2 (r->criu_root, MNT_DETACH) < 0)
    ocirt_warn ("unmount `%s`: %s", r->criu_root, strerror (errno));
  r->criu_root_mounted = false;
  if (r->criu_root && rmdir (r->criu_root) < 0 && errno != ENOENT)
    ocirt_warn ("remove `%s`: %s", r->criu_root, strerror (errno));
}

/* Our own stdio takes the place of the pipes the init had (runc's rule):
   the caller of restore holds the other ends now.  */
static int
inherit_stdio (struct restore *r, ocirt_error_t *err)
{
  cleanup_free char *text = NULL;
  char errbuf[256];
  yajl_val doc;
  size_t len, i;

  if (ocirt_utils_read_file_at (r->s.images_fd, OCIRT_CRIU_DESCRIPTORS, &text, &len, NULL) < 0)
    return 0; /* a checkpoint by another tool */
  doc = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  if (doc == NULL || !YAJL_IS_ARRAY (doc))
    {
      yajl_tree_free (doc);
      return ocirt_error_make (err, 0, "%s/%s: not a JSON array", r->s.image_path,
                               OCIRT_CRIU_DESCRIPTORS);
    }
  for (i = 0; i < doc->u.array.len && i < 3; i++)
    {
      const char *s = YAJL_GET_STRING (doc->u.array.values[i]);

      if (s && strncmp (s, "pipe:", 5) == 0
          && ocirt_criu_dl_criu_local_add_inherit_fd (r->s.opts, (int) i, s) < 0)
        {
          yajl_tree_free (doc);
          return ocirt_error_make (err, ENOMEM, "CRIU inherited fd `%s`", s);
        }
    }
  yajl_tree_free (doc);
  return 0;
}

/* A network namespace joined by path is joined again (checkpoint left it
   out of the images).  */
static int
inherit_netns (struct restore *r, ocirt_error_t *err)
{
  const char *path = ocirt_criu_joined_ns (r->spec, "network");

  if (path == NULL)
    return 0;
  r->netns_fd = open (path, O_RDONLY | O_CLOEXEC);
  if (r->netns_fd < 0)
    return ocirt_error_make (err, errno, "open network namespace `%s`", path);
  if (ocirt_criu_dl_criu_local_add_inherit_fd (r->s.opts, r->netns_fd, OCIRT_CRIU_NET_KEY) < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU inherited fd `%s`", OCIRT_CRIU_NET_KEY);
  return 0;
}

/* The cgroup CRIU puts the restored tasks in: ours, in each hierarchy.  */
static int
cgroup_roots (struct restore *r, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; r->have_cgroup && i < r->cg.ndirs; i++)
    {
      const struct ocirt_cgroup_dir *d = &r->cg.dirs[i];
      const char *rel = d->path + strlen (d->mount);

      if (ocirt_criu_dl_criu_local_add_cg_root (r->s.opts, d->controllers[0] ? d->controllers : NULL,
                                                rel[0] ? rel : "/")
          < 0)
        return ocirt_error_make (err, ENOMEM, "CRIU cgroup root `%s`", d->path);
    }
  return 0;
}

static int
notify (char *action, ocirt_criu_notify_arg na)
{
  struct restore *r = current;
  const oci_hooks *h = r->spec->hooks;

  ocirt_debug ("criu: %s", action);
  if (strcmp (action, "setup-namespaces") == 0 && h && (h->prestart_len || h->create_runtime_len))
    {
      cleanup_free char *state = ocirt_hooks_state (r->spec, r->o->c.id,
                                                    ocirt_criu_dl_criu_notify_pid (na), r->bundle,
                                                    "creating");

      if (ocirt_hooks_run (h->prestart, h->prestart_len, "prestart", state, &r->hook_err) < 0
          || ocirt_hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime", state,
                              &r->hook_err)
                 < 0)
        return -1;
    }
  else if (strcmp (action, "orphan-pts-master") == 0 && r->console_fd >= 0)
    {
      int master = ocirt_criu_dl_criu_get_orphan_pts_master_fd ();

      if (master < 0 || ocirt_terminal_send_fd (r->console_fd, master, "/dev/ptmx", &r->hook_err) < 0)
        {
          if (master < 0)
            ocirt_error_make (&r->hook_err, 0, "CRIU sent no terminal");
          return -1;
        }
      close (master);
    }
  return 0;
}

static int
set_restore_options (struct restore *r, int cg_mode, ocirt_error_t *err)
{
  criu_opts *opts = r->s.opts;

  if (ocirt_criu_dl_criu_local_set_root (opts, r->criu_root) < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU options");
  ocirt_criu_dl_criu_local_set_manage_cgroups (opts, true);
  ocirt_criu_dl_criu_local_set_manage_cgroups_mode (opts, cg_mode);
  ocirt_criu_dl_criu_local_set_orphan_pts_master (opts, r->console_fd >= 0);
  ocirt_criu_dl_criu_local_set_notify_cb (opts, notify);
  if (cgroup_roots (r, err) < 0 || inherit_stdio (r, err) < 0 || inherit_netns (r, err) < 0)
    return -1;
  return ocirt_criu_external_mounts (&r->s, r->spec, r->rootfs, true, err);
}

/* A process that waits until the restore is over: systemd starts a scope
   only with a process in it, and CRIU's tasks do not exist yet.  It ends
   when *HOLD is closed (or the runtime dies).  */
static pid_t
placeholder (int *hold, ocirt_error_t *err)
{
  int fds[2];
  pid_t pid;
  char c;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return ocirt_error_make (err, errno, "pipe for the placeholder of the systemd scope");
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return ocirt_error_make (err, errno, "fork the placeholder of the systemd scope");
    }
  if (pid == 0)
    {
      close (fds[1]);
      prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      while (read (fds[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (fds[0]);
  *hold = fds[1];
  return pid;
}

static void
end_placeholder (pid_t *pid, int *hold)
{
  close_fd (hold);
  if (*pid > 0)
    ocirt_utils_waitpid (*pid, NULL, 0);
  *pid = 0;
}

/* The container's scope, started around a placeholder process; the
   restored tasks join its cgroup (cgroup_roots).  */
static int
make_systemd_scope (struct restore *r, ocirt_error_t *err)
{
  r->placeholder = placeholder (&r->placeholder_hold, err);
  if (r->placeholder < 0)
    {
      r->placeholder = 0;
      return -1;
    }
  return ocirt_cgroup_systemd_enter (&r->cg, r->placeholder, err);
}

static int
make_cgroup (struct restore *r, ocirt_error_t *err)
{
  if (!r->have_cgroup)
    return 0;
  if (r->cg.systemd ? make_systemd_scope (r, err) < 0 : ocirt_cgroup_make (&r->cg, err) < 0)
    return -1;
  return ocirt_cgroup_apply_resources (&r->cg, r->spec->linux, err);
}

static int
run_criu (struct restore *r, ocirt_error_t *err)
{
  struct ocirt_criu_lent lent = { .dirfd = -1 };
  int pid;

  if (ocirt_criu_images_lend (&r->s, r->spec, &lent, err) < 0)
    {
      ocirt_criu_images_give_back (&lent);
      return -1;
    }
  current = r;
  ocirt_debug ("criu restore of `%s` from %s", r->o->c.id, r->s.image_path);
  fflush (NULL);
  pid = ocirt_criu_dl_criu_local_restore_child (r->s.opts);
  current = NULL;
  ocirt_criu_images_give_back (&lent);
  if (pid > 0)
    {
      r->pid = pid;
      return 0;
    }
  if (r->hook_err)
    {
      *err = steal_pointer (&r->hook_err);
      return ocirt_error_prefix (err, "restore");
    }
  return ocirt_criu_failed (&r->s, pid, "restore", err);
}

static int
prepare (struct restore *r, int cg_mode, ocirt_error_t *err)
{
  const struct ocirt_restore_options *o = r->o;

  if (load_bundle (r, err) < 0)
    return -1;
  if (ocirt_criu_dirs_open (&r->s, &o->c, false, "restore.log", err) < 0 || check_images (r, err) < 0)
    return -1;
  r->have_cgroup = true;
  if (o->systemd_cgroup ? ocirt_cgroup_systemd_create (r->spec, o->c.id, &r->cg, err) < 0
                        : ocirt_cgroup_resolve (r->spec->linux ? r->spec->linux->cgroups_path : NULL,
                                                o->c.id, &r->cg, err)
                              < 0)
    return -1;
  r->dirfd = ocirt_state_dir_create (o->c.root, o->c.id, err);
  if (r->dirfd < 0)
    return -1;
  if (ocirt_criu_config_file (&r->s, r->spec, &o->c, err) < 0 || write_state (r, true, err) < 0
      || ocirt_criu_start (&r->s, &o->c, err) < 0)
    return -1;
  if (o->console_socket)
    {
      r->console_fd = ocirt_terminal_console_socket_connect (o->console_socket, err);
      if (r->console_fd < 0)
        return -1;
    }
  /* Connected before CRIU runs, as create does: one that cannot be
     reached fails the restore.  */
  if (o->pidfd_socket)
    {
      r->pidfd_sock = ocirt_utils_pidfd_socket_connect (o->pidfd_socket, err);
      if (r->pidfd_sock < 0)
        return -1;
    }
  if (make_cgroup (r, err) < 0 || mount_criu_root (r, err) < 0)
    return -1;
  if (set_restore_options (r, cg_mode, err) < 0)
    return -1;
  if (!o->no_subreaper && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return ocirt_error_make (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
  if (run_criu (r, err) < 0)
    return -1;
  end_placeholder (&r->placeholder, &r->placeholder_hold);
  umount_criu_root (r);
  if (write_state (r, false, err) < 0)
    return -1;
  if (o->pid_file && ocirt_utils_write_pid_file (o->pid_file, r->pid, err) < 0)
    return -1;
  if (r->pidfd_sock >= 0 && ocirt_utils_send_pidfd (r->pidfd_sock, r->pid, "standard", err) < 0)
    return -1;
  return 0;
}

/* Undo a restore that failed: nothing may be left behind.  */
static void
abort_restore (struct restore *r)
{
  cleanup_error ocirt_error_t err = NULL;

  if (r->pid > 0)
    {
      kill (r->pid, SIGKILL);
      ocirt_utils_waitpid (r->pid, NULL, 0);
    }
  end_placeholder (&r->placeholder, &r->placeholder_hold);
  umount_criu_root (r);
  if (r->have_cgroup && ocirt_cgroup_remove_dirs (r->cg.created, r->cg.ncreated, &err) < 0)
    ocirt_log_warn_release (&err);
  if (r->have_cgroup && ocirt_cgroup_systemd_destroy (&r->cg, &err) < 0)
    ocirt_log_warn_release (&err);
  if (r->dirfd >= 0 && ocirt_state_dir_remove (r->o->c.root, r->o->c.id, &err) < 0)
    ocirt_log_warn_release (&err);
}

static void
release (struct restore *r)
{
  ocirt_criu_session_close (&r->s);
  if (r->have_cgroup)
    ocirt_cgroup_release (&r->cg);
  free_oci_spec (r->spec);
  free (r->bundle);
  free (r->config_path);
  free (r->rootfs);
  free (r->criu_root);
  if (r->dirfd >= 0)
    close (r->dirfd);
  if (r->console_fd >= 0)
    close (r->console_fd);
  if (r->pidfd_sock >= 0)
    close (r->pidfd_sock);
  if (r->netns_fd >= 0)
    close (r->netns_fd);
  ocirt_error_release (&r->hook_err);
}

/* Attached: wait for the restored process, then the container goes, as
   after `run`.  *EXIT_STATUS: the process's exit status for the shell.  */
static int
wait_container (struct restore *r, int *exit_status, ocirt_error_t *err)
{
  int status;

  close_fd (&r->dirfd);
  ocirt_signals_forward_to (r->pid);
  if (ocirt_utils_waitpid (r->pid, &status, 0) < 0)
    return ocirt_error_make (err, errno, "wait for the container process");
  ocirt_signals_stop_forwarding ();
  *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  return ocirt_container_delete (r->o->c.root, r->o->c.id, true, err);
}

int
ocirt_criu_restore (const struct ocirt_restore_options *o, int *exit_status, ocirt_error_t *err)
{
  __attribute__ ((cleanup (
      release))) struct restore r = { .o = o,
                                      .dirfd = -1,
                                      .console_fd = -1,
                                      .pidfd_sock = -1,
                                      .placeholder_hold = -1,
                                      .netns_fd = -1,
                                      .s = { .images_fd = -1, .work_fd = -1, .config_fd = -1 } };
  int cg_mode;

  *exit_status = 0;
  if (ocirt_criu_cg_mode (o->c.manage_cgroups_mode, &cg_mode, err) < 0)
    return -1;
  if (ocirt_signals_hold (err) < 0 || prepare (&r, cg_mode, err) < 0)
    {
      /* Only what this restore claimed: an id in use stays as it is.  */
      if (r.dirfd >= 0)
        abort_restore (&r);
      ocirt_criu_images_undo (&r.s);
      return -1;
    }
  if (o->detach)
    return 0;
  return wait_container (&r, exit_status, err);
}
#endif
