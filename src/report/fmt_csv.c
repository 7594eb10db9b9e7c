/* fmt_csv.c - one row per host and role (RFC 4180, UTF-8, CRLF); every cell quoted by out_csv_string, which
 * neutralises a leading = + - @ so that no SNI becomes a spreadsheet formula. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/names.h"
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

struct loss_ctx {
	FILE *fp;
	int n;
};

static void loss_item(void *ctx, const struct rep_counter *k, uint64_t v)
{
	struct loss_ctx *l = ctx;
	fprintf(l->fp, "%s%s %" PRIu64, l->n++ ? ", " : "; losses: ", k->name, v);
}

enum list_kind {
	L_VERSIONS,
	L_FAILURES,
	L_PEERS,
	L_SNI,
	L_HINTS,
	L_REASONS,
	L_STACKS,
	L_CERTS,
	L_WEAK_NEG,
	L_WEAK_OFF,
	L_RISKS,
	L_IMPACT
};

/* A list cell built in memory (it may hold wire bytes), then quoted as one cell. */
static void list_cell(FILE *fp, const struct rep_data *d, const struct rep_host *h, enum list_kind which)
{
	char *buf = NULL, p[64], line[256], t[64];
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		cs(fp, "");
		return;
	}
	switch (which) {
	case L_VERSIONS:
		for (int v = 0, n = 0; v < REP_V_COUNT; v++)
			if (h->by_version[v])
				fprintf(m, "%s%s x%" PRIu64, n++ ? "; " : "", rep_vcol_names[v], h->by_version[v]);
		break;
	case L_FAILURES:
		for (size_t i = 0; i < h->n_reasons; i++)
			fprintf(m, "%s%s%s x%" PRIu64, i ? "; " : "", h->reasons[i].name,
				h->reasons[i].class_ == OUTCLASS_UNKNOWN ? " (unknown)" : "", h->reasons[i].count);
		break;
	case L_PEERS:
		for (size_t i = 0; i < h->n_peers; i++) {
			rep_peer_text(&h->peers[i], p);
			fprintf(m, "%s%s x%" PRIu64, i ? "; " : "", p, h->peers[i].connections);
		}
		if (h->other_peer_connections)
			fprintf(m, "%sothers x%" PRIu64, h->n_peers ? "; " : "", h->other_peer_connections);
		break;
	case L_SNI:
		for (size_t i = 0; i < h->n_snis; i++) {
			fputs(i ? "; " : "", m);
			fwrite(h->snis[i].bytes, 1, h->snis[i].len, m);
			fprintf(m, " x%" PRIu64, h->snis[i].connections);
		}
		break;
	case L_HINTS: {
		struct rep_hint_use u[REP_MAX_HOST_HINTS];
		size_t nu = report_host_hints(h, u, REP_MAX_HOST_HINTS);
		for (size_t i = 0, n = 0; i < nu; i++) {
			bool dup = false;
			for (size_t k = 0; k < i; k++)
				dup |= u[k].hint == u[i].hint;
			if (!dup)
				fprintf(m, "%s%s", n++ ? "; " : "", u[i].hint->id);
		}
		break;
	}
	case L_REASONS:
		for (size_t i = 0, n = 0; i < REP_R_COUNT; i++)
			if (h->reasons_mask & rep_reason_order[i])
				fprintf(m, "%s%s", n++ ? "; " : "", report_reason_key(rep_reason_order[i]));
		break;
	case L_STACKS:
		for (size_t i = 0; i < h->n_stacks; i++) {
			rep_stack_label(&h->stacks[i], line, sizeof(line));
			fprintf(m, "%s%s: ", i ? "; " : "", line);
			rep_stack_facts(&h->stacks[i], line, sizeof(line));
			fputs(line, m);
		}
		break;
	case L_CERTS:
		for (size_t i = 0; i < h->n_certs; i++) {
			const struct rep_cert *c = &h->certs[i];
			fputs(i ? "; " : "", m);
			fwrite(c->subject, 1, strnlen(c->subject, c->subject_len), m);
			rep_date(c->not_after, t);
			fprintf(m, " (until %s, %s %" PRIu32 ", %s%s%s) x%" PRIu64, t, c->key_type, c->key_bits,
				c->sig_alg, c->self_signed ? ", self-signed" : "",
				c->expired_at_use ? ", used after expiry" : "", c->seen.n);
		}
		break;
	case L_WEAK_NEG:
	case L_WEAK_OFF:
		rep_weak_list(which == L_WEAK_NEG ? h->weak_negotiated : h->weak_offered, (1u << REP_WEAK_COUNT) - 1,
			      line, sizeof(line));
		fputs(line, m);
		break;
	case L_RISKS:
		for (size_t i = 0; i < h->n_risks; i++) {
			const char *name = names_bit(NAMES_RISK, h->risks[i].bit);
			if (name)
				fprintf(m, "%s%s x%" PRIu64, i ? "; " : "", name, h->risks[i].seen.n);
			else
				fprintf(m, "%srisk %u x%" PRIu64, i ? "; " : "", (unsigned)h->risks[i].bit,
					h->risks[i].seen.n);
		}
		break;
	case L_IMPACT:
		for (size_t i = 0; i < h->n_impact; i++) {
			const struct rep_impact *x = &h->impact[i];
			rep_ts(x->last_ns, t);
			fprintf(m, "%s%s x%" PRIu64 " (max %s, %" PRIu64 " established, last %s)", i ? "; " : "", x->ip,
				x->connections, rep_version(x->max_offered, p), x->established, t);
		}
		if (h->impact_clients > h->n_impact)
			fprintf(m, "%sand %" PRIu64 " more", h->n_impact ? "; " : "", h->impact_clients - h->n_impact);
		break;
	}
	(void)d;
	fclose(m);
	cell(fp, buf, len, false);
	free(buf);
}

static void csv_report(FILE *fp, const struct rep_data *d, const struct rep_render *r)
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
					   "captures_with_loss",
					   "unknown",
					   "rank",
					   "client_stacks",
					   "windows_host",
					   "certificates",
					   "weak_negotiated",
					   "weak_offered",
					   "ndpi_risks",
					   "impact_clients",
					   "impact_connections",
					   "impact",
					   "report_verdict",
					   "generated",
					   "tlsaudit_version",
					   "database",
					   "sensors",
					   "captures"};
	size_t ncols = sizeof(cols) / sizeof(cols[0]);
	size_t *rank_of = d->n_hosts ? calloc(d->n_hosts, sizeof(*rank_of)) : NULL;
	if (rank_of && d->rank)
		for (size_t i = 0; i < d->n_hosts; i++)
			rank_of[d->rank[i]] = i + 1;
	char gen[64];
	rep_ts(d->prov.generated_ns, gen);
	/* the provenance cells, the same on every row: sensors, and the captures with options and losses */
	char *sens = NULL, *caps = NULL;
	size_t sens_len = 0, caps_len = 0;
	FILE *m = open_memstream(&sens, &sens_len);
	if (m) {
		const char *names[256];
		size_t ns = rep_sensors(d, names, 256);
		for (size_t i = 0; i < ns; i++)
			fprintf(m, "%s%s", i ? "; " : "", names[i]);
		fclose(m);
	}
	m = open_memstream(&caps, &caps_len);
	if (m) {
		for (size_t i = 0; i < d->n_captures && i < 50; i++) {
			const struct rep_capture *c = &d->captures[i];
			fprintf(m, "%s#%" PRId64 " %s (%s, %s, options: %s", i ? "; " : "", c->id, c->path, c->sensor,
				c->status, c->options[0] ? c->options : "none");
			struct loss_ctx lc = {.fp = m};
			rep_each_loss(c, loss_item, &lc);
			fputc(')', m);
		}
		if (d->n_captures > 50)
			fprintf(m, "; and %zu more (--format json lists them)", d->n_captures - 50);
		fclose(m);
	}
	for (size_t i = 0; i < ncols; i++)
		cell(fp, cols[i], strlen(cols[i]), i + 1 == ncols);
	for (size_t i = 0; i < d->n_hosts; i++) {
		const struct rep_host *h = &d->hosts[i];
		cs(fp, h->ip);
		cs(fp, h->role);
		cs(fp, report_verdict_name(h->verdict));
		list_cell(fp, d, h, L_REASONS);
		cu(fp, h->connections);
		cu(fp, h->established);
		cu(fp, h->failed);
		cs(fp, h->max_offered ? rep_version(h->max_offered, a) : "");
		cs(fp, h->min_offered ? rep_version(h->min_offered, a) : "");
		cs(fp, h->min_negotiated ? rep_version(h->min_negotiated, a) : "");
		cs(fp, h->max_negotiated ? rep_version(h->max_negotiated, a) : "");
		list_cell(fp, d, h, L_VERSIONS);
		list_cell(fp, d, h, L_FAILURES);
		list_cell(fp, d, h, L_PEERS);
		list_cell(fp, d, h, L_SNI);
		rep_ts(h->first_ns, a);
		cs(fp, a);
		rep_ts(h->last_ns, a);
		cs(fp, a);
		rep_ts(h->old_first_ns, a);
		cs(fp, h->old_first_ns ? a : "");
		rep_ts(h->old_last_ns, a);
		cs(fp, h->old_last_ns ? a : "");
		list_cell(fp, d, h, L_HINTS);
		cs(fp, rep_version(d->policy.min_level, a));
		snprintf(a, sizeof(a), "%zu", rep_lossy_captures(d));
		cs(fp, a);
		cu(fp, h->unknown);
		cu(fp, rank_of ? rank_of[i] : i + 1);
		list_cell(fp, d, h, L_STACKS);
		cs(fp, h->windows ? "yes" : "");
		list_cell(fp, d, h, L_CERTS);
		list_cell(fp, d, h, L_WEAK_NEG);
		list_cell(fp, d, h, L_WEAK_OFF);
		list_cell(fp, d, h, L_RISKS);
		cu(fp, h->impact_clients);
		cu(fp, h->impact_connections);
		list_cell(fp, d, h, L_IMPACT);
		cs(fp, report_verdict_name(report_overall(d)));
		cs(fp, gen);
		cs(fp, d->prov.version);
		cs(fp, d->prov.db);
		cell(fp, sens ? sens : "", sens ? sens_len : 0, false);
		cell(fp, caps ? caps : "", caps ? caps_len : 0, true);
	}
	free(sens);
	free(caps);
	free(rank_of);
	(void)r;
}

static void csv_diff(FILE *fp, const struct rep_diff *d, const struct rep_render *rr)
{
	char s[256];
	static const char *const cols[] = {
		"ip",	 "role",      "change",		  "before_verdict",  "before",	      "after_verdict",
		"after", "generated", "tlsaudit_version", "before_database", "after_database"};
	char gen[64];
	rep_ts(d->after->prov.generated_ns, gen);
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
		cs(fp, r->after ? s : "");
		cs(fp, gen);
		cs(fp, d->after->prov.version);
		cs(fp, d->before->prov.db);
		cell(fp, d->after->prov.db, strlen(d->after->prov.db), true);
	}
	(void)rr;
}

const struct rep_format_ops rep_fmt_csv = {
	.name = "csv",
	.report = csv_report,
	.diff = csv_diff,
};
