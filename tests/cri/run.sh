#!/bin/bash
# The CRI lane: Kubernetes' path to a runtime.  A private containerd with
# its CRI plugin runs pods through the runc v2 shim with ocirt (handler
# "ocirt") and runc (handler "runc") as BinaryName, driven by the lane's
# own CRI client; every scenario runs on both.
#
#   tests/cri/run.sh [PYTEST_ARGS...]
#
# OCIRT names the binary (default: $BUILD_DIR/src/ocirt, build/, built
# with contrib/build.sh when missing).  Installs what it needs first
# (install.sh).  Everything lives in one directory below /tmp and a cgroup
# of the lane's own, removed at the end however pytest ended (CRI_KEEP=1
# keeps the directory); CRI_TIMEOUT bounds the tests (seconds, default 900).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

t0=$(date +%s)
"$here/install.sh"
echo "cri: install took $(($(date +%s) - t0))s"

. "$top/tests/lib/find-ocirt.sh"

lane=$(mktemp -d /tmp/ocirt-cri-XXXXXXXX)
# pytest removes the lane at its end; this is for when it could not
finish() {
  [ -d "$lane" ] || return 0
  /usr/bin/python3 "$here/crilib.py" cleanup "$lane" || true
  [ -n "${CRI_KEEP:-}" ] || rm -rf "$lane"
}
trap finish EXIT

cd "$here"
# SIGINT on time-out: pytest then still stops containerd and its pods
CRI_LANE_DIR=$lane OCIRT=$ocirt timeout -s INT -k 60 "${CRI_TIMEOUT:-900}" \
	/usr/bin/python3 -m pytest "$@"
