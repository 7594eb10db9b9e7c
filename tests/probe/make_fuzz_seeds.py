#!/usr/bin/env python3
"""make_fuzz_seeds.py - write the seed inputs of the `probe` fuzz target (tests/fuzz/fuzz_probe.c) into
tests/fuzz/seeds/probe: one server side of each STARTTLS dialogue (accepted and refused) and server answers to a
probe hello (ServerHello TLS 1.2 and 1.3, HelloRetryRequest, alerts, SSLv2 SERVER-HELLO, HTTP). Byte 0: bit 7 set
= judge (bits 4-5: 0 deadline, 1 closed, 2 reset), clear = dialogue; byte 1: version index (judge) or protocol
index (smtp imap pop3 ftp ldap xmpp postgresql mysql). usage: make_fuzz_seeds.py [OUTDIR]"""
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz",
                                                            "seeds", "probe")
os.makedirs(out, exist_ok=True)


def server_hello(legacy, cipher, selected=None, hrr=False):
    rnd = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c") if hrr else bytes(range(32))
    body = struct.pack("!H", legacy) + rnd + (b"\x20" + b"\x55" * 32 if selected else b"\x00")
    body += struct.pack("!HB", cipher, 0)
    if selected:
        ks = struct.pack("!HH", 51, 2) + struct.pack("!H", 0x17) if hrr else \
            struct.pack("!HHHH", 51, 36, 0x1d, 32) + b"\x09" * 32
        ext = struct.pack("!HHH", 43, 2, selected) + ks
        body += struct.pack("!H", len(ext)) + ext
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


mysql_hs = (b"\x0a8.0.36-test\x00" + struct.pack("<I", 7) + b"abcdefgh\x00" + struct.pack("<H", 0x8a01) + b"\x2d" +
            struct.pack("<HH", 2, 0) + b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00mysql_native_password\x00")
ldap_ok = b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
seeds = {
    # dialogues (byte 0 = 0x00)
    "smtp-accepted": (0, 0, b"220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n220 2.0.0 Ready\r\n"),
    "smtp-454": (0, 0, b"220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n"),
    "smtp-554-greeting": (0, 0, b"554 no service here\r\n"),
    "imap-accepted": (0, 1, b"* OK ready\r\n* CAPABILITY IMAP4rev1\r\na1 OK Begin TLS\r\n"),
    "imap-no": (0, 1, b"* OK ready\r\na1 NO not now\r\n"),
    "pop3-accepted": (0, 2, b"+OK ready\r\n+OK Begin TLS\r\n"),
    "pop3-err": (0, 2, b"+OK ready\r\n-ERR no\r\n"),
    "ftp-accepted": (0, 3, b"220-Welcome\r\n220 ready\r\n234 AUTH TLS OK\r\n"),
    "ldap-accepted": (0, 4, ldap_ok),
    "ldap-refused": (0, 4, b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00"),
    "xmpp-proceed": (0, 5, b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream="
                           b"'http://etherx.jabber.org/streams' version='1.0'><stream:features><starttls xmlns="
                           b"'urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
                           b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    "xmpp-failure": (0, 5, b"<stream:stream><stream:features/><failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    "postgresql-s": (0, 6, b"S"),
    "postgresql-n": (0, 6, b"N"),
    "mysql-ssl": (0, 7, struct.pack("<I", len(mysql_hs))[:3] + b"\x00" + mysql_hs),
    "mysql-error": (0, 7, b"\x17\x00\x00\x00\xff\x6a\x04Host is not allowed"),
    # the judge (byte 0 = 0x80 | end << 4)
    "sh-tls12": (0x90, 4, server_hello(0x0303, 0xC02F)),
    "sh-tls13": (0x80, 5, server_hello(0x0303, 0x1302, 0x0304)),
    "hrr": (0x80, 5, server_hello(0x0303, 0x1301, 0x0304, hrr=True)),
    "sh-other-version": (0x90, 3, server_hello(0x0301, 0xC014)),
    "alert-fatal": (0x90, 2, b"\x15\x03\x01\x00\x02\x02\x46"),
    "alert-warning-then-sh": (0x80, 4, b"\x15\x03\x03\x00\x02\x01\x70" + server_hello(0x0303, 0xC02F)),
    "sslv2-server-hello": (0x90, 0, b"\x80\x1e\x04\x00\x01\x00\x02\x00\x00\x00\x03\x00\x10\x07\x00\xc0" +
                           bytes(range(16))),
    "http": (0x90, 4, b"HTTP/1.1 400 Bad Request\r\n\r\n"),
    "reset-empty": (0xa0, 1, b""),
}
for name, (sel, sub, body) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([sel, sub]) + body)
print(f"{len(seeds)} seeds in {out}")
