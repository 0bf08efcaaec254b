#include <errno.h>
#include <sys/mount.h>

#include "mount_fd.h"
#include "path.h"

int
ocirt_mount_on_fd (const char *source, int target_fd, const char *fstype, unsigned long flags,
                   const char *data, const char *what, ocirt_error_t *err)
{
  char target[64];

  if (mount (source, ocirt_path_of_fd (target, sizeof (target), target_fd), fstype, flags, data) < 0)
    return ocirt_error_make (err, errno, "mount %s on %s", source && *source ? source : fstype, what);
  return 0;
}
