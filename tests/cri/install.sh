#!/bin/bash
# Install what the CRI lane needs from Debian's archive: containerd (its
# CRI plugin, ctr and the runc v2 shim), runc as the reference runtime, the
# CNI plugins, busybox-static for the images, and Python's gRPC (with its
# protoc) and WebSocket client for the lane's own CRI client.
# (no daemon is started meanwhile: tests/lib/install-packages.sh).
set -eu
PACKAGES=(
  containerd runc containernetworking-plugins busybox-static iproute2
  python3 python3-pytest python3-grpcio python3-grpc-tools python3-protobuf
  python3-websocket tar util-linux
)
# shellcheck source=tests/lib/install-packages.sh
. "$(dirname "$0")/../lib/install-packages.sh"
install_packages cri/install "${PACKAGES[@]}"
