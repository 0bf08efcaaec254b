#!/bin/bash
# The whole integration suite on the commonest host of all: systemd as
# PID 1, pure cgroup v2, Debian 12's kernel (6.1), in a throw-away VM made
# by the shared run-in-vm.sh --systemd.  pytest runs as a service there
# (vmrun.service), as a daemon would start the runtime.  Build on the host
# first; the VM runs the binary built here.
#
#   tests/systemd/run-all.sh [PYTEST_ARGS...]     e.g. -x, -k NAME, a file
#
# Under emulation this takes long (see docs/cgroups.md); VM_TIMEOUT (s)
# bounds it, VM_MEM (MiB) sizes the guest.  See tests/lib/vm-lane.sh for RUN_IN_VM and OCIRT.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/vm-lane.sh"
# The whole directory, unless test files are given.
files=(tests/integration)
case ${1-} in *.py | *.py::* | tests/*) files=() ;; esac
run_lane --systemd --kernel bookworm --mem "${VM_MEM:-2048}" \
	--timeout "${VM_TIMEOUT:-5400}" -- "${files[@]}" "$@"
