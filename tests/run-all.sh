#!/bin/bash
# The whole test suite: dependencies, build, unit tests (criterion) and the
# integration tests (pytest, as root, against the real kernel), make install
# into a staging directory, the spec conformance suite (ocirt and runc side
# by side), the unit tests under valgrind, the unit and integration tests
# again on an ASan + UBSan build with failpoints (the fault-injection tests
# run there), a bounded run of the parser fuzzers (libFuzzer), the real
# clients (podman, containerd, Docker) driving ocirt, Kubernetes pods
# through containerd's CRI; and, when the VM tool is there, beside them,
# the lanes on the hosts users run (README.md says which lane covers what): the whole integration suite with systemd as
# PID 1 on cgroup v2 and Debian 12's kernel, pure cgroup v2 without
# systemd, the systemd driver on hybrid and v1 hosts, and the
# kernel-dependent tests on 5.10 and 6.12.
set -eu -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/contrib/install-deps.sh"
"$top/contrib/build.sh"

vm=${RUN_IN_VM:-$top/../shared/tools/run-in-vm.sh}

# time_left: seconds until CI_MINUTES (default 55) after the start of the run.
time_left() {
  echo $((${CI_MINUTES:-55} * 60 - SECONDS))
}

# in_time LEFT SCRIPT [ARGS...]: a lane's script with LEFT seconds: its
# tests stop starting a minute before (tests/lib/lane_budget.py), the VM is
# killed five minutes after (a test that hangs).
in_time() {
  local left=$1
  shift
  LANE_BUDGET=$((left - 60)) VM_TIMEOUT=$((left + 300)) LANE_ROTATE=$rotate \
    OCIRT="$build/src/ocirt" "$@"
}

# watched LOG COMMAND...: COMMAND with its output on stdout and in LOG;
# when it prints nothing for STALL_MINUTES (default 10: no test takes
# that long in a VM), it and what it started are killed.  A guest kernel
# that locks up (soft lockups of 5.10 were seen in CI) prints nothing
# more, and its VM would otherwise hold the lane until its timeout.
watched() {
  local log=$1 pid size=-1 now quiet=0 stall=$((${STALL_MINUTES:-10} * 60))
  shift
  "$@" > >(tee "$log") 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    now=$(stat -c %s "$log" 2>/dev/null || echo 0)
    if [ "$now" != "$size" ]; then
      size=$now
      quiet=0
    elif [ $((quiet += 5)) -ge "$stall" ]; then
      echo "run-all: nothing printed for $((stall / 60)) minutes: the VM is stopped"
      kill_tree "$pid"
      break
    fi
  done
  wait "$pid"
}

# vm_lane TITLE SCRIPT [ARGS...]: one lane in a VM.  The VM is emulated and
# slow: when the lane fails, the tests that failed (pytest -ra's FAILED and
# ERROR lines) run once more (with at least 5 minutes, whatever the clock
# says), and only a failure that repeats fails the run.  A lane whose VM
# failed (no such lines) runs once more whole if 10 minutes are left.
vm_lane() {
  local title=$1 log t0=$SECONDS failed left
  shift
  log=$(mktemp)
  echo "run-all: $title"
  if watched "$log" in_time "$(time_left)" "$@"; then
    rm -f "$log"
    echo "run-all: $title: passed in $((SECONDS - t0))s"
    return 0
  fi
  failed=$(sed -n 's/^\(FAILED\|ERROR\) \([^ ]*\).*/\2/p' "$log" | sort -u | tr '\n' ' ')
  rm -f "$log"
  left=$(time_left)
  if [ -z "$failed" ] && [ "$left" -lt 600 ]; then
    echo "run-all: $title failed without a list of failed tests (the VM?), no time to run it again"
    return 1
  fi
  [ "$left" -ge 300 ] || left=300
  echo "run-all: $title failed, running ${failed:-the whole lane} again"
  if ! LANE_TESTS=$failed watched "$log" in_time "$left" "$@"; then
    rm -f "$log"
    echo "run-all: $title failed again"
    return 1
  fi
  rm -f "$log"
  echo "run-all: $title: passed on the second try, $((SECONDS - t0))s in all"
}

# The lanes, most telling first.  The VMs are emulated (no KVM here): a
# guest starts a process 20-100 times slower than the host, and all the
# lanes would take about twice CI's hour.  So each lane gets the time left
# until CI_MINUTES (default 55) after the start of the run, runs its first
# files first and then the others from a point that moves on a third with
# every commit, and lists what it did not reach as skipped ("not reached");
# the last three lanes take turns at being last (below, after rotate);
# every test it ran gates the run.  Three consecutive runs reach every test
# of every lane.
lane_systemd_core() {
  LANE_FIRST=test_cgroups.py,test_systemd.py,test_lifecycle.py,test_exec.py,test_devices_cgroup.py,test_rootless.py \
    vm_lane "systemd + cgroup v2 (VM, 6.1), the integration suite 1/2: cgroups, systemd, lifecycle, exec, CLI, errors, hooks, devices" \
    tests/systemd/run-all.sh "${suite_core[@]}"
}
lane_criu() {
  vm_lane "checkpoint and restore with CRIU (VM, 6.1, cgroup v2), on ocirt and runc" tests/criu/run.sh
}
lane_cgroup_v2() {
  vm_lane "cgroup v2 without systemd (VM, 6.1): cgroups, devices, delegated rootless, AppArmor" \
    tests/cgroup-v2/run.sh tests/integration/test_cgroups.py tests/integration/test_devices_cgroup.py \
    tests/integration/test_rootless.py::test_rootless_uses_a_delegated_cgroup tests/integration/test_lsm.py
}
lane_systemd_hybrid() {
  vm_lane "the systemd driver on a hybrid host (VM, 6.1)" tests/systemd/run.sh --cgroup hybrid
}
lane_systemd_v1() {
  vm_lane "the systemd driver on a v1 host (VM, 6.1)" tests/systemd/run.sh --cgroup v1
}
lane_kernel_5_10() {
  LANE_FIRST=test_namespaces.py,test_mounts.py,test_binary_overwrite.py \
    vm_lane "kernel 5.10 (VM): the kernel-dependent tests" tests/kernels/run.sh bullseye
}
lane_kernel_6_12() {
  LANE_FIRST=test_namespaces.py,test_mounts.py \
    vm_lane "kernel 6.12 (VM): the kernel-dependent tests" tests/kernels/run.sh trixie
}
lane_systemd_rest() {
  LANE_FIRST=test_namespaces.py,test_mounts.py,test_idmap.py \
    vm_lane "systemd + cgroup v2 (VM, 6.1), the integration suite 2/2: namespaces, mounts, process, seccomp, security, configs" \
    tests/systemd/run-all.sh "${suite_rest[@]}"
}
lanes=(lane_systemd_core lane_criu lane_cgroup_v2 lane_systemd_hybrid lane_systemd_v1)
# The whole suite in two halves: the first what depends on the host's
# cgroups and init, the second what depends on its kernel.
suite_core=()
for t in cgroups systemd lifecycle exec devices_cgroup rootless lsm notify cli errors hooks devices \
  examples stress faults; do
  suite_core+=("tests/integration/test_$t.py")
done
suite_rest=()
for f in "$top"/tests/integration/test_*.py; do
  case " ${suite_core[*]} " in *" tests/integration/${f##*/} "*) ;; *) suite_rest+=("tests/integration/${f##*/}") ;; esac
done

# vm_worker: takes the next lane nobody took (mkdir is the lock) until
# none is left.  A lane with less than 3 minutes left is not run: it says so.
queue=$(mktemp -d)
vm_worker() {
  local i failed=0
  for i in "${!lanes[@]}"; do
    mkdir "$queue/lane.$i" 2>/dev/null || continue
    if [ "$(time_left)" -lt 180 ]; then
      echo "run-all: ${lanes[$i]}: not reached, CI's hour is over (runs in a later commit's CI)"
      continue
    fi
    "${lanes[$i]}" || failed=1
  done
  return "$failed"
}
rotate=$(git -C "$top" rev-list --count HEAD 2>/dev/null || echo 0)
# The three long lanes at the end take turns at being last, the one the
# hour may not reach: each runs in at least two CIs out of three.
tail_lanes=(lane_kernel_5_10 lane_kernel_6_12 lane_systemd_rest)
for i in 0 1 2; do
  lanes+=("${tail_lanes[$(((rotate + i) % 3))]}")
done
workers=()
start_vm_worker() {
  [ -x "$vm" ] || return 0
  echo "run-all: VM lanes, worker $1, beside the rest (its lines start with [vm $1])"
  vm_worker > >(tee "$queue/worker.$1" | sed -u "s/^/[vm $1] /") 2>&1 &
  workers+=($!)
}
# kill_tree PID: a worker and what it started (the VM tool, qemu).
kill_tree() {
  local c
  for c in $(pgrep -P "$1"); do kill_tree "$c"; done
  kill "$1" 2>/dev/null || true
}
stop_vm_workers() {
  local p
  for p in "${workers[@]}"; do kill_tree "$p"; done
}
trap stop_vm_workers EXIT
# One VM runs beside the host's suites (they use one CPU mostly), a
# second joins when they are done.
start_vm_worker 1

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

echo "run-all: fuzzing the parsers, ${FUZZ_SECONDS:-15}s each"
FUZZ_SECONDS=${FUZZ_SECONDS:-15} BUILD_DIR="$build" "$top/tests/fuzz/run.sh"

echo "run-all: real clients (podman, containerd, Docker) on ocirt and on runc"
OCIRT="$build/src/ocirt" "$top/tests/clients/run.sh" -q

echo "run-all: Kubernetes through containerd's CRI, on ocirt and on runc"
OCIRT="$build/src/ocirt" "$top/tests/cri/run.sh" -q


if [ ! -x "$vm" ]; then
  echo "run-all: no VM tool at $vm: the VM lanes are skipped"
  exit 0
fi
start_vm_worker 2
status=0
for p in "${workers[@]}"; do wait "$p" || status=1; done
trap - EXIT
echo "run-all: the VM lanes:"
grep -h '^run-all: ' "$queue"/worker.* || true
rm -rf "$queue"
if [ "$status" -ne 0 ]; then
  echo "run-all: a VM lane failed (see above)"
  exit 1
fi
echo "run-all: all passed in $((SECONDS / 60)) minutes"
