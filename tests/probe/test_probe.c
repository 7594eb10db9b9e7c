/* test_probe.c - unit tests of the probe library without a network: every built hello parsed back by our own
 * TLS parser and stage (what a version offers, and what it must not), the builder's bounds, target parsing,
 * and the judge on hand-built server answers (RFC 8446 4.1.3 ServerHello / HelloRetryRequest, RFC 8446 6
 * alerts, draft-hickman SERVER-HELLO), whole and fed one byte at a time. tshark's view of the same hellos is
 * checked by hello_tshark.py. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "probe_internal.h"
#include "tlsaudit/names.h"
#include "tlsaudit/probe.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/starttls.h"
#include "tlsaudit/tls.h"

static uint8_t rnd[PROBE_RANDOM_BYTES];

static size_t build(uint16_t v, const char *sni, uint8_t *buf, size_t cap)
{
	struct probe_hello_opts o = {.version = v, .sni = sni, .sni_len = sni ? strlen(sni) : 0, .random = rnd};
	size_t n = 0;
	int r = probe_hello_build(&o, buf, cap, &n);
	CHECK_EQ(r, 0);
	return r == 0 ? n : 0;
}

static bool has_ext(const struct tls_client_hello *ch, uint16_t type)
{
	for (size_t i = 0; i < ch->n_exts; i++)
		if (ch->exts[i] == type)
			return true;
	return false;
}

/* the TLSPlaintext record and Handshake headers around a built hello; the body's ClientHello parsed */
static void parse_tls(const uint8_t *p, size_t n, struct tls_client_hello *ch, uint16_t *ret_rec_version,
		      size_t *ret_msg_len)
{
	struct br r = br_make(p, n);
	uint8_t type = br_u8(&r);
	*ret_rec_version = br_u16(&r);
	struct br rec = br_vec16(&r);
	uint8_t hs = br_u8(&rec);
	struct br body = br_vec24(&rec);
	CHECK(br_ok(&r) && br_ok(&rec) && br_empty(&r) && br_empty(&rec));
	CHECK_EQ(type, 22);
	CHECK_EQ(hs, 1);
	*ret_msg_len = 4 + body.len;
	CHECK_EQ(tls_parse_client_hello(body.base, body.len, ch), TLS_OK);
	CHECK_EQ(ch->anomalies, 0);
}

static void test_hellos(void)
{
	uint8_t buf[PROBE_HELLO_MAX];
	const char *snis[] = {NULL, "mail.example.com", NULL};
	char long_sni[TA_MAX_SNI + 1];
	memset(long_sni, 'a', TA_MAX_SNI);
	long_sni[TA_MAX_SNI] = '\0';
	snis[2] = long_sni;

	for (size_t vi = 1; vi < PROBE_N_VERSIONS; vi++) {
		uint16_t v = probe_versions[vi];
		for (size_t si = 0; si < 3; si++) {
			size_t n = build(v, snis[si], buf, sizeof(buf));
			struct tls_client_hello ch;
			uint16_t recv;
			size_t msg;
			parse_tls(buf, n, &ch, &recv, &msg);
			CHECK_EQ(recv, v == 0x0300 ? 0x0300 : 0x0301);
			CHECK_EQ(ch.legacy_version, v == 0x0304 ? 0x0303 : v);
			CHECK_EQ(tls_client_max_version(&ch), v);
			/* only TLS 1.3 lists supported_versions, and then only 0x0304 */
			CHECK_EQ(ch.has_supported_versions, v == 0x0304);
			if (v == 0x0304) {
				CHECK_EQ(ch.n_versions, 1);
				CHECK_EQ(ch.versions[0], 0x0304);
				CHECK(has_ext(&ch, 51) && has_ext(&ch, 45) && has_ext(&ch, 13));
				CHECK_EQ(ch.session_id_len, 32);
			} else {
				CHECK_EQ(ch.session_id_len, 0);
				CHECK(!has_ext(&ch, 51));
			}
			CHECK_EQ(has_ext(&ch, 13), v >= 0x0303); /* signature_algorithms: TLS 1.2 and 1.3 */
			/* SSL 3.0 has no extensions (so no SNI); the others carry the SNI given */
			if (v == 0x0300) {
				CHECK_EQ(ch.n_exts_total, 0);
				CHECK(!ch.has_sni);
			} else {
				CHECK_EQ(ch.has_sni, snis[si] != NULL);
				if (snis[si])
					CHECK(ch.sni_len == strlen(snis[si]) &&
					      memcmp(ch.sni, snis[si], ch.sni_len) == 0);
			}
			/* the cipher list as declared; every suite named by the names module (a typo would not be);
			 * no TLS_FALLBACK_SCSV; the renegotiation SCSV present */
			const uint32_t *cs;
			size_t ncs = probe_hello_ciphers(v, &cs);
			CHECK_EQ(ch.n_ciphers_total, ncs);
			bool fallback = false, reneg = false, same = ch.n_ciphers == ncs;
			for (size_t i = 0; i < ch.n_ciphers; i++) {
				fallback |= ch.ciphers[i] == 0x5600;
				reneg |= ch.ciphers[i] == 0x00ff;
				same = same && ch.ciphers[i] == cs[i];
				if (!names_cipher_known(ch.ciphers[i]))
					fprintf(stderr, "unnamed suite 0x%04x in the %04x hello\n", ch.ciphers[i], v);
				CHECK(names_cipher_known(ch.ciphers[i]) != NULL);
				for (size_t k = 0; k < i; k++)
					CHECK(ch.ciphers[k] != ch.ciphers[i]); /* no suite twice */
			}
			CHECK(same && !fallback && reneg);
			CHECK_EQ(ch.n_compression, 1);
			/* RFC 7685: no handshake message of 256..511 bytes */
			CHECK(msg < 256 || msg >= 512);
			CHECK_EQ(has_ext(&ch, 21), v != 0x0300 && msg == 512);
			/* our own TLS stage takes it as the client's first hello */
			CHECK_EQ(tls_looks_like_client_hello(buf, n), TLS_OK);
			struct tls_conn *c = NULL;
			CHECK_EQ(tls_conn_new(NULL, NULL, NULL, &c), 0);
			CHECK_EQ(tls_conn_feed(c, TLS_DIR_CLIENT, buf, n, false), n);
			CHECK(tls_conn_state(c)->have_ch && tls_conn_state(c)->ch_status == TLS_OK);
			tls_conn_free(c);
		}
	}
	/* SSL 2.0: an SSLv2-format CLIENT-HELLO offering version 2, 16-byte challenge */
	size_t n = build(0x0002, "ignored.example", buf, sizeof(buf));
	struct tls_client_hello ch;
	size_t rl = 0;
	CHECK_EQ(tls_parse_sslv2_client_hello(buf, n, &ch, &rl), TLS_OK);
	CHECK_EQ(rl, n);
	CHECK(ch.sslv2_format && ch.legacy_version == 0x0002 && !ch.has_sni);
	CHECK_EQ(tls_looks_like_client_hello(buf, n), TLS_OK);

	/* bounds: SNI too long or empty, an unknown version, and every short buffer */
	uint8_t small[PROBE_HELLO_MAX + 16];
	struct probe_hello_opts o = {.version = 0x0303, .sni = long_sni, .sni_len = TA_MAX_SNI + 1, .random = rnd};
	CHECK_EQ(probe_hello_build(&o, small, sizeof(small), &n), -EINVAL);
	o.sni_len = 0;
	CHECK_EQ(probe_hello_build(&o, small, sizeof(small), &n), -EINVAL);
	o.sni = NULL;
	o.version = 0x0305;
	CHECK_EQ(probe_hello_build(&o, small, sizeof(small), &n), -EINVAL);
	for (size_t vi = 0; vi < PROBE_N_VERSIONS; vi++) {
		size_t full = build(probe_versions[vi], vi ? long_sni : NULL, buf, sizeof(buf));
		o = (struct probe_hello_opts){.version = probe_versions[vi],
					      .sni = vi ? long_sni : NULL,
					      .sni_len = vi ? TA_MAX_SNI : 0,
					      .random = rnd};
		for (size_t cap = 0; cap < full; cap++) {
			memset(small, 0xee, sizeof(small));
			CHECK_EQ(probe_hello_build(&o, small, cap, &n), -ENOSPC);
			CHECK(small[cap] == 0xee); /* nothing written past cap */
		}
	}
}

/* ---- the judge on hand-built answers ---- */

struct answer_buf {
	uint8_t b[512];
	size_t n;
};

static void put8(struct answer_buf *a, uint8_t v)
{
	a->b[a->n++] = v;
}
static void put16(struct answer_buf *a, uint16_t v)
{
	put8(a, (uint8_t)(v >> 8));
	put8(a, (uint8_t)v);
}

/* RFC 8446 4.1.3 ServerHello (or HelloRetryRequest) in one handshake record */
static void server_hello(struct answer_buf *a, uint16_t legacy, uint16_t cipher, uint16_t selected, bool hrr)
{
	static const uint8_t hrr_random[32] = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
					       0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
					       0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
	size_t start = a->n;
	put8(a, 22);
	put16(a, 0x0303);
	put16(a, 0); /* record length, below */
	put8(a, 2);
	put8(a, 0), put16(a, 0); /* handshake length, below */
	size_t body = a->n;
	put16(a, legacy);
	for (int i = 0; i < 32; i++)
		put8(a, hrr ? hrr_random[i] : (uint8_t)(i + 1));
	put8(a, selected ? 32 : 0);
	for (int i = 0; selected && i < 32; i++)
		put8(a, 0x55);
	put16(a, cipher);
	put8(a, 0);
	if (selected) {
		put16(a, hrr ? 4 + 2 + 4 + 2 : 4 + 2 + 4 + 36);
		put16(a, 43), put16(a, 2), put16(a, selected);
		put16(a, 51);
		if (hrr) {
			put16(a, 2), put16(a, 0x0017);
		} else {
			put16(a, 36), put16(a, 0x001d), put16(a, 32);
			for (int i = 0; i < 32; i++)
				put8(a, 9);
		}
	}
	size_t blen = a->n - body;
	a->b[start + 3] = (uint8_t)((blen + 4) >> 8), a->b[start + 4] = (uint8_t)(blen + 4);
	a->b[start + 7] = (uint8_t)(blen >> 8), a->b[start + 8] = (uint8_t)blen;
}

static void alert(struct answer_buf *a, uint8_t level, uint8_t desc)
{
	put8(a, 21), put16(a, 0x0301), put16(a, 2), put8(a, level), put8(a, desc);
}

/* draft-hickman SERVER-HELLO: no certificate, one cipher spec, a 16-byte connection id */
static void sslv2_server_hello(struct answer_buf *a)
{
	size_t len = 11 + 3 + 16;
	put16(a, (uint16_t)(0x8000 | len));
	put8(a, 4), put8(a, 0), put8(a, 1), put16(a, 0x0002), put16(a, 0), put16(a, 3), put16(a, 16);
	put8(a, 0x07), put8(a, 0x00), put8(a, 0xc0);
	for (int i = 0; i < 16; i++)
		put8(a, (uint8_t)i);
}

static void judge_bytewise(uint16_t v, const uint8_t *hello, size_t hn, const struct answer_buf *a, enum probe_end end,
			   struct probe_answer *out)
{
	struct probe_judge *j = malloc(sizeof(*j));
	CHECK_EQ(probe_judge_start(j, v, hello, hn), 0);
	for (size_t i = 0; i < a->n; i++)
		probe_judge_feed(j, a->b + i, 1);
	memset(out, 0, sizeof(*out));
	probe_judge_finish(j, end, out);
	probe_judge_done(j);
	free(j);
}

struct jcase {
	const char *name;
	uint16_t version; /* tried */
	void (*make)(struct answer_buf *a);
	enum probe_end end;
	uint8_t result;
	uint16_t server_version;
	int cipher;	/* -1 none */
	int alert_desc; /* -1 none */
	bool hrr;
	const char *detail;
};

static void a_tls12(struct answer_buf *a)
{
	server_hello(a, 0x0303, 0xc030, 0, false);
}
static void a_tls10_for_11(struct answer_buf *a)
{
	server_hello(a, 0x0301, 0xc014, 0, false);
}
static void a_tls13(struct answer_buf *a)
{
	server_hello(a, 0x0303, 0x1302, 0x0304, false);
}
static void a_hrr(struct answer_buf *a)
{
	server_hello(a, 0x0303, 0x1301, 0x0304, true);
}
static void a_fatal(struct answer_buf *a)
{
	alert(a, 2, 70);
}
static void a_unnamed_alert(struct answer_buf *a)
{
	alert(a, 2, 0xfe);
}
static void a_warning_then_sh(struct answer_buf *a)
{
	alert(a, 1, 112);
	server_hello(a, 0x0303, 0xc02f, 0, false);
}
static void a_warning(struct answer_buf *a)
{
	alert(a, 1, 112);
}
static void a_http(struct answer_buf *a)
{
	static const char r[] = "HTTP/1.1 400 Bad Request\r\nServer: <x>\r\n\r\n";
	memcpy(a->b, r, sizeof(r) - 1);
	a->n = sizeof(r) - 1;
}
static void a_smtp_banner(struct answer_buf *a)
{
	static const char r[] = "220 mx ESMTP\r\n";
	memcpy(a->b, r, sizeof(r) - 1);
	a->n = sizeof(r) - 1;
}
static void a_none(struct answer_buf *a)
{
	a->n = 0;
}
static void a_sslv2(struct answer_buf *a)
{
	sslv2_server_hello(a);
}

static void test_judge(void)
{
	static const struct jcase cases[] = {
		{"tls12 accepted", 0x0303, a_tls12, PROBE_END_CLOSED, PROBE_ACCEPTED, 0x0303, 0xc030, -1, false, NULL},
		{"tls11 answered 1.0", 0x0302, a_tls10_for_11, PROBE_END_CLOSED, PROBE_OTHER_VERSION, 0x0301, 0xc014,
		 -1, false, NULL},
		{"tls13 accepted", 0x0304, a_tls13, PROBE_END_DEADLINE, PROBE_ACCEPTED, 0x0304, 0x1302, -1, false,
		 NULL},
		{"tls13 answered 1.2", 0x0304, a_tls12, PROBE_END_CLOSED, PROBE_OTHER_VERSION, 0x0303, 0xc030, -1,
		 false, NULL},
		{"tls13 hrr", 0x0304, a_hrr, PROBE_END_DEADLINE, PROBE_ACCEPTED, 0x0304, -1, -1, true, NULL},
		{"fatal alert", 0x0301, a_fatal, PROBE_END_CLOSED, PROBE_ALERT, 0, -1, 70, false, NULL},
		{"unnamed alert", 0x0301, a_unnamed_alert, PROBE_END_RESET, PROBE_ALERT, 0, -1, 0xfe, false, NULL},
		{"warning then hello", 0x0303, a_warning_then_sh, PROBE_END_DEADLINE, PROBE_ACCEPTED, 0x0303, 0xc02f,
		 -1, false, NULL},
		{"warning then close", 0x0303, a_warning, PROBE_END_CLOSED, PROBE_ALERT, 0, -1, 112, false, NULL},
		{"http", 0x0303, a_http, PROBE_END_CLOSED, PROBE_NOT_TLS, 0, -1, -1, false, "HTTP/1.1 400 Bad Request"},
		{"smtp banner", 0x0303, a_smtp_banner, PROBE_END_DEADLINE, PROBE_NOT_TLS, 0, -1, -1, false,
		 "220 mx ESMTP"},
		{"closed", 0x0301, a_none, PROBE_END_CLOSED, PROBE_CLOSED, 0, -1, -1, false, NULL},
		{"reset", 0x0301, a_none, PROBE_END_RESET, PROBE_RESET, 0, -1, -1, false, NULL},
		{"silent", 0x0301, a_none, PROBE_END_DEADLINE, PROBE_TIMEOUT, 0, -1, -1, false, NULL},
		{"sslv2", 0x0002, a_sslv2, PROBE_END_CLOSED, PROBE_ACCEPTED, 0x0002, -1, -1, false, NULL},
	};
	uint8_t hello[PROBE_HELLO_MAX];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct jcase *c = &cases[i];
		size_t hn = build(c->version, "probe.example", hello, sizeof(hello));
		struct answer_buf a = {.n = 0};
		c->make(&a);
		struct probe_answer whole, bytes;
		probe_judge(c->version, hello, hn, a.b, a.n, c->end, &whole);
		judge_bytewise(c->version, hello, hn, &a, c->end, &bytes);
		const struct probe_answer *v[2] = {&whole, &bytes};
		for (int k = 0; k < 2; k++) {
			const struct probe_answer *x = v[k];
			if (x->result != c->result)
				fprintf(stderr, "judge %s (%s): result %s\n", c->name, k ? "byte at a time" : "whole",
					names_probe_result(x->result));
			CHECK_EQ(x->result, c->result);
			CHECK_EQ(x->version, c->version);
			CHECK_EQ(x->server_version, c->server_version);
			CHECK_EQ(x->has_cipher ? (int)x->cipher : -1, c->cipher);
			CHECK_EQ(x->has_alert ? (int)x->alert_desc : -1, c->alert_desc);
			CHECK_EQ(x->hrr, c->hrr);
			if (x->has_alert)
				CHECK_EQ(x->alert_sender, TLS_DIR_SERVER);
			CHECK((c->detail == NULL) == (x->detail_len == 0));
			if (c->detail && strcmp(x->detail, c->detail) != 0)
				fprintf(stderr, "judge %s: detail '%s'\n", c->name, x->detail);
			if (c->detail)
				CHECK(strcmp(x->detail, c->detail) == 0);
		}
		/* every prefix of the answer: never a different decision than "not yet", and no crash */
		for (size_t cut = 0; cut < a.n; cut++) {
			struct probe_answer p;
			probe_judge(c->version, hello, hn, a.b, cut, PROBE_END_CLOSED, &p);
			CHECK(p.result == c->result || p.result == PROBE_CLOSED || p.result == PROBE_ALERT ||
			      p.result == PROBE_NOT_TLS);
		}
	}
	/* the NDJSON accepted list is lowest first and holds only accepted attempts */
	struct probe_answer ans[3] = {
		{.version = 0x0304, .result = PROBE_ACCEPTED},
		{.version = 0x0301, .result = PROBE_ALERT},
		{.version = 0x0303, .result = PROBE_ACCEPTED},
	};
	CHECK_EQ(probe_accepted_mask(ans, 3), (1u << 4) | (1u << 5));
}

static void test_targets(void)
{
	static const struct {
		const char *in;
		int ret;
		const char *host;
		bool has_port;
		uint16_t port;
	} cases[] = {
		{"mail.example.com", 0, "mail.example.com", false, 0},
		{"mail.example.com:587", 0, "mail.example.com", true, 587},
		{"192.0.2.5:443", 0, "192.0.2.5", true, 443},
		{"[2001:db8::1]:8443", 0, "2001:db8::1", true, 8443},
		{"[::1]", 0, "::1", false, 0},
		{"2001:db8::1", 0, "2001:db8::1", false, 0},
		{"host:0", -EINVAL, NULL, false, 0},
		{"host:65536", -EINVAL, NULL, false, 0},
		{"host:12a", -EINVAL, NULL, false, 0},
		{"host:", -EINVAL, NULL, false, 0},
		{":443", -EINVAL, NULL, false, 0},
		{"[::1]x", -EINVAL, NULL, false, 0},
		{"[nothex]:1", -EINVAL, NULL, false, 0},
		{"a b", -EINVAL, NULL, false, 0},
		{"evil;rm", -EINVAL, NULL, false, 0},
		{"", -EINVAL, NULL, false, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[256];
		uint16_t port = 0;
		bool has = false;
		int r = probe_target_split(cases[i].in, host, &port, &has);
		if (r != cases[i].ret)
			fprintf(stderr, "target '%s': %d\n", cases[i].in, r);
		CHECK_EQ(r, cases[i].ret);
		if (r == 0) {
			CHECK(strcmp(host, cases[i].host) == 0);
			CHECK_EQ(has, cases[i].has_port);
			if (has)
				CHECK_EQ(port, cases[i].port);
		}
	}
	CHECK_EQ(probe_default_port(0), 443);
	CHECK_EQ(probe_default_port(STARTTLS_SMTP), 25);
	CHECK_EQ(probe_default_port(STARTTLS_MYSQL), 3306);
	struct probe_endpoint e[4];
	size_t more = 0;
	char err[128];
	CHECK_EQ(probe_resolve("[::1]:5", "::1", 5, 0, e, 4, &more, err, sizeof(err)), 1);
	CHECK(e[0].family == 6 && strcmp(e[0].ip, "::1") == 0 && e[0].port == 5 && !e[0].host_is_name);
	CHECK_EQ(probe_resolve("127.0.0.1", "127.0.0.1", 443, 0, e, 4, &more, err, sizeof(err)), 1);
	CHECK(e[0].family == 4 && strcmp(e[0].ip, "127.0.0.1") == 0);
	CHECK(probe_resolve("x.invalid", "x.invalid", 443, 0, e, 4, &more, err, sizeof(err)) < 0);
}

static void test_versions(void)
{
	for (size_t i = 0; i < PROBE_N_VERSIONS; i++)
		CHECK_EQ(probe_version_slot(probe_versions[i]), (int)i);
	CHECK_EQ(probe_version_slot(0x0305), -1);
	for (unsigned r = 0; r < PROBE_R_COUNT_; r++)
		CHECK(names_probe_result(r) != NULL);
	CHECK(names_probe_result(PROBE_R_COUNT_) == NULL);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(i * 7 + 1);
	test_versions();
	test_hellos();
	test_judge();
	test_targets();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
