#!/usr/bin/env python3
"""gen_scale.py - write a synthetic capture of a network with many hosts, for the report at scale (tests and the
README's demo). Ethernet/IPv4+IPv6/TCP pcap (microsecond timestamps); every byte is built here.

The network (fractions of --roles host roles, deterministic for a --seed):
- servers (30%, 10% of them IPv6): "modern" (TLS 1.2 and 1.3), "legacy" (TLS 1.0 to 1.2), "strict" (TLS 1.2
  only: a fatal protocol_version alert, sometimes a reset, for an older hello - the cloud endpoint of the
  Exchange case); some send an expired, expiring, self-signed, 1024-bit RSA or SHA-1-signed certificate
  (generated with the openssl command into --certdir), a few choose 3DES when the client offers it.
- clients (70%, 15% of them IPv6, some SNI values 200+ bytes long), each hello built from an entry of the client
  stack table (src/stack/stack_table.c: its cipher suites, extensions, groups, signature algorithms, point
  formats), so that tlsaudit names the stack: Windows 7 SChannel (TLS 1.0 only), Windows 8.1 SChannel, OpenSSL
  3.0, OpenSSL 0.9.8, Java 7, GnuTLS 3.7, Go, and hellos of no known stack. Some Windows 7 hosts also run a
  Java agent (two stacks on one host), some servers are also SChannel clients (Exchange: server and client).
- each client opens 1-4 connections; 2% end with the capture before the handshake is decided (outcome
  "incomplete": unknown, not failed).

usage: gen_scale.py OUT.pcap [--roles N] [--seed S] [--certdir DIR] [--start UNIXSECONDS]
prints one JSON line with what was written (connections, host roles by kind)."""
import argparse
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "..", "src", "stack", "stack_table.c")


# ---- the client stack table ------------------------------------------------------------------------------
def load_stacks(keys):
    src = open(TABLE).read()
    arrays = {}
    for m in re.finditer(r"static const uint(?:8|16)_t (\w+)\[\] = \{([^}]*)\};", src):
        arrays[m.group(1)] = [int(x, 0) for x in m.group(2).split(",") if x.strip()]
    out = {}
    for key in keys:
        m = re.search(r'\{\.key = "%s".*?\.sig = ' % re.escape(key), src, re.S)
        if not m:
            raise SystemExit(f"gen_scale: stack {key} not in {TABLE}")
        e = m.group(0)

        def arr(name):
            mm = re.search(r"\.%s = (\w+)" % name, e)
            return arrays.get(mm.group(1), []) if mm and mm.group(1) != "NULL" else []

        out[key] = {
            "max": int(re.search(r"max_version = (\w+)", e).group(1), 0),
            "ciphers": arr("ciphers"), "exts": arr("exts"), "groups": arr("groups"), "sigalgs": arr("sigalgs"),
            "pf": arr("point_formats"), "comp": arr("compression") or [0],
        }
    return out


STACKS = {  # key -> share of clients
    "openssl-303": 0.50, "go-1178": 0.08, "schannel-ie-11-win81": 0.09, "schannel-ie-8-10-win7": 0.11,
    "java-7u25": 0.04, "openssl-098y": 0.03, "gnutls-3.7-gnutls-cli": 0.06, "unknown": 0.09,
}


def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


def u16list(v, lenbytes=2):
    b = b"".join(struct.pack("!H", x) for x in v)
    return (struct.pack("!H", len(b)) if lenbytes == 2 else bytes([len(b)])) + b


def ext_body(t, st, sni):
    if t == 0:
        name = struct.pack("!BH", 0, len(sni)) + sni
        return struct.pack("!H", len(name)) + name
    if t == 10:
        return u16list(st["groups"])
    if t == 11:
        return bytes([len(st["pf"])]) + bytes(st["pf"])
    if t == 13:
        return u16list(st["sigalgs"])
    if t == 43:
        vs = [v for v in (0x0304, 0x0303, 0x0302, 0x0301) if v <= st["max"]][:2]
        return u16list(vs, 1)
    if t == 45:
        return b"\x01\x01"
    if t == 51:
        g = st["groups"][0] if st["groups"] else 29
        n = {29: 32, 23: 65, 24: 97, 25: 133, 30: 56}.get(g, 32)
        share = struct.pack("!HH", g, n) + (b"\x04" if g in (23, 24, 25) else b"\x11") + bytes(n - 1)
        return struct.pack("!H", len(share)) + share
    if t == 65281:
        return b"\x00"
    if t == 5:
        return b"\x01\x00\x00\x00\x00"
    if t == 28:
        return b"\x40\x01"
    if t == 17:
        return b"\x00\x09\x02\x00\x04\x00\x00\x00\x00\x00\x00"
    if t == 50:
        return u16list(st["sigalgs"])
    return b""


def client_hello(st, sni, rnd):
    exts = b""
    order = list(st["exts"])
    if sni and 0 not in order:
        order = [0] + order
    for t in order:
        if t == 0 and not sni:
            continue
        exts += ext(t, ext_body(t, st, sni))
    legacy = min(st["max"], 0x0303)
    body = struct.pack("!H", legacy) + rnd + b"\x00" + u16list(st["ciphers"]) + bytes([len(st["comp"])]) + bytes(
        st["comp"])
    if exts:
        body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return record(22, 0x0301, hs)


def unknown_stack(r):
    """A hello of no known stack: an unusual cipher list and extension set."""
    # DSS and CCM suites no stack of the table leads with, in a random order: the matcher finds nothing close
    ciphers = r.sample([0x0013, 0x0016, 0x0032, 0x0038, 0x0040, 0x0044, 0x0063, 0x0065, 0x0066, 0x0087, 0x00A2,
                        0x00A3, 0xC0A0, 0xC0A1, 0xC0AC, 0xC0AD], 10)
    return {"max": 0x0303 if r.random() < 0.6 else 0x0301, "ciphers": ciphers, "exts": [22, 10],
            "groups": [25], "sigalgs": [0x0402], "pf": [], "comp": [0]}


def record(ctype, ver, body):
    return struct.pack("!BHH", ctype, ver, len(body)) + body


def server_hello(version, cipher, rnd):
    sv = version if version <= 0x0303 else 0x0303
    exts = b""
    if version == 0x0304:
        exts = ext(43, struct.pack("!H", 0x0304)) + ext(51, struct.pack("!HH", 29, 32) + bytes(32))
    else:
        exts = ext(65281, b"\x00")
    body = struct.pack("!H", sv) + rnd + b"\x20" + rnd + struct.pack("!HB", cipher, 0) + struct.pack(
        "!H", len(exts)) + exts
    return b"\x02" + struct.pack("!I", len(body))[1:] + body


def certificate(der):
    entry = struct.pack("!I", len(der))[1:] + der
    lst = struct.pack("!I", len(entry))[1:] + entry
    return b"\x0b" + struct.pack("!I", len(lst))[1:] + lst


# ---- certificates (openssl command) ----------------------------------------------------------------------
def make_certs(d, start):
    """DER leafs: ok, expiring, expired (relative to start), selfsigned, rsa1024, sha1."""
    os.makedirs(d, exist_ok=True)
    now = time.time()
    days_to_start = max(1, int((start - now) / 86400) + 1)

    def run(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d)

    want = ["ok", "expiring", "expired", "selfsigned", "rsa1024", "sha1"]
    if all(os.path.exists(os.path.join(d, w + ".der")) for w in want) and os.path.exists(os.path.join(d, "start")) \
            and open(os.path.join(d, "start")).read() == str(start):
        return {w: open(os.path.join(d, w + ".der"), "rb").read() for w in want}
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj",
        "/CN=Example Internal CA", "-days", "3650")
    leafs = {"ok": (2048, days_to_start + 800, "sha256"), "expiring": (2048, days_to_start + 12, "sha256"),
             "expired": (2048, max(1, days_to_start - 20), "sha256"), "rsa1024": (1024, days_to_start + 800, "sha256"),
             "sha1": (2048, days_to_start + 800, "sha1")}
    for name, (bits, days, md) in leafs.items():
        run("req", "-newkey", f"rsa:{bits}", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
            f"/CN={name}.svc.example.test")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days",
            str(days), f"-{md}", "-out", f"{name}.pem")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "selfsigned.key", "-out", "selfsigned.pem",
        "-subj", "/CN=selfsigned.svc.example.test", "-days", str(days_to_start + 800))
    for w in want:
        run("x509", "-in", f"{w}.pem", "-outform", "DER", "-out", f"{w}.der")
    with open(os.path.join(d, "start"), "w") as f:
        f.write(str(start))
    return {w: open(os.path.join(d, w + ".der"), "rb").read() for w in want}


# ---- packets ---------------------------------------------------------------------------------------------
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0) + payload
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        et = b"\x08\x00"
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(tcp), 6)
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, src, dst)
        et = b"\x86\xdd"
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + et + ip + tcp


class Conn:
    """One TCP connection's packets, with sequence numbers kept per side."""

    def __init__(self, out, t, c, s, cp, sp, r):
        self.out, self.t, self.c, self.s, self.cp, self.sp = out, t, c, s, cp, sp
        self.cs, self.ss = r.randrange(1 << 31), r.randrange(1 << 31)

    def pkt(self, from_client, flags, payload=b""):
        self.t += 0.0004
        if from_client:
            self.out.append((self.t, frame(self.c, self.s, self.cp, self.sp, self.cs, self.ss, flags, payload)))
            self.cs += len(payload) + (1 if flags & 0x03 else 0)
        else:
            self.out.append((self.t, frame(self.s, self.c, self.sp, self.cp, self.ss, self.cs, flags, payload)))
            self.ss += len(payload) + (1 if flags & 0x03 else 0)

    def open(self):
        self.pkt(True, 0x02)
        self.pkt(False, 0x12)
        self.pkt(True, 0x10)

    def close(self):
        self.pkt(True, 0x11)
        self.pkt(False, 0x11)
        self.pkt(True, 0x10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--roles", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--certdir", default=None)
    ap.add_argument("--start", type=int, default=None, help="first packet (default: 60 days from now, whole day)")
    a = ap.parse_args()
    r = random.Random(a.seed)
    start = a.start or (int(time.time() / 86400) + 60) * 86400
    certdir = a.certdir or tempfile.mkdtemp(prefix="tlsaudit-certs-")
    certs = make_certs(certdir, start)
    stacks = load_stacks([k for k in STACKS if k != "unknown"] + ["java-17-jsse"])

    n_servers = max(1, a.roles * 3 // 10)
    n_clients = max(1, a.roles - n_servers)
    servers = []
    for i in range(n_servers):
        v6 = r.random() < 0.10
        addr = (bytes.fromhex("20010db8") + struct.pack("!HH", 0x5000 + i // 200, 0) + bytes(6) + struct.pack("!H", i % 200 + 1)
                if v6 else bytes([10, 200 + i // 60000, (i // 250) % 240, i % 250 + 1]))
        x = r.random()
        kind = "modern" if x < 0.62 else "legacy" if x < 0.82 else "strict"
        y = r.random()
        cert = ("expired" if y < 0.03 else "expiring" if y < 0.06 else "selfsigned" if y < 0.11 else
                "rsa1024" if y < 0.13 else "sha1" if y < 0.15 else "ok")
        servers.append({"addr": addr, "kind": kind, "cert": cert, "weak": r.random() < 0.05,
                        "port": r.choice([443, 443, 443, 443, 8443, 993, 587])})
    # some servers are also Windows clients (an Exchange server: server and client)
    dual = r.sample(range(n_servers), max(1, n_servers // 50))
    # the cloud endpoint the Exchange hosts fail against: a strict server
    strict = [s for s in servers if s["kind"] == "strict"] or servers[:1]

    clients = []
    weights = list(STACKS.values())
    names = list(STACKS.keys())
    for i in range(n_clients):
        v6 = r.random() < 0.15
        addr = (bytes.fromhex("20010db8") + struct.pack("!HHHH", 0x100 + i // 500, r.randrange(65536), r.randrange(65536),
                                                        r.randrange(65536)) + struct.pack("!HH", 0xabcd, i % 500 + 1)
                if v6 else bytes([10, 1 + i // 62500, (i // 250) % 250, i % 250 + 1]))
        key = r.choices(names, weights)[0]
        extra = []
        if key == "schannel-ie-8-10-win7" and r.random() < 0.25:
            extra.append("java-17-jsse")  # a Java agent on the same Windows host
        if key == "schannel-ie-8-10-win7" and r.random() < 0.15:
            extra.append("unknown")  # a program with its own TLS library on a Windows host
        clients.append({"addr": addr, "stacks": [key] + extra})
    for k in dual:
        clients.append({"addr": servers[k]["addr"], "stacks": ["schannel-ie-8-10-win7"]})

    domains = ["corp.example", "cloud.example.net", "mail.example.org", "partner.example.com", "iot.example"]
    long_sni = ("x" * 60 + ".") * 3 + "very-long-name.example"
    pkts = []
    t = float(start)
    span = 86400.0
    n_conn = 0
    incomplete = []
    stats = {"established": 0, "failed": 0, "incomplete": 0}
    for ci, cl in enumerate(clients):
        unknown_st = unknown_stack(r)
        for k in range(r.randint(1, 4)):
            key = r.choice(cl["stacks"])
            st = unknown_st if key == "unknown" else stacks[key]
            srv = r.choice(strict) if key == "schannel-ie-8-10-win7" and r.random() < 0.5 else r.choice(servers)
            if len(srv["addr"]) != len(cl["addr"]):
                srv = r.choice([s for s in servers if len(s["addr"]) == len(cl["addr"])] or servers)
                if len(srv["addr"]) != len(cl["addr"]):
                    continue
            ct = start + r.random() * span
            conn_pkts = []
            c = Conn(conn_pkts, ct, cl["addr"], srv["addr"], 20000 + (ci * 7 + k) % 40000, srv["port"], r)
            sni = b""
            if r.random() < 0.85:
                sni = (long_sni if r.random() < 0.01 else f"svc{r.randrange(400)}.{r.choice(domains)}").encode()
            rnd = bytes(r.randrange(256) for _ in range(32))
            c.open()
            c.pkt(True, 0x18, client_hello(st, sni, rnd))
            cmax = st["max"]
            smax = 0x0304 if srv["kind"] == "modern" else 0x0303
            smin = 0x0303 if srv["kind"] in ("strict", "modern") else 0x0301
            if r.random() < 0.02:  # the capture ends before this handshake is decided
                c.pkt(False, 0x18, record(22, 0x0303, server_hello(min(cmax, smax, 0x0303), 0xC02F, rnd)))
                incomplete.append(conn_pkts)
                stats["incomplete"] += 1
                n_conn += 1
                continue
            if cmax < smin:
                if r.random() < 0.2:
                    c.pkt(False, 0x14)  # reset
                else:
                    c.pkt(False, 0x18, record(21, 0x0301, b"\x02\x46"))  # fatal protocol_version
                    c.pkt(False, 0x11)
                    c.pkt(True, 0x14)
                stats["failed"] += 1
            else:
                ver = min(cmax, smax)
                offered = st["ciphers"]
                if ver == 0x0304:
                    cipher = next((x for x in offered if 0x1301 <= x <= 0x1303), 0x1301)
                elif srv["weak"] and 0x000A in offered:
                    cipher = 0x000A  # TLS_RSA_WITH_3DES_EDE_CBC_SHA
                else:
                    pref = [0xC02F, 0xC030, 0xC013, 0xC014, 0x009E, 0x0033, 0x002F, 0x0035]
                    cipher = next((x for x in pref if x in offered), offered[0])
                sh = server_hello(ver, cipher, rnd)
                if ver == 0x0304:
                    c.pkt(False, 0x18, record(22, 0x0303, sh) + record(20, 0x0303, b"\x01") + record(23, 0x0303, bytes(90)))
                    c.pkt(True, 0x18, record(20, 0x0303, b"\x01") + record(23, 0x0303, bytes(53)))
                else:
                    rv = min(ver, 0x0303)
                    c.pkt(False, 0x18, record(22, rv, sh + certificate(certs[srv["cert"]]) + b"\x0e\x00\x00\x00"))
                    c.pkt(True, 0x18, record(22, rv, b"\x10\x00\x00\x42\x41" + bytes(65)) + record(20, rv, b"\x01") +
                          record(22, rv, bytes(40)))
                    c.pkt(False, 0x18, record(20, rv, b"\x01") + record(22, rv, bytes(40)))
                c.pkt(True, 0x18, record(23, min(ver, 0x0303), bytes(120)))
                c.pkt(False, 0x18, record(23, min(ver, 0x0303), bytes(300)))
                c.close()
                stats["established"] += 1
            pkts.extend(conn_pkts)
            n_conn += 1
    pkts.sort(key=lambda p: p[0])
    last = pkts[-1][0] if pkts else t
    for k, cp in enumerate(incomplete):  # these start last, and the capture ends with them
        base = last + 0.01 * (k + 1)
        d0 = cp[0][0]
        pkts.extend((base + (ts - d0), p) for ts, p in cp)
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, p in pkts:
            sec = int(ts)
            usec = min(999999, int(round((ts - sec) * 1e6)))
            f.write(struct.pack("<IIII", sec, usec, len(p), len(p)) + p)
    print(json.dumps({"connections": n_conn, "clients": len(clients), "servers": n_servers, "dual": len(dual),
                      "packets": len(pkts), "start": start, "certdir": certdir, **stats}))


if __name__ == "__main__":
    main()
