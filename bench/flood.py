#!/usr/bin/env python3
"""flood.py - hostile captures for the limits: floods and malformed streams
mixed with real handshakes, to show memory stays under the caps, the
counters say what was dropped, and the real handshakes are still decoded.

usage: flood.py OUT.pcap --legit samples/tls10-rejected.pcap [--syns N] [--hellos N]
                [--tiny N] [--overlaps N] [--huge N]

  --syns N      N SYNs with distinct 5-tuples (never completed)
  --hellos N    N first segments of a ClientHello with distinct 5-tuples
  --huge N      N connections whose record claims 2^14+ bytes and whose
                handshake header claims 2^24-1 bytes
  --tiny N      one connection sending N one-byte segments of an endless record
  --overlaps N  N connections whose retransmissions overlap with different bytes
The real handshakes of --legit (Ethernet pcap) are written first, in the
middle and last, with their own addresses.
"""
import argparse
import struct


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.ts = 1_700_000_000_000_000
        self.frames = 0

    def frame(self, data):
        self.f.write(struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000, len(data), len(data)))
        self.f.write(data)
        self.ts += 3
        self.frames += 1

    def tcp(self, src, dst, sport, dport, seq, flags, payload=b"", ack=0):
        tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack, 5 << 4, flags, 65535, 0, 0)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        self.frame(eth + ip + tcp + payload)


def addr(n, base):
    return bytes([base, (n >> 16) & 255, (n >> 8) & 255, n & 255])


def client_hello(sni=b"flood.example"):
    ext_sni = struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + struct.pack(">H", 4) + b"\x13\x01\xc0\x2f" + b"\x01\x00"
    body += struct.pack(">H", len(ext_sni)) + ext_sni
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def legit(w, path):
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        w.frame(data[off + 16:off + 16 + caplen])
        off += 16 + caplen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--legit", required=True)
    ap.add_argument("--syns", type=int, default=0)
    ap.add_argument("--hellos", type=int, default=0)
    ap.add_argument("--huge", type=int, default=0)
    ap.add_argument("--tiny", type=int, default=0)
    ap.add_argument("--overlaps", type=int, default=0)
    a = ap.parse_args()
    w = Writer(a.out)
    server = bytes([198, 51, 100, 1])
    legit(w, a.legit)
    for n in range(a.syns):
        w.tcp(addr(n, 10), server, 1024 + n % 60000, 443, n * 7919, 0x02)
    ch = client_hello()
    for n in range(a.hellos):
        src = addr(n, 11)
        sport = 1024 + n % 60000
        w.tcp(src, server, sport, 443, 1000, 0x02)
        w.tcp(src, server, sport, 443, 1001, 0x18, ch[: len(ch) // 2])  # first half only
    legit(w, a.legit)
    for n in range(a.huge):
        src, sport = addr(n, 12), 2000 + n % 60000
        w.tcp(src, server, sport, 443, 5000, 0x02)
        # record claims 0x4800 bytes (over 2^14+2048 -> too big); handshake claims 2^24-1
        w.tcp(src, server, sport, 443, 5001, 0x18, b"\x16\x03\x01\xff\xff\x01\xff\xff\xff" + b"\x00" * 64)
        src2, sport2 = addr(n, 13), 3000 + n % 60000
        w.tcp(src2, server, sport2, 443, 6000, 0x02)
        w.tcp(src2, server, sport2, 443, 6001, 0x18, b"\x16\x03\x01\x40\x00\x01\xff\xff\xff" + b"\x00" * 1400)
    if a.tiny:
        src, sport = addr(1, 14), 4444
        w.tcp(src, server, sport, 443, 9000, 0x02)
        w.tcp(src, server, sport, 443, 9001, 0x18, b"\x16\x03\x01\x40\x00")
        for i in range(a.tiny):
            w.tcp(src, server, sport, 443, 9006 + i, 0x18, b"\x01")
    for n in range(a.overlaps):
        src, sport = addr(n, 15), 5000 + n % 60000
        w.tcp(src, server, sport, 443, 100, 0x02)
        w.tcp(src, server, sport, 443, 101, 0x18, ch[:40])
        w.tcp(src, server, sport, 443, 121, 0x18, b"\xee" * 60)       # overlaps with other bytes
        w.tcp(src, server, sport, 443, 141 + 200, 0x18, b"\xdd" * 30)  # hole, then data
    legit(w, a.legit)
    w.f.close()
    print(f"{a.out}: {w.frames} frames")


if __name__ == "__main__":
    main()
