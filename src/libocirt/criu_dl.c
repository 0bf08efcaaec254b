#ifdef HAVE_CRIU
#include <dlfcn.h>
#include <stddef.h>

#include "criu_dl.h"

#define OCIRT_CRIU_DEFINE(ret, f, args) ret (*ocirt_criu_dl_##f) args;
OCIRT_CRIU_FUNCS (OCIRT_CRIU_DEFINE)
#undef OCIRT_CRIU_DEFINE

int
ocirt_criu_load (ocirt_error_t *err)
{
  static void *lib;
  void *h;

  if (lib)
    return 0;
  h = dlopen (OCIRT_CRIU_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return ocirt_error_make (err, 0, "load %s: %s (install the Debian package criu)", OCIRT_CRIU_LIBRARY,
                             dlerror ());
#define OCIRT_CRIU_RESOLVE(ret, f, args)                                                                \
  if ((ocirt_criu_dl_##f = (ret (*) args) dlsym (h, #f)) == NULL)                                       \
    {                                                                                                   \
      dlclose (h);                                                                                      \
      return ocirt_error_make (err, 0, "%s has no %s: CRIU 3.15 or newer is needed",                    \
                               OCIRT_CRIU_LIBRARY, #f);                                                 \
    }
  OCIRT_CRIU_FUNCS (OCIRT_CRIU_RESOLVE)
#undef OCIRT_CRIU_RESOLVE
  lib = h;
  return 0;
}
#endif
