/* fmt_probe.c - the "Probes" section of every report and diff format, and the verdict rule for probed servers
 * (README "Probe"). specification: RFC 8259 (JSON), RFC 4180 (CSV is not extended: a probed server is a server
 * row there), GFM tables, HTML 5.
 *
 * Design note. A probe says what a server accepts when asked; a capture says what happened. The section puts
 * both side by side per probed endpoint (address, port, STARTTLS, SNI): the versions accepted at the latest
 * attempt of each version, every attempt's answer, and the passive counts of that address as server. The
 * verdict rule: an endpoint that accepts a version below the policy is a violation, whether or not any client
 * used it, and its address's server row gets REP_R_PROBE_OLD (and with it the server-side hint). Everything
 * here is printed only when the selection holds probes, so reports of databases without probes are unchanged.
 * Target, SNI and a server's answer are chosen by others: each goes through the format's escaper.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/names.h"
#include "tlsaudit/output.h"
#include "tlsaudit/probe.h"
#include "tlsaudit/tls.h"

typedef void (*esc_fn)(FILE *fp, const char *s, size_t len);

static void put(FILE *fp, esc_fn esc, const char *s)
{
	esc(fp, s, strlen(s));
}

static bool old_accepted(uint32_t accepted, uint16_t min_level, uint32_t *ret_old)
{
	uint32_t old = 0;
	for (size_t k = 0; k < PROBE_N_VERSIONS; k++)
		if ((accepted & (1u << k)) && tls_version_rank(probe_versions[k]) < min_level)
			old |= 1u << k;
	if (ret_old)
		*ret_old = old;
	return old != 0;
}

void rep_probe_evaluate(struct rep_data *d)
{
	for (size_t i = 0; i < d->n_probes; i++) {
		struct rep_probe *e = &d->probes[i];
		e->verdict = old_accepted(e->accepted, d->q.min_level, NULL) ? REP_VIOLATION : REP_OK;
		if (e->verdict != REP_VIOLATION)
			continue;
		for (size_t k = 0; k < d->n_hosts; k++) {
			struct rep_host *h = &d->hosts[k];
			if (strcmp(h->role, "server") == 0 && strcmp(h->ip, e->ip) == 0) {
				h->reasons_mask |= REP_R_PROBE_OLD;
				h->verdict = REP_VIOLATION;
			}
		}
	}
}

/* "TLS 1.0, TLS 1.2" ("none" for 0) */
static void versions_text(uint32_t mask, char *buf, size_t len)
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

void rep_probe_reason_text(const struct rep_host *h, uint16_t min_level, char *buf, size_t len)
{
	char t[64], old[96], all[96], p[32];
	uint32_t m = 0;
	old_accepted(h->probe_accepted, min_level, &m);
	versions_text(m, old, sizeof(old));
	versions_text(h->probe_accepted, all, sizeof(all));
	rep_ts_human(h->probe_last_ns, t);
	snprintf(buf, len,
		 "a probe (latest %s) found this server accepting %s (policy: %s or newer), whether or not a client"
		 " used it; accepted in all: %s",
		 t, old, rep_version(min_level, p), all);
}

void rep_probe_state(const struct rep_host *h, char *buf, size_t len)
{
	char all[96];
	versions_text(h->probe_accepted, all, sizeof(all));
	snprintf(buf, len, "probed: accepts %s", all);
}

/* ---- pieces shared by the text formats (text, md, html) ---- */

static void endpoint(FILE *fp, esc_fn esc, const struct rep_probe *e)
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

static void one_try(FILE *fp, esc_fn esc, const struct rep_probe_try *t)
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

static void tries(FILE *fp, esc_fn esc, const char *sep, const struct rep_probe *e)
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
	for (size_t k = 0; k < d->n_hosts; k++)
		if (strcmp(d->hosts[k].role, "server") == 0 && strcmp(d->hosts[k].ip, e->ip) == 0)
			return &d->hosts[k];
	return NULL;
}

/* "3 connections from 3 clients: TLS 1.0 x3" / "2 connections from 2 clients: no version negotiated x2; failed:
 * protocol_version x2" / "no connections to it as server in the captures" */
static void passive(FILE *fp, esc_fn esc, const struct rep_data *d, const struct rep_probe *e)
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
	for (size_t i = 0; i < h->n_reasons; i++) {
		put(fp, esc, i ? ", " : "; failed: ");
		put(fp, esc, h->reasons[i].name);
		snprintf(line, sizeof(line), " x%" PRIu64, h->reasons[i].count);
		put(fp, esc, line);
	}
}

/* an endpoint where no hello got through says so instead of a verdict */
static bool reached(const struct rep_probe *e)
{
	for (size_t k = 0; k < REP_PROBE_VERSIONS; k++)
		if (e->tries[k].tried)
			return true;
	return false;
}

static const char *state_name(const struct rep_probe *e)
{
	return reached(e) ? report_verdict_name(e->verdict) : "not reached";
}

static size_t probe_violations(const struct rep_data *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_probes; i++)
		n += d->probes[i].verdict == REP_VIOLATION;
	return n;
}

/* ---- text ---- */

static void text_esc(FILE *fp, const char *s, size_t len)
{
	out_text_string(fp, s, len);
}

void rep_probes_text(FILE *fp, const struct rep_data *d)
{
	char a[96], t[64], p[32];
	if (!d->n_probes)
		return;
	fprintf(fp,
		"\nprobes (what each server accepts when asked, `tlsaudit probe`): %zu endpoints, %zu accept a version"
		" below %s\n",
		d->n_probes, probe_violations(d), rep_version(d->q.min_level, p));
	for (size_t i = 0; i < d->n_probes; i++) {
		const struct rep_probe *e = &d->probes[i];
		versions_text(e->accepted, a, sizeof(a));
		rep_ts_human(e->last_ns, t);
		fputs("\n  ", fp);
		endpoint(fp, text_esc, e);
		fprintf(fp, ": %s - accepts %s (probed %s, sensor ", state_name(e), a, t);
		put(fp, text_esc, e->sensor);
		fputs(")\n    passive: ", fp);
		passive(fp, text_esc, d, e);
		fputs("\n    tried: ", fp);
		tries(fp, text_esc, "; ", e);
		fputc('\n', fp);
	}
}

/* ---- Markdown ---- */

void rep_probes_md(FILE *fp, const struct rep_data *d)
{
	char a[96], t[64];
	if (!d->n_probes)
		return;
	fputs("\n## Probes\n\nWhat each server accepts when asked (`tlsaudit probe`), next to what the captures show."
	      "\n\n| server | verdict | accepts | passive | tried | probed |\n|---|---|---|---|---|---|\n",
	      fp);
	for (size_t i = 0; i < d->n_probes; i++) {
		const struct rep_probe *e = &d->probes[i];
		versions_text(e->accepted, a, sizeof(a));
		rep_ts_human(e->last_ns, t);
		fputs("| ", fp);
		endpoint(fp, out_md_string, e);
		fprintf(fp, " | %s%s%s | ", e->verdict == REP_OK ? "" : "**", state_name(e),
			e->verdict == REP_OK ? "" : "**");
		put(fp, out_md_string, a);
		fputs(" | ", fp);
		passive(fp, out_md_string, d, e);
		fputs(" | ", fp);
		tries(fp, out_md_string, "<br>", e);
		fprintf(fp, " | %s |\n", t);
	}
}

/* ---- HTML ---- */

void rep_probes_html(FILE *fp, const struct rep_data *d)
{
	char a[96], t[64];
	if (!d->n_probes)
		return;
	fputs("<section id=\"probes\"><h2>Probes</h2>\n<p>What each server accepts when asked (<code>tlsaudit"
	      " probe</code>), next to what the captures show.</p>\n<div class=\"scroll\"><table><thead><tr>"
	      "<th>server</th><th>verdict</th><th>accepts</th><th>passive</th><th>tried</th><th>probed</th>"
	      "</tr></thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < d->n_probes; i++) {
		const struct rep_probe *e = &d->probes[i];
		const char *cls = e->verdict == REP_VIOLATION ? "violation" : "ok";
		versions_text(e->accepted, a, sizeof(a));
		rep_ts_human(e->last_ns, t);
		fputs("<tr><td class=\"mono wrap\">", fp);
		endpoint(fp, out_html_string, e);
		fprintf(fp, "</td><td class=\"tag tag-%s\">%s</td><td>", cls, state_name(e));
		put(fp, out_html_string, a);
		fputs("</td><td>", fp);
		passive(fp, out_html_string, d, e);
		fputs("</td><td class=\"wrap\">", fp);
		tries(fp, out_html_string, "<br>", e);
		fprintf(fp, "</td><td>%s</td></tr>\n", t);
	}
	fputs("</tbody></table></div></section>\n", fp);
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
		fprintf(fp, ",\"reached\":%s,\"accepted\":", reached(e) ? "true" : "false");
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
	return a->family == b->family && strcmp(a->ip, b->ip) == 0 && a->port == b->port &&
	       a->starttls == b->starttls && a->has_sni == b->has_sni && a->sni_len == b->sni_len &&
	       memcmp(a->sni, b->sni, a->sni_len) == 0;
}

struct pair {
	const struct rep_probe *before, *after;
	enum rep_change change;
};

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

/* every endpoint of before (paired or gone), then the new ones of after; *ret owned by the caller */
static size_t pairs(const struct rep_diff *d, struct pair **ret)
{
	size_t nb = d->before->n_probes, na = d->after->n_probes;
	struct pair *p = calloc(nb + na + 1, sizeof(*p));
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
		p[n++] = (struct pair){b, a, change_of(b, a)};
	}
	for (size_t k = 0; k < na; k++)
		if (!used[k])
			p[n++] = (struct pair){NULL, &d->after->probes[k], REP_CH_NEW};
	free(used);
	*ret = p;
	return n;
}

static void side_text(FILE *fp, esc_fn esc, const struct rep_probe *e)
{
	char a[96];
	if (!e) {
		put(fp, esc, "not probed");
		return;
	}
	versions_text(e->accepted, a, sizeof(a));
	put(fp, esc, "accepts ");
	put(fp, esc, a);
}

void rep_probes_diff_text(FILE *fp, const struct rep_diff *d)
{
	struct pair *p = NULL;
	size_t n = pairs(d, &p);
	if (!n) {
		free(p);
		return;
	}
	fputs("\nprobes (what each server accepts when asked)\n", fp);
	for (size_t i = 0; i < n; i++) {
		const struct rep_probe *e = p[i].after ? p[i].after : p[i].before;
		fprintf(fp, "%-9s ", report_change_name(p[i].change));
		endpoint(fp, text_esc, e);
		fputs(": ", fp);
		side_text(fp, text_esc, p[i].before);
		fputs(" -> ", fp);
		side_text(fp, text_esc, p[i].after);
		fprintf(fp, "; verdict %s -> %s\n", p[i].before ? report_verdict_name(p[i].before->verdict) : "-",
			p[i].after ? report_verdict_name(p[i].after->verdict) : "-");
	}
	free(p);
}

void rep_probes_diff_md(FILE *fp, const struct rep_diff *d)
{
	struct pair *p = NULL;
	size_t n = pairs(d, &p);
	if (!n) {
		free(p);
		return;
	}
	fputs("\n## Probes\n\n| change | server | before | after |\n|---|---|---|---|\n", fp);
	for (size_t i = 0; i < n; i++) {
		const struct rep_probe *e = p[i].after ? p[i].after : p[i].before;
		fprintf(fp, "| %s | ", report_change_name(p[i].change));
		endpoint(fp, out_md_string, e);
		fprintf(fp, " | %s: ", p[i].before ? report_verdict_name(p[i].before->verdict) : "-");
		side_text(fp, out_md_string, p[i].before);
		fprintf(fp, " | %s: ", p[i].after ? report_verdict_name(p[i].after->verdict) : "-");
		side_text(fp, out_md_string, p[i].after);
		fputs(" |\n", fp);
	}
	free(p);
}

void rep_probes_diff_html(FILE *fp, const struct rep_diff *d)
{
	struct pair *p = NULL;
	size_t n = pairs(d, &p);
	if (!n) {
		free(p);
		return;
	}
	fputs("<section id=\"probes\"><h2>Probes</h2>\n<div class=\"scroll\"><table><thead><tr><th>change</th>"
	      "<th>server</th><th>before</th><th>after</th></tr></thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < n; i++) {
		const struct rep_probe *e = p[i].after ? p[i].after : p[i].before;
		fprintf(fp, "<tr><td>%s</td><td class=\"mono wrap\">", report_change_name(p[i].change));
		endpoint(fp, out_html_string, e);
		fputs("</td><td>", fp);
		side_text(fp, out_html_string, p[i].before);
		fputs("</td><td>", fp);
		side_text(fp, out_html_string, p[i].after);
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table></div></section>\n", fp);
	free(p);
}

void rep_probes_diff_json(FILE *fp, const struct rep_diff *d)
{
	struct pair *p = NULL;
	size_t n = pairs(d, &p);
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
