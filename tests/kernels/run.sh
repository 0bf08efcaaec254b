#!/bin/bash
# The kernel-dependent integration tests on an older distribution kernel:
# a throw-away VM made by the shared run-in-vm.sh with Debian's kernel
# (bullseye: 5.10, the oldest kernel ocirt supports; trixie: 6.12).
# Build on the host first; the VM runs the binary built here.  What the
# kernel lacks is skipped with the reason (pytest -ra lists them).
#
#   tests/kernels/run.sh bullseye|trixie [PYTEST_ARGS...]
#
# See tests/lib/vm-lane.sh for RUN_IN_VM and OCIRT.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
case ${1:-} in
bullseye | trixie) kernel=$1 ;;
*)
	echo "usage: ${0##*/} bullseye|trixie [PYTEST_ARGS...]" >&2
	exit 2
	;;
esac
shift
. "$top/tests/lib/vm-lane.sh"
files=()
# What depends on the kernel: namespaces, rootfs and mounts, the process and
# its attributes, exec, the terminal, security and escapes (the binary's
# protection among them), seccomp, idmapped mounts, the mounts and devices of
# a user namespace, inspect.
for t in namespaces mounts process process_attrs exec terminal security escapes binary_overwrite \
	seccomp idmap userns_mounts inspect; do
	files+=("tests/integration/test_$t.py")
done
# The emulated VM is slow: a generous timeout.
run_lane --kernel "$kernel" --timeout "${VM_TIMEOUT:-3600}" -- "${files[@]}" "$@"
