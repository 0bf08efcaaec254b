#!/bin/bash
# The cgroup tests on a pure cgroup v2 host: a throw-away VM made by the
# shared run-in-vm.sh (cgroup2 only, every controller enabled at its root).
# Build on the host first; the VM runs the binary built here.
#
#   tests/cgroup-v2/run.sh [TEST_FILE...] [PYTEST_ARGS...]
#
# RUN_IN_VM names the tool (default: ../shared/tools/run-in-vm.sh beside the
# work tree), OCIRT the binary (default: $BUILD_DIR/src/ocirt, build/).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=${RUN_IN_VM:-$top/../shared/tools/run-in-vm.sh}
ocirt=${OCIRT:-${BUILD_DIR:-$top/build}/src/ocirt}

if [ ! -x "$vm" ]; then
	echo "${0##*/}: no VM tool at $vm (set RUN_IN_VM)" >&2
	exit 1
fi
if [ ! -x "$ocirt" ]; then
	echo "${0##*/}: $ocirt is not built" >&2
	exit 1
fi
case $ocirt in
"$top"/*) ;;
*)
	echo "${0##*/}: $ocirt must lie inside $top, the directory shared with the VM" >&2
	exit 1
	;;
esac
cd "$top"
# The emulated VM is slow: a generous timeout, and only this file, or the
# test files given first.
files=tests/integration/test_cgroups.py
case ${1-} in *.py | *.py::*) files= ;; esac
exec "$vm" --timeout "${VM_TIMEOUT:-1200}" -e OCIRT="$ocirt" -- \
	/usr/bin/python3 -m pytest -q -p no:cacheprovider -ra \
	$files "$@"
