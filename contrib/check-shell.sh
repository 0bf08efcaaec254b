#!/bin/bash
# Every shell script of the work tree through shellcheck: the tracked files
# named *.sh or starting with a sh or bash shebang.  Run by `make check`;
# skipped when shellcheck or git (a tarball) is missing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if ! command -v shellcheck >/dev/null; then
  echo "check-shell: shellcheck not found (Debian package shellcheck): skipped"
  exit 0
fi
if ! files=$(git ls-files 2>/dev/null) || [ -z "$files" ]; then
  echo "check-shell: not a git work tree: skipped"
  exit 0
fi
scripts=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  case $f in
  *.sh) scripts+=("$f") ;;
  *) head -n1 "$f" | grep -Eq '^#! *(/usr)?/bin/(env +)?(ba)?sh\b' && scripts+=("$f") ;;
  esac
done <<<"$files"
shellcheck --external-sources "${scripts[@]}"
echo "check-shell: ${#scripts[@]} scripts pass shellcheck"
