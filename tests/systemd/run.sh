#!/bin/bash
# The systemd cgroup driver's tests with systemd as PID 1: a throw-away VM
# made by the shared run-in-vm.sh --systemd (pure cgroup v2, sd-bus).
# Build on the host first; the VM runs the binary built here.
#
#   tests/systemd/run.sh [PYTEST_ARGS...]
#
# See tests/lib/vm-lane.sh for RUN_IN_VM and OCIRT.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/vm-lane.sh"
# The emulated VM is slow: a generous timeout, and only this file.
run_lane --systemd --timeout "${VM_TIMEOUT:-900}" -- tests/integration/test_systemd.py "$@"
