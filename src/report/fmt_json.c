/* fmt_json.c - the machine form of the report and the diff (keys documented in docs/report-json.md; keys are
 * added, never renamed). specification: RFC 8259; strings through out_json_string (invalid UTF-8 as U+FFFD,
 * the exact bytes of an SNI in "hex"). */
#include <inttypes.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/output.h"

static void str(FILE *fp, const char *s)
{
	out_json_string(fp, s, strlen(s));
}

static void key(FILE *fp, const char *k, bool *first)
{
	fputs(*first ? "" : ",", fp);
	*first = false;
	str(fp, k);
	fputc(':', fp);
}

static void kstr(FILE *fp, const char *k, const char *v, bool *first)
{
	key(fp, k, first);
	str(fp, v);
}

static void ku64(FILE *fp, const char *k, uint64_t v, bool *first)
{
	key(fp, k, first);
	fprintf(fp, "%" PRIu64, v);
}

static void kts(FILE *fp, const char *k, int64_t ns, bool *first)
{
	char t[64];
	key(fp, k, first);
	if (!ns) {
		fputs("null", fp);
		return;
	}
	out_rfc3339(ns, t);
	str(fp, t);
}

static void kver(FILE *fp, const char *k, uint16_t level, bool *first)
{
	char b[32];
	key(fp, k, first);
	if (level)
		str(fp, rep_version(level, b));
	else
		fputs("null", fp);
}

static void hex(FILE *fp, const char *s, size_t n)
{
	fputc('"', fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%02x", (uint8_t)s[i]);
	fputc('"', fp);
}

static void host_obj(FILE *fp, const struct rep_data *d, const struct rep_host *h)
{
	bool f = true, g;
	char line[512], p[64];
	fputc('{', fp);
	kstr(fp, "ip", h->ip, &f);
	kstr(fp, "role", h->role, &f);
	kstr(fp, "verdict", report_verdict_name(h->verdict), &f);
	key(fp, "reasons", &f);
	fputc('[', fp);
	g = true;
	for (size_t i = 0; i < sizeof(rep_reason_bits) / sizeof(rep_reason_bits[0]); i++)
		if (h->reasons_mask & rep_reason_bits[i]) {
			rep_reason_text(h, rep_reason_bits[i], d->q.min_level, line, sizeof(line));
			fputs(g ? "{" : ",{", fp);
			g = false;
			bool f2 = true;
			kstr(fp, "key", rep_reason_key(rep_reason_bits[i]), &f2);
			kstr(fp, "text", line, &f2);
			fputc('}', fp);
		}
	fputc(']', fp);
	report_host_state(h, line, sizeof(line));
	kstr(fp, "state", line, &f);
	ku64(fp, "connections", h->connections, &f);
	ku64(fp, "established", h->established, &f);
	ku64(fp, "failed", h->failed, &f);
	kver(fp, "max_offered", h->max_offered, &f);
	kver(fp, "min_offered", h->min_offered, &f);
	kver(fp, "min_negotiated", h->min_negotiated, &f);
	kver(fp, "max_negotiated", h->max_negotiated, &f);
	key(fp, "negotiated", &f);
	fputc('{', fp);
	g = true;
	for (int v = 0; v < REP_V_COUNT; v++)
		if (h->by_version[v])
			ku64(fp, rep_vcol_names[v], h->by_version[v], &g);
	fputc('}', fp);
	ku64(fp, "old_offered", h->old_offered, &f);
	ku64(fp, "old_offered_failed", h->old_offered_failed, &f);
	ku64(fp, "old_negotiated", h->old_negotiated, &f);
	ku64(fp, "still_offers_old", h->offers_old, &f);
	key(fp, "failures", &f);
	fputc('[', fp);
	for (size_t i = 0; i < h->n_reasons; i++) {
		bool f2 = true;
		fputs(i ? ",{" : "{", fp);
		kstr(fp, "reason", h->reasons[i].name, &f2);
		ku64(fp, "count", h->reasons[i].count, &f2);
		fputc('}', fp);
	}
	fputc(']', fp);
	ku64(fp, "failures_other", h->other_reason_connections, &f);
	key(fp, "peers", &f);
	fputc('[', fp);
	for (size_t i = 0; i < h->n_peers; i++) {
		bool f2 = true;
		fputs(i ? ",{" : "{", fp);
		kstr(fp, "ip", h->peers[i].ip, &f2);
		key(fp, "port", &f2);
		if (h->peers[i].port)
			fprintf(fp, "%u", (unsigned)h->peers[i].port);
		else
			fputs("null", fp);
		rep_peer_text(&h->peers[i], p);
		ku64(fp, "connections", h->peers[i].connections, &f2);
		ku64(fp, "established", h->peers[i].established, &f2);
		ku64(fp, "failed", h->peers[i].failed, &f2);
		fputc('}', fp);
	}
	fputc(']', fp);
	ku64(fp, "peers_other_connections", h->other_peer_connections, &f);
	key(fp, "sni", &f);
	fputc('[', fp);
	for (size_t i = 0; i < h->n_snis; i++) {
		bool f2 = true;
		fputs(i ? ",{" : "{", fp);
		key(fp, "name", &f2);
		out_json_string(fp, h->snis[i].bytes, h->snis[i].len);
		key(fp, "hex", &f2);
		hex(fp, h->snis[i].bytes, h->snis[i].len);
		ku64(fp, "connections", h->snis[i].connections, &f2);
		fputc('}', fp);
	}
	fputc(']', fp);
	ku64(fp, "sni_other_connections", h->other_sni_connections, &f);
	ku64(fp, "sni_none_connections", h->no_sni_connections, &f);
	kts(fp, "first_seen", h->first_ns, &f);
	kts(fp, "last_seen", h->last_ns, &f);
	kts(fp, "old_first_seen", h->old_first_ns, &f);
	kts(fp, "old_last_seen", h->old_last_ns, &f);
	key(fp, "hints", &f);
	fputc('[', fp);
	g = true;
	for (size_t i = 0; i < rep_n_hints; i++)
		if (report_hint_applies(&rep_hints[i], h)) {
			fputs(g ? "" : ",", fp);
			g = false;
			str(fp, rep_hints[i].id);
		}
	fputs("]}", fp);
}

static void json_report(FILE *fp, const struct rep_data *d)
{
	bool f = true, g;
	char a[32];
	fputc('{', fp);
	ku64(fp, "report_version", REP_JSON_VERSION, &f);
	key(fp, "policy", &f);
	fputc('{', fp);
	g = true;
	kstr(fp, "min_version", rep_version(d->q.min_level, a), &g);
	ku64(fp, "min_version_id", d->q.min_level, &g);
	fputc('}', fp);
	key(fp, "window", &f);
	fputc('{', fp);
	g = true;
	kts(fp, "since", d->q.has_since ? d->q.since_ns : 0, &g);
	kts(fp, "until", d->q.has_until ? d->q.until_ns : 0, &g);
	key(fp, "host", &g);
	if (d->q.host[0])
		str(fp, d->q.host);
	else
		fputs("null", fp);
	fputc('}', fp);
	key(fp, "summary", &f);
	fputc('{', fp);
	g = true;
	kstr(fp, "verdict", report_verdict_name(report_overall(d)), &g);
	ku64(fp, "hosts", d->n_hosts, &g);
	ku64(fp, "violation", rep_host_count(d, REP_VIOLATION), &g);
	ku64(fp, "at_risk", rep_host_count(d, REP_AT_RISK), &g);
	ku64(fp, "ok", rep_host_count(d, REP_OK), &g);
	ku64(fp, "connections", d->connections, &g);
	kts(fp, "first_seen", d->first_ns, &g);
	kts(fp, "last_seen", d->last_ns, &g);
	ku64(fp, "captures", d->n_captures, &g);
	ku64(fp, "captures_with_loss", rep_lossy_captures(d), &g);
	fputc('}', fp);
	key(fp, "hosts", &f);
	fputc('[', fp);
	for (size_t i = 0; i < d->n_hosts; i++) {
		fputs(i ? ",\n" : "\n", fp);
		host_obj(fp, d, &d->hosts[i]);
	}
	fputs("]", fp);
	key(fp, "hints", &f);
	fputc('[', fp);
	g = true;
	for (size_t k = 0; k < rep_n_hints; k++) {
		bool used = false;
		for (size_t i = 0; i < d->n_hosts && !used; i++)
			used = report_hint_applies(&rep_hints[k], &d->hosts[i]);
		if (!used)
			continue;
		bool f2 = true;
		fputs(g ? "\n{" : ",\n{", fp);
		g = false;
		kstr(fp, "id", rep_hints[k].id, &f2);
		kstr(fp, "role", rep_hints[k].role, &f2);
		kstr(fp, "title", rep_hints[k].title, &f2);
		key(fp, "steps", &f2);
		fputc('[', fp);
		for (size_t s = 0;
		     s < sizeof(rep_hints[k].steps) / sizeof(rep_hints[k].steps[0]) && rep_hints[k].steps[s]; s++) {
			fputs(s ? "," : "", fp);
			str(fp, rep_hints[k].steps[s]);
		}
		fputs("]}", fp);
	}
	fputs("]", fp);
	rep_probes_json(fp, d);
	key(fp, "timeline", &f);
	fputc('{', fp);
	g = true;
	ku64(fp, "bucket_ns", (uint64_t)d->bucket_ns, &g);
	key(fp, "buckets", &g);
	fputc('[', fp);
	for (size_t i = 0; i < d->n_buckets; i++) {
		bool f2 = true;
		fputs(i ? ",{" : "{", fp);
		kts(fp, "start", d->timeline[i].start_ns, &f2);
		ku64(fp, "connections", d->timeline[i].connections, &f2);
		ku64(fp, "old", d->timeline[i].old, &f2);
		fputc('}', fp);
	}
	fputs("]}", fp);
	key(fp, "captures", &f);
	fputc('[', fp);
	for (size_t i = 0; i < d->n_captures; i++) {
		const struct rep_capture *c = &d->captures[i];
		bool f2 = true;
		fputs(i ? ",\n{" : "\n{", fp);
		ku64(fp, "id", (uint64_t)c->id, &f2);
		kstr(fp, "path", c->path, &f2);
		kstr(fp, "sensor", c->sensor, &f2);
		key(fp, "sha256", &f2);
		if (c->sha256[0])
			str(fp, c->sha256);
		else
			fputs("null", fp);
		kstr(fp, "format", c->format, &f2);
		kstr(fp, "linktypes", c->linktypes, &f2);
		kstr(fp, "status", c->status, &f2);
		ku64(fp, "packets", c->packets, &f2);
		ku64(fp, "file_bytes", c->file_bytes, &f2);
		ku64(fp, "connections", c->connections, &f2);
		kts(fp, "first_seen", c->first_ns, &f2);
		kts(fp, "last_seen", c->last_ns, &f2);
		key(fp, "lossy", &f2);
		fputs(rep_capture_lossy(c) ? "true" : "false", fp);
		kstr(fp, "warnings", c->warnings, &f2);
		key(fp, "counters", &f2);
		fputc('{', fp);
		bool f3 = true;
		for (size_t k = 0; k < rep_n_counters; k++)
			ku64(fp, rep_counters[k].name, rep_counter_value(c, &rep_counters[k]), &f3);
		fputs("}}", fp);
	}
	fputs("]}\n", fp);
}

static void json_diff(FILE *fp, const struct rep_diff *d)
{
	bool f = true;
	char s[256], a[32];
	fputc('{', fp);
	ku64(fp, "report_version", REP_JSON_VERSION, &f);
	kstr(fp, "min_version", rep_version(d->after->q.min_level, a), &f);
	kstr(fp, "before_verdict", report_verdict_name(report_overall(d->before)), &f);
	kstr(fp, "after_verdict", report_verdict_name(report_overall(d->after)), &f);
	key(fp, "changes", &f);
	fputc('[', fp);
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct rep_diff_row *r = &d->rows[i];
		const struct rep_host *h = r->after ? r->after : r->before;
		bool f2 = true;
		fputs(i ? ",\n{" : "\n{", fp);
		kstr(fp, "ip", h->ip, &f2);
		kstr(fp, "role", h->role, &f2);
		kstr(fp, "change", report_change_name(r->change), &f2);
		for (int side = 0; side < 2; side++) {
			const struct rep_host *x = side ? r->after : r->before;
			key(fp, side ? "after" : "before", &f2);
			if (!x) {
				fputs("null", fp);
				continue;
			}
			bool f3 = true;
			fputc('{', fp);
			kstr(fp, "verdict", report_verdict_name(x->verdict), &f3);
			report_host_state(x, s, sizeof(s));
			kstr(fp, "state", s, &f3);
			ku64(fp, "connections", x->connections, &f3);
			ku64(fp, "established", x->established, &f3);
			ku64(fp, "failed", x->failed, &f3);
			kver(fp, "max_offered", x->max_offered, &f3);
			kver(fp, "min_negotiated", x->min_negotiated, &f3);
			kver(fp, "max_negotiated", x->max_negotiated, &f3);
			fputc('}', fp);
		}
		fputc('}', fp);
	}
	fputs("]", fp);
	rep_probes_diff_json(fp, d);
	fputs("}\n", fp);
}

const struct rep_format_ops rep_fmt_json = {
	.name = "json",
	.report = json_report,
	.diff = json_diff,
};
