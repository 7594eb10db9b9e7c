/* format.c - escaping and value formatting shared by every output format.
 * specification: RFC 8259 section 7 (JSON strings), RFC 3339 (timestamps),
 * RFC 3629 (UTF-8 validity), RFC 5952 (IPv6 text form, via inet_ntop). */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "tlsaudit/output.h"
#include "tlsaudit/reader.h"

/* Length of the valid UTF-8 sequence at the reader's position, 0 if invalid. */
static size_t utf8_seq_len(const struct br *r)
{
	uint8_t b0 = br_peek(r, 0);
	size_t n;
	uint32_t min;
	if (b0 < 0x80)
		return 1;
	if ((b0 & 0xe0) == 0xc0) {
		n = 2;
		min = 0x80;
	} else if ((b0 & 0xf0) == 0xe0) {
		n = 3;
		min = 0x800;
	} else if ((b0 & 0xf8) == 0xf0) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (br_left(r) < n)
		return 0;
	uint32_t cp = b0 & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		uint8_t b = br_peek(r, i);
		if ((b & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (b & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Code points that are valid UTF-8 but must not reach a reader raw: C1 controls (terminal escapes: U+009B is
 * CSI), bidirectional overrides, embeddings and isolates (U+202E turns "gpj.exe" around: CVE-2021-42574
 * "Trojan Source"), zero-width and other invisible format characters that make two names look alike, line and
 * paragraph separators, the BOM, and tag characters. Unicode 15 general category Cc above ASCII and the Cf
 * characters that change how text around them is shown. */
bool out_cp_unsafe(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x61c || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
	       cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

/* The code point of the valid n-byte sequence at the reader's position. */
static uint32_t utf8_cp(const struct br *r, size_t n)
{
	uint32_t cp = br_peek(r, 0) & (0x7f >> n);
	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (br_peek(r, i) & 0x3f);
	return cp;
}

/* Copy valid multi-byte UTF-8 sequences as they are (unsafe ones through cp_fn) and hand every other byte
 * (ASCII, or a byte of an invalid sequence: invalid = true) to byte_fn: the one walk under every format's
 * escaper. */
typedef void (*out_byte_fn)(FILE *fp, uint8_t c, bool invalid);
typedef void (*out_cp_fn)(FILE *fp, uint32_t cp);

static void out_walk_utf8(FILE *fp, const char *s, size_t len, out_byte_fn byte_fn, out_cp_fn cp_fn)
{
	struct br r = br_make((const uint8_t *)s, len);
	while (!br_empty(&r)) {
		size_t n = utf8_seq_len(&r);
		if (n > 1) {
			uint32_t cp = utf8_cp(&r, n);
			const uint8_t *p = br_ptr(&r, n);
			if (out_cp_unsafe(cp))
				cp_fn(fp, cp);
			else
				fwrite(p, 1, n, fp);
			continue;
		}
		byte_fn(fp, br_u8(&r), n == 0);
	}
}

/* an unsafe code point as visible text: \u{202e} */
static void visible_cp(FILE *fp, uint32_t cp)
{
	fprintf(fp, "\\u{%04" PRIx32 "}", cp);
}

static void json_byte(FILE *fp, uint8_t c, bool invalid)
{
	if (invalid) {
		fputs("\\ufffd", fp); /* invalid UTF-8: see the *_hex field for the bytes */
		return;
	}
	switch (c) {
	case '"': fputs("\\\"", fp); break;
	case '\\': fputs("\\\\", fp); break;
	case '\n': fputs("\\n", fp); break;
	case '\r': fputs("\\r", fp); break;
	case '\t': fputs("\\t", fp); break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
}

/* JSON keeps the character (RFC 8259 section 7 escape: lossless) but never writes it raw */
static void json_cp(FILE *fp, uint32_t cp)
{
	if (cp > 0xffff) {
		cp -= 0x10000;
		fprintf(fp, "\\u%04" PRIx32 "\\u%04" PRIx32, 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
	} else {
		fprintf(fp, "\\u%04" PRIx32, cp);
	}
}

void out_json_string(FILE *fp, const char *s, size_t len)
{
	fputc('"', fp);
	out_walk_utf8(fp, s, len, json_byte, json_cp);
	fputc('"', fp);
}

bool out_is_utf8(const char *s, size_t len)
{
	struct br r = br_make((const uint8_t *)s, len);
	while (!br_empty(&r)) {
		size_t n = utf8_seq_len(&r);
		if (n == 0)
			return false;
		br_skip(&r, n);
	}
	return true;
}

void out_text_string(FILE *fp, const char *s, size_t len)
{
	struct br r = br_make((const uint8_t *)s, len);
	while (!br_empty(&r)) {
		uint8_t c = br_u8(&r);
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, fp);
		else
			fprintf(fp, "\\x%02x", c); /* terminal control bytes made visible */
	}
}

/* For a terminal line that may be read by a person, e.g. a file name: valid UTF-8 stays readable, but control
 * bytes (C0, DEL), backslash and invalid bytes become \xNN and unsafe code points \u{NNNN}. */
static void term_byte(FILE *fp, uint8_t c, bool invalid)
{
	if (invalid || c < 0x20 || c == 0x7f || c == '\\')
		fprintf(fp, "\\x%02x", c);
	else
		fputc(c, fp);
}

void out_term_string(FILE *fp, const char *s, size_t len)
{
	out_walk_utf8(fp, s, len, term_byte, visible_cp);
}

void out_term_vline(FILE *fp, const char *fmt, va_list ap)
{
	char line[4096];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	out_term_string(fp, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	fputc('\n', fp);
}

void out_rfc3339(int64_t ts_ns, char buf[static 64])
{
	int64_t sec = ts_ns / 1000000000;
	int64_t us = (ts_ns % 1000000000) / 1000;
	if (us < 0) {
		us += 1000000;
		sec -= 1;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, 64, "invalid");
		return;
	}
	snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

void out_rfc3339_s(int64_t sec, char buf[static 64])
{
	time_t t = (time_t)sec;
	struct tm tm;
	if ((int64_t)t != sec || !gmtime_r(&t, &tm)) {
		snprintf(buf, 64, "invalid");
		return;
	}
	snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

void out_ip(uint8_t family, const uint8_t ip[16], char buf[static 48])
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf, 48))
		snprintf(buf, 48, "?");
}

/* HTML text or attribute value: entities for & < > " ', invalid UTF-8 as U+FFFD, control bytes made visible. */
static void html_byte(FILE *fp, uint8_t c, bool invalid)
{
	if (invalid) {
		fputs("&#xFFFD;", fp);
		return;
	}
	switch (c) {
	case '&': fputs("&amp;", fp); break;
	case '<': fputs("&lt;", fp); break;
	case '>': fputs("&gt;", fp); break;
	case '"': fputs("&quot;", fp); break;
	case '\'': fputs("&#39;", fp); break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
}

void out_html_string(FILE *fp, const char *s, size_t len)
{
	out_walk_utf8(fp, s, len, html_byte, visible_cp);
}

/* One quoted CSV cell (RFC 4180). A cell that a spreadsheet would read as a formula (first byte = + - @, tab or
 * CR) gets a leading apostrophe (OWASP "CSV injection"); control bytes and invalid UTF-8 become \xNN so a
 * record is always one line. */
static void csv_byte(FILE *fp, uint8_t c, bool invalid)
{
	if (invalid || c < 0x20 || c == 0x7f)
		fprintf(fp, "\\x%02x", c);
	else if (c == '"')
		fputs("\"\"", fp);
	else
		fputc(c, fp);
}

void out_csv_string(FILE *fp, const char *s, size_t len)
{
	fputc('"', fp);
	if (len && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
		fputc('\'', fp);
	out_walk_utf8(fp, s, len, csv_byte, visible_cp);
	fputc('"', fp);
}

/* Markdown (CommonMark/GFM table cell): ASCII punctuation backslash-escaped, < > & as entities, control bytes,
 * invalid UTF-8 and unsafe code points as \xNN / \u{NNNN} (with the backslash escaped). Nothing from the
 * wire may become a link: GFM's extended autolinks start at "scheme://" and "www." (found while parsing, so an
 * escaped ':' or '.' stops them) and at an e-mail address (found after parsing, in text that escapes and
 * entities no longer divide), so the '@' goes into a code span of its own. */
static void md_byte(FILE *fp, uint8_t c, bool invalid)
{
	if (invalid || c < 0x20 || c == 0x7f)
		fprintf(fp, "\\\\x%02x", c);
	else if (c == '<')
		fputs("&lt;", fp);
	else if (c == '>')
		fputs("&gt;", fp);
	else if (c == '&')
		fputs("&amp;", fp);
	else if (c == '@')
		fputs("`@`", fp);
	else if (strchr("\\`*_{}[]()#+-!|~", c))
		fprintf(fp, "\\%c", c);
	else
		fputc(c, fp);
}

static void md_cp(FILE *fp, uint32_t cp)
{
	fprintf(fp, "\\\\u{%04" PRIx32 "}", cp);
}

void out_md_string(FILE *fp, const char *s, size_t len)
{
	struct br r = br_make((const uint8_t *)s, len);
	size_t off = 0;
	while (!br_empty(&r)) {
		size_t n = utf8_seq_len(&r);
		if (n > 1) {
			out_walk_utf8(fp, (const char *)br_ptr(&r, n), n, md_byte, md_cp);
			off += n;
			continue;
		}
		uint8_t c = br_u8(&r);
		/* "://" and "www." : the ':' or the '.' escaped */
		bool url = c == ':' && len - off >= 3 && s[off + 1] == '/' && s[off + 2] == '/';
		bool www = c == '.' && off >= 3 && strncasecmp(s + off - 3, "www", 3) == 0;
		/* an e-mail autolink needs a local part right before the '@' (GFM: alphanumerics . - _ +); at the
		 * start of the string what comes before is not known, so that '@' is kept apart too */
		bool mail = c == '@' && (off == 0 || isalnum((unsigned char)s[off - 1]) || strchr(".-_+", s[off - 1]));
		if (url || www)
			fprintf(fp, "\\%c", c);
		else if (c == '@' && !mail)
			fputc('@', fp);
		else
			md_byte(fp, c, n == 0);
		off++;
	}
}
