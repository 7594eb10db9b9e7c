#!/usr/bin/env bash
# demo.sh - set up, build and run tlsaudit on the bundled samples.
# On a fresh Debian 12 machine as root this installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
tool=build/src/cli/tlsaudit
dir=$(mktemp -d)
echo "== tlsaudit read samples/*.pcap (database $dir/demo.db)"
$tool read --db "$dir/demo.db" samples/*.pcap
echo "== the Exchange case as NDJSON: a TLS 1.0-only client rejected by a TLS-1.2-only server"
$tool read --db "$dir/demo.db" --json samples/tls10-rejected.pcap 2>/dev/null >"$dir/exchange.ndjson"
head -n 1 "$dir/exchange.ndjson"
echo
echo "== tlsaudit report (policy TLS 1.2): the first screen"
$tool report --db "$dir/demo.db" --min-version "TLS 1.2" -o "$dir/report.txt"
sed -n '1,/^hosts, worst first/p' "$dir/report.txt"
echo "   ... (whole report: $dir/report.txt)"
echo "== tlsaudit diff: the Exchange host before and after the registry fix"
$tool read -q --db "$dir/before.db" samples/before.pcap
$tool read -q --db "$dir/after.db" samples/after.pcap
$tool diff --before "$dir/before.db" --after "$dir/after.db"
$tool report --db "$dir/demo.db" --format html -o "$dir/report.html"
echo "== HTML report: $dir/report.html"
echo "== a generated network of 5,000 host roles (tests/report/gen_scale.py): the first screen"
python3 tests/report/gen_scale.py "$dir/scale.pcap" --roles 5000 --certdir "$dir/certs" >/dev/null
$tool read -q --db "$dir/scale.db" "$dir/scale.pcap"
$tool report --db "$dir/scale.db" | sed -n '1,/^hosts, worst first/p'
$tool report --db "$dir/scale.db" --format html -o "$dir/scale.html"
echo "== HTML report of the 5,000 host roles: $dir/scale.html ($(wc -c <"$dir/scale.html") bytes)"
