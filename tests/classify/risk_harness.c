/* risk_harness.c - real nDPI and tlsaudit's TLS stage side by side over a capture's TCP connections (test code).
 * specification: RFC 9293 (TCP sequence space), RFC 8446 section 5.1 and RFC 5246 section 6.2 (TLS records). */

#include "risk_harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/reader.h"

struct rh_seg {
	uint32_t seq;
	uint8_t *data; /* owned */
	size_t len;
};

struct rh_dir {
	bool syn;	   /* SYN seen: isn known */
	bool seq_init;	   /* next_seq valid */
	uint32_t next_seq; /* next expected sequence number */
	uint8_t *stream;   /* owned: contiguous bytes from the start of the direction, RH_MAX_STREAM at most */
	size_t len;	   /* bytes in stream */
	bool capped;	   /* more contiguous bytes came than RH_MAX_STREAM */
	struct rh_seg ooo[RH_MAX_OOO];
	size_t n_ooo;
	bool fin;
	bool had_payload;    /* a payload packet was seen */
	bool first_at_start; /* the first payload packet began at the direction's first byte */
};

struct rh_pos {
	uint32_t end[2]; /* contiguous stream length of each endpoint after this payload packet */
	int64_t ts_ns;
	uint8_t ep; /* sender */
};

struct rh_flow {
	struct rh_flow *next;
	uint64_t index;
	uint8_t family;
	uint8_t addr[2][16];
	uint16_t port[2];
	struct rh_dir d[2];
	int syn_client; /* -1 unknown */
	int first_payload_ep;
	struct classify_flow *cf;
	bool cls_active;
	uint32_t fed, payload_pkts;
	bool reordered;
	uint32_t desync;    /* payload packet number of the first one that breaks nDPI's buffer, 0 = none */
	struct rh_pos *pos; /* owned: RH_MAX_PKTS entries */
	size_t n_pos;
};

struct rh {
	struct classify *c;
	uint32_t max_packets;
	rh_conn_fn fn;
	void *ctx;
	struct rh_flow *flows;
	uint64_t next_index;
};

int rh_new(struct classify *c, uint32_t max_packets, rh_conn_fn fn, void *ctx, struct rh **ret)
{
	struct rh *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->c = c;
	h->max_packets = max_packets ? max_packets : CLASSIFY_MAX_PACKETS_DEFAULT;
	h->fn = fn;
	h->ctx = ctx;
	*ret = h;
	return 0;
}

static int rh_match(const struct rh_flow *f, const struct pkt *p)
{
	if (f->family != p->family)
		return -1;
	if (f->port[0] == p->sport && f->port[1] == p->dport && !memcmp(f->addr[0], p->src, 16) &&
	    !memcmp(f->addr[1], p->dst, 16))
		return 0;
	if (f->port[1] == p->sport && f->port[0] == p->dport && !memcmp(f->addr[1], p->src, 16) &&
	    !memcmp(f->addr[0], p->dst, 16))
		return 1;
	return -1;
}

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* Append in-order bytes of endpoint e. */
static void rh_append(struct rh_dir *d, const uint8_t *data, size_t len)
{
	size_t room = RH_MAX_STREAM - d->len;
	if (!d->stream) {
		d->stream = malloc(RH_MAX_STREAM);
		if (!d->stream) {
			d->capped = true;
			return;
		}
	}
	if (len > room) {
		d->capped = true;
		len = room;
	}
	memcpy(d->stream + d->len, data, len);
	d->len += len;
}

/* The part of [seq, seq + len) at or after next_seq, appended; returns true if anything was new. */
static bool rh_take(struct rh_dir *d, uint32_t seq, const uint8_t *data, size_t len)
{
	uint32_t skip = d->next_seq - seq;
	if (seq_lt(d->next_seq, seq) || skip >= len)
		return false;
	rh_append(d, data + skip, len - skip);
	d->next_seq = seq + (uint32_t)len;
	return true;
}

static void rh_drain(struct rh_dir *d)
{
	bool progress = true;
	while (progress) {
		progress = false;
		for (size_t i = 0; i < d->n_ooo; i++) {
			struct rh_seg *s = &d->ooo[i];
			if (seq_lt(d->next_seq, s->seq))
				continue;
			(void)rh_take(d, s->seq, s->data, s->len);
			free(s->data);
			d->ooo[i] = d->ooo[--d->n_ooo];
			progress = true;
			break;
		}
	}
}

static void rh_data(struct rh_flow *f, int e, uint32_t seq, const uint8_t *data, size_t len)
{
	struct rh_dir *d = &f->d[e];

	if (!d->seq_init) {
		d->next_seq = seq; /* capture began after the SYN: this is the start */
		d->seq_init = true;
	}
	bool broken;
	if (!d->had_payload) {
		struct br r = br_make(data, len);
		uint8_t b0 = br_peek(&r, 0), b1 = br_peek(&r, 1);
		d->had_payload = true;
		d->first_at_start = seq == d->next_seq && d->len == 0;
		/* nDPI takes a direction's first packet whatever its seq: it must start a TLS record */
		broken = !d->first_at_start || len < 2 || b0 < 20 || b0 > 23 || b1 != 3;
	} else {
		/* nDPI appends only a packet starting at the expected seq; one that carries new bytes from
		 * elsewhere (out of order, partial overlap) leaves a hole in its buffer */
		broken = seq != d->next_seq && seq_lt(d->next_seq, seq + (uint32_t)len);
	}
	if (broken && !f->desync)
		f->desync = f->payload_pkts;
	if (seq != d->next_seq && f->payload_pkts <= 32)
		f->reordered = true;
	if (seq_lt(d->next_seq, seq)) {
		if (d->n_ooo < RH_MAX_OOO) {
			struct rh_seg *s = &d->ooo[d->n_ooo];
			s->data = malloc(len);
			if (s->data) {
				memcpy(s->data, data, len);
				s->seq = seq;
				s->len = len;
				d->n_ooo++;
			}
		}
		return;
	}
	if (rh_take(d, seq, data, len))
		rh_drain(d);
}

/* ---- the record walker ---- */

/* What the walker found in one direction's stream. Offsets are stream offsets just past the record that
 * completed the message; 0 = not found. */
struct rh_walk {
	size_t ch_end[2];   /* first and second ClientHello */
	bool ch_one_record; /* the first ClientHello lay within one record */
	uint32_t n_ch;
	size_t sh_end; /* first ServerHello / HelloRetryRequest */
	bool sh_one_record, sh_hrr;
	size_t cert_end; /* first Certificate after it */
	bool cert_one_record, cert_malformed;
	size_t alert_end;    /* first plaintext (2-byte) alert record with level 2 */
	bool enc_fatal_like; /* a longer type-21 record whose first byte is 2 */
	uint32_t records;
};

static const uint8_t rh_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

#define RH_HS_MAX (256u * 1024u)

/* A handshake message that begins at hs offset `at` of length 4 + len. */
static void rh_walk_msg(struct rh_walk *w, bool server, struct br *msg, uint8_t type, bool one_record, size_t rec_end)
{
	if (!server && type == 1) {
		if (w->n_ch < 2)
			w->ch_end[w->n_ch] = rec_end;
		if (w->n_ch == 0)
			w->ch_one_record = one_record;
		w->n_ch++;
	} else if (server && type == 2 && !w->sh_end) {
		w->sh_end = rec_end;
		w->sh_one_record = one_record;
		br_skip(msg, 2);
		const uint8_t *random = br_ptr(msg, 32);
		w->sh_hrr = random && !memcmp(random, rh_hrr_random, 32);
	} else if (server && type == 11 && w->sh_end && !w->cert_end) {
		size_t l = br_left(msg);
		w->cert_end = rec_end;
		w->cert_one_record = one_record;
		uint32_t list = br_u24(msg);
		/* tls.c processCertificate(): its MALFORMED_PACKET conditions */
		w->cert_malformed = l >= 65536 || l + 4 <= 7 || !br_ok(msg) || list >= 65536 || list + 3 != l;
	}
}

static void rh_walk(const uint8_t *s, size_t len, bool server, struct rh_walk *w)
{
	struct br r = br_make(s, len);
	uint8_t *hs = NULL;
	size_t hs_len = 0, hs_done = 0; /* bytes buffered, bytes of whole messages consumed */
	size_t msg_first_rec_end = 0;	/* record end of the record in which the pending message began */
	bool ccs = false;

	memset(w, 0, sizeof(*w));
	if (len < 1 || br_peek(&r, 0) < 20 || br_peek(&r, 0) > 23 || br_peek(&r, 1) != 3)
		return; /* not a TLS stream from its first byte */
	hs = malloc(RH_HS_MAX);
	if (!hs)
		return;
	while (br_left(&r) >= 5) {
		uint8_t type = br_u8(&r);
		br_skip(&r, 2);
		struct br body = br_vec16(&r);
		if (!br_ok(&r))
			break; /* incomplete record */
		w->records++;
		size_t rec_end = r.off, blen = br_left(&body);
		if (type == 20)
			ccs = true;
		if (type == 21 && blen >= 2) {
			uint8_t level = br_peek(&body, 0);
			if (blen == 2 && level == 2 && !w->alert_end)
				w->alert_end = rec_end;
			if (blen > 2 && level == 2)
				w->enc_fatal_like = true;
		}
		if (type != 22)
			continue;
		if (ccs) {
			/* after a CCS only a TLS 1.3 client's second ClientHello (middlebox compatibility mode,
			 * RFC 8446 D.4) is still in clear: one whole message filling its record */
			struct br m = body;
			uint8_t mt = br_u8(&m);
			uint32_t ml = br_u24(&m);
			if (server || mt != 1 || hs_done != hs_len || !br_ok(&m) || br_left(&m) != ml)
				continue;
		}
		size_t before = hs_len;
		if (blen > RH_HS_MAX - hs_len)
			break;
		br_copy(&body, hs + hs_len, blen);
		hs_len += blen;
		if (hs_done == before)
			msg_first_rec_end = rec_end;
		/* whole messages now in the buffer */
		for (;;) {
			struct br m = br_make(hs + hs_done, hs_len - hs_done);
			uint8_t mt = br_u8(&m);
			uint32_t ml = br_u24(&m);
			if (!br_ok(&m) || br_left(&m) < ml)
				break;
			struct br msg = br_sub(&m, ml);
			bool one = msg_first_rec_end == rec_end;
			rh_walk_msg(w, server, &msg, mt, one, rec_end);
			hs_done += 4 + ml;
			msg_first_rec_end = rec_end; /* the next message begins in this record */
		}
		if (hs_done == hs_len)
			msg_first_rec_end = 0;
	}
	free(hs);
}

/* The payload packet number (1-based) after which endpoint e's stream reached `off` bytes; 0 if never. */
static uint32_t rh_pkt_at(const struct rh_flow *f, int e, size_t off)
{
	if (!off)
		return 0;
	for (size_t i = 0; i < f->n_pos; i++)
		if (f->pos[i].end[e] >= off)
			return (uint32_t)(i + 1);
	return 0;
}

static bool rh_looks_client(const struct rh_dir *d)
{
	return d->len && tls_looks_like_client_hello(d->stream, d->len) == TLS_OK;
}

static bool rh_looks_server(const struct rh_dir *d)
{
	struct br r = br_make(d->stream, d->len);
	uint8_t b0 = br_peek(&r, 0), b1 = br_peek(&r, 1), b5 = br_peek(&r, 5);
	return (b0 == 22 && b1 == 3 && d->len > 5 && b5 == 2) || (b0 == 21 && b1 == 3);
}

static void rh_finish(struct rh *h, struct rh_flow *f)
{
	struct rh_conn rc;
	struct tls_facts *tls = malloc(sizeof(*tls));
	struct tls_limits lim = {.max_handshake = 65536, .max_plaintext = 65536, .max_cert_bytes = 65536};

	memset(&rc, 0, sizeof(rc));
	classify_finish(h->c, &f->cf, &rc.real);
	if (!tls)
		return;
	tf_init(tls);

	/* roles, as src/flow decides them on the first payload bytes */
	int e = f->first_payload_ep >= 0 ? f->first_payload_ep : 0;
	if (rh_looks_client(&f->d[e]))
		rc.client = e;
	else if (rh_looks_server(&f->d[e]))
		rc.client = 1 - e;
	else if (f->syn_client >= 0)
		rc.client = f->syn_client;
	else
		rc.client = f->port[0] > f->port[1] ? 0 : f->port[0] < f->port[1] ? 1 : e;

	/* replay the streams into the TLS stage packet by packet */
	size_t fed[2] = {0, 0};
	for (size_t i = 0; i < f->n_pos; i++) {
		int ep = f->pos[i].ep;
		enum tls_dir td = ep == rc.client ? TLS_DIR_CLIENT : TLS_DIR_SERVER;
		size_t upto = f->pos[i].end[ep];
		if (upto > f->d[ep].len)
			upto = f->d[ep].len;
		while (fed[ep] < upto) {
			size_t used = tf_feed(tls, td, f->d[ep].stream + fed[ep], upto - fed[ep], &lim);
			if (used == 0)
				break;
			fed[ep] += used;
		}
	}

	struct rh_walk wc, ws;
	rh_walk(f->d[rc.client].stream, f->d[rc.client].len, false, &wc);
	rh_walk(f->d[1 - rc.client].stream, f->d[1 - rc.client].len, true, &ws);

	rc.index = f->index;
	rc.family = f->family;
	memcpy(rc.addr, f->addr, sizeof(rc.addr));
	rc.ports[0] = f->port[0];
	rc.ports[1] = f->port[1];
	rc.tls = tls;
	rc.tls_hello = tls->n_client_hellos > 0 || tls->have_sh || tls->hrr || tls->have_alert;
	rc.payload_pkts = f->payload_pkts;
	rc.fed = f->fed;
	rc.reordered = f->reordered;
	rc.encrypted_fatal_like = wc.enc_fatal_like || ws.enc_fatal_like;
	rc.ch_msgs = wc.n_ch;
	rc.client_records = wc.records;
	rc.server_records = ws.records;
	rc.start_seen = f->d[0].syn && f->d[1].syn;

	struct classify_risk_conn *c = &rc.conn;
	int cl = rc.client, sv = 1 - rc.client;
	c->client_port = f->port[cl];
	c->server_port = f->port[sv];
	c->max_packets = h->max_packets;
	c->pkt_ch = rh_pkt_at(f, cl, wc.ch_end[0]);
	c->pkt_ch2 = rh_pkt_at(f, cl, wc.ch_end[1]);
	c->pkt_sh = rh_pkt_at(f, sv, ws.sh_end);
	c->pkt_cert = rh_pkt_at(f, sv, ws.cert_end);
	uint32_t a1 = rh_pkt_at(f, cl, wc.alert_end), a2 = rh_pkt_at(f, sv, ws.alert_end);
	c->pkt_fatal_alert = !a1 ? a2 : !a2 ? a1 : a1 < a2 ? a1 : a2;
	if (c->pkt_cert) {
		int64_t ts = f->pos[c->pkt_cert - 1].ts_ns;
		c->cert_time_s = ts > 0 ? ts / 1000000000 : 0;
	}
	c->ch_one_record = wc.ch_one_record;
	c->sh_one_record = ws.sh_one_record;
	c->cert_one_record = ws.cert_one_record;
	c->sh_is_hrr = ws.sh_end && ws.sh_hrr;
	c->cert_malformed = ws.cert_malformed;
	/* nDPI's buffer starts with the first payload packet: it must open a TLS record at the start of its
	 * direction; from the first packet that breaks the buffer on, nDPI reads nothing more */
	c->pkt_desync = f->desync;
	bool starts = f->n_pos > 0 && f->desync != 1;
	c->tls_at_start = starts;
	if (getenv("RH_DEBUG"))
		fprintf(stderr, "rh: %u->%u first_at_start %d/%d had %d/%d len %zu/%zu plain %llu/%llu first ep %d\n",
			f->port[0], f->port[1], f->d[0].first_at_start, f->d[1].first_at_start, f->d[0].had_payload,
			f->d[1].had_payload, f->d[0].len, f->d[1].len,
			(unsigned long long)tls->dir[0].plaintext_skipped,
			(unsigned long long)tls->dir[1].plaintext_skipped, f->n_pos ? f->pos[0].ep : -1);

	if (h->fn)
		h->fn(&rc, h->ctx);
	tf_done(tls);
	free(tls);
}

static void rh_free_flow(struct rh_flow *f) /* accepts NULL */
{
	if (!f)
		return;
	for (int e = 0; e < 2; e++) {
		free(f->d[e].stream);
		for (size_t i = 0; i < f->d[e].n_ooo; i++)
			free(f->d[e].ooo[i].data);
	}
	free(f->pos);
	free(f);
}

static void rh_remove(struct rh *h, struct rh_flow *f)
{
	for (struct rh_flow **pp = &h->flows; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	rh_finish(h, f);
	rh_free_flow(f);
}

void rh_packet(struct rh *h, const struct pkt *p)
{
	struct rh_flow *f = NULL;
	int e = -1;

	for (struct rh_flow *g = h->flows; g; g = g->next)
		if ((e = rh_match(g, p)) >= 0) {
			f = g;
			break;
		}
	/* a pure SYN on a connection that carried data starts a new one (port reuse) */
	if (f && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && (f->d[0].len || f->d[1].len || f->d[e].fin)) {
		rh_remove(h, f);
		f = NULL;
	}
	if (!f) {
		if (p->tcp_flags & TCP_RST)
			return;
		if (!(p->tcp_flags & TCP_SYN) && p->payload_len == 0)
			return;
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
		f->pos = calloc(RH_MAX_PKTS, sizeof(*f->pos));
		if (!f->pos) {
			free(f);
			return;
		}
		f->index = h->next_index++;
		f->family = p->family;
		memcpy(f->addr[0], p->src, 16);
		memcpy(f->addr[1], p->dst, 16);
		f->port[0] = p->sport;
		f->port[1] = p->dport;
		f->syn_client = -1;
		f->first_payload_ep = -1;
		f->cls_active = true;
		f->next = h->flows;
		h->flows = f;
		e = 0;
	}
	struct rh_dir *d = &f->d[e];

	/* src/flow: nDPI sees every payload packet, before the stream is processed */
	if (p->payload_len > 0) {
		f->payload_pkts++;
		if (f->cls_active) {
			f->cls_active = classify_packet(h->c, &f->cf, p->l3, p->l3_len, p->ts_ns, e == 0);
			f->fed++;
		}
	}

	uint32_t seq = p->seq;
	if (p->tcp_flags & TCP_SYN) {
		if (!(p->tcp_flags & TCP_ACK))
			f->syn_client = e;
		else if (f->syn_client < 0)
			f->syn_client = 1 - e;
		if (!d->syn || !d->had_payload) {
			d->syn = true;
			d->next_seq = p->seq + 1;
			d->seq_init = true;
		}
		seq = p->seq + 1;
	}
	if (p->payload_len > 0) {
		if (f->first_payload_ep < 0)
			f->first_payload_ep = e;
		rh_data(f, e, seq, p->payload, p->payload_len);
		if (f->n_pos < RH_MAX_PKTS) {
			struct rh_pos *ps = &f->pos[f->n_pos++];
			ps->end[0] = (uint32_t)f->d[0].len;
			ps->end[1] = (uint32_t)f->d[1].len;
			ps->ts_ns = p->ts_ns;
			ps->ep = (uint8_t)e;
		}
	}
	if (p->tcp_flags & TCP_RST) {
		rh_remove(h, f);
		return;
	}
	if (p->tcp_flags & TCP_FIN) {
		d->fin = true;
		if (f->d[1 - e].fin)
			rh_remove(h, f);
	}
}

void rh_free(struct rh *h)
{
	if (!h)
		return;
	/* finish in creation order, as a capture's end would */
	while (h->flows) {
		struct rh_flow *oldest = h->flows;
		for (struct rh_flow *g = h->flows; g; g = g->next)
			if (g->index < oldest->index)
				oldest = g;
		rh_remove(h, oldest);
	}
	free(h);
}

void rh_parts(struct classify *c, const struct rh_conn *rc, struct classify_risk_parts *parts)
{
	const struct tls_facts *t = rc->tls;

	memset(parts, 0, sizeof(*parts));
	if (t->have_ch || t->n_client_hellos > 0) {
		/* a hello our parser rejected still counts: nDPI reads what it can of it */
		parts->have_ch = true;
		classify_risk_hello(&t->ch, t->have_ch, &parts->ch);
		if (t->have_ch)
			parts->host_risks = classify_risk_host(c, &t->ch);
	}
	if (t->ch2) {
		parts->have_ch2 = true;
		classify_risk_hello(t->ch2, true, &parts->ch2);
	}
	if (t->have_sh) {
		parts->have_sh = true;
		classify_risk_server(&t->sh, &parts->sh);
	}
	if (t->cert.leaf_done && t->cert.der) {
		parts->have_cert = true;
		classify_risk_cert(t->cert.der, t->cert.der_len, t->have_ch ? &t->ch : NULL, &parts->cert);
	}
	(void)classify_label_info(c, rc->real.protocol, &parts->label);
}
