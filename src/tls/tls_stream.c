/* tls_stream.c - TLS/SSL record layer and handshake reassembly over one TCP connection.
 * specification: RFC 8446 section 5 and appendix D.4, RFC 5246 section 6.2 and 7.4,
 * draft-hickman-netscape-ssl-00 (SSL 2.0 records), RFC 5077 (session tickets),
 * RFC 5246 section 7.4.2 (server Certificate).
 *
 * Design note: the caller owns the stream buffers. tls_feed() consumes whole records
 * (and plaintext it has decided to skip) and leaves an incomplete record for the next
 * call, so this file never copies records. Only handshake messages we decode (the
 * client's ClientHello, the server's ServerHello) are reassembled across records, into
 * one lazily allocated per-direction buffer bounded by tls_limits.max_handshake; every
 * other handshake message is skipped by length after its 4-byte header, so a large
 * certificate chain costs nothing. The server's Certificate message (TLS <= 1.2) is
 * skipped the same way, but the skipped bytes pass through a small streaming parser
 * (cert_feed) that counts the chain's entries and copies only the first (leaf) entry,
 * at most tls_limits.max_cert_bytes, into an owned buffer. Handshake bytes are looked at only while the
 * sending direction is plaintext: for TLS <= 1.2 until that side's ChangeCipherSpec
 * after the ServerHello, for TLS 1.3 until the (non-HRR) ServerHello, for both sides.
 * Ordering between the two directions is the order in which the caller feeds them.
 */
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/reader.h"
#include "tlsaudit/tls.h"
#include "tls_internal.h"

#define TLS_DEFAULT_MAX_HANDSHAKE 65536
#define TLS_DEFAULT_MAX_PLAINTEXT 65536
#define TLS_DEFAULT_MAX_CERT	  65536

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPLICATION_DATA = 23, CT_HEARTBEAT = 24 };

enum {
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_HELLO_RETRY_REQUEST_DRAFT = 6, /* draft-ietf-tls-tls13 before draft 22 */
	HS_CERTIFICATE = 11,
	HS_SERVER_KEY_EXCHANGE = 12,
	HS_CERTIFICATE_REQUEST = 13,
	HS_SERVER_HELLO_DONE = 14,
};

/* server messages that only a full (not abbreviated) TLS <= 1.2 handshake sends */
#define FULL_HANDSHAKE_TYPES                                                                        \
	((1u << HS_CERTIFICATE) | (1u << HS_SERVER_KEY_EXCHANGE) | (1u << HS_CERTIFICATE_REQUEST) | \
	 (1u << HS_SERVER_HELLO_DONE))

enum { SSL2_MT_CLIENT_HELLO = 1, SSL2_MT_CLIENT_MASTER_KEY = 2, SSL2_MT_SERVER_HELLO = 4 };

void tls_facts_init(struct tls_facts *f)
{
	memset(f, 0, sizeof(*f));
}

size_t tls_facts_heap(const struct tls_facts *f)
{
	size_t n = f->ch2 ? sizeof(*f->ch2) : 0;
	for (size_t i = 0; i < 2; i++)
		n += f->dir[i].hs_cap + (f->dir[i].plain ? TLS_PLAINTEXT_KEEP : 0);
	if (f->cert.der)
		n += f->cert.der_want > f->cert.der_len ? f->cert.der_want : f->cert.der_len;
	return n;
}

void tls_facts_done(struct tls_facts *f)
{
	for (size_t i = 0; i < 2; i++) {
		free(f->dir[i].hs_buf);
		f->dir[i].hs_buf = NULL;
		f->dir[i].hs_len = 0;
		f->dir[i].hs_cap = 0;
		free(f->dir[i].plain);
		f->dir[i].plain = NULL;
		f->dir[i].plain_len = 0;
	}
	free(f->ch2);
	f->ch2 = NULL;
	free(f->cert.der);
	f->cert.der = NULL;
	f->cert.leaf_done = false;
}

/* 0 in a limit means the default */
static size_t limit_handshake(const struct tls_limits *lim)
{
	size_t v = lim && lim->max_handshake ? lim->max_handshake : TLS_DEFAULT_MAX_HANDSHAKE;
	return v < 4 ? 4 : v;
}

static size_t limit_plaintext(const struct tls_limits *lim)
{
	return lim && lim->max_plaintext ? lim->max_plaintext : TLS_DEFAULT_MAX_PLAINTEXT;
}

static size_t limit_cert(const struct tls_limits *lim)
{
	return lim && lim->max_cert_bytes ? lim->max_cert_bytes : TLS_DEFAULT_MAX_CERT;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

uint16_t tls_negotiated_version(const struct tls_facts *f)
{
	if (!f->have_sh)
		return 0;
	if (f->sh.sslv2_format)
		return 0x0002;
	return f->sh.selected_version ? f->sh.selected_version : f->sh.legacy_version;
}

/* drafts and experiments of TLS 1.3 rank with TLS 1.3 itself */
static uint16_t version_rank(uint16_t v)
{
	return tls_version_is_13(v) ? 0x0304 : v;
}

uint16_t tls_client_max_version(const struct tls_client_hello *ch)
{
	uint16_t best = 0;

	for (size_t i = 0; i < ch->n_versions; i++) {
		uint16_t v = ch->versions[i];
		if (tls_is_grease(v))
			continue;
		if (best == 0 || version_rank(v) > version_rank(best))
			best = v; /* strictly greater: among equal ranks the first listed wins */
	}
	return best ? best : ch->legacy_version;
}

bool tls_established(const struct tls_facts *f)
{
	if (!f->have_sh || f->fatal_before_done)
		return false;
	const struct tls_dir_state *c = &f->dir[TLS_DIR_CLIENT], *s = &f->dir[TLS_DIR_SERVER];
	if (f->sh.sslv2_format) {
		/* CLIENT-HELLO, CLIENT-MASTER-KEY (unless the session id hit), then CLIENT-FINISHED;
		 * SERVER-HELLO then SERVER-VERIFY */
		if (f->sslv2_cipher24 == 0 && !f->resumed)
			return false;
		return c->sslv2_records >= (f->sslv2_cipher24 ? 3u : 2u) && s->sslv2_records >= 2;
	}
	if (tls_version_is_13(tls_negotiated_version(f)))
		return c->app_after_sh > 0; /* the client's encrypted Finished */
	/* TLS <= 1.2: encrypted is set only by a ChangeCipherSpec after the ServerHello */
	return c->encrypted && s->encrypted;
}

bool tls_done(const struct tls_facts *f)
{
	return tls_established(f) || f->fatal_alert || (f->dir[TLS_DIR_CLIENT].dead && f->dir[TLS_DIR_SERVER].dead);
}

/* ---- handshake messages ---- */

/* Called once per plaintext handshake message, when its 4-byte header is complete. */
static void hs_header(struct tls_facts *f, enum tls_dir dir, uint8_t type)
{
	if (type < 32)
		f->dir[dir].hs_types |= 1u << type;
	if (dir == TLS_DIR_CLIENT && type == HS_CLIENT_HELLO) {
		if (f->n_client_hellos < UINT8_MAX)
			f->n_client_hellos++;
		if (f->n_client_hellos > 1)
			f->anomalies |= TLS_AN_MULTIPLE_CH;
		if (f->have_sh)
			f->ch_sent_after_sh = true;
	}
	if (dir == TLS_DIR_SERVER && type == HS_HELLO_RETRY_REQUEST_DRAFT)
		f->hrr = true;
}

static void on_server_hello(struct tls_facts *f)
{
	if (!tls_version_is_13(tls_negotiated_version(f)))
		return; /* TLS <= 1.2: resumption is decided at the server's ChangeCipherSpec */
	/* RFC 8446 5: everything after the ServerHello is protected, in both directions */
	for (size_t i = 0; i < 2; i++) {
		f->dir[i].encrypted = true;
		f->dir[i].hs_len = 0;
		f->dir[i].hs_skip = 0;
	}
	if (f->sh.has_psk)
		f->resumed = true;
}

/* A complete ClientHello or ServerHello body (borrowed). */
static void hs_message(struct tls_facts *f, enum tls_dir dir, uint8_t type, const uint8_t *body, size_t len,
		       uint16_t rec_version, uint16_t records)
{
	if (dir == TLS_DIR_CLIENT && type == HS_CLIENT_HELLO) {
		if (f->have_ch && f->n_client_hellos == 2 && !f->ch2) {
			/* the second ClientHello (after a HelloRetryRequest): kept for its fingerprint */
			struct tls_client_hello *ch2 = malloc(sizeof(*ch2));
			if (ch2 && tls_parse_client_hello(body, len, ch2) == TLS_OK) {
				ch2->record_version = rec_version;
				f->ch2 = ch2;
			} else {
				free(ch2);
			}
			return;
		}
		if (f->have_ch || f->n_client_hellos != 1)
			return;
		f->ch_status = (uint8_t)tls_parse_client_hello(body, len, &f->ch);
		f->ch.record_version = rec_version;
		if (f->ch_status != TLS_OK)
			return; /* f->ch keeps what was read before the error */
		f->have_ch = true;
		f->ch_records = records;
		f->anomalies |= f->ch.anomalies;
		return;
	}
	if (dir == TLS_DIR_SERVER && type == HS_SERVER_HELLO) {
		struct tls_server_hello sh;
		if (tls_parse_server_hello(body, len, &sh) != TLS_OK)
			return;
		sh.record_version = rec_version;
		f->anomalies |= sh.anomalies;
		if (sh.is_hrr) {
			f->hrr = true;
			return;
		}
		f->sh = sh; /* the last one wins */
		f->have_sh = true;
		on_server_hello(f);
	}
}

static bool hs_wanted(enum tls_dir dir, uint8_t type)
{
	return dir == TLS_DIR_CLIENT ? type == HS_CLIENT_HELLO : type == HS_SERVER_HELLO;
}

/* grow the direction's buffer to hold need bytes (need <= max) */
static bool hs_reserve(struct tls_dir_state *ds, size_t need, size_t max)
{
	if (ds->hs_cap >= need)
		return true;
	size_t cap = ds->hs_cap ? ds->hs_cap * 2 : 512;
	if (cap < need)
		cap = need;
	if (cap > max)
		cap = max;
	uint8_t *p = realloc(ds->hs_buf, cap);
	if (!p)
		return false;
	ds->hs_buf = p;
	ds->hs_cap = cap;
	return true;
}

/* the buffered message's header, from our own buffer */
static void hs_buf_header(const struct tls_dir_state *ds, uint8_t *ret_type, size_t *ret_len)
{
	struct br h = br_make(ds->hs_buf, ds->hs_len);
	*ret_type = br_u8(&h);
	*ret_len = br_u24(&h);
}

/* ---- the server's Certificate message, streamed ---- */

enum { CERT_LIST_LEN = 0, CERT_ENTRY_LEN, CERT_ENTRY_BODY, CERT_DONE };

/* The message's length fields contradict each other: keep the count so far, drop a
 * leaf that is not complete, read nothing more. */
static void cert_malformed(struct tls_facts *f)
{
	struct tls_cert_capture *c = &f->cert;

	f->anomalies |= TLS_AN_CERT_MALFORMED;
	if (!c->leaf_done) {
		free(c->der);
		c->der = NULL;
	}
	c->phase = CERT_DONE;
}

/* A 3-byte length (certificate_list, or one ASN.1Cert) is complete. */
static void cert_length(struct tls_facts *f, uint32_t v, size_t max)
{
	struct tls_cert_capture *c = &f->cert;

	if (c->phase == CERT_LIST_LEN) {
		if (v > c->msg_left) { /* the list claims more than its message holds */
			cert_malformed(f);
			return;
		}
		c->list_left = v;
		c->phase = v ? CERT_ENTRY_LEN : CERT_DONE;
		return;
	}
	/* RFC 5246 7.4.2: ASN.1Cert<1..2^24-1> */
	if (v == 0 || v > c->list_left) {
		cert_malformed(f);
		return;
	}
	if (c->chain_len < UINT32_MAX)
		c->chain_len++;
	c->entry_left = v;
	c->phase = CERT_ENTRY_BODY;
	if (c->chain_len != 1)
		return;
	c->der_want = v;
	if (v > max) {
		f->anomalies |= TLS_AN_CERT_CAPPED;
		return;
	}
	c->der = malloc(v);
	c->der_len = 0;
	if (!c->der)
		f->anomalies |= TLS_AN_CERT_CAPPED; /* out of memory: same outcome as over the cap */
}

/* Bytes of the Certificate message body (borrowed), in order, across records. */
static void cert_feed(struct tls_facts *f, struct br *b, size_t max)
{
	struct tls_cert_capture *c = &f->cert;

	while (!br_empty(b) && c->phase != CERT_DONE) {
		if (c->phase == CERT_LIST_LEN || c->phase == CERT_ENTRY_LEN) {
			if (c->phase == CERT_ENTRY_LEN) {
				if (c->list_left == 0) {
					cert_malformed(f);
					return;
				}
				c->list_left--;
			}
			c->hdr = (c->hdr << 8) | br_u8(b);
			c->msg_left--;
			if (++c->hdr_len < 3)
				continue;
			uint32_t v = c->hdr & 0xffffffu;
			c->hdr = 0;
			c->hdr_len = 0;
			cert_length(f, v, max);
			continue;
		}
		/* CERT_ENTRY_BODY */
		size_t k = min_size(c->entry_left, br_left(b));
		const uint8_t *p = br_ptr(b, k);
		if (!p)
			return;
		if (c->chain_len == 1 && c->der) {
			memcpy(c->der + c->der_len, p, k); /* der_len + k <= der_want: entry_left bounds k */
			c->der_len += k;
		}
		c->entry_left -= (uint32_t)k;
		c->list_left -= (uint32_t)k;
		c->msg_left -= (uint32_t)k;
		if (c->entry_left)
			continue;
		if (c->chain_len == 1 && c->der)
			c->leaf_done = true;
		c->phase = c->list_left ? CERT_ENTRY_LEN : CERT_DONE;
	}
	if (c->phase == CERT_DONE)
		br_skip(b, br_left(b)); /* bytes after certificate_list: ignored */
}

/* Start skipping a message we do not decode (or cannot hold). The server's first
 * Certificate message of a TLS <= 1.2 handshake is streamed through cert_feed. */
static void hs_skip_message(struct tls_facts *f, enum tls_dir dir, uint8_t type, size_t body_len)
{
	struct tls_dir_state *ds = &f->dir[dir];

	ds->hs_len = 0;
	ds->hs_skip = (uint32_t)body_len; /* u24 */
	if (dir == TLS_DIR_SERVER && type == HS_CERTIFICATE && !f->cert.seen && f->have_sh && !f->sh.sslv2_format &&
	    !tls_version_is_13(tls_negotiated_version(f))) {
		f->cert.seen = true;
		f->cert.phase = CERT_LIST_LEN;
		f->cert.msg_left = (uint32_t)body_len;
	}
}

/* Is this direction's skipped message being streamed into the certificate capture? */
static bool cert_streaming(const struct tls_facts *f, enum tls_dir dir)
{
	return dir == TLS_DIR_SERVER && f->cert.seen && f->cert.phase != CERT_DONE && f->cert.msg_left > 0;
}

/* RFC 8446 5.1: handshake messages may be coalesced into one record or fragmented across
 * several; body is one handshake record's fragment. */
static void hs_feed(struct tls_facts *f, enum tls_dir dir, uint16_t rec_version, struct br *body,
		    const struct tls_limits *lim, bool new_record)
{
	struct tls_dir_state *ds = &f->dir[dir];
	size_t max = limit_handshake(lim);

	if (new_record && ds->hs_len > 0 && ds->hs_records < UINT16_MAX)
		ds->hs_records++;
	while (!br_empty(body) && !ds->encrypted) {
		if (ds->hs_skip) {
			size_t k = min_size(ds->hs_skip, br_left(body));
			struct br part = br_sub(body, k);
			if (cert_streaming(f, dir))
				cert_feed(f, &part, limit_cert(lim));
			ds->hs_skip -= (uint32_t)k;
			continue;
		}
		if (ds->hs_len == 0 && br_left(body) >= 4) {
			struct br h = *body;
			uint8_t type = br_u8(&h);
			size_t mlen = br_u24(&h);
			if (!hs_wanted(dir, type) || 4 + mlen > max) {
				if (hs_wanted(dir, type))
					f->anomalies |= TLS_AN_HS_TOO_BIG;
				hs_header(f, dir, type);
				*body = h;
				hs_skip_message(f, dir, type, mlen);
				continue;
			}
			if (br_left(&h) >= mlen) { /* whole message in this record: no copy */
				hs_header(f, dir, type);
				const uint8_t *m = br_ptr(&h, mlen);
				*body = h;
				hs_message(f, dir, type, m, mlen, rec_version, 1);
				continue;
			}
		}
		if (ds->hs_len == 0) {
			ds->hs_rec_version = rec_version;
			ds->hs_records = 1;
		}
		uint8_t type;
		size_t mlen;
		if (ds->hs_len < 4) {
			if (!hs_reserve(ds, 4, max)) {
				f->anomalies |= TLS_AN_HS_TOO_BIG;
				ds->dead = true;
				return;
			}
			size_t k = min_size(4 - ds->hs_len, br_left(body));
			br_copy(body, ds->hs_buf + ds->hs_len, k);
			ds->hs_len += k;
			if (ds->hs_len < 4)
				continue;
			hs_buf_header(ds, &type, &mlen);
			hs_header(f, dir, type);
			if (!hs_wanted(dir, type) || 4 + mlen > max || !hs_reserve(ds, 4 + mlen, max)) {
				if (hs_wanted(dir, type))
					f->anomalies |= TLS_AN_HS_TOO_BIG;
				hs_skip_message(f, dir, type, mlen);
				continue;
			}
		}
		hs_buf_header(ds, &type, &mlen);
		size_t k = min_size(4 + mlen - ds->hs_len, br_left(body));
		br_copy(body, ds->hs_buf + ds->hs_len, k);
		ds->hs_len += k;
		if (ds->hs_len == 4 + mlen) {
			ds->hs_len = 0;
			hs_message(f, dir, type, ds->hs_buf + 4, mlen, ds->hs_rec_version, ds->hs_records);
		}
	}
}

/* ---- records ---- */

/* RFC 8446 6: a plaintext alert is level (1 warning, 2 fatal) and description. A record
 * with other contents is taken for an encrypted one we did not recognise and ignored. */
static void on_alert(struct tls_facts *f, enum tls_dir dir, struct br *body)
{
	uint8_t level = br_u8(body), desc = br_u8(body);

	if (!br_ok(body) || (level != 1 && level != 2))
		return;
	if (!f->have_alert) {
		f->have_alert = true;
		f->alert_level = level;
		f->alert_desc = desc;
		f->alert_sender = dir;
	}
	if (level == 2) {
		if (!tls_established(f))
			f->fatal_before_done = true;
		f->fatal_alert = true;
	}
}

static void on_ccs(struct tls_facts *f, enum tls_dir dir)
{
	struct tls_dir_state *ds = &f->dir[dir];

	ds->ccs++;
	/* Before the ServerHello a CCS is TLS 1.3 middlebox compatibility (RFC 8446 D.4): a
	 * second ClientHello may still follow in plaintext, so it changes nothing. */
	if (!f->have_sh || f->sh.sslv2_format || ds->encrypted)
		return;
	/* RFC 5246 7.3: an abbreviated handshake goes ServerHello -> ChangeCipherSpec, no
	 * Certificate / ServerKeyExchange / CertificateRequest / ServerHelloDone */
	if (dir == TLS_DIR_SERVER && !(ds->hs_types & FULL_HANDSHAKE_TYPES))
		f->resumed = true;
	ds->encrypted = true;
	ds->hs_len = 0;
	ds->hs_skip = 0;
}

static void on_record(struct tls_facts *f, enum tls_dir dir, uint8_t type, uint16_t version, struct br *body,
		      const struct tls_limits *lim)
{
	struct tls_dir_state *ds = &f->dir[dir];

	ds->records++;
	switch (type) {
	case CT_CCS: on_ccs(f, dir); break;
	case CT_ALERT:
		ds->alerts++;
		/* TLS <= 1.2: after this side's CCS an alert is encrypted. TLS 1.3 (RFC 8446 5.2)
		 * protects alerts inside application_data records, so a record of outer type
		 * alert is plaintext even after the ServerHello (NSS draft-16 clients sent
		 * plaintext alerts there; tshark decodes them too). */
		if (!ds->encrypted || tls_version_is_13(tls_negotiated_version(f)))
			on_alert(f, dir, body);
		break;
	case CT_HANDSHAKE:
		if (ds->encrypted)
			ds->hs_after_ccs++;
		else
			hs_feed(f, dir, version, body, lim, true);
		break;
	case CT_APPLICATION_DATA:
		ds->app_records++;
		if (f->have_sh)
			ds->app_after_sh++;
		break;
	default: /* heartbeat (RFC 6520): counted only */ break;
	}
}

/* draft-hickman SERVER-HELLO: type, session-id-hit, certificate type, version,
 * certificate length, cipher specs length, connection id length, then the data. */
static void on_sslv2_server_hello(struct tls_facts *f, struct br *m, const struct tls_limits *lim)
{
	uint8_t type = br_u8(m);
	uint8_t hit = br_u8(m);
	uint8_t cert_type = br_u8(m);
	uint16_t version = br_u16(m);
	size_t cert_len = br_u16(m), cs_len = br_u16(m), cid_len = br_u16(m);
	const uint8_t *cert = br_ptr(m, cert_len);
	br_skip(m, cs_len);
	br_skip(m, cid_len);
	if (!br_ok(m) || type != SSL2_MT_SERVER_HELLO)
		return;
	/* SSL_CT_X509_CERTIFICATE (1): one X.509 certificate, no chain */
	if (cert_type == 1 && cert_len > 0 && !f->cert.seen) {
		f->cert.seen = true;
		f->cert.chain_len = 1;
		f->cert.der_want = cert_len;
		f->cert.phase = CERT_DONE;
		if (cert_len > limit_cert(lim)) {
			f->anomalies |= TLS_AN_CERT_CAPPED;
		} else if ((f->cert.der = malloc(cert_len)) != NULL) {
			memcpy(f->cert.der, cert, cert_len);
			f->cert.der_len = cert_len;
			f->cert.leaf_done = true;
		}
	}
	memset(&f->sh, 0, sizeof(f->sh));
	f->sh.record_version = 0x0002;
	f->sh.legacy_version = version;
	f->sh.sslv2_format = true;
	f->have_sh = true;
	if (hit)
		f->resumed = true;
}

/* One SSLv2 record (2-byte header, or 3-byte header with padding) at r. Returns false,
 * consuming nothing, when the record is not complete. */
static bool sslv2_record(struct tls_facts *f, enum tls_dir dir, struct br *r, const struct tls_limits *lim)
{
	struct tls_dir_state *ds = &f->dir[dir];
	struct br h = *r;
	uint8_t b0 = br_u8(&h), b1 = br_u8(&h);
	bool two_byte = (b0 & 0x80) != 0;
	size_t len = two_byte ? (size_t)(((b0 & 0x7f) << 8) | b1) : (size_t)(((b0 & 0x3f) << 8) | b1);

	if (!two_byte)
		br_skip(&h, 1); /* padding length: inside len */
	if (!br_ok(&h) || br_left(&h) < len)
		return false;
	size_t total = (two_byte ? 2u : 3u) + len;
	struct br m = br_sub(&h, len);
	struct br whole = *r;
	const uint8_t *rec = br_ptr(&whole, total);
	*r = h;

	ds->records++;
	ds->sslv2_records++;
	uint8_t mt = br_peek(&m, 0);
	if (dir == TLS_DIR_CLIENT && ds->sslv2_records == 1 && two_byte && mt == SSL2_MT_CLIENT_HELLO) {
		hs_header(f, dir, HS_CLIENT_HELLO);
		size_t n;
		if (!f->have_ch && f->n_client_hellos == 1 && rec) {
			f->ch_status = (uint8_t)tls_parse_sslv2_client_hello(rec, total, &f->ch, &n);
			if (f->ch_status == TLS_OK) {
				f->have_ch = true;
				f->ch_records = 1;
				f->anomalies |= f->ch.anomalies;
			}
		}
	} else if (dir == TLS_DIR_CLIENT && ds->sslv2_records == 2 && two_byte && mt == SSL2_MT_CLIENT_MASTER_KEY) {
		br_skip(&m, 1);
		uint32_t kind = br_u24(&m);
		if (br_ok(&m))
			f->sslv2_cipher24 = kind;
	} else if (dir == TLS_DIR_SERVER && ds->sslv2_records == 1 && two_byte && mt == SSL2_MT_SERVER_HELLO) {
		on_sslv2_server_hello(f, &m, lim);
	}
	return true;
}

/* Records after the first: SSLv2 framing once the server answered in SSLv2, or (before
 * any server answer) for a record whose first byte has the high bit set, which no TLS
 * ContentType has. */
static bool use_sslv2_framing(const struct tls_facts *f, uint8_t b0)
{
	if (f->have_sh)
		return f->sh.sslv2_format;
	return (b0 & 0x80) != 0;
}

/* One record at r. Returns false, consuming nothing, if it is incomplete or the
 * direction died. */
static bool one_record(struct tls_facts *f, enum tls_dir dir, struct br *r, const struct tls_limits *lim)
{
	struct tls_dir_state *ds = &f->dir[dir];

	if (br_empty(r))
		return false;
	if (ds->rec_hs_left) { /* the rest of a plaintext handshake record, as it arrives */
		size_t n = min_size(ds->rec_hs_left, br_left(r));
		struct br piece = br_sub(r, n);
		ds->rec_hs_left = (uint16_t)(ds->rec_hs_left - n);
		hs_feed(f, dir, ds->rec_skip_version, &piece, lim, false);
		return ds->rec_hs_left == 0;
	}
	if (ds->rec_skip) { /* the rest of a record we only count */
		size_t n = min_size(ds->rec_skip, br_left(r));
		br_skip(r, n);
		ds->rec_skip = (uint16_t)(ds->rec_skip - n);
		if (ds->rec_skip)
			return false;
		struct br none = br_make(NULL, 0);
		on_record(f, dir, ds->rec_skip_type, ds->rec_skip_version, &none, lim);
		return true;
	}
	if (use_sslv2_framing(f, br_peek(r, 0)))
		return sslv2_record(f, dir, r, lim);

	/* RFC 8446 5.1: ContentType type; ProtocolVersion legacy_record_version; uint16 length */
	struct br h = *r;
	uint8_t type = br_u8(&h);
	uint16_t version = br_u16(&h);
	size_t len = br_u16(&h);
	if (!br_ok(&h))
		return false;
	if (type < CT_CCS || type > CT_HEARTBEAT || (version >> 8) != 3) {
		ds->dead = true; /* lost framing: nothing after this can be trusted */
		return false;
	}
	if (len > TLS_MAX_RECORD) {
		f->anomalies |= TLS_AN_RECORD_TOO_BIG;
		ds->dead = true;
		return false;
	}
	if (br_left(&h) < len) {
		/* Encrypted contents are only counted: take the header now and stream the
		 * body, so a direction never buffers more than a record header of them. */
		if (type == CT_HANDSHAKE && !ds->encrypted && br_left(&h) > 0) {
			/* Plaintext handshake: the handshake layer reassembles messages
			 * across any split (bounded), so the record need not be buffered
			 * whole either; certificate chains stream through. */
			size_t avail = br_left(&h);
			struct br piece = br_sub(&h, avail);
			ds->rec_skip_version = version;
			ds->rec_hs_left = (uint16_t)(len - avail);
			*r = h;
			on_record(f, dir, type, version, &piece, lim);
			return false;
		}
		if (type == CT_APPLICATION_DATA || type == CT_HEARTBEAT || (type == CT_HANDSHAKE && ds->encrypted)) {
			ds->rec_skip_type = type;
			ds->rec_skip_version = version;
			ds->rec_skip = (uint16_t)(len - br_left(&h));
			br_skip(&h, br_left(&h));
			*r = h;
		}
		return false;
	}
	struct br body = br_sub(&h, len);
	*r = h;
	on_record(f, dir, type, version, &body, lim);
	return true;
}

/* ---- finding the first record ---- */

enum start_kind { START_NO, START_PARTIAL, START_YES };

/* Could data[0..len) begin the direction's first record? loose: any plausible TLS record
 * header (used at the very start of a stream). strict: the first record a peer really
 * sends (client: handshake ClientHello; server: handshake ServerHello or a 2-byte alert),
 * used when searching plaintext. Either accepts an SSLv2 hello. START_PARTIAL: the
 * bytes present agree but are too few to decide. */
static enum start_kind record_start(const uint8_t *data, size_t len, enum tls_dir dir, bool strict)
{
	struct br r = br_make(data, len);
	uint8_t b[6] = {0};
	size_t have = min_size(br_left(&r), sizeof(b));

	if (have == 0)
		return START_PARTIAL;
	br_copy(&r, b, have);
	if (b[0] & 0x80) {
		switch (tls_sslv2_hello_start(data, len, dir == TLS_DIR_SERVER)) {
		case TLS_OK: return START_YES;
		case TLS_NEED_MORE: return START_PARTIAL;
		default: return START_NO;
		}
	}
	if (b[0] < CT_CCS || b[0] > CT_HEARTBEAT)
		return START_NO;
	if (strict && b[0] != CT_HANDSHAKE && !(dir == TLS_DIR_SERVER && b[0] == CT_ALERT))
		return START_NO;
	if (have >= 2 && b[1] != 3)
		return START_NO;
	if (have >= 3 && b[2] > 4)
		return START_NO;
	if (have < 5)
		return START_PARTIAL;
	size_t rlen = (size_t)((b[3] << 8) | b[4]);
	if (rlen == 0 || rlen > TLS_MAX_RECORD)
		return START_NO;
	if (!strict)
		return START_YES;
	if (b[0] == CT_ALERT)
		return rlen == 2 ? START_YES : START_NO;
	if (have < 6)
		return START_PARTIAL;
	return b[5] == (dir == TLS_DIR_CLIENT ? HS_CLIENT_HELLO : HS_SERVER_HELLO) ? START_YES : START_NO;
}

/* Before the first record: decide where it starts, skipping (and keeping the start of)
 * any plaintext in front. Returns the plaintext bytes consumed. */
static size_t find_first_record(struct tls_facts *f, enum tls_dir dir, const uint8_t *data, size_t len,
				const struct tls_limits *lim)
{
	struct tls_dir_state *ds = &f->dir[dir];
	bool at_start = ds->consumed == 0 && ds->plaintext_skipped == 0;
	size_t max = limit_plaintext(lim), i = 0;
	bool found = false;

	if (at_start) {
		enum start_kind k = record_start(data, len, dir, false);
		if (k == START_YES)
			ds->started = true;
		if (k != START_NO)
			return 0;
		i = 1;
	}
	for (; i < len; i++) {
		if (ds->plaintext_skipped + i > max)
			break;
		enum start_kind k = record_start(data + i, len - i, dir, true);
		if (k == START_NO)
			continue;
		found = (k == START_YES);
		break; /* a possible record start at the tail stays unconsumed */
	}
	size_t keep = min_size(i, (size_t)(TLS_PLAINTEXT_KEEP - ds->plain_len));
	if (keep && !ds->plain && !(ds->plain = malloc(TLS_PLAINTEXT_KEEP)))
		keep = 0; /* out of memory: the dialogue is not kept, parsing goes on */
	if (keep) {
		struct br r = br_make(data, len);
		br_copy(&r, ds->plain + ds->plain_len, keep);
		ds->plain_len = (uint16_t)(ds->plain_len + keep);
	}
	ds->plaintext_skipped += i;
	if (i)
		f->anomalies |= TLS_AN_PLAINTEXT_PREFIX;
	if (found) {
		ds->started = true;
	} else if (ds->plaintext_skipped > max) {
		f->anomalies |= TLS_AN_NOT_TLS;
		ds->dead = true;
	}
	return i;
}

size_t tls_feed(struct tls_facts *f, enum tls_dir dir, const uint8_t *data, size_t len, const struct tls_limits *lim)
{
	struct tls_dir_state *ds = &f->dir[dir];
	size_t used = 0;

	if (!ds->dead && !ds->started)
		used = find_first_record(f, dir, data, len, lim);
	if (!ds->dead && ds->started) {
		struct br r = br_make(data, len);
		br_skip(&r, used);
		while (!ds->dead && one_record(f, dir, &r, lim))
			;
		used = r.off;
	}
	if (ds->dead)
		used = len;
	ds->consumed += used;
	return used;
}
