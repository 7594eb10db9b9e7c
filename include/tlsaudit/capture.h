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
	int64_t ts_ns;        /* ns since the epoch */
	uint32_t linktype;    /* LINKTYPE_* of the frame's interface */
	uint32_t ifindex;     /* pcapng interface id, 0 for pcap */
	const uint8_t *data;  /* borrowed until the next capfile_next() */
	size_t caplen, wire_len;
	uint64_t offset;      /* byte offset of the record in the file */
};

enum cap_status {
	CAP_OK = 0,
	CAP_EOF,        /* clean end of file */
	CAP_CUT,        /* file ends inside a record: err says the offset */
	CAP_BAD,        /* unrecoverable format error: err says what and where */
};

struct cap_info {
	enum cap_format format;
	bool nanosecond;          /* pcap: ns timestamps */
	uint32_t snaplen;
	uint32_t linktypes[8];    /* distinct link types seen so far (first 8) */
	uint32_t n_linktypes;
	uint64_t bytes_read;      /* file bytes consumed */
	uint8_t sha256[32];       /* valid after CAP_EOF/CAP_CUT: hash of the bytes read */
	bool sha256_valid;
	uint32_t skipped_blocks;  /* pcapng blocks skipped (unknown types) */
};

/* Open path ("-" = stdin). Returns 0 or a negative errno-style code; err gets a
 * one-line message naming the file and what is wrong ("not a capture file", "empty file"). */
int capfile_open(const char *path, struct capfile **ret, char *err, size_t errlen);
/* Next frame; on CAP_CUT/CAP_BAD err holds the message. */
enum cap_status capfile_next(struct capfile *cf, struct cap_frame *fr, char *err, size_t errlen);
const struct cap_info *capfile_info(const struct capfile *cf);
void capfile_free(struct capfile *cf);

/* BPF filter over frames of any link type (compiled lazily per link type). */
struct capfilter;
int capfilter_new(const char *expr, struct capfilter **ret, char *err, size_t errlen);
/* 1 match, 0 no match, negative: cannot compile for this link type (err set once). */
int capfilter_match(struct capfilter *f, const struct cap_frame *fr, char *err, size_t errlen);
void capfilter_free(struct capfilter *f);

#endif
