/* From JSON text to a yajl tree: strict input checks, then a tree built
   in one arena.  */
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

/*
 * yajl frees its tree recursively, so bound the nesting up front.  Also
 * notes whether a string has a \u0000, which the tree's C strings would
 * silently cut short.
 */
static bool
too_deep (const char *s, size_t n, bool *nul_escape)
{
  bool in_str = false;
  size_t depth = 0, i;

  for (i = 0; i < n; i++)
    {
      if (in_str)
        {
          if (s[i] == '\\')
            {
              if (n - i >= 6 && !memcmp (s + i + 1, "u0000", 5))
                *nul_escape = true;
              i++;
            }
          else if (s[i] == '"')
            {
              in_str = false;
            }
        }
      else if (s[i] == '"')
        {
          in_str = true;
        }
      else if (s[i] == '[' || s[i] == '{')
        {
          if (++depth > OCISPEC_MAX_DEPTH)
            return true;
        }
      else if ((s[i] == ']' || s[i] == '}') && depth)
        {
          depth--;
        }
    }
  return false;
}

/*
 * The offset of the first byte that is not strict UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or n.  yajl
 * lets overlong forms through.
 */
static size_t
utf8_invalid (const unsigned char *s, size_t n)
{
  size_t i = 0, k, more;
  unsigned char lo, hi;

  while (i < n)
    {
      unsigned char b = s[i];

      lo = 0x80, hi = 0xbf;
      if (b < 0x80)
        {
          i++;
          continue;
        }
      else if (b >= 0xc2 && b <= 0xdf)
        {
          more = 1;
        }
      else if (b >= 0xe0 && b <= 0xef)
        {
          more = 2;
          if (b == 0xe0)
            lo = 0xa0;
          else if (b == 0xed)
            hi = 0x9f;
        }
      else if (b >= 0xf0 && b <= 0xf4)
        {
          more = 3;
          if (b == 0xf0)
            lo = 0x90;
          else if (b == 0xf4)
            hi = 0x8f;
        }
      else
        {
          return i;
        }
      if (n - i <= more || s[i + 1] < lo || s[i + 1] > hi)
        return i;
      for (k = 2; k <= more; k++)
        if (s[i + k] < 0x80 || s[i + k] > 0xbf)
          return i;
      i += more + 1;
    }
  return n;
}

/*
 * Finding the string with a NUL: yajl's event parser gives lengths.  The
 * path is built from the JSON alone, jq style.
 */
struct nul_scan
{
  struct ocispec_ctx c;
  /* per open container: its path mark, the mark of the current key
   * or element, and the next index (-1 in an object) */
  size_t mark[OCISPEC_MAX_DEPTH + 1], elem[OCISPEC_MAX_DEPTH + 1];
  long long index[OCISPEC_MAX_DEPTH + 1];
  size_t depth;
};

static void
nul_value_begin (struct nul_scan *n)
{
  char num[32];

  if (n->depth && n->index[n->depth - 1] >= 0)
    {
      snprintf (num, sizeof (num), "%lld", n->index[n->depth - 1]++);
      n->elem[n->depth - 1] = ocispec_path_push (&n->c, "[", num, "]");
    }
}

static void
nul_value_end (struct nul_scan *n)
{
  if (n->depth && n->index[n->depth - 1] >= 0)
    ocispec_path_pop (&n->c, n->elem[n->depth - 1]);
}

static int
nul_open (void *ctx, bool array)
{
  struct nul_scan *n = ctx;

  nul_value_begin (n);
  if (n->depth > OCISPEC_MAX_DEPTH)
    return 0;
  n->mark[n->depth] = n->elem[n->depth] = n->c.len;
  n->index[n->depth++] = array ? 0 : -1;
  return 1;
}

static int
nul_close (void *ctx)
{
  struct nul_scan *n = ctx;

  ocispec_path_pop (&n->c, n->mark[--n->depth]);
  nul_value_end (n);
  return 1;
}

static int
nul_start_map (void *ctx)
{
  return nul_open (ctx, false);
}

static int
nul_start_array (void *ctx)
{
  return nul_open (ctx, true);
}

static int
nul_key (void *ctx, const unsigned char *s, size_t len)
{
  struct nul_scan *n = ctx;
  size_t i;
  char *key;

  ocispec_path_pop (&n->c, n->mark[n->depth - 1]);
  if (memchr (s, '\0', len))
    {
      ocispec_fail (&n->c, "key contains a NUL character");
      return 0;
    }
  key = ocispec_xrealloc (NULL, len + 1);
  memcpy (key, s, len);
  key[len] = '\0';
  for (i = 0; i < len && (isalnum (s[i]) || s[i] == '_'); i++)
    ;
  if (len && i == len)
    n->elem[n->depth - 1] = ocispec_path_push (&n->c, ".", key, "");
  else
    n->elem[n->depth - 1] = ocispec_path_push (&n->c, "[\"", key, "\"]");
  free (key);
  return 1;
}

static int
nul_string (void *ctx, const unsigned char *s, size_t len)
{
  struct nul_scan *n = ctx;

  nul_value_begin (n);
  if (memchr (s, '\0', len))
    {
      ocispec_fail (&n->c, "string contains a NUL character");
      return 0;
    }
  nul_value_end (n);
  return 1;
}

static int
nul_scalar (void *ctx)
{
  nul_value_begin (ctx);
  nul_value_end (ctx);
  return 1;
}

static int
nul_null (void *ctx)
{
  return nul_scalar (ctx);
}

static int
nul_bool (void *ctx, int b)
{
  return nul_scalar (ctx);
}

static int
nul_number (void *ctx, const char *s, size_t len)
{
  return nul_scalar (ctx);
}

/* The error for the first string or key with a NUL, or NULL.  */
static char *
find_nul (const char *text, size_t len)
{
  static const yajl_callbacks cb = {
    nul_null,  nul_bool,        NULL,      NULL, nul_number, nul_string, nul_start_map, nul_key,
    nul_close, nul_start_array, nul_close,
  };
  struct nul_scan *n = ocispec_xcalloc (1, sizeof (*n));
  yajl_handle h = yajl_alloc (&cb, NULL, n);
  char *err;

  if (!h)
    abort ();
  /* ocispec_path_pop writes the terminator: the path must exist from the start */
  n->c.cap = 64;
  n->c.path = ocispec_xcalloc (1, n->c.cap);
  yajl_parse (h, (const unsigned char *) text, len);
  yajl_complete_parse (h);
  yajl_free (h);
  err = n->c.err;
  free (n->c.path);
  free (n);
  return err;
}

/*
 * The document tree, built from yajl's events into one arena.  yajl's own
 * tree grows each object and array by a realloc per member and frees it
 * node by node: together more work than the rest of the parse.  The
 * nodes are yajl's type, so the code above reads them as it would.
 */
struct arena
{
  struct arena *next;
  size_t used, size;
  max_align_t data[];
};

struct member
{
  const char *key; /* NULL in an array */
  yajl_val val;
};

struct ocispec_tree
{
  struct arena *arena;
  struct member *stack; /* the members of the open containers */
  size_t top, cap;
  size_t start[OCISPEC_MAX_DEPTH + 1]; /* where each open one's members begin */
  yajl_val open[OCISPEC_MAX_DEPTH + 1];
  size_t depth;
  const char *key; /* the key whose value comes next */
  yajl_val root;
  bool bad_escape; /* a \u escape that is no character (a lone surrogate) */
};

static void *
arena_alloc (struct ocispec_tree *t, size_t n)
{
  struct arena *a = t->arena;
  void *p;

  n = (n + sizeof (max_align_t) - 1) & ~(sizeof (max_align_t) - 1);
  if (!a || a->size - a->used < n)
    {
      size_t size = n > 16384 ? n : 16384;

      a = ocispec_xrealloc (NULL, sizeof (*a) + size);
      a->next = t->arena;
      a->used = 0;
      a->size = size;
      t->arena = a;
    }
  p = (char *) a->data + a->used;
  a->used += n;
  return p;
}

static void
arena_free (struct ocispec_tree *t)
{
  while (t->arena)
    {
      struct arena *next = t->arena->next;

      free (t->arena);
      t->arena = next;
    }
  free (t->stack);
}

static char *
arena_strndup (struct ocispec_tree *t, const unsigned char *s, size_t n)
{
  char *p = arena_alloc (t, n + 1);

  memcpy (p, s, n);
  p[n] = '\0';
  return p;
}

static yajl_val
tree_node (struct ocispec_tree *t, yajl_type type)
{
  yajl_val v = arena_alloc (t, sizeof (*v));

  memset (v, 0, sizeof (*v));
  v->type = type;
  return v;
}

/* A value: the document itself, or a member of the innermost container. */
static int
tree_add (struct ocispec_tree *t, yajl_val v)
{
  if (!t->depth)
    {
      t->root = v;
      return 1;
    }
  if (t->top == t->cap)
    {
      t->cap = t->cap ? 2 * t->cap : 256;
      t->stack = ocispec_xrealloc (t->stack, t->cap * sizeof (*t->stack));
    }
  t->stack[t->top].key = t->key;
  t->stack[t->top++].val = v;
  t->key = NULL;
  return 1;
}

static int
tree_null (void *ctx)
{
  return tree_add (ctx, tree_node (ctx, yajl_t_null));
}

static int
tree_bool (void *ctx, int b)
{
  return tree_add (ctx, tree_node (ctx, b ? yajl_t_true : yajl_t_false));
}

static int
tree_number (void *ctx, const char *s, size_t n)
{
  yajl_val v = tree_node (ctx, yajl_t_number);

  v->u.number.r = arena_strndup (ctx, (const unsigned char *) s, n);
  return tree_add (ctx, v);
}

/* The input is strict UTF-8 (ocispec_tree_parse checks), but yajl
   decodes a \u escape of a lone UTF-16 surrogate to bytes that are not:
   such a string could be read but not written back.  */
static bool
escape_ok (struct ocispec_tree *t, const unsigned char *s, size_t n)
{
  if (utf8_invalid (s, n) == n)
    return true;
  t->bad_escape = true;
  return false;
}

static int
tree_string (void *ctx, const unsigned char *s, size_t n)
{
  yajl_val v;

  if (!escape_ok (ctx, s, n))
    return 0;
  v = tree_node (ctx, yajl_t_string);

  v->u.string = arena_strndup (ctx, s, n);
  return tree_add (ctx, v);
}

static int
tree_key (void *ctx, const unsigned char *s, size_t n)
{
  struct ocispec_tree *t = ctx;

  if (!escape_ok (t, s, n))
    return 0;
  t->key = arena_strndup (t, s, n);
  return 1;
}

static int
tree_open (struct ocispec_tree *t, yajl_type type)
{
  yajl_val v = tree_node (t, type);

  /* too_deep has bounded the nesting already. */
  if (t->depth > OCISPEC_MAX_DEPTH)
    return 0;
  tree_add (t, v);
  t->start[t->depth] = t->top;
  t->open[t->depth++] = v;
  return 1;
}

static int
tree_start_map (void *ctx)
{
  return tree_open (ctx, yajl_t_object);
}

static int
tree_start_array (void *ctx)
{
  return tree_open (ctx, yajl_t_array);
}

/* The innermost container is complete: its members move to the arena. */
static int
tree_close (void *ctx)
{
  struct ocispec_tree *t = ctx;
  yajl_val v = t->open[--t->depth];
  size_t first = t->start[t->depth], n = t->top - first, i;
  yajl_val *vals = arena_alloc (t, (n ? n : 1) * sizeof (*vals));

  for (i = 0; i < n; i++)
    vals[i] = t->stack[first + i].val;
  if (v->type == yajl_t_object)
    {
      const char **keys = arena_alloc (t, (n ? n : 1) * sizeof (*keys));

      for (i = 0; i < n; i++)
        keys[i] = t->stack[first + i].key;
      v->u.object.keys = keys;
      v->u.object.values = vals;
      v->u.object.len = n;
    }
  else
    {
      v->u.array.values = vals;
      v->u.array.len = n;
    }
  t->top = first;
  return 1;
}

static const yajl_callbacks tree_callbacks = {
  .yajl_null = tree_null,
  .yajl_boolean = tree_bool,
  .yajl_number = tree_number,
  .yajl_string = tree_string,
  .yajl_start_map = tree_start_map,
  .yajl_map_key = tree_key,
  .yajl_end_map = tree_close,
  .yajl_start_array = tree_start_array,
  .yajl_end_array = tree_close,
};

/*
 * Parse text into t->root, as yajl_tree_parse would (comments allowed);
 * on a syntax error, the first line of yajl's message goes to ebuf.
 */
static bool
tree_parse (struct ocispec_tree *t, const char *text, size_t len, char *ebuf, size_t esize)
{
  yajl_handle h = yajl_alloc (&tree_callbacks, NULL, t);
  yajl_status st;

  if (!h)
    abort ();
  yajl_config (h, yajl_allow_comments, 1);
  st = yajl_parse (h, (const unsigned char *) text, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  if (st != yajl_status_ok)
    {
      unsigned char *msg = yajl_get_error (h, 1, (const unsigned char *) text, len);
      size_t n = strcspn ((const char *) msg, "\n");

      while (n && (msg[n - 1] == ' ' || msg[n - 1] == '\t'))
        n--;
      snprintf (ebuf, esize, "%.*s", (int) n, (const char *) msg);
      yajl_free_error (h, msg);
    }
  yajl_free (h);
  return st == yajl_status_ok && t->root;
}

struct ocispec_tree *
ocispec_tree_parse (const char *data, size_t len, char **err)
{
  bool nul_escape = false;
  char ebuf[1024], *nul_err;
  size_t bad;
  struct ocispec_tree *tree;

  if (!data)
    len = 0;
  if (len && memchr (data, '\0', len))
    {
      ocispec_set_err (err, "invalid JSON: NUL byte in input");
      return NULL;
    }
  if ((bad = utf8_invalid ((const unsigned char *) data, len)) < len)
    {
      ocispec_set_err (err, "invalid JSON: invalid UTF-8 at byte %zu", bad);
      return NULL;
    }
  if (too_deep (data, len, &nul_escape))
    {
      ocispec_set_err (err, "invalid JSON: nesting too deep");
      return NULL;
    }
  if (nul_escape && (nul_err = find_nul (data, len)))
    {
      if (err)
        *err = nul_err;
      else
        free (nul_err);
      return NULL;
    }
  /* Not calloc: the two stacks are 16 KiB, written before they are read,
     and zeroing them was most of the cost of parsing a small document.  */
  tree = ocispec_xrealloc (NULL, sizeof (*tree));
  tree->arena = NULL;
  tree->stack = NULL;
  tree->top = tree->cap = tree->depth = 0;
  tree->key = NULL;
  tree->root = NULL;
  tree->bad_escape = false;
  ebuf[0] = '\0';
  if (!tree_parse (tree, data, len, ebuf, sizeof (ebuf)))
    {
      if (tree->bad_escape)
        ocispec_set_err (err, "invalid JSON: a \\u escape of a lone UTF-16 surrogate in a string");
      else
        ocispec_set_err (err, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
      ocispec_tree_free (tree);
      return NULL;
    }
  return tree;
}

yajl_val
ocispec_tree_root (const struct ocispec_tree *t)
{
  return t->root;
}

void
ocispec_tree_free (struct ocispec_tree *t)
{
  if (!t)
    return;
  arena_free (t);
  free (t);
}
