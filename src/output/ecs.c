/* ecs.c - one connection as an Elastic Common Schema document, one JSON object per line (`export --format ecs`).
 * specification: Elastic Common Schema 8.11 (field sets event, source, destination, client, server, network,
 * observer, related, tls, tls.server.x509); RFC 8259. Facts ECS has no field for stay under "tlsaudit", named
 * as in our NDJSON line (README "NDJSON fields", "Mapping to ECS and Zeek"). dist/elastic/ has the index
 * template that maps every field written here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlsaudit/dict.h"
#include "tlsaudit/names.h"
#include "tlsaudit/num.h"
#include "tlsaudit/output.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/record.h"
#include "tlsaudit/tls.h"

#define ECS_VERSION "8.11.0"

static void str(FILE *fp, const char *s)
{
	out_json_string(fp, s, strlen(s));
}

/* ,"k":"v" for a non-empty s; nothing otherwise (ECS leaves unknown fields out rather than null) */
static void kv_str(FILE *fp, const char *k, const char *s)
{
	if (!s || !*s)
		return;
	fprintf(fp, ",\"%s\":", k);
	str(fp, s);
}

static void kv_bytes(FILE *fp, const char *k, const struct dict_str *s)
{
	if (!s)
		return;
	fprintf(fp, ",\"%s\":", k);
	out_json_string(fp, s->bytes, s->len);
}

/* "TLS 1.2" -> version "1.2", protocol "tls"; drafts -> "1.3"; unnamed versions -> false */
static bool ecs_version(uint16_t v, char ver[16], char proto[8])
{
	const char *n = names_version_known(v);
	const char *sp = n ? strchr(n, ' ') : NULL;
	if (!sp || (size_t)(sp - n) >= 8)
		return false;
	size_t pl = (size_t)(sp - n);
	for (size_t i = 0; i < pl; i++)
		proto[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] - 'A' + 'a' : n[i]);
	proto[pl] = '\0';
	size_t vl = strcspn(sp + 1, " ");
	if (vl == 0 || vl >= 16)
		return false;
	memcpy(ver, sp + 1, vl);
	ver[vl] = '\0';
	return true;
}

static void endpoint(FILE *fp, const char *name, const char *ip, uint16_t port, uint64_t pkts, uint64_t bytes)
{
	fprintf(fp, ",\"%s\":{\"ip\":\"%s\",\"port\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", name, ip, port,
		pkts, bytes);
}

static void packed_list(FILE *fp, const uint8_t *b, size_t n)
{
	struct br r = br_make(b, n);
	bool first = true;
	fputc('[', fp);
	while (!br_empty(&r)) {
		struct br item = br_vec8(&r);
		if (!br_ok(&r))
			break;
		if (!first)
			fputc(',', fp);
		first = false;
		out_json_string(fp, (const char *)item.base, item.len);
	}
	fputc(']', fp);
}

static void name_list(FILE *fp, enum names_kind k, uint64_t mask)
{
	bool first = true;
	fputc('[', fp);
	for (unsigned b = 0; b < 64; b++) {
		const char *n = (mask >> b) & 1 ? names_bit(k, b) : NULL;
		if (!n)
			continue;
		if (!first)
			fputc(',', fp);
		first = false;
		str(fp, n);
	}
	fputc(']', fp);
}

/* tls.server: the leaf certificate's facts (ECS x509 field set) */
static void server_cert(FILE *fp, const struct ta_conn *r, bool first)
{
	const struct cert_info *c = &r->cert->info;
	char nb[64], na[64], hex[65];

	out_rfc3339_s(c->not_before, nb);
	out_rfc3339_s(c->not_after, na);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", c->sha256[i]);
	fprintf(fp, "%s\"hash\":{\"sha256\":\"%s\"},\"not_before\":\"%s\",\"not_after\":\"%s\"", first ? "" : ",", hex,
		nb, na);
	fprintf(fp, ",\"x509\":{\"not_before\":\"%s\",\"not_after\":\"%s\"", nb, na);
	if (c->has_subject_cn) {
		fputs(",\"subject\":{\"common_name\":[", fp);
		out_json_string(fp, c->subject_cn, c->subject_cn_len);
		fputs("]}", fp);
	}
	if (c->has_issuer_cn) {
		fputs(",\"issuer\":{\"common_name\":[", fp);
		out_json_string(fp, c->issuer_cn, c->issuer_cn_len);
		fputs("]}", fp);
	}
	if (c->sans_len) {
		fputs(",\"alternative_names\":", fp);
		packed_list(fp, c->sans, c->sans_len);
	}
	kv_str(fp, "public_key_algorithm", c->key_type);
	kv_str(fp, "public_key_curve", c->key_curve);
	if (c->key_bits)
		fprintf(fp, ",\"public_key_size\":%u", (unsigned)c->key_bits);
	kv_str(fp, "signature_algorithm", c->sig_alg);
	fputc('}', fp);
}

static void tls_fields(FILE *fp, const struct ta_conn *r)
{
	const struct dict_hello *h = r->hello;
	char ver[16], proto[8], b[NAMES_BUF];

	fprintf(fp, ",\"tls\":{\"established\":%s,\"resumed\":%s", r->established ? "true" : "false",
		r->resumed ? "true" : "false");
	if (r->negotiated_version && ecs_version(r->negotiated_version, ver, proto))
		fprintf(fp, ",\"version\":\"%s\",\"version_protocol\":\"%s\"", ver, proto);
	if (r->has_cipher) {
		fputs(",\"cipher\":", fp);
		str(fp, names_conn_cipher(r->cipher, r->cipher_sslv2, b));
	}
	if (r->kx_group)
		kv_str(fp, "curve", names_group(r->kx_group, b));
	kv_bytes(fp, "next_protocol", r->alpn);
	fputs(",\"client\":{", fp);
	bool any = false;
	if (r->sni) {
		fputs("\"server_name\":", fp);
		out_json_string(fp, r->sni->bytes, r->sni->len);
		any = true;
	}
	if (h && h->d.ja3[0]) {
		fprintf(fp, "%s\"ja3\":\"%s\"", any ? "," : "", h->d.ja3);
		any = true;
	}
	if (h && h->n_ciphers) {
		fprintf(fp, "%s\"supported_ciphers\":[", any ? "," : "");
		for (size_t i = 0, k = 0; i < h->n_ciphers; i++)
			if (!tls_is_grease(h->ciphers[i]))
				fprintf(fp, "%s\"%s\"", k++ ? "," : "", names_cipher(h->ciphers[i], b));
		fputc(']', fp);
	}
	fputc('}', fp);
	fputs(",\"server\":{", fp);
	any = false;
	if (r->server && r->server->ja3s[0]) {
		fprintf(fp, "\"ja3s\":\"%s\"", r->server->ja3s);
		any = true;
	}
	if (r->cert)
		server_cert(fp, r, !any);
	fputs("}}", fp);
}

/* facts ECS has no field for, named as in the NDJSON line */
static void tlsaudit_fields(FILE *fp, const struct ta_conn *r, const struct out_event_ctx *ctx)
{
	const struct dict_hello *h = r->hello;
	char b[NAMES_BUF];

	fprintf(fp, ",\"tlsaudit\":{\"schema_version\":%d,\"outcome\":\"%s\"", OUT_NDJSON_SCHEMA_VERSION,
		names_outcome(r->outcome));
	if (ctx)
		kv_str(fp, "capture", ctx->capture);
	if (h && h->legacy_version)
		kv_str(fp, "client_legacy_version", names_version(h->legacy_version, b));
	if (h && h->max_version)
		kv_str(fp, "client_max_version", names_version(h->max_version, b));
	fputs(",\"client_supported_versions\":[", fp);
	for (unsigned i = 0, k = 0; h && i < h->n_versions; i++) {
		if (tls_is_grease(h->versions[i]))
			continue;
		fprintf(fp, "%s\"%s\"", k++ ? "," : "", names_version(h->versions[i], b));
	}
	fputc(']', fp);
	if (r->negotiated_version)
		kv_str(fp, "negotiated_version", names_version(r->negotiated_version, b));
	if (r->has_alert) {
		kv_str(fp, "alert", names_alert(r->alert_desc, b));
		kv_str(fp, "alert_level", names_alert_level(r->alert_level));
		kv_str(fp, "alert_sender", names_side(r->alert_sender));
	}
	fprintf(fp, ",\"hello_retry_request\":%s", r->hello_retry_request ? "true" : "false");
	kv_str(fp, "starttls", names_starttls(r->starttls));
	kv_bytes(fp, "l7_protocol", r->l7);
	if (h) {
		kv_str(fp, "ja4", h->d.ja4);
		kv_str(fp, "ndpi_ja3", h->d.ndpi_ja3);
		fprintf(fp, ",\"ciphers_offered\":%u", (unsigned)h->n_ciphers_total);
		if (h->alpn_len) {
			fputs(",\"alpn\":", fp);
			packed_list(fp, h->alpn, h->alpn_len);
		}
		if (h->d.stack_match) {
			fputs(",\"client_stack\":{\"family\":", fp);
			str(fp, h->d.stack_family);
			fputs(",\"name\":", fp);
			str(fp, h->d.stack_name);
			fprintf(fp, ",\"match\":\"%s\"}", h->d.stack_match == 1 ? "exact" : "close");
		}
	}
	if (r->hello2 && r->hello2->d.ja4[0])
		kv_str(fp, "ja4_hrr", r->hello2->d.ja4);
	fputs(",\"risks\":", fp);
	name_list(fp, NAMES_RISK, r->risks);
	fputs(",\"flags\":", fp);
	name_list(fp, NAMES_FLAG, r->flags);
	fputs(",\"anomalies\":", fp);
	name_list(fp, NAMES_ANOMALY, r->anomalies);
	if (r->cert)
		fprintf(fp, ",\"cert\":{\"self_signed\":%s,\"expired\":%s,\"chain_len\":%u}",
			r->cert->info.self_signed ? "true" : "false", r->cert_expired ? "true" : "false",
			(unsigned)r->cert_chain_len);
	fputc('}', fp);
}

static int ecs_record(FILE *fp, const struct ta_conn *r, const struct out_event_ctx *ctx)
{
	char ts[64], end[64], cip[48], sip[48], cid[OUT_COMMUNITY_ID_LEN];
	int64_t dur = (int64_t)ta_min_u64(ta_span_u64(r->ts_ns, r->last_ns), INT64_MAX); /* packet times: any int64 */
	const char *outcome = r->established					   ? "success"
			      : names_outcome_class(r->outcome) == OUTCLASS_FAILED ? "failure"
										   : "unknown";

	out_rfc3339(r->ts_ns, ts);
	out_rfc3339(ta_sat_add_i64(r->ts_ns, dur), end);
	out_ip(r->family, r->client_ip, cip);
	out_ip(r->family, r->server_ip, sip);
	fprintf(fp, "{\"@timestamp\":\"%s\",\"ecs\":{\"version\":\"" ECS_VERSION "\"}", ts);
	fprintf(fp,
		",\"event\":{\"kind\":\"event\",\"category\":[\"network\"],\"type\":[\"connection\",\"protocol\"],"
		"\"module\":\"tlsaudit\",\"dataset\":\"tlsaudit.tls\",\"outcome\":\"%s\",\"start\":\"%s\",\"end\":\"%"
		"s\","
		"\"duration\":%" PRId64 "}",
		outcome, ts, end, dur);
	endpoint(fp, "source", cip, r->client_port, r->pkts[0], r->bytes[0]);
	endpoint(fp, "destination", sip, r->server_port, r->pkts[1], r->bytes[1]);
	endpoint(fp, "client", cip, r->client_port, r->pkts[0], r->bytes[0]);
	endpoint(fp, "server", sip, r->server_port, r->pkts[1], r->bytes[1]);
	fprintf(fp,
		",\"network\":{\"transport\":\"tcp\",\"iana_number\":\"6\",\"type\":\"%s\",\"protocol\":\"tls\","
		"\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64,
		r->family == 6 ? "ipv6" : "ipv4", r->pkts[0] + r->pkts[1], r->bytes[0] + r->bytes[1]);
	if (out_community_id(r->family, r->client_ip, r->client_port, r->server_ip, r->server_port, 0, cid))
		fprintf(fp, ",\"community_id\":\"%s\"", cid);
	fputc('}', fp);
	fputs(",\"observer\":{\"type\":\"sensor\",\"vendor\":\"tlsaudit\",\"product\":\"tlsaudit\"", fp);
	if (ctx)
		kv_str(fp, "hostname", ctx->sensor);
	fputc('}', fp);
	fprintf(fp, ",\"related\":{\"ip\":[\"%s\",\"%s\"]", cip, sip);
	if (r->sni && r->sni->len && out_is_utf8(r->sni->bytes, r->sni->len)) {
		fputs(",\"hosts\":[", fp);
		out_json_string(fp, r->sni->bytes, r->sni->len);
		fputc(']', fp);
	}
	fputc('}', fp);
	tls_fields(fp, r);
	tlsaudit_fields(fp, r, ctx);
	fputs("}\n", fp);
	return ferror(fp) ? -1 : 0;
}

const struct out_event_format out_format_ecs = {
	.name = "ecs",
	.record = ecs_record,
};
