#!/usr/bin/env python3
#
# generate.py - turn spec.desc into the OCI types in C.
#
# usage: generate.py SPEC.desc OUTDIR
#
# Writes OUTDIR/oci_types.h and OUTDIR/oci_types.c.  The C side is table
# driven: every struct gets a field table, and one small set of generic
# routines (SUPPORT below) parses, writes and frees through the tables.
# Output depends only on the input file, so builds are reproducible.

import os
import re
import sys

# name -> (C type, field kind, integer kind)
SCALARS = {
    'string': ('char *', 'K_STR', '0'),
    'bool': ('bool', 'K_BOOL', '0'),
    'int': ('int', 'K_INT', 'T_INT'),
    'int32': ('int32_t', 'K_INT', 'T_I32'),
    'uint16': ('uint16_t', 'K_INT', 'T_U16'),
    'uint32': ('uint32_t', 'K_INT', 'T_U32'),
    'int64': ('int64_t', 'K_INT', 'T_I64'),
    'uint64': ('uint64_t', 'K_INT', 'T_U64'),
}

# C and C++ words that cannot be member names.
RESERVED = {
    'auto', 'bool', 'break', 'case', 'char', 'class', 'const', 'continue',
    'default', 'delete', 'do', 'double', 'else', 'enum', 'extern', 'float',
    'for', 'goto', 'if', 'inline', 'int', 'long', 'namespace', 'new',
    'operator', 'private', 'protected', 'public', 'register', 'restrict',
    'return', 'short', 'signed', 'sizeof', 'static', 'struct', 'switch',
    'template', 'this', 'typedef', 'union', 'unsigned', 'virtual', 'void',
    'volatile', 'while',
}

IDENT = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


class DescError(Exception):
    pass


class Field:
    def __init__(self, key, typ, cname, required, version1, line):
        self.key = key
        self.typ = typ
        self.cname = cname
        self.required = required
        self.version1 = version1
        self.line = line
        # filled in by resolve()
        self.kind = None        # K_* of the C tables
        self.itype = '0'        # T_* for integers and integer arrays
        self.sub = None         # struct name for struct-valued members
        self.ctype = None       # C type of the main member


class Struct:
    def __init__(self, name, document, line):
        self.name = name
        self.document = document
        self.line = line
        self.fields = []

    @property
    def ctype(self):
        return 'oci_' + self.name


def snake(key):
    """ociVersion -> oci_version, throttleReadIOPSDevice ->
    throttle_read_iops_device, l3CacheSchema -> l3_cache_schema."""
    out = []
    for i, ch in enumerate(key):
        if ch.isupper():
            prev = key[i - 1] if i else ''
            nxt = key[i + 1] if i + 1 < len(key) else ''
            if prev and (prev.islower() or prev.isdigit() or
                         (prev.isupper() and nxt.islower())):
                out.append('_')
            out.append(ch.lower())
        else:
            out.append(ch)
    name = ''.join(out)
    if name in RESERVED:
        name += '_'
    return name


def parse_desc(path):
    structs = []
    cur = None
    with open(path, encoding='utf-8') as f:
        for lineno, raw in enumerate(f, 1):
            where = '%s:%d' % (path, lineno)
            words = raw.split('#', 1)[0].split()
            if not words:
                continue
            if words[0] == 'struct':
                if len(words) not in (2, 3) or \
                   (len(words) == 3 and words[2] != 'document'):
                    raise DescError('%s: expected "struct NAME [document]"'
                                    % where)
                if not IDENT.match(words[1]):
                    raise DescError('%s: bad struct name "%s"'
                                    % (where, words[1]))
                cur = Struct(words[1], len(words) == 3, where)
                structs.append(cur)
                continue
            if cur is None:
                raise DescError('%s: member outside of a struct' % where)
            if len(words) < 2:
                raise DescError('%s: expected "KEY TYPE [options]"' % where)
            key, typ = words[0], words[1]
            cname = None
            required = version1 = False
            for opt in words[2:]:
                if opt == 'required':
                    required = True
                elif opt == 'version1':
                    version1 = True
                elif opt.startswith('c='):
                    cname = opt[2:]
                else:
                    raise DescError('%s: unknown option "%s"' % (where, opt))
            if cname is None:
                cname = snake(key)
            if not IDENT.match(cname):
                raise DescError('%s: bad C name "%s"' % (where, cname))
            cur.fields.append(Field(key, typ, cname, required, version1,
                                    where))
    return structs


def resolve(structs):
    """Checks the description and works out the C shape of each member."""
    byname = {}
    for s in structs:
        if s.name in byname:
            raise DescError('%s: struct "%s" defined twice'
                            % (s.line, s.name))
        if s.name.startswith('map_'):
            raise DescError('%s: struct names may not start with "map_"'
                            % s.line)
        byname[s.name] = s
    maps = []
    for s in structs:
        keys = set()
        cnames = set()
        for f in s.fields:
            if f.key in keys:
                raise DescError('%s: duplicate key "%s"' % (f.line, f.key))
            keys.add(f.key)
            t = f.typ
            if t.startswith('[]'):
                elem = t[2:]
                if elem == 'string':
                    f.kind, f.ctype = 'K_ARR_STR', 'char **'
                elif elem in SCALARS and SCALARS[elem][1] == 'K_INT':
                    f.kind, f.itype = 'K_ARR_INT', SCALARS[elem][2]
                    f.ctype = SCALARS[elem][0] + ' *'
                elif elem in byname:
                    f.kind, f.sub = 'K_ARR_OBJ', elem
                    f.ctype = 'oci_%s **' % elem
                else:
                    raise DescError('%s: unsupported array type "%s"'
                                    % (f.line, t))
                extra = [f.cname + '_len']
            elif t.startswith('map[string]'):
                val = t[len('map[string]'):]
                if val == 'string':
                    f.kind, f.ctype = 'K_MAP_STR', 'oci_map_string *'
                elif val in byname:
                    f.kind, f.sub = 'K_MAP_OBJ', val
                    f.ctype = 'oci_map_%s *' % val
                    if val not in maps:
                        maps.append(val)
                else:
                    raise DescError('%s: unsupported map type "%s"'
                                    % (f.line, t))
                extra = []
            elif t in SCALARS:
                f.ctype, f.kind, f.itype = SCALARS[t]
                extra = [f.cname + '_present'] if f.kind != 'K_STR' else []
            elif t in byname:
                f.kind, f.sub, f.ctype = 'K_OBJ', t, 'oci_%s *' % t
                extra = []
            else:
                raise DescError('%s: unknown type "%s"' % (f.line, t))
            if f.version1 and f.kind != 'K_STR':
                raise DescError('%s: version1 needs a string' % f.line)
            for n in [f.cname] + extra:
                if n in cnames:
                    raise DescError('%s: C member "%s" clashes'
                                    % (f.line, n))
                cnames.add(n)
    return maps


def member_decl(ctype, name):
    sep = '' if ctype.endswith('*') else ' '
    return '\t%s%s%s;' % (ctype, sep, name)


def gen_header(structs, maps):
    o = []
    w = o.append
    w('/* Generated by generate.py from spec.desc; do not edit. */')
    w('#ifndef OCI_TYPES_H')
    w('#define OCI_TYPES_H')
    w('')
    w('#include <stdbool.h>')
    w('#include <stdint.h>')
    w('#include <stddef.h>')
    w('')
    w('/* gnu11 predefines "linux", which is also a member name. */')
    w('#ifdef linux')
    w('#undef linux')
    w('#endif')
    w('')
    w('#ifdef __cplusplus')
    w('extern "C" {')
    w('#endif')
    w('')
    w('''/*
 * Conventions:
 * - Absent strings, objects, arrays and maps are NULL.
 * - Integers and booleans come with a <name>_present flag.
 * - Arrays have a <name>_len count.  A parsed array is allocated even
 *   when empty and carries one extra zeroed element, so string and
 *   object arrays are NULL-terminated (args can go straight to execvp).
 * - Maps keep the document's key order; a repeated key keeps its first
 *   position and its last value.
 * - Everything is malloc'd; free_oci_X() frees a value deeply.
 * - Parsers and writers return NULL on error and set *err (if err is
 *   not NULL) to a malloc'd message, e.g.
 *   ".process.args[1]: expected a string".
 */''')
    w('')
    w('typedef struct oci_map_string {')
    w('\tchar **keys;')
    w('\tchar **values;')
    w('\tsize_t len;')
    w('} oci_map_string;')
    w('')
    for s in structs:
        w('typedef struct %s %s;' % (s.ctype, s.ctype))
    w('')
    for m in maps:
        w('typedef struct oci_map_%s {' % m)
        w('\tchar **keys;')
        w('\toci_%s **values;' % m)
        w('\tsize_t len;')
        w('} oci_map_%s;' % m)
        w('')
    for s in structs:
        w('struct %s {' % s.ctype)
        for f in s.fields:
            w(member_decl(f.ctype, f.cname))
            if f.kind in ('K_INT', 'K_BOOL'):
                w(member_decl('bool', f.cname + '_present'))
            elif f.kind.startswith('K_ARR'):
                w(member_decl('size_t', f.cname + '_len'))
        w('};')
        w('')
    w('void free_oci_map_string(oci_map_string *v);')
    for m in maps:
        w('void free_oci_map_%s(oci_map_%s *v);' % (m, m))
    for s in structs:
        w('void free_%s(%s *v);' % (s.ctype, s.ctype))
    w('')
    for s in structs:
        if not s.document:
            continue
        t = s.ctype
        w('%s *%s_parse_data(const char *data, size_t len, char **err);'
          % (t, t))
        w('%s *%s_parse_file(const char *path, char **err);' % (t, t))
        w('char *%s_to_json(const %s *v, bool pretty, char **err);' % (t, t))
        w('')
    w('#ifdef __cplusplus')
    w('}')
    w('#endif')
    w('')
    w('#endif')
    return '\n'.join(o) + '\n'


SUPPORT = r'''
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

enum {
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

enum { T_INT, T_I32, T_U16, T_U32, T_I64, T_U64 };

#define F_REQUIRED 1
#define F_VERSION1 2

/* Nesting deeper than this is refused before yajl builds a tree. */
#define MAX_DEPTH 1000

struct oci_type;

struct oci_field {
	const char *key;
	unsigned char kind;
	unsigned char itype;
	unsigned char flags;
	unsigned short off;	/* the value, or the array/map pointer */
	unsigned short aux;	/* the _present flag or the _len count */
	const struct oci_type *sub;
};

struct oci_type {
	size_t size;
	size_t nfields;
	const struct oci_field *fields;
};

/* Every oci_map_* has this layout; checked by static asserts below. */
struct oci_map_any {
	char **keys;
	void **values;
	size_t len;
};

static const struct {
	size_t size;
	bool is_signed;
	long long min;
	unsigned long long max;
} int_info[] = {
	[T_INT] = { sizeof(int), true, INT_MIN, INT_MAX },
	[T_I32] = { sizeof(int32_t), true, INT32_MIN, INT32_MAX },
	[T_U16] = { sizeof(uint16_t), false, 0, UINT16_MAX },
	[T_U32] = { sizeof(uint32_t), false, 0, UINT32_MAX },
	[T_I64] = { sizeof(int64_t), true, INT64_MIN, INT64_MAX },
	[T_U64] = { sizeof(uint64_t), false, 0, UINT64_MAX },
};

#define AT(obj, off, type) ((type *)((char *)(obj) + (off)))
#define CAT(obj, off, type) ((const type *)((const char *)(obj) + (off)))

/* Running out of memory is not something a runtime can recover from. */
static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();
	return p;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	char *p;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		abort();
	p = xrealloc(NULL, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

__attribute__((format(printf, 2, 3)))
static void set_err(char **err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	*err = xvasprintf(fmt, ap);
	va_end(ap);
}

/*
 * Parse state: the path of the value being looked at, jq style
 * (".linux.namespaces[0]"), and the first error.
 */
struct ctx {
	char *path;
	size_t len;
	size_t cap;
	char *err;
};

static size_t path_push(struct ctx *c, const char *pre, const char *s,
			const char *post)
{
	size_t mark = c->len;
	size_t a = strlen(pre), b = strlen(s), d = strlen(post);

	if (c->len + a + b + d + 1 > c->cap) {
		c->cap = (c->len + a + b + d + 1) * 2;
		c->path = xrealloc(c->path, c->cap);
	}
	memcpy(c->path + c->len, pre, a);
	memcpy(c->path + c->len + a, s, b);
	memcpy(c->path + c->len + a + b, post, d + 1);
	c->len += a + b + d;
	return mark;
}

/* Called for every array element: no printf. */
static size_t path_push_index(struct ctx *c, size_t i)
{
	char num[32], *p = num + sizeof(num) - 1;

	*p = '\0';
	do
		*--p = (char)('0' + i % 10);
	while (i /= 10);
	return path_push(c, "[", p, "]");
}

static void path_pop(struct ctx *c, size_t mark)
{
	c->len = mark;
	c->path[mark] = '\0';
}

__attribute__((format(printf, 2, 3)))
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (!c->err)
		set_err(&c->err, "%s: %s", c->len ? c->path : ".", msg);
	free(msg);
	return -1;
}

static void free_obj(const struct oci_type *t, void *obj);

static void free_map(const struct oci_type *sub, struct oci_map_any *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->len; i++) {
		free(m->keys[i]);
		if (sub)
			free_obj(sub, m->values[i]);
		else
			free(m->values[i]);
	}
	free(m->keys);
	free(m->values);
	free(m);
}

/* Frees what a member holds and marks it absent. */
static void field_clear(const struct oci_field *f, void *obj)
{
	void **p = AT(obj, f->off, void *);
	size_t i, n;

	switch (f->kind) {
	case K_STR:
		free(*p);
		*p = NULL;
		break;
	case K_BOOL:
	case K_INT:
		memset(AT(obj, f->off, char), 0,
		       f->kind == K_BOOL ? sizeof(bool) : int_info[f->itype].size);
		*AT(obj, f->aux, bool) = false;
		break;
	case K_OBJ:
		free_obj(f->sub, *p);
		*p = NULL;
		break;
	case K_ARR_STR:
	case K_ARR_OBJ:
		n = *AT(obj, f->aux, size_t);
		for (i = 0; *p && i < n; i++) {
			if (f->kind == K_ARR_OBJ)
				free_obj(f->sub, ((void **)*p)[i]);
			else
				free(((void **)*p)[i]);
		}
		/* fall through */
	case K_ARR_INT:
		free(*p);
		*p = NULL;
		*AT(obj, f->aux, size_t) = 0;
		break;
	default:
		free_map(f->kind == K_MAP_OBJ ? f->sub : NULL, *p);
		*p = NULL;
		break;
	}
}

static void free_obj(const struct oci_type *t, void *obj)
{
	size_t i;

	if (!obj)
		return;
	for (i = 0; i < t->nfields; i++)
		field_clear(&t->fields[i], obj);
	free(obj);
}

static bool field_present(const struct oci_field *f, const void *obj)
{
	if (f->kind == K_BOOL || f->kind == K_INT)
		return *CAT(obj, f->aux, bool);
	return *CAT(obj, f->off, void *) != NULL;
}

static void int_store(void *dst, unsigned itype, unsigned long long u,
		      long long s)
{
	switch (itype) {
	case T_INT:
		*(int *)dst = (int)s;
		break;
	case T_I32:
		*(int32_t *)dst = (int32_t)s;
		break;
	case T_U16:
		*(uint16_t *)dst = (uint16_t)u;
		break;
	case T_U32:
		*(uint32_t *)dst = (uint32_t)u;
		break;
	case T_I64:
		*(int64_t *)dst = (int64_t)s;
		break;
	default:
		*(uint64_t *)dst = (uint64_t)u;
		break;
	}
}

/*
 * Numbers are converted from yajl's copy of the source text, so that
 * all 64-bit values survive exactly; doubles would round them.
 */
static int parse_int(struct ctx *c, yajl_val v, unsigned itype, void *dst)
{
	const char *s, *digits;
	bool neg;

	if (!YAJL_IS_NUMBER(v) || !v->u.number.r)
		return fail(c, "expected an integer");
	s = v->u.number.r;
	neg = *s == '-';
	digits = s + neg;
	if (!*digits || digits[strspn(digits, "0123456789")])
		return fail(c, "expected an integer");
	errno = 0;
	if (int_info[itype].is_signed) {
		long long x = strtoll(s, NULL, 10);

		if (errno || x < int_info[itype].min ||
		    (x > 0 && (unsigned long long)x > int_info[itype].max))
			return fail(c, "integer out of range");
		int_store(dst, itype, 0, x);
	} else {
		unsigned long long x = strtoull(digits, NULL, 10);

		if (errno || x > int_info[itype].max || (neg && x))
			return fail(c, "integer out of range");
		int_store(dst, itype, x, 0);
	}
	return 0;
}

static int parse_obj(struct ctx *c, const struct oci_type *t, yajl_val node,
		     void *obj);

static int parse_str(struct ctx *c, yajl_val v, char **dst)
{
	if (!YAJL_IS_STRING(v))
		return fail(c, "expected a string");
	*dst = xstrdup(YAJL_GET_STRING(v));
	return 0;
}

static int parse_new_obj(struct ctx *c, const struct oci_type *t, yajl_val v,
			 void **dst)
{
	if (!YAJL_IS_OBJECT(v))
		return fail(c, "expected an object");
	*dst = xcalloc(1, t->size);
	return parse_obj(c, t, v, *dst);
}

/* One array element or map value, stored in slot i of vec. */
static int parse_elem(struct ctx *c, const struct oci_field *f, yajl_val v,
		      void *vec, size_t i)
{
	switch (f->kind) {
	case K_ARR_STR:
	case K_MAP_STR:
		return parse_str(c, v, (char **)vec + i);
	case K_ARR_INT:
		return parse_int(c, v, f->itype,
				 (char *)vec + i * int_info[f->itype].size);
	default:
		return parse_new_obj(c, f->sub, v, (void **)vec + i);
	}
}

static int parse_array(struct ctx *c, const struct oci_field *f, yajl_val v,
		       void *obj)
{
	size_t i, n, size;
	void *vec;

	if (!YAJL_IS_ARRAY(v))
		return fail(c, "expected an array");
	n = v->u.array.len;
	size = f->kind == K_ARR_INT ? int_info[f->itype].size : sizeof(void *);
	/* The spare slot is the NULL terminator; it also keeps [] non-NULL. */
	vec = xcalloc(n + 1, size);
	*AT(obj, f->off, void *) = vec;
	*AT(obj, f->aux, size_t) = n;
	for (i = 0; i < n; i++) {
		size_t mark = path_push_index(c, i);

		if (parse_elem(c, f, v->u.array.values[i], vec, i) < 0)
			return -1;
		path_pop(c, mark);
	}
	return 0;
}

static size_t key_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * The slot of key among the first n keys of m, found through an open
 * addressing table (a map of a million keys is a few MiB of JSON: a
 * scan per key would take hours); n when the key is new, and then it is
 * entered as slot n.
 */
static size_t map_slot(size_t *table, size_t mask, char **keys, size_t n,
		       const char *key)
{
	size_t h;

	for (h = key_hash(key) & mask; table[h]; h = (h + 1) & mask)
		if (!strcmp(keys[table[h] - 1], key))
			return table[h] - 1;
	table[h] = n + 1;
	return n;
}

static int parse_map(struct ctx *c, const struct oci_field *f, yajl_val v,
		     void *obj)
{
	const struct oci_type *sub = f->kind == K_MAP_OBJ ? f->sub : NULL;
	struct oci_map_any *m;
	size_t i, j, n, size = 1, *table;
	int ret = 0;

	if (!YAJL_IS_OBJECT(v))
		return fail(c, "expected an object");
	n = v->u.object.len;
	m = xcalloc(1, sizeof(*m));
	*AT(obj, f->off, struct oci_map_any *) = m;
	m->keys = xcalloc(n + 1, sizeof(char *));
	m->values = xcalloc(n + 1, sizeof(void *));
	while (size < 2 * n)
		size *= 2;
	table = xcalloc(size, sizeof(*table));
	for (i = 0; i < n; i++) {
		const char *key = v->u.object.keys[i];
		size_t mark = path_push(c, "[\"", key, "\"]");

		j = map_slot(table, size - 1, m->keys, m->len, key);
		m->keys[m->len] = xstrdup(key);
		if (parse_elem(c, f, v->u.object.values[i], m->values,
			       m->len++) < 0) {
			ret = -1;
			break;
		}
		path_pop(c, mark);

		/* A repeated key: the last value wins, in the first slot. */
		if (j < m->len - 1) {
			m->len--;
			if (sub)
				free_obj(sub, m->values[j]);
			else
				free(m->values[j]);
			m->values[j] = m->values[m->len];
			free(m->keys[m->len]);
			m->keys[m->len] = NULL;
			m->values[m->len] = NULL;
		}
	}
	free(table);
	return ret;
}

static int parse_field(struct ctx *c, const struct oci_field *f, yajl_val v,
		       void *obj)
{
	char **s;

	switch (f->kind) {
	case K_STR:
		s = AT(obj, f->off, char *);
		if (parse_str(c, v, s) < 0)
			return -1;
		if ((f->flags & F_VERSION1) &&
		    (strncmp(*s, "1.", 2) || (*s)[2] < '0' || (*s)[2] > '9'))
			return fail(c, "unsupported version \"%s\"", *s);
		return 0;
	case K_BOOL:
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			return fail(c, "expected a boolean");
		*AT(obj, f->off, bool) = YAJL_IS_TRUE(v);
		break;
	case K_INT:
		if (parse_int(c, v, f->itype, AT(obj, f->off, char)) < 0)
			return -1;
		break;
	case K_OBJ:
		return parse_new_obj(c, f->sub, v, AT(obj, f->off, void *));
	case K_ARR_STR:
	case K_ARR_INT:
	case K_ARR_OBJ:
		return parse_array(c, f, v, obj);
	default:
		return parse_map(c, f, v, obj);
	}
	*AT(obj, f->aux, bool) = true;
	return 0;
}

/*
 * Unknown keys are skipped; null counts as absent; a repeated key
 * replaces the earlier value.  On failure obj keeps what was parsed so
 * far, for the caller to free.
 */
static int parse_obj(struct ctx *c, const struct oci_type *t, yajl_val node,
		     void *obj)
{
	size_t i, k;

	for (i = 0; i < node->u.object.len; i++) {
		const char *key = node->u.object.keys[i];
		yajl_val v = node->u.object.values[i];
		const struct oci_field *f = NULL;
		size_t mark;

		for (k = 0; k < t->nfields; k++) {
			if (!strcmp(t->fields[k].key, key)) {
				f = &t->fields[k];
				break;
			}
		}
		if (!f)
			continue;
		field_clear(f, obj);
		if (YAJL_IS_NULL(v))
			continue;
		mark = path_push(c, ".", key, "");
		if (parse_field(c, f, v, obj) < 0)
			return -1;
		path_pop(c, mark);
	}
	for (k = 0; k < t->nfields; k++) {
		const struct oci_field *f = &t->fields[k];

		if ((f->flags & F_REQUIRED) && !field_present(f, obj))
			return fail(c, "missing required field \"%s\"", f->key);
	}
	return 0;
}

/*
 * yajl frees its tree recursively, so bound the nesting up front.  Also
 * notes whether a string has a \u0000, which the tree's C strings would
 * silently cut short.
 */
static bool too_deep(const char *s, size_t n, bool *nul_escape)
{
	bool in_str = false;
	size_t depth = 0, i;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\') {
				if (n - i >= 6 && !memcmp(s + i + 1, "u0000", 5))
					*nul_escape = true;
				i++;
			} else if (s[i] == '"') {
				in_str = false;
			}
		} else if (s[i] == '"') {
			in_str = true;
		} else if (s[i] == '[' || s[i] == '{') {
			if (++depth > MAX_DEPTH)
				return true;
		} else if ((s[i] == ']' || s[i] == '}') && depth) {
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
static size_t utf8_invalid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, more;
	unsigned char lo, hi;

	while (i < n) {
		unsigned char b = s[i];

		lo = 0x80, hi = 0xbf;
		if (b < 0x80) {
			i++;
			continue;
		} else if (b >= 0xc2 && b <= 0xdf) {
			more = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			more = 2;
			if (b == 0xe0)
				lo = 0xa0;
			else if (b == 0xed)
				hi = 0x9f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			more = 3;
			if (b == 0xf0)
				lo = 0x90;
			else if (b == 0xf4)
				hi = 0x8f;
		} else {
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
struct nul_scan {
	struct ctx c;
	/* per open container: its path mark, the mark of the current key
	 * or element, and the next index (-1 in an object) */
	size_t mark[MAX_DEPTH + 1], elem[MAX_DEPTH + 1];
	long long index[MAX_DEPTH + 1];
	size_t depth;
};

static void nul_value_begin(struct nul_scan *n)
{
	char num[32];

	if (n->depth && n->index[n->depth - 1] >= 0) {
		snprintf(num, sizeof(num), "%lld", n->index[n->depth - 1]++);
		n->elem[n->depth - 1] = path_push(&n->c, "[", num, "]");
	}
}

static void nul_value_end(struct nul_scan *n)
{
	if (n->depth && n->index[n->depth - 1] >= 0)
		path_pop(&n->c, n->elem[n->depth - 1]);
}

static int nul_open(void *ctx, bool array)
{
	struct nul_scan *n = ctx;

	nul_value_begin(n);
	if (n->depth > MAX_DEPTH)
		return 0;
	n->mark[n->depth] = n->elem[n->depth] = n->c.len;
	n->index[n->depth++] = array ? 0 : -1;
	return 1;
}

static int nul_close(void *ctx)
{
	struct nul_scan *n = ctx;

	path_pop(&n->c, n->mark[--n->depth]);
	nul_value_end(n);
	return 1;
}

static int nul_start_map(void *ctx)
{
	return nul_open(ctx, false);
}

static int nul_start_array(void *ctx)
{
	return nul_open(ctx, true);
}

static int nul_key(void *ctx, const unsigned char *s, size_t len)
{
	struct nul_scan *n = ctx;
	size_t i;
	char *key;

	path_pop(&n->c, n->mark[n->depth - 1]);
	if (memchr(s, '\0', len)) {
		fail(&n->c, "key contains a NUL character");
		return 0;
	}
	key = xrealloc(NULL, len + 1);
	memcpy(key, s, len);
	key[len] = '\0';
	for (i = 0; i < len && (isalnum(s[i]) || s[i] == '_'); i++)
		;
	if (len && i == len)
		n->elem[n->depth - 1] = path_push(&n->c, ".", key, "");
	else
		n->elem[n->depth - 1] = path_push(&n->c, "[\"", key, "\"]");
	free(key);
	return 1;
}

static int nul_string(void *ctx, const unsigned char *s, size_t len)
{
	struct nul_scan *n = ctx;

	nul_value_begin(n);
	if (memchr(s, '\0', len)) {
		fail(&n->c, "string contains a NUL character");
		return 0;
	}
	nul_value_end(n);
	return 1;
}

static int nul_scalar(void *ctx)
{
	nul_value_begin(ctx);
	nul_value_end(ctx);
	return 1;
}

static int nul_null(void *ctx)
{
	return nul_scalar(ctx);
}

static int nul_bool(void *ctx, int b)
{
	return nul_scalar(ctx);
}

static int nul_number(void *ctx, const char *s, size_t len)
{
	return nul_scalar(ctx);
}

/* The error for the first string or key with a NUL, or NULL.  */
static char *find_nul(const char *text, size_t len)
{
	static const yajl_callbacks cb = {
		nul_null, nul_bool, NULL, NULL, nul_number, nul_string,
		nul_start_map, nul_key, nul_close, nul_start_array, nul_close,
	};
	struct nul_scan *n = xcalloc(1, sizeof(*n));
	yajl_handle h = yajl_alloc(&cb, NULL, n);
	char *err;

	if (!h)
		abort();
	/* path_pop writes the terminator: the path must exist from the start */
	n->c.cap = 64;
	n->c.path = xcalloc(1, n->c.cap);
	yajl_parse(h, (const unsigned char *)text, len);
	yajl_complete_parse(h);
	yajl_free(h);
	err = n->c.err;
	free(n->c.path);
	free(n);
	return err;
}

/*
 * The document tree, built from yajl's events into one arena.  yajl's own
 * tree grows each object and array by a realloc per member and frees it
 * node by node: together more work than the rest of the parse.  The
 * nodes are yajl's type, so the code above reads them as it would.
 */
struct arena {
	struct arena *next;
	size_t used, size;
	max_align_t data[];
};

struct member {
	const char *key;	/* NULL in an array */
	yajl_val val;
};

struct tree {
	struct arena *arena;
	struct member *stack;	/* the members of the open containers */
	size_t top, cap;
	size_t start[MAX_DEPTH + 1];	/* where each open one's members begin */
	yajl_val open[MAX_DEPTH + 1];
	size_t depth;
	const char *key;	/* the key whose value comes next */
	yajl_val root;
};

static void *arena_alloc(struct tree *t, size_t n)
{
	struct arena *a = t->arena;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!a || a->size - a->used < n) {
		size_t size = n > 16384 ? n : 16384;

		a = xrealloc(NULL, sizeof(*a) + size);
		a->next = t->arena;
		a->used = 0;
		a->size = size;
		t->arena = a;
	}
	p = (char *)a->data + a->used;
	a->used += n;
	return p;
}

static void arena_free(struct tree *t)
{
	while (t->arena) {
		struct arena *next = t->arena->next;

		free(t->arena);
		t->arena = next;
	}
	free(t->stack);
}

static char *arena_strndup(struct tree *t, const unsigned char *s, size_t n)
{
	char *p = arena_alloc(t, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static yajl_val tree_node(struct tree *t, yajl_type type)
{
	yajl_val v = arena_alloc(t, sizeof(*v));

	memset(v, 0, sizeof(*v));
	v->type = type;
	return v;
}

/* A value: the document itself, or a member of the innermost container. */
static int tree_add(struct tree *t, yajl_val v)
{
	if (!t->depth) {
		t->root = v;
		return 1;
	}
	if (t->top == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->stack = xrealloc(t->stack, t->cap * sizeof(*t->stack));
	}
	t->stack[t->top].key = t->key;
	t->stack[t->top++].val = v;
	t->key = NULL;
	return 1;
}

static int tree_null(void *ctx)
{
	return tree_add(ctx, tree_node(ctx, yajl_t_null));
}

static int tree_bool(void *ctx, int b)
{
	return tree_add(ctx, tree_node(ctx, b ? yajl_t_true : yajl_t_false));
}

static int tree_number(void *ctx, const char *s, size_t n)
{
	yajl_val v = tree_node(ctx, yajl_t_number);

	v->u.number.r = arena_strndup(ctx, (const unsigned char *)s, n);
	return tree_add(ctx, v);
}

static int tree_string(void *ctx, const unsigned char *s, size_t n)
{
	yajl_val v = tree_node(ctx, yajl_t_string);

	v->u.string = arena_strndup(ctx, s, n);
	return tree_add(ctx, v);
}

static int tree_key(void *ctx, const unsigned char *s, size_t n)
{
	struct tree *t = ctx;

	t->key = arena_strndup(t, s, n);
	return 1;
}

static int tree_open(struct tree *t, yajl_type type)
{
	yajl_val v = tree_node(t, type);

	/* too_deep has bounded the nesting already. */
	if (t->depth > MAX_DEPTH)
		return 0;
	tree_add(t, v);
	t->start[t->depth] = t->top;
	t->open[t->depth++] = v;
	return 1;
}

static int tree_start_map(void *ctx)
{
	return tree_open(ctx, yajl_t_object);
}

static int tree_start_array(void *ctx)
{
	return tree_open(ctx, yajl_t_array);
}

/* The innermost container is complete: its members move to the arena. */
static int tree_close(void *ctx)
{
	struct tree *t = ctx;
	yajl_val v = t->open[--t->depth];
	size_t first = t->start[t->depth], n = t->top - first, i;
	yajl_val *vals = arena_alloc(t, (n ? n : 1) * sizeof(*vals));

	for (i = 0; i < n; i++)
		vals[i] = t->stack[first + i].val;
	if (v->type == yajl_t_object) {
		const char **keys = arena_alloc(t, (n ? n : 1) * sizeof(*keys));

		for (i = 0; i < n; i++)
			keys[i] = t->stack[first + i].key;
		v->u.object.keys = keys;
		v->u.object.values = vals;
		v->u.object.len = n;
	} else {
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
static bool tree_parse(struct tree *t, const char *text, size_t len,
		       char *ebuf, size_t esize)
{
	yajl_handle h = yajl_alloc(&tree_callbacks, NULL, t);
	yajl_status st;

	if (!h)
		abort();
	yajl_config(h, yajl_allow_comments, 1);
	st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		unsigned char *msg = yajl_get_error(h, 1, (const unsigned char *)text, len);
		size_t n = strcspn((const char *)msg, "\n");

		while (n && (msg[n - 1] == ' ' || msg[n - 1] == '\t'))
			n--;
		snprintf(ebuf, esize, "%.*s", (int)n, (const char *)msg);
		yajl_free_error(h, msg);
	}
	yajl_free(h);
	return st == yajl_status_ok && t->root;
}

static void *parse_doc(const struct oci_type *t, const char *data, size_t len,
		       char **err)
{
	struct ctx c = { NULL, 0, 0, NULL };
	bool nul_escape = false;
	char ebuf[1024];
	size_t bad;
	struct tree *tree;
	void *obj;

	if (err)
		*err = NULL;
	if (!data)
		len = 0;
	if (len && memchr(data, '\0', len)) {
		set_err(err, "invalid JSON: NUL byte in input");
		return NULL;
	}
	if ((bad = utf8_invalid((const unsigned char *)data, len)) < len) {
		set_err(err, "invalid JSON: invalid UTF-8 at byte %zu", bad);
		return NULL;
	}
	if (too_deep(data, len, &nul_escape)) {
		set_err(err, "invalid JSON: nesting too deep");
		return NULL;
	}
	if (nul_escape && (c.err = find_nul(data, len))) {
		if (err)
			*err = c.err;
		else
			free(c.err);
		return NULL;
	}
	tree = xcalloc(1, sizeof(*tree));
	ebuf[0] = '\0';
	if (!tree_parse(tree, data, len, ebuf, sizeof(ebuf))) {
		arena_free(tree);
		free(tree);
		set_err(err, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
		return NULL;
	}
	obj = xcalloc(1, t->size);
	if (!YAJL_IS_OBJECT(tree->root))
		fail(&c, "expected an object");
	else
		parse_obj(&c, t, tree->root, obj);
	arena_free(tree);
	free(tree);
	free(c.path);
	if (c.err) {
		free_obj(t, obj);
		if (err)
			*err = c.err;
		else
			free(c.err);
		return NULL;
	}
	return obj;
}

static void *parse_file(const struct oci_type *t, const char *path,
			char **err)
{
	size_t len = 0, cap = 16384;
	char *data;
	void *obj;
	int fd;

	if (err)
		*err = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	data = xrealloc(NULL, cap);
	for (;;) {
		ssize_t r;

		if (len == cap) {
			cap *= 2;
			data = xrealloc(data, cap);
		}
		r = read(fd, data + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			free(data);
			set_err(err, "read %s: %s", path, strerror(e));
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	obj = parse_doc(t, data, len, err);
	free(data);
	return obj;
}

/* The writer: compact, or indented by two spaces per level. */
struct out {
	char *buf;
	size_t len;
	size_t cap;
	bool pretty;
};

static void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->buf = xrealloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_s(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_nl(struct out *o, unsigned depth)
{
	if (!o->pretty)
		return;
	out_mem(o, "\n", 1);
	while (depth--)
		out_mem(o, "  ", 2);
}

static void out_str(struct out *o, const char *s)
{
	const char *run;

	if (!s) {
		out_s(o, "null");
		return;
	}
	out_mem(o, "\"", 1);
	for (;;) {
		char esc[8];
		unsigned char ch;

		run = s;
		while (*s && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			s++;
		out_mem(o, run, (size_t)(s - run));
		ch = (unsigned char)*s;
		if (!ch)
			break;
		switch (ch) {
		case '"':
			out_s(o, "\\\"");
			break;
		case '\\':
			out_s(o, "\\\\");
			break;
		case '\n':
			out_s(o, "\\n");
			break;
		case '\t':
			out_s(o, "\\t");
			break;
		case '\r':
			out_s(o, "\\r");
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			out_s(o, esc);
			break;
		}
		s++;
	}
	out_mem(o, "\"", 1);
}

static void out_key(struct out *o, const char *key)
{
	out_str(o, key);
	out_s(o, o->pretty ? ": " : ":");
}

static void out_int(struct out *o, unsigned itype, const void *p)
{
	char num[32];

	switch (itype) {
	case T_INT:
		snprintf(num, sizeof(num), "%d", *(const int *)p);
		break;
	case T_I32:
		snprintf(num, sizeof(num), "%" PRId32, *(const int32_t *)p);
		break;
	case T_U16:
		snprintf(num, sizeof(num), "%u", (unsigned)*(const uint16_t *)p);
		break;
	case T_U32:
		snprintf(num, sizeof(num), "%" PRIu32, *(const uint32_t *)p);
		break;
	case T_I64:
		snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)p);
		break;
	default:
		snprintf(num, sizeof(num), "%" PRIu64, *(const uint64_t *)p);
		break;
	}
	out_s(o, num);
}

static void write_obj(struct out *o, const struct oci_type *t,
		      const void *obj, unsigned depth);

static void write_elem(struct out *o, const struct oci_field *f,
		       const void *vec, size_t i, unsigned depth)
{
	const void *p;

	if (f->kind == K_ARR_INT) {
		out_int(o, f->itype,
			(const char *)vec + i * int_info[f->itype].size);
		return;
	}
	p = ((const void *const *)vec)[i];
	if (f->kind == K_ARR_STR || f->kind == K_MAP_STR)
		out_str(o, p);
	else if (!p)
		out_s(o, "null");
	else
		write_obj(o, f->sub, p, depth);
}

static void write_field(struct out *o, const struct oci_field *f,
			const void *obj, unsigned depth)
{
	const struct oci_map_any *m;
	const void *p;
	size_t i, n;

	switch (f->kind) {
	case K_BOOL:
		out_s(o, *CAT(obj, f->off, bool) ? "true" : "false");
		return;
	case K_INT:
		out_int(o, f->itype, CAT(obj, f->off, char));
		return;
	}
	p = *CAT(obj, f->off, void *);
	switch (f->kind) {
	case K_STR:
		out_str(o, p);
		break;
	case K_OBJ:
		write_obj(o, f->sub, p, depth);
		break;
	case K_ARR_STR:
	case K_ARR_INT:
	case K_ARR_OBJ:
		n = *CAT(obj, f->aux, size_t);
		out_mem(o, "[", 1);
		for (i = 0; i < n; i++) {
			if (i)
				out_mem(o, ",", 1);
			out_nl(o, depth + 1);
			write_elem(o, f, p, i, depth + 1);
		}
		if (n)
			out_nl(o, depth);
		out_mem(o, "]", 1);
		break;
	default:
		m = p;
		n = 0;
		out_mem(o, "{", 1);
		for (i = 0; i < m->len; i++) {
			if (!m->keys[i])
				continue;
			if (n++)
				out_mem(o, ",", 1);
			out_nl(o, depth + 1);
			out_key(o, m->keys[i]);
			write_elem(o, f, m->values, i, depth + 1);
		}
		if (n)
			out_nl(o, depth);
		out_mem(o, "}", 1);
		break;
	}
}

static void write_obj(struct out *o, const struct oci_type *t,
		      const void *obj, unsigned depth)
{
	bool empty = true;
	size_t i;

	out_mem(o, "{", 1);
	for (i = 0; i < t->nfields; i++) {
		const struct oci_field *f = &t->fields[i];

		if (!field_present(f, obj))
			continue;
		if (!empty)
			out_mem(o, ",", 1);
		empty = false;
		out_nl(o, depth + 1);
		out_key(o, f->key);
		write_field(o, f, obj, depth + 1);
	}
	if (!empty)
		out_nl(o, depth);
	out_mem(o, "}", 1);
}

static char *to_json(const struct oci_type *t, const void *obj, bool pretty,
		     char **err)
{
	struct out o = { NULL, 0, 0, pretty };

	if (err)
		*err = NULL;
	if (!obj) {
		set_err(err, "no document to write");
		return NULL;
	}
	write_obj(&o, t, obj, 0);
	return o.buf;
}
'''


def gen_source(structs, maps):
    o = []
    w = o.append
    w('/* Generated by generate.py from spec.desc; do not edit. */')
    w('/* For strdup and ssize_t even under a strict -std. */')
    w('#ifndef _GNU_SOURCE')
    w('#define _GNU_SOURCE')
    w('#endif')
    w('#include "oci_types.h"')
    o.append(SUPPORT)
    for m in ['string'] + maps:
        t = 'oci_map_' + m
        w('_Static_assert(sizeof(%s) == sizeof(struct oci_map_any) &&' % t)
        w('\t       offsetof(%s, values) == offsetof(struct oci_map_any, values) &&' % t)
        w('\t       offsetof(%s, len) == offsetof(struct oci_map_any, len),' % t)
        w('\t       "%s layout");' % t)
    w('')
    for s in structs:
        w('static const struct oci_type td_%s;' % s.name)
    w('')
    for s in structs:
        w('static const struct oci_field fd_%s[] = {' % s.name)
        for f in s.fields:
            flags = []
            if f.required:
                flags.append('F_REQUIRED')
            if f.version1:
                flags.append('F_VERSION1')
            if f.kind in ('K_INT', 'K_BOOL'):
                aux = 'offsetof(%s, %s_present)' % (s.ctype, f.cname)
            elif f.kind.startswith('K_ARR'):
                aux = 'offsetof(%s, %s_len)' % (s.ctype, f.cname)
            else:
                aux = '0'
            w('\t{ "%s", %s, %s, %s, offsetof(%s, %s), %s, %s },' % (
                f.key, f.kind, f.itype, ' | '.join(flags) or '0',
                s.ctype, f.cname, aux,
                '&td_' + f.sub if f.sub else 'NULL'))
        w('};')
        w('')
        w('static const struct oci_type td_%s = {' % s.name)
        w('\tsizeof(%s), %d, fd_%s' % (s.ctype, len(s.fields), s.name))
        w('};')
        w('')
    w('void free_oci_map_string(oci_map_string *v)')
    w('{')
    w('\tfree_map(NULL, (struct oci_map_any *)v);')
    w('}')
    w('')
    for m in maps:
        w('void free_oci_map_%s(oci_map_%s *v)' % (m, m))
        w('{')
        w('\tfree_map(&td_%s, (struct oci_map_any *)v);' % m)
        w('}')
        w('')
    for s in structs:
        t = s.ctype
        w('void free_%s(%s *v)' % (t, t))
        w('{')
        w('\tfree_obj(&td_%s, v);' % s.name)
        w('}')
        w('')
        if not s.document:
            continue
        w('%s *%s_parse_data(const char *data, size_t len, char **err)'
          % (t, t))
        w('{')
        w('\treturn parse_doc(&td_%s, data, len, err);' % s.name)
        w('}')
        w('')
        w('%s *%s_parse_file(const char *path, char **err)' % (t, t))
        w('{')
        w('\treturn parse_file(&td_%s, path, err);' % s.name)
        w('}')
        w('')
        w('char *%s_to_json(const %s *v, bool pretty, char **err)' % (t, t))
        w('{')
        w('\treturn to_json(&td_%s, v, pretty, err);' % s.name)
        w('}')
        w('')
    return '\n'.join(o).rstrip('\n') + '\n'


def write_file(path, text):
    # Write then rename, so an interrupted build leaves no half file.
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: %s SPEC.desc OUTDIR\n' % argv[0])
        return 2
    try:
        structs = parse_desc(argv[1])
        maps = resolve(structs)
    except (DescError, OSError) as e:
        sys.stderr.write('generate.py: %s\n' % e)
        return 1
    os.makedirs(argv[2], exist_ok=True)
    write_file(os.path.join(argv[2], 'oci_types.h'),
               gen_header(structs, maps))
    write_file(os.path.join(argv[2], 'oci_types.c'),
               gen_source(structs, maps))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
