/* fmt_json.c - the machine form of the report and the diff (keys documented in docs/report-json.md; keys are
 * added, never renamed). specification: RFC 8259; strings through out_json_string (invalid UTF-8 as U+FFFD,
 * the exact bytes of an SNI in "hex"). */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "report_internal.h"
#include "tlsaudit/names.h"
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

static void span_obj(FILE *fp, const char *k, const struct rep_span *sp, bool *first)
{
	bool f = true;
	key(fp, k, first);
	fputc('{', fp);
	ku64(fp, "connections", sp->n, &f);
	kts(fp, "first_seen", sp->first_ns, &f);
	kts(fp, "last_seen", sp->last_ns, &f);
	fputc('}', fp);
}

static void weak_obj(FILE *fp, const char *k, const struct rep_span *w, bool *first)
{
	bool f = true;
	key(fp, k, first);
	fputc('{', fp);
	for (int x = 0; x < REP_WEAK_COUNT; x++)
		if (w[x].n)
			span_obj(fp, report_weak_name((enum rep_weak)x), &w[x], &f);
	fputc('}', fp);
}

static void stack_obj(FILE *fp, const struct rep_data *d, const struct rep_stack *s)
{
	bool f = true;
	char line[256];
	fputc('{', fp);
	kstr(fp, "key", s->key, &f);
	key(fp, "family", &f);
	if (s->family[0])
		str(fp, s->family);
	else
		fputs("null", fp);
	kstr(fp, "name", s->name, &f);
	key(fp, "match", &f);
	fputs(s->match == 1 ? "\"exact\"" : s->match == 2 ? "\"close\"" : "null", fp);
	key(fp, "windows", &f);
	if (s->windows[0])
		str(fp, s->windows);
	else
		fputs("null", fp);
	kstr(fp, "ja4", s->ja4, &f);
	rep_stack_label(s, line, sizeof(line));
	kstr(fp, "label", line, &f);
	ku64(fp, "connections", s->connections, &f);
	ku64(fp, "established", s->established, &f);
	ku64(fp, "failed", s->failed, &f);
	ku64(fp, "unknown", s->unknown, &f);
	kver(fp, "max_offered", s->max_offered, &f);
	kver(fp, "min_offered", s->min_offered, &f);
	ku64(fp, "old_offered", s->old_offered, &f);
	ku64(fp, "old_offered_failed", s->old_offered_failed, &f);
	ku64(fp, "old_offered_unknown", s->old_offered_unknown, &f);
	ku64(fp, "old_negotiated", s->old_negotiated, &f);
	ku64(fp, "still_offers_old", s->offers_old, &f);
	kts(fp, "first_seen", s->first_ns, &f);
	kts(fp, "last_seen", s->last_ns, &f);
	key(fp, "reasons", &f);
	fputc('[', fp);
	unsigned r = report_stack_reasons(s);
	bool g = true;
	for (size_t i = 0; i < REP_R_COUNT; i++)
		if (r & rep_reason_order[i]) {
			fputs(g ? "" : ",", fp);
			g = false;
			str(fp, report_reason_key(rep_reason_order[i]));
		}
	fputc(']', fp);
	(void)d;
	fputc('}', fp);
}

static void cert_obj(FILE *fp, const struct rep_data *d, const struct rep_cert *c)
{
	bool f = true;
	fputc('{', fp);
	kstr(fp, "sha256", c->sha256, &f);
	key(fp, "subject_cn", &f);
	out_json_string(fp, c->subject, strnlen(c->subject, c->subject_len));
	key(fp, "issuer_cn", &f);
	out_json_string(fp, c->issuer, strnlen(c->issuer, c->issuer_len));
	char t[64];
	key(fp, "not_before", &f);
	out_rfc3339_s(c->not_before, t);
	str(fp, t);
	key(fp, "not_after", &f);
	out_rfc3339_s(c->not_after, t);
	str(fp, t);
	kstr(fp, "key_type", c->key_type, &f);
	ku64(fp, "key_bits", c->key_bits, &f);
	kstr(fp, "sig_alg", c->sig_alg, &f);
	key(fp, "self_signed", &f);
	fputs(c->self_signed ? "true" : "false", fp);
	ku64(fp, "used_after_expiry", c->expired_at_use, &f);
	key(fp, "expiring", &f);
	fputs(rep_cert_expiring(c, &d->policy) ? "true" : "false", fp);
	key(fp, "weak_key", &f);
	fputs(rep_cert_weak_key(c, &d->policy) ? "true" : "false", fp);
	key(fp, "sha1_signature", &f);
	fputs(rep_cert_sha1(c) ? "true" : "false", fp);
	span_obj(fp, "seen", &c->seen, &f);
	fputc('}', fp);
}

static void host_obj(FILE *fp, const struct rep_data *d, const struct rep_host *h)
{
	bool f = true, g;
	char line[1024], p[64];
	fputc('{', fp);
	kstr(fp, "ip", h->ip, &f);
	kstr(fp, "role", h->role, &f);
	kstr(fp, "verdict", report_verdict_name(h->verdict), &f);
	key(fp, "reasons", &f);
	fputc('[', fp);
	g = true;
	for (size_t i = 0; i < REP_R_COUNT; i++)
		if (h->reasons_mask & rep_reason_order[i]) {
			rep_reason_text(d, h, rep_reason_order[i], line, sizeof(line));
			fputs(g ? "{" : ",{", fp);
			g = false;
			bool f2 = true;
			kstr(fp, "key", report_reason_key(rep_reason_order[i]), &f2);
			kstr(fp, "level", report_level_name(rep_level_of(&d->policy, rep_reason_order[i])), &f2);
			kstr(fp, "text", line, &f2);
			fputc('}', fp);
		}
	fputc(']', fp);
	report_host_state(h, line, sizeof(line));
	kstr(fp, "state", line, &f);
	ku64(fp, "connections", h->connections, &f);
	ku64(fp, "established", h->established, &f);
	ku64(fp, "failed", h->failed, &f);
	ku64(fp, "unknown", h->unknown, &f);
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
	static const struct {
		const char *k;
		size_t off;
	} cols[] = {{"offered_max", offsetof(struct rep_host, offered_by_version)},
		    {"established_by_negotiated", offsetof(struct rep_host, est_by_version)},
		    {"failed_by_offered_max", offsetof(struct rep_host, failed_by_offered)},
		    {"unknown_by_offered_max", offsetof(struct rep_host, unknown_by_offered)}};
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		const uint64_t *v = (const uint64_t *)(const void *)((const char *)h + cols[c].off);
		key(fp, cols[c].k, &f);
		fputc('{', fp);
		g = true;
		for (int x = 0; x < REP_V_COUNT; x++)
			if (v[x])
				ku64(fp, rep_vcol_names[x], v[x], &g);
		fputc('}', fp);
	}
	ku64(fp, "old_offered", h->old_offered, &f);
	ku64(fp, "old_offered_failed", h->old_offered_failed, &f);
	ku64(fp, "old_offered_unknown", h->old_offered_unknown, &f);
	ku64(fp, "old_negotiated", h->old_negotiated, &f);
	ku64(fp, "still_offers_old", h->offers_old, &f);
	key(fp, "failures", &f);
	fputc('[', fp);
	for (size_t i = 0; i < h->n_reasons; i++) {
		bool f2 = true;
		fputs(i ? ",{" : "{", fp);
		kstr(fp, "reason", h->reasons[i].name, &f2);
		kstr(fp, "class", names_outcome_class_name((enum ta_outcome_class)h->reasons[i].class_), &f2);
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
		ku64(fp, "unknown", h->peers[i].unknown, &f2);
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
	key(fp, "windows_host", &f);
	fputs(h->windows ? "true" : "false", fp);
	key(fp, "stacks", &f);
	fputc('[', fp);
	for (size_t i = 0; i < h->n_stacks; i++) {
		fputs(i ? "," : "", fp);
		stack_obj(fp, d, &h->stacks[i]);
	}
	fputc(']', fp);
	ku64(fp, "stacks_other_connections", h->other_stack_connections, &f);
	ku64(fp, "no_hello_connections", h->no_hello_connections, &f);
	key(fp, "certificates", &f);
	fputc('[', fp);
	for (size_t i = 0; i < h->n_certs; i++) {
		fputs(i ? "," : "", fp);
		cert_obj(fp, d, &h->certs[i]);
	}
	fputc(']', fp);
	ku64(fp, "certificates_other_connections", h->other_cert_connections, &f);
	weak_obj(fp, "weak_negotiated", h->weak_negotiated, &f);
	weak_obj(fp, "weak_offered", h->weak_offered, &f);
	key(fp, "ndpi_risks", &f);
	fputc('[', fp);
	for (size_t i = 0; i < h->n_risks; i++) {
		bool f2 = true;
		fputs(i ? ",{" : "{", fp);
		const char *name = names_bit(NAMES_RISK, h->risks[i].bit);
		key(fp, "risk", &f2);
		if (name)
			str(fp, name);
		else
			fputs("null", fp);
		ku64(fp, "id", h->risks[i].bit, &f2);
		ku64(fp, "connections", h->risks[i].seen.n, &f2);
		kts(fp, "first_seen", h->risks[i].seen.first_ns, &f2);
		kts(fp, "last_seen", h->risks[i].seen.last_ns, &f2);
		fputc('}', fp);
	}
	fputc(']', fp);
	key(fp, "impact", &f);
	fputc('{', fp);
	g = true;
	ku64(fp, "clients", h->impact_clients, &g);
	ku64(fp, "connections", h->impact_connections, &g);
	key(fp, "listed", &g);
	fputc('[', fp);
	for (size_t i = 0; i < h->n_impact; i++) {
		const struct rep_impact *m = &h->impact[i];
		bool f2 = true;
		fputs(i ? ",{" : "{", fp);
		kstr(fp, "ip", m->ip, &f2);
		kver(fp, "max_offered", m->max_offered, &f2);
		ku64(fp, "connections", m->connections, &f2);
		ku64(fp, "established", m->established, &f2);
		ku64(fp, "failed", m->failed, &f2);
		ku64(fp, "unknown", m->unknown, &f2);
		kts(fp, "last_seen", m->last_ns, &f2);
		kstr(fp, "stack", m->stack, &f2);
		key(fp, "sni", &f2);
		if (m->sni_len)
			out_json_string(fp, m->sni, m->sni_len);
		else
			fputs("null", fp);
		fputc('}', fp);
	}
	fputs("]}", fp);
	key(fp, "hints", &f);
	fputc('[', fp);
	struct rep_hint_use u[REP_MAX_HOST_HINTS];
	size_t nu = report_host_hints(h, u, REP_MAX_HOST_HINTS);
	g = true;
	for (size_t i = 0; i < nu; i++) {
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup |= u[k].hint == u[i].hint;
		if (dup)
			continue;
		fputs(g ? "" : ",", fp);
		g = false;
		str(fp, u[i].hint->id);
	}
	fputs("]}", fp);
}

static void json_report(FILE *fp, const struct rep_data *d, const struct rep_render *r)
{
	bool f = true, g;
	char a[32], line[512];
	fputc('{', fp);
	ku64(fp, "report_version", REP_JSON_VERSION, &f);
	key(fp, "provenance", &f);
	fputc('{', fp);
	g = true;
	kstr(fp, "tlsaudit_version", d->prov.version, &g);
	kts(fp, "generated", d->prov.generated_ns, &g);
	kstr(fp, "database", d->prov.db, &g);
	key(fp, "sensors", &g);
	fputc('[', fp);
	const char *sensors[256];
	size_t ns = rep_sensors(d, sensors, 256);
	for (size_t i = 0; i < ns; i++) {
		fputs(i ? "," : "", fp);
		str(fp, sensors[i]);
	}
	fputs("]}", fp);
	key(fp, "policy", &f);
	fputc('{', fp);
	g = true;
	kstr(fp, "min_version", rep_version(d->policy.min_level, a), &g);
	ku64(fp, "min_version_id", d->policy.min_level, &g);
	key(fp, "levels", &g);
	fputc('{', fp);
	bool f2 = true;
	for (size_t i = 0; i < REP_R_COUNT; i++)
		kstr(fp, report_reason_key(1u << i), report_level_name((enum rep_level)d->policy.level[i]), &f2);
	fputc('}', fp);
	ku64(fp, "rsa_min_bits", d->policy.rsa_min_bits, &g);
	ku64(fp, "cert_expiring_days", d->policy.expiring_days, &g);
	key(fp, "weak_ciphers", &g);
	fputc('[', fp);
	f2 = true;
	for (int w = 0; w < REP_WEAK_COUNT; w++)
		if (d->policy.weak_kinds >> w & 1) {
			fputs(f2 ? "" : ",", fp);
			f2 = false;
			str(fp, report_weak_name((enum rep_weak)w));
		}
	fputc(']', fp);
	key(fp, "ndpi_ignore", &g);
	fputc('[', fp);
	f2 = true;
	for (unsigned b = 0; b < 64; b++)
		if (d->policy.ndpi_ignore >> b & 1) {
			fputs(f2 ? "" : ",", fp);
			f2 = false;
			fprintf(fp, "%u", b);
		}
	fputc(']', fp);
	key(fp, "max_age_s", &g);
	if (d->policy.max_age_ns > 0)
		fprintf(fp, "%" PRId64, d->policy.max_age_ns / 1000000000);
	else
		fputs("null", fp);
	fputc('}', fp);
	key(fp, "window", &f);
	fputc('{', fp);
	g = true;
	kts(fp, "since", d->q.has_since ? d->q.since_ns : 0, &g);
	kts(fp, "until", d->q.has_until ? d->q.until_ns : 0, &g);
	key(fp, "host", &g);
	if (d->q.n_nets) {
		char n[64];
		size_t off = 0;
		line[0] = '\0';
		for (size_t i = 0; i < d->q.n_nets && off < sizeof(line) - 70; i++) {
			rep_net_text(&d->q.nets[i], n);
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", i ? " " : "", n);
		}
		str(fp, line);
	} else {
		fputs("null", fp);
	}
	key(fp, "hosts", &g);
	fputc('[', fp);
	for (size_t i = 0; i < d->q.n_nets; i++) {
		char n[64];
		rep_net_text(&d->q.nets[i], n);
		fputs(i ? "," : "", fp);
		str(fp, n);
	}
	fputc(']', fp);
	key(fp, "role", &g);
	fputs(d->q.role == REP_ROLE_CLIENT ? "\"client\"" : d->q.role == REP_ROLE_SERVER ? "\"server\"" : "null", fp);
	key(fp, "sensors", &g);
	fputc('[', fp);
	for (size_t i = 0; i < d->q.n_sensors; i++) {
		fputs(i ? "," : "", fp);
		str(fp, d->q.sensors[i]);
	}
	fputs("]}", fp);
	key(fp, "summary", &f);
	fputc('{', fp);
	g = true;
	kstr(fp, "verdict", report_verdict_name(report_overall(d)), &g);
	kstr(fp, "hosts_verdict", report_verdict_name(rep_worst_host(d)), &g);
	ku64(fp, "hosts", d->n_hosts, &g);
	ku64(fp, "violation", rep_host_count(d, REP_VIOLATION), &g);
	ku64(fp, "at_risk", rep_host_count(d, REP_AT_RISK), &g);
	ku64(fp, "ok", rep_host_count(d, REP_OK), &g);
	ku64(fp, "no_tls", rep_host_count(d, REP_NO_TLS), &g);
	ku64(fp, "connections", d->connections, &g);
	ku64(fp, "established", d->established, &g);
	ku64(fp, "failed", d->failed, &g);
	ku64(fp, "unknown", d->unknown, &g);
	kts(fp, "first_seen", d->first_ns, &g);
	kts(fp, "last_seen", d->last_ns, &g);
	key(fp, "age_s", &g);
	if (rep_newest_ns(d))
		fprintf(fp, "%" PRId64, rep_age_ns(d) / 1000000000);
	else
		fputs("null", fp);
	ku64(fp, "captures", d->n_captures, &g);
	ku64(fp, "captures_with_loss", rep_lossy_captures(d), &g);
	ku64(fp, "database_connections", d->db_connections, &g);
	kts(fp, "database_first_seen", d->db_first_ns, &g);
	kts(fp, "database_last_seen", d->db_last_ns, &g);
	key(fp, "headlines", &g);
	fputc('[', fp);
	struct rep_headline hl[REP_MAX_HEADLINES];
	size_t nh = report_overall(d) == REP_NO_DATA ? 0 : rep_headlines(d, hl, REP_MAX_HEADLINES);
	for (size_t i = 0; i < nh; i++) {
		bool f3 = true;
		fputs(i ? ",{" : "{", fp);
		kstr(fp, "level", report_verdict_name(hl[i].level), &f3);
		kstr(fp, "text", hl[i].text, &f3);
		key(fp, "hosts", &f3);
		fputc('[', fp);
		size_t n = 0;
		for (size_t k = 0; k < d->n_hosts && hl[i].reason; k++) {
			const struct rep_host *h = rep_ranked(d, k);
			if (!rep_headline_has(&hl[i], h))
				continue;
			fputs(n++ ? "," : "", fp);
			bool f4 = true;
			fputc('{', fp);
			kstr(fp, "ip", h->ip, &f4);
			kstr(fp, "role", h->role, &f4);
			fputc('}', fp);
		}
		fputs("]}", fp);
	}
	fputs("]}", fp);
	key(fp, "hosts", &f);
	fputc('[', fp);
	for (size_t i = 0; i < d->n_hosts; i++) {
		fputs(i ? ",\n" : "\n", fp);
		host_obj(fp, d, &d->hosts[i]);
	}
	fputs("]", fp);
	key(fp, "ranking", &f);
	fputc('[', fp);
	for (size_t i = 0; i < d->n_hosts && d->rank; i++)
		fprintf(fp, "%s%zu", i ? "," : "", d->rank[i]);
	fputs("]", fp);
	key(fp, "hints", &f);
	fputc('[', fp);
	g = true;
	for (size_t k = 0; k < rep_n_hints; k++) {
		const struct rep_hint *hint = &rep_hints[k];
		if (!rep_hint_hosts(d, hint))
			continue;
		bool f3 = true;
		fputs(g ? "\n{" : ",\n{", fp);
		g = false;
		kstr(fp, "id", hint->id, &f3);
		kstr(fp, "role", hint->role, &f3);
		key(fp, "family", &f3);
		if (hint->family)
			str(fp, hint->family);
		else
			fputs("null", fp);
		key(fp, "windows", &f3);
		if (hint->windows)
			str(fp, hint->windows);
		else
			fputs("null", fp);
		kstr(fp, "title", hint->title, &f3);
		key(fp, "steps", &f3);
		fputc('[', fp);
		for (size_t s = 0; s < sizeof(hint->steps) / sizeof(hint->steps[0]) && hint->steps[s]; s++) {
			fputs(s ? "," : "", fp);
			str(fp, hint->steps[s]);
		}
		fputc(']', fp);
		key(fp, "snippets", &f3);
		fputc('[', fp);
		for (size_t s = 0; s < sizeof(hint->snippets) / sizeof(hint->snippets[0]) && hint->snippets[s].text;
		     s++) {
			bool f4 = true;
			fputs(s ? ",{" : "{", fp);
			kstr(fp, "label", hint->snippets[s].label, &f4);
			kstr(fp, "text", hint->snippets[s].text, &f4);
			fputc('}', fp);
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
		bool f3 = true;
		fputs(i ? ",{" : "{", fp);
		kts(fp, "start", d->timeline[i].start_ns, &f3);
		ku64(fp, "connections", d->timeline[i].connections, &f3);
		ku64(fp, "old", d->timeline[i].old, &f3);
		fputc('}', fp);
	}
	fputs("]}", fp);
	key(fp, "captures", &f);
	fputc('[', fp);
	for (size_t i = 0; i < d->n_captures; i++) {
		const struct rep_capture *c = &d->captures[i];
		bool f3 = true;
		fputs(i ? ",\n{" : "\n{", fp);
		ku64(fp, "id", (uint64_t)c->id, &f3);
		kstr(fp, "path", c->path, &f3);
		kstr(fp, "sensor", c->sensor, &f3);
		key(fp, "sha256", &f3);
		if (c->sha256[0])
			str(fp, c->sha256);
		else
			fputs("null", fp);
		kstr(fp, "format", c->format, &f3);
		kstr(fp, "linktypes", c->linktypes, &f3);
		kstr(fp, "status", c->status, &f3);
		kstr(fp, "options", c->options, &f3);
		ku64(fp, "packets", c->packets, &f3);
		ku64(fp, "file_bytes", c->file_bytes, &f3);
		ku64(fp, "connections", c->connections, &f3);
		kts(fp, "first_seen", c->first_ns, &f3);
		kts(fp, "last_seen", c->last_ns, &f3);
		key(fp, "lossy", &f3);
		fputs(rep_capture_lossy(c) ? "true" : "false", fp);
		kstr(fp, "warnings", c->warnings, &f3);
		key(fp, "counters", &f3);
		fputc('{', fp);
		bool f4 = true;
		for (size_t k = 0; k < rep_n_counters; k++)
			ku64(fp, rep_counters[k].name, rep_counter_value(c, &rep_counters[k]), &f4);
		fputs("}}", fp);
	}
	fputs("]}\n", fp);
	(void)r;
}

static void json_diff(FILE *fp, const struct rep_diff *d, const struct rep_render *r)
{
	bool f = true;
	char s[256], a[32];
	fputc('{', fp);
	ku64(fp, "report_version", REP_JSON_VERSION, &f);
	kstr(fp, "min_version", rep_version(d->after->policy.min_level, a), &f);
	kstr(fp, "before_verdict", report_verdict_name(report_overall(d->before)), &f);
	kstr(fp, "after_verdict", report_verdict_name(report_overall(d->after)), &f);
	key(fp, "provenance", &f);
	fputc('{', fp);
	bool g = true;
	kstr(fp, "tlsaudit_version", d->after->prov.version, &g);
	kts(fp, "generated", d->after->prov.generated_ns, &g);
	kstr(fp, "before_database", d->before->prov.db, &g);
	kstr(fp, "after_database", d->after->prov.db, &g);
	fputc('}', fp);
	key(fp, "counts", &f);
	fputc('{', fp);
	g = true;
	for (int c = REP_CH_REGRESSED; c <= REP_CH_UNCHANGED; c++)
		ku64(fp, report_change_name((enum rep_change)c), rep_diff_count(d, (enum rep_change)c), &g);
	fputc('}', fp);
	key(fp, "changes", &f);
	fputc('[', fp);
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct rep_diff_row *row = &d->rows[i];
		const struct rep_host *h = row->after ? row->after : row->before;
		bool f2 = true;
		fputs(i ? ",\n{" : "\n{", fp);
		kstr(fp, "ip", h->ip, &f2);
		kstr(fp, "role", h->role, &f2);
		kstr(fp, "change", report_change_name(row->change), &f2);
		for (int side = 0; side < 2; side++) {
			const struct rep_host *x = side ? row->after : row->before;
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
			ku64(fp, "unknown", x->unknown, &f3);
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
	(void)r;
}

const struct rep_format_ops rep_fmt_json = {
	.name = "json",
	.report = json_report,
	.diff = json_diff,
};
