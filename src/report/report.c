/* report.c - verdict rules, the before/after pairing, format dispatch and shared value formatting of the report
 * library (include/tlsaudit/report.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "report_internal.h"
#include "tlsaudit/names.h"
#include "tlsaudit/output.h"
#include "tlsaudit/tls.h"

static const struct rep_format_ops *const formats[REP_FMT_COUNT_] = {
	[REP_FMT_TEXT] = &rep_fmt_text, [REP_FMT_MD] = &rep_fmt_md,	[REP_FMT_CSV] = &rep_fmt_csv,
	[REP_FMT_JSON] = &rep_fmt_json, [REP_FMT_HTML] = &rep_fmt_html,
};

bool report_format_parse(const char *name, enum rep_format *ret)
{
	for (int i = 0; i < REP_FMT_COUNT_; i++)
		if (strcmp(name, formats[i]->name) == 0) {
			*ret = (enum rep_format)i;
			return true;
		}
	if (strcmp(name, "markdown") == 0) {
		*ret = REP_FMT_MD;
		return true;
	}
	return false;
}

bool report_version_parse(const char *name, uint16_t *ret)
{
	static const struct {
		const char *num;
		uint16_t level;
	} v[] = {{"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304}};
	const char *s = name;
	bool ssl = strncasecmp(s, "ssl", 3) == 0;
	/* accept "TLS 1.2", "tls1.2", "TLSv1.2", "1.2", "SSL 3.0" */
	if (ssl || strncasecmp(s, "tls", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == 'v' || *s == 'V')
		s++;
	if (ssl) {
		if (strcmp(s, "3.0") != 0)
			return false;
		*ret = 0x0300;
		return true;
	}
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(s, v[i].num) == 0) {
			*ret = v[i].level;
			return true;
		}
	return false;
}

const char *report_verdict_name(enum rep_verdict v)
{
	switch (v) {
	case REP_OK: return "ok";
	case REP_AT_RISK: return "at risk";
	case REP_VIOLATION: return "violation";
	}
	return "?";
}

const char *report_change_name(enum rep_change c)
{
	switch (c) {
	case REP_CH_FIXED: return "fixed";
	case REP_CH_IMPROVED: return "improved";
	case REP_CH_REGRESSED: return "regressed";
	case REP_CH_CHANGED: return "changed";
	case REP_CH_UNCHANGED: return "unchanged";
	case REP_CH_NEW: return "new";
	case REP_CH_GONE: return "gone";
	}
	return "?";
}

/* Verdict rules (README "Verdicts"): a passive capture shows what a host did, not what it would accept, so
 * a server can only be ok or in violation. */
void report_evaluate(struct rep_data *d)
{
	for (size_t i = 0; i < d->n_hosts; i++) {
		struct rep_host *h = &d->hosts[i];
		bool client = strcmp(h->role, "client") == 0;
		unsigned r = 0;
		if (client && h->old_offered > h->old_offered_failed)
			r |= REP_R_MAX_OLD; /* old-only hellos that did not fail (those that did have their own bit) */
		if (client && h->old_offered_failed)
			r |= REP_R_MAX_OLD_FAILED;
		if (h->old_negotiated)
			r |= REP_R_NEG_OLD;
		if (client && h->offers_old)
			r |= REP_R_OFFERS_OLD;
		h->reasons_mask = r;
		if (r & (REP_R_MAX_OLD | REP_R_MAX_OLD_FAILED | REP_R_NEG_OLD))
			h->verdict = REP_VIOLATION;
		else if (r & REP_R_OFFERS_OLD)
			h->verdict = REP_AT_RISK;
		else
			h->verdict = REP_OK;
	}
	rep_probe_evaluate(d); /* a probed server that accepts an old version: violation (fmt_probe.c) */
}

enum rep_verdict report_overall(const struct rep_data *d)
{
	enum rep_verdict v = REP_OK;
	for (size_t i = 0; i < d->n_hosts; i++)
		if (d->hosts[i].verdict > v)
			v = d->hosts[i].verdict;
	return v;
}

size_t rep_host_count(const struct rep_data *d, enum rep_verdict v)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		n += d->hosts[i].verdict == v;
	return n;
}

bool report_hint_applies(const struct rep_hint *hint, const struct rep_host *h)
{
	return strcmp(hint->role, h->role) == 0 && (hint->when & h->reasons_mask) != 0 &&
	       (hint->unless & h->reasons_mask) == 0;
}

int report_write(FILE *fp, enum rep_format f, const struct rep_data *d)
{
	if (f < 0 || f >= REP_FMT_COUNT_)
		return -EINVAL;
	formats[f]->report(fp, d);
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -EIO;
}

int report_diff_write(FILE *fp, enum rep_format f, const struct rep_diff *d)
{
	if (f < 0 || f >= REP_FMT_COUNT_)
		return -EINVAL;
	formats[f]->diff(fp, d);
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -EIO;
}

/* ---- diff ------------------------------------------------------------------------------------ */

static int host_key_cmp(const struct rep_host *a, const struct rep_host *b)
{
	/* both lists are ordered by family, address bytes, role (store_report.c); compare the same way */
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	uint8_t x[16] = {0}, y[16] = {0};
	inet_pton(a->family == 6 ? AF_INET6 : AF_INET, a->ip, x);
	inet_pton(b->family == 6 ? AF_INET6 : AF_INET, b->ip, y);
	int c = memcmp(x, y, sizeof(x));
	if (c)
		return c;
	c = strcmp(a->ip, b->ip);
	return c ? c : strcmp(a->role, b->role);
}

void report_host_state(const struct rep_host *h, char *buf, size_t len)
{
	char lo_b[32], hi_b[32], peer[64];
	uint16_t lo = 0, hi = 0;
	bool client = strcmp(h->role, "client") == 0;
	if (h->probe_endpoints && !h->connections) {
		rep_probe_state(h, buf, len);
		return;
	}
	if (h->max_negotiated) {
		lo = h->min_negotiated;
		hi = h->max_negotiated;
	}
	if (h->failed && h->min_offered && (!lo || h->min_offered < lo))
		lo = h->min_offered;
	if (!hi)
		hi = h->max_offered;
	if (!lo)
		lo = hi;
	size_t off = 0;
	int w;
	if (lo == hi)
		w = snprintf(buf, len, "%s (", rep_version(hi, hi_b));
	else
		w = snprintf(buf, len, "%s..%s (", rep_version(lo, lo_b), rep_version(hi, hi_b));
	if (w < 0 || (size_t)w >= len)
		return;
	off = (size_t)w;
	if (h->established) {
		w = snprintf(buf + off, len - off, "%" PRIu64 " established%s", h->established, h->failed ? ", " : "");
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
	}
	if (h->failed) {
		const struct rep_peer *top = NULL;
		size_t npeers = 0;
		for (size_t i = 0; i < h->n_peers; i++)
			if (h->peers[i].failed) {
				npeers++;
				if (!top || h->peers[i].failed > top->failed)
					top = &h->peers[i];
			}
		if (top)
			rep_peer_text(top, peer);
		if (top && npeers == 1 && !h->other_peer_connections)
			w = snprintf(buf + off, len - off, "%" PRIu64 " failed %s %s", h->failed,
				     client ? "to" : "from", client ? peer : top->ip);
		else
			w = snprintf(buf + off, len - off, "%" PRIu64 " failed", h->failed);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
	}
	snprintf(buf + off, len - off, ")");
	if (h->probe_endpoints && (off = strlen(buf)) + 2 < len) {
		snprintf(buf + off, len - off, "; ");
		rep_probe_state(h, buf + off + 2, len - off - 2);
	}
}

static enum rep_change classify(const struct rep_host *b, const struct rep_host *a)
{
	char sb[256], sa[256];
	if (!b)
		return REP_CH_NEW;
	if (!a)
		return REP_CH_GONE;
	if (a->verdict < b->verdict)
		return a->verdict == REP_OK ? REP_CH_FIXED : REP_CH_IMPROVED;
	if (a->verdict > b->verdict)
		return REP_CH_REGRESSED;
	report_host_state(b, sb, sizeof(sb));
	report_host_state(a, sa, sizeof(sa));
	/* counts differ in any two windows: compare the version part only */
	char *pb = strchr(sb, '('), *pa = strchr(sa, '(');
	size_t nb = pb ? (size_t)(pb - sb) : strlen(sb), na = pa ? (size_t)(pa - sa) : strlen(sa);
	bool same = nb == na && memcmp(sb, sa, nb) == 0 && (a->failed == 0) == (b->failed == 0) &&
		    a->probe_accepted == b->probe_accepted && !a->probe_endpoints == !b->probe_endpoints;
	return same ? REP_CH_UNCHANGED : REP_CH_CHANGED;
}

int report_diff_build(const struct rep_data *before, const struct rep_data *after, struct rep_diff **ret)
{
	struct rep_diff *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->before = before;
	d->after = after;
	d->rows = calloc(before->n_hosts + after->n_hosts + 1, sizeof(*d->rows));
	if (!d->rows) {
		free(d);
		return -ENOMEM;
	}
	size_t i = 0, j = 0;
	while (i < before->n_hosts || j < after->n_hosts) {
		const struct rep_host *b = i < before->n_hosts ? &before->hosts[i] : NULL;
		const struct rep_host *a = j < after->n_hosts ? &after->hosts[j] : NULL;
		int c = !b ? 1 : !a ? -1 : host_key_cmp(b, a);
		struct rep_diff_row *r = &d->rows[d->n_rows++];
		r->before = c <= 0 ? b : NULL;
		r->after = c >= 0 ? a : NULL;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		r->change = classify(r->before, r->after);
	}
	*ret = d;
	return 0;
}

void report_diff_free(struct rep_diff *d)
{
	if (!d)
		return;
	free(d->rows);
	free(d);
}

/* ---- shared value formatting ----------------------------------------------------------------- */

#define COUNTER(name, desc) {#name, desc, offsetof(struct ta_stats, name), true},
const struct rep_counter rep_counters[] = {TA_STATS_FIELDS(COUNTER)};
#undef COUNTER
const size_t rep_n_counters = sizeof(rep_counters) / sizeof(rep_counters[0]);

/* totals and informational counters: everything else means something was not analysed */
static bool counter_is_info(const char *name)
{
	static const char *const info[] = {"frames",	    "frame_bytes", "tcp_packets",     "not_tcp",
					   "filtered_out",  "flows",	   "flows_tls",	      "flows_idle",
					   "pcap_received", "ndpi_flows",  "duplicate_frames"};
	for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++)
		if (strcmp(name, info[i]) == 0)
			return true;
	return false;
}

uint64_t rep_counter_value(const struct rep_capture *c, const struct rep_counter *k)
{
	uint64_t v;
	memcpy(&v, (const char *)&c->stats + k->offset, sizeof(v));
	return v;
}

bool rep_capture_lossy(const struct rep_capture *c)
{
	if (strcmp(c->status, "complete") != 0)
		return true;
	for (size_t i = 0; i < rep_n_counters; i++)
		if (!counter_is_info(rep_counters[i].name) && rep_counter_value(c, &rep_counters[i]))
			return true;
	return false;
}

size_t rep_lossy_captures(const struct rep_data *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_captures; i++)
		n += rep_capture_lossy(&d->captures[i]);
	return n;
}

const char *const rep_vcol_names[REP_V_COUNT] = {
	[REP_V_NONE] = "none",	   [REP_V_SSL2] = "SSL 2.0",  [REP_V_SSL3] = "SSL 3.0",	 [REP_V_TLS10] = "TLS 1.0",
	[REP_V_TLS11] = "TLS 1.1", [REP_V_TLS12] = "TLS 1.2", [REP_V_TLS13] = "TLS 1.3", [REP_V_OTHER] = "other",
};

const char *rep_version(uint16_t level, char buf[static 32])
{
	if (!level) {
		snprintf(buf, 32, "-");
		return buf;
	}
	char b[NAMES_BUF];
	snprintf(buf, 32, "%s", names_version(level, b));
	return buf;
}

void rep_ts(int64_t ns, char buf[static 64])
{
	if (!ns)
		snprintf(buf, 64, "-");
	else
		out_rfc3339(ns, buf);
}

void rep_ts_human(int64_t ns, char buf[static 64])
{
	rep_ts(ns, buf);
	if (!ns)
		return;
	char *t = strchr(buf, 'T'), *dot = strchr(buf, '.');
	if (t)
		*t = ' ';
	if (dot)
		snprintf(dot, 3, "Z");
}

void rep_peer_text(const struct rep_peer *p, char buf[static 64])
{
	bool v6 = strchr(p->ip, ':') != NULL;
	if (!p->port)
		snprintf(buf, 64, "%s", p->ip);
	else
		snprintf(buf, 64, v6 ? "[%s]:%u" : "%s:%u", p->ip, (unsigned)p->port);
}

const unsigned rep_reason_bits[5] = {REP_R_MAX_OLD_FAILED, REP_R_MAX_OLD, REP_R_NEG_OLD, REP_R_OFFERS_OLD,
				     REP_R_PROBE_OLD};

const char *rep_reason_key(unsigned reason)
{
	switch (reason) {
	case REP_R_MAX_OLD: return "offered_only_old";
	case REP_R_MAX_OLD_FAILED: return "old_hello_failed";
	case REP_R_NEG_OLD: return "negotiated_old";
	case REP_R_OFFERS_OLD: return "still_offers_old";
	case REP_R_PROBE_OLD: return "probe_accepts_old";
	}
	return "?";
}

void rep_reason_text(const struct rep_host *h, unsigned reason, uint16_t min_level, char *buf, size_t len)
{
	char a[32], b[32], p[64] = "";
	if (h->n_peers)
		rep_peer_text(&h->peers[0], p);
	switch (reason) {
	case REP_R_MAX_OLD_FAILED:
		snprintf(buf, len,
			 "%" PRIu64 " handshake%s failed whose ClientHello offered at most %s: this host cannot speak"
			 " %s, and the server refused it",
			 h->old_offered_failed, h->old_offered_failed == 1 ? "" : "s", rep_version(h->min_offered, a),
			 rep_version(min_level, b));
		break;
	case REP_R_MAX_OLD:
		snprintf(buf, len,
			 "%" PRIu64 " ClientHello%s offered at most %s and %s not refused (policy: %s or newer)",
			 h->old_offered - h->old_offered_failed, h->old_offered - h->old_offered_failed == 1 ? "" : "s",
			 rep_version(h->min_offered, a), h->old_offered - h->old_offered_failed == 1 ? "was" : "were",
			 rep_version(min_level, b));
		break;
	case REP_R_NEG_OLD:
		snprintf(buf, len, "%" PRIu64 " connection%s negotiated %s (policy: %s or newer)", h->old_negotiated,
			 h->old_negotiated == 1 ? "" : "s", rep_version(h->min_negotiated, a),
			 rep_version(min_level, b));
		break;
	case REP_R_OFFERS_OLD:
		snprintf(buf, len,
			 "%" PRIu64 " ClientHello%s still list%s a version below %s in supported_versions (it would"
			 " fall back against an old server)",
			 h->offers_old, h->offers_old == 1 ? "" : "s", h->offers_old == 1 ? "s" : "",
			 rep_version(min_level, b));
		break;
	case REP_R_PROBE_OLD: rep_probe_reason_text(h, min_level, buf, len); break;
	default: snprintf(buf, len, "?");
	}
}

/* ---- per-host list cells of the table formats (md, html) ---- */

void rep_cell_versions(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st)
{
	for (int k = 0, n = 0; k < REP_V_COUNT; k++)
		if (h->by_version[k])
			fprintf(fp, "%s%s%s%" PRIu64, n++ ? st->sep : "", rep_vcol_names[k], st->times,
				h->by_version[k]);
}

void rep_cell_reasons(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st)
{
	for (size_t k = 0; k < h->n_reasons; k++) {
		fputs(k ? st->sep : "", fp);
		st->esc(fp, h->reasons[k].name, strlen(h->reasons[k].name));
		fprintf(fp, "%s%" PRIu64, st->times, h->reasons[k].count);
	}
}

void rep_cell_peers(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st)
{
	for (size_t k = 0; k < h->n_peers; k++) {
		char p[64];
		rep_peer_text(&h->peers[k], p);
		fputs(k ? st->sep : "", fp);
		st->esc(fp, p, strlen(p));
		fprintf(fp, "%s%" PRIu64, st->times, h->peers[k].connections);
	}
}

void rep_cell_snis(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st)
{
	for (size_t k = 0; k < h->n_snis; k++) {
		size_t n = h->snis[k].len > st->sni_max ? st->sni_max : h->snis[k].len;
		fputs(k ? st->sep : "", fp);
		st->esc(fp, h->snis[k].bytes, n);
		if (n < h->snis[k].len)
			fprintf(fp, "%s(%u bytes)", st->ellipsis, (unsigned)h->snis[k].len);
		fprintf(fp, "%s%" PRIu64, st->times, h->snis[k].connections);
	}
}
