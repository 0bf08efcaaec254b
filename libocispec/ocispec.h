/* The tables that generate.py emits for each struct of spec.desc, and the
   generic routines that parse, write and free any struct through them.
   Only the files of libocispec and the generated oci_types.c include this; the
   rest of the runtime sees oci_types.h.  */
#ifndef OCISPEC_H
#define OCISPEC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a member holds.  */
enum
{
  K_STR,
  K_BOOL,
  K_INT,
  K_OBJ,
  K_ARR_STR,
  K_ARR_INT,
  K_ARR_OBJ,
  K_MAP_STR,
  K_MAP_OBJ,
};

/* The C type of an integer member or of an integer array's elements.  */
enum
{
  T_INT,
  T_I32,
  T_U16,
  T_U32,
  T_I64,
  T_U64,
};

#define F_REQUIRED 1
#define F_VERSION1 2
#define F_NULLABLE 4 /* written as null when absent */

struct oci_type;

struct oci_field
{
  const char *key;
  unsigned char kind;
  unsigned char itype;
  unsigned char flags;
  unsigned short off; /* the value, or the array/map pointer */
  unsigned short aux; /* the _present flag or the _len count */
  const struct oci_type *sub;
};

struct oci_type
{
  size_t size;
  size_t nfields;
  const struct oci_field *fields;
  /* For a document: a value of the wrong type is left out instead of
     failing the parse, and the first of repeated keys counts.  */
  bool lenient;
};

/* Every oci_map_* has this layout; the generated code asserts it.  */
struct oci_map_any
{
  char **keys;
  void **values;
  size_t len;
};

/* Deep free of an object of type T, or of a map of SUB (NULL: of strings). */
void ocispec_free_obj (const struct oci_type *t, void *obj);
void ocispec_free_map (const struct oci_type *sub, struct oci_map_any *m);

/* The entry points of each document (see oci_types.h).  */
void *ocispec_parse_data (const struct oci_type *t, const char *data, size_t len, char **err);
void *ocispec_parse_file (const struct oci_type *t, const char *path, char **err);
char *ocispec_to_json (const struct oci_type *t, const void *obj, bool pretty, char **err);

#endif
