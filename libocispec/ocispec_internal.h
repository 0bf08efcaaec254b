/* What the files of libocispec share between them.  */
#ifndef OCISPEC_INTERNAL_H
#define OCISPEC_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "ocispec.h"

/* Nesting deeper than this is refused before yajl builds a tree.  */
#define OCISPEC_MAX_DEPTH 1000

#define AT(obj, off, type) ((type *) ((char *) (obj) + (off)))
#define CAT(obj, off, type) ((const type *) ((const char *) (obj) + (off)))

struct ocispec_int_info
{
  size_t size;
  bool is_signed;
  long long min;
  unsigned long long max;
};

/* Indexed by T_*.  */
extern const struct ocispec_int_info ocispec_int_info[];

/* Running out of memory is not something a runtime can recover from:
   these abort.  */
void *ocispec_xrealloc (void *p, size_t n);
void *ocispec_xcalloc (size_t n, size_t size);
char *ocispec_xstrdup (const char *s);
char *ocispec_xvasprintf (const char *fmt, va_list ap);

/* *ERR = the message, when ERR is not NULL.  */
__attribute__ ((format (printf, 2, 3))) void ocispec_set_err (char **err, const char *fmt, ...);

/* Parse state: the path of the value being looked at, jq style
   (".linux.namespaces[0]"), and the first error.  */
struct ocispec_ctx
{
  char *path;
  size_t len;
  size_t cap;
  char *err;
  bool lenient; /* the document's type is (see struct oci_type) */
};

/* Append PRE S POST to the path; returns the mark to pop back to.  */
size_t ocispec_path_push (struct ocispec_ctx *c, const char *pre, const char *s, const char *post);
size_t ocispec_path_push_index (struct ocispec_ctx *c, size_t i);
void ocispec_path_pop (struct ocispec_ctx *c, size_t mark);

/* Record the first error, prefixed by the path.  Returns -1.  */
__attribute__ ((format (printf, 2, 3))) int ocispec_fail (struct ocispec_ctx *c, const char *fmt, ...);

bool ocispec_field_present (const struct oci_field *f, const void *obj);

/* The tree of a JSON text, after checking that it is strict UTF-8, has no
   NUL and is not nested too deep.  NULL with *ERR set on failure.  */
struct ocispec_tree;
struct ocispec_tree *ocispec_tree_parse (const char *data, size_t len, char **err);
yajl_val ocispec_tree_root (const struct ocispec_tree *t);
void ocispec_tree_free (struct ocispec_tree *t);

#endif
