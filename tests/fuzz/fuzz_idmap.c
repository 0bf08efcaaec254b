/* libFuzzer harness: uidMappings/gidMappings.  Every 12 bytes of input are
   one range (containerID, hostID, size); the text for uid_map must be
   built exactly when the ranges are valid, checked here independently,
   and must say the same ranges.  */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/error.h"
#include "libocirt/namespaces.h"
#include "oci_types.h"

static bool
valid (oci_id_mapping *const *m, size_t n)
{
  size_t i, j;

  if (n > OCIRT_ID_MAP_MAX)
    return false;
  for (i = 0; i < n; i++)
    {
      uint64_t c = m[i]->container_id, h = m[i]->host_id, s = m[i]->size;

      if (s == 0 || c + s > UINT64_C (1) << 32 || h + s > UINT64_C (1) << 32)
        return false;
      for (j = 0; j < i; j++)
        {
          uint64_t c2 = m[j]->container_id, h2 = m[j]->host_id, s2 = m[j]->size;

          if ((c < c2 + s2 && c2 < c + s) || (h < h2 + s2 && h2 < h + s))
            return false;
        }
    }
  return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  size_t n = size / 12, i;
  oci_id_mapping *maps = calloc (n + 1, sizeof (*maps));
  oci_id_mapping **ptrs = calloc (n + 1, sizeof (*ptrs));
  char buf[OCIRT_ID_MAP_TEXT_MAX];
  ocirt_error_t err = NULL;
  bool ok;
  int len;

  if (maps == NULL || ptrs == NULL)
    abort ();
  for (i = 0; i < n; i++)
    {
      memcpy (&maps[i].container_id, data + 12 * i, 4);
      memcpy (&maps[i].host_id, data + 12 * i + 4, 4);
      memcpy (&maps[i].size, data + 12 * i + 8, 4);
      ptrs[i] = &maps[i];
    }
  ok = valid (ptrs, n);
  len = ocirt_ns_id_map_text ("linux.uidMappings", ptrs, n, buf, &err);
  if (len < 0)
    {
      /* Refused: only what is invalid, or too long for one page.  */
      if (err == NULL || err->msg[0] == '\0')
        abort ();
      if (ok && strstr (err->msg, "bytes the kernel reads") == NULL)
        abort ();
      ocirt_error_release (&err);
    }
  else
    {
      const char *p = buf;

      if (!ok || len >= OCIRT_ID_MAP_TEXT_MAX || (size_t) len != strlen (buf))
        abort ();
      for (i = 0; i < n; i++)
        {
          unsigned c, h, s;
          int used;

          if (sscanf (p, "%u %u %u\n%n", &c, &h, &s, &used) != 3 || c != maps[i].container_id
              || h != maps[i].host_id || s != maps[i].size)
            abort ();
          p += used;
        }
      if (*p)
        abort ();
    }
  free (ptrs);
  free (maps);
  return 0;
}
