/* store.c - the SQLite store (include/tlsaudit/store.h); schema documented in docs/schema.md.
 *
 * Design note:
 * - The schema version lives in PRAGMA user_version; our marker is PRAGMA
 *   application_id = STORE_APPLICATION_ID. migrations[i] takes version i to
 *   i+1; all pending steps run in one IMMEDIATE transaction. Migration texts
 *   are frozen once released: change the schema only by appending a step.
 * - The per-capture counter columns come from the TA_STATS_FIELDS X-macro and
 *   are added (ALTER TABLE ADD COLUMN) on open when missing, so a new counter
 *   never needs a hand-written migration and can never drift.
 * - The connections column list is one X-macro (CONN_COLS) shared by the
 *   INSERT and the SELECT, so binding and reading use the same indexes.
 * - Rows are inserted in an open transaction committed every STORE_BATCH_ROWS
 *   rows; a failed insert leaves the batch open (SQLite rolls back only the
 *   statement), so nothing already inserted is lost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sqlite3.h>

#include "tlsaudit/record.h"
#include "tlsaudit/stats.h"
#include "tlsaudit/store.h"
#include "tlsaudit/tls.h"
#include "store_internal.h"

#define STORE_BATCH_ROWS      1000	 /* rows per write transaction in store_add_record */
#define STORE_BUSY_TIMEOUT_MS 5000	 /* wait this long for another writer's lock */
#define STORE_APPLICATION_ID  0x544c5341 /* "TLSA" in PRAGMA application_id: our marker */
#define TS_LEN		      80	 /* format_ts buffer: fits any int year */

/* ---- schema ---------------------------------------------------------------------------------- */

/* migrations[i]: user_version i -> i + 1. Frozen once released; append only. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE captures ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused: a deleted duplicate's id stays dead */
	" sha256 TEXT,"				 /* lowercase hex, NULL when unknown (stdin, live) */
	" path TEXT NOT NULL,"
	" sensor TEXT NOT NULL,"
	" format TEXT NOT NULL,"
	" linktypes TEXT NOT NULL,"
	" file_bytes INTEGER NOT NULL DEFAULT 0,"
	" packets INTEGER NOT NULL DEFAULT 0,"
	" first_ns INTEGER NOT NULL DEFAULT 0,"
	" last_ns INTEGER NOT NULL DEFAULT 0,"
	" first_ts TEXT,"
	" last_ts TEXT,"
	" status TEXT NOT NULL,"
	" warnings TEXT NOT NULL DEFAULT '',"
	" read_started TEXT NOT NULL,"
	" read_finished TEXT"
	");"
	"CREATE INDEX captures_sha256 ON captures(sha256);"
	"CREATE TABLE connections ("
	" id INTEGER PRIMARY KEY,"
	" capture_id INTEGER NOT NULL REFERENCES captures(id),"
	" seq INTEGER NOT NULL,"
	" ts TEXT NOT NULL,"
	" ts_ns INTEGER NOT NULL,"
	" last_ns INTEGER NOT NULL,"
	" family INTEGER NOT NULL,"
	" client_ip TEXT NOT NULL,"
	" client_port INTEGER NOT NULL,"
	" server_ip TEXT NOT NULL,"
	" server_port INTEGER NOT NULL,"
	" sni," /* TEXT if valid UTF-8 without NUL, else BLOB; NULL = no SNI */
	" alpn BLOB,"
	" client_record_version_id INTEGER NOT NULL,"
	" client_legacy_version TEXT,"
	" client_legacy_version_id INTEGER NOT NULL,"
	" client_supported_versions TEXT,"
	" client_supported_versions_id TEXT,"
	" client_max_version TEXT,"
	" client_max_version_id INTEGER NOT NULL,"
	" client_max_level INTEGER NOT NULL,"
	" ciphers TEXT NOT NULL,"
	" groups TEXT NOT NULL,"
	" has_server_hello INTEGER NOT NULL,"
	" server_legacy_version_id INTEGER NOT NULL,"
	" negotiated_version TEXT,"
	" negotiated_version_id INTEGER,"
	" negotiated_level INTEGER,"
	" cipher TEXT,"
	" cipher_id INTEGER,"
	" cipher_sslv2 INTEGER NOT NULL,"
	" alert TEXT,"
	" alert_id INTEGER,"
	" alert_level TEXT,"
	" alert_level_id INTEGER,"
	" alert_sender TEXT,"
	" established INTEGER NOT NULL,"
	" resumed INTEGER NOT NULL,"
	" hello_retry_request INTEGER NOT NULL,"
	" starttls TEXT,"
	" l7_protocol TEXT,"
	" risk_mask INTEGER NOT NULL,"
	" outcome TEXT NOT NULL,"
	" flags INTEGER NOT NULL,"
	" ja3 TEXT, ja3s TEXT, ja4 TEXT, ja4_hrr TEXT, ndpi_ja3 TEXT,"
	" pkts_c2s INTEGER NOT NULL, pkts_s2c INTEGER NOT NULL,"
	" bytes_c2s INTEGER NOT NULL, bytes_s2c INTEGER NOT NULL,"
	" UNIQUE (capture_id, seq)"
	");"
	"CREATE INDEX connections_client_ip ON connections(client_ip);"
	"CREATE INDEX connections_server_ip ON connections(server_ip);"
	"CREATE INDEX connections_ts_ns ON connections(ts_ns);"
	"CREATE INDEX connections_negotiated ON connections(negotiated_version_id);"
	"CREATE TABLE host_summary ("
	" family INTEGER NOT NULL,"
	" ip TEXT NOT NULL,"
	" role TEXT NOT NULL CHECK (role IN ('client', 'server')),"
	" connections INTEGER NOT NULL,"
	" established INTEGER NOT NULL,"
	" failed INTEGER NOT NULL,"
	" max_offered INTEGER,"
	" min_negotiated INTEGER,"
	" max_negotiated INTEGER,"
	" versions TEXT NOT NULL,"
	" failures TEXT NOT NULL,"
	" first_ns INTEGER NOT NULL,"
	" last_ns INTEGER NOT NULL,"
	" PRIMARY KEY (ip, role)"
	") WITHOUT ROWID;",
	/* 1 -> 2: server leaf certificates (issue 3), one row per distinct DER; per-connection facts
	 * (chain length, expired at that connection's time) stay in connections */
	"CREATE TABLE certificates ("
	" id INTEGER PRIMARY KEY,"
	" sha256 TEXT NOT NULL UNIQUE," /* lowercase hex of the DER */
	" subject_cn,"			/* TEXT if valid UTF-8 without NUL, else BLOB; NULL = no CN */
	" issuer_cn,"
	" sans BLOB,"			/* (u8 len, bytes)*: DNS names, IP addresses as text */
	" not_before INTEGER NOT NULL," /* seconds since the epoch */
	" not_after INTEGER NOT NULL,"
	" not_before_ts TEXT NOT NULL," /* RFC 3339 UTC */
	" not_after_ts TEXT NOT NULL,"
	" key_type TEXT,"
	" key_curve TEXT,"
	" key_bits INTEGER,"
	" sig_alg TEXT,"
	" self_signed INTEGER NOT NULL"
	");"
	"ALTER TABLE connections ADD COLUMN cert_id INTEGER REFERENCES certificates(id);"
	"ALTER TABLE connections ADD COLUMN cert_chain_len INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE connections ADD COLUMN cert_expired INTEGER;"
	"CREATE INDEX connections_cert ON connections(cert_id);",
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "one migration per schema version");

const char *store_migration_sql(size_t from)
{
	return from < N_MIGRATIONS ? migrations[from] : NULL;
}

/* connections columns after capture_id, in INSERT/SELECT order */
/* clang-format off */
#define CONN_COLS(X)                                                                                    \
	X(seq) X(ts) X(ts_ns) X(last_ns) X(family) X(client_ip) X(client_port) X(server_ip) X(server_port) \
	X(sni) X(alpn) X(client_record_version_id) X(client_legacy_version) X(client_legacy_version_id)     \
	X(client_supported_versions) X(client_supported_versions_id) X(client_max_version)                 \
	X(client_max_version_id) X(client_max_level) X(ciphers) X(groups) X(has_server_hello)              \
	X(server_legacy_version_id) X(negotiated_version) X(negotiated_version_id) X(negotiated_level)     \
	X(cipher) X(cipher_id) X(cipher_sslv2) X(alert) X(alert_id) X(alert_level) X(alert_level_id)       \
	X(alert_sender) X(established) X(resumed) X(hello_retry_request) X(starttls) X(l7_protocol)        \
	X(risk_mask) X(outcome) X(flags) X(ja3) X(ja3s) X(ja4) X(ja4_hrr) X(ndpi_ja3) X(pkts_c2s) X(pkts_s2c)          \
	X(bytes_c2s) X(bytes_s2c) X(cert_id) X(cert_chain_len) X(cert_expired)
/* clang-format on */

enum conn_col {
#define CONN_ENUM(name) CC_##name,
	CONN_COLS(CONN_ENUM)
#undef CONN_ENUM
		CC_COUNT_
};
#define CONN_NAME(name)	 ", " #name
#define CONN_PARAM(name) ", ?"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT_CAPTURE,
	ST_UPDATE_CAPTURE,
	ST_FIND_OTHER,
	ST_FIND_CAPTURE,
	ST_DELETE_CONNS,
	ST_DELETE_CAPTURE,
	ST_INSERT_CONN,
	ST_SELECT_CONNS,
	ST_SUMMARY_DELETE,
	ST_SUMMARY_REFRESH,
	ST_SUMMARY_ALL,
	ST_SUMMARY_CAPTURE,
	ST_INSERT_CERT,
	ST_FIND_CERT,
	ST_COUNT_
};

/* certificates columns read back with each connection (LEFT JOIN), after CONN_COLS */
/* clang-format off */
#define CERT_COLS(X)                                                                                    \
	X(subject_cn) X(issuer_cn) X(sans) X(not_before) X(not_after) X(key_type) X(key_curve) X(key_bits) \
	X(sig_alg) X(self_signed) X(sha256)
/* clang-format on */
enum cert_col {
#define CERT_ENUM(name) CE_##name,
	CERT_COLS(CERT_ENUM)
#undef CERT_ENUM
		CE_COUNT_
};
#define CERT_SEL(name) ", cert." #name

#define STAT_SET(name, desc) #name " = ?, "

static const char *const stmt_sql[ST_COUNT_] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT_CAPTURE] = "INSERT INTO captures (sha256, path, sensor, format, linktypes, file_bytes, status,"
			      " warnings, read_started) VALUES (?, ?, ?, ?, ?, ?, 'reading', ?, ?)",
	[ST_UPDATE_CAPTURE] = "UPDATE captures SET " TA_STATS_FIELDS(
		STAT_SET) "sha256 = ?, path = ?, sensor = ?, format = ?, linktypes = ?, file_bytes = ?,"
			  " packets = ?, first_ns = ?, last_ns = ?, first_ts = ?, last_ts = ?, status = ?,"
			  " warnings = ?, read_finished = ? WHERE id = ?",
	[ST_FIND_OTHER] = "SELECT id FROM captures WHERE sha256 = ?1 AND id <> ?2"
			  " AND status IN ('complete', 'cut') ORDER BY id LIMIT 1",
	[ST_FIND_CAPTURE] = "SELECT id FROM captures WHERE sha256 = ?1 AND status IN ('complete', 'cut')"
			    " ORDER BY id LIMIT 1",
	[ST_DELETE_CONNS] = "DELETE FROM connections WHERE capture_id = ?1",
	[ST_DELETE_CAPTURE] = "DELETE FROM captures WHERE id = ?1",
	[ST_INSERT_CONN] =
		"INSERT INTO connections (capture_id" CONN_COLS(CONN_NAME) ") VALUES (?" CONN_COLS(CONN_PARAM) ")",
	[ST_SELECT_CONNS] = "SELECT capture_id" CONN_COLS(CONN_NAME)
		CERT_COLS(CERT_SEL) " FROM connections"
				    " LEFT JOIN certificates AS cert ON cert.id = connections.cert_id"
				    " WHERE ?1 = 0 OR capture_id = ?1 ORDER BY ts_ns, seq, capture_id",
	[ST_INSERT_CERT] = "INSERT OR IGNORE INTO certificates (sha256, subject_cn, issuer_cn, sans, not_before,"
			   " not_after, not_before_ts, not_after_ts, key_type, key_curve, key_bits, sig_alg,"
			   " self_signed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_FIND_CERT] = "SELECT id FROM certificates WHERE sha256 = ?1",
	/* refresh: every host the capture touched, in both roles, over every capture that is not
	 * still 'reading' (rows of an interrupted run stay out of the summary) */
	[ST_SUMMARY_DELETE] = "DELETE FROM host_summary WHERE ip IN (SELECT client_ip FROM connections"
			      " WHERE capture_id = ?1 UNION SELECT server_ip FROM connections WHERE capture_id = ?1)",
	[ST_SUMMARY_REFRESH] = "INSERT INTO host_summary (" SUMMARY_COLS ") "
			       "WITH hosts(ip) AS (SELECT client_ip FROM connections WHERE capture_id = ?1"
			       " UNION SELECT server_ip FROM connections WHERE capture_id = ?1),"
			       "finished(id) AS (SELECT id FROM captures WHERE status <> 'reading'),"
			       "r AS (SELECT family, client_ip AS ip, 'client' AS role, " R_COLS
			       " FROM connections WHERE client_ip IN hosts AND capture_id IN finished"
			       " UNION ALL SELECT family, server_ip, 'server', " R_COLS
			       " FROM connections WHERE server_ip IN hosts AND capture_id IN finished)," SUMMARY_TAIL,
	[ST_SUMMARY_ALL] = "SELECT " SUMMARY_COLS " FROM host_summary ORDER BY ip, role",
	[ST_SUMMARY_CAPTURE] = "WITH r AS (SELECT family, client_ip AS ip, 'client' AS role, " R_COLS
			       " FROM connections WHERE capture_id = ?1"
			       " UNION ALL SELECT family, server_ip, 'server', " R_COLS
			       " FROM connections WHERE capture_id = ?1)," SUMMARY_TAIL " ORDER BY agg.ip, agg.role",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT_]; /* prepared once in store_open */
	bool in_tx;		     /* a batch transaction is open */
	unsigned pending;	     /* rows inserted in the open batch */
	bool buffered;		     /* rows wait in q and are written in one short transaction */
	struct ta_record *q;	     /* owned: queued rows (buffered mode), STORE_BATCH_ROWS of them */
	int64_t *q_capture;	     /* capture id of each queued row */
	size_t q_n;
};

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

void store_set_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

/* ---- errors ---------------------------------------------------------------------------------- */

void store_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int store_map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: return -EACCES;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_MISMATCH: return -EINVAL;
	case SQLITE_CONSTRAINT: return -EEXIST;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_TOOBIG: return -E2BIG;
	default: return -EIO;
	}
}

/* Put "what: sqlite message" into err; returns the errno-style code for rc. */
int store_db_err(sqlite3 *db, int rc, const char *what, char *err, size_t errlen)
{
	if ((rc & 0xff) == SQLITE_NOTADB)
		store_set_err(err, errlen, "%s: not a database (%s)", what,
			      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	else
		store_set_err(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return store_map_rc(rc);
}

/* ---- small helpers --------------------------------------------------------------------------- */

/* RFC 3339 UTC with microseconds: 2019-02-28T12:00:00.000001Z (buf >= 32) */
static void format_ts(int64_t ns, char *buf, size_t len)
{
	int64_t sec = ns / 1000000000;
	int64_t frac = ns % 1000000000;
	struct tm tm;
	time_t t;

	if (frac < 0) {
		frac += 1000000000;
		sec -= 1;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "%" PRId64 "ns", ns);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(frac / 1000));
}

static void now_ts(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	format_ts((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, buf, len);
}

/* Well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF) and no NUL byte. */
static bool utf8_text_ok(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t n;
		uint32_t cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n > len - i - 1)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* "0x1301,0xC02F" (uppercase hex, 4 digits); buf needs 7 bytes per value */
static void format_u16_list(const uint16_t *v, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t off = 0;

	/* hot: a few hundred values per connection, so no snprintf per value */
	for (size_t i = 0; i < n && off + 8 <= len; i++) {
		if (i)
			buf[off++] = ',';
		buf[off++] = '0';
		buf[off++] = 'x';
		for (int sh = 12; sh >= 0; sh -= 4)
			buf[off++] = hex[(v[i] >> sh) & 0xf];
	}
	buf[off < len ? off : len - 1] = '\0';
}

/* Parse format_u16_list's text back; stores at most max values. Returns the count. */
static size_t parse_u16_list(const char *s, uint16_t *out, size_t max)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	while (*s != '\0' && n < max) {
		char *end;
		unsigned long v = strtoul(s, &end, 16);
		if (end == s || v > 0xffff)
			break;
		out[n++] = (uint16_t)v;
		if (*end != ',')
			break;
		s = end + 1;
	}
	return n;
}

static bool is_ipv6(uint8_t family)
{
	return family == 6;
}

/* ---- statement helpers ----------------------------------------------------------------------- */

static int step_done(struct store *s, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_db_err(s->db, rc, what, err, errlen);
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s, size_t maxlen)
{
	size_t n = strnlen(s, maxlen);

	if (n == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
}

static void bind_text_always(sqlite3_stmt *st, int i, const char *s, size_t maxlen)
{
	sqlite3_bind_text(st, i, s, (int)strnlen(s, maxlen), SQLITE_TRANSIENT);
}

static void bind_version(sqlite3_stmt *st, int i, uint16_t v)
{
	char buf[32];

	if (v == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, tls_version_str(v, buf), -1, SQLITE_TRANSIENT);
}

/* Copy a TEXT column into a fixed char array (truncating, always terminated). */
static void col_text(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;

	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

/* Begin the batch transaction if none is open. */
static int tx_begin(struct store *s, char *err, size_t errlen)
{
	int ret;

	if (s->in_tx)
		return 0;
	ret = step_done(s, s->st[ST_BEGIN], "begin transaction", err, errlen);
	if (ret == 0) {
		s->in_tx = true;
		s->pending = 0;
	}
	return ret;
}

static void tx_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		step_done(s, s->st[ST_ROLLBACK], "rollback", NULL, 0);
	s->in_tx = false;
	s->pending = 0;
}

/* ---- open / migrate -------------------------------------------------------------------------- */

static int pragma_int(sqlite3 *db, const char *sql, int64_t *ret, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*ret = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*ret = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, sql, err, errlen);
	return 0;
}

static int exec_sql(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store_db_err(db, rc, what, err, errlen);
	return 0;
}

/* Add the TA_STATS_FIELDS columns that captures lacks (new counters since the database was made). */
static int add_stats_columns(sqlite3 *db, char *err, size_t errlen)
{
	static const char *const names[] = {
#define STAT_NAME(name, desc) #name,
		TA_STATS_FIELDS(STAT_NAME)
#undef STAT_NAME
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char sql[256];
		int64_t have = 0;
		int ret;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('captures') WHERE name = '%s'",
			 names[i]);
		ret = pragma_int(db, sql, &have, err, errlen);
		if (ret < 0)
			return ret;
		if (have)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE captures ADD COLUMN %s INTEGER NOT NULL DEFAULT 0", names[i]);
		ret = exec_sql(db, sql, "add counter column", err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Check the marker and bring the schema to STORE_SCHEMA_VERSION in one transaction. */
static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	int64_t version = 0, app_id = 0, tables = 0;
	char sql[64];
	int ret;

	ret = exec_sql(db, "BEGIN IMMEDIATE", "begin migration", err, errlen);
	if (ret < 0)
		return ret;
	if ((ret = pragma_int(db, "PRAGMA user_version", &version, err, errlen)) < 0 ||
	    (ret = pragma_int(db, "PRAGMA application_id", &app_id, err, errlen)) < 0 ||
	    (ret = pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables, err, errlen)) < 0)
		goto cleanup;
	if (app_id != STORE_APPLICATION_ID && (tables != 0 || version != 0 || app_id != 0)) {
		store_set_err(err, errlen,
			      "%s: an SQLite database that is not a tlsaudit database (refusing to touch it)", path);
		ret = -EINVAL;
		goto cleanup;
	}
	if (version > STORE_SCHEMA_VERSION) {
		store_set_err(err, errlen, "%s: database schema %" PRId64 " is newer than this tlsaudit (%d)", path,
			      version, STORE_SCHEMA_VERSION);
		ret = -EINVAL;
		goto cleanup;
	}
	if (version < 0) {
		store_set_err(err, errlen, "%s: database schema %" PRId64 " is not valid", path, version);
		ret = -EINVAL;
		goto cleanup;
	}
	if (app_id == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
		if ((ret = exec_sql(db, sql, "set application_id", err, errlen)) < 0)
			goto cleanup;
	}
	for (size_t v = (size_t)version; v < N_MIGRATIONS; v++) {
		char what[64];

		snprintf(what, sizeof(what), "migration %zu -> %zu", v, v + 1);
		if ((ret = exec_sql(db, migrations[v], what, err, errlen)) < 0)
			goto cleanup;
	}
	if ((ret = add_stats_columns(db, err, errlen)) < 0)
		goto cleanup;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if ((ret = exec_sql(db, sql, "set user_version", err, errlen)) < 0)
		goto cleanup;
	ret = exec_sql(db, "COMMIT", "commit migration", err, errlen);

cleanup:
	if (ret < 0 && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int store_open(const char *path, struct store **ret, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	int64_t dummy = 0;
	int rc, r = 0;

	if (s == NULL) {
		store_set_err(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		int sys = s->db ? sqlite3_system_errno(s->db) : 0;
		store_set_err(err, errlen, "%s: cannot open database: %s%s%s", path,
			      s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), sys ? ": " : "",
			      sys ? strerror(sys) : "");
		r = store_map_rc(rc);
		goto cleanup;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		store_set_err(err, errlen, "%s: database is not writable", path);
		r = -EACCES;
		goto cleanup;
	}
	/* the first read of the header tells a non-database file apart */
	if ((r = pragma_int(s->db, "PRAGMA user_version", &dummy, err, errlen)) < 0)
		goto cleanup;
	if ((r = exec_sql(s->db, "PRAGMA foreign_keys = ON", "enable foreign keys", err, errlen)) < 0 ||
	    (r = migrate(s->db, path, err, errlen)) < 0 ||
	    (r = pragma_int(s->db, "PRAGMA journal_mode = WAL", &dummy, err, errlen)) < 0 ||
	    (r = exec_sql(s->db, "PRAGMA synchronous = NORMAL", "set synchronous", err, errlen)) < 0)
		goto cleanup;
	for (int i = 0; i < ST_COUNT_; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
		if (rc != SQLITE_OK) {
			r = store_db_err(s->db, rc, "prepare statement", err, errlen);
			goto cleanup;
		}
	}
	*ret = s;
	return 0;

cleanup:
	if (r < 0 && err && errlen && err[0] == '\0')
		store_set_err(err, errlen, "%s: cannot open database", path);
	store_close(s);
	return r;
}

static int flush_queue(struct store *s, char *err, size_t errlen);

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->in_tx || s->q_n)
		store_commit(s, NULL, 0);
	for (int i = 0; i < ST_COUNT_; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s->q);
	free(s->q_capture);
	free(s);
}

int store_commit(struct store *s, char *err, size_t errlen)
{
	int ret;

	if (s->q_n && (ret = flush_queue(s, err, errlen)) < 0)
		return ret;

	if (!s->in_tx)
		return 0;
	ret = step_done(s, s->st[ST_COMMIT], "commit", err, errlen);
	if (ret < 0) {
		/* a failed COMMIT (e.g. busy) leaves the transaction open: try again later */
		if (sqlite3_get_autocommit(s->db)) {
			s->in_tx = false;
			s->pending = 0;
		}
		return ret;
	}
	s->in_tx = false;
	s->pending = 0;
	return 0;
}

/* ---- captures -------------------------------------------------------------------------------- */

static void sha256_hex(const uint8_t h[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[64] = '\0';
}

int store_capture_begin(struct store *s, const struct store_capture *c, int64_t *ret_id, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_INSERT_CAPTURE];
	char hex[65], now[TS_LEN];
	int ret;

	if ((ret = store_commit(s, err, errlen)) < 0)
		return ret;
	now_ts(now, sizeof(now));
	if (c->sha256_valid) {
		sha256_hex(c->sha256, hex);
		sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT);
	}
	bind_text_always(st, 2, c->path, sizeof(c->path));
	bind_text_always(st, 3, c->sensor, sizeof(c->sensor));
	bind_text_always(st, 4, c->format, sizeof(c->format));
	bind_text_always(st, 5, c->linktypes, sizeof(c->linktypes));
	sqlite3_bind_int64(st, 6, (int64_t)c->file_bytes);
	bind_text_always(st, 7, c->warnings, sizeof(c->warnings));
	bind_text_always(st, 8, now, strlen(now));
	if ((ret = step_done(s, st, "insert capture", err, errlen)) < 0)
		return ret;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int find_id(struct store *s, sqlite3_stmt *st, const char *hex, int64_t other, int64_t *ret_id, char *err,
		   size_t errlen)
{
	int rc;

	sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT);
	if (other)
		sqlite3_bind_int64(st, 2, other);
	rc = sqlite3_step(st);
	*ret_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(s->db, rc, "look up capture", err, errlen);
	return 0;
}

int store_find_capture(struct store *s, const uint8_t sha256[32], int64_t *ret_id, char *err, size_t errlen)
{
	char hex[65];
	int64_t id = 0;
	int ret;

	sha256_hex(sha256, hex);
	ret = find_id(s, s->st[ST_FIND_CAPTURE], hex, 0, &id, err, errlen);
	if (ret == 0)
		*ret_id = id;
	return ret;
}

static int bind_id_step(struct store *s, enum stmt_id which, int64_t id, const char *what, char *err, size_t errlen)
{
	sqlite3_bind_int64(s->st[which], 1, id);
	return step_done(s, s->st[which], what, err, errlen);
}

int store_capture_end(struct store *s, int64_t id, const struct store_capture *c, int64_t *ret_existing_id, char *err,
		      size_t errlen)
{
	if (s->q_n) {
		int fret = flush_queue(s, err, errlen);
		if (fret < 0)
			return fret;
	}
	sqlite3_stmt *st = s->st[ST_UPDATE_CAPTURE];
	char hex[65], now[TS_LEN], first[TS_LEN], last[TS_LEN];
	int64_t existing = 0;
	int i = 1, ret;

	if ((ret = store_commit(s, err, errlen)) < 0)
		return ret;
	if ((ret = tx_begin(s, err, errlen)) < 0)
		return ret;
	now_ts(now, sizeof(now));
#define STAT_BIND(name, desc) sqlite3_bind_int64(st, i++, (int64_t)c->stats.name);
	TA_STATS_FIELDS(STAT_BIND)
#undef STAT_BIND
	if (c->sha256_valid) {
		sha256_hex(c->sha256, hex);
		sqlite3_bind_text(st, i, hex, 64, SQLITE_TRANSIENT);
	}
	i++;
	bind_text_always(st, i++, c->path, sizeof(c->path));
	bind_text_always(st, i++, c->sensor, sizeof(c->sensor));
	bind_text_always(st, i++, c->format, sizeof(c->format));
	bind_text_always(st, i++, c->linktypes, sizeof(c->linktypes));
	sqlite3_bind_int64(st, i++, (int64_t)c->file_bytes);
	sqlite3_bind_int64(st, i++, (int64_t)c->stats.frames);
	sqlite3_bind_int64(st, i++, c->first_ns);
	sqlite3_bind_int64(st, i++, c->last_ns);
	if (c->first_ns || c->last_ns) {
		format_ts(c->first_ns, first, sizeof(first));
		format_ts(c->last_ns, last, sizeof(last));
		sqlite3_bind_text(st, i, first, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, i + 1, last, -1, SQLITE_TRANSIENT);
	}
	i += 2;
	bind_text_always(st, i++, c->status, sizeof(c->status));
	bind_text_always(st, i++, c->warnings, sizeof(c->warnings));
	sqlite3_bind_text(st, i++, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, i++, id);
	if ((ret = step_done(s, st, "update capture", err, errlen)) < 0)
		goto cleanup;
	if (sqlite3_changes(s->db) != 1) {
		store_set_err(err, errlen, "update capture: no capture with id %" PRId64, id);
		ret = -ENOENT;
		goto cleanup;
	}
	if (c->sha256_valid && (ret = find_id(s, s->st[ST_FIND_OTHER], hex, id, &existing, err, errlen)) < 0)
		goto cleanup;
	if (existing) {
		/* the summary never counted this capture's rows: it is refreshed only here */
		if ((ret = bind_id_step(s, ST_DELETE_CONNS, id, "delete duplicate connections", err, errlen)) < 0 ||
		    (ret = bind_id_step(s, ST_DELETE_CAPTURE, id, "delete duplicate capture", err, errlen)) < 0)
			goto cleanup;
	} else {
		if ((ret = bind_id_step(s, ST_SUMMARY_DELETE, id, "clear host summary", err, errlen)) < 0 ||
		    (ret = bind_id_step(s, ST_SUMMARY_REFRESH, id, "refresh host summary", err, errlen)) < 0)
			goto cleanup;
	}
	if ((ret = store_commit(s, err, errlen)) < 0)
		goto cleanup;
	*ret_existing_id = existing ? existing : id;
	return 0;

cleanup:
	tx_rollback(s);
	return ret;
}

/* ---- connections ----------------------------------------------------------------------------- */

/* TEXT when valid UTF-8 without NUL, else BLOB (names from the wire: SNI, certificate CNs) */
static void bind_wire_text(sqlite3_stmt *st, int i, const char *s, size_t n)
{
	if (utf8_text_ok((const uint8_t *)s, n))
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_blob(st, i, s, (int)n, SQLITE_TRANSIENT);
}

static void format_s(int64_t sec, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)sec;

	if ((int64_t)t != sec || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "%" PRId64 "s", sec);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

/* The record's leaf certificate: insert it once (content-addressed by SHA-256), return its id. */
static int cert_row(struct store *s, const struct ta_record *r, int64_t *ret_id, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_INSERT_CERT];
	char nb[TS_LEN], na[TS_LEN];
	size_t n;
	int ret, rc;

	sqlite3_bind_text(st, 1, r->cert_sha256, (int)strnlen(r->cert_sha256, 64), SQLITE_TRANSIENT);
	if (r->cert_has_subject_cn) {
		n = r->cert_subject_cn_len > REC_MAX_CERT_NAME ? REC_MAX_CERT_NAME : r->cert_subject_cn_len;
		bind_wire_text(st, 2, r->cert_subject_cn, n);
	}
	if (r->cert_has_issuer_cn) {
		n = r->cert_issuer_cn_len > REC_MAX_CERT_NAME ? REC_MAX_CERT_NAME : r->cert_issuer_cn_len;
		bind_wire_text(st, 3, r->cert_issuer_cn, n);
	}
	n = r->cert_sans_len > REC_MAX_CERT_SANS ? REC_MAX_CERT_SANS : r->cert_sans_len;
	sqlite3_bind_blob(st, 4, r->cert_sans, (int)n, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, r->cert_not_before);
	sqlite3_bind_int64(st, 6, r->cert_not_after);
	format_s(r->cert_not_before, nb, sizeof(nb));
	format_s(r->cert_not_after, na, sizeof(na));
	sqlite3_bind_text(st, 7, nb, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, na, -1, SQLITE_TRANSIENT);
	bind_text(st, 9, r->cert_key_type, sizeof(r->cert_key_type));
	bind_text(st, 10, r->cert_key_curve, sizeof(r->cert_key_curve));
	if (r->cert_key_bits)
		sqlite3_bind_int64(st, 11, r->cert_key_bits);
	bind_text(st, 12, r->cert_sig_alg, sizeof(r->cert_sig_alg));
	sqlite3_bind_int(st, 13, r->cert_self_signed);
	if ((ret = step_done(s, st, "insert certificate", err, errlen)) < 0)
		return ret;

	st = s->st[ST_FIND_CERT];
	sqlite3_bind_text(st, 1, r->cert_sha256, (int)strnlen(r->cert_sha256, 64), SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? (store_set_err(err, errlen, "insert certificate: row not found"), -EIO)
					 : store_db_err(s->db, rc, "look up certificate", err, errlen);
	*ret_id = id;
	return 0;
}

#define P(col) (CC_##col + 2) /* parameter index: ?1 is capture_id */

static int insert_record(struct store *s, int64_t capture_id, const struct ta_record *r, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_INSERT_CONN];
	char ts[TS_LEN], ip[INET6_ADDRSTRLEN], list[REC_MAX_CIPHERS * 7 + 1], json[REC_MAX_VERSIONS * 40 + 3];
	int af = is_ipv6(r->family) ? AF_INET6 : AF_INET;
	int ret;

	if (r->family != 4 && r->family != 6) {
		store_set_err(err, errlen, "insert connection: address family %u is not 4 or 6", r->family);
		return -EINVAL;
	}
	if ((ret = tx_begin(s, err, errlen)) < 0)
		return ret;
	int64_t cert_id = 0;
	if (r->has_cert && (ret = cert_row(s, r, &cert_id, err, errlen)) < 0)
		return ret;

	sqlite3_bind_int64(st, 1, capture_id);
	sqlite3_bind_int64(st, P(seq), (int64_t)r->seq);
	format_ts(r->ts_ns, ts, sizeof(ts));
	sqlite3_bind_text(st, P(ts), ts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, P(ts_ns), r->ts_ns);
	sqlite3_bind_int64(st, P(last_ns), r->last_ns);
	sqlite3_bind_int(st, P(family), r->family);
	inet_ntop(af, r->client_ip, ip, sizeof(ip));
	sqlite3_bind_text(st, P(client_ip), ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, P(client_port), r->client_port);
	inet_ntop(af, r->server_ip, ip, sizeof(ip));
	sqlite3_bind_text(st, P(server_ip), ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, P(server_port), r->server_port);

	if (r->has_sni)
		bind_wire_text(st, P(sni), r->sni, r->sni_len > REC_MAX_SNI ? REC_MAX_SNI : r->sni_len);
	if (r->alpn_len)
		sqlite3_bind_blob(st, P(alpn), r->alpn, r->alpn_len > REC_MAX_ALPN ? REC_MAX_ALPN : r->alpn_len,
				  SQLITE_TRANSIENT);

	sqlite3_bind_int(st, P(client_record_version_id), r->client_record_version);
	bind_version(st, P(client_legacy_version), r->client_legacy_version);
	sqlite3_bind_int(st, P(client_legacy_version_id), r->client_legacy_version);
	if (r->client_has_supported_versions) {
		size_t n = r->n_client_versions > REC_MAX_VERSIONS ? REC_MAX_VERSIONS : r->n_client_versions;
		size_t off = 0;

		json[off++] = '[';
		for (size_t k = 0; k < n; k++) {
			char vb[32];
			int w = snprintf(json + off, sizeof(json) - off, "%s\"%s\"", k ? "," : "",
					 tls_version_str(r->client_versions[k], vb));
			if (w < 0 || (size_t)w >= sizeof(json) - off - 1)
				break;
			off += (size_t)w;
		}
		json[off++] = ']';
		json[off] = '\0';
		sqlite3_bind_text(st, P(client_supported_versions), json, -1, SQLITE_TRANSIENT);
		format_u16_list(r->client_versions, n, list, sizeof(list));
		sqlite3_bind_text(st, P(client_supported_versions_id), list, -1, SQLITE_TRANSIENT);
	}
	bind_version(st, P(client_max_version), r->client_max_version);
	sqlite3_bind_int(st, P(client_max_version_id), r->client_max_version);
	sqlite3_bind_int(st, P(client_max_level),
			 tls_version_is_13(r->client_max_version) ? 0x0304 : r->client_max_version);
	format_u16_list(r->ciphers, r->n_ciphers > REC_MAX_CIPHERS ? REC_MAX_CIPHERS : r->n_ciphers, list,
			sizeof(list));
	sqlite3_bind_text(st, P(ciphers), list, -1, SQLITE_TRANSIENT);
	format_u16_list(r->groups, r->n_groups > REC_MAX_GROUPS ? REC_MAX_GROUPS : r->n_groups, list, sizeof(list));
	sqlite3_bind_text(st, P(groups), list, -1, SQLITE_TRANSIENT);

	sqlite3_bind_int(st, P(has_server_hello), r->has_server_hello);
	sqlite3_bind_int(st, P(server_legacy_version_id), r->server_legacy_version);
	if (r->negotiated_version) {
		bind_version(st, P(negotiated_version), r->negotiated_version);
		sqlite3_bind_int(st, P(negotiated_version_id), r->negotiated_version);
		sqlite3_bind_int(st, P(negotiated_level),
				 tls_version_is_13(r->negotiated_version) ? 0x0304 : r->negotiated_version);
	}
	if (r->has_cipher) {
		const char *name =
			r->cipher_sslv2 ? tls_sslv2_cipher_name(r->cipher) : tls_cipher_name((uint16_t)r->cipher);
		char hexname[16];

		if (name == NULL) {
			snprintf(hexname, sizeof(hexname), r->cipher_sslv2 ? "0x%06" PRIX32 : "0x%04" PRIX32,
				 r->cipher);
			name = hexname;
		}
		sqlite3_bind_text(st, P(cipher), name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, P(cipher_id), r->cipher);
	}
	sqlite3_bind_int(st, P(cipher_sslv2), r->cipher_sslv2);
	if (r->has_alert) {
		const char *name = tls_alert_name(r->alert_desc);
		char num[8];

		if (name == NULL) {
			snprintf(num, sizeof(num), "0x%02X", r->alert_desc);
			name = num;
		}
		sqlite3_bind_text(st, P(alert), name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, P(alert_id), r->alert_desc);
		if (r->alert_level == 1 || r->alert_level == 2)
			sqlite3_bind_text(st, P(alert_level), r->alert_level == 1 ? "warning" : "fatal", -1,
					  SQLITE_STATIC);
		sqlite3_bind_int(st, P(alert_level_id), r->alert_level);
		sqlite3_bind_text(st, P(alert_sender), r->alert_sender ? "server" : "client", -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, P(established), r->established);
	sqlite3_bind_int(st, P(resumed), r->resumed);
	sqlite3_bind_int(st, P(hello_retry_request), r->hello_retry_request);
	bind_text(st, P(starttls), r->starttls, sizeof(r->starttls));
	bind_text(st, P(l7_protocol), r->l7_protocol, sizeof(r->l7_protocol));
	sqlite3_bind_int64(st, P(risk_mask), (int64_t)r->risks);
	sqlite3_bind_text(st, P(outcome), rec_outcome_name(r->outcome), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, P(flags), r->flags);
	bind_text(st, P(ja3), r->ja3, sizeof(r->ja3));
	bind_text(st, P(ja3s), r->ja3s, sizeof(r->ja3s));
	bind_text(st, P(ja4), r->ja4, sizeof(r->ja4));
	bind_text(st, P(ja4_hrr), r->ja4_hrr, sizeof(r->ja4_hrr));
	bind_text(st, P(ndpi_ja3), r->ndpi_ja3, sizeof(r->ndpi_ja3));
	sqlite3_bind_int64(st, P(pkts_c2s), (int64_t)r->pkts[0]);
	sqlite3_bind_int64(st, P(pkts_s2c), (int64_t)r->pkts[1]);
	sqlite3_bind_int64(st, P(bytes_c2s), (int64_t)r->bytes[0]);
	sqlite3_bind_int64(st, P(bytes_s2c), (int64_t)r->bytes[1]);
	if (cert_id) {
		sqlite3_bind_int64(st, P(cert_id), cert_id);
		sqlite3_bind_int(st, P(cert_expired), r->cert_expired);
	}
	sqlite3_bind_int64(st, P(cert_chain_len), r->cert_chain_len);

	if ((ret = step_done(s, st, "insert connection", err, errlen)) < 0)
		return ret; /* the batch stays open: rows already inserted are kept */
	if (++s->pending >= STORE_BATCH_ROWS)
		return store_commit(s, err, errlen);
	return 0;
}
#undef P

#define C(col) (CC_##col + 1) /* result column: 0 is capture_id */

static bool col_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

/* Copy a TEXT or BLOB column (wire bytes) into dst[0..max) + NUL; returns the length. */
static uint16_t col_bytes(sqlite3_stmt *st, int i, char *dst, size_t max)
{
	const void *b = sqlite3_column_blob(st, i);
	size_t n = b ? (size_t)sqlite3_column_bytes(st, i) : 0;

	if (n > max)
		n = max;
	if (n)
		memcpy(dst, b, n);
	dst[n] = '\0';
	return (uint16_t)n;
}

#define E(col) (CC_COUNT_ + 1 + CE_##col) /* certificates column after the connections columns */

/* The joined certificates row of the current ST_SELECT_CONNS row, if any. */
static void read_cert(sqlite3_stmt *st, struct ta_record *r)
{
	r->cert_chain_len = (uint32_t)sqlite3_column_int64(st, CC_cert_chain_len + 1);
	if (col_null(st, CC_cert_id + 1) || col_null(st, E(sha256)))
		return;
	r->has_cert = true;
	r->cert_expired = sqlite3_column_int(st, CC_cert_expired + 1) != 0;
	if (!col_null(st, E(subject_cn))) {
		r->cert_has_subject_cn = true;
		r->cert_subject_cn_len = col_bytes(st, E(subject_cn), r->cert_subject_cn, REC_MAX_CERT_NAME);
	}
	if (!col_null(st, E(issuer_cn))) {
		r->cert_has_issuer_cn = true;
		r->cert_issuer_cn_len = col_bytes(st, E(issuer_cn), r->cert_issuer_cn, REC_MAX_CERT_NAME);
	}
	{
		const void *b = sqlite3_column_blob(st, E(sans));
		size_t n = b ? (size_t)sqlite3_column_bytes(st, E(sans)) : 0;
		if (n > REC_MAX_CERT_SANS)
			n = REC_MAX_CERT_SANS;
		if (n)
			memcpy(r->cert_sans, b, n);
		r->cert_sans_len = (uint16_t)n;
	}
	r->cert_not_before = sqlite3_column_int64(st, E(not_before));
	r->cert_not_after = sqlite3_column_int64(st, E(not_after));
	col_text(st, E(key_type), r->cert_key_type, sizeof(r->cert_key_type));
	col_text(st, E(key_curve), r->cert_key_curve, sizeof(r->cert_key_curve));
	r->cert_key_bits = (uint32_t)sqlite3_column_int64(st, E(key_bits));
	col_text(st, E(sig_alg), r->cert_sig_alg, sizeof(r->cert_sig_alg));
	r->cert_self_signed = sqlite3_column_int(st, E(self_signed)) != 0;
	col_text(st, E(sha256), r->cert_sha256, sizeof(r->cert_sha256));
}
#undef E

/* Rebuild a record from the current row of ST_SELECT_CONNS. */
static void read_record(sqlite3_stmt *st, struct ta_record *r)
{
	char ip[INET6_ADDRSTRLEN];
	int af;

	memset(r, 0, sizeof(*r));
	r->seq = (uint64_t)sqlite3_column_int64(st, C(seq));
	r->ts_ns = sqlite3_column_int64(st, C(ts_ns));
	r->last_ns = sqlite3_column_int64(st, C(last_ns));
	r->family = (uint8_t)sqlite3_column_int(st, C(family));
	af = is_ipv6(r->family) ? AF_INET6 : AF_INET;
	col_text(st, C(client_ip), ip, sizeof(ip));
	if (inet_pton(af, ip, r->client_ip) != 1)
		memset(r->client_ip, 0, sizeof(r->client_ip));
	col_text(st, C(server_ip), ip, sizeof(ip));
	if (inet_pton(af, ip, r->server_ip) != 1)
		memset(r->server_ip, 0, sizeof(r->server_ip));
	r->client_port = (uint16_t)sqlite3_column_int(st, C(client_port));
	r->server_port = (uint16_t)sqlite3_column_int(st, C(server_port));

	if (!col_null(st, C(sni))) {
		const void *b = sqlite3_column_blob(st, C(sni));
		size_t n = (size_t)sqlite3_column_bytes(st, C(sni));

		if (n > REC_MAX_SNI)
			n = REC_MAX_SNI;
		r->has_sni = true;
		r->sni_len = (uint16_t)n;
		if (n)
			memcpy(r->sni, b, n);
	}
	if (!col_null(st, C(alpn))) {
		const void *b = sqlite3_column_blob(st, C(alpn));
		size_t n = (size_t)sqlite3_column_bytes(st, C(alpn));

		if (n > REC_MAX_ALPN)
			n = REC_MAX_ALPN;
		r->alpn_len = (uint16_t)n;
		if (n)
			memcpy(r->alpn, b, n);
	}
	r->client_record_version = (uint16_t)sqlite3_column_int(st, C(client_record_version_id));
	r->client_legacy_version = (uint16_t)sqlite3_column_int(st, C(client_legacy_version_id));
	if (!col_null(st, C(client_supported_versions_id))) {
		r->client_has_supported_versions = true;
		r->n_client_versions =
			(uint8_t)parse_u16_list((const char *)sqlite3_column_text(st, C(client_supported_versions_id)),
						r->client_versions, REC_MAX_VERSIONS);
	}
	r->client_max_version = (uint16_t)sqlite3_column_int(st, C(client_max_version_id));
	r->n_ciphers = (uint16_t)parse_u16_list((const char *)sqlite3_column_text(st, C(ciphers)), r->ciphers,
						REC_MAX_CIPHERS);
	r->n_groups =
		(uint8_t)parse_u16_list((const char *)sqlite3_column_text(st, C(groups)), r->groups, REC_MAX_GROUPS);
	r->has_server_hello = sqlite3_column_int(st, C(has_server_hello)) != 0;
	r->server_legacy_version = (uint16_t)sqlite3_column_int(st, C(server_legacy_version_id));
	r->negotiated_version = (uint16_t)sqlite3_column_int(st, C(negotiated_version_id));
	if (!col_null(st, C(cipher_id))) {
		r->has_cipher = true;
		r->cipher = (uint32_t)sqlite3_column_int64(st, C(cipher_id));
	}
	r->cipher_sslv2 = sqlite3_column_int(st, C(cipher_sslv2)) != 0;
	if (!col_null(st, C(alert_id))) {
		const unsigned char *who = sqlite3_column_text(st, C(alert_sender));

		r->has_alert = true;
		r->alert_desc = (uint8_t)sqlite3_column_int(st, C(alert_id));
		r->alert_level = (uint8_t)sqlite3_column_int(st, C(alert_level_id));
		r->alert_sender = who && strcmp((const char *)who, "server") == 0 ? 1 : 0;
	}
	r->established = sqlite3_column_int(st, C(established)) != 0;
	r->resumed = sqlite3_column_int(st, C(resumed)) != 0;
	r->hello_retry_request = sqlite3_column_int(st, C(hello_retry_request)) != 0;
	col_text(st, C(starttls), r->starttls, sizeof(r->starttls));
	col_text(st, C(l7_protocol), r->l7_protocol, sizeof(r->l7_protocol));
	r->risks = (uint64_t)sqlite3_column_int64(st, C(risk_mask));
	{
		const unsigned char *o = sqlite3_column_text(st, C(outcome));
		enum rec_outcome out = o ? rec_outcome_from_name((const char *)o) : OUT_COUNT_;
		r->outcome = out == OUT_COUNT_ ? OUT_INCOMPLETE : out;
	}
	r->flags = (uint32_t)sqlite3_column_int64(st, C(flags));
	col_text(st, C(ja3), r->ja3, sizeof(r->ja3));
	col_text(st, C(ja3s), r->ja3s, sizeof(r->ja3s));
	col_text(st, C(ja4), r->ja4, sizeof(r->ja4));
	col_text(st, C(ja4_hrr), r->ja4_hrr, sizeof(r->ja4_hrr));
	col_text(st, C(ndpi_ja3), r->ndpi_ja3, sizeof(r->ndpi_ja3));
	r->pkts[0] = (uint64_t)sqlite3_column_int64(st, C(pkts_c2s));
	r->pkts[1] = (uint64_t)sqlite3_column_int64(st, C(pkts_s2c));
	r->bytes[0] = (uint64_t)sqlite3_column_int64(st, C(bytes_c2s));
	r->bytes[1] = (uint64_t)sqlite3_column_int64(st, C(bytes_s2c));
	read_cert(st, r);
}
#undef C

/* Run statement which (bound with capture_id), calling row() for each row; a
 * non-zero row() result stops the walk and is returned. */
static int foreach_row(struct store *s, enum stmt_id which, int64_t capture_id,
		       int (*row)(sqlite3_stmt *st, void *cb, void *ctx), void *cb, void *ctx, const char *what,
		       char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[which];
	int rc, ret = 0;

	if (which != ST_SUMMARY_ALL)
		sqlite3_bind_int64(st, 1, capture_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = row(st, cb, ctx);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_err(s->db, rc, what, err, errlen);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static int record_row(sqlite3_stmt *st, void *cb, void *ctx)
{
	struct ta_record r;
	store_record_cb fn;

	memcpy(&fn, cb, sizeof(fn));
	read_record(st, &r);
	return fn(&r, ctx);
}

int store_foreach_record(struct store *s, int64_t capture_id, store_record_cb cb, void *ctx, char *err, size_t errlen)
{
	return foreach_row(s, ST_SELECT_CONNS, capture_id, record_row, &cb, ctx, "read connections", err, errlen);
}

/* ---- host summary ---------------------------------------------------------------------------- */

static int summary_row(sqlite3_stmt *st, void *cb, void *ctx)
{
	struct store_host_summary h;
	store_summary_cb fn;
	char ip[INET6_ADDRSTRLEN];

	memcpy(&fn, cb, sizeof(fn));
	memset(&h, 0, sizeof(h));
	h.family = (uint8_t)sqlite3_column_int(st, 0);
	col_text(st, 1, ip, sizeof(ip));
	if (inet_pton(is_ipv6(h.family) ? AF_INET6 : AF_INET, ip, h.ip) != 1)
		memset(h.ip, 0, sizeof(h.ip));
	col_text(st, 2, h.role, sizeof(h.role));
	h.connections = (uint64_t)sqlite3_column_int64(st, 3);
	h.established = (uint64_t)sqlite3_column_int64(st, 4);
	h.failed = (uint64_t)sqlite3_column_int64(st, 5);
	h.max_offered = (uint16_t)sqlite3_column_int(st, 6);
	h.min_negotiated = (uint16_t)sqlite3_column_int(st, 7);
	h.max_negotiated = (uint16_t)sqlite3_column_int(st, 8);
	col_text(st, 9, h.versions, sizeof(h.versions));
	col_text(st, 10, h.failures, sizeof(h.failures));
	h.first_ns = sqlite3_column_int64(st, 11);
	h.last_ns = sqlite3_column_int64(st, 12);
	return fn(&h, ctx);
}

int store_foreach_summary(struct store *s, int64_t capture_id, store_summary_cb cb, void *ctx, char *err, size_t errlen)
{
	return foreach_row(s, capture_id ? ST_SUMMARY_CAPTURE : ST_SUMMARY_ALL, capture_id, summary_row, &cb, ctx,
			   "read host summary", err, errlen);
}

/* Recompute the host_summary rows of every host that capture_id touched (store_internal.h). */
int store_summary_refresh(struct store *s, int64_t capture_id, char *err, size_t errlen)
{
	int ret = bind_id_step(s, ST_SUMMARY_DELETE, capture_id, "clear host summary", err, errlen);
	return ret < 0 ? ret : bind_id_step(s, ST_SUMMARY_REFRESH, capture_id, "refresh host summary", err, errlen);
}

/* ---- maintenance ----------------------------------------------------------------------------- */

int store_check(struct store *s, char *err, size_t errlen)
{
	static const char *const checks[] = {"PRAGMA integrity_check", "PRAGMA foreign_key_check"};
	int ret;

	if ((ret = store_commit(s, err, errlen)) < 0)
		return ret;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(s->db, checks[i], -1, &st, NULL);

		if (rc != SQLITE_OK)
			return store_db_err(s->db, rc, checks[i], err, errlen);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			bool ok = i == 0 && t && strcmp((const char *)t, "ok") == 0;

			if (!ok) {
				store_set_err(err, errlen, "%s: %s", checks[i], t ? (const char *)t : "problem found");
				ret = -EIO;
			}
		} else if (rc != SQLITE_DONE) {
			ret = store_db_err(s->db, rc, checks[i], err, errlen);
		}
		sqlite3_finalize(st);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- buffered writing (several writers on one database) -------------------------------------- */

void store_set_buffered(struct store *s, bool on)
{
	s->buffered = on;
}

/* Write the queued rows in one transaction, held only for the inserts: another
 * process writing the same database waits milliseconds, not a whole batch of
 * packet processing. A row that fails alone (e.g. a duplicate) is skipped. */
static int flush_queue(struct store *s, char *err, size_t errlen)
{
	int first = 0;
	bool saved = s->buffered;
	s->buffered = false;
	for (size_t i = 0; i < s->q_n; i++) {
		int ret = insert_record(s, s->q_capture[i], &s->q[i], err, errlen);
		if (ret < 0 && ret != -EEXIST && !first)
			first = ret;
	}
	s->q_n = 0;
	s->buffered = saved;
	if (first)
		return first;
	if (!s->in_tx)
		return 0;
	int ret = step_done(s, s->st[ST_COMMIT], "commit", err, errlen);
	if (ret == 0 || sqlite3_get_autocommit(s->db)) {
		s->in_tx = false;
		s->pending = 0;
	}
	return ret;
}

int store_add_record(struct store *s, int64_t capture_id, const struct ta_record *r, char *err, size_t errlen)
{
	if (!s->buffered)
		return insert_record(s, capture_id, r, err, errlen);
	if (!s->q) {
		s->q = malloc(STORE_BATCH_ROWS * sizeof(*s->q));
		s->q_capture = malloc(STORE_BATCH_ROWS * sizeof(*s->q_capture));
		if (!s->q || !s->q_capture) {
			free(s->q);
			free(s->q_capture);
			s->q = NULL;
			s->q_capture = NULL;
			return insert_record(s, capture_id, r, err, errlen);
		}
	}
	s->q[s->q_n] = *r;
	s->q_capture[s->q_n++] = capture_id;
	if (s->q_n == STORE_BATCH_ROWS)
		return flush_queue(s, err, errlen);
	return 0;
}
