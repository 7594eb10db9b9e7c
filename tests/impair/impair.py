#!/usr/bin/env python3
"""impair.py - make impaired copies of real captures, the way capture points damage traffic.

Reads classic pcap files (Ethernet, IPv4/IPv6, TCP; other frames are kept as they are) and writes, per input
and impairment, one pcap into OUTDIR named <input>.<impairment>.pcap:

  dup        every TCP frame carrying payload written twice, same bytes, same timestamp (a capture
             concatenated with itself, or two SPAN sources of one link)
  retrans    every TCP frame carrying payload repeated 1 ms later (a retransmission)
  reorder    every TCP payload of 2 bytes or more split into two segments written second half first
             (segments of one flight swapped by a multi-queue capture point)
  xreorder   in each flow, the first server payload frame moved before the client payload frame that
             precedes it (a capture point that sees the two directions on different ports or queues)
  midstream  each flow's SYN and SYN-ACK dropped (capture started after the connection opened)
  loss       each flow's second server payload frame dropped (a lost segment in the server's flight)
  lossc      each flow's first client payload frame dropped (a lost ClientHello, or a STARTTLS dialogue's
             first command)
  lossc2     each flow's second client payload frame dropped (the client's second flight, or the STARTTLS
             command itself)
  cut        the capture ends halfway through its frames
  snaplen    every frame cut to 200 bytes (orig_len kept), as tcpdump -s 200 writes them

Usage: impair.py OUTDIR CAPTURE... [--only NAME,NAME]
The invariance test (impair_test.py) says what each impairment may and may not change in tlsaudit's output.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "regress"))
from craft import csum  # noqa: E402  (the IPv4 header checksum, RFC 1071)

IMPAIRMENTS = ("dup", "retrans", "reorder", "xreorder", "midstream", "loss", "lossc", "lossc2", "cut", "snaplen")


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: too short for a pcap header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    header = data[:24]
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        body = data[off + 16:off + 16 + incl]
        if len(body) < incl:
            break
        frames.append([sec, frac, orig, body])
        off += 16 + incl
    linktype = struct.unpack(e + "I", header[20:24])[0]
    return e, header, linktype, frames


def write_pcap(path, e, header, frames):
    with open(path, "wb") as f:
        f.write(header)
        for sec, frac, orig, body in frames:
            f.write(struct.pack(e + "IIII", sec, frac, len(body), orig))
            f.write(body)


def tcp_of(body, linktype):
    """(flow key, direction key, flags, payload length) of an Ethernet/IP/TCP frame, else None"""
    if linktype != 1 or len(body) < 14:
        return None
    et, off = struct.unpack(">H", body[12:14])[0], 14
    while et in (0x8100, 0x88A8) and len(body) >= off + 4:
        et, off = struct.unpack(">H", body[off + 2:off + 4])[0], off + 4
    if et == 0x0800 and len(body) >= off + 20:
        ihl = (body[off] & 15) * 4
        if body[off + 9] != 6:
            return None
        total = struct.unpack(">H", body[off + 2:off + 4])[0]
        src, dst, ip_end = body[off + 12:off + 16], body[off + 16:off + 20], off + total
        off += ihl
    elif et == 0x86DD and len(body) >= off + 40:
        if body[off + 6] != 6:
            return None
        plen = struct.unpack(">H", body[off + 4:off + 6])[0]
        src, dst, ip_end = body[off + 8:off + 24], body[off + 24:off + 40], off + 40 + plen
        off += 40
    else:
        return None
    if len(body) < off + 20:
        return None
    sport, dport = struct.unpack(">HH", body[off:off + 4])
    doff = (body[off + 12] >> 4) * 4
    flags = body[off + 13]
    payload = max(0, min(ip_end, len(body)) - (off + doff))
    a, b = (src, sport), (dst, dport)
    return (min(a, b), max(a, b)), a, flags, payload


def split_segment(body):
    """an untagged Ethernet/IPv4 or IPv6/TCP frame with payload cut into two frames (sequence numbers, IP
    lengths and the IPv4 header checksum adjusted; the TCP checksum is left as it is: nobody here checks it)"""
    et = struct.unpack(">H", body[12:14])[0]
    off = 14
    if et == 0x0800:
        ihl = (body[off] & 15) * 4
        total = struct.unpack(">H", body[off + 2:off + 4])[0]
        tcp = off + ihl
    elif et == 0x86DD:
        total = 40 + struct.unpack(">H", body[off + 4:off + 6])[0]
        tcp = off + 40
    else:
        return None
    doff = (body[tcp + 12] >> 4) * 4
    start, end = tcp + doff, off + total
    if end > len(body) or end - start < 2:
        return None
    seq = struct.unpack(">I", body[tcp + 4:tcp + 8])[0]
    mid = start + (end - start) // 2
    parts = []
    for a, b, sq in ((start, mid, seq), (mid, end, (seq + mid - start) & 0xFFFFFFFF)):
        frame = bytearray(body[:start] + body[a:b])
        struct.pack_into(">I", frame, tcp + 4, sq)
        if et == 0x0800:
            struct.pack_into(">H", frame, off + 2, len(frame) - off)
            struct.pack_into(">H", frame, off + 10, 0)
            struct.pack_into(">H", frame, off + 10, csum(bytes(frame[off:off + ihl])))
        else:
            struct.pack_into(">H", frame, off + 4, len(frame) - off - 40)
        parts.append(bytes(frame))
    return parts


def frames_by_flow(frames, linktype):
    """per frame index: (flow, is_client, flags, payload); the client is the side that sent the first SYN,
    else the side that sent the first frame of the flow"""
    client, out = {}, []
    for fr in frames:
        t = tcp_of(fr[3], linktype)
        if t is None:
            out.append(None)
            continue
        flow, src, flags, payload = t
        if flow not in client:
            client[flow] = src
        out.append((flow, src == client[flow], flags, payload))
    return out


def impair(name, frames, linktype):
    info = frames_by_flow(frames, linktype)
    if name == "dup":
        out = []
        for fr, t in zip(frames, info):
            out.append(fr)
            if t and t[3] > 0:
                out.append(list(fr))
        return out
    if name == "retrans":
        out = []
        for fr, t in zip(frames, info):
            out.append(fr)
            if t and t[3] > 0:
                sec, frac = fr[0], fr[1] + 1000
                out.append([sec + frac // 1000000, frac % 1000000, fr[2], fr[3]])
        return out
    if name == "reorder":
        out = []
        for fr, t in zip(frames, info):
            halves = split_segment(fr[3]) if t and t[3] >= 2 and len(fr[3]) == fr[2] else None
            if halves:
                out += [[fr[0], fr[1], len(halves[1]), halves[1]], [fr[0], fr[1], len(halves[0]), halves[0]]]
            else:
                out.append(fr)
        return out
    if name == "xreorder":
        order, last_client, done = list(range(len(frames))), {}, set()
        for i, t in enumerate(info):
            if not t or t[3] == 0 or t[0] in done:
                continue
            if t[1]:
                last_client[t[0]] = i
            elif t[0] in last_client:
                j = last_client[t[0]]
                order.remove(i)
                order.insert(order.index(j), i)
                done.add(t[0])
        return [[frames[p][0], frames[p][1]] + frames[k][2:] for p, k in zip(range(len(frames)), order)]
    if name == "midstream":
        return [fr for fr, t in zip(frames, info) if not (t and t[2] & 0x02)]
    if name == "loss":
        seen, out = {}, []
        for fr, t in zip(frames, info):
            if t and not t[1] and t[3] > 0:
                seen[t[0]] = seen.get(t[0], 0) + 1
                if seen[t[0]] == 2:
                    continue
            out.append(fr)
        return out
    if name in ("lossc", "lossc2"):
        nth, seen, out = 1 if name == "lossc" else 2, {}, []
        for fr, t in zip(frames, info):
            if t and t[1] and t[3] > 0:
                seen[t[0]] = seen.get(t[0], 0) + 1
                if seen[t[0]] == nth:
                    continue
            out.append(fr)
        return out
    if name == "cut":
        return frames[:len(frames) // 2]
    if name == "snaplen":
        return [[fr[0], fr[1], fr[2], fr[3][:200]] for fr in frames]
    raise ValueError(name)


def make(outdir, captures, only=IMPAIRMENTS):
    os.makedirs(outdir, exist_ok=True)
    made = []
    for cap in captures:
        e, header, linktype, frames = read_pcap(cap)
        base = os.path.basename(cap).rsplit(".", 1)[0]
        for name in only:
            path = os.path.join(outdir, f"{base}.{name}.pcap")
            write_pcap(path, e, header, impair(name, frames, linktype))
            made.append((cap, name, path))
    return made


def main():
    args = sys.argv[1:]
    only = IMPAIRMENTS
    if "--only" in args:
        k = args.index("--only")
        only = tuple(args[k + 1].split(","))
        del args[k:k + 2]
    if len(args) < 2 or any(n not in IMPAIRMENTS for n in only):
        sys.exit(__doc__)
    for _, _, path in make(args[0], args[1:], only):
        print(path)


if __name__ == "__main__":
    main()
