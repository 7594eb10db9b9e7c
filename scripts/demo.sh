#!/usr/bin/env bash
# demo.sh - set up, build and run tlsaudit on the bundled samples.
# On a fresh Debian 12 machine as root this installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
db=$(mktemp -d)/demo.db
echo "== tlsaudit read samples/*.pcap (database $db)"
build/src/cli/tlsaudit read --db "$db" samples/*.pcap
echo "== the same connections as NDJSON (first 3 lines)"
build/src/cli/tlsaudit read --db "$db" --json samples/tls10-rejected.pcap 2>/dev/null | head -n 3
