/* Unit tests of log.c: a warning and the error it releases.  */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libocirt/log.h"
#include "libocirt/utils.h"

Test (log, warn_release_logs_and_frees)
{
  char path[] = "/tmp/ocirt-test-log-XXXXXX", *data = NULL;
  size_t len = 0;
  ocirt_error_t err = NULL, none = NULL;
  int fd = mkstemp (path);

  cr_assert_geq (fd, 0);
  close (fd);
  cr_assert_eq (ocirt_log_init (path, OCIRT_LOG_FORMAT_JSON, false), 0);
  ocirt_error_make (&err, 0, "remove `x`");
  ocirt_log_warn_release (&err);
  cr_assert_null (err);
  /* No error, nothing logged.  */
  ocirt_log_warn_release (&none);
  cr_assert_eq (ocirt_utils_read_file_at (AT_FDCWD, path, &data, &len, &err), 0);
  cr_assert (strstr (data, "{\"level\":\"warning\",\"msg\":\"remove `x`\",\"time\":\"") == data, "%s",
             data);
  cr_assert_eq (strchr (data, '\n') + 1, data + len, "one line: %s", data);
  free (data);
  unlink (path);
}
