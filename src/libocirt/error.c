#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;

  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
ocirt_error_make (ocirt_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  char *msg, *full = NULL;

  if (err == NULL)
    return -1;
  if (*err != NULL)
    ocirt_error_release (err);

  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);

  if (status != 0 && msg != NULL)
    {
      if (asprintf (&full, "%s: %s", msg, strerror (status)) < 0)
        full = NULL;
      free (msg);
      msg = full;
    }

  *err = calloc (1, sizeof (**err));
  if (*err == NULL)
    {
      free (msg);
      return -1;
    }
  (*err)->status = status;
  (*err)->msg = msg ? msg : strdup ("out of memory");
  return -1;
}

int
ocirt_error_prefix (ocirt_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *prefix, *full;

  if (err == NULL || *err == NULL)
    return -1;

  va_start (ap, fmt);
  prefix = vformat (fmt, ap);
  va_end (ap);
  if (prefix == NULL)
    return -1;

  if (asprintf (&full, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = full;
    }
  free (prefix);
  return -1;
}

void
ocirt_error_release (ocirt_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
