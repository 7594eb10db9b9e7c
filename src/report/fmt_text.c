/* fmt_text.c - the report for a terminal or a mail: the verdict line first, what is wrong and where, then the
 * worst host roles (--top), groups, impact, remediation, posture, the timeline and the provenance. Lines are
 * wrapped to the width the caller found (the terminal's), verdicts coloured only when asked (a TTY without
 * NO_COLOR). Every wire string goes through out_text_string, so control and escape bytes (a crafted SNI) are
 * shown as \xNN and can never drive the terminal: the only escape sequences in the output are our colours. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/names.h"
#include "tlsaudit/output.h"
#include "tlsaudit/stack.h"

#define TEXT_SNI_MAX 64 /* bytes of one SNI shown; the rest is counted */
#define WHERE_MAX    3	/* hosts named after a first-screen sentence */

struct out {
	FILE *fp;
	unsigned width;
	bool color;
	char *buf; /* the paragraph being built (memstream) */
	size_t len;
	FILE *m;
};

static const char *color_of(enum rep_verdict v)
{
	switch (v) {
	case REP_VIOLATION: return "\033[1;31m";
	case REP_AT_RISK: return "\033[1;33m";
	case REP_OK: return "\033[32m";
	default: return "\033[1;35m";
	}
}

/* ---- paragraphs: built in memory, then wrapped at spaces to the width (ESC ... m takes no columns) ---- */

static FILE *para(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->m = open_memstream(&o->buf, &o->len);
	return o->m ? o->m : o->fp; /* without memory the text is written unwrapped */
}

/* Write the paragraph: the first line after `indent` spaces, continuation lines after `hang`. */
static void end_para(struct out *o, unsigned indent, unsigned hang)
{
	if (!o->m)
		return;
	fclose(o->m);
	o->m = NULL;
	const char *s = o->buf;
	size_t n = o->len, col = 0;
	bool first = true;
	while (n && s[n - 1] == '\n')
		n--;
	while (n) {
		unsigned lead = first ? indent : hang;
		size_t avail = o->width > lead + 20 ? o->width - lead : 20;
		/* the longest prefix that fits, cut at a space */
		size_t take = 0, vis = 0, last_space = 0;
		while (take < n && s[take] != '\n') {
			if (s[take] == '\033') {
				while (take < n && s[take] != 'm')
					take++;
				take++;
				continue;
			}
			if (vis == avail)
				break;
			if (s[take] == ' ')
				last_space = take;
			vis++;
			take++;
		}
		if (take < n && s[take] != '\n' && last_space)
			take = last_space;
		fprintf(o->fp, "%*s", (int)lead, "");
		fwrite(s, 1, take, o->fp);
		fputc('\n', o->fp);
		col = 0;
		s += take;
		n -= take;
		while (n && (*s == ' ' || *s == '\n')) {
			bool nl = *s == '\n';
			s++;
			n--;
			if (nl)
				break;
		}
		first = false;
	}
	(void)col;
	free(o->buf);
	o->buf = NULL;
}

static void esc(FILE *fp, const char *s)
{
	out_text_string(fp, s, strlen(s));
}

static void verdict_word(struct out *o, FILE *fp, enum rep_verdict v, bool upper)
{
	static const char *const up[] = {[REP_OK] = "OK",	    [REP_NO_TLS] = "NO TLS SEEN",
					 [REP_AT_RISK] = "AT RISK", [REP_VIOLATION] = "VIOLATION",
					 [REP_STALE] = "STALE",	    [REP_NO_DATA] = "NO DATA"};
	if (o->color)
		fputs(color_of(v), fp);
	fputs(upper ? up[v] : report_verdict_name(v), fp);
	if (o->color)
		fputs("\033[0m", fp);
}

static void sni(FILE *fp, const struct rep_sni *s)
{
	size_t n = s->len > TEXT_SNI_MAX ? TEXT_SNI_MAX : s->len;
	out_text_string(fp, s->bytes, n);
	if (n < s->len)
		fprintf(fp, "...(%u bytes)", (unsigned)s->len);
}

static FILE *para(struct out *o);
static void end_para(struct out *o, unsigned indent, unsigned hang);

static void section(struct out *o, const char *title)
{
	fputc('\n', o->fp);
	fputs(title, para(o));
	end_para(o, 0, 2);
}

/* ---- one host role ---- */

/* what the probes of this address found (servers that were probed) */
static void probed_line(struct out *o, const struct rep_host *h)
{
	char acc[96], t[64];
	if (!h->probe_endpoints)
		return;
	rep_probe_versions_text(h->probe_accepted, acc, sizeof(acc));
	rep_ts_human(h->probe_last_ns, t);
	fprintf(para(o), "probed: accepts %s (%zu endpoint%s, latest %s; see probes)", acc, h->probe_endpoints,
		h->probe_endpoints == 1 ? "" : "s", t);
	end_para(o, 2, 6);
}

/* why it is not ok, and the hints that fix it */
static void reasons_and_fixes(struct out *o, const struct rep_data *d, const struct rep_host *h)
{
	char line[1024];
	FILE *fp;
	for (size_t i = 0; i < REP_R_COUNT; i++)
		if (h->reasons_mask & rep_reason_order[i]) {
			enum rep_level l = rep_level_of(&d->policy, rep_reason_order[i]);
			fp = para(o);
			rep_reason_text(d, h, rep_reason_order[i], line, sizeof(line));
			fprintf(fp, "%s: ", l == REP_LEVEL_INFO ? "note" : "why");
			esc(fp, line);
			end_para(o, 2, 7);
		}
	struct rep_hint_use u[REP_MAX_HOST_HINTS];
	size_t nu = report_host_hints(h, u, REP_MAX_HOST_HINTS);
	if (nu) {
		fp = para(o);
		fputs("fix: see remediation", fp);
		for (size_t i = 0; i < nu; i++) {
			bool dup = false;
			for (size_t k = 0; k < i; k++)
				dup |= u[k].hint == u[i].hint;
			if (!dup)
				fprintf(fp, "%s%s", i ? ", " : " ", u[i].hint->id);
		}
		end_para(o, 2, 7);
	}
}

static void host_block(struct out *o, const struct rep_data *d, const struct rep_host *h)
{
	char a[32], b[32], t1[64], t2[64], line[1024];
	FILE *fp;
	fputc('\n', o->fp);
	fp = para(o);
	esc(fp, h->ip);
	fprintf(fp, " as %s: ", h->role);
	verdict_word(o, fp, h->verdict, false);
	end_para(o, 0, 4);

	if (!h->connections && h->probe_endpoints) {
		fputs("  connections 0: no client was seen with it in the selected captures\n", o->fp);
		probed_line(o, h);
		reasons_and_fixes(o, d, h);
		return;
	}
	fp = para(o);
	fprintf(fp, "connections %" PRIu64 ": established %" PRIu64 ", failed %" PRIu64 ", unknown %" PRIu64,
		h->connections, h->established, h->failed, h->unknown);
	for (size_t i = 0; i < h->n_reasons; i++) {
		fputs(i ? ", " : " (", fp);
		esc(fp, h->reasons[i].name);
		fprintf(fp, " x%" PRIu64, h->reasons[i].count);
	}
	if (h->other_reason_connections)
		fprintf(fp, ", other x%" PRIu64, h->other_reason_connections);
	fputs(h->n_reasons ? ")" : "", fp);
	end_para(o, 2, 6);

	fp = para(o);
	if (h->min_offered == h->max_offered)
		fprintf(fp, "offered at most: %s;", rep_version(h->max_offered, a));
	else
		fprintf(fp, "offered at most: %s..%s;", rep_version(h->min_offered, a), rep_version(h->max_offered, b));
	fputs(" negotiated:", fp);
	int nv = 0;
	for (int v = 0; v < REP_V_COUNT; v++)
		if (h->by_version[v])
			fprintf(fp, " %s x%" PRIu64, rep_vcol_names[v], h->by_version[v]), nv++;
	end_para(o, 2, 6);

	for (size_t i = 0; i < h->n_stacks; i++) {
		fp = para(o);
		rep_stack_label(&h->stacks[i], line, sizeof(line));
		fputs("stack: ", fp);
		esc(fp, line);
		rep_stack_facts(&h->stacks[i], line, sizeof(line));
		fputs(", ", fp);
		esc(fp, line);
		end_para(o, 2, 6);
	}
	if (h->other_stack_connections) {
		fp = para(o);
		fprintf(fp, "stack: %" PRIu64 " more connections from further stacks", h->other_stack_connections);
		end_para(o, 2, 6);
	}

	fp = para(o);
	fputs("peers:", fp);
	for (size_t i = 0; i < h->n_peers; i++) {
		char p[64];
		rep_peer_text(&h->peers[i], p);
		fputs(i ? ", " : " ", fp);
		esc(fp, p);
		fprintf(fp, " x%" PRIu64, h->peers[i].connections);
		if (h->peers[i].failed)
			fprintf(fp, " (%" PRIu64 " failed)", h->peers[i].failed);
	}
	if (h->other_peer_connections)
		fprintf(fp, ", others x%" PRIu64, h->other_peer_connections);
	end_para(o, 2, 6);

	fp = para(o);
	fputs("sni:", fp);
	for (size_t i = 0; i < h->n_snis; i++) {
		fputs(i ? ", \"" : " \"", fp);
		sni(fp, &h->snis[i]);
		fprintf(fp, "\" x%" PRIu64, h->snis[i].connections);
	}
	if (h->other_sni_connections)
		fprintf(fp, ", others x%" PRIu64, h->other_sni_connections);
	if (h->no_sni_connections)
		fprintf(fp, "%s(none) x%" PRIu64, h->n_snis ? ", " : " ", h->no_sni_connections);
	end_para(o, 2, 6);

	fp = para(o);
	rep_ts_human(h->first_ns, t1);
	rep_ts_human(h->last_ns, t2);
	fprintf(fp, "seen: %s to %s", t1, t2);
	if (h->old_first_ns) {
		rep_ts_human(h->old_first_ns, t1);
		rep_ts_human(h->old_last_ns, t2);
		fprintf(fp, "; old versions: %s to %s", t1, t2);
	}
	end_para(o, 2, 6);
	probed_line(o, h);
	reasons_and_fixes(o, d, h);
}

/* ---- the first screen ---- */

static void where(FILE *fp, const struct rep_data *d, const struct rep_headline *hl)
{
	size_t shown = 0, total = 0;
	for (size_t i = 0; i < d->n_hosts; i++) {
		const struct rep_host *h = rep_ranked(d, i);
		if (!rep_headline_has(hl, h))
			continue;
		if (total++ < WHERE_MAX) {
			fputs(shown++ ? ", " : ": ", fp);
			esc(fp, h->ip);
		}
	}
	if (total > shown)
		fprintf(fp, " and %zu more", total - shown);
}

static void summary_line(struct out *o, const struct rep_data *d)
{
	char t1[64], t2[64], dur[32];
	FILE *fp = para(o);
	enum rep_verdict v = report_overall(d);
	fputs("VERDICT: ", fp);
	verdict_word(o, fp, v, true);
	if (v == REP_NO_DATA) {
		rep_ts_human(d->db_first_ns, t1);
		rep_ts_human(d->db_last_ns, t2);
		fprintf(fp, " - no connection in the selection; the database holds %" PRIu64 " connection%s",
			d->db_connections, d->db_connections == 1 ? "" : "s");
		if (d->db_connections)
			fprintf(fp, " from %s to %s", t1, t2);
		end_para(o, 0, 4);
		return;
	}
	if (v == REP_STALE) {
		rep_duration(rep_age_ns(d), dur);
		rep_ts_human(rep_newest_ns(d), t1);
		fprintf(fp, " - the newest %s (%s) is %s old", d->last_ns ? "connection" : "probe", t1, dur);
		rep_duration(d->policy.max_age_ns, dur);
		fprintf(fp, ", more than --max-age %s; before that: ", dur);
		verdict_word(o, fp, rep_worst_host(d), false);
		fputs(",", fp);
	} else {
		fputs(" -", fp);
	}
	char counts[160];
	rep_ts_human(d->first_ns, t1);
	rep_ts_human(d->last_ns, t2);
	rep_verdict_counts(d, counts, sizeof(counts));
	fprintf(fp, " %s (%zu host roles, %" PRIu64 " connections, %s to %s", counts, d->n_hosts, d->connections, t1,
		t2);
	if (d->n_probes)
		fprintf(fp, "; %zu probed endpoint%s", d->n_probes, d->n_probes == 1 ? "" : "s");
	fputc(')', fp);
	end_para(o, 0, 4);
}

static void first_screen(struct out *o, const struct rep_data *d)
{
	struct rep_headline hl[REP_MAX_HEADLINES];
	size_t n = rep_headlines(d, hl, REP_MAX_HEADLINES);
	char a[32], w[256];
	if (report_overall(d) == REP_NO_DATA)
		return;
	fputc('\n', o->fp);
	enum rep_verdict worst = rep_worst_host(d);
	size_t nt = rep_host_count(d, REP_NO_TLS);
	bool fine = !n || worst == REP_OK || worst == REP_NO_TLS; /* nothing at risk or worse to say */
	if (fine) {
		rep_fine_sentence(d, w, sizeof(w));
		FILE *fp = para(o);
		fputs(w, fp);
		end_para(o, 0, 2);
	}
	for (size_t i = 0; i < n; i++) {
		FILE *fp = para(o);
		if (o->color)
			fputs(color_of(hl[i].level), fp);
		fputs(hl[i].level == REP_VIOLATION ? "! " : hl[i].level == REP_AT_RISK ? "~ " : "- ", fp);
		if (o->color)
			fputs("\033[0m", fp);
		esc(fp, hl[i].text);
		if (hl[i].reason)
			where(fp, d, &hl[i]);
		end_para(o, 0, 2);
	}
	if (!fine && nt) {
		FILE *fp = para(o);
		fprintf(fp, "- %zu host role%s showed no TLS version (%s)", nt, nt == 1 ? "" : "s", REP_NO_TLS_WHY);
		end_para(o, 0, 2);
	}
	/* what to do first: the most urgent hints (those the policy's violations call for) */
	struct rep_hint_rank hr[64];
	size_t nr = rep_hint_order(d, hr, 64), first = 0;
	for (size_t k = 0; k < nr && first < 3; k++)
		first += hr[k].violation + hr[k].at_risk > 0;
	if (first) {
		FILE *fp = para(o);
		fputs("what to do first:", fp);
		for (size_t b = 0; b < first; b++)
			fprintf(fp, "%s %s (%zu host role%s, [%s])", b ? ";" : "", hr[b].hint->action, hr[b].hosts,
				hr[b].hosts == 1 ? "" : "s", hr[b].hint->id);
		if (nr > first)
			fprintf(fp, "; %zu more under remediation", nr - first);
		end_para(o, 0, 2);
	}
	FILE *fp = para(o);
	rep_window_text(d, w, sizeof(w));
	fprintf(fp, "policy: %s or newer; selection: ", rep_version(d->policy.min_level, a));
	esc(fp, w);
	end_para(o, 0, 2);
}

/* ---- sections ---- */

static void hosts_section(struct out *o, const struct rep_data *d, const struct rep_render *r)
{
	size_t shown = d->n_hosts < r->top ? d->n_hosts : r->top;
	char title[160];
	if (shown < d->n_hosts)
		snprintf(title, sizeof(title),
			 "hosts, worst first (%zu of %zu host roles; --top N for more, --format csv"
			 " for all)",
			 shown, d->n_hosts);
	else
		snprintf(title, sizeof(title), "hosts, worst first");
	section(o, title);
	for (size_t i = 0; i < shown; i++)
		host_block(o, d, rep_ranked(d, i));
	if (shown < d->n_hosts) {
		size_t bad = 0;
		for (size_t i = shown; i < d->n_hosts; i++)
			bad += rep_ranked(d, i)->verdict != REP_OK;
		fputc('\n', o->fp);
		fprintf(para(o), "... and %zu more host roles (%zu of them not ok)", d->n_hosts - shown, bad);
		end_para(o, 0, 4);
	}
}

static void groups_section(struct out *o, const struct rep_data *d, const struct rep_render *r)
{
	size_t bad = d->n_hosts - rep_host_count(d, REP_OK);
	if (bad <= r->top)
		return;
	section(o, "where the problems are (host roles not ok, grouped)");
	for (int kind = 0; kind < 2; kind++) {
		struct rep_group *g = NULL;
		size_t n = 0;
		if (rep_groups(d, (enum rep_group_kind)kind, &g, &n) < 0 || !n) {
			free(g);
			continue;
		}
		FILE *fp = para(o);
		fputs(kind == REP_GROUP_NET ? "by network: " : "by SNI domain: ", fp);
		size_t shown = n < r->top ? n : r->top;
		for (size_t i = 0; i < shown; i++) {
			fputs(i ? "; " : "", fp);
			out_text_string(fp, g[i].key, g[i].key_len);
			fprintf(fp, " %zu (%zu violation)", g[i].hosts, g[i].violation);
		}
		if (shown < n)
			fprintf(fp, "; and %zu more", n - shown);
		end_para(o, 2, 4);
		free(g);
	}
}

static void text_esc(FILE *fp, const char *s, size_t len)
{
	out_text_string(fp, s, len);
}

static void probe_state(struct out *o, FILE *fp, const struct rep_probe *e)
{
	if (rep_probe_reached(e))
		verdict_word(o, fp, e->verdict, false);
	else
		fputs(rep_probe_state_name(e), fp);
}

static void probes_section(struct out *o, const struct rep_data *d, const struct rep_render *r)
{
	char a[96], t[64], p[32], title[256];
	if (!d->n_probes)
		return;
	size_t *order = rep_probe_order(d), shown = d->n_probes < r->top ? d->n_probes : r->top;
	snprintf(title, sizeof(title),
		 "probes (what each server accepts when asked, `tlsaudit probe`): %zu endpoint%s, %zu accept%s a"
		 " version below %s",
		 d->n_probes, d->n_probes == 1 ? "" : "s", d->n_probes - rep_probe_count(d, REP_OK),
		 d->n_probes - rep_probe_count(d, REP_OK) == 1 ? "s" : "", rep_version(d->policy.min_level, p));
	section(o, title);
	for (size_t i = 0; i < shown; i++) {
		const struct rep_probe *e = &d->probes[order ? order[i] : i];
		rep_probe_versions_text(e->accepted, a, sizeof(a));
		rep_ts_human(e->last_ns, t);
		fputc('\n', o->fp);
		FILE *fp = para(o);
		rep_probe_endpoint(fp, text_esc, e);
		fputs(": ", fp);
		probe_state(o, fp, e);
		fprintf(fp, " - accepts %s (probed %s, sensor ", a, t);
		esc(fp, e->sensor);
		fputc(')', fp);
		end_para(o, 2, 6);
		fp = para(o);
		fputs("passive: ", fp);
		rep_probe_passive(fp, text_esc, d, e);
		end_para(o, 4, 8);
		fp = para(o);
		fputs("tried: ", fp);
		rep_probe_tries(fp, text_esc, "; ", e);
		end_para(o, 4, 8);
	}
	if (shown < d->n_probes) {
		fputc('\n', o->fp);
		fprintf(para(o), "... and %zu more probed endpoints (--top N for more, --format json for all)",
			d->n_probes - shown);
		end_para(o, 0, 4);
	}
	free(order);
}

static void probes_diff(struct out *o, const struct rep_diff *d, const struct rep_render *r)
{
	struct rep_probe_pair *p = NULL;
	size_t n = rep_probe_pairs(d, true, &p), shown = n < r->top ? n : r->top;
	if (n) {
		section(o, "probes (what each server accepts when asked)");
		for (size_t i = 0; i < shown; i++) {
			const struct rep_probe *e = p[i].after ? p[i].after : p[i].before;
			FILE *fp = para(o);
			fprintf(fp, "%-9s ", report_change_name(p[i].change));
			rep_probe_endpoint(fp, text_esc, e);
			fputs(": ", fp);
			rep_probe_side(fp, text_esc, p[i].before);
			fputs(" -> ", fp);
			rep_probe_side(fp, text_esc, p[i].after);
			fputs("; verdict ", fp);
			if (p[i].before)
				verdict_word(o, fp, p[i].before->verdict, false);
			else
				fputs("-", fp);
			fputs(" -> ", fp);
			if (p[i].after)
				verdict_word(o, fp, p[i].after->verdict, false);
			else
				fputs("-", fp);
			end_para(o, 0, 10);
		}
		if (shown < n)
			fprintf(o->fp, "... and %zu more probed endpoints (--top N for more, --format json for all)\n",
				n - shown);
	}
	free(p);
}

static int impact_rank(const void *a, const void *b)
{
	const struct rep_host *x = *(const struct rep_host *const *)a, *y = *(const struct rep_host *const *)b;
	if (x->impact_clients != y->impact_clients)
		return x->impact_clients > y->impact_clients ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static void impact_section(struct out *o, const struct rep_data *d, const struct rep_render *r)
{
	char a[32], t[64];
	size_t n = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		n += d->hosts[i].impact_clients > 0;
	if (!n)
		return;
	const struct rep_host **v = malloc(n * sizeof(*v));
	if (!v)
		return;
	n = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		if (d->hosts[i].impact_clients)
			v[n++] = &d->hosts[i];
	qsort(v, n, sizeof(*v), impact_rank);
	char title[160];
	snprintf(title, sizeof(title), "impact: clients that would fail if the server required %s",
		 rep_version(d->policy.min_level, a));
	section(o, title);
	size_t shown = n < r->top ? n : r->top;
	for (size_t i = 0; i < shown; i++) {
		const struct rep_host *h = v[i];
		uint64_t works = 0;
		for (size_t k = 0; k < h->n_impact; k++)
			works += h->impact[k].established > 0;
		FILE *fp = para(o);
		esc(fp, h->ip);
		fprintf(fp,
			" as server: %" PRIu64 " client%s (%" PRIu64 " connection%s; %" PRIu64
			" of the listed clients connected successfully)",
			h->impact_clients, h->impact_clients == 1 ? "" : "s", h->impact_connections,
			h->impact_connections == 1 ? "" : "s", works);
		end_para(o, 0, 4);
		size_t per = r->top / 4 > 3 ? r->top / 4 : 3; /* clients per server: the list of servers is the point */
		size_t ks = h->n_impact < per ? h->n_impact : per;
		for (size_t k = 0; k < ks; k++) {
			const struct rep_impact *m = &h->impact[k];
			fp = para(o);
			esc(fp, m->ip);
			rep_ts_human(m->last_ns, t);
			fprintf(fp,
				" offers at most %s, x%" PRIu64 " (%" PRIu64 " established, %" PRIu64
				" failed), last %s",
				rep_version(m->max_offered, a), m->connections, m->established, m->failed, t);
			if (m->stack[0]) {
				fputs(", ", fp);
				esc(fp, m->stack);
			}
			if (m->sni_len) {
				fputs(", sni \"", fp);
				out_text_string(fp, m->sni, m->sni_len > TEXT_SNI_MAX ? TEXT_SNI_MAX : m->sni_len);
				fputc('"', fp);
			}
			end_para(o, 4, 8);
		}
		if (h->impact_clients > ks) {
			fprintf(para(o), "and %" PRIu64 " more clients (--format csv or json lists them per server)",
				h->impact_clients - ks);
			end_para(o, 4, 8);
		}
	}
	if (shown < n)
		fprintf(o->fp, "... and %zu more servers\n", n - shown);
	free(v);
}

static void snippet(struct out *o, const struct rep_snippet *s)
{
	fprintf(o->fp, "     %s:\n", s->label);
	const char *p = s->text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n)
			fputs("       ", o->fp);
		fwrite(p, 1, n, o->fp);
		fputc('\n', o->fp);
		p += n + (nl ? 1 : 0);
	}
}

/* one host role of a hint's list */
static void hint_user(void *ctx, const struct rep_host *h, size_t nth)
{
	FILE *fp = ctx;
	fputs(nth ? ", " : " ", fp);
	esc(fp, h->ip);
	fprintf(fp, " as %s", h->role);
}

static void remediation_section(struct out *o, const struct rep_data *d, const struct rep_render *r)
{
	section(o, "remediation");
	bool any = false;
	struct rep_hint_rank hr[64];
	size_t nr = rep_hint_order(d, hr, 64);
	for (size_t k = 0; k < nr; k++) {
		const struct rep_hint *hint = hr[k].hint;
		size_t total = hr[k].hosts;
		any = true;
		fputc('\n', o->fp);
		FILE *fp = para(o);
		fprintf(fp, "[%s] %s", hint->id, hint->title); /* our own text: printed as it is */
		end_para(o, 0, 2);
		fp = para(o);
		fprintf(fp, "%zu host role%s:", total, total == 1 ? "" : "s");
		struct rep_hint_users u;
		size_t shown = rep_hint_users(d, hint, r->top, hint_user, fp, &u);
		const char *const *families = u.families;
		size_t nfam = u.n_families;
		const char *win_facts = u.windows;
		if (total > shown)
			fprintf(fp, " and %zu more (--format csv lists every host role with its hints)", total - shown);
		end_para(o, 2, 4);
		char labels[8][REP_LABEL_LEN];
		size_t counts[8], nl = rep_hint_stacks(d, hint, labels, counts, 8);
		if (nl) {
			fp = para(o);
			fputs("stacks:", fp);
			for (size_t k2 = 0; k2 < nl; k2++) {
				fputs(k2 ? "; " : " ", fp);
				esc(fp, labels[k2]);
				fprintf(fp, " (%zu)", counts[k2]);
			}
			end_para(o, 2, 4);
		}
		if (win_facts[0]) {
			fp = para(o);
			fputs(win_facts, fp);
			end_para(o, 2, 4);
		}
		size_t step = 0;
		for (; step < sizeof(hint->steps) / sizeof(hint->steps[0]) && hint->steps[step]; step++) {
			fp = para(o);
			fprintf(fp, "%zu. %s", step + 1, hint->steps[step]);
			end_para(o, 2, 5);
		}
		if (hint->family && strcmp(hint->family, "*") == 0)
			for (size_t f = 0; f < nfam; f++) {
				const struct stack_family *sf = stack_family_info(families[f]);
				if (!sf)
					continue;
				fp = para(o);
				fprintf(fp, "%zu. %s: %s", ++step, report_family_label(families[f]),
					sf->version_setting);
				if (sf->old_versions)
					fprintf(fp, " %s", sf->old_versions);
				end_para(o, 2, 5);
			}
		for (size_t s = 0; s < sizeof(hint->snippets) / sizeof(hint->snippets[0]) && hint->snippets[s].text;
		     s++)
			snippet(o, &hint->snippets[s]);
	}
	if (!any)
		fputs("  nothing to change\n", o->fp);
}

static void posture_section(struct out *o, const struct rep_data *d, const struct rep_render *r)
{
	static const unsigned reasons[] = {REP_R_CERT_EXPIRED,	 REP_R_CERT_EXPIRING,	 REP_R_CERT_WEAK_KEY,
					   REP_R_CERT_SHA1,	 REP_R_CERT_SELF_SIGNED, REP_R_CIPHER_NEGOTIATED,
					   REP_R_CIPHER_OFFERED, REP_R_NDPI_RISK};
	static const char *const titles[] = {"expired certificates",	 "certificates expiring soon",
					     "short RSA keys",		 "SHA-1/MD5 signatures",
					     "self-signed certificates", "weak ciphers negotiated",
					     "weak ciphers offered",	 "nDPI risks"};
	bool header = false;
	char line[1024];
	for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
		size_t total = 0;
		for (size_t i = 0; i < d->n_hosts; i++)
			total += (d->hosts[i].reasons_mask & reasons[k]) != 0;
		if (!total)
			continue;
		if (!header)
			section(o, "posture (certificates, cipher suites, nDPI risks)");
		header = true;
		fprintf(para(o), "%s (%s): %zu host role%s", titles[k],
			report_level_name(rep_level_of(&d->policy, reasons[k])), total, total == 1 ? "" : "s");
		end_para(o, 2, 4);
		size_t shown = 0;
		for (size_t i = 0; i < d->n_hosts && shown < r->top; i++) {
			const struct rep_host *h = rep_ranked(d, i);
			if (!(h->reasons_mask & reasons[k]))
				continue;
			shown++;
			FILE *fp = para(o);
			esc(fp, h->ip);
			fprintf(fp, " as %s: ", h->role);
			rep_reason_text(d, h, reasons[k], line, sizeof(line));
			esc(fp, line);
			end_para(o, 4, 8);
		}
		if (total > shown)
			fprintf(o->fp, "    and %zu more\n", total - shown);
	}
	/* kinds the policy does not count, as one line of facts */
	uint32_t other = ~d->policy.weak_kinds & ((1u << REP_WEAK_COUNT) - 1);
	for (int w = 0; w < REP_WEAK_COUNT; w++) {
		if (!(other >> w & 1))
			continue;
		size_t srv = 0;
		for (size_t i = 0; i < d->n_hosts; i++)
			srv += strcmp(d->hosts[i].role, "server") == 0 && d->hosts[i].weak_negotiated[w].n;
		if (!srv)
			continue;
		if (!header)
			section(o, "posture (certificates, cipher suites, nDPI risks)");
		header = true;
		fprintf(para(o), "%s suites (not counted by the policy: weak_ciphers): negotiated by %zu server%s",
			report_weak_name((enum rep_weak)w), srv, srv == 1 ? "" : "s");
		end_para(o, 2, 4);
	}
}

static void timeline_section(struct out *o, const struct rep_data *d)
{
	char t1[64];
	if (!d->n_buckets)
		return;
	fputc('\n', o->fp);
	fprintf(para(o), "timeline of old-version use (%zu buckets of %.3f s; # = old, . = current)", d->n_buckets,
		(double)d->bucket_ns / 1e9);
	end_para(o, 0, 2);
	for (size_t i = 0; i < d->n_buckets; i++) {
		const struct rep_bucket *bk = &d->timeline[i];
		if (!bk->connections)
			continue;
		if (d->bucket_ns < 1000000000)
			rep_ts(bk->start_ns, t1); /* buckets under a second: their start to the microsecond */
		else
			rep_ts_human(bk->start_ns, t1);
		fprintf(o->fp, "  %s  %4" PRIu64 " of %4" PRIu64 "  ", t1, bk->old, bk->connections);
		unsigned room = o->width > 60 ? o->width - 50 : 10;
		uint64_t w = bk->connections > room ? room : bk->connections;
		uint64_t old = (bk->old * w + bk->connections - 1) / bk->connections;
		for (uint64_t x = 0; x < w; x++)
			fputc(x < old ? '#' : '.', o->fp);
		fputc('\n', o->fp);
	}
}

struct loss_ctx {
	FILE *fp;
	int n;
};

static void loss_item(void *ctx, const struct rep_counter *k, uint64_t v)
{
	struct loss_ctx *l = ctx;
	fprintf(l->fp, "%s%s %" PRIu64 " (%s)", l->n++ ? ", " : "losses: ", k->name, v, k->desc);
}

static void provenance_section(struct out *o, const struct rep_data *d, const struct rep_render *r)
{
	char t1[64], t2[64];
	const char *sensors[64];
	size_t ns = rep_sensors(d, sensors, 64);
	section(o, "provenance");
	FILE *fp = para(o);
	rep_ts_human(d->prov.generated_ns, t1);
	fprintf(fp, "tlsaudit %s, generated %s, database ", d->prov.version[0] ? d->prov.version : "?", t1);
	esc(fp, d->prov.db[0] ? d->prov.db : "?");
	fputs("; sensors:", fp);
	for (size_t i = 0; i < ns; i++) {
		fputs(i ? ", " : " ", fp);
		esc(fp, sensors[i]);
	}
	if (!ns)
		fputs(" none", fp);
	end_para(o, 2, 4);
	size_t lossy = rep_lossy_captures(d);
	fprintf(para(o), "captures: %zu, %zu with lost or skipped packets%s", d->n_captures, lossy,
		lossy ? " - THE REPORT MAY MISS CONNECTIONS" : "");
	end_para(o, 2, 4);
	size_t shown = 0;
	for (size_t i = 0; i < d->n_captures; i++) {
		const struct rep_capture *c = &d->captures[i];
		/* with many captures, the lossy ones and the last few are listed */
		if (d->n_captures > r->top && !rep_capture_lossy(c) && i + r->top / 2 < d->n_captures)
			continue;
		if (shown++ >= r->top * 2)
			break;
		fp = para(o);
		fprintf(fp, "#%" PRId64 " ", c->id);
		esc(fp, c->path);
		fputs(" (", fp);
		esc(fp, c->format);
		fputs(", sensor ", fp);
		esc(fp, c->sensor);
		fputs(") ", fp);
		esc(fp, c->status);
		rep_ts_human(c->first_ns, t1);
		rep_ts_human(c->last_ns, t2);
		fprintf(fp, ": %" PRIu64 " packets, %" PRIu64 " TLS connections, %s to %s", c->packets, c->connections,
			t1, t2);
		end_para(o, 2, 6);
		fp = para(o);
		fputs("options: ", fp);
		esc(fp, c->options[0] ? c->options : "none");
		end_para(o, 4, 6);
		if (c->sha256[0]) {
			fp = para(o);
			fputs("sha256 ", fp);
			esc(fp, c->sha256);
			end_para(o, 4, 6);
		}
		struct loss_ctx lc = {.fp = para(o)};
		rep_each_loss(c, loss_item, &lc);
		end_para(o, 4, 6); /* nothing when there was no loss */
		if (c->warnings[0]) {
			fp = para(o);
			fputs("warnings: ", fp);
			esc(fp, c->warnings);
			end_para(o, 4, 6);
		}
	}
	if (shown < d->n_captures) {
		fprintf(para(o), "... and %zu more captures (--format json lists them all)", d->n_captures - shown);
		end_para(o, 2, 4);
	}
}

static void text_report(FILE *ofp, const struct rep_data *d, const struct rep_render *r)
{
	struct out o = {.fp = ofp, .width = r->width, .color = r->color};
	fputs("tlsaudit report\n", ofp);
	summary_line(&o, d);
	first_screen(&o, d);
	if (d->n_hosts) {
		hosts_section(&o, d, r);
		groups_section(&o, d, r);
		probes_section(&o, d, r);
		impact_section(&o, d, r);
		remediation_section(&o, d, r);
		posture_section(&o, d, r);
		timeline_section(&o, d);
	}
	provenance_section(&o, d, r);
}

static void text_diff(FILE *ofp, const struct rep_diff *d, const struct rep_render *r)
{
	char b[256], a[256], p[32], t[64];
	struct out o = {.fp = ofp, .width = r->width, .color = r->color};
	fprintf(ofp, "tlsaudit diff (policy: %s or newer)\n", rep_version(d->after->policy.min_level, p));
	FILE *fp = para(&o);
	fputs("before: ", fp);
	verdict_word(&o, fp, report_overall(d->before), false);
	fputs(", after: ", fp);
	verdict_word(&o, fp, report_overall(d->after), false);
	fprintf(fp, "; %zu regressed, %zu new, %zu changed, %zu improved, %zu fixed, %zu gone, %zu unchanged",
		rep_diff_count(d, REP_CH_REGRESSED), rep_diff_count(d, REP_CH_NEW), rep_diff_count(d, REP_CH_CHANGED),
		rep_diff_count(d, REP_CH_IMPROVED), rep_diff_count(d, REP_CH_FIXED), rep_diff_count(d, REP_CH_GONE),
		rep_diff_count(d, REP_CH_UNCHANGED));
	end_para(&o, 0, 4);
	fputc('\n', ofp);
	size_t shown = d->n_rows < r->top ? d->n_rows : r->top;
	for (size_t i = 0; i < shown; i++) {
		const struct rep_diff_row *row = &d->rows[d->rank[i]];
		const struct rep_host *h = row->after ? row->after : row->before;
		if (row->before)
			report_host_state(row->before, b, sizeof(b));
		else
			snprintf(b, sizeof(b), "not seen");
		if (row->after)
			report_host_state(row->after, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "not seen");
		fp = para(&o);
		fprintf(fp, "%-9s ", report_change_name(row->change));
		esc(fp, h->ip);
		fprintf(fp, " as %s: ", h->role);
		esc(fp, b);
		fputs(" -> ", fp);
		esc(fp, a);
		fputs("; verdict ", fp);
		if (row->before)
			verdict_word(&o, fp, row->before->verdict, false);
		else
			fputs("-", fp);
		fputs(" -> ", fp);
		if (row->after)
			verdict_word(&o, fp, row->after->verdict, false);
		else
			fputs("-", fp);
		end_para(&o, 0, 10);
	}
	if (shown < d->n_rows)
		fprintf(ofp, "... and %zu more host roles (--top N for more, --format csv for all)\n",
			d->n_rows - shown);
	probes_diff(&o, d, r);
	rep_ts_human(d->after->prov.generated_ns, t);
	fp = para(&o);
	fprintf(fp, "\ntlsaudit %s, generated %s; before: ", d->after->prov.version, t);
	esc(fp, d->before->prov.db);
	fputs(", after: ", fp);
	esc(fp, d->after->prov.db);
	end_para(&o, 0, 2);
}

const struct rep_format_ops rep_fmt_text = {
	.name = "text",
	.report = text_report,
	.diff = text_diff,
};
