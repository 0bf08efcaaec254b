#!/bin/bash
# ocirt built with AddressSanitizer + UndefinedBehaviorSanitizer (and the
# fault-injection points when configure has them): the criterion unit tests,
# then the whole integration suite against that binary.  Any sanitizer
# report fails the run, including one from a process whose stderr nobody
# reads (a container process before execve, a hook's runtime, a runtime
# started by a client): reports go to files under $SAN_LOG_DIR, and the run
# fails if any file is there at the end.
#
#   ASAN_BUILD_DIR  build tree (default: ./build-asan); configured here
#   SAN_LOG_DIR     report files (default: $ASAN_BUILD_DIR/sanitizer-logs)
#   extra arguments go to pytest (e.g. a test file, or -x)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${ASAN_BUILD_DIR:-$top/build-asan}
logs=${SAN_LOG_DIR:-$build/sanitizer-logs}

cd "$top"
# shellcheck disable=SC2015  # any of the three false: regenerate
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || ./autogen.sh
flags=(--enable-sanitizers)
if ./configure --help | grep -q -- --enable-failpoints; then
  flags+=(--enable-failpoints)
fi
mkdir -p "$build"
cd "$build"
# configure again when the tree was configured with other options
if ! [ -f Makefile ] || [ "$(./config.status --config | tr -d "'")" != "${flags[*]}" ]; then
  "$top/configure" "${flags[@]}"
fi
make -j"$(nproc)"

rm -rf "$logs"
mkdir -p "$logs"
# Reachable from container processes in a user namespace (before they
# pivot_root: after it, the directory is not in their root at all and a
# report would go nowhere, so the process fails to run instead).
chmod 1777 "$logs"

# ASan: a report ends the process with exit status 66, whatever the process
# was going to return; the report goes to $logs/asan.<pid>.
#  - detect_leaks=1: LeakSanitizer's check at exit.  At exit the runtime
#    still holds its state in globals and on the stack, which LSan does not
#    report; what it reports is memory nothing points to any more: a real
#    leak, fixed in the code (no suppression is in use).  The check runs in
#    processes that exit (the runtime), not in those that execve (the
#    container) or _exit (children that fail before execve).  It clones a
#    tracer that ptraces the process: the runtime therefore never keeps a
#    foreign pid namespace for its children (see ocirt_ns_leave_pid).
#  - disable_coredump=0: ASan would otherwise set RLIMIT_CORE to 0, which
#    the container inherits and a test of the rlimits would see.  Nothing
#    dumps core for a report anyway: abort_on_error stays 0 (exit, not
#    abort).
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=66:disable_coredump=0:log_path=$logs/asan"
# UBSan: built with -fno-sanitize-recover=all, so any report ends the
# process; halt_on_error says the same for the record.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=66:log_path=$logs/ubsan"
export LSAN_OPTIONS="exitcode=66"

report() {
  local files
  files=$(find "$logs" -type f | sort)
  [ -z "$files" ] && return 0
  for f in $files; do
    echo "==== $f" >&2
    cat "$f" >&2
  done
  echo "sanitizers: $(echo "$files" | wc -l) report(s) in $logs" >&2
  return 1
}

echo "sanitizers: build took ${SECONDS}s"
status=0
echo "sanitizers: unit tests"
# Not under ASan: these parse a million-element array and a map of 400k
# keys; yajl grows its arrays one element per realloc, which ASan's
# allocator always moves, so the parse is quadratic (hours, not seconds).
export CRITERION_TEST_PATTERN='!(hostile/huge_*)'

make -j"$(nproc)" check-TESTS || status=1
report || status=1
[ "$status" = 0 ] || { echo "sanitizers: unit tests FAILED" >&2; exit 1; }

echo "sanitizers: unit tests passed (${SECONDS}s since the start)"
echo "sanitizers: integration tests against $build/src/ocirt"
# OCIRT_SANITIZED: the few tests that cannot hold under ASan (its shadow
# memory in a tiny memory limit, ...) skip themselves.
cd "$top"
OCIRT="$build/src/ocirt" OCIRT_SANITIZED=1 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  -rfEs tests/integration "$@" || status=1
report || status=1
if [ "$status" != 0 ]; then
  echo "sanitizers: FAILED" >&2
  exit 1
fi
echo "sanitizers: unit and integration tests passed, no sanitizer report (${SECONDS}s in all)"
