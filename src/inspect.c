/* ocirt inspect [--format table|json] ID */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/inspect.h"
#include "libocirt/inspect_table.h"
#include "libocirt/log.h"
#include "ocirt.h"

int
ocirt_cmd_inspect (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error ocirt_error_t err = NULL;
  cleanup_inspect oci_inspect *doc = NULL;
  cleanup_free char *json = NULL;
  const char *format = "table";
  int c;

  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "f:", options, NULL)) != -1)
    {
      if (c != 'f')
        return ocirt_cli_fail ("inspect: unknown or incomplete option `%s`", argv[optind - 1]);
      format = optarg;
    }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return ocirt_cli_fail ("inspect: invalid format `%s` (table or json)", format);
  if (!ocirt_cli_positional ("inspect", "[--format table|json] CONTAINER_ID", argc, argv, optind, 1, 1))
    return 1;
  doc = ocirt_inspect_container (g->root, argv[optind], &err);
  if (doc == NULL)
    return ocirt_log_report (&err);
  if (strcmp (format, "table") == 0)
    {
      ocirt_inspect_table_print (doc, stdout);
      return 0;
    }
  json = oci_inspect_to_json (doc, true, NULL);
  if (json == NULL)
    abort ();
  puts (json);
  return 0;
}
