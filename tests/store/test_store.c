/* test_store.c - unit tests of the SQLite store (include/tlsaudit/store.h), suite "store": records written
 * through the writer thread read back exactly (compared as NDJSON, which shows every stored fact), duplicate
 * analyses, the host summary, refusals, read-only and foreign opens. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/output.h"
#include "tlsaudit/record.h"
#include "tlsaudit/store.h"

static int failures;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                              \
		}                                                                                \
	} while (0)
#define CHECK_OK(expr)                                                                                       \
	do {                                                                                                 \
		int rc_ = (expr);                                                                            \
		if (rc_ != 0) {                                                                              \
			fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, rc_, err); \
			failures++;                                                                          \
		}                                                                                            \
	} while (0)

static char dir[256];
static char err[512];

static void db_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Overwrite the 4-byte big-endian header field at off (60 user_version, 68 application_id). */
static int patch_header(const char *path, long off, uint32_t v)
{
	FILE *f = fopen(path, "r+b");
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	int ok;

	if (f == NULL)
		return -1;
	ok = fseek(f, off, SEEK_SET) == 0 && fwrite(b, 1, 4, f) == 4;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "sql_int(%s): %s\n", sql, db ? sqlite3_errmsg(db) : "?");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void fill_capture(struct store_capture *c, uint8_t hash_byte, const char *options)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "/captures/exchange-%u.pcap", hash_byte);
	snprintf(c->sensor, sizeof(c->sensor), "sensor1");
	memset(c->sha256, hash_byte, sizeof(c->sha256));
	c->sha256_valid = true;
	snprintf(c->format, sizeof(c->format), "pcap");
	snprintf(c->facts.linktypes, sizeof(c->facts.linktypes), "EN10MB");
	snprintf(c->options, sizeof(c->options), "%s", options);
	c->file_bytes = 123456;
	snprintf(c->status, sizeof(c->status), "reading");
}

static void end_capture(struct store_capture *c)
{
	snprintf(c->status, sizeof(c->status), "complete");
	c->facts.first_ns = 1551355200000000000;
	c->facts.last_ns = 1551355260000000000;
	c->facts.have_time = true;
	c->facts.stats.frames = 42;
	c->facts.stats.if_drops = 7;
	snprintf(c->facts.warnings, sizeof(c->facts.warnings), "first warning\nsecond 'quoted' warning");
}

/* ---- records built from parsed hellos, as the pipeline builds them ---- */

static struct dict_hello *hello_of(struct dict *d, uint16_t legacy, const uint16_t *versions, size_t nv, bool sni,
				   const char *ja3)
{
	struct tls_client_hello ch;
	uint8_t key[DICT_HELLO_KEY_MAX];
	bool fresh;
	memset(&ch, 0, sizeof(ch));
	ch.record_version = 0x0301;
	ch.legacy_version = legacy;
	ch.n_ciphers = ch.n_ciphers_total = 3;
	ch.ciphers[0] = 0x0a0a; /* GREASE kept */
	ch.ciphers[1] = 0xc02f;
	ch.ciphers[2] = 0x000a;
	ch.n_exts = ch.n_exts_total = 2;
	ch.exts[0] = 0;
	ch.exts[1] = 43;
	ch.has_sni = sni;
	if (nv) {
		ch.has_supported_versions = true;
		memcpy(ch.versions, versions, nv * 2);
		ch.n_versions = (uint8_t)nv;
	}
	ch.n_groups = 2;
	ch.groups[0] = 29;
	ch.groups[1] = 23;
	ch.alpn_len = 12;
	memcpy(ch.alpn, "\x02h2\x08http/1.1", 12);
	size_t n = dict_hello_key(&ch, TLS_OK, key);
	struct dict_hello *h = dict_hello_get(d, key, n, &fresh);
	if (h && fresh) {
		snprintf(h->d.ja3, sizeof(h->d.ja3), "%s", ja3);
		snprintf(h->d.ja4, sizeof(h->d.ja4), "t13d0302h2_0123456789ab_ba9876543210");
		snprintf(h->d.stack_family, sizeof(h->d.stack_family), "openssl");
		h->d.stack_match = 1;
	}
	return h;
}

static struct dict_server *server_of(struct dict *d, uint16_t selected, uint16_t cipher)
{
	struct tls_server_hello sh;
	uint8_t key[DICT_SERVER_KEY_MAX];
	bool fresh;
	memset(&sh, 0, sizeof(sh));
	sh.record_version = 0x0303;
	sh.legacy_version = 0x0303;
	sh.selected_version = selected;
	sh.cipher = cipher;
	sh.n_exts = sh.n_exts_total = 1;
	sh.exts[0] = 43;
	size_t n = dict_server_key(&sh, key);
	struct dict_server *s = dict_server_get(d, key, n, &fresh);
	if (s && fresh)
		snprintf(s->ja3s, sizeof(s->ja3s), "00112233445566778899aabbccddeeff");
	return s;
}

static void simple_conn(struct dict *d, struct ta_conn *r, uint64_t seq, const char *cip, const char *sip,
			uint16_t vmax, uint16_t negotiated, enum rec_outcome out)
{
	static const uint16_t v13[] = {0x1a1a, 0x0304, 0x0303};
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->ts_ns = 1551355200000000000 + (int64_t)seq * 1000;
	r->last_ns = r->ts_ns + 500;
	r->family = 4;
	inet_pton(AF_INET, cip, r->client_ip);
	inet_pton(AF_INET, sip, r->server_ip);
	r->client_port = (uint16_t)(50000 + seq);
	r->server_port = 443;
	r->hello = hello_of(d, vmax == 0x0304 ? 0x0303 : vmax, v13, vmax == 0x0304 ? 3 : 0, false,
			    "a0e9f5d64349fb13191bc781f81f42e1");
	r->outcome = (uint8_t)out;
	if (negotiated) {
		r->server = server_of(d, negotiated == 0x0304 ? 0x0304 : 0, 0xc02f);
		r->negotiated_version = negotiated;
		r->has_cipher = true;
		r->cipher = 0xc02f;
	}
	r->established = out == OUT_ESTABLISHED;
	if (out == OUT_ALERT) {
		r->has_alert = true;
		r->alert_level = 2;
		r->alert_desc = 70;
		r->alert_sender = 1;
	}
	r->pkts[0] = 5;
	r->pkts[1] = 4;
	r->bytes[0] = 517;
	r->bytes[1] = 1400;
}

/* every field set: IPv6, a hostile SNI, a certificate, flags, anomalies, risks, an unnamed alert */
static void full_conn(struct dict *d, struct ta_conn *r)
{
	static const char evil[] = "'; DROP TABLE conn; --\"\\\xff\xc0\x80\xed\xa0\x80";
	static const uint16_t v[] = {0x0304, 0x7f17};
	bool fresh;
	memset(r, 0, sizeof(*r));
	r->seq = 7;
	r->ts_ns = 1551355200123456789;
	r->last_ns = 1551355201000000000;
	r->family = 6;
	inet_pton(AF_INET6, "2001:db8::5", r->client_ip);
	inet_pton(AF_INET6, "2001:db8::443", r->server_ip);
	r->client_port = 61000;
	r->server_port = 8443;
	r->hello = hello_of(d, 0x0303, v, 2, true, "ffffffffffffffffffffffffffffffff");
	r->sni = dict_str_get(d, DICT_STR_SNI, evil, sizeof(evil) - 1);
	r->server = server_of(d, 0x7f17, 0x1301);
	r->negotiated_version = 0x7f17;
	r->has_cipher = true;
	r->cipher = 0x1301;
	r->alpn = dict_str_get(d, DICT_STR_ALPN, "h2", 2);
	r->l7 = dict_str_get(d, DICT_STR_LABEL, "TLS.Google", 10);
	r->kx_group = 29;
	r->has_alert = true;
	r->alert_level = 1;
	r->alert_desc = 99; /* unnamed: "0x63" everywhere */
	r->alert_sender = 0;
	r->resumed = true;
	r->hello_retry_request = true;
	r->outcome = OUT_INCOMPLETE;
	r->starttls = 1; /* smtp */
	struct dict_cert *c = dict_cert_get(d, (const uint8_t *)"not really a DER", 16, &fresh);
	if (c && fresh) {
		struct cert_info *ci = &c->info;
		ci->has_subject_cn = true;
		ci->subject_cn_len = 9;
		memcpy(ci->subject_cn, "mail.\xff.ex", 9);
		ci->has_issuer_cn = false;
		memcpy(ci->sans,
		       ("\x07"
			"a.b.com"
			"\x09"
			"127.0.0.1"),
		       18);
		ci->sans_len = 18;
		ci->not_before = 1500000000;
		ci->not_after = 1600000000;
		snprintf(ci->key_type, sizeof(ci->key_type), "EC");
		snprintf(ci->key_curve, sizeof(ci->key_curve), "prime256v1");
		ci->key_bits = 256;
		snprintf(ci->sig_alg, sizeof(ci->sig_alg), "ecdsa-with-SHA256");
		memset(ci->sha256, 0xab, 32);
		ci->self_signed = true;
	}
	r->cert = c;
	r->cert_expired = true;
	r->cert_chain_len = 3;
	r->flags = REC_F_NO_SYN | REC_F_ECH | REC_F_ESTABLISHED_INFERRED;
	r->anomalies = TLS_AN_SNI_TRUNCATED | ((uint64_t)CERT_AN_BAD_TIME << REC_CERT_AN_SHIFT);
	r->risks = (uint64_t)1 << 7 | (uint64_t)1 << 41;
	r->pkts[0] = UINT32_MAX + 5ull;
	r->pkts[1] = 1;
	r->bytes[0] = 1ull << 40;
	r->bytes[1] = 0;
	r->dup_frames = 2;
}

static char *ndjson_of(const struct ta_conn *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	out_ndjson_record(fp, r);
	fclose(fp);
	return buf;
}

struct lines {
	char *v[32];
	size_t n;
};

static int collect(const struct ta_conn *r, void *ctx)
{
	struct lines *l = ctx;
	if (l->n < 32)
		l->v[l->n++] = ndjson_of(r);
	return 0;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* Write conns as one capture; returns its result. */
static int write_capture(const char *path, struct dict *d, struct store_capture *c, struct ta_conn *v, size_t n,
			 struct store_capture_result *res)
{
	struct store *s = NULL;
	struct store_writer *w = NULL;
	struct store_queue *q = NULL;
	int r = store_open(path, STORE_RW, &s, err, sizeof(err));
	if (r == 0)
		r = store_writer_start(s, NULL, &w, err, sizeof(err));
	if (r == 0)
		r = store_queue_new(w, d, &q);
	if (r == 0)
		r = store_queue_capture_begin(q, c);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = store_queue_conn(q, &v[i]);
	end_capture(c);
	if (r == 0)
		r = store_queue_capture_end(q, c, res, err, sizeof(err));
	store_queue_free(q);
	int r2 = w ? store_writer_stop(w, err, sizeof(err)) : 0;
	store_close(s);
	return r ? r : r2;
}

static void test_round_trip(void)
{
	char path[300];
	struct dict *d = NULL;
	struct ta_conn v[3];
	struct store_capture c;
	struct store_capture_result res;

	db_path(path, sizeof(path), "round.db");
	CHECK_OK(dict_new(NULL, 0, &d));
	full_conn(d, &v[0]);
	simple_conn(d, &v[1], 1, "10.0.0.5", "10.0.0.20", 0x0301, 0, OUT_ALERT);
	simple_conn(d, &v[2], 2, "10.0.0.6", "10.0.0.20", 0x0304, 0x0304, OUT_ESTABLISHED);
	fill_capture(&c, 0x11, "");
	CHECK_OK(write_capture(path, d, &c, v, 3, &res));
	CHECK(res.id == 1 && !res.duplicate && res.conns == 3);
	CHECK(res.summary && agg_count(res.summary) == 5); /* three clients, two servers */
	agg_free(res.summary);

	struct store *s = NULL;
	struct lines got = {0};
	CHECK_OK(store_open(path, STORE_RO, &s, err, sizeof(err)));
	CHECK_OK(store_foreach_record(s, 1, collect, &got, err, sizeof(err)));
	store_close(s);
	CHECK(got.n == 3);
	/* ordered by first packet: v[0] (2019-02-28T12:00:00.123Z) is after v[1] and v[2] */
	const struct ta_conn *order[3] = {&v[1], &v[2], &v[0]};
	for (size_t i = 0; i < got.n && i < 3; i++) {
		char *want = ndjson_of(order[i]);
		if (strcmp(want, got.v[i]) != 0) {
			fprintf(stderr, "round trip %zu:\n want %s got  %s", i, want, got.v[i]);
			failures++;
		}
		free(want);
	}
	/* the unnamed alert reads the same in NDJSON and through the view */
	CHECK(got.n == 3 && strstr(got.v[2], "\"alert\":\"0x63\""));
	CHECK(sql_int(path, "SELECT count(*) FROM connections WHERE alert = '0x63' AND sni IS NOT NULL"
			    " AND typeof(sni) = 'blob' AND negotiated_version = 'TLS 1.3 (draft 23)'") == 1);
	CHECK(sql_int(path, "SELECT count(*) FROM connections WHERE client_max_version = 'TLS 1.0'"
			    " AND outcome = 'alert' AND alert = 'protocol_version' AND alert_sender = 'server'") == 1);
	CHECK(sql_int(path, "SELECT count(*) FROM client_hellos") == 3);
	CHECK(sql_int(path, "SELECT count(*) FROM hosts") == 5);
	CHECK(sql_int(path, "SELECT connections FROM captures WHERE id = 1") == 3);
	/* host summary: 10.0.0.20 as server saw two connections, one failed */
	CHECK(sql_int(path, "SELECT connections FROM host_summary WHERE ip = '10.0.0.20' AND role = 'server'") == 2);
	CHECK(sql_int(path, "SELECT failed FROM host_summary WHERE ip = '10.0.0.20' AND role = 'server'") == 1);
	CHECK(sql_int(path, "SELECT count(*) FROM host_summary WHERE ip = '10.0.0.20' AND"
			    " failures = 'protocol_version x1'") == 1);
	lines_free(&got);
	for (size_t i = 0; i < 3; i++)
		dict_conn_unref(d, &v[i]);
	dict_free(d);
}

static void test_duplicates(void)
{
	char path[300];
	struct dict *d = NULL;
	struct ta_conn v[2];
	struct store_capture c;
	struct store_capture_result res;

	db_path(path, sizeof(path), "dup.db");
	CHECK_OK(dict_new(NULL, 0, &d));
	simple_conn(d, &v[0], 0, "10.0.0.5", "10.0.0.20", 0x0301, 0x0301, OUT_ESTABLISHED);
	simple_conn(d, &v[1], 1, "10.0.0.5", "10.0.0.21", 0x0303, 0x0303, OUT_ESTABLISHED);
	fill_capture(&c, 0x22, "");
	CHECK_OK(write_capture(path, d, &c, v, 2, &res));
	CHECK(res.id == 1 && !res.duplicate);
	agg_free(res.summary);
	/* the same bytes and options again: nothing added */
	fill_capture(&c, 0x22, "");
	CHECK_OK(write_capture(path, d, &c, v, 2, &res));
	CHECK(res.id == 1 && res.duplicate && !res.summary);
	CHECK(sql_int(path, "SELECT count(*) FROM conn") == 2);
	CHECK(sql_int(path, "SELECT count(*) FROM captures") == 1);
	CHECK(sql_int(path, "SELECT connections FROM host_summary WHERE ip = '10.0.0.5'") == 2);
	/* the same bytes with another filter: a new analysis */
	fill_capture(&c, 0x22, "filter=host 10.0.0.20");
	CHECK_OK(write_capture(path, d, &c, v, 1, &res));
	CHECK(res.id == 3 && !res.duplicate);
	agg_free(res.summary);
	CHECK(sql_int(path, "SELECT count(*) FROM conn") == 3);
	/* find_capture keys on bytes and options */
	struct store *s = NULL;
	int64_t id = -1;
	CHECK_OK(store_open(path, STORE_RO, &s, err, sizeof(err)));
	CHECK_OK(store_find_capture(s, c.sha256, "", &id, err, sizeof(err)));
	CHECK(id == 1);
	CHECK_OK(store_find_capture(s, c.sha256, "ndpi=off", &id, err, sizeof(err)));
	CHECK(id == 0);
	store_close(s);
	for (size_t i = 0; i < 2; i++)
		dict_conn_unref(d, &v[i]);
	dict_free(d);
}

static void test_refusals(void)
{
	char path[300];
	struct store *s = NULL;
	FILE *f;

	/* newer schema */
	db_path(path, sizeof(path), "newer.db");
	CHECK_OK(store_open(path, STORE_RW, &s, err, sizeof(err)));
	store_close(s);
	s = NULL;
	CHECK(patch_header(path, 60, STORE_SCHEMA_VERSION + 1) == 0);
	CHECK(store_open(path, STORE_RW, &s, err, sizeof(err)) == -EINVAL);
	CHECK(s == NULL);
	CHECK(strstr(err, "is newer than this tlsaudit") != NULL);
	CHECK(store_open(path, STORE_RO, &s, err, sizeof(err)) == -EINVAL);

	/* an SQLite file that is not ours */
	db_path(path, sizeof(path), "foreign.db");
	CHECK(sql_exec(path, "CREATE TABLE t(x)") != SQLITE_CANTOPEN || 1);
	{
		sqlite3 *db = NULL;
		sqlite3_open(path, &db);
		sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	CHECK(store_open(path, STORE_RW, &s, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "not a tlsaudit database") != NULL);
	CHECK(store_open(path, STORE_FOREIGN, &s, err, sizeof(err)) == -EINVAL);

	/* not a database at all */
	db_path(path, sizeof(path), "notadb.db");
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		for (int i = 0; i < 200; i++)
			fputs("this is not an SQLite file\n", f);
		fclose(f);
	}
	CHECK(store_open(path, STORE_RW, &s, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "not a database") != NULL);

	/* a missing database is not created by a read-only open */
	db_path(path, sizeof(path), "missing.db");
	CHECK(store_open(path, STORE_RO, &s, err, sizeof(err)) == -ENOENT);
	CHECK(access(path, F_OK) != 0);

	/* a symbolic link (even a dangling one) is refused and its target not created */
	char target[300], link[300];
	db_path(target, sizeof(target), "target.db");
	db_path(link, sizeof(link), "link.db");
	CHECK(symlink(target, link) == 0);
	CHECK(store_open(link, STORE_RW, &s, err, sizeof(err)) == -ELOOP);
	CHECK(access(target, F_OK) != 0);

	/* a FIFO is not a database */
	char fifo[300];
	db_path(fifo, sizeof(fifo), "fifo.db");
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK(store_open(fifo, STORE_FOREIGN, &s, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "not a regular file") != NULL);
}

static void test_foreign_schema(void)
{
	char path[300];
	struct store *s = NULL;
	static const char *const hostile[] = {
		"CREATE VIEW v AS SELECT 1",
		"CREATE TRIGGER t AFTER INSERT ON hosts BEGIN SELECT 1; END",
		"DROP VIEW connections; CREATE VIEW connections AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT "
		"x+1"
		" FROM r) SELECT x FROM r",
		"ALTER TABLE conn ADD COLUMN extra",
		"CREATE INDEX extra ON conn(seq)",
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "hostile%zu.db", i);
		db_path(path, sizeof(path), name);
		CHECK_OK(store_open(path, STORE_RW, &s, err, sizeof(err)));
		store_close(s);
		s = NULL;
		CHECK_OK(store_open(path, STORE_FOREIGN, &s, err, sizeof(err))); /* ours, untouched: accepted */
		store_close(s);
		s = NULL;
		CHECK(sql_exec(path, hostile[i]) == SQLITE_OK);
		CHECK(store_open(path, STORE_FOREIGN, &s, err, sizeof(err)) == -EINVAL);
		CHECK(strstr(err, "schema differs") != NULL);
		CHECK(s == NULL);
	}
}

static void test_read_only_never_writes(void)
{
	char path[300];
	struct store *s = NULL;
	struct stat a, b;

	db_path(path, sizeof(path), "ro.db");
	CHECK_OK(store_open(path, STORE_RW, &s, err, sizeof(err)));
	store_close(s);
	s = NULL;
	CHECK(stat(path, &a) == 0);
	sleep(1);
	CHECK_OK(store_open(path, STORE_RO, &s, err, sizeof(err)));
	struct lines got = {0};
	CHECK_OK(store_foreach_record(s, 0, collect, &got, err, sizeof(err)));
	store_close(s);
	CHECK(stat(path, &b) == 0);
	CHECK(a.st_mtime == b.st_mtime && a.st_size == b.st_size);
}

static int count_rows(const struct ta_conn *r, void *ctx)
{
	(void)r;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* A fuzzer's 63 KB database whose conn_ts index loops: the scan by time returned 258,504 rows of 5, 0.6 s
 * (11 s under ASan); a foreign scan now stops as corrupt at the most rows its file can hold. */
static void test_foreign_row_bound(const char *looping)
{
	struct store *s = NULL;
	struct stat sb;
	CHECK(stat(looping, &sb) == 0);
	CHECK_OK(store_open(looping, STORE_FOREIGN, &s, err, sizeof(err)));
	if (!s)
		return;
	uint64_t rows = 0;
	CHECK(store_foreach_record(s, 0, count_rows, &rows, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "corrupt") != NULL);
	CHECK(rows <= (uint64_t)sb.st_size / 36 + 1);
	rows = 0; /* a capture's rows are read by id range, not through the index: all 3 of capture 2 */
	CHECK_OK(store_foreach_record(s, 2, count_rows, &rows, err, sizeof(err)));
	CHECK(rows == 3);
	store_close(s);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/tlsaudit-store-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_round_trip();
	test_duplicates();
	test_refusals();
	test_foreign_schema();
	test_read_only_never_writes();
	if (argc > 1)
		test_foreign_row_bound(argv[1]);
	else
		CHECK(!"usage: test_store LOOPING.sqlite");
	if (failures) {
		fprintf(stderr, "%d check(s) failed; databases kept in %s\n", failures, dir);
		return 1;
	}
	if (!getenv("TA_STORE_KEEP")) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	printf("store: all checks passed\n");
	return 0;
}
