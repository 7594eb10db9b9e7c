/* fmt_csv.c - one row per host and role (RFC 4180, UTF-8, CRLF); every cell quoted by out_csv_string, which
 * neutralises a leading = + - @ so that no SNI becomes a spreadsheet formula. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/output.h"

static void cell(FILE *fp, const char *s, size_t n, bool last)
{
	out_csv_string(fp, s, n);
	fputs(last ? "\r\n" : ",", fp);
}

static void cs(FILE *fp, const char *s)
{
	cell(fp, s, strlen(s), false);
}

static void cu(FILE *fp, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	cs(fp, b);
}

/* A list cell built in memory (it may hold wire bytes), then quoted as one cell. */
static void list_cell(FILE *fp, const struct rep_host *h, int which)
{
	char *buf = NULL, p[64];
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		cs(fp, "");
		return;
	}
	switch (which) {
	case 0:
		for (int v = 0, n = 0; v < REP_V_COUNT; v++)
			if (h->by_version[v])
				fprintf(m, "%s%s x%" PRIu64, n++ ? "; " : "", rep_vcol_names[v], h->by_version[v]);
		break;
	case 1:
		for (size_t i = 0; i < h->n_reasons; i++)
			fprintf(m, "%s%s x%" PRIu64, i ? "; " : "", h->reasons[i].name, h->reasons[i].count);
		break;
	case 2:
		for (size_t i = 0; i < h->n_peers; i++) {
			rep_peer_text(&h->peers[i], p);
			fprintf(m, "%s%s x%" PRIu64, i ? "; " : "", p, h->peers[i].connections);
		}
		break;
	case 3:
		for (size_t i = 0; i < h->n_snis; i++) {
			fputs(i ? "; " : "", m);
			fwrite(h->snis[i].bytes, 1, h->snis[i].len, m);
			fprintf(m, " x%" PRIu64, h->snis[i].connections);
		}
		break;
	case 4:
		for (size_t i = 0, n = 0; i < rep_n_hints; i++)
			if (report_hint_applies(&rep_hints[i], h))
				fprintf(m, "%s%s", n++ ? "; " : "", rep_hints[i].id);
		break;
	case 5:
		for (size_t i = 0, n = 0; i < sizeof(rep_reason_bits) / sizeof(rep_reason_bits[0]); i++)
			if (h->reasons_mask & rep_reason_bits[i])
				fprintf(m, "%s%s", n++ ? "; " : "", rep_reason_key(rep_reason_bits[i]));
		break;
	}
	fclose(m);
	cell(fp, buf, len, false);
	free(buf);
}

static void csv_report(FILE *fp, const struct rep_data *d)
{
	char a[64];
	static const char *const cols[] = {"ip",
					   "role",
					   "verdict",
					   "reasons",
					   "connections",
					   "established",
					   "failed",
					   "max_offered",
					   "min_offered",
					   "min_negotiated",
					   "max_negotiated",
					   "negotiated",
					   "failures",
					   "peers",
					   "sni",
					   "first_seen",
					   "last_seen",
					   "old_first_seen",
					   "old_last_seen",
					   "hints",
					   "min_version",
					   "captures_with_loss"};
	size_t ncols = sizeof(cols) / sizeof(cols[0]);
	for (size_t i = 0; i < ncols; i++)
		cell(fp, cols[i], strlen(cols[i]), i + 1 == ncols);
	for (size_t i = 0; i < d->n_hosts; i++) {
		const struct rep_host *h = &d->hosts[i];
		cs(fp, h->ip);
		cs(fp, h->role);
		cs(fp, report_verdict_name(h->verdict));
		list_cell(fp, h, 5);
		cu(fp, h->connections);
		cu(fp, h->established);
		cu(fp, h->failed);
		cs(fp, h->max_offered ? rep_version(h->max_offered, a) : "");
		cs(fp, h->min_offered ? rep_version(h->min_offered, a) : "");
		cs(fp, h->min_negotiated ? rep_version(h->min_negotiated, a) : "");
		cs(fp, h->max_negotiated ? rep_version(h->max_negotiated, a) : "");
		list_cell(fp, h, 0);
		list_cell(fp, h, 1);
		list_cell(fp, h, 2);
		list_cell(fp, h, 3);
		rep_ts(h->first_ns, a);
		cs(fp, a);
		rep_ts(h->last_ns, a);
		cs(fp, a);
		rep_ts(h->old_first_ns, a);
		cs(fp, h->old_first_ns ? a : "");
		rep_ts(h->old_last_ns, a);
		cs(fp, h->old_last_ns ? a : "");
		list_cell(fp, h, 4);
		cs(fp, rep_version(d->q.min_level, a));
		snprintf(a, sizeof(a), "%zu", rep_lossy_captures(d));
		cell(fp, a, strlen(a), true);
	}
}

static void csv_diff(FILE *fp, const struct rep_diff *d)
{
	char s[256];
	static const char *const cols[] = {"ip",     "role",	      "change", "before_verdict",
					   "before", "after_verdict", "after"};
	size_t ncols = sizeof(cols) / sizeof(cols[0]);
	for (size_t i = 0; i < ncols; i++)
		cell(fp, cols[i], strlen(cols[i]), i + 1 == ncols);
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct rep_diff_row *r = &d->rows[i];
		const struct rep_host *h = r->after ? r->after : r->before;
		cs(fp, h->ip);
		cs(fp, h->role);
		cs(fp, report_change_name(r->change));
		cs(fp, r->before ? report_verdict_name(r->before->verdict) : "");
		if (r->before)
			report_host_state(r->before, s, sizeof(s));
		cs(fp, r->before ? s : "");
		cs(fp, r->after ? report_verdict_name(r->after->verdict) : "");
		if (r->after)
			report_host_state(r->after, s, sizeof(s));
		cell(fp, r->after ? s : "", r->after ? strlen(s) : 0, true);
	}
}

const struct rep_format_ops rep_fmt_csv = {
	.name = "csv",
	.report = csv_report,
	.diff = csv_diff,
};
