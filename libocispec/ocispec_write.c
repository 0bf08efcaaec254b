/* From a struct to JSON text, through its field table.  */
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

/* The writer: compact, or indented by two spaces per level. */
struct out
{
  char *buf;
  size_t len;
  size_t cap;
  bool pretty;
};

static void
out_mem (struct out *o, const char *s, size_t n)
{
  if (o->len + n + 1 > o->cap)
    {
      o->cap = (o->len + n + 1) * 2;
      o->buf = ocispec_xrealloc (o->buf, o->cap);
    }
  memcpy (o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static void
out_s (struct out *o, const char *s)
{
  out_mem (o, s, strlen (s));
}

static void
out_nl (struct out *o, unsigned depth)
{
  if (!o->pretty)
    return;
  out_mem (o, "\n", 1);
  while (depth--)
    out_mem (o, "  ", 2);
}

static void
out_str (struct out *o, const char *s)
{
  const char *run;

  if (!s)
    {
      out_s (o, "null");
      return;
    }
  out_mem (o, "\"", 1);
  for (;;)
    {
      char esc[8];
      unsigned char ch;

      run = s;
      while (*s && *s != '"' && *s != '\\' && (unsigned char) *s >= 0x20)
        s++;
      out_mem (o, run, (size_t) (s - run));
      ch = (unsigned char) *s;
      if (!ch)
        break;
      switch (ch)
        {
        case '"':
          out_s (o, "\\\"");
          break;
        case '\\':
          out_s (o, "\\\\");
          break;
        case '\n':
          out_s (o, "\\n");
          break;
        case '\t':
          out_s (o, "\\t");
          break;
        case '\r':
          out_s (o, "\\r");
          break;
        default:
          snprintf (esc, sizeof (esc), "\\u%04x", ch);
          out_s (o, esc);
          break;
        }
      s++;
    }
  out_mem (o, "\"", 1);
}

static void
out_key (struct out *o, const char *key)
{
  out_str (o, key);
  out_s (o, o->pretty ? ": " : ":");
}

static void
out_int (struct out *o, unsigned itype, const void *p)
{
  char num[32];

  switch (itype)
    {
    case T_INT:
      snprintf (num, sizeof (num), "%d", *(const int *) p);
      break;
    case T_I32:
      snprintf (num, sizeof (num), "%" PRId32, *(const int32_t *) p);
      break;
    case T_U16:
      snprintf (num, sizeof (num), "%u", (unsigned) *(const uint16_t *) p);
      break;
    case T_U32:
      snprintf (num, sizeof (num), "%" PRIu32, *(const uint32_t *) p);
      break;
    case T_I64:
      snprintf (num, sizeof (num), "%" PRId64, *(const int64_t *) p);
      break;
    default:
      snprintf (num, sizeof (num), "%" PRIu64, *(const uint64_t *) p);
      break;
    }
  out_s (o, num);
}

static void write_obj (struct out *o, const struct oci_type *t, const void *obj, unsigned depth);

static void
write_elem (struct out *o, const struct oci_field *f, const void *vec, size_t i, unsigned depth)
{
  const void *p;

  if (f->kind == K_ARR_INT)
    {
      out_int (o, f->itype, (const char *) vec + i * ocispec_int_info[f->itype].size);
      return;
    }
  p = ((const void *const *) vec)[i];
  if (f->kind == K_ARR_STR || f->kind == K_MAP_STR)
    out_str (o, p);
  else if (!p)
    out_s (o, "null");
  else
    write_obj (o, f->sub, p, depth);
}

static void
write_field (struct out *o, const struct oci_field *f, const void *obj, unsigned depth)
{
  const struct oci_map_any *m;
  const void *p;
  size_t i, n;

  switch (f->kind)
    {
    case K_BOOL:
      out_s (o, *CAT (obj, f->off, bool) ? "true" : "false");
      return;
    case K_INT:
      out_int (o, f->itype, CAT (obj, f->off, char));
      return;
    }
  p = *CAT (obj, f->off, void *);
  switch (f->kind)
    {
    case K_STR:
      out_str (o, p);
      break;
    case K_OBJ:
      write_obj (o, f->sub, p, depth);
      break;
    case K_ARR_STR:
    case K_ARR_INT:
    case K_ARR_OBJ:
      n = *CAT (obj, f->aux, size_t);
      out_mem (o, "[", 1);
      for (i = 0; i < n; i++)
        {
          if (i)
            out_mem (o, ",", 1);
          out_nl (o, depth + 1);
          write_elem (o, f, p, i, depth + 1);
        }
      if (n)
        out_nl (o, depth);
      out_mem (o, "]", 1);
      break;
    default:
      m = p;
      n = 0;
      out_mem (o, "{", 1);
      for (i = 0; i < m->len; i++)
        {
          if (!m->keys[i])
            continue;
          if (n++)
            out_mem (o, ",", 1);
          out_nl (o, depth + 1);
          out_key (o, m->keys[i]);
          write_elem (o, f, m->values, i, depth + 1);
        }
      if (n)
        out_nl (o, depth);
      out_mem (o, "}", 1);
      break;
    }
}

static void
write_obj (struct out *o, const struct oci_type *t, const void *obj, unsigned depth)
{
  bool empty = true;
  size_t i;

  out_mem (o, "{", 1);
  for (i = 0; i < t->nfields; i++)
    {
      const struct oci_field *f = &t->fields[i];

      bool present = ocispec_field_present (f, obj);

      if (!present && !(f->flags & F_NULLABLE))
        continue;
      if (!empty)
        out_mem (o, ",", 1);
      empty = false;
      out_nl (o, depth + 1);
      out_key (o, f->key);
      if (present)
        write_field (o, f, obj, depth + 1);
      else
        out_s (o, "null");
    }
  if (!empty)
    out_nl (o, depth);
  out_mem (o, "}", 1);
}

char *
ocispec_to_json (const struct oci_type *t, const void *obj, bool pretty, char **err)
{
  struct out o = { NULL, 0, 0, pretty };

  if (err)
    *err = NULL;
  if (!obj)
    {
      ocispec_set_err (err, "no document to write");
      return NULL;
    }
  write_obj (&o, t, obj, 0);
  return o.buf;
}
