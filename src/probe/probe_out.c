/* probe_out.c - the answers of one endpoint for people (text) and machines (one NDJSON object, README "Probe
 * output"). specification: RFC 8259, ndjson.org. Every name comes from the names module (names.h); every
 * string from the target or the server (target, SNI, a server's answer line) is escaped here, at the format
 * boundary. Field names are a contract: add fields, never rename one. */
#include <inttypes.h>
#include <string.h>

#include "tlsaudit/names.h"
#include "tlsaudit/output.h"
#include "tlsaudit/probe.h"

uint32_t probe_accepted_mask(const struct probe_answer *a, size_t n)
{
	uint32_t m = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < PROBE_N_VERSIONS; k++)
			if (a[i].result == PROBE_ACCEPTED && a[i].version == probe_versions[k])
				m |= 1u << k;
	return m;
}

static void json_str(FILE *fp, const char *s, size_t n)
{
	out_json_string(fp, s, n);
}

static void json_name(FILE *fp, const char *s)
{
	if (s)
		out_json_string(fp, s, strlen(s));
	else
		fputs("null", fp);
}

static void json_version(FILE *fp, uint16_t v)
{
	char b[NAMES_BUF];
	json_name(fp, v ? names_version(v, b) : NULL);
}

void probe_write_json(FILE *fp, const struct probe_endpoint *e, const struct probe_answer *a, size_t n)
{
	char b[NAMES_BUF], t[64];
	fputs("{\"target\":", fp);
	json_str(fp, e->target, strlen(e->target));
	fputs(",\"address\":", fp);
	json_str(fp, e->ip, strlen(e->ip));
	fprintf(fp, ",\"family\":%u,\"port\":%u,\"starttls\":", (unsigned)e->family, (unsigned)e->port);
	json_name(fp, names_starttls(e->starttls));
	fputs(",\"sni\":", fp);
	if (e->has_sni)
		json_str(fp, e->sni, e->sni_len);
	else
		fputs("null", fp);
	fputs(",\"ts\":", fp);
	if (n) {
		out_rfc3339(a[0].ts_ns, t);
		json_str(fp, t, strlen(t));
	} else {
		fputs("null", fp);
	}
	fputs(",\"accepted\":[", fp);
	uint32_t m = probe_accepted_mask(a, n);
	for (size_t k = 0, c = 0; k < PROBE_N_VERSIONS; k++)
		if (m & (1u << k)) {
			fputs(c++ ? "," : "", fp);
			json_version(fp, probe_versions[k]);
		}
	fputs("],\"results\":[", fp);
	for (size_t i = 0; i < n; i++) {
		const struct probe_answer *x = &a[i];
		fputs(i ? ",{\"version\":" : "{\"version\":", fp);
		json_version(fp, x->version);
		fputs(",\"result\":", fp);
		json_name(fp, names_probe_result(x->result));
		fputs(",\"server_version\":", fp);
		json_version(fp, x->server_version);
		fputs(",\"cipher\":", fp);
		json_name(fp, x->has_cipher ? names_cipher(x->cipher, b) : NULL);
		fprintf(fp, ",\"hello_retry_request\":%s,\"alert\":", x->hrr ? "true" : "false");
		json_name(fp, x->has_alert ? names_alert(x->alert_desc, b) : NULL);
		fputs(",\"alert_level\":", fp);
		json_name(fp, x->has_alert ? names_alert_level(x->alert_level) : NULL);
		fputs(",\"alert_sender\":", fp);
		json_name(fp, x->has_alert ? names_side(x->alert_sender) : NULL);
		fputs(",\"rtt_ms\":", fp);
		if (x->has_rtt)
			fprintf(fp, "%" PRIu32 ".%03" PRIu32, x->rtt_us / 1000, x->rtt_us % 1000);
		else
			fputs("null", fp);
		fputs(",\"detail\":", fp);
		if (x->detail_len)
			json_str(fp, x->detail, x->detail_len);
		else
			fputs("null", fp);
		out_rfc3339(x->ts_ns, t);
		fputs(",\"ts\":", fp);
		json_str(fp, t, strlen(t));
		fputc('}', fp);
	}
	fputs("]}\n", fp);
}

void probe_write_text(FILE *fp, const struct probe_endpoint *e, const struct probe_answer *a, size_t n)
{
	char b[NAMES_BUF], vb[NAMES_BUF];
	char addr[64], bracketed[64];
	snprintf(addr, sizeof(addr), e->family == 6 ? "[%s]:%u" : "%s:%u", e->ip, (unsigned)e->port);
	snprintf(bracketed, sizeof(bracketed), "[%s]", e->ip);
	/* an address target is shown as address:port; a name with its address */
	bool literal =
		strcmp(e->target, addr) == 0 || strcmp(e->target, e->ip) == 0 || strcmp(e->target, bracketed) == 0;
	int parts = 0;
	if (literal) {
		fputs(addr, fp);
	} else {
		out_text_string(fp, e->target, strlen(e->target));
		fprintf(fp, " (%s", addr);
		parts++;
	}
	if (e->starttls)
		fprintf(fp, "%sstarttls %s", parts++ ? ", " : " (", names_starttls(e->starttls));
	if (e->has_sni) {
		fputs(parts++ ? ", sni " : " (sni ", fp);
		out_text_string(fp, e->sni, e->sni_len);
	}
	fputs(parts ? "): " : ": ", fp);
	uint32_t m = probe_accepted_mask(a, n);
	if (!m)
		fputs("accepts none of the versions tried", fp);
	for (size_t k = 0, c = 0; k < PROBE_N_VERSIONS; k++)
		if (m & (1u << k))
			fprintf(fp, "%s%s", c++ ? ", " : "accepts ", names_version(probe_versions[k], b));
	fputc('\n', fp);
	for (size_t i = 0; i < n; i++) {
		const struct probe_answer *x = &a[i];
		fprintf(fp, "  %-8s %-16s", x->version ? names_version(x->version, vb) : "-",
			names_probe_result(x->result) ? names_probe_result(x->result) : "?");
		if (x->result == PROBE_OTHER_VERSION)
			fprintf(fp, " answered %s", names_version(x->server_version, vb));
		if (x->has_cipher)
			fprintf(fp, " %s", names_cipher(x->cipher, b));
		if (x->hrr)
			fputs(" (HelloRetryRequest)", fp);
		if (x->has_alert)
			fprintf(fp, " %s (%s, from %s)", names_alert(x->alert_desc, b),
				names_alert_level(x->alert_level), names_side(x->alert_sender));
		if (x->detail_len) {
			fputs(" \"", fp);
			out_text_string(fp, x->detail, x->detail_len);
			fputc('"', fp);
		}
		if (x->has_rtt)
			fprintf(fp, " %" PRIu32 ".%03" PRIu32 " ms", x->rtt_us / 1000, x->rtt_us % 1000);
		fputc('\n', fp);
	}
}
