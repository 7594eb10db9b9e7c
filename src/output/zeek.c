/* zeek.c - connections as a Zeek ssl.log (`export --format zeek`): Zeek's ASCII log format, tab-separated, with
 * its header (#separator, #set_separator, #empty_field, #unset_field, #path, #open, #fields, #types) and #close.
 * specification: Zeek's ASCII writer (logging/writers/ascii) and the columns of base/protocols/ssl/main.zeek
 * (ts uid id.* version cipher curve server_name resumed last_alert next_protocol established), then ja3/ja3s (the
 * ja3 package), ja4 (the ja4 package), community_id, and our own facts. Zeek tooling (zeek-cut, the Zeek log
 * readers of SIEMs) reads columns by the #fields line, so extra columns are safe.
 *
 * Design note. Values are escaped as Zeek does: every byte that is not printable ASCII, the backslash, and the
 * set separator inside a set become \xNN; an empty string is the empty field, a missing one the unset field,
 * and a value that would read as either is escaped. The uid is not Zeek's random one (a passive re-read has
 * no Zeek state): it is "C" and base62 of SHA-1 over the first packet's time and the Community ID, so an
 * export is the same every time and the same connection seen by two sensors gets the same uid.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "tlsaudit/dict.h"
#include "tlsaudit/names.h"
#include "tlsaudit/output.h"
#include "tlsaudit/tls.h"

#define ZEEK_UNSET "-"
#define ZEEK_EMPTY "(empty)"

static const char *const fields[][2] = {
	{"ts", "time"},
	{"uid", "string"},
	{"id.orig_h", "addr"},
	{"id.orig_p", "port"},
	{"id.resp_h", "addr"},
	{"id.resp_p", "port"},
	{"version", "string"},
	{"cipher", "string"},
	{"curve", "string"},
	{"server_name", "string"},
	{"resumed", "bool"},
	{"last_alert", "string"},
	{"next_protocol", "string"},
	{"established", "bool"},
	{"ja3", "string"},
	{"ja3s", "string"},
	{"ja4", "string"},
	{"community_id", "string"},
	{"client_version", "string"},
	{"client_max_version", "string"},
	{"client_supported_versions", "vector[string]"},
	{"outcome", "string"},
	{"alert_sender", "string"},
	{"sensor", "string"},
	{"capture", "string"},
};

static void zeek_time(FILE *fp, const char *tag, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	if (!ns || !gmtime_r(&t, &tm)) {
		fprintf(fp, "#%s\t%s\n", tag, ZEEK_UNSET);
		return;
	}
	fprintf(fp, "#%s\t%04d-%02d-%02d-%02d-%02d-%02d\n", tag, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int zeek_begin(FILE *fp, const struct out_event_ctx *ctx)
{
	fputs("#separator \\x09\n#set_separator\t,\n#empty_field\t" ZEEK_EMPTY "\n#unset_field\t" ZEEK_UNSET
	      "\n#path\tssl\n",
	      fp);
	zeek_time(fp, "open", ctx ? ctx->now_ns : 0);
	fputs("#fields", fp);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fprintf(fp, "\t%s", fields[i][0]);
	fputs("\n#types", fp);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fprintf(fp, "\t%s", fields[i][1]);
	fputc('\n', fp);
	return ferror(fp) ? -1 : 0;
}

static int zeek_end(FILE *fp, const struct out_event_ctx *ctx)
{
	zeek_time(fp, "close", ctx ? ctx->now_ns : 0);
	return ferror(fp) ? -1 : 0;
}

/* One field's bytes, escaped (design note). in_set: also the set separator. */
static void zeek_bytes(FILE *fp, const char *s, size_t n, bool in_set)
{
	if (n == 0) {
		fputs(ZEEK_EMPTY, fp);
		return;
	}
	bool ambiguous = (n == 1 && s[0] == '-') || (n == sizeof(ZEEK_EMPTY) - 1 && memcmp(s, ZEEK_EMPTY, n) == 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c < 0x20 || c >= 0x7f || c == '\\' || (in_set && c == ',') || (ambiguous && i == 0))
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
}

static void col_str(FILE *fp, const char *s)
{
	fputc('\t', fp);
	if (!s || !*s)
		fputs(ZEEK_UNSET, fp);
	else
		zeek_bytes(fp, s, strlen(s), false);
}

static void col_dstr(FILE *fp, const struct dict_str *s)
{
	fputc('\t', fp);
	if (!s)
		fputs(ZEEK_UNSET, fp);
	else
		zeek_bytes(fp, s->bytes, s->len, false);
}

static void col_bool(FILE *fp, bool b)
{
	fputs(b ? "\tT" : "\tF", fp);
}

/* Zeek's version strings (base/protocols/ssl/consts.zeek version_strings): SSLv2, SSLv3, TLSv10 ... TLSv13,
 * TLS 1.3 drafts as TLSv13-draftN, anything else unknown-N; made from the names module's "TLS 1.2" */
static const char *zeek_version(uint16_t v, char buf[static NAMES_BUF])
{
	const char *n = names_version_known(v);
	if ((v >> 8) == 0x7f) {
		snprintf(buf, NAMES_BUF, "TLSv13-draft%u", (unsigned)(v & 0xff));
		return buf;
	}
	if (n && strlen(n) == 7 && n[4] >= '0' && n[4] <= '9' && n[5] == '.' && n[6] >= '0' && n[6] <= '9') {
		if (strncmp(n, "SSL ", 4) == 0)
			snprintf(buf, NAMES_BUF, "SSLv%c", n[4]);
		else
			snprintf(buf, NAMES_BUF, "TLSv%c%c", n[4], n[6]);
		return buf;
	}
	snprintf(buf, NAMES_BUF, "unknown-%u", (unsigned)v);
	return buf;
}

/* "C" + base62 of the first 12 bytes of SHA-1(ts_ns "|" community id) (design note) */
static void zeek_uid(const struct ta_conn *r, const char *cid, char out[24])
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char in[96];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n = snprintf(in, sizeof(in), "%" PRId64 "|%s", r->ts_ns, cid);

	out[0] = 'C';
	out[1] = '\0';
	if (n < 0 || EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen < 12)
		return;
	/* two 48-bit halves, 9 base62 digits each at most (62^9 > 2^48) */
	size_t o = 1;
	for (int half = 0; half < 2; half++) {
		uint64_t v = 0;
		for (int i = 0; i < 6; i++)
			v = v << 8 | md[half * 6 + i];
		char tmp[10];
		int k = 0;
		do {
			tmp[k++] = b62[v % 62];
			v /= 62;
		} while (v && k < 10);
		while (k)
			out[o++] = tmp[--k];
	}
	out[o] = '\0';
}

static int zeek_record(FILE *fp, const struct ta_conn *r, const struct out_event_ctx *ctx)
{
	const struct dict_hello *h = r->hello;
	char ip[48], b[NAMES_BUF], cid[OUT_COMMUNITY_ID_LEN], uid[24];
	int64_t s = r->ts_ns / 1000000000, us = (r->ts_ns % 1000000000) / 1000;

	if (us < 0) {
		us += 1000000;
		s -= 1;
	}
	if (!out_community_id(r->family, r->client_ip, r->client_port, r->server_ip, r->server_port, 0, cid))
		cid[0] = '\0';
	zeek_uid(r, cid, uid);
	fprintf(fp, "%" PRId64 ".%06" PRId64 "\t%s", s, us, uid);
	out_ip(r->family, r->client_ip, ip);
	fprintf(fp, "\t%s\t%u", ip, r->client_port);
	out_ip(r->family, r->server_ip, ip);
	fprintf(fp, "\t%s\t%u", ip, r->server_port);
	col_str(fp, r->negotiated_version ? zeek_version(r->negotiated_version, b) : NULL);
	col_str(fp, r->has_cipher ? names_conn_cipher(r->cipher, r->cipher_sslv2, b) : NULL);
	col_str(fp, r->kx_group ? names_group(r->kx_group, b) : NULL);
	col_dstr(fp, r->sni);
	col_bool(fp, r->resumed);
	col_str(fp, r->has_alert ? names_alert(r->alert_desc, b) : NULL);
	col_dstr(fp, r->alpn);
	col_bool(fp, r->established);
	col_str(fp, h ? h->d.ja3 : NULL);
	col_str(fp, r->server ? r->server->ja3s : NULL);
	col_str(fp, h ? h->d.ja4 : NULL);
	col_str(fp, cid);
	col_str(fp, h && h->legacy_version ? zeek_version(h->legacy_version, b) : NULL);
	col_str(fp, h && h->max_version ? zeek_version(h->max_version, b) : NULL);
	fputc('\t', fp);
	if (!h || !h->has_supported_versions) {
		fputs(ZEEK_UNSET, fp);
	} else {
		unsigned k = 0;
		for (unsigned i = 0; i < h->n_versions; i++) {
			if (tls_is_grease(h->versions[i]))
				continue;
			if (k++)
				fputc(',', fp);
			const char *v = zeek_version(h->versions[i], b);
			zeek_bytes(fp, v, strlen(v), true);
		}
		if (!k)
			fputs(ZEEK_EMPTY, fp);
	}
	col_str(fp, names_outcome(r->outcome));
	col_str(fp, r->has_alert ? names_side(r->alert_sender) : NULL);
	col_str(fp, ctx ? ctx->sensor : NULL);
	col_str(fp, ctx ? ctx->capture : NULL);
	fputc('\n', fp);
	return ferror(fp) ? -1 : 0;
}

const struct out_event_format out_format_zeek = {
	.name = "zeek",
	.begin = zeek_begin,
	.record = zeek_record,
	.end = zeek_end,
};
