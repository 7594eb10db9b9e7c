/* zpack.h - a sparse struct kept as its runs of non-zero bytes while it waits: the per-connection state of a
 * handshake in progress is mostly zeros between its packets (the TLS stage's after a ClientHello, nDPI's flow).
 * The packed bytes are a private format of this process, never stored or read from outside. */
#ifndef TLSAUDIT_ZPACK_H
#define TLSAUDIT_ZPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most bytes zpack() writes for n input bytes. */
#define ZPACK_BOUND(n) (3 * (size_t)(n) + 8)

/* Packs src[0..n) into out (ZPACK_BOUND(n) bytes); returns the bytes written (0 for all zeros). */
size_t zpack(const void *src, size_t n, uint8_t *out);

/* Restores dst[0..n) from zpack() output in[0..in_len). false, with dst zeroed, if in does not describe n bytes. */
bool zunpack(const uint8_t *in, size_t in_len, void *dst, size_t n);

#endif
