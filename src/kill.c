/* ocirt kill [--all] ID [SIGNAL] */
#include <getopt.h>
#include <signal.h>

#include "libocirt/container.h"
#include "libocirt/log.h"
#include "ocirt.h"
#include "libocirt/signals.h"
#include "libocirt/utils.h"

int
ocirt_cmd_kill (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "all", no_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  const char *shortopts = "a";
  cleanup_error ocirt_error_t err = NULL;
  int signo = SIGTERM, c;
  bool all = false;

  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      if (c != 'a')
        return ocirt_cli_fail ("kill: unknown option `%s`", argv[optind - 1]);
      all = true;
    }
  if (!ocirt_cli_positional ("kill", "[--all] CONTAINER_ID [SIGNAL]", argc, argv, optind, 1, 2))
    return 1;
  if (optind + 1 < argc)
    {
      signo = ocirt_signals_parse (argv[optind + 1]);
      if (signo < 0)
        return ocirt_cli_fail ("kill: unknown signal `%s`", argv[optind + 1]);
    }
  if (ocirt_container_kill (g->root, argv[optind], signo, all, &err) < 0)
    return ocirt_log_report (&err);
  return 0;
}
