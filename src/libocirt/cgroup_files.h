/* The files of the container's cgroup: finding the directory that holds a
   controller, reading and writing its files, and parsing what they hold.
   For the cgroup code; not for the rest of the library.  */
#ifndef OCIRT_CGROUP_FILES_H
#define OCIRT_CGROUP_FILES_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* A new zeroed directory at the end of CG->dirs.  */
struct ocirt_cgroup_dir *ocirt_cgroup_push_dir (struct ocirt_cgroup *cg);

/* The directory that holds CONTROLLER: its v1 hierarchy, else the unified
   one when the controller is enabled there (always on pure v2, where a
   missing controller shows as a missing file).  NULL when none.  */
const struct ocirt_cgroup_dir *ocirt_cgroup_dir_for (const struct ocirt_cgroup *cg,
                                                     const char *controller);

/* The container's directory in the unified tree, NULL without one.  */
const struct ocirt_cgroup_dir *ocirt_cgroup_unified (const struct ocirt_cgroup *cg);

/* Whether the v2 directory D has CONTROLLER in its cgroup.controllers.  */
bool ocirt_cgroup_v2_has (const struct ocirt_cgroup_dir *d, const char *controller);

/* Whether WORD is one of the SEPS-separated words of LIST.  */
bool ocirt_cgroup_list_has (const char *list, const char *word, const char *seps);

bool ocirt_cgroup_has_file (const struct ocirt_cgroup_dir *d, const char *file);

/* Write VALUE to D/FILE; the error names the file, the value and, on
   v2, a controller that is not enabled.  */
int ocirt_cgroup_write (const struct ocirt_cgroup_dir *d, const char *file, const char *value,
                        ocirt_error_t *err);

/* The same through *FD, opened on the first call (*FD < 0) and kept for
   the next writes to the same file; the caller closes it.  */
int ocirt_cgroup_write_fd (const struct ocirt_cgroup_dir *d, const char *file, const char *value,
                           int *fd, ocirt_error_t *err);

/* Read D/FILE; NULL-terminated, malloc'd.  */
int ocirt_cgroup_read (const struct ocirt_cgroup_dir *d, const char *file, char **out,
                       ocirt_error_t *err);

/* Parsers of cgroup files, exposed for the unit tests.  */

/* A lone number, "max" as UINT64_MAX; surrounding blanks are allowed.  */
bool ocirt_cgroup_parse_u64 (const char *s, uint64_t *out);

/* KEY's value in a flat keyed file ("key value" per line).  */
bool ocirt_cgroup_parse_keyed (const char *data, const char *key, uint64_t *out);

/* KEY=VALUE in one line of a nested keyed file ("8:0 rbytes=1 wbytes=2"). */
bool ocirt_cgroup_parse_nested (const char *line, const char *key, uint64_t *out);

/* A list such as "0-3,8,10-11" into a malloc'd array; -1 on junk.  */
int ocirt_cgroup_parse_list (const char *s, uint16_t **out, size_t *n);

/* Blank separated numbers ("123 456\n") into a malloc'd array.  */
int ocirt_cgroup_parse_numbers (const char *s, uint64_t **out, size_t *n);

#endif
