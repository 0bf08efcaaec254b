#!/bin/bash
# Configure and build ocirt out of tree in ./build (or $BUILD_DIR), with
# warnings as errors and the options in CONFIGURE_FLAGS (split on spaces;
# --disable-werror builds in spite of warnings).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
cd "$top"
if ! { [ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ]; }; then
  ./autogen.sh
fi
read -ra flags <<<"${CONFIGURE_FLAGS:-}"
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" --enable-werror "${flags[@]}"
make -j"$(nproc)"
