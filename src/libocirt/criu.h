/* Checkpoint and restore of a container with CRIU (`checkpoint`,
   `restore`), as runc does them.  */
#ifndef OCIRT_CRIU_H
#define OCIRT_CRIU_H

#include <stdbool.h>

#include "error.h"

/* The options both commands share.  */
struct ocirt_criu_options
{
  const char *root; /* state root */
  const char *id;
  const char *criu;                /* the criu binary; NULL: criu on PATH */
  const char *image_path;          /* NULL: ./checkpoint */
  const char *work_path;           /* NULL: the image path */
  const char *manage_cgroups_mode; /* soft (NULL), full, strict or ignore */
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool auto_dedup;
  bool empty_net;  /* --empty-ns network: the network namespace without its contents */
  bool lazy_pages; /* memory served on demand (userfaultfd), not in the images */
};

struct ocirt_checkpoint_options
{
  struct ocirt_criu_options c;
  const char *parent_path; /* pre-dump images, relative to the image path */
  const char *page_server; /* ADDRESS:PORT */
  int status_fd;           /* with lazy_pages: gets a 0 byte once the pages are served; -1 */
  bool leave_running;
  bool pre_dump;
};

struct ocirt_restore_options
{
  struct ocirt_criu_options c;
  const char *bundle; /* NULL: the current directory */
  const char *pid_file;
  const char *console_socket;
  const char *pidfd_socket; /* gets a pidfd of the restored process, as at create */
  bool detach;
  bool no_subreaper;
  bool no_pivot;
  bool systemd_cgroup;
};

/* Whether CRIU support is built in, and libcriu and a criu binary are
   installed (whether the kernel lets CRIU work is known only by asking
   it: checkpoint and restore do).  */
bool ocirt_criu_available (void);

int ocirt_criu_checkpoint (const struct ocirt_checkpoint_options *o, ocirt_error_t *err);

/* Restore into a new container.  Detached: returns once it runs, with
   *EXIT_STATUS 0; else *EXIT_STATUS is the exit status of its process
   for the shell (128+N for signal N).  -1 on error, with nothing left
   behind.  */
int ocirt_criu_restore (const struct ocirt_restore_options *o, int *exit_status, ocirt_error_t *err);

#endif
