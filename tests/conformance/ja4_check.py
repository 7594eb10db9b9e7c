#!/usr/bin/env python3
"""ja4_check.py - compare tlsaudit's JA4 with FoxIO's expected JA4 outputs for its own captures.

Usage: ja4_check.py --tool TLSAUDIT --corpus DIR

For each DIR/ja4/*.json (FoxIO python/test/testdata expectations, one entry per
ClientHello: client/server address and port, hello 1 = first ClientHello,
2 = the ClientHello sent after a HelloRetryRequest), runs
`TLSAUDIT read --db TMP --json DIR/pcaps/<capture>` and matches the NDJSON
objects by (client_ip, client_port, server_ip, server_port). hello 1 entries
are compared with the field `ja4`, hello 2 entries with `ja4_hrr`.
Prints each mismatch, then "ja4: N/M match". Exit status: 0 all match,
1 any mismatch (or a run of the tool failed), 2 bad usage or missing corpus.
"""
import argparse
import glob
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

FIELD = {1: "ja4", 2: "ja4_hrr"}
TOOL_OK = (0, 3)  # 3: input cut mid-packet; connections before the damage are still reported


def norm_ip(s):
    try:
        return ipaddress.ip_address(s).compressed
    except (ValueError, TypeError):
        return str(s)


def conn_key(o):
    return (norm_ip(o.get("client_ip")), int(o.get("client_port", -1)),
            norm_ip(o.get("server_ip")), int(o.get("server_port", -1)))


def run_tool(tool, pcap, tmpdir):
    """Returns (list of NDJSON objects, error string or None)."""
    db = os.path.join(tmpdir, "ja4_check.db")
    if os.path.exists(db):
        os.unlink(db)
    try:
        p = subprocess.run([tool, "read", "--db", db, "--json", pcap], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [], f"cannot run {tool}: {e}"
    objs = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            objs.append(json.loads(line))
        except json.JSONDecodeError as e:
            return objs, f"bad NDJSON line ({e}): {line[:120]}"
    if p.returncode not in TOOL_OK:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        return objs, f"exit status {p.returncode}: {err[-1] if err else ''}"
    return objs, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tool", required=True, help="tlsaudit executable")
    ap.add_argument("--corpus", required=True, help="corpus directory holding ja4/ and pcaps/")
    args = ap.parse_args()

    files = sorted(glob.glob(os.path.join(args.corpus, "ja4", "*.json")))
    if not files:
        print(f"ja4_check: no {os.path.join(args.corpus, 'ja4', '*.json')}", file=sys.stderr)
        return 2

    total = matched = 0
    with tempfile.TemporaryDirectory(prefix="ja4_check.") as tmpdir:
        for jf in files:
            with open(jf, encoding="utf-8") as f:
                spec = json.load(f)
            entries = spec.get("ja4", [])
            if not entries:
                continue
            pcap = os.path.join(args.corpus, "pcaps", os.path.basename(spec["capture"]))
            name = os.path.basename(pcap)
            objs, err = run_tool(args.tool, pcap, tmpdir)
            if err:
                print(f"{name}: {err}")
            by_key = {}
            for o in objs:
                try:
                    by_key.setdefault(conn_key(o), []).append(o)
                except (TypeError, ValueError):
                    continue
            for e in entries:
                total += 1
                hello = int(e.get("hello", 1))
                field = FIELD.get(hello)
                key = conn_key(e)
                where = f"{name} {e['client_ip']}:{e['client_port']} -> {e['server_ip']}:{e['server_port']} hello {hello}"
                if field is None:
                    print(f"{where}: unknown hello number")
                    continue
                cands = by_key.get(key, [])
                if not cands:
                    print(f"{where}: connection not reported")
                    continue
                got = [o.get(field) for o in cands]
                if e["ja4"] in got:
                    matched += 1
                else:
                    shown = ", ".join("missing" if g is None else str(g) for g in got)
                    print(f"{where}: {field} {shown}, want {e['ja4']}")
    print(f"ja4: {matched}/{total} match")
    return 0 if matched == total else 1


if __name__ == "__main__":
    sys.exit(main())
