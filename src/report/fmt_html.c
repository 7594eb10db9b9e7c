/* fmt_html.c - one self-contained HTML file: inline CSS, charts drawn here as CSS bars and inline SVG, no script
 * and no fetch (a Content-Security-Policy meta forbids both, so even a mistake could not load or run anything).
 * Every wire string goes through out_html_string.
 *
 * Layout (README "The HTML report"): the first screen says what is wrong and where in a few sentences (the
 * verdict, the headlines with their worst hosts, the key figures, what to do first); then the host roles ranked
 * by severity as bars - established connections by negotiated version, failed ones by the version the client
 * offered (hatched, in that version's colour), unknown outcomes grey - and connections per version; the worst
 * host roles as a table (--top N; cards on a phone), groups by network and SNI domain when there are more
 * problems than fit, impact, remediation with copy-ready .reg/PowerShell blocks, posture, the timeline, a
 * compact list of every host role (collapsed, not printed) and the provenance. Sizes: the top-N parts are
 * bounded; the compact list costs about 130 bytes per host role and stops at HTML_ALL_MAX rows. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/output.h"
#include "tlsaudit/stack.h"

#define HTML_SNI_MAX 64
#define HTML_ALL_MAX 20000 /* rows of the compact list of every host role */
#define WHERE_MAX    3
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

static void head(FILE *fp, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
	      " img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      fp);
	fputs(title, fp);
	fputs("</title>\n<style>\n"
	      ":root{--v:#c62828;--r:#e65100;--o:#2e7d32;--n:#6a1b9a}\n"
	      "*{box-sizing:border-box}body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 "
	      "auto;max-width:1240px;padding:12px 16px;color:#222;line-height:1.4;overflow-wrap:break-word}\n"
	      "h1{font-size:1.4em;margin:.2em 0 .4em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.6em}"
	      "h3{font-size:1em;margin:1em 0 .3em}\n"
	      ".verdict{padding:12px 16px;border-radius:6px;font-size:1.2em;color:#fff;margin:0}"
	      ".verdict b{text-transform:uppercase;margin-right:.4em}\n"
	      ".v-violation{background:var(--v)}.v-at-risk{background:var(--r)}.v-ok{background:var(--o)}"
	      ".v-stale,.v-no-data,.v-no-tls{background:var(--n)}\n"
	      "ul.hl{list-style:none;padding:0;margin:.8em 0;font-size:1.05em}ul.hl li{padding:4px 0 4px 26px;"
	      "position:relative}ul.hl li::before{content:'';position:absolute;left:4px;top:.55em;width:12px;"
	      "height:12px;border-radius:50%;background:#9e9e9e}ul.hl li.l-violation::before{background:var(--v)}"
	      "ul.hl li.l-at-risk::before{background:var(--r)}\n"
	      ".kpi{color:#444;margin:.4em 0}.next{background:#f5f5f5;border-left:4px solid #1976d2;padding:8px 10px}\n"
	      ".warn{background:#fff3e0;border-left:4px solid var(--r);padding:8px}\n"
	      "nav{font-size:.9em;margin:.8em 0;display:flex;flex-wrap:wrap;gap:4px 14px}\n"
	      ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.88em}\n"
	      "th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}"
	      "td.n{text-align:right;white-space:nowrap}\n"
	      ".t-violation{color:var(--v);font-weight:bold}.t-at-risk{color:var(--r);font-weight:bold}"
	      ".t-ok{color:var(--o)}.t-no-tls{color:#666;font-weight:bold}\n"
	      "code,pre,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}"
	      ".mono,.sni{overflow-wrap:break-word;word-break:normal}td.sni{max-width:18em}td.pe{max-width:17em}"
	      "td.ip{min-width:8em}.row .l .mono{overflow-wrap:anywhere}\n"
	      "pre{background:#f6f8fa;border:1px solid #ddd;padding:8px;overflow-x:auto;white-space:pre}\n",
	      fp);
	fputs(".legend span{display:inline-block;margin-right:12px;font-size:.85em}.legend i{display:inline-block;"
	      "width:12px;height:12px;vertical-align:-1px;margin-right:4px}\n"
	      ".bars{margin:.5em 0}.row{display:grid;grid-template-columns:minmax(10em,26em) 1fr 4em;gap:8px;"
	      "align-items:center;margin:2px 0;font-size:.85em}.row .l{overflow-wrap:anywhere;text-align:right}"
	      ".bar{display:flex;height:16px;background:#fafafa}.bar i{display:block;height:100%;min-width:2px;"
	      "-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	      ".c0{background:#9e9e9e}.c1{background:#4a0000}.c2{background:#7f0000}.c3{background:#d32f2f}"
	      ".c4{background:#f57c00}.c5{background:#388e3c}.c6{background:#1976d2}.c7{background:#7b1fa2}\n"
	      ".f.c0{background:repeating-linear-gradient(45deg,#9e9e9e 0 3px,#fff 3px 5px)}"
	      ".f.c1{background:repeating-linear-gradient(45deg,#4a0000 0 3px,#fff 3px 5px)}"
	      ".f.c2{background:repeating-linear-gradient(45deg,#7f0000 0 3px,#fff 3px 5px)}"
	      ".f.c3{background:repeating-linear-gradient(45deg,#d32f2f 0 3px,#fff 3px 5px)}"
	      ".f.c4{background:repeating-linear-gradient(45deg,#f57c00 0 3px,#fff 3px 5px)}"
	      ".f.c5{background:repeating-linear-gradient(45deg,#388e3c 0 3px,#fff 3px 5px)}"
	      ".f.c6{background:repeating-linear-gradient(45deg,#1976d2 0 3px,#fff 3px 5px)}"
	      ".f.c7{background:repeating-linear-gradient(45deg,#7b1fa2 0 3px,#fff 3px 5px)}"
	      ".u{background:repeating-linear-gradient(90deg,#bdbdbd 0 2px,#fff 2px 4px)}\n",
	      fp);
	fputs("svg{max-width:100%;height:auto}li{margin:.25em 0}details summary{cursor:pointer;font-weight:bold}\n"
	      "table.all td{padding:1px 5px;border-color:#eee}\n"
	      "@media (max-width:640px){body{padding:8px}.row{grid-template-columns:1fr 3em}.row .l{grid-column:1/3;"
	      "text-align:left}#hosts thead{display:none}#hosts,#hosts tbody,#hosts tr,#hosts td{display:block;"
	      "width:100%}#hosts tr{border:1px solid #ccc;margin:0 0 8px;border-radius:4px}#hosts td{border:0;"
	      "border-top:1px solid #eee}#hosts td::before{content:attr(data-l);display:block;font-size:.8em;"
	      "color:#666}.verdict{font-size:1.05em}}\n"
	      "@media (min-width:641px){#hosts{table-layout:fixed}#hosts td{overflow-wrap:break-word}"
	      "#hosts th:nth-child(1){width:12%}#hosts th:nth-child(2){width:7%}#hosts th:nth-child(3){width:9%}"
	      "#hosts th:nth-child(4){width:9%}#hosts th:nth-child(5){width:13%}#hosts th:nth-child(6){width:12%}"
	      "#hosts th:nth-child(7){width:14%}#hosts th:nth-child(8){width:15%}#hosts th:nth-child(9){width:9%}}\n"
	      "@page{size:A4 portrait;margin:12mm}\n"
	      "@media print{body{max-width:none;padding:0;font-size:9pt}nav,#all,.noprint{display:none}"
	      ".scroll{overflow:visible}table{font-size:7.5pt;width:100%}th,td{padding:2px 3px}"
	      "td.sni{min-width:8em}h2{break-after:avoid}tr,.row,pre,li,section.hint{break-inside:avoid}"
	      ".verdict{color:#000;border:2px solid #000;background:none!important}pre{white-space:pre-wrap;"
	      "font-size:7pt}.row{grid-template-columns:14em 1fr 3em}"
	      "}\n"
	      "</style></head><body>\n",
	      fp);
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
			fputs(shown++ ? ", " : " &mdash; ", fp);
			fputs("<span class=\"mono\">", fp);
			esc(fp, h->ip);
			fputs("</span>", fp);
		}
	}
	if (total > shown)
		fprintf(fp, " and %zu more", total - shown);
}

static void first_screen(FILE *fp, const struct rep_data *d)
{
	char a[32], t1[64], t2[64], dur[32], w[512];
	enum rep_verdict v = report_overall(d);
	fprintf(fp, "<header><h1>TLS audit</h1>\n<p class=\"verdict v-%s\" id=\"verdict\"><b>%s</b>",
		rep_verdict_class(v), report_verdict_name(v));
	if (v == REP_NO_DATA) {
		rep_ts_human(d->db_first_ns, t1);
		rep_ts_human(d->db_last_ns, t2);
		fprintf(fp,
			"No connection in the selection: nothing can be said about it. The database holds %" PRIu64
			" connections",
			d->db_connections);
		if (d->db_connections)
			fprintf(fp, " from %s to %s", t1, t2);
		fputs(".</p>\n", fp);
	} else if (v == REP_STALE) {
		rep_duration(rep_age_ns(d), dur);
		fprintf(fp, "The newest %s is %s old: %s. Before that: %s.</p>\n", d->last_ns ? "connection" : "probe",
			dur, d->last_ns ? "the sensor may have stopped" : "the probes may have stopped",
			report_verdict_name(rep_worst_host(d)));
	} else {
		size_t nt = rep_host_count(d, REP_NO_TLS);
		if (v == REP_OK || v == REP_NO_TLS) {
			rep_fine_sentence(d, w, sizeof(w));
			fprintf(fp, "%s</p>\n", w);
		} else {
			fprintf(fp, "%zu of %zu host roles violate the policy (%s or newer), %zu more are at risk",
				rep_host_count(d, REP_VIOLATION), d->n_hosts, rep_version(d->policy.min_level, a),
				rep_host_count(d, REP_AT_RISK));
			if (nt)
				fprintf(fp, ", %zu showed no TLS version", nt);
			fputs(".</p>\n", fp);
		}
	}
	struct rep_headline hl[REP_MAX_HEADLINES];
	size_t nh = v == REP_NO_DATA ? 0 : rep_headlines(d, hl, REP_MAX_HEADLINES);
	if (nh) {
		fputs("<ul class=\"hl\" id=\"headline\">\n", fp);
		for (size_t i = 0; i < nh; i++) {
			fprintf(fp, "<li class=\"l-%s\">%s", rep_verdict_class(hl[i].level),
				hl[i].level != REP_OK ? "<b>" : "");
			esc(fp, hl[i].text);
			fputs(hl[i].level != REP_OK ? "</b>" : "", fp);
			if (hl[i].reason)
				where(fp, d, &hl[i]);
			fputs("</li>\n", fp);
		}
		fputs("</ul>\n", fp);
	}
	rep_ts_human(d->first_ns, t1);
	rep_ts_human(d->last_ns, t2);
	rep_window_text(d, w, sizeof(w));
	fprintf(fp,
		"<p class=\"kpi\">%" PRIu64 " TLS connections (%" PRIu64 " established, %" PRIu64 " failed, %" PRIu64
		" unknown) &middot; %zu host roles &middot; %s to %s &middot; %zu captures",
		d->connections, d->established, d->failed, d->unknown, d->n_hosts, t1, t2, d->n_captures);
	if (d->n_probes)
		fprintf(fp, " &middot; %zu probed endpoint%s", d->n_probes, d->n_probes == 1 ? "" : "s");
	fputs(" &middot; selection: ", fp);
	esc(fp, w);
	fputs("</p>\n", fp);
	size_t lossy = rep_lossy_captures(d);
	if (lossy)
		fprintf(fp,
			"<p class=\"warn\">%zu of %zu captures lost or skipped packets: this report may miss"
			" connections (see <a href=\"#provenance\">provenance</a>).</p>\n",
			lossy, d->n_captures);
	/* what to do first: the most urgent hints (those the policy's violations call for) */
	struct rep_hint_rank hr[64];
	size_t n = rep_hint_order(d, hr, 64), first = 0;
	for (size_t k = 0; k < n && first < 3; k++)
		first += hr[k].violation + hr[k].at_risk > 0;
	if (first) {
		fputs("<p class=\"next\" id=\"next\"><b>What to do first:</b> ", fp);
		for (size_t i = 0; i < first; i++) {
			fprintf(fp, "%s<a href=\"#hint-%s\">", i ? "; " : "", hr[i].hint->id);
			esc(fp, hr[i].hint->action);
			fprintf(fp, "</a> (%zu host role%s)", hr[i].hosts, hr[i].hosts == 1 ? "" : "s");
		}
		if (n > first)
			fprintf(fp, "; %zu more in <a href=\"#remediation\">remediation</a>", n - first);
		fputs(".</p>\n", fp);
	}
	fprintf(fp,
		"</header>\n<nav class=\"noprint\"><a href=\"#chart\">chart</a><a href=\"#hosts-h\">hosts</a>"
		"<a href=\"#impact\">impact</a>%s<a href=\"#remediation\">remediation</a><a "
		"href=\"#posture\">posture</a>"
		"<a href=\"#timeline\">timeline</a><a href=\"#all\">all host roles</a><a "
		"href=\"#provenance\">provenance</a>"
		"</nav>\n",
		d->n_probes ? "<a href=\"#probes\">probes</a>" : "");
}

/* ---- charts ---- */

static void seg(FILE *fp, const char *cls, int col, uint64_t n, uint64_t max, const char *what)
{
	if (!n)
		return;
	fprintf(fp, "<i class=\"%s c%d\" style=\"width:%.2f%%\" title=\"%s %s: %" PRIu64 "\"></i>", cls, col,
		100.0 * (double)n / (double)max, rep_vcol_names[col], what, n);
}

static void legend(FILE *fp)
{
	fputs("<p class=\"legend\">", fp);
	for (int v = 0; v < REP_V_COUNT; v++)
		if (v != REP_V_NONE)
			fprintf(fp, "<span><i class=\"c%d\"></i>%s</span>", v, rep_vcol_names[v]);
	fputs("<span><i class=\"f c3\"></i>hatched: failed, by the version the client offered</span>"
	      "<span><i class=\"u\"></i>outcome unknown</span></p>\n",
	      fp);
}

static void chart_hosts(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	size_t n = d->n_hosts < r->top ? d->n_hosts : r->top;
	uint64_t max = 1;
	for (size_t i = 0; i < n; i++)
		if (rep_ranked(d, i)->connections > max)
			max = rep_ranked(d, i)->connections;
	fputs("<section id=\"chart\"><h2>The worst host roles: connections by version and outcome</h2>\n", fp);
	legend(fp);
	fputs("<div class=\"bars\" id=\"chart-hosts\">\n", fp);
	for (size_t i = 0; i < n; i++) {
		const struct rep_host *h = rep_ranked(d, i);
		fputs("<div class=\"row\"><span class=\"l\"><span class=\"mono\">", fp);
		esc(fp, h->ip);
		fprintf(fp, "</span> %s <span class=\"t-%s\">%s</span></span><span class=\"bar\">", h->role,
			rep_verdict_class(h->verdict), report_verdict_name(h->verdict));
		/* worst first inside the bar too: failed by offered version, old established, unknown, current */
		for (int v = 0; v < REP_V_COUNT; v++)
			seg(fp, "f", v, h->failed_by_offered[v], max, "offered, failed");
		for (int v = 0; v < REP_V_COUNT; v++)
			if (v != REP_V_TLS12 && v != REP_V_TLS13)
				seg(fp, "e", v, h->est_by_version[v], max, "established");
		for (int v = 0; v < REP_V_COUNT; v++)
			if (h->unknown_by_offered[v])
				fprintf(fp,
					"<i class=\"u\" style=\"width:%.2f%%\" title=\"%s offered, outcome unknown: "
					"%" PRIu64 "\"></i>",
					100.0 * (double)h->unknown_by_offered[v] / (double)max, rep_vcol_names[v],
					h->unknown_by_offered[v]);
		seg(fp, "e", REP_V_TLS12, h->est_by_version[REP_V_TLS12], max, "established");
		seg(fp, "e", REP_V_TLS13, h->est_by_version[REP_V_TLS13], max, "established");
		fprintf(fp, "</span><span class=\"n\">%" PRIu64 "</span></div>\n", h->connections);
	}
	fputs("</div>\n", fp);
	if (n < d->n_hosts)
		fprintf(fp,
			"<p>The %zu worst of %zu host roles; the rest are in the <a href=\"#all\">compact list</a> and "
			"in"
			" <code>--format csv</code>.</p>\n",
			n, d->n_hosts);
	/* connections per version: what was offered and what came of it */
	uint64_t vmax = 1, tot[REP_V_COUNT];
	for (int v = 0; v < REP_V_COUNT; v++) {
		tot[v] = d->est_by_version[v] + d->failed_by_offered[v] + d->unknown_by_offered[v];
		if (tot[v] > vmax)
			vmax = tot[v];
	}
	fputs("<h3>Connections per version</h3><div class=\"bars\" id=\"chart-versions\">\n", fp);
	static const int order[] = {REP_V_SSL2,	 REP_V_SSL3,  REP_V_TLS10, REP_V_TLS11,
				    REP_V_TLS12, REP_V_TLS13, REP_V_OTHER, REP_V_NONE};
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		int v = order[k];
		if (!tot[v])
			continue;
		fprintf(fp, "<div class=\"row\"><span class=\"l\">%s: %" PRIu64 " established, %" PRIu64 " failed",
			v == REP_V_NONE ? "no version" : rep_vcol_names[v], d->est_by_version[v],
			d->failed_by_offered[v]);
		if (d->unknown_by_offered[v])
			fprintf(fp, ", %" PRIu64 " unknown", d->unknown_by_offered[v]);
		fputs("</span><span class=\"bar\">", fp);
		seg(fp, "f", v, d->failed_by_offered[v], vmax, "offered, failed");
		if (d->unknown_by_offered[v])
			fprintf(fp, "<i class=\"u\" style=\"width:%.2f%%\"></i>",
				100.0 * (double)d->unknown_by_offered[v] / (double)vmax);
		seg(fp, "e", v, d->est_by_version[v], vmax, "established");
		fprintf(fp, "</span><span class=\"n\">%" PRIu64 "</span></div>\n", tot[v]);
	}
	fputs("</div><p><small>Established connections by the version negotiated; failed and unknown ones by the"
	      " highest version the client offered.</small></p></section>\n",
	      fp);
}

static void chart_timeline(FILE *fp, const struct rep_data *d)
{
	uint64_t max = 1;
	char t1[64], t2[64];
	if (!d->n_buckets)
		return;
	for (size_t i = 0; i < d->n_buckets; i++)
		if (d->timeline[i].connections > max)
			max = d->timeline[i].connections;
	unsigned h = 140, top = 10, bottom = 40, left = 40;
	double bw = (double)(CHART_W - left - 10) / (double)d->n_buckets;
	fprintf(fp,
		"<section id=\"timeline\"><h2>Old-version use over time</h2>\n<svg id=\"chart-timeline\" role=\"img\""
		" aria-label=\"timeline of old-version use\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %u\""
		" width=\"%d\">\n",
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
		" font-size=\"12\">offered only or negotiated a version below the policy</text><rect x=\"%u\" y=\"%u\""
		" width=\"12\" height=\"12\" fill=\"#a5d6a7\"/><text x=\"%u\" y=\"%u\" "
		"font-size=\"12\">current</text>\n",
		left, top + h + 24, left + 16, top + h + 35, left + 400, top + h + 24, left + 416, top + h + 35);
	fputs("</svg></section>\n", fp);
}

/* ---- tables ---- */

static void hosts_table(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	char a[32], b[32], t1[64], t2[64];
	size_t n = d->n_hosts < r->top ? d->n_hosts : r->top;
	fprintf(fp, "<h2 id=\"hosts-h\">Host roles in detail, worst first</h2>\n");
	if (n < d->n_hosts)
		fprintf(fp,
			"<p>The %zu worst of %zu; <code>--top N</code> shows more, <code>--format csv</code> lists all"
			" with every column.</p>\n",
			n, d->n_hosts);
	fputs("<div class=\"scroll fit\"><table "
	      "id=\"hosts\"><thead><tr><th>host</th><th>verdict</th><th>connections</th>"
	      "<th>versions</th><th>client stack</th><th>failures</th><th>peers</th><th>SNI</th><th>seen</th></tr>"
	      "</thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < n; i++) {
		const struct rep_host *h = rep_ranked(d, i);
		fputs("<tr><td class=\"ip\" data-l=\"host\"><span class=\"mono\">", fp);
		esc(fp, h->ip);
		fprintf(fp,
			"</span> %s</td><td data-l=\"verdict\" class=\"t-%s\">%s</td><td "
			"data-l=\"connections\">%" PRIu64 ": %" PRIu64 " ok",
			h->role, rep_verdict_class(h->verdict), report_verdict_name(h->verdict), h->connections,
			h->established);
		if (h->failed)
			fprintf(fp, ", %" PRIu64 " failed", h->failed);
		if (h->unknown)
			fprintf(fp, ", %" PRIu64 " unknown", h->unknown);
		fputs("</td><td data-l=\"versions\">offered max ", fp);
		if (h->min_offered != h->max_offered)
			fprintf(fp, "%s..%s", rep_version(h->min_offered, a), rep_version(h->max_offered, b));
		else
			fputs(rep_version(h->max_offered, a), fp);
		fputs("<br>", fp);
		rep_cell_versions(fp, h, &cell_style);
		fputs("</td><td data-l=\"client stack\">", fp);
		rep_cell_stacks(fp, h, &cell_style);
		fputs("</td><td data-l=\"failures\">", fp);
		rep_cell_reasons(fp, h, &cell_style);
		fputs("</td><td data-l=\"peers\" class=\"mono pe\">", fp);
		rep_cell_peers(fp, h, &cell_style);
		fputs("</td><td data-l=\"SNI\" class=\"mono sni\">", fp);
		rep_cell_snis(fp, h, &cell_style);
		rep_ts_human(h->first_ns, t1);
		rep_ts_human(h->last_ns, t2);
		fprintf(fp, "</td><td data-l=\"seen\">%s<br>%s</td></tr>\n", t1, t2);
	}
	fputs("</tbody></table></div>\n", fp);
}

static void groups(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	size_t bad = d->n_hosts - rep_host_count(d, REP_OK);
	if (bad <= r->top)
		return;
	fprintf(fp,
		"<h2 id=\"groups\">Where the problems are</h2>\n<p>%zu host roles are not ok; grouped by network"
		" and by the domain of the SNI names they saw (%zu largest groups each).</p>\n<div class=\"scroll\">"
		"<table><thead><tr><th>group</th><th>host roles not ok</th><th>violation</th><th>at risk</th>"
		"<th>connections</th></tr></thead><tbody>\n",
		bad, r->top);
	for (int kind = 0; kind < 2; kind++) {
		struct rep_group *g = NULL;
		size_t n = 0;
		if (rep_groups(d, (enum rep_group_kind)kind, &g, &n) == 0)
			for (size_t i = 0; i < n && i < r->top; i++) {
				fprintf(fp, "<tr><td>%s <span class=\"mono\">",
					kind == REP_GROUP_NET ? "network" : "SNI domain");
				out_html_string(fp, g[i].key, g[i].key_len);
				fprintf(fp,
					"</span></td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td "
					"class=\"n\">%zu</td>"
					"<td class=\"n\">%" PRIu64 "</td></tr>\n",
					g[i].hosts, g[i].violation, g[i].at_risk, g[i].connections);
			}
		if (n > r->top)
			fprintf(fp, "<tr><td colspan=\"5\">and %zu more %s</td></tr>\n", n - r->top,
				kind == REP_GROUP_NET ? "networks" : "domains");
		free(g);
	}
	fputs("</tbody></table></div>\n", fp);
}

static void findings(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	char line[1024];
	fputs("<h2 id=\"findings\">Findings</h2>\n", fp);
	size_t n = 0, total = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		total += d->hosts[i].reasons_mask != 0;
	for (size_t i = 0; i < d->n_hosts && n < r->top; i++) {
		const struct rep_host *h = rep_ranked(d, i);
		if (!h->reasons_mask)
			continue;
		n++;
		fputs("<section><h3><span class=\"mono\">", fp);
		esc(fp, h->ip);
		fprintf(fp, "</span> as %s: <span class=\"t-%s\">%s</span></h3><ul>\n", h->role,
			rep_verdict_class(h->verdict), report_verdict_name(h->verdict));
		for (size_t k = 0; k < h->n_stacks; k++) {
			char lab[200], facts[200];
			rep_stack_label(&h->stacks[k], lab, sizeof(lab));
			rep_stack_facts(&h->stacks[k], facts, sizeof(facts));
			fputs("<li>stack: ", fp);
			esc(fp, lab);
			fputs(", ", fp);
			esc(fp, facts);
			fputs("</li>\n", fp);
		}
		for (size_t k = 0; k < REP_R_COUNT; k++)
			if (h->reasons_mask & rep_reason_order[k]) {
				rep_reason_text(d, h, rep_reason_order[k], line, sizeof(line));
				fputs(rep_level_of(&d->policy, rep_reason_order[k]) == REP_LEVEL_INFO ? "<li>note: "
												      : "<li>",
				      fp);
				esc(fp, line);
				fputs("</li>\n", fp);
			}
		struct rep_hint_use u[REP_MAX_HOST_HINTS];
		size_t nu = report_host_hints(h, u, REP_MAX_HOST_HINTS);
		for (size_t k = 0; k < nu; k++) {
			bool dup = false;
			for (size_t j = 0; j < k; j++)
				dup |= u[j].hint == u[k].hint;
			if (!dup)
				fprintf(fp, "<li>remediation: <a href=\"#hint-%s\">%s</a></li>\n", u[k].hint->id,
					u[k].hint->id);
		}
		fputs("</ul></section>\n", fp);
	}
	if (!n)
		fputs("<p>No host role has a finding.</p>\n", fp);
	else if (n < total)
		fprintf(fp,
			"<p>The %zu worst of %zu host roles with findings; <code>--format csv</code> has every "
			"one.</p>\n",
			n, total);
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

static void impact(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	char a[32], t[64];
	size_t n = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		n += d->hosts[i].impact_clients > 0;
	fprintf(fp, "<h2 id=\"impact\">Impact: before a server requires %s</h2>\n",
		rep_version(d->policy.min_level, a));
	if (!n) {
		fputs("<p>No server saw a client whose hellos offered only older versions: requiring the policy's"
		      " minimum breaks no client seen in this window.</p>\n",
		      fp);
		return;
	}
	const struct rep_host **v = malloc(n * sizeof(*v));
	if (!v)
		return;
	n = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		if (d->hosts[i].impact_clients)
			v[n++] = &d->hosts[i];
	qsort(v, n, sizeof(*v), impact_rank);
	fputs("<p>Per server, the clients seen in this window whose hellos offered only older versions: they fail once"
	      " the server requires the minimum (those that connect today break).</p>\n<div class=\"scroll\">"
	      "<table><thead><tr><th>server</th><th>client</th><th>offers at most</th><th>connections</th>"
	      "<th>established today</th><th>last seen</th><th>stack</th><th>SNI</th></tr></thead><tbody>\n",
	      fp);
	size_t shown = n < r->top ? n : r->top;
	for (size_t i = 0; i < shown; i++) {
		const struct rep_host *h = v[i];
		size_t per = r->top / 4 > 3 ? r->top / 4 : 3; /* clients per server: the list of servers is the point */
		size_t ks = h->n_impact < per ? h->n_impact : per;
		for (size_t k = 0; k < ks; k++) {
			const struct rep_impact *m = &h->impact[k];
			fputs("<tr><td class=\"mono\">", fp);
			if (!k) {
				esc(fp, h->ip);
				fprintf(fp, "<br><small>%" PRIu64 " client%s</small>", h->impact_clients,
					h->impact_clients == 1 ? "" : "s");
			}
			fputs("</td><td class=\"mono\">", fp);
			esc(fp, m->ip);
			rep_ts_human(m->last_ns, t);
			fprintf(fp,
				"</td><td>%s</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
				"</td><td>%s</td><td>",
				rep_version(m->max_offered, a), m->connections, m->established, t);
			esc(fp, m->stack);
			fputs("</td><td class=\"mono sni\">", fp);
			out_html_string(fp, m->sni, m->sni_len > HTML_SNI_MAX ? HTML_SNI_MAX : m->sni_len);
			fputs("</td></tr>\n", fp);
		}
		if (h->impact_clients > ks)
			fprintf(fp,
				"<tr><td></td><td colspan=\"7\">and %" PRIu64
				" more clients of this server (JSON and CSV list"
				" them)</td></tr>\n",
				h->impact_clients - ks);
	}
	fputs("</tbody></table></div>\n", fp);
	if (shown < n)
		fprintf(fp, "<p>%zu more servers have such clients (CSV column <code>impact</code>).</p>\n", n - shown);
	free(v);
}

/* one host role of a hint's list */
static void hint_user(void *ctx, const struct rep_host *h, size_t nth)
{
	FILE *fp = ctx;
	fputs(nth ? ", " : " ", fp);
	fputs("<span class=\"mono\">", fp);
	esc(fp, h->ip);
	fprintf(fp, "</span> as %s", h->role);
}

static void remediation(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	fputs("<h2 id=\"remediation\">Remediation</h2>\n", fp);
	bool any = false;
	struct rep_hint_rank hr[64];
	size_t nr = rep_hint_order(d, hr, 64);
	for (size_t k = 0; k < nr; k++) {
		const struct rep_hint *hint = hr[k].hint;
		size_t total = hr[k].hosts;
		any = true;
		fprintf(fp, "<section class=\"hint\" id=\"hint-%s\"><h3>", hint->id);
		esc(fp, hint->title);
		fprintf(fp, " <small class=\"mono\">[%s]</small></h3>\n<p>%zu host role%s:", hint->id, total,
			total == 1 ? "" : "s");
		struct rep_hint_users u;
		size_t shown = rep_hint_users(d, hint, r->top, hint_user, fp, &u);
		const char *const *families = u.families;
		size_t nfam = u.n_families;
		const char *win = u.windows;
		if (total > shown)
			fprintf(fp, "; and %zu more (CSV column <code>hints</code>)", total - shown);
		fputs("</p>\n", fp);
		char labels[8][REP_LABEL_LEN];
		size_t counts[8], nl = rep_hint_stacks(d, hint, labels, counts, 8);
		for (size_t k2 = 0; k2 < nl; k2++) {
			fputs(k2 ? "; " : "<p>Client stacks: ", fp);
			esc(fp, labels[k2]);
			fprintf(fp, " (%zu)%s", counts[k2], k2 + 1 == nl ? "</p>\n" : "");
		}
		if (win[0]) {
			fputs("<p>", fp);
			esc(fp, win);
			fputs("</p>\n", fp);
		}
		fputs("<ol>\n", fp);
		for (size_t s = 0; s < sizeof(hint->steps) / sizeof(hint->steps[0]) && hint->steps[s]; s++) {
			fputs("<li>", fp);
			esc(fp, hint->steps[s]);
			fputs("</li>\n", fp);
		}
		if (hint->family && strcmp(hint->family, "*") == 0)
			for (size_t f = 0; f < nfam; f++) {
				const struct stack_family *sf = stack_family_info(families[f]);
				if (!sf)
					continue;
				fprintf(fp, "<li><b>%s</b>: ", report_family_label(families[f]));
				esc(fp, sf->version_setting);
				if (sf->old_versions) {
					fputc(' ', fp);
					esc(fp, sf->old_versions);
				}
				fputs("</li>\n", fp);
			}
		fputs("</ol>\n", fp);
		for (size_t s = 0; s < sizeof(hint->snippets) / sizeof(hint->snippets[0]) && hint->snippets[s].text;
		     s++) {
			fputs("<p>", fp);
			esc(fp, hint->snippets[s].label);
			fputs(":</p><pre><code>", fp);
			esc(fp, hint->snippets[s].text);
			fputs("</code></pre>\n", fp);
		}
		fputs("</section>\n", fp);
	}
	if (!any)
		fputs("<p>Nothing to change.</p>\n", fp);
}

static void posture(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	static const unsigned reasons[] = {REP_R_CERT_EXPIRED,	 REP_R_CERT_EXPIRING,	 REP_R_CERT_WEAK_KEY,
					   REP_R_CERT_SHA1,	 REP_R_CERT_SELF_SIGNED, REP_R_CIPHER_NEGOTIATED,
					   REP_R_CIPHER_OFFERED, REP_R_NDPI_RISK};
	static const char *const titles[] = {"Expired certificates",
					     "Certificates expiring soon",
					     "Short RSA keys",
					     "SHA-1/MD5 signatures",
					     "Self-signed certificates",
					     "Weak cipher suites negotiated",
					     "Weak cipher suites offered",
					     "nDPI risks"};
	char line[1024];
	fputs("<h2 id=\"posture\">Posture: certificates, cipher suites, nDPI risks</h2>\n", fp);
	bool any = false;
	for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
		size_t total = 0;
		for (size_t i = 0; i < d->n_hosts; i++)
			total += (d->hosts[i].reasons_mask & reasons[k]) != 0;
		if (!total)
			continue;
		any = true;
		fprintf(fp, "<h3>%s <small>(policy: %s; %zu host role%s)</small></h3><ul>\n", titles[k],
			report_level_name(rep_level_of(&d->policy, reasons[k])), total, total == 1 ? "" : "s");
		size_t shown = 0;
		for (size_t i = 0; i < d->n_hosts && shown < r->top; i++) {
			const struct rep_host *h = rep_ranked(d, i);
			if (!(h->reasons_mask & reasons[k]))
				continue;
			shown++;
			fputs("<li><span class=\"mono\">", fp);
			esc(fp, h->ip);
			fprintf(fp, "</span> as %s: ", h->role);
			rep_reason_text(d, h, reasons[k], line, sizeof(line));
			esc(fp, line);
			fputs("</li>\n", fp);
		}
		if (total > shown)
			fprintf(fp, "<li>and %zu more</li>\n", total - shown);
		fputs("</ul>\n", fp);
	}
	if (!any)
		fputs("<p>No expired, expiring, self-signed or weak certificates, no weak cipher suites the policy "
		      "counts"
		      " and no nDPI risks were seen.</p>\n",
		      fp);
}

static void all_hosts(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	char a[32];
	if (d->n_hosts <= r->top)
		return;
	size_t n = d->n_hosts < HTML_ALL_MAX ? d->n_hosts : HTML_ALL_MAX;
	fprintf(fp,
		"<details id=\"all\"><summary>All %zu host roles, worst first (compact)</summary>\n"
		"<div class=\"scroll\"><table class=\"all\"><thead><tr><th>host</th><th>role</th><th>verdict</th>"
		"<th>conns</th><th>failed</th><th>unknown</th><th>offered max</th><th>lowest negotiated</th></tr>"
		"</thead><tbody>\n",
		d->n_hosts);
	for (size_t i = 0; i < n; i++) {
		const struct rep_host *h = rep_ranked(d, i);
		fputs("<tr><td class=\"mono\">", fp);
		esc(fp, h->ip);
		fprintf(fp,
			"</td><td>%s</td><td class=\"t-%s\">%s</td><td class=\"n\">%" PRIu64
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td>%s</td>",
			h->role, rep_verdict_class(h->verdict), report_verdict_name(h->verdict), h->connections,
			h->failed, h->unknown, rep_version(h->max_offered, a));
		fprintf(fp, "<td>%s</td></tr>\n", rep_version(h->min_negotiated, a));
	}
	fputs("</tbody></table></div>", fp);
	if (n < d->n_hosts)
		fprintf(fp, "<p>and %zu more: see <code>--format csv</code>.</p>", d->n_hosts - n);
	fputs("</details>\n", fp);
}

struct loss_ctx {
	FILE *fp;
	int n;
};

static void loss_item(void *ctx, const struct rep_counter *k, uint64_t v)
{
	struct loss_ctx *l = ctx;
	fprintf(l->fp, "%s<span title=\"%s\">%s:&nbsp;%" PRIu64 "</span>", l->n++ ? "<br>" : "", k->desc, k->name, v);
}

static void provenance(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	char t1[64], t2[64];
	const char *sensors[64];
	size_t ns = rep_sensors(d, sensors, 64);
	rep_ts_human(d->prov.generated_ns, t1);
	fprintf(fp, "<h2 id=\"provenance\">Provenance</h2>\n<p id=\"prov\">tlsaudit %s, generated %s, database <code>",
		d->prov.version, t1);
	esc(fp, d->prov.db);
	fputs("</code>; sensors:", fp);
	for (size_t i = 0; i < ns; i++) {
		fputs(i ? ", " : " ", fp);
		esc(fp, sensors[i]);
	}
	if (!ns)
		fputs(" none", fp);
	fprintf(fp, "; %zu captures.</p>\n", d->n_captures);
	fputs("<div class=\"scroll\"><table id=\"captures\"><thead><tr><th>#</th><th>path</th><th>sensor</th>"
	      "<th>status</th><th>options</th><th>packets</th><th>TLS conns</th><th>first / last packet</th>"
	      "<th>lost or skipped</th><th>sha256</th></tr></thead><tbody>\n",
	      fp);
	size_t shown = 0;
	for (size_t i = 0; i < d->n_captures; i++) {
		const struct rep_capture *c = &d->captures[i];
		if (d->n_captures > r->top * 2 && !rep_capture_lossy(c) && i + r->top < d->n_captures)
			continue; /* many captures: the lossy ones and the latest */
		shown++;
		fprintf(fp, "<tr><td class=\"n\">%" PRId64 "</td><td class=\"mono\">", c->id);
		esc(fp, c->path);
		fputs("</td><td>", fp);
		esc(fp, c->sensor);
		fputs("</td><td>", fp);
		esc(fp, c->status);
		fputs("</td><td class=\"mono\">", fp);
		esc(fp, c->options[0] ? c->options : "none");
		rep_ts_human(c->first_ns, t1);
		rep_ts_human(c->last_ns, t2);
		fprintf(fp,
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td>%s<br>%s</td><td>",
			c->packets, c->connections, t1, t2);
		struct loss_ctx lc = {.fp = fp};
		rep_each_loss(c, loss_item, &lc);
		if (!lc.n)
			fputs("none", fp);
		if (c->warnings[0]) {
			fputs("<br>", fp);
			esc(fp, c->warnings);
		}
		fputs("</td><td class=\"mono\">", fp);
		esc(fp, c->sha256[0] ? c->sha256 : "-");
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table></div>\n", fp);
	if (shown < d->n_captures)
		fprintf(fp, "<p>%zu more captures without losses: <code>--format json</code> lists them.</p>\n",
			d->n_captures - shown);
}

static void html_report(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	head(fp, "TLS audit report");
	first_screen(fp, d);
	if (d->n_hosts) {
		chart_hosts(fp, d, r);
		hosts_table(fp, d, r);
		groups(fp, d, r);
		impact(fp, d, r);
		rep_probes_html(fp, d, r);
		remediation(fp, d, r);
		findings(fp, d, r);
		posture(fp, d, r);
		chart_timeline(fp, d);
		all_hosts(fp, d, r);
	}
	provenance(fp, d, r);
	if (d->n_probes)
		fputs("<p><small>Generated by tlsaudit from passive captures, which show what hosts did, and from "
		      "probes,"
		      " which show what the probed servers accept when asked.</small></p>\n</body></html>\n",
		      fp);
	else
		fputs("<p><small>Generated by tlsaudit from passive captures: it shows what hosts did, not what they"
		      " would accept.</small></p>\n</body></html>\n",
		      fp);
}

static void diff_row(FILE *fp, const struct rep_diff_row *row)
{
	char b[256], a[256];
	const struct rep_host *h = row->after ? row->after : row->before;
	snprintf(b, sizeof(b), "not seen");
	snprintf(a, sizeof(a), "not seen");
	if (row->before)
		report_host_state(row->before, b, sizeof(b));
	if (row->after)
		report_host_state(row->after, a, sizeof(a));
	fprintf(fp, "<tr><td>%s</td><td class=\"mono\">", report_change_name(row->change));
	esc(fp, h->ip);
	fprintf(fp, "</td><td>%s</td><td>", h->role);
	if (row->before)
		fprintf(fp, "<span class=\"t-%s\">%s</span>: ", rep_verdict_class(row->before->verdict),
			report_verdict_name(row->before->verdict));
	esc(fp, b);
	fputs("</td><td>", fp);
	if (row->after)
		fprintf(fp, "<span class=\"t-%s\">%s</span>: ", rep_verdict_class(row->after->verdict),
			report_verdict_name(row->after->verdict));
	esc(fp, a);
	fputs("</td></tr>\n", fp);
}

static void html_diff(FILE *fp, const struct rep_diff *d, const struct rep_render *r)
{
	char t[64];
	enum rep_verdict vb = report_overall(d->before), va = report_overall(d->after);
	head(fp, "TLS audit diff");
	fprintf(fp,
		"<h1>TLS audit: before and after</h1>\n<p class=\"verdict v-%s\" id=\"verdict\"><b>%s</b>before: %s"
		" &rarr; after: %s</p>\n<p class=\"kpi\">%zu regressed, %zu new, %zu changed, %zu improved, %zu fixed,"
		" %zu gone, %zu unchanged</p>\n",
		rep_verdict_class(va), report_verdict_name(va), report_verdict_name(vb), report_verdict_name(va),
		rep_diff_count(d, REP_CH_REGRESSED), rep_diff_count(d, REP_CH_NEW), rep_diff_count(d, REP_CH_CHANGED),
		rep_diff_count(d, REP_CH_IMPROVED), rep_diff_count(d, REP_CH_FIXED), rep_diff_count(d, REP_CH_GONE),
		rep_diff_count(d, REP_CH_UNCHANGED));
	static const char thead[] = "<div class=\"scroll\"><table><thead><tr><th>change</th><th>host</th><th>role</th>"
				    "<th>before</th><th>after</th></tr></thead><tbody>\n";
	fputs(thead, fp);
	size_t shown = d->n_rows < r->top ? d->n_rows : r->top;
	for (size_t i = 0; i < shown; i++)
		diff_row(fp, &d->rows[d->rank[i]]);
	fputs("</tbody></table></div>\n", fp);
	if (shown < d->n_rows) {
		fprintf(fp, "<details id=\"all\"><summary>All %zu host roles</summary>\n%s", d->n_rows, thead);
		size_t n = d->n_rows < HTML_ALL_MAX ? d->n_rows : HTML_ALL_MAX;
		for (size_t i = 0; i < n; i++)
			diff_row(fp, &d->rows[d->rank[i]]);
		fputs("</tbody></table></div></details>\n", fp);
	}
	rep_probes_diff_html(fp, d, r);
	rep_ts_human(d->after->prov.generated_ns, t);
	fprintf(fp, "<p id=\"prov\"><small>tlsaudit %s, generated %s; before: <code>", d->after->prov.version, t);
	esc(fp, d->before->prov.db);
	fputs("</code>, after: <code>", fp);
	esc(fp, d->after->prov.db);
	fputs("</code></small></p>\n</body></html>\n", fp);
}

const struct rep_format_ops rep_fmt_html = {
	.name = "html",
	.report = html_report,
	.diff = html_diff,
};
