/* Operations on an existing container: start, state, kill, delete, list.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "cgroup.h"
#include "cgroup_systemd.h"
#include "container.h"
#include "container_hooks.h"
#include "log.h"
#include "notify.h"
#include "state.h"
#include "state_json.h"
#include "state_status.h"
#include "utils.h"

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

/* Whether the container ID of ST may start: it is created.  */
static int
check_created (int dirfd, const struct ocirt_container_state *st, const char *id, ocirt_error_t *err)
{
  enum ocirt_status status = ocirt_state_status (dirfd, st);

  if (status == OCIRT_STATUS_CREATED)
    return 0;
  if (status == OCIRT_STATUS_STOPPED)
    return ocirt_error_make (err, 0, "cannot start container `%s`: it has stopped", id);
  return ocirt_error_make (err, 0, "cannot start container `%s`: it is %s, not created", id,
                           ocirt_state_status_name (status));
}

/* Until the container process opens FIFO for writing; a pidfd (or, without
   one, a look every 100 ms) notices when it dies instead.  */
static int
wait_exec_fifo (int fifo, int pidfd, const struct ocirt_container_state *st, const char *id,
                ocirt_error_t *err)
{
  for (;;)
    {
      struct pollfd fds[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      int r = poll (fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);

      if (r < 0 && errno != EINTR)
        return ocirt_error_make (err, errno, "wait for container `%s`", id);
      if (r > 0 && (fds[0].revents & POLLIN))
        return 0;
      if ((r > 0 && pidfd >= 0 && (fds[1].revents & POLLIN)) || (fds[0].revents & POLLHUP)
          || !ocirt_state_process_alive (st))
        return ocirt_error_make (err, 0, "cannot start container `%s`: its process has exited", id);
    }
}

/* Let the container process go on to its program: it says "0" on the
   fifo, or the reason it cannot start.  */
static int
release_exec_fifo (int dirfd, int fifo, int pidfd, const struct ocirt_container_state *st,
                   const char *id, ocirt_error_t *err)
{
  char msg[4096];
  ssize_t n;

  if (wait_exec_fifo (fifo, pidfd, st, id, err) < 0)
    return -1;
  n = read (fifo, msg, sizeof (msg) - 1);
  if (n <= 0)
    return ocirt_error_make (err, 0, "cannot start container `%s`: its process has exited", id);
  msg[n] = '\0';
  if (unlinkat (dirfd, OCIRT_EXEC_FIFO, 0) < 0)
    return ocirt_error_make (err, errno, "remove exec fifo of `%s`", id);
  if (strcmp (msg, "0") != 0)
    return ocirt_error_make (err, 0, "cannot start container `%s`: %s", id, msg);
  return 0;
}

/* As runc: a container whose poststart hook failed is killed and deleted,
   its poststop hooks run; start reports the hook's error.  */
static int
delete_after_poststart (const char *root, const char *id, int *dirfd)
{
  cleanup_error ocirt_error_t e = NULL;

  close_fd (dirfd); /* the delete takes the lock */
  if (ocirt_container_delete (root, id, true, &e) < 0)
    ocirt_warn ("delete container `%s` after its poststart hook failed: %s", id, e->msg);
  return -1;
}

int
ocirt_container_start (const char *root, const char *id, ocirt_error_t *err)
{
  cleanup_state struct ocirt_container_state st = { 0 };
  cleanup_spec oci_spec *hooks = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int fifo = -1;
  cleanup_close int pidfd = -1;
  cleanup_close int notify_fd = -1;

  dirfd = ocirt_state_open_read (root, id, true, &st, err);
  if (dirfd < 0 || check_created (dirfd, &st, id, err) < 0)
    return -1;
  /* Read before the container runs: a start that cannot run its hooks
     does not start it.  */
  if (ocirt_container_hooks_load (dirfd, &st, &hooks, err) < 0)
    return -1;
  if (st.notify_socket)
    {
      cleanup_free char *dir = xasprintf ("%s/%s", root, id);
      notify_fd = ocirt_notify_listen (dir, err);
      if (notify_fd < 0)
        return -1;
    }
  /* The pidfd first: once the fifo is open for reading the process goes
     on, and a short-lived one may be gone before a pidfd could be had.  */
  pidfd = pidfd_open_checked (&st);
  fifo = openat (dirfd, OCIRT_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return ocirt_error_make (err, errno, "open exec fifo of `%s`", id);
  if (release_exec_fifo (dirfd, fifo, pidfd, &st, id, err) < 0)
    return -1;
  if (ocirt_container_hooks_poststart (&st, hooks, err) < 0)
    return delete_after_poststart (root, id, &dirfd);
  /* As with runc, start returns once the container said it is ready, or
     exited, which only the pidfd tells.  */
  if (notify_fd < 0)
    return 0;
  if (pidfd < 0)
    return ocirt_error_make (err, ESRCH, "container `%s`: watch its process %d", id, (int) st.pid);
  return ocirt_notify_forward (notify_fd, st.notify_socket, pidfd, err);
}

char *
ocirt_container_state_json (const char *root, const char *id, ocirt_error_t *err)
{
  cleanup_state struct ocirt_container_state st = { 0 };
  cleanup_close int dirfd = -1;

  dirfd = ocirt_state_open_read (root, id, false, &st, err);
  if (dirfd < 0)
    return NULL;
  return ocirt_state_to_oci_json (&st, ocirt_state_status (dirfd, &st), true);
}

static int
signal_process (const struct ocirt_container_state *st, int signo, ocirt_error_t *err)
{
  cleanup_close int pidfd = pidfd_open_checked (st);

  if (pidfd >= 0)
    {
      if (syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0) == 0)
        return 0;
      if (errno != ESRCH)
        return ocirt_error_make (err, errno, "kill container `%s`", st->id);
    }
  /* Clients tell an exited container from a failure by runc's words
     (docs/clients.md).  */
  if (errno == ESRCH)
    return ocirt_error_make (err, 0, "cannot kill container `%s`: container not running", st->id);
  /* No pidfd support: the start time check above is the guard.  */
  if (!ocirt_state_process_alive (st) || kill (st->pid, signo) < 0)
    return ocirt_error_make (err, 0, "cannot kill container `%s`: container not running", st->id);
  return 0;
}

static int
signal_all (const struct ocirt_container_state *st, int signo, ocirt_error_t *err)
{
  cleanup_cgroup struct ocirt_cgroup cg = { 0 };

  if (ocirt_cgroup_from_state (st, &cg, err) < 0)
    return -1;
  if (ocirt_cgroup_kill_all (&cg, signo, err) < 0)
    return ocirt_error_prefix (err, "kill container `%s`", st->id);
  return 0;
}

int
ocirt_container_kill (const char *root, const char *id, int signo, bool all, ocirt_error_t *err)
{
  cleanup_state struct ocirt_container_state st = { 0 };
  cleanup_close int dirfd = -1;
  enum ocirt_status status;

  dirfd = ocirt_state_open_read (root, id, false, &st, err);
  if (dirfd < 0)
    return -1;
  status = ocirt_state_status (dirfd, &st);
  if (status == OCIRT_STATUS_STOPPED && !all)
    return ocirt_error_make (err, 0, "cannot kill container `%s`: container not running", id);
  if (status == OCIRT_STATUS_CREATING && !all)
    return ocirt_error_make (err, 0, "container `%s` is being created", id);
  if (all)
    return signal_all (&st, signo, err);
  return signal_process (&st, signo, err);
}

/* A frozen v1 task does not die of SIGKILL until it is thawed.  */
static void
thaw (const struct ocirt_container_state *st)
{
  cleanup_cgroup struct ocirt_cgroup cg = { 0 };
  cleanup_error ocirt_error_t e = NULL;

  if (ocirt_cgroup_from_state (st, &cg, &e) == 0 && ocirt_cgroup_frozen (&cg)
      && ocirt_cgroup_freeze (&cg, false, &e) < 0)
    ocirt_log_warn_release (&e);
}

/* SIGKILL everything in the container and wait for the init to be gone. */
static void
kill_and_wait (const struct ocirt_container_state *st)
{
  cleanup_close int pidfd = pidfd_open_checked (st);
  cleanup_error ocirt_error_t e = NULL;
  int i;

  if (pidfd >= 0)
    syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  signal_all (st, SIGKILL, &e);
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

/* Nothing of the container may go on running: a container that is not
   stopped is killed and waited for.  */
static void
stop_all (const struct ocirt_container_state *st, enum ocirt_status status)
{
  cleanup_error ocirt_error_t e = NULL;

  if (status != OCIRT_STATUS_STOPPED)
    {
      kill_and_wait (st);
      return;
    }
  /* The init is gone, but without a pid namespace others may not be. */
  signal_all (st, SIGKILL, &e);
  thaw (st);
}

/* Open and lock <ROOT>/<ID> into *DIRFD.  As runc: forcing the delete of
   what is not there is done, and leaves *DIRFD at -1.  */
static int
open_for_delete (const char *root, const char *id, bool force, int *dirfd, ocirt_error_t *err)
{
  int tries;

  for (tries = 0;; tries++)
    {
      cleanup_free char *path = NULL;

      *dirfd = ocirt_state_dir_open (root, id, true, err);
      if (*dirfd >= 0)
        return 0;
      /* A directory removed while we waited for its lock may have been
         claimed again by a new create: then look again.  */
      if (!force || !ocirt_state_id_valid (id) || faccessat (AT_FDCWD, root, F_OK, 0) < 0 || tries == 20)
        return -1;
      path = xasprintf ("%s/%s", root, id);
      if (access (path, F_OK) < 0 && errno == ENOENT)
        {
          ocirt_error_release (err);
          return 0;
        }
      ocirt_error_release (err);
    }
}

static bool
missing_at (int dirfd, const char *name)
{
  return faccessat (dirfd, name, F_OK, 0) < 0 && errno == ENOENT;
}

/* delete --force of a container whose state file is there but cannot be
   read (WHY): *DONE unless ST now holds what create.json names.  */
static int
delete_unreadable (const char *root, const char *id, int dirfd, const char *why,
                   struct ocirt_container_state *st, bool *done, ocirt_error_t *err)
{
  /* state.json is unreadable: create.json still names the cgroups, and so
     the processes, to clean up.  */
  if (faccessat (dirfd, OCIRT_STATE_FILE, F_OK, 0) == 0
      && ocirt_state_read_file (dirfd, OCIRT_CREATE_FILE, st, err) == 0)
    {
      ocirt_warn ("container `%s`: %s; cleaning up from %s", id, why, OCIRT_CREATE_FILE);
      st->pid = 0;
      *done = false;
      return 0;
    }
  ocirt_error_release (err);
  ocirt_warn ("container `%s`: %s; removing its state directory", id, why);
  return ocirt_state_dir_remove (root, id, err);
}

/* The state of the locked DIRFD into ST.  With FORCE, a state that cannot
   be read does not stop the delete; *DONE when nothing is left to do.  */
static int
read_for_delete (const char *root, const char *id, bool force, int dirfd,
                 struct ocirt_container_state *st, bool *done, ocirt_error_t *err)
{
  int waits = 0;

  for (;;)
    {
      cleanup_error ocirt_error_t why = NULL;
      struct stat sb;

      *done = false;
      if (ocirt_state_read (dirfd, st, err) == 0)
        return 0;
      if (!force)
        return ocirt_error_prefix (err, "container `%s`", id);
      why = steal_pointer (err);
      *done = true;
      if (fstat (dirfd, &sb) == 0 && sb.st_nlink == 0)
        return 0; /* deleted while we waited for the lock */
      if (!missing_at (dirfd, OCIRT_STATE_FILE) || !missing_at (dirfd, OCIRT_CREATE_FILE))
        return delete_unreadable (root, id, dirfd, why->msg, st, done, err);
      /* A create died before it wrote anything, or is about to lock it:
         then wait for it and read again.  */
      if (ocirt_state_dir_abandoned (root, dirfd))
        return ocirt_state_dir_remove (root, id, err);
      if (++waits == 100)
        return ocirt_error_make (err, 0, "container `%s`: %s", id, why->msg);
    }
}

/* The cgroups and the state directory of a stopped container, then its
   poststop hooks.  */
static int
remove_container (const char *root, const char *id, int dirfd, const struct ocirt_container_state *st,
                  ocirt_error_t *err)
{
  cleanup_error ocirt_error_t hooks_err = NULL;
  cleanup_spec oci_spec *hooks = NULL;

  if (ocirt_cgroup_remove_dirs (st->cgroup_dirs, st->cgroup_dirs_len, err) < 0)
    return -1;
  /* systemd owns the scope's directories: it removes them.  */
  if (ocirt_cgroup_systemd_destroy_state (st, err) < 0)
    return -1;
  /* Not for a create that died before the container existed.  Read
     before the state directory goes.  */
  if (st->pid > 0 && ocirt_container_hooks_load (dirfd, st, &hooks, &hooks_err) < 0)
    ocirt_warn ("poststop hooks of `%s` not run: %s", id, hooks_err->msg);
  if (ocirt_state_dir_remove (root, id, err) < 0)
    return -1;
  ocirt_container_hooks_poststop (st, hooks);
  return 0;
}

int
ocirt_container_delete (const char *root, const char *id, bool force, ocirt_error_t *err)
{
  cleanup_state struct ocirt_container_state st = { 0 };
  cleanup_close int dirfd = -1;
  enum ocirt_status status;
  bool done;
  int ret;

  if (open_for_delete (root, id, force, &dirfd, err) < 0)
    return -1;
  if (dirfd < 0)
    return 0;
  ret = read_for_delete (root, id, force, dirfd, &st, &done, err);
  if (ret < 0 || done)
    return ret;
  status = ocirt_state_status (dirfd, &st);
  if (status != OCIRT_STATUS_STOPPED && status != OCIRT_STATUS_CREATED && !force)
    return ocirt_error_make (err, 0, "cannot delete container %s that is not stopped: %s", id,
                             ocirt_state_status_name (status));
  stop_all (&st, status);
  return remove_container (root, id, dirfd, &st, err);
}

static int
compare_entries (const void *a, const void *b)
{
  const struct ocirt_list_entry *x = a, *y = b;
  return strcmp (x->st.id, y->st.id);
}

/* The state of the container NAME under the state root D into E; false
   for what is not one, or is being created or removed right now.  */
static bool
read_entry (DIR *d, const char *name, struct ocirt_list_entry *e)
{
  cleanup_error ocirt_error_t tmp = NULL;
  cleanup_close int fd = -1;

  if (name[0] == '.' || !ocirt_state_id_valid (name))
    return false;
  fd = openat (dirfd (d), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ocirt_state_read (fd, &e->st, &tmp) < 0)
    return false;
  e->status = ocirt_state_status (fd, &e->st);
  return true;
}

int
ocirt_container_list (const char *root, struct ocirt_list_entry **entries, size_t *n, ocirt_error_t *err)
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
      return ocirt_error_make (err, errno, "open state root `%s`", root);
    }
  *entries = xmalloc0 (sizeof (**entries) * alloc);
  while ((de = readdir (d)))
    {
      if (*n == alloc)
        {
          alloc *= 2;
          *entries = realloc (*entries, sizeof (**entries) * alloc);
          if (*entries == NULL)
            abort ();
        }
      if (read_entry (d, de->d_name, &(*entries)[*n]))
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
