#!/bin/bash
# Install the container clients the client suite drives, from Debian's
# archive: podman (with conmon), containerd (with ctr and the runc v2 shim),
# docker.io (dockerd, /usr/bin/docker), runc as the reference runtime.
#
# Their maintainer scripts would start dockerd and containerd on the
# host's default sockets: while installing, policy-rc.d forbids that.
set -eu
PACKAGES=(
  podman containerd docker.io runc
  busybox-static python3 python3-pytest tar util-linux
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "clients/install: installing ${missing[*]}"
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
