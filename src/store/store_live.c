/* store_live.c - what a long-running sensor adds to the store: the capture row
 * kept current while it runs, and the host summary refreshed incrementally.
 *
 * Design note. store_capture_end() refreshes the summary once, at the end of a
 * file. A sensor never ends on its own, so the running capture row (status
 * "running", counted by the summary like any capture that is not "reading")
 * is updated at every commit, and the summary of the hosts seen in rows added
 * since the last refresh (connections.id above a watermark) is rebuilt from
 * all their rows. Both happen in one short IMMEDIATE transaction, so readers
 * in WAL mode see either the old or the new state.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <stdio.h>

#include <sqlite3.h>

#include "tlsaudit/stats.h"
#include "tlsaudit/store.h"
#include "store_internal.h"

/* RFC 3339 UTC with microseconds from ns since the epoch (?N), as format_ts() writes it */
#define TS_SQL(p)                                                        \
	"strftime('%Y-%m-%dT%H:%M:%S', " p " / 1000000000, 'unixepoch')" \
	" || printf('.%06dZ', (" p " % 1000000000) / 1000)"
#define STAT_SET(name, desc) #name " = ?, "

static const char sql_progress[] = "UPDATE captures SET " TA_STATS_FIELDS(
	STAT_SET) "linktypes = ?, packets = ?, status = ?, warnings = ?, first_ns = ?, last_ns = ?,"
		  " first_ts = CASE WHEN ?100 = 0 THEN first_ts ELSE " TS_SQL(
			  "?100") " END,"
				  " last_ts = CASE WHEN ?101 = 0 THEN last_ts ELSE " TS_SQL("?101") " END"
												    " WHERE id = ?102";

static const char sql_summary_delete[] =
	"WITH hosts(ip) AS (SELECT client_ip FROM connections WHERE capture_id = ?1 AND id > ?2"
	" UNION SELECT server_ip FROM connections WHERE capture_id = ?1 AND id > ?2)"
	" DELETE FROM host_summary WHERE ip IN hosts";

static const char sql_summary_insert[] =
	"INSERT INTO host_summary (" SUMMARY_COLS ") "
	"WITH hosts(ip) AS (SELECT client_ip FROM connections WHERE capture_id = ?1 AND id > ?2"
	" UNION SELECT server_ip FROM connections WHERE capture_id = ?1 AND id > ?2),"
	"finished(id) AS (SELECT id FROM captures WHERE status <> 'reading'),"
	"r AS (SELECT family, client_ip AS ip, 'client' AS role, " R_COLS
	" FROM connections WHERE client_ip IN hosts AND capture_id IN finished"
	" UNION ALL SELECT family, server_ip, 'server', " R_COLS
	" FROM connections WHERE server_ip IN hosts AND capture_id IN finished)," SUMMARY_TAIL;

static const char sql_max_id[] = "SELECT coalesce(max(id), 0) FROM connections WHERE capture_id = ?1";

static void bind_str(sqlite3_stmt *st, int i, const char *s, size_t max)
{
	sqlite3_bind_text(st, i, s, (int)strnlen(s, max), SQLITE_TRANSIENT);
}

static int run(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t *ret_val, const char *what, char *err,
	       size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_db_err(db, rc, what, err, errlen);
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && ret_val)
		*ret_val = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(db, rc, what, err, errlen);
	return 0;
}

static int update_capture(sqlite3 *db, int64_t id, const struct store_capture *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int i = 1, rc = sqlite3_prepare_v2(db, sql_progress, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare capture progress", err, errlen);
#define STAT_BIND(name, desc) sqlite3_bind_int64(st, i++, (int64_t)c->stats.name);
	TA_STATS_FIELDS(STAT_BIND)
#undef STAT_BIND
	bind_str(st, i++, c->linktypes, sizeof(c->linktypes));
	sqlite3_bind_int64(st, i++, (int64_t)c->stats.frames);
	bind_str(st, i++, c->status, sizeof(c->status));
	bind_str(st, i++, c->warnings, sizeof(c->warnings));
	sqlite3_bind_int64(st, i++, c->first_ns);
	sqlite3_bind_int64(st, i++, c->last_ns);
	sqlite3_bind_int64(st, 100, c->first_ns);
	sqlite3_bind_int64(st, 101, c->last_ns);
	sqlite3_bind_int64(st, 102, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_db_err(db, rc, "update running capture", err, errlen);
	return 0;
}

int store_live_progress(struct store *s, int64_t id, const struct store_capture *c, int64_t *watermark, char *err,
			size_t errlen)
{
	sqlite3 *db = store_db(s);
	int64_t top = 0;
	int ret, rc;

	if ((ret = store_commit(s, err, errlen)) < 0)
		return ret;
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "begin", err, errlen);
	if ((ret = update_capture(db, id, c, err, errlen)) < 0)
		goto rollback;
	if (watermark) {
		if ((ret = run(db, sql_max_id, id, 0, &top, "newest connection", err, errlen)) < 0)
			goto rollback;
		if (top > *watermark &&
		    ((ret = run(db, sql_summary_delete, id, *watermark, NULL, "clear host summary", err, errlen)) < 0 ||
		     (ret = run(db, sql_summary_insert, id, *watermark, NULL, "refresh host summary", err, errlen)) <
			     0))
			goto rollback;
	}
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = store_db_err(db, rc, "commit", err, errlen);
		goto rollback;
	}
	if (watermark && top > *watermark)
		*watermark = top;
	return 0;

rollback:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}
