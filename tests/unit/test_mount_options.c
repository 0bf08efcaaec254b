/* Unit tests of mount_options.c: mount options as flags and attributes.  */
#include <criterion/criterion.h>
#include <stdint.h>
#include <sys/mount.h>

#include "libocirt/mount_options.h"

Test (mount_options, flags_and_clearing)
{
  char *opts[] = { "nosuid", "nodev", "noexec", "ro", "rw", "relatime", "noatime" };
  struct ocirt_mount_flags f;

  ocirt_mount_options_parse (opts, 7, &f);
  cr_assert_eq (f.flags, (unsigned long) (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME));
  cr_assert_null (f.data);
  ocirt_mount_flags_release (&f);
}

Test (mount_options, bind_propagation_and_data)
{
  char *opts[] = { "rbind", "rslave", "mode=755", "size=65536k", "nosuid" };
  struct ocirt_mount_flags f;

  ocirt_mount_options_parse (opts, 5, &f);
  cr_assert_eq (f.flags, (unsigned long) (MS_BIND | MS_REC | MS_NOSUID));
  cr_assert_eq (f.propagation, (unsigned long) (MS_SLAVE | MS_REC));
  cr_assert_str_eq (f.data, "mode=755,size=65536k");
  ocirt_mount_flags_release (&f);
}

Test (mount_options, recursive_attributes)
{
  char *opts[] = { "rro", "rnosuid", "rnoexec", "rexec", "idmap" };
  struct ocirt_mount_flags f;

  ocirt_mount_options_parse (opts, 5, &f);
  cr_assert_eq (f.rec_attr_set, (uint64_t) (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
  cr_assert_eq (f.rec_attr_clr, (uint64_t) MOUNT_ATTR_NOEXEC);
  cr_assert (f.idmap);
  cr_assert_eq (f.flags, 0UL);
  ocirt_mount_flags_release (&f);
}
