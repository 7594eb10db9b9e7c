#!/usr/bin/env python3
"""impair_test.py - tlsaudit on impaired copies of the samples: what damage may and may not change.

usage: impair_test.py TLSAUDIT SOURCE_ROOT WORKDIR

Every capture in samples/ and samples/stacks/ (real handshakes recorded here, checked against tshark by the
golden tests) is impaired by impair.py and read again; each connection is compared with the same connection
(unordered 4-tuple) of the undamaged capture:
- dup, retrans, reorder, xreorder, midstream lose nothing: the same connections, every TLS fact equal;
  dup counts each repeated frame once (the `duplicate` counter of the capture's statistics);
- loss, lossc, lossc2, cut, snaplen may lose facts but never invent one: every connection is one of the original's, every
  fact is the original's or unknown (null, or an empty list where the original has a list), `established`
  and `resumed` are never true where the original says false, and loss (one server segment) keeps every
  client fact (the ClientHello is whole); after lossc and lossc2 (the client's first or second segment lost) the
  SMTP, IMAP, POP3 and FTP upgrades in samples/starttls.pcap are still told from the rest of the dialogue.
"""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import impair  # noqa: E402

TOOL, ROOT, WORK = (os.path.abspath(a) for a in sys.argv[1:4])

FACTS = ("sni", "client_legacy_version", "client_supported_versions", "client_max_version", "negotiated_version",
         "server_legacy_version", "cipher", "alert", "alert_level", "alert_sender", "established", "resumed",
         "hello_retry_request", "starttls", "alpn", "ja3", "ja3s", "ja4", "cert_sha256", "client_ip", "server_ip")
CLIENT_FACTS = ("sni", "client_legacy_version", "client_supported_versions", "client_max_version", "ja3", "ja4",
                "alpn")
LOSSLESS = ("dup", "retrans", "reorder", "xreorder", "midstream")

tally = Checks(out=sys.stdout)
check = tally.check


def read(cap, db):
    r = subprocess.run([TOOL, "read", "--db", db, "--json", "--no-ndpi", cap], capture_output=True, timeout=120)
    if r.returncode not in (0, 3):
        raise RuntimeError(f"{cap}: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
    conns = {}
    for line in r.stdout.splitlines():
        o = json.loads(line)
        o["cert_sha256"] = (o.get("cert") or {}).get("sha256")
        key = frozenset([(o["client_ip"], o["client_port"]), (o["server_ip"], o["server_port"])])
        conns[key] = o
    return conns


def duplicates_counted(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT sum(duplicate_frames) FROM captures").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        con.close()


def unknown(v):
    return v is None or v == []


def main():
    os.makedirs(WORK, exist_ok=True)
    caps = sorted(os.path.join(ROOT, "samples", f) for f in os.listdir(os.path.join(ROOT, "samples"))
                  if f.endswith(".pcap"))
    caps += sorted(os.path.join(ROOT, "samples", "stacks", f)
                   for f in os.listdir(os.path.join(ROOT, "samples", "stacks")) if f.endswith(".pcap"))
    made = impair.make(os.path.join(WORK, "caps"), caps)
    orig = {}
    for cap in caps:
        db = os.path.join(WORK, "orig.db")
        for sfx in ("", "-wal", "-shm"):
            if os.path.exists(db + sfx):
                os.unlink(db + sfx)
        orig[cap] = read(cap, db)
    compared = 0
    for cap, name, path in made:
        db = os.path.join(WORK, f"{name}.db")
        for sfx in ("", "-wal", "-shm"):
            if os.path.exists(db + sfx):
                os.unlink(db + sfx)
        got, want = read(path, db), orig[cap]
        where = f"{os.path.basename(cap)} {name}"
        if name in LOSSLESS:
            check(set(got) == set(want), f"{where}: connections {len(got)} against {len(want)}")
        else:
            check(set(got) <= set(want), f"{where}: connections not in the original: {set(got) - set(want)}")
        for key, g in got.items():
            w = want.get(key)
            if w is None:
                continue
            compared += 1
            for f in FACTS:
                gv, wv = g.get(f), w.get(f)
                if name in LOSSLESS or (name == "loss" and f in CLIENT_FACTS):
                    check(gv == wv, f"{where} {g['client_port']}: {f} {gv!r}, undamaged {wv!r}")
                elif f in ("established", "resumed", "hello_retry_request"):
                    check(not gv or wv, f"{where} {g['client_port']}: {f} true, undamaged {wv!r}")
                else:
                    check(unknown(gv) or gv == wv, f"{where} {g['client_port']}: {f} {gv!r}, undamaged {wv!r}")
        if name in ("lossc", "lossc2") and os.path.basename(cap) == "starttls.pcap":
            # the client's first command or its STARTTLS command lost: the rest of the client's dialogue and the
            # server's tell the upgrade (LDAP's first client message is the request: with lossc it is gone)
            for key, g in got.items():
                if g["server_port"] in (25, 143, 110, 21) or (name == "lossc2" and g["server_port"] == 389):
                    check(g["starttls"] == want[key]["starttls"],
                          f"{where} {g['client_port']}: starttls {g['starttls']!r} after a lost first command")
        if name == "dup":
            frames = sum(1 for fr, t in zip(impair.read_pcap(cap)[3], impair.frames_by_flow(
                impair.read_pcap(cap)[3], 1)) if t and t[3] > 0)
            check(duplicates_counted(db) == frames, f"{where}: duplicates counted {duplicates_counted(db)}, "
                  f"repeated frames {frames}")
    print(f"impair: {len(caps)} captures x {len(impair.IMPAIRMENTS)} impairments, {compared} connections "
          f"compared, {tally.checks} checks, {tally.failures} failed")
    sys.exit(1 if tally.failures or compared == 0 else 0)


if __name__ == "__main__":
    main()
