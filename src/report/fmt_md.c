/* fmt_md.c - the report as Markdown (GFM tables) for tickets and mail: verdict and what is wrong first, then
 * the worst host roles (--top), groups, impact, remediation with copy-ready blocks, posture, timeline and
 * provenance. Wire strings through out_md_string, which escapes Markdown punctuation, the table's | and
 * HTML's < > &; fenced blocks hold only our own text. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/output.h"
#include "tlsaudit/stack.h"

#define MD_SNI_MAX 64
#define WHERE_MAX  3

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

struct loss_ctx {
	FILE *fp;
	int n;
};

static void loss_item(void *ctx, const struct rep_counter *k, uint64_t v)
{
	struct loss_ctx *l = ctx;
	fprintf(l->fp, "%s%s %" PRIu64, l->n++ ? ", " : "", k->name, v);
}

/* one host role of a hint's list */
static void hint_user(void *ctx, const struct rep_host *h, size_t nth)
{
	FILE *fp = ctx;
	fputs(nth ? ", " : " ", fp);
	esc(fp, h->ip);
	fprintf(fp, " as %s", h->role);
}

static void md_report(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	char a[32], t1[64], t2[64], line[1024], dur[32];
	enum rep_verdict v = report_overall(d);
	fprintf(fp, "# tlsaudit report\n\n**Verdict: %s**", report_verdict_name(v));
	if (v == REP_NO_DATA) {
		rep_ts_human(d->db_first_ns, t1);
		rep_ts_human(d->db_last_ns, t2);
		fprintf(fp,
			" - no connection in the selection (the database holds %" PRIu64
			" connections from %s to %s)\n",
			d->db_connections, t1, t2);
	} else {
		if (v == REP_STALE) {
			rep_duration(rep_age_ns(d), dur);
			fprintf(fp, " - the newest %s is %s old (--max-age exceeded); before that: %s",
				d->last_ns ? "connection" : "probe", dur, report_verdict_name(rep_worst_host(d)));
		}
		rep_verdict_counts(d, line, sizeof(line));
		fprintf(fp, " - %s (policy: %s or newer)\n", line, rep_version(d->policy.min_level, a));
	}
	rep_ts_human(d->first_ns, t1);
	rep_ts_human(d->last_ns, t2);
	rep_window_text(d, line, sizeof(line));
	fprintf(fp,
		"\n%" PRIu64 " connections (%" PRIu64 " established, %" PRIu64 " failed, %" PRIu64
		" unknown) from %s to %s; %zu host roles; ",
		d->connections, d->established, d->failed, d->unknown, t1, t2, d->n_hosts);
	if (d->n_probes)
		fprintf(fp, "%zu probed endpoint%s; ", d->n_probes, d->n_probes == 1 ? "" : "s");
	fputs("selection: ", fp);
	esc(fp, line);
	fputs(".\n", fp);

	struct rep_headline hl[REP_MAX_HEADLINES];
	size_t nh = v == REP_NO_DATA ? 0 : rep_headlines(d, hl, REP_MAX_HEADLINES);
	if (nh) {
		fputs("\n## What is wrong\n\n", fp);
		for (size_t i = 0; i < nh; i++) {
			fprintf(fp, "- %s",
				hl[i].level == REP_VIOLATION ? "**violation:** "
				: hl[i].level == REP_AT_RISK ? "**at risk:** "
							     : "");
			esc(fp, hl[i].text);
			if (hl[i].reason)
				where(fp, d, &hl[i]);
			fputc('\n', fp);
		}
	}

	if (d->n_hosts) {
		size_t shown = d->n_hosts < r->top ? d->n_hosts : r->top;
		fprintf(fp, "\n## Hosts, worst first\n\n");
		if (shown < d->n_hosts)
			fprintf(fp,
				"The %zu worst of %zu host roles; `--top N` shows more, `--format csv` lists all.\n\n",
				shown, d->n_hosts);
		fputs("| host | role | verdict | conns | established | failed | unknown | offered max | negotiated |"
		      " client stacks | failures | peers | SNI | first seen | last seen |\n"
		      "|---|---|---|---:|---:|---:|---:|---|---|---|---|---|---|---|---|\n",
		      fp);
		for (size_t i = 0; i < shown; i++) {
			const struct rep_host *h = rep_ranked(d, i);
			fputs("| ", fp);
			esc(fp, h->ip);
			fprintf(fp, " | %s | %s%s%s | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %s | ",
				h->role, h->verdict == REP_OK ? "" : "**", report_verdict_name(h->verdict),
				h->verdict == REP_OK ? "" : "**", h->connections, h->established, h->failed, h->unknown,
				rep_version(h->max_offered, a));
			rep_cell_versions(fp, h, &cell_style);
			fputs(" | ", fp);
			rep_cell_stacks(fp, h, &cell_style);
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

		size_t bad = d->n_hosts - rep_host_count(d, REP_OK);
		if (bad > r->top) {
			fputs("\n## Where the problems are\n\n| group | host roles not ok | violation | at risk |\n"
			      "|---|---:|---:|---:|\n",
			      fp);
			for (int kind = 0; kind < 2; kind++) {
				struct rep_group *g = NULL;
				size_t n = 0;
				if (rep_groups(d, (enum rep_group_kind)kind, &g, &n) == 0)
					for (size_t i = 0; i < n && i < r->top; i++) {
						fputs(kind == REP_GROUP_NET ? "| network " : "| SNI domain ", fp);
						out_md_string(fp, g[i].key, g[i].key_len);
						fprintf(fp, " | %zu | %zu | %zu |\n", g[i].hosts, g[i].violation,
							g[i].at_risk);
					}
				free(g);
			}
		}

		fputs("\n## Findings\n", fp);
		size_t nf = 0;
		for (size_t i = 0; i < d->n_hosts && nf < r->top; i++) {
			const struct rep_host *h = rep_ranked(d, i);
			if (!h->reasons_mask)
				continue;
			nf++;
			fputs("\n### ", fp);
			esc(fp, h->ip);
			fprintf(fp, " as %s: %s\n\n", h->role, report_verdict_name(h->verdict));
			for (size_t k = 0; k < h->n_stacks; k++) {
				char lab[200], facts[200];
				rep_stack_label(&h->stacks[k], lab, sizeof(lab));
				rep_stack_facts(&h->stacks[k], facts, sizeof(facts));
				fputs("- stack: ", fp);
				esc(fp, lab);
				fputs(", ", fp);
				esc(fp, facts);
				fputc('\n', fp);
			}
			for (size_t k = 0; k < REP_R_COUNT; k++)
				if (h->reasons_mask & rep_reason_order[k]) {
					rep_reason_text(d, h, rep_reason_order[k], line, sizeof(line));
					fprintf(fp, "- %s",
						rep_level_of(&d->policy, rep_reason_order[k]) == REP_LEVEL_INFO
							? "note: "
							: "");
					esc(fp, line);
					fputc('\n', fp);
				}
			struct rep_hint_use u[REP_MAX_HOST_HINTS];
			size_t nu = report_host_hints(h, u, REP_MAX_HOST_HINTS);
			for (size_t k = 0; k < nu; k++) {
				bool dup = false;
				for (size_t j = 0; j < k; j++)
					dup |= u[j].hint == u[k].hint;
				if (!dup)
					fprintf(fp, "- remediation: [%s](#%s)\n", u[k].hint->id, u[k].hint->id);
			}
		}
		if (!nf)
			fputs("\nNo host role has a finding.\n", fp);

		/* impact */
		bool ih = false;
		size_t ni = 0;
		for (size_t i = 0; i < d->n_hosts && ni < r->top; i++) {
			const struct rep_host *h = rep_ranked(d, i);
			if (!h->impact_clients)
				continue;
			if (!ih)
				fprintf(fp,
					"\n## Impact: clients that would fail if the server required %s\n\n"
					"| server | client | offers at most | connections | established | last seen |"
					" stack | SNI |\n|---|---|---|---:|---:|---|---|---|\n",
					rep_version(d->policy.min_level, a));
			ih = true;
			ni++;
			size_t per = r->top / 4 > 3 ? r->top / 4 : 3;
			for (size_t k = 0; k < h->n_impact && k < per; k++) {
				const struct rep_impact *m = &h->impact[k];
				fputs("| ", fp);
				esc(fp, h->ip);
				fputs(" | ", fp);
				esc(fp, m->ip);
				rep_ts_human(m->last_ns, t1);
				fprintf(fp, " | %s | %" PRIu64 " | %" PRIu64 " | %s | ", rep_version(m->max_offered, a),
					m->connections, m->established, t1);
				esc(fp, m->stack);
				fputs(" | ", fp);
				out_md_string(fp, m->sni, m->sni_len > MD_SNI_MAX ? MD_SNI_MAX : m->sni_len);
				fputs(" |\n", fp);
			}
			if (h->impact_clients > (h->n_impact < per ? h->n_impact : per))
				fprintf(fp, "| ... | and %" PRIu64 " more clients | | | | | | |\n",
					h->impact_clients - (h->n_impact < per ? h->n_impact : per));
		}
		rep_probes_md(fp, d, r);
	}

	fputs("\n## Remediation\n", fp);
	bool anyh = false;
	struct rep_hint_rank hr[64];
	size_t nr = rep_hint_order(d, hr, 64);
	for (size_t k = 0; k < nr; k++) {
		const struct rep_hint *hint = hr[k].hint;
		size_t total = hr[k].hosts;
		anyh = true;
		fprintf(fp, "\n### %s\n\n", hint->id);
		esc(fp, hint->title);
		fprintf(fp, "\n\n%zu host role%s:", total, total == 1 ? "" : "s");
		struct rep_hint_users u;
		size_t shown = rep_hint_users(d, hint, r->top, hint_user, fp, &u);
		const char *const *families = u.families;
		size_t nfam = u.n_families;
		const char *win = u.windows;
		if (total > shown)
			fprintf(fp, " and %zu more (`--format csv` lists every host role with its hints)",
				total - shown);
		fputs("\n\n", fp);
		if (win[0]) {
			esc(fp, win);
			fputs("\n\n", fp);
		}
		size_t s = 0;
		for (; s < sizeof(hint->steps) / sizeof(hint->steps[0]) && hint->steps[s]; s++) {
			fprintf(fp, "%zu. ", s + 1);
			esc(fp, hint->steps[s]);
			fputc('\n', fp);
		}
		if (hint->family && strcmp(hint->family, "*") == 0)
			for (size_t f = 0; f < nfam; f++) {
				const struct stack_family *sf = stack_family_info(families[f]);
				if (!sf)
					continue;
				fprintf(fp, "%zu. %s: ", ++s, report_family_label(families[f]));
				esc(fp, sf->version_setting);
				if (sf->old_versions) {
					fputc(' ', fp);
					esc(fp, sf->old_versions);
				}
				fputc('\n', fp);
			}
		for (size_t n = 0; n < sizeof(hint->snippets) / sizeof(hint->snippets[0]) && hint->snippets[n].text;
		     n++) {
			fputs("\n", fp);
			esc(fp, hint->snippets[n].label);
			fputs(":\n\n```\n", fp);
			fputs(hint->snippets[n].text, fp);
			fputs("```\n", fp);
		}
	}
	if (!anyh)
		fputs("\nNothing to change.\n", fp);

	if (d->n_buckets) {
		fputs("\n## Timeline of old-version use\n\n| from | connections | old version |\n|---|---:|---:|\n",
		      fp);
		for (size_t i = 0; i < d->n_buckets; i++)
			if (d->timeline[i].connections) {
				rep_ts_human(d->timeline[i].start_ns, t1);
				fprintf(fp, "| %s | %" PRIu64 " | %" PRIu64 " |\n", t1, d->timeline[i].connections,
					d->timeline[i].old);
			}
	}

	const char *sensors[64];
	size_t ns = rep_sensors(d, sensors, 64);
	rep_ts_human(d->prov.generated_ns, t1);
	fprintf(fp, "\n## Provenance\n\ntlsaudit %s, generated %s, database ", d->prov.version, t1);
	esc(fp, d->prov.db);
	fputs(", sensors:", fp);
	for (size_t i = 0; i < ns; i++) {
		fputs(i ? ", " : " ", fp);
		esc(fp, sensors[i]);
	}
	size_t lossy = rep_lossy_captures(d);
	fprintf(fp, "; %zu captures, %zu with lost or skipped packets%s.\n\n", d->n_captures, lossy,
		lossy ? " (**the report may miss connections**)" : "");
	fputs("| # | path | sensor | status | options | packets | TLS connections | first | last | lost or skipped |\n"
	      "|---:|---|---|---|---|---:|---:|---|---|---|\n",
	      fp);
	for (size_t i = 0; i < d->n_captures; i++) {
		const struct rep_capture *c = &d->captures[i];
		fprintf(fp, "| %" PRId64 " | ", c->id);
		esc(fp, c->path);
		fputs(" | ", fp);
		esc(fp, c->sensor);
		fputs(" | ", fp);
		esc(fp, c->status);
		fputs(" | ", fp);
		esc(fp, c->options[0] ? c->options : "none");
		rep_ts_human(c->first_ns, t1);
		rep_ts_human(c->last_ns, t2);
		fprintf(fp, " | %" PRIu64 " | %" PRIu64 " | %s | %s | ", c->packets, c->connections, t1, t2);
		struct loss_ctx lc = {.fp = fp};
		rep_each_loss(c, loss_item, &lc);
		fputs(lc.n ? " |\n" : "none |\n", fp);
	}
}

static void md_diff(FILE *fp, const struct rep_diff *d, const struct rep_render *r)
{
	char b[256], a[256];
	fprintf(fp,
		"# tlsaudit diff\n\nBefore: **%s**, after: **%s**; %zu regressed, %zu new, %zu changed, %zu improved,"
		" %zu fixed, %zu gone, %zu unchanged\n\n| change | host | role | before | after "
		"|\n|---|---|---|---|---|\n",
		report_verdict_name(report_overall(d->before)), report_verdict_name(report_overall(d->after)),
		rep_diff_count(d, REP_CH_REGRESSED), rep_diff_count(d, REP_CH_NEW), rep_diff_count(d, REP_CH_CHANGED),
		rep_diff_count(d, REP_CH_IMPROVED), rep_diff_count(d, REP_CH_FIXED), rep_diff_count(d, REP_CH_GONE),
		rep_diff_count(d, REP_CH_UNCHANGED));
	size_t shown = d->n_rows < r->top ? d->n_rows : r->top;
	for (size_t i = 0; i < shown; i++) {
		const struct rep_diff_row *row = &d->rows[d->rank[i]];
		const struct rep_host *h = row->after ? row->after : row->before;
		snprintf(b, sizeof(b), "not seen");
		snprintf(a, sizeof(a), "not seen");
		if (row->before)
			report_host_state(row->before, b, sizeof(b));
		if (row->after)
			report_host_state(row->after, a, sizeof(a));
		fprintf(fp, "| %s | ", report_change_name(row->change));
		esc(fp, h->ip);
		fprintf(fp, " | %s | %s: ", h->role, row->before ? report_verdict_name(row->before->verdict) : "-");
		esc(fp, b);
		fprintf(fp, " | %s: ", row->after ? report_verdict_name(row->after->verdict) : "-");
		esc(fp, a);
		fputs(" |\n", fp);
	}
	if (shown < d->n_rows)
		fprintf(fp, "\n... and %zu more host roles (`--top N` for more, `--format csv` for all)\n",
			d->n_rows - shown);
	rep_probes_diff_md(fp, d, r);
	char t[64];
	rep_ts_human(d->after->prov.generated_ns, t);
	fprintf(fp, "\ntlsaudit %s, generated %s; before: ", d->after->prov.version, t);
	esc(fp, d->before->prov.db);
	fputs(", after: ", fp);
	esc(fp, d->after->prov.db);
	fputc('\n', fp);
}

const struct rep_format_ops rep_fmt_md = {
	.name = "md",
	.report = md_report,
	.diff = md_diff,
};
