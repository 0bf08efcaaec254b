/* ocirt features */
#include <stdio.h>

#include "libocirt/features_json.h"
#include "ocirt.h"
#include "libocirt/utils.h"

int
ocirt_cmd_features (struct ocirt_global *g, int argc, char **argv)
{
  cleanup_free char *json = NULL;

  (void) g;
  if (!ocirt_cli_positional ("features", "", argc, argv, 1, 0, 0))
    return 1;
  json = ocirt_features_json ();
  puts (json);
  return 0;
}
