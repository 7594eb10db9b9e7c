/* tls.h - TLS/SSL handshake facts from the two byte streams of one TCP connection.
 * specification: RFC 8446 (TLS 1.3), RFC 5246 (TLS 1.2), RFC 6101 (SSL 3.0),
 * draft-hickman-netscape-ssl-00 (SSL 2.0), RFC 6066 (SNI), RFC 7301 (ALPN),
 * RFC 8701 (GREASE).
 *
 * Contract: the pipeline hands each direction's in-order stream bytes to tls_conn_feed(); the TLS stage parses
 * records, reassembles handshake messages across records (bounded), hands each hello and the server's leaf
 * certificate to the caller's events once, and keeps only small facts (struct tls_state) plus the buffers of
 * a message still in flight. Nothing here logs or exits; it allocates only its own state, the bounded
 * handshake buffer while a hello spans records, the first plaintext bytes of a STARTTLS dialogue and the
 * bounded copy of a leaf certificate while it streams.
 */
#ifndef TLSAUDIT_TLS_H
#define TLSAUDIT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/limits.h"

/* Capped hello fields: the first N are stored, the total is counted (caps in limits.h). */
#define TLS_MAX_CIPHERS	      TA_MAX_CIPHERS
#define TLS_MAX_EXTS	      TA_MAX_EXTS
#define TLS_MAX_VERSIONS      TA_MAX_VERSIONS
#define TLS_MAX_GROUPS	      TA_MAX_GROUPS
#define TLS_MAX_SIGALGS	      TA_MAX_SIGALGS
#define TLS_MAX_POINT_FORMATS TA_MAX_POINT_FORMATS
#define TLS_MAX_COMPRESSION   TA_MAX_COMPRESSION
#define TLS_MAX_SNI	      TA_MAX_SNI
#define TLS_MAX_ALPN_BYTES    TA_MAX_ALPN_BYTES
#define TLS_MAX_RECORD	      TA_MAX_RECORD
#define TLS_PLAINTEXT_KEEP    TA_PLAINTEXT_KEEP

enum tls_status {
	TLS_OK = 0,
	TLS_NEED_MORE,	 /* input ends before the structure does; more bytes may complete it */
	TLS_TRUNCATED,	 /* the structure's own length says it ends beyond what exists for good */
	TLS_MALFORMED,	 /* lengths or values contradict the specification */
	TLS_UNSUPPORTED, /* well-formed but not something we decode */
};

/* anomaly bits (struct tls_client_hello.anomalies, tls_server_hello.anomalies, tls_state.anomalies) */
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
	uint16_t cipher;	   /* cipher_suite (SSLv2: 0 here, see tls_state.sslv2_cipher24) */
	uint8_t compression;
	uint8_t session_id_len;
	uint8_t session_id[32];
	bool is_hrr;		  /* random == SHA-256("HelloRetryRequest") (RFC 8446 4.1.3) */
	bool sslv2_format;	  /* SSLv2 SERVER-HELLO */
	bool has_psk;		  /* pre_shared_key (41) selected: TLS 1.3 resumption */
	bool has_session_ticket;  /* extension 35 echoed: a ticket will be issued */
	bool exts_malformed;	  /* the extensions block contradicts its length: fields before it are valid */
	uint16_t key_share_group; /* TLS 1.3 key_share (51): the server's KeyShareEntry group (HRR: selected_group) */
	uint8_t alpn_len;	  /* ALPN (16): the one protocol the server selected, raw bytes */
	uint8_t alpn[255];
	uint16_t n_exts, n_exts_total;
	uint16_t exts[TLS_MAX_EXTS];
	uint32_t anomalies;
};

enum tls_dir { TLS_DIR_CLIENT = 0, TLS_DIR_SERVER = 1 }; /* who sent the bytes */

struct tls_limits {
	size_t max_handshake;  /* largest handshake message reassembled across records (0: TA_DEF_MAX_HANDSHAKE) */
	size_t max_plaintext;  /* plaintext bytes searched for the first record before giving up (0: default) */
	size_t max_cert_bytes; /* largest server leaf certificate (DER) kept for its event (0: default) */
};

/* What one direction's record layer has seen (read-only view of the TLS stage's state). */
struct tls_dir_view {
	uint64_t consumed;	    /* stream bytes consumed by tls_conn_feed */
	uint64_t plaintext_skipped; /* bytes before the first record (STARTTLS dialogue, proxy greeting) */
	const uint8_t *plain;	    /* the first TLS_PLAINTEXT_KEEP of them (borrowed; NULL for plain TLS) */
	uint16_t plain_len;
	bool started;		/* first TLS/SSLv2 record seen */
	bool dead;		/* parsing stopped for good (malformed, limit, not TLS) */
	bool encrypted;		/* after this side's ChangeCipherSpec (<= 1.2) or the ServerHello (1.3) */
	bool lost;		/* bytes of this side were lost after it started (a gap: parsing resynchronised) */
	bool plain_lost;	/* bytes were lost before the first record (in the dialogue, or its start) */
	uint32_t records;	/* records parsed (counted when a record begins) */
	uint32_t records_ended; /* records whose last byte has been consumed */
	uint32_t ccs;		/* ChangeCipherSpec records */
	uint32_t app_records;	/* application_data (23) records */
	uint32_t app_after_sh;	/* application_data records after the ServerHello was seen */
	uint32_t app_after_ccs; /* application_data records after this side's ChangeCipherSpec */
	uint32_t hs_after_ccs;	/* handshake records after this side's CCS (encrypted Finished) */
	uint32_t alerts;	/* alert records (plaintext or not) */
	uint32_t sslv2_records;
	uint32_t hs_types; /* bit n set: plaintext handshake message of type n (< 32) seen */
};

/* The facts of one connection so far (read-only view, valid until the next call on the connection). The
 * hellos themselves are handed out once, by the events, and not kept. */
struct tls_state {
	bool have_ch;		 /* the first ClientHello parsed completely */
	uint8_t ch_status;	 /* enum tls_status of the first ClientHello's parse */
	uint8_t n_client_hellos; /* ClientHello messages begun (saturating) */
	uint16_t ch_records;	 /* records the first ClientHello spanned (1 = one record) */
	bool ch_sent_after_sh;	 /* a ClientHello after the ServerHello (renegotiation) */
	bool have_sh;		 /* a (non-HRR) ServerHello was parsed */
	bool sh_sslv2;		 /* ... in SSLv2 format (SERVER-HELLO) */
	bool sh_malformed;	 /* ... whose extensions block was malformed (version and cipher still read) */
	uint16_t
		negotiated_version; /* of the last non-HRR ServerHello, its supported_versions deciding; 0x0002 SSLv2 */
	uint16_t sh_cipher;	    /* its cipher_suite (0 for SSLv2: see sslv2_cipher24) */
	bool hrr;		    /* a HelloRetryRequest was seen */
	uint32_t sslv2_cipher24;    /* SSLv2 CLIENT-MASTER-KEY cipher kind, 24 bits; 0 if none */
	bool have_alert;	    /* first plaintext alert */
	uint8_t alert_level;	    /* 1 warning, 2 fatal */
	uint8_t alert_desc;
	uint8_t alert_sender;	/* enum tls_dir */
	bool fatal_alert;	/* any plaintext fatal alert */
	bool fatal_before_done; /* a fatal alert came before the handshake completed */
	bool resumed;		/* session id echo, ticket or PSK accepted */
	uint16_t kx_group;	/* key exchange group: TLS 1.3 ServerHello key_share, TLS <= 1.2 ECDHE
				 * ServerKeyExchange named_curve; 0 if not seen */
	uint16_t sh_records;	/* records the first ServerHello (or HelloRetryRequest) spanned; 0 = none */
	/* Where messages ended: the 1-based index (dir[].records) of the record holding the last byte of the first
	 * and second ClientHello, the first ServerHello or HelloRetryRequest, and the server's first Certificate
	 * message (TLS <= 1.2); 0 = not yet. The record itself is complete once dir[].records_ended reaches it. */
	uint32_t ch_end_record[2], sh_end_record, cert_end_record;
	bool sh_first_hrr;	 /* the first ServerHello was a HelloRetryRequest */
	uint32_t cert_chain_len; /* entries in the server's Certificate message (TLS <= 1.2, SSLv2) */
	bool cert_seen;		 /* a server Certificate message (or SSLv2 certificate) began */
	bool cert_one_record;	 /* ... and lay within one record */
	uint32_t cert_msg_len;	 /* its body length, and its certificate_list length as sent */
	uint32_t cert_list_len;
	uint32_t anomalies; /* TLS_AN_* for the connection */
	struct tls_dir_view dir[2];
};

/* Called by the TLS stage during tls_conn_feed(), on the caller's thread; what they point at is borrowed for
 * the call. They must not call back into the same tls_conn. */
struct tls_events {
	/* Each ClientHello message (st.n_client_hellos says which): status TLS_OK, or the parse error with ch
	 * holding the fields read before it. */
	void (*client_hello)(void *ctx, const struct tls_client_hello *ch, enum tls_status status);
	/* Each non-HRR ServerHello (the last one decides). */
	void (*server_hello)(void *ctx, const struct tls_server_hello *sh);
	/* The server's leaf certificate, complete (at most tls_limits.max_cert_bytes; larger ones only set
	 * TLS_AN_CERT_CAPPED). */
	void (*certificate)(void *ctx, const uint8_t *der, size_t len);
};

struct tls_conn; /* the record layer and handshake reassembly of one TCP connection (private) */

/* Start a connection. ev and ctx are borrowed for the connection's life; lim is copied (0 = defaults).
 * Returns 0 or -ENOMEM. */
int tls_conn_new(const struct tls_limits *lim, const struct tls_events *ev, void *ctx, struct tls_conn **ret);
void tls_conn_free(struct tls_conn *c); /* accepts NULL */
/* Heap bytes the connection holds (its own struct included), for the caller's memory cap. */
size_t tls_conn_heap(const struct tls_conn *c);
const struct tls_state *tls_conn_state(const struct tls_conn *c);

/* A connection packed while it waits for its next bytes (zpack.h: after a ClientHello its 352-byte state is
 * mostly zeros), for when many are in flight at once. The packed form owns what the connection owned; only the
 * calls below take it. tls_conn_pack() frees c's struct and returns the packed form, or returns NULL and
 * leaves c as it was (no memory, or packing would not save any); tls_conn_unpack() gives back the connection
 * exactly as it was packed and frees p, or returns NULL and leaves p (no memory). */
struct tls_packed;
struct tls_packed *tls_conn_pack(struct tls_conn *c);
struct tls_conn *tls_conn_unpack(struct tls_packed *p);
void tls_packed_free(struct tls_packed *p);				  /* accepts NULL */
size_t tls_packed_heap(const struct tls_packed *p);			  /* as tls_conn_heap() */
bool tls_packed_dir_closed(const struct tls_packed *p, enum tls_dir dir); /* tls_dir_closed() of its state */
bool tls_packed_done(const struct tls_packed *p);			  /* tls_done() of its state */

/* Feed in-order stream bytes of one direction. data is borrowed for the call. Returns how many leading bytes
 * were consumed: whole records, plaintext skipped while looking for the first record, and the available part of
 * a record whose body streams (plaintext handshake records feed the bounded handshake reassembly as they arrive;
 * encrypted records are only counted). At most a record header (5 bytes), or an alert, CCS or SSLv2 record, is
 * left for the caller to keep and present again with more bytes appended. lost_before: the capture lost bytes
 * of this direction just before data[0]; the stage resynchronises on the next record header that a second
 * header (or the end of the data) confirms, and counts the gap. When the direction is dead every byte is
 * consumed. Never reads outside data[0..len). */
size_t tls_conn_feed(struct tls_conn *c, enum tls_dir dir, const uint8_t *data, size_t len, bool lost_before);

/* Who sent these first bytes of a stream? TLS_DIR_CLIENT for a ClientHello (TLS record of type 22 with
 * handshake type 1, or an SSLv2 CLIENT-HELLO), TLS_DIR_SERVER for a ServerHello or a plaintext alert;
 * *ret_known false when the bytes say neither (or are too few: *ret_need_more). The one place that decides which
 * side of a connection is the TLS client from its bytes. */
enum tls_dir tls_guess_sender(const uint8_t *data, size_t len, bool *ret_known, bool *ret_need_more);

/* Handshake complete (README "When is a handshake established"). *ret_inferred (may be NULL) is set when the
 * verdict comes from both ChangeCipherSpecs and application data in both directions because the capture lost
 * the bytes that would show it directly. */
bool tls_established(const struct tls_state *s, bool *ret_inferred);
/* Nothing more of interest can come from this connection's bytes (established, failed with a fatal alert, or
 * both directions dead). */
bool tls_done(const struct tls_state *s);
/* The TLS stage wants no more bytes of dir. */
bool tls_dir_closed(const struct tls_state *s, enum tls_dir dir);

/* Does data begin with a TLS handshake record header whose body has not fully arrived? (a caller may wait for
 * the rest before it spends a connection state on the bytes) */
bool tls_record_incomplete(const uint8_t *data, size_t len);

/* Does the first byte(s) of a client stream look like a ClientHello (TLS record of type 22 with handshake type
 * 1, or an SSLv2 CLIENT-HELLO)? Returns TLS_OK, TLS_NEED_MORE (too few bytes to tell) or TLS_UNSUPPORTED. */
enum tls_status tls_looks_like_client_hello(const uint8_t *data, size_t len);

/* Parse one handshake message body (after the 4-byte header). */
enum tls_status tls_parse_client_hello(const uint8_t *body, size_t len, struct tls_client_hello *out);
enum tls_status tls_parse_server_hello(const uint8_t *body, size_t len, struct tls_server_hello *out);
/* Parse an SSLv2 record starting at its 2-byte header; on success *rec_len is its total size. */
enum tls_status tls_parse_sslv2_client_hello(const uint8_t *rec, size_t len, struct tls_client_hello *out,
					     size_t *ret_rec_len);

/* Client maximum: highest non-GREASE of supported_versions, else legacy_version. 0 if unknown. */
uint16_t tls_client_max_version(const struct tls_client_hello *ch);
/* Lowest non-GREASE version listed in supported_versions; 0 when the extension is absent or lists none. */
uint16_t tls_client_min_listed_version(const struct tls_client_hello *ch);
/* TLS 1.3 or a TLS 1.3 draft / experiment (0x7fxx, 0x7exx, 0xfb1a, 0xfb17) */
bool tls_version_is_13(uint16_t v);
/* The rank a version sorts by: drafts and experiments of TLS 1.3 rank with TLS 1.3 (0x0304), every other
 * value is its own rank. The one home of this rule (policy comparisons, maxima, reports). */
uint16_t tls_version_rank(uint16_t v);

static inline bool tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

#endif
