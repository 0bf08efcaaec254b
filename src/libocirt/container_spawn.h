/* What create and run prepare for the container process, shared by both sides of the clone.  */
#ifndef OCIRT_CONTAINER_SPAWN_H
#define OCIRT_CONTAINER_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "container.h"
#include "namespaces.h"
#include "netdev.h"
#include "oci_types.h"
#include "seccomp.h"

/* Everything the container process needs, prepared by the runtime before
   clone so that both sides share it.  */
struct ocirt_spawn
{
  const struct ocirt_create_options *opts;
  oci_spec *spec;
  char *bundle;
  char *config_path; /* absolute */
  char *rootfs;
  int dirfd;
  int fifo_fd; /* O_PATH fd of exec.fifo, -1 for run */
  int procfd;  /* the host's /proc, to reopen the fifo after pivot_root */
  int console_fd;
  int console_peer; /* run with a terminal: where the pty master arrives */
  int pidfd_sock;   /* --pidfd-socket, connected */
  int sync[2];
  struct ocirt_ns_plan ns;
  struct ocirt_seccomp *seccomp; /* compiled before clone, loaded by the child */
  struct ocirt_netdevs *netdevs; /* linux.netDevices, or NULL */
  int *idmap_fds;                /* detached idmapped trees per mount, or NULL */
  int *source_fds;               /* child: bind sources the runtime opened, or NULL */
  int *device_fds;               /* detached device nodes per linux.devices, or NULL */
  struct ocirt_cgroup cg;
  bool have_cgroup;
  bool in_cgroup;            /* child: the runtime said it is in its cgroup */
  bool self_join;            /* the child joins its v1 cgroups itself */
  bool unified_joined;       /* clone3 put it in its unified cgroup already */
  int preserve_fds;          /* --preserve-fds plus socket-activated LISTEN_FDS */
  const char *notify_socket; /* the caller's NOTIFY_SOCKET */
  pid_t pid;                 /* the container process, as the host sees it */
  bool unprivileged;         /* the runtime is not root: rootless */
};

/* The container process, right after clone: sets itself up, reports to
   the runtime over S->sync and execs the user's program.  */
void ocirt_container_child_main (struct ocirt_spawn *s) __attribute__ ((noreturn));

#endif
