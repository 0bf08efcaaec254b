# shellcheck shell=bash
# Sourced by the client lanes (tests/clients/run.sh, tests/cri/run.sh):
# sets ocirt to the absolute path of the binary under test, $OCIRT, else
# $BUILD_DIR/src/ocirt (build/ by default), built with contrib/build.sh
# when missing.  Expects $top (the work tree); exits when there is none.
ocirt=${OCIRT:-${BUILD_DIR:-$top/build}/src/ocirt}
if [ -z "${OCIRT:-}" ] && [ ! -x "$ocirt" ]; then
	"$top/contrib/build.sh"
fi
if [ ! -x "$ocirt" ]; then
	echo "${0##*/}: $ocirt is not built" >&2
	exit 1
fi
ocirt=$(realpath "$ocirt")
