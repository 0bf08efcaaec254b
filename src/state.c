/* ocirt state ID */
#include <stdio.h>

#include "libocirt/container.h"
#include "libocirt/log.h"
#include "ocirt.h"
#include "libocirt/utils.h"

int
ocirt_cmd_state (struct ocirt_global *g, int argc, char **argv)
{
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *json = NULL;
  int i = ocirt_cli_parse_id ("state", argc, argv);

  if (i < 0)
    return 1;
  json = ocirt_container_state_json (g->root, argv[i], &err);
  if (json == NULL)
    return ocirt_log_report (&err);
  puts (json);
  return 0;
}
