/* hellos.h - test helper: every ClientHello of a capture file (through the capture and decode
 * stages) and of a hex string, parsed with the tls stage's own parsers.
 *
 * Reassembly is the simple in-order concatenation of tests/fingerprint (retransmitted bytes
 * dropped by sequence number, a gap ends the stream); the records of each direction are
 * walked here so that a second ClientHello (after a HelloRetryRequest) is seen too. */
#ifndef TLSAUDIT_TEST_STACK_HELLOS_H
#define TLSAUDIT_TEST_STACK_HELLOS_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/tls.h"

struct hello_found {
	char conn[200];		    /* "client:port -> server:port #n" (n: 1st, 2nd hello) */
	struct tls_client_hello ch; /* parsed */
};

struct hello_list {
	struct hello_found *v;
	size_t n, cap;
};

static inline void *hl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return q;
}

static inline struct hello_found *hl_push(struct hello_list *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = hl_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	struct hello_found *h = &l->v[l->n++];
	memset(h, 0, sizeof(*h));
	return h;
}

struct hl_stream {
	uint8_t family, src[16], dst[16];
	uint16_t sport, dport;
	bool have_seq, gap;
	uint32_t next_seq;
	uint8_t *buf;
	size_t len, cap;
};

struct hl_conns {
	struct hl_stream *v;
	size_t n, cap;
};

static inline struct hl_stream *hl_stream_get(struct hl_conns *c, const struct pkt *p)
{
	size_t alen = p->family == 4 ? 4 : 16;
	for (size_t i = 0; i < c->n; i++) {
		struct hl_stream *s = &c->v[i];
		if (s->family == p->family && s->sport == p->sport && s->dport == p->dport &&
		    memcmp(s->src, p->src, alen) == 0 && memcmp(s->dst, p->dst, alen) == 0)
			return s;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = hl_xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	struct hl_stream *s = &c->v[c->n++];
	memset(s, 0, sizeof(*s));
	s->family = p->family;
	memcpy(s->src, p->src, 16);
	memcpy(s->dst, p->dst, 16);
	s->sport = p->sport;
	s->dport = p->dport;
	return s;
}

static inline void hl_stream_add(struct hl_stream *s, const struct pkt *p)
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
	uint32_t off = s->next_seq - p->seq;
	if ((int32_t)off < 0) {
		s->gap = true;
		return;
	}
	if (off >= p->payload_len)
		return;
	size_t add = p->payload_len - off;
	if (s->len + add > s->cap) {
		s->cap = (s->len + add) * 2;
		s->buf = hl_xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p->payload + off, add);
	s->len += add;
	s->next_seq += (uint32_t)add;
}

static inline uint32_t hl_be(const uint8_t *p, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Parse the ClientHellos at the start of one direction's bytes (SSLv2 record or TLS records);
 * each parsed hello is appended with conn (and its number). Returns how many. */
static inline size_t hl_walk(const uint8_t *s, size_t len, const char *conn, struct hello_list *out)
{
	static uint8_t hs[1 << 17];
	size_t hs_len = 0, off = 0, found = 0;
	if (len >= 2 && (s[0] & 0x80)) {
		size_t rec_len;
		struct hello_found *h = hl_push(out);
		if (tls_parse_sslv2_client_hello(s, len, &h->ch, &rec_len) == TLS_OK) {
			snprintf(h->conn, sizeof(h->conn), "%s #1", conn);
			found = 1;
			off = rec_len;
		} else {
			out->n--;
		}
	}
	while (len - off >= 5 && found < 4) {
		uint8_t type = s[off];
		size_t rlen = hl_be(s + off + 3, 2);
		if (rlen > len - off - 5 || (type != 20 && type != 21 && type != 22))
			break;
		if (type == 22 && hs_len + rlen <= sizeof(hs)) {
			memcpy(hs + hs_len, s + off + 5, rlen);
			hs_len += rlen;
		}
		off += 5 + rlen;
		while (hs_len >= 4 && found < 4) {
			size_t mlen = hl_be(hs + 1, 3);
			if (mlen > hs_len - 4)
				break;
			if (hs[0] == 1) {
				struct hello_found *h = hl_push(out);
				if (tls_parse_client_hello(hs + 4, mlen, &h->ch) == TLS_OK) {
					h->ch.record_version = (uint16_t)hl_be(s + 1, 2);
					snprintf(h->conn, sizeof(h->conn), "%s #%zu", conn, found + 1);
					found++;
				} else {
					out->n--;
				}
			}
			memmove(hs, hs + 4 + mlen, hs_len - 4 - mlen);
			hs_len -= 4 + mlen;
		}
	}
	return found;
}

/* Every ClientHello of a capture file; returns 0, or -1 if the file cannot be opened. */
static inline int hellos_from_capture(const char *path, struct hello_list *out)
{
	char err[512];
	struct capfile *cf;
	struct hl_conns c;
	memset(&c, 0, sizeof(c));
	if (capfile_open(path, &cf, err, sizeof(err)) < 0)
		return -1;
	struct cap_frame fr;
	while (capfile_next(cf, &fr, err, sizeof(err)) == CAP_OK) {
		struct pkt p;
		if (decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p) != DECODE_OK)
			continue;
		hl_stream_add(hl_stream_get(&c, &p), &p);
	}
	capfile_free(cf);
	for (size_t i = 0; i < c.n; i++) {
		struct hl_stream *s = &c.v[i];
		char a[64], b[64], conn[160];
		if (!inet_ntop(s->family == 4 ? AF_INET : AF_INET6, s->src, a, sizeof(a)))
			a[0] = '\0';
		if (!inet_ntop(s->family == 4 ? AF_INET : AF_INET6, s->dst, b, sizeof(b)))
			b[0] = '\0';
		snprintf(conn, sizeof(conn), "%s:%u -> %s:%u", a, s->sport, b, s->dport);
		if (s->len)
			hl_walk(s->buf, s->len, conn, out);
		free(s->buf);
	}
	free(c.v);
	return 0;
}

/* A record given as hex (client-hellos.json's record_hex): its first ClientHello into *ch. */
static inline bool hello_from_hex(const char *hex, struct tls_client_hello *ch)
{
	static uint8_t buf[1 << 16];
	size_t n = 0;
	for (; hex[0] && hex[1] && n < sizeof(buf); hex += 2) {
		unsigned v;
		char pair[3] = {hex[0], hex[1], 0};
		char *end;
		v = (unsigned)strtoul(pair, &end, 16);
		if (*end)
			return false;
		buf[n++] = (uint8_t)v;
	}
	struct hello_list l = {0};
	size_t got = hl_walk(buf, n, "hex", &l);
	if (got)
		*ch = l.v[0].ch;
	free(l.v);
	return got > 0;
}

#endif
