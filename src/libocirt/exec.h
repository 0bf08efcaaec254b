/* exec: a new process in a running container.  */
#ifndef OCIRT_EXEC_H
#define OCIRT_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct ocirt_exec_options
{
  const char *root;
  const char *id;
  const char *process_path; /* --process: a process.json */
  char **args;              /* the command line, when no --process */
  size_t nargs;
  bool tty;
  const char *console_socket;
  const char *cwd;
  char **env; /* KEY=VALUE, added to or replacing the config's */
  size_t nenv;
  const char *user; /* UID[:GID] */
  char **additional_gids;
  size_t ngids;
  char **caps; /* added to every set but inheritable */
  size_t ncaps;
  bool no_new_privs;
  const char *apparmor;
  const char *process_label;
  bool detach;
  const char *pid_file;
  int preserve_fds;
  /* --cgroup, as runc: "[controller[,controller]:]path", a sub-cgroup of
     the container's; a plain path only alone, and on v2.  */
  char **cgroups;
  size_t ncgroups;
  bool ignore_paused;
};

/* Run the process; *EXIT_STATUS is its exit status (128+N for signal N;
   0 when detached).  */
int ocirt_exec_in_container (const struct ocirt_exec_options *o, int *exit_status, ocirt_error_t *err);

#endif
