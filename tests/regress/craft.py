"""craft.py - byte builders for the regression inputs (tests/regress/make_inputs.py): classic pcap and pcapng
writers, Ethernet/IPv4/TCP frames with correct checksums, TLS ClientHello/ServerHello/alert records.
specification: libpcap savefile format, draft-ietf-opsawg-pcapng (SHB, IDB with if_tsresol/if_tsoffset, EPB),
RFC 791/793 (IPv4, TCP), RFC 8446 sections 4.1.2-4.1.3 and RFC 6066 section 3 (hellos, server_name)."""
import struct

ETH_HDR = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def tcp_ip(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """IPv4 + TCP (no link layer) with checksums"""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    tcp += payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def eth(src, dst, sport, dport, seq, ack, flags, payload=b""):
    return ETH_HDR + tcp_ip(src, dst, sport, dport, seq, ack, flags, payload)


def pcap(records, linktype=1, snaplen=262144):
    """classic little-endian microsecond pcap; records = [(t_seconds_float_or_(sec,usec), frame)]"""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
    for t, fr in records:
        if isinstance(t, tuple):
            sec, usec = t
        else:
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
        out += struct.pack("<IIII", sec, usec, len(fr), len(fr)) + fr
    return bytes(out)


def ng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def ng_shb():
    return ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def ng_idb(linktype, tsoffset=None, snaplen=0):
    body = struct.pack("<HHI", linktype, 0, snaplen)
    if tsoffset is not None:
        body += struct.pack("<HHq", 14, 8, tsoffset)  # if_tsoffset: seconds added to every timestamp
        body += struct.pack("<HH", 0, 0)
    return ng_block(1, body)


def ng_epb(iface, units, data):
    """units: timestamp in the interface's if_tsresol (default microseconds)"""
    body = struct.pack("<IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(data), len(data)) + data
    return ng_block(6, body)


def sni_ext(name):
    entry = struct.pack("!BH", 0, len(name)) + name
    lst = struct.pack("!H", len(entry)) + entry
    return struct.pack("!HH", 0, len(lst)) + lst


def client_hello(sni=None, version=0x0303, record_version=0x0301, suites=(0xC02F, 0x002F), padding=0,
                 supported_versions=None, extra_exts=b""):
    exts = extra_exts
    if sni is not None:
        exts += sni_ext(sni)
    if supported_versions:
        sv = b"".join(struct.pack("!H", v) for v in supported_versions)
        exts += struct.pack("!HHB", 43, len(sv) + 1, len(sv)) + sv
    if padding:
        exts += struct.pack("!HH", 21, padding) + b"\0" * padding
    body = struct.pack("!H", version) + bytes(range(32)) + b"\x00"
    body += struct.pack("!H", 2 * len(suites)) + b"".join(struct.pack("!H", s) for s in suites) + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def server_hello(version=0x0303, suite=0xC02F):
    body = struct.pack("!H", version) + bytes(range(100, 132)) + b"\x00" + struct.pack("!HB", suite, 0)
    body += struct.pack("!H", 0)
    return b"\x02" + struct.pack("!I", len(body))[1:] + body


def certificate(ders):
    """RFC 5246 7.4.2 Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>"""
    lst = b"".join(struct.pack("!I", len(d))[1:] + d for d in ders)
    body = struct.pack("!I", len(lst))[1:] + lst
    return b"\x0b" + struct.pack("!I", len(body))[1:] + body


SERVER_HELLO_DONE = b"\x0e\x00\x00\x00"


def records(ctype, version, data, max_frag=16384):
    """data split into TLS records of at most max_frag bytes"""
    out = b""
    for i in range(0, max(len(data), 1), max_frag):
        frag = data[i:i + max_frag]
        out += struct.pack("!BHH", ctype, version, len(frag)) + frag
    return out


ALERT_PROTOCOL_VERSION = b"\x15\x03\x01\x00\x02\x02\x46"


def handshake_frames(client, server, cport, sport, c_payloads, s_payloads, isn=(1000, 900000)):
    """SYN, SYN-ACK, ACK, then the client's and server's payloads alternately, then RST from the server.
    client/server are 4-byte addresses; returns a list of Ethernet frames"""
    cs, ss = isn
    fr = [eth(client, server, cport, sport, cs, 0, 0x02), eth(server, client, sport, cport, ss, cs + 1, 0x12),
          eth(client, server, cport, sport, cs + 1, ss + 1, 0x10)]
    cseq, sseq = cs + 1, ss + 1
    for i in range(max(len(c_payloads), len(s_payloads))):
        if i < len(c_payloads):
            fr.append(eth(client, server, cport, sport, cseq, sseq, 0x18, c_payloads[i]))
            cseq += len(c_payloads[i])
        if i < len(s_payloads):
            fr.append(eth(server, client, sport, cport, sseq, cseq, 0x18, s_payloads[i]))
            sseq += len(s_payloads[i])
    fr.append(eth(server, client, sport, cport, sseq, cseq, 0x14))
    return fr
