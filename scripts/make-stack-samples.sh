#!/usr/bin/env bash
# make-stack-samples.sh - record samples/stacks/*.pcap: one real ClientHello per file from each
# TLS client stack of Debian 12, with its default settings and with its version range narrowed.
#
# Each capture is a tcpdump -i lo recording of ONE connection from a client program to
# openssl s_server on 127.0.0.30:443 (TLS 1.0 .. 1.3 enabled, SECLEVEL=0 so old versions
# complete), started afresh for each capture. The client does the handshake and closes (curl,
# wget and tstclnt fetch /ok.txt first): the files hold a handshake, at most one small HTTP
# exchange and the close. scripts/make-stack-table.py reads
# the ClientHello of each file into src/stack/stack_table.c; tests/stack checks that the
# matcher names each one's family.
#
# Stacks: OpenSSL 3.0 (openssl s_client, curl 7.88, Python 3.11 ssl, Node.js's bundled copy),
# GnuTLS 3.7 (gnutls-cli, wget), NSS 3.87 (tstclnt), OpenJDK 17 SunJSSE (java, single-file
# source launch), Go 1.19 crypto/tls, mbed TLS 2.28 and wolfSSL 5.5 (tiny C clients).
# The helper clients live in scripts/stack-clients/.
#
# Usage:  sudo scripts/make-stack-samples.sh [NAME...]   (default: every variant)
#   OUT=dir  write the captures somewhere else (default: samples/stacks/)
# Needs: root (tcpdump on lo), openssl, curl, python3 (/usr/bin), node, gnutls-cli, wget,
# tstclnt (libnss3-tools), java (openjdk-17), go (golang-go), cc with libmbedtls-dev and
# libwolfssl-dev, tcpdump, tshark, ss, timeout, flock.
#
# A capture is only installed when tshark finds exactly one ClientHello in it, the highest
# version it offers is the one the variant asked for, and a ServerHello answered it.
# A throwaway P-256 key and certificate are made in a temp dir and deleted afterwards.

set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$REPO/samples/stacks}
CLIENTS=$REPO/scripts/stack-clients
ADDR=127.0.0.30
PORT=443
SNI=stack.example.test

for t in openssl curl /usr/bin/python3 node gnutls-cli wget tstclnt java go cc tcpdump tshark ss timeout flock; do
    command -v "$t" >/dev/null || { echo "make-stack-samples: missing tool $t" >&2; exit 2; }
done
if [[ $(id -u) -ne 0 ]]; then
    echo "make-stack-samples: must run as root (tcpdump -i lo)" >&2; exit 2
fi

exec 9>/tmp/tlsaudit-make-stack-samples.lock
flock -w 120 9 || { echo "make-stack-samples: another run holds the lock" >&2; exit 2; }

TMP=$(mktemp -d /tmp/tlsaudit-stacks.XXXXXX)
SERVER_PID=
TCPDUMP_PID=
cleanup() {
    if [[ -n $TCPDUMP_PID ]]; then kill -INT "$TCPDUMP_PID" 2>/dev/null || true; wait "$TCPDUMP_PID" 2>/dev/null || true; fi
    if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf 'make-stack-samples: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- server, helper clients
mkdir -p "$TMP/www" "$TMP/pcap" "$TMP/bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -sha256 \
    -subj "/CN=$SNI" -addext "subjectAltName=DNS:$SNI" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
printf 'ok\n' >"$TMP/www/ok.txt"
printf "GET /ok.txt HTTP/1.0\r\n\r\n" >"$TMP/req.txt"

# a fresh server for each capture (a client that leaves s_server -WWW waiting must not
# stall the next one)
server_start() {
    local i
    (cd "$TMP/www" && exec openssl s_server -accept "$ADDR:$PORT" -cert "$TMP/cert.pem" -key "$TMP/key.pem" \
        -WWW -quiet -cipher 'ALL:@SECLEVEL=0' </dev/null >"$TMP/server.log" 2>&1) &
    SERVER_PID=$!
    for i in $(seq 1 100); do
        ss -Hltn "src = $ADDR and sport = :$PORT" | grep -q . && return 0
        sleep 0.05
    done
    die "s_server does not listen: $(cat "$TMP/server.log")"
}
server_stop() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

cc -O1 -o "$TMP/bin/mbedtls_client" "$CLIENTS/mbedtls_client.c" -lmbedtls -lmbedx509 -lmbedcrypto
cc -O1 -o "$TMP/bin/wolfssl_client" "$CLIENTS/wolfssl_client.c" -lwolfssl
(cd "$TMP" && GOPATH=$TMP/go GOCACHE=$TMP/gocache GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=off \
    go build -o "$TMP/bin/go_client" "$CLIENTS/stack_client.go")
cp "$CLIENTS/StackClient.java" "$TMP/"

# JSSE refuses TLS 1.0/1.1 through jdk.tls.disabledAlgorithms (since 8u291/11.0.11); the
# narrowed Java variants re-enable them the way an administrator would: the same list with
# TLSv1 and TLSv1.1 taken out (everything else, e.g. 3DES and anon, stays disabled).
JAVA_SEC=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/conf/security/java.security
/usr/bin/python3 - "$JAVA_SEC" >"$TMP/java-old.security" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'^jdk\.tls\.disabledAlgorithms=((?:.*\\\n)*.*)$', text, re.M)
items = [x.strip() for x in re.sub(r'\\\n\s*', '', m.group(1)).split(',')]
print('jdk.tls.disabledAlgorithms=' + ', '.join(x for x in items if x not in ('TLSv1', 'TLSv1.1')))
EOF

URL=https://$SNI/ok.txt
RESOLVE=(--resolve "$SNI:$PORT:$ADDR")
SEC0='DEFAULT:@SECLEVEL=0'
JAVA=(java -Djava.security.properties="$TMP/java-old.security")

# ---------------------------------------------------------------- variants
# NAME | highest version offered | command (run with bash -c in $TMP, stdin /dev/null)
# Names: <stack>-<version>-<program>[-<what differs from its defaults>].
cat >"$TMP/variants.txt" <<EOF
openssl-3.0-s_client|1.3|openssl s_client -connect $ADDR:$PORT -servername $SNI
openssl-3.0-s_client-nosni|1.3|openssl s_client -connect $ADDR:$PORT -noservername
openssl-3.0-s_client-alpn|1.3|openssl s_client -connect $ADDR:$PORT -servername $SNI -alpn h2,http/1.1
openssl-3.0-s_client-tls1_2|1.2|openssl s_client -connect $ADDR:$PORT -servername $SNI -tls1_2
openssl-3.0-s_client-tls1_1|1.1|openssl s_client -connect $ADDR:$PORT -servername $SNI -tls1_1 -cipher '$SEC0'
openssl-3.0-s_client-tls1|1.0|openssl s_client -connect $ADDR:$PORT -servername $SNI -tls1 -cipher '$SEC0'
openssl-3.0-curl|1.3|curl -sSk ${RESOLVE[*]} -o /dev/null $URL
openssl-3.0-curl-http1.1|1.3|curl -sSk ${RESOLVE[*]} --http1.1 -o /dev/null $URL
openssl-3.0-curl-tls1_2|1.2|curl -sSk ${RESOLVE[*]} --tlsv1.2 --tls-max 1.2 -o /dev/null $URL
openssl-3.0-curl-tls1|1.0|curl -sSk ${RESOLVE[*]} --tlsv1.0 --tls-max 1.0 --ciphers '$SEC0' -o /dev/null $URL
openssl-3.0-python3.11|1.3|/usr/bin/python3 $CLIENTS/stack_client.py $ADDR $PORT $SNI
openssl-3.0-python3.11-alpn|1.3|/usr/bin/python3 $CLIENTS/stack_client.py $ADDR $PORT $SNI - h2,http/1.1
openssl-3.0-python3.11-tls1_2|1.2|/usr/bin/python3 $CLIENTS/stack_client.py $ADDR $PORT $SNI 1.2
openssl-3.0-python3.11-tls1|1.0|/usr/bin/python3 $CLIENTS/stack_client.py $ADDR $PORT $SNI 1.0
openssl-3.0-node20|1.3|node $CLIENTS/stack_client.js $ADDR $PORT $SNI
openssl-3.0-node20-nosni-alpn|1.3|node $CLIENTS/stack_client.js $ADDR $PORT - - h2,http/1.1
openssl-3.0-node20-tls1_2|1.2|node $CLIENTS/stack_client.js $ADDR $PORT $SNI TLSv1.2
openssl-3.0-node20-tls1|1.0|node $CLIENTS/stack_client.js $ADDR $PORT $SNI TLSv1
gnutls-3.7-gnutls-cli|1.3|gnutls-cli --insecure -p $PORT --sni-hostname $SNI $ADDR
gnutls-3.7-gnutls-cli-nosni|1.3|gnutls-cli --insecure -p $PORT --disable-sni $ADDR
gnutls-3.7-gnutls-cli-alpn|1.3|gnutls-cli --insecure -p $PORT --sni-hostname $SNI --alpn h2 --alpn http/1.1 $ADDR
gnutls-3.7-gnutls-cli-tls1_2|1.2|gnutls-cli --insecure -p $PORT --sni-hostname $SNI --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 $ADDR
gnutls-3.7-gnutls-cli-tls1_1|1.1|gnutls-cli --insecure -p $PORT --sni-hostname $SNI --priority NORMAL:-VERS-ALL:+VERS-TLS1.1 $ADDR
gnutls-3.7-gnutls-cli-tls1|1.0|gnutls-cli --insecure -p $PORT --sni-hostname $SNI --priority NORMAL:-VERS-ALL:+VERS-TLS1.0 $ADDR
gnutls-3.7-wget|1.3|wget -q --no-check-certificate -O /dev/null https://$ADDR/ok.txt
gnutls-3.7-wget-tls1_2|1.2|wget -q --no-check-certificate --ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.2 -O /dev/null https://$ADDR/ok.txt
gnutls-3.7-wget-tls1|1.0|wget -q --no-check-certificate --ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.0 -O /dev/null https://$ADDR/ok.txt
nss-3.87-tstclnt|1.3|tstclnt -D -o -A $TMP/req.txt -h $ADDR -p $PORT -a $SNI
nss-3.87-tstclnt-nosni|1.3|tstclnt -D -o -A $TMP/req.txt -h $ADDR -p $PORT
nss-3.87-tstclnt-tls1_2|1.2|tstclnt -D -o -A $TMP/req.txt -h $ADDR -p $PORT -a $SNI -V tls1.0:tls1.2
nss-3.87-tstclnt-tls1|1.0|tstclnt -D -o -A $TMP/req.txt -h $ADDR -p $PORT -a $SNI -V tls1.0:tls1.0
java-17-jsse|1.3|java StackClient.java $ADDR $PORT $SNI -
java-17-jsse-nosni|1.3|java StackClient.java $ADDR $PORT - -
java-17-jsse-alpn|1.3|java StackClient.java $ADDR $PORT $SNI h2,http/1.1
java-17-jsse-tls1_2|1.2|java -Djdk.tls.client.protocols=TLSv1.2 StackClient.java $ADDR $PORT $SNI -
java-17-jsse-tls1_1|1.1|${JAVA[*]} -Djdk.tls.client.protocols=TLSv1.1 StackClient.java $ADDR $PORT $SNI -
java-17-jsse-tls1|1.0|${JAVA[*]} -Djdk.tls.client.protocols=TLSv1 StackClient.java $ADDR $PORT $SNI -
go-1.19-crypto_tls|1.3|$TMP/bin/go_client -addr $ADDR:$PORT -sni $SNI
go-1.19-crypto_tls-nosni-alpn|1.3|$TMP/bin/go_client -addr $ADDR:$PORT -alpn h2,http/1.1
go-1.19-crypto_tls-tls1_2|1.2|$TMP/bin/go_client -addr $ADDR:$PORT -sni $SNI -max 1.2
go-1.19-crypto_tls-tls1|1.0|$TMP/bin/go_client -addr $ADDR:$PORT -sni $SNI -max 1.0
mbedtls-2.28-client|1.2|$TMP/bin/mbedtls_client $ADDR $PORT $SNI
mbedtls-2.28-client-tls1|1.0|$TMP/bin/mbedtls_client $ADDR $PORT $SNI 1.0
wolfssl-5.5-client|1.3|$TMP/bin/wolfssl_client $ADDR $PORT $SNI
wolfssl-5.5-client-tls1_2|1.2|$TMP/bin/wolfssl_client $ADDR $PORT $SNI 1.2
EOF

capture_start() {
    local file=$1 i
    : >"$TMP/tcpdump.log"
    tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -Z root -n -w "$file" \
        "tcp and host $ADDR and port $PORT" 2>"$TMP/tcpdump.log" &
    TCPDUMP_PID=$!
    for i in $(seq 1 100); do
        grep -q 'listening on' "$TMP/tcpdump.log" && return 0
        kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump died: $(cat "$TMP/tcpdump.log")"
        sleep 0.05
    done
    die "tcpdump not ready"
}

capture_stop() {
    sleep 0.3
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || true
    TCPDUMP_PID=
    ! grep -qE '^[1-9][0-9]* packets dropped by kernel' "$TMP/tcpdump.log"
}

# check FILE WANT_MAX: one ClientHello whose highest offered version is WANT_MAX, and a ServerHello
check() {
    local file=$1 want=$2 n sv legacy max
    n=$(tshark -r "$file" -Y 'tls.handshake.type == 1' -T fields -e frame.number 2>/dev/null | wc -l)
    [[ $n -eq 1 ]] || { log "$file: $n ClientHellos"; return 1; }
    tshark -r "$file" -Y 'tls.handshake.type == 2' -T fields -e frame.number 2>/dev/null | grep -q . \
        || { log "$file: no ServerHello"; return 1; }
    read -r legacy sv < <(tshark -r "$file" -Y 'tls.handshake.type == 1' -T fields -E separator=' ' \
        -e tls.handshake.version -e tls.handshake.extensions.supported_version 2>/dev/null)
    # highest non-GREASE supported_versions entry, else legacy_version
    max=$legacy
    if [[ -n ${sv:-} ]]; then
        max=$(tr ',' '\n' <<<"$sv" | grep -viE '^0x([0-9a-f])a\1a$' | sort | tail -1)
    fi
    case $want in 1.0) want=0x0301 ;; 1.1) want=0x0302 ;; 1.2) want=0x0303 ;; 1.3) want=0x0304 ;; esac
    [[ $max == "$want" ]] || { log "$file: highest offered $max, want $want"; return 1; }
}

want_names=("$@")
selected() {
    local n
    [[ ${#want_names[@]} -eq 0 ]] && return 0
    for n in "${want_names[@]}"; do [[ $n == "$1" ]] && return 0; done
    return 1
}

DONE=()
while IFS='|' read -r name max cmd; do
    selected "$name" || continue
    ok=0
    for try in 1 2 3; do
        server_start
        capture_start "$TMP/pcap/$name.pcap"
        rc=0
        (cd "$TMP" && timeout 30 bash -c "$cmd" </dev/null >"$TMP/cli.out" 2>"$TMP/cli.err") || rc=$?
        capture_stop || { server_stop; log "$name: kernel drops, again"; continue; }
        server_stop
        [[ $rc -eq 0 ]] || die "$name: client exit $rc: $(tail -3 "$TMP/cli.err")"
        if check "$TMP/pcap/$name.pcap" "$max"; then ok=1; break; fi
        die "$name: capture check failed"
    done
    [[ $ok -eq 1 ]] || die "$name: no clean capture in 3 attempts"
    log "$name: ok ($(head -c 60 "$TMP/cli.out" | tr '\n' ' '))"
    DONE+=("$name")
    sleep 0.1
done <"$TMP/variants.txt"

mkdir -p "$OUT"
for n in "${DONE[@]}"; do cp "$TMP/pcap/$n.pcap" "$OUT/$n.pcap"; done
log "wrote ${#DONE[@]} captures to $OUT"
