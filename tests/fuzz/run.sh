#!/bin/bash
# Build the libFuzzer harnesses with clang (ASan + UBSan) and run each for a
# bounded time: FUZZ_SECONDS (default 30).  A crash fails the run and leaves
# its input under $FUZZ_DIR/artifacts; keep it in corpus/<harness>/ once fixed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$top/build}
out=${FUZZ_DIR:-$build/fuzz}
seconds=${FUZZ_SECONDS:-30}
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (Debian package clang)" >&2; exit 1; }
[ -f "$build/libocispec/oci_types.c" ] || { echo "fuzz: build first (no $build/libocispec/oci_types.c)" >&2; exit 1; }
mkdir -p "$out/artifacts"
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -include "$build/config.h" -I"$build/libocispec" -I"$top/src" -I"$top/src/libocirt")
libs=(-lyajl)

for doc in spec process state features; do
  "$CC" "${flags[@]}" -DFUZZ_DOC="$doc" -o "$out/fuzz-$doc" \
    "$here/fuzz_documents.c" "$build/libocispec/oci_types.c" "${libs[@]}"
done
"$CC" "${flags[@]}" -o "$out/fuzz-cli" "$here/fuzz_cli_parsers.c" \
  "$top/src/libocirt/signals.c" "$top/src/libocirt/mount_options.c" \
  "$top/src/libocirt/utils.c" "$top/src/libocirt/error.c" "$top/src/libocirt/log.c"

run() {
  local name=$1 corpus=$2
  mkdir -p "$out/corpus-$name"
  echo "fuzz: $name for ${seconds}s"
  "$out/fuzz-$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/artifacts/$name-" -print_final_stats=0 \
    "$out/corpus-$name" "$here/corpus/$corpus" 2>&1 | tail -3
  return "${PIPESTATUS[0]}"
}
run spec config
run process process
run state state
run features config
run cli signals
echo "fuzz: no crash"
