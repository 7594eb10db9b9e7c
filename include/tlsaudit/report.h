/* report.h - policy verdicts, remediation hints and rendering of reports and before/after diffs in text,
 * Markdown, CSV, JSON and self-contained HTML. Every wire string is escaped by the format that writes it. */
#ifndef TLSAUDIT_REPORT_H
#define TLSAUDIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsaudit/report_data.h"

#define REP_JSON_VERSION 2  /* "report_version" in JSON output; bumped only when a key changes meaning */
#define REP_DEFAULT_TOP	 20 /* rows per section of text, Markdown and HTML reports (--top) */

enum rep_format { REP_FMT_TEXT, REP_FMT_MD, REP_FMT_CSV, REP_FMT_JSON, REP_FMT_HTML, REP_FMT_COUNT_ };

bool report_format_parse(const char *name, enum rep_format *ret);
/* "TLS 1.2", "1.2", "tls1.2", "SSL 3.0" -> protocol version level (0x0303). */
bool report_version_parse(const char *name, uint16_t *ret);
/* "ok", "at risk", "violation", "stale", "no data" */
const char *report_verdict_name(enum rep_verdict v);

/* ---- policy ---------------------------------------------------------------------------------------------- */

void report_policy_default(struct rep_policy *p); /* the defaults (README "Policy") */
/* One setting, as a line of a policy file says it: key and value ("cert_expired", "at-risk"). Returns 0, or
 * -EINVAL with the reason in err. */
int report_policy_set(struct rep_policy *p, const char *key, const char *value, char *err, size_t errlen);
/* A policy file: "key = value" lines, '#' comments, blank lines (text borrowed, len bytes, need not end in NUL).
 * Returns 0, or -EINVAL with "line N: reason" in err. */
int report_policy_parse(struct rep_policy *p, const char *text, size_t len, char *err, size_t errlen);
/* The policy as "key = value" lines, in the file's syntax (what the report prints under "policy"). */
void report_policy_write(FILE *fp, const struct rep_policy *p);
const char *report_reason_key(unsigned reason);	 /* "old_hello_failed", "cert_expired", ... */
const char *report_level_name(enum rep_level l); /* "ignore", "info", "at-risk", "violation" */
const char *report_weak_name(enum rep_weak w);	 /* "RC4", "3DES", "export", "NULL/anon", "DES", "MD5", "CBC-SHA1" */

/* Set reasons_mask, verdict and the Windows evidence of every host, the ranking and the overall verdict, from
 * the counts, p (copied; its min_level must be the one the data was loaded with: d->q.min_level wins) and
 * d->prov.generated_ns (the "now" of --max-age). */
void report_evaluate(struct rep_data *d, const struct rep_policy *p);
enum rep_verdict report_overall(const struct rep_data *d); /* d->overall */

/* ---- remediation hints: one static table (hints.c) -------------------------------------------------------- */

/* A copy-ready block: a .reg file, PowerShell, a configuration snippet. */
struct rep_snippet {
	const char *label; /* "Registry file (.reg)" */
	const char *text;  /* lines separated by \n */
};

/* Windows evidence a hint asks for (rep_host.windows: the address also sent SChannel hellos). */
enum rep_hint_win { REP_HW_ANY = 0, REP_HW_WINDOWS, REP_HW_NOT_WINDOWS };

/* A hint applies to a host role when the roles match, (reasons & when) != 0, (reasons & unless) == 0 and the
 * Windows evidence matches win; for a client, to each of its stacks with the stack's own reasons, chosen by
 * family:
 *   family NULL   - host level (servers, posture): every matching hint applies;
 *   family "x"    - a stack of that family (and, when windows is set, that Windows release);
 *   family "*"    - any identified stack without a hint of its own (the steps come from stack.h's family facts);
 *   family ""     - a stack that was not identified.
 * A client stack takes the first matching hint in table order (the table lists specific before general). */
struct rep_hint {
	const char *id;	     /* stable key, e.g. "schannel-client-win7" */
	const char *role;    /* "client" or "server" */
	unsigned when;	     /* REP_R_* bits: applies when one of them is set ... */
	unsigned unless;     /* ... and none of these */
	const char *family;  /* see above */
	const char *windows; /* schannel: the Windows release (stack_windows_info name), NULL = any */
	enum rep_hint_win win;
	const char *title;		/* one sentence: what was seen and what it means */
	const char *action;		/* the change in a few words, for the first screen */
	const char *steps[8];		/* what to change, NULL-terminated */
	struct rep_snippet snippets[3]; /* copy-ready blocks (.text NULL: none) */
};
extern const struct rep_hint rep_hints[];
extern const size_t rep_n_hints;

/* One use of a hint: by a host role, for one of its stacks (client) or the host itself (stack == SIZE_MAX). */
struct rep_hint_use {
	const struct rep_hint *hint;
	size_t stack;
};
#define REP_MAX_HOST_HINTS (REP_MAX_STACKS + 12)
/* The hints for one evaluated host role; returns how many were written to out (at most max). */
size_t report_host_hints(const struct rep_host *h, struct rep_hint_use *out, size_t max);
/* The reasons of one client stack (REP_R_MAX_OLD, _MAX_OLD_FAILED, _NEG_OLD, _OFFERS_OLD). */
unsigned report_stack_reasons(const struct rep_stack *s);
/* "Windows SChannel", "OpenSSL", "Java (SunJSSE)", ...; "unidentified stack" for "" */
const char *report_family_label(const char *family);

/* ---- rendering ------------------------------------------------------------------------------------------- */

struct rep_render {
	size_t top;	/* rows per section of text, Markdown, HTML (0: REP_DEFAULT_TOP); CSV and JSON list all */
	unsigned width; /* text: line width (0: 100) */
	bool color;	/* text: ANSI colours for verdicts */
};

/* Write the whole report (r NULL: defaults); returns 0 or -EIO when the stream failed. */
int report_write(FILE *fp, enum rep_format f, const struct rep_data *d, const struct rep_render *r);

enum rep_change {
	REP_CH_REGRESSED,
	REP_CH_NEW,
	REP_CH_CHANGED,
	REP_CH_IMPROVED,
	REP_CH_FIXED,
	REP_CH_GONE,
	REP_CH_UNCHANGED,
};
struct rep_diff_row {
	const struct rep_host *before, *after; /* borrowed from the two rep_data; either may be NULL */
	enum rep_change change;
};
struct rep_diff {
	const struct rep_data *before, *after; /* borrowed */
	struct rep_diff_row *rows;	       /* owned; ordered like the hosts */
	size_t n_rows;
	size_t *rank; /* owned: row indices, most important first (regressed, new problems, ..., unchanged) */
};
const char *report_change_name(enum rep_change c);
/* Pair the hosts of two evaluated reports by address and role. */
int report_diff_build(const struct rep_data *before, const struct rep_data *after, struct rep_diff **ret);
void report_diff_free(struct rep_diff *d); /* accepts NULL */
int report_diff_write(FILE *fp, enum rep_format f, const struct rep_diff *d, const struct rep_render *r);
/* "TLS 1.0 (3 failed to 127.0.0.20:443)" / "TLS 1.2 (3 established)": one host and role in one line. */
void report_host_state(const struct rep_host *h, char *buf, size_t len);

#endif
