#!/usr/bin/env bash
# run.sh - throughput and memory of `tlsaudit read` next to tcpdump, ndpiReader
# and tshark on the same capture, in the same run (ratios, not absolute times).
#
# usage: bench/run.sh [CAPTURE]   (default: builds bench/out/big.pcap from the
#        shared corpus with make_capture.py: ~250 MB, ~19,000 TLS
#        connections, 500 copies at a time)
# Each tool runs REPEAT times (default 3); the best wall time and the largest
# peak RSS are reported. Results: a Markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${REPEAT:-3}
corpus=${TLSAUDIT_CORPUS:-$(cd .. && pwd)/shared/corpus}
mkdir -p bench/out
cap=${1:-bench/out/big.pcap}
if [ ! -f "$cap" ]; then
	python3 bench/make_capture.py "$cap" --copies 350 --concurrent 500 \
		"$corpus/pcaps/ndpi__teams.pcap" "$corpus/pcaps/zeek__tls1.2.pcap" \
		"$corpus/pcaps/arkime__openssl-tls1.pcap" "$corpus/pcaps/ja4__latest.pcapng" \
		samples/tls10-rejected.pcap samples/tls13.pcap samples/multi-host.pcap
fi
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench >/dev/null
tool=build-bench/src/cli/tlsaudit

bytes=$(stat -c %s "$cap")
pkts=$(capinfos -Mc "$cap" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}')
[ -n "$pkts" ] || pkts=0

measure() { # name cmd... -> "wall_s rss_kb"
	local best="" rss=0 name=$1
	shift
	for _ in $(seq "$repeat"); do
		local out tf
		tf=$(mktemp)
		/usr/bin/time -o "$tf" -f "%e %M" "$@" >/dev/null 2>&1 || true
		out=$(tail -n 1 "$tf")
		rm -f "$tf"
		local t=${out% *} m=${out#* }
		if [ -z "$best" ] || awk "BEGIN {exit !($t < $best)}"; then best=$t; fi
		[ "$m" -gt "$rss" ] && rss=$m
	done
	echo "$best $rss"
}

db=$(mktemp -d)/bench.db
declare -A wall mem
run() { # name cmd...
	local name=$1
	shift
	read -r w m < <(measure "$name" "$@")
	wall[$name]=$w
	mem[$name]=$m
}
run "tcpdump -r F -w /dev/null" tcpdump -r "$cap" -w /dev/null
run "tlsaudit read F" bash -c "rm -f $db $db-wal $db-shm; exec $tool read -q --db $db $cap"
conns=$(sqlite3 "$db" "select count(*) from connections")
run "tlsaudit read --no-ndpi F" bash -c "rm -f $db $db-wal $db-shm; exec $tool read -q --no-ndpi --db $db $cap"
run "ndpiReader -i F" ndpiReader -q -i "$cap"
# -j 2 on two different captures against the two read one after the other
cap2=bench/out/big-b.pcap
if [ ! -f "$cap2" ]; then
	python3 bench/make_capture.py "$cap2" --copies 350 --concurrent 500 \
		samples/multi-host.pcap samples/tls13.pcap samples/tls10-rejected.pcap \
		"$corpus/pcaps/arkime__openssl-tls1.pcap" "$corpus/pcaps/zeek__tls1.2.pcap" "$corpus/pcaps/ndpi__teams.pcap"
fi
run "tlsaudit read F F2 (one process)" bash -c "rm -f $db $db-wal $db-shm; exec $tool read -q --db $db $cap $cap2"
run "tlsaudit read -j 2 F F2" bash -c "rm -f $db $db-wal $db-shm; exec $tool read -q -j 2 --db $db $cap $cap2"
if [ "${SKIP_TSHARK:-0}" != 1 ]; then
	run "tshark -r F -Y tls.handshake" tshark -n -r "$cap" -Y tls.handshake
fi

echo "capture: $cap, $((bytes / 1000000)) MB, $pkts packets, $conns TLS connections; best of $repeat runs"
echo
echo "| command | wall s | MB/s | packets/s | peak RSS MiB | wall time / tlsaudit read's |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
base=${wall["tlsaudit read F"]}
for name in "tcpdump -r F -w /dev/null" "tlsaudit read F" "tlsaudit read --no-ndpi F" "ndpiReader -i F" "tshark -r F -Y tls.handshake"; do
	[ -n "${wall[$name]:-}" ] || continue
	w=${wall[$name]}
	awk -v n="$name" -v w="$w" -v b="$bytes" -v p="$pkts" -v m="${mem[$name]}" -v base="$base" 'BEGIN {
		printf "| `%s` | %.2f | %.0f | %.0f | %.1f | %.2fx |\n", n, w, b / 1e6 / w, p / w, m / 1024, w / base }'
done
bytes2=$(( bytes + $(stat -c %s "$cap2") ))
awk -v a="${wall["tlsaudit read F F2 (one process)"]}" -v b="${wall["tlsaudit read -j 2 F F2"]}" -v n="$bytes2" 'BEGIN {
	printf "\n`read -j 2` on two captures (%.0f MB): %.2f s against %.2f s one after the other: %.2fx\n", n / 1e6, b, a, a / b }'
