/* Cgroups: the host's layout (v1, v2, hybrid), the container's directories,
   placing processes in them, and removing them.  */
#ifndef OCIRT_CGROUP_H
#define OCIRT_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_types.h"
#include "state.h"

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

struct ocirt_cgroup
{
  enum ocirt_cgroup_mode mode;
  struct ocirt_cgroup_dir *dirs;
  size_t ndirs;
  char **created;    /* directories made by us, parents before children */
  size_t ncreated;
};

enum ocirt_cgroup_mode ocirt_cgroup_detect_mode (void);

/* Work out the container's directories from CGROUPS_PATH (absolute, or
   relative to the runtime's own cgroup; NULL: the container id) and create
   them.  */
int ocirt_cgroup_create (const char *cgroups_path, const char *id, struct ocirt_cgroup *cg,
                         ocirt_error_t *err);

/* Move PID into every directory.  */
int ocirt_cgroup_enter (const struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err);

/* Write the limits of LX->resources (device rules need LX->devices).  */
int ocirt_cgroup_apply_resources (const struct ocirt_cgroup *cg, const oci_linux *lx,
                                  ocirt_error_t *err);

/* Remove the directories the runtime created (deepest first).  */
int ocirt_cgroup_remove_dirs (char **dirs, size_t n, ocirt_error_t *err);

void ocirt_cgroup_release (struct ocirt_cgroup *cg);

/* Record the created directories in the state.  */
void ocirt_cgroup_to_state (const struct ocirt_cgroup *cg, struct ocirt_container_state *st);

/* Pids in the container's cgroup (from the first directory that has
   them).  Returns the count, -1 on error.  */
int ocirt_cgroup_pids (const struct ocirt_container_state *st, pid_t **pids, ocirt_error_t *err);

bool ocirt_cgroup_is_frozen (const struct ocirt_container_state *st);

/* Mount the container's view of cgroups at TARGET_FD (a directory in the
   rootfs), read-only when RDONLY.  */
int ocirt_cgroup_mount (const struct ocirt_cgroup *cg, int rootfd, const char *dest,
                        unsigned long flags, bool cgroupns, ocirt_error_t *err);

#endif
