#!/bin/bash
# checkpoint and restore (tests/integration/test_checkpoint.py, and through
# podman: test_checkpoint_podman.py) in a VM
# whose kernel CRIU works on: Debian 12's 6.1, pure cgroup v2 and systemd as
# PID 1 (the host podman users have: the restore with the systemd driver is
# tested there), made by the shared run-in-vm.sh.  On the CI host's kernel
# the scenarios are skipped (CRIU cannot initialise there); here each runs
# on ocirt and on runc.  Build on the host first.
#
#   tests/criu/run.sh [--kernel bookworm|trixie] [--cgroup v2|hybrid|v1] [--no-systemd]
#                     [PYTEST_ARGS...]
#
# See tests/lib/vm-lane.sh for RUN_IN_VM and OCIRT.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/vm-lane.sh"
kernel=bookworm
layout=v2
systemd=--systemd
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2:?--kernel needs a release}; shift 2 ;;
	--cgroup) layout=${2:?--cgroup needs v2, hybrid or v1}; shift 2 ;;
	--no-systemd) systemd=; shift ;;
	*) break ;;
	esac
done
run_lane ${systemd:+"$systemd"} --kernel "$kernel" --cgroup "$layout" --timeout "${VM_TIMEOUT:-1500}" -- \
	tests/integration/test_checkpoint.py tests/integration/test_checkpoint_podman.py "$@"
