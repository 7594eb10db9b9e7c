/* store.c - opening the database in its three modes, and the read-side queries (include/tlsaudit/store.h);
 * schema in store_schema.c, migrations in store_migrate.c, the insert path in store_write.c, the writer thread
 * in store_writer.c, rows back into records in store_read.c.
 *
 * Design note. A path given by the user is checked before SQLite sees it: a symbolic link is refused
 * (SQLITE_OPEN_NOFOLLOW, and lstat for the message), so is anything but a regular file. Read-only opens use a
 * `mode=ro` URI and fall back to `immutable=1` when the file's directory cannot hold the WAL index (read-only
 * media); they never write, not even the user_version. A foreign open adds SQLite's defensive settings, length
 * limits, a progress handler that ends runaway queries, and the exact-schema check, before any row is read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/limits.h"
#include "tlsaudit/num.h"
#include "store_internal.h"

#define PROGRESS_OPS 10000 /* VM steps between progress handler calls */
/* Fewer bytes than one conn row takes in a file at the least: its cell pointer (2 bytes), payload and rowid
 * lengths (1 each), record header (its length, then one serial type for each of the table's 32 columns);
 * NULLs and the integers 0 and 1 take no body. */
#define STORE_ROW_MIN_BYTES 36

/* The work a foreign database may cause is bounded by its size: every query on it counts against one budget
 * per open (a fixed allowance plus a number of VM steps per byte of the file), so a crafted file cannot hold
 * a merge by looping (a corrupt B-tree that keeps returning the same row) or by growing its queries. */
struct progress {
	uint64_t calls;
	uint64_t max_calls;
};

/* "file:" + percent-encoded path + query (RFC 3986 unreserved characters and '/' kept) */
static int make_uri(const char *path, const char *query, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t off = 0;
	int w = snprintf(buf, len, "file:");
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	off = (size_t)w;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '/' || *p == '.' || *p == '_' || *p == '-' || *p == '~';
		if (off + 4 >= len)
			return -ENAMETOOLONG;
		if (keep) {
			buf[off++] = (char)*p;
		} else {
			buf[off++] = '%';
			buf[off++] = hex[*p >> 4];
			buf[off++] = hex[*p & 15];
		}
	}
	w = snprintf(buf + off, len - off, "?%s", query);
	if (w < 0 || (size_t)w >= len - off)
		return -ENAMETOOLONG;
	return 0;
}

static int progress_cb(void *ctx)
{
	struct progress *p = ctx;
	return ++p->calls > p->max_calls;
}

static struct progress *progress_of(struct store *s);

/* The path must be a regular file or not exist (RW); never a symbolic link. */
static int check_path(const char *path, bool must_exist, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		int e = errno;
		store_set_err(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (S_ISLNK(st.st_mode)) {
		store_set_err(err, errlen, "%s: is a symbolic link (refused: give the real path)", path);
		return -ELOOP;
	}
	if (!S_ISREG(st.st_mode)) {
		store_set_err(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	return 0;
}

struct store_full {
	struct store s;
	struct progress progress;
};

static struct progress *progress_of(struct store *s)
{
	return &((struct store_full *)(void *)s)->progress;
}

/* SQLite's process-wide settings, before its first use: no memory statistics (a global mutex taken on every
 * allocation; nothing here reads them). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* A connection is used by one thread at a time (the writer's thread while it runs, the opener's before and
 * after: store.h, store_writer_start), so it is opened without its own mutex (SQLITE_OPEN_NOMUTEX), which every API
 * call would otherwise take: ~25 per stored connection. */
static int open_db(struct store *s, const char *path, enum store_mode mode, bool immutable, char *err, size_t errlen)
{
	char uri[4200];
	int flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
	int r;

	pthread_once(&sqlite_once, sqlite_setup);

	if (mode == STORE_RW) {
		flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
		r = make_uri(path, "mode=rwc", uri, sizeof(uri));
	} else {
		flags |= SQLITE_OPEN_READONLY;
		r = make_uri(path, immutable ? "mode=ro&immutable=1" : "mode=ro", uri, sizeof(uri));
	}
	if (r < 0) {
		store_set_err(err, errlen, "%s: path too long", path);
		return r;
	}
	int rc = sqlite3_open_v2(uri, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		int sys = s->db ? sqlite3_system_errno(s->db) : 0;
		store_set_err(err, errlen, "%s: cannot open database: %s%s%s", path,
			      s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), sys ? ": " : "",
			      sys ? strerror(sys) : "");
		r = store_map_rc(rc);
		sqlite3_close(s->db);
		s->db = NULL;
		return r;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, TA_STORE_BUSY_MS);
	if (mode != STORE_RW) {
		/* read-only opens read tables only: whoever wrote the file, none of its SQL (views, triggers,
		 * functions in its schema) runs, so a view put in place of a table fails instead of running */
		int off = 0, on = 1;
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, on, NULL);
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, off, NULL);
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, off, NULL);
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_VIEW, off, NULL);
		sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, TA_FOREIGN_MAX_LENGTH);
		sqlite3_limit(s->db, SQLITE_LIMIT_ATTACHED, 0);
	}
	if (mode == STORE_FOREIGN) {
		struct stat st;
		uint64_t bytes = stat(path, &st) == 0 && st.st_size > 0 ? (uint64_t)st.st_size : 0;
		uint64_t steps =
			bytes > UINT64_MAX / TA_FOREIGN_STEPS_PER_BYTE ? UINT64_MAX : bytes * TA_FOREIGN_STEPS_PER_BYTE;
		steps = steps > UINT64_MAX - TA_FOREIGN_MAX_STEPS ? UINT64_MAX : steps + TA_FOREIGN_MAX_STEPS;
		progress_of(s)->calls = 0;
		progress_of(s)->max_calls = steps / PROGRESS_OPS;
		sqlite3_progress_handler(s->db, PROGRESS_OPS, progress_cb, progress_of(s));
		char wal[4096 + 8];
		int n = snprintf(wal, sizeof(wal), "%s-wal", path);
		uint64_t wal_bytes = n > 0 && (size_t)n < sizeof(wal) && stat(wal, &st) == 0 && st.st_size > 0
					     ? (uint64_t)st.st_size
					     : 0;
		s->max_rows = ta_sat_add_u64(bytes, wal_bytes) / STORE_ROW_MIN_BYTES + 1;
	}
	return 0;
}

int store_open(const char *path, enum store_mode mode, struct store **ret, char *err, size_t errlen)
{
	struct store_full *f = calloc(1, sizeof(*f));
	struct store *s = f ? &f->s : NULL;
	int64_t dummy = 0;
	int r;

	if (!s) {
		store_set_err(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	s->mode = mode;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if ((r = check_path(path, mode != STORE_RW, err, errlen)) < 0 ||
	    (r = open_db(s, path, mode, false, err, errlen)) < 0)
		goto fail;
	/* the first read of the header tells a non-database file (and unusable read-only media) apart */
	r = store_query_int(s->db, "PRAGMA user_version", &dummy, err, errlen);
	if (r == -EACCES && mode != STORE_RW) {
		sqlite3_close(s->db);
		s->db = NULL;
		if ((r = open_db(s, path, mode, true, err, errlen)) == 0)
			r = store_query_int(s->db, "PRAGMA user_version", &dummy, err, errlen);
	}
	if (r < 0)
		goto fail;
	if (mode == STORE_RW) {
		if (sqlite3_db_readonly(s->db, "main") == 1) {
			store_set_err(err, errlen, "%s: database is not writable", path);
			r = -EACCES;
			goto fail;
		}
		if ((r = store_migrate(s, err, errlen)) < 0)
			goto fail;
		if ((r = store_query_int(s->db, "PRAGMA journal_mode = WAL", &dummy, err, errlen)) < 0 ||
		    (r = store_exec(s->db, "PRAGMA synchronous = NORMAL", "set synchronous", err, errlen)) < 0)
			goto fail;
	} else if (mode == STORE_FOREIGN) {
		if ((r = store_check_foreign_schema(s->db, path, err, errlen)) < 0)
			goto fail;
	} else {
		int64_t app = 0, ver = 0;
		if ((r = store_query_int(s->db, "PRAGMA application_id", &app, err, errlen)) < 0 ||
		    (r = store_query_int(s->db, "PRAGMA user_version", &ver, err, errlen)) < 0)
			goto fail;
		if (app != STORE_APPLICATION_ID) {
			store_set_err(err, errlen, "%s: not a tlsaudit database", path);
			r = -EINVAL;
			goto fail;
		}
		if (ver != STORE_SCHEMA_VERSION) {
			store_set_err(err, errlen, "%s: database schema %" PRId64 ", this tlsaudit reads %d (%s)", path,
				      ver, STORE_SCHEMA_VERSION,
				      ver < STORE_SCHEMA_VERSION ? "any `read` into it converts it"
								 : "a newer tlsaudit wrote it");
			r = -EINVAL;
			goto fail;
		}
	}
	*ret = s;
	return 0;
fail:
	if (err && errlen && err[0] == '\0')
		store_set_err(err, errlen, "%s: cannot open database", path);
	store_close(s);
	return r;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free((struct store_full *)(void *)s);
}

void store_set_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

enum store_mode store_mode(const struct store *s)
{
	return s->mode;
}

/* ---- reading ---- */

int store_find_capture(struct store *s, const uint8_t sha256[32], const char *options, int64_t *ret_id, char *err,
		       size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char hex[65];
	int rc = sqlite3_prepare_v2(
		s->db,
		"SELECT id FROM captures WHERE sha256 = ?1 AND options = ?2 AND status IN ('complete', 'cut')"
		" ORDER BY id LIMIT 1",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(s->db, rc, "look up capture", err, errlen);
	store_sha256_hex(sha256, hex);
	sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, options ? options : "", -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	*ret_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_db_err(s->db, rc, "look up capture", err, errlen);
}

#define COUNTED \
	" c.capture_id IN (SELECT id FROM captures WHERE status IN ('complete', 'cut', 'running', 'terminated'))"

int store_select_records(struct store *s, const struct store_select *sel, store_record_cb cb, void *ctx, char *err,
			 size_t errlen)
{
	struct store_reader *r = NULL;
	sqlite3_stmt *st = NULL;
	int ret;
	char sql[1024];

	if (sel->capture_id)
		snprintf(sql, sizeof(sql),
			 "SELECT " STORE_CONN_COLS
			 " FROM conn c, captures k WHERE k.id = ?3 AND c.id BETWEEN k.conn_min"
			 " AND k.conn_max AND c.capture_id = ?3 AND (?1 IS NULL OR c.ts_ns >= ?1) AND (?2 IS NULL OR"
			 " c.ts_ns < ?2) ORDER BY c.ts_ns, c.seq");
	else
		snprintf(sql, sizeof(sql),
			 "SELECT " STORE_CONN_COLS " FROM conn c WHERE" COUNTED " AND (?1 IS NULL OR c.ts_ns >= ?1)"
			 " AND (?2 IS NULL OR c.ts_ns < ?2) ORDER BY c.ts_ns, c.seq, c.capture_id");
	if ((ret = store_reader_new(s->db, &r, err, errlen)) < 0)
		return ret;
	store_reader_bound(r, s->max_rows);
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = store_db_err(s->db, rc, "prepare read", err, errlen);
		goto out;
	}
	if (sel->has_since)
		sqlite3_bind_int64(st, 1, sel->since_ns);
	if (sel->has_until)
		sqlite3_bind_int64(st, 2, sel->until_ns);
	if (sel->capture_id)
		sqlite3_bind_int64(st, 3, sel->capture_id);
	ret = store_reader_run(r, st, cb, ctx, err, errlen);
out:
	sqlite3_finalize(st);
	store_reader_free(r);
	return ret;
}

int store_foreach_record(struct store *s, int64_t capture_id, store_record_cb cb, void *ctx, char *err, size_t errlen)
{
	struct store_select sel = {.capture_id = capture_id};
	return store_select_records(s, &sel, cb, ctx, err, errlen);
}

static int agg_cb(const struct ta_conn *c, void *ctx)
{
	return agg_add(ctx, c) < 0 ? -ENOMEM : 0;
}

int store_capture_summary(struct store *s, int64_t capture_id, struct agg **ret, char *err, size_t errlen)
{
	struct agg *a = NULL;
	int r = agg_new(&a);
	if (r < 0)
		return r;
	if ((r = store_foreach_record(s, capture_id, agg_cb, a, err, errlen)) < 0) {
		agg_free(a);
		return r;
	}
	agg_sort(a);
	*ret = a;
	return 0;
}

int store_check(struct store *s, char *err, size_t errlen)
{
	static const char *const checks[] = {"PRAGMA integrity_check", "PRAGMA foreign_key_check"};

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		sqlite3_stmt *st = NULL;
		int ret = 0;
		int rc = sqlite3_prepare_v2(s->db, checks[i], -1, &st, NULL);

		if (rc != SQLITE_OK)
			return store_db_err(s->db, rc, checks[i], err, errlen);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			bool ok = i == 0 && t && strcmp((const char *)t, "ok") == 0;

			if (!ok) {
				store_set_err(err, errlen, "%s: %s", checks[i], t ? (const char *)t : "problem found");
				ret = -EIO;
			}
		} else if (rc != SQLITE_DONE) {
			ret = store_db_err(s->db, rc, checks[i], err, errlen);
		}
		sqlite3_finalize(st);
		if (ret < 0)
			return ret;
	}
	return 0;
}
