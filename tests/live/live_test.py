#!/usr/bin/env python3
"""live_test.py - `tlsaudit capture` against real TLS traffic between two network namespaces.

Creates two namespaces joined by a veth pair (192.0.2.0/24, RFC 5737, inside the
namespaces only), runs openssl s_server instances (TLS 1.2 only; TLS 1.0/1.1 at
SECLEVEL=0; TLS 1.3) in one and openssl s_client / gnutls-cli / curl clients in
the other, each case on its own server port and with its client port pinned by
the namespace's ip_local_port_range, and checks:
  1. SIGTERM run: every connection in the database and in the NDJSON stream
     equals what the case configured (addresses, ports, max offered version,
     negotiated version, alert, outcome), nothing extra; the capture row is
     complete with libpcap counters; privileges dropped (/proc/PID/status:
     Uid/Gid of nobody, CapEff 0); the -w evidence file is read by `tlsaudit read`
     (same connections) and by tshark, and holds no bulk data.
  2. kill -9 run: the database opens, passes integrity_check, and holds every
     connection that finished more than one commit interval before the kill.
  3. errors: a missing interface, no permission, an unknown -Z user: one line
     on stderr and the documented exit status.
Exit 77 (skip) only when the kernel refuses network namespaces.

usage: live_test.py TLSAUDIT
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TLSAUDIT = os.path.abspath(sys.argv[1])
PID = os.getpid()
NS_SRV, NS_CLI = "tasrv%d" % PID, "tacli%d" % PID
IF_SRV, IF_CLI = "tas%d" % (PID % 100000), "tac%d" % (PID % 100000)
SRV_IP, CLI_IP = "192.0.2.1", "192.0.2.2"
COMMIT = 0.5  # --commit-interval used by the runs
tally = Checks(out=sys.stdout, flush=True)
check = tally.check


def sh(*args, ns=None, check_rc=True, **kw):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check_rc and r.returncode != 0:
        raise RuntimeError("%s: %s %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return r


def setup_net():
    r = subprocess.run(["ip", "netns", "add", NS_SRV], capture_output=True, text=True)
    if r.returncode != 0:
        print("#" * 70)
        print("SKIP: the kernel refuses network namespaces (%s): live capture NOT TESTED" % r.stderr.strip())
        print("#" * 70)
        sys.exit(77)
    sh("ip", "netns", "add", NS_CLI)
    sh("ip", "link", "add", IF_SRV, "netns", NS_SRV, "type", "veth", "peer", "name", IF_CLI, "netns", NS_CLI)
    for ns, ifc, ip in ((NS_SRV, IF_SRV, SRV_IP), (NS_CLI, IF_CLI, CLI_IP)):
        sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", ifc)
        sh("ip", "-n", ns, "link", "set", ifc, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        # no offloads: frames on the wire as the stack built them
        sh("ethtool", "-K", ifc, "tso", "off", "gso", "off", "gro", "off", ns=ns, check_rc=False)


procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for ns in (NS_SRV, NS_CLI):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# Servers: port -> (extra s_server args). -WWW serves files from the temp dir.
SERVERS = {
    4431: ["-tls1_2"],                                                    # TLS 1.2 only
    4432: ["-tls1_2"],
    4433: ["-min_protocol", "TLSv1", "-max_protocol", "TLSv1.1", "-cipher", "DEFAULT@SECLEVEL=0"],
    4434: ["-min_protocol", "TLSv1", "-max_protocol", "TLSv1.1", "-cipher", "DEFAULT@SECLEVEL=0"],
    4435: ["-tls1_3"],
    4436: ["-tls1_2"],
    4437: ["-min_protocol", "TLSv1", "-max_protocol", "TLSv1.1", "-cipher", "DEFAULT@SECLEVEL=0"],
}


def start_servers(tmp):
    for port, extra in SERVERS.items():
        p = subprocess.Popen(["ip", "netns", "exec", NS_SRV, "openssl", "s_server", "-accept", str(port),
                              "-cert", tmp + "/cert.pem", "-key", tmp + "/key.pem", "-WWW", "-quiet"] + extra,
                             cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        procs.append(p)
    deadline = time.time() + 10
    while time.time() < deadline:
        out = sh("ss", "-ltnH", ns=NS_SRV).stdout
        if all(":%d " % p in out for p in SERVERS):
            return
        time.sleep(0.1)
    raise RuntimeError("servers did not start")


OSSL = ["openssl", "s_client", "-servername", "live.test"]
GET = "GET /page.html HTTP/1.0\r\n\r\n"

# name, client port, server port, client command, expected fields
CASES = [
    ("s_client TLS 1.2 -> 1.2-only", 41001, 4431, OSSL + ["-tls1_2"], GET,
     dict(client_max_version="TLS 1.2", negotiated_version="TLS 1.2", alert=None, outcome="established")),
    ("s_client TLS 1.0 rejected by 1.2-only", 41002, 4432, OSSL + ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"], "",
     dict(client_max_version="TLS 1.0", negotiated_version=None, alert="protocol_version", outcome="alert")),
    ("s_client TLS 1.0 -> 1.0/1.1 server", 41003, 4433, OSSL + ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"], GET,
     dict(client_max_version="TLS 1.0", negotiated_version="TLS 1.0", alert=None, outcome="established")),
    ("gnutls-cli TLS 1.1 -> 1.0/1.1 server", 41004, 4434,
     ["gnutls-cli", "--insecure", "--port", "4434",
      "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0:+SHA1:+SIGN-RSA-SHA1:%VERIFY_ALLOW_SIGN_WITH_SHA1"],
     GET, dict(client_max_version="TLS 1.1", negotiated_version="TLS 1.1", alert=None, outcome="established")),
    ("curl TLS 1.3 big download", 41005, 4435, ["curl", "-sk", "--tlsv1.3", "-o", "/dev/null"], None,
     dict(client_max_version="TLS 1.3", negotiated_version="TLS 1.3", alert=None, outcome="established")),
    ("curl TLS 1.2 max -> 1.2-only", 41006, 4436, ["curl", "-sk", "--tls-max", "1.2", "-o", "/dev/null"], None,
     dict(client_max_version="TLS 1.2", negotiated_version="TLS 1.2", alert=None, outcome="established")),
    ("s_client offers 1.3, server picks 1.1", 41007, 4437, OSSL + ["-cipher", "DEFAULT@SECLEVEL=0"], GET,
     dict(client_max_version="TLS 1.3", negotiated_version="TLS 1.1", alert=None, outcome="established")),
]


def shifted(cases, offset):
    """the same cases from other client ports (a reused 4-tuple would meet TIME_WAIT)"""
    return [(c[0], c[1] + offset) + tuple(c[2:]) for c in cases]


def run_case(case):
    name, cport, sport, cmd, stdin, _ = case
    sh("sysctl", "-qw", "net.ipv4.ip_local_port_range=%d %d" % (cport, cport), ns=NS_CLI)
    if cmd[0] == "curl":
        path = "/big.bin" if "big" in name else "/page.html"
        argv = cmd + ["https://%s:%d%s" % (SRV_IP, sport, path)]
    elif cmd[0] == "gnutls-cli":
        argv = cmd + [SRV_IP]
    else:
        argv = cmd + ["-connect", "%s:%d" % (SRV_IP, sport)]
    r = sh("timeout", "20", *argv, ns=NS_CLI, check_rc=False, input=stdin or "")
    return r


class Capture:
    def __init__(self, tmp, tag, extra=()):
        self.db = os.path.join(tmp, "db", tag + ".db")
        self.out = open(os.path.join(tmp, tag + ".json"), "w+")
        self.err = open(os.path.join(tmp, tag + ".err"), "w+")
        self.evidence = os.path.join(tmp, "db", tag + ".pcapng")
        argv = ["ip", "netns", "exec", NS_CLI, TLSAUDIT, "capture", "-i", IF_CLI, "-Z", "nobody", "--db", self.db,
                "--json", "--commit-interval", str(COMMIT), "-w", self.evidence] + list(extra)
        self.p = subprocess.Popen(argv, stdout=self.out, stderr=self.err)
        procs.append(self.p)
        deadline = time.time() + 10
        while time.time() < deadline:
            self.err.seek(0)
            if "capturing on" in self.err.read():
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        self.err.seek(0)
        raise RuntimeError("capture did not start: " + self.err.read())

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def ndjson(self):
        self.out.flush()
        self.out.seek(0)
        return [json.loads(line) for line in self.out.read().splitlines() if line.strip()]


def db_rows(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    con.row_factory = sqlite3.Row
    rows = [dict(r) for r in con.execute("SELECT * FROM connections ORDER BY ts_ns")]
    caps = [dict(r) for r in con.execute("SELECT * FROM captures")]
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    return rows, caps, integrity


def compare(rows, cases, where):
    """every row matches exactly one case (by ports), every case has its row"""
    by_port = {c[1]: c for c in cases}
    seen = set()
    for r in rows:
        case = by_port.get(r["client_port"])
        check(case is not None, "%s: unexpected connection %s:%s -> %s:%s" % (
            where, r["client_ip"], r["client_port"], r["server_ip"], r["server_port"]))
        if case is None:
            continue
        name, cport, sport, _, _, exp = case
        check(cport not in seen, "%s: %s: stored twice" % (where, name))
        seen.add(cport)
        want = dict(client_ip=CLI_IP, client_port=cport, server_ip=SRV_IP, server_port=sport, **exp)
        for k, v in want.items():
            check(r.get(k) == v, "%s: %s: %s is %r, want %r" % (where, name, k, r.get(k), v))
    for c in cases:
        check(c[1] in seen, "%s: %s: connection missing" % (where, c[0]))


def proc_status(pid):
    """Uid, Gid, CapEff lines of the tlsaudit process (the child of ip netns exec, or itself)"""
    with open("/proc/%d/status" % pid) as f:
        lines = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
    return {k: lines[k].split() for k in ("Uid", "Gid", "CapEff", "Name")}


def test_sigterm(tmp):
    cap = Capture(tmp, "term")
    st = proc_status(cap.p.pid)
    check(st["Name"] == ["tlsaudit"], "the capture process is tlsaudit (is %s)" % st["Name"])
    check(st["Uid"] == ["65534"] * 4, "privileges: Uid line %s, want nobody (65534) x4" % st["Uid"])
    check(st["Gid"] == ["65534"] * 4, "privileges: Gid line %s, want nogroup (65534) x4" % st["Gid"])
    check(int(st["CapEff"][0], 16) == 0, "privileges: CapEff %s, want 0" % st["CapEff"])
    for case in CASES:
        r = run_case(case)
        check(r.returncode == 0 or "rejected" in case[0], "client %s failed: %s" % (case[0], r.stderr[-200:]))
        print("  ran %-40s rc=%d" % (case[0], r.returncode), flush=True)
    # a reader while the sensor writes (WAL): connections already committed
    time.sleep(COMMIT * 3)
    rows, caps, _ = db_rows(cap.db)
    check(len(rows) == len(CASES), "while running: %d connections readable, want %d" % (len(rows), len(CASES)))
    check(caps and caps[0]["status"] == "running", "while running: capture status %r" % (caps[0]["status"] if caps else None))
    report = subprocess.run([TLSAUDIT, "report", "--db", cap.db], capture_output=True, text=True)
    if report.returncode != 1 or "unknown command" not in report.stderr:  # report exists: it must read a live DB
        check(report.returncode == 0, "tlsaudit report during capture: rc %d %s" % (report.returncode, report.stderr))
    cap.p.send_signal(signal.SIGTERM)
    rc = cap.p.wait(20)
    check(rc == 0, "SIGTERM: exit status %d, want 0 (stderr: %s)" % (rc, cap.stderr()))
    rows, caps, integrity = db_rows(cap.db)
    check(integrity == "ok", "SIGTERM: integrity_check %s" % integrity)
    compare(rows, CASES, "database")
    rows = cap.ndjson()
    compare(rows, CASES, "NDJSON")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "events"))
    import ndjson_schema  # docs/ndjson.schema.json
    bad = ndjson_schema.problems(rows)
    check(not bad, "capture --json lines match docs/ndjson.schema.json: %s" % bad[:3])
    check(all(x["capture"] == IF_CLI and x["sensor"] for x in rows), "capture --json names the interface and sensor")
    check(len(caps) == 1, "one capture row")
    c = caps[0]
    check(c["status"] == "complete", "capture status %r, want complete" % c["status"])
    check(c["format"] == "live" and c["path"] == IF_CLI, "capture format/path %r %r" % (c["format"], c["path"]))
    check(c["pcap_received"] > 0 and c["pcap_received"] == c["packets"],
          "libpcap received %r, packets %r" % (c["pcap_received"], c["packets"]))
    check(c["kernel_drops"] == 0 and c["if_drops"] == 0, "drops %r/%r" % (c["kernel_drops"], c["if_drops"]))
    check(c["read_finished"] is not None, "capture end recorded")
    # evidence file: handshakes only, readable by tlsaudit read and tshark
    size = os.path.getsize(cap.evidence)
    check(0 < size < 1000000, "evidence file is %d bytes (the 2 MB download must not be in it)" % size)
    rdb = os.path.join(tmp, "evidence-read.db")
    rr = subprocess.run([TLSAUDIT, "read", "--db", rdb, "--json", cap.evidence], capture_output=True, text=True)
    check(rr.returncode == 0, "tlsaudit read evidence: rc %d %s" % (rr.returncode, rr.stderr))
    compare([json.loads(l) for l in rr.stdout.splitlines() if l.strip()], CASES, "evidence via tlsaudit read")
    ts = subprocess.run(["tshark", "-r", cap.evidence, "-Y", "tls.handshake.type == 1"], capture_output=True,
                        text=True)
    check(ts.returncode == 0, "tshark reads the evidence: rc %d %s" % (ts.returncode, ts.stderr[-300:]))
    check(ts.stdout.count("Client Hello") >= len(CASES),
          "tshark sees %d ClientHellos in the evidence" % ts.stdout.count("Client Hello"))
    print("SIGTERM run: %d connections checked; evidence %d bytes" % (len(rows), size), flush=True)


def test_kill9(tmp):
    cap = Capture(tmp, "kill9")
    cases = shifted(CASES, 100)
    before, after = cases[:4], cases[4:]
    for case in before:
        r = run_case(case)
        check(r.returncode == 0 or "rejected" in case[0], "kill -9 run: client %s failed" % case[0])
    time.sleep(COMMIT * 2.5)  # more than one commit interval
    for case in after:
        run_case(case)
    cap.p.kill()  # ip netns exec execs tlsaudit: this is SIGKILL to tlsaudit itself
    cap.p.wait(10)
    rows, caps, integrity = db_rows(cap.db)
    check(integrity == "ok", "kill -9: integrity_check %s" % integrity)
    ports = {r["client_port"] for r in rows}
    for case in before:
        check(case[1] in ports, "kill -9: %s (finished %.1f s before the kill) lost" % (case[0], COMMIT * 2.5))
    compare([r for r in rows if r["client_port"] in {c[1] for c in before}], before, "kill -9 database")
    check(caps and caps[0]["status"] == "running", "kill -9: capture row status %r" % (caps[0]["status"] if caps else None))
    print("kill -9 run: %d connections survived, integrity ok" % len(rows), flush=True)


def test_errors(tmp):
    db = os.path.join(tmp, "db", "err.db")
    r = sh(TLSAUDIT, "capture", "-i", "nosuchif0", "--db", db, ns=NS_CLI, check_rc=False)
    check(r.returncode == 2, "missing interface: exit %d, want 2" % r.returncode)
    check(len(r.stderr.strip().splitlines()) == 1 and "no such network interface" in r.stderr,
          "missing interface: message %r" % r.stderr)
    r = sh("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", TLSAUDIT, "capture",
           "-i", IF_CLI, "--db", db, ns=NS_CLI, check_rc=False)
    check(r.returncode == 6, "no permission: exit %d, want 6" % r.returncode)
    check(len(r.stderr.strip().splitlines()) == 1 and "permission denied" in r.stderr,
          "no permission: message %r" % r.stderr)
    r = sh(TLSAUDIT, "capture", "-i", IF_CLI, "-Z", "no-such-user-x", "--db", db, ns=NS_CLI, check_rc=False)
    check(r.returncode == 6, "unknown -Z user: exit %d, want 6" % r.returncode)
    check(len(r.stderr.strip().splitlines()) == 1 and "refusing to keep running as root" in r.stderr,
          "unknown -Z user: message %r" % r.stderr)
    r = sh(TLSAUDIT, "capture", "-i", IF_CLI, "--db", db, "tcp port", ns=NS_CLI, check_rc=False)
    check(r.returncode == 1, "bad filter: exit %d, want 1" % r.returncode)
    r = sh(TLSAUDIT, "capture", "-i", IF_CLI, "-Z", "nobody", "--db", "/proc/x.db", "--duration", "1", ns=NS_CLI,
           check_rc=False)
    check(r.returncode == 4, "unwritable database: exit %d, want 4" % r.returncode)
    print("error cases checked", flush=True)


def test_habits(tmp):
    """capture -D lists the namespace's interfaces as tcpdump -D does; --retention prunes at the start through the
    writer: the old captures of the database go, the running capture stays, the database stays clean."""
    r = sh(TLSAUDIT, "capture", "-D", ns=NS_CLI, check_rc=False)
    names = [l.split(".", 1)[1].split(" ")[0] for l in r.stdout.splitlines() if "." in l]
    check(r.returncode == 0 and IF_CLI in names and "lo" in names, "capture -D: %r" % r.stdout)
    samples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
    db = os.path.join(tmp, "db", "ret.db")
    sh(TLSAUDIT, "read", "-q", "--db", db, os.path.join(samples, "tls11.pcap"), os.path.join(samples, "tls13.pcap"))
    os.chown(db, 65534, 65534)
    r = sh(TLSAUDIT, "capture", "-i", IF_CLI, "-Z", "nobody", "--db", db, "--duration", "2", "--retention", "1d",
           ns=NS_CLI, check_rc=False)
    con = sqlite3.connect(db)
    caps = con.execute("SELECT format, status, warnings FROM captures").fetchall()
    check(r.returncode == 0 and "retention: 4 connections and 2 captures" in r.stderr, "retention run: %r" % r.stderr)
    check(len(caps) == 1 and caps[0][0] == "live" and caps[0][1] == "complete" and "retention:" in caps[0][2],
          "retention keeps the live capture only: %r" % caps)
    check(con.execute("SELECT count(*) FROM conn").fetchone()[0] == 0 and
          con.execute("SELECT count(*) FROM hosts").fetchone()[0] == 0, "old rows and their hosts gone")
    check(con.execute("pragma integrity_check").fetchone()[0] == "ok" and
          con.execute("pragma foreign_key_check").fetchall() == [], "clean after retention")
    con.close()
    print("capture -D and --retention checked", flush=True)


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root to create network namespaces")
        return 77
    with tempfile.TemporaryDirectory(prefix="tlsaudit-live-") as tmp:
        os.chmod(tmp, 0o755)
        os.mkdir(os.path.join(tmp, "db"))
        os.chown(os.path.join(tmp, "db"), 65534, 65534)  # the -Z user writes here
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp + "/key.pem", "-out",
           tmp + "/cert.pem", "-subj", "/CN=live.test", "-days", "2")
        with open(tmp + "/page.html", "w") as f:
            f.write("<html>tlsaudit live test</html>\n")
        with open(tmp + "/big.bin", "wb") as f:
            f.write(os.urandom(2 * 1024 * 1024))
        try:
            setup_net()
            start_servers(tmp)
            test_errors(tmp)
            test_habits(tmp)
            test_sigterm(tmp)
            test_kill9(tmp)
        finally:
            cleanup()
    if tally.failures:
        print("%d check(s) failed" % tally.failures)
        return 1
    print("all live checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
