#!/usr/bin/env python3
"""ja3_check.py - our JA3 and JA3S against tshark's, and nDPI's JA3 against ours.

For every capture of the corpus, tshark (run now, as the second opinion)
gives tls.handshake.ja3 of each ClientHello and tls.handshake.ja3s of each
ServerHello; the first of each per TCP connection must equal tlsaudit's `ja3`
/ `ja3s`. nDPI's own JA3 (`ndpi_ja3`) is compared too, and every disagreement
is printed with its reason class; they are documented in the README, not
failures (nDPI keeps the last ClientHello's JA3, and caps long cipher lists).
usage: ja3_check.py --tool TLSAUDIT --corpus DIR"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile


def tshark_fps(pcap):
    """{(src, sport, dst, dport): (first ja3, first ja3s)} keyed by the client's side"""
    out = subprocess.run(["tshark", "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", pcap, "-Y", "tls.handshake.type == 1 || tls.handshake.type == 2",
                          "-T", "fields", "-E", "occurrence=l", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
                          "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tls.handshake.type",
                          "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3s"],
                         capture_output=True, text=True, timeout=120).stdout
    fps = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 9:
            continue
        # innermost addresses (6in4, VXLAN): the last occurrence; IPv6 wins over an outer IPv4
        src, sport, dst, dport = f[1] or f[0], f[2], f[4] or f[3], f[5]
        if not sport or not dport:
            continue
        types = f[6].split(",")
        if "1" in types and f[7]:
            fps.setdefault((src, int(sport), dst, int(dport)), [None, None])
            if fps[(src, int(sport), dst, int(dport))][0] is None:
                fps[(src, int(sport), dst, int(dport))][0] = f[7]
        if "2" in types and f[8]:
            # the last ServerHello: a HelloRetryRequest comes first and is not the server's choice
            k = (dst, int(dport), src, int(sport))
            fps.setdefault(k, [None, None])
            fps[k][1] = f[8]
    return fps


# Differences explained from the bytes (file, client port, field): why.
EXPLAINED = {
    ("ndpi__tls_cipher_lens.pcap", 51591, "ja3"):
        "the ClientHello is malformed (cipher_suites length 0x0023 is odd); tlsaudit does not fingerprint "
        "a hello it cannot parse, tshark hashes what it read",
    ("ndpi__tls_invalid_reads.pcap", 3967, "ja3"):
        "frame 4: compression_methods length 0 (below the minimum 1) and one stray byte where the "
        "extensions length should be; tshark's ja3_full stops after the ciphers ('769,4-5-...-37,'), "
        "tlsaudit reads 'no extensions' and emits the standard empty fields ('769,4-5-...-37,,,')",
    ("suricata-verify__tls13-draft14__tls13_draft14.pcap", 54049, "ja3s"):
        "pre-draft-16 ServerHello without legacy_session_id: tshark parses it with the RFC 8446 layout "
        "and reads a bogus cipher (0xacad, see MANIFEST's manual override); tlsaudit reads c0 2b",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--corpus", required=True)
    a = ap.parse_args()
    pcaps = sorted(glob.glob(os.path.join(a.corpus, "pcaps", "*")))
    if not pcaps:
        sys.exit(f"no captures under {a.corpus}/pcaps")
    tmp = tempfile.mkdtemp(prefix="ja3-")
    n = ok = n3s = ok3s = nd_same = nd_diff = 0
    bad = []
    for p in pcaps:
        db = os.path.join(tmp, os.path.basename(p) + ".db")
        r = subprocess.run([a.tool, "read", "--db", db, "--json", p], capture_output=True, text=True, timeout=120)
        ours = {}
        for line in r.stdout.splitlines():
            o = json.loads(line)
            ours[(o["client_ip"], o["client_port"], o["server_ip"], o["server_port"])] = o
        for k, (ja3, ja3s) in tshark_fps(p).items():
            o = ours.get(k)
            if o is None:
                continue  # connections we do not see as TLS are the conformance test's business
            name = os.path.basename(p)
            if ja3:
                n += 1
                if o.get("ja3") == ja3:
                    ok += 1
                elif (name, k[1], "ja3") in EXPLAINED:
                    print(f"EXPLAINED {name} {k}: ja3: {EXPLAINED[(name, k[1], 'ja3')]}")
                else:
                    bad.append(f"{name} {k}: ja3 tshark={ja3} ours={o.get('ja3')}")
            if ja3s and o.get("negotiated_version") not in (None, "SSL 2.0"):
                n3s += 1
                if o.get("ja3s") == ja3s:
                    ok3s += 1
                elif (name, k[1], "ja3s") in EXPLAINED:
                    print(f"EXPLAINED {name} {k}: ja3s: {EXPLAINED[(name, k[1], 'ja3s')]}")
                else:
                    bad.append(f"{name} {k}: ja3s tshark={ja3s} ours={o.get('ja3s')}")
        for o in ours.values():
            if o.get("ndpi_ja3") and o.get("ja3"):
                if o["ndpi_ja3"] == o["ja3"]:
                    nd_same += 1
                else:
                    nd_diff += 1
                    print(f"nDPI differs: {os.path.basename(p)} {o['client_ip']}:{o['client_port']} ours={o['ja3']} nDPI={o['ndpi_ja3']} flags={o['flags']}")
    for b in bad:
        print("MISMATCH", b)
    print(f"ja3: {ok}/{n} match tshark; ja3s: {ok3s}/{n3s} match tshark (the rest explained above); "
          f"nDPI's JA3 agrees on {nd_same}, differs on {nd_diff}")
    sys.exit(1 if bad or n == 0 else 0)


if __name__ == "__main__":
    main()
