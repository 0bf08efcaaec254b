#include <string.h>
#include <sys/mount.h>
#include <linux/mount.h>

#include "mount_options.h"
#include "utils.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum option_kind
{
  OPT_FLAG,        /* set (or clear) an MS_* flag */
  OPT_PROPAGATION, /* mount propagation */
  OPT_RECURSIVE,   /* mount_setattr with AT_RECURSIVE */
  OPT_EXTENSION,   /* handled by the runtime itself */
};

enum extension
{
  EXT_IDMAP = 1,
  EXT_RIDMAP,
  EXT_TMPCOPYUP,
};

static const struct option_def
{
  const char *name;
  enum option_kind kind;
  bool clear;
  unsigned long value;
} option_table[] = {
  { "defaults", OPT_FLAG, false, 0 },
  { "ro", OPT_FLAG, false, MS_RDONLY },
  { "rw", OPT_FLAG, true, MS_RDONLY },
  { "suid", OPT_FLAG, true, MS_NOSUID },
  { "nosuid", OPT_FLAG, false, MS_NOSUID },
  { "dev", OPT_FLAG, true, MS_NODEV },
  { "nodev", OPT_FLAG, false, MS_NODEV },
  { "exec", OPT_FLAG, true, MS_NOEXEC },
  { "noexec", OPT_FLAG, false, MS_NOEXEC },
  { "sync", OPT_FLAG, false, MS_SYNCHRONOUS },
  { "async", OPT_FLAG, true, MS_SYNCHRONOUS },
  { "dirsync", OPT_FLAG, false, MS_DIRSYNC },
  { "remount", OPT_FLAG, false, MS_REMOUNT },
  { "mand", OPT_FLAG, false, MS_MANDLOCK },
  { "nomand", OPT_FLAG, true, MS_MANDLOCK },
  { "atime", OPT_FLAG, true, MS_NOATIME },
  { "noatime", OPT_FLAG, false, MS_NOATIME },
  { "diratime", OPT_FLAG, true, MS_NODIRATIME },
  { "nodiratime", OPT_FLAG, false, MS_NODIRATIME },
  { "relatime", OPT_FLAG, false, MS_RELATIME },
  { "norelatime", OPT_FLAG, true, MS_RELATIME },
  { "strictatime", OPT_FLAG, false, MS_STRICTATIME },
  { "nostrictatime", OPT_FLAG, true, MS_STRICTATIME },
  { "lazytime", OPT_FLAG, false, MS_LAZYTIME },
  { "nolazytime", OPT_FLAG, true, MS_LAZYTIME },
  { "iversion", OPT_FLAG, false, MS_I_VERSION },
  { "noiversion", OPT_FLAG, true, MS_I_VERSION },
  { "silent", OPT_FLAG, false, MS_SILENT },
  { "loud", OPT_FLAG, true, MS_SILENT },
  { "symfollow", OPT_FLAG, true, MS_NOSYMFOLLOW },
  { "nosymfollow", OPT_FLAG, false, MS_NOSYMFOLLOW },
  { "bind", OPT_FLAG, false, MS_BIND },
  { "rbind", OPT_FLAG, false, MS_BIND | MS_REC },
  { "shared", OPT_PROPAGATION, false, MS_SHARED },
  { "rshared", OPT_PROPAGATION, false, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, false, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, false, MS_SLAVE | MS_REC },
  { "private", OPT_PROPAGATION, false, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, false, MS_PRIVATE | MS_REC },
  { "unbindable", OPT_PROPAGATION, false, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, false, MS_UNBINDABLE | MS_REC },
  { "rro", OPT_RECURSIVE, false, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_RECURSIVE, true, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_RECURSIVE, false, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_RECURSIVE, true, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_RECURSIVE, false, MOUNT_ATTR_NODEV },
  { "rdev", OPT_RECURSIVE, true, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_RECURSIVE, false, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_RECURSIVE, true, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_RECURSIVE, false, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_RECURSIVE, true, MOUNT_ATTR_NODIRATIME },
  { "rnoatime", OPT_RECURSIVE, false, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_RECURSIVE, true, MOUNT_ATTR_NOATIME },
  { "rrelatime", OPT_RECURSIVE, false, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_RECURSIVE, true, MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_RECURSIVE, false, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_RECURSIVE, true, MOUNT_ATTR_STRICTATIME },
  { "rnosymfollow", OPT_RECURSIVE, false, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_RECURSIVE, true, MOUNT_ATTR_NOSYMFOLLOW },
  { "idmap", OPT_EXTENSION, false, EXT_IDMAP },
  { "ridmap", OPT_EXTENSION, false, EXT_RIDMAP },
  { "tmpcopyup", OPT_EXTENSION, false, EXT_TMPCOPYUP },
};

const char *const ocirt_mount_options_known[] = {
  "async",         "atime",        "bind",
  "defaults",      "dev",          "diratime",
  "dirsync",       "exec",         "idmap",
  "iversion",      "lazytime",     "loud",
  "mand",          "noatime",      "nodev",
  "nodiratime",    "noexec",       "noiversion",
  "nolazytime",    "nomand",       "norelatime",
  "nostrictatime", "nosuid",       "nosymfollow",
  "private",       "ratime",       "rbind",
  "rdev",          "rdiratime",    "relatime",
  "remount",       "rexec",        "ridmap",
  "rnoatime",      "rnodev",       "rnodiratime",
  "rnoexec",       "rnorelatime",  "rnostrictatime",
  "rnosuid",       "rnosymfollow", "ro",
  "rprivate",      "rrelatime",    "rro",
  "rrw",           "rshared",      "rslave",
  "rstrictatime",  "rsuid",        "rsymfollow",
  "runbindable",   "rw",           "shared",
  "silent",        "slave",        "strictatime",
  "suid",          "symfollow",    "sync",
  "tmpcopyup",     "unbindable",   NULL,
};

/* The atime modes are one choice, not independent bits.  */
#define MS_ATIME_MASK (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

static void
append_data (char **data, const char *opt)
{
  char *n;

  if (*data == NULL)
    {
      *data = xstrdup (opt);
      return;
    }
  n = xasprintf ("%s,%s", *data, opt);
  free (*data);
  *data = n;
}

void
ocirt_mount_options_parse (char *const *options, size_t n, struct ocirt_mount_flags *out)
{
  size_t i, j;

  memset (out, 0, sizeof (*out));
  for (i = 0; i < n; i++)
    {
      const struct option_def *def = NULL;

      for (j = 0; j < ARRAY_SIZE (option_table); j++)
        if (strcmp (options[i], option_table[j].name) == 0)
          {
            def = &option_table[j];
            break;
          }
      if (def == NULL)
        {
          append_data (&out->data, options[i]);
          continue;
        }
      switch (def->kind)
        {
        case OPT_FLAG:
          if (def->clear)
            out->flags &= ~def->value;
          else
            {
              if (def->value & MS_ATIME_MASK)
                out->flags &= ~MS_ATIME_MASK;
              out->flags |= def->value;
            }
          break;
        case OPT_PROPAGATION:
          out->propagation = def->value;
          break;
        case OPT_RECURSIVE:
          if (def->value & MOUNT_ATTR__ATIME)
            {
              /* One atime mode: clearing the field selects relatime.  */
              out->rec_attr_clr |= MOUNT_ATTR__ATIME;
              out->rec_attr_set &= ~MOUNT_ATTR__ATIME;
              if (!def->clear)
                out->rec_attr_set |= def->value;
            }
          else if (def->clear)
            {
              out->rec_attr_clr |= def->value;
              out->rec_attr_set &= ~def->value;
            }
          else
            {
              out->rec_attr_set |= def->value;
              out->rec_attr_clr &= ~def->value;
            }
          break;
        case OPT_EXTENSION:
          if (def->value == EXT_IDMAP)
            out->idmap = true;
          else if (def->value == EXT_RIDMAP)
            out->ridmap = true;
          else if (def->value == EXT_TMPCOPYUP)
            out->tmpcopyup = true;
          break;
        }
    }
}

void
ocirt_mount_flags_release (struct ocirt_mount_flags *f)
{
  free (f->data);
  f->data = NULL;
}
