#!/usr/bin/env bash
# make_store_seed.sh - the seeds of fuzz_store: real small tlsaudit databases made from samples/, with
# 512-byte pages (small files, so mutations land on structure) and no WAL (one file).
# usage: tests/fuzz/make_store_seed.sh TLSAUDIT   (writes tests/fuzz/seeds/store/*.db)
set -euo pipefail
tool=$(realpath "$1")
cd "$(dirname "$0")/../.."
out=tests/fuzz/seeds/store
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make_db() { # NAME CAPTURE...
	local name=$1
	shift
	"$tool" read -q --no-ndpi --db "$tmp/$name.db" "$@"
	sqlite3 "$tmp/$name.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" >/dev/null
	cp "$tmp/$name.db" "$out/$name.db"
}
make_db exchange samples/tls10-rejected.pcap
make_db two-captures samples/tls12-sni.pcap samples/tls13.pcap
make_db certs samples/cert-expired.pcap
# probe attempts (schema 3 probes table): a local TLS 1.2-only openssl s_server, and a closed port
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" \
	-subj /CN=probe.example -days 2 2>/dev/null
openssl s_server -accept 127.0.0.1:44330 -cert "$tmp/c.pem" -key "$tmp/k.pem" -tls1_2 -quiet -naccept 10 \
	</dev/null >/dev/null 2>&1 &
server=$!
sleep 1
"$tool" read -q --no-ndpi --db "$tmp/probes.db" samples/tls13.pcap
"$tool" probe -q --db "$tmp/probes.db" --timeout 2 127.0.0.1:44330 127.0.0.1:1 || true
kill "$server" 2>/dev/null || true
sqlite3 "$tmp/probes.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" >/dev/null
cp "$tmp/probes.db" "$out/probes.db"
ls -l "$out"
