/* ocirt: an OCI container runtime with runc's command line.  */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "libocirt/error.h"
#include "libocirt/exe_guard.h"
#include "libocirt/log.h"
#include "libocirt/signals.h"
#include "ocirt.h"
#include "libocirt/utils.h"

static const struct
{
  const char *name;
  ocirt_command_fn fn;
  const char *help;
  const char *synopsis;
  bool enters_container; /* runs a process that joins a container */
  bool needs_criu;       /* absent from a build without CRIU */
} commands[] = {
  { "create", ocirt_cmd_create, "create a container",
    "[--bundle DIR] [--console-socket PATH] [--pid-file FILE] [--pidfd-socket PATH] [--no-pivot] "
    "[--no-new-keyring] [--preserve-fds N] [--config FILE] CONTAINER_ID",
    true },
  { "start", ocirt_cmd_start, "run the user-defined process in a created container", "CONTAINER_ID" },
  { "run", ocirt_cmd_run, "create and run a container",
    "[--bundle DIR] [--console-socket PATH] [--detach] [--keep] [--pid-file FILE] "
    "[--pidfd-socket PATH] [--no-pivot] [--no-new-keyring] [--preserve-fds N] [--config FILE] "
    "CONTAINER_ID",
    true },
  { "exec", ocirt_cmd_exec, "run a new process inside a container",
    "[--tty] [--detach] [--cwd DIR] [--env K=V] [--user UID[:GID]] [--additional-gids GID] "
    "[--cap CAP] [--no-new-privs] [--process FILE] [--pid-file FILE] [--pidfd-socket PATH] "
    "[--console-socket PATH] "
    "[--preserve-fds N] [--cgroup [CTRL:]PATH] [--ignore-paused] [--apparmor P] "
    "[--process-label L] CONTAINER_ID [COMMAND [ARG...]]",
    true },
  { "state", ocirt_cmd_state, "output the state of a container", "CONTAINER_ID" },
  { "list", ocirt_cmd_list, "list the containers", "[--format table|json] [--quiet]" },
  { "kill", ocirt_cmd_kill, "send a signal to the container's init process",
    "[--all] CONTAINER_ID [SIGNAL]" },
  { "delete", ocirt_cmd_delete, "delete a container and what it holds", "[--force] CONTAINER_ID" },
  { "pause", ocirt_cmd_pause, "suspend every process of a container", "CONTAINER_ID" },
  { "resume", ocirt_cmd_resume, "resume the processes of a paused container", "CONTAINER_ID" },
  { "ps", ocirt_cmd_ps, "list the processes of a container",
    "[--format table|json] CONTAINER_ID [-- PS_ARGS...]" },
  { "inspect", ocirt_cmd_inspect, "show what isolates a container, read from the kernel",
    "[--format table|json] CONTAINER_ID" },
  { "update", ocirt_cmd_update, "change the resource limits of a container",
    "[--resources FILE|-] [--memory N] [--cpu-share N] [--pids-limit N] [...] CONTAINER_ID" },
  { "events", ocirt_cmd_events, "show a container's stats and OOM events",
    "[--stats] [--interval DURATION] CONTAINER_ID" },
  { "spec", ocirt_cmd_spec, "create a new specification file", "[--bundle DIR] [--rootless]" },
  { "features", ocirt_cmd_features, "show the enabled features", "" },
  { "checkpoint", ocirt_cmd_checkpoint, "checkpoint a running container with CRIU",
    "[--image-path DIR] [--work-path DIR] [--parent-path DIR] [--leave-running] [--pre-dump] "
    "[--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] [--auto-dedup] "
    "[--page-server ADDR:PORT] [--manage-cgroups-mode soft|full|strict|ignore] CONTAINER_ID",
    false, true },
  { "restore", ocirt_cmd_restore, "restore a container from a checkpoint",
    "[--image-path DIR] [--work-path DIR] [--bundle DIR] [--detach] [--pid-file FILE] "
    "[--console-socket PATH] [--no-subreaper] [--no-pivot] [--tcp-established] [--ext-unix-sk] "
    "[--shell-job] [--file-locks] [--auto-dedup] [--manage-cgroups-mode MODE] CONTAINER_ID",
    false, true },
};

/* `ocirt help CMD`, `ocirt CMD --help`: the command's synopsis; the man
   page has the rest.  */
static int
command_help (size_t i)
{
  printf ("usage: ocirt %s%s%s\n\n%s.\nSee ocirt(8) for the options.\n", commands[i].name,
          commands[i].synopsis[0] ? " " : "", commands[i].synopsis, commands[i].help);
  return 0;
}

static bool
asks_help (int argc, char **argv)
{
  return argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0);
}

int
ocirt_cli_fail (const char *fmt, ...)
{
  char msg[4096];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  ocirt_log_write (OCIRT_LOG_ERROR, "%s", msg);
  return 1;
}

bool
ocirt_cli_positional (const char *cmd, const char *usage, int argc, char **argv, int optind_, int min,
                      int max)
{
  int n = argc - optind_;

  (void) argv;
  if (n < min || n > max)
    {
      ocirt_cli_fail ("%s: %s; usage: ocirt %s %s", cmd,
                      n < min ? "missing argument" : "too many arguments", cmd, usage);
      return false;
    }
  return true;
}

/* What strconv.ParseBool, runc's, takes: 1 for true, 0 for false, -1 for
   neither.  */
static int
bool_value (const char *v)
{
  static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
  static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (yes); i++)
    {
      if (strcmp (v, yes[i]) == 0)
        return 1;
      if (strcmp (v, no[i]) == 0)
        return 0;
    }
  return -1;
}

/* How option NAME (LEN bytes, no dashes) takes a value: no_argument,
   required_argument, or -1 when it is not one of the command's.  */
static int
option_kind (const char *name, size_t len, const char *shortopts, const struct option *options)
{
  const char *p;
  size_t i;

  for (i = 0; options[i].name; i++)
    if (strlen (options[i].name) == len && strncmp (options[i].name, name, len) == 0)
      return options[i].has_arg;
  if (len == 1 && name[0] != ':' && name[0] != '+' && (p = strchr (shortopts, name[0])))
    return p[1] == ':' ? required_argument : no_argument;
  return -1;
}

int
ocirt_cli_bool_forms (int argc, char **argv, const char *shortopts, const struct option *options)
{
  bool stop_at_operand = shortopts[0] == '+';
  int i = 1, j;

  while (i < argc)
    {
      char *arg = argv[i], *name, *eq;
      int kind, v;

      if (strcmp (arg, "--") == 0)
        break;
      if (arg[0] != '-' || arg[1] == '\0')
        {
          if (stop_at_operand)
            break;
          i++;
          continue;
        }
      name = arg + (arg[1] == '-' ? 2 : 1);
      eq = strchr (name, '=');
      kind = option_kind (name, eq ? (size_t) (eq - name) : strlen (name), shortopts, options);
      if (eq == NULL)
        {
          /* `--bundle X`: X is the option's, whatever it looks like.  */
          i += kind == required_argument ? 2 : 1;
          continue;
        }
      if (kind != no_argument || (v = bool_value (eq + 1)) < 0)
        {
          i++;
          continue;
        }
      if (v)
        {
          *eq = '\0';
          i++;
          continue;
        }
      for (j = i; j < argc; j++)
        argv[j] = argv[j + 1];
      argc--;
    }
  return argc;
}

/* Commands whose only argument is the container id, and no option.  */
int
ocirt_cli_parse_id (const char *cmd, int argc, char **argv)
{
  static const struct option none[] = { { NULL, 0, NULL, 0 } };

  opterr = 0;
  if (getopt_long_only (argc, argv, "", none, NULL) != -1)
    {
      ocirt_cli_fail ("%s: unknown option `%s`", cmd, argv[optind - 1]);
      return -1;
    }
  if (!ocirt_cli_positional (cmd, "CONTAINER_ID", argc, argv, optind, 1, 1))
    return -1;
  return optind;
}

static void
usage (FILE *out)
{
  size_t i;

  fprintf (out, "usage: ocirt [global options] COMMAND [options] [arguments]\n\n"
                "An OCI container runtime.\n\nCommands (`ocirt help COMMAND` for one):\n");
  for (i = 0; i < ARRAY_SIZE (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].help);
  fprintf (out, "\nGlobal options:\n"
                "  --root DIR             state directory (default /run/ocirt)\n"
                "  --log FILE             write log messages to FILE\n"
                "  --log-format FORMAT    text or json (default text)\n"
                "  --debug                log each setup step\n"
                "  --systemd-cgroup       use the systemd cgroup driver\n"
                "  --cgroup-manager M     cgroupfs, systemd or disabled\n"
                "  --rootless VALUE       true, false or auto\n"
                "  --criu PATH            the criu binary of checkpoint and restore\n"
                "  -v, --version          print the version\n"
                "  -h, --help             print this help\n");
}

static void
version (void)
{
  printf ("ocirt version %s\ncommit: %s\nspec: %s\n", PACKAGE_VERSION, ocirt_commit, OCI_SPEC_VERSION);
#ifdef HAVE_SECCOMP
  {
    const struct scmp_version *v = seccomp_version ();

    printf ("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
  }
#endif
  printf ("%s\n", OCIRT_FEATURES[0] == ' ' ? OCIRT_FEATURES + 1 : OCIRT_FEATURES);
}

/* ARGV with its strings in one allocation: the command line as given,
   which ocirt_cli_bool_forms rewrites in place.  */
static char **
argv_copy (int argc, char **argv)
{
  size_t size = (argc + 1) * sizeof (char *);
  char **copy, *p;
  int i;

  for (i = 0; i < argc; i++)
    size += strlen (argv[i]) + 1;
  copy = xmalloc (size);
  p = (char *) (copy + argc + 1);
  for (i = 0; i < argc; i++)
    {
      size_t len = strlen (argv[i]) + 1;

      copy[i] = memcpy (p, argv[i], len);
      p += len;
    }
  copy[argc] = NULL;
  return copy;
}

static char *
default_root (void)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");

  if (geteuid () != 0 && xdg && xdg[0])
    return xasprintf ("%s/ocirt", xdg);
  return xstrdup ("/run/ocirt");
}

int
main (int argc, char **argv)
{
  enum
  {
    OPT_ROOT = 256,
    OPT_LOG,
    OPT_LOG_FORMAT,
    OPT_DEBUG,
    OPT_SYSTEMD,
    OPT_MANAGER,
    OPT_ROOTLESS,
    OPT_CRIU
  };
  static const struct option options[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
    { "cgroup-manager", required_argument, NULL, OPT_MANAGER },
    { "rootless", required_argument, NULL, OPT_ROOTLESS },
    { "criu", required_argument, NULL, OPT_CRIU },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  /* "+": the command and its arguments are not ours.  */
  const char *shortopts = "+vh";
  struct ocirt_global g = { .log_format = "text" };
  cleanup_free char *root = NULL;
  cleanup_free char **given = argv_copy (argc, argv);
  enum ocirt_log_format fmt;
  const char *manager = NULL;
  size_t i;
  int c;

  ocirt_signals_init ();
  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      switch (c)
        {
        case OPT_ROOT:
          g.root = optarg;
          break;
        case OPT_LOG:
          g.log = optarg;
          break;
        case OPT_LOG_FORMAT:
          g.log_format = optarg;
          break;
        case OPT_DEBUG:
          g.debug = true;
          break;
        case OPT_SYSTEMD:
          manager = "systemd";
          break;
        case OPT_MANAGER:
          manager = optarg;
          break;
        case OPT_ROOTLESS:
          g.rootless = optarg;
          break;
        case OPT_CRIU:
          g.criu = optarg;
          break;
        case 'v':
          version ();
          return 0;
        case 'h':
          usage (stdout);
          return 0;
        default:
          fprintf (stderr, "ocirt: unknown or incomplete global option `%s`\n", argv[optind - 1]);
          return 1;
        }
    }

  if (strcmp (g.log_format, "json") == 0)
    fmt = OCIRT_LOG_FORMAT_JSON;
  else if (strcmp (g.log_format, "text") == 0)
    fmt = OCIRT_LOG_FORMAT_TEXT;
  else
    {
      fprintf (stderr, "ocirt: unknown log format `%s` (text or json)\n", g.log_format);
      return 1;
    }
  if (ocirt_log_init (g.log, fmt, g.debug) < 0)
    {
      fprintf (stderr, "ocirt: open log file `%s`: %s\n", g.log, strerror (errno));
      return 1;
    }
  /* The last of --systemd-cgroup and --cgroup-manager wins.  */
  if (manager)
    {
      g.systemd_cgroup = strcmp (manager, "systemd") == 0;
      g.no_cgroup = strcmp (manager, "disabled") == 0;
      if (!g.systemd_cgroup && !g.no_cgroup && strcmp (manager, "cgroupfs") != 0)
        return ocirt_cli_fail ("unknown cgroup manager `%s` (cgroupfs, systemd or disabled)", manager);
    }
  if (g.rootless && strcmp (g.rootless, "true") != 0 && strcmp (g.rootless, "false") != 0
      && strcmp (g.rootless, "auto") != 0)
    return ocirt_cli_fail ("invalid --rootless value `%s` (true, false or auto)", g.rootless);

  if (g.root == NULL)
    g.root = root = default_root ();

  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  if (strcmp (argv[optind], "help") == 0)
    {
      if (optind + 1 == argc)
        {
          usage (stdout);
          return 0;
        }
      for (i = 0; i < ARRAY_SIZE (commands); i++)
        if (strcmp (argv[optind + 1], commands[i].name) == 0)
          return command_help (i);
      return ocirt_cli_fail ("help: unknown command `%s`; see `ocirt --help`", argv[optind + 1]);
    }
  for (i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (argv[optind], commands[i].name) == 0)
      {
        argv += optind;
        argc -= optind;
#ifndef HAVE_CRIU
        /* Not even its help: podman takes a zero exit of `checkpoint
           --help` for a runtime that can checkpoint.  */
        if (commands[i].needs_criu)
          return ocirt_cli_fail (
              "%s: this ocirt is built without checkpoint and restore (--disable-criu)",
              commands[i].name);
#endif
        if (asks_help (argc, argv))
          return command_help (i);
        if (commands[i].enters_container)
          {
            cleanup_error ocirt_error_t err = NULL;

            /* Before anything of the container is set up; the runtime
               starts over with the command line as given.  */
            if (ocirt_exe_guard (given, &err) < 0)
              return ocirt_log_report (&err);
          }
        optind = 0; /* restart getopt for the command's own options */
        return commands[i].fn (&g, argc, argv);
      }
  return ocirt_cli_fail ("unknown command `%s`; see `ocirt --help`", argv[optind]);
}
