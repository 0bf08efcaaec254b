/* Unit tests of process.c: the process environment, the annotation on groups.  */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "libocirt/process.h"
#include "libocirt/utils.h"

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

Test (process, keep_groups_annotation_as_crun_reads_it)
{
  char *keys[] = { "org.example", OCIRT_KEEP_GROUPS_ANNOTATION };
  char *values[] = { "1", "1" };
  oci_map_string m = { .keys = keys, .values = values, .len = 2 };

  cr_assert (!ocirt_process_keep_groups (NULL));
  cr_assert (ocirt_process_keep_groups (&m));
  values[1] = "true";
  cr_assert (ocirt_process_keep_groups (&m));
  values[1] = "";
  cr_assert (ocirt_process_keep_groups (&m));
  values[1] = "0";
  cr_assert (!ocirt_process_keep_groups (&m));
  m.len = 1;
  values[1] = "1";
  cr_assert (!ocirt_process_keep_groups (&m));
}
