/* libFuzzer harness: config.json through the parser and every check that
   create makes before anything is created (ocirt_bundle_validate_config and the
   linux attributes).  A refusal must say why; the checks must not crash
   on whatever the parser lets through.  */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "libocirt/bundle.h"
#include "libocirt/error.h"
#include "libocirt/process_attrs.h"
#include "oci_types.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ocirt_error_t err = NULL;
  char *perr = NULL;
  oci_spec *spec;

  spec = oci_spec_parse_data ((const char *) data, size, &perr);
  if (spec == NULL)
    {
      if (perr == NULL || perr[0] == '\0')
        abort ();
      free (perr);
      return 0;
    }
  if (ocirt_bundle_validate_config (spec, &err) < 0
      || ocirt_process_attrs_validate_linux (spec->linux, &err) < 0)
    {
      if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
        abort ();
      ocirt_error_release (&err);
    }
  free_oci_spec (spec);
  return 0;
}
