/* The default config.json that `spec` writes.  */
#ifndef OCIRT_SPEC_DEFAULT_H
#define OCIRT_SPEC_DEFAULT_H

#include <stdbool.h>
#include <sys/types.h>

/* A malloc'd config.json; ROOTLESS maps UID/GID to root in a user
   namespace and binds /sys instead of mounting it.  */
char *ocirt_spec_default (bool rootless, uid_t uid, gid_t gid);

#endif
