#!/usr/bin/env python3
"""spill_test.py - a read with more hosts than the writer keeps in memory (TA_AGG_SPILL_ROWS, 8,192 host rows
in include/tlsaudit/limits.h) writes parts of its summary out and merges them at the end: the summary must be
what the connections themselves say, a second read of the same file must add nothing, and the human summary
must list every host.

The capture: samples/tls10-rejected.pcap (two TLS 1.0 hellos refused with protocol_version by 127.0.0.10)
replicated 4,000 times with rewritten addresses by bench/make_capture.py: 8,000 connections, 12,000 host rows
(the spill happens once the writer holds 8,192).
Expected values come from the NDJSON of the same read (every connection's client, server and outcome), not
from the summary code.
usage: spill_test.py TLSAUDIT SOURCE_DIR"""
import collections
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SPILL_ROWS = 8192
tally = Checks()
check = tally.check

tmp = tempfile.mkdtemp(prefix="tlsaudit-spill-")
cap = os.path.join(tmp, "many.pcap")
subprocess.run([sys.executable, os.path.join(SRC, "bench", "make_capture.py"), cap, "--copies", "4000",
                "--concurrent", "64", os.path.join(SRC, "samples", "tls10-rejected.pcap")], check=True,
               capture_output=True)
db = os.path.join(tmp, "a.db")
r = subprocess.run([TOOL, "read", "--json", "--db", db, cap], capture_output=True, timeout=300)
check(r.returncode == 0, f"read rc {r.returncode}: {r.stderr[-300:]!r}")
conns = [json.loads(l) for l in r.stdout.splitlines()]
check(len(conns) == 8000, f"8,000 connections ({len(conns)})")

want = collections.defaultdict(lambda: [0, 0, 0])  # (ip, role) -> connections, established, failed
reasons = collections.Counter()
for c in conns:
    for ip, role in ((c["client_ip"], "client"), (c["server_ip"], "server")):
        w = want[(ip, role)]
        w[0] += 1
        w[1] += c["outcome"] == "established"
        w[2] += c["outcome"] == "alert"
        reasons[(ip, role, c["alert"])] += c["outcome"] == "alert"
check(len(want) > SPILL_ROWS, f"more host rows ({len(want)}) than the writer keeps ({SPILL_ROWS})")


def summary(path):
    with sqlite3.connect(path) as d:
        rows = d.execute("SELECT ip, role, connections, established, failed, failures FROM host_summary").fetchall()
    return {(ip, role): (n, e, f, fl) for ip, role, n, e, f, fl in rows}


got = summary(db)
check(len(got) == len(want), f"host_summary has every host and role once: {len(got)} rows, {len(want)} expected")
bad = [k for k, w in want.items() if k not in got or list(got[k][:3]) != w]
check(not bad, f"connections/established/failed per host as the NDJSON says; first wrong: {bad[:3]}")
for (ip, role, alert), n in list(reasons.items())[:2000]:
    fl = got.get((ip, role), (0, 0, 0, ""))[3]
    check(fl == f"{alert} x{n}", f"failures of {ip} {role}: {fl!r}, expected '{alert} x{n}'")

# the same bytes again: nothing added, the spilled part of the second read dropped
r2 = subprocess.run([TOOL, "read", "--db", db, cap], capture_output=True, timeout=300)
check(r2.returncode == 0 and b"nothing added" in r2.stderr, f"second read: rc {r2.returncode} {r2.stderr[-200:]!r}")
check(summary(db) == got, "a duplicate read leaves host_summary as it was")

# the human summary of a fresh read lists every host and role (read back from the database)
r3 = subprocess.run([TOOL, "read", "--db", os.path.join(tmp, "b.db"), cap], capture_output=True, timeout=300)
lines = [l for l in r3.stdout.decode().splitlines() if l.startswith("127.") or l.startswith("10.") or
         l.startswith("172.") or l.startswith("192.")]
check(r3.returncode == 0 and len(lines) == len(want), f"summary lists {len(lines)} host rows of {len(want)}")

tally.finish(f"{tally.checks} checks, {tally.failures} failed")
