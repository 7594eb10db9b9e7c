#!/usr/bin/env bash
# make-samples.sh - regenerate samples/*.pcap from REAL TLS stacks over loopback.
#
# Every sample is a tcpdump -i lo recording of openssl s_client/s_server,
# gnutls-cli and curl talking to each other on distinct 127.0.0.x addresses with
# fixed server ports (443). openssl s_client binds fixed client ports; curl gets
# a 10-port range per connection (it cannot reuse a port still in TIME_WAIT from
# an earlier run); gnutls-cli cannot bind at all, so its connections come from
# 127.0.0.1 with a kernel-chosen port. Versions, ciphers and outcomes are the
# same on every run; ports of curl/gnutls connections and timestamps are not.
#
# Usage:  sudo scripts/make-samples.sh [--no-golden]
#   OUT=dir  write the captures somewhere else (default: samples/)
#   --no-golden  do not rewrite tests/golden/expected/*.json
#
# After recording, each capture is dissected with tshark (through
# tests/golden/tshark_expect.py) and checked against what it must contain; the
# script exits non-zero if any check fails, and the old samples are left alone
# (captures are written to a temp dir and only moved into place when all pass).
#
# A throwaway RSA-2048 self-signed key/cert is created in the temp dir for each
# run and deleted afterwards; nothing secret is written to the repository.
# Needs: root (tcpdump on lo), openssl, gnutls-cli, curl, tcpdump, tshark, python3.

set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$REPO/samples}
GOLDEN=1
[[ ${1:-} == --no-golden ]] && GOLDEN=0

for t in openssl gnutls-cli curl tcpdump tshark python3 ss timeout flock; do
    command -v "$t" >/dev/null || { echo "make-samples: missing tool $t" >&2; exit 2; }
done
if [[ $(id -u) -ne 0 ]]; then
    echo "make-samples: must run as root (tcpdump -i lo)" >&2; exit 2
fi

# one run at a time (the captures use fixed loopback addresses and ports)
exec 9>/tmp/tlsaudit-make-samples.lock
flock -w 120 9 || { echo "make-samples: another run holds the lock" >&2; exit 2; }

TMP=$(mktemp -d /tmp/tlsaudit-samples.XXXXXX)
PIDS=()
TCPDUMP_PID=

cleanup() {
    local p
    if [[ -n $TCPDUMP_PID ]]; then kill -INT "$TCPDUMP_PID" 2>/dev/null || true; wait "$TCPDUMP_PID" 2>/dev/null || true; fi
    for p in "${PIDS[@]:-}"; do
        [[ -n $p ]] && kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]:-}"; do
        [[ -n $p ]] && wait "$p" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf 'make-samples: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- certificate
mkdir -p "$TMP/www" "$TMP/pcap"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
    -subj "/CN=mail.example.test" \
    -addext "subjectAltName=DNS:mail.example.test,DNS:cloud.example.test" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
printf 'ok\n' > "$TMP/www/ok.txt"
KEY=$TMP/key.pem CERT=$TMP/cert.pem

# ---------------------------------------------------------------- helpers
# wait until something listens on addr:port (checked with ss, no probe traffic)
wait_listen() {
    local addr=$1 port=$2 i
    for i in $(seq 1 100); do
        if ss -Hltn "src = $addr and sport = :$port" | grep -q .; then return 0; fi
        sleep 0.05
    done
    die "nothing listens on $addr:$port"
}

# server NAME ADDR PORT [extra s_server options]: openssl s_server serving ./ok.txt
server() {
    local name=$1 addr=$2 port=$3; shift 3
    (cd "$TMP/www" && exec openssl s_server -accept "$addr:$port" -cert "$CERT" -key "$KEY" \
        -WWW -quiet "$@" </dev/null >"$TMP/srv-$name.log" 2>&1) &
    PIDS+=($!)
    wait_listen "$addr" "$port"
}

stop_servers() {
    local p
    for p in "${PIDS[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]:-}"; do [[ -n $p ]] && wait "$p" 2>/dev/null || true; done
    PIDS=()
}

# capture_start FILE FILTER
capture_start() {
    local file=$1 filter=$2 i
    : >"$TMP/tcpdump.log"
    tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -Z root -n -w "$file" "$filter" 2>"$TMP/tcpdump.log" &
    TCPDUMP_PID=$!
    for i in $(seq 1 100); do
        grep -q 'listening on' "$TMP/tcpdump.log" && return 0
        kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump died: $(cat "$TMP/tcpdump.log")"
        sleep 0.05
    done
    die "tcpdump not ready"
}

capture_stop() {
    sleep 0.3                       # let the last FIN/ACKs reach the ring buffer
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || true
    TCPDUMP_PID=
    grep -E 'packets (captured|dropped by kernel)' "$TMP/tcpdump.log" | tr '\n' ' ' >&2; echo >&2
    if grep -qE '^[1-9][0-9]* packets dropped by kernel' "$TMP/tcpdump.log"; then
        DROPPED=1
    fi
}

REQ=$'GET /ok.txt HTTP/1.0\r\nHost: %s\r\n\r\n'

# sclient BIND_ADDR:PORT SERVER_ADDR:PORT EXPECT(ok|fail) [s_client options]
# sends one HTTP request, waits for the server to answer and close.
sclient() {
    local bind=$1 conn=$2 expect=$3 rc=0; shift 3
    # shellcheck disable=SC2059
    printf "$REQ" "${conn%:*}" | timeout 10 openssl s_client -bind "$bind" -connect "$conn" \
        -quiet -verify_quiet "$@" >"$TMP/cli.out" 2>"$TMP/cli.err" || rc=$?
    check_client "s_client $bind -> $conn $*" "$expect" "$rc"
}

# curlc BIND_ADDR LOCAL_PORT URL EXPECT [curl options]
# curl does not set SO_REUSEADDR, so a port still in TIME_WAIT from an earlier
# run cannot be bound; it gets the range LOCAL_PORT..LOCAL_PORT+9 and takes the
# first free one (the checks below accept the whole range).
curlc() {
    local addr=$1 lport=$2 url=$3 expect=$4 rc=0; shift 4
    timeout 10 curl -sS -k --interface "$addr" --local-port "$lport-$((lport + 9))" -o "$TMP/cli.out" "$@" "$url" \
        2>"$TMP/cli.err" || rc=$?
    check_client "curl $addr:$lport $url $*" "$expect" "$rc"
}

# gnutlsc SERVER_ADDR PORT EXPECT [gnutls-cli options]   (source 127.0.0.1, ephemeral port)
gnutlsc() {
    local addr=$1 port=$2 expect=$3 rc=0; shift 3
    # shellcheck disable=SC2059
    printf "$REQ" "$addr" | timeout 10 gnutls-cli --insecure -p "$port" "$@" "$addr" \
        >"$TMP/cli.out" 2>"$TMP/cli.err" || rc=$?
    check_client "gnutls-cli -> $addr:$port $*" "$expect" "$rc"
}

check_client() {
    local what=$1 expect=$2 rc=$3
    [[ $rc -eq 124 ]] && die "$what: timed out"
    if [[ $expect == ok ]]; then
        [[ $rc -eq 0 ]] || die "$what: exit $rc: $(tail -3 "$TMP/cli.err")"
        grep -q '^ok$' "$TMP/cli.out" || die "$what: no application data received"
    else
        [[ $rc -ne 0 ]] || die "$what: expected a failed handshake but it succeeded"
    fi
    sleep 0.1                       # keep connections apart in time (readable captures)
}

CAPS=()
begin() {                           # begin NAME FILTER
    CUR=$1
    log "recording $CUR"
    capture_start "$TMP/pcap/$CUR" "$2"
}
end() { capture_stop; stop_servers; }

# sample NAME FUNCTION: record a capture; if the kernel dropped packets (busy
# machine), record it again (up to 3 attempts) so no capture has holes.
sample() {
    local name=$1 fn=$2 try
    for try in 1 2 3; do
        DROPPED=0
        "$fn"
        if [[ $DROPPED -eq 0 ]]; then CAPS+=("$name"); return 0; fi
        log "$name: tcpdump reported kernel drops, recording again ($try/3)"
        sleep 1
    done
    die "$name: packets dropped in 3 attempts"
}

SEC0='DEFAULT@SECLEVEL=0'

# ---------------------------------------------------------------- (a) tls10-rejected
# The Exchange case: TLS 1.0-only clients (OpenSSL and GnuTLS) against an
# OpenSSL server that only speaks TLS 1.2 -> fatal protocol_version alert.
s_tls10_rejected() {
    server a 127.0.0.10 443 -tls1_2
    begin tls10-rejected.pcap 'tcp and host 127.0.0.10 and port 443'
    sclient 127.0.0.5:50101 127.0.0.10:443 fail -tls1 -cipher "$SEC0" -noservername
    gnutlsc 127.0.0.10 443 fail --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.0'
    end
}
sample tls10-rejected.pcap s_tls10_rejected

# ---------------------------------------------------------------- (b) tls11
s_tls11() {
    server b 127.0.0.10 443 -tls1_1 -cipher "$SEC0"
    begin tls11.pcap 'tcp and host 127.0.0.10 and port 443'
    sclient 127.0.0.2:50201 127.0.0.10:443 ok -tls1_1 -cipher "$SEC0" -noservername
    end
}
sample tls11.pcap s_tls11

# ---------------------------------------------------------------- (c) tls12-sni
s_tls12_sni() {
    server c 127.0.0.10 443 -tls1_2
    begin tls12-sni.pcap 'tcp and host 127.0.0.10 and port 443'
    curlc 127.0.0.2 50310 https://mail.example.test/ok.txt ok \
        --resolve mail.example.test:443:127.0.0.10 --tlsv1.2 --tls-max 1.2
    sclient 127.0.0.3:50302 127.0.0.10:443 ok -tls1_2 -servername mail.example.test
    end
}
sample tls12-sni.pcap s_tls12_sni

# ---------------------------------------------------------------- (d) tls13
# curl (OpenSSL) and gnutls-cli against OpenSSL s_server; gnutls-cli --resume
# makes a second connection that resumes with a TLS 1.3 PSK.
s_tls13() {
    server d 127.0.0.10 443
    begin tls13.pcap 'tcp and host 127.0.0.10 and port 443'
    curlc 127.0.0.2 50410 https://mail.example.test/ok.txt ok \
        --resolve mail.example.test:443:127.0.0.10 --tlsv1.3
    gnutlsc 127.0.0.10 443 ok --sni-hostname mail.example.test --resume
    end
}
sample tls13.pcap s_tls13

# ---------------------------------------------------------------- (e) multi-host
# 127.0.0.10:443  modern server: TLS 1.2 and 1.3 only (OpenSSL defaults otherwise)
# 127.0.0.11:443  legacy server: TLS 1.0 .. 1.2, SECLEVEL=0
s_multi_host() {
    server e10 127.0.0.10 443 -no_tls1 -no_tls1_1
    server e11 127.0.0.11 443 -no_tls1_3 -cipher "$SEC0"
    begin multi-host.pcap 'tcp and (host 127.0.0.10 or host 127.0.0.11) and port 443'
    curlc 127.0.0.2 50510 https://mail.example.test/ok.txt ok --resolve mail.example.test:443:127.0.0.10
    sclient 127.0.0.3:50502 127.0.0.10:443 fail -tls1 -cipher "$SEC0" -servername mail.example.test
    sclient 127.0.0.3:50503 127.0.0.10:443 ok -tls1_2 -servername mail.example.test   # after remediation
    sclient 127.0.0.4:50504 127.0.0.11:443 ok -tls1 -cipher "$SEC0" -servername legacy.example.test
    sclient 127.0.0.2:50505 127.0.0.11:443 ok -servername legacy.example.test
    sclient 127.0.0.4:50506 127.0.0.11:443 ok -tls1_1 -cipher "$SEC0" -noservername
    end
}
sample multi-host.pcap s_multi_host

# ---------------------------------------------------------------- (f) before / after
# "Exchange" 127.0.0.5 -> "cloud" 127.0.0.20:443 (TLS 1.2+ only).
s_before() {
    server f 127.0.0.20 443 -no_tls1 -no_tls1_1
    begin before.pcap 'tcp and host 127.0.0.20 and port 443'
    for p in 50601 50602 50603; do
        sclient "127.0.0.5:$p" 127.0.0.20:443 fail -tls1 -cipher "$SEC0" -servername cloud.example.test
    done
    end
}
sample before.pcap s_before
s_after() {
    server f 127.0.0.20 443 -no_tls1 -no_tls1_1
    begin after.pcap 'tcp and host 127.0.0.20 and port 443'
    for p in 50610 50620 50630; do
        curlc 127.0.0.5 "$p" https://cloud.example.test/ok.txt ok \
            --resolve cloud.example.test:443:127.0.0.20 --tlsv1.2 --tls-max 1.2
    done
    end
}
sample after.pcap s_after

# ---------------------------------------------------------------- self-check with tshark
# Each line: sample | client(ip:port or ip:*) | server | sni | legacy | max offered |
#            negotiated | alert | established | extra feature (or -)
cat >"$TMP/checks.txt" <<'EOF'
tls10-rejected.pcap|127.0.0.5:50101|127.0.0.10:443|-|TLS 1.0|-|-|protocol_version|false|-
tls10-rejected.pcap|127.0.0.1:*|127.0.0.10:443|-|TLS 1.0|-|-|protocol_version|false|-
tls11.pcap|127.0.0.2:50201|127.0.0.10:443|-|TLS 1.1|-|TLS 1.1|-|true|-
tls12-sni.pcap|127.0.0.2:50310-50319|127.0.0.10:443|mail.example.test|TLS 1.2|-|TLS 1.2|-|true|-
tls12-sni.pcap|127.0.0.3:50302|127.0.0.10:443|mail.example.test|TLS 1.2|-|TLS 1.2|-|true|-
tls13.pcap|127.0.0.2:50410-50419|127.0.0.10:443|mail.example.test|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-
tls13.pcap|127.0.0.1:*|127.0.0.10:443|mail.example.test|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-
tls13.pcap|127.0.0.1:*|127.0.0.10:443|mail.example.test|TLS 1.2|TLS 1.3|TLS 1.3|-|true|resumed_psk
multi-host.pcap|127.0.0.2:50510-50519|127.0.0.10:443|mail.example.test|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-
multi-host.pcap|127.0.0.3:50502|127.0.0.10:443|mail.example.test|TLS 1.0|-|-|protocol_version|false|-
multi-host.pcap|127.0.0.3:50503|127.0.0.10:443|mail.example.test|TLS 1.2|-|TLS 1.2|-|true|-
multi-host.pcap|127.0.0.4:50504|127.0.0.11:443|legacy.example.test|TLS 1.0|-|TLS 1.0|-|true|-
multi-host.pcap|127.0.0.2:50505|127.0.0.11:443|legacy.example.test|TLS 1.2|TLS 1.3|TLS 1.2|-|true|-
multi-host.pcap|127.0.0.4:50506|127.0.0.11:443|-|TLS 1.1|-|TLS 1.1|-|true|-
before.pcap|127.0.0.5:50601|127.0.0.20:443|cloud.example.test|TLS 1.0|-|-|protocol_version|false|-
before.pcap|127.0.0.5:50602|127.0.0.20:443|cloud.example.test|TLS 1.0|-|-|protocol_version|false|-
before.pcap|127.0.0.5:50603|127.0.0.20:443|cloud.example.test|TLS 1.0|-|-|protocol_version|false|-
after.pcap|127.0.0.5:50610-50619|127.0.0.20:443|cloud.example.test|TLS 1.2|-|TLS 1.2|-|true|-
after.pcap|127.0.0.5:50620-50629|127.0.0.20:443|cloud.example.test|TLS 1.2|-|TLS 1.2|-|true|-
after.pcap|127.0.0.5:50630-50639|127.0.0.20:443|cloud.example.test|TLS 1.2|-|TLS 1.2|-|true|-
EOF

log "checking captures with tshark"
python3 "$REPO/tests/golden/tshark_expect.py" --check "$TMP/checks.txt" "${CAPS[@]/#/$TMP/pcap/}" \
    || die "self-check failed; samples/ left unchanged"

# ---------------------------------------------------------------- install
mkdir -p "$OUT"
for c in "${CAPS[@]}"; do
    cp "$TMP/pcap/$c" "$OUT/$c"
done
log "wrote ${CAPS[*]} to $OUT"
if [[ $GOLDEN -eq 1 && $OUT == "$REPO/samples" ]]; then
    python3 "$REPO/tests/golden/tshark_expect.py" --write "$REPO/tests/golden/expected" "${CAPS[@]/#/$OUT/}"
    log "rewrote tests/golden/expected/*.json"
fi
ls -l "$OUT"/*.pcap >&2
