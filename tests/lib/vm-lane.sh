# shellcheck shell=bash disable=SC2016,SC2164  # sh -c takes its script quoted; the callers run with set -e
# Sourced by the VM lanes (tests/cgroup-v2/run.sh, tests/systemd/run.sh):
# finds the VM tool and the binary, and the directory to share with the VM.
# Expects $top (the work tree); sets vm, ocirt and share.
#
# RUN_IN_VM names the tool (default: ../shared/tools/run-in-vm.sh beside the
# work tree), OCIRT the binary (default: $BUILD_DIR/src/ocirt, build/).  A
# binary outside the work tree is fine: its directory is then the share,
# and the work tree is seen read-only through the VM's root.
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

# run_lane VM_OPTION... -- PYTEST_ARGS...: pytest in the work tree, in the VM.
run_lane() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	# LANE_TESTS (pytest node ids) replaces the test files and directories
	# given: tests/run-all.sh runs a lane's failed tests once more this way.
	if [ -n "${LANE_TESTS:-}" ]; then
		local args=() a
		for a in "$@"; do
			case $a in *.py | *.py::* | tests/*) ;; *) args+=("$a") ;; esac
		done
		# shellcheck disable=SC2086  # node ids contain no spaces
		set -- ${args[@]+"${args[@]}"} $LANE_TESTS
	fi
	# A lane with a share of CI's hour (LANE_BUDGET, s) runs what fits,
	# LANE_FIRST first, and lists the rest as not reached
	# (tests/lib/lane_budget.py).
	local e
	for e in LANE_BUDGET LANE_FIRST LANE_ROTATE; do
		[ -n "${!e:-}" ] && opts+=(-e "$e=${!e}")
	done
	if [ -n "${LANE_BUDGET:-}" ]; then
		opts+=(-e "PYTHONPATH=$top/tests/lib")
		set -- -p lane_budget "$@"
	fi
	cd "$top"
	exec "$vm" "${opts[@]}" --share "$share" -e OCIRT="$ocirt" -- \
		/bin/sh -c 'cd "$1" && shift && exec /usr/bin/python3 -m pytest -q -p no:cacheprovider -ra "$@"' \
		sh "$top" "$@"
}
