/* store_merge.c - `tlsaudit merge`: copy captures and connections of other tlsaudit databases into this one
 * (include/tlsaudit/merge.h). specification: SQLite ATTACH and URI filenames (mode=ro).
 *
 * Design note: the input is ATTACHed through a `file:...?mode=ro` URI (the path percent-encoded and bound as a
 * value), and the attachment is verified read-only before anything is copied, so a merge can never write an
 * input. Column lists are read from our own schema (pragma_table_info of the output), checked to be plain
 * identifiers, and must exist in the input (counter columns an older input lacks read as 0). Identity, so that a
 * repeated merge adds nothing: a capture is its sha256 when known, else (sensor, path, first_ns, packets) - the
 * closest stable identity of a stdin or live capture; a connection is (capture, seq), enforced by the
 * UNIQUE(capture_id, seq) constraint with INSERT OR IGNORE. The captures row (sensor, path, sha256, read
 * times, counters) is copied verbatim: that is the provenance of every merged connection.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlsaudit/merge.h"
#include "store_internal.h"

#define MERGE_APPLICATION_ID 0x544c5341 /* "TLSA", as store.c */
#define MERGE_SQL_MAX	     16384

/* "file:" + percent-encoded path + "?mode=ro" (RFC 3986 unreserved characters and '/' kept). */
static int make_ro_uri(const char *path, char *buf, size_t len)
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
	w = snprintf(buf + off, len - off, "?mode=ro");
	if (w < 0 || (size_t)w >= len - off)
		return -ENAMETOOLONG;
	return 0;
}

static int query_int(sqlite3 *db, const char *sql, int64_t *ret, const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		*ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : store_db_err(db, rc, what, err, errlen);
}

/* Open the input read-only on its own connection and check marker and schema version. */
static int check_input(const char *path, const char *uri, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int64_t app = 0, ver = 0;
	int ret = 0;
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK) {
		store_set_err(err, errlen, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = store_map_rc(rc);
		goto out;
	}
	if ((ret = query_int(db, "PRAGMA application_id", &app, path, err, errlen)) < 0 ||
	    (ret = query_int(db, "PRAGMA user_version", &ver, path, err, errlen)) < 0)
		goto out;
	if (app != MERGE_APPLICATION_ID) {
		store_set_err(err, errlen, "%s: not a tlsaudit database", path);
		ret = -EINVAL;
	} else if (ver != STORE_SCHEMA_VERSION) {
		store_set_err(err, errlen,
			      "%s: database schema %" PRId64 " differs from this tlsaudit's (%d); open it once with the"
			      " tlsaudit that matches (e.g. `tlsaudit report --db`) to migrate it",
			      path, ver, STORE_SCHEMA_VERSION);
		ret = -EINVAL;
	}
out:
	sqlite3_close(db);
	return ret;
}

static bool plain_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static int append(char *buf, size_t len, size_t *off, const char *a, const char *b)
{
	int w = snprintf(buf + *off, len - *off, "%s%s", a, b);
	if (w < 0 || (size_t)w >= len - *off)
		return -E2BIG;
	*off += (size_t)w;
	return 0;
}

/* Column lists for copying table from merge_src to main: into (main's columns except the skipped ones) and
 * from (the same names, or 0 for a counter column the input lacks when zero_missing). */
static int column_lists(sqlite3 *db, const char *table, bool zero_missing, char *into, char *from, size_t len,
			char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL, *has = NULL;
	size_t oi = 0, of = 0;
	int ret = 0, rc;
	into[0] = from[0] = '\0';
	rc = sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1, 'main') ORDER BY cid", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info(?1, 'merge_src') WHERE name = ?2",
					-1, &has, NULL);
	if (rc != SQLITE_OK) {
		ret = store_db_err(db, rc, "read schema", err, errlen);
		goto out;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char name[64];
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(name, sizeof(name), "%s", t ? (const char *)t : "");
		if (strcmp(name, "id") == 0 || strcmp(name, "capture_id") == 0)
			continue;
		if (!plain_ident(name)) {
			store_set_err(err, errlen, "merge: unexpected column name in %s", table);
			ret = -EINVAL;
			goto out;
		}
		sqlite3_bind_text(has, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(has, 2, name, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(has);
		bool present = rc == SQLITE_ROW && sqlite3_column_int(has, 0) > 0;
		sqlite3_reset(has);
		if (!present && !zero_missing) {
			store_set_err(err, errlen, "merge: input table %s lacks column %s", table, name);
			ret = -EINVAL;
			goto out;
		}
		/* a certificate reference is remapped through the certificate's identity, its sha256 */
		const char *expr = present ? name : "0";
		if (strcmp(table, "connections") == 0 && strcmp(name, "cert_id") == 0)
			expr = "(SELECT m.id FROM main.certificates m JOIN merge_src.certificates s ON s.sha256 = "
			       "m.sha256"
			       " WHERE s.id = src_c.cert_id)";
		if ((ret = append(into, len, &oi, oi ? ", " : "", name)) < 0 ||
		    (ret = append(from, len, &of, of ? ", " : "", expr)) < 0) {
			store_set_err(err, errlen, "merge: column list too long");
			goto out;
		}
	}
	if (rc != SQLITE_DONE && ret == 0)
		ret = store_db_err(db, rc, "read schema", err, errlen);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(has);
	return ret;
}

struct src_capture {
	int64_t id, first_ns, packets;
	char sha256[65];
	char sensor[64];
	char path[1024];
	bool reading;
};

static void copy_col(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

static int read_src_captures(sqlite3 *db, struct src_capture **ret, size_t *ret_n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct src_capture *v = NULL;
	size_t n = 0, cap = 0;
	int rc = sqlite3_prepare_v2(
		db,
		"SELECT id, coalesce(sha256, ''), sensor, path, first_ns, packets, status = 'reading'"
		" FROM merge_src.captures ORDER BY id",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "read input captures", err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct src_capture *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				free(v);
				sqlite3_finalize(st);
				store_set_err(err, errlen, "merge: out of memory");
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		struct src_capture *c = &v[n++];
		c->id = sqlite3_column_int64(st, 0);
		copy_col(st, 1, c->sha256, sizeof(c->sha256));
		copy_col(st, 2, c->sensor, sizeof(c->sensor));
		copy_col(st, 3, c->path, sizeof(c->path));
		c->first_ns = sqlite3_column_int64(st, 4);
		c->packets = sqlite3_column_int64(st, 5);
		c->reading = sqlite3_column_int(st, 6) != 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_db_err(db, rc, "read input captures", err, errlen);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

enum { MS_FIND_SHA, MS_FIND_NOSHA, MS_INSERT_CAPTURE, MS_COUNT_CONNS, MS_INSERT_CONNS, MS_INSERT_CERTS, MS_COUNT_ };

static int step_id(sqlite3 *db, sqlite3_stmt *st, int64_t *ret, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);
	*ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(db, rc, what, err, errlen);
	return 0;
}

static int merge_one(struct store *s, sqlite3 *db, sqlite3_stmt **st, const struct src_capture *c,
		     struct merge_stats *ms, char *err, size_t errlen)
{
	int64_t id = 0, total = 0, dummy = 0;
	int ret;
	if (c->reading) {
		ms->captures_skipped++;
		return 0;
	}
	if (c->sha256[0]) {
		sqlite3_bind_text(st[MS_FIND_SHA], 1, c->sha256, -1, SQLITE_TRANSIENT);
		ret = step_id(db, st[MS_FIND_SHA], &id, "look up capture", err, errlen);
	} else {
		sqlite3_bind_text(st[MS_FIND_NOSHA], 1, c->sensor, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st[MS_FIND_NOSHA], 2, c->path, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st[MS_FIND_NOSHA], 3, c->first_ns);
		sqlite3_bind_int64(st[MS_FIND_NOSHA], 4, c->packets);
		ret = step_id(db, st[MS_FIND_NOSHA], &id, "look up capture", err, errlen);
	}
	if (ret < 0)
		return ret;
	if (id) {
		ms->captures_known++;
	} else {
		sqlite3_bind_int64(st[MS_INSERT_CAPTURE], 1, c->id);
		if ((ret = step_id(db, st[MS_INSERT_CAPTURE], &dummy, "copy capture", err, errlen)) < 0)
			return ret;
		id = sqlite3_last_insert_rowid(db);
		ms->captures_added++;
	}
	sqlite3_bind_int64(st[MS_COUNT_CONNS], 1, c->id);
	if ((ret = step_id(db, st[MS_COUNT_CONNS], &total, "count input connections", err, errlen)) < 0)
		return ret;
	sqlite3_bind_int64(st[MS_INSERT_CONNS], 1, id);
	sqlite3_bind_int64(st[MS_INSERT_CONNS], 2, c->id);
	if ((ret = step_id(db, st[MS_INSERT_CONNS], &dummy, "copy connections", err, errlen)) < 0)
		return ret;
	int64_t added = sqlite3_changes(db);
	ms->connections_added += (uint64_t)added;
	ms->connections_known += (uint64_t)(total - added);
	if (added > 0)
		return store_summary_refresh(s, id, err, errlen);
	return 0;
}

int store_merge(struct store *s, const char *in_path, struct merge_stats *ms, char *err, size_t errlen)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st[MS_COUNT_] = {0};
	struct src_capture *caps = NULL;
	size_t ncaps = 0;
	char uri[4200];
	char *sql = NULL, *into = NULL, *from = NULL;
	bool attached = false, in_tx = false;
	int ret, rc;
	struct stat a, b;
	const char *main_file = sqlite3_db_filename(db, "main");

	if ((ret = store_commit(s, err, errlen)) < 0)
		return ret;
	if (stat(in_path, &a) < 0) {
		store_set_err(err, errlen, "%s: %s", in_path, strerror(errno));
		return -errno;
	}
	if (main_file && stat(main_file, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		store_set_err(err, errlen, "%s: is the output database itself", in_path);
		return -EINVAL;
	}
	if (make_ro_uri(in_path, uri, sizeof(uri)) < 0) {
		store_set_err(err, errlen, "%s: path too long", in_path);
		return -ENAMETOOLONG;
	}
	if ((ret = check_input(in_path, uri, err, errlen)) < 0)
		return ret;
	sql = malloc(MERGE_SQL_MAX);
	into = malloc(MERGE_SQL_MAX);
	from = malloc(MERGE_SQL_MAX);
	if (!sql || !into || !from) {
		store_set_err(err, errlen, "merge: out of memory");
		ret = -ENOMEM;
		goto out;
	}
	{
		sqlite3_stmt *at = NULL;
		rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS merge_src", -1, &at, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(at, 1, uri, -1, SQLITE_TRANSIENT);
			rc = sqlite3_step(at);
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
		sqlite3_finalize(at);
		if (rc != SQLITE_OK) {
			ret = store_db_err(db, rc, in_path, err, errlen);
			goto out;
		}
		attached = true;
	}
	if (sqlite3_db_readonly(db, "merge_src") != 1) {
		store_set_err(err, errlen, "%s: could not be attached read-only (SQLite without URI support?)",
			      in_path);
		ret = -EINVAL;
		goto out;
	}
	if ((ret = column_lists(db, "captures", true, into, from, MERGE_SQL_MAX, err, errlen)) < 0)
		goto out;
	snprintf(sql, MERGE_SQL_MAX, "INSERT INTO main.captures (%s) SELECT %s FROM merge_src.captures WHERE id = ?1",
		 into, from);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st[MS_INSERT_CAPTURE], NULL)) != SQLITE_OK)
		goto prep_err;
	if ((ret = column_lists(db, "connections", false, into, from, MERGE_SQL_MAX, err, errlen)) < 0)
		goto out;
	snprintf(sql, MERGE_SQL_MAX,
		 "INSERT OR IGNORE INTO main.connections (capture_id, %s) SELECT ?1, %s FROM merge_src.connections"
		 " AS src_c WHERE src_c.capture_id = ?2 ORDER BY src_c.seq",
		 into, from);
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st[MS_INSERT_CONNS], NULL)) != SQLITE_OK)
		goto prep_err;
	if ((rc = sqlite3_prepare_v2(db,
				     "SELECT id FROM main.captures WHERE sha256 = ?1 AND status <> 'reading'"
				     " ORDER BY id LIMIT 1",
				     -1, &st[MS_FIND_SHA], NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(db,
				     "SELECT id FROM main.captures WHERE sha256 IS NULL AND sensor = ?1 AND path = ?2"
				     " AND first_ns = ?3 AND packets = ?4 AND status <> 'reading' ORDER BY id LIMIT 1",
				     -1, &st[MS_FIND_NOSHA], NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM merge_src.connections WHERE capture_id = ?1", -1,
				     &st[MS_COUNT_CONNS], NULL)) != SQLITE_OK)
		goto prep_err;

	{
		/* schema 2 and later: server certificates, identified by the sha256 of their DER (UNIQUE) */
		int64_t has_certs = 0;
		if ((ret = query_int(db, "SELECT count(*) FROM pragma_table_info('certificates', 'main')", &has_certs,
				     "read schema", err, errlen)) < 0)
			goto out;
		if (has_certs) {
			if ((ret = column_lists(db, "certificates", false, into, from, MERGE_SQL_MAX, err, errlen)) < 0)
				goto out;
			snprintf(sql, MERGE_SQL_MAX,
				 "INSERT OR IGNORE INTO main.certificates (%s) SELECT %s FROM merge_src.certificates "
				 "ORDER BY id",
				 into, from);
			if ((rc = sqlite3_prepare_v2(db, sql, -1, &st[MS_INSERT_CERTS], NULL)) != SQLITE_OK)
				goto prep_err;
		}
	}
	if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK) {
		ret = store_db_err(db, rc, "begin merge", err, errlen);
		goto out;
	}
	in_tx = true;
	if (st[MS_INSERT_CERTS]) {
		int64_t dummy = 0;
		if ((ret = step_id(db, st[MS_INSERT_CERTS], &dummy, "copy certificates", err, errlen)) < 0)
			goto out;
	}
	if ((ret = read_src_captures(db, &caps, &ncaps, err, errlen)) < 0)
		goto out;
	for (size_t i = 0; i < ncaps; i++)
		if ((ret = merge_one(s, db, st, &caps[i], ms, err, errlen)) < 0)
			goto out;
	if ((rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
		ret = store_db_err(db, rc, "commit merge", err, errlen);
		goto out;
	}
	in_tx = false;
	ret = 0;
	goto out;

prep_err:
	ret = store_db_err(db, rc, "prepare merge", err, errlen);
out:
	if (in_tx)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	for (size_t i = 0; i < MS_COUNT_; i++)
		sqlite3_finalize(st[i]);
	if (attached)
		sqlite3_exec(db, "DETACH DATABASE merge_src", NULL, NULL, NULL);
	free(caps);
	free(sql);
	free(into);
	free(from);
	return ret;
}
