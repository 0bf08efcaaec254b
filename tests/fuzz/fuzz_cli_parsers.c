/* libFuzzer harness: the small parsers of the command line and config
   values: signal names, --user, mount options.  */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/utils.h"
#include "libocirt/mount_options.h"
#include "libocirt/signals.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1), *opts[64], *p, *save = NULL;
  struct ocirt_mount_flags f;
  unsigned uid, gid;
  bool has_gid;
  size_t n = 0;
  int sig;

  if (s == NULL)
    return 0;
  memcpy (s, data, size);
  s[size] = '\0';
  sig = ocirt_signals_parse (s);
  if (sig != -1 && (sig < 0 || sig > 64))
    abort ();
  if (ocirt_utils_parse_user (s, &uid, &gid, &has_gid) == 0 && uid == 0xffffffffu)
    abort ();
  for (p = strtok_r (s, ",", &save); p && n < 64; p = strtok_r (NULL, ",", &save))
    opts[n++] = p;
  ocirt_mount_options_parse (opts, n, &f);
  ocirt_mount_flags_release (&f);
  free (s);
  return 0;
}
