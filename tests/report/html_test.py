#!/usr/bin/env python3
"""html_test.py - the HTML report in headless Chromium, on the samples and at 1, 50 and 5,000 host roles (a
capture made by gen_scale.py): it renders without console errors or CSP refusals, says its verdict on the first
screen, ranks the chart by severity, nothing from a hostile capture becomes an element, nothing is wider than the
window at 1280 and 390 px (measured in the page by a wrapper that loads the report in an iframe), the file stays
under 1.5 MB at 5,000 host roles, and it prints on A4 portrait. Screenshots (1280 and 390 px), the printed PDF
and one PNG per printed page land in OUT_DIR; sizes and render times go to stdout and OUT_DIR/scale.json.
usage: html_test.py TLSAUDIT SAMPLES_DIR OUT_DIR"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

TOOL, SAMPLES, OUT = (os.path.abspath(a) for a in sys.argv[1:4])
HERE = os.path.dirname(os.path.abspath(__file__))
MAX_BYTES = 1_500_000
tally = Checks()
check = tally.check

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    print("chromium not installed (Debian package chromium): skipped")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="tlsaudit-html-")
os.makedirs(OUT, exist_ok=True)
ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}


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


def tool(*args, **kw):
    return subprocess.run([TOOL, *args], capture_output=True, timeout=300, env=ENV, **kw)


WRAPPER = """<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="%s" style="width:%dpx;height:900px;border:0">
</iframe><pre id="out">pending</pre><script>
document.getElementById('f').onload = function () {
  var d = this.contentDocument, e = d.documentElement, wide = [];
  d.querySelectorAll('body *').forEach(function (n) {
    /* what may scroll inside its own box: code blocks, and the tables meant to (not the host table, .fit) */
    if ((n.closest('pre') && n.tagName != 'PRE') ||
        (n.closest('.scroll:not(.fit)') && !n.classList.contains('scroll'))) return;
    var r = n.getBoundingClientRect();
    if (r.right > e.clientWidth + 1) wide.push(n.tagName + '.' + n.className + ' ' + Math.round(r.right));
  });
  document.getElementById('out').textContent = 'MEASURE ' + JSON.stringify({scroll: e.scrollWidth,
    client: e.clientWidth, wide: wide.slice(0, 5)});
};
</script></body></html>"""


def measure(html, width):
    """Scroll width of the report in a window `width` px wide (the wrapper's script, not the report's: the
    report itself can run none)."""
    w = os.path.join(os.path.dirname(html), f"wrap-{width}-{os.path.basename(html)}")
    with open(w, "w") as f:
        f.write(WRAPPER % (os.path.basename(html), width))
    r = chrome("file://" + w, "--allow-file-access-from-files", "--virtual-time-budget=20000", "--dump-dom")
    m = re.search(r"MEASURE (\{.*?\})</pre>", r.stdout.decode("utf-8", "replace"))
    return json.loads(m.group(1).replace("&quot;", '"')) if m else None


# ---- the samples, every capture in one database ------------------------------------------------------------
db = os.path.join(tmp, "samples.db")
caps = sorted(f for f in os.listdir(SAMPLES) if f.endswith(".pcap"))
subprocess.run([TOOL, "read", "-q", "--db", db, *caps], cwd=SAMPLES, check=True, timeout=120)
html = os.path.join(OUT, "report.html")
r = tool("report", "--db", db, "--format", "html", "-o", html)
check(r.returncode == 0, f"report html: exit {r.returncode} {r.stderr!r}")
with open(html, encoding="utf-8") as f:
    page = f.read()
check(not re.search(r"<script|src=\"http|href=\"http|@import|url\(", page, re.I), "no script, no external fetch")

url = "file://" + html
r = chrome(url, "--dump-dom")
dom = r.stdout.decode("utf-8", "replace")
check(r.returncode == 0, f"chromium --dump-dom exit {r.returncode}")
for part in ('id="verdict"', 'id="headline"', 'id="chart-hosts"', 'id="chart-versions"', 'id="chart-timeline"',
             'id="hosts"', 'id="impact"', 'id="remediation"', 'id="posture"', 'id="provenance"', 'id="next"'):
    check(part in dom, f"{part} rendered")
check('class="f c3"' in dom, "failed TLS 1.0 hellos drawn hatched in TLS 1.0's colour")
check(dom.count("<rect") >= 4, "timeline has bars")
check("violate the policy" in dom and "openssl-client" in dom and "MinProtocol = TLSv1.2" in dom,
      "verdict and remediation rendered")
errs = console_errors(r.stderr)
check(not errs, f"no console errors: {errs[:3]}")

shot = os.path.join(OUT, "report.png")
r = chrome(url, f"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars")
check(r.returncode == 0 and os.path.getsize(shot) > 10000, f"desktop screenshot {shot}")
check(not console_errors(r.stderr), "no console errors while painting")
phone = os.path.join(OUT, "report-phone.png")
r = chrome(url, f"--screenshot={phone}", "--window-size=390,1400", "--hide-scrollbars")
check(r.returncode == 0 and os.path.getsize(phone) > 5000, f"phone screenshot {phone}")
pdf = os.path.join(OUT, "report.pdf")
r = chrome(url, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
check(r.returncode == 0 and os.path.getsize(pdf) > 5000, f"printed to {pdf}")
for width in (1280, 390):
    m = measure(html, width)
    check(m and m["scroll"] <= m["client"] and not m["wide"], f"samples at {width} px: nothing wider than the window {m}")

# ---- probes: the section renders, hostile answers stay text, long SNI and IPv6 endpoints fit ---------------
sys.path.insert(0, HERE)
import probe_rows as pr  # noqa: E402

pdb = os.path.join(tmp, "probed.db")
shutil.copy(db, pdb)
T0 = 1795910400 * 10**9  # 2026-11-29T00:00:00Z
long_sni = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".test"
pr.add(pdb, "127.0.0.20", 443, "TLS 1.0", pr.ACCEPTED, T0, cipher=0xc014, sni=long_sni)
pr.add(pdb, "127.0.0.20", 443, "TLS 1.2", pr.ACCEPTED, T0 + 10**9, cipher=0xc030, sni=long_sni)
pr.add(pdb, "2001:db8:ffff:ffff:ffff:ffff:ffff:30", 8443, "TLS 1.2", pr.NOT_TLS, T0 + 2 * 10**9,
       detail="HTTP/1.1 400 <script>alert(1)</script><img src=x onerror=alert(2)>" + "x" * 40)
phtml = os.path.join(OUT, "probes.html")
r = tool("report", "--db", pdb, "--format", "html", "-o", phtml)
check(r.returncode == 0, f"probes report: {r.stderr!r}")
r = chrome("file://" + phtml, "--dump-dom")
dom = r.stdout.decode("utf-8", "replace")
check(r.returncode == 0 and 'id="probes"' in dom and 'id="probe-table"' in dom, "probes section rendered")
check("<script" not in dom.lower() and "<img" not in dom.lower() and "&lt;script&gt;alert(1)" in dom,
      "a server's answer is shown as text")
check("accepts TLS 1.0 when probed" in dom, "the first screen names the probed server")
check(not console_errors(r.stderr), f"probes: no console errors {console_errors(r.stderr)[:3]}")
for width in (1280, 390):
    m = measure(phtml, width)
    check(m and m["scroll"] <= m["client"] and not m["wide"], f"probes at {width} px: nothing wider than the window {m}")
pshot = os.path.join(OUT, "probes.png")
r = chrome("file://" + phtml, f"--screenshot={pshot}", "--window-size=1280,5200", "--hide-scrollbars")
check(r.returncode == 0 and os.path.getsize(pshot) > 10000, f"probes screenshot {pshot}")

# ---- hostile SNI values: nothing becomes an element or runs ------------------------------------------------
hpcap = os.path.join(tmp, "hostile.pcap")
subprocess.run([sys.executable, os.path.join(HERE, "hostile_pcap.py"), hpcap], check=True)
hdb = os.path.join(tmp, "hostile.db")
subprocess.run([TOOL, "read", "-q", "--db", hdb, hpcap], check=True, timeout=60)
hhtml = os.path.join(OUT, "hostile.html")
subprocess.run([TOOL, "report", "--db", hdb, "--format", "html", "-o", hhtml], check=True, timeout=60)
r = chrome("file://" + hhtml, "--dump-dom")
dom = r.stdout.decode("utf-8", "replace")
check(r.returncode == 0 and 'id="chart-hosts"' in dom, "hostile report renders")
check("<script" not in dom.lower() and "<img" not in dom.lower(), "no element from an SNI in the DOM")
check("&lt;script&gt;alert(1)&lt;/script&gt;" in dom, "the script SNI is shown as text")
check(not console_errors(r.stderr), f"hostile: no console errors {console_errors(r.stderr)[:3]}")
m = measure(hhtml, 390)
check(m and m["scroll"] <= m["client"], f"a 255-byte SNI does not widen the page at 390 px: {m}")
dhtml = os.path.join(OUT, "hostile-diff.html")
subprocess.run([TOOL, "diff", "--before", hdb, "--after", db, "--format", "html", "-o", dhtml], check=True)
r = chrome("file://" + dhtml, "--dump-dom")
check(r.returncode == 0 and "<script" not in r.stdout.decode("utf-8", "replace").lower(), "hostile diff renders")

# ---- at scale: 1, 50 and 5,000 host roles from a generated capture -----------------------------------------
certdir = os.path.join(OUT, "certs")
figures = {}
dbs = {}
for roles in (50, 5000):
    pcap = os.path.join(tmp, f"scale-{roles}.pcap")
    g = subprocess.run([sys.executable, os.path.join(HERE, "gen_scale.py"), pcap, "--roles", str(roles), "--seed", "7",
                        "--certdir", certdir], capture_output=True, timeout=600)
    check(g.returncode == 0, f"gen_scale {roles}: {g.stderr[-500:]!r}")
    dbs[roles] = os.path.join(tmp, f"scale-{roles}.db")
    r = tool("read", "-q", "--db", dbs[roles], pcap)
    check(r.returncode == 0, f"read scale {roles}: {r.stderr!r}")
doc50 = json.loads(tool("report", "--db", dbs[50], "--format", "json").stdout)
one = next(h for h in doc50["hosts"] if h["role"] == "client" and h["verdict"] == "violation")
cases = [(1, dbs[50], ["--host", one["ip"], "--role", "client"]), (50, dbs[50], []), (5000, dbs[5000], [])]
for label, sdb, sel in cases:
    out = os.path.join(OUT, f"scale-{label}.html")
    t0 = time.monotonic()
    r = tool("report", "--db", sdb, "--format", "html", "-o", out, *sel)
    gen_s = time.monotonic() - t0
    check(r.returncode == 0, f"report {label}: {r.stderr!r}")
    size = os.path.getsize(out)
    hosts = json.loads(tool("report", "--db", sdb, "--format", "json", *sel).stdout)["summary"]["hosts"]
    t0 = time.monotonic()
    rr = chrome("file://" + out, "--dump-dom")
    load_s = time.monotonic() - t0
    dom = rr.stdout.decode("utf-8", "replace")
    check(rr.returncode == 0 and not console_errors(rr.stderr), f"{label}: renders without console errors")
    check("violate the policy" in dom and 'id="headline"' in dom and "What to do first" in dom,
          f"{label}: verdict and first screen")
    m1280, m390 = measure(out, 1280), measure(out, 390)
    check(m1280 and m1280["scroll"] <= m1280["client"] and not m1280["wide"], f"{label} at 1280 px fits: {m1280}")
    check(m390 and m390["scroll"] <= m390["client"] and not m390["wide"], f"{label} at 390 px fits: {m390}")
    figures[label] = {"host_roles": hosts, "bytes": size, "generate_s": round(gen_s, 3),
                      "chromium_dump_dom_s": round(load_s, 3)}
    if label == 5000:
        check(hosts >= 5000, f"5,000 host roles: {hosts}")
        check(size < MAX_BYTES, f"HTML under 1.5 MB at {hosts} host roles: {size}")
        check('id="groups"' in dom and "SNI domain" in dom and "network" in dom, "groups by network and SNI domain")
        check(re.search(r"and \d+ more \(CSV column <code>hints</code>\)", dom), "remediation lists are capped")
        check(dom.count("<tr><td class=\"mono\">") >= hosts, "the compact list holds every host role")
        check("2001:db8:" in dom, "IPv6 host roles are drawn")
        rows = re.findall(r'<div class="row"><span class="l"><span class="mono">[^<]+</span> \w+ <span class="t-([\w-]+)">',
                          dom)
        order = {"violation": 0, "at-risk": 1, "ok": 2}
        check(rows and [order[v] for v in rows] == sorted(order[v] for v in rows), "chart ranked by verdict")
        check("Windows SChannel (Windows 7 / Server 2008 R2 family)" in dom and "schannel-client-win7" in dom,
              "SChannel stack named with its Windows release")
        # copy-ready registry blocks, as ../shared/KNOWLEDGE.md states the values
        for needle in ("Windows Registry Editor Version 5.00",
                       "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\"
                       "Protocols\\TLS 1.2\\Client]",
                       '"Enabled"=dword:00000001', '"DisabledByDefault"=dword:00000000',
                       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319]",
                       "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v2.0.50727]",
                       '"SchUseStrongCrypto"=dword:00000001', '"SystemDefaultTlsVersions"=dword:00000001',
                       "New-ItemProperty -Path $k -Name 'SchUseStrongCrypto' -Value 1 -PropertyType DWord -Force"):
            check(needle.replace("&", "&amp;").replace('"', "&quot;") in dom or needle in dom, f"registry block: {needle}")
        # remediation by stack: Windows registry steps only where the client is plausibly Windows
        doc = json.loads(tool("report", "--db", sdb, "--format", "json").stdout)
        win_hints = {"schannel-client-xp", "schannel-client-vista", "schannel-client-win7", "schannel-client",
                     "schannel-client-fallback", "unknown-client-windows", "server-old-version-windows"}
        seen = {x for h in doc["hosts"] for x in h["hints"]}
        for want in ("schannel-client-win7", "java-client", "openssl-client", "unknown-client-windows",
                     "unknown-client", "server-old-version-windows", "server-old-version", "server-certificate-expiry",
                     "server-certificate-weak"):
            check(want in seen, f"5,000: hint {want} used")
        wrong = [(h["ip"], h["role"], h["hints"]) for h in doc["hosts"] if win_hints & set(h["hints"]) and not (
            h["windows_host"] or any(st["family"] == "schannel" for st in h["stacks"]))]
        check(not wrong, f"Windows steps only for SChannel stacks or hosts that also sent SChannel hellos: {wrong[:3]}")
        # a Windows 7 host that also runs a Java 17 agent: the SChannel stack gets its hint, the agent (TLS 1.3,
        # nothing older offered) none - stacks are judged one by one
        two = [h for h in doc["hosts"] if {"schannel", "java"} <= {st["family"] for st in h["stacks"]}]
        check(two and all("schannel-client-win7" in h["hints"] and ("java-client" in h["hints"]) ==
                          any(st["family"] == "java" and st["reasons"] for st in h["stacks"]) for h in two),
              f"a Windows host with a Java agent: one hint per stack that needs one ({len(two)} hosts)")
        shot = os.path.join(OUT, "scale-1280.png")
        r = chrome("file://" + out, f"--screenshot={shot}", "--window-size=1280,1500", "--hide-scrollbars")
        check(r.returncode == 0 and os.path.getsize(shot) > 20000, "5,000: 1280 px screenshot")
        shot = os.path.join(OUT, "scale-390.png")
        r = chrome("file://" + out, f"--screenshot={shot}", "--window-size=390,2400", "--hide-scrollbars")
        check(r.returncode == 0 and os.path.getsize(shot) > 20000, "5,000: 390 px screenshot")
        pdf = os.path.join(OUT, "scale.pdf")
        r = chrome("file://" + out, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
        check(r.returncode == 0 and os.path.getsize(pdf) > 20000, "5,000: printed")
        if shutil.which("pdfinfo"):
            info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
            size_m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
            pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
            check(size_m and abs(float(size_m.group(1)) - 595.3) < 2 and abs(float(size_m.group(2)) - 841.9) < 2,
                  f"printed on A4 portrait: {size_m and size_m.group(0)}")
            figures[label]["pdf_pages"] = pages
            check(pages <= 40, f"the print leaves out the compact list: {pages} pages")
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", pdf,
                            os.path.join(OUT, "scale-pdf-page")], capture_output=True, timeout=120)
        if shutil.which("pdftotext"):
            txt = subprocess.run(["pdftotext", "-l", "1", pdf, "-"], capture_output=True, text=True).stdout
            check("violate the policy" in txt, "the first printed page carries the verdict")
for label, f in figures.items():
    print(f"{label:>5} host roles requested: {f}")
with open(os.path.join(OUT, "scale.json"), "w") as fp:
    json.dump(figures, fp, indent=1)

tally.finish(f"{tally.passed} passed, {tally.failures} failed; screenshots in {OUT}")
