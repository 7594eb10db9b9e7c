/* stack_internal.h - the stack table's layout (written by scripts/make-stack-table.py) and
 * the matcher's entry points for tests (leave-one-out, hash consistency). Not a contract
 * for other stages. */
#ifndef TLSAUDIT_STACK_INTERNAL_H
#define TLSAUDIT_STACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/stack.h"

/* One known stack: the features its ClientHello fixes, GREASE removed, wire order kept. */
struct stack_entry {
	const char *key, *family, *library, *name;
	const char *windows;	 /* SChannel: Windows release(s) ("; "-separated), else NULL */
	const char *versions;	 /* versions its clients support */
	const char *sources;	 /* where the features come from ("; "-separated) */
	const char *twins;	 /* keys of entries with identical features (another library), or NULL */
	uint16_t max_version;	 /* highest version offered (supported_versions, else legacy_version) */
	uint16_t record_version; /* of the record that carried the hello (0x0002 for SSLv2) */
	bool sslv2;		 /* SSLv2-format CLIENT-HELLO */
	bool shuffles;		 /* extension order changes per connection (Chrome 110+): compare as a set */
	bool crawler;		 /* a named crawler of unknown stack: named only by an exact match */
	const uint16_t *ciphers; /* soft suites (STACK_SOFT_CIPHERS) left out */
	uint16_t n_ciphers;
	const uint16_t *exts; /* hard extensions (soft ones, STACK_SOFT_EXTS, left out) */
	uint8_t n_exts;
	const uint16_t *groups;
	uint8_t n_groups;
	const uint16_t *sigalgs;
	uint8_t n_sigalgs;
	const uint8_t *point_formats;
	uint8_t n_point_formats;
	const uint8_t *compression;
	uint8_t n_compression;
	const uint16_t *soft_exts; /* soft extensions any of its sources sent (sorted): ranks ties */
	uint8_t n_soft_exts;
	uint64_t base_hash; /* stack_base_hash of the features (narrowing-invariant) */
	uint64_t sig[3][4]; /* bloom bits of suites (0, 1), extensions (2), groups and sigalgs (3) of what
			     * the hello keeps at highest version TLS 1.1 [0], TLS 1.2 [1], TLS 1.3 [2] */
};

struct stack_index {
	uint64_t hash;
	uint16_t entry;
};

struct stack_min_version {
	uint16_t id;
	uint16_t min; /* lowest version the value is used with */
};

extern const struct stack_entry stack_entries[];
extern const size_t stack_n_entries;
extern const struct stack_index stack_index[]; /* sorted by hash; stack_n_entries rows */
/* lowest version of each cipher suite, 2 bits per suite (0 SSL 3.0, 1 TLS 1.0, 2 TLS 1.2, 3 TLS 1.3),
 * 32 suites per word: suite c is (stack_cipher_min_bits[c >> 5] >> ((c & 31) * 2)) & 3 */
extern const uint64_t stack_cipher_min_bits[2048];

/* stack_identify with table entry `exclude` left out (SIZE_MAX: none), for leave-one-out runs;
 * full_scan scores every entry for a close match instead of the prefilter's best few (tests
 * compare the two). */
void stack_identify_excluding(const struct tls_client_hello *ch, size_t exclude, bool full_scan,
			      struct stack_match *out);

/* The narrowing-invariant hash of an entry's features, computed the way stack_identify computes
 * it for a hello; equals e->base_hash when generator and matcher agree. */
uint64_t stack_entry_base_hash(const struct stack_entry *e);
/* The prefilter signatures of an entry as stack_identify computes them; equal e->sig. */
void stack_entry_signature(const struct stack_entry *e, uint64_t ret_sig[3][4]);

#endif
