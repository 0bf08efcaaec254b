#!/bin/bash
# format.sh [--check] [FILE...]: the C of the tree (git's *.c and *.h,
# or those under src, libocispec and tests outside a work tree) and the
# FILEs, in the style of .clang-format.  Rewrites the files; with --check
# rewrites nothing and lists the files that differ, with the number of
# lines, failing if there is any.  CLANG_FORMAT names the program
# (default clang-format-14: another version formats a little differently).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cf=${CLANG_FORMAT:-clang-format-14}
check=
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
command -v "$cf" >/dev/null || { echo "format: $cf not found (Debian package clang-format-14)" >&2; exit 1; }
cd "$top"
files=()
if [ -d .git ] || [ -f .git ]; then
  mapfile -t files < <(git ls-files '*.c' '*.h')
else
  mapfile -t files < <(find src libocispec tests -name '*.[ch]' | sort)
fi
files+=("$@")
if [ -z "$check" ]; then
  "$cf" -i --style="file:$top/.clang-format" "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  n=$("$cf" --style="file:$top/.clang-format" "$f" | diff -- "$f" - | grep -c '^>' || true)
  if [ "$n" -gt 0 ]; then
    echo "$f: $n lines to format"
    bad=$((bad + 1))
  fi
done
[ "$bad" -eq 0 ] || { echo "format: $bad files differ from .clang-format's style (make format rewrites them)" >&2; exit 1; }
