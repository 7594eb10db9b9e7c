/* text.c - the short human summary printed after `tlsaudit read`: one line per host and role, from the
 * aggregator (agg.h). Nothing here comes from the wire except through the escapers. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/names.h"
#include "tlsaudit/output.h"

static void header(FILE *fp)
{
	fprintf(fp, "%-39s %-6s %5s %5s %5s  %-12s %s\n", "host", "role", "conns", "ok", "fail", "max offered",
		"negotiated / failures");
}

static void row(FILE *fp, const struct agg_host *h)
{
	const struct agg_counts *n = &h->n;
	char ip[48], vb[NAMES_BUF];
	out_ip(h->family, h->ip, ip);
	fprintf(fp, "%-39s %-6s %5" PRIu64 " %5" PRIu64 " %5" PRIu64 "  %-12s ", ip, names_side(h->role),
		n->connections, n->established, n->failed + n->unknown,
		n->max_offered ? names_version(n->max_offered, vb) : "-");
	bool first = true;
	for (int v = 0; v < AGG_V_COUNT; v++) {
		if (!n->negotiated[v])
			continue;
		fprintf(fp, "%s%s x%" PRIu64, first ? "" : ", ", agg_vcol_name((enum agg_vcol)v), n->negotiated[v]);
		first = false;
	}
	for (size_t i = 0; i < h->n_reasons; i++) {
		char rb[16];
		fprintf(fp, "%s%s x%" PRIu64, i ? ", " : " | failed: ", agg_reason_name(h->reasons[i].code, rb),
			h->reasons[i].count);
	}
	if (h->other_reasons)
		fprintf(fp, "%sother x%" PRIu64, h->n_reasons ? ", " : " | failed: ", h->other_reasons);
	fputc('\n', fp);
}

void out_text_summary(FILE *fp, struct agg *a)
{
	header(fp);
	agg_sort(a);
	for (size_t i = 0; i < agg_count(a); i++)
		row(fp, agg_at(a, i));
}
