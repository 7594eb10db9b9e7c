/* pcapng_write.c - a bounded pcapng writer for evidence files (SHB, one IDB per link type, EPB).
 * specification: draft-ietf-opsawg-pcapng sections 4.1 (SHB), 4.2 (IDB), 4.3 (EPB), 3.5 (options).
 *
 * Design note. libpcap's dumper writes one link type per file; a capture on
 * several interfaces (or a replay of a pcapng) needs one interface per link
 * type, so the blocks are written here. Blocks are in host byte order (the
 * SHB's byte-order magic tells readers which), timestamps in nanoseconds
 * (if_tsresol = 9). The file has a size bound: past it packets are counted,
 * not written, so a sensor cannot fill its disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlsaudit/capture.h"

#define PCAPNG_MAX_IFACES 16
#define PCAPNG_SNAPLEN	  262144u /* largest packet written (longer ones are cut, orig_len kept) */

enum { BT_SHB = 0x0A0D0D0A, BT_IDB = 0x00000001, BT_EPB = 0x00000006 };
enum { OPT_ENDOFOPT = 0, OPT_SHB_USERAPPL = 4, OPT_IF_TSRESOL = 9 };

struct pcapng_writer {
	char *path; /* owned copy */
	FILE *fp;
	uint64_t max_bytes;		       /* 0 = unbounded */
	uint64_t written;		       /* bytes of the current file */
	uint64_t skipped;		       /* packets not written (size bound, too many link types) */
	uint32_t linktypes[PCAPNG_MAX_IFACES]; /* interface id = index */
	uint32_t n_ifaces;
};

static void set_err(char *err, size_t errlen, const char *what, const char *path, int e)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s: %s", path, what, strerror(e));
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int put(struct pcapng_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->fp) != n)
		return -EIO;
	w->written += n;
	return 0;
}

static int put_u32(struct pcapng_writer *w, uint32_t v)
{
	return put(w, &v, 4);
}

static int put_padded(struct pcapng_writer *w, const void *p, size_t n)
{
	static const uint8_t zero[4];
	int r = put(w, p, n);
	return r < 0 ? r : put(w, zero, pad4(n) - n);
}

static int put_opt(struct pcapng_writer *w, uint16_t code, const void *val, uint16_t len)
{
	uint16_t h[2] = {code, len};
	int r = put(w, h, sizeof(h));
	return r < 0 ? r : put_padded(w, val, len);
}

static int write_shb(struct pcapng_writer *w)
{
	static const char appl[] = "tlsaudit capture (handshake evidence)";
	uint32_t len = 28 + 4 + (uint32_t)pad4(sizeof(appl) - 1) + 4;
	uint16_t ver[2] = {1, 0};
	int64_t section_len = -1; /* unknown: the file grows */
	int r = 0;

	r |= put_u32(w, BT_SHB);
	r |= put_u32(w, len);
	r |= put_u32(w, 0x1A2B3C4D);
	r |= put(w, ver, sizeof(ver));
	r |= put(w, &section_len, sizeof(section_len));
	r |= put_opt(w, OPT_SHB_USERAPPL, appl, (uint16_t)(sizeof(appl) - 1));
	r |= put_opt(w, OPT_ENDOFOPT, NULL, 0);
	r |= put_u32(w, len);
	return r ? -EIO : 0;
}

static int write_idb(struct pcapng_writer *w, uint32_t linktype)
{
	uint32_t len = 20 + 8 + 4;
	uint16_t lt[2] = {(uint16_t)linktype, 0};
	uint8_t tsresol = 9; /* 10^-9 s */
	int r = 0;

	r |= put_u32(w, BT_IDB);
	r |= put_u32(w, len);
	r |= put(w, lt, sizeof(lt));
	r |= put_u32(w, PCAPNG_SNAPLEN);
	r |= put_opt(w, OPT_IF_TSRESOL, &tsresol, 1);
	r |= put_opt(w, OPT_ENDOFOPT, NULL, 0);
	r |= put_u32(w, len);
	return r ? -EIO : 0;
}

static int open_file(struct pcapng_writer *w, char *err, size_t errlen)
{
	int fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640); /* a link is refused */
	if (fd < 0) {
		int e = errno;
		set_err(err, errlen, "cannot create evidence file", w->path, e);
		return -e;
	}
	w->fp = fdopen(fd, "wb");
	if (!w->fp) {
		int e = errno;
		close(fd);
		set_err(err, errlen, "cannot create evidence file", w->path, e);
		return -e;
	}
	w->written = 0;
	w->n_ifaces = 0;
	if (write_shb(w) < 0) {
		set_err(err, errlen, "write", w->path, EIO);
		return -EIO;
	}
	return 0;
}

int pcapng_writer_open(const char *path, uint64_t max_bytes, struct pcapng_writer **ret, char *err, size_t errlen)
{
	struct pcapng_writer *w = calloc(1, sizeof(*w));
	int r;

	if (!w || !(w->path = strdup(path))) {
		free(w);
		set_err(err, errlen, "evidence file", path, ENOMEM);
		return -ENOMEM;
	}
	w->max_bytes = max_bytes;
	if ((r = open_file(w, err, errlen)) < 0) {
		pcapng_writer_close(w, NULL, 0);
		return r;
	}
	*ret = w;
	return 0;
}

/* Interface id of the link type, describing it first if new; -1 when the table is full. */
static int64_t iface_for(struct pcapng_writer *w, uint32_t linktype, int *ret_err)
{
	for (uint32_t i = 0; i < w->n_ifaces; i++)
		if (w->linktypes[i] == linktype)
			return i;
	if (w->n_ifaces >= PCAPNG_MAX_IFACES)
		return -1;
	if (write_idb(w, linktype) < 0) {
		*ret_err = -EIO;
		return -1;
	}
	w->linktypes[w->n_ifaces] = linktype;
	return w->n_ifaces++;
}

int pcapng_writer_packet(struct pcapng_writer *w, const struct cap_frame *fr, char *err, size_t errlen)
{
	size_t caplen = fr->caplen < PCAPNG_SNAPLEN ? fr->caplen : PCAPNG_SNAPLEN;
	uint32_t len = (uint32_t)(28 + pad4(caplen) + 4);
	uint64_t ts = fr->ts_ns < 0 ? 0 : (uint64_t)fr->ts_ns;
	uint32_t orig = fr->wire_len > UINT32_MAX ? UINT32_MAX : (uint32_t)fr->wire_len;
	int e = 0, r = 0;
	int64_t id;

	if (!w->fp || (w->max_bytes && w->written + len + 64 > w->max_bytes)) {
		w->skipped++;
		return 1;
	}
	id = iface_for(w, fr->linktype, &e);
	if (id < 0) {
		if (e) {
			set_err(err, errlen, "write", w->path, EIO);
			return e;
		}
		w->skipped++;
		return 1;
	}
	r |= put_u32(w, BT_EPB);
	r |= put_u32(w, len);
	r |= put_u32(w, (uint32_t)id);
	r |= put_u32(w, (uint32_t)(ts >> 32));
	r |= put_u32(w, (uint32_t)ts);
	r |= put_u32(w, (uint32_t)caplen);
	r |= put_u32(w, orig < caplen ? (uint32_t)caplen : orig);
	r |= put_padded(w, fr->data, caplen);
	r |= put_u32(w, len);
	if (r) {
		set_err(err, errlen, "write", w->path, EIO);
		return -EIO;
	}
	return 0;
}

int pcapng_writer_flush(struct pcapng_writer *w, char *err, size_t errlen)
{
	if (w->fp && fflush(w->fp) != 0) {
		int e = errno ? errno : EIO;
		set_err(err, errlen, "write", w->path, e);
		return -e;
	}
	return 0;
}

int pcapng_writer_reopen(struct pcapng_writer *w, char *err, size_t errlen)
{
	int r = 0;

	if (w->fp) {
		if (fclose(w->fp) != 0) {
			r = -(errno ? errno : EIO);
			set_err(err, errlen, "close", w->path, -r);
		}
		w->fp = NULL;
	}
	int r2 = open_file(w, err, errlen);
	return r2 < 0 ? r2 : r;
}

uint64_t pcapng_writer_skipped(const struct pcapng_writer *w)
{
	return w->skipped;
}

int pcapng_writer_close(struct pcapng_writer *w, char *err, size_t errlen)
{
	int r = 0;

	if (!w)
		return 0;
	if (w->fp && fclose(w->fp) != 0) {
		r = -(errno ? errno : EIO);
		set_err(err, errlen, "close", w->path, -r);
	}
	free(w->path);
	free(w);
	return r;
}
