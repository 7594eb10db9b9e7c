#!/usr/bin/env bash
# probe.sh - wall time of `tlsaudit probe` (five versions, SSL 3.0 .. TLS 1.3) and of `testssl.sh -p` (protocols
# only) on the same local servers, one after the other in the same run, and whether they agree on the versions
# accepted. Servers: openssl s_server limited to each version and to 1.2-1.3, gnutls-serv with a priority
# string, an SMTP STARTTLS responder (tests/probe/responders.py) in front of Python's TLS 1.2-1.3.
#
# usage: bench/probe.sh            (REPEAT=5: best of 5 tlsaudit runs; testssl runs once per target;
#        TLSAUDIT=path: that binary instead of a release build in build-bench)
# Needs openssl; gnutls-serv and testssl.sh are used when installed. Results: a Markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${REPEAT:-5}
if [ -z "${TLSAUDIT:-}" ]; then
	[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release >/dev/null
	ninja -C build-bench >/dev/null
fi
tool=${TLSAUDIT:-build-bench/src/cli/tlsaudit}
testssl=$(command -v testssl || command -v testssl.sh || true)
out=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$out"
}
trap cleanup EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/key.pem" -out "$out/cert.pem" -days 2 -subj /CN=localhost \
	>/dev/null 2>&1

port=24430
declare -a names targets starttls
add() { # name target starttls
	names+=("$1")
	targets+=("$2")
	starttls+=("$3")
}
for cfg in "tls1:-tls1" "tls1_1:-tls1_1" "tls1_2:-tls1_2" "tls1_3:-tls1_3" "tls1_2-1_3:-min_protocol TLSv1.2"; do
	port=$((port + 1))
	# shellcheck disable=SC2086
	openssl s_server -accept "$port" -cert "$out/cert.pem" -key "$out/key.pem" -quiet -cipher 'ALL:@SECLEVEL=0' \
		${cfg#*:} < <(sleep 3600) >/dev/null 2>&1 & # stdin open and silent: s_server sends what it reads
	pids+=($!)
	add "openssl ${cfg#*:}" "127.0.0.1:$port" ""
done
if command -v gnutls-serv >/dev/null; then
	port=$((port + 1))
	gnutls-serv --port "$port" --x509certfile "$out/cert.pem" --x509keyfile "$out/key.pem" --disable-client-cert \
		--priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1' >/dev/null 2>&1 &
	pids+=($!)
	add "gnutls 1.1-1.2" "127.0.0.1:$port" ""
fi
port=$((port + 1))
python3 -c "
import sys, time
sys.path.insert(0, 'tests/probe')
import responders as R
R.Server(R.smtp(R.tls_context('$out/cert.pem', '$out/key.pem', 'TLS 1.2', 'TLS 1.3')), port=$port)
time.sleep(3600)" &
pids+=($!)
add "smtp STARTTLS (Python 1.2-1.3)" "127.0.0.1:$port" "smtp"
sleep 1

best() { # cmd... -> best wall time in seconds over $repeat runs
	local b=""
	for _ in $(seq "$repeat"); do
		local t0 t1 t
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s.%N)
		t=$(awk "BEGIN {printf \"%.3f\", $t1 - $t0}")
		if [ -z "$b" ] || awk "BEGIN {exit !($t < $b)}"; then b=$t; fi
	done
	echo "$b"
}

echo "| server | tlsaudit probe: accepted | tlsaudit wall s (best of $repeat) | testssl -p: offered | testssl wall s | agree |"
echo "|---|---|---:|---|---:|---|"
for i in "${!names[@]}"; do
	t=${targets[$i]}
	st=()
	[ -n "${starttls[$i]}" ] && st=(--starttls "${starttls[$i]}")
	acc=$("$tool" probe --no-store --json "${st[@]}" "$t" | python3 -c 'import json,sys; print(", ".join(json.load(sys.stdin)["accepted"]))')
	ours=$(best "$tool" probe --no-store -q "${st[@]}" "$t")
	offered="-" theirs="-" agree="-"
	if [ -n "$testssl" ]; then
		rm -f "$out/ts.json"
		t0=$(date +%s.%N)
		"$testssl" -p --quiet --color 0 --nodns none --warnings off --jsonfile "$out/ts.json" "${st[@]}" "$t" \
			>/dev/null 2>&1 || true
		t1=$(date +%s.%N)
		theirs=$(awk "BEGIN {printf \"%.2f\", $t1 - $t0}")
		offered=$(python3 -c '
import json, sys
ids = {"SSLv2": "SSL 2.0", "SSLv3": "SSL 3.0", "TLS1": "TLS 1.0", "TLS1_1": "TLS 1.1", "TLS1_2": "TLS 1.2", "TLS1_3": "TLS 1.3"}
order = list(ids.values())
got = {ids[f["id"]] for f in json.load(open(sys.argv[1])) if f.get("id") in ids and f["finding"].startswith("offered")}
print(", ".join(sorted(got, key=order.index)))' "$out/ts.json")
		[ "$offered" = "$acc" ] && agree=yes || agree=NO
	fi
	echo "| ${names[$i]} | $acc | $ours | $offered | $theirs | $agree |"
done
