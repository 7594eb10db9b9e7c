#!/usr/bin/env bash
# flows.sh - peak memory of `tlsaudit read` holding 100,000 concurrent flows,
# in the two shapes that matter:
#   open:  100,000 connections whose handshakes completed and which stay open
#          (no FIN/RST in the capture) - the normal state of a busy server
#   one:   the same as mid, all to one server (one label key)
#   mid:   100,000 handshakes all in progress at the same moment (every
#          connection's packets interleaved one by one) - the worst case
# Each from samples/tls12-sni.pcap (a real curl and s_client handshake),
# replicated with rewritten addresses by make_capture.py.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench >/dev/null
tool=build-bench/src/cli/tlsaudit
if [ ! -f bench/out/open100k.pcap ]; then
	python3 bench/make_capture.py bench/out/seq100k.pcap --copies 50000 --concurrent 1 samples/tls12-sni.pcap
	python3 - <<'PY'
import struct
d = open("bench/out/seq100k.pcap", "rb").read()
out, off = bytearray(d[:24]), 24
while off + 16 <= len(d):
    cl = struct.unpack("<I", d[off + 8:off + 12])[0]
    fr = d[off + 16:off + 16 + cl]
    if not fr[14 + (fr[14] & 15) * 4 + 13] & 0x05:  # drop FIN and RST: the connections stay open
        out += d[off:off + 16 + cl]
    off += 16 + cl
open("bench/out/open100k.pcap", "wb").write(out)
PY
	rm -f bench/out/seq100k.pcap
fi
[ -f bench/out/mid100k.pcap ] || python3 bench/make_capture.py bench/out/mid100k.pcap --copies 50000 \
	--concurrent 50000 samples/tls12-sni.pcap
# the same handshakes all to one server (a busy mail or web server): one label key, so nDPI's DPI runs once
[ -f bench/out/one100k.pcap ] || python3 bench/make_capture.py bench/out/one100k.pcap --copies 50000 \
	--concurrent 50000 --servers 1 samples/tls12-sni.pcap
db=$(mktemp -d)/flows.db
echo "| 100,000 concurrent flows | wall s | peak RSS MiB | flows evicted |"
echo "| --- | ---: | ---: | ---: |"
for shape in open mid one; do
	for mem in default 64; do
		rm -f "$db" "$db-wal" "$db-shm"
		opts=(--idle-timeout 100000)
		[ "$mem" = default ] || opts+=(--max-memory $((mem * 1024 * 1024)))
		tf=$(mktemp)
		/usr/bin/time -o "$tf" -f "%e %M" "$tool" read -q "${opts[@]}" --db "$db" "bench/out/${shape}100k.pcap"
		read -r wall rss <"$tf"
		rm -f "$tf"
		ev=$(sqlite3 "$db" "select flows_evicted from captures")
		echo "| $shape, --max-memory $mem | $wall | $((rss / 1024)) | $ev |"
	done
done

# The flood of the limits: 1,000,000 SYNs and 200,000 first segments of ClientHellos with distinct 5-tuples,
# the real handshakes of samples/tls10-rejected.pcap first, in the middle and last (bench/flood.py). With the
# default limits, memory must stay bounded and every real handshake must still be decoded.
[ -f bench/out/flood.pcap ] || python3 bench/flood.py bench/out/flood.pcap --legit samples/tls10-rejected.pcap \
	--syns 1000000 --hellos 200000
rm -f "$db" "$db-wal" "$db-shm"
tf=$(mktemp)
/usr/bin/time -o "$tf" -f "%e %M" "$tool" read -q --db "$db" bench/out/flood.pcap || true
read -r wall rss <"$tf"
rm -f "$tf"
# the real handshakes (3 copies of 2 connections to 127.0.0.10: TLS 1.0 ClientHellos the server rejects), each
# with its ClientHello (ja4, offered version) and the server's answer (the protocol_version alert, no ServerHello)
legit=$(sqlite3 "$db" "select count(*) || ' of 6' from connections where server_ip = '127.0.0.10' and ja4 is not null and client_max_version = 'TLS 1.0' and alert = 'protocol_version' and alert_sender = 'server'")
read -r ev mc < <(sqlite3 -separator ' ' "$db" "select flows_evicted, mem_capped from captures")
echo
echo "| flood (1,000,000 SYNs + 200,000 ClientHello starts) | wall s | peak RSS MiB | flows evicted | allocations capped | real handshakes decoded |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
echo "| default limits | $wall | $((rss / 1024)) | $ev | $mc | $legit |"
