/* reader.h - bounded big-endian byte reader over untrusted memory.
 *
 * Design note: every byte tlsaudit parses comes from a capture, i.e. from an
 * attacker. All parsing goes through this one type. A reader is a borrowed view
 * (base, len, off) with a sticky first error: once a read runs past the end,
 * every later read returns 0 and the error stays set, so a parser reads all the
 * fields of a structure and tests br_ok() once (dav1d GetBits, tcpdump GET_*).
 * Length checks compare against what remains (n > len - off), which cannot
 * overflow. A TLS <...> vector becomes a sub-reader limited to its own length.
 */
#ifndef TLSAUDIT_READER_H
#define TLSAUDIT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct br {
	const uint8_t *base; /* borrowed, never written */
	size_t len;	     /* bytes valid at base */
	size_t off;	     /* next byte to read */
	bool err;	     /* sticky: a read went past len */
};

static inline struct br br_make(const uint8_t *base, size_t len)
{
	struct br r = {.base = base, .len = len, .off = 0, .err = false};
	return r;
}

static inline bool br_ok(const struct br *r)
{
	return !r->err;
}
static inline size_t br_left(const struct br *r)
{
	return r->err ? 0 : r->len - r->off;
}
static inline bool br_empty(const struct br *r)
{
	return br_left(r) == 0;
}

/* true when n more bytes are available; sets the error otherwise */
static inline bool br_need(struct br *r, size_t n)
{
	if (r->err || n > r->len - r->off) {
		r->err = true;
		return false;
	}
	return true;
}

static inline uint8_t br_u8(struct br *r)
{
	if (!br_need(r, 1))
		return 0;
	return r->base[r->off++];
}

static inline uint16_t br_u16(struct br *r)
{
	if (!br_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((r->base[r->off] << 8) | r->base[r->off + 1]);
	r->off += 2;
	return v;
}

static inline uint32_t br_u24(struct br *r)
{
	if (!br_need(r, 3))
		return 0;
	uint32_t v = ((uint32_t)r->base[r->off] << 16) | ((uint32_t)r->base[r->off + 1] << 8) | r->base[r->off + 2];
	r->off += 3;
	return v;
}

static inline uint32_t br_u32(struct br *r)
{
	if (!br_need(r, 4))
		return 0;
	uint32_t v = ((uint32_t)r->base[r->off] << 24) | ((uint32_t)r->base[r->off + 1] << 16) |
		     ((uint32_t)r->base[r->off + 2] << 8) | r->base[r->off + 3];
	r->off += 4;
	return v;
}

/* little-endian loads, for capture file headers written by the host */
static inline uint16_t br_le16(struct br *r)
{
	if (!br_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)(r->base[r->off] | (r->base[r->off + 1] << 8));
	r->off += 2;
	return v;
}

static inline uint32_t br_le32(struct br *r)
{
	if (!br_need(r, 4))
		return 0;
	uint32_t v = (uint32_t)r->base[r->off] | ((uint32_t)r->base[r->off + 1] << 8) |
		     ((uint32_t)r->base[r->off + 2] << 16) | ((uint32_t)r->base[r->off + 3] << 24);
	r->off += 4;
	return v;
}

/* borrow n bytes; returns NULL (and sets the error) if they are not there */
static inline const uint8_t *br_ptr(struct br *r, size_t n)
{
	if (!br_need(r, n))
		return NULL;
	const uint8_t *p = r->base + r->off;
	r->off += n;
	return p;
}

/* n big-endian u16 values into out[n], with one check for all of them (a TLS list); false, with the error set
 * and nothing read, if they are not all there */
static inline bool br_u16s(struct br *r, uint16_t *out, size_t n)
{
	if (n > SIZE_MAX / 2) {
		r->err = true;
		return false;
	}
	const uint8_t *p = br_ptr(r, n * 2);
	if (!p)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint16_t)((p[2 * i] << 8) | p[2 * i + 1]);
	return true;
}
static inline void br_skip(struct br *r, size_t n)
{
	(void)br_ptr(r, n);
}

/* copy n bytes into dst (dst must hold n) */
static inline bool br_copy(struct br *r, void *dst, size_t n)
{
	const uint8_t *p = br_ptr(r, n);
	if (!p)
		return false;
	if (n)
		memcpy(dst, p, n);
	return true;
}

/* peek at byte i ahead without consuming; 0 and no error if absent */
static inline uint8_t br_peek(const struct br *r, size_t i)
{
	if (r->err || i >= r->len - r->off)
		return 0;
	return r->base[r->off + i];
}

/* a sub-reader over the next n bytes (a TLS vector body); the parent skips them */
static inline struct br br_sub(struct br *r, size_t n)
{
	const uint8_t *p = br_ptr(r, n);
	struct br s = br_make(p, p ? n : 0);
	s.err = (p == NULL);
	return s;
}

/* vectors with a 1-, 2- or 3-byte length prefix (RFC 8446 section 3.4) */
static inline struct br br_vec8(struct br *r)
{
	return br_sub(r, br_u8(r));
}
static inline struct br br_vec16(struct br *r)
{
	return br_sub(r, br_u16(r));
}
static inline struct br br_vec24(struct br *r)
{
	return br_sub(r, br_u24(r));
}

#endif
