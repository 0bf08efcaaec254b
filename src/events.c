/* ocirt events [--stats] [--interval DURATION] ID */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "libocirt/container_cgroup.h"
#include "libocirt/log.h"
#include "libocirt/units.h"
#include "ocirt.h"
#include "libocirt/utils.h"

int
ocirt_cmd_events (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { NULL, 0, NULL, 0 },
  };
  const char *shortopts = "";
  cleanup_error ocirt_error_t err = NULL;
  uint64_t interval = 5000000000ULL;
  bool once = false;
  int c;

  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      if (c == 's')
        once = true;
      else if (c == 'i')
        {
          if (!ocirt_units_parse_duration (optarg, &interval) || interval == 0)
            return ocirt_cli_fail ("events: invalid --interval `%s` (a duration such as 5s or 500ms)",
                                   optarg);
        }
      else
        return ocirt_cli_fail ("events: unknown or incomplete option `%s`", argv[optind - 1]);
    }
  if (!ocirt_cli_positional ("events", "[--stats] [--interval DURATION] CONTAINER_ID", argc, argv,
                             optind, 1, 1))
    return 1;
  if (ocirt_container_events (g->root, argv[optind], once, interval, stdout, &err) < 0)
    return ocirt_log_report (&err);
  return 0;
}
