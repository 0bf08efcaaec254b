/* The record of one container, as the store keeps it in state.json.  */
#ifndef OCIRT_STATE_RECORD_H
#define OCIRT_STATE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The files of a container's directory in the store.  */
#define OCIRT_STATE_FILE "state.json"
/* Written once, right after the id is claimed and before anything else is
   made: the cgroups create is about to make and who is making them.  It is
   what `state` shows while state.json does not exist yet, and what
   `delete --force` cleans up from when the runtime died half way or
   state.json is unreadable.  */
#define OCIRT_CREATE_FILE "create.json"
#define OCIRT_EXEC_FIFO "exec.fifo"
/* The poststart and poststop hooks of the config, as it was at create,
   written only when there are some: start and delete run them from here
   instead of parsing the bundle's config.json again.  */
#define OCIRT_HOOKS_FILE "hooks.json"
#define OCIRT_ID_MAX 1024

/* The container's directory in one cgroup hierarchy.  */
struct ocirt_state_cgroup
{
  char *controllers; /* "memory", "cpu,cpuacct"; "" for the unified tree */
  char *path;        /* absolute on the host */
};

struct ocirt_container_state
{
  char *id;
  pid_t pid;
  unsigned long long start_time; /* field 22 of /proc/PID/stat */
  pid_t runtime_pid;             /* the create or run that made it, with its start time */
  unsigned long long runtime_start_time;
  char *bundle;
  char *config;        /* the config.json the container was made from */
  char *notify_socket; /* the caller's NOTIFY_SOCKET, when it gave one */
  char *rootfs;
  char *created; /* RFC 3339, UTC */
  uid_t owner;
  bool systemd_cgroup;
  bool hooks_saved;   /* OCIRT_HOOKS_FILE was written if there are hooks */
  char *cgroup_path;  /* relative to each hierarchy's mount point */
  char **cgroup_dirs; /* absolute directories the runtime created */
  size_t cgroup_dirs_len;
  struct ocirt_state_cgroup *cgroup_leaves; /* one per hierarchy */
  size_t cgroup_leaves_len;
  char **annotation_keys;
  char **annotation_values;
  size_t annotations_len;
};

enum ocirt_status
{
  OCIRT_STATUS_CREATING,
  OCIRT_STATUS_CREATED,
  OCIRT_STATUS_RUNNING,
  OCIRT_STATUS_PAUSED,
  OCIRT_STATUS_STOPPED,
};

#endif
