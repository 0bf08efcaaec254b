#!/bin/bash
# Build the libFuzzer harnesses (make fuzz: clang, ASan + UBSan) and run
# each for a bounded time: FUZZ_SECONDS (default 60), FUZZ_JOBS harnesses
# at a time (default 2, one per core).  A crash, leak or timeout fails the run and
# leaves its input under $FUZZ_DIR/artifacts; once fixed, keep it in
# corpus/<harness>/ as a regression seed.  FUZZ_ONLY="seccomp idmap" runs
# some of them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$top/build}
out=${FUZZ_DIR:-$build/fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
[ -f "$build/Makefile" ] || { echo "fuzz: $build is not a configured build tree" >&2; exit 1; }
mkdir -p "$out/artifacts" "$out/logs"

# The harnesses and the library instrumented for them: make fuzz, into
# $build/fuzz (FUZZ_CC, if set, names the compiler).
make -s -C "$build" -j"$jobs" fuzz ${FUZZ_CC:+FUZZ_CC="$FUZZ_CC"}
bin=$build/fuzz

# harness:corpus directory
all="spec:config process:process state:state features:config store_state:state cli:signals
     seccomp:seccomp idmap:idmap config:config"
list=()
for h in $all; do
  if [ -z "${FUZZ_ONLY:-}" ] || [[ " $FUZZ_ONLY " == *" ${h%%:*} "* ]]; then
    # fuzz-seccomp is built only where seccomp is
    [ -x "$bin/fuzz-${h%%:*}" ] && list+=("$h") || echo "fuzz: ${h%%:*} not built, skipped"
  fi
done

# One harness: its log goes to logs/<name>.log, its summary to stdout.
run_one() {
  local name=${1%%:*} corpus=${1#*:} rc
  mkdir -p "$out/corpus-$name"
  set +e
  "$bin/fuzz-$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/artifacts/$name-" -print_final_stats=1 \
    "$out/corpus-$name" "$here/corpus/$corpus" >"$out/logs/$name.log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/logs/$name.log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/logs/$name.log")
  cov=$(grep -o 'cov: [0-9]*' "$out/logs/$name.log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $name FAILED (exit $rc), see $out/logs/$name.log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$out/logs/$name.log" | head -5
    return 1
  fi
  echo "fuzz: $name ${seconds}s: ${execs:-?} execs, ${speed:-?}/s, ${cov:-cov: ?}"
}
export -f run_one
export out bin here seconds

echo "fuzz: ${#list[@]} harnesses, ${seconds}s each, $jobs at a time"
if printf '%s\n' "${list[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}; then
  echo "fuzz: no crash"
else
  echo "fuzz: a harness failed" >&2
  exit 1
fi
