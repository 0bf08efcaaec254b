#!/bin/bash
# mkbundle.sh - build a minimal OCI bundle from busybox-static.
#
# Usage: mkbundle.sh DIR [-- ARGS...]
#
# Creates DIR/rootfs (busybox plus one symlink per applet, a few standard
# directories, minimal /etc/passwd and /etc/group) and DIR/config.json.
# config.json is produced by "$RUNTIME spec" and then edited so that
# process.terminal is false and process.args is ARGS
# (default: sh -c 'echo hello from ocirt; uname -a').
#
# Environment:
#   RUNTIME   runtime used for "spec" (default: ocirt if on PATH, else runc,
#             else crun)
#   BUSYBOX   busybox binary to copy (default: /bin/busybox, from the Debian
#             package busybox-static; it must be statically linked)
#   PYTHON    python3 interpreter used to edit config.json
#             (default: /usr/bin/python3)
#
# Re-running is safe: DIR is removed and recreated only if it carries the
# marker file written by this script (or is an empty directory); any other
# existing DIR is left untouched and the script fails.

set -eu

prog=${0##*/}
MARKER=.ocirt-mkbundle

die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}

usage() {
	printf 'usage: %s DIR [-- ARGS...]\n' "$prog" >&2
	exit 2
}

[ $# -ge 1 ] || usage
case $1 in
-h | --help)
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
	exit 0
	;;
-*) usage ;;
esac
DIR=$1
shift
if [ $# -gt 0 ]; then
	[ "$1" = "--" ] || usage
	shift
	[ $# -gt 0 ] || die "no program given after --"
else
	set -- sh -c 'echo hello from ocirt; uname -a'
fi

BUSYBOX=${BUSYBOX:-/bin/busybox}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=$(command -v python3 2>/dev/null) ||
	die "python3 not found (install the Debian package python3)"

if [ -z "${RUNTIME:-}" ]; then
	for r in ocirt runc crun; do
		if command -v "$r" >/dev/null 2>&1; then
			RUNTIME=$r
			break
		fi
	done
	[ -n "${RUNTIME:-}" ] || die "no runtime found (ocirt, runc or crun); set RUNTIME"
fi
command -v "$RUNTIME" >/dev/null 2>&1 || die "runtime '$RUNTIME' not found"

[ -x "$BUSYBOX" ] ||
	die "$BUSYBOX not found (install the Debian package busybox-static)"
# A dynamically linked busybox would need its libraries inside the rootfs.
if ! "$PYTHON" - "$BUSYBOX" <<'EOF'; then
import sys
with open(sys.argv[1], 'rb') as f:
    hdr = f.read(64)
    if hdr[:4] != b'\x7fELF':
        sys.exit(1)
    is64 = hdr[4] == 2
    little = hdr[5] == 1
    order = 'little' if little else 'big'
    phoff = int.from_bytes(hdr[32:40] if is64 else hdr[28:32], order)
    phentsize = int.from_bytes(hdr[54:56] if is64 else hdr[42:44], order)
    phnum = int.from_bytes(hdr[56:58] if is64 else hdr[44:46], order)
    f.seek(phoff)
    for _ in range(phnum):
        ph = f.read(phentsize)
        if int.from_bytes(ph[0:4], order) == 3:   # PT_INTERP
            sys.exit(1)
EOF
	die "$BUSYBOX is not a statically linked ELF binary (use busybox-static)"
fi

# Refuse to touch a directory this script did not create.
if [ -e "$DIR" ] || [ -L "$DIR" ]; then
	if [ ! -d "$DIR" ] || [ -L "$DIR" ]; then
		die "$DIR exists and is not a directory"
	fi
	if [ -f "$DIR/$MARKER" ]; then
		rm -rf -- "$DIR"
	elif [ -n "$(ls -A -- "$DIR")" ]; then
		die "$DIR exists and was not made by $prog; refusing to overwrite it"
	fi
fi

mkdir -p -- "$DIR"
DIR=$(cd -- "$DIR" && pwd -P)
printf 'made by %s; safe to delete\n' "$prog" >"$DIR/$MARKER"

ROOTFS=$DIR/rootfs
mkdir -p "$ROOTFS/bin"
for d in proc sys dev tmp etc root; do
	mkdir -p "$ROOTFS/$d"
done
chmod 1777 "$ROOTFS/tmp"
chmod 0700 "$ROOTFS/root"

cp -- "$BUSYBOX" "$ROOTFS/bin/busybox"
chmod 0755 "$ROOTFS/bin/busybox"
n=0
for applet in $("$ROOTFS/bin/busybox" --list); do
	case $applet in
	busybox | */* | '') continue ;;
	esac
	ln -sf busybox "$ROOTFS/bin/$applet"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || die "'$BUSYBOX --list' printed no applets"

cat >"$ROOTFS/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$ROOTFS/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
chmod 0644 "$ROOTFS/etc/passwd" "$ROOTFS/etc/group"

(cd "$DIR" && "$RUNTIME" spec) ||
	die "'$RUNTIME spec' failed in $DIR"
[ -s "$DIR/config.json" ] || die "'$RUNTIME spec' did not write $DIR/config.json"

"$PYTHON" - "$DIR/config.json" "$@" <<'EOF' || die "could not edit $DIR/config.json"
import json, os, sys
path, args = sys.argv[1], sys.argv[2:]
with open(path) as f:
    cfg = json.load(f)
proc = cfg.setdefault('process', {})
proc['terminal'] = False
proc['args'] = args
tmp = path + '.tmp'
with open(tmp, 'w') as f:
    json.dump(cfg, f, indent=2)
    f.write('\n')
os.replace(tmp, path)
EOF

printf '%s: bundle ready in %s (%d applets, spec from %s)\n' \
	"$prog" "$DIR" "$n" "$RUNTIME" >&2
