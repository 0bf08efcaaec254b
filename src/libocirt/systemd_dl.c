#ifdef HAVE_SYSTEMD
#define OCIRT_SYSTEMD_DL_IMPL 1
#include <dlfcn.h>

#include "systemd_dl.h"

#define OCIRT_SD_DEFINE(f) __typeof__ (f) *ocirt_systemd_dl_##f;
OCIRT_SD_FUNCS (OCIRT_SD_DEFINE)
#undef OCIRT_SD_DEFINE

int
ocirt_systemd_load (ocirt_error_t *err)
{
  static void *lib;
  void *h;

  if (lib)
    return 0;
  h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return ocirt_error_make (err, 0, "systemd cgroup driver: load libsystemd.so.0: %s", dlerror ());
#define OCIRT_SD_RESOLVE(f)                                                                             \
  if ((ocirt_systemd_dl_##f = (__typeof__ (f) *) dlsym (h, #f)) == NULL)                                \
    {                                                                                                   \
      dlclose (h);                                                                                      \
      return ocirt_error_make (err, 0, "systemd cgroup driver: libsystemd.so.0 has no %s", #f);         \
    }
  OCIRT_SD_FUNCS (OCIRT_SD_RESOLVE)
#undef OCIRT_SD_RESOLVE
  lib = h;
  return 0;
}
#endif
