/* The log channel: stderr, and the --log file in text or JSON. */
#ifndef OCIRT_LOG_H
#define OCIRT_LOG_H

#include <stdbool.h>

#include "error.h"

enum ocirt_log_level
{
  OCIRT_LOG_ERROR,
  OCIRT_LOG_WARNING,
  OCIRT_LOG_INFO,
  OCIRT_LOG_DEBUG,
};

enum ocirt_log_format
{
  OCIRT_LOG_FORMAT_TEXT,
  OCIRT_LOG_FORMAT_JSON,
};

/* Open PATH for appending (NULL: stderr only).  Returns -1 with errno set. */
int ocirt_log_init (const char *path, enum ocirt_log_format format, bool debug);
bool ocirt_log_debug_enabled (void);

void ocirt_log_write (enum ocirt_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Print the error through the log channel and release it.  Returns the
   exit code a command should use (1).  */
int ocirt_log_report (ocirt_error_t *err);

/* Log *ERR, if set, as a warning and release it: for a failure that must
   not stop what goes on (a clean-up step, say).  */
void ocirt_log_warn_release (ocirt_error_t *err);

#define ocirt_debug(...)                                                                                \
  do                                                                                                    \
    {                                                                                                   \
      if (ocirt_log_debug_enabled ())                                                                   \
        ocirt_log_write (OCIRT_LOG_DEBUG, __VA_ARGS__);                                                 \
    }                                                                                                   \
  while (0)
#define ocirt_warn(...) ocirt_log_write (OCIRT_LOG_WARNING, __VA_ARGS__)

#endif
