/* agg.c - per host and role aggregation (include/tlsaudit/agg.h).
 *
 * Design note. Hosts live in one growable array with an open-addressing index (index + 1 per slot, 0 empty),
 * grown at half load; the key is (family, address, role). A connection adds to two rows: its client as client
 * and its server as server. What a row counts depends only on the record and the names module's outcome class,
 * so an aggregate made while reading and one made later from the database's rows are equal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/names.h"
#include "tlsaudit/tls.h"

struct agg {
	struct agg_host *v;
	size_t n, cap;
	uint32_t *slot;
	size_t nslots; /* power of two */
};

enum agg_vcol agg_vcol_of(uint16_t v)
{
	switch (tls_version_rank(v)) {
	case 0: return AGG_V_NONE;
	case 0x0002: return AGG_V_SSL2;
	case 0x0300: return AGG_V_SSL3;
	case 0x0301: return AGG_V_TLS10;
	case 0x0302: return AGG_V_TLS11;
	case 0x0303: return AGG_V_TLS12;
	case 0x0304: return AGG_V_TLS13;
	default: return AGG_V_OTHER;
	}
}

uint16_t agg_vcol_rank(enum agg_vcol c)
{
	static const uint16_t ranks[AGG_V_COUNT] = {
		[AGG_V_NONE] = 0,	[AGG_V_SSL2] = 0x0002,	[AGG_V_SSL3] = 0x0300,	[AGG_V_TLS10] = 0x0301,
		[AGG_V_TLS11] = 0x0302, [AGG_V_TLS12] = 0x0303, [AGG_V_TLS13] = 0x0304, [AGG_V_OTHER] = 0xffff,
	};
	return (unsigned)c < AGG_V_COUNT ? ranks[c] : 0;
}

const char *agg_vcol_name(enum agg_vcol c)
{
	static const char *const names[AGG_V_COUNT] = {
		[AGG_V_NONE] = "none",	   [AGG_V_SSL2] = "SSL 2.0",  [AGG_V_SSL3] = "SSL 3.0",
		[AGG_V_TLS10] = "TLS 1.0", [AGG_V_TLS11] = "TLS 1.1", [AGG_V_TLS12] = "TLS 1.2",
		[AGG_V_TLS13] = "TLS 1.3", [AGG_V_OTHER] = "other",
	};
	return (unsigned)c < AGG_V_COUNT ? names[c] : "other";
}

const char *agg_reason_name(uint16_t code, char buf[static 16])
{
	if (code & 0x100)
		return names_alert((uint8_t)code, buf);
	return names_outcome(code);
}

int agg_new(struct agg **ret)
{
	struct agg *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*ret = a;
	return 0;
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	free(a->v);
	free(a->slot);
	free(a);
}

static uint64_t key_hash(uint8_t family, const uint8_t ip[16], uint8_t role)
{
	uint64_t x, y;
	memcpy(&x, ip, 8);
	memcpy(&y, ip + 8, 8);
	uint64_t h = (x * 0x9e3779b97f4a7c15ULL) ^ (y + 0x632be59bd9b4e019ULL) ^ ((uint64_t)family << 8 | role);
	h ^= h >> 31;
	h *= 0xd6e8feb86659fd93ULL;
	return h ^ (h >> 32);
}

static int grow(struct agg *a)
{
	size_t ns = a->nslots ? a->nslots * 2 : 256;
	uint32_t *slot = calloc(ns, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_host *h = &a->v[i];
		size_t k = key_hash(h->family, h->ip, h->role) & (ns - 1);
		while (slot[k])
			k = (k + 1) & (ns - 1);
		slot[k] = (uint32_t)(i + 1);
	}
	free(a->slot);
	a->slot = slot;
	a->nslots = ns;
	return 0;
}

static void counts_init(struct agg_counts *n)
{
	memset(n, 0, sizeof(*n));
}

struct agg_host *agg_get(struct agg *a, uint8_t family, const uint8_t ip[16], enum agg_role role)
{
	if (a->n >= UINT32_MAX - 1)
		return NULL;
	if ((a->n + 1) * 2 > a->nslots && grow(a) < 0)
		return NULL;
	size_t k = key_hash(family, ip, (uint8_t)role) & (a->nslots - 1);
	while (a->slot[k]) {
		struct agg_host *h = &a->v[a->slot[k] - 1];
		if (h->family == family && h->role == role && memcmp(h->ip, ip, 16) == 0)
			return h;
		k = (k + 1) & (a->nslots - 1);
	}
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 64;
		struct agg_host *nv = realloc(a->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		a->v = nv;
		a->cap = nc;
	}
	struct agg_host *h = &a->v[a->n];
	memset(h, 0, sizeof(*h));
	h->family = family;
	memcpy(h->ip, ip, 16);
	h->role = (uint8_t)role;
	counts_init(&h->n);
	a->slot[k] = (uint32_t)++a->n;
	return h;
}

static void min_time(int64_t *dst, int64_t v, bool first)
{
	if (first || v < *dst)
		*dst = v;
}

static void max_time(int64_t *dst, int64_t v, bool first)
{
	if (first || v > *dst)
		*dst = v;
}

static void min_rank(uint16_t *dst, uint16_t v)
{
	if (v && (!*dst || v < *dst))
		*dst = v;
}

static void max_rank(uint16_t *dst, uint16_t v)
{
	if (v > *dst)
		*dst = v;
}

void agg_reason_add(struct agg_host *h, uint16_t code, uint64_t n)
{
	for (size_t i = 0; i < h->n_reasons; i++)
		if (h->reasons[i].code == code) {
			h->reasons[i].count += n;
			return;
		}
	if (h->n_reasons == TA_AGG_MAX_REASONS) {
		h->other_reasons += n;
		return;
	}
	h->reasons[h->n_reasons].code = code;
	h->reasons[h->n_reasons++].count = n;
}

/* What one connection adds to one row, as a one-connection aggregate (so that adding is merging). */
static void conn_counts(const struct ta_conn *c, struct agg_counts *n)
{
	uint16_t maxv = c->hello ? c->hello->max_version : 0;
	uint16_t low = c->hello ? c->hello->min_listed_version : 0;
	enum ta_outcome_class cls = names_outcome_class(c->outcome);
	enum agg_vcol mc = agg_vcol_of(maxv), nc = agg_vcol_of(c->negotiated_version);

	counts_init(n);
	n->connections = 1;
	n->established = cls == OUTCLASS_ESTABLISHED;
	n->failed = cls == OUTCLASS_FAILED;
	n->unknown = cls == OUTCLASS_UNKNOWN;
	n->negotiated[nc] = 1;
	n->offered_max[mc] = 1;
	n->offered_max_failed[mc] = cls != OUTCLASS_ESTABLISHED;
	n->offered_max_unknown[mc] = cls == OUTCLASS_UNKNOWN;
	n->neg_established[nc] = cls == OUTCLASS_ESTABLISHED;
	n->lowest_listed[agg_vcol_of(low)] = 1;
	n->first_ns = c->ts_ns;
	n->last_ns = c->last_ns;
	n->max_first_ns[mc] = n->max_last_ns[mc] = 0;
	if (maxv) {
		n->max_first_ns[mc] = c->ts_ns;
		n->max_last_ns[mc] = c->last_ns;
	}
	if (c->negotiated_version) {
		n->neg_first_ns[nc] = c->ts_ns;
		n->neg_last_ns[nc] = c->last_ns;
	}
	n->max_offered = n->min_offered = tls_version_rank(maxv);
	n->max_negotiated = n->min_negotiated = tls_version_rank(c->negotiated_version);
}

void agg_counts_merge(struct agg_counts *d, const struct agg_counts *s)
{
	if (s->connections == 0)
		return;
	bool first = d->connections == 0;
	for (int v = 0; v < AGG_V_COUNT; v++) {
		bool mfirst = d->offered_max[v] == 0, nfirst = d->negotiated[v] == 0;
		if (s->offered_max[v]) {
			min_time(&d->max_first_ns[v], s->max_first_ns[v], mfirst);
			max_time(&d->max_last_ns[v], s->max_last_ns[v], mfirst);
		}
		if (s->negotiated[v]) {
			min_time(&d->neg_first_ns[v], s->neg_first_ns[v], nfirst);
			max_time(&d->neg_last_ns[v], s->neg_last_ns[v], nfirst);
		}
		d->negotiated[v] += s->negotiated[v];
		d->offered_max[v] += s->offered_max[v];
		d->offered_max_failed[v] += s->offered_max_failed[v];
		d->offered_max_unknown[v] += s->offered_max_unknown[v];
		d->neg_established[v] += s->neg_established[v];
		d->lowest_listed[v] += s->lowest_listed[v];
	}
	min_time(&d->first_ns, s->first_ns, first);
	max_time(&d->last_ns, s->last_ns, first);
	d->connections += s->connections;
	d->established += s->established;
	d->failed += s->failed;
	d->unknown += s->unknown;
	max_rank(&d->max_offered, s->max_offered);
	min_rank(&d->min_offered, s->min_offered);
	max_rank(&d->max_negotiated, s->max_negotiated);
	min_rank(&d->min_negotiated, s->min_negotiated);
}

int agg_add(struct agg *a, const struct ta_conn *c)
{
	struct agg_counts n;
	conn_counts(c, &n);
	uint16_t reason = 0;
	bool failed = c->outcome != OUT_ESTABLISHED;
	if (failed)
		reason = c->outcome == OUT_ALERT && c->has_alert ? (uint16_t)(0x100 | c->alert_desc) : c->outcome;
	for (int role = 0; role < 2; role++) {
		struct agg_host *h =
			agg_get(a, c->family, role == AGG_CLIENT ? c->client_ip : c->server_ip, (enum agg_role)role);
		if (!h)
			return -ENOMEM;
		agg_counts_merge(&h->n, &n);
		if (failed)
			agg_reason_add(h, reason, 1);
	}
	return 0;
}

int agg_merge(struct agg *dst, const struct agg *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct agg_host *s = &src->v[i];
		struct agg_host *d = agg_get(dst, s->family, s->ip, (enum agg_role)s->role);
		if (!d)
			return -ENOMEM;
		agg_counts_merge(&d->n, &s->n);
		for (size_t k = 0; k < s->n_reasons; k++)
			agg_reason_add(d, s->reasons[k].code, s->reasons[k].count);
		d->other_reasons += s->other_reasons;
	}
	return 0;
}

size_t agg_count(const struct agg *a)
{
	return a->n;
}

bool agg_empty(const struct agg *a)
{
	return a->n == 0;
}

const struct agg_host *agg_at(struct agg *a, size_t i)
{
	return i < a->n ? &a->v[i] : NULL;
}

static int host_cmp(const void *pa, const void *pb)
{
	const struct agg_host *x = pa, *y = pb;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int c = memcmp(x->ip, y->ip, 16);
	if (c)
		return c;
	return (x->role > y->role) - (x->role < y->role);
}

static int reason_cmp(const void *pa, const void *pb)
{
	const struct agg_reason *x = pa, *y = pb;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	char bx[16], by[16];
	return strcmp(agg_reason_name(x->code, bx), agg_reason_name(y->code, by));
}

void agg_sort(struct agg *a)
{
	for (size_t i = 0; i < a->n; i++)
		qsort(a->v[i].reasons, a->v[i].n_reasons, sizeof(a->v[i].reasons[0]), reason_cmp);
	if (a->n > 1)
		qsort(a->v, a->n, sizeof(a->v[0]), host_cmp);
	/* the index is stale after sorting: rebuild it */
	if (a->slot) {
		memset(a->slot, 0, a->nslots * sizeof(*a->slot));
		for (size_t i = 0; i < a->n; i++) {
			size_t k = key_hash(a->v[i].family, a->v[i].ip, a->v[i].role) & (a->nslots - 1);
			while (a->slot[k])
				k = (k + 1) & (a->nslots - 1);
			a->slot[k] = (uint32_t)(i + 1);
		}
	}
}

uint64_t agg_sum_below(const uint64_t v[AGG_V_COUNT], uint16_t min_rank_)
{
	uint64_t s = 0;
	for (int c = AGG_V_SSL2; c < AGG_V_OTHER; c++)
		if (agg_vcol_rank((enum agg_vcol)c) < min_rank_)
			s += v[c];
	return s;
}

bool agg_old_times(const struct agg_counts *n, uint16_t min_rank_, int64_t *ret_first, int64_t *ret_last)
{
	bool any = false;
	for (int c = AGG_V_SSL2; c < AGG_V_OTHER; c++) {
		if (agg_vcol_rank((enum agg_vcol)c) >= min_rank_)
			continue;
		if (n->offered_max[c]) {
			min_time(ret_first, n->max_first_ns[c], !any);
			max_time(ret_last, n->max_last_ns[c], !any);
			any = true;
		}
		if (n->negotiated[c]) {
			min_time(ret_first, n->neg_first_ns[c], !any);
			max_time(ret_last, n->neg_last_ns[c], !any);
			any = true;
		}
	}
	return any;
}
