#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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

#include "cgroup.h"
#include "cgroup_systemd.h"
#include "bundle.h"
#include "container.h"
#include "failpoint.h"
#include "hooks.h"
#include "idmap.h"
#include "log.h"
#include "lsm.h"
#include "mounts.h"
#include "namespaces.h"
#include "netdev.h"
#include "notify.h"
#include "path.h"
#include "process.h"
#include "process_attrs.h"
#include "procfs.h"
#include "seccomp.h"
#include "signals.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

/* Everything the container process needs, prepared by the runtime before
   clone so that both sides share it.  */
struct spawn
{
  const struct ocirt_create_options *opts;
  oci_spec *spec;
  char *bundle;
  char *config_path; /* absolute */
  char *rootfs;
  int dirfd;
  int fifo_fd;   /* O_PATH fd of exec.fifo, -1 for run */
  int procfd;    /* the host's /proc, to reopen the fifo after pivot_root */
  int console_fd;
  int console_peer; /* run with a terminal: where the pty master arrives */
  int sync[2];
  struct ocirt_ns_plan ns;
  struct ocirt_seccomp *seccomp; /* compiled before clone, loaded by the child */
  struct ocirt_netdevs *netdevs; /* linux.netDevices, or NULL */
  int *idmap_fds;   /* detached idmapped trees per mount, or NULL */
  struct ocirt_cgroup cg;
  bool have_cgroup;
  bool in_cgroup;   /* child: the runtime said it is in its cgroup */
  bool self_join;   /* the child joins its v1 cgroups itself */
  bool unified_joined; /* clone3 put it in its unified cgroup already */
  int preserve_fds; /* --preserve-fds plus socket-activated LISTEN_FDS */
  const char *notify_socket; /* the caller's NOTIFY_SOCKET */
  pid_t pid;        /* the container process, as the host sees it */
  bool unprivileged; /* the runtime is not root: rootless */
};

static int run_poststart (const struct ocirt_container_state *st, const oci_spec *spec,
                          ocirt_error_t *err);
static void run_poststop (const struct ocirt_container_state *st, const oci_spec *spec);
static int run_child_hooks (const struct spawn *s, oci_hook **hooks, size_t n, const char *kind,
                            const char *status, ocirt_error_t *err);

static void
spawn_init (struct spawn *s, const struct ocirt_create_options *o)
{
  memset (s, 0, sizeof (*s));
  s->opts = o;
  s->unprivileged = geteuid () != 0;
  s->dirfd = s->fifo_fd = s->procfd = s->console_fd = s->console_peer = -1;
  s->sync[0] = s->sync[1] = -1;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
spawn_release (struct spawn *s)
{
  if (s->spec)
    ocirt_idmap_release (s->idmap_fds, s->spec->mounts_len);
  free_oci_spec (s->spec);
  free (s->bundle);
  free (s->config_path);
  free (s->rootfs);
  close_fd (&s->dirfd);
  close_fd (&s->fifo_fd);
  close_fd (&s->procfd);
  close_fd (&s->console_fd);
  close_fd (&s->console_peer);
  close_fd (&s->sync[0]);
  close_fd (&s->sync[1]);
  ocirt_ns_plan_release (&s->ns);
  ocirt_seccomp_free (s->seccomp);
  ocirt_netdev_free (s->netdevs);
  if (s->have_cgroup)
    ocirt_cgroup_release (&s->cg);
}

/* ---- the container process ---------------------------------------- */

static int
set_hostname (const oci_spec *spec, ocirt_error_t *err)
{
  if (spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return ocirt_make_error (err, errno, "sethostname `%s`", spec->hostname);
  if (spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return ocirt_make_error (err, errno, "setdomainname `%s`", spec->domainname);
  return 0;
}

static int
write_sysctls (const oci_linux *lx, ocirt_error_t *err)
{
  size_t i;

  if (lx->sysctl == NULL)
    return 0;
  for (i = 0; i < lx->sysctl->len; i++)
    {
      const char *key = lx->sysctl->keys[i];
      const char *val = lx->sysctl->values[i];
      cleanup_free char *path = NULL;
      char *p;

      if (strstr (key, "..") || key[0] == '/' || key[0] == '.')
        return ocirt_make_error (err, 0, "invalid sysctl `%s`", key);
      path = xasprintf ("sys/%s", key);
      for (p = path + 4; *p; p++)
        if (*p == '.')
          *p = '/';
      if (ocirt_procfs_write (path, val, err) < 0)
        return ocirt_error_prefix (err, "set sysctl %s", key);
    }
  return 0;
}

static int
start_container_hooks (struct spawn *s, ocirt_error_t *err)
{
  const oci_hooks *h = s->spec->hooks;

  if (h == NULL)
    return 0;
  return run_child_hooks (s, h->start_container, h->start_container_len, "startContainer",
                          "created", err);
}

static int
wait_for_start (struct spawn *s, ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  char path[64];

  if (s->fifo_fd < 0)
    {
      if (ocirt_sync_expect (s->sync[1], OCIRT_SYNC_EXEC, err) < 0)
        return -1;
      return start_container_hooks (s, err);
    }

  /* Blocks until `start` opens the fifo for reading.  */
  snprintf (path, sizeof (path), "self/fd/%d", s->fifo_fd);
  fd = openat (s->procfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return ocirt_make_error (err, errno, "open exec fifo");
  /* `start` reads "0", or the reason the container cannot start.  */
  if (start_container_hooks (s, err) < 0)
    {
      write_all (fd, (*err)->msg, strlen ((*err)->msg));
      return -1;
    }
  if (write_all (fd, "0", 1) < 0)
    return ocirt_make_error (err, errno, "write exec fifo");
  return 0;
}

static char **
process_args (const oci_process *p)
{
  char **args = xmalloc0 (sizeof (char *) * (p->args_len + 1));
  size_t i;

  for (i = 0; i < p->args_len; i++)
    args[i] = p->args[i];
  return args;
}

static bool
has_runtime_hooks (const oci_spec *spec)
{
  return spec->hooks && (spec->hooks->prestart_len || spec->hooks->create_runtime_len);
}

static int
run_child_hooks (const struct spawn *s, oci_hook **hooks, size_t n, const char *kind,
                 const char *status, ocirt_error_t *err)
{
  cleanup_free char *state = NULL;

  if (n == 0)
    return 0;
  state = ocirt_hooks_state (s->spec, s->opts->id, s->pid, s->bundle, status);
  return ocirt_hooks_run (hooks, n, kind, state, err);
}

/* Mounts are in place, pivot_root is next: the runtime runs prestart and
   createRuntime, then createContainer runs here, in the container's
   namespaces with the host's filesystem still in view.  */
static int
before_pivot (void *data, ocirt_error_t *err)
{
  struct spawn *s = data;
  const oci_hooks *h = s->spec->hooks;

  if (has_runtime_hooks (s->spec))
    {
      if (!s->in_cgroup)
        {
          if (ocirt_sync_expect (s->sync[1], OCIRT_SYNC_CGROUP, err) < 0)
            return -1;
          s->in_cgroup = true;
        }
      if (ocirt_sync_send (s->sync[1], OCIRT_SYNC_HOOKS, err) < 0
          || ocirt_sync_expect (s->sync[1], OCIRT_SYNC_HOOKS_DONE, err) < 0)
        return -1;
    }
  if (h)
    return run_child_hooks (s, h->create_container, h->create_container_len, "createContainer",
                            "creating", err);
  return 0;
}

/* Root of the user namespace just made or joined, when root is mapped
   there: setns keeps the ids, which may not be mapped at all.  */
static void
become_root (void)
{
  if (syscall (SYS_setresgid, 0, 0, 0) < 0 || syscall (SYS_setresuid, 0, 0, 0) < 0)
    ocirt_debug ("root is not mapped in the user namespace");
}

static bool
joins_user_ns (const struct ocirt_ns_plan *plan)
{
  size_t i;

  for (i = 0; i < plan->njoin; i++)
    if (plan->join[i].type == CLONE_NEWUSER)
      return true;
  return false;
}

/* A new pid namespace inside a joined user namespace: unshare it and fork
   the container process into it.  This process tells the runtime the new
   pid and leaves; the runtime, a subreaper, inherits the container.  */
static int
fork_into_pid_ns (struct spawn *s, ocirt_error_t *err)
{
  int pp[2];
  pid_t pid;

  if (unshare (CLONE_NEWPID) < 0)
    return ocirt_make_error (err, errno, "unshare the pid namespace");
  if (pipe2 (pp, O_CLOEXEC) < 0)
    return ocirt_make_error (err, errno, "pipe for the container process");
  pid = fork ();
  if (pid < 0)
    return ocirt_make_error (err, errno, "fork the container process");
  if (pid > 0)
    {
      close (pp[0]);
      if (write (pp[1], &pid, sizeof (pid)) != sizeof (pid)
          || ocirt_sync_send_value (s->sync[1], OCIRT_SYNC_PID, pid, err) < 0)
        _exit (1);
      _exit (0);
    }
  close (pp[1]);
  if (read (pp[0], &pid, sizeof (pid)) != sizeof (pid))
    {
      close (pp[0]);
      return ocirt_make_error (err, EPIPE, "read the container process pid");
    }
  close (pp[0]);
  s->pid = pid;
  return 0;
}

/* From the rootfs on the host to "/" of the container: mounts, cwd,
   console, sysctls, masks.  */
static int
setup_rootfs (struct spawn *s, struct ocirt_rootfs_ctx *rctx, ocirt_error_t *err)
{
  const oci_process *p = s->spec->process;

  ocirt_debug ("container process: mount the rootfs `%s`", s->rootfs);
  if (ocirt_rootfs_prepare (rctx, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("child.rootfs");

  /* After pivot_root, "/" is the container's.  */
  {
    cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int cwdfd = -1;

    if (rootfd < 0)
      return ocirt_make_error (err, errno, "open /");
    cwdfd = ocirt_mkpath_in_root (rootfd, p->cwd, false, err);
    if (cwdfd < 0)
      return ocirt_error_prefix (err, "create cwd");
  }
  if (p->terminal && s->console_fd >= 0 && ocirt_terminal_setup (s->console_fd, p, true, err) < 0)
    return -1;
  close_fd (&s->console_fd);
  /* Sysctls may name a device the runtime moves in with the cgroup step. */
  if (s->netdevs && !s->in_cgroup && !(s->ns.unshare_flags & CLONE_NEWNET))
    {
      if (ocirt_sync_expect (s->sync[1], OCIRT_SYNC_CGROUP, err) < 0)
        return -1;
      s->in_cgroup = true;
    }
  ocirt_debug ("container process: sysctls, masked and read-only paths");
  if (write_sysctls (s->spec->linux, err) < 0)
    return -1;
  return ocirt_rootfs_finalize (rctx, err);
}

static int
child_setup (struct spawn *s, char **exe, char ***envp, ocirt_error_t *err)
{
  const oci_spec *spec = s->spec;
  const oci_process *p = spec->process;
  struct ocirt_rootfs_ctx rctx = {
    .spec = spec,
    .rootfs = s->rootfs,
    .bundle = s->bundle,
    .cgroup = s->have_cgroup ? &s->cg : NULL,
    .userns = ocirt_config_has_ns (spec, "user"),
    .cgroupns = (s->ns.new_flags & CLONE_NEWCGROUP) != 0,
    .no_pivot = s->opts->no_pivot,
    .mountns = ocirt_config_has_ns (spec, "mount"),
    .console_fd = -1,
    .idmap_fds = s->idmap_fds,
    .before_pivot = before_pivot,
    .data = s,
  };
  int pid;

  OCIRT_FAILPOINT ("child.cloned");
  if (s->self_join && ocirt_cgroup_enter_self (&s->cg, true, false, err) < 0)
    return -1;
  if (ocirt_sync_expect_value (s->sync[1], OCIRT_SYNC_GO, &pid, err) < 0)
    return -1;
  s->pid = pid;
  if (s->unprivileged && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return ocirt_make_error (err, errno, "prctl PR_SET_DUMPABLE");

  if (s->ns.clone_flags & CLONE_NEWUSER)
    become_root ();
  ocirt_debug ("container process %d: join namespaces given by path", s->pid);
  if (ocirt_ns_join_in_child (&s->ns, err) < 0)
    return -1;
  if (joins_user_ns (&s->ns))
    become_root ();
  if (s->ns.fork_pid && fork_into_pid_ns (s, err) < 0)
    return -1;
  /* Joining a v1 cgroup costs the runtime an RCU grace period: the child
     sets up its rootfs meanwhile, and waits only where it must be in its
     cgroup, before a cgroup namespace is made or, at the latest, before it
     reports ready.  */
  if (s->ns.unshare_flags & CLONE_NEWCGROUP)
    {
      if (ocirt_sync_expect (s->sync[1], OCIRT_SYNC_CGROUP, err) < 0)
        return -1;
      s->in_cgroup = true;
    }
  if (ocirt_ns_unshare_in_child (&s->ns, spec->linux, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("child.namespaces");
  if (setsid () < 0)
    return ocirt_make_error (err, errno, "setsid");
  if (set_hostname (spec, err) < 0)
    return -1;

  /* Modes of created files and devices are exact; the process gets its own
     umask before exec.  */
  umask (0);
  if (setup_rootfs (s, &rctx, err) < 0)
    return -1;

  if (!s->opts->no_new_keyring)
    {
      cleanup_free char *name = xasprintf ("_ses.%s", s->opts->id);
      if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS
          && errno != EPERM)
        return ocirt_make_error (err, errno, "join session keyring");
    }

  /* The cgroup grants real-time runtime: be in it to ask for a policy.  */
  if (p->scheduler && !s->in_cgroup)
    {
      if (ocirt_sync_expect (s->sync[1], OCIRT_SYNC_CGROUP, err) < 0)
        return -1;
      s->in_cgroup = true;
    }
  if (ocirt_linux_attrs_apply (spec->linux, err) < 0)
    return -1;
  ocirt_debug ("container process: limits, user %u:%u, capabilities, cwd `%s`",
               p->user ? p->user->uid : 0, p->user ? p->user->gid : 0, p->cwd);
  if (ocirt_process_prepare_exec (p, s->seccomp != NULL, s->preserve_fds, exe, envp, err) < 0)
    return -1;
  if (!s->in_cgroup && ocirt_sync_expect (s->sync[1], OCIRT_SYNC_CGROUP, err) < 0)
    return -1;
  return 0;
}

static void __attribute__ ((noreturn))
child_main (struct spawn *s)
{
  cleanup_error ocirt_error_t err = NULL;
  const oci_process *p = s->spec->process;
  char *exe = NULL;
  char **argv, **envp = NULL;

  ocirt_signals_child_reset ();
  /* The state dir fd carries the container's lock: it is the runtime's. */
  close_fd (&s->dirfd);
  /* Until execve this is the runtime's binary, and a pid namespace given by
     path is shared with the container's other processes: keep
     /proc/PID/exe and our memory out of their reach (CVE-2019-5736).  A
     process may still open its own /proc/self/fd, which the fifo needs.
     An unprivileged runtime must still open our /proc/PID/uid_map: it
     waits until the maps are written (see child_setup); its binary is not
     the user's to overwrite anyway.  */
  if (!s->unprivileged && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      ocirt_make_error (&err, errno, "prctl PR_SET_DUMPABLE");
      ocirt_sync_send_error (s->sync[1], &err);
      _exit (1);
    }
  close_fd (&s->sync[0]);
  close_fd (&s->console_peer);
  if (child_setup (s, &exe, &envp, &err) < 0)
    {
      ocirt_sync_send_error (s->sync[1], &err);
      _exit (1);
    }
  OCIRT_FAILPOINT ("child.ready");
  if (ocirt_sync_send (s->sync[1], OCIRT_SYNC_READY, &err) < 0)
    _exit (1);
  if (wait_for_start (s, &err) < 0)
    {
      if (s->fifo_fd < 0)
        ocirt_sync_send_error (s->sync[1], &err);
      _exit (1);
    }

  umask (p->user && p->user->umask_present ? p->user->umask : 0022);
  argv = process_args (p);
  /* Last: the runtime's own setup is not filtered, and nothing but execve
     follows the filter (docs/security.md).  */
  if (ocirt_seccomp_load (s->seccomp, &err) < 0)
    {
      ocirt_log (OCIRT_LOG_ERROR, "%s", err->msg);
      _exit (1);
    }
  execve (exe, argv, envp);
  ocirt_make_error (&err, errno, "exec `%s`", p->args[0]);
  if (s->fifo_fd < 0)
    ocirt_sync_send_error (s->sync[1], &err);
  else
    ocirt_log (OCIRT_LOG_ERROR, "%s", err->msg);
  _exit (127);
}

/* ---- the runtime side ---------------------------------------------- */

static char *
rfc3339_now (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  size_t n;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  n = strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, sizeof (buf) - n, ".%09ldZ", ts.tv_nsec);
  return xstrdup (buf);
}

static char *
absolute_bundle (const char *bundle, ocirt_error_t *err)
{
  char resolved[PATH_MAX];

  if (realpath (bundle ? bundle : ".", resolved) == NULL)
    {
      ocirt_make_error (err, errno, "bundle `%s`", bundle ? bundle : ".");
      return NULL;
    }
  return xstrdup (resolved);
}

static int
write_pid_file (const char *path, pid_t pid, ocirt_error_t *err)
{
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", pid);

  if (write_file_atomic_at (AT_FDCWD, path, buf, len, 0644, err) < 0)
    return ocirt_error_prefix (err, "write pid file");
  return 0;
}

/* OCIRT_HOOKS_FILE: the hooks later commands run, with the annotations
   their state shows, when the config has any.  */
static int
save_hooks (const struct spawn *s, ocirt_error_t *err)
{
  const oci_hooks *h = s->spec->hooks;
  oci_hooks later = { 0 };
  oci_spec doc = { 0 };
  cleanup_free char *json = NULL;

  if (h == NULL || (h->poststart_len == 0 && h->poststop_len == 0))
    return 0;
  later.poststart = h->poststart;
  later.poststart_len = h->poststart_len;
  later.poststop = h->poststop;
  later.poststop_len = h->poststop_len;
  doc.oci_version = s->spec->oci_version;
  doc.hooks = &later;
  doc.annotations = s->spec->annotations;
  json = oci_spec_to_json (&doc, false, NULL);
  if (json == NULL)
    return ocirt_make_error (err, ENOMEM, "write `%s`", OCIRT_HOOKS_FILE);
  return write_file_atomic_at (s->dirfd, OCIRT_HOOKS_FILE, json, strlen (json), 0600, err);
}

/* state.json, staged: ocirt_state_commit makes it visible; or with
   RECORD, create.json: who is creating the container and the cgroup
   directories it is about to make, before it makes any.  */
static int
write_state (struct spawn *s, bool record, ocirt_error_t *err)
{
  struct ocirt_container_state st = { 0 };
  const oci_map_string *ann = s->spec->annotations;
  int ret;

  st.id = (char *) s->opts->id;
  if (record)
    {
      st.runtime_pid = getpid ();
      st.runtime_start_time = ocirt_process_start_time (st.runtime_pid);
    }
  else
    {
      st.pid = s->pid;
      st.start_time = ocirt_process_start_time (s->pid);
      /* Before state.json: whoever reads hooks_saved finds the file.  */
      if (save_hooks (s, err) < 0)
        return -1;
      st.hooks_saved = true;
    }
  st.bundle = s->bundle;
  st.config = s->config_path;
  st.notify_socket = (char *) s->notify_socket;
  st.rootfs = s->rootfs;
  st.created = rfc3339_now ();
  st.owner = geteuid ();
  st.systemd_cgroup = s->opts->systemd_cgroup;
  if (s->have_cgroup)
    {
      size_t i;

      ocirt_cgroup_to_state (&s->cg, &st);
      if (record)
        {
          for (i = 0; i < st.cgroup_dirs_len; i++)
            free (st.cgroup_dirs[i]);
          free (st.cgroup_dirs);
          st.cgroup_dirs_len = ocirt_cgroup_missing (&s->cg, &st.cgroup_dirs);
        }
    }
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
spawn_abort (struct spawn *s)
{
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_container_state st = { .id = (char *) s->opts->id, .bundle = s->bundle };

  /* Before the container's network namespace can go away.  */
  ocirt_netdev_undo (s->netdevs);
  if (s->pid > 0)
    {
      st.pid = s->pid;
      kill (s->pid, SIGKILL);
      while (waitpid (s->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      s->pid = 0;
    }
  if (s->have_cgroup && ocirt_cgroup_remove_dirs (s->cg.created, s->cg.ncreated, &err) < 0)
    ocirt_warn ("%s", err->msg);
  ocirt_error_release (&err);
  if (s->have_cgroup && ocirt_systemd_cgroup_destroy (&s->cg, &err) < 0)
    ocirt_warn ("%s", err->msg);
  ocirt_error_release (&err);
  if (s->dirfd >= 0 && ocirt_state_dir_remove (s->opts->root, s->opts->id, &err) < 0)
    ocirt_warn ("%s", err->msg);
  /* Once the container process existed, its create hooks may have run
     (or failed): the lifecycle goes on at delete, then poststop (steps
     12 and 13), as runc does.  A failing poststop is only a warning, the
     error of the create stays the one reported.  */
  if (st.pid > 0)
    run_poststop (&st, s->spec);
}

/* Socket activation: the fds from 3 that LISTEN_FDS counts go to the
   container, which is told about them with LISTEN_FDS and LISTEN_PID=1.  */
static int
pass_listen_fds (struct spawn *s, ocirt_error_t *err)
{
  const char *v = getenv ("LISTEN_FDS");
  unsigned long long n;
  char buf[64];

  s->preserve_fds = s->opts->preserve_fds;
  if (v == NULL || v[0] == '\0')
    return 0;
  if (!parse_ulong (v, &n) || n > 65536)
    return ocirt_make_error (err, 0, "invalid LISTEN_FDS `%s`", v);
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

/* An ordinary user (rootless) gets a cgroup only where one is delegated to
   it; without one the container runs in the caller's cgroup, as with runc,
   unless the config asks for limits that only a cgroup can hold.  Keeps
   ERR and returns -1 when the failure stands.  */
static int
rootless_without_cgroup (struct spawn *s, ocirt_error_t *err)
{
  int e = (*err)->status;

  if (geteuid () == 0 || (e != EACCES && e != EPERM && e != EROFS))
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

static int
spawn_prepare (struct spawn *s, bool use_fifo, ocirt_error_t *err)
{
  const struct ocirt_create_options *o = s->opts;
  const oci_process *p;

  if (!ocirt_id_valid (o->id))
    return ocirt_make_error (err, 0, "invalid container id `%s`", o->id ? o->id : "");
  s->bundle = absolute_bundle (o->bundle, err);
  if (s->bundle == NULL)
    return -1;
  s->spec = ocirt_config_load (s->bundle, o->config_path, err);
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
  if (ocirt_config_validate (s->spec, err) < 0 || ocirt_linux_attrs_validate (s->spec->linux, err) < 0)
    return -1;
  p = s->spec->process;
  s->rootfs = ocirt_config_rootfs (s->spec, s->bundle, err);
  if (s->rootfs == NULL)
    return -1;
  if (p->terminal && o->console_socket == NULL && use_fifo)
    return ocirt_make_error (err, 0, "process.terminal is set: --console-socket is required");
  if (!p->terminal && o->console_socket)
    return ocirt_make_error (err, 0, "--console-socket given but process.terminal is false");
  if (p->terminal && o->console_socket == NULL && o->detach)
    return ocirt_make_error (err, 0, "process.terminal is set: --console-socket is required with --detach");
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
  if (!o->systemd_cgroup)
    {
      s->have_cgroup = true;
      if (ocirt_cgroup_resolve (s->spec->linux->cgroups_path, o->id, &s->cg, err) < 0)
        return -1;
    }

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

  if (use_fifo)
    {
      if (mkfifoat (s->dirfd, OCIRT_EXEC_FIFO, 0622) < 0)
        return ocirt_make_error (err, errno, "create exec fifo");
      /* mkfifo obeys the umask; the container user must be able to open it. */
      if (fchmodat (s->dirfd, OCIRT_EXEC_FIFO, 0622, 0) < 0)
        return ocirt_make_error (err, errno, "chmod exec fifo");
      s->fifo_fd = openat (s->dirfd, OCIRT_EXEC_FIFO, O_PATH | O_CLOEXEC);
      if (s->fifo_fd < 0)
        return ocirt_make_error (err, errno, "open exec fifo");
      s->procfd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (s->procfd < 0)
        return ocirt_make_error (err, errno, "open /proc");
    }

  if (o->systemd_cgroup)
    {
      /* Made (and released) even when connecting fails.  */
      s->have_cgroup = true;
      if (ocirt_systemd_cgroup_create (s->spec, o->id, &s->cg, err) < 0)
        return -1;
    }
  else if (ocirt_cgroup_make (&s->cg, err) < 0 && rootless_without_cgroup (s, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("create.cgroups");

  if (p->terminal && o->console_socket == NULL)
    {
      /* run in the foreground: the terminal comes back to us.  */
      int pair[2];

      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return ocirt_make_error (err, errno, "socketpair for the terminal");
      s->console_fd = pair[1];
      s->console_peer = pair[0];
    }
  else if (o->console_socket)
    {
      s->console_fd = ocirt_console_socket_connect (o->console_socket, err);
      if (s->console_fd < 0)
        return -1;
    }
  if (ocirt_idmap_prepare (s->spec, s->bundle, &s->idmap_fds, err) < 0)
    return -1;
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
clone_container (struct spawn *s)
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

static int
spawn_container (struct spawn *s, ocirt_error_t *err)
{
  const oci_linux *lx = s->spec->linux;

  if (ocirt_ns_join_pid (&s->ns, err) < 0)
    return -1;

  /* Without a user namespace the child may move itself into its v1
     cgroups, and clone3 can put it into the unified one: no pid written to
     a cgroup.procs, whose lock costs an RCU grace period (~10 ms).  */
  s->self_join = !s->cg.systemd && s->cg.ndirs > 0 && !ocirt_config_has_ns (s->spec, "user");
  /* Such a child is in its v1 cgroups from the start and makes its /dev
     while the limits would be written: a device list is rewritten from
     "deny all", and a mknod in that window fails.  The cgroups are still
     empty now; the limits also bind the child's first page.  */
  if (s->self_join && ocirt_cgroup_apply_resources (&s->cg, lx, err) < 0)
    return -1;
  /* The container process is a grandchild then: it comes back to us.  */
  if (s->ns.fork_pid && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return ocirt_make_error (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
  ocirt_debug ("clone the container process (new namespaces %#x)", s->ns.clone_flags);
  fflush (NULL);
  s->pid = clone_container (s);
  if (s->pid != 0)
    ocirt_ns_leave_pid (&s->ns);
  if (s->pid < 0)
    {
      s->pid = 0;
      return ocirt_make_error (err, errno, "clone the container process");
    }
  if (s->pid == 0)
    child_main (s);
  OCIRT_FAILPOINT ("create.cloned");

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
      while (waitpid (forker, NULL, 0) < 0 && errno == EINTR)
        ;
      s->pid = pid;
    }
  ocirt_debug ("move %d into its cgroups", s->pid);
  if (s->cg.systemd)
    {
      if (ocirt_systemd_cgroup_enter (&s->cg, s->pid, err) < 0)
        return -1;
    }
  else if (!s->self_join)
    {
      if (ocirt_cgroup_enter (&s->cg, s->pid, err) < 0)
        return -1;
    }
  else if (!s->unified_joined && ocirt_cgroup_enter_unified (&s->cg, s->pid, err) < 0)
    return -1;
  if (!s->self_join && ocirt_cgroup_apply_resources (&s->cg, lx, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("create.resources");
  /* The network namespace exists once the child does, unless the child
     makes it after joining a user namespace: then at the hooks or when it
     is ready, still before anything runs.  */
  if (!(s->ns.unshare_flags & CLONE_NEWNET) && ocirt_netdev_move (s->netdevs, s->pid, &s->ns, err) < 0)
    return -1;
  if (ocirt_sync_send (s->sync[0], OCIRT_SYNC_CGROUP, err) < 0)
    return -1;
  if (has_runtime_hooks (s->spec))
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
          || ocirt_hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime", state,
                              err) < 0)
        return -1;
      if (ocirt_sync_send (s->sync[0], OCIRT_SYNC_HOOKS_DONE, err) < 0)
        return -1;
    }
  /* Written while the container process sets itself up; shown once it
     is ready.  */
  if (write_state (s, false, err) < 0)
    return -1;
  if (ocirt_sync_expect (s->sync[0], OCIRT_SYNC_READY, err) < 0)
    return -1;
  if (ocirt_netdev_move (s->netdevs, s->pid, &s->ns, err) < 0)
    return -1;
  ocirt_debug ("container process %d is ready", s->pid);
  OCIRT_FAILPOINT ("create.ready");
  if (ocirt_state_commit (s->dirfd, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("create.state");
  if (s->opts->pid_file && write_pid_file (s->opts->pid_file, s->pid, err) < 0)
    return -1;
  /* Created: the devices belong to the container's namespace now.  */
  ocirt_netdev_free (s->netdevs);
  s->netdevs = NULL;
  return 0;
}

int
ocirt_container_create (const struct ocirt_create_options *o, ocirt_error_t *err)
{
  struct spawn s;
  int ret;

  spawn_init (&s, o);
  ret = ocirt_signals_hold (err);
  if (ret == 0)
    ret = spawn_prepare (&s, true, err);
  if (ret == 0)
    ret = spawn_container (&s, err);
  if (ret < 0)
    spawn_abort (&s);
  spawn_release (&s);
  return ret;
}

static int
cleanup_after_run (struct spawn *s, ocirt_error_t *err)
{
  /* Without a pid namespace, children of the program may outlive it.  */
  if (s->have_cgroup)
    {
      ocirt_error_t e = NULL;

      if (ocirt_cgroup_kill_all (&s->cg, SIGKILL, &e) < 0)
        {
          ocirt_debug ("%s", e->msg);
          ocirt_error_release (&e);
        }
    }
  /* --keep: stopped, as after create and start; delete removes the rest
     and runs the poststop hooks.  */
  if (s->opts->keep)
    return 0;
  if (s->have_cgroup)
    {
      if (ocirt_cgroup_remove_dirs (s->cg.created, s->cg.ncreated, err) < 0)
        return -1;
      if (ocirt_systemd_cgroup_destroy (&s->cg, err) < 0)
        return -1;
    }
  return ocirt_state_dir_remove (s->opts->root, s->opts->id, err);
}

int
ocirt_container_run (const struct ocirt_create_options *o, ocirt_error_t *err)
{
  struct spawn s;
  int status = 0, ret, notify_fd = -1;

  spawn_init (&s, o);
  ret = ocirt_signals_hold (err);
  if (ret == 0)
    ret = spawn_prepare (&s, false, err);
  if (ret == 0)
    ret = spawn_container (&s, err);
  if (ret == 0 && s.notify_socket)
    {
      cleanup_free char *dir = xasprintf ("%s/%s", o->root, o->id);
      notify_fd = ocirt_notify_listen (dir, err);
      if (notify_fd < 0)
        ret = -1;
    }
  if (ret == 0)
    ret = ocirt_sync_send (s.sync[0], OCIRT_SYNC_EXEC, err);
  if (ret == 0)
    ret = ocirt_sync_expect_exec (s.sync[0], err);
  /* Now the user's program gets them, those held meanwhile first.  */
  if (ret == 0 && !o->detach)
    ocirt_signals_forward_to (s.pid);
  if (ret == 0)
    {
      struct ocirt_container_state st = { .id = (char *) o->id, .pid = s.pid, .bundle = s.bundle };
      ret = run_poststart (&st, s.spec, err);
    }
  if (ret == 0 && notify_fd >= 0)
    {
      cleanup_close int pidfd = syscall (SYS_pidfd_open, s.pid, 0);
      ret = ocirt_notify_forward (notify_fd, s.notify_socket, pidfd, err);
    }
  if (notify_fd >= 0)
    close (notify_fd);
  if (ret < 0)
    {
      spawn_abort (&s);
      spawn_release (&s);
      return -1;
    }
  if (o->detach)
    {
      spawn_release (&s);
      return 0;
    }

  /* The lock is not held while the program runs.  */
  close_fd (&s.dirfd);
  if (s.console_peer >= 0)
    {
      cleanup_close int master = ocirt_recv_fd (s.console_peer, err);
      const oci_process *p = s.spec->process;

      if (master < 0 || ocirt_terminal_proxy (master, p->console_size != NULL, err) < 0)
        {
          kill (s.pid, SIGKILL);
          ocirt_warn ("%s", (*err)->msg);
          ocirt_error_release (err);
        }
    }
  while (waitpid (s.pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        ocirt_make_error (err, errno, "wait for the container process");
        spawn_release (&s);
        return -1;
      }
  ocirt_signals_stop_forwarding ();
  s.pid = 0;
  ret = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  if (cleanup_after_run (&s, err) < 0)
    ret = -1;
  else if (!o->keep)
    {
      struct ocirt_container_state st = { .id = (char *) o->id, .pid = 0, .bundle = s.bundle };
      run_poststop (&st, s.spec);
    }
  spawn_release (&s);
  return ret;
}

/* ---- the other commands -------------------------------------------- */

static int
pidfd_open_checked (const struct ocirt_container_state *st)
{
  int fd = syscall (SYS_pidfd_open, st->pid, 0);

  /* The pid may have been reused between reading the state and here.  */
  if (fd >= 0 && !ocirt_state_process_alive (st))
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  return fd;
}

/* The poststart and poststop hooks of a container made by an earlier
   command, in *SPEC: from OCIRT_HOOKS_FILE (NULL when there is none: no
   such hooks), or from the config for a state written before that file
   existed.  */
static int
saved_hooks (int dirfd, const struct ocirt_container_state *st, oci_spec **spec, ocirt_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *perr = NULL;
  size_t len;

  *spec = NULL;
  if (!st->hooks_saved)
    {
      *spec = ocirt_config_load (st->bundle, st->config, err);
      return *spec ? 0 : -1;
    }
  if (read_file_at (dirfd, OCIRT_HOOKS_FILE, &data, &len, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      ocirt_error_release (err);
      return 0;
    }
  *spec = oci_spec_parse_data (data, len, &perr);
  if (*spec == NULL)
    return ocirt_make_error (err, 0, "%s of `%s`: %s", OCIRT_HOOKS_FILE, st->id,
                             perr ? perr : "cannot parse");
  return 0;
}

/* poststart: a failure stops the container and is reported.  */
static int
run_poststart (const struct ocirt_container_state *st, const oci_spec *spec, ocirt_error_t *err)
{
  cleanup_free char *state = NULL;
  int ret = 0;

  if (spec && spec->hooks && spec->hooks->poststart_len)
    {
      state = ocirt_hooks_state (spec, st->id, st->pid, st->bundle, "running");
      ret = ocirt_hooks_run (spec->hooks->poststart, spec->hooks->poststart_len, "poststart",
                             state, err);
      if (ret < 0)
        kill (st->pid, SIGKILL);
    }
  return ret;
}

/* poststop: after the container is gone; a failure is only logged.  */
static void
run_poststop (const struct ocirt_container_state *st, const oci_spec *spec)
{
  cleanup_free char *state = NULL;

  if (spec && spec->hooks && spec->hooks->poststop_len)
    {
      state = ocirt_hooks_state (spec, st->id, st->pid, st->bundle, "stopped");
      ocirt_hooks_run_all (spec->hooks->poststop, spec->hooks->poststop_len, "poststop", state);
    }
}

int
ocirt_container_start (const char *root, const char *id, ocirt_error_t *err)
{
  struct ocirt_container_state st;
  cleanup_close int dirfd = -1;
  cleanup_close int fifo = -1;
  cleanup_close int pidfd = -1;
  cleanup_close int notify_fd = -1;
  enum ocirt_status status;
  oci_spec *hooks = NULL;
  char msg[4096];
  ssize_t n;
  int ret = -1;

  dirfd = ocirt_state_open_read (root, id, true, &st, err);
  if (dirfd < 0)
    return -1;
  status = ocirt_state_status (dirfd, &st);
  if (status != OCIRT_STATUS_CREATED)
    {
      if (status == OCIRT_STATUS_STOPPED)
        ocirt_make_error (err, 0, "cannot start container `%s`: it has stopped", id);
      else
        ocirt_make_error (err, 0, "cannot start container `%s`: it is %s, not created", id,
                          ocirt_status_name (status));
      goto out;
    }
  /* Read before the container runs: a start that cannot run its hooks
     does not start it.  */
  if (saved_hooks (dirfd, &st, &hooks, err) < 0)
    goto out;
  if (st.notify_socket)
    {
      cleanup_free char *dir = xasprintf ("%s/%s", root, id);
      notify_fd = ocirt_notify_listen (dir, err);
      if (notify_fd < 0)
        goto out;
    }
  fifo = openat (dirfd, OCIRT_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      ocirt_make_error (err, errno, "open exec fifo of `%s`", id);
      goto out;
    }
  pidfd = pidfd_open_checked (&st);
  for (;;)
    {
      struct pollfd fds[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      int r = poll (fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);

      if (r < 0 && errno != EINTR)
        {
          ocirt_make_error (err, errno, "wait for container `%s`", id);
          goto out;
        }
      if (r > 0 && (fds[0].revents & POLLIN))
        break;
      if ((r > 0 && pidfd >= 0 && (fds[1].revents & POLLIN)) || (fds[0].revents & POLLHUP)
          || !ocirt_state_process_alive (&st))
        {
          ocirt_make_error (err, 0, "cannot start container `%s`: its process has exited", id);
          goto out;
        }
    }
  n = read (fifo, msg, sizeof (msg) - 1);
  if (n <= 0)
    {
      ocirt_make_error (err, 0, "cannot start container `%s`: its process has exited", id);
      goto out;
    }
  msg[n] = '\0';
  if (unlinkat (dirfd, OCIRT_EXEC_FIFO, 0) < 0)
    {
      ocirt_make_error (err, errno, "remove exec fifo of `%s`", id);
      goto out;
    }
  if (strcmp (msg, "0") != 0)
    {
      ocirt_make_error (err, 0, "cannot start container `%s`: %s", id, msg);
      goto out;
    }
  ret = run_poststart (&st, hooks, err);
  /* As with runc, start returns once the container said it is ready.  */
  if (ret == 0 && notify_fd >= 0)
    ret = ocirt_notify_forward (notify_fd, st.notify_socket, pidfd, err);
out:
  free_oci_spec (hooks);
  ocirt_state_free (&st);
  return ret;
}

char *
ocirt_container_state_json (const char *root, const char *id, ocirt_error_t *err)
{
  struct ocirt_container_state st;
  cleanup_close int dirfd = -1;
  char *json;

  dirfd = ocirt_state_open_read (root, id, false, &st, err);
  if (dirfd < 0)
    return NULL;
  json = ocirt_state_to_oci_json (&st, ocirt_state_status (dirfd, &st), true);
  ocirt_state_free (&st);
  return json;
}

static int
signal_process (const struct ocirt_container_state *st, int signo, ocirt_error_t *err)
{
  cleanup_close int pidfd = pidfd_open_checked (st);

  if (pidfd >= 0)
    {
      if (syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0) < 0)
        return ocirt_make_error (err, errno, "kill container `%s`", st->id);
      return 0;
    }
  if (errno == ESRCH)
    return ocirt_make_error (err, 0, "container `%s` is not running", st->id);
  /* No pidfd support: the start time check above is the guard.  */
  if (!ocirt_state_process_alive (st) || kill (st->pid, signo) < 0)
    return ocirt_make_error (err, 0, "container `%s` is not running", st->id);
  return 0;
}

static int
signal_all (const struct ocirt_container_state *st, int signo, ocirt_error_t *err)
{
  struct ocirt_cgroup cg;
  int ret;

  if (ocirt_cgroup_from_state (st, &cg, err) < 0)
    return -1;
  ret = ocirt_cgroup_kill_all (&cg, signo, err);
  ocirt_cgroup_release (&cg);
  if (ret < 0)
    return ocirt_error_prefix (err, "kill container `%s`", st->id);
  return 0;
}

int
ocirt_container_kill (const char *root, const char *id, int signo, bool all, ocirt_error_t *err)
{
  struct ocirt_container_state st;
  cleanup_close int dirfd = -1;
  enum ocirt_status status;
  int ret;

  dirfd = ocirt_state_open_read (root, id, false, &st, err);
  if (dirfd < 0)
    return -1;
  status = ocirt_state_status (dirfd, &st);
  if (status == OCIRT_STATUS_STOPPED && !all)
    ret = ocirt_make_error (err, 0, "container `%s` is not running", id);
  else if (status == OCIRT_STATUS_CREATING && !all)
    ret = ocirt_make_error (err, 0, "container `%s` is being created", id);
  else if (all)
    ret = signal_all (&st, signo, err);
  else
    ret = signal_process (&st, signo, err);
  ocirt_state_free (&st);
  return ret;
}

/* A frozen v1 task does not die of SIGKILL until it is thawed.  */
static void
thaw (const struct ocirt_container_state *st)
{
  struct ocirt_cgroup cg;
  ocirt_error_t e = NULL;

  if (ocirt_cgroup_from_state (st, &cg, &e) == 0)
    {
      if (ocirt_cgroup_frozen (&cg) && ocirt_cgroup_freeze (&cg, false, &e) < 0)
        ocirt_warn ("%s", e->msg);
      ocirt_cgroup_release (&cg);
    }
  ocirt_error_release (&e);
}

/* SIGKILL everything in the container and wait for the init to be gone. */
static void
kill_and_wait (const struct ocirt_container_state *st)
{
  cleanup_close int pidfd = pidfd_open_checked (st);
  ocirt_error_t e = NULL;
  int i;

  if (pidfd >= 0)
    syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  signal_all (st, SIGKILL, &e);
  ocirt_error_release (&e);
  thaw (st);
  if (pidfd >= 0)
    {
      struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
      poll (&pfd, 1, 10000);
      return;
    }
  for (i = 0; i < 1000 && ocirt_state_process_alive (st); i++)
    {
      struct timespec ts = { 0, 5 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

int
ocirt_container_delete (const char *root, const char *id, bool force, ocirt_error_t *err)
{
  struct ocirt_container_state st;
  cleanup_error ocirt_error_t hooks_err = NULL;
  cleanup_close int dirfd = -1;
  enum ocirt_status status;
  oci_spec *hooks = NULL;
  int ret = -1, waits = 0, tries;

  for (tries = 0;; tries++)
    {
      cleanup_free char *path = NULL;

      dirfd = ocirt_state_dir_open (root, id, true, err);
      if (dirfd >= 0)
        break;
      /* As runc: forcing the delete of what is not there is done.  A
         directory removed while we waited for its lock may have been
         claimed again by a new create: then look again.  */
      if (!force || !ocirt_id_valid (id) || faccessat (AT_FDCWD, root, F_OK, 0) < 0 || tries == 20)
        return -1;
      path = xasprintf ("%s/%s", root, id);
      if (access (path, F_OK) < 0 && errno == ENOENT)
        {
          ocirt_error_release (err);
          return 0;
        }
      ocirt_error_release (err);
    }
  while (ocirt_state_read (dirfd, &st, err) < 0)
    {
      cleanup_error ocirt_error_t why = NULL;
      struct stat sb;

      if (!force)
        return ocirt_error_prefix (err, "container `%s`", id);
      why = steal_pointer (err);
      if (fstat (dirfd, &sb) == 0 && sb.st_nlink == 0)
        return 0; /* deleted while we waited for the lock */
      if (faccessat (dirfd, OCIRT_STATE_FILE, F_OK, 0) < 0 && errno == ENOENT
          && faccessat (dirfd, OCIRT_CREATE_FILE, F_OK, 0) < 0 && errno == ENOENT)
        {
          /* A create died before it wrote anything, or is about to lock it:
             then wait for it and read again.  */
          if (ocirt_state_dir_abandoned (root, dirfd))
            return ocirt_state_dir_remove (root, id, err);
          if (++waits < 100)
            continue;
          return ocirt_make_error (err, 0, "container `%s`: %s", id, why->msg);
        }
      /* state.json is unreadable: create.json still names the cgroups,
         and so the processes, to clean up.  */
      if (faccessat (dirfd, OCIRT_STATE_FILE, F_OK, 0) == 0
          && ocirt_state_read_file (dirfd, OCIRT_CREATE_FILE, &st, err) == 0)
        {
          ocirt_warn ("container `%s`: %s; cleaning up from %s", id, why->msg, OCIRT_CREATE_FILE);
          st.pid = 0;
          break;
        }
      ocirt_error_release (err);
      ocirt_warn ("container `%s`: %s; removing its state directory", id, why->msg);
      return ocirt_state_dir_remove (root, id, err);
    }
  status = ocirt_state_status (dirfd, &st);
  if (status != OCIRT_STATUS_STOPPED && status != OCIRT_STATUS_CREATED && !force)
    {
      ocirt_make_error (err, 0, "cannot delete container %s that is not stopped: %s", id,
                        ocirt_status_name (status));
      goto out;
    }
  if (status != OCIRT_STATUS_STOPPED)
    kill_and_wait (&st);
  else
    {
      /* The init is gone, but without a pid namespace others may not be. */
      ocirt_error_t e = NULL;
      signal_all (&st, SIGKILL, &e);
      ocirt_error_release (&e);
      thaw (&st);
    }
  if (ocirt_cgroup_remove_dirs (st.cgroup_dirs, st.cgroup_dirs_len, err) < 0)
    goto out;
  /* systemd owns the scope's directories: it removes them.  */
  if (ocirt_systemd_cgroup_destroy_state (&st, err) < 0)
    goto out;
  /* Not for a create that died before the container existed.  Read
     before the state directory goes.  */
  if (st.pid > 0 && saved_hooks (dirfd, &st, &hooks, &hooks_err) < 0)
    ocirt_warn ("poststop hooks of `%s` not run: %s", id, hooks_err->msg);
  ret = ocirt_state_dir_remove (root, id, err);
  if (ret == 0)
    run_poststop (&st, hooks);
out:
  free_oci_spec (hooks);
  ocirt_state_free (&st);
  return ret;
}

static int
compare_entries (const void *a, const void *b)
{
  const struct ocirt_list_entry *x = a, *y = b;
  return strcmp (x->st.id, y->st.id);
}

int
ocirt_container_list (const char *root, struct ocirt_list_entry **entries, size_t *n,
                      ocirt_error_t *err)
{
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;
  size_t alloc = 16;

  *entries = NULL;
  *n = 0;
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return ocirt_make_error (err, errno, "open state root `%s`", root);
    }
  *entries = xmalloc0 (sizeof (**entries) * alloc);
  while ((de = readdir (d)))
    {
      struct ocirt_list_entry *e;
      ocirt_error_t tmp = NULL;
      int fd;

      if (de->d_name[0] == '.' || !ocirt_id_valid (de->d_name))
        continue;
      fd = openat (dirfd (d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        continue;
      if (*n == alloc)
        {
          alloc *= 2;
          *entries = realloc (*entries, sizeof (**entries) * alloc);
          if (*entries == NULL)
            abort ();
        }
      e = &(*entries)[*n];
      if (ocirt_state_read (fd, &e->st, &tmp) < 0)
        {
          /* Being created or removed right now.  */
          ocirt_error_release (&tmp);
          close (fd);
          continue;
        }
      e->status = ocirt_state_status (fd, &e->st);
      close (fd);
      (*n)++;
    }
  qsort (*entries, *n, sizeof (**entries), compare_entries);
  return 0;
}

void
ocirt_container_list_free (struct ocirt_list_entry *entries, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    ocirt_state_free (&entries[i].st);
  free (entries);
}
