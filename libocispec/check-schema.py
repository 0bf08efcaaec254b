#!/usr/bin/env python3
#
# check-schema.py - check spec.desc against the runtime-spec's JSON schemas.
#
# usage: check-schema.py [SPEC.desc SCHEMA_DIR]
#
# By default, the spec.desc beside this script and the schemas of
# ../shared/reference/runtime-spec/schema beside the repository (or
# $OCIRT_SCHEMA_DIR): what `make check` runs.
#
# Every property of config-schema.json (Linux: the other platforms'
# sections are left out), state-schema.json and features-schema.json must
# be a member of the matching struct, with the same JSON type: a string is
# a string, an integer one of the integer types, an object with properties
# a struct (checked in turn), an object of patternProperties or
# additionalProperties a map, an array an array of the same.  spec.desc
# may describe more than the schemas (ocirt's own documents and keys).
# Exits 0 when all match, 1 listing every difference, 77 (automake's
# "skipped") when SCHEMA_DIR does not exist.

import json
import os
import sys

sys.dont_write_bytecode = True  # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402

# The platforms spec.desc does not describe.
OTHER_PLATFORMS = {'solaris', 'windows', 'vm', 'zos', 'freebsd'}

# document schema file -> spec.desc struct
DOCUMENTS = [
    ('config-schema.json', 'spec'),
    ('state-schema.json', 'state'),
    ('features-schema.json', 'features'),
]

INTEGERS = {'int', 'int32', 'uint16', 'uint32', 'int64', 'uint64'}


class Schemas:
    def __init__(self, directory):
        self.dir = directory
        self.files = {}

    def load(self, name):
        if name not in self.files:
            with open(os.path.join(self.dir, name), encoding='utf-8') as f:
                self.files[name] = json.load(f)
        return self.files[name]

    def resolve(self, node, where):
        """Follows $ref (and a lone allOf/anyOf of one kind) to a node
        that says what it is; returns (node, file it is in)."""
        while isinstance(node, dict):
            if '$ref' in node:
                ref = node['$ref']
                name, _, pointer = ref.partition('#')
                where = name or where
                node = self.load(where)
                for part in pointer.strip('/').split('/'):
                    if part:
                        node = node[part]
                continue
            if 'allOf' in node:
                node = self.merge(node, where)
                continue
            for comb in ('anyOf', 'oneOf'):
                if comb in node and 'type' not in node:
                    typed = [self.resolve(n, where) for n in node[comb]]
                    kinds = {json_type(n) for n, _ in typed}
                    if len(kinds) == 1:
                        node, where = typed[0]
                        break
                    return {'type': sorted(k for k in kinds if k)}, where
            else:
                return node, where
        return node, where


    def merge_into(self, out, node, where):
        node, where = self.resolve(node, where)
        for k, v in node.items():
            if k == 'properties':
                for key, sub in v.items():
                    out['properties'][key] = self.resolve(sub, where)[0]
            elif k not in out:
                out[k] = v

    def merge(self, node, where):
        """One node of an allOf: the union of the properties."""
        out = {'properties': {}}
        for part in node['allOf']:
            self.merge_into(out, part, where)
        rest = {k: v for k, v in node.items() if k != 'allOf'}
        self.merge_into(out, rest, where)
        if not out['properties']:
            del out['properties']
        return out


def json_type(node):
    t = node.get('type')
    if isinstance(t, list):
        return '|'.join(sorted(t))
    if t is None and 'properties' in node:
        return 'object'
    return t


def desc_json_type(typ):
    if typ.startswith('[]'):
        return 'array'
    if typ.startswith('map[string]'):
        return 'object'
    if typ == 'string':
        return 'string'
    if typ == 'bool':
        return 'boolean'
    if typ in INTEGERS:
        return 'integer'
    return 'object'


class Checker:
    def __init__(self, schemas, structs):
        self.schemas = schemas
        self.structs = {s.name: s for s in structs}
        self.problems = []
        self.seen = set()

    def value(self, node, where, typ, path):
        """Does the spec.desc TYPE describe the schema NODE?"""
        node, where = self.schemas.resolve(node, where)
        want = json_type(node)
        have = desc_json_type(typ)
        if want is None:
            return      # no type in the schema: anything goes
        if have not in want.split('|'):
            self.problems.append('%s: the schema has %s, spec.desc %s (%s)'
                                 % (path, want, have, typ))
            return
        if have == 'array':
            if 'items' in node:
                self.value(node['items'], where, typ[2:], path + '[]')
        elif typ.startswith('map[string]'):
            # A map stands for an object of named properties when each
            # of them has the map's value type.
            for key, sub in node.get('properties', {}).items():
                self.value(sub, where, typ[len('map[string]'):],
                           '%s.%s' % (path, key))
            for key in ('patternProperties', 'additionalProperties'):
                sub = node.get(key)
                if isinstance(sub, dict):
                    for v in (sub.values() if key == 'patternProperties'
                              else [sub]):
                        self.value(v, where, typ[len('map[string]'):],
                                   path + '[]')
        elif have == 'object':
            if 'properties' not in node:
                self.problems.append('%s: the schema has a map, spec.desc '
                                     'the struct %s' % (path, typ))
                return
            self.struct(node, where, typ, path)

    def struct(self, node, where, name, path):
        if (id(node), name) in self.seen:
            return
        self.seen.add((id(node), name))
        s = self.structs.get(name)
        if s is None:
            self.problems.append('%s: no struct %s in spec.desc'
                                 % (path, name))
            return
        fields = {f.key: f for f in s.fields}
        for key, sub in node.get('properties', {}).items():
            if path == '' and name == 'spec' and key in OTHER_PLATFORMS:
                continue
            f = fields.get(key)
            if f is None:
                self.problems.append('%s.%s: in the schema, not in struct %s'
                                     % (path, key, name))
                continue
            self.value(sub, where, f.typ, '%s.%s' % (path, key))


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if len(argv) == 3:
        desc, schema_dir = argv[1], argv[2]
    elif len(argv) == 1:
        desc = os.path.join(here, 'spec.desc')
        schema_dir = os.environ.get('OCIRT_SCHEMA_DIR') or os.path.join(
            here, '..', '..', 'shared', 'reference', 'runtime-spec', 'schema')
    else:
        sys.stderr.write('usage: %s [SPEC.desc SCHEMA_DIR]\n' % argv[0])
        return 2
    if not os.path.isdir(schema_dir):
        print('check-schema: SKIP: no schema directory %s (the runtime-spec '
              'schemas are looked for in ../shared beside the repository)'
              % schema_dir)
        return 77
    structs = generate.parse_desc(desc)
    generate.resolve(structs)
    checker = Checker(Schemas(schema_dir), structs)
    for schema, name in DOCUMENTS:
        node = checker.schemas.load(schema)
        before = len(checker.problems)
        checker.struct(node, schema, name, '')
        checker.problems[before:] = ['%s %s' % (schema, p)
                                     for p in checker.problems[before:]]
        print('check-schema: %s against struct %s' % (schema, name))
    for p in checker.problems:
        print('check-schema: %s' % p)
    if checker.problems:
        print('check-schema: %d differences between spec.desc and the '
              'schemas' % len(checker.problems))
        return 1
    print('check-schema: spec.desc describes every field of the schemas')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
