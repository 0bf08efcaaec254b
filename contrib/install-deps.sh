#!/bin/bash
# Install what building and testing ocirt needs, from Debian's archive.
set -eu
PACKAGES=(
  # the checks of the sources: contrib/check-shell.sh, make format-check
  shellcheck clang-format-14
  build-essential autoconf automake libtool pkg-config python3
  libyajl-dev libseccomp-dev libcap-dev libsystemd-dev
  libcriterion-dev python3-pytest busybox-static runc time
  clang libclang-rt-14-dev uidmap iproute2 dbus-daemon apparmor go-md2man valgrind strace
  # checkpoint and restore: libcriu.so.2 and the criu binary (opened at run time)
  criu
  # the VM lanes: what ../shared/tools/run-in-vm.sh would otherwise install
  # while other phases use apt
  qemu-system-x86 xz-utils systemd dbus
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi
# checkpoint and restore through podman in the CRIU lane
# (tests/integration/test_checkpoint_podman.py): podman and conmon, without
# their recommends, as the client suite installs them
# shellcheck source=tests/lib/install-packages.sh
. "$(dirname "$0")/../tests/lib/install-packages.sh"
install_packages install-deps podman
