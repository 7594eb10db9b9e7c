/* names.h - the one place where a number from the wire or the store becomes text, for every output: NDJSON,
 * the read summary, reports, the SQL views (the store writes these names into its name tables) and messages.
 * specification: IANA "TLS Cipher Suites", "TLS Alerts", "TLS Supported Groups" and "TLS ExtensionType Values"
 * registries; draft-hickman-netscape-ssl-00 appendix A (SSLv2 cipher kinds); nDPI 4.2 ndpi_risk2str().
 *
 * Rules (README "Names"): a value with a name gets its name; a value without one gets hex in one form per kind,
 * so that an unknown alert is the same "0x63" in NDJSON, the database and every report. Functions that take a
 * buf write the fallback there and return either a static string or buf; they never return NULL.
 * The *_known() variants return the static name or NULL.
 */
#ifndef TLSAUDIT_NAMES_H
#define TLSAUDIT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAMES_BUF 16 /* fallback text: "0x7e01", "0xC0FF", "0x010080", "0x63" */

/* Versions: "SSL 2.0" (0x0002) ... "TLS 1.3", "TLS 1.3 (draft 23)", "TLS 1.3 (Facebook draft 26)"; else "0x7e01". */
const char *names_version_known(uint16_t v);
const char *names_version(uint16_t v, char buf[static NAMES_BUF]);
/* Cipher suites: IANA names ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"); else "0xC0FF". */
const char *names_cipher_known(uint16_t id);
const char *names_cipher(uint16_t id, char buf[static NAMES_BUF]);
/* SSLv2 CIPHER-KIND values (24 bits): "SSL2_RC4_128_WITH_MD5"; else "0x010081". */
const char *names_sslv2_cipher_known(uint32_t kind);
const char *names_sslv2_cipher(uint32_t kind, char buf[static NAMES_BUF]);
/* What a suite's IANA name says about its strength (NAMES_CIPHER_* bits); 0 for an unnamed suite. */
enum {
	NAMES_CIPHER_RC4 = 1u << 0,
	NAMES_CIPHER_3DES = 1u << 1,
	NAMES_CIPHER_EXPORT = 1u << 2,
	NAMES_CIPHER_NULL = 1u << 3,	 /* NULL encryption */
	NAMES_CIPHER_ANON = 1u << 4,	 /* anonymous key exchange (no authentication) */
	NAMES_CIPHER_CBC_SHA1 = 1u << 5, /* CBC with a SHA-1 MAC */
	NAMES_CIPHER_DES = 1u << 6,	 /* single DES, IDEA, RC2: broken block ciphers */
	NAMES_CIPHER_MD5 = 1u << 7,	 /* an MD5 MAC */
};
uint32_t names_cipher_flags(uint16_t id);
/* A connection's cipher: sslv2 selects the SSLv2 kind table. */
const char *names_conn_cipher(uint32_t cipher, bool sslv2, char buf[static NAMES_BUF]);
/* Alert descriptions, RFC 8446 snake_case ("protocol_version"); else "0x63". */
const char *names_alert_known(uint8_t desc);
const char *names_alert(uint8_t desc, char buf[static NAMES_BUF]);
/* Alert level: "warning" (1), "fatal" (2), else "unknown". */
const char *names_alert_level(uint8_t level);
/* Who sent the bytes: "client" (0), "server" (else). Also the role of a host. */
const char *names_side(unsigned side);
/* Supported groups (key exchange): "x25519", "secp256r1", "ffdhe2048", "X25519MLKEM768"; else "0x11ec". */
const char *names_group_known(uint16_t id);
const char *names_group(uint16_t id, char buf[static NAMES_BUF]);
/* Extension types: "server_name", "supported_versions", ...; else "0xfe0d"-style lowercase hex. */
const char *names_extension_known(uint16_t id);
const char *names_extension(uint16_t id, char buf[static NAMES_BUF]);

/* Each kind of value the store keeps as a number and its views show by name (names_each). */
enum names_kind {
	NAMES_VERSION,
	NAMES_CIPHER,
	NAMES_SSLV2_CIPHER,
	NAMES_ALERT,
	NAMES_GROUP,
	NAMES_OUTCOME,
	NAMES_FLAG,    /* bit number -> NDJSON flag name */
	NAMES_ANOMALY, /* bit number -> anomaly name */
	NAMES_RISK,    /* nDPI risk bit number -> nDPI's name */
	NAMES_STARTTLS,
	NAMES_PROBE_RESULT, /* enum probe_result (probe.h) */
	NAMES_KIND_COUNT_
};
/* The table name of a kind in the database ("tls_versions", "cipher_suites", ...). */
const char *names_kind_table(enum names_kind k);
/* Visit every named value of a kind, in ascending order; stops at a non-zero return and returns it. */
int names_each(enum names_kind k, int (*fn)(void *ctx, uint32_t id, const char *name), void *ctx);
/* The SQL expression that renders an unnamed value of kind k in the same form as names_*(), with the
 * two characters %s standing for the column: "printf('0x%04x', %s)" for versions. Not a printf format. */
const char *names_sql_fallback(enum names_kind k);

/* Outcomes (enum rec_outcome in record.h) and their classes (README "Outcome"): a handshake worked, failed, or
 * the capture cannot tell (it ended, or lost the bytes that decide). */
enum ta_outcome_class { OUTCLASS_ESTABLISHED = 0, OUTCLASS_FAILED, OUTCLASS_UNKNOWN };
const char *names_outcome(unsigned o); /* "established", ...; "unknown" for a value out of range */
/* Parse an outcome name back; returns OUT_COUNT_ if unknown. */
unsigned names_outcome_parse(const char *s, size_t len);
enum ta_outcome_class names_outcome_class(unsigned o);
const char *names_outcome_class_name(enum ta_outcome_class c); /* "established", "failed", "unknown" */

/* Bit names of a 32- or 64-bit mask kind (NAMES_FLAG, NAMES_ANOMALY, NAMES_RISK): NULL for an unnamed bit. */
const char *names_bit(enum names_kind k, unsigned bit);

/* STARTTLS protocols (enum starttls_proto values): "smtp", "imap", ...; NULL for 0 (none) and unknown values. */
const char *names_starttls(unsigned proto);

/* Probe results (enum probe_result in probe.h): "accepted", "alert", ...; NULL for an unknown value. */
const char *names_probe_result(unsigned r);

#endif
