#!/usr/bin/env python3
"""make-stack-table.py - generate src/stack/stack_table.c, the table of known TLS client stacks.

Inputs (facts, not copied into the repository):
  * the shared client list (default ../shared/clients/client-hellos.json: 177 ClientHellos of
    named clients, from the testssl.sh project's etc/client-simulation.txt, GPL-2.0, which
    collects Qualys SSL Labs' client handshakes); only the features below are derived;
  * our own captures samples/stacks/*.pcap (scripts/make-stack-samples.sh): the default-range
    ones become entries; the narrowed ones (-tls1, -tls1_1, -tls1_2) are left out on purpose:
    tests/stack checks that the matcher names their stack from the default entry;
  * src/stack/stack_rules.h (soft extensions, lowest versions) and the IANA cipher names of
    src/names/names.c (lowest version of each suite).

Features of an entry (GREASE removed everywhere, wire order kept): cipher suites (soft ones
out), hard extensions (soft ones out), supported groups, signature algorithms, EC point
formats, compression methods, the SSLv2 hello format, the highest offered version. Entries
whose features are identical are merged into one entry listing every source; identical
features under two families stay two entries (the matcher then refuses to say "exact").

Usage: scripts/make-stack-table.py [--clients FILE] [--out FILE] [--report | --check]
  --report  print the merge groups and each entry's features instead of writing the table
  --check   exit 1 if the committed table differs from what the inputs give now, 77 (skip)
            when the shared client list is absent
"""
import argparse
import glob
import json
import os
import re
import struct
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- rules (one place: stack_rules.h)
def load_rules():
    text = open(os.path.join(REPO, 'src/stack/stack_rules.h')).read()

    def block(name):
        m = re.search(r'#define %s\(X\)(.*?)(?:\n\n|\n#)' % name, text, re.S)
        body = re.sub(r'/\*.*?\*/', '', m.group(1), flags=re.S)
        return [tuple(int(v, 0) for v in g.split(',')) for g in re.findall(r'X\(([^)]*)\)', body)]

    soft_exts = {v[0] for v in block('STACK_SOFT_EXTS')}
    soft_ciphers = {v[0] for v in block('STACK_SOFT_CIPHERS')}
    ext_min = {a: b for a, b in block('STACK_EXT_MIN')}
    group_min = {a: b for a, b in block('STACK_GROUP_MIN')}
    return soft_exts, soft_ciphers, ext_min, group_min


def cipher_min_versions():
    """Lowest version of each suite named in src/names/names.c, by its IANA name."""
    text = open(os.path.join(REPO, 'src/names/names.c')).read()
    out = {}
    for ident, name in re.findall(r'\{(0x[0-9a-fA-F]{4}), "([A-Z0-9_]+)"\}', text):
        cid = int(ident, 16)
        if not name.startswith('TLS_') and not name.startswith('SSL_'):
            continue
        if name.endswith('_SCSV'):
            continue  # signalling values: sent at every version
        if '_WITH_' not in name:
            out[cid] = 0x0304  # TLS 1.3 suites name only the AEAD and hash (RFC 8446 B.4)
        elif re.search(r'_GCM|_CCM|CHACHA20|_SHA256$|_SHA384$', name):
            out[cid] = 0x0303  # AEAD or SHA-2 MAC/PRF: TLS 1.2 (RFC 5246, 5288, 5289, 7905)
        elif 'ECDH' in name:
            out[cid] = 0x0301  # ECC suites need the TLS 1.0 extensions (RFC 4492)
    return out


SOFT_EXTS, SOFT_CIPHERS, EXT_MIN, GROUP_MIN = load_rules()
CIPHER_MIN = cipher_min_versions()


def grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


# ---------------------------------------------------------------- ClientHello parsing
class Hello:
    def __init__(self):
        self.sslv2 = False
        self.record_version = 0
        self.legacy = 0
        self.ciphers, self.comp, self.exts = [], [], []
        self.groups, self.sigalgs, self.pf, self.versions = [], [], [], []


def u16s(b):
    return [struct.unpack('>H', b[i:i + 2])[0] for i in range(0, len(b) - 1, 2)]


def parse_body(b):
    """RFC 8446 4.1.2 ClientHello body (after the 4-byte handshake header)."""
    h = Hello()
    h.legacy = struct.unpack('>H', b[0:2])[0]
    off = 34
    off += 1 + b[off]
    n = struct.unpack('>H', b[off:off + 2])[0]
    h.ciphers = u16s(b[off + 2:off + 2 + n])
    off += 2 + n
    n = b[off]
    h.comp = list(b[off + 1:off + 1 + n])
    off += 1 + n
    if off + 2 > len(b):
        return h
    end = off + 2 + struct.unpack('>H', b[off:off + 2])[0]
    off += 2
    while off + 4 <= end:
        t, ln = struct.unpack('>HH', b[off:off + 4])
        d = b[off + 4:off + 4 + ln]
        off += 4 + ln
        h.exts.append(t)
        if t == 10 and len(d) >= 2:
            h.groups = u16s(d[2:2 + struct.unpack('>H', d[:2])[0]])
        elif t == 13 and len(d) >= 2:
            h.sigalgs = u16s(d[2:2 + struct.unpack('>H', d[:2])[0]])
        elif t == 11 and len(d) >= 1:
            h.pf = list(d[1:1 + d[0]])
        elif t == 43 and len(d) >= 1:
            h.versions = u16s(d[1:1 + d[0]])
    return h


def parse_sslv2(rec):
    """draft-hickman-netscape-ssl-00 CLIENT-HELLO after a 2-byte record header."""
    h = Hello()
    h.sslv2 = True
    h.record_version = 0x0002
    n = ((rec[0] & 0x7f) << 8) | rec[1]
    m = rec[2:2 + n]
    if m[0] != 1:
        raise ValueError('SSLv2 record is not a CLIENT-HELLO')
    h.legacy = struct.unpack('>H', m[1:3])[0]
    cs_len = struct.unpack('>H', m[3:5])[0]
    specs = [int.from_bytes(m[9 + i:12 + i], 'big') for i in range(0, cs_len, 3)]
    h.ciphers = [s for s in specs if s <= 0xffff]  # the TLS suites; SSLv2 kinds are not kept
    return h


def parse_records(rec):
    """The TLS record(s) carrying one ClientHello, or an SSLv2 record."""
    if rec[0] & 0x80:
        return parse_sslv2(rec)
    hs, off = b'', 0
    while off + 5 <= len(rec):
        ln = struct.unpack('>H', rec[off + 3:off + 5])[0]
        if rec[off] == 22:
            hs += rec[off + 5:off + 5 + ln]
        off += 5 + ln
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], 'big'):
            break
    if len(hs) < 4 or hs[0] != 1:
        raise ValueError('no ClientHello')
    h = parse_body(hs[4:4 + int.from_bytes(hs[1:4], 'big')])
    h.record_version = struct.unpack('>H', rec[1:3])[0]
    return h


def pcap_client_stream(path):
    """Client-to-server bytes of the one TCP connection of a classic pcap (Ethernet, IPv4), in
    sequence order; the client is the side that sent the SYN."""
    data = open(path, 'rb').read()
    e = {b'\xd4\xc3\xb2\xa1': '<', b'\xa1\xb2\xc3\xd4': '>'}.get(data[:4])
    if e is None or struct.unpack(e + 'I', data[20:24])[0] != 1:
        raise ValueError(path + ': not a classic Ethernet pcap')
    off, client, nxt, buf = 24, None, None, b''
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        fr = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if struct.unpack('>H', fr[12:14])[0] != 0x0800 or fr[23] != 6:
            continue
        ip = fr[14:]
        tcp = ip[(ip[0] & 15) * 4:struct.unpack('>H', ip[2:4])[0]]
        sport, dport, seq = struct.unpack('>HHI', tcp[:8])
        flags, payload = tcp[13], tcp[(tcp[12] >> 4) * 4:]
        key = (ip[12:16], sport, ip[16:20], dport)
        if flags & 0x02 and not flags & 0x10:
            client, nxt, buf = key, (seq + 1) & 0xffffffff, b''
        elif key == client and payload and seq == nxt:
            buf += payload
            nxt = (nxt + len(payload)) & 0xffffffff
    return buf


# ---------------------------------------------------------------- features
def max_version(h):
    vs = [v for v in h.versions if not grease(v)]
    return max(vs) if vs else h.legacy


def features(h):
    return {
        'sslv2': h.sslv2,
        'max': max_version(h),
        'record': h.record_version,
        'ciphers': [c for c in h.ciphers if not grease(c) and c not in SOFT_CIPHERS],
        'exts': [x for x in h.exts if not grease(x) and x not in SOFT_EXTS],
        'soft': sorted({x for x in h.exts if x in SOFT_EXTS}),
        'groups': [g for g in h.groups if not grease(g)],
        'sigalgs': [s for s in h.sigalgs if not grease(s)],
        'pf': list(h.pf),
        'comp': list(h.comp),
        'versions': [v for v in h.versions if not grease(v)],
        'legacy': h.legacy,
    }


def identity(f, shuffles):
    exts = tuple(sorted(f['exts'])) if shuffles else tuple(f['exts'])
    return (f['sslv2'], f['max'], tuple(f['ciphers']), exts, tuple(f['groups']), tuple(f['sigalgs']),
            tuple(f['pf']), tuple(f['comp']), shuffles)


def fnv1a(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def base_hash(f):
    """Hash of what survives every narrowing down to TLS 1.0; stack.c computes the same
    (stack_base_hash): tag bytes, then big-endian u16 values / bytes."""
    out = bytearray(b'S' + bytes([1 if f['sslv2'] else 0]))
    out += b'C'
    for c in f['ciphers']:
        if CIPHER_MIN.get(c, 0x0300) <= 0x0301:
            out += struct.pack('>H', c)
    out += b'E'
    for x in sorted(f['exts']):
        if EXT_MIN.get(x, 0x0301) <= 0x0301:
            out += struct.pack('>H', x)
    out += b'G'
    for g in f['groups']:
        if GROUP_MIN.get(g, 0x0301) <= 0x0301:
            out += struct.pack('>H', g)
    out += b'P' + bytes(f['pf']) + b'Z' + bytes(f['comp'])
    return fnv1a(out)


VIEWS = (0x0302, 0x0303, 0x0304)  # highest offered version of the hellos each signature view is for


def signature(f, rank):
    """Bloom bits of what the entry's hello keeps when its highest version is rank, for the close
    match's prefilter; stack.c computes the same (entry_view_signature): suites in two words,
    extensions in one, groups and signature algorithms in one."""
    w = [0, 0, 0, 0]
    for c in f['ciphers']:
        if CIPHER_MIN.get(c, 0x0300) <= rank:
            b = ((c * 0x9E3779B1) & 0xffffffff) >> 25
            w[b >> 6] |= 1 << (b & 63)
    for x in f['exts']:
        if EXT_MIN.get(x, 0x0301) <= rank:
            w[2] |= 1 << (((x * 0x9E3779B1) & 0xffffffff) >> 26)
    for g in f['groups']:
        if GROUP_MIN.get(g, 0x0301) <= rank:
            w[3] |= 1 << (((g * 0x9E3779B1) & 0xffffffff) >> 26)
    if rank >= 0x0303:
        for a in f['sigalgs']:
            w[3] |= 1 << (((a * 0x85EBCA77) & 0xffffffff) >> 26)
    return w


# ---------------------------------------------------------------- who is who
WIN = [
    (r'XP', 'Windows XP / Server 2003'),
    (r'Vista', 'Windows Vista / Server 2008'),
    (r'Win 7', 'Windows 7 / Server 2008 R2'),
    (r'Win Phone 8\.0', 'Windows Phone 8.0'),
    (r'Win Phone 8\.1', 'Windows Phone 8.1'),
    (r'Win 8\.1', 'Windows 8.1 / Server 2012 R2'),
    (r'Win Phone 10', 'Windows 10 Mobile'),
    (r'Win 10', 'Windows 10 / Server 2016 and 2019'),
]

FAMILY_RULES = [  # first match wins; name regex -> family
    (r'^(IE |Edge 1[2-8] )', 'schannel'),
    (r'^(Chrome|Chromium|Edge 1[0-9][0-9]|Opera (1[5-9]|[2-9][0-9]))', 'boringssl'),
    (r'^Opera 12', 'presto'),
    (r'^(Firefox|Thunderbird|Tor )', 'firefox'),
    (r'^(Safari|Apple )', 'apple'),
    (r'^Android', 'android'),
    (r'^Java', 'java'),
    (r'^go ', 'go'),
    (r'^LibreSSL', 'libressl'),
    (r'^OpenSSL', 'openssl'),
    (r'^(Baidu|BingBot|BingPreview|Yahoo Slurp|Googlebot|YandexBot)', 'crawler'),
]

CAPTURE_FAMILY = {'openssl': 'openssl', 'gnutls': 'gnutls', 'nss': 'nss', 'java': 'java', 'go': 'go',
                  'mbedtls': 'mbedtls', 'wolfssl': 'wolfssl'}

CAPTURE_NAMES = {  # capture name prefix -> human name
    'openssl-3.0-s_client': 'OpenSSL 3.0 (Debian 12) defaults: openssl s_client, curl 7.88, Python 3.11 ssl',
    'openssl-3.0-curl': 'OpenSSL 3.0 (Debian 12) defaults: curl 7.88',
    'openssl-3.0-python3.11': 'OpenSSL 3.0 (Debian 12): Python 3.11 ssl.create_default_context()',
    'openssl-3.0-node20': 'OpenSSL 3.0 bundled in Node.js 20 (its own cipher list)',
    'gnutls-3.7-gnutls-cli': 'GnuTLS 3.7 (Debian 12) NORMAL priority: gnutls-cli',
    'gnutls-3.7-wget': 'GnuTLS 3.7 (Debian 12): wget 1.21',
    'nss-3.87-tstclnt': 'NSS 3.87 (Debian 12) defaults: tstclnt',
    'java-17-jsse': 'OpenJDK 17 SunJSSE (Debian 12) defaults',
    'go-1.19-crypto_tls': 'Go 1.19 crypto/tls defaults',
    'mbedtls-2.28-client': 'mbed TLS 2.28 (Debian 12) defaults',
    'wolfssl-5.5-client': 'wolfSSL 5.5 (Debian 12) defaults',
}


def vname(v):
    return {0x0002: 'SSL 2.0', 0x0300: 'SSL 3.0', 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2',
            0x0304: 'TLS 1.3'}.get(v, '0x%04x' % v)


def shuffles(name, family):
    """Chrome 110 (January 2023) permutes the extension order of every ClientHello."""
    m = re.match(r'^(Chrome|Chromium|Edge|Opera) (\d+)', name)
    return family == 'boringssl' and m is not None and int(m.group(2)) >= 110


def json_sources(path):
    out = []
    for e in json.load(open(path)):
        name = e['name']
        fam = next((f for rx, f in FAMILY_RULES if re.search(rx, name)), None)
        if fam is None:
            raise SystemExit('make-stack-table: no family rule for %r' % name)
        win = None
        if fam == 'schannel':
            win = next((w for rx, w in WIN if re.search(rx, name)), None)
            if win is None:
                raise SystemExit('make-stack-table: no Windows release for %r' % name)
        h = parse_records(bytes.fromhex(e['record_hex']))
        lo, hi = int(e['lowest_protocol'], 16), int(e['highest_protocol'], 16)
        out.append({'id': name, 'slug': e['short'], 'family': fam, 'windows': win, 'label': name,
                    'lo': lo, 'hi': hi, 'src': 'client-hellos.json: ' + name, 'hello': h,
                    'shuffles': shuffles(name, fam)})
    return out


NARROWED = re.compile(r'-tls1(_[12])?$')


def capture_sources(pattern):
    out = []
    for path in sorted(glob.glob(pattern)):
        base = os.path.basename(path)[:-5]
        if NARROWED.search(base):
            continue
        fam = CAPTURE_FAMILY[base.split('-')[0]]
        prefix = next(p for p in sorted(CAPTURE_NAMES, key=len, reverse=True) if base.startswith(p))
        h = parse_records(pcap_client_stream(path))
        vs = [v for v in h.versions if not grease(v)] or [h.legacy]
        out.append({'id': base, 'slug': base, 'family': fam, 'windows': None,
                    'label': CAPTURE_NAMES[prefix], 'lo': min(vs), 'hi': max(vs),
                    'src': 'samples/stacks/%s.pcap' % base, 'hello': h, 'shuffles': False})
    return out


FAMILY_LIBRARY = {'schannel': 'schannel', 'boringssl': 'boringssl', 'presto': 'presto', 'firefox': 'nss',
                  'nss': 'nss', 'apple': 'apple', 'java': 'jsse', 'go': 'go', 'libressl': 'libressl',
                  'openssl': 'openssl', 'gnutls': 'gnutls', 'mbedtls': 'mbedtls', 'wolfssl': 'wolfssl',
                  'crawler': None}


def library(src):
    """The TLS library under a source's product: Chrome used Mozilla NSS before it moved to
    BoringSSL (Chrome 38, 2014); Android's own stack was OpenSSL up to 5.x, BoringSSL from 6.0."""
    fam, name = src['family'], src['id']
    m = re.match(r'^(Chrome|Opera) (\d+)', name)
    if fam == 'boringssl' and m and int(m.group(2)) < (25 if m.group(1) == 'Opera' else 38):
        return 'nss'
    if fam == 'android':
        m = re.match(r'^Android (\d+)', name)
        return 'openssl' if int(m.group(1)) < 6 else 'boringssl'
    return FAMILY_LIBRARY[fam]


def slug(src):
    s = src['slug'].replace('_', '-').lower()
    if src['src'].startswith('samples/') or s.startswith(src['family'] + '-'):
        return s
    return src['family'] + '-' + s


def build(sources):
    for i, s in enumerate(sources):
        s['order'] = i
    """Group sources with identical features. Sources of different families are merged only
    when they share a library (Android 9's native stack and Chrome 73 are both BoringSSL); a
    crawler joins any stack it is identical to (Bing's crawler sends Windows 7's SChannel
    hello). Identical features under different libraries stay apart as twins."""
    by_id = {}
    for s in sources:
        s['f'] = features(s['hello'])
        s['lib'] = library(s)
        by_id.setdefault(identity(s['f'], s['shuffles']), []).append(s)
    groups = []
    for members in by_id.values():
        libs = []
        for m in members:
            if m['lib'] is not None and m['lib'] not in libs:
                libs.append(m['lib'])
        if len(libs) <= 1:
            groups.append(members)
            continue
        for lib in libs:  # twins: one group per library, crawlers go with the first
            groups.append([m for m in members if m['lib'] == lib or (m['lib'] is None and lib == libs[0])])
    entries = []
    for members in groups:
        members.sort(key=lambda m: (m['family'] == 'crawler', m['src'].startswith('samples/'), len(m['id']),
                                    m['order']) if m['src'].startswith('samples/') else
                     (m['family'] == 'crawler', False, 0, m['order']))
        real = [m for m in members if m['family'] != 'crawler'] or members
        fams = []
        for m in real:
            if m['family'] not in fams:
                fams.append(m['family'])
        lib = real[0]['lib']
        fam = lib if lib in fams else fams[0]
        first = next(m for m in real if m['family'] == fam)
        labels, wins = [], []
        for m in members:
            if m['label'] not in labels:
                labels.append(m['label'])
            if m['windows'] and m['windows'] not in wins:
                wins.append(m['windows'])
        name = ', '.join(labels)
        win = '; '.join(wins) or None
        if fam == 'schannel':
            name = '%s SChannel (%s)' % (win, name)
        if len(name) > 150:
            cut = name[:150].rsplit(', ', 1)[0]
            name = cut + ' and %d more' % (len(labels) - cut.count(', ') - 1)
        lo, hi = min(m['lo'] for m in members), max(m['hi'] for m in members)
        entries.append({
            'key': slug(first), 'family': fam, 'library': lib or 'unknown', 'windows': win, 'name': name,
            'versions': vname(lo) if lo == hi else '%s-%s' % (vname(lo), vname(hi)),
            'sources': '; '.join(m['src'] for m in members),
            'members': [m['id'] for m in members],
            'f': first['f'], 'shuffles': first['shuffles'],
            'soft': sorted({x for m in members for x in m['f']['soft']}),
        })
    keys = [e['key'] for e in entries]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise SystemExit('make-stack-table: duplicate keys %s' % sorted(dup))
    same = {}
    for e in entries:
        same.setdefault(identity(e['f'], e['shuffles']), []).append(e)
    for group in same.values():
        for e in group:
            e['twins'] = [o['key'] for o in group if o is not e]
    return entries


# ---------------------------------------------------------------- C output
def c_str(s):
    if s is None:
        return 'NULL'
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def c_list(name, ctype, vals, fmt):
    if not vals:
        return None
    body, line = [], '\t'
    for v in vals:
        item = fmt % v + ','
        if len(line) + len(item) + 1 > 112:
            body.append(line.rstrip())
            line = '\t'
        line += item + ' '
    body.append(line.rstrip())
    return 'static const %s %s[] = {\n%s\n};' % (ctype, name, '\n'.join(body))


def emit(entries, inputs):
    out = ['/* stack_table.c - known TLS client stacks: the ClientHello features each one fixes.',
           ' * GENERATED by scripts/make-stack-table.py - do not edit; run the script again. From:',
           ' *   %s (the ClientHellos of the testssl.sh' % inputs[0],
           ' *   project\'s etc/client-simulation.txt, GPL-2.0, collected from Qualys SSL Labs\' client list:',
           ' *   only derived features are kept here, no hello bytes),',
           ' *   %s (our own Debian 12 captures, scripts/make-stack-samples.sh),' % inputs[1],
           ' *   src/stack/stack_rules.h and the cipher suite names of src/names/names.c.',
           ' * %d entries from %d sources. */' % (len(entries), sum(len(e['members']) for e in entries)),
           '#include <stddef.h>', '', '#include "stack_internal.h"', '', '/* clang-format off */', '']
    rows = []
    for i, e in enumerate(entries):
        f = e['f']
        arrays = {}
        for fld, ctype, fmt in (('ciphers', 'uint16_t', '0x%04x'), ('exts', 'uint16_t', '%d'),
                                ('groups', 'uint16_t', '0x%04x'), ('sigalgs', 'uint16_t', '0x%04x'),
                                ('pf', 'uint8_t', '%d'), ('comp', 'uint8_t', '%d'), ('soft', 'uint16_t', '%d')):
            vals = e['soft'] if fld == 'soft' else f[fld]
            decl = c_list('e%d_%s' % (i, fld), ctype, vals, fmt)
            if decl:
                out.append(decl)
                arrays[fld] = 'e%d_%s' % (i, fld)
            else:
                arrays[fld] = 'NULL'
        twins = ', '.join(e['twins'])
        rows.append(
            '\t{.key = %s, .family = %s, .library = %s,\n'
            '\t .name = %s,\n'
            '\t .windows = %s, .versions = %s, .twins = %s,\n'
            '\t .sources = %s,\n'
            '\t .max_version = 0x%04x, .record_version = 0x%04x, .sslv2 = %s, .shuffles = %s, .crawler = %s,\n'
            '\t .ciphers = %s, .n_ciphers = %d, .exts = %s, .n_exts = %d,\n'
            '\t .groups = %s, .n_groups = %d, .sigalgs = %s, .n_sigalgs = %d,\n'
            '\t .point_formats = %s, .n_point_formats = %d, .compression = %s, .n_compression = %d,\n'
            '\t .soft_exts = %s, .n_soft_exts = %d, .base_hash = 0x%016xu,\n'
            '\t .sig = {%s}},' % (
                c_str(e['key']), c_str(e['family']), c_str(e['library']), c_str(e['name']), c_str(e['windows']),
                c_str(e['versions']), c_str(twins or None), c_str(e['sources']),
                f['max'], f['record'], 'true' if f['sslv2'] else 'false', 'true' if e['shuffles'] else 'false',
                'true' if e['family'] == 'crawler' else 'false',
                arrays['ciphers'], len(f['ciphers']), arrays['exts'], len(f['exts']),
                arrays['groups'], len(f['groups']), arrays['sigalgs'], len(f['sigalgs']),
                arrays['pf'], len(f['pf']), arrays['comp'], len(f['comp']),
                arrays['soft'], len(e['soft']), base_hash(f),
                ', '.join('{' + ', '.join('0x%016xu' % x for x in signature(f, r)) + '}' for r in VIEWS)))
    out += ['', 'const struct stack_entry stack_entries[] = {'] + rows + ['};',
            'const size_t stack_n_entries = sizeof(stack_entries) / sizeof(stack_entries[0]);', '']
    idx = sorted((base_hash(e['f']), i) for i, e in enumerate(entries))
    out.append('/* (base_hash, entry) sorted by hash: the exact match\'s lookup */')
    out.append('const struct stack_index stack_index[] = {')
    out += ['\t{0x%016xu, %d},' % (h, i) for h, i in idx]
    out += ['};', '']
    code = {0x0300: 0, 0x0301: 1, 0x0303: 2, 0x0304: 3}
    words = [0] * 2048
    for c, v in CIPHER_MIN.items():
        words[c >> 5] |= code[v] << ((c & 31) * 2)
    out.append('/* lowest version of each cipher suite from its name in names.c, 2 bits per suite */')
    out.append('const uint64_t stack_cipher_min_bits[2048] = {')
    for i in range(0, 2048, 4):
        if any(words[i:i + 4]):
            out.append('\t[%d] = ' % i + ', '.join('0x%016xu' % w for w in words[i:i + 4]) + ',')
    out += ['};', '',
            '/* clang-format on */', '']
    return '\n'.join(out)


def report(entries):
    for e in entries:
        f = e['f']
        print('%-36s %-9s %-9s max=%s n_c=%d n_e=%d members=%s%s' % (
            e['key'], e['family'], e['library'], vname(f['max']), len(f['ciphers']), len(f['exts']),
            ' | '.join(e['members']), ('  TWINS: ' + ', '.join(e['twins'])) if e['twins'] else ''))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--clients', default=os.path.join(REPO, '..', 'shared', 'clients', 'client-hellos.json'))
    ap.add_argument('--captures', default=os.path.join(REPO, 'samples', 'stacks', '*.pcap'))
    ap.add_argument('--out', default=os.path.join(REPO, 'src', 'stack', 'stack_table.c'))
    ap.add_argument('--report', action='store_true')
    ap.add_argument('--check', action='store_true')
    a = ap.parse_args()
    if a.check and not os.path.exists(a.clients):
        print('make-stack-table: %s absent, check skipped' % a.clients)
        sys.exit(77)
    entries = build(json_sources(a.clients) + capture_sources(a.captures))
    if a.report:
        report(entries)
        return
    text = emit(entries, ['../shared/clients/client-hellos.json', 'samples/stacks/ (*.pcap)'])
    if a.check:
        old = open(a.out).read() if os.path.exists(a.out) else ''
        if old != text:
            print('make-stack-table: %s is stale: run scripts/make-stack-table.py' % a.out)
            sys.exit(1)
        print('make-stack-table: %s matches its inputs (%d entries)' % (a.out, len(entries)))
        return
    with open(a.out, 'w') as fh:
        fh.write(text)
    print('make-stack-table: wrote %d entries to %s' % (len(entries), a.out), file=sys.stderr)


if __name__ == '__main__':
    main()
