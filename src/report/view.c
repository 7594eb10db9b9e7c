/* view.c - what every report format says in words and how it formats values (report_internal.h): reason
 * sentences, the first screen's headlines, client stack lines, groups of hosts, capture counters, table cells.
 * Sentences are built from numbers, our own names and (certificates) CNs; each format escapes them whole. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "report_internal.h"
#include "tlsaudit/names.h"
#include "tlsaudit/num.h"
#include "tlsaudit/output.h"
#include "tlsaudit/stack.h"

/* ---- capture counters ---- */

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
	if (strcmp(c->status, "complete") != 0 && strcmp(c->status, "running") != 0)
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

void rep_each_loss(const struct rep_capture *c, void (*fn)(void *ctx, const struct rep_counter *k, uint64_t v),
		   void *ctx)
{
	for (size_t i = 0; i < rep_n_counters; i++) {
		uint64_t v = rep_counter_value(c, &rep_counters[i]);
		if (v && !counter_is_info(rep_counters[i].name))
			fn(ctx, &rep_counters[i], v);
	}
}

size_t rep_sensors(const struct rep_data *d, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_captures && n < max; i++) {
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(out[k], d->captures[i].sensor) == 0;
		if (!seen)
			out[n++] = d->captures[i].sensor;
	}
	return n;
}

/* ---- values ---- */

const char *const rep_vcol_names[REP_V_COUNT] = {
	[REP_V_NONE] = "none",	   [REP_V_SSL2] = "SSL 2.0",  [REP_V_SSL3] = "SSL 3.0",	 [REP_V_TLS10] = "TLS 1.0",
	[REP_V_TLS11] = "TLS 1.1", [REP_V_TLS12] = "TLS 1.2", [REP_V_TLS13] = "TLS 1.3", [REP_V_OTHER] = "other",
};

const char *const rep_vcol_color[REP_V_COUNT] = {
	[REP_V_NONE] = "#9e9e9e",  [REP_V_SSL2] = "#4a0000",  [REP_V_SSL3] = "#7f0000",	 [REP_V_TLS10] = "#d32f2f",
	[REP_V_TLS11] = "#f57c00", [REP_V_TLS12] = "#388e3c", [REP_V_TLS13] = "#1976d2", [REP_V_OTHER] = "#7b1fa2",
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

void rep_date(int64_t s, char buf[static 64])
{
	out_rfc3339_s(s, buf);
	char *t = strchr(buf, 'T');
	if (t)
		*t = '\0';
}

void rep_duration(int64_t ns, char buf[static 32])
{
	int64_t s = ns / 1000000000;
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, 32, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, 32, "%" PRId64 "h %" PRId64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, 32, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, 32, "%" PRId64 "s", s);
}

void rep_peer_text(const struct rep_peer *p, char buf[static 64])
{
	bool v6 = strchr(p->ip, ':') != NULL;
	if (!p->port)
		snprintf(buf, 64, "%s", p->ip);
	else
		snprintf(buf, 64, v6 ? "[%s]:%u" : "%s:%u", p->ip, (unsigned)p->port);
}

void rep_net_text(const struct rep_net *n, char buf[static 64])
{
	char a[48] = "?";
	inet_ntop(n->family == 6 ? AF_INET6 : AF_INET, n->addr, a, sizeof(a));
	if (n->prefix == (n->family == 6 ? 128 : 32))
		snprintf(buf, 64, "%s", a);
	else
		snprintf(buf, 64, "%s/%u", a, (unsigned)n->prefix);
}

static void cat(char *buf, size_t len, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void cat(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	if (*off >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (w > 0)
		*off = ta_min_u64(*off + (size_t)w, len);
}

void rep_window_text(const struct rep_data *d, char *buf, size_t len)
{
	char t[64];
	size_t off = 0;
	buf[0] = '\0';
	if (d->q.has_since) {
		rep_ts_human(d->q.since_ns, t);
		cat(buf, len, &off, "since %s", t);
	}
	if (d->q.has_until) {
		rep_ts_human(d->q.until_ns, t);
		cat(buf, len, &off, "%suntil %s", off ? ", " : "", t);
	}
	if (!d->q.has_since && !d->q.has_until)
		cat(buf, len, &off, "all times");
	for (size_t i = 0; i < d->q.n_nets; i++) {
		char n[64];
		rep_net_text(&d->q.nets[i], n);
		cat(buf, len, &off, "%s%s", i ? " " : ", host ", n);
	}
	if (d->q.role)
		cat(buf, len, &off, ", role %s", d->q.role == REP_ROLE_CLIENT ? "client" : "server");
	for (size_t i = 0; i < d->q.n_sensors; i++)
		cat(buf, len, &off, "%s%s", i ? " " : ", sensor ", d->q.sensors[i]);
}

/* ---- reasons in words ---- */

const unsigned rep_reason_order[REP_R_COUNT] = {
	REP_R_MAX_OLD_FAILED,	 REP_R_MAX_OLD,	       REP_R_NEG_OLD,	    REP_R_PROBE_OLD, REP_R_OFFERS_OLD,
	REP_R_CERT_EXPIRED,	 REP_R_CERT_EXPIRING,  REP_R_CERT_WEAK_KEY, REP_R_CERT_SHA1, REP_R_CERT_SELF_SIGNED,
	REP_R_CIPHER_NEGOTIATED, REP_R_CIPHER_OFFERED, REP_R_NDPI_RISK,
};

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* "TLS 1.0 x3, TLS 1.1 x1" for the columns below min_level with a count */
static void versions_below(const uint64_t v[REP_V_COUNT], uint16_t min_level, char *buf, size_t len)
{
	static const uint16_t ranks[REP_V_COUNT] = {0, 0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0xffff};
	size_t off = 0, n = 0;
	buf[0] = '\0';
	for (int c = REP_V_SSL2; c < REP_V_OTHER; c++)
		n += ranks[c] < min_level && v[c];
	for (int c = REP_V_SSL2; c < REP_V_OTHER; c++)
		if (ranks[c] < min_level && v[c]) {
			if (n == 1)
				cat(buf, len, &off, "%s", rep_vcol_names[c]);
			else
				cat(buf, len, &off, "%s%s x%" PRIu64, off ? ", " : "", rep_vcol_names[c], v[c]);
		}
}

/* a certificate's CN for a sentence: at most 64 bytes, up to a NUL */
static void cn_text(const char *s, size_t n, char out[72])
{
	size_t k = strnlen(s, n);
	if (k > 64)
		snprintf(out, 72, "%.64s...", s);
	else if (k)
		snprintf(out, 72, "%.*s", (int)k, s);
	else
		snprintf(out, 72, "(no CN)");
}

/* The first certificate of h that shows the reason, and how many do. */
static const struct rep_cert *cert_with(const struct rep_data *d, const struct rep_host *h, unsigned reason,
					size_t *ret_n)
{
	const struct rep_cert *first = NULL;
	size_t n = 0;
	for (size_t i = 0; i < h->n_certs; i++) {
		const struct rep_cert *c = &h->certs[i];
		bool yes = reason == REP_R_CERT_EXPIRED	      ? c->expired_at_use > 0
			   : reason == REP_R_CERT_EXPIRING    ? rep_cert_expiring(c, &d->policy)
			   : reason == REP_R_CERT_SELF_SIGNED ? c->self_signed
			   : reason == REP_R_CERT_WEAK_KEY    ? rep_cert_weak_key(c, &d->policy)
							      : rep_cert_sha1(c);
		if (yes) {
			n++;
			if (!first)
				first = c;
		}
	}
	*ret_n = n;
	return first;
}

void rep_weak_list(const struct rep_span *w, uint32_t mask, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int k = 0; k < REP_WEAK_COUNT; k++)
		if ((mask >> k & 1) && w[k].n)
			cat(buf, len, &off, "%s%s x%" PRIu64, off ? ", " : "", report_weak_name((enum rep_weak)k),
			    w[k].n);
}

static void top_failure(const struct rep_host *h, char out[48])
{
	out[0] = '\0';
	for (size_t i = 0; i < h->n_reasons; i++)
		if (h->reasons[i].class_ == OUTCLASS_FAILED) {
			snprintf(out, 48, "%s", h->reasons[i].name);
			return;
		}
}

void rep_reason_text(const struct rep_data *d, const struct rep_host *h, unsigned reason, char *buf, size_t len)
{
	char a[32], t1[64], t2[64], v[160], cn[72], fail[48];
	uint16_t min = d->policy.min_level;
	size_t off = 0, n = 0;
	const struct rep_cert *c;
	rep_version(min, a);
	switch (reason) {
	case REP_R_MAX_OLD_FAILED:
		versions_below(h->failed_by_offered, min, v, sizeof(v));
		top_failure(h, fail);
		cat(buf, len, &off, "%" PRIu64 " handshake%s whose ClientHello offered at most %s failed",
		    h->old_offered_failed, plural(h->old_offered_failed), v);
		if (fail[0])
			cat(buf, len, &off, " (most often: %s)", fail);
		cat(buf, len, &off, "; the policy asks for %s or newer", a);
		break;
	case REP_R_MAX_OLD: {
		uint64_t rest[REP_V_COUNT];
		for (int k = 0; k < REP_V_COUNT; k++)
			rest[k] = h->offered_by_version[k] - h->failed_by_offered[k];
		versions_below(rest, min, v, sizeof(v));
		uint64_t total = h->old_offered - h->old_offered_failed, unk = h->old_offered_unknown;
		cat(buf, len, &off,
		    "%" PRIu64 " ClientHello%s offered at most %s (policy: %s or newer): %" PRIu64 " established",
		    total, plural(total), v, a, total - unk);
		if (unk)
			cat(buf, len, &off,
			    ", %" PRIu64 " with unknown outcome (the capture ended or lost the bytes that"
			    " decide)",
			    unk);
		break;
	}
	case REP_R_NEG_OLD:
		versions_below(h->by_version, min, v, sizeof(v));
		cat(buf, len, &off, "%" PRIu64 " connection%s negotiated %s (policy: %s or newer)", h->old_negotiated,
		    plural(h->old_negotiated), v, a);
		break;
	case REP_R_OFFERS_OLD:
		cat(buf, len, &off,
		    "%" PRIu64
		    " ClientHello%s still list%s a version below %s in supported_versions: it is used against"
		    " a server that offers nothing newer",
		    h->offers_old, plural(h->offers_old), h->offers_old == 1 ? "s" : "", a);
		break;
	case REP_R_CERT_EXPIRED:
		c = cert_with(d, h, reason, &n);
		if (!c)
			break;
		cn_text(c->subject, c->subject_len, cn);
		rep_date(c->not_after, t1);
		rep_ts_human(c->seen.last_ns, t2);
		cat(buf, len, &off,
		    "certificate CN %s expired on %s and was still sent in %" PRIu64 " connection%s (last %s)", cn, t1,
		    c->expired_at_use, plural(c->expired_at_use), t2);
		break;
	case REP_R_CERT_EXPIRING:
		c = cert_with(d, h, reason, &n);
		if (!c)
			break;
		cn_text(c->subject, c->subject_len, cn);
		rep_date(c->not_after, t1);
		rep_ts_human(c->seen.last_ns, t2);
		cat(buf, len, &off, "certificate CN %s expires on %s, within %" PRIu32 " days of its last use (%s)", cn,
		    t1, d->policy.expiring_days, t2);
		break;
	case REP_R_CERT_SELF_SIGNED:
		c = cert_with(d, h, reason, &n);
		if (!c)
			break;
		cn_text(c->subject, c->subject_len, cn);
		cat(buf, len, &off, "certificate CN %s is self-signed (%" PRIu64 " connection%s)", cn, c->seen.n,
		    plural(c->seen.n));
		break;
	case REP_R_CERT_WEAK_KEY:
		c = cert_with(d, h, reason, &n);
		if (!c)
			break;
		cn_text(c->subject, c->subject_len, cn);
		cat(buf, len, &off, "certificate CN %s has a %" PRIu32 "-bit RSA key (policy: at least %" PRIu32 ")",
		    cn, c->key_bits, d->policy.rsa_min_bits);
		break;
	case REP_R_CERT_SHA1:
		c = cert_with(d, h, reason, &n);
		if (!c)
			break;
		cn_text(c->subject, c->subject_len, cn);
		cat(buf, len, &off, "certificate CN %s is signed with %s", cn, c->sig_alg);
		break;
	case REP_R_CIPHER_NEGOTIATED:
	case REP_R_CIPHER_OFFERED: {
		const struct rep_span *w = reason == REP_R_CIPHER_NEGOTIATED ? h->weak_negotiated : h->weak_offered;
		int64_t first = 0, last = 0;
		for (int k = 0; k < REP_WEAK_COUNT; k++)
			if ((d->policy.weak_kinds >> k & 1) && w[k].n) {
				if (!first || w[k].first_ns < first)
					first = w[k].first_ns;
				if (w[k].last_ns > last)
					last = w[k].last_ns;
			}
		rep_weak_list(w, d->policy.weak_kinds, v, sizeof(v));
		rep_ts_human(first, t1);
		rep_ts_human(last, t2);
		cat(buf, len, &off, "%s weak cipher suites: %s (%s to %s)",
		    reason == REP_R_CIPHER_NEGOTIATED ? "negotiated" : "ClientHellos offer", v, t1, t2);
		break;
	}
	case REP_R_PROBE_OLD:
		rep_probe_reason_text(d, h, buf, len);
		off = strlen(buf);
		break;
	case REP_R_NDPI_RISK:
		cat(buf, len, &off, "nDPI flagged: ");
		for (size_t i = 0, k = 0; i < h->n_risks; i++) {
			if (d->policy.ndpi_ignore >> h->risks[i].bit & 1)
				continue;
			const char *name = names_bit(NAMES_RISK, h->risks[i].bit);
			char b[16];
			if (!name) {
				snprintf(b, sizeof(b), "risk %u", (unsigned)h->risks[i].bit);
				name = b;
			}
			cat(buf, len, &off, "%s%s x%" PRIu64, k++ ? ", " : "", name, h->risks[i].seen.n);
		}
		break;
	}
	if (n > 1)
		cat(buf, len, &off, "; and %zu more certificate%s", n - 1, plural(n - 1));
	if (!off)
		snprintf(buf, len, "?");
}

/* ---- client stacks ---- */

void rep_stack_label(const struct rep_stack *s, char *buf, size_t len)
{
	const char *label = report_family_label(s->family);
	if (s->windows[0])
		snprintf(buf, len, "%s (%s family%s)", label, s->windows, s->match == 2 ? ", close match" : "");
	else if (s->name[0]) {
		/* a table entry's name lists the clients it stands for; the first one or two say enough */
		char name[sizeof(s->name)];
		snprintf(name, sizeof(name), "%s", s->name);
		char *cut = strstr(name, ", ");
		if (cut && strlen(name) > 40) {
			char *second = strstr(cut + 2, ", ");
			if (second && second - name <= 48)
				cut = second;
			snprintf(cut, sizeof(name) - (size_t)(cut - name), ", ...");
		}
		snprintf(buf, len, "%s (%s%s)", label, name, s->match == 2 ? "; close match" : "");
	} else
		snprintf(buf, len, "%s (JA4 %s)", label, s->ja4[0] ? s->ja4 : "-");
}

void rep_stack_facts(const struct rep_stack *s, char *buf, size_t len)
{
	char a[32], b[32];
	size_t off = 0;
	if (s->min_offered == s->max_offered)
		cat(buf, len, &off, "offers at most %s", rep_version(s->max_offered, a));
	else
		cat(buf, len, &off, "offers at most %s to %s (by connection)", rep_version(s->min_offered, a),
		    rep_version(s->max_offered, b));
	cat(buf, len, &off, "; %" PRIu64 " connection%s", s->connections, plural(s->connections));
	const char *sep = ": ";
	if (s->established) {
		cat(buf, len, &off, "%s%" PRIu64 " established", sep, s->established);
		sep = ", ";
	}
	if (s->failed) {
		cat(buf, len, &off, "%s%" PRIu64 " failed", sep, s->failed);
		sep = ", ";
	}
	if (s->unknown)
		cat(buf, len, &off, "%s%" PRIu64 " unknown", sep, s->unknown);
}

void rep_stack_windows_facts(const struct rep_stack *s, char *buf, size_t len)
{
	buf[0] = '\0';
	const struct stack_windows *w = s->windows[0] ? stack_windows_info(s->windows) : NULL;
	if (w)
		snprintf(buf, len, "%s: SChannel clients offer %s by default. %s", w->windows, w->client_default,
			 w->remedy);
}

/* ---- the first screen ---- */

/* the posture reasons the first screen speaks of, and whose hosts they count */
static const struct {
	unsigned reason;
	int role; /* 0 client, 1 server, -1 both */
} posture_lines[] = {
	{REP_R_CERT_EXPIRED, 1},     {REP_R_CERT_EXPIRING, 1},	   {REP_R_CERT_WEAK_KEY, 1},  {REP_R_CERT_SHA1, 1},
	{REP_R_CERT_SELF_SIGNED, 1}, {REP_R_CIPHER_NEGOTIATED, 1}, {REP_R_CIPHER_OFFERED, 0}, {REP_R_NDPI_RISK, -1},
};

static void posture_text(unsigned r, size_t n, const struct rep_policy *p, const char *kinds, char *buf, size_t len)
{
	bool one = n == 1;
	switch (r) {
	case REP_R_CERT_EXPIRED:
		snprintf(buf, len, "%zu server%s sent %s", n, one ? "" : "s",
			 one ? "an expired certificate" : "expired certificates");
		break;
	case REP_R_CERT_EXPIRING:
		snprintf(buf, len, "%zu server%s certificate%s expire%s within %" PRIu32 " days", n, one ? "'s" : "s'",
			 one ? "" : "s", one ? "s" : "", p->expiring_days);
		break;
	case REP_R_CERT_WEAK_KEY:
		snprintf(buf, len, "%zu server%s certificate%s %s RSA key%s under %" PRIu32 " bits", n,
			 one ? "'s" : "s'", one ? "" : "s", one ? "has an" : "have", one ? "" : "s", p->rsa_min_bits);
		break;
	case REP_R_CERT_SHA1:
		snprintf(buf, len, "%zu server%s certificate%s signed with SHA-1 or MD5", n, one ? "'s" : "s'",
			 one ? " is" : "s are");
		break;
	case REP_R_CERT_SELF_SIGNED:
		snprintf(buf, len, "%zu server%s self-signed certificate%s", n, one ? " uses a" : "s use",
			 one ? "" : "s");
		break;
	case REP_R_CIPHER_NEGOTIATED:
		snprintf(buf, len, "%zu server%s negotiated weak cipher suites (%s)", n, one ? "" : "s", kinds);
		break;
	case REP_R_CIPHER_OFFERED:
		snprintf(buf, len, "%zu client%s weak cipher suites (%s)", n, one ? " offers" : "s offer", kinds);
		break;
	case REP_R_NDPI_RISK: snprintf(buf, len, "nDPI flagged risks on %zu host role%s", n, one ? "" : "s"); break;
	}
}

static bool role_is(const struct rep_host *h, int role)
{
	return role < 0 || (strcmp(h->role, "client") == 0) == (role == 0);
}

bool rep_headline_has(const struct rep_headline *hl, const struct rep_host *h)
{
	if (!hl->reason || !(h->reasons_mask & hl->reason) || !role_is(h, hl->role))
		return false;
	if (hl->reason == REP_R_PROBE_OLD) /* the servers no client used an old version with (those have their own) */
		return !(h->reasons_mask & REP_R_NEG_OLD) &&
		       (!hl->version || rep_probe_lowest(h->probe_accepted) == hl->version);
	if (!hl->version)
		return true;
	return hl->role == 0 ? h->min_offered == hl->version : h->min_negotiated == hl->version;
}

static enum rep_verdict level_verdict(enum rep_level l)
{
	return l == REP_LEVEL_VIOLATION ? REP_VIOLATION : l == REP_LEVEL_AT_RISK ? REP_AT_RISK : REP_OK;
}

size_t rep_headlines(const struct rep_data *d, struct rep_headline *out, size_t max)
{
	static const uint16_t old[] = {0x0002, 0x0300, 0x0301, 0x0302};
	const struct rep_policy *p = &d->policy;
	size_t n = 0;
	char a[32], b[32];

	/* clients that offer only old versions, by their lowest maximum */
	for (size_t k = 0; k < sizeof(old) / sizeof(old[0]) && n < max; k++) {
		if (old[k] >= p->min_level)
			continue;
		size_t hosts = 0, refused = 0;
		for (size_t i = 0; i < d->n_hosts; i++) {
			const struct rep_host *h = &d->hosts[i];
			if (strcmp(h->role, "client") || h->min_offered != old[k] ||
			    !(h->reasons_mask & (REP_R_MAX_OLD | REP_R_MAX_OLD_FAILED)))
				continue;
			hosts++;
			refused += (h->reasons_mask & REP_R_MAX_OLD_FAILED) != 0;
		}
		if (!hosts)
			continue;
		struct rep_headline *hl = &out[n++];
		hl->reason = REP_R_MAX_OLD | REP_R_MAX_OLD_FAILED;
		hl->role = 0;
		hl->version = old[k];
		hl->level = level_verdict(rep_level_of(p, refused ? REP_R_MAX_OLD_FAILED : REP_R_MAX_OLD));
		rep_version(old[k], a);
		if (refused == hosts)
			snprintf(hl->text, sizeof(hl->text),
				 "%zu client%s offer%s at most %s and %s refused by %s server%s", hosts, plural(hosts),
				 hosts == 1 ? "s" : "", a, hosts == 1 ? "is" : "are", hosts == 1 ? "its" : "their",
				 hosts == 1 ? "" : "s");
		else if (refused)
			snprintf(hl->text, sizeof(hl->text),
				 "%zu client%s offer%s at most %s (%zu of them refused by the"
				 " server)",
				 hosts, plural(hosts), hosts == 1 ? "s" : "", a, refused);
		else
			snprintf(hl->text, sizeof(hl->text), "%zu client%s still connect%s with at most %s", hosts,
				 plural(hosts), hosts == 1 ? "s" : "", a);
	}
	/* servers that negotiated old versions, by their lowest */
	bool servers = false;
	for (size_t k = 0; k < sizeof(old) / sizeof(old[0]) && n < max; k++) {
		if (old[k] >= p->min_level)
			continue;
		size_t hosts = 0;
		for (size_t i = 0; i < d->n_hosts; i++) {
			const struct rep_host *h = &d->hosts[i];
			hosts += strcmp(h->role, "server") == 0 && h->min_negotiated == old[k] &&
				 (h->reasons_mask & REP_R_NEG_OLD);
		}
		if (!hosts)
			continue;
		servers = true;
		struct rep_headline *hl = &out[n++];
		hl->reason = REP_R_NEG_OLD;
		hl->role = 1;
		hl->version = old[k];
		hl->level = level_verdict(rep_level_of(p, REP_R_NEG_OLD));
		snprintf(hl->text, sizeof(hl->text), "%zu server%s still accept%s %s", hosts, plural(hosts),
			 hosts == 1 ? "s" : "", rep_version(old[k], a));
	}
	/* servers a probe found accepting old versions that no client was seen using, by the lowest accepted */
	for (size_t k = 0; k < sizeof(old) / sizeof(old[0]) && n < max; k++) {
		if (old[k] >= p->min_level)
			continue;
		struct rep_headline probe = {.reason = REP_R_PROBE_OLD, .role = 1, .version = old[k]};
		size_t hosts = 0;
		for (size_t i = 0; i < d->n_hosts; i++)
			hosts += rep_headline_has(&probe, &d->hosts[i]);
		if (!hosts)
			continue;
		struct rep_headline *hl = &out[n++];
		*hl = probe;
		hl->level = level_verdict(rep_level_of(p, REP_R_PROBE_OLD));
		snprintf(hl->text, sizeof(hl->text),
			 "%zu server%s accept%s %s when probed; no captured client used an old version with %s", hosts,
			 plural(hosts), hosts == 1 ? "s" : "", rep_version(old[k], a), hosts == 1 ? "it" : "them");
	}
	/* clients given an old version by a server (when no server row says so: --role client) */
	if (!servers && n < max) {
		size_t hosts = 0;
		for (size_t i = 0; i < d->n_hosts; i++) {
			const struct rep_host *h = &d->hosts[i];
			hosts += strcmp(h->role, "client") == 0 && (h->reasons_mask & REP_R_NEG_OLD) &&
				 !(h->reasons_mask & (REP_R_MAX_OLD | REP_R_MAX_OLD_FAILED));
		}
		if (hosts) {
			struct rep_headline *hl = &out[n++];
			hl->reason = REP_R_NEG_OLD;
			hl->role = 0;
			hl->version = 0;
			hl->level = level_verdict(rep_level_of(p, REP_R_NEG_OLD));
			snprintf(hl->text, sizeof(hl->text),
				 "%zu client%s negotiated a version below %s with old servers", hosts, plural(hosts),
				 rep_version(p->min_level, a));
		}
	}
	/* fallback offers */
	if (n < max) {
		size_t hosts = 0;
		for (size_t i = 0; i < d->n_hosts; i++)
			hosts += (d->hosts[i].reasons_mask & REP_R_OFFERS_OLD) &&
				 !(d->hosts[i].reasons_mask & (REP_R_MAX_OLD | REP_R_MAX_OLD_FAILED));
		if (hosts && rep_level_of(p, REP_R_OFFERS_OLD) >= REP_LEVEL_AT_RISK) {
			struct rep_headline *hl = &out[n++];
			hl->reason = REP_R_OFFERS_OLD;
			hl->role = 0;
			hl->version = 0;
			hl->level = level_verdict(rep_level_of(p, REP_R_OFFERS_OLD));
			snprintf(hl->text, sizeof(hl->text),
				 "%zu client%s still list%s versions below %s as a fallback", hosts, plural(hosts),
				 hosts == 1 ? "s" : "", rep_version(p->min_level, b));
		}
	}
	/* posture the policy counts */
	for (size_t k = 0; k < sizeof(posture_lines) / sizeof(posture_lines[0]) && n < max; k++) {
		unsigned r = posture_lines[k].reason;
		if (rep_level_of(p, r) < REP_LEVEL_AT_RISK)
			continue;
		size_t hosts = 0;
		struct rep_span w[REP_WEAK_COUNT];
		memset(w, 0, sizeof(w));
		for (size_t i = 0; i < d->n_hosts; i++) {
			const struct rep_host *h = &d->hosts[i];
			if (!(h->reasons_mask & r) || !role_is(h, posture_lines[k].role))
				continue;
			hosts++;
			const struct rep_span *hw = r == REP_R_CIPHER_OFFERED ? h->weak_offered : h->weak_negotiated;
			for (int x = 0; x < REP_WEAK_COUNT; x++)
				w[x].n += hw[x].n;
		}
		if (!hosts)
			continue;
		char kinds[96] = "";
		size_t off = 0;
		for (int x = 0; x < REP_WEAK_COUNT; x++)
			if ((p->weak_kinds >> x & 1) && w[x].n)
				cat(kinds, sizeof(kinds), &off, "%s%s", off ? ", " : "",
				    report_weak_name((enum rep_weak)x));
		struct rep_headline *hl = &out[n++];
		hl->reason = r;
		hl->role = posture_lines[k].role;
		hl->version = 0;
		hl->level = level_verdict(rep_level_of(p, r));
		posture_text(r, hosts, p, kinds, hl->text, sizeof(hl->text));
	}
	/* context: outcomes the capture could not decide, captures that lost packets */
	size_t lossy = rep_lossy_captures(d);
	if (lossy && n < max) {
		struct rep_headline *hl = &out[n++];
		memset(hl, 0, sizeof(*hl));
		hl->level = REP_AT_RISK;
		snprintf(hl->text, sizeof(hl->text),
			 "%zu of %zu capture%s lost or skipped packets: this report may miss connections", lossy,
			 d->n_captures, plural(d->n_captures));
	}
	if (d->unknown && n < max) {
		struct rep_headline *hl = &out[n++];
		memset(hl, 0, sizeof(*hl));
		hl->level = REP_OK;
		snprintf(hl->text, sizeof(hl->text),
			 "%" PRIu64 " connection%s ended before the outcome was visible (the capture ended or lost the"
			 " bytes that decide): counted as unknown, not as failed",
			 d->unknown, plural(d->unknown));
	}
	return n;
}

/* ---- groups ---- */

struct gitem {
	char key[TA_MAX_SNI + 1];
	uint16_t key_len;
	uint8_t family, addr[16];
	size_t host;
};

static int gitem_cmp(const void *a, const void *b)
{
	const struct gitem *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int c0 = memcmp(x->addr, y->addr, 16);
	if (c0)
		return c0;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	return (x->host > y->host) - (x->host < y->host);
}

static int group_cmp(const void *a, const void *b)
{
	const struct rep_group *x = a, *y = b;
	if (x->violation != y->violation)
		return x->violation > y->violation ? -1 : 1;
	if (x->hosts != y->hosts)
		return x->hosts > y->hosts ? -1 : 1;
	if (x->family != y->family) /* networks in numeric order; domains have family 0 */
		return x->family < y->family ? -1 : 1;
	int c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	c = memcmp(x->key, y->key, n);
	return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* the last two labels of a name, lower-cased (ASCII); the whole name if it has fewer */
static uint16_t domain_of(const char *s, size_t n, char out[TA_MAX_SNI + 1])
{
	while (n && s[n - 1] == '.')
		n--;
	size_t start = 0, dots = 0;
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '.' && ++dots == 2) {
			start = i;
			break;
		}
	size_t k = n - start;
	for (size_t i = 0; i < k; i++) {
		char c = s[start + i];
		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[k] = '\0';
	return (uint16_t)k;
}

int rep_groups(const struct rep_data *d, enum rep_group_kind kind, struct rep_group **ret, size_t *ret_n)
{
	size_t cap = 0, n = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		if (d->hosts[i].verdict != REP_OK)
			cap += kind == REP_GROUP_NET ? 1 : d->hosts[i].n_snis;
	struct gitem *it = cap ? calloc(cap, sizeof(*it)) : NULL;
	if (cap && !it)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_hosts; i++) {
		const struct rep_host *h = &d->hosts[i];
		if (h->verdict == REP_OK)
			continue;
		if (kind == REP_GROUP_NET) {
			struct rep_net net = {.family = h->family, .prefix = h->family == 6 ? 64 : 24};
			memcpy(net.addr, h->addr, 16);
			for (unsigned bit = net.prefix; bit < 128; bit++)
				net.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
			char t[64];
			rep_net_text(&net, t);
			snprintf(it[n].key, sizeof(it[n].key), "%s", t);
			it[n].key_len = (uint16_t)strlen(it[n].key);
			it[n].family = net.family;
			memcpy(it[n].addr, net.addr, 16);
			it[n++].host = i;
		} else {
			for (size_t k = 0; k < h->n_snis; k++) {
				it[n].key_len = domain_of(h->snis[k].bytes, h->snis[k].len, it[n].key);
				it[n++].host = i;
			}
		}
	}
	qsort(it, n, sizeof(*it), gitem_cmp);
	struct rep_group *g = n ? calloc(n, sizeof(*g)) : NULL;
	if (n && !g) {
		free(it);
		return -ENOMEM;
	}
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		bool same_key = ng && g[ng - 1].key_len == it[i].key_len &&
				memcmp(g[ng - 1].key, it[i].key, it[i].key_len) == 0;
		if (same_key && i && it[i - 1].host == it[i].host)
			continue; /* one host counts once per domain */
		if (!same_key) {
			memcpy(g[ng].key, it[i].key, sizeof(g[ng].key));
			g[ng].key_len = it[i].key_len;
			g[ng].family = it[i].family;
			memcpy(g[ng].addr, it[i].addr, 16);
			ng++;
		}
		const struct rep_host *h = &d->hosts[it[i].host];
		struct rep_group *x = &g[ng - 1];
		x->hosts++;
		x->violation += h->verdict == REP_VIOLATION;
		x->at_risk += h->verdict == REP_AT_RISK;
		x->connections += h->connections;
	}
	free(it);
	qsort(g, ng, sizeof(*g), group_cmp);
	*ret = g;
	*ret_n = ng;
	return 0;
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
		if (h->reasons[k].class_ == OUTCLASS_UNKNOWN)
			st->esc(fp, " (unknown)", 10);
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
	if (h->other_peer_connections)
		fprintf(fp, "%sothers%s%" PRIu64, h->n_peers ? st->sep : "", st->times, h->other_peer_connections);
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
	if (h->other_sni_connections)
		fprintf(fp, "%sothers%s%" PRIu64, h->n_snis ? st->sep : "", st->times, h->other_sni_connections);
}

void rep_cell_stacks(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st)
{
	for (size_t k = 0; k < h->n_stacks; k++) {
		char b[200];
		rep_stack_label(&h->stacks[k], b, sizeof(b));
		fputs(k ? st->sep : "", fp);
		st->esc(fp, b, strlen(b));
		fprintf(fp, "%s%" PRIu64, st->times, h->stacks[k].connections);
	}
}

size_t rep_hint_users(const struct rep_data *d, const struct rep_hint *hint, size_t top,
		      void (*each)(void *ctx, const struct rep_host *h, size_t nth), void *ctx,
		      struct rep_hint_users *u)
{
	size_t shown = 0;
	u->n_families = 0;
	u->windows[0] = '\0';
	for (size_t i = 0; i < d->n_hosts; i++) {
		const struct rep_host *h = rep_ranked(d, i);
		size_t s;
		if (!rep_host_uses_hint(h, hint, &s))
			continue;
		if (s != SIZE_MAX) {
			const struct rep_stack *st = &h->stacks[s];
			bool seen = false;
			for (size_t f = 0; f < u->n_families && !seen; f++)
				seen = strcmp(u->families[f], st->family) == 0;
			if (!seen && u->n_families < REP_HINT_FAMILIES)
				u->families[u->n_families++] = st->family;
			if (!u->windows[0])
				rep_stack_windows_facts(st, u->windows, sizeof(u->windows));
		}
		if (shown < top)
			each(ctx, h, shown++);
	}
	return shown;
}

size_t rep_hint_stacks(const struct rep_data *d, const struct rep_hint *hint, char (*labels)[REP_LABEL_LEN],
		       size_t *counts, size_t max)
{
	size_t n = 0;
	char b[REP_LABEL_LEN];
	for (size_t i = 0; i < d->n_hosts; i++) {
		size_t s;
		if (!rep_host_uses_hint(&d->hosts[i], hint, &s) || s == SIZE_MAX)
			continue;
		rep_stack_label(&d->hosts[i].stacks[s], b, sizeof(b));
		size_t k = 0;
		while (k < n && strcmp(labels[k], b) != 0)
			k++;
		if (k == n) {
			if (n == max)
				continue;
			snprintf(labels[n], REP_LABEL_LEN, "%s", b);
			counts[n++] = 0;
		}
		counts[k]++;
	}
	return n;
}
