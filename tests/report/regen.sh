#!/bin/sh
# regen.sh - rewrite tests/report/expected/* from the current build, on purpose. Check `git diff` by hand
# against the samples (samples/README.md, tests/golden/expected/*.json) before committing.
# usage: tests/report/regen.sh [BUILD_DIR]   (default build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
exec python3 "$here/report_test.py" "$build/src/cli/tlsaudit" "$root/samples" "$here" --regen
