#!/usr/bin/env python3
"""The label cache and the computed risks against nDPI's own answer (README "Application labels").

Every capture of the corpus and of samples/ is read twice: as `read` does by default (nDPI's DPI only for the
first flow of each label key, risks computed from our own facts) and with --ndpi-every-flow (nDPI's DPI on
every flow, nDPI's own risks and JA3). l7_protocol must be equal on every connection; risks and ndpi_ja3 too,
except on the connections listed below, where nDPI reads bytes our facts do not hold (the same list as
tests/classify/conformance_classify_risk.c, each cause checked there against the bytes). A listed difference
that disappears fails the test too. Exit 77 when the corpus is absent.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

# (capture, client port): fields allowed to differ, and why
KNOWN = {
    ("ndpi__tls-esni-fuzzed.pcap", 49897): ({"risks"}, "fuzzed ESNI length: nDPI stores no ESNI"),
    ("ndpi__tls_invalid_reads.pcap", 58552): ({"risks", "ndpi_ja3"}, "junk after the last extension"),
    ("ndpi__tls_missing_ch_frag.pcap", 33063): ({"risks", "ndpi_ja3"}, "lost hello segment, nDPI mixes in server bytes"),
}
FIELDS = ("l7_protocol", "risks", "ndpi_ja3")


def read(tool, path, extra):
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([tool, "read", "--json", "-q", "--db", os.path.join(d, "t.db")] + extra + [path],
                           capture_output=True, timeout=300)
    return [json.loads(line) for line in r.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--samples", required=True)
    a = ap.parse_args()
    pcaps = os.path.join(a.corpus, "pcaps")
    if not os.path.isdir(pcaps):
        print("corpus not found: skipped")
        return 77
    files = [os.path.join(pcaps, n) for n in sorted(os.listdir(pcaps))]
    files += [os.path.join(a.samples, n) for n in sorted(os.listdir(a.samples)) if n.endswith((".pcap", ".pcapng"))]
    conns = equal = failures = 0
    seen_known = set()
    labelled = 0
    for f in files:
        name = os.path.basename(f)
        cached = read(a.tool, f, [])
        every = read(a.tool, f, ["--ndpi-every-flow"])
        key = lambda d: (d["client_ip"], d["client_port"], d["server_ip"], d["server_port"], d["ts"])
        ref = {key(d): d for d in every}
        if len(cached) != len(every):
            print(f"FAIL: {name}: {len(cached)} connections, {len(every)} with --ndpi-every-flow")
            failures += 1
        for d in cached:
            conns += 1
            e = ref.get(key(d))
            if e is None:
                print(f"FAIL: {name}: {key(d)} missing with --ndpi-every-flow")
                failures += 1
                continue
            labelled += d["l7_protocol"] is not None
            differ = {k for k in FIELDS if d[k] != e[k]}
            allowed, _ = KNOWN.get((name, d["client_port"]), (set(), ""))
            if not differ:
                equal += 1
            elif differ <= allowed:
                seen_known.add((name, d["client_port"]))
            else:
                failures += 1
                for k in sorted(differ - allowed):
                    print(f"FAIL: {name} client port {d['client_port']}: {k} {d[k]!r}, nDPI {e[k]!r}")
    for k in KNOWN:
        if k not in seen_known:
            print(f"FAIL: known difference no longer seen: {k}")
            failures += 1
    print(f"{len(files)} captures, {conns} connections ({labelled} labelled): {equal} equal, "
          f"{len(seen_known)} known differences, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
