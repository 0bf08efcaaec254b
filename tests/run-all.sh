#!/bin/bash
# The whole test suite: dependencies, build, unit tests (criterion) and the
# integration tests (pytest, as root, against the real kernel), make install
# into a staging directory, the spec conformance suite (ocirt and runc side
# by side), the unit tests under valgrind, the unit and integration tests
# again on an ASan + UBSan build with failpoints (the fault-injection tests
# run there), a bounded run of the parser fuzzers (libFuzzer), the real
# clients (podman, containerd, Docker) driving ocirt, then the
# cgroup tests on a pure cgroup v2 host in a VM (with AppArmor, for the LSM
# tests), and the systemd cgroup
# driver with systemd as PID 1 in another, when the VM tool is there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/contrib/install-deps.sh"
"$top/contrib/build.sh"
make -C "$build" check VERBOSE=1

echo "run-all: make install into a staging directory"
BUILD_DIR="$build" "$top/tests/install/run.sh"

echo "run-all: the benchmark scripts, a smoke run (no timing is checked)"
bench_dir=$(mktemp -d)
RUNTIME=runc "$top/contrib/demo/mkbundle.sh" "$bench_dir/b" -- /bin/true >/dev/null
"$top/contrib/bench/scale-bench.py" --bundle "$bench_dir/b" --counts 2,4 -r 1 --deletes 1 \
  --runtime ocirt="$build/src/ocirt" >/dev/null
"$top/contrib/bench/memory-floor.py" --bundle "$bench_dir/b" --runtime ocirt="$build/src/ocirt" \
  --trials 1 --low 128K --high 2M >/dev/null
rm -rf "$bench_dir"

echo "run-all: the spec conformance suite, on ocirt and on runc"
OCIRT="$build/src/ocirt" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$top/tests/conformance"

echo "run-all: unit tests under valgrind"
BUILD_DIR="$build" "$top/tests/valgrind/run.sh"

echo "run-all: ASan + UBSan build (with failpoints), unit and integration tests"
"$top/tests/sanitizers/run.sh"

echo "run-all: fuzzing the parsers, ${FUZZ_SECONDS:-30}s each"
FUZZ_SECONDS=${FUZZ_SECONDS:-30} BUILD_DIR="$build" "$top/tests/fuzz/run.sh"

echo "run-all: real clients (podman, containerd, Docker) on ocirt and on runc"
OCIRT="$build/src/ocirt" "$top/tests/clients/run.sh" -q

vm=${RUN_IN_VM:-$top/../shared/tools/run-in-vm.sh}
if [ -x "$vm" ]; then
  echo "run-all: cgroup tests on a pure cgroup v2 host (VM)"
  # The VM is emulated and slow: one retry for a timing failure, none for a
  # failure that repeats.
  v2_tests="tests/integration/test_cgroups.py tests/integration/test_devices_cgroup.py
            tests/integration/test_rootless.py::test_rootless_uses_a_delegated_cgroup
            tests/integration/test_lsm.py"
  # shellcheck disable=SC2086  # two file names
  OCIRT="$build/src/ocirt" "$top/tests/cgroup-v2/run.sh" $v2_tests || {
    echo "run-all: cgroup v2 lane failed once, running it again"
    # shellcheck disable=SC2086
    OCIRT="$build/src/ocirt" "$top/tests/cgroup-v2/run.sh" $v2_tests
  }
  echo "run-all: the systemd cgroup driver with systemd as PID 1 (VM)"
  OCIRT="$build/src/ocirt" "$top/tests/systemd/run.sh" || {
    echo "run-all: systemd lane failed once, running it again"
    OCIRT="$build/src/ocirt" "$top/tests/systemd/run.sh"
  }
else
  echo "run-all: no VM tool at $vm: cgroup v2 lane skipped"
fi
