/* output.h - rendering records for people and machines. Every string that came
 * from the wire is escaped here, at the format boundary. */
#ifndef TLSAUDIT_OUTPUT_H
#define TLSAUDIT_OUTPUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "tlsaudit/record.h"

struct agg;
struct agg_host;

/* Where a record was seen, for the event formats: borrowed strings; NULL or "" is written as null. */
struct out_event_ctx {
	const char *sensor;  /* host name of the sensor that read the capture (captures.sensor) */
	const char *capture; /* the capture's path as given, or the interface of a live capture (captures.path) */
	int64_t now_ns;	     /* wall clock of the export (Zeek's #open and #close lines); 0 = unknown */
};

/* The version of the NDJSON line's schema (docs/ndjson.schema.json, its "schema_version" field): raised when a
 * field is added or its meaning changes. Fields are never removed or renamed, so a reader of version N reads
 * every later line. */
#define OUT_NDJSON_SCHEMA_VERSION 1

/* One NDJSON line (with '\n') for a record. Returns 0 or -1 when the stream failed. ctx may be NULL. */
int out_ndjson_event(FILE *fp, const struct ta_conn *r, const struct out_event_ctx *ctx);
/* The same without a context (sensor and capture null). */
int out_ndjson_record(FILE *fp, const struct ta_conn *r);

/* Event formats for export: one table of functions each (begin and end may be NULL). */
struct out_event_format {
	const char *name; /* "ndjson", "ecs", "zeek" */
	int (*begin)(FILE *fp, const struct out_event_ctx *ctx);
	int (*record)(FILE *fp, const struct ta_conn *r, const struct out_event_ctx *ctx);
	int (*end)(FILE *fp, const struct out_event_ctx *ctx);
};
extern const struct out_event_format out_format_ndjson; /* ndjson.c: our NDJSON line */
extern const struct out_event_format out_format_ecs;	/* ecs.c: Elastic Common Schema JSON, one line each */
extern const struct out_event_format out_format_zeek;	/* zeek.c: a Zeek ssl.log (TSV with its header) */
/* The format called name, or NULL. */
const struct out_event_format *out_event_format_find(const char *name);

/* Community ID v1 (community_id.c) of a TCP connection: "1:" and 28 base64 characters. False (out "") when
 * family is not 4 or 6 or the hash failed. */
#define OUT_COMMUNITY_ID_LEN 32
bool out_community_id(uint8_t family, const uint8_t client_ip[16], uint16_t client_port, const uint8_t server_ip[16],
		      uint16_t server_port, uint16_t seed, char out[static OUT_COMMUNITY_ID_LEN]);

/* Escapers, shared by every format. */
void out_json_string(FILE *fp, const char *s, size_t len); /* writes "..." */
void out_text_string(FILE *fp, const char *s, size_t len); /* non-printables as \xNN */
void out_term_string(FILE *fp, const char *s, size_t len); /* readable UTF-8; controls, \\ as \xNN */
/* fmt formatted (up to 4 KiB), written with out_term_string, then a newline: a message line for a terminal */
__attribute__((format(printf, 2, 0))) void out_term_vline(FILE *fp, const char *fmt, va_list ap);
bool out_is_utf8(const char *s, size_t len);
/* A code point that no human-facing output writes raw (C1 controls, bidi overrides and isolates, invisible
 * format characters): text, CSV, Markdown and HTML show it as \u{NNNN}, JSON as a \u escape. */
bool out_cp_unsafe(uint32_t cp);
void out_html_string(FILE *fp, const char *s, size_t len); /* entities; invalid UTF-8 as U+FFFD */
void out_csv_string(FILE *fp, const char *s, size_t len);  /* quoted cell, leading = + - @ neutralised */
void out_md_string(FILE *fp, const char *s, size_t len);   /* Markdown punctuation escaped, never a link */

/* Formatting helpers: RFC 3339 UTC with microseconds; address text. */
void out_rfc3339(int64_t ts_ns, char buf[static 64]);
/* RFC 3339 UTC, whole seconds ("2031-05-01T12:00:00Z"), from seconds since the epoch. */
void out_rfc3339_s(int64_t sec, char buf[static 64]);
void out_ip(uint8_t family, const uint8_t ip[16], char buf[static 48]);
/* The human summary after `read`: one line per host and role of the aggregate (sorted). */
void out_text_summary(FILE *fp, struct agg *a);

#endif
