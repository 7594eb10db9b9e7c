#!/usr/bin/env python3
"""hello_tshark.py - every ClientHello the probe builder makes, read by tshark and by our own pipeline
(`tlsaudit read`), must say what the builder meant: the record and hello versions, supported_versions (TLS 1.3
only, and only 0x0304), the SNI (none for SSL 2.0/3.0), the cipher list, no TLS_FALLBACK_SCSV, and for SSL 2.0
an SSLv2-format CLIENT-HELLO. The hellos are put into a capture, one TCP stream each to port 443.
usage: hello_tshark.py PROBE_HELLO_DUMP TLSAUDIT"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

DUMP, TOOL = sys.argv[1], sys.argv[2]
tally = Checks()
check = tally.check


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(sport, flags, seq, ack, payload=b""):
    src, dst = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    tcp = struct.pack("!HHIIBBHHH", sport, 443, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp


out = subprocess.run([DUMP], capture_output=True, check=True).stdout.decode().split("\n")
hellos = []
for line in out:
    if line.strip():
        v, sni, hx = line.split()
        hellos.append((int(v, 16), None if sni == "-" else sni, bytes.fromhex(hx)))
check(len(hellos) == 12, f"{len(hellos)} hellos dumped")

tmp = tempfile.mkdtemp(prefix="tlsaudit-hello-")
pcap = os.path.join(tmp, "hellos.pcap")
with open(pcap, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t = 1700000000
    for i, (_, _, h) in enumerate(hellos):
        sport = 40000 + i
        pkts = [frame(sport, 0x02, 1000, 0), frame(sport, 0x18, 1001, 1, h), frame(sport, 0x11, 1001 + len(h), 1)]
        for k, p in enumerate(pkts):
            f.write(struct.pack("<IIII", t + i, k, len(p), len(p)) + p)

# ---- tshark ----
if not shutil.which("tshark"):
    print("SKIP tshark part: tshark not installed (apt-get install tshark)")
else:
    fields = ["tcp.srcport", "tls.record.version", "tls.handshake.version", "tls.handshake.extensions.supported_version",
              "tls.handshake.extensions_server_name", "tls.handshake.ciphersuite", "tls.handshake.extension.type",
              "tls.handshake.cipherspec", "tls.handshake.challenge_length"]
    args = ["tshark", "-n", "-r", pcap, "-o", "tcp.check_checksum:FALSE", "-Y", "tls.handshake.type == 1", "-T", "fields",
            "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for fl in fields:
        args += ["-e", fl]
    r = subprocess.run(args, capture_output=True, timeout=60)
    check(r.returncode == 0, f"tshark: {r.stderr.decode()[:300]}")
    rows = {}
    for line in r.stdout.decode().splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        rows[int(cols[0])] = dict(zip(fields, cols))
    check(len(rows) == len(hellos), f"tshark saw {len(rows)} hellos of {len(hellos)}")
    for i, (v, sni, h) in enumerate(hellos):
        row = rows.get(40000 + i)
        if row is None:
            check(False, f"hello {i} (0x{v:04x}) not dissected")
            continue
        what = f"hello 0x{v:04x} sni {sni}"
        hv = int(row["tls.handshake.version"].split(",")[0], 16)
        if v == 0x0002:
            check(hv == 0x0002, f"{what}: SSLv2 CLIENT-HELLO version {hv:#x}")
            check(row["tls.handshake.challenge_length"] == "16", f"{what}: challenge {row['tls.handshake.challenge_length']}")
            specs = [int(x, 16) for x in row["tls.handshake.cipherspec"].split(",") if x]
            check(specs == [0x0700C0, 0x050080, 0x030080, 0x010080, 0x060040, 0x040080, 0x020080],
                  f"{what}: cipher specs {specs}")
            check(row["tls.handshake.extensions_server_name"] == "", f"{what}: no SNI in SSLv2")
            continue
        rv = int(row["tls.record.version"].split(",")[0], 16)
        check(rv == (0x0300 if v == 0x0300 else 0x0301), f"{what}: record version {rv:#x}")
        check(hv == (0x0303 if v == 0x0304 else v), f"{what}: legacy_version {hv:#x}")
        sv = [int(x, 16) for x in row["tls.handshake.extensions.supported_version"].split(",") if x]
        check(sv == ([0x0304] if v == 0x0304 else []), f"{what}: supported_versions {sv}")
        want_sni = sni if (sni and v >= 0x0301) else ""
        check(row["tls.handshake.extensions_server_name"] == want_sni, f"{what}: SNI {row['tls.handshake.extensions_server_name']!r}")
        suites = [int(x, 16) for x in row["tls.handshake.ciphersuite"].split(",") if x]
        check(0x5600 not in suites and 0x00FF in suites, f"{what}: SCSVs")
        check(len(suites) == len(set(suites)) and len(suites) >= (5 if v == 0x0304 else 60), f"{what}: {len(suites)} suites")
        exts = [int(x) for x in row["tls.handshake.extension.type"].split(",") if x]
        check((exts == []) == (v == 0x0300), f"{what}: extensions {exts}")
        if v == 0x0304:
            check(51 in exts and 43 in exts and 13 in exts, f"{what}: key_share, supported_versions, signature_algorithms")
        hello_by_port = (v, suites, exts)
        rows[40000 + i]["_suites"] = suites

# ---- our pipeline on the same capture ----
db = os.path.join(tmp, "h.db")
r = subprocess.run([TOOL, "read", "--db", db, "--json", "--no-ndpi", pcap], capture_output=True, timeout=60)
check(r.returncode == 0, f"tlsaudit read: {r.returncode} {r.stderr.decode()[:300]}")
recs = {x["client_port"]: x for x in (json.loads(l) for l in r.stdout.decode().splitlines() if l.strip())}
check(len(recs) == len(hellos), f"tlsaudit read saw {len(recs)} hellos")
names = {0x0002: "SSL 2.0", 0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}
for i, (v, sni, h) in enumerate(hellos):
    x = recs.get(40000 + i)
    if x is None:
        check(False, f"read: hello {i} missing")
        continue
    what = f"read 0x{v:04x} sni {sni}"
    check(x.get("client_max_version") == names[v], f"{what}: client_max_version {x.get('client_max_version')}")
    check(x.get("client_legacy_version") == names[0x0303 if v == 0x0304 else v], f"{what}: legacy {x.get('client_legacy_version')}")
    want_sv = ["TLS 1.3"] if v == 0x0304 else []
    check(x.get("client_supported_versions") == want_sv, f"{what}: supported {x.get('client_supported_versions')}")
    want_sni = sni if (sni and v >= 0x0301) else None
    check(x.get("sni") == want_sni, f"{what}: sni {x.get('sni')}")
    check("malformed" not in (x.get("flags") or []), f"{what}: flags {x.get('flags')}")
    if v == 0x0002:
        check("sslv2_client_hello" in (x.get("flags") or []), f"{what}: SSLv2 format flag {x.get('flags')}")
    elif shutil.which("tshark"):
        theirs = rows.get(40000 + i, {}).get("_suites", [])
        check(x.get("ciphers_offered") == len(theirs), f"{what}: {x.get('ciphers_offered')} suites, tshark {len(theirs)}")

print(f"{tally.checks} checks, {tally.failures} failed")
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(tally.exit_code())
