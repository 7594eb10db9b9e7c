/* test_tls.c - unit tests of the bounded reader and the TLS stage (src/tls/).
 * specification: include/tlsaudit/reader.h, include/tlsaudit/tls.h.
 *
 * Hellos are real: fixtures.h names, per fixture, a corpus capture and the frames whose TCP
 * payloads make up the connection (see gen_fixtures.py); at start-up the bytes are read
 * from <corpus>/pcaps (argv[1]) with the capture and decode stages - the corpus is never
 * copied into the repository. Expected values were read with tshark from the same frames;
 * the command is given next to each group of checks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixtures.h"
#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/names.h"
#include "tlsaudit/tls.h"
#include "../tls_facts_test.h"

static unsigned failures, checks;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		checks++;                                                                        \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                              \
		}                                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                                                               \
	do {                                                                                                         \
		unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b);                     \
		checks++;                                                                                            \
		if (va_ != vb_) {                                                                                    \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (0x%llx != 0x%llx)\n", __FILE__, __LINE__, \
				#a, #b, va_, vb_);                                                                   \
			failures++;                                                                                  \
		}                                                                                                    \
	} while (0)

#define CHECK_STR(a, b)                                                                                             \
	do {                                                                                                        \
		const char *sa_ = (a), *sb_ = (b);                                                                  \
		checks++;                                                                                           \
		if ((sa_ == NULL) != (sb_ == NULL) || (sa_ && strcmp(sa_, sb_) != 0)) {                             \
			fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\" (got \"%s\")\n", __FILE__, __LINE__, \
				#a, sb_ ? sb_ : "(null)", sa_ ? sa_ : "(null)");                                    \
			failures++;                                                                                 \
		}                                                                                                   \
	} while (0)

/* ---- helpers over fixtures ---- */

/* one direction's bytes of a fixture, concatenated (malloc'd) */
static uint8_t *dir_stream(const struct fixture *fx, enum tls_dir dir, size_t *ret_len)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n_segs; i++)
		if (fx->segs[i].dir == dir)
			n += fx->segs[i].len;
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		abort();
	size_t off = 0, src = 0;
	for (size_t i = 0; i < fx->n_segs; i++) {
		if (fx->segs[i].dir == dir) {
			memcpy(p + off, fx->data + src, fx->segs[i].len);
			off += fx->segs[i].len;
		}
		src += fx->segs[i].len;
	}
	*ret_len = n;
	return p;
}

/* Locate the first handshake message of type `type` in the first record at stream+skip
 * (the hellos of these fixtures sit whole in their first record). */
static bool find_hello(const uint8_t *s, size_t len, size_t skip, uint8_t type, const uint8_t **ret_body,
		       size_t *ret_len, size_t *ret_rec_total)
{
	struct br r = br_make(s, len);
	br_skip(&r, skip);
	uint8_t ct = br_u8(&r);
	br_skip(&r, 2);
	struct br rec = br_vec16(&r);
	uint8_t ht = br_u8(&rec);
	size_t mlen = br_u24(&rec);
	const uint8_t *body = br_ptr(&rec, mlen);
	if (!br_ok(&r) || !br_ok(&rec) || ct != 22 || ht != type || !body)
		return false;
	*ret_body = body;
	*ret_len = mlen;
	if (ret_rec_total)
		*ret_rec_total = 5 + 4 + mlen + br_left(&rec);
	return true;
}

/* Feed a fixture the way the flow stage does: per direction, a pending buffer to which
 * each piece is appended; tf_feed() consumes a prefix; the rest is presented again.
 * chunk 0 = whole TCP segments. */
static void feed_fixture(struct tls_facts *f, const struct fixture *fx, size_t chunk, const struct tls_limits *lim)
{
	size_t total = 0;
	for (size_t i = 0; i < fx->n_segs; i++)
		total += fx->segs[i].len;
	uint8_t *pend[2] = {malloc(total + 1), malloc(total + 1)};
	size_t plen[2] = {0, 0};
	if (!pend[0] || !pend[1])
		abort();
	size_t soff = 0; /* the segment's offset in fx->data */
	for (size_t i = 0; i < fx->n_segs; soff += fx->segs[i].len, i++) {
		const struct fx_seg *s = &fx->segs[i];
		size_t step = chunk ? chunk : s->len;
		for (size_t off = 0; off < s->len; off += step) {
			size_t k = s->len - off < step ? s->len - off : step;
			memcpy(pend[s->dir] + plen[s->dir], fx->data + soff + off, k);
			plen[s->dir] += k;
			size_t used = tf_feed(f, (enum tls_dir)s->dir, pend[s->dir], plen[s->dir], lim);
			CHECK(used <= plen[s->dir]);
			memmove(pend[s->dir], pend[s->dir] + used, plen[s->dir] - used);
			plen[s->dir] -= used;
		}
	}
	free(pend[0]);
	free(pend[1]);
}

static void feed_all(struct tls_facts *f, enum tls_dir dir, const uint8_t *p, size_t n)
{
	CHECK_EQ(tf_feed(f, dir, p, n, NULL), n);
}

/* the facts that must not depend on how the stream was cut into pieces */
static void check_same_facts(const struct tls_facts *a, const struct tls_facts *b, const char *name)
{
	unsigned before = failures;
	CHECK_EQ(a->have_ch, b->have_ch);
	CHECK(memcmp(&a->ch, &b->ch, sizeof(a->ch)) == 0);
	CHECK_EQ(a->n_client_hellos, b->n_client_hellos);
	CHECK_EQ(a->have_sh, b->have_sh);
	CHECK_EQ(a->sh.legacy_version, b->sh.legacy_version);
	CHECK_EQ(a->sh.selected_version, b->sh.selected_version);
	CHECK_EQ(a->sh.cipher, b->sh.cipher);
	CHECK_EQ(a->sh.record_version, b->sh.record_version);
	CHECK_EQ(a->sh.n_exts, b->sh.n_exts);
	CHECK_EQ(a->hrr, b->hrr);
	CHECK_EQ(a->sslv2_cipher24, b->sslv2_cipher24);
	CHECK_EQ(a->have_alert, b->have_alert);
	CHECK_EQ(a->alert_desc, b->alert_desc);
	CHECK_EQ(a->fatal_alert, b->fatal_alert);
	CHECK_EQ(a->fatal_before_done, b->fatal_before_done);
	CHECK_EQ(a->resumed, b->resumed);
	CHECK_EQ(a->anomalies, b->anomalies);
	CHECK_EQ(a->ch_records, b->ch_records);
	CHECK_EQ(tf_established(a), tf_established(b));
	for (size_t d = 0; d < 2; d++) {
		const struct tls_dir_view *x = &a->dir[d], *y = &b->dir[d];
		CHECK_EQ(x->consumed, y->consumed);
		CHECK_EQ(x->records, y->records);
		CHECK_EQ(x->ccs, y->ccs);
		CHECK_EQ(x->alerts, y->alerts);
		CHECK_EQ(x->app_records, y->app_records);
		CHECK_EQ(x->app_after_sh, y->app_after_sh);
		CHECK_EQ(x->hs_after_ccs, y->hs_after_ccs);
		CHECK_EQ(x->sslv2_records, y->sslv2_records);
		CHECK_EQ(x->hs_types, y->hs_types);
		CHECK_EQ(x->encrypted, y->encrypted);
		CHECK_EQ(x->dead, y->dead);
		CHECK_EQ(x->plaintext_skipped, y->plaintext_skipped);
		CHECK_EQ(x->plain_len, y->plain_len);
		CHECK(x->plain_len == 0 || memcmp(x->plain, y->plain, x->plain_len) == 0);
	}
	if (failures != before)
		fprintf(stderr, "  (fixture %s)\n", name);
}

/* ---- reader ---- */

static void test_reader(void)
{
	static const uint8_t buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
	static const struct {
		size_t width; /* 1, 2, 3, 4 */
		size_t skip;
		uint32_t want;
		bool ok;
	} cases[] = {
		{1, 0, 0x01, true},	  {2, 0, 0x0102, true}, {3, 0, 0x010203, true}, {4, 0, 0x01020304, true},
		{4, 5, 0x06070809, true}, {4, 6, 0, false},	{2, 8, 0, false},	{1, 8, 0x09, true},
		{1, 9, 0, false},	  {3, 7, 0, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct br r = br_make(buf, sizeof(buf));
		br_skip(&r, cases[i].skip);
		uint32_t v = 0;
		switch (cases[i].width) {
		case 1: v = br_u8(&r); break;
		case 2: v = br_u16(&r); break;
		case 3: v = br_u24(&r); break;
		default: v = br_u32(&r); break;
		}
		CHECK_EQ(v, cases[i].want);
		CHECK_EQ(br_ok(&r), cases[i].ok);
	}

	/* sticky error: after a failed read everything returns 0 and br_left is 0 */
	struct br r = br_make(buf, 3);
	CHECK_EQ(br_u32(&r), 0);
	CHECK(!br_ok(&r));
	CHECK_EQ(br_u8(&r), 0);
	CHECK_EQ(br_left(&r), 0);
	CHECK(br_ptr(&r, 0) == NULL);

	/* vectors: sub-reader limited to its own length, parent skips it */
	static const uint8_t vec[] = {0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x7f};
	r = br_make(vec, sizeof(vec));
	struct br v = br_vec16(&r);
	CHECK(br_ok(&v));
	CHECK_EQ(br_left(&v), 3);
	CHECK_EQ(br_u16(&v), 0xaabb);
	CHECK_EQ(br_u16(&v), 0); /* runs past the vector, not into 0x7f */
	CHECK(!br_ok(&v));
	CHECK_EQ(br_u8(&r), 0x7f);
	CHECK(br_ok(&r));

	/* a vector longer than what remains fails the parent */
	static const uint8_t longvec[] = {0x05, 0x01, 0x02};
	r = br_make(longvec, sizeof(longvec));
	v = br_vec8(&r);
	CHECK(!br_ok(&v));
	CHECK(!br_ok(&r));

	/* peek does not consume and does not set the error */
	r = br_make(buf, 2);
	CHECK_EQ(br_peek(&r, 1), 0x02);
	CHECK_EQ(br_peek(&r, 2), 0);
	CHECK(br_ok(&r));
	CHECK_EQ(br_left(&r), 2);

	/* a huge length cannot overflow the check */
	r = br_make(buf, sizeof(buf));
	br_skip(&r, 1);
	CHECK(!br_need(&r, SIZE_MAX));
	CHECK(!br_ok(&r));

	/* little-endian loads */
	r = br_make(buf, sizeof(buf));
	CHECK_EQ(br_le16(&r), 0x0201);
	CHECK_EQ(br_le32(&r), 0x06050403);
}

/* ---- names ---- */

/* the strength flags read from IANA suite names (TLS Cipher Suites registry), asked twice (the second answer is
 * remembered) */
static void test_cipher_flags(void)
{
	static const struct {
		uint16_t id;
		uint32_t want;
	} cases[] = {
		{0x0000, NAMES_CIPHER_NULL}, /* TLS_NULL_WITH_NULL_NULL */
		{0x0003,
		 NAMES_CIPHER_EXPORT | NAMES_CIPHER_RC4 | NAMES_CIPHER_MD5}, /* TLS_RSA_EXPORT_WITH_RC4_40_MD5 */
		{0x0004, NAMES_CIPHER_RC4 | NAMES_CIPHER_MD5},		     /* TLS_RSA_WITH_RC4_128_MD5 */
		{0x000A, NAMES_CIPHER_3DES | NAMES_CIPHER_CBC_SHA1},	     /* TLS_RSA_WITH_3DES_EDE_CBC_SHA */
		{0x0009, NAMES_CIPHER_DES | NAMES_CIPHER_CBC_SHA1},	     /* TLS_RSA_WITH_DES_CBC_SHA */
		{0x0034, NAMES_CIPHER_ANON | NAMES_CIPHER_CBC_SHA1},	     /* TLS_DH_anon_WITH_AES_128_CBC_SHA */
		{0x002F, NAMES_CIPHER_CBC_SHA1},			     /* TLS_RSA_WITH_AES_128_CBC_SHA */
		{0xC02F, 0},						     /* ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
		{0x1301, 0},						     /* TLS_AES_128_GCM_SHA256 */
		{0xFFFF, 0},						     /* unnamed */
	};
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			CHECK_EQ(names_cipher_flags(cases[i].id), cases[i].want);
}

static void test_names(void)
{
	static const struct {
		uint16_t v;
		const char *name;
		const char *str;
	} versions[] = {
		{0x0002, "SSL 2.0", "SSL 2.0"},
		{0x0300, "SSL 3.0", "SSL 3.0"},
		{0x0301, "TLS 1.0", "TLS 1.0"},
		{0x0302, "TLS 1.1", "TLS 1.1"},
		{0x0303, "TLS 1.2", "TLS 1.2"},
		{0x0304, "TLS 1.3", "TLS 1.3"},
		{0x7f0e, "TLS 1.3 (draft 14)", "TLS 1.3 (draft 14)"},
		{0x7f17, "TLS 1.3 (draft 23)", "TLS 1.3 (draft 23)"},
		{0x7f1c, "TLS 1.3 (draft 28)", "TLS 1.3 (draft 28)"},
		{0xfb1a, "TLS 1.3 (Facebook draft 26)", "TLS 1.3 (Facebook draft 26)"},
		{0xfb17, "TLS 1.3 (Facebook draft 23)", "TLS 1.3 (Facebook draft 23)"},
		{0x7e01, NULL, "0x7e01"},
		{0x7e02, NULL, "0x7e02"},
		{0x0a0a, NULL, "0x0a0a"},
		{0x0305, NULL, "0x0305"},
		{0xfefd, NULL, "0xfefd"},
	};
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		char buf[32];
		CHECK_STR(names_version_known(versions[i].v), versions[i].name);
		CHECK_STR(names_version(versions[i].v, buf), versions[i].str);
	}

	static const struct {
		uint16_t v;
		bool is13;
	} is13[] = {
		{0x0304, true},	 {0x7f17, true},  {0x7e01, true},  {0xfb1a, true},
		{0x0303, false}, {0x0301, false}, {0x0002, false}, {0x0a0a, false},
	};
	for (size_t i = 0; i < sizeof(is13) / sizeof(is13[0]); i++)
		CHECK_EQ(tls_version_is_13(is13[i].v), is13[i].is13);

	static const struct {
		uint16_t id;
		const char *name;
	} ciphers[] = {
		{0x0000, "TLS_NULL_WITH_NULL_NULL"},
		{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
		{0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
		{0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
		{0x1301, "TLS_AES_128_GCM_SHA256"},
		{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
		{0x5600, "TLS_FALLBACK_SCSV"},
		{0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
		{0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"},
		{0xc106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S"},
		{0x0a0a, NULL}, /* GREASE */
		{0xdada, NULL},
		{0xfeff, NULL}, /* SSL_RSA_FIPS_*: private use, not IANA */
		{0xcc13, NULL}, /* pre-RFC ChaCha20 */
		{0xffff, NULL},
		{0x0047, NULL},
	};
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		CHECK_STR(names_cipher_known(ciphers[i].id), ciphers[i].name);
	/* every named suite is IANA style */
	for (uint32_t id = 0; id <= 0xffff; id++) {
		const char *n = names_cipher_known((uint16_t)id);
		if (n)
			CHECK(strncmp(n, "TLS_", 4) == 0);
		if (tls_is_grease((uint16_t)id))
			CHECK(n == NULL);
	}

	CHECK_STR(names_sslv2_cipher_known(0x010080), "SSL2_RC4_128_WITH_MD5");
	CHECK_STR(names_sslv2_cipher_known(0x0700c0), "SSL2_DES_192_EDE3_CBC_WITH_MD5");
	CHECK_STR(names_sslv2_cipher_known(0x060040), "SSL2_DES_64_CBC_WITH_MD5");
	CHECK_STR(names_sslv2_cipher_known(0x000004), NULL);

	CHECK_STR(names_alert_known(0), "close_notify");
	CHECK_STR(names_alert_known(40), "handshake_failure");
	CHECK_STR(names_alert_known(70), "protocol_version");
	CHECK_STR(names_alert_known(86), "inappropriate_fallback");
	CHECK_STR(names_alert_known(112), "unrecognized_name");
	CHECK_STR(names_alert_known(116), "certificate_required");
	CHECK_STR(names_alert_known(120), "no_application_protocol");
	CHECK_STR(names_alert_known(1), NULL);
	CHECK_STR(names_alert_known(255), NULL);
}

/* ---- hello parsers on real hellos ---- */

/* Prefix sweep: a body cut short must never parse as OK except at the one place where a
 * shorter hello is legal (just before the extensions block), and then without extensions.
 * Suffix sweep: any tail must not crash. */
static void sweep_client_hello(const uint8_t *body, size_t len, const char *name)
{
	unsigned before = failures;
	struct tls_client_hello *ch = malloc(sizeof(*ch));
	if (!ch)
		abort();
	for (size_t n = 0; n < len; n++) {
		enum tls_status st = tls_parse_client_hello(body, n, ch);
		CHECK(st == TLS_OK || st == TLS_NEED_MORE || st == TLS_TRUNCATED || st == TLS_MALFORMED);
		if (st == TLS_OK)
			CHECK_EQ(ch->n_exts_total, 0);
	}
	for (size_t k = 1; k <= len; k++)
		(void)tls_parse_client_hello(body + k, len - k, ch);
	free(ch);
	if (failures != before)
		fprintf(stderr, "  (sweep %s)\n", name);
}

static void sweep_server_hello(const uint8_t *body, size_t len, const char *name)
{
	unsigned before = failures;
	struct tls_server_hello sh;
	for (size_t n = 0; n < len; n++) {
		enum tls_status st = tls_parse_server_hello(body, n, &sh);
		if (st == TLS_OK)
			CHECK_EQ(sh.n_exts_total, 0);
	}
	for (size_t k = 1; k <= len; k++)
		(void)tls_parse_server_hello(body + k, len - k, &sh);
	if (failures != before)
		fprintf(stderr, "  (sweep %s)\n", name);
}

/* A record prefix never yields a ClientHello. tls_feed may consume what it has (a
 * plaintext handshake record streams into the bounded handshake reassembly), but never
 * more than it was given. */
static void sweep_record_prefixes(const uint8_t *rec, size_t total)
{
	for (size_t n = 0; n < total; n++) {
		struct tls_facts f;
		tf_init(&f);
		size_t used = tf_feed(&f, TLS_DIR_CLIENT, rec, n, NULL);
		CHECK(used <= n);
		CHECK(!f.have_ch);
		enum tls_status st = tls_looks_like_client_hello(rec, n);
		CHECK_EQ(st, n < 6 ? TLS_NEED_MORE : TLS_OK);
		tf_done(&f);
	}
}

static void test_client_hellos(void)
{
	struct tls_client_hello *ch = malloc(sizeof(*ch));
	const uint8_t *body;
	size_t len, total, slen;
	uint8_t *s;
	if (!ch)
		abort();

	/* Chrome 67 canary, TLS 1.3 draft 23 with GREASE (zeek__tls13draft23-chrome67...pcap frame 5):
	 * tshark -Y tls.handshake.type==1 -e tls.handshake.version -e ...session_id_length
	 *   -e ...cipher_suites_length -e ...extensions_server_name -e ...supported_version
	 *   -e tls.handshake.extension.type -e ...extensions_alpn_str -e ...supported_group
	 * -> 0x0303 32 34 tls13.crypto.mozilla.org 0xdada,0x7f17,0x0303,0x0302,0x0301
	 *    19018,65281,0,23,35,13,5,18,16,30032,11,51,45,43,10,24,31354,21 h2,http/1.1
	 *    0x9a9a,0x001d,0x0017,0x0018 */
	s = dir_stream(&fx_chrome_draft23, TLS_DIR_CLIENT, &slen);
	CHECK(find_hello(s, slen, 0, 1, &body, &len, &total));
	CHECK_EQ(tls_parse_client_hello(body, len, ch), TLS_OK);
	CHECK_EQ(ch->legacy_version, 0x0303);
	CHECK_EQ(ch->session_id_len, 32);
	CHECK_EQ(ch->n_ciphers, 17);
	CHECK_EQ(ch->n_ciphers_total, 17);
	CHECK(tls_is_grease(ch->ciphers[0]));
	CHECK_EQ(ch->n_exts, 18);
	CHECK_EQ(ch->exts[0], 19018);
	CHECK_EQ(ch->exts[2], 0);
	CHECK_EQ(ch->exts[17], 21);
	CHECK(ch->has_sni);
	CHECK_STR(ch->sni, "tls13.crypto.mozilla.org");
	CHECK_EQ(ch->sni_len, 24);
	CHECK(ch->has_supported_versions);
	CHECK_EQ(ch->n_versions, 5);
	CHECK_EQ(ch->versions[0], 0xdada);
	CHECK_EQ(ch->versions[1], 0x7f17);
	CHECK_EQ(ch->versions[4], 0x0301);
	CHECK_EQ(tls_client_max_version(ch), 0x7f17);
	CHECK_EQ(ch->n_groups, 4);
	CHECK_EQ(ch->groups[0], 0x9a9a);
	CHECK_EQ(ch->groups[1], 0x001d);
	CHECK_EQ(ch->alpn_len, 12);
	CHECK(memcmp(ch->alpn, "\x02h2\x08http/1.1", 12) == 0);
	CHECK_EQ(ch->n_point_formats, 1);
	CHECK(ch->n_sigalgs > 0);
	CHECK(!ch->has_psk);
	CHECK_EQ(ch->anomalies, 0);
	sweep_client_hello(body, len, "chrome_draft23 CH");
	sweep_record_prefixes(s, total);
	free(s);

	/* OpenSSL TLS 1.2 client, no SNI (zeek__tls1.2.pcap frame 4): record 0x0301, 0x0303,
	 * sid 0, cipher_suites_length 160, extensions 11,10,35,13,15, 25 groups */
	s = dir_stream(&fx_tls12, TLS_DIR_CLIENT, &slen);
	CHECK(find_hello(s, slen, 0, 1, &body, &len, &total));
	CHECK_EQ(tls_parse_client_hello(body, len, ch), TLS_OK);
	CHECK_EQ(ch->legacy_version, 0x0303);
	CHECK_EQ(ch->session_id_len, 0);
	CHECK_EQ(ch->n_ciphers, 80);
	CHECK_EQ(ch->n_exts, 5);
	CHECK_EQ(ch->exts[0], 11);
	CHECK_EQ(ch->exts[4], 15);
	CHECK(!ch->has_sni);
	CHECK(!ch->has_supported_versions);
	CHECK_EQ(ch->n_groups, 25);
	CHECK_EQ(ch->groups[0], 0x000e);
	CHECK_EQ(tls_client_max_version(ch), 0x0303);
	sweep_client_hello(body, len, "tls12 CH");
	sweep_record_prefixes(s, total);
	free(s);

	/* Firefox/NSS draft 14 (suricata tls13-draft14 frame 4): legacy_version 0x0304, sid 0,
	 * cipher_suites_length 30, SNI tls13.crypto.mozilla.org, 12 extensions */
	s = dir_stream(&fx_draft14, TLS_DIR_CLIENT, &slen);
	CHECK(find_hello(s, slen, 0, 1, &body, &len, &total));
	CHECK_EQ(tls_parse_client_hello(body, len, ch), TLS_OK);
	CHECK_EQ(ch->legacy_version, 0x0304);
	CHECK_EQ(ch->n_ciphers, 15);
	CHECK_EQ(ch->n_exts, 12);
	CHECK_STR(ch->sni, "tls13.crypto.mozilla.org");
	CHECK_EQ(ch->n_groups, 8);
	CHECK_EQ(tls_client_max_version(ch), 0x0304);
	sweep_client_hello(body, len, "draft14 CH");
	free(s);

	/* TLS 1.3 PSK resumption (zeek__tls13_psk_succesfull.pcap frame 4): cipher_suites_length
	 * 114, versions 0x0304,0x0303,0x0302,0x0301, extensions ending in 41 (pre_shared_key) */
	s = dir_stream(&fx_tls13_psk, TLS_DIR_CLIENT, &slen);
	CHECK(find_hello(s, slen, 0, 1, &body, &len, &total));
	CHECK_EQ(tls_parse_client_hello(body, len, ch), TLS_OK);
	CHECK_EQ(ch->n_ciphers, 57);
	CHECK_EQ(ch->n_versions, 4);
	CHECK_EQ(ch->n_exts, 10);
	CHECK_EQ(ch->exts[9], 41);
	CHECK(ch->has_psk);
	CHECK_EQ(tls_client_max_version(ch), 0x0304);
	sweep_client_hello(body, len, "psk CH");
	free(s);

	/* Chrome with session id (arkime tls-client-sessionid frame 4): TLS 1.0, SNI bl.a.im,
	 * ALPN spdy/3.1,spdy/3,http/1.1, cipher_suites_length 28 */
	s = dir_stream(&fx_sessionid_resume, TLS_DIR_CLIENT, &slen);
	CHECK(find_hello(s, slen, 0, 1, &body, &len, &total));
	CHECK_EQ(tls_parse_client_hello(body, len, ch), TLS_OK);
	CHECK_EQ(ch->legacy_version, 0x0301);
	CHECK_EQ(ch->session_id_len, 32);
	CHECK_EQ(ch->n_ciphers, 14);
	CHECK_STR(ch->sni, "bl.a.im");
	CHECK_EQ(ch->alpn_len, 1 + 8 + 1 + 6 + 1 + 8);
	CHECK_EQ(tls_client_max_version(ch), 0x0301);
	sweep_client_hello(body, len, "sessionid CH");
	free(s);
	free(ch);
}

static void test_server_hellos(void)
{
	struct tls_server_hello sh;
	const uint8_t *body;
	size_t len, slen;
	uint8_t *s;

	/* zeek__tls13draft23-chrome67 frame 8: 0x0303, cipher 0x1301, sid 32, ext 51,43, version 0x7f17 */
	s = dir_stream(&fx_chrome_draft23, TLS_DIR_SERVER, &slen);
	CHECK(find_hello(s, slen, 0, 2, &body, &len, NULL));
	CHECK_EQ(tls_parse_server_hello(body, len, &sh), TLS_OK);
	CHECK_EQ(sh.legacy_version, 0x0303);
	CHECK_EQ(sh.selected_version, 0x7f17);
	CHECK_EQ(sh.cipher, 0x1301);
	CHECK_EQ(sh.session_id_len, 32);
	CHECK_EQ(sh.n_exts, 2);
	CHECK(!sh.is_hrr);
	sweep_server_hello(body, len, "chrome SH");
	free(s);

	/* zeek__tls1.2.pcap frame 5: 0x0303, TLS_RSA_WITH_RC4_128_MD5, sid 32, ext 65281 */
	s = dir_stream(&fx_tls12, TLS_DIR_SERVER, &slen);
	CHECK(find_hello(s, slen, 0, 2, &body, &len, NULL));
	CHECK_EQ(tls_parse_server_hello(body, len, &sh), TLS_OK);
	CHECK_EQ(sh.legacy_version, 0x0303);
	CHECK_EQ(sh.selected_version, 0);
	CHECK_EQ(sh.cipher, 0x0004);
	CHECK_EQ(sh.compression, 0);
	CHECK_EQ(sh.session_id_len, 32);
	CHECK_EQ(sh.n_exts, 1);
	CHECK_EQ(sh.exts[0], 65281);
	sweep_server_hello(body, len, "tls12 SH");
	free(s);

	/* zeek__hrr.pcap frame 6: HelloRetryRequest, random cf21ad74..., cipher 0x1302, version 0x0304 */
	s = dir_stream(&fx_hrr, TLS_DIR_SERVER, &slen);
	CHECK(find_hello(s, slen, 0, 2, &body, &len, NULL));
	CHECK_EQ(tls_parse_server_hello(body, len, &sh), TLS_OK);
	CHECK(sh.is_hrr);
	CHECK_EQ(sh.selected_version, 0x0304);
	CHECK_EQ(sh.cipher, 0x1302);
	sweep_server_hello(body, len, "hrr");
	free(s);

	/* suricata tls13-draft14 frame 6: version 0x0304, no session id or compression; the
	 * two bytes after the random are c0 2b (tshark 4.0 misreads them as sid length 192) */
	s = dir_stream(&fx_draft14, TLS_DIR_SERVER, &slen);
	CHECK(find_hello(s, slen, 0, 2, &body, &len, NULL));
	CHECK_EQ(tls_parse_server_hello(body, len, &sh), TLS_OK);
	CHECK_EQ(sh.legacy_version, 0x0304);
	CHECK_EQ(sh.cipher, 0xc02b);
	CHECK_EQ(sh.session_id_len, 0);
	CHECK(!sh.is_hrr);
	sweep_server_hello(body, len, "draft14 SH");
	free(s);

	/* zeek__tls13_psk_succesfull frame 6: 0x1303, version 0x0304, extensions 43,51,41 */
	s = dir_stream(&fx_tls13_psk, TLS_DIR_SERVER, &slen);
	CHECK(find_hello(s, slen, 0, 2, &body, &len, NULL));
	CHECK_EQ(tls_parse_server_hello(body, len, &sh), TLS_OK);
	CHECK(sh.has_psk);
	CHECK_EQ(sh.selected_version, 0x0304);
	CHECK_EQ(sh.cipher, 0x1303);
	free(s);
}

static void test_sslv2_hello(void)
{
	struct tls_client_hello *ch = malloc(sizeof(*ch));
	size_t slen, rec_len = 0;
	uint8_t *s;
	if (!ch)
		abort();

	/* zeek__ssl-v2.pcap frame 4: SSLv2 CLIENT-HELLO version 0x0002, 7 SSLv2-only specs,
	 * session id 0, challenge 16 */
	s = dir_stream(&fx_sslv2, TLS_DIR_CLIENT, &slen);
	CHECK_EQ(tls_parse_sslv2_client_hello(s, slen, ch, &rec_len), TLS_OK);
	CHECK_EQ(rec_len, 48);
	CHECK(ch->sslv2_format);
	CHECK_EQ(ch->record_version, 0x0002);
	CHECK_EQ(ch->legacy_version, 0x0002);
	CHECK_EQ(ch->n_ciphers_total, 0);
	CHECK_EQ(tls_looks_like_client_hello(s, slen), TLS_OK);
	for (size_t n = 0; n < 48; n++) {
		enum tls_status st = tls_parse_sslv2_client_hello(s, n, ch, &rec_len);
		CHECK_EQ(st, TLS_NEED_MORE);
	}
	free(s);

	/* suricata sslv2-tls-upgrade-01 frame 4: SSLv2 CLIENT-HELLO offering TLS 1.0 (0x0301),
	 * 26 specs of which 20 are TLS suites (0x00xxxx), first 0x000039, last 0x000006 */
	s = dir_stream(&fx_sslv2_upgrade, TLS_DIR_CLIENT, &slen);
	CHECK_EQ(tls_parse_sslv2_client_hello(s, slen, ch, &rec_len), TLS_OK);
	CHECK_EQ(rec_len, 105);
	CHECK_EQ(ch->legacy_version, 0x0301);
	CHECK_EQ(ch->n_ciphers_total, 20);
	CHECK_EQ(ch->n_ciphers, 20);
	CHECK_EQ(ch->ciphers[0], 0x0039);
	CHECK_EQ(ch->ciphers[19], 0x0006);
	CHECK_EQ(tls_client_max_version(ch), 0x0301);
	free(s);

	/* not SSLv2: a 3-byte header, a non-hello type */
	static const uint8_t three[] = {0x00, 0x10, 0x00, 0x01};
	CHECK_EQ(tls_parse_sslv2_client_hello(three, sizeof(three), ch, &rec_len), TLS_UNSUPPORTED);
	static const uint8_t cmk[] = {0x80, 0x04, 0x02, 0x01, 0x00, 0x80};
	CHECK_EQ(tls_parse_sslv2_client_hello(cmk, sizeof(cmk), ch, &rec_len), TLS_UNSUPPORTED);
	free(ch);
}

static void test_client_max_version(void)
{
	static const struct {
		uint16_t legacy;
		uint8_t n;
		uint16_t v[5];
		uint16_t want;
	} cases[] = {
		{0x0303, 0, {0}, 0x0303},
		{0x0303, 1, {0x1a1a}, 0x0303},			       /* only GREASE */
		{0x0303, 4, {0x0a0a, 0x0303, 0x7f17, 0x0304}, 0x7f17}, /* equal level: first */
		{0x0303, 3, {0x3a3a, 0x0304, 0x0303}, 0x0304},
		{0x0303, 2, {0x0303, 0xfb1a}, 0xfb1a},
		{0x0303, 3, {0x7e02, 0x0304, 0x0303}, 0x7e02},
		{0x0303, 2, {0x0302, 0x0301}, 0x0302},
		{0x0301, 2, {0x0301, 0x0300}, 0x0301},
	};
	struct tls_client_hello *ch = calloc(1, sizeof(*ch));
	if (!ch)
		abort();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ch->legacy_version = cases[i].legacy;
		ch->n_versions = cases[i].n;
		memcpy(ch->versions, cases[i].v, sizeof(cases[i].v));
		CHECK_EQ(tls_client_max_version(ch), cases[i].want);
	}
	free(ch);
}

/* ---- the stream: whole connections ---- */

static const struct fixture *const all_fixtures[] = {
	&fx_chrome_draft23,   &fx_tls12,	 &fx_hrr,	    &fx_sslv2,
	&fx_draft14,	      &fx_smtp_starttls, &fx_early_alert,   &fx_hs_failure,
	&fx_sessionid_resume, &fx_tls13_psk,	 &fx_sslv2_upgrade, &fx_ch_frag_mtu300,
	&fx_ff52_alert,
};

/* Whole segments, byte at a time and 7-byte pieces must agree. */
static void test_feed_chunking(void)
{
	static const size_t chunks[] = {1, 7, 300};
	for (size_t i = 0; i < sizeof(all_fixtures) / sizeof(all_fixtures[0]); i++) {
		struct tls_facts *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
		if (!a || !b)
			abort();
		tf_init(a);
		feed_fixture(a, all_fixtures[i], 0, NULL);
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			tf_init(b);
			feed_fixture(b, all_fixtures[i], chunks[c], NULL);
			check_same_facts(a, b, all_fixtures[i]->name);
			tf_done(b);
		}
		tf_done(a);
		free(a);
		free(b);
	}
}

static struct tls_facts *run_fixture(const struct fixture *fx)
{
	struct tls_facts *f = malloc(sizeof(*f));
	if (!f)
		abort();
	tf_init(f);
	feed_fixture(f, fx, 0, NULL);
	return f;
}

static void free_facts(struct tls_facts *f)
{
	tf_done(f);
	free(f);
}

static void test_connections(void)
{
	struct tls_facts *f;

	/* TLS 1.3 draft 23: ServerHello + CCS, client CCS + encrypted Finished (type 23) */
	f = run_fixture(&fx_chrome_draft23);
	CHECK(f->have_ch && f->have_sh);
	CHECK_EQ(tf_negotiated(f), 0x7f17);
	CHECK(tf_established(f));
	CHECK(tf_done_p(f));
	CHECK(!f->resumed);
	CHECK(!f->hrr);
	CHECK(!f->have_alert);
	CHECK_EQ(f->ch.record_version, 0x0301);
	CHECK_EQ(f->sh.record_version, 0x0303);
	CHECK(f->dir[TLS_DIR_CLIENT].encrypted && f->dir[TLS_DIR_SERVER].encrypted);
	CHECK_EQ(f->ch_records, 1);
	CHECK_EQ(f->n_client_hellos, 1);
	free_facts(f);

	/* TLS 1.2 full handshake: Certificate and ServerHelloDone, both CCS */
	f = run_fixture(&fx_tls12);
	CHECK_EQ(tf_negotiated(f), 0x0303);
	CHECK(tf_established(f));
	CHECK(!f->resumed);
	CHECK(f->dir[TLS_DIR_SERVER].hs_types & (1u << 11));
	CHECK(f->dir[TLS_DIR_SERVER].hs_types & (1u << 14));
	CHECK(f->dir[TLS_DIR_CLIENT].hs_types & (1u << 16));
	CHECK_EQ(f->dir[TLS_DIR_CLIENT].ccs, 1);
	CHECK_EQ(f->dir[TLS_DIR_SERVER].ccs, 1);
	CHECK_EQ(f->dir[TLS_DIR_CLIENT].hs_after_ccs, 1);
	CHECK_EQ(f->sh.cipher, 0x0004);
	free_facts(f);

	/* HelloRetryRequest, then a second ClientHello (zeek__hrr.pcap frames 4-8; the real
	 * ServerHello is after a capture gap and not included) */
	f = run_fixture(&fx_hrr);
	CHECK(f->hrr);
	CHECK(!f->have_sh);
	CHECK(f->have_ch);
	CHECK_EQ(f->n_client_hellos, 2);
	CHECK(f->anomalies & TLS_AN_MULTIPLE_CH);
	CHECK(!f->ch_sent_after_sh);
	CHECK(!tf_established(f));
	CHECK_EQ(f->dir[TLS_DIR_SERVER].ccs, 1);
	free_facts(f);

	/* SSL 2.0: CLIENT-HELLO, SERVER-HELLO, CLIENT-MASTER-KEY 0x0700c0, then encrypted records */
	f = run_fixture(&fx_sslv2);
	CHECK(f->have_ch && f->ch.sslv2_format);
	CHECK(f->have_sh && f->sh.sslv2_format);
	CHECK_EQ(tf_negotiated(f), 0x0002);
	CHECK_EQ(f->sslv2_cipher24, 0x0700c0);
	CHECK_STR(names_sslv2_cipher_known(f->sslv2_cipher24), "SSL2_DES_192_EDE3_CBC_WITH_MD5");
	CHECK(tf_established(f));
	CHECK(!f->resumed);
	CHECK(!f->dir[0].dead && !f->dir[1].dead);
	free_facts(f);

	/* SSLv2-compatible ClientHello answered in TLS 1.0 */
	f = run_fixture(&fx_sslv2_upgrade);
	CHECK(f->have_ch && f->ch.sslv2_format);
	CHECK(f->have_sh && !f->sh.sslv2_format);
	CHECK_EQ(tf_negotiated(f), 0x0301);
	CHECK_EQ(f->sh.cipher, 0x0039);
	CHECK(tf_established(f));
	CHECK(!f->dir[0].dead && !f->dir[1].dead);
	free_facts(f);

	/* draft 14: short ServerHello, then application data both ways */
	f = run_fixture(&fx_draft14);
	CHECK(f->have_sh);
	CHECK_EQ(tf_negotiated(f), 0x0304);
	CHECK_EQ(f->sh.cipher, 0xc02b);
	CHECK(f->dir[TLS_DIR_SERVER].encrypted);
	free_facts(f);

	/* SMTP STARTTLS: plaintext dialogue in both directions, then TLS 1.2 */
	f = run_fixture(&fx_smtp_starttls);
	CHECK(f->anomalies & TLS_AN_PLAINTEXT_PREFIX);
	CHECK_EQ(f->dir[TLS_DIR_SERVER].plaintext_skipped, 54 + 140 + 30);
	CHECK_EQ(f->dir[TLS_DIR_CLIENT].plaintext_skipped, 25 + 10);
	CHECK(f->dir[TLS_DIR_SERVER].plain_len == 224);
	CHECK(memcmp(f->dir[TLS_DIR_SERVER].plain, "220 mx.google.com", 17) == 0);
	CHECK(memcmp(f->dir[TLS_DIR_CLIENT].plain, "EHLO openssl.client.net\r\nSTARTTLS\r\n", 35) == 0);
	CHECK(f->have_ch && f->have_sh);
	CHECK_EQ(f->sh.cipher, 0xc02f);
	CHECK(tf_established(f));
	CHECK(!(f->anomalies & TLS_AN_NOT_TLS));
	free_facts(f);

	/* warning alert unrecognized_name before the ServerHello, in the same record batch */
	f = run_fixture(&fx_early_alert);
	CHECK(f->have_alert);
	CHECK_EQ(f->alert_level, 1);
	CHECK_EQ(f->alert_desc, 112);
	CHECK_EQ(f->alert_sender, TLS_DIR_SERVER);
	CHECK(!f->fatal_alert);
	CHECK(tf_established(f));
	CHECK_STR(f->ch.sni, "jeffbryner.com");
	free_facts(f);

	/* fatal handshake_failure in answer to the ClientHello */
	f = run_fixture(&fx_hs_failure);
	CHECK(f->have_alert);
	CHECK_EQ(f->alert_level, 2);
	CHECK_EQ(f->alert_desc, 40);
	CHECK_EQ(f->alert_sender, TLS_DIR_SERVER);
	CHECK(f->fatal_alert && f->fatal_before_done);
	CHECK(!tf_established(f));
	CHECK(tf_done_p(f));
	CHECK_EQ(tf_negotiated(f), 0);
	free_facts(f);

	/* abbreviated TLS 1.0 handshake: ServerHello, CCS, Finished; ends in an encrypted alert */
	f = run_fixture(&fx_sessionid_resume);
	CHECK(f->resumed);
	CHECK(tf_established(f));
	CHECK_EQ(tf_negotiated(f), 0x0301);
	CHECK(!f->have_alert); /* frame 12's alert is encrypted */
	CHECK_EQ(f->dir[TLS_DIR_SERVER].alerts, 1);
	free_facts(f);

	/* TLS 1.3 PSK resumption */
	f = run_fixture(&fx_tls13_psk);
	CHECK(f->resumed);
	CHECK(tf_established(f));
	CHECK_EQ(tf_negotiated(f), 0x0304);
	free_facts(f);

	/* Firefox 52 TLS 1.3 draft 16: the client answers the server's flight with a plaintext
	 * fatal unknown_ca alert record (zeek__tls13draft16-ff52.a01.pcap frame 8) */
	f = run_fixture(&fx_ff52_alert);
	CHECK(f->have_sh);
	CHECK_EQ(tf_negotiated(f), 0x7f10);
	CHECK(f->have_alert && f->fatal_alert && f->fatal_before_done);
	CHECK_EQ(f->alert_desc, 48);
	CHECK_EQ(f->alert_sender, TLS_DIR_CLIENT);
	CHECK(!tf_established(f));
	free_facts(f);

	/* a ClientHello record over three TCP segments (MTU 300) */
	f = run_fixture(&fx_ch_frag_mtu300);
	CHECK(f->have_ch);
	CHECK_STR(f->ch.sni, "www.google.com");
	CHECK_EQ(f->ch.n_ciphers, 80);
	CHECK_EQ(f->sh.cipher, 0xc02b);
	CHECK(tf_established(f));
	free_facts(f);
}

/* ---- synthetic streams built from real hellos ---- */

/* wrap a handshake message into records of at most `frag` bytes */
static size_t wrap_records(uint8_t *out, size_t cap, uint8_t type, uint16_t version, const uint8_t *msg, size_t len,
			   size_t frag)
{
	size_t o = 0;
	for (size_t off = 0; off < len; off += frag) {
		size_t k = len - off < frag ? len - off : frag;
		if (o + 5 + k > cap)
			abort();
		out[o++] = type;
		out[o++] = (uint8_t)(version >> 8);
		out[o++] = (uint8_t)version;
		out[o++] = (uint8_t)(k >> 8);
		out[o++] = (uint8_t)k;
		memcpy(out + o, msg + off, k);
		o += k;
	}
	return o;
}

/* handshake header + body */
static size_t make_msg(uint8_t *out, size_t cap, uint8_t type, const uint8_t *body, size_t len)
{
	if (len + 4 > cap)
		abort();
	out[0] = type;
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, body, len);
	return len + 4;
}

static void test_synthetic(void)
{
	static uint8_t msg[4096], recs[8192], stream[8192];
	const uint8_t *chb, *shb;
	size_t chlen, shlen, cslen, sslen;
	uint8_t *cs = dir_stream(&fx_tls12, TLS_DIR_CLIENT, &cslen);
	uint8_t *ss = dir_stream(&fx_tls12, TLS_DIR_SERVER, &sslen);
	struct tls_facts *f = malloc(sizeof(*f)), *ref = malloc(sizeof(*ref));
	if (!f || !ref)
		abort();
	CHECK(find_hello(cs, cslen, 0, 1, &chb, &chlen, NULL));
	CHECK(find_hello(ss, sslen, 0, 2, &shb, &shlen, NULL));

	tf_init(ref);
	size_t mlen = make_msg(msg, sizeof(msg), 1, chb, chlen);
	size_t n = wrap_records(recs, sizeof(recs), 22, 0x0301, msg, mlen, 16384);
	feed_all(ref, TLS_DIR_CLIENT, recs, n);
	CHECK(ref->have_ch);
	CHECK_EQ(ref->ch_records, 1);

	/* one ClientHello over several records (RFC 8446 5.1 fragmentation), also byte at a time */
	static const size_t frags[] = {1, 3, 4, 5, 50, 100};
	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		tf_init(f);
		n = wrap_records(recs, sizeof(recs), 22, 0x0301, msg, mlen, frags[i]);
		feed_all(f, TLS_DIR_CLIENT, recs, n);
		CHECK(f->have_ch);
		CHECK(memcmp(&f->ch, &ref->ch, sizeof(f->ch)) == 0);
		CHECK_EQ(f->ch_records, (mlen + frags[i] - 1) / frags[i]);
		CHECK_EQ(f->dir[0].records, (mlen + frags[i] - 1) / frags[i]);
		tf_done(f);

		tf_init(f);
		size_t pend = 0;
		for (size_t k = 0; k < n; k++) {
			pend++;
			size_t used = tf_feed(f, TLS_DIR_CLIENT, recs + k + 1 - pend, pend, NULL);
			pend -= used;
		}
		CHECK_EQ(pend, 0);
		CHECK(f->have_ch && memcmp(&f->ch, &ref->ch, sizeof(f->ch)) == 0);
		tf_done(f);
	}

	/* two (three) messages in one record: ServerHello + Certificate + ServerHelloDone,
	 * then CCS: a full handshake, not resumed */
	tf_init(f);
	feed_all(f, TLS_DIR_CLIENT, recs, wrap_records(recs, sizeof(recs), 22, 0x0301, msg, mlen, 16384));
	size_t o = make_msg(stream, sizeof(stream), 2, shb, shlen);
	static const uint8_t cert[] = {0x00, 0x00, 0x00}; /* empty certificate_list */
	o += make_msg(stream + o, sizeof(stream) - o, 11, cert, sizeof(cert));
	o += make_msg(stream + o, sizeof(stream) - o, 14, cert, 0);
	n = wrap_records(recs, sizeof(recs), 22, 0x0303, stream, o, 16384);
	static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
	memcpy(recs + n, ccs, sizeof(ccs));
	feed_all(f, TLS_DIR_SERVER, recs, n + sizeof(ccs));
	CHECK(f->have_sh);
	CHECK_EQ(f->dir[1].records, 2);
	CHECK_EQ(f->dir[1].hs_types, (1u << 2) | (1u << 11) | (1u << 14));
	CHECK(!f->resumed);
	CHECK(f->dir[1].encrypted);
	CHECK(!tf_established(f));
	feed_all(f, TLS_DIR_CLIENT, ccs, sizeof(ccs));
	CHECK(tf_established(f));
	/* an alert after the client's CCS is encrypted: counted, not decoded */
	static const uint8_t alert_fatal[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	feed_all(f, TLS_DIR_CLIENT, alert_fatal, sizeof(alert_fatal));
	CHECK(!f->have_alert);
	CHECK_EQ(f->dir[0].alerts, 1);
	tf_done(f);

	/* ServerHello then CCS directly: abbreviated handshake -> resumed */
	tf_init(f);
	n = wrap_records(recs, sizeof(recs), 22, 0x0303, stream, shlen + 4, 16384);
	memcpy(recs + n, ccs, sizeof(ccs));
	feed_all(f, TLS_DIR_SERVER, recs, n + sizeof(ccs));
	CHECK(f->have_sh && f->resumed);
	tf_done(f);

	/* plaintext alert before the ServerHello is decoded; in TLS 1.3 after the ServerHello it is not */
	tf_init(f);
	feed_all(f, TLS_DIR_SERVER, alert_fatal, sizeof(alert_fatal));
	CHECK(f->have_alert && f->fatal_alert && f->fatal_before_done);
	CHECK_EQ(f->alert_desc, 40);
	tf_done(f);

	struct tls_facts *g = run_fixture(&fx_chrome_draft23);
	CHECK(tf_established(g));
	/* TLS 1.3 sends protected alerts as application_data: an outer alert record after
	 * the ServerHello is plaintext and is decoded (zeek tls13draft16-ff52: unknown_ca) */
	feed_all(g, TLS_DIR_SERVER, alert_fatal, sizeof(alert_fatal));
	CHECK(g->have_alert && g->fatal_alert);
	CHECK(!g->fatal_before_done); /* came after the handshake completed */
	CHECK(tf_established(g));
	free_facts(g);

	/* plaintext prefix before the ClientHello, whole and byte at a time */
	static const char banner[] = "220 smtp ready\r\n";
	size_t blen = sizeof(banner) - 1;
	memcpy(stream, banner, blen);
	n = wrap_records(stream + blen, sizeof(stream) - blen, 22, 0x0301, msg, mlen, 16384);
	for (size_t step = 0; step < 2; step++) {
		tf_init(f);
		if (step == 0) {
			feed_all(f, TLS_DIR_CLIENT, stream, blen + n);
		} else {
			size_t pend = 0;
			for (size_t k = 0; k < blen + n; k++) {
				pend++;
				pend -= tf_feed(f, TLS_DIR_CLIENT, stream + k + 1 - pend, pend, NULL);
				CHECK(pend <= 5 || f->dir[0].started);
			}
			CHECK_EQ(pend, 0);
		}
		CHECK(f->anomalies & TLS_AN_PLAINTEXT_PREFIX);
		CHECK_EQ(f->dir[0].plaintext_skipped, blen);
		CHECK_EQ(f->dir[0].plain_len, blen);
		CHECK(memcmp(f->dir[0].plain, banner, blen) == 0);
		CHECK(f->have_ch && memcmp(&f->ch, &ref->ch, sizeof(f->ch)) == 0);
		tf_done(f);
	}

	/* a plaintext tail that could begin a record is not consumed */
	tf_init(f);
	memcpy(stream, "HELLO\x16\x03\x01", 8);
	CHECK_EQ(tf_feed(f, TLS_DIR_CLIENT, stream, 8, NULL), 5);
	CHECK(!f->dir[0].started);
	tf_done(f);

	/* never TLS: gives up after max_plaintext and then consumes everything */
	struct tls_limits lim = {.max_handshake = 0, .max_plaintext = 100};
	tf_init(f);
	memset(stream, 'A', 300);
	size_t used = tf_feed(f, TLS_DIR_CLIENT, stream, 300, &lim);
	CHECK_EQ(used, 300);
	CHECK(f->dir[0].dead);
	CHECK(f->anomalies & TLS_AN_NOT_TLS);
	CHECK_EQ(f->dir[0].plain_len, TLS_PLAINTEXT_KEEP < 300 ? TLS_PLAINTEXT_KEEP : 101);
	CHECK_EQ(tf_feed(f, TLS_DIR_CLIENT, stream, 10, &lim), 10);
	tf_done(f);

	/* record longer than TLS_MAX_RECORD */
	tf_init(f);
	static const uint8_t huge[] = {0x16, 0x03, 0x01, 0x48, 0x01, 0x01};
	feed_all(f, TLS_DIR_CLIENT, recs, wrap_records(recs, sizeof(recs), 22, 0x0301, msg, mlen, 16384));
	CHECK_EQ(tf_feed(f, TLS_DIR_CLIENT, huge, sizeof(huge), NULL), sizeof(huge));
	CHECK(f->anomalies & TLS_AN_RECORD_TOO_BIG);
	CHECK(f->dir[0].dead);
	tf_done(f);

	/* ClientHello bigger than max_handshake: skipped, counted, flagged */
	lim.max_handshake = 64;
	lim.max_plaintext = 0;
	for (size_t i = 0; i < 2; i++) {
		tf_init(f);
		n = wrap_records(recs, sizeof(recs), 22, 0x0301, msg, mlen, i ? 30 : 16384);
		CHECK_EQ(tf_feed(f, TLS_DIR_CLIENT, recs, n, &lim), n);
		CHECK(!f->have_ch);
		CHECK_EQ(f->n_client_hellos, 1);
		CHECK(f->anomalies & TLS_AN_HS_TOO_BIG);
		CHECK(!f->dir[0].dead);
		CHECK(tls_conn_heap(f->conn) <= 512 + 64); /* the state and at most max_handshake of buffer */
		tf_done(f);
	}

	/* a ClientHello whose cipher_suites length overruns the message (as in
	 * ndpi__tls_cipher_lens.pcap): not have_ch, but ch_status and the fields before */
	tf_init(f);
	memcpy(stream, msg, mlen);
	stream[4 + 2 + 32 + 1] = 0x7f; /* cipher_suites length high byte */
	feed_all(f, TLS_DIR_CLIENT, recs, wrap_records(recs, sizeof(recs), 22, 0x0301, stream, mlen, 16384));
	CHECK(!f->have_ch);
	CHECK_EQ(f->ch_status, TLS_TRUNCATED);
	CHECK_EQ(f->ch.legacy_version, 0x0303);
	CHECK_EQ(f->ch.record_version, 0x0301);
	CHECK_EQ(f->n_client_hellos, 1);
	tf_done(f);

	/* tls_looks_like_client_hello on things that are not */
	CHECK_EQ(tls_looks_like_client_hello((const uint8_t *)"GET / HTTP/1.1\r\n", 16), TLS_UNSUPPORTED);
	CHECK_EQ(tls_looks_like_client_hello(ss, sslen), TLS_UNSUPPORTED); /* a ServerHello */
	CHECK_EQ(tls_looks_like_client_hello(ss, 0), TLS_NEED_MORE);

	/* a ClientHello with no extensions block (SSL 3.0 / TLS 1.0 era) */
	{
		struct br r = br_make(chb, chlen);
		br_skip(&r, 2 + 32);
		struct br sid = br_vec8(&r);
		struct br suites = br_vec16(&r);
		struct br comp = br_vec8(&r);
		(void)sid;
		(void)suites;
		(void)comp;
		CHECK(br_ok(&r));
		struct tls_client_hello *ch = malloc(sizeof(*ch));
		if (!ch)
			abort();
		CHECK_EQ(tls_parse_client_hello(chb, r.off, ch), TLS_OK);
		CHECK_EQ(ch->n_exts_total, 0);
		CHECK_EQ(ch->n_ciphers, 80);
		CHECK_EQ(tls_parse_client_hello(chb, r.off + 1, ch), TLS_OK); /* one stray byte */
		CHECK(ch->anomalies & TLS_AN_TRAILING_BYTES);
		CHECK_EQ(tls_parse_client_hello(chb, r.off + 3, ch), TLS_TRUNCATED);
		CHECK_EQ(ch->n_ciphers, 80); /* fields before the error are kept */
		CHECK_EQ(ch->legacy_version, 0x0303);
		free(ch);
	}

	/* duplicate extension, odd cipher length, long SNI */
	{
		static uint8_t b[600];
		struct tls_client_hello *ch = malloc(sizeof(*ch));
		if (!ch)
			abort();
		size_t k = 0;
		b[k++] = 0x03, b[k++] = 0x03;
		memset(b + k, 0x11, 32), k += 32;
		b[k++] = 0;							     /* session id */
		b[k++] = 0, b[k++] = 3, b[k++] = 0x13, b[k++] = 0x01, b[k++] = 0x13; /* odd suites */
		b[k++] = 1, b[k++] = 0;						     /* compression */
		size_t ext_len_at = k;
		k += 2;
		/* server_name with a 300-byte host_name */
		b[k++] = 0, b[k++] = 0, b[k++] = (uint8_t)((305) >> 8), b[k++] = (uint8_t)305;
		b[k++] = (uint8_t)(303 >> 8), b[k++] = (uint8_t)303, b[k++] = 0;
		b[k++] = (uint8_t)(300 >> 8), b[k++] = (uint8_t)300;
		memset(b + k, 'a', 300), k += 300;
		/* early_data twice */
		b[k++] = 0, b[k++] = 42, b[k++] = 0, b[k++] = 0;
		b[k++] = 0, b[k++] = 42, b[k++] = 0, b[k++] = 0;
		b[ext_len_at] = (uint8_t)((k - ext_len_at - 2) >> 8);
		b[ext_len_at + 1] = (uint8_t)(k - ext_len_at - 2);
		CHECK_EQ(tls_parse_client_hello(b, k, ch), TLS_OK);
		CHECK(ch->anomalies & TLS_AN_DUP_EXTENSION);
		CHECK(ch->anomalies & TLS_AN_ODD_CIPHER_LEN);
		CHECK(ch->anomalies & TLS_AN_SNI_TRUNCATED);
		CHECK_EQ(ch->n_ciphers, 1);
		CHECK_EQ(ch->sni_len, TLS_MAX_SNI);
		CHECK_EQ(strlen(ch->sni), TLS_MAX_SNI);
		CHECK(ch->has_early_data);
		CHECK_EQ(ch->n_exts, 3);
		free(ch);
	}

	free_facts(ref);
	free(f);
	free(cs);
	free(ss);
}

/* ---- loading the fixtures from the corpus ---- */

static void fx_fail(const struct fixture *fx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void fx_fail(const struct fixture *fx, const char *path, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "test_tls: FAIL: cannot load fixture %s from %s: ", fx->name, path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(fixtures are read from the shared corpus at test time; regenerate fixtures.h "
			"with gen_fixtures.py if the corpus changed)\n");
	exit(1);
}

/* Read fx's bytes from <corpus>/pcaps/<fx->pcap>: the TCP payloads of its segments' frames
 * (frames counted from 1 in file order, as tshark's frame.number), concatenated in segment
 * order. Each payload must have the recorded length and each direction one source port. */
static void load_fixture(const char *corpus, struct fixture *fx)
{
	char path[4096], err[512];
	int n = snprintf(path, sizeof(path), "%s/pcaps/%s", corpus, fx->pcap);
	if (n < 0 || (size_t)n >= sizeof(path))
		fx_fail(fx, corpus, "path too long");
	size_t want = 0;
	for (size_t i = 0; i < fx->n_segs; i++) {
		if (fx->segs[i].dir > 1 || (i && fx->segs[i].frame <= fx->segs[i - 1].frame))
			fx_fail(fx, path, "segment %zu: bad direction or frame order in fixtures.h", i);
		want += fx->segs[i].len;
	}
	if (want != fx->data_len)
		fx_fail(fx, path, "fixtures.h: segment lengths sum to %zu, data_len is %zu", want, fx->data_len);

	struct capfile *cf = NULL;
	if (capfile_open(path, &cf, err, sizeof(err)) < 0)
		fx_fail(fx, path, "%s", err);
	uint8_t *buf = malloc(want ? want : 1);
	if (!buf)
		abort();
	size_t got = 0, next = 0;
	uint32_t frame = 0;
	int port[2] = {-1, -1};
	while (next < fx->n_segs) {
		const struct fx_seg *s = &fx->segs[next];
		struct cap_frame fr;
		enum cap_status st = capfile_next(cf, &fr, err, sizeof(err));
		if (st == CAP_EOF)
			fx_fail(fx, path, "capture ends after frame %u, before frame %u", frame, s->frame);
		if (st != CAP_OK)
			fx_fail(fx, path, "after frame %u: %s", frame, err);
		if (++frame != s->frame)
			continue;
		struct pkt p;
		enum decode_status ds = decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p);
		if (ds != DECODE_OK)
			fx_fail(fx, path, "frame %u: not a decodable TCP segment (decode status %d)", frame, (int)ds);
		if (p.payload_len != s->len)
			fx_fail(fx, path, "frame %u: TCP payload is %zu bytes, fixtures.h says %lu", frame,
				p.payload_len, (unsigned long)s->len);
		if (port[s->dir] < 0)
			port[s->dir] = p.sport;
		if (port[s->dir] != p.sport || port[s->dir] == port[!s->dir])
			fx_fail(fx, path, "frame %u: source port %u does not fit direction %u", frame, p.sport, s->dir);
		memcpy(buf + got, p.payload, p.payload_len);
		got += p.payload_len;
		next++;
	}
	capfile_free(cf);
	if (got != want)
		fx_fail(fx, path, "loaded %zu bytes, the segments' lengths sum to %zu", got, want);
	fx->data = buf;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR  (the shared corpus, e.g. ../shared/corpus; meson passes it)\n",
			argv[0]);
		return 1;
	}
	char pcaps[4096];
	struct stat sb;
	int n = snprintf(pcaps, sizeof(pcaps), "%s/pcaps", argv[1]);
	bool have_corpus = n >= 0 && (size_t)n < sizeof(pcaps) && stat(pcaps, &sb) == 0 && S_ISDIR(sb.st_mode);

	/* what needs no capture */
	test_reader();
	test_names();
	test_cipher_flags();
	test_client_max_version();
	const size_t n_fx = sizeof(fx_all) / sizeof(fx_all[0]);
	if (!have_corpus) {
		printf("SKIP: the hellos, connections, chunking and synthetic-record tests read their fixtures from "
		       "the shared corpus: %s not found (-Dcorpus=DIR or TLSAUDIT_CORPUS at setup)\n",
		       pcaps);
	} else {
		for (size_t i = 0; i < n_fx; i++)
			load_fixture(argv[1], fx_all[i]);
		test_client_hellos();
		test_server_hellos();
		test_sslv2_hello();
		test_feed_chunking();
		test_connections();
		test_synthetic();
	}
	printf("%u checks, %u failures\n", checks, failures);
	for (size_t i = 0; i < n_fx; i++) {
		free(fx_all[i]->data);
		fx_all[i]->data = NULL;
	}
	return failures ? 1 : 0;
}
