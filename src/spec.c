/* ocirt spec [--rootless] [--bundle DIR] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "ocirt.h"
#include "libocirt/cgroup.h"
#include "libocirt/spec_default.h"
#include "libocirt/utils.h"

int
ocirt_cmd_spec (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
  };
  const char *shortopts = "b:";
  cleanup_free char *json = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  const char *bundle = ".";
  bool rootless = false;
  int c;

  (void) g;
  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      if (c == 'b')
        bundle = optarg;
      else if (c == 'r')
        rootless = true;
      else
        return ocirt_cli_fail ("spec: unknown or incomplete option `%s`", argv[optind - 1]);
    }
  if (!ocirt_cli_positional ("spec", "[--rootless] [--bundle DIR]", argc, argv, optind, 0, 0))
    return 1;

  path = xasprintf ("%s/config.json", bundle);
  json = ocirt_spec_default (rootless, ocirt_cgroup_detect_mode () == OCIRT_CGROUP_V2, geteuid (),
                             getegid ());
  /* O_EXCL: never overwrite a config someone wrote.  */
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return ocirt_cli_fail ("spec: `%s` exists: remove it first", path);
      return ocirt_cli_fail ("spec: create `%s`: %s", path, strerror (errno));
    }
  if (ocirt_utils_write_all (fd, json, strlen (json)) < 0)
    return ocirt_cli_fail ("spec: write `%s`: %s", path, strerror (errno));
  return 0;
}
