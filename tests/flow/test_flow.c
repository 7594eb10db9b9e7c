/* test_flow.c - the flow table and reassembler against real captures: the same capture fed as recorded, one
 * byte per segment, with segments reordered, and with overlapping retransmissions must hand the consumer the
 * same two byte streams per connection, and those streams must give the TLS facts tshark sees. Also the limits:
 * a tiny flow table and tiny buffers count what they drop and never crash. The corpus is read at test time
 * from the shared corpus (argv[1]) when present; samples/ (argv[2]) always. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/flow.h"
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

/* what the consumer saw of one connection: both endpoints' streams, and their TLS facts */
struct conn_seen {
	uint16_t port[2];
	uint8_t *stream[2];
	size_t len[2], cap[2];
	bool ended;
};

struct results {
	struct conn_seen c[64];
	size_t n;
};

static size_t on_data(void *ctx, struct flow *f, int side, const uint8_t *data, size_t len, bool lost, bool final)
{
	struct results *res = ctx;
	struct conn_seen *c = flow_user(f);
	(void)lost;
	(void) final;
	if (!c) {
		if (res->n == 64)
			return len;
		c = &res->c[res->n++];
		memset(c, 0, sizeof(*c));
		c->port[0] = flow_info(f)->port[0];
		c->port[1] = flow_info(f)->port[1];
		flow_set_user(f, c);
	}
	if (c->len[side] + len + 1 > c->cap[side]) { /* grow geometrically: long streams stay linear */
		size_t cap = c->cap[side] ? c->cap[side] * 2 : 4096;
		while (cap < c->len[side] + len + 1)
			cap *= 2;
		uint8_t *nb = realloc(c->stream[side], cap);
		if (!nb)
			abort();
		c->stream[side] = nb;
		c->cap[side] = cap;
	}
	memcpy(c->stream[side] + c->len[side], data, len);
	c->len[side] += len;
	return len; /* every byte is used: the streams are the consumer's */
}

static void on_end(void *ctx, struct flow *f, enum flow_end why)
{
	struct conn_seen *c = flow_user(f);
	(void)ctx;
	(void)why;
	if (c)
		c->ended = true;
}

static const struct flow_ops ops = {.data = on_data, .end = on_end};

static void results_free(struct results *res)
{
	for (size_t i = 0; i < res->n; i++) {
		free(res->c[i].stream[0]);
		free(res->c[i].stream[1]);
	}
	memset(res, 0, sizeof(*res));
}

/* The TLS facts of a connection's two streams, client first (the endpoint whose stream starts a ClientHello). */
static void facts_of(const struct conn_seen *c, struct tls_facts *f)
{
	int client = c->port[0] > c->port[1] ? 0 : 1; /* no hello first (STARTTLS): the server has the lower port */
	for (int e = 0; e < 2; e++)
		if (c->len[e] && tls_looks_like_client_hello(c->stream[e], c->len[e]) == TLS_OK)
			client = e;
	tf_init(f);
	const uint8_t empty = 0;
	tf_feed(f, TLS_DIR_CLIENT, c->len[client] ? c->stream[client] : &empty, c->len[client], NULL);
	tf_feed(f, TLS_DIR_SERVER, c->len[1 - client] ? c->stream[1 - client] : &empty, c->len[1 - client], NULL);
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

static void run(const struct capture *c, enum mode m, const struct ta_limits *lim, struct results *res,
		struct ta_stats *st)
{
	struct flow_table *t;
	results_free(res);
	memset(st, 0, sizeof(*st));
	if (flow_table_new(lim, &ops, res, st, &t) < 0) {
		fprintf(stderr, "flow_table_new failed\n");
		exit(2);
	}
	for (size_t i = 0; i < c->n; i++)
		feed(t, &c->v[i].p, m);
	flow_table_flush(t, false);
	CHECK(flow_table_count(t) == 0, "flows left after flush");
	flow_table_free(t);
}

static bool same_streams(const struct conn_seen *a, const struct conn_seen *b)
{
	for (int i = 0; i < 2; i++)
		if (a->port[i] != b->port[i] || a->len[i] != b->len[i] ||
		    (a->len[i] && memcmp(a->stream[i], b->stream[i], a->len[i]) != 0))
			return false;
	return a->ended && b->ended;
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
static const struct expect corpus_cases[] = {
	{"zeek__tls1.2.pcap", 1, 56637, 0x0303, NULL},
	{"suricata-verify__tls-client-hello-frag-01__dump_mtu300.pcap", 1, 0, 0x0303, NULL},
	{"zeek__tls-fragmented-handshake.pcap", 1, 0, 0x0303, NULL},
	{"zeek__hrr.pcap", 1, 63564, 0x0304, NULL},
	{"ndpi__tls_with_huge_ch.pcapng", 1, 40640, 0x0304, NULL},
	{"arkime__tls-split-client-hello.pcap", 1, 0, 0x0304, NULL},
	{"zeek__smtp-starttls.pcap", 1, 0, 0x0303, NULL},
};

/* samples/ (real stacks on loopback, samples/README.md), the same tshark commands */
static const struct expect sample_cases[] = {
	{"tls12-sni.pcap", 2, 50310, 0x0303, "mail.example.test"},
	{"tls13.pcap", 3, 50410, 0x0304, "mail.example.test"},
	{"tls11.pcap", 1, 50201, 0x0302, NULL},
	{"tls10-rejected.pcap", 2, 50101, 0, NULL},
	{"starttls.pcap", 10, 51025, 0x0303, "mail.example.test"},
};

/* every check on each capture of cases[0..n) in dir */
static void run_cases(const char *dir, const struct expect *cases, size_t n)
{
	struct ta_limits lim;
	ta_limits_default(&lim);
	static struct results base, other;
	struct ta_stats st;
	for (size_t k = 0; k < n; k++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, cases[k].file);
		struct capture c;
		load(path, &c);
		CHECK(c.n > 0, "%s: no TCP packets", cases[k].file);
		run(&c, AS_RECORDED, &lim, &base, &st);
		/* the connections that carried TLS (the corpus captures hold other TCP traffic too) */
		size_t tls = 0, first = SIZE_MAX;
		for (size_t i = 0; i < base.n; i++) {
			struct tls_facts f;
			facts_of(&base.c[i], &f);
			if (f.n_client_hellos || f.have_sh) {
				if (first == SIZE_MAX)
					first = i;
				tls++;
			}
			tf_done(&f);
		}
		CHECK(tls == cases[k].n_conns, "%s: %zu TLS connections, want %zu", cases[k].file, tls,
		      cases[k].n_conns);
		if (first != SIZE_MAX) {
			struct tls_facts f;
			facts_of(&base.c[first], &f);
			if (cases[k].client_port)
				CHECK(base.c[first].port[0] == cases[k].client_port ||
					      base.c[first].port[1] == cases[k].client_port,
				      "%s: client port %u/%u", cases[k].file, base.c[first].port[0],
				      base.c[first].port[1]);
			CHECK(tf_negotiated(&f) == cases[k].negotiated, "%s: negotiated 0x%04x want 0x%04x",
			      cases[k].file, tf_negotiated(&f), cases[k].negotiated);
			if (cases[k].sni)
				CHECK(f.have_ch && strcmp(f.ch.sni, cases[k].sni) == 0, "%s: SNI '%s' want '%s'",
				      cases[k].file, f.have_ch ? f.ch.sni : "", cases[k].sni);
			tf_done(&f);
		}
		for (enum mode m = BYTEWISE; m <= OVERLAPPING; m++) {
			run(&c, m, &lim, &other, &st);
			CHECK(other.n == base.n, "%s mode %d: %zu connections, want %zu", cases[k].file, m, other.n,
			      base.n);
			for (size_t i = 0; i < base.n && i < other.n; i++)
				CHECK(same_streams(&base.c[i], &other.c[i]), "%s mode %d: connection %zu differs",
				      cases[k].file, m, i);
		}

		/* limits: one flow slot, tiny buffers - counted, never fatal */
		struct ta_limits tiny = lim;
		tiny.max_flows = 1;
		tiny.max_dir_bytes = 1024;
		tiny.max_segments = 2;
		run(&c, REORDERED, &tiny, &other, &st);
		CHECK(st.flows >= 1, "%s: no flow under tiny limits", cases[k].file);
		results_free(&base);
		results_free(&other);
		unload(&c);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_flow CORPUS_DIR SAMPLES_DIR\n");
		return 2;
	}
	run_cases(argv[2], sample_cases, sizeof(sample_cases) / sizeof(sample_cases[0]));
	char pcaps[1024];
	struct stat sb;
	snprintf(pcaps, sizeof(pcaps), "%s/pcaps", argv[1]);
	if (stat(pcaps, &sb) != 0 || !S_ISDIR(sb.st_mode))
		printf("SKIP: the corpus captures (fragmented hellos, HRR, STARTTLS): %s not found (-Dcorpus=DIR or "
		       "TLSAUDIT_CORPUS at setup)\n",
		       pcaps);
	else
		run_cases(pcaps, corpus_cases, sizeof(corpus_cases) / sizeof(corpus_cases[0]));
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("flow: all checks passed\n");
	return 0;
}
