/* ocirt exec [options] ID [COMMAND [ARG...]] */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/exec.h"
#include "libocirt/log.h"
#include "libocirt/utils.h"
#include "ocirt.h"

static void
push (char ***v, size_t *n, char *s)
{
  *v = realloc (*v, sizeof (char *) * (*n + 2));
  if (*v == NULL)
    abort ();
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

int
ocirt_cmd_exec (struct ocirt_global *g, int argc, char **argv)
{
  enum
  {
    OPT_CONSOLE = 256,
    OPT_PIDFILE,
    OPT_LABEL,
    OPT_APPARMOR,
    OPT_NNP,
    OPT_PRESERVE,
    OPT_CGROUP,
    OPT_IGNORE_PAUSED
  };
  static const struct option options[] = {
    { "console-socket", required_argument, NULL, OPT_CONSOLE },
    { "cwd", required_argument, NULL, 'w' },
    { "env", required_argument, NULL, 'e' },
    { "tty", no_argument, NULL, 't' },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "process", required_argument, NULL, 'p' },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, OPT_PIDFILE },
    { "process-label", required_argument, NULL, OPT_LABEL },
    { "apparmor", required_argument, NULL, OPT_APPARMOR },
    { "no-new-privs", no_argument, NULL, OPT_NNP },
    { "cap", required_argument, NULL, 'c' },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
    { "cgroup", required_argument, NULL, OPT_CGROUP },
    { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
    { NULL, 0, NULL, 0 },
  };
  /* "+": what follows the id is the program's.  */
  const char *shortopts = "+e:tu:g:p:dc:";
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_exec_options o = { .root = g->root };
  unsigned long long n;
  int c, ret, status = 0;

  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      switch (c)
        {
        case OPT_CONSOLE:
          o.console_socket = optarg;
          break;
        case 'w':
          o.cwd = optarg;
          break;
        case 'e':
          push (&o.env, &o.nenv, optarg);
          break;
        case 't':
          o.tty = true;
          break;
        case 'u':
          o.user = optarg;
          break;
        case 'g':
          push (&o.additional_gids, &o.ngids, optarg);
          break;
        case 'p':
          o.process_path = optarg;
          break;
        case 'd':
          o.detach = true;
          break;
        case OPT_PIDFILE:
          o.pid_file = optarg;
          break;
        case OPT_LABEL:
          o.process_label = optarg;
          break;
        case OPT_APPARMOR:
          o.apparmor = optarg;
          break;
        case OPT_NNP:
          o.no_new_privs = true;
          break;
        case 'c':
          push (&o.caps, &o.ncaps, optarg);
          break;
        case OPT_PRESERVE:
          if (!ocirt_utils_parse_ulong (optarg, &n) || n > 65536)
            return ocirt_cli_fail ("exec: invalid --preserve-fds `%s`", optarg);
          o.preserve_fds = (int) n;
          break;
        case OPT_CGROUP:
          push (&o.cgroups, &o.ncgroups, optarg);
          break;
        case OPT_IGNORE_PAUSED:
          o.ignore_paused = true;
          break;
        default:
          return ocirt_cli_fail ("exec: unknown or incomplete option `%s`", argv[optind - 1]);
        }
    }
  if (!ocirt_cli_positional ("exec", "[options] CONTAINER_ID [COMMAND [ARG...]]", argc, argv, optind, 1,
                             o.process_path ? 1 : argc))
    return 1;
  /* runc takes this for a process that cannot start: 255, not 1.  */
  if (!o.process_path && optind + 1 == argc)
    {
      ocirt_cli_fail ("exec: no command to run in `%s` (give COMMAND or --process)", argv[optind]);
      return 255;
    }
  o.id = argv[optind];
  o.args = argv + optind + 1;
  o.nargs = (size_t) (argc - optind - 1);
  ret = ocirt_exec_in_container (&o, &status, &err);
  free (o.env);
  free (o.additional_gids);
  free (o.caps);
  /* As runc: 255 when the process could not be started; usage errors
     above are 1.  */
  if (ret < 0)
    {
      ocirt_log_report (&err);
      return 255;
    }
  return status;
}
