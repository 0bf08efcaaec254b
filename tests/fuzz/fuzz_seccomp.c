/* libFuzzer harness: linux.seccomp as JSON, through the parser and the
   translation into a libseccomp filter and its BPF program, which is
   never loaded.  */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/error.h"
#include "libocirt/seccomp.h"
#include "oci_types.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char head[] = "{\"ociVersion\":\"1.0.0\",\"linux\":{\"seccomp\":";
  char *json = malloc (sizeof (head) + size + 2), *perr = NULL;
  struct ocirt_seccomp *sc = NULL;
  ocirt_error_t err = NULL;
  const void *prog;
  oci_spec *spec;
  size_t len;

  if (json == NULL)
    return 0;
  memcpy (json, head, sizeof (head) - 1);
  memcpy (json + sizeof (head) - 1, data, size);
  memcpy (json + sizeof (head) - 1 + size, "}}", 2);
  spec = oci_spec_parse_data (json, sizeof (head) - 1 + size + 2, &perr);
  free (json);
  if (spec == NULL)
    {
      free (perr);
      return 0;
    }
  /* A listener would be connected to: keep the fuzzer off the host's
     sockets (SCMP_ACT_NOTIFY is then refused, which is tested too).  */
  if (spec->linux && spec->linux->seccomp)
    {
      free (spec->linux->seccomp->listener_path);
      spec->linux->seccomp->listener_path = NULL;
    }
  if (ocirt_seccomp_prepare (spec, "fuzz", "/", &sc, &err) == 0)
    {
      prog = ocirt_seccomp_program (sc, &len);
      /* Compiled means a program, within the kernel's limit.  */
      if (spec->linux && spec->linux->seccomp && (prog == NULL || len == 0 || len > 4096))
        abort ();
    }
  else if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
    abort ();
  ocirt_error_release (&err);
  ocirt_seccomp_free (sc);
  free_oci_spec (spec);
  return 0;
}
