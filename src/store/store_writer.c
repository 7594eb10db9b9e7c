/* store_writer.c - the database writer thread and the bounded queues that feed it (include/tlsaudit/store.h).
 *
 * Design note. Each pipeline has its own ring of TA_STORE_QUEUE slots; one mutex in the writer guards the ring
 * indices of every queue, the contents of a slot belong to the producer while it is outside [tail, head) and
 * to the writer inside. A producer fills slots on its own and publishes them (moves head, under the lock) in
 * batches of STORE_PUBLISH_BATCH connections, or at once for any other message, so the lock is taken once per
 * batch and the writer is woken only when it sleeps: a wake-up per connection costs more than the insert. A
 * producer that finds its ring full waits (backpressure, never unbounded memory). The writer takes every
 * published slot, inserts rows inside one open transaction and commits when the batch
 * reaches TA_STORE_BATCH_ROWS rows or has been open for commit_ms, so another writer of the same file waits
 * milliseconds at most, and readers (WAL) never wait. Dict references of a queued record are given back by the
 * producer itself when it finds the slot consumed: dicts are single-threaded, the writer only reads entries.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/dict.h"
#include "store_internal.h"

enum msg_kind { M_CONN = 1, M_BEGIN, M_PROGRESS, M_PROGRESS_SUMMARY, M_END, M_SYNC, M_PRUNE };

#define STORE_PUBLISH_BATCH 64 /* connections a producer fills before it publishes them */

struct slot {
	uint8_t kind;
	struct ta_conn conn;	       /* M_CONN */
	struct store_capture *cap;     /* M_BEGIN, M_PROGRESS*, M_END: a heap copy, freed by the writer */
	uint64_t ticket;	       /* M_END, M_SYNC, M_PRUNE: answered in done_ticket */
	struct store_prune_opts prune; /* M_PRUNE */
};

struct store_queue {
	struct store_writer *w;
	struct dict *dict;
	struct slot *ring;
	uint64_t head, tail; /* guarded by w->mu: published, consumed */
	uint64_t filled;     /* producer only: slots filled (>= head) */
	uint64_t seen_tail;  /* producer only: tail when it last looked */
	int seen_err;	     /* producer only: the writer's error when it last looked */
	uint64_t reclaimed;  /* producer only: slots whose references were given back */
	uint64_t next_ticket;
	uint64_t done_ticket; /* guarded by w->mu */
	struct store_queue *next;
	/* writer side: the current capture */
	int64_t capture_id;
	struct agg *agg;
	bool spilled; /* part of agg went to the spill tables (store_spill_summary) */
	uint64_t conns, digest;
	int64_t conn_min, conn_max;
	struct store_capture_result result; /* of the last M_END, guarded by w->mu */
	struct store_prune_result pruned;   /* of the last M_PRUNE, guarded by w->mu */
	int err;			    /* guarded by w->mu */
	char errmsg[256];
};

struct store_writer {
	struct store *s;
	sqlite3 *db;
	struct store_inserter *in;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work, space, done;
	struct store_queue *queues;
	bool stop;
	bool sleeping; /* the thread waits for work (guarded by mu) */
	int err;
	char errmsg[256];
	bool in_tx;
	uint64_t pending;
	struct timespec tx_start;
	unsigned commit_ms;
	bool live_summaries;
};

#define RING_MASK (TA_STORE_QUEUE - 1)
_Static_assert((TA_STORE_QUEUE & (TA_STORE_QUEUE - 1)) == 0, "queue size is a power of two");

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ---- transactions (writer thread) ---- */

static int tx_begin(struct store_writer *w, char *err, size_t errlen)
{
	if (w->in_tx)
		return 0;
	int r = store_exec(w->db, "BEGIN IMMEDIATE", "begin transaction", err, errlen);
	if (r == 0) {
		w->in_tx = true;
		w->pending = 0;
		clock_gettime(CLOCK_MONOTONIC, &w->tx_start);
	}
	return r;
}

/* Before a commit: the capture rows learn how far their connections go, so a crash after it leaves them
 * consistent with what was committed. */
static int capture_rows_update(struct store_writer *w, struct store_queue *q, char *err, size_t errlen)
{
	if (!q->capture_id)
		return 0;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
		w->db,
		"UPDATE captures SET connections = ?2, rows_digest = ?3, conn_min = ?4, conn_max = ?5"
		" WHERE id = ?1",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(w->db, rc, "update capture", err, errlen);
	sqlite3_bind_int64(st, 1, q->capture_id);
	sqlite3_bind_int64(st, 2, (int64_t)q->conns);
	sqlite3_bind_int64(st, 3, (int64_t)q->digest);
	sqlite3_bind_int64(st, 4, q->conn_min);
	sqlite3_bind_int64(st, 5, q->conn_max);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_db_err(w->db, rc, "update capture", err, errlen);
}

static int tx_commit(struct store_writer *w, char *err, size_t errlen)
{
	if (!w->in_tx)
		return 0;
	/* the list changes only under the lock; its captures' fields are the writer's own */
	pthread_mutex_lock(&w->mu);
	int ur = 0;
	for (struct store_queue *q = w->queues; q && ur == 0; q = q->next)
		ur = capture_rows_update(w, q, err, errlen);
	pthread_mutex_unlock(&w->mu);
	if (ur < 0)
		return ur;
	int r = store_exec(w->db, "COMMIT", "commit", err, errlen);
	if (r == 0 || sqlite3_get_autocommit(w->db)) {
		w->in_tx = false;
		w->pending = 0;
	}
	return r;
}

/* ---- one message (writer thread, outside the lock) ---- */

static int do_conn(struct store_writer *w, struct store_queue *q, const struct ta_conn *c, char *err, size_t errlen)
{
	int64_t id = 0;
	int r;
	if (!q->capture_id) {
		store_set_err(err, errlen, "connection before its capture");
		return -EINVAL;
	}
	if ((r = tx_begin(w, err, errlen)) < 0 ||
	    (r = store_insert_conn(w->in, q->capture_id, c, &id, err, errlen)) < 0)
		return r;
	if (!q->conn_min)
		q->conn_min = id;
	q->conn_max = id;
	q->conns++;
	q->digest += store_row_digest(c);
	if (agg_add(q->agg, c) < 0) {
		store_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->pending++;
	if (agg_count(q->agg) >= TA_AGG_SPILL_ROWS) {
		/* many hosts: memory stays bounded. A live capture's summary is merged as it goes anyway; a file's
		 * waits in the spill tables until its end tells whether it is a duplicate. */
		r = w->live_summaries ? store_upsert_summary(w->in, q->agg, err, errlen)
				      : store_spill_summary(w->in, q->capture_id, q->agg, err, errlen);
		q->spilled |= !w->live_summaries;
		agg_free(q->agg);
		q->agg = NULL;
		if (r == 0)
			r = agg_new(&q->agg);
		return r;
	}
	return 0;
}

static int do_begin(struct store_writer *w, struct store_queue *q, const struct store_capture *c, char *err,
		    size_t errlen)
{
	int r = tx_begin(w, err, errlen);
	if (r < 0)
		return r;
	int64_t id = store_insert_capture(w->db, c, err, errlen);
	if (id < 0)
		return (int)id;
	agg_free(q->agg);
	q->agg = NULL;
	if ((r = agg_new(&q->agg)) < 0)
		return r;
	q->capture_id = id;
	q->spilled = false;
	q->conns = q->digest = 0;
	q->conn_min = q->conn_max = 0;
	/* the capture row is visible (status reading/running) from the first commit on */
	return tx_commit(w, err, errlen);
}

static int do_progress(struct store_writer *w, struct store_queue *q, const struct store_capture *c, bool summary,
		       char *err, size_t errlen)
{
	int r = tx_begin(w, err, errlen);
	if (r < 0 || (r = store_update_capture(w->db, q->capture_id, c, err, errlen)) < 0)
		return r;
	if (summary && w->live_summaries && !agg_empty(q->agg)) {
		if ((r = store_upsert_summary(w->in, q->agg, err, errlen)) < 0)
			return r;
		agg_free(q->agg);
		q->agg = NULL;
		if ((r = agg_new(&q->agg)) < 0)
			return r;
	}
	return tx_commit(w, err, errlen);
}

/* Another complete analysis of the same bytes with the same options? */
static int find_other(struct store_writer *w, struct store_queue *q, const struct store_capture *c, int64_t *ret,
		      char *err, size_t errlen)
{
	*ret = 0;
	if (!c->sha256_valid)
		return 0;
	sqlite3_stmt *st = NULL;
	char hex[65];
	int rc = sqlite3_prepare_v2(w->db,
				    "SELECT id FROM captures WHERE sha256 = ?1 AND options = ?2 AND id <> ?3"
				    " AND status IN ('complete', 'cut') ORDER BY id LIMIT 1",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(w->db, rc, "look up capture", err, errlen);
	store_sha256_hex(c->sha256, hex);
	sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, c->options, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, q->capture_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_db_err(w->db, rc, "look up capture", err, errlen);
}

static int delete_capture(struct store_writer *w, struct store_queue *q, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(w->db, "DELETE FROM conn WHERE id BETWEEN ?2 AND ?3 AND capture_id = ?1", -1, &st,
				    NULL);
	if (rc != SQLITE_OK)
		return store_db_err(w->db, rc, "delete duplicate", err, errlen);
	sqlite3_bind_int64(st, 1, q->capture_id);
	sqlite3_bind_int64(st, 2, q->conn_min);
	sqlite3_bind_int64(st, 3, q->conn_max);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_err(w->db, rc, "delete duplicate", err, errlen);
	char sql[96];
	snprintf(sql, sizeof(sql), "DELETE FROM captures WHERE id = %" PRId64, q->capture_id);
	return store_exec(w->db, sql, "delete duplicate", err, errlen);
}

static int do_end(struct store_writer *w, struct store_queue *q, const struct store_capture *c,
		  struct store_capture_result *res, char *err, size_t errlen)
{
	int64_t other = 0;
	int r = tx_begin(w, err, errlen);

	memset(res, 0, sizeof(*res));
	if (r < 0 || (r = store_update_capture(w->db, q->capture_id, c, err, errlen)) < 0 ||
	    (r = find_other(w, q, c, &other, err, errlen)) < 0)
		return r;
	if (other) {
		/* the summary never counted this capture's rows: it is merged only below */
		if ((r = delete_capture(w, q, err, errlen)) < 0 ||
		    (q->spilled && (r = store_spill_end(w->in, q->capture_id, false, err, errlen)) < 0))
			return r;
		res->id = other;
		res->duplicate = true;
		agg_free(q->agg);
	} else {
		if ((r = store_upsert_summary(w->in, q->agg, err, errlen)) < 0 ||
		    (q->spilled && (r = store_spill_end(w->in, q->capture_id, true, err, errlen)) < 0))
			return r;
		res->id = q->capture_id;
		res->conns = q->conns;
		if (q->spilled) {
			agg_free(q->agg); /* only a part: the caller reads the whole summary back if it needs it */
		} else {
			agg_sort(q->agg);
			res->summary = q->agg;
		}
	}
	q->agg = NULL;
	r = tx_commit(w, err, errlen);
	q->capture_id = 0; /* the capture is finished: nothing more is written for it */
	return r;
}

/* Retention through the writer (store_prune.c): merge the live summaries (rows of a running capture that are
 * not in host_stats yet would be counted twice), commit, prune in one transaction with this writer's live
 * captures trimmed, then let the queues' counters follow and forget remembered row ids. */
static int do_prune(struct store_writer *w, const struct store_prune_opts *o, struct store_prune_result *res, char *err,
		    size_t errlen)
{
	struct store_prune_live own[16];
	size_t n_own = 0;
	int r = tx_begin(w, err, errlen);

	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&w->mu);
	for (struct store_queue *q = w->queues; q && r == 0; q = q->next) {
		if (!q->capture_id || !w->live_summaries)
			continue; /* a file being read: its rows and summary are merged at its end, never pruned */
		if (!agg_empty(q->agg)) {
			if ((r = store_upsert_summary(w->in, q->agg, err, errlen)) < 0)
				break;
			agg_free(q->agg);
			q->agg = NULL;
			if ((r = agg_new(&q->agg)) < 0)
				break;
		}
		if (n_own < sizeof(own) / sizeof(own[0]))
			own[n_own++] = (struct store_prune_live){.capture_id = q->capture_id};
	}
	pthread_mutex_unlock(&w->mu);
	if (r < 0 || (r = tx_commit(w, err, errlen)) < 0 || (r = tx_begin(w, err, errlen)) < 0)
		return r;
	r = store_prune_db(w->db, w->in, o, own, n_own, res, err, errlen);
	/* shared rows may be gone: the inserter's remembered ids go with them */
	store_inserter_free(w->in);
	w->in = NULL;
	if (r < 0) {
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		w->in_tx = false;
		int r2 = store_inserter_new(w->db, &w->in, NULL, 0);
		return r2 < 0 ? r2 : r;
	}
	pthread_mutex_lock(&w->mu);
	for (struct store_queue *q = w->queues; q; q = q->next)
		for (size_t i = 0; i < n_own; i++)
			if (q->capture_id == own[i].capture_id) {
				q->conns -= own[i].conns_removed < q->conns ? own[i].conns_removed : q->conns;
				q->digest -= own[i].digest_removed;
				q->conn_min = own[i].conn_min;
				q->conn_max = own[i].conn_max;
			}
	pthread_mutex_unlock(&w->mu);
	if ((r = tx_commit(w, err, errlen)) < 0)
		return r;
	return store_inserter_new(w->db, &w->in, err, errlen);
}

/* ---- the thread ---- */

static void set_error(struct store_writer *w, struct store_queue *q, int r, const char *msg)
{
	pthread_mutex_lock(&w->mu);
	if (!w->err) {
		w->err = r;
		snprintf(w->errmsg, sizeof(w->errmsg), "%s", msg);
	}
	if (q && !q->err) {
		q->err = r;
		snprintf(q->errmsg, sizeof(q->errmsg), "%s", msg);
	}
	pthread_mutex_unlock(&w->mu);
}

/* Run one message; an M_END's result goes to *res, an M_PRUNE's to *pres (the caller hands them over under the
 * lock). */
static void process(struct store_writer *w, struct store_queue *q, struct slot *sl, struct store_capture_result *res,
		    struct store_prune_result *pres)
{
	char err[256] = "";
	int r = 0;
	memset(res, 0, sizeof(*res));
	memset(pres, 0, sizeof(*pres));

	if (w->err && sl->kind != M_SYNC && sl->kind != M_END && sl->kind != M_PRUNE) {
		free(sl->cap);
		sl->cap = NULL;
		return; /* after an error nothing more is written; the producer hears of it */
	}
	switch (sl->kind) {
	case M_CONN: r = do_conn(w, q, &sl->conn, err, sizeof(err)); break;
	case M_BEGIN: r = do_begin(w, q, sl->cap, err, sizeof(err)); break;
	case M_PROGRESS:
	case M_PROGRESS_SUMMARY:
		r = do_progress(w, q, sl->cap, sl->kind == M_PROGRESS_SUMMARY, err, sizeof(err));
		break;
	case M_END: r = w->err ? w->err : do_end(w, q, sl->cap, res, err, sizeof(err)); break;
	case M_SYNC: r = w->err ? w->err : tx_commit(w, err, sizeof(err)); break;
	case M_PRUNE: r = w->err ? w->err : do_prune(w, &sl->prune, pres, err, sizeof(err)); break;
	default: break;
	}
	free(sl->cap);
	sl->cap = NULL;
	if (r < 0 && err[0])
		set_error(w, q, r, err);
	else if (r < 0)
		set_error(w, q, r, w->errmsg[0] ? w->errmsg : "database write failed");
}

/* Has a producer published slots the writer has not taken? (mu held) */
static bool queues_pending(const struct store_writer *w)
{
	for (const struct store_queue *q = w->queues; q; q = q->next)
		if (q->tail != q->head)
			return true;
	return false;
}

static void *writer_main(void *arg)
{
	struct store_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		bool any = false;
		for (struct store_queue *q = w->queues; q; q = q->next) {
			/* the published slots are the writer's until tail passes them: no lock while inserting */
			uint64_t at = q->tail, head = q->head;
			if (at == head)
				continue;
			any = true;
			pthread_mutex_unlock(&w->mu);
			bool answered_last = false;
			for (; at != head; at++) {
				struct slot *sl = &q->ring[at & RING_MASK];
				struct store_capture_result res;
				struct store_prune_result pres;
				process(w, q, sl, &res, &pres);
				if (sl->kind != M_END && sl->kind != M_SYNC && sl->kind != M_PRUNE)
					continue;
				/* answered under the lock: the producer may free q as soon as it hears, so after
				 * the last published slot q is not touched again */
				pthread_mutex_lock(&w->mu);
				if (sl->kind == M_END)
					q->result = res;
				if (sl->kind == M_PRUNE)
					q->pruned = pres;
				q->done_ticket = sl->ticket;
				q->tail = at + 1;
				pthread_cond_broadcast(&w->done);
				pthread_cond_broadcast(&w->space);
				pthread_mutex_unlock(&w->mu);
				answered_last = at + 1 == head;
			}
			pthread_mutex_lock(&w->mu);
			if (!answered_last) {
				q->tail = head;
				pthread_cond_broadcast(&w->space);
			}
			break; /* the list may have changed while unlocked: start over */
		}
		pthread_mutex_unlock(&w->mu);
		if (w->in_tx && (w->pending >= TA_STORE_BATCH_ROWS || ms_since(&w->tx_start) >= w->commit_ms)) {
			char err[256] = "";
			int r = tx_commit(w, err, sizeof(err));
			if (r < 0)
				set_error(w, NULL, r, err);
		}
		pthread_mutex_lock(&w->mu);
		/* the lock was released since the scan: a producer that published meanwhile saw the writer awake
		 * and did not signal, so look again before sleeping (a lost wakeup hung `read` at its last ticket) */
		if (any || queues_pending(w))
			continue;
		if (w->stop)
			break;
		if (w->in_tx) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 20 * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			w->sleeping = true;
			pthread_cond_timedwait(&w->work, &w->mu, &until);
		} else {
			w->sleeping = true;
			pthread_cond_wait(&w->work, &w->mu);
		}
		w->sleeping = false;
	}
	pthread_mutex_unlock(&w->mu);
	char err[256] = "";
	int r = tx_commit(w, err, sizeof(err));
	if (r < 0)
		set_error(w, NULL, r, err);
	return NULL;
}

int store_writer_start(struct store *s, const struct store_writer_opts *o, struct store_writer **ret, char *err,
		       size_t errlen)
{
	if (s->mode != STORE_RW || s->writer_active) {
		store_set_err(err, errlen, "database not open for writing");
		return -EINVAL;
	}
	struct store_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->s = s;
	w->db = s->db;
	w->commit_ms = o && o->commit_ms ? o->commit_ms : TA_STORE_BATCH_MS;
	w->live_summaries = o && o->live_summaries;
	int r = store_inserter_new(s->db, &w->in, err, errlen);
	if (r < 0) {
		free(w);
		return r;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->space, NULL);
	pthread_cond_init(&w->done, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		store_inserter_free(w->in);
		free(w);
		store_set_err(err, errlen, "cannot start the database writer");
		return -EAGAIN;
	}
	s->writer_active = true;
	*ret = w;
	return 0;
}

int store_writer_stop(struct store_writer *w, char *err, size_t errlen)
{
	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	int r = w->err;
	if (r && err)
		store_set_err(err, errlen, "%s", w->errmsg);
	store_inserter_free(w->in);
	w->s->writer_active = false;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->space);
	pthread_cond_destroy(&w->done);
	free(w);
	return r;
}

/* ---- producers ---- */

int store_queue_new(struct store_writer *w, struct dict *dict, struct store_queue **ret)
{
	struct store_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->ring = calloc(TA_STORE_QUEUE, sizeof(*q->ring));
	if (!q->ring) {
		free(q);
		return -ENOMEM;
	}
	q->w = w;
	q->dict = dict;
	pthread_mutex_lock(&w->mu);
	q->next = w->queues;
	w->queues = q;
	pthread_mutex_unlock(&w->mu);
	*ret = q;
	return 0;
}

/* Give back the references of slots the writer has finished (producer thread, no lock held). */
static void reclaim(struct store_queue *q, uint64_t tail)
{
	for (; q->reclaimed < tail; q->reclaimed++) {
		struct slot *sl = &q->ring[q->reclaimed & RING_MASK];
		if (sl->kind == M_CONN)
			dict_conn_unref(q->dict, &sl->conn);
		sl->kind = 0;
	}
}

/* Publish the filled slots (and, with wait, wait until one is free); learn the tail and error. Producer thread. */
static void publish(struct store_queue *q, bool wait)
{
	struct store_writer *w = q->w;
	pthread_mutex_lock(&w->mu);
	if (q->head != q->filled) {
		q->head = q->filled;
		if (w->sleeping)
			pthread_cond_signal(&w->work);
	}
	while (wait && q->filled - q->tail >= TA_STORE_QUEUE && !w->stop)
		pthread_cond_wait(&w->space, &w->mu);
	q->seen_tail = q->tail;
	q->seen_err = q->err ? q->err : w->err;
	pthread_mutex_unlock(&w->mu);
	reclaim(q, q->seen_tail);
}

/* Fill a free slot (waiting while the ring is full); publish it with the batch, or at once when it is not a
 * connection. */
static int push(struct store_queue *q, uint8_t kind, const struct ta_conn *c, const struct store_capture *cap,
		const struct store_prune_opts *prune, uint64_t *ret_ticket)
{
	struct store_capture *copy = NULL;
	if (cap) {
		copy = malloc(sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		*copy = *cap;
	}
	if (q->filled - q->seen_tail >= TA_STORE_QUEUE)
		publish(q, true);
	if (q->seen_err && kind == M_CONN) {
		free(copy);
		return q->seen_err;
	}
	if (q->filled - q->seen_tail >= TA_STORE_QUEUE) { /* the writer stopped */
		free(copy);
		return -EPIPE;
	}
	struct slot *sl = &q->ring[q->filled & RING_MASK];
	sl->kind = kind;
	sl->cap = copy;
	if (c) {
		sl->conn = *c;
		dict_conn_ref(c);
	}
	if (prune)
		sl->prune = *prune;
	if (ret_ticket)
		*ret_ticket = sl->ticket = ++q->next_ticket;
	q->filled++;
	if (kind != M_CONN || q->filled - q->head >= STORE_PUBLISH_BATCH)
		publish(q, false);
	return 0;
}

/* Wait for a ticket's answer; the queue's error in err. */
static int wait_ticket(struct store_queue *q, uint64_t ticket, char *err, size_t errlen)
{
	struct store_writer *w = q->w;
	pthread_mutex_lock(&w->mu);
	while (q->done_ticket < ticket)
		pthread_cond_wait(&w->done, &w->mu);
	int r = q->err ? q->err : w->err;
	if (r && err)
		store_set_err(err, errlen, "%s", q->err ? q->errmsg : w->errmsg);
	q->seen_tail = q->tail;
	pthread_mutex_unlock(&w->mu);
	reclaim(q, q->seen_tail);
	return r;
}

int store_queue_capture_begin(struct store_queue *q, const struct store_capture *c)
{
	return push(q, M_BEGIN, NULL, c, NULL, NULL);
}

int store_queue_conn(struct store_queue *q, const struct ta_conn *c)
{
	return push(q, M_CONN, c, NULL, NULL, NULL);
}

int store_queue_capture_progress(struct store_queue *q, const struct store_capture *c, bool merge_summary)
{
	return push(q, merge_summary ? M_PROGRESS_SUMMARY : M_PROGRESS, NULL, c, NULL, NULL);
}

int store_queue_capture_end(struct store_queue *q, const struct store_capture *c, struct store_capture_result *ret,
			    char *err, size_t errlen)
{
	uint64_t t;
	int r = push(q, M_END, NULL, c, NULL, &t);
	if (r < 0)
		return r;
	r = wait_ticket(q, t, err, errlen);
	pthread_mutex_lock(&q->w->mu);
	*ret = q->result;
	memset(&q->result, 0, sizeof(q->result));
	pthread_mutex_unlock(&q->w->mu);
	if (r < 0) {
		agg_free(ret->summary);
		ret->summary = NULL;
	}
	return r;
}

int store_queue_prune(struct store_queue *q, const struct store_prune_opts *o, struct store_prune_result *ret,
		      char *err, size_t errlen)
{
	uint64_t t;
	struct store_writer *w = q->w;
	int r = push(q, M_PRUNE, NULL, NULL, o, &t);
	if (r < 0)
		return r;
	r = wait_ticket(q, t, err, errlen);
	pthread_mutex_lock(&w->mu);
	if (r == 0 && ret)
		*ret = q->pruned;
	pthread_mutex_unlock(&w->mu);
	return r;
}

int store_queue_sync(struct store_queue *q, char *err, size_t errlen)
{
	uint64_t t;
	int r = push(q, M_SYNC, NULL, NULL, NULL, &t);
	return r < 0 ? r : wait_ticket(q, t, err, errlen);
}

void store_queue_free(struct store_queue *q)
{
	if (!q)
		return;
	store_queue_sync(q, NULL, 0);
	struct store_writer *w = q->w;
	pthread_mutex_lock(&w->mu);
	for (struct store_queue **pp = &w->queues; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	uint64_t tail = q->tail;
	pthread_mutex_unlock(&w->mu);
	reclaim(q, tail);
	agg_free(q->agg);
	free(q->ring);
	free(q);
}
