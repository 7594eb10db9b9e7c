/* store_report.c - the facts behind `tlsaudit report` and `tlsaudit diff` (include/tlsaudit/report_data.h).
 *
 * Design note: one pass over the selected connections, read back as records (store_select_records), feeds the
 * one aggregator (agg.h) for every count, and keeps per host and role what only a report lists - peers and SNI
 * values - in a small table of its own. The policy is applied afterwards to per-version counts, so the query
 * never depends on it. The timeline needs the time range first: one SQL aggregate over conn, with the same
 * window.
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
#include "tlsaudit/num.h"
#include "tlsaudit/report_data.h"
#include "store_internal.h"

#define COUNTED_SQL "(SELECT id FROM captures WHERE status IN ('complete', 'cut', 'running', 'terminated'))"

static const char sql_range[] = "SELECT count(*), min(ts_ns), max(ts_ns) FROM conn WHERE capture_id IN " COUNTED_SQL
				" AND (?1 IS NULL OR ts_ns >= ?1) AND (?2 IS NULL OR ts_ns < ?2)"
				" AND (?3 IS NULL OR client_id = ?3 OR server_id = ?3)";

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
};

struct load {
	struct rep_data *d;
	struct agg *agg;
	struct details *v;
	size_t n, cap;
	uint32_t *slot;
	size_t nslots;
	bool host_filter;
	uint8_t host_family;
	uint8_t host_ip[16];
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

static struct details *dget(struct load *l, uint8_t family, const uint8_t ip[16], uint8_t role)
{
	if ((l->n + 1) * 2 > l->nslots && dgrow(l) < 0)
		return NULL;
	size_t k = dkey(family, ip, role) & (l->nslots - 1);
	while (l->slot[k]) {
		struct details *x = &l->v[l->slot[k] - 1];
		if (x->family == family && x->role == role && memcmp(x->ip, ip, 16) == 0)
			return x;
		k = (k + 1) & (l->nslots - 1);
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct details *nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = nc;
	}
	struct details *x = &l->v[l->n];
	memset(x, 0, sizeof(*x));
	x->family = family;
	memcpy(x->ip, ip, 16);
	x->role = role;
	l->slot[k] = (uint32_t)++l->n;
	return x;
}

static void ip_text(uint8_t family, const uint8_t ip[16], char out[48])
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, out, 48))
		snprintf(out, 48, "?");
}

static void add_peer(struct details *x, uint8_t family, const uint8_t ip[16], uint16_t port, bool established)
{
	char text[48];
	ip_text(family, ip, text);
	struct rep_peer *p = NULL;
	for (size_t i = 0; i < x->n_peers; i++)
		if (x->peers[i].port == port && strcmp(x->peers[i].ip, text) == 0)
			p = &x->peers[i];
	if (!p) {
		if (x->n_peers == REP_MAX_PEERS) {
			x->other_peer_connections++;
			return;
		}
		p = &x->peers[x->n_peers++];
		memset(p, 0, sizeof(*p));
		snprintf(p->ip, sizeof(p->ip), "%s", text);
		p->port = port;
	}
	p->connections++;
	if (established)
		p->established++;
	else
		p->failed++;
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

static bool is_old(const struct ta_conn *c, uint16_t min_level)
{
	uint16_t maxl = c->hello ? tls_version_rank(c->hello->max_version) : 0;
	uint16_t negl = tls_version_rank(c->negotiated_version);
	return (maxl && maxl < min_level) || (negl && negl < min_level);
}

static int row(const struct ta_conn *c, void *ctx)
{
	struct load *l = ctx;
	struct rep_data *d = l->d;

	if (l->host_filter && (c->family != l->host_family || (memcmp(c->client_ip, l->host_ip, 16) != 0 &&
							       memcmp(c->server_ip, l->host_ip, 16) != 0)))
		return 0;
	d->connections++;
	if (d->n_buckets) {
		uint64_t off = ta_span_u64(d->first_ns, c->ts_ns) / (uint64_t)d->bucket_ns;
		size_t b = off >= d->n_buckets ? d->n_buckets - 1 : (size_t)off;
		d->timeline[b].connections++;
		if (is_old(c, d->q.min_level))
			d->timeline[b].old++;
	}
	if (agg_add(l->agg, c) < 0)
		return -ENOMEM;
	bool established = c->outcome == OUT_ESTABLISHED;
	for (int role = 0; role < 2; role++) {
		const uint8_t *ip = role == 0 ? c->client_ip : c->server_ip;
		struct details *x = dget(l, c->family, ip, (uint8_t)role);
		if (!x)
			return -ENOMEM;
		if (role == 0)
			add_peer(x, c->family, c->server_ip, c->server_port, established);
		else
			add_peer(x, c->family, c->client_ip, 0, established);
		add_sni(x, c->sni);
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

/* The time range of the selected connections (window and host) sets the timeline's buckets. */
static int load_range(sqlite3 *db, struct rep_data *d, const struct load *l, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t host = -1; /* no such host: nothing selected */
	int rc;
	if (l->host_filter && l->host_family) {
		rc = sqlite3_prepare_v2(db, "SELECT id FROM hosts WHERE addr = ?1", -1, &st, NULL);
		if (rc != SQLITE_OK)
			return store_db_err(db, rc, "look up host", err, errlen);
		sqlite3_bind_blob(st, 1, l->host_ip, l->host_family == 6 ? 16 : 4, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			host = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	rc = sqlite3_prepare_v2(db, sql_range, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare report range", err, errlen);
	bind_window(st, &d->q);
	if (l->host_filter)
		sqlite3_bind_int64(st, 3, host);
	uint64_t n = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = (uint64_t)sqlite3_column_int64(st, 0);
		d->first_ns = sqlite3_column_int64(st, 1);
		d->last_ns = sqlite3_column_int64(st, 2);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_err(db, rc, "report range", err, errlen);
	if (n == 0)
		return 0;
	/* the span of hostile times may be anything up to 2^64-1: the bucket width never reaches 0 */
	uint64_t span = ta_span_u64(d->first_ns, d->last_ns);
	d->n_buckets = REP_TIMELINE_BUCKETS;
	d->bucket_ns = (int64_t)ta_min_u64(span / REP_TIMELINE_BUCKETS + 1, INT64_MAX);
	/* first + i * width, at most last: the product alone may not fit int64 although the sum does */
	for (size_t i = 0; i < d->n_buckets; i++) {
		uint64_t off = ta_min_u64((uint64_t)i * (uint64_t)d->bucket_ns, span);
		d->timeline[i].start_ns = (int64_t)((uint64_t)d->first_ns + off); /* in [first, last] */
	}
	return 0;
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
		struct rep_capture *c = &d->captures[d->n_captures++];
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
	}
	if (rc != SQLITE_DONE)
		ret = store_db_err(db, rc, "capture inventory", err, errlen);
out:
	sqlite3_finalize(st);
	return ret;
}

static int peer_cmp(const void *a, const void *b)
{
	const struct rep_peer *x = a, *y = b;
	if (x->connections != y->connections)
		return x->connections > y->connections ? -1 : 1;
	int c = strcmp(x->ip, y->ip);
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

/* One report row from the aggregator's counts and the row's details. */
static void fill_host(struct rep_host *h, const struct agg_host *a, const struct details *x, uint16_t min_level)
{
	const struct agg_counts *n = &a->n;
	memset(h, 0, sizeof(*h));
	h->family = a->family;
	ip_text(a->family, a->ip, h->ip);
	snprintf(h->role, sizeof(h->role), "%s", a->role == AGG_CLIENT ? "client" : "server");
	h->connections = n->connections;
	h->established = n->established;
	h->failed = n->failed + n->unknown;
	h->max_offered = n->max_offered;
	h->min_offered = n->min_offered;
	h->max_negotiated = n->max_negotiated;
	h->min_negotiated = n->min_negotiated;
	for (int v = 0; v < AGG_V_COUNT; v++)
		h->by_version[rep_col((enum agg_vcol)v)] += n->negotiated[v];
	h->old_offered = agg_sum_below(n->offered_max, min_level);
	h->old_offered_failed = agg_sum_below(n->offered_max_failed, min_level);
	h->old_negotiated = agg_sum_below(n->negotiated, min_level);
	h->offers_old = agg_sum_below(n->lowest_listed, min_level);
	h->first_ns = n->first_ns;
	h->last_ns = n->last_ns;
	agg_old_times(n, min_level, &h->old_first_ns, &h->old_last_ns);
	for (size_t i = 0; i < a->n_reasons && h->n_reasons < REP_MAX_REASONS; i++) {
		char b[16];
		snprintf(h->reasons[h->n_reasons].name, sizeof(h->reasons[0].name), "%s",
			 agg_reason_name(a->reasons[i].code, b));
		h->reasons[h->n_reasons++].count = a->reasons[i].count;
	}
	h->other_reason_connections = a->other_reasons;
	if (x) {
		memcpy(h->peers, x->peers, sizeof(h->peers));
		h->n_peers = x->n_peers;
		h->other_peer_connections = x->other_peer_connections;
		memcpy(h->snis, x->snis, sizeof(h->snis));
		h->n_snis = x->n_snis;
		h->other_sni_connections = x->other_sni_connections;
		h->no_sni_connections = x->no_sni_connections;
		qsort(h->peers, h->n_peers, sizeof(h->peers[0]), peer_cmp);
		qsort(h->snis, h->n_snis, sizeof(h->snis[0]), sni_cmp);
	}
}

int report_load(struct store *s, const struct rep_query *q, struct rep_data **ret, char *err, size_t errlen)
{
	sqlite3 *db = s->db;
	struct load l;
	struct rep_data *d = calloc(1, sizeof(*d));
	int r;

	memset(&l, 0, sizeof(l));
	if (!d || agg_new(&l.agg) < 0) {
		free(d);
		store_set_err(err, errlen, "report: out of memory");
		return -ENOMEM;
	}
	d->q = *q;
	d->q.host[sizeof(d->q.host) - 1] = '\0';
	l.d = d;
	if (d->q.host[0]) {
		l.host_filter = true;
		if (inet_pton(AF_INET, d->q.host, l.host_ip) == 1)
			l.host_family = 4;
		else if (inet_pton(AF_INET6, d->q.host, l.host_ip) == 1)
			l.host_family = 6;
	}
	struct store_select sel = {
		.has_since = q->has_since, .has_until = q->has_until, .since_ns = q->since_ns, .until_ns = q->until_ns};
	if ((r = load_range(db, d, &l, err, errlen)) < 0)
		goto fail;
	uint64_t in_window = d->n_buckets ? 1 : 0;
	d->connections = 0;
	if (in_window && (r = store_select_records(s, &sel, row, &l, err, errlen)) != 0) {
		if (r > 0)
			r = -ENOMEM;
		if (err && !err[0])
			store_set_err(err, errlen, "report: out of memory");
		goto fail;
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
		if (l.host_filter && (a->family != l.host_family || memcmp(a->ip, l.host_ip, 16) != 0))
			continue;
		const struct details *x = NULL;
		if (l.nslots) {
			size_t k = dkey(a->family, a->ip, a->role) & (l.nslots - 1);
			while (l.slot[k]) {
				const struct details *c = &l.v[l.slot[k] - 1];
				if (c->family == a->family && c->role == a->role && memcmp(c->ip, a->ip, 16) == 0) {
					x = c;
					break;
				}
				k = (k + 1) & (l.nslots - 1);
			}
		}
		fill_host(&d->hosts[d->n_hosts++], a, x, d->q.min_level);
	}
	if (!d->connections) {
		d->first_ns = d->last_ns = 0;
		d->n_buckets = 0;
	}
	if ((r = report_load_probes(s, d, err, errlen)) < 0)
		goto fail;
	agg_free(l.agg);
	free(l.v);
	free(l.slot);
	*ret = d;
	return 0;
fail:
	agg_free(l.agg);
	free(l.v);
	free(l.slot);
	report_data_free(d);
	return r;
}

void report_data_free(struct rep_data *d)
{
	if (!d)
		return;
	free(d->hosts);
	free(d->captures);
	free(d->probes);
	free(d);
}
