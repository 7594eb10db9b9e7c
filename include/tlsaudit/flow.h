/* flow.h - TCP flow table and bounded reassembly of the start of each stream,
 * driving the TLS stage and the classifier, producing ta_records.
 * specification: RFC 9293 (TCP sequence space), RFC 7413 (data on SYN).
 *
 * The table's clock is packet time: idle expiry and eviction depend only on
 * the capture, so reading a file twice gives the same answer.
 */
#ifndef TLSAUDIT_FLOW_H
#define TLSAUDIT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/decode.h"
#include "tlsaudit/record.h"
#include "tlsaudit/stats.h"

struct classify;

/* Every limit an attacker can grow, in one place; each has a CLI override. */
struct flow_limits {
	size_t max_flows;      /* concurrent flows tracked (default FLOW_DEF_MAX_FLOWS) */
	size_t max_dir_bytes;  /* bytes buffered per direction, in-order + out-of-order */
	size_t max_segments;   /* out-of-order segments queued per direction */
	size_t max_handshake;  /* one handshake message reassembled across records */
	size_t max_plaintext;  /* plaintext (STARTTLS dialogue, proxy) searched for the first record */
	size_t max_cert_bytes; /* server leaf certificate (DER) kept for decoding; larger ones are counted */
	size_t max_memory;     /* all reassembly + TLS buffers together */
	int64_t idle_ns;       /* a flow idle this long (packet time) is finished */
};

#define FLOW_DEF_MAX_FLOWS	262144
#define FLOW_DEF_MAX_DIR_BYTES	(128 * 1024)
#define FLOW_DEF_MAX_SEGMENTS	64
#define FLOW_DEF_MAX_HANDSHAKE	(64 * 1024)
#define FLOW_DEF_MAX_PLAINTEXT	(64 * 1024)
#define FLOW_DEF_MAX_CERT_BYTES (64 * 1024)
#define FLOW_DEF_MAX_MEMORY	((size_t)1024 * 1024 * 1024)
#define FLOW_DEF_IDLE_S		300

void flow_limits_default(struct flow_limits *l);

/* Called once per finished connection that had TLS; the record is borrowed for the call. */
typedef int (*flow_emit_fn)(const struct ta_record *r, void *ctx);

struct flow_table;

/* cls may be NULL (no nDPI). stats is borrowed and updated as packets go by. */
int flow_table_new(const struct flow_limits *lim, struct classify *cls, struct ta_stats *stats, flow_emit_fn emit,
		   void *emit_ctx, struct flow_table **ret);
/* Finish every flow still open (end of capture); cut = the capture ended
 * inside a packet, so open flows are marked truncated. */
void flow_table_flush(struct flow_table *t, bool cut);
void flow_table_free(struct flow_table *t); /* flushes nothing; accepts NULL */

/* Feed one decoded TCP packet. Returns true when the packet belongs to a flow
 * whose handshake was still undecided when it arrived (its record not yet
 * emitted): the packets worth keeping as evidence. */
bool flow_packet(struct flow_table *t, const struct pkt *p);
/* Finish flows idle since before now_ns - idle timeout (live capture: wall
 * clock, so an idle link still ends its flows). */
void flow_table_expire(struct flow_table *t, int64_t now_ns);
/* Count an IP fragment against its flow (if the flow exists). */
void flow_fragment(struct flow_table *t, const struct pkt *p);
/* Mark every open flow as having lost bytes to snaplen. */
void flow_note_snaplen(struct flow_table *t, const struct pkt *p);

/* Current memory held by flows and buffers (bytes), for the benchmark and tests. */
size_t flow_table_memory(const struct flow_table *t);
size_t flow_table_count(const struct flow_table *t);

#endif
