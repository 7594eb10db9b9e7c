/* test_fingerprint.c - JA3/JA3S/JA4 (src/fingerprint) on synthetic hellos and on real hellos read at test time
 * from the shared corpus (argv[1]): JA4 against FoxIO's expected outputs (the corpus ja4 directory), JA3/JA3S
 * against constants taken from tshark 4.0.17. No corpus bytes are copied into this file.
 *
 * The harness reassembles each TCP direction by a simple in-order concatenation
 * (retransmitted bytes dropped by sequence number, gaps end the stream) and
 * walks the TLS records itself so that it sees every ClientHello of a
 * connection (the second one after a HelloRetryRequest included), which
 * struct tls_facts does not keep. */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/fingerprint.h"
#include "tlsaudit/names.h"
#include "tlsaudit/tls.h"
#include "../tls_facts_test.h"

static int failures;
#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                   \
			fputc('\n', stderr);                            \
			failures++;                                     \
		}                                                       \
	} while (0)
#define CHECK_STR(got, want) CHECK(strcmp((got), (want)) == 0, "got \"%s\", want \"%s\"", (got), (want))

/* ---- synthetic hellos ---------------------------------------------------- */

static void set_u16(uint16_t *dst, uint16_t *n, const uint16_t *src, size_t cnt)
{
	memcpy(dst, src, cnt * sizeof(*src));
	*n = (uint16_t)cnt;
}

static void set_alpn(struct tls_client_hello *ch, const char *first, size_t first_len)
{
	ch->alpn[0] = (uint8_t)first_len;
	memcpy(&ch->alpn[1], first, first_len);
	ch->alpn[1 + first_len] = 8;
	memcpy(&ch->alpn[2 + first_len], "http/1.1", 8);
	ch->alpn_len = (uint16_t)(2 + first_len + 8);
}

/* A Chrome-like TLS 1.3 ClientHello with GREASE everywhere GREASE goes; its JA4 is
 * the worked example of FoxIO's JA4 documentation, t13d1516h2_8daaf6152771_e5627efa2ab1. */
static void chrome_like(struct tls_client_hello *ch)
{
	static const uint16_t ciphers[] = {0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
					   0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
	static const uint16_t exts[] = {0xbaba, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005,
					0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x4469, 0x1a1a, 0x0015};
	static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
	static const uint16_t versions[] = {0x7a7a, 0x0304, 0x0303};
	static const uint16_t groups[] = {0x2a2a, 0x001d, 0x0017, 0x0018};
	memset(ch, 0, sizeof(*ch));
	ch->record_version = 0x0301;
	ch->legacy_version = 0x0303;
	set_u16(ch->ciphers, &ch->n_ciphers, ciphers, sizeof(ciphers) / sizeof(ciphers[0]));
	ch->n_ciphers_total = ch->n_ciphers;
	set_u16(ch->exts, &ch->n_exts, exts, sizeof(exts) / sizeof(exts[0]));
	ch->n_exts_total = ch->n_exts;
	memcpy(ch->sigalgs, sigalgs, sizeof(sigalgs));
	ch->n_sigalgs = sizeof(sigalgs) / sizeof(sigalgs[0]);
	memcpy(ch->versions, versions, sizeof(versions));
	ch->n_versions = 3;
	ch->has_supported_versions = true;
	memcpy(ch->groups, groups, sizeof(groups));
	ch->n_groups = 4;
	ch->point_formats[0] = 0;
	ch->n_point_formats = 1;
	ch->has_sni = true;
	memcpy(ch->sni, "example.com", 12);
	ch->sni_len = 11;
	set_alpn(ch, "h2", 2);
}

static void remove_ext(struct tls_client_hello *ch, uint16_t type)
{
	uint16_t k = 0;
	for (uint16_t i = 0; i < ch->n_exts; i++)
		if (ch->exts[i] != type)
			ch->exts[k++] = ch->exts[i];
	ch->n_exts = ch->n_exts_total = k;
}

static void test_synthetic(void)
{
	static struct tls_client_hello ch;
	char ja4[FP_JA4_LEN], raw[4096], ja3[FP_JA3_LEN], str[4096];

	/* the documented example: GREASE out of ciphers, extensions, versions; SNI and ALPN counted, not hashed */
	chrome_like(&ch);
	fp_ja4(&ch, false, ja4, raw, sizeof(raw));
	CHECK_STR(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	CHECK_STR(raw, "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"
		       "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
		       "0403,0804,0401,0503,0805,0501,0806,0601");
	fp_ja4(&ch, true, ja4, NULL, 0);
	CHECK_STR(ja4, "q13d1516h2_8daaf6152771_e5627efa2ab1");

	/* JA3: decimal, GREASE out of ciphers, extensions and groups; md5 from `printf %s STR | md5sum` */
	fp_ja3(&ch, ja3, str, sizeof(str));
	CHECK_STR(str, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
		       "0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0");
	CHECK_STR(ja3, "cd08e31494f9531f560d64c695473da9");
	/* the pre-hash string is truncated to the caller's buffer, the hash is not affected */
	char small[8];
	char ja3b[FP_JA3_LEN];
	fp_ja3(&ch, ja3b, small, sizeof(small));
	CHECK_STR(small, "771,486");
	CHECK_STR(ja3b, ja3);

	/* no SNI: 'i' (SNI is gone from the count as well) */
	chrome_like(&ch);
	ch.has_sni = false;
	remove_ext(&ch, 0x0000);
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK_STR(ja4, "t13i1515h2_8daaf6152771_e5627efa2ab1");

	/* no ALPN: "00" */
	chrome_like(&ch);
	ch.alpn_len = 0;
	remove_ext(&ch, 0x0010);
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK_STR(ja4, "t13d151500_8daaf6152771_e5627efa2ab1");

	/* ALPN first value: http/1.1 -> h1; one byte "h" -> hh; first byte outside ASCII -> 99 (reference);
	 * last byte outside ASCII -> '9'; control byte at an end -> first/last hex digit */
	chrome_like(&ch);
	set_alpn(&ch, "http/1.1", 8);
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "t13d1516h1_", 11) == 0, "%s", ja4);
	set_alpn(&ch, "h", 1);
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "t13d1516hh_", 11) == 0, "%s", ja4);
	set_alpn(&ch, "\xba\xad", 2);
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "t13d151699_", 11) == 0, "%s", ja4);
	set_alpn(&ch, "h\xff", 2);
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "t13d1516h9_", 11) == 0, "%s", ja4);
	set_alpn(&ch, "\x01h", 2);
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "t13d151608_", 11) == 0, "%s", ja4);
	ch.alpn[0] = 0; /* empty first protocol name */
	ch.alpn_len = 1;
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "t13d151600_", 11) == 0, "%s", ja4);

	/* more than 99 ciphers: the count saturates at 99; all of them are hashed */
	chrome_like(&ch);
	for (uint16_t i = 0; i < 120; i++)
		ch.ciphers[i] = (uint16_t)(0x0100 + i);
	ch.n_ciphers = ch.n_ciphers_total = 120;
	fp_ja4(&ch, false, ja4, raw, sizeof(raw));
	CHECK(strncmp(ja4, "t13d9916h2_", 11) == 0, "%s", ja4);
	CHECK(strstr(raw, "_0100,0101,") != NULL && strstr(raw, ",0177_") != NULL, "%s", raw);

	/* only GREASE ciphers: count 00, zero hash */
	chrome_like(&ch);
	ch.n_ciphers = 1;
	fp_ja4(&ch, false, ja4, raw, sizeof(raw));
	CHECK(strncmp(ja4, "t13d0016h2_000000000000_e5627efa2ab1", FP_JA4_LEN) == 0, "%s", ja4);
	CHECK(strncmp(raw, "t13d0016h2__0005,", 17) == 0, "%s", raw);

	/* no supported_versions: legacy_version decides; no signature_algorithms extension: no "_" part */
	chrome_like(&ch);
	ch.has_supported_versions = false;
	ch.n_versions = 0;
	remove_ext(&ch, 0x002b);
	remove_ext(&ch, 0x000d);
	ch.n_sigalgs = 0;
	fp_ja4(&ch, false, ja4, raw, sizeof(raw));
	CHECK(strncmp(ja4, "t12d1514h2_8daaf6152771_", 24) == 0, "%s", ja4);
	CHECK(strstr(raw, ",ff01") != NULL && raw[strlen(raw) - 1] == '1' && strstr(raw, "ff01_") == NULL, "%s", raw);
	/* signature_algorithms present but empty: the "_" stays (reference behaviour) */
	ch.exts[ch.n_exts++] = 0x000d;
	ch.n_exts_total = ch.n_exts;
	fp_ja4(&ch, false, ja4, raw, sizeof(raw));
	CHECK(raw[strlen(raw) - 1] == '_', "%s", raw);

	/* versions: SSL 3.0, DTLS 1.2, unknown; supported_versions holding only GREASE -> legacy_version */
	chrome_like(&ch);
	ch.has_supported_versions = false;
	ch.legacy_version = 0x0300;
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "ts3d", 4) == 0, "%s", ja4);
	ch.legacy_version = 0xfefd;
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "td2d", 4) == 0, "%s", ja4);
	ch.legacy_version = 0x1234;
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "t00d", 4) == 0, "%s", ja4);
	ch.legacy_version = 0x0301;
	ch.has_supported_versions = true;
	ch.versions[0] = 0x0a0a;
	ch.n_versions = 1;
	fp_ja4(&ch, false, ja4, NULL, 0);
	CHECK(strncmp(ja4, "t10d", 4) == 0, "%s", ja4);

	/* no extensions at all (SSL 3.0 style): zero hash, JA3 with empty lists */
	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0300;
	ch.ciphers[0] = 0x0004;
	ch.ciphers[1] = 0x0005;
	ch.n_ciphers = ch.n_ciphers_total = 2;
	fp_ja4(&ch, false, ja4, raw, sizeof(raw));
	CHECK(strncmp(ja4, "ts3i020000_", 11) == 0 && strcmp(ja4 + 23, "_000000000000") == 0, "%s", ja4);
	CHECK_STR(raw, "ts3i020000_0004,0005_");
	fp_ja3(&ch, ja3, str, sizeof(str));
	CHECK_STR(str, "768,4-5,,,");

	/* JA3S */
	static struct tls_server_hello sh;
	memset(&sh, 0, sizeof(sh));
	sh.legacy_version = 0x0303;
	sh.cipher = 0xc02f;
	sh.exts[0] = 0xff01;
	sh.exts[1] = 0x000b;
	sh.n_exts = sh.n_exts_total = 2;
	fp_ja3s(&sh, ja3, str, sizeof(str));
	CHECK_STR(str, "771,49199,65281-11");
	CHECK_STR(ja3, "303951d4c50efb2e991652225a6f02b1");
}

/* ---- corpus ---------------------------------------------------------------- */

struct stream {
	uint8_t family, src[16], dst[16];
	uint16_t sport, dport;
	bool have_seq, gap;
	uint32_t next_seq;
	uint8_t *buf;
	size_t len, cap;
};

struct conns {
	struct stream *v;
	size_t n, cap;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return q;
}

static struct stream *stream_get(struct conns *c, const struct pkt *p)
{
	size_t alen = p->family == 4 ? 4 : 16;
	for (size_t i = 0; i < c->n; i++) {
		struct stream *s = &c->v[i];
		if (s->family == p->family && s->sport == p->sport && s->dport == p->dport &&
		    memcmp(s->src, p->src, alen) == 0 && memcmp(s->dst, p->dst, alen) == 0)
			return s;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	struct stream *s = &c->v[c->n++];
	memset(s, 0, sizeof(*s));
	s->family = p->family;
	memcpy(s->src, p->src, 16);
	memcpy(s->dst, p->dst, 16);
	s->sport = p->sport;
	s->dport = p->dport;
	return s;
}

/* In-order concatenation by sequence number; a repeated SYN (port reuse) restarts the stream. */
static void stream_add(struct stream *s, const struct pkt *p)
{
	if (p->tcp_flags & TCP_SYN) {
		if (s->len == 0 || !s->have_seq || p->seq + 1 != s->next_seq) {
			s->len = 0;
			s->gap = false;
		}
		s->have_seq = true;
		s->next_seq = p->seq + 1;
		return;
	}
	if (p->payload_len == 0 || s->gap)
		return;
	if (!s->have_seq) {
		s->have_seq = true;
		s->next_seq = p->seq;
	}
	uint32_t off = s->next_seq - p->seq; /* bytes of this segment already in the stream */
	if ((int32_t)off < 0) {
		s->gap = true; /* data missing (or reordered): the simple harness stops here */
		return;
	}
	if (off >= p->payload_len)
		return; /* retransmission */
	size_t add = p->payload_len - off;
	if (s->len + add > s->cap) {
		s->cap = (s->len + add) * 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p->payload + off, add);
	s->len += add;
	s->next_seq += (uint32_t)add;
}

static void load_pcap(const char *path, struct conns *c)
{
	char err[512];
	struct capfile *cf;
	memset(c, 0, sizeof(*c));
	if (capfile_open(path, &cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "cannot open %s: %s\n", path, err);
		exit(2);
	}
	struct cap_frame fr;
	while (capfile_next(cf, &fr, err, sizeof(err)) == CAP_OK) {
		struct pkt p;
		if (decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p) != DECODE_OK)
			continue;
		stream_add(stream_get(c, &p), &p);
	}
	capfile_free(cf);
}

static void conns_free(struct conns *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].buf);
	free(c->v);
}

static const struct stream *stream_reverse(const struct conns *c, const struct stream *s)
{
	size_t alen = s->family == 4 ? 4 : 16;
	for (size_t i = 0; i < c->n; i++) {
		const struct stream *r = &c->v[i];
		if (r->family == s->family && r->sport == s->dport && r->dport == s->sport &&
		    memcmp(r->src, s->dst, alen) == 0 && memcmp(r->dst, s->src, alen) == 0)
			return r;
	}
	return NULL;
}

#define MAX_HELLOS 4

struct hellos {
	size_t n;
	struct tls_client_hello ch[MAX_HELLOS];
	struct tls_server_hello sh[MAX_HELLOS];
};

static uint32_t be(const uint8_t *p, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Walk the records of one direction and parse each handshake message of type want (1 or 2). */
static void walk(const uint8_t *s, size_t len, uint8_t want, struct hellos *out)
{
	static uint8_t hs[1 << 17];
	size_t hs_len = 0, off = 0;
	memset(out, 0, sizeof(*out));
	if (want == 1 && len >= 2 && (s[0] & 0x80)) { /* SSLv2-compatible CLIENT-HELLO */
		size_t rec_len;
		if (tls_parse_sslv2_client_hello(s, len, &out->ch[0], &rec_len) == TLS_OK) {
			out->n = 1;
			off = rec_len;
		}
	}
	while (len - off >= 5 && out->n < MAX_HELLOS) {
		uint8_t type = s[off];
		size_t rlen = be(s + off + 3, 2);
		if (rlen > len - off - 5)
			break;
		if (type == 23 || (type != 20 && type != 21 && type != 22))
			break;
		if (type == 22 && hs_len + rlen <= sizeof(hs)) {
			memcpy(hs + hs_len, s + off + 5, rlen);
			hs_len += rlen;
		}
		off += 5 + rlen;
		while (hs_len >= 4 && out->n < MAX_HELLOS) {
			size_t mlen = be(hs + 1, 3);
			if (mlen > hs_len - 4)
				break;
			if (hs[0] == want) {
				enum tls_status st = want == 1 ? tls_parse_client_hello(hs + 4, mlen, &out->ch[out->n])
							       : tls_parse_server_hello(hs + 4, mlen, &out->sh[out->n]);
				if (st == TLS_OK)
					out->n++;
			}
			memmove(hs, hs + 4 + mlen, hs_len - 4 - mlen);
			hs_len -= 4 + mlen;
		}
	}
}

static void ip_str(const struct stream *s, const uint8_t *a, char out[static 64])
{
	if (!inet_ntop(s->family == 4 ? AF_INET : AF_INET6, a, out, 64))
		out[0] = '\0';
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	do {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* The value of "key": "..." or "key": N inside obj (a NUL-terminated JSON object written by
 * json.dump: no escapes in the values read here). */
static bool json_get(const char *obj, const char *key, char *out, size_t out_len)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(obj, pat);
	if (!p)
		return false;
	p += strlen(pat);
	bool quoted = *p == '"';
	if (quoted)
		p++;
	size_t n = 0;
	while (*p && n + 1 < out_len && (quoted ? *p != '"' : (*p != ',' && *p != '\n' && *p != '}')))
		out[n++] = *p++;
	out[n] = '\0';
	return true;
}

struct tally {
	unsigned entries[3], found[3], ja4_ok[3], raw_ok[3];
};

static void check_ja4_file(const char *corpus, const char *json_name, struct tally *t)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/ja4/%s", corpus, json_name);
	char *js = read_file(path);
	char capture[512];
	CHECK(json_get(js, "capture", capture, sizeof(capture)), "%s: no capture", path);
	snprintf(path, sizeof(path), "%s/%s", corpus, capture);
	struct conns c;
	load_pcap(path, &c);

	static struct hellos hl;
	char *p = js;
	while ((p = strstr(p, "\"client_ip\"")) != NULL) {
		char *end = strchr(p, '}');
		if (!end)
			break;
		*end = '\0';
		char cip[64], cport[16], sip[64], sport[16], hello[8], want[FP_JA4_LEN + 8], want_raw[4096];
		bool ok = json_get(p, "client_ip", cip, sizeof(cip)) &&
			  json_get(p, "client_port", cport, sizeof(cport)) &&
			  json_get(p, "server_ip", sip, sizeof(sip)) &&
			  json_get(p, "server_port", sport, sizeof(sport)) &&
			  json_get(p, "hello", hello, sizeof(hello)) && json_get(p, "ja4", want, sizeof(want)) &&
			  json_get(p, "ja4_r", want_raw, sizeof(want_raw));
		CHECK(ok, "%s: incomplete entry", json_name);
		unsigned long h = strtoul(hello, NULL, 10);
		size_t hi = h >= 1 && h <= 2 ? h : 0;
		t->entries[hi]++;
		bool found = false;
		for (size_t i = 0; ok && hi && i < c.n && !found; i++) {
			const struct stream *s = &c.v[i];
			char a[64], b[64];
			ip_str(s, s->src, a);
			ip_str(s, s->dst, b);
			if (strcmp(a, cip) || strcmp(b, sip) || s->sport != strtoul(cport, NULL, 10) ||
			    s->dport != strtoul(sport, NULL, 10))
				continue;
			walk(s->buf, s->len, 1, &hl);
			if (hl.n < hi)
				continue;
			found = true;
			char ja4[FP_JA4_LEN], raw[4096];
			fp_ja4(&hl.ch[hi - 1], false, ja4, raw, sizeof(raw));
			t->found[hi]++;
			if (strcmp(ja4, want) == 0)
				t->ja4_ok[hi]++;
			else
				CHECK(0, "%s %s:%s hello %zu: ja4 %s, want %s", json_name, cip, cport, hi, ja4, want);
			if (strcmp(raw, want_raw) == 0)
				t->raw_ok[hi]++;
			else
				CHECK(0, "%s %s:%s hello %zu: ja4_r\n  got  %s\n  want %s", json_name, cip, cport, hi,
				      raw, want_raw);
		}
		if (!found)
			fprintf(stderr, "note: %s %s:%s hello %lu not seen by the simple reassembly\n", json_name, cip,
				cport, h);
		p = end + 1;
	}
	conns_free(&c);
	free(js);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_ja4_corpus(const char *corpus)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/ja4", corpus);
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "FAIL: corpus directory %s missing (set -Dcorpus=DIR)\n", dir);
		exit(2);
	}
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 256) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	CHECK(n > 0, "no ja4/*.json in %s", corpus);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < n; i++) {
		check_ja4_file(corpus, names[i], &t);
		free(names[i]);
	}
	for (size_t h = 1; h <= 2; h++)
		printf("JA4 hello %zu: %u entries, %u parsed, ja4 %u/%u match, ja4_r %u/%u match\n", h, t.entries[h],
		       t.found[h], t.ja4_ok[h], t.found[h], t.raw_ok[h], t.found[h]);
	CHECK(t.entries[0] == 0, "%u entries with an unknown hello number", t.entries[0]);
	/* every entry must be reached: a regression in the harness must not hide one */
	CHECK(t.found[1] == t.entries[1] && t.found[2] == t.entries[2], "not every corpus entry was checked");
}

/* JA3/JA3S against tshark 4.0.17, per file and client port:
 *   tshark -n -r F -Y 'tls.handshake.type==1' -T fields -e tcp.srcport -e tls.handshake.ja3
 *   tshark -n -r F -Y 'tls.handshake.type==2' -T fields -e tcp.dstport -e tls.handshake.ja3s */
static const struct {
	const char *file;
	uint16_t client_port;
	const char *ja3, *ja3s; /* ja3s NULL: not checked */
} ja3_vectors[] = {
	{"ja4__tls12.pcap", 36372, "579ccef312d18482fc42e2b822ca2430", NULL},
	{"ja4__badcurveball.pcap", 55318, "66918128f1b9b03303d77c6f2eefd128", "2d1eb5817ece335c24904f516ad5da12"},
	{"ja4__latest.pcapng", 52936, "8883b2acda8ceb1a4f416c16d9b6c42f", "bfc90d56141386ee83b56cda231cccfc"},
	{"ja4__latest.pcapng", 52937, "a0e9f5d64349fb13191bc781f81f42e1", "7da0ae90f9693272ed42e89898421495"},
	{"ja4__latest.pcapng", 52938, "d81fcba3f82df97ae9971d938da5caa6", "2b0648ab686ee45e0e7c35fcfb0eea7e"},
	{"zeek__ssl.v3.pcap", 58869, "716b10339fb8cc7be0f1e2e7187c73e8", "53611273a714cb4789c8222932efd5a7"},
	{"arkime__openssl-ssl3.pcap", 45680, "f917ae2520ef9784557b0a3c02489c2c", "59e3f99fd4b68388f5ba9349e0ca71a4"},
	{"zeek__tls1_1.pcap", 62987, "5eb6e1fe80f696450a62a48bb3d6a965", "b5237e0430ad71aac52aa90b6627cb5f"},
};

static void test_ja3_corpus(const char *corpus)
{
	static struct hellos hl, hs;
	unsigned ok3 = 0, ok3s = 0, n3s = 0;
	const size_t nv = sizeof(ja3_vectors) / sizeof(ja3_vectors[0]);
	for (size_t i = 0; i < nv; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/pcaps/%s", corpus, ja3_vectors[i].file);
		struct conns c;
		load_pcap(path, &c);
		bool found = false;
		for (size_t k = 0; k < c.n && !found; k++) {
			const struct stream *s = &c.v[k];
			if (s->sport != ja3_vectors[i].client_port)
				continue;
			walk(s->buf, s->len, 1, &hl);
			if (hl.n == 0)
				continue;
			found = true;
			char ja3[FP_JA3_LEN];
			fp_ja3(&hl.ch[0], ja3, NULL, 0);
			CHECK(strcmp(ja3, ja3_vectors[i].ja3) == 0, "%s:%u ja3 %s, want %s", ja3_vectors[i].file,
			      ja3_vectors[i].client_port, ja3, ja3_vectors[i].ja3);
			ok3 += strcmp(ja3, ja3_vectors[i].ja3) == 0;
			if (!ja3_vectors[i].ja3s)
				continue;
			n3s++;
			const struct stream *r = stream_reverse(&c, s);
			CHECK(r != NULL, "%s: no server stream", ja3_vectors[i].file);
			if (!r)
				continue;
			walk(r->buf, r->len, 2, &hs);
			CHECK(hs.n > 0, "%s: no ServerHello", ja3_vectors[i].file);
			if (hs.n == 0)
				continue;
			fp_ja3s(&hs.sh[0], ja3, NULL, 0);
			CHECK(strcmp(ja3, ja3_vectors[i].ja3s) == 0, "%s:%u ja3s %s, want %s", ja3_vectors[i].file,
			      ja3_vectors[i].client_port, ja3, ja3_vectors[i].ja3s);
			ok3s += strcmp(ja3, ja3_vectors[i].ja3s) == 0;
		}
		CHECK(found, "%s:%u: no ClientHello", ja3_vectors[i].file, ja3_vectors[i].client_port);
		conns_free(&c);
	}
	printf("JA3 %u/%zu match tshark, JA3S %u/%u match tshark\n", ok3, nv, ok3s, n3s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	test_synthetic();
	char pcaps[4096];
	struct stat sb;
	snprintf(pcaps, sizeof(pcaps), "%s/pcaps", argv[1]);
	if (stat(pcaps, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		printf("SKIP: JA4 and JA3/JA3S on real hellos need the shared corpus: %s not found (-Dcorpus=DIR or "
		       "TLSAUDIT_CORPUS at setup)\n",
		       pcaps);
	} else {
		test_ja4_corpus(argv[1]);
		test_ja3_corpus(argv[1]);
	}
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
