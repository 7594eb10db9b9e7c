/* cert.h - facts about one X.509 certificate (a server's leaf) parsed from its DER.
 * specification: RFC 5280 (X.509 profile), RFC 5246 section 7.4.2 (where the DER comes from).
 *
 * Contract: the TLS stage hands over the leaf's DER bytes (borrowed); cert_parse()
 * decodes them with OpenSSL's libcrypto (the only place besides capture/fingerprint
 * that links it; no OpenSSL type appears here) and fills a plain struct of capped,
 * fixed-size fields. Names are attacker-chosen: they are kept as raw bytes (UTF-8 as
 * converted by OpenSSL, may contain any byte) with an explicit length; escaping is the
 * output formats' job.
 */
#ifndef TLSAUDIT_CERT_H
#define TLSAUDIT_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/limits.h"

#define CERT_MAX_NAME	    TA_CERT_MAX_NAME	   /* subject / issuer CN bytes kept */
#define CERT_MAX_SANS	    TA_CERT_MAX_SANS	   /* SAN entries kept (DNS names and IP addresses) */
#define CERT_MAX_SANS_BYTES TA_CERT_MAX_SANS_BYTES /* packed SAN list bytes kept */
#define CERT_MAX_DER	    TA_CERT_MAX_DER	   /* larger input is refused (ASN.1Cert<1..2^24-1>) */

/* anomaly bits (struct cert_info.anomalies) */
enum {
	CERT_AN_NAME_TRUNCATED = 1u << 0, /* a CN longer than CERT_MAX_NAME */
	CERT_AN_SANS_CAPPED = 1u << 1,	  /* more SANs than fit (count or bytes) */
	CERT_AN_SAN_TRUNCATED = 1u << 2,  /* one SAN longer than 255 bytes */
	CERT_AN_TRAILING_BYTES = 1u << 3, /* bytes after the certificate's DER */
	CERT_AN_BAD_TIME = 1u << 4,	  /* notBefore / notAfter could not be converted */
	CERT_AN_UNKNOWN_KEY = 1u << 5,	  /* OpenSSL could not load the public key */
};

enum cert_status {
	CERT_OK = 0,
	CERT_E_EMPTY,  /* no bytes, or more than CERT_MAX_DER */
	CERT_E_DECODE, /* not a DER X.509 certificate (d2i_X509 refused it) */
	CERT_E_NOMEM,
};

struct cert_info {
	uint16_t subject_cn_len;
	char subject_cn[CERT_MAX_NAME + 1]; /* last CN of the subject, raw UTF-8 bytes + NUL; "" if none */
	bool has_subject_cn;
	uint16_t issuer_cn_len;
	char issuer_cn[CERT_MAX_NAME + 1]; /* last CN of the issuer */
	bool has_issuer_cn;
	uint16_t sans_len;		   /* bytes used in sans */
	uint8_t sans[CERT_MAX_SANS_BYTES]; /* (u8 len, bytes)*: DNS names as sent, IP addresses as text */
	uint16_t n_sans;		   /* entries stored in sans */
	uint32_t n_sans_total;		   /* DNS + IP entries in the certificate */
	int64_t not_before, not_after;	   /* seconds since 1970-01-01T00:00:00Z */
	char key_type[32];		   /* "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA", ... or the OID */
	char key_curve[32];		   /* EC only: OpenSSL's group name ("prime256v1"); "" otherwise */
	uint32_t key_bits;		   /* 0 when unknown */
	char sig_alg[64];		   /* signatureAlgorithm long name ("sha256WithRSAEncryption") or OID */
	uint8_t sha256[32];		   /* SHA-256 of the DER bytes as received */
	bool self_signed;		   /* issuer == subject AND the signature verifies with its own key */
	uint32_t anomalies;		   /* CERT_AN_* */
};

/* Parse der[0..len) (borrowed). Fills *out (zeroed first) and returns CERT_OK, or an
 * error status with *out zeroed. Never logs, never keeps a pointer into der. */
enum cert_status cert_parse(const uint8_t *der, size_t len, struct cert_info *out);

/* Expired at time t (seconds since the epoch): t is after notAfter. */
bool cert_expired(const struct cert_info *c, int64_t t);

#endif
