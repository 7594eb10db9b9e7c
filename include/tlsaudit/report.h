/* report.h - policy verdicts, remediation hints and rendering of reports and before/after diffs in text,
 * Markdown, CSV, JSON and self-contained HTML. Every wire string is escaped by the format that writes it. */
#ifndef TLSAUDIT_REPORT_H
#define TLSAUDIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsaudit/report_data.h"

#define REP_JSON_VERSION 1 /* "report_version" in JSON output; bumped only when a key changes meaning */

enum rep_format { REP_FMT_TEXT, REP_FMT_MD, REP_FMT_CSV, REP_FMT_JSON, REP_FMT_HTML, REP_FMT_COUNT_ };

bool report_format_parse(const char *name, enum rep_format *ret);
/* "TLS 1.2", "1.2", "tls1.2", "SSL 3.0" -> protocol version level (0x0303). */
bool report_version_parse(const char *name, uint16_t *ret);
const char *report_verdict_name(enum rep_verdict v); /* "ok", "at risk", "violation" */

/* Set reasons_mask and verdict of every host from its counts and d->q.min_level (rules in README). */
void report_evaluate(struct rep_data *d);
enum rep_verdict report_overall(const struct rep_data *d); /* worst verdict; REP_OK without hosts */

/* Remediation hints: one static table (hints.c). A hint applies to a host when the roles match and
 * (host reasons & when) != 0 and (host reasons & unless) == 0. */
struct rep_hint {
	const char *id;	      /* stable key, e.g. "client-old-failed" */
	const char *role;     /* "client" or "server" */
	unsigned when;	      /* REP_R_* bits: applies when one of them is set ... */
	unsigned unless;      /* ... and none of these (a more specific hint covers it) */
	const char *title;    /* one sentence: what was seen and what it means */
	const char *steps[8]; /* what to change, NULL-terminated */
};
extern const struct rep_hint rep_hints[];
extern const size_t rep_n_hints;
bool report_hint_applies(const struct rep_hint *hint, const struct rep_host *h);

/* Write the whole report; returns 0 or -EIO when the stream failed. */
int report_write(FILE *fp, enum rep_format f, const struct rep_data *d);

enum rep_change {
	REP_CH_FIXED,
	REP_CH_IMPROVED,
	REP_CH_REGRESSED,
	REP_CH_CHANGED,
	REP_CH_UNCHANGED,
	REP_CH_NEW,
	REP_CH_GONE
};
struct rep_diff_row {
	const struct rep_host *before, *after; /* borrowed from the two rep_data; either may be NULL */
	enum rep_change change;
};
struct rep_diff {
	const struct rep_data *before, *after; /* borrowed */
	struct rep_diff_row *rows;	       /* owned; ordered like the hosts */
	size_t n_rows;
};
const char *report_change_name(enum rep_change c);
/* Pair the hosts of two evaluated reports by address and role. */
int report_diff_build(const struct rep_data *before, const struct rep_data *after, struct rep_diff **ret);
void report_diff_free(struct rep_diff *d); /* accepts NULL */
int report_diff_write(FILE *fp, enum rep_format f, const struct rep_diff *d);
/* "TLS 1.0 (3 failed to 127.0.0.20:443)" / "TLS 1.2 (3 established)": one host and role in one line. */
void report_host_state(const struct rep_host *h, char *buf, size_t len);

#endif
