/* fmt_text.c - the report for a terminal: plain lines, every wire string through out_text_string, so
 * control and escape bytes (a crafted SNI) are shown as \xNN and can never drive the terminal. */
#include <inttypes.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/output.h"

#define TEXT_SNI_MAX 64 /* bytes of one SNI shown; the rest is counted */

static void esc(FILE *fp, const char *s)
{
	out_text_string(fp, s, strlen(s));
}

static void sni(FILE *fp, const struct rep_sni *s)
{
	size_t n = s->len > TEXT_SNI_MAX ? TEXT_SNI_MAX : s->len;
	out_text_string(fp, s->bytes, n);
	if (n < s->len)
		fprintf(fp, "...(%u bytes)", (unsigned)s->len);
}

static void host_block(FILE *fp, const struct rep_data *d, const struct rep_host *h)
{
	char a[32], b[32], t1[64], t2[64], line[512];
	fputs("\n", fp);
	esc(fp, h->ip);
	fprintf(fp, " as %s: %s\n", h->role, report_verdict_name(h->verdict));
	fprintf(fp, "  connections %" PRIu64 ": established %" PRIu64 ", failed %" PRIu64, h->connections,
		h->established, h->failed);
	for (size_t i = 0; i < h->n_reasons; i++) {
		fputs(i ? ", " : " (", fp);
		esc(fp, h->reasons[i].name);
		fprintf(fp, " x%" PRIu64, h->reasons[i].count);
	}
	if (h->other_reason_connections)
		fprintf(fp, ", other x%" PRIu64, h->other_reason_connections);
	fputs(h->n_reasons ? ")\n" : "\n", fp);
	if (h->min_offered == h->max_offered)
		fprintf(fp, "  offered at most: %s;", rep_version(h->max_offered, a));
	else
		fprintf(fp, "  offered at most: %s..%s;", rep_version(h->min_offered, a),
			rep_version(h->max_offered, b));
	fputs(" negotiated:", fp);
	for (int v = 0; v < REP_V_COUNT; v++)
		if (h->by_version[v])
			fprintf(fp, " %s x%" PRIu64, rep_vcol_names[v], h->by_version[v]);
	fputs("\n  peers:", fp);
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
	fputs("\n  sni:", fp);
	for (size_t i = 0; i < h->n_snis; i++) {
		fputs(i ? ", \"" : " \"", fp);
		sni(fp, &h->snis[i]);
		fprintf(fp, "\" x%" PRIu64, h->snis[i].connections);
	}
	if (h->other_sni_connections)
		fprintf(fp, ", others x%" PRIu64, h->other_sni_connections);
	if (h->no_sni_connections)
		fprintf(fp, "%s(none) x%" PRIu64, h->n_snis ? ", " : " ", h->no_sni_connections);
	rep_ts_human(h->first_ns, t1);
	rep_ts_human(h->last_ns, t2);
	fprintf(fp, "\n  seen: %s to %s", t1, t2);
	if (h->old_first_ns) {
		rep_ts_human(h->old_first_ns, t1);
		rep_ts_human(h->old_last_ns, t2);
		fprintf(fp, "; old versions: %s to %s", t1, t2);
	}
	fputc('\n', fp);
	for (size_t i = 0; i < sizeof(rep_reason_bits) / sizeof(rep_reason_bits[0]); i++)
		if (h->reasons_mask & rep_reason_bits[i]) {
			rep_reason_text(h, rep_reason_bits[i], d->q.min_level, line, sizeof(line));
			fprintf(fp, "  why: %s\n", line);
		}
	bool any = false;
	for (size_t i = 0; i < rep_n_hints; i++)
		if (report_hint_applies(&rep_hints[i], h)) {
			fprintf(fp, "%s%s", any ? ", " : "  fix: see remediation ", rep_hints[i].id);
			any = true;
		}
	if (any)
		fputc('\n', fp);
}

static void text_report(FILE *fp, const struct rep_data *d)
{
	char a[32], t1[64], t2[64];
	enum rep_verdict v = report_overall(d);
	fprintf(fp, "tlsaudit report\npolicy: %s or newer\nwindow: ", rep_version(d->q.min_level, a));
	if (d->q.has_since) {
		rep_ts_human(d->q.since_ns, t1);
		fprintf(fp, "since %s ", t1);
	}
	if (d->q.has_until) {
		rep_ts_human(d->q.until_ns, t2);
		fprintf(fp, "until %s ", t2);
	}
	if (!d->q.has_since && !d->q.has_until)
		fputs("all ", fp);
	if (d->q.host[0]) {
		fputs("host ", fp);
		esc(fp, d->q.host);
	}
	rep_ts_human(d->first_ns, t1);
	rep_ts_human(d->last_ns, t2);
	fprintf(fp,
		"\n\nVERDICT: %s - %zu violation, %zu at risk, %zu ok (%zu host roles, %" PRIu64
		" connections, %s to %s)\n",
		v == REP_VIOLATION ? "VIOLATION"
		: v == REP_AT_RISK ? "AT RISK"
				   : "OK",
		rep_host_count(d, REP_VIOLATION), rep_host_count(d, REP_AT_RISK), rep_host_count(d, REP_OK), d->n_hosts,
		d->connections, t1, t2);
	size_t lossy = rep_lossy_captures(d);
	fprintf(fp, "captures: %zu, %zu with lost or skipped packets%s\n", d->n_captures, lossy,
		lossy ? " - THE REPORT MAY MISS CONNECTIONS (see captures)" : "");

	fputs("\nhosts (violations first)\n", fp);
	for (int want = REP_VIOLATION; want >= REP_OK; want--)
		for (size_t i = 0; i < d->n_hosts; i++)
			if ((int)d->hosts[i].verdict == want)
				host_block(fp, d, &d->hosts[i]);

	rep_probes_text(fp, d);

	fputs("\nremediation\n", fp);
	bool any_hint = false;
	for (size_t k = 0; k < rep_n_hints; k++) {
		const struct rep_hint *hint = &rep_hints[k];
		bool used = false;
		for (size_t i = 0; i < d->n_hosts; i++)
			if (report_hint_applies(hint, &d->hosts[i])) {
				if (!used)
					fprintf(fp, "\n[%s] %s\n  hosts:", hint->id, hint->title);
				fputs(used ? ", " : " ", fp);
				esc(fp, d->hosts[i].ip);
				fprintf(fp, " as %s", d->hosts[i].role);
				used = true;
			}
		if (!used)
			continue;
		any_hint = true;
		fputc('\n', fp);
		for (size_t s = 0; s < sizeof(hint->steps) / sizeof(hint->steps[0]) && hint->steps[s]; s++)
			fprintf(fp, "  %zu. %s\n", s + 1, hint->steps[s]);
	}
	if (!any_hint)
		fputs("  nothing to change\n", fp);

	if (d->n_buckets) {
		fprintf(fp, "\ntimeline of old-version use (%zu buckets of %.3f s; # = old, . = current)\n",
			d->n_buckets, (double)d->bucket_ns / 1e9);
		for (size_t i = 0; i < d->n_buckets; i++) {
			const struct rep_bucket *bk = &d->timeline[i];
			if (!bk->connections)
				continue;
			rep_ts_human(bk->start_ns, t1);
			fprintf(fp, "  %s  %4" PRIu64 " of %4" PRIu64 "  ", t1, bk->old, bk->connections);
			uint64_t w = bk->connections > 40 ? 40 : bk->connections;
			uint64_t o = bk->connections ? (bk->old * w + bk->connections - 1) / bk->connections : 0;
			for (uint64_t x = 0; x < w; x++)
				fputc(x < o ? '#' : '.', fp);
			fputc('\n', fp);
		}
	}

	fputs("\ncaptures\n", fp);
	for (size_t i = 0; i < d->n_captures; i++) {
		const struct rep_capture *c = &d->captures[i];
		fprintf(fp, "  #%" PRId64 " ", c->id);
		esc(fp, c->path);
		fputs(" (", fp);
		esc(fp, c->format);
		fputs(", sensor ", fp);
		esc(fp, c->sensor);
		fputs(") ", fp);
		esc(fp, c->status);
		rep_ts_human(c->first_ns, t1);
		rep_ts_human(c->last_ns, t2);
		fprintf(fp, ": %" PRIu64 " packets, %" PRIu64 " TLS connections, %s to %s\n", c->packets,
			c->connections, t1, t2);
		if (c->sha256[0]) {
			fputs("     sha256 ", fp);
			esc(fp, c->sha256);
			fputc('\n', fp);
		}
		for (size_t k = 0; k < rep_n_counters; k++) {
			uint64_t val = rep_counter_value(c, &rep_counters[k]);
			if (val && rep_capture_lossy(c) && strcmp(rep_counters[k].name, "frames") != 0 &&
			    strcmp(rep_counters[k].name, "frame_bytes") != 0 && strcmp(rep_counters[k].name, "flows") &&
			    strcmp(rep_counters[k].name, "flows_tls") && strcmp(rep_counters[k].name, "tcp_packets"))
				fprintf(fp, "     %s: %" PRIu64 " (%s)\n", rep_counters[k].name, val,
					rep_counters[k].desc);
		}
		if (c->warnings[0]) {
			fputs("     warnings: ", fp);
			esc(fp, c->warnings);
			fputc('\n', fp);
		}
	}
}

static void text_diff(FILE *fp, const struct rep_diff *d)
{
	char b[256], a[256], p[32];
	fprintf(fp, "tlsaudit diff (policy: %s or newer)\n", rep_version(d->after->q.min_level, p));
	fprintf(fp, "before: %s, after: %s\n\n", report_verdict_name(report_overall(d->before)),
		report_verdict_name(report_overall(d->after)));
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct rep_diff_row *r = &d->rows[i];
		const struct rep_host *h = r->after ? r->after : r->before;
		if (r->before)
			report_host_state(r->before, b, sizeof(b));
		else
			snprintf(b, sizeof(b), "not seen");
		if (r->after)
			report_host_state(r->after, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "not seen");
		fprintf(fp, "%-9s ", report_change_name(r->change));
		esc(fp, h->ip);
		fprintf(fp, " as %s: ", h->role);
		esc(fp, b);
		fputs(" -> ", fp);
		esc(fp, a);
		fprintf(fp, "; verdict %s -> %s\n", r->before ? report_verdict_name(r->before->verdict) : "-",
			r->after ? report_verdict_name(r->after->verdict) : "-");
	}
	rep_probes_diff_text(fp, d);
}

const struct rep_format_ops rep_fmt_text = {
	.name = "text",
	.report = text_report,
	.diff = text_diff,
};
