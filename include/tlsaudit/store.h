/* store.h - the SQLite store: captures, connections, per-host-per-role summaries, and what connections share
 * (hosts, strings, hello shapes, certificates). The only stage that sees <sqlite3.h>. Schema, migrations and
 * views: src/store/store_schema.c and docs/schema.md.
 *
 * Writing goes through a writer thread (store_writer_*): pipelines push finished connections into a bounded
 * queue each (backpressure, not unbounded memory); the writer inserts them in transactions that commit every
 * TA_STORE_BATCH_ROWS rows or TA_STORE_BATCH_MS milliseconds, whichever comes first, so no writer holds the
 * database lock for long. Reading (reports, NDJSON, merge inputs) opens the database read-only and never takes
 * the write lock.
 *
 * Every database that this process did not create is hostile: a STORE_FOREIGN open is read-only, defensive
 * (SQLITE_DBCONFIG_DEFENSIVE, trusted_schema off, a progress handler and length limits), and its schema must
 * be exactly ours (tables, columns, indexes, views, no triggers) before a row is read.
 */
#ifndef TLSAUDIT_STORE_H
#define TLSAUDIT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/limits.h"
#include "tlsaudit/record.h"
#include "tlsaudit/stats.h"

struct store;
struct dict;
struct agg;

#define STORE_SCHEMA_VERSION 3

enum store_mode {
	STORE_RW,      /* create or open, migrate; the one process mode that writes */
	STORE_RO,      /* open an existing database of ours read-only (report, diff, export) */
	STORE_FOREIGN, /* a database from elsewhere (merge input): read-only, defensive, schema checked */
};

struct store_capture {
	char path[1024];    /* as given on the command line ("-" for stdin) */
	char sensor[64];    /* host name of the machine that read it */
	uint8_t sha256[32]; /* content hash of the capture bytes as given */
	bool sha256_valid;
	char format[16]; /* "pcap" / "pcapng" / "live" (with a compression layer: "pcap+gzip") */
	uint64_t file_bytes;
	char status[16];   /* "reading", "running", "complete", "cut"; after a crash "interrupted" (a file read:
			    * left out of reports) or "terminated" (a live capture: its committed rows count) */
	char options[512]; /* the analysis options that change results (README "tlsaudit read": reading the same capture
			      again) */
	struct ta_capture_facts facts;
};

/* Open path. Returns 0 or a negative errno-style code (-EACCES unwritable, -EBUSY locked, -ENOENT missing
 * (RO/FOREIGN), -EINVAL not a tlsaudit database / newer or older schema / schema differs (FOREIGN), -ELOOP a
 * symbolic link); err gets a one-line message. */
int store_open(const char *path, enum store_mode mode, struct store **ret, char *err, size_t errlen);
void store_close(struct store *s); /* accepts NULL */
/* How long a write waits for another writer's lock (default TA_STORE_BUSY_MS). */
void store_set_busy_timeout(struct store *s, int ms);
/* The open mode. */
enum store_mode store_mode(const struct store *s);

/* ---- writing (STORE_RW) ------------------------------------------------------------------------------ */

struct store_writer;
struct store_queue;

struct store_writer_opts {
	unsigned commit_ms;  /* commit at least this often (0 = TA_STORE_BATCH_MS) */
	bool live_summaries; /* capture: merge the host summary at every progress message, not only at the end */
};

/* Start the writer thread; it owns the connection until store_writer_stop. */
int store_writer_start(struct store *s, const struct store_writer_opts *o, struct store_writer **ret, char *err,
		       size_t errlen);
/* Commit what is pending, stop the thread (every queue must be freed first). Returns the first error. */
int store_writer_stop(struct store_writer *w, char *err, size_t errlen);

/* A queue from one pipeline (one producer thread). dict is the pipeline's: the queue holds references to its
 * entries for queued records and gives them back (on the producer's thread) once they are written. */
int store_queue_new(struct store_writer *w, struct dict *dict, struct store_queue **ret);
/* Flushes, waits for the writer, releases every reference. */
void store_queue_free(struct store_queue *q);

/* Start a capture (status "reading" or "running"); c is copied. */
int store_queue_capture_begin(struct store_queue *q, const struct store_capture *c);
/* One finished connection of the current capture (copied, its entries referenced). Blocks while the queue is
 * full. Returns 0, or the writer's first error (negative errno). */
int store_queue_conn(struct store_queue *q, const struct ta_conn *c);
/* The capture row's counters, times, warnings and status as they are now (c copied): live capture, every
 * commit interval; with merge_summary also the host summary of the connections since the last merge
 * (capture --summary-interval). */
int store_queue_capture_progress(struct store_queue *q, const struct store_capture *c, bool merge_summary);

struct store_capture_result {
	int64_t id;	     /* the capture that holds the connections (an earlier one for a duplicate) */
	bool duplicate;	     /* the same bytes with the same options were stored before: nothing added */
	uint64_t conns;	     /* connections written for it */
	struct agg *summary; /* per host and role of this capture (owned by the caller; NULL for a duplicate) */
};
/* End the current capture (final counters, hash, status; c copied): the writer checks for an identical earlier
 * analysis (then removes this one's rows), merges the host summary and commits. Waits for it and returns the
 * result. Returns 0 or the writer's first error. */
int store_queue_capture_end(struct store_queue *q, const struct store_capture *c, struct store_capture_result *ret,
			    char *err, size_t errlen);
/* Wait until everything queued so far is written and committed. */
int store_queue_sync(struct store_queue *q, char *err, size_t errlen);

/* ---- retention (store_prune.c) ----------------------------------------------------------------------- */

/* What goes (both may be given: the union goes). Captures being written by another process are never touched. */
struct store_prune_opts {
	bool has_before;
	int64_t before_ns;	/* connections whose first packet is before this (ns since 1970, packet time) */
	uint64_t keep_captures; /* > 0: only the newest N captures (by id) stay; older ones go whole */
};

struct store_prune_result {
	uint64_t connections, captures; /* rows deleted */
	uint64_t captures_trimmed;	/* captures that kept some of their connections */
	uint64_t summaries;		/* host-and-role summary rows aggregated again */
	uint64_t hosts, strings, client_hellos, server_hellos, certificates; /* shared rows no longer referenced */
	bool shared_kept; /* another process was writing: unreferenced shared rows kept for a later prune */
};

/* Prune a database opened STORE_RW without a writer, in one transaction (store_prune.c "Design note"). */
int store_prune(struct store *s, const struct store_prune_opts *o, struct store_prune_result *ret, char *err,
		size_t errlen);
/* Give the free pages back to the file system (VACUUM, then a WAL checkpoint). STORE_RW without a writer. */
int store_vacuum(struct store *s, char *err, size_t errlen);
/* Prune through the writer thread (a live sensor's --retention): the writer commits what is pending, prunes in
 * its own transaction - trimming, not deleting, the captures its queues are writing - and answers. Waits. */
int store_queue_prune(struct store_queue *q, const struct store_prune_opts *o, struct store_prune_result *ret,
		      char *err, size_t errlen);

/* ---- reading ----------------------------------------------------------------------------------------- */

/* Is there already a complete analysis of these bytes with these options? *ret_id = its id or 0. */
int store_find_capture(struct store *s, const uint8_t sha256[32], const char *options, int64_t *ret_id, char *err,
		       size_t errlen);

/* Visit the connections of a capture (capture_id 0 = all that reports count) in order of first packet. The
 * record and its entries are valid for the call. */
typedef int (*store_record_cb)(const struct ta_conn *r, void *ctx);
int store_foreach_record(struct store *s, int64_t capture_id, store_record_cb cb, void *ctx, char *err, size_t errlen);

/* Connections in a window, for reports: ts_ns in [since, until) (has_* false = unbounded). */
struct store_select {
	bool has_since, has_until;
	int64_t since_ns, until_ns;
	int64_t capture_id; /* 0 = every capture that reports count */
};
int store_select_records(struct store *s, const struct store_select *sel, store_record_cb cb, void *ctx, char *err,
			 size_t errlen);

/* A capture row as the read side sees it (store_captures.c). */
struct store_capture_row {
	int64_t id;
	char path[1024];	   /* as given on the command line, or the interface of a live capture */
	char sensor[64];	   /* host name of the machine that read it */
	char format[16];	   /* "pcap", "pcapng", "live" */
	char status[16];	   /* "complete", "cut", "running", "terminated", "reading", "interrupted" */
	int64_t first_ns, last_ns; /* first / last packet (0 if none) */
	uint64_t connections, file_bytes;
	bool counted; /* its connections are counted by reports (and exported) */
};
typedef int (*store_capture_cb)(const struct store_capture_row *c, void *ctx);
/* Visit every capture in id order (counted_only: those whose connections reports count); a non-zero return
 * of cb stops the walk and is returned. */
int store_foreach_capture(struct store *s, bool counted_only, store_capture_cb cb, void *ctx, char *err, size_t errlen);
/* One capture by id; -ENOENT when there is none. */
int store_get_capture(struct store *s, int64_t id, struct store_capture_row *ret, char *err, size_t errlen);

/* Commit what is pending (RW without a writer), then run PRAGMA integrity_check and foreign_key_check.
 * Returns 0 when both are clean, -EIO with the first problem in err otherwise. */
int store_check(struct store *s, char *err, size_t errlen);

/* The per-host summary of one capture, aggregated from its rows (capture_id 0: all). *ret owned by caller. */
int store_capture_summary(struct store *s, int64_t capture_id, struct agg **ret, char *err, size_t errlen);

/* ---- probes (`tlsaudit probe`, src/store/store_probe.c): what a server accepted when asked --------------- */

/* One attempt: the table `probes` row (numbers as in probe.h; names come from the view `probes_named`). */
struct store_probe {
	int64_t ts_ns;	 /* when the attempt began, ns since 1970 UTC */
	char sensor[64]; /* host name of the machine that probed */
	uint16_t target_len;
	char target[256]; /* as given on the command line (raw bytes, NUL-terminated) */
	uint8_t family;	  /* 4 or 6 */
	uint8_t addr[16]; /* the address probed */
	uint16_t port;
	uint8_t starttls; /* enum starttls_proto; 0 plain TLS */
	bool has_sni;
	uint16_t sni_len;
	char sni[TA_MAX_SNI + 1]; /* raw bytes, NUL-terminated */
	uint16_t version;	  /* offered; 0 when no hello was sent */
	uint8_t result;		  /* enum probe_result */
	uint16_t server_version;  /* 0 none */
	bool has_cipher;
	uint16_t cipher;
	bool hello_retry_request;
	bool has_alert;
	uint8_t alert_level, alert_desc, alert_sender;
	bool has_rtt;
	uint32_t rtt_us;
	uint16_t detail_len;
	char detail[128]; /* raw bytes from the server or the local error, NUL-terminated */
};

/* Can probes be stored here? -EINVAL (and a message) for a schema-3 database made before the table existed. */
int store_probe_check(struct store *s, char *err, size_t errlen);
/* Add n attempts (copied) in one transaction (STORE_RW, no writer running). An attempt already stored
 * (same address, port, STARTTLS, time, version and sensor) is not added twice. Returns 0 or a negative errno. */
int store_probe_add(struct store *s, const struct store_probe *p, size_t n, char *err, size_t errlen);
/* Visit the stored attempts, ordered by address, port, STARTTLS, SNI, version and time; p is valid for the
 * call. sel: only attempts in its window (capture_id ignored); NULL for all. */
typedef int (*store_probe_cb)(const struct store_probe *p, void *ctx);
int store_probe_foreach(struct store *s, const struct store_select *sel, store_probe_cb cb, void *ctx, char *err,
			size_t errlen);

#endif
