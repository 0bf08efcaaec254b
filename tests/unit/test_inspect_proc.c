/* Unit tests of inspect_proc.c: /proc/PID/status lines, id maps,
   capability names.  */
#include <criterion/criterion.h>
#include <string.h>

#include "libocirt/inspect_proc.h"

static const char status[] = "Name:\tsleep\n"
                             "Umask:\t0022\n"
                             "CapInh:\t0000000000000000\n"
                             "CapPrm:\t00000000000000a0\n"
                             "CapEff:\t00000000000000a0\n"
                             "CapBnd:\t000001ffffffffff\n"
                             "CapAmb:\t0000000000000020\n"
                             "NoNewPrivs:\t1\n"
                             "Seccomp:\t2\n"
                             "Seccomp_filters:\t3\n"
                             "Speculation_Store_Bypass:\tthread vulnerable\n";

Test (inspect_proc, status_lines)
{
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_inspect_status s;

  cr_assert_eq (ocirt_inspect_proc_parse_status (status, &s, &err), 0);
  cr_assert_eq (s.cap_inh, 0);
  cr_assert_eq (s.cap_prm, 0xa0);
  cr_assert_eq (s.cap_eff, 0xa0);
  cr_assert_eq (s.cap_bnd, 0x1ffffffffffULL);
  cr_assert_eq (s.cap_amb, 0x20);
  cr_assert_eq (s.no_new_privs, 1);
  cr_assert_eq (s.seccomp, 2);
  cr_assert_eq (s.seccomp_filters, 3);
}

Test (inspect_proc, status_without_seccomp_lines)
{
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_inspect_status s;

  cr_assert_eq (ocirt_inspect_proc_parse_status (
                    "CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t3f\nCapAmb:\t0\n", &s, &err),
                0);
  cr_assert_eq (s.cap_bnd, 0x3f);
  cr_assert_eq (s.no_new_privs, -1);
  cr_assert_eq (s.seccomp, -1);
  cr_assert_eq (s.seccomp_filters, -1);
}

Test (inspect_proc, status_rejects_junk)
{
  ocirt_error_t err = NULL;
  struct ocirt_inspect_status s;

  cr_assert_eq (ocirt_inspect_proc_parse_status ("CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t3f\n", &s,
                                                 &err),
                -1);
  cr_assert (strstr (err->msg, "CapAmb"), "%s", err->msg);
  ocirt_error_release (&err);
  cr_assert_eq (ocirt_inspect_proc_parse_status (
                    "CapInh:\t0\nCapPrm:\tzz\nCapEff:\t0\nCapBnd:\t3f\nCapAmb:\t0\n", &s, &err),
                -1);
  cr_assert (strstr (err->msg, "CapPrm"), "%s", err->msg);
  ocirt_error_release (&err);
  cr_assert_eq (ocirt_inspect_proc_parse_status (
                    "CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t3f\nCapAmb:\t0\nSeccomp:\tx\n", &s,
                    &err),
                -1);
  ocirt_error_release (&err);
  /* a prefix of another key is not the key */
  cr_assert_eq (ocirt_inspect_proc_parse_status (
                    "CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t3f\nCapAmb:\t0\nSeccomp_filters:\t4\n",
                    &s, &err),
                0);
  cr_assert_eq (s.seccomp, -1);
  cr_assert_eq (s.seccomp_filters, 4);
}

Test (inspect_proc, id_maps)
{
  cleanup_error ocirt_error_t err = NULL;
  oci_id_mapping **maps = NULL;
  size_t n = 0, i;

  cr_assert_eq (ocirt_inspect_proc_parse_id_map ("         0     100000      65536\n"
                                                 "     65536          0 4294901760\n",
                                                 &maps, &n, &err),
                0);
  cr_assert_eq (n, 2);
  cr_assert_eq (maps[0]->container_id, 0);
  cr_assert_eq (maps[0]->host_id, 100000);
  cr_assert_eq (maps[0]->size, 65536);
  cr_assert_eq (maps[1]->size, 4294901760U);
  cr_assert_null (maps[2]);
  for (i = 0; i < n; i++)
    free_oci_id_mapping (maps[i]);
  free (maps);
}

Test (inspect_proc, id_map_junk)
{
  ocirt_error_t err = NULL;
  oci_id_mapping **maps = NULL;
  size_t n = 0, i;

  cr_assert_eq (ocirt_inspect_proc_parse_id_map ("0 0 10\n0 0\n", &maps, &n, &err), -1);
  cr_assert (strstr (err->msg, "`0 0`"), "%s", err->msg);
  ocirt_error_release (&err);
  for (i = 0; i < n; i++)
    free_oci_id_mapping (maps[i]);
  free (maps);
  cr_assert_eq (ocirt_inspect_proc_parse_id_map ("0 0 4294967296\n", &maps, &n, &err), -1);
  ocirt_error_release (&err);
  free (maps);
}

Test (inspect_proc, capability_names)
{
  size_t n, i;
  char **names = ocirt_inspect_proc_cap_names ((1ULL << 0) | (1ULL << 5) | (1ULL << 63), &n);

  cr_assert_eq (n, 3);
  cr_assert_str_eq (names[0], "CAP_CHOWN");
  cr_assert_str_eq (names[1], "CAP_KILL");
  cr_assert_str_eq (names[2], "63");
  cr_assert_null (names[3]);
  for (i = 0; i < n; i++)
    free (names[i]);
  free (names);
  cr_assert_str_eq (ocirt_inspect_proc_seccomp_mode (0), "disabled");
  cr_assert_str_eq (ocirt_inspect_proc_seccomp_mode (2), "filter");
  cr_assert_str_eq (ocirt_inspect_proc_seccomp_mode (7), "unknown");
}
