#!/bin/sh
# commit-id.sh SRCDIR [OUT]: the commit the sources in SRCDIR come from:
# the one a tarball records (.tarball-commit, written by make dist), else
# git's HEAD when SRCDIR is the top of a work tree, else "unknown".  With
# OUT, writes it as C source there, only when it changed, so that a new
# commit recompiles one small file and nothing else.
set -eu
srcdir=$1
if [ -f "$srcdir/.tarball-commit" ]; then
  commit=$(cat "$srcdir/.tarball-commit")
elif top=$(git -C "$srcdir" rev-parse --show-toplevel 2>/dev/null) && [ "$top" = "$(cd "$srcdir" && pwd -P)" ]; then
  commit=$(git -C "$srcdir" rev-parse HEAD)
else
  commit=unknown
fi
if [ $# -lt 2 ]; then
  echo "$commit"
  exit 0
fi
out=$2
text="/* Written by contrib/commit-id.sh at make time.  */
const char ocirt_commit[] = \"$commit\";"
[ -f "$out" ] && [ "$(cat "$out")" = "$text" ] && exit 0
printf '%s\n' "$text" >"$out.tmp"
mv "$out.tmp" "$out"
