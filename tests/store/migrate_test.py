#!/usr/bin/env python3
"""migrate_test.py - a schema-2 database made by the previous release (tests/store/fixtures/schema2.db: the
samples read by tlsaudit 0.1.0 at commit 841bee3, kept as it was written) is migrated to the current schema on
open, and every stored connection reads back exactly as the previous release printed it
(fixtures/schema2.ndjson: that release's `read --json` of the same database). Then the migrated database is
checked: integrity, views, summary, and a second open changes nothing.

usage: migrate_test.py TLSAUDIT SAMPLES_DIR FIXTURES_DIR
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checklib import Checks  # noqa: E402

tool, samples, fixtures = sys.argv[1:4]
tally = Checks()
check = tally.check

tmp = tempfile.mkdtemp()
db = os.path.join(tmp, "old.db")
shutil.copy(os.path.join(fixtures, "schema2.db"), db)
want = [json.loads(line) for line in open(os.path.join(fixtures, "schema2.ndjson"))]

con = sqlite3.connect(db)
check(con.execute("PRAGMA user_version").fetchone()[0] == 2, "the fixture is a schema-2 database")
v2_rows = con.execute("SELECT count(*) FROM connections").fetchone()[0]
con.close()

got = []
for name in sorted(os.listdir(samples)):
    if not name.endswith(".pcap"):
        continue
    r = subprocess.run([tool, "read", "--json", "--db", db, os.path.join(samples, name)], capture_output=True,
                       timeout=60)
    check(r.returncode == 0, f"read {name} into the old database: rc {r.returncode} {r.stderr[-300:]!r}")
    check(b"already in" in r.stderr, f"{name} is found in the migrated database (nothing added)")
    got += [json.loads(line) for line in r.stdout.splitlines()]

check(len(got) == len(want), f"{len(got)} connections read back, the previous release printed {len(want)}")
for i, (g, w) in enumerate(zip(got, want)):
    # fields added since the previous release are absent from its output; everything it printed must stay
    for k in sorted(set(w)):
        check(g.get(k) == w.get(k), f"connection {i} ({w.get('client_ip')}:{w.get('client_port')}) field {k}: "
                                     f"{w.get(k)!r} became {g.get(k)!r}")

check(all(set(g) >= {"client_stack", "anomalies"} for g in got), "new fields are printed for migrated rows")

con = sqlite3.connect(db)
check(con.execute("PRAGMA user_version").fetchone()[0] == 3, "migrated to schema 3")
check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check after migration")
check(con.execute("PRAGMA foreign_key_check").fetchall() == [], "foreign_key_check after migration")
tables = {r[0] for r in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
check(not any(t.endswith("_v2") for t in tables), f"old tables are gone: {sorted(tables)}")
check(con.execute("SELECT count(*) FROM connections").fetchone()[0] == v2_rows, "the connections view counts them all")
n = con.execute("SELECT sum(connections) FROM host_summary WHERE role = 'client'").fetchone()[0]
check(n == v2_rows, f"host_summary counts every connection once per role ({n} of {v2_rows})")
old_captures = con.execute("SELECT count(*) FROM captures").fetchone()[0]
con.close()

# what a migrated hello shape offers (weak cipher kinds, for the report's posture) is what a fresh read of the
# same samples derives from the same cipher list
fresh = os.path.join(tmp, "fresh.db")
r = subprocess.run([tool, "read", "-q", "--db", fresh] + sorted(os.path.join(samples, n) for n in os.listdir(samples)
                                                            if n.endswith(".pcap")), capture_output=True)
check(r.returncode == 0, f"fresh read of the samples: rc {r.returncode}")
with sqlite3.connect(fresh) as f:
    fresh_offers = dict(f.execute("SELECT ciphers, offers FROM client_hellos WHERE ciphers != ''"))
with sqlite3.connect(db) as m:
    migrated = m.execute("SELECT ciphers, offers FROM client_hellos WHERE ciphers != ''").fetchall()
pairs = [(c, o, fresh_offers[c]) for c, o in migrated if c in fresh_offers]
check(len(pairs) >= 5 and any(o for _, _, o in pairs), f"{len(pairs)} migrated hello shapes to compare")
for c, o, want_o in pairs:
    check(o == want_o, f"migrated shape offers {o}, a fresh read {want_o} (ciphers {c[:60]})")

# a second open (another read) migrates nothing and adds nothing
before = os.stat(db).st_size
r = subprocess.run([tool, "read", "-q", "--db", db, os.path.join(samples, "tls13.pcap")], capture_output=True)
check(r.returncode == 0, "second open")
con = sqlite3.connect(db)
check(con.execute("SELECT count(*) FROM captures").fetchone()[0] == old_captures, "no capture added")
con.close()

# name tables written by another build (here: one name missing, another digest) are rewritten on the next open
con = sqlite3.connect(db)
con.execute("DELETE FROM cipher_suites WHERE id = 4865")  # TLS_AES_128_GCM_SHA256
con.execute("UPDATE meta SET value = 1 WHERE key = 'names_digest'")
con.commit()
con.close()
r = subprocess.run([tool, "read", "-q", "--db", db, os.path.join(samples, "tls13.pcap")], capture_output=True)
con = sqlite3.connect(db)
name = con.execute("SELECT name FROM cipher_suites WHERE id = 4865").fetchone()
check(r.returncode == 0 and name == ("TLS_AES_128_GCM_SHA256",), f"name tables refreshed on open: {name}")
digest = con.execute("SELECT value FROM meta WHERE key = 'names_digest'").fetchone()
check(digest is not None and digest[0] != 1, f"the digest of this build's names is stored: {digest}")
con.close()

shutil.rmtree(tmp)
tally.finish(f"migrate: {len(got)} connections compared, {tally.failures} failures")
