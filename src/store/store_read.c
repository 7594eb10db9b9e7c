/* store_read.c - rows back into records: a conn row and the shared rows it points at become a ta_conn whose
 * references belong to the reader's own dict, so every output (NDJSON, reports, export, merge) renders a
 * stored connection with the same code as a fresh one.
 *
 * Design note. Every value read is hostile when the database came from elsewhere: lengths are capped to the
 * record's own limits, addresses must have their family's length, shapes must decode (dict.h keys go through
 * the bounded reader), and a row whose references cannot be resolved is given without them rather than read
 * out of bounds. Shared rows are looked up once per id (an id -> entry cache) and kept in the dict.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/num.h"
#include "store_internal.h"

#define READ_CACHE_MAX ((size_t)1 << 20)

/* row id -> entry (or host) caches */
static void *cache_get(const struct u64map *c, int64_t id)
{
	return (void *)(uintptr_t)u64map_get(c, (uint64_t)id);
}

/* false when the value is not kept (out of memory) */
static bool cache_put(struct u64map *c, int64_t id, void *val)
{
	return u64map_put(c, (uint64_t)id, (uint64_t)(uintptr_t)val);
}

struct host {
	uint8_t family;
	uint8_t ip[16];
};

enum { Q_HOST, Q_STR, Q_HELLO, Q_SERVER, Q_CERT, Q_COUNT_ };

static const char *const qsql[Q_COUNT_] = {
	[Q_HOST] = "SELECT family, addr FROM hosts WHERE id = ?1",
	[Q_STR] = "SELECT kind, value FROM strings WHERE id = ?1",
	[Q_HELLO] = "SELECT shape, ja3, ja4, ndpi_ja3, offers, risks, stack_key, stack_family, stack_name,"
		    " stack_match, stack_differed FROM client_hellos WHERE id = ?1",
	[Q_SERVER] = "SELECT shape, ja3s, risks FROM server_hellos WHERE id = ?1",
	[Q_CERT] = "SELECT sha256, subject_cn, issuer_cn, sans, not_before, not_after, key_type, key_curve, key_bits,"
		   " sig_alg, self_signed, anomalies, risks FROM certificates WHERE id = ?1",
};

struct store_reader {
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT_];
	struct dict *dict;
	struct u64map hosts, strs, hellos, servers, certs;
	uint64_t max_rows; /* 0: no bound */
};

void store_reader_bound(struct store_reader *r, uint64_t max_rows)
{
	r->max_rows = max_rows;
}

int store_reader_new(sqlite3 *db, struct store_reader **ret, char *err, size_t errlen)
{
	struct store_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->db = db;
	int rc = dict_new(NULL, (size_t)16 << 20, &r->dict);
	for (int i = 0; rc == 0 && i < Q_COUNT_; i++) {
		int src = sqlite3_prepare_v2(db, qsql[i], -1, &r->q[i], NULL);
		if (src != SQLITE_OK)
			rc = store_db_err(db, src, "prepare read", err, errlen);
	}
	if (rc < 0) {
		store_reader_free(r);
		return rc;
	}
	*ret = r;
	return 0;
}

static void cache_free(struct u64map *c, struct dict *d, bool entries)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->k[i]) {
			void *v = (void *)(uintptr_t)c->v[i];
			if (entries)
				dict_unref(d, v);
			else
				free(v);
		}
	u64map_clear(c);
}

void store_reader_free(struct store_reader *r)
{
	if (!r)
		return;
	for (int i = 0; i < Q_COUNT_; i++)
		sqlite3_finalize(r->q[i]);
	cache_free(&r->hosts, r->dict, false);
	cache_free(&r->strs, r->dict, true);
	cache_free(&r->hellos, r->dict, true);
	cache_free(&r->servers, r->dict, true);
	cache_free(&r->certs, r->dict, true);
	dict_free(r->dict);
	free(r);
}

static sqlite3_stmt *q_bind(struct store_reader *r, int which, int64_t id)
{
	sqlite3_stmt *st = r->q[which];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	return sqlite3_step(st) == SQLITE_ROW ? st : NULL;
}

static const struct host *get_host(struct store_reader *r, int64_t id)
{
	struct host *h = cache_get(&r->hosts, id);
	if (h)
		return h;
	sqlite3_stmt *st = q_bind(r, Q_HOST, id);
	if (!st)
		return NULL;
	int family = sqlite3_column_int(st, 0);
	size_t n = (size_t)sqlite3_column_bytes(st, 1);
	const void *b = sqlite3_column_blob(st, 1);
	if ((family != 4 && family != 6) || n != (family == 6 ? 16u : 4u) || !b)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->family = (uint8_t)family;
	memcpy(h->ip, b, n);
	if (!cache_put(&r->hosts, id, h)) {
		free(h);
		return NULL; /* out of memory */
	}
	return h;
}

/* Entries come back with the cache's reference; the record takes its own (dict_ref) in read_row. */
static const struct dict_str *get_str(struct store_reader *r, int64_t id)
{
	const struct dict_str *s = cache_get(&r->strs, id);
	if (s || !id)
		return s;
	sqlite3_stmt *st = q_bind(r, Q_STR, id);
	if (!st)
		return NULL;
	int kind = sqlite3_column_int(st, 0);
	if (kind < DICT_STR_SNI || kind > DICT_STR_LABEL)
		return NULL;
	size_t n = (size_t)sqlite3_column_bytes(st, 1);
	const void *b = sqlite3_column_blob(st, 1);
	s = dict_str_get(r->dict, (enum dict_str_kind)kind, b ? b : "", b ? n : 0);
	if (s)
		cache_put(&r->strs, id, (void *)(uintptr_t)s); /* out of memory: the reference stays with the dict */
	return s;
}

static const struct dict_hello *get_hello(struct store_reader *r, int64_t id)
{
	struct dict_hello *h = cache_get(&r->hellos, id);
	if (h || !id)
		return h;
	sqlite3_stmt *st = q_bind(r, Q_HELLO, id);
	if (!st)
		return NULL;
	bool fresh;
	h = dict_hello_get(r->dict, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &fresh);
	if (h && fresh && h->e.key[0] == 1) {
		struct dict_hello_derived *d = &h->d;
		store_col_text(st, 1, d->ja3, sizeof(d->ja3));
		store_col_text(st, 2, d->ja4, sizeof(d->ja4));
		store_col_text(st, 3, d->ndpi_ja3, sizeof(d->ndpi_ja3));
		d->offers = (uint32_t)sqlite3_column_int64(st, 4);
		d->risks = (uint64_t)sqlite3_column_int64(st, 5);
		store_col_text(st, 6, d->stack_key, sizeof(d->stack_key));
		store_col_text(st, 7, d->stack_family, sizeof(d->stack_family));
		store_col_text(st, 8, d->stack_name, sizeof(d->stack_name));
		const unsigned char *m = sqlite3_column_text(st, 9);
		d->stack_match = m && strcmp((const char *)m, "exact") == 0   ? 1
				 : m && strcmp((const char *)m, "close") == 0 ? 2
									      : 0;
		store_col_text(st, 10, d->stack_differed, sizeof(d->stack_differed));
	}
	if (h)
		cache_put(&r->hellos, id, h);
	return h;
}

static const struct dict_server *get_server(struct store_reader *r, int64_t id)
{
	struct dict_server *s = cache_get(&r->servers, id);
	if (s || !id)
		return s;
	sqlite3_stmt *st = q_bind(r, Q_SERVER, id);
	if (!st)
		return NULL;
	bool fresh;
	s = dict_server_get(r->dict, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &fresh);
	if (s && fresh && s->e.key[0] == 1) {
		store_col_text(st, 1, s->ja3s, sizeof(s->ja3s));
		s->risks = (uint64_t)sqlite3_column_int64(st, 2);
	}
	if (s)
		cache_put(&r->servers, id, s);
	return s;
}

static void copy_bytes(sqlite3_stmt *st, int i, char *dst, uint16_t *ret_len, size_t max)
{
	const void *b = sqlite3_column_blob(st, i);
	size_t n = b ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n > max)
		n = max;
	if (n)
		memcpy(dst, b, n);
	dst[n] = '\0';
	*ret_len = (uint16_t)n;
}

static const struct dict_cert *get_cert(struct store_reader *r, int64_t id)
{
	struct dict_cert *c = cache_get(&r->certs, id);
	if (c || !id)
		return c;
	sqlite3_stmt *st = q_bind(r, Q_CERT, id);
	uint8_t sha[32];
	if (!st ||
	    !store_sha256_parse((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0), sha))
		return NULL;
	bool fresh;
	c = dict_cert_get(r->dict, sha, sizeof(sha), &fresh);
	if (c && fresh) {
		struct cert_info *ci = &c->info;
		memcpy(ci->sha256, sha, 32);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			ci->has_subject_cn = true;
			copy_bytes(st, 1, ci->subject_cn, &ci->subject_cn_len, CERT_MAX_NAME);
		}
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			ci->has_issuer_cn = true;
			copy_bytes(st, 2, ci->issuer_cn, &ci->issuer_cn_len, CERT_MAX_NAME);
		}
		{
			const void *b = sqlite3_column_blob(st, 3);
			size_t n = b ? (size_t)sqlite3_column_bytes(st, 3) : 0;
			if (n > CERT_MAX_SANS_BYTES)
				n = CERT_MAX_SANS_BYTES;
			if (n)
				memcpy(ci->sans, b, n);
			ci->sans_len = (uint16_t)n;
		}
		ci->not_before = sqlite3_column_int64(st, 4);
		ci->not_after = sqlite3_column_int64(st, 5);
		store_col_text(st, 6, ci->key_type, sizeof(ci->key_type));
		store_col_text(st, 7, ci->key_curve, sizeof(ci->key_curve));
		ci->key_bits = (uint32_t)ta_min_u64((uint64_t)sqlite3_column_int64(st, 8), UINT32_MAX);
		store_col_text(st, 9, ci->sig_alg, sizeof(ci->sig_alg));
		ci->self_signed = sqlite3_column_int(st, 10) != 0;
		ci->anomalies = (uint32_t)sqlite3_column_int64(st, 11);
		c->risks = (uint64_t)sqlite3_column_int64(st, 12);
	}
	if (c)
		cache_put(&r->certs, id, c);
	return c;
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);
	return v < 0 ? 0 : (uint64_t)v;
}

enum {
	RC_SEQ,
	RC_TS,
	RC_DUR,
	RC_CLIENT,
	RC_CPORT,
	RC_SERVER,
	RC_SPORT,
	RC_SNI,
	RC_HELLO,
	RC_HELLO2,
	RC_SHELLO,
	RC_VERSION,
	RC_CIPHER,
	RC_ALERT,
	RC_OUTCOME,
	RC_STATE,
	RC_FLAGS,
	RC_ANOM,
	RC_RISKS,
	RC_L7,
	RC_ALPN,
	RC_KX,
	RC_STARTTLS,
	RC_CERT,
	RC_CHAIN,
	RC_PKTS0,
	RC_PKTS1,
	RC_BYTES0,
	RC_BYTES1,
	RC_DUPS,
	RC_CAPTURE,
};

/* One row of STORE_CONN_COLS. false: the row's hosts cannot be resolved (skipped). */
static bool read_row(struct store_reader *r, sqlite3_stmt *st, struct ta_conn *c)
{
	memset(c, 0, sizeof(*c));
	const struct host *ch = get_host(r, sqlite3_column_int64(st, RC_CLIENT));
	if (!ch)
		return false;
	struct host client = *ch;
	const struct host *sh = get_host(r, sqlite3_column_int64(st, RC_SERVER));
	if (!sh || sh->family != client.family)
		return false;
	c->family = client.family;
	memcpy(c->client_ip, client.ip, 16);
	memcpy(c->server_ip, sh->ip, 16);
	c->seq = col_u64(st, RC_SEQ);
	c->ts_ns = sqlite3_column_int64(st, RC_TS);
	c->last_ns = ta_sat_add_i64(c->ts_ns, sqlite3_column_int64(st, RC_DUR));
	c->client_port = (uint16_t)sqlite3_column_int(st, RC_CPORT);
	c->server_port = (uint16_t)sqlite3_column_int(st, RC_SPORT);
	c->sni = get_str(r, sqlite3_column_int64(st, RC_SNI));
	c->hello = get_hello(r, sqlite3_column_int64(st, RC_HELLO));
	c->hello2 = get_hello(r, sqlite3_column_int64(st, RC_HELLO2));
	c->server = get_server(r, sqlite3_column_int64(st, RC_SHELLO));
	if (sqlite3_column_type(st, RC_VERSION) != SQLITE_NULL)
		c->negotiated_version = (uint16_t)sqlite3_column_int(st, RC_VERSION);
	unsigned state = (unsigned)sqlite3_column_int(st, RC_STATE);
	if (sqlite3_column_type(st, RC_CIPHER) != SQLITE_NULL) {
		c->has_cipher = true;
		c->cipher = (uint32_t)(col_u64(st, RC_CIPHER) & 0xffffff);
		c->cipher_sslv2 = (state & ST_SSLV2_CIPHER) != 0;
	}
	if (sqlite3_column_type(st, RC_ALERT) != SQLITE_NULL) {
		uint64_t a = col_u64(st, RC_ALERT);
		c->has_alert = true;
		c->alert_desc = (uint8_t)a;
		c->alert_level = (uint8_t)(a >> 8);
		c->alert_sender = (a >> 16) ? 1 : 0;
	}
	c->outcome = (uint8_t)ta_min_u64(col_u64(st, RC_OUTCOME), 255);
	c->established = state & ST_ESTABLISHED;
	c->resumed = (state & ST_RESUMED) != 0;
	c->hello_retry_request = (state & ST_HRR) != 0;
	c->flags = (uint32_t)col_u64(st, RC_FLAGS);
	c->anomalies = (uint64_t)sqlite3_column_int64(st, RC_ANOM);
	c->risks = (uint64_t)sqlite3_column_int64(st, RC_RISKS);
	c->l7 = get_str(r, sqlite3_column_int64(st, RC_L7));
	c->alpn = get_str(r, sqlite3_column_int64(st, RC_ALPN));
	c->kx_group = (uint16_t)sqlite3_column_int(st, RC_KX);
	c->starttls = (uint8_t)ta_min_u64(col_u64(st, RC_STARTTLS), 255);
	c->cert = get_cert(r, sqlite3_column_int64(st, RC_CERT));
	c->cert_expired = c->cert && (state & ST_CERT_EXPIRED);
	c->ndpi_ja3_from = (state & ST_NDPI_JA3_FIRST) && c->hello     ? 1
			   : (state & ST_NDPI_JA3_SECOND) && c->hello2 ? 2
								       : 0;
	c->cert_chain_len = (uint32_t)ta_min_u64(col_u64(st, RC_CHAIN), UINT32_MAX);
	c->pkts[0] = col_u64(st, RC_PKTS0);
	c->pkts[1] = col_u64(st, RC_PKTS1);
	c->bytes[0] = col_u64(st, RC_BYTES0);
	c->bytes[1] = col_u64(st, RC_BYTES1);
	c->dup_frames = (uint32_t)ta_min_u64(col_u64(st, RC_DUPS), UINT32_MAX);
	return true;
}

int store_reader_run(struct store_reader *r, sqlite3_stmt *st, store_record_cb cb, void *ctx, char *err, size_t errlen)
{
	int rc, ret = 0;
	uint64_t rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->max_rows && ++rows > r->max_rows) {
			store_set_err(err, errlen,
				      "the database is corrupt: a scan of its connections returned more rows than its"
				      " file can hold (%" PRIu64 ")",
				      r->max_rows);
			ret = -EINVAL;
			break;
		}
		struct ta_conn c;
		if (!read_row(r, st, &c))
			continue;
		ret = cb(&c, ctx);
		if (ret)
			break;
		/* between rows nothing points into the caches: bound them (a hostile database has no end of ids) */
		if (r->hosts.n + r->strs.n + r->hellos.n + r->servers.n + r->certs.n > READ_CACHE_MAX) {
			cache_free(&r->hosts, r->dict, false);
			cache_free(&r->strs, r->dict, true);
			cache_free(&r->hellos, r->dict, true);
			cache_free(&r->servers, r->dict, true);
			cache_free(&r->certs, r->dict, true);
		}
	}
	if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = store_db_err(r->db, rc, "read connections", err, errlen);
	return ret;
}

/* ---- the host summary from rows ---- */

static int agg_row(const struct ta_conn *c, void *ctx)
{
	return agg_add(ctx, c);
}

int store_rebuild_summary(sqlite3 *db, struct store_inserter *in, char *err, size_t errlen)
{
	struct store_reader *r = NULL;
	struct agg *a = NULL;
	sqlite3_stmt *st = NULL;
	int ret;

	if ((ret = store_exec(db, "DELETE FROM host_stats; DELETE FROM host_failures;", "clear host summary", err,
			      errlen)) < 0)
		return ret;
	if ((ret = store_reader_new(db, &r, err, errlen)) < 0 || (ret = agg_new(&a)) < 0)
		goto out;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT " STORE_CONN_COLS
				    " FROM conn c WHERE c.capture_id IN (SELECT id FROM captures"
				    " WHERE status IN ('complete', 'cut', 'running', 'terminated'))",
				    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = store_db_err(db, rc, "rebuild host summary", err, errlen);
		goto out;
	}
	if ((ret = store_reader_run(r, st, agg_row, a, err, errlen)) != 0)
		goto out;
	ret = store_upsert_summary(in, a, err, errlen);
out:
	sqlite3_finalize(st);
	agg_free(a);
	store_reader_free(r);
	return ret < 0 ? ret : ret ? -ENOMEM : 0;
}
