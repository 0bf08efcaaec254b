#!/usr/bin/env python3
"""One naming rule: what the library exports is named after its file.

Usage: check-names.py SRCDIR ARCHIVE

Every global symbol defined in the object of src/libocirt/X.c (read with
nm from ARCHIVE, the build's libocirt.a) must start with `ocirt_<m>_`,
where m is X or a leading part of X cut at an underscore: cgroup_layout.c
may export `ocirt_cgroup_...`, criu_dl.c `ocirt_criu_...`.  That comes
to the first word of the file name: a name says which file, or which
family of files (cgroup_*.c, container_*.c), it lives in.
The archive's other objects (the generated libocispec code) are not the
library's modules and are not checked.  The few exceptions are in the
tables below."""

import os
import re
import subprocess
import sys

# A module whose prefix is a short name instead of its file name: the
# kernel's own words, used for the module's types too (struct ocirt_caps,
# struct ocirt_ns_plan).
SHORT_NAMES = {
    "capabilities": "caps",
    "namespaces": "ns",
}

# Symbols exported under no module's prefix.  The allocators that abort
# when memory runs out instead of failing, named as git and many C
# projects name them: they are called everywhere, and a reader knows them
# on sight.
EXCEPTIONS = {
    "utils": {"xmalloc", "xmalloc0", "xstrdup", "xasprintf"},
}


def prefixes(module):
    """The prefixes a symbol of MODULE may start with: its shortest
    leading part covers the longer ones."""
    names = [module.split("_")[0]]
    if module in SHORT_NAMES:
        names.append(SHORT_NAMES[module])
    return ["ocirt_%s_" % n for n in names]


def symbols(archive):
    """(member, symbol) for each global symbol defined in ARCHIVE."""
    nm = os.environ.get("NM", "nm")
    out = subprocess.run([nm, "-g", "--defined-only", "-A", archive],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        # archive:member.o:address type name (no address for some types)
        _, member, rest = line.split(":", 2)
        yield member, rest.split()[-1]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    srcdir, archive = sys.argv[1:]
    lib = os.path.join(srcdir, "src", "libocirt")
    errors = []
    modules = set()
    for member, sym in symbols(archive):
        m = re.match(r"(?:libocirt_a-)?(\w+)\.o$", member)
        if not m or not os.path.exists(os.path.join(lib, m.group(1) + ".c")):
            continue
        module = m.group(1)
        modules.add(module)
        if sym in EXCEPTIONS.get(module, ()):
            continue
        allowed = prefixes(module)
        if not sym.startswith(tuple(allowed)):
            errors.append("src/libocirt/%s.c: `%s` does not start with %s"
                          % (module, sym, " or ".join("`%s`" % p for p in allowed)))
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print("names: %d exported symbols not named after their module (see HACKING.md, "
              "\"Names and errors\")" % len(errors), file=sys.stderr)
        sys.exit(1)
    if not modules:
        sys.exit("names: no object of src/libocirt in %s" % archive)
    print("names: every symbol of %d modules starts with `ocirt_<module>_`" % len(modules))


if __name__ == "__main__":
    main()
