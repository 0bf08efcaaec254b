#!/bin/bash
# Install the container clients the client suite drives, from Debian's
# archive: podman (with conmon), containerd (with ctr and the runc v2 shim),
# docker.io (dockerd, /usr/bin/docker), runc as the reference runtime.
# (no daemon is started meanwhile: tests/lib/install-packages.sh).
set -eu
PACKAGES=(
  podman containerd docker.io runc
  busybox-static python3 python3-pytest tar util-linux
)
# shellcheck source=tests/lib/install-packages.sh
. "$(dirname "$0")/../lib/install-packages.sh"
install_packages clients/install "${PACKAGES[@]}"
