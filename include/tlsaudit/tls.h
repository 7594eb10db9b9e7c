/* tls.h - TLS/SSL handshake facts from the two byte streams of one TCP connection.
 * specification: RFC 8446 (TLS 1.3), RFC 5246 (TLS 1.2), RFC 6101 (SSL 3.0),
 * draft-hickman-netscape-ssl-00 (SSL 2.0), RFC 6066 (SNI), RFC 7301 (ALPN),
 * RFC 8701 (GREASE).
 *
 * Contract: the flow stage hands each direction's in-order stream bytes to
 * tls_feed(); the TLS stage parses whole records, reassembles handshake
 * messages across records (bounded), and fills struct tls_facts. Nothing here
 * logs, exits or allocates except the bounded per-direction handshake buffer
 * and the bounded copy of the server's leaf certificate.
 */
#ifndef TLSAUDIT_TLS_H
#define TLSAUDIT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Capped hello fields: the first N are stored, the total is counted. */
#define TLS_MAX_CIPHERS	      512
#define TLS_MAX_EXTS	      64
#define TLS_MAX_VERSIONS      16
#define TLS_MAX_GROUPS	      32
#define TLS_MAX_SIGALGS	      40
#define TLS_MAX_POINT_FORMATS 8
#define TLS_MAX_COMPRESSION   16    /* compression methods kept (the wire allows 255) */
#define TLS_MAX_SNI	      255   /* RFC 6066: HostName is at most 2^8-1 here (DNS limit) */
#define TLS_MAX_ALPN_BYTES    256   /* raw ProtocolNameList body, capped */
#define TLS_MAX_RECORD	      18432 /* 2^14 + 2048: RFC 5246 6.2.3 TLSCiphertext.length limit */
#define TLS_PLAINTEXT_KEEP    1024  /* plaintext bytes kept per direction for STARTTLS detection */

enum tls_status {
	TLS_OK = 0,
	TLS_NEED_MORE,	 /* input ends before the structure does; more bytes may complete it */
	TLS_TRUNCATED,	 /* the structure's own length says it ends beyond what exists for good */
	TLS_MALFORMED,	 /* lengths or values contradict the specification */
	TLS_UNSUPPORTED, /* well-formed but not something we decode */
};

/* anomaly bits (struct tls_client_hello.anomalies, tls_server_hello.anomalies, tls_facts.anomalies) */
enum {
	TLS_AN_CIPHERS_CAPPED = 1u << 0,    /* more cipher suites than TLS_MAX_CIPHERS */
	TLS_AN_EXTS_CAPPED = 1u << 1,	    /* more extensions than TLS_MAX_EXTS */
	TLS_AN_DUP_EXTENSION = 1u << 2,	    /* RFC 8446 4.2: same extension twice */
	TLS_AN_BAD_EXTENSION = 1u << 3,	    /* an extension body contradicts its length */
	TLS_AN_SNI_TRUNCATED = 1u << 4,	    /* host name longer than TLS_MAX_SNI */
	TLS_AN_TRAILING_BYTES = 1u << 5,    /* bytes after the last field */
	TLS_AN_ODD_CIPHER_LEN = 1u << 6,    /* cipher_suites length not even */
	TLS_AN_HS_TOO_BIG = 1u << 7,	    /* handshake message larger than the reassembly cap */
	TLS_AN_RECORD_TOO_BIG = 1u << 8,    /* record length over TLS_MAX_RECORD */
	TLS_AN_NOT_TLS = 1u << 9,	    /* a direction never looked like TLS */
	TLS_AN_PLAINTEXT_PREFIX = 1u << 10, /* non-TLS bytes before the first record (STARTTLS, proxy) */
	TLS_AN_MULTIPLE_CH = 1u << 11,	    /* more than one ClientHello (HRR or duplicate) */
	TLS_AN_VERSIONS_CAPPED = 1u << 12,
	TLS_AN_GROUPS_CAPPED = 1u << 13,
	TLS_AN_SIGALGS_CAPPED = 1u << 14,
	TLS_AN_ALPN_CAPPED = 1u << 15,
	TLS_AN_CERT_CAPPED = 1u << 16,	  /* leaf certificate larger than tls_limits.max_cert_bytes: not kept */
	TLS_AN_CERT_MALFORMED = 1u << 17, /* Certificate message lengths contradict each other */
};

/* RFC 8446 section 4.1.2:
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id<0..32>;
 *       CipherSuite cipher_suites<2..2^16-2>;
 *       opaque legacy_compression_methods<1..2^8-1>;
 *       Extension extensions<8..2^16-1>;
 *   } ClientHello;
 * Arrays keep wire order and keep GREASE values; consumers filter with
 * tls_is_grease() where the output wants them left out. */
struct tls_client_hello {
	uint16_t record_version;  /* TLSPlaintext.legacy_record_version (0x0002 for SSLv2 format) */
	uint16_t legacy_version;  /* ClientHello.legacy_version (SSLv2 format: its version field) */
	bool sslv2_format;	  /* arrived as an SSLv2-compatible CLIENT-HELLO */
	uint8_t session_id_len;	  /* 0..32 (SSLv2: 0..16) */
	uint16_t n_ciphers;	  /* stored in ciphers[] */
	uint16_t n_ciphers_total; /* on the wire (SSLv2 3-byte specs with a 0 first byte are mapped to 2-byte values) */
	uint16_t ciphers[TLS_MAX_CIPHERS];
	uint8_t n_compression;			  /* stored in compression[] (SSLv2 format: 0) */
	uint8_t n_compression_total;		  /* on the wire (at most 255) */
	uint8_t compression[TLS_MAX_COMPRESSION]; /* legacy_compression_methods in wire order */
	uint16_t n_exts, n_exts_total;
	uint16_t exts[TLS_MAX_EXTS]; /* extension types in wire order */
	bool has_supported_versions; /* extension 43 present (even if empty) */
	uint8_t n_versions;
	uint16_t versions[TLS_MAX_VERSIONS]; /* supported_versions in wire order, GREASE kept */
	uint8_t n_groups;
	uint16_t groups[TLS_MAX_GROUPS]; /* supported_groups (10) */
	uint8_t n_sigalgs;
	uint16_t sigalgs[TLS_MAX_SIGALGS]; /* signature_algorithms (13) */
	uint8_t n_point_formats;
	uint8_t point_formats[TLS_MAX_POINT_FORMATS]; /* ec_point_formats (11) */
	bool has_sni;
	uint16_t sni_len;		  /* bytes stored in sni (<= TLS_MAX_SNI) */
	char sni[TLS_MAX_SNI + 1];	  /* first host_name entry, raw bytes, NUL-terminated; may hold any byte */
	uint16_t alpn_len;		  /* bytes stored in alpn */
	uint8_t alpn[TLS_MAX_ALPN_BYTES]; /* raw ProtocolNameList body: (u8 len, bytes)* */
	bool has_session_ticket;	  /* extension 35 with a non-empty ticket */
	bool has_psk;			  /* pre_shared_key (41) */
	bool has_early_data;		  /* early_data (42) */
	bool has_ech;			  /* encrypted_client_hello (0xfe0d) */
	uint32_t anomalies;		  /* TLS_AN_* */
};

/* RFC 8446 section 4.1.3:
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id_echo<0..32>;
 *       CipherSuite cipher_suite;
 *       uint8 legacy_compression_method = 0;
 *       Extension extensions<6..2^16-1>;
 *   } ServerHello;
 * Pre-draft-16 TLS 1.3 ServerHellos (legacy_version 0x7f0e.. or 0x0304 with
 * no session id) and drafts 7f12..7f1c are recognised by version. */
struct tls_server_hello {
	uint16_t record_version;
	uint16_t legacy_version;   /* ServerHello.legacy_version (SSLv2: SERVER-HELLO version) */
	uint16_t selected_version; /* supported_versions (43) value; 0 when absent */
	uint16_t cipher;	   /* cipher_suite (SSLv2: 0 here, see tls_facts.sslv2_cipher) */
	uint8_t compression;
	uint8_t session_id_len;
	uint8_t session_id[32];
	bool is_hrr;		 /* random == SHA-256("HelloRetryRequest") (RFC 8446 4.1.3) */
	bool sslv2_format;	 /* SSLv2 SERVER-HELLO */
	bool has_psk;		 /* pre_shared_key (41) selected: TLS 1.3 resumption */
	bool has_session_ticket; /* extension 35 echoed: a ticket will be issued */
	uint16_t n_exts, n_exts_total;
	uint16_t exts[TLS_MAX_EXTS];
	uint32_t anomalies;
};

enum tls_dir { TLS_DIR_CLIENT = 0, TLS_DIR_SERVER = 1 }; /* who sent the bytes */

struct tls_limits {
	size_t max_handshake;  /* largest handshake message reassembled across records (default 65536) */
	size_t max_plaintext;  /* plaintext bytes searched for the first record before giving up (default 65536) */
	size_t max_cert_bytes; /* largest server leaf certificate (DER) kept (default 65536) */
};

/* The server's Certificate message (RFC 5246 section 7.4.2), TLS <= 1.2 only (TLS 1.3
 * encrypts it), read as it streams past without buffering the message:
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 * Only the first entry (the sender's own certificate) is kept, up to max_cert_bytes;
 * every entry is counted. The SSLv2 SERVER-HELLO's certificate fills the same fields. */
struct tls_cert_capture {
	uint8_t *der;	    /* owned: the leaf's DER once complete (NULL if none, capped or cut) */
	size_t der_len;	    /* bytes of der received so far */
	size_t der_want;    /* the leaf's length on the wire */
	uint32_t chain_len; /* entries in certificate_list, including those past any cap */
	bool seen;	    /* a server Certificate message (or SSLv2 certificate) began */
	bool leaf_done;	    /* der holds the whole leaf */
	/* streaming state, private to the TLS stage */
	uint8_t phase;	     /* what the next byte belongs to */
	uint8_t hdr_len;     /* bytes of a 3-byte length read so far */
	uint32_t hdr;	     /* the length being assembled */
	uint32_t msg_left;   /* message body bytes not yet seen */
	uint32_t list_left;  /* certificate_list bytes not yet seen */
	uint32_t entry_left; /* bytes of the current entry not yet seen */
};

/* per-direction record-layer state */
struct tls_dir_state {
	uint8_t *hs_buf;       /* owned: handshake bytes spanning records; NULL until needed */
	size_t hs_len, hs_cap; /* hs_cap <= limits.max_handshake */
	uint64_t consumed;     /* stream bytes consumed by tls_feed */
	uint64_t plaintext_skipped;
	uint16_t plain_len;    /* bytes stored in plain */
	uint8_t *plain;	       /* owned: first plaintext bytes (STARTTLS dialogue), TLS_PLAINTEXT_KEEP
				* bytes allocated on the first plaintext byte; NULL for plain TLS */
	bool started;	       /* first TLS/SSLv2 record seen */
	bool dead;	       /* parsing stopped (malformed, limit, not TLS) */
	bool encrypted;	       /* after this side's ChangeCipherSpec (<=1.2) or ServerHello (1.3) */
	uint32_t records;      /* records parsed */
	uint32_t ccs;	       /* ChangeCipherSpec records */
	uint32_t app_records;  /* application_data (23) records */
	uint32_t app_after_sh; /* application_data records after the ServerHello was seen */
	uint32_t hs_after_ccs; /* handshake records after this side's CCS (encrypted Finished) */
	uint32_t alerts;       /* alert records (plaintext or not) */
	uint32_t sslv2_records;
	/* added by the TLS stage (state it needs; not part of the original contract) */
	uint32_t hs_types;	 /* bit n set: plaintext handshake message of type n (< 32) seen */
	uint32_t hs_skip;	 /* bytes left of a handshake message being skipped (not a hello, or too big) */
	uint16_t hs_rec_version; /* record version of the record that began the buffered message */
	uint16_t hs_records;	 /* records the buffered message has spanned so far */
	uint16_t rec_skip;	 /* bytes left of a record whose body is not needed (encrypted), streamed */
	uint8_t rec_skip_type;	 /* that record's content type: counted when its last byte arrives */
	uint16_t rec_hs_left;	 /* bytes left of a plaintext handshake record fed as it arrives */
	uint16_t rec_skip_version;
};

struct tls_facts {
	bool have_ch;		    /* a ClientHello was parsed */
	struct tls_client_hello ch; /* the first ClientHello */
	uint8_t n_client_hellos;    /* saturating */
	bool have_sh;		    /* a (non-HRR) ServerHello was parsed */
	struct tls_server_hello sh; /* the last non-HRR ServerHello */
	bool hrr;		    /* a HelloRetryRequest was seen */
	uint32_t sslv2_cipher24;    /* SSLv2 CLIENT-MASTER-KEY cipher kind, 24 bits; 0 if none */
	bool have_alert;	    /* first plaintext alert */
	uint8_t alert_level;	    /* 1 warning, 2 fatal */
	uint8_t alert_desc;
	enum tls_dir alert_sender;
	bool fatal_alert;	      /* any plaintext fatal alert */
	bool fatal_before_done;	      /* a fatal alert came before the handshake completed */
	bool resumed;		      /* session id echo, ticket or PSK accepted */
	bool ch_sent_after_sh;	      /* a ClientHello after the ServerHello (renegotiation) */
	uint32_t anomalies;	      /* TLS_AN_* for the connection */
	uint16_t ch_records;	      /* records the first ClientHello spanned (1 = one record) */
	uint8_t ch_status;	      /* enum tls_status of the first ClientHello's parse; when not
				       * TLS_OK, have_ch is false and ch holds the fields read before
				       * the error (e.g. legacy_version, SNI of a fuzzed hello) */
	struct tls_client_hello *ch2; /* owned: the second ClientHello (after HRR, or a repeat), or NULL */
	struct tls_cert_capture cert; /* the server's leaf certificate (TLS <= 1.2, SSLv2) */
	struct tls_dir_state dir[2];
};

/* Zero a tls_facts (no allocation). */
void tls_facts_init(struct tls_facts *f);
/* Free what tls_facts owns (the handshake buffers and the leaf certificate); accepts a
 * zeroed struct. Call it once the record is built. */
void tls_facts_done(struct tls_facts *f);
/* Heap bytes tls_facts owns beyond its own size (for the caller's memory cap). */
size_t tls_facts_heap(const struct tls_facts *f);

/* Feed in-order stream bytes of one direction. data is borrowed for the call.
 * Returns how many leading bytes were consumed: whole records, plaintext skipped
 * while looking for the first record, and the available part of a record whose
 * body streams (plaintext handshake records feed the bounded handshake
 * reassembly as they arrive; encrypted records are only counted). At most a
 * record header (5 bytes), or an alert, CCS or SSLv2 record, is left for the caller
 * to keep and present again with more bytes appended. When the direction is
 * dead every byte is consumed. Never reads outside data[0..len). */
size_t tls_feed(struct tls_facts *f, enum tls_dir dir, const uint8_t *data, size_t len, const struct tls_limits *lim);

/* Does the first byte(s) of a client stream look like a ClientHello (TLS record
 * of type 22 with handshake type 1, or an SSLv2 CLIENT-HELLO)? Used to decide
 * which side is the client. Returns TLS_OK, TLS_NEED_MORE (too few bytes to
 * tell) or TLS_UNSUPPORTED (not a hello). */
enum tls_status tls_looks_like_client_hello(const uint8_t *data, size_t len);

/* Parse one handshake message body (after the 4-byte header). */
enum tls_status tls_parse_client_hello(const uint8_t *body, size_t len, struct tls_client_hello *out);
enum tls_status tls_parse_server_hello(const uint8_t *body, size_t len, struct tls_server_hello *out);
/* Parse an SSLv2 record starting at its 2-byte header; on success *rec_len is its total size. */
enum tls_status tls_parse_sslv2_client_hello(const uint8_t *rec, size_t len, struct tls_client_hello *out,
					     size_t *ret_rec_len);

/* Version seen by the handshake: negotiated (ServerHello supported_versions
 * deciding), client maximum (highest non-GREASE of supported_versions, else
 * legacy_version). 0 if unknown. */
uint16_t tls_negotiated_version(const struct tls_facts *f);
uint16_t tls_client_max_version(const struct tls_client_hello *ch);
/* TLS 1.3 or a TLS 1.3 draft / experiment (0x7fxx, 0x7exx, 0xfb1a) */
bool tls_version_is_13(uint16_t v);

/* Handshake complete (rule documented in README "When is a handshake
 * established"): true established, false not (yet) established. */
bool tls_established(const struct tls_facts *f);
/* Nothing more of interest can come from this connection's bytes
 * (established, failed with a fatal alert, or both directions dead). */
bool tls_done(const struct tls_facts *f);

static inline bool tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Names (static strings). Version: "TLS 1.2", "TLS 1.3 (draft 23)", else NULL
 * (caller prints 0x%04x). Cipher: IANA name or NULL. Alert: RFC 8446 snake_case or NULL. */
const char *tls_version_name(uint16_t v);
const char *tls_cipher_name(uint16_t id);
const char *tls_sslv2_cipher_name(uint32_t kind);
const char *tls_alert_name(uint8_t desc);
/* Writes the version name (or "0x7e01") into buf; returns buf. */
const char *tls_version_str(uint16_t v, char buf[static 32]);

#endif
