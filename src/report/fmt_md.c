/* fmt_md.c - the report as Markdown (GFM tables) for tickets and mail; wire strings through out_md_string,
 * which escapes Markdown punctuation, the table's | and HTML's < > &. */
#include <inttypes.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/output.h"

#define MD_SNI_MAX 64

static void esc(FILE *fp, const char *s)
{
	out_md_string(fp, s, strlen(s));
}

static const struct rep_cell_style cell_style = {
	.sep = ", ",
	.times = " x",
	.esc = out_md_string,
	.sni_max = MD_SNI_MAX,
	.ellipsis = "...",
};

static void md_report(FILE *fp, const struct rep_data *d)
{
	char a[32], t1[64], t2[64], line[512];
	enum rep_verdict v = report_overall(d);
	size_t lossy = rep_lossy_captures(d);
	fprintf(fp,
		"# tlsaudit report\n\n**Verdict: %s** - %zu violation, %zu at risk, %zu ok (policy: %s or newer)\n\n",
		report_verdict_name(v), rep_host_count(d, REP_VIOLATION), rep_host_count(d, REP_AT_RISK),
		rep_host_count(d, REP_OK), rep_version(d->q.min_level, a));
	rep_ts_human(d->first_ns, t1);
	rep_ts_human(d->last_ns, t2);
	fprintf(fp, "%" PRIu64 " connections from %s to %s", d->connections, t1, t2);
	if (d->q.host[0]) {
		fputs(", host ", fp);
		esc(fp, d->q.host);
	}
	fprintf(fp, "; %zu captures, %zu with lost or skipped packets%s.\n\n## Hosts\n\n", d->n_captures, lossy,
		lossy ? " (**the report may miss connections**)" : "");
	fputs("| host | role | verdict | conns | established | failed | offered max | negotiated | failures | peers |"
	      " SNI | first seen | last seen |\n|---|---|---|---:|---:|---:|---|---|---|---|---|---|---|\n",
	      fp);
	for (int want = REP_VIOLATION; want >= REP_OK; want--)
		for (size_t i = 0; i < d->n_hosts; i++) {
			const struct rep_host *h = &d->hosts[i];
			if ((int)h->verdict != want)
				continue;
			fputs("| ", fp);
			esc(fp, h->ip);
			fprintf(fp, " | %s | %s%s%s | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %s | ", h->role,
				h->verdict == REP_OK ? "" : "**", report_verdict_name(h->verdict),
				h->verdict == REP_OK ? "" : "**", h->connections, h->established, h->failed,
				rep_version(h->max_offered, a));
			rep_cell_versions(fp, h, &cell_style);
			fputs(" | ", fp);
			rep_cell_reasons(fp, h, &cell_style);
			fputs(" | ", fp);
			rep_cell_peers(fp, h, &cell_style);
			fputs(" | ", fp);
			rep_cell_snis(fp, h, &cell_style);
			rep_ts_human(h->first_ns, t1);
			rep_ts_human(h->last_ns, t2);
			fprintf(fp, " | %s | %s |\n", t1, t2);
		}

	rep_probes_md(fp, d);

	fputs("\n## Findings\n", fp);
	bool anyf = false;
	for (size_t i = 0; i < d->n_hosts; i++) {
		const struct rep_host *h = &d->hosts[i];
		if (h->verdict == REP_OK)
			continue;
		anyf = true;
		fputs("\n### ", fp);
		esc(fp, h->ip);
		fprintf(fp, " as %s: %s\n\n", h->role, report_verdict_name(h->verdict));
		for (size_t k = 0; k < sizeof(rep_reason_bits) / sizeof(rep_reason_bits[0]); k++)
			if (h->reasons_mask & rep_reason_bits[k]) {
				rep_reason_text(h, rep_reason_bits[k], d->q.min_level, line, sizeof(line));
				fputs("- ", fp);
				esc(fp, line);
				fputc('\n', fp);
			}
		for (size_t k = 0; k < rep_n_hints; k++)
			if (report_hint_applies(&rep_hints[k], h))
				fprintf(fp, "- remediation: [%s](#%s)\n", rep_hints[k].id, rep_hints[k].id);
	}
	if (!anyf)
		fputs("\nNo host violates the policy.\n", fp);

	fputs("\n## Remediation\n", fp);
	for (size_t k = 0; k < rep_n_hints; k++) {
		bool used = false;
		for (size_t i = 0; i < d->n_hosts && !used; i++)
			used = report_hint_applies(&rep_hints[k], &d->hosts[i]);
		if (!used)
			continue;
		fprintf(fp, "\n### %s\n\n", rep_hints[k].id);
		esc(fp, rep_hints[k].title);
		fputs("\n\n", fp);
		for (size_t s = 0;
		     s < sizeof(rep_hints[k].steps) / sizeof(rep_hints[k].steps[0]) && rep_hints[k].steps[s]; s++) {
			fprintf(fp, "%zu. ", s + 1);
			esc(fp, rep_hints[k].steps[s]);
			fputc('\n', fp);
		}
	}

	fputs("\n## Timeline of old-version use\n\n| from | connections | old version |\n|---|---:|---:|\n", fp);
	for (size_t i = 0; i < d->n_buckets; i++)
		if (d->timeline[i].connections) {
			rep_ts_human(d->timeline[i].start_ns, t1);
			fprintf(fp, "| %s | %" PRIu64 " | %" PRIu64 " |\n", t1, d->timeline[i].connections,
				d->timeline[i].old);
		}

	fputs("\n## Captures\n\n| # | path | sensor | status | packets | TLS connections | first | last | lost or "
	      "skipped |\n"
	      "|---:|---|---|---|---:|---:|---|---|---|\n",
	      fp);
	for (size_t i = 0; i < d->n_captures; i++) {
		const struct rep_capture *c = &d->captures[i];
		fprintf(fp, "| %" PRId64 " | ", c->id);
		esc(fp, c->path);
		fputs(" | ", fp);
		esc(fp, c->sensor);
		fputs(" | ", fp);
		esc(fp, c->status);
		rep_ts_human(c->first_ns, t1);
		rep_ts_human(c->last_ns, t2);
		fprintf(fp, " | %" PRIu64 " | %" PRIu64 " | %s | %s | ", c->packets, c->connections, t1, t2);
		int n = 0;
		for (size_t k = 0; k < rep_n_counters; k++) {
			uint64_t val = rep_counter_value(c, &rep_counters[k]);
			if (val && rep_capture_lossy(c) && strcmp(rep_counters[k].name, "frames") &&
			    strcmp(rep_counters[k].name, "frame_bytes") && strcmp(rep_counters[k].name, "flows") &&
			    strcmp(rep_counters[k].name, "flows_tls") && strcmp(rep_counters[k].name, "tcp_packets"))
				fprintf(fp, "%s%s %" PRIu64, n++ ? ", " : "", rep_counters[k].name, val);
		}
		fputs(n ? " |\n" : "none |\n", fp);
	}
}

static void md_diff(FILE *fp, const struct rep_diff *d)
{
	char b[256], a[256];
	fprintf(fp,
		"# tlsaudit diff\n\nBefore: **%s**, after: **%s**\n\n| change | host | role | before | after |\n"
		"|---|---|---|---|---|\n",
		report_verdict_name(report_overall(d->before)), report_verdict_name(report_overall(d->after)));
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct rep_diff_row *r = &d->rows[i];
		const struct rep_host *h = r->after ? r->after : r->before;
		snprintf(b, sizeof(b), "not seen");
		snprintf(a, sizeof(a), "not seen");
		if (r->before)
			report_host_state(r->before, b, sizeof(b));
		if (r->after)
			report_host_state(r->after, a, sizeof(a));
		fprintf(fp, "| %s | ", report_change_name(r->change));
		esc(fp, h->ip);
		fprintf(fp, " | %s | %s: ", h->role, r->before ? report_verdict_name(r->before->verdict) : "-");
		esc(fp, b);
		fprintf(fp, " | %s: ", r->after ? report_verdict_name(r->after->verdict) : "-");
		esc(fp, a);
		fputs(" |\n", fp);
	}
	rep_probes_diff_md(fp, d);
}

const struct rep_format_ops rep_fmt_md = {
	.name = "md",
	.report = md_report,
	.diff = md_diff,
};
