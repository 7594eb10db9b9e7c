/* store_captures.c - the capture rows for the read side (include/tlsaudit/store.h): which captures a database
 * holds, with the path and sensor that every exported event names. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "store_internal.h"

#define CAPTURE_COLS                                                                    \
	"id, path, sensor, format, status, first_ns, last_ns, connections, file_bytes," \
	" status IN ('complete', 'cut', 'running', 'terminated')"

static void row_of(sqlite3_stmt *st, struct store_capture_row *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, c->path, sizeof(c->path));
	store_col_text(st, 2, c->sensor, sizeof(c->sensor));
	store_col_text(st, 3, c->format, sizeof(c->format));
	store_col_text(st, 4, c->status, sizeof(c->status));
	c->first_ns = sqlite3_column_int64(st, 5);
	c->last_ns = sqlite3_column_int64(st, 6);
	int64_t n = sqlite3_column_int64(st, 7), b = sqlite3_column_int64(st, 8);
	c->connections = n < 0 ? 0 : (uint64_t)n;
	c->file_bytes = b < 0 ? 0 : (uint64_t)b;
	c->counted = sqlite3_column_int(st, 9) != 0;
}

int store_foreach_capture(struct store *s, bool counted_only, store_capture_cb cb, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db,
				    counted_only ? "SELECT " CAPTURE_COLS " FROM captures WHERE status IN ('complete',"
						   " 'cut', 'running', 'terminated') ORDER BY id"
						 : "SELECT " CAPTURE_COLS " FROM captures ORDER BY id",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(s->db, rc, "list captures", err, errlen);
	int ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_capture_row c;
		row_of(st, &c);
		if ((ret = cb(&c, ctx)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_db_err(s->db, rc, "list captures", err, errlen);
	sqlite3_finalize(st);
	return ret;
}

int store_get_capture(struct store *s, int64_t id, struct store_capture_row *ret, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT " CAPTURE_COLS " FROM captures WHERE id = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(s->db, rc, "look up capture", err, errlen);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	int r = 0;
	if (rc == SQLITE_ROW) {
		row_of(st, ret);
	} else if (rc == SQLITE_DONE) {
		store_set_err(err, errlen, "no capture with id %" PRId64, id);
		r = -ENOENT;
	} else {
		r = store_db_err(s->db, rc, "look up capture", err, errlen);
	}
	sqlite3_finalize(st);
	return r;
}
