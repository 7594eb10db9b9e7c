"""responders.py - small servers for the probe tests, all on loopback and made by the test: a TLS server behind
each STARTTLS dialogue (Python's ssl module, limited to the versions given), and servers that answer a
ClientHello with an alert, a reset, silence or HTTP. Each runs in daemon threads of the test process.
specification of the dialogues: RFC 3207 (SMTP), RFC 3501 6.2.1 (IMAP), RFC 2595 4 (POP3), RFC 4217 (FTP),
RFC 4511 4.14 (LDAP), RFC 6120 5.4 (XMPP), PostgreSQL 53.2.9 (SSLRequest), MySQL Protocol::SSLRequest."""
import socket
import ssl
import struct
import threading
import warnings

VERSIONS = {"TLS 1.0": "TLSv1", "TLS 1.1": "TLSv1_1", "TLS 1.2": "TLSv1_2", "TLS 1.3": "TLSv1_3"}


def tls_context(cert, key, lo, hi):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = getattr(ssl.TLSVersion, VERSIONS[lo])
        ctx.maximum_version = getattr(ssl.TLSVersion, VERSIONS[hi])
    return ctx


def recv_line(c, limit=4096):
    b = b""
    while not b.endswith(b"\n") and len(b) < limit:
        x = c.recv(1)
        if not x:
            break
        b += x
    return b


def recv_n(c, n):
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            break
        b += x
    return b


def recv_record(c):
    h = recv_n(c, 5)
    if len(h) < 5:
        return h
    return h + recv_n(c, struct.unpack("!H", h[3:5])[0])


class Server:
    """listen on (host, port) (0: any free port), run handler(conn) for each connection in its own thread"""

    def __init__(self, handler, host="127.0.0.1", port=0):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.conns = 0
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns += 1
            threading.Thread(target=self.one, args=(c,), daemon=True).start()

    def one(self, c):
        c.settimeout(10)
        try:
            self.handler(c)
        except Exception:
            pass
        try:
            c.close()
        except OSError:
            pass


def then_tls(ctx, c):
    s = ctx.wrap_socket(c, server_side=True)
    s.close()


# ---- STARTTLS dialogues (server side) ----

def smtp(ctx, refuse=None):
    def h(c):
        c.sendall(b"220 mx.test ESMTP ready\r\n")
        while True:
            line = recv_line(c)
            if not line:
                return
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                c.sendall(b"250-mx.test greets you\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
            elif cmd == b"STARTTLS":
                if refuse:
                    c.sendall(refuse)
                    continue
                c.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                return then_tls(ctx, c)
            elif cmd == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"502 5.5.2 command not recognized\r\n")
    return h


def imap(ctx):
    def h(c):
        c.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
        line = recv_line(c)
        tag = line.split()[0]
        c.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS\r\n" + tag + b" OK Begin TLS negotiation now\r\n")
        then_tls(ctx, c)
    return h


def pop3(ctx, refuse=False):
    def h(c):
        c.sendall(b"+OK POP3 ready\r\n")
        line = recv_line(c)
        if refuse or line.strip().upper() != b"STLS":
            c.sendall(b"-ERR TLS not available here\r\n")
            recv_line(c)
            return
        c.sendall(b"+OK Begin TLS\r\n")
        then_tls(ctx, c)
    return h


def ftp(ctx):
    def h(c):
        c.sendall(b"220-Welcome\r\n220 FTP ready\r\n")
        line = recv_line(c)
        if line.strip().upper() != b"AUTH TLS":
            c.sendall(b"504 no\r\n")
            return
        c.sendall(b"234 AUTH TLS OK\r\n")
        then_tls(ctx, c)
    return h


def ldap(ctx):
    oid = b"1.3.6.1.4.1.1466.20037"

    def h(c):
        req = recv_n(c, 2)
        req += recv_n(c, req[1])
        if oid not in req:
            return
        mid = req[4]
        # ExtendedResponse: resultCode success, matchedDN "", diagnosticMessage "", responseName = the OID
        body = b"\x0a\x01\x00\x04\x00\x04\x00" + b"\x8a" + bytes([len(oid)]) + oid
        op = b"\x78" + bytes([len(body)]) + body
        msg = b"\x02\x01" + bytes([mid]) + op
        c.sendall(b"\x30" + bytes([len(msg)]) + msg)
        then_tls(ctx, c)
    return h


def xmpp(ctx):
    def h(c):
        b = b""
        while b"<stream:stream" not in b or b.find(b">", b.find(b"<stream:stream")) < 0:
            x = c.recv(1024)
            if not x:
                return
            b += x
        c.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream="
                  b"'http://etherx.jabber.org/streams' id='1' from='xmpp.test' version='1.0'>"
                  b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                  b"</stream:features>")
        b = b""
        while b"/>" not in b:
            x = c.recv(1024)
            if not x:
                return
            b += x
        c.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        then_tls(ctx, c)
    return h


def postgresql(ctx, refuse=False):
    def h(c):
        req = recv_n(c, 8)
        if req != b"\x00\x00\x00\x08\x04\xd2\x16\x2f":
            return
        c.sendall(b"N" if refuse else b"S")
        if not refuse:
            then_tls(ctx, c)
        else:
            recv_n(c, 1)
    return h


def mysql(ctx):
    def h(c):
        caps = 0x0800 | 0x0200 | 0x8000 | 0x0001
        payload = (b"\x0a" + b"8.0.36-test\x00" + struct.pack("<I", 7) + b"abcdefgh" + b"\x00" +
                   struct.pack("<H", caps & 0xffff) + b"\x2d" + struct.pack("<H", 2) + struct.pack("<H", caps >> 16) +
                   b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00" + b"mysql_native_password\x00")
        c.sendall(struct.pack("<I", len(payload))[:3] + b"\x00" + payload)
        req = recv_n(c, 36)
        if len(req) < 36 or not (struct.unpack("<I", req[4:8])[0] & 0x0800):
            return
        then_tls(ctx, c)
    return h


# ---- servers that are not (quite) TLS ----

def client_hello_version(rec):
    """the version a ClientHello offers at most: supported_versions' highest, else legacy_version"""
    if len(rec) < 11 or rec[0] != 22:
        return 0
    legacy = struct.unpack("!H", rec[9:11])[0]
    return 0x0304 if b"\x00\x2b\x00\x03\x02\x03\x04" in rec else legacy


def alert_tls10():
    """a TLS 1.2-only server written by hand: TLS 1.0 hellos get a protocol_version alert, TLS 1.2 hellos a
    ServerHello for TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xC02F), the rest handshake_failure"""
    def h(c):
        v = client_hello_version(recv_record(c))
        if v == 0x0301:
            c.sendall(b"\x15\x03\x01\x00\x02\x02\x46")
        elif v == 0x0303:
            body = b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\xc0\x2f" + b"\x00" + b"\x00\x05\xff\x01\x00\x01\x00"
            hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
            c.sendall(b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs)
        else:
            c.sendall(b"\x15\x03\x03\x00\x02\x02\x28")
        recv_n(c, 1)
    return h


def reset():
    def h(c):
        recv_record(c)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return h


def silent(stop):
    def h(c):
        recv_record(c)
        stop.wait(30)
    return h


def http(banner):
    def h(c):
        recv_record(c)
        c.sendall(banner)
    return h
