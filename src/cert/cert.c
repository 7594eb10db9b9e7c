/* cert.c - X.509 leaf facts via OpenSSL libcrypto. specification: RFC 5280 sections 4.1 and 4.2.1.6.
 *
 * Design note: the DER is attacker-chosen and is never walked by hand; d2i_X509 decodes
 * it, and every value we keep is copied into capped fixed-size fields of struct
 * cert_info, so nothing OpenSSL owns outlives cert_parse(). Self-signed means both: the
 * issuer name equals the subject name (X509_NAME_cmp) and the signature verifies with
 * the certificate's own public key (X509_verify with X509_get0_pubkey). Times are
 * converted with ASN1_TIME_to_tm and a calendar formula of our own (no timegm, no
 * local time zone).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tlsaudit/cert.h"

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool asn1_time_seconds(const ASN1_TIME *t, int64_t *ret)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	int64_t days = days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
	*ret = days * 86400 + (int64_t)tm.tm_hour * 3600 + (int64_t)tm.tm_min * 60 + tm.tm_sec;
	return true;
}

/* The last commonName of name as UTF-8 bytes (any byte, NUL included), capped. */
static bool name_cn(const X509_NAME *name, char *dst, uint16_t *ret_len, uint32_t *anomalies)
{
	int idx = -1, last = -1;

	if (!name)
		return false;
	while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0)
		last = idx;
	if (last < 0)
		return false;
	const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, last);
	const ASN1_STRING *s = e ? X509_NAME_ENTRY_get_data(e) : NULL;
	unsigned char *utf8 = NULL;
	int n = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;
	if (n < 0)
		return false;
	size_t k = (size_t)n;
	if (k > CERT_MAX_NAME) {
		k = CERT_MAX_NAME;
		*anomalies |= CERT_AN_NAME_TRUNCATED;
	}
	if (k)
		memcpy(dst, utf8, k);
	dst[k] = '\0';
	*ret_len = (uint16_t)k;
	OPENSSL_free(utf8);
	return true;
}

/* append one SAN (u8 length + bytes) to the packed list */
static void san_add(struct cert_info *out, const uint8_t *p, size_t n)
{
	out->n_sans_total++;
	if (n > 255) {
		n = 255;
		out->anomalies |= CERT_AN_SAN_TRUNCATED;
	}
	if (out->n_sans >= CERT_MAX_SANS || 1 + n > sizeof(out->sans) - out->sans_len) {
		out->anomalies |= CERT_AN_SANS_CAPPED;
		return;
	}
	out->sans[out->sans_len++] = (uint8_t)n;
	if (n)
		memcpy(out->sans + out->sans_len, p, n);
	out->sans_len = (uint16_t)(out->sans_len + n);
	out->n_sans++;
}

/* RFC 5280 4.2.1.6: dNSName (IA5String, kept as sent) and iPAddress (4 or 16 octets, as text) */
static void read_sans(X509 *x, struct cert_info *out)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);

	if (!gens)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			const ASN1_STRING *s = g->d.dNSName;
			san_add(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		} else if (g->type == GEN_IPADD) {
			const ASN1_STRING *s = g->d.iPAddress;
			int n = ASN1_STRING_length(s);
			char text[INET6_ADDRSTRLEN];
			uint8_t a[16];
			if (n != 4 && n != 16)
				continue;
			memcpy(a, ASN1_STRING_get0_data(s), (size_t)n);
			if (inet_ntop(n == 4 ? AF_INET : AF_INET6, a, text, sizeof(text)))
				san_add(out, (const uint8_t *)text, strlen(text));
		}
	}
	GENERAL_NAMES_free(gens);
}

/* OpenSSL's text for an OID: long name when known, dotted numbers otherwise */
static void oid_text(const ASN1_OBJECT *o, char *dst, size_t len)
{
	if (!o || OBJ_obj2txt(dst, (int)len, o, 0) <= 0)
		dst[0] = '\0';
}

static void read_key(X509 *x, struct cert_info *out)
{
	EVP_PKEY *k = X509_get0_pubkey(x);

	if (!k) {
		/* an algorithm this OpenSSL does not know (e.g. ML-DSA in OpenSSL 3.0) */
		ASN1_OBJECT *alg = NULL;
		X509_PUBKEY *pub = X509_get_X509_PUBKEY(x);
		if (pub && X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, pub) == 1)
			oid_text(alg, out->key_type, sizeof(out->key_type));
		out->anomalies |= CERT_AN_UNKNOWN_KEY;
		return;
	}
	const char *name = NULL;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA: name = "RSA"; break;
	case EVP_PKEY_RSA_PSS: name = "RSA-PSS"; break;
	case EVP_PKEY_EC: name = "EC"; break;
	case EVP_PKEY_ED25519: name = "Ed25519"; break;
	case EVP_PKEY_ED448: name = "Ed448"; break;
	case EVP_PKEY_DSA: name = "DSA"; break;
	case EVP_PKEY_DH: name = "DH"; break;
	case EVP_PKEY_X25519: name = "X25519"; break;
	case EVP_PKEY_X448: name = "X448"; break;
	default: name = EVP_PKEY_get0_type_name(k); break;
	}
	if (name)
		snprintf(out->key_type, sizeof(out->key_type), "%s", name);
	int bits = EVP_PKEY_get_bits(k);
	out->key_bits = bits > 0 ? (uint32_t)bits : 0;
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
		size_t n = 0;
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, out->key_curve,
						   sizeof(out->key_curve), &n) != 1)
			out->key_curve[0] = '\0';
	}
}

/* OpenSSL 3 looks an implicit EVP_sha256() up in its provider store on every
 * use (a lock round trip); fetch it once. */
static EVP_MD *cert_sha256_md;
static pthread_once_t cert_md_once = PTHREAD_ONCE_INIT;
static void cert_md_init(void)
{
	cert_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static enum cert_status cert_parse_der(const uint8_t *der, size_t len, const uint8_t sha[32], struct cert_info *out);

/* Servers send the same leaf to every client and into every pipeline (each file of `read -j`, each input of the
 * fuzz targets): the pipeline's dict parses each distinct DER once per pipeline, and the last certificates
 * parsed in this process are remembered by SHA-256 (direct-mapped on its first byte), so OpenSSL decodes a DER
 * once while it keeps its slot. cert_parse is a function of the bytes alone, so a remembered answer is the
 * answer. */
#define CERT_MEMO_SLOTS 32
struct cert_memo {
	bool used;
	enum cert_status st;
	struct cert_info info; /* info.sha256 is the key, also for a DER that did not decode */
};
static struct cert_memo cert_memo[CERT_MEMO_SLOTS];
static pthread_mutex_t cert_memo_mu = PTHREAD_MUTEX_INITIALIZER;

enum cert_status cert_parse(const uint8_t *der, size_t len, struct cert_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!der || len == 0 || len > CERT_MAX_DER || len > LONG_MAX)
		return CERT_E_EMPTY;
	pthread_once(&cert_md_once, cert_md_init);
	uint8_t sha[32];
	unsigned int dlen = 0;
	if (!cert_sha256_md || EVP_Digest(der, len, sha, &dlen, cert_sha256_md, NULL) != 1 || dlen != sizeof(sha))
		return CERT_E_NOMEM;
	struct cert_memo *m = &cert_memo[sha[0] % CERT_MEMO_SLOTS];
	pthread_mutex_lock(&cert_memo_mu);
	if (m->used && memcmp(m->info.sha256, sha, sizeof(sha)) == 0) {
		enum cert_status st = m->st;
		if (st == CERT_OK)
			*out = m->info;
		pthread_mutex_unlock(&cert_memo_mu);
		return st;
	}
	pthread_mutex_unlock(&cert_memo_mu);
	enum cert_status st = cert_parse_der(der, len, sha, out);
	if (st == CERT_OK || st == CERT_E_DECODE) {
		pthread_mutex_lock(&cert_memo_mu);
		m->used = true;
		m->st = st;
		if (st == CERT_OK)
			m->info = *out;
		else
			memset(&m->info, 0, sizeof(m->info));
		memcpy(m->info.sha256, sha, sizeof(sha));
		pthread_mutex_unlock(&cert_memo_mu);
	}
	return st;
}

static enum cert_status cert_parse_der(const uint8_t *der, size_t len, const uint8_t sha[32], struct cert_info *out)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		ERR_clear_error();
		return CERT_E_DECODE;
	}
	if ((size_t)(p - der) != len)
		out->anomalies |= CERT_AN_TRAILING_BYTES;

	memcpy(out->sha256, sha, sizeof(out->sha256));

	const X509_NAME *subj = X509_get_subject_name(x), *iss = X509_get_issuer_name(x);
	out->has_subject_cn = name_cn(subj, out->subject_cn, &out->subject_cn_len, &out->anomalies);
	out->has_issuer_cn = name_cn(iss, out->issuer_cn, &out->issuer_cn_len, &out->anomalies);
	read_sans(x, out);
	if (!asn1_time_seconds(X509_get0_notBefore(x), &out->not_before) ||
	    !asn1_time_seconds(X509_get0_notAfter(x), &out->not_after))
		out->anomalies |= CERT_AN_BAD_TIME;
	read_key(x, out);

	const X509_ALGOR *sig = NULL;
	const ASN1_OBJECT *sig_oid = NULL;
	X509_get0_signature(NULL, &sig, x);
	if (sig)
		X509_ALGOR_get0(&sig_oid, NULL, NULL, sig);
	oid_text(sig_oid, out->sig_alg, sizeof(out->sig_alg));

	EVP_PKEY *k = X509_get0_pubkey(x);
	out->self_signed = subj && iss && X509_NAME_cmp(subj, iss) == 0 && k && X509_verify(x, k) == 1;
	X509_free(x);
	ERR_clear_error(); /* a failed verify or lookup leaves entries in this thread's queue */
	return CERT_OK;
}

bool cert_expired(const struct cert_info *c, int64_t t)
{
	return !(c->anomalies & CERT_AN_BAD_TIME) && t > c->not_after;
}
