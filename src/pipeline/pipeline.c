/* pipeline.c - frames to connection records (include/tlsaudit/pipeline.h): the per-frame counters, link
 * types and BPF filter, decode, the flow table, and the per-connection state that drives the TLS stage,
 * STARTTLS detection and nDPI and builds the record.
 *
 * Design note. The flow table knows TCP only; this file is its consumer. A connection's state (struct pconn)
 * is created on its first payload and holds the TLS stage's private state, nDPI's flow while nDPI still wants
 * packets, and references to the shared entries (dict) of what it has seen: hello shapes, certificate, SNI.
 * Hellos are interned the moment the TLS stage hands them over, so a handshake in progress keeps a few
 * hundred bytes, and what depends only on a shape (JA3, JA4, the client stack, risk parts) is computed once per
 * shape. The record is built in one place (build_record) when the flow ends.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/cert.h"
#include "tlsaudit/classify.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/fingerprint.h"
#include "tlsaudit/flow.h"
#include "tlsaudit/limits.h"
#include "tlsaudit/names.h"
#include "tlsaudit/num.h"
#include "tlsaudit/pipeline.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/stack.h"
#include "tlsaudit/starttls.h"
#include "tlsaudit/tls.h"

#include "pipeline_internal.h"

#define DICT_KEEP_BYTES ((size_t)8 << 20) /* unreferenced shapes kept for reuse */

/* How a connection gets its application label (README "Application labels"). */
enum ndpi_mode {
	NM_OFF,		/* no nDPI */
	NM_WAIT,	/* no payload packet yet, or only the start of a first TLS record (held back) */
	NM_PROVISIONAL, /* nDPI is fed until the label key is known (the hello did not come first) */
	NM_DPI,		/* the key's label is not known: nDPI is fed, and what it says is learnt */
	NM_AWAIT,	/* the key's label is being learnt from another flow: this one takes its answer */
	NM_CACHED,	/* the key's label is known: nDPI sees nothing */
	NM_ENDED,	/* nDPI was fed and stopped on its own */
	NM_LEARNT,	/* the same, and what it said was learnt for the key (pc->label) */
};

/* What nDPI would have seen, for the risks (struct classify_risk_conn); the parts themselves live with the
 * shapes (dict). */
struct ndpi_facts {
	uint32_t pkt_ch[2], pkt_sh, pkt_cert, pkt_fatal_alert, pkt_desync;
	int64_t cert_time_s;
	uint8_t dir_seen; /* bit e: endpoint e's first payload packet went by */
	bool cert_malformed;
	bool have_cert_part;		      /* the leaf went by (pc->cert, or cert_part when it did not parse) */
	uint64_t cert_mismatch;		      /* the bits the host name adds to the certificate's part */
	struct classify_risk_cert *cert_part; /* owned: the part of a leaf without a dict entry */
	const struct dict_str *sni2;	      /* the second hello's host name (reference owned) */
};

/* A packet nDPI has not seen yet: the flow's first record is still incomplete, so its label key is not known
 * and nDPI may not be needed at all (README "Application labels"). */
struct held_pkt {
	struct held_pkt *next;
	int64_t ts_ns;
	uint32_t len;
	bool from_client;
	uint8_t l3[];
};
#define HELD_MAX_BYTES ((size_t)TLS_MAX_RECORD + 4096) /* a first record's packets, headers included */

struct pconn {
	struct pipeline *pl;
	struct flow *flow;
	union {				       /* owned; NULL until the first bytes worth parsing */
		struct tls_conn *tls;	       /* use pc_tls() */
		struct tls_packed *tls_packed; /* tls_is_packed: packed while it waits (pconn_pack) */
	};
	struct classify_flow *cls; /* owned by classify while nDPI is fed */
	uint8_t nm;		   /* enum ndpi_mode */
	bool key_tls_start;	   /* the label key's part that may change later: the stream started with TLS */
	bool learner;		   /* NM_DPI: the flow the key's label is learnt from (plabel_begin) */
	bool told;		   /* the learner has told the flows waiting on it what nDPI says so far */
	int8_t client;		   /* endpoint index of the TLS client; -1 undecided */
	bool tls_is_packed;
	uint16_t n_held;	  /* packets in held (HELD_MAX_BYTES bounds them) */
	struct dict_hello *hello; /* references owned */
	struct dict_hello *hello2;
	struct dict_server *server;
	struct dict_cert *cert;
	const struct dict_str *sni, *alpn;
	const struct dict_str *label; /* NM_CACHED, NM_LEARNT: the key's label (reference owned; NULL = none) */
	/* NM_WAIT: packets held back from nDPI, in order (owned), as a ring: held_last->next is the first, so
	 * one pointer appends and finds the start (one of these lives in every flow) */
	struct held_pkt *held_last;
	uint64_t anomalies;  /* the connection's own: SNI truncated, certificate anomalies */
	uint32_t flags;	     /* REC_F_* learnt from the hellos */
	uint32_t held_bytes; /* <= HELD_MAX_BYTES */
	struct ndpi_facts nf;
};
_Static_assert(HELD_MAX_BYTES / sizeof(struct held_pkt) < UINT16_MAX, "n_held cannot overflow");

struct pipeline {
	struct pipeline_opts o;
	struct ta_capture_facts *facts;
	struct pipeline_sink sink;
	int sink_err;
	struct flow_table *ft;
	struct dict *dict;
	struct classify *cls;
	struct plabel *labels;
	struct tls_limits tls_lim;
	uint32_t last_lt;
	bool unsupported_warned, filter_warned;
	size_t pconn_live;
};

static const struct tls_events tls_events;

/* ---- warnings ---- */

void pipeline_warn(struct ta_capture_facts *c, const char *msg)
{
	size_t used = strnlen(c->warnings, sizeof(c->warnings));
	if (used + 2 >= sizeof(c->warnings))
		return;
	snprintf(c->warnings + used, sizeof(c->warnings) - used, "%s%s", used ? "\n" : "", msg);
}

static void warn(struct pipeline *pl, const char *msg)
{
	if (!pl->o.quiet_warnings)
		fprintf(stderr, "tlsaudit: warning: %s: %s\n", pl->o.name ? pl->o.name : "input", msg);
	pipeline_warn(pl->facts, msg);
}

static void note_linktype(struct pipeline *pl, uint32_t lt)
{
	struct ta_capture_facts *c = pl->facts;
	const char *name = decode_link_name(lt);
	char buf[32];
	if (!name) {
		snprintf(buf, sizeof(buf), "%u", lt);
		name = buf;
	}
	if (strstr(c->linktypes, name))
		return;
	size_t used = strnlen(c->linktypes, sizeof(c->linktypes));
	snprintf(c->linktypes + used, sizeof(c->linktypes) - used, "%s%s", used ? "," : "", name);
	if (!decode_link_supported(lt) && !pl->unsupported_warned) {
		pl->unsupported_warned = true;
		char w[160];
		snprintf(w, sizeof(w), "unsupported link type %s: its frames are skipped", name);
		warn(pl, w);
	}
}

/* ---- memory: shared entries are charged to the flow table's cap ---- */

static bool dict_charge(void *ctx, size_t n)
{
	struct pipeline *pl = ctx;
	return flow_charge_shared(pl->ft, n);
}

static void dict_release(void *ctx, size_t n)
{
	struct pipeline *pl = ctx;
	flow_release_shared(pl->ft, n);
}

static size_t pconn_heap(const struct pconn *pc)
{
	size_t tls = !pc->tls ? 0 : pc->tls_is_packed ? tls_packed_heap(pc->tls_packed) : tls_conn_heap(pc->tls);
	return sizeof(*pc) + tls + classify_flow_cost(pc->cls) + pc->held_bytes;
}

/* The connection's TLS state, live: unpacked if it was packed while it waited (pconn_pack). NULL when it has
 * none, or when there was no memory to unpack it - then it is lost and counted (mem_capped), as when there was
 * none to start it. */
static struct tls_conn *pc_tls(struct pconn *pc)
{
	if (pc->tls_is_packed) {
		struct tls_conn *c = tls_conn_unpack(pc->tls_packed);
		if (!c) {
			tls_packed_free(pc->tls_packed);
			pc->pl->facts->stats.mem_capped++;
		}
		pc->tls = c;
		pc->tls_is_packed = false;
	}
	return pc->tls;
}

/* Many connections in flight (a burst of handshakes, a flood): one that waits for its next bytes keeps its TLS
 * state packed (tls_conn_pack: after a ClientHello some 25 of its 352 bytes are set), unpacked by pc_tls()
 * when it is next fed or ends; on_wants() and may_finish() read what they need from the packed form. Up to
 * --pack-after connections nothing is packed: it costs a pass over the state each way per payload packet. */
static void pconn_pack(struct pconn *pc)
{
	if (pc->pl->pconn_live <= pc->pl->o.lim.pack_after || !pc->tls || pc->tls_is_packed)
		return;
	struct tls_packed *p = tls_conn_pack(pc->tls);
	if (!p)
		return;
	pc->tls_packed = p;
	pc->tls_is_packed = true;
}

static void pconn_charge(struct pconn *pc)
{
	if (!flow_charge(pc->pl->ft, pc->flow, pconn_heap(pc)))
		pc->pl->facts->stats.mem_capped++;
}

/* ---- shapes: interned once, derived facts computed once ---- */

static struct dict_hello *intern_hello(struct pipeline *pl, const struct tls_client_hello *ch, enum tls_status st)
{
	uint8_t key[DICT_HELLO_KEY_MAX];
	size_t n = dict_hello_key(ch, st, key);
	bool fresh;
	struct dict_hello *h = dict_hello_get(pl->dict, key, n, &fresh);
	if (!h || !fresh)
		return h;
	struct dict_hello_derived *d = &h->d;
	if (st == TLS_OK) {
		fp_ja3(ch, d->ja3, NULL, 0);
		fp_ja4(ch, false, d->ja4, NULL, 0);
		struct stack_match m;
		stack_identify(ch, &m);
		if (m.kind != STACK_NONE) {
			snprintf(d->stack_key, sizeof(d->stack_key), "%s", m.key);
			snprintf(d->stack_family, sizeof(d->stack_family), "%s", m.family);
			snprintf(d->stack_name, sizeof(d->stack_name), "%s", m.name);
			d->stack_match = m.kind == STACK_EXACT ? 1 : 2;
			if (m.kind == STACK_CLOSE)
				snprintf(d->stack_differed, sizeof(d->stack_differed), "%s", m.differed);
		}
	}
	d->offers = dict_hello_offers(ch);
	if (pl->cls) {
		/* nDPI's part of the shape; the host name's bytes are the connection's (ndpi_conclude) */
		classify_risk_hello(ch, st == TLS_OK, &d->ndpi);
		struct classify_risk_hello shape_only = d->ndpi;
		classify_risk_hello_host(NULL, 0, false, &shape_only);
		d->risks = shape_only.risks;
		memcpy(d->ndpi_ja3, d->ndpi.ja3, sizeof(d->ndpi_ja3));
	}
	return h;
}

static struct dict_server *intern_server(struct pipeline *pl, const struct tls_server_hello *sh)
{
	uint8_t key[DICT_SERVER_KEY_MAX];
	size_t n = dict_server_key(sh, key);
	bool fresh;
	struct dict_server *s = dict_server_get(pl->dict, key, n, &fresh);
	if (!s || !fresh)
		return s;
	if (!sh->sslv2_format)
		fp_ja3s(sh, s->ja3s, NULL, 0);
	if (pl->cls) {
		classify_risk_server(sh, &s->ndpi);
		s->risks = s->ndpi.risks;
	}
	return s;
}

/* ---- TLS events ---- */

static void ndpi_key_known(struct pconn *pc);

static void on_client_hello(void *ctx, const struct tls_client_hello *ch, enum tls_status st)
{
	struct pconn *pc = ctx;
	struct pipeline *pl = pc->pl;
	const struct tls_state *s = tls_conn_state(pc->tls); /* live: it is feeding */

	if (s->n_client_hellos == 1 && !pc->hello) {
		pc->hello = intern_hello(pl, ch, st);
		if (ch->has_sni)
			pc->sni = dict_str_get(pl->dict, DICT_STR_SNI, ch->sni, ch->sni_len);
		pc->anomalies |= ch->anomalies & TLS_AN_SNI_TRUNCATED;
		if (ch->sslv2_format)
			pc->flags |= REC_F_SSLV2_HELLO;
		if (ch->has_ech)
			pc->flags |= REC_F_ECH;
		if (ch->has_early_data)
			pc->flags |= REC_F_EARLY_DATA;
		if (pl->cls)
			ndpi_key_known(pc);
	} else if (s->n_client_hellos == 2 && st == TLS_OK && pc->hello && pc->hello->status == TLS_OK && !pc->hello2) {
		pc->hello2 = intern_hello(pl, ch, st);
		if (pl->cls && ch->has_sni)
			pc->nf.sni2 = dict_str_get(pl->dict, DICT_STR_SNI, ch->sni, ch->sni_len);
	}
}

static void on_server_hello(void *ctx, const struct tls_server_hello *sh)
{
	struct pconn *pc = ctx;
	struct dict_server *s = intern_server(pc->pl, sh);
	dict_unref(pc->pl->dict, pc->server); /* the last ServerHello decides */
	pc->server = s;
	dict_unref(pc->pl->dict, pc->alpn);
	pc->alpn = sh->alpn_len ? dict_str_get(pc->pl->dict, DICT_STR_ALPN, sh->alpn, sh->alpn_len) : NULL;
}

static void on_certificate(void *ctx, const uint8_t *der, size_t len)
{
	struct pconn *pc = ctx;
	struct pipeline *pl = pc->pl;
	bool fresh;
	if (pc->cert || pc->nf.have_cert_part)
		return;
	struct dict_cert *c = dict_cert_get(pl->dict, der, len, &fresh);
	if (c && fresh && cert_parse(der, len, &c->info) != CERT_OK) {
		dict_discard(pl->dict, c);
		c = NULL;
	}
	pc->cert = c;
	if (!pl->cls)
		return;
	/* nDPI reads the leaf whatever our parser thought of it; the name it compares with is the first
	 * hello's when that hello parsed */
	const struct dict_str *host = pc->hello && pc->hello->status == TLS_OK ? pc->sni : NULL;
	if (c && fresh) {
		classify_risk_cert(der, len, NULL, &c->ndpi);
		c->risks = c->ndpi.risks;
	} else if (!c && (pc->nf.cert_part = malloc(sizeof(*pc->nf.cert_part))) != NULL) {
		classify_risk_cert(der, len, NULL, pc->nf.cert_part);
	}
	pc->nf.cert_mismatch = plabel_cert_mismatch(pl->labels, c, der, len, host);
	pc->nf.have_cert_part = c || pc->nf.cert_part;
}

static const struct tls_events tls_events = {
	.client_hello = on_client_hello,
	.server_hello = on_server_hello,
	.certificate = on_certificate,
};

/* ---- the connection's life ---- */

static struct pconn *pconn_get(struct pipeline *pl, struct flow *f)
{
	struct pconn *pc = flow_user(f);
	if (pc)
		return pc;
	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		pl->facts->stats.mem_capped++;
		return NULL;
	}
	pc->pl = pl;
	pc->flow = f;
	pc->client = -1;
	pc->nm = !pl->cls ? NM_OFF : pl->o.ndpi_every_flow ? NM_DPI : NM_WAIT;
	if (pc->nm == NM_DPI)
		pl->facts->stats.ndpi_flows++;
	flow_set_user(f, pc);
	pl->pconn_live++;
	pconn_charge(pc);
	return pc;
}

/* Stop feeding nDPI; its result (if wanted) goes to *r. */
static void ndpi_stop(struct pconn *pc, struct classify_result *r)
{
	struct classify_result unused;
	if (pc->cls)
		classify_finish(pc->pl->cls, &pc->cls, r ? r : &unused);
}

/* The held packets as a list ending in NULL, now the caller's; pc holds none after. */
static struct held_pkt *held_take(struct pconn *pc)
{
	struct held_pkt *first = pc->held_last ? pc->held_last->next : NULL;
	if (pc->held_last)
		pc->held_last->next = NULL;
	pc->held_last = NULL;
	pc->held_bytes = 0;
	pc->n_held = 0;
	return first;
}

static void held_list_free(struct held_pkt *h)
{
	while (h) {
		struct held_pkt *next = h->next;
		free(h);
		h = next;
	}
}

static void held_free(struct pconn *pc)
{
	held_list_free(held_take(pc));
}

/* The connection's label key, made again from its facts when needed (rather than kept: 48 bytes a flow). */
static void pconn_key(const struct pconn *pc, struct label_key *k)
{
	const struct flow_info *fi = flow_info(pc->flow);
	int c = pc->client, sv = 1 - pc->client;
	struct label_facts lf = {
		.tls_start = pc->key_tls_start,
		.family = fi->family,
		.server_ip = fi->ip[sv],
		.client_ip = fi->ip[c],
		.server_port = fi->port[sv],
		.client_port = fi->port[c],
		.sni = pc->sni,
	};
	plabel_key(pc->pl->labels, &lf, k);
}

/* nDPI's name of a label (a classify_result protocol buffer) as an interned string; NULL for "" (no label). */
static const struct dict_str *label_of(struct pipeline *pl, const char *name, size_t size)
{
	return name[0] ? dict_str_get(pl->dict, DICT_STR_LABEL, name, strnlen(name, size)) : NULL;
}

/* A learner that ends before nDPI did (cut short, or freed): it teaches the key nothing, but label (NULL:
 * none) is the answer for the flows that waited on it. */
static void learner_cut(struct pconn *pc, const struct dict_str *label)
{
	if (!pc->learner)
		return;
	struct label_key k;
	pconn_key(pc, &k);
	plabel_end(pc->pl->labels, &k, false, label);
	pc->learner = false;
}

/* nDPI stopped on its own. A key's learner teaches the key what nDPI said at once, so the flows waiting for
 * it (NM_AWAIT) have the answer when their records are made; a learner cut short (ndpi_conclude) teaches
 * nothing: it may lack what a complete one would have labelled it by (the certificate). */
static void ndpi_ended(struct pconn *pc)
{
	struct pipeline *pl = pc->pl;
	pc->nm = NM_ENDED;
	if (!pc->learner || !pc->cls)
		return;
	struct classify_result cr;
	ndpi_stop(pc, &cr);
	pc->label = label_of(pl, cr.protocol, sizeof(cr.protocol));
	struct label_key k;
	pconn_key(pc, &k);
	plabel_end(pl->labels, &k, true, pc->label);
	pc->learner = false;
	pc->nm = NM_LEARNT;
}

/* A learner that nDPI has just recognised tells the flows waiting on it (plabel_interim). */
static void ndpi_tell(struct pconn *pc)
{
	struct pipeline *pl = pc->pl;
	char name[sizeof(((struct classify_result *)0)->protocol)];
	if (!pc->learner || pc->told || !classify_current(pl->cls, pc->cls, name, sizeof(name)))
		return;
	const struct dict_str *label = label_of(pl, name, sizeof(name));
	struct label_key k;
	pconn_key(pc, &k);
	plabel_interim(pl->labels, &k, label);
	dict_unref(pl->dict, label);
	pc->told = true;
}

/* nDPI gets the packets held back, in order, before the packet being processed. */
static void held_to_ndpi(struct pconn *pc)
{
	struct held_pkt *list = held_take(pc);
	for (struct held_pkt *h = list; h && (pc->nm == NM_PROVISIONAL || pc->nm == NM_DPI); h = h->next)
		if (!classify_packet(pc->pl->cls, &pc->cls, h->l3, h->len, h->ts_ns, h->from_client))
			ndpi_ended(pc);
	ndpi_tell(pc);
	held_list_free(list);
}

/* Hold p back from nDPI until the first record tells the label key; false when the bound is reached (then
 * nDPI must see the flow from its start after all). */
static bool held_add(struct pconn *pc, int e, const struct pkt *p)
{
	size_t n = sizeof(struct held_pkt) + p->l3_len;
	if (pc->n_held >= pc->pl->o.lim.ndpi_packets || pc->held_bytes + n > HELD_MAX_BYTES)
		return false;
	struct held_pkt *h = malloc(n);
	if (!h)
		return false;
	h->ts_ns = p->ts_ns;
	h->len = (uint32_t)p->l3_len;
	h->from_client = e == 0;
	memcpy(h->l3, p->l3, p->l3_len);
	h->next = pc->held_last ? pc->held_last->next : h;
	if (pc->held_last)
		pc->held_last->next = h;
	pc->held_last = h;
	pc->held_bytes += (uint32_t)n; /* n <= HELD_MAX_BYTES - held_bytes */
	pc->n_held++;
	return true;
}

static void pconn_free(struct pconn *pc)
{
	struct pipeline *pl = pc->pl;
	held_free(pc);
	if (pc->tls_is_packed)
		tls_packed_free(pc->tls_packed);
	else
		tls_conn_free(pc->tls);
	ndpi_stop(pc, NULL);
	if (pl->labels)
		learner_cut(pc, NULL);
	dict_unref(pl->dict, pc->hello);
	dict_unref(pl->dict, pc->hello2);
	dict_unref(pl->dict, pc->server);
	dict_unref(pl->dict, pc->cert);
	dict_unref(pl->dict, pc->sni);
	dict_unref(pl->dict, pc->alpn);
	dict_unref(pl->dict, pc->label);
	dict_unref(pl->dict, pc->nf.sni2);
	free(pc->nf.cert_part);
	pl->pconn_live--;
	free(pc);
}

/* Does nDPI still want this connection's packets? */
static bool ndpi_wants(const struct pconn *pc)
{
	return pc->nm == NM_WAIT || pc->nm == NM_PROVISIONAL || pc->nm == NM_DPI;
}

/* The first ClientHello gave the label key: look it up (README "Application labels"). */
static void ndpi_key_known(struct pconn *pc)
{
	struct pipeline *pl = pc->pl;
	if (pc->nm != NM_WAIT && pc->nm != NM_PROVISIONAL)
		return;
	const struct tls_state *s = tls_conn_state(pc->tls); /* live: called from on_client_hello */
	pc->key_tls_start =
		s->dir[TLS_DIR_CLIENT].plaintext_skipped == 0 && s->dir[TLS_DIR_SERVER].plaintext_skipped == 0;
	struct label_key k;
	pconn_key(pc, &k);
	if (plabel_lookup(pl->labels, &k, &pc->label)) {
		ndpi_stop(pc, NULL); /* what nDPI saw of it so far is not needed */
		held_free(pc);
		pc->nm = NM_CACHED;
		return;
	}
	if (!plabel_begin(pl->labels, &k)) {
		ndpi_stop(pc, NULL); /* another flow of the key is being fed: its answer will do */
		held_free(pc);
		pc->nm = NM_AWAIT;
		return;
	}
	pc->learner = true;
	pc->nm = NM_DPI;
	pl->facts->stats.ndpi_flows++;
	held_to_ndpi(pc);
}

/* After the TLS stage took bytes: the packet numbers at which nDPI would have read the messages. */
static void ndpi_note_messages(struct pconn *pc)
{
	struct ndpi_facts *nf = &pc->nf;
	const struct tls_state *s = tls_conn_state(pc->tls); /* live: it has just fed */
	const struct flow_info *fi = flow_info(pc->flow);
	uint32_t now = fi->payload_pkts;
	uint32_t c_done = s->dir[TLS_DIR_CLIENT].records_ended, s_done = s->dir[TLS_DIR_SERVER].records_ended;

	for (int i = 0; i < 2; i++)
		if (!nf->pkt_ch[i] && s->ch_end_record[i] && c_done >= s->ch_end_record[i])
			nf->pkt_ch[i] = now;
	if (!nf->pkt_sh && s->sh_end_record && s_done >= s->sh_end_record)
		nf->pkt_sh = now;
	if (!nf->pkt_cert && s->cert_end_record && s_done >= s->cert_end_record) {
		nf->pkt_cert = now;
		nf->cert_time_s = ta_ns_to_s(fi->pkt_ts_ns);
		/* tls.c processCertificate(): its MALFORMED_PACKET conditions */
		uint32_t l = s->cert_msg_len, list = s->cert_list_len;
		nf->cert_malformed = l >= 65536 || l + 4 <= 7 || list >= 65536 || list + 3 != l;
	}
	if (!nf->pkt_fatal_alert && s->fatal_alert)
		nf->pkt_fatal_alert = now;
}

/* Which endpoint is the TLS client? Decided on the first payload bytes of either side. */
static void decide_roles(struct pconn *pc, int e, const uint8_t *data, size_t len)
{
	const struct flow_info *fi = flow_info(pc->flow);
	bool known, more;
	enum tls_dir who = tls_guess_sender(data, len, &known, &more);

	if (known) {
		pc->client = (int8_t)(who == TLS_DIR_CLIENT ? e : 1 - e);
		return;
	}
	if (fi->syn_client >= 0) {
		pc->client = fi->syn_client;
		return;
	}
	/* no SYN seen: the server is the endpoint on the lower port */
	pc->client = (int8_t)(fi->port[0] > fi->port[1] ? 0 : fi->port[0] < fi->port[1] ? 1 : e);
}

/* The handshake is decided and nDPI has what it wants: the flow can end before its packets do - unless a
 * side's first bytes were acknowledged but not yet seen (they may still come, recorded late). */
static bool may_finish(const struct pconn *pc)
{
	const struct flow_info *fi = flow_info(pc->flow);
	bool done =
		pc->tls && (pc->tls_is_packed ? tls_packed_done(pc->tls_packed) : tls_done(tls_conn_state(pc->tls)));
	return done && !ndpi_wants(pc) && !fi->side[0].unseen_start && !fi->side[1].unseen_start;
}

static enum tls_dir dir_of(const struct pconn *pc, int e)
{
	return e == pc->client ? TLS_DIR_CLIENT : TLS_DIR_SERVER;
}

static size_t on_data(void *ctx, struct flow *f, int e, const uint8_t *data, size_t len, bool lost, bool final)
{
	struct pipeline *pl = ctx;
	struct pconn *pc = pconn_get(pl, f);
	if (!pc)
		return len;
	if (pc->client < 0) {
		if (len < 6 && !final && !flow_info(f)->side[e].fin)
			return 0; /* too few bytes to tell a hello from the rest */
		decide_roles(pc, e, data, len);
		flow_kick(pl->ft, f, 1 - e); /* bytes the peer sent while the roles were open */
	}
	if (!pc_tls(pc)) {
		/* Until a first record is complete there is nothing to parse: a flood of half-sent hellos costs
		 * its buffered bytes, not a TLS state. */
		if (!final && tls_record_incomplete(data, len))
			return 0;
		if (tls_conn_new(&pl->tls_lim, &tls_events, pc, &pc->tls) < 0) {
			pl->facts->stats.mem_capped++;
			return len;
		}
	}
	size_t used = tls_conn_feed(pc->tls, dir_of(pc, e), data, len, lost);
	if (pl->cls)
		ndpi_note_messages(pc);
	bool finish = !final && may_finish(pc);
	if (!final && !finish)
		pconn_pack(pc);
	pconn_charge(pc);
	if (finish)
		flow_finish(pl->ft, f);
	return used;
}

static bool on_wants(void *ctx, struct flow *f, int e)
{
	(void)ctx;
	struct pconn *pc = flow_user(f);
	if (!pc || !pc->tls || pc->client < 0 || flow_info(f)->side[e].unseen_start)
		return true;
	if (pc->tls_is_packed)
		return !tls_packed_dir_closed(pc->tls_packed, dir_of(pc, e));
	return !tls_dir_closed(tls_conn_state(pc->tls), dir_of(pc, e));
}

/* nDPI's one buffer for both directions (classify_risk_conn.pkt_desync): does this packet break it? */
static void ndpi_note_packet(struct pconn *pc, int e, const struct pkt *p)
{
	struct ndpi_facts *nf = &pc->nf;
	const struct flow_info *fi = flow_info(pc->flow);
	bool broken;
	if (!(nf->dir_seen & (1u << e))) {
		nf->dir_seen |= (uint8_t)(1u << e);
		/* a direction's first packet must start its stream with a TLS record header */
		struct br r = br_make(p->payload, p->payload_len);
		uint8_t b0 = br_peek(&r, 0), b1 = br_peek(&r, 1);
		broken = !fi->pkt_at_next || fi->side[e].bytes != p->payload_len || p->payload_len < 2 || b0 < 20 ||
			 b0 > 23 || b1 != 3;
	} else {
		broken = !fi->pkt_at_next && fi->pkt_new; /* new bytes out of order: a hole in nDPI's buffer */
	}
	if (broken && !nf->pkt_desync)
		nf->pkt_desync = fi->payload_pkts;
}

static void on_packet(void *ctx, struct flow *f, int e, const struct pkt *p)
{
	struct pipeline *pl = ctx;
	struct pconn *pc = flow_user(f);
	/* nDPI learns nothing from bare SYNs and ACKs: only payload costs it state */
	if (!pl->cls || p->payload_len == 0)
		return;
	if (!pc && !(pc = pconn_get(pl, f)))
		return;
	ndpi_note_packet(pc, e, p);
	if (pc->nm == NM_WAIT) {
		/* no TLS state yet: the stream starts with a handshake record still incomplete, whose end gives the
		 * key; until then the packets wait here, not in nDPI (a flood of half-sent hellos costs no DPI) */
		if (!pc->tls && held_add(pc, e, p)) {
			pconn_charge(pc);
			return;
		}
		pc->nm = NM_PROVISIONAL; /* the first payload did not give the key: nDPI sees it from the start */
		held_to_ndpi(pc);
		if (pc->nm != NM_PROVISIONAL)
			return;
	}
	if (pc->nm != NM_PROVISIONAL && pc->nm != NM_DPI)
		return;
	if (!classify_packet(pl->cls, &pc->cls, p->l3, p->l3_len, p->ts_ns, e == 0))
		ndpi_ended(pc);
	ndpi_tell(pc);
	pconn_charge(pc);
	if (may_finish(pc))
		flow_finish(pl->ft, f);
}

/* ---- the record ---- */

static bool tls_seen(const struct tls_state *s)
{
	return s && (s->have_ch || s->n_client_hellos > 0 || s->have_sh || s->hrr || s->have_alert);
}

static enum rec_outcome outcome_of(const struct pconn *pc, const struct tls_state *x, bool cut, bool established)
{
	const struct flow_info *fi = flow_info(pc->flow);
	const struct flow_side *c = &fi->side[pc->client], *s = &fi->side[1 - pc->client];
	if (established)
		return OUT_ESTABLISHED;
	if (x->have_alert || x->fatal_alert)
		return OUT_ALERT;
	if (c->rst || s->rst)
		return OUT_RESET;
	if (x->dir[TLS_DIR_SERVER].dead && !x->dir[TLS_DIR_SERVER].started && s->bytes > 0)
		return OUT_SERVER_NOT_TLS;
	if (cut || (fi->flags & FLOW_F_SNAPLEN))
		return OUT_TRUNCATED;
	if (x->have_ch && s->bytes == 0)
		return c->fin || s->fin || (fi->flags & FLOW_F_IDLE) ? OUT_NO_SERVER_REPLY : OUT_INCOMPLETE;
	if (c->gap || s->gap)
		return OUT_TRUNCATED;
	if (c->fin || s->fin)
		return OUT_CLOSED;
	return OUT_INCOMPLETE;
}

static void copy_flow_flags(const struct pconn *pc, bool cut, struct ta_conn *r)
{
	const struct flow_info *fi = flow_info(pc->flow);
	int c = pc->client, s = 1 - pc->client;
	static const struct {
		uint32_t flow, rec;
	} map[] = {
		{FLOW_F_SNAPLEN, REC_F_TRUNCATED}, {FLOW_F_FRAGMENTS, REC_F_FRAGMENTS},
		{FLOW_F_NO_SYN, REC_F_NO_SYN},	   {FLOW_F_EVICTED, REC_F_EVICTED},
		{FLOW_F_IDLE, REC_F_IDLE},	   {FLOW_F_DUPLICATES, REC_F_DUPLICATES},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (fi->flags & map[i].flow)
			r->flags |= map[i].rec;
	if (fi->side[c].gap)
		r->flags |= REC_F_GAP_CLIENT;
	if (fi->side[s].gap)
		r->flags |= REC_F_GAP_SERVER;
	if (fi->side[c].rst)
		r->flags |= REC_F_RST_CLIENT;
	if (fi->side[s].rst)
		r->flags |= REC_F_RST_SERVER;
	if (fi->side[c].fin)
		r->flags |= REC_F_FIN_CLIENT;
	if (fi->side[s].fin)
		r->flags |= REC_F_FIN_SERVER;
	if (fi->side[c].capped || fi->side[s].capped)
		r->flags |= REC_F_CAP_BYTES;
	if (fi->side[0].pkts == 0 || fi->side[1].pkts == 0)
		r->flags |= REC_F_UNIDIRECTIONAL;
	if (cut)
		r->flags |= REC_F_TRUNCATED;
}

/* What nDPI contributes to a record. */
struct ndpi_view {
	const struct dict_str *label; /* borrowed */
	uint64_t risks;
	uint8_t ja3_from;
};

static void build_record(struct pconn *pc, bool cut, const struct ndpi_view *nv, const struct starttls_result *stls,
			 struct ta_conn *r)
{
	const struct flow_info *fi = flow_info(pc->flow);
	const struct tls_state *x = tls_conn_state(pc->tls); /* live: on_end unpacked it */
	int c = pc->client, s = 1 - pc->client;
	bool inferred;

	memset(r, 0, sizeof(*r));
	r->seq = fi->seq;
	r->ts_ns = fi->first_ns;
	r->last_ns = fi->last_ns;
	r->family = fi->family;
	memcpy(r->client_ip, fi->ip[c], 16);
	memcpy(r->server_ip, fi->ip[s], 16);
	r->client_port = fi->port[c];
	r->server_port = fi->port[s];
	r->hello = pc->hello;
	r->hello2 = pc->hello2;
	r->sni = pc->sni;
	r->flags = pc->flags;
	r->anomalies = pc->anomalies | x->anomalies;
	/* A malformed first ClientHello still tells what was read before the damage (legacy_version, often the
	 * SNI): reported, flagged malformed. */
	if (pc->hello && pc->hello->status != TLS_OK)
		r->flags |= REC_F_MALFORMED;
	if (x->have_sh) {
		r->server = pc->server;
		r->negotiated_version = x->negotiated_version;
		r->alpn = pc->alpn;
		if (x->sh_sslv2) {
			if (x->sslv2_cipher24) {
				r->has_cipher = true;
				r->cipher_sslv2 = true;
				r->cipher = x->sslv2_cipher24;
			}
		} else {
			r->has_cipher = true;
			r->cipher = x->sh_cipher;
		}
		if (x->sh_malformed)
			r->flags |= REC_F_MALFORMED;
	}
	r->kx_group = x->kx_group;
	if (x->have_alert) {
		r->has_alert = true;
		r->alert_level = x->alert_level;
		r->alert_desc = x->alert_desc;
		r->alert_sender = x->alert_sender;
	}
	r->cert_chain_len = x->cert_chain_len;
	if ((x->anomalies & TLS_AN_CERT_CAPPED) && !pc->cert)
		r->flags |= REC_F_CERT_CAPPED;
	if (pc->cert) {
		r->cert = pc->cert;
		r->anomalies |= (uint64_t)pc->cert->info.anomalies << REC_CERT_AN_SHIFT;
		r->cert_expired = cert_expired(&pc->cert->info, ta_ns_to_s(fi->first_ns));
	}
	r->established = tls_established(x, &inferred);
	if (r->established && inferred)
		r->flags |= REC_F_ESTABLISHED_INFERRED;
	r->resumed = x->resumed;
	r->hello_retry_request = x->hrr;
	if (x->n_client_hellos > 1)
		r->flags |= REC_F_MULTI_CH;
	if (x->anomalies & TLS_AN_PLAINTEXT_PREFIX)
		r->flags |= REC_F_PLAINTEXT_PREFIX;
	if (x->anomalies & (TLS_AN_BAD_EXTENSION | TLS_AN_RECORD_TOO_BIG))
		r->flags |= REC_F_MALFORMED;
	if (nv) {
		r->l7 = nv->label;
		r->risks = nv->risks;
		r->ndpi_ja3_from = nv->ja3_from;
	}
	copy_flow_flags(pc, cut, r);
	if (stls->proto != STARTTLS_NONE && stls->requested)
		r->starttls = (uint8_t)stls->proto;
	r->outcome = (uint8_t)outcome_of(pc, x, cut, r->established);
	if (stls->proto != STARTTLS_NONE && stls->refused && !x->have_ch)
		r->outcome = OUT_STARTTLS_REFUSED;
	r->pkts[0] = fi->side[c].pkts;
	r->pkts[1] = fi->side[s].pkts;
	r->bytes[0] = fi->side[c].bytes;
	r->bytes[1] = fi->side[s].bytes;
	r->dup_frames = fi->dup_frames;
}

static void count_record(struct pipeline *pl, const struct ta_conn *r)
{
	struct ta_stats *st = &pl->facts->stats;
	st->flows_tls++;
	if (r->flags & REC_F_CERT_CAPPED)
		st->certs_capped++;
	if (r->anomalies & TLS_AN_HS_TOO_BIG)
		st->hs_too_big++;
}

/* nDPI's JA3 of the connection: which hello's (1, 2), 0 for none. */
static uint8_t ja3_from(const struct pconn *pc, const char *ja3)
{
	if (!ja3 || !ja3[0])
		return 0;
	if (pc->hello && strcmp(pc->hello->d.ndpi_ja3, ja3) == 0)
		return 1;
	if (pc->hello2 && strcmp(pc->hello2->d.ndpi_ja3, ja3) == 0)
		return 2;
	return 0;
}

/* The connection's label and risks (README "Application labels"); nv->label is a reference for the caller. */
static void ndpi_conclude(struct pconn *pc, struct ndpi_view *nv)
{
	struct pipeline *pl = pc->pl;
	const struct flow_info *fi = flow_info(pc->flow);
	const struct tls_state *x = pc->tls ? tls_conn_state(pc->tls) : NULL; /* live: on_end unpacked it */
	const struct ndpi_facts *nf = &pc->nf;
	struct classify_result cr;

	memset(nv, 0, sizeof(*nv));
	memset(&cr, 0, sizeof(cr));
	ndpi_stop(pc, &cr);
	if (pc->nm == NM_CACHED || pc->nm == NM_LEARNT) {
		nv->label = pc->label;
		dict_ref(nv->label);
	} else if (pc->nm == NM_AWAIT) {
		/* the learner's answer; none when it has not come (the learner still runs, was cut short, or nDPI
		 * gave it no label) */
		struct label_key k;
		pconn_key(pc, &k);
		nv->label = plabel_awaited(pl->labels, &k);
	} else {
		nv->label = label_of(pl, cr.protocol, sizeof(cr.protocol));
	}
	learner_cut(pc, nv->label); /* cut short: nDPI had not stopped on its own (ndpi_ended) */
	if (pl->o.ndpi_every_flow) {
		nv->risks = cr.risks;
		nv->ja3_from = ja3_from(pc, cr.ja3);
		return;
	}

	struct classify_risk_parts parts;
	memset(&parts, 0, sizeof(parts));
	if (pc->hello) {
		parts.have_ch = true;
		parts.ch = pc->hello->d.ndpi;
		if (pc->sni)
			classify_risk_hello_host(pc->sni->bytes, pc->sni->len,
						 (pc->anomalies & TLS_AN_SNI_TRUNCATED) != 0, &parts.ch);
		if (pc->hello->status == TLS_OK)
			parts.host_risks = plabel_host_risks(pl->labels, pc->sni, (pc->flags & REC_F_SSLV2_HELLO) != 0);
	}
	if (pc->hello2) {
		parts.have_ch2 = true;
		parts.ch2 = pc->hello2->d.ndpi;
		if (nf->sni2)
			classify_risk_hello_host(nf->sni2->bytes, nf->sni2->len, false, &parts.ch2);
	}
	if (pc->server) {
		parts.have_sh = true;
		parts.sh = pc->server->ndpi;
	}
	if (nf->have_cert_part) {
		parts.have_cert = true;
		parts.cert = pc->cert ? pc->cert->ndpi : *nf->cert_part;
		parts.cert.risks |= nf->cert_mismatch;
	}
	struct classify_label tmp;
	parts.label = *plabel_info(pl->labels, nv->label, &tmp);

	int c = pc->client, sv = 1 - pc->client;
	struct classify_risk_conn conn = {
		.client_port = fi->port[c],
		.server_port = fi->port[sv],
		.max_packets = (uint32_t)ta_min_u64(pl->o.lim.ndpi_packets, UINT32_MAX),
		.pkt_ch = nf->pkt_ch[0],
		.pkt_ch2 = nf->pkt_ch[1],
		.pkt_sh = nf->pkt_sh,
		.pkt_cert = nf->pkt_cert,
		.pkt_fatal_alert = nf->pkt_fatal_alert,
		.pkt_desync = nf->pkt_desync,
		.cert_time_s = nf->cert_time_s,
		.tls_at_start = fi->payload_pkts > 0 && nf->pkt_desync != 1,
		.ch_one_record = x && x->ch_records == 1,
		.sh_one_record = x && x->sh_records == 1,
		.cert_one_record = x && x->cert_one_record,
		.sh_is_hrr = x && x->sh_first_hrr,
		.cert_malformed = nf->cert_malformed,
	};
	const char *ja3 = NULL;
	nv->risks = classify_risk_combine(&parts, &conn, &ja3);
	nv->ja3_from = ja3 == parts.ch.ja3 && ja3[0] ? 1 : ja3 == parts.ch2.ja3 && ja3[0] ? 2 : 0;
}

static void on_end(void *ctx, struct flow *f, enum flow_end why)
{
	struct pipeline *pl = ctx;
	struct pconn *pc = flow_user(f);
	if (!pc)
		return;
	if (why == FLOW_END_DISCARD) {
		flow_set_user(f, NULL);
		pconn_free(pc);
		return;
	}
	bool cut = why == FLOW_END_CUT;
	const struct tls_state *x = pc_tls(pc) ? tls_conn_state(pc->tls) : NULL;
	/* the plaintext before TLS tells whether (and which) in-band upgrade happened */
	struct starttls_result stls;
	memset(&stls, 0, sizeof(stls));
	if (x && (x->dir[TLS_DIR_CLIENT].plain_len || x->dir[TLS_DIR_SERVER].plain_len)) {
		const struct tls_dir_view *cd = &x->dir[TLS_DIR_CLIENT], *sd = &x->dir[TLS_DIR_SERVER];
		starttls_detect(cd->plain, cd->plain_len, sd->plain, sd->plain_len, &stls);
		/* the client's request lost: the server's reply TLS followed tells the upgrade */
		if (stls.proto == STARTTLS_NONE && cd->plain_lost && sd->started && sd->plain_len &&
		    sd->plaintext_skipped == sd->plain_len)
			starttls_detect_answer(sd->plain, sd->plain_len, &stls);
	}
	/* A connection is reported when TLS was seen, or an upgrade to it was refused; an upgrade that was asked
	 * for and agreed but never followed by a TLS byte (e.g. RDP negotiating TLS) says nothing about TLS. */
	if (tls_seen(x) || (stls.proto != STARTTLS_NONE && stls.requested && stls.refused)) {
		if (pc->client < 0)
			pc->client = 0;
		struct ndpi_view nv;
		if (pl->cls)
			ndpi_conclude(pc, &nv);
		struct ta_conn r;
		build_record(pc, cut, pl->cls ? &nv : NULL, &stls, &r);
		count_record(pl, &r);
		if (pl->sink.conn && !pl->sink_err) {
			int rc = pl->sink.conn(pl->sink.ctx, &r);
			if (rc)
				pl->sink_err = rc;
		}
		dict_unref(pl->dict, r.l7);
	}
	flow_set_user(f, NULL);
	pconn_free(pc);
}

static const struct flow_ops flow_ops = {
	.packet = on_packet,
	.data = on_data,
	.wants = on_wants,
	.end = on_end,
};

/* ---- frames ---- */

int pipeline_new(const struct pipeline_opts *o, const struct pipeline_sink *sink, struct ta_capture_facts *facts,
		 struct pipeline **ret, char *err, size_t errlen)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));
	if (!pl) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pl->o = *o;
	pl->facts = facts;
	if (sink)
		pl->sink = *sink;
	pl->last_lt = UINT32_MAX;
	pl->tls_lim.max_handshake = (size_t)o->lim.max_handshake;
	pl->tls_lim.max_plaintext = (size_t)o->lim.max_plaintext;
	pl->tls_lim.max_cert_bytes = (size_t)o->lim.max_cert_bytes;
	int rc = flow_table_new(&pl->o.lim, &flow_ops, pl, &facts->stats, &pl->ft);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		free(pl);
		return rc;
	}
	struct dict_mem mem = {.charge = dict_charge, .release = dict_release, .ctx = pl};
	if ((rc = dict_new(&mem, DICT_KEEP_BYTES, &pl->dict)) < 0) {
		snprintf(err, errlen, "out of memory");
		pipeline_free(pl);
		return rc;
	}
	if (o->ndpi) {
		if ((rc = classify_new(&pl->cls, err, errlen)) < 0) {
			pipeline_free(pl);
			return rc;
		}
		classify_set_max_packets(pl->cls, (uint32_t)ta_min_u64(o->lim.ndpi_packets, UINT32_MAX));
		if ((rc = plabel_new(pl->cls, pl->dict, &mem, &pl->labels)) < 0) {
			snprintf(err, errlen, "out of memory");
			pipeline_free(pl);
			return rc;
		}
	}
	*ret = pl;
	return 0;
}

bool pipeline_frame(struct pipeline *pl, const struct cap_frame *fr)
{
	struct ta_capture_facts *c = pl->facts;
	char err[256];

	c->stats.frames++;
	c->stats.frame_bytes += fr->caplen;
	if (!c->have_time || fr->ts_ns < c->first_ns)
		c->first_ns = fr->ts_ns;
	if (!c->have_time || fr->ts_ns > c->last_ns)
		c->last_ns = fr->ts_ns;
	c->have_time = true;
	if (fr->linktype != pl->last_lt) {
		note_linktype(pl, fr->linktype);
		pl->last_lt = fr->linktype;
	}
	if (pl->o.filter) {
		int m = capfilter_match(pl->o.filter, fr, err, sizeof(err));
		if (m < 0 && !pl->filter_warned) {
			pl->filter_warned = true;
			char w[300];
			snprintf(w, sizeof(w), "filter: %s", err);
			warn(pl, w);
		}
		if (m <= 0) {
			c->stats.filtered_out++;
			return false;
		}
	}
	struct pkt p;
	enum decode_status ds = decode_packet(fr->linktype, fr->data, fr->caplen, fr->wire_len, fr->ts_ns, &p);
	if (fr->caplen < fr->wire_len)
		c->stats.snaplen_cut++;
	switch (ds) {
	case DECODE_OK: c->stats.tcp_packets++; return flow_packet(pl->ft, &p);
	case DECODE_FRAGMENT:
		c->stats.ip_fragments++;
		flow_fragment(pl->ft, &p);
		break;
	case DECODE_NOT_TCP: c->stats.not_tcp++; break;
	case DECODE_UNSUPPORTED_LINK: c->stats.unsupported_link++; break;
	case DECODE_TRUNCATED:
		if (fr->caplen < fr->wire_len) {
			flow_note_snaplen(pl->ft, &p);
			break;
		}
		c->stats.decode_errors++;
		break;
	case DECODE_MALFORMED: c->stats.decode_errors++; break;
	}
	return false;
}

bool pipeline_packet(struct pipeline *pl, const struct pkt *p)
{
	pl->facts->stats.tcp_packets++;
	return flow_packet(pl->ft, p);
}

void pipeline_expire(struct pipeline *pl, int64_t now_ns)
{
	flow_table_expire(pl->ft, now_ns);
}

void pipeline_finish(struct pipeline *pl, bool cut)
{
	struct ta_capture_facts *c = pl->facts;
	char w[160];

	flow_table_flush(pl->ft, cut);
	if (c->stats.snaplen_cut) {
		snprintf(w, sizeof(w), "%" PRIu64 " of %" PRIu64 " frames were cut short by the snapshot length",
			 c->stats.snaplen_cut, c->stats.frames);
		warn(pl, w);
	}
	if (c->stats.ip_fragments) {
		snprintf(w, sizeof(w), "%" PRIu64 " IP fragments were not reassembled", c->stats.ip_fragments);
		warn(pl, w);
	}
	if (c->stats.frames == 0 && !cut)
		warn(pl, "capture holds no packets");
}

int pipeline_sink_error(const struct pipeline *pl)
{
	return pl->sink_err;
}

struct dict *pipeline_dict(struct pipeline *pl)
{
	return pl->dict;
}

size_t pipeline_memory(const struct pipeline *pl)
{
	return flow_table_memory(pl->ft);
}

void pipeline_free(struct pipeline *pl)
{
	if (!pl)
		return;
	plabel_free(pl->labels); /* its references go back to the dict, its charge to the flow table */
	pl->labels = NULL;
	flow_table_free(pl->ft); /* open flows are discarded: their references go back to the dict */
	classify_free(pl->cls);
	dict_free(pl->dict);
	free(pl);
}
