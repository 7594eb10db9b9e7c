#!/usr/bin/env python3
"""make_capture.py - build a large benchmark capture from real handshakes.

Takes Ethernet/IPv4 pcap templates (real TLS connections, e.g. from the shared
corpus and samples/), and writes OUT with COPIES copies of every TCP
connection in them, each copy with rewritten client and server addresses and
client port, CONCURRENT copies interleaved packet by packet (so the flow table
holds that many flows at once), timestamps moving forward.

usage: make_capture.py OUT --copies N [--concurrent K] [--servers S] TEMPLATE.pcap...
  --servers S: the copies talk to S server addresses in turn (a busy server: 1) instead of one each
"""
import argparse
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        return []  # only little-endian classic pcap templates
    if struct.unpack("<I", data[20:24])[0] != 1:
        return []  # Ethernet only
    off, pkts = 24, []
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        pkts.append(frame)
    return pkts


def connections(pkts):
    conns = {}
    for fr in pkts:
        ihl = (fr[14] & 15) * 4
        src, dst = fr[26:30], fr[30:34]
        sport, dport = struct.unpack(">HH", fr[14 + ihl:14 + ihl + 4])
        key = tuple(sorted([(src, sport), (dst, dport)]))
        conns.setdefault(key, []).append(fr)
    return list(conns.values())


def csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def rewrite(fr, first_src, n, servers):
    ihl = (fr[14] & 15) * 4
    b = bytearray(fr)
    src, dst = bytes(b[26:30]), bytes(b[30:34])
    client = struct.pack(">BBBB", 10, (n >> 16) & 255, (n >> 8) & 255, n & 255)
    s = n % servers if servers else n
    server = struct.pack(">BBBB", 172, 16 + ((s >> 16) & 15), (s >> 8) & 255, s & 255)
    cport = 1024 + (n % 60000)
    is_client = src == first_src
    b[26:30] = client if is_client else server
    b[30:34] = server if is_client else client
    t = 14 + ihl
    if is_client:
        b[t:t + 2] = struct.pack(">H", cport)
    else:
        b[t + 2:t + 4] = struct.pack(">H", cport)
    b[24:26] = b"\x00\x00"
    b[24:26] = struct.pack(">H", csum(bytes(b[14:14 + ihl])))
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--copies", type=int, required=True)
    ap.add_argument("--concurrent", type=int, default=64)
    ap.add_argument("--servers", type=int, default=0,
                    help="server addresses to use, in turn (default: a new one per connection)")
    ap.add_argument("templates", nargs="+")
    a = ap.parse_args()
    conns = []
    for t in a.templates:
        conns += connections(read_pcap(t))
    if not conns:
        sys.exit("no Ethernet/IPv4 TCP connections in the templates")
    total = 0
    with open(a.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        ts = 1_700_000_000 * 1_000_000
        n = 0
        for c0 in range(0, a.copies, a.concurrent):
            batch = []
            for k in range(c0, min(c0 + a.concurrent, a.copies)):
                for c in conns:
                    first_src = c[0][26:30]
                    batch.append([rewrite(fr, first_src, n, a.servers) for fr in c])
                    n += 1
            # interleave the batch packet by packet
            i = 0
            while batch:
                nxt = []
                for c in batch:
                    if i < len(c):
                        fr = c[i]
                        out.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(fr), len(fr)))
                        out.write(fr)
                        total += 16 + len(fr)
                        ts += 7
                    if i + 1 < len(c):
                        nxt.append(c)
                batch = nxt
                i += 1
    print(f"{a.out}: {n} connections, {total / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
