/* Unit tests of inspect_mounts.c: mountinfo lines, destinations, the
   mounts that differ from config.json's.  */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/inspect_mounts.h"

Test (inspect_mounts, line_with_optional_fields_and_escapes)
{
  char line[] = "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root\\011x "
                "rw,errors=continue";
  struct ocirt_inspect_mountinfo m;

  cr_assert (ocirt_inspect_mounts_parse_line (line, &m));
  cr_assert_str_eq (m.mount_point, "/mnt two");
  cr_assert_str_eq (m.options, "rw,noatime");
  cr_assert_str_eq (m.type, "ext3");
  cr_assert_str_eq (m.source, "/dev/root\tx");
}

Test (inspect_mounts, line_junk)
{
  char short_line[] = "36 35 98:0 / /mnt rw";
  char no_dash[] = "36 35 98:0 / /mnt rw shared:1 ext3 /dev/root rw";
  char no_source[] = "36 35 98:0 / /mnt rw - ext3";
  struct ocirt_inspect_mountinfo m;

  cr_assert_not (ocirt_inspect_mounts_parse_line (short_line, &m));
  cr_assert_not (ocirt_inspect_mounts_parse_line (no_dash, &m));
  cr_assert_not (ocirt_inspect_mounts_parse_line (no_source, &m));
}

Test (inspect_mounts, clean_path)
{
  static const char *const cases[][2] = {
    { "/proc", "/proc" }, { "//dev///pts/", "/dev/pts" }, { "/", "/" }, { "tmp", "/tmp" },
    { "///", "/" },
  };
  size_t i;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *c = ocirt_inspect_mounts_clean_path (cases[i][0]);

      cr_assert_str_eq (c, cases[i][1], "%s", cases[i][0]);
      free (c);
    }
}

static const char config[] =
    "{\"ociVersion\":\"1.0.2\",\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev/\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
    "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"ro\"]},"
    "{\"destination\":\"/gone\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]}";

static const char mountinfo[] = "100 90 8:1 /b/rootfs / rw,relatime - ext4 /dev/sda1 rw\n"
                                "101 100 0:5 / /proc rw,nosuid - proc proc rw\n"
                                "102 100 0:6 / /dev rw,nosuid - tmpfs tmpfs rw\n"
                                "103 100 8:1 /srv /data ro,relatime - ext4 /dev/sda1 rw\n"
                                "104 100 0:7 / /sys rw,nosuid - sysfs sysfs rw\n"
                                "105 101 0:6 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw\n"
                                "106 100 0:8 / /dev/pts rw - devpts devpts rw\n"
                                "107 100 0:9 / / ro,relatime - ext4 /dev/sda1 ro\n";

static const oci_inspect_mount *
find (const oci_inspect *doc, const char *dest)
{
  size_t i;

  for (i = 0; i < doc->mounts_len; i++)
    if (strcmp (doc->mounts[i]->destination, dest) == 0)
      return doc->mounts[i];
  return NULL;
}

/* The difference of the mount on DEST, which must be listed.  */
static const char *
difference_of (const oci_inspect *doc, const char *dest)
{
  const oci_inspect_mount *m = find (doc, dest);

  cr_assert_not_null (m, "%s not listed", dest);
  return m ? m->difference : "";
}

Test (inspect_mounts, differences)
{
  cleanup_error ocirt_error_t err = NULL;
  oci_spec *spec = oci_spec_parse_data (config, strlen (config), NULL);
  oci_inspect *doc = calloc (1, sizeof (*doc));

  cr_assert_not_null (spec);
  cr_assert_eq (ocirt_inspect_mounts_fill (mountinfo, spec, "/b/rootfs", doc, &err), 0);
  /* the last mount on / is the root */
  cr_assert_str_eq (doc->root->path, "/b/rootfs");
  cr_assert (doc->root->readonly);
  cr_assert_eq (doc->mounts_len, 4);
  cr_assert_null (find (doc, "/proc"));
  cr_assert_null (find (doc, "/dev"));
  cr_assert_null (find (doc, "/data"));
  cr_assert_str_eq (difference_of (doc, "/sys"), "readonly");
  cr_assert_str_eq (difference_of (doc, "/proc/kcore"), "added");
  cr_assert_str_eq (difference_of (doc, "/dev/pts"), "added");
  cr_assert_str_eq (difference_of (doc, "/gone"), "missing");
  /* in mountinfo's order, the missing ones last */
  cr_assert_str_eq (doc->mounts[1]->destination, "/proc/kcore");
  cr_assert_str_eq (doc->mounts[1]->type, "tmpfs");
  cr_assert_null (doc->mounts[3]->type);
  free_oci_inspect (doc);
  free_oci_spec (spec);
}

Test (inspect_mounts, type_differs_and_no_config)
{
  cleanup_error ocirt_error_t err = NULL;
  static const char cfg[] =
      "{\"ociVersion\":\"1.0.2\",\"mounts\":["
      "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\"}]}";
  static const char mi[] = "1 0 0:1 / / rw - ext4 /dev/sda1 rw\n"
                           "2 1 0:2 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n";
  oci_spec *spec = oci_spec_parse_data (cfg, strlen (cfg), NULL);
  oci_inspect *doc = calloc (1, sizeof (*doc));

  cr_assert_eq (ocirt_inspect_mounts_fill (mi, spec, NULL, doc, &err), 0);
  cr_assert_eq (doc->mounts_len, 1);
  cr_assert_str_eq (doc->mounts[0]->difference, "type");
  cr_assert_null (doc->root->path);
  cr_assert_not (doc->root->readonly);
  free_oci_inspect (doc);
  doc = calloc (1, sizeof (*doc));
  cr_assert_eq (ocirt_inspect_mounts_fill (mi, NULL, NULL, doc, &err), 0);
  cr_assert_str_eq (doc->mounts[0]->difference, "added");
  free_oci_inspect (doc);
  free_oci_spec (spec);
}

Test (inspect_mounts, bad_mountinfo)
{
  ocirt_error_t err = NULL;
  oci_inspect *doc = calloc (1, sizeof (*doc));

  cr_assert_eq (ocirt_inspect_mounts_fill ("1 0 0:1 / / rw\n", NULL, NULL, doc, &err), -1);
  cr_assert (strstr (err->msg, "invalid mountinfo line"), "%s", err->msg);
  ocirt_error_release (&err);
  free_oci_inspect (doc);
}
