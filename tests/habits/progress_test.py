#!/usr/bin/env python3
"""progress_test.py - read's progress line (issue 14): shown on a terminal only, on stderr, and cleared.

A pseudo-terminal is stderr; the capture comes through a pipe that holds back its last bytes for two seconds,
so the line must appear (it starts after one second) and show what was read by then: the bytes given, the
packets in them (starttls.pcap: 243 frames, counted by tcpdump below) and no size, percentage or ETA (a pipe has
no size). Then: the same read with -q draws nothing, and with stderr not a terminal stderr holds no control
characters; stdout is the same summary in every case.
usage: progress_test.py TLSAUDIT SAMPLES_DIR"""
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SAMPLES = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tally = Checks()
check = tally.check

tmp = tempfile.mkdtemp(prefix="tlsaudit-progress-")
pcap = os.path.join(SAMPLES, "starttls.pcap")
data = open(pcap, "rb").read()
frames = len(subprocess.run(["tcpdump", "-n", "-r", pcap], capture_output=True, text=True).stdout.splitlines())
check(frames == 243, f"tcpdump counts 243 frames in starttls.pcap ({frames})")
HOLD = 200  # bytes held back: part of the last frames


def run_on_pty(n, quiet=False):
    """read from a slow pipe with stderr on a pty; returns (stdout, what the terminal got)"""
    master, slave = pty.openpty()
    args = [TOOL, "read", "--db", os.path.join(tmp, f"{n}.db"), "-"] + (["-q"] if quiet else [])
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    p.stdin.write(data[:-HOLD])
    p.stdin.flush()
    term = b""
    t_end = time.monotonic() + 2.2
    while time.monotonic() < t_end:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            term += os.read(master, 65536)
    p.stdin.write(data[-HOLD:])
    p.stdin.close()
    out = p.stdout.read()
    p.wait(timeout=60)
    while True:
        r, _, _ = select.select([master], [], [], 0.2)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        term += chunk
    os.close(master)
    return p.returncode, out, term


plain = subprocess.run([TOOL, "read", "--db", os.path.join(tmp, "plain.db"), "-"], input=data, capture_output=True)
check(plain.returncode == 0, f"plain read rc {plain.returncode}")
check(b"\r" not in plain.stderr and b"\x1b" not in plain.stderr, f"no progress when stderr is not a terminal: {plain.stderr!r}")

rc, out, term = run_on_pty(1)
check(rc == 0, f"read on a pty rc {rc}")
same = lambda a, b: re.sub(rb" in \S+\.db\)", b"", a) == re.sub(rb" in \S+\.db\)", b"", b)
check(same(out, plain.stdout), f"stdout is the same summary with the progress line on stderr: {out[:200]!r}")
text = term.decode(errors="replace")
lines = re.findall(r"\r([^\r\x1b]*)\x1b\[K", text)
drawn = [l for l in lines if l]
check(len(drawn) >= 1, f"the progress line was drawn while the pipe held back its end: {text!r}")
check(text.endswith("\r\x1b[K"), f"the line is cleared at the end: {text[-40:]!r}")
for l in drawn:
    m = re.fullmatch(r"(\d+\.\d) kB, ([\d,]+) packets, ([\d,]+) TLS connections, (\d+\.\d) MB/s", l)
    check(m is not None, f"a pipe's line has no size, percentage or ETA: {l!r}")
    if m:
        given = (len(data) - HOLD) / 1000
        check(abs(float(m.group(1)) - given) < 0.06, f"bytes shown {m.group(1)} kB = bytes given {given:.1f} kB")
        pk = int(m.group(2).replace(",", ""))
        # the readers publish every 16 frames; the frames cut by the held-back bytes are not read yet
        check(frames - 16 - 3 <= pk < frames, f"packets shown {pk} within 16 of the {frames} frames given")

rc, out, term = run_on_pty(2, quiet=True)
check(rc == 0 and out == b"", f"-q: rc {rc}, stdout {out!r}")
check(b"\r" not in term and b"\x1b" not in term, f"-q: nothing drawn on the terminal: {term!r}")

tally.finish(f"{tally.checks} checks, {tally.failures} failed")
