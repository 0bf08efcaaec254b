#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path.h"
#include "terminal.h"
#include "utils.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
ocirt_terminal_console_socket_connect (const char *path, ocirt_error_t *err)
{
  return ocirt_utils_unix_connect (path, "console socket", err);
}

int
ocirt_terminal_send_fd (int sockfd, int fd, const char *name, ocirt_error_t *err)
{
  if (ocirt_utils_send_fd (sockfd, fd, name, strlen (name)) < 0)
    return ocirt_error_make (err, errno, "send the terminal to the console socket");
  return 0;
}

/* /dev/console of the container, opened without following a symlink:
   one the rootfs planted there (to a procfs file, say) would take the
   terminal's bind mount instead (CVE-2025-52565; newer kernels refuse
   mounts on procfs files, older ones do not).  */
static int
console_target (ocirt_error_t *err)
{
  cleanup_close int fd = open ("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat sb;

  if (fd < 0 && errno == ENOENT)
    {
      int made = open ("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (made < 0)
        return ocirt_error_make (err, errno, "create /dev/console");
      close (made);
      fd = open ("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
  if (fd < 0)
    return ocirt_error_make (err, errno, "open /dev/console");
  if (fstat (fd, &sb) < 0)
    return ocirt_error_make (err, errno, "stat /dev/console");
  if (S_ISLNK (sb.st_mode))
    return ocirt_error_make (err, ELOOP,
                             "bind the terminal on /dev/console: it is a symlink in the rootfs");
  return steal_fd (&fd);
}

/* /dev/console is the same terminal as SLAVE.  */
static int
bind_console (int slave, ocirt_error_t *err)
{
  cleanup_close int console_fd = console_target (err);
  char slave_path[64], target_path[64];

  if (console_fd < 0)
    return -1;
  snprintf (slave_path, sizeof (slave_path), "/proc/self/fd/%d", slave);
  if (mount (slave_path, ocirt_path_of_fd (target_path, sizeof (target_path), console_fd), NULL, MS_BIND,
             NULL)
      < 0)
    return ocirt_error_make (err, errno, "mount the terminal on /dev/console");
  return 0;
}

int
ocirt_terminal_setup (int sockfd, const oci_process *p, bool console, ocirt_error_t *err)
{
  cleanup_close int master = -1;
  cleanup_close int slave = -1;
  int unlock = 0;

  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return ocirt_error_make (err, errno, "open /dev/ptmx");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return ocirt_error_make (err, errno, "unlock pty");
  /* Open the peer through the master: no path the container could swap. */
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return ocirt_error_make (err, errno, "open pty peer");

  /* The process's user owns its terminal, as with runc: a process that
     is not root can then reopen it (/dev/stdout, /proc/self/fd/0).  The
     group stays devpts's (tty).  */
  if (p->user && fchown (slave, p->user->uid, (gid_t) -1) < 0)
    return ocirt_error_make (err, errno, "give the terminal to uid %u", (unsigned) p->user->uid);

  if (p->console_size)
    {
      struct winsize ws = { .ws_row = p->console_size->height, .ws_col = p->console_size->width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return ocirt_error_make (err, errno, "set terminal size");
    }

  if (ocirt_terminal_send_fd (sockfd, master, "/dev/ptmx", err) < 0)
    return -1;

  if (setsid () < 0 && errno != EPERM)
    return ocirt_error_make (err, errno, "setsid");

  if (console && bind_console (slave, err) < 0)
    return -1;
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return ocirt_error_make (err, errno, "make the terminal the controlling terminal");
  if (dup2 (slave, 0) < 0 || dup2 (slave, 1) < 0 || dup2 (slave, 2) < 0)
    return ocirt_error_make (err, errno, "dup the terminal onto stdio");
  return 0;
}

int
ocirt_terminal_recv_fd (int sockfd, ocirt_error_t *err)
{
  char name[256];
  int fd = ocirt_utils_recv_fd (sockfd, name, sizeof (name));

  if (fd < 0 && errno == ENOMSG)
    return ocirt_error_make (err, 0, "receive the terminal: no file descriptor");
  if (fd < 0)
    return ocirt_error_make (err, errno, "receive the terminal");
  return fd;
}

static volatile sig_atomic_t winch_pending;

static void
on_winch (int signo)
{
  (void) signo;
  winch_pending = 1;
}

static void
copy_window_size (int from, int to)
{
  struct winsize ws;

  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

/* Move what is readable on FROM to TO.  Returns false at end of input.  */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t r;

  r = read (from, buf, sizeof (buf));
  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (r <= 0)
    return false;
  return ocirt_utils_write_all (to, buf, (size_t) r) == 0;
}

int
ocirt_terminal_proxy (int master, bool size_given, ocirt_error_t *err)
{
  struct termios saved, raw;
  struct sigaction sa = { .sa_handler = on_winch }, old_sa;
  bool tty = isatty (STDIN_FILENO);
  bool stdin_open = true;

  /* The caller's terminal goes raw: the container's terminal does the
     line editing and echo.  */
  if (tty)
    {
      if (tcgetattr (STDIN_FILENO, &saved) < 0)
        return ocirt_error_make (err, errno, "read the terminal settings");
      raw = saved;
      cfmakeraw (&raw);
      if (tcsetattr (STDIN_FILENO, TCSANOW, &raw) < 0)
        return ocirt_error_make (err, errno, "set the terminal to raw mode");
      if (!size_given)
        copy_window_size (STDIN_FILENO, master);
      sigemptyset (&sa.sa_mask);
      sigaction (SIGWINCH, &sa, &old_sa);
    }

  for (;;)
    {
      struct pollfd fds[2] = {
        { .fd = master, .events = POLLIN },
        { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
      };
      int r = poll (fds, 2, -1);

      if (winch_pending)
        {
          winch_pending = 0;
          copy_window_size (STDIN_FILENO, master);
        }
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (fds[0].revents & POLLIN)
        {
          if (!pump (master, STDOUT_FILENO))
            break;
        }
      else if (fds[0].revents & (POLLHUP | POLLERR))
        break; /* every holder of the terminal is gone */
      if (fds[1].revents & (POLLIN | POLLHUP))
        {
          if (!pump (STDIN_FILENO, master))
            {
              /* End of input: the container reads end of file too.  */
              char eof = 4;
              stdin_open = false;
              ocirt_utils_write_all (master, &eof, 1);
            }
        }
    }

  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &saved);
      sigaction (SIGWINCH, &old_sa, NULL);
    }
  return 0;
}
