/* capsrc.c - a capture file's bytes, read ahead, hashed and decompressed on their own thread (capsrc.h).
 * specification: RFC 1952 (gzip), the .xz file format 1.1.0, RFC 8878 (zstd); decoding by zlib, liblzma and
 * libzstd, never by hand.
 *
 * Design note. The reader thread fills a ring of SRC_SLOTS blocks; a plain file is read straight into the
 * blocks, a compressed one into a raw buffer and decoded into them. The consumer copies out of the block at
 * the tail; a block belongs to the reader outside [tail, head) and to the consumer inside, so the lock is
 * taken once per block. The hash covers the bytes as read from the file. The decoders' memory is capped
 * (xz and zstd window sizes) so a hostile file cannot make one allocate without bound.
 */
#include "capsrc.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "tlsaudit/reader.h"

#define SRC_BLOCK	   (1u << 20) /* read(2) size and output block */
#define SRC_SLOTS	   4u	      /* blocks in flight */
#define SRC_XZ_MEMLIMIT	   ((uint64_t)256 << 20)
#define SRC_ZSTD_WINDOWLOG 27 /* 128 MiB: zstd's default limit for decoders */
#define SRC_MAGIC_BYTES	   6  /* the longest magic number below */

enum layer { L_PLAIN, L_GZIP, L_XZ, L_ZSTD };
static const char *const layer_names[] = {NULL, "gzip", "xz", "zstd"};

struct block {
	uint8_t *data; /* SRC_BLOCK bytes, allocated on first use */
	size_t len;
};

struct capsrc {
	int fd;
	bool own_fd;
	char name[256];
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t filled, drained;
	struct block slots[SRC_SLOTS];
	uint64_t head, tail; /* guarded by mu: blocks published, blocks consumed */
	bool done;	     /* guarded by mu: the reader stopped (end of file or error) */
	bool stop;	     /* guarded by mu: the consumer is going away */
	int err;	     /* guarded by mu, valid once done: 0, -ENODATA (a layer cut short), or an errno */
	char errmsg[256];
	_Atomic uint64_t file_bytes;
	_Atomic int layer; /* enum layer, decided on the first bytes */
	/* consumer side */
	size_t pos; /* read offset in the block at tail */
	/* reader side */
	EVP_MD_CTX *md;
	uint8_t sha[32];
	bool sha_ok; /* guarded by mu (written before done) */
	uint8_t *raw;
	z_stream zs;
	bool zs_init, gz_member_open;
	lzma_stream xs;
	bool xs_init;
	ZSTD_DStream *zd;
	bool zd_frame_open;
};

/* ---- the reader thread ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
reader_fail(struct capsrc *s, int err, const char *fmt, ...)
{
	pthread_mutex_lock(&s->mu);
	if (!s->err) {
		s->err = err;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->mu);
}

/* The block to fill next (waiting for room); NULL when the consumer went away or memory ran out. */
static struct block *next_block(struct capsrc *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->head - s->tail >= SRC_SLOTS && !s->stop)
		pthread_cond_wait(&s->drained, &s->mu);
	bool stop = s->stop;
	struct block *b = &s->slots[s->head % SRC_SLOTS];
	pthread_mutex_unlock(&s->mu);
	if (stop)
		return NULL;
	if (!b->data && !(b->data = malloc(SRC_BLOCK))) {
		reader_fail(s, -ENOMEM, "out of memory");
		return NULL;
	}
	b->len = 0;
	return b;
}

static void publish(struct capsrc *s)
{
	pthread_mutex_lock(&s->mu);
	s->head++;
	pthread_cond_signal(&s->filled);
	pthread_mutex_unlock(&s->mu);
}

/* read(2) up to n bytes; returns the count, 0 at end of file, negative errno. */
static long read_some(struct capsrc *s, uint8_t *dst, size_t n)
{
	for (;;) {
		ssize_t r = read(s->fd, dst, n);
		if (r >= 0) {
			if (r > 0 && EVP_DigestUpdate(s->md, dst, (size_t)r) != 1)
				return -EIO;
			atomic_fetch_add(&s->file_bytes, (uint64_t)r);
			return (long)r;
		}
		if (errno != EINTR)
			return -errno;
	}
}

static enum layer detect(const uint8_t *p, size_t n)
{
	static const uint8_t gz[] = {0x1f, 0x8b}, xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00},
			     zst[] = {0x28, 0xb5, 0x2f, 0xfd};
	if (n >= sizeof(gz) && memcmp(p, gz, sizeof(gz)) == 0)
		return L_GZIP;
	if (n >= sizeof(xz) && memcmp(p, xz, sizeof(xz)) == 0)
		return L_XZ;
	if (n >= sizeof(zst) && memcmp(p, zst, sizeof(zst)) == 0)
		return L_ZSTD;
	return L_PLAIN;
}

static bool decoder_init(struct capsrc *s, enum layer l)
{
	switch (l) {
	case L_GZIP:
		memset(&s->zs, 0, sizeof(s->zs));
		s->zs_init = inflateInit2(&s->zs, 16 + MAX_WBITS) == Z_OK; /* gzip wrapper only */
		return s->zs_init;
	case L_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;
		s->xs = init;
		s->xs_init = lzma_stream_decoder(&s->xs, SRC_XZ_MEMLIMIT, LZMA_CONCATENATED) == LZMA_OK;
		return s->xs_init;
	}
	case L_ZSTD:
		s->zd = ZSTD_createDStream();
		return s->zd && !ZSTD_isError(ZSTD_DCtx_setParameter(s->zd, ZSTD_d_windowLogMax, SRC_ZSTD_WINDOWLOG));
	default: return true;
	}
}

enum step { STEP_OK, STEP_END, STEP_ERROR };

/* One decoder call from in[0..n) into out[0..room): what it used, made, and said. */
static enum step decode_step(struct capsrc *s, enum layer l, const uint8_t *in, size_t n, uint8_t *out, size_t room,
			     bool finish, size_t *ret_used, size_t *ret_made, const char **ret_why)
{
	*ret_why = "corrupt data";
	if (l == L_GZIP) {
		if (!s->gz_member_open && s->zs.total_in > 0 && n > 0)
			inflateReset(&s->zs); /* another member follows (RFC 1952 2.2) */
		s->zs.next_in = (Bytef *)(uintptr_t)in;
		s->zs.avail_in = (uInt)n;
		s->zs.next_out = out;
		s->zs.avail_out = (uInt)room;
		int r = inflate(&s->zs, Z_NO_FLUSH);
		*ret_used = n - s->zs.avail_in;
		*ret_made = room - s->zs.avail_out;
		if (r == Z_STREAM_END)
			s->gz_member_open = false;
		else if (r == Z_OK)
			s->gz_member_open = true;
		else if (r != Z_BUF_ERROR) {
			if (s->zs.msg)
				*ret_why = s->zs.msg;
			return STEP_ERROR;
		}
		return finish && !s->gz_member_open ? STEP_END : STEP_OK;
	}
	if (l == L_XZ) {
		s->xs.next_in = in;
		s->xs.avail_in = n;
		s->xs.next_out = out;
		s->xs.avail_out = room;
		lzma_ret r = lzma_code(&s->xs, finish ? LZMA_FINISH : LZMA_RUN);
		*ret_used = n - s->xs.avail_in;
		*ret_made = room - s->xs.avail_out;
		if (r == LZMA_STREAM_END)
			return STEP_END;
		if (r == LZMA_OK || r == LZMA_BUF_ERROR)
			return STEP_OK;
		if (r == LZMA_MEMLIMIT_ERROR || r == LZMA_MEM_ERROR)
			*ret_why = "the stream needs more memory than allowed";
		return STEP_ERROR;
	}
	if (finish) { /* the last call, with input, flushed what fit: nothing is pending */
		*ret_used = *ret_made = 0;
		return s->zd_frame_open ? STEP_OK : STEP_END;
	}
	ZSTD_inBuffer zin = {in, n, 0};
	ZSTD_outBuffer zout = {out, room, 0};
	size_t r = ZSTD_decompressStream(s->zd, &zout, &zin);
	*ret_used = zin.pos;
	*ret_made = zout.pos;
	if (ZSTD_isError(r)) {
		*ret_why = ZSTD_getErrorName(r);
		return STEP_ERROR;
	}
	s->zd_frame_open = r != 0;
	return STEP_OK;
}

/* Decode in[0..n) into blocks; n == 0 is the end of the file. Returns false when reading must stop. */
static bool decode(struct capsrc *s, enum layer l, const uint8_t *in, size_t n)
{
	uint64_t base = atomic_load(&s->file_bytes) - n; /* file offset of in[0] */
	bool finish = n == 0;
	size_t off = 0;

	for (;;) {
		struct block *b = next_block(s);
		if (!b)
			return false;
		size_t used, made;
		const char *why;
		enum step st = decode_step(s, l, in + off, n - off, b->data, SRC_BLOCK, finish, &used, &made, &why);
		off += used;
		b->len = made;
		if (made)
			publish(s);
		if (st == STEP_ERROR) {
			reader_fail(s, -EINVAL, "%s layer: corrupt data at compressed byte %llu (%s)", layer_names[l],
				    (unsigned long long)(base + off), why);
			return false;
		}
		if (finish) {
			if (made)
				continue; /* the decoder still holds output */
			if (st != STEP_END)
				reader_fail(s, -ENODATA,
					    "%s layer: the compressed stream ends early (file cut at byte %llu)",
					    layer_names[l], (unsigned long long)base);
			return false;
		}
		if (made == SRC_BLOCK)
			continue; /* more output may be waiting */
		if (off == n)
			return true; /* everything taken: the next read brings more */
		if (used == 0 && made == 0) {
			reader_fail(s, -EINVAL, "%s layer: the decoder stopped at compressed byte %llu", layer_names[l],
				    (unsigned long long)(base + off));
			return false;
		}
	}
}

static void *reader_main(void *arg)
{
	struct capsrc *s = arg;
	enum layer l = L_PLAIN;
	bool decided = false;

	for (;;) {
		if (!decided) {
			/* the first block decides the layer: read until a magic number can be told */
			struct block *b = next_block(s);
			if (!b)
				break;
			long r = 1;
			while (b->len < SRC_MAGIC_BYTES && r > 0) {
				r = read_some(s, b->data + b->len, SRC_BLOCK - b->len);
				if (r > 0)
					b->len += (size_t)r;
			}
			if (r < 0) {
				reader_fail(s, (int)r, "read error at byte %zu: %s", b->len, strerror((int)-r));
				break;
			}
			l = detect(b->data, b->len);
			atomic_store(&s->layer, (int)l);
			decided = true;
			if (l == L_PLAIN) {
				if (b->len)
					publish(s);
				if (r == 0)
					break;
				continue;
			}
			if (!decoder_init(s, l) || !(s->raw = malloc(SRC_BLOCK))) {
				reader_fail(s, -ENOMEM, "%s layer: cannot start the decoder", layer_names[l]);
				break;
			}
			/* the block's bytes are compressed input: decode them from the raw buffer */
			size_t n = b->len;
			memcpy(s->raw, b->data, n);
			if (!decode(s, l, s->raw, n))
				break;
			if (r == 0) {
				(void)decode(s, l, NULL, 0);
				break;
			}
			continue;
		}
		if (l == L_PLAIN) {
			struct block *b = next_block(s);
			if (!b)
				break;
			long r = read_some(s, b->data, SRC_BLOCK);
			if (r < 0) {
				reader_fail(s, (int)r, "read error at byte %llu: %s",
					    (unsigned long long)atomic_load(&s->file_bytes), strerror((int)-r));
				break;
			}
			if (r == 0)
				break;
			b->len = (size_t)r;
			publish(s);
			continue;
		}
		long r = read_some(s, s->raw, SRC_BLOCK);
		if (r < 0) {
			reader_fail(s, (int)r, "read error at byte %llu: %s",
				    (unsigned long long)atomic_load(&s->file_bytes), strerror((int)-r));
			break;
		}
		if (!decode(s, l, s->raw, (size_t)r) || r == 0)
			break;
	}
	unsigned int mdlen = 0;
	bool ok = EVP_DigestFinal_ex(s->md, s->sha, &mdlen) == 1 && mdlen == 32;
	pthread_mutex_lock(&s->mu);
	s->sha_ok = ok && (!s->err || s->err == -ENODATA);
	s->done = true;
	pthread_cond_broadcast(&s->filled);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- the consumer ---- */

int capsrc_open(int fd, bool own_fd, const char *name, struct capsrc **ret)
{
	struct capsrc *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->own_fd = own_fd;
	snprintf(s->name, sizeof(s->name), "%s", name);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->filled, NULL);
	pthread_cond_init(&s->drained, NULL);
	s->md = EVP_MD_CTX_new();
	if (!s->md || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		capsrc_free(s);
		return -ENOMEM;
	}
	if (pthread_create(&s->thread, NULL, reader_main, s) != 0) {
		capsrc_free(s);
		return -EAGAIN;
	}
	s->started = true;
	*ret = s;
	return 0;
}

long capsrc_acquire(struct capsrc *s, const uint8_t **ret, char *err, size_t errlen)
{
	pthread_mutex_lock(&s->mu);
	while (s->tail == s->head && !s->done)
		pthread_cond_wait(&s->filled, &s->mu);
	if (s->tail == s->head) {
		int e = s->err;
		if (e && err && errlen)
			snprintf(err, errlen, "%s", s->errmsg);
		pthread_mutex_unlock(&s->mu);
		*ret = NULL;
		return e;
	}
	const struct block *b = &s->slots[s->tail % SRC_SLOTS];
	pthread_mutex_unlock(&s->mu);
	*ret = b->data;
	return (long)b->len;
}

void capsrc_release(struct capsrc *s)
{
	pthread_mutex_lock(&s->mu);
	if (s->tail != s->head) {
		s->tail++;
		s->pos = 0;
		pthread_cond_signal(&s->drained);
	}
	pthread_mutex_unlock(&s->mu);
}

long capsrc_read(struct capsrc *s, uint8_t *dst, size_t n, char *err, size_t errlen)
{
	size_t got = 0;
	while (got < n) {
		pthread_mutex_lock(&s->mu);
		while (s->tail == s->head && !s->done)
			pthread_cond_wait(&s->filled, &s->mu);
		if (s->tail == s->head) { /* done, nothing left */
			int e = s->err;
			if (e && got == 0 && err && errlen)
				snprintf(err, errlen, "%s", s->errmsg);
			pthread_mutex_unlock(&s->mu);
			return got ? (long)got : e;
		}
		struct block *b = &s->slots[s->tail % SRC_SLOTS];
		pthread_mutex_unlock(&s->mu);
		size_t k = b->len - s->pos < n - got ? b->len - s->pos : n - got;
		memcpy(dst + got, b->data + s->pos, k);
		got += k;
		s->pos += k;
		if (s->pos == b->len) {
			pthread_mutex_lock(&s->mu);
			s->tail++;
			s->pos = 0;
			pthread_cond_signal(&s->drained);
			pthread_mutex_unlock(&s->mu);
		}
		if (got)
			break; /* what is here now; the caller asks again */
	}
	return (long)got;
}

bool capsrc_layer_error(struct capsrc *s, size_t max, char *msg, size_t msglen)
{
	uint8_t sink[65536];
	for (size_t n = 0; n < max;) {
		long r = capsrc_read(s, sink, sizeof(sink), msg, msglen);
		if (r < 0)
			return atomic_load(&s->layer) != L_PLAIN;
		if (r == 0)
			return false;
		n += (size_t)r;
	}
	return false;
}

const char *capsrc_layer(const struct capsrc *s)
{
	return layer_names[atomic_load(&((struct capsrc *)(uintptr_t)s)->layer)];
}

bool capsrc_sha256(const struct capsrc *s, uint8_t out[32], uint64_t *ret_file_bytes)
{
	struct capsrc *m = (struct capsrc *)(uintptr_t)s;
	pthread_mutex_lock(&m->mu);
	bool ok = m->done && m->sha_ok;
	if (ok)
		memcpy(out, m->sha, 32);
	pthread_mutex_unlock(&m->mu);
	if (ret_file_bytes)
		*ret_file_bytes = atomic_load(&m->file_bytes);
	return ok;
}

uint64_t capsrc_file_bytes(const struct capsrc *s)
{
	return atomic_load(&((struct capsrc *)(uintptr_t)s)->file_bytes);
}

void capsrc_free(struct capsrc *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_broadcast(&s->drained);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	if (s->zs_init)
		inflateEnd(&s->zs);
	if (s->xs_init)
		lzma_end(&s->xs);
	ZSTD_freeDStream(s->zd);
	for (size_t i = 0; i < SRC_SLOTS; i++)
		free(s->slots[i].data);
	free(s->raw);
	EVP_MD_CTX_free(s->md);
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->filled);
	pthread_cond_destroy(&s->drained);
	free(s);
}
