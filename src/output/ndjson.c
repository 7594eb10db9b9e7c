/* ndjson.c - one JSON object per connection (the SIEM contract, README "NDJSON fields").
 * specification: RFC 8259, ndjson.org. Field names are a contract: add fields, never rename one. Every number
 * that has a name is named by the names module, so a value reads the same here and in every report. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlsaudit/dict.h"
#include "tlsaudit/names.h"
#include "tlsaudit/output.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/tls.h"

static void key(FILE *fp, const char *k)
{
	fprintf(fp, ",\"%s\":", k);
}

static void version_value(FILE *fp, uint16_t v)
{
	char b[NAMES_BUF];
	if (v == 0)
		fputs("null", fp);
	else
		fprintf(fp, "\"%s\"", names_version(v, b));
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

static void dstr_or_null(FILE *fp, const struct dict_str *s)
{
	if (!s)
		fputs("null", fp);
	else
		out_json_string(fp, s->bytes, s->len);
}

static void hex_bytes(FILE *fp, const char *b, size_t n)
{
	fputc('"', fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%02x", (uint8_t)b[i]);
	fputc('"', fp);
}

/* Packed (u8 len, bytes)* list -> ["a","b"] (ALPN lists, SANs) */
static void packed_list_value(FILE *fp, const uint8_t *b, size_t n)
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

static void bits_value(FILE *fp, enum names_kind k, uint64_t mask)
{
	fputc('[', fp);
	bool first = true;
	for (unsigned b = 0; b < 64; b++) {
		if (!(mask & ((uint64_t)1 << b)))
			continue;
		const char *n = names_bit(k, b);
		if (!n)
			continue;
		if (!first)
			fputc(',', fp);
		first = false;
		out_json_string(fp, n, strlen(n));
	}
	fputc(']', fp);
}

/* "cert": the server's leaf (RFC 5280 fields), or null */
static void cert_value(FILE *fp, const struct ta_conn *r)
{
	char t[64];
	const struct cert_info *c;

	if (!r->cert) {
		fputs("null", fp);
		return;
	}
	c = &r->cert->info;
	fputs("{\"subject_cn\":", fp);
	if (c->has_subject_cn)
		out_json_string(fp, c->subject_cn, c->subject_cn_len);
	else
		fputs("null", fp);
	key(fp, "issuer_cn");
	if (c->has_issuer_cn)
		out_json_string(fp, c->issuer_cn, c->issuer_cn_len);
	else
		fputs("null", fp);
	key(fp, "sans");
	packed_list_value(fp, c->sans, c->sans_len);
	out_rfc3339_s(c->not_before, t);
	key(fp, "not_before");
	out_json_string(fp, t, strlen(t));
	out_rfc3339_s(c->not_after, t);
	key(fp, "not_after");
	out_json_string(fp, t, strlen(t));
	key(fp, "key_type");
	str_or_null(fp, c->key_type);
	key(fp, "key_curve");
	str_or_null(fp, c->key_curve);
	key(fp, "key_bits");
	if (c->key_bits)
		fprintf(fp, "%u", (unsigned)c->key_bits);
	else
		fputs("null", fp);
	key(fp, "sig_alg");
	str_or_null(fp, c->sig_alg);
	key(fp, "sha256");
	fputc('"', fp);
	for (size_t i = 0; i < sizeof(c->sha256); i++)
		fprintf(fp, "%02x", c->sha256[i]);
	fputc('"', fp);
	key(fp, "self_signed");
	bool_value(fp, c->self_signed);
	key(fp, "expired");
	bool_value(fp, r->cert_expired);
	key(fp, "chain_len");
	fprintf(fp, "%u", (unsigned)r->cert_chain_len);
	fputc('}', fp);
}

int out_ndjson_event(FILE *fp, const struct ta_conn *r, const struct out_event_ctx *ctx)
{
	const struct dict_hello *h = r->hello;
	char ts[64], ip[48], b[NAMES_BUF], cid[OUT_COMMUNITY_ID_LEN];

	out_rfc3339(r->ts_ns, ts);
	fprintf(fp, "{\"ts\":\"%s\",\"event_type\":\"tls\",\"schema_version\":%d", ts, OUT_NDJSON_SCHEMA_VERSION);
	out_ip(r->family, r->client_ip, ip);
	fprintf(fp, ",\"client_ip\":\"%s\",\"client_port\":%u", ip, r->client_port);
	out_ip(r->family, r->server_ip, ip);
	fprintf(fp, ",\"server_ip\":\"%s\",\"server_port\":%u", ip, r->server_port);
	key(fp, "sni");
	dstr_or_null(fp, r->sni);
	key(fp, "client_legacy_version");
	version_value(fp, h ? h->legacy_version : 0);
	key(fp, "client_supported_versions");
	fputc('[', fp);
	for (unsigned i = 0, k = 0; h && i < h->n_versions; i++) {
		if (tls_is_grease(h->versions[i]))
			continue;
		if (k++)
			fputc(',', fp);
		version_value(fp, h->versions[i]);
	}
	fputc(']', fp);
	key(fp, "client_max_version");
	version_value(fp, h ? h->max_version : 0);
	key(fp, "negotiated_version");
	version_value(fp, r->negotiated_version);
	key(fp, "cipher");
	if (r->has_cipher)
		fprintf(fp, "\"%s\"", names_conn_cipher(r->cipher, r->cipher_sslv2, b));
	else
		fputs("null", fp);
	key(fp, "alert");
	if (r->has_alert)
		fprintf(fp, "\"%s\"", names_alert(r->alert_desc, b));
	else
		fputs("null", fp);
	key(fp, "alert_level");
	str_or_null(fp, r->has_alert ? names_alert_level(r->alert_level) : NULL);
	key(fp, "alert_sender");
	str_or_null(fp, r->has_alert ? names_side(r->alert_sender) : NULL);
	key(fp, "established");
	bool_value(fp, r->established);
	key(fp, "resumed");
	bool_value(fp, r->resumed);
	key(fp, "hello_retry_request");
	bool_value(fp, r->hello_retry_request);
	key(fp, "starttls");
	str_or_null(fp, names_starttls(r->starttls));
	key(fp, "l7_protocol");
	dstr_or_null(fp, r->l7);
	key(fp, "risks");
	bits_value(fp, NAMES_RISK, r->risks);
	fprintf(fp, ",\"outcome\":\"%s\"", names_outcome(r->outcome));

	/* more than the contract: for people who dig */
	key(fp, "server_legacy_version");
	version_value(fp, r->server ? r->server->legacy_version : 0);
	key(fp, "cipher_id");
	if (r->has_cipher)
		fprintf(fp, r->cipher_sslv2 ? "\"0x%06X\"" : "\"0x%04X\"", (unsigned)r->cipher);
	else
		fputs("null", fp);
	key(fp, "alpn");
	packed_list_value(fp, h ? h->alpn : NULL, h ? h->alpn_len : 0);
	if (r->sni && !out_is_utf8(r->sni->bytes, r->sni->len)) {
		key(fp, "sni_hex");
		hex_bytes(fp, r->sni->bytes, r->sni->len);
	}
	key(fp, "ciphers_offered");
	fprintf(fp, "%u", h ? (unsigned)h->n_ciphers_total : 0u);
	key(fp, "ja3");
	str_or_null(fp, h ? h->d.ja3 : NULL);
	key(fp, "ja3s");
	str_or_null(fp, r->server ? r->server->ja3s : NULL);
	key(fp, "ja4");
	str_or_null(fp, h ? h->d.ja4 : NULL);
	if (r->hello2 && r->hello2->d.ja4[0]) {
		key(fp, "ja4_hrr");
		str_or_null(fp, r->hello2->d.ja4);
	}
	key(fp, "ndpi_ja3");
	str_or_null(fp, r->ndpi_ja3_from == 1 && h	     ? h->d.ndpi_ja3
			: r->ndpi_ja3_from == 2 && r->hello2 ? r->hello2->d.ndpi_ja3
							     : NULL);
	key(fp, "client_stack");
	if (h && h->d.stack_match) {
		fputs("{\"family\":", fp);
		str_or_null(fp, h->d.stack_family);
		fputs(",\"name\":", fp);
		str_or_null(fp, h->d.stack_name);
		fputs(",\"key\":", fp);
		str_or_null(fp, h->d.stack_key);
		fprintf(fp, ",\"match\":\"%s\"", h->d.stack_match == 1 ? "exact" : "close");
		if (h->d.stack_match == 2) {
			fputs(",\"differed\":", fp);
			str_or_null(fp, h->d.stack_differed);
		}
		fputc('}', fp);
	} else {
		fputs("null", fp);
	}
	key(fp, "anomalies");
	bits_value(fp, NAMES_ANOMALY, r->anomalies);
	key(fp, "cert");
	cert_value(fp, r);
	key(fp, "flags");
	bits_value(fp, NAMES_FLAG, r->flags);
	fprintf(fp, ",\"packets\":[%" PRIu64 ",%" PRIu64 "],\"bytes\":[%" PRIu64 ",%" PRIu64 "]", r->pkts[0],
		r->pkts[1], r->bytes[0], r->bytes[1]);

	/* schema_version 1: what a SIEM joins and aggregates on */
	key(fp, "community_id");
	if (out_community_id(r->family, r->client_ip, r->client_port, r->server_ip, r->server_port, 0, cid))
		fprintf(fp, "\"%s\"", cid);
	else
		fputs("null", fp);
	key(fp, "sensor");
	str_or_null(fp, ctx ? ctx->sensor : NULL);
	key(fp, "capture");
	str_or_null(fp, ctx ? ctx->capture : NULL);
	fprintf(fp,
		",\"packets_client\":%" PRIu64 ",\"packets_server\":%" PRIu64 ",\"bytes_client\":%" PRIu64
		",\"bytes_server\":%" PRIu64,
		r->pkts[0], r->pkts[1], r->bytes[0], r->bytes[1]);
	key(fp, "alpn_selected");
	dstr_or_null(fp, r->alpn);
	key(fp, "kx_group");
	if (r->kx_group)
		fprintf(fp, "\"%s\"", names_group(r->kx_group, b));
	else
		fputs("null", fp);
	fputs("}\n", fp);
	return ferror(fp) ? -1 : 0;
}

int out_ndjson_record(FILE *fp, const struct ta_conn *r)
{
	return out_ndjson_event(fp, r, NULL);
}

const struct out_event_format out_format_ndjson = {
	.name = "ndjson",
	.record = out_ndjson_event,
};

const struct out_event_format *out_event_format_find(const char *name)
{
	static const struct out_event_format *const all[] = {&out_format_ndjson, &out_format_ecs, &out_format_zeek};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
