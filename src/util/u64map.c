/* u64map.c - a small u64 -> u64 map (include/tlsaudit/u64map.h): open addressing, linear probing, key 0
 * empty. */
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/u64map.h"

static uint64_t hmix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

uint64_t u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap || key == 0)
		return 0;
	for (size_t i = hmix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == key)
			return m->v[i];
		if (m->k[i] == 0)
			return 0;
	}
}

void u64map_clear(struct u64map *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

bool u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	if (key == 0)
		return false;
	if ((m->n + 1) * 2 > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		uint64_t *nk = calloc(nc, sizeof(*nk)), *nv = calloc(nc, sizeof(*nv));
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return false; /* not remembered: the next use looks it up again */
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->k[i])
				continue;
			size_t j = hmix(m->k[i]) & (nc - 1);
			while (nk[j])
				j = (j + 1) & (nc - 1);
			nk[j] = m->k[i];
			nv[j] = m->v[i];
		}
		free(m->k);
		free(m->v);
		m->k = nk;
		m->v = nv;
		m->cap = nc;
	}
	size_t i = hmix(key) & (m->cap - 1);
	while (m->k[i] && m->k[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->k[i])
		m->n++;
	m->k[i] = key;
	m->v[i] = val;
	return true;
}
