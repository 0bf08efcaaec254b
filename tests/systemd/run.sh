#!/bin/bash
# The systemd cgroup driver's tests with systemd as PID 1: a throw-away VM
# made by the shared run-in-vm.sh --systemd (pure cgroup v2, sd-bus).
# Build on the host first; the VM runs the binary built here.
#
#   tests/systemd/run.sh [PYTEST_ARGS...]
#
# RUN_IN_VM names the tool (default: ../shared/tools/run-in-vm.sh beside the
# work tree), OCIRT the binary (default: $BUILD_DIR/src/ocirt, build/).  A
# binary outside the work tree is fine: its directory is then the share,
# and the work tree is seen read-only through the VM's root.
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
ocirt=$(cd "$(dirname "$ocirt")" && pwd)/$(basename "$ocirt")
case $ocirt in
"$top"/*) share=$top ;;
*) share=$(dirname "$ocirt") ;;
esac
cd "$top"
# The emulated VM is slow: a generous timeout, and only this file.
exec "$vm" --systemd --share "$share" --timeout "${VM_TIMEOUT:-900}" -e OCIRT="$ocirt" -- \
	/bin/sh -c 'cd "$1" && shift && exec /usr/bin/python3 -m pytest -q -p no:cacheprovider -ra \
	tests/integration/test_systemd.py "$@"' sh "$top" "$@"
