/* ocirt start ID */
#include <getopt.h>

#include "libocirt/container.h"
#include "libocirt/log.h"
#include "ocirt.h"
#include "libocirt/utils.h"

int
ocirt_cmd_start (struct ocirt_global *g, int argc, char **argv)
{
  cleanup_error ocirt_error_t err = NULL;
  int i = ocirt_cli_parse_id ("start", argc, argv);

  if (i < 0)
    return 1;
  if (ocirt_container_start (g->root, argv[i], &err) < 0)
    return ocirt_log_report (&err);
  return 0;
}
