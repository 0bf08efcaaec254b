/* Error values that carry an errno and a message up the stack. */
#ifndef OCIRT_ERROR_H
#define OCIRT_ERROR_H

#include <stdarg.h>

struct ocirt_error_s
{
  int status; /* errno value, or 0 when the error is not a system error */
  char *msg;  /* full message, already including strerror(status) */
};
typedef struct ocirt_error_s *ocirt_error_t;

/* Record an error in *ERR (which must be NULL) and return -1.
   When STATUS is not 0, ": strerror(STATUS)" is appended.  */
int ocirt_error_make (ocirt_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prepend "PREFIX: " to the message of *ERR; returns -1.  */
int ocirt_error_prefix (ocirt_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

void ocirt_error_release (ocirt_error_t *err);
#define cleanup_error __attribute__ ((cleanup (ocirt_error_release)))

#endif
