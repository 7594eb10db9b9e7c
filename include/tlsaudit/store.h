/* store.h - the SQLite store: captures, connections, per-host-per-role summary.
 * The only stage that sees <sqlite3.h>. Schema and migrations: src/store/ and
 * docs/schema.md. Every statement is prepared; rows are written in batched
 * transactions; the database runs in WAL mode.
 */
#ifndef TLSAUDIT_STORE_H
#define TLSAUDIT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/record.h"
#include "tlsaudit/stats.h"

struct store;

#define STORE_SCHEMA_VERSION 2

struct store_capture {
	char path[1024];    /* as given on the command line ("-" for stdin) */
	char sensor[64];    /* host name of the machine that read it */
	uint8_t sha256[32]; /* content hash of the capture bytes */
	bool sha256_valid;
	char format[8];	     /* "pcap" / "pcapng" / "live" */
	char linktypes[128]; /* comma-separated link type names */
	uint64_t file_bytes;
	int64_t first_ns, last_ns; /* first/last packet time (0 if none) */
	char status[16];	   /* "reading", "complete", "cut", "bad" */
	char warnings[2048];	   /* newline-separated human-readable warnings */
	struct ta_stats stats;
};

/* Open or create the database at path, migrate it to STORE_SCHEMA_VERSION.
 * Returns 0 or a negative errno-style code (-EACCES unwritable, -EBUSY locked,
 * -EINVAL not a tlsaudit database / newer schema); err gets a one-line message. */
int store_open(const char *path, struct store **ret, char *err, size_t errlen);
void store_close(struct store *s); /* commits what is pending; accepts NULL */
/* How long a write waits for another writer's lock (default 5 s); parallel
 * readers of one database (`read -j`) wait longer rather than fail. */
void store_set_busy_timeout(struct store *s, int ms);
/* Buffered mode: store_add_record queues rows and writes each batch in one short
 * transaction (for several processes writing one database); errors of a batch
 * are reported by the call that writes it. */
void store_set_buffered(struct store *s, bool on);

/* Start a capture row (status "reading"); returns its id. */
int store_capture_begin(struct store *s, const struct store_capture *c, int64_t *ret_id, char *err, size_t errlen);
/* Add one connection to capture id (batched: committed every N rows and at end). */
int store_add_record(struct store *s, int64_t capture_id, const struct ta_record *r, char *err, size_t errlen);
/* Commit the pending batch now (called at least every commit interval). */
int store_commit(struct store *s, char *err, size_t errlen);
/* Finish capture id: final totals/status/hash. If a complete capture with the
 * same sha256 already exists, this capture's rows are removed and
 * *ret_existing_id is set to that capture (else to id). Updates the host summary. */
int store_capture_end(struct store *s, int64_t id, const struct store_capture *c, int64_t *ret_existing_id, char *err,
		      size_t errlen);
/* Is there already a complete capture with this hash? *ret_id = its id or 0. */
int store_find_capture(struct store *s, const uint8_t sha256[32], int64_t *ret_id, char *err, size_t errlen);
/* Commit what is pending, then run PRAGMA integrity_check and foreign_key_check.
 * Returns 0 when both are clean, -EIO with the first problem in err otherwise. */
int store_check(struct store *s, char *err, size_t errlen);

/* Visit the connections of a capture (capture_id 0 = all) in order of first packet. */
typedef int (*store_record_cb)(const struct ta_record *r, void *ctx);
int store_foreach_record(struct store *s, int64_t capture_id, store_record_cb cb, void *ctx, char *err, size_t errlen);

/* One row of the per-host-per-role summary. */
struct store_host_summary {
	uint8_t family;
	uint8_t ip[16];
	char role[8]; /* "client" or "server" */
	uint64_t connections, established, failed;
	uint16_t max_offered;			 /* highest client_max_version in this role */
	uint16_t min_negotiated, max_negotiated; /* 0 if none */
	char versions[256];			 /* "TLS 1.0 x3, TLS 1.2 x12" (negotiated, or "no ServerHello") */
	char failures[256];			 /* "protocol_version x3, reset x1" */
	int64_t first_ns, last_ns;
};
typedef int (*store_summary_cb)(const struct store_host_summary *h, void *ctx);
/* capture_id 0 = whole database */
int store_foreach_summary(struct store *s, int64_t capture_id, store_summary_cb cb, void *ctx, char *err,
			  size_t errlen);

/* Live capture (store_live.c): commit what is pending, then write capture id's
 * current counters, link types, times, status and warnings (a sensor calls this
 * every commit interval, so a crash leaves them at most one interval old). With
 * watermark non-NULL, also rebuild the host summary of every host seen in rows
 * of this capture with connections.id > *watermark, and advance *watermark. */
int store_live_progress(struct store *s, int64_t id, const struct store_capture *c, int64_t *watermark, char *err,
			size_t errlen);

#endif
