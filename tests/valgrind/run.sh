#!/bin/bash
# The criterion unit tests under valgrind (memcheck): any memory error, and
# any definite or indirect leak, fails the run.  Criterion runs each test in
# a re-executed worker process, so valgrind follows children and writes one
# log per process; every log is checked, not only the exit status.
#
#   BUILD_DIR  configured build tree to test (default: ./build)
#   VG_DIR     where the logs go (default: $BUILD_DIR/valgrind)
#   VG_JOBS    criterion workers per test binary (default: nproc)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
out=${VG_DIR:-$build/valgrind}
jobs=${VG_JOBS:-$(nproc)}
command -v valgrind >/dev/null || { echo "valgrind: not installed (Debian package valgrind)" >&2; exit 1; }
[ -f "$build/Makefile" ] || { echo "valgrind: $build is not a configured build tree" >&2; exit 1; }

# Up to date first (this also regenerates a stale Makefile), then the unit
# test programs, as the Makefile names them.
make -s -C "$build" -j"$(nproc)"
tests=$(make -s -C "$build" -f Makefile -f - print-unit-tests <<'MK'
print-unit-tests: ; @echo $(UNIT_TESTS)
MK
)
[ -n "$tests" ] || { echo "valgrind: no unit tests in $build (criterion missing?)" >&2; exit 1; }
# shellcheck disable=SC2086  # a list of program names
make -s -C "$build" -j"$(nproc)" $tests

# tells the tests that need what valgrind does not emulate to skip
export OCIRT_VALGRIND=1
# Not under valgrind: these parse a million-element array and a map of
# 400k keys; yajl grows its arrays one element per realloc, which
# memcheck's realloc always moves, so the parse is quadratic (hours).
export CRITERION_TEST_PATTERN='!(hostile/huge_*)'
rm -rf "$out"
mkdir -p "$out"
failed=0
for t in $tests; do
  name=$(basename "$t")
  echo "valgrind: $name"
  mkdir -p "$out/$name"
  # --errors-for-leak-kinds: definite and indirect leaks count as errors
  # (and set the exit status); "possibly lost" and "still reachable" do not.
  valgrind --trace-children=yes --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    --trace-children-skip='/bin/*,/usr/bin/*,/sbin/*,/usr/sbin/*' \
    --log-file="$out/$name/vg.%p" \
    "$build/$t" --jobs "$jobs" --short-filename >"$out/$name/stdout" 2>&1 || {
      echo "valgrind: $name failed (exit $?):" >&2
      tail -20 "$out/$name/stdout" >&2
      failed=1
    }
  tail -1 "$out/$name/stdout"
done

# The exit status covers the test workers; the logs also cover processes
# whose status criterion does not look at.
bad=$(grep -l "ERROR SUMMARY: [1-9]" -r "$out" --include='vg.*' || true)
if [ -n "$bad" ]; then
  for f in $bad; do
    echo "==== $f" >&2
    cat "$f" >&2
  done
  failed=1
fi
n=$(find "$out" -name 'vg.*' | wc -l)
if [ "$failed" != 0 ]; then
  echo "valgrind: FAILED (logs in $out)" >&2
  exit 1
fi
echo "valgrind: $n processes, no memory error, no definite or indirect leak"
