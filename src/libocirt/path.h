/* Resolving paths inside the container's rootfs, as if it were "/": neither
   a symlink nor ".." in the image can reach the host.  */
#ifndef OCIRT_PATH_H
#define OCIRT_PATH_H

#include <stdbool.h>

#include "error.h"

/* Open PATH below ROOTFD (an O_PATH or directory fd of the rootfs) with
   FLAGS (e.g. O_PATH), following symlinks within the root.  Returns the fd or
   -1 with errno set.  */
int ocirt_path_open_in_root (int rootfd, const char *path, int flags);

/* The same without openat2: a lexical walk that reads each symlink.  Exposed
   for the tests; ocirt_path_open_in_root uses it when openat2 is missing.  */
int ocirt_path_open_in_root_fallback (int rootfd, const char *path, int flags);

/* Open PATH below ROOTFD, creating what is missing: directories, and when
   LAST_IS_FILE an empty regular file as the last component.  A dangling
   symlink is followed to where it points inside the root.  Returns an O_PATH
   fd.  */
int ocirt_path_mkpath_in_root (int rootfd, const char *path, bool last_is_file, ocirt_error_t *err);

/* "/proc/self/fd/N" for FD, in BUF.  */
const char *ocirt_path_of_fd (char *buf, size_t size, int fd);

#endif
