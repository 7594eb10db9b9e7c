#!/usr/bin/env python3
"""report_test.py - `tlsaudit report`, `diff` and `merge` end to end: golden reports (CASES), exit statuses of
--fail-on-violation both ways, the before/after diff, merge idempotence and provenance, and a capture with
hostile SNI values through read, every report format, diff and merge.
usage: report_test.py TLSAUDIT SAMPLES_DIR TESTS_REPORT_DIR [--regen]"""
import csv
import io
import json
import os
import shlex
import sqlite3
import subprocess
import sys
import tempfile

TOOL, SAMPLES, HERE = (os.path.abspath(a) for a in sys.argv[1:4])
REGEN = "--regen" in sys.argv[4:]
EXPECTED = os.path.join(HERE, "expected")
failures = 0
checks = 0
tmp = tempfile.mkdtemp(prefix="tlsaudit-report-")


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)


def run(*args, cwd=None):
    return subprocess.run([TOOL, *args], capture_output=True, timeout=120, cwd=cwd)


_dbs = {}


def make_db(captures):
    """Read captures (names relative to samples/, read with relative paths so the report is the same on every
    machine) into a fresh database; the sensor (host name) is normalised for the same reason."""
    key = tuple(captures)
    if key in _dbs:
        return _dbs[key]
    db = os.path.join(tmp, f"db{len(_dbs)}.db")
    r = run("read", "-q", "--db", db, *captures, cwd=SAMPLES)
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(db)
    con.execute("UPDATE captures SET sensor = 'sensor'")
    con.commit()
    con.close()
    _dbs[key] = db
    return db


def strip_counters(doc):
    """JSON golden files compare user-facing facts; the full counter set grows with new counters."""
    for c in doc.get("captures", []):
        c.pop("counters", None)
    return doc


# ---- golden cases ---------------------------------------------------------------------------------
with open(os.path.join(HERE, "CASES")) as f:
    for line in f:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, caps, args = (x.strip() for x in line.split("|", 2))
        groups = [g.split() for g in caps.split("+")]
        dbs = [make_db(g) for g in groups]
        argv = [a.replace("{db}", dbs[0]).replace("{db2}", dbs[-1]) for a in shlex.split(args)]
        r = run(*argv)
        check(r.returncode == 0, f"{name}: exit {r.returncode} {r.stderr!r}")
        path = os.path.join(EXPECTED, name)
        if REGEN:
            with open(path, "wb") as out:
                out.write(r.stdout)
            continue
        if not os.path.exists(path):
            check(False, f"{name}: no expected file {path} (run regen.sh)")
            continue
        with open(path, "rb") as exp:
            want = exp.read()
        if name.endswith("-json"):
            check(strip_counters(json.loads(r.stdout)) == strip_counters(json.loads(want)),
                  f"{name}: JSON differs from {path}")
        else:
            if r.stdout != want:
                got = os.path.join(tmp, name + ".got")
                with open(got, "wb") as g:
                    g.write(r.stdout)
                check(False, f"{name}: output differs: diff {path} {got}")
            else:
                check(True, name)

if REGEN:
    print(f"regenerated {EXPECTED}")
    sys.exit(0)

# ---- the Exchange case and --fail-on-violation both ways ------------------------------------------
db_ex = make_db(["tls10-rejected.pcap"])
r = run("report", "--db", db_ex, "--format", "json")
doc = json.loads(r.stdout)
h5 = [h for h in doc["hosts"] if h["ip"] == "127.0.0.5" and h["role"] == "client"]
check(len(h5) == 1 and h5[0]["verdict"] == "violation", "127.0.0.5 as client is a violation")
check(h5 and "client-old-hello-failed" in h5[0]["hints"], "Exchange hint for the TLS 1.0 client")
hint = [x for x in doc["hints"] if x["id"] == "client-old-hello-failed"]
check(hint and any("SchUseStrongCrypto=1" in s for s in hint[0]["steps"]) and
      any("TLS 1.2\\Client" in s for s in hint[0]["steps"]), "hint names the \\Client keys and SchUseStrongCrypto")
srv = [h for h in doc["hosts"] if h["role"] == "server"]
check(srv and all(h["verdict"] == "ok" for h in srv), "a server refusing TLS 1.0 is ok")
r = run("report", "--db", db_ex, "--fail-on-violation")
check(r.returncode == 10, f"--fail-on-violation with a violation: exit {r.returncode}")
r = run("report", "--db", db_ex)
check(r.returncode == 0, f"violation without --fail-on-violation: exit {r.returncode}")
db_after = make_db(["after.pcap"])
r = run("report", "--db", db_after, "--fail-on-violation")
check(r.returncode == 0, f"--fail-on-violation without a violation: exit {r.returncode}")
db_13 = make_db(["tls13.pcap"])
r = run("report", "--db", db_13, "--fail-on-violation", "--min-version", "TLS 1.3", "--format", "json")
check(r.returncode == 0, f"at risk is not a violation: exit {r.returncode}")
r = run("report", "--db", db_13, "--min-version", "TLS 1.3", "--format", "json")
check(r.returncode == 0 and json.loads(r.stdout)["summary"]["verdict"] == "at risk",
      "tls13 at TLS 1.3 policy: gnutls still offers 1.0-1.2 -> at risk")
r = run("report", "--db", db_13, "--format", "json")
v = {(h["ip"], h["role"]): h["verdict"] for h in json.loads(r.stdout)["hosts"]}
check(v.get(("127.0.0.1", "client")) == "at risk", f"gnutls offering 1.3..1.0 is at risk: {v}")
for bad in (["--format", "xml"], ["--min-version", "TLS 9"], ["--since", "yesterday"], ["--host", "x"], ["extra"]):
    r = run("report", "--db", db_ex, *bad)
    check(r.returncode == 1, f"bad option {bad}: exit {r.returncode}")
r = run("report", "--db", os.path.join(tmp, "missing.db"))
check(r.returncode == 4, f"missing database: exit {r.returncode}")
# time window: nothing before the capture
r = run("report", "--db", db_ex, "--until", "2000-01-01", "--format", "json", "--fail-on-violation")
check(r.returncode == 0 and json.loads(r.stdout)["hosts"] == [], "--until before the capture selects nothing")

# ---- diff shows the fix -----------------------------------------------------------------------------
db_before = make_db(["before.pcap"])
r = run("diff", "--before", db_before, "--after", db_after)
want = "127.0.0.5 as client: TLS 1.0 (3 failed to 127.0.0.20:443) -> TLS 1.2 (3 established)"
check(r.returncode == 0 and want.encode() in r.stdout, f"diff shows the fix: {r.stdout!r}")
r = run("diff", "--before", db_before, "--after", db_after, "--fail-on-violation")
check(r.returncode == 0, f"diff --fail-on-violation, after is ok: exit {r.returncode}")
r = run("diff", "--before", db_after, "--after", db_before, "--fail-on-violation")
check(r.returncode == 10 and b"regressed" in r.stdout, f"diff the other way regresses: exit {r.returncode}")
# two windows of one database: before.pcap was recorded before after.pcap
db_both = make_db(["before.pcap", "after.pcap"])
con = sqlite3.connect(db_both)
split_ns = con.execute("SELECT min(first_ns) FROM captures WHERE path = 'after.pcap'").fetchone()[0]
con.close()
r = run("diff", "--db", db_both, "--split", "@%d.%09d" % (split_ns // 10**9, split_ns % 10**9))
check(r.returncode == 0 and want.encode() in r.stdout, f"diff --split on one database: {r.stdout!r}")
r = run("diff", "--db", db_both)
check(r.returncode == 1, "diff without two sides is a usage error")

# ---- merge ------------------------------------------------------------------------------------------
out = os.path.join(tmp, "merged.db")
ins = [make_db(["before.pcap"]), make_db(["after.pcap"]), make_db(["after.pcap", "before.pcap", "multi-host.pcap",
                                                                    "tls10-rejected.pcap", "tls11.pcap",
                                                                    "tls12-sni.pcap", "tls13.pcap"])]
ref = ins[2]


def counts(db):
    con = sqlite3.connect(db)
    c = (con.execute("SELECT count(*) FROM connections").fetchone()[0],
         con.execute("SELECT count(*) FROM captures").fetchone()[0],
         con.execute("SELECT * FROM host_summary ORDER BY ip, role").fetchall())
    con.close()
    return c


r = run("merge", out, *ins)
check(r.returncode == 0, f"merge: exit {r.returncode} {r.stderr!r}")
first = counts(out)
r = run("merge", out, *ins)
check(r.returncode == 0 and b"0 connections added" in r.stdout, f"second merge adds nothing: {r.stdout!r}")
check(counts(out) == first, "merge twice -> same counts")
check(first == counts(ref), "merged database equals reading every capture into one")
con = sqlite3.connect(out)
check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "merged integrity_check")
check(con.execute("PRAGMA foreign_key_check").fetchall() == [], "merged foreign_key_check")
prov = con.execute("SELECT cap.path, cap.sensor, count(*) FROM connections c JOIN captures cap ON cap.id ="
                   " c.capture_id GROUP BY cap.id ORDER BY cap.path").fetchall()
con.close()
check(("before.pcap", "sensor", 3) in prov and ("after.pcap", "sensor", 3) in prov, f"provenance kept: {prov}")
# inputs are never written
st = os.stat(ins[0]).st_mtime_ns
run("merge", out, ins[0])
check(os.stat(ins[0]).st_mtime_ns == st, "input database untouched")
# refusals
notdb = os.path.join(tmp, "not.db")
with open(notdb, "w") as f:
    f.write("hello")
r = run("merge", out, notdb)
check(r.returncode == 2, f"merge of a non-database: exit {r.returncode}")
other = os.path.join(tmp, "other.db")
con = sqlite3.connect(other)
con.execute("CREATE TABLE t(x)")
con.commit()
con.close()
r = run("merge", out, other)
check(r.returncode == 2 and b"not a tlsaudit database" in r.stderr, f"merge of a foreign SQLite file: {r.stderr!r}")
r = run("merge", out, out)
check(r.returncode == 2, "merge of the output into itself is refused")
# stdin captures (no sha256): identity sensor+path+first_ns+packets
sdb = os.path.join(tmp, "stdin.db")
with open(os.path.join(SAMPLES, "tls11.pcap"), "rb") as f:
    subprocess.run([TOOL, "read", "-q", "--db", sdb, "-"], stdin=f, capture_output=True, timeout=60)
out2 = os.path.join(tmp, "merged2.db")
run("merge", out2, sdb)
run("merge", out2, sdb)
check(counts(out2)[:2] == (1, 1), f"stdin capture merged once: {counts(out2)[:2]}")

# ---- hostile SNI ------------------------------------------------------------------------------------
hpcap = os.path.join(tmp, "hostile.pcap")
subprocess.run([sys.executable, os.path.join(HERE, "hostile_pcap.py"), hpcap], check=True)
hdb = os.path.join(tmp, "hostile.db")
r = run("read", "--db", hdb, hpcap)
check(r.returncode == 0, f"read hostile: exit {r.returncode} {r.stderr!r}")
check(b"\x1b" not in r.stdout + r.stderr, "read prints no raw ESC")
outs = {}
for fmt in ("text", "md", "csv", "json", "html"):
    r = run("report", "--db", hdb, "--format", fmt)
    check(r.returncode == 0, f"hostile report {fmt}: exit {r.returncode}")
    outs[fmt] = r.stdout
    check(b"\x1b" not in r.stdout, f"{fmt}: no raw ESC byte")
    if fmt in ("html", "md"):  # formats that a browser or Markdown renderer turns into HTML
        check(b"<script" not in r.stdout.lower(), f"{fmt}: no unescaped <script")
        check(b"<img" not in r.stdout.lower(), f"{fmt}: no unescaped <img")
doc = json.loads(outs["json"])
names = {bytes.fromhex(s["hex"]) for h in doc["hosts"] for s in h["sni"]}
check(b"<script>alert(1)</script>" in names and b"\xff\xfe\xc0\xafbad-utf8" in names and
      any(len(n) == 255 for n in names), "JSON keeps the exact SNI bytes in hex")
check("&lt;script&gt;" in outs["html"].decode("utf-8", "replace"), "HTML shows the script tag as text")
rows = list(csv.reader(io.StringIO(outs["csv"].decode("utf-8"))))
check(len(rows) == 1 + 11 + 1, f"CSV: header + one row per host and role ({len(rows)})")
check(all(not c or c[0] not in "=+-@\t\r" for row in rows for c in row), "CSV: no cell starts with = + - @")
for f in ("'=HYPERLINK", "'+1", "'@SUM(A1)", "'-2+3"):
    check(any(c.startswith(f) for row in rows for c in row), f"CSV: {f[1:]} neutralised, still visible")
check(b"\\x1b" in outs["text"], "text shows ESC as \\x1b")
for fmt in ("text", "md", "csv", "json", "html"):
    r = run("diff", "--before", hdb, "--after", db_after, "--format", fmt)
    check(r.returncode == 0 and b"\x1b" not in r.stdout, f"hostile diff {fmt}")
    if fmt == "json":
        json.loads(r.stdout)
hm = os.path.join(tmp, "hostile-merged.db")
r1 = run("merge", hm, hdb, db_after)
r2 = run("merge", hm, hdb, db_after)
check(r1.returncode == 0 and r2.returncode == 0, f"hostile merge: {r1.stderr!r} {r2.stderr!r}")
for db in (hdb, hm):
    con = sqlite3.connect(db)
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"{db}: integrity_check")
    check(con.execute("SELECT count(*) FROM connections WHERE typeof(sni) = 'blob'").fetchone()[0] == 1 and
          con.execute("SELECT count(*) FROM connections WHERE sni = ?", ("'; DROP TABLE connections; --",)).fetchone()[0] == 1,
          f"{db}: invalid UTF-8 SNI stored as BLOB, table intact")
    con.close()
check(counts(hm)[0] == 11 + 3, f"hostile merge counts {counts(hm)[0]}")

print(f"{checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
