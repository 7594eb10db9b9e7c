/* flow.c - TCP flow table and bounded stream reassembly (include/tlsaudit/flow.h).
 * specification: RFC 9293 section 3.4 (sequence numbers), RFC 7413 (TCP Fast Open: data on SYN).
 *
 * Design note. A flow lives in a chained hash table (keyed, seeded hash of the 5-tuple) and on one list
 * ordered by last activity in packet time, which gives O(1) idle expiry and O(1) eviction of the least recently
 * active flow when the table is full. Each direction keeps only the bytes its consumer has not yet used (at
 * most one record plus out-of-order segments), under a per-direction and a global byte cap that also covers
 * what the consumer charges for its own state. Once a flow ends, every buffer is freed and the flow stays as a
 * small tombstone, so later packets cost one hash lookup and do not start a second, fake connection - also when
 * the flow was evicted to make room.
 *
 * Duplicates: a frame whose packet time does not advance its flow's clock and whose timestamp and first header
 * bytes equal one of the flow's last DUP_RING frames (or its side's SYN) is an exact duplicate (a SPAN session
 * mirroring both directions, a capture merged with itself): counted once, flagged. Frames are compared by a
 * 32-bit digest of those fields (frame_digest): a different frame with the same time matches one of the nine
 * by chance with probability ~2^-29, and only frames whose time did not advance are compared at all.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlsaudit/flow.h"
#include "tlsaudit/num.h"

/* an out-of-order segment waiting for the bytes before it */
struct seg {
	struct seg *next; /* sorted by seq */
	uint32_t seq;
	uint32_t len;
	uint8_t data[]; /* len bytes */
};

struct flow_dir {
	uint8_t *buf; /* owned: in-order bytes not yet used by the consumer */
	uint32_t buf_len, buf_cap;
	struct seg *ooo; /* owned: out-of-order segments, sorted */
	uint32_t n_ooo, ooo_bytes;
	uint32_t next_seq;   /* next expected sequence number */
	uint32_t isn;	     /* sequence number of this side's SYN (valid when info side syn) */
	uint64_t in_order;   /* bytes delivered in order so far */
	uint32_t syn_digest; /* frame_digest() of this side's SYN */
	uint32_t acked_to;   /* the peer acknowledged bytes up to here before any of them was seen (acked_ahead) */
	uint32_t hole_seq;   /* next_seq when the peer began acknowledging the hole before ooo (hole_acks times) */
	uint8_t hole_acks;   /* <= FLOW_HOLE_ACKS */
	bool acked_ahead : 1;
	bool seq_init : 1;     /* next_seq is known */
	bool lost_pending : 1; /* bytes were lost before buf[0]: tell the consumer with the next delivery */
	bool delivering : 1;   /* inside the consumer's data() for this side */
};

#define DUP_RING	    8
#define FLOW_LOST_START_MAX (1u << 20) /* bytes a first acknowledgement may run ahead of the data seen */
/* Acknowledgements of a hole before it counts as lost. A capture point can record a segment after the peer's
 * acknowledgement of it (the two directions on different ports or queues of a tap or mirror), so one
 * acknowledgement of unseen bytes is no proof that the capture lost them; like TCP's fast retransmit the
 * hole is given up at the third, when the queue is full, or when the flow ends. */
#define FLOW_HOLE_ACKS 3

struct flow {
	struct flow *hnext;	    /* hash chain */
	struct flow *lprev, *lnext; /* activity list, oldest first */
	uint32_t hash;
	bool finished;	     /* ended: a tombstone */
	bool ending;	     /* inside flow_end: the last bytes are being handed over */
	bool finish_pending; /* the consumer asked to finish while its callback ran */
	uint8_t dup_pos;
	struct flow_info info;
	struct flow_dir d[2];	   /* indexed by endpoint */
	void *user;		   /* the consumer's state */
	uint32_t recent[DUP_RING]; /* frame_digest() of the last frames */
	uint32_t user_mem;	   /* bytes the consumer charged for it (flow_charge() refuses more) */
};
/* Two flow_dirs and one flow live in every flow: 344 bytes, a 352-byte malloc chunk (LP64). */
_Static_assert(sizeof(void *) != 8 || (sizeof(struct flow_dir) == 64 && sizeof(struct flow) == 344),
	       "struct flow grew: it is what every connection costs");

struct flow_table {
	struct ta_limits lim;
	int64_t idle_ns;
	const struct flow_ops *ops;
	void *ctx;
	struct flow *current; /* the flow of the packet being handled: never evicted */
	int depth;	      /* nesting of consumer callbacks (eviction must not recurse) */
	bool evicting;
	void *free_flows; /* recycled struct flow (linked through their first word) */
	size_t n_free;
	struct flow **buckets;
	size_t n_buckets;   /* power of two; grows with the flows (a small table stays in cache) */
	size_t max_buckets; /* ... up to this */
	size_t n_flows;
	uint64_t next_seq;
	uint64_t hash_seed;
	struct flow *lru_head, *lru_tail;
	size_t mem; /* bytes held in flows, reassembly buffers and charges */
	size_t max_mem;
	struct ta_stats *stats;
};

/* TCP sequence order (RFC 9293 3.4: comparisons modulo 2^32) */
static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* ---- memory accounting ------------------------------------------------ */

static bool mem_make_room(struct flow_table *t, size_t n);

static bool mem_fits(const struct flow_table *t, size_t n)
{
	return n <= t->max_mem && t->mem <= t->max_mem - n;
}

static bool mem_charge(struct flow_table *t, size_t n)
{
	if (!mem_fits(t, n) && !mem_make_room(t, n)) {
		t->stats->mem_capped++;
		return false;
	}
	t->mem += n;
	return true;
}

static void mem_uncharge(struct flow_table *t, size_t n)
{
	t->mem = n <= t->mem ? t->mem - n : 0;
}

/* Allocate n bytes under the memory cap; when it is reached, the least recently active flows make room (a
 * flood cannot starve new handshakes). */
static void *mem_alloc(struct flow_table *t, size_t n)
{
	if (!mem_charge(t, n))
		return NULL;
	void *p = malloc(n);
	if (!p)
		mem_uncharge(t, n);
	return p;
}

static void mem_free(struct flow_table *t, void *p, size_t n)
{
	if (!p)
		return;
	free(p);
	mem_uncharge(t, n);
}

bool flow_charge(struct flow_table *t, struct flow *f, size_t bytes)
{
	if (bytes <= f->user_mem) {
		mem_uncharge(t, f->user_mem - bytes);
		f->user_mem = (uint32_t)bytes;
		return true;
	}
	if (bytes > UINT32_MAX)
		return false; /* one flow's state is bounded by limits far below this */
	size_t more = bytes - f->user_mem;
	struct flow *saved = t->current;
	t->current = f; /* never evict the flow that asks */
	bool ok = mem_charge(t, more);
	t->current = saved;
	if (ok)
		f->user_mem = (uint32_t)bytes;
	return ok;
}

bool flow_charge_shared(struct flow_table *t, size_t n)
{
	return mem_charge(t, n);
}

void flow_release_shared(struct flow_table *t, size_t n)
{
	mem_uncharge(t, n);
}

/* ---- hashing ------------------------------------------------------------ */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_endpoint(uint64_t seed, const uint8_t ip[16], uint16_t port)
{
	uint64_t a, b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return mix64(seed ^ a) ^ mix64(b + port + seed);
}

/* symmetric in the two endpoints, keyed by a per-table seed (hash flooding) */
static uint32_t flow_hash(const struct flow_table *t, const struct pkt *p)
{
	uint64_t h1 = hash_endpoint(t->hash_seed, p->src, p->sport);
	uint64_t h2 = hash_endpoint(t->hash_seed, p->dst, p->dport);
	uint64_t lo = h1 < h2 ? h1 : h2, hi = h1 < h2 ? h2 : h1;
	return (uint32_t)mix64(lo * 31 + hi + p->family);
}

/* which endpoint sent p: 0 or 1, or -1 if p is not of this flow */
static int flow_match(const struct flow *f, const struct pkt *p)
{
	const struct flow_info *i = &f->info;
	if (i->family != p->family)
		return -1;
	if (i->port[0] == p->sport && i->port[1] == p->dport && memcmp(i->ip[0], p->src, 16) == 0 &&
	    memcmp(i->ip[1], p->dst, 16) == 0)
		return 0;
	if (i->port[1] == p->sport && i->port[0] == p->dport && memcmp(i->ip[1], p->src, 16) == 0 &&
	    memcmp(i->ip[0], p->dst, 16) == 0)
		return 1;
	return -1;
}

/* A frame's identity for duplicate detection: its time, its TCP numbers, flags and length, the IP id and the
 * TCP checksum over the payload. */
static uint32_t frame_digest(const struct pkt *p)
{
	uint64_t h = mix64((uint64_t)p->ts_ns ^ ((uint64_t)p->seq << 32 | p->ack));
	h = mix64(h ^ ((uint64_t)p->tcp_flags << 56 | (uint64_t)p->ip_id << 40 | (uint64_t)p->tcp_csum << 24 |
		       (uint32_t)(p->payload_len & 0xffffff)));
	return (uint32_t)(h >> 32) | 1; /* never 0: 0 marks an empty slot */
}

/* ---- table -------------------------------------------------------------- */

int flow_table_new(const struct ta_limits *lim, const struct flow_ops *ops, void *ctx, struct ta_stats *stats,
		   struct flow_table **ret)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->lim = *lim;
	if (t->lim.max_flows == 0)
		t->lim.max_flows = 1;
	t->idle_ns = ta_sat_mul_i64((int64_t)ta_min_u64(t->lim.idle_s, INT64_MAX), 1000000000);
	t->max_mem = (size_t)ta_min_u64(t->lim.max_memory, SIZE_MAX);
	size_t want = t->lim.max_flows < (1u << 22) ? (size_t)t->lim.max_flows : (1u << 22);
	t->max_buckets = 1024;
	while (t->max_buckets < want)
		t->max_buckets <<= 1;
	t->n_buckets = 1024;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->hash_seed = mix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)t);
	t->ops = ops;
	t->ctx = ctx;
	t->stats = stats;
	*ret = t;
	return 0;
}

size_t flow_table_memory(const struct flow_table *t)
{
	return t->mem + t->n_buckets * sizeof(*t->buckets);
}

size_t flow_table_count(const struct flow_table *t)
{
	return t->n_flows;
}

const struct flow_info *flow_info(const struct flow *f)
{
	return &f->info;
}

void *flow_user(const struct flow *f)
{
	return f->user;
}

void flow_set_user(struct flow *f, void *user)
{
	f->user = user;
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		t->lru_head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		t->lru_tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_append(struct flow_table *t, struct flow *f)
{
	f->lprev = t->lru_tail;
	f->lnext = NULL;
	if (t->lru_tail)
		t->lru_tail->lnext = f;
	else
		t->lru_head = f;
	t->lru_tail = f;
}

static void dir_free_buffers(struct flow_table *t, struct flow_dir *d)
{
	mem_free(t, d->buf, d->buf_cap);
	d->buf = NULL;
	d->buf_len = d->buf_cap = 0;
	struct seg *s = d->ooo;
	while (s) {
		struct seg *n = s->next;
		mem_free(t, s, sizeof(*s) + s->len);
		s = n;
	}
	d->ooo = NULL;
	d->n_ooo = d->ooo_bytes = 0;
}

static void dir_drain(struct flow_table *t, struct flow *f, int e);
static void dir_process(struct flow_table *t, struct flow *f, int e, bool final);
static void dir_skip_gap(struct flow_table *t, struct flow *f, int e, uint32_t to_seq, bool final);

/* End the flow (once): hand over what is buffered - a record that will never complete included - and the
 * bytes still queued behind a hole (the capture lost the hole for good), tell the consumer, free the buffers.
 * The flow stays in the table as a tombstone. */
static void flow_end(struct flow_table *t, struct flow *f, enum flow_end why)
{
	if (f->finished || f->ending)
		return;
	f->ending = true; /* nothing below may end it again */
	t->depth++;
	for (int e = 0; e < 2; e++) {
		if (f->d[e].acked_ahead && f->d[e].in_order == 0 && seq_lt(f->d[e].next_seq, f->d[e].acked_to) &&
		    !f->d[e].ooo) {
			/* the peer acknowledged a start the capture never showed */
			t->stats->reasm_gaps++;
			f->info.side[e].gap = true;
		}
		if (f->d[e].buf_len > 0)
			dir_process(t, f, e, true);
		for (unsigned n = 0; f->d[e].ooo && n < t->lim.max_segments + 1; n++)
			dir_skip_gap(t, f, e, f->d[e].ooo->seq, true);
	}
	switch (why) {
	case FLOW_END_EVICTED: f->info.flags |= FLOW_F_EVICTED; break;
	case FLOW_END_IDLE: f->info.flags |= FLOW_F_IDLE; break;
	default: break;
	}
	if (t->ops->end)
		t->ops->end(t->ctx, f, why);
	t->depth--;
	f->ending = false;
	f->finished = true;
	f->user = NULL;
	mem_uncharge(t, f->user_mem);
	f->user_mem = 0;
	dir_free_buffers(t, &f->d[0]);
	dir_free_buffers(t, &f->d[1]);
}

void flow_finish(struct flow_table *t, struct flow *f)
{
	if (f->finished)
		return;
	if (t->depth > 0 && f == t->current) {
		f->finish_pending = true; /* inside this flow's callback: finish when it returns */
		return;
	}
	flow_end(t, f, FLOW_END_FINISHED);
}

static void flow_remove(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & (t->n_buckets - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(t, f);
	mem_uncharge(t, sizeof(*f));
	if (t->n_free < TA_FREE_KEEP) {
		memcpy(f, &t->free_flows, sizeof(void *));
		t->free_flows = f;
		t->n_free++;
	} else {
		free(f);
	}
	t->n_flows--;
}

/* Tombstones of evicted flows the first pass of mem_make_room() steps over before it gives up keeping them */
#define EVICT_SKIP_MAX 256

/* Make room for n bytes: the least recently active flows are ended (their tombstones stay, so their later
 * packets start nothing), and tombstones older than them are dropped. The evicted flows' tombstones gather at
 * the head of the activity list; when more than EVICT_SKIP_MAX of them stand before the next flow that can be
 * ended (memory so tight that tombstones fill it), the second pass drops the oldest of them instead: without
 * that bound every allocation walked all of them (--max-memory 32M on 100,000 handshakes in progress: still
 * running after 30 s, now 6.8 s). */
static bool mem_make_room(struct flow_table *t, size_t n)
{
	if (t->evicting)
		return false;
	t->evicting = true;
	for (int pass = 0; pass < 2 && !mem_fits(t, n); pass++) {
		struct flow *f = t->lru_head;
		size_t skipped = 0;
		while (f && !mem_fits(t, n)) {
			struct flow *next = f->lnext;
			if (f == t->current) {
				f = next;
				continue;
			}
			if (!f->finished) {
				t->stats->flows_evicted++;
				flow_end(t, f, FLOW_END_EVICTED);
			} else if (pass == 1 || !(f->info.flags & FLOW_F_EVICTED)) {
				flow_remove(t, f);
			} else if (++skipped > EVICT_SKIP_MAX) {
				break;
			}
			f = next;
		}
	}
	t->evicting = false;
	return mem_fits(t, n);
}

static void flow_expire(struct flow_table *t, int64_t now)
{
	while (t->lru_head && ta_sat_sub_i64(now, t->lru_head->info.last_ns) > t->idle_ns) {
		struct flow *f = t->lru_head;
		if (!f->finished) {
			t->stats->flows_idle++;
			flow_end(t, f, FLOW_END_IDLE);
		}
		flow_remove(t, f);
	}
}

void flow_table_flush(struct flow_table *t, bool cut)
{
	/* the activity list is in packet order, which keeps the output deterministic */
	while (t->lru_head) {
		struct flow *f = t->lru_head;
		flow_end(t, f, cut ? FLOW_END_CUT : FLOW_END_FLUSH);
		flow_remove(t, f);
	}
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	while (t->lru_head) {
		struct flow *f = t->lru_head;
		if (!f->finished && f->user && t->ops->end)
			t->ops->end(t->ctx, f, FLOW_END_DISCARD);
		f->user = NULL;
		dir_free_buffers(t, &f->d[0]);
		dir_free_buffers(t, &f->d[1]);
		flow_remove(t, f);
	}
	while (t->free_flows) {
		void *p = t->free_flows;
		memcpy(&t->free_flows, p, sizeof(void *));
		free(p);
	}
	free(t->buckets);
	free(t);
}

/* ---- reassembly ----------------------------------------------------------- */

static bool dir_reserve(struct flow_table *t, struct flow_dir *d, size_t need)
{
	if (need <= d->buf_cap)
		return true;
	/* start at what is needed (a segment parsed where it is leaves at most an incomplete record's start here,
	 * and a flood of half-sent hellos leaves one short segment per flow), then double */
	size_t cap = d->buf_cap ? (size_t)d->buf_cap * 2 : (need + 31) & ~(size_t)31;
	while (cap < need)
		cap *= 2;
	if (cap > t->lim.max_dir_bytes)
		cap = (size_t)t->lim.max_dir_bytes;
	if (cap < need)
		return false;
	uint8_t *nb = mem_alloc(t, cap);
	if (!nb)
		return false;
	if (d->buf_len)
		memcpy(nb, d->buf, d->buf_len);
	mem_free(t, d->buf, d->buf_cap);
	d->buf = nb;
	d->buf_cap = (uint32_t)cap;
	return true;
}

static bool dir_wanted(struct flow_table *t, struct flow *f, int e)
{
	return !f->finished && (f->ending || !t->ops->wants || t->ops->wants(t->ctx, f, e));
}

/* Give in-order bytes of endpoint e to the consumer; returns how many it used. */
static size_t dir_deliver(struct flow_table *t, struct flow *f, int e, const uint8_t *data, size_t len, bool final)
{
	struct flow_dir *d = &f->d[e];
	struct flow *saved = t->current;
	f->info.side[e].unseen_start = false;
	t->current = f;
	t->depth++;
	d->delivering = true;
	size_t used = t->ops->data(t->ctx, f, e, data, len, d->lost_pending, final);
	d->delivering = false;
	t->depth--;
	t->current = saved;
	d->lost_pending = false;
	return used < len ? used : len;
}

/* Hand buffered in-order bytes of endpoint e to the consumer. An emptied buffer is given back: a flow
 * waiting for its next record holds only the part of a record it has (a handshake in progress is small). */
static void dir_process(struct flow_table *t, struct flow *f, int e, bool final)
{
	struct flow_dir *d = &f->d[e];
	if (d->buf_len == 0 || !t->ops->data || d->delivering)
		return;
	size_t used = dir_deliver(t, f, e, d->buf, d->buf_len, final);
	if (d->buf) {
		memmove(d->buf, d->buf + used, d->buf_len - used);
		d->buf_len -= (uint32_t)used;
		if (d->buf_len == 0) {
			mem_free(t, d->buf, d->buf_cap);
			d->buf = NULL;
			d->buf_cap = 0;
		}
	}
	if (!final && !dir_wanted(t, f, e))
		dir_free_buffers(t, d);
}

void flow_kick(struct flow_table *t, struct flow *f, int side)
{
	if (side < 0 || side > 1 || f->finished || f->d[side].delivering)
		return;
	dir_process(t, f, side, f->ending);
}

static void dir_keep(struct flow_table *t, struct flow *f, int e, const uint8_t *data, size_t len);

static void dir_append(struct flow_table *t, struct flow *f, int e, const uint8_t *data, size_t len)
{
	struct flow_dir *d = &f->d[e];
	d->next_seq += (uint32_t)len;
	d->in_order += len;
	if (!dir_wanted(t, f, e))
		return;
	dir_keep(t, f, e, data, len);
}

/* Buffer in-order bytes the consumer has not used yet (after those already buffered). */
static void dir_keep(struct flow_table *t, struct flow *f, int e, const uint8_t *data, size_t len)
{
	struct flow_dir *d = &f->d[e];
	if (!dir_reserve(t, d, (size_t)d->buf_len + len)) {
		/* over the cap: the bytes are lost to us, parse on after them */
		t->stats->reasm_bytes_capped++;
		f->info.side[e].capped = true;
		f->info.side[e].gap = true;
		d->lost_pending = true;
		d->buf_len = 0;
		return;
	}
	memcpy(d->buf + d->buf_len, data, len);
	d->buf_len += (uint32_t)len;
}

static void dir_queue(struct flow_table *t, struct flow *f, int e, uint32_t seq, const uint8_t *data, size_t len)
{
	struct flow_dir *d = &f->d[e];
	if (!dir_wanted(t, f, e))
		return;
	if ((uint32_t)(seq - d->next_seq) > t->lim.max_dir_bytes || d->n_ooo >= t->lim.max_segments ||
	    d->ooo_bytes + len > t->lim.max_dir_bytes) {
		t->stats->reasm_ooo_dropped++;
		f->info.side[e].capped = true;
		return;
	}
	struct seg **pp = &d->ooo;
	while (*pp && seq_lt((*pp)->seq, seq))
		pp = &(*pp)->next;
	if (*pp && (*pp)->seq == seq) {
		struct seg *q = *pp;
		size_t n = q->len < len ? q->len : len;
		if (memcmp(q->data, data, n) != 0)
			t->stats->reasm_overlap_conflicts++; /* the first copy wins */
		if (q->len >= len)
			return; /* retransmission of a queued segment */
	}
	struct seg *s = mem_alloc(t, sizeof(*s) + len);
	if (!s) {
		f->info.side[e].capped = true;
		return;
	}
	s->seq = seq;
	s->len = (uint32_t)len;
	memcpy(s->data, data, len);
	s->next = *pp;
	*pp = s;
	d->n_ooo++;
	d->ooo_bytes += (uint32_t)len;
}

/* Move queued segments that now continue the stream into the buffer. */
static void dir_drain(struct flow_table *t, struct flow *f, int e)
{
	struct flow_dir *d = &f->d[e];
	while (d->ooo && !seq_lt(d->next_seq, d->ooo->seq)) {
		struct seg *s = d->ooo;
		d->ooo = s->next;
		d->n_ooo--;
		d->ooo_bytes -= s->len;
		uint32_t dup = d->next_seq - s->seq;
		if (dup < s->len)
			dir_append(t, f, e, s->data + dup, s->len - dup);
		mem_free(t, s, sizeof(*s) + s->len);
	}
}

/* The capture lost the bytes before to_seq: give up on them and go on. */
static void dir_skip_gap(struct flow_table *t, struct flow *f, int e, uint32_t to_seq, bool final)
{
	struct flow_dir *d = &f->d[e];
	if (seq_lt(d->next_seq, to_seq)) {
		t->stats->reasm_gaps++;
		f->info.side[e].gap = true;
		/* what is buffered before the hole is handed over first, then the rest after it */
		dir_process(t, f, e, final);
		d->buf_len = 0;
		d->lost_pending = true;
		d->next_seq = to_seq;
	}
	dir_drain(t, f, e);
	dir_process(t, f, e, final);
}

/* Retransmitted bytes that differ from what was delivered are counted (the first copy wins). */
static void check_overlap(struct flow_table *t, struct flow_dir *d, uint32_t seq, const uint8_t *data, size_t len)
{
	uint32_t back = d->next_seq - seq; /* bytes of data before next_seq */
	if (back == 0 || back > d->buf_len)
		return; /* delivered and gone: nothing left to compare */
	size_t n = back < len ? back : len;
	if (memcmp(d->buf + d->buf_len - back, data, n) != 0)
		t->stats->reasm_overlap_conflicts++;
}

static void dir_data(struct flow_table *t, struct flow *f, int e, uint32_t seq, const uint8_t *data, size_t len)
{
	struct flow_dir *d = &f->d[e];
	if (!d->seq_init) {
		d->next_seq = seq;
		d->seq_init = true;
		if (!f->info.side[e].syn)
			f->info.flags |= FLOW_F_NO_SYN;
	}
	f->info.pkt_at_next = seq == d->next_seq;
	f->info.pkt_new = seq_lt(d->next_seq, seq + (uint32_t)len);
	if (seq_lt(seq, d->next_seq)) {
		uint32_t dup = d->next_seq - seq;
		check_overlap(t, d, seq, data, len);
		if (dup >= len)
			return; /* retransmission */
		data += dup;
		len -= dup;
		seq = d->next_seq;
	}
	if (seq != d->next_seq) {
		dir_queue(t, f, e, seq, data, len);
		/* a full queue means the hole will not be filled within our bounds */
		if (d->ooo && (d->n_ooo >= t->lim.max_segments || d->ooo_bytes >= t->lim.max_dir_bytes / 2))
			dir_skip_gap(t, f, e, d->ooo->seq, false);
		return;
	}
	if (d->buf_len == 0 && !d->ooo && !d->delivering && t->ops->data && dir_wanted(t, f, e)) {
		/* nothing waits before these bytes: the consumer reads them where they are, and only what it
		 * leaves (the start of a record) is copied */
		d->next_seq += (uint32_t)len;
		d->in_order += len;
		size_t used = dir_deliver(t, f, e, data, len, false);
		if (!dir_wanted(t, f, e)) {
			dir_free_buffers(t, d);
			return;
		}
		if (used < len)
			dir_keep(t, f, e, data + used, len - used);
		return;
	}
	dir_append(t, f, e, data, len);
	dir_drain(t, f, e);
	dir_process(t, f, e, false);
}

/* ---- per packet ----------------------------------------------------------- */

/* Double the bucket array (one flow per bucket on average; counted in flow_table_memory() like the first
 * one); without memory the table only gets slower. */
static void buckets_grow(struct flow_table *t)
{
	size_t n = t->n_buckets * 2;
	struct flow **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i < t->n_buckets; i++)
		for (struct flow *f = t->buckets[i], *next; f; f = next) {
			next = f->hnext;
			f->hnext = nb[f->hash & (n - 1)];
			nb[f->hash & (n - 1)] = f;
		}
	free(t->buckets);
	t->buckets = nb;
	t->n_buckets = n;
}

static struct flow *flow_create(struct flow_table *t, const struct pkt *p, uint32_t h)
{
	if (t->n_flows >= t->lim.max_flows && t->lru_head) {
		struct flow *old = t->lru_head;
		if (!old->finished) {
			t->stats->flows_evicted++;
			flow_end(t, old, FLOW_END_EVICTED);
		}
		flow_remove(t, old);
	}
	struct flow *f;
	if (t->free_flows) {
		if (!mem_charge(t, sizeof(*f)))
			return NULL;
		f = t->free_flows;
		memcpy(&t->free_flows, f, sizeof(void *));
		t->n_free--;
	} else if (!(f = mem_alloc(t, sizeof(*f)))) {
		return NULL;
	}
	memset(f, 0, sizeof(*f));
	f->info.family = p->family;
	memcpy(f->info.ip[0], p->src, 16);
	memcpy(f->info.ip[1], p->dst, 16);
	f->info.port[0] = p->sport;
	f->info.port[1] = p->dport;
	f->info.first_ns = p->ts_ns;
	f->info.last_ns = p->ts_ns;
	f->info.seq = t->next_seq++;
	f->info.syn_client = -1;
	f->hash = h;
	struct flow **b = &t->buckets[h & (t->n_buckets - 1)];
	f->hnext = *b;
	*b = f;
	lru_append(t, f);
	t->n_flows++;
	if (t->n_flows > t->n_buckets && t->n_buckets < t->max_buckets)
		buckets_grow(t);
	t->stats->flows++;
	return f;
}

static struct flow *flow_lookup(struct flow_table *t, const struct pkt *p, uint32_t h, int *ret_e)
{
	for (struct flow *f = t->buckets[h & (t->n_buckets - 1)]; f; f = f->hnext) {
		if (f->hash != h)
			continue;
		int e = flow_match(f, p);
		if (e >= 0) {
			*ret_e = e;
			return f;
		}
	}
	return NULL;
}

void flow_fragment(struct flow_table *t, const struct pkt *p)
{
	int e;
	struct flow *f = flow_lookup(t, p, flow_hash(t, p), &e);
	if (f)
		f->info.flags |= FLOW_F_FRAGMENTS;
}

void flow_note_snaplen(struct flow_table *t, const struct pkt *p)
{
	int e;
	struct flow *f = flow_lookup(t, p, flow_hash(t, p), &e);
	if (f)
		f->info.flags |= FLOW_F_SNAPLEN;
}

/* A pure SYN on a known 5-tuple is a new connection (port reuse) when the old one carried data or ended: once
 * it is finished, unless the SYN is the same one again from the same moment or earlier (a duplicate), and with
 * another initial sequence number while it is still open. */
static bool flow_reused(const struct flow *f, int e, const struct pkt *p)
{
	if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return false;
	const struct flow_dir *d = &f->d[e];
	const struct flow_side *s = &f->info.side[e];
	bool used = f->d[0].in_order || f->d[1].in_order || f->info.side[0].fin || f->info.side[1].fin;
	bool same_syn = s->syn && d->isn == p->seq;
	if (f->finished)
		return !(same_syn && p->ts_ns <= f->info.last_ns) && (used || !same_syn);
	return used && s->syn && d->isn != p->seq;
}

/* true if p repeats a recent frame of f exactly (same time, same header bytes) */
static bool flow_duplicate(struct flow *f, int e, const struct pkt *p, uint32_t dg)
{
	if (p->ts_ns > f->info.last_ns)
		return false; /* time advanced: nothing seen before can be the same frame */
	if ((p->tcp_flags & TCP_SYN) && f->d[e].syn_digest == dg)
		return true;
	for (size_t i = 0; i < DUP_RING; i++)
		if (f->recent[i] == dg)
			return true;
	return false;
}

static void flow_remember(struct flow *f, int e, const struct pkt *p, uint32_t dg)
{
	f->recent[f->dup_pos] = dg;
	f->dup_pos = (uint8_t)((f->dup_pos + 1) % DUP_RING);
	if (p->tcp_flags & TCP_SYN)
		f->d[e].syn_digest = dg;
}

bool flow_packet(struct flow_table *t, const struct pkt *p)
{
	flow_expire(t, p->ts_ns);
	uint32_t h = flow_hash(t, p);
	int e = 0;
	struct flow *f = flow_lookup(t, p, h, &e);
	uint32_t dg = frame_digest(p);
	t->current = NULL;
	if (f && flow_duplicate(f, e, p, dg)) {
		f->info.flags |= FLOW_F_DUPLICATES;
		if (f->info.dup_frames < UINT32_MAX)
			f->info.dup_frames++;
		t->stats->duplicate_frames++;
		return false;
	}
	if (f && flow_reused(f, e, p)) {
		/* the 5-tuple starts a new connection: close the old one first */
		flow_end(t, f, FLOW_END_REUSED);
		flow_remove(t, f);
		f = NULL;
	}
	if (!f) {
		if (p->tcp_flags & TCP_RST)
			return false;
		if (!(p->tcp_flags & TCP_SYN) && p->payload_len == 0)
			return false; /* a bare ACK or FIN of a connection we never saw: nothing to learn */
		f = flow_create(t, p, h);
		if (!f)
			return false;
		e = 0;
	}
	flow_remember(f, e, p, dg);
	if (p->ts_ns > f->info.last_ns)
		f->info.last_ns = p->ts_ns;
	lru_unlink(t, f);
	lru_append(t, f);
	t->current = f;

	struct flow_side *s = &f->info.side[e];
	s->pkts++;
	s->bytes += p->payload_len;
	f->info.pkt_ts_ns = p->ts_ns;
	f->info.pkt_at_next = f->info.pkt_new = false;
	if (p->payload_len > 0 && f->info.payload_pkts < UINT32_MAX)
		f->info.payload_pkts++;

	if (f->finished) {
		if ((p->tcp_flags & TCP_RST) || ((p->tcp_flags & TCP_FIN) && f->info.side[1 - e].fin))
			flow_remove(t, f);
		else if (p->tcp_flags & TCP_FIN)
			s->fin = true;
		t->current = NULL;
		return false;
	}

	if (p->payload_len < p->payload_wire_len)
		f->info.flags |= FLOW_F_SNAPLEN;

	struct flow_dir *d = &f->d[e];
	uint32_t seq = p->seq;
	if (p->tcp_flags & TCP_SYN) {
		if (!(p->tcp_flags & TCP_ACK))
			f->info.syn_client = (int8_t)e; /* the SYN sender is the TCP client */
		else if (f->info.syn_client < 0)
			f->info.syn_client = (int8_t)(1 - e);
		s->syn = true;
		d->isn = p->seq;
		if (!d->seq_init || s->bytes == p->payload_len) {
			/* a repeated SYN-ACK with a new number counts until data flows */
			d->next_seq = p->seq + 1;
			d->seq_init = true;
		}
		seq = p->seq + 1; /* data on a SYN (TCP Fast Open) follows the SYN's number */
	}
	/* Several SYN-ACKs with different numbers (or a SYN-ACK we missed): the number the peer acknowledges is
	 * the one the connection uses. */
	if ((p->tcp_flags & (TCP_ACK | TCP_SYN)) == TCP_ACK) {
		struct flow_dir *o = &f->d[1 - e];
		if (f->info.side[1 - e].syn && o->in_order == 0 && o->next_seq != p->ack) {
			/* a little ahead: the peer's first data segments were lost (the ack covers them), not a
			 * renumbered SYN-ACK (a new random number is that close 1 time in 4,096) */
			uint32_t ahead = p->ack - o->next_seq - (f->info.side[1 - e].fin ? 1u : 0u); /* FIN: 1 number */
			if (ahead > 0 && ahead <= FLOW_LOST_START_MAX) {
				/* the first bytes may still come (recorded after this acknowledgement); what follows
				 * them is queued and the hole given up by the rule below */
				o->acked_ahead = true;
				o->acked_to = p->ack;
				f->info.side[1 - e].unseen_start = true;
			} else if (ahead > 0) {
				o->next_seq = p->ack;
				dir_drain(t, f, 1 - e);
				dir_process(t, f, 1 - e, false);
			}
		}
	}
	if (p->payload_len > 0 && !f->finished)
		dir_data(t, f, e, seq, p->payload, p->payload_len);

	/* The peer acknowledged bytes the capture never showed: skip the hole. */
	if ((p->tcp_flags & TCP_ACK) && !f->finished) {
		struct flow_dir *o = &f->d[1 - e];
		if (o->seq_init && o->ooo && !seq_lt(p->ack, o->ooo->seq)) {
			if (o->hole_seq != o->next_seq || o->hole_acks == 0) {
				o->hole_seq = o->next_seq;
				o->hole_acks = 0;
			}
			if (++o->hole_acks >= FLOW_HOLE_ACKS) {
				o->hole_acks = 0;
				dir_skip_gap(t, f, 1 - e, o->ooo->seq, false);
			}
		}
	}

	if (t->ops->packet && !f->finished) {
		t->depth++;
		t->ops->packet(t->ctx, f, e, p);
		t->depth--;
	}
	if (p->tcp_flags & TCP_RST) {
		s->rst = true;
		flow_end(t, f, FLOW_END_RESET);
		flow_remove(t, f);
		t->current = NULL;
		return true;
	}
	if (p->tcp_flags & TCP_FIN) {
		s->fin = true;
		if (f->info.side[1 - e].fin)
			flow_end(t, f, FLOW_END_CLOSED);
	}
	if (f->finish_pending && !f->finished) {
		t->current = NULL;
		flow_end(t, f, FLOW_END_FINISHED);
	}
	t->current = NULL;
	return true;
}

void flow_table_expire(struct flow_table *t, int64_t now_ns)
{
	flow_expire(t, now_ns);
}
