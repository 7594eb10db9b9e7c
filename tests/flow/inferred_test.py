#!/usr/bin/env python3
"""inferred_test.py - "established" from what is visible (README "When is a handshake established") and exact
duplicate frames, on real handshakes of samples/tls12-sni.pcap edited by this script:

1. lost flight: the server's segment with ServerHello, Certificate, ServerKeyExchange and ServerHelloDone
   (frame 6 of the first connection, client port 50310) removed. tshark confirms what remains: no ServerHello,
   ChangeCipherSpec from both sides, application data both ways. tlsaudit must say established, with the flags
   established_inferred and gap_server, and no negotiated version (none is visible).
2. duplicates: every frame of the capture written twice (same bytes, same time). Same connections as the
   original, each with the flag duplicate_frames and the packets counted once.
usage: inferred_test.py TLSAUDIT SAMPLES_DIR"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SAMPLES = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tally = Checks()
check = tally.check


def frames(path):
    d = open(path, "rb").read()
    head, off, out = d[:24], 24, []
    while off + 16 <= len(d):
        cl = struct.unpack("<I", d[off + 8:off + 12])[0]
        out.append(d[off:off + 16 + cl])
        off += 16 + cl
    return head, out


def read(path):
    with tempfile.TemporaryDirectory() as t:
        r = subprocess.run([TOOL, "read", "--json", "-q", "--db", os.path.join(t, "x.db"), path], capture_output=True)
    check(r.returncode == 0, f"read {path}: rc {r.returncode} {r.stderr[-200:]!r}")
    return [json.loads(l) for l in r.stdout.splitlines()]


def tshark(path, fields):
    r = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields"] + sum((["-e", f] for f in fields), []),
                       capture_output=True, text=True)
    return [l.split("\t") for l in r.stdout.splitlines()]


tmp = tempfile.mkdtemp(prefix="tlsaudit-inferred-")
src = os.path.join(SAMPLES, "tls12-sni.pcap")
head, frs = frames(src)

# 1. the server's first flight lost
lost = os.path.join(tmp, "lost-flight.pcap")
with open(lost, "wb") as f:
    f.write(head + b"".join(fr for i, fr in enumerate(frs) if i != 5))
rows = [r for r in tshark(lost, ["tcp.srcport", "tcp.dstport", "tls.record.content_type", "tls.handshake.type"])
        if "50310" in r[:2]]
types = [(r[0], r[2], r[3]) for r in rows if r[2]]
check(not any("2" in t[2].split(",") for t in types), f"tshark: no ServerHello left: {types}")
check(any(t[0] == "50310" and "20" in t[1].split(",") for t in types) and
      any(t[0] == "443" and "20" in t[1].split(",") for t in types), f"tshark: ChangeCipherSpec both ways: {types}")
check(any(t[0] == "50310" and t[1] == "23" for t in types) and any(t[0] == "443" and t[1] == "23" for t in types),
      f"tshark: application data both ways: {types}")
conns = {c["client_port"]: c for c in read(lost)}
c = conns.get(50310)
check(c is not None, f"the connection is there: {sorted(conns)}")
if c:
    check(c["established"] is True and c["outcome"] == "established", f"established: {c['established']} {c['outcome']}")
    check("established_inferred" in c["flags"] and "gap_server" in c["flags"], f"flags say why: {c['flags']}")
    check(c["negotiated_version"] is None, f"no version invented: {c['negotiated_version']}")
orig = {c["client_port"]: c for c in read(src)}
check("established_inferred" not in orig[50310]["flags"], f"the whole capture needs no inference: {orig[50310]['flags']}")

# 2. every frame twice
dup = os.path.join(tmp, "dup.pcap")
with open(dup, "wb") as f:
    f.write(head + b"".join(fr + fr for fr in frs))
got = read(dup)
check(len(got) == len(orig), f"each connection once: {len(got)} of {len(orig)}")
for g in got:
    o = orig.get(g["client_port"])
    check(o is not None and "duplicate_frames" in g["flags"], f"{g['client_port']}: duplicate_frames in {g['flags']}")
    if o:
        check(g["packets"] == o["packets"], f"{g['client_port']}: packets counted once: {g['packets']} vs {o['packets']}")
        same = {k: v for k, v in g.items() if k not in ("flags", "capture")} == \
            {k: v for k, v in o.items() if k not in ("flags", "capture")}
        check(same, f"{g['client_port']}: otherwise the same record")

tally.finish(f"{tally.checks} checks, {tally.failures} failed")
