/* flow.c - TCP flow table, bounded stream reassembly, and the hand-off to the
 * TLS stage and nDPI. specification: RFC 9293 section 3.4 (sequence numbers),
 * RFC 7413 (TCP Fast Open: data on SYN).
 *
 * Design note. A flow lives in a chained hash table (keyed, seeded hash of the
 * 5-tuple) and on one list ordered by last activity in packet time, which gives
 * O(1) idle expiry and O(1) eviction of the least recently active flow when the
 * table is full. Each direction keeps only the bytes the TLS stage has not yet
 * consumed (at most one record plus out-of-order segments), under a
 * per-direction and a global byte cap. Once the handshake is decided (or the
 * flow is given up) its record is emitted, every buffer is freed, and the flow
 * stays as a small tombstone so later packets cost one hash lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlsaudit/cert.h"
#include "tlsaudit/classify.h"
#include "tlsaudit/fingerprint.h"
#include "tlsaudit/flow.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/starttls.h"
#include "tlsaudit/tls.h"

/* an out-of-order segment waiting for the bytes before it */
struct seg {
	struct seg *next; /* sorted by seq */
	uint32_t seq;
	uint32_t len;
	uint8_t data[]; /* len bytes */
};

struct flow_dir {
	uint8_t *buf; /* owned: in-order bytes not yet consumed by the TLS stage */
	uint32_t buf_len, buf_cap;
	struct seg *ooo; /* owned: out-of-order segments, sorted */
	uint32_t n_ooo, ooo_bytes;
	uint32_t next_seq; /* next expected sequence number */
	uint32_t isn;	   /* sequence number of this side's SYN (valid when syn) */
	uint64_t in_order; /* bytes delivered in order so far */
	bool seq_init;	   /* next_seq is known */
	bool syn, fin, rst;
	bool resync; /* after a gap: skip to the next plausible record header */
	bool gap;    /* bytes were lost in this direction */
	bool capped; /* the byte cap dropped data */
	uint64_t pkts, bytes;
};

struct flow {
	struct flow *hnext;	    /* hash chain */
	struct flow *lprev, *lnext; /* activity list, oldest first */
	uint8_t family;
	uint8_t ip[2][16]; /* endpoint 0 sent the first packet seen */
	uint16_t port[2];
	uint32_t hash;
	int64_t first_ns, last_ns;
	uint64_t seq;		   /* order of creation = order of first packet */
	int8_t client;		   /* endpoint index of the TLS client; -1 undecided */
	int8_t syn_client;	   /* endpoint that sent the pure SYN; -1 unknown */
	bool finished;		   /* record emitted (or no TLS): tombstone */
	bool cls_active;	   /* nDPI still wants packets */
	uint32_t flags;		   /* REC_F_* */
	struct flow_dir d[2];	   /* indexed by endpoint */
	struct tls_facts *tls;	   /* owned, NULL until the first payload */
	size_t tls_heap;	   /* heap bytes of *tls counted in the table's memory */
	size_t cls_heap;	   /* bytes of *cls counted in the table's memory */
	struct classify_flow *cls; /* owned by classify, NULL when idle */
};

struct flow_table {
	struct flow_limits lim;
	struct flow *current; /* the flow of the packet being handled: never evicted */
	bool evicting;	      /* inside mem_make_room: no nested eviction */
	bool finishing;	      /* inside flow_finish: parse whatever is buffered */
	void *free_flows;     /* recycled struct flow (linked through their first word) */
	void *free_tls;	      /* recycled struct tls_facts */
	size_t n_free_flows, n_free_tls;
	struct flow **buckets;
	size_t n_buckets; /* power of two */
	size_t n_flows;
	uint64_t next_seq;
	uint64_t hash_seed;
	struct flow *lru_head, *lru_tail;
	size_t mem; /* bytes held in flows and reassembly buffers */
	struct classify *cls;
	struct ta_stats *stats;
	flow_emit_fn emit;
	void *emit_ctx;
	struct tls_limits tls_lim;
};

void flow_limits_default(struct flow_limits *l)
{
	l->max_flows = FLOW_DEF_MAX_FLOWS;
	l->max_dir_bytes = FLOW_DEF_MAX_DIR_BYTES;
	l->max_segments = FLOW_DEF_MAX_SEGMENTS;
	l->max_handshake = FLOW_DEF_MAX_HANDSHAKE;
	l->max_plaintext = FLOW_DEF_MAX_PLAINTEXT;
	l->max_cert_bytes = FLOW_DEF_MAX_CERT_BYTES;
	l->max_memory = FLOW_DEF_MAX_MEMORY;
	l->idle_ns = (int64_t)FLOW_DEF_IDLE_S * 1000000000;
}

/* ---- memory accounting ------------------------------------------------ */

static bool mem_make_room(struct flow_table *t, size_t n);

static bool mem_fits(const struct flow_table *t, size_t n)
{
	return n <= t->lim.max_memory && t->mem <= t->lim.max_memory - n;
}

/* Allocate n bytes under the memory cap; when it is reached, the least
 * recently active flows make room (a flood cannot starve new handshakes). */
static void *mem_alloc(struct flow_table *t, size_t n)
{
	if (!mem_fits(t, n) && !mem_make_room(t, n)) {
		t->stats->mem_capped++;
		return NULL;
	}
	void *p = malloc(n);
	if (p)
		t->mem += n;
	return p;
}

/* Fixed-size objects (flows, TLS states) come and go by the hundred thousand:
 * recycling them keeps the heap from fragmenting (RSS stays near the live
 * size) and saves a malloc per flow. At most FLOW_FREE_KEEP of each are kept. */
#define FLOW_FREE_KEEP 4096

static void *pool_get(struct flow_table *t, void **list, size_t *count, size_t n)
{
	if (*list) {
		if (!mem_fits(t, n) && !mem_make_room(t, n)) {
			t->stats->mem_capped++;
			return NULL;
		}
		void *p = *list;
		memcpy(list, p, sizeof(void *));
		(*count)--;
		t->mem += n;
		return p;
	}
	return mem_alloc(t, n);
}

static void pool_put(struct flow_table *t, void **list, size_t *count, void *p, size_t n)
{
	if (!p)
		return;
	t->mem -= n;
	if (*count >= FLOW_FREE_KEEP) {
		free(p);
		return;
	}
	memcpy(p, list, sizeof(void *));
	*list = p;
	(*count)++;
}

static void pool_drain(void **list, size_t *count)
{
	while (*list) {
		void *p = *list;
		memcpy(list, p, sizeof(void *));
		free(p);
	}
	*count = 0;
}

static void mem_free(struct flow_table *t, void *p, size_t n)
{
	if (!p)
		return;
	free(p);
	t->mem -= n;
}

/* ---- hashing ------------------------------------------------------------ */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_endpoint(uint64_t seed, const uint8_t ip[16], uint16_t port)
{
	uint64_t a, b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return mix64(seed ^ a) ^ mix64(b + port + seed);
}

/* symmetric in the two endpoints, keyed by a per-table seed (hash flooding) */
static uint32_t flow_hash(const struct flow_table *t, const struct pkt *p)
{
	uint64_t h1 = hash_endpoint(t->hash_seed, p->src, p->sport);
	uint64_t h2 = hash_endpoint(t->hash_seed, p->dst, p->dport);
	uint64_t lo = h1 < h2 ? h1 : h2, hi = h1 < h2 ? h2 : h1;
	return (uint32_t)mix64(lo * 31 + hi + p->family);
}

/* which endpoint sent p: 0 or 1, or -1 if p is not of this flow */
static int flow_match(const struct flow *f, const struct pkt *p)
{
	if (f->family != p->family)
		return -1;
	if (f->port[0] == p->sport && f->port[1] == p->dport && memcmp(f->ip[0], p->src, 16) == 0 &&
	    memcmp(f->ip[1], p->dst, 16) == 0)
		return 0;
	if (f->port[1] == p->sport && f->port[0] == p->dport && memcmp(f->ip[1], p->src, 16) == 0 &&
	    memcmp(f->ip[0], p->dst, 16) == 0)
		return 1;
	return -1;
}

/* ---- table -------------------------------------------------------------- */

int flow_table_new(const struct flow_limits *lim, struct classify *cls, struct ta_stats *stats, flow_emit_fn emit,
		   void *emit_ctx, struct flow_table **ret)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->lim = *lim;
	if (t->lim.max_flows == 0)
		t->lim.max_flows = 1;
	size_t want = t->lim.max_flows < (1u << 22) ? t->lim.max_flows : (1u << 22);
	t->n_buckets = 1024;
	while (t->n_buckets < want)
		t->n_buckets <<= 1;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->hash_seed = mix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)t);
	t->cls = cls;
	t->stats = stats;
	t->emit = emit;
	t->emit_ctx = emit_ctx;
	t->tls_lim.max_handshake = t->lim.max_handshake;
	t->tls_lim.max_plaintext = t->lim.max_plaintext;
	t->tls_lim.max_cert_bytes = t->lim.max_cert_bytes;
	*ret = t;
	return 0;
}

size_t flow_table_memory(const struct flow_table *t)
{
	return t->mem + t->n_buckets * sizeof(*t->buckets);
}
size_t flow_table_count(const struct flow_table *t)
{
	return t->n_flows;
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		t->lru_head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		t->lru_tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_append(struct flow_table *t, struct flow *f)
{
	f->lprev = t->lru_tail;
	f->lnext = NULL;
	if (t->lru_tail)
		t->lru_tail->lnext = f;
	else
		t->lru_head = f;
	t->lru_tail = f;
}

static void dir_free_buffers(struct flow_table *t, struct flow_dir *d)
{
	mem_free(t, d->buf, d->buf_cap);
	d->buf = NULL;
	d->buf_len = d->buf_cap = 0;
	struct seg *s = d->ooo;
	while (s) {
		struct seg *n = s->next;
		mem_free(t, s, sizeof(*s) + s->len);
		s = n;
	}
	d->ooo = NULL;
	d->n_ooo = d->ooo_bytes = 0;
}

static void flow_release_state(struct flow_table *t, struct flow *f)
{
	dir_free_buffers(t, &f->d[0]);
	dir_free_buffers(t, &f->d[1]);
	if (f->tls) {
		tls_facts_done(f->tls);
		pool_put(t, &t->free_tls, &t->n_free_tls, f->tls, sizeof(*f->tls));
		f->tls = NULL;
		t->mem -= f->tls_heap;
		f->tls_heap = 0;
	}
	if (f->cls && t->cls) {
		struct classify_result r;
		classify_finish(t->cls, &f->cls, &r);
	}
	t->mem -= f->cls_heap;
	f->cls_heap = 0;
	f->cls = NULL;
	f->cls_active = false;
}

/* ---- building the record ------------------------------------------------ */

static enum rec_outcome flow_outcome(const struct flow *f, bool cut)
{
	const struct tls_facts *x = f->tls;
	int c = f->client, s = 1 - f->client;
	if (tls_established(x))
		return OUT_ESTABLISHED;
	if (x->have_alert || x->fatal_alert)
		return OUT_ALERT;
	if (f->d[c].rst || f->d[s].rst)
		return OUT_RESET;
	if (x->dir[TLS_DIR_SERVER].dead && !x->dir[TLS_DIR_SERVER].started && f->d[s].bytes > 0)
		return OUT_SERVER_NOT_TLS;
	if (cut || (f->flags & REC_F_TRUNCATED))
		return OUT_TRUNCATED;
	if (x->have_ch && f->d[s].bytes == 0)
		return f->d[c].fin || f->d[s].fin || (f->flags & REC_F_IDLE) ? OUT_NO_SERVER_REPLY : OUT_INCOMPLETE;
	if (f->d[c].gap || f->d[s].gap)
		return OUT_TRUNCATED;
	if (f->d[c].fin || f->d[s].fin)
		return OUT_CLOSED;
	return OUT_INCOMPLETE;
}

static void ip_copy(uint8_t dst[16], const uint8_t src[16])
{
	memcpy(dst, src, 16);
}

/* floor(ns / 1e9) */
static int64_t ns_to_s(int64_t ns)
{
	return ns >= 0 ? ns / 1000000000 : -((-(ns + 1)) / 1000000000) - 1;
}

/* The server's leaf certificate (borrowed from the TLS stage, freed with it) -> record. */
static void flow_cert_record(const struct flow *f, struct ta_record *r)
{
	const struct tls_cert_capture *cc = &f->tls->cert;
	struct cert_info ci;
	static const char hex[] = "0123456789abcdef";

	r->cert_chain_len = cc->chain_len;
	if (cc->der_want > 0 && !cc->leaf_done && (f->tls->anomalies & TLS_AN_CERT_CAPPED))
		r->flags |= REC_F_CERT_CAPPED;
	if (!cc->leaf_done || cert_parse(cc->der, cc->der_len, &ci) != CERT_OK)
		return;
	_Static_assert(REC_MAX_CERT_NAME == CERT_MAX_NAME && REC_MAX_CERT_SANS == CERT_MAX_SANS_BYTES,
		       "record and cert stage caps agree");
	r->has_cert = true;
	r->cert_has_subject_cn = ci.has_subject_cn;
	r->cert_subject_cn_len = ci.subject_cn_len;
	memcpy(r->cert_subject_cn, ci.subject_cn, sizeof(r->cert_subject_cn));
	r->cert_has_issuer_cn = ci.has_issuer_cn;
	r->cert_issuer_cn_len = ci.issuer_cn_len;
	memcpy(r->cert_issuer_cn, ci.issuer_cn, sizeof(r->cert_issuer_cn));
	r->cert_sans_len = ci.sans_len;
	memcpy(r->cert_sans, ci.sans, ci.sans_len);
	r->cert_not_before = ci.not_before;
	r->cert_not_after = ci.not_after;
	memcpy(r->cert_key_type, ci.key_type, sizeof(r->cert_key_type));
	memcpy(r->cert_key_curve, ci.key_curve, sizeof(r->cert_key_curve));
	r->cert_key_bits = ci.key_bits;
	memcpy(r->cert_sig_alg, ci.sig_alg, sizeof(r->cert_sig_alg));
	for (size_t i = 0; i < sizeof(ci.sha256); i++) {
		r->cert_sha256[2 * i] = hex[ci.sha256[i] >> 4];
		r->cert_sha256[2 * i + 1] = hex[ci.sha256[i] & 15];
	}
	r->cert_sha256[64] = '\0';
	r->cert_self_signed = ci.self_signed;
	r->cert_expired = cert_expired(&ci, ns_to_s(f->first_ns));
}

static void flow_build_record(const struct flow *f, bool cut, const struct classify_result *cr,
			      const struct starttls_result *stls, struct ta_record *r)
{
	const struct tls_facts *x = f->tls;
	const struct tls_client_hello *ch = &x->ch;
	int c = f->client, s = 1 - f->client;

	memset(r, 0, sizeof(*r));
	r->seq = f->seq;
	r->ts_ns = f->first_ns;
	r->last_ns = f->last_ns;
	r->family = f->family;
	ip_copy(r->client_ip, f->ip[c]);
	ip_copy(r->server_ip, f->ip[s]);
	r->client_port = f->port[c];
	r->server_port = f->port[s];

	/* A malformed first ClientHello still tells what was read before the damage
	 * (legacy_version, often the SNI): report it, flagged malformed. */
	bool partial_ch = !x->have_ch && x->n_client_hellos > 0;
	if (partial_ch)
		r->flags |= REC_F_MALFORMED;
	if (x->have_ch || partial_ch) {
		r->has_sni = ch->has_sni;
		r->sni_len = ch->sni_len;
		memcpy(r->sni, ch->sni, ch->sni_len);
		r->alpn_len = ch->alpn_len;
		memcpy(r->alpn, ch->alpn, ch->alpn_len);
		r->client_record_version = ch->record_version;
		r->client_legacy_version = ch->legacy_version;
		r->client_has_supported_versions = ch->has_supported_versions;
		for (unsigned i = 0; i < ch->n_versions && r->n_client_versions < REC_MAX_VERSIONS; i++)
			if (!tls_is_grease(ch->versions[i]))
				r->client_versions[r->n_client_versions++] = ch->versions[i];
		r->client_max_version = tls_client_max_version(ch);
		r->n_ciphers = ch->n_ciphers < REC_MAX_CIPHERS ? ch->n_ciphers : REC_MAX_CIPHERS;
		memcpy(r->ciphers, ch->ciphers, r->n_ciphers * sizeof(r->ciphers[0]));
		r->n_groups = ch->n_groups < REC_MAX_GROUPS ? ch->n_groups : REC_MAX_GROUPS;
		memcpy(r->groups, ch->groups, r->n_groups * sizeof(r->groups[0]));
		if (ch->sslv2_format)
			r->flags |= REC_F_SSLV2_HELLO;
		if (ch->has_ech)
			r->flags |= REC_F_ECH;
		if (ch->has_early_data)
			r->flags |= REC_F_EARLY_DATA;
		if (x->have_ch) {
			fp_ja3(ch, r->ja3, NULL, 0);
			fp_ja4(ch, false, r->ja4, NULL, 0);
		}
		if (x->ch2)
			fp_ja4(x->ch2, false, r->ja4_hrr, NULL, 0);
	}
	if (x->have_sh) {
		r->has_server_hello = true;
		r->server_legacy_version = x->sh.legacy_version;
		r->negotiated_version = tls_negotiated_version(x);
		if (x->sh.sslv2_format) {
			if (x->sslv2_cipher24) {
				r->has_cipher = true;
				r->cipher_sslv2 = true;
				r->cipher = x->sslv2_cipher24;
			}
		} else {
			r->has_cipher = true;
			r->cipher = x->sh.cipher;
			fp_ja3s(&x->sh, r->ja3s, NULL, 0);
		}
	}
	if (x->have_alert) {
		r->has_alert = true;
		r->alert_level = x->alert_level;
		r->alert_desc = x->alert_desc;
		r->alert_sender = (uint8_t)x->alert_sender;
	}
	flow_cert_record(f, r);
	r->established = tls_established(x);
	r->resumed = x->resumed;
	r->hello_retry_request = x->hrr;
	if (x->n_client_hellos > 1)
		r->flags |= REC_F_MULTI_CH;
	if (x->anomalies & TLS_AN_PLAINTEXT_PREFIX)
		r->flags |= REC_F_PLAINTEXT_PREFIX;
	if (x->anomalies & (TLS_AN_BAD_EXTENSION | TLS_AN_RECORD_TOO_BIG))
		r->flags |= REC_F_MALFORMED;
	if (cr) {
		memcpy(r->l7_protocol, cr->protocol, sizeof(r->l7_protocol));
		r->l7_protocol[sizeof(r->l7_protocol) - 1] = '\0';
		r->risks = cr->risks;
		memcpy(r->ndpi_ja3, cr->ja3, sizeof(r->ndpi_ja3));
		r->ndpi_ja3[sizeof(r->ndpi_ja3) - 1] = '\0';
	}
	r->flags |= f->flags;
	if (f->d[c].gap)
		r->flags |= REC_F_GAP_CLIENT;
	if (f->d[s].gap)
		r->flags |= REC_F_GAP_SERVER;
	if (f->d[c].rst)
		r->flags |= REC_F_RST_CLIENT;
	if (f->d[s].rst)
		r->flags |= REC_F_RST_SERVER;
	if (f->d[c].fin)
		r->flags |= REC_F_FIN_CLIENT;
	if (f->d[s].fin)
		r->flags |= REC_F_FIN_SERVER;
	if (f->d[c].capped || f->d[s].capped)
		r->flags |= REC_F_CAP_BYTES;
	if (f->d[0].pkts == 0 || f->d[1].pkts == 0)
		r->flags |= REC_F_UNIDIRECTIONAL;
	if (cut)
		r->flags |= REC_F_TRUNCATED;
	const char *sname = starttls_name(stls->proto);
	if (sname && stls->requested)
		snprintf(r->starttls, sizeof(r->starttls), "%s", sname);
	r->outcome = flow_outcome(f, cut);
	if (sname && stls->refused && !x->have_ch)
		r->outcome = OUT_STARTTLS_REFUSED;
	for (int e = 0; e < 2; e++) {
		int k = e == c ? 0 : 1;
		r->pkts[k] = f->d[e].pkts;
		r->bytes[k] = f->d[e].bytes;
	}
}

static bool tls_seen(const struct tls_facts *x)
{
	return x && (x->have_ch || x->n_client_hellos > 0 || x->have_sh || x->hrr || x->have_alert);
}

static void dir_drain(struct flow_table *t, struct flow *f, int e);
static void dir_process(struct flow_table *t, struct flow *f, int e);
static void flow_decide_roles(struct flow *f, int e, int syn_client);
static void dir_skip_gap(struct flow_table *t, struct flow *f, int e, uint32_t to_seq);

/* Emit the flow's record (if it had TLS) and free its state; it stays a tombstone. */
static void flow_finish(struct flow_table *t, struct flow *f, bool cut)
{
	if (f->finished)
		return;
	/* Parse what is buffered (a record that will never complete included), and
	 * bytes still queued behind a hole: the capture lost the hole for good. */
	bool nested = t->finishing;
	t->finishing = true;
	for (int e = 0; e < 2; e++) {
		if (f->client < 0 && f->d[e].buf_len > 0)
			flow_decide_roles(f, e, f->syn_client);
		if (f->client >= 0 && f->d[e].buf_len > 0)
			dir_process(t, f, e);
		for (unsigned n = 0; f->d[e].ooo && f->tls && n < t->lim.max_segments + 1; n++)
			dir_skip_gap(t, f, e, f->d[e].ooo->seq);
	}
	t->finishing = nested;
	f->finished = true;
	struct classify_result cr;
	memset(&cr, 0, sizeof(cr));
	if (t->cls && f->cls)
		classify_finish(t->cls, &f->cls, &cr);
	/* the plaintext before TLS tells whether (and which) in-band upgrade happened */
	struct starttls_result stls;
	memset(&stls, 0, sizeof(stls));
	if (f->tls && (f->tls->dir[TLS_DIR_CLIENT].plain_len || f->tls->dir[TLS_DIR_SERVER].plain_len)) {
		const struct tls_dir_state *cd = &f->tls->dir[TLS_DIR_CLIENT], *sd = &f->tls->dir[TLS_DIR_SERVER];
		starttls_detect(cd->plain, cd->plain_len, sd->plain, sd->plain_len, &stls);
	}
	if (tls_seen(f->tls) || (stls.proto != STARTTLS_NONE && stls.requested)) {
		if (f->client < 0)
			f->client = 0;
		struct ta_record r;
		flow_build_record(f, cut, &cr, &stls, &r);
		t->stats->flows_tls++;
		if (r.flags & REC_F_CERT_CAPPED)
			t->stats->certs_capped++;
		if (t->emit)
			t->emit(&r, t->emit_ctx);
	}
	flow_release_state(t, f);
}

static void flow_remove(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & (t->n_buckets - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(t, f);
	flow_release_state(t, f);
	pool_put(t, &t->free_flows, &t->n_free_flows, f, sizeof(*f));
	t->n_flows--;
}

static bool mem_make_room(struct flow_table *t, size_t n)
{
	if (t->evicting)
		return false;
	t->evicting = true;
	while (!mem_fits(t, n) && t->lru_head && t->lru_head != t->current) {
		struct flow *f = t->lru_head;
		if (!f->finished) {
			f->flags |= REC_F_EVICTED;
			t->stats->flows_evicted++;
			flow_finish(t, f, false);
		}
		flow_remove(t, f);
	}
	t->evicting = false;
	return mem_fits(t, n);
}

static void flow_expire(struct flow_table *t, int64_t now)
{
	while (t->lru_head && now - t->lru_head->last_ns > t->lim.idle_ns) {
		struct flow *f = t->lru_head;
		if (!f->finished) {
			f->flags |= REC_F_IDLE;
			t->stats->flows_idle++;
			flow_finish(t, f, false);
		}
		flow_remove(t, f);
	}
}

void flow_table_flush(struct flow_table *t, bool cut)
{
	/* the activity list is in packet order, which keeps the output deterministic */
	while (t->lru_head) {
		struct flow *f = t->lru_head;
		flow_finish(t, f, cut);
		flow_remove(t, f);
	}
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	while (t->lru_head) {
		struct flow *f = t->lru_head;
		f->finished = true;
		flow_remove(t, f);
	}
	pool_drain(&t->free_flows, &t->n_free_flows);
	pool_drain(&t->free_tls, &t->n_free_tls);
	free(t->buckets);
	free(t);
}

/* ---- reassembly ----------------------------------------------------------- */

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool dir_reserve(struct flow_table *t, struct flow_dir *d, size_t need)
{
	if (need <= d->buf_cap)
		return true;
	/* start small (most hellos fit in one or two segments), then double */
	size_t cap = d->buf_cap ? d->buf_cap * 2 : (need + 255) & ~(size_t)255;
	while (cap < need)
		cap *= 2;
	if (cap > t->lim.max_dir_bytes)
		cap = t->lim.max_dir_bytes;
	if (cap < need)
		return false;
	uint8_t *nb = mem_alloc(t, cap);
	if (!nb)
		return false;
	if (d->buf_len)
		memcpy(nb, d->buf, d->buf_len);
	mem_free(t, d->buf, d->buf_cap);
	d->buf = nb;
	d->buf_cap = (uint32_t)cap;
	return true;
}

/* Is there a plausible TLS record header at off? (type, major 3, minor <= 4, length) */
static bool record_header_at(const uint8_t *b, size_t len, size_t off)
{
	struct br r = br_make(b, len);
	br_skip(&r, off);
	uint8_t type = br_u8(&r), major = br_u8(&r), minor = br_u8(&r);
	uint16_t rlen = br_u16(&r);
	return br_ok(&r) && type >= 20 && type <= 24 && major == 3 && minor <= 4 && rlen > 0 && rlen <= TLS_MAX_RECORD;
}

/* After a gap, drop bytes up to the first header that a second header (or the
 * end of the buffer) confirms. Returns true when parsing can go on. */
static bool dir_resync(struct flow_dir *d)
{
	size_t len = d->buf_len;
	for (size_t i = 0; i + 5 <= len; i++) {
		if (!record_header_at(d->buf, len, i))
			continue;
		struct br r = br_make(d->buf, len);
		br_skip(&r, i + 3);
		size_t next = i + 5 + br_u16(&r);
		if (next + 5 > len || record_header_at(d->buf, len, next)) {
			memmove(d->buf, d->buf + i, len - i);
			d->buf_len = (uint32_t)(len - i);
			d->resync = false;
			return true;
		}
	}
	size_t keep = len < 4 ? len : 4; /* a header may start in the last bytes */
	memmove(d->buf, d->buf + len - keep, keep);
	d->buf_len = (uint32_t)keep;
	return false;
}

/* Which endpoint is the TLS client? Decided on the first payload bytes. */
static void flow_decide_roles(struct flow *f, int e, int syn_client)
{
	const struct flow_dir *d = &f->d[e];
	struct br r = br_make(d->buf, d->buf_len);
	enum tls_status st = tls_looks_like_client_hello(d->buf, d->buf_len);
	if (st == TLS_OK) {
		f->client = (int8_t)e;
		return;
	}
	uint8_t b0 = br_peek(&r, 0), b1 = br_peek(&r, 1), b5 = br_peek(&r, 5);
	bool server_like = (b0 == 22 && b1 == 3 && d->buf_len > 5 && b5 == 2) || (b0 == 21 && b1 == 3);
	if (server_like) {
		f->client = (int8_t)(1 - e);
		return;
	}
	if (syn_client >= 0) {
		f->client = (int8_t)syn_client;
		return;
	}
	/* no SYN seen: the server is the endpoint on the lower port */
	f->client = (int8_t)(f->port[0] > f->port[1] ? 0 : f->port[0] < f->port[1] ? 1 : e);
}

/* Hand buffered in-order bytes of endpoint e to the TLS stage. */
static void dir_process(struct flow_table *t, struct flow *f, int e)
{
	struct flow_dir *d = &f->d[e];
	if (d->buf_len == 0)
		return;
	if (f->client < 0) {
		if (d->buf_len < 6 && !d->fin)
			return; /* too few bytes to tell a hello from the rest */
		flow_decide_roles(f, e, f->syn_client);
		dir_process(t, f, e);
		dir_process(t, f, 1 - e); /* bytes the peer sent while the roles were open */
		return;
	}
	if (!f->tls) {
		/* Until a first record is complete there is nothing to parse: a flood of
		 * half-sent hellos costs its buffered bytes, not a TLS state. */
		struct br r = br_make(d->buf, d->buf_len);
		uint8_t type = br_u8(&r), major = br_u8(&r);
		br_skip(&r, 1);
		uint16_t rlen = br_u16(&r);
		if (!t->finishing && br_ok(&r) && type == 22 && major == 3 && rlen <= TLS_MAX_RECORD &&
		    br_left(&r) < rlen)
			return;
		f->tls = pool_get(t, &t->free_tls, &t->n_free_tls, sizeof(*f->tls));
		if (!f->tls) {
			d->buf_len = 0;
			return;
		}
		tls_facts_init(f->tls);
	}
	enum tls_dir td = e == f->client ? TLS_DIR_CLIENT : TLS_DIR_SERVER;
	if (d->resync) {
		if (!dir_resync(d))
			return;
		f->tls->dir[td].hs_len = 0;
	}
	size_t used = tls_feed(f->tls, td, d->buf, d->buf_len, &t->tls_lim);
	if (used > d->buf_len)
		used = d->buf_len;
	/* the TLS stage's own buffers count against the cap too */
	size_t heap = tls_facts_heap(f->tls);
	t->mem = t->mem - f->tls_heap + heap;
	f->tls_heap = heap;
	if (!mem_fits(t, 0))
		mem_make_room(t, 0);
	memmove(d->buf, d->buf + used, d->buf_len - used);
	d->buf_len -= (uint32_t)used;
	if (f->tls->dir[td].dead)
		dir_free_buffers(t, d);
}

/* The TLS stage has no more use for endpoint e's bytes. */
static bool dir_closed_for_tls(const struct flow *f, int e)
{
	if (!f->tls || f->client < 0)
		return false;
	enum tls_dir td = e == f->client ? TLS_DIR_CLIENT : TLS_DIR_SERVER;
	return f->tls->dir[td].dead || tls_done(f->tls);
}

static void dir_append(struct flow_table *t, struct flow *f, int e, const uint8_t *data, size_t len)
{
	struct flow_dir *d = &f->d[e];
	d->next_seq += (uint32_t)len;
	d->in_order += len;
	if (dir_closed_for_tls(f, e))
		return;
	if (!dir_reserve(t, d, (size_t)d->buf_len + len)) {
		/* over the cap: the bytes are lost to us, parse on after them */
		t->stats->reasm_bytes_capped++;
		d->capped = true;
		d->gap = true;
		d->resync = true;
		d->buf_len = 0;
		return;
	}
	memcpy(d->buf + d->buf_len, data, len);
	d->buf_len += (uint32_t)len;
}

static void dir_queue(struct flow_table *t, struct flow *f, int e, uint32_t seq, const uint8_t *data, size_t len)
{
	struct flow_dir *d = &f->d[e];
	if (dir_closed_for_tls(f, e))
		return;
	if ((uint32_t)(seq - d->next_seq) > t->lim.max_dir_bytes || d->n_ooo >= t->lim.max_segments ||
	    d->ooo_bytes + len > t->lim.max_dir_bytes) {
		t->stats->reasm_ooo_dropped++;
		d->capped = true;
		return;
	}
	struct seg **pp = &d->ooo;
	while (*pp && seq_lt((*pp)->seq, seq))
		pp = &(*pp)->next;
	if (*pp && (*pp)->seq == seq && (*pp)->len >= len)
		return; /* retransmission of a queued segment */
	struct seg *s = mem_alloc(t, sizeof(*s) + len);
	if (!s) {
		d->capped = true;
		return;
	}
	s->seq = seq;
	s->len = (uint32_t)len;
	memcpy(s->data, data, len);
	s->next = *pp;
	*pp = s;
	d->n_ooo++;
	d->ooo_bytes += (uint32_t)len;
}

/* Move queued segments that now continue the stream into the buffer. */
static void dir_drain(struct flow_table *t, struct flow *f, int e)
{
	struct flow_dir *d = &f->d[e];
	while (d->ooo && !seq_lt(d->next_seq, d->ooo->seq)) {
		struct seg *s = d->ooo;
		d->ooo = s->next;
		d->n_ooo--;
		d->ooo_bytes -= s->len;
		uint32_t dup = d->next_seq - s->seq;
		if (dup < s->len)
			dir_append(t, f, e, s->data + dup, s->len - dup);
		mem_free(t, s, sizeof(*s) + s->len);
	}
}

/* The capture lost the bytes before to_seq: give up on them and go on. */
static void dir_skip_gap(struct flow_table *t, struct flow *f, int e, uint32_t to_seq)
{
	struct flow_dir *d = &f->d[e];
	if (!seq_lt(d->next_seq, to_seq)) {
		dir_drain(t, f, e);
		dir_process(t, f, e);
		return;
	}
	t->stats->reasm_gaps++;
	d->gap = true;
	d->resync = true;
	d->buf_len = 0;
	d->next_seq = to_seq;
	dir_drain(t, f, e);
	dir_process(t, f, e);
}

static void dir_data(struct flow_table *t, struct flow *f, int e, uint32_t seq, const uint8_t *data, size_t len)
{
	struct flow_dir *d = &f->d[e];
	if (!d->seq_init) {
		d->next_seq = seq;
		d->seq_init = true;
		if (!d->syn)
			f->flags |= REC_F_NO_SYN;
	}
	if (seq_lt(seq, d->next_seq)) {
		uint32_t dup = d->next_seq - seq;
		if (dup >= len)
			return; /* retransmission */
		data += dup;
		len -= dup;
		seq = d->next_seq;
	}
	if (seq != d->next_seq) {
		dir_queue(t, f, e, seq, data, len);
		/* a full queue means the hole will not be filled within our bounds */
		if (d->n_ooo >= t->lim.max_segments || d->ooo_bytes >= t->lim.max_dir_bytes / 2)
			dir_skip_gap(t, f, e, d->ooo->seq);
		return;
	}
	dir_append(t, f, e, data, len);
	dir_drain(t, f, e);
	dir_process(t, f, e);
}

/* ---- per packet ----------------------------------------------------------- */

static struct flow *flow_create(struct flow_table *t, const struct pkt *p, uint32_t h)
{
	if (t->n_flows >= t->lim.max_flows && t->lru_head) {
		struct flow *old = t->lru_head;
		if (!old->finished) {
			old->flags |= REC_F_EVICTED;
			t->stats->flows_evicted++;
			flow_finish(t, old, false);
		}
		flow_remove(t, old);
	}
	struct flow *f = pool_get(t, &t->free_flows, &t->n_free_flows, sizeof(*f));
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->family = p->family;
	memcpy(f->ip[0], p->src, 16);
	memcpy(f->ip[1], p->dst, 16);
	f->port[0] = p->sport;
	f->port[1] = p->dport;
	f->hash = h;
	f->first_ns = p->ts_ns;
	f->seq = t->next_seq++;
	f->client = -1;
	f->syn_client = -1;
	f->cls_active = t->cls != NULL;
	struct flow **b = &t->buckets[h & (t->n_buckets - 1)];
	f->hnext = *b;
	*b = f;
	lru_append(t, f);
	t->n_flows++;
	t->stats->flows++;
	return f;
}

static struct flow *flow_lookup(struct flow_table *t, const struct pkt *p, uint32_t h, int *ret_e)
{
	for (struct flow *f = t->buckets[h & (t->n_buckets - 1)]; f; f = f->hnext) {
		if (f->hash != h)
			continue;
		int e = flow_match(f, p);
		if (e >= 0) {
			*ret_e = e;
			return f;
		}
	}
	return NULL;
}

void flow_fragment(struct flow_table *t, const struct pkt *p)
{
	int e;
	struct flow *f = flow_lookup(t, p, flow_hash(t, p), &e);
	if (f)
		f->flags |= REC_F_FRAGMENTS;
}

void flow_note_snaplen(struct flow_table *t, const struct pkt *p)
{
	int e;
	struct flow *f = flow_lookup(t, p, flow_hash(t, p), &e);
	if (f)
		f->flags |= REC_F_TRUNCATED;
}

/* A pure SYN on a known 5-tuple is a new connection (port reuse) when the old
 * one carried data or ended: always once its record was emitted, and with
 * another initial sequence number while it is still open. */
static bool flow_reused(const struct flow *f, int e, const struct pkt *p)
{
	if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return false;
	const struct flow_dir *d = &f->d[e];
	bool used = f->d[0].in_order || f->d[1].in_order || f->d[0].fin || f->d[1].fin;
	if (f->finished)
		return used || !d->syn || d->isn != p->seq;
	return used && d->syn && d->isn != p->seq;
}

bool flow_packet(struct flow_table *t, const struct pkt *p)
{
	flow_expire(t, p->ts_ns);
	uint32_t h = flow_hash(t, p);
	int e = 0;
	struct flow *f = flow_lookup(t, p, h, &e);
	t->current = NULL;
	if (f && flow_reused(f, e, p)) {
		/* the 5-tuple starts a new connection: close the old one first */
		flow_finish(t, f, false);
		flow_remove(t, f);
		f = NULL;
	}
	if (!f) {
		if (p->tcp_flags & TCP_RST)
			return false;
		if (!(p->tcp_flags & TCP_SYN) && p->payload_len == 0)
			return false; /* a bare ACK or FIN of a connection we never saw: nothing to learn */
		f = flow_create(t, p, h);
		if (!f)
			return false;
		e = 0;
	}
	if (p->ts_ns > f->last_ns)
		f->last_ns = p->ts_ns;
	lru_unlink(t, f);
	lru_append(t, f);
	t->current = f;

	struct flow_dir *d = &f->d[e];
	d->pkts++;
	d->bytes += p->payload_len;

	if (f->finished) {
		if ((p->tcp_flags & TCP_RST) || ((p->tcp_flags & TCP_FIN) && f->d[1 - e].fin))
			flow_remove(t, f);
		else if (p->tcp_flags & TCP_FIN)
			d->fin = true;
		return false;
	}

	/* nDPI learns nothing from bare SYNs and ACKs: only payload costs it state */
	if (f->cls_active && t->cls && p->payload_len > 0) {
		f->cls_active = classify_packet(t->cls, &f->cls, p->l3, p->l3_len, p->ts_ns, e == 0);
		size_t cost = classify_flow_cost(f->cls);
		t->mem = t->mem - f->cls_heap + cost;
		f->cls_heap = cost;
		if (!mem_fits(t, 0))
			mem_make_room(t, 0);
	}

	if (p->payload_len < p->payload_wire_len)
		f->flags |= REC_F_TRUNCATED;

	uint32_t seq = p->seq;
	if (p->tcp_flags & TCP_SYN) {
		if (!(p->tcp_flags & TCP_ACK))
			f->syn_client = (int8_t)e; /* the SYN sender is the TCP client */
		else if (f->syn_client < 0)
			f->syn_client = (int8_t)(1 - e);
		d->syn = true;
		d->isn = p->seq;
		if (!d->seq_init || d->bytes == p->payload_len) {
			/* a repeated SYN-ACK with a new number counts until data flows */
			d->next_seq = p->seq + 1;
			d->seq_init = true;
		}
		seq = p->seq + 1; /* data on a SYN (TCP Fast Open) follows the SYN's number */
	}
	/* Several SYN-ACKs with different numbers (or a SYN-ACK we missed): the
	 * number the peer acknowledges is the one the connection uses. */
	if ((p->tcp_flags & (TCP_ACK | TCP_SYN)) == TCP_ACK) {
		struct flow_dir *o = &f->d[1 - e];
		if (o->syn && o->in_order == 0 && o->next_seq != p->ack) {
			o->next_seq = p->ack;
			dir_drain(t, f, 1 - e);
			dir_process(t, f, 1 - e);
		}
	}
	if (p->payload_len > 0)
		dir_data(t, f, e, seq, p->payload, p->payload_len);

	/* The peer acknowledged bytes the capture never showed: skip the hole. */
	if ((p->tcp_flags & TCP_ACK) && !f->finished) {
		struct flow_dir *o = &f->d[1 - e];
		if (o->seq_init && o->ooo && !seq_lt(p->ack, o->ooo->seq))
			dir_skip_gap(t, f, 1 - e, o->ooo->seq);
	}

	if (p->tcp_flags & TCP_RST) {
		d->rst = true;
		flow_finish(t, f, false);
		flow_remove(t, f);
		return true;
	}
	if (p->tcp_flags & TCP_FIN) {
		d->fin = true;
		if (f->d[1 - e].fin) {
			flow_finish(t, f, false);
			return true;
		}
	}
	if (f->tls && tls_done(f->tls) && !f->cls_active)
		flow_finish(t, f, false);
	return true;
}

void flow_table_expire(struct flow_table *t, int64_t now_ns)
{
	flow_expire(t, now_ns);
}
