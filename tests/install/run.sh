#!/bin/bash
# make install into a staging directory: the binary, the man page and the
# client configurations land where packagers expect them.  Also checks that
# the man page is current with its Markdown source and names every long
# option of every command.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fail() { echo "install: $*" >&2; exit 1; }

# Before make, which would regenerate it: the page in the tree is current.
if command -v go-md2man >/dev/null; then
	go-md2man -in "$top/docs/ocirt.8.md" | cmp -s - "$top/docs/ocirt.8" ||
		fail "docs/ocirt.8 is older than docs/ocirt.8.md: run make"
fi
make -C "$build" install DESTDIR="$stage" >/dev/null
prefix=$(sed -n 's/^prefix = //p' "$build/Makefile")
for f in bin/ocirt share/man/man8/ocirt.8 \
	share/doc/ocirt/examples/podman/containers.conf \
	share/doc/ocirt/examples/containerd/config.toml \
	share/doc/ocirt/examples/containerd/runtimeclass.yaml \
	share/doc/ocirt/examples/docker/daemon.json \
	share/doc/ocirt/examples/crio/10-ocirt.conf; do
	[ -s "$stage$prefix/$f" ] || fail "$prefix/$f was not installed"
done
"$stage$prefix/bin/ocirt" --version | grep -q '^ocirt version' || fail "the installed binary does not run"

# The CRI-O drop-in (no CRI-O in Debian to run it) is valid TOML naming
# an OCI handler for ocirt.
/usr/bin/python3 - "$top/contrib/crio/10-ocirt.conf" <<'PY' || fail "contrib/crio/10-ocirt.conf is not a valid CRI-O handler"
import sys, tomllib
h = tomllib.load(open(sys.argv[1], "rb"))["crio"]["runtime"]["runtimes"]["ocirt"]
assert h["runtime_type"] == "oci" and h["runtime_path"].endswith("/ocirt"), h
PY
# Every long option the commands take is described.
missing=$(grep -ho '{ "[a-z][a-z0-9-]*", \(no\|required\|optional\)_argument' "$top"/src/*.c |
	sed 's/{ "\([^"]*\)".*/\1/' | sort -u |
	while read -r opt; do grep -q -- "\*\*--$opt\*\*" "$top/docs/ocirt.8.md" || echo "--$opt"; done)
[ -z "$missing" ] || fail "docs/ocirt.8.md does not describe: ${missing//$'\n'/ }"
echo "install: binary, man page and examples installed; the man page is current"
