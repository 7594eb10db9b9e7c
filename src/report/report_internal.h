/* report_internal.h - what the report library's format files share: the per-format function table and
 * helpers that format values (never wire strings: those go through each format's escaper). */
#ifndef TLSAUDIT_REPORT_INTERNAL_H
#define TLSAUDIT_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsaudit/report.h"

/* One small table of functions per output format. */
struct rep_format_ops {
	const char *name;
	void (*report)(FILE *fp, const struct rep_data *d);
	void (*diff)(FILE *fp, const struct rep_diff *d);
};
extern const struct rep_format_ops rep_fmt_text, rep_fmt_md, rep_fmt_csv, rep_fmt_json, rep_fmt_html;

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

const char *rep_version(uint16_t level, char buf[static 32]); /* "-" for 0 */
extern const char *const rep_vcol_names[REP_V_COUNT];
void rep_ts(int64_t ns, char buf[static 64]);			   /* RFC 3339 UTC, "-" for 0 */
void rep_ts_human(int64_t ns, char buf[static 64]);		   /* "2026-11-27 12:00:00Z", "-" for 0 */
void rep_peer_text(const struct rep_peer *p, char buf[static 64]); /* "10.0.0.5:443", "[2001:db8::1]:443" */
/* Plain-words sentence for one reason bit of a host ("3 handshakes failed whose ClientHello offered at most
 * TLS 1.0 ..."); built only from numbers and our own names. */
void rep_reason_text(const struct rep_host *h, unsigned reason, uint16_t min_level, char *buf, size_t len);
extern const unsigned rep_reason_bits[5];
const char *rep_reason_key(unsigned reason); /* "max_old", ... (JSON/CSV) */
size_t rep_host_count(const struct rep_data *d, enum rep_verdict v);

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

/* ---- probes (fmt_probe.c): the "Probes" section of each format, the verdict rule for probed servers ---- */
void rep_probe_evaluate(struct rep_data *d); /* probe verdicts; REP_R_PROBE_OLD on the probed server rows */
void rep_probe_reason_text(const struct rep_host *h, uint16_t min_level, char *buf, size_t len);
void rep_probe_state(const struct rep_host *h, char *buf, size_t len); /* "probed: accepts TLS 1.2, TLS 1.3" */
void rep_probes_text(FILE *fp, const struct rep_data *d); /* each writes nothing when there are no probes */
void rep_probes_md(FILE *fp, const struct rep_data *d);
void rep_probes_html(FILE *fp, const struct rep_data *d);
void rep_probes_json(FILE *fp, const struct rep_data *d); /* ,"probes":[...] */
void rep_probes_diff_text(FILE *fp, const struct rep_diff *d);
void rep_probes_diff_md(FILE *fp, const struct rep_diff *d);
void rep_probes_diff_html(FILE *fp, const struct rep_diff *d);
void rep_probes_diff_json(FILE *fp, const struct rep_diff *d);

#endif
