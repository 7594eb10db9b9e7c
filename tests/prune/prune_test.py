#!/usr/bin/env python3
"""prune_test.py - `tlsaudit prune` on real captures (samples/, with their packet times moved by editcap):

  old.pcap    tls12-sni.pcap 100 days back          -> its capture goes whole
  mixed.pcap  tls11.pcap 100 days back + before.pcap -> trimmed: the old part goes, a note says so
  recent.pcap tls13.pcap as recorded                -> stays

After `prune --older-than 30d` the database must equal one that never had the old parts (read of recent.pcap and
before.pcap): the same connections (export, compared without the capture name), the same per-host summary, the
same number of shared rows (hosts, strings, hello shapes, certificates: the orphans are gone), integrity_check and
foreign_key_check clean; the trimmed capture's stored count and digest match its rows (a second database pruned
the same way merges into it as "already present", nothing in conflict). Also: --keep-captures, --vacuum shrinks
the file, a capture being read by another process is left alone (and shared rows kept), bad command lines.
usage: prune_test.py TLSAUDIT SAMPLES_DIR"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SAMPLES = sys.argv[1], sys.argv[2]
DAY = 86400
tally = Checks()
check = tally.check


def run(*args, **kw):
    return subprocess.run([TOOL, *args], capture_output=True, timeout=120, **kw)


tmp = tempfile.mkdtemp(prefix="tlsaudit-prune-")
p = lambda n: os.path.join(tmp, n)
s = lambda n: os.path.join(SAMPLES, n)


def shifted(src, days, dst):
    subprocess.run(["editcap", "-F", "pcap", "-t", str(-days * DAY), src, dst], check=True, capture_output=True)
    return dst


shifted(s("tls12-sni.pcap"), 100, p("old.pcap"))
shifted(s("tls11.pcap"), 100, p("old-part.pcap"))
subprocess.run(["mergecap", "-F", "pcap", "-w", p("mixed.pcap"), p("old-part.pcap"), s("before.pcap")], check=True)
shifted(s("tls13.pcap"), 0, p("recent.pcap"))
shifted(s("before.pcap"), 0, p("before-copy.pcap"))


def q(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def one(db, sql):
    return q(db, sql)[0][0]


def export_rows(db):
    r = run("export", "--db", db)
    check(r.returncode == 0, f"export {db}: {r.stderr!r}")
    rows = [json.loads(l) for l in r.stdout.decode().splitlines()]
    for x in rows:
        x.pop("capture")
    return sorted(rows, key=lambda x: (x["ts"], x["client_port"]))


SHARED = ["hosts", "strings", "client_hellos", "server_hellos", "certificates"]


def read_into(db, *files):
    r = run("read", "-q", "--db", db, *files)
    check(r.returncode == 0, f"read {files}: {r.stderr!r}")


def clean(db, what):
    check(one(db, "pragma integrity_check") == "ok", f"{what}: integrity_check")
    check(q(db, "pragma foreign_key_check") == [], f"{what}: foreign_key_check")
    # every capture's stored count is its rows
    bad = q(db, "SELECT k.id, k.connections, (SELECT count(*) FROM conn c WHERE c.capture_id = k.id) FROM captures k"
            " WHERE k.connections != (SELECT count(*) FROM conn c WHERE c.capture_id = k.id)")
    check(bad == [], f"{what}: captures.connections equals the rows: {bad}")


# ---- --older-than: whole capture, trimmed capture, kept capture ----
db, ref = p("a.db"), p("ref.db")
read_into(db, p("old.pcap"), p("mixed.pcap"), p("recent.pcap"))
read_into(ref, p("before-copy.pcap"), p("recent.pcap"))
n_old = one(db, "SELECT count(*) FROM conn WHERE ts_ns < (strftime('%s','now') - 30*86400) * 1000000000")
check(n_old >= 3, f"the old parts hold connections: {n_old}")
mixed_before = one(db, "SELECT connections FROM captures WHERE path LIKE '%mixed.pcap'")
r = run("prune", "--db", db, "--older-than", "30d")
out = r.stdout.decode()
check(r.returncode == 0, f"prune exit {r.returncode}: {r.stderr!r}")
check(f"{n_old} connections and 1 captures deleted, 1 captures trimmed" in out, f"prune summary: {out}")
check("bytes on disk" in out, "sizes reported")
clean(db, "after --older-than")
paths = [x[0] for x in q(db, "SELECT path FROM captures ORDER BY id")]
check([os.path.basename(x) for x in paths] == ["mixed.pcap", "recent.pcap"], f"captures left: {paths}")
mixed = q(db, "SELECT connections, warnings FROM captures WHERE path LIKE '%mixed.pcap'")[0]
check(mixed[0] == one(ref, "SELECT connections FROM captures WHERE path LIKE '%before-copy.pcap'") and
      mixed[0] < mixed_before, f"trimmed count: {mixed[0]} of {mixed_before}")
check("pruned: " in mixed[1] and " connections before " in mixed[1], f"trim note: {mixed[1]!r}")
check(export_rows(db) == export_rows(ref), "the connections left equal a database that never had the old ones")
check(q(db, "SELECT * FROM host_summary ORDER BY ip, role") == q(ref, "SELECT * FROM host_summary ORDER BY ip, role"),
      "per-host summary equals the reference")
for t in SHARED:
    check(one(db, f"SELECT count(*) FROM {t}") == one(ref, f"SELECT count(*) FROM {t}"),
          f"{t}: {one(db, f'SELECT count(*) FROM {t}')} rows, reference {one(ref, f'SELECT count(*) FROM {t}')}")
r = run("report", "--db", db, "--format", "json")
check(r.returncode == 0, "report reads the pruned database")

# the trimmed capture's digest is its rows': the same capture pruned elsewhere merges as already present
db2 = p("b.db")
read_into(db2, p("old.pcap"), p("mixed.pcap"), p("recent.pcap"))
check(run("prune", "-q", "--db", db2, "--older-than", "30d").returncode == 0, "second prune")
r = run("merge", db, db2)
out = r.stdout.decode()
check(r.returncode == 0 and "0 captures added, 2 already present" in out and "0 refused" in out,
      f"merge of an identically pruned database: {r.returncode} {out} {r.stderr!r}")
# an unpruned copy of the trimmed capture is another analysis: refused as a conflict, never mixed in
db3 = p("c.db")
read_into(db3, p("mixed.pcap"))
r = run("merge", db, db3)
check("1 refused (conflict)" in r.stdout.decode(), f"unpruned copy refused: {r.stdout!r}")

# pruning again deletes nothing
r = run("prune", "--db", db, "--older-than", "30d")
check(r.returncode == 0 and "0 connections and 0 captures deleted" in r.stdout.decode(), f"idempotent: {r.stdout!r}")

# ---- --keep-captures ----
k = p("k.db")
read_into(k, s("tls10-rejected.pcap"), s("tls11.pcap"), s("tls12-sni.pcap"), s("tls13.pcap"))
r = run("prune", "--db", k, "--keep-captures", "2")
check(r.returncode == 0, f"keep-captures: {r.stderr!r}")
left = [os.path.basename(x[0]) for x in q(k, "SELECT path FROM captures ORDER BY id")]
check(left == ["tls12-sni.pcap", "tls13.pcap"], f"newest two kept: {left}")
kref = p("kref.db")
read_into(kref, s("tls12-sni.pcap"), s("tls13.pcap"))
check(q(k, "SELECT * FROM host_summary ORDER BY ip, role") == q(kref, "SELECT * FROM host_summary ORDER BY ip, role"),
      "keep-captures: summary equals the reference")
clean(k, "after --keep-captures")

# ---- --vacuum: the file shrinks ----
v = p("v.db")
many = [s(f"stacks/{f}") for f in sorted(os.listdir(s("stacks"))) if f.endswith(".pcap")]
read_into(v, *many)
r = run("prune", "--db", v, "--keep-captures", "1", "--vacuum")
out = r.stdout.decode()
check(r.returncode == 0, f"vacuum: {r.stderr!r}")
try:
    before, after = [int(x) for x in out.split("; ")[-1].split(" bytes")[0].split(" -> ")]
except ValueError:
    before, after = 0, 0
check(after < before, f"vacuum shrinks the file: {out}")
clean(v, "after --vacuum")

# ---- a capture being read by another process is not touched ----
w = p("w.db")
read_into(w, p("old.pcap"))
with open(p("old-part.pcap"), "rb") as f:
    data = f.read()
reader = subprocess.Popen([TOOL, "read", "-q", "--db", w, "-"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
reader.stdin.write(data[:24 + 40])  # header and part of the first record: the read stays open
reader.stdin.flush()
for _ in range(100):  # its capture row is committed at its start
    if one(w, "SELECT count(*) FROM captures WHERE status = 'reading'"):
        break
    time.sleep(0.05)
r = run("prune", "--db", w, "--older-than", "30d")
out = r.stdout.decode()
check(r.returncode == 0 and "kept (another process is writing)" in out, f"prune beside a reader: {out} {r.stderr!r}")
check(one(w, "SELECT count(*) FROM captures WHERE status = 'reading'") == 1, "the capture being read stays")
reader.stdin.write(data[24 + 40:])
reader.stdin.close()
check(reader.wait(timeout=60) == 0, f"the reader finishes: {reader.stderr.read()!r}")
clean(w, "after the reader finished")
check(one(w, "SELECT count(*) FROM conn") == one(w, "SELECT connections FROM captures WHERE path = '-'"),
      "the reader's rows all arrived")
r = run("prune", "--db", w, "--older-than", "30d")
check(r.returncode == 0 and "deleted: " in r.stdout.decode(), f"next prune deletes the orphans: {r.stdout!r}")
check(one(w, "SELECT count(*) FROM conn") == 0 and one(w, "SELECT count(*) FROM hosts") == 0, "all old, all gone")
clean(w, "after the last prune")

# ---- bad command lines: one line, exit 1; missing database: exit 4 ----
for args, what in ((["prune", "--db", db], "nothing to prune"), (["prune", "--db", db, "--older-than", "90"], "no unit"),
                   (["prune", "--db", db, "--older-than", "x"], "not a number"),
                   (["prune", "--db", db, "--keep-captures", "0"], "zero"), (["prune", "--bogus"], "unknown option")):
    r = run(*args)
    check(r.returncode == 1 and len(r.stderr.decode().strip().splitlines()) == 1, f"{what}: {r.returncode} {r.stderr!r}")
r = run("prune", "--db", p("missing.db"), "--older-than", "1d")
check(r.returncode == 4 and not os.path.exists(p("missing.db")), f"missing database: {r.returncode}")

tally.finish(f"prune: {tally.passed}/{tally.checks} checks passed")
