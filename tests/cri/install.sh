#!/bin/bash
# Install what the CRI lane needs from Debian's archive: containerd (its
# CRI plugin, ctr and the runc v2 shim), runc as the reference runtime, the
# CNI plugins, busybox-static for the images, and Python's gRPC (with its
# protoc) and WebSocket client for the lane's own CRI client.
#
# containerd's maintainer scripts would start it on the host's default
# socket: while installing, policy-rc.d forbids that.
set -eu
PACKAGES=(
  containerd runc containernetworking-plugins busybox-static iproute2
  python3 python3-pytest python3-grpcio python3-grpc-tools python3-protobuf
  python3-websocket tar util-linux
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "cri/install: installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# no daemon starts while packages install\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  made_policy=1
fi
cleanup() { [ -z "$made_policy" ] || rm -f "$policy"; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
