#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exe_guard.h"
#include "utils.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

/* What a copy needs so that nobody can change it.  */
#define EXE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Whether no open of EXE, our binary, can be for writing: it is on a
   read-only mount (ours after the re-exec, or how it is installed) or a
   sealed memfd.  The re-executed runtime stops here, whatever its
   environment says.  */
static bool
exe_is_sealed (int exe)
{
  struct statvfs sv;
  int seals;

  if (fstatvfs (exe, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return true;
  seals = fcntl (exe, F_GET_SEALS);
  return seals >= 0 && (seals & EXE_SEALS) == EXE_SEALS;
}

/* A process the runtime starts has no more rights on the host's files
   than the runtime: a binary the runtime cannot write, as a rootless
   runtime's binary owned by root, is out of the containers' reach.  */
static bool
caller_cannot_write (void)
{
  return faccessat (AT_FDCWD, "/proc/self/exe", W_OK, AT_EACCESS) < 0
         && (errno == EACCES || errno == EPERM || errno == EROFS);
}

/* execveat leaves the fd number, or the memfd's name, as the command
   name: give ps and pkill the runtime's name back.  */
static void
restore_comm (const char *argv0)
{
  const char *base = strrchr (argv0, '/');
  char comm[16] = { 0 };

  base = base ? base + 1 : argv0;
  if (base[0] && prctl (PR_GET_NAME, comm) == 0 && strncmp (comm, base, sizeof (comm) - 1) != 0)
    prctl (PR_SET_NAME, base);
}

/* Re-execute from a detached read-only bind mount of the binary: no copy,
   and every open for writing through it fails with EROFS.  Needs
   CAP_SYS_ADMIN and mount_setattr (5.12).  Returns only on failure, with
   errno set and *STEP naming the call that failed.  */
static void
exec_readonly_mount (int exe, char **argv, const char **step)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  cleanup_close int tree = -1;

  *step = "open_tree";
  tree = syscall (SYS_open_tree, exe, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return;
  *step = "mount_setattr";
  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return;
  *step = "execveat";
  syscall (SYS_execveat, tree, "", argv, environ, AT_EMPTY_PATH);
}

static int
copy_into (int dst, int src, off_t size, ocirt_error_t *err)
{
  off_t off = 0;

  while (off < size)
    {
      ssize_t n = sendfile (dst, src, &off, size - off);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ocirt_error_make (err, errno, "copy the runtime binary into a memfd");
      if (n == 0)
        return ocirt_error_make (err, 0, "copy the runtime binary into a memfd: it shrank");
    }
  return 0;
}

/* Re-execute from a sealed memfd copy: costs the binary's size in memory
   while the process runs, but needs neither privilege nor a recent
   kernel.  Returns only on failure.  */
static int
exec_sealed_copy (int exe, char **argv, ocirt_error_t *err)
{
  cleanup_close int mfd = -1;
  struct stat st;

  if (fstat (exe, &st) < 0)
    return ocirt_error_make (err, errno, "stat the runtime binary");
  /* MFD_EXEC, or vm.memfd_noexec may make it not executable (6.3).  */
  mfd = memfd_create ("ocirt", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("ocirt", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return ocirt_error_make (err, errno, "memfd_create for a copy of the runtime binary");
  if (copy_into (mfd, exe, st.st_size, err) < 0)
    return -1;
  if (fcntl (mfd, F_ADD_SEALS, EXE_SEALS) < 0)
    return ocirt_error_make (err, errno, "seal the copy of the runtime binary");
  syscall (SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
  return ocirt_error_make (err, errno, "execute the sealed copy of the runtime binary");
}

int
ocirt_exe_guard (char **argv, ocirt_error_t *err)
{
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  const char *step = NULL;
  int mount_errno;

  /* A binary we may execute but not read: the copy is out, the checks
     and the mount work on an O_PATH descriptor.  */
  if (exe < 0 && errno == EACCES)
    exe = open ("/proc/self/exe", O_PATH | O_CLOEXEC);
  if (exe < 0)
    return ocirt_error_make (err, errno, "open /proc/self/exe");
  if (exe_is_sealed (exe))
    {
      restore_comm (argv[0]);
      return 0;
    }
  if (caller_cannot_write ())
    return 0;
  exec_readonly_mount (exe, argv, &step);
  mount_errno = errno;
  if (exec_sealed_copy (exe, argv, err) < 0)
    return ocirt_error_prefix (err, "protect the runtime binary (%s of a read-only mount: %s)", step,
                               strerror (mount_errno));
  return -1;
}
