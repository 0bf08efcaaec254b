#!/bin/bash
# The systemd cgroup driver's tests with systemd as PID 1: a throw-away VM
# made by the shared run-in-vm.sh --systemd (sd-bus; pure cgroup v2 unless
# --cgroup says otherwise).  Build on the host first; the VM runs the
# binary built here.
#
#   tests/systemd/run.sh [--cgroup v2|hybrid|v1] [PYTEST_ARGS...]
#
# --cgroup hybrid and --cgroup v1 are systemd's hybrid and legacy layouts
# (the systemd driver on the cgroup v1 hosts that remain).  The whole
# integration suite in the same VM: tests/systemd/run-all.sh.
# See tests/lib/vm-lane.sh for RUN_IN_VM and OCIRT.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/vm-lane.sh"
layout=v2
if [ "${1-}" = --cgroup ]; then
	layout=${2:?--cgroup needs v2, hybrid or v1}
	shift 2
fi
case $layout in
v2 | hybrid | v1) ;;
*)
	echo "${0##*/}: --cgroup $layout: not v2, hybrid or v1" >&2
	exit 2
	;;
esac
# The emulated VM is slow: a generous timeout, and only this file.
run_lane --systemd --cgroup "$layout" --timeout "${VM_TIMEOUT:-900}" -- \
	tests/integration/test_systemd.py "$@"
