#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "signals.h"
#include "log.h"
#include "state_record.h"
#include "state_json.h"
#include "utils.h"

bool
ocirt_hooks_any (const oci_hooks *h)
{
  return h
         && (h->prestart_len || h->create_runtime_len || h->create_container_len
             || h->start_container_len || h->poststart_len || h->poststop_len);
}

char *
ocirt_hooks_state (const oci_spec *spec, const char *id, pid_t pid, const char *bundle,
                   const char *status)
{
  struct ocirt_container_state st = {
    .id = (char *) id,
    .pid = pid,
    .bundle = (char *) bundle,
  };
  static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
  enum ocirt_status s = OCIRT_STATUS_CREATING;
  size_t i;

  for (i = 0; i < ARRAY_SIZE (names); i++)
    if (strcmp (names[i], status) == 0)
      s = (enum ocirt_status) i;
  if (spec->annotations)
    {
      st.annotation_keys = spec->annotations->keys;
      st.annotation_values = spec->annotations->values;
      st.annotations_len = spec->annotations->len;
    }
  return ocirt_state_to_oci_json (&st, s, false);
}

/* Give STATE to the hook's stdin.  A hook that does not read it must not
   hurt us: the write end is non-blocking and SIGPIPE is held back.  */
static void
feed_state (int fd, const char *state)
{
  sigset_t pipe_set, old;
  struct timespec zero = { 0, 0 };

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &old);
  fcntl (fd, F_SETFL, O_NONBLOCK);
  if (ocirt_utils_write_all (fd, state, strlen (state)) < 0 && errno != EPIPE && errno != EAGAIN)
    ocirt_debug ("write state to hook: %s", strerror (errno));
  close (fd);
  while (sigtimedwait (&pipe_set, NULL, &zero) > 0)
    ;
  sigprocmask (SIG_SETMASK, &old, NULL);
}

static int
wait_hook (pid_t pid, int timeout, int *status, ocirt_error_t *err)
{
  int pidfd = syscall (SYS_pidfd_open, pid, 0);

  if (timeout > 0 && pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      int r;

      do
        r = poll (&p, 1, timeout * 1000);
      while (r < 0 && errno == EINTR);
      if (r == 0)
        {
          /* The hook's own children go with it.  */
          kill (-pid, SIGKILL);
          kill (pid, SIGKILL);
          ocirt_utils_waitpid (pid, status, 0);
          close (pidfd);
          errno = ETIMEDOUT;
          return -1;
        }
    }
  if (pidfd >= 0)
    close (pidfd);
  if (ocirt_utils_waitpid (pid, status, 0) < 0)
    return ocirt_error_make (err, errno, "wait for hook");
  return 0;
}

static int
run_one (const oci_hook *h, const char *kind, size_t index, const char *state, ocirt_error_t *err)
{
  char *default_args[] = { h->path, NULL };
  int in[2], status = 0;
  pid_t pid;

  if (h->path == NULL || h->path[0] != '/')
    return ocirt_error_make (err, 0, "%s hook %zu: path `%s` is not absolute", kind, index,
                             h->path ? h->path : "");
  if (pipe2 (in, O_CLOEXEC) < 0)
    return ocirt_error_make (err, errno, "%s hook `%s`: pipe", kind, h->path);
  ocirt_debug ("run %s hook %s", kind, h->path);
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      close (in[0]);
      close (in[1]);
      return ocirt_error_make (err, errno, "%s hook `%s`: fork", kind, h->path);
    }
  if (pid == 0)
    {
      /* Its own process group, so a timeout can kill all it started.  The
         hook's stdout goes where the runtime's errors go.  */
      setpgid (0, 0);
      ocirt_signals_child_reset ();
      if (dup2 (in[0], 0) < 0 || dup2 (2, 1) < 0)
        _exit (127);
      /* Without "env" a hook gets the runtime's environment, as with runc
         and crun; "env": [] is an empty one.  */
      execve (h->path, h->args_len ? h->args : default_args, h->env ? h->env : environ);
      dprintf (2, "ocirt: %s hook `%s`: exec: %s\n", kind, h->path, strerror (errno));
      _exit (127);
    }
  close (in[0]);
  feed_state (in[1], state);
  if (wait_hook (pid, h->timeout_present ? h->timeout : 0, &status, err) < 0)
    {
      if (errno == ETIMEDOUT && (err == NULL || *err == NULL))
        return ocirt_error_make (err, 0, "%s hook `%s` timed out after %d s", kind, h->path, h->timeout);
      return -1;
    }
  if (WIFSIGNALED (status))
    return ocirt_error_make (err, 0, "%s hook `%s` was killed by signal %d", kind, h->path,
                             WTERMSIG (status));
  if (WEXITSTATUS (status) != 0)
    return ocirt_error_make (err, 0, "%s hook `%s` exited with status %d", kind, h->path,
                             WEXITSTATUS (status));
  return 0;
}

int
ocirt_hooks_run (oci_hook **hooks, size_t n, const char *kind, const char *state_json,
                 ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (run_one (hooks[i], kind, i, state_json, err) < 0)
      return -1;
  return 0;
}

void
ocirt_hooks_run_all (oci_hook **hooks, size_t n, const char *kind, const char *state_json)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      cleanup_error ocirt_error_t err = NULL;

      if (run_one (hooks[i], kind, i, state_json, &err) < 0)
        ocirt_log_warn_release (&err);
    }
}
