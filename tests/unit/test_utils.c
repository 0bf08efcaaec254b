/* Unit tests of utils.c: the small parsers.  */
#include <criterion/criterion.h>
#include <stdbool.h>

#include "libocirt/utils.h"

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
