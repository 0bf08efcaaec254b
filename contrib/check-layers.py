#!/usr/bin/env python3
"""Keep the library's layers: every arrow points down, and none goes round.

Usage: check-layers.py SRCDIR [OBJDIR]

The arrows are the `#include "..."` lines of src/libocirt/ and src/*.c
(the command line), and with OBJDIR (a build tree) also the calls between
the library's objects, read with nm: a function declared in one header and
defined in another file cannot hide an arrow there.  A module is a file
name without .c or .h.  A module may use its own layer and those below;
inside a layer the arrows must not make a circle.  A new file goes into
LAYERS below, in the lowest layer whose modules are all it needs."""

import os
import re
import subprocess
import sys

# Lowest first.
LAYERS = [
    ("basic", "errors, logging, small utilities, paths, procfs: nothing else of the library",
     "error failpoint utils log path procfs units"),
    ("kernel", "one kernel interface or config section each",
     "signals sync systemd_dl criu_dl mount_fd mount_options lsm capabilities process_attrs seccomp "
     "terminal exe_guard exe_remap spec_default namespaces idmap netdev devices devices_userns cgroup_devices_bpf "
     "inspect_proc inspect_ns inspect_mounts"),
    ("cgroup", "the container's cgroup, both drivers, and the state record it is kept in",
     "state state_record state_json state_status cgroup cgroup_files cgroup_layout cgroup_enter cgroup_state cgroup_pids "
     "cgroup_freezer cgroup_oom cgroup_resources cgroup_stats cgroup_systemd cgroup_mount inspect_cgroup"),
    ("parts", "the parts a container is made of",
     "mounts process notify hooks bundle"),
    ("container", "the operations on a container",
     "container_spawn container_hooks container_child container_create container_ops "
     "container container_cgroup exec criu criu_internal criu_common criu_checkpoint criu_restore criu_userns features_json "
     "inspect inspect_table"),
    ("cli", "the command line (src/*.c)", "cli"),
]

LAYER_OF = {}
for index, (name, _, modules) in enumerate(LAYERS):
    for m in modules.split():
        LAYER_OF[m] = index

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_name(module):
    return LAYERS[LAYER_OF[module]][0]


def library_module(path):
    return os.path.splitext(os.path.basename(path))[0]


def sources(srcdir):
    """(file, module) for every file of the library and the command line."""
    lib = os.path.join(srcdir, "src", "libocirt")
    for f in sorted(os.listdir(lib)):
        if f.endswith((".c", ".h")):
            yield os.path.join(lib, f), library_module(f)
    cli = os.path.join(srcdir, "src")
    for f in sorted(os.listdir(cli)):
        if f.endswith((".c", ".h")):
            yield os.path.join(cli, f), "cli"


def include_arrows(srcdir):
    """(from module, to module, why) for each include of a file of ours."""
    for path, module in sources(srcdir):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for target in INCLUDE.findall(text):
            path = os.path.normpath(path)
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if not os.path.exists(resolved):
                continue  # generated (oci_types.h) or outside the tree
            if module == "cli" and os.path.dirname(resolved) == os.path.dirname(path):
                to = "cli"
            else:
                to = library_module(resolved)
            if to != module:
                yield module, to, "%s includes %s" % (os.path.relpath(path, srcdir), target)


def call_arrows(srcdir, objdir):
    """(from module, to module, why) for each call between library objects."""
    lib = os.path.join(srcdir, "src", "libocirt")
    objs = {}
    for f in os.listdir(os.path.join(objdir, "src", "libocirt")):
        m = re.match(r"(?:libocirt_a-)?(\w+)\.o$", f)
        if m and os.path.exists(os.path.join(lib, m.group(1) + ".c")):
            objs[m.group(1)] = os.path.join(objdir, "src", "libocirt", f)
    nm = os.environ.get("NM", "nm")
    defined, undefined = {}, {}
    for module, obj in objs.items():
        out = subprocess.run([nm, obj], check=True, capture_output=True, text=True).stdout
        undefined[module] = []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "U":
                undefined[module].append(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBR":
                defined[parts[2]] = module
    for module, syms in undefined.items():
        for s in syms:
            to = defined.get(s)
            if to and to != module:
                yield module, to, "%s.c calls %s of %s.c" % (module, s, to)


def find_circle(edges):
    """A list of modules that go round, or None."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, stack)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def check(arrows, what):
    errors = []
    edges = {}
    unknown = set()
    for a, b, why in arrows:
        for m in (a, b):
            if m not in LAYER_OF and m not in unknown:
                unknown.add(m)
                errors.append("%s: no layer for `%s`: add it to LAYERS in %s"
                              % (what, m, os.path.basename(__file__)))
        if a in unknown or b in unknown:
            continue
        if LAYER_OF[b] > LAYER_OF[a]:
            errors.append("%s: %s: `%s` (%s) points up to `%s` (%s)"
                          % (what, why, a, layer_name(a), b, layer_name(b)))
        elif LAYER_OF[b] == LAYER_OF[a]:
            edges.setdefault((a, b), why)  # only these can go round
    remaining = dict(edges)
    circle = find_circle(remaining)
    while circle:
        steps = ["  " + edges[(x, y)] for x, y in zip(circle, circle[1:])]
        errors.append("%s: a circle: %s\n%s" % (what, " -> ".join(circle), "\n".join(steps)))
        del remaining[(circle[-2], circle[-1])]
        circle = find_circle(remaining)
    return errors


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    srcdir = sys.argv[1]
    errors = check(include_arrows(srcdir), "includes")
    if len(sys.argv) == 3:
        errors += check(call_arrows(srcdir, sys.argv[2]), "calls")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(1)
    print("layers: %s: every arrow points down, no circle"
          % ", ".join(name for name, _, _ in LAYERS))


if __name__ == "__main__":
    main()
