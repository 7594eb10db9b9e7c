#!/usr/bin/env python3
"""encap_samples.py - wrap the REAL TLS handshakes of samples/ in every encapsulation
tlsaudit decodes, one capture per encapsulation, and derive with tshark what is inside.

Each case takes the frames of samples/tls12-sni.pcap, tls13.pcap or tls10-rejected.pcap
(real OpenSSL / GnuTLS / curl handshakes over loopback), keeps their IPv4 packet (or turns
it into IPv6 with the same TCP segment, checksum recomputed) and wraps it: Cisco MetaData,
Geneve, VXLAN(-GBP, -GPE), GRE in all its forms, PPTP, ERSPAN I/II/III, NSH, MPLS, PPP,
PPPoE, QinQ, PBB, IP-in-IP, GTP-U, Teredo, TZSP, L2TP, CAPWAP, 802.11, LLC/SNAP, VN-Tag...
The output is deterministic (timestamps are the source frames'), so the same bytes come
out on every run and tests/decode/encap_expected.json can pin them by SHA-256.

usage:
  encap_samples.py OUTDIR              write OUTDIR/encap-<case>.pcap for every case
  encap_samples.py --derive [OUTDIR]   write them, run tshark on each and rewrite
                                       tests/decode/encap_expected.json with what tshark says
  encap_samples.py --list              the cases, their link type and encapsulation bits

--derive fails unless tshark shows, for every frame, the same inner IP addresses, TCP
ports, raw sequence number and TCP payload as the wrapped source frame (i.e. tshark
decodes the encapsulation completely). What tshark says of the connections inside (SNI,
versions, cipher, alert) comes from tests/golden/tshark_expect.py, the same code that
derives our golden files. Standard library only; tshark 4.0 for --derive.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(ROOT, "samples")
EXPECTED = os.path.join(HERE, "encap_expected.json")

# ENCAP_* bits of include/tlsaudit/decode.h
ENCAP = {name: 1 << i for i, name in enumerate([
    "VLAN", "MPLS", "PPPOE", "PPP", "IPIP", "GRE", "ERSPAN", "VXLAN", "VXLAN_GPE", "GENEVE", "GTPU", "NSH",
    "CISCO_META", "PBB", "MPLS_PW", "TEREDO", "TZSP", "L2TP", "CAPWAP", "ETHERIP", "VNTAG", "LLC_SNAP",
    "IEEE80211"])}
TUNNEL_KINDS = {"PPPOE", "IPIP", "GRE", "ERSPAN", "VXLAN", "VXLAN_GPE", "GENEVE", "GTPU", "NSH", "PBB",
                "MPLS_PW", "TEREDO", "TZSP", "L2TP", "CAPWAP", "ETHERIP"}

LINK_ETHERNET, LINK_PPP, LINK_PPP_HDLC, LINK_PPP_ETHER, LINK_C_HDLC = 1, 9, 50, 51, 104
LINK_IEEE802_11, LINK_RADIOTAP, LINK_PPP_PPPD, LINK_RAW = 105, 127, 166, 101

# outer endpoints: a mirroring switch / VTEP / router and the sensor
OUT4_SRC, OUT4_DST = bytes([10, 1, 0, 1]), bytes([10, 1, 0, 2])
OUT6_SRC = bytes.fromhex("20010db8ffff00000000000000000001")
OUT6_DST = bytes.fromhex("20010db8ffff00000000000000000002")
MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
# inner frames: vendor MACs (VMware client, Intel server), as a mirrored network has them
IN_MAC_C, IN_MAC_S = bytes.fromhex("005056aabb01"), bytes.fromhex("001b21ccdd02")


# ---- source frames -----------------------------------------------------------------

class Frame:
    """one frame of a source sample: its timestamp, the IPv4 packet and its direction"""

    def __init__(self, sec: int, usec: int, ip: bytes, to_server: bool):
        self.sec, self.usec, self.ip, self.to_server = sec, usec, ip, to_server


def read_sample(name: str) -> list[Frame]:
    with open(os.path.join(SAMPLES, name), "rb") as f:
        data = f.read()
    magic, = struct.unpack("<I", data[:4])
    linktype, = struct.unpack("<I", data[20:24])
    if magic != 0xA1B2C3D4 or linktype != LINK_ETHERNET:
        raise SystemExit(f"{name}: expected a little-endian microsecond Ethernet pcap")
    off, frames, client = 24, [], None
    while off + 16 <= len(data):
        sec, usec, caplen, wire = struct.unpack("<IIII", data[off:off + 16])
        fr = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if caplen != wire or fr[12:14] != b"\x08\x00":
            raise SystemExit(f"{name}: frame at {off}: not a whole Ethernet/IPv4 frame")
        ip = fr[14:]
        total, = struct.unpack(">H", ip[2:4])
        ip = ip[:total]
        if client is None:
            client = ip[12:16]
        frames.append(Frame(sec, usec, ip, ip[12:16] == client))
    return frames


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def v6_addr(v4: bytes) -> bytes:
    """2001:db8::a.b.c.d for 127.0.0.x etc."""
    return bytes.fromhex("20010db8000000000000000000000000")[:12] + v4


def to_ipv6(ip4: bytes) -> bytes:
    """the same TCP segment in IPv6 (checksum recomputed); addresses 2001:db8::<IPv4>"""
    ihl = (ip4[0] & 15) * 4
    tcp = bytearray(ip4[ihl:])
    src, dst = v6_addr(ip4[12:16]), v6_addr(ip4[16:20])
    tcp[16:18] = b"\x00\x00"
    pseudo = src + dst + struct.pack(">IxxxB", len(tcp), 6)
    tcp[16:18] = struct.pack(">H", csum(pseudo + bytes(tcp)))
    return struct.pack(">IHBB", 0x60000000, len(tcp), 6, ip4[8]) + src + dst + bytes(tcp)


# ---- header builders ------------------------------------------------------------------

def eth(typ: int, payload: bytes, dst=MAC_B, src=MAC_A) -> bytes:
    return dst + src + struct.pack(">H", typ) + payload


def inner_eth(fr: Frame, payload: bytes, typ: int = 0x0800) -> bytes:
    d, s = (IN_MAC_S, IN_MAC_C) if fr.to_server else (IN_MAC_C, IN_MAC_S)
    return eth(typ, payload, d, s)


def ip4(proto: int, payload: bytes, src=OUT4_SRC, dst=OUT4_DST, ident=0x4242) -> bytes:
    hdr = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0, src, dst))
    hdr[10:12] = struct.pack(">H", csum(bytes(hdr)))
    return bytes(hdr) + payload


def ip6(nh: int, payload: bytes, src=OUT6_SRC, dst=OUT6_DST) -> bytes:
    return struct.pack(">IHBB", 0x60000000, len(payload), nh, 64) + src + dst + payload


def udp(sport: int, dport: int, payload: bytes, v6=False) -> bytes:
    """UDP with a correct checksum over the outer addresses"""
    seg = bytearray(struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload)
    if v6:
        pseudo = OUT6_SRC + OUT6_DST + struct.pack(">IxxxB", len(seg), 17)
    else:
        pseudo = OUT4_SRC + OUT4_DST + struct.pack(">xBH", 17, len(seg))
    c = csum(pseudo + bytes(seg)) or 0xFFFF
    seg[6:8] = struct.pack(">H", c)
    return bytes(seg)


def udp4_eth(sport: int, dport: int, payload: bytes) -> bytes:
    return eth(0x0800, ip4(17, udp(sport, dport, payload)))


def flow_port(fr: Frame) -> int:
    """a source port like a VTEP's flow hash: fixed per direction"""
    return 49152 + (1 if fr.to_server else 2)


def vlan(vid: int, typ: int, pcp: int = 0) -> bytes:
    return struct.pack(">HH", (pcp << 13) | vid, typ)


def gre(flags: int, proto: int, payload: bytes, key=None, seq=None, with_csum=False) -> bytes:
    opt = b""
    if with_csum:
        opt += b"\x00\x00\x00\x00"
    if key is not None:
        opt += struct.pack(">I", key)
    if seq is not None:
        opt += struct.pack(">I", seq)
    pkt = bytearray(struct.pack(">HH", flags, proto) + opt + payload)
    if with_csum:
        pkt[4:6] = struct.pack(">H", csum(bytes(pkt)))
    return bytes(pkt)


def mpls(labels: list[int], payload: bytes) -> bytes:
    out = b""
    for i, lab in enumerate(labels):
        out += struct.pack(">I", (lab << 12) | (0x100 if i == len(labels) - 1 else 0) | 64)
    return out + payload


def ppp_hdlc(proto: int, payload: bytes, acfc=False) -> bytes:
    return (b"" if acfc else b"\xff\x03") + struct.pack(">H", proto) + payload


def dot11_data(fr: Frame, payload: bytes, qos=True, swap_fc=False) -> bytes:
    """802.11 (QoS) data frame, STA <-> AP through the DS, LLC/SNAP IPv4"""
    subtype = 0x88 if qos else 0x08
    flags = 0x01 if fr.to_server else 0x02       # ToDS from the client, FromDS to it
    fc = bytes([subtype, flags])
    if swap_fc:
        fc = fc[::-1]
    bssid = bytes.fromhex("02000000cc03")
    a1, a2, a3 = (bssid, IN_MAC_C, IN_MAC_S) if fr.to_server else (IN_MAC_C, bssid, IN_MAC_S)
    hdr = fc + b"\x00\x00" + a1 + a2 + a3 + struct.pack("<H", (fr.sec & 0xFFF) << 4)
    if qos:
        hdr += b"\x00\x00"
    return hdr, b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + payload


# ---- the cases -------------------------------------------------------------------------

def w_cmd(fr, i):
    cmd = bytes([1, 1]) + struct.pack(">HHH", 0x0001, 100 if fr.to_server else 200, 0x0800)
    return eth(0x8909, cmd + fr.ip)


def w_cmd_vlan(fr, i):
    cmd = bytes([1, 1]) + struct.pack(">HHH", 0x0001, 17, 0x0800)
    return eth(0x8100, vlan(10, 0x8909) + cmd + fr.ip)


def geneve(opts: bytes, proto: int, payload: bytes, vni=0x123456) -> bytes:
    assert len(opts) % 4 == 0
    return struct.pack(">BBHI", len(opts) // 4, 0, proto, vni << 8) + opts + payload


def gopt(cls: int, typ: int, data: bytes) -> bytes:
    assert len(data) % 4 == 0
    return struct.pack(">HBB", cls, typ, len(data) // 4) + data


def w_geneve(fr, i):
    opts = gopt(0x0103, 0x80, b"\x00\x00\x00\x2a") + gopt(0xFFFF, 0x01, b"\x01\x02\x03\x04\x05\x06\x07\x08")
    return udp4_eth(flow_port(fr), 6081, geneve(opts, 0x6558, inner_eth(fr, fr.ip)))


def w_geneve_ip(fr, i):
    # AWS Gateway Load Balancer: IPv4 straight after Geneve, three AWS (class 0x0108) options
    opts = (gopt(0x0108, 1, struct.pack(">Q", 0x0123456789ABCDEF)) + gopt(0x0108, 2, struct.pack(">Q", 0x42))
            + gopt(0x0108, 3, struct.pack(">I", 0x2A)))
    return udp4_eth(flow_port(fr), 6081, geneve(opts, 0x0800, fr.ip))


def vxlan(payload: bytes, flags=0x08, gpid=0, vni=5001) -> bytes:
    return struct.pack(">BBHI", flags, 0, gpid, vni << 8) + payload


def w_vxlan(fr, i):
    return udp4_eth(flow_port(fr), 4789, vxlan(inner_eth(fr, fr.ip)))


def w_vxlan_gbp_vlan(fr, i):
    # Cisco SD-Access: VXLAN-GBP (G bit, Group Policy ID = SGT), VLAN-tagged inner frame
    inner = inner_eth(fr, vlan(20, 0x0800) + fr.ip, typ=0x8100)
    return udp4_eth(flow_port(fr), 4789, vxlan(inner, flags=0x88, gpid=17 if fr.to_server else 18))


def w_vxlan_v6(fr, i):
    return eth(0x86DD, ip6(17, udp(flow_port(fr), 4789, vxlan(inner_eth(fr, fr.ip)), v6=True)))


def gpe(next_proto: int, payload: bytes, vni=7) -> bytes:
    return struct.pack(">BBBBI", 0x0C, 0, 0, next_proto, vni << 8) + payload


def w_gpe_ipv4(fr, i):
    return udp4_eth(flow_port(fr), 4790, gpe(1, fr.ip))


def w_gpe_ipv6(fr, i):
    return udp4_eth(flow_port(fr), 4790, gpe(2, fr.ip))


def w_gpe_eth(fr, i):
    return udp4_eth(flow_port(fr), 4790, gpe(3, inner_eth(fr, fr.ip)))


def nsh_md1(next_proto: int, payload: bytes, spi=0x000042, si=255) -> bytes:
    return struct.pack(">HBBI", (63 << 6) | 6, 0x01, next_proto, (spi << 8) | si) + b"\x00" * 16 + payload


def nsh_md2(next_proto: int, payload: bytes, spi=0x000043, si=254) -> bytes:
    tlvs = struct.pack(">HBB", 0x0000, 0x01, 4) + b"\x00\x00\x00\x11"      # 4-byte value
    tlvs += struct.pack(">HBB", 0x0101, 0x02, 3) + b"abc\x00"             # 3 bytes + pad
    words = 2 + len(tlvs) // 4
    return struct.pack(">HBBI", (63 << 6) | words, 0x02, next_proto, (spi << 8) | si) + tlvs + payload


def w_gpe_nsh(fr, i):
    return udp4_eth(flow_port(fr), 4790, gpe(4, nsh_md1(3, inner_eth(fr, fr.ip))))


def w_nsh(fr, i):
    return eth(0x894F, nsh_md2(1, fr.ip))


def w_gre(fr, i):
    return eth(0x0800, ip4(47, gre(0x0000, 0x0800, fr.ip)))


def w_gre_flags(fr, i):
    return eth(0x0800, ip4(47, gre(0xB000, 0x0800, fr.ip, key=0x01020304, seq=i + 1, with_csum=True)))


def w_gre_teb(fr, i):
    return eth(0x0800, ip4(47, gre(0x2000, 0x6558, inner_eth(fr, fr.ip), key=77)))


def w_gre6(fr, i):
    return eth(0x86DD, ip6(47, gre(0x2000, 0x86DD, fr.ip, key=5)))


def w_gre_udp(fr, i):
    return udp4_eth(flow_port(fr), 4754, gre(0x0000, 0x0800, fr.ip))


def w_wccp(fr, i):
    redirect = struct.pack(">BBBB", 0x00, 0x00, 0x00, 0x01)   # WCCPv2: D/A clear, service 0
    return eth(0x0800, ip4(47, gre(0x0000, 0x883E, redirect + fr.ip)))


def w_pptp(fr, i):
    # RFC 2637 enhanced GRE: K, S, A (on some), version 1, PPP in HDLC-like framing
    ppp = ppp_hdlc(0x0021, fr.ip, acfc=(i % 2 == 1))
    flags = 0x3001 | (0x0080 if i % 3 == 0 else 0)
    hdr = struct.pack(">HHHHI", flags, 0x880B, len(ppp), 0x4000 if fr.to_server else 0x8000, i + 1)
    if flags & 0x0080:
        hdr += struct.pack(">I", i)
    return eth(0x0800, ip4(47, hdr + ppp))


def w_erspan1(fr, i):
    return eth(0x0800, ip4(47, gre(0x0000, 0x88BE, inner_eth(fr, fr.ip))))


def w_erspan2(fr, i):
    # type II: VLAN 10, En=3 (tag preserved in the frame), session 100
    hdr = struct.pack(">HHI", (1 << 12) | 10, (3 << 11) | 100, 0x12345)
    inner = inner_eth(fr, vlan(10, 0x0800) + fr.ip, typ=0x8100)
    return eth(0x0800, ip4(47, gre(0x1000, 0x88BE, hdr + inner, seq=i)))


def w_erspan3(fr, i):
    # type III, session 200, SGT 17, FT 0, hw id 3, direction, 100 ns granularity,
    # every other frame with the platform-specific subheader (platform id 3)
    o = i % 2
    w5 = (0 << 15) | (0 << 10) | (3 << 4) | ((0 if fr.to_server else 1) << 3) | (1 << 1) | o
    hdr = struct.pack(">HHIHH", (2 << 12) | 0, 200, (fr.sec * 10000 + fr.usec // 100) & 0xFFFFFFFF, 17, w5)
    if o:
        hdr += struct.pack(">II", (3 << 26) | 0x0123, fr.sec & 0xFFFFFFFF)
    return eth(0x0800, ip4(47, gre(0x1000, 0x22EB, hdr + inner_eth(fr, fr.ip), seq=i)))


def w_mpls1(fr, i):
    return eth(0x8847, mpls([1000], fr.ip))


def w_mpls3_v6(fr, i):
    return eth(0x8847, mpls([16, 2000, 30000], fr.ip))


def w_eompls(fr, i):
    cw = struct.pack(">HH", 0x0000, i & 0xFFFF)
    return eth(0x8847, mpls([17, 100], cw + inner_eth(fr, fr.ip)))


def w_eompls_nocw(fr, i):
    return eth(0x8847, mpls([18, 101], inner_eth(fr, fr.ip)))


def w_pppoe(fr, i):
    ppp = struct.pack(">H", 0x0021) + fr.ip
    return eth(0x8864, struct.pack(">BBHH", 0x11, 0x00, 0x0042, len(ppp)) + ppp)


def w_ppp(fr, i):
    return ppp_hdlc(0x0021, fr.ip, acfc=(i % 2 == 1))


def w_ppp_hdlc(fr, i):
    return ppp_hdlc(0x0021, fr.ip)


def w_chdlc(fr, i):
    return bytes([0x0F, 0x00]) + struct.pack(">H", 0x0800) + fr.ip


def w_ppp_ether(fr, i):
    ppp = struct.pack(">H", 0x0021) + fr.ip
    return struct.pack(">BBHH", 0x11, 0x00, 0x0042, len(ppp)) + ppp


def w_pppd(fr, i):
    return bytes([0x01 if fr.to_server else 0x00, 0x03]) + struct.pack(">H", 0x0021) + fr.ip


def w_qinq(fr, i):
    return eth(0x88A8, vlan(100, 0x8100) + vlan(200, 0x0800) + fr.ip)


def w_pbb(fr, i):
    # backbone: B-DA, B-SA, B-TAG (0x88a8 VID 300), I-TAG (0x88e7, I-SID 0x010203), customer frame
    itag = struct.pack(">I", 0x010203)
    cust = inner_eth(fr, vlan(20, 0x0800) + fr.ip, typ=0x8100)
    return eth(0x88A8, vlan(300, 0x88E7) + itag + cust)


def w_ipip(fr, i):
    return eth(0x0800, ip4(4, fr.ip))


def w_6in4(fr, i):
    return eth(0x0800, ip4(41, fr.ip))


def w_4in6(fr, i):
    return eth(0x86DD, ip6(4, fr.ip))


def w_6in6(fr, i):
    return eth(0x86DD, ip6(41, fr.ip))


def w_gtpu(fr, i):
    # GTP-U v1 T-PDU with E and S: sequence number, then a PDU Session Container (0x85)
    ext = bytes([1, 0x10 if fr.to_server else 0x00, 0x09, 0x00])    # len 1 (4 bytes), UL/DL, QFI 9, next 0
    body = struct.pack(">HBB", i, 0, 0x85) + ext + fr.ip
    hdr = struct.pack(">BBHI", 0x36, 255, len(body), 0x1000 + (0 if fr.to_server else 1))
    return udp4_eth(2152, 2152, hdr + body)


def w_teredo(fr, i):
    # client -> relay: to port 3544; relay -> client: from 3544 with an origin indication
    v6 = fr.ip
    if fr.to_server:
        return udp4_eth(40001, 3544, v6)
    origin = struct.pack(">HH4s", 0x0000, 40001 ^ 0xFFFF, bytes(b ^ 0xFF for b in OUT4_DST))
    return udp4_eth(3544, 40001, origin + v6)


def w_tzsp(fr, i):
    # MikroTik sniffer streaming: version 1, type 0 (received), Ethernet, a padding tag, end
    return udp4_eth(flow_port(fr), 37008, bytes([1, 0, 0, 1, 0, 1]) + inner_eth(fr, fr.ip))


def w_wlan(fr, i):
    hdr, body = dot11_data(fr, fr.ip)
    return hdr + body


def w_radiotap(fr, i):
    # two presence words (the first with bit 31), TSFT (8 bytes, aligned to 8: 4 bytes of pad),
    # Flags (FCS at the end 0x10, data pad 0x20), Rate, Channel; the QoS header padded to 28
    hdr, body = dot11_data(fr, fr.ip)
    pad = b"\x00" * ((4 - len(hdr) % 4) % 4)
    fields = b"\x00" * 4 + struct.pack("<Q", fr.sec * 1000000 + fr.usec) + bytes([0x30, 0x0C]) \
        + struct.pack("<HH", 2437, 0x00A0)
    rt = struct.pack("<BBHII", 0, 0, 12 + len(fields), 0x8000000F, 0) + fields
    return rt + hdr + pad + body + struct.pack("<I", zlib.crc32(hdr + body) & 0xFFFFFFFF)


def w_llc_snap(fr, i):
    body = b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + fr.ip
    return MAC_B + MAC_A + struct.pack(">H", len(body)) + body


def w_vntag(fr, i):
    tag = struct.pack(">HH", (1 << 15) | 0x0011, 0x0022)
    return eth(0x8926, tag + struct.pack(">H", 0x0800) + fr.ip)


def w_l2tp(fr, i):
    ppp = ppp_hdlc(0x0021, fr.ip)
    body = struct.pack(">HHHH", 0x0001, 0x0002 if fr.to_server else 0x0003, i, i)
    hdr_len = 2 + 2 + len(body)
    return udp4_eth(1701, 1701, struct.pack(">HH", 0x4802, hdr_len + len(ppp)) + body + ppp)


def capwap(payload: bytes, t: bool, wbid: int) -> bytes:
    w0 = (0 << 24) | (2 << 19) | (1 << 14) | (wbid << 9) | ((1 if t else 0) << 8)
    return struct.pack(">II", w0, 0) + payload


def w_capwap(fr, i):
    pl = capwap(inner_eth(fr, fr.ip), False, 1)
    return udp4_eth(5247, 41000, pl) if not fr.to_server else udp4_eth(41000, 5247, pl)


def w_capwap_80211(fr, i):
    # Cisco controllers: native 802.11 with the Frame Control bytes swapped
    hdr, body = dot11_data(fr, fr.ip, qos=False, swap_fc=True)
    pl = capwap(hdr + body, True, 1)
    return udp4_eth(5247, 41000, pl) if not fr.to_server else udp4_eth(41000, 5247, pl)


def w_etherip(fr, i):
    return eth(0x0800, ip4(97, struct.pack(">H", 0x3000) + inner_eth(fr, fr.ip)))


def w_mpls_in_ip(fr, i):
    return eth(0x0800, ip4(137, mpls([500], fr.ip)))


TLS12, TLS13, TLS10 = "tls12-sni.pcap", "tls13.pcap", "tls10-rejected.pcap"

# name: (sample, link type, wrapper, ENCAP kinds, inner IPv6?, extra tshark options, note)
CASES = {
    "cisco-metadata": (TLS12, LINK_ETHERNET, w_cmd, ["CISCO_META"], False, [], "EtherType 0x8909, SGT option"),
    "cisco-metadata-vlan": (TLS13, LINK_ETHERNET, w_cmd_vlan, ["VLAN", "CISCO_META"], False, [],
                            "802.1Q then Cisco MetaData"),
    "geneve": (TLS13, LINK_ETHERNET, w_geneve, ["GENEVE"], False, [], "UDP 6081, two options, inner Ethernet"),
    "geneve-ip": (TLS12, LINK_ETHERNET, w_geneve_ip, ["GENEVE"], False, [],
                  "UDP 6081, AWS GWLB style: three options, inner IPv4 without Ethernet"),
    "vxlan": (TLS12, LINK_ETHERNET, w_vxlan, ["VXLAN"], False, [], "UDP 4789"),
    "vxlan-gbp-vlan": (TLS10, LINK_ETHERNET, w_vxlan_gbp_vlan, ["VXLAN", "VLAN"], False, [],
                       "VXLAN group policy (SD-Access SGT), VLAN-tagged inner frame"),
    "vxlan-ipv6": (TLS13, LINK_ETHERNET, w_vxlan_v6, ["VXLAN"], False, [], "VXLAN over IPv6"),
    "vxlan-gpe-ipv4": (TLS13, LINK_ETHERNET, w_gpe_ipv4, ["VXLAN_GPE"], False, [], "UDP 4790, next protocol 1"),
    "vxlan-gpe-ipv6": (TLS12, LINK_ETHERNET, w_gpe_ipv6, ["VXLAN_GPE"], True, [], "UDP 4790, next protocol 2"),
    "vxlan-gpe-eth": (TLS10, LINK_ETHERNET, w_gpe_eth, ["VXLAN_GPE"], False, [], "UDP 4790, next protocol 3"),
    "vxlan-gpe-nsh": (TLS12, LINK_ETHERNET, w_gpe_nsh, ["VXLAN_GPE", "NSH"], False, [],
                      "UDP 4790, next protocol 4: NSH MD type 1, then Ethernet"),
    "nsh": (TLS13, LINK_ETHERNET, w_nsh, ["NSH"], False, [], "EtherType 0x894f, MD type 2 with two context headers"),
    "gre": (TLS10, LINK_ETHERNET, w_gre, ["GRE"], False, [], "GRE without options"),
    "gre-csum-key-seq": (TLS13, LINK_ETHERNET, w_gre_flags, ["GRE"], False, [], "GRE with checksum, key, sequence"),
    "gre-teb": (TLS12, LINK_ETHERNET, w_gre_teb, ["GRE"], False, [], "GRE 0x6558 transparent Ethernet bridging"),
    "gre-ipv6": (TLS13, LINK_ETHERNET, w_gre6, ["GRE"], True, [], "IPv6 in GRE (key) in IPv6"),
    "gre-in-udp": (TLS12, LINK_ETHERNET, w_gre_udp, ["GRE"], False, [], "RFC 8086 GRE in UDP 4754"),
    "gre-wccp": (TLS13, LINK_ETHERNET, w_wccp, ["GRE"], False, [], "GRE 0x883e with the WCCPv2 redirect header"),
    "pptp": (TLS12, LINK_ETHERNET, w_pptp, ["GRE", "PPP"], False, [],
             "GRE version 1 (key, sequence, some acknowledgments), PPP with and without address/control"),
    "erspan-1": (TLS10, LINK_ETHERNET, w_erspan1, ["GRE", "ERSPAN"], False, [], "GRE 0x88be, no GRE flags"),
    "erspan-2": (TLS12, LINK_ETHERNET, w_erspan2, ["GRE", "ERSPAN", "VLAN"], False, [],
                 "GRE 0x88be with sequence, type II header, VLAN kept in the frame"),
    "erspan-3": (TLS13, LINK_ETHERNET, w_erspan3, ["GRE", "ERSPAN"], False, [],
                 "GRE 0x22eb, type III header, every other frame with the platform-specific subheader"),
    "mpls": (TLS12, LINK_ETHERNET, w_mpls1, ["MPLS"], False, [], "one label (bottom of stack), IPv4"),
    "mpls-stack-ipv6": (TLS13, LINK_ETHERNET, w_mpls3_v6, ["MPLS"], True, [], "three labels, IPv6 by its nibble"),
    "mpls-pw-eth": (TLS10, LINK_ETHERNET, w_eompls, ["MPLS", "MPLS_PW"], False, [],
                    "two labels, pseudowire control word, Ethernet (EoMPLS)"),
    "mpls-pw-eth-nocw": (TLS12, LINK_ETHERNET, w_eompls_nocw, ["MPLS", "MPLS_PW"], False, [],
                         "two labels, Ethernet pseudowire without control word (Cisco's default)"),
    "pppoe": (TLS13, LINK_ETHERNET, w_pppoe, ["PPPOE"], False, [], "PPPoE session"),
    "ppp": (TLS12, LINK_PPP, w_ppp, ["PPP"], False, [], "LINKTYPE_PPP, with and without 0xff 0x03"),
    "ppp-hdlc": (TLS10, LINK_PPP_HDLC, w_ppp_hdlc, ["PPP"], False, [], "LINKTYPE_PPP_HDLC"),
    "c-hdlc": (TLS13, LINK_C_HDLC, w_chdlc, ["PPP"], False, [], "LINKTYPE_C_HDLC (Cisco HDLC)"),
    "ppp-ether": (TLS12, LINK_PPP_ETHER, w_ppp_ether, ["PPPOE"], False, [], "LINKTYPE_PPP_ETHER (PPPoE header)"),
    "ppp-pppd": (TLS10, LINK_PPP_PPPD, w_pppd, ["PPP"], False, [], "LINKTYPE_PPP_PPPD (direction byte)"),
    "qinq": (TLS12, LINK_ETHERNET, w_qinq, ["VLAN"], False, [], "802.1ad outer tag, 802.1Q inner tag"),
    "pbb": (TLS13, LINK_ETHERNET, w_pbb, ["VLAN", "PBB"], False, [],
            "802.1ah: B-TAG, I-TAG, customer frame with a C-TAG"),
    "ipip": (TLS10, LINK_ETHERNET, w_ipip, ["IPIP"], False, [], "IPv4 in IPv4"),
    "6in4": (TLS13, LINK_ETHERNET, w_6in4, ["IPIP"], True, [], "IPv6 in IPv4"),
    "4in6": (TLS12, LINK_ETHERNET, w_4in6, ["IPIP"], False, [], "IPv4 in IPv6"),
    "6in6": (TLS10, LINK_ETHERNET, w_6in6, ["IPIP"], True, [], "IPv6 in IPv6"),
    "gtpu": (TLS13, LINK_ETHERNET, w_gtpu, ["GTPU"], False, [],
             "GTP-U v1 with sequence number and a PDU session container extension header"),
    "teredo": (TLS12, LINK_ETHERNET, w_teredo, ["TEREDO"], True, [], "UDP 3544, origin indication one way"),
    "tzsp": (TLS10, LINK_ETHERNET, w_tzsp, ["TZSP"], False, [], "UDP 37008 (MikroTik), Ethernet, padding tag"),
    "ieee802-11": (TLS12, LINK_IEEE802_11, w_wlan, ["IEEE80211", "LLC_SNAP"], False, [],
                   "LINKTYPE_IEEE802_11, QoS data, LLC/SNAP"),
    "radiotap": (TLS13, LINK_RADIOTAP, w_radiotap, ["IEEE80211", "LLC_SNAP"], False, [],
                 "radiotap (TSFT, flags: data pad + FCS), padded QoS data, FCS at the end"),
    "llc-snap": (TLS10, LINK_ETHERNET, w_llc_snap, ["LLC_SNAP"], False, [], "802.3 length field, LLC/SNAP"),
    "vntag": (TLS12, LINK_ETHERNET, w_vntag, ["VNTAG"], False, [], "Cisco VN-Tag 0x8926"),
    "l2tp": (TLS13, LINK_ETHERNET, w_l2tp, ["L2TP", "PPP"], False, [], "L2TPv2 data with length and Ns/Nr, PPP"),
    "capwap": (TLS12, LINK_ETHERNET, w_capwap, ["CAPWAP"], False, [], "CAPWAP data, 802.3 payload, both directions"),
    "capwap-802-11": (TLS10, LINK_ETHERNET, w_capwap_80211, ["CAPWAP", "IEEE80211", "LLC_SNAP"], False, [],
                      "CAPWAP data, native 802.11 with Frame Control byte-swapped (Cisco WLC)"),
    "etherip": (TLS13, LINK_ETHERNET, w_etherip, ["ETHERIP"], False, [], "IP protocol 97, Ethernet"),
    "mpls-in-ip": (TLS10, LINK_ETHERNET, w_mpls_in_ip, ["MPLS"], False, [], "IP protocol 137, one label"),
}


def pppd_as_ppp_hdlc(data: bytes) -> bytes:
    """a LINKTYPE_PPP_PPPD capture as LINKTYPE_PPP_HDLC: the direction byte becomes 0xff"""
    out = bytearray(data)
    out[20:24] = struct.pack("<I", LINK_PPP_HDLC)
    off = 24
    while off + 16 <= len(out):
        caplen, = struct.unpack("<I", out[off + 8:off + 12])
        out[off + 16] = 0xFF
        off += 16 + caplen
    return bytes(out)


# cases tshark 4.0 cannot read as they are: (how the bytes are shown to tshark instead, why)
TSHARK_VIEW = {
    "ppp-pppd": (pppd_as_ppp_hdlc, "tshark 4.0 does not read LINKTYPE_PPP_PPPD (166); it is shown the same "
                                   "frames as LINKTYPE_PPP_HDLC (50) with the direction byte set to 0xff"),
}


def encaps_of(kinds: list[str]) -> int:
    v = 0
    for k in kinds:
        v |= ENCAP[k]
    return v


def tunnelled(name: str) -> bool:
    """should PKT_TUNNELLED be set? MPLS in IP (RFC 4023) is a tunnel, though a label stack is not"""
    return name == "mpls-in-ip" or any(k in TUNNEL_KINDS for k in CASES[name][3])


def build(name: str) -> tuple[bytes, list[bytes]]:
    """the capture file's bytes and, per frame, the inner IP packet that was wrapped"""
    sample, link, wrap, _, v6, _, _ = CASES[name]
    frames = read_sample(sample)
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, link))
    inner = []
    for i, fr in enumerate(frames):
        if v6:
            fr = Frame(fr.sec, fr.usec, to_ipv6(fr.ip), fr.to_server)
        data = wrap(fr, i)
        out += struct.pack("<IIII", fr.sec, fr.usec, len(data), len(data)) + data
        inner.append(fr.ip)
    return bytes(out), inner


def inner_row(ip: bytes) -> str:
    """'src sport dst dport seq len sha256-16' of an IPv4/IPv6 TCP packet"""
    import ipaddress
    if ip[0] >> 4 == 4:
        ihl = (ip[0] & 15) * 4
        src, dst, tcp = ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20]), ip[ihl:]
    else:
        src, dst, tcp = ipaddress.ip_address(ip[8:24]), ipaddress.ip_address(ip[24:40]), ip[40:]
    sport, dport, seq = struct.unpack(">HHI", tcp[:8])
    payload = tcp[(tcp[12] >> 4) * 4:]
    return f"{src} {sport} {dst} {dport} {seq} {len(payload)} {hashlib.sha256(payload).hexdigest()[:16]}"


def write_all(outdir: str) -> dict[str, str]:
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name in CASES:
        data, _ = build(name)
        p = os.path.join(outdir, f"encap-{name}.pcap")
        with open(p, "wb") as f:
            f.write(data)
        paths[name] = p
    return paths


# ---- what tshark says ---------------------------------------------------------------

def tshark_rows(pcap: str, opts: list[str]) -> list[str]:
    """per frame the innermost IP/TCP as tshark dissects it, in inner_row()'s format"""
    cmd = ["tshark", "-n", "-r", pcap, *opts, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
           "-o", "tcp.desegment_tcp_streams:FALSE", "-e", "frame.protocols", "-e", "ip.src", "-e", "ip.dst",
           "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq_raw",
           "-e", "tcp.len", "-e", "tcp.payload"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    rows = []
    for line in res.stdout.splitlines():
        protos, s4, d4, s6, d6, sp, dp, seq, tlen, payload = (line.split("\t") + [""] * 10)[:10]
        layers = protos.split(":")
        if "tcp" not in layers:
            rows.append("-")
            continue
        ips = [l for l in layers[:layers.index("tcp")] if l in ("ip", "ipv6")]
        src, dst = (s4, d4) if ips and ips[-1] == "ip" else (s6, d6)
        pl = bytes.fromhex(payload.replace(":", "")) if payload else b""
        rows.append(f"{src.split(',')[-1]} {sp} {dst.split(',')[-1]} {dp} {seq} {tlen} "
                    f"{hashlib.sha256(pl).hexdigest()[:16]}")
    return rows


CONN_FIELDS = ["client_ip", "client_port", "server_ip", "server_port", "sni", "client_legacy_version",
               "client_supported_versions", "negotiated_version", "cipher", "alert", "alert_level", "alert_sender",
               "established", "features"]


def tshark_connections(pcap: str, opts: list[str]) -> list[dict]:
    sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
    import tshark_expect  # noqa: E402  (the derivation our golden files use)
    doc = tshark_expect.expect(pcap, extra_opts=opts)
    return [{k: c[k] for k in CONN_FIELDS} for c in doc["connections"]]


def dump_expected(doc: dict) -> str:
    """JSON with one line per case field and per connection (reviewable diffs)"""
    out = ["{", f' "about": {json.dumps(doc["about"])},', f' "tshark": {json.dumps(doc["tshark"])},', ' "cases": {']
    items = list(doc["cases"].items())
    for i, (name, case) in enumerate(items):
        out.append(f"  {json.dumps(name)}: {{")
        out += [f"   {json.dumps(k)}: {json.dumps(v)}," for k, v in case.items() if k != "connections"]
        conns = case["connections"]
        out.append('   "connections": [')
        out += ["    " + json.dumps(c) + ("," if j < len(conns) - 1 else "") for j, c in enumerate(conns)]
        out.append("   ]")
        out.append("  }" + ("," if i < len(items) - 1 else ""))
    return "\n".join(out + [" }", "}"]) + "\n"


def derive(outdir: str) -> int:
    paths = write_all(outdir)
    ver = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    doc = {"about": "what tshark says of the captures tests/decode/encap_samples.py writes (regenerate with "
                    "tests/decode/encap_samples.py --derive); rows_sha256 = SHA-256 of the per-frame rows "
                    "'inner-src sport inner-dst dport raw-seq tcp-len sha256(payload)[:16]' joined by newlines, "
                    "which --derive checked equal the wrapped source frames",
           "tshark": ver, "cases": {}}
    bad = 0
    for name, (sample, link, _, kinds, v6, opts, note) in CASES.items():
        data, inner = build(name)
        want = [inner_row(ip) for ip in inner]
        view, why = paths[name], None
        if name in TSHARK_VIEW:
            rewrite, why = TSHARK_VIEW[name]
            view = paths[name] + ".tshark-view.pcap"
            with open(view, "wb") as f:
                f.write(rewrite(data))
        got = tshark_rows(view, opts)
        if got != want:
            bad += 1
            for k, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    print(f"{name}: frame {k + 1}: tshark {g!r}, wrapped {w!r}", file=sys.stderr)
                    break
            if len(got) != len(want):
                print(f"{name}: tshark {len(got)} frames, wrapped {len(want)}", file=sys.stderr)
            continue
        conns = tshark_connections(view, opts)
        doc["cases"][name] = {
            "file": f"encap-{name}.pcap", "source": f"samples/{sample}", "linktype": link, "note": note,
            "encaps": kinds, "tshark_options": opts, "tshark_view": why, "sha256": hashlib.sha256(data).hexdigest(),
            "frames": len(inner), "tcp_frames": sum(1 for r in got if r != "-"),
            "rows_sha256": hashlib.sha256("\n".join(got).encode()).hexdigest(),
            "connections": conns,
        }
        print(f"ok {name}: {len(got)} frames, {len(conns)} connections: " + "; ".join(
            f"sni={c['sni']} sv={c['client_supported_versions']} neg={c['negotiated_version']} alert={c['alert']}"
            for c in conns), file=sys.stderr)
    if bad:
        print(f"{bad} case(s) not decoded by tshark as wrapped: {EXPECTED} left unchanged", file=sys.stderr)
        return 1
    with open(EXPECTED, "w") as f:
        f.write(dump_expected(doc))
    print(f"wrote {EXPECTED} ({len(doc['cases'])} cases)", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list"]:
        for name, (sample, link, _, kinds, v6, opts, note) in CASES.items():
            print(f"{name:22} link {link:3} {sample:20} {'+'.join(kinds):28} {note}")
        return 0
    if argv[:1] == ["--derive"]:
        outdir = argv[1] if len(argv) > 1 else tempfile.mkdtemp(prefix="tlsaudit-encap.")
        return derive(outdir)
    if len(argv) != 1 or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    for p in write_all(argv[0]).values():
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
