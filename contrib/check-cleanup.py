#!/usr/bin/env python3
"""Keep each function to one style of cleanup: attributes or goto, not both.

Usage: check-cleanup.py SRCDIR

Reads every .c file under SRCDIR/src and fails, naming file and function,
when one function both declares a variable with a cleanup attribute
(`cleanup_*`, `_cleanup_*` or `__attribute__ ((cleanup (...)))`) and uses
`goto`: the goto skips or doubles what the attribute already releases.
HACKING.md ("Cleanup") says which style new code uses."""

import os
import re
import sys

# Comments, string and character literals, preprocessor lines: blanked so
# that braces and words inside them do not count.
NOISE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|^[ \t]*#(?:[^\n]*\\\n)*[^\n]*',
                   re.S | re.M)
# A cleanup attribute in a declaration; `cleanup_foo (...)` is a call.
CLEANUP = re.compile(r'\b_?cleanup_\w+\b(?!\s*\()|__attribute__\s*\(\(\s*cleanup\b')
GOTO = re.compile(r'\bgoto\b')
ATTRIBUTE_TAIL = re.compile(r'\s*__attribute__\s*\(\(.*\)\)\s*$', re.S)
NAME = re.compile(r'(\w+)\s*$')


def blank(match):
    # Keep the newlines so that line numbers still hold.
    return re.sub(r'[^\n]', ' ', match.group(0))


def function_name(head):
    """The name a function definition's head declares, or None."""
    head = ATTRIBUTE_TAIL.sub('', head).rstrip()
    if not head.endswith(')'):
        return None
    depth = 0
    for i in range(len(head) - 1, -1, -1):
        if head[i] == ')':
            depth += 1
        elif head[i] == '(':
            depth -= 1
            if depth == 0:
                m = NAME.search(head[:i])
                return m.group(1) if m else None
    return None


def functions(text):
    """(name, first line, body) for every function defined in TEXT."""
    text = NOISE.sub(blank, text)
    depth = 0
    head_start = 0
    body_start = None
    name = None
    for i, c in enumerate(text):
        if c == '{':
            if depth == 0:
                name = function_name(text[head_start:i])
                body_start = i
            depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0:
                if name:
                    yield name, text.count('\n', 0, body_start) + 1, text[body_start:i + 1]
                head_start = i + 1
                name = None
        elif c == ';' and depth == 0:
            head_start = i + 1


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split('\n\n')[1])
    src = os.path.join(sys.argv[1], 'src')
    failures = []
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith('.c'):
                continue
            path = os.path.join(root, f)
            with open(path, encoding='utf-8') as fh:
                text = fh.read()
            for name, line, body in functions(text):
                if CLEANUP.search(body) and GOTO.search(body):
                    rel = os.path.relpath(path, sys.argv[1])
                    failures.append(f'{rel}:{line}: {name}: cleanup attributes and goto in one function')
    for f in failures:
        print(f, file=sys.stderr)
    if failures:
        print('check-cleanup: use one style per function (HACKING.md, "Cleanup")', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
