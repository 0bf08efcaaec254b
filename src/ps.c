/* ocirt ps [--format table|json] ID [--] [PS_ARGS...] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libocirt/container_cgroup.h"
#include "libocirt/log.h"
#include "ocirt.h"
#include "libocirt/utils.h"

/* Column of "PID" in the header of ps's output, -1 if none.  */
static int
pid_column (const char *header)
{
  cleanup_free char *copy = xstrdup (header);
  char *tok, *save = NULL;
  int i = 0;

  for (tok = strtok_r (copy, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save), i++)
    if (strcmp (tok, "PID") == 0)
      return i;
  return -1;
}

static bool
field_pid (const char *line, int col, pid_t *pid)
{
  cleanup_free char *copy = xstrdup (line);
  char *tok, *save = NULL;
  unsigned long long v;
  int i = 0;

  for (tok = strtok_r (copy, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save), i++)
    if (i == col)
      {
        if (!ocirt_utils_parse_ulong (tok, &v))
          return false;
        *pid = (pid_t) v;
        return true;
      }
  return false;
}

/* Run ps with ARGS and keep the header and the lines of PIDS, as runc.  */
static int
ps_table (char **args, int nargs, const pid_t *pids, int n)
{
  cleanup_free char **argv = xmalloc0 (sizeof (char *) * (nargs + 3));
  cleanup_free char *out = NULL;
  cleanup_fclose FILE *f = NULL;
  size_t len = 0;
  char *line, *save = NULL;
  int fds[2], status, col, i;
  pid_t child;

  argv[0] = (char *) "ps";
  if (nargs == 0)
    argv[1] = (char *) "-ef";
  for (i = 0; i < nargs; i++)
    argv[i + 1] = args[i];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return ocirt_cli_fail ("ps: pipe: %s", strerror (errno));
  fflush (NULL);
  child = fork ();
  if (child < 0)
    return ocirt_cli_fail ("ps: fork: %s", strerror (errno));
  if (child == 0)
    {
      if (dup2 (fds[1], 1) < 0 || dup2 (fds[1], 2) < 0)
        _exit (127);
      execvp ("ps", argv);
      dprintf (2, "exec ps: %s\n", strerror (errno));
      _exit (127);
    }
  close (fds[1]);
  f = fdopen (fds[0], "r");
  if (f == NULL)
    {
      close (fds[0]);
      return ocirt_cli_fail ("ps: %s", strerror (errno));
    }
  {
    char buf[4096];
    size_t r;

    out = xstrdup ("");
    while ((r = fread (buf, 1, sizeof (buf), f)) > 0)
      {
        char *nout = realloc (out, len + r + 1);
        if (nout == NULL)
          abort ();
        out = nout;
        memcpy (out + len, buf, r);
        len += r;
        out[len] = '\0';
      }
  }
  if (ocirt_utils_waitpid (child, &status, 0) < 0)
    return ocirt_cli_fail ("ps: wait: %s", strerror (errno));
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      /* One line: ps's own message, folded.  */
      for (i = 0; out[i]; i++)
        if (out[i] == '\n')
          out[i] = ' ';
      return ocirt_cli_fail ("ps: ps exited with status %d: %s",
                             WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status), out);
    }
  line = strtok_r (out, "\n", &save);
  if (line == NULL || (col = pid_column (line)) < 0)
    return ocirt_cli_fail ("ps: no PID column in the output of ps");
  puts (line);
  while ((line = strtok_r (NULL, "\n", &save)))
    {
      pid_t p;

      if (!field_pid (line, col, &p))
        return ocirt_cli_fail ("ps: cannot read the pid of `%s`", line);
      for (i = 0; i < n; i++)
        if (pids[i] == p)
          {
            puts (line);
            break;
          }
    }
  return 0;
}

int
ocirt_cmd_ps (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free pid_t *pids = NULL;
  const char *format = "table";
  int c, n, i, first;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+f:", options, NULL)) != -1)
    {
      if (c != 'f')
        return ocirt_cli_fail ("ps: unknown or incomplete option `%s`", argv[optind - 1]);
      format = optarg;
    }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return ocirt_cli_fail ("ps: invalid format `%s` (table or json)", format);
  if (optind >= argc)
    return ocirt_cli_fail ("ps: missing argument; usage: ocirt ps [--format table|json] "
                           "CONTAINER_ID [PS_ARGS...]");
  n = ocirt_container_pids (g->root, argv[optind], &pids, &err);
  if (n < 0)
    return ocirt_log_report (&err);
  if (strcmp (format, "json") == 0)
    {
      if (optind + 1 < argc)
        return ocirt_cli_fail ("ps: ps arguments are for --format table only");
      putchar ('[');
      for (i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", pids[i]);
      puts ("]");
      return 0;
    }
  first = optind + 1;
  if (first < argc && strcmp (argv[first], "--") == 0)
    first++;
  return ps_table (argv + first, argc - first, pids, n);
}
