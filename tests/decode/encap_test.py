#!/usr/bin/env python3
"""encap_test.py - every encapsulation tlsaudit decodes, on real TLS handshakes, against tshark.

For every case of encap_expected.json (what tshark 4.0 said, recorded by
`encap_samples.py --derive`):
  1. encap_samples.py writes the capture again; its SHA-256 must be the recorded one, so
     the recorded tshark view is a view of these very bytes;
  2. decode_dump (decode_packet() on every frame) must decode every frame (DECODE_OK), report
     exactly the case's ENCAP_* bits and PKT_TUNNELLED for tunnels, and give per frame the
     inner addresses, ports, raw sequence number and TCP payload that tshark showed
     (compared through rows_sha256; on a mismatch the first differing frame is printed);
  3. `tlsaudit read --json --db TMP CAPTURE` must report the connections tshark derived
     (tests/golden/tshark_expect.py rules), compared like tests/conformance/compare.py does:
     sni, client_legacy_version, client_supported_versions, negotiated_version, cipher,
     alert, alert_level, alert_sender, established, hello_retry_request, resumed.
With --tshark it also runs tshark now and checks that the recorded view is still what
tshark says (slow: two tshark passes per case).

usage: encap_test.py --tool TLSAUDIT --dump DECODE_DUMP [--tshark] [--only CASE...]
"""
from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
import encap_samples  # noqa: E402
import compare  # noqa: E402  (the field rules of the conformance comparison)

PKT_TUNNELLED = 1 << 2
tally = Checks()
check = tally.check


def dump_rows(dump: str, pcap: str):
    res = subprocess.run([dump, pcap], capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        return None, res.stderr.strip()
    out = []
    for line in res.stdout.splitlines():
        f = line.split(" ")
        n, st, encaps, flags, fam = int(f[0]), int(f[1]), int(f[2], 16), int(f[3], 16), int(f[4])
        row = "-"
        if st == 0:
            pl = bytes.fromhex(f[11]) if f[11] != "-" else b""
            row = (f"{ipaddress.ip_address(bytes.fromhex(f[5]))} {f[6]} {ipaddress.ip_address(bytes.fromhex(f[7]))} "
                   f"{f[8]} {f[9]} {f[10]} {hashlib.sha256(pl).hexdigest()[:16]}")
        out.append((n, st, encaps, flags, fam, row))
    return out, None


def run_tool(tool: str, pcap: str, tmp: str):
    db = os.path.join(tmp, os.path.basename(pcap) + ".db")
    res = subprocess.run([tool, "read", "--db", db, "--json", pcap], capture_output=True, text=True, timeout=60)
    rows = [json.loads(l) for l in res.stdout.splitlines() if l.strip()]
    return res.returncode, rows, res.stderr


def compare_connections(name: str, expected: list[dict], ours: list[dict]) -> int:
    """number of fields compared; failures counted"""
    pool = {compare.key(o): o for o in ours}
    fields = 0
    check(len(ours) == len(expected), f"{name}: {len(ours)} connections, tshark {len(expected)}")
    for e in expected:
        k = compare.key(e)
        o = pool.get(k)
        if not check(o is not None, f"{name}: connection {k} missing from our output"):
            continue
        for f, ev in compare.expected_values(e, False).items():
            fields += 1
            ov = compare.our_value(o, f)
            check(compare.same(f, ev, ov), f"{name} {k[0]}:{k[1]} {f}: tshark {json.dumps(ev)}, ours {json.dumps(ov)}")
    return fields


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--tshark", action="store_true", help="also re-derive with tshark now")
    ap.add_argument("--only", nargs="*", default=[])
    a = ap.parse_args()
    with open(encap_samples.EXPECTED) as f:
        doc = json.load(f)
    cases = doc["cases"]
    check(set(cases) == set(encap_samples.CASES),
          f"encap_expected.json and encap_samples.CASES differ: {sorted(set(cases) ^ set(encap_samples.CASES))} "
          "(run encap_samples.py --derive)")
    nframes = nconns = nfields = 0
    with tempfile.TemporaryDirectory(prefix="tlsaudit-encap.") as tmp:
        for name, exp in cases.items():
            if a.only and name not in a.only or name not in encap_samples.CASES:
                continue
            data, inner = encap_samples.build(name)
            pcap = os.path.join(tmp, exp["file"])
            with open(pcap, "wb") as f:
                f.write(data)
            if not check(hashlib.sha256(data).hexdigest() == exp["sha256"],
                         f"{name}: generated capture differs from the one tshark saw (run encap_samples.py --derive)"):
                continue
            kinds = encap_samples.CASES[name][3]
            want_encaps = encap_samples.encaps_of(kinds)
            rows, err = dump_rows(a.dump, pcap)
            if not check(rows is not None, f"{name}: decode_dump failed: {err}"):
                continue
            nframes += len(rows)
            check(len(rows) == exp["frames"], f"{name}: {len(rows)} frames, expected {exp['frames']}")
            for n, st, encaps, flags, fam, row in rows:
                ok = check(st == 0, f"{name}: frame {n}: status {st}, tshark shows the inner TCP")
                ok &= check(encaps == want_encaps, f"{name}: frame {n}: encaps 0x{encaps:x}, expected 0x{want_encaps:x}")
                ok &= check(bool(flags & PKT_TUNNELLED) == encap_samples.tunnelled(name),
                            f"{name}: frame {n}: PKT_TUNNELLED {bool(flags & PKT_TUNNELLED)}")
                if not ok:
                    break
            ours = "\n".join(r[5] for r in rows)
            if not check(hashlib.sha256(ours.encode()).hexdigest() == exp["rows_sha256"],
                         f"{name}: inner 5-tuple / sequence / payload differ from tshark's"):
                for (n, *_, row), ip in zip(rows, inner):
                    if row != encap_samples.inner_row(ip):
                        print(f"  frame {n}: ours {row!r}, tshark (= wrapped frame) {encap_samples.inner_row(ip)!r}",
                              file=sys.stderr)
                        break
            rc, conns, errtext = run_tool(a.tool, pcap, tmp)
            check(rc == 0, f"{name}: tlsaudit exit {rc}: {errtext.strip()[-300:]}")
            nconns += len(exp["connections"])
            nfields += compare_connections(name, exp["connections"], conns)
            if a.tshark:
                view = pcap
                if name in encap_samples.TSHARK_VIEW:
                    view = pcap + ".tshark-view.pcap"
                    with open(view, "wb") as f:
                        f.write(encap_samples.TSHARK_VIEW[name][0](data))
                live = encap_samples.tshark_rows(view, exp["tshark_options"])
                check(hashlib.sha256("\n".join(live).encode()).hexdigest() == exp["rows_sha256"],
                      f"{name}: tshark now shows other inner packets than recorded")
                check(encap_samples.tshark_connections(view, exp["tshark_options"]) == exp["connections"],
                      f"{name}: tshark now derives other connections than recorded")
    print(f"encap: {len(cases)} cases, {nframes} frames, {nconns} connections, {nfields} fields compared; "
          f"{tally.checks} checks, {tally.failures} failures")
    return tally.exit_code()


if __name__ == "__main__":
    sys.exit(main())
