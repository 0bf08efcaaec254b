#!/bin/bash
# check-hacking.sh [BUILDDIR]: HACKING.md still tells the truth about the
# tree.  Fails when
# - a path in backquotes (with a slash, or a file name such as bundle.c)
#   names no file or directory of the tree (a glob: nothing matches);
# - a name in backquotes with an underscore (ocirt_error_make,
#   OCIRT_FAILPOINT) occurs nowhere in the code;
# - a file of src/libocirt, src, libocispec or tests/lib is not in it;
# - a fenced block whose info string names a file (```c src/kill.c, or
#   build:PATH for a generated file, checked when BUILDDIR is given) has a
#   line that file does not have (spaces aside).
# Run by `make check`.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-}
doc=$top/HACKING.md
cd "$top"
status=0
fail() {
  echo "check-hacking: $*" >&2
  status=1
}

# What the build makes: named in HACKING.md, not in the source tree.
built=" src/ocirt libocispec/oci_types.h libocispec/oci_types.c oci_types.h oci_types.c "
sources=(src libocispec tests contrib docs Makefile.am configure.ac README.md)
code=(src libocispec tests contrib Makefile.am configure.ac)

# The backquoted spans outside fenced blocks.
# shellcheck disable=SC2016  # the backquotes are Markdown's
spans=$(awk '/^```/ { fenced = !fenced; next } !fenced' "$doc" | grep -o '`[^`]*`' | tr -d '`' | sort -u)
while IFS= read -r s; do
  [ -n "$s" ] || continue
  case $s in
  *'<'* | *' '* | /* | -*) continue ;;
  esac
  if [[ $s == */* ]]; then
    case $built in *" $s "*) continue ;; esac
    compgen -G "${s%/}" >/dev/null || fail "no such path: $s"
  elif [[ $s =~ ^[A-Za-z0-9_.-]+\.(c|h|py|sh|md|desc|am|ac)$ ]]; then
    case $built in *" $s "*) continue ;; esac
    [ -n "$(find "${sources[@]}" -name "$s" -print -quit)" ] || fail "no file named $s"
  elif [[ $s =~ ^[A-Za-z_][A-Za-z0-9_]*$ && $s == *_* ]]; then
    grep -rqw -- "$s" "${code[@]}" || fail "no such name in the sources: $s"
  fi
done <<<"$spans"

# Every file of the library, the command line, libocispec and tests/lib.
for f in src/libocirt/*.[ch]; do
  grep -qF "\`${f##*/}\`" "$doc" || fail "$f is not in the map"
done
for f in src/*.[ch] libocispec/* tests/lib/*; do
  [ -f "$f" ] || continue
  grep -qF "\`$f\`" "$doc" || fail "$f is not in the map"
done

# Quoted code: each line of a block is a line of the file it names.
squeeze() { sed -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' "$@"; }
file='' block=0 n=0
while IFS= read -r line; do
  n=$((n + 1))
  if [[ $line =~ ^\`\`\` ]]; then
    if [ "$block" = 0 ]; then
      block=1 file=
      read -r _ path _ <<<"${line#\`\`\`} x"
      [ "$path" = x ] && path=
      case $path in
      build:*) [ -n "$build" ] && file=$build/${path#build:} ;;
      ?*) file=$path ;;
      esac
      if [ -n "$file" ] && [ ! -f "$file" ]; then
        fail "HACKING.md:$n: no such file: $path"
        file=
      fi
    else
      block=0
    fi
    continue
  fi
  if [ "$block" = 0 ] || [ -z "$file" ]; then
    continue
  fi
  want=$(squeeze <<<"$line")
  [ -n "$want" ] || continue
  squeeze "$file" | grep -qxF -- "$want" || fail "HACKING.md:$n: not a line of $file: $want"
done <"$doc"

[ "$status" = 0 ] && echo "check-hacking: HACKING.md matches the tree"
exit "$status"
