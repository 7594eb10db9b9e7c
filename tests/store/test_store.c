/* test_store.c - unit tests of the SQLite store (include/tlsaudit/store.h), suite "store". */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tlsaudit/record.h"
#include "tlsaudit/store.h"
#include "store_internal.h" /* store_migration_sql: build a version-1 database */

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

static uint32_t read_header(const char *path, long off)
{
	FILE *f = fopen(path, "rb");
	uint8_t b[4] = {0};

	if (f == NULL)
		return 0xffffffffu;
	if (fseek(f, off, SEEK_SET) != 0 || fread(b, 1, 4, f) != 4)
		b[0] = b[1] = b[2] = b[3] = 0xff;
	fclose(f);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void fill_capture(struct store_capture *c, uint8_t hash_byte)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "/captures/exchange-%u.pcap", hash_byte);
	snprintf(c->sensor, sizeof(c->sensor), "sensor1");
	memset(c->sha256, hash_byte, sizeof(c->sha256));
	c->sha256_valid = true;
	snprintf(c->format, sizeof(c->format), "pcap");
	snprintf(c->linktypes, sizeof(c->linktypes), "EN10MB");
	c->file_bytes = 123456;
	snprintf(c->status, sizeof(c->status), "reading");
}

static void end_capture(struct store_capture *c, const char *status)
{
	snprintf(c->status, sizeof(c->status), "%s", status);
	c->first_ns = 1551355200000000000;
	c->last_ns = 1551355260000000000;
	c->stats.frames = 42;
	c->stats.flows_tls = 5;
	c->stats.if_drops = 7;
	snprintf(c->warnings, sizeof(c->warnings), "first warning\nsecond 'quoted' warning");
}

/* a simple client connection: client ip4 a.b.c.d, max version vmax, outcome */
static void simple_record(struct ta_record *r, uint64_t seq, const char *cip, const char *sip, uint16_t vmax,
			  uint16_t negotiated, enum rec_outcome out)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->ts_ns = 1551355200000000000 + (int64_t)seq * 1000;
	r->last_ns = r->ts_ns + 500;
	r->family = 4;
	inet_pton(AF_INET, cip, r->client_ip);
	inet_pton(AF_INET, sip, r->server_ip);
	r->client_port = (uint16_t)(50000 + seq);
	r->server_port = 443;
	r->client_record_version = 0x0301;
	r->client_legacy_version = vmax;
	r->client_max_version = vmax;
	r->n_ciphers = 2;
	r->ciphers[0] = 0x002f;
	r->ciphers[1] = 0x000a;
	r->outcome = out;
	if (negotiated) {
		r->has_server_hello = true;
		r->server_legacy_version = negotiated;
		r->negotiated_version = negotiated;
		r->has_cipher = true;
		r->cipher = 0xc02f;
	}
	if (out == OUT_ESTABLISHED)
		r->established = true;
	if (out == OUT_ALERT) {
		r->has_alert = true;
		r->alert_level = 2;
		r->alert_desc = 70;
		r->alert_sender = 1;
	}
}

/* every field set, with a hostile SNI */
static void full_record(struct ta_record *r)
{
	static const char evil[] = "'; DROP TABLE connections; --\"\\\xff\xc0\x80\xed\xa0\x80";

	memset(r, 0, sizeof(*r));
	r->seq = 7;
	r->ts_ns = 1551355200123456789;
	r->last_ns = 1551355201000000000;
	r->family = 6;
	inet_pton(AF_INET6, "2001:db8::5", r->client_ip);
	inet_pton(AF_INET6, "2001:db8:ffff::1:443", r->server_ip);
	r->client_port = 65535;
	r->server_port = 443;
	r->has_sni = true;
	r->sni_len = REC_MAX_SNI;
	for (size_t i = 0; i < REC_MAX_SNI; i++)
		r->sni[i] = evil[i % (sizeof(evil) - 1)];
	r->alpn_len = 12;
	memcpy(r->alpn, "\x02h2\x08http/1.1", 12);
	r->client_record_version = 0x0301;
	r->client_legacy_version = 0x0303;
	r->client_has_supported_versions = true;
	r->n_client_versions = 3;
	r->client_versions[0] = 0x0304;
	r->client_versions[1] = 0x7f17;
	r->client_versions[2] = 0x0303;
	r->client_max_version = 0x0304;
	r->n_ciphers = REC_MAX_CIPHERS;
	for (size_t i = 0; i < REC_MAX_CIPHERS; i++)
		r->ciphers[i] = (uint16_t)(0xffff - i * 255);
	r->n_groups = REC_MAX_GROUPS;
	for (size_t i = 0; i < REC_MAX_GROUPS; i++)
		r->groups[i] = (uint16_t)(i * 0x0a0a);
	r->has_server_hello = true;
	r->server_legacy_version = 0x0303;
	r->negotiated_version = 0x0304;
	r->has_cipher = true;
	r->cipher = 0xc0ff;
	r->has_alert = true;
	r->alert_level = 1;
	r->alert_desc = 0xfe;
	r->alert_sender = 1;
	r->established = true;
	r->resumed = true;
	r->hello_retry_request = true;
	snprintf(r->starttls, sizeof(r->starttls), "smtp");
	snprintf(r->l7_protocol, sizeof(r->l7_protocol), "TLS.Microsoft");
	r->risks = UINT64_C(0x8000000000000001);
	snprintf(r->ndpi_ja3, sizeof(r->ndpi_ja3), "0123456789abcdef0123456789abcdef");
	snprintf(r->ja3, sizeof(r->ja3), "fedcba9876543210fedcba9876543210");
	snprintf(r->ja3s, sizeof(r->ja3s), "00000000000000000000000000000000");
	snprintf(r->ja4, sizeof(r->ja4), "t13d1516h2_8daaf6152771_b186095e22b6");
	r->outcome = OUT_STARTTLS_REFUSED;
	r->flags = 0x7ffff;
	r->pkts[0] = UINT64_MAX;
	r->pkts[1] = 3;
	r->bytes[0] = 1;
	r->bytes[1] = UINT64_C(1) << 40;
}

struct collect {
	struct ta_record recs[8];
	size_t n;
};

static int collect_cb(const struct ta_record *r, void *ctx)
{
	struct collect *c = ctx;

	if (c->n < 8)
		c->recs[c->n] = *r;
	c->n++;
	return 0;
}

static int count_cb(const struct ta_record *r, void *ctx)
{
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

static size_t count_records(struct store *s, int64_t capture_id)
{
	size_t n = 0;

	CHECK_OK(store_foreach_record(s, capture_id, count_cb, &n, err, sizeof(err)));
	return n;
}

struct sums {
	struct store_host_summary h[16];
	size_t n;
};

static int summary_cb(const struct store_host_summary *h, void *ctx)
{
	struct sums *s = ctx;

	if (s->n < 16)
		s->h[s->n] = *h;
	s->n++;
	return 0;
}

static const struct store_host_summary *find_summary(const struct sums *s, const char *ip, const char *role)
{
	uint8_t a[16] = {0};

	inet_pton(AF_INET, ip, a);
	for (size_t i = 0; i < s->n && i < 16; i++)
		if (memcmp(s->h[i].ip, a, 16) == 0 && strcmp(s->h[i].role, role) == 0)
			return &s->h[i];
	return NULL;
}

/* a leaf certificate with fixed facts; the sha256 is the CN's first byte repeated */
static void add_cert(struct ta_record *r, const char *cn, bool expired)
{
	static const uint8_t sans[] = "\x09x.example"
				      "\x09"
				      "192.0.2.1";

	r->has_cert = true;
	if (!r->cert_chain_len)
		r->cert_chain_len = 1;
	r->cert_has_subject_cn = true;
	r->cert_subject_cn_len = (uint16_t)snprintf(r->cert_subject_cn, sizeof(r->cert_subject_cn), "%s", cn);
	r->cert_has_issuer_cn = true;
	r->cert_issuer_cn_len = 3;
	memcpy(r->cert_issuer_cn, "C\0A", 3); /* a NUL inside: stored as BLOB, read back exactly */
	r->cert_sans_len = sizeof(sans) - 1;
	memcpy(r->cert_sans, sans, sizeof(sans) - 1);
	r->cert_not_before = -86400;	  /* 1969-12-31 */
	r->cert_not_after = 253402300799; /* 9999-12-31T23:59:59Z */
	snprintf(r->cert_key_type, sizeof(r->cert_key_type), "EC");
	snprintf(r->cert_key_curve, sizeof(r->cert_key_curve), "prime256v1");
	r->cert_key_bits = 256;
	snprintf(r->cert_sig_alg, sizeof(r->cert_sig_alg), "ecdsa-with-SHA256");
	for (size_t i = 0; i < 64; i++)
		r->cert_sha256[i] = "0123456789abcdef"[(uint8_t)cn[0] & 15];
	r->cert_self_signed = true;
	r->cert_expired = expired;
}

static void compare_records(const struct ta_record *a, const struct ta_record *b);

/* one integer from a query run on its own connection */
static int64_t sql_count(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A database made by schema version 1 (with one connection written by version-1 SQL) opens,
 * migrates to 2, keeps its row (no certificate), and takes new rows with certificates. */
static void test_migrate_1_to_2(void)
{
	char path[300];
	sqlite3 *db = NULL;
	struct store *s = NULL;
	struct collect got;

	db_path(path, sizeof(path), "v1.db");
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, store_migration_sql(0), NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(
		      db,
		      "PRAGMA application_id = 1414288193; PRAGMA user_version = 1;"
		      "INSERT INTO captures (id, path, sensor, format, linktypes, status, read_started)"
		      " VALUES (1, 'old.pcap', 'h', 'pcap', 'EN10MB', 'complete', '2019-02-28T12:00:00Z');"
		      "INSERT INTO connections (capture_id, seq, ts, ts_ns, last_ns, family, client_ip, client_port,"
		      " server_ip, server_port, client_record_version_id, client_legacy_version_id,"
		      " client_max_version_id, client_max_level, ciphers, groups, has_server_hello,"
		      " server_legacy_version_id, cipher_sslv2, established, resumed, hello_retry_request,"
		      " risk_mask, outcome, flags, pkts_c2s, pkts_s2c, bytes_c2s, bytes_s2c)"
		      " VALUES (1, 0, '2019-02-28T12:00:00.000000Z', 1551355200000000000, 1551355200000000000, 4,"
		      " '10.0.0.1', 50000, '10.0.0.2', 443, 769, 769, 769, 769, '0x002F', '', 0, 0, 0, 0, 0, 0,"
		      " 0, 'reset', 0, 1, 0, 100, 0);",
		      NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(read_header(path, 60) == 1);
	CHECK(store_migration_sql(STORE_SCHEMA_VERSION) == NULL);

	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	if (s == NULL)
		return;
	CHECK(read_header(path, 60) == STORE_SCHEMA_VERSION);
	memset(&got, 0, sizeof(got));
	CHECK_OK(store_foreach_record(s, 1, collect_cb, &got, err, sizeof(err)));
	CHECK(got.n == 1);
	if (got.n == 1) {
		CHECK(!got.recs[0].has_cert);
		CHECK(got.recs[0].cert_chain_len == 0);
		CHECK(got.recs[0].client_max_version == 0x0301);
		CHECK(got.recs[0].outcome == OUT_RESET);
	}
	/* the migrated database takes a connection with a certificate */
	struct store_capture c;
	struct ta_record r;
	int64_t id = 0, existing = 0;
	fill_capture(&c, 0x21);
	CHECK_OK(store_capture_begin(s, &c, &id, err, sizeof(err)));
	simple_record(&r, 0, "10.0.0.3", "10.0.0.2", 0x0303, 0x0303, OUT_ESTABLISHED);
	add_cert(&r, "migrated.example", false);
	CHECK_OK(store_add_record(s, id, &r, err, sizeof(err)));
	end_capture(&c, "complete");
	CHECK_OK(store_capture_end(s, id, &c, &existing, err, sizeof(err)));
	memset(&got, 0, sizeof(got));
	CHECK_OK(store_foreach_record(s, id, collect_cb, &got, err, sizeof(err)));
	CHECK(got.n == 1);
	if (got.n == 1)
		compare_records(&got.recs[0], &r);
	CHECK_OK(store_check(s, err, sizeof(err)));
	store_close(s);
	/* reopening a version-2 database changes nothing */
	s = NULL;
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	store_close(s);
	CHECK(sql_count(path, "SELECT count(*) FROM certificates") == 1);
}

static void compare_records(const struct ta_record *a, const struct ta_record *b)
{
	CHECK(a->seq == b->seq);
	CHECK(a->ts_ns == b->ts_ns);
	CHECK(a->has_sni == b->has_sni);
	CHECK(a->sni_len == b->sni_len);
	CHECK(memcmp(a->sni, b->sni, sizeof(a->sni)) == 0);
	CHECK(memcmp(a->client_ip, b->client_ip, 16) == 0);
	CHECK(a->n_ciphers == b->n_ciphers);
	CHECK(a->n_client_versions == b->n_client_versions);
	CHECK(a->cipher == b->cipher);
	CHECK(a->risks == b->risks);
	CHECK(a->outcome == b->outcome);
	CHECK(memcmp(a, b, sizeof(*a)) == 0);
}

static void test_open_reopen(void)
{
	char path[300];
	struct store *s = NULL;

	db_path(path, sizeof(path), "open.db");
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	CHECK_OK(store_check(s, err, sizeof(err)));
	store_close(s);
	CHECK(read_header(path, 60) == STORE_SCHEMA_VERSION);
	CHECK(read_header(path, 68) == 0x544c5341);
	s = NULL;
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	CHECK(s != NULL);
	store_close(s);
	s = NULL;
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	store_close(s);
	CHECK(read_header(path, 60) == STORE_SCHEMA_VERSION);
	store_close(NULL);
}

static void test_round_trip(void)
{
	char path[300];
	struct store *s = NULL;
	struct store_capture c;
	struct ta_record recs[5];
	struct collect got;
	int64_t id = 0, existing = 0;

	db_path(path, sizeof(path), "roundtrip.db");
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	if (s == NULL)
		return;
	fill_capture(&c, 1);
	CHECK_OK(store_capture_begin(s, &c, &id, err, sizeof(err)));
	full_record(&recs[0]);
	/* valid UTF-8 SNI (stored as TEXT) */
	simple_record(&recs[1], 1, "10.1.1.1", "192.0.2.1", 0x0303, 0x0303, OUT_ESTABLISHED);
	recs[1].has_sni = true;
	recs[1].sni_len = (uint16_t)snprintf(recs[1].sni, sizeof(recs[1].sni),
					     "b\xc3\xbc"
					     "cher.example");
	/* SNI with a NUL byte (BLOB) */
	simple_record(&recs[2], 2, "10.1.1.2", "192.0.2.1", 0x0301, 0, OUT_RESET);
	recs[2].has_sni = true;
	recs[2].sni_len = 3;
	memcpy(recs[2].sni, "a\0b", 3);
	/* empty SNI extension */
	simple_record(&recs[3], 3, "10.1.1.3", "192.0.2.1", 0x0301, 0, OUT_NO_SERVER_REPLY);
	recs[3].has_sni = true;
	/* a server certificate (issue 3): CN with UTF-8, SANs; the same leaf again below */
	add_cert(&recs[1], "b\xc3\xbcrgerbank.example", true);
	recs[2].cert_chain_len = 3;
	add_cert(&recs[2], "b\xc3\xbcrgerbank.example", false);
	recs[3].cert_chain_len = 2; /* leaf over the cap: counted, not stored */
	/* SSLv2 cipher, unnamed */
	simple_record(&recs[4], 4, "10.1.1.4", "192.0.2.1", 0x0002, 0x0002, OUT_CLOSED);
	recs[4].cipher_sslv2 = true;
	recs[4].cipher = 0xabcdef;
	for (size_t i = 0; i < 5; i++)
		CHECK_OK(store_add_record(s, id, &recs[i], err, sizeof(err)));
	end_capture(&c, "complete");
	CHECK_OK(store_capture_end(s, id, &c, &existing, err, sizeof(err)));
	CHECK(existing == id);
	store_close(s);

	/* read back from a fresh connection */
	s = NULL;
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	if (s == NULL)
		return;
	memset(&got, 0, sizeof(got));
	CHECK_OK(store_foreach_record(s, id, collect_cb, &got, err, sizeof(err)));
	CHECK(got.n == 5);
	/* ordered by ts_ns: the simple records start at 1551355200000001000.., full_record later */
	if (got.n == 5) {
		compare_records(&got.recs[0], &recs[1]);
		compare_records(&got.recs[1], &recs[2]);
		compare_records(&got.recs[2], &recs[3]);
		compare_records(&got.recs[3], &recs[4]);
		compare_records(&got.recs[4], &recs[0]);
	}
	CHECK(count_records(s, 0) == 5);
	CHECK(count_records(s, id + 100) == 0);
	CHECK(sql_count(path, "SELECT count(*) FROM certificates") == 1);
	CHECK(sql_count(path, "SELECT count(*) FROM connections WHERE cert_id IS NOT NULL") == 2);
	CHECK(sql_count(path, "SELECT count(*) FROM certificates WHERE typeof(subject_cn) = 'text'") == 1);
	CHECK_OK(store_check(s, err, sizeof(err)));
	store_close(s);
}

static void test_dedup_and_summary(void)
{
	char path[300];
	struct store *s = NULL;
	struct store_capture c;
	struct ta_record r;
	int64_t id1 = 0, id2 = 0, existing = 0, found = -1;
	struct sums sums;
	const struct store_host_summary *h;

	db_path(path, sizeof(path), "dedup.db");
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	if (s == NULL)
		return;
	for (int pass = 0; pass < 2; pass++) {
		int64_t *id = pass ? &id2 : &id1;

		fill_capture(&c, 9);
		CHECK_OK(store_capture_begin(s, &c, id, err, sizeof(err)));
		/* 3 failed TLS 1.0 client connections from 10.0.0.5, 2 established TLS 1.2 ones */
		simple_record(&r, 0, "10.0.0.5", "198.51.100.7", 0x0301, 0, OUT_ALERT);
		CHECK_OK(store_add_record(s, *id, &r, err, sizeof(err)));
		simple_record(&r, 1, "10.0.0.5", "198.51.100.7", 0x0301, 0, OUT_ALERT);
		CHECK_OK(store_add_record(s, *id, &r, err, sizeof(err)));
		simple_record(&r, 2, "10.0.0.5", "198.51.100.7", 0x0301, 0, OUT_RESET);
		CHECK_OK(store_add_record(s, *id, &r, err, sizeof(err)));
		simple_record(&r, 3, "10.0.0.5", "192.0.2.9", 0x0303, 0x0303, OUT_ESTABLISHED);
		CHECK_OK(store_add_record(s, *id, &r, err, sizeof(err)));
		simple_record(&r, 4, "10.0.0.5", "192.0.2.9", 0x0303, 0x0303, OUT_ESTABLISHED);
		CHECK_OK(store_add_record(s, *id, &r, err, sizeof(err)));
		end_capture(&c, "complete");
		CHECK_OK(store_capture_end(s, *id, &c, &existing, err, sizeof(err)));
		CHECK(existing == id1);
		CHECK(count_records(s, 0) == 5);
	}
	CHECK(id2 != id1);
	CHECK(count_records(s, id2) == 0);
	CHECK_OK(store_find_capture(s, c.sha256, &found, err, sizeof(err)));
	CHECK(found == id1);
	memset(c.sha256, 0x77, sizeof(c.sha256));
	CHECK_OK(store_find_capture(s, c.sha256, &found, err, sizeof(err)));
	CHECK(found == 0);

	for (int pass = 0; pass < 2; pass++) {
		memset(&sums, 0, sizeof(sums));
		CHECK_OK(store_foreach_summary(s, pass ? id1 : 0, summary_cb, &sums, err, sizeof(err)));
		CHECK(sums.n == 3);
		h = find_summary(&sums, "10.0.0.5", "client");
		CHECK(h != NULL);
		if (h) {
			CHECK(h->family == 4);
			CHECK(h->connections == 5);
			CHECK(h->established == 2);
			CHECK(h->failed == 3);
			CHECK(h->max_offered == 0x0303);
			CHECK(h->min_negotiated == 0x0303);
			CHECK(h->max_negotiated == 0x0303);
			CHECK(strcmp(h->versions, "none x3, TLS 1.2 x2") == 0);
			CHECK(strcmp(h->failures, "protocol_version x2, reset x1") == 0);
			CHECK(h->first_ns == 1551355200000000000);
			CHECK(h->last_ns == 1551355200000004500);
		}
		h = find_summary(&sums, "198.51.100.7", "server");
		CHECK(h != NULL);
		if (h) {
			CHECK(h->connections == 3);
			CHECK(h->established == 0);
			CHECK(h->failed == 3);
			CHECK(h->max_offered == 0x0301);
			CHECK(h->min_negotiated == 0 && h->max_negotiated == 0);
			CHECK(strcmp(h->versions, "none x3") == 0);
		}
		h = find_summary(&sums, "192.0.2.9", "server");
		CHECK(h != NULL);
		if (h) {
			CHECK(h->connections == 2);
			CHECK(strcmp(h->failures, "") == 0);
		}
		/* ordered by ip, role */
		CHECK(sums.n == 3 && strcmp(sums.h[0].role, "client") == 0);
	}

	/* rows of an interrupted run (capture left 'reading') stay out of the summary */
	fill_capture(&c, 0x55);
	CHECK_OK(store_capture_begin(s, &c, &id2, err, sizeof(err)));
	simple_record(&r, 0, "10.0.0.5", "192.0.2.9", 0x0303, 0x0303, OUT_ESTABLISHED);
	CHECK_OK(store_add_record(s, id2, &r, err, sizeof(err)));
	CHECK_OK(store_commit(s, err, sizeof(err)));
	fill_capture(&c, 0x66);
	CHECK_OK(store_capture_begin(s, &c, &id2, err, sizeof(err)));
	simple_record(&r, 0, "10.0.0.6", "192.0.2.9", 0x0304, 0x0304, OUT_ESTABLISHED);
	CHECK_OK(store_add_record(s, id2, &r, err, sizeof(err)));
	end_capture(&c, "complete");
	CHECK_OK(store_capture_end(s, id2, &c, &existing, err, sizeof(err)));
	CHECK(existing == id2);
	memset(&sums, 0, sizeof(sums));
	CHECK_OK(store_foreach_summary(s, 0, summary_cb, &sums, err, sizeof(err)));
	CHECK(sums.n == 4);
	h = find_summary(&sums, "192.0.2.9", "server");
	CHECK(h != NULL);
	if (h) {
		CHECK(h->connections == 3);
		CHECK(h->max_offered == 0x0304);
		CHECK(h->min_negotiated == 0x0303 && h->max_negotiated == 0x0304);
		CHECK(strcmp(h->versions, "TLS 1.2 x2, TLS 1.3 x1") == 0);
	}
	h = find_summary(&sums, "10.0.0.5", "client");
	CHECK(h != NULL && h->connections == 5);
	CHECK_OK(store_check(s, err, sizeof(err)));
	store_close(s);
}

static void test_batches_and_errors(void)
{
	char path[300];
	struct store *s = NULL;
	struct store_capture c;
	struct ta_record r;
	int64_t id = 0, existing = 0;
	size_t n = 2500;

	db_path(path, sizeof(path), "batch.db");
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	if (s == NULL)
		return;
	fill_capture(&c, 3);
	CHECK_OK(store_capture_begin(s, &c, &id, err, sizeof(err)));
	for (size_t i = 0; i < n; i++) {
		simple_record(&r, i, "10.2.0.1", "10.3.0.1", 0x0303, 0x0303, OUT_ESTABLISHED);
		CHECK_OK(store_add_record(s, id, &r, err, sizeof(err)));
	}
	/* a duplicate seq fails alone; the open batch keeps its rows */
	simple_record(&r, 2400, "10.2.0.1", "10.3.0.1", 0x0303, 0x0303, OUT_ESTABLISHED);
	CHECK(store_add_record(s, id, &r, err, sizeof(err)) == -EEXIST);
	CHECK(strstr(err, "UNIQUE") != NULL);
	r.family = 5;
	r.seq = n;
	CHECK(store_add_record(s, id, &r, err, sizeof(err)) == -EINVAL);
	CHECK_OK(store_commit(s, err, sizeof(err)));
	CHECK_OK(store_commit(s, err, sizeof(err)));
	CHECK(count_records(s, id) == n);
	end_capture(&c, "cut");
	CHECK_OK(store_capture_end(s, id, &c, &existing, err, sizeof(err)));
	CHECK(existing == id);
	CHECK(store_capture_end(s, id + 1000, &c, &existing, err, sizeof(err)) == -ENOENT);
	store_close(s);
	s = NULL;
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	if (s)
		CHECK(count_records(s, 0) == n);
	store_close(s);
}

static void test_refusals(void)
{
	char path[300];
	struct store *s = NULL;
	FILE *f;

	/* newer schema */
	db_path(path, sizeof(path), "newer.db");
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	store_close(s);
	s = NULL;
	CHECK(patch_header(path, 60, STORE_SCHEMA_VERSION + 1) == 0);
	CHECK(store_open(path, &s, err, sizeof(err)) == -EINVAL);
	CHECK(s == NULL);
	{
		char want[96];
		snprintf(want, sizeof(want), "database schema %d is newer than this tlsaudit (%d)",
			 STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION);
		CHECK(strstr(err, want) != NULL);
	}

	/* an SQLite file that is not ours: tables, user_version 0, no marker */
	db_path(path, sizeof(path), "foreign.db");
	CHECK_OK(store_open(path, &s, err, sizeof(err)));
	store_close(s);
	s = NULL;
	CHECK(patch_header(path, 60, 0) == 0);
	CHECK(patch_header(path, 68, 0) == 0);
	CHECK(store_open(path, &s, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "not a tlsaudit database") != NULL);

	/* not a database at all */
	db_path(path, sizeof(path), "notadb.db");
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		for (int i = 0; i < 200; i++)
			fputs("this is not an SQLite file\n", f);
		fclose(f);
	}
	CHECK(store_open(path, &s, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "not a database") != NULL);
	CHECK(s == NULL);

	/* locked: another connection holds the write lock past the busy timeout */
	{
		struct store *a = NULL;
		struct store_capture c;
		struct ta_record r;
		int64_t id = 0;

		db_path(path, sizeof(path), "locked.db");
		CHECK_OK(store_open(path, &a, err, sizeof(err)));
		if (a) {
			fill_capture(&c, 0x11);
			CHECK_OK(store_capture_begin(a, &c, &id, err, sizeof(err)));
			simple_record(&r, 0, "10.0.0.1", "10.0.0.2", 0x0303, 0x0303, OUT_ESTABLISHED);
			CHECK_OK(store_add_record(a, id, &r, err, sizeof(err))); /* batch open: lock held */
			CHECK(store_open(path, &s, err, sizeof(err)) == -EBUSY);
			CHECK(s == NULL);
			store_close(a);
		}
	}

	/* unwritable location */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "/proc/tlsaudit-store-test.db");
	} else {
		char ro[280];
		db_path(ro, sizeof(ro), "ro");
		mkdir(ro, 0500);
		snprintf(path, sizeof(path), "%s/x.db", ro);
	}
	CHECK(store_open(path, &s, err, sizeof(err)) == -EACCES);
	CHECK(strstr(err, "tlsaudit-store-test.db") != NULL || strstr(err, "x.db") != NULL);
	CHECK(s == NULL);
}

/* TA_STORE_BENCH=N: time N connections over 1000 hosts, then the summary refresh. */
static void bench(size_t n)
{
	char path[300];
	struct store *s = NULL;
	struct store_capture c;
	struct ta_record r;
	int64_t id = 0, existing = 0;
	struct timespec t0, t1, t2;

	db_path(path, sizeof(path), "bench.db");
	if (store_open(path, &s, err, sizeof(err)) != 0)
		return;
	fill_capture(&c, 0x42);
	store_capture_begin(s, &c, &id, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.9.%zu.%zu", (i / 250) % 4, i % 250);
		simple_record(&r, i, ip, "203.0.113.1", i % 3 ? 0x0303 : 0x0301, i % 3 ? 0x0303 : 0,
			      i % 3 ? OUT_ESTABLISHED : OUT_ALERT);
		store_add_record(s, id, &r, err, sizeof(err));
	}
	store_commit(s, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	end_capture(&c, "complete");
	CHECK_OK(store_capture_end(s, id, &c, &existing, err, sizeof(err)));
	clock_gettime(CLOCK_MONOTONIC, &t2);
	printf("bench: %zu inserts %.3f s, capture_end (summary refresh) %.3f s\n", n,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
	/* a small second capture touching one client and the busy server */
	fill_capture(&c, 0x43);
	store_capture_begin(s, &c, &id, err, sizeof(err));
	for (size_t i = 0; i < 100; i++) {
		simple_record(&r, i, "10.8.0.1", "203.0.113.1", 0x0301, 0, OUT_RESET);
		store_add_record(s, id, &r, err, sizeof(err));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	end_capture(&c, "complete");
	CHECK_OK(store_capture_end(s, id, &c, &existing, err, sizeof(err)));
	clock_gettime(CLOCK_MONOTONIC, &t2);
	printf("bench: 100 more rows, 2 hosts: capture_end %.3f s\n",
	       (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
	store_close(s);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	const char *b = getenv("TA_STORE_BENCH");

	snprintf(dir, sizeof(dir), "%s/tlsaudit-store-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_open_reopen();
	test_round_trip();
	test_dedup_and_summary();
	test_batches_and_errors();
	test_refusals();
	test_migrate_1_to_2();
	if (b)
		bench((size_t)strtoul(b, NULL, 10));
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
