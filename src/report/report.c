/* report.c - policy, verdict rules, ranking, the before/after pairing, format dispatch and shared value
 * formatting of the report library (include/tlsaudit/report.h). What every format says in words (verdict
 * reasons, the first screen's sentences, a client stack's line, groups) is made here once. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report_internal.h"
#include "tlsaudit/names.h"
#include "tlsaudit/num.h"
#include "tlsaudit/output.h"
#include "tlsaudit/stack.h"
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
	case REP_NO_TLS: return "no TLS seen";
	case REP_AT_RISK: return "at risk";
	case REP_VIOLATION: return "violation";
	case REP_STALE: return "stale";
	case REP_NO_DATA: return "no data";
	}
	return "?";
}

const char *rep_verdict_class(enum rep_verdict v)
{
	switch (v) {
	case REP_OK: return "ok";
	case REP_NO_TLS: return "no-tls";
	case REP_AT_RISK: return "at-risk";
	case REP_VIOLATION: return "violation";
	case REP_STALE: return "stale";
	case REP_NO_DATA: return "no-data";
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

/* ---- policy ----------------------------------------------------------------------------------------------- */

static const char *const reason_keys[REP_R_COUNT] = {
	"offered_only_old",    "old_hello_failed", "negotiated_old",	"still_offers_old", "cert_expired",
	"cert_expiring",       "cert_self_signed", "cert_weak_key",	"cert_sha1",	    "weak_cipher_negotiated",
	"weak_cipher_offered", "ndpi_risk",	   "probe_accepts_old",
};

static unsigned bit_index(unsigned reason)
{
	unsigned i = 0;
	while (i < REP_R_COUNT && !(reason >> i & 1))
		i++;
	return i;
}

const char *report_reason_key(unsigned reason)
{
	unsigned i = bit_index(reason);
	return i < REP_R_COUNT ? reason_keys[i] : "?";
}

const char *report_level_name(enum rep_level l)
{
	switch (l) {
	case REP_LEVEL_IGNORE: return "ignore";
	case REP_LEVEL_INFO: return "info";
	case REP_LEVEL_AT_RISK: return "at-risk";
	case REP_LEVEL_VIOLATION: return "violation";
	}
	return "?";
}

static const char *const weak_names[REP_WEAK_COUNT] = {
	[REP_WEAK_RC4] = "RC4",		  [REP_WEAK_3DES] = "3DES", [REP_WEAK_EXPORT] = "export",
	[REP_WEAK_NULL] = "NULL/anon",	  [REP_WEAK_DES] = "DES",   [REP_WEAK_MD5] = "MD5",
	[REP_WEAK_CBC_SHA1] = "CBC-SHA1",
};
static const char *const weak_keys[REP_WEAK_COUNT] = {"rc4", "3des", "export", "null", "des", "md5", "cbc-sha1"};

const char *report_weak_name(enum rep_weak w)
{
	return (unsigned)w < REP_WEAK_COUNT ? weak_names[w] : "?";
}

static bool parse_uint(const char *s, uint32_t max, uint32_t *ret)
{
	char *e = NULL;
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
		return false;
	unsigned long v = strtoul(s, &e, 10);
	if (v > max)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* Each item of a comma-separated list, spaces around it trimmed, passed to fn; false stops. */
static bool each_item(const char *s, bool (*fn)(void *ctx, const char *item, size_t n), void *ctx)
{
	while (*s) {
		const char *comma = strchr(s, ',');
		const char *end = comma ? comma : s + strlen(s);
		const char *a = s, *b = end;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		if (b > a && !fn(ctx, a, (size_t)(b - a)))
			return false;
		s = comma ? comma + 1 : end;
	}
	return true;
}

static bool weak_item(void *ctx, const char *item, size_t n)
{
	uint32_t *mask = ctx;
	for (int w = 0; w < REP_WEAK_COUNT; w++)
		if (strlen(weak_keys[w]) == n && strncasecmp(item, weak_keys[w], n) == 0) {
			*mask |= 1u << w;
			return true;
		}
	return false;
}

static bool risk_item(void *ctx, const char *item, size_t n)
{
	uint64_t *mask = ctx;
	char buf[64];
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, item, n);
	buf[n] = '\0';
	uint32_t bit;
	if (parse_uint(buf, 63, &bit)) {
		*mask |= 1ull << bit;
		return true;
	}
	for (unsigned b = 1; b < 64; b++) {
		const char *name = names_bit(NAMES_RISK, b);
		if (name && strcasecmp(name, buf) == 0) {
			*mask |= 1ull << b;
			return true;
		}
	}
	return false;
}

void report_policy_default(struct rep_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->min_level = 0x0303;
	p->level[bit_index(REP_R_MAX_OLD)] = REP_LEVEL_VIOLATION;
	p->level[bit_index(REP_R_MAX_OLD_FAILED)] = REP_LEVEL_VIOLATION;
	p->level[bit_index(REP_R_NEG_OLD)] = REP_LEVEL_VIOLATION;
	p->level[bit_index(REP_R_OFFERS_OLD)] = REP_LEVEL_AT_RISK;
	p->level[bit_index(REP_R_CERT_EXPIRED)] = REP_LEVEL_AT_RISK;
	p->level[bit_index(REP_R_CERT_EXPIRING)] = REP_LEVEL_AT_RISK;
	p->level[bit_index(REP_R_CERT_SELF_SIGNED)] = REP_LEVEL_INFO;
	p->level[bit_index(REP_R_CERT_WEAK_KEY)] = REP_LEVEL_AT_RISK;
	p->level[bit_index(REP_R_CERT_SHA1)] = REP_LEVEL_AT_RISK;
	p->level[bit_index(REP_R_CIPHER_NEGOTIATED)] = REP_LEVEL_AT_RISK;
	p->level[bit_index(REP_R_CIPHER_OFFERED)] = REP_LEVEL_INFO;
	p->level[bit_index(REP_R_NDPI_RISK)] = REP_LEVEL_INFO;
	p->level[bit_index(REP_R_PROBE_OLD)] = REP_LEVEL_VIOLATION;
	p->rsa_min_bits = 2048;
	p->expiring_days = 30;
	/* nDPI risks our own checks decide more exactly (README "NDJSON fields": trust cert.expired, cert.self_signed
	 * and negotiated_version over the risk list): Self-signed Certificate, Obsolete TLS Version, Weak TLS
	 * Cipher, TLS Expired Certificate, TLS Fatal Alert (the failure reasons show it), TLS Certificate About To
	 * Expire */
	static const char *const own_checks[] = {"Self-signed Certificate", "Obsolete TLS Version (1.1 or older)",
						 "Weak TLS Cipher",	    "TLS Expired Certificate",
						 "TLS Fatal Alert",	    "TLS Certificate About To Expire"};
	for (size_t i = 0; i < sizeof(own_checks) / sizeof(own_checks[0]); i++)
		risk_item(&p->ndpi_ignore, own_checks[i], strlen(own_checks[i]));
	p->weak_kinds = 1u << REP_WEAK_RC4 | 1u << REP_WEAK_3DES | 1u << REP_WEAK_EXPORT | 1u << REP_WEAK_NULL |
			1u << REP_WEAK_DES | 1u << REP_WEAK_MD5;
}

int report_policy_set(struct rep_policy *p, const char *key, const char *value, char *err, size_t errlen)
{
	for (unsigned i = 0; i < REP_R_COUNT; i++) {
		if (strcmp(key, reason_keys[i]) != 0)
			continue;
		for (int l = REP_LEVEL_IGNORE; l <= REP_LEVEL_VIOLATION; l++)
			if (strcmp(value, report_level_name((enum rep_level)l)) == 0 ||
			    (l == REP_LEVEL_AT_RISK && strcmp(value, "at risk") == 0)) {
				p->level[i] = (uint8_t)l;
				return 0;
			}
		snprintf(err, errlen, "%s: '%s' is not ignore, info, at-risk or violation", key, value);
		return -EINVAL;
	}
	if (strcmp(key, "min_version") == 0) {
		if (!report_version_parse(value, &p->min_level)) {
			snprintf(err, errlen, "min_version: '%s' is not a version (\"TLS 1.2\")", value);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "rsa_min_bits") == 0 || strcmp(key, "cert_expiring_days") == 0) {
		bool bits = key[0] == 'r';
		if (!parse_uint(value, bits ? 65536 : 3650, bits ? &p->rsa_min_bits : &p->expiring_days)) {
			snprintf(err, errlen, "%s: '%s' is not a number from 0 to %u", key, value,
				 bits ? 65536u : 3650u);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "weak_ciphers") == 0) {
		uint32_t mask = 0;
		if (strcmp(value, "none") != 0 && !each_item(value, weak_item, &mask)) {
			snprintf(err, errlen,
				 "weak_ciphers: '%s' is not a list of rc4, 3des, export, null, des, md5, cbc-sha1 (or "
				 "none)",
				 value);
			return -EINVAL;
		}
		p->weak_kinds = mask;
		return 0;
	}
	if (strcmp(key, "ndpi_ignore") == 0) {
		uint64_t mask = 0;
		if (strcmp(value, "none") != 0 && !each_item(value, risk_item, &mask)) {
			snprintf(err, errlen, "ndpi_ignore: '%s' is not a list of nDPI risk names or numbers", value);
			return -EINVAL;
		}
		p->ndpi_ignore = mask;
		return 0;
	}
	snprintf(err, errlen, "unknown policy key '%s'", key);
	return -EINVAL;
}

int report_policy_parse(struct rep_policy *p, const char *text, size_t len, char *err, size_t errlen)
{
	size_t lineno = 0, off = 0;
	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		off += n + (nl ? 1 : 0);
		lineno++;
		char buf[512], *s = buf;
		if (n >= sizeof(buf)) {
			snprintf(err, errlen, "line %zu: longer than %zu bytes", lineno, sizeof(buf) - 1);
			return -EINVAL;
		}
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (memchr(buf, '\0', n)) {
			snprintf(err, errlen, "line %zu: a NUL byte", lineno);
			return -EINVAL;
		}
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		char *e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "line %zu: not \"key = value\"", lineno);
			return -EINVAL;
		}
		char *k = s, *v = eq + 1, *ke = eq;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		*ke = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		char msg[256];
		if (report_policy_set(p, k, v, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "line %zu: %s", lineno, msg);
			return -EINVAL;
		}
	}
	return 0;
}

void report_policy_write(FILE *fp, const struct rep_policy *p)
{
	char b[32];
	fprintf(fp, "min_version = %s\n", rep_version(p->min_level, b));
	for (unsigned i = 0; i < REP_R_COUNT; i++)
		fprintf(fp, "%s = %s\n", reason_keys[i], report_level_name((enum rep_level)p->level[i]));
	fprintf(fp, "rsa_min_bits = %" PRIu32 "\ncert_expiring_days = %" PRIu32 "\nweak_ciphers = ", p->rsa_min_bits,
		p->expiring_days);
	int n = 0;
	for (int w = 0; w < REP_WEAK_COUNT; w++)
		if (p->weak_kinds >> w & 1)
			fprintf(fp, "%s%s", n++ ? "," : "", weak_keys[w]);
	fputs(n ? "\nndpi_ignore = " : "none\nndpi_ignore = ", fp);
	n = 0;
	for (unsigned bit = 0; bit < 64; bit++)
		if (p->ndpi_ignore >> bit & 1) {
			const char *name = names_bit(NAMES_RISK, bit);
			if (name)
				fprintf(fp, "%s%s", n++ ? "," : "", name);
			else
				fprintf(fp, "%s%u", n++ ? "," : "", bit);
		}
	fputs(n ? "\n" : "none\n", fp);
}

enum rep_level rep_level_of(const struct rep_policy *p, unsigned reason)
{
	unsigned i = bit_index(reason);
	return i < REP_R_COUNT ? (enum rep_level)p->level[i] : REP_LEVEL_IGNORE;
}

/* ---- verdicts ----------------------------------------------------------------------------------------------- */

bool rep_cert_sha1(const struct rep_cert *c)
{
	return strcasestr(c->sig_alg, "sha1") != NULL || strcasestr(c->sig_alg, "md5") != NULL;
}

bool rep_cert_weak_key(const struct rep_cert *c, const struct rep_policy *p)
{
	return strncasecmp(c->key_type, "RSA", 3) == 0 && c->key_bits && c->key_bits < p->rsa_min_bits;
}

bool rep_cert_expiring(const struct rep_cert *c, const struct rep_policy *p)
{
	int64_t last_s = c->seen.last_ns / 1000000000;
	return !c->expired_at_use && c->not_after && c->not_after - last_s < (int64_t)p->expiring_days * 86400;
}

unsigned report_stack_reasons(const struct rep_stack *s)
{
	unsigned r = 0;
	if (s->old_offered > s->old_offered_failed)
		r |= REP_R_MAX_OLD;
	if (s->old_offered_failed)
		r |= REP_R_MAX_OLD_FAILED;
	if (s->old_negotiated)
		r |= REP_R_NEG_OLD;
	if (s->offers_old)
		r |= REP_R_OFFERS_OLD;
	return r;
}

/* The reasons a host shows, before the policy's levels. */
static unsigned host_reasons(const struct rep_host *h, const struct rep_policy *p)
{
	bool client = strcmp(h->role, "client") == 0;
	unsigned r = 0;
	if (client && h->old_offered > h->old_offered_failed)
		r |= REP_R_MAX_OLD; /* established or unknown: the failed ones have their own reason */
	if (client && h->old_offered_failed)
		r |= REP_R_MAX_OLD_FAILED;
	if (h->old_negotiated)
		r |= REP_R_NEG_OLD;
	if (client && h->offers_old)
		r |= REP_R_OFFERS_OLD;
	for (size_t i = 0; i < h->n_certs; i++) {
		const struct rep_cert *c = &h->certs[i];
		if (c->expired_at_use)
			r |= REP_R_CERT_EXPIRED;
		if (rep_cert_expiring(c, p))
			r |= REP_R_CERT_EXPIRING;
		if (c->self_signed)
			r |= REP_R_CERT_SELF_SIGNED;
		if (rep_cert_weak_key(c, p))
			r |= REP_R_CERT_WEAK_KEY;
		if (rep_cert_sha1(c))
			r |= REP_R_CERT_SHA1;
	}
	for (int w = 0; w < REP_WEAK_COUNT; w++) {
		if (!(p->weak_kinds >> w & 1))
			continue;
		if (!client && h->weak_negotiated[w].n)
			r |= REP_R_CIPHER_NEGOTIATED;
		if (client && h->weak_offered[w].n)
			r |= REP_R_CIPHER_OFFERED;
	}
	for (size_t i = 0; i < h->n_risks; i++)
		if (!(p->ndpi_ignore >> h->risks[i].bit & 1))
			r |= REP_R_NDPI_RISK;
	/* a probe asked the server and it accepted an old version (fmt_probe.c): whether or not a client used it */
	if (!client && rep_probe_old(h->probe_accepted, p->min_level))
		r |= REP_R_PROBE_OLD;
	return r;
}

/* Did the role's connections show a TLS version for it? A client: a ClientHello (or a negotiated version). A
 * server: a negotiated version, a ClientHello it refused (failed with a hello: an alert, a reset, an answer
 * that was not TLS), or a probe. Without that, "ok" would claim what nothing showed (REP_NO_TLS). */
static bool saw_tls(const struct rep_host *h)
{
	if (h->max_negotiated || h->probe_endpoints)
		return true;
	if (strcmp(h->role, "client") == 0)
		return h->max_offered != 0;
	for (int v = REP_V_NONE + 1; v < REP_V_COUNT; v++)
		if (h->failed_by_offered[v])
			return true;
	return false;
}

static int addr_cmp(const struct rep_host *a, const struct rep_host *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->addr, b->addr, 16);
	return c ? c : strcmp(a->role, b->role);
}

static int popcount(unsigned x)
{
	int n = 0;
	for (; x; x &= x - 1)
		n++;
	return n;
}

/* What makes a host role worse than another of the same verdict: its old-version use (a client's old-only
 * hellos and old sessions; a server's old sessions - a server that refuses old hellos does right), then failed
 * connections (clients), then how many findings, then traffic. */
static uint64_t old_use(const struct rep_host *h)
{
	bool client = strcmp(h->role, "client") == 0;
	return client ? h->old_offered + h->old_negotiated + h->failed : h->old_negotiated;
}

/* worst first: verdict, old use, refused old hellos, findings, traffic; then address order */
static int severity_cmp(const struct rep_host *a, const struct rep_host *b)
{
#define DESC(x, y)                                 \
	do {                                       \
		if ((x) != (y))                    \
			return (x) > (y) ? -1 : 1; \
	} while (0)
	bool ca = strcmp(a->role, "client") == 0, cb = strcmp(b->role, "client") == 0;
	DESC(a->verdict, b->verdict);
	DESC(old_use(a), old_use(b));
	DESC(ca ? a->old_offered_failed : 0, cb ? b->old_offered_failed : 0);
	DESC(popcount(a->reasons_mask), popcount(b->reasons_mask));
	DESC(a->connections, b->connections);
#undef DESC
	return addr_cmp(a, b);
}

static int rank_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct rep_host *hosts = ctx;
	return severity_cmp(&hosts[*(const size_t *)pa], &hosts[*(const size_t *)pb]);
}

/* The Windows release of an SChannel stack, from the entry's name ("Windows 7 / Server 2008 R2 SChannel (...)",
 * "Windows 7 / Server 2008 R2; Windows Phone 8.0 SChannel (...)"): the first release stack.h knows. */
static void stack_windows(struct rep_stack *s)
{
	s->windows[0] = '\0';
	if (strcmp(s->family, "schannel") != 0)
		return;
	char buf[sizeof(s->name)];
	snprintf(buf, sizeof(buf), "%s", s->name);
	char *end = strstr(buf, " SChannel");
	if (end)
		*end = '\0';
	for (char *part = buf; part && *part;) {
		char *sep = strstr(part, "; ");
		if (sep)
			*sep = '\0';
		const struct stack_windows *w = stack_windows_info(part);
		if (w) {
			snprintf(s->windows, sizeof(s->windows), "%s", w->windows);
			return;
		}
		part = sep ? sep + 2 : NULL;
	}
}

void report_evaluate(struct rep_data *d, const struct rep_policy *p)
{
	d->policy = *p;
	d->policy.min_level = d->q.min_level;
	for (size_t i = 0; i < d->n_hosts; i++) {
		struct rep_host *h = &d->hosts[i];
		for (size_t k = 0; k < h->n_stacks; k++)
			stack_windows(&h->stacks[k]);
	}
	/* Windows evidence per address: rows of one address are adjacent (ordered by address, then role) */
	for (size_t i = 0; i < d->n_hosts;) {
		size_t j = i;
		bool win = false;
		while (j < d->n_hosts && d->hosts[j].family == d->hosts[i].family &&
		       memcmp(d->hosts[j].addr, d->hosts[i].addr, 16) == 0) {
			for (size_t k = 0; k < d->hosts[j].n_stacks; k++)
				win |= strcmp(d->hosts[j].stacks[k].family, "schannel") == 0;
			j++;
		}
		for (size_t k = i; k < j; k++)
			d->hosts[k].windows = win;
		i = j;
	}
	for (size_t i = 0; i < d->n_hosts; i++) {
		struct rep_host *h = &d->hosts[i];
		unsigned r = host_reasons(h, &d->policy), shown = 0;
		enum rep_verdict v = REP_OK;
		for (unsigned b = 0; b < REP_R_COUNT; b++) {
			if (!(r >> b & 1))
				continue;
			enum rep_level l = (enum rep_level)d->policy.level[b];
			if (l >= REP_LEVEL_INFO)
				shown |= 1u << b;
			if (l == REP_LEVEL_VIOLATION)
				v = REP_VIOLATION;
			else if (l == REP_LEVEL_AT_RISK && v < REP_AT_RISK)
				v = REP_AT_RISK;
		}
		h->reasons_mask = shown;
		h->verdict = v == REP_OK && !saw_tls(h) ? REP_NO_TLS : v;
	}
	rep_probe_evaluate(d);
	free(d->rank);
	d->rank = d->n_hosts ? malloc(d->n_hosts * sizeof(*d->rank)) : NULL;
	if (d->rank) {
		for (size_t i = 0; i < d->n_hosts; i++)
			d->rank[i] = i;
		qsort_r(d->rank, d->n_hosts, sizeof(*d->rank), rank_cmp, d->hosts);
	}
	enum rep_verdict v = rep_worst_host(d);
	/* probes are data: a selection with probed servers but no connection is judged by those servers */
	if (!d->connections && !d->n_probes)
		v = REP_NO_DATA;
	else if (d->policy.max_age_ns > 0 && rep_newest_ns(d) && rep_age_ns(d) > d->policy.max_age_ns)
		v = REP_STALE;
	d->overall = v;
}

int64_t rep_newest_ns(const struct rep_data *d)
{
	/* the newest connection says whether the sensor still sees traffic; only a selection without
	 * connections is as old as its newest probe */
	return d->last_ns ? d->last_ns : rep_probe_newest_ns(d);
}

int64_t rep_age_ns(const struct rep_data *d)
{
	int64_t t = rep_newest_ns(d);
	return t ? ta_sat_sub_i64(d->prov.generated_ns, t) : 0;
}

enum rep_verdict report_overall(const struct rep_data *d)
{
	return d->overall;
}

/* The worst host role's verdict, where a role without TLS counts only when no role showed any. */
enum rep_verdict rep_worst_host(const struct rep_data *d)
{
	enum rep_verdict v = REP_OK;
	size_t no_tls = 0;
	for (size_t i = 0; i < d->n_hosts; i++) {
		no_tls += d->hosts[i].verdict == REP_NO_TLS;
		if (d->hosts[i].verdict > v && d->hosts[i].verdict != REP_NO_TLS)
			v = d->hosts[i].verdict;
	}
	return d->n_hosts && no_tls == d->n_hosts ? REP_NO_TLS : v;
}

size_t rep_host_count(const struct rep_data *d, enum rep_verdict v)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		n += d->hosts[i].verdict == v;
	return n;
}

void rep_verdict_counts(const struct rep_data *d, char *buf, size_t len)
{
	size_t nt = rep_host_count(d, REP_NO_TLS);
	int w = snprintf(buf, len, "%zu violation, %zu at risk, %zu ok", rep_host_count(d, REP_VIOLATION),
			 rep_host_count(d, REP_AT_RISK), rep_host_count(d, REP_OK));
	if (nt && w >= 0 && (size_t)w < len)
		snprintf(buf + w, len - (size_t)w, ", %zu no TLS seen", nt);
}

void rep_fine_sentence(const struct rep_data *d, char *buf, size_t len)
{
	char a[32];
	size_t nt = rep_host_count(d, REP_NO_TLS);
	rep_version(d->policy.min_level, a);
	if (!nt)
		snprintf(buf, len, "All %zu host roles meet the policy (%s or newer).", d->n_hosts, a);
	else if (nt < d->n_hosts)
		snprintf(buf, len,
			 "All %zu host roles that showed TLS meet the policy (%s or newer); %zu showed no TLS version "
			 "(%s).",
			 d->n_hosts - nt, a, nt, REP_NO_TLS_WHY);
	else
		snprintf(buf, len,
			 "No host role showed a TLS version (%s): nothing to judge against the policy (%s or newer).",
			 REP_NO_TLS_WHY, a);
}

const struct rep_host *rep_ranked(const struct rep_data *d, size_t i)
{
	return d->rank ? &d->hosts[d->rank[i]] : &d->hosts[i];
}

/* ---- hints ----------------------------------------------------------------------------------------------- */

static bool win_ok(enum rep_hint_win w, bool windows)
{
	return w == REP_HW_ANY || (w == REP_HW_WINDOWS) == windows;
}

static bool has_own_hint(const char *family)
{
	for (size_t i = 0; i < rep_n_hints; i++)
		if (rep_hints[i].family && strcmp(rep_hints[i].family, family) == 0)
			return true;
	return false;
}

static bool stack_hint_matches(const struct rep_hint *k, const struct rep_host *h, const struct rep_stack *s,
			       unsigned reasons)
{
	if (!k->family || strcmp(k->role, "client") != 0 || !(k->when & reasons) || (k->unless & reasons))
		return false;
	if (!s->family[0])
		return k->family[0] == '\0' && win_ok(k->win, h->windows);
	if (strcmp(k->family, "*") == 0)
		return !has_own_hint(s->family);
	if (strcmp(k->family, s->family) != 0)
		return false;
	return !k->windows || strcmp(k->windows, s->windows) == 0;
}

size_t report_host_hints(const struct rep_host *h, struct rep_hint_use *out, size_t max)
{
	size_t n = 0;
	bool client = strcmp(h->role, "client") == 0;
	/* version hints of a client: one per stack that shows a reason the policy counts */
	if (client)
		for (size_t s = 0; s < h->n_stacks && n < max; s++) {
			unsigned r = report_stack_reasons(&h->stacks[s]) & h->reasons_mask;
			if (!r)
				continue;
			for (size_t k = 0; k < rep_n_hints; k++)
				if (stack_hint_matches(&rep_hints[k], h, &h->stacks[s], r)) {
					out[n].hint = &rep_hints[k];
					out[n++].stack = s;
					break;
				}
		}
	/* host-level hints: every one that matches */
	for (size_t k = 0; k < rep_n_hints && n < max; k++) {
		const struct rep_hint *hint = &rep_hints[k];
		if (hint->family || strcmp(hint->role, h->role) != 0 || !(hint->when & h->reasons_mask) ||
		    (hint->unless & h->reasons_mask) || !win_ok(hint->win, h->windows))
			continue;
		out[n].hint = hint;
		out[n++].stack = SIZE_MAX;
	}
	return n;
}

bool rep_host_uses_hint(const struct rep_host *h, const struct rep_hint *hint, size_t *ret_stack)
{
	struct rep_hint_use u[REP_MAX_HOST_HINTS];
	size_t n = report_host_hints(h, u, REP_MAX_HOST_HINTS);
	for (size_t i = 0; i < n; i++)
		if (u[i].hint == hint) {
			if (ret_stack)
				*ret_stack = u[i].stack;
			return true;
		}
	return false;
}

size_t rep_hint_hosts(const struct rep_data *d, const struct rep_hint *hint)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_hosts; i++)
		n += rep_host_uses_hint(&d->hosts[i], hint, NULL);
	return n;
}

static int hint_rank_cmp(const void *a, const void *b)
{
	const struct rep_hint_rank *x = a, *y = b;
	if (x->violation != y->violation)
		return x->violation > y->violation ? -1 : 1;
	if (x->at_risk != y->at_risk)
		return x->at_risk > y->at_risk ? -1 : 1;
	if (x->hosts != y->hosts)
		return x->hosts > y->hosts ? -1 : 1;
	return x->hint < y->hint ? -1 : x->hint > y->hint;
}

size_t rep_hint_order(const struct rep_data *d, struct rep_hint_rank *out, size_t max)
{
	size_t n = 0;
	for (size_t k = 0; k < rep_n_hints && n < max; k++) {
		struct rep_hint_rank x = {.hint = &rep_hints[k]};
		for (size_t i = 0; i < d->n_hosts; i++) {
			const struct rep_host *h = &d->hosts[i];
			if (!rep_host_uses_hint(h, x.hint, NULL))
				continue;
			x.hosts++;
			enum rep_level worst = REP_LEVEL_IGNORE;
			for (unsigned b = 0; b < REP_R_COUNT; b++)
				if ((x.hint->when & h->reasons_mask) >> b & 1 && d->policy.level[b] > worst)
					worst = (enum rep_level)d->policy.level[b];
			x.violation += worst == REP_LEVEL_VIOLATION;
			x.at_risk += worst == REP_LEVEL_AT_RISK;
		}
		if (x.hosts)
			out[n++] = x;
	}
	qsort(out, n, sizeof(*out), hint_rank_cmp);
	return n;
}

const char *report_family_label(const char *family)
{
	static const struct {
		const char *family, *label;
	} labels[] = {
		{"schannel", "Windows SChannel"},
		{"openssl", "OpenSSL"},
		{"libressl", "LibreSSL"},
		{"gnutls", "GnuTLS"},
		{"nss", "Mozilla NSS"},
		{"firefox", "Firefox (NSS)"},
		{"boringssl", "Chrome/BoringSSL"},
		{"android", "Android"},
		{"java", "Java (SunJSSE)"},
		{"go", "Go crypto/tls"},
		{"apple", "Apple TLS"},
		{"presto", "Opera Presto"},
		{"mbedtls", "Mbed TLS"},
		{"wolfssl", "wolfSSL"},
		{"crawler", "web crawler"},
	};
	if (!family || !family[0])
		return "unidentified stack";
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i].family, family) == 0)
			return labels[i].label;
	return family;
}

int report_write(FILE *fp, enum rep_format f, const struct rep_data *d, const struct rep_render *r)
{
	struct rep_render def = {0};
	if (f < 0 || f >= REP_FMT_COUNT_)
		return -EINVAL;
	if (r)
		def = *r;
	if (!def.top)
		def.top = REP_DEFAULT_TOP;
	if (!def.width)
		def.width = 100;
	formats[f]->report(fp, d, &def);
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -EIO;
}

int report_diff_write(FILE *fp, enum rep_format f, const struct rep_diff *d, const struct rep_render *r)
{
	struct rep_render def = {0};
	if (f < 0 || f >= REP_FMT_COUNT_)
		return -EINVAL;
	if (r)
		def = *r;
	if (!def.top)
		def.top = REP_DEFAULT_TOP;
	if (!def.width)
		def.width = 100;
	formats[f]->diff(fp, d, &def);
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -EIO;
}

/* ---- diff ------------------------------------------------------------------------------------ */

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
	if ((h->failed || h->unknown) && h->min_offered && (!lo || h->min_offered < lo))
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
	const char *sep = "";
	if (h->established) {
		w = snprintf(buf + off, len - off, "%" PRIu64 " established", h->established);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
		sep = ", ";
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
			w = snprintf(buf + off, len - off, "%s%" PRIu64 " failed %s %s", sep, h->failed,
				     client ? "to" : "from", client ? peer : top->ip);
		else
			w = snprintf(buf + off, len - off, "%s%" PRIu64 " failed", sep, h->failed);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
		sep = ", ";
	}
	if (h->unknown) {
		w = snprintf(buf + off, len - off, "%s%" PRIu64 " unknown", sep, h->unknown);
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

/* most important first: regressions, new hosts with a problem, changes, improvements, fixes, gone, unchanged;
 * within one kind the worse "after" verdict first, then address order */
static int diff_rank_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct rep_diff *diff = ctx;
	const struct rep_diff_row *x = &diff->rows[*(const size_t *)pa], *y = &diff->rows[*(const size_t *)pb];
	const struct rep_host *hx = x->after ? x->after : x->before, *hy = y->after ? y->after : y->before;
	int kx = (int)x->change, ky = (int)y->change;
	if (x->change == REP_CH_NEW && hx->verdict == REP_OK)
		kx = REP_CH_UNCHANGED; /* a new host that is fine is not news */
	if (y->change == REP_CH_NEW && hy->verdict == REP_OK)
		ky = REP_CH_UNCHANGED;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	if (hx->verdict != hy->verdict)
		return hx->verdict > hy->verdict ? -1 : 1;
	return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

int report_diff_build(const struct rep_data *before, const struct rep_data *after, struct rep_diff **ret)
{
	struct rep_diff *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->before = before;
	d->after = after;
	d->rows = calloc(before->n_hosts + after->n_hosts + 1, sizeof(*d->rows));
	d->rank = calloc(before->n_hosts + after->n_hosts + 1, sizeof(*d->rank));
	if (!d->rows || !d->rank) {
		report_diff_free(d);
		return -ENOMEM;
	}
	size_t i = 0, j = 0;
	while (i < before->n_hosts || j < after->n_hosts) {
		const struct rep_host *b = i < before->n_hosts ? &before->hosts[i] : NULL;
		const struct rep_host *a = j < after->n_hosts ? &after->hosts[j] : NULL;
		int c = !b ? 1 : !a ? -1 : addr_cmp(b, a);
		struct rep_diff_row *r = &d->rows[d->n_rows++];
		r->before = c <= 0 ? b : NULL;
		r->after = c >= 0 ? a : NULL;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		r->change = classify(r->before, r->after);
	}
	for (size_t k = 0; k < d->n_rows; k++)
		d->rank[k] = k;
	qsort_r(d->rank, d->n_rows, sizeof(*d->rank), diff_rank_cmp, d);
	*ret = d;
	return 0;
}

void report_diff_free(struct rep_diff *d)
{
	if (!d)
		return;
	free(d->rows);
	free(d->rank);
	free(d);
}

size_t rep_diff_count(const struct rep_diff *d, enum rep_change c)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_rows; i++)
		n += d->rows[i].change == c;
	return n;
}
