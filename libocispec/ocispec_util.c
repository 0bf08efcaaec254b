/* What the other files of libocispec share: allocation that cannot fail,
   error messages and the jq-style path of the value being parsed.  */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "ocispec_internal.h"

const struct ocispec_int_info ocispec_int_info[] = {
  [T_INT] = { sizeof (int), true, INT_MIN, INT_MAX },
  [T_I32] = { sizeof (int32_t), true, INT32_MIN, INT32_MAX },
  [T_U16] = { sizeof (uint16_t), false, 0, UINT16_MAX },
  [T_U32] = { sizeof (uint32_t), false, 0, UINT32_MAX },
  [T_I64] = { sizeof (int64_t), true, INT64_MIN, INT64_MAX },
  [T_U64] = { sizeof (uint64_t), false, 0, UINT64_MAX },
};

/* Running out of memory is not something a runtime can recover from. */
void *
ocispec_xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (!p)
    abort ();
  return p;
}

void *
ocispec_xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);

  if (!p)
    abort ();
  return p;
}

char *
ocispec_xstrdup (const char *s)
{
  char *p = strdup (s);

  if (!p)
    abort ();
  return p;
}

char *
ocispec_xvasprintf (const char *fmt, va_list ap)
{
  va_list ap2;
  char *p;
  int n;

  va_copy (ap2, ap);
  n = vsnprintf (NULL, 0, fmt, ap2);
  va_end (ap2);
  if (n < 0)
    abort ();
  p = ocispec_xrealloc (NULL, (size_t) n + 1);
  vsnprintf (p, (size_t) n + 1, fmt, ap);
  return p;
}

__attribute__ ((format (printf, 2, 3))) void
ocispec_set_err (char **err, const char *fmt, ...)
{
  va_list ap;

  if (!err)
    return;
  va_start (ap, fmt);
  *err = ocispec_xvasprintf (fmt, ap);
  va_end (ap);
}

size_t
ocispec_path_push (struct ocispec_ctx *c, const char *pre, const char *s, const char *post)
{
  size_t mark = c->len;
  size_t a = strlen (pre), b = strlen (s), d = strlen (post);

  if (c->len + a + b + d + 1 > c->cap)
    {
      c->cap = (c->len + a + b + d + 1) * 2;
      c->path = ocispec_xrealloc (c->path, c->cap);
    }
  memcpy (c->path + c->len, pre, a);
  memcpy (c->path + c->len + a, s, b);
  memcpy (c->path + c->len + a + b, post, d + 1);
  c->len += a + b + d;
  return mark;
}

/* Called for every array element: no printf. */
size_t
ocispec_path_push_index (struct ocispec_ctx *c, size_t i)
{
  char num[32], *p = num + sizeof (num) - 1;

  *p = '\0';
  do
    *--p = (char) ('0' + i % 10);
  while (i /= 10);
  return ocispec_path_push (c, "[", p, "]");
}

void
ocispec_path_pop (struct ocispec_ctx *c, size_t mark)
{
  c->len = mark;
  c->path[mark] = '\0';
}

__attribute__ ((format (printf, 2, 3))) int
ocispec_fail (struct ocispec_ctx *c, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  msg = ocispec_xvasprintf (fmt, ap);
  va_end (ap);
  if (!c->err)
    ocispec_set_err (&c->err, "%s: %s", c->len ? c->path : ".", msg);
  free (msg);
  return -1;
}
