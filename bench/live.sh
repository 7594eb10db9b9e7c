#!/bin/bash
# live.sh - live-capture load run: tcpreplay replays a large capture over a veth pair at increasing
# rates; `tlsaudit capture` on the other end, then tcpdump -w /dev/null at the same rates. Prints a
# markdown table (packets sent, received, kernel drops, achieved packets/s). Not a timed test.
# usage: bench/live.sh TLSAUDIT [RATES_PPS...]   (as root; default rates 10000 25000 50000 100000 200000 0=topspeed)
# env: TLSAUDIT_OPTS="--no-ndpi" extra capture options; BENCH_CAPTURE=file (default: built with bench/make_capture.py from samples/ and ../shared/corpus)
set -eu
TLSAUDIT=$(readlink -f "$1"); shift
RATES=${*:-10000 25000 50000 100000 200000 0}
SRC=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/tlsaudit-bench.XXXXXX); chmod 755 "$TMP"; mkdir "$TMP/db"; chown nobody "$TMP/db"
NA=tabenchA$$; NB=tabenchB$$
cleanup() { ip netns pids $NA 2>/dev/null | xargs -r kill 2>/dev/null; ip netns pids $NB 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
CAP=${BENCH_CAPTURE:-$TMP/bench.pcap}
if [ ! -e "$CAP" ]; then
	python3 "$SRC/bench/make_capture.py" "$CAP" --copies 100 --concurrent 256 "$SRC"/samples/*.pcap \
		"$SRC"/../shared/corpus/pcaps/*.pcap >&2
fi
ip netns add $NA; ip netns add $NB
ip link add vrep netns $NA type veth peer name vcap netns $NB
ip -n $NA link set vrep up; ip -n $NB link set vcap up
ip -n $NA link set vrep mtu 9000; ip -n $NB link set vcap mtu 9000   # jumbo template frames
PKTS=$(capinfos -c -M "$CAP" | awk '/Number of packets/ {print $NF}')
echo "capture: $CAP, $PKTS packets, $(stat -c %s "$CAP") bytes; $(nproc) cores" >&2
echo "| tool | rate (pps asked) | sent | captured (analyzed) | kernel drops | achieved pkt/s |"
echo "| --- | --- | --- | --- | --- | --- |"
replay() { # rate -> "sent pps"
	local opt="--pps=$1"; [ "$1" = 0 ] && opt="--topspeed"
	# -K: the capture is preloaded into memory, so the replayer reads no file while it sends
	ip netns exec $NA tcpreplay -q -K -i vrep $opt "$CAP" 2>&1 |
		awk '/Actual:/ {for (i=1;i<=NF;i++) if ($i=="packets") s=$(i-1); t=$(NF-1); gsub(/\(/,"",t)} /Rated:/ {for (i=1;i<=NF;i++) if ($i ~ /pps/) p=$(i-1)} END {print s, p}'
}
for r in $RATES; do
	db=$TMP/db/r$r.db
	ip netns exec $NB "$TLSAUDIT" capture -i vcap -Z nobody --db "$db" -q ${TLSAUDIT_OPTS:-} 2>"$TMP/err" &
	pid=$!; sleep 1
	read -r sent pps < <(replay "$r")
	sleep 2; kill -TERM $pid; wait $pid || true
	read -r recv drops < <(sqlite3 "$db" "select packets, kernel_drops + if_drops from captures order by id desc limit 1" | tr '|' ' ')
	echo "| tlsaudit capture | ${r/#0/topspeed} | $sent | $recv | $drops | $pps |"
	ip netns exec $NB tcpdump -q -i vcap -w /dev/null -Z nobody 2>"$TMP/td" &
	pid=$!; sleep 1
	read -r sent pps < <(replay "$r")
	sleep 2; kill -INT $pid; wait $pid || true
	trecv=$(awk '/packets captured/ {print $1}' "$TMP/td"); tdrop=$(awk '/dropped by kernel/ {print $1}' "$TMP/td")
	echo "| tcpdump -w /dev/null | ${r/#0/topspeed} | $sent | $trecv | $tdrop | $pps |"
done
