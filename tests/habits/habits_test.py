#!/usr/bin/env python3
"""habits_test.py - the command line as tcpdump users type it (issue 14), checked against tcpdump itself:

  read -r FILE (repeatable), trailing filter words (the rule in `read --help`), -f forcing files, -c N equal to
  `tcpdump -r F -c N -w` and then reading that, capture -D as tcpdump -D, `help COMMAND`, and one-line usage errors
  naming `tlsaudit COMMAND --help` for every command.
usage: habits_test.py TLSAUDIT SAMPLES_DIR"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SAMPLES = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tally = Checks()
check = tally.check


def run(*args, cwd=None, stdin=None):
    return subprocess.run([TOOL, *args], capture_output=True, timeout=120, cwd=cwd, input=stdin)


tmp = tempfile.mkdtemp(prefix="tlsaudit-habits-")
p = lambda n: os.path.join(tmp, n)
s = lambda n: os.path.join(SAMPLES, n)
n_db = 0


def db():
    global n_db
    n_db += 1
    return p(f"{n_db}.db")


def conns(out):
    """the connections of NDJSON output, without where they came from"""
    rows = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
    for x in rows:
        x.pop("capture", None)
    return rows


def tcpdump_count(pcap, expr):
    r = subprocess.run(["tcpdump", "-n", "-r", pcap, expr], capture_output=True, text=True)
    return len(r.stdout.splitlines())


multi, after = s("multi-host.pcap"), s("after.pcap")

# ---- read -r FILE, repeatable, beside positional files ----
a = run("read", "--db", db(), "--json", multi, after)
b = run("read", "--db", db(), "--json", "-r", multi, "-r", after)
check(a.returncode == 0 and b.returncode == 0 and conns(a.stdout) == conns(b.stdout) and len(conns(a.stdout)) > 5,
      f"-r FILE -r FILE reads what positional files read: {b.returncode} {b.stderr!r}")

# ---- trailing filter words ----
f_opt = run("read", "--db", db(), "--json", "-f", "host 127.0.0.3", multi)
words = run("read", "--db", db(), "--json", multi, "host", "127.0.0.3")
quoted = run("read", "--db", db(), "--json", multi, "host 127.0.0.3")
r_words = run("read", "--db", db(), "--json", "-r", multi, "host", "127.0.0.3")
want = conns(f_opt.stdout)
check(len(want) == 2 and all(x["client_ip"] == "127.0.0.3" for x in want), f"-f filter: {len(want)} connections")
for name, r in (("words", words), ("one quoted word", quoted), ("-r and words", r_words)):
    check(r.returncode == 0 and conns(r.stdout) == want, f"filter as {name}: {r.returncode} {r.stderr!r}")
# the filter matched what tcpdump matches: frames counted as filtered out are the rest
import sqlite3  # noqa: E402

con = sqlite3.connect(p(f"{n_db}.db"))
frames, out_ = con.execute("SELECT frames, filtered_out FROM captures").fetchone()
con.close()
check(frames - out_ == tcpdump_count(multi, "host 127.0.0.3"), f"frames passing the filter: {frames - out_}")
# a word naming an existing file is a file, even when it could be a filter word
os.makedirs(p("cwd"), exist_ok=True)
shutil.copy(s("tls11.pcap"), p("cwd/tcp"))
r = run("read", "--db", db(), "--json", "tcp", cwd=p("cwd"))
check(r.returncode == 0 and len(conns(r.stdout)) == 1, f"existing file 'tcp' is read as a file: {r.stderr!r}")
# ... and -r forces the other reading: then 'tcp' is the filter
r = run("read", "--db", db(), "--json", "-r", s("tls11.pcap"), "tcp", cwd=p("cwd"))
check(r.returncode == 0 and len(conns(r.stdout)) == 1, "with -r, 'tcp' is a filter word")
con = sqlite3.connect(p(f"{n_db}.db"))
check(con.execute("SELECT options FROM captures").fetchone()[0] == "filter=tcp", "the filter is recorded")
con.close()
# with -f every word is a file (a missing one is named, exit 2)
r = run("read", "--db", db(), "-f", "tcp", s("tls11.pcap"), "port")
check(r.returncode == 2 and b"port" in r.stderr, f"-f: words are files: {r.returncode} {r.stderr!r}")
# a missing file that looks like one is named as missing, not taken for a filter
r = run("read", "--db", db(), s("tls11.pcap"), p("typo.pcap"))
check(r.returncode == 2 and b"typo.pcap" in r.stderr and b"filter" not in r.stderr, f"missing file: {r.stderr!r}")
# a filter that does not compile: exit 1, says filter
r = run("read", "--db", db(), s("tls11.pcap"), "port", "bogus")
check(r.returncode == 1 and b"filter" in r.stderr, f"bad trailing filter: {r.returncode} {r.stderr!r}")
# no file, only filter words
r = run("read", "--db", db(), "port", "443")
check(r.returncode == 1 and b"no capture file" in r.stderr and b"-r FILE" in r.stderr, f"only a filter: {r.stderr!r}")
r = run("read", "--db", db(), "-f", "tcp", "-r", s("tls11.pcap"), "port", "443")
check(r.returncode == 1 and b"either with -f or as words" in r.stderr, f"-f and words: {r.stderr!r}")
# stdin stays '-'
with open(s("tls13.pcap"), "rb") as f:
    r = run("read", "--db", db(), "--json", "-", "port", "443", stdin=f.read())
check(r.returncode == 0 and len(conns(r.stdout)) == 3, f"stdin with a trailing filter: {r.stderr!r}")

# ---- -c N: the first N packets (that pass the filter), as tcpdump -c N ----
for n, expr in ((20, None), (11, None), (9, "host 127.0.0.3")):
    cut = p(f"c{n}.pcap")
    subprocess.run(["tcpdump", "-r", multi, "-c", str(n), "-w", cut] + ([expr] if expr else []), check=True,
                   capture_output=True)
    ref = run("read", "--db", db(), "--json", cut)
    got = run("read", "--db", db(), "--json", "-c", str(n), multi, *(expr.split() if expr else []))
    check(got.returncode == 0 and conns(got.stdout) == conns(ref.stdout),
          f"-c {n} {expr or ''}: {len(conns(got.stdout))} connections, tcpdump -c: {len(conns(ref.stdout))}")
# a file of exactly N packets is read whole (no -c note, the hash is kept, a later full read is a duplicate)
total = tcpdump_count(s("tls11.pcap"), "")
d = db()
r = run("read", "--db", d, "-q", "-c", str(total), s("tls11.pcap"))
r2 = run("read", "--db", d, s("tls11.pcap"))
check(r.returncode == 0 and b"already in" in r2.stderr, f"-c {total} on a {total}-packet file reads it whole: {r2.stderr!r}")
r = run("read", "--db", db(), "-c", "0", multi)
check(r.returncode == 1, "-c 0 refused")

# ---- capture -D ----
r = run("capture", "-D")
lines = r.stdout.decode().splitlines()
check(r.returncode == 0 and any(l.split(".", 1)[1].startswith("lo ") for l in lines if "." in l) and
      all(l.split(".", 1)[0].isdigit() for l in lines), f"capture -D: {lines}")
if shutil.which("tcpdump") and os.geteuid() == 0:
    td = subprocess.run(["tcpdump", "-D"], capture_output=True, text=True).stdout.splitlines()
    ours = [l.split(" ")[0] for l in lines]
    theirs = [l.split(" ")[0] for l in td]
    check(ours == theirs, f"capture -D lists what tcpdump -D lists, in its order: {ours} / {theirs}")

# ---- help COMMAND, usage errors ----
COMMANDS = ["read", "capture", "report", "diff", "merge", "export", "prune"]
for c in COMMANDS:
    h1, h2 = run("help", c), run(c, "--help")
    check(h1.returncode == 0 and h1.stdout == h2.stdout and h1.stdout.startswith(b"usage: tlsaudit " + c.encode()),
          f"help {c} equals {c} --help")
    r = run(c, "--bogus-option")
    err = r.stderr.decode().strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and f"see tlsaudit {c} --help" in err[0] and "--bogus-option" in err[0],
          f"{c} --bogus-option: {r.returncode} {err}")
for args, what in ((["read", "-j"], "-j needs a value"), (["export", "--db"], "--db needs a value"),
                   (["read", "-x", s("tls11.pcap")], "unknown option -x"), (["capture"], "no interface given"),
                   (["prune"], "say what goes")):
    r = run(*args)
    err = r.stderr.decode().strip().splitlines()
    check(r.returncode == 1 and len(err) == 1 and (what.split()[0] in err[0]), f"{args}: {err}")
r = run("help", "bogus")
check(r.returncode == 1 and len(r.stderr.splitlines()) == 1, "help of an unknown command")
r = run()
check(r.returncode == 1 and len(r.stderr.splitlines()) == 1 and b"see tlsaudit --help" in r.stderr, "no command")
r = run(s("tls11.pcap"))
check(r.returncode == 1 and b"tlsaudit read " in r.stderr, f"a file as the command: {r.stderr!r}")
r = run("help")
check(r.returncode == 0 and all(c.encode() in r.stdout for c in COMMANDS), "help lists every command")
r = run("--version")
check(r.returncode == 0 and r.stdout.startswith(b"tlsaudit "), "--version")

tally.finish(f"habits: {tally.passed}/{tally.checks} checks passed")
