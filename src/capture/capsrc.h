/* capsrc.h - the bytes of a capture file, read ahead on their own thread (capsrc.c; private to src/capture).
 *
 * Contract. capsrc_open() takes a file descriptor and starts a thread that reads it in large blocks, hashes
 * every byte as given (SHA-256: the capture's identity stays that of the file, compressed or not) and, when
 * the first bytes are a gzip, xz or zstd stream, decompresses it. capsrc_read() hands the (decompressed)
 * bytes out in order on the caller's thread. Memory is bounded: a few blocks in flight, whatever the file
 * holds. One consumer; capsrc_free() stops the thread wherever it is.
 */
#ifndef TLSAUDIT_CAPSRC_H
#define TLSAUDIT_CAPSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capsrc;

/* fd is read (and closed by capsrc_free when own_fd). name is for messages. Returns 0 or -ENOMEM/-EAGAIN. */
int capsrc_open(int fd, bool own_fd, const char *name, struct capsrc **ret);
/* Up to n bytes into dst, waiting for the reader. Returns the count (0 = end of the stream), or a negative
 * errno with err set ("read error: ...", "gzip layer: corrupt data at compressed byte 1234"). */
long capsrc_read(struct capsrc *s, uint8_t *dst, size_t n, char *err, size_t errlen);
/* Zero-copy reading: the next block, borrowed until capsrc_release() (one at a time; not mixed with
 * capsrc_read() while held). Returns its length, 0 at the end, or a negative errno with err set. */
long capsrc_acquire(struct capsrc *s, const uint8_t **ret, char *err, size_t errlen);
void capsrc_release(struct capsrc *s);
/* The capture inside a compressed layer looked damaged: was it the layer? Reads on (discarding) up to max
 * more bytes; true with the layer's message in msg when the layer itself failed or was cut. */
bool capsrc_layer_error(struct capsrc *s, size_t max, char *msg, size_t msglen);
/* The compression layer: "gzip", "xz", "zstd", or NULL (plain). Known after the first capsrc_read(). */
const char *capsrc_layer(const struct capsrc *s);
/* After capsrc_read() returned 0: the SHA-256 of every byte of the file, and how many there were. */
bool capsrc_sha256(const struct capsrc *s, uint8_t out[32], uint64_t *ret_file_bytes);
/* Bytes of the file read so far (for progress). */
uint64_t capsrc_file_bytes(const struct capsrc *s);
void capsrc_free(struct capsrc *s); /* accepts NULL */

#endif
