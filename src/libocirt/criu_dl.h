/* libcriu, loaded when checkpoint or restore first needs it: a host
   without CRIU runs every other command as before, and the build needs no
   CRIU headers.  The prototypes are those of libcriu.so.2 (CRIU 3.x,
   criu.h), with its option structure and notify argument kept opaque.  */
#ifndef OCIRT_CRIU_DL_H
#define OCIRT_CRIU_DL_H

#include <stdbool.h>

#include "error.h"

#define OCIRT_CRIU_LIBRARY "libcriu.so.2"

typedef struct criu_opts criu_opts;
typedef void *ocirt_criu_notify_arg;

/* criu.h's enum criu_cg_mode.  */
enum ocirt_criu_cg_mode
{
  OCIRT_CRIU_CG_IGNORE = 0,
  OCIRT_CRIU_CG_SOFT = 3,
  OCIRT_CRIU_CG_FULL = 4,
  OCIRT_CRIU_CG_STRICT = 5,
};

#define OCIRT_CRIU_FUNCS(X)                                                                             \
  X (int, criu_local_init_opts, (criu_opts * *opts))                                                    \
  X (void, criu_local_free_opts, (criu_opts * opts))                                                    \
  X (int, criu_local_set_service_binary, (criu_opts * opts, const char *path))                          \
  X (void, criu_local_set_pid, (criu_opts * opts, int pid))                                             \
  X (void, criu_local_set_images_dir_fd, (criu_opts * opts, int fd))                                    \
  X (int, criu_local_set_parent_images, (criu_opts * opts, const char *path))                           \
  X (void, criu_local_set_work_dir_fd, (criu_opts * opts, int fd))                                      \
  X (void, criu_local_set_leave_running, (criu_opts * opts, bool v))                                    \
  X (void, criu_local_set_ext_unix_sk, (criu_opts * opts, bool v))                                      \
  X (void, criu_local_set_tcp_established, (criu_opts * opts, bool v))                                  \
  X (void, criu_local_set_shell_job, (criu_opts * opts, bool v))                                        \
  X (void, criu_local_set_orphan_pts_master, (criu_opts * opts, bool v))                                \
  X (void, criu_local_set_file_locks, (criu_opts * opts, bool v))                                       \
  X (void, criu_local_set_track_mem, (criu_opts * opts, bool v))                                        \
  X (void, criu_local_set_auto_dedup, (criu_opts * opts, bool v))                                       \
  X (void, criu_local_set_log_level, (criu_opts * opts, int level))                                     \
  X (int, criu_local_set_log_file, (criu_opts * opts, const char *file))                                \
  X (int, criu_local_set_root, (criu_opts * opts, const char *root))                                    \
  X (void, criu_local_set_manage_cgroups, (criu_opts * opts, bool v))                                   \
  X (void, criu_local_set_manage_cgroups_mode, (criu_opts * opts, int mode))                            \
  X (int, criu_local_set_freeze_cgroup, (criu_opts * opts, const char *name))                           \
  X (int, criu_local_add_ext_mount, (criu_opts * opts, const char *key, const char *val))               \
  X (int, criu_local_add_cg_root, (criu_opts * opts, const char *ctrl, const char *path))               \
  X (int, criu_local_add_inherit_fd, (criu_opts * opts, int fd, const char *key))                       \
  X (int, criu_local_add_external, (criu_opts * opts, const char *key))                                 \
  X (int, criu_local_set_page_server_address_port, (criu_opts * opts, const char *addr, int port))      \
  X (void, criu_local_set_notify_cb,                                                                    \
     (criu_opts * opts, int (*cb) (char *action, ocirt_criu_notify_arg na)))                            \
  X (int, criu_notify_pid, (ocirt_criu_notify_arg na))                                                  \
  X (int, criu_get_orphan_pts_master_fd, (void) )                                                       \
  X (int, criu_local_dump, (criu_opts * opts))                                                          \
  X (int, criu_local_pre_dump, (criu_opts * opts))                                                      \
  X (int, criu_local_restore_child, (criu_opts * opts))                                                 \
  X (int, criu_local_get_version, (criu_opts * opts))

#define OCIRT_CRIU_DECLARE(ret, f, args) extern ret (*ocirt_criu_dl_##f) args;
OCIRT_CRIU_FUNCS (OCIRT_CRIU_DECLARE)
#undef OCIRT_CRIU_DECLARE

/* Load libcriu.so.2 once; an error names the library, the cause and the
   package to install.  */
int ocirt_criu_load (ocirt_error_t *err);

#endif
