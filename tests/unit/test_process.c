/* Unit tests of process.c: the process environment.  */
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
