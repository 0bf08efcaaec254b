/* The state store: <root>/<id>/state.json, the exec fifo and the lock. */
#ifndef OCIRT_STATE_H
#define OCIRT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

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
  pid_t runtime_pid; /* the create or run that made it, with its start time */
  unsigned long long runtime_start_time;
  char *bundle;
  char *config;  /* the config.json the container was made from */
  char *notify_socket; /* the caller's NOTIFY_SOCKET, when it gave one */
  char *rootfs;
  char *created; /* RFC 3339, UTC */
  uid_t owner;
  bool systemd_cgroup;
  bool hooks_saved;    /* OCIRT_HOOKS_FILE was written if there are hooks */
  char *cgroup_path;      /* relative to each hierarchy's mount point */
  char **cgroup_dirs;     /* absolute directories the runtime created */
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

const char *ocirt_status_name (enum ocirt_status s);

/* runc's rule: ^[a-zA-Z0-9][a-zA-Z0-9_+.-]*$, at most OCIRT_ID_MAX bytes. */
bool ocirt_id_valid (const char *id);

/* Create <root>/<id> (and root if needed) and lock it: fails when the id is
   taken.  Returns a directory fd.  */
int ocirt_state_dir_create (const char *root, const char *id, ocirt_error_t *err);

/* Open <root>/<id>; with LOCK, take the exclusive lock.  */
int ocirt_state_dir_open (const char *root, const char *id, bool lock, ocirt_error_t *err);

/* Open <root>/<id> (locked with LOCK) and read its state into ST.  Returns
   the directory fd.  */
int ocirt_state_open_read (const char *root, const char *id, bool lock,
                           struct ocirt_container_state *st, ocirt_error_t *err);

int ocirt_state_write (int dirfd, const struct ocirt_container_state *st, ocirt_error_t *err);
int ocirt_state_write_file (int dirfd, const char *name, const struct ocirt_container_state *st,
                            ocirt_error_t *err);
/* state.json written but not yet visible (see write_file_staged_at), and
   made visible.  */
int ocirt_state_stage (int dirfd, const struct ocirt_container_state *st, ocirt_error_t *err);
int ocirt_state_commit (int dirfd, ocirt_error_t *err);
/* state.json, or create.json (pid 0) while there is no state.json yet.  */
int ocirt_state_read (int dirfd, struct ocirt_container_state *st, ocirt_error_t *err);
int ocirt_state_read_file (int dirfd, const char *name, struct ocirt_container_state *st,
                           ocirt_error_t *err);

/* With the lock on DIRFD held and no state file in it: whether the
   directory was left by a create that died before writing one (true), or
   belongs to a create that has not taken its lock yet (false).  */
bool ocirt_state_dir_abandoned (const char *root, int dirfd);
void ocirt_state_free (struct ocirt_container_state *st);

/* Remove <root>/<id> and everything in it.  */
int ocirt_state_dir_remove (const char *root, const char *id, ocirt_error_t *err);

/* Liveness and status (state_status.c).  */

/* Start time of PID from /proc, 0 if it does not exist.  */
unsigned long long ocirt_process_start_time (pid_t pid);

/* Whether the recorded process is still the container's (same start time,
   not a zombie).  */
bool ocirt_state_process_alive (const struct ocirt_container_state *st);

/* Derive the status from the process and the state dir.  Without a
   container process yet (create.json only): creating while the runtime
   making it lives, stopped once it is gone.  */
enum ocirt_status ocirt_state_status (int dirfd, const struct ocirt_container_state *st);

/* The OCI state document, as `state` prints it (state_json.c).  */
char *ocirt_state_to_oci_json (const struct ocirt_container_state *st, enum ocirt_status status,
                               bool pretty);

/* One entry of `list --format json`: the OCI state without annotations,
   OWNER by name, "" for an unknown rootfs or creation time.  */
char *ocirt_state_to_list_json (const struct ocirt_container_state *st, enum ocirt_status status,
                                const char *owner);

#endif
