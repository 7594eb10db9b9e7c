/* store_schema.c - the database schema: tables, indexes, views and the name tables they join (docs/schema.md).
 *
 * Design note. Schema 3 keeps facts as integers and what connections share once: `conn` (one compact row per
 * connection) points at `hosts`, `strings` (SNI values, ALPN protocols, nDPI labels), `client_hellos` and
 * `server_hellos` (one row per distinct shape, with its fingerprints, client stack and readable lists) and
 * `certificates`. The view `connections` puts the names back (the columns of schema 2, so the example queries
 * keep working), joining name tables that the names module fills (names.h): numbers become text in one place.
 * Released steps are frozen: schema 1 and 2 are SQL (they only ever run on databases being migrated), 2 -> 3 is
 * C (store_migrate.c) because it rewrites every row.
 */
#include <stdio.h>
#include <string.h>

#include "tlsaudit/names.h"
#include "store_internal.h"

/* 0 -> 1 and 1 -> 2 as released (frozen): they bring a very old database to 2, from where store_migrate.c
 * converts it. */
const char *const store_sql_v1 =
	"CREATE TABLE captures ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, sha256 TEXT, path TEXT NOT NULL, sensor TEXT NOT NULL,"
	" format TEXT NOT NULL, linktypes TEXT NOT NULL, file_bytes INTEGER NOT NULL DEFAULT 0,"
	" packets INTEGER NOT NULL DEFAULT 0, first_ns INTEGER NOT NULL DEFAULT 0, last_ns INTEGER NOT NULL DEFAULT 0,"
	" first_ts TEXT, last_ts TEXT, status TEXT NOT NULL, warnings TEXT NOT NULL DEFAULT '',"
	" read_started TEXT NOT NULL, read_finished TEXT);"
	"CREATE INDEX captures_sha256 ON captures(sha256);"
	"CREATE TABLE connections ("
	" id INTEGER PRIMARY KEY, capture_id INTEGER NOT NULL REFERENCES captures(id), seq INTEGER NOT NULL,"
	" ts TEXT NOT NULL, ts_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL, family INTEGER NOT NULL,"
	" client_ip TEXT NOT NULL, client_port INTEGER NOT NULL, server_ip TEXT NOT NULL,"
	" server_port INTEGER NOT NULL, sni, alpn BLOB, client_record_version_id INTEGER NOT NULL,"
	" client_legacy_version TEXT, client_legacy_version_id INTEGER NOT NULL, client_supported_versions TEXT,"
	" client_supported_versions_id TEXT, client_max_version TEXT, client_max_version_id INTEGER NOT NULL,"
	" client_max_level INTEGER NOT NULL, ciphers TEXT NOT NULL, groups TEXT NOT NULL,"
	" has_server_hello INTEGER NOT NULL, server_legacy_version_id INTEGER NOT NULL, negotiated_version TEXT,"
	" negotiated_version_id INTEGER, negotiated_level INTEGER, cipher TEXT, cipher_id INTEGER,"
	" cipher_sslv2 INTEGER NOT NULL, alert TEXT, alert_id INTEGER, alert_level TEXT, alert_level_id INTEGER,"
	" alert_sender TEXT, established INTEGER NOT NULL, resumed INTEGER NOT NULL,"
	" hello_retry_request INTEGER NOT NULL, starttls TEXT, l7_protocol TEXT, risk_mask INTEGER NOT NULL,"
	" outcome TEXT NOT NULL, flags INTEGER NOT NULL, ja3 TEXT, ja3s TEXT, ja4 TEXT, ja4_hrr TEXT, ndpi_ja3 TEXT,"
	" pkts_c2s INTEGER NOT NULL, pkts_s2c INTEGER NOT NULL, bytes_c2s INTEGER NOT NULL,"
	" bytes_s2c INTEGER NOT NULL, UNIQUE (capture_id, seq));"
	"CREATE TABLE host_summary ("
	" family INTEGER NOT NULL, ip TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('client', 'server')),"
	" connections INTEGER NOT NULL, established INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" max_offered INTEGER, min_negotiated INTEGER, max_negotiated INTEGER, versions TEXT NOT NULL,"
	" failures TEXT NOT NULL, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
	" PRIMARY KEY (ip, role)) WITHOUT ROWID;";

const char *const store_sql_v2 =
	"CREATE TABLE certificates ("
	" id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, subject_cn, issuer_cn, sans BLOB,"
	" not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, not_before_ts TEXT NOT NULL,"
	" not_after_ts TEXT NOT NULL, key_type TEXT, key_curve TEXT, key_bits INTEGER, sig_alg TEXT,"
	" self_signed INTEGER NOT NULL);"
	"ALTER TABLE connections ADD COLUMN cert_id INTEGER REFERENCES certificates(id);"
	"ALTER TABLE connections ADD COLUMN cert_chain_len INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE connections ADD COLUMN cert_expired INTEGER;";

/* Schema 3 tables. captures' counter columns (TA_STATS_FIELDS) are added after this, one ALTER each, in the
 * X-macro's order, on every open: a fresh database and an old one end with the same text. */
const char *const store_sql_v3_tables[] = {
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;",
	"CREATE TABLE captures ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused: a deleted duplicate's id stays dead */
	" sha256 TEXT,"				 /* lowercase hex of the bytes as given; NULL for stdin-less live */
	" path TEXT NOT NULL,"
	" sensor TEXT NOT NULL,"
	" format TEXT NOT NULL,"
	" options TEXT NOT NULL DEFAULT ''," /* analysis options that change results */
	" linktypes TEXT NOT NULL DEFAULT '',"
	" file_bytes INTEGER NOT NULL DEFAULT 0,"
	" packets INTEGER NOT NULL DEFAULT 0,"
	" first_ns INTEGER NOT NULL DEFAULT 0,"
	" last_ns INTEGER NOT NULL DEFAULT 0,"
	" status TEXT NOT NULL,"
	" warnings TEXT NOT NULL DEFAULT '',"
	" read_started TEXT NOT NULL,"
	" read_finished TEXT,"
	" connections INTEGER NOT NULL DEFAULT 0,"
	" rows_digest INTEGER NOT NULL DEFAULT 0," /* order-independent digest of the rows (merge identity) */
	" conn_min INTEGER NOT NULL DEFAULT 0,"	   /* the capture's rows lie in conn.id [conn_min, conn_max] */
	" conn_max INTEGER NOT NULL DEFAULT 0,"
	" owner_pid INTEGER NOT NULL DEFAULT 0,"   /* the process writing a reading/running capture ... */
	" owner_start INTEGER NOT NULL DEFAULT 0," /* ... its start time (clock ticks since boot) ... */
	" owner_boot TEXT NOT NULL DEFAULT ''"	   /* ... and the boot it ran in: a dead owner = interrupted */
	");",
	"CREATE INDEX captures_sha256 ON captures(sha256);",
	"CREATE TABLE hosts (id INTEGER PRIMARY KEY, family INTEGER NOT NULL, addr BLOB NOT NULL UNIQUE,"
	" ip TEXT NOT NULL);",
	"CREATE TABLE strings (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, value NOT NULL," /* TEXT or BLOB */
	" UNIQUE (kind, value));",
	"CREATE TABLE client_hellos ("
	" id INTEGER PRIMARY KEY, shape BLOB NOT NULL UNIQUE," /* dict.h hello key: the exact facts */
	" status INTEGER NOT NULL, record_version INTEGER NOT NULL, legacy_version INTEGER NOT NULL,"
	" max_version INTEGER NOT NULL, min_listed_version INTEGER NOT NULL, sslv2 INTEGER NOT NULL,"
	" has_sni INTEGER NOT NULL, supported_versions TEXT," /* JSON names, GREASE left out; NULL: absent */
	" ciphers TEXT NOT NULL, extensions TEXT NOT NULL, groups TEXT NOT NULL, sigalgs TEXT NOT NULL,"
	" point_formats TEXT NOT NULL, alpn BLOB, n_ciphers_total INTEGER NOT NULL,"
	" ja3 TEXT, ja4 TEXT, ndpi_ja3 TEXT, offers INTEGER NOT NULL, risks INTEGER NOT NULL,"
	" stack_key TEXT, stack_family TEXT, stack_name TEXT, stack_match TEXT, stack_differed TEXT);",
	"CREATE TABLE server_hellos ("
	" id INTEGER PRIMARY KEY, shape BLOB NOT NULL UNIQUE, record_version INTEGER NOT NULL,"
	" legacy_version INTEGER NOT NULL, selected_version INTEGER NOT NULL, cipher INTEGER NOT NULL,"
	" compression INTEGER NOT NULL, sslv2 INTEGER NOT NULL, extensions TEXT NOT NULL, ja3s TEXT,"
	" risks INTEGER NOT NULL);",
	"CREATE TABLE certificates ("
	" id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, subject_cn, issuer_cn, sans BLOB,"
	" not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, not_before_ts TEXT NOT NULL,"
	" not_after_ts TEXT NOT NULL, key_type TEXT, key_curve TEXT, key_bits INTEGER, sig_alg TEXT,"
	" self_signed INTEGER NOT NULL, anomalies INTEGER NOT NULL DEFAULT 0, risks INTEGER NOT NULL DEFAULT 0);",
	"CREATE TABLE conn ("
	" id INTEGER PRIMARY KEY,"
	" capture_id INTEGER NOT NULL REFERENCES captures(id),"
	" seq INTEGER NOT NULL,"
	" ts_ns INTEGER NOT NULL,"
	" dur_ns INTEGER NOT NULL," /* last packet - first packet */
	" client_id INTEGER NOT NULL REFERENCES hosts(id), client_port INTEGER NOT NULL,"
	" server_id INTEGER NOT NULL REFERENCES hosts(id), server_port INTEGER NOT NULL,"
	" sni_id INTEGER REFERENCES strings(id),"
	" hello_id INTEGER REFERENCES client_hellos(id),"
	" hello2_id INTEGER REFERENCES client_hellos(id),"
	" server_hello_id INTEGER REFERENCES server_hellos(id),"
	" version INTEGER," /* negotiated; NULL without a ServerHello */
	" cipher INTEGER,"  /* negotiated suite, or the SSLv2 cipher kind (state bit 3); NULL none */
	" alert INTEGER,"   /* sender << 16 | level << 8 | description; NULL none */
	" outcome INTEGER NOT NULL,"
	" state INTEGER NOT NULL," /* 1 established, 2 resumed, 4 hello_retry_request, 8 SSLv2 cipher, 16 expired,
				    * 32/64 nDPI's JA3 is the first/second hello's */
	" flags INTEGER NOT NULL," /* REC_F_* */
	" anomalies INTEGER NOT NULL,"
	" risks INTEGER NOT NULL,"
	" l7_id INTEGER REFERENCES strings(id),"
	" alpn_id INTEGER REFERENCES strings(id),"
	" kx_group INTEGER,"
	" starttls INTEGER,"
	" cert_id INTEGER REFERENCES certificates(id),"
	" cert_chain_len INTEGER NOT NULL,"
	" pkts_c2s INTEGER NOT NULL, pkts_s2c INTEGER NOT NULL, bytes_c2s INTEGER NOT NULL, bytes_s2c INTEGER NOT NULL,"
	" dup_frames INTEGER NOT NULL"
	");",
	"CREATE INDEX conn_ts ON conn(ts_ns);",
	"CREATE TABLE host_stats ("
	" host_id INTEGER NOT NULL REFERENCES hosts(id), role INTEGER NOT NULL," /* 0 client, 1 server */
	" connections INTEGER NOT NULL, established INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" unknown INTEGER NOT NULL, max_offered INTEGER NOT NULL, min_offered INTEGER NOT NULL,"
	" max_negotiated INTEGER NOT NULL, min_negotiated INTEGER NOT NULL, first_ns INTEGER NOT NULL,"
	" last_ns INTEGER NOT NULL,"
	" neg_none INTEGER NOT NULL, neg_ssl2 INTEGER NOT NULL, neg_ssl3 INTEGER NOT NULL,"
	" neg_tls10 INTEGER NOT NULL, neg_tls11 INTEGER NOT NULL, neg_tls12 INTEGER NOT NULL,"
	" neg_tls13 INTEGER NOT NULL, neg_other INTEGER NOT NULL,"
	" max_none INTEGER NOT NULL, max_ssl2 INTEGER NOT NULL, max_ssl3 INTEGER NOT NULL,"
	" max_tls10 INTEGER NOT NULL, max_tls11 INTEGER NOT NULL, max_tls12 INTEGER NOT NULL,"
	" max_tls13 INTEGER NOT NULL, max_other INTEGER NOT NULL,"
	" PRIMARY KEY (host_id, role)) WITHOUT ROWID;",
	"CREATE TABLE host_failures ("
	" host_id INTEGER NOT NULL REFERENCES hosts(id), role INTEGER NOT NULL, reason INTEGER NOT NULL,"
	" connections INTEGER NOT NULL, PRIMARY KEY (host_id, role, reason)) WITHOUT ROWID;",
	/* `tlsaudit probe`: one row per attempt (store_probe.c); numbers as in conn, named by the view */
	"CREATE TABLE probes ("
	" id INTEGER PRIMARY KEY,"
	" ts_ns INTEGER NOT NULL," /* when the attempt began (wall clock) */
	" sensor TEXT NOT NULL,"   /* host name of the machine that probed */
	" target NOT NULL,"	   /* as given on the command line (TEXT, or BLOB when not UTF-8) */
	" host_id INTEGER NOT NULL REFERENCES hosts(id),"
	" port INTEGER NOT NULL,"
	" starttls INTEGER NOT NULL," /* enum starttls_proto; 0 plain TLS */
	" sni,"			      /* server_name sent (TEXT or BLOB); NULL none */
	" version INTEGER NOT NULL,"  /* the one version offered; 0: no hello was sent */
	" result INTEGER NOT NULL,"   /* enum probe_result */
	" server_version INTEGER,"    /* the ServerHello's version; NULL none */
	" cipher INTEGER,"	      /* the ServerHello's suite; NULL none */
	" hello_retry_request INTEGER NOT NULL,"
	" alert INTEGER,"  /* sender << 16 | level << 8 | description; NULL none */
	" rtt_us INTEGER," /* hello sent -> deciding answer; NULL: none came */
	" detail"	   /* the server's non-TLS line or upgrade answer, or the local error; NULL none */
	");",
	"CREATE UNIQUE INDEX probes_attempt ON probes(host_id, port, starttls, ts_ns, version, sensor);",
	NULL,
};

/* RFC 3339 UTC with microseconds from an ns column (floor division, also before 1970) */
#define TS_OF(col)                                                                                                   \
	"strftime('%Y-%m-%dT%H:%M:%S', (" col " - ((" col " % 1000000000) + 1000000000) % 1000000000) / 1000000000," \
	" 'unixepoch') || printf('.%06dZ', (((" col " % 1000000000) + 1000000000) % 1000000000) / 1000)"

/* The name of a numeric column via a name table, with the names module's fallback (names_sql_fallback(), the
 * same text the outputs write for an unnamed value); NULL stays NULL. {K:col} in a view template is replaced
 * by the fallback expression of kind K over col: v version, c cipher, 2 SSLv2 cipher, a alert, g group. */
#define NAMED(table, kind, col)                                                                                     \
	"CASE WHEN " col " IS NULL THEN NULL ELSE coalesce((SELECT name FROM " table " WHERE id = " col "), {" kind \
	":" col "}) END"

/* capture statuses whose rows reports and views count: finished file reads, and live captures (running, or
 * terminated - killed: what it committed is evidence); not reads in progress or interrupted ones */
#define COUNTED_CAPTURES "(SELECT id FROM captures WHERE status IN ('complete', 'cut', 'running', 'terminated'))"

/* clang-format off */
static const char *const views_template[] = {
	"CREATE VIEW connections AS SELECT"
	" c.id, c.capture_id, c.seq, " TS_OF("c.ts_ns") " AS ts, c.ts_ns, c.ts_ns + c.dur_ns AS last_ns,"
	" ch.family, ch.ip AS client_ip, c.client_port, sh.ip AS server_ip, c.server_port,"
	" sni.value AS sni, h.alpn, h.record_version AS client_record_version_id,"
	" " NAMED("tls_versions", "v", "h.legacy_version") " AS client_legacy_version,"
	" coalesce(h.legacy_version, 0) AS client_legacy_version_id,"
	" h.supported_versions AS client_supported_versions,"
	" " NAMED("tls_versions", "v", "h.max_version") " AS client_max_version,"
	" coalesce(h.max_version, 0) AS client_max_version_id,"
	" coalesce(h.ciphers, '') AS ciphers, coalesce(h.groups, '') AS groups,"
	" h.extensions, h.sigalgs, h.ja3, s.ja3s, h.ja4, h2.ja4 AS ja4_hrr,"
	" CASE WHEN c.state & 32 THEN h.ndpi_ja3 WHEN c.state & 64 THEN h2.ndpi_ja3 END AS ndpi_ja3,"
	" h.stack_family AS client_stack_family, h.stack_name AS client_stack, h.stack_match AS client_stack_match,"
	" c.server_hello_id IS NOT NULL AS has_server_hello, coalesce(s.legacy_version, 0) AS server_legacy_version_id,"
	" " NAMED("tls_versions", "v", "s.legacy_version") " AS server_legacy_version,"
	" " NAMED("tls_versions", "v", "c.version") " AS negotiated_version, c.version AS negotiated_version_id,"
	" CASE WHEN c.cipher IS NULL THEN NULL WHEN c.state & 8 THEN " NAMED("sslv2_ciphers", "2", "c.cipher")
	" ELSE " NAMED("cipher_suites", "c", "c.cipher") " END AS cipher, c.cipher AS cipher_id,"
	" (c.state & 8) != 0 AS cipher_sslv2,"
	" " NAMED("alerts", "a", "(c.alert & 255)") " AS alert, c.alert & 255 AS alert_id,"
	" CASE (c.alert >> 8) & 255 WHEN 1 THEN 'warning' WHEN 2 THEN 'fatal' END AS alert_level,"
	" (c.alert >> 8) & 255 AS alert_level_id,"
	" CASE WHEN c.alert IS NULL THEN NULL WHEN c.alert >> 16 THEN 'server' ELSE 'client' END AS alert_sender,"
	" (c.state & 1) != 0 AS established, (c.state & 2) != 0 AS resumed, (c.state & 4) != 0 AS hello_retry_request,"
	" (SELECT name FROM starttls_protocols WHERE id = c.starttls) AS starttls, l7.value AS l7_protocol,"
	" c.risks AS risk_mask, coalesce((SELECT name FROM outcomes WHERE id = c.outcome), 'unknown') AS outcome,"
	" c.flags, c.anomalies, alpn.value AS alpn_selected,"
	" " NAMED("groups", "g", "c.kx_group") " AS kx_group,"
	" c.pkts_c2s, c.pkts_s2c, c.bytes_c2s, c.bytes_s2c, c.dup_frames,"
	" c.cert_id, c.cert_chain_len, CASE WHEN c.cert_id IS NULL THEN NULL ELSE (c.state & 16) != 0 END AS cert_expired"
	" FROM conn c JOIN hosts ch ON ch.id = c.client_id JOIN hosts sh ON sh.id = c.server_id"
	" LEFT JOIN client_hellos h ON h.id = c.hello_id LEFT JOIN client_hellos h2 ON h2.id = c.hello2_id"
	" LEFT JOIN server_hellos s ON s.id = c.server_hello_id LEFT JOIN strings sni ON sni.id = c.sni_id"
	" LEFT JOIN strings l7 ON l7.id = c.l7_id LEFT JOIN strings alpn ON alpn.id = c.alpn_id"
	" WHERE c.capture_id IN " COUNTED_CAPTURES ";",
	"CREATE VIEW host_summary AS SELECT"
	" h.family, h.ip, CASE s.role WHEN 0 THEN 'client' ELSE 'server' END AS role, s.connections,"
	" s.established, s.failed, s.unknown,"
	" (SELECT name FROM tls_versions WHERE id = s.max_offered) AS max_offered,"
	" (SELECT name FROM tls_versions WHERE id = s.min_negotiated) AS min_negotiated,"
	" (SELECT name FROM tls_versions WHERE id = s.max_negotiated) AS max_negotiated,"
	" s.neg_none AS no_server_hello, s.neg_ssl2 AS ssl2, s.neg_ssl3 AS ssl3, s.neg_tls10 AS tls10,"
	" s.neg_tls11 AS tls11, s.neg_tls12 AS tls12, s.neg_tls13 AS tls13,"
	" (SELECT group_concat(CASE WHEN f.reason < 256 THEN coalesce(o.name, 'unknown')"
	" ELSE coalesce(a.name, {a:(f.reason & 255)}) END || ' x' || f.connections, ', ')"
	" FROM host_failures f LEFT JOIN outcomes o ON o.id = f.reason"
	" LEFT JOIN alerts a ON a.id = f.reason - 256"
	" WHERE f.host_id = s.host_id AND f.role = s.role) AS failures,"
	" " TS_OF("s.first_ns") " AS first_ts, " TS_OF("s.last_ns") " AS last_ts, s.first_ns, s.last_ns"
	" FROM host_stats s JOIN hosts h ON h.id = s.host_id;",
	"CREATE VIEW probes_named AS SELECT"
	" p.id, " TS_OF("p.ts_ns") " AS ts, p.ts_ns, p.sensor, p.target, h.family, h.ip AS address, p.port,"
	" (SELECT name FROM starttls_protocols WHERE id = p.starttls) AS starttls, p.sni,"
	" CASE WHEN p.version = 0 THEN NULL ELSE " NAMED("tls_versions", "v", "p.version") " END AS version,"
	" p.version AS version_id,"
	" coalesce((SELECT name FROM probe_results WHERE id = p.result), 'unknown') AS result,"
	" " NAMED("tls_versions", "v", "p.server_version") " AS server_version,"
	" " NAMED("cipher_suites", "c", "p.cipher") " AS cipher, p.cipher AS cipher_id,"
	" p.hello_retry_request,"
	" " NAMED("alerts", "a", "(p.alert & 255)") " AS alert,"
	" CASE (p.alert >> 8) & 255 WHEN 1 THEN 'warning' WHEN 2 THEN 'fatal' END AS alert_level,"
	" CASE WHEN p.alert IS NULL THEN NULL WHEN p.alert >> 16 THEN 'server' ELSE 'client' END AS alert_sender,"
	" p.rtt_us / 1000.0 AS rtt_ms, p.detail"
	" FROM probes p JOIN hosts h ON h.id = p.host_id;",
	NULL,
};
/* clang-format on */

static int kind_of(char k)
{
	switch (k) {
	case 'v': return NAMES_VERSION;
	case 'c': return NAMES_CIPHER;
	case '2': return NAMES_SSLV2_CIPHER;
	case 'a': return NAMES_ALERT;
	case 'g': return NAMES_GROUP;
	default: return -1;
	}
}

/* Append n bytes of s to buf at *off (bounded); false when it does not fit. */
static bool put(char *buf, size_t len, size_t *off, const char *s, size_t n)
{
	if (n >= len - *off)
		return false;
	memcpy(buf + *off, s, n);
	*off += n;
	buf[*off] = '\0';
	return true;
}

/* Append the template t to buf at *off with every {K:col} expanded. */
static int expand(char *buf, size_t len, size_t *off, const char *t)
{
	const char *p = t;
	while (*p) {
		const char *brace = strchr(p, '{');
		if (!brace)
			return put(buf, len, off, p, strlen(p)) ? 0 : -1;
		if (!put(buf, len, off, p, (size_t)(brace - p)))
			return -1;
		const char *close = strchr(brace, '}');
		int k = kind_of(brace[1]);
		if (!close || brace[2] != ':' || k < 0)
			return -1;
		const char *col = brace + 3;
		size_t col_len = (size_t)(close - col);
		const char *fb = names_sql_fallback((enum names_kind)k);
		const char *mark = strstr(fb, "%s");
		if (!mark || !put(buf, len, off, fb, (size_t)(mark - fb)) || !put(buf, len, off, col, col_len) ||
		    !put(buf, len, off, mark + 2, strlen(mark + 2)))
			return -1;
		p = close + 1;
	}
	return 0;
}

int store_views_sql(char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (size_t v = 0; views_template[v]; v++)
		if (expand(buf, len, &off, views_template[v]) < 0)
			return -1;
	return 0;
}
