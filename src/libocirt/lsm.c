#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lsm.h"
#include "utils.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

bool
ocirt_lsm_apparmor_enabled (void)
{
  cleanup_free char *v = NULL;
  ocirt_error_t err = NULL;

  if (ocirt_utils_read_file_at (AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &v, NULL, &err) < 0)
    {
      ocirt_error_release (&err);
      return false;
    }
  return v[0] == 'Y';
}

bool
ocirt_lsm_selinux_enabled (void)
{
  struct statfs sf;

  return statfs ("/sys/fs/selinux", &sf) == 0 && (unsigned long) sf.f_type == SELINUX_MAGIC;
}

int
ocirt_lsm_validate (const oci_process *p, const oci_linux *lx, ocirt_error_t *err)
{
  if (p && p->apparmor_profile && p->apparmor_profile[0] && !ocirt_lsm_apparmor_enabled ())
    return ocirt_error_make (err, 0,
                             "apparmor profile `%s` requested, but AppArmor is not enabled on this host",
                             p->apparmor_profile);
  if (p && p->selinux_label && p->selinux_label[0] && !ocirt_lsm_selinux_enabled ())
    return ocirt_error_make (err, 0,
                             "SELinux label `%s` requested, but SELinux is not enabled on this host",
                             p->selinux_label);
  if (lx && lx->mount_label && lx->mount_label[0] && !ocirt_lsm_selinux_enabled ())
    return ocirt_error_make (err, 0,
                             "linux.mountLabel `%s` requested, but SELinux is not enabled on this host",
                             lx->mount_label);
  return 0;
}

/* Write VALUE to an attr file of our own, through /proc opened and checked
   to be procfs: a mount over it in the container cannot take the write. */
static int
write_attr (const char *file, const char *value, ocirt_error_t *err)
{
  cleanup_close int proc = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  struct statfs sf;

  if (proc < 0)
    return ocirt_error_make (err, errno, "open /proc");
  fd = openat (proc, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return ocirt_error_make (err, errno, "open /proc/%s", file);
  if (fstatfs (fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
    return ocirt_error_make (err, EPERM, "/proc/%s is not on procfs", file);
  if (ocirt_utils_write_all (fd, value, strlen (value)) < 0)
    return ocirt_error_make (err, errno, "write `%s` to /proc/%s", value, file);
  return 0;
}

int
ocirt_lsm_apply_exec (const oci_process *p, ocirt_error_t *err)
{
  if (p->apparmor_profile && p->apparmor_profile[0])
    {
      cleanup_free char *v = xasprintf ("exec %s", p->apparmor_profile);
      const char *file = access ("/proc/self/attr/apparmor/exec", F_OK) == 0 ? "self/attr/apparmor/exec"
                                                                             : "self/attr/exec";
      if (write_attr (file, v, err) < 0)
        return ocirt_error_prefix (err, "apply apparmor profile `%s`", p->apparmor_profile);
    }
  if (p->selinux_label && p->selinux_label[0]
      && write_attr ("self/attr/exec", p->selinux_label, err) < 0)
    return ocirt_error_prefix (err, "apply SELinux label `%s`", p->selinux_label);
  return 0;
}
