#!/bin/bash
# The client suite: podman, containerd (ctr) and Docker run against ocirt,
# and against runc as the reference, in one pytest run.
#
#   tests/clients/run.sh [PYTEST_ARGS...]
#
# OCIRT names the binary (default: $BUILD_DIR/src/ocirt, build/, built
# with contrib/build.sh when missing).  Installs the clients first
# (install.sh) and says how long that took; pytest's last line says how
# long the tests took.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

t0=$(date +%s)
"$here/install.sh"
t1=$(date +%s)
echo "clients: install took $((t1 - t0))s"

. "$top/tests/lib/find-ocirt.sh"

cd "$here"
# SIGINT on time-out: pytest then still stops the daemons it started
OCIRT=$ocirt exec timeout -s INT -k 60 "${CLIENTS_TIMEOUT:-1200}" \
	/usr/bin/python3 -m pytest "$@"
