/* text.c - the short human summary printed after `tlsaudit read`: one line per
 * host and role. Wire strings never reach the terminal unescaped. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlsaudit/output.h"
#include "tlsaudit/tls.h"

void out_text_summary_header(FILE *fp)
{
	fprintf(fp, "%-39s %-6s %5s %5s %5s  %-12s %s\n", "host", "role", "conns", "ok", "fail", "max offered",
		"negotiated / failures");
}

void out_text_summary_row(FILE *fp, const struct store_host_summary *h)
{
	char ip[48], vb[32];
	out_ip(h->family, h->ip, ip);
	const char *maxo = h->max_offered ? tls_version_str(h->max_offered, vb) : "-";
	fprintf(fp, "%-39s %-6s %5" PRIu64 " %5" PRIu64 " %5" PRIu64 "  %-12s ", ip, h->role, h->connections,
		h->established, h->failed, maxo);
	out_text_string(fp, h->versions, strnlen(h->versions, sizeof(h->versions)));
	if (h->failures[0]) {
		fputs(" | failed: ", fp);
		out_text_string(fp, h->failures, strnlen(h->failures, sizeof(h->failures)));
	}
	fputc('\n', fp);
}
