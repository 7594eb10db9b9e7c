#!/usr/bin/env python3
"""html_test.py - the HTML report in headless Chromium: it renders without console errors or CSP refusals, the
SVG charts are in the DOM, nothing from a hostile capture becomes an element, and screenshots (desktop and
phone width) plus a PDF print land in OUT_DIR as test output.
usage: html_test.py TLSAUDIT SAMPLES_DIR OUT_DIR"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

TOOL, SAMPLES, OUT = (os.path.abspath(a) for a in sys.argv[1:4])
HERE = os.path.dirname(os.path.abspath(__file__))
failures = checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)


chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    print("chromium not installed (Debian package chromium): skipped")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="tlsaudit-html-")
os.makedirs(OUT, exist_ok=True)


def chrome(url, *extra):
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmp)
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, url]
    return subprocess.run(args, capture_output=True, timeout=180)


def console_errors(stderr):
    text = stderr.decode("utf-8", "replace")
    return [l for l in text.splitlines() if "CONSOLE" in l or "Uncaught" in l or "Refused to" in l
            or "Content Security Policy" in l]


# the samples, every capture in one database
db = os.path.join(tmp, "samples.db")
caps = sorted(f for f in os.listdir(SAMPLES) if f.endswith(".pcap"))
subprocess.run([TOOL, "read", "-q", "--db", db, *caps], cwd=SAMPLES, check=True, timeout=120)
html = os.path.join(OUT, "report.html")
r = subprocess.run([TOOL, "report", "--db", db, "--format", "html", "-o", html], capture_output=True, timeout=60)
check(r.returncode == 0, f"report html: exit {r.returncode} {r.stderr!r}")
with open(html, encoding="utf-8") as f:
    page = f.read()
check(not re.search(r"<script|src=\"http|href=\"http|@import|url\(", page, re.I), "no script, no external fetch")

url = "file://" + html
r = chrome(url, "--dump-dom")
dom = r.stdout.decode("utf-8", "replace")
check(r.returncode == 0, f"chromium --dump-dom exit {r.returncode}")
check('id="chart-versions"' in dom and 'id="chart-timeline"' in dom, "both SVG charts are in the DOM")
check(dom.count("<rect") > 10, "charts have bars")
check("violation" in dom and "client-old-hello-failed" in dom, "verdict and remediation rendered")
errs = console_errors(r.stderr)
check(not errs, f"no console errors: {errs[:3]}")

shot = os.path.join(OUT, "report.png")
r = chrome(url, f"--screenshot={shot}", "--window-size=1200,1600", "--hide-scrollbars")
check(r.returncode == 0 and os.path.getsize(shot) > 10000, f"desktop screenshot {shot}")
check(not console_errors(r.stderr), "no console errors while painting")
phone = os.path.join(OUT, "report-phone.png")
r = chrome(url, f"--screenshot={phone}", "--window-size=390,1400", "--hide-scrollbars")
check(r.returncode == 0 and os.path.getsize(phone) > 5000, f"phone screenshot {phone}")
pdf = os.path.join(OUT, "report.pdf")
r = chrome(url, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
check(r.returncode == 0 and os.path.getsize(pdf) > 5000, f"printed to {pdf}")

# hostile SNI values: nothing becomes an element or runs
hpcap = os.path.join(tmp, "hostile.pcap")
subprocess.run([sys.executable, os.path.join(HERE, "hostile_pcap.py"), hpcap], check=True)
hdb = os.path.join(tmp, "hostile.db")
subprocess.run([TOOL, "read", "-q", "--db", hdb, hpcap], check=True, timeout=60)
hhtml = os.path.join(OUT, "hostile.html")
subprocess.run([TOOL, "report", "--db", hdb, "--format", "html", "-o", hhtml], check=True, timeout=60)
r = chrome("file://" + hhtml, "--dump-dom")
dom = r.stdout.decode("utf-8", "replace")
check(r.returncode == 0 and 'id="chart-versions"' in dom, "hostile report renders")
check("<script" not in dom.lower() and "<img" not in dom.lower(), "no element from an SNI in the DOM")
check("&lt;script&gt;alert(1)&lt;/script&gt;" in dom, "the script SNI is shown as text")
check(not console_errors(r.stderr), f"hostile: no console errors {console_errors(r.stderr)[:3]}")
dhtml = os.path.join(OUT, "hostile-diff.html")
subprocess.run([TOOL, "diff", "--before", hdb, "--after", db, "--format", "html", "-o", dhtml], check=True)
r = chrome("file://" + dhtml, "--dump-dom")
check(r.returncode == 0 and "<script" not in r.stdout.decode("utf-8", "replace").lower(), "hostile diff renders")

print(f"{checks - failures} passed, {failures} failed; screenshots in {OUT}")
sys.exit(1 if failures else 0)
