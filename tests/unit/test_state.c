/* Unit tests of state.c: container ids, and state.json as written and read.  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libocirt/state.h"
#include "libocirt/utils.h"

Test (ids, runc_rule)
{
  char longid[OCIRT_ID_MAX + 2];

  cr_assert (ocirt_state_id_valid ("a"));
  cr_assert (ocirt_state_id_valid ("web-1_2.3+x"));
  cr_assert (ocirt_state_id_valid ("0abc"));
  cr_assert_not (ocirt_state_id_valid (""));
  cr_assert_not (ocirt_state_id_valid (NULL));
  cr_assert_not (ocirt_state_id_valid ("-a"));
  cr_assert_not (ocirt_state_id_valid (".a"));
  cr_assert_not (ocirt_state_id_valid ("../x"));
  cr_assert_not (ocirt_state_id_valid ("a/b"));
  cr_assert_not (ocirt_state_id_valid ("a b"));
  cr_assert_not (ocirt_state_id_valid ("a\n"));
  memset (longid, 'a', sizeof (longid) - 1);
  longid[sizeof (longid) - 1] = '\0';
  cr_assert_not (ocirt_state_id_valid (longid));
  longid[OCIRT_ID_MAX] = '\0';
  cr_assert (ocirt_state_id_valid (longid));
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

  cr_assert_eq (ocirt_utils_write_file_atomic_at (dirfd, OCIRT_STATE_FILE, json, strlen (json), 0600,
                                                  &err),
                0);
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
    .id = "c1",
    .pid = 42,
    .start_time = 1234567890123ULL,
    .bundle = "/b",
    .config = "/b/config.json",
    .notify_socket = "/run/n.sock",
    .rootfs = "/b/rootfs",
    .created = "2026-01-01T00:00:00Z",
    .owner = 1000,
    .systemd_cgroup = true,
    .cgroup_path = "/a",
    .cgroup_dirs = dirs,
    .cgroup_dirs_len = 2,
    .cgroup_leaves = leaves,
    .cgroup_leaves_len = 2,
    .annotation_keys = keys,
    .annotation_values = values,
    .annotations_len = 2,
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
  const char *bad[] = { "[{\"id\":\"c\",\"bundle\":\"/b\"}]", "\"c\"",
                        "{\"id\":\"c\",\"bundle\":",          "{\"id\":\"c\"}",
                        "{\"id\":\"c\",\"bundle\":\"/b\"} x", "" };
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
