/* Whether a container's process lives, and its status.  */
#ifndef OCIRT_STATE_STATUS_H
#define OCIRT_STATE_STATUS_H

#include <stdbool.h>

#include "state_record.h"

const char *ocirt_state_status_name (enum ocirt_status s);

/* Start time of PID from /proc, 0 if it does not exist.  */
unsigned long long ocirt_state_pid_start_time (pid_t pid);

/* Whether the recorded process is still the container's (same start time,
   not a zombie).  */
bool ocirt_state_process_alive (const struct ocirt_container_state *st);

/* Derive the status from the process and the state dir.  Without a
   container process yet (create.json only): creating while the runtime
   making it lives, stopped once it is gone.  */
enum ocirt_status ocirt_state_status (int dirfd, const struct ocirt_container_state *st);

#endif
