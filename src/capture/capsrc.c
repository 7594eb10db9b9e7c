/* capsrc.c - a capture file's bytes, read ahead, hashed and decompressed on their own thread (capsrc.h).
 * specification: RFC 1952 (gzip), the .xz file format 1.1.0, RFC 8878 (zstd); decoding by zlib, liblzma and
 * libzstd, never by hand.
 *
 * Design note. The reader fills a ring of SRC_SLOTS blocks; a plain file is read straight into the blocks, a
 * compressed one into a raw buffer and decoded into them. The consumer copies out of the block at the tail; a
 * block belongs to the reader outside [tail, head) and to the consumer inside, so the lock is taken once per
 * block. The hash covers the bytes as read from the file. The decoders' memory is capped (xz and zstd window
 * sizes) so a hostile file cannot make one allocate without bound.
 *
 * The reader is one resumable step (reader_step: read or decode until a block is published, the ring is full
 * or the input ends), driven either by its own thread (a file: reading ahead overlaps parsing) or, for a
 * capture held in memory (capsrc_open_mem), by the consumer itself when the ring is empty. Both run the same
 * detection, decoding and hashing; in memory a plain capture's blocks are views of the caller's bytes.
 *
 * A regular file is mapped (mmap) and read like bytes in memory, by the thread: the hash and the parser then
 * read the page cache where it is, instead of the kernel copying every byte into the ring (on a file much
 * larger than the caches that copy cost as much as the hash). What the file grows by after the open is read
 * with read(2) after the mapped part. A file cut shorter while mapped would raise SIGBUS on the pages past
 * its new end: a handler (installed with the first mapping, for this process) puts zero pages in place of the
 * rest of that mapping and marks it, and the reader stops with "the file shrank while it was read" (the hash
 * is then not the file's and is not reported); a SIGBUS outside our mappings goes to the previous handler.
 * A block's pages are dropped from the mapping once it is consumed, so the process holds the blocks in flight
 * (as with read), not the file.
 */
#include "capsrc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "tlsaudit/reader.h"

#define SRC_BLOCK	   (1u << 20)	    /* read(2) size and output block */
#define SRC_MAP_MIN	   ((off_t)1 << 20) /* smaller files are read, not mapped */
#define SRC_MAPS	   64		    /* files mapped at once (more are read) */
#define SRC_SLOTS	   4u		    /* blocks in flight */
#define SRC_XZ_MEMLIMIT	   ((uint64_t)256 << 20)
#define SRC_ZSTD_WINDOWLOG 27 /* 128 MiB: zstd's default limit for decoders */
#define SRC_MAGIC_BYTES	   6  /* the longest magic number below */

enum layer { L_PLAIN, L_GZIP, L_XZ, L_ZSTD };
static const char *const layer_names[] = {NULL, "gzip", "xz", "zstd"};

struct block {
	uint8_t *data;	     /* SRC_BLOCK bytes, allocated on first use (owned) */
	const uint8_t *view; /* what the consumer reads: data, or the caller's bytes (in memory, plain) */
	size_t len;
};

enum step_result {
	R_MORE, /* published or read something: step again when more is wanted */
	R_FULL, /* the ring is full (synchronous reader only) */
	R_DONE, /* the end of the input, an error, or the consumer went away */
};

struct capsrc {
	int fd;
	bool own_fd;
	char name[256];
	pthread_t thread;
	bool started;
	/* in memory (no thread): the caller's bytes, borrowed, and how far the reader has taken them; or the
	 * mapped file (the thread) */
	const uint8_t *mem;
	size_t mem_len, mem_pos;
	void *map; /* owned: the mapping of a regular file (mem = map while the reader takes from it) */
	size_t map_len;
	int map_slot; /* in src_maps */
	bool sync;
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
	bool decided; /* the layer is known */
	EVP_MD_CTX *md;
	uint8_t sha[32];
	bool sha_ok;  /* guarded by mu (written before done) */
	uint8_t *raw; /* compressed input: raw[raw_off..raw_len) not decoded yet */
	size_t raw_len, raw_off;
	uint64_t raw_base; /* file offset of raw[0] */
	bool raw_eof;	   /* the file has no more compressed bytes */
	z_stream zs;
	bool zs_init, gz_member_open;
	lzma_stream xs;
	bool xs_init;
	ZSTD_DStream *zd;
	bool zd_frame_open;
};

/* ---- mapped files and SIGBUS ---- */

static struct {
	_Atomic uintptr_t base; /* 0: free */
	_Atomic size_t len;
	_Atomic int shrunk;
} src_maps[SRC_MAPS];
static pthread_mutex_t src_maps_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction src_old_bus;
static bool src_bus_installed;
static size_t src_page;

static void src_on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	for (size_t i = 0; i < SRC_MAPS; i++) {
		uintptr_t b = atomic_load(&src_maps[i].base);
		size_t n = atomic_load(&src_maps[i].len);
		if (!b || a < b || a - b >= n)
			continue;
		/* the file was cut under the mapping: zero pages from here on, and the reader is told */
		uintptr_t from = a & ~(uintptr_t)(src_page - 1);
		if (mmap((void *)from, b + n - from, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
		    MAP_FAILED) {
			atomic_store(&src_maps[i].shrunk, 1);
			return;
		}
		break;
	}
	/* not ours (or no way out): the previous disposition, which the faulting access now meets again */
	sigaction(SIGBUS, &src_old_bus, NULL);
	(void)sig;
	(void)uc;
}

/* Map the regular file fd (read from its start) for reading; false: read it instead. */
static bool src_map(struct capsrc *s)
{
	struct stat st;
	if (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < SRC_MAP_MIN ||
	    (uint64_t)st.st_size > SIZE_MAX / 2 || lseek(s->fd, 0, SEEK_CUR) != 0)
		return false;
	pthread_mutex_lock(&src_maps_mu);
	int slot = -1;
	for (int i = 0; i < SRC_MAPS && slot < 0; i++)
		if (!atomic_load(&src_maps[i].base))
			slot = i;
	if (slot >= 0 && !src_bus_installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = src_on_sigbus;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		src_page = (size_t)sysconf(_SC_PAGESIZE);
		src_bus_installed = src_page > 0 && sigaction(SIGBUS, &sa, &src_old_bus) == 0;
	}
	void *m = slot >= 0 && src_bus_installed ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, s->fd, 0)
						 : MAP_FAILED;
	if (m != MAP_FAILED) {
		(void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
		atomic_store(&src_maps[slot].len, (size_t)st.st_size);
		atomic_store(&src_maps[slot].shrunk, 0);
		atomic_store(&src_maps[slot].base, (uintptr_t)m);
	}
	pthread_mutex_unlock(&src_maps_mu);
	if (m == MAP_FAILED)
		return false;
	s->map = m;
	s->map_len = (size_t)st.st_size;
	s->map_slot = slot;
	s->mem = m;
	s->mem_len = s->map_len;
	s->mem_pos = 0;
	return true;
}

static bool src_map_shrunk(const struct capsrc *s)
{
	return s->map && atomic_load(&src_maps[s->map_slot].shrunk);
}

static void src_unmap(struct capsrc *s)
{
	if (!s->map)
		return;
	pthread_mutex_lock(&src_maps_mu);
	atomic_store(&src_maps[s->map_slot].base, 0);
	pthread_mutex_unlock(&src_maps_mu);
	munmap(s->map, s->map_len);
	s->map = NULL;
}

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

/* The block to fill next, waiting for room (the thread); NULL with *full set when the ring is full (the
 * synchronous reader: the consumer drains it first), NULL when the consumer went away or memory ran out.
 * Its buffer is allocated when the block will hold bytes of its own (not a view of the caller's). */
static struct block *next_block(struct capsrc *s, bool *full)
{
	bool view = s->mem && (!s->decided || atomic_load(&s->layer) == L_PLAIN);
	pthread_mutex_lock(&s->mu);
	while (!s->sync && s->head - s->tail >= SRC_SLOTS && !s->stop)
		pthread_cond_wait(&s->drained, &s->mu);
	*full = s->head - s->tail >= SRC_SLOTS && !s->stop;
	bool stop = s->stop || *full;
	struct block *b = &s->slots[s->head % SRC_SLOTS];
	pthread_mutex_unlock(&s->mu);
	if (stop)
		return NULL;
	if (!view && !b->data && !(b->data = malloc(SRC_BLOCK))) {
		reader_fail(s, -ENOMEM, "out of memory");
		return NULL;
	}
	b->view = b->data;
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

/* Hash and count n bytes just taken from the file. */
static long took(struct capsrc *s, const uint8_t *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(s->md, p, n) != 1)
		return -EIO;
	atomic_fetch_add(&s->file_bytes, (uint64_t)n);
	return (long)n;
}

/* After taking mapped bytes: false, with the reader failed, when the file was cut under them (their hash is
 * not the file's). */
static bool map_ok(struct capsrc *s)
{
	if (!src_map_shrunk(s))
		return true;
	reader_fail(s, -EIO, "the file shrank while it was read (cut to fewer than %zu bytes)", s->map_len);
	return false;
}

/* A block of the mapping both threads are done with (hashed, then consumed): its pages leave this process
 * (they stay in the page cache), so what the process holds is the blocks in flight, not the file. */
static void map_drop(struct capsrc *s, const struct block *b)
{
	uintptr_t m = (uintptr_t)s->map, v = (uintptr_t)b->view;
	if (s->map && b->len && v >= m && v - m < s->map_len)
		(void)madvise((void *)v, b->len, MADV_DONTNEED);
}

/* The mapping is all taken: what the file grew by since it was opened is read after it. */
static long map_end(struct capsrc *s)
{
	s->mem = NULL;
	return lseek(s->fd, (off_t)s->map_len, SEEK_SET) < 0 ? -errno : 0;
}

/* Up to n bytes of the file into dst (read(2), or from memory); returns the count, 0 at end of file, negative
 * errno. */
static long read_some(struct capsrc *s, uint8_t *dst, size_t n)
{
	if (s->map && s->mem && s->mem_pos == s->mem_len) {
		long e = map_end(s);
		if (e < 0)
			return e;
	}
	if (s->mem) {
		size_t k = s->mem_len - s->mem_pos < n ? s->mem_len - s->mem_pos : n;
		memcpy(dst, s->mem + s->mem_pos, k);
		s->mem_pos += k;
		if (!map_ok(s))
			return -EIO;
		return took(s, dst, k);
	}
	for (;;) {
		ssize_t r = read(s->fd, dst, n);
		if (r >= 0)
			return took(s, dst, (size_t)r);
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

/* Decode the pending compressed input into blocks, then (once the file ended) flush the decoder. R_MORE:
 * every byte taken, read more; R_FULL: the ring is full, call again after the consumer took a block. */
static enum step_result decode_pending(struct capsrc *s, enum layer l)
{
	for (;;) {
		bool finish = s->raw_off == s->raw_len;
		if (finish && !s->raw_eof)
			return R_MORE;
		bool full;
		struct block *b = next_block(s, &full);
		if (!b)
			return full ? R_FULL : R_DONE;
		size_t used, made;
		const char *why;
		enum step st = decode_step(s, l, s->raw + s->raw_off, s->raw_len - s->raw_off, b->data, SRC_BLOCK,
					   finish, &used, &made, &why);
		s->raw_off += used;
		b->len = made;
		if (made)
			publish(s);
		if (st == STEP_ERROR) {
			reader_fail(s, -EINVAL, "%s layer: corrupt data at compressed byte %llu (%s)", layer_names[l],
				    (unsigned long long)(s->raw_base + s->raw_off), why);
			return R_DONE;
		}
		if (finish) {
			if (made)
				continue; /* the decoder still holds output */
			if (st != STEP_END)
				reader_fail(s, -ENODATA,
					    "%s layer: the compressed stream ends early (file cut at byte %llu)",
					    layer_names[l], (unsigned long long)(s->raw_base + s->raw_len));
			return R_DONE;
		}
		if (made == SRC_BLOCK || s->raw_off == s->raw_len)
			continue; /* more output may be waiting; or all taken: read more (or flush at the end) */
		if (used == 0 && made == 0) {
			reader_fail(s, -EINVAL, "%s layer: the decoder stopped at compressed byte %llu", layer_names[l],
				    (unsigned long long)(s->raw_base + s->raw_off));
			return R_DONE;
		}
	}
}

static void read_fail(struct capsrc *s, long r)
{
	reader_fail(s, (int)r, "read error at byte %llu: %s", (unsigned long long)atomic_load(&s->file_bytes),
		    strerror((int)-r));
}

/* The first bytes decide the layer: read until a magic number can be told. */
static enum step_result reader_first(struct capsrc *s)
{
	bool full;
	struct block *b = next_block(s, &full);
	if (!b)
		return full ? R_FULL : R_DONE;
	long r = 1;
	if (s->mem) { /* the bytes are all here: look at them where they are */
		b->view = s->mem;
		b->len = s->mem_len < SRC_BLOCK ? s->mem_len : SRC_BLOCK;
		s->mem_pos = b->len;
		r = took(s, b->view, b->len);
		if (r >= 0 && !map_ok(s))
			return R_DONE;
		if (r >= 0 && s->mem_pos == s->mem_len && !s->map)
			r = 0;
	} else {
		while (b->len < SRC_MAGIC_BYTES && r > 0) {
			r = read_some(s, b->data + b->len, SRC_BLOCK - b->len);
			if (r > 0)
				b->len += (size_t)r;
		}
	}
	if (r < 0) {
		reader_fail(s, (int)r, "read error at byte %zu: %s", b->len, strerror((int)-r));
		return R_DONE;
	}
	enum layer l = detect(b->view, b->len);
	atomic_store(&s->layer, (int)l);
	s->decided = true;
	if (l == L_PLAIN) {
		if (b->len)
			publish(s);
		return r == 0 ? R_DONE : R_MORE;
	}
	if (!decoder_init(s, l) || !(s->raw = malloc(SRC_BLOCK))) {
		reader_fail(s, -ENOMEM, "%s layer: cannot start the decoder", layer_names[l]);
		return R_DONE;
	}
	/* the block's bytes are compressed input: decode them from the raw buffer */
	memcpy(s->raw, b->view, b->len);
	s->raw_len = b->len;
	s->raw_off = 0;
	s->raw_base = 0;
	s->raw_eof = r == 0;
	return decode_pending(s, l);
}

/* One step of the reader. */
static enum step_result reader_step(struct capsrc *s)
{
	if (!s->decided)
		return reader_first(s);
	enum layer l = (enum layer)atomic_load(&s->layer);
	if (l == L_PLAIN) {
		bool full;
		struct block *b = next_block(s, &full);
		if (!b)
			return full ? R_FULL : R_DONE;
		long r;
		if (s->map && s->mem && s->mem_pos == s->mem_len && (r = map_end(s)) < 0) {
			read_fail(s, r);
			return R_DONE;
		}
		if (s->mem) { /* a view of the caller's bytes or of the mapped file, not a copy */
			size_t k = s->mem_len - s->mem_pos < SRC_BLOCK ? s->mem_len - s->mem_pos : SRC_BLOCK;
			b->view = s->mem + s->mem_pos;
			s->mem_pos += k;
			r = took(s, b->view, k);
			if (r >= 0 && !map_ok(s))
				return R_DONE;
		} else {
			if (!b->data && !(b->data = malloc(SRC_BLOCK))) { /* was a view of the mapping */
				reader_fail(s, -ENOMEM, "out of memory");
				return R_DONE;
			}
			b->view = b->data;
			r = read_some(s, b->data, SRC_BLOCK);
		}
		if (r < 0) {
			read_fail(s, r);
			return R_DONE;
		}
		if (r == 0)
			return R_DONE;
		b->len = (size_t)r;
		publish(s);
		return R_MORE;
	}
	if (s->raw_off < s->raw_len || s->raw_eof)
		return decode_pending(s, l);
	long r = read_some(s, s->raw, SRC_BLOCK);
	if (r < 0) {
		read_fail(s, r);
		return R_DONE;
	}
	s->raw_base = atomic_load(&s->file_bytes) - (uint64_t)r;
	s->raw_len = (size_t)r;
	s->raw_off = 0;
	s->raw_eof = r == 0;
	return decode_pending(s, l);
}

/* The reader stopped: the hash is final, the consumer may see the end. */
static void reader_finish(struct capsrc *s)
{
	unsigned int mdlen = 0;
	bool ok = EVP_DigestFinal_ex(s->md, s->sha, &mdlen) == 1 && mdlen == 32;
	pthread_mutex_lock(&s->mu);
	s->sha_ok = ok && (!s->err || s->err == -ENODATA);
	s->done = true;
	pthread_cond_broadcast(&s->filled);
	pthread_mutex_unlock(&s->mu);
}

static void *reader_main(void *arg)
{
	struct capsrc *s = arg;
	while (reader_step(s) != R_DONE)
		; /* next_block waits for room: R_FULL is the synchronous reader's */
	reader_finish(s);
	return NULL;
}

/* The synchronous reader, on the consumer's thread: steps until a block is there or the input ended. Called
 * with mu held and the ring empty; returns with mu held. */
static void sync_fill(struct capsrc *s)
{
	while (s->tail == s->head && !s->done) {
		pthread_mutex_unlock(&s->mu);
		enum step_result r = reader_step(s);
		if (r == R_DONE)
			reader_finish(s);
		pthread_mutex_lock(&s->mu);
	}
}

/* ---- the consumer ---- */

static struct capsrc *src_new(const char *name)
{
	struct capsrc *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->filled, NULL);
	pthread_cond_init(&s->drained, NULL);
	s->md = EVP_MD_CTX_new();
	if (!s->md || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		capsrc_free(s);
		return NULL;
	}
	return s;
}

int capsrc_open(int fd, bool own_fd, const char *name, struct capsrc **ret)
{
	struct capsrc *s = src_new(name);
	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->own_fd = own_fd;
	src_map(s);
	if (pthread_create(&s->thread, NULL, reader_main, s) != 0) {
		s->own_fd = false; /* the caller still owns fd on failure */
		capsrc_free(s);
		return -EAGAIN;
	}
	s->started = true;
	*ret = s;
	return 0;
}

int capsrc_open_mem(const uint8_t *data, size_t len, const char *name, struct capsrc **ret)
{
	static const uint8_t empty[1];
	struct capsrc *s = src_new(name);
	if (!s)
		return -ENOMEM;
	s->mem = data ? data : empty;
	s->mem_len = data ? len : 0;
	s->sync = true;
	*ret = s;
	return 0;
}

/* Wait until a block is there or the reader is done (mu held). */
static void wait_filled(struct capsrc *s)
{
	if (s->sync)
		sync_fill(s);
	while (s->tail == s->head && !s->done)
		pthread_cond_wait(&s->filled, &s->mu);
}

long capsrc_acquire(struct capsrc *s, const uint8_t **ret, char *err, size_t errlen)
{
	pthread_mutex_lock(&s->mu);
	wait_filled(s);
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
	*ret = b->view;
	return (long)b->len;
}

void capsrc_release(struct capsrc *s)
{
	pthread_mutex_lock(&s->mu);
	if (s->tail != s->head) {
		map_drop(s, &s->slots[s->tail % SRC_SLOTS]);
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
		wait_filled(s);
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
		memcpy(dst + got, b->view + s->pos, k);
		got += k;
		s->pos += k;
		if (s->pos == b->len) {
			pthread_mutex_lock(&s->mu);
			map_drop(s, b);
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
	src_unmap(s);
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
