/* store_report.c - the queries behind `tlsaudit report` and `tlsaudit diff` (include/tlsaudit/report_data.h).
 *
 * Design note: one pass over the selected connections (bound time window and host, never SQL built from data)
 * aggregates per host and role in C with a small open-addressing hash. That keeps peers, SNI values (raw bytes,
 * TEXT or BLOB) and failure reasons per host without one query per host, and the policy-relative counts
 * (offered/negotiated below --min-version) need the policy only as a bound value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsaudit/report_data.h"
#include "store_internal.h"

#define REP_WHERE                                                                                \
	" FROM connections c JOIN captures k ON k.id = c.capture_id WHERE k.status <> 'reading'" \
	" AND (?1 IS NULL OR c.ts_ns >= ?1) AND (?2 IS NULL OR c.ts_ns < ?2)"                    \
	" AND (?3 IS NULL OR c.client_ip = ?3 OR c.server_ip = ?3)"

static const char sql_range[] = "SELECT count(*), min(c.ts_ns), max(c.ts_ns)" REP_WHERE;

enum {
	RC_TS,
	RC_LAST,
	RC_FAMILY,
	RC_CIP,
	RC_CPORT,
	RC_SIP,
	RC_SPORT,
	RC_SNI,
	RC_MAXL,
	RC_SV,
	RC_NEGL,
	RC_OUTCOME,
	RC_ALERT,
	RC_EST
};
static const char sql_conns[] =
	"SELECT c.ts_ns, c.last_ns, c.family, c.client_ip, c.client_port, c.server_ip,"
	" c.server_port, c.sni, c.client_max_level, c.client_supported_versions_id,"
	" c.negotiated_level, c.outcome, c.alert, c.established" REP_WHERE " ORDER BY c.ts_ns, c.capture_id, c.seq";

#define STAT_COL(name, desc) ", " #name
static const char sql_captures[] =
	"SELECT id, coalesce(sha256, ''), path, sensor, format, linktypes, file_bytes, packets, first_ns, last_ns,"
	" status, warnings, (SELECT count(*) FROM connections WHERE capture_id = captures.id)" TA_STATS_FIELDS(
		STAT_COL) " FROM captures WHERE (?1 IS NULL OR last_ns >= ?1) AND (?2 IS NULL OR first_ns < ?2)"
			  " ORDER BY id";
#undef STAT_COL

/* ---- host table ------------------------------------------------------------------------------ */

struct host_table {
	struct rep_host *v;
	size_t n, cap;
	uint32_t *slot; /* index + 1, 0 = empty */
	size_t nslots;	/* power of two */
};

static uint64_t hash_key(const char *ip, const char *role)
{
	uint64_t h = 1469598103934665603u;
	for (const char *p = ip; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211u;
	h = (h ^ (uint8_t)role[0]) * 1099511628211u;
	return h;
}

static int table_grow(struct host_table *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 256;
	uint32_t *slot = calloc(ns, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = hash_key(t->v[i].ip, t->v[i].role) & (ns - 1);
		while (slot[k])
			k = (k + 1) & (ns - 1);
		slot[k] = (uint32_t)(i + 1);
	}
	free(t->slot);
	t->slot = slot;
	t->nslots = ns;
	return 0;
}

/* The host row for (ip, role), created on first use; NULL when out of memory. */
static struct rep_host *table_get(struct host_table *t, uint8_t family, const char *ip, const char *role)
{
	if ((t->n + 1) * 2 > t->nslots && table_grow(t) < 0)
		return NULL;
	size_t k = hash_key(ip, role) & (t->nslots - 1);
	while (t->slot[k]) {
		struct rep_host *h = &t->v[t->slot[k] - 1];
		if (strcmp(h->ip, ip) == 0 && strcmp(h->role, role) == 0)
			return h;
		k = (k + 1) & (t->nslots - 1);
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct rep_host *nv = realloc(t->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = nc;
	}
	struct rep_host *h = &t->v[t->n];
	memset(h, 0, sizeof(*h));
	h->family = family;
	snprintf(h->ip, sizeof(h->ip), "%s", ip);
	snprintf(h->role, sizeof(h->role), "%s", role);
	t->slot[k] = (uint32_t)++t->n;
	return h;
}

/* ---- one connection -------------------------------------------------------------------------- */

struct conn {
	int64_t ts_ns, last_ns;
	uint8_t family;
	const char *cip, *sip;
	uint16_t cport, sport;
	const void *sni; /* NULL = no server_name */
	size_t sni_len;
	uint16_t max_level, neg_level;
	bool offers_old, established, old;
	const char *reason; /* NULL when established */
};

static enum rep_vcol version_col(uint16_t level)
{
	switch (level) {
	case 0: return REP_V_NONE;
	case 0x0002: return REP_V_SSL2;
	case 0x0300: return REP_V_SSL3;
	case 0x0301: return REP_V_TLS10;
	case 0x0302: return REP_V_TLS11;
	case 0x0303: return REP_V_TLS12;
	case 0x0304: return REP_V_TLS13;
	default: return REP_V_OTHER;
	}
}

/* Does the "0x0304,0x0303,0x0301" list name a version below min? (TLS 1.3 drafts are 0x7Fxx, above.) */
static bool list_has_below(const char *s, uint16_t min)
{
	while (s && *s) {
		char *end;
		unsigned long v = strtoul(s, &end, 16);
		if (end == s)
			return false;
		if (v >= 0x0002 && v < min)
			return true;
		s = *end == ',' ? end + 1 : NULL;
	}
	return false;
}

static void add_peer(struct rep_host *h, const char *ip, uint16_t port, const struct conn *c)
{
	struct rep_peer *p = NULL;
	for (size_t i = 0; i < h->n_peers; i++)
		if (h->peers[i].port == port && strcmp(h->peers[i].ip, ip) == 0)
			p = &h->peers[i];
	if (!p) {
		if (h->n_peers == REP_MAX_PEERS) {
			h->other_peer_connections++;
			return;
		}
		p = &h->peers[h->n_peers++];
		memset(p, 0, sizeof(*p));
		snprintf(p->ip, sizeof(p->ip), "%s", ip);
		p->port = port;
	}
	p->connections++;
	if (c->established)
		p->established++;
	else
		p->failed++;
}

static void add_sni(struct rep_host *h, const struct conn *c)
{
	if (!c->sni) {
		h->no_sni_connections++;
		return;
	}
	size_t n = c->sni_len > REC_MAX_SNI ? REC_MAX_SNI : c->sni_len;
	for (size_t i = 0; i < h->n_snis; i++)
		if (h->snis[i].len == n && memcmp(h->snis[i].bytes, c->sni, n) == 0) {
			h->snis[i].connections++;
			return;
		}
	if (h->n_snis == REP_MAX_SNIS) {
		h->other_sni_connections++;
		return;
	}
	struct rep_sni *s = &h->snis[h->n_snis++];
	memset(s, 0, sizeof(*s));
	s->len = (uint16_t)n;
	if (n)
		memcpy(s->bytes, c->sni, n);
	s->connections = 1;
}

static void add_reason(struct rep_host *h, const char *name)
{
	for (size_t i = 0; i < h->n_reasons; i++)
		if (strcmp(h->reasons[i].name, name) == 0) {
			h->reasons[i].count++;
			return;
		}
	if (h->n_reasons == REP_MAX_REASONS) {
		h->other_reason_connections++;
		return;
	}
	snprintf(h->reasons[h->n_reasons].name, sizeof(h->reasons[0].name), "%s", name);
	h->reasons[h->n_reasons++].count = 1;
}

static void add_conn(struct rep_host *h, const struct conn *c, bool as_client)
{
	if (h->connections == 0 || c->ts_ns < h->first_ns)
		h->first_ns = c->ts_ns;
	if (h->connections == 0 || c->last_ns > h->last_ns)
		h->last_ns = c->last_ns;
	h->connections++;
	if (c->established)
		h->established++;
	else
		h->failed++;
	if (c->max_level) {
		if (c->max_level > h->max_offered)
			h->max_offered = c->max_level;
		if (!h->min_offered || c->max_level < h->min_offered)
			h->min_offered = c->max_level;
	}
	if (c->neg_level) {
		if (c->neg_level > h->max_negotiated)
			h->max_negotiated = c->neg_level;
		if (!h->min_negotiated || c->neg_level < h->min_negotiated)
			h->min_negotiated = c->neg_level;
	}
	h->by_version[version_col(c->neg_level)]++;
	if (c->old) {
		if (h->old_first_ns == 0 || c->ts_ns < h->old_first_ns)
			h->old_first_ns = c->ts_ns;
		if (c->last_ns > h->old_last_ns)
			h->old_last_ns = c->last_ns;
	}
	if (c->reason)
		add_reason(h, c->reason);
	if (as_client)
		add_peer(h, c->sip, c->sport, c);
	else
		add_peer(h, c->cip, 0, c);
	add_sni(h, c);
}

/* ---- loading --------------------------------------------------------------------------------- */

static void bind_query(sqlite3_stmt *st, const struct rep_query *q)
{
	if (q->has_since)
		sqlite3_bind_int64(st, 1, q->since_ns);
	if (q->has_until)
		sqlite3_bind_int64(st, 2, q->until_ns);
	if (q->host[0])
		sqlite3_bind_text(st, 3, q->host, -1, SQLITE_TRANSIENT);
}

static const char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

static int load_range(sqlite3 *db, struct rep_data *d, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql_range, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare report range", err, errlen);
	bind_query(st, &d->q);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		d->connections = (uint64_t)sqlite3_column_int64(st, 0);
		d->first_ns = sqlite3_column_int64(st, 1);
		d->last_ns = sqlite3_column_int64(st, 2);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_err(db, rc, "report range", err, errlen);
	if (d->connections == 0)
		return 0;
	int64_t span = d->last_ns - d->first_ns;
	d->n_buckets = REP_TIMELINE_BUCKETS;
	d->bucket_ns = span / REP_TIMELINE_BUCKETS + 1;
	for (size_t i = 0; i < d->n_buckets; i++)
		d->timeline[i].start_ns = d->first_ns + (int64_t)i * d->bucket_ns;
	return 0;
}

static int load_conns(sqlite3 *db, struct rep_data *d, struct host_table *t, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql_conns, -1, &st, NULL);
	int ret = 0;
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare report query", err, errlen);
	bind_query(st, &d->q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct conn c;
		memset(&c, 0, sizeof(c));
		c.ts_ns = sqlite3_column_int64(st, RC_TS);
		c.last_ns = sqlite3_column_int64(st, RC_LAST);
		c.family = (uint8_t)sqlite3_column_int(st, RC_FAMILY);
		c.cip = col_str(st, RC_CIP);
		c.sip = col_str(st, RC_SIP);
		c.cport = (uint16_t)sqlite3_column_int(st, RC_CPORT);
		c.sport = (uint16_t)sqlite3_column_int(st, RC_SPORT);
		if (sqlite3_column_type(st, RC_SNI) != SQLITE_NULL) {
			c.sni = sqlite3_column_blob(st, RC_SNI);
			c.sni_len = (size_t)sqlite3_column_bytes(st, RC_SNI);
			if (!c.sni)
				c.sni = "";
		}
		c.max_level = (uint16_t)sqlite3_column_int(st, RC_MAXL);
		c.neg_level = (uint16_t)sqlite3_column_int(st, RC_NEGL);
		c.offers_old = list_has_below((const char *)sqlite3_column_text(st, RC_SV), d->q.min_level);
		c.established = sqlite3_column_int(st, RC_EST) != 0;
		const char *outcome = col_str(st, RC_OUTCOME);
		if (strcmp(outcome, "established") != 0) {
			c.established = false;
			c.reason = strcmp(outcome, "alert") == 0 && sqlite3_column_type(st, RC_ALERT) != SQLITE_NULL
					   ? col_str(st, RC_ALERT)
					   : outcome;
		} else {
			c.established = true;
		}
		bool max_old = c.max_level && c.max_level < d->q.min_level;
		bool neg_old = c.neg_level && c.neg_level < d->q.min_level;
		c.old = max_old || neg_old;
		/* col_str pointers stay valid until the next step: copy before another column conversion */
		char cip[48], sip[48];
		snprintf(cip, sizeof(cip), "%s", c.cip);
		snprintf(sip, sizeof(sip), "%s", c.sip);
		c.cip = cip;
		c.sip = sip;
		if (d->n_buckets) {
			size_t b = (size_t)((c.ts_ns - d->first_ns) / d->bucket_ns);
			if (b >= d->n_buckets)
				b = d->n_buckets - 1;
			d->timeline[b].connections++;
			if (c.old)
				d->timeline[b].old++;
		}
		for (int role = 0; role < 2; role++) {
			const char *ip = role == 0 ? cip : sip;
			if (d->q.host[0] && strcmp(d->q.host, ip) != 0)
				continue;
			struct rep_host *h = table_get(t, c.family, ip, role == 0 ? "client" : "server");
			if (!h) {
				store_set_err(err, errlen, "report: out of memory");
				ret = -ENOMEM;
				goto out;
			}
			add_conn(h, &c, role == 0);
			if (max_old) {
				h->old_offered++;
				if (!c.established)
					h->old_offered_failed++;
			}
			if (neg_old)
				h->old_negotiated++;
			if (c.offers_old)
				h->offers_old++;
		}
	}
	if (rc != SQLITE_DONE)
		ret = store_db_err(db, rc, "report query", err, errlen);
out:
	sqlite3_finalize(st);
	return ret;
}

static int load_captures(sqlite3 *db, struct rep_data *d, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int ret = 0;
	int rc = sqlite3_prepare_v2(db, sql_captures, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare capture inventory", err, errlen);
	bind_query(st, &d->q);
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
		col_copy(st, i++, c->sha256, sizeof(c->sha256));
		col_copy(st, i++, c->path, sizeof(c->path));
		col_copy(st, i++, c->sensor, sizeof(c->sensor));
		col_copy(st, i++, c->format, sizeof(c->format));
		col_copy(st, i++, c->linktypes, sizeof(c->linktypes));
		c->file_bytes = (uint64_t)sqlite3_column_int64(st, i++);
		c->packets = (uint64_t)sqlite3_column_int64(st, i++);
		c->first_ns = sqlite3_column_int64(st, i++);
		c->last_ns = sqlite3_column_int64(st, i++);
		col_copy(st, i++, c->status, sizeof(c->status));
		col_copy(st, i++, c->warnings, sizeof(c->warnings));
		c->connections = (uint64_t)sqlite3_column_int64(st, i++);
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

/* family, then address bytes, then role: 10.0.0.5 before 10.0.0.10 */
static int host_cmp(const void *a, const void *b)
{
	const struct rep_host *x = a, *y = b;
	uint8_t ax[16] = {0}, ay[16] = {0};
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	inet_pton(x->family == 6 ? AF_INET6 : AF_INET, x->ip, ax);
	inet_pton(y->family == 6 ? AF_INET6 : AF_INET, y->ip, ay);
	int c = memcmp(ax, ay, sizeof(ax));
	if (c)
		return c;
	c = strcmp(x->ip, y->ip);
	return c ? c : strcmp(x->role, y->role);
}

static int peer_cmp(const void *a, const void *b)
{
	const struct rep_peer *x = a, *y = b;
	if (x->connections != y->connections)
		return x->connections > y->connections ? -1 : 1;
	int c = strcmp(x->ip, y->ip);
	return c ? c : (x->port > y->port) - (x->port < y->port);
}

static int reason_cmp(const void *a, const void *b)
{
	const struct rep_reason *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
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

int report_load(struct store *s, const struct rep_query *q, struct rep_data **ret, char *err, size_t errlen)
{
	sqlite3 *db = store_db(s);
	struct host_table t = {0};
	struct rep_data *d = calloc(1, sizeof(*d));
	int r;
	if (!d) {
		store_set_err(err, errlen, "report: out of memory");
		return -ENOMEM;
	}
	d->q = *q;
	d->q.host[sizeof(d->q.host) - 1] = '\0';
	if ((r = store_commit(s, err, errlen)) < 0 || (r = load_range(db, d, err, errlen)) < 0 ||
	    (r = load_conns(db, d, &t, err, errlen)) < 0 || (r = load_captures(db, d, err, errlen)) < 0) {
		free(t.v);
		free(t.slot);
		report_data_free(d);
		return r;
	}
	free(t.slot);
	d->hosts = t.v;
	d->n_hosts = t.n;
	for (size_t i = 0; i < d->n_hosts; i++) {
		struct rep_host *h = &d->hosts[i];
		qsort(h->peers, h->n_peers, sizeof(h->peers[0]), peer_cmp);
		qsort(h->reasons, h->n_reasons, sizeof(h->reasons[0]), reason_cmp);
		qsort(h->snis, h->n_snis, sizeof(h->snis[0]), sni_cmp);
	}
	if (d->n_hosts)
		qsort(d->hosts, d->n_hosts, sizeof(d->hosts[0]), host_cmp);
	*ret = d;
	return 0;
}

void report_data_free(struct rep_data *d)
{
	if (!d)
		return;
	free(d->hosts);
	free(d->captures);
	free(d);
}
