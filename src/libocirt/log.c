#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "utils.h"

static int log_fd = -1;
static enum ocirt_log_format log_format = OCIRT_LOG_FORMAT_TEXT;
static bool log_debug;

static const char *const level_names[] = {
  [OCIRT_LOG_ERROR] = "error",
  [OCIRT_LOG_WARNING] = "warning",
  [OCIRT_LOG_INFO] = "info",
  [OCIRT_LOG_DEBUG] = "debug",
};

int
ocirt_log_init (const char *path, enum ocirt_log_format format, bool debug)
{
  log_format = format;
  log_debug = debug;
  if (path == NULL || path[0] == '\0')
    return 0;
  log_fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  return log_fd < 0 ? -1 : 0;
}

bool
ocirt_log_debug_enabled (void)
{
  return log_debug;
}

/* Escape S as the inside of a JSON (or logfmt) string.  */
static size_t
escape_string (char *out, size_t size, const char *s)
{
  size_t n = 0;

  for (; *s && n + 7 < size; s++)
    {
      unsigned char c = *s;

      if (c == '"' || c == '\\')
        {
          out[n++] = '\\';
          out[n++] = c;
        }
      else if (c == '\n')
        {
          out[n++] = '\\';
          out[n++] = 'n';
        }
      else if (c < 0x20)
        n += snprintf (out + n, size - n, "\\u%04x", c);
      else
        out[n++] = c;
    }
  out[n] = '\0';
  return n;
}

static void
format_time (char *buf, size_t size)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  ocirt_utils_rfc3339 (&ts, buf, size);
}

static void
write_formatted (int fd, enum ocirt_log_level level, const char *msg)
{
  char line[8192], escaped[6144], ts[64];
  int n;

  escape_string (escaped, sizeof (escaped), msg);
  format_time (ts, sizeof (ts));
  if (log_format == OCIRT_LOG_FORMAT_JSON)
    n = snprintf (line, sizeof (line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
                  level_names[level], escaped, ts);
  else
    n = snprintf (line, sizeof (line), "time=\"%s\" level=%s msg=\"%s\"\n", ts, level_names[level],
                  escaped);
  if (n > 0)
    ocirt_utils_write_all (fd, line, (size_t) n < sizeof (line) ? (size_t) n : sizeof (line) - 1);
}

void
ocirt_log_write (enum ocirt_log_level level, const char *fmt, ...)
{
  char msg[4096];
  va_list ap;
  int saved_errno = errno;

  if (level == OCIRT_LOG_DEBUG && !log_debug)
    return;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);

  if (log_fd >= 0)
    write_formatted (log_fd, level, msg);

  /* Errors and warnings always reach stderr as one plain line; with no log
     file and the JSON format the caller asked for machine-readable output.  */
  if (log_fd < 0 && log_format == OCIRT_LOG_FORMAT_JSON)
    write_formatted (STDERR_FILENO, level, msg);
  else if (level <= OCIRT_LOG_WARNING || (log_fd < 0 && level == OCIRT_LOG_DEBUG))
    {
      char line[4200];
      int n = snprintf (line, sizeof (line), "ocirt: %s%s\n",
                        level == OCIRT_LOG_WARNING ? "warning: " : "", msg);
      if (n > 0)
        ocirt_utils_write_all (STDERR_FILENO, line,
                               (size_t) n < sizeof (line) ? (size_t) n : sizeof (line) - 1);
    }
  errno = saved_errno;
}

int
ocirt_log_report (ocirt_error_t *err)
{
  if (err == NULL || *err == NULL)
    return 1;
  ocirt_log_write (OCIRT_LOG_ERROR, "%s", (*err)->msg);
  ocirt_error_release (err);
  return 1;
}

void
ocirt_log_warn_release (ocirt_error_t *err)
{
  if (*err)
    ocirt_warn ("%s", (*err)->msg);
  ocirt_error_release (err);
}
