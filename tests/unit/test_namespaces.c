/* Unit tests of namespaces.c: id mappings as uid_map / gid_map text.  */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/namespaces.h"
#include "libocirt/error.h"

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
