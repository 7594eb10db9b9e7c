/* ndjson.c - one JSON object per connection (the SIEM contract, README "NDJSON
 * fields"). specification: RFC 8259, ndjson.org. Field names are a contract:
 * add fields, never rename one. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlsaudit/classify.h"
#include "tlsaudit/output.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/tls.h"

static void key(FILE *fp, const char *k)
{
	fprintf(fp, ",\"%s\":", k);
}

static void version_value(FILE *fp, uint16_t v)
{
	char b[32];
	if (v == 0)
		fputs("null", fp);
	else
		fprintf(fp, "\"%s\"", tls_version_str(v, b));
}

static void bool_value(FILE *fp, bool b)
{
	fputs(b ? "true" : "false", fp);
}

static void str_or_null(FILE *fp, const char *s)
{
	if (!s || !*s)
		fputs("null", fp);
	else
		out_json_string(fp, s, strlen(s));
}

static void hex_bytes(FILE *fp, const uint8_t *b, size_t n)
{
	fputc('"', fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%02x", b[i]);
	fputc('"', fp);
}

/* ALPN ProtocolNameList body -> ["h2","http/1.1"] */
static void alpn_value(FILE *fp, const uint8_t *b, size_t n)
{
	struct br r = br_make(b, n);
	fputc('[', fp);
	bool first = true;
	while (!br_empty(&r)) {
		struct br name = br_vec8(&r);
		if (!br_ok(&r))
			break;
		if (!first)
			fputc(',', fp);
		first = false;
		out_json_string(fp, (const char *)name.base, name.len);
	}
	fputc(']', fp);
}

static const char *const flag_names[] = {
	"truncated",
	"gap_client",
	"gap_server",
	"rst_client",
	"rst_server",
	"fin_client",
	"fin_server",
	"sslv2_client_hello",
	"reassembly_cap",
	"evicted",
	"idle_timeout",
	"multiple_client_hellos",
	"plaintext_before_tls",
	"ip_fragments",
	"no_tcp_handshake",
	"ech",
	"early_data",
	"unidirectional",
	"malformed",
	"cert_capped",
};

/* Packed (u8 len, bytes)* list -> ["a","b"] (SANs) */
static void packed_list_value(FILE *fp, const uint8_t *b, size_t n)
{
	alpn_value(fp, b, n);
}

/* "cert": the server's leaf (RFC 5280 fields), or null */
static void cert_value(FILE *fp, const struct ta_record *r)
{
	char t[64];

	if (!r->has_cert) {
		fputs("null", fp);
		return;
	}
	fputs("{\"subject_cn\":", fp);
	if (r->cert_has_subject_cn)
		out_json_string(fp, r->cert_subject_cn, r->cert_subject_cn_len);
	else
		fputs("null", fp);
	key(fp, "issuer_cn");
	if (r->cert_has_issuer_cn)
		out_json_string(fp, r->cert_issuer_cn, r->cert_issuer_cn_len);
	else
		fputs("null", fp);
	key(fp, "sans");
	packed_list_value(fp, r->cert_sans, r->cert_sans_len);
	out_rfc3339_s(r->cert_not_before, t);
	key(fp, "not_before");
	out_json_string(fp, t, strlen(t));
	out_rfc3339_s(r->cert_not_after, t);
	key(fp, "not_after");
	out_json_string(fp, t, strlen(t));
	key(fp, "key_type");
	str_or_null(fp, r->cert_key_type);
	key(fp, "key_curve");
	str_or_null(fp, r->cert_key_curve);
	key(fp, "key_bits");
	if (r->cert_key_bits)
		fprintf(fp, "%u", (unsigned)r->cert_key_bits);
	else
		fputs("null", fp);
	key(fp, "sig_alg");
	str_or_null(fp, r->cert_sig_alg);
	key(fp, "sha256");
	str_or_null(fp, r->cert_sha256);
	key(fp, "self_signed");
	bool_value(fp, r->cert_self_signed);
	key(fp, "expired");
	bool_value(fp, r->cert_expired);
	key(fp, "chain_len");
	fprintf(fp, "%u", (unsigned)r->cert_chain_len);
	fputc('}', fp);
}

int out_ndjson_record(FILE *fp, const struct ta_record *r)
{
	char ts[64], ip[48], cb[16];
	out_rfc3339(r->ts_ns, ts);
	fprintf(fp, "{\"ts\":\"%s\"", ts);
	out_ip(r->family, r->client_ip, ip);
	fprintf(fp, ",\"client_ip\":\"%s\",\"client_port\":%u", ip, r->client_port);
	out_ip(r->family, r->server_ip, ip);
	fprintf(fp, ",\"server_ip\":\"%s\",\"server_port\":%u", ip, r->server_port);
	key(fp, "sni");
	if (r->has_sni)
		out_json_string(fp, r->sni, r->sni_len);
	else
		fputs("null", fp);
	key(fp, "client_legacy_version");
	version_value(fp, r->client_legacy_version);
	key(fp, "client_supported_versions");
	fputc('[', fp);
	for (unsigned i = 0; i < r->n_client_versions; i++) {
		if (i)
			fputc(',', fp);
		version_value(fp, r->client_versions[i]);
	}
	fputc(']', fp);
	key(fp, "client_max_version");
	version_value(fp, r->client_max_version);
	key(fp, "negotiated_version");
	version_value(fp, r->negotiated_version);
	key(fp, "cipher");
	if (r->has_cipher)
		fprintf(fp, "\"%s\"", out_cipher(r, cb));
	else
		fputs("null", fp);
	key(fp, "alert");
	if (r->has_alert) {
		const char *a = tls_alert_name(r->alert_desc);
		if (a)
			fprintf(fp, "\"%s\"", a);
		else
			fprintf(fp, "\"%u\"", r->alert_desc);
	} else {
		fputs("null", fp);
	}
	key(fp, "alert_level");
	str_or_null(fp, !r->has_alert	      ? NULL
			: r->alert_level == 2 ? "fatal"
			: r->alert_level == 1 ? "warning"
					      : "unknown");
	key(fp, "alert_sender");
	str_or_null(fp, !r->has_alert ? NULL : r->alert_sender ? "server" : "client");
	key(fp, "established");
	bool_value(fp, r->established);
	key(fp, "resumed");
	bool_value(fp, r->resumed);
	key(fp, "hello_retry_request");
	bool_value(fp, r->hello_retry_request);
	key(fp, "starttls");
	str_or_null(fp, r->starttls);
	key(fp, "l7_protocol");
	str_or_null(fp, r->l7_protocol);
	key(fp, "risks");
	fputc('[', fp);
	bool first = true;
	for (unsigned b = 0; b < 64; b++) {
		if (!(r->risks & ((uint64_t)1 << b)))
			continue;
		const char *n = classify_risk_name(b);
		if (!n)
			continue;
		if (!first)
			fputc(',', fp);
		first = false;
		out_json_string(fp, n, strlen(n));
	}
	fputc(']', fp);
	fprintf(fp, ",\"outcome\":\"%s\"", rec_outcome_name(r->outcome));

	/* more than the contract: for people who dig */
	key(fp, "server_legacy_version");
	version_value(fp, r->has_server_hello ? r->server_legacy_version : 0);
	key(fp, "cipher_id");
	if (r->has_cipher)
		fprintf(fp, r->cipher_sslv2 ? "\"0x%06X\"" : "\"0x%04X\"", (unsigned)r->cipher);
	else
		fputs("null", fp);
	key(fp, "alpn");
	alpn_value(fp, r->alpn, r->alpn_len);
	if (r->has_sni && !out_is_utf8(r->sni, r->sni_len)) {
		key(fp, "sni_hex");
		hex_bytes(fp, (const uint8_t *)r->sni, r->sni_len);
	}
	key(fp, "ciphers_offered");
	fprintf(fp, "%u", r->n_ciphers);
	key(fp, "ja3");
	str_or_null(fp, r->ja3);
	key(fp, "ja3s");
	str_or_null(fp, r->ja3s);
	key(fp, "ja4");
	str_or_null(fp, r->ja4);
	if (r->ja4_hrr[0]) {
		key(fp, "ja4_hrr");
		str_or_null(fp, r->ja4_hrr);
	}
	key(fp, "ndpi_ja3");
	str_or_null(fp, r->ndpi_ja3);
	key(fp, "cert");
	cert_value(fp, r);
	key(fp, "flags");
	fputc('[', fp);
	first = true;
	for (unsigned b = 0; b < sizeof(flag_names) / sizeof(flag_names[0]); b++) {
		if (!(r->flags & (1u << b)))
			continue;
		fprintf(fp, "%s\"%s\"", first ? "" : ",", flag_names[b]);
		first = false;
	}
	fputc(']', fp);
	fprintf(fp, ",\"packets\":[%" PRIu64 ",%" PRIu64 "],\"bytes\":[%" PRIu64 ",%" PRIu64 "]", r->pkts[0],
		r->pkts[1], r->bytes[0], r->bytes[1]);
	fputs("}\n", fp);
	return ferror(fp) ? -1 : 0;
}
