/* ocirt delete [--force] ID */
#include <getopt.h>

#include "libocirt/container.h"
#include "libocirt/log.h"
#include "ocirt.h"
#include "libocirt/utils.h"

int
ocirt_cmd_delete (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  const char *shortopts = "f";
  cleanup_error ocirt_error_t err = NULL;
  bool force = false;
  int c;

  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      if (c != 'f')
        return ocirt_cli_fail ("delete: unknown option `%s`", argv[optind - 1]);
      force = true;
    }
  if (!ocirt_cli_positional ("delete", "[--force] CONTAINER_ID", argc, argv, optind, 1, 1))
    return 1;
  if (ocirt_container_delete (g->root, argv[optind], force, &err) < 0)
    return ocirt_log_report (&err);
  return 0;
}
