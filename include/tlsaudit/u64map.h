/* u64map.h - a small u64 -> u64 map for caches (dict serials to row ids, row ids to entries, keys to
 * computed facts). Key 0 is never stored. Single-threaded; grows by doubling; never shrinks until cleared. */
#ifndef TLSAUDIT_U64MAP_H
#define TLSAUDIT_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *k, *v;
	size_t n, cap; /* cap: 0 or a power of two */
};

uint64_t u64map_get(const struct u64map *m, uint64_t key);     /* 0 if absent */
bool u64map_put(struct u64map *m, uint64_t key, uint64_t val); /* false: out of memory (not stored) */
void u64map_clear(struct u64map *m);			       /* frees the table */

#endif
