/* Running from another copy of the runtime's binary without executing
   it again: each mapping of the binary is replaced by the same range of
   an identical file, and /proc/self/exe is pointed at that file.  */
#ifndef OCIRT_EXE_REMAP_H
#define OCIRT_EXE_REMAP_H

#include "error.h"

/* VIEW is a descriptor open for reading on a file with the same bytes as
   this process's binary (the binary seen through a read-only mount, or a
   sealed copy).  On success the process's code and data are mapped from
   VIEW, with the data as it was, and /proc/self/exe is VIEW.  Needs
   CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE and a kernel with
   CONFIG_CHECKPOINT_RESTORE; on failure the process goes on unharmed,
   mapped from VIEW or from the binary, and -1 is returned.  */
int ocirt_exe_remap (int view, ocirt_error_t *err);

#endif
