/* state.json in and out, for the store (state.c).  */
#ifndef OCIRT_STATE_JSON_H
#define OCIRT_STATE_JSON_H

#include <stddef.h>

#include <stdbool.h>

#include "state_record.h"

/* The document of ST; compact, without a trailing newline.  */
char *ocirt_state_to_json (const struct ocirt_container_state *st);

/* Parse DATA into ST (zeroed first).  On failure, returns -1 with *WHY
   a malloc'd message and ST empty.  */
int ocirt_state_from_json (const char *data, size_t len, struct ocirt_container_state *st, char **why);

/* The OCI state document, as `state` prints it (state_json.c).  */
char *ocirt_state_to_oci_json (const struct ocirt_container_state *st, enum ocirt_status status,
                               bool pretty);

/* One entry of `list --format json`: the OCI state without annotations,
   OWNER by name, "" for an unknown rootfs or creation time.  */
char *ocirt_state_to_list_json (const struct ocirt_container_state *st, enum ocirt_status status,
                                const char *owner);

#endif
