/* Unit tests of utils.c: the small parsers and helpers.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "libocirt/utils.h"

Test (exec, user_parsing_is_strict)
{
  unsigned uid = 7, gid = 7;
  bool has_gid = true;

  cr_assert_eq (ocirt_utils_parse_user ("1000", &uid, &gid, &has_gid), 0);
  cr_assert_eq (uid, 1000);
  cr_assert_not (has_gid);
  cr_assert_eq (ocirt_utils_parse_user ("0:5", &uid, &gid, &has_gid), 0);
  cr_assert (uid == 0 && gid == 5 && has_gid);
  cr_assert_eq (ocirt_utils_parse_user ("4294967294:4294967294", &uid, &gid, &has_gid), 0);
  cr_assert_eq (ocirt_utils_parse_user ("", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_utils_parse_user ("x", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_utils_parse_user ("1:", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_utils_parse_user (":1", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_utils_parse_user ("-1", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_utils_parse_user ("+1", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_utils_parse_user ("1:2:3", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_utils_parse_user ("4294967295", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_utils_parse_user ("99999999999999999999", &uid, &gid, &has_gid), -1);
}

Test (utils, waitpid_is_retried_on_eintr)
{
  int status = 0;
  pid_t pid = fork ();

  cr_assert_geq (pid, 0);
  if (pid == 0)
    _exit (7);
  cr_assert_eq (ocirt_utils_waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 7);
  cr_assert_eq (ocirt_utils_waitpid (pid, &status, 0), -1);
  cr_assert_eq (errno, ECHILD);
}

Test (utils, an_fd_goes_over_a_socket_with_its_data)
{
  int sv[2], pipefd[2], fd;
  char buf[16] = { 0 }, byte = 0;

  cr_assert_eq (socketpair (AF_UNIX, SOCK_STREAM, 0, sv), 0);
  cr_assert_eq (pipe (pipefd), 0);
  cr_assert_eq (ocirt_utils_send_fd (sv[0], pipefd[0], "tty", 3), 0);
  fd = ocirt_utils_recv_fd (sv[1], buf, sizeof (buf));
  cr_assert_geq (fd, 0);
  cr_assert_str_eq (buf, "tty");
  cr_assert_eq (write (pipefd[1], "x", 1), 1);
  cr_assert_eq (read (fd, &byte, 1), 1);
  cr_assert_eq (byte, 'x');
  cr_assert (fcntl (fd, F_GETFD) & FD_CLOEXEC);
  /* Data without an fd is not one.  */
  cr_assert_eq (write (sv[0], "y", 1), 1);
  cr_assert_eq (ocirt_utils_recv_fd (sv[1], buf, sizeof (buf)), -1);
  cr_assert_eq (errno, ENOMSG);
  close (fd);
  close (pipefd[0]);
  close (pipefd[1]);
  close (sv[0]);
  close (sv[1]);
}

Test (utils, the_pid_file_is_replaced_whole)
{
  char dir[] = "/tmp/ocirt-test-XXXXXX", path[64], *data = NULL;
  size_t len = 0;
  ocirt_error_t err = NULL;

  cr_assert_not_null (mkdtemp (dir));
  snprintf (path, sizeof (path), "%s/pid", dir);
  cr_assert_eq (ocirt_utils_write_pid_file (path, 123456, &err), 0);
  cr_assert_eq (ocirt_utils_write_pid_file (path, 42, &err), 0);
  cr_assert_eq (ocirt_utils_read_file_at (AT_FDCWD, path, &data, &len, &err), 0);
  cr_assert_str_eq (data, "42");
  free (data);
  unlink (path);
  /* Nothing else was left in the directory.  */
  cr_assert_eq (rmdir (dir), 0);
  snprintf (path, sizeof (path), "%s/pid", dir);
  cr_assert_eq (ocirt_utils_write_pid_file (path, 1, &err), -1);
  cr_assert (strstr (err->msg, "write pid file") == err->msg, "%s", err->msg);
  ocirt_error_release (&err);
}

Test (utils, rfc3339_is_utc_with_nanoseconds)
{
  struct timespec ts = { .tv_sec = 1136214245, .tv_nsec = 5 };
  char buf[OCIRT_RFC3339_SIZE];

  cr_assert_str_eq (ocirt_utils_rfc3339 (&ts, buf, sizeof (buf)), "2006-01-02T15:04:05.000000005Z");
  ts.tv_sec = 0;
  ts.tv_nsec = 999999999;
  cr_assert_str_eq (ocirt_utils_rfc3339 (&ts, buf, sizeof (buf)), "1970-01-01T00:00:00.999999999Z");
}
