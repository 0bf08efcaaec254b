/* ocirt checkpoint [options] ID */
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "libocirt/criu.h"
#include "libocirt/log.h"
#include "ocirt.h"
#include "libocirt/utils.h"

enum
{
  OPT_IMAGE_PATH = 256,
  OPT_WORK_PATH,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_AUTO_DEDUP,
  OPT_EMPTY_NS,
  OPT_LAZY_PAGES,
  OPT_STATUS_FD,
  OPT_PAGE_SERVER,
  OPT_PARENT_PATH,
  OPT_LEAVE_RUNNING,
  OPT_PRE_DUMP,
  OPT_BUNDLE,
  OPT_DETACH,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_PIDFD_SOCKET,
  OPT_NO_SUBREAPER,
  OPT_NO_PIVOT,
  OPT_LSM_PROFILE,
  OPT_LSM_MOUNT_CONTEXT,
};

/* The options both commands take, as runc spells them.  */
#define CRIU_COMMON_OPTIONS                                                                             \
  { "image-path", required_argument, NULL, OPT_IMAGE_PATH },                                            \
      { "work-path", required_argument, NULL, OPT_WORK_PATH },                                          \
      { "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },                                    \
      { "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },                                            \
      { "shell-job", no_argument, NULL, OPT_SHELL_JOB },                                                \
      { "file-locks", no_argument, NULL, OPT_FILE_LOCKS },                                              \
      { "manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE },                      \
      { "auto-dedup", no_argument, NULL, OPT_AUTO_DEDUP },                                              \
      { "empty-ns", required_argument, NULL, OPT_EMPTY_NS },                                            \
  {                                                                                                     \
    "lazy-pages", no_argument, NULL, OPT_LAZY_PAGES                                                     \
  }

/* Handle option C of both commands: 1 when it was one, 0 when not, -1
   (after the message) when it cannot be honoured.  */
int ocirt_criu_common_option (const char *cmd, int c, struct ocirt_criu_options *o);

int
ocirt_criu_common_option (const char *cmd, int c, struct ocirt_criu_options *o)
{
  switch (c)
    {
    case OPT_IMAGE_PATH:
      o->image_path = optarg;
      return 1;
    case OPT_WORK_PATH:
      o->work_path = optarg;
      return 1;
    case OPT_TCP_ESTABLISHED:
      o->tcp_established = true;
      return 1;
    case OPT_EXT_UNIX_SK:
      o->ext_unix_sk = true;
      return 1;
    case OPT_SHELL_JOB:
      o->shell_job = true;
      return 1;
    case OPT_FILE_LOCKS:
      o->file_locks = true;
      return 1;
    case OPT_MANAGE_CGROUPS_MODE:
      o->manage_cgroups_mode = optarg;
      return 1;
    case OPT_AUTO_DEDUP:
      o->auto_dedup = true;
      return 1;
    case OPT_EMPTY_NS:
      /* runc's one value: CRIU can leave only the network namespace empty. */
      if (strcmp (optarg, "network") != 0)
        {
          ocirt_cli_fail ("%s: --empty-ns `%s`: only network is supported", cmd, optarg);
          return -1;
        }
      o->empty_net = true;
      return 1;
    case OPT_LAZY_PAGES:
      o->lazy_pages = true;
      return 1;
    default:
      return 0;
    }
}

int
ocirt_cmd_checkpoint (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    CRIU_COMMON_OPTIONS,
    { "parent-path", required_argument, NULL, OPT_PARENT_PATH },
    { "leave-running", no_argument, NULL, OPT_LEAVE_RUNNING },
    { "pre-dump", no_argument, NULL, OPT_PRE_DUMP },
    { "page-server", required_argument, NULL, OPT_PAGE_SERVER },
    { "status-fd", required_argument, NULL, OPT_STATUS_FD },
    { NULL, 0, NULL, 0 },
  };
  struct ocirt_checkpoint_options o = { .c = { .root = g->root, .criu = g->criu }, .status_fd = -1 };
  unsigned long long fd;
  cleanup_error ocirt_error_t err = NULL;
  int c, r;

  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, "", options);
  while ((c = getopt_long_only (argc, argv, "", options, NULL)) != -1)
    {
      if ((r = ocirt_criu_common_option ("checkpoint", c, &o.c)) != 0)
        {
          if (r < 0)
            return 1;
          continue;
        }
      switch (c)
        {
        case OPT_PARENT_PATH:
          o.parent_path = optarg;
          break;
        case OPT_LEAVE_RUNNING:
          o.leave_running = true;
          break;
        case OPT_PRE_DUMP:
          o.pre_dump = true;
          break;
        case OPT_PAGE_SERVER:
          o.page_server = optarg;
          break;
        case OPT_STATUS_FD:
          if (!ocirt_utils_parse_ulong (optarg, &fd) || fd > INT_MAX)
            return ocirt_cli_fail ("checkpoint: invalid --status-fd `%s`", optarg);
          o.status_fd = (int) fd;
          break;
        default:
          return ocirt_cli_fail ("checkpoint: unknown or incomplete option `%s`", argv[optind - 1]);
        }
    }
  if (!ocirt_cli_positional ("checkpoint", "[options] CONTAINER_ID", argc, argv, optind, 1, 1))
    return 1;
  o.c.id = argv[optind];
  if (ocirt_criu_checkpoint (&o, &err) < 0)
    return ocirt_log_report (&err);
  return 0;
}

int
ocirt_cmd_restore (struct ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    CRIU_COMMON_OPTIONS,
    { "bundle", required_argument, NULL, OPT_BUNDLE },
    { "detach", no_argument, NULL, OPT_DETACH },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "pidfd-socket", required_argument, NULL, OPT_PIDFD_SOCKET },
    { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
    { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
    { "lsm-profile", required_argument, NULL, OPT_LSM_PROFILE },
    { "lsm-mount-context", required_argument, NULL, OPT_LSM_MOUNT_CONTEXT },
    { NULL, 0, NULL, 0 },
  };
  const char *shortopts = "b:d";
  struct ocirt_restore_options o = { .c = { .root = g->root, .criu = g->criu },
                                     .systemd_cgroup = g->systemd_cgroup };
  cleanup_error ocirt_error_t err = NULL;
  int c, r, status;

  opterr = 0;
  argc = ocirt_cli_bool_forms (argc, argv, shortopts, options);
  while ((c = getopt_long_only (argc, argv, shortopts, options, NULL)) != -1)
    {
      if ((r = ocirt_criu_common_option ("restore", c, &o.c)) != 0)
        {
          if (r < 0)
            return 1;
          continue;
        }
      switch (c)
        {
        case 'b':
        case OPT_BUNDLE:
          o.bundle = optarg;
          break;
        case 'd':
        case OPT_DETACH:
          o.detach = true;
          break;
        case OPT_PID_FILE:
          o.pid_file = optarg;
          break;
        case OPT_CONSOLE_SOCKET:
          o.console_socket = optarg;
          break;
        case OPT_PIDFD_SOCKET:
          o.pidfd_socket = optarg;
          break;
        case OPT_NO_SUBREAPER:
          o.no_subreaper = true;
          break;
        case OPT_NO_PIVOT:
          /* CRIU rebuilds the mount namespace itself.  */
          o.no_pivot = true;
          break;
        case OPT_LSM_PROFILE:
        case OPT_LSM_MOUNT_CONTEXT:
          return ocirt_cli_fail ("restore: --lsm-profile and --lsm-mount-context are not supported");
        default:
          return ocirt_cli_fail ("restore: unknown or incomplete option `%s`", argv[optind - 1]);
        }
    }
  if (!ocirt_cli_positional ("restore", "[options] CONTAINER_ID", argc, argv, optind, 1, 1))
    return 1;
  o.c.id = argv[optind];
  if (ocirt_criu_restore (&o, &status, &err) < 0)
    return ocirt_log_report (&err);
  return status;
}
