#!/bin/bash
# Install the dependencies, build ocirt and run a demo container from a
# busybox bundle.  Run as root on Debian 12.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/install-deps.sh"
"$top/contrib/build.sh"
ocirt=${BUILD_DIR:-$top/build}/src/ocirt
bundle=$(mktemp -d /tmp/ocirt-demo.XXXXXX)
rmdir "$bundle"
RUNTIME="$ocirt" "$top/contrib/demo/mkbundle.sh" "$bundle"
cd "$bundle"
echo "+ $ocirt run demo-$$   (bundle $bundle)"
"$ocirt" run "demo-$$"
