/* output.h - rendering records for people and machines. Every string that came
 * from the wire is escaped here, at the format boundary. */
#ifndef TLSAUDIT_OUTPUT_H
#define TLSAUDIT_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "tlsaudit/record.h"
#include "tlsaudit/store.h"

/* One NDJSON line (with '\n') for a record. */
int out_ndjson_record(FILE *fp, const struct ta_record *r);

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
/* Cipher name: IANA name, "0xC02F" when unnamed, SSLv2 names; NULL-free. */
const char *out_cipher(const struct ta_record *r, char buf[static 16]);

/* Human summary line for one host and role. */
void out_text_summary_header(FILE *fp);
void out_text_summary_row(FILE *fp, const struct store_host_summary *h);

#endif
