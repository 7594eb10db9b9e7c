/* flow.h - the TCP flow table and bounded reassembly of the start of each stream. It knows TCP, not TLS: it
 * hands each side's in-order bytes to its consumer (the pipeline), which says how many it used, and tells the
 * consumer when a flow ends. specification: RFC 9293 (TCP sequence space), RFC 7413 (data on SYN).
 *
 * The table's clock is packet time: idle expiry and eviction depend only on the capture, so reading a file
 * twice gives the same answer.
 *
 * Callbacks (struct flow_ops) run on the caller's thread, inside flow_packet(), flow_table_expire(),
 * flow_table_flush() or flow_charge(). A callback may call flow_finish() and flow_charge() for its own flow;
 * it must not call flow_packet(). flow_charge() may end other flows (eviction): their end callbacks then run
 * from inside it.
 */
#ifndef TLSAUDIT_FLOW_H
#define TLSAUDIT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/decode.h"
#include "tlsaudit/limits.h"
#include "tlsaudit/stats.h"

/* What the flow table shows its consumer about one flow. Endpoint 0 sent the first packet seen. */
struct flow_side {
	uint64_t pkts, bytes; /* packets and payload bytes sent by this endpoint */
	bool syn, fin, rst;
	bool gap;	   /* bytes of this side were lost (never captured, or over a cap) */
	bool capped;	   /* a reassembly cap dropped bytes of this side */
	bool unseen_start; /* the peer acknowledged bytes of this side before the capture showed any: its start
			    * may still come (a capture that recorded the answer first) or was lost */
};

enum {
	FLOW_F_SNAPLEN = 1u << 0,    /* a frame of this flow was cut by the snapshot length */
	FLOW_F_FRAGMENTS = 1u << 1,  /* IP fragments belonged to this 5-tuple (not reassembled) */
	FLOW_F_NO_SYN = 1u << 2,     /* a side's first packet was not its SYN: the capture began mid-connection */
	FLOW_F_EVICTED = 1u << 3,    /* ended to make room (flow count or memory) */
	FLOW_F_IDLE = 1u << 4,	     /* ended by the idle timeout */
	FLOW_F_DUPLICATES = 1u << 5, /* exact duplicate frames were seen and not counted again */
};

struct flow_info {
	uint64_t seq; /* order of creation = order of first packet */
	int64_t first_ns, last_ns;
	/* The packet being processed (valid inside the callbacks it causes): its time, whether its payload began
	 * at its side's next expected sequence number, and whether it carried bytes beyond it. */
	int64_t pkt_ts_ns;
	uint32_t flags; /* FLOW_F_* */
	uint32_t dup_frames;
	uint32_t payload_pkts; /* payload-carrying packets of both sides so far, the current one included */
	uint16_t port[2];
	uint8_t family;
	int8_t syn_client; /* endpoint that sent the pure SYN (the TCP client); -1 unknown */
	bool pkt_at_next, pkt_new;
	uint8_t ip[2][16];
	struct flow_side side[2];
}; /* fields ordered without holes: one of these lives in every flow */

enum flow_end {
	FLOW_END_CLOSED,   /* FIN from both sides */
	FLOW_END_RESET,	   /* RST */
	FLOW_END_IDLE,	   /* idle timeout */
	FLOW_END_EVICTED,  /* made room for other flows */
	FLOW_END_REUSED,   /* a new connection on the same 5-tuple */
	FLOW_END_FLUSH,	   /* end of input */
	FLOW_END_CUT,	   /* end of input inside a packet (the capture is cut) */
	FLOW_END_FINISHED, /* the consumer called flow_finish() */
	FLOW_END_DISCARD,  /* the table is freed: release the flow's state, report nothing */
};

struct flow;

struct flow_ops {
	/* A packet of a flow that is not finished, after its payload was reassembled and handed to data() and
	 * before a FIN or RST in it ends the flow. */
	void (*packet)(void *ctx, struct flow *f, int side, const struct pkt *p);
	/* In-order payload bytes of side (borrowed). Returns how many leading bytes were used; the rest stays
	 * buffered (bounded) and is offered again with more. lost_before: bytes of this side were lost just
	 * before data[0]. final: the flow is ending, no more bytes will come. */
	size_t (*data)(void *ctx, struct flow *f, int side, const uint8_t *data, size_t len, bool lost_before,
		       bool final);
	/* Does the consumer still want side's bytes? false: they are counted and dropped. */
	bool (*wants)(void *ctx, struct flow *f, int side);
	/* The flow ends (once). The consumer releases what it holds for the flow; flow_user() is then NULL. */
	void (*end)(void *ctx, struct flow *f, enum flow_end why);
};

struct flow_table;

/* lim, ops and ctx are borrowed for the table's life; stats is updated as packets go by. */
int flow_table_new(const struct ta_limits *lim, const struct flow_ops *ops, void *ctx, struct ta_stats *stats,
		   struct flow_table **ret);
/* Finish every flow still open (end of input); cut: the input ended inside a packet. */
void flow_table_flush(struct flow_table *t, bool cut);
/* Free the table; flows still open get FLOW_END_DISCARD (no bytes handed over). Accepts NULL. */
void flow_table_free(struct flow_table *t);

/* Feed one decoded TCP packet. Returns true when the packet belongs to a flow that was not finished when it
 * arrived (the packets worth keeping as evidence). */
bool flow_packet(struct flow_table *t, const struct pkt *p);
/* Finish flows idle since before now_ns - idle timeout (live capture: wall clock). */
void flow_table_expire(struct flow_table *t, int64_t now_ns);
/* Count an IP fragment, or a frame cut short by the snapshot length, against its flow (if the flow exists). */
void flow_fragment(struct flow_table *t, const struct pkt *p);
void flow_note_snaplen(struct flow_table *t, const struct pkt *p);

const struct flow_info *flow_info(const struct flow *f);
void *flow_user(const struct flow *f);
void flow_set_user(struct flow *f, void *user);
/* The consumer's heap for f is now bytes (it replaces the previous figure). When the total goes over
 * --max-memory the least recently active other flows are ended (evicted). false: still no room (the caller
 * should free what it can). */
bool flow_charge(struct flow_table *t, struct flow *f, size_t bytes);
/* Memory not tied to one flow (shared shapes): charge or release n bytes of the total. */
bool flow_charge_shared(struct flow_table *t, size_t n);
void flow_release_shared(struct flow_table *t, size_t n);
/* Offer side's buffered bytes to data() again (the consumer could not use them before, e.g. before it knew
 * which side is the client). */
void flow_kick(struct flow_table *t, struct flow *f, int side);
/* The consumer has what it needs: end the flow now (end callback with FLOW_END_FINISHED); its later packets
 * are counted against a small tombstone. */
void flow_finish(struct flow_table *t, struct flow *f);

/* Memory held by flows, buffers and charges (bytes), and the number of flows. */
size_t flow_table_memory(const struct flow_table *t);
size_t flow_table_count(const struct flow_table *t);

#endif
