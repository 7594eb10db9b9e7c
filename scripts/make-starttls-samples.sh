#!/usr/bin/env bash
# make-starttls-samples.sh - record STARTTLS upgrades (TLS started in-band) made by REAL
# client stacks over loopback:
#
#   samples/starttls.pcap               10 accepted upgrades: SMTP, IMAP, POP3, FTP, LDAP
#   samples/smtp-starttls-refused.pcap  1 SMTP session whose STARTTLS gets "454 4.7.0"
#
# Servers are small responders written here in Python 3 (standard library: socket + ssl)
# that speak the plaintext dialogue and then wrap the connection with ssl.SSLContext (a
# real OpenSSL 3.0 server stack): SMTP 127.0.0.25:25, IMAP 127.0.0.143:143, POP3
# 127.0.0.110:110, FTP 127.0.0.21:21, LDAP 127.0.0.89:389, and a refusing SMTP
# 127.0.0.26:25. Clients are `openssl s_client -starttls PROTO` (from 127.0.0.2) and
# Python's smtplib / imaplib / poplib / ftplib (from 127.0.0.3), each bound to a fixed
# source port (s_client -bind; Python through a SO_REUSEADDR socket so a port still in
# TIME_WAIT from an earlier run can be bound again). After the upgrade every connection
# sends commands over TLS, gets the answers, and ends with QUIT/LOGOUT/unbind, a
# close_notify from both sides and FIN. Versions, ciphers, 4-tuples and outcomes are the
# same on every run; timestamps, randoms, IMAP tags (imaplib) are not.
#
# Usage:  sudo scripts/make-starttls-samples.sh [--no-golden]
#   OUT=dir  write the captures somewhere else (default: samples/)
#   --no-golden  do not rewrite tests/golden/expected/{starttls,smtp-starttls-refused}.pcap.json
#
# Self-check: each capture is dissected with tshark (tests/golden/tshark_expect.py) and
# must hold exactly the connections listed below (version, STARTTLS protocol as tshark's
# smtp/imap/pop/ftp/ldap dissectors see the dialogue); the refused capture must show
# EHLO, STARTTLS -> 454, QUIT -> 221 and no TLS record at all. Captures go to a temp dir
# and are only moved into place when every check passes.
#
# Golden files: starttls.pcap.json is derived from tshark (tshark_expect.py --write).
# smtp-starttls-refused.pcap.json has NO TLS for tshark_expect.py to derive from: its
# connection is hand-written (see tests/golden/README.md) and only its capture pin
# (bytes, sha256) and ts are refreshed here (tshark_expect.py --repin), after the
# dialogue check above has passed.
#
# A throwaway RSA-2048 self-signed key/cert is made in the temp dir and deleted after the
# run; nothing secret is written to the repository. Takes ~10 s.
# Needs: root (tcpdump on lo), openssl, python3 (>= 3.8), tcpdump, tshark, ss, timeout, flock.

set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$REPO/samples}
GOLDEN=1
[[ ${1:-} == --no-golden ]] && GOLDEN=0
EXPECT=$REPO/tests/golden/tshark_expect.py

for t in openssl tcpdump tshark python3 ss timeout flock od; do
    command -v "$t" >/dev/null || { echo "make-starttls-samples: missing tool $t" >&2; exit 2; }
done
if [[ $(id -u) -ne 0 ]]; then
    echo "make-starttls-samples: must run as root (tcpdump -i lo)" >&2; exit 2
fi

# one sample run at a time (shared with make-samples.sh)
exec 9>/tmp/tlsaudit-make-samples.lock
flock -w 120 9 || { echo "make-starttls-samples: another run holds the lock" >&2; exit 2; }

TMP=$(mktemp -d /tmp/tlsaudit-starttls.XXXXXX)
PIDS=()
TCPDUMP_PID=

cleanup() {
    local p
    if [[ -n $TCPDUMP_PID ]]; then kill -INT "$TCPDUMP_PID" 2>/dev/null || true; wait "$TCPDUMP_PID" 2>/dev/null || true; fi
    for p in "${PIDS[@]:-}"; do if [[ -n $p ]]; then kill "$p" 2>/dev/null || true; fi; done
    for p in "${PIDS[@]:-}"; do if [[ -n $p ]]; then wait "$p" 2>/dev/null || true; fi; done
    [[ -n ${KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf 'make-starttls-samples: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- certificate
mkdir -p "$TMP/pcap"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
    -subj "/CN=mail.example.test" \
    -addext "subjectAltName=DNS:mail.example.test,DNS:imap.example.test,DNS:pop.example.test,DNS:ftp.example.test,DNS:ldap.example.test" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null

# ---------------------------------------------------------------- the Python server
cat >"$TMP/responder.py" <<'PYEOF'
"""STARTTLS responder: plaintext dialogue, then ssl.SSLContext.wrap_socket (server side).

usage: responder.py smtp|imap|pop3|ftp|ldap ADDR PORT CERT KEY [--tls10] [--refuse]
Serves one connection at a time until killed. --tls10 also allows TLS 1.0/1.1 with
DEFAULT@SECLEVEL=0; --refuse (smtp) answers STARTTLS with 454 4.7.0.
"""
import socket
import ssl
import sys

proto, addr, port, cert, key = sys.argv[1:6]
opts = set(sys.argv[6:])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
if "--tls10" in opts:
    ctx.set_ciphers("DEFAULT@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1
REFUSE = "--refuse" in opts
STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"


class Conn:
    def __init__(self, s):
        self.s = s
        self.tls = False

    def line(self):
        """one line (bytes up to LF), read byte by byte so nothing after it is consumed"""
        buf = b""
        while not buf.endswith(b"\n"):
            b = self.s.recv(1)
            if not b:
                break
            buf += b
        return buf

    def exact(self, n):
        buf = b""
        while len(buf) < n:
            b = self.s.recv(n - len(buf))
            if not b:
                raise EOFError("peer closed")
            buf += b
        return buf

    def send(self, data):
        self.s.sendall(data.encode() if isinstance(data, str) else data)

    def starttls(self):
        self.s = ctx.wrap_socket(self.s, server_side=True)
        self.tls = True

    def finish(self):
        """close_notify (and wait for the client's), then FIN"""
        if self.tls:
            try:
                self.s = self.s.unwrap()
            except (OSError, ValueError):
                pass


def words(line):
    w = line.decode("latin-1").strip().split(" ", 1)
    return w[0].upper(), (w[1] if len(w) > 1 else "")


def smtp(c):
    c.send("220 mail.example.test ESMTP tlsaudit-sample\r\n")
    while True:
        line = c.line()
        if not line:
            return
        cmd, _ = words(line)
        if cmd == "EHLO":
            ext = ["PIPELINING", "SIZE 10240000", "8BITMIME"] + ([] if c.tls else ["STARTTLS"])
            c.send("250-mail.example.test\r\n" + "".join(
                ("250 " if i == len(ext) - 1 else "250-") + e + "\r\n" for i, e in enumerate(ext)))
        elif cmd == "STARTTLS" and REFUSE:
            c.send("454 4.7.0 TLS not available due to temporary reason\r\n")
        elif cmd == "STARTTLS" and not c.tls:
            c.send("220 2.0.0 Ready to start TLS\r\n")
            c.starttls()
        elif cmd == "NOOP":
            c.send("250 2.0.0 OK\r\n")
        elif cmd == "QUIT":
            c.send("221 2.0.0 Bye\r\n")
            c.finish()
            return
        else:
            c.send("502 5.5.2 Command not recognized\r\n")


def imap(c):
    c.send("* OK imap.example.test IMAP4rev1 tlsaudit-sample ready\r\n")
    while True:
        line = c.line()
        if not line:
            return
        parts = line.decode("latin-1").strip().split(" ")
        tag, cmd = parts[0], (parts[1].upper() if len(parts) > 1 else "")
        if cmd == "CAPABILITY":
            caps = "IMAP4rev1 AUTH=PLAIN" if c.tls else "IMAP4rev1 STARTTLS LOGINDISABLED"
            c.send(f"* CAPABILITY {caps}\r\n{tag} OK CAPABILITY completed\r\n")
        elif cmd == "STARTTLS" and not c.tls:
            c.send(f"{tag} OK Begin TLS negotiation now\r\n")
            c.starttls()
        elif cmd == "NOOP":
            c.send(f"{tag} OK NOOP completed\r\n")
        elif cmd == "LOGOUT":
            c.send(f"* BYE imap.example.test logging out\r\n{tag} OK LOGOUT completed\r\n")
            c.finish()
            return
        else:
            c.send(f"{tag} BAD unknown command\r\n")


def pop3(c):
    c.send("+OK pop.example.test POP3 tlsaudit-sample ready\r\n")
    while True:
        line = c.line()
        if not line:
            return
        cmd, _ = words(line)
        if cmd == "CAPA":
            caps = ["USER", "UIDL", "TOP"] + ([] if c.tls else ["STLS"])
            c.send("+OK Capability list follows\r\n" + "".join(x + "\r\n" for x in caps) + ".\r\n")
        elif cmd == "STLS" and not c.tls:
            c.send("+OK Begin TLS negotiation\r\n")
            c.starttls()
        elif cmd == "NOOP":
            c.send("+OK\r\n")
        elif cmd == "QUIT":
            c.send("+OK pop.example.test signing off\r\n")
            c.finish()
            return
        else:
            c.send("-ERR unknown command\r\n")


def ftp(c):
    c.send("220 ftp.example.test FTP server (tlsaudit-sample) ready\r\n")
    while True:
        line = c.line()
        if not line:
            return
        cmd, arg = words(line)
        if cmd == "AUTH" and arg.upper() == "TLS" and not c.tls:
            c.send("234 AUTH TLS successful\r\n")
            c.starttls()
        elif cmd == "PBSZ":
            c.send("200 PBSZ=0\r\n")
        elif cmd == "PROT":
            c.send("200 Protection level set to P\r\n")
        elif cmd == "SYST":
            c.send("215 UNIX Type: L8\r\n")
        elif cmd == "FEAT":
            c.send("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n")
        elif cmd == "NOOP":
            c.send("200 NOOP ok\r\n")
        elif cmd == "QUIT":
            c.send("221 Goodbye.\r\n")
            c.finish()
            return
        else:
            c.send("502 Command not implemented.\r\n")


# ---- LDAP (RFC 4511), BER with definite lengths
def ber(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + content


def ldap_result(msgid, op, code=0, extra=b""):
    """LDAPMessage { messageID, op = [APPLICATION op] { resultCode, matchedDN "", diagnosticMessage "" ... } }"""
    body = ber(0x0A, bytes([code])) + ber(0x04, b"") + ber(0x04, b"") + extra
    return ber(0x30, ber(0x02, bytes([msgid])) + ber(op, body))


def ldap_read(c):
    """one LDAPMessage -> (messageID, protocolOp tag, protocolOp content) or None at EOF"""
    try:
        hdr = c.exact(2)
    except EOFError:
        return None
    if hdr[0] != 0x30:
        raise ValueError(f"not an LDAPMessage: {hdr.hex()}")
    n = hdr[1]
    if n & 0x80:
        n = int.from_bytes(c.exact(n & 0x7F), "big")
    msg = c.exact(n)
    if msg[0] != 0x02:
        raise ValueError("no messageID")
    ilen = msg[1]
    msgid = int.from_bytes(msg[2:2 + ilen], "big")
    op = msg[2 + ilen:]
    olen, off = op[1], 2
    if olen & 0x80:
        off = 2 + (olen & 0x7F)
        olen = int.from_bytes(op[2:off], "big")
    return msgid, op[0], op[off:off + olen]


def ldap(c):
    while True:
        m = ldap_read(c)
        if m is None:
            return
        msgid, op, body = m
        if op == 0x77:                      # ExtendedRequest
            name = body[2:2 + body[1]] if body[:1] == b"\x80" else b""
            if name == STARTTLS_OID and not c.tls:
                # ExtendedResponse [APPLICATION 24]: success, responseName [10] = the StartTLS OID
                c.send(ldap_result(msgid, 0x78, 0, ber(0x8A, STARTTLS_OID)))
                c.starttls()
            else:
                c.send(ldap_result(msgid, 0x78, 2))          # protocolError
        elif op == 0x60:                    # BindRequest -> BindResponse success
            c.send(ldap_result(msgid, 0x61, 0))
        elif op == 0x42:                    # UnbindRequest: the server closes
            c.finish()
            return
        else:
            c.send(ldap_result(msgid, 0x78, 2))


HANDLERS = {"smtp": smtp, "imap": imap, "pop3": pop3, "ftp": ftp, "ldap": ldap}
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, int(port)))
ls.listen(8)
while True:
    s, peer = ls.accept()
    s.settimeout(10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)     # one reply, one segment
    conn = Conn(s)
    try:
        HANDLERS[proto](conn)
        print(f"{proto} {peer[0]}:{peer[1]} done tls={conn.tls}", flush=True)
    except Exception as e:                  # noqa: BLE001 - log and serve the next client
        print(f"{proto} {peer[0]}:{peer[1]} error: {e!r}", flush=True)
    finally:
        try:
            conn.s.close()
        except OSError:
            pass
PYEOF

# ---------------------------------------------------------------- the Python clients
cat >"$TMP/client.py" <<'PYEOF'
"""Python standard-library STARTTLS clients (smtplib, imaplib, poplib, ftplib).

usage: client.py smtp|imap|pop3|ftp SRC_IP SRC_PORT DST_IP DST_PORT [--tls12] [--refused]
--tls12 caps the client at TLS 1.2; --refused (smtp) expects STARTTLS to be refused with
454 and then QUITs. Prints one line and exits 0 when the dialogue went as expected.
"""
import ftplib
import imaplib
import poplib
import smtplib
import socket
import ssl
import sys

proto, sip, sport, dip, dport = sys.argv[1:6]
opts = set(sys.argv[6:])
SRC = (sip, int(sport))


def create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **_kw):
    """socket.create_connection bound to SRC with SO_REUSEADDR (the libraries call this)"""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(10 if timeout is socket._GLOBAL_DEFAULT_TIMEOUT or timeout is None else timeout)
        s.bind(SRC)
        s.connect(address)
    except OSError:
        s.close()
        raise
    return s


socket.create_connection = create_connection

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if "--tls12" in opts:
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2


def close_tls(sock):
    """send close_notify and read the server's (it sends its own after the last reply)"""
    try:
        sock.unwrap()
    except (OSError, ValueError):
        pass


if proto == "smtp":
    s = smtplib.SMTP(dip, int(dport), local_hostname="client.example.test", timeout=10)
    s.ehlo()
    if "--refused" in opts:
        try:
            s.starttls(context=ctx)
        except smtplib.SMTPResponseException as e:
            assert e.smtp_code == 454, e
            code, _ = s.docmd("QUIT")
            assert code == 221, code
            s.close()
            print(f"smtp STARTTLS refused: {e.smtp_code} {e.smtp_error.decode()}; QUIT -> {code}")
            sys.exit(0)
        sys.exit("smtp: STARTTLS was accepted but should have been refused")
    s.starttls(context=ctx)
    s.ehlo()
    ver = s.sock.version()
    assert s.noop()[0] == 250
    code, _ = s.docmd("QUIT")
    assert code == 221, code
    close_tls(s.sock)
    s.close()
elif proto == "imap":
    m = imaplib.IMAP4(dip, int(dport), timeout=10)
    m.starttls(ssl_context=ctx)
    ver = m.sock.version()
    assert m.noop()[0] == "OK"
    m.state = "LOGOUT"
    typ, _ = m._simple_command("LOGOUT")
    assert typ in ("OK", "BYE"), typ
    close_tls(m.sock)
    m.file.close()
    m.sock.close()
elif proto == "pop3":
    p = poplib.POP3(dip, int(dport), timeout=10)
    p.stls(context=ctx)
    ver = p.sock.version()
    p.capa()
    resp = p._shortcmd("QUIT")
    assert resp.startswith(b"+OK"), resp
    close_tls(p.sock)
    p.file.close()
    p.sock.close()
elif proto == "ftp":
    f = ftplib.FTP_TLS(context=ctx, timeout=10)
    f.connect(dip, int(dport))
    f.auth()
    ver = f.sock.version()
    f.prot_p()
    assert f.sendcmd("SYST").startswith("215")
    assert f.sendcmd("QUIT").startswith("221")
    close_tls(f.sock)
    f.file.close()
    f.sock.close()
else:
    sys.exit(f"unknown protocol {proto}")
print(f"{proto} upgraded to {ver}, session closed")
PYEOF

# ---------------------------------------------------------------- helpers
# wait until something listens on addr:port (checked with ss, no probe traffic)
wait_listen() {
    local addr=$1 port=$2 _
    for _ in $(seq 1 100); do
        if ss -Hltn "src = $addr and sport = :$port" | grep -q .; then return 0; fi
        sleep 0.05
    done
    die "nothing listens on $addr:$port ($(cat "$TMP"/srv-*.log 2>/dev/null | tail -3))"
}

# responder PROTO ADDR PORT [--tls10] [--refuse]
responder() {
    local proto=$1 addr=$2 port=$3; shift 3
    python3 -u "$TMP/responder.py" "$proto" "$addr" "$port" "$TMP/cert.pem" "$TMP/key.pem" "$@" \
        </dev/null >"$TMP/srv-$proto-$addr.log" 2>&1 &
    PIDS+=($!)
    wait_listen "$addr" "$port"
}

stop_servers() {
    local p
    for p in "${PIDS[@]:-}"; do if [[ -n $p ]]; then kill "$p" 2>/dev/null || true; fi; done
    for p in "${PIDS[@]:-}"; do if [[ -n $p ]]; then wait "$p" 2>/dev/null || true; fi; done
    PIDS=()
}

# capture_start FILE FILTER
capture_start() {
    local file=$1 filter=$2 _
    : >"$TMP/tcpdump.log"
    tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -Z root -n -w "$file" "$filter" 2>"$TMP/tcpdump.log" &
    TCPDUMP_PID=$!
    for _ in $(seq 1 100); do
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

# sclient BIND_ADDR:PORT SERVER_ADDR:PORT PROTO EXPECT_REGEX INPUT [s_client options]
# openssl s_client -starttls PROTO; INPUT (printf format) is sent over TLS after the
# upgrade; -quiet implies -ign_eof, so s_client waits for the server's close_notify/FIN.
# EXPECT_REGEX must appear in what the server sent back over TLS (hex for ldap).
sclient() {
    local bind=$1 conn=$2 proto=$3 want=$4 input=$5 rc=0; shift 5
    # shellcheck disable=SC2059
    printf "$input" | timeout 10 openssl s_client -bind "$bind" -connect "$conn" -starttls "$proto" \
        -quiet -verify_quiet "$@" >"$TMP/cli.out" 2>"$TMP/cli.err" || rc=$?
    local what="s_client -starttls $proto $bind -> $conn $*"
    [[ $rc -eq 124 ]] && die "$what: timed out"
    [[ $rc -eq 0 ]] || die "$what: exit $rc: $(tail -3 "$TMP/cli.err")"
    if [[ $proto == ldap ]]; then
        od -An -v -tx1 "$TMP/cli.out" | tr -d ' \n' | grep -Eq "$want" \
            || die "$what: reply $want not received"
    else
        grep -Eq "$want" "$TMP/cli.out" || die "$what: reply /$want/ not received: $(head -c 300 "$TMP/cli.out")"
    fi
    log "  ok: $what"
    sleep 0.1                       # keep connections apart in time (readable captures)
}

# pyclient PROTO SRC_IP SRC_PORT DST_IP DST_PORT [--tls12] [--refused]
pyclient() {
    local rc=0 what="python $1 $2:$3 -> $4:$5 ${*:6}"
    timeout 10 python3 "$TMP/client.py" "$@" >"$TMP/cli.out" 2>"$TMP/cli.err" || rc=$?
    [[ $rc -eq 124 ]] && die "$what: timed out"
    [[ $rc -eq 0 ]] || die "$what: exit $rc: $(tail -3 "$TMP/cli.err")"
    log "  ok: $what: $(cat "$TMP/cli.out")"
    sleep 0.1
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
LDAP_BIND='\x30\x0c\x02\x01\x02\x60\x07\x02\x01\x03\x04\x00\x80\x00'   # msg 2: anonymous simple bind, LDAPv3
LDAP_UNBIND='\x30\x05\x02\x01\x03\x42\x00'                              # msg 3: unbind
LDAP_BIND_OK='300c02010261070a010004000400'                              # msg 2: BindResponse success

# ---------------------------------------------------------------- (a) starttls.pcap
s_starttls() {
    responder smtp 127.0.0.25 25
    responder imap 127.0.0.143 143
    responder pop3 127.0.0.110 110 --tls10
    responder ftp 127.0.0.21 21
    responder ldap 127.0.0.89 389
    begin starttls.pcap 'tcp and (host 127.0.0.25 or host 127.0.0.143 or host 127.0.0.110 or host 127.0.0.21 or host 127.0.0.89)'
    # SMTP: OpenSSL capped at TLS 1.2, OpenSSL defaults (TLS 1.3), Python smtplib (TLS 1.3)
    sclient 127.0.0.2:51025 127.0.0.25:25 smtp '^221 ' 'EHLO client.example.test\nNOOP\nQUIT\n' \
        -crlf -name client.example.test -servername mail.example.test -tls1_2
    sclient 127.0.0.2:51026 127.0.0.25:25 smtp '^221 ' 'EHLO client.example.test\nNOOP\nQUIT\n' \
        -crlf -name client.example.test -servername mail.example.test
    pyclient smtp 127.0.0.3 51027 127.0.0.25 25
    # IMAP: OpenSSL (TLS 1.3), Python imaplib capped at TLS 1.2
    sclient 127.0.0.2:51143 127.0.0.143:143 imap '^a2 OK LOGOUT' 'a1 CAPABILITY\na2 LOGOUT\n' \
        -crlf -servername imap.example.test
    pyclient imap 127.0.0.3 51144 127.0.0.143 143 --tls12
    # POP3: OpenSSL TLS 1.0 (SECLEVEL=0 on both sides), Python poplib (TLS 1.3)
    sclient 127.0.0.2:51110 127.0.0.110:110 pop3 'signing off' 'CAPA\nQUIT\n' \
        -crlf -noservername -tls1 -cipher "$SEC0"
    pyclient pop3 127.0.0.3 51111 127.0.0.110 110
    # FTP (control connection only): OpenSSL (TLS 1.3), Python ftplib capped at TLS 1.2
    sclient 127.0.0.2:51021 127.0.0.21:21 ftp '^221 ' 'SYST\nQUIT\n' -crlf -servername ftp.example.test
    pyclient ftp 127.0.0.3 51022 127.0.0.21 21 --tls12
    # LDAP StartTLS extended operation: OpenSSL (TLS 1.3), then bind + unbind over TLS
    sclient 127.0.0.2:51389 127.0.0.89:389 ldap "$LDAP_BIND_OK" "$LDAP_BIND$LDAP_UNBIND" \
        -servername ldap.example.test
    end
}
sample starttls.pcap s_starttls

# ---------------------------------------------------------------- (b) smtp-starttls-refused.pcap
# Python smtplib: EHLO (server offers STARTTLS), STARTTLS -> 454 4.7.0, QUIT -> 221.
# (openssl s_client cannot be used here: it ignores the reply to STARTTLS and sends a
# ClientHello anyway.)
s_refused() {
    responder smtp 127.0.0.26 25 --refuse
    begin smtp-starttls-refused.pcap 'tcp and host 127.0.0.26'
    pyclient smtp 127.0.0.3 51225 127.0.0.26 25 --refused
    end
}
sample smtp-starttls-refused.pcap s_refused

# ---------------------------------------------------------------- self-check with tshark
# sample | client | server | sni | legacy | max offered | negotiated | alert | established |
# feature | starttls (as tshark's smtp/imap/pop/ftp/ldap dissectors see the dialogue)
cat >"$TMP/checks.txt" <<'EOF'
starttls.pcap|127.0.0.2:51025|127.0.0.25:25|mail.example.test|TLS 1.2|-|TLS 1.2|-|true|-|smtp
starttls.pcap|127.0.0.2:51026|127.0.0.25:25|mail.example.test|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-|smtp
starttls.pcap|127.0.0.3:51027|127.0.0.25:25|-|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-|smtp
starttls.pcap|127.0.0.2:51143|127.0.0.143:143|imap.example.test|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-|imap
starttls.pcap|127.0.0.3:51144|127.0.0.143:143|-|TLS 1.2|-|TLS 1.2|-|true|-|imap
starttls.pcap|127.0.0.2:51110|127.0.0.110:110|-|TLS 1.0|-|TLS 1.0|-|true|-|pop3
starttls.pcap|127.0.0.3:51111|127.0.0.110:110|-|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-|pop3
starttls.pcap|127.0.0.2:51021|127.0.0.21:21|ftp.example.test|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-|ftp
starttls.pcap|127.0.0.3:51022|127.0.0.21:21|-|TLS 1.2|-|TLS 1.2|-|true|-|ftp
starttls.pcap|127.0.0.2:51389|127.0.0.89:389|ldap.example.test|TLS 1.2|TLS 1.3|TLS 1.3|-|true|-|ldap
EOF

log "checking captures with tshark"
python3 "$EXPECT" --check "$TMP/checks.txt" "$TMP/pcap/starttls.pcap" \
    || die "self-check failed; samples/ left unchanged"
# the refused session: one TCP connection, no TLS record, and this dialogue
python3 "$EXPECT" --dialogue "$TMP/pcap/smtp-starttls-refused.pcap" >"$TMP/refused.txt" \
    || die "tshark dialogue dump failed"
cat >"$TMP/refused.want" <<'EOF'
stream 0 127.0.0.3:51225 -> 127.0.0.26:25 tls_records=0 fin=true
  server 220 mail.example.test ESMTP tlsaudit-sample
  client ehlo client.example.test
  server 250 mail.example.test | PIPELINING | SIZE 10240000 | 8BITMIME | STARTTLS
  client STARTTLS
  server 454 4.7.0 TLS not available due to temporary reason
  client QUIT
  server 221 2.0.0 Bye
EOF
diff -u "$TMP/refused.want" "$TMP/refused.txt" >&2 || die "smtp-starttls-refused.pcap: unexpected dialogue"
log "ok smtp-starttls-refused.pcap: EHLO, STARTTLS -> 454 4.7.0, QUIT -> 221, no TLS"

# ---------------------------------------------------------------- install
mkdir -p "$OUT"
for c in "${CAPS[@]}"; do
    cp "$TMP/pcap/$c" "$OUT/$c"
done
log "wrote ${CAPS[*]} to $OUT"
if [[ $GOLDEN -eq 1 && $OUT == "$REPO/samples" ]]; then
    python3 "$EXPECT" --write "$REPO/tests/golden/expected" "$OUT/starttls.pcap"
    REFUSED_JSON=$REPO/tests/golden/expected/smtp-starttls-refused.pcap.json
    if [[ -f $REFUSED_JSON ]]; then
        python3 "$EXPECT" --repin "$REFUSED_JSON" "$OUT/smtp-starttls-refused.pcap"
    else
        log "WARNING: $REFUSED_JSON is missing (it is hand-written, see tests/golden/README.md)"
    fi
    log "rewrote tests/golden/expected/starttls.pcap.json, re-pinned smtp-starttls-refused.pcap.json"
fi
ls -l "${CAPS[@]/#/$OUT/}" >&2
