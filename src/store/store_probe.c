/* store_probe.c - the `probes` table: attempts of `tlsaudit probe` in, per-endpoint facts for reports out, and
 * their share of `tlsaudit merge` (include/tlsaudit/store.h "probes", docs/schema.md "probes").
 *
 * Design note. A probe row is one attempt, numbers as probe.h defines them and the address in `hosts` (the same
 * row the passive connections of that address point at, so a report joins them by host). An attempt's identity
 * is (address, port, STARTTLS, time, version, sensor) - the unique index probes_attempt: adding it again (a
 * second merge of the same input) adds nothing, and an input row with that identity but other facts is a
 * conflict, counted and left out, never mixed in. Strings from the command line or the server (target, SNI,
 * detail) are bound as TEXT when they are UTF-8 without NUL, else as BLOB, and read back as bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsaudit/merge.h"
#include "tlsaudit/probe.h"
#include "tlsaudit/report_data.h"
#include "store_internal.h"

static const char sql_select[] =
	"SELECT p.ts_ns, p.sensor, p.target, h.family, h.addr, p.port, p.starttls, p.sni, p.version, p.result,"
	" p.server_version, p.cipher, p.hello_retry_request, p.alert, p.rtt_us, p.detail"
	" FROM probes p JOIN hosts h ON h.id = p.host_id";

static const char sql_order[] = " ORDER BY h.family, h.addr, p.port, p.starttls, p.sni, p.version, p.ts_ns, p.id";

static const char sql_window[] = " WHERE (?1 IS NULL OR p.ts_ns >= ?1) AND (?2 IS NULL OR p.ts_ns < ?2)";

static const char sql_same[] = " WHERE p.host_id = ?1 AND p.port = ?2 AND p.starttls = ?3 AND p.ts_ns = ?4"
			       " AND p.version = ?5 AND p.sensor = ?6";

static const char sql_insert[] =
	"INSERT INTO probes (ts_ns, sensor, target, host_id, port, starttls, sni, version, result, server_version,"
	" cipher, hello_retry_request, alert, rtt_us, detail)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

/* a column's bytes (TEXT or BLOB) into dst[cap], cut to fit, NUL-terminated; returns the length kept */
static uint16_t col_bytes(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const void *b = sqlite3_column_blob(st, i);
	size_t n = b ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, b, n);
	dst[n] = '\0';
	return (uint16_t)n;
}

static void read_row(sqlite3_stmt *st, struct store_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->ts_ns = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, p->sensor, sizeof(p->sensor));
	p->target_len = col_bytes(st, 2, p->target, sizeof(p->target));
	p->family = sqlite3_column_int(st, 3) == 6 ? 6 : 4;
	const void *a = sqlite3_column_blob(st, 4);
	size_t alen = a ? (size_t)sqlite3_column_bytes(st, 4) : 0;
	if (alen == (p->family == 6 ? 16u : 4u))
		memcpy(p->addr, a, alen);
	p->port = (uint16_t)sqlite3_column_int(st, 5);
	p->starttls = (uint8_t)sqlite3_column_int(st, 6);
	if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
		p->has_sni = true;
		p->sni_len = col_bytes(st, 7, p->sni, sizeof(p->sni));
	}
	p->version = (uint16_t)sqlite3_column_int(st, 8);
	p->result = (uint8_t)sqlite3_column_int(st, 9);
	p->server_version = (uint16_t)sqlite3_column_int(st, 10);
	if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
		p->has_cipher = true;
		p->cipher = (uint16_t)sqlite3_column_int(st, 11);
	}
	p->hello_retry_request = sqlite3_column_int(st, 12) != 0;
	if (sqlite3_column_type(st, 13) != SQLITE_NULL) {
		int64_t al = sqlite3_column_int64(st, 13);
		p->has_alert = true;
		p->alert_desc = (uint8_t)(al & 255);
		p->alert_level = (uint8_t)((al >> 8) & 255);
		p->alert_sender = (uint8_t)((al >> 16) != 0);
	}
	if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
		int64_t r = sqlite3_column_int64(st, 14);
		p->has_rtt = true;
		p->rtt_us = r < 0 ? 0 : r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
	}
	if (sqlite3_column_type(st, 15) != SQLITE_NULL)
		p->detail_len = col_bytes(st, 15, p->detail, sizeof(p->detail));
}

static bool same_probe(const struct store_probe *a, const struct store_probe *b)
{
	return a->ts_ns == b->ts_ns && strcmp(a->sensor, b->sensor) == 0 && a->target_len == b->target_len &&
	       memcmp(a->target, b->target, a->target_len) == 0 && a->family == b->family &&
	       memcmp(a->addr, b->addr, 16) == 0 && a->port == b->port && a->starttls == b->starttls &&
	       a->has_sni == b->has_sni && a->sni_len == b->sni_len && memcmp(a->sni, b->sni, a->sni_len) == 0 &&
	       a->version == b->version && a->result == b->result && a->server_version == b->server_version &&
	       a->has_cipher == b->has_cipher && (!a->has_cipher || a->cipher == b->cipher) &&
	       a->hello_retry_request == b->hello_retry_request && a->has_alert == b->has_alert &&
	       (!a->has_alert || (a->alert_desc == b->alert_desc && a->alert_level == b->alert_level &&
				  a->alert_sender == b->alert_sender)) &&
	       a->has_rtt == b->has_rtt && (!a->has_rtt || a->rtt_us == b->rtt_us) && a->detail_len == b->detail_len &&
	       memcmp(a->detail, b->detail, a->detail_len) == 0;
}

/* ---- writing ---- */

struct putter {
	sqlite3 *db;
	sqlite3_stmt *host_ins, *host_sel, *same, *ins;
};

static void putter_free(struct putter *w)
{
	sqlite3_finalize(w->host_ins);
	sqlite3_finalize(w->host_sel);
	sqlite3_finalize(w->same);
	sqlite3_finalize(w->ins);
}

static int putter_init(struct putter *w, sqlite3 *db, char *err, size_t errlen)
{
	char same[1024];
	memset(w, 0, sizeof(*w));
	w->db = db;
	snprintf(same, sizeof(same), "%s%s", sql_select, sql_same);
	int rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO hosts (family, addr, ip) VALUES (?1, ?2, ?3)", -1,
				    &w->host_ins, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT id FROM hosts WHERE addr = ?1", -1, &w->host_sel, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, same, -1, &w->same, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql_insert, -1, &w->ins, NULL);
	if (rc != SQLITE_OK) {
		int r = store_db_err(db, rc, "prepare probe statements", err, errlen);
		putter_free(w);
		return r;
	}
	return 0;
}

static int host_of(struct putter *w, const struct store_probe *p, int64_t *ret, char *err, size_t errlen)
{
	char text[INET6_ADDRSTRLEN];
	int alen = p->family == 6 ? 16 : 4;
	if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	sqlite3_bind_int(w->host_ins, 1, p->family);
	sqlite3_bind_blob(w->host_ins, 2, p->addr, alen, SQLITE_TRANSIENT);
	sqlite3_bind_text(w->host_ins, 3, text, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(w->host_ins);
	sqlite3_reset(w->host_ins);
	if (rc != SQLITE_DONE)
		return store_db_err(w->db, rc, "insert host", err, errlen);
	sqlite3_bind_blob(w->host_sel, 1, p->addr, alen, SQLITE_TRANSIENT);
	rc = sqlite3_step(w->host_sel);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(w->host_sel, 0);
	sqlite3_reset(w->host_sel);
	return rc == SQLITE_ROW
		       ? 0
		       : store_db_err(w->db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "look up host", err, errlen);
}

enum put_result { PUT_ADDED, PUT_KNOWN, PUT_CONFLICT };

static int put(struct putter *w, const struct store_probe *p, enum put_result *ret, char *err, size_t errlen)
{
	int64_t host = 0;
	int r = host_of(w, p, &host, err, errlen);
	if (r < 0)
		return r;
	sqlite3_stmt *st = w->same;
	sqlite3_bind_int64(st, 1, host);
	sqlite3_bind_int(st, 2, p->port);
	sqlite3_bind_int(st, 3, p->starttls);
	sqlite3_bind_int64(st, 4, p->ts_ns);
	sqlite3_bind_int(st, 5, p->version);
	sqlite3_bind_text(st, 6, p->sensor, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct store_probe have;
		read_row(st, &have);
		sqlite3_reset(st);
		*ret = same_probe(&have, p) ? PUT_KNOWN : PUT_CONFLICT;
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_db_err(w->db, rc, "look up probe", err, errlen);
	st = w->ins;
	sqlite3_bind_int64(st, 1, p->ts_ns);
	sqlite3_bind_text(st, 2, p->sensor, -1, SQLITE_TRANSIENT);
	store_bind_wire_text(st, 3, p->target, p->target_len);
	sqlite3_bind_int64(st, 4, host);
	sqlite3_bind_int(st, 5, p->port);
	sqlite3_bind_int(st, 6, p->starttls);
	if (p->has_sni)
		store_bind_wire_text(st, 7, p->sni, p->sni_len);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int(st, 8, p->version);
	sqlite3_bind_int(st, 9, p->result);
	if (p->server_version)
		sqlite3_bind_int(st, 10, p->server_version);
	else
		sqlite3_bind_null(st, 10);
	if (p->has_cipher)
		sqlite3_bind_int(st, 11, p->cipher);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_int(st, 12, p->hello_retry_request);
	if (p->has_alert)
		sqlite3_bind_int64(st, 13,
				   (int64_t)(p->alert_sender ? 1 : 0) << 16 | (int64_t)p->alert_level << 8 |
					   p->alert_desc);
	else
		sqlite3_bind_null(st, 13);
	if (p->has_rtt)
		sqlite3_bind_int64(st, 14, p->rtt_us);
	else
		sqlite3_bind_null(st, 14);
	if (p->detail_len)
		store_bind_wire_text(st, 15, p->detail, p->detail_len);
	else
		sqlite3_bind_null(st, 15);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return store_db_err(w->db, rc, "insert probe", err, errlen);
	*ret = PUT_ADDED;
	return 0;
}

int store_probe_add(struct store *s, const struct store_probe *p, size_t n, char *err, size_t errlen)
{
	struct putter w;
	if (s->mode != STORE_RW || s->writer_active) {
		store_set_err(err, errlen, "%s: probes are written through a read-write store without a writer",
			      s->path);
		return -EINVAL;
	}
	int r = putter_init(&w, s->db, err, errlen);
	if (r < 0)
		return r;
	if ((r = store_exec(s->db, "BEGIN IMMEDIATE", "begin probe insert", err, errlen)) < 0)
		goto out;
	for (size_t i = 0; i < n && r == 0; i++) {
		enum put_result pr;
		r = put(&w, &p[i], &pr, err, errlen);
	}
	if (r == 0)
		r = store_exec(s->db, "COMMIT", "commit probes", err, errlen);
	if (r < 0 && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
out:
	putter_free(&w);
	return r;
}

static bool have_table(struct store *s)
{
	int64_t have = 0;
	char e[8];
	return store_query_int(s->db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'probes'",
			       &have, e, sizeof(e)) == 0 &&
	       have;
}

int store_probe_check(struct store *s, char *err, size_t errlen)
{
	if (have_table(s))
		return 0;
	store_set_err(err, errlen,
		      "%s: no probes table (a schema-3 database written by a build from before schema 3 had one):"
		      " probe into another database",
		      s->path);
	return -EINVAL;
}

/* ---- reading ---- */

int store_probe_foreach(struct store *s, const struct store_select *sel, store_probe_cb cb, void *ctx, char *err,
			size_t errlen)
{
	char sql[1024];
	sqlite3_stmt *st = NULL;
	snprintf(sql, sizeof(sql), "%s%s%s", sql_select, sql_window, sql_order);
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(s->db, rc, "read probes", err, errlen);
	if (sel && sel->has_since)
		sqlite3_bind_int64(st, 1, sel->since_ns);
	if (sel && sel->has_until)
		sqlite3_bind_int64(st, 2, sel->until_ns);
	int r = 0;
	struct store_probe *p = malloc(sizeof(*p));
	if (!p) {
		sqlite3_finalize(st);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, p);
		if ((r = cb(p, ctx)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_db_err(s->db, rc, "read probes", err, errlen);
	free(p);
	sqlite3_finalize(st);
	return r;
}

/* ---- merge ---- */

struct merge_ctx {
	struct putter w;
	struct merge_stats *ms;
	char *err;
	size_t errlen;
	int ret;
};

static int merge_row(const struct store_probe *p, void *ctx)
{
	struct merge_ctx *m = ctx;
	enum put_result pr;
	int r = put(&m->w, p, &pr, m->err, m->errlen);
	if (r < 0) {
		m->ret = r;
		return 1;
	}
	if (pr == PUT_ADDED)
		m->ms->probes_added++;
	else if (pr == PUT_KNOWN)
		m->ms->probes_known++;
	else
		m->ms->probes_conflict++;
	return 0;
}

int store_probe_merge(struct store *out, struct store *in, struct merge_stats *ms, char *err, size_t errlen)
{
	struct merge_ctx m = {.ms = ms, .err = err, .errlen = errlen, .ret = 0};
	int r = putter_init(&m.w, out->db, err, errlen);
	if (r < 0)
		return r;
	if ((r = store_exec(out->db, "BEGIN IMMEDIATE", "begin probe merge", err, errlen)) == 0) {
		r = store_probe_foreach(in, NULL, merge_row, &m, err, errlen);
		if (m.ret < 0)
			r = m.ret;
		if (r == 0)
			r = store_exec(out->db, "COMMIT", "commit probe merge", err, errlen);
		if (r < 0 && !sqlite3_get_autocommit(out->db))
			sqlite3_exec(out->db, "ROLLBACK", NULL, NULL, NULL);
	}
	putter_free(&m.w);
	return r;
}

/* ---- the report's probe facts ---- */

struct rload {
	struct rep_data *d;
	size_t cap;
	int ret;
};

static bool same_endpoint(const struct rep_probe *e, const struct store_probe *p, const char *ip)
{
	return e->family == p->family && strcmp(e->ip, ip) == 0 && e->port == p->port && e->starttls == p->starttls &&
	       e->has_sni == p->has_sni && e->sni_len == p->sni_len && memcmp(e->sni, p->sni, p->sni_len) == 0;
}

static void set_try(struct rep_probe_try *t, const struct store_probe *p)
{
	memset(t, 0, sizeof(*t));
	t->tried = true;
	t->version = p->version;
	t->result = p->result;
	t->server_version = p->server_version;
	t->has_cipher = p->has_cipher;
	t->cipher = p->cipher;
	t->hrr = p->hello_retry_request;
	t->has_alert = p->has_alert;
	t->alert_level = p->alert_level;
	t->alert_desc = p->alert_desc;
	t->alert_sender = p->alert_sender;
	t->has_rtt = p->has_rtt;
	t->rtt_us = p->rtt_us;
	t->ts_ns = p->ts_ns;
	t->detail_len = p->detail_len;
	memcpy(t->detail, p->detail, sizeof(t->detail));
}

static int report_row(const struct store_probe *p, void *ctx)
{
	struct rload *l = ctx;
	struct rep_data *d = l->d;
	char ip[48];
	if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	/* a probed address is a server: --role client selects none, --host and --sensor as for connections */
	if (!report_query_endpoint(&d->q, 1, p->family, p->addr) || !report_query_sensor(&d->q, p->sensor))
		return 0;
	struct rep_probe *e = d->n_probes ? &d->probes[d->n_probes - 1] : NULL;
	if (!e || !same_endpoint(e, p, ip)) {
		if (d->n_probes == l->cap) {
			size_t nc = l->cap ? l->cap * 2 : 8;
			struct rep_probe *nv = realloc(d->probes, nc * sizeof(*nv));
			if (!nv) {
				l->ret = -ENOMEM;
				return 1;
			}
			d->probes = nv;
			l->cap = nc;
		}
		e = &d->probes[d->n_probes++];
		memset(e, 0, sizeof(*e));
		e->family = p->family;
		memcpy(e->addr, p->addr, sizeof(e->addr));
		snprintf(e->ip, sizeof(e->ip), "%s", ip);
		e->port = p->port;
		e->starttls = p->starttls;
		e->has_sni = p->has_sni;
		e->sni_len = p->sni_len;
		memcpy(e->sni, p->sni, sizeof(e->sni));
	}
	/* rows come in time order within a version: the last one is the latest */
	int slot = probe_version_slot(p->version);
	struct rep_probe_try *t = slot >= 0 ? &e->tries[slot] : &e->failure;
	set_try(t, p);
	if (slot < 0)
		t->version = 0;
	if (p->ts_ns >= e->last_ns) { /* last_ns: the latest row so far (recomputed from what is shown) */
		e->last_ns = p->ts_ns;
		memcpy(e->target, p->target, sizeof(e->target));
		memcpy(e->sensor, p->sensor, sizeof(e->sensor));
	}
	return 0;
}

/* order of d->hosts: family, address bytes, role (as store_report.c builds it) */
static int host_cmp(const void *a, const void *b)
{
	const struct rep_host *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));
	return c ? c : strcmp(x->role, y->role);
}

int report_load_probes(struct store *s, struct rep_data *d, char *err, size_t errlen)
{
	struct rload l = {.d = d};
	struct store_select sel = {.has_since = d->q.has_since,
				   .has_until = d->q.has_until,
				   .since_ns = d->q.since_ns,
				   .until_ns = d->q.until_ns};
	/* a schema-3 database written before probes existed (schema 3 was not released then) has no such table:
	 * its report simply has no probes */
	if (!have_table(s))
		return 0;
	int r = store_probe_foreach(s, &sel, report_row, &l, err, errlen);
	if (l.ret < 0)
		r = l.ret;
	if (r < 0)
		return r;
	size_t added = 0;
	for (size_t i = 0; i < d->n_probes; i++) {
		struct rep_probe *e = &d->probes[i];
		e->first_ns = e->last_ns = 0;
		for (size_t k = 0; k < REP_PROBE_VERSIONS; k++) {
			const struct rep_probe_try *t = &e->tries[k];
			if (!t->tried)
				continue;
			if (t->result == PROBE_ACCEPTED)
				e->accepted |= 1u << k;
			if (!e->first_ns || t->ts_ns < e->first_ns)
				e->first_ns = t->ts_ns;
			if (t->ts_ns > e->last_ns)
				e->last_ns = t->ts_ns;
		}
		if (e->failure.tried) {
			if (!e->first_ns || e->failure.ts_ns < e->first_ns)
				e->first_ns = e->failure.ts_ns;
			if (e->failure.ts_ns > e->last_ns)
				e->last_ns = e->failure.ts_ns;
		}
		/* the address's server row: the passive one, or a new one without connections */
		struct rep_host *h = NULL;
		for (size_t k = 0; k < d->n_hosts && !h; k++)
			if (strcmp(d->hosts[k].role, "server") == 0 && d->hosts[k].family == e->family &&
			    memcmp(d->hosts[k].addr, e->addr, sizeof(e->addr)) == 0)
				h = &d->hosts[k];
		if (!h) {
			struct rep_host *nv = realloc(d->hosts, (d->n_hosts + 1) * sizeof(*nv));
			if (!nv) {
				store_set_err(err, errlen, "report: out of memory");
				return -ENOMEM;
			}
			d->hosts = nv;
			h = &d->hosts[d->n_hosts++];
			memset(h, 0, sizeof(*h));
			h->family = e->family;
			memcpy(h->addr, e->addr, sizeof(h->addr));
			snprintf(h->ip, sizeof(h->ip), "%s", e->ip);
			snprintf(h->role, sizeof(h->role), "server");
			added++;
		}
		h->probe_endpoints++;
		h->probe_accepted |= e->accepted;
		if (e->last_ns > h->probe_last_ns)
			h->probe_last_ns = e->last_ns;
	}
	if (added)
		qsort(d->hosts, d->n_hosts, sizeof(d->hosts[0]), host_cmp);
	return 0;
}
