/* limits.h - every cap and default of tlsaudit in one place: what an attacker can grow (flows, buffers, hello
 * fields, certificates, strings, shapes), what a run may use, and the defaults of the options that set them.
 *
 * The options a user can override are one X-macro, TA_LIMIT_OPTIONS: it makes struct ta_limits, the command
 * line options of `read` and `capture`, their usage text and their defaults, so the four cannot drift. Caps
 * that are part of a data format (how many cipher suites a parsed hello keeps) are compile-time constants here,
 * and the stages that keep copies of such data tie their own sizes to these with static asserts.
 */
#ifndef TLSAUDIT_LIMITS_H
#define TLSAUDIT_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* ---- parsed hello fields (struct tls_client_hello / tls_server_hello): the first N kept, the rest counted */
#define TA_MAX_CIPHERS	     512   /* cipher suites kept per ClientHello (exact JA3/JA4 up to this many) */
#define TA_MAX_EXTS	     64	   /* extension types kept per hello */
#define TA_MAX_VERSIONS	     16	   /* supported_versions entries */
#define TA_MAX_GROUPS	     32	   /* supported_groups entries */
#define TA_MAX_SIGALGS	     40	   /* signature_algorithms entries */
#define TA_MAX_POINT_FORMATS 8	   /* ec_point_formats entries */
#define TA_MAX_COMPRESSION   16	   /* compression methods */
#define TA_MAX_SNI	     255   /* RFC 6066 HostName bytes kept (longer: TLS_AN_SNI_TRUNCATED) */
#define TA_MAX_ALPN_BYTES    256   /* raw ProtocolNameList body bytes kept */
#define TA_MAX_RECORD	     18432 /* 2^14 + 2048: RFC 5246 6.2.3 TLSCiphertext.length limit */
#define TA_PLAINTEXT_KEEP    1024  /* plaintext bytes kept per direction for STARTTLS detection */

/* ---- certificates (struct cert_info) */
#define TA_CERT_MAX_NAME       255		 /* subject / issuer CN bytes kept */
#define TA_CERT_MAX_SANS       64		 /* SAN entries kept */
#define TA_CERT_MAX_SANS_BYTES 2048		 /* packed SAN list bytes kept */
#define TA_CERT_MAX_DER	       ((size_t)1 << 24) /* larger input is refused (ASN.1Cert<1..2^24-1>) */

/* ---- packet decoding */
#define TA_DECODE_MAX_TUNNEL 8 /* nested encapsulation layers (tunnels, PPPoE, MPLS pseudowires) */
#define TA_DECODE_MAX_VLAN   8 /* stacked 802.1Q / 802.1ad tags */
#define TA_DECODE_MAX_MPLS   8 /* MPLS label stack entries */
#define TA_DECODE_MAX_EXTHDR 8 /* IPv6 extension headers */

/* ---- hard ceilings on the overridable limits (they keep every internal length within 32 bits) */
#define TA_MAX_HANDSHAKE_CAP ((size_t)1 << 24) /* a handshake message is at most 2^24-1 bytes */
#define TA_MAX_PLAINTEXT_CAP ((size_t)1 << 30)
#define TA_MAX_CERT_CAP	     ((size_t)1 << 24)
#define TA_MAX_DIR_CAP	     ((size_t)1 << 30)

/* ---- defaults of the overridable limits */
#define TA_DEF_MAX_FLOWS      262144
#define TA_DEF_MAX_DIR_BYTES  (128 * 1024)
#define TA_DEF_MAX_SEGMENTS   64
#define TA_DEF_MAX_HANDSHAKE  (64 * 1024)
#define TA_DEF_MAX_PLAINTEXT  (64 * 1024)
#define TA_DEF_MAX_CERT_BYTES (64 * 1024)
#define TA_DEF_MAX_MEMORY     ((uint64_t)1024 * 1024 * 1024)
#define TA_DEF_IDLE_S	      300
#define TA_DEF_NDPI_PACKETS   32   /* a TLS flow needs about 8-10 (handshake up to the certificate) */
#define TA_DEF_PACK_AFTER     4096 /* below this, packing (tls_conn_pack) would cost CPU for little memory */

/* The options `read` and `capture` share: X(field, option, kind, default, minimum, maximum, help). kind: COUNT (a
 * number), BYTES (a number with an optional size suffix: 64K, 64M, 1G, 64MiB), SECONDS. */
#define TA_LIMIT_OPTIONS(X)                                                                                        \
	X(max_flows, "max-flows", COUNT, TA_DEF_MAX_FLOWS, 1, ((uint64_t)1 << 32),                                 \
	  "concurrent TCP flows tracked; when full the least recently active flow is finished and counted")        \
	X(max_dir_bytes, "max-dir-bytes", BYTES, TA_DEF_MAX_DIR_BYTES, 1024, TA_MAX_DIR_CAP,                       \
	  "bytes buffered per flow direction, in order and out of order")                                          \
	X(max_segments, "max-segments", COUNT, TA_DEF_MAX_SEGMENTS, 0, 65536,                                      \
	  "out-of-order segments queued per direction")                                                            \
	X(max_handshake, "max-handshake", BYTES, TA_DEF_MAX_HANDSHAKE, 256, TA_MAX_HANDSHAKE_CAP,                  \
	  "largest handshake message reassembled across records")                                                  \
	X(max_plaintext, "max-plaintext", BYTES, TA_DEF_MAX_PLAINTEXT, 0, TA_MAX_PLAINTEXT_CAP,                    \
	  "plaintext searched for the first TLS record after STARTTLS or a proxy greeting")                        \
	X(max_cert_bytes, "max-cert-bytes", BYTES, TA_DEF_MAX_CERT_BYTES, 1, TA_MAX_CERT_CAP,                      \
	  "largest server leaf certificate kept for parsing")                                                      \
	X(max_memory, "max-memory", BYTES, TA_DEF_MAX_MEMORY, 65536, ((uint64_t)1 << 48),                          \
	  "flow state, buffers, shared shapes and nDPI state together; when full the least recently active flows " \
	  "are finished (counted as evicted)")                                                                     \
	X(idle_s, "idle-timeout", SECONDS, TA_DEF_IDLE_S, 1, ((uint64_t)1 << 32),                                  \
	  "seconds of packet time after which an idle flow is finished")                                           \
	X(ndpi_packets, "ndpi-packets", COUNT, TA_DEF_NDPI_PACKETS, 1, 65536,                                      \
	  "payload packets per flow given to nDPI at most (only flows whose label is not known yet)")              \
	X(pack_after, "pack-after", COUNT, TA_DEF_PACK_AFTER, 0, ((uint64_t)1 << 32),                              \
	  "connections in flight before those waiting for their next bytes keep their TLS state packed (less "     \
	  "memory, more CPU; the results are the same; 0: always)")

struct ta_limits {
#define TA_LIMIT_MEMBER(field, opt, kind, def, min, max, help) uint64_t field;
	TA_LIMIT_OPTIONS(TA_LIMIT_MEMBER)
#undef TA_LIMIT_MEMBER
};

static inline void ta_limits_default(struct ta_limits *l)
{
#define TA_LIMIT_DEFAULT(field, opt, kind, def, min, max, help) l->field = (uint64_t)(def);
	TA_LIMIT_OPTIONS(TA_LIMIT_DEFAULT)
#undef TA_LIMIT_DEFAULT
}

/* ---- fixed internal caps (not options) */
#define TA_FREE_KEEP		  4096	    /* recycled flow objects kept for reuse */
#define TA_DICT_STR_MAX		  255	    /* bytes of an interned string (SNI, ALPN, label) */
#define TA_STORE_BATCH_ROWS	  10000	    /* rows per write transaction at most ... */
#define TA_STORE_BATCH_MS	  500	    /* ... and milliseconds a write transaction stays open at most */
#define TA_STORE_QUEUE		  4096	    /* connections queued between a pipeline and the database writer */
#define TA_STORE_BUSY_MS	  5000	    /* how long a writer waits for another writer's lock */
#define TA_FOREIGN_MAX_STEPS	  20000000  /* VM steps all queries on one foreign database may take ... */
#define TA_FOREIGN_STEPS_PER_BYTE 64	    /* ... plus this many per byte of its file (progress handler) */
#define TA_FOREIGN_MAX_LENGTH	  (1 << 20) /* largest string or blob read from a foreign database */
#define TA_AGG_MAX_PEERS	  8	    /* peers kept per host and role in reports; the rest are counted */
#define TA_AGG_MAX_SNIS		  16	    /* distinct SNI values kept per host and role in reports */
#define TA_AGG_SPILL_ROWS	  8192	    /* host rows a read keeps in memory before it writes them out */
#define TA_AGG_MAX_REASONS	  8	    /* distinct failure reasons kept per host and role */
#define TA_AGG_MAX_STACKS	  4	    /* client stacks kept per host in reports */

/* the copies of parsed data tied to the parser's caps: an interned string holds a whole kept SNI and a whole
 * ALPN ProtocolName (RFC 7301: opaque ProtocolName<1..2^8-1>), so nothing is cut a second time, silently */
_Static_assert(TA_DICT_STR_MAX >= TA_MAX_SNI, "an SNI the parser keeps is interned whole");
_Static_assert(TA_DICT_STR_MAX >= 255, "an ALPN protocol name is interned whole");
_Static_assert(TA_MAX_SNI <= UINT16_MAX, "tls_client_hello.sni_len holds a kept SNI's length");

#endif
