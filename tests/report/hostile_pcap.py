#!/usr/bin/env python3
"""hostile_pcap.py - write a small pcap (Ethernet/IPv4/TCP, microsecond timestamps) whose TLS 1.0 ClientHellos
carry attacker-chosen SNI values (one client address per value): HTML/script, SQL, spreadsheet formulas, ANSI escapes, a 255-byte name and
invalid UTF-8. Each connection: handshake, ClientHello, a fatal protocol_version alert from the server, RST.
usage: hostile_pcap.py OUT.pcap"""
import struct
import sys

SNIS = [
    b"<script>alert(1)</script>",
    b"'; DROP TABLE connections; --",
    b'=HYPERLINK("http://x","y")',
    b"+1",
    b"@SUM(A1)",
    b"-2+3",
    b"\x1b[2J\x1b[31mred\x1b[0m",
    (b"a" * 62 + b".") * 4 + b"xyz",  # 255 bytes
    b"\xff\xfe\xc0\xafbad-utf8",
    b'"><img src=x onerror=alert(2)>',
    b"line\r\nbreak|pipe*star_",
]
assert len(SNIS[7]) == 255

SERVER = bytes([10, 66, 0, 20])  # each SNI from its own client 10.66.0.(100+i): one SNI per client row


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


def client_hello(sni):
    name = struct.pack("!BH", 0, len(sni)) + sni
    ext_sni = struct.pack("!HH", 0, len(name) + 2) + struct.pack("!H", len(name)) + name
    body = struct.pack("!H", 0x0301) + bytes(range(32)) + b"\x00" + struct.pack("!HH", 2, 0x002F) + b"\x01\x00"
    body += struct.pack("!H", len(ext_sni)) + ext_sni
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def main(out):
    recs = []
    t = 1700000000.0
    for i, sni in enumerate(SNIS):
        cp = 40000 + i
        CLIENT = bytes([10, 66, 0, 100 + i])
        cs, ss = 1000 * (i + 1), 900000 + i
        ch = client_hello(sni)
        alert = b"\x15\x03\x01\x00\x02\x02\x46"
        pk = [
            frame(CLIENT, SERVER, cp, 443, cs, 0, 0x02),
            frame(SERVER, CLIENT, 443, cp, ss, cs + 1, 0x12),
            frame(CLIENT, SERVER, cp, 443, cs + 1, ss + 1, 0x10),
            frame(CLIENT, SERVER, cp, 443, cs + 1, ss + 1, 0x18, ch),
            frame(SERVER, CLIENT, 443, cp, ss + 1, cs + 1 + len(ch), 0x18, alert),
            frame(SERVER, CLIENT, 443, cp, ss + 1 + len(alert), cs + 1 + len(ch), 0x14),
        ]
        for p in pk:
            t += 0.001
            recs.append((t, p))
        t += 1.0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, p in recs:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(p), len(p)) + p)


if __name__ == "__main__":
    main(sys.argv[1])
