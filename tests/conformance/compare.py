#!/usr/bin/env python3
"""Compare tlsaudit's NDJSON output with tshark-derived ground truth.

usage: compare.py --tool PATH_TO_TLSAUDIT --corpus DIR [--only FILE] [--known FILE]
                  [--starttls plain|all] [--timeout 30] [--jobs N] [--compare-ts]

DIR holds expected/*.json (corpus format, see /work/shared/corpus/MANIFEST.md).
The capture for an expected file is found from its capture.file entry, tried as
DIR/<file>, DIR/pcaps/<basename>, then <ancestor of DIR>/<file> and
<ancestor>/samples/<basename>. That covers both layouts:
  * the corpus:   --corpus /work/shared/corpus   (pcaps/ + expected/)
  * our goldens:  --corpus tests/golden          (expected/ here, captures in samples/)

For every expected file the tool is run as `TOOL read --db <tmp>/x.db --json <pcap>`
(fresh temp dir each time, 30 s timeout). Its stdout must be NDJSON, one object
per connection. Connections are matched on (client_ip, client_port, server_ip,
server_port); if ours has the endpoints swapped it is matched anyway and a
`role` mismatch is reported. Fields compared when the expected connection has them:
  sni, client_legacy_version, client_supported_versions (expected GREASE entries
  dropped), negotiated_version, cipher, alert, established (expected null counts
  as false), starttls, alert_level, alert_sender, hello_retry_request (expected:
  feature "hello_retry_request"), resumed (expected: any feature "resumed_*";
  ours: true/false or a non-empty string such as "session_id"), outcome (only
  expected files that carry an "outcome" key have it compared, e.g. the hand-written
  tests/golden/expected/smtp-starttls-refused.pcap.json; the corpus has none).
  With --compare-ts also ts (only our goldens carry it).
By default only connections whose expected starttls is null are counted
(--starttls all counts STARTTLS connections too).

--known FILE: JSON list of {file, client_port, field, expected, ours, why}. A
mismatch on that file/port/field is reported as EXPLAINED (with the why) instead
of failing, provided `expected`/`ours` (when given) equal the actual values.
Entries that match nothing are listed as STALE (warning only).

Output: one line per problem, then
  conformance: N/M connections match on all fields (K explained), F fields compared
N counts connections whose every field matches or is explained, K of them needed
at least one explanation. Exit 1 on any unexplained mismatch, missing connection
or tool failure (crash, timeout, non-JSON output); connections we emit that are
not expected are listed as EXTRA and do not fail. Exit 2 on usage errors.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import glob
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile

FIELDS = ["sni", "client_legacy_version", "client_supported_versions", "negotiated_version", "cipher",
          "alert", "established", "starttls", "alert_level", "alert_sender", "hello_retry_request", "resumed",
          "outcome"]


def resolve_pcap(corpus: str, doc: dict, json_path: str) -> str | None:
    cap = doc.get("capture") or {}
    rel = cap.get("file") or os.path.basename(json_path)[: -len(".json")]
    base = os.path.basename(rel)
    cands = [os.path.join(corpus, rel), os.path.join(corpus, "pcaps", base),
             os.path.join(os.path.dirname(os.path.dirname(json_path)), "pcaps", base)]
    d = os.path.abspath(corpus)
    while True:
        cands += [os.path.join(d, rel), os.path.join(d, "samples", base)]
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    for c in cands:
        if os.path.isfile(c):
            return c
    return None


def run_tool(tool: str, pcap: str, timeout: float):
    """Return (connections, error). error is None when the run was clean."""
    with tempfile.TemporaryDirectory(prefix="tlsaudit-conf.") as tmp:
        cmd = [tool, "read", "--db", os.path.join(tmp, "x.db"), "--json", pcap]
        try:
            # own process group, so a timeout also ends anything the tool started
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as e:
            return [], f"cannot run tool: {e}"
        try:
            out, errout = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.communicate()
            return [], f"timeout after {timeout:g} s"
        p.stdout, p.stderr = out, errout
    conns, bad = [], []
    text = p.stdout.decode("utf-8", errors="replace")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            bad.append(n)
            continue
        if not isinstance(obj, dict):
            bad.append(n)
            continue
        conns.append(obj)
    errs = []
    if p.returncode != 0:
        sig = f" (signal {-p.returncode})" if p.returncode < 0 else ""
        tail = p.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        errs.append(f"exit status {p.returncode}{sig}: {tail[0][:200]}")
    if bad:
        errs.append(f"{len(bad)} non-JSON stdout line(s), first at line {bad[0]}")
    return conns, ("; ".join(errs) or None)


def key(c: dict, swapped=False):
    try:
        k = (str(c["client_ip"]), int(c["client_port"]), str(c["server_ip"]), int(c["server_port"]))
    except (KeyError, TypeError, ValueError):
        return None
    return (k[2], k[3], k[0], k[1]) if swapped else k


def truthy_resumed(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() not in ("", "no", "none", "false", "0")
    return bool(v)


def expected_values(e: dict, compare_ts: bool) -> dict:
    out = {}
    for f in ["sni", "client_legacy_version", "negotiated_version", "cipher", "alert", "starttls",
              "alert_level", "alert_sender", "outcome"]:
        if f in e:
            out[f] = e[f]
    if "client_supported_versions" in e:
        out["client_supported_versions"] = [v for v in (e["client_supported_versions"] or [])
                                            if not str(v).startswith("GREASE")]
    if "established" in e:
        out["established"] = bool(e["established"])
    if "features" in e:
        feats = e.get("features") or []
        out["hello_retry_request"] = "hello_retry_request" in feats
        out["resumed"] = any(str(f).startswith("resumed_") for f in feats)
    if compare_ts and "ts" in e:
        out["ts"] = e["ts"]
    return out


def our_value(o: dict, f: str):
    v = o.get(f)
    if f == "resumed":
        return truthy_resumed(v)
    if f == "hello_retry_request":
        return bool(v) if isinstance(v, bool) or v is None else v
    return v


def same(f: str, exp, ours) -> bool:
    if f == "cipher" and isinstance(exp, str) and isinstance(ours, str) and exp.lower().startswith("0x"):
        return exp.lower() == ours.lower()
    return exp == ours


class Known:
    def __init__(self, path: str | None):
        self.entries = []
        self.used = set()
        if not path:
            return
        with open(path) as f:
            data = json.load(f)
        if not isinstance(data, list):
            raise ValueError(f"{path}: must be a JSON list")
        for i, e in enumerate(data):
            miss = [k for k in ("file", "client_port", "field", "why") if k not in e]
            if miss or not str(e.get("why", "")).strip():
                raise ValueError(f"{path}: entry {i} lacks {miss or ['why']}")
            self.entries.append(e)

    def explain(self, fname: str, pcapname: str, port, field: str, exp, ours):
        for i, e in enumerate(self.entries):
            if e["file"] not in (fname, pcapname) or e["field"] != field:
                continue
            if int(e["client_port"]) != int(port):
                continue
            if "expected" in e and e["expected"] != exp:
                continue
            if "ours" in e and e["ours"] != ours:
                continue
            self.used.add(i)
            return e["why"]
        return None


def compare_file(args, jpath: str):
    """Return dict with lines, counters."""
    fname = os.path.basename(jpath)
    res = {"file": fname, "lines": [], "total": 0, "ok": 0, "explained": 0, "fields": 0, "fail": False,
           "extra": 0}
    try:
        with open(jpath) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        res["lines"].append(f"BAD-EXPECTED {fname}: {e}")
        res["fail"] = True
        return res
    all_conns = doc.get("connections", [])
    exp_conns = [c for c in all_conns if args.starttls == "all" or c.get("starttls") is None]
    # connections left out by --starttls plain: ours for them are neither compared nor EXTRA
    skipped = {key(c) for c in all_conns if c not in exp_conns}
    skipped |= {key(c, swapped=True) for c in all_conns if c not in exp_conns}
    pcap = resolve_pcap(args.corpus, doc, jpath)
    res["pcap"] = pcap
    res["total"] = len(exp_conns)
    if pcap is None:
        res["lines"].append(f"NO-PCAP {fname}: capture {doc.get('capture', {}).get('file')} not found")
        res["fail"] = True
        return res
    pname = os.path.basename(pcap)
    want_sha = (doc.get("capture") or {}).get("sha256")
    if want_sha:
        with open(pcap, "rb") as f:
            got_sha = hashlib.sha256(f.read()).hexdigest()
        if got_sha != want_sha:
            res["lines"].append(f"STALE-EXPECTED {fname}: {pcap} sha256 {got_sha[:12]}.. differs from the "
                                f"expected file's {want_sha[:12]}.. (regenerate the expected file)")
            res["fail"] = True
    ours, err = run_tool(args.tool, pcap, args.timeout)
    if err:
        res["lines"].append(f"TOOL-FAILURE {fname}: {err}")
        res["fail"] = True
    pool: dict = {}
    for o in ours:
        k = key(o)
        if k is None:
            res["lines"].append(f"BAD-RECORD {fname}: connection without a usable 4-tuple: {json.dumps(o)[:200]}")
            res["fail"] = True
            continue
        if k in skipped:
            continue
        pool.setdefault(k, []).append(o)
    for e in exp_conns:
        k = key(e)
        tup = f"{k[0]}:{k[1]} -> {k[2]}:{k[3]}"
        mism = []
        o = pool.get(k, [None])[0] if pool.get(k) else None
        if o is not None:
            pool[k].pop(0)
        else:
            sk = key(e, swapped=True)
            if pool.get(sk):
                o = pool[sk].pop(0)
                mism.append(("role", f"client {k[0]}:{k[1]}", f"client {sk[0]}:{sk[1]} (swapped)"))
        if o is None:
            if not err:
                res["lines"].append(f"MISSING {fname} {tup}: connection not in our output")
            res["fail"] = True
            continue
        for f, ev in expected_values(e, args.compare_ts).items():
            res["fields"] += 1
            ov = our_value(o, f)
            if not same(f, ev, ov):
                mism.append((f, ev, ov))
        unexplained, explained = [], []
        for f, ev, ov in mism:
            why = args.known.explain(fname, pname, k[1], f, ev, ov)
            (explained if why else unexplained).append((f, ev, ov, why))
        for f, ev, ov, why in explained:
            res["lines"].append(f"EXPLAINED {fname} {tup} {f}: expected={json.dumps(ev)} ours={json.dumps(ov)}"
                                f"  why: {why}")
        for f, ev, ov, _ in unexplained:
            res["lines"].append(f"MISMATCH {fname} {tup} {f}: expected={json.dumps(ev)} ours={json.dumps(ov)}")
        if unexplained:
            res["fail"] = True
        else:
            res["ok"] += 1
            if explained:
                res["explained"] += 1
    if err:            # a crashed / garbage-printing run counts as failed for all its connections
        res["ok"] = res["explained"] = 0
    for k, rest in pool.items():
        for o in rest:
            res["extra"] += 1
            res["lines"].append(f"EXTRA {fname} {k[0]}:{k[1]} -> {k[2]}:{k[3]}: not in expected "
                                f"(neg={o.get('negotiated_version')}, outcome={o.get('outcome')})")
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--only", action="append", default=[],
                    help="expected json or capture name (basename), may repeat")
    ap.add_argument("--known", default=None)
    ap.add_argument("--starttls", choices=["plain", "all"], default="plain")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--jobs", "-j", type=int, default=1)
    ap.add_argument("--compare-ts", action="store_true")
    ap.add_argument("--quiet", "-q", action="store_true", help="do not list EXTRA connections")
    args = ap.parse_args()
    if not (os.path.isfile(args.tool) and os.access(args.tool, os.X_OK)):
        print(f"compare.py: tool {args.tool} is not an executable file", file=sys.stderr)
        return 2
    args.tool = os.path.abspath(args.tool)
    files = sorted(glob.glob(os.path.join(args.corpus, "expected", "*.json")))
    if args.only:
        want = {os.path.basename(w) for w in args.only}
        files = [f for f in files if os.path.basename(f) in want
                 or os.path.basename(f)[: -len(".json")] in want
                 or os.path.splitext(os.path.basename(f)[: -len(".json")])[0] in want]
    if not files:
        print(f"compare.py: no expected/*.json under {args.corpus} (after --only)", file=sys.stderr)
        return 2
    try:
        args.known = Known(args.known)
    except (OSError, ValueError) as e:
        print(f"compare.py: cannot read known differences: {e}", file=sys.stderr)
        return 2
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(lambda f: compare_file(args, f), files))
    tot = ok = expl = fields = 0
    failed = False
    for r in results:
        for line in r["lines"]:
            if args.quiet and line.startswith("EXTRA"):
                continue
            print(line)
        tot += r["total"]
        ok += r["ok"]
        expl += r["explained"]
        fields += r["fields"]
        failed |= r["fail"]
    for i, e in enumerate(args.known.entries):
        if i not in args.known.used and any(os.path.basename(f) == e["file"] or
                                            os.path.basename(f)[: -len(".json")] == e["file"] for f in files):
            print(f"STALE known difference (matched nothing): {json.dumps(e)}")
    print(f"conformance: {ok}/{tot} connections match on all fields ({expl} explained), {fields} fields compared")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
