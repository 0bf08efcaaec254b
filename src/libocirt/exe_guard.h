/* The runtime's binary kept out of the containers' reach (CVE-2019-5736):
   a process that enters a container runs from a view of the binary that
   cannot be opened for writing, so neither /proc/PID/exe nor a handle
   taken on it before the container starts leads back to the binary on
   the host.  See docs/security.md.  */
#ifndef OCIRT_EXE_GUARD_H
#define OCIRT_EXE_GUARD_H

#include "error.h"

/* Unless /proc/self/exe already is such a view (a read-only mount or a
   sealed memfd) or the caller could not write the binary anyway, make
   the process run from a detached read-only mount of the binary or,
   where the kernel or the caller's privileges do not allow one, from a
   sealed memfd copy: remapped onto it in place where the kernel allows
   (exe_remap.h), else by executing ARGV again, with the same
   environment, from it.  Returns 0 when the process runs from such a
   view (or nothing is to be done); does not return when it re-executes;
   -1 on error.  */
int ocirt_exe_guard (char **argv, ocirt_error_t *err);

#endif
