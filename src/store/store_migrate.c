/* store_migrate.c - creating, migrating and checking the schema (docs/schema.md "Version and migration").
 *
 * Design note. A database carries our marker (PRAGMA application_id) and its schema version (user_version).
 * store_migrate() runs every pending step in one IMMEDIATE transaction: a new file gets schema 3 directly; a
 * schema-1 file gets the frozen 1 -> 2 SQL; a schema-2 file is converted row by row in C - each old row is read
 * back into a record exactly as schema 2's reader did, and written through the same insert path as a new
 * connection - then the old tables are dropped. A foreign database (merge input) is never migrated: its marker
 * and version must be ours, and every object in its schema must be exactly one this build creates, which
 * store_check_foreign_schema() verifies against a reference schema built in memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/names.h"
#include "tlsaudit/stats.h"
#include "tlsaudit/tls.h"
#include "store_internal.h"

#define VIEWS_SQL_MAX 16384

/* ---- pieces of schema 3 ---- */

int store_add_stats_columns(sqlite3 *db, char *err, size_t errlen)
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
		if ((ret = store_query_int(db, sql, &have, err, errlen)) < 0)
			return ret;
		if (have)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE captures ADD COLUMN %s INTEGER NOT NULL DEFAULT 0", names[i]);
		if ((ret = store_exec(db, sql, "add counter column", err, errlen)) < 0)
			return ret;
	}
	return 0;
}

static int create_name_tables(sqlite3 *db, char *err, size_t errlen)
{
	for (int k = 0; k < NAMES_KIND_COUNT_; k++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "CREATE TABLE %s (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
			 names_kind_table((enum names_kind)k));
		int ret = store_exec(db, sql, "create name table", err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

struct name_ins {
	sqlite3_stmt *st;
	int rc;
};

static int name_row(void *ctx, uint32_t id, const char *name)
{
	struct name_ins *n = ctx;
	sqlite3_bind_int64(n->st, 1, id);
	sqlite3_bind_text(n->st, 2, name, -1, SQLITE_STATIC);
	n->rc = sqlite3_step(n->st);
	sqlite3_reset(n->st);
	return n->rc == SQLITE_DONE ? 0 : 1;
}

int store_write_names(sqlite3 *db, char *err, size_t errlen)
{
	for (int k = 0; k < NAMES_KIND_COUNT_; k++) {
		char sql[128];
		const char *t = names_kind_table((enum names_kind)k);
		snprintf(sql, sizeof(sql), "DELETE FROM %s", t);
		int ret = store_exec(db, sql, "clear name table", err, errlen);
		if (ret < 0)
			return ret;
		snprintf(sql, sizeof(sql), "INSERT INTO %s (id, name) VALUES (?1, ?2)", t);
		struct name_ins n = {NULL, SQLITE_DONE};
		int rc = sqlite3_prepare_v2(db, sql, -1, &n.st, NULL);
		if (rc != SQLITE_OK)
			return store_db_err(db, rc, "prepare name table", err, errlen);
		names_each((enum names_kind)k, name_row, &n);
		sqlite3_finalize(n.st);
		if (n.rc != SQLITE_DONE)
			return store_db_err(db, n.rc, "write name table", err, errlen);
	}
	return 0;
}

/* A digest of every name this build knows (FNV-1a over kind, id and name): a database whose name tables were
 * written by another build gets this build's (names are only ever added, so the newer set is a superset). */
struct names_fnv {
	uint64_t h;
	int kind;
};

static int names_fnv_row(void *ctx, uint32_t id, const char *name)
{
	struct names_fnv *f = ctx;
	uint8_t head[8] = {(uint8_t)f->kind, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
	for (size_t i = 0; i < 5; i++)
		f->h = (f->h ^ head[i]) * 0x100000001b3ull;
	for (const char *c = name; *c; c++)
		f->h = (f->h ^ (uint8_t)*c) * 0x100000001b3ull;
	f->h = (f->h ^ 0xff) * 0x100000001b3ull;
	return 0;
}

static int64_t names_digest(void)
{
	struct names_fnv f = {0xcbf29ce484222325ull, 0};
	for (f.kind = 0; f.kind < NAMES_KIND_COUNT_; f.kind++)
		names_each((enum names_kind)f.kind, names_fnv_row, &f);
	return (int64_t)(f.h >> 1);
}

/* The name tables as this build knows them, unless the database has exactly those already. */
static int refresh_names(sqlite3 *db, char *err, size_t errlen)
{
	int64_t want = names_digest(), have = 0;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'names_digest'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "read names digest", err, errlen);
	if (sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (have == want)
		return 0;
	int ret = store_write_names(db, err, errlen);
	if (ret < 0)
		return ret;
	char sql[96];
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta (key, value) VALUES ('names_digest', %" PRId64 ")",
		 want);
	return store_exec(db, sql, "write names digest", err, errlen);
}

static int create_views(sqlite3 *db, char *err, size_t errlen)
{
	char *sql = malloc(VIEWS_SQL_MAX);
	if (!sql)
		return -ENOMEM;
	int ret = store_views_sql(sql, VIEWS_SQL_MAX) < 0 ? -EINVAL : store_exec(db, sql, "create views", err, errlen);
	free(sql);
	return ret;
}

/* Schema 3 on an empty database (inside the caller's transaction). */
static int create_v3(sqlite3 *db, char *err, size_t errlen)
{
	int ret;
	for (size_t i = 0; store_sql_v3_tables[i]; i++)
		if ((ret = store_exec(db, store_sql_v3_tables[i], "create tables", err, errlen)) < 0)
			return ret;
	if ((ret = store_add_stats_columns(db, err, errlen)) < 0 || (ret = create_name_tables(db, err, errlen)) < 0 ||
	    (ret = create_views(db, err, errlen)) < 0)
		return ret;
	return 0;
}

/* ---- schema 2 -> 3 ---- */

/* "0x1301,0xC02F" -> values; at most max. */
static size_t parse_u16_list(const char *s, uint16_t *out, size_t max)
{
	size_t n = 0;

	while (s && *s != '\0' && n < max) {
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

static const char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static bool col_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

/* Append a (u8 len, bytes) string to a version-2 key. */
static size_t key_str8(uint8_t *key, size_t off, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n > 64 || off + 1 + n > cap)
		return off;
	key[off++] = (uint8_t)n;
	memcpy(key + off, s, n);
	return off + n;
}

static const char v2_select[] =
	"SELECT capture_id, seq, ts_ns, last_ns, family, client_ip, client_port, server_ip, server_port, sni, alpn,"
	" client_record_version_id, client_legacy_version_id, client_supported_versions_id, ciphers, groups,"
	" has_server_hello, server_legacy_version_id, negotiated_version_id, cipher_id, cipher_sslv2, alert_id,"
	" alert_level_id, alert_sender, established, resumed, hello_retry_request, starttls, l7_protocol, risk_mask,"
	" outcome, flags, ja3, ja3s, ja4, ja4_hrr, ndpi_ja3, pkts_c2s, pkts_s2c, bytes_c2s, bytes_s2c, cert_id,"
	" cert_chain_len, cert_expired FROM connections_v2 ORDER BY id";

enum {
	V2_CAPTURE,
	V2_SEQ,
	V2_TS,
	V2_LAST,
	V2_FAMILY,
	V2_CIP,
	V2_CPORT,
	V2_SIP,
	V2_SPORT,
	V2_SNI,
	V2_ALPN,
	V2_RECV,
	V2_LEGV,
	V2_SVS,
	V2_CIPHERS,
	V2_GROUPS,
	V2_HAS_SH,
	V2_SLEGV,
	V2_NEGV,
	V2_CIPHER,
	V2_SSLV2,
	V2_ALERT,
	V2_ALEVEL,
	V2_ASENDER,
	V2_EST,
	V2_RESUMED,
	V2_HRR,
	V2_STARTTLS,
	V2_L7,
	V2_RISKS,
	V2_OUTCOME,
	V2_FLAGS,
	V2_JA3,
	V2_JA3S,
	V2_JA4,
	V2_JA4HRR,
	V2_NDPIJA3,
	V2_PKTS0,
	V2_PKTS1,
	V2_BYTES0,
	V2_BYTES1,
	V2_CERT,
	V2_CHAIN,
	V2_EXPIRED,
};

/* A v2 certificate row into a dict entry keyed by its SHA-256 (what reading back uses too). */
static struct dict_cert *v2_cert(sqlite3 *db, struct dict *d, int64_t id)
{
	sqlite3_stmt *st = NULL;
	struct dict_cert *c = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT sha256, subject_cn, issuer_cn, sans, not_before, not_after, key_type, key_curve,"
			       " key_bits, sig_alg, self_signed FROM certificates WHERE id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		uint8_t sha[32] = {0};
		const char *hex = col_str(st, 0);
		for (size_t i = 0; i < 32 && hex[2 * i] && hex[2 * i + 1]; i++) {
			char b[3] = {hex[2 * i], hex[2 * i + 1], 0};
			sha[i] = (uint8_t)strtoul(b, NULL, 16);
		}
		bool fresh;
		c = dict_cert_get(d, sha, sizeof(sha), &fresh);
		if (c && fresh) {
			struct cert_info *ci = &c->info;
			memcpy(ci->sha256, sha, 32);
			if (!col_null(st, 1)) {
				size_t n = (size_t)sqlite3_column_bytes(st, 1);
				const void *b = sqlite3_column_blob(st, 1);
				n = n > CERT_MAX_NAME ? CERT_MAX_NAME : n;
				ci->has_subject_cn = true;
				ci->subject_cn_len = (uint16_t)n;
				if (n && b)
					memcpy(ci->subject_cn, b, n);
			}
			if (!col_null(st, 2)) {
				size_t n = (size_t)sqlite3_column_bytes(st, 2);
				const void *b = sqlite3_column_blob(st, 2);
				n = n > CERT_MAX_NAME ? CERT_MAX_NAME : n;
				ci->has_issuer_cn = true;
				ci->issuer_cn_len = (uint16_t)n;
				if (n && b)
					memcpy(ci->issuer_cn, b, n);
			}
			size_t n = (size_t)sqlite3_column_bytes(st, 3);
			const void *b = sqlite3_column_blob(st, 3);
			n = n > CERT_MAX_SANS_BYTES ? CERT_MAX_SANS_BYTES : n;
			if (n && b)
				memcpy(ci->sans, b, n);
			ci->sans_len = (uint16_t)n;
			ci->not_before = sqlite3_column_int64(st, 4);
			ci->not_after = sqlite3_column_int64(st, 5);
			snprintf(ci->key_type, sizeof(ci->key_type), "%s", col_str(st, 6));
			snprintf(ci->key_curve, sizeof(ci->key_curve), "%s", col_str(st, 7));
			ci->key_bits = (uint32_t)sqlite3_column_int64(st, 8);
			snprintf(ci->sig_alg, sizeof(ci->sig_alg), "%s", col_str(st, 9));
			ci->self_signed = sqlite3_column_int(st, 10) != 0;
		}
	}
	sqlite3_finalize(st);
	return c;
}

/* One schema-2 row as the record schema 2's reader made of it, with its shapes keyed by what schema 2 kept. */
static int v2_row(sqlite3 *db, sqlite3_stmt *st, struct dict *d, struct ta_conn *r, int64_t *ret_capture)
{
	char ip[INET6_ADDRSTRLEN];
	bool fresh;

	memset(r, 0, sizeof(*r));
	*ret_capture = sqlite3_column_int64(st, V2_CAPTURE);
	r->seq = (uint64_t)sqlite3_column_int64(st, V2_SEQ);
	r->ts_ns = sqlite3_column_int64(st, V2_TS);
	r->last_ns = sqlite3_column_int64(st, V2_LAST);
	r->family = sqlite3_column_int(st, V2_FAMILY) == 6 ? 6 : 4;
	int af = r->family == 6 ? AF_INET6 : AF_INET;
	snprintf(ip, sizeof(ip), "%s", col_str(st, V2_CIP));
	if (inet_pton(af, ip, r->client_ip) != 1)
		memset(r->client_ip, 0, 16);
	snprintf(ip, sizeof(ip), "%s", col_str(st, V2_SIP));
	if (inet_pton(af, ip, r->server_ip) != 1)
		memset(r->server_ip, 0, 16);
	r->client_port = (uint16_t)sqlite3_column_int(st, V2_CPORT);
	r->server_port = (uint16_t)sqlite3_column_int(st, V2_SPORT);
	if (!col_null(st, V2_SNI))
		r->sni = dict_str_get(d, DICT_STR_SNI, sqlite3_column_blob(st, V2_SNI),
				      (size_t)sqlite3_column_bytes(st, V2_SNI));

	/* the ClientHello as schema 2 kept it: record/legacy version, supported versions, ciphers, groups, ALPN,
	 * whether an SNI was sent, and its fingerprints (a version-2 key) */
	uint16_t legacy = (uint16_t)sqlite3_column_int(st, V2_LEGV);
	if (legacy || sqlite3_column_bytes(st, V2_CIPHERS) > 0) {
		struct tls_client_hello ch;
		memset(&ch, 0, sizeof(ch));
		ch.record_version = (uint16_t)sqlite3_column_int(st, V2_RECV);
		ch.legacy_version = legacy;
		ch.sslv2_format = (sqlite3_column_int64(st, V2_FLAGS) & REC_F_SSLV2_HELLO) != 0;
		ch.has_sni = r->sni != NULL;
		if (!col_null(st, V2_SVS)) {
			ch.has_supported_versions = true;
			ch.n_versions = (uint8_t)parse_u16_list(col_str(st, V2_SVS), ch.versions, TLS_MAX_VERSIONS);
		}
		ch.n_ciphers = (uint16_t)parse_u16_list(col_str(st, V2_CIPHERS), ch.ciphers, TLS_MAX_CIPHERS);
		ch.n_ciphers_total = ch.n_ciphers;
		ch.n_groups = (uint8_t)parse_u16_list(col_str(st, V2_GROUPS), ch.groups, TLS_MAX_GROUPS);
		if (!col_null(st, V2_ALPN)) {
			size_t n = (size_t)sqlite3_column_bytes(st, V2_ALPN);
			const void *b = sqlite3_column_blob(st, V2_ALPN);
			ch.alpn_len = (uint16_t)(n > TLS_MAX_ALPN_BYTES ? TLS_MAX_ALPN_BYTES : n);
			if (ch.alpn_len && b)
				memcpy(ch.alpn, b, ch.alpn_len);
		}
		bool malformed = col_null(st, V2_JA3) && (sqlite3_column_int64(st, V2_FLAGS) & REC_F_MALFORMED);
		uint8_t key[DICT_HELLO_KEY_MAX];
		size_t n = dict_hello_key(&ch, malformed ? TLS_MALFORMED : TLS_OK, key);
		key[0] = 2;
		n = key_str8(key, n, sizeof(key), col_str(st, V2_JA3));
		n = key_str8(key, n, sizeof(key), col_str(st, V2_JA4));
		n = key_str8(key, n, sizeof(key), col_str(st, V2_NDPIJA3));
		struct dict_hello *h = dict_hello_get(d, key, n, &fresh);
		if (h && fresh)
			h->d.offers = dict_hello_offers(&ch); /* the cipher list is all it depends on */
		r->hello = h;
		if (!col_null(st, V2_NDPIJA3))
			r->ndpi_ja3_from = 1; /* schema 2 kept one nDPI JA3, stored with the first hello */
		if (!col_null(st, V2_JA4HRR)) {
			/* the second hello: only its JA4 was kept */
			struct tls_client_hello c2;
			memset(&c2, 0, sizeof(c2));
			n = dict_hello_key(&c2, TLS_OK, key);
			key[0] = 2;
			n = key_str8(key, n, sizeof(key), "");
			n = key_str8(key, n, sizeof(key), col_str(st, V2_JA4HRR));
			n = key_str8(key, n, sizeof(key), "");
			r->hello2 = dict_hello_get(d, key, n, &fresh);
		}
	}
	if (sqlite3_column_int(st, V2_HAS_SH)) {
		struct tls_server_hello sh;
		memset(&sh, 0, sizeof(sh));
		sh.legacy_version = (uint16_t)sqlite3_column_int(st, V2_SLEGV);
		uint16_t neg = (uint16_t)sqlite3_column_int(st, V2_NEGV);
		if (neg != sh.legacy_version && neg != 0x0002)
			sh.selected_version = neg;
		sh.sslv2_format = neg == 0x0002;
		bool sslv2_cipher = sqlite3_column_int(st, V2_SSLV2) != 0;
		if (!sslv2_cipher && !col_null(st, V2_CIPHER))
			sh.cipher = (uint16_t)sqlite3_column_int64(st, V2_CIPHER);
		uint8_t key[DICT_SERVER_KEY_MAX + 40];
		size_t n = dict_server_key(&sh, key);
		key[0] = 2;
		n = key_str8(key, n, sizeof(key), col_str(st, V2_JA3S));
		r->server = dict_server_get(d, key, n, &fresh);
		r->negotiated_version = neg;
	}
	if (!col_null(st, V2_CIPHER)) {
		r->has_cipher = true;
		r->cipher = (uint32_t)sqlite3_column_int64(st, V2_CIPHER);
		r->cipher_sslv2 = sqlite3_column_int(st, V2_SSLV2) != 0;
	}
	if (!col_null(st, V2_ALERT)) {
		r->has_alert = true;
		r->alert_desc = (uint8_t)sqlite3_column_int(st, V2_ALERT);
		r->alert_level = (uint8_t)sqlite3_column_int(st, V2_ALEVEL);
		r->alert_sender = strcmp(col_str(st, V2_ASENDER), "server") == 0;
	}
	r->established = sqlite3_column_int(st, V2_EST) != 0;
	r->resumed = sqlite3_column_int(st, V2_RESUMED) != 0;
	r->hello_retry_request = sqlite3_column_int(st, V2_HRR) != 0;
	const char *stls = col_str(st, V2_STARTTLS);
	for (unsigned p = 1; *stls && names_starttls(p); p++)
		if (strcmp(names_starttls(p), stls) == 0)
			r->starttls = (uint8_t)p;
	if (!col_null(st, V2_L7) && sqlite3_column_bytes(st, V2_L7) > 0)
		r->l7 = dict_str_get(d, DICT_STR_LABEL, sqlite3_column_text(st, V2_L7),
				     (size_t)sqlite3_column_bytes(st, V2_L7));
	r->risks = (uint64_t)sqlite3_column_int64(st, V2_RISKS);
	const char *o = col_str(st, V2_OUTCOME);
	unsigned out = names_outcome_parse(o, strlen(o));
	r->outcome = (uint8_t)(out < OUT_COUNT_ ? out : OUT_INCOMPLETE);
	r->flags = (uint32_t)sqlite3_column_int64(st, V2_FLAGS);
	r->pkts[0] = (uint64_t)sqlite3_column_int64(st, V2_PKTS0);
	r->pkts[1] = (uint64_t)sqlite3_column_int64(st, V2_PKTS1);
	r->bytes[0] = (uint64_t)sqlite3_column_int64(st, V2_BYTES0);
	r->bytes[1] = (uint64_t)sqlite3_column_int64(st, V2_BYTES1);
	r->cert_chain_len = (uint32_t)sqlite3_column_int64(st, V2_CHAIN);
	if (!col_null(st, V2_CERT)) {
		r->cert = v2_cert(db, d, sqlite3_column_int64(st, V2_CERT));
		r->cert_expired = sqlite3_column_int(st, V2_EXPIRED) != 0;
	}
	return 0;
}

#define STAT_COL(name, desc) ", " #name

/* Convert schema 2 to 3 in the caller's transaction. */
static int migrate_2_to_3(sqlite3 *db, char *err, size_t errlen)
{
	struct dict *d = NULL;
	struct store_inserter *in = NULL;
	sqlite3_stmt *st = NULL;
	int ret, rc;

	static const char rename_sql[] =
		"DROP INDEX IF EXISTS captures_sha256; DROP INDEX IF EXISTS connections_client_ip;"
		"DROP INDEX IF EXISTS connections_server_ip; DROP INDEX IF EXISTS connections_ts_ns;"
		"DROP INDEX IF EXISTS connections_negotiated; DROP INDEX IF EXISTS connections_cert;"
		"ALTER TABLE captures RENAME TO captures_v2; ALTER TABLE connections RENAME TO connections_v2;"
		"ALTER TABLE host_summary RENAME TO host_summary_v2; ALTER TABLE certificates RENAME TO "
		"certificates_v2;";
	if ((ret = store_exec(db, rename_sql, "migration 2 -> 3: set old tables aside", err, errlen)) < 0 ||
	    (ret = create_v3(db, err, errlen)) < 0)
		return ret;
	/* the counters of schema 2 are a subset of ours: copy those it has */
	char *copy = NULL;
	{
		/* build the column list from what captures_v2 really has */
		sqlite3_stmt *q = NULL;
		size_t cap = 4096, off = 0;
		char cols[4096];
		copy = malloc(cap * 3);
		if (!copy)
			return -ENOMEM;
		cols[0] = '\0';
		rc = sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('captures_v2')", -1, &q, NULL);
		while (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
			const char *n = col_str(q, 0);
			bool ours = false;
#define STAT_IS(name, desc)        \
	if (strcmp(n, #name) == 0) \
		ours = true;
			TA_STATS_FIELDS(STAT_IS)
#undef STAT_IS
			if (ours && off + strlen(n) + 3 < cap)
				off += (size_t)snprintf(cols + off, cap - off, ", %s", n);
		}
		sqlite3_finalize(q);
		snprintf(copy, cap * 3,
			 "INSERT INTO captures (id, sha256, path, sensor, format, linktypes, file_bytes, packets, "
			 "first_ns,"
			 " last_ns, status, warnings, read_started, read_finished%s) SELECT id, sha256, path, sensor,"
			 " format, linktypes, file_bytes, packets, first_ns, last_ns, CASE status WHEN 'reading' THEN"
			 " 'interrupted' ELSE status END, warnings, read_started, read_finished%s FROM captures_v2;",
			 cols, cols);
	}
	ret = store_exec(db, copy, "migration 2 -> 3: captures", err, errlen);
	free(copy);
	if (ret < 0)
		return ret;
	if ((ret = store_exec(
		     db,
		     "INSERT INTO certificates (id, sha256, subject_cn, issuer_cn, sans, not_before, not_after,"
		     " not_before_ts, not_after_ts, key_type, key_curve, key_bits, sig_alg, self_signed)"
		     " SELECT id, sha256, subject_cn, issuer_cn, sans, not_before, not_after, not_before_ts,"
		     " not_after_ts, key_type, key_curve, key_bits, sig_alg, self_signed FROM certificates_v2",
		     "migration 2 -> 3: certificates", err, errlen)) < 0)
		return ret;
	if ((ret = dict_new(NULL, (size_t)64 << 20, &d)) < 0 || (ret = store_inserter_new(db, &in, err, errlen)) < 0)
		goto out;
	rc = sqlite3_prepare_v2(db, v2_select, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = store_db_err(db, rc, "migration 2 -> 3: read connections", err, errlen);
		goto out;
	}
	int64_t last_capture = -1, first_id = 0, last_id = 0;
	uint64_t digest = 0, count = 0;
	sqlite3_stmt *upd = NULL;
	rc = sqlite3_prepare_v2(db,
				"UPDATE captures SET connections = ?2, rows_digest = ?3, conn_min = ?4, conn_max = ?5"
				" WHERE id = ?1",
				-1, &upd, NULL);
	if (rc != SQLITE_OK) {
		ret = store_db_err(db, rc, "migration 2 -> 3", err, errlen);
		goto out;
	}
	for (;;) {
		rc = sqlite3_step(st);
		bool row = rc == SQLITE_ROW;
		struct ta_conn r;
		int64_t cap = 0, id = 0;
		if (row)
			v2_row(db, st, d, &r, &cap);
		if ((!row || cap != last_capture) && last_capture >= 0 && count) {
			sqlite3_bind_int64(upd, 1, last_capture);
			sqlite3_bind_int64(upd, 2, (int64_t)count);
			sqlite3_bind_int64(upd, 3, (int64_t)digest);
			sqlite3_bind_int64(upd, 4, first_id);
			sqlite3_bind_int64(upd, 5, last_id);
			int urc = sqlite3_step(upd);
			sqlite3_reset(upd);
			if (urc != SQLITE_DONE) {
				ret = store_db_err(db, urc, "migration 2 -> 3: capture rows", err, errlen);
				break;
			}
		}
		if (!row)
			break;
		if (cap != last_capture) {
			last_capture = cap;
			digest = 0;
			count = 0;
			first_id = 0;
		}
		ret = store_insert_conn(in, cap, &r, &id, err, errlen);
		digest += store_row_digest(&r);
		dict_conn_unref(d, &r);
		if (ret < 0)
			break;
		if (!first_id)
			first_id = id;
		last_id = id;
		count++;
	}
	sqlite3_finalize(upd);
	if (ret < 0)
		goto out;
	if (rc != SQLITE_DONE) {
		ret = store_db_err(db, rc, "migration 2 -> 3: read connections", err, errlen);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((ret = store_exec(db,
			      "DROP TABLE connections_v2; DROP TABLE host_summary_v2; DROP TABLE captures_v2;"
			      " DROP TABLE certificates_v2;",
			      "migration 2 -> 3: drop old tables", err, errlen)) < 0)
		goto out;
	ret = store_rebuild_summary(db, in, err, errlen);
out:
	sqlite3_finalize(st);
	store_inserter_free(in);
	dict_free(d);
	return ret;
}

/* ---- the transaction ---- */

int store_migrate(struct store *s, char *err, size_t errlen)
{
	sqlite3 *db = s->db;
	int64_t version = 0, app_id = 0, objects = 0;
	char sql[64];
	int ret;

	if ((ret = store_exec(db, "BEGIN IMMEDIATE", "begin migration", err, errlen)) < 0)
		return ret;
	if ((ret = store_query_int(db, "PRAGMA user_version", &version, err, errlen)) < 0 ||
	    (ret = store_query_int(db, "PRAGMA application_id", &app_id, err, errlen)) < 0 ||
	    (ret = store_query_int(db, "SELECT count(*) FROM sqlite_schema", &objects, err, errlen)) < 0)
		goto cleanup;
	if (app_id != STORE_APPLICATION_ID && (objects != 0 || version != 0 || app_id != 0)) {
		store_set_err(err, errlen,
			      "%s: an SQLite database that is not a tlsaudit database (refusing to touch it)", s->path);
		ret = -EINVAL;
		goto cleanup;
	}
	if (version > STORE_SCHEMA_VERSION || version < 0) {
		store_set_err(err, errlen, "%s: database schema %" PRId64 " is %s this tlsaudit (%d)", s->path, version,
			      version < 0 ? "not valid for" : "newer than", STORE_SCHEMA_VERSION);
		ret = -EINVAL;
		goto cleanup;
	}
	if (app_id == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
		if ((ret = store_exec(db, sql, "set application_id", err, errlen)) < 0)
			goto cleanup;
	}
	if (version == 0) {
		if ((ret = create_v3(db, err, errlen)) < 0)
			goto cleanup;
	} else if (version < STORE_SCHEMA_VERSION) {
		if (version == 1 && (ret = store_exec(db, store_sql_v2, "migration 1 -> 2", err, errlen)) < 0)
			goto cleanup;
		if ((ret = migrate_2_to_3(db, err, errlen)) < 0)
			goto cleanup;
	}
	if ((ret = store_add_stats_columns(db, err, errlen)) < 0)
		goto cleanup;
	if ((ret = refresh_names(db, err, errlen)) < 0)
		goto cleanup;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if ((ret = store_exec(db, sql, "set user_version", err, errlen)) < 0)
		goto cleanup;
	if ((ret = store_mark_interrupted(db, err, errlen)) < 0)
		goto cleanup;
	ret = store_exec(db, "COMMIT", "commit migration", err, errlen);
cleanup:
	if (ret < 0 && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int store_mark_interrupted(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT id, owner_pid, owner_start, owner_boot FROM captures"
				    " WHERE status IN ('reading', 'running')",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "look for interrupted captures", err, errlen);
	/* a file read that died is incomplete: 'interrupted', left out of reports; a live capture that died
	 * committed evidence up to its last interval: 'terminated', counted */
	rc = sqlite3_prepare_v2(db,
				"UPDATE captures SET status = CASE status WHEN 'running' THEN 'terminated' ELSE"
				" 'interrupted' END WHERE id = ?1",
				-1, &up, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return store_db_err(db, rc, "mark interrupted captures", err, errlen);
	}
	int ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_owner_alive(sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), col_str(st, 3)))
			continue;
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
		int urc = sqlite3_step(up);
		sqlite3_reset(up);
		if (urc != SQLITE_DONE) {
			ret = store_db_err(db, urc, "mark interrupted captures", err, errlen);
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_err(db, rc, "look for interrupted captures", err, errlen);
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return ret;
}

/* ---- foreign databases ---- */

struct schema_obj {
	char *type, *name, *tbl, *sql;
};

static int load_schema(sqlite3 *db, struct schema_obj **ret_v, size_t *ret_n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct schema_obj *v = NULL;
	size_t n = 0, cap = 0;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema"
				    " ORDER BY type, name",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "read schema", err, errlen);
	int ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (cap > 4096) {
				store_set_err(err, errlen, "schema has too many objects");
				ret = -EINVAL;
				break;
			}
			struct schema_obj *nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			v = nv;
		}
		struct schema_obj *o = &v[n++];
		o->type = strdup(col_str(st, 0));
		o->name = strdup(col_str(st, 1));
		o->tbl = strdup(col_str(st, 2));
		o->sql = strdup(col_str(st, 3));
		if (!o->type || !o->name || !o->tbl || !o->sql) {
			ret = -ENOMEM;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_err(db, rc, "read schema", err, errlen);
	sqlite3_finalize(st);
	*ret_v = v;
	*ret_n = n;
	return ret;
}

static void free_schema(struct schema_obj *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].name);
		free(v[i].tbl);
		free(v[i].sql);
	}
	free(v);
}

/* The reference: our schema as create_v3 makes it, built once per process in an in-memory database (its
 * ALTER TABLEs reparse the schema each time; every foreign open compares against the same list). */
static struct schema_obj *ref_v;
static size_t ref_n;
static int ref_ret;
static char ref_err[256];
static pthread_once_t ref_once = PTHREAD_ONCE_INIT;

static void build_reference(void)
{
	sqlite3 *ref = NULL;
	if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		ref_ret = -ENOMEM;
		snprintf(ref_err, sizeof(ref_err), "reference schema: out of memory");
	} else if ((ref_ret = store_exec(ref, "BEGIN", "reference schema", ref_err, sizeof(ref_err))) == 0 &&
		   (ref_ret = create_v3(ref, ref_err, sizeof(ref_err))) == 0 &&
		   (ref_ret = store_exec(ref, "COMMIT", "reference schema", ref_err, sizeof(ref_err))) == 0) {
		ref_ret = load_schema(ref, &ref_v, &ref_n, ref_err, sizeof(ref_err));
	}
	sqlite3_close(ref);
}

int store_check_foreign_schema(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	struct schema_obj *b = NULL;
	size_t nb = 0;
	int64_t app = 0, ver = 0;
	int ret;

	if ((ret = store_query_int(db, "PRAGMA application_id", &app, err, errlen)) < 0 ||
	    (ret = store_query_int(db, "PRAGMA user_version", &ver, err, errlen)) < 0)
		return ret;
	if (app != STORE_APPLICATION_ID) {
		store_set_err(err, errlen, "%s: not a tlsaudit database", path);
		return -EINVAL;
	}
	if (ver != STORE_SCHEMA_VERSION) {
		store_set_err(err, errlen,
			      "%s: database schema %" PRId64
			      ", this tlsaudit reads %d (open it once with this tlsaudit "
			      "`read` or `capture` to migrate it)",
			      path, ver, STORE_SCHEMA_VERSION);
		return -EINVAL;
	}
	pthread_once(&ref_once, build_reference);
	if (ref_ret < 0) {
		store_set_err(err, errlen, "%s", ref_err);
		return ref_ret;
	}
	const struct schema_obj *a = ref_v;
	size_t na = ref_n;
	if ((ret = load_schema(db, &b, &nb, err, errlen)) < 0)
		goto out;
	/* both sorted by (type, name): every object must match exactly, in number too */
	for (size_t i = 0, k = 0; i < na || k < nb;) {
		int c = i >= na ? 1 : k >= nb ? -1 : strcmp(a[i].type, b[k].type);
		if (c == 0)
			c = strcmp(a[i].name, b[k].name);
		/* sqlite_sequence is SQLite's own table (made with the first AUTOINCREMENT table): it may be absent
		 * after a migration; if present it must be SQLite's table, not a view or anything else */
		if (c < 0 && strcmp(a[i].name, "sqlite_sequence") == 0) {
			i++;
			continue;
		}
		if (c > 0 && strcmp(b[k].type, "table") == 0 && strcmp(b[k].name, "sqlite_sequence") == 0 &&
		    strcmp(b[k].sql, "CREATE TABLE sqlite_sequence(name,seq)") == 0) {
			k++;
			continue;
		}
		if (c != 0) {
			const struct schema_obj *o = c < 0 ? &a[i] : &b[k];
			store_set_err(err, errlen, "%s: schema differs from ours: %s %s %s", path,
				      c < 0 ? "missing" : "unexpected", o->type, o->name);
			ret = -EINVAL;
			goto out;
		}
		if (strcmp(a[i].tbl, b[k].tbl) != 0 || strcmp(a[i].sql, b[k].sql) != 0) {
			store_set_err(err, errlen, "%s: schema differs from ours: %s %s is defined differently", path,
				      b[k].type, b[k].name);
			ret = -EINVAL;
			goto out;
		}
		i++;
		k++;
	}
out:
	free_schema(b, nb);
	return ret;
}
