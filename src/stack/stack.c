/* stack.c - name the TLS client stack behind a ClientHello from the features the stack fixes.
 * specification: RFC 8446 section 4.1.2 and 4.2, RFC 5246 section 7.4.1.2, RFC 8701 (GREASE),
 * RFC 7507 (TLS_FALLBACK_SCSV); the rules are data in stack_rules.h.
 *
 * Design note. One hash of the whole hello would break on things the application, not the
 * stack, decides: SNI, ALPN, tickets, OCSP requests, padding, GREASE values, Chrome's shuffled
 * extension order (110+), and above all the version range: a program that limits the stack to
 * TLS 1.0 makes it drop the TLS 1.3 and TLS 1.2-only suites, supported_versions, key_share,
 * signature_algorithms and (OpenSSL, NSS) the FFDHE groups. So each table entry keeps the lists
 * the stack fixes, and a hello matches an entry EXACTLY when:
 *   - GREASE and soft values (stack_rules.h) are left out on both sides;
 *   - its cipher suites, extensions (as a set for entries that shuffle), groups are the entry's
 *     lists in the entry's order with only values removed whose lowest version is above the
 *     hello's highest offered version (a narrowed range removes, it never adds or reorders;
 *     a hello offering TLS 1.3 only may also drop the older suites);
 *   - signature algorithms are the entry's, in order (a TLS 1.3-only hello may drop those TLS
 *     1.3 forbids), point formats and compression methods are equal; signature algorithms and
 *     point formats may be absent where their extension may be;
 *   - the hello format (SSLv2 or TLS) is the same, it offers no higher version than the entry
 *     and, for TLS 1.3, the same draft;
 *   - it repeats no extension (no real stack does);
 *   - and no entry of another library matches as well (else STACK_CLOSE, "also" says which).
 * A hello without any TLS suite (SSL 2.0 only) is never named.
 * Among exact candidates the one needing fewest removals wins, then the one whose sources sent
 * the hello's soft extensions, then table order.
 *
 * Lookup: what survives every narrowing down to TLS 1.0 (the suites, extensions and groups of
 * TLS 1.0, point formats, compression, format) is hashed (FNV-1a, the same bytes the generator
 * hashes); exact candidates are the entries with that hash, found by binary search. Hellos
 * offering only SSL 3.0 (which may drop every extension) or only TLS 1.3 check every entry.
 * Without an exact match the close match scores entries: per list common / (common + missing
 * + extra) (for suites: kept order and the share of the hello's suites the stack has count
 * most, as an application may pick a subset), weighted ciphers 40%, extensions 30%, signature
 * algorithms 15%, groups 10%, point formats and compression 5%, over the lists either side
 * has, less penalties for a changed order, the other hello format and a higher version.
 * Scoring all ~120 entries costs tens of microseconds, so a prefilter first ranks every entry
 * by the Jaccard similarity of 256-bit bloom signatures (generated per entry for what its hello
 * keeps at TLS 1.1, 1.2 and 1.3) and scores only the STACK_PREFILTER best in full; the
 * conformance test checks on every client-list and corpus hello that this gives the full
 * scan's answer. The best entry at or above STACK_CLOSE_MIN, sharing at least
 * STACK_CLOSE_MIN_COMMON values, is STACK_CLOSE. Crawler entries (named client software of
 * unknown stack) are never the close match; a hello identical to a crawler's is named as its
 * closest stack ("same hello as" the crawler), or as the crawler when no stack is close.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stack_internal.h"
#include "stack_rules.h"
#include "tlsaudit/stack.h"
#include "tlsaudit/tls.h"

#define STACK_CLOSE_MIN	       700 /* score (of 1000) below which nothing is named */
#define STACK_CLOSE_MIN_COMMON 5   /* values in common below which nothing is named (a one-suite test hello) */
#define STACK_PREFILTER	       12  /* entries the close match scores in full, chosen by signature */

enum { TAG_CIPHER = 1, TAG_EXT = 2, TAG_GROUP = 3, TAG_SIGALG = 4 };

/* open addressing over (tag, value): every value of the hello, with its list position */
#define SET_SLOTS 2048 /* > TLS_MAX_CIPHERS + TLS_MAX_EXTS + TLS_MAX_GROUPS + TLS_MAX_SIGALGS, power of 2 */
struct vset {
	uint32_t key[SET_SLOTS]; /* tag << 16 | value; 0 = empty (tags are never 0) */
	uint16_t pos[SET_SLOTS];
};

/* the hello's features, GREASE and soft values removed, counts clamped to the arrays */
struct obs {
	uint16_t rank;	  /* highest offered version, ranked (TLS 1.3 drafts = 0x0304, SSL 2 = 0x0200) */
	uint16_t max_raw; /* highest offered version as sent (tells TLS 1.3 drafts apart) */
	bool tls13_only;  /* supported_versions offers nothing below TLS 1.3 */
	bool sslv2;
	bool dup_ext; /* an extension type repeats */
	uint16_t record_version;
	uint16_t n_ciphers, n_exts, n_soft, n_groups, n_sigalgs, n_pf, n_comp;
	uint16_t ciphers[TLS_MAX_CIPHERS];
	uint16_t exts[TLS_MAX_EXTS];
	uint16_t soft[TLS_MAX_EXTS];
	uint16_t groups[TLS_MAX_GROUPS];
	uint16_t sigalgs[TLS_MAX_SIGALGS];
	uint8_t pf[TLS_MAX_POINT_FORMATS];
	uint8_t comp[TLS_MAX_COMPRESSION];
	uint64_t sig[4]; /* as struct stack_entry.sig */
	struct vset set;
};

/* ---- rules --------------------------------------------------------------------------- */

static const uint16_t soft_exts[] = {
#define X(v) v,
	STACK_SOFT_EXTS(X)
#undef X
};
static const uint16_t soft_ciphers[] = {
#define X(v) v,
	STACK_SOFT_CIPHERS(X)
#undef X
};
static const uint16_t sigalgs_tls12_only[] = {
#define X(v) v,
	STACK_SIGALG_TLS12_ONLY(X)
#undef X
};
static const struct stack_min_version ext_mins[] = {
#define X(v, m) {v, m},
	STACK_EXT_MIN(X)
#undef X
};
static const struct stack_min_version group_mins[] = {
#define X(v, m) {v, m},
	STACK_GROUP_MIN(X)
#undef X
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

static uint16_t min_of(const struct stack_min_version *t, size_t n, uint16_t v, uint16_t dflt)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == v)
			return t[i].min;
	return dflt;
}

static bool soft_ext(uint16_t t)
{
	return in_list(soft_exts, COUNT(soft_exts), t);
}

static bool soft_cipher(uint16_t c)
{
	return in_list(soft_ciphers, COUNT(soft_ciphers), c);
}

/* extensions: TLS 1.0 (RFC 3546) unless stack_rules.h says otherwise */
static uint16_t ext_min(uint16_t t)
{
	return min_of(ext_mins, COUNT(ext_mins), t, 0x0301);
}

static uint16_t group_min(uint16_t g)
{
	return min_of(group_mins, COUNT(group_mins), g, 0x0301);
}

/* from the suite's IANA name: 2 bits per suite in the generated stack_cipher_min_bits (0 SSL 3.0,
 * 1 TLS 1.0, 2 TLS 1.2, 3 TLS 1.3); unnamed suites: SSL 3.0 */
static uint16_t cipher_min(uint16_t c)
{
	static const uint16_t version[4] = {0x0300, 0x0301, 0x0303, 0x0304};
	return version[(stack_cipher_min_bits[c >> 5] >> ((c & 31) * 2)) & 3];
}

static uint16_t version_rank(uint16_t v)
{
	if (tls_version_is_13(v))
		return 0x0304;
	if ((v >> 8) == 0x03)
		return v;
	return v < 0x0300 ? 0x0200 : 0x0304;
}

/* ---- prefilter signature (scripts/make-stack-table.py signature writes the same) ------------ */

static void sig_add(uint64_t sig[4], const uint16_t *ciphers, size_t n_ciphers, const uint16_t *exts, size_t n_exts,
		    const uint16_t *groups, size_t n_groups, const uint16_t *sigalgs, size_t n_sigalgs)
{
	for (size_t i = 0; i < n_ciphers; i++) {
		uint32_t b = (uint32_t)(ciphers[i] * 0x9E3779B1u) >> 25;
		sig[b >> 6] |= (uint64_t)1 << (b & 63);
	}
	for (size_t i = 0; i < n_exts; i++)
		sig[2] |= (uint64_t)1 << ((uint32_t)(exts[i] * 0x9E3779B1u) >> 26);
	for (size_t i = 0; i < n_groups; i++)
		sig[3] |= (uint64_t)1 << ((uint32_t)(groups[i] * 0x9E3779B1u) >> 26);
	for (size_t i = 0; i < n_sigalgs; i++)
		sig[3] |= (uint64_t)1 << ((uint32_t)(sigalgs[i] * 0x85EBCA77u) >> 26);
}

static uint16_t cipher_min(uint16_t c);
static uint16_t ext_min(uint16_t t);
static uint16_t group_min(uint16_t g);

/* what an entry's hello keeps at highest version rank (the generator's signature()) */
static void entry_view_signature(const struct stack_entry *e, uint16_t rank, uint64_t sig[4])
{
	uint16_t ciphers[TLS_MAX_CIPHERS], exts[TLS_MAX_EXTS], groups[TLS_MAX_GROUPS];
	size_t nc = 0, ne = 0, ng = 0;
	memset(sig, 0, 4 * sizeof(sig[0]));
	for (size_t i = 0; i < e->n_ciphers && nc < TLS_MAX_CIPHERS; i++)
		if (cipher_min(e->ciphers[i]) <= rank)
			ciphers[nc++] = e->ciphers[i];
	for (size_t i = 0; i < e->n_exts && ne < TLS_MAX_EXTS; i++)
		if (ext_min(e->exts[i]) <= rank)
			exts[ne++] = e->exts[i];
	for (size_t i = 0; i < e->n_groups && ng < TLS_MAX_GROUPS; i++)
		if (group_min(e->groups[i]) <= rank)
			groups[ng++] = e->groups[i];
	sig_add(sig, ciphers, nc, exts, ne, groups, ng, e->sigalgs, rank >= 0x0303 ? e->n_sigalgs : 0);
}

static const uint16_t sig_views[3] = {0x0302, 0x0303, 0x0304};

void stack_entry_signature(const struct stack_entry *e, uint64_t ret_sig[3][4])
{
	for (size_t v = 0; v < 3; v++)
		entry_view_signature(e, sig_views[v], ret_sig[v]);
}

/* which signature view fits a hello: by its highest offered version */
static size_t sig_view(uint16_t rank)
{
	return rank < 0x0303 ? 0 : rank == 0x0303 ? 1 : 2;
}

static unsigned popcount64(uint64_t x) /* SWAR: no loop over the bits */
{
	x = x - ((x >> 1) & 0x5555555555555555u);
	x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
	return (unsigned)((x * 0x0101010101010101u) >> 56);
}

/* weighted Jaccard of two signatures, 0..1000 */
static unsigned sig_score(const uint64_t a[4], const uint64_t b[4])
{
	unsigned ci = popcount64(a[0] & b[0]) + popcount64(a[1] & b[1]);
	unsigned cu = popcount64(a[0] | b[0]) + popcount64(a[1] | b[1]);
	unsigned ei = popcount64(a[2] & b[2]), eu = popcount64(a[2] | b[2]);
	unsigned gi = popcount64(a[3] & b[3]), gu = popcount64(a[3] | b[3]);
	return (cu ? 450 * ci / cu : 450) + (eu ? 300 * ei / eu : 300) + (gu ? 250 * gi / gu : 250);
}

/* ---- the hello's features -------------------------------------------------------------- */

/* Insert (tag, v) at list position pos; returns false if it was there already. */
static bool set_add(struct vset *s, uint8_t tag, uint16_t v, uint16_t pos)
{
	uint32_t key = (uint32_t)tag << 16 | v;
	uint32_t h = (key * 2654435761u) >> 21; /* 11 bits: SET_SLOTS */
	for (;;) {
		h &= SET_SLOTS - 1;
		if (s->key[h] == 0) {
			s->key[h] = key;
			s->pos[h] = pos;
			return true;
		}
		if (s->key[h] == key)
			return false;
		h++;
	}
}

/* Position of (tag, v) in its list, or -1. */
static int set_find(const struct vset *s, uint8_t tag, uint16_t v)
{
	uint32_t key = (uint32_t)tag << 16 | v;
	uint32_t h = (key * 2654435761u) >> 21;
	for (;;) {
		h &= SET_SLOTS - 1;
		if (s->key[h] == 0)
			return -1;
		if (s->key[h] == key)
			return s->pos[h];
		h++;
	}
}

static size_t clamp(size_t n, size_t cap)
{
	return n < cap ? n : cap;
}

static void obs_build(const struct tls_client_hello *ch, struct obs *o)
{
	memset(o, 0, sizeof(*o));
	o->sslv2 = ch->sslv2_format;
	o->record_version = ch->record_version;

	/* highest offered version: tls_client_max_version on a copy whose count fits its array */
	static const struct tls_client_hello zero;
	struct tls_client_hello v = zero;
	v.legacy_version = ch->legacy_version;
	v.n_versions = (uint8_t)clamp(ch->n_versions, TLS_MAX_VERSIONS);
	memcpy(v.versions, ch->versions, v.n_versions * sizeof(v.versions[0]));
	o->max_raw = tls_client_max_version(&v);
	o->rank = version_rank(o->max_raw);
	bool below13 = false, any = false;
	for (size_t i = 0; i < v.n_versions; i++) {
		if (tls_is_grease(v.versions[i]))
			continue;
		any = true;
		below13 = below13 || version_rank(v.versions[i]) < 0x0304;
	}
	o->tls13_only = any && !below13;

	size_t n = clamp(ch->n_ciphers, TLS_MAX_CIPHERS);
	for (size_t i = 0; i < n; i++) {
		uint16_t c = ch->ciphers[i];
		if (tls_is_grease(c) || soft_cipher(c))
			continue;
		(void)set_add(&o->set, TAG_CIPHER, c, o->n_ciphers); /* a repeat keeps its first position */
		o->ciphers[o->n_ciphers++] = c;
	}
	n = clamp(ch->n_exts, TLS_MAX_EXTS);
	for (size_t i = 0; i < n; i++) {
		uint16_t t = ch->exts[i];
		if (tls_is_grease(t))
			continue;
		if (soft_ext(t)) {
			o->soft[o->n_soft++] = t;
			continue;
		}
		if (!set_add(&o->set, TAG_EXT, t, o->n_exts))
			o->dup_ext = true;
		o->exts[o->n_exts++] = t;
	}
	n = clamp(ch->n_groups, TLS_MAX_GROUPS);
	for (size_t i = 0; i < n; i++) {
		if (tls_is_grease(ch->groups[i]))
			continue;
		(void)set_add(&o->set, TAG_GROUP, ch->groups[i], o->n_groups);
		o->groups[o->n_groups++] = ch->groups[i];
	}
	n = clamp(ch->n_sigalgs, TLS_MAX_SIGALGS);
	for (size_t i = 0; i < n; i++) {
		if (tls_is_grease(ch->sigalgs[i]))
			continue;
		(void)set_add(&o->set, TAG_SIGALG, ch->sigalgs[i], o->n_sigalgs);
		o->sigalgs[o->n_sigalgs++] = ch->sigalgs[i];
	}
	o->n_pf = (uint16_t)clamp(ch->n_point_formats, TLS_MAX_POINT_FORMATS);
	memcpy(o->pf, ch->point_formats, o->n_pf);
	o->n_comp = (uint16_t)clamp(ch->n_compression, TLS_MAX_COMPRESSION);
	memcpy(o->comp, ch->compression, o->n_comp);
	sig_add(o->sig, o->ciphers, o->n_ciphers, o->exts, o->n_exts, o->groups, o->n_groups, o->sigalgs, o->n_sigalgs);
}

/* ---- narrowing-invariant hash (scripts/make-stack-table.py base_hash writes the same) ---- */

struct fnv {
	uint64_t h;
};

static void fnv_byte(struct fnv *f, uint8_t b)
{
	f->h = (f->h ^ b) * 0x100000001b3u;
}

static void fnv_u16(struct fnv *f, uint16_t v)
{
	fnv_byte(f, (uint8_t)(v >> 8));
	fnv_byte(f, (uint8_t)v);
}

static void sort_u16(uint16_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint16_t x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* tag bytes, then what is kept at TLS 1.0: suites in order, extensions sorted, groups in
 * order, point formats, compression methods */
static uint64_t base_hash(bool sslv2, const uint16_t *ciphers, size_t n_ciphers, const uint16_t *exts, size_t n_exts,
			  const uint16_t *groups, size_t n_groups, const uint8_t *pf, size_t n_pf, const uint8_t *comp,
			  size_t n_comp)
{
	struct fnv f = {0xcbf29ce484222325u};
	uint16_t sorted[TLS_MAX_EXTS];
	size_t ns = 0;

	fnv_byte(&f, 'S');
	fnv_byte(&f, sslv2 ? 1 : 0);
	fnv_byte(&f, 'C');
	for (size_t i = 0; i < n_ciphers; i++)
		if (cipher_min(ciphers[i]) <= 0x0301)
			fnv_u16(&f, ciphers[i]);
	fnv_byte(&f, 'E');
	for (size_t i = 0; i < n_exts && ns < TLS_MAX_EXTS; i++)
		if (ext_min(exts[i]) <= 0x0301)
			sorted[ns++] = exts[i];
	sort_u16(sorted, ns);
	for (size_t i = 0; i < ns; i++)
		fnv_u16(&f, sorted[i]);
	fnv_byte(&f, 'G');
	for (size_t i = 0; i < n_groups; i++)
		if (group_min(groups[i]) <= 0x0301)
			fnv_u16(&f, groups[i]);
	fnv_byte(&f, 'P');
	for (size_t i = 0; i < n_pf; i++)
		fnv_byte(&f, pf[i]);
	fnv_byte(&f, 'Z');
	for (size_t i = 0; i < n_comp; i++)
		fnv_byte(&f, comp[i]);
	return f.h;
}

uint64_t stack_entry_base_hash(const struct stack_entry *e)
{
	return base_hash(e->sslv2, e->ciphers, e->n_ciphers, e->exts, e->n_exts, e->groups, e->n_groups,
			 e->point_formats, e->n_point_formats, e->compression, e->n_compression);
}

/* ---- exact match ----------------------------------------------------------------------- */

/* May the stack have left value v of this list out of a hello like o? (stack_rules.h) */
static bool removable(uint8_t tag, uint16_t v, const struct obs *o)
{
	switch (tag) {
	case TAG_CIPHER: {
		uint16_t min = cipher_min(v);
		return min > o->rank || (o->tls13_only && min < 0x0304);
	}
	case TAG_EXT: return ext_min(v) > o->rank;
	case TAG_GROUP: return group_min(v) > o->rank;
	case TAG_SIGALG: return o->tls13_only && in_list(sigalgs_tls12_only, COUNT(sigalgs_tls12_only), v);
	default: return false;
	}
}

/* o[] must be e[] with only removable values left out, order kept. Returns how many were
 * left out, or -1. */
static int narrowed(const uint16_t *e, size_t ne, const uint16_t *ov, size_t no, uint8_t tag, const struct obs *o)
{
	size_t j = 0;
	int removed = 0;
	for (size_t i = 0; i < ne; i++) {
		if (j < no && ov[j] == e[i])
			j++;
		else if (removable(tag, e[i], o))
			removed++;
		else
			return -1;
	}
	return j == no ? removed : -1;
}

/* the same for a set (entries that shuffle their extensions) */
static int narrowed_set(const struct stack_entry *e, const struct obs *o)
{
	int removed = 0;
	size_t found = 0;
	for (size_t i = 0; i < e->n_exts; i++) {
		if (set_find(&o->set, TAG_EXT, e->exts[i]) >= 0)
			found++;
		else if (removable(TAG_EXT, e->exts[i], o))
			removed++;
		else
			return -1;
	}
	return found == o->n_exts && !o->dup_ext ? removed : -1;
}

static bool eq_u8(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* removals needed for o to be e's hello, or -1 if it cannot be */
static int exact_cost(const struct stack_entry *e, const struct obs *o)
{
	uint16_t e_rank = version_rank(e->max_version);
	if (e->sslv2 != o->sslv2 || o->rank > e_rank)
		return -1;
	if (o->rank == 0x0304 && o->max_raw != e->max_version)
		return -1; /* another TLS 1.3 draft: the stack's release differs */
	int c = narrowed(e->ciphers, e->n_ciphers, o->ciphers, o->n_ciphers, TAG_CIPHER, o);
	if (c < 0)
		return -1;
	int x = e->shuffles ? narrowed_set(e, o) : narrowed(e->exts, e->n_exts, o->exts, o->n_exts, TAG_EXT, o);
	if (x < 0)
		return -1;
	int g;
	if (o->n_groups == 0 && e->n_groups > 0 && o->rank < 0x0301)
		g = e->n_groups; /* supported_groups left out with every extension (SSL 3.0) */
	else
		g = narrowed(e->groups, e->n_groups, o->groups, o->n_groups, TAG_GROUP, o);
	if (g < 0)
		return -1;
	int s;
	if (o->n_sigalgs == 0 && e->n_sigalgs > 0 && o->rank < 0x0303)
		s = e->n_sigalgs; /* signature_algorithms is TLS 1.2's */
	else
		s = narrowed(e->sigalgs, e->n_sigalgs, o->sigalgs, o->n_sigalgs, TAG_SIGALG, o);
	if (s < 0)
		return -1;
	int p = 0;
	if (o->n_pf == 0 && e->n_point_formats > 0 && o->rank < 0x0301)
		p = 1;
	else if (!eq_u8(e->point_formats, e->n_point_formats, o->pf, o->n_pf))
		return -1;
	if (!eq_u8(e->compression, e->n_compression, o->comp, o->n_comp))
		return -1;
	return c + x + g + s + p;
}

/* soft extensions of the hello that none of the entry's sources sent */
static unsigned soft_extra(const struct stack_entry *e, const struct obs *o)
{
	unsigned n = 0;
	for (size_t i = 0; i < o->n_soft; i++) {
		bool seen = false;
		for (size_t j = 0; j < e->n_soft_exts && !seen; j++)
			seen = e->soft_exts[j] == o->soft[i];
		n += !seen;
	}
	return n;
}

static bool is_crawler(const struct stack_entry *e)
{
	return e->crawler;
}

/* ---- close match ------------------------------------------------------------------------- */

struct cmp {
	unsigned common, missing, extra;
	bool order; /* the common values come in another order */
};

static void cmp_list(const uint16_t *e, size_t ne, const struct obs *o, uint8_t tag, size_t no, struct cmp *r)
{
	int last = -1;
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < ne; i++) {
		int pos = set_find(&o->set, tag, e[i]);
		if (pos >= 0) {
			r->common++;
			if (pos < last)
				r->order = true;
			last = pos;
		} else if (!removable(tag, e[i], o)) {
			r->missing++;
		}
	}
	r->extra = no > r->common ? (unsigned)(no - r->common) : 0;
}

static unsigned sim(const struct cmp *c, unsigned weight)
{
	unsigned all = c->common + c->missing + c->extra;
	return all == 0 ? weight : weight * c->common / all;
}

/* Cipher lists: an application that picks a subset of the stack's suites (one suite, only
 * AEADs) keeps the stack's order; a suite the stack does not have is stronger evidence. */
static unsigned sim_ciphers(const struct cmp *c, unsigned weight)
{
	if (c->common + c->missing + c->extra == 0)
		return weight;
	unsigned kept = c->common + c->extra ? 7 * weight * c->common / (10 * (c->common + c->extra)) : 0;
	unsigned cover = c->common + c->missing ? 3 * weight * c->common / (10 * (c->common + c->missing)) : 0;
	return kept + cover;
}

struct appender {
	char *buf;
	size_t len, cap;
	bool full; /* a part did not fit: nothing more is added */
};

/* Append one part, "; "-separated; a part that does not fit whole becomes "..." and ends the text. */
static void app(struct appender *a, const char *s)
{
	bool cont = s[0] == ',';
	size_t sep = a->len > 0 && !cont ? 2 : 0, n = strlen(s);
	if (a->full)
		return;
	if (a->len + sep + n + 1 > a->cap) {
		if (a->len + 4 <= a->cap) {
			memcpy(a->buf + a->len, "...", 4);
			a->len += 3;
		}
		a->full = true;
		return;
	}
	if (sep) {
		a->buf[a->len++] = ';';
		a->buf[a->len++] = ' ';
	}
	memcpy(a->buf + a->len, s, n + 1);
	a->len += n;
}

static void app_counts(struct appender *a, const char *what, const struct cmp *c)
{
	char tmp[64];
	if (c->missing && c->extra)
		snprintf(tmp, sizeof(tmp), "%s: %u missing, %u extra", what, c->missing, c->extra);
	else if (c->missing)
		snprintf(tmp, sizeof(tmp), "%s: %u missing", what, c->missing);
	else if (c->extra)
		snprintf(tmp, sizeof(tmp), "%s: %u extra", what, c->extra);
	else if (c->order)
		snprintf(tmp, sizeof(tmp), "%s order", what);
	else
		return;
	app(a, tmp);
	if ((c->missing || c->extra) && c->order)
		app(a, ", order");
}

/* extension differences name the types when there are few */
static void app_exts(struct appender *a, const struct stack_entry *e, const struct obs *o, const struct cmp *c,
		     bool order_matters)
{
	char tmp[80];
	size_t n = 0;
	if (c->missing + c->extra > 0 && c->missing + c->extra <= 3) {
		n = (size_t)snprintf(tmp, sizeof(tmp), "extensions:");
		for (size_t i = 0; i < e->n_exts && n < sizeof(tmp); i++)
			if (set_find(&o->set, TAG_EXT, e->exts[i]) < 0 && !removable(TAG_EXT, e->exts[i], o))
				n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, " -%u", e->exts[i]);
		for (size_t i = 0; i < o->n_exts && n < sizeof(tmp); i++) {
			bool in = false;
			for (size_t j = 0; j < e->n_exts && !in; j++)
				in = e->exts[j] == o->exts[i];
			if (!in)
				n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, " +%u", o->exts[i]);
		}
		app(a, tmp);
	} else if (c->missing + c->extra > 0) {
		struct cmp counts = *c;
		counts.order = false;
		app_counts(a, "extensions", &counts);
	}
	if (c->order && order_matters)
		app(a, "extension order");
}

/* Similarity 0..1000 of o to e; fills differed when d is not NULL. */
static unsigned close_score(const struct stack_entry *e, const struct obs *o, struct appender *d)
{
	struct cmp cc, ce, cg, cs;
	cmp_list(e->ciphers, e->n_ciphers, o, TAG_CIPHER, o->n_ciphers, &cc);
	cmp_list(e->exts, e->n_exts, o, TAG_EXT, o->n_exts, &ce);
	cmp_list(e->groups, e->n_groups, o, TAG_GROUP, o->n_groups, &cg);
	if (o->n_groups == 0 && o->rank < 0x0301)
		cg.missing = 0;
	cmp_list(e->sigalgs, e->n_sigalgs, o, TAG_SIGALG, o->n_sigalgs, &cs);
	if (o->n_sigalgs == 0 && o->rank < 0x0303)
		cs.missing = 0;
	bool pf_same =
		eq_u8(e->point_formats, e->n_point_formats, o->pf, o->n_pf) || (o->n_pf == 0 && o->rank < 0x0301);
	bool comp_same = eq_u8(e->compression, e->n_compression, o->comp, o->n_comp);
	bool ext_order = ce.order && !e->shuffles;
	bool higher = o->rank > version_rank(e->max_version);

	/* lists absent from both hellos say nothing: weigh only what either side has */
	unsigned have = 425, got = sim_ciphers(&cc, 400) + (comp_same ? 25 : 0);
	if (e->n_exts || o->n_exts) {
		have += 300;
		got += sim(&ce, 300);
	}
	if (e->n_sigalgs || o->n_sigalgs) {
		have += 150;
		got += sim(&cs, 150);
	}
	if (e->n_groups || o->n_groups) {
		have += 100;
		got += sim(&cg, 100);
	}
	if (e->n_point_formats || o->n_pf) {
		have += 25;
		got += pf_same ? 25 : 0;
	}
	int score = (int)(1000 * got / have);
	if (cc.common + ce.common + cg.common + cs.common < STACK_CLOSE_MIN_COMMON)
		score = 0; /* too little to go on, however similar */
	score -= cc.order ? 40 : 0;
	score -= ext_order ? 40 : 0;
	score -= cg.order || cs.order ? 20 : 0;
	score -= e->sslv2 != o->sslv2 ? 150 : 0;
	score -= higher ? 30 : 0;
	if (score < 0)
		score = 0;
	if (d) {
		if (o->dup_ext)
			app(d, "repeated extension");
		if (e->sslv2 != o->sslv2)
			app(d, o->sslv2 ? "SSLv2 hello format" : "not the SSLv2 hello format");
		if (higher)
			app(d, "offers a higher version");
		app_counts(d, "ciphers", &cc);
		app_exts(d, e, o, &ce, !e->shuffles);
		app_counts(d, "groups", &cg);
		app_counts(d, "sigalgs", &cs);
		if (!pf_same)
			app(d, "point formats");
		if (!comp_same)
			app(d, "compression");
	}
	return (unsigned)score;
}

/* ---- lookup ------------------------------------------------------------------------------ */

static void fill(struct stack_match *out, const struct stack_entry *e, enum stack_match_kind kind, unsigned score)
{
	out->kind = kind;
	out->key = e->key;
	out->family = e->family;
	out->library = e->library;
	out->name = e->name;
	out->windows = e->windows;
	out->versions = e->versions;
	out->also = e->twins;
	out->score = score;
}

/* first index row with this hash */
static size_t index_lower(uint64_t h)
{
	size_t lo = 0, hi = stack_n_entries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (stack_index[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct best {
	const struct stack_entry *e;
	int cost;	  /* values the version range had to remove */
	unsigned soft;	  /* soft extensions none of the entry's sources sent */
	bool as_set;	  /* matched extensions as a set (the entry shuffles): weaker evidence */
	bool rec_differs; /* the record version differs */
};

/* is a better than b: fewest removals, order-checked before set-checked, soft extensions
 * seen, record version, table order */
static bool better(const struct best *a, const struct best *b)
{
	if (!b->e)
		return true;
	if (a->cost != b->cost)
		return a->cost < b->cost;
	if (a->as_set != b->as_set)
		return !a->as_set;
	if (a->soft != b->soft)
		return a->soft < b->soft;
	return !a->rec_differs && b->rec_differs;
}

struct exact_run {
	const struct obs *o;
	int pass;	     /* 1: find best and crawler, 2: find other */
	struct best best;    /* best exact candidate of a real stack */
	struct best other;   /* best exact candidate of another library than best's */
	struct best crawler; /* best exact candidate among crawlers (client software, stack unknown) */
};

static void visit(struct exact_run *r, const struct stack_entry *e)
{
	int cost = exact_cost(e, r->o);
	if (cost < 0)
		return;
	struct best cand = {e, cost, soft_extra(e, r->o), e->shuffles, e->record_version != r->o->record_version};
	if (r->pass == 1) {
		struct best *slot = is_crawler(e) ? &r->crawler : &r->best;
		if (better(&cand, slot))
			*slot = cand;
	} else if (!is_crawler(e) && strcmp(r->best.e->library, e->library) != 0 && better(&cand, &r->other)) {
		r->other = cand;
	}
}

/* Exact candidates: the entries sharing the hello's narrowing-invariant hash; every entry for
 * a hello whose range leaves out what the hash keeps (SSL 3.0 only, TLS 1.3 only). */
static void exact_pass(struct exact_run *r, size_t exclude)
{
	const struct obs *o = r->o;
	if (o->rank >= 0x0301 && !o->tls13_only) {
		uint64_t h = base_hash(o->sslv2, o->ciphers, o->n_ciphers, o->exts, o->n_exts, o->groups, o->n_groups,
				       o->pf, o->n_pf, o->comp, o->n_comp);
		for (size_t i = index_lower(h); i < stack_n_entries && stack_index[i].hash == h; i++)
			if (stack_index[i].entry != exclude)
				visit(r, &stack_entries[stack_index[i].entry]);
	} else {
		for (size_t i = 0; i < stack_n_entries; i++)
			if (i != exclude)
				visit(r, &stack_entries[i]);
	}
}

/* The most similar real stack (crawlers left out), or NULL below STACK_CLOSE_MIN. The
 * STACK_PREFILTER entries whose signatures are nearest are scored in full (all with full_scan). */
static const struct stack_entry *closest(const struct obs *o, size_t exclude, bool full_scan, unsigned *ret_score)
{
	size_t cand[STACK_PREFILTER];
	unsigned cand_sig[STACK_PREFILTER];
	size_t n_cand = 0, view = sig_view(o->rank);
	const struct stack_entry *top = NULL;
	unsigned top_score = 0;

	for (size_t i = 0; i < stack_n_entries; i++) {
		const struct stack_entry *e = &stack_entries[i];
		if (i == exclude || is_crawler(e))
			continue;
		if (full_scan) {
			unsigned sc = close_score(e, o, NULL);
			if (sc > top_score) {
				top = e;
				top_score = sc;
			}
			continue;
		}
		unsigned ss = sig_score(e->sig[view], o->sig);
		size_t at = n_cand; /* keep cand sorted by signature score, best first */
		while (at > 0 && cand_sig[at - 1] < ss)
			at--;
		if (at >= STACK_PREFILTER)
			continue;
		size_t last = n_cand < STACK_PREFILTER ? n_cand : STACK_PREFILTER - 1;
		memmove(&cand[at + 1], &cand[at], (last - at) * sizeof(cand[0]));
		memmove(&cand_sig[at + 1], &cand_sig[at], (last - at) * sizeof(cand_sig[0]));
		cand[at] = i;
		cand_sig[at] = ss;
		if (n_cand < STACK_PREFILTER)
			n_cand++;
	}
	for (size_t k = 0; k < n_cand; k++) {
		const struct stack_entry *e = &stack_entries[cand[k]];
		unsigned sc = close_score(e, o, NULL);
		if (sc > top_score || (sc == top_score && top && e < top)) {
			top = e;
			top_score = sc;
		}
	}
	*ret_score = top_score;
	return top_score >= STACK_CLOSE_MIN ? top : NULL;
}

void stack_identify_excluding(const struct tls_client_hello *ch, size_t exclude, bool full_scan,
			      struct stack_match *out)
{
	struct obs o;
	memset(out, 0, sizeof(*out));
	out->kind = STACK_NONE;
	if (!ch)
		return;
	obs_build(ch, &o);
	if (o.n_ciphers == 0)
		return; /* no TLS suite (an SSL 2.0-only hello): nothing a stack fixes is left to compare */

	struct exact_run r = {.o = &o, .pass = 1};
	exact_pass(&r, exclude);
	if (r.best.e) {
		r.pass = 2;
		exact_pass(&r, exclude);
		fill(out, r.best.e, r.other.e ? STACK_CLOSE : STACK_EXACT, 1000);
		if (r.other.e) { /* another library agrees as well: name the better one, without "exact" */
			out->also = r.other.e->key;
			snprintf(out->differed, sizeof(out->differed), "also exact: %s (%s)", r.other.e->key,
				 r.other.e->family);
		}
		return;
	}

	unsigned score;
	const struct stack_entry *top = closest(&o, exclude, full_scan, &score);
	if (!top) {
		if (r.crawler.e) /* the same hello as a named crawler, and no stack is near */
			fill(out, r.crawler.e, STACK_EXACT, 1000);
		return;
	}
	fill(out, top, STACK_CLOSE, score);
	struct appender d = {out->differed, 0, sizeof(out->differed), false};
	out->differed[0] = '\0';
	if (r.crawler.e) { /* a crawler names no stack: say which stack it resembles */
		char tmp[STACK_DIFFERED_LEN];
		out->also = r.crawler.e->key;
		snprintf(tmp, sizeof(tmp), "same hello as %s", r.crawler.e->key);
		app(&d, tmp);
	}
	(void)close_score(top, &o, &d);
	if (d.len == 0) /* every list agrees, yet not exact: only what removals allow differs */
		app(&d, "values left out that the version range does not explain");
}

void stack_identify(const struct tls_client_hello *ch, struct stack_match *out)
{
	stack_identify_excluding(ch, SIZE_MAX, false, out);
}

const char *stack_match_kind_name(enum stack_match_kind k)
{
	switch (k) {
	case STACK_EXACT: return "exact";
	case STACK_CLOSE: return "close";
	case STACK_NONE: break;
	}
	return NULL;
}
