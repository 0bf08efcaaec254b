/* The container lifecycle: create, start, run, state, kill, delete, list. */
#ifndef OCIRT_CONTAINER_H
#define OCIRT_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "state_record.h"

struct ocirt_create_options
{
  const char *root; /* state root */
  const char *id;
  const char *bundle;      /* NULL: the current directory */
  const char *config_path; /* NULL: BUNDLE/config.json */
  const char *pid_file;
  const char *console_socket;
  const char *pidfd_socket; /* where a pidfd of the container's init goes */
  bool no_pivot;
  bool no_new_keyring;
  bool systemd_cgroup;
  bool no_cgroup; /* --cgroup-manager disabled: the caller's cgroup */
  int rootless;   /* --rootless: 1 true, 0 false, -1 auto (by euid) */
  int preserve_fds;
  bool detach; /* run: do not wait */
  bool keep;   /* run: leave the stopped container for delete */
};

int ocirt_container_create (const struct ocirt_create_options *o, ocirt_error_t *err);

/* Create, start and (unless detached) wait: *EXIT_STATUS is the exit
   status for the shell (128+N for signal N; 0 when detached).  */
int ocirt_container_run (const struct ocirt_create_options *o, int *exit_status, ocirt_error_t *err);

int ocirt_container_start (const char *root, const char *id, ocirt_error_t *err);

/* The state document of ID, malloc'd.  */
char *ocirt_container_state_json (const char *root, const char *id, ocirt_error_t *err);

int ocirt_container_kill (const char *root, const char *id, int signo, bool all, ocirt_error_t *err);

int ocirt_container_delete (const char *root, const char *id, bool force, ocirt_error_t *err);

struct ocirt_list_entry
{
  struct ocirt_container_state st;
  enum ocirt_status status;
};

/* Every container under ROOT, sorted by id.  */
int ocirt_container_list (const char *root, struct ocirt_list_entry **entries, size_t *n,
                          ocirt_error_t *err);
void ocirt_container_list_free (struct ocirt_list_entry *entries, size_t n);

#endif
