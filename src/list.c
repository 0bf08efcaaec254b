/* ocirt list [--quiet] [--format table|json] */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libocirt/container.h"
#include "libocirt/log.h"
#include "libocirt/state_json.h"
#include "libocirt/state_status.h"
#include "ocirt.h"
#include "libocirt/utils.h"

/* getpwuid reads the passwd database on every call; containers mostly
   share an owner, so remember the last answer.  */
static const char *
owner_name (uid_t uid, char *buf, size_t size)
{
  static char *last_name;
  static uid_t last_uid;
  struct passwd *pw;

  if (last_name && last_uid == uid)
    return last_name;
  pw = getpwuid (uid);
  if (pw == NULL)
    {
      snprintf (buf, size, "#%u", (unsigned) uid);
      return buf;
    }
  free (last_name);
  last_name = xstrdup (pw->pw_name);
  last_uid = uid;
  return last_name;
}

/* A JSON array of the entries' OCI states, on one line.  */
static void
print_json (const struct ocirt_list_entry *e, size_t n)
{
  size_t i;

  putchar ('[');
  for (i = 0; i < n; i++)
    {
      cleanup_free char *json = NULL;
      char owner[32];

      json = ocirt_state_to_list_json (&e[i].st, e[i].status,
                                       owner_name (e[i].st.owner, owner, sizeof (owner)));
      printf ("%s%s", i ? "," : "", json);
    }
  puts ("]");
}

int
ocirt_cmd_list (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  const char *shortopts = "qf:";
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_list_entry *entries = NULL;
  const char *format = "table";
  bool quiet = false;
  size_t n = 0, i;
  int c;

  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      if (c == 'q')
        quiet = true;
      else if (c == 'f')
        format = optarg;
      else
        return ocirt_cli_fail ("list: unknown or incomplete option `%s`", argv[optind - 1]);
    }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return ocirt_cli_fail ("list: invalid format `%s` (table or json)", format);
  if (!ocirt_cli_positional ("list", "[--quiet] [--format table|json]", argc, argv, optind, 0, 0))
    return 1;
  if (ocirt_container_list (g->root, &entries, &n, &err) < 0)
    return ocirt_log_report (&err);

  if (quiet)
    for (i = 0; i < n; i++)
      puts (entries[i].st.id);
  else if (strcmp (format, "json") == 0)
    print_json (entries, n);
  else
    {
      printf ("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (i = 0; i < n; i++)
        {
          const struct ocirt_container_state *st = &entries[i].st;
          char owner[32];

          printf ("%-12s %-10d %-10s %-40s %-30s %s\n", st->id,
                  entries[i].status == OCIRT_STATUS_STOPPED ? 0 : st->pid,
                  ocirt_state_status_name (entries[i].status), st->bundle,
                  st->created ? st->created : "", owner_name (st->owner, owner, sizeof (owner)));
        }
    }
  ocirt_container_list_free (entries, n);
  return 0;
}
