#!/usr/bin/env python3
"""Derive per-connection TLS ground truth from a capture WITH TSHARK (not tlsaudit).

The output has the same shape as /work/shared/corpus/expected/*.json (see that
corpus' MANIFEST.md): a top-level object with `capture`, `derived_with` and a
`connections` list, each connection carrying client_ip, client_port, server_ip,
server_port, sni, client_legacy_version, client_supported_versions (GREASE kept
as "GREASE (0x1a1a)", like the corpus), negotiated_version, cipher, alert,
established, starttls, tcp_stream, cipher_id,
server_legacy_version, alert_level, alert_sender, features, plus `ts` (first
packet of the TCP connection, RFC 3339 UTC with microseconds).

Rules (same as the corpus MANIFEST):
  * client = sender of the first ClientHello, else receiver of a ServerHello,
    else sender of the SYN.
  * sni / client_legacy_version / client_supported_versions: first ClientHello.
  * negotiated_version: last non-HelloRetryRequest ServerHello, its
    supported_versions value if present, else its legacy_version.
  * cipher: that ServerHello's suite, Wireshark's value string (IANA name),
    "0xC0FF" style when tshark has no name.
  * alert: first PLAINTEXT alert in either direction (encrypted alerts only set
    feature encrypted_alert).
  * established: TLS <= 1.2: both sides sent ChangeCipherSpec after the
    ServerHello with no fatal alert before; TLS 1.3: the client sent an
    encrypted record after the ServerHello with no fatal alert before.
    false: fatal alert, or the connection was closed (FIN/RST) before that.
    null: only one direction captured, or the capture ends mid-handshake.
  * features: hello_retry_request, resumed_psk (TLS 1.3 ServerHello carries
    pre_shared_key), resumed_session_id (TLS <= 1.2, ServerHello echoes the
    non-empty ClientHello session id), resumed_abbreviated (TLS <= 1.2, no
    server Certificate and no client ClientKeyExchange but both CCS; RFC 5246
    7.3: an abbreviated handshake has no key exchange), no_server_hello, no_client_hello,
    encrypted_alert, unidirectional, multiple_client_hellos(N), starttls:X.
  * starttls: smtp / imap / pop3 / ftp / ldap when, before the first TLS record of
    the connection, the client sent the upgrade request as tshark's own smtp, imap,
    pop, ftp and ldap dissectors decode it (a second tshark pass, DIALOGUE_CMD) and
    the server's answer accepted it: STARTTLS -> 220 (SMTP), tagged STARTTLS -> tagged
    OK (IMAP), STLS -> +OK (POP3), AUTH TLS|SSL -> 234 (FTP), ExtendedRequest
    1.3.6.1.4.1.1466.20037 -> ExtendedResponse resultCode 0 with the same messageID
    (LDAP). tshark only decodes these on their standard ports (25/587, 143, 110, 21,
    389); xmpp, postgresql, mysql, irc and rdp are not recognised here (null).
    A refused upgrade has no TLS, so it gives no connection here at all.

Usage:
  tshark_expect.py CAPTURE                 print the JSON for one capture
  tshark_expect.py --write DIR CAPTURE...  write DIR/<capture basename>.json
  tshark_expect.py --check CHECKS CAPTURE...
        CHECKS lines: sample|client|server|sni|legacy|max_offered|negotiated|
        alert|established|feature[|starttls]   ("-" = null/none/empty; client
        may be ip:*, ip:port or ip:lo-hi; without the starttls column it is not
        checked). Every connection must match exactly one line and every line
        one connection. Exit 1 otherwise.
  tshark_expect.py --dialogue CAPTURE...
        print, per TCP connection, the plaintext smtp/imap/pop/ftp/ldap dialogue
        tshark decodes, the number of TLS records and whether it was closed.
  tshark_expect.py --repin EXPECTED_JSON CAPTURE
        for a HAND-WRITTEN expected file (a connection tshark's TLS view cannot
        give, e.g. a refused STARTTLS): refresh capture.bytes/sha256 and each
        connection's ts from the capture; the connections' 4-tuples must exist
        in it. Nothing else in the file is touched.
Standard library only; needs tshark (tested with 4.0.17).
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"

ALERTS = {
    0: "close_notify", 1: "end_of_early_data", 10: "unexpected_message", 20: "bad_record_mac",
    21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
    40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
    43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
    46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied",
    50: "decode_error", 51: "decrypt_error", 60: "export_restriction", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
    90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
    110: "unsupported_extension", 111: "certificate_unobtainable", 112: "unrecognized_name",
    113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
    115: "unknown_psk_identity", 116: "certificate_required", 120: "no_application_protocol",
    121: "ech_required",
}

DESCRIPTIONS = {
    "tls10-rejected.pcap": "Exchange case: TLS 1.0-only clients (openssl s_client -tls1, gnutls-cli "
                           "+VERS-TLS1.0) vs a TLS 1.2-only openssl s_server; fatal protocol_version alert",
    "tls11.pcap": "TLS 1.1 negotiated (openssl s_client/s_server -tls1_1, SECLEVEL=0)",
    "tls12-sni.pcap": "TLS 1.2 with SNI mail.example.test (curl and openssl s_client vs openssl s_server -tls1_2)",
    "tls13.pcap": "TLS 1.3 (curl --tlsv1.3 and gnutls-cli --resume vs openssl s_server); last connection "
                  "resumes with a PSK",
    "multi-host.pcap": "clients 127.0.0.2/3/4, servers 127.0.0.10 (TLS 1.2+) and 127.0.0.11 (TLS 1.0-1.2); "
                       "127.0.0.3 fails with TLS 1.0 then succeeds with TLS 1.2",
    "before.pcap": "Exchange 127.0.0.5 -> cloud 127.0.0.20:443 (TLS 1.2+ only): 3 TLS 1.0 attempts, "
                   "all rejected with protocol_version",
    "after.pcap": "Exchange 127.0.0.5 -> cloud 127.0.0.20:443 after remediation: 3 TLS 1.2 connections (curl)",
    "starttls.pcap": "10 accepted STARTTLS upgrades (openssl s_client -starttls and Python smtplib/imaplib/"
                     "poplib/ftplib vs Python ssl responders): SMTP x3 (TLS 1.2, 1.3, 1.3), IMAP x2 (1.3, 1.2), "
                     "POP3 x2 (TLS 1.0, 1.3), FTP x2 (1.3, 1.2), LDAP StartTLS (1.3)",
    "smtp-starttls-refused.pcap": "SMTP STARTTLS refused with 454 4.7.0 (Python smtplib vs a Python responder); "
                                  "client QUITs, no TLS at all",
}

SOURCES = {
    "starttls.pcap": "tlsaudit scripts/make-starttls-samples.sh (real client stacks, Python ssl servers, loopback)",
    "smtp-starttls-refused.pcap": "tlsaudit scripts/make-starttls-samples.sh (real client stacks, Python ssl "
                                  "servers, loopback)",
}

TSHARK_CMD = ["tshark", "-n", "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tls.desegment_ssl_records:TRUE",
              "-o", "tls.desegment_ssl_application_data:TRUE", "-T", "json", "--no-duplicate-keys",
              "-J", "frame ip ipv6 tcp tls"]


# Second pass for STARTTLS: the plaintext application dialogue as tshark's own dissectors
# decode it (kept apart from TSHARK_CMD so the TLS view and its command line stay as they were).
DIALOGUE_CMD = TSHARK_CMD[:-2] + ["-J", "frame ip ipv6 tcp smtp imap pop ftp ldap",
                                   "-Y", "smtp or imap or pop or ftp or ldap"]
STARTTLS_OID = "1.3.6.1.4.1.1466.20037"
LDAP_RESPONSES = {1, 4, 5, 7, 9, 11, 13, 15, 19, 24, 25}       # protocolOp CHOICE numbers (RFC 4511)
LDAP_OPS = {0: "bindRequest", 1: "bindResponse", 2: "unbindRequest", 3: "searchRequest",
            4: "searchResEntry", 5: "searchResDone", 23: "extendedReq", 24: "extendedResp"}


@functools.lru_cache(maxsize=None)
def value_strings() -> dict[str, dict[int, str]]:
    out = subprocess.run(["tshark", "-G", "values"], capture_output=True, text=True, check=True).stdout
    want = {"tls.handshake.ciphersuite", "tls.handshake.extensions.supported_version"}
    vs: dict[str, dict[int, str]] = {w: {} for w in want}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 4 and parts[0] == "V" and parts[1] in want:
            try:
                vs[parts[1]][int(parts[2], 0)] = parts[3]
            except ValueError:
                pass
    return vs


def version_name(v: int | None) -> str | None:
    if v is None:
        return None
    if (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF):
        return f"GREASE (0x{v:04x})"
    if v == 0x0002:
        return "SSL 2.0"
    name = value_strings()["tls.handshake.extensions.supported_version"].get(v)
    return name if name else f"0x{v:04x}"


def cipher_name(c: int | None) -> str | None:
    if c is None:
        return None
    return value_strings()["tls.handshake.ciphersuite"].get(c) or f"0x{c:04X}"


def walk(obj):
    """Yield (key, scalar) pairs in document order; lists of scalars give one pair each."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
                    for x in v:
                        yield k, x
                else:
                    yield k, None          # marks a subtree (e.g. "tls.alert_message": {...})
                    yield from walk(v)
            else:
                yield k, v
    elif isinstance(obj, list):
        for x in obj:
            yield from walk(x)


def first(layers: dict, key: str):
    v = layers.get(key)
    if isinstance(v, list):
        v = v[0] if v else None
    return v


def rfc3339(epoch: str) -> str:
    sec, _, frac = epoch.partition(".")
    frac = (frac + "000000")[:6]
    return datetime.fromtimestamp(int(sec), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac}Z"


class Stream:
    def __init__(self, idx: int):
        self.idx = idx
        self.ts = None
        self.syn_from = None
        self.first_from = None
        self.endpoints: set = set()
        self.closed = False
        self.events: list = []      # (frame, sender_endpoint, kind, data)
        self.dialogue: list = []    # Msg, plaintext smtp/imap/pop/ftp/ldap (DIALOGUE_CMD)


def parse_packets(pcap: str, extra_opts: list[str] | None = None) -> dict[int, Stream]:
    cmd = TSHARK_CMD + (extra_opts or []) + ["-r", pcap]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"tshark failed on {pcap}: {res.stderr.strip()}")
    packets = json.loads(res.stdout or "[]")
    streams: dict[int, Stream] = {}
    for pkt in packets:
        L = pkt["_source"]["layers"]
        tcp = L.get("tcp")
        if not isinstance(tcp, dict):
            continue
        # innermost IP header (6in4 and other tunnels: the last ip/ipv6 layer wins)
        ipkeys = [k for k in L if k in ("ip", "ipv6")]
        ip = L[ipkeys[-1]] if ipkeys else None
        if isinstance(ip, list):
            ip = ip[-1]
        if not isinstance(ip, dict):
            continue
        src = first(ip, "ip.src") or first(ip, "ipv6.src")
        dst = first(ip, "ip.dst") or first(ip, "ipv6.dst")
        sport, dport = int(tcp["tcp.srcport"]), int(tcp["tcp.dstport"])
        sidx = int(tcp["tcp.stream"])
        st = streams.setdefault(sidx, Stream(sidx))
        frame = L["frame"]
        fno = int(frame["frame.number"])
        if st.ts is None:
            st.ts = rfc3339(frame["frame.time_epoch"])
        me = (src, sport)
        st.endpoints.add(me)
        if st.first_from is None:
            st.first_from = (me, (dst, dport))
        flags = tcp.get("tcp.flags_tree", {})
        syn = flags.get("tcp.flags.syn") == "1"
        ack = flags.get("tcp.flags.ack") == "1"
        if syn and not ack and st.syn_from is None:
            st.syn_from = (me, (dst, dport))
        if flags.get("tcp.flags.fin") == "1" or flags.get("tcp.flags.reset") == "1":
            st.closed = True
        tls = L.get("tls")
        if tls is None:
            continue
        msg = None
        rec_type = None
        for k, v in walk(tls):
            if k in ("tls.record.content_type", "tls.record.opaque_type"):
                rec_type = int(v)
                msg = None
                st.events.append((fno, me, "record", rec_type))
            elif k == "tls.record.version" and v == "0x0002":
                st.events.append((fno, me, "sslv2", None))
            elif k == "tls.handshake.type":
                msg = {"type": int(v), "exts": [], "sv": []}
                st.events.append((fno, me, "hs", msg))
            elif msg is not None and k == "tls.handshake.version":
                msg["version"] = int(v, 16)
            elif msg is not None and k == "tls.handshake.random":
                msg["random"] = v.replace(":", "").lower()
            elif msg is not None and k == "tls.handshake.session_id":
                msg["session_id"] = v
            elif msg is not None and k == "tls.handshake.ciphersuite":
                msg.setdefault("ciphers", []).append(int(v, 16))
            elif msg is not None and k == "tls.handshake.cipherspec":
                msg.setdefault("cipherspec", []).append(int(v, 16) if isinstance(v, str) and v.startswith("0x") else int(v))
            elif msg is not None and k == "tls.handshake.extension.type":
                msg["exts"].append(int(v))
            elif msg is not None and k == "tls.handshake.extensions.supported_version":
                msg["sv"].append(int(v, 16))
            elif msg is not None and k == "tls.handshake.extensions_server_name" and "sni" not in msg:
                msg["sni"] = v
            elif k == "tls.alert_message":
                if isinstance(v, str):      # "Encrypted Alert"
                    st.events.append((fno, me, "enc_alert", None))
                else:
                    st.events.append((fno, me, "alert", {}))
            elif k == "tls.alert_message.level" and st.events and st.events[-1][2] == "alert":
                st.events[-1][3]["level"] = int(v)
            elif k == "tls.alert_message.desc" and st.events and st.events[-1][2] == "alert":
                st.events[-1][3]["desc"] = int(v)
    return streams


class Msg:
    """one plaintext request or reply line / LDAP message as tshark decoded it"""

    def __init__(self, frame: int, sender, proto: str, text: str, upgrade: bool = False,
                 ok: bool | None = None, tag: str | None = None):
        self.frame, self.sender, self.proto, self.text = frame, sender, proto, text
        self.upgrade = upgrade      # request: is it the STARTTLS-style upgrade request?
        self.ok = ok                # reply: positive (2xx/3xx, OK, +OK, resultCode 0)?
        self.tag = tag              # IMAP tag / LDAP messageID pairing request and reply

    @property
    def reply(self) -> bool:
        return self.ok is not None


def _as_list(v) -> list:
    return v if isinstance(v, list) else ([] if v is None else [v])


def _msgs(proto: str, layer, fno: int, me) -> list[Msg]:
    out: list[Msg] = []
    cur = None
    if proto == "imap":
        # one imap.line per line; imap.line_tree (tag, command, status) only for tagged lines,
        # "" in its place for the others
        isreq = first(layer, "imap.isrequest") == "1"
        lines = _as_list(layer.get("imap.line"))
        trees = _as_list(layer.get("imap.line_tree"))
        if len(trees) != len(lines):
            trees = (trees + [""] * len(lines))[:len(lines)] if len(lines) > 1 else trees[:1] or [""]
        for line, tree in zip(lines, trees):
            tree = tree if isinstance(tree, dict) else {}
            m = Msg(fno, me, "imap", line.rstrip("\r\n"), ok=None if isreq else False)
            if isreq:
                m.tag = tree.get("imap.request_tag")
                m.upgrade = str(tree.get("imap.request.command", "")).upper() == "STARTTLS"
            else:
                m.tag = tree.get("imap.response_tag")
                m.ok = str(tree.get("imap.response.status", "")).upper() == "OK"
            out.append(m)
        return out
    for k, v in walk(layer):
        if proto == "smtp":
            # tshark 4.0 splits any command into 4 letters + parameter ("STAR" "TLS"), so
            # the request is taken from the whole command line
            if k == "smtp.command_line":
                line = v.rstrip("\r\n")
                cur = Msg(fno, me, "smtp", line, upgrade=line.strip().upper() == "STARTTLS")
                out.append(cur)
            elif k == "smtp.response.code":
                cur = Msg(fno, me, "smtp", v, ok=v == "220")
                cur.params = []
                out.append(cur)
            elif k == "smtp.rsp.parameter" and cur and cur.reply:
                cur.params.append(v)
                cur.text = cur.text.split(" ", 1)[0] + " " + " | ".join(cur.params)
        elif proto == "pop":
            if k == "pop.request.command":
                cur = Msg(fno, me, "pop3", v, upgrade=v.upper() == "STLS")
                out.append(cur)
            elif k == "pop.request.parameter" and cur and not cur.reply:
                cur.text += " " + v
            elif k == "pop.response.indicator":
                cur = Msg(fno, me, "pop3", v, ok=v == "+OK")
                out.append(cur)
            elif k == "pop.response.description" and cur and cur.reply:
                cur.text += " " + v
        elif proto == "ftp":
            if k == "ftp.request.command":
                cur = Msg(fno, me, "ftp", v)
                out.append(cur)
            elif k == "ftp.request.arg" and cur and not cur.reply:
                cur.text += " " + v
                cur.upgrade = cur.text.split(" ", 1)[0].upper() == "AUTH" and v.upper() in ("TLS", "SSL")
            elif k == "ftp.response.code":
                cur = Msg(fno, me, "ftp", v, ok=v == "234")
                out.append(cur)
            elif k == "ftp.response.arg" and cur and cur.reply:
                cur.text += " " + v
        elif proto == "ldap":
            if k == "ldap.messageID":
                cur = Msg(fno, me, "ldap", "", tag=v)
                out.append(cur)
            elif k == "ldap.protocolOp" and cur:
                op = int(v)
                cur.text = f"{LDAP_OPS.get(op, f'op{op}')}({cur.tag})"
                if op in LDAP_RESPONSES:
                    cur.ok = False
            elif k == "ldap.requestName" and cur:
                cur.text += " " + v
                cur.upgrade = v == STARTTLS_OID
            elif k == "ldap.resultCode" and cur and cur.reply:
                cur.ok = v == "0"
                cur.text += f" resultCode={v}"
            elif k == "ldap.responseName" and cur:
                cur.text += " " + v
    return out


def parse_dialogues(pcap: str, extra_opts: list[str] | None = None) -> dict[int, list[Msg]]:
    """tcp.stream -> plaintext smtp/imap/pop/ftp/ldap messages in capture order"""
    res = subprocess.run(DIALOGUE_CMD + (extra_opts or []) + ["-r", pcap], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"tshark failed on {pcap}: {res.stderr.strip()}")
    out: dict[int, list[Msg]] = {}
    for pkt in json.loads(res.stdout or "[]"):
        L = pkt["_source"]["layers"]
        tcp = L.get("tcp")
        ipkeys = [k for k in L if k in ("ip", "ipv6")]
        if not isinstance(tcp, dict) or not ipkeys:
            continue
        ip = L[ipkeys[-1]]
        if isinstance(ip, list):
            ip = ip[-1]
        me = (first(ip, "ip.src") or first(ip, "ipv6.src"), int(tcp["tcp.srcport"]))
        fno = int(L["frame"]["frame.number"])
        for proto in ("smtp", "imap", "pop", "ftp", "ldap"):
            if proto in L:
                out.setdefault(int(tcp["tcp.stream"]), []).extend(_msgs(proto, L[proto], fno, me))
    return out


def starttls_of(st: Stream, client) -> str | None:
    """protocol of an accepted in-band upgrade requested by client before the first TLS record"""
    tls_from = min((f for f, _, kind, _ in st.events if kind in ("record", "sslv2")), default=None)
    msgs = [m for m in st.dialogue if tls_from is None or m.frame < tls_from]
    for i, m in enumerate(msgs):
        if m.upgrade and not m.reply and m.sender == client:
            answer = next((r for r in msgs[i + 1:] if r.reply and r.sender != client and r.proto == m.proto
                           and (m.proto not in ("imap", "ldap") or r.tag == m.tag)), None)
            if answer is not None and answer.ok:
                return m.proto
    return None


def connection(st: Stream) -> dict | None:
    hs = [(f, who, m) for f, who, kind, m in st.events if kind == "hs"]
    chs = [(f, who, m) for f, who, m in hs if m["type"] == 1]
    shs_all = [(f, who, m) for f, who, m in hs if m["type"] == 2]
    alerts = [(f, who, a) for f, who, kind, a in st.events if kind == "alert"]
    if not chs and not shs_all and not alerts:
        return None
    if chs:
        client = chs[0][1]
        server = next((e for e in st.endpoints if e != client), None)
        if server is None and st.first_from:
            server = st.first_from[1] if st.first_from[0] == client else st.first_from[0]
    elif shs_all:
        server = shs_all[0][1]
        client = next((e for e in st.endpoints if e != server), None)
        if client is None and st.first_from:
            client = st.first_from[1] if st.first_from[0] == server else st.first_from[0]
    elif st.syn_from:
        client, server = st.syn_from
    else:
        client, server = st.first_from
    features: list[str] = []
    ch = chs[0][2] if chs else None
    hrr = [(f, w, m) for f, w, m in shs_all if m.get("random") == HRR_RANDOM]
    shs = [(f, w, m) for f, w, m in shs_all if m.get("random") != HRR_RANDOM]
    sh = shs[-1][2] if shs else None
    sh_frame = shs[-1][0] if shs else None
    if hrr:
        features.append("hello_retry_request")
    if len(chs) > 1:
        features.append(f"multiple_client_hellos({len(chs)})")
    negotiated = None
    cipher_id = None
    v = None
    if sh:
        v = sh["sv"][0] if sh["sv"] else sh.get("version")
        negotiated = version_name(v)
        if sh.get("ciphers"):
            cipher_id = sh["ciphers"][0]
    # first plaintext alert
    alert = alert_level = alert_sender = None
    fatal_frame = None
    if alerts:
        f, who, a = alerts[0]
        alert = ALERTS.get(a.get("desc"), f"unknown_{a.get('desc')}") if "desc" in a else None
        alert_level = {1: "warning", 2: "fatal"}.get(a.get("level"))
        alert_sender = "client" if who == client else "server"
    for f, who, a in alerts:
        if a.get("level") == 2:
            fatal_frame = f
            break
    if any(kind == "enc_alert" for _, _, kind, _ in st.events):
        features.append("encrypted_alert")
    # resumption
    # TLS 1.3 or one of its drafts (0x7fNN, Facebook 0xfbNN, Chrome's 2017 experiments 0x7eNN,
    # which echo the session id in compatibility mode)
    is13 = v is not None and (v == 0x0304 or (v >> 8) in (0x7F, 0xFB, 0x7E))
    if sh:
        if is13:
            if 41 in sh["exts"]:
                features.append("resumed_psk")
        else:
            sid_c = (ch or {}).get("session_id")
            sid_s = sh.get("session_id")
            server_cert = any(m["type"] == 11 and w == server for f, w, m in hs)
            client_kx = any(m["type"] == 16 and w == client for f, w, m in hs)
            ccs_both = all(any(kind == "record" and d == 20 and w == who and f >= sh_frame
                               for f, w, kind, d in st.events) for who in (client, server))
            if sid_c and sid_s and sid_c == sid_s:
                features.append("resumed_session_id")
            elif not server_cert and not client_kx and ccs_both:
                features.append("resumed_abbreviated")
    # established
    established = None
    unidirectional = len(st.endpoints) < 2
    if unidirectional:
        features.append("unidirectional")
    if sh is None:
        features.append("no_server_hello")
    if ch is None:
        features.append("no_client_hello")
    if not unidirectional:
        done_frame = None
        if sh is not None:
            if is13:
                done_frame = next((f for f, w, kind, d in st.events
                                   if kind == "record" and d == 23 and w == client and f >= sh_frame), None)
            else:
                ccs = []
                for who in (client, server):
                    ccs.append(next((f for f, w, kind, d in st.events
                                     if kind == "record" and d == 20 and w == who and f >= sh_frame), None))
                if None not in ccs:
                    done_frame = max(ccs)
        if done_frame is not None and (fatal_frame is None or fatal_frame > done_frame):
            established = True
        elif fatal_frame is not None or st.closed:
            established = False
    sslv2 = any(kind == "sslv2" for _, _, kind, _ in st.events)
    if sslv2:
        features.append("sslv2_record")
    starttls = starttls_of(st, client)
    if starttls:
        features.append(f"starttls:{starttls}")
    return {
        "ts": st.ts,
        "client_ip": client[0], "client_port": client[1],
        "server_ip": server[0], "server_port": server[1],
        "sni": (ch or {}).get("sni"),
        "client_legacy_version": version_name(ch.get("version")) if ch else None,
        "client_supported_versions": [version_name(v) for v in ch["sv"]] if ch else [],
        "negotiated_version": negotiated,
        "cipher": cipher_name(cipher_id),
        "alert": alert,
        "established": established,
        "starttls": starttls,
        "tcp_stream": st.idx,
        "cipher_id": f"0x{cipher_id:04x}" if cipher_id is not None else None,
        "server_legacy_version": version_name(sh.get("version")) if sh else None,
        "alert_level": alert_level,
        "alert_sender": alert_sender,
        "features": features,
    }


def expect(pcap: str, rel_name: str | None = None, extra_opts: list[str] | None = None) -> dict:
    """extra_opts: more tshark options for both passes (decode-as hints, preferences)"""
    streams = parse_packets(pcap, extra_opts)
    for idx, msgs in parse_dialogues(pcap, extra_opts).items():
        if idx in streams:
            streams[idx].dialogue = msgs
    conns = [c for c in (connection(streams[i]) for i in sorted(streams)) if c]
    data = open(pcap, "rb").read()
    magic = data[:4]
    fmt = "pcapng" if magic == b"\x0a\x0d\x0d\x0a" else "pcap"
    ver = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    derived = {"tool": ver, "script": "tests/golden/tshark_expect.py",
               "command": " ".join(TSHARK_CMD + ["-r", os.path.basename(pcap)])}
    if extra_opts:                             # only then: older golden files stay byte-identical
        derived["command"] = " ".join(TSHARK_CMD + extra_opts + ["-r", os.path.basename(pcap)])
    if any(c["starttls"] for c in conns):
        derived["starttls_command"] = " ".join(DIALOGUE_CMD + (extra_opts or []) + ["-r", os.path.basename(pcap)])
    return {
        "source": SOURCES.get(os.path.basename(pcap),
                              "tlsaudit scripts/make-samples.sh (real TLS stacks over loopback)"),
        "description": DESCRIPTIONS.get(os.path.basename(pcap)),
        "capture": {"file": rel_name or os.path.basename(pcap), "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(), "file_format": fmt},
        "derived_with": derived,
        "note": None,
        "connections": conns,
    }


def fmt_row(c: dict) -> str:
    sv = [v for v in c["client_supported_versions"] if not v.startswith("GREASE")]
    return (f"{c['client_ip']}:{c['client_port']} -> {c['server_ip']}:{c['server_port']} sni={c['sni']} "
            f"legacy={c['client_legacy_version']} sv={sv} neg={c['negotiated_version']} "
            f"cipher={c['cipher']} alert={c['alert']}/{c['alert_level']}/{c['alert_sender']} "
            f"est={c['established']} starttls={c['starttls']} feat={c['features']}")


def row_matches(c: dict, spec: list[str]) -> bool:
    client, server, sni, legacy, maxv, neg, alert, est, feat = spec[:9]
    if len(spec) > 9 and c["starttls"] != (None if spec[9] == "-" else spec[9]):
        return False
    ip, _, port = client.rpartition(":")
    if c["client_ip"] != ip:
        return False
    if port != "*":
        lo, _, hi = port.partition("-")
        if not int(lo) <= c["client_port"] <= int(hi or lo):
            return False
    none = lambda s: None if s == "-" else s  # noqa: E731
    sv = [v for v in c["client_supported_versions"] if not v.startswith("GREASE")]
    return (f"{c['server_ip']}:{c['server_port']}" == server and c["sni"] == none(sni)
            and c["client_legacy_version"] == legacy
            and (maxv == "-" and sv == [] or maxv != "-" and maxv in sv)
            and c["negotiated_version"] == none(neg) and c["alert"] == none(alert)
            and str(c["established"]).lower() == est
            and (feat == "-" and not any(f.startswith("resumed") for f in c["features"])
                 or feat != "-" and feat in c["features"]))


def client_server(st: Stream):
    """(client, server) of a stream: ClientHello sender if any, else the SYN sender"""
    ch = next((who for _, who, kind, m in st.events if kind == "hs" and m["type"] == 1), None)
    if ch is not None:
        return ch, next((e for e in st.endpoints if e != ch), None)
    if st.syn_from:
        return st.syn_from
    return st.first_from


def print_dialogue(pcap: str) -> None:
    streams = parse_packets(pcap)
    dlg = parse_dialogues(pcap)
    for idx in sorted(streams):
        st = streams[idx]
        client, server = client_server(st)
        nrec = sum(1 for _, _, kind, _ in st.events if kind in ("record", "sslv2"))
        print(f"stream {idx} {client[0]}:{client[1]} -> {server[0]}:{server[1]} tls_records={nrec} "
              f"fin={str(st.closed).lower()}")
        for m in dlg.get(idx, []):
            print(f"  {'client' if m.sender == client else 'server'} {m.text}")


def repin(jpath: str, pcap: str) -> int:
    with open(jpath) as f:
        doc = json.load(f)
    streams = parse_packets(pcap)
    by_tuple = {}
    for st in streams.values():
        c, s = client_server(st)
        by_tuple[(c[0], c[1], s[0], s[1])] = st
    bad = 0
    for conn in doc.get("connections", []):
        k = (conn["client_ip"], conn["client_port"], conn["server_ip"], conn["server_port"])
        st = by_tuple.get(k)
        if st is None:
            print(f"REPIN FAIL {jpath}: connection {k} not in {pcap}", file=sys.stderr)
            bad += 1
        else:
            conn["ts"] = st.ts
    if bad:
        return 1
    data = open(pcap, "rb").read()
    doc["capture"]["bytes"] = len(data)
    doc["capture"]["sha256"] = hashlib.sha256(data).hexdigest()
    with open(jpath, "w") as f:
        f.write(json.dumps(doc, indent=1) + "\n")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("captures", nargs="+")
    ap.add_argument("--write", metavar="DIR")
    ap.add_argument("--check", metavar="CHECKS")
    ap.add_argument("--dialogue", action="store_true")
    ap.add_argument("--repin", metavar="EXPECTED_JSON")
    ap.add_argument("--relative-to", default=None,
                    help="store capture.file relative to this dir (default: repo root guess)")
    a = ap.parse_args()
    if a.dialogue:
        for pcap in a.captures:
            print_dialogue(pcap)
        return 0
    if a.repin:
        if len(a.captures) != 1:
            ap.error("--repin takes exactly one capture")
        return repin(a.repin, a.captures[0])
    if a.check:
        specs: dict[str, list[list[str]]] = {}
        for line in open(a.check):
            line = line.strip()
            if line and not line.startswith("#"):
                parts = line.split("|")
                specs.setdefault(parts[0], []).append(parts[1:])
        bad = 0
        for pcap in a.captures:
            name = os.path.basename(pcap)
            conns = expect(pcap)["connections"]
            want = list(specs.get(name, []))
            for c in conns:
                hit = next((s for s in want if row_matches(c, s)), None)
                if hit is None:
                    print(f"CHECK FAIL {name}: unexpected connection {fmt_row(c)}", file=sys.stderr)
                    bad += 1
                else:
                    want.remove(hit)
                    print(f"ok {name}: {fmt_row(c)}", file=sys.stderr)
            for s in want:
                print(f"CHECK FAIL {name}: missing connection {'|'.join(s)}", file=sys.stderr)
                bad += 1
            if name not in specs:
                print(f"CHECK FAIL {name}: no checks defined", file=sys.stderr)
                bad += 1
        return 1 if bad else 0
    for pcap in a.captures:
        base = a.relative_to
        if base is None:
            here = os.path.dirname(os.path.abspath(__file__))
            base = os.path.abspath(os.path.join(here, "..", ".."))
        rel = os.path.relpath(os.path.abspath(pcap), base)
        doc = expect(pcap, rel)
        text = json.dumps(doc, indent=1) + "\n"
        if a.write:
            os.makedirs(a.write, exist_ok=True)
            with open(os.path.join(a.write, os.path.basename(pcap) + ".json"), "w") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
