#!/usr/bin/env python3
"""label_wait_test.py - flows of one label key that run at the same instant share one nDPI learner.

Captures made by bench/make_capture.py from samples/: the handshakes of tls12-sni.pcap (curl and openssl
s_client to one server and name), and a mix of tls12-sni, tls13, tls11 and tls10-rejected, replicated with
rewritten client addresses to ONE server address, every connection's packets interleaved with the others' (all
handshakes in progress at the same moment), and the same sequentially. Each is read twice: by default (a key's
label learnt from one flow, README "Application labels") and with --ndpi-every-flow (nDPI's own DPI on every
flow, the reference). Every connection's l7_protocol must be the reference's, and the default read must have fed
nDPI far fewer flows than there are connections (captures.ndpi_flows). Then the same hello under a name nDPI
knows (tls12-sni.pcap with its name replaced by one of the same length), to a new server per connection: one
learner for all; under its own name (unknown to nDPI): one per server.
usage: label_wait_test.py TLSAUDIT SOURCE_DIR"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tally = Checks()
check = tally.check


def read(cap, db, extra):
    r = subprocess.run([TOOL, "read", "--json", "-q", "--idle-timeout", "100000", "--db", db] + extra + [cap],
                       capture_output=True, timeout=300)
    check(r.returncode == 0, f"read {extra} rc {r.returncode}: {r.stderr[-300:]!r}")
    labels = {(c["client_ip"], c["client_port"]): c.get("l7_protocol") for c in map(json.loads, r.stdout.splitlines())}
    with sqlite3.connect(db) as d:
        fed = d.execute("SELECT ndpi_flows FROM captures").fetchone()[0]
    return labels, fed


tmp = tempfile.mkdtemp(prefix="tlsaudit-label-")
cases = [
    ("one-name", ["tls12-sni.pcap"], 200),
    ("mix", ["tls12-sni.pcap", "tls13.pcap", "tls11.pcap", "tls10-rejected.pcap"], 100),
]
for name, templates, copies in cases:
    for concurrent in (copies, 1):
        cap = os.path.join(tmp, f"{name}-{concurrent}.pcap")
        subprocess.run([sys.executable, os.path.join(SRC, "bench", "make_capture.py"), cap, "--copies", str(copies),
                        "--concurrent", str(concurrent), "--servers", "1"] +
                       [os.path.join(SRC, "samples", t) for t in templates], check=True, capture_output=True)
        got, fed = read(cap, os.path.join(tmp, f"{name}-{concurrent}.db"), [])
        want, fed_every = read(cap, os.path.join(tmp, f"{name}-{concurrent}-every.db"), ["--ndpi-every-flow"])
        what = f"{name}, {concurrent} at a time"
        check(len(got) == len(want) and len(got) >= copies, f"{what}: {len(got)} connections, reference {len(want)}")
        differ = [(k, got.get(k), v) for k, v in want.items() if got.get(k) != v]
        check(not differ, f"{what}: {len(differ)} labels differ from nDPI's own, e.g. {differ[:3]}")
        check(all(v for v in want.values()), f"{what}: the reference labels every connection")
        # one learner per distinct key (server, name, start): a handful, whatever the concurrency
        check(fed <= 8, f"{what}: nDPI fed {fed} flows of {len(got)} ({fed_every} with --ndpi-every-flow)")

# A name nDPI's host automaton knows labels the flow whatever the server: the key drops the server address
# (its IP-list verdict stays), so connections to a hundred servers under that name share one learner. The
# same hello under a name nDPI does not know keeps one key per server (the server's certificate can decide).
named = os.path.join(tmp, "named.pcap")
with open(os.path.join(SRC, "samples", "tls12-sni.pcap"), "rb") as fp:
    data = fp.read()
check(data.count(b"mail.example.test") > 0, "tls12-sni.pcap carries mail.example.test")
with open(named, "wb") as fp:
    fp.write(data.replace(b"mail.example.test", b"mailer.github.com"))  # same length: nothing else moves
for name, template, most, least in (("named", named, 8, 0), ("unnamed", os.path.join(SRC, "samples", "tls12-sni.pcap"), None, 150)):
    cap = os.path.join(tmp, f"{name}-servers.pcap")
    subprocess.run([sys.executable, os.path.join(SRC, "bench", "make_capture.py"), cap, "--copies", "100",
                    "--concurrent", "100", template], check=True, capture_output=True)  # a new server each
    got, fed = read(cap, os.path.join(tmp, f"{name}-servers.db"), [])
    want, _ = read(cap, os.path.join(tmp, f"{name}-servers-every.db"), ["--ndpi-every-flow"])
    what = f"{name}, 200 connections to 200 servers"
    check(len(got) == len(want) == 200, f"{what}: {len(got)} connections, reference {len(want)}")
    differ = [(k, got.get(k), v) for k, v in want.items() if got.get(k) != v]
    check(not differ, f"{what}: {len(differ)} labels differ from nDPI's own, e.g. {differ[:3]}")
    if name == "named":
        check(set(want.values()) == {"TLS.Github"}, f"{what}: reference labels {set(want.values())}")
    check((most is None or fed <= most) and fed >= least, f"{what}: nDPI fed {fed} flows")

tally.finish(f"label_wait_test: {tally.passed} of {tally.checks} checks passed")
