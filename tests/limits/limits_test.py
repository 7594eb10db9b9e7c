#!/usr/bin/env python3
"""limits_test.py - hostile floods stay within the configured caps.

Builds a flood capture with bench/flood.py (SYN flood, half-sent ClientHellos,
records and handshakes claiming huge lengths, an endless run of one-byte
segments, overlapping retransmissions with other bytes) around three copies of
the real Exchange-case handshakes (samples/tls10-rejected.pcap), reads it with
small --max-flows / --max-memory, and checks: the real handshakes are decoded
with their true values, the counters say what was dropped, the database is
sound, and peak memory stays under the cap plus the fixed baseline.
usage: limits_test.py TLSAUDIT SOURCE_ROOT WORKDIR [--no-rss]   (--no-rss under sanitizers,
whose shadow memory makes RSS meaningless)"""
import os
import resource
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

tool, root, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
cap = os.path.join(work, "flood.pcap")
subprocess.run([sys.executable, os.path.join(root, "bench", "flood.py"), cap,
                "--legit", os.path.join(root, "samples", "tls10-rejected.pcap"),
                "--syns", "200000", "--hellos", "30000", "--huge", "500", "--tiny", "20000",
                "--overlaps", "500"], check=True, capture_output=True)
db = os.path.join(work, "flood.db")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix):
        os.unlink(db + suffix)

MAX_MEMORY = 16 * 1024 * 1024
# binary, libraries, nDPI's automata, SQLite cache, the read buffer, 4 MiB read ahead, and the per-host-role
# summary rows a read keeps in memory (not under --max-memory): 864 bytes each (struct agg_host), at most
# TA_AGG_SPILL_ROWS (8,192) before they go to spill tables; this flood has 31,004
BASELINE = 56 * 1024 * 1024
r = subprocess.run([tool, "read", "-q", "--db", db, "--max-flows", "20000", "--max-memory", str(MAX_MEMORY),
                    "--max-segments", "8", "--max-dir-bytes", "16384", cap], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024

tally = Checks(out=None)
check = tally.check

check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
con = sqlite3.connect(db)
legit = con.execute("select client_ip, client_max_version, negotiated_version, alert, outcome from connections"
                    " where server_ip = '127.0.0.10' order by ts_ns").fetchall()
check(len(legit) == 6, f"legit handshakes decoded: {len(legit)} of 6")
for row in legit:
    check(row[1] == "TLS 1.0" and row[2] is None and row[3] == "protocol_version" and row[4] == "alert",
          f"legit handshake values: {row}")
stats = dict(zip(["flows", "flows_evicted", "mem_capped", "reasm_gaps", "reasm_ooo_dropped", "reasm_bytes_capped"],
                 con.execute("select flows, flows_evicted, mem_capped, reasm_gaps, reasm_ooo_dropped,"
                             " reasm_bytes_capped from captures").fetchone()))
check(stats["flows"] > 200000, f"flows counted: {stats}")
check(stats["flows_evicted"] > 0, f"evictions counted: {stats}")
check(stats["reasm_gaps"] > 0, f"gaps counted: {stats}")
huge = con.execute("select count(*) from connections where client_ip like '12.%' or client_ip like '13.%'").fetchone()[0]
check(huge >= 1, "connections claiming huge lengths are reported, not crashed on")
check(con.execute("pragma integrity_check").fetchone()[0] == "ok", "integrity_check")
con.close()
check("--no-rss" in sys.argv or peak < MAX_MEMORY + BASELINE, f"peak RSS {peak >> 20} MiB over {(MAX_MEMORY + BASELINE) >> 20} MiB")
print(f"limits: peak RSS {peak >> 20} MiB (cap {MAX_MEMORY >> 20} MiB + {BASELINE >> 20} MiB baseline), {stats}")
for f in tally.failed:
    print("FAIL:", f, file=sys.stderr)
sys.exit(tally.exit_code())
