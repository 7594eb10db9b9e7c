"""probe_rows.py - probe attempts written straight into a database's probes table (the schema of
src/store/store_schema.c, the numbers of include/tlsaudit/probe.h and starttls.h), so that the report and HTML
tests can judge probed servers without running servers: every value here is chosen by the test, not read back
from our own output. The probe suite (tests/probe) covers what `tlsaudit probe` itself stores."""
import ipaddress
import sqlite3

ACCEPTED, OTHER_VERSION, ALERT, RESET, CLOSED, TIMEOUT, NOT_TLS, STARTTLS_REFUSED, UNREACHABLE = range(9)
SMTP = 1  # enum starttls_proto
VERSIONS = {"SSL 3.0": 0x0300, "TLS 1.0": 0x0301, "TLS 1.1": 0x0302, "TLS 1.2": 0x0303, "TLS 1.3": 0x0304}


def add(db, ip, port, version, result, ts_ns, sensor="sensor", starttls=0, sni=None, detail=None, target=None,
        alert=None, cipher=None):
    """One attempt: version "TLS 1.0" (None: no hello sent), result one of the numbers above."""
    a = ipaddress.ip_address(ip)
    con = sqlite3.connect(db)
    con.execute("INSERT OR IGNORE INTO hosts (family, addr, ip) VALUES (?, ?, ?)", (a.version, a.packed, str(a)))
    host_id = con.execute("SELECT id FROM hosts WHERE addr = ?", (a.packed,)).fetchone()[0]
    v = VERSIONS[version] if version else 0
    con.execute("INSERT INTO probes (ts_ns, sensor, target, host_id, port, starttls, sni, version, result,"
                " server_version, cipher, hello_retry_request, alert, rtt_us, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                (ts_ns, sensor, target or f"{ip}:{port}", host_id, port, starttls, sni, v, result,
                 v if result == ACCEPTED else None, cipher if result == ACCEPTED else None,
                 (1 << 16 | 2 << 8 | alert) if alert is not None else None, 800 if version else None, detail))
    con.commit()
    con.close()
