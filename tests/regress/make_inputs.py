#!/usr/bin/env python3
"""make_inputs.py - crafts every input of the regression suite (tests/regress/regress_test.py), one function per
input, from nothing but this directory, craft.py, samples/ and the tlsaudit binary (databases are made by
`tlsaudit read` from samples/ and then altered with SQLite the way a hostile sensor would).

usage: make_inputs.py TLSAUDIT SOURCE_ROOT OUTDIR [NAME...]   (all inputs when no NAME)"""
import os
import sqlite3
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import craft  # noqa: E402

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z, seconds


def read_db(tool, db, *captures, extra=()):
    for sfx in ("", "-wal", "-shm"):
        if os.path.exists(db + sfx):
            os.unlink(db + sfx)
    r = subprocess.run([tool, "read", "-q", "--no-ndpi", "--db", db, *extra, *captures], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(f"read {captures}: {r.returncode} {r.stderr}")
    return db


def alter(db, *sql):
    """change a database of ours as an attacker with the sqlite3 shell would (the file stays one file)"""
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=DELETE")
    for s in sql:
        con.executescript(s)
    con.commit()
    con.close()


# ---- item 2: pcapng interfaces whose if_tsoffset are opposite extremes ----

def tsoffset_pcapng(out):
    """244 bytes: SHB, two raw-IP interfaces with if_tsoffset INT64_MAX and INT64_MIN seconds, one SYN on each
    (the packet times are then the two ends of int64 ns: flow expiry subtracts them)"""
    a, b = craft.ip4("10.2.0.1"), craft.ip4("10.2.0.2")
    d = craft.ng_shb() + craft.ng_idb(101, INT64_MAX) + craft.ng_idb(101, INT64_MIN)
    d += craft.ng_epb(0, T0 * 1000000 + 1, craft.tcp_ip(a, b, 40001, 443, 1, 0, 0x02))
    d += craft.ng_epb(1, T0 * 1000000 + 2, craft.tcp_ip(a, b, 40002, 443, 1, 0, 0x02))
    assert len(d) == 244, len(d)
    with open(out, "wb") as f:
        f.write(d)


def tsoffset_hellos_pcapng(out):
    """the same two interfaces, each carrying a whole TLS 1.0 ClientHello + protocol_version alert exchange, so
    two connections at the two ends of time reach the database and the report's timeline"""
    d = craft.ng_shb() + craft.ng_idb(1, INT64_MAX) + craft.ng_idb(1, INT64_MIN)
    srv = craft.ip4("10.2.1.10")
    for iface, host in ((0, "10.2.1.1"), (1, "10.2.1.2")):
        hello = craft.records(22, 0x0301, craft.client_hello(b"ts%d.example" % iface, version=0x0301))
        frames = craft.handshake_frames(craft.ip4(host), srv, 41000 + iface, 443, [hello],
                                        [craft.ALERT_PROTOCOL_VERSION])
        for k, fr in enumerate(frames):
            d += craft.ng_epb(iface, T0 * 1000000 + 1000 * k, fr)
    with open(out, "wb") as f:
        f.write(d)


def tsoffset_expected_ns():
    """what README "Inputs" promises for those packets: units + offset saturated at the int64 ns range"""
    max_s = INT64_MAX // 1_000_000_000
    return INT64_MAX, -max_s * 1_000_000_000


# ---- item 3: a sensor database with times at both ends of int64 ----

def extreme_times_db(tool, root, out):
    read_db(tool, out, os.path.join(root, "samples", "tls10-rejected.pcap"))
    con = sqlite3.connect(out)
    ids = [r[0] for r in con.execute("SELECT id FROM conn ORDER BY id")]
    con.close()
    alter(out, f"UPDATE conn SET ts_ns = {INT64_MIN} WHERE id = {ids[0]};"
               f"UPDATE conn SET ts_ns = {INT64_MAX - 30} WHERE id = {ids[-1]};"
               f"UPDATE captures SET first_ns = {INT64_MIN}, last_ns = {INT64_MAX - 30};"
               # another capture identity, so merging it next to the sample's own database is not a conflict
               "UPDATE captures SET sha256 = 'ab' || substr(sha256, 3);")
    return len(ids)


# ---- item 4: hostile schemas ----

def recursive_view_db(tool, root, out, target="connections"):
    """`connections` (or `conn`, the table reports read) replaced by an endlessly recursive view"""
    read_db(tool, out, os.path.join(root, "samples", "tls12-sni.pcap"))
    loop = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)"
    if target == "connections":
        alter(out, f"DROP VIEW connections; CREATE VIEW connections AS {loop} SELECT c.* FROM conn c, r;")
    else:
        alter(out, "PRAGMA legacy_alter_table = ON; ALTER TABLE conn RENAME TO conn_real;"
                   f"CREATE VIEW conn AS {loop} SELECT c.* FROM conn_real c, r;")


def blob_view_db(tool, root, out):
    """`conn` replaced by a view whose every row carries a 400 MB random blob (the hostile review's 2 GB report)"""
    read_db(tool, out, os.path.join(root, "samples", "tls12-sni.pcap"))
    con = sqlite3.connect(out)
    cols = [r[1] for r in con.execute("PRAGMA table_info(conn)")]
    con.close()
    sel = ", ".join("randomblob(400000000) AS flags" if c == "flags" else "c." + c for c in cols)
    alter(out, "PRAGMA legacy_alter_table = ON; ALTER TABLE conn RENAME TO conn_real;"
               f"CREATE VIEW conn AS SELECT {sel} FROM conn_real c;")


def trigger_db(tool, root, out):
    read_db(tool, out, os.path.join(root, "samples", "tls12-sni.pcap"))
    alter(out, "CREATE TABLE loot (x); CREATE TRIGGER t AFTER INSERT ON captures BEGIN"
               " INSERT INTO loot SELECT randomblob(1000000); END;")


# ---- item 5: provenance injection ----

def fake_rows_db(tool, root, out):
    """the same capture (same bytes, same SHA-256) with its connections rewritten to negotiated TLS 1.0"""
    read_db(tool, out, os.path.join(root, "samples", "tls12-sni.pcap"))
    alter(out, "UPDATE conn SET version = 769, cipher = 47;")


# ---- items 6, 8, 9: many handshakes, written as pcap frames ----

def many_handshakes_pcap(root, out, n, first_octet=20):
    """n copies of samples/tls10-rejected.pcap's two TLS 1.0-rejected handshakes (its own frames), the client
    address of both replaced by one address per copy: 2n connections"""
    sample = open(os.path.join(root, "samples", "tls10-rejected.pcap"), "rb").read()
    frames, off = [], 24
    while off + 16 <= len(sample):
        caplen = struct.unpack("<I", sample[off + 8:off + 12])[0]
        frames.append(sample[off + 16:off + 16 + caplen])
        off += 16 + caplen
    conns = {}  # client port -> (client address, frames); the client is the sender of the SYN
    for fr in frames:
        if len(fr) < 38 or fr[12:14] != b"\x08\x00" or fr[23] != 6:
            continue
        ihl = (fr[14] & 15) * 4
        sport, dport = struct.unpack("!HH", fr[14 + ihl:18 + ihl])
        port = sport if dport == 443 else dport
        conns.setdefault(port, (fr[26:30], []))[1].append(fr)
    assert len(conns) == 2, sorted(conns)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        t = T0 * 1000000
        for i in range(n):
            addr = bytes([first_octet, (i >> 16) & 255, (i >> 8) & 255, i & 255])
            for client, template in conns.values():
                for fr in template:
                    b = bytearray(fr)
                    if b[26:30] == client:
                        b[26:30] = addr
                    else:
                        b[30:34] = addr
                    b[24:26] = b"\0\0"
                    b[24:26] = struct.pack("!H", craft.csum(bytes(b[14:34])))
                    ihl = (b[14] & 15) * 4
                    b[14 + ihl + 16:14 + ihl + 18] = b"\0\0"
                    seg = bytes(b[14 + ihl:])
                    pseudo = bytes(b[26:34]) + struct.pack("!BBH", 0, 6, len(seg))
                    b[14 + ihl + 16:14 + ihl + 18] = struct.pack("!H", craft.csum(pseudo + seg))
                    f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(b), len(b)) + bytes(b))
                    t += 7
    return 2 * n


# ---- item 10: escaping ----

ESCAPE_SNIS = [
    b"c1-\xc2\x9b31mred.example",                    # U+009B CSI: a C1 control, valid UTF-8
    b"bidi-\xe2\x80\xaeelpmaxe.exe",                 # U+202E RIGHT-TO-LEFT OVERRIDE
    b"zw-exa\xe2\x80\x8bmple.example",                # U+200B ZERO WIDTH SPACE
    b"http://evil.example/phish",
    b"www.evil.example",
    b"user@evil.example",
    b"esc-\x1b]8;;http://evil.example\x1b\\link",   # OSC 8 terminal hyperlink
]


def escapes_pcap(out):
    recs, t = [], float(T0)
    srv = craft.ip4("10.10.0.20")
    for i, sni in enumerate(ESCAPE_SNIS + [b"x" * 300]):
        hello = craft.records(22, 0x0301, craft.client_hello(sni, version=0x0301))
        for fr in craft.handshake_frames(craft.ip4("10.10.0.%d" % (100 + i)), srv, 42000 + i, 443, [hello],
                                         [craft.ALERT_PROTOCOL_VERSION]):
            t += 0.001
            recs.append((t, fr))
    with open(out, "wb") as f:
        f.write(craft.pcap(recs))


# ---- item 12: counters and link types ----

def hs_too_big_pcap(out):
    """one ClientHello of about 20 kB (a padding extension) in two records: larger than --max-handshake 4096"""
    hello = craft.records(22, 0x0301, craft.client_hello(b"big.example", padding=20000))
    frames = craft.handshake_frames(craft.ip4("10.12.0.1"), craft.ip4("10.12.0.2"), 43000, 443,
                                    [hello[i:i + 1400] for i in range(0, len(hello), 1400)], [])
    with open(out, "wb") as f:
        f.write(craft.pcap([(T0 + i * 0.001, fr) for i, fr in enumerate(frames)]))


def overlap_conflict_pcap(out):
    """a ClientHello whose first 60 bytes are sent, then sent again with other bytes, then the rest: the
    first copy is what counts (SNI first.example) and the conflict is counted"""
    c, s = craft.ip4("10.12.1.1"), craft.ip4("10.12.1.2")
    hello = craft.records(22, 0x0303, craft.client_hello(b"first.example"))
    forged = hello[:50] + b"Z" * 10
    isn, ssn = 5000, 700000
    frames = [craft.eth(c, s, 43100, 443, isn, 0, 0x02), craft.eth(s, c, 443, 43100, ssn, isn + 1, 0x12),
              craft.eth(c, s, 43100, 443, isn + 1, ssn + 1, 0x10),
              craft.eth(c, s, 43100, 443, isn + 1, ssn + 1, 0x18, hello[:60]),
              craft.eth(c, s, 43100, 443, isn + 1, ssn + 1, 0x18, forged),
              craft.eth(c, s, 43100, 443, isn + 61, ssn + 1, 0x18, hello[60:]),
              craft.eth(s, c, 443, 43100, ssn + 1, isn + 1 + len(hello), 0x18, craft.ALERT_PROTOCOL_VERSION),
              craft.eth(s, c, 443, 43100, ssn + 8, isn + 1 + len(hello), 0x14)]
    with open(out, "wb") as f:
        f.write(craft.pcap([(T0 + i * 0.001, fr) for i, fr in enumerate(frames)]))


SAN_COUNT = 70  # more than TA_CERT_MAX_SANS (64)


def anomalies_pcap(out):
    """two connections whose anomalies the parsers see: a ClientHello with the same extension twice (RFC 8446
    4.2: duplicate_extension), and a TLS 1.2 server whose leaf certificate (made here by openssl) has 70
    subjectAltName entries, more than the 64 kept (cert_sans_capped)"""
    import tempfile
    d = tempfile.mkdtemp()
    sans = ",".join("DNS:san%d.example" % i for i in range(SAN_COUNT))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", os.path.join(d, "k.pem"), "-subj", "/CN=sans.example", "-days", "30",
                    "-addext", "subjectAltName=" + sans, "-outform", "DER", "-out", os.path.join(d, "c.der")],
                   check=True, capture_output=True)
    der = open(os.path.join(d, "c.der"), "rb").read()
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-ext", "subjectAltName"],
                          input=der, capture_output=True, check=True).stdout
    assert text.count(b"DNS:") == SAN_COUNT, text
    srv = craft.ip4("10.12.3.20")
    dup = craft.client_hello(b"dup.example", extra_exts=struct.pack("!HH", 23, 0) * 2)  # extended_master_secret
    frames = craft.handshake_frames(craft.ip4("10.12.3.1"), srv, 43300, 443, [craft.records(22, 0x0301, dup)],
                                    [craft.ALERT_PROTOCOL_VERSION])
    flight = craft.server_hello() + craft.certificate([der]) + craft.SERVER_HELLO_DONE
    frames += craft.handshake_frames(craft.ip4("10.12.3.2"), srv, 43301, 443,
                                     [craft.records(22, 0x0301, craft.client_hello(b"sans.example"))],
                                     [craft.records(22, 0x0303, flight)], isn=(5000, 800000))
    with open(out, "wb") as f:
        f.write(craft.pcap([(T0 + i * 0.001, fr) for i, fr in enumerate(frames)]))


def linktype_147_pcap(out):
    with open(out, "wb") as f:
        f.write(craft.pcap([(T0, b"\x00" * 40)], linktype=147))


INPUTS = {
    "tsoffset.pcapng": lambda tool, root, d: tsoffset_pcapng(os.path.join(d, "tsoffset.pcapng")),
    "tsoffset-hellos.pcapng": lambda tool, root, d: tsoffset_hellos_pcapng(os.path.join(d, "tsoffset-hellos.pcapng")),
    "extreme-times.db": lambda tool, root, d: extreme_times_db(tool, root, os.path.join(d, "extreme-times.db")),
    "recursive-connections.db": lambda tool, root, d: recursive_view_db(
        tool, root, os.path.join(d, "recursive-connections.db")),
    "recursive-conn.db": lambda tool, root, d: recursive_view_db(tool, root, os.path.join(d, "recursive-conn.db"),
                                                                 "conn"),
    "blob-view.db": lambda tool, root, d: blob_view_db(tool, root, os.path.join(d, "blob-view.db")),
    "trigger.db": lambda tool, root, d: trigger_db(tool, root, os.path.join(d, "trigger.db")),
    "fake-rows.db": lambda tool, root, d: fake_rows_db(tool, root, os.path.join(d, "fake-rows.db")),
    "escapes.pcap": lambda tool, root, d: escapes_pcap(os.path.join(d, "escapes.pcap")),
    "hs-too-big.pcap": lambda tool, root, d: hs_too_big_pcap(os.path.join(d, "hs-too-big.pcap")),
    "overlap-conflict.pcap": lambda tool, root, d: overlap_conflict_pcap(os.path.join(d, "overlap-conflict.pcap")),
    "anomalies.pcap": lambda tool, root, d: anomalies_pcap(os.path.join(d, "anomalies.pcap")),
    "linktype-147.pcap": lambda tool, root, d: linktype_147_pcap(os.path.join(d, "linktype-147.pcap")),
    "many-3000.pcap": lambda tool, root, d: many_handshakes_pcap(root, os.path.join(d, "many-3000.pcap"), 3000),
}


def make(tool, root, outdir, names=None):
    os.makedirs(outdir, exist_ok=True)
    for name in names or INPUTS:
        INPUTS[name](tool, root, outdir)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    make(os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:] or None)
    print("\n".join(sorted(os.listdir(sys.argv[3]))))
