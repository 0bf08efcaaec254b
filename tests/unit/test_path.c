/* Unit tests of path.c: resolution inside a rootfs with hostile symlinks.  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libocirt/path.h"
#include "libocirt/utils.h"

/* A rootfs in a temporary directory with hostile symlinks.  */
static char tmpl[PATH_MAX];
static char outside[PATH_MAX];

static void
make_tree (void)
{
  char p[PATH_MAX + 64];

  snprintf (tmpl, sizeof (tmpl), "/tmp/ocirt-unit-XXXXXX");
  cr_assert_not_null (mkdtemp (tmpl));
  snprintf (outside, sizeof (outside), "/tmp/ocirt-unit-out-XXXXXX");
  cr_assert_not_null (mkdtemp (outside));
  snprintf (p, sizeof (p), "%s/etc", tmpl);
  cr_assert_eq (mkdir (p, 0755), 0);
  snprintf (p, sizeof (p), "%s/etc/marker", tmpl);
  close (open (p, O_CREAT | O_WRONLY, 0644));
  snprintf (p, sizeof (p), "%s/abs", tmpl);
  cr_assert_eq (symlink ("/etc", p), 0);
  snprintf (p, sizeof (p), "%s/up", tmpl);
  cr_assert_eq (symlink ("../../../../etc", p), 0);
  snprintf (p, sizeof (p), "%s/escape", tmpl);
  cr_assert_eq (symlink (outside, p), 0);
  snprintf (p, sizeof (p), "%s/loop", tmpl);
  cr_assert_eq (symlink ("loop", p), 0);
}

static void
remove_tree (void)
{
  char cmd[2 * PATH_MAX + 32];

  snprintf (cmd, sizeof (cmd), "rm -rf '%s' '%s'", tmpl, outside);
  cr_assert_eq (system (cmd), 0);
}

static void
assert_is_marker (int fd)
{
  char p[PATH_MAX + 32];
  struct stat a, b;

  cr_assert_geq (fd, 0);
  snprintf (p, sizeof (p), "%s/etc/marker", tmpl);
  cr_assert_eq (stat (p, &a), 0);
  cr_assert_eq (fstat (fd, &b), 0);
  cr_assert_eq (a.st_ino, b.st_ino);
  close (fd);
}

typedef int (*open_fn) (int, const char *, int);

static void
check_resolution (open_fn fn)
{
  int root = open (tmpl, O_PATH | O_DIRECTORY);

  cr_assert_geq (root, 0);
  assert_is_marker (fn (root, "etc/marker", O_PATH));
  assert_is_marker (fn (root, "/abs/marker", O_PATH));
  assert_is_marker (fn (root, "up/marker", O_PATH));
  assert_is_marker (fn (root, "/../../etc/./marker", O_PATH));
  /* The absolute link into the host's /tmp resolves inside the rootfs.  */
  cr_assert_lt (fn (root, "escape/x", O_PATH), 0);
  cr_assert_lt (fn (root, "loop/x", O_PATH), 0);
  close (root);
}

Test (path, open_in_root, .init = make_tree, .fini = remove_tree)
{
  check_resolution (ocirt_path_open_in_root);
}

Test (path, open_in_root_fallback, .init = make_tree, .fini = remove_tree)
{
  check_resolution (ocirt_path_open_in_root_fallback);
}

Test (path, mkpath_follows_dangling_link_inside, .init = make_tree, .fini = remove_tree)
{
  ocirt_error_t err = NULL;
  char p[2 * PATH_MAX + 16];
  struct stat sb;
  int root = open (tmpl, O_PATH | O_DIRECTORY);
  int fd;

  fd = ocirt_path_mkpath_in_root (root, "/escape/a/b", false, &err);
  cr_assert_geq (fd, 0, "%s", err ? err->msg : "");
  close (fd);
  /* Created under the rootfs, at the link's target seen from inside.  */
  snprintf (p, sizeof (p), "%s%s/a/b", tmpl, outside);
  cr_assert_eq (stat (p, &sb), 0, "expected %s", p);
  cr_assert (S_ISDIR (sb.st_mode));
  snprintf (p, sizeof (p), "%s/a", outside);
  cr_assert_neq (stat (p, &sb), 0, "created on the host: %s", p);

  fd = ocirt_path_mkpath_in_root (root, "/new/file", true, &err);
  cr_assert_geq (fd, 0, "%s", err ? err->msg : "");
  cr_assert_eq (fstat (fd, &sb), 0);
  cr_assert (S_ISREG (sb.st_mode));
  close (fd);
  close (root);
}
