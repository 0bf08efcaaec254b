/* Cgroups: the host's layout (v1, v2, hybrid), the container's directories,
   placing processes in them, limits, freezing, signalling and removing.
   One concern a file: cgroup_layout.c (the layout, making, adopting and
   removing the directories), cgroup_enter.c, cgroup_state.c (to and from
   the state), cgroup_pids.c, cgroup_freezer.c (and kill-all),
   cgroup_oom.c, cgroup_resources.c (limits), cgroup_stats.c; below them
   cgroup_files.c, above them cgroup_mount.c and the systemd driver.  */
#ifndef OCIRT_CGROUP_H
#define OCIRT_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"
#include "oci_types.h"

enum ocirt_cgroup_mode
{
  OCIRT_CGROUP_V1,
  OCIRT_CGROUP_HYBRID,
  OCIRT_CGROUP_V2,
};

/* One hierarchy the container has a directory in.  */
struct ocirt_cgroup_dir
{
  char *controllers; /* "memory", "cpu,cpuacct", "" for the unified tree */
  char *mount;       /* where the hierarchy is mounted on the host */
  char *path;        /* the container's directory, absolute on the host */
  bool unified;
};

struct ocirt_systemd_scope;
struct ocirt_container_state;

struct ocirt_cgroup
{
  enum ocirt_cgroup_mode mode;
  struct ocirt_systemd_scope *systemd; /* the systemd driver's scope, else NULL */
  /* Set by the driver that made SYSTEMD: frees it at ocirt_cgroup_release. */
  void (*systemd_free) (struct ocirt_systemd_scope *sc);
  struct ocirt_cgroup_dir *dirs;
  size_t ndirs;
  char **created; /* directories made by us, parents before children */
  size_t ncreated;
};

enum ocirt_cgroup_mode ocirt_cgroup_detect_mode (void);

/* Work out the container's directories from CGROUPS_PATH (absolute, or
   relative: to the runtime's own cgroup on v1 and hybrid hosts, to its
   parent on pure v2; NULL: the container id) and create them.  On pure v2
   the controllers are enabled on the way down.  */
int ocirt_cgroup_create (const char *cgroups_path, const char *id, struct ocirt_cgroup *cg,
                         ocirt_error_t *err);

/* ocirt_cgroup_create in two steps: work out the directories, then make
   them.  In between, ocirt_cgroup_missing lists (parents first) those that
   do not exist yet, which the create records before it makes them.  */
int ocirt_cgroup_resolve (const char *cgroups_path, const char *id, struct ocirt_cgroup *cg,
                          ocirt_error_t *err);
size_t ocirt_cgroup_missing (const struct ocirt_cgroup *cg, char ***dirs);
int ocirt_cgroup_make (struct ocirt_cgroup *cg, ocirt_error_t *err);

/* Point CG at the existing cgroup PATH (absolute in each hierarchy) in
   every hierarchy that has it; nothing is created.  */
int ocirt_cgroup_adopt (const char *path, struct ocirt_cgroup *cg, ocirt_error_t *err);

/* The calling process moves itself: into the v1 directories (V1) and the
   unified one (UNIFIED).  Cheaper than ocirt_cgroup_enter from outside.  */
int ocirt_cgroup_enter_self (const struct ocirt_cgroup *cg, bool v1, bool unified, ocirt_error_t *err);

/* Move PID into the unified hierarchy's directory only.  */
int ocirt_cgroup_enter_unified (const struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err);

/* A directory fd of the unified directory for CLONE_INTO_CGROUP; -1 when
   the container has none.  */
int ocirt_cgroup_unified_fd (const struct ocirt_cgroup *cg);

/* Move PID into every directory.  */
int ocirt_cgroup_enter (const struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err);

/* Write the limits of LX->resources at create (device rules need
   LX->devices).  Only what the config sets is written.  */
int ocirt_cgroup_apply_resources (const struct ocirt_cgroup *cg, const oci_linux *lx,
                                  ocirt_error_t *err);

/* Change the limits of a running container (`update`); device rules are
   left as they are.  */
int ocirt_cgroup_update_resources (const struct ocirt_cgroup *cg, const oci_resources *res,
                                   ocirt_error_t *err);

/* Remove the directories the runtime created (deepest first), with any
   sub-cgroup the container made inside them.  */
int ocirt_cgroup_remove_dirs (char **dirs, size_t n, ocirt_error_t *err);

void ocirt_cgroup_release (struct ocirt_cgroup *cg);
#define cleanup_cgroup __attribute__ ((cleanup (ocirt_cgroup_release)))

/* Record the created directories and the leaves in the state.  */
void ocirt_cgroup_to_state (const struct ocirt_cgroup *cg, struct ocirt_container_state *st);

/* The same as create.json records it: of the directories, only those
   still to be made (what a delete --force of a create that died half way
   removes).  */
void ocirt_cgroup_to_state_missing (const struct ocirt_cgroup *cg, struct ocirt_container_state *st);

/* Free what ocirt_cgroup_to_state put in ST, and only that.  */
void ocirt_cgroup_state_release (struct ocirt_container_state *st);

/* The container's directories from its state (older states without
   leaves: the deepest created directory of each hierarchy).  */
int ocirt_cgroup_from_state (const struct ocirt_container_state *st, struct ocirt_cgroup *cg,
                             ocirt_error_t *err);

/* Pids in the container's cgroup and the cgroups below it.  Returns the
   count, -1 on error.  */
int ocirt_cgroup_pids (const struct ocirt_container_state *st, pid_t **pids, ocirt_error_t *err);
int ocirt_cgroup_read_pids (const struct ocirt_cgroup *cg, pid_t **pids, ocirt_error_t *err);

/* Send SIGNO to every process: cgroup.kill for SIGKILL where the kernel
   has it, else each pid, with the cgroup frozen meanwhile so that nothing
   forks past the signal.  */
int ocirt_cgroup_kill_all (const struct ocirt_cgroup *cg, int signo, ocirt_error_t *err);

/* Freeze (v1 freezer.state FROZEN, v2 cgroup.freeze) and wait until every
   task is frozen; or thaw.  */
int ocirt_cgroup_freeze (const struct ocirt_cgroup *cg, bool freeze, ocirt_error_t *err);
bool ocirt_cgroup_frozen (const struct ocirt_cgroup *cg);
bool ocirt_cgroup_is_frozen (const struct ocirt_container_state *st);

/* Number of OOM kills so far (memory.oom_control or memory.events).  */
int ocirt_cgroup_oom_kills (const struct ocirt_cgroup *cg, uint64_t *count, ocirt_error_t *err);

/* An fd that becomes readable when the OOM counter may have moved (v1: an
   eventfd on memory.oom_control, v2: inotify on memory.events), -1 when
   none can be had.  */
int ocirt_cgroup_oom_fd (const struct ocirt_cgroup *cg);

/* The stats object of `events` (runc's "data"), malloc'd JSON.  */
char *ocirt_cgroup_stats_json (const struct ocirt_cgroup *cg, ocirt_error_t *err);

/* Conversions for v2 (the formulas of runc and crun).  */
uint64_t ocirt_cgroup_shares_to_weight (uint64_t shares);
uint64_t ocirt_cgroup_blkio_to_io_weight (uint64_t weight);
/* SWAP and LIMIT as in the spec (memory+swap); OUT for memory.swap.max,
   -1 for "max".  */
int ocirt_cgroup_swap_to_v2 (int64_t swap, int64_t limit, int64_t *out, ocirt_error_t *err);

#endif
