/* The container process from clone to execve: namespaces, rootfs, inner hooks, wait for start.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bundle.h"
#include "container_hooks.h"
#include "container_spawn.h"
#include "failpoint.h"
#include "hooks.h"
#include "log.h"
#include "mounts.h"
#include "path.h"
#include "process.h"
#include "process_attrs.h"
#include "procfs.h"
#include "signals.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

static int
set_hostname (const oci_spec *spec, ocirt_error_t *err)
{
  if (spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return ocirt_error_make (err, errno, "sethostname `%s`", spec->hostname);
  if (spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return ocirt_error_make (err, errno, "setdomainname `%s`", spec->domainname);
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
        return ocirt_error_make (err, 0, "invalid sysctl `%s`", key);
      path = xasprintf ("sys/%s", key);
      for (p = path + 4; *p; p++)
        if (*p == '.')
          *p = '/';
      if (ocirt_procfs_write (path, val, err) < 0)
        return ocirt_error_prefix (err, "set sysctl %s", key);
    }
  return 0;
}

/* Until the runtime has put this process in its cgroups: it says CGROUP,
   once.  */
static int
wait_in_cgroup (struct ocirt_spawn *s, ocirt_error_t *err)
{
  if (s->in_cgroup)
    return 0;
  if (ocirt_sync_expect (s->sync[1], OCIRT_SYNC_CGROUP, err) < 0)
    return -1;
  s->in_cgroup = true;
  return 0;
}

static int
run_child_hooks (const struct ocirt_spawn *s, oci_hook **hooks, size_t n, const char *kind,
                 const char *status, ocirt_error_t *err)
{
  cleanup_free char *state = NULL;

  if (n == 0)
    return 0;
  state = ocirt_hooks_state (s->spec, s->opts->id, s->pid, s->bundle, status);
  return ocirt_hooks_run (hooks, n, kind, state, err);
}

static int
start_container_hooks (struct ocirt_spawn *s, ocirt_error_t *err)
{
  const oci_hooks *h = s->spec->hooks;

  if (h == NULL)
    return 0;
  return run_child_hooks (s, h->start_container, h->start_container_len, "startContainer", "created",
                          err);
}

static int
wait_for_start (struct ocirt_spawn *s, ocirt_error_t *err)
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
    return ocirt_error_make (err, errno, "open exec fifo");
  /* `start` reads "0", or the reason the container cannot start.  */
  if (start_container_hooks (s, err) < 0)
    {
      ocirt_utils_write_all (fd, (*err)->msg, strlen ((*err)->msg));
      return -1;
    }
  if (ocirt_utils_write_all (fd, "0", 1) < 0)
    return ocirt_error_make (err, errno, "write exec fifo");
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

/* Mounts are in place, pivot_root is next: the runtime runs prestart and
   createRuntime, then createContainer runs here, in the container's
   namespaces with the host's filesystem still in view.  */
static int
before_pivot (void *data, ocirt_error_t *err)
{
  struct ocirt_spawn *s = data;
  const oci_hooks *h = s->spec->hooks;

  if (ocirt_container_hooks_at_create (s->spec))
    {
      if (wait_in_cgroup (s, err) < 0 || ocirt_sync_send (s->sync[1], OCIRT_SYNC_HOOKS, err) < 0
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
fork_into_pid_ns (struct ocirt_spawn *s, ocirt_error_t *err)
{
  int pp[2];
  pid_t pid;

  if (unshare (CLONE_NEWPID) < 0)
    return ocirt_error_make (err, errno, "unshare the pid namespace");
  if (pipe2 (pp, O_CLOEXEC) < 0)
    return ocirt_error_make (err, errno, "pipe for the container process");
  pid = fork ();
  if (pid < 0)
    return ocirt_error_make (err, errno, "fork the container process");
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
      return ocirt_error_make (err, EPIPE, "read the container process pid");
    }
  close (pp[0]);
  s->pid = pid;
  return 0;
}

/* From the rootfs on the host to "/" of the container: mounts, cwd,
   console, sysctls, masks.  */
static int
setup_rootfs (struct ocirt_spawn *s, struct ocirt_rootfs_ctx *rctx, ocirt_error_t *err)
{
  const oci_process *p = s->spec->process;

  ocirt_debug ("container process: mount the rootfs `%s`", s->rootfs);
  if (ocirt_mounts_prepare_rootfs (rctx, err) < 0)
    return -1;
  OCIRT_FAILPOINT ("child.rootfs");

  /* After pivot_root, "/" is the container's.  */
  {
    cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int cwdfd = -1;

    if (rootfd < 0)
      return ocirt_error_make (err, errno, "open /");
    cwdfd = ocirt_path_mkpath_in_root (rootfd, p->cwd, false, err);
    if (cwdfd < 0)
      return ocirt_error_prefix (err, "create cwd");
  }
  if (p->terminal && s->console_fd >= 0 && ocirt_terminal_setup (s->console_fd, p, true, err) < 0)
    return -1;
  close_fd (&s->console_fd);
  /* Sysctls may name a device the runtime moves in with the cgroup step. */
  if (s->netdevs && !(s->ns.unshare_flags & CLONE_NEWNET) && wait_in_cgroup (s, err) < 0)
    return -1;
  ocirt_debug ("container process: sysctls, masked and read-only paths");
  if (write_sysctls (s->spec->linux, err) < 0)
    return -1;
  return ocirt_mounts_finalize_rootfs (rctx, err);
}

/* A new session keyring named after the container, so that it does not
   share the caller's.  */
static int
join_session_keyring (const char *id, ocirt_error_t *err)
{
  cleanup_free char *name = xasprintf ("_ses.%s", id);

  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS && errno != EPERM)
    return ocirt_error_make (err, errno, "join session keyring");
  return 0;
}

/* From clone to the container's namespaces: GO from the runtime, the
   namespaces joined and made, a session of its own, the hostname.  */
static int
enter_namespaces (struct ocirt_spawn *s, ocirt_error_t *err)
{
  int pid;

  OCIRT_FAILPOINT ("child.cloned");
  if (s->self_join && ocirt_cgroup_enter_self (&s->cg, true, false, err) < 0)
    return -1;
  if (ocirt_sync_expect_value (s->sync[1], OCIRT_SYNC_GO, &pid, err) < 0)
    return -1;
  s->pid = pid;
  if (s->unprivileged && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return ocirt_error_make (err, errno, "prctl PR_SET_DUMPABLE");

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
  if ((s->ns.unshare_flags & CLONE_NEWCGROUP) && wait_in_cgroup (s, err) < 0)
    return -1;
  if (ocirt_ns_unshare_in_child (&s->ns, s->spec->linux, err) < 0)
    return -1;
  if ((s->ns.new_flags & CLONE_NEWNET) && ocirt_netdev_loopback_up (err) < 0)
    return -1;
  OCIRT_FAILPOINT ("child.namespaces");
  if (setsid () < 0)
    return ocirt_error_make (err, errno, "setsid");
  return set_hostname (s->spec, err);
}

static int
child_setup (struct ocirt_spawn *s, char **exe, char ***envp, ocirt_error_t *err)
{
  const oci_spec *spec = s->spec;
  const oci_process *p = spec->process;
  struct ocirt_rootfs_ctx rctx = {
    .spec = spec,
    .rootfs = s->rootfs,
    .bundle = s->bundle,
    .cgroup = s->have_cgroup ? &s->cg : NULL,
    .userns = ocirt_ns_in_config (spec, "user"),
    .cgroupns = (s->ns.new_flags & CLONE_NEWCGROUP) != 0,
    .no_pivot = s->opts->no_pivot,
    .mountns = ocirt_ns_in_config (spec, "mount"),
    .console_fd = -1,
    .idmap_fds = s->idmap_fds,
    .before_pivot = before_pivot,
    .data = s,
  };

  if (enter_namespaces (s, err) < 0)
    return -1;
  /* Modes of created files and devices are exact; the process gets its own
     umask before exec.  */
  umask (0);
  if (setup_rootfs (s, &rctx, err) < 0)
    return -1;

  if (!s->opts->no_new_keyring && join_session_keyring (s->opts->id, err) < 0)
    return -1;
  /* The cgroup grants real-time runtime: be in it to ask for a policy.  */
  if (p->scheduler && wait_in_cgroup (s, err) < 0)
    return -1;
  if (ocirt_process_attrs_apply_linux (spec->linux, err) < 0)
    return -1;
  ocirt_debug ("container process: limits, user %u:%u, capabilities, cwd `%s`",
               p->user ? p->user->uid : 0, p->user ? p->user->gid : 0, p->cwd);
  if (ocirt_process_prepare_exec (p, s->seccomp != NULL, s->preserve_fds, exe, envp, err) < 0)
    return -1;
  return wait_in_cgroup (s, err);
}

void
ocirt_container_child_main (struct ocirt_spawn *s)
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
      ocirt_error_make (&err, errno, "prctl PR_SET_DUMPABLE");
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
      ocirt_log_write (OCIRT_LOG_ERROR, "%s", err->msg);
      _exit (1);
    }
  execve (exe, argv, envp);
  ocirt_error_make (&err, errno, "exec `%s`", p->args[0]);
  if (s->fifo_fd < 0)
    ocirt_sync_send_error (s->sync[1], &err);
  else
    ocirt_log_write (OCIRT_LOG_ERROR, "%s", err->msg);
  _exit (127);
}
