#!/bin/bash
# bridge-network.sh - two ocirt containers on a private bridge.
#
# Usage: bridge-network.sh
#
# Makes, on this host (as root):
#   - a bridge ocirt-br-TAG with 10.0.11.1/16;
#   - two named network namespaces ocirt-ns-a-TAG and ocirt-ns-b-TAG
#     (`ip netns add`);
#   - per container a veth pair: one end on the bridge, the other given
#     10.0.11.2/16 (a) or 10.0.11.3/16 (b) and moved by ocirt into the
#     container's namespace as eth0 (linux.netDevices, which keeps the
#     address);
#   - two busybox bundles (contrib/demo/mkbundle.sh) in a temporary
#     directory, whose containers join those namespaces by path.
# Then it adds a default route via the bridge in each namespace, pings
# b, a and the bridge from the containers (`ocirt exec ... ping`), enters
# the namespace of a with `nsenter --net=/run/netns/...` and pings b from
# there, and removes everything it made, on success, failure or signal.
#
# Forwarding, iptables and the host's other interfaces are left alone:
# traffic stays on the bridge.  It stops if 10.0.11.1 is routed anywhere but
# through the default route already.
#
# Environment:
#   OCIRT     the runtime (default: ocirt on PATH)
#   TAG       1 to 4 lowercase letters or digits in every name (default:
#             from the pid), so that runs do not collide
#   BUSYBOX   static busybox for the rootfs (default: /bin/busybox)
#   CGROUP_PARENT  an absolute cgroup path the containers go below (default:
#             none, the runtime's default place)
#
# Exit status: 0 when every ping got its answer.

set -eu

prog=${0##*/}
here=$(cd -- "$(dirname -- "$0")" && pwd -P)

die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}

case ${1:-} in
-h | --help)
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
'') ;;
*)
	printf 'usage: %s\n' "$prog" >&2
	exit 2
	;;
esac

[ "$(id -u)" = 0 ] || die "must run as root"
OCIRT=${OCIRT:-$(command -v ocirt || true)}
[ -x "$OCIRT" ] || die "ocirt not found; set OCIRT"
for tool in ip nsenter python3; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
TAG=${TAG:-$(printf '%04x' $(($$ % 65536)))}
[[ $TAG =~ ^[a-z0-9]{1,4}$ ]] || die "TAG must be 1 to 4 lowercase letters or digits"

BR=ocirt-br-$TAG
if ip -o route show to match 10.0.11.1 | grep -qv '^default'; then
	die "10.0.11.1 is already routed on this host: $(ip -o route show to match 10.0.11.1 | grep -v '^default' | head -1)"
fi
ip link show "$BR" >/dev/null 2>&1 && die "$BR exists already (another run with TAG=$TAG?)"

WORK=$(mktemp -d /tmp/ocirt-bridge.XXXXXX)
ROOT=$WORK/state
made_links=()
made_netns=()
made_ids=()

cleanup() {
	local rc=$? x
	set +e
	for x in "${made_ids[@]}"; do
		"$OCIRT" --root "$ROOT" delete --force "$x" >/dev/null 2>&1
	done
	# deleting the host end of a veth pair deletes the end in a namespace
	# too, at once (a dying namespace would take its time)
	for x in "${made_links[@]}"; do
		ip link del "$x" 2>/dev/null
	done
	for x in "${made_netns[@]}"; do
		ip netns del "$x" 2>/dev/null
	done
	rm -rf -- "$WORK"
	echo "cleaned up"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

step() {
	printf '== %s\n' "$*"
}

step "bridge $BR 10.0.11.1/16"
ip link add "$BR" type bridge
made_links+=("$BR")
ip addr add 10.0.11.1/16 dev "$BR"
ip link set "$BR" up

declare -A ADDR=([a]=10.0.11.2 [b]=10.0.11.3)
for c in a b; do
	ns=ocirt-ns-$c-$TAG
	host_end=ocirt-h$c-$TAG
	cont_end=ocirt-c$c-$TAG
	id=ocirt-$c-$TAG

	step "container $id: namespace $ns, $cont_end ${ADDR[$c]}/16 -> eth0"
	ip netns add "$ns"
	made_netns+=("$ns")
	ip link add "$host_end" type veth peer name "$cont_end"
	made_links+=("$host_end" "$cont_end")
	ip link set "$host_end" master "$BR" up
	ip addr add "${ADDR[$c]}/16" dev "$cont_end"

	RUNTIME=$OCIRT "$here/../demo/mkbundle.sh" "$WORK/$c" -- sleep 600 2>/dev/null
	python3 - "$WORK/$c/config.json" "/run/netns/$ns" "$cont_end" "$c" \
		"${CGROUP_PARENT:+$CGROUP_PARENT/$id}" <<'EOF'
import json, sys
path, netns, dev, name, cgroup = sys.argv[1:]
with open(path) as f:
    cfg = json.load(f)
lx = cfg['linux']
lx['namespaces'] = [n for n in lx['namespaces'] if n['type'] != 'network']
lx['namespaces'].append({'type': 'network', 'path': netns})
lx['netDevices'] = {dev: {'name': 'eth0'}}
cfg['hostname'] = 'ocirt-' + name
if cgroup:
    lx['cgroupsPath'] = cgroup
caps = cfg['process']['capabilities']
for k in ('bounding', 'effective', 'permitted'):
    caps[k] = sorted(set(caps.get(k, [])) | {'CAP_NET_RAW'})
with open(path, 'w') as f:
    json.dump(cfg, f, indent=2)
EOF
	made_ids+=("$id")
	"$OCIRT" --root "$ROOT" create --bundle "$WORK/$c" "$id" </dev/null >/dev/null 2>"$WORK/$id.err" ||
		die "create $id: $(cat "$WORK/$id.err")"
	# the runtime moves the device; the route is the namespace owner's
	ip -n "$ns" link set lo up
	ip -n "$ns" route add default via 10.0.11.1
	"$OCIRT" --root "$ROOT" start "$id"
	ip link show "$cont_end" >/dev/null 2>&1 && die "$cont_end is still on the host"
	printf '%s: %s\n' "$id" "$(ip -n "$ns" -o -4 addr show dev eth0 | awk '{print $2, $4}')"
done

failed=0
ping_from() {
	local id=$1 to=$2
	if "$OCIRT" --root "$ROOT" exec "$id" ping -c 1 -W 5 "$to" >"$WORK/ping.out" 2>&1; then
		printf 'ping %s -> %s: ok\n' "$id" "$to"
	else
		printf 'ping %s -> %s: FAILED\n' "$id" "$to"
		sed 's/^/    /' "$WORK/ping.out"
		failed=1
	fi
}

step "pings between the containers and to the bridge"
ping_from "ocirt-a-$TAG" 10.0.11.3
ping_from "ocirt-b-$TAG" 10.0.11.2
ping_from "ocirt-a-$TAG" 10.0.11.1
ping_from "ocirt-b-$TAG" 10.0.11.1

step "nsenter --net=/run/netns/ocirt-ns-a-$TAG"
nsenter --net="/run/netns/ocirt-ns-a-$TAG" ip -o -4 addr show dev eth0
nsenter --net="/run/netns/ocirt-ns-a-$TAG" ip route show default
if nsenter --net="/run/netns/ocirt-ns-a-$TAG" "${BUSYBOX:-/bin/busybox}" ping -c 1 -W 5 10.0.11.3 >"$WORK/ping.out" 2>&1; then
	echo "nsenter ping 10.0.11.3: ok"
else
	echo "nsenter ping 10.0.11.3: FAILED"
	sed 's/^/    /' "$WORK/ping.out"
	failed=1
fi

[ "$failed" = 0 ] || die "some pings failed"
echo "all pings answered"
