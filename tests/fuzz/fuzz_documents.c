/* libFuzzer harness: the parsers of the OCI documents.  FUZZ_DOC picks
   which one at build time; every parse that succeeds is written back and
   parsed again, which must succeed too.  */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci_types.h"

#define PASTE(a, b) a##b
#define XPASTE(a, b) PASTE (a, b)
#define PARSE XPASTE (XPASTE (oci_, FUZZ_DOC), _parse_data)
#define WRITE XPASTE (XPASTE (oci_, FUZZ_DOC), _to_json)
#define FREE XPASTE (free_oci_, FUZZ_DOC)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *err = NULL, *json, *err2 = NULL;
  XPASTE (oci_, FUZZ_DOC) * doc, *again;

  doc = PARSE ((const char *) data, size, &err);
  if (doc == NULL)
    {
      /* A failure always says why.  */
      if (err == NULL || err[0] == '\0')
        abort ();
      free (err);
      return 0;
    }
  json = WRITE (doc, false, &err);
  if (json == NULL)
    abort ();
  again = PARSE (json, strlen (json), &err2);
  if (again == NULL)
    abort ();
  FREE (again);
  FREE (doc);
  free (json);
  free (err);
  free (err2);
  return 0;
}
