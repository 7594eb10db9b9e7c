#!/usr/bin/env bash
# run.sh - how fast `tlsaudit read` is next to its peers on the same captures, in the same run: ratios, not
# absolute times. The captures are the reference benchmark's (../shared/bench: real handshakes of OpenSSL,
# curl, Python and GnuTLS recorded in a namespace, then amplified): `hs` (handshake-heavy, ~111,000 short
# connections: the mail-server case), `bulk` (few connections moving >= 1 MB each) and `mixed`.
#
# usage: bench/run.sh [DIR]      DIR holds hs.pcap, bulk.pcap, mixed.pcap (default /tmp/bench; made with the
#                                commands of ../shared/bench/README.md when missing, which needs root)
# env:   REPEAT=N  rounds (default 3; every round runs each command once, interleaved, so a busy moment hits
#                  all of them); the median wall time and the largest peak RSS of the rounds are reported
#        CAPTURES="hs bulk"  which captures (default: hs bulk mixed)
#        SKIP_TSHARK=1, SKIP_NDPI=1  leave the slow peers out
# Peers that are not installed are listed as such (Suricata is not in Debian 12's main archive for every
# architecture; `apt-get install suricata` adds it where it is).
# Output: per capture a Markdown table, then the targets of the fast-path issue with the measured ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/bench}
repeat=${REPEAT:-3}
captures=${CAPTURES:-hs bulk mixed}
shared=$(cd .. && pwd)/shared/bench

if [ ! -f "$dir/real.pcap" ] && [ ! -f "$dir/hs.pcap" ]; then
	echo "run.sh: making the reference captures in $dir (../shared/bench/capture.sh, needs root)" >&2
	"$shared/capture.sh" "$dir" >&2
fi
for v in $captures; do
	[ -f "$dir/$v.pcap" ] || /usr/bin/python3 "$shared/amplify.py" --in "$dir/real.pcap" \
		--manifest "$dir/real_manifest.jsonl" --preset "$v" --seed 1 --out "$dir/$v.pcap" >&2
done

[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench >/dev/null
tool=$PWD/build-bench/src/cli/tlsaudit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/bench.db

have() { command -v "$1" >/dev/null 2>&1; }

# One timed run: "wall_s rss_kib" of the command (its output discarded).
timed() {
	/usr/bin/time -o "$tmp/t" -f "%e %M" "$@" >/dev/null 2>&1 || true
	tail -n 1 "$tmp/t"
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

declare -A cmd
names=()
add() { # name command-string
	names+=("$1")
	cmd[$1]=$2
}

for v in $captures; do
	cap=$dir/$v.pcap
	names=()
	add "tcpdump -r F -w /dev/null" "tcpdump -r $cap -w /dev/null"
	add "openssl dgst -sha256 F" "openssl dgst -sha256 $cap"
	add "tlsaudit read F" "rm -f $db $db-wal $db-shm; exec $tool read -q --db $db $cap"
	add "tlsaudit read --no-ndpi F" "rm -f $db $db-wal $db-shm; exec $tool read -q --no-ndpi --db $db $cap"
	if [ "${SKIP_NDPI:-0}" != 1 ] && have ndpiReader; then add "ndpiReader -i F -q" "ndpiReader -q -i $cap"; fi
	if have suricata; then
		add "suricata --runmode single (TLS log)" "rm -rf $tmp/sur; mkdir $tmp/sur; exec suricata --runmode single -k none -r $cap -l $tmp/sur"
	fi
	if [ "${SKIP_TSHARK:-0}" != 1 ] && have tshark; then add "tshark -r F -Y tls.handshake" "tshark -n -r $cap -Y tls.handshake"; fi

	declare -A walls=() rss=()
	for _ in $(seq "$repeat"); do
		for n in "${names[@]}"; do
			read -r w m < <(timed bash -c "${cmd[$n]}")
			walls[$n]="${walls[$n]:-} $w"
			[ "${rss[$n]:-0}" -ge "$m" ] || rss[$n]=$m
		done
	done
	# what the database holds after the last read (the --no-ndpi one has the same rows)
	bash -c "${cmd["tlsaudit read F"]}" >/dev/null 2>&1
	conns=$(sqlite3 "$db" "select count(*) from connections")
	dbbytes=$(($(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0)))
	pkts=$(capinfos -Mc "$cap" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}')
	bytes=$(stat -c %s "$cap")

	declare -A med=()
	for n in "${names[@]}"; do med[$n]=$(tr ' ' '\n' <<<"${walls[$n]}" | grep . | median); done
	base=${med["tlsaudit read F"]}
	echo "### $v.pcap: $((bytes / 1000000)) MB, $pkts packets, $conns TLS connections stored; median of $repeat interleaved rounds"
	echo
	echo "| command | wall s | MB/s | packets/s | peak RSS MiB | its wall / tlsaudit read's |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for n in "${names[@]}"; do
		awk -v n="$n" -v w="${med[$n]}" -v b="$bytes" -v p="$pkts" -v m="${rss[$n]}" -v base="$base" 'BEGIN {
			printf "| `%s` | %.2f | %.0f | %.0f | %.1f | %.2fx |\n", n, w, b / 1e6 / w, p / w, m / 1024, w / base }'
	done
	have suricata || echo "| \`suricata --runmode single\` | not installed | | | | |"
	echo
	echo "database: $dbbytes bytes for $conns connections = $((conns ? dbbytes / conns : 0)) bytes per connection"
	echo
	r() { awk -v a="${med[$1]:-0}" -v b="${med[$2]:-0}" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
	case $v in
	hs)
		echo "targets: tlsaudit / ndpiReader $(r "tlsaudit read F" "ndpiReader -i F -q") (<= 0.10)," \
			"tlsaudit / tcpdump $(r "tlsaudit read F" "tcpdump -r F -w /dev/null") (<= 3)," \
			"bytes per connection $((conns ? dbbytes / conns : 0)) (<= 150)"
		;;
	bulk) echo "target: tlsaudit / openssl dgst $(r "tlsaudit read F" "openssl dgst -sha256 F") (<= 1.15)" ;;
	esac
	echo
	unset walls rss med
done
