/* Unit tests of exe_remap.c: the test program moves itself onto a sealed
   copy of its own binary and goes on with its data intact.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libocirt/exe_remap.h"

/* Data the program changed before the move: must survive it.  */
static int counter = 41;
static char scratch[64] = "before";
static const char *const pointer_table[] = { "relocated", "pointers" };

static int
sealed_copy_of_self (void)
{
  int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int mfd = memfd_create ("exe-remap-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  struct stat st;
  off_t off = 0;

  cr_assert (exe >= 0 && mfd >= 0, "open the test binary and a memfd: %s", strerror (errno));
  cr_assert (fstat (exe, &st) == 0);
  while (off < st.st_size)
    cr_assert (sendfile (mfd, exe, &off, st.st_size - off) > 0, "copy the test binary: %s",
               strerror (errno));
  cr_assert (fcntl (mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0);
  close (exe);
  return mfd;
}

/* How many mappings of the process are of a file whose name starts with
   PREFIX.  */
static int
mappings_of (const char *prefix)
{
  FILE *maps = fopen ("/proc/self/maps", "re");
  char line[512];
  int n = 0;

  cr_assert (maps != NULL);
  while (fgets (line, sizeof (line), maps))
    {
      char *path = strchr (line, '/');

      if (path && strncmp (path, prefix, strlen (prefix)) == 0)
        n++;
    }
  fclose (maps);
  return n;
}

static void
skip_without_remap (void)
{
  if (getenv ("OCIRT_VALGRIND"))
    cr_skip_test ("valgrind maps the program itself");
  if (geteuid () != 0)
    cr_skip_test ("PR_SET_MM_MAP needs CAP_SYS_ADMIN");
}

Test (exe_remap, runs_on_from_the_copy_with_its_data)
{
  cleanup_error ocirt_error_t err = NULL;
  char own[4096], exe[4096];
  ssize_t n;
  int mfd;

  skip_without_remap ();
  n = readlink ("/proc/self/exe", own, sizeof (own) - 1);
  cr_assert (n > 0);
  own[n] = '\0';
  counter++;
  strcpy (scratch, "changed at run time");
  mfd = sealed_copy_of_self ();

  cr_assert_eq (ocirt_exe_remap (mfd, &err), 0, "%s", err ? err->msg : "");

  n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  cr_assert (n > 0);
  exe[n] = '\0';
  cr_assert (strncmp (exe, "/memfd:exe-remap-test", 21) == 0, "/proc/self/exe is %s", exe);
  cr_assert_eq (mappings_of (own), 0, "%s is still mapped", own);
  cr_assert_gt (mappings_of ("/memfd:exe-remap-test"), 1);
  cr_assert_eq (counter, 42);
  cr_assert_str_eq (scratch, "changed at run time");
  cr_assert_str_eq (pointer_table[1], "pointers");
  counter++;
  strcpy (scratch, "and after");
  cr_assert_eq (counter, 43);
  cr_assert_str_eq (scratch, "and after");
  close (mfd);
}

Test (exe_remap, a_file_that_is_not_the_binary_is_refused_unharmed)
{
  cleanup_error ocirt_error_t err = NULL;
  int fd;

  skip_without_remap ();
  fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  cr_assert (fd >= 0);
  cr_assert_eq (ocirt_exe_remap (fd, &err), -1);
  cr_assert (err != NULL && err->msg[0] != '\0');
  counter = 7;
  cr_assert_eq (counter, 7);
  close (fd);
}
