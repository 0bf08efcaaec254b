#!/bin/bash
# The whole test suite: dependencies, build, unit tests (criterion) and the
# integration tests (pytest, as root, against the real kernel).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/install-deps.sh"
"$top/contrib/build.sh"
make -C "${BUILD_DIR:-$top/build}" check VERBOSE=1
