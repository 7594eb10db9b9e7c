/* capfile.c - bounded streaming reader of pcap and pcapng capture files.
 * specification: draft-ietf-opsawg-pcap (pcap), draft-ietf-opsawg-pcapng (pcapng).
 *
 * Design note: libpcap is not used for files. It rejects pcapng files whose
 * interfaces have different link types and does not tell where a file went bad.
 * The file's bytes come from capsrc.c, which reads them ahead on its own thread,
 * hashes them (SHA-256 of the file as given, so the report can name the exact
 * file that was analysed) and takes off a gzip, xz or zstd layer; nothing seeks,
 * so stdin works. They are copied into one buffer where a record is parsed in
 * place with struct br and handed out as a borrowed view until the next
 * capfile_next(). The buffer grows only to hold the largest record allowed
 * (CAP_MAX_PCAP_RECORD / CAP_MAX_BLOCK), so memory is bounded by the buffer plus
 * one record whatever the file says.
 */
#include "tlsaudit/capture.h"
#include "tlsaudit/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsrc.h"

#define CAP_BUF_SIZE	    (1u << 20)	  /* granule of the carry (made on the first record that spans blocks) */
#define CAP_MAX_PCAP_RECORD (262144u * 4) /* largest pcap caplen accepted */
#define CAP_MAX_BLOCK	    (16u << 20)	  /* largest pcapng block accepted */
#define CAP_MAX_IFACES	    65536u	  /* pcapng interfaces per section */
#define CAP_NAME_MAX	    512		  /* file name kept for messages */
#define CAP_LAYER_LOOKAHEAD (16u << 20)	  /* bytes read on after damage to see whether the layer failed */

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAPNG_SHB    0x0a0d0d0au
#define PCAPNG_BOM    0x1a2b3c4du
#define PCAPNG_IDB    0x00000001u
#define PCAPNG_PB     0x00000002u /* obsolete Packet Block */
#define PCAPNG_SPB    0x00000003u
#define PCAPNG_EPB    0x00000006u

#define NS_PER_S 1000000000

struct cap_iface {
	uint32_t linktype;
	uint32_t snaplen; /* 0: no limit */
	uint8_t tsresol;  /* if_tsresol as written: bit 7 set = 2^-n, else 10^-n */
	int64_t tsoffset; /* if_tsoffset, seconds */
};

struct capfile {
	struct capsrc *src;	 /* the file's bytes (owned) */
	char name[CAP_NAME_MAX]; /* for messages */
	/* Unread bytes: carry[start..end) (a record that spans blocks, copied), then blk[pos..len) (the source's
	 * block, parsed in place). */
	const uint8_t *blk; /* borrowed from src; NULL when none is held */
	size_t blk_len, blk_pos;
	uint8_t *buf; /* owned: the carry */
	size_t cap, start, end;
	uint64_t off;		    /* stream offset of the next unread byte (after the compression layer) */
	bool eof;		    /* the source has no more bytes */
	bool layer_cut;		    /* ... because the compressed stream ended early */
	char src_msg[CAP_NAME_MAX]; /* the source's message for an error or a cut layer */
	struct cap_info info;
	bool le; /* current pcap file / pcapng section is little-endian */
	uint32_t pcap_linktype;
	bool have_snaplen;
	struct cap_iface *ifaces; /* owned; interfaces of the current pcapng section */
	size_t n_ifaces, cap_ifaces;
	int64_t last_ts; /* for Simple Packet Blocks, which carry no time */
	bool done;	 /* a final status was returned: it is sticky */
	enum cap_status final;
	char final_msg[2 * CAP_NAME_MAX + 200];
};

#if defined(__GNUC__)
#define CAP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CAP_PRINTF(a, b)
#endif

/* "NAME: message" into err (one line) */
CAP_PRINTF(4, 5)
static void cap_msg(const struct capfile *cf, char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	int n = snprintf(err, errlen, "%s: ", cf->name);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Take the next block from the source; false at its end (or on an error, in *rc). */
static bool cap_next_block(struct capfile *cf, int *rc)
{
	if (cf->blk)
		capsrc_release(cf->src);
	cf->blk = NULL;
	cf->blk_len = cf->blk_pos = 0;
	if (cf->eof)
		return false;
	const uint8_t *b;
	long n = capsrc_acquire(cf->src, &b, cf->src_msg, sizeof(cf->src_msg));
	if (n == -ENODATA) { /* a compression layer cut short: what came before it is still read */
		cf->eof = true;
		cf->layer_cut = true;
		return false;
	}
	if (n < 0) {
		*rc = (int)n;
		return false;
	}
	if (n == 0) {
		cf->eof = true;
		return false;
	}
	cf->blk = b;
	cf->blk_len = (size_t)n;
	return true;
}

/* Make up to need bytes available contiguously at cap_view(). Sets *ret_avail to what is there (less than need
 * only at end of file). Bytes inside one block are not copied. Returns 0 or a negative errno. */
static int cap_fill(struct capfile *cf, size_t need, size_t *ret_avail)
{
	int rc = 0;
	if (cf->start == cf->end) {
		while (cf->blk_pos == cf->blk_len && cap_next_block(cf, &rc))
			;
		if (rc < 0)
			return rc;
		if (cf->blk_len - cf->blk_pos >= need || cf->eof) {
			size_t have = cf->blk_len - cf->blk_pos;
			*ret_avail = have < need ? have : need;
			return 0;
		}
	}
	/* the bytes span blocks: gather them in the carry */
	if (cf->start > 0 && need > cf->cap - cf->start) {
		memmove(cf->buf, cf->buf + cf->start, cf->end - cf->start);
		cf->end -= cf->start;
		cf->start = 0;
	}
	if (need > cf->cap) {
		size_t ncap = (need + CAP_BUF_SIZE - 1) / CAP_BUF_SIZE * CAP_BUF_SIZE;
		uint8_t *nb = realloc(cf->buf, ncap);
		if (!nb)
			return -ENOMEM;
		cf->buf = nb;
		cf->cap = ncap;
	}
	while (cf->end - cf->start < need) {
		if (cf->blk_pos == cf->blk_len && !cap_next_block(cf, &rc))
			break;
		size_t k = need - (cf->end - cf->start);
		if (k > cf->blk_len - cf->blk_pos)
			k = cf->blk_len - cf->blk_pos;
		memcpy(cf->buf + cf->end, cf->blk + cf->blk_pos, k);
		cf->end += k;
		cf->blk_pos += k;
	}
	if (rc < 0)
		return rc;
	size_t have = cf->end - cf->start;
	*ret_avail = have < need ? have : need;
	return 0;
}

/* The first unread byte (valid for what cap_fill() made available). */
static const uint8_t *cap_view(const struct capfile *cf)
{
	return cf->start < cf->end ? cf->buf + cf->start : cf->blk ? cf->blk + cf->blk_pos : cf->buf;
}

static void cap_consume(struct capfile *cf, size_t n)
{
	if (cf->start < cf->end) {
		cf->start += n; /* n never passes end: it was made available */
		if (cf->start == cf->end)
			cf->start = cf->end = 0;
	} else {
		cf->blk_pos += n;
	}
	cf->off += n;
	cf->info.bytes_read = cf->off;
}

/* inline: on a reader of known length (a record header) the compiler folds the bounds checks away */
static inline uint16_t cap_u16(const struct capfile *cf, struct br *r)
{
	return cf->le ? br_le16(r) : br_u16(r);
}
static inline uint32_t cap_u32(const struct capfile *cf, struct br *r)
{
	return cf->le ? br_le32(r) : br_u32(r);
}

static uint64_t cap_u64(const struct capfile *cf, struct br *r)
{
	uint64_t a = cap_u32(cf, r), b = cap_u32(cf, r);
	return cf->le ? (b << 32) | a : (a << 32) | b;
}

static void cap_add_linktype(struct capfile *cf, uint32_t linktype)
{
	for (uint32_t i = 0; i < cf->info.n_linktypes; i++)
		if (cf->info.linktypes[i] == linktype)
			return;
	if (cf->info.n_linktypes < sizeof(cf->info.linktypes) / sizeof(cf->info.linktypes[0]))
		cf->info.linktypes[cf->info.n_linktypes++] = linktype;
}

/* A final status: sticky, message kept for repeated calls, hash finished at EOF/CUT
 * (every byte of the file has been read by then). */
static enum cap_status cap_finish(struct capfile *cf, enum cap_status st, const char *msg, char *err, size_t errlen)
{
	cf->done = true;
	cf->final = st;
	snprintf(cf->final_msg, sizeof(cf->final_msg), "%s", msg);
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	if (st == CAP_EOF || st == CAP_CUT) {
		uint64_t n = 0;
		cf->info.sha256_valid = capsrc_sha256(cf->src, cf->info.sha256, &n);
		cf->info.bytes_read = n;
	}
	return st;
}

CAP_PRINTF(3, 4)
static enum cap_status cap_fail(struct capfile *cf, enum cap_status st, const char *fmt, ...)
{
	char msg[sizeof(cf->final_msg)];
	int n = snprintf(msg, sizeof(msg), "%s: ", cf->name);
	if (n > 0 && (size_t)n < sizeof(msg)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	cf->done = true;
	cf->final = st;
	snprintf(cf->final_msg, sizeof(cf->final_msg), "%s", msg);
	return st;
}

static enum cap_status cap_io_fail(struct capfile *cf, int rc)
{
	if (cf->src_msg[0])
		return cap_fail(cf, CAP_BAD, "%s", cf->src_msg);
	return cap_fail(cf, CAP_BAD, "read error at offset %llu: %s", (unsigned long long)cf->off, strerror(-rc));
}

static enum cap_status cap_cut(struct capfile *cf, const char *what, size_t have, uint64_t want)
{
	return cap_fail(cf, CAP_CUT, "file ends inside %s at offset %llu (%zu of %llu bytes present)", what,
			(unsigned long long)cf->off, have, (unsigned long long)want);
}

/* ---- pcap ---------------------------------------------------------------------- */

/* draft-ietf-opsawg-pcap section 4, File Header (24 bytes):
 *  | Magic Number | Major | Minor | Reserved1 | Reserved2 | SnapLen | FCS/LinkType | */
static enum cap_status cap_pcap_header(struct capfile *cf)
{
	size_t have;
	int rc = cap_fill(cf, 24, &have);
	if (rc < 0)
		return cap_io_fail(cf, rc);
	if (have < 24)
		return cap_fail(cf, CAP_CUT, "file ends inside the pcap file header (%zu of 24 bytes present)", have);
	struct br r = br_make(cap_view(cf), 24);
	uint32_t magic = br_u32(&r);
	cf->le = (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u);
	cf->info.nanosecond = (magic == PCAP_MAGIC_NS || magic == 0x4d3cb2a1u);
	uint16_t major = cap_u16(cf, &r);
	uint16_t minor = cap_u16(cf, &r);
	br_skip(&r, 8);
	uint32_t snaplen = cap_u32(cf, &r);
	uint32_t link = cap_u32(cf, &r);
	if (major != 2)
		return cap_fail(cf, CAP_BAD, "unsupported pcap version %u.%u", major, minor);
	cf->info.format = CAP_PCAP;
	cf->info.snaplen = snaplen;
	/* bits 26-31 carry the FCS length and its flag (section 4); libpcap's LT_LINKTYPE() */
	cf->pcap_linktype = link & 0x03ffffffu;
	cap_add_linktype(cf, cf->pcap_linktype);
	cap_consume(cf, 24);
	return CAP_OK;
}

/* section 5, Packet Record: | Timestamp (s) | Timestamp (us or ns) | Captured Len | Original Len | data */
static enum cap_status cap_pcap_next(struct capfile *cf, struct cap_frame *fr)
{
	size_t have;
	int rc = cap_fill(cf, 16, &have);
	if (rc < 0)
		return cap_io_fail(cf, rc);
	if (have == 0)
		return CAP_EOF;
	if (have < 16)
		return cap_cut(cf, "a packet record", have, 16);
	struct br r = br_make(cap_view(cf), 16);
	uint32_t sec = cap_u32(cf, &r);
	uint32_t frac = cap_u32(cf, &r);
	uint32_t caplen = cap_u32(cf, &r);
	uint32_t wire = cap_u32(cf, &r);
	if (caplen > CAP_MAX_PCAP_RECORD)
		return cap_fail(cf, CAP_BAD, "record at offset %llu claims %u bytes", (unsigned long long)cf->off,
				caplen);
	rc = cap_fill(cf, 16 + (size_t)caplen, &have);
	if (rc < 0)
		return cap_io_fail(cf, rc);
	if (have < 16 + (size_t)caplen)
		return cap_cut(cf, "a packet record", have, 16 + (uint64_t)caplen);

	r = br_make(cap_view(cf) + 16, caplen);
	fr->ts_ns = (int64_t)sec * NS_PER_S + (int64_t)frac * (cf->info.nanosecond ? 1 : 1000);
	fr->linktype = cf->pcap_linktype;
	fr->ifindex = 0;
	fr->data = br_ptr(&r, caplen);
	fr->caplen = caplen;
	fr->wire_len = wire < caplen ? caplen : wire;
	fr->offset = cf->off;
	cap_consume(cf, 16 + (size_t)caplen);
	/* the next record's header and first bytes: fetched while this frame is analysed (a hint; the address
	 * may lie past the block, prefetching it cannot fault) */
	__builtin_prefetch(cap_view(cf));
	__builtin_prefetch(cap_view(cf) + 64);
	return CAP_OK;
}

/* ---- pcapng -------------------------------------------------------------------- */

static uint64_t cap_pow10(unsigned n)
{
	uint64_t v = 1;
	while (n--)
		v *= 10;
	return v;
}

/* units of if_tsresol since the epoch, plus if_tsoffset seconds -> ns, saturating at
 * the int64 range (year 2262) instead of overflowing */
static int64_t cap_ng_ts(uint64_t units, uint8_t tsresol, int64_t offset_s)
{
	unsigned n = tsresol & 0x7f;
	uint64_t sec, frac_ns;
	if (tsresol & 0x80) {
		if (n == 0) {
			sec = units;
			frac_ns = 0;
		} else {
			sec = units >> n;
			uint64_t frac = units & ((UINT64_C(1) << n) - 1);
			if (n > 32) {
				frac >>= n - 32; /* below 2^-32 s there is nothing left at ns precision */
				n = 32;
			}
			frac_ns = (frac * NS_PER_S) >> n;
		}
	} else {
		uint64_t div = cap_pow10(n);
		sec = units / div;
		uint64_t frac = units % div;
		frac_ns = n <= 9 ? frac * cap_pow10(9 - n) : frac / cap_pow10(n - 9);
	}
	const int64_t max_s = INT64_MAX / NS_PER_S;
	int64_t s = sec > (uint64_t)max_s ? max_s : (int64_t)sec;
	if (offset_s > 0)
		s = s > max_s - offset_s ? max_s : s + offset_s;
	else if (offset_s < 0)
		s = s < -max_s - offset_s ? -max_s : s + offset_s;
	if (s >= max_s)
		return INT64_MAX;
	return s * NS_PER_S + (int64_t)frac_ns;
}

/* Section Header Block body (the byte-order magic was read by the caller):
 *  | Major Version | Minor Version | Section Length (64) | Options | */
static enum cap_status cap_ng_shb(struct capfile *cf, struct br *body, uint64_t boff)
{
	br_skip(body, 4);
	uint16_t major = cap_u16(cf, body);
	uint16_t minor = cap_u16(cf, body);
	(void)cap_u64(cf, body); /* section length: may be -1, not needed when streaming */
	if (!br_ok(body))
		return cap_fail(cf, CAP_BAD, "section header block at offset %llu is too short",
				(unsigned long long)boff);
	if (major != 1)
		return cap_fail(cf, CAP_BAD, "section header block at offset %llu has unsupported version %u.%u",
				(unsigned long long)boff, major, minor);
	cf->n_ifaces = 0; /* interface ids are per section */
	return CAP_OK;
}

/* Interface Description Block:
 *  | LinkType (16) | Reserved (16) | SnapLen (32) | Options: if_tsresol (9), if_tsoffset (14) | */
static enum cap_status cap_ng_idb(struct capfile *cf, struct br *body, uint64_t boff)
{
	struct cap_iface ifc = {.tsresol = 6, .tsoffset = 0};
	ifc.linktype = cap_u16(cf, body);
	br_skip(body, 2);
	ifc.snaplen = cap_u32(cf, body);
	if (!br_ok(body))
		return cap_fail(cf, CAP_BAD, "interface description block at offset %llu is too short",
				(unsigned long long)boff);
	/* options: code(16) length(16) value padded to 32 bits; a broken trailing option
	 * list is ignored (the packets stay readable) */
	while (br_left(body) >= 4) {
		uint16_t code = cap_u16(cf, body);
		uint16_t olen = cap_u16(cf, body);
		if (code == 0)
			break;
		struct br v = br_sub(body, olen);
		br_skip(body, (4 - (olen & 3)) & 3);
		if (!br_ok(body))
			break;
		if (code == 9 && olen == 1)
			ifc.tsresol = br_u8(&v);
		else if (code == 14 && olen == 8)
			ifc.tsoffset = (int64_t)cap_u64(cf, &v);
	}
	unsigned n = ifc.tsresol & 0x7f;
	if ((ifc.tsresol & 0x80) ? n > 63 : n > 19)
		return cap_fail(cf, CAP_BAD,
				"interface description block at offset %llu has unusable if_tsresol 0x%02x",
				(unsigned long long)boff, ifc.tsresol);
	if (cf->n_ifaces >= CAP_MAX_IFACES)
		return cap_fail(cf, CAP_BAD, "interface description block at offset %llu: more than %u interfaces",
				(unsigned long long)boff, CAP_MAX_IFACES);
	if (cf->n_ifaces == cf->cap_ifaces) {
		size_t ncap = cf->cap_ifaces ? cf->cap_ifaces * 2 : 8;
		struct cap_iface *ni = realloc(cf->ifaces, ncap * sizeof(*ni));
		if (!ni)
			return cap_fail(cf, CAP_BAD, "out of memory");
		cf->ifaces = ni;
		cf->cap_ifaces = ncap;
	}
	cf->ifaces[cf->n_ifaces++] = ifc;
	cap_add_linktype(cf, ifc.linktype);
	if (!cf->have_snaplen) {
		cf->info.snaplen = ifc.snaplen;
		cf->have_snaplen = true;
	}
	return CAP_OK;
}

static enum cap_status cap_ng_bad_iface(struct capfile *cf, uint64_t boff, uint32_t id)
{
	return cap_fail(cf, CAP_BAD, "block at offset %llu references interface %u but the section defines %zu",
			(unsigned long long)boff, id, cf->n_ifaces);
}

/* Enhanced Packet Block:
 *  | Interface ID | Timestamp (High) | Timestamp (Low) | Captured Len | Original Len | data | options |
 * obsolete Packet Block: | Interface ID (16) | Drops (16) | the same from Timestamp on |
 * Simple Packet Block: | Original Len | data | (interface 0, no timestamp) */
static enum cap_status cap_ng_packet(struct capfile *cf, uint32_t type, struct br *body, uint64_t boff,
				     struct cap_frame *fr)
{
	uint32_t id, caplen, wire;
	int64_t ts;
	if (type == PCAPNG_SPB) {
		wire = cap_u32(cf, body);
		if (!br_ok(body))
			return cap_fail(cf, CAP_BAD, "simple packet block at offset %llu is too short",
					(unsigned long long)boff);
		if (cf->n_ifaces == 0)
			return cap_ng_bad_iface(cf, boff, 0);
		id = 0;
		size_t left = br_left(body);
		caplen = wire < left ? wire : (uint32_t)left;
		if (cf->ifaces[0].snaplen && caplen > cf->ifaces[0].snaplen)
			caplen = cf->ifaces[0].snaplen;
		ts = cf->last_ts;
	} else {
		if (type == PCAPNG_EPB) {
			id = cap_u32(cf, body);
		} else {
			id = cap_u16(cf, body);
			br_skip(body, 2);
		}
		uint32_t hi = cap_u32(cf, body);
		uint32_t lo = cap_u32(cf, body);
		caplen = cap_u32(cf, body);
		wire = cap_u32(cf, body);
		if (!br_ok(body))
			return cap_fail(cf, CAP_BAD, "packet block at offset %llu is too short",
					(unsigned long long)boff);
		if (id >= cf->n_ifaces)
			return cap_ng_bad_iface(cf, boff, id);
		if (caplen > br_left(body))
			return cap_fail(cf, CAP_BAD, "packet block at offset %llu claims %u bytes but holds %zu",
					(unsigned long long)boff, caplen, br_left(body));
		const struct cap_iface *ifc = &cf->ifaces[id];
		ts = cap_ng_ts(((uint64_t)hi << 32) | lo, ifc->tsresol, ifc->tsoffset);
		cf->last_ts = ts;
	}
	fr->ts_ns = ts;
	fr->linktype = cf->ifaces[id].linktype;
	fr->ifindex = id;
	fr->data = br_ptr(body, caplen);
	fr->caplen = caplen;
	fr->wire_len = wire < caplen ? caplen : wire;
	fr->offset = boff;
	return CAP_OK;
}

/* One block: | Block Type | Block Total Length | Body | Block Total Length |.
 * *ret_frame is set when the block was a packet. */
static enum cap_status cap_ng_block(struct capfile *cf, struct cap_frame *fr, bool *ret_frame)
{
	size_t have;
	uint64_t boff = cf->off;
	*ret_frame = false;
	int rc = cap_fill(cf, 12, &have);
	if (rc < 0)
		return cap_io_fail(cf, rc);
	if (have == 0)
		return CAP_EOF;
	struct br r = br_make(cap_view(cf), have);
	uint32_t type = br_u32(&r); /* SHB type is a palindrome; others re-read below */
	if (type == PCAPNG_SHB) {
		if (have < 12)
			return cap_cut(cf, "a pcapng block", have, 12);
		br_skip(&r, 4);
		uint32_t bom = br_u32(&r);
		if (bom == PCAPNG_BOM)
			cf->le = false;
		else if (bom == 0x4d3c2b1au)
			cf->le = true;
		else
			return cap_fail(cf, CAP_BAD,
					"section header block at offset %llu has bad byte-order magic 0x%08x",
					(unsigned long long)boff, bom);
	}
	if (have < 8)
		return cap_cut(cf, "a pcapng block", have, 8);
	r = br_make(cap_view(cf), 8);
	type = cap_u32(cf, &r);
	uint32_t len = cap_u32(cf, &r);
	if (len < 12 || len % 4 != 0)
		return cap_fail(cf, CAP_BAD, "block at offset %llu has invalid length %u", (unsigned long long)boff,
				len);
	if (len > CAP_MAX_BLOCK)
		return cap_fail(cf, CAP_BAD, "block at offset %llu claims %u bytes", (unsigned long long)boff, len);
	rc = cap_fill(cf, len, &have);
	if (rc < 0)
		return cap_io_fail(cf, rc);
	bool is_packet = type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_PB;
	if (have < len)
		return cap_cut(cf, is_packet ? "a packet record" : "a pcapng block", have, len);
	r = br_make(cap_view(cf), len);
	br_skip(&r, 8);
	struct br body = br_sub(&r, len - 12);
	uint32_t trailer = cap_u32(cf, &r);
	if (trailer != len)
		return cap_fail(cf, CAP_BAD, "block at offset %llu: trailing length %u differs from %u",
				(unsigned long long)boff, trailer, len);

	enum cap_status st = CAP_OK;
	switch (type) {
	case PCAPNG_SHB: st = cap_ng_shb(cf, &body, boff); break;
	case PCAPNG_IDB: st = cap_ng_idb(cf, &body, boff); break;
	case PCAPNG_EPB:
	case PCAPNG_SPB:
	case PCAPNG_PB:
		st = cap_ng_packet(cf, type, &body, boff, fr);
		*ret_frame = st == CAP_OK;
		break;
	default: /* NRB, ISB, DSB, custom, ...: nothing tlsaudit needs */ cf->info.skipped_blocks++; break;
	}
	if (st == CAP_OK)
		cap_consume(cf, len);
	return st;
}

static enum cap_status cap_ng_next(struct capfile *cf, struct cap_frame *fr)
{
	for (;;) {
		bool got = false;
		enum cap_status st = cap_ng_block(cf, fr, &got);
		if (st != CAP_OK || got)
			return st;
	}
}

/* ---- public -------------------------------------------------------------------- */

static struct capfile *cf_new(const char *name, char *err, size_t errlen)
{
	struct capfile *cf = calloc(1, sizeof(*cf));
	if (!cf) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(cf->name, sizeof(cf->name), "%s", name);
	return cf;
}

static int cf_start(struct capfile *cf, struct capfile **ret, char *err, size_t errlen);

int capfile_open(const char *path, struct capfile **ret, char *err, size_t errlen)
{
	bool use_stdin = strcmp(path, "-") == 0;
	struct capfile *cf = cf_new(use_stdin ? "stdin" : path, err, errlen);
	if (!cf)
		return -ENOMEM;
	int rc = 0;
	int fd = STDIN_FILENO;
	if (!use_stdin) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			cap_msg(cf, err, errlen, "%s", strerror(-rc));
			capfile_free(cf);
			return rc;
		}
	}
	rc = capsrc_open(fd, !use_stdin, cf->name, &cf->src);
	if (rc < 0) {
		if (!use_stdin)
			close(fd);
		cap_msg(cf, err, errlen, "cannot start the reader: %s", strerror(-rc));
		capfile_free(cf);
		return rc;
	}
	return cf_start(cf, ret, err, errlen);
}

int capfile_open_mem(const uint8_t *data, size_t len, const char *name, struct capfile **ret, char *err, size_t errlen)
{
	struct capfile *cf = cf_new(name, err, errlen);
	if (!cf)
		return -ENOMEM;
	int rc = capsrc_open_mem(data, len, cf->name, &cf->src);
	if (rc < 0) {
		cap_msg(cf, err, errlen, "cannot start the reader: %s", strerror(-rc));
		capfile_free(cf);
		return rc;
	}
	return cf_start(cf, ret, err, errlen);
}

/* The source is open: read the file header (pcap) or the first section header (pcapng). */
static int cf_start(struct capfile *cf, struct capfile **ret, char *err, size_t errlen)
{
	int rc;
	size_t have;
	rc = cap_fill(cf, 4, &have);
	if (rc < 0) {
		if (cf->src_msg[0])
			cap_msg(cf, err, errlen, "%s", cf->src_msg);
		else
			cap_msg(cf, err, errlen, "%s", strerror(-rc));
		goto fail;
	}
	const char *layer = capsrc_layer(cf->src);
	if (layer)
		snprintf(cf->info.compression, sizeof(cf->info.compression), "%s", layer);
	rc = -EINVAL;
	if (have == 0) {
		cap_msg(cf, err, errlen, layer ? "%s layer holds no data" : "empty file", layer);
		goto fail;
	}
	if (have < 4) {
		cap_msg(cf, err, errlen, "not a pcap or pcapng capture (only %zu bytes%s%s)", have,
			layer ? " inside the " : "", layer ? layer : "");
		goto fail;
	}
	struct br r = br_make(cap_view(cf), 4);
	uint32_t magic = br_u32(&r);
	enum cap_status st;
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS || magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
		st = cap_pcap_header(cf);
	} else if (magic == PCAPNG_SHB) {
		struct cap_frame unused;
		bool got;
		cf->info.format = CAP_PCAPNG;
		st = cap_ng_block(cf, &unused, &got);
		if (st == CAP_EOF)
			st = CAP_OK;
	} else {
		cap_msg(cf, err, errlen, "not a pcap or pcapng capture (%s0x%08x)",
			layer ? (strcmp(layer, "gzip") == 0 ? "the gzip layer holds "
				 : strcmp(layer, "xz") == 0 ? "the xz layer holds "
							    : "the zstd layer holds ")
			      : "starts with ",
			magic);
		goto fail;
	}
	if (st != CAP_OK) {
		if (err && errlen)
			snprintf(err, errlen, "%s", cf->final_msg);
		goto fail;
	}
	*ret = cf;
	return 0;
fail:
	capfile_free(cf);
	return rc;
}

enum cap_status capfile_next(struct capfile *cf, struct cap_frame *fr, char *err, size_t errlen)
{
	if (cf->done) {
		if (cf->final != CAP_EOF && err && errlen)
			snprintf(err, errlen, "%s", cf->final_msg);
		return cf->final;
	}
	enum cap_status st = cf->info.format == CAP_PCAP ? cap_pcap_next(cf, fr) : cap_ng_next(cf, fr);
	if (st == CAP_OK)
		return CAP_OK;
	if (st == CAP_EOF && cf->layer_cut) /* every record complete, but the compressed stream was cut */
		return cap_finish(cf, CAP_CUT, cf->src_msg, err, errlen);
	if (st == CAP_EOF)
		return cap_finish(cf, CAP_EOF, "", err, errlen);
	/* cap_fail() stored the message; CUT also completes the hash (the file was read to its end) */
	char msg[sizeof(cf->final_msg)];
	snprintf(msg, sizeof(msg), "%s", cf->final_msg);
	if (st == CAP_CUT && cf->layer_cut) { /* say why the stream ended */
		size_t used = strnlen(msg, sizeof(msg));
		snprintf(msg + used, sizeof(msg) - used, " of the decompressed stream (%s)", cf->src_msg);
	}
	if (st == CAP_CUT)
		return cap_finish(cf, CAP_CUT, msg, err, errlen);
	/* damage inside a compressed layer is often the layer's own, found a little further on (deflate and xz
	 * check their data at the end of a block): name it when so */
	char layer_msg[CAP_NAME_MAX];
	if (cf->blk) { /* the source is read on below */
		capsrc_release(cf->src);
		cf->blk = NULL;
		cf->blk_len = cf->blk_pos = 0;
	}
	if (cf->info.compression[0] && capsrc_layer_error(cf->src, CAP_LAYER_LOOKAHEAD, layer_msg, sizeof(layer_msg))) {
		snprintf(cf->final_msg, sizeof(cf->final_msg), "%s: %s (the capture inside read as damaged before it)",
			 cf->name, layer_msg);
		snprintf(msg, sizeof(msg), "%s", cf->final_msg);
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return st;
}

const struct cap_info *capfile_info(const struct capfile *cf)
{
	return &cf->info;
}

uint64_t capfile_file_bytes(const struct capfile *cf)
{
	return capsrc_file_bytes(cf->src);
}

void capfile_free(struct capfile *cf)
{
	if (!cf)
		return;
	capsrc_free(cf->src);
	free(cf->ifaces);
	free(cf->buf);
	free(cf);
}
