/* dict.c - interned shapes, certificates and strings (include/tlsaudit/dict.h).
 *
 * Design note. One chained hash table holds every kind; the hash is keyed with a per-dict random seed so a
 * capture cannot aim entries at one chain. An entry is one allocation: the kind's struct, then its typed
 * arrays (hellos, server hellos), then the key bytes. Keys are canonical encodings (below) and also what the
 * store keeps, so an entry read back from a database is found again by the same bytes, and decoding a key is
 * the only way a shape's arrays are filled: a hostile key from a database goes through the same bounded
 * reader as the wire.
 *
 * Hello key, version 1 (all integers big-endian):
 *   u8 1 | u8 status | u8 flags (1 sslv2, 2 has_sni, 4 has_supported_versions) | u16 record_version |
 *   u16 legacy_version | u32 anomalies | u16 n_ciphers_total | u16 n_ciphers, u16[n] | u16 n_exts_total |
 *   u8 n_exts, u16[n] | u8 n_versions, u16[n] | u8 n_groups, u16[n] | u8 n_sigalgs, u16[n] |
 *   u8 n_point_formats, u8[n] | u8 n_compression, u8[n] | u16 alpn_len, u8[alpn_len]
 * Server key, version 1:
 *   u8 1 | u8 flags (1 sslv2, 2 exts_malformed) | u16 record_version | u16 legacy_version |
 *   u16 selected_version | u16 cipher | u8 compression | u32 anomalies | u16 n_exts_total | u8 n_exts, u16[n]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlsaudit/dict.h"
#include "tlsaudit/names.h"
#include "tlsaudit/reader.h"

#define DICT_MIN_BUCKETS 1024

struct dict {
	struct dict_entry **buckets;
	size_t n_buckets; /* power of two */
	size_t n_entries;
	size_t bytes;	     /* all entries */
	size_t unused_bytes; /* entries with refs == 0 */
	size_t keep_bytes;   /* unreferenced entries kept at most */
	struct dict_entry *lru_head, *lru_tail;
	uint64_t seed;
	struct dict_mem mem;
	bool has_mem;
};

/* Serials are unique in the process (the store's writer maps them to database ids for entries of several
 * pipelines): each thread takes blocks of 2^32 from one atomic counter. Never 0. */
static uint64_t next_serial = 1;

static uint64_t new_serial(void)
{
	static _Thread_local uint64_t block, used = (uint64_t)1 << 32;
	if (used == (uint64_t)1 << 32) {
		block = __atomic_fetch_add(&next_serial, (uint64_t)1 << 32, __ATOMIC_RELAXED);
		used = 0;
	}
	return block + used++;
}

/* ---- hashing ---- */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

#define DICT_FIXED_SEED 0x5441444943544b45ULL /* for key_digest: never per process */

static uint64_t hash_bytes(uint64_t seed, uint8_t kind, const uint8_t *p, size_t n)
{
	uint64_t h = seed ^ ((uint64_t)kind << 56) ^ (uint64_t)n;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
	}
	uint64_t tail = 0;
	if (i < n)
		memcpy(&tail, p + i, n - i);
	return mix(h ^ tail ^ 0x243f6a8885a308d3ULL);
}

/* The table's hash (keyed per process, never stored): four independent lanes, so the multiplies of a long key
 * (a certificate, a ClientHello shape) overlap instead of waiting on each other as hash_bytes() does; each
 * lane is xxHash64's round, the lanes are folded and the result goes through mix(). */
#define LANE_P1 0x9e3779b185ebca87ULL
#define LANE_P2 0xc2b2ae3d27d4eb4fULL

static uint64_t lane(uint64_t acc, uint64_t w)
{
	acc += w * LANE_P2;
	acc = (acc << 31) | (acc >> 33);
	return acc * LANE_P1;
}

static uint64_t hash_key(uint64_t seed, uint8_t kind, const uint8_t *p, size_t n)
{
	uint64_t a = seed + LANE_P1 + LANE_P2, b = seed + LANE_P2, c = seed ^ ((uint64_t)kind << 56),
		 e = seed - LANE_P1;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		uint64_t w[4];
		memcpy(w, p + i, 32);
		a = lane(a, w[0]);
		b = lane(b, w[1]);
		c = lane(c, w[2]);
		e = lane(e, w[3]);
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		a = lane(a, w);
	}
	uint64_t tail = 0;
	if (i < n)
		memcpy(&tail, p + i, n - i);
	uint64_t h = a ^ ((b << 7) | (b >> 57)) ^ ((c << 12) | (c >> 52)) ^ ((e << 18) | (e >> 46));
	return mix(h ^ lane((uint64_t)n, tail));
}

/* ---- table ---- */

int dict_new(const struct dict_mem *mem, size_t keep_bytes, struct dict **ret)
{
	struct dict *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->n_buckets = DICT_MIN_BUCKETS;
	d->buckets = calloc(d->n_buckets, sizeof(*d->buckets));
	if (!d->buckets) {
		free(d);
		return -ENOMEM;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	d->seed = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 48) ^
		      (uint64_t)(uintptr_t)d);
	d->keep_bytes = keep_bytes;
	if (mem) {
		d->mem = *mem;
		d->has_mem = true;
	}
	*ret = d;
	return 0;
}

static void lru_unlink(struct dict *d, struct dict_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else if (d->lru_head == e)
		d->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else if (d->lru_tail == e)
		d->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_append(struct dict *d, struct dict_entry *e)
{
	e->lru_prev = d->lru_tail;
	e->lru_next = NULL;
	if (d->lru_tail)
		d->lru_tail->lru_next = e;
	else
		d->lru_head = e;
	d->lru_tail = e;
}

/* Remove e from the table and free it. */
static void entry_free(struct dict *d, struct dict_entry *e)
{
	struct dict_entry **pp = &d->buckets[e->hash & (d->n_buckets - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	if (e->refs == 0) {
		lru_unlink(d, e);
		d->unused_bytes -= e->bytes;
	}
	d->n_entries--;
	d->bytes -= e->bytes;
	if (d->has_mem)
		d->mem.release(d->mem.ctx, e->bytes);
	free(e);
}

/* Free the least recently used unreferenced entries until unused bytes are within keep (+ need). */
static void trim(struct dict *d, size_t keep)
{
	while (d->lru_head && d->unused_bytes > keep)
		entry_free(d, d->lru_head);
}

void dict_free(struct dict *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_buckets; i++) {
		struct dict_entry *e = d->buckets[i];
		while (e) {
			struct dict_entry *n = e->next;
			free(e); /* the accounting goes away with its owner: nothing is released */
			e = n;
		}
	}
	free(d->buckets);
	free(d);
}

size_t dict_bytes(const struct dict *d)
{
	return d->bytes;
}

static void grow(struct dict *d)
{
	size_t nb = d->n_buckets * 2;
	struct dict_entry **b = calloc(nb, sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < d->n_buckets; i++) {
		struct dict_entry *e = d->buckets[i];
		while (e) {
			struct dict_entry *n = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
			e = n;
		}
	}
	free(d->buckets);
	d->buckets = b;
	d->n_buckets = nb;
}

static struct dict_entry *lookup(struct dict *d, uint8_t kind, uint64_t h, const uint8_t *key, size_t len)
{
	for (struct dict_entry *e = d->buckets[h & (d->n_buckets - 1)]; e; e = e->next)
		if (e->hash == h && e->kind == kind && e->key_len == len && memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

static void take(struct dict *d, struct dict_entry *e)
{
	if (e->refs++ == 0) {
		lru_unlink(d, e);
		d->unused_bytes -= e->bytes;
	}
}

/* Allocate an entry of struct size hdr plus extra bytes plus the key, charged to mem; NULL if no room. */
static struct dict_entry *entry_alloc(struct dict *d, uint8_t kind, size_t hdr, size_t extra, uint64_t h,
				      const uint8_t *key, size_t len)
{
	size_t bytes = hdr + extra + len + 1;
	if (bytes > UINT32_MAX)
		return NULL;
	if (d->has_mem && !d->mem.charge(d->mem.ctx, bytes)) {
		trim(d, 0);
		if (!d->mem.charge(d->mem.ctx, bytes))
			return NULL;
	}
	struct dict_entry *e = calloc(1, bytes);
	if (!e) {
		if (d->has_mem)
			d->mem.release(d->mem.ctx, bytes);
		return NULL;
	}
	e->serial = new_serial();
	uint8_t *k = (uint8_t *)e + hdr + extra;
	memcpy(k, key, len);
	k[len] = 0;
	e->key = k;
	e->key_len = (uint32_t)len;
	e->kind = kind;
	e->hash = h;
	e->key_digest = hash_bytes(DICT_FIXED_SEED, kind, key, len);
	e->bytes = (uint32_t)bytes;
	e->refs = 1;
	size_t bi = h & (d->n_buckets - 1);
	e->next = d->buckets[bi];
	d->buckets[bi] = e;
	d->n_entries++;
	d->bytes += bytes;
	if (d->n_entries > d->n_buckets)
		grow(d);
	return e;
}

void dict_ref(const void *entry)
{
	if (entry) {
		struct dict_entry *e = (struct dict_entry *)(uintptr_t)entry;
		e->refs++; /* a held reference: never 0 -> 1 here, so the unused list is untouched */
	}
}

void dict_unref(struct dict *d, const void *entry)
{
	if (!entry)
		return;
	struct dict_entry *e = (struct dict_entry *)(uintptr_t)entry;
	if (e->refs == 0 || --e->refs)
		return;
	lru_append(d, e);
	d->unused_bytes += e->bytes;
	trim(d, d->keep_bytes);
}

void dict_conn_ref(const struct ta_conn *c)
{
	dict_ref(c->hello);
	dict_ref(c->hello2);
	dict_ref(c->server);
	dict_ref(c->cert);
	dict_ref(c->sni);
	dict_ref(c->alpn);
	dict_ref(c->l7);
}

void dict_conn_unref(struct dict *d, const struct ta_conn *c)
{
	dict_unref(d, c->hello);
	dict_unref(d, c->hello2);
	dict_unref(d, c->server);
	dict_unref(d, c->cert);
	dict_unref(d, c->sni);
	dict_unref(d, c->alpn);
	dict_unref(d, c->l7);
}

void dict_discard(struct dict *d, const void *entry)
{
	struct dict_entry *e = (struct dict_entry *)(uintptr_t)entry;
	if (e && e->refs == 1) {
		e->refs = 0;
		lru_append(d, e);
		d->unused_bytes += e->bytes;
		entry_free(d, e);
	}
}

/* ---- keys ---- */

struct bw { /* a bounded writer for keys */
	uint8_t *p;
	size_t len, cap;
};

static void bw_u8(struct bw *w, uint8_t v)
{
	if (w->len < w->cap)
		w->p[w->len++] = v;
}

static void bw_u16(struct bw *w, uint16_t v)
{
	bw_u8(w, (uint8_t)(v >> 8));
	bw_u8(w, (uint8_t)v);
}

static void bw_u32(struct bw *w, uint32_t v)
{
	bw_u16(w, (uint16_t)(v >> 16));
	bw_u16(w, (uint16_t)v);
}

static void bw_u16s(struct bw *w, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bw_u16(w, v[i]);
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))

uint32_t dict_hello_offers(const struct tls_client_hello *ch)
{
	uint32_t o = 0;
	for (size_t i = 0; i < ch->n_ciphers && i < TLS_MAX_CIPHERS; i++) {
		uint32_t f = names_cipher_flags(ch->ciphers[i]);
		if (f & NAMES_CIPHER_RC4)
			o |= DICT_OFFERS_RC4;
		if (f & NAMES_CIPHER_3DES)
			o |= DICT_OFFERS_3DES;
		if (f & NAMES_CIPHER_EXPORT)
			o |= DICT_OFFERS_EXPORT;
		if (f & (NAMES_CIPHER_NULL | NAMES_CIPHER_ANON))
			o |= DICT_OFFERS_NULL;
		if (f & NAMES_CIPHER_CBC_SHA1)
			o |= DICT_OFFERS_CBC_SHA1;
	}
	return o;
}

size_t dict_hello_key(const struct tls_client_hello *ch, enum tls_status st, uint8_t *buf)
{
	struct bw w = {buf, 0, DICT_HELLO_KEY_MAX};
	size_t nc = MIN(ch->n_ciphers, TLS_MAX_CIPHERS), ne = MIN(ch->n_exts, TLS_MAX_EXTS);
	size_t nv = MIN(ch->n_versions, TLS_MAX_VERSIONS), ng = MIN(ch->n_groups, TLS_MAX_GROUPS);
	size_t ns = MIN(ch->n_sigalgs, TLS_MAX_SIGALGS), np = MIN(ch->n_point_formats, TLS_MAX_POINT_FORMATS);
	size_t nm = MIN(ch->n_compression, TLS_MAX_COMPRESSION), na = MIN(ch->alpn_len, TLS_MAX_ALPN_BYTES);
	_Static_assert(4 + 3 + 4 + 4 + 2 + 2 * TLS_MAX_CIPHERS + 3 + 2 * TLS_MAX_EXTS + 1 + 2 * TLS_MAX_VERSIONS + 1 +
				       2 * TLS_MAX_GROUPS + 1 + 2 * TLS_MAX_SIGALGS + 1 + TLS_MAX_POINT_FORMATS + 1 +
				       TLS_MAX_COMPRESSION + 2 + TLS_MAX_ALPN_BYTES <=
			       DICT_HELLO_KEY_MAX,
		       "a hello key always fits");

	bw_u8(&w, 1);
	bw_u8(&w, (uint8_t)st);
	bw_u8(&w, (uint8_t)((ch->sslv2_format ? 1 : 0) | (ch->has_sni ? 2 : 0) | (ch->has_supported_versions ? 4 : 0)));
	bw_u16(&w, ch->record_version);
	bw_u16(&w, ch->legacy_version);
	bw_u32(&w, ch->anomalies & ~(uint32_t)TLS_AN_SNI_TRUNCATED);
	bw_u16(&w, ch->n_ciphers_total);
	bw_u16(&w, (uint16_t)nc);
	bw_u16s(&w, ch->ciphers, nc);
	bw_u16(&w, ch->n_exts_total);
	bw_u8(&w, (uint8_t)ne);
	bw_u16s(&w, ch->exts, ne);
	bw_u8(&w, (uint8_t)nv);
	bw_u16s(&w, ch->versions, nv);
	bw_u8(&w, (uint8_t)ng);
	bw_u16s(&w, ch->groups, ng);
	bw_u8(&w, (uint8_t)ns);
	bw_u16s(&w, ch->sigalgs, ns);
	bw_u8(&w, (uint8_t)np);
	for (size_t i = 0; i < np; i++)
		bw_u8(&w, ch->point_formats[i]);
	bw_u8(&w, (uint8_t)nm);
	for (size_t i = 0; i < nm; i++)
		bw_u8(&w, ch->compression[i]);
	bw_u16(&w, (uint16_t)na);
	for (size_t i = 0; i < na; i++)
		bw_u8(&w, ch->alpn[i]);
	return w.len;
}

size_t dict_server_key(const struct tls_server_hello *sh, uint8_t *buf)
{
	struct bw w = {buf, 0, DICT_SERVER_KEY_MAX};
	size_t ne = MIN(sh->n_exts, TLS_MAX_EXTS);
	_Static_assert(1 + 1 + 8 + 1 + 4 + 3 + 2 * TLS_MAX_EXTS <= DICT_SERVER_KEY_MAX, "a server key always fits");

	bw_u8(&w, 1);
	bw_u8(&w, (uint8_t)((sh->sslv2_format ? 1 : 0) | (sh->exts_malformed ? 2 : 0)));
	bw_u16(&w, sh->record_version);
	bw_u16(&w, sh->legacy_version);
	bw_u16(&w, sh->selected_version);
	bw_u16(&w, sh->cipher);
	bw_u8(&w, sh->compression);
	bw_u32(&w, sh->anomalies);
	bw_u16(&w, sh->n_exts_total);
	bw_u8(&w, (uint8_t)ne);
	bw_u16s(&w, sh->exts, ne);
	return w.len;
}

/* Read n u16 values into dst (which has room for cap); false if n > cap or the reader ran out. */
static bool read_u16s(struct br *r, uint16_t *dst, size_t n, size_t cap)
{
	if (n > cap)
		return false;
	for (size_t i = 0; i < n; i++)
		dst[i] = br_u16(r);
	return br_ok(r);
}

static bool read_u8s(struct br *r, uint8_t *dst, size_t n, size_t cap)
{
	if (n > cap)
		return false;
	return br_copy(r, dst, n);
}

/* Copy a (u8 len, bytes) string of a version-2 key into dst[cap] (NUL-terminated); false if it does not fit. */
static bool read_str8(struct br *r, char *dst, size_t cap)
{
	size_t n = br_u8(r);
	if (!br_ok(r) || n >= cap)
		return false;
	br_copy(r, dst, n);
	dst[n] = '\0';
	return br_ok(r);
}

/* Decode a hello key into a parsed-hello struct (no SNI value). false: not a valid key. A version-2 key (a
 * shape migrated from schema 2, which kept fewer fields) carries its fingerprints after the fields. */
static bool hello_decode(const uint8_t *key, size_t len, struct tls_client_hello *ch, uint8_t *ret_status,
			 struct dict_hello_derived *ret_d)
{
	struct br r = br_make(key, len);

	memset(ch, 0, sizeof(*ch));
	memset(ret_d, 0, sizeof(*ret_d));
	uint8_t version = br_u8(&r);
	if (version != 1 && version != 2)
		return false;
	uint8_t st = br_u8(&r), flags = br_u8(&r);
	if (st > TLS_UNSUPPORTED || flags > 7)
		return false;
	ch->sslv2_format = flags & 1;
	ch->has_sni = (flags & 2) != 0;
	ch->has_supported_versions = (flags & 4) != 0;
	ch->record_version = br_u16(&r);
	ch->legacy_version = br_u16(&r);
	ch->anomalies = br_u32(&r);
	ch->n_ciphers_total = br_u16(&r);
	ch->n_ciphers = br_u16(&r);
	if (!read_u16s(&r, ch->ciphers, ch->n_ciphers, TLS_MAX_CIPHERS))
		return false;
	ch->n_exts_total = br_u16(&r);
	ch->n_exts = br_u8(&r);
	if (!read_u16s(&r, ch->exts, ch->n_exts, TLS_MAX_EXTS))
		return false;
	ch->n_versions = br_u8(&r);
	if (!read_u16s(&r, ch->versions, ch->n_versions, TLS_MAX_VERSIONS))
		return false;
	ch->n_groups = br_u8(&r);
	if (!read_u16s(&r, ch->groups, ch->n_groups, TLS_MAX_GROUPS))
		return false;
	ch->n_sigalgs = br_u8(&r);
	if (!read_u16s(&r, ch->sigalgs, ch->n_sigalgs, TLS_MAX_SIGALGS))
		return false;
	ch->n_point_formats = br_u8(&r);
	if (!read_u8s(&r, ch->point_formats, ch->n_point_formats, TLS_MAX_POINT_FORMATS))
		return false;
	ch->n_compression = br_u8(&r);
	ch->n_compression_total = ch->n_compression;
	if (!read_u8s(&r, ch->compression, ch->n_compression, TLS_MAX_COMPRESSION))
		return false;
	ch->alpn_len = br_u16(&r);
	if (!read_u8s(&r, ch->alpn, ch->alpn_len, TLS_MAX_ALPN_BYTES))
		return false;
	if (version == 2 &&
	    (!read_str8(&r, ret_d->ja3, sizeof(ret_d->ja3)) || !read_str8(&r, ret_d->ja4, sizeof(ret_d->ja4)) ||
	     !read_str8(&r, ret_d->ndpi_ja3, sizeof(ret_d->ndpi_ja3))))
		return false;
	*ret_status = st;
	return br_ok(&r) && br_empty(&r);
}

struct dict_hello *dict_hello_get(struct dict *d, const uint8_t *key, size_t len, bool *ret_new)
{
	uint64_t h = hash_key(d->seed, DICT_HELLO, key, len);
	struct dict_entry *e = lookup(d, DICT_HELLO, h, key, len);

	*ret_new = false;
	if (e) {
		take(d, e);
		return (struct dict_hello *)e;
	}
	struct tls_client_hello ch;
	struct dict_hello_derived derived;
	uint8_t st;
	if (len > DICT_HELLO_KEY_MAX || !hello_decode(key, len, &ch, &st, &derived))
		return NULL;
	size_t n16 = (size_t)ch.n_ciphers + ch.n_exts + ch.n_versions + ch.n_groups + ch.n_sigalgs;
	size_t n8 = (size_t)ch.n_point_formats + ch.n_compression + ch.alpn_len;
	struct dict_hello *x = (struct dict_hello *)entry_alloc(d, DICT_HELLO, sizeof(*x), n16 * 2 + n8, h, key, len);
	if (!x)
		return NULL;
	uint16_t *a = (uint16_t *)(void *)(x + 1);
	x->record_version = ch.record_version;
	x->legacy_version = ch.legacy_version;
	x->max_version = tls_client_max_version(&ch);
	x->min_listed_version = tls_client_min_listed_version(&ch);
	x->status = st;
	x->sslv2_format = ch.sslv2_format;
	x->has_sni = ch.has_sni;
	x->has_supported_versions = ch.has_supported_versions;
	x->n_ciphers_total = ch.n_ciphers_total;
	x->n_exts_total = ch.n_exts_total;
	x->anomalies = ch.anomalies;
#define PUT16(field, n)                             \
	do {                                        \
		memcpy(a, ch.field, (size_t)(n)*2); \
		x->field = a;                       \
		a += (n);                           \
	} while (0)
	x->n_ciphers = ch.n_ciphers;
	PUT16(ciphers, ch.n_ciphers);
	x->n_exts = ch.n_exts;
	PUT16(exts, ch.n_exts);
	x->n_versions = ch.n_versions;
	PUT16(versions, ch.n_versions);
	x->n_groups = ch.n_groups;
	PUT16(groups, ch.n_groups);
	x->n_sigalgs = ch.n_sigalgs;
	PUT16(sigalgs, ch.n_sigalgs);
#undef PUT16
	uint8_t *b = (uint8_t *)a;
	x->n_point_formats = ch.n_point_formats;
	memcpy(b, ch.point_formats, ch.n_point_formats);
	x->point_formats = b;
	b += ch.n_point_formats;
	x->n_compression = ch.n_compression;
	memcpy(b, ch.compression, ch.n_compression);
	x->compression = b;
	b += ch.n_compression;
	x->alpn_len = ch.alpn_len;
	memcpy(b, ch.alpn, ch.alpn_len);
	x->alpn = b;
	x->d = derived; /* empty for a version-1 key: the creator fills it */
	*ret_new = true;
	return x;
}

struct dict_server *dict_server_get(struct dict *d, const uint8_t *key, size_t len, bool *ret_new)
{
	uint64_t h = hash_key(d->seed, DICT_SERVER, key, len);
	struct dict_entry *e = lookup(d, DICT_SERVER, h, key, len);

	*ret_new = false;
	if (e) {
		take(d, e);
		return (struct dict_server *)e;
	}
	struct br r = br_make(key, len);
	uint16_t exts[TLS_MAX_EXTS];
	char ja3s[33] = "";
	uint8_t version = br_u8(&r);
	if (version != 1 && version != 2)
		return NULL;
	uint8_t flags = br_u8(&r);
	uint16_t rv = br_u16(&r), lv = br_u16(&r), sv = br_u16(&r), cs = br_u16(&r);
	uint8_t comp = br_u8(&r);
	uint32_t an = br_u32(&r);
	uint16_t ntot = br_u16(&r);
	uint8_t ne = br_u8(&r);
	if (flags > 3 || !read_u16s(&r, exts, ne, TLS_MAX_EXTS) ||
	    (version == 2 && !read_str8(&r, ja3s, sizeof(ja3s))) || !br_ok(&r) || !br_empty(&r))
		return NULL;
	struct dict_server *x =
		(struct dict_server *)entry_alloc(d, DICT_SERVER, sizeof(*x), (size_t)ne * 2, h, key, len);
	if (!x)
		return NULL;
	uint16_t *a = (uint16_t *)(void *)(x + 1);
	memcpy(a, exts, (size_t)ne * 2);
	x->exts = a;
	x->n_exts = ne;
	x->n_exts_total = ntot;
	x->record_version = rv;
	x->legacy_version = lv;
	x->selected_version = sv;
	x->cipher = cs;
	x->compression = comp;
	x->sslv2_format = flags & 1;
	x->exts_malformed = (flags & 2) != 0;
	x->anomalies = an;
	memcpy(x->ja3s, ja3s, sizeof(ja3s));
	*ret_new = true;
	return x;
}

struct dict_cert *dict_cert_get(struct dict *d, const uint8_t *der, size_t len, bool *ret_new)
{
	uint64_t h = hash_key(d->seed, DICT_CERT, der, len);
	struct dict_entry *e = lookup(d, DICT_CERT, h, der, len);

	*ret_new = false;
	if (e) {
		take(d, e);
		return (struct dict_cert *)e;
	}
	struct dict_cert *x = (struct dict_cert *)entry_alloc(d, DICT_CERT, sizeof(*x), 0, h, der, len);
	if (x)
		*ret_new = true;
	return x;
}

const struct dict_str *dict_str_get(struct dict *d, enum dict_str_kind k, const void *bytes, size_t len)
{
	uint8_t key[1 + TA_DICT_STR_MAX];
	if (len > TA_DICT_STR_MAX)
		len = TA_DICT_STR_MAX;
	key[0] = (uint8_t)k;
	if (len)
		memcpy(key + 1, bytes, len);
	uint64_t h = hash_key(d->seed, DICT_STR, key, len + 1);
	struct dict_entry *e = lookup(d, DICT_STR, h, key, len + 1);
	if (e) {
		take(d, e);
		return (const struct dict_str *)e;
	}
	struct dict_str *x = (struct dict_str *)entry_alloc(d, DICT_STR, sizeof(*x), 0, h, key, len + 1);
	if (!x)
		return NULL;
	x->str_kind = (uint8_t)k;
	x->len = (uint16_t)len;
	x->bytes = (const char *)x->e.key + 1;
	return x;
}
