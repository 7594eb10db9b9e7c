/* fmt_probe.c - what probes add to a report (README "Probe"): the verdict of each probed endpoint, the words for
 * a probed server (reason, state, headline), and the "Probes" section of the Markdown, HTML and JSON reports and
 * diffs (the text format writes its own with these pieces, through its line wrapper).
 * specification: RFC 8259 (JSON), GFM tables, HTML 5; CSV is not extended (a probed server is a server row).
 *
 * Design note. A probe says what a server accepts when asked; a capture says what happened. The section puts
 * both side by side per probed endpoint (address, port, STARTTLS, SNI): the versions accepted at the latest
 * attempt of each version, every attempt's answer, and the passive counts of that address as server. The
 * verdict rule is a policy reason like the others: a server whose probes accept a version below the minimum has
 * probe_accepts_old (report.c host_reasons), at the policy's level (violation by default), whether or not any
 * client used it; each endpoint gets that level as its verdict. Everything here is printed only when the
 * selection holds probes, so reports of databases without probes are unchanged. Target, SNI and a server's
 * answer are chosen by others: each goes through the format's escaper.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/names.h"
#include "tlsaudit/output.h"
#include "tlsaudit/probe.h"
#include "tlsaudit/tls.h"

_Static_assert(REP_PROBE_VERSIONS == PROBE_N_VERSIONS, "one probe slot per probe version");

static void put(FILE *fp, rep_esc_fn esc, const char *s)
{
	esc(fp, s, strlen(s));
}

uint32_t rep_probe_old(uint32_t accepted, uint16_t min_level)
{
	uint32_t old = 0;
	for (size_t k = 0; k < PROBE_N_VERSIONS; k++)
		if ((accepted & (1u << k)) && tls_version_rank(probe_versions[k]) < min_level)
			old |= 1u << k;
	return old;
}

uint16_t rep_probe_lowest(uint32_t mask)
{
	for (size_t k = 0; k < PROBE_N_VERSIONS; k++)
		if (mask & (1u << k))
			return probe_versions[k];
	return 0;
}

void rep_probe_evaluate(struct rep_data *d)
{
	enum rep_level l = rep_level_of(&d->policy, REP_R_PROBE_OLD);
	enum rep_verdict bad = l == REP_LEVEL_VIOLATION ? REP_VIOLATION : l == REP_LEVEL_AT_RISK ? REP_AT_RISK : REP_OK;
	for (size_t i = 0; i < d->n_probes; i++) {
		struct rep_probe *e = &d->probes[i];
		e->verdict = rep_probe_old(e->accepted, d->policy.min_level) ? bad : REP_OK;
	}
}

int64_t rep_probe_newest_ns(const struct rep_data *d)
{
	int64_t t = 0;
	for (size_t i = 0; i < d->n_probes; i++)
		if (d->probes[i].last_ns > t)
			t = d->probes[i].last_ns;
	return t;
}

void rep_probe_versions_text(uint32_t mask, char *buf, size_t len)
{
	char b[NAMES_BUF];
	size_t off = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < PROBE_N_VERSIONS && off < len; k++)
		if (mask & (1u << k)) {
			int w = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
					 names_version(probe_versions[k], b));
			if (w < 0)
				break;
			off += (size_t)w;
		}
	if (!mask)
		snprintf(buf, len, "none");
}

void rep_probe_reason_text(const struct rep_data *d, const struct rep_host *h, char *buf, size_t len)
{
	char t[64], old[96], all[96], p[32];
	rep_probe_versions_text(rep_probe_old(h->probe_accepted, d->policy.min_level), old, sizeof(old));
	rep_probe_versions_text(h->probe_accepted, all, sizeof(all));
	rep_ts_human(h->probe_last_ns, t);
	snprintf(buf, len,
		 "a probe (latest %s) found this server accepting %s (policy: %s or newer), whether or not a client"
		 " used it; accepted in all: %s",
		 t, old, rep_version(d->policy.min_level, p), all);
}

void rep_probe_state(const struct rep_host *h, char *buf, size_t len)
{
	char all[96];
	rep_probe_versions_text(h->probe_accepted, all, sizeof(all));
	snprintf(buf, len, "probed: accepts %s", all);
}

/* ---- pieces of every format's section ---- */

void rep_probe_endpoint(FILE *fp, rep_esc_fn esc, const struct rep_probe *e)
{
	char b[80];
	snprintf(b, sizeof(b), e->family == 6 ? "[%s]:%u" : "%s:%u", e->ip, (unsigned)e->port);
	put(fp, esc, b);
	if (e->starttls && names_starttls(e->starttls)) {
		put(fp, esc, " ");
		put(fp, esc, names_starttls(e->starttls));
	}
	if (e->has_sni) {
		put(fp, esc, " sni ");
		esc(fp, e->sni, e->sni_len);
	}
}

static void one_try(FILE *fp, rep_esc_fn esc, const struct rep_probe_try *t)
{
	char b[NAMES_BUF], line[160];
	const char *r = names_probe_result(t->result);
	snprintf(line, sizeof(line), "%s %s", t->version ? names_version(t->version, b) : "connection",
		 r ? r : "unknown");
	put(fp, esc, line);
	if (t->result == PROBE_OTHER_VERSION && t->server_version) {
		snprintf(line, sizeof(line), " (answered %s)", names_version(t->server_version, b));
		put(fp, esc, line);
	}
	if (t->has_cipher) {
		put(fp, esc, " ");
		put(fp, esc, names_cipher(t->cipher, b));
	}
	if (t->hrr)
		put(fp, esc, " (HelloRetryRequest)");
	if (t->has_alert) {
		put(fp, esc, " ");
		put(fp, esc, names_alert(t->alert_desc, b));
	}
	if (t->detail_len) {
		put(fp, esc, " \"");
		esc(fp, t->detail, t->detail_len);
		put(fp, esc, "\"");
	}
}

void rep_probe_tries(FILE *fp, rep_esc_fn esc, const char *sep, const struct rep_probe *e)
{
	int n = 0;
	for (size_t k = 0; k < REP_PROBE_VERSIONS; k++)
		if (e->tries[k].tried) {
			fputs(n++ ? sep : "", fp);
			one_try(fp, esc, &e->tries[k]);
		}
	if (e->failure.tried && e->failure.ts_ns >= e->last_ns) {
		fputs(n++ ? sep : "", fp);
		one_try(fp, esc, &e->failure);
	}
}

static const struct rep_host *server_row(const struct rep_data *d, const struct rep_probe *e)
{
	for (size_t k = 0; k < d->n_hosts; k++) {
		const struct rep_host *h = &d->hosts[k];
		if (strcmp(h->role, "server") == 0 && h->family == e->family && memcmp(h->addr, e->addr, 16) == 0)
			return h;
	}
	return NULL;
}

void rep_probe_passive(FILE *fp, rep_esc_fn esc, const struct rep_data *d, const struct rep_probe *e)
{
	const struct rep_host *h = server_row(d, e);
	char line[96];
	if (!h || !h->connections) {
		put(fp, esc, "no connections to it as server in the captures");
		return;
	}
	snprintf(line, sizeof(line), "%" PRIu64 " connection%s from %zu%s client%s:", h->connections,
		 h->connections == 1 ? "" : "s", h->n_peers, h->other_peer_connections ? "+" : "",
		 h->n_peers == 1 && !h->other_peer_connections ? "" : "s");
	put(fp, esc, line);
	for (int v = 0, n = 0; v < REP_V_COUNT; v++)
		if (h->by_version[v]) {
			snprintf(line, sizeof(line), "%s %s x%" PRIu64, n++ ? "," : "",
				 v == REP_V_NONE ? "no version negotiated" : rep_vcol_names[v], h->by_version[v]);
			put(fp, esc, line);
		}
	for (size_t i = 0, n = 0; i < h->n_reasons; i++) {
		if (h->reasons[i].class_ != OUTCLASS_FAILED)
			continue;
		put(fp, esc, n++ ? ", " : "; failed: ");
		put(fp, esc, h->reasons[i].name);
		snprintf(line, sizeof(line), " x%" PRIu64, h->reasons[i].count);
		put(fp, esc, line);
	}
}

bool rep_probe_reached(const struct rep_probe *e)
{
	for (size_t k = 0; k < REP_PROBE_VERSIONS; k++)
		if (e->tries[k].tried)
			return true;
	return false;
}

const char *rep_probe_state_name(const struct rep_probe *e)
{
	return rep_probe_reached(e) ? report_verdict_name(e->verdict) : "not reached";
}

size_t rep_probe_count(const struct rep_data *d, enum rep_verdict v)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_probes; i++)
		n += d->probes[i].verdict == v;
	return n;
}

/* worst first (violation, at risk, ok), then the address order of d->probes */
static int order_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct rep_probe *p = ctx;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	if (p[a].verdict != p[b].verdict)
		return p[a].verdict > p[b].verdict ? -1 : 1;
	return a < b ? -1 : a > b;
}

size_t *rep_probe_order(const struct rep_data *d)
{
	size_t *v = malloc((d->n_probes + 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < d->n_probes; i++)
		v[i] = i;
	qsort_r(v, d->n_probes, sizeof(*v), order_cmp, d->probes);
	return v;
}

static const struct rep_probe *nth(const struct rep_data *d, const size_t *order, size_t i)
{
	return &d->probes[order ? order[i] : i];
}

/* ---- Markdown ---- */

void rep_probes_md(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	char a[96], t[64], p[32];
	if (!d->n_probes)
		return;
	size_t *order = rep_probe_order(d), shown = d->n_probes < r->top ? d->n_probes : r->top;
	fprintf(fp,
		"\n## Probes\n\nWhat each server accepts when asked (`tlsaudit probe`), next to what the captures show:"
		" %zu endpoint%s, %zu accept%s a version below %s.",
		d->n_probes, d->n_probes == 1 ? "" : "s", d->n_probes - rep_probe_count(d, REP_OK),
		d->n_probes - rep_probe_count(d, REP_OK) == 1 ? "s" : "", rep_version(d->policy.min_level, p));
	if (shown < d->n_probes)
		fprintf(fp, " The %zu worst are listed; `--format json` lists all.", shown);
	fputs("\n\n| server | verdict | accepts | passive | tried | probed |\n|---|---|---|---|---|---|\n", fp);
	for (size_t i = 0; i < shown; i++) {
		const struct rep_probe *e = nth(d, order, i);
		rep_probe_versions_text(e->accepted, a, sizeof(a));
		rep_ts_human(e->last_ns, t);
		fputs("| ", fp);
		rep_probe_endpoint(fp, out_md_string, e);
		fprintf(fp, " | %s%s%s | ", e->verdict == REP_OK ? "" : "**", rep_probe_state_name(e),
			e->verdict == REP_OK ? "" : "**");
		put(fp, out_md_string, a);
		fputs(" | ", fp);
		rep_probe_passive(fp, out_md_string, d, e);
		fputs(" | ", fp);
		rep_probe_tries(fp, out_md_string, "<br>", e);
		fprintf(fp, " | %s |\n", t);
	}
	free(order);
}

/* ---- HTML ---- */

void rep_probes_html(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	char a[96], t[64], p[32];
	if (!d->n_probes)
		return;
	size_t *order = rep_probe_order(d), shown = d->n_probes < r->top ? d->n_probes : r->top;
	size_t bad = d->n_probes - rep_probe_count(d, REP_OK);
	fprintf(fp,
		"<h2 id=\"probes\">Probes: what servers accept when asked</h2>\n<p>%zu endpoint%s probed"
		" (<code>tlsaudit probe</code>), %zu accept%s a version below %s; next to it what the captures"
		" show.",
		d->n_probes, d->n_probes == 1 ? "" : "s", bad, bad == 1 ? "s" : "",
		rep_version(d->policy.min_level, p));
	if (shown < d->n_probes)
		fprintf(fp, " The %zu worst are listed; <code>--format json</code> lists all.", shown);
	fputs("</p>\n<div class=\"scroll\"><table id=\"probe-table\"><thead><tr><th>server</th><th>verdict</th>"
	      "<th>accepts</th><th>passive</th><th>tried</th><th>probed</th></tr></thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < shown; i++) {
		const struct rep_probe *e = nth(d, order, i);
		rep_probe_versions_text(e->accepted, a, sizeof(a));
		rep_ts_human(e->last_ns, t);
		fputs("<tr><td class=\"mono sni\">", fp);
		rep_probe_endpoint(fp, out_html_string, e);
		fprintf(fp, "</td><td class=\"t-%s\">%s</td><td>",
			rep_probe_reached(e) ? rep_verdict_class(e->verdict) : "unreached", rep_probe_state_name(e));
		put(fp, out_html_string, a);
		fputs("</td><td>", fp);
		rep_probe_passive(fp, out_html_string, d, e);
		fputs("</td><td class=\"sni\">", fp);
		rep_probe_tries(fp, out_html_string, "<br>", e);
		fprintf(fp, "</td><td>%s</td></tr>\n", t);
	}
	fputs("</tbody></table></div>\n", fp);
	free(order);
}

/* ---- JSON ---- */

static void jstr(FILE *fp, const char *s)
{
	if (s)
		out_json_string(fp, s, strlen(s));
	else
		fputs("null", fp);
}

static void jts(FILE *fp, int64_t ns)
{
	char t[64];
	if (!ns) {
		fputs("null", fp);
		return;
	}
	out_rfc3339(ns, t);
	jstr(fp, t);
}

static void jversions(FILE *fp, uint32_t mask)
{
	char b[NAMES_BUF];
	fputc('[', fp);
	for (size_t k = 0, n = 0; k < PROBE_N_VERSIONS; k++)
		if (mask & (1u << k)) {
			fputs(n++ ? "," : "", fp);
			jstr(fp, names_version(probe_versions[k], b));
		}
	fputc(']', fp);
}

static void jtry(FILE *fp, const struct rep_probe_try *t)
{
	char b[NAMES_BUF];
	fputs("{\"version\":", fp);
	jstr(fp, t->version ? names_version(t->version, b) : NULL);
	fputs(",\"result\":", fp);
	jstr(fp, names_probe_result(t->result) ? names_probe_result(t->result) : "unknown");
	fputs(",\"server_version\":", fp);
	jstr(fp, t->server_version ? names_version(t->server_version, b) : NULL);
	fputs(",\"cipher\":", fp);
	jstr(fp, t->has_cipher ? names_cipher(t->cipher, b) : NULL);
	fprintf(fp, ",\"hello_retry_request\":%s,\"alert\":", t->hrr ? "true" : "false");
	jstr(fp, t->has_alert ? names_alert(t->alert_desc, b) : NULL);
	fputs(",\"rtt_ms\":", fp);
	if (t->has_rtt)
		fprintf(fp, "%" PRIu32 ".%03" PRIu32, t->rtt_us / 1000, t->rtt_us % 1000);
	else
		fputs("null", fp);
	fputs(",\"detail\":", fp);
	if (t->detail_len)
		out_json_string(fp, t->detail, t->detail_len);
	else
		fputs("null", fp);
	fputs(",\"ts\":", fp);
	jts(fp, t->ts_ns);
	fputc('}', fp);
}

static void jendpoint_keys(FILE *fp, const struct rep_probe *e)
{
	fputs("\"ip\":", fp);
	jstr(fp, e->ip);
	fprintf(fp, ",\"port\":%u,\"starttls\":", (unsigned)e->port);
	jstr(fp, e->starttls ? names_starttls(e->starttls) : NULL);
	fputs(",\"sni\":", fp);
	if (e->has_sni)
		out_json_string(fp, e->sni, e->sni_len);
	else
		fputs("null", fp);
}

void rep_probes_json(FILE *fp, const struct rep_data *d)
{
	if (!d->n_probes)
		return;
	fputs(",\"probes\":[", fp);
	for (size_t i = 0; i < d->n_probes; i++) {
		const struct rep_probe *e = &d->probes[i];
		const struct rep_host *h = server_row(d, e);
		fputs(i ? ",\n{" : "\n{", fp);
		jendpoint_keys(fp, e);
		fputs(",\"target\":", fp);
		out_json_string(fp, e->target, strnlen(e->target, sizeof(e->target)));
		fputs(",\"sensor\":", fp);
		jstr(fp, e->sensor);
		fputs(",\"verdict\":", fp);
		jstr(fp, report_verdict_name(e->verdict));
		fprintf(fp, ",\"reached\":%s,\"accepted\":", rep_probe_reached(e) ? "true" : "false");
		jversions(fp, e->accepted);
		fputs(",\"first_probed\":", fp);
		jts(fp, e->first_ns);
		fputs(",\"last_probed\":", fp);
		jts(fp, e->last_ns);
		fprintf(fp, ",\"passive_connections\":%" PRIu64 ",\"passive_clients\":%zu,\"results\":[",
			h ? h->connections : 0, h ? h->n_peers : 0);
		int n = 0;
		for (size_t k = 0; k < REP_PROBE_VERSIONS; k++)
			if (e->tries[k].tried) {
				fputs(n++ ? "," : "", fp);
				jtry(fp, &e->tries[k]);
			}
		if (e->failure.tried) {
			fputs(n++ ? "," : "", fp);
			jtry(fp, &e->failure);
		}
		fputs("]}", fp);
	}
	fputs("]", fp);
}

/* ---- diff: the endpoints of both sides, paired ---- */

static bool same_key(const struct rep_probe *a, const struct rep_probe *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0 && a->port == b->port &&
	       a->starttls == b->starttls && a->has_sni == b->has_sni && a->sni_len == b->sni_len &&
	       memcmp(a->sni, b->sni, a->sni_len) == 0;
}

static enum rep_change change_of(const struct rep_probe *b, const struct rep_probe *a)
{
	if (!b)
		return REP_CH_NEW;
	if (!a)
		return REP_CH_GONE;
	if (a->verdict < b->verdict)
		return a->verdict == REP_OK ? REP_CH_FIXED : REP_CH_IMPROVED;
	if (a->verdict > b->verdict)
		return REP_CH_REGRESSED;
	return a->accepted == b->accepted ? REP_CH_UNCHANGED : REP_CH_CHANGED;
}

/* as the host rows (report.c diff_rank_cmp): regressions and new problems first, unchanged last; a new endpoint
 * that is fine is not news; then the pairing order (before's address order, then the new ones) */
static int pair_cmp(const void *pa, const void *pb)
{
	const struct rep_probe_pair *x = pa, *y = pb;
	int kx = (int)x->change, ky = (int)y->change;
	if (x->change == REP_CH_NEW && x->after->verdict == REP_OK)
		kx = REP_CH_UNCHANGED;
	if (y->change == REP_CH_NEW && y->after->verdict == REP_OK)
		ky = REP_CH_UNCHANGED;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

size_t rep_probe_pairs(const struct rep_diff *d, bool ranked, struct rep_probe_pair **ret)
{
	size_t nb = d->before->n_probes, na = d->after->n_probes;
	struct rep_probe_pair *p = calloc(nb + na + 1, sizeof(*p));
	bool *used = calloc(na + 1, sizeof(*used));
	size_t n = 0;
	if (!p || !used) {
		free(p);
		free(used);
		*ret = NULL;
		return 0;
	}
	for (size_t i = 0; i < nb; i++) {
		const struct rep_probe *b = &d->before->probes[i], *a = NULL;
		for (size_t k = 0; k < na && !a; k++)
			if (!used[k] && same_key(b, &d->after->probes[k])) {
				a = &d->after->probes[k];
				used[k] = true;
			}
		p[n] = (struct rep_probe_pair){b, a, change_of(b, a), n};
		n++;
	}
	for (size_t k = 0; k < na; k++)
		if (!used[k]) {
			p[n] = (struct rep_probe_pair){NULL, &d->after->probes[k], REP_CH_NEW, n};
			n++;
		}
	free(used);
	if (ranked)
		qsort(p, n, sizeof(*p), pair_cmp);
	*ret = p;
	return n;
}

void rep_probe_side(FILE *fp, rep_esc_fn esc, const struct rep_probe *e)
{
	char a[96];
	if (!e) {
		put(fp, esc, "not probed");
		return;
	}
	rep_probe_versions_text(e->accepted, a, sizeof(a));
	put(fp, esc, "accepts ");
	put(fp, esc, a);
}

void rep_probes_diff_md(FILE *fp, const struct rep_diff *d, const struct rep_render *r)
{
	struct rep_probe_pair *p = NULL;
	size_t n = rep_probe_pairs(d, true, &p), shown = n < r->top ? n : r->top;
	if (!n) {
		free(p);
		return;
	}
	fputs("\n## Probes\n\n| change | server | before | after |\n|---|---|---|---|\n", fp);
	for (size_t i = 0; i < shown; i++) {
		const struct rep_probe *e = p[i].after ? p[i].after : p[i].before;
		fprintf(fp, "| %s | ", report_change_name(p[i].change));
		rep_probe_endpoint(fp, out_md_string, e);
		fprintf(fp, " | %s: ", p[i].before ? report_verdict_name(p[i].before->verdict) : "-");
		rep_probe_side(fp, out_md_string, p[i].before);
		fprintf(fp, " | %s: ", p[i].after ? report_verdict_name(p[i].after->verdict) : "-");
		rep_probe_side(fp, out_md_string, p[i].after);
		fputs(" |\n", fp);
	}
	if (shown < n)
		fprintf(fp, "\n... and %zu more probed endpoints (`--format json` lists all)\n", n - shown);
	free(p);
}

static void html_side(FILE *fp, const struct rep_probe *e)
{
	if (e)
		fprintf(fp, "<span class=\"t-%s\">%s</span>: ", rep_verdict_class(e->verdict),
			report_verdict_name(e->verdict));
	rep_probe_side(fp, out_html_string, e);
}

void rep_probes_diff_html(FILE *fp, const struct rep_diff *d, const struct rep_render *r)
{
	struct rep_probe_pair *p = NULL;
	size_t n = rep_probe_pairs(d, true, &p), shown = n < r->top ? n : r->top;
	if (!n) {
		free(p);
		return;
	}
	fputs("<h2 id=\"probes\">Probes: what servers accept when asked</h2>\n<div class=\"scroll\"><table "
	      "id=\"probe-table\"><thead><tr><th>change</th><th>server</th><th>before</th><th>after</th></tr>"
	      "</thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < shown; i++) {
		const struct rep_probe *e = p[i].after ? p[i].after : p[i].before;
		fprintf(fp, "<tr><td>%s</td><td class=\"mono sni\">", report_change_name(p[i].change));
		rep_probe_endpoint(fp, out_html_string, e);
		fputs("</td><td>", fp);
		html_side(fp, p[i].before);
		fputs("</td><td>", fp);
		html_side(fp, p[i].after);
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table></div>\n", fp);
	if (shown < n)
		fprintf(fp, "<p>%zu more probed endpoints: <code>--format json</code> lists all.</p>\n", n - shown);
	free(p);
}

void rep_probes_diff_json(FILE *fp, const struct rep_diff *d)
{
	struct rep_probe_pair *p = NULL;
	size_t n = rep_probe_pairs(d, false, &p);
	if (!n) {
		free(p);
		return;
	}
	fputs(",\"probes\":[", fp);
	for (size_t i = 0; i < n; i++) {
		const struct rep_probe *e = p[i].after ? p[i].after : p[i].before;
		fputs(i ? ",\n{" : "\n{", fp);
		jendpoint_keys(fp, e);
		fputs(",\"change\":", fp);
		jstr(fp, report_change_name(p[i].change));
		for (int side = 0; side < 2; side++) {
			const struct rep_probe *x = side ? p[i].after : p[i].before;
			fputs(side ? ",\"after\":" : ",\"before\":", fp);
			if (!x) {
				fputs("null", fp);
				continue;
			}
			fputs("{\"verdict\":", fp);
			jstr(fp, report_verdict_name(x->verdict));
			fputs(",\"accepted\":", fp);
			jversions(fp, x->accepted);
			fputs(",\"last_probed\":", fp);
			jts(fp, x->last_ns);
			fputc('}', fp);
		}
		fputc('}', fp);
	}
	fputs("]", fp);
	free(p);
}
