#!/bin/bash
# The cgroup tests on a pure cgroup v2 host: a throw-away VM made by the
# shared run-in-vm.sh (cgroup2 only, every controller enabled at its root).
# Build on the host first; the VM runs the binary built here.
#
#   tests/cgroup-v2/run.sh [TEST_FILE...] [PYTEST_ARGS...]
#
# See tests/lib/vm-lane.sh for RUN_IN_VM and OCIRT.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/vm-lane.sh"
# The emulated VM is slow: a generous timeout, and only this file, or the
# test files given first.
files=(tests/integration/test_cgroups.py)
case ${1-} in *.py | *.py::*) files=() ;; esac
run_lane --timeout "${VM_TIMEOUT:-1200}" -- "${files[@]}" "$@"
