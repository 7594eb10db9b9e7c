/* output.h - rendering records for people and machines. Every string that came
 * from the wire is escaped here, at the format boundary. */
#ifndef TLSAUDIT_OUTPUT_H
#define TLSAUDIT_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "tlsaudit/record.h"

struct agg;
struct agg_host;

/* One NDJSON line (with '\n') for a record. Returns 0 or -1 when the stream failed. */
int out_ndjson_record(FILE *fp, const struct ta_conn *r);

/* Escapers, shared by every format. */
void out_json_string(FILE *fp, const char *s, size_t len); /* writes "..." */
void out_text_string(FILE *fp, const char *s, size_t len); /* non-printables as \xNN */
bool out_is_utf8(const char *s, size_t len);
void out_html_string(FILE *fp, const char *s, size_t len); /* entities; invalid UTF-8 as U+FFFD */
void out_csv_string(FILE *fp, const char *s, size_t len);  /* quoted cell, leading = + - @ neutralised */
void out_md_string(FILE *fp, const char *s, size_t len);   /* Markdown punctuation escaped */

/* Formatting helpers: RFC 3339 UTC with microseconds; address text. */
void out_rfc3339(int64_t ts_ns, char buf[static 64]);
/* RFC 3339 UTC, whole seconds ("2031-05-01T12:00:00Z"), from seconds since the epoch. */
void out_rfc3339_s(int64_t sec, char buf[static 64]);
void out_ip(uint8_t family, const uint8_t ip[16], char buf[static 48]);
/* The human summary after `read`: one line per host and role of the aggregate (sorted). */
void out_text_summary(FILE *fp, struct agg *a);

#endif
