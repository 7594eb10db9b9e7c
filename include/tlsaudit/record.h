/* record.h - the flat, self-contained result for one TCP connection in which a
 * TLS hello was seen: what the NDJSON line, the connections table and every
 * report are made of. Plain values only (no pointers), so it can be copied,
 * stored, read back and compared. Strings from the wire are raw bytes with an
 * explicit length: escaping happens at each output format's boundary.
 */
#ifndef TLSAUDIT_RECORD_H
#define TLSAUDIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_MAX_VERSIONS  16
#define REC_MAX_CIPHERS	  256
#define REC_MAX_GROUPS	  32
#define REC_MAX_SNI	  255
#define REC_MAX_ALPN	  256
#define REC_MAX_CERT_NAME 255  /* = CERT_MAX_NAME */
#define REC_MAX_CERT_SANS 2048 /* = CERT_MAX_SANS_BYTES */

enum rec_outcome {
	OUT_ESTABLISHED = 0,  /* handshake completed */
	OUT_ALERT,	      /* a fatal plaintext alert ended the handshake */
	OUT_RESET,	      /* TCP reset before the handshake completed */
	OUT_NO_SERVER_REPLY,  /* ClientHello, then nothing from the server */
	OUT_SERVER_NOT_TLS,   /* the server answered with bytes that are not TLS */
	OUT_CLOSED,	      /* FIN before the handshake completed, no alert */
	OUT_TRUNCATED,	      /* capture cut (file end mid-packet, snaplen, missing segments) hid the result */
	OUT_INCOMPLETE,	      /* capture ended (or flow timed out) mid-handshake */
	OUT_STARTTLS_REFUSED, /* plaintext upgrade refused (issue: STARTTLS) */
	OUT_COUNT_
};

/* rec.flags */
enum {
	REC_F_TRUNCATED = 1u << 0,  /* file cut mid-packet or snaplen cut touched this flow */
	REC_F_GAP_CLIENT = 1u << 1, /* missing bytes in the client stream */
	REC_F_GAP_SERVER = 1u << 2,
	REC_F_RST_CLIENT = 1u << 3,
	REC_F_RST_SERVER = 1u << 4,
	REC_F_FIN_CLIENT = 1u << 5,
	REC_F_FIN_SERVER = 1u << 6,
	REC_F_SSLV2_HELLO = 1u << 7, /* ClientHello in SSLv2 format */
	REC_F_CAP_BYTES = 1u << 8,   /* reassembly byte cap hit */
	REC_F_EVICTED = 1u << 9,     /* flow evicted at the table limit */
	REC_F_IDLE = 1u << 10,	     /* flow ended by idle timeout */
	REC_F_MULTI_CH = 1u << 11,   /* more than one ClientHello */
	REC_F_PLAINTEXT_PREFIX = 1u << 12,
	REC_F_FRAGMENTS = 1u << 13, /* IP fragments belonged to this 5-tuple (not decoded) */
	REC_F_NO_SYN = 1u << 14,    /* capture started mid-connection */
	REC_F_ECH = 1u << 15,
	REC_F_EARLY_DATA = 1u << 16,
	REC_F_UNIDIRECTIONAL = 1u << 17, /* only one direction seen */
	REC_F_MALFORMED = 1u << 18,	 /* a hello or record was malformed */
	REC_F_CERT_CAPPED = 1u << 19,	 /* server leaf certificate over --max-cert-bytes: not decoded */
};

struct ta_record {
	uint64_t seq;	 /* order of first packet within its capture (0-based) */
	int64_t ts_ns;	 /* first packet */
	int64_t last_ns; /* last packet seen for the flow */
	uint8_t family;	 /* 4 or 6 */
	uint8_t client_ip[16], server_ip[16];
	uint16_t client_port, server_port;
	bool has_sni;
	uint16_t sni_len;
	char sni[REC_MAX_SNI + 1]; /* raw bytes + NUL; may contain any byte */
	uint16_t alpn_len;
	uint8_t alpn[REC_MAX_ALPN]; /* raw ProtocolNameList body */
	uint16_t client_record_version;
	uint16_t client_legacy_version;
	uint8_t n_client_versions; /* supported_versions, GREASE left out, client order */
	uint16_t client_versions[REC_MAX_VERSIONS];
	bool client_has_supported_versions;
	uint16_t client_max_version;
	uint16_t n_ciphers; /* offered, GREASE kept, wire order (capped) */
	uint16_t ciphers[REC_MAX_CIPHERS];
	uint8_t n_groups;
	uint16_t groups[REC_MAX_GROUPS];
	bool has_server_hello;
	uint16_t server_legacy_version;
	uint16_t negotiated_version; /* 0 = null */
	bool has_cipher;
	bool cipher_sslv2; /* cipher is a 24-bit SSLv2 cipher kind */
	uint32_t cipher;
	bool has_alert;
	uint8_t alert_level, alert_desc;
	uint8_t alert_sender; /* 0 client, 1 server */
	bool established, resumed, hello_retry_request;
	char starttls[16];		 /* "" = plain TLS; else smtp, imap, ... */
	char l7_protocol[64];		 /* nDPI's name, "" if unknown */
	uint64_t risks;			 /* nDPI risk bitmask (bit = ndpi_risk_enum) */
	char ndpi_ja3[33];		 /* nDPI's JA3 client hash, "" if none */
	char ja3[33], ja3s[33], ja4[40]; /* our fingerprints, "" if not computed */
	char ja4_hrr[40];		 /* JA4 of the second ClientHello (after a HelloRetryRequest) */
	/* the server's leaf certificate (sent in clear: TLS <= 1.2, SSLv2); RFC 5280 */
	bool has_cert;		 /* a leaf was captured and decoded; the cert_* fields below are set */
	uint32_t cert_chain_len; /* entries in the Certificate message (also when has_cert is false) */
	uint16_t cert_subject_cn_len;
	char cert_subject_cn[REC_MAX_CERT_NAME + 1]; /* raw UTF-8 bytes + NUL; may hold any byte */
	bool cert_has_subject_cn;
	uint16_t cert_issuer_cn_len;
	char cert_issuer_cn[REC_MAX_CERT_NAME + 1];
	bool cert_has_issuer_cn;
	uint16_t cert_sans_len;
	uint8_t cert_sans[REC_MAX_CERT_SANS];	 /* (u8 len, bytes)*: DNS names and IP addresses (text), capped */
	int64_t cert_not_before, cert_not_after; /* seconds since the epoch, UTC */
	char cert_key_type[32];			 /* "RSA", "EC", "Ed25519", ... */
	char cert_key_curve[32];		 /* EC group name, "" otherwise */
	uint32_t cert_key_bits;
	char cert_sig_alg[64]; /* "sha256WithRSAEncryption", ... */
	char cert_sha256[65];  /* lowercase hex of the DER's SHA-256 */
	bool cert_self_signed; /* issuer == subject and the signature verifies with its own key */
	bool cert_expired;     /* notAfter before the connection's first packet */
	enum rec_outcome outcome;
	uint32_t flags;		    /* REC_F_* */
	uint64_t pkts[2], bytes[2]; /* [0] client->server, [1] server->client (payload bytes) */
};

const char *rec_outcome_name(enum rec_outcome o);
/* parse an outcome name back; returns OUT_COUNT_ if unknown */
enum rec_outcome rec_outcome_from_name(const char *s);

#endif
