/* store_report.c - the facts behind `tlsaudit report` and `tlsaudit diff` (include/tlsaudit/report_data.h).
 *
 * Design note: one pass over the selected connections, read back as records (store_select_records, once per
 * capture of the selected sensors), feeds the one aggregator (agg.h) for every count, and keeps per host and
 * role what only a report lists - peers, SNI values, client stacks, certificates, weak ciphers, nDPI risks and
 * the clients a server would lose under the policy - in a table of its own. The host, role and sensor
 * selection is applied to records as they come (a connection counts when an endpoint in the selected role is
 * in a selected prefix); the same selection, written as SQL, gives the time range that sets the timeline's
 * buckets before the pass. Verdicts are not made here: the report library applies the policy to these counts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/names.h"
#include "tlsaudit/num.h"
#include "tlsaudit/report_data.h"
#include "store_internal.h"

#define COUNTED_STATUS "status IN ('complete', 'cut', 'running', 'terminated')"

#define STAT_COL(name, desc) ", " #name
static const char sql_captures[] =
	"SELECT id, coalesce(sha256, ''), path, sensor, format, linktypes, file_bytes, packets, first_ns, last_ns,"
	" status, warnings, connections, options" TA_STATS_FIELDS(
		STAT_COL) " FROM captures"
			  " WHERE (?1 IS NULL OR last_ns >= ?1) AND (?2 IS NULL OR first_ns < ?2) ORDER BY id";
#undef STAT_COL

/* what a report lists per host and role beyond the aggregator's counts */
struct details {
	uint8_t family;
	uint8_t ip[16];
	uint8_t role;
	struct rep_peer peers[REP_MAX_PEERS];
	size_t n_peers;
	uint64_t other_peer_connections;
	struct rep_sni snis[REP_MAX_SNIS];
	size_t n_snis;
	uint64_t other_sni_connections, no_sni_connections;
	struct rep_stack *stacks; /* client role; REP_MAX_STACKS */
	size_t n_stacks;
	uint64_t other_stack_connections, no_hello_connections;
	struct rep_cert *certs; /* server role; REP_MAX_CERTS */
	size_t n_certs;
	uint64_t other_cert_connections;
	struct rep_span weak_negotiated[REP_WEAK_COUNT], weak_offered[REP_WEAK_COUNT];
	struct rep_risk risks[REP_MAX_RISKS];
	size_t n_risks;
	uint64_t other_risk_connections;
	struct rep_impact *impact; /* server role; REP_MAX_IMPACT */
	size_t n_impact;
	uint64_t impact_clients, impact_connections;
};

struct load {
	struct rep_data *d;
	struct agg *agg;
	struct details *v;
	size_t n, cap;
	uint32_t *slot;
	size_t nslots;
	uint64_t *pairs; /* (server row, client) hashes seen in impact lists: a set, 0 = empty */
	size_t npairs, pairs_used;
	int err;
};

static uint64_t dkey(uint8_t family, const uint8_t ip[16], uint8_t role)
{
	uint64_t a, b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + ((uint64_t)family << 8 | role)) * 0xc2b2ae3d27d4eb4fULL;
	return h ^ (h >> 29);
}

static int dgrow(struct load *l)
{
	size_t ns = l->nslots ? l->nslots * 2 : 256;
	uint32_t *slot = calloc(ns, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		size_t k = dkey(l->v[i].family, l->v[i].ip, l->v[i].role) & (ns - 1);
		while (slot[k])
			k = (k + 1) & (ns - 1);
		slot[k] = (uint32_t)(i + 1);
	}
	free(l->slot);
	l->slot = slot;
	l->nslots = ns;
	return 0;
}

static struct details *dfind(const struct load *l, uint8_t family, const uint8_t ip[16], uint8_t role)
{
	if (!l->nslots)
		return NULL;
	size_t k = dkey(family, ip, role) & (l->nslots - 1);
	while (l->slot[k]) {
		struct details *x = &l->v[l->slot[k] - 1];
		if (x->family == family && x->role == role && memcmp(x->ip, ip, 16) == 0)
			return x;
		k = (k + 1) & (l->nslots - 1);
	}
	return NULL;
}

static struct details *dget(struct load *l, uint8_t family, const uint8_t ip[16], uint8_t role)
{
	struct details *x = dfind(l, family, ip, role);
	if (x)
		return x;
	if (l->n >= UINT32_MAX - 1 || ((l->n + 1) * 2 > l->nslots && dgrow(l) < 0))
		return NULL;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct details *nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = nc;
	}
	size_t k = dkey(family, ip, role) & (l->nslots - 1);
	while (l->slot[k])
		k = (k + 1) & (l->nslots - 1);
	x = &l->v[l->n];
	memset(x, 0, sizeof(*x));
	x->family = family;
	memcpy(x->ip, ip, 16);
	x->role = role;
	l->slot[k] = (uint32_t)++l->n;
	return x;
}

static void details_free(struct details *x)
{
	free(x->stacks);
	free(x->certs);
	free(x->impact);
}

/* Insert h (never 0) into the pair set; true if it was new. Grows at half load; false and l->err on ENOMEM. */
static bool pair_add(struct load *l, uint64_t h)
{
	if (!h)
		h = 1;
	if ((l->pairs_used + 1) * 2 > l->npairs) {
		size_t ns = l->npairs ? l->npairs * 2 : 1024;
		uint64_t *np = calloc(ns, sizeof(*np));
		if (!np) {
			l->err = -ENOMEM;
			return false;
		}
		for (size_t i = 0; i < l->npairs; i++)
			if (l->pairs[i]) {
				size_t k = l->pairs[i] & (ns - 1);
				while (np[k])
					k = (k + 1) & (ns - 1);
				np[k] = l->pairs[i];
			}
		free(l->pairs);
		l->pairs = np;
		l->npairs = ns;
	}
	size_t k = h & (l->npairs - 1);
	while (l->pairs[k]) {
		if (l->pairs[k] == h)
			return false;
		k = (k + 1) & (l->npairs - 1);
	}
	l->pairs[k] = h;
	l->pairs_used++;
	return true;
}

static void ip_text(uint8_t family, const uint8_t ip[16], char out[48])
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, out, 48))
		snprintf(out, 48, "?");
}

static void span_add(struct rep_span *s, const struct ta_conn *c)
{
	if (!s->n || c->ts_ns < s->first_ns)
		s->first_ns = c->ts_ns;
	if (!s->n || c->last_ns > s->last_ns)
		s->last_ns = c->last_ns;
	s->n++;
}

static void count_class(uint64_t *est, uint64_t *fail, uint64_t *unk, enum ta_outcome_class cls)
{
	if (cls == OUTCLASS_ESTABLISHED)
		(*est)++;
	else if (cls == OUTCLASS_FAILED)
		(*fail)++;
	else
		(*unk)++;
}

static void add_peer(struct details *x, uint8_t family, const uint8_t ip[16], uint16_t port, enum ta_outcome_class cls)
{
	struct rep_peer *p = NULL;
	for (size_t i = 0; i < x->n_peers; i++)
		if (x->peers[i].port == port && memcmp(x->peers[i].addr, ip, 16) == 0)
			p = &x->peers[i];
	if (!p) {
		if (x->n_peers == REP_MAX_PEERS) {
			x->other_peer_connections++;
			return;
		}
		p = &x->peers[x->n_peers++];
		memset(p, 0, sizeof(*p));
		p->family = family;
		memcpy(p->addr, ip, 16);
		ip_text(family, ip, p->ip);
		p->port = port;
	}
	p->connections++;
	count_class(&p->established, &p->failed, &p->unknown, cls);
}

static void add_sni(struct details *x, const struct dict_str *sni)
{
	if (!sni) {
		x->no_sni_connections++;
		return;
	}
	size_t n = sni->len > TA_MAX_SNI ? TA_MAX_SNI : sni->len;
	for (size_t i = 0; i < x->n_snis; i++)
		if (x->snis[i].len == n && memcmp(x->snis[i].bytes, sni->bytes, n) == 0) {
			x->snis[i].connections++;
			return;
		}
	if (x->n_snis == REP_MAX_SNIS) {
		x->other_sni_connections++;
		return;
	}
	struct rep_sni *s = &x->snis[x->n_snis++];
	memset(s, 0, sizeof(*s));
	s->len = (uint16_t)n;
	if (n)
		memcpy(s->bytes, sni->bytes, n);
	s->connections = 1;
}

static uint16_t rank_of(uint16_t v)
{
	return tls_version_rank(v);
}

static bool below(uint16_t rank, uint16_t min_level)
{
	return rank && rank < min_level;
}

/* Hellos of a stack that was not identified are told apart by their cipher suites: the second part of JA4
 * (t13d1516h2_8daaf6152771_e5627efa2ab1), which SNI and ALPN do not change. */
static bool same_suites(const char *ja4a, const char *ja4b)
{
	const char *a = strchr(ja4a, '_'), *b = strchr(ja4b, '_');
	if (!a || !b)
		return !a && !b;
	size_t na = strcspn(a + 1, "_"), nb = strcspn(b + 1, "_");
	return na == nb && memcmp(a + 1, b + 1, na) == 0;
}

static int add_stack(struct details *x, const struct ta_conn *c, enum ta_outcome_class cls, uint16_t min_level)
{
	const struct dict_hello *h = c->hello;
	if (!h) {
		x->no_hello_connections++;
		return 0;
	}
	if (!x->stacks && !(x->stacks = calloc(REP_MAX_STACKS, sizeof(*x->stacks))))
		return -ENOMEM;
	struct rep_stack *s = NULL;
	for (size_t i = 0; i < x->n_stacks && !s; i++)
		if (strcmp(x->stacks[i].key, h->d.stack_key) == 0 && strcmp(x->stacks[i].name, h->d.stack_name) == 0 &&
		    (h->d.stack_key[0] || same_suites(x->stacks[i].ja4, h->d.ja4)))
			s = &x->stacks[i];
	if (!s) {
		if (x->n_stacks == REP_MAX_STACKS) {
			x->other_stack_connections++;
			return 0;
		}
		s = &x->stacks[x->n_stacks++];
		memset(s, 0, sizeof(*s));
		snprintf(s->key, sizeof(s->key), "%s", h->d.stack_key);
		snprintf(s->family, sizeof(s->family), "%s", h->d.stack_family);
		snprintf(s->name, sizeof(s->name), "%s", h->d.stack_name);
		s->match = h->d.stack_match;
		snprintf(s->ja4, sizeof(s->ja4), "%s", h->d.ja4);
		s->first_ns = c->ts_ns;
		s->last_ns = c->last_ns;
	}
	uint16_t maxr = rank_of(h->max_version), lowr = rank_of(h->min_listed_version);
	uint16_t negr = rank_of(c->negotiated_version);
	s->connections++;
	count_class(&s->established, &s->failed, &s->unknown, cls);
	if (maxr > s->max_offered)
		s->max_offered = maxr;
	if (maxr && (!s->min_offered || maxr < s->min_offered))
		s->min_offered = maxr;
	if (below(maxr, min_level)) {
		s->old_offered++;
		s->old_offered_failed += cls == OUTCLASS_FAILED;
		s->old_offered_unknown += cls == OUTCLASS_UNKNOWN;
	}
	s->old_negotiated += below(negr, min_level);
	s->offers_old += below(lowr, min_level);
	s->offers |= h->d.offers;
	if (c->ts_ns < s->first_ns)
		s->first_ns = c->ts_ns;
	if (c->last_ns > s->last_ns)
		s->last_ns = c->last_ns;
	return 0;
}

static void hex32(const uint8_t b[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[64] = '\0';
}

static int add_cert(struct details *x, const struct ta_conn *c)
{
	const struct cert_info *ci = &c->cert->info;
	char sha[65];
	hex32(ci->sha256, sha);
	if (!x->certs && !(x->certs = calloc(REP_MAX_CERTS, sizeof(*x->certs))))
		return -ENOMEM;
	struct rep_cert *k = NULL;
	for (size_t i = 0; i < x->n_certs && !k; i++)
		if (strcmp(x->certs[i].sha256, sha) == 0)
			k = &x->certs[i];
	if (!k) {
		if (x->n_certs == REP_MAX_CERTS) {
			x->other_cert_connections++;
			return 0;
		}
		k = &x->certs[x->n_certs++];
		memset(k, 0, sizeof(*k));
		memcpy(k->sha256, sha, sizeof(sha));
		k->subject_len = ci->subject_cn_len > TA_CERT_MAX_NAME ? TA_CERT_MAX_NAME : ci->subject_cn_len;
		memcpy(k->subject, ci->subject_cn, k->subject_len);
		k->issuer_len = ci->issuer_cn_len > TA_CERT_MAX_NAME ? TA_CERT_MAX_NAME : ci->issuer_cn_len;
		memcpy(k->issuer, ci->issuer_cn, k->issuer_len);
		k->not_before = ci->not_before;
		k->not_after = ci->not_after;
		snprintf(k->key_type, sizeof(k->key_type), "%s", ci->key_type);
		k->key_bits = ci->key_bits;
		snprintf(k->sig_alg, sizeof(k->sig_alg), "%s", ci->sig_alg);
		k->self_signed = ci->self_signed;
	}
	span_add(&k->seen, c);
	k->expired_at_use += c->cert_expired;
	return 0;
}

/* the weak kinds of a negotiated suite / of a hello's offered list */
static unsigned weak_of_suite(const struct ta_conn *c)
{
	if (!c->has_cipher || c->cipher_sslv2 || c->cipher > 0xffff)
		return 0;
	uint32_t f = names_cipher_flags((uint16_t)c->cipher);
	unsigned w = 0;
	w |= f & NAMES_CIPHER_RC4 ? 1u << REP_WEAK_RC4 : 0;
	w |= f & NAMES_CIPHER_3DES ? 1u << REP_WEAK_3DES : 0;
	w |= f & NAMES_CIPHER_EXPORT ? 1u << REP_WEAK_EXPORT : 0;
	w |= f & (NAMES_CIPHER_NULL | NAMES_CIPHER_ANON) ? 1u << REP_WEAK_NULL : 0;
	w |= f & NAMES_CIPHER_DES ? 1u << REP_WEAK_DES : 0;
	w |= f & NAMES_CIPHER_MD5 ? 1u << REP_WEAK_MD5 : 0;
	w |= f & NAMES_CIPHER_CBC_SHA1 ? 1u << REP_WEAK_CBC_SHA1 : 0;
	return w;
}

static unsigned weak_of_offers(uint32_t o)
{
	unsigned w = 0;
	w |= o & DICT_OFFERS_RC4 ? 1u << REP_WEAK_RC4 : 0;
	w |= o & DICT_OFFERS_3DES ? 1u << REP_WEAK_3DES : 0;
	w |= o & DICT_OFFERS_EXPORT ? 1u << REP_WEAK_EXPORT : 0;
	w |= o & DICT_OFFERS_NULL ? 1u << REP_WEAK_NULL : 0;
	w |= o & DICT_OFFERS_CBC_SHA1 ? 1u << REP_WEAK_CBC_SHA1 : 0;
	return w;
}

static void add_risks(struct details *x, const struct ta_conn *c)
{
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(c->risks >> bit & 1))
			continue;
		struct rep_risk *r = NULL;
		for (size_t i = 0; i < x->n_risks && !r; i++)
			if (x->risks[i].bit == bit)
				r = &x->risks[i];
		if (!r) {
			if (x->n_risks == REP_MAX_RISKS) {
				x->other_risk_connections++;
				continue;
			}
			r = &x->risks[x->n_risks++];
			memset(r, 0, sizeof(*r));
			r->bit = (uint8_t)bit;
		}
		span_add(&r->seen, c);
	}
}

/* A client whose hello to this server offered at most an old version. */
static int add_impact(struct load *l, struct details *x, const struct ta_conn *c, enum ta_outcome_class cls)
{
	uint16_t maxr = rank_of(c->hello->max_version);
	uint64_t a, b;
	memcpy(&a, c->client_ip, 8);
	memcpy(&b, c->client_ip + 8, 8);
	uint64_t h = (dkey(x->family, x->ip, x->role) * 0xff51afd7ed558ccdULL) ^ (a * 0xc4ceb9fe1a85ec53ULL) ^
		     (b + c->family);
	h ^= h >> 33;
	bool fresh = pair_add(l, h);
	if (l->err)
		return l->err;
	x->impact_clients += fresh;
	x->impact_connections++;
	if (!x->impact && !(x->impact = calloc(REP_MAX_IMPACT, sizeof(*x->impact))))
		return -ENOMEM;
	struct rep_impact *m = NULL;
	for (size_t i = 0; i < x->n_impact && !m; i++)
		if (memcmp(x->impact[i].addr, c->client_ip, 16) == 0)
			m = &x->impact[i];
	if (!m) {
		if (x->n_impact == REP_MAX_IMPACT)
			return 0;
		m = &x->impact[x->n_impact++];
		memset(m, 0, sizeof(*m));
		m->family = c->family;
		memcpy(m->addr, c->client_ip, 16);
		ip_text(c->family, c->client_ip, m->ip);
	}
	m->connections++;
	count_class(&m->established, &m->failed, &m->unknown, cls);
	if (maxr > m->max_offered)
		m->max_offered = maxr;
	if (c->last_ns >= m->last_ns) {
		m->last_ns = c->last_ns;
		snprintf(m->stack, sizeof(m->stack), "%s", c->hello->d.stack_name);
		m->sni_len = 0;
		if (c->sni) {
			m->sni_len = c->sni->len > TA_MAX_SNI ? TA_MAX_SNI : c->sni->len;
			memcpy(m->sni, c->sni->bytes, m->sni_len);
			m->sni[m->sni_len] = '\0';
		}
	}
	return 0;
}

static enum rep_vcol rep_col(enum agg_vcol c)
{
	switch (c) {
	case AGG_V_NONE: return REP_V_NONE;
	case AGG_V_SSL2: return REP_V_SSL2;
	case AGG_V_SSL3: return REP_V_SSL3;
	case AGG_V_TLS10: return REP_V_TLS10;
	case AGG_V_TLS11: return REP_V_TLS11;
	case AGG_V_TLS12: return REP_V_TLS12;
	case AGG_V_TLS13: return REP_V_TLS13;
	default: return REP_V_OTHER;
	}
}

static bool is_old(const struct ta_conn *c, uint16_t min_level)
{
	uint16_t maxl = c->hello ? rank_of(c->hello->max_version) : 0;
	return below(maxl, min_level) || below(rank_of(c->negotiated_version), min_level);
}

static bool in_nets(const struct rep_query *q, uint8_t family, const uint8_t ip[16])
{
	for (size_t i = 0; i < q->n_nets; i++) {
		const struct rep_net *n = &q->nets[i];
		if (n->family != family)
			continue;
		unsigned full = n->prefix / 8, rest = n->prefix % 8;
		if (memcmp(n->addr, ip, full) != 0)
			continue;
		if (rest && ((n->addr[full] ^ ip[full]) & (uint8_t)(0xffu << (8 - rest))))
			continue;
		return true;
	}
	return false;
}

/* Is this endpoint (role 0 client, 1 server) a selected host role? (report_data.h: store_probe.c asks it of probed
 * addresses, `export` of each connection) */
bool report_query_endpoint(const struct rep_query *q, int role, uint8_t family, const uint8_t ip[16])
{
	if (q->role == REP_ROLE_CLIENT && role != 0)
		return false;
	if (q->role == REP_ROLE_SERVER && role != 1)
		return false;
	return !q->n_nets || in_nets(q, family, ip);
}

static int row(const struct ta_conn *c, void *ctx)
{
	struct load *l = ctx;
	struct rep_data *d = l->d;
	bool sel[2] = {report_query_endpoint(&d->q, 0, c->family, c->client_ip),
		       report_query_endpoint(&d->q, 1, c->family, c->server_ip)};
	int r;

	if (!sel[0] && !sel[1])
		return 0;
	enum ta_outcome_class cls = names_outcome_class(c->outcome);
	d->connections++;
	count_class(&d->established, &d->failed, &d->unknown, cls);
	enum rep_vcol neg = rep_col(agg_vcol_of(c->negotiated_version));
	enum rep_vcol offc = rep_col(agg_vcol_of(c->hello ? c->hello->max_version : 0));
	if (cls == OUTCLASS_ESTABLISHED)
		d->est_by_version[neg]++;
	else if (cls == OUTCLASS_FAILED)
		d->failed_by_offered[offc]++;
	else
		d->unknown_by_offered[offc]++;
	if (d->n_buckets) {
		uint64_t off = ta_span_u64(d->first_ns, c->ts_ns) / (uint64_t)d->bucket_ns;
		size_t b = off >= d->n_buckets ? d->n_buckets - 1 : (size_t)off;
		d->timeline[b].connections++;
		if (is_old(c, d->q.min_level))
			d->timeline[b].old++;
	}
	if (agg_add(l->agg, c) < 0)
		return -ENOMEM;
	unsigned weak_neg = weak_of_suite(c);
	for (int role = 0; role < 2; role++) {
		if (!sel[role])
			continue;
		const uint8_t *ip = role == 0 ? c->client_ip : c->server_ip;
		struct details *x = dget(l, c->family, ip, (uint8_t)role);
		if (!x)
			return -ENOMEM;
		if (role == 0)
			add_peer(x, c->family, c->server_ip, c->server_port, cls);
		else
			add_peer(x, c->family, c->client_ip, 0, cls);
		add_sni(x, c->sni);
		for (int w = 0; w < REP_WEAK_COUNT; w++)
			if (weak_neg >> w & 1)
				span_add(&x->weak_negotiated[w], c);
		add_risks(x, c);
		if (role == 0) {
			if ((r = add_stack(x, c, cls, d->q.min_level)) < 0)
				return r;
			unsigned wo = c->hello ? weak_of_offers(c->hello->d.offers) : 0;
			for (int w = 0; w < REP_WEAK_COUNT; w++)
				if (wo >> w & 1)
					span_add(&x->weak_offered[w], c);
		} else {
			if (c->cert && (r = add_cert(x, c)) < 0)
				return r;
			if (c->hello && below(rank_of(c->hello->max_version), d->q.min_level) &&
			    (r = add_impact(l, x, c, cls)) < 0)
				return r;
		}
	}
	return 0;
}

static void bind_window(sqlite3_stmt *st, const struct rep_query *q)
{
	if (q->has_since)
		sqlite3_bind_int64(st, 1, q->since_ns);
	if (q->has_until)
		sqlite3_bind_int64(st, 2, q->until_ns);
}

/* The selected captures: counted ones of the selected sensors. */
static int selected_captures(sqlite3 *db, const struct rep_query *q, int64_t **ret, size_t *ret_n, char *err,
			     size_t errlen)
{
	char sql[512];
	size_t off = (size_t)snprintf(sql, sizeof(sql), "SELECT id FROM captures WHERE " COUNTED_STATUS);
	for (size_t i = 0; i < q->n_sensors; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s?%zu", i ? ", " : " AND sensor IN (", i + 1);
	snprintf(sql + off, sizeof(sql) - off, "%s ORDER BY id", q->n_sensors ? ")" : "");
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare capture selection", err, errlen);
	for (size_t i = 0; i < q->n_sensors; i++)
		sqlite3_bind_text(st, (int)i + 1, q->sensors[i], -1, SQLITE_TRANSIENT);
	int64_t *v = NULL;
	size_t n = 0, cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			int64_t *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				free(v);
				sqlite3_finalize(st);
				store_set_err(err, errlen, "report: out of memory");
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		v[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_db_err(db, rc, "capture selection", err, errlen);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Fill lo/hi with the first and last address of a prefix (the hosts table's addr BLOBs compare this way). */
static size_t net_bounds(const struct rep_net *n, uint8_t lo[16], uint8_t hi[16])
{
	size_t len = n->family == 6 ? 16 : 4;
	memcpy(lo, n->addr, 16);
	memcpy(hi, n->addr, 16);
	for (unsigned bit = n->prefix; bit < len * 8; bit++) {
		lo[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
		hi[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	return len;
}

/* Count and time range of the selected connections (window, sensors, hosts and role): the timeline's buckets.
 * With every_connection, of every connection reports count (the database's extent). */
static int load_range(sqlite3 *db, const struct rep_query *q, bool every_connection, uint64_t *ret_n,
		      int64_t *ret_first, int64_t *ret_last, char *err, size_t errlen)
{
	/* ?1 since, ?2 until, ?3.. sensors, then two blobs per prefix */
	char sql[4096];
	size_t off = (size_t)snprintf(sql, sizeof(sql),
				      "SELECT count(*), min(ts_ns), max(ts_ns) FROM conn WHERE capture_id IN"
				      " (SELECT id FROM captures WHERE " COUNTED_STATUS);
	int p = 3;
	if (!every_connection)
		for (size_t i = 0; i < q->n_sensors; i++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s?%d", i ? ", " : " AND sensor IN (",
						p++);
	off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s)", !every_connection && q->n_sensors ? ")" : "");
	int first_net = p;
	if (!every_connection) {
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
					" AND (?1 IS NULL OR ts_ns >= ?1) AND (?2 IS NULL OR ts_ns < ?2)");
		if (q->n_nets) {
			char set[2048];
			size_t so = 0;
			for (size_t i = 0; i < q->n_nets; i++, p += 2)
				so += (size_t)snprintf(set + so, sizeof(set) - so,
						       "%s(family = %d AND addr BETWEEN ?%d AND ?%d)", i ? " OR " : "",
						       q->nets[i].family, p, p + 1);
			if (q->role == REP_ROLE_CLIENT)
				off += (size_t)snprintf(sql + off, sizeof(sql) - off,
							" AND client_id IN (SELECT id FROM hosts WHERE %s)", set);
			else if (q->role == REP_ROLE_SERVER)
				off += (size_t)snprintf(sql + off, sizeof(sql) - off,
							" AND server_id IN (SELECT id FROM hosts WHERE %s)", set);
			else
				off += (size_t)snprintf(
					sql + off, sizeof(sql) - off,
					" AND (client_id IN (SELECT id FROM hosts WHERE %s) OR server_id"
					" IN (SELECT id FROM hosts WHERE %s))",
					set, set);
		}
	}
	if (off >= sizeof(sql)) {
		store_set_err(err, errlen, "report: selection too long");
		return -EINVAL;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare report range", err, errlen);
	if (!every_connection) {
		bind_window(st, q);
		for (size_t i = 0; i < q->n_sensors; i++)
			sqlite3_bind_text(st, 3 + (int)i, q->sensors[i], -1, SQLITE_TRANSIENT);
		for (size_t i = 0; i < q->n_nets; i++) {
			uint8_t lo[16], hi[16];
			size_t len = net_bounds(&q->nets[i], lo, hi);
			sqlite3_bind_blob(st, first_net + 2 * (int)i, lo, (int)len, SQLITE_TRANSIENT);
			sqlite3_bind_blob(st, first_net + 2 * (int)i + 1, hi, (int)len, SQLITE_TRANSIENT);
		}
	}
	*ret_n = 0;
	*ret_first = *ret_last = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_n = (uint64_t)sqlite3_column_int64(st, 0);
		*ret_first = sqlite3_column_int64(st, 1);
		*ret_last = sqlite3_column_int64(st, 2);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_err(db, rc, "report range", err, errlen);
	return 0;
}

bool report_query_sensor(const struct rep_query *q, const char *sensor)
{
	if (!q->n_sensors)
		return true;
	for (size_t i = 0; i < q->n_sensors; i++)
		if (strcmp(q->sensors[i], sensor) == 0)
			return true;
	return false;
}

static int load_captures(sqlite3 *db, struct rep_data *d, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int ret = 0;
	int rc = sqlite3_prepare_v2(db, sql_captures, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare capture inventory", err, errlen);
	bind_window(st, &d->q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (d->n_captures == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct rep_capture *nv = realloc(d->captures, nc * sizeof(*nv));
			if (!nv) {
				store_set_err(err, errlen, "report: out of memory");
				ret = -ENOMEM;
				goto out;
			}
			d->captures = nv;
			cap = nc;
		}
		struct rep_capture *c = &d->captures[d->n_captures];
		int i = 0;
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(st, i++);
		store_col_text(st, i++, c->sha256, sizeof(c->sha256));
		store_col_text(st, i++, c->path, sizeof(c->path));
		store_col_text(st, i++, c->sensor, sizeof(c->sensor));
		store_col_text(st, i++, c->format, sizeof(c->format));
		store_col_text(st, i++, c->linktypes, sizeof(c->linktypes));
		c->file_bytes = (uint64_t)sqlite3_column_int64(st, i++);
		c->packets = (uint64_t)sqlite3_column_int64(st, i++);
		c->first_ns = sqlite3_column_int64(st, i++);
		c->last_ns = sqlite3_column_int64(st, i++);
		store_col_text(st, i++, c->status, sizeof(c->status));
		store_col_text(st, i++, c->warnings, sizeof(c->warnings));
		c->connections = (uint64_t)sqlite3_column_int64(st, i++);
		store_col_text(st, i++, c->options, sizeof(c->options));
#define STAT_READ(name, desc) c->stats.name = (uint64_t)sqlite3_column_int64(st, i++);
		TA_STATS_FIELDS(STAT_READ)
#undef STAT_READ
		if (report_query_sensor(&d->q, c->sensor))
			d->n_captures++;
	}
	if (rc != SQLITE_DONE)
		ret = store_db_err(db, rc, "capture inventory", err, errlen);
out:
	sqlite3_finalize(st);
	return ret;
}

static int addr_cmp(uint8_t fa, const uint8_t *a, uint8_t fb, const uint8_t *b)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a, b, 16);
}

static int peer_cmp(const void *a, const void *b)
{
	const struct rep_peer *x = a, *y = b;
	if (x->connections != y->connections)
		return x->connections > y->connections ? -1 : 1;
	int c = addr_cmp(x->family, x->addr, y->family, y->addr);
	return c ? c : (x->port > y->port) - (x->port < y->port);
}

static int sni_cmp(const void *a, const void *b)
{
	const struct rep_sni *x = a, *y = b;
	if (x->connections != y->connections)
		return x->connections > y->connections ? -1 : 1;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->bytes, y->bytes, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int stack_cmp(const void *a, const void *b)
{
	const struct rep_stack *x = a, *y = b;
	if (x->connections != y->connections)
		return x->connections > y->connections ? -1 : 1;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->key, y->key);
}

static int cert_cmp(const void *a, const void *b)
{
	const struct rep_cert *x = a, *y = b;
	if (x->seen.n != y->seen.n)
		return x->seen.n > y->seen.n ? -1 : 1;
	return strcmp(x->sha256, y->sha256);
}

static int impact_cmp(const void *a, const void *b)
{
	const struct rep_impact *x = a, *y = b;
	if (x->established != y->established) /* those that work today and would break first */
		return x->established > y->established ? -1 : 1;
	if (x->connections != y->connections)
		return x->connections > y->connections ? -1 : 1;
	return addr_cmp(x->family, x->addr, y->family, y->addr);
}

static int risk_cmp(const void *a, const void *b)
{
	const struct rep_risk *x = a, *y = b;
	if (x->seen.n != y->seen.n)
		return x->seen.n > y->seen.n ? -1 : 1;
	return (x->bit > y->bit) - (x->bit < y->bit);
}

/* One report row from the aggregator's counts and the row's details (whose lists it takes over). */
static void fill_host(struct rep_host *h, const struct agg_host *a, struct details *x, uint16_t min_level)
{
	const struct agg_counts *n = &a->n;
	memset(h, 0, sizeof(*h));
	h->family = a->family;
	memcpy(h->addr, a->ip, 16);
	ip_text(a->family, a->ip, h->ip);
	snprintf(h->role, sizeof(h->role), "%s", a->role == AGG_CLIENT ? "client" : "server");
	h->connections = n->connections;
	h->established = n->established;
	h->failed = n->failed;
	h->unknown = n->unknown;
	h->max_offered = n->max_offered;
	h->min_offered = n->min_offered;
	h->max_negotiated = n->max_negotiated;
	h->min_negotiated = n->min_negotiated;
	for (int v = 0; v < AGG_V_COUNT; v++) {
		enum rep_vcol col = rep_col((enum agg_vcol)v);
		h->by_version[col] += n->negotiated[v];
		h->offered_by_version[col] += n->offered_max[v];
		h->est_by_version[col] += n->neg_established[v];
		h->failed_by_offered[col] += n->offered_max_failed[v] - n->offered_max_unknown[v];
		h->unknown_by_offered[col] += n->offered_max_unknown[v];
	}
	h->old_offered = agg_sum_below(n->offered_max, min_level);
	h->old_offered_unknown = agg_sum_below(n->offered_max_unknown, min_level);
	h->old_offered_failed = agg_sum_below(n->offered_max_failed, min_level) - h->old_offered_unknown;
	h->old_negotiated = agg_sum_below(n->negotiated, min_level);
	h->offers_old = agg_sum_below(n->lowest_listed, min_level);
	h->first_ns = n->first_ns;
	h->last_ns = n->last_ns;
	agg_old_times(n, min_level, &h->old_first_ns, &h->old_last_ns);
	for (size_t i = 0; i < a->n_reasons && h->n_reasons < REP_MAX_REASONS; i++) {
		char b[16];
		struct rep_reason *r = &h->reasons[h->n_reasons++];
		uint16_t code = a->reasons[i].code;
		snprintf(r->name, sizeof(r->name), "%s", agg_reason_name(code, b));
		r->class_ = (uint8_t)(code & 0x100 ? OUTCLASS_FAILED : names_outcome_class(code));
		r->count = a->reasons[i].count;
	}
	h->other_reason_connections = a->other_reasons;
	if (!x)
		return;
	memcpy(h->peers, x->peers, sizeof(h->peers));
	h->n_peers = x->n_peers;
	h->other_peer_connections = x->other_peer_connections;
	memcpy(h->snis, x->snis, sizeof(h->snis));
	h->n_snis = x->n_snis;
	h->other_sni_connections = x->other_sni_connections;
	h->no_sni_connections = x->no_sni_connections;
	qsort(h->peers, h->n_peers, sizeof(h->peers[0]), peer_cmp);
	qsort(h->snis, h->n_snis, sizeof(h->snis[0]), sni_cmp);
	h->stacks = x->stacks;
	h->n_stacks = x->n_stacks;
	h->other_stack_connections = x->other_stack_connections;
	h->no_hello_connections = x->no_hello_connections;
	h->certs = x->certs;
	h->n_certs = x->n_certs;
	h->other_cert_connections = x->other_cert_connections;
	h->impact = x->impact;
	h->n_impact = x->n_impact;
	h->impact_clients = x->impact_clients;
	h->impact_connections = x->impact_connections;
	x->stacks = NULL;
	x->certs = NULL;
	x->impact = NULL;
	if (h->stacks)
		qsort(h->stacks, h->n_stacks, sizeof(h->stacks[0]), stack_cmp);
	if (h->certs)
		qsort(h->certs, h->n_certs, sizeof(h->certs[0]), cert_cmp);
	if (h->impact)
		qsort(h->impact, h->n_impact, sizeof(h->impact[0]), impact_cmp);
	memcpy(h->weak_negotiated, x->weak_negotiated, sizeof(h->weak_negotiated));
	memcpy(h->weak_offered, x->weak_offered, sizeof(h->weak_offered));
	memcpy(h->risks, x->risks, sizeof(h->risks));
	h->n_risks = x->n_risks;
	h->other_risk_connections = x->other_risk_connections;
	qsort(h->risks, h->n_risks, sizeof(h->risks[0]), risk_cmp);
}

static void load_free(struct load *l)
{
	for (size_t i = 0; i < l->n; i++)
		details_free(&l->v[i]);
	agg_free(l->agg);
	free(l->v);
	free(l->slot);
	free(l->pairs);
}

int report_load(struct store *s, const struct rep_query *q, struct rep_data **ret, char *err, size_t errlen)
{
	sqlite3 *db = s->db;
	struct load l;
	struct rep_data *d = calloc(1, sizeof(*d));
	int64_t *caps = NULL;
	size_t ncaps = 0;
	int r;

	memset(&l, 0, sizeof(l));
	if (!d || agg_new(&l.agg) < 0) {
		free(d);
		store_set_err(err, errlen, "report: out of memory");
		return -ENOMEM;
	}
	d->q = *q;
	if (d->q.n_nets > REP_MAX_NETS)
		d->q.n_nets = REP_MAX_NETS;
	if (d->q.n_sensors > REP_MAX_SENSORS)
		d->q.n_sensors = REP_MAX_SENSORS;
	for (size_t i = 0; i < d->q.n_sensors; i++)
		d->q.sensors[i][sizeof(d->q.sensors[i]) - 1] = '\0';
	l.d = d;
	uint64_t n_sel = 0;
	if ((r = load_range(db, &d->q, true, &d->db_connections, &d->db_first_ns, &d->db_last_ns, err, errlen)) < 0 ||
	    (r = load_range(db, &d->q, false, &n_sel, &d->first_ns, &d->last_ns, err, errlen)) < 0)
		goto fail;
	if (n_sel) {
		/* the span of hostile times may be anything up to 2^64-1: the bucket width never reaches 0 */
		uint64_t span = ta_span_u64(d->first_ns, d->last_ns);
		d->n_buckets = REP_TIMELINE_BUCKETS;
		d->bucket_ns = (int64_t)ta_min_u64(span / REP_TIMELINE_BUCKETS + 1, INT64_MAX);
		/* first + i * width, at most last: the product alone may not fit int64 although the sum does */
		for (size_t i = 0; i < d->n_buckets; i++) {
			uint64_t off = ta_min_u64((uint64_t)i * (uint64_t)d->bucket_ns, span);
			d->timeline[i].start_ns = (int64_t)((uint64_t)d->first_ns + off); /* in [first, last] */
		}
		if ((r = selected_captures(db, &d->q, &caps, &ncaps, err, errlen)) < 0)
			goto fail;
	}
	for (size_t i = 0; i < ncaps; i++) {
		struct store_select sel = {.has_since = d->q.has_since,
					   .has_until = d->q.has_until,
					   .since_ns = d->q.since_ns,
					   .until_ns = d->q.until_ns,
					   .capture_id = caps[i]};
		if ((r = store_select_records(s, &sel, row, &l, err, errlen)) != 0) {
			if (r > 0)
				r = -ENOMEM;
			if (err && !err[0])
				store_set_err(err, errlen, "report: out of memory");
			goto fail;
		}
	}
	if ((r = load_captures(db, d, err, errlen)) < 0)
		goto fail;
	agg_sort(l.agg);
	size_t n = agg_count(l.agg);
	d->hosts = n ? calloc(n, sizeof(*d->hosts)) : NULL;
	if (n && !d->hosts) {
		r = -ENOMEM;
		store_set_err(err, errlen, "report: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct agg_host *a = agg_at(l.agg, i);
		if (!report_query_endpoint(&d->q, a->role, a->family, a->ip))
			continue;
		fill_host(&d->hosts[d->n_hosts++], a, dfind(&l, a->family, a->ip, a->role), d->q.min_level);
	}
	if (!d->connections) {
		d->first_ns = d->last_ns = 0;
		d->n_buckets = 0;
	}
	if ((r = report_load_probes(s, d, err, errlen)) < 0)
		goto fail;
	free(caps);
	load_free(&l);
	*ret = d;
	return 0;
fail:
	free(caps);
	load_free(&l);
	report_data_free(d);
	return r;
}

void report_data_free(struct rep_data *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_hosts; i++) {
		free(d->hosts[i].stacks);
		free(d->hosts[i].certs);
		free(d->hosts[i].impact);
	}
	free(d->hosts);
	free(d->captures);
	free(d->probes);
	free(d->rank);
	free(d);
}
