/* store_write.c - the one insert path: a record's shared parts (hosts, strings, shapes, certificate) found or
 * added once and remembered, then its compact conn row; capture rows; the host summary merged with an UPSERT.
 * Used by the writer thread, the schema-2 migration and merge.
 *
 * Design note. What a record shares is remembered per inserter: dict entries by their process-unique serial,
 * hosts by address. A miss costs an INSERT OR IGNORE and a SELECT once per distinct value and process; a hit
 * costs a hash lookup. The maps are bounded (cleared when full: a clear costs only later misses).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/names.h"
#include "tlsaudit/num.h"
#include "tlsaudit/tls.h"
#include "store_internal.h"

#define IDMAP_MAX ((size_t)1 << 20) /* remembered ids per map (then forgotten: misses cost a lookup) */

static uint64_t hmix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static int64_t idmap_get(const struct u64map *m, uint64_t key)
{
	return (int64_t)u64map_get(m, key);
}

static void idmap_put(struct u64map *m, uint64_t key, int64_t val)
{
	if (m->n >= IDMAP_MAX)
		u64map_clear(m);
	u64map_put(m, key, (uint64_t)val);
}

/* ---- statements ---- */

enum {
	S_HOST_INS,
	S_HOST_SEL,
	S_STR_INS,
	S_STR_SEL,
	S_HELLO_INS,
	S_HELLO_SEL,
	S_SERVER_INS,
	S_SERVER_SEL,
	S_CERT_INS,
	S_CERT_SEL,
	S_CONN_INS,
	S_STATS_UPSERT,
	S_FAIL_UPSERT,
	S_SPILL_STATS,
	S_SPILL_FAIL,
	S_SPILL_STATS_MERGE,
	S_SPILL_FAIL_MERGE,
	S_SPILL_STATS_DROP,
	S_SPILL_FAIL_DROP,
	S_COUNT_
};

/* The per host and role summary (host_stats, host_failures): its columns and how two rows of disjoint
 * connections merge, the one rule for merging a read's aggregate and a spilled part of it (spill_* below). */
#define STATS_COLS                                                                                                 \
	"connections, established, failed, unknown, max_offered, min_offered, max_negotiated, min_negotiated,"     \
	" first_ns, last_ns, neg_none, neg_ssl2, neg_ssl3, neg_tls10, neg_tls11, neg_tls12, neg_tls13, neg_other," \
	" max_none, max_ssl2, max_ssl3, max_tls10, max_tls11, max_tls12, max_tls13, max_other"
#define STATS_PARAMS                                                                                                \
	"?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23," \
	" ?24, ?25, ?26, ?27, ?28"
#define STATS_MERGE                                                                                               \
	"connections = connections + excluded.connections, established = established + excluded.established,"     \
	" failed = failed + excluded.failed, unknown = unknown + excluded.unknown,"                               \
	" max_offered = max(max_offered, excluded.max_offered),"                                                  \
	" min_offered = CASE WHEN min_offered = 0 THEN excluded.min_offered WHEN excluded.min_offered = 0"        \
	" THEN min_offered ELSE min(min_offered, excluded.min_offered) END,"                                      \
	" max_negotiated = max(max_negotiated, excluded.max_negotiated),"                                         \
	" min_negotiated = CASE WHEN min_negotiated = 0 THEN excluded.min_negotiated WHEN"                        \
	" excluded.min_negotiated = 0 THEN min_negotiated ELSE min(min_negotiated, excluded.min_negotiated) END," \
	" first_ns = min(first_ns, excluded.first_ns), last_ns = max(last_ns, excluded.last_ns),"                 \
	" neg_none = neg_none + excluded.neg_none, neg_ssl2 = neg_ssl2 + excluded.neg_ssl2,"                      \
	" neg_ssl3 = neg_ssl3 + excluded.neg_ssl3, neg_tls10 = neg_tls10 + excluded.neg_tls10,"                   \
	" neg_tls11 = neg_tls11 + excluded.neg_tls11, neg_tls12 = neg_tls12 + excluded.neg_tls12,"                \
	" neg_tls13 = neg_tls13 + excluded.neg_tls13, neg_other = neg_other + excluded.neg_other,"                \
	" max_none = max_none + excluded.max_none, max_ssl2 = max_ssl2 + excluded.max_ssl2,"                      \
	" max_ssl3 = max_ssl3 + excluded.max_ssl3, max_tls10 = max_tls10 + excluded.max_tls10,"                   \
	" max_tls11 = max_tls11 + excluded.max_tls11, max_tls12 = max_tls12 + excluded.max_tls12,"                \
	" max_tls13 = max_tls13 + excluded.max_tls13, max_other = max_other + excluded.max_other"
#define FAIL_MERGE "connections = connections + excluded.connections"

/* Parts of a read's summary written out before the capture ends (the writer's memory stays bounded whatever
 * the number of hosts): merged into the summary at the end, or dropped when the capture is a duplicate. Temp
 * tables: private to the writer's connection, gone with it (an interrupted read leaves nothing). */
static const char spill_schema[] =
	"CREATE TEMP TABLE IF NOT EXISTS spill_stats (capture_id INTEGER NOT NULL, host_id INTEGER NOT NULL,"
	" role INTEGER NOT NULL, connections INTEGER, established INTEGER, failed INTEGER, unknown INTEGER,"
	" max_offered INTEGER, min_offered INTEGER, max_negotiated INTEGER, min_negotiated INTEGER, first_ns INTEGER,"
	" last_ns INTEGER, neg_none INTEGER, neg_ssl2 INTEGER, neg_ssl3 INTEGER, neg_tls10 INTEGER, neg_tls11 INTEGER,"
	" neg_tls12 INTEGER, neg_tls13 INTEGER, neg_other INTEGER, max_none INTEGER, max_ssl2 INTEGER, max_ssl3 "
	"INTEGER,"
	" max_tls10 INTEGER, max_tls11 INTEGER, max_tls12 INTEGER, max_tls13 INTEGER, max_other INTEGER,"
	" PRIMARY KEY (capture_id, host_id, role));"
	"CREATE TEMP TABLE IF NOT EXISTS spill_failures (capture_id INTEGER NOT NULL, host_id INTEGER NOT NULL,"
	" role INTEGER NOT NULL, reason INTEGER NOT NULL, connections INTEGER,"
	" PRIMARY KEY (capture_id, host_id, role, reason));";

static const char *const sqls[S_COUNT_] = {
	[S_HOST_INS] = "INSERT OR IGNORE INTO hosts (family, addr, ip) VALUES (?1, ?2, ?3)",
	[S_HOST_SEL] = "SELECT id FROM hosts WHERE addr = ?1",
	[S_STR_INS] = "INSERT OR IGNORE INTO strings (kind, value) VALUES (?1, ?2)",
	[S_STR_SEL] = "SELECT id FROM strings WHERE kind = ?1 AND value = ?2",
	[S_HELLO_INS] =
		"INSERT OR IGNORE INTO client_hellos (shape, status, record_version, legacy_version,"
		" max_version, min_listed_version, sslv2, has_sni, supported_versions, ciphers, extensions,"
		" groups, sigalgs, point_formats, alpn, n_ciphers_total, ja3, ja4, ndpi_ja3, offers, risks,"
		" stack_key, stack_family, stack_name, stack_match, stack_differed) VALUES (?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,"
		" ?25, ?26)",
	[S_HELLO_SEL] = "SELECT id FROM client_hellos WHERE shape = ?1",
	[S_SERVER_INS] = "INSERT OR IGNORE INTO server_hellos (shape, record_version, legacy_version, selected_version,"
			 " cipher, compression, sslv2, extensions, ja3s, risks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
			 " ?9, ?10)",
	[S_SERVER_SEL] = "SELECT id FROM server_hellos WHERE shape = ?1",
	[S_CERT_INS] = "INSERT OR IGNORE INTO certificates (sha256, subject_cn, issuer_cn, sans, not_before, not_after,"
		       " not_before_ts, not_after_ts, key_type, key_curve, key_bits, sig_alg, self_signed, anomalies,"
		       " risks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[S_CERT_SEL] = "SELECT id FROM certificates WHERE sha256 = ?1",
	[S_CONN_INS] =
		"INSERT INTO conn (capture_id, seq, ts_ns, dur_ns, client_id, client_port, server_id, server_port,"
		" sni_id, hello_id, hello2_id, server_hello_id, version, cipher, alert, outcome, state, flags,"
		" anomalies, risks, l7_id, alpn_id, kx_group, starttls, cert_id, cert_chain_len, pkts_c2s,"
		" pkts_s2c, bytes_c2s, bytes_s2c, dup_frames) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29,"
		" ?30, ?31)",
	[S_STATS_UPSERT] = "INSERT INTO host_stats (host_id, role, " STATS_COLS ") VALUES (" STATS_PARAMS ")"
			   " ON CONFLICT (host_id, role) DO UPDATE SET " STATS_MERGE,
	[S_FAIL_UPSERT] = "INSERT INTO host_failures (host_id, role, reason, connections) VALUES (?1, ?2, ?3, ?4)"
			  " ON CONFLICT (host_id, role, reason) DO UPDATE SET " FAIL_MERGE,
	[S_SPILL_STATS] =
		"INSERT INTO temp.spill_stats (capture_id, host_id, role, " STATS_COLS ") VALUES (?29, " STATS_PARAMS
		") ON CONFLICT (capture_id, host_id, role) DO UPDATE SET " STATS_MERGE,
	[S_SPILL_FAIL] = "INSERT INTO temp.spill_failures (capture_id, host_id, role, reason, connections) VALUES (?5,"
			 " ?1, ?2, ?3, ?4) ON CONFLICT (capture_id, host_id, role, reason) DO UPDATE SET " FAIL_MERGE,
	[S_SPILL_STATS_MERGE] =
		"INSERT INTO host_stats (host_id, role, " STATS_COLS ") SELECT host_id, role, " STATS_COLS
		" FROM temp.spill_stats WHERE capture_id = ?1 ORDER BY host_id, role"
		" ON CONFLICT (host_id, role) DO UPDATE SET " STATS_MERGE,
	[S_SPILL_FAIL_MERGE] = "INSERT INTO host_failures (host_id, role, reason, connections) SELECT host_id, role,"
			       " reason, connections FROM temp.spill_failures WHERE capture_id = ?1 ORDER BY"
			       " host_id, role, reason ON CONFLICT (host_id, role, reason) DO UPDATE SET " FAIL_MERGE,
	[S_SPILL_STATS_DROP] = "DELETE FROM temp.spill_stats WHERE capture_id = ?1",
	[S_SPILL_FAIL_DROP] = "DELETE FROM temp.spill_failures WHERE capture_id = ?1",
};

struct store_inserter {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT_];
	struct u64map entries; /* dict serial -> row id (hellos, server hellos, certificates, strings) */
	struct u64map hosts;   /* hash of (family, address) -> host id; verified below */
};

int store_inserter_new(sqlite3 *db, struct store_inserter **ret, char *err, size_t errlen)
{
	struct store_inserter *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->db = db;
	int src = sqlite3_exec(db, spill_schema, NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		int r = store_db_err(db, src, "create spill tables", err, errlen);
		free(in);
		return r;
	}
	for (int i = 0; i < S_COUNT_; i++) {
		int rc = sqlite3_prepare_v3(db, sqls[i], -1, SQLITE_PREPARE_PERSISTENT, &in->st[i], NULL);
		if (rc != SQLITE_OK) {
			int r = store_db_err(db, rc, "prepare insert", err, errlen);
			store_inserter_free(in);
			return r;
		}
	}
	*ret = in;
	return 0;
}

void store_inserter_free(struct store_inserter *in)
{
	if (!in)
		return;
	for (int i = 0; i < S_COUNT_; i++)
		sqlite3_finalize(in->st[i]);
	u64map_clear(&in->entries);
	u64map_clear(&in->hosts);
	free(in);
}

static int step_done(struct store_inserter *in, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_db_err(in->db, rc, what, err, errlen);
}

/* Run a SELECT id statement (bound); *ret_id = the id or 0. */
static int select_id(struct store_inserter *in, sqlite3_stmt *st, int64_t *ret_id, const char *what, char *err,
		     size_t errlen)
{
	int rc = sqlite3_step(st);
	*ret_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(in->db, rc, what, err, errlen);
	if (!*ret_id) {
		store_set_err(err, errlen, "%s: row not found after insert", what);
		return -EIO;
	}
	return 0;
}

/* "0x1301,0xC02F" (uppercase hex) into buf (7 bytes per value) */
static void u16_list(const uint16_t *v, size_t n, bool upper, char *buf, size_t len)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t off = 0;
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

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* ---- shared parts ---- */

static int host_id(struct store_inserter *in, uint8_t family, const uint8_t ip[16], int64_t *ret, char *err,
		   size_t errlen)
{
	uint64_t a, b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	uint64_t key = hmix(a ^ hmix(b + family)) | 1;
	int64_t id = idmap_get(&in->hosts, key);
	size_t alen = family == 6 ? 16 : 4;
	char text[INET6_ADDRSTRLEN];
	int ret_;

	if (id) {
		*ret = id; /* a collision of two 64-bit keys would merge two hosts: the key is a keyed mix of 17 bytes
			    */
		return 0;
	}
	inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, text, sizeof(text));
	sqlite3_stmt *st = in->st[S_HOST_INS];
	sqlite3_bind_int(st, 1, family);
	sqlite3_bind_blob(st, 2, ip, (int)alen, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
	if ((ret_ = step_done(in, st, "insert host", err, errlen)) < 0)
		return ret_;
	st = in->st[S_HOST_SEL];
	sqlite3_bind_blob(st, 1, ip, (int)alen, SQLITE_TRANSIENT);
	if ((ret_ = select_id(in, st, &id, "look up host", err, errlen)) < 0)
		return ret_;
	idmap_put(&in->hosts, key, id);
	*ret = id;
	return 0;
}

static int str_id(struct store_inserter *in, const struct dict_str *s, int64_t *ret, char *err, size_t errlen)
{
	*ret = 0;
	if (!s)
		return 0;
	int64_t id = idmap_get(&in->entries, s->e.serial);
	if (id) {
		*ret = id;
		return 0;
	}
	sqlite3_stmt *st = in->st[S_STR_INS];
	sqlite3_bind_int(st, 1, s->str_kind);
	store_bind_wire_text(st, 2, s->bytes, s->len);
	int r = step_done(in, st, "insert string", err, errlen);
	if (r < 0)
		return r;
	st = in->st[S_STR_SEL];
	sqlite3_bind_int(st, 1, s->str_kind);
	store_bind_wire_text(st, 2, s->bytes, s->len);
	if ((r = select_id(in, st, &id, "look up string", err, errlen)) < 0)
		return r;
	idmap_put(&in->entries, s->e.serial, id);
	*ret = id;
	return 0;
}

static int hello_id(struct store_inserter *in, const struct dict_hello *h, int64_t *ret, char *err, size_t errlen)
{
	*ret = 0;
	if (!h)
		return 0;
	int64_t id = idmap_get(&in->entries, h->e.serial);
	if (id) {
		*ret = id;
		return 0;
	}
	char list[TLS_MAX_CIPHERS * 7 + 1], json[TLS_MAX_VERSIONS * 40 + 3];
	sqlite3_stmt *st = in->st[S_HELLO_INS];
	sqlite3_bind_blob(st, 1, h->e.key, (int)h->e.key_len, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, h->status);
	sqlite3_bind_int(st, 3, h->record_version);
	sqlite3_bind_int(st, 4, h->legacy_version);
	sqlite3_bind_int(st, 5, h->max_version);
	sqlite3_bind_int(st, 6, h->min_listed_version);
	sqlite3_bind_int(st, 7, h->sslv2_format);
	sqlite3_bind_int(st, 8, h->has_sni);
	if (h->has_supported_versions) {
		size_t off = 0;
		json[off++] = '[';
		for (size_t i = 0, k = 0; i < h->n_versions; i++) {
			char vb[NAMES_BUF];
			if (tls_is_grease(h->versions[i]))
				continue;
			int w = snprintf(json + off, sizeof(json) - off, "%s\"%s\"", k++ ? "," : "",
					 names_version(h->versions[i], vb));
			if (w < 0 || (size_t)w >= sizeof(json) - off - 1)
				break;
			off += (size_t)w;
		}
		json[off++] = ']';
		json[off] = '\0';
		sqlite3_bind_text(st, 9, json, -1, SQLITE_TRANSIENT);
	}
	u16_list(h->ciphers, h->n_ciphers, true, list, sizeof(list));
	sqlite3_bind_text(st, 10, list, -1, SQLITE_TRANSIENT);
	u16_list(h->exts, h->n_exts, false, list, sizeof(list));
	sqlite3_bind_text(st, 11, list, -1, SQLITE_TRANSIENT);
	u16_list(h->groups, h->n_groups, false, list, sizeof(list));
	sqlite3_bind_text(st, 12, list, -1, SQLITE_TRANSIENT);
	u16_list(h->sigalgs, h->n_sigalgs, false, list, sizeof(list));
	sqlite3_bind_text(st, 13, list, -1, SQLITE_TRANSIENT);
	{
		uint16_t pf[TLS_MAX_POINT_FORMATS];
		for (size_t i = 0; i < h->n_point_formats && i < TLS_MAX_POINT_FORMATS; i++)
			pf[i] = h->point_formats[i];
		u16_list(pf, h->n_point_formats < TLS_MAX_POINT_FORMATS ? h->n_point_formats : TLS_MAX_POINT_FORMATS,
			 false, list, sizeof(list));
		sqlite3_bind_text(st, 14, list, -1, SQLITE_TRANSIENT);
	}
	if (h->alpn_len)
		sqlite3_bind_blob(st, 15, h->alpn, h->alpn_len, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 16, h->n_ciphers_total);
	bind_text_or_null(st, 17, h->d.ja3);
	bind_text_or_null(st, 18, h->d.ja4);
	bind_text_or_null(st, 19, h->d.ndpi_ja3);
	sqlite3_bind_int64(st, 20, h->d.offers);
	sqlite3_bind_int64(st, 21, (int64_t)h->d.risks);
	bind_text_or_null(st, 22, h->d.stack_key);
	bind_text_or_null(st, 23, h->d.stack_family);
	bind_text_or_null(st, 24, h->d.stack_name);
	if (h->d.stack_match)
		sqlite3_bind_text(st, 25, h->d.stack_match == 1 ? "exact" : "close", -1, SQLITE_STATIC);
	bind_text_or_null(st, 26, h->d.stack_differed);
	int r = step_done(in, st, "insert client hello", err, errlen);
	if (r < 0)
		return r;
	st = in->st[S_HELLO_SEL];
	sqlite3_bind_blob(st, 1, h->e.key, (int)h->e.key_len, SQLITE_TRANSIENT);
	if ((r = select_id(in, st, &id, "look up client hello", err, errlen)) < 0)
		return r;
	idmap_put(&in->entries, h->e.serial, id);
	*ret = id;
	return 0;
}

static int server_id(struct store_inserter *in, const struct dict_server *s, int64_t *ret, char *err, size_t errlen)
{
	*ret = 0;
	if (!s)
		return 0;
	int64_t id = idmap_get(&in->entries, s->e.serial);
	if (id) {
		*ret = id;
		return 0;
	}
	char list[TLS_MAX_EXTS * 7 + 1];
	sqlite3_stmt *st = in->st[S_SERVER_INS];
	sqlite3_bind_blob(st, 1, s->e.key, (int)s->e.key_len, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, s->record_version);
	sqlite3_bind_int(st, 3, s->legacy_version);
	sqlite3_bind_int(st, 4, s->selected_version);
	sqlite3_bind_int(st, 5, s->cipher);
	sqlite3_bind_int(st, 6, s->compression);
	sqlite3_bind_int(st, 7, s->sslv2_format);
	u16_list(s->exts, s->n_exts, false, list, sizeof(list));
	sqlite3_bind_text(st, 8, list, -1, SQLITE_TRANSIENT);
	bind_text_or_null(st, 9, s->ja3s);
	sqlite3_bind_int64(st, 10, (int64_t)s->risks);
	int r = step_done(in, st, "insert server hello", err, errlen);
	if (r < 0)
		return r;
	st = in->st[S_SERVER_SEL];
	sqlite3_bind_blob(st, 1, s->e.key, (int)s->e.key_len, SQLITE_TRANSIENT);
	if ((r = select_id(in, st, &id, "look up server hello", err, errlen)) < 0)
		return r;
	idmap_put(&in->entries, s->e.serial, id);
	*ret = id;
	return 0;
}

static int cert_id(struct store_inserter *in, const struct dict_cert *c, int64_t *ret, char *err, size_t errlen)
{
	*ret = 0;
	if (!c)
		return 0;
	int64_t id = idmap_get(&in->entries, c->e.serial);
	if (id) {
		*ret = id;
		return 0;
	}
	const struct cert_info *ci = &c->info;
	char hex[65], nb[STORE_TS_LEN], na[STORE_TS_LEN];
	store_sha256_hex(ci->sha256, hex);
	sqlite3_stmt *st = in->st[S_CERT_INS];
	sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT);
	if (ci->has_subject_cn)
		store_bind_wire_text(st, 2, ci->subject_cn,
				     ci->subject_cn_len > CERT_MAX_NAME ? CERT_MAX_NAME : ci->subject_cn_len);
	if (ci->has_issuer_cn)
		store_bind_wire_text(st, 3, ci->issuer_cn,
				     ci->issuer_cn_len > CERT_MAX_NAME ? CERT_MAX_NAME : ci->issuer_cn_len);
	sqlite3_bind_blob(st, 4, ci->sans, ci->sans_len > CERT_MAX_SANS_BYTES ? CERT_MAX_SANS_BYTES : ci->sans_len,
			  SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, ci->not_before);
	sqlite3_bind_int64(st, 6, ci->not_after);
	store_format_s(ci->not_before, nb, sizeof(nb));
	store_format_s(ci->not_after, na, sizeof(na));
	sqlite3_bind_text(st, 7, nb, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, na, -1, SQLITE_TRANSIENT);
	bind_text_or_null(st, 9, ci->key_type);
	bind_text_or_null(st, 10, ci->key_curve);
	if (ci->key_bits)
		sqlite3_bind_int64(st, 11, ci->key_bits);
	bind_text_or_null(st, 12, ci->sig_alg);
	sqlite3_bind_int(st, 13, ci->self_signed);
	sqlite3_bind_int64(st, 14, ci->anomalies);
	sqlite3_bind_int64(st, 15, (int64_t)c->risks);
	int r = step_done(in, st, "insert certificate", err, errlen);
	if (r < 0)
		return r;
	st = in->st[S_CERT_SEL];
	sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT);
	if ((r = select_id(in, st, &id, "look up certificate", err, errlen)) < 0)
		return r;
	idmap_put(&in->entries, c->e.serial, id);
	*ret = id;
	return 0;
}

/* ---- the row ---- */

static void bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id)
		sqlite3_bind_int64(st, i, id);
}

int store_insert_conn(struct store_inserter *in, int64_t capture_id, const struct ta_conn *c, int64_t *ret_id,
		      char *err, size_t errlen)
{
	int64_t cid, sid, sni, hello, hello2, server, cert, l7, alpn;
	int r;

	if (c->family != 4 && c->family != 6) {
		store_set_err(err, errlen, "insert connection: address family %u is not 4 or 6", c->family);
		return -EINVAL;
	}
	if ((r = host_id(in, c->family, c->client_ip, &cid, err, errlen)) < 0 ||
	    (r = host_id(in, c->family, c->server_ip, &sid, err, errlen)) < 0 ||
	    (r = str_id(in, c->sni, &sni, err, errlen)) < 0 || (r = str_id(in, c->l7, &l7, err, errlen)) < 0 ||
	    (r = str_id(in, c->alpn, &alpn, err, errlen)) < 0 ||
	    (r = hello_id(in, c->hello, &hello, err, errlen)) < 0 ||
	    (r = hello_id(in, c->hello2, &hello2, err, errlen)) < 0 ||
	    (r = server_id(in, c->server, &server, err, errlen)) < 0 ||
	    (r = cert_id(in, c->cert, &cert, err, errlen)) < 0)
		return r;
	sqlite3_stmt *st = in->st[S_CONN_INS];
	sqlite3_bind_int64(st, 1, capture_id);
	sqlite3_bind_int64(st, 2, (int64_t)ta_min_u64(c->seq, INT64_MAX));
	sqlite3_bind_int64(st, 3, c->ts_ns);
	sqlite3_bind_int64(st, 4, (int64_t)ta_min_u64(ta_span_u64(c->ts_ns, c->last_ns), INT64_MAX));
	sqlite3_bind_int64(st, 5, cid);
	sqlite3_bind_int(st, 6, c->client_port);
	sqlite3_bind_int64(st, 7, sid);
	sqlite3_bind_int(st, 8, c->server_port);
	bind_id(st, 9, sni);
	bind_id(st, 10, hello);
	bind_id(st, 11, hello2);
	bind_id(st, 12, server);
	if (c->negotiated_version)
		sqlite3_bind_int(st, 13, c->negotiated_version);
	if (c->has_cipher)
		sqlite3_bind_int64(st, 14, c->cipher);
	if (c->has_alert)
		sqlite3_bind_int64(st, 15,
				   (int64_t)c->alert_sender << 16 | (int64_t)c->alert_level << 8 | c->alert_desc);
	sqlite3_bind_int(st, 16, c->outcome);
	sqlite3_bind_int(st, 17,
			 (c->established ? ST_ESTABLISHED : 0) | (c->resumed ? ST_RESUMED : 0) |
				 (c->hello_retry_request ? ST_HRR : 0) | (c->cipher_sslv2 ? ST_SSLV2_CIPHER : 0) |
				 (c->cert_expired ? ST_CERT_EXPIRED : 0) |
				 (c->ndpi_ja3_from == 1	  ? ST_NDPI_JA3_FIRST
				  : c->ndpi_ja3_from == 2 ? ST_NDPI_JA3_SECOND
							  : 0));
	sqlite3_bind_int64(st, 18, c->flags);
	sqlite3_bind_int64(st, 19, (int64_t)c->anomalies);
	sqlite3_bind_int64(st, 20, (int64_t)c->risks);
	bind_id(st, 21, l7);
	bind_id(st, 22, alpn);
	if (c->kx_group)
		sqlite3_bind_int(st, 23, c->kx_group);
	if (c->starttls)
		sqlite3_bind_int(st, 24, c->starttls);
	bind_id(st, 25, cert);
	sqlite3_bind_int64(st, 26, c->cert_chain_len);
	sqlite3_bind_int64(st, 27, (int64_t)ta_min_u64(c->pkts[0], INT64_MAX));
	sqlite3_bind_int64(st, 28, (int64_t)ta_min_u64(c->pkts[1], INT64_MAX));
	sqlite3_bind_int64(st, 29, (int64_t)ta_min_u64(c->bytes[0], INT64_MAX));
	sqlite3_bind_int64(st, 30, (int64_t)ta_min_u64(c->bytes[1], INT64_MAX));
	sqlite3_bind_int64(st, 31, c->dup_frames);
	if ((r = step_done(in, st, "insert connection", err, errlen)) < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(in->db);
	return 0;
}

/* ---- captures ---- */

#define STAT_SET(name, desc) #name " = ?, "

static const char capture_insert[] =
	"INSERT INTO captures (sha256, path, sensor, format, options, linktypes, file_bytes, status, warnings,"
	" read_started, owner_pid, owner_start, owner_boot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	" ?12, ?13)";

static const char capture_update[] = "UPDATE captures SET " TA_STATS_FIELDS(
	STAT_SET) "sha256 = ?, path = ?, sensor = ?, format = ?, options = ?,"
		  " linktypes = ?, file_bytes = ?, packets = ?, first_ns = ?, last_ns = ?, status = ?, warnings = ?,"
		  " read_finished = ? WHERE id = ?";

static void bind_str(sqlite3_stmt *st, int i, const char *s, size_t max)
{
	sqlite3_bind_text(st, i, s, (int)strnlen(s, max), SQLITE_TRANSIENT);
}

int64_t store_insert_capture(sqlite3 *db, const struct store_capture *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char hex[65], now[STORE_TS_LEN], boot[40];
	int64_t pid, start;
	int rc = sqlite3_prepare_v2(db, capture_insert, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare capture", err, errlen);
	store_now_ts(now, sizeof(now));
	store_owner_self(&pid, &start, boot);
	if (c->sha256_valid) {
		store_sha256_hex(c->sha256, hex);
		sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT);
	}
	bind_str(st, 2, c->path, sizeof(c->path));
	bind_str(st, 3, c->sensor, sizeof(c->sensor));
	bind_str(st, 4, c->format, sizeof(c->format));
	bind_str(st, 5, c->options, sizeof(c->options));
	bind_str(st, 6, c->facts.linktypes, sizeof(c->facts.linktypes));
	sqlite3_bind_int64(st, 7, (int64_t)ta_min_u64(c->file_bytes, INT64_MAX));
	bind_str(st, 8, c->status[0] ? c->status : "reading", sizeof(c->status));
	bind_str(st, 9, c->facts.warnings, sizeof(c->facts.warnings));
	sqlite3_bind_text(st, 10, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 11, pid);
	sqlite3_bind_int64(st, 12, start);
	sqlite3_bind_text(st, 13, boot, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_err(db, rc, "insert capture", err, errlen);
	return sqlite3_last_insert_rowid(db);
}

int store_update_capture(sqlite3 *db, int64_t id, const struct store_capture *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char hex[65], now[STORE_TS_LEN];
	int i = 1, rc = sqlite3_prepare_v2(db, capture_update, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare capture update", err, errlen);
	store_now_ts(now, sizeof(now));
#define STAT_BIND(name, desc) sqlite3_bind_int64(st, i++, (int64_t)ta_min_u64(c->facts.stats.name, INT64_MAX));
	TA_STATS_FIELDS(STAT_BIND)
#undef STAT_BIND
	if (c->sha256_valid) {
		store_sha256_hex(c->sha256, hex);
		sqlite3_bind_text(st, i, hex, 64, SQLITE_TRANSIENT);
	}
	i++;
	bind_str(st, i++, c->path, sizeof(c->path));
	bind_str(st, i++, c->sensor, sizeof(c->sensor));
	bind_str(st, i++, c->format, sizeof(c->format));
	bind_str(st, i++, c->options, sizeof(c->options));
	bind_str(st, i++, c->facts.linktypes, sizeof(c->facts.linktypes));
	sqlite3_bind_int64(st, i++, (int64_t)ta_min_u64(c->file_bytes, INT64_MAX));
	sqlite3_bind_int64(st, i++, (int64_t)ta_min_u64(c->facts.stats.frames, INT64_MAX));
	sqlite3_bind_int64(st, i++, c->facts.have_time ? c->facts.first_ns : 0);
	sqlite3_bind_int64(st, i++, c->facts.have_time ? c->facts.last_ns : 0);
	bind_str(st, i++, c->status, sizeof(c->status));
	bind_str(st, i++, c->facts.warnings, sizeof(c->facts.warnings));
	if (strcmp(c->status, "running") != 0 && strcmp(c->status, "reading") != 0)
		sqlite3_bind_text(st, i, now, -1, SQLITE_TRANSIENT);
	i++;
	sqlite3_bind_int64(st, i++, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_err(db, rc, "update capture", err, errlen);
	if (sqlite3_changes(db) != 1) {
		store_set_err(err, errlen, "update capture: no capture with id %" PRId64, id);
		return -ENOENT;
	}
	return 0;
}

/* ---- host summary ---- */

/* Every row of a into host_stats/host_failures (capture_id 0) or into the spill tables of capture_id. */
static int upsert_rows(struct store_inserter *in, struct agg *a, int64_t capture_id, char *err, size_t errlen)
{
	for (size_t i = 0; i < agg_count(a); i++) {
		const struct agg_host *h = agg_at(a, i);
		const struct agg_counts *n = &h->n;
		int64_t hid;
		int r = host_id(in, h->family, h->ip, &hid, err, errlen);
		if (r < 0)
			return r;
		sqlite3_stmt *st = in->st[capture_id ? S_SPILL_STATS : S_STATS_UPSERT];
		int k = 1;
		sqlite3_bind_int64(st, k++, hid);
		sqlite3_bind_int(st, k++, h->role);
		sqlite3_bind_int64(st, k++, (int64_t)n->connections);
		sqlite3_bind_int64(st, k++, (int64_t)n->established);
		sqlite3_bind_int64(st, k++, (int64_t)n->failed);
		sqlite3_bind_int64(st, k++, (int64_t)n->unknown);
		sqlite3_bind_int(st, k++, n->max_offered);
		sqlite3_bind_int(st, k++, n->min_offered);
		sqlite3_bind_int(st, k++, n->max_negotiated);
		sqlite3_bind_int(st, k++, n->min_negotiated);
		sqlite3_bind_int64(st, k++, n->first_ns);
		sqlite3_bind_int64(st, k++, n->last_ns);
		for (int v = 0; v < AGG_V_COUNT; v++)
			sqlite3_bind_int64(st, k++, (int64_t)n->negotiated[v]);
		for (int v = 0; v < AGG_V_COUNT; v++)
			sqlite3_bind_int64(st, k++, (int64_t)n->offered_max[v]);
		if (capture_id)
			sqlite3_bind_int64(st, 29, capture_id);
		if ((r = step_done(in, st, "merge host summary", err, errlen)) < 0)
			return r;
		for (size_t f = 0; f < h->n_reasons; f++) {
			st = in->st[capture_id ? S_SPILL_FAIL : S_FAIL_UPSERT];
			sqlite3_bind_int64(st, 1, hid);
			sqlite3_bind_int(st, 2, h->role);
			sqlite3_bind_int(st, 3, h->reasons[f].code);
			sqlite3_bind_int64(st, 4, (int64_t)h->reasons[f].count);
			if (capture_id)
				sqlite3_bind_int64(st, 5, capture_id);
			if ((r = step_done(in, st, "merge host failures", err, errlen)) < 0)
				return r;
		}
	}
	return 0;
}

int store_upsert_summary(struct store_inserter *in, struct agg *a, char *err, size_t errlen)
{
	return upsert_rows(in, a, 0, err, errlen);
}

int store_spill_summary(struct store_inserter *in, int64_t capture_id, struct agg *a, char *err, size_t errlen)
{
	return upsert_rows(in, a, capture_id, err, errlen);
}

int store_spill_end(struct store_inserter *in, int64_t capture_id, bool merge, char *err, size_t errlen)
{
	static const int merges[] = {S_SPILL_STATS_MERGE, S_SPILL_FAIL_MERGE};
	static const int drops[] = {S_SPILL_STATS_DROP, S_SPILL_FAIL_DROP};
	int r = 0;
	for (int i = 0; merge && r == 0 && i < 2; i++) {
		sqlite3_bind_int64(in->st[merges[i]], 1, capture_id);
		r = step_done(in, in->st[merges[i]], "merge spilled summary", err, errlen);
	}
	for (int i = 0; r == 0 && i < 2; i++) {
		sqlite3_bind_int64(in->st[drops[i]], 1, capture_id);
		r = step_done(in, in->st[drops[i]], "drop spilled summary", err, errlen);
	}
	return r;
}
