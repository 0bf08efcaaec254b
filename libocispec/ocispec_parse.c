/* From the tree to a struct, through its field table; and the deep free. */
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

void
ocispec_free_map (const struct oci_type *sub, struct oci_map_any *m)
{
  size_t i;

  if (!m)
    return;
  for (i = 0; i < m->len; i++)
    {
      free (m->keys[i]);
      if (sub)
        ocispec_free_obj (sub, m->values[i]);
      else
        free (m->values[i]);
    }
  free (m->keys);
  free (m->values);
  free (m);
}

/* Frees what a member holds and marks it absent. */
static void
field_clear (const struct oci_field *f, void *obj)
{
  void **p = AT (obj, f->off, void *);
  size_t i, n;

  switch (f->kind)
    {
    case K_STR:
      free (*p);
      *p = NULL;
      break;
    case K_BOOL:
    case K_INT:
      memset (AT (obj, f->off, char), 0,
              f->kind == K_BOOL ? sizeof (bool) : ocispec_int_info[f->itype].size);
      *AT (obj, f->aux, bool) = false;
      break;
    case K_OBJ:
      ocispec_free_obj (f->sub, *p);
      *p = NULL;
      break;
    case K_ARR_STR:
    case K_ARR_OBJ:
      n = *AT (obj, f->aux, size_t);
      for (i = 0; *p && i < n; i++)
        {
          if (f->kind == K_ARR_OBJ)
            ocispec_free_obj (f->sub, ((void **) *p)[i]);
          else
            free (((void **) *p)[i]);
        }
      /* fall through */
    case K_ARR_INT:
      free (*p);
      *p = NULL;
      *AT (obj, f->aux, size_t) = 0;
      break;
    default:
      ocispec_free_map (f->kind == K_MAP_OBJ ? f->sub : NULL, *p);
      *p = NULL;
      break;
    }
}

void
ocispec_free_obj (const struct oci_type *t, void *obj)
{
  size_t i;

  if (!obj)
    return;
  for (i = 0; i < t->nfields; i++)
    field_clear (&t->fields[i], obj);
  free (obj);
}

bool
ocispec_field_present (const struct oci_field *f, const void *obj)
{
  if (f->kind == K_BOOL || f->kind == K_INT)
    return *CAT (obj, f->aux, bool);
  return *CAT (obj, f->off, void *) != NULL;
}

static void
int_store (void *dst, unsigned itype, unsigned long long u, long long s)
{
  switch (itype)
    {
    case T_INT:
      *(int *) dst = (int) s;
      break;
    case T_I32:
      *(int32_t *) dst = (int32_t) s;
      break;
    case T_U16:
      *(uint16_t *) dst = (uint16_t) u;
      break;
    case T_U32:
      *(uint32_t *) dst = (uint32_t) u;
      break;
    case T_I64:
      *(int64_t *) dst = (int64_t) s;
      break;
    default:
      *(uint64_t *) dst = (uint64_t) u;
      break;
    }
}

/*
 * Numbers are converted from yajl's copy of the source text, so that
 * all 64-bit values survive exactly; doubles would round them.
 */
static int
parse_int (struct ocispec_ctx *c, yajl_val v, unsigned itype, void *dst)
{
  const char *s, *digits;
  bool neg;

  if (!YAJL_IS_NUMBER (v) || !v->u.number.r)
    return ocispec_fail (c, "expected an integer");
  s = v->u.number.r;
  neg = *s == '-';
  digits = s + neg;
  if (!*digits || digits[strspn (digits, "0123456789")])
    return ocispec_fail (c, "expected an integer");
  errno = 0;
  if (ocispec_int_info[itype].is_signed)
    {
      long long x = strtoll (s, NULL, 10);

      if (errno || x < ocispec_int_info[itype].min
          || (x > 0 && (unsigned long long) x > ocispec_int_info[itype].max))
        return ocispec_fail (c, "integer out of range");
      int_store (dst, itype, 0, x);
    }
  else
    {
      unsigned long long x = strtoull (digits, NULL, 10);

      if (errno || x > ocispec_int_info[itype].max || (neg && x))
        return ocispec_fail (c, "integer out of range");
      int_store (dst, itype, x, 0);
    }
  return 0;
}

static int parse_obj (struct ocispec_ctx *c, const struct oci_type *t, yajl_val node, void *obj);

static int
parse_str (struct ocispec_ctx *c, yajl_val v, char **dst)
{
  if (!YAJL_IS_STRING (v))
    return ocispec_fail (c, "expected a string");
  *dst = ocispec_xstrdup (YAJL_GET_STRING (v));
  return 0;
}

static int
parse_new_obj (struct ocispec_ctx *c, const struct oci_type *t, yajl_val v, void **dst)
{
  if (!YAJL_IS_OBJECT (v))
    return ocispec_fail (c, "expected an object");
  *dst = ocispec_xcalloc (1, t->size);
  return parse_obj (c, t, v, *dst);
}

/* One array element or map value, stored in slot i of vec. */
static int
parse_elem (struct ocispec_ctx *c, const struct oci_field *f, yajl_val v, void *vec, size_t i)
{
  switch (f->kind)
    {
    case K_ARR_STR:
    case K_MAP_STR:
      return parse_str (c, v, (char **) vec + i);
    case K_ARR_INT:
      return parse_int (c, v, f->itype, (char *) vec + i * ocispec_int_info[f->itype].size);
    default:
      return parse_new_obj (c, f->sub, v, (void **) vec + i);
    }
}

/* In a lenient document an element of the wrong type is left out.  */
static bool
skip_mistyped (const struct ocispec_ctx *c, const struct oci_field *f, yajl_val v)
{
  if (!c->lenient)
    return false;
  switch (f->kind)
    {
    case K_ARR_STR:
    case K_MAP_STR:
      return !YAJL_IS_STRING (v);
    case K_ARR_INT:
      return !YAJL_IS_NUMBER (v);
    default:
      return !YAJL_IS_OBJECT (v);
    }
}

static int
parse_array (struct ocispec_ctx *c, const struct oci_field *f, yajl_val v, void *obj)
{
  size_t i, j, n, size;
  void *vec;

  if (!YAJL_IS_ARRAY (v))
    return ocispec_fail (c, "expected an array");
  n = v->u.array.len;
  size = f->kind == K_ARR_INT ? ocispec_int_info[f->itype].size : sizeof (void *);
  /* The spare slot is the NULL terminator; it also keeps [] non-NULL. */
  vec = ocispec_xcalloc (n + 1, size);
  *AT (obj, f->off, void *) = vec;
  *AT (obj, f->aux, size_t) = n;
  for (i = j = 0; i < n; i++)
    {
      size_t mark;

      if (skip_mistyped (c, f, v->u.array.values[i]))
        continue;
      mark = ocispec_path_push_index (c, i);
      if (parse_elem (c, f, v->u.array.values[i], vec, j++) < 0)
        return -1;
      ocispec_path_pop (c, mark);
    }
  *AT (obj, f->aux, size_t) = j;
  return 0;
}

static size_t
key_hash (const char *s)
{
  size_t h = 2166136261u;

  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 16777619u;
  return h;
}

/*
 * The slot of key among the first n keys of m, found through an open
 * addressing table (a map of a million keys is a few MiB of JSON: a
 * scan per key would take hours); n when the key is new, and then it is
 * entered as slot n.
 */
static size_t
map_slot (size_t *table, size_t mask, char **keys, size_t n, const char *key)
{
  size_t h;

  for (h = key_hash (key) & mask; table[h]; h = (h + 1) & mask)
    if (!strcmp (keys[table[h] - 1], key))
      return table[h] - 1;
  table[h] = n + 1;
  return n;
}

static int
parse_map (struct ocispec_ctx *c, const struct oci_field *f, yajl_val v, void *obj)
{
  const struct oci_type *sub = f->kind == K_MAP_OBJ ? f->sub : NULL;
  struct oci_map_any *m;
  size_t i, j, n, size = 1, *table;
  int ret = 0;

  if (!YAJL_IS_OBJECT (v))
    return ocispec_fail (c, "expected an object");
  n = v->u.object.len;
  m = ocispec_xcalloc (1, sizeof (*m));
  *AT (obj, f->off, struct oci_map_any *) = m;
  m->keys = ocispec_xcalloc (n + 1, sizeof (char *));
  m->values = ocispec_xcalloc (n + 1, sizeof (void *));
  while (size < 2 * n)
    size *= 2;
  table = ocispec_xcalloc (size, sizeof (*table));
  for (i = 0; i < n; i++)
    {
      const char *key = v->u.object.keys[i];
      size_t mark;

      if (skip_mistyped (c, f, v->u.object.values[i]))
        continue;
      mark = ocispec_path_push (c, "[\"", key, "\"]");
      j = map_slot (table, size - 1, m->keys, m->len, key);
      m->keys[m->len] = ocispec_xstrdup (key);
      if (parse_elem (c, f, v->u.object.values[i], m->values, m->len++) < 0)
        {
          ret = -1;
          break;
        }
      ocispec_path_pop (c, mark);

      /* A repeated key: the last value wins, in the first slot. */
      if (j < m->len - 1)
        {
          m->len--;
          if (sub)
            ocispec_free_obj (sub, m->values[j]);
          else
            free (m->values[j]);
          m->values[j] = m->values[m->len];
          free (m->keys[m->len]);
          m->keys[m->len] = NULL;
          m->values[m->len] = NULL;
        }
    }
  free (table);
  return ret;
}

static int
parse_field (struct ocispec_ctx *c, const struct oci_field *f, yajl_val v, void *obj)
{
  char **s;

  switch (f->kind)
    {
    case K_STR:
      s = AT (obj, f->off, char *);
      if (parse_str (c, v, s) < 0)
        return -1;
      if ((f->flags & F_VERSION1) && (strncmp (*s, "1.", 2) || (*s)[2] < '0' || (*s)[2] > '9'))
        return ocispec_fail (c, "unsupported version \"%s\"", *s);
      return 0;
    case K_BOOL:
      if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
        return ocispec_fail (c, "expected a boolean");
      *AT (obj, f->off, bool) = YAJL_IS_TRUE (v);
      break;
    case K_INT:
      if (parse_int (c, v, f->itype, AT (obj, f->off, char)) < 0)
        return -1;
      break;
    case K_OBJ:
      return parse_new_obj (c, f->sub, v, AT (obj, f->off, void *));
    case K_ARR_STR:
    case K_ARR_INT:
    case K_ARR_OBJ:
      return parse_array (c, f, v, obj);
    default:
      return parse_map (c, f, v, obj);
    }
  *AT (obj, f->aux, bool) = true;
  return 0;
}

static char *
steal_err (struct ocispec_ctx *c)
{
  char *e = c->err;

  c->err = NULL;
  return e;
}

/* The member KEY of T, looked for from *NEXT on: documents mostly have
   their keys in the table's order (the writer's), one compare each.  */
static const struct oci_field *
find_field (const struct oci_type *t, const char *key, size_t *next)
{
  size_t n, k;

  for (n = 0, k = *next; n < t->nfields; n++, k = k + 1 < t->nfields ? k + 1 : 0)
    if (!strcmp (t->fields[k].key, key))
      {
        *next = k + 1 < t->nfields ? k + 1 : 0;
        return &t->fields[k];
      }
  return NULL;
}

/*
 * Unknown keys are skipped; null counts as absent; a repeated key
 * replaces the earlier value.  On failure obj keeps what was parsed so
 * far, for the caller to free.
 */
static int
parse_obj (struct ocispec_ctx *c, const struct oci_type *t, yajl_val node, void *obj)
{
  size_t i, k, next = 0;

  for (i = 0; i < node->u.object.len; i++)
    {
      const char *key = node->u.object.keys[i];
      yajl_val v = node->u.object.values[i];
      const struct oci_field *f;
      size_t mark;

      f = find_field (t, key, &next);
      if (!f)
        continue;
      /* Lenient: the first occurrence counts, a mistyped value is none.  */
      if (c->lenient && ocispec_field_present (f, obj))
        continue;
      field_clear (f, obj);
      if (YAJL_IS_NULL (v))
        continue;
      mark = ocispec_path_push (c, ".", key, "");
      if (parse_field (c, f, v, obj) < 0)
        {
          if (!c->lenient)
            return -1;
          free (steal_err (c));
          field_clear (f, obj);
        }
      ocispec_path_pop (c, mark);
    }
  for (k = 0; k < t->nfields; k++)
    {
      const struct oci_field *f = &t->fields[k];

      if ((f->flags & F_REQUIRED) && !ocispec_field_present (f, obj))
        return ocispec_fail (c, "missing required field \"%s\"", f->key);
    }
  return 0;
}

void *
ocispec_parse_data (const struct oci_type *t, const char *data, size_t len, char **err)
{
  struct ocispec_ctx c = { .lenient = t->lenient };
  struct ocispec_tree *tree;
  void *obj;

  if (err)
    *err = NULL;
  tree = ocispec_tree_parse (data, len, err);
  if (!tree)
    return NULL;
  obj = ocispec_xcalloc (1, t->size);
  if (!YAJL_IS_OBJECT (ocispec_tree_root (tree)))
    ocispec_fail (&c, "expected an object");
  else
    parse_obj (&c, t, ocispec_tree_root (tree), obj);
  ocispec_tree_free (tree);
  free (c.path);
  if (c.err)
    {
      ocispec_free_obj (t, obj);
      if (err)
        *err = c.err;
      else
        free (c.err);
      return NULL;
    }
  return obj;
}

void *
ocispec_parse_file (const struct oci_type *t, const char *path, char **err)
{
  size_t len = 0, cap = 16384;
  char *data;
  void *obj;
  int fd;

  if (err)
    *err = NULL;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      ocispec_set_err (err, "open %s: %s", path, strerror (errno));
      return NULL;
    }
  data = ocispec_xrealloc (NULL, cap);
  for (;;)
    {
      ssize_t r;

      if (len == cap)
        {
          cap *= 2;
          data = ocispec_xrealloc (data, cap);
        }
      r = read (fd, data + len, cap - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;

          close (fd);
          free (data);
          ocispec_set_err (err, "read %s: %s", path, strerror (e));
          return NULL;
        }
      if (r == 0)
        break;
      len += (size_t) r;
    }
  close (fd);
  obj = ocispec_parse_data (t, data, len, err);
  free (data);
  return obj;
}
