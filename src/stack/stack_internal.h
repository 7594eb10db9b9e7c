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
extern const struct stack_min_version stack_cipher_min[];
extern const size_t stack_n_cipher_min;

/* stack_identify with table entry `exclude` left out (SIZE_MAX: none), for leave-one-out runs. */
void stack_identify_excluding(const struct tls_client_hello *ch, size_t exclude, struct stack_match *out);

/* The narrowing-invariant hash of an entry's features, computed the way stack_identify computes
 * it for a hello; equals e->base_hash when generator and matcher agree. */
uint64_t stack_entry_base_hash(const struct stack_entry *e);

#endif
