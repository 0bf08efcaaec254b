/* ocirt create [--bundle DIR] [--pid-file F] [--console-socket S] ... ID */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/container.h"
#include "libocirt/log.h"
#include "ocirt.h"
#include "libocirt/utils.h"

/* Shared by create and run: they take the same options, run adds a few.  */
int ocirt_parse_create_options (struct ocirt_global *g, int argc, char **argv, bool run,
                                struct ocirt_create_options *o);

int
ocirt_parse_create_options (struct ocirt_global *g, int argc, char **argv, bool run,
                            struct ocirt_create_options *o)
{
  enum
  {
    OPT_CONSOLE = 256,
    OPT_PIDFILE,
    OPT_NOPIVOT,
    OPT_NOKEYRING,
    OPT_PRESERVE,
    OPT_CONFIG,
    OPT_KEEP,
    OPT_NOSUBREAPER
  };
  static const struct option options[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "console-socket", required_argument, NULL, OPT_CONSOLE },
    { "pid-file", required_argument, NULL, OPT_PIDFILE },
    { "no-pivot", no_argument, NULL, OPT_NOPIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NOKEYRING },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "no-subreaper", no_argument, NULL, OPT_NOSUBREAPER },
    { NULL, 0, NULL, 0 },
  };
  const char *shortopts = run ? "b:df:" : "b:f:";
  const char *cmd = run ? "run" : "create";
  unsigned long long n;
  int c;

  memset (o, 0, sizeof (*o));
  o->root = g->root;
  o->systemd_cgroup = g->systemd_cgroup;
  o->no_cgroup = g->no_cgroup;
  o->rootless = g->rootless == NULL || strcmp (g->rootless, "auto") == 0
                    ? -1
                    : strcmp (g->rootless, "true") == 0;
  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      switch (c)
        {
        case 'b':
          o->bundle = optarg;
          break;
        case OPT_CONSOLE:
          o->console_socket = optarg;
          break;
        case OPT_PIDFILE:
          o->pid_file = optarg;
          break;
        case OPT_NOPIVOT:
          o->no_pivot = true;
          break;
        case OPT_NOKEYRING:
          o->no_new_keyring = true;
          break;
        case OPT_PRESERVE:
          if (!ocirt_utils_parse_ulong (optarg, &n) || n > 65536)
            return ocirt_cli_fail ("%s: invalid --preserve-fds `%s`", cmd, optarg);
          o->preserve_fds = (int) n;
          break;
        case 'f':
        case OPT_CONFIG:
          o->config_path = optarg;
          break;
        case 'd':
          if (!run)
            goto bad;
          o->detach = true;
          break;
        case OPT_KEEP:
          if (!run)
            goto bad;
          o->keep = true;
          break;
        case OPT_NOSUBREAPER:
          /* The runtime waits for its own child: nothing to turn off.  */
          if (!run)
            goto bad;
          break;
        default:
        bad:
          return ocirt_cli_fail ("%s: unknown or incomplete option `%s`", cmd, argv[optind - 1]);
        }
    }
  if (!ocirt_cli_positional (cmd, "[options] CONTAINER_ID", argc, argv, optind, 1, 1))
    return 1;
  o->id = argv[optind];
  return 0;
}

int
ocirt_cmd_create (struct ocirt_global *g, int argc, char **argv)
{
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_create_options o;
  int ret;

  ret = ocirt_parse_create_options (g, argc, argv, false, &o);
  if (ret)
    return ret;
  if (ocirt_container_create (&o, &err) < 0)
    return ocirt_log_report (&err);
  return 0;
}
