/* Unit tests of the library's pure parts: signal names, container ids,
   mount options, resolution inside a rootfs.  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libocirt/exec.h"
#include "libocirt/mount_options.h"
#include "libocirt/process.h"
#include "libocirt/path.h"
#include "libocirt/signals.h"
#include "libocirt/state.h"
#include "libocirt/utils.h"

Test (signals, names_numbers_and_prefixes)
{
  cr_assert_eq (ocirt_parse_signal ("KILL"), SIGKILL);
  cr_assert_eq (ocirt_parse_signal ("SIGKILL"), SIGKILL);
  cr_assert_eq (ocirt_parse_signal ("kill"), SIGKILL);
  cr_assert_eq (ocirt_parse_signal ("sigterm"), SIGTERM);
  cr_assert_eq (ocirt_parse_signal ("9"), 9);
  cr_assert_eq (ocirt_parse_signal ("15"), 15);
  cr_assert_eq (ocirt_parse_signal ("HUP"), SIGHUP);
  cr_assert_eq (ocirt_parse_signal ("WINCH"), SIGWINCH);
  cr_assert_eq (ocirt_parse_signal ("RTMIN"), SIGRTMIN);
  cr_assert_eq (ocirt_parse_signal ("RTMIN+3"), SIGRTMIN + 3);
  cr_assert_eq (ocirt_parse_signal ("SIGRTMAX-1"), SIGRTMAX - 1);
}

Test (signals, rejects_junk)
{
  cr_assert_eq (ocirt_parse_signal (""), -1);
  cr_assert_eq (ocirt_parse_signal ("0"), 0);
  cr_assert_eq (ocirt_parse_signal ("65"), -1);
  cr_assert_eq (ocirt_parse_signal ("9x"), -1);
  cr_assert_eq (ocirt_parse_signal ("SIG"), -1);
  cr_assert_eq (ocirt_parse_signal ("NOPE"), -1);
  cr_assert_eq (ocirt_parse_signal ("RTMIN-1"), -1);
  cr_assert_eq (ocirt_parse_signal ("-9"), -1);
}

Test (ids, runc_rule)
{
  char longid[OCIRT_ID_MAX + 2];

  cr_assert (ocirt_id_valid ("a"));
  cr_assert (ocirt_id_valid ("web-1_2.3+x"));
  cr_assert (ocirt_id_valid ("0abc"));
  cr_assert_not (ocirt_id_valid (""));
  cr_assert_not (ocirt_id_valid (NULL));
  cr_assert_not (ocirt_id_valid ("-a"));
  cr_assert_not (ocirt_id_valid (".a"));
  cr_assert_not (ocirt_id_valid ("../x"));
  cr_assert_not (ocirt_id_valid ("a/b"));
  cr_assert_not (ocirt_id_valid ("a b"));
  cr_assert_not (ocirt_id_valid ("a\n"));
  memset (longid, 'a', sizeof (longid) - 1);
  longid[sizeof (longid) - 1] = '\0';
  cr_assert_not (ocirt_id_valid (longid));
  longid[OCIRT_ID_MAX] = '\0';
  cr_assert (ocirt_id_valid (longid));
}

Test (mount_options, flags_and_clearing)
{
  char *opts[] = { "nosuid", "nodev", "noexec", "ro", "rw", "relatime", "noatime" };
  struct ocirt_mount_flags f;

  ocirt_parse_mount_options (opts, 7, &f);
  cr_assert_eq (f.flags, (unsigned long) (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME));
  cr_assert_null (f.data);
  ocirt_mount_flags_release (&f);
}

Test (mount_options, bind_propagation_and_data)
{
  char *opts[] = { "rbind", "rslave", "mode=755", "size=65536k", "nosuid" };
  struct ocirt_mount_flags f;

  ocirt_parse_mount_options (opts, 5, &f);
  cr_assert_eq (f.flags, (unsigned long) (MS_BIND | MS_REC | MS_NOSUID));
  cr_assert_eq (f.propagation, (unsigned long) (MS_SLAVE | MS_REC));
  cr_assert_str_eq (f.data, "mode=755,size=65536k");
  ocirt_mount_flags_release (&f);
}

Test (mount_options, recursive_attributes)
{
  char *opts[] = { "rro", "rnosuid", "rnoexec", "rexec", "idmap" };
  struct ocirt_mount_flags f;

  ocirt_parse_mount_options (opts, 5, &f);
  cr_assert_eq (f.rec_attr_set, (uint64_t) (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
  cr_assert_eq (f.rec_attr_clr, (uint64_t) MOUNT_ATTR_NOEXEC);
  cr_assert (f.idmap);
  cr_assert_eq (f.flags, 0UL);
  ocirt_mount_flags_release (&f);
}

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
  check_resolution (ocirt_open_in_root);
}

Test (path, open_in_root_fallback, .init = make_tree, .fini = remove_tree)
{
  check_resolution (ocirt_open_in_root_fallback);
}

Test (path, mkpath_follows_dangling_link_inside, .init = make_tree, .fini = remove_tree)
{
  ocirt_error_t err = NULL;
  char p[2 * PATH_MAX + 16];
  struct stat sb;
  int root = open (tmpl, O_PATH | O_DIRECTORY);
  int fd;

  fd = ocirt_mkpath_in_root (root, "/escape/a/b", false, &err);
  cr_assert_geq (fd, 0, "%s", err ? err->msg : "");
  close (fd);
  /* Created under the rootfs, at the link's target seen from inside.  */
  snprintf (p, sizeof (p), "%s%s/a/b", tmpl, outside);
  cr_assert_eq (stat (p, &sb), 0, "expected %s", p);
  cr_assert (S_ISDIR (sb.st_mode));
  snprintf (p, sizeof (p), "%s/a", outside);
  cr_assert_neq (stat (p, &sb), 0, "created on the host: %s", p);

  fd = ocirt_mkpath_in_root (root, "/new/file", true, &err);
  cr_assert_geq (fd, 0, "%s", err ? err->msg : "");
  cr_assert_eq (fstat (fd, &sb), 0);
  cr_assert (S_ISREG (sb.st_mode));
  close (fd);
  close (root);
}

Test (exec, user_parsing_is_strict)
{
  unsigned uid = 7, gid = 7;
  bool has_gid = true;

  cr_assert_eq (ocirt_parse_user ("1000", &uid, &gid, &has_gid), 0);
  cr_assert_eq (uid, 1000);
  cr_assert_not (has_gid);
  cr_assert_eq (ocirt_parse_user ("0:5", &uid, &gid, &has_gid), 0);
  cr_assert (uid == 0 && gid == 5 && has_gid);
  cr_assert_eq (ocirt_parse_user ("4294967294:4294967294", &uid, &gid, &has_gid), 0);
  cr_assert_eq (ocirt_parse_user ("", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_parse_user ("x", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_parse_user ("1:", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_parse_user (":1", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_parse_user ("-1", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_parse_user ("+1", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_parse_user ("1:2:3", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_parse_user ("4294967295", &uid, &gid, &has_gid), -1);
  cr_assert_eq (ocirt_parse_user ("99999999999999999999", &uid, &gid, &has_gid), -1);
}

Test (process, setenv_replaces_or_appends)
{
  char *initial[] = { "A=1", "PATH=/bin", NULL };
  oci_process p = { 0 };
  size_t i;

  p.env = xmalloc0 (sizeof (char *) * 3);
  for (i = 0; i < 2; i++)
    p.env[i] = xstrdup (initial[i]);
  p.env_len = 2;
  ocirt_process_setenv (&p, "A=2");
  ocirt_process_setenv (&p, "AB=3");
  ocirt_process_setenv (&p, "PATH=/usr/bin");
  cr_assert_eq (p.env_len, 3);
  cr_assert_str_eq (p.env[0], "A=2");
  cr_assert_str_eq (p.env[1], "PATH=/usr/bin");
  cr_assert_str_eq (p.env[2], "AB=3");
  cr_assert_null (p.env[3]);
  for (i = 0; i < p.env_len; i++)
    free (p.env[i]);
  free (p.env);
}

/* state.json: what ocirt_state_write writes, ocirt_state_read gives back;
   and the reader's rules for files it did not write.  */
static char state_dir[] = "/tmp/ocirt-unit-state.XXXXXX";

static int
state_dirfd (void)
{
  int fd;

  cr_assert_not_null (mkdtemp (state_dir));
  fd = open (state_dir, O_RDONLY | O_DIRECTORY);
  cr_assert_geq (fd, 0);
  return fd;
}

static void
put_state (int dirfd, const char *json)
{
  ocirt_error_t err = NULL;

  cr_assert_eq (write_file_atomic_at (dirfd, OCIRT_STATE_FILE, json, strlen (json), 0600, &err), 0);
}

static void
drop_state_dir (int dirfd)
{
  unlinkat (dirfd, OCIRT_STATE_FILE, 0);
  close (dirfd);
  rmdir (state_dir);
}

Test (state, write_read_round_trip)
{
  char *dirs[] = { "/sys/fs/cgroup/memory/a", "/sys/fs/cgroup/unified/a" };
  struct ocirt_state_cgroup leaves[] = { { "memory", "/sys/fs/cgroup/memory/a" },
                                         { "", "/sys/fs/cgroup/unified/a" } };
  char *keys[] = { "k1", "k\"2" }, *values[] = { "v1", "" };
  struct ocirt_container_state in = {
    .id = "c1", .pid = 42, .start_time = 1234567890123ULL, .bundle = "/b", .config = "/b/config.json",
    .notify_socket = "/run/n.sock", .rootfs = "/b/rootfs", .created = "2026-01-01T00:00:00Z",
    .owner = 1000, .systemd_cgroup = true, .cgroup_path = "/a", .cgroup_dirs = dirs,
    .cgroup_dirs_len = 2, .cgroup_leaves = leaves, .cgroup_leaves_len = 2,
    .annotation_keys = keys, .annotation_values = values, .annotations_len = 2,
  };
  struct ocirt_container_state out;
  ocirt_error_t err = NULL;
  int fd = state_dirfd ();

  cr_assert_eq (ocirt_state_write (fd, &in, &err), 0);
  cr_assert_eq (ocirt_state_read (fd, &out, &err), 0);
  cr_assert_str_eq (out.id, "c1");
  cr_assert_eq (out.pid, 42);
  cr_assert_eq (out.start_time, 1234567890123ULL);
  cr_assert_str_eq (out.bundle, "/b");
  cr_assert_str_eq (out.config, "/b/config.json");
  cr_assert_str_eq (out.notify_socket, "/run/n.sock");
  cr_assert_str_eq (out.rootfs, "/b/rootfs");
  cr_assert_str_eq (out.created, "2026-01-01T00:00:00Z");
  cr_assert_eq (out.owner, 1000);
  cr_assert (out.systemd_cgroup);
  cr_assert_str_eq (out.cgroup_path, "/a");
  cr_assert_eq (out.cgroup_dirs_len, 2);
  cr_assert_str_eq (out.cgroup_dirs[1], "/sys/fs/cgroup/unified/a");
  cr_assert_eq (out.cgroup_leaves_len, 2);
  cr_assert_str_eq (out.cgroup_leaves[0].controllers, "memory");
  cr_assert_str_eq (out.cgroup_leaves[1].controllers, "");
  cr_assert_str_eq (out.cgroup_leaves[1].path, "/sys/fs/cgroup/unified/a");
  cr_assert_eq (out.annotations_len, 2);
  cr_assert_str_eq (out.annotation_keys[1], "k\"2");
  cr_assert_str_eq (out.annotation_values[0], "v1");
  cr_assert_str_eq (out.annotation_values[1], "");
  ocirt_state_free (&out);
  drop_state_dir (fd);
}

Test (state, reader_skips_unknown_and_mistyped_values)
{
  struct ocirt_container_state st;
  ocirt_error_t err = NULL;
  int fd = state_dirfd ();
  size_t i;

  put_state (fd, "{\"future\":{\"a\":[1,{\"id\":\"no\"}],\"pid\":9},\"id\":\"c2\","
                 "\"pid\":\"7\",\"owner\":1.5,\"start_time\":99999999999999999999,"
                 "\"bundle\":\"/b\",\"bundle\":\"/second\",\"rootfs\":null,"
                 "\"cgroup_dirs\":[\"/d1\",3,[\"/nested\"],\"/d2\"],"
                 "\"cgroup_leaves\":[{\"controllers\":\"pids\",\"path\":\"/p\",\"x\":[]},"
                 "{\"path\":\"/no-controllers\"},7],"
                 "\"annotations\":{\"a\":\"1\",\"n\":2,\"o\":{\"p\":\"q\"},\"b\":\"2\"},"
                 "\"systemd_cgroup\":\"yes\"}");
  cr_assert_eq (ocirt_state_read (fd, &st, &err), 0);
  cr_assert_str_eq (st.id, "c2");
  cr_assert_eq (st.pid, 0);
  cr_assert_eq (st.owner, 0);
  cr_assert_eq (st.start_time, 0);
  cr_assert_str_eq (st.bundle, "/b");
  cr_assert_null (st.rootfs);
  cr_assert (!st.systemd_cgroup);
  cr_assert_eq (st.cgroup_dirs_len, 2);
  cr_assert_str_eq (st.cgroup_dirs[0], "/d1");
  cr_assert_str_eq (st.cgroup_dirs[1], "/d2");
  cr_assert_eq (st.cgroup_leaves_len, 1);
  cr_assert_str_eq (st.cgroup_leaves[0].path, "/p");
  cr_assert_eq (st.annotations_len, 2);
  for (i = 0; i < st.annotations_len; i++)
    cr_assert_str_eq (st.annotation_values[i], i ? "2" : "1");
  ocirt_state_free (&st);
  drop_state_dir (fd);
}

Test (state, reader_refuses_corrupt_files)
{
  const char *bad[] = { "[{\"id\":\"c\",\"bundle\":\"/b\"}]", "\"c\"", "{\"id\":\"c\",\"bundle\":",
                        "{\"id\":\"c\"}", "{\"id\":\"c\",\"bundle\":\"/b\"} x", "" };
  struct ocirt_container_state st;
  size_t i;
  int fd = state_dirfd ();

  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      ocirt_error_t err = NULL;

      put_state (fd, bad[i]);
      cr_assert_lt (ocirt_state_read (fd, &st, &err), 0, "accepted: %s", bad[i]);
      cr_assert (strstr (err->msg, "corrupt") != NULL, "%s: %s", bad[i], err->msg);
      cr_assert_null (st.id);
      ocirt_error_release (&err);
    }
  drop_state_dir (fd);
}

/* ---- id mappings (uid_map / gid_map text) ------------------------------ */

#include "libocirt/namespaces.h"

static int
id_map (const unsigned (*r)[3], size_t n, char *buf, char **msg)
{
  oci_id_mapping m[OCIRT_ID_MAP_MAX + 2], *p[OCIRT_ID_MAP_MAX + 2];
  ocirt_error_t err = NULL;
  size_t i;
  int len;

  for (i = 0; i < n; i++)
    {
      memset (&m[i], 0, sizeof (m[i]));
      m[i].container_id = r[i][0];
      m[i].host_id = r[i][1];
      m[i].size = r[i][2];
      p[i] = &m[i];
    }
  len = ocirt_ns_id_map_text ("linux.uidMappings", p, n, buf, &err);
  *msg = err ? strdup (err->msg) : NULL;
  ocirt_error_release (&err);
  return len;
}

Test (idmap, text_and_refusals)
{
  static const unsigned ok[][3] = { { 0, 1000, 1 }, { 1, 100000, 65535 }, { 4294967295u, 0, 1 } };
  static const unsigned wrap[][3] = { { 4294967286u, 100000, 20 } };
  static const unsigned host_wrap[][3] = { { 0, 4294967295u, 2 } };
  static const unsigned zero[][3] = { { 0, 0, 0 } };
  static const unsigned overlap[][3] = { { 0, 100000, 1000 }, { 999, 300000, 1 } };
  static const unsigned overlap_host[][3] = { { 0, 100000, 1000 }, { 5000, 99000, 1001 } };
  static unsigned many[OCIRT_ID_MAP_MAX + 1][3];
  char buf[OCIRT_ID_MAP_TEXT_MAX], *msg;
  size_t i;

  cr_assert_eq (id_map (ok, 3, buf, &msg), 39);
  cr_assert_str_eq (buf, "0 1000 1\n1 100000 65535\n4294967295 0 1\n");
  /* nothing to map: empty text (the first input the fuzzer tried) */
  cr_assert_eq (id_map (ok, 0, buf, &msg), 0);
  cr_assert_str_eq (buf, "");

  cr_assert_lt (id_map (wrap, 1, buf, &msg), 0);
  cr_assert_str_eq (msg, "linux.uidMappings[0]: containerID 4294967286 + size 20 is past 2^32");
  free (msg);
  cr_assert_lt (id_map (host_wrap, 1, buf, &msg), 0);
  cr_assert_str_eq (msg, "linux.uidMappings[0]: hostID 4294967295 + size 2 is past 2^32");
  free (msg);
  cr_assert_lt (id_map (zero, 1, buf, &msg), 0);
  cr_assert_str_eq (msg, "linux.uidMappings[0]: size is 0");
  free (msg);
  cr_assert_lt (id_map (overlap, 2, buf, &msg), 0);
  cr_assert_str_eq (msg, "linux.uidMappings[1]: container ids 999..999 overlap uidMappings[0]");
  free (msg);
  cr_assert_lt (id_map (overlap_host, 2, buf, &msg), 0);
  cr_assert_str_eq (msg, "linux.uidMappings[1]: host ids 99000..100000 overlap uidMappings[0]");
  free (msg);

  for (i = 0; i < OCIRT_ID_MAP_MAX + 1; i++)
    {
      many[i][0] = (unsigned) i;
      many[i][1] = 1000 + (unsigned) i;
      many[i][2] = 1;
    }
  cr_assert_gt (id_map ((const unsigned (*)[3]) many, OCIRT_ID_MAP_MAX, buf, &msg), 0);
  cr_assert_lt (id_map ((const unsigned (*)[3]) many, OCIRT_ID_MAP_MAX + 1, buf, &msg), 0);
  cr_assert_str_eq (msg, "linux.uidMappings: 341 ranges, the kernel takes at most 340");
  free (msg);
  /* 340 ranges of big numbers do not fit in the page the kernel reads */
  for (i = 0; i < OCIRT_ID_MAP_MAX; i++)
    {
      many[i][0] = 4000000000u + (unsigned) i * 1000;
      many[i][1] = 4000000000u + (unsigned) i * 1000;
      many[i][2] = 1000;
    }
  cr_assert_lt (id_map ((const unsigned (*)[3]) many, OCIRT_ID_MAP_MAX, buf, &msg), 0);
  cr_assert_str_eq (msg, "linux.uidMappings: the ranges take more than the 4095 bytes the kernel reads");
  free (msg);
}
