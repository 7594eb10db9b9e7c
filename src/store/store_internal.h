/* store_internal.h - what the store's own source files share (never included outside src/store: <sqlite3.h>
 * stays behind the store's contract). */
#ifndef TLSAUDIT_STORE_INTERNAL_H
#define TLSAUDIT_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "tlsaudit/store.h"
#include "tlsaudit/u64map.h"

#define STORE_APPLICATION_ID 0x544c5341 /* "TLSA" in PRAGMA application_id: our marker */
#define STORE_TS_LEN	     80		/* RFC 3339 text of any int64 time */

struct store {
	sqlite3 *db;
	enum store_mode mode;
	char path[1024];
	bool writer_active; /* a writer thread owns db */
	uint64_t max_rows;  /* foreign: the most rows one table of its file (and WAL) can hold; a scan that returns
			     * more walks a corrupt B-tree in a loop */
};

/* schema (store_schema.c) */
extern const char *const store_sql_v1;
extern const char *const store_sql_v2;
extern const char *const store_sql_v3_tables[]; /* NULL-terminated statements */
/* The CREATE VIEW statements, with the names module's fallbacks expanded into buf; 0 or -1 (too small). */
int store_views_sql(char *buf, size_t len);

/* migrations and schema checks (store_migrate.c) */
/* Bring an open read-write database to STORE_SCHEMA_VERSION (creating it when empty), inside one IMMEDIATE
 * transaction; refuse foreign or newer ones. */
int store_migrate(struct store *s, char *err, size_t errlen);
/* A foreign database: marker and version ours, and every schema object exactly what we create. */
int store_check_foreign_schema(sqlite3 *db, const char *path, char *err, size_t errlen);
/* Add the TA_STATS_FIELDS columns that captures lacks. */
int store_add_stats_columns(sqlite3 *db, char *err, size_t errlen);
/* Fill the name tables from the names module (inside the caller's transaction). */
int store_write_names(sqlite3 *db, char *err, size_t errlen);
/* Mark reading/running captures whose writing process is gone as interrupted (RW opens). */
int store_mark_interrupted(sqlite3 *db, char *err, size_t errlen);

/* errors */
__attribute__((format(printf, 3, 4))) void store_set_err(char *err, size_t errlen, const char *fmt, ...);
int store_map_rc(int rc);
int store_db_err(sqlite3 *db, int rc, const char *what, char *err, size_t errlen);
int store_exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen);
int store_query_int(sqlite3 *db, const char *sql, int64_t *ret, char *err, size_t errlen);

/* values */
void store_format_ts(int64_t ns, char *buf, size_t len); /* RFC 3339 UTC, microseconds */
void store_format_s(int64_t sec, char *buf, size_t len); /* RFC 3339 UTC, seconds */
void store_now_ts(char *buf, size_t len);
bool store_utf8_text_ok(const uint8_t *p, size_t len);
/* TEXT when valid UTF-8 without NUL, else BLOB (names from the wire: SNI, certificate CNs) */
void store_bind_wire_text(sqlite3_stmt *st, int i, const char *s, size_t n);
void store_sha256_hex(const uint8_t h[32], char out[65]);
/* 64 lowercase hex digits back into 32 bytes; false if t is not that */
bool store_sha256_parse(const char *t, size_t n, uint8_t out[32]);
/* a TEXT column into dst[len], cut to fit, always NUL-terminated */
void store_col_text(sqlite3_stmt *st, int i, char *dst, size_t len);
/* The process identity a reading/running capture row carries (owner_pid, owner_start, owner_boot). */
void store_owner_self(int64_t *ret_pid, int64_t *ret_start, char boot[40]);
bool store_owner_alive(int64_t pid, int64_t start, const char *boot);
/* Order-independent digest of one record's stored facts (merge identity of a capture's rows). */
uint64_t store_row_digest(const struct ta_conn *c);

/* reading rows back (store_read.c) */
struct store_reader;
int store_reader_new(sqlite3 *db, struct store_reader **ret, char *err, size_t errlen);
void store_reader_free(struct store_reader *r);
/* Fail a run that returns more than max_rows rows as corrupt (0: no bound; struct store max_rows). */
void store_reader_bound(struct store_reader *r, uint64_t max_rows);
/* Run a SELECT over conn (the columns of STORE_CONN_COLS, in order) and call cb for each row as a ta_conn. */
int store_reader_run(struct store_reader *r, sqlite3_stmt *st, store_record_cb cb, void *ctx, char *err, size_t errlen);
#define STORE_CONN_COLS                                                                                           \
	"c.seq, c.ts_ns, c.dur_ns, c.client_id, c.client_port, c.server_id, c.server_port, c.sni_id, c.hello_id," \
	" c.hello2_id, c.server_hello_id, c.version, c.cipher, c.alert, c.outcome, c.state, c.flags,"             \
	" c.anomalies, c.risks, c.l7_id, c.alpn_id, c.kx_group, c.starttls, c.cert_id, c.cert_chain_len,"         \
	" c.pkts_c2s, c.pkts_s2c, c.bytes_c2s, c.bytes_s2c, c.dup_frames, c.capture_id"

/* conn.state bits */
/* connections.state bits; NDPI_JA3_*: which hello's nDPI JA3 nDPI reports for the connection */
enum {
	ST_ESTABLISHED = 1,
	ST_RESUMED = 2,
	ST_HRR = 4,
	ST_SSLV2_CIPHER = 8,
	ST_CERT_EXPIRED = 16,
	ST_NDPI_JA3_FIRST = 32,
	ST_NDPI_JA3_SECOND = 64,
};

/* writing rows (store_write.c): the insert path shared by the writer thread, migration and merge */
struct store_inserter;
int store_inserter_new(sqlite3 *db, struct store_inserter **ret, char *err, size_t errlen);
void store_inserter_free(struct store_inserter *in);
/* Insert one record for capture_id; returns the new conn.id in *ret_id. */
int store_insert_conn(struct store_inserter *in, int64_t capture_id, const struct ta_conn *c, int64_t *ret_id,
		      char *err, size_t errlen);
/* Merge an aggregate into host_stats / host_failures (UPSERT). */
int store_upsert_summary(struct store_inserter *in, struct agg *a, char *err, size_t errlen);
/* Part of a capture's summary written out while it is read (spill tables, merged the same way); at the
 * capture's end merged into host_stats/host_failures (merge) or dropped (a duplicate). */
int store_spill_summary(struct store_inserter *in, int64_t capture_id, struct agg *a, char *err, size_t errlen);
int store_spill_end(struct store_inserter *in, int64_t capture_id, bool merge, char *err, size_t errlen);
/* Rebuild host_stats / host_failures from every counted row (after rows were removed). */
int store_rebuild_summary(sqlite3 *db, struct store_inserter *in, char *err, size_t errlen);
/* Returns the new capture id, or a negative errno. */
int64_t store_insert_capture(sqlite3 *db, const struct store_capture *c, char *err, size_t errlen);
int store_update_capture(sqlite3 *db, int64_t id, const struct store_capture *c, char *err, size_t errlen);

/* retention (store_prune.c), inside the caller's transaction. own: the captures the calling writer is writing
 * (trimmed, never deleted; their removed rows' count and digest, and their new row range, come back in it). */
struct store_prune_live {
	int64_t capture_id;
	uint64_t conns_removed, digest_removed; /* out */
	int64_t conn_min, conn_max;		/* out: the rows the capture keeps lie in [conn_min, conn_max] */
};
int store_prune_db(sqlite3 *db, struct store_inserter *in, const struct store_prune_opts *o,
		   struct store_prune_live *own, size_t n_own, struct store_prune_result *res, char *err,
		   size_t errlen);

/* probes (store_probe.c): copy the probe attempts of a foreign store into out (one transaction), counting
 * them in ms (struct merge_stats, merge.h). */
struct merge_stats;
int store_probe_merge(struct store *out, struct store *in, struct merge_stats *ms, char *err, size_t errlen);

#endif
