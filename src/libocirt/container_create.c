/* create and run: prepare, clone the container process, record its state; run waits for it.  */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "cgroup_systemd.h"
#include "container_hooks.h"
#include "container_spawn.h"
#include "devices.h"
#include "failpoint.h"
#include "hooks.h"
#include "idmap.h"
#include "log.h"
#include "lsm.h"
#include "mount_fd.h"
#include "mounts.h"
#include "notify.h"
#include "process.h"
#include "process_attrs.h"
#include "signals.h"
#include "state.h"
#include "state_status.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

static void
spawn_init (struct ocirt_spawn *s, const struct ocirt_create_options *o)
{
  memset (s, 0, sizeof (*s));
  s->opts = o;
  s->unprivileged = geteuid () != 0;
  s->dirfd = s->fifo_fd = s->procfd = s->console_fd = s->console_peer = s->pidfd_sock = -1;
  s->sync[0] = s->sync[1] = -1;
}

static void
spawn_release (struct ocirt_spawn *s)
{
  if (s->spec)
    ocirt_idmap_release (s->idmap_fds, s->spec->mounts_len);
  if (s->spec && s->spec->linux)
    ocirt_mount_fds_release (s->device_fds, s->spec->linux->devices_len);
  free_oci_spec (s->spec);
  free (s->bundle);
  free (s->config_path);
  free (s->rootfs);
  close_fd (&s->dirfd);
  close_fd (&s->fifo_fd);
  close_fd (&s->procfd);
  close_fd (&s->console_fd);
  close_fd (&s->console_peer);
  close_fd (&s->pidfd_sock);
  close_fd (&s->sync[0]);
  close_fd (&s->sync[1]);
  ocirt_ns_plan_release (&s->ns);
  ocirt_seccomp_free (s->seccomp);
  ocirt_netdev_free (s->netdevs);
  if (s->have_cgroup)
    ocirt_cgroup_release (&s->cg);
}

static char *
absolute_bundle (const char *bundle, ocirt_error_t *err)
{
  char resolved[PATH_MAX];

  if (realpath (bundle ? bundle : ".", resolved) == NULL)
    {
      ocirt_error_make (err, errno, "bundle `%s`", bundle ? bundle : ".");
      return NULL;
    }
  return xstrdup (resolved);
}

/* state.json, staged: ocirt_state_commit makes it visible; or with
   RECORD, create.json: who is creating the container and the cgroup
   directories it is about to make, before it makes any.  */
static int
write_state (struct ocirt_spawn *s, bool record, ocirt_error_t *err)
{
  struct ocirt_container_state st = { 0 };
  const oci_map_string *ann = s->spec->annotations;
  int ret;

  st.id = (char *) s->opts->id;
  if (record)
    {
      st.runtime_pid = getpid ();
      st.runtime_start_time = ocirt_state_pid_start_time (st.runtime_pid);
    }
  else
    {
      st.pid = s->pid;
      st.start_time = ocirt_state_pid_start_time (s->pid);
      /* Before state.json: whoever reads hooks_saved finds the file.  */
      if (ocirt_container_hooks_save (s->dirfd, s->spec, err) < 0)
        return -1;
      st.hooks_saved = true;
    }
  st.bundle = s->bundle;
  st.config = s->config_path;
  st.notify_socket = (char *) s->notify_socket;
  st.rootfs = s->rootfs;
  st.created = ocirt_utils_rfc3339_now ();
  st.owner = geteuid ();
  st.systemd_cgroup = s->opts->systemd_cgroup;
  if (s->have_cgroup && record)
    ocirt_cgroup_to_state_missing (&s->cg, &st);
  else if (s->have_cgroup)
    ocirt_cgroup_to_state (&s->cg, &st);
  if (ann && ann->len)
    {
      st.annotation_keys = ann->keys;
      st.annotation_values = ann->values;
      st.annotations_len = ann->len;
    }
  if (record)
    ret = ocirt_state_write_file (s->dirfd, OCIRT_CREATE_FILE, &st, err);
  else
    ret = ocirt_state_stage (s->dirfd, &st, err);
  free (st.created);
  ocirt_cgroup_state_release (&st);
  return ret;
}

/* Undo a create that failed half way: nothing may be left behind.  */
static void
spawn_abort (struct ocirt_spawn *s)
{
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_container_state st = { .id = (char *) s->opts->id, .bundle = s->bundle };

  /* Before the container's network namespace can go away.  */
  ocirt_netdev_undo (s->netdevs);
  if (s->pid > 0)
    {
      st.pid = s->pid;
      kill (s->pid, SIGKILL);
      ocirt_utils_waitpid (s->pid, NULL, 0);
      s->pid = 0;
    }
  if (s->have_cgroup && ocirt_cgroup_remove_dirs (s->cg.created, s->cg.ncreated, &err) < 0)
    ocirt_log_warn_release (&err);
  if (s->have_cgroup && ocirt_cgroup_systemd_destroy (&s->cg, &err) < 0)
    ocirt_log_warn_release (&err);
  if (s->dirfd >= 0 && ocirt_state_dir_remove (s->opts->root, s->opts->id, &err) < 0)
    ocirt_log_warn_release (&err);
  /* Once the container process existed, its create hooks may have run
     (or failed): the lifecycle goes on at delete, then poststop (steps
     12 and 13), as runc does.  A failing poststop is only a warning, the
     error of the create stays the one reported.  */
  if (st.pid > 0)
    ocirt_container_hooks_poststop (&st, s->spec);
}

/* Socket activation: the fds from 3 that LISTEN_FDS counts go to the
   container, which is told about them with LISTEN_FDS and LISTEN_PID=1.  */
static int
pass_listen_fds (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const char *v = getenv ("LISTEN_FDS");
  unsigned long long n;
  char buf[64];

  s->preserve_fds = s->opts->preserve_fds;
  if (v == NULL || v[0] == '\0')
    return 0;
  if (!ocirt_utils_parse_ulong (v, &n) || n > 65536)
    return ocirt_error_make (err, 0, "invalid LISTEN_FDS `%s`", v);
  if (n == 0)
    return 0;
  s->preserve_fds += (int) n;
  snprintf (buf, sizeof (buf), "LISTEN_FDS=%llu", n);
  ocirt_process_setenv (s->spec->process, buf);
  ocirt_process_setenv (s->spec->process, "LISTEN_PID=1");
  return 0;
}

/* Limits the config asks for; device rules do not count, a user
   namespace cannot make device nodes anyway.  */
static bool
resources_limit_something (const oci_resources *r)
{
  return r
         && (r->memory || r->cpu || r->block_io || r->hugepage_limits_len || r->network || r->pids
             || (r->rdma && r->rdma->len) || (r->unified && r->unified->len));
}

/* --rootless true or false, or by the euid as runc does for auto.  */
static bool
rootless_cgroups (const struct ocirt_create_options *o)
{
  return o->rootless < 0 ? geteuid () != 0 : o->rootless;
}

/* An ordinary user (rootless) gets a cgroup only where one is delegated to
   it; without one the container runs in the caller's cgroup, as with runc,
   unless the config asks for limits that only a cgroup can hold.  Keeps
   ERR and returns -1 when the failure stands.  */
static int
rootless_without_cgroup (struct ocirt_spawn *s, ocirt_error_t *err)
{
  int e = (*err)->status;

  if (!rootless_cgroups (s->opts) || (e != EACCES && e != EPERM && e != EROFS))
    return -1;
  if (resources_limit_something (s->spec->linux->resources))
    return ocirt_error_prefix (err, "linux.resources needs a cgroup delegated to uid %u",
                               (unsigned) geteuid ());
  ocirt_debug ("rootless: no cgroup (%s)", (*err)->msg);
  ocirt_error_release (err);
  ocirt_cgroup_release (&s->cg);
  memset (&s->cg, 0, sizeof (s->cg));
  s->have_cgroup = false;
  return 0;
}

/* The config, checked against itself and against the command line.  */
static int
load_config (struct ocirt_spawn *s, bool use_fifo, ocirt_error_t *err)
{
  const struct ocirt_create_options *o = s->opts;
  const oci_process *p;

  if (!ocirt_state_id_valid (o->id))
    return ocirt_error_make (err, 0, "invalid container id `%s`", o->id ? o->id : "");
  s->bundle = absolute_bundle (o->bundle, err);
  if (s->bundle == NULL)
    return -1;
  s->spec = ocirt_bundle_load_config (s->bundle, o->config_path, err);
  if (s->spec == NULL)
    return -1;
  {
    char resolved[PATH_MAX];
    cleanup_free char *path = o->config_path ? xstrdup (o->config_path)
                                             : xasprintf ("%s/config.json", s->bundle);
    s->config_path = xstrdup (realpath (path, resolved) ? resolved : path);
  }
  if (ocirt_lsm_validate (s->spec->process, s->spec->linux, err) < 0)
    return -1;
  if (ocirt_bundle_validate_config (s->spec, err) < 0
      || ocirt_process_attrs_validate_linux (s->spec->linux, err) < 0)
    return -1;
  p = s->spec->process;
  s->rootfs = ocirt_bundle_rootfs (s->spec, s->bundle, err);
  if (s->rootfs == NULL)
    return -1;
  if (p->terminal && o->console_socket == NULL && use_fifo)
    return ocirt_error_make (err, 0, "process.terminal is set: --console-socket is required");
  if (!p->terminal && o->console_socket)
    return ocirt_error_make (err, 0, "--console-socket given but process.terminal is false");
  if (p->terminal && o->console_socket == NULL && o->detach)
    return ocirt_error_make (err, 0,
                             "process.terminal is set: --console-socket is required with --detach");
  return 0;
}

/* What the container will be made of, worked out before anything is made:
   namespaces, devices, fds, the seccomp filter, the cgroups.  */
static int
plan_container (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const struct ocirt_create_options *o = s->opts;

  if (ocirt_ns_plan_build (s->spec->linux, &s->ns, err) < 0)
    return -1;
  if (ocirt_netdev_prepare (s->spec->linux, &s->ns, &s->netdevs, err) < 0)
    return -1;
  if (pass_listen_fds (s, err) < 0)
    return -1;
  /* Every name is checked here, before anything is made.  */
  ocirt_seccomp_set_cache_dir (o->root);
  if (ocirt_seccomp_prepare (s->spec, o->id, s->bundle, &s->seccomp, err) < 0)
    return -1;

  /* Work out the cgroups first: create.json names them before they exist. */
  if (!o->systemd_cgroup && !o->no_cgroup)
    {
      s->have_cgroup = true;
      if (ocirt_cgroup_resolve (s->spec->linux->cgroups_path, o->id, &s->cg, err) < 0)
        return -1;
    }
  return 0;
}

/* The id taken and create.json written; the notify socket set up.  */
static int
claim_state (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const struct ocirt_create_options *o = s->opts;

  s->dirfd = ocirt_state_dir_create (o->root, o->id, err);
  if (s->dirfd < 0)
    return -1;
  OCIRT_FAILPOINT ("create.claimed");
  if (write_state (s, true, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("create.recorded");

  s->notify_socket = getenv ("NOTIFY_SOCKET");
  if (s->notify_socket && s->notify_socket[0])
    {
      cleanup_free char *dir = xasprintf ("%s/%s", o->root, o->id);
      if (ocirt_notify_setup (dir, s->spec, err) < 0)
        return -1;
    }
  else
    s->notify_socket = NULL;
  return 0;
}

/* create: the fifo that start opens to let the container process go on. */
static int
make_exec_fifo (struct ocirt_spawn *s, ocirt_error_t *err)
{
  if (mkfifoat (s->dirfd, OCIRT_EXEC_FIFO, 0622) < 0)
    return ocirt_error_make (err, errno, "create exec fifo");
  /* mkfifo obeys the umask; the container user must be able to open it. */
  if (fchmodat (s->dirfd, OCIRT_EXEC_FIFO, 0622, 0) < 0)
    return ocirt_error_make (err, errno, "chmod exec fifo");
  s->fifo_fd = openat (s->dirfd, OCIRT_EXEC_FIFO, O_PATH | O_CLOEXEC);
  if (s->fifo_fd < 0)
    return ocirt_error_make (err, errno, "open exec fifo");
  s->procfd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->procfd < 0)
    return ocirt_error_make (err, errno, "open /proc");
  return 0;
}

static int
make_cgroups (struct ocirt_spawn *s, ocirt_error_t *err)
{
  if (s->opts->no_cgroup)
    ocirt_debug ("--cgroup-manager disabled: no cgroup");
  else if (s->opts->systemd_cgroup)
    {
      /* Made (and released) even when connecting fails.  */
      s->have_cgroup = true;
      if (ocirt_cgroup_systemd_create (s->spec, s->opts->id, &s->cg, err) < 0)
        return -1;
    }
  else if (ocirt_cgroup_make (&s->cg, err) < 0 && rootless_without_cgroup (s, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("create.cgroups");
  return 0;
}

/* Where the container's terminal goes: the --console-socket, or back to
   a run in the foreground.  */
static int
open_console (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const struct ocirt_create_options *o = s->opts;

  if (s->spec->process->terminal && o->console_socket == NULL)
    {
      int pair[2];

      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return ocirt_error_make (err, errno, "socketpair for the terminal");
      s->console_fd = pair[1];
      s->console_peer = pair[0];
    }
  else if (o->console_socket)
    {
      s->console_fd = ocirt_terminal_console_socket_connect (o->console_socket, err);
      if (s->console_fd < 0)
        return -1;
    }
  return 0;
}

/* --pidfd-socket, connected before anything runs, as runc does: a socket
   that cannot be reached fails the create.  */
static int
open_pidfd_socket (struct ocirt_spawn *s, ocirt_error_t *err)
{
  if (s->opts->pidfd_socket == NULL)
    return 0;
  s->pidfd_sock = ocirt_utils_pidfd_socket_connect (s->opts->pidfd_socket, err);
  return s->pidfd_sock < 0 ? -1 : 0;
}

static int
spawn_prepare (struct ocirt_spawn *s, bool use_fifo, ocirt_error_t *err)
{
  if (load_config (s, use_fifo, err) < 0 || plan_container (s, err) < 0 || claim_state (s, err) < 0)
    return -1;
  if (use_fifo && make_exec_fifo (s, err) < 0)
    return -1;
  if (make_cgroups (s, err) < 0 || open_console (s, err) < 0 || open_pidfd_socket (s, err) < 0)
    return -1;
  if (ocirt_idmap_prepare (s->spec, s->bundle, &s->idmap_fds, err) < 0)
    return -1;
  if (ocirt_ns_in_config (s->spec, "user") && !s->unprivileged)
    ocirt_devices_precreate (s->spec->linux, &s->device_fds);
  return ocirt_sync_pair (s->sync, err);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct clone3_args
{
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

/* clone with the namespaces of the plan; with self_join, straight into the
   unified cgroup where clone3 can (Linux 5.7), plain clone otherwise.  */
static pid_t
clone_container (struct ocirt_spawn *s)
{
  unsigned long flags = (unsigned long) s->ns.clone_flags;
  pid_t pid;

  if (s->self_join)
    {
      cleanup_close int cgfd = ocirt_cgroup_unified_fd (&s->cg);

      if (cgfd >= 0)
        {
          struct clone3_args args = {
            .flags = flags | CLONE_INTO_CGROUP,
            .exit_signal = SIGCHLD,
            .cgroup = (uint64_t) cgfd,
          };

          pid = syscall (SYS_clone3, &args, sizeof (args));
          if (pid >= 0)
            {
              s->unified_joined = true;
              return pid;
            }
          ocirt_debug ("clone3 into the cgroup: %s: the runtime moves the process", strerror (errno));
        }
    }
  return syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Clone the container process: the runtime goes on here, the child in
   ocirt_container_child_main.  */
static int
clone_child (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const oci_linux *lx = s->spec->linux;

  if (ocirt_ns_join_pid (&s->ns, err) < 0)
    return -1;

  /* Without a user namespace the child may move itself into its v1
     cgroups, and clone3 can put it into the unified one: no pid written to
     a cgroup.procs, whose lock costs an RCU grace period (~10 ms).  */
  s->self_join = !s->cg.systemd && s->cg.ndirs > 0 && !ocirt_ns_in_config (s->spec, "user");
  /* Such a child is in its v1 cgroups from the start and makes its /dev
     while the limits would be written: a device list is rewritten from
     "deny all", and a mknod in that window fails.  The cgroups are still
     empty now; the limits also bind the child's first page.  */
  if (s->self_join && ocirt_cgroup_apply_resources (&s->cg, lx, err) < 0)
    return -1;
  /* The container process is a grandchild then: it comes back to us.  */
  if (s->ns.fork_pid && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return ocirt_error_make (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
  ocirt_debug ("clone the container process (new namespaces %#x)", s->ns.clone_flags);
  fflush (NULL);
  s->pid = clone_container (s);
  if (s->pid != 0)
    ocirt_ns_leave_pid (&s->ns);
  if (s->pid < 0)
    {
      s->pid = 0;
      return ocirt_error_make (err, errno, "clone the container process");
    }
  if (s->pid == 0)
    ocirt_container_child_main (s);
  OCIRT_FAILPOINT ("create.cloned");
  return 0;
}

/* The child's id maps written, GO sent; *S's pid is the container
   process's, as the host sees it, even when the child forked it.  */
static int
release_child (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const oci_linux *lx = s->spec->linux;

  close_fd (&s->sync[1]);
  close_fd (&s->console_fd);
  /* The listener must see EOF once the container process has written. */
  ocirt_seccomp_after_clone (s->seccomp);
  if ((s->ns.clone_flags & CLONE_NEWUSER) && ocirt_ns_write_id_mappings (s->pid, lx, err) < 0)
    return -1;
  if (ocirt_sync_send_value (s->sync[0], OCIRT_SYNC_GO, s->pid, err) < 0)
    return -1;
  if (s->ns.fork_pid)
    {
      pid_t forker = s->pid;
      int pid;

      if (ocirt_sync_expect_value (s->sync[0], OCIRT_SYNC_PID, &pid, err) < 0)
        return -1;
      ocirt_utils_waitpid (forker, NULL, 0);
      s->pid = pid;
    }
  return 0;
}

/* The container process into its cgroups, with its limits and its
   network devices; CGROUP sent.  */
static int
enter_cgroups (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const oci_linux *lx = s->spec->linux;

  ocirt_debug ("move %d into its cgroups", s->pid);
  if (s->cg.systemd)
    {
      if (ocirt_cgroup_systemd_enter (&s->cg, s->pid, err) < 0)
        return -1;
    }
  else if (!s->self_join)
    {
      if (ocirt_cgroup_enter (&s->cg, s->pid, err) < 0)
        return -1;
    }
  else if (!s->unified_joined && ocirt_cgroup_enter_unified (&s->cg, s->pid, err) < 0)
    return -1;
  /* No cgroup (--cgroup-manager disabled): no limits to hold.  */
  if (!s->self_join && s->have_cgroup && ocirt_cgroup_apply_resources (&s->cg, lx, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("create.resources");
  /* The network namespace exists once the child does, unless the child
     makes it after joining a user namespace: then at the hooks or when it
     is ready, still before anything runs.  */
  if (!(s->ns.unshare_flags & CLONE_NEWNET) && ocirt_netdev_move (s->netdevs, s->pid, &s->ns, err) < 0)
    return -1;
  return ocirt_sync_send (s->sync[0], OCIRT_SYNC_CGROUP, err);
}

/* prestart and createRuntime, once the child's mounts are in place.  */
static int
run_create_hooks (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const oci_hooks *h = s->spec->hooks;
  cleanup_free char *state = NULL;

  if (ocirt_sync_expect (s->sync[0], OCIRT_SYNC_HOOKS, err) < 0)
    return -1;
  if (ocirt_netdev_move (s->netdevs, s->pid, &s->ns, err) < 0)
    return -1;
  state = ocirt_hooks_state (s->spec, s->opts->id, s->pid, s->bundle, "creating");
  /* prestart is deprecated, and still run first, as the spec asks.  */
  if (ocirt_hooks_run (h->prestart, h->prestart_len, "prestart", state, err) < 0
      || ocirt_hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime", state, err) < 0)
    return -1;
  return ocirt_sync_send (s->sync[0], OCIRT_SYNC_HOOKS_DONE, err);
}

static int
spawn_container (struct ocirt_spawn *s, ocirt_error_t *err)
{
  if (clone_child (s, err) < 0 || release_child (s, err) < 0 || enter_cgroups (s, err) < 0)
    return -1;
  if (ocirt_mounts_sources_wanted (s->spec, s->idmap_fds, s->unprivileged)
      && (ocirt_sync_expect (s->sync[0], OCIRT_SYNC_MOUNTS, err) < 0
          || ocirt_mounts_send_sources (s->spec, s->bundle, s->idmap_fds, s->pid, s->sync[0], err) < 0))
    return -1;
  if (ocirt_container_hooks_at_create (s->spec) && run_create_hooks (s, err) < 0)
    return -1;
  /* Written while the container process sets itself up; shown once it
     is ready.  */
  if (write_state (s, false, err) < 0)
    return -1;
  if (ocirt_sync_expect (s->sync[0], OCIRT_SYNC_READY, err) < 0)
    return -1;
  if (ocirt_netdev_move (s->netdevs, s->pid, &s->ns, err) < 0)
    return -1;
  ocirt_debug ("container process %d is ready", s->pid);
  if (s->pidfd_sock >= 0 && ocirt_utils_send_pidfd (s->pidfd_sock, s->pid, "standard", err) < 0)
    return -1;
  close_fd (&s->pidfd_sock);
  OCIRT_FAILPOINT ("create.ready");
  if (ocirt_state_commit (s->dirfd, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("create.state");
  if (s->opts->pid_file && ocirt_utils_write_pid_file (s->opts->pid_file, s->pid, err) < 0)
    return -1;
  /* Created: the devices belong to the container's namespace now.  */
  ocirt_netdev_free (s->netdevs);
  s->netdevs = NULL;
  return 0;
}

static int
cleanup_after_run (struct ocirt_spawn *s, ocirt_error_t *err)
{
  /* Without a pid namespace, children of the program may outlive it.  */
  if (s->have_cgroup)
    {
      cleanup_error ocirt_error_t e = NULL;

      if (ocirt_cgroup_kill_all (&s->cg, SIGKILL, &e) < 0)
        ocirt_debug ("%s", e->msg);
    }
  /* --keep: stopped, as after create and start; delete removes the rest
     and runs the poststop hooks.  */
  if (s->opts->keep)
    return 0;
  if (s->have_cgroup)
    {
      if (ocirt_cgroup_remove_dirs (s->cg.created, s->cg.ncreated, err) < 0)
        return -1;
      if (ocirt_cgroup_systemd_destroy (&s->cg, err) < 0)
        return -1;
    }
  return ocirt_state_dir_remove (s->opts->root, s->opts->id, err);
}

#define cleanup_spawn __attribute__ ((cleanup (spawn_release)))

int
ocirt_container_create (const struct ocirt_create_options *o, ocirt_error_t *err)
{
  cleanup_spawn struct ocirt_spawn s;

  spawn_init (&s, o);
  if (ocirt_signals_hold (err) < 0 || spawn_prepare (&s, true, err) < 0 || spawn_container (&s, err) < 0)
    {
      spawn_abort (&s);
      return -1;
    }
  return 0;
}

/* run up to the user's program: the container made and started, its
   poststart hooks run.  */
static int
run_start (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const struct ocirt_create_options *o = s->opts;
  struct ocirt_container_state st = { .id = (char *) o->id, .bundle = s->bundle };
  cleanup_close int notify_fd = -1;
  cleanup_close int pidfd = -1;

  if (ocirt_signals_hold (err) < 0 || spawn_prepare (s, false, err) < 0 || spawn_container (s, err) < 0)
    return -1;
  if (s->notify_socket)
    {
      cleanup_free char *dir = xasprintf ("%s/%s", o->root, o->id);
      notify_fd = ocirt_notify_listen (dir, err);
      if (notify_fd < 0)
        return -1;
    }
  if (ocirt_sync_send (s->sync[0], OCIRT_SYNC_EXEC, err) < 0
      || ocirt_sync_expect_exec (s->sync[0], err) < 0)
    return -1;
  /* Now the user's program gets them, those held meanwhile first.  */
  if (!o->detach)
    ocirt_signals_forward_to (s->pid);
  st.pid = s->pid;
  if (ocirt_container_hooks_poststart (&st, s->spec, err) < 0)
    return -1;
  if (notify_fd < 0)
    return 0;
  pidfd = syscall (SYS_pidfd_open, s->pid, 0);
  if (pidfd < 0)
    return ocirt_error_make (err, errno, "watch the container process %d", (int) s->pid);
  return ocirt_notify_forward (notify_fd, s->notify_socket, pidfd, err);
}

/* run in the foreground with a terminal: the container's comes back over
   the socket and is proxied to ours; without it the container cannot be
   used and is killed.  */
static void
proxy_terminal (struct ocirt_spawn *s)
{
  cleanup_error ocirt_error_t e = NULL;
  cleanup_close int master = ocirt_terminal_recv_fd (s->console_peer, &e);
  const oci_process *p = s->spec->process;

  if (master < 0 || ocirt_terminal_proxy (master, p->console_size != NULL, &e) < 0)
    {
      kill (s->pid, SIGKILL);
      ocirt_log_warn_release (&e);
    }
}

/* After run_start, in the foreground: until the program ends, then the
   container is removed (but with --keep).  *EXIT_STATUS: the program's
   exit status for the shell.  */
static int
run_wait (struct ocirt_spawn *s, int *exit_status, ocirt_error_t *err)
{
  struct ocirt_container_state st = { .id = (char *) s->opts->id, .bundle = s->bundle };
  int status;

  /* The lock is not held while the program runs.  */
  close_fd (&s->dirfd);
  if (s->console_peer >= 0)
    proxy_terminal (s);
  if (ocirt_utils_waitpid (s->pid, &status, 0) < 0)
    return ocirt_error_make (err, errno, "wait for the container process");
  ocirt_signals_stop_forwarding ();
  s->pid = 0;
  *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  if (cleanup_after_run (s, err) < 0)
    return -1;
  if (!s->opts->keep)
    ocirt_container_hooks_poststop (&st, s->spec);
  return 0;
}

int
ocirt_container_run (const struct ocirt_create_options *o, int *exit_status, ocirt_error_t *err)
{
  cleanup_spawn struct ocirt_spawn s;

  spawn_init (&s, o);
  if (run_start (&s, err) < 0)
    {
      spawn_abort (&s);
      return -1;
    }
  *exit_status = 0;
  if (o->detach)
    return 0;
  return run_wait (&s, exit_status, err);
}
