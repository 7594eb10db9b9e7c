#!/usr/bin/env python3
"""probe_test.py - `tlsaudit probe` against local servers over loopback, each checked against what it was
configured to accept: openssl s_server limited to each version (and ranges), gnutls-serv with priority strings,
a hand-written server that answers TLS 1.0 with an alert, servers that reset, never answer or speak HTTP, STARTTLS
responders (SMTP, also one answering 454, IMAP, POP3, FTP, LDAP, XMPP, PostgreSQL, MySQL) in front of Python's
TLS, an IPv6 one. testssl.sh (Debian package testssl.sh) on some of the same servers must agree on the accepted
versions. Then the database: probes stored, merged (idempotently; a conflict refused), reported in every format
and diffed, with hostile server strings that must not break any format. Tools that are missing are skipped with
a note. usage: probe_test.py TLSAUDIT"""
import csv
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import responders as R  # noqa: E402

TOOL = sys.argv[1]
T0 = time.monotonic()
tally = Checks()
check = tally.check


def note(msg):
    print(f"NOTE: {msg}")


tmp = tempfile.mkdtemp(prefix="tlsaudit-probe-")
cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
procs = []
stop = threading.Event()


def cleanup():
    stop.set()
    for p in procs:
        try:
            p.kill()
            p.wait(timeout=5)
        except Exception:
            pass
    shutil.rmtree(tmp, ignore_errors=True)


def run(*args, timeout=120):
    return subprocess.run([TOOL, *args], capture_output=True, timeout=timeout)


def free_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(host, port, timeout=10):
    end = time.monotonic() + timeout
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start(cmd):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    return p


def target(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# ---- servers ----
# name -> {"target", "expect": set of accepted version names, "starttls"}
servers = {}
if not shutil.which("openssl"):
    print("SKIP: openssl not installed: no certificate, no TLS servers (apt-get install openssl)")
    sys.exit(77)
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=localhost"], capture_output=True, check=True)

ALL_SECLEVEL0 = ["-cipher", "ALL:@SECLEVEL=0"]
openssl_cfgs = {
    "openssl-tls10": (["-tls1"], {"TLS 1.0"}),
    "openssl-tls11": (["-tls1_1"], {"TLS 1.1"}),
    "openssl-tls12": (["-tls1_2"], {"TLS 1.2"}),
    "openssl-tls13": (["-tls1_3"], {"TLS 1.3"}),
    "openssl-12-13": (["-min_protocol", "TLSv1.2", "-max_protocol", "TLSv1.3"], {"TLS 1.2", "TLS 1.3"}),
    "openssl-10-13": (["-min_protocol", "TLSv1", "-max_protocol", "TLSv1.3"], {"TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"}),
    "openssl-13-p384": (["-tls1_3", "-groups", "secp384r1"], {"TLS 1.3"}),  # answers with a HelloRetryRequest
}
helptext = subprocess.run(["openssl", "s_server", "-help"], capture_output=True).stderr.decode()
if "-ssl3" in helptext:
    openssl_cfgs["openssl-ssl3"] = (["-ssl3"], {"SSL 3.0"})
else:
    note("SSL 3.0 is compiled out of this OpenSSL (no s_server -ssl3): no SSL 3.0 server; every other server must"
         " still refuse SSL 3.0")
for name, (args, expect) in openssl_cfgs.items():
    port = free_port()
    start(["openssl", "s_server", "-accept", str(port), "-cert", cert, "-key", key, "-quiet", *ALL_SECLEVEL0, *args])
    servers[name] = {"target": target("127.0.0.1", port), "expect": expect, "host": "127.0.0.1", "port": port}
port6 = None
try:
    port6 = free_port("::1")
except OSError:
    note("no IPv6 loopback here: the IPv6 server is skipped")
if port6:
    start(["openssl", "s_server", "-accept", f"[::1]:{port6}", "-cert", cert, "-key", key, "-quiet", *ALL_SECLEVEL0,
           "-min_protocol", "TLSv1.2"])
    servers["openssl-ipv6"] = {"target": target("::1", port6), "expect": {"TLS 1.2", "TLS 1.3"}, "host": "::1",
                               "port": port6}

if shutil.which("gnutls-serv"):
    for name, prio, expect in [("gnutls-11-12", "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1", {"TLS 1.1", "TLS 1.2"}),
                               ("gnutls-13", "NORMAL:-VERS-ALL:+VERS-TLS1.3", {"TLS 1.3"}),
                               ("gnutls-10", "NORMAL:-VERS-ALL:+VERS-TLS1.0:%SSL3_RECORD_VERSION", {"TLS 1.0"})]:
        port = free_port()
        start(["gnutls-serv", "--port", str(port), "--x509certfile", cert, "--x509keyfile", key, "--priority", prio,
               "--disable-client-cert"])
        servers[name] = {"target": target("127.0.0.1", port), "expect": expect, "host": "127.0.0.1", "port": port}
else:
    note("gnutls-serv not installed (apt-get install gnutls-bin): GnuTLS servers skipped")

HOSTILE = b"HTTP/1.1 400 <script>alert(1)</script>\x1b[2J\"'|=cmd,\xff\xfe<b>"


def py(name, handler, expect, starttls=None, host="127.0.0.1"):
    s = R.Server(handler, host)
    servers[name] = {"target": target(host, s.port), "expect": expect, "starttls": starttls, "host": host,
                     "port": s.port, "server": s}


ctx = lambda lo, hi: R.tls_context(cert, key, lo, hi)  # noqa: E731
py("py-alert-tls10", R.alert_tls10(), {"TLS 1.2"})
py("py-reset", R.reset(), set())
py("py-silent", R.silent(stop), set())
py("py-http", R.http(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"), set())
py("py-hostile-http", R.http(HOSTILE + b"\r\n\r\n"), set())
py("smtp", R.smtp(ctx("TLS 1.2", "TLS 1.3")), {"TLS 1.2", "TLS 1.3"}, "smtp")
py("smtp-454", R.smtp(None, b"454 4.7.0 TLS not available due to temporary reason\r\n"), set(), "smtp")
py("smtp-454-hostile", R.smtp(None, b"454 <script>x</script>\x1b[31m\"=cmd|\xff\r\n"), set(), "smtp")
py("imap", R.imap(ctx("TLS 1.0", "TLS 1.2")), {"TLS 1.0", "TLS 1.1", "TLS 1.2"}, "imap")
py("pop3", R.pop3(ctx("TLS 1.3", "TLS 1.3")), {"TLS 1.3"}, "pop3")
py("pop3-refused", R.pop3(None, refuse=True), set(), "pop3")
py("ftp", R.ftp(ctx("TLS 1.2", "TLS 1.2")), {"TLS 1.2"}, "ftp")
py("ldap", R.ldap(ctx("TLS 1.2", "TLS 1.3")), {"TLS 1.2", "TLS 1.3"}, "ldap")
py("xmpp", R.xmpp(ctx("TLS 1.1", "TLS 1.2")), {"TLS 1.1", "TLS 1.2"}, "xmpp")
py("postgresql", R.postgresql(ctx("TLS 1.2", "TLS 1.3")), {"TLS 1.2", "TLS 1.3"}, "postgresql")
py("postgresql-refused", R.postgresql(None, refuse=True), set(), "postgresql")
py("mysql", R.mysql(ctx("TLS 1.2", "TLS 1.3")), {"TLS 1.2", "TLS 1.3"}, "mysql")
if port6:
    py("smtp-ipv6", R.smtp(ctx("TLS 1.2", "TLS 1.3")), {"TLS 1.2", "TLS 1.3"}, "smtp", host="::1")

for name, s in servers.items():
    if not wait_port(s["host"], s["port"]):
        check(False, f"{name} did not start")
for s in servers.values():
    s.setdefault("starttls", None)
print(f"{len(servers)} servers up after {time.monotonic() - T0:.1f} s")

# ---- testssl.sh, in the background while we probe ----
testssl = shutil.which("testssl") or shutil.which("testssl.sh")
ts_jobs = {}
if testssl:
    # three servers (old only, a GnuTLS range, STARTTLS with TLS 1.2-1.3): testssl takes ~10 s each, more would
    # not fit the test's time on a small machine (bench/probe.sh runs it on every target)
    for name in ["openssl-tls10", "gnutls-11-12", "smtp"]:
        if name not in servers:
            continue
        out = os.path.join(tmp, f"testssl-{name}.json")
        cmd = [testssl, "-p", "--quiet", "--color", "0", "--nodns", "none", "--warnings", "off", "--jsonfile", out]
        if servers[name]["starttls"]:
            cmd += ["--starttls", servers[name]["starttls"]]
        cmd.append(servers[name]["target"])
        ts_jobs[name] = (subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out,
                         time.monotonic())
else:
    note("testssl.sh not installed (apt-get install testssl.sh): the comparison with testssl is skipped")

# ---- probes ----
db = os.path.join(tmp, "p.db")
results = {}  # target -> NDJSON object


def probe_group(names, extra):
    tg = [servers[n]["target"] for n in names]
    r = run("probe", "--db", db, "--json", "--timeout", "1", "-j", "8", *extra, *tg)
    return r, [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]


plain = [n for n, s in servers.items() if not s["starttls"]]
r, objs = probe_group(plain, ["--sslv2"])
check(r.returncode == 0, f"plain probes exit {r.returncode}: {r.stderr.decode()[:300]}")
check([o["target"] for o in objs] == [servers[n]["target"] for n in plain], "NDJSON in command-line order")
for o in objs:
    results[o["target"]] = o
by_proto = {}
for n, s in servers.items():
    if s["starttls"]:
        by_proto.setdefault(s["starttls"], []).append(n)
jobs = []
for proto, names in by_proto.items():
    tg = [servers[n]["target"] for n in names]
    # one database writer at a time: the STARTTLS groups store into their own files, merged below
    pdb = os.path.join(tmp, f"p-{proto}.db")
    jobs.append((proto, names, pdb, subprocess.Popen([TOOL, "probe", "--db", pdb, "--json", "--timeout", "2",
                                                      "--starttls", proto, *tg],
                                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
for proto, names, pdb, p in jobs:
    out, err = p.communicate(timeout=120)
    refused = any(n.endswith("refused") or "454" in n for n in names)
    check(p.returncode == 0, f"starttls {proto} exit {p.returncode}: {err.decode()[:300]}")
    for l in out.decode().splitlines():
        if l.strip():
            o = json.loads(l)
            results[o["target"]] = o
    r = run("merge", "-q", db, pdb)
    check(r.returncode == 0, f"merge {proto}: {r.returncode} {r.stderr.decode()[:200]}")
print(f"probes done after {time.monotonic() - T0:.1f} s")

ORDER = ["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"]
for name, s in servers.items():
    o = results.get(s["target"])
    if not check(o is not None, f"{name}: no NDJSON object"):
        continue
    acc = o["accepted"]
    check(set(acc) == s["expect"], f"{name}: accepted {acc}, configured {sorted(s['expect'])}")
    check(acc == sorted(acc, key=ORDER.index), f"{name}: accepted lowest first {acc}")
    check(o["starttls"] == s["starttls"], f"{name}: starttls {o['starttls']}")
    check(o["address"] == s["host"] and o["port"] == s["port"], f"{name}: address {o['address']} port {o['port']}")
    by_v = {x["version"]: x for x in o["results"]}
    for x in o["results"]:
        if x["result"] == "accepted":
            check(x["server_version"] == x["version"], f"{name}: accepted {x['version']} as {x['server_version']}")
            check(x["cipher"] is not None or x["hello_retry_request"] or x["version"] == "SSL 2.0",
                  f"{name}: accepted {x['version']} without a cipher")
            check(x["rtt_ms"] is not None and x["rtt_ms"] < 2000, f"{name}: rtt {x['rtt_ms']}")
        if x["version"] in ("SSL 2.0", "SSL 3.0") and "SSL 3.0" not in s["expect"]:
            check(x["result"] != "accepted", f"{name}: {x['version']} accepted")
    if s["starttls"] is None and name not in ("py-reset", "py-silent", "py-http", "py-hostile-http"):
        check(set(by_v) == set(ORDER), f"{name}: versions tried {sorted(by_v)}")

# specific answers
o = results[servers["py-alert-tls10"]["target"]]
by_v = {x["version"]: x for x in o["results"]}
check(by_v["TLS 1.0"]["result"] == "alert" and by_v["TLS 1.0"]["alert"] == "protocol_version" and
      by_v["TLS 1.0"]["alert_sender"] == "server" and by_v["TLS 1.0"]["alert_level"] == "fatal",
      f"alert server, TLS 1.0: {by_v['TLS 1.0']}")
check(by_v["TLS 1.2"]["cipher"] == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", f"alert server, TLS 1.2: {by_v['TLS 1.2']}")
check(by_v["TLS 1.3"]["result"] == "alert" and by_v["TLS 1.3"]["alert"] == "handshake_failure",
      f"alert server, TLS 1.3: {by_v['TLS 1.3']}")
check(all(x["result"] == "reset" for x in results[servers["py-reset"]["target"]]["results"]),
      f"reset: {[x['result'] for x in results[servers['py-reset']['target']]['results']]}")
sil = results[servers["py-silent"]["target"]]["results"]
check(all(x["result"] == "timeout" and x["rtt_ms"] is None for x in sil), f"silent: {[x['result'] for x in sil]}")
http = results[servers["py-http"]["target"]]["results"]
check(all(x["result"] == "not_tls" and x["detail"] == "HTTP/1.1 400 Bad Request" for x in http),
      f"http: {[(x['result'], x['detail']) for x in http]}")
hos = results[servers["py-hostile-http"]["target"]]["results"]
check(all(x["result"] == "not_tls" and x["detail"].startswith("HTTP/1.1 400 <script>") for x in hos),
      f"hostile http: {[x['detail'] for x in hos][:1]}")
hrr = {x["version"]: x for x in results[servers["openssl-13-p384"]["target"]]["results"]}["TLS 1.3"]
check(hrr["hello_retry_request"] and hrr["result"] == "accepted", f"HelloRetryRequest: {hrr}")
for name, detail in [("smtp-454", "454 4.7.0 TLS not available due to temporary reason"),
                     ("pop3-refused", "-ERR TLS not available here"), ("postgresql-refused", "N")]:
    res = results[servers[name]["target"]]["results"]
    check(len(res) == 1 and res[0]["result"] == "starttls_refused" and res[0]["version"] is None and
          res[0]["detail"] == detail, f"{name}: {res}")
res = results[servers["smtp-454-hostile"]["target"]]["results"]
check(len(res) == 1 and res[0]["result"] == "starttls_refused" and res[0]["detail"].startswith("454 <script>"),
      f"hostile 454: {res}")
if "openssl-tls10" in servers:
    by_v = {x["version"]: x for x in results[servers["openssl-tls10"]["target"]]["results"]}
    # a TLS 1.0 server answers a hello that offers up to TLS 1.1 with TLS 1.0: that is not TLS 1.1
    check(by_v["TLS 1.1"]["result"] == "other_version" and by_v["TLS 1.1"]["server_version"] == "TLS 1.0",
          f"openssl-tls10, TLS 1.1: {by_v['TLS 1.1']}")

# ---- one local target: the five versions in well under testssl's time ----
if "openssl-12-13" in servers:
    t = time.monotonic()
    r = run("probe", "--no-store", "-q", servers["openssl-12-13"]["target"])
    ours = time.monotonic() - t
    check(r.returncode == 0 and ours < 3.0, f"five versions of one local target took {ours:.2f} s (aim < 1 s)")
    print(f"tlsaudit probe, five versions of one local target: {ours:.3f} s")

# ---- exit statuses, caps ----
closed = free_port()
r = run("probe", "--no-store", "--json", f"127.0.0.1:{closed}", "no-such-host.invalid:443")
objs = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
check(r.returncode == 2, f"unreachable exit {r.returncode}")
check(len(objs) == 2 and objs[0]["results"][0]["result"] == "unreachable" and
      "refused" in objs[0]["results"][0]["detail"] and objs[0]["results"][0]["version"] is None,
      f"closed port: {objs[:1]}")
check(len(objs) == 2 and objs[1]["address"] is None and objs[1]["results"][0]["result"] == "unreachable",
      f"unresolved name: {objs[1:]}")
if "openssl-tls10" in servers and "openssl-12-13" in servers:
    r = run("probe", "--no-store", "-q", "--fail-on-violation", servers["openssl-tls10"]["target"])
    check(r.returncode == 10, f"--fail-on-violation on a TLS 1.0 server: exit {r.returncode}")
    r = run("probe", "--no-store", "-q", "--fail-on-violation", "--min-version", "TLS 1.0",
            servers["openssl-tls10"]["target"])
    check(r.returncode == 0, f"--min-version TLS 1.0: exit {r.returncode}")
    r = run("probe", "--no-store", "-q", "--fail-on-violation", servers["openssl-12-13"]["target"])
    check(r.returncode == 0, f"--fail-on-violation on a 1.2-1.3 server: exit {r.returncode}")
    r = run("probe", "--no-store", "--json", "--max-connections", "2", servers["openssl-12-13"]["target"])
    o = json.loads(r.stdout)
    check([x["result"] for x in o["results"]][2:] == ["skipped"] and len(o["results"]) == 3,
          f"--max-connections 2: {[x['result'] for x in o['results']]}")
for bad in [["probe"], ["probe", "--starttls", "irc", "x:1"], ["probe", "--timeout", "0", "x:1"], ["probe", "a b"],
            ["probe", "--sni", "a", "--no-sni", "x:1"], ["probe", "-j", "0", "x:1"]]:
    check(run(*bad).returncode == 1, f"bad command line {bad}")

# ---- the database: rows, view, report in every format, hostile strings ----
con = sqlite3.connect(db)
n_rows = con.execute("select count(*) from probes").fetchone()[0]
want_rows = sum(len(o["results"]) for t, o in results.items())
check(n_rows == want_rows, f"probes rows {n_rows}, NDJSON results {want_rows}")
row = con.execute("select version, result, cipher, alert, starttls from probes_named where address = '127.0.0.1'"
                  " and port = ? and version = 'TLS 1.2'", (servers["py-alert-tls10"]["port"],)).fetchone()
check(row == ("TLS 1.2", "accepted", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", None, None), f"probes_named row {row}")
row = con.execute("select result, detail, version from probes_named where port = ?",
                  (servers["smtp-454"]["port"],)).fetchone()
check(row == ("starttls_refused", "454 4.7.0 TLS not available due to temporary reason", None), f"refused row {row}")
con.close()

r = run("report", "--db", db, "--format", "json")
check(r.returncode == 0, f"report json exit {r.returncode}")
rep = json.loads(r.stdout)
eps = {(p["ip"], p["port"]): p for p in rep.get("probes", [])}
check(len(eps) == len(servers), f"report: {len(eps)} probed endpoints of {len(servers)}")
for name, s in servers.items():
    p = eps.get((s["host"], s["port"]))
    if not check(p is not None, f"report: {name} missing"):
        continue
    old = bool(s["expect"] & {"SSL 3.0", "TLS 1.0", "TLS 1.1"})
    check(p["verdict"] == ("violation" if old else "ok"), f"report: {name} verdict {p['verdict']}")
    check(set(p["accepted"]) == s["expect"], f"report: {name} accepted {p['accepted']}")
hosts = {(h["ip"], h["role"]): h for h in rep["hosts"]}
h4 = hosts.get(("127.0.0.1", "server"))
check(h4 and h4["verdict"] == "violation" and any(x["key"] == "probe_accepts_old" for x in h4["reasons"]) and
      "server-accepts-old" in h4["hints"], f"report: 127.0.0.1 as server {h4}")
if port6:
    h6 = hosts.get(("::1", "server"))
    check(h6 and h6["verdict"] == "ok" and h6["connections"] == 0, f"report: ::1 as server {h6}")
check(rep["summary"]["verdict"] == "violation", f"report verdict {rep['summary']['verdict']}")
hostile = [x for p in rep["probes"] for x in p["results"] if (x["detail"] or "").startswith("HTTP/1.1 400 <script>")]
check(hostile and hostile[0]["detail"].startswith("HTTP/1.1 400 <script>alert(1)</script>\x1b[2J\"'|=cmd,"),
      f"report json keeps the hostile banner as data: {hostile[:1]}")
# every endpoint (text, md and html list the --top worst, 20 by default; the hostile one is "ok" at a random port)
text = run("report", "--db", db, "--top", "100").stdout
check(b"\x1b" not in text and b"probes (what each server accepts" in text, "report text: no raw ESC, probes section")
check(b"\\x1b[2J" in text, "report text shows the ESC byte escaped")
md = run("report", "--db", db, "--format", "md", "--top", "100").stdout.decode()
check("## Probes" in md and "<script>" not in md and "\x1b" not in md and "&lt;script&gt;" in md,
      "report md: probes section, hostile escaped")
html = run("report", "--db", db, "--format", "html", "--top", "100").stdout.decode()
check('id="probes"' in html and "<script>" not in html and "\x1b" not in html and "&lt;script&gt;" in html,
      "report html: probes section, hostile escaped")
c = run("report", "--db", db, "--format", "csv").stdout.decode()
rows = list(csv.reader(io.StringIO(c)))
check(len({len(x) for x in rows}) == 1 and any(x[0] == "127.0.0.1" and x[1] == "server" and x[2] == "violation"
                                                 and "probe_accepts_old" in x[3] for x in rows), "report csv rows")

if port6:
    rep6 = json.loads(run("report", "--db", db, "--format", "json", "--host", "::1").stdout)
    check({p["ip"] for p in rep6.get("probes", [])} == {"::1"} and len(rep6["probes"]) == 2,
          f"report --host ::1: {[(p['ip'], p['port']) for p in rep6.get('probes', [])]}")
# a schema-3 database from before the probes table: reports still work, probe refuses it
old = os.path.join(tmp, "old.db")
shutil.copy(db, old)
con = sqlite3.connect(old)
con.executescript("drop view probes_named; drop table probes;")
con.close()
r = run("report", "--db", old, "--format", "json")
check(r.returncode == 0 and "probes" not in json.loads(r.stdout), f"report on a database without probes: {r.returncode}")
r = run("probe", "--db", old, "127.0.0.1:1")
check(r.returncode == 4 and b"no probes table" in r.stderr, f"probe into a database without probes: {r.returncode}")

# ---- merge: idempotent, a conflicting row refused ----
m = os.path.join(tmp, "m.db")
r1, r2 = run("merge", m, db), run("merge", m, db)
check(r1.returncode == 0 and f"{n_rows} probe attempts added".encode() in r1.stdout, f"merge: {r1.stdout[-200:]!r}")
check(r2.returncode == 0 and f"0 probe attempts added, {n_rows} already present".encode() in r2.stdout,
      f"merge again: {r2.stdout[-200:]!r}")
bad = os.path.join(tmp, "conflict.db")
shutil.copy(db, bad)
con = sqlite3.connect(bad)
con.execute("update probes set result = 0 where id = (select min(id) from probes where result != 0)")
con.commit()
con.close()
r = run("merge", m, bad)
check(r.returncode == 2 and b"1 refused (conflict)" in r.stdout, f"conflicting probe row: {r.returncode} {r.stdout!r}")

# ---- diff: a server fixed between two probes (two databases, and two windows of one) ----
if "openssl-tls10" in servers:
    port = free_port()
    before, after, both = (os.path.join(tmp, x) for x in ("before.db", "after.db", "both.db"))
    p = start(["openssl", "s_server", "-accept", str(port), "-cert", cert, "-key", key, "-quiet", *ALL_SECLEVEL0,
               "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2"])
    wait_port("127.0.0.1", port)
    for d in (before, both):
        check(run("probe", "--db", d, "-q", f"127.0.0.1:{port}").returncode == 0, "probe before the fix")
    split = time.time()
    p.kill()
    p.wait()
    start(["openssl", "s_server", "-accept", str(port), "-cert", cert, "-key", key, "-quiet", "-min_protocol", "TLSv1.2"])
    wait_port("127.0.0.1", port)
    for d in (after, both):
        check(run("probe", "--db", d, "-q", f"127.0.0.1:{port}").returncode == 0, "probe after the fix")
    r = run("diff", "--before", before, "--after", after)
    out = r.stdout.decode()
    check(r.returncode == 0 and f"fixed     127.0.0.1:{port}: accepts TLS 1.0, TLS 1.1, TLS 1.2 -> accepts TLS 1.2, TLS 1.3"
          in out and "fixed     127.0.0.1 as server" in out, f"diff text: {out}")
    j = json.loads(run("diff", "--before", before, "--after", after, "--format", "json").stdout)
    check(j["probes"][0]["change"] == "fixed" and j["probes"][0]["after"]["accepted"] == ["TLS 1.2", "TLS 1.3"],
          f"diff json: {j.get('probes')}")
    r = run("diff", "--db", both, "--split", f"@{split:.6f}", "--fail-on-violation")
    check(r.returncode == 0 and f"fixed     127.0.0.1:{port}" in r.stdout.decode(), f"diff --split: {r.stdout!r}")
    for fmt in ("md", "html"):
        out = run("diff", "--before", before, "--after", after, "--format", fmt).stdout.decode()
        check("Probes" in out and "fixed" in out, f"diff {fmt}")

# ---- testssl.sh: the same accepted versions ----
TS_IDS = {"SSLv2": "SSL 2.0", "SSLv3": "SSL 3.0", "TLS1": "TLS 1.0", "TLS1_1": "TLS 1.1", "TLS1_2": "TLS 1.2",
          "TLS1_3": "TLS 1.3"}
for name, (p, out, t0) in ts_jobs.items():
    try:
        p.wait(timeout=max(1, 150 - (time.monotonic() - T0)))
    except subprocess.TimeoutExpired:
        p.kill()
        check(False, f"testssl on {name} did not finish")
        continue
    took = time.monotonic() - t0
    try:
        findings = json.load(open(out))
    except (OSError, ValueError):
        check(False, f"testssl on {name}: no JSON ({p.returncode})")
        continue
    offered = {TS_IDS[f["id"]] for f in findings if f.get("id") in TS_IDS and f["finding"].startswith("offered")}
    ours = set(results[servers[name]["target"]]["accepted"])
    check(offered == ours, f"testssl on {name}: offered {sorted(offered)}, tlsaudit {sorted(ours)}")
    print(f"testssl -p on {name}: {sorted(offered)} ({took:.1f} s, run in parallel with the rest)")

print(f"{tally.checks} checks, {tally.failures} failed, {time.monotonic() - T0:.1f} s")
cleanup()
sys.exit(tally.exit_code())
