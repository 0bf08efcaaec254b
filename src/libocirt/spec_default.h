/* The default config.json that `spec` writes.  */
#ifndef OCIRT_SPEC_DEFAULT_H
#define OCIRT_SPEC_DEFAULT_H

#include <stdbool.h>
#include <sys/types.h>

/* A malloc'd config.json; ROOTLESS maps UID/GID to root in a user
   namespace and binds /sys instead of mounting it; CGROUP_NS adds a
   cgroup namespace (runc and crun do on a pure cgroup v2 host).  */
char *ocirt_spec_default (bool rootless, bool cgroup_ns, uid_t uid, gid_t gid);

#endif
