/* dict.h - what many connections share, kept once and referenced: ClientHello shapes (cipher suites,
 * extensions, groups, signature algorithms, versions, ALPN list - everything a client stack fixes, with the
 * fingerprints and the client stack computed once per shape), ServerHello shapes (with JA3S), server leaf
 * certificates (parsed once) and byte strings (SNI values, ALPN protocols, nDPI labels).
 *
 * Contract. A dict belongs to one thread (a pipeline, or a reader of the store); nothing in it is locked. An
 * entry is found by its key - the canonical bytes of a shape (dict_hello_key() / dict_server_key()), a
 * certificate's DER, a string's bytes - and is immutable once its creator has filled the derived fields (the
 * *_get functions say so with *ret_new). Every _get returns one reference the caller owns; dict_ref() takes
 * another, dict_unref() gives one back. An entry nobody references stays cached, on a least-recently-used list,
 * until the dict needs its memory. Entries may be read (not changed, not referenced) from another thread while
 * the owner holds a reference for it: the store's writer reads entries of records queued to it.
 *
 * Keys: a hello or server shape is its canonical encoding (dict_hello_key / dict_server_key; version 2 of
 * either marks a shape migrated from schema 2, which carries its fingerprints in the key); a certificate from
 * the wire is its DER, one read back from a database is its SHA-256 (the two never share a dict).
 *
 * Memory: every entry's bytes are charged through struct dict_mem (the pipeline charges them to the flow
 * table's --max-memory); when a charge is refused the dict first frees unreferenced entries, then gives up
 * (the _get returns NULL and the caller records the connection without that fact).
 */
#ifndef TLSAUDIT_DICT_H
#define TLSAUDIT_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/cert.h"
#include "tlsaudit/classify.h"
#include "tlsaudit/limits.h"
#include "tlsaudit/record.h"
#include "tlsaudit/tls.h"

enum dict_kind { DICT_HELLO = 1, DICT_SERVER, DICT_CERT, DICT_STR };

struct dict_entry {
	struct dict_entry *next;		/* hash chain */
	struct dict_entry *lru_prev, *lru_next; /* the unreferenced list (refs == 0) */
	uint64_t serial;			/* unique in the process: what the store's writer remembers */
	uint64_t hash;				/* of kind and key (keyed, per dict) */
	uint64_t key_digest; /* of kind and key with a fixed key: the same in every process (row digests) */
	uint32_t refs;
	uint32_t bytes;	  /* allocation size, charged to dict_mem */
	uint32_t key_len; /* key bytes follow the kind's struct */
	uint8_t kind;	  /* enum dict_kind */
	const uint8_t *key;
};

/* Derived facts about a ClientHello shape, computed once by the entry's creator. */
struct dict_hello_derived {
	char ja3[33];			 /* JA3 (MD5 hex); "" for a partial hello */
	char ja4[40];			 /* JA4; "" for a partial hello */
	char ndpi_ja3[33];		 /* nDPI's flavour of JA3; "" if none */
	uint64_t risks;			 /* nDPI risk bits that depend only on the ClientHello (classify_risk_hello) */
	struct classify_risk_hello ndpi; /* what nDPI takes from it, host name aside (pipeline only; not stored) */
	uint32_t offers;		 /* DICT_OFFERS_*: what the cipher list offers (posture) */
	char stack_key[32];		 /* client stack (stack.h), "" if unknown */
	char stack_family[16];		 /* "schannel", "openssl", ... */
	char stack_name[80];		 /* "Windows 7 / Server 2008 R2 SChannel" */
	uint8_t stack_match;		 /* 0 none, 1 exact, 2 close */
	char stack_differed[96];	 /* close match: what differed */
};

enum {
	DICT_OFFERS_RC4 = 1u << 0,
	DICT_OFFERS_3DES = 1u << 1,
	DICT_OFFERS_EXPORT = 1u << 2,
	DICT_OFFERS_NULL = 1u << 3,	/* NULL encryption or anonymous key exchange */
	DICT_OFFERS_CBC_SHA1 = 1u << 4, /* CBC with a SHA-1 MAC */
};

/* A ClientHello shape: everything of the hello except the random, the session id, the SNI value, key shares,
 * padding and tickets. Arrays in wire order, GREASE kept. */
struct dict_hello {
	struct dict_entry e;
	uint16_t record_version, legacy_version;
	uint16_t max_version;	     /* tls_client_max_version() */
	uint16_t min_listed_version; /* tls_client_min_listed_version() */
	uint8_t status;		     /* enum tls_status of the parse: TLS_OK, else a partial (malformed) hello */
	bool sslv2_format, has_sni, has_supported_versions;
	uint16_t n_ciphers, n_ciphers_total, n_exts, n_exts_total;
	uint8_t n_versions, n_groups, n_sigalgs, n_point_formats, n_compression;
	uint16_t alpn_len;
	uint32_t anomalies; /* TLS_AN_* of the shape (the SNI's own anomaly is the connection's) */
	const uint16_t *ciphers, *exts, *versions, *groups, *sigalgs;
	const uint8_t *point_formats, *compression, *alpn; /* alpn: raw ProtocolNameList body */
	struct dict_hello_derived d;
};

/* A ServerHello shape. */
struct dict_server {
	struct dict_entry e;
	uint16_t record_version, legacy_version, selected_version, cipher;
	uint8_t compression;
	bool sslv2_format, exts_malformed;
	uint16_t n_exts, n_exts_total;
	uint32_t anomalies;
	const uint16_t *exts;
	/* derived */
	char ja3s[33];			  /* "" for SSLv2 */
	uint64_t risks;			  /* nDPI risk bits of this ServerHello alone (ndpi.risks) */
	struct classify_risk_server ndpi; /* what nDPI would take from it (pipeline only; not stored) */
};

/* A server leaf certificate, parsed once. */
struct dict_cert {
	struct dict_entry e;
	struct cert_info info;
	uint64_t risks;			/* classify_risk_cert() parts that need only the certificate */
	struct classify_risk_cert ndpi; /* ... all of it, without a host name (pipeline only; not stored) */
};

enum dict_str_kind { DICT_STR_SNI = 1, DICT_STR_ALPN, DICT_STR_LABEL };

struct dict_str {
	struct dict_entry e;
	uint8_t str_kind; /* enum dict_str_kind */
	uint16_t len;
	const char *bytes; /* len bytes + NUL (the bytes may hold anything, NUL included) */
};

struct dict_mem {
	bool (*charge)(void *ctx, size_t bytes); /* false: no room */
	void (*release)(void *ctx, size_t bytes);
	void *ctx;
};

struct dict;

/* mem may be NULL (nothing charged). keep_bytes bounds the unreferenced entries kept for reuse. */
int dict_new(const struct dict_mem *mem, size_t keep_bytes, struct dict **ret);
/* Frees every entry; references still held become invalid. Accepts NULL. */
void dict_free(struct dict *d);
size_t dict_bytes(const struct dict *d); /* bytes of all entries */

/* Canonical key of a hello (what identifies its shape; the store keeps it as the shape's BLOB). buf holds
 * DICT_HELLO_KEY_MAX bytes; returns the length. */
#define DICT_HELLO_KEY_MAX 2048
size_t dict_hello_key(const struct tls_client_hello *ch, enum tls_status st, uint8_t *buf);
/* DICT_OFFERS_* of a hello's cipher list (struct dict_hello_derived.offers). */
uint32_t dict_hello_offers(const struct tls_client_hello *ch);
#define DICT_SERVER_KEY_MAX 256
size_t dict_server_key(const struct tls_server_hello *sh, uint8_t *buf);

/* Look up or create. *ret_new: the entry was created now; the caller fills its derived fields before anyone
 * else sees it. NULL: out of memory, or (from a key) the key is not a valid encoding. */
struct dict_hello *dict_hello_get(struct dict *d, const uint8_t *key, size_t len, bool *ret_new);
struct dict_server *dict_server_get(struct dict *d, const uint8_t *key, size_t len, bool *ret_new);
/* The certificate with this DER; *ret_new: not parsed yet (the caller runs cert_parse into info). */
struct dict_cert *dict_cert_get(struct dict *d, const uint8_t *der, size_t len, bool *ret_new);
/* A string of up to TA_DICT_STR_MAX bytes (longer input is cut). */
const struct dict_str *dict_str_get(struct dict *d, enum dict_str_kind k, const void *bytes, size_t len);

/* Forget an entry just created whose derived fields could not be filled (it must hold the only reference). */
void dict_discard(struct dict *d, const void *entry);
void dict_ref(const void *entry);		    /* entry may be NULL */
void dict_unref(struct dict *d, const void *entry); /* entry may be NULL */
/* A reference to, or back from, every entry a record points at. */
void dict_conn_ref(const struct ta_conn *c);
void dict_conn_unref(struct dict *d, const struct ta_conn *c);

#endif
