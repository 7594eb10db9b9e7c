#!/usr/bin/env python3
"""report_test.py - `tlsaudit report`, `diff` and `merge` end to end: golden reports (CASES), exit statuses of
--fail-on-violation both ways (violation, no data, stale, at risk), the bugs of issue 10 each with its own
capture or database (empty selection, a filtered read, incomplete outcomes, the chart, posture, provenance,
remediation by stack, terminal widths and colour), the selection options, the policy, the before/after diff,
merge idempotence and provenance, and a capture with hostile SNI values through read, every report format, diff
and merge.
usage: report_test.py TLSAUDIT SAMPLES_DIR TESTS_REPORT_DIR [--regen]"""
import csv
import io
import json
import os
import pty
import re
import shlex
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile

import probe_rows as pr

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SAMPLES, HERE = (os.path.abspath(a) for a in sys.argv[1:4])
REGEN = "--regen" in sys.argv[4:]
EXPECTED = os.path.join(HERE, "expected")
tmp = tempfile.mkdtemp(prefix="tlsaudit-report-")
tally = Checks()
check = tally.check

ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "TERM")}
NOW = "2026-12-01T00:00:00Z"  # --now of the golden cases: the generation time they show


def run(*args, cwd=None, env=None):
    return subprocess.run([TOOL, *args], capture_output=True, timeout=120, cwd=cwd, env=env or ENV)


VERSION = run("--version").stdout.decode().split()[-1]


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
        # databases by their name in tmp (run from there: the provenance names them the same on every machine)
        argv = [a.replace("{db}", os.path.basename(dbs[0])).replace("{db2}", os.path.basename(dbs[-1]))
                for a in shlex.split(args)] + ["--now", NOW]
        r = run(*argv, cwd=tmp)
        check(r.returncode == 0, f"{name}: exit {r.returncode} {r.stderr!r}")
        # the expected files show the version as a placeholder
        out_bytes = r.stdout
        out_bytes = out_bytes.replace(("tlsaudit " + VERSION).encode(), b"tlsaudit VERSION")
        out_bytes = out_bytes.replace(('"' + VERSION + '"').encode(), b'"VERSION"')
        out_bytes = out_bytes.replace(("," + VERSION + ",").encode(), b",VERSION,")
        r = subprocess.CompletedProcess(r.args, r.returncode, out_bytes, r.stderr)
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
check(h5 and h5[0]["failed"] == 1 and h5[0]["unknown"] == 0, "the refused hello is failed, not unknown")
# remediation by stack: the sample's "Exchange" client is openssl s_client -tls1 - an OpenSSL stack
check(h5 and [s["family"] for s in h5[0]["stacks"]] == ["openssl"], f"127.0.0.5 sent OpenSSL hellos: {h5}")
check(h5 and h5[0]["hints"] == ["openssl-client"], f"OpenSSL client gets the OpenSSL hint: {h5 and h5[0]['hints']}")
h1 = [h for h in doc["hosts"] if h["ip"] == "127.0.0.1" and h["role"] == "client"]
check(h1 and h1[0]["hints"] == ["gnutls-client"], f"GnuTLS client gets the GnuTLS hint: {h1 and h1[0]['hints']}")
hint = [x for x in doc["hints"] if x["id"] == "openssl-client"]
check(hint and any("MinProtocol" in s for s in hint[0]["steps"]) and
      any("MinProtocol = TLSv1.2" in x["text"] for x in hint[0]["snippets"]), "OpenSSL hint names MinProtocol")
check(not any("SCHANNEL" in json.dumps(x) or "SchUseStrongCrypto" in json.dumps(x) for x in doc["hints"]),
      "no Windows registry step for OpenSSL and GnuTLS clients")
srv = [h for h in doc["hosts"] if h["role"] == "server"]
check(srv and all("old_hello_failed" not in [x["key"] for x in h["reasons"]] for h in srv),
      "a server refusing TLS 1.0 is not blamed for it")
r = run("report", "--db", db_ex, "--fail-on-violation")
check(r.returncode == 10, f"--fail-on-violation with a violation: exit {r.returncode}")
r = run("report", "--db", db_ex)
check(r.returncode == 0, f"violation without --fail-on-violation: exit {r.returncode}")
db_after = make_db(["after.pcap"])
r = run("report", "--db", db_after, "--fail-on-violation", "--set", "cert_expiring=info")
check(r.returncode == 0, f"--fail-on-violation without a violation: exit {r.returncode}")
# ---- a host role that showed no TLS is "no TLS seen", never "ok": the refused STARTTLS has no TLS byte at all
# (samples/README.md), so neither its client nor its server can be said to meet the policy ----------------------
db_ref = make_db(["smtp-starttls-refused.pcap"])
r = run("report", "--db", db_ref, "--format", "json")
doc = json.loads(r.stdout)
roles = sorted((h["ip"], h["role"], h["verdict"]) for h in doc["hosts"])
check(roles == [("127.0.0.26", "server", "no TLS seen"), ("127.0.0.3", "client", "no TLS seen")],
      f"STARTTLS refused: both roles no TLS seen: {roles}")
s_ref = doc["summary"]
check((s_ref["verdict"], s_ref["no_tls"], s_ref["ok"]) == ("no TLS seen", 2, 0), f"its summary: {s_ref}")
text = run("report", "--db", db_ref).stdout.decode()
check("meet the policy" not in text and "No host role showed a TLS version" in text and
      "127.0.0.26 as server: no TLS seen" in text, f"the text says nothing was judged: {text[:400]!r}")
md = run("report", "--db", db_ref, "--format", "md").stdout.decode()
check("0 ok, 2 no TLS seen" in md, "Markdown tally counts the roles without TLS")
r = run("report", "--db", db_ref, "--fail-on-violation")
check(r.returncode == 12, f"--fail-on-violation when no role showed TLS: exit {r.returncode} (12, nothing to judge)")
db_mix = make_db(["tls12-sni.pcap", "smtp-starttls-refused.pcap"])
doc = json.loads(run("report", "--db", db_mix, "--format", "json").stdout)
v = {(h["ip"], h["role"]): h["verdict"] for h in doc["hosts"]}
s_mix = doc["summary"]
check(v.get(("127.0.0.26", "server")) == "no TLS seen" and s_mix["verdict"] not in ("no TLS seen", "ok") and
      s_mix["violation"] + s_mix["at_risk"] + s_mix["ok"] + s_mix["no_tls"] == s_mix["hosts"],
      f"beside TLS hosts the refusing server is listed apart and the others decide the verdict: {v} {s_mix}")
db_13 = make_db(["tls13.pcap"])
r = run("report", "--db", db_13, "--fail-on-violation", "--min-version", "TLS 1.3", "--format", "json")
check(r.returncode == 0, f"at risk is not a violation: exit {r.returncode}")
r = run("report", "--db", db_13, "--fail-on-risk", "--min-version", "TLS 1.3", "--format", "json")
check(r.returncode == 11, f"--fail-on-risk with a host at risk: exit {r.returncode}")
r = run("report", "--db", db_13, "--min-version", "TLS 1.3", "--format", "json", "--set", "cert_expiring=info")
check(r.returncode == 0 and json.loads(r.stdout)["summary"]["verdict"] == "at risk",
      "tls13 at TLS 1.3 policy: gnutls still offers 1.0-1.2 -> at risk")
r = run("report", "--db", db_13, "--format", "json")
v = {(h["ip"], h["role"]): h["verdict"] for h in json.loads(r.stdout)["hosts"]}
check(v.get(("127.0.0.1", "client")) == "at risk", f"gnutls offering 1.3..1.0 is at risk: {v}")
for bad in (["--format", "xml"], ["--min-version", "TLS 9"], ["--since", "yesterday"], ["--host", "x"], ["extra"],
            ["--host", "10.0.0.0/33"], ["--role", "both"], ["--top", "0"], ["--max-age", "soon"],
            ["--set", "nosuchkey=1"], ["--set", "cert_expired=maybe"], ["--policy", "/nonexistent"],
            ["--color", "sometimes"], ["--width", "10"]):
    r = run("report", "--db", db_ex, *bad)
    check(r.returncode == 1, f"bad option {bad}: exit {r.returncode}")
    check(r.stderr.count(b"\n") == 1 and r.stderr.startswith(b"tlsaudit report: ") and
          r.stderr.endswith(b" (see tlsaudit report --help)\n"),
          f"usage error {bad}: one line that says what is wrong and points to the help: {r.stderr!r}")
r = run("report", "--db", os.path.join(tmp, "missing.db"))
check(r.returncode == 4, f"missing database: exit {r.returncode}")

# ---- bug: an empty selection was a green OK (issue 10) -----------------------------------------------
for sel in (["--host", "10.99.99.99"], ["--until", "2000-01-01"], ["--since", "2099-01-01"],
            ["--sensor", "no-such-sensor"]):
    r = run("report", "--db", db_ex, *sel, "--fail-on-violation")
    check(r.returncode == 12 and b"VERDICT: NO DATA" in r.stdout,
          f"no data {sel}: exit {r.returncode}, {r.stdout[:120]!r}")
    check(b"the database holds 2 connections" in r.stdout, f"no data says what the database holds: {r.stdout[:200]!r}")
    r = run("report", "--db", db_ex, *sel, "--format", "json")
    d = json.loads(r.stdout)
    check(r.returncode == 0 and d["summary"]["verdict"] == "no data" and d["hosts"] == [],
          f"no data in JSON {sel}: {d['summary']}")
    r = run("report", "--db", db_ex, *sel, "--format", "html")
    check(b'class="verdict v-no-data"' in r.stdout and b'class="verdict v-ok"' not in r.stdout,
          f"no data in HTML is not green {sel}")
    for fmt in ("md", "csv"):
        r = run("report", "--db", db_ex, *sel, "--format", fmt, "--fail-on-violation")
        check(r.returncode == 12, f"no data {fmt}: exit {r.returncode}")

# ---- --max-age: stale ------------------------------------------------------------------------------
con = sqlite3.connect(db_ex)
last_ns = con.execute("SELECT max(ts_ns) FROM conn").fetchone()[0]
con.close()
last_s = last_ns // 10**9 + 1  # the next whole second
r = run("report", "--db", db_ex, "--max-age", "1h", "--now", f"@{last_s + 7200}", "--fail-on-violation")
check(r.returncode == 13 and b"VERDICT: STALE" in r.stdout and b"2h 0m old" in r.stdout,
      f"stale: exit {r.returncode} {r.stdout[:200]!r}")
r = run("report", "--db", db_ex, "--max-age", "1h", "--now", f"@{last_s + 1800}", "--fail-on-violation")
check(r.returncode == 10 and b"VERDICT: VIOLATION" in r.stdout, f"fresh enough: exit {r.returncode}")
r = run("report", "--db", db_ex, "--max-age", "1h", "--now", f"@{last_s + 7200}", "--format", "json")
d = json.loads(r.stdout)
check(d["summary"]["verdict"] == "stale" and d["summary"]["hosts_verdict"] == "violation" and
      d["summary"]["age_s"] == 7200 and d["policy"]["max_age_s"] == 3600, f"stale JSON: {d['summary']}")
r = run("report", "--db", db_ex, "--max-age", "1h", "--now", f"@{last_s + 7200}", "--format", "html")
check(b"v-stale" in r.stdout and b"2h 0m old" in r.stdout, "stale HTML")

# ---- bug: a capture that ended mid-handshake was a refusal (issue 10) -----------------------------------


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    hdr, off, recs = data[:24], 24, []
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        recs.append([sec, usec, incl, orig, data[off + 16:off + 16 + incl]])
        off += 16 + incl
    return hdr, recs


def write_pcap(path, hdr, recs):
    with open(path, "wb") as f:
        f.write(hdr)
        for sec, usec, incl, orig, body in recs:
            f.write(struct.pack("<IIII", sec, usec, len(body), orig) + body)


def tcp_payload(frame):
    ihl = (frame[14] & 15) * 4
    tcp = 14 + ihl
    return frame[tcp + ((frame[tcp + 12] >> 4) * 4):], struct.unpack("!H", frame[tcp:tcp + 2])[0]


hdr, recs = read_pcap(os.path.join(SAMPLES, "tls11.pcap"))
cut = next(i for i, rec in enumerate(recs) if tcp_payload(rec[4])[1] == 443 and tcp_payload(rec[4])[0][:1] == b"\x16")
inc_pcap = os.path.join(tmp, "tls11-capture-ends-after-serverhello.pcap")
write_pcap(inc_pcap, hdr, recs[:cut + 1])
inc_db = os.path.join(tmp, "incomplete.db")
r = run("read", "--db", inc_db, "--json", inc_pcap)
check(r.returncode == 0 and json.loads(r.stdout.splitlines()[0])["outcome"] == "incomplete",
      f"the cut capture's connection is incomplete: {r.stdout[:300]!r}")
r = run("report", "--db", inc_db, "--format", "json")
d = json.loads(r.stdout)
c2 = [h for h in d["hosts"] if h["ip"] == "127.0.0.2" and h["role"] == "client"][0]
check(c2["failed"] == 0 and c2["unknown"] == 1 and c2["old_offered_failed"] == 0 and c2["old_offered_unknown"] == 1,
      f"incomplete is unknown, not failed: {c2['failed']} {c2['unknown']}")
keys = [x["key"] for x in c2["reasons"]]
check("offered_only_old" in keys and "old_hello_failed" not in keys, f"the reason is what the hello shows: {keys}")
check(c2["hints"] == ["openssl-client"], f"the hint is the stack's, not a refusal's: {c2['hints']}")
check(d["summary"]["failed"] == 0 and d["summary"]["unknown"] == 1, "summary counts it as unknown")
r = run("report", "--db", inc_db, "--width", "1000")
check(b"refused" not in r.stdout and b"failed 0, unknown 1" in r.stdout and b"with unknown outcome" in r.stdout,
      f"text names only what the data shows: {r.stdout!r}")
check(b"counted as unknown, not as failed" in r.stdout, "the first screen says why unknown is not failed")

# ---- bug: the chart hid the headline case and listed hosts in address order (issue 10) ------------------
r = run("report", "--db", db_ex, "--format", "html")
page = r.stdout.decode()
row5 = re.search(r'<div class="row"><span class="l"><span class="mono">127\.0\.0\.5</span> client.*?</div>', page)
check(row5 and 'class="f c3"' in row5.group(0) and "TLS 1.0 offered, failed: 1" in row5.group(0),
      f"the refused TLS 1.0 hello is a hatched TLS 1.0 bar: {row5 and row5.group(0)}")
db_all = make_db(["after.pcap", "before.pcap", "multi-host.pcap", "tls10-rejected.pcap", "tls11.pcap",
                  "tls12-sni.pcap", "tls13.pcap"])
r = run("report", "--db", db_all, "--format", "html")
rows = re.findall(r'<div class="row"><span class="l"><span class="mono">([^<]+)</span> (\w+) <span class="t-([\w-]+)">',
                  r.stdout.decode())
check(rows[:1] == [("127.0.0.5", "client", "violation")], f"the worst host role is drawn first: {rows[:3]}")
order = {"violation": 0, "at-risk": 1, "ok": 2}
check([order[v] for _, _, v in rows] == sorted(order[v] for _, _, v in rows), f"chart ranked by verdict: {rows}")
d = json.loads(run("report", "--db", db_all, "--format", "json").stdout)
ranked = [(d["hosts"][i]["ip"], d["hosts"][i]["role"]) for i in d["ranking"]]
check([(ip, role) for ip, role, _ in rows] == ranked[:len(rows)], "chart order is the report's ranking")

# ---- bug: posture was missing; an expired certificate was "ok" (issue 10) -------------------------------
db_cert = make_db(["cert-expired.pcap", "cert-selfsigned.pcap"])
d = json.loads(run("report", "--db", db_cert, "--format", "json").stdout)
s31 = [h for h in d["hosts"] if h["ip"] == "127.0.0.31" and h["role"] == "server"][0]
check(s31["verdict"] == "at risk" and "cert_expired" in [x["key"] for x in s31["reasons"]],
      f"expired certificate: at risk {s31['verdict']} {s31['reasons']}")
cert = s31["certificates"][0]
check(cert["subject_cn"] == "expired.example.test" and cert["used_after_expiry"] == 1 and
      cert["not_after"].startswith("2020-02-01") and cert["key_type"] == "RSA" and cert["key_bits"] == 2048,
      f"the certificate's facts: {cert}")
s30 = [h for h in d["hosts"] if h["ip"] == "127.0.0.30" and h["role"] == "server"][0]
check(s30["certificates"][0]["self_signed"] and "cert_self_signed" in [x["key"] for x in s30["reasons"]],
      "self-signed certificate shown")
for fmt, needle in (("text", b"expired.example.test expired on 2020-02-01"), ("md", b"expired.example.test expired"),
                    ("csv", b"expired.example.test (until 2020-02-01"), ("html", b"expired.example.test expired on")):
    r = run("report", "--db", db_cert, "--format", fmt)
    check(needle in r.stdout, f"{fmt} shows the expired certificate")
r = run("report", "--db", db_cert, "--set", "cert_self_signed=violation", "--format", "json")
check(json.loads(r.stdout)["summary"]["verdict"] == "violation", "the policy decides what a finding weighs")
r = run("report", "--db", db_cert, "--set", "cert_expired=ignore", "--set", "cert_expiring=ignore", "--format", "json")
s31 = [h for h in json.loads(r.stdout)["hosts"] if h["ip"] == "127.0.0.31"][0]
check(s31["verdict"] == "ok" and not [x for x in s31["reasons"] if x["key"].startswith("cert_")],
      f"ignore drops a finding: {s31['reasons']}")
# weak ciphers: the policy can count CBC-SHA1 (tls11.pcap negotiated ECDHE_RSA_AES_256_CBC_SHA)
db_11 = make_db(["tls11.pcap"])
d = json.loads(run("report", "--db", db_11, "--format", "json").stdout)
s10 = [h for h in d["hosts"] if h["ip"] == "127.0.0.10"][0]
check(s10["weak_negotiated"].get("CBC-SHA1", {}).get("connections") == 1, f"CBC-SHA1 negotiated: {s10['weak_negotiated']}")
check("weak_cipher_negotiated" not in [x["key"] for x in s10["reasons"]], "CBC-SHA1 not counted by default")
d = json.loads(run("report", "--db", db_11, "--set", "weak_ciphers=cbc-sha1", "--format", "json").stdout)
s10 = [h for h in d["hosts"] if h["ip"] == "127.0.0.10"][0]
check("weak_cipher_negotiated" in [x["key"] for x in s10["reasons"]], "weak_ciphers=cbc-sha1 counts it")

# ---- policy file --------------------------------------------------------------------------------------
pol = os.path.join(tmp, "policy.conf")
with open(pol, "w") as f:
    f.write("# a site policy\nmin_version = TLS 1.3\ncert_expired = violation  # expired is serious here\n"
            "\nrsa_min_bits = 3072\nndpi_ignore = none\n")
r = run("report", "--db", db_cert, "--policy", pol, "--show-policy")
check(r.returncode == 0 and b"min_version = TLS 1.3" in r.stdout and b"cert_expired = violation" in r.stdout and
      b"rsa_min_bits = 3072" in r.stdout and b"ndpi_ignore = none" in r.stdout, f"policy file: {r.stdout!r}")
r = run("report", "--db", db_cert, "--policy", pol, "--set", "min_version=TLS 1.2", "--show-policy")
check(b"min_version = TLS 1.2" in r.stdout, "--set after --policy wins")
d = json.loads(run("report", "--db", db_cert, "--policy", pol, "--format", "json").stdout)
check(d["policy"]["min_version"] == "TLS 1.3" and d["policy"]["levels"]["cert_expired"] == "violation" and
      d["policy"]["rsa_min_bits"] == 3072, f"policy in JSON: {d['policy']}")
with open(pol, "w") as f:
    f.write("min_version = TLS 1.3\nbogus line\n")
r = run("report", "--db", db_cert, "--policy", pol)
check(r.returncode == 1 and b"line 2" in r.stderr, f"a bad policy line is named: {r.stderr!r}")
r = run("report", "--db", db_cert, "--show-policy")
check(r.stdout.startswith(b"min_version = TLS 1.2\noffered_only_old = violation\nold_hello_failed = violation\n"
                          b"negotiated_old = violation\nstill_offers_old = at-risk\ncert_expired = at-risk\n"),
      f"documented defaults: {r.stdout!r}")

# ---- provenance on every report in every format ---------------------------------------------------------
# a capture with a cut frame (snaplen): the loss counter must show; and a filtered read: its option must show
hdr, recs = read_pcap(os.path.join(SAMPLES, "tls12-sni.pcap"))
recs[5][4] = recs[5][4][:40]  # caplen < len: snaplen_cut
cut_pcap = os.path.join(tmp, "tls12-snaplen.pcap")
write_pcap(cut_pcap, hdr, recs)
prov_db = os.path.join(tmp, "prov.db")
run("read", "-q", "--db", prov_db, cut_pcap)
r = run("read", "-q", "--db", prov_db, "-f", "host 127.0.0.4", os.path.join(SAMPLES, "multi-host.pcap"))
check(r.returncode == 0, f"filtered read: {r.stderr!r}")
r = run("read", "-q", "--db", prov_db, os.path.join(SAMPLES, "multi-host.pcap"))
check(r.returncode == 0 and b"nothing added" not in r.stderr, f"a filtered read does not block the full read: {r.stderr!r}")
con = sqlite3.connect(prov_db)
check(con.execute("SELECT count(*) FROM captures").fetchone()[0] == 3, "three analyses stored")
con.close()
sensor = os.uname().nodename
for fmt in ("text", "md", "csv", "json", "html"):
    r = run("report", "--db", prov_db, "--format", fmt, "--now", NOW)
    out = r.stdout.decode("utf-8", "replace")
    if fmt == "md":
        out = re.sub(r"\\(.)", r"\1", out)  # Markdown escapes punctuation
    for needle in (VERSION, "2026-12-01", prov_db, sensor, "filter=host 127.0.0.4", "snaplen_cut"):
        check(needle in out, f"provenance {fmt}: {needle!r} missing")
    r = run("diff", "--before", prov_db, "--after", db_ex, "--format", fmt, "--now", NOW)
    out = r.stdout.decode("utf-8", "replace")
    if fmt == "md":
        out = re.sub(r"\\(.)", r"\1", out)
    for needle in (VERSION, "2026-12-01", prov_db, db_ex):
        check(needle in out, f"diff provenance {fmt}: {needle!r} missing")

# ---- selection options (issue 14): CIDR, repeatable hosts, role, sensor, relative and local times, top -----
d = json.loads(run("report", "--db", db_all, "--host", "127.0.0.0/30", "--format", "json").stdout)
ips = sorted({h["ip"] for h in d["hosts"]})
check(ips == ["127.0.0.1", "127.0.0.2", "127.0.0.3"], f"--host 127.0.0.0/30: {ips}")
d = json.loads(run("report", "--db", db_all, "--host", "127.0.0.5", "--host", "127.0.0.20", "--format", "json").stdout)
check(sorted({(h["ip"], h["role"]) for h in d["hosts"]}) == [("127.0.0.20", "server"), ("127.0.0.5", "client")],
      f"--host repeated: {[(h['ip'], h['role']) for h in d['hosts']]}")
d = json.loads(run("report", "--db", db_all, "--role", "server", "--format", "json").stdout)
check(d["hosts"] and all(h["role"] == "server" for h in d["hosts"]), "--role server")
all_conns = json.loads(run("report", "--db", db_all, "--format", "json").stdout)["summary"]["connections"]
all_roles = len(json.loads(run("report", "--db", db_all, "--format", "json").stdout)["hosts"])
check(d["summary"]["connections"] == all_conns == 20, f"--role server keeps every connection: {d['summary']['connections']}")
d = json.loads(run("report", "--db", db_all, "--host", "127.0.0.10", "--role", "client", "--format", "json").stdout)
check(d["summary"]["connections"] == 0 and d["summary"]["verdict"] == "no data", "127.0.0.10 is never a client")
d = json.loads(run("report", "--db", db_all, "--sensor", "sensor", "--format", "json").stdout)
check(d["summary"]["connections"] == all_conns and d["window"]["sensors"] == ["sensor"], "--sensor")
first_s = json.loads(run("report", "--db", db_all, "--format", "json").stdout)["summary"]["first_seen"]
con = sqlite3.connect(db_all)
t_min, t_max = con.execute("SELECT min(ts_ns), max(ts_ns) FROM conn").fetchone()
con.close()
now_s = t_max // 10**9 + 3600 + 1
r = run("report", "--db", db_all, "--since", "-1h", "--now", f"@{now_s}", "--format", "json")
check(json.loads(r.stdout)["summary"]["verdict"] == "no data", "--since -1h from --now: nothing")
r = run("report", "--db", db_all, "--since", "-2h", "--now", f"@{now_s}", "--format", "json")
check(json.loads(r.stdout)["summary"]["connections"] == all_conns, "--since -2h from --now: everything")
import calendar
tm = __import__("time").gmtime(t_min // 10**9)
utc = __import__("time").strftime("%Y-%m-%d %H:%M:%S", tm)
env = dict(ENV, TZ="UTC-2")  # POSIX: two hours east of UTC
local = __import__("time").strftime("%Y-%m-%d %H:%M:%S", __import__("time").gmtime(t_min // 10**9 + 7200))
r = run("report", "--db", db_all, "--until", local, "--format", "json", env=env)
check(json.loads(r.stdout)["summary"]["connections"] == 0, f"--until {local} (local, UTC+2) is the first second: nothing")
r = run("report", "--db", db_all, "--until", utc + "Z", "--format", "json", env=env)
check(json.loads(r.stdout)["summary"]["connections"] == 0, "Z means UTC")
r = run("report", "--db", db_all, "--since", utc.replace(" ", "T") + "+00:00", "--format", "json", env=env)
check(json.loads(r.stdout)["summary"]["connections"] == all_conns, "RFC 3339 with an offset")
r = run("report", "--db", db_all, "--top", "2")
check(r.stdout.count(b" as client: ") + r.stdout.count(b" as server: ") >= 2 and
      ("... and %d more host roles" % (all_roles - 2)).encode() in r.stdout, f"--top 2: {r.stdout[:300]!r}")
r = run("diff", "--before", make_db(["before.pcap"]), "--after", db_after, "--top", "1")
check(r.returncode == 0 and b"and 1 more host roles" in r.stdout, f"diff --top: {r.stdout!r}")
r = run("diff", "--before", db_all, "--after", db_all, "--host", "127.0.0.5", "--role", "client", "--split",
        "@%d" % (t_max // 10**9))
check(r.returncode == 0 and r.stdout.count(b"127.0.0.5 as client") == 1 and b"as server" not in r.stdout,
      f"diff --host --role: {r.stdout!r}")

# ---- text on a terminal: width, colour only on a TTY, NO_COLOR, numeric order, capped lists ------------
r = run("report", "--db", db_all, env=dict(ENV, COLUMNS="60"))
# copy-ready blocks (indented 7) are never wrapped; a word longer than the line cannot be
long_lines = [l for l in r.stdout.split(b"\n") if len(l) > 60 and not l.startswith(b" " * 7) and
              b" " in l.strip()[:55]]
check(not long_lines, f"COLUMNS=60: lines fit: {long_lines[:3]}")
check(b"\x1b[" not in r.stdout, "no colour when stdout is not a terminal")
r = run("report", "--db", db_all, "--color", "always")
check(b"\x1b[1;31mVIOLATION\x1b[0m" in r.stdout, "--color always colours the verdict")


def on_tty(args, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(TOOL, [TOOL, *args], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out


out = on_tty(["report", "--db", db_all], dict(ENV, TERM="xterm"))
check(b"\x1b[1;31mVIOLATION" in out, "colour on a terminal")
out = on_tty(["report", "--db", db_all], dict(ENV, TERM="xterm", NO_COLOR="1"))
check(b"VIOLATION" in out and b"\x1b[" not in out, "NO_COLOR honoured on a terminal")
r = run("read", "--db", os.path.join(tmp, "order.db"), os.path.join(SAMPLES, "starttls.pcap"))
summary = r.stdout.decode()
check(summary.index("127.0.0.89") < summary.index("127.0.0.110") < summary.index("127.0.0.143"),
      f"read summary in numeric address order: {summary}")
rows = list(csv.reader(io.StringIO(run("report", "--db", db_all, "--format", "csv").stdout.decode())))
ips = [r_[0] for r_ in rows[1:]]
key = [tuple(int(x) for x in ip.split(".")) for ip in ips]
check(key == sorted(key), f"CSV rows in numeric address order: {ips}")
d = json.loads(run("report", "--db", db_all, "--format", "json").stdout)
peers = [p["ip"] for h in d["hosts"] if h["ip"] == "127.0.0.10" for p in h["peers"]]
check(peers == ["127.0.0.2", "127.0.0.1", "127.0.0.3", "127.0.0.5"], f"peers: most first, then numeric: {peers}")

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
r = run("diff", "--before", db_before, "--after", db_after, "--until", "2000-01-01", "--fail-on-violation")
check(r.returncode == 12, f"diff: nothing on the after side is no data: exit {r.returncode}")

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

# ---- probes in reports: verdict rule, "no data", selection, policy, max-age, every format, diff -------------
# The Exchange capture (127.0.0.10 refuses TLS 1.0 from two clients) plus probe attempts written into the
# database (probe_rows.py): 127.0.0.10:443 accepts TLS 1.2 and 1.3 and refuses 1.0/1.1 with protocol_version,
# as the capture shows; 127.0.0.30:25 (SMTP STARTTLS, never seen in a capture) accepts TLS 1.0 and TLS 1.2;
# 2001:db8::30:443, probed from another sensor, accepts TLS 1.2 only.
T0 = 1795910400 * 10**9  # 2026-11-29T00:00:00Z, two days after the capture
db_p = os.path.join(tmp, "probed.db")
shutil.copy(db_ex, db_p)
for v, res in (("TLS 1.0", pr.ALERT), ("TLS 1.1", pr.ALERT), ("TLS 1.2", pr.ACCEPTED), ("TLS 1.3", pr.ACCEPTED)):
    pr.add(db_p, "127.0.0.10", 443, v, res, T0 + 10**9 * int(v[-1]), alert=70 if res == pr.ALERT else None,
           cipher=0xc030 if v == "TLS 1.2" else 0x1302)
for i, v in enumerate(("TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3")):
    pr.add(db_p, "127.0.0.30", 25, v, pr.ACCEPTED if v in ("TLS 1.0", "TLS 1.2") else pr.ALERT,
           T0 + 60 * 10**9 + i * 10**9, starttls=pr.SMTP, alert=None if v in ("TLS 1.0", "TLS 1.2") else 70,
           cipher=0xc014, target="mx.example.test:25")
pr.add(db_p, "2001:db8::30", 443, "TLS 1.1", pr.ALERT, T0 + 120 * 10**9, sensor="prober-2", alert=70)
pr.add(db_p, "2001:db8::30", 443, "TLS 1.2", pr.ACCEPTED, T0 + 121 * 10**9, sensor="prober-2", cipher=0xc02f)


def rjson(*args):
    r = run("report", "--db", db_p, "--format", "json", "--now", NOW, *args)
    return r.returncode, (json.loads(r.stdout) if r.stdout else {})


rc, doc = rjson()
eps = {(p["ip"], p["port"]): p for p in doc.get("probes", [])}
check(set(eps) == {("127.0.0.10", 443), ("127.0.0.30", 25), ("2001:db8::30", 443)}, f"probes: {sorted(eps)}")
check(eps.get(("127.0.0.10", 443), {}).get("verdict") == "ok" and eps[("127.0.0.10", 443)]["accepted"] ==
      ["TLS 1.2", "TLS 1.3"], f"127.0.0.10:443 {eps.get(('127.0.0.10', 443))}")
p30 = eps.get(("127.0.0.30", 25), {})
check(p30.get("verdict") == "violation" and p30.get("accepted") == ["TLS 1.0", "TLS 1.2"] and
      p30.get("starttls") == "smtp" and p30.get("target") == "mx.example.test:25" and p30.get("passive_connections") == 0,
      f"127.0.0.30:25 {p30}")
hosts = {(h["ip"], h["role"]): h for h in doc["hosts"]}
h10, h30 = hosts.get(("127.0.0.10", "server"), {}), hosts.get(("127.0.0.30", "server"), {})
check(h10.get("verdict") == "ok" and h10.get("connections") == 2 and not h10.get("reasons"),
      f"127.0.0.10 refuses TLS 1.0 in the capture and when probed: ok {h10.get('reasons')}")
check(h30.get("verdict") == "violation" and h30.get("connections") == 0 and
      [(x["key"], x["level"]) for x in h30.get("reasons", [])] == [("probe_accepts_old", "violation")] and
      h30.get("hints") == ["server-accepts-old"] and "TLS 1.0 (policy: TLS 1.2 or newer)" in h30["reasons"][0]["text"],
      f"127.0.0.30 as server, only probed: {h30}")
check(hosts.get(("2001:db8::30", "server"), {}).get("verdict") == "ok", "2001:db8::30 accepts TLS 1.2 only: ok")
hl = [x for x in doc["summary"]["headlines"] if "when probed" in x["text"]]
check(len(hl) == 1 and hl[0]["text"].startswith("1 server accepts TLS 1.0 when probed") and
      hl[0]["hosts"] == [{"ip": "127.0.0.30", "role": "server"}], f"probe headline: {hl}")
check(doc["policy"]["levels"].get("probe_accepts_old") == "violation", "probe_accepts_old is a policy key")
check(run("report", "--db", db_p, "--fail-on-violation").returncode == 10, "probed violation: exit 10")

# probes are data: a selection with probes and no connection is judged, not "no data"
rc, doc = rjson("--host", "127.0.0.30", "--fail-on-violation")
check(rc == 10 and doc["summary"]["verdict"] == "violation" and doc["summary"]["connections"] == 0 and
      [(h["ip"], h["role"]) for h in doc["hosts"]] == [("127.0.0.30", "server")] and len(doc["probes"]) == 1,
      f"--host 127.0.0.30 (probes only): exit {rc}, {doc['summary']['verdict']}")
check(doc["summary"]["age_s"] is not None, "the age of a probes-only selection is its newest probe's")
rc, doc = rjson("--host", "127.0.0.99", "--fail-on-violation")
check(rc == 12 and doc["summary"]["verdict"] == "no data" and "probes" not in doc, f"nothing at all: no data, {rc}")
rc, doc = rjson("--host", "2001:db8::/64", "--fail-on-violation")
check(rc == 0 and doc["summary"]["verdict"] == "ok" and [p["ip"] for p in doc["probes"]] == ["2001:db8::30"],
      f"--host as CIDR selects probed addresses: exit {rc} {doc.get('probes')}")
rc, doc = rjson("--sensor", "prober-2", "--fail-on-violation")
check(rc == 0 and doc["summary"]["connections"] == 0 and [p["ip"] for p in doc.get("probes", [])] == ["2001:db8::30"],
      f"--sensor selects the probing machine: exit {rc}")
rc, doc = rjson("--role", "client")
check("probes" not in doc and not any(h["role"] == "server" for h in doc["hosts"]), "--role client: no probes")
rc, doc = rjson("--role", "server", "--fail-on-violation")
check(rc == 10 and len(doc["probes"]) == 3, f"--role server keeps the probes: exit {rc}")
rc, doc = rjson("--since", "2026-11-30", "--fail-on-violation")
check(rc == 12 and doc["summary"]["verdict"] == "no data", f"--since after every probe: no data ({rc})")
rc, doc = rjson("--until", "2026-11-28T00:00:00Z")
check("probes" not in doc and doc["summary"]["connections"] == 2, "--until before the probes: the capture only")
rc, doc = rjson("--since", "2026-11-29T00:00:59Z")
check(sorted(p["ip"] for p in doc.get("probes", [])) == ["127.0.0.30", "2001:db8::30"],
      f"--since selects attempts by their time: {[p['ip'] for p in doc.get('probes', [])]}")
# the policy decides what an accepted old version weighs
rc, doc = rjson("--role", "server", "--set", "probe_accepts_old=at-risk", "--fail-on-risk")
check(rc == 11 and {p["ip"]: p["verdict"] for p in doc["probes"]}.get("127.0.0.30") == "at risk" and
      doc["summary"]["verdict"] == "at risk", f"probe_accepts_old=at-risk: exit {rc}")
rc, doc = rjson("--role", "server", "--set", "probe_accepts_old=ignore", "--fail-on-risk")
check(rc == 0 and all(p["verdict"] == "ok" for p in doc["probes"]), f"probe_accepts_old=ignore: exit {rc}")
rc, doc = rjson("--host", "127.0.0.30", "--min-version", "TLS 1.0", "--fail-on-violation")
check(rc == 0 and doc["probes"][0]["verdict"] == "ok", f"--min-version TLS 1.0: the probe is fine ({rc})")
# --max-age on a probes-only selection counts from the newest probe
for now, want in (("2026-11-29T00:30:00Z", 10), ("2026-11-29T02:30:00Z", 13)):
    r = run("report", "--db", db_p, "--host", "127.0.0.30", "--max-age", "1h", "--now", now, "--fail-on-violation")
    check(r.returncode == want, f"--max-age 1h at {now}: exit {r.returncode}, want {want}")
r = run("report", "--db", db_p, "--host", "127.0.0.30", "--max-age", "1h", "--now", "2026-11-29T02:30:00Z")
check(b"the newest probe (2026-11-29 00:01:03Z) is 2h 28m old" in r.stdout, f"stale text: {r.stdout[:300]!r}")
# every format shows the probes; CSV has the probed server as a row
text = run("report", "--db", db_p, "--now", NOW, "--width", "200").stdout.decode()
check("probes (what each server accepts when asked, `tlsaudit probe`): 3 endpoints, 1 accepts a version below TLS 1.2"
      in text and "127.0.0.30:25 smtp: violation - accepts TLS 1.0, TLS 1.2" in text and
      "127.0.0.30 as server: violation\n  connections 0: no client was seen with it" in text and
      "probed: accepts TLS 1.0, TLS 1.2 (1 endpoint, latest 2026-11-29 00:01:03Z; see probes)" in text and
      "TLS 1.1 alert protocol_version" in text and "3 probed endpoints" in text, "text: probes section and rows")
check(text.index("\nprobes (") < text.index("\nremediation"), "text: probes before remediation")
md = run("report", "--db", db_p, "--format", "md", "--now", NOW).stdout.decode()
check("## Probes" in md and "| 127.0.0.30:25 smtp | **violation** | TLS 1.0, TLS 1.2 |" in md, "md: probes table")
html = run("report", "--db", db_p, "--format", "html", "--now", NOW).stdout.decode()
check('<h2 id="probes">' in html and '<a href="#probes">probes</a>' in html and
      '<td class="t-violation">violation</td>' in html, "html: probes section, nav link, verdict class")
rows = list(csv.reader(io.StringIO(run("report", "--db", db_p, "--format", "csv", "--now", NOW).stdout.decode())))
r30 = [x for x in rows if x[:2] == ["127.0.0.30", "server"]]
check(len({len(x) for x in rows}) == 1 and r30 and r30[0][2] == "violation" and r30[0][3] == "probe_accepts_old",
      f"csv: probed server row {r30}")
# diff: the same capture without and with probes, then a fix of 127.0.0.30 (TLS 1.0 refused at a later attempt)
r = run("diff", "--before", db_ex, "--after", db_p, "--fail-on-violation", "--now", NOW)
out = r.stdout.decode()
check(r.returncode == 10 and "new       127.0.0.30:25 smtp: not probed -> accepts TLS 1.0, TLS 1.2; verdict - -> violation"
      in out and "new       127.0.0.30 as server: not seen -> probed: accepts TLS 1.0, TLS 1.2" in out,
      f"diff text, probes added: {r.returncode} {out}")
db_fix = os.path.join(tmp, "probed-fixed.db")
shutil.copy(db_p, db_fix)
pr.add(db_fix, "127.0.0.30", 25, "TLS 1.0", pr.ALERT, T0 + 3600 * 10**9, starttls=pr.SMTP, alert=70)
r = run("diff", "--before", db_p, "--after", db_fix, "--format", "json", "--now", NOW)
j = json.loads(r.stdout)
p30 = [x for x in j.get("probes", []) if x["ip"] == "127.0.0.30"]
c30 = [x for x in j["changes"] if x["ip"] == "127.0.0.30"]
check(p30 and p30[0]["change"] == "fixed" and p30[0]["after"]["accepted"] == ["TLS 1.2"] and
      c30 and c30[0]["change"] == "fixed", f"diff json, fixed: {p30} {c30}")
check(run("diff", "--before", db_p, "--after", db_fix, "--fail-on-violation").returncode == 10,
      "the clients still violate after the fix: exit 10")
check(run("diff", "--before", db_p, "--after", db_fix, "--role", "server", "--fail-on-violation").returncode == 0,
      "--role server after the fix: exit 0")
for fmt in ("md", "html"):
    out = run("diff", "--before", db_p, "--after", db_fix, "--format", fmt).stdout.decode()
    check("Probes" in out and "fixed" in out, f"diff {fmt}: probes")

tally.finish(f"{tally.passed} passed, {tally.failures} failed")
