/* test_flow.c - the reassembler against real captures: the same capture fed
 * as recorded, one byte per segment, with segments reordered, and with
 * overlapping retransmissions must give the same TLS facts. Also the limits:
 * a tiny flow table and tiny buffers count what they drop and never crash.
 * The corpus is read at test time from ../shared/corpus (argv[1]). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/flow.h"
#include "tlsaudit/record.h"

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

/* a decoded TCP packet with its own copy of the payload */
struct cpkt {
	struct pkt p;
	uint8_t *payload;
};

struct capture {
	struct cpkt *v;
	size_t n, cap;
};

static void load(const char *path, struct capture *c)
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
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 64;
			c->v = realloc(c->v, c->cap * sizeof(*c->v));
		}
		struct cpkt *k = &c->v[c->n++];
		k->p = p;
		k->payload = malloc(p.payload_len ? p.payload_len : 1);
		memcpy(k->payload, p.payload, p.payload_len);
		k->p.payload = k->payload;
		k->p.l3 = NULL; /* nDPI is not used here */
		k->p.l3_len = 0;
	}
	capfile_free(cf);
}

static void unload(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].payload);
	free(c->v);
}

struct results {
	struct ta_record r[64];
	size_t n;
};

static int collect(const struct ta_record *r, void *ctx)
{
	struct results *res = ctx;
	if (res->n < 64)
		res->r[res->n++] = *r;
	return 0;
}

enum mode { AS_RECORDED, BYTEWISE, REORDERED, OVERLAPPING };

/* Feed one packet, re-segmented according to mode. */
static void feed(struct flow_table *t, const struct pkt *p, enum mode m)
{
	if (m == AS_RECORDED || p->payload_len < 2) {
		flow_packet(t, p);
		return;
	}
	size_t n = p->payload_len;
	uint32_t base = p->seq + ((p->tcp_flags & TCP_SYN) ? 1 : 0);
	struct pkt q = *p;
	q.tcp_flags &= (uint8_t) ~(TCP_FIN | TCP_RST | TCP_SYN);
	if (p->tcp_flags & TCP_SYN) { /* the SYN itself first, without data */
		struct pkt s = *p;
		s.payload_len = s.payload_wire_len = 0;
		flow_packet(t, &s);
	}
	if (m == BYTEWISE) {
		for (size_t i = 0; i < n; i++) {
			q.seq = base + (uint32_t)i;
			q.payload = p->payload + i;
			q.payload_len = q.payload_wire_len = 1;
			flow_packet(t, &q);
		}
	} else if (m == REORDERED) {
		/* second half first, then the first half */
		size_t h = n / 2;
		q.seq = base + (uint32_t)h;
		q.payload = p->payload + h;
		q.payload_len = q.payload_wire_len = n - h;
		flow_packet(t, &q);
		q.seq = base;
		q.payload = p->payload;
		q.payload_len = q.payload_wire_len = h;
		flow_packet(t, &q);
	} else {
		/* overlapping pieces: [0, 2n/3), then [n/3, n), then the whole again */
		size_t a = 2 * n / 3, b = n / 3;
		q.seq = base;
		q.payload = p->payload;
		q.payload_len = q.payload_wire_len = a;
		flow_packet(t, &q);
		q.seq = base + (uint32_t)b;
		q.payload = p->payload + b;
		q.payload_len = q.payload_wire_len = n - b;
		flow_packet(t, &q);
		q.seq = base;
		q.payload = p->payload;
		q.payload_len = q.payload_wire_len = n;
		flow_packet(t, &q);
	}
	if (p->tcp_flags & (TCP_FIN | TCP_RST)) {
		struct pkt f = *p;
		f.seq = base + (uint32_t)n;
		f.tcp_flags &= (uint8_t)~TCP_SYN;
		f.payload_len = f.payload_wire_len = 0;
		flow_packet(t, &f);
	}
}

static void run(const struct capture *c, enum mode m, const struct flow_limits *lim, struct results *res,
		struct ta_stats *st)
{
	struct flow_table *t;
	memset(res, 0, sizeof(*res));
	memset(st, 0, sizeof(*st));
	if (flow_table_new(lim, NULL, st, collect, res, &t) < 0) {
		fprintf(stderr, "flow_table_new failed\n");
		exit(2);
	}
	for (size_t i = 0; i < c->n; i++)
		feed(t, &c->v[i].p, m);
	flow_table_flush(t, false);
	CHECK(flow_table_count(t) == 0, "flows left after flush");
	flow_table_free(t);
}

static bool same_facts(const struct ta_record *a, const struct ta_record *b)
{
	return a->client_port == b->client_port && a->server_port == b->server_port &&
	       a->client_legacy_version == b->client_legacy_version && a->client_max_version == b->client_max_version &&
	       a->negotiated_version == b->negotiated_version && a->has_cipher == b->has_cipher &&
	       a->cipher == b->cipher && a->has_alert == b->has_alert && a->alert_desc == b->alert_desc &&
	       a->established == b->established && a->has_sni == b->has_sni && a->sni_len == b->sni_len &&
	       memcmp(a->sni, b->sni, a->sni_len) == 0 && a->n_ciphers == b->n_ciphers &&
	       a->hello_retry_request == b->hello_retry_request;
}

struct expect {
	const char *file;
	size_t n_conns;	      /* connections with TLS */
	uint16_t client_port; /* of the first one */
	uint16_t negotiated;  /* of the first one (0 = none) */
	const char *sni;      /* of the first one, NULL = none */
};

/* Values checked against tshark:
 *   tshark -r F -Y 'tls.handshake.type==1' -T fields -e tcp.srcport -e tls.handshake.extensions_server_name
 *   tshark -r F -Y 'tls.handshake.type==2' -T fields -e tls.handshake.version -e
 * tls.handshake.extensions.supported_version */
static const struct expect cases[] = {
	{"zeek__tls1.2.pcap", 1, 56637, 0x0303, NULL},
	{"suricata-verify__tls-client-hello-frag-01__dump_mtu300.pcap", 1, 0, 0x0303, NULL},
	{"zeek__tls-fragmented-handshake.pcap", 1, 0, 0x0303, NULL},
	{"zeek__hrr.pcap", 1, 63564, 0x0304, NULL},
	{"ndpi__tls_with_huge_ch.pcapng", 1, 40640, 0x0304, NULL},
	{"arkime__tls-split-client-hello.pcap", 1, 0, 0x0304, NULL},
	{"zeek__smtp-starttls.pcap", 1, 0, 0x0303, NULL},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_flow CORPUS_DIR\n");
		return 2;
	}
	struct flow_limits lim;
	flow_limits_default(&lim);
	static struct results base, other;
	struct ta_stats st;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/pcaps/%s", argv[1], cases[k].file);
		struct capture c;
		load(path, &c);
		CHECK(c.n > 0, "%s: no TCP packets", cases[k].file);
		run(&c, AS_RECORDED, &lim, &base, &st);
		CHECK(base.n == cases[k].n_conns, "%s: %zu connections, want %zu", cases[k].file, base.n,
		      cases[k].n_conns);
		if (base.n > 0) {
			if (cases[k].client_port)
				CHECK(base.r[0].client_port == cases[k].client_port, "%s: client port %u",
				      cases[k].file, base.r[0].client_port);
			CHECK(base.r[0].negotiated_version == cases[k].negotiated, "%s: negotiated 0x%04x want 0x%04x",
			      cases[k].file, base.r[0].negotiated_version, cases[k].negotiated);
		}
		for (enum mode m = BYTEWISE; m <= OVERLAPPING; m++) {
			run(&c, m, &lim, &other, &st);
			CHECK(other.n == base.n, "%s mode %d: %zu connections, want %zu", cases[k].file, m, other.n,
			      base.n);
			for (size_t i = 0; i < base.n && i < other.n; i++)
				CHECK(same_facts(&base.r[i], &other.r[i]), "%s mode %d: connection %zu differs",
				      cases[k].file, m, i);
		}

		/* limits: one flow slot, tiny buffers - counted, never fatal */
		struct flow_limits tiny = lim;
		tiny.max_flows = 1;
		tiny.max_dir_bytes = 1024;
		tiny.max_segments = 2;
		run(&c, REORDERED, &tiny, &other, &st);
		CHECK(st.flows >= 1, "%s: no flow under tiny limits", cases[k].file);
		unload(&c);
	}
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("flow: all checks passed\n");
	return 0;
}
