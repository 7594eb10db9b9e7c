#!/usr/bin/env python3
"""Compressed captures (README "Compressed captures"): gzip, xz and zstd files and streams read by content.

For every sample capture and each layer (made here with Python's gzip/lzma modules and the zstd tool), the
NDJSON equals the plain file's, the stored SHA-256 is that of the compressed file as given (sha256sum's
value, computed here with hashlib), the format says the layer, and stdin works. Damage is reported with the
layer named: a cut stream keeps what came before it (exit 3), a corrupt one stops with exit 3, a layer holding
no capture is refused (exit 2).
usage: compressed_test.py TLSAUDIT SAMPLES_DIR
"""
import gzip
import hashlib
import lzma
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

tool, samples = sys.argv[1:3]
tally = Checks()
check = tally.check


def read(path, tmp, stdin=None):
    db = os.path.join(tmp, "t.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    r = subprocess.run([tool, "read", "--json", "-q", "--db", db, path], input=stdin, capture_output=True,
                       timeout=60)
    rows = []
    if os.path.exists(db):
        con = sqlite3.connect(db)
        rows = con.execute("SELECT format, file_bytes, sha256, status FROM captures").fetchall()
        con.close()
    return r, rows


def strip(ndjson):
    # the capture's own name and identity are expected to differ
    import json
    out = []
    for line in ndjson.splitlines():
        d = json.loads(line)
        d.pop("capture", None)
        out.append(d)
    return out


zstd = shutil.which("zstd")
with tempfile.TemporaryDirectory() as tmp:
    names = sorted(n for n in os.listdir(samples) if n.endswith((".pcap", ".pcapng")))
    check(len(names) >= 5, f"samples found: {names}")
    for name in names:
        plain = open(os.path.join(samples, name), "rb").read()
        ref, _ = read(os.path.join(samples, name), tmp)
        layers = {"gzip": gzip.compress(plain), "xz": lzma.compress(plain)}
        if zstd:
            layers["zstd"] = subprocess.run([zstd, "-q", "-c"], input=plain, capture_output=True).stdout
        for layer, data in layers.items():
            path = os.path.join(tmp, f"{name}.{layer}")
            open(path, "wb").write(data)
            r, rows = read(path, tmp)
            check(r.returncode == ref.returncode, f"{name}.{layer}: exit {r.returncode}, plain {ref.returncode}")
            check(strip(r.stdout) == strip(ref.stdout), f"{name}.{layer}: NDJSON differs from the plain file's")
            want = (("pcapng" if plain[:4] == b"\x0a\x0d\x0d\x0a" else "pcap") + "+" + layer, len(data),
                    hashlib.sha256(data).hexdigest())
            check(rows and rows[0][:3] == want, f"{name}.{layer}: capture row {rows} != {want}")
    # a multi-member gzip file (concatenated .gz parts) is one stream
    plain = open(os.path.join(samples, names[0]), "rb").read()
    half = len(plain) // 2
    path = os.path.join(tmp, "multi.gz")
    open(path, "wb").write(gzip.compress(plain[:half]) + gzip.compress(plain[half:]))
    r, rows = read(path, tmp)
    ref, _ = read(os.path.join(samples, names[0]), tmp)
    check(r.returncode == 0 and strip(r.stdout) == strip(ref.stdout), f"multi-member gzip: rc {r.returncode}")
    # stdin
    data = gzip.compress(plain)
    r, rows = read("-", tmp, stdin=data)
    check(r.returncode == 0 and strip(r.stdout) == strip(ref.stdout), f"gzip on stdin: rc {r.returncode}")
    check(rows and rows[0][2] == hashlib.sha256(data).hexdigest(), "gzip on stdin: hash of the bytes given")
    # records that span the reader's blocks: a pipe fed a few bytes at a time makes every block small
    import threading
    import time
    for name in names:
        if not name.startswith(("multi-host", "tls13")) and not name.endswith(".pcapng"):
            continue
        plain = open(os.path.join(samples, name), "rb").read()
        ref, _ = read(os.path.join(samples, name), tmp)
        db = os.path.join(tmp, "pipe.db")
        p = subprocess.Popen([tool, "read", "--json", "-q", "--db", db, "-"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def feed(data=plain, pipe=p.stdin):
            for i in range(0, len(data), 97):
                pipe.write(data[i:i + 97])
                pipe.flush()
                time.sleep(0.0005)
            pipe.close()

        t = threading.Thread(target=feed)
        t.start()
        out, err = p.stdout.read(), p.stderr.read()
        p.wait(timeout=120)
        t.join()
        check(p.returncode == ref.returncode and strip(out) == strip(ref.stdout),
              f"{name} through a pipe in 97-byte writes: rc {p.returncode}, {len(out.splitlines())} lines")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
    # damage: cut, corrupt, trailing junk, a layer without a capture
    big = open(os.path.join(samples, "multi-host.pcap"), "rb").read()
    for layer, data in (("gzip", gzip.compress(big)), ("xz", lzma.compress(big))):
        cut = os.path.join(tmp, f"cut.{layer}")
        open(cut, "wb").write(data[: len(data) * 2 // 3])
        r, rows = read(cut, tmp)
        check(r.returncode == 3, f"cut {layer}: exit {r.returncode}")
        check(f"{layer} layer" in r.stderr.decode(), f"cut {layer}: message names the layer: {r.stderr!r}")
        check(len(r.stdout.splitlines()) >= 1 and rows and rows[0][3] == "cut",
              f"cut {layer}: connections before the cut are kept ({len(r.stdout.splitlines())}, {rows})")
        bad = bytearray(data)
        bad[len(bad) // 2] ^= 0x55
        path = os.path.join(tmp, f"bad.{layer}")
        open(path, "wb").write(bytes(bad))
        r, _ = read(path, tmp)
        check(r.returncode == 3 and f"{layer} layer: corrupt data" in r.stderr.decode(),
              f"corrupt {layer}: exit {r.returncode} {r.stderr!r}")
    path = os.path.join(tmp, "text.gz")
    open(path, "wb").write(gzip.compress(b"this is not a capture\n"))
    r, _ = read(path, tmp)
    check(r.returncode == 2 and b"gzip layer holds" in r.stderr, f"gzip of text: exit {r.returncode} {r.stderr!r}")
    print(f"compressed: {len(names)} samples x {2 + (1 if zstd else 0)} layers, {tally.failures} failures"
          + ("" if zstd else " (zstd tool missing: zstd skipped)"))
sys.exit(tally.exit_code())
