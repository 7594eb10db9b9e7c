/* test_classify_risk.c - classify_risk.c rule by rule on hand-made TLS connections, each checked against real
 * nDPI 4.2 fed the same packets (no corpus needed).
 *
 * Every case builds a TCP connection (handshake, ClientHello, the server's flight, optional alert) with its
 * own ClientHello, ServerHello and certificate (made here with OpenSSL), runs it through risk_harness.c
 * (real nDPI via classify_packet/classify_finish, our TLS stage, the derived facts), and checks that
 * (1) classify_risk_combine() gives exactly nDPI's risk mask and JA3, and (2) the bits the case is about are
 * set or clear as the rule says, so a case cannot pass with both sides silent. Cases come in pairs across
 * each rule's condition. Also unit checks of the parts (JA3 string caps, GREASE, label parsing) and a
 * timing of classify_risk_combine(). */

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check.h"
#include "risk_harness.h"

#define R(x) ((uint64_t)1 << (x))
/* nDPI 4.2 ndpi_risk_enum values (checked against classify_risk_name() in test_names) */
enum {
	K_NON_STD_PORT = 5,
	K_SELFSIGNED = 6,
	K_OBSOLETE = 7,
	K_WEAK = 8,
	K_EXPIRED = 9,
	K_MISMATCH = 10,
	K_NOT_HTTPS = 15,
	K_DGA = 16,
	K_MALFORMED = 17,
	K_ESNI = 21,
	K_UNSAFE = 22,
	K_MISSING_SNI = 24,
	K_DESKTOP = 30,
	K_UNCOMMON_ALPN = 31,
	K_TOO_LONG = 32,
	K_SUSP_EXT = 33,
	K_FATAL = 34,
	K_INVALID = 39,
	K_ABOUT_EXPIRE = 41,
};

static const int64_t T0 = 1717200000; /* 2024-06-01T00:00:00Z: the packets' time */
#define DAY 86400

/* ---- bytes ---- */

struct buf {
	uint8_t b[65536];
	size_t n;
};

static void put8(struct buf *b, unsigned v)
{
	if (b->n < sizeof(b->b))
		b->b[b->n++] = (uint8_t)v;
}
static void put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}
static void put24(struct buf *b, unsigned v)
{
	put8(b, v >> 16);
	put16(b, v & 0xffff);
}
static void putn(struct buf *b, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(b, ((const uint8_t *)p)[i]);
}
/* patch a length of w bytes at position at, counting from at + w to the end */
static void patch(struct buf *b, size_t at, int w)
{
	size_t v = b->n - at - (size_t)w;
	for (int i = w - 1; i >= 0; i--, v >>= 8)
		b->b[at + (size_t)i] = (uint8_t)v;
}

/* ---- certificates ---- */

static EVP_PKEY *ca_key, *leaf_key;

static EVP_PKEY *make_key(void)
{
	return EVP_EC_gen("P-256");
}

/* DER of a leaf for cn (subject CN + O), issued by "Test CA" or by itself, valid [nb, na], with SANs (a
 * comma-separated "DNS:...,IP:..." list, or NULL for no subjectAltName). Returns its length. */
static size_t make_cert(uint8_t *out, size_t cap, const char *cn, bool self_signed, int64_t nb, int64_t na,
			const char *sans)
{
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
	size_t len = 0;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC, (const unsigned char *)"Example Org", -1, -1, 0);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	if (self_signed) {
		X509_NAME_free(iss);
		iss = X509_NAME_dup(subj);
	} else {
		X509_NAME_add_entry_by_txt(iss, "O", MBSTRING_ASC, (const unsigned char *)"Test PKI", -1, -1, 0);
		X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, (const unsigned char *)"Test CA", -1, -1, 0);
	}
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, iss);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
	X509_set_pubkey(x, leaf_key);
	if (sans) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, sans);
		if (ext) {
			X509_add_ext(x, ext, -1);
			X509_EXTENSION_free(ext);
		}
	}
	if (X509_sign(x, self_signed ? leaf_key : ca_key, EVP_sha256()) > 0) {
		int n = i2d_X509(x, NULL);
		if (n > 0 && (size_t)n <= cap) {
			unsigned char *p = out;
			i2d_X509(x, &p);
			len = (size_t)n;
		}
	}
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	X509_free(x);
	return len;
}

/* ---- hellos ---- */

enum { CERT_NONE = 0, CERT_CA, CERT_SELF };
enum { ALERT_NONE = 0, ALERT_SERVER_INSTEAD, ALERT_CLIENT_AFTER };
enum { STARTTLS_NONE = 0, STARTTLS_SMTP, STARTTLS_FTP };

struct rcase {
	const char *name;
	/* ClientHello */
	uint16_t version;	 /* legacy_version, default 0x0303 */
	const char *sni;	 /* NULL: no server_name */
	size_t sni_len;		 /* 0: strlen(sni) */
	const char *alpn;	 /* comma-separated list; NULL: no ALPN; "" an empty list */
	const uint16_t *ciphers; /* NULL: a default list */
	size_t n_ciphers;
	uint16_t exts[4];    /* further extensions with an empty body (0 = none) */
	bool esni;	     /* a well-formed encrypted_server_name */
	bool tls13;	     /* supported_versions offering 1.3 (with key_share) */
	bool ch_two_records; /* the ClientHello split over two TLS records */
	bool second_ch;	     /* a second, different ClientHello (after the HelloRetryRequest, if hrr) */
	/* server */
	bool no_server;
	uint16_t cipher;      /* default 0xc02f */
	bool sh_13;	      /* supported_versions 0x0304 in the ServerHello */
	bool hrr;	      /* a HelloRetryRequest first */
	bool sh_alpn;	      /* answer ALPN with the client's first entry */
	int cert;	      /* CERT_* */
	const char *cert_cn;  /* default: sni or "www.example.com" */
	int nb_days, na_days; /* validity relative to T0 (defaults -30, +300) */
	const char *sans;     /* default "DNS:<cn>"; "-" for none */
	bool cert_two_records;
	bool reorder_server;  /* the server's flight split in two packets, the second sent first */
	int alert;	      /* ALERT_* */
	uint8_t alert_level;  /* default 2 */
	uint16_t server_port; /* default 443 */
	uint16_t client_port; /* default 51000 */
	uint8_t server_ip[4]; /* default 192.0.2.10 (no nDPI IP match) */
	int starttls;	      /* STARTTLS_* dialogue before the ClientHello */
	bool cert_bad_list;   /* certificate_list length one more than its message holds */
	/* expectations on top of "equal to nDPI" */
	uint64_t want_set, want_clear;
	const char *want_label; /* NULL: not checked */
};

static void ext_begin(struct buf *b, uint16_t type, size_t *at)
{
	put16(b, type);
	*at = b->n;
	put16(b, 0);
}
static void ext_end(struct buf *b, size_t at)
{
	patch(b, at, 2);
}

/* A ClientHello handshake message (type, length, body). variant changes the cipher list (second hello). */
static void build_ch(struct buf *m, const struct rcase *rc, int variant)
{
	static const uint16_t def_ciphers[] = {0x0a0a, 0xc02f, 0xc030, 0xc02b, 0x009c, 0x1301, 0x1302};
	const uint16_t *cs = rc->ciphers ? rc->ciphers : def_ciphers;
	size_t ncs = rc->ciphers ? rc->n_ciphers : sizeof(def_ciphers) / sizeof(def_ciphers[0]);
	size_t len_at, at, e_at;

	put8(m, 1);
	len_at = m->n;
	put24(m, 0);
	put16(m, rc->version ? rc->version : 0x0303);
	for (int i = 0; i < 32; i++)
		put8(m, (unsigned)(i * 7 + variant));
	put8(m, 32);
	for (int i = 0; i < 32; i++)
		put8(m, (unsigned)i);
	at = m->n;
	put16(m, 0);
	for (size_t i = 0; i < ncs; i++)
		put16(m, cs[i]);
	if (variant)
		put16(m, 0x00ff);
	patch(m, at, 2);
	put8(m, 1);
	put8(m, 0);
	e_at = m->n;
	put16(m, 0);
	put16(m, 0x1a1a); /* GREASE extension first, empty */
	put16(m, 0);
	if (rc->sni) {
		size_t n = rc->sni_len ? rc->sni_len : strlen(rc->sni);
		ext_begin(m, 0, &at);
		put16(m, (unsigned)n + 3);
		put8(m, 0);
		put16(m, (unsigned)n);
		putn(m, rc->sni, n);
		ext_end(m, at);
	}
	ext_begin(m, 10, &at); /* supported_groups with GREASE */
	put16(m, 6);
	put16(m, 0x2a2a);
	put16(m, 0x001d);
	put16(m, 0x0017);
	ext_end(m, at);
	ext_begin(m, 11, &at);
	put8(m, 1);
	put8(m, 0);
	ext_end(m, at);
	ext_begin(m, 13, &at);
	put16(m, 4);
	put16(m, 0x0403);
	put16(m, 0x0804);
	ext_end(m, at);
	if (rc->alpn) {
		size_t l_at;
		ext_begin(m, 16, &at);
		l_at = m->n;
		put16(m, 0);
		for (const char *p = rc->alpn; *p;) {
			const char *q = strchr(p, ',');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			put8(m, (unsigned)n);
			putn(m, p, n);
			p += n + (q ? 1 : 0);
		}
		patch(m, l_at, 2);
		ext_end(m, at);
	}
	if (rc->tls13) {
		ext_begin(m, 43, &at);
		put8(m, 4);
		put16(m, 0x0304);
		put16(m, 0x0303);
		ext_end(m, at);
		ext_begin(m, 51, &at);
		put16(m, 36);
		put16(m, 0x001d);
		put16(m, 32);
		for (int i = 0; i < 32; i++)
			put8(m, 0x40 + (unsigned)i);
		ext_end(m, at);
	}
	if (rc->esni) {
		/* draft-ietf-tls-esni-02: suite, KeyShareEntry, record_digest<0..2^16-1>, encrypted_sni<...> */
		ext_begin(m, 65486, &at);
		put16(m, 0x1301);
		put16(m, 0x001d);
		put16(m, 32);
		for (int i = 0; i < 32; i++)
			put8(m, (unsigned)i);
		put16(m, 32);
		for (int i = 0; i < 32; i++)
			put8(m, 0x80 + (unsigned)i);
		put16(m, 48);
		for (int i = 0; i < 48; i++)
			put8(m, 0x11 * (unsigned)i);
		ext_end(m, at);
	}
	for (size_t i = 0; i < 4 && rc->exts[i]; i++) {
		put16(m, rc->exts[i]);
		put16(m, 0);
	}
	patch(m, e_at, 2);
	patch(m, len_at, 3);
}

static void build_sh(struct buf *m, const struct rcase *rc, bool hrr)
{
	static const uint8_t hrr_random[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
		0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	size_t len_at, e_at, at;

	put8(m, 2);
	len_at = m->n;
	put24(m, 0);
	put16(m, 0x0303);
	if (hrr)
		putn(m, hrr_random, 32);
	else
		for (int i = 0; i < 32; i++)
			put8(m, 0xa0 + (unsigned)i);
	put8(m, 32);
	for (int i = 0; i < 32; i++)
		put8(m, (unsigned)i);
	put16(m, hrr || rc->sh_13 ? 0x1301 : (rc->cipher ? rc->cipher : 0xc02f));
	put8(m, 0);
	e_at = m->n;
	put16(m, 0);
	put16(m, 0xff01);
	put16(m, 1);
	put8(m, 0);
	if (hrr || rc->sh_13) {
		ext_begin(m, 43, &at);
		put16(m, 0x0304);
		ext_end(m, at);
	}
	if (rc->sh_alpn && !hrr) {
		const char *a = rc->alpn ? rc->alpn : "h2";
		size_t n = strchr(a, ',') ? (size_t)(strchr(a, ',') - a) : strlen(a);
		ext_begin(m, 16, &at);
		put16(m, (unsigned)n + 1);
		put8(m, (unsigned)n);
		putn(m, a, n);
		ext_end(m, at);
	}
	patch(m, e_at, 2);
	patch(m, len_at, 3);
}

static void build_cert_msg(struct buf *m, const uint8_t *der, size_t der_len, bool bad_list)
{
	put8(m, 11);
	put24(m, (unsigned)der_len + 6);
	put24(m, (unsigned)der_len + 3 + (bad_list ? 1 : 0));
	put24(m, (unsigned)der_len);
	putn(m, der, der_len);
}

/* records of type `type` carrying msg, cut into `parts` records */
static void records(struct buf *out, uint8_t type, const struct buf *msg, int parts)
{
	size_t off = 0, step = (msg->n + (size_t)parts - 1) / (size_t)parts;
	while (off < msg->n) {
		size_t n = msg->n - off < step ? msg->n - off : step;
		put8(out, type);
		put16(out, 0x0303);
		put16(out, (unsigned)n);
		putn(out, msg->b + off, n);
		off += n;
	}
}

/* ---- packets ---- */

struct conn_builder {
	struct rh *h;
	uint8_t cli[4], srv[4];
	uint16_t cport, sport;
	uint32_t cseq, sseq;
	int64_t ts;
};

static void send_pkt(struct conn_builder *cb, bool from_client, uint8_t flags, const uint8_t *data, size_t len,
		     uint32_t seq)
{
	static uint8_t frame[70000];
	struct pkt p;
	size_t tot = 40 + len;

	memset(frame, 0, 40);
	frame[0] = 0x45;
	frame[2] = (uint8_t)(tot >> 8);
	frame[3] = (uint8_t)tot;
	frame[8] = 64;
	frame[9] = 6;
	memcpy(frame + 12, from_client ? cb->cli : cb->srv, 4);
	memcpy(frame + 16, from_client ? cb->srv : cb->cli, 4);
	uint16_t sp = from_client ? cb->cport : cb->sport, dp = from_client ? cb->sport : cb->cport;
	frame[20] = (uint8_t)(sp >> 8);
	frame[21] = (uint8_t)sp;
	frame[22] = (uint8_t)(dp >> 8);
	frame[23] = (uint8_t)dp;
	for (int i = 0; i < 4; i++)
		frame[24 + i] = (uint8_t)(seq >> (24 - 8 * i));
	frame[32] = 0x50;
	frame[33] = flags;
	frame[34] = 0xff;
	if (len)
		memcpy(frame + 40, data, len);
	memset(&p, 0, sizeof(p));
	p.ts_ns = cb->ts * 1000000000;
	cb->ts++;
	p.family = 4;
	memcpy(p.src, frame + 12, 4);
	memcpy(p.dst, frame + 16, 4);
	p.sport = sp;
	p.dport = dp;
	p.seq = seq;
	p.tcp_flags = flags;
	p.l3 = frame;
	p.l3_len = tot;
	p.payload = frame + 40;
	p.payload_len = len;
	p.payload_wire_len = len;
	rh_packet(cb->h, &p);
}

static void send_data(struct conn_builder *cb, bool from_client, const struct buf *b)
{
	uint32_t *seq = from_client ? &cb->cseq : &cb->sseq;
	send_pkt(cb, from_client, TCP_ACK | TCP_PSH, b->b, b->n, *seq);
	*seq += (uint32_t)b->n;
}

/* ---- running a case ---- */

struct result {
	bool seen;
	struct classify_result real;
	uint64_t ours;
	char ja3[33];
	struct classify_risk_conn conn;
	bool exact;
};

static void on_conn(const struct rh_conn *rc, void *ctx)
{
	struct result *r = ((struct result **)ctx)[0];
	struct classify *c = ((struct classify **)ctx)[1];
	struct classify_risk_parts parts;
	const char *ja3 = "";

	if (!rc->tls_hello)
		return;
	rh_parts(c, rc, &parts);
	r->seen = true;
	r->real = rc->real;
	r->ours = classify_risk_combine(&parts, &rc->conn, &ja3);
	snprintf(r->ja3, sizeof(r->ja3), "%s", ja3);
	r->conn = rc->conn;
	r->exact = (!parts.have_ch || parts.ch.exact) && (!parts.have_sh || parts.sh.exact);
}

static void print_bits(const char *what, uint64_t m)
{
	fprintf(stderr, " %s:", what);
	for (unsigned b = 0; b < 64; b++)
		if (m & R(b))
			fprintf(stderr, " [%u %s]", b, classify_risk_name(b) ? classify_risk_name(b) : "?");
}

static void run_case(const struct rcase *rc)
{
	static struct buf m, rec, rec2;
	static uint8_t der[4096];
	struct classify *c = NULL;
	struct result r;
	void *ctx[2];
	char err[256];
	struct conn_builder cb;

	memset(&r, 0, sizeof(r));
	if (classify_new(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: classify_new: %s\n", rc->name, err);
		failures++;
		return;
	}
	ctx[0] = &r;
	ctx[1] = c;
	memset(&cb, 0, sizeof(cb));
	if (rh_new(c, 0, (rh_conn_fn)on_conn, ctx, &cb.h) != 0) {
		failures++;
		classify_free(c);
		return;
	}
	memcpy(cb.cli, (uint8_t[]){10, 1, 2, 3}, 4);
	memcpy(cb.srv, (uint8_t[]){192, 0, 2, 10}, 4); /* TEST-NET-1: no nDPI IP match */
	if (rc->server_ip[0])
		memcpy(cb.srv, rc->server_ip, 4);
	cb.cport = rc->client_port ? rc->client_port : 51000;
	cb.sport = rc->server_port ? rc->server_port : 443;
	cb.cseq = 1000;
	cb.sseq = 5000000;
	cb.ts = T0;

	send_pkt(&cb, true, TCP_SYN, NULL, 0, cb.cseq++);
	send_pkt(&cb, false, TCP_SYN | TCP_ACK, NULL, 0, cb.sseq++);
	send_pkt(&cb, true, TCP_ACK, NULL, 0, cb.cseq);

	if (rc->starttls) {
		static const char *const smtp[] = {
			"220 mail.example.com ESMTP\r\n",	    "EHLO client.example.com\r\n",
			"250-mail.example.com\r\n250 STARTTLS\r\n", "STARTTLS\r\n",
			"220 2.0.0 Ready to start TLS\r\n",	    NULL};
		static const char *const ftp[] = {"220 FTP server ready\r\n", "AUTH TLS\r\n",
						  "234 AUTH TLS successful\r\n", NULL};
		const char *const *d = rc->starttls == STARTTLS_SMTP ? smtp : ftp;
		for (size_t i = 0; d[i]; i++) {
			rec.n = 0;
			putn(&rec, d[i], strlen(d[i]));
			send_data(&cb, i % 2 == 1, &rec);
		}
	}
	m.n = rec.n = 0;
	build_ch(&m, rc, 0);
	records(&rec, 22, &m, rc->ch_two_records ? 2 : 1);
	send_data(&cb, true, &rec);

	if (rc->second_ch && !rc->hrr) { /* a repeated hello before any answer */
		m.n = rec.n = 0;
		build_ch(&m, rc, 1);
		records(&rec, 22, &m, 1);
		send_data(&cb, true, &rec);
	}
	if (rc->alert == ALERT_SERVER_INSTEAD) {
		rec.n = 0;
		put8(&rec, 21);
		put16(&rec, 0x0303);
		put16(&rec, 2);
		put8(&rec, rc->alert_level ? rc->alert_level : 2);
		put8(&rec, 40);
		send_data(&cb, false, &rec);
	} else if (!rc->no_server) {
		if (rc->hrr) {
			m.n = rec.n = 0;
			build_sh(&m, rc, true);
			records(&rec, 22, &m, 1);
			send_data(&cb, false, &rec);
			m.n = rec.n = 0;
			build_ch(&m, rc, rc->second_ch ? 1 : 0);
			records(&rec, 22, &m, 1);
			send_data(&cb, true, &rec);
		}
		m.n = rec.n = rec2.n = 0;
		build_sh(&m, rc, false);
		records(&rec, 22, &m, 1);
		if (rc->cert != CERT_NONE) {
			const char *cn = rc->cert_cn ? rc->cert_cn : rc->sni ? rc->sni : "www.example.com";
			char sans[512];
			if (!rc->sans)
				snprintf(sans, sizeof(sans), "DNS:%s", cn);
			size_t dl = make_cert(der, sizeof(der), cn, rc->cert == CERT_SELF,
					      T0 + (int64_t)(rc->nb_days ? rc->nb_days : -30) * DAY,
					      T0 + (int64_t)(rc->na_days ? rc->na_days : 300) * DAY,
					      !rc->sans		      ? sans
					      : strcmp(rc->sans, "-") ? rc->sans
								      : NULL);
			CHECK(dl > 0);
			m.n = 0;
			build_cert_msg(&m, der, dl, rc->cert_bad_list);
			records(&rec, 22, &m, rc->cert_two_records ? 2 : 1);
		}
		m.n = 0;
		put8(&m, 14); /* ServerHelloDone */
		put24(&m, 0);
		records(&rec, 22, &m, 1);
		if (rc->reorder_server) {
			size_t half = rec.n / 2;
			send_pkt(&cb, false, TCP_ACK, rec.b + half, rec.n - half, cb.sseq + (uint32_t)half);
			send_pkt(&cb, false, TCP_ACK, rec.b, half, cb.sseq);
			cb.sseq += (uint32_t)rec.n;
		} else {
			send_data(&cb, false, &rec);
		}
		if (rc->alert == ALERT_CLIENT_AFTER) {
			rec.n = 0;
			put8(&rec, 21);
			put16(&rec, 0x0303);
			put16(&rec, 2);
			put8(&rec, rc->alert_level ? rc->alert_level : 2);
			put8(&rec, 48);
			send_data(&cb, true, &rec);
		}
	}
	send_pkt(&cb, true, TCP_FIN | TCP_ACK, NULL, 0, cb.cseq);
	send_pkt(&cb, false, TCP_FIN | TCP_ACK, NULL, 0, cb.sseq);
	rh_free(cb.h);
	classify_free(c);

	CHECK(r.seen);
	bool ok = r.seen && r.ours == r.real.risks && !strcmp(r.ja3, r.real.ja3) &&
		  (r.real.risks & rc->want_set) == rc->want_set && !(r.real.risks & rc->want_clear) &&
		  (!rc->want_label || !strcmp(r.real.protocol, rc->want_label));
	checks++;
	if (!ok) {
		failures++;
		fprintf(stderr, "FAIL %s: label \"%s\"", rc->name, r.real.protocol);
		print_bits("real", r.real.risks);
		print_bits("ours", r.ours);
		print_bits("want-set", rc->want_set);
		print_bits("want-clear", rc->want_clear);
		fprintf(stderr, " ja3 real \"%s\" ours \"%s\"\n", r.real.ja3, r.ja3);
	} else if (getenv("RISK_VERBOSE")) {
		printf("ok %-40s %-14s", rc->name, r.real.protocol);
		for (unsigned b = 0; b < 64; b++)
			if (r.real.risks & R(b))
				printf(" [%s]", classify_risk_name(b));
		printf("\n");
	}
}

/* the case table: pairs on either side of each rule */
static uint16_t many_ciphers[300];    /* filled in main */
static uint16_t lots_of_ciphers[600]; /* more than nDPI's 512 */

static struct rcase cases[] = {
	{.name = "baseline",
	 .sni = "www.example.com",
	 .alpn = "h2,http/1.1",
	 .cert = CERT_CA,
	 .want_clear = R(K_OBSOLETE) | R(K_NOT_HTTPS) | R(K_MISSING_SNI) | R(K_WEAK) | R(K_SELFSIGNED) | R(K_EXPIRED) |
		       R(K_ABOUT_EXPIRE) | R(K_MISMATCH) | R(K_SUSP_EXT) | R(K_FATAL) | R(K_NON_STD_PORT) |
		       R(K_TOO_LONG) | R(K_INVALID) | R(K_UNCOMMON_ALPN) | R(K_DGA),
	 .want_label = "TLS"},
	/* OBSOLETE: the client's legacy_version < 0x0303 */
	{.name = "obsolete 0x0302",
	 .version = 0x0302,
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .want_set = R(K_OBSOLETE),
	 .want_clear = R(K_NOT_HTTPS)},
	{.name = "obsolete 0x0300",
	 .version = 0x0300,
	 .sni = "www.example.com",
	 .cert = CERT_CA,
	 .want_set = R(K_OBSOLETE)},
	{.name = "not obsolete 0x0303 (1.3 hello)",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .tls13 = true,
	 .sh_13 = true,
	 .want_clear = R(K_OBSOLETE)},
	/* MISSING_SNI: no host name, version >= 0x0302, no ESNI */
	{.name = "missing sni 0x0303", .alpn = "h2", .cert = CERT_CA, .want_set = R(K_MISSING_SNI)},
	{.name = "missing sni 0x0302", .version = 0x0302, .cert = CERT_CA, .want_set = R(K_MISSING_SNI)},
	{.name = "no sni 0x0301 is not missing",
	 .version = 0x0301,
	 .cert = CERT_CA,
	 .want_set = R(K_OBSOLETE),
	 .want_clear = R(K_MISSING_SNI)},
	{.name = "sni starting with NUL is missing",
	 .sni = "\0www.example.com",
	 .sni_len = 16,
	 .alpn = "h2",
	 .want_set = R(K_MISSING_SNI)},
	/* NOT_CARRYING_HTTPS: version >= 0x0303 and no ALPN */
	{.name = "no alpn 0x0303", .sni = "www.example.com", .cert = CERT_CA, .want_set = R(K_NOT_HTTPS)},
	{.name = "no alpn 0x0302", .version = 0x0302, .sni = "www.example.com", .want_clear = R(K_NOT_HTTPS)},
	{.name = "empty alpn list counts as alpn", .sni = "www.example.com", .alpn = "", .want_clear = R(K_NOT_HTTPS)},
	/* ESNI */
	{.name = "esni with sni",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .esni = true,
	 .exts = {28},
	 .want_set = R(K_ESNI)},
	{.name = "esni without sni",
	 .alpn = "h2",
	 .esni = true,
	 .exts = {28},
	 .want_clear = R(K_ESNI) | R(K_MISSING_SNI)},
	{.name = "esni as the last extension is not stored", .alpn = "h2", .esni = true, .want_set = R(K_MISSING_SNI)},
	{.name = "esni as the last extension, with sni",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .esni = true,
	 .want_clear = R(K_ESNI)},
	/* SUSPICIOUS_EXTENSION (client) */
	{.name = "ech extension is suspicious",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .exts = {0xfe0d},
	 .want_set = R(K_SUSP_EXT)},
	{.name = "alps and npn are allowed",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .exts = {17513, 13172, 65281 - 1},
	 .want_set = R(K_SUSP_EXT)}, /* 65280 is not allowed: set */
	{.name = "allowed non-IANA extensions",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .exts = {17513, 13172, 30032},
	 .want_clear = R(K_SUSP_EXT)},
	{.name = "dtls-only extension on tcp",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .exts = {54},
	 .want_set = R(K_SUSP_EXT)},
	{.name = "extension 59 is fine",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .exts = {59},
	 .want_clear = R(K_SUSP_EXT)},
	/* INVALID_CHARACTERS from the SNI (up to its first NUL) */
	{.name = "sni with control byte", .sni = "www.ex\001ample.com", .alpn = "h2", .want_set = R(K_INVALID)},
	{.name = "sni with utf-8", .sni = "www.\xc3\xa9xample.com", .alpn = "h2", .want_set = R(K_INVALID)},
	{.name = "sni bytes after a NUL are not checked",
	 .sni = "www.example.com\0\001",
	 .sni_len = 17,
	 .alpn = "h2",
	 .want_clear = R(K_INVALID)},
	/* DGA */
	{.name = "dga-like sni", .sni = "bbcbedxhgjmdobdprmen.com", .alpn = "h2", .want_set = R(K_DGA)},
	{.name = "ordinary sni", .sni = "mail.example.org", .alpn = "h2", .want_clear = R(K_DGA)},
	/* WEAK_CIPHER: NDPI_CIPHER_WEAK only */
	{.name = "weak cipher",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cipher = 0x002f,
	 .cert = CERT_CA,
	 .want_set = R(K_WEAK)},
	{.name = "rc4 (insecure) is not weak",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cipher = 0x0005,
	 .cert = CERT_CA,
	 .want_clear = R(K_WEAK)},
	{.name = "3des weak", .sni = "www.example.com", .alpn = "h2", .cipher = 0x000a, .want_set = R(K_WEAK)},
	/* UNCOMMON_ALPN: the client's list, checked when the server answers with ALPN */
	{.name = "uncommon alpn answered",
	 .sni = "www.example.com",
	 .alpn = "h2,foo",
	 .sh_alpn = true,
	 .want_set = R(K_UNCOMMON_ALPN)},
	{.name = "uncommon alpn not answered",
	 .sni = "www.example.com",
	 .alpn = "h2,foo",
	 .want_clear = R(K_UNCOMMON_ALPN)},
	{.name = "common alpn answered",
	 .sni = "www.example.com",
	 .alpn = "h2,http/1.1",
	 .sh_alpn = true,
	 .want_clear = R(K_UNCOMMON_ALPN)},
	{.name = "substring of a common alpn counts",
	 .sni = "www.example.com",
	 .alpn = "xh2y",
	 .sh_alpn = true,
	 .want_clear = R(K_UNCOMMON_ALPN)},
	{.name = "alpn is case-sensitive",
	 .sni = "www.example.com",
	 .alpn = "H2",
	 .sh_alpn = true,
	 .want_set = R(K_UNCOMMON_ALPN)},
	/* certificate rules */
	{.name = "self-signed", .sni = "www.example.com", .alpn = "h2", .cert = CERT_SELF, .want_set = R(K_SELFSIGNED)},
	{.name = "expired",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = -400,
	 .na_days = -2,
	 .want_set = R(K_EXPIRED),
	 .want_clear = R(K_ABOUT_EXPIRE)},
	{.name = "not yet valid",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = 5,
	 .na_days = 200,
	 .want_set = R(K_EXPIRED)},
	{.name = "about to expire",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = -300,
	 .na_days = 10,
	 .want_set = R(K_ABOUT_EXPIRE),
	 .want_clear = R(K_EXPIRED)},
	{.name = "expires in 40 days",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = -300,
	 .na_days = 40,
	 .want_clear = R(K_ABOUT_EXPIRE) | R(K_EXPIRED)},
	{.name = "validity too long",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = -30,
	 .na_days = 500,
	 .want_set = R(K_TOO_LONG)},
	{.name = "validity 399 days is too long",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = -30,
	 .na_days = 369,
	 .want_set = R(K_TOO_LONG)},
	{.name = "validity 398 days (34387200 s) is not",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = -30,
	 .na_days = 368,
	 .want_clear = R(K_TOO_LONG)},
	{.name = "long validity before 2020-09-01 is fine",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = -1500,
	 .na_days = 300,
	 .want_clear = R(K_TOO_LONG)},
	{.name = "san mismatch",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .sans = "DNS:other.org",
	 .want_set = R(K_MISMATCH)},
	{.name = "san wildcard match",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .sans = "DNS:other.org,DNS:*.example.com",
	 .want_clear = R(K_MISMATCH)},
	{.name = "san wildcard two levels (nDPI matches)",
	 .sni = "a.b.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .sans = "DNS:*.example.com",
	 .want_clear = R(K_MISMATCH)},
	{.name = "san case-insensitive",
	 .sni = "WWW.Example.COM",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .sans = "DNS:www.EXAMPLE.com",
	 .want_clear = R(K_MISMATCH)},
	{.name = "no san, no mismatch check",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .sans = "-",
	 .cert_cn = "other.org",
	 .want_clear = R(K_MISMATCH)},
	{.name = "no sni, no mismatch",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .sans = "DNS:other.org",
	 .want_clear = R(K_MISMATCH)},
	{.name = "ip san",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .sans = "IP:192.0.2.10",
	 .want_set = R(K_MISMATCH)},
	{.name = "san with a control byte",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .sans = "DNS:www.example.com,DNS:a\001b.example.com",
	 .want_set = R(K_INVALID),
	 .want_clear = R(K_MISMATCH)},
	{.name = "notAfter past 2049 (GeneralizedTime) is never checked",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .nb_days = -30,
	 .na_days = 9900,
	 .want_clear = R(K_TOO_LONG)},
	{.name = "long sni is cut to its last 79 bytes",
	 .sni = "a-very-long-label-for-testing-the-limit.another-long-label-for-the-test.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .want_set = R(K_MISMATCH)},
	{.name = "certificate over two records is not read",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_SELF,
	 .cert_two_records = true,
	 .want_clear = R(K_SELFSIGNED)},
	/* FATAL_ALERT while nDPI still reads the flow */
	{.name = "server fatal alert",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .alert = ALERT_SERVER_INSTEAD,
	 .want_set = R(K_FATAL)},
	{.name = "server warning alert",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .alert = ALERT_SERVER_INSTEAD,
	 .alert_level = 1,
	 .want_clear = R(K_FATAL)},
	{.name = "client alert after the certificate",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_CA,
	 .alert = ALERT_CLIENT_AFTER,
	 .want_clear = R(K_FATAL)},
	{.name = "client alert, no certificate",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .alert = ALERT_CLIENT_AFTER,
	 .want_set = R(K_FATAL)},
	{.name = "client alert after a 1.3 server hello",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .tls13 = true,
	 .sh_13 = true,
	 .alert = ALERT_CLIENT_AFTER,
	 .want_clear = R(K_FATAL)},
	/* which ClientHello, which ServerHello */
	{.name = "hrr: second hello not read",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .tls13 = true,
	 .hrr = true,
	 .second_ch = true,
	 .sh_13 = true,
	 .cipher = 0x002f},
	{.name = "repeated hello: the second gives the ja3", .sni = "www.example.com", .alpn = "h2", .second_ch = true},
	{.name = "1.3 server hello ends it: cert not read",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .tls13 = true,
	 .sh_13 = true,
	 .cert = CERT_SELF,
	 .want_clear = R(K_SELFSIGNED)},
	{.name = "hello over two records: nothing",
	 .sni = "www.example.com",
	 .ch_two_records = true,
	 .cert = CERT_SELF,
	 .want_clear = R(K_NOT_HTTPS) | R(K_SELFSIGNED)},
	{.name = "server flight out of order: not read",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_SELF,
	 .reorder_server = true,
	 .want_clear = R(K_SELFSIGNED)},
	/* ports and labels */
	{.name = "tls on 8443",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .server_port = 8443,
	 .want_set = R(K_NON_STD_PORT)},
	{.name = "tls on 80", .sni = "www.example.com", .alpn = "h2", .server_port = 80, .want_set = R(K_NON_STD_PORT)},
	{.name = "smtps: the hello only",
	 .sni = "mail.example.com",
	 .server_port = 465,
	 .cipher = 0x002f,
	 .cert = CERT_SELF,
	 .want_set = R(K_NOT_HTTPS),
	 .want_clear = R(K_WEAK) | R(K_SELFSIGNED) | R(K_NON_STD_PORT),
	 .want_label = "SMTPS"},
	{.name = "imaps on 993", .sni = "mail.example.com", .alpn = "imap", .server_port = 993, .want_label = "IMAPS"},
	{.name = "sni names a protocol", .sni = "www.googleapis.com", .alpn = "h2", .want_label = "TLS.GoogleServices"},
	{.name = "client port 443 hides a non-standard server port",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .server_port = 4443,
	 .client_port = 443,
	 .want_clear = R(K_NON_STD_PORT)},
	{.name = "client port 993 makes it IMAPS",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .client_port = 993,
	 .cipher = 0x002f,
	 .want_label = "IMAPS",
	 .want_clear = R(K_WEAK)},
	{.name = "smtp starttls: no tls rules",
	 .sni = "mail.example.com",
	 .server_port = 25,
	 .starttls = STARTTLS_SMTP,
	 .cipher = 0x002f,
	 .cert = CERT_SELF,
	 .want_clear = R(K_NOT_HTTPS) | R(K_WEAK) | R(K_SELFSIGNED)},
	{.name = "ftp auth tls: unsafe label",
	 .sni = "ftp.example.com",
	 .server_port = 21,
	 .starttls = STARTTLS_FTP,
	 .want_set = R(K_UNSAFE),
	 .want_clear = R(K_NOT_HTTPS),
	 .want_label = "FTP_CONTROL"},
	{.name = "anydesk sni: desktop sharing",
	 .sni = "relay-1.net.anydesk.com",
	 .alpn = "h2",
	 .want_set = R(K_DESKTOP),
	 .want_label = "TLS.AnyDesk"},
	{.name = "pastebin sni: unsafe",
	 .sni = "pastebin.com",
	 .alpn = "h2",
	 .want_set = R(K_UNSAFE),
	 .want_label = "TLS.Pastebin"},
	{.name = "server address names a protocol",
	 .alpn = "h2",
	 .server_ip = {142, 250, 1, 1},
	 .want_set = R(K_MISSING_SNI),
	 .want_label = "TLS.Google"},
	{.name = "certificate list length wrong: malformed",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .cert = CERT_SELF,
	 .cert_bad_list = true,
	 .want_set = R(K_MALFORMED),
	 .want_clear = R(K_SELFSIGNED)},
	/* JA3 details */
	{.name = "600 ciphers: no ja3",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .ciphers = lots_of_ciphers,
	 .n_ciphers = 600},
	{.name = "ja3 with 300 ciphers (string cut at 1024)",
	 .sni = "www.example.com",
	 .alpn = "h2",
	 .ciphers = many_ciphers,
	 .n_ciphers = 300},
};

/* ---- parts on their own ---- */

static void test_names(void)
{
	static const struct {
		unsigned bit;
		const char *name;
	} n[] = {{K_NON_STD_PORT, "Known Protocol on Non Standard Port"},
		 {K_SELFSIGNED, "Self-signed Certificate"},
		 {K_OBSOLETE, "Obsolete TLS Version (1.1 or older)"},
		 {K_WEAK, "Weak TLS Cipher"},
		 {K_EXPIRED, "TLS Expired Certificate"},
		 {K_MISMATCH, "TLS Certificate Mismatch"},
		 {K_NOT_HTTPS, "TLS (probably) Not Carrying HTTPS"},
		 {K_DGA, "Suspicious DGA Domain name"},
		 {K_ESNI, "TLS Suspicious ESNI Usage"},
		 {K_UNSAFE, "Unsafe Protocol"},
		 {K_MISSING_SNI, "Missing SNI TLS Extension"},
		 {K_DESKTOP, "Desktop/File Sharing Session"},
		 {K_UNCOMMON_ALPN, "Uncommon TLS ALPN"},
		 {K_TOO_LONG, "TLS Certificate Validity Too Long"},
		 {K_SUSP_EXT, "TLS Suspicious Extension"},
		 {K_FATAL, "TLS Fatal Alert"},
		 {K_INVALID, "Text Contains Non-Printable Characters"},
		 {K_ABOUT_EXPIRE, "TLS Certificate About To Expire"}};
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		const char *got = classify_risk_name(n[i].bit);
		CHECK(got && !strcmp(got, n[i].name));
		if (!got || strcmp(got, n[i].name))
			fprintf(stderr, "risk %u is \"%s\", want \"%s\"\n", n[i].bit, got ? got : "(null)", n[i].name);
	}
}

static void test_ja3_parts(void)
{
	struct tls_client_hello ch;
	char out[33];

	/* JA3 "769,47-53,0-10,23,0": md5 checked with `printf %s 769,47-53,0-10,23,0 | md5sum` */
	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0301;
	ch.ciphers[0] = 0x0a0a; /* GREASE: left out */
	ch.ciphers[1] = 47;
	ch.ciphers[2] = 53;
	ch.n_ciphers = ch.n_ciphers_total = 3;
	ch.exts[0] = 0;
	ch.exts[1] = 0xfafa;
	ch.exts[2] = 10;
	ch.n_exts = ch.n_exts_total = 3;
	ch.groups[0] = 23;
	ch.n_groups = 1;
	ch.point_formats[0] = 0;
	ch.n_point_formats = 1;
	CHECK(classify_ndpi_ja3(&ch, out));
	CHECK(!strcmp(out, "3b39dd58b19185e13b13bd36d8c66cb2") || (fprintf(stderr, "ja3 %s\n", out), 0));

	/* more than 512 ciphers: nDPI computes none */
	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0303;
	for (int i = 0; i < TLS_MAX_CIPHERS; i++)
		ch.ciphers[i] = (uint16_t)(0x1000 + i);
	ch.n_ciphers = TLS_MAX_CIPHERS;
	ch.n_ciphers_total = TLS_MAX_CIPHERS;
	CHECK(classify_ndpi_ja3(&ch, out)); /* exactly 512 is fine */
	ch.ciphers[0] = 0x0a0a;		    /* one of them GREASE: still 511 counted */
	CHECK(classify_ndpi_ja3(&ch, out));
	struct tls_client_hello ch2 = ch;
	ch2.sslv2_format = true;
	CHECK(!classify_ndpi_ja3(&ch2, out) && out[0] == '\0');
}

static void test_labels(void)
{
	struct classify *c = NULL;
	struct classify_label l;
	char err[128];

	if (classify_new(&c, err, sizeof(err)) != 0) {
		failures++;
		return;
	}
	CHECK_EQ(classify_label_info(c, "TLS.Google", &l), 0);
	CHECK(l.known && l.master == 91 && l.app == 126 && l.tls && !l.window_ends_early && l.carries_ja3);
	CHECK_EQ(classify_label_info(c, "TLS", &l), 0);
	CHECK(l.known && l.master == 0 && l.app == 91 && l.ports[0][0] == 443);
	CHECK_EQ(classify_label_info(c, "IMAPS", &l), 0);
	CHECK(l.tls && l.window_ends_early && l.ports[0][0] == 993);
	CHECK_EQ(classify_label_info(c, "FTP_CONTROL", &l), 0);
	CHECK(!l.tls && (l.risks & R(K_UNSAFE)));
	CHECK_EQ(classify_label_info(c, "RDP", &l), 0);
	CHECK(l.risks & R(K_DESKTOP));
	CHECK_EQ(classify_label_info(c, "HTTP_Connect.HTTP", &l), 0);
	CHECK(l.known && !l.tls);
	CHECK_EQ(classify_label_info(c, "", &l), 0);
	CHECK(!l.known);
	CHECK_EQ(classify_label_info(c, "NoSuchProto", &l), -EINVAL);
	CHECK(!l.known);
	classify_free(c);
}

/* classify_risk_combine() must be cheap: it runs per connection */
static void test_combine_cost(void)
{
	struct classify *c = NULL;
	struct classify_risk_parts p;
	struct classify_risk_conn cn;
	char err[128];
	const char *ja3;
	uint64_t acc = 0;
	struct timespec a, b;
	enum { N = 1000000 };

	if (classify_new(&c, err, sizeof(err)) != 0) {
		failures++;
		return;
	}
	memset(&p, 0, sizeof(p));
	memset(&cn, 0, sizeof(cn));
	classify_label_info(c, "TLS.Google", &p.label);
	p.have_ch = p.have_sh = p.have_cert = true;
	p.ch.valid = p.ch.checks = p.ch.sets_host = p.ch.host_nonempty = p.ch.has_alpn = p.ch.has_ja3 = true;
	p.ch.version = 0x0303;
	p.sh.has_alpn = true;
	p.cert.n_validity = 1;
	p.cert.not_before[0] = (uint32_t)(T0 - 30 * DAY);
	p.cert.not_after[0] = (uint32_t)(T0 + 300 * DAY);
	cn.client_port = 51000;
	cn.server_port = 443;
	cn.max_packets = 32;
	cn.pkt_ch = 1;
	cn.pkt_sh = cn.pkt_cert = 2;
	cn.tls_at_start = cn.ch_one_record = cn.sh_one_record = cn.cert_one_record = true;
	cn.cert_time_s = T0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int i = 0; i < N; i++) {
		cn.client_port = (uint16_t)(40000 + (i & 8191));
		acc += classify_risk_combine(&p, &cn, &ja3);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / N;
	printf("classify_risk_combine: %.1f ns per call (acc %llu)\n", ns, (unsigned long long)(acc & 1));
	CHECK(ns < 500.0); /* a loose bound for sanitizer builds; the target is a few dozen ns */
	classify_free(c);
}

/* classify_risk_cert() reads attacker bytes: every prefix and suffix of a real leaf, and single-byte
 * changes all over it, must be read without going out of bounds (the sanitizer build checks) and give
 * sane results. */
static void test_cert_sweep(void)
{
	static uint8_t der[4096], cut[4096];
	static struct tls_client_hello ch;
	struct classify_risk_cert ce;
	size_t dl = make_cert(der, sizeof(der), "www.example.com", true, T0 - 30 * DAY, T0 + 300 * DAY,
			      "DNS:www.example.com,DNS:*.example.org,IP:192.0.2.1,IP:2001:db8::1");
	unsigned long sane = 0, runs = 0;

	CHECK(dl > 0);
	ch.has_sni = true;
	memcpy(ch.sni, "www.example.com", 15);
	ch.sni_len = 15;
	classify_risk_cert(der, dl, &ch, &ce);
	CHECK(ce.risks == R(K_SELFSIGNED) && ce.n_validity == 1);
	CHECK(ce.not_before[0] == (uint32_t)(T0 - 30 * DAY) && ce.not_after[0] == (uint32_t)(T0 + 300 * DAY));
	for (size_t n = 0; n <= dl; n++) {
		/* heap copies of exactly the bytes given: the sanitizer sees any read past them */
		uint8_t *pre = malloc(n ? n : 1), *suf = malloc(dl - n ? dl - n : 1);
		if (!pre || !suf) {
			free(pre);
			free(suf);
			failures++;
			return;
		}
		memcpy(pre, der, n);
		memcpy(suf, der + n, dl - n);
		classify_risk_cert(pre, n, &ch, &ce);
		sane += ce.n_validity <= CLASSIFY_RISK_MAX_VALIDITY;
		classify_risk_cert(suf, dl - n, &ch, &ce);
		sane += ce.n_validity <= CLASSIFY_RISK_MAX_VALIDITY;
		runs += 2;
		free(pre);
		free(suf);
	}
	for (size_t i = 0; i < dl; i++)
		for (unsigned v = 0; v < 256; v += 51) {
			memcpy(cut, der, dl);
			cut[i] = (uint8_t)v;
			classify_risk_cert(cut, dl, &ch, &ce);
			sane += ce.n_validity <= CLASSIFY_RISK_MAX_VALIDITY;
			runs++;
		}
	CHECK_EQ(sane, runs);
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

/* the per-shape parts may cost microseconds; print what they cost here */
static void test_part_costs(void)
{
	static struct buf m;
	static uint8_t der[4096];
	static struct tls_client_hello ch;
	struct tls_server_hello sh;
	struct classify_risk_hello h;
	struct classify_risk_server sv;
	struct classify_risk_cert ce;
	struct classify_label l;
	struct classify *c = NULL;
	struct timespec a, b;
	char err[128];
	const struct rcase rc = {.sni = "www.example.com", .alpn = "h2,http/1.1", .tls13 = true};
	enum { N = 20000 };
	uint64_t acc = 0;

	if (classify_new(&c, err, sizeof(err)) != 0) {
		failures++;
		return;
	}
	m.n = 0;
	build_ch(&m, &rc, 0);
	CHECK_EQ(tls_parse_client_hello(m.b + 4, m.n - 4, &ch), TLS_OK);
	m.n = 0;
	build_sh(&m, &rc, false);
	CHECK_EQ(tls_parse_server_hello(m.b + 4, m.n - 4, &sh), TLS_OK);
	size_t dl = make_cert(der, sizeof(der), "www.example.com", false, T0 - 30 * DAY, T0 + 300 * DAY,
			      "DNS:www.example.com,DNS:example.com");
	CHECK(dl > 0);

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int i = 0; i < N; i++) {
		classify_risk_hello(&ch, true, &h);
		acc += h.risks;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	printf("classify_risk_hello: %.0f ns (JA3 included)\n", elapsed_ns(&a, &b) / N);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int i = 0; i < N; i++) {
		classify_risk_server(&sh, &sv);
		acc += sv.risks;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	printf("classify_risk_server: %.0f ns\n", elapsed_ns(&a, &b) / N);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int i = 0; i < N; i++) {
		classify_risk_cert(der, dl, &ch, &ce);
		acc += ce.risks;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	printf("classify_risk_cert: %.0f ns (%zu-byte leaf)\n", elapsed_ns(&a, &b) / N, dl);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int i = 0; i < N; i++)
		acc += classify_risk_host(c, &ch);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	printf("classify_risk_host: %.0f ns\n", elapsed_ns(&a, &b) / N);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int i = 0; i < N; i++) {
		classify_label_info(c, "TLS.Google", &l);
		acc += l.app;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	printf("classify_label_info: %.0f ns\n", elapsed_ns(&a, &b) / N);
	CHECK(acc != 0);
	classify_free(c);
}

int main(void)
{
	ca_key = make_key();
	leaf_key = make_key();
	if (!ca_key || !leaf_key) {
		fprintf(stderr, "cannot make EC keys\n");
		return 1;
	}
	for (int i = 0; i < 300; i++)
		many_ciphers[i] = (uint16_t)(i % 7 == 0 ? 0x3a3a : 0xc000 + i);
	for (int i = 0; i < 600; i++)
		lots_of_ciphers[i] = (uint16_t)(0x0100 + i);

	test_names();
	test_ja3_parts();
	test_labels();
	test_cert_sweep();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_combine_cost();
	test_part_costs();

	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	printf("%d checks, %d failures (%zu cases against real nDPI)\n", checks, failures,
	       sizeof(cases) / sizeof(cases[0]));
	return failures ? 1 : 0;
}
