#!/usr/bin/env python3
"""tshark-diff.py - differential check: tlsaudit against tshark, connection by connection.

usage: scripts/tshark-diff.py [options] CAPTURE_OR_DIR...

Runs `tlsaudit read --json --db <tmp> CAPTURE` and tshark on every capture given
(directories are searched for *.pcap, *.pcapng, *.cap, *.pcap.gz is not read), matches
the connections on their 4-tuple and lists every field where the two disagree:
sni, client_legacy_version, client_supported_versions, negotiated_version, cipher,
alert, alert_level, alert_sender, established (only where tshark can tell: not for a
capture that ends mid-handshake or sees one direction), hello_retry_request, resumed,
starttls (only the protocols tshark recognises: smtp, imap, pop3, ftp, ldap), and the
client/server roles. A summary at the end counts captures, connections, fields compared
and disagreements by field.

tshark's view is derived by tests/golden/tshark_expect.py (the rules of the corpus
MANIFEST: client = ClientHello sender, negotiated version from the last non-HRR
ServerHello with supported_versions deciding, first plaintext alert, ...). tshark
dissects VLAN, MPLS, PPPoE, GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP-in-IP and the other
tunnels by itself; STARTTLS only on the standard ports of SMTP, IMAP, POP3, FTP, LDAP.
Where the default tshark pass sees less than tlsaudit (a connection or a hello missing),
two more passes are made, as the corpus MANIFEST does: `-o tcp.reassemble_out_of_order:TRUE`
and `-o tcp.analyze_sequence_numbers:FALSE`; per connection the most complete view is
kept and named in the output ([tcp.reassemble_out_of_order:TRUE]). For TLS on a port
tshark does not expect (TLS on 80, 8443, a proxy...), it needs a hint: every connection
tlsaudit found and tshark still did not is looked for in a last pass with
`-o tcp.try_heuristic_first:TRUE -d tcp.port==P,tls` for those server ports
(--no-decode-as turns this off; such connections are marked [decode-as]).

options:
  --tool PATH        tlsaudit binary (default build/src/cli/tlsaudit)
  --tshark-opt OPT   one more tshark argument for every pass (repeat; e.g.
                     --tshark-opt=-d --tshark-opt=tcp.port==9999,tls)
  --no-decode-as     no second tshark pass
  -j, --jobs N       captures at a time (default 2)
  -v, --verbose      list agreeing captures too
  --json FILE        also write every disagreement as JSON (for scripts)
Connections tlsaudit reports without any TLS hello or alert (a refused STARTTLS, a
connection closed before its ClientHello) have nothing tshark could say; they are
counted apart ("no-tls", listed with -v), not as disagreements.
  --timeout S        per tlsaudit run (default 60)
Exit status: 0 no disagreement, 1 some, 2 usage or a tool failure.
Standard library only; needs tshark (tested with 4.0.17).
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
import tshark_expect  # noqa: E402  (tshark's view, the derivation of our golden files)
import compare  # noqa: E402  (field rules and the tool runner of the conformance comparison)

EXTS = (".pcap", ".pcapng", ".cap")
TSHARK_STARTTLS = {"smtp", "imap", "pop3", "ftp", "ldap"}   # what tshark_expect can recognise
FIELDS = ["role", "sni", "client_legacy_version", "client_supported_versions", "negotiated_version", "cipher",
          "alert", "alert_level", "alert_sender", "established", "hello_retry_request", "resumed", "starttls"]


def captures(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            for d, _, files in sorted(os.walk(p)):
                out += [os.path.join(d, f) for f in sorted(files) if f.lower().endswith(EXTS)]
        else:
            out.append(p)
    return out


def saw_tls(o: dict) -> bool:
    """did tlsaudit see any TLS hello or alert in this connection? (a refused STARTTLS has none)"""
    return any(o.get(f) for f in ("client_legacy_version", "negotiated_version", "alert", "server_legacy_version"))


# tshark passes after the default one, as the corpus MANIFEST derives its truth: TCP reassembly
# of out-of-order segments, and no sequence analysis (it hides retransmitted hellos)
EXTRA_PASSES = [["-o", "tcp.reassemble_out_of_order:TRUE"], ["-o", "tcp.analyze_sequence_numbers:FALSE"]]
VIEW_FIELDS = ("client_legacy_version", "negotiated_version", "cipher", "sni", "alert")


def completeness(c: dict) -> int:
    return sum(c.get(f) is not None for f in VIEW_FIELDS) + (c.get("established") is not None)


def by_key(conns: list[dict]) -> dict:
    out = {}
    for c in conns:
        out.setdefault(compare.key(c), c)
    return out


def tshark_view(pcap: str, opts: list[str], ours: list[dict], decode_as: bool):
    """tshark's connections. The default pass; where it has less than tlsaudit (a connection or a
    hello missing), the passes of EXTRA_PASSES, keeping per connection the most complete view;
    for connections still missing, a pass with decode-as hints for their server ports.
    Returns (connections, ports hinted)."""
    conns = tshark_expect.expect(pcap, extra_opts=opts)["connections"]
    ours_by = {compare.key(o): o for o in ours if saw_tls(o)}

    def gaps(cs):
        have = by_key(cs)
        have.update({compare.key(c, swapped=True): c for c in cs})
        for k, o in ours_by.items():
            t = have.get(k)
            if t is None or any(t.get(f) is None and o.get(f) is not None for f in VIEW_FIELDS):
                return True
        return False

    if gaps(conns):
        best = by_key(conns)
        for extra in EXTRA_PASSES:
            for c in tshark_expect.expect(pcap, extra_opts=opts + extra)["connections"]:
                k = compare.key(c)
                if k not in best or completeness(c) > completeness(best[k]):
                    c["tshark_option"] = " ".join(extra)
                    best[k] = c
        conns = list(best.values())
    seen = {compare.key(c) for c in conns} | {compare.key(c, swapped=True) for c in conns}
    ports = sorted({int(o["server_port"]) for k, o in ours_by.items() if k is not None and k not in seen})
    if not decode_as or not ports:
        return conns, []
    hint = opts + ["-o", "tcp.try_heuristic_first:TRUE"]
    for p in ports:
        hint += ["-d", f"tcp.port=={p},tls"]
    for c in tshark_expect.expect(pcap, extra_opts=hint)["connections"]:
        if compare.key(c) not in seen and compare.key(c, swapped=True) not in seen:
            c["tshark_option"] = "decode-as"
            conns.append(c)
    return conns, ports


def tshark_values(t: dict) -> dict:
    """the fields tshark can tell, in the form compare.py compares them"""
    v = compare.expected_values(t, False)
    v.pop("outcome", None)
    if t.get("established") is None:
        v.pop("established", None)        # one direction only, or the capture ends mid-handshake
    return v


def diff_capture(args, pcap: str) -> dict:
    res = {"capture": pcap, "error": None, "ours": 0, "tshark": 0, "matched": 0, "fields": 0,
           "diffs": [], "only_ours": [], "only_tshark": [], "no_tls": [], "decode_as_ports": []}
    ours, err = compare.run_tool(args.tool, pcap, args.timeout)
    res["ours"] = len(ours)
    if err:
        res["error"] = f"tlsaudit: {err}"
    try:
        theirs, res["decode_as_ports"] = tshark_view(pcap, args.tshark_opt, ours, args.decode_as)
    except (RuntimeError, ValueError) as e:
        why = " ".join(l for l in str(e).splitlines() if not l.startswith("Running as user"))
        res["error"] = (res["error"] + "; " if res["error"] else "") + f"tshark: {why}"
        return res
    res["tshark"] = len(theirs)
    pool: dict = collections.defaultdict(list)
    for o in ours:
        pool[compare.key(o)].append(o)
    for t in theirs:
        k = compare.key(t)
        tup = f"{k[0]}:{k[1]} -> {k[2]}:{k[3]}"
        o, swapped = (pool[k].pop(0), False) if pool.get(k) else (None, False)
        if o is None and pool.get(compare.key(t, swapped=True)):
            o, swapped = pool[compare.key(t, swapped=True)].pop(0), True
        if o is None:
            res["only_tshark"].append({"conn": tup, "negotiated_version": t.get("negotiated_version"),
                                       "alert": t.get("alert"), "note": t.get("tshark_option")})
            continue
        res["matched"] += 1
        note = t.get("tshark_option")
        if swapped:
            res["diffs"].append({"conn": tup, "field": "role", "tlsaudit": "swapped", "tshark": "client " + tup,
                                 "note": note})
        for f, tv in tshark_values(t).items():
            if f == "starttls" and tv is None and o.get("starttls") not in TSHARK_STARTTLS:
                continue                  # a protocol tshark_expect does not recognise
            res["fields"] += 1
            ov = compare.our_value(o, f)
            if not compare.same(f, tv, ov):
                res["diffs"].append({"conn": tup, "field": f, "tlsaudit": ov, "tshark": tv, "note": note})
    for k, rest in pool.items():
        for o in rest:
            rec = {"conn": f"{k[0]}:{k[1]} -> {k[2]}:{k[3]}" if k else "?",
                   "negotiated_version": o.get("negotiated_version"), "outcome": o.get("outcome")}
            res["only_ours" if saw_tls(o) else "no_tls"].append(rec)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 usage="%(prog)s [options] CAPTURE_OR_DIR...")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--tool", default=os.path.join(ROOT, "build", "src", "cli", "tlsaudit"))
    ap.add_argument("--tshark-opt", action="append", default=[])
    ap.add_argument("--no-decode-as", dest="decode_as", action="store_false")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()
    if not (os.path.isfile(args.tool) and os.access(args.tool, os.X_OK)):
        print(f"tshark-diff: {args.tool} is not an executable (build first, or give --tool)", file=sys.stderr)
        return 2
    args.tool = os.path.abspath(args.tool)
    files = captures(args.paths)
    if not files:
        print("tshark-diff: no captures found", file=sys.stderr)
        return 2
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(lambda p: diff_capture(args, p), files))

    by_field: collections.Counter = collections.Counter()
    tot = collections.Counter()
    errors = 0
    for r in results:
        for k in ("ours", "tshark", "matched", "fields"):
            tot[k] += r[k]
        tot["only_ours"] += len(r["only_ours"])
        tot["only_tshark"] += len(r["only_tshark"])
        tot["no_tls"] += len(r["no_tls"])
        by_field.update(d["field"] for d in r["diffs"])
        errors += bool(r["error"])
        quiet = not (r["diffs"] or r["only_ours"] or r["only_tshark"] or r["error"])  # no_tls is no disagreement
        if quiet and not args.verbose:
            continue
        hint = f", tshark decode-as for port(s) {','.join(map(str, r['decode_as_ports']))}" if r["decode_as_ports"] else ""
        print(f"== {r['capture']}: tlsaudit {r['ours']}, tshark {r['tshark']} connection(s), {r['matched']} matched, "
              f"{len(r['diffs'])} disagreement(s){hint}")
        if r["error"]:
            print(f"  ERROR {r['error']}")
        for d in r["diffs"]:
            note = f"  [{d['note']}]" if d.get("note") else ""
            print(f"  {d['conn']}  {d['field']}: tlsaudit={json.dumps(d['tlsaudit'])} tshark={json.dumps(d['tshark'])}"
                  f"{note}")
        for o in r["only_ours"]:
            print(f"  only-tlsaudit {o['conn']} (negotiated {o['negotiated_version']}, outcome {o['outcome']}): "
                  "tshark shows no hello or alert for it")
        for o in r["no_tls"] if args.verbose else []:
            print(f"  no-tls {o['conn']} (outcome {o['outcome']}): a connection without TLS bytes, reported by "
                  "tlsaudit only (not a disagreement)")
        for t in r["only_tshark"]:
            print(f"  only-tshark {t['conn']} (negotiated {t['negotiated_version']}, alert {t['alert']})"
                  f"{' [' + t['note'] + ']' if t['note'] else ''}: not in tlsaudit's output")
    ndiff = sum(by_field.values())
    print(f"captures: {len(files)} ({errors} with a tool error)")
    print(f"connections: tshark {tot['tshark']}, tlsaudit {tot['ours']}, matched {tot['matched']}, "
          f"only tlsaudit {tot['only_ours']}, only tshark {tot['only_tshark']}; "
          f"{tot['no_tls']} more seen by tlsaudit without any TLS bytes (e.g. a refused STARTTLS)")
    print(f"fields compared: {tot['fields']}; disagreements: {ndiff}")
    for f in FIELDS:
        if by_field[f]:
            print(f"  {f}: {by_field[f]}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    if errors:
        return 2
    return 1 if ndiff or tot["only_ours"] or tot["only_tshark"] else 0


if __name__ == "__main__":
    sys.exit(main())
