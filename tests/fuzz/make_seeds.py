#!/usr/bin/env python3
"""make_seeds.py - regenerate the fuzz seed corpus from the bundled samples.

Seeds are derived from real handshakes (samples/*.pcap, made by
scripts/make-samples.sh with real TLS stacks) plus hand-written edge cases:
  seeds/tls/      <chunk byte> + client and server stream bytes dealt in chunks
                  (the inverse of fuzz_tls.c's dealing)
  seeds/decode/   <link type index byte> + one frame; encap-* are the ClientHello frame of
                  every capture tests/decode/encap_samples.py wraps (one per encapsulation)
  seeds/flow/     segment scripts in fuzz_flow.c's format
  seeds/capture/  damaged capture files (empty, cut, bad magic)
Run it after changing the samples: tests/fuzz/make_seeds.py
With --from DIR --out OUT it instead writes tls/ and decode/ seeds taken from
every little-endian pcap in DIR (scripts/fuzz.sh: the shared corpus, not committed).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0] if len(data) >= 24 else 0
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise ValueError(f"{path}: only little-endian pcap samples are supported here")
    linktype = struct.unpack("<I", data[20:24])[0]
    off, frames = 24, []
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return linktype, frames


def tcp_of(linktype, frame):
    """(src, sport, dst, dport, seq, flags, payload) for Ethernet/IPv4/TCP, else None"""
    if linktype != 1 or len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6:
        return None
    total = struct.unpack(">H", ip[2:4])[0]
    tcp = ip[ihl:total]
    doff = (tcp[12] >> 4) * 4
    sport, dport, seq = struct.unpack(">HHI", tcp[:8])
    return ip[12:16], sport, ip[16:20], dport, seq, tcp[13], tcp[doff:]


def streams(linktype, frames):
    """first connection's client and server byte streams (in capture order)"""
    conns = {}
    for fr in frames:
        t = tcp_of(linktype, fr)
        if not t or not t[6]:
            continue
        key = tuple(sorted([(t[0], t[1]), (t[2], t[3])]))
        c = conns.setdefault(key, {"first": (t[0], t[1]), "data": [b"", b""]})
        d = 0 if (t[0], t[1]) == c["first"] else 1
        c["data"][d] += t[6]
    return [c["data"] for c in conns.values()]


def deal(client, server, chunk):
    out, i, j, d = bytearray([chunk - 1]), 0, 0, 0
    while i < len(client) or j < len(server):
        if d == 0:
            part = client[i:i + chunk]
            i += chunk
        else:
            part = server[j:j + chunk]
            j += chunk
        part = part.ljust(chunk, b"\x00") if (i < len(client) or j < len(server)) else part
        out += part
        d ^= 1
    return bytes(out)


# fuzz_decode.c links[], in order: byte 0 of a decode seed is the index of its link type
DECODE_LINKS = [0, 1, 101, 108, 113, 228, 229, 276, 147, 9, 50, 51, 104, 105, 127, 166]


def encap_seeds():
    """(name, seed) for every encapsulation case: its first frame with TCP payload"""
    sys.path.insert(0, os.path.join(ROOT, "tests", "decode"))
    import encap_samples
    out = []
    for name, case in encap_samples.CASES.items():
        data, inner = encap_samples.build(name)
        link = case[1]
        off = 24
        for ip in inner:
            caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
            frame = data[off + 16:off + 16 + caplen]
            off += 16 + caplen
            if encap_samples.inner_row(ip).split(" ")[5] != "0":
                out.append((f"encap-{name}", bytes([DECODE_LINKS.index(link)]) + frame))
                break
    return out


OUT = os.path.join(HERE, "seeds")


def write(dirname, name, data):
    os.makedirs(os.path.join(OUT, dirname), exist_ok=True)
    with open(os.path.join(OUT, dirname, name), "wb") as f:
        f.write(data)


def from_dir(src):
    """tls and decode seeds from every readable pcap in src"""
    for s in sorted(os.listdir(src)):
        try:
            lt, frames = read_pcap(os.path.join(src, s))
        except (ValueError, struct.error):
            continue
        base = os.path.splitext(s)[0]
        try:
            for k, (c, sv) in enumerate(streams(lt, frames)[:2]):
                write("tls", f"{base}-{k}", deal(c[:6000], sv[:6000], 64))
        except (IndexError, struct.error):
            pass
        if lt in DECODE_LINKS:
            for k, fr in enumerate(frames[:4]):
                write("decode", f"{base}-{k}", bytes([DECODE_LINKS.index(lt)]) + fr)


def main():
    global OUT
    if len(sys.argv) == 5 and sys.argv[1] == "--from" and sys.argv[3] == "--out":
        OUT = sys.argv[4]
        from_dir(sys.argv[2])
        return
    samples = sorted(p for p in os.listdir(os.path.join(ROOT, "samples")) if p.endswith(".pcap"))
    if not samples:
        sys.exit("no samples/*.pcap: run scripts/make-samples.sh first")
    for s in samples:
        lt, frames = read_pcap(os.path.join(ROOT, "samples", s))
        base = s[:-5]
        for k, (c, sv) in enumerate(streams(lt, frames)[:2]):
            # chunk 64 keeps each direction's bytes contiguous enough to parse
            write("tls", f"{base}-{k}", deal(c[:3000], sv[:3000], 64))
        for k, fr in enumerate(frames[:6]):
            write("decode", f"{base}-{k}", bytes([1]) + fr)
    # edge cases for the decoder: a VLAN-tagged and a truncated frame
    write("decode", "truncated-eth", bytes([1]) + b"\x00" * 13)
    for name, seed in encap_seeds():
        write("decode", name, seed)
    # flow scripts: SYN, data, overlapping retransmission with other bytes, hole, RST
    syn = bytes([0x00, 0x02, 0x00, 0x00, 0x00])
    data = bytes([0x00, 0x18, 0x00, 0x01, 0x06]) + b"\x16\x03\x01\x00\x01\x01"[:6]
    dup = bytes([0x00, 0x18, 0x00, 0x02, 0x04]) + b"XXXX"
    hole = bytes([0x04, 0x18, 0x01, 0x00, 0x03]) + b"abc"
    rst = bytes([0x04, 0x04, 0x00, 0x00, 0x00])
    write("flow", "overlap-hole-rst", syn + data + dup + hole + rst)
    # STARTTLS dialogues: <split u16 big-endian> client bytes, server bytes
    dialogues = {
        "smtp": (b"EHLO a.example\r\nSTARTTLS\r\n", b"220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n220 2.0.0 Ready\r\n"),
        "smtp-refused": (b"EHLO a\r\nSTARTTLS\r\n", b"220 mx\r\n250 mx\r\n454 4.7.0 TLS not available\r\n"),
        "imap": (b"a1 CAPABILITY\r\na2 STARTTLS\r\n", b"* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK\r\na2 OK Begin TLS\r\n"),
        "pop3": (b"STLS\r\n", b"+OK POP3 ready\r\n+OK Begin TLS\r\n"),
        "ftp": (b"AUTH TLS\r\n", b"220 FTP ready\r\n234 AUTH TLS ok\r\n"),
        "xmpp": (b"<stream:stream to='x'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
                 b"<stream:stream><stream:features><starttls/></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        "pgsql": (b"\x00\x00\x00\x08\x04\xd2\x16\x2f", b"S"),
        "ldap": (b"\x30\x1d\x02\x01\x01\x77\x18\x80\x16" + b"1.3.6.1.4.1.1466.20037",
                 b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"),
    }
    for name, (c, sv) in dialogues.items():
        write("starttls", name, struct.pack(">H", len(c)) + c + sv)
    # damaged captures
    write("capture", "empty", b"")
    write("capture", "bad-magic", b"GIF89a" + b"\x00" * 40)
    first = open(os.path.join(ROOT, "samples", samples[0]), "rb").read()
    write("capture", "cut-mid-packet", first[: len(first) // 2])


if __name__ == "__main__":
    main()
