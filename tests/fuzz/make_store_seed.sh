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
ls -l "$out"
