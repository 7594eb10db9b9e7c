#!/usr/bin/env python3
"""pack_test.py - --pack-after (README "Performance"): with many connections in flight, the TLS state of one
that waits for its next bytes is kept packed (tls_conn_pack) and unpacked when it is next needed. Packing must
change nothing but memory: every capture of samples/ (and of the corpus when present) and an interleaved
capture of 50 copies of samples/tls12-sni.pcap, all 100 handshakes in flight at once (bench/make_capture.py),
give byte-identical NDJSON with --pack-after 0 (every waiting connection packed between its packets) and with
the default (4096: nothing packed in these files).
usage: pack_test.py TLSAUDIT SAMPLES_DIR CORPUS_DIR MAKE_CAPTURE"""
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SAMPLES, CORPUS, MAKE = (os.path.abspath(a) for a in sys.argv[1:5])
tally = Checks()
check = tally.check


def ndjson(path, tmp, *opts):
    db = os.path.join(tmp, "t.db")
    for sfx in ("", "-wal", "-shm"):
        if os.path.exists(db + sfx):
            os.unlink(db + sfx)
    p = subprocess.run([TOOL, "read", "-q", "--json", "--db", db, *opts, path], capture_output=True)
    return p.returncode, p.stdout


with tempfile.TemporaryDirectory() as tmp:
    inter = os.path.join(tmp, "inter50.pcap")
    subprocess.run([sys.executable, MAKE, inter, "--copies", "50", "--concurrent", "50",
                    os.path.join(SAMPLES, "tls12-sni.pcap")], check=True, capture_output=True)
    files = [inter] + sorted(glob.glob(os.path.join(SAMPLES, "*.pcap*")))
    files += sorted(glob.glob(os.path.join(CORPUS, "pcaps", "*")))
    conns = 0
    for f in files:
        rc0, out0 = ndjson(f, tmp)
        rc1, out1 = ndjson(f, tmp, "--pack-after", "0")
        name = os.path.basename(f)
        check(rc0 == rc1, f"{name}: exit {rc1} with --pack-after 0, {rc0} without")
        check(out0 == out1, f"{name}: NDJSON differs with --pack-after 0")
        n = out0.count(b"\n")
        conns += n
        if f == inter:
            check(n == 100, f"{name}: {n} connections, want 100")
    # samples alone: 12 captures, 133 connections; with the corpus: 131 captures, 509
    check(conns >= 133, f"only {conns} connections compared")
    print(f"{len(files)} captures, {conns} connections")
tally.finish(f"{tally.checks} checks, {tally.failures} failed")
