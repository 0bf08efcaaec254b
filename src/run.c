/* ocirt run [--detach] [create's options] ID */
#include <stdbool.h>

#include "libocirt/container.h"
#include "libocirt/log.h"
#include "ocirt.h"
#include "libocirt/utils.h"

int ocirt_parse_create_options (struct ocirt_global *g, int argc, char **argv, bool run,
                                struct ocirt_create_options *o);

int
ocirt_cmd_run (struct ocirt_global *g, int argc, char **argv)
{
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_create_options o;
  int ret, status;

  ret = ocirt_parse_create_options (g, argc, argv, true, &o);
  if (ret)
    return ret;
  if (ocirt_container_run (&o, &status, &err) < 0)
    return ocirt_log_report (&err);
  return status;
}
