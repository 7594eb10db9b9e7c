#!/usr/bin/env python3
"""regress_test.py - one regression test per item of the hardening review (issue 13), each on inputs crafted by
make_inputs.py (captures and databases made here, nothing read from outside the repository). Every check
compares with a value derived from the input bytes or from a second, independent run, never with our own
earlier output.

usage: regress_test.py TLSAUDIT SOURCE_ROOT BUILD_ROOT WORKDIR ITEM   (ITEM: 01 ... 12)
Exit 0 pass, 1 fail, 77 skip (only where the kernel or the machine cannot do what the item needs)."""
import glob
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_inputs  # noqa: E402

TOOL, ROOT, BUILD, WORK, ITEM = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ROOT, BUILD = os.path.abspath(ROOT), os.path.abspath(BUILD)
SAMPLES = os.path.join(ROOT, "samples")
WORK = os.path.join(os.path.abspath(WORK), "item" + ITEM)
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
os.chdir(WORK)
tally = Checks(out=sys.stdout, fail="FAIL ", ok="ok   ", flush=True)
check = tally.check


def run(*args, timeout=300, **kw):
    return subprocess.run([TOOL, *args], capture_output=True, timeout=timeout, **kw)


def make(*names):
    make_inputs.make(TOOL, ROOT, WORK, list(names))


def sanitized_ok(r):
    """no sanitizer report and no signal: a UBSan/ASan finding aborts the sanitizer build"""
    err = r.stderr if isinstance(r.stderr, bytes) else r.stderr.encode()
    return r.returncode >= 0 and b"runtime error" not in err and b"AddressSanitizer" not in err


def stable(out):
    """a report or diff without its provenance stamp (generation time, database path): what it says of the data"""
    return re.sub(rb"generated [^,\n]*, database\s+[^;]*;", b"generated -, database -;", out)


def rows(db, sql, *args):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def skip(why):
    print("#" * 70 + "\nSKIP: " + why + "\n" + "#" * 70)
    sys.exit(77)


# ---------------------------------------------------------------------------------------------------------------

def item01():
    """fuzzers see the code: every target has a dictionary, seeds, a regression directory; in a -Dfuzzing build
    every stage library carries coverage counters; the store target's seeds are real databases of our schema"""
    meson = open(os.path.join(ROOT, "tests", "fuzz", "meson.build")).read()
    targets = re.findall(r"^  '(\w+)' : \[", meson.split("fuzz_seeds")[0], re.M)
    fuzzsh = open(os.path.join(ROOT, "scripts", "fuzz.sh")).read()
    check(len(targets) >= 7 and "store" in targets, f"fuzz targets: {targets}")
    for t in targets:
        m = re.search(r"^\t%s\) echo ([\w ]+) ;;" % t, fuzzsh, re.M)
        dicts = m.group(1).split() if m else []
        check(dicts and all(os.path.getsize(os.path.join(ROOT, "tests", "fuzz", "dict", d + ".dict")) > 0
                            for d in dicts), f"{t}: dictionaries {dicts}")
        seeds = os.path.join(ROOT, "tests", "fuzz", "seeds", t)
        check(t == "capture" or (os.path.isdir(seeds) and os.listdir(seeds)), f"{t}: seeds in {seeds}")
    # the store seeds are accepted as merge inputs: each adds its captures
    for seed in sorted(glob.glob(os.path.join(ROOT, "tests", "fuzz", "seeds", "store", "*.db"))):
        out = os.path.join(WORK, "seed-out.db")
        for sfx in ("", "-wal", "-shm"):
            if os.path.exists(out + sfx):
                os.unlink(out + sfx)
        r = run("merge", out, seed)
        n = rows(seed, "SELECT count(*) FROM captures")[0][0]
        check(r.returncode == 0 and b"%d captures added" % n in r.stdout,
              f"store seed {os.path.basename(seed)} merges ({r.returncode}: {r.stdout[:120]!r} {r.stderr[:200]!r})")
    opts = json.load(open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")))
    fuzzing = any(o["name"] == "fuzzing" and o["value"] for o in opts)
    libs = glob.glob(os.path.join(BUILD, "src", "*", "libta_*.a"))
    check(len(libs) >= 15, f"{len(libs)} stage libraries found")
    if fuzzing:
        for lib in sorted(libs):
            syms = subprocess.run(["nm", lib], capture_output=True, text=True).stdout
            check("__sanitizer_cov" in syms, f"{os.path.basename(lib)}: coverage instrumentation (nm)")
    else:
        print("note: not a -Dfuzzing build: instrumentation checked in build-fuzz (scripts/fuzz.sh)")


def item02():
    """pcapng interfaces with opposite extreme if_tsoffset: no signed overflow (flow expiry, timeline), times
    saturated as documented"""
    make("tsoffset.pcapng", "tsoffset-hellos.pcapng")
    hi, lo = make_inputs.tsoffset_expected_ns()
    r = run("read", "--json", "--db", "t.db", "tsoffset.pcapng")
    check(r.returncode == 0 and sanitized_ok(r), f"244-byte pcapng read: {r.returncode} {r.stderr[-300:]!r}")
    # units T0 s + 1 us and + 2 us: the INT64_MAX offset saturates to INT64_MAX ns, the INT64_MIN one to
    # -(INT64_MAX / 10^9) s plus the fraction (2 us)
    check(rows("t.db", "SELECT first_ns, last_ns, packets FROM captures") == [(lo + 2000, hi, 2)],
          f"capture times are the two saturated ends: {rows('t.db', 'SELECT first_ns, last_ns, packets FROM captures')}")
    r = run("read", "--json", "--db", "t.db", "tsoffset-hellos.pcapng")
    check(r.returncode == 0 and sanitized_ok(r), f"hellos at both ends read: {r.returncode} {r.stderr[-300:]!r}")
    ev = sorted((json.loads(x) for x in r.stdout.splitlines()), key=lambda e: e["client_ip"])
    check([e["ts"] for e in ev] == ["2262-04-11T23:47:16.854775Z", "1677-09-21T00:12:44.000000Z"],
          f"NDJSON ts at both ends: {[e['ts'] for e in ev]}")
    check([e["sni"] for e in ev] == ["ts0.example", "ts1.example"] and
          all(e["client_max_version"] == "TLS 1.0" and e["alert"] == "protocol_version" for e in ev),
          "both handshakes decoded")
    for fmt in ("text", "md", "csv", "json", "html"):
        r = run("report", "--db", "t.db", "--format", fmt)
        check(r.returncode == 0 and sanitized_ok(r), f"report --format {fmt}: {r.returncode} {r.stderr[-300:]!r}")
    rep = json.loads(run("report", "--db", "t.db", "--format", "json").stdout)
    span = hi - (lo)
    check(rep["timeline"]["bucket_ns"] == span // 24 + 1, f"bucket_ns {rep['timeline']['bucket_ns']} = span/24+1")
    starts = [b["start"] for b in rep["timeline"]["buckets"]]
    check(starts == sorted(starts) and starts[0].startswith("1677-09-21") and starts[-1] < "2262-04-12",
          f"bucket starts increase from the first to the last connection: {starts[0]} .. {starts[-1]}")
    check([b["connections"] for b in rep["timeline"]["buckets"]] == [1] + [0] * 22 + [1],
          "one connection in the first and one in the last bucket")


def item03():
    """a merged sensor database with ts_ns -2^63 and 2^63-31: merge, report, diff and export of the merged
    database work in every format (the timeline's bucket width never becomes 0)"""
    n = make_inputs.extreme_times_db(TOOL, ROOT, os.path.join(WORK, "extreme.db"))
    make_inputs.read_db(TOOL, "out.db", os.path.join(SAMPLES, "tls12-sni.pcap"))
    r = run("merge", "out.db", "extreme.db")
    check(r.returncode == 0 and sanitized_ok(r), f"merge: {r.returncode} {r.stdout!r} {r.stderr[-200:]!r}")
    got = rows("out.db", "SELECT min(ts_ns), max(ts_ns), count(*) FROM conn")
    check(got[0][0] == make_inputs.INT64_MIN and got[0][1] == make_inputs.INT64_MAX - 30,
          f"merged rows keep their times: {got}")
    for fmt in ("text", "md", "csv", "json", "html"):
        r = run("report", "--db", "out.db", "--format", fmt)
        check(r.returncode == 0 and sanitized_ok(r), f"report {fmt}: {r.returncode} {r.stderr[-300:]!r}")
        r = run("diff", "--before", "out.db", "--after", "extreme.db", "--format", fmt)
        check(r.returncode == 0 and sanitized_ok(r), f"diff {fmt}: {r.returncode} {r.stderr[-300:]!r}")
    r = run("diff", "--db", "out.db", "--split", "2000-01-01")
    check(r.returncode == 0 and sanitized_ok(r), f"diff --split: {r.returncode} {r.stderr[-300:]!r}")
    for fmt in ("ndjson", "ecs", "zeek"):
        r = run("export", "--db", "out.db", "--format", fmt)
        check(r.returncode == 0 and sanitized_ok(r), f"export {fmt}: {r.returncode} {r.stderr[-300:]!r}")
    rep = json.loads(run("report", "--db", "out.db", "--format", "json").stdout)
    span = (make_inputs.INT64_MAX - 30) - make_inputs.INT64_MIN
    check(rep["timeline"]["bucket_ns"] == span // 24 + 1 and rep["summary"]["connections"] == got[0][2],
          f"timeline bucket_ns {rep['timeline']['bucket_ns']} = (2^64-31)/24+1, {got[0][2]} connections")
    ecs = [json.loads(x) for x in run("export", "--db", "out.db", "--format", "ecs").stdout.splitlines()]
    check(all(e["event"]["duration"] >= 0 for e in ecs), "ECS durations never negative")
    check(n >= 2, f"{n} connections altered")


def item04():
    """hostile schemas: recursive views, a 400 MB blob view, a trigger: refused or harmless, quickly"""
    make("recursive-connections.db", "recursive-conn.db", "blob-view.db", "trigger.db")
    for db in ("recursive-connections.db", "recursive-conn.db", "blob-view.db", "trigger.db"):
        t = time.time()
        r = run("merge", "out-%s" % db, db, timeout=60)
        check(r.returncode == 2 and b"schema differs" in r.stderr and time.time() - t < 20,
              f"merge {db}: refused in {time.time() - t:.1f}s ({r.returncode} {r.stderr[-200:]!r})")
    # a corrupt captures B-tree that returns capture 1 again and again (found by fuzz_store): one step budget
    # per foreign file, and merge stops at an id that does not ascend
    spin = os.path.join(ROOT, "tests/fuzz/regress/store/merge-corrupt-btree-repeats-capture-id.sqlite")
    t = time.time()
    r = run("merge", "out-spin.db", spin, timeout=60)
    check(r.returncode == 2 and b"captures table is corrupt" in r.stderr and time.time() - t < 20,
          f"merge of a looping B-tree: refused in {time.time() - t:.1f}s ({r.returncode} {r.stderr[-200:]!r})")
    for db in ("recursive-conn.db", "blob-view.db"):
        for args in (["report", "--db", db], ["diff", "--before", db, "--after", db, "--before-until", "2030-01-01"],
                     ["export", "--db", db]):
            t = time.time()
            r = run(*args, timeout=60)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            check(r.returncode == 4 and r.stderr.startswith(b"tlsaudit: ") and time.time() - t < 20,
                  f"{args[0]} {db}: fails at once ({r.returncode} in {time.time() - t:.1f}s: {r.stderr[-160:]!r})")
            check(peak < 400 * 1024, f"{args[0]} {db}: peak RSS {peak >> 10} MiB (no 400 MB blob)")
    # a trigger in a database report reads: harmless (read-only, triggers off), the report is the sample's
    r = run("report", "--db", "trigger.db")
    base = run("report", "--db", make_inputs.read_db(TOOL, "plain.db", os.path.join(SAMPLES, "tls12-sni.pcap")))
    strip = lambda b: re.sub(rb"sha256 \w+|#\d+ \S+|sensor \S+\)", b"", b)
    check(r.returncode == 0 and strip(stable(r.stdout)) == strip(stable(base.stdout)),
          "report of a database with a trigger")
    check(rows("trigger.db", "SELECT count(*) FROM loot") == [(0,)], "the trigger never ran")


def item05():
    """provenance injection: an input reusing a capture's SHA-256 with fake rows is refused, nothing changes"""
    make("fake-rows.db")
    make_inputs.read_db(TOOL, "out.db", os.path.join(SAMPLES, "tls12-sni.pcap"))
    q = "SELECT capture_id, seq, ts_ns, version, cipher FROM conn ORDER BY id"
    before, rep_before = rows("out.db", q), run("report", "--db", "out.db").stdout
    sha = rows("fake-rows.db", "SELECT sha256 FROM captures")[0][0]
    check(rows("out.db", "SELECT sha256 FROM captures")[0][0] == sha, "the input reuses the capture's SHA-256")
    r = run("merge", "out.db", "fake-rows.db")
    check(r.returncode == 2 and b"has the identity of capture 1" in r.stderr and b"1 refused (conflict)" in r.stdout,
          f"merge refused: {r.returncode} {r.stdout!r} {r.stderr!r}")
    check(rows("out.db", q) == before and stable(run("report", "--db", "out.db").stdout) == stable(rep_before),
          "the output's rows and report are unchanged")
    check(all(v != 769 for (_, _, _, v, _) in rows("out.db", q)), "no TLS 1.0 row appeared")
    # the honest copy of the same capture is known, not a conflict
    make_inputs.read_db(TOOL, "same.db", os.path.join(SAMPLES, "tls12-sni.pcap"))
    r = run("merge", "out.db", "same.db")
    check(r.returncode == 0 and b"1 already present" in r.stdout, f"the identical capture is known: {r.stdout!r}")


def item06():
    """report/diff never write: a read-only file in a read-only directory (as an unprivileged user and on a
    read-only mount); and a report or second read during a slow read never meets 'database is locked'"""
    src = make_inputs.read_db(TOOL, os.path.join(WORK, "src.db"), os.path.join(SAMPLES, "tls10-rejected.pcap"),
                              os.path.join(SAMPLES, "after.pcap"))
    def facts(out):
        """a JSON report or diff without its provenance (time, database paths): what it says of the data"""
        try:
            d = json.loads(out)
        except ValueError:
            return None
        d.pop("provenance", None)
        if isinstance(d.get("summary"), dict):
            d["summary"].pop("age_s", None)  # seconds since the newest connection: changes while the test runs
        return d
    until = "2026-11-27T22:44:55Z"
    want = facts(run("report", "--db", src, "--format", "json").stdout)
    want_diff = facts(run("diff", "--before", src, "--after", src, "--before-until", until, "--format", "json").stdout)
    check(want and want["summary"]["connections"] == 5 and want_diff, "the reports of the source database")
    want_export = run("export", "--db", src).stdout
    ro = os.path.join(WORK, "ro")
    os.makedirs(ro)
    shutil.copy(src, os.path.join(ro, "a.db"))
    digest = hashlib.sha256(open(os.path.join(ro, "a.db"), "rb").read()).hexdigest()
    os.chmod(os.path.join(ro, "a.db"), 0o444)
    os.chmod(ro, 0o555)
    os.chmod(WORK, 0o755)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    db = os.path.join(ro, "a.db")
    nob = subprocess.run(nobody + [TOOL, "report", "--db", db, "--format", "json"], capture_output=True)
    check(nob.returncode == 0 and facts(nob.stdout) == want,
          f"report as nobody on a 0444 file in a 0555 directory: {nob.returncode} {nob.stderr!r}")
    r = subprocess.run(nobody + [TOOL, "diff", "--before", db, "--after", db, "--before-until", until, "--format",
                                 "json"], capture_output=True)
    check(r.returncode == 0 and facts(r.stdout) == want_diff, f"diff as nobody: {r.returncode} {r.stderr!r}")
    r = subprocess.run(nobody + [TOOL, "export", "--db", db], capture_output=True)
    check(r.returncode == 0 and r.stdout == want_export and want_export.count(b"\n") == 2 + 3,
          f"export as nobody (2 + 3 connections): {r.returncode} {r.stderr!r}")
    check(sorted(os.listdir(ro)) == ["a.db"] and
          hashlib.sha256(open(db, "rb").read()).hexdigest() == digest, "the file and its directory are untouched")
    # root on a read-only mount (root ignores file modes; a ro bind mount does not)
    m = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {ro} {ro} && mount -o remount,ro,bind {ro} {ro}"
                        f" && {TOOL} report --db {db} --format json"], capture_output=True)
    if m.returncode != 0 and b"mount" in m.stderr and b"report" not in m.stderr:
        print(f"note: no read-only bind mount here ({m.stderr.strip()!r}); read-only mount not tested")
    else:
        check(m.returncode == 0 and facts(m.stdout) == want,
              f"report as root on a read-only mount: {m.returncode} {m.stderr!r}")
    os.chmod(ro, 0o755)
    # concurrency: a read fed slowly through a pipe holds the database for ~8 s
    make("many-3000.pcap")
    data = open("many-3000.pcap", "rb").read()
    live = os.path.join(WORK, "live.db")
    p = subprocess.Popen([TOOL, "read", "--db", live, "-q", "-"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    chunk = len(data) // 40
    reports = second = None
    errors = []
    for i in range(40):
        p.stdin.write(data[i * chunk:(i + 1) * chunk])
        p.stdin.flush()
        time.sleep(0.2)
        if i >= 5 and i % 5 == 0 and os.path.exists(live):
            r = run("report", "--db", live, "--format", "json", timeout=30)
            reports = (reports or 0) + 1
            if r.returncode != 0:
                errors.append(("report", r.returncode, r.stderr))
        if i == 20:
            second = run("read", "--db", live, "-q", os.path.join(SAMPLES, "tls12-sni.pcap"), timeout=60)
    p.stdin.write(data[40 * chunk:])
    p.stdin.close()
    err = p.stderr.read()
    rc = p.wait()
    check(rc == 0, f"the slow read: {rc} {err!r}")
    check(reports and reports >= 6 and not errors, f"{reports} reports during the slow read: {errors}")
    check(second is not None and second.returncode == 0 and b"locked" not in second.stderr,
          f"a second read during the slow read: {second and (second.returncode, second.stderr)}")
    check(rows(live, "SELECT count(*) FROM connections")[0][0] == 3000 * 2 + 2, "every connection stored")


def item07():
    """100,000 handshakes in progress at once under --max-memory 40MiB (the hostile review's 64 MiB is no longer
    tight since waiting state is packed; below ~36 MiB the tombstones themselves do not fit, README --max-memory):
    no connection is stored as two halves"""
    cap = os.path.join(WORK, "mid100k.pcap")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "make_capture.py"), cap, "--copies", "50000",
                    "--concurrent", "50000", os.path.join(SAMPLES, "tls12-sni.pcap")], check=True,
                   capture_output=True)
    r = run("read", "-q", "--no-ndpi", "--db", "e.db", "--max-memory", "40MiB", "--idle-timeout", "100000", cap,
            timeout=1200)
    check(r.returncode == 0, f"read: {r.returncode} {r.stderr[-300:]!r}")
    ev, n = rows("e.db", "SELECT flows_evicted, connections FROM captures")[0]
    check(ev > 0, f"the memory cap bit: {ev} flows evicted")
    total, tuples = rows("e.db", "SELECT count(*), count(DISTINCT client_id || ':' || client_port || '>' ||"
                                 " server_id || ':' || server_port) FROM conn")[0]
    check(total <= 100000 and total == tuples, f"{total} records for 100,000 connections, {tuples} distinct 5-tuples")
    halves = rows("e.db", "SELECT count(*) FROM conn WHERE hello_id IS NULL AND server_hello_id IS NOT NULL")[0][0]
    check(halves == 0, f"{halves} ServerHello-only half records")
    est = rows("e.db", "SELECT count(*) FROM conn WHERE state & 1")[0][0]
    check(est > 0, f"{est} connections established despite the evictions")
    # a cap the tombstones alone overflow: every allocation used to walk all evicted tombstones (minutes, CPU
    # bound); the oldest are dropped after EVICT_SKIP_MAX instead (src/flow/flow.c mem_make_room)
    try:
        r = run("read", "-q", "--no-ndpi", "--db", "t.db", "--max-memory", "16MiB", "--idle-timeout", "100000", cap,
                timeout=600)
        check(r.returncode == 0, f"read under 16MiB: {r.returncode} {r.stderr[-300:]!r}")
        ev = rows("t.db", "SELECT flows_evicted FROM captures")[0][0]
        check(ev >= 100000, f"read under 16MiB: {ev} flows evicted")
    except subprocess.TimeoutExpired:
        check(False, "read under 16MiB: still running after 600 s")


def example_queries():
    text = open(os.path.join(ROOT, "docs", "schema.md")).read()
    return [q.strip() for q in re.findall(r"```sql\n(.*?)```", text, re.S)]


def item08():
    """kill -9 of a read, then the same read again: the dead capture is marked interrupted and the documented
    example queries (docs/schema.md) give what a clean database gives: nothing counted twice"""
    make("many-3000.pcap")
    data = open("many-3000.pcap", "rb").read()
    p = subprocess.Popen([TOOL, "read", "--db", "k.db", "-q", "-"], stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdin.write(data[:len(data) * 2 // 3])
    p.stdin.flush()
    deadline, committed = time.time() + 30, 0
    while time.time() < deadline and committed == 0:
        time.sleep(0.2)
        try:
            committed = rows("k.db", "SELECT count(*) FROM conn")[0][0]
        except sqlite3.Error:
            pass
    p.kill()
    p.wait()
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    check(committed > 0, f"{committed} rows committed before kill -9")
    r = run("read", "--db", "k.db", "-q", "many-3000.pcap")
    check(r.returncode == 0, f"rerun: {r.returncode} {r.stderr!r}")
    st = rows("k.db", "SELECT status FROM captures ORDER BY id")
    check(st == [("interrupted",), ("complete",)], f"capture statuses {st}")
    check(rows("k.db", "PRAGMA integrity_check") == [("ok",)], "integrity_check")
    r = run("read", "--db", "clean.db", "-q", "many-3000.pcap")  # the rerun's options (nDPI on)
    check(r.returncode == 0, f"clean read: {r.returncode} {r.stderr!r}")
    con_k, con_c = sqlite3.connect("k.db"), sqlite3.connect("clean.db")
    qs = example_queries()
    check(len(qs) >= 8, f"{len(qs)} example queries in docs/schema.md")
    def answer(con, stmt):
        """the rows without row ids (ids are each database's own: the killed run used some)"""
        cur = con.execute(stmt)
        keep = [i for i, d in enumerate(cur.description or []) if d[0] != "id"]
        return [tuple(r[i] for i in keep) for r in cur.fetchall()]
    for q in qs:
        if re.search(r"\bFROM (captures|conn)\b", q):
            continue  # the tables themselves: every stored row and run, counted or not, by design
        try:
            for stmt in (x for x in q.split(";") if x.strip() and not x.strip().startswith("--")):
                a, b = answer(con_k, stmt), answer(con_c, stmt)
                check(a == b, f"example query gives the clean database's answer: {stmt.strip().splitlines()[0][:70]}")
        except sqlite3.Error as e:
            check(False, f"example query fails: {e}: {q.splitlines()[0][:70]}")
    n = con_k.execute("SELECT count(*) FROM connections").fetchone()[0]
    check(n == 3000 * 2, f"connections view counts each connection once: {n}")
    check(con_k.execute("SELECT sum(connections) FROM host_summary WHERE role = 'server'").fetchone()[0] == n,
          "host_summary counts each connection once")


def item09():
    """I/O errors: stdout full, -o into a missing directory, a full disk during -o, a FIFO as merge input, a
    dangling symbolic link as --db"""
    make("many-3000.pcap")
    for cap in (os.path.join(SAMPLES, "tls12-sni.pcap"), "many-3000.pcap"):
        with open("/dev/full", "wb") as full:
            r = subprocess.run([TOOL, "read", "--json", "--db", "j.db", cap], stdout=full, stderr=subprocess.PIPE)
        check(r.returncode == 4 and b"standard output: write failed: No space left on device" in r.stderr,
              f"read --json > /dev/full ({os.path.basename(cap)}): {r.returncode} {r.stderr!r}")
    with open("/dev/full", "wb") as full:
        r = subprocess.run([TOOL, "report", "--db", "j.db"], stdout=full, stderr=subprocess.PIPE)
    check(r.returncode == 5 and b"write failed" in r.stderr, f"report > /dev/full: {r.returncode} {r.stderr!r}")
    r = run("report", "--db", "j.db", "-o", "/nonexistent-dir/x/report.txt")
    check(r.returncode == 5 and b"No such file or directory" in r.stderr, f"-o missing dir: {r.returncode}")
    want = run("report", "--db", "j.db").stdout
    check(len(want) > 8192, f"report is {len(want)} bytes")
    # a full disk: the output directory is a 2-page tmpfs in a mount namespace holding the previous report; the
    # database stays where it is (on a full disk SQLite could not make its WAL index either)
    full = os.path.join(WORK, "full")
    os.mkdir(full)
    script = (f"mount -t tmpfs -o size=8k tmpfs {full} && printf 'the previous report\\n' > {full}/report.txt &&"
              f" {TOOL} report --db j.db -o {full}/report.txt; echo rc=$?; ls -a {full}; cat {full}/report.txt")
    m = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True)
    if b"rc=" not in m.stdout:
        print(f"note: no tmpfs mount here: the full-disk -o case was not run ({m.stderr!r})")
    else:
        code, rest = m.stdout.split(b"rc=", 1)[1].split(b"\n", 1)
        check(int(code) == 5 and b"write failed: No space left on device" in m.stderr,
              f"-o on a full disk: {code} {m.stderr!r}")
        check(rest == b".\n..\nreport.txt\nthe previous report\n",
              f"a failed -o leaves the old file and no temporary file: {rest!r}")
    r = run("report", "--db", "j.db", "-o", "report.txt")
    check(r.returncode == 0 and stable(open("report.txt", "rb").read()) == stable(want), "-o writes the whole report")
    os.mkfifo("fifo.db")
    t = time.time()
    r = run("merge", "m.db", "fifo.db", timeout=20)
    check(r.returncode == 2 and b"not a regular file" in r.stderr and time.time() - t < 10,
          f"merge of a FIFO refused without blocking: {r.returncode} {r.stderr!r}")
    os.symlink(os.path.join(WORK, "nowhere", "target.db"), "dangling.db")
    os.mkdir("nowhere")
    for args, code in ((["read", "--db", "dangling.db", os.path.join(SAMPLES, "tls12-sni.pcap")], 4),
                       (["report", "--db", "dangling.db"], 4), (["merge", "dangling.db", "j.db"], 4),
                       (["merge", "m2.db", "dangling.db"], 2), (["export", "--db", "dangling.db"], 4)):
        r = run(*args)
        check(r.returncode == code and b"symbolic link" in r.stderr and not os.path.exists("nowhere/target.db"),
              f"{' '.join(args[:2])}: dangling --db refused ({r.returncode} {r.stderr!r})")
    # the live sensor's evidence file and log: a dangling link is refused, its target never made
    for opt in ("-w", "--log"):
        link = "dangling" + opt.strip("-")
        os.symlink(os.path.join(WORK, "nowhere", link + ".target"), link)
        r = run("capture", "-i", "lo", "--duration", "1", "--no-drop-privileges", "-q", "--db", "c.db", opt, link,
                timeout=30)
        if r.returncode == 6 or b"lo:" in r.stderr:
            print(f"note: no capture on lo here: capture {opt} not checked ({r.stderr[-120:]!r})")
            continue
        check(r.returncode == 2 and b"symbolic link" in r.stderr and not os.listdir("nowhere"),
              f"capture {opt} to a dangling link refused ({r.returncode} {r.stderr!r})")
    os.symlink(os.path.join(WORK, "j.db"), "link-to-real.db")
    r = run("read", "--db", "link-to-real.db", os.path.join(SAMPLES, "tls13.pcap"))
    check(r.returncode == 4 and b"symbolic link" in r.stderr, "a symbolic link to a real database is refused too")


def item10():
    """escaping: a capture name with terminal escapes; SNI truncation surfaced; C1, U+202E, U+200B, URL-like and
    e-mail-like SNIs in text, Markdown, CSV, HTML and JSON"""
    make("escapes.pcap")
    name = "x\x1b[2J\x1b]0;pwned\x07\xc2\x9b31m.pcap"
    shutil.copy("escapes.pcap", name)
    r = run("read", "--db", "e.db", name)
    out = r.stdout + r.stderr
    check(r.returncode == 0 and b"\x1b" not in out and b"\x07" not in out and b"\xc2\x9b" not in out,
          f"read prints the capture name escaped: {out[:200]!r}")
    with open(name[:-5] + "-cut.pcap", "wb") as f:
        f.write(open("escapes.pcap", "rb").read()[:1000])
    r = run("read", "--db", "e.db", name[:-5] + "-cut.pcap")
    check(r.returncode == 3 and b"\x1b" not in r.stdout + r.stderr, f"warnings escape the name: {r.stderr[:200]!r}")
    r = run("read", "--db", "e.db", name[:-5] + "-missing.pcap")
    check(r.returncode == 2 and b"\x1b" not in r.stdout + r.stderr, f"errors escape the name: {r.stderr[:200]!r}")
    # merge names its inputs and their errors: a database name with the same escapes
    dbname = name[:-5] + ".db"
    shutil.copy("e.db", dbname)
    for args, rc in ((["merge", "m10.db", dbname], 0), (["merge", "m10.db", name[:-5] + "-missing.db"], 2),
                     (["merge", "m10.db", "escapes.pcap"], 2)):
        r = run(*args)
        check(r.returncode == rc and b"\x1b" not in r.stdout + r.stderr and b"\x07" not in r.stdout + r.stderr,
              f"merge escapes names in its output and errors: {args[-1]!r}: {r.returncode} {r.stdout + r.stderr!r}")
    ev = [json.loads(x) for x in run("read", "--json", "--db", "e.db", "escapes.pcap").stdout.splitlines()]
    snis = [e["sni"] for e in ev]
    for s in make_inputs.ESCAPE_SNIS:
        check(s.decode() in snis, f"JSON keeps the exact SNI {s!r}")
    long = [e for e in ev if e["sni"].startswith("xxx")]
    check(len(long) == 1 and long[0]["sni"] == "x" * 255 and "sni_truncated" in long[0]["anomalies"],
          f"a 300-byte SNI: 255 bytes kept and sni_truncated in anomalies: {long and long[0]['anomalies']}")
    an = rows("e.db", "SELECT anomalies FROM connections WHERE sni LIKE 'xxx%'")
    check(an and an[0][0] & 16, f"sni_truncated in the database's anomalies column: {an}")
    raw_json = run("report", "--db", "e.db", "--format", "json").stdout
    check(b"\\u202e" in raw_json and b"\\u009b" in raw_json and b"\xe2\x80\xae" not in raw_json,
          "report JSON escapes U+202E and U+009B (lossless \\u)")
    bad = [b"\xc2\x9b", b"\xe2\x80\xae", b"\xe2\x80\x8b", b"\x1b", b"\x07"]
    for fmt in ("text", "md", "csv", "html"):
        out = run("report", "--db", "e.db", "--format", fmt).stdout
        check(not any(b in out for b in bad), f"report {fmt}: no C0/C1 control, bidi override or zero-width space raw")
        out = run("diff", "--before", "e.db", "--after", "e.db", "--before-until", "2023-11-14T22:13:21Z",
                  "--format", fmt).stdout
        check(not any(b in out for b in bad), f"diff {fmt}: nothing raw")
    md = run("report", "--db", "e.db", "--format", "md").stdout
    if shutil.which("cmark-gfm"):
        html = subprocess.run(["cmark-gfm", "-e", "autolink", "-e", "table"], input=md, capture_output=True).stdout
        links = re.findall(rb'<a href="([^"]*)"', html)
        check(links and all(h.startswith(b"#") for h in links),
              f"Markdown rendered by cmark-gfm: only our own #anchors are links: {set(links)}")
        text = re.sub(rb"<[^>]*>", b"", html)
        check(b"http://evil.example/phish" in text and b"www.evil.example" in text and b"user@evil.example" in text,
              "the URL-like names are still shown as text (markup aside)")
    else:
        check(b"http\\://" in md and b"www\\." in md and b"`@`" in md, "Markdown autolinks defused (no cmark-gfm)")


def item11():
    """privilege drop: -Z root refused; the bounding set is empty after the drop; the systemd unit rates <= 1.5
    and its sandbox (user, ambient capabilities, bounding set, no_new_privs, umask, system call filter and
    address families applied with setpriv and seccomp) still captures in a network namespace"""
    r = run("capture", "-i", "lo", "-Z", "root", "--duration", "1")
    check(r.returncode == 6 and b"uid 0" in r.stderr, f"-Z root refused: {r.returncode} {r.stderr!r}")
    unit = os.path.join(BUILD, "dist", "tlsaudit@.service")
    if shutil.which("systemd-analyze") and os.path.exists(unit):
        d = tempfile.mkdtemp()
        shutil.copy(unit, d)
        a = subprocess.run(["systemd-analyze", "security", "--offline=true", "tlsaudit@eth0.service"], cwd=d,
                           capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", a.stdout)
        check(m and float(m.group(1)) <= 1.5, f"systemd-analyze security: {m and m.group(1)}")
    else:
        print("note: no systemd-analyze: the unit's rating was not checked")
    ns = "tareg%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        skip("no network namespaces: the live parts of item 11 were not run")
    try:
        for c in (["ip", "-n", ns, "link", "add", "rg0", "type", "veth", "peer", "name", "rg1"],
                  ["ip", "-n", ns, "link", "set", "rg0", "up"], ["ip", "-n", ns, "link", "set", "rg1", "up"]):
            subprocess.run(c, check=True)
        os.chmod(WORK, 0o777)
        sample = os.path.join(SAMPLES, "tls12-sni.pcap")
        want = sorted(json.loads(x)["sni"] for x in run("read", "--json", "--db", "ref.db", sample).stdout.split(b"\n")
                      if x)

        def live(db, prefix, env=None, extra=()):
            p = subprocess.Popen(["ip", "netns", "exec", ns] + prefix + [TOOL, "capture", "-i", "rg1", "--db", db,
                                 "--duration", "6", "--commit-interval", "0.2", "--no-ndpi", "-q", *extra],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            time.sleep(1.5)
            status = ""
            for pid in subprocess.run(["pgrep", "-f", "capture -i rg1 --db " + db], capture_output=True,
                                      text=True).stdout.split():
                try:
                    status = open(f"/proc/{pid}/status").read()
                except OSError:
                    pass
            subprocess.run(["ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", "rg0", "--pps", "200", sample],
                           capture_output=True)
            out, err = p.communicate(timeout=30)
            return p.returncode, status, err
        rc, status, err = live(os.path.join(WORK, "root.db"), [], None, ["-Z", "nobody"])
        check(rc == 0, f"capture as root -Z nobody: {rc} {err!r}")
        for field in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
            check(re.search(field + r":\s+0+\n", status) is not None, f"after the drop {field} is 0")
        check(re.search(r"NoNewPrivs:\s+1", status) and re.search(r"Uid:\s+65534", status), "nobody, no_new_privs")
        got = sorted(r[0] for r in rows(os.path.join(WORK, "root.db"), "SELECT CAST(sni AS TEXT) FROM connections"))
        check(got == want, f"root -Z nobody captured {got}")
        # the unit's sandbox, as far as it can be rebuilt without systemd
        wrap = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unit_sandbox.py")
        sysp = "/usr/bin/python3"
        ok = subprocess.run([sysp, "-c", "import seccomp"], capture_output=True).returncode == 0
        if not ok:
            print("note: python3-seccomp missing: the unit's system call filter is not applied")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+net_raw,+net_admin",
                  "--ambient-caps=+net_raw,+net_admin", "--bounding-set=-all,+net_raw,+net_admin", "--no-new-privs",
                  "--"] + ([sysp, wrap, unit, "--"] if ok else [])
        # LeakSanitizer stops the world with ptrace, which the unit's filter denies (sanitizer build only)
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(x for x in (env.get("ASAN_OPTIONS", ""), "detect_leaks=0") if x)
        rc, status, err = live(os.path.join(WORK, "unit.db"), prefix, env)
        check(rc == 0, f"capture under the unit's sandbox: {rc} {err!r}")
        check(re.search(r"CapEff:\s+0+\n", status) is not None and re.search(r"Seccomp:\s+2", status or "")
              is not None if ok else True, "sandboxed: CapEff 0 and a seccomp filter active")
        got = sorted(r[0] for r in rows(os.path.join(WORK, "unit.db"), "SELECT CAST(sni AS TEXT) FROM connections"))
        check(got == want, f"the sandboxed sensor captured {got}")
        mode = stat.S_IMODE(os.stat(os.path.join(WORK, "unit.db")).st_mode)
        check(mode == 0o600 if ok else True, f"database created with the unit's UMask=0077: {oct(mode)}")
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def item12():
    """smaller items: read -j exit status and output; hs_too_big and reasm_overlap_conflicts counted; size
    suffixes; an unsupported link type's warning printed; unit test programs without the shared corpus"""
    make("hs-too-big.pcap", "overlap-conflict.pcap", "linktype-147.pcap", "escapes.pcap", "anomalies.pcap")
    r = run("read", "-q", "--db", "h.db", "--max-handshake", "4096", "hs-too-big.pcap")
    check(r.returncode == 0 and rows("h.db", "SELECT hs_too_big FROM captures") == [(1,)],
          f"hs_too_big counted: {rows('h.db', 'SELECT hs_too_big FROM captures')}")
    r = run("read", "--json", "--db", "o.db", "overlap-conflict.pcap")
    ev = [json.loads(x) for x in r.stdout.splitlines()]
    check(rows("o.db", "SELECT reasm_overlap_conflicts FROM captures")[0][0] >= 1,
          f"reasm_overlap_conflicts counted: {rows('o.db', 'SELECT reasm_overlap_conflicts FROM captures')}")
    check(len(ev) == 1 and ev[0]["sni"] == "first.example", f"the first copy wins: {[e['sni'] for e in ev]}")
    # what the parsers know reaches NDJSON and the database: TLS and certificate anomaly bits, named by the
    # database's own anomalies table (bit numbers as tls.h and cert.h define them)
    out = run("read", "--json", "--db", "a.db", "anomalies.pcap").stdout
    ev = {e["sni"]: e for e in map(json.loads, out.splitlines())}
    check(ev["dup.example"]["anomalies"] == ["duplicate_extension"],
          f"a repeated extension: {ev['dup.example']['anomalies']}")
    check(ev["sans.example"]["anomalies"] == ["cert_sans_capped"] and len(ev["sans.example"]["cert"]["sans"]) == 64,
          f"{make_inputs.SAN_COUNT} SANs: 64 kept and cert_sans_capped: {ev['sans.example']['anomalies']}")
    names = dict(rows("a.db", "SELECT id, name FROM anomalies"))
    got = {sni: [names[b] for b in range(64) if bits >> b & 1] for sni, bits in
           rows("a.db", "SELECT CAST(sni AS TEXT), anomalies FROM connections")}
    check(got == {"dup.example": ["duplicate_extension"], "sans.example": ["cert_sans_capped"]},
          f"connections.anomalies bits: {got}")
    check(rows("a.db", "SELECT anomalies FROM certificates") == [(2,)], "certificates.anomalies: CERT_AN_SANS_CAPPED")
    r = run("read", "--db", "l.db", "linktype-147.pcap")
    check(b"warning" in r.stderr and b"147" in r.stderr, f"unsupported link type warned: {r.stderr!r}")
    for v, ok in (("64M", True), ("64MiB", True), ("1G", True), ("65536k", True), ("64Q", False)):
        r = run("read", "-q", "--db", "s.db", "--max-memory", v, os.path.join(SAMPLES, "tls13.pcap"))
        check((r.returncode == 0) == ok and (ok or r.returncode == 1), f"--max-memory {v}: {r.returncode}")
    # -j: every good file's NDJSON, whatever fails around it, and the worst status
    files = [os.path.join(SAMPLES, f) for f in ("tls12-sni.pcap", "tls13.pcap", "after.pcap", "before.pcap")]
    with open("cut.pcap", "wb") as f:
        f.write(open(files[2], "rb").read()[:700])
    alone = {}
    for f in files:
        alone[f] = len(run("read", "--json", "--db", "alone-%s.db" % os.path.basename(f), f).stdout.splitlines())
    args = [files[0], "missing.pcap", files[1], "cut.pcap", files[2], files[3]]
    for j in ("2", "3"):
        r = run("read", "-j", j, "--json", "--db", "j%s.db" % j, *args)
        lines = r.stdout.splitlines()
        check(r.returncode == 3, f"-j {j}: worst status 3 (cut) over 2 (missing): {r.returncode}")
        check(len(lines) >= sum(alone.values()), f"-j {j}: {len(lines)} NDJSON lines, the good files alone give "
              f"{sum(alone.values())}")
    # unit suites without the shared corpus: each program runs what needs no corpus, says SKIP for the rest and
    # passes; meson passes one corpus_dir (-Dcorpus, TLSAUDIT_CORPUS, ../shared/corpus) to every test
    nowhere = os.path.join(WORK, "no-corpus")
    for prog, args in (("tls/test_tls", [nowhere]), ("flow/test_flow", [nowhere, SAMPLES]),
                       ("fingerprint/test_fingerprint", [nowhere]), ("starttls/test_starttls", [nowhere + "/pcaps"]),
                       ("capture/test_capfile", [nowhere, SAMPLES]), ("capture/test_capfilter", [nowhere]),
                       ("classify/test_classify", [nowhere + "/pcaps"])):
        r = subprocess.run([os.path.join(BUILD, "tests", prog), *args], capture_output=True, text=True, timeout=300)
        check(r.returncode == 0 and "SKIP: " in r.stdout and nowhere in r.stdout,
              f"{prog} without the corpus: {r.returncode}, {r.stdout.splitlines()[-1:]} {r.stderr[-200:]!r}")
    for mb in glob.glob(os.path.join(ROOT, "tests", "*", "meson.build")):
        text = open(mb).read()
        check("'corpus'" not in text.replace("get_option('corpus')", ""),
              f"{os.path.relpath(mb, ROOT)} takes the corpus from corpus_dir only")
    # a database that fails under the workers: a full file system
    d = tempfile.mkdtemp(dir=WORK)
    m = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=256k tmpfs {d} && {TOOL} read -q -j 2"
                        f" --db {d}/x.db {' '.join(files)} {WORK}/escapes.pcap; echo rc=$?"], capture_output=True)
    if b"rc=" not in m.stdout:
        print(f"note: no tmpfs mount here: the full-disk -j case was not run ({m.stderr!r})")
    else:
        code = int(m.stdout.rsplit(b"rc=", 1)[1])
        check(code == 4 and m.stderr.strip(), f"-j 2 on a full disk: exit {code}, {m.stderr[-200:]!r}")


if __name__ == "__main__":
    globals()["item" + ITEM]()
    tally.finish(f"item {ITEM}: {tally.failures} failures")
