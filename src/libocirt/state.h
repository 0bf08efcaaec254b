/* The state store: <root>/<id>/state.json, the exec fifo and the lock. */
#ifndef OCIRT_STATE_H
#define OCIRT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "state_record.h"

/* runc's rule: ^[a-zA-Z0-9][a-zA-Z0-9_+.-]*$, at most OCIRT_ID_MAX bytes. */
bool ocirt_state_id_valid (const char *id);

/* Create <root>/<id> (and root if needed) and lock it: fails when the id is
   taken.  Returns a directory fd.  */
int ocirt_state_dir_create (const char *root, const char *id, ocirt_error_t *err);

/* Open <root>/<id>; with LOCK, take the exclusive lock.  */
int ocirt_state_dir_open (const char *root, const char *id, bool lock, ocirt_error_t *err);

/* Open <root>/<id> (locked with LOCK) and read its state into ST.  Returns
   the directory fd.  */
int ocirt_state_open_read (const char *root, const char *id, bool lock, struct ocirt_container_state *st,
                           ocirt_error_t *err);

int ocirt_state_write (int dirfd, const struct ocirt_container_state *st, ocirt_error_t *err);
int ocirt_state_write_file (int dirfd, const char *name, const struct ocirt_container_state *st,
                            ocirt_error_t *err);
/* state.json written but not yet visible (see ocirt_utils_write_file_staged_at), and
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
/* For a state zeroed at its declaration: a failed read leaves it so.  */
#define cleanup_state __attribute__ ((cleanup (ocirt_state_free)))

/* Remove <root>/<id> and everything in it.  */
int ocirt_state_dir_remove (const char *root, const char *id, ocirt_error_t *err);

#endif
