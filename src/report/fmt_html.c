/* fmt_html.c - one self-contained HTML file: inline CSS, inline SVG charts drawn here, no script and no fetch
 * (a Content-Security-Policy meta forbids both, so even a mistake could not load or run anything). Every wire
 * string goes through out_html_string. Layout: verdict first, charts, host table, findings and remediation,
 * captures; readable on a phone (viewport, scrolling tables) and printed (@media print). */
#include <inttypes.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/output.h"

#define HTML_SNI_MAX 64
#define CHART_W	     800

static void esc(FILE *fp, const char *s)
{
	out_html_string(fp, s, strlen(s));
}

static const struct rep_cell_style cell_style = {
	.sep = "<br>",
	.times = "&nbsp;x",
	.esc = out_html_string,
	.sni_max = HTML_SNI_MAX,
	.ellipsis = "&hellip;",
};

static const char *const vcol_color[REP_V_COUNT] = {
	[REP_V_NONE] = "#9e9e9e",  [REP_V_SSL2] = "#4a0000",  [REP_V_SSL3] = "#7f0000",	 [REP_V_TLS10] = "#d32f2f",
	[REP_V_TLS11] = "#f57c00", [REP_V_TLS12] = "#388e3c", [REP_V_TLS13] = "#1976d2", [REP_V_OTHER] = "#7b1fa2",
};

static void head(FILE *fp, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
	      " img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      fp);
	fputs(title, fp);
	fputs("</title>\n<style>\n"
	      "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;"
	      "padding:12px;color:#222;line-height:1.4}\n"
	      "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}\n"
	      ".verdict{padding:12px 16px;border-radius:6px;font-size:1.15em;color:#fff}\n"
	      ".v-violation{background:#c62828}.v-at-risk{background:#ef6c00}.v-ok{background:#2e7d32}\n"
	      ".warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:8px}\n"
	      ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9em}\n"
	      "th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}"
	      "th{background:#f3f3f3}td.n{text-align:right}\n"
	      ".tag{font-weight:bold}.tag-violation{color:#c62828}.tag-at-risk{color:#ef6c00}.tag-ok{color:#2e7d32}\n"
	      "code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}.nw{white-space:nowrap}"
	      ".sni,.wrap{overflow-wrap:anywhere}\n"
	      "svg{max-width:100%;height:auto}li{margin:.3em 0}\n"
	      "@media (max-width:600px){body{padding:6px}th,td{padding:3px}#hosts{min-width:1000px}}\n"
	      "@media print{.scroll{overflow:visible}body{max-width:none}h2{page-break-after:avoid}"
	      "table,svg,section{page-break-inside:avoid}.verdict{color:#000;border:2px solid #000}}\n"
	      "</style></head><body>\n",
	      fp);
}

static const char *vclass(enum rep_verdict v)
{
	return v == REP_VIOLATION ? "violation" : v == REP_AT_RISK ? "at-risk" : "ok";
}

#define CHART_MAX_HOSTS 60 /* rows of the per-host chart: violations first, the rest is in the table */

static void chart_versions(FILE *fp, const struct rep_data *d)
{
	const struct rep_host *rows[CHART_MAX_HOSTS];
	size_t n = 0;
	for (int want = REP_VIOLATION; want >= REP_OK; want--)
		for (size_t i = 0; i < d->n_hosts && n < CHART_MAX_HOSTS; i++)
			if ((int)d->hosts[i].verdict == want)
				rows[n++] = &d->hosts[i];
	uint64_t max = 1;
	for (size_t i = 0; i < n; i++)
		if (rows[i]->connections > max)
			max = rows[i]->connections;
	unsigned row_h = 22, top = 34, left = 230, width = CHART_W - left - 50;
	fprintf(fp,
		"<svg id=\"chart-versions\" role=\"img\" aria-label=\"connections per negotiated version per host\""
		" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %zu\" width=\"%d\">\n",
		CHART_W, top + n * row_h + 10, CHART_W);
	unsigned lx = 0;
	for (int v = 0; v < REP_V_COUNT; v++) {
		fprintf(fp,
			"<rect x=\"%u\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%u\" y=\"17\" font-size=\"12\">%s</text>\n",
			lx, vcol_color[v], lx + 16, rep_vcol_names[v]);
		lx += 95;
	}
	for (size_t i = 0; i < n; i++) {
		const struct rep_host *h = rows[i];
		unsigned y = top + (unsigned)i * row_h;
		fprintf(fp, "<text x=\"%u\" y=\"%u\" font-size=\"12\" text-anchor=\"end\">", left - 6, y + 14);
		esc(fp, h->ip);
		fprintf(fp, " %s</text>\n", h->role);
		double x = left;
		for (int v = 0; v < REP_V_COUNT; v++) {
			if (!h->by_version[v])
				continue;
			double w = (double)width * (double)h->by_version[v] / (double)max;
			fprintf(fp,
				"<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"16\" fill=\"%s\"><title>%s: %" PRIu64
				"</title></rect>\n",
				x, y + 2, w, vcol_color[v], rep_vcol_names[v], h->by_version[v]);
			x += w;
		}
		fprintf(fp, "<text x=\"%.1f\" y=\"%u\" font-size=\"12\">%" PRIu64 "</text>\n", x + 4, y + 14,
			h->connections);
	}
	fputs("</svg>\n", fp);
	if (n < d->n_hosts)
		fprintf(fp, "<p>The chart shows %zu of %zu host roles (violations first); all are in the table.</p>\n",
			n, d->n_hosts);
}

static void chart_timeline(FILE *fp, const struct rep_data *d)
{
	uint64_t max = 1;
	char t1[64], t2[64];
	for (size_t i = 0; i < d->n_buckets; i++)
		if (d->timeline[i].connections > max)
			max = d->timeline[i].connections;
	unsigned h = 160, top = 10, bottom = 40, left = 40;
	double bw = d->n_buckets ? (double)(CHART_W - left - 10) / (double)d->n_buckets : 0;
	fprintf(fp,
		"<svg id=\"chart-timeline\" role=\"img\" aria-label=\"timeline of old-version use\""
		" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %u\" width=\"%d\">\n",
		CHART_W, top + h + bottom, CHART_W);
	fprintf(fp, "<line x1=\"%u\" y1=\"%u\" x2=\"%d\" y2=\"%u\" stroke=\"#555\"/>\n", left, top + h, CHART_W - 10,
		top + h);
	fprintf(fp, "<text x=\"%u\" y=\"%u\" font-size=\"11\" text-anchor=\"end\">%" PRIu64 "</text>\n", left - 4,
		top + 10, max);
	for (size_t i = 0; i < d->n_buckets; i++) {
		const struct rep_bucket *b = &d->timeline[i];
		double x = left + bw * (double)i;
		double ht = (double)h * (double)b->connections / (double)max;
		double ho = (double)h * (double)b->old / (double)max;
		rep_ts_human(b->start_ns, t1);
		if (b->connections)
			fprintf(fp,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#a5d6a7\"><title>%s:"
				" %" PRIu64 " connections, %" PRIu64 " old</title></rect>\n",
				x + 1, top + h - ht, bw - 2, ht, t1, b->connections, b->old);
		if (b->old)
			fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#d32f2f\"/>\n",
				x + 1, top + h - ho, bw - 2, ho);
	}
	rep_ts_human(d->first_ns, t1);
	rep_ts_human(d->last_ns, t2);
	fprintf(fp,
		"<text x=\"%u\" y=\"%u\" font-size=\"11\">%s</text><text x=\"%d\" y=\"%u\" font-size=\"11\""
		" text-anchor=\"end\">%s</text>\n",
		left, top + h + 16, t1, CHART_W - 10, top + h + 16, t2);
	fprintf(fp,
		"<rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"#d32f2f\"/><text x=\"%u\" y=\"%u\""
		" font-size=\"12\">old version (below policy)</text><rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\""
		" fill=\"#a5d6a7\"/><text x=\"%u\" y=\"%u\" font-size=\"12\">current</text>\n",
		left, top + h + 24, left + 16, top + h + 35, left + 230, top + h + 24, left + 246, top + h + 35);
	fputs("</svg>\n", fp);
}

static void html_report(FILE *fp, const struct rep_data *d)
{
	char a[32], t1[64], t2[64], line[512];
	enum rep_verdict v = report_overall(d);
	size_t lossy = rep_lossy_captures(d);
	head(fp, "tlsaudit report");
	fprintf(fp,
		"<h1>tlsaudit report</h1>\n<div class=\"verdict v-%s\" id=\"verdict\">Verdict: <b>%s</b> &mdash;"
		" %zu violation, %zu at risk, %zu ok (policy: %s or newer)</div>\n",
		vclass(v), report_verdict_name(v), rep_host_count(d, REP_VIOLATION), rep_host_count(d, REP_AT_RISK),
		rep_host_count(d, REP_OK), rep_version(d->q.min_level, a));
	rep_ts_human(d->first_ns, t1);
	rep_ts_human(d->last_ns, t2);
	fprintf(fp, "<p>%" PRIu64 " TLS connections from %s to %s", d->connections, t1, t2);
	if (d->q.host[0]) {
		fputs(", host <code>", fp);
		esc(fp, d->q.host);
		fputs("</code>", fp);
	}
	fprintf(fp, "; %zu captures.</p>\n", d->n_captures);
	if (lossy)
		fprintf(fp,
			"<p class=\"warn\">%zu of %zu captures lost or skipped packets: this report may miss"
			" connections (see <a href=\"#captures\">captures</a>).</p>\n",
			lossy, d->n_captures);

	fputs("<section><h2>Connections per negotiated version</h2>\n", fp);
	chart_versions(fp, d);
	fputs("</section>\n<section><h2>Timeline of old-version use</h2>\n", fp);
	chart_timeline(fp, d);
	fputs("</section>\n", fp);

	fputs("<h2>Hosts</h2>\n<div class=\"scroll\"><table id=\"hosts\"><thead><tr><th>host</th><th>role</th>"
	      "<th>verdict</th><th>conns</th><th>ok</th><th>failed</th><th>offered max</th><th>negotiated</th>"
	      "<th>failures</th><th>peers</th><th>SNI</th><th>first / last seen</th></tr></thead><tbody>\n",
	      fp);
	for (int want = REP_VIOLATION; want >= REP_OK; want--)
		for (size_t i = 0; i < d->n_hosts; i++) {
			const struct rep_host *h = &d->hosts[i];
			if ((int)h->verdict != want)
				continue;
			fputs("<tr><td class=\"mono nw\">", fp);
			esc(fp, h->ip);
			fprintf(fp,
				"</td><td>%s</td><td class=\"tag tag-%s\">%s</td><td class=\"n\">%" PRIu64
				"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td>%s</td><td>",
				h->role, vclass(h->verdict), report_verdict_name(h->verdict), h->connections,
				h->established, h->failed, rep_version(h->max_offered, a));
			rep_cell_versions(fp, h, &cell_style);
			fputs("</td><td>", fp);
			rep_cell_reasons(fp, h, &cell_style);
			fputs("</td><td class=\"mono nw\">", fp);
			rep_cell_peers(fp, h, &cell_style);
			fputs("</td><td class=\"mono sni\">", fp);
			rep_cell_snis(fp, h, &cell_style);
			rep_ts_human(h->first_ns, t1);
			rep_ts_human(h->last_ns, t2);
			fprintf(fp, "</td><td>%s<br>%s</td></tr>\n", t1, t2);
		}
	fputs("</tbody></table></div>\n", fp);

	rep_probes_html(fp, d);

	fputs("<h2>Findings</h2>\n", fp);
	bool anyf = false;
	for (size_t i = 0; i < d->n_hosts; i++) {
		const struct rep_host *h = &d->hosts[i];
		if (h->verdict == REP_OK)
			continue;
		anyf = true;
		fputs("<section><h3><span class=\"mono\">", fp);
		esc(fp, h->ip);
		fprintf(fp, "</span> as %s: <span class=\"tag tag-%s\">%s</span></h3><ul>\n", h->role,
			vclass(h->verdict), report_verdict_name(h->verdict));
		for (size_t k = 0; k < sizeof(rep_reason_bits) / sizeof(rep_reason_bits[0]); k++)
			if (h->reasons_mask & rep_reason_bits[k]) {
				rep_reason_text(h, rep_reason_bits[k], d->q.min_level, line, sizeof(line));
				fputs("<li>", fp);
				esc(fp, line);
				fputs("</li>\n", fp);
			}
		for (size_t k = 0; k < rep_n_hints; k++)
			if (report_hint_applies(&rep_hints[k], h))
				fprintf(fp, "<li>remediation: <a href=\"#hint-%s\">%s</a></li>\n", rep_hints[k].id,
					rep_hints[k].id);
		fputs("</ul></section>\n", fp);
	}
	if (!anyf)
		fputs("<p>No host violates the policy.</p>\n", fp);

	fputs("<h2>Remediation</h2>\n", fp);
	for (size_t k = 0; k < rep_n_hints; k++) {
		bool used = false;
		for (size_t i = 0; i < d->n_hosts && !used; i++)
			used = report_hint_applies(&rep_hints[k], &d->hosts[i]);
		if (!used)
			continue;
		fprintf(fp, "<section id=\"hint-%s\"><h3>%s</h3><p>", rep_hints[k].id, rep_hints[k].id);
		esc(fp, rep_hints[k].title);
		fputs("</p><p>Hosts:", fp);
		for (size_t i = 0; i < d->n_hosts; i++)
			if (report_hint_applies(&rep_hints[k], &d->hosts[i])) {
				fputs(" <span class=\"mono\">", fp);
				esc(fp, d->hosts[i].ip);
				fprintf(fp, "</span> as %s;", d->hosts[i].role);
			}
		fputs("</p><ol>\n", fp);
		for (size_t s = 0;
		     s < sizeof(rep_hints[k].steps) / sizeof(rep_hints[k].steps[0]) && rep_hints[k].steps[s]; s++) {
			fputs("<li>", fp);
			esc(fp, rep_hints[k].steps[s]);
			fputs("</li>\n", fp);
		}
		fputs("</ol></section>\n", fp);
	}

	fputs("<h2 id=\"captures\">Captures</h2>\n<div class=\"scroll\"><table><thead><tr><th>#</th><th>path</th>"
	      "<th>sensor</th><th>status</th><th>packets</th><th>TLS conns</th><th>first / last packet</th>"
	      "<th>lost or skipped</th><th>sha256</th></tr></thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < d->n_captures; i++) {
		const struct rep_capture *c = &d->captures[i];
		fprintf(fp, "<tr><td class=\"n\">%" PRId64 "</td><td class=\"mono wrap\">", c->id);
		esc(fp, c->path);
		fputs("</td><td>", fp);
		esc(fp, c->sensor);
		fputs("</td><td>", fp);
		esc(fp, c->status);
		rep_ts_human(c->first_ns, t1);
		rep_ts_human(c->last_ns, t2);
		fprintf(fp,
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td>%s<br>%s</td><td>",
			c->packets, c->connections, t1, t2);
		int n = 0;
		for (size_t k = 0; k < rep_n_counters; k++) {
			uint64_t val = rep_counter_value(c, &rep_counters[k]);
			if (val && rep_capture_lossy(c) && strcmp(rep_counters[k].name, "frames") &&
			    strcmp(rep_counters[k].name, "frame_bytes") && strcmp(rep_counters[k].name, "flows") &&
			    strcmp(rep_counters[k].name, "flows_tls") && strcmp(rep_counters[k].name, "tcp_packets"))
				fprintf(fp, "%s%s:&nbsp;%" PRIu64, n++ ? "<br>" : "", rep_counters[k].name, val);
		}
		if (!n)
			fputs("none", fp);
		if (c->warnings[0]) {
			fputs("<br>", fp);
			esc(fp, c->warnings);
		}
		fputs("</td><td class=\"mono wrap\">", fp);
		esc(fp, c->sha256[0] ? c->sha256 : "-");
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table></div>\n<p><small>Generated by tlsaudit from passive captures: it shows what hosts"
	      " did, not what they would accept.</small></p>\n</body></html>\n",
	      fp);
}

static void html_diff(FILE *fp, const struct rep_diff *d)
{
	char b[256], a[256];
	enum rep_verdict vb = report_overall(d->before), va = report_overall(d->after);
	head(fp, "tlsaudit diff");
	fprintf(fp,
		"<h1>tlsaudit diff</h1>\n<div class=\"verdict v-%s\">Before: <b>%s</b> &rarr; after: <b>%s</b></div>\n",
		vclass(va), report_verdict_name(vb), report_verdict_name(va));
	fputs("<div class=\"scroll\"><table><thead><tr><th>change</th><th>host</th><th>role</th><th>before</th>"
	      "<th>after</th></tr></thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct rep_diff_row *r = &d->rows[i];
		const struct rep_host *h = r->after ? r->after : r->before;
		snprintf(b, sizeof(b), "not seen");
		snprintf(a, sizeof(a), "not seen");
		if (r->before)
			report_host_state(r->before, b, sizeof(b));
		if (r->after)
			report_host_state(r->after, a, sizeof(a));
		fprintf(fp, "<tr><td>%s</td><td class=\"mono\">", report_change_name(r->change));
		esc(fp, h->ip);
		fprintf(fp, "</td><td>%s</td><td>", h->role);
		if (r->before)
			fprintf(fp, "<span class=\"tag tag-%s\">%s</span>: ", vclass(r->before->verdict),
				report_verdict_name(r->before->verdict));
		esc(fp, b);
		fputs("</td><td>", fp);
		if (r->after)
			fprintf(fp, "<span class=\"tag tag-%s\">%s</span>: ", vclass(r->after->verdict),
				report_verdict_name(r->after->verdict));
		esc(fp, a);
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table></div>\n", fp);
	rep_probes_diff_html(fp, d);
	fputs("</body></html>\n", fp);
}

const struct rep_format_ops rep_fmt_html = {
	.name = "html",
	.report = html_report,
	.diff = html_diff,
};
