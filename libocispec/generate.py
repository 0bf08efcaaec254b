#!/usr/bin/env python3
#
# generate.py - turn spec.desc into the OCI types in C.
#
# usage: generate.py SPEC.desc OUTDIR
#
# Writes OUTDIR/oci_types.h and OUTDIR/oci_types.c.  The C side is table
# driven: every struct gets a field table, and the generic routines of
# ocispec_*.c (declared in ocispec.h) parse, write and free through them.
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
    def __init__(self, key, typ, cname, opts, line):
        self.key = key
        self.typ = typ
        self.cname = cname
        self.required = 'required' in opts
        self.version1 = 'version1' in opts
        self.nullable = 'nullable' in opts
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
        self.lenient = False

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
                if len(words) not in (2, 3, 4) or \
                   words[2:] not in ([], ['document'],
                                     ['document', 'lenient']):
                    raise DescError('%s: expected "struct NAME '
                                    '[document [lenient]]"' % where)
                if not IDENT.match(words[1]):
                    raise DescError('%s: bad struct name "%s"'
                                    % (where, words[1]))
                cur = Struct(words[1], len(words) >= 3, where)
                cur.lenient = len(words) == 4
                structs.append(cur)
                continue
            if cur is None:
                raise DescError('%s: member outside of a struct' % where)
            if len(words) < 2:
                raise DescError('%s: expected "KEY TYPE [options]"' % where)
            key, typ = words[0], words[1]
            cname = None
            opts = set()
            for opt in words[2:]:
                if opt in ('required', 'version1', 'nullable'):
                    opts.add(opt)
                elif opt.startswith('c='):
                    cname = opt[2:]
                else:
                    raise DescError('%s: unknown option "%s"' % (where, opt))
            if cname is None:
                cname = snake(key)
            if not IDENT.match(cname):
                raise DescError('%s: bad C name "%s"' % (where, cname))
            cur.fields.append(Field(key, typ, cname, opts, where))
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
            if f.nullable and f.kind != 'K_STR':
                raise DescError('%s: nullable needs a string' % f.line)
            for n in [f.cname] + extra:
                if n in cnames:
                    raise DescError('%s: C member "%s" clashes'
                                    % (f.line, n))
                cnames.add(n)
    return maps


def member_decl(ctype, name):
    sep = '' if ctype.endswith('*') else ' '
    return '  %s%s%s;' % (ctype, sep, name)


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
    w('typedef struct oci_map_string')
    w('{')
    w('  char **keys;')
    w('  char **values;')
    w('  size_t len;')
    w('} oci_map_string;')
    w('')
    for s in structs:
        w('typedef struct %s %s;' % (s.ctype, s.ctype))
    w('')
    for m in maps:
        w('typedef struct oci_map_%s' % m)
        w('{')
        w('  char **keys;')
        w('  oci_%s **values;' % m)
        w('  size_t len;')
        w('} oci_map_%s;' % m)
        w('')
    for s in structs:
        w('struct %s' % s.ctype)
        w('{')
        for f in s.fields:
            w(member_decl(f.ctype, f.cname))
            if f.kind in ('K_INT', 'K_BOOL'):
                w(member_decl('bool', f.cname + '_present'))
            elif f.kind.startswith('K_ARR'):
                w(member_decl('size_t', f.cname + '_len'))
        w('};')
        w('')
    w('void free_oci_map_string (oci_map_string *v);')
    for m in maps:
        w('void free_oci_map_%s (oci_map_%s *v);' % (m, m))
    for s in structs:
        w('void free_%s (%s *v);' % (s.ctype, s.ctype))
    w('')
    for s in structs:
        if not s.document:
            continue
        t = s.ctype
        w('%s *%s_parse_data (const char *data, size_t len, char **err);'
          % (t, t))
        w('%s *%s_parse_file (const char *path, char **err);' % (t, t))
        w('char *%s_to_json (const %s *v, bool pretty, char **err);' % (t, t))
        w('')
    w('#ifdef __cplusplus')
    w('}')
    w('#endif')
    w('')
    w('#endif')
    return '\n'.join(o) + '\n'


def gen_source(structs, maps):
    o = []
    w = o.append
    w('/* Generated by generate.py from spec.desc; do not edit. */')
    w('#include "oci_types.h"')
    w('#include "ocispec.h"')
    w('')
    for m in ['string'] + maps:
        t = 'oci_map_' + m
        w('_Static_assert (sizeof (%s) == sizeof (struct oci_map_any)' % t)
        w('                && offsetof (%s, values) == offsetof (struct oci_map_any, values)' % t)
        w('                && offsetof (%s, len) == offsetof (struct oci_map_any, len),' % t)
        w('                "%s layout");' % t)
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
            if f.nullable:
                flags.append('F_NULLABLE')
            if f.kind in ('K_INT', 'K_BOOL'):
                aux = 'offsetof (%s, %s_present)' % (s.ctype, f.cname)
            elif f.kind.startswith('K_ARR'):
                aux = 'offsetof (%s, %s_len)' % (s.ctype, f.cname)
            else:
                aux = '0'
            w('  { "%s", %s, %s, %s, offsetof (%s, %s), %s, %s },' % (
                f.key, f.kind, f.itype, ' | '.join(flags) or '0',
                s.ctype, f.cname, aux,
                '&td_' + f.sub if f.sub else 'NULL'))
        w('};')
        w('')
        w('static const struct oci_type td_%s = { sizeof (%s), %d, fd_%s, %s };'
          % (s.name, s.ctype, len(s.fields), s.name,
             'true' if s.lenient else 'false'))
        w('')
    func('void', 'free_oci_map_string (oci_map_string *v)',
         'ocispec_free_map (NULL, (struct oci_map_any *) v);', w)
    for m in maps:
        func('void', 'free_oci_map_%s (oci_map_%s *v)' % (m, m),
             'ocispec_free_map (&td_%s, (struct oci_map_any *) v);' % m, w)
    for s in structs:
        t = s.ctype
        func('void', 'free_%s (%s *v)' % (t, t),
             'ocispec_free_obj (&td_%s, v);' % s.name, w)
        if not s.document:
            continue
        func('%s *' % t,
             '%s_parse_data (const char *data, size_t len, char **err)' % t,
             'return ocispec_parse_data (&td_%s, data, len, err);' % s.name, w)
        func('%s *' % t, '%s_parse_file (const char *path, char **err)' % t,
             'return ocispec_parse_file (&td_%s, path, err);' % s.name, w)
        func('char *',
             '%s_to_json (const %s *v, bool pretty, char **err)' % (t, t),
             'return ocispec_to_json (&td_%s, v, pretty, err);' % s.name, w)
    return '\n'.join(o).rstrip('\n') + '\n'


def func(ret, decl, body, w):
    """One short function, in the project's style."""
    w(ret)
    w(decl)
    w('{')
    w('  ' + body)
    w('}')
    w('')


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
