#!/usr/bin/env python3
"""cli_test.py - `tlsaudit read` end to end on the bundled samples: outputs,
exit statuses and messages for bad input, and that nothing already stored is
lost. usage: cli_test.py TLSAUDIT SAMPLES_DIR"""
import json
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SAMPLES = sys.argv[1], sys.argv[2]
tally = Checks()
check = tally.check


def run(*args, stdin=None):
    return subprocess.run([TOOL, *args], capture_output=True, input=stdin, timeout=60)


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "events"))
import ndjson_schema  # noqa: E402  docs/ndjson.schema.json


def ndjson(out):
    rows = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
    bad = ndjson_schema.problems(rows)
    check(not bad, f"NDJSON lines match docs/ndjson.schema.json: {bad[:3]}")
    return rows


tmp = tempfile.mkdtemp(prefix="tlsaudit-cli-")
db = os.path.join(tmp, "t.db")
s = lambda name: os.path.join(SAMPLES, name)

# --json: stdout is only NDJSON, in order of first packet; the Exchange case
r = run("read", "--db", db, "--json", s("tls10-rejected.pcap"))
check(r.returncode == 0, f"read exit {r.returncode}: {r.stderr!r}")
rows = ndjson(r.stdout)
check(len(rows) == 2, f"tls10-rejected: {len(rows)} rows")
check(all(x["client_max_version"] == "TLS 1.0" and x["negotiated_version"] is None for x in rows), "TLS 1.0 offered, nothing negotiated")
check(all(x["alert"] == "protocol_version" and x["alert_sender"] == "server" and x["outcome"] == "alert" for x in rows), "server protocol_version alert")
check([x["ts"] for x in rows] == sorted(x["ts"] for x in rows), "order of first packet")

# the same capture again: nothing added, same NDJSON printed again, message on stderr
r2 = run("read", "--db", db, "--json", s("tls10-rejected.pcap"))
check(r2.returncode == 0 and ndjson(r2.stdout) == rows, "second read prints the stored rows")
check(b"already in" in r2.stderr, "second read says it was already stored")
con = sqlite3.connect(db)
check(con.execute("select count(*) from connections").fetchone()[0] == 2, "no duplicate connections")
con.close()

# stdin
with open(s("tls13.pcap"), "rb") as f:
    data = f.read()
r = run("read", "--db", db, "--json", "-", stdin=data)
check(r.returncode == 0 and len(ndjson(r.stdout)) == 3, f"stdin: {r.returncode} {len(ndjson(r.stdout))}")

# human summary: per host and role
r = run("read", "--db", db, s("before.pcap"))
out = r.stdout.decode()
check(r.returncode == 0 and "127.0.0.5" in out and "client" in out and "protocol_version x3" in out, f"summary: {out}")

# BPF filter
r = run("read", "--db", os.path.join(tmp, "f.db"), "--json", "-f", "src host 127.0.0.3 or dst host 127.0.0.3", s("multi-host.pcap"))
rows = ndjson(r.stdout)
check(r.returncode == 0 and len(rows) == 2 and all(x["client_ip"] == "127.0.0.3" for x in rows), f"filter: {len(rows)} rows")
r = run("read", "--db", os.path.join(tmp, "f.db"), "-f", "tcp port", s("tls11.pcap"))
check(r.returncode == 1 and b"filter" in r.stderr, f"bad filter: {r.returncode} {r.stderr!r}")

# bad flags
r = run("read", "--max-flows", "abc", s("tls11.pcap"))
check(r.returncode == 1 and b"--max-flows" in r.stderr, "bad number")
r = run("read", "--bogus", s("tls11.pcap"))
check(r.returncode == 1, "unknown option")
r = run("frobnicate")
check(r.returncode == 1, "unknown command")
r = run("read", "--db", db)
check(r.returncode == 1 and b"no capture file" in r.stderr, "no file")

# not a capture / empty / missing: named, exit 2, other files still read
text = os.path.join(tmp, "notes.txt")
open(text, "w").write("hello, this is not a capture\n")
empty = os.path.join(tmp, "empty.pcap")
open(empty, "wb").close()
db2 = os.path.join(tmp, "bad.db")
r = run("read", "--db", db2, "--json", text, empty, os.path.join(tmp, "missing.pcap"), s("tls11.pcap"))
err = r.stderr.decode()
check(r.returncode == 2, f"bad inputs exit {r.returncode}")
check("notes.txt: not a pcap or pcapng capture" in err, f"not a capture message: {err}")
check("empty.pcap: empty file" in err, "empty file message")
check("missing.pcap" in err, "missing file message")
check(len(ndjson(r.stdout)) == 1, "the good file after the bad ones is still read")

# unsupported link type: named in a warning, frames counted, exit 0
ult = os.path.join(tmp, "usb.pcap")
b = bytearray(data)
b[20:24] = struct.pack("<I", 189)  # LINKTYPE_USB_LINUX
open(ult, "wb").write(b)
r = run("read", "--db", db2, ult)
con = sqlite3.connect(db2)
warn = con.execute("select warnings, unsupported_link from captures where path = ?", (ult,)).fetchone()
con.close()
check(warn is not None and "unsupported link type" in (warn[0] or "") and warn[1] > 0, f"unsupported link type stored: {warn}")

# file cut mid-packet: warning with the offset, exit 3, earlier connections kept
with open(s("after.pcap"), "rb") as f:
    full = f.read()
# cut in the middle of the last ServerHello record: the third handshake is in progress
off, last_sh = 24, None
while off + 16 <= len(full):
    caplen = struct.unpack("<I", full[off + 8:off + 12])[0]
    if b"\x16\x03\x03" in full[off + 16:off + 16 + caplen] and full[off + 16:off + 16 + caplen].find(b"\x16\x03\x03") >= 0:
        rec = full[off + 16:off + 16 + caplen]
        i = rec.find(b"\x16\x03\x03")
        if i + 5 < len(rec) and rec[i + 5] == 2:
            last_sh = off
    off += 16 + caplen
check(last_sh is not None, "found the last ServerHello frame")
cut = os.path.join(tmp, "cut.pcap")
open(cut, "wb").write(full[: last_sh + 40])
db3 = os.path.join(tmp, "cut.db")
r = run("read", "--db", db3, "--json", cut)
err = r.stderr.decode()
rows = ndjson(r.stdout)
check(r.returncode == 3, f"cut exit {r.returncode}")
check("ends inside a packet record at offset" in err, f"cut message: {err}")
check(len(rows) == 3 and rows[0]["established"] and rows[1]["established"], f"connections before the cut kept: {len(rows)}")
check(rows[-1]["outcome"] == "truncated" and "truncated" in rows[-1]["flags"] and not rows[-1]["established"],
      f"the connection at the cut is marked truncated: {rows[-1]['outcome']} {rows[-1]['flags']}")
con = sqlite3.connect(db3)
check(con.execute("select status from captures").fetchone()[0] == "cut", "capture status cut")
con.close()

# snaplen-cut frames: one warning with counts
snap = os.path.join(tmp, "snap.pcap")
subprocess.run(["editcap", "-s", "80", s("tls12-sni.pcap"), snap], check=True, capture_output=True)
r = run("read", "--db", db3, snap)
err = r.stderr.decode()
check(err.count("snapshot length") == 1, f"one snaplen warning: {err}")

# unwritable database: exit 4, clear message
r = run("read", "--db", "/proc/tlsaudit-cannot-write-here.db", s("tls11.pcap"))
check(r.returncode == 4 and b"tlsaudit-cannot-write-here.db" in r.stderr, f"unwritable db: {r.returncode} {r.stderr!r}")
# not a database
r = run("read", "--db", text, s("tls11.pcap"))
check(r.returncode == 4 and b"not a database" in r.stderr, f"non-database file: {r.returncode} {r.stderr!r}")

# -j 2: the same connections as one at a time, in the same order, no duplicates
allsamples = sorted(os.path.join(SAMPLES, f) for f in os.listdir(SAMPLES) if f.endswith(".pcap"))
dbs, dbp = os.path.join(tmp, "seq.db"), os.path.join(tmp, "par.db")
r1 = run("read", "--db", dbs, "--json", *allsamples)
r2 = run("read", "--db", dbp, "--json", "-j", "2", *allsamples)
key = lambda rows: [(x["client_ip"], x["client_port"], x["server_ip"], x["server_port"], x["negotiated_version"]) for x in rows]
check(r2.returncode == 0 and key(ndjson(r1.stdout)) == key(ndjson(r2.stdout)) and len(ndjson(r2.stdout)) > 10,
      f"-j 2 output equals sequential: {r2.returncode} {len(ndjson(r2.stdout))}")
r3 = run("read", "--db", dbp, "-q", "-j", "2", *allsamples)
con = sqlite3.connect(dbp)
check(con.execute("select count(*) from connections").fetchone()[0] == len(ndjson(r1.stdout)), "-j 2 twice: no duplicates")
con.close()
r = run("read", "-j", "0", s("tls11.pcap"))
check(r.returncode == 1, "-j 0 refused")

# the database passes integrity_check after all of this
for d in (db, db2, db3, dbp):
    con = sqlite3.connect(d)
    check(con.execute("pragma integrity_check").fetchone()[0] == "ok", f"integrity {d}")
    con.close()

tally.finish(f"cli: {tally.passed}/{tally.checks} checks passed")
