#!/usr/bin/env python3
"""cert_test.py - server certificate facts (issue 3; RFC 5280, RFC 5246 7.4.2), suite 'cert'.

1. samples/cert-*.pcap (made by scripts/make-cert-samples.sh): every field of NDJSON `cert`
   is compared with `openssl x509 -noout -text -fingerprint -sha256` of samples/cert-*.pem.
   As root with tcpdump available, the script also records fresh captures into a temp dir
   and checks those the same way (set TA_CERT_NO_LIVE=1 to skip).
2. corpus captures: constants taken from tshark (x509sat / x509ce fields) and openssl.
3. zeek__tls-fragmented-handshake.pcap: a ~340 KB leaf over 22 records and many segments;
   over the default cap it is counted (flag cert_capped, chain_len 1), not fatal; with a
   larger --max-cert-bytes it decodes.
usage: cert_test.py TLSAUDIT REPO_ROOT CORPUS_DIR
"""
import datetime
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

tally = Checks(out=sys.stdout)
check = tally.check


def run_json(tool, pcap, *opts):
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([tool, "read", "--db", os.path.join(d, "t.db"), "--json", *opts, pcap],
                             capture_output=True, text=True, check=False)
    if out.returncode not in (0, 3):
        tally.failed.append(f"{pcap}: exit {out.returncode}: {out.stderr.strip()}")
        return []
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def openssl_facts(pem):
    """The same facts, as openssl prints them."""
    text = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-text", "-fingerprint", "-sha256",
                           "-nameopt", "RFC2253"], capture_output=True, text=True, check=True).stdout
    f = {}
    fp = re.search(r"sha256 Fingerprint=([0-9A-F:]+)", text, re.I).group(1)
    f["sha256"] = fp.replace(":", "").lower()

    def cn(line):
        m = re.findall(r"(?:^|,)CN=((?:[^,\\]|\\.)*)", line)
        return m[0] if m else None  # RFC 2253 order: most specific first
    f["subject_cn"] = cn(re.search(r"Subject: (.*)", text).group(1))
    f["issuer_cn"] = cn(re.search(r"Issuer: (.*)", text).group(1))

    def when(s):
        d = datetime.datetime.strptime(s.strip().replace(" GMT", ""), "%b %d %H:%M:%S %Y")
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    f["not_before"] = when(re.search(r"Not Before: (.*)", text).group(1))
    f["not_after"] = when(re.search(r"Not After : (.*)", text).group(1))
    f["sig_alg"] = re.search(r"Signature Algorithm: (\S+)", text).group(1)
    alg = re.search(r"Public Key Algorithm: (\S+)", text).group(1)
    f["key_type"] = {"rsaEncryption": "RSA", "id-ecPublicKey": "EC", "ED25519": "Ed25519"}.get(alg, alg)
    f["key_bits"] = int(re.search(r"Public-Key: \((\d+) bit\)", text).group(1)) if "Public-Key: (" in text else None
    m = re.search(r"ASN1 OID: (\S+)", text)
    f["key_curve"] = m.group(1) if m else None
    sans = []
    m = re.search(r"X509v3 Subject Alternative Name:.*?\n\s*(.*)\n", text)
    if m:
        for part in m.group(1).split(", "):
            kind, _, val = part.partition(":")
            if kind in ("DNS", "IP Address"):
                sans.append(str(ipaddress.ip_address(val)) if kind == "IP Address" else val)
    f["sans"] = sans
    f["self_signed"] = subprocess.run(["openssl", "verify", "-CAfile", pem, "-check_ss_sig", "-no_check_time",
                                       pem], capture_output=True, check=False).returncode == 0
    f["not_after_dt"] = datetime.datetime.strptime(f["not_after"], "%Y-%m-%dT%H:%M:%SZ")
    return f


def check_sample(tool, pcap, pem, want_expired, want_chain):
    recs = run_json(tool, pcap)
    check(len(recs) == 1, f"{pcap}: one connection")
    if not recs:
        return
    c = recs[0]["cert"]
    check(c is not None, f"{pcap}: cert present")
    if c is None:
        return
    o = openssl_facts(pem)
    for k in ("sha256", "subject_cn", "issuer_cn", "not_before", "not_after", "sig_alg", "key_type", "key_bits",
              "key_curve", "self_signed"):
        check(c[k] == o[k], f"{pcap}: {k}: tlsaudit {c[k]!r} openssl {o[k]!r}")
    check(c["sans"] == o["sans"],
          f"{pcap}: sans {c['sans']} vs {o['sans']}")
    ts = datetime.datetime.strptime(recs[0]["ts"][:19], "%Y-%m-%dT%H:%M:%S")
    check(c["expired"] == (ts > o["not_after_dt"]) == want_expired, f"{pcap}: expired {c['expired']}")
    check(c["chain_len"] == want_chain, f"{pcap}: chain_len {c['chain_len']} != {want_chain}")


# name, connection index, fields (tshark: x509sat.printableString / uTF8String / x509ce.dNSName)
CORPUS = [
    ("zeek__tls-expired-cert.pcap", 0, {"subject_cn": "www.spidh.org", "issuer_cn": "COMODO SSL CA",
                                         "sans": ["www.spidh.org", "spidh.org"], "expired": True, "chain_len": 2,
                                         "self_signed": False, "not_after": "2014-03-04T23:59:59Z",
                                         "key_type": "RSA", "key_bits": 2048, "sig_alg": "sha1WithRSAEncryption"}),
    ("zeek__tls-expired-cert.pcap", 1, {"subject_cn": "www.tobu-estate.com",
                                         "issuer_cn": "VeriSign Class 3 Secure Server CA - G3",
                                         "sans": ["www.tobu-estate.com"], "expired": False, "chain_len": 3}),
    ("arkime__ssl-selfsign.pcap", 0, {"subject_cn": "molochftw", "issuer_cn": "molochftw", "sans": [],
                                       "self_signed": True, "chain_len": 1, "key_bits": 1024}),
    ("ndpi__selfsigned.pcap", 0, {"subject_cn": None, "issuer_cn": None, "self_signed": True, "expired": True,
                                   "chain_len": 1, "sig_alg": "sha256WithRSAEncryption"}),
]


def main():
    tool, repo, corpus = sys.argv[1:4]
    samples = os.path.join(repo, "samples")
    check_sample(tool, os.path.join(samples, "cert-selfsigned.pcap"), os.path.join(samples, "cert-selfsigned.pem"),
                 False, 1)
    check_sample(tool, os.path.join(samples, "cert-expired.pcap"), os.path.join(samples, "cert-expired.pem"),
                 True, 2)

    if os.geteuid() == 0 and shutil.which("tcpdump") and not os.environ.get("TA_CERT_NO_LIVE"):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([os.path.join(repo, "scripts", "make-cert-samples.sh"), d], capture_output=True,
                               text=True, check=False)
            check(r.returncode == 0, f"make-cert-samples.sh: {r.stderr.strip()}")
            if r.returncode == 0:
                check_sample(tool, os.path.join(d, "cert-selfsigned.pcap"), os.path.join(d, "cert-selfsigned.pem"),
                             False, 1)
                check_sample(tool, os.path.join(d, "cert-expired.pcap"), os.path.join(d, "cert-expired.pem"),
                             True, 2)
    else:
        print("note: fresh recording skipped (needs root and tcpdump)")

    pcaps = os.path.join(corpus, "pcaps")
    if not os.path.isdir(pcaps):
        print("note: corpus not found, corpus checks skipped")
    else:
        for name, idx, want in CORPUS:
            recs = [r for r in run_json(tool, os.path.join(pcaps, name)) if r["cert"]]
            check(len(recs) > idx, f"{name}: connection {idx} with a cert")
            if len(recs) <= idx:
                continue
            c = recs[idx]["cert"]
            for k, v in want.items():
                check(c[k] == v, f"{name}[{idx}]: {k}: {c[k]!r} != {v!r}")
        frag = os.path.join(pcaps, "zeek__tls-fragmented-handshake.pcap")
        capped = run_json(tool, frag)
        check(len(capped) == 1 and capped[0]["cert"] is None and "cert_capped" in capped[0]["flags"],
              f"{frag}: default cap: counted")
        recs = run_json(tool, frag, "--max-cert-bytes", "1000000")
        # not fatal: apart from cert and its flag and anomaly, the capped connection reads the same
        if len(capped) == 1 and len(recs) == 1:
            a = {k: v for k, v in capped[0].items() if k not in ("cert", "flags", "anomalies")}
            b = {k: v for k, v in recs[0].items() if k not in ("cert", "flags", "anomalies")}
            check("cert_capped" in capped[0]["anomalies"] and "cert_sans_capped" in recs[0]["anomalies"],
                  f"{frag}: anomalies say what was capped")
            check(a == b, f"{frag}: the cap changed other fields")
        ok = len(recs) == 1 and recs[0]["cert"] is not None
        check(ok, f"{frag}: decodes with a larger cap")
        if ok:
            c = recs[0]["cert"]
            check(c["subject_cn"] == "Bro" and c["chain_len"] == 1 and len(c["sans"]) == 64
                  and c["sans"][0] == "1.alt.helloIamADomain.example" and "cert_capped" not in recs[0]["flags"],
                  f"{frag}: leaf facts {c['subject_cn']} {c['chain_len']} {len(c['sans'])}")
    if tally.failures:
        print(f"{tally.failures} failure(s)")
        return 1
    print("cert: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
