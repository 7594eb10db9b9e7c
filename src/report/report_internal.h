/* report_internal.h - what the report library's format files share: the per-format function table, and the
 * one home of everything a report says in words (reasons, the first screen's sentences, a client stack's line,
 * groups of hosts) and of value formatting. Wire strings never go through these helpers unescaped: each format
 * escapes what it writes. */
#ifndef TLSAUDIT_REPORT_INTERNAL_H
#define TLSAUDIT_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsaudit/report.h"

/* One small table of functions per output format. */
struct rep_format_ops {
	const char *name;
	void (*report)(FILE *fp, const struct rep_data *d, const struct rep_render *r);
	void (*diff)(FILE *fp, const struct rep_diff *d, const struct rep_render *r);
};
extern const struct rep_format_ops rep_fmt_text, rep_fmt_md, rep_fmt_csv, rep_fmt_json, rep_fmt_html;

/* ---- verdicts, ranking (report.c) ---- */
const char *rep_verdict_class(enum rep_verdict v); /* "ok", "at-risk", "violation", "stale", "no-data" */
enum rep_level rep_level_of(const struct rep_policy *p, unsigned reason);
enum rep_verdict rep_worst_host(const struct rep_data *d); /* the worst host verdict (REP_OK without hosts) */
int64_t rep_newest_ns(const struct rep_data *d); /* newest connection; without any, the newest probe (0: none) */
int64_t rep_age_ns(const struct rep_data *d);	 /* generation time - rep_newest_ns (0 when there is none) */
size_t rep_host_count(const struct rep_data *d, enum rep_verdict v);
/* "7 violation, 1 at risk, 0 ok" and ", 2 no TLS seen" when there are such host roles: every format's tally */
void rep_verdict_counts(const struct rep_data *d, char *buf, size_t len);
/* What the policy sentence says when no host role is at risk or worse: "All 8 host roles meet the policy (TLS
 * 1.2 or newer).", or which of them showed TLS at all */
void rep_fine_sentence(const struct rep_data *d, char *buf, size_t len);
#define REP_NO_TLS_WHY "no ClientHello, nothing negotiated, no hello refused"
const struct rep_host *rep_ranked(const struct rep_data *d, size_t i); /* i-th worst host role */
bool rep_cert_sha1(const struct rep_cert *c);
bool rep_cert_weak_key(const struct rep_cert *c, const struct rep_policy *p);
bool rep_cert_expiring(const struct rep_cert *c, const struct rep_policy *p);
/* Does h use hint (for which stack: SIZE_MAX for the host itself)? */
bool rep_host_uses_hint(const struct rep_host *h, const struct rep_hint *hint, size_t *ret_stack);
size_t rep_hint_hosts(const struct rep_data *d, const struct rep_hint *hint); /* host roles that use it */
/* The hints in use, most urgent first: by the host roles whose reasons for the hint are at the policy's
 * violation level, then at-risk level, then all; ties in table order. */
struct rep_hint_rank {
	const struct rep_hint *hint;
	size_t violation, at_risk, hosts;
};
size_t rep_hint_order(const struct rep_data *d, struct rep_hint_rank *out, size_t max);
/* The distinct client stacks (their labels) a hint is used for, with how many host roles each; returns how many
 * (at most max). */
#define REP_LABEL_LEN 200
size_t rep_hint_stacks(const struct rep_data *d, const struct rep_hint *hint, char (*labels)[REP_LABEL_LEN],
		       size_t *counts, size_t max);
/* What a hint's section says besides its host list: the stack families among the host roles that use it (in
 * report order, each once) and the Windows facts of the first SChannel stack among them. */
#define REP_HINT_FAMILIES (REP_MAX_STACKS * 4)
struct rep_hint_users {
	const char *families[REP_HINT_FAMILIES];
	size_t n_families;
	char windows[512];
};
/* Fills u from every host role that uses hint, calls each() for the first `top` of them (nth from 0) and returns
 * how many it called it for. */
size_t rep_hint_users(const struct rep_data *d, const struct rep_hint *hint, size_t top,
		      void (*each)(void *ctx, const struct rep_host *h, size_t nth), void *ctx,
		      struct rep_hint_users *u);
size_t rep_diff_count(const struct rep_diff *d, enum rep_change c);

/* ---- counters (view.c) ---- */
/* The counters of TA_STATS_FIELDS with their meaning; loss = the counter means packets or bytes were not
 * analysed (everything except the plain totals, so a new counter is treated as a loss until said otherwise). */
struct rep_counter {
	const char *name, *desc;
	size_t offset; /* in struct ta_stats */
	bool loss;
};
extern const struct rep_counter rep_counters[];
extern const size_t rep_n_counters;
uint64_t rep_counter_value(const struct rep_capture *c, const struct rep_counter *k);
bool rep_capture_lossy(const struct rep_capture *c); /* status not complete, or a loss counter > 0 */
size_t rep_lossy_captures(const struct rep_data *d);
/* Visit the loss counters of c that are not zero; fn gets name, description and value. */
void rep_each_loss(const struct rep_capture *c, void (*fn)(void *ctx, const struct rep_counter *k, uint64_t v),
		   void *ctx);
/* Distinct sensor names of the captures, in order of first appearance; returns how many (at most max). */
size_t rep_sensors(const struct rep_data *d, const char **out, size_t max);

/* ---- values (view.c) ---- */
const char *rep_version(uint16_t level, char buf[static 32]); /* "-" for 0 */
extern const char *const rep_vcol_names[REP_V_COUNT];
extern const char *const rep_vcol_color[REP_V_COUNT];		       /* the colour of each version in every chart */
void rep_ts(int64_t ns, char buf[static 64]);			       /* RFC 3339 UTC, "-" for 0 */
void rep_ts_human(int64_t ns, char buf[static 64]);		       /* "2026-11-27 12:00:00Z", "-" for 0 */
void rep_date(int64_t s, char buf[static 64]);			       /* "2026-11-27" from seconds */
void rep_duration(int64_t ns, char buf[static 32]);		       /* "3d 4h", "25m", "12s" */
void rep_peer_text(const struct rep_peer *p, char buf[static 64]);     /* "10.0.0.5:443", "[2001:db8::1]:443" */
void rep_window_text(const struct rep_data *d, char *buf, size_t len); /* "since ..., host 10.0.0.0/24" */
void rep_net_text(const struct rep_net *n, char buf[static 64]);

/* ---- words (view.c) ---- */
/* The reasons in the order every format lists them. */
extern const unsigned rep_reason_order[REP_R_COUNT];
/* Plain-words sentence for one reason of a host, from numbers, our own names and (certificates) the CN, which
 * the format escapes with the rest of the sentence. */
void rep_reason_text(const struct rep_data *d, const struct rep_host *h, unsigned reason, char *buf, size_t len);
/* "Windows SChannel (Windows 7 / Server 2008 R2 family)", "OpenSSL (OpenSSL 3.0 ...; close match)" */
void rep_stack_label(const struct rep_stack *s, char *buf, size_t len);
/* "offers at most TLS 1.0; 3 connections: 3 failed" */
void rep_stack_facts(const struct rep_stack *s, char *buf, size_t len);
/* a Windows release's facts for an SChannel stack ("client default: TLS 1.0 (...)"), "" otherwise */
void rep_stack_windows_facts(const struct rep_stack *s, char *buf, size_t len);
/* weak kinds of a span array as "3DES, RC4" (only kinds in mask with a count); "" if none */
void rep_weak_list(const struct rep_span *w, uint32_t mask, char *buf, size_t len);

/* The first screen: what is wrong and where, in a few sentences of manager words. */
struct rep_headline {
	enum rep_verdict level; /* REP_VIOLATION, REP_AT_RISK, or REP_OK for context */
	char text[256];		/* numbers and our words only */
	unsigned reason;	/* its hosts: those with one of these reasons ... (0: none) */
	int role;		/* ... in this role (0 client, 1 server) ... */
	uint16_t version;	/* ... whose lowest maximum offered (clients) / negotiated (servers) is this; 0 any */
};
#define REP_MAX_HEADLINES 20
size_t rep_headlines(const struct rep_data *d, struct rep_headline *out, size_t max);
bool rep_headline_has(const struct rep_headline *hl, const struct rep_host *h);

/* Groups of host roles that are not ok: by network (/24 for IPv4, /64 for IPv6) or by SNI domain (the last two
 * labels of each SNI the host role saw, ASCII lower-cased). Worst first. */
enum rep_group_kind { REP_GROUP_NET, REP_GROUP_DOMAIN };
struct rep_group {
	char key[TA_MAX_SNI + 1]; /* "10.0.5.0/24"; a domain's raw bytes */
	uint16_t key_len;
	uint8_t family, addr[16]; /* networks: the prefix, for numeric order */
	size_t hosts, violation, at_risk;
	uint64_t connections;
};
/* *ret owned by the caller (free); 0 or -ENOMEM */
int rep_groups(const struct rep_data *d, enum rep_group_kind kind, struct rep_group **ret, size_t *ret_n);

/* How a table format writes the per-host lists (versions, failure reasons, peers, SNI names) into one cell:
 * the separator between items, the text before a count, its escaper for wire and name strings, and how long
 * an SNI may be before it is cut (then the ellipsis and the full length follow). */
struct rep_cell_style {
	const char *sep;				  /* "<br>", ", " */
	const char *times;				  /* "&nbsp;x", " x" */
	void (*esc)(FILE *fp, const char *s, size_t len); /* out_html_string, out_md_string */
	size_t sni_max;
	const char *ellipsis; /* "&hellip;", "..." */
};
void rep_cell_versions(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st);
void rep_cell_reasons(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st);
void rep_cell_peers(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st);
void rep_cell_snis(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st);
void rep_cell_stacks(FILE *fp, const struct rep_host *h, const struct rep_cell_style *st);

/* ---- probes (fmt_probe.c): the endpoints' verdicts, the words for a probed server, the Probes sections ---- */
typedef void (*rep_esc_fn)(FILE *fp, const char *s, size_t len); /* a format's escaper (out_md_string, ...) */
uint32_t rep_probe_old(uint32_t accepted, uint16_t min_level);	 /* the bits of versions below min_level */
uint16_t rep_probe_lowest(uint32_t mask);			 /* lowest version in a probe mask, 0 if none */
void rep_probe_evaluate(struct rep_data *d);	       /* each endpoint's verdict from d->policy (report_evaluate) */
int64_t rep_probe_newest_ns(const struct rep_data *d); /* the latest attempt shown, 0 without probes */
void rep_probe_versions_text(uint32_t mask, char *buf, size_t len); /* "TLS 1.0, TLS 1.2"; "none" */
void rep_probe_reason_text(const struct rep_data *d, const struct rep_host *h, char *buf, size_t len);
void rep_probe_state(const struct rep_host *h, char *buf, size_t len); /* "probed: accepts TLS 1.2, TLS 1.3" */
bool rep_probe_reached(const struct rep_probe *e);		       /* a hello got through at least once */
const char *rep_probe_state_name(const struct rep_probe *e);	       /* its verdict, or "not reached" */
size_t rep_probe_count(const struct rep_data *d, enum rep_verdict v);
size_t *rep_probe_order(const struct rep_data *d); /* owned: endpoint indices, worst first; NULL on ENOMEM */
/* "10.0.0.5:25 smtp sni mail.example", every attempt shown ("TLS 1.0 accepted ...", sep between), and what the
 * captures show of the address as server; each through esc */
void rep_probe_endpoint(FILE *fp, rep_esc_fn esc, const struct rep_probe *e);
void rep_probe_tries(FILE *fp, rep_esc_fn esc, const char *sep, const struct rep_probe *e);
void rep_probe_passive(FILE *fp, rep_esc_fn esc, const struct rep_data *d, const struct rep_probe *e);
void rep_probe_side(FILE *fp, rep_esc_fn esc, const struct rep_probe *e); /* diff: "accepts ..."/"not probed" */
/* Each writes nothing when there are no probes; text, md and html show the --top worst endpoints. */
void rep_probes_md(FILE *fp, const struct rep_data *d, const struct rep_render *r);
void rep_probes_html(FILE *fp, const struct rep_data *d, const struct rep_render *r);
void rep_probes_json(FILE *fp, const struct rep_data *d); /* ,"probes":[...] (every endpoint) */
/* The diff's endpoints of either side, paired by address, port, STARTTLS and SNI: in the order of the pairing
 * (before's, then the new ones), or ranked like the host rows. *ret owned by the caller. */
struct rep_probe_pair {
	const struct rep_probe *before, *after; /* either may be NULL */
	enum rep_change change;
	size_t seq; /* pairing order */
};
size_t rep_probe_pairs(const struct rep_diff *d, bool ranked, struct rep_probe_pair **ret);
void rep_probes_diff_md(FILE *fp, const struct rep_diff *d, const struct rep_render *r);
void rep_probes_diff_html(FILE *fp, const struct rep_diff *d, const struct rep_render *r);
void rep_probes_diff_json(FILE *fp, const struct rep_diff *d);

#endif
