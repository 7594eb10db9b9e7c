/* label.c - what nDPI contributes to a record, at a fraction of its cost (pipeline_internal.h).
 *
 * Design note. nDPI 4.2's application label for a TLS flow is a function of a few facts (design note of
 * src/classify/classify_risk.c, section 6): the SNI, the server's address and port, whether the flow starts
 * with TLS or in plaintext, the IP lists' verdict on the client address, and whether the client port is one
 * of nDPI's implicit-TLS ports. Those facts are the label key, except that a TLS start whose SNI nDPI's host
 * automaton knows drops the server address for the IP-list verdict on it: nDPI labels such a flow by the name
 * and reads neither the certificate's names nor its per-server certificate cache, which are all the address
 * otherwise stands for (classify_host_named). The first flow with a key gets nDPI's real DPI;
 * its label is remembered for the key, and later flows with the same key get it without nDPI seeing a single
 * packet. A key whose flows nDPI could not label is tried again on a few more flows before "no label" is
 * remembered. While a key's learner runs and nDPI has already recognised it, the key's new flows are not fed to
 * nDPI: they wait for its answer (plabel_begin) and take it when their records are made - the label learnt, or
 * what the learner had said so far, as if they had been cut short at the same point - so a thousand handshakes
 * to one server in the same instant cost one nDPI flow, not a thousand. While no learner has been recognised,
 * every new flow of the key is a learner (one may never be, for reasons of its own: an SSLv2 hello, a lost
 * segment). The risks nDPI would set are computed from our own facts by classify_risk_*(): the parts that
 * depend on one hello shape, ServerHello shape or certificate live with that shape (dict); what depends on a
 * pair (certificate and SNI) or on the SNI alone is remembered here, so the per-connection cost is a few
 * lookups and one combine.
 *
 * Memory: the tables are charged through the pipeline's struct dict_mem (so --max-memory covers them); a
 * table whose growth is refused is cleared, which only costs recomputation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"
#include "tlsaudit/u64map.h"

#define LABEL_SLOTS_MIN	 1024u	/* first size of the key table (a power of two) */
#define LABEL_SLOTS_MAX	 32768u /* largest: cleared when half full */
#define LABEL_TRIES	 3	/* flows given to nDPI for a key before "no label" is remembered */
#define PAIR_CACHE_MAX	 65536	/* remembered (certificate, SNI) and SNI facts, then forgotten */
#define LABEL_INFO_SLOTS 256

struct label_slot {
	uint64_t hash;			    /* 0 = empty */
	const struct dict_str *sni, *label; /* references owned; label NULL with tries < LABEL_TRIES = unknown */
	uint8_t server[16];
	uint16_t server_port, ip_proto, client_port, server_ip_proto;
	uint8_t start, family, tries;
	bool by_name;
	uint16_t learning;		/* flows of this key being fed to nDPI right now (plabel_begin) */
	const struct dict_str *interim; /* what its learner has said so far, or said when cut short (reference) */
};

struct label_info_slot {
	uint64_t serial;
	struct classify_label info;
};

struct plabel {
	struct classify *cls;
	struct dict *dict;
	struct dict_mem mem;
	size_t charged; /* bytes charged through mem */
	struct label_slot *slots;
	size_t cap, used;
	struct u64map host_risks; /* (SNI, SSLv2) -> risks + 1 */
	struct u64map mismatch;	  /* (certificate, SNI) -> CERTIFICATE_MISMATCH bit + 1 */
	struct u64map named;	  /* SNI -> classify_host_named() + 1 */
	struct label_info_slot info[LABEL_INFO_SLOTS];
	size_t n_info;
	uint64_t seed;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t pair_key(uint64_t a, uint64_t b)
{
	return mix(a * 0x9e3779b97f4a7c15ULL ^ b) | 1;
}

static size_t tables_bytes(const struct plabel *l)
{
	return l->cap * sizeof(*l->slots) + (l->host_risks.cap + l->mismatch.cap + l->named.cap) * 2 * sizeof(uint64_t);
}

/* Bring the charge up (or down) to what the tables hold now; false when the growth was refused. */
static bool account(struct plabel *l)
{
	size_t now = tables_bytes(l);
	if (now > l->charged) {
		if (l->mem.charge && !l->mem.charge(l->mem.ctx, now - l->charged))
			return false;
	} else if (now < l->charged && l->mem.release) {
		l->mem.release(l->mem.ctx, l->charged - now);
	}
	l->charged = now;
	return true;
}

int plabel_new(struct classify *cls, struct dict *d, const struct dict_mem *mem, struct plabel **ret)
{
	struct plabel *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cls = cls;
	l->dict = d;
	if (mem)
		l->mem = *mem;
	l->seed = mix((uint64_t)(uintptr_t)l ^ 0x5bd1e995);
	*ret = l;
	return 0;
}

static void clear_labels(struct plabel *l)
{
	for (size_t i = 0; i < l->cap; i++)
		if (l->slots[i].hash) {
			dict_unref(l->dict, l->slots[i].sni);
			dict_unref(l->dict, l->slots[i].label);
			dict_unref(l->dict, l->slots[i].interim);
		}
	free(l->slots);
	l->slots = NULL;
	l->cap = l->used = 0;
	(void)account(l);
}

void plabel_free(struct plabel *l)
{
	if (!l)
		return;
	clear_labels(l);
	u64map_clear(&l->host_risks);
	u64map_clear(&l->mismatch);
	u64map_clear(&l->named);
	(void)account(l);
	free(l);
}

void plabel_key(struct plabel *l, const struct label_facts *f, struct label_key *k)
{
	memset(k, 0, sizeof(*k));
	k->start = f->tls_start ? 1 : 2;
	k->family = f->family;
	k->server_port = f->server_port;
	k->ip_proto = classify_ip_protocol(l->cls, f->family, f->client_ip, f->client_port);
	/* A name nDPI's automaton knows labels the flow whatever the server (its certificate is not read): the
	 * key keeps only what the server's address can still add, its IP-list verdict. Otherwise the server
	 * stands for its certificate, whose names and subject can decide the label. */
	k->by_name = f->tls_start && plabel_host_named(l, f->sni);
	if (k->by_name)
		k->server_ip_proto = classify_ip_protocol(l->cls, f->family, f->server_ip, f->server_port);
	else
		memcpy(k->server, f->server_ip, 16);
	/* nDPI's implicit-TLS ports label the flow from either end */
	if (f->client_port == 465 || f->client_port == 587 || f->client_port == 993 || f->client_port == 995)
		k->client_port = f->client_port;
	k->sni = f->sni;
	uint64_t h = mix(l->seed ^ ((uint64_t)k->start << 56 | (uint64_t)k->family << 48 |
				    (uint64_t)k->server_port << 32 | (uint64_t)k->ip_proto << 16 | k->client_port));
	h = mix(h ^ ((uint64_t)k->server_ip_proto << 1 | k->by_name));
	uint64_t a, b;
	memcpy(&a, k->server, 8);
	memcpy(&b, k->server + 8, 8);
	/* an interned SNI is one entry for as long as it is referenced: its serial names its bytes */
	k->hash = (mix(h ^ a) ^ mix(h + b) ^ mix(k->sni ? k->sni->e.serial : 0)) | 1;
}

static bool slot_is(const struct label_slot *s, const struct label_key *k)
{
	return s->hash == k->hash && s->sni == k->sni && s->start == k->start && s->family == k->family &&
	       s->server_port == k->server_port && s->ip_proto == k->ip_proto && s->client_port == k->client_port &&
	       s->server_ip_proto == k->server_ip_proto && s->by_name == k->by_name &&
	       memcmp(s->server, k->server, 16) == 0;
}

static struct label_slot *slot_find(const struct plabel *l, const struct label_key *k)
{
	if (!l->cap)
		return NULL;
	for (size_t i = k->hash & (l->cap - 1);; i = (i + 1) & (l->cap - 1)) {
		struct label_slot *s = &l->slots[i];
		if (s->hash == 0)
			return NULL;
		if (slot_is(s, k))
			return s;
	}
}

/* Room for one more key: grow (doubling) while allowed, else start over. */
static bool make_room(struct plabel *l)
{
	if (l->cap && (l->used + 1) * 2 <= l->cap)
		return true;
	size_t ncap = l->cap ? l->cap * 2 : LABEL_SLOTS_MIN;
	if (ncap > LABEL_SLOTS_MAX) {
		clear_labels(l);
		ncap = LABEL_SLOTS_MIN;
	}
	struct label_slot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return false;
	for (size_t i = 0; i < l->cap; i++) {
		const struct label_slot *s = &l->slots[i];
		if (!s->hash)
			continue;
		size_t j = s->hash & (ncap - 1);
		while (ns[j].hash)
			j = (j + 1) & (ncap - 1);
		ns[j] = *s;
	}
	free(l->slots);
	l->slots = ns;
	l->cap = ncap;
	if (!account(l)) {
		clear_labels(l); /* no room under --max-memory: remember nothing */
		return false;
	}
	return true;
}

bool plabel_lookup(struct plabel *l, const struct label_key *k, const struct dict_str **ret_label)
{
	const struct label_slot *s = slot_find(l, k);
	*ret_label = NULL;
	if (!s || (!s->label && s->tries < LABEL_TRIES))
		return false;
	dict_ref(s->label);
	*ret_label = s->label;
	return true;
}

/* The slot of k, made when missing (NULL when there is no room). */
static struct label_slot *slot_get(struct plabel *l, const struct label_key *k)
{
	struct label_slot *s = slot_find(l, k);
	if (s)
		return s;
	if (!make_room(l))
		return NULL;
	size_t i = k->hash & (l->cap - 1);
	while (l->slots[i].hash)
		i = (i + 1) & (l->cap - 1);
	s = &l->slots[i];
	s->hash = k->hash;
	s->sni = k->sni;
	dict_ref(s->sni);
	memcpy(s->server, k->server, 16);
	s->server_port = k->server_port;
	s->ip_proto = k->ip_proto;
	s->client_port = k->client_port;
	s->server_ip_proto = k->server_ip_proto;
	s->by_name = k->by_name;
	s->start = k->start;
	s->family = k->family;
	l->used++;
	return s;
}

bool plabel_begin(struct plabel *l, const struct label_key *k)
{
	struct label_slot *s = slot_find(l, k);
	/* wait only on a learner nDPI has recognised: one it has not (yet) may never be, for reasons of its own
	 * (an SSLv2 hello, a lost segment), and this flow gets its own chance */
	if (s && s->learning && s->interim)
		return false;
	if (!s && !(s = slot_get(l, k)))
		return true; /* nothing can be remembered: this flow learns for itself */
	if (s->learning < UINT16_MAX)
		s->learning++;
	return true;
}

void plabel_interim(struct plabel *l, const struct label_key *k, const struct dict_str *label)
{
	struct label_slot *s = slot_find(l, k);
	if (!s || s->interim == label)
		return;
	dict_unref(l->dict, s->interim);
	dict_ref(label);
	s->interim = label;
}

const struct dict_str *plabel_awaited(struct plabel *l, const struct label_key *k)
{
	const struct dict_str *label;
	if (plabel_lookup(l, k, &label))
		return label;
	const struct label_slot *s = slot_find(l, k);
	if (!s || !s->interim)
		return NULL;
	dict_ref(s->interim);
	return s->interim;
}

void plabel_end(struct plabel *l, const struct label_key *k, bool learnt, const struct dict_str *label)
{
	struct label_slot *s = learnt ? slot_get(l, k) : slot_find(l, k);
	if (!s)
		return;
	if (s->learning)
		s->learning--;
	if (!learnt) {
		plabel_interim(l, k, label);
		return;
	}
	if (s->label)
		return;
	if (label) {
		dict_ref(label);
		s->label = label;
	} else if (s->tries < LABEL_TRIES) {
		s->tries++;
	}
}

const struct classify_label *plabel_info(struct plabel *l, const struct dict_str *label, struct classify_label *tmp)
{
	uint64_t serial = label ? label->e.serial : 0;
	for (size_t i = 0; i < l->n_info; i++)
		if (l->info[i].serial == serial)
			return &l->info[i].info;
	char name[TA_DICT_STR_MAX + 1];
	size_t n = label ? label->len : 0;
	memcpy(name, label ? label->bytes : "", n);
	name[n] = '\0';
	(void)classify_label_info(l->cls, name, tmp);
	if (l->n_info < LABEL_INFO_SLOTS) {
		l->info[l->n_info].serial = serial;
		l->info[l->n_info].info = *tmp;
		return &l->info[l->n_info++].info;
	}
	return tmp;
}

/* a hello that carries only the SNI, for the parts that look at nothing else */
static void sni_hello(const struct dict_str *sni, bool sslv2, struct tls_client_hello *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->sslv2_format = sslv2;
	if (sni) {
		ch->has_sni = true;
		ch->sni_len = (uint16_t)(sni->len > TLS_MAX_SNI ? TLS_MAX_SNI : sni->len);
		memcpy(ch->sni, sni->bytes, ch->sni_len);
	}
}

/* Remember key -> val + 1 in m (forgetting everything when it is full or over the memory cap). */
static void remember(struct plabel *l, struct u64map *m, uint64_t key, uint64_t val)
{
	if (m->n >= PAIR_CACHE_MAX)
		u64map_clear(m);
	if (u64map_put(m, key, val + 1) && !account(l)) {
		u64map_clear(m);
		(void)account(l);
	}
}

uint64_t plabel_host_risks(struct plabel *l, const struct dict_str *sni, bool sslv2)
{
	if (!sni)
		return 0;
	uint64_t key = pair_key(sni->e.serial, sslv2 ? 1 : 0);
	uint64_t v = u64map_get(&l->host_risks, key);
	if (v)
		return v - 1;
	struct tls_client_hello ch;
	sni_hello(sni, sslv2, &ch);
	uint64_t r = classify_risk_host(l->cls, &ch);
	remember(l, &l->host_risks, key, r);
	return r;
}

bool plabel_host_named(struct plabel *l, const struct dict_str *sni)
{
	if (!sni)
		return false;
	uint64_t key = pair_key(sni->e.serial, 2);
	uint64_t v = u64map_get(&l->named, key);
	if (v)
		return v == 2;
	struct tls_client_hello ch;
	sni_hello(sni, false, &ch);
	bool named = classify_host_named(l->cls, &ch);
	remember(l, &l->named, key, named);
	return named;
}

uint64_t plabel_cert_mismatch(struct plabel *l, const struct dict_cert *cert, const uint8_t *der, size_t len,
			      const struct dict_str *sni)
{
	if (!sni)
		return 0; /* nDPI compares only with a host name */
	uint64_t key = cert ? pair_key(cert->e.serial, sni->e.serial) : 0;
	uint64_t v = key ? u64map_get(&l->mismatch, key) : 0;
	if (v)
		return v - 1;
	struct tls_client_hello ch;
	struct classify_risk_cert with, without;
	sni_hello(sni, false, &ch);
	classify_risk_cert(der, len, &ch, &with);
	classify_risk_cert(der, len, NULL, &without);
	uint64_t bits = with.risks & ~without.risks;
	if (key)
		remember(l, &l->mismatch, key, bits);
	return bits;
}
