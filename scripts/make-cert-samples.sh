#!/usr/bin/env bash
# make-cert-samples.sh - record TLS 1.2 handshakes whose server certificate is
# self-signed or expired (issue 3, "certificates sent in clear"; RFC 5280, RFC 5246 7.4.2).
#
#   cert-selfsigned.pcap  EC P-256 leaf, self-signed, valid now, SANs DNS + IPv4 + IPv6,
#                         server 127.0.0.30:8443
#   cert-expired.pcap     RSA-2048 leaf signed by a throwaway CA, valid 2020-01-01 ..
#                         2020-02-01 (made with `openssl ca -startdate/-enddate`; OpenSSL
#                         3.0's x509 has no -not_before), chain of 2, server 127.0.0.31:8443
#
# Each is one `openssl s_server -tls1_2` / `openssl s_client -tls1_2` exchange over
# loopback, recorded with tcpdump -i lo. The leaf certificates (public) are written
# next to the captures as cert-*.pem so tests/cert/cert_test.py can compare tlsaudit
# with `openssl x509 -text`; keys live in a temp dir and are deleted.
#
# Usage:  sudo scripts/make-cert-samples.sh [OUTDIR]     (default: samples/)
# Needs: root (tcpdump on lo), openssl, tcpdump, timeout. Takes ~5 s.
set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$REPO/samples}
for t in openssl tcpdump timeout; do
    command -v "$t" >/dev/null || { echo "make-cert-samples: missing tool $t" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "make-cert-samples: must run as root (tcpdump -i lo)" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [[ -n ${KEEP_TMP:-} ]] || rm -rf "$TMP"' EXIT
cd "$TMP"

# --- certificates -----------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ss.key -days 30 \
    -subj "/O=tlsaudit samples/CN=selfsigned.example.test" \
    -addext "subjectAltName=DNS:selfsigned.example.test,DNS:*.selfsigned.example.test,IP:127.0.0.30,IP:2001:db8::30" \
    -out ss.pem 2>/dev/null

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -days 3650 -subj "/O=tlsaudit samples/CN=tlsaudit Test CA" \
    -out ca.pem 2>/dev/null
mkdir -p ca/new && : > ca/index.txt && echo 1000 > ca/serial
cat > ca.cnf <<'EOF'
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = ./ca
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
organizationName = optional
EOF
openssl req -new -newkey rsa:2048 -nodes -keyout ex.key -subj "/O=tlsaudit samples/CN=expired.example.test" \
    -addext "subjectAltName=DNS:expired.example.test" -out ex.csr 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in ex.csr -out ex.crt \
    -startdate 20200101000000Z -enddate 20200201000000Z -notext 2>/dev/null
openssl x509 -in ex.crt -out ex.pem

# --- one recorded handshake ----------------------------------------------------------
# record NAME IP CERT KEY [CHAIN]
record() {
    local name=$1 ip=$2 cert=$3 key=$4 chain=${5:-}
    local pcap="$TMP/$name.pcap"
    : > "$TMP/tcpdump.log"
    tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -Z root -n -w "$pcap" "host $ip and tcp port 8443" \
        2>"$TMP/tcpdump.log" &
    local tcpd=$! i
    for i in $(seq 50); do
        grep -q 'listening on' "$TMP/tcpdump.log" && break
        sleep 0.1
    done
    local extra=()
    [[ -n $chain ]] && extra=(-cert_chain "$chain")
    openssl s_server -tls1_2 -accept "$ip:8443" -cert "$cert" -key "$key" "${extra[@]}" -www -naccept 1 \
        >/dev/null 2>&1 &
    local srv=$!
    # wait until the server listens (a loaded machine may take longer than any fixed sleep)
    for i in $(seq 100); do
        ss -Hltn "sport = :8443" | grep -q "$ip:8443" && break
        sleep 0.1
    done
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -tls1_2 -connect "$ip:8443" -ign_eof \
        >/dev/null 2>&1 || true
    wait "$srv" 2>/dev/null || true
    sleep 0.5
    kill "$tcpd"; wait "$tcpd" 2>/dev/null || true
    [[ $(stat -c %s "$pcap") -gt 24 ]] || { echo "make-cert-samples: $name: nothing recorded" >&2; exit 1; }
}
record cert-selfsigned 127.0.0.30 ss.pem ss.key
record cert-expired 127.0.0.31 ex.pem ex.key ca.pem

# --- self-check: the certificate went over the wire in clear ----------------------------
for n in cert-selfsigned cert-expired; do
    # the leaf's DER must appear verbatim in the capture
    der_hex=$(openssl x509 -in "$( [[ $n == cert-selfsigned ]] && echo ss.pem || echo ex.pem)" -outform DER | od -An -v -tx1 | tr -d ' \n')
    cap_hex=$(od -An -v -tx1 "$n.pcap" | tr -d ' \n')
    [[ $cap_hex == *"$der_hex"* ]] || { echo "make-cert-samples: $n: leaf certificate not in the capture" >&2; exit 1; }
done

mkdir -p "$OUT"
cp cert-selfsigned.pcap cert-expired.pcap "$OUT"/
cp ss.pem "$OUT/cert-selfsigned.pem"
cp ex.pem "$OUT/cert-expired.pem"
echo "make-cert-samples: wrote $OUT/cert-selfsigned.{pcap,pem} $OUT/cert-expired.{pcap,pem}"
