/* record.h - the result for one TCP connection in which a TLS hello was seen: what the NDJSON line, the
 * connections table and every report are made of. Facts are integers; what many connections share (the
 * ClientHello and ServerHello shapes, the certificate, the SNI, ALPN and nDPI label strings) is a reference to
 * an entry of a dict (include/tlsaudit/dict.h), valid while the record's owner holds it. Strings from the wire
 * are raw bytes with an explicit length: escaping happens at each output format's boundary; names of numbers
 * come from the names module (include/tlsaudit/names.h).
 */
#ifndef TLSAUDIT_RECORD_H
#define TLSAUDIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dict_hello;
struct dict_server;
struct dict_cert;
struct dict_str;

enum rec_outcome {
	OUT_ESTABLISHED = 0,  /* handshake completed */
	OUT_ALERT,	      /* a fatal plaintext alert ended the handshake */
	OUT_RESET,	      /* TCP reset before the handshake completed */
	OUT_NO_SERVER_REPLY,  /* ClientHello, then nothing from the server */
	OUT_SERVER_NOT_TLS,   /* the server answered with bytes that are not TLS */
	OUT_CLOSED,	      /* FIN before the handshake completed, no alert */
	OUT_TRUNCATED,	      /* capture cut (file end mid-packet, snaplen, missing segments) hid the result */
	OUT_INCOMPLETE,	      /* capture ended (or flow timed out) mid-handshake */
	OUT_STARTTLS_REFUSED, /* plaintext upgrade refused */
	OUT_COUNT_
};

/* ta_conn.flags: the NDJSON `flags` list (names.c names them; the bit order is part of the contract) */
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
	REC_F_EVICTED = 1u << 9,     /* flow evicted at the table or memory limit */
	REC_F_IDLE = 1u << 10,	     /* flow ended by idle timeout */
	REC_F_MULTI_CH = 1u << 11,   /* more than one ClientHello */
	REC_F_PLAINTEXT_PREFIX = 1u << 12,
	REC_F_FRAGMENTS = 1u << 13, /* IP fragments belonged to this 5-tuple (not decoded) */
	REC_F_NO_SYN = 1u << 14,    /* capture started mid-connection */
	REC_F_ECH = 1u << 15,
	REC_F_EARLY_DATA = 1u << 16,
	REC_F_UNIDIRECTIONAL = 1u << 17,       /* only one direction seen */
	REC_F_MALFORMED = 1u << 18,	       /* a hello or record was malformed */
	REC_F_CERT_CAPPED = 1u << 19,	       /* server leaf certificate over --max-cert-bytes: not decoded */
	REC_F_ESTABLISHED_INFERRED = 1u << 20, /* established from both ChangeCipherSpecs and application data in
						* both directions: the capture lost the bytes that show it directly */
	REC_F_DUPLICATES = 1u << 21,	       /* exact duplicate frames were seen (and counted once) */
};

/* ta_conn.anomalies: TLS_AN_* (tls.h) in the low 32 bits, CERT_AN_* (cert.h) from this bit up */
#define REC_CERT_AN_SHIFT 32

struct ta_conn {
	uint64_t seq;	 /* order of first packet within its capture (0-based) */
	int64_t ts_ns;	 /* first packet */
	int64_t last_ns; /* last packet seen for the flow */
	uint8_t family;	 /* 4 or 6 */
	uint8_t client_ip[16], server_ip[16];
	uint16_t client_port, server_port;
	const struct dict_hello *hello;	  /* the first ClientHello (hello->status != 0: partial); NULL if none */
	const struct dict_hello *hello2;  /* the second ClientHello (after a HelloRetryRequest), or NULL */
	const struct dict_server *server; /* the last non-HRR ServerHello, or NULL */
	const struct dict_cert *cert;	  /* the server's leaf certificate decoded from the clear, or NULL */
	const struct dict_str *sni;	  /* server_name of the first ClientHello, or NULL */
	const struct dict_str *alpn;	  /* the protocol the server selected (visible in TLS <= 1.2), or NULL */
	const struct dict_str *l7;	  /* nDPI's application protocol label, or NULL */
	uint16_t negotiated_version;	  /* 0 = none (0x0002 for SSL 2.0) */
	uint32_t cipher;		  /* negotiated suite, or the SSLv2 cipher kind (cipher_sslv2) */
	bool has_cipher, cipher_sslv2;
	uint16_t kx_group; /* key exchange group when visible, 0 otherwise */
	bool has_alert;
	uint8_t alert_level, alert_desc;
	uint8_t alert_sender; /* 0 client, 1 server */
	bool established, resumed, hello_retry_request;
	uint8_t outcome;	    /* enum rec_outcome */
	uint8_t starttls;	    /* enum starttls_proto; 0 = TLS from the first byte */
	bool cert_expired;	    /* notAfter before the connection's first packet */
	uint32_t cert_chain_len;    /* entries in the Certificate message (also when cert is NULL) */
	uint32_t flags;		    /* REC_F_* */
	uint64_t anomalies;	    /* TLS_AN_* | CERT_AN_* << REC_CERT_AN_SHIFT */
	uint64_t risks;		    /* nDPI risk bitmask (bit = ndpi_risk_enum) */
	uint64_t pkts[2], bytes[2]; /* [0] client->server, [1] server->client (payload bytes) */
	uint32_t dup_frames;	    /* exact duplicate frames counted once */
	uint8_t ndpi_ja3_from;	    /* which hello's nDPI JA3 nDPI reported: 0 none, 1 the first, 2 the second */
};

#endif
