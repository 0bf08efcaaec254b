# Sourced by the suites' install scripts (tests/clients, tests/cri).
# install_packages TAG PACKAGE...: apt-get installs the PACKAGEs that are
# missing.  Their maintainer scripts would start daemons (dockerd,
# containerd) on the host's default sockets: while installing,
# policy-rc.d forbids that.
# shellcheck shell=bash
install_packages() {
  local tag=$1 p policy=/usr/sbin/policy-rc.d made_policy='' rc=0
  shift
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  echo "$tag: installing ${missing[*]}"
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# no daemon starts while packages install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    rc=$?
  [ -z "$made_policy" ] || rm -f "$policy"
  return "$rc"
}
