/* capture.h - capture sources: pcap/pcapng files (our own bounded reader) and
 * live interfaces (libpcap), plus BPF filtering. The only stage that sees <pcap.h>.
 * specification: draft-ietf-opsawg-pcap (pcap), draft-ietf-opsawg-pcapng (pcapng).
 */
#ifndef TLSAUDIT_CAPTURE_H
#define TLSAUDIT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capfile;

enum cap_format { CAP_PCAP = 1, CAP_PCAPNG = 2 };

struct cap_frame {
	int64_t ts_ns;	     /* ns since the epoch */
	uint32_t linktype;   /* LINKTYPE_* of the frame's interface */
	uint32_t ifindex;    /* pcapng interface id, 0 for pcap */
	const uint8_t *data; /* borrowed until the next capfile_next() */
	size_t caplen, wire_len;
	uint64_t offset; /* byte offset of the record in the file */
};

enum cap_status {
	CAP_OK = 0,
	CAP_EOF, /* clean end of file */
	CAP_CUT, /* file ends inside a record: err says the offset */
	CAP_BAD, /* unrecoverable format error: err says what and where */
};

struct cap_info {
	enum cap_format format;
	bool nanosecond; /* pcap: ns timestamps */
	uint32_t snaplen;
	uint32_t linktypes[8]; /* distinct link types seen so far (first 8) */
	uint32_t n_linktypes;
	uint64_t bytes_read; /* file bytes read (as given, compressed or not); final after CAP_EOF/CAP_CUT */
	char compression[8]; /* "gzip", "xz", "zstd" when the file was compressed, else "" */
	uint8_t sha256[32];  /* valid after CAP_EOF/CAP_CUT: hash of the bytes read */
	bool sha256_valid;
	uint32_t skipped_blocks; /* pcapng blocks skipped (unknown types) */
};

/* Open path ("-" = stdin). Returns 0 or a negative errno-style code; err gets a
 * one-line message naming the file and what is wrong ("not a capture file", "empty file"). */
int capfile_open(const char *path, struct capfile **ret, char *err, size_t errlen);
/* The same for a capture held in memory: data[0..len) is borrowed until capfile_free(); name is for messages.
 * Read on the caller's thread (no read-ahead thread) with the same parsing, decompression and hashing as a
 * file: for the fuzz targets and tests, where a thread per input would cost more than the input. */
int capfile_open_mem(const uint8_t *data, size_t len, const char *name, struct capfile **ret, char *err, size_t errlen);
/* Next frame; on CAP_CUT/CAP_BAD err holds the message. */
enum cap_status capfile_next(struct capfile *cf, struct cap_frame *fr, char *err, size_t errlen);
const struct cap_info *capfile_info(const struct capfile *cf);
/* Bytes of the file read so far (compressed bytes for a compressed file; for progress). */
uint64_t capfile_file_bytes(const struct capfile *cf);
void capfile_free(struct capfile *cf);

/* BPF filter over frames of any link type (compiled lazily per link type). */
struct capfilter;
int capfilter_new(const char *expr, struct capfilter **ret, char *err, size_t errlen);
/* 1 match, 0 no match, negative: cannot compile for this link type (err set once). */
int capfilter_match(struct capfilter *f, const struct cap_frame *fr, char *err, size_t errlen);
void capfilter_free(struct capfilter *f);

/* ---- live capture (libpcap) ------------------------------------------- */

#define CAPLIVE_DEF_SNAPLEN    262144
#define CAPLIVE_DEF_BUFFER     ((size_t)128 * 1024 * 1024) /* absorbs ~0.5 s of a 1 Gbit/s burst */
#define CAPLIVE_DEF_TIMEOUT_MS 100

struct caplive;

struct caplive_opts {
	const char *iface;  /* "eth0", or "any" (Linux cooked v2 when available) */
	const char *filter; /* user's BPF expression or NULL */
	bool tcp_only;	    /* combine as "tcp and (filter)"; without: filter alone */
	bool promisc;
	uint32_t snaplen;    /* 0 = CAPLIVE_DEF_SNAPLEN */
	size_t buffer_bytes; /* kernel ring buffer; 0 = CAPLIVE_DEF_BUFFER */
	int timeout_ms;	     /* packet buffer timeout when immediate mode is off */
	bool immediate;	     /* deliver each packet at once (lowest latency) */
};

struct caplive_stats {
	uint64_t received;     /* pcap_stats ps_recv (packets that passed the filter) */
	uint64_t kernel_drops; /* ps_drop: no room in the kernel buffer */
	uint64_t if_drops;     /* ps_ifdrop: dropped by the interface or its driver */
};

/* Called per frame; the frame is borrowed for the call only. */
typedef void (*caplive_frame_fn)(const struct cap_frame *fr, void *ctx);

/* Open and activate iface, set the filter, put the handle in non-blocking mode.
 * Returns 0, -ENODEV (no such device / not up), -EPERM (no permission: needs
 * CAP_NET_RAW), -EINVAL (bad filter), or another negative errno; err gets one line. */
int caplive_open(const struct caplive_opts *o, struct caplive **ret, char *err, size_t errlen);
/* A file descriptor to poll() for readability (-1 if none). */
int caplive_fd(const struct caplive *c);
/* Link type of the frames (LINKTYPE_*) and its name. */
uint32_t caplive_linktype(const struct caplive *c);
/* Deliver the frames that are ready (at most max, 0 = all buffered) without
 * blocking. Returns the number delivered, or a negative errno with err set
 * (e.g. -ENETDOWN when the interface went away). */
int caplive_dispatch(struct caplive *c, int max, caplive_frame_fn fn, void *ctx, char *err, size_t errlen);
/* libpcap's counters since open (32-bit kernel counters extended to 64 bits). */
int caplive_stats(struct caplive *c, struct caplive_stats *ret, char *err, size_t errlen);
void caplive_free(struct caplive *c); /* accepts NULL */

/* One interface libpcap can open (devlist.c); strings borrowed for the call. */
struct caplive_dev {
	unsigned index;		 /* 1-based, in pcap_findalldevs order */
	const char *name;	 /* what -i takes */
	const char *description; /* NULL if none */
	bool loopback, up, running, wireless;
	const char *connection; /* "Connected", "Disconnected", or NULL (unknown / not applicable) */
};
typedef void (*caplive_dev_fn)(const struct caplive_dev *d, void *ctx);
/* Every interface (pcap_findalldevs), in its order. Returns 0 or a negative errno with err set. */
int caplive_list(caplive_dev_fn fn, void *ctx, char *err, size_t errlen);

/* ---- pcapng evidence writer -------------------------------------------- */

struct pcapng_writer;

/* Create (truncate) path and write the Section Header Block. max_bytes bounds
 * the file (0 = no bound): once reached, further packets are counted, not written. */
int pcapng_writer_open(const char *path, uint64_t max_bytes, struct pcapng_writer **ret, char *err, size_t errlen);
/* One Enhanced Packet Block; an Interface Description Block is written the first
 * time a link type appears (one interface per link type, ns timestamps).
 * Returns 0, 1 when skipped at the size bound, or a negative errno. */
int pcapng_writer_packet(struct pcapng_writer *w, const struct cap_frame *fr, char *err, size_t errlen);
/* Flush buffered blocks to the kernel. */
int pcapng_writer_flush(struct pcapng_writer *w, char *err, size_t errlen);
/* Close the file and start a new one at the same path (logrotate has moved the
 * old one away); interfaces are described again in the new section. */
int pcapng_writer_reopen(struct pcapng_writer *w, char *err, size_t errlen);
uint64_t pcapng_writer_skipped(const struct pcapng_writer *w);
int pcapng_writer_close(struct pcapng_writer *w, char *err, size_t errlen); /* accepts NULL */

#endif
