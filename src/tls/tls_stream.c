/* tls_stream.c - TLS/SSL record layer and handshake reassembly over one TCP connection.
 * specification: RFC 8446 section 5 and appendix D.4, RFC 5246 section 6.2 and 7.4,
 * draft-hickman-netscape-ssl-00 (SSL 2.0 records), RFC 5077 (session tickets),
 * RFC 5246 section 7.4.2 (server Certificate), RFC 8422 section 5.4 (ServerKeyExchange).
 *
 * Design note: the caller owns the stream buffers. tls_conn_feed() consumes whole records (and plaintext it
 * has decided to skip) and leaves an incomplete record for the next call, so this file never copies records.
 * Only handshake messages we decode (the client's ClientHello, the server's ServerHello) are reassembled across
 * records, into one lazily allocated per-direction buffer bounded by tls_limits.max_handshake and freed as soon
 * as the message is complete; each complete hello is parsed once into a struct on the stack, handed to the
 * caller's event and forgotten, so a connection in progress holds only struct tls_conn (a few hundred bytes).
 * Every other handshake message is skipped by length after its 4-byte header, so a large certificate chain
 * costs nothing. The server's Certificate message (TLS <= 1.2) is skipped the same way, but the skipped bytes
 * pass through a small streaming parser (cert_feed) that counts the chain's entries and copies only the first
 * (leaf) entry, at most tls_limits.max_cert_bytes, into a buffer that lives until the leaf is complete and its
 * event has run. Handshake bytes are looked at only while the sending direction is plaintext: for TLS <= 1.2
 * until that side's ChangeCipherSpec after the ServerHello, for TLS 1.3 until the (non-HRR) ServerHello, for
 * both sides. Ordering between the two directions is the order in which the caller feeds them.
 *
 * Where a record starts is decided in one place, record_start(): at the start of a stream, while searching
 * plaintext (STARTTLS) for the first record, after a gap in the capture (resynchronisation), and for the
 * caller's question of who sent the first bytes (tls_guess_sender).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/limits.h"
#include "tlsaudit/names.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/tls.h"
#include "tlsaudit/zpack.h"
#include "tls_internal.h"

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

/* The server's Certificate message (RFC 5246 section 7.4.2), read as it streams past:
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate; */
struct cert_capture {
	uint8_t *der;	     /* owned while the leaf streams in; freed once its event ran */
	size_t der_len;	     /* bytes of der received so far */
	uint32_t der_want;   /* the leaf's length on the wire */
	uint8_t phase;	     /* what the next byte belongs to */
	uint8_t hdr_len;     /* bytes of a 3-byte length read so far */
	uint32_t hdr;	     /* the length being assembled */
	uint32_t msg_left;   /* message body bytes not yet seen */
	uint32_t list_left;  /* certificate_list bytes not yet seen */
	uint32_t entry_left; /* bytes of the current entry not yet seen */
};

/* per-direction record-layer state not shown in struct tls_dir_view */
struct dir_priv {
	uint8_t *hs_buf;	 /* owned: a wanted handshake message spanning records; NULL otherwise */
	uint32_t hs_len, hs_cap; /* hs_cap <= max_handshake */
	uint8_t *plain;		 /* owned: first plaintext bytes (STARTTLS dialogue), TLS_PLAINTEXT_KEEP */
	uint32_t hs_skip;	 /* bytes left of a handshake message being skipped (not a hello, or too big) */
	uint16_t hs_rec_version; /* record version of the record that began the buffered message */
	uint16_t hs_records;	 /* records the buffered message has spanned so far */
	uint16_t rec_skip;	 /* bytes left of a record whose body is not needed (encrypted), streamed */
	uint8_t rec_skip_type;	 /* that record's content type: counted when its last byte arrives */
	uint16_t rec_hs_left;	 /* bytes left of a plaintext handshake record fed as it arrives */
	uint16_t rec_skip_version;
	bool resync;	     /* bytes were lost: look for the next confirmed record header */
	bool hello_pending;  /* client: the ServerHello was parsed before this side's first record (a capture
			      * that recorded the answer first): its first hello is still its first message */
	bool ske;	     /* the server's ServerKeyExchange body is streaming: its first bytes name the curve */
	bool skip_cert;	     /* the message being skipped is the server's first Certificate */
	uint8_t ske_have;    /* bytes of ske_head read */
	uint8_t ske_head[3]; /* ECCurveType curve_type; NamedCurve namedcurve (RFC 8422 5.4) */
};

struct tls_conn {
	struct tls_state st;
	struct dir_priv d[2];
	struct cert_capture *cert; /* owned: the server's Certificate message while it streams past, else NULL */
	uint32_t max_handshake, max_plaintext, max_cert;
	const struct tls_events *ev;
	void *ctx;
};

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* 0 in a limit means the default; limits are bounded so that every length computed from them fits 32 bits */
static uint32_t limit_or(size_t v, size_t def, size_t lo, size_t hi)
{
	if (v == 0)
		v = def;
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return (uint32_t)v;
}

int tls_conn_new(const struct tls_limits *lim, const struct tls_events *ev, void *ctx, struct tls_conn **ret)
{
	struct tls_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->max_handshake = limit_or(lim ? lim->max_handshake : 0, TA_DEF_MAX_HANDSHAKE, 4, TA_MAX_HANDSHAKE_CAP);
	c->max_plaintext = limit_or(lim ? lim->max_plaintext : 0, TA_DEF_MAX_PLAINTEXT, 1, TA_MAX_PLAINTEXT_CAP);
	c->max_cert = limit_or(lim ? lim->max_cert_bytes : 0, TA_DEF_MAX_CERT_BYTES, 1, TA_MAX_CERT_CAP);
	c->ev = ev;
	c->ctx = ctx;
	*ret = c;
	return 0;
}

static void cert_end(struct tls_conn *c);

/* What the connection owns besides its struct */
static void conn_release(struct tls_conn *c)
{
	for (size_t i = 0; i < 2; i++) {
		free(c->d[i].hs_buf);
		free(c->d[i].plain);
	}
	cert_end(c);
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	conn_release(c);
	free(c);
}

size_t tls_conn_heap(const struct tls_conn *c)
{
	size_t n = sizeof(*c);
	for (size_t i = 0; i < 2; i++)
		n += c->d[i].hs_cap + (c->d[i].plain ? TLS_PLAINTEXT_KEEP : 0);
	if (c->cert)
		n += sizeof(*c->cert) + (c->cert->der ? c->cert->der_want : 0);
	return n;
}

const struct tls_state *tls_conn_state(const struct tls_conn *c)
{
	return &c->st;
}

/* ---- packed while waiting ---- */

struct tls_packed {
	uint16_t len;	 /* of bytes[] */
	uint8_t facts;	 /* bit d: tls_dir_closed() of direction d; bit 2: tls_done() */
	uint32_t heap;	 /* tls_conn_heap() less the struct: the buffers it owns */
	uint8_t bytes[]; /* zpack() of the struct tls_conn; its pointers are the connection's buffers */
};

/* The bytes a packed form holds at least. After a ClientHello a connection packs into ~55, at the end of a
 * handshake into ~110: allocated at their own sizes, the connections of a burst - packing in step as their
 * handshakes advance - leave a hole of each old size behind them (bench/flows.sh mid: 124-132 MB peak RSS, run
 * to run), allocated alike the chunk freed at an unpack is the one the next pack takes (122.6 MB, every run). */
#define PACK_MIN 120

static size_t packed_cap(size_t n)
{
	return n < PACK_MIN ? PACK_MIN : n;
}

struct tls_packed *tls_conn_pack(struct tls_conn *c)
{
	uint8_t buf[ZPACK_BOUND(sizeof(*c))];
	size_t n = zpack(c, sizeof(*c), buf);
	if (sizeof(struct tls_packed) + packed_cap(n) + 16 > sizeof(*c))
		return NULL;
	struct tls_packed *p = malloc(sizeof(*p) + packed_cap(n));
	if (!p)
		return NULL;
	p->len = (uint16_t)n;
	p->facts = (uint8_t)((tls_dir_closed(&c->st, TLS_DIR_CLIENT) ? 1u << TLS_DIR_CLIENT : 0) |
			     (tls_dir_closed(&c->st, TLS_DIR_SERVER) ? 1u << TLS_DIR_SERVER : 0) |
			     (tls_done(&c->st) ? 4u : 0));
	p->heap = (uint32_t)(tls_conn_heap(c) - sizeof(*c));
	memcpy(p->bytes, buf, n);
	free(c); /* the struct only: what it owns is referenced from p->bytes now */
	return p;
}

struct tls_conn *tls_conn_unpack(struct tls_packed *p)
{
	struct tls_conn *c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	(void)zunpack(p->bytes, p->len, c, sizeof(*c)); /* made by tls_conn_pack() */
	free(p);
	return c;
}

void tls_packed_free(struct tls_packed *p)
{
	if (!p)
		return;
	struct tls_conn c;
	(void)zunpack(p->bytes, p->len, &c, sizeof(c));
	conn_release(&c);
	free(p);
}

size_t tls_packed_heap(const struct tls_packed *p)
{
	return sizeof(*p) + packed_cap(p->len) + p->heap;
}

bool tls_packed_dir_closed(const struct tls_packed *p, enum tls_dir dir)
{
	return (p->facts >> dir) & 1u;
}

bool tls_packed_done(const struct tls_packed *p)
{
	return (p->facts & 4u) != 0;
}

/* ---- versions ---- */

bool tls_version_is_13(uint16_t v)
{
	return v == 0x0304 || (v >> 8) == 0x7f || (v >> 8) == 0x7e || v == 0xfb1a || v == 0xfb17;
}

uint16_t tls_version_rank(uint16_t v)
{
	return tls_version_is_13(v) ? 0x0304 : v;
}

uint16_t tls_client_max_version(const struct tls_client_hello *ch)
{
	uint16_t best = 0;

	for (size_t i = 0; i < ch->n_versions && i < TLS_MAX_VERSIONS; i++) {
		uint16_t v = ch->versions[i];
		if (tls_is_grease(v))
			continue;
		if (best == 0 || tls_version_rank(v) > tls_version_rank(best))
			best = v; /* strictly greater: among equal ranks the first listed wins */
	}
	return best ? best : ch->legacy_version;
}

uint16_t tls_client_min_listed_version(const struct tls_client_hello *ch)
{
	uint16_t low = 0;

	for (size_t i = 0; i < ch->n_versions && i < TLS_MAX_VERSIONS; i++) {
		uint16_t v = ch->versions[i];
		if (tls_is_grease(v))
			continue;
		if (low == 0 || tls_version_rank(v) < tls_version_rank(low))
			low = v;
	}
	return low;
}

/* ---- the handshake's result ---- */

bool tls_established(const struct tls_state *s, bool *ret_inferred)
{
	const struct tls_dir_view *c = &s->dir[TLS_DIR_CLIENT], *sv = &s->dir[TLS_DIR_SERVER];
	bool direct = false;

	if (ret_inferred)
		*ret_inferred = false;
	if (s->fatal_before_done)
		return false;
	if (s->have_sh && s->sh_sslv2) {
		/* CLIENT-HELLO, CLIENT-MASTER-KEY (unless the session id hit), then CLIENT-FINISHED; SERVER-HELLO
		 * then SERVER-VERIFY */
		if (s->sslv2_cipher24 == 0 && !s->resumed)
			return false;
		return c->sslv2_records >= (s->sslv2_cipher24 ? 3u : 2u) && sv->sslv2_records >= 2;
	}
	if (s->have_sh && tls_version_is_13(s->negotiated_version))
		direct = c->app_after_sh > 0; /* the client's encrypted Finished */
	else if (s->have_sh)
		direct = c->encrypted && sv->encrypted; /* both ChangeCipherSpecs after the ServerHello */
	if (direct)
		return true;
	/* The capture lost what decides (the ServerHello, or a gap before a ChangeCipherSpec): both sides
	 * changed cipher spec and then both sent application data, which only an established session does. */
	if (c->ccs && sv->ccs && c->app_after_ccs && sv->app_after_ccs) {
		if (ret_inferred)
			*ret_inferred = true;
		return true;
	}
	return false;
}

bool tls_done(const struct tls_state *s)
{
	return tls_established(s, NULL) || s->fatal_alert ||
	       (s->dir[TLS_DIR_CLIENT].dead && s->dir[TLS_DIR_SERVER].dead);
}

bool tls_dir_closed(const struct tls_state *s, enum tls_dir dir)
{
	return s->dir[dir].dead || tls_done(s);
}

/* ---- handshake messages ---- */

/* Called once per plaintext handshake message, when its 4-byte header is complete. */
static void hs_header(struct tls_conn *c, enum tls_dir dir, uint8_t type)
{
	struct tls_state *s = &c->st;

	if (type < 32)
		s->dir[dir].hs_types |= 1u << type;
	if (dir == TLS_DIR_CLIENT && type == HS_CLIENT_HELLO) {
		if (s->n_client_hellos < UINT8_MAX)
			s->n_client_hellos++;
		if (s->n_client_hellos > 1)
			s->anomalies |= TLS_AN_MULTIPLE_CH;
		if (s->have_sh && !(c->d[dir].hello_pending && s->n_client_hellos == 1))
			s->ch_sent_after_sh = true;
	}
	if (dir == TLS_DIR_SERVER && type == HS_HELLO_RETRY_REQUEST_DRAFT)
		s->hrr = true;
}

static void on_server_hello(struct tls_conn *c, const struct tls_server_hello *sh)
{
	struct tls_state *s = &c->st;

	s->have_sh = true;
	s->sh_sslv2 = false;
	s->sh_malformed = sh->exts_malformed;
	c->d[TLS_DIR_CLIENT].hello_pending = s->dir[TLS_DIR_CLIENT].records == 0;
	s->negotiated_version = sh->selected_version ? sh->selected_version : sh->legacy_version;
	s->sh_cipher = sh->cipher;
	if (c->ev && c->ev->server_hello)
		c->ev->server_hello(c->ctx, sh);
	if (!tls_version_is_13(s->negotiated_version))
		return; /* TLS <= 1.2: resumption is decided at the server's ChangeCipherSpec */
	s->kx_group = sh->key_share_group;
	/* RFC 8446 5: everything after the ServerHello is protected, in both directions; in the client's stream
	 * that begins after its ClientHello, which the capture may show later (hello_pending) */
	for (size_t i = 0; i < 2; i++) {
		if (c->d[i].hello_pending)
			continue;
		s->dir[i].encrypted = true;
		c->d[i].hs_len = 0;
		c->d[i].hs_skip = 0;
	}
	if (sh->has_psk)
		s->resumed = true;
}

/* A complete ClientHello or ServerHello body (borrowed). */
static void hs_message(struct tls_conn *c, enum tls_dir dir, uint8_t type, const uint8_t *body, size_t len,
		       uint16_t rec_version, uint16_t records)
{
	struct tls_state *s = &c->st;

	if (dir == TLS_DIR_CLIENT && type == HS_CLIENT_HELLO && s->n_client_hellos >= 1 && s->n_client_hellos <= 2 &&
	    !s->ch_end_record[s->n_client_hellos - 1])
		s->ch_end_record[s->n_client_hellos - 1] = s->dir[dir].records;
	if (dir == TLS_DIR_SERVER && type == HS_SERVER_HELLO && !s->sh_end_record)
		s->sh_end_record = s->dir[dir].records;
	if (dir == TLS_DIR_CLIENT && type == HS_CLIENT_HELLO) {
		struct tls_client_hello ch;
		enum tls_status st = tls_parse_client_hello(body, len, &ch);
		ch.record_version = rec_version;
		if (s->n_client_hellos == 1 && !s->have_ch) {
			s->ch_status = (uint8_t)st;
			s->ch_records = records;
			if (st == TLS_OK) {
				s->have_ch = true;
				s->anomalies |= ch.anomalies;
			}
		}
		if (c->ev && c->ev->client_hello)
			c->ev->client_hello(c->ctx, &ch, st);
		return;
	}
	if (dir == TLS_DIR_SERVER && type == HS_SERVER_HELLO) {
		struct tls_server_hello sh;
		if (tls_parse_server_hello(body, len, &sh) != TLS_OK)
			return;
		sh.record_version = rec_version;
		if (!s->sh_records) {
			s->sh_records = records;
			s->sh_first_hrr = sh.is_hrr;
		}
		s->anomalies |= sh.anomalies;
		if (sh.is_hrr) {
			s->hrr = true;
			return;
		}
		on_server_hello(c, &sh);
	}
}

static bool hs_wanted(enum tls_dir dir, uint8_t type)
{
	return dir == TLS_DIR_CLIENT ? type == HS_CLIENT_HELLO : type == HS_SERVER_HELLO;
}

/* grow the direction's buffer to hold need bytes (need <= max) */
static bool hs_reserve(struct dir_priv *d, size_t need, size_t max)
{
	if (d->hs_cap >= need)
		return true;
	size_t cap = d->hs_cap ? (size_t)d->hs_cap * 2 : 512;
	if (cap < need)
		cap = need;
	if (cap > max)
		cap = max;
	uint8_t *p = realloc(d->hs_buf, cap);
	if (!p)
		return false;
	d->hs_buf = p;
	d->hs_cap = (uint32_t)cap;
	return true;
}

static void hs_release(struct dir_priv *d)
{
	free(d->hs_buf);
	d->hs_buf = NULL;
	d->hs_len = d->hs_cap = 0;
}

/* the buffered message's header, from our own buffer */
static void hs_buf_header(const struct dir_priv *d, uint8_t *ret_type, size_t *ret_len)
{
	struct br h = br_make(d->hs_buf, d->hs_len);
	*ret_type = br_u8(&h);
	*ret_len = br_u24(&h);
}

/* ---- the server's Certificate message, streamed ---- */

enum { CERT_LIST_LEN = 1, CERT_ENTRY_LEN, CERT_ENTRY_BODY, CERT_DONE };

static void cert_drop(struct cert_capture *cc)
{
	free(cc->der);
	cc->der = NULL;
	cc->der_len = 0;
}

/* The message's capture is over (read to its end, malformed, or its bytes lost): nothing more is read. */
static void cert_end(struct tls_conn *c)
{
	if (!c->cert)
		return;
	cert_drop(c->cert);
	free(c->cert);
	c->cert = NULL;
}

/* The message's length fields contradict each other: keep the count so far, drop a leaf that is not
 * complete, read nothing more. */
static void cert_malformed(struct tls_conn *c)
{
	c->st.anomalies |= TLS_AN_CERT_MALFORMED;
	cert_end(c);
}

/* A 3-byte length (certificate_list, or one ASN.1Cert) is complete. */
static void cert_length(struct tls_conn *c, uint32_t v)
{
	struct cert_capture *cc = c->cert;

	if (cc->phase == CERT_LIST_LEN) {
		c->st.cert_list_len = v;
		if (v > cc->msg_left) { /* the list claims more than its message holds */
			cert_malformed(c);
			return;
		}
		cc->list_left = v;
		cc->phase = v ? CERT_ENTRY_LEN : CERT_DONE;
		return;
	}
	/* RFC 5246 7.4.2: ASN.1Cert<1..2^24-1> */
	if (v == 0 || v > cc->list_left) {
		cert_malformed(c);
		return;
	}
	if (c->st.cert_chain_len < UINT32_MAX)
		c->st.cert_chain_len++;
	cc->entry_left = v;
	cc->phase = CERT_ENTRY_BODY;
	if (c->st.cert_chain_len != 1)
		return;
	cc->der_want = v;
	if (v > c->max_cert) {
		c->st.anomalies |= TLS_AN_CERT_CAPPED;
		return;
	}
	cc->der = malloc(v);
	cc->der_len = 0;
	if (!cc->der)
		c->st.anomalies |= TLS_AN_CERT_CAPPED; /* out of memory: same outcome as over the cap */
}

/* The leaf is complete: hand it out, forget it. */
static void cert_leaf_done(struct tls_conn *c)
{
	struct cert_capture *cc = c->cert;

	if (c->ev && c->ev->certificate)
		c->ev->certificate(c->ctx, cc->der, cc->der_len);
	cert_drop(cc);
}

/* Bytes of the Certificate message body (borrowed), in order, across records. */
static void cert_feed(struct tls_conn *c, struct br *b)
{
	struct cert_capture *cc;

	while (!br_empty(b) && (cc = c->cert) && cc->phase != CERT_DONE) {
		if (cc->phase == CERT_LIST_LEN || cc->phase == CERT_ENTRY_LEN) {
			if (cc->phase == CERT_ENTRY_LEN) {
				if (cc->list_left == 0) {
					cert_malformed(c);
					return;
				}
				cc->list_left--;
			}
			cc->hdr = (cc->hdr << 8) | br_u8(b);
			cc->msg_left--;
			if (++cc->hdr_len < 3)
				continue;
			uint32_t v = cc->hdr & 0xffffffu;
			cc->hdr = 0;
			cc->hdr_len = 0;
			cert_length(c, v);
			continue;
		}
		/* CERT_ENTRY_BODY */
		size_t k = min_size(cc->entry_left, br_left(b));
		const uint8_t *p = br_ptr(b, k);
		if (!p)
			return;
		if (c->st.cert_chain_len == 1 && cc->der) {
			memcpy(cc->der + cc->der_len, p, k); /* der_len + k <= der_want: entry_left bounds k */
			cc->der_len += k;
		}
		cc->entry_left -= (uint32_t)k;
		cc->list_left -= (uint32_t)k;
		cc->msg_left -= (uint32_t)k;
		if (cc->entry_left)
			continue;
		if (c->st.cert_chain_len == 1 && cc->der)
			cert_leaf_done(c);
		cc->phase = cc->list_left ? CERT_ENTRY_LEN : CERT_DONE;
	}
	if (c->cert && c->cert->phase == CERT_DONE) {
		br_skip(b, br_left(b)); /* bytes after certificate_list: ignored */
		cert_end(c);
	}
}

/* ServerKeyExchange of an ECDHE suite (RFC 8422 5.4): ECParameters { ECCurveType curve_type; select
 * (curve_type) { case named_curve: NamedCurve namedcurve; } } comes first. */
static void ske_feed(struct tls_conn *c, struct br *b)
{
	struct dir_priv *d = &c->d[TLS_DIR_SERVER];

	while (d->ske && !br_empty(b)) {
		d->ske_head[d->ske_have++] = br_u8(b);
		if (d->ske_have < sizeof(d->ske_head))
			continue;
		d->ske = false;
		if (d->ske_head[0] == 3) /* named_curve */
			c->st.kx_group = (uint16_t)((d->ske_head[1] << 8) | d->ske_head[2]);
	}
}

/* Only an ECDHE suite's ServerKeyExchange starts with a named curve (a DHE one starts with dh_p's length). */
static bool cipher_is_ecdhe(uint16_t cipher)
{
	const char *n = names_cipher_known(cipher);
	return n && strstr(n, "_ECDHE_") != NULL;
}

/* Start skipping a message we do not decode (or cannot hold). The server's first Certificate message of a
 * TLS <= 1.2 handshake is streamed through cert_feed, its ServerKeyExchange through ske_feed. rec_left: bytes
 * of the current record after the message's header. */
static void hs_skip_message(struct tls_conn *c, enum tls_dir dir, uint8_t type, size_t body_len, size_t rec_left)
{
	struct dir_priv *d = &c->d[dir];
	const struct tls_state *s = &c->st;
	bool tls12 = s->have_sh && !s->sh_sslv2 && !tls_version_is_13(s->negotiated_version);

	d->hs_len = 0;
	d->hs_skip = (uint32_t)body_len; /* u24 */
	if (dir != TLS_DIR_SERVER || !tls12)
		return;
	if (type == HS_CERTIFICATE && !s->cert_seen) {
		c->st.cert_seen = true;
		d->skip_cert = true;
		if (body_len == 0)
			c->st.cert_end_record = c->st.dir[dir].records;
		c->st.cert_msg_len = (uint32_t)body_len;
		c->st.cert_one_record = body_len <= rec_left; /* the rest of this record holds it all */
		if (!(c->cert = calloc(1, sizeof(*c->cert)))) {
			c->st.anomalies |= TLS_AN_CERT_CAPPED; /* out of memory: neither leaf nor chain length */
			return;
		}
		c->cert->phase = CERT_LIST_LEN;
		c->cert->msg_left = (uint32_t)body_len;
	} else if (type == HS_SERVER_KEY_EXCHANGE && cipher_is_ecdhe(s->sh_cipher)) {
		d->ske = true;
		d->ske_have = 0;
	}
}

/* Is this direction's skipped message being streamed into the certificate capture? */
static bool cert_streaming(const struct tls_conn *c, enum tls_dir dir)
{
	return dir == TLS_DIR_SERVER && c->cert && c->cert->phase != CERT_DONE && c->cert->msg_left > 0;
}

/* RFC 8446 5.1: handshake messages may be coalesced into one record or fragmented across several; body is
 * one handshake record's fragment. */
static void hs_feed(struct tls_conn *c, enum tls_dir dir, uint16_t rec_version, struct br *body, bool new_record)
{
	struct tls_state *s = &c->st;
	struct dir_priv *d = &c->d[dir];
	size_t max = c->max_handshake;

	if (new_record && d->hs_len > 0 && d->hs_records < UINT16_MAX)
		d->hs_records++;
	while (!br_empty(body) && !s->dir[dir].encrypted) {
		if (d->hs_skip) {
			size_t k = min_size(d->hs_skip, br_left(body));
			struct br part = br_sub(body, k);
			if (cert_streaming(c, dir))
				cert_feed(c, &part);
			else if (dir == TLS_DIR_SERVER && d->ske)
				ske_feed(c, &part);
			d->hs_skip -= (uint32_t)k;
			if (!d->hs_skip) {
				d->ske = false;
				if (d->skip_cert) {
					d->skip_cert = false;
					s->cert_end_record = s->dir[dir].records;
					cert_end(c);
				}
			}
			continue;
		}
		if (d->hs_len == 0 && br_left(body) >= 4) {
			struct br h = *body;
			uint8_t type = br_u8(&h);
			size_t mlen = br_u24(&h);
			if (!hs_wanted(dir, type) || 4 + mlen > max) {
				if (hs_wanted(dir, type))
					s->anomalies |= TLS_AN_HS_TOO_BIG;
				hs_header(c, dir, type);
				*body = h;
				hs_skip_message(c, dir, type, mlen, br_left(body) + d->rec_hs_left);
				continue;
			}
			if (br_left(&h) >= mlen) { /* whole message in this record: no copy */
				hs_header(c, dir, type);
				const uint8_t *m = br_ptr(&h, mlen);
				*body = h;
				hs_message(c, dir, type, m, mlen, rec_version, 1);
				continue;
			}
		}
		if (d->hs_len == 0) {
			d->hs_rec_version = rec_version;
			d->hs_records = 1;
		}
		uint8_t type;
		size_t mlen;
		if (d->hs_len < 4) {
			if (!hs_reserve(d, 4, max)) {
				s->anomalies |= TLS_AN_HS_TOO_BIG;
				s->dir[dir].dead = true;
				return;
			}
			size_t k = min_size(4 - d->hs_len, br_left(body));
			br_copy(body, d->hs_buf + d->hs_len, k);
			d->hs_len += (uint32_t)k;
			if (d->hs_len < 4)
				continue;
			hs_buf_header(d, &type, &mlen);
			hs_header(c, dir, type);
			if (!hs_wanted(dir, type) || 4 + mlen > max || !hs_reserve(d, 4 + mlen, max)) {
				if (hs_wanted(dir, type))
					s->anomalies |= TLS_AN_HS_TOO_BIG;
				hs_skip_message(c, dir, type, mlen, br_left(body) + d->rec_hs_left);
				continue;
			}
		}
		hs_buf_header(d, &type, &mlen);
		size_t k = min_size(4 + mlen - d->hs_len, br_left(body));
		br_copy(body, d->hs_buf + d->hs_len, k);
		d->hs_len += (uint32_t)k;
		if (d->hs_len == 4 + mlen) {
			hs_message(c, dir, type, d->hs_buf + 4, mlen, d->hs_rec_version, d->hs_records);
			hs_release(d); /* a hello is parsed once: nothing of it stays */
		}
	}
}

/* ---- records ---- */

/* RFC 8446 6: a plaintext alert is level (1 warning, 2 fatal) and description. A record with other contents
 * is taken for an encrypted one we did not recognise and ignored. */
static void on_alert(struct tls_conn *c, enum tls_dir dir, struct br *body)
{
	struct tls_state *s = &c->st;
	uint8_t level = br_u8(body), desc = br_u8(body);

	if (!br_ok(body) || (level != 1 && level != 2))
		return;
	if (!s->have_alert) {
		s->have_alert = true;
		s->alert_level = level;
		s->alert_desc = desc;
		s->alert_sender = (uint8_t)dir;
	}
	if (level == 2) {
		if (!tls_established(s, NULL))
			s->fatal_before_done = true;
		s->fatal_alert = true;
	}
}

static void on_ccs(struct tls_conn *c, enum tls_dir dir)
{
	struct tls_state *s = &c->st;
	struct tls_dir_view *v = &s->dir[dir];

	v->ccs++;
	/* Before the ServerHello a CCS is TLS 1.3 middlebox compatibility (RFC 8446 D.4): a second ClientHello
	 * may still follow in plaintext, so it changes nothing. */
	if (!s->have_sh || s->sh_sslv2 || v->encrypted)
		return;
	/* RFC 5246 7.3: an abbreviated handshake goes ServerHello -> ChangeCipherSpec, no Certificate /
	 * ServerKeyExchange / CertificateRequest / ServerHelloDone */
	if (dir == TLS_DIR_SERVER && !(v->hs_types & FULL_HANDSHAKE_TYPES))
		s->resumed = true;
	v->encrypted = true;
	c->d[dir].hs_len = 0;
	c->d[dir].hs_skip = 0;
	hs_release(&c->d[dir]);
}

static void on_record(struct tls_conn *c, enum tls_dir dir, uint8_t type, uint16_t version, struct br *body)
{
	struct tls_state *s = &c->st;
	struct tls_dir_view *v = &s->dir[dir];

	if (c->d[dir].hello_pending &&
	    (type != CT_HANDSHAKE || (v->records > 0 && !c->d[dir].hs_len && !c->d[dir].hs_skip))) {
		/* the client's stream after its first hello (or without one: it was lost) */
		c->d[dir].hello_pending = false;
		if (tls_version_is_13(s->negotiated_version)) {
			v->encrypted = true;
			hs_release(&c->d[dir]);
		}
	}
	v->records++;
	switch (type) {
	case CT_CCS: on_ccs(c, dir); break;
	case CT_ALERT:
		v->alerts++;
		/* TLS <= 1.2: after this side's CCS an alert is encrypted. TLS 1.3 (RFC 8446 5.2) protects alerts
		 * inside application_data records, so a record of outer type alert is plaintext even after the
		 * ServerHello (NSS draft-16 clients sent plaintext alerts there; tshark decodes them too). */
		if (!v->encrypted || tls_version_is_13(s->negotiated_version))
			on_alert(c, dir, body);
		break;
	case CT_HANDSHAKE:
		if (v->encrypted)
			v->hs_after_ccs++;
		else
			hs_feed(c, dir, version, body, true);
		break;
	case CT_APPLICATION_DATA:
		v->app_records++;
		if (s->have_sh)
			v->app_after_sh++;
		if (v->ccs)
			v->app_after_ccs++;
		break;
	default: /* heartbeat (RFC 6520): counted only */ break;
	}
}

/* draft-hickman SERVER-HELLO: type, session-id-hit, certificate type, version, certificate length, cipher
 * specs length, connection id length, then the data. */
static void on_sslv2_server_hello(struct tls_conn *c, struct br *m)
{
	struct tls_state *s = &c->st;
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
	if (cert_type == 1 && cert_len > 0 && !s->cert_seen) {
		s->cert_seen = true;
		s->cert_chain_len = 1;
		if (cert_len > c->max_cert)
			s->anomalies |= TLS_AN_CERT_CAPPED;
		else if (c->ev && c->ev->certificate)
			c->ev->certificate(c->ctx, cert, cert_len);
	}
	struct tls_server_hello sh;
	memset(&sh, 0, sizeof(sh));
	sh.record_version = 0x0002;
	sh.legacy_version = version;
	sh.sslv2_format = true;
	s->have_sh = true;
	s->sh_sslv2 = true;
	s->negotiated_version = 0x0002;
	s->sh_cipher = 0;
	if (hit)
		s->resumed = true;
	if (c->ev && c->ev->server_hello)
		c->ev->server_hello(c->ctx, &sh);
}

/* One SSLv2 record (2-byte header, or 3-byte header with padding) at r. Returns false, consuming nothing,
 * when the record is not complete. */
static bool sslv2_record(struct tls_conn *c, enum tls_dir dir, struct br *r)
{
	struct tls_state *s = &c->st;
	struct tls_dir_view *v = &s->dir[dir];
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

	v->records++;
	v->sslv2_records++;
	uint8_t mt = br_peek(&m, 0);
	if (dir == TLS_DIR_CLIENT && v->sslv2_records == 1 && two_byte && mt == SSL2_MT_CLIENT_HELLO) {
		hs_header(c, dir, HS_CLIENT_HELLO);
		size_t n;
		if (!s->have_ch && s->n_client_hellos == 1 && rec) {
			struct tls_client_hello ch;
			enum tls_status st = tls_parse_sslv2_client_hello(rec, total, &ch, &n);
			s->ch_status = (uint8_t)st;
			if (st == TLS_OK) {
				s->have_ch = true;
				s->ch_records = 1;
				s->anomalies |= ch.anomalies;
			}
			if (c->ev && c->ev->client_hello)
				c->ev->client_hello(c->ctx, &ch, st);
		}
	} else if (dir == TLS_DIR_CLIENT && v->sslv2_records == 2 && two_byte && mt == SSL2_MT_CLIENT_MASTER_KEY) {
		br_skip(&m, 1);
		uint32_t kind = br_u24(&m);
		if (br_ok(&m))
			s->sslv2_cipher24 = kind;
	} else if (dir == TLS_DIR_SERVER && v->sslv2_records == 1 && two_byte && mt == SSL2_MT_SERVER_HELLO) {
		on_sslv2_server_hello(c, &m);
	}
	return true;
}

/* Records after the first: SSLv2 framing once the server answered in SSLv2, or (before any server answer) for
 * a record whose first byte has the high bit set, which no TLS ContentType has. */
static bool use_sslv2_framing(const struct tls_state *s, uint8_t b0)
{
	if (s->have_sh)
		return s->sh_sslv2;
	return (b0 & 0x80) != 0;
}

/* One record at r. Returns false, consuming nothing, if it is incomplete or the direction died. */
static bool one_record(struct tls_conn *c, enum tls_dir dir, struct br *r)
{
	struct tls_state *s = &c->st;
	struct dir_priv *d = &c->d[dir];

	if (br_empty(r))
		return false;
	if (d->rec_hs_left) { /* the rest of a plaintext handshake record, as it arrives */
		size_t n = min_size(d->rec_hs_left, br_left(r));
		struct br piece = br_sub(r, n);
		d->rec_hs_left = (uint16_t)(d->rec_hs_left - n);
		hs_feed(c, dir, d->rec_skip_version, &piece, false);
		return d->rec_hs_left == 0;
	}
	if (d->rec_skip) { /* the rest of a record we only count */
		size_t n = min_size(d->rec_skip, br_left(r));
		br_skip(r, n);
		d->rec_skip = (uint16_t)(d->rec_skip - n);
		if (d->rec_skip)
			return false;
		struct br none = br_make(NULL, 0);
		on_record(c, dir, d->rec_skip_type, d->rec_skip_version, &none);
		return true;
	}
	if (use_sslv2_framing(s, br_peek(r, 0)))
		return sslv2_record(c, dir, r);

	/* RFC 8446 5.1: ContentType type; ProtocolVersion legacy_record_version; uint16 length */
	struct br h = *r;
	uint8_t type = br_u8(&h);
	uint16_t version = br_u16(&h);
	size_t len = br_u16(&h);
	if (!br_ok(&h))
		return false;
	if (type < CT_CCS || type > CT_HEARTBEAT || (version >> 8) != 3) {
		s->dir[dir].dead = true; /* lost framing: nothing after this can be trusted */
		return false;
	}
	if (len > TLS_MAX_RECORD) {
		s->anomalies |= TLS_AN_RECORD_TOO_BIG;
		s->dir[dir].dead = true;
		return false;
	}
	if (br_left(&h) < len) {
		/* Encrypted contents are only counted: take the header now and stream the body, so a direction
		 * never buffers more than a record header of them. */
		if (type == CT_HANDSHAKE && !s->dir[dir].encrypted && br_left(&h) > 0) {
			/* Plaintext handshake: the handshake layer reassembles messages across any split (bounded),
			 * so the record need not be buffered whole either; certificate chains stream through. */
			size_t avail = br_left(&h);
			struct br piece = br_sub(&h, avail);
			d->rec_skip_version = version;
			d->rec_hs_left = (uint16_t)(len - avail);
			*r = h;
			on_record(c, dir, type, version, &piece);
			return false;
		}
		if (type == CT_APPLICATION_DATA || type == CT_HEARTBEAT ||
		    (type == CT_HANDSHAKE && s->dir[dir].encrypted)) {
			d->rec_skip_type = type;
			d->rec_skip_version = version;
			d->rec_skip = (uint16_t)(len - br_left(&h));
			br_skip(&h, br_left(&h));
			*r = h;
		}
		return false;
	}
	struct br body = br_sub(&h, len);
	*r = h;
	on_record(c, dir, type, version, &body);
	return true;
}

/* ---- where a record starts ---- */

enum start_kind { START_NO, START_PARTIAL, START_YES };

/* Could data[0..len) begin a record? loose: any plausible TLS record header (the very start of a stream, and
 * resynchronising after a gap, where SSLv2 framing is not looked for). strict: the first record a peer really
 * sends (client: handshake ClientHello; server: handshake ServerHello or a 2-byte alert), used when searching
 * plaintext; strict accepts an SSLv2 hello. START_PARTIAL: the bytes present agree but are too few to decide. */
static enum start_kind record_start(const uint8_t *data, size_t len, enum tls_dir dir, bool strict, bool sslv2)
{
	struct br r = br_make(data, len);
	uint8_t b[6] = {0};
	size_t have = min_size(br_left(&r), sizeof(b));

	if (have == 0)
		return START_PARTIAL;
	br_copy(&r, b, have);
	if (b[0] & 0x80) {
		if (!sslv2)
			return START_NO;
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

enum tls_status tls_looks_like_client_hello(const uint8_t *data, size_t len)
{
	switch (record_start(data, len, TLS_DIR_CLIENT, true, true)) {
	case START_YES: return TLS_OK;
	case START_PARTIAL: return TLS_NEED_MORE;
	default: return TLS_UNSUPPORTED;
	}
}

bool tls_record_incomplete(const uint8_t *data, size_t len)
{
	if (record_start(data, len, TLS_DIR_CLIENT, false, false) != START_YES || len < 5)
		return false;
	struct br r = br_make(data, len);
	uint8_t type = br_u8(&r);
	br_skip(&r, 2);
	size_t rlen = br_u16(&r);
	return br_ok(&r) && type == CT_HANDSHAKE && br_left(&r) < rlen;
}

enum tls_dir tls_guess_sender(const uint8_t *data, size_t len, bool *ret_known, bool *ret_need_more)
{
	enum start_kind k = record_start(data, len, TLS_DIR_CLIENT, true, true);

	*ret_known = true;
	*ret_need_more = false;
	if (k == START_YES)
		return TLS_DIR_CLIENT;
	enum start_kind ks = record_start(data, len, TLS_DIR_SERVER, true, false);
	if (ks == START_YES)
		return TLS_DIR_SERVER;
	*ret_known = false;
	*ret_need_more = k == START_PARTIAL || ks == START_PARTIAL;
	return TLS_DIR_CLIENT;
}

/* Keep the first TLS_PLAINTEXT_KEEP bytes of the plaintext in front of the first record (the dialogue). */
static void keep_plain(struct tls_conn *c, enum tls_dir dir, const uint8_t *data, size_t n)
{
	struct tls_dir_view *v = &c->st.dir[dir];
	struct dir_priv *d = &c->d[dir];
	size_t keep = min_size(n, (size_t)(TLS_PLAINTEXT_KEEP - v->plain_len));
	if (keep && !d->plain && !(d->plain = malloc(TLS_PLAINTEXT_KEEP)))
		keep = 0; /* out of memory: the dialogue is not kept, parsing goes on */
	if (keep) {
		struct br r = br_make(data, n);
		br_copy(&r, d->plain + v->plain_len, keep);
		v->plain_len = (uint16_t)(v->plain_len + keep);
	}
	v->plain = d->plain;
}

/* Before the first record: decide where it starts, skipping (and keeping the start of) any plaintext in
 * front. Returns the plaintext bytes consumed. */
static size_t find_first_record(struct tls_conn *c, enum tls_dir dir, const uint8_t *data, size_t len)
{
	struct tls_dir_view *v = &c->st.dir[dir];
	bool at_start = v->consumed == 0 && v->plaintext_skipped == 0;
	size_t max = c->max_plaintext, i = 0;
	bool found = false;

	if (at_start) {
		enum start_kind k = record_start(data, len, dir, false, true);
		if (k == START_YES)
			v->started = true;
		if (k != START_NO)
			return 0;
		i = 1;
	}
	for (; i < len; i++) {
		if (v->plaintext_skipped + i > max)
			break;
		enum start_kind k = record_start(data + i, len - i, dir, true, true);
		if (k == START_NO)
			continue;
		found = (k == START_YES);
		break; /* a possible record start at the tail stays unconsumed */
	}
	keep_plain(c, dir, data, i);
	v->plaintext_skipped += i;
	if (i)
		c->st.anomalies |= TLS_AN_PLAINTEXT_PREFIX;
	if (found) {
		v->started = true;
	} else if (v->plaintext_skipped > max) {
		c->st.anomalies |= TLS_AN_NOT_TLS;
		v->dead = true;
	}
	return i;
}

/* After a gap: consume bytes up to the first record header that a second header (or the end of the data)
 * confirms. Returns the bytes consumed; *ret_found tells whether parsing can go on at data + that. */
static size_t resync(struct tls_conn *c, enum tls_dir dir, const uint8_t *data, size_t len, bool *ret_found)
{
	*ret_found = false;
	for (size_t i = 0; i + 5 <= len; i++) {
		if (record_start(data + i, len - i, dir, false, false) != START_YES)
			continue;
		struct br r = br_make(data, len);
		br_skip(&r, i + 3);
		size_t next = i + 5 + br_u16(&r);
		if (next + 5 > len || record_start(data + next, len - next, dir, false, false) == START_YES) {
			c->d[dir].resync = false;
			*ret_found = true;
			return i;
		}
	}
	return len < 4 ? 0 : len - 4; /* a header may start in the last bytes */
}

size_t tls_conn_feed(struct tls_conn *c, enum tls_dir dir, const uint8_t *data, size_t len, bool lost_before)
{
	struct tls_dir_view *v = &c->st.dir[dir];
	struct dir_priv *d = &c->d[dir];
	size_t used = 0;

	if (lost_before && !v->dead) {
		/* what was in flight belongs to bytes we will never see */
		if (v->started)
			v->lost = true;
		else
			v->plain_lost = true; /* a hole in the dialogue, or the first record's start lost */
		d->resync = true;
		d->hs_len = 0;
		d->hs_skip = 0;
		d->rec_skip = 0;
		d->rec_hs_left = 0;
		d->ske = false;
		hs_release(d);
		if (dir == TLS_DIR_SERVER)
			cert_end(c);
	}
	if (!v->dead && d->resync) {
		bool found;
		used = resync(c, dir, data, len, &found);
		if (!v->started && used && (v->plain_len || c->st.dir[1 - dir].plain_len)) {
			/* a plaintext dialogue is under way (this side or the peer spoke before TLS): what the hole
			 * interrupted is its rest (e.g. the STARTTLS command after a lost EHLO) */
			keep_plain(c, dir, data, used);
			v->plaintext_skipped += used;
			c->st.anomalies |= TLS_AN_PLAINTEXT_PREFIX;
		}
		if (!found) {
			v->consumed += used;
			return used;
		}
		v->started = true;
	}
	if (!v->dead && !v->started)
		used = find_first_record(c, dir, data, len);
	if (!v->dead && v->started) {
		struct br r = br_make(data, len);
		br_skip(&r, used);
		while (!v->dead && one_record(c, dir, &r))
			v->records_ended++;
		used = r.off;
	}
	if (v->dead)
		used = len;
	v->consumed += used;
	return used;
}
