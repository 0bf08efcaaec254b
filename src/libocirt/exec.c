#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle.h"
#include "cgroup.h"
#include "exec.h"
#include "log.h"
#include "lsm.h"
#include "namespaces.h"
#include "process.h"
#include "process_attrs.h"
#include "seccomp.h"
#include "signals.h"
#include "state.h"
#include "state_status.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

static char **
strv_dup (char **v, size_t n, size_t extra)
{
  char **out = xmalloc0 (sizeof (char *) * (n + extra + 1));
  size_t i;

  for (i = 0; i < n; i++)
    out[i] = xstrdup (v[i]);
  return out;
}

static void
strv_replace (char ***v, size_t *n, char **with, size_t nwith)
{
  size_t i;

  for (i = 0; i < *n; i++)
    free ((*v)[i]);
  free (*v);
  *v = strv_dup (with, nwith, 0);
  *n = nwith;
}

static void
caps_add (char ***set, size_t *n, char **caps, size_t ncaps)
{
  size_t i;

  *set = realloc (*set, sizeof (char *) * (*n + ncaps + 1));
  if (*set == NULL)
    abort ();
  for (i = 0; i < ncaps; i++)
    (*set)[(*n)++] = xstrdup (caps[i]);
  (*set)[*n] = NULL;
}

/* The container's own process, with the command line's args and terminal. */
static oci_process *
copy_container_process (const struct ocirt_exec_options *o, const oci_spec *spec, ocirt_error_t *err)
{
  cleanup_free char *perr = NULL;
  cleanup_free char *json = oci_process_to_json (spec->process, false, &perr);
  cleanup_process oci_process *p = NULL;

  if (json == NULL || (p = oci_process_parse_data (json, strlen (json), &perr)) == NULL)
    {
      ocirt_error_make (err, 0, "copy the container's process: %s", perr ? perr : "");
      return NULL;
    }
  if (o->nargs == 0)
    {
      ocirt_error_make (err, 0, "exec: no command given");
      return NULL;
    }
  strv_replace (&p->args, &p->args_len, o->args, o->nargs);
  p->terminal = o->tty;
  p->terminal_present = true;
  return steal_pointer (&p);
}

/* --process, or a copy of the container's own.  */
static oci_process *
load_process (const struct ocirt_exec_options *o, const oci_spec *spec, ocirt_error_t *err)
{
  cleanup_free char *perr = NULL;
  oci_process *p;

  if (o->process_path == NULL)
    return copy_container_process (o, spec, err);
  p = oci_process_parse_file (o->process_path, &perr);
  if (p == NULL)
    ocirt_error_make (err, 0, "%s: %s", o->process_path, perr ? perr : "cannot parse");
  return p;
}

/* --user and --additional-gids.  */
static int
apply_user (const struct ocirt_exec_options *o, oci_process *p, ocirt_error_t *err)
{
  size_t i;

  if (o->user == NULL && o->ngids == 0)
    return 0;
  if (p->user == NULL)
    p->user = xmalloc0 (sizeof (*p->user));
  p->user->uid_present = p->user->gid_present = true;
  if (o->user)
    {
      unsigned uid, gid;
      bool has_gid;

      if (ocirt_utils_parse_user (o->user, &uid, &gid, &has_gid) < 0)
        return ocirt_error_make (err, 0, "exec: invalid --user `%s`: expected UID[:GID]", o->user);
      p->user->uid = uid;
      p->user->gid = has_gid ? gid : 0;
    }
  if (o->ngids == 0)
    return 0;
  free (p->user->additional_gids);
  p->user->additional_gids = xmalloc0 (sizeof (uint32_t) * (o->ngids + 1));
  p->user->additional_gids_len = o->ngids;
  for (i = 0; i < o->ngids; i++)
    {
      unsigned long long g;

      if (!ocirt_utils_parse_ulong (o->additional_gids[i], &g) || g >= 0xffffffffULL)
        return ocirt_error_make (err, 0, "exec: invalid --additional-gids `%s`", o->additional_gids[i]);
      p->user->additional_gids[i] = (uint32_t) g;
    }
  return 0;
}

/* --cap, --no-new-privs, --apparmor and --process-label.  */
static void
apply_privileges (const struct ocirt_exec_options *o, oci_process *p)
{
  if (o->ncaps)
    {
      if (p->capabilities == NULL)
        p->capabilities = xmalloc0 (sizeof (*p->capabilities));
      caps_add (&p->capabilities->bounding, &p->capabilities->bounding_len, o->caps, o->ncaps);
      caps_add (&p->capabilities->effective, &p->capabilities->effective_len, o->caps, o->ncaps);
      caps_add (&p->capabilities->permitted, &p->capabilities->permitted_len, o->caps, o->ncaps);
      caps_add (&p->capabilities->ambient, &p->capabilities->ambient_len, o->caps, o->ncaps);
    }
  if (o->no_new_privs)
    {
      p->no_new_privileges = true;
      p->no_new_privileges_present = true;
    }
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor);
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->process_label);
    }
}

/* The process to run: --process, or the container's own with the command
   line's changes.  */
static oci_process *
build_process (const struct ocirt_exec_options *o, const oci_spec *spec, ocirt_error_t *err)
{
  cleanup_process oci_process *p = load_process (o, spec, err);
  size_t i;

  if (p == NULL)
    return NULL;
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  for (i = 0; i < o->nenv; i++)
    {
      if (strchr (o->env[i], '=') == NULL)
        {
          ocirt_error_make (err, 0, "exec: invalid --env `%s`: expected KEY=VALUE", o->env[i]);
          return NULL;
        }
      ocirt_process_setenv (p, o->env[i]);
    }
  if (apply_user (o, p, err) < 0)
    return NULL;
  apply_privileges (o, p);
  if (p->cwd == NULL || p->cwd[0] != '/')
    {
      ocirt_error_make (err, 0, "exec: cwd `%s` is not an absolute path", p->cwd ? p->cwd : "");
      return NULL;
    }
  return steal_pointer (&p);
}

/* The namespaces of the container's init that are not ours.  */
static int
plan_namespaces (pid_t pid, struct ocirt_ns_plan *plan, ocirt_error_t *err)
{
  static const struct
  {
    const char *file;
    int flag;
  } ns[] = {
    { "user", CLONE_NEWUSER },
    { "ipc", CLONE_NEWIPC },
    { "uts", CLONE_NEWUTS },
    { "net", CLONE_NEWNET },
    { "pid", CLONE_NEWPID },
    { "cgroup", CLONE_NEWCGROUP },
    { "time", 0x80 /* CLONE_NEWTIME */ },
    { "mnt", CLONE_NEWNS },
  };
  size_t i;

  memset (plan, 0, sizeof (*plan));
  for (i = 0; i < ARRAY_SIZE (ns); i++)
    {
      char theirs[64], mine[64];
      struct stat a, b;
      int fd;

      snprintf (theirs, sizeof (theirs), "/proc/%d/ns/%s", pid, ns[i].file);
      snprintf (mine, sizeof (mine), "/proc/self/ns/%s", ns[i].file);
      if (stat (theirs, &a) < 0)
        {
          if (errno == ENOENT && access ("/proc/self/ns", F_OK) == 0 && stat (mine, &b) < 0)
            continue; /* the kernel lacks this namespace type */
          ocirt_ns_plan_release (plan);
          return ocirt_error_make (err, errno, "stat `%s`", theirs);
        }
      if (stat (mine, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        continue;
      fd = open (theirs, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          ocirt_ns_plan_release (plan);
          return ocirt_error_make (err, errno, "open `%s`", theirs);
        }
      plan->join[plan->njoin].type = ns[i].flag;
      plan->join[plan->njoin++].fd = fd;
    }
  return 0;
}

/* Whether NAME (LEN bytes) is one of the comma-separated LIST.  */
static bool
in_list (const char *list, const char *name, size_t len)
{
  while (*list)
    {
      size_t n = strcspn (list, ",");

      if (n == len && strncmp (list, name, len) == 0)
        return true;
      list += n + (list[n] == ',');
    }
  return false;
}

/* Whether the comma-separated CONTROLLERS (LEN bytes) of a --cgroup
   argument name one of the hierarchy's (DIR_CTRLS, "cpu,cpuacct").  */
static bool
names_hierarchy (const char *controllers, size_t len, const char *dir_ctrls)
{
  const char *end = controllers + len;

  while (controllers < end)
    {
      size_t n = strcspn (controllers, ",:");

      if (in_list (dir_ctrls, controllers, n))
        return true;
      controllers += n + 1;
    }
  return false;
}

/* The sub-cgroup the --cgroup arguments give the hierarchy of DIR, or
   NULL: a plain path (alone) goes to every hierarchy, as in runc; on v2
   only a plain path counts.  */
static int
sub_cgroup_of (const struct ocirt_exec_options *o, const struct ocirt_cgroup_dir *dir, const char **sub,
               ocirt_error_t *err)
{
  size_t i;

  *sub = NULL;
  for (i = 0; i < o->ncgroups; i++)
    {
      const char *arg = o->cgroups[i], *colon = strchr (arg, ':');
      const char *path = colon ? colon + 1 : arg;

      if (colon && strchr (path, ':'))
        return ocirt_error_make (err, 0, "exec: invalid --cgroup argument `%s`", arg);
      if (!colon && o->ncgroups != 1)
        return ocirt_error_make (err, 0,
                                 "exec: invalid --cgroup argument `%s` (missing <controller>: prefix)",
                                 arg);
      if (strstr (path, ".."))
        return ocirt_error_make (err, 0, "exec --cgroup `%s`: not a path below the container's cgroup",
                                 arg);
      if (!colon || (!dir->unified && names_hierarchy (arg, colon - arg, dir->controllers)))
        *sub = path;
    }
  return 0;
}

/* The container's init's own cgroup on v2: where an exec goes when the
   container's cgroup has children with controllers (EBUSY), as in runc.  */
static char *
init_cgroup_v2 (const struct ocirt_cgroup_dir *dir, pid_t init)
{
  char path[64], line[PATH_MAX + 8];
  cleanup_fclose FILE *f = NULL;

  snprintf (path, sizeof (path), "/proc/%d/cgroup", (int) init);
  f = fopen (path, "re");
  while (f && fgets (line, sizeof (line), f))
    if (strncmp (line, "0::", 3) == 0)
      {
        line[strcspn (line, "\n")] = '\0';
        return xasprintf ("%s%s", dir->mount, line + 3);
      }
  return NULL;
}

/* Into the container's directory in every hierarchy, or the sub-cgroups
   of it that --cgroup names.  */
static int
join_cgroups (const struct ocirt_container_state *st, const struct ocirt_exec_options *o, pid_t pid,
              ocirt_error_t *err)
{
  cleanup_cgroup struct ocirt_cgroup cg = { 0 };
  cleanup_free char *fallback = NULL;
  size_t i;

  if (ocirt_cgroup_from_state (st, &cg, err) < 0)
    return -1;
  for (i = 0; i < cg.ndirs; i++)
    {
      const char *sub;
      char *p;

      if (sub_cgroup_of (o, &cg.dirs[i], &sub, err) < 0)
        return -1;
      if (sub == NULL || sub[strspn (sub, "/")] == '\0')
        continue;
      p = xasprintf ("%s/%s", cg.dirs[i].path, sub + strspn (sub, "/"));
      free (cg.dirs[i].path);
      cg.dirs[i].path = p;
    }
  if (ocirt_cgroup_enter (&cg, pid, err) == 0)
    return 0;
  if (cg.mode != OCIRT_CGROUP_V2 || o->ncgroups || (*err)->status != EBUSY || cg.ndirs != 1
      || (fallback = init_cgroup_v2 (&cg.dirs[0], st->pid)) == NULL)
    return ocirt_error_prefix (err, "join the container's cgroup");
  ocirt_debug ("exec: the container's cgroup is busy, joining init's %s", fallback);
  ocirt_error_release (err);
  free (cg.dirs[0].path);
  cg.dirs[0].path = steal_pointer (&fallback);
  if (ocirt_cgroup_enter (&cg, pid, err) < 0)
    return ocirt_error_prefix (err, "join the container's cgroup");
  return 0;
}

struct exec_child
{
  oci_process *p;
  const oci_linux *linux; /* the container's personality and memoryPolicy */
  bool keep_groups;       /* the container's run.oci.keep_original_groups */
  struct ocirt_seccomp *seccomp;
  struct ocirt_ns_plan ns;
  int sync[2];
  int console_fd;
  int pidfd_sock; /* --pidfd-socket, connected */
  int preserve_fds;
};

static void
exec_child_release (struct exec_child *c)
{
  close_fd (&c->sync[0]);
  close_fd (&c->sync[1]);
  close_fd (&c->console_fd);
  close_fd (&c->pidfd_sock);
  ocirt_ns_plan_release (&c->ns);
  ocirt_seccomp_free (c->seccomp);
  free_oci_process (c->p);
}

#define cleanup_exec_child __attribute__ ((cleanup (exec_child_release)))

/* Born in the container's pid namespace from a process already in all
   its other namespaces: no instant where the container sees it with the
   host's root or cwd (/proc/PID/root).  Its parent is the runtime, which
   learns its pid from this process, and then this process leaves.  */
static int
fork_in_namespaces (struct exec_child *c, ocirt_error_t *err)
{
  int pp[2];
  char go;
  pid_t pid;

  /* pid first, with the runtime's own rights over the namespace's owner,
     which a joined user namespace would take away.  */
  if (ocirt_ns_join_pid (&c->ns, err) < 0 || ocirt_ns_join_in_child (&c->ns, err) < 0)
    return -1;
  if (pipe2 (pp, O_CLOEXEC) < 0)
    return ocirt_error_make (err, errno, "pipe for the exec process");
  pid = syscall (SYS_clone, (unsigned long) CLONE_PARENT, NULL, NULL, NULL, NULL);
  if (pid < 0)
    return ocirt_error_make (err, errno, "clone the exec process");
  if (pid > 0)
    {
      close (pp[0]);
      if (ocirt_sync_send_value (c->sync[1], OCIRT_SYNC_PID, pid, err) < 0 || write (pp[1], "1", 1) != 1)
        _exit (1);
      _exit (0);
    }
  /* Only once the runtime knows us: an error of ours must come after.  */
  close (pp[1]);
  if (read (pp[0], &go, 1) != 1)
    _exit (1);
  close (pp[0]);
  return 0;
}

static int
exec_child_setup (struct exec_child *c, char **exe, char ***envp, ocirt_error_t *err)
{
  bool seccomp = c->seccomp != NULL;

  if (fork_in_namespaces (c, err) < 0)
    return -1;
  if (c->console_fd >= 0)
    {
      if (ocirt_terminal_setup (c->console_fd, c->p, false, err) < 0)
        return -1;
      close_fd (&c->console_fd);
    }
  else if (setsid () < 0 && errno != EPERM)
    return ocirt_error_make (err, errno, "setsid");
  if (ocirt_process_attrs_apply_linux (c->linux, err) < 0)
    return -1;
  /* The cgroup grants real-time runtime: be in it to ask for a policy.  */
  if (c->p->scheduler && ocirt_sync_expect (c->sync[1], OCIRT_SYNC_CGROUP, err) < 0)
    return -1;
  if (ocirt_process_prepare_exec (c->p, c->keep_groups, seccomp, c->preserve_fds, exe, envp, err) < 0)
    return -1;
  /* The runtime puts us in the container's cgroup meanwhile.  */
  if (!c->p->scheduler && ocirt_sync_expect (c->sync[1], OCIRT_SYNC_CGROUP, err) < 0)
    return -1;
  return ocirt_process_attrs_exec_affinity_final (c->p, err);
}

static void __attribute__ ((noreturn)) exec_child_main (struct exec_child *c)
{
  cleanup_error ocirt_error_t err = NULL;
  char *exe = NULL, **envp = NULL;

  ocirt_signals_child_reset ();
  close (c->sync[0]);
  close_fd (&c->pidfd_sock);
  /* Until execve this is the runtime's binary inside the container's pid
     namespace: keep /proc/PID/exe and its memory out of the container's
     reach.  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      ocirt_error_make (&err, errno, "prctl PR_SET_DUMPABLE");
      ocirt_sync_send_error (c->sync[1], &err);
      _exit (1);
    }
  if (exec_child_setup (c, &exe, &envp, &err) < 0)
    {
      ocirt_sync_send_error (c->sync[1], &err);
      _exit (1);
    }
  umask (c->p->user && c->p->user->umask_present ? c->p->user->umask : 0022);
  /* The container's filter applies to what it execs too.  */
  if (ocirt_seccomp_load (c->seccomp, &err) < 0)
    {
      ocirt_sync_send_error (c->sync[1], &err);
      _exit (1);
    }
  execve (exe, c->p->args, envp);
  ocirt_error_make (&err, errno, "exec `%s`", c->p->args[0]);
  ocirt_sync_send_error (c->sync[1], &err);
  _exit (127);
}

/* *PID, the process that joins the namespaces, tells the exec process's
   pid and goes: reap it, and *PID becomes the exec process (-1 when it
   failed to tell).  */
static int
wait_exec_process (int sync_fd, pid_t *pid, ocirt_error_t *err)
{
  int forked = -1;
  int ret = ocirt_sync_expect_value (sync_fd, OCIRT_SYNC_PID, &forked, err);

  if (ret < 0)
    kill (*pid, SIGKILL);
  ocirt_utils_waitpid (*pid, NULL, 0);
  *pid = ret < 0 ? -1 : forked;
  return ret;
}

static int
check_status (int dirfd, const struct ocirt_container_state *st, const struct ocirt_exec_options *o,
              ocirt_error_t *err)
{
  enum ocirt_status status = ocirt_state_status (dirfd, st);

  if (status == OCIRT_STATUS_STOPPED)
    return ocirt_error_make (err, 0, "cannot exec in a stopped container `%s`", o->id);
  if (status == OCIRT_STATUS_CREATING)
    return ocirt_error_make (err, 0, "cannot exec in container `%s`: it is being created", o->id);
  if (status == OCIRT_STATUS_PAUSED && !o->ignore_paused)
    return ocirt_error_make (err, 0, "cannot exec in a paused container `%s` (use --ignore-paused)",
                             o->id);
  return 0;
}

static int
check_terminal (const struct ocirt_exec_options *o, const oci_process *p, ocirt_error_t *err)
{
  if (p->terminal && o->console_socket == NULL)
    return ocirt_error_make (err, 0, "exec: a terminal needs --console-socket");
  if (!p->terminal && o->console_socket)
    return ocirt_error_make (err, 0, "exec: --console-socket given without --tty");
  return 0;
}

/* The filter is the container's; whether it must go in before the user
   switch depends on this process.  */
static int
prepare_seccomp (const struct ocirt_exec_options *o, const struct ocirt_container_state *st,
                 oci_spec *spec, struct exec_child *c, ocirt_error_t *err)
{
  oci_process *own = spec->process;
  int ret;

  spec->process = c->p;
  ocirt_seccomp_set_cache_dir (o->root);
  ret = ocirt_seccomp_prepare (spec, o->id, st->bundle, &c->seccomp, err);
  spec->process = own;
  return ret;
}

/* Everything the exec process needs, before it is cloned.  */
static int
prepare_child (const struct ocirt_exec_options *o, const struct ocirt_container_state *st,
               oci_spec *spec, struct exec_child *c, ocirt_error_t *err)
{
  c->p = build_process (o, spec, err);
  if (c->p == NULL)
    return -1;
  c->linux = spec->linux;
  c->keep_groups = ocirt_process_keep_groups (spec->annotations);
  if (ocirt_process_validate (c->p, err) < 0 || ocirt_lsm_validate (c->p, NULL, err) < 0
      || check_terminal (o, c->p, err) < 0)
    return -1;
  if (o->console_socket
      && (c->console_fd = ocirt_terminal_console_socket_connect (o->console_socket, err)) < 0)
    return -1;
  if (o->pidfd_socket && (c->pidfd_sock = ocirt_utils_pidfd_socket_connect (o->pidfd_socket, err)) < 0)
    return -1;
  if (prepare_seccomp (o, st, spec, c, err) < 0)
    return -1;
  if (plan_namespaces (st->pid, &c->ns, err) < 0 || ocirt_sync_pair (c->sync, err) < 0)
    return -1;
  /* The child must be as old as the init we checked: test it once more.  */
  if (!ocirt_state_process_alive (st))
    return ocirt_error_make (err, 0, "cannot exec in a stopped container `%s`", o->id);
  return 0;
}

/* Clone the exec process and see it into the container's cgroup and on to
   its program: its pid, or -1 with nothing left running.  */
static pid_t
spawn_exec (const struct ocirt_exec_options *o, const struct ocirt_container_state *st,
            struct exec_child *c, ocirt_error_t *err)
{
  cleanup_reap pid_t pid = -1;

  if (ocirt_signals_hold (err) < 0)
    return -1;
  fflush (NULL);
  pid = syscall (SYS_clone, (unsigned long) SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    return ocirt_error_make (err, errno, "clone the exec process");
  if (pid == 0)
    exec_child_main (c);
  ocirt_seccomp_after_clone (c->seccomp);
  close_fd (&c->sync[1]);
  close_fd (&c->console_fd);
  if (wait_exec_process (c->sync[0], &pid, err) < 0)
    return -1;
  if (ocirt_process_attrs_exec_affinity_initial (c->p, pid, err) < 0
      || join_cgroups (st, o, pid, err) < 0 || ocirt_sync_send (c->sync[0], OCIRT_SYNC_CGROUP, err) < 0
      || ocirt_sync_expect_exec (c->sync[0], err) < 0)
    return -1;
  if (c->pidfd_sock >= 0 && ocirt_utils_send_pidfd (c->pidfd_sock, pid, "setns", err) < 0)
    return -1;
  close_fd (&c->pidfd_sock);
  if (o->pid_file && ocirt_utils_write_pid_file (o->pid_file, pid, err) < 0)
    return -1;
  return steal_pid (&pid);
}

/* Until the exec process ends, with signals passed on to it: *EXIT_STATUS
   is its exit status (128+N for signal N).  */
static int
wait_exec (pid_t pid, int *exit_status, ocirt_error_t *err)
{
  int wstatus;

  ocirt_signals_forward_to (pid);
  if (ocirt_utils_waitpid (pid, &wstatus, 0) < 0)
    return ocirt_error_make (err, errno, "wait for the exec process");
  ocirt_signals_stop_forwarding ();
  *exit_status = WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : 128 + WTERMSIG (wstatus);
  return 0;
}

int
ocirt_exec_in_container (const struct ocirt_exec_options *o, int *exit_status, ocirt_error_t *err)
{
  cleanup_state struct ocirt_container_state st = { 0 };
  cleanup_spec oci_spec *spec = NULL;
  cleanup_exec_child struct exec_child c = {
    .sync = { -1, -1 },
    .console_fd = -1,
    .pidfd_sock = -1,
    .preserve_fds = o->preserve_fds,
  };
  cleanup_close int dirfd = -1;
  pid_t pid;

  dirfd = ocirt_state_open_read (o->root, o->id, false, &st, err);
  if (dirfd < 0 || check_status (dirfd, &st, o, err) < 0)
    return -1;
  spec = ocirt_bundle_load_config (st.bundle, st.config, err);
  if (spec == NULL || prepare_child (o, &st, spec, &c, err) < 0)
    return -1;
  pid = spawn_exec (o, &st, &c, err);
  if (pid < 0)
    return -1;
  *exit_status = 0;
  if (o->detach)
    return 0;
  return wait_exec (pid, exit_status, err);
}
