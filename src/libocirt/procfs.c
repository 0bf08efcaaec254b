#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#else
struct open_how
{
  unsigned long long flags, mode, resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#endif

#include "procfs.h"
#include "utils.h"

/* A procfs of our own, detached: nothing in the container can reach it to
   mount something over one of its files (CVE-2025-52881).  */
static int
private_procfs (void)
{
  return ocirt_utils_fsmount_new ("proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

int
ocirt_procfs_open (const char *file, int flags, ocirt_error_t *err)
{
  struct open_how how = {
    .flags = (unsigned long long) flags | O_CLOEXEC | O_NOFOLLOW,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
  };
  cleanup_close int proc = private_procfs ();
  cleanup_free char *path = NULL;
  struct statfs sf;
  int fd;

  if (proc >= 0)
    {
      fd = syscall (SYS_openat2, proc, file, &how, sizeof (how));
      if (fd >= 0 || errno != ENOSYS)
        {
          if (fd < 0)
            return ocirt_error_make (err, errno, "open /proc/%s", file);
          return fd;
        }
    }
  /* No private instance (an old kernel, or a pid namespace we may not
     mount): /proc itself, and the file must be on procfs.  */
  path = xasprintf ("/proc/%s", file);
  fd = open (path, flags | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return ocirt_error_make (err, errno, "open /proc/%s", file);
  if (fstatfs (fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
    {
      close (fd);
      return ocirt_error_make (err, EXDEV, "/proc/%s is not on procfs", file);
    }
  return fd;
}

int
ocirt_procfs_write (const char *file, const char *value, ocirt_error_t *err)
{
  cleanup_close int fd = ocirt_procfs_open (file, O_WRONLY, err);

  if (fd < 0)
    return -1;
  if (ocirt_utils_write_all (fd, value, strlen (value)) < 0)
    return ocirt_error_make (err, errno, "write `%s` to /proc/%s", value, file);
  return 0;
}
