/* store_merge.c - `tlsaudit merge`: copy the captures and connections of other tlsaudit databases into this one
 * (include/tlsaudit/merge.h).
 *
 * Design note. An input is a foreign database: opened STORE_FOREIGN (read-only, defensive, exact schema), its
 * rows read back into records by the same reader as everything else and written by the same insert path as a
 * fresh capture, so nothing of the input's SQL (views, triggers, defaults) ever runs and every value is
 * re-checked on the way. Identity, so that merging again adds nothing: a capture is its sha256 and analysis
 * options when known, else (sensor, path, first packet, packets); its rows are summed up in a digest of their
 * facts (store_row_digest). A capture already present with the same identity and the same digest is known; with
 * another digest it is a conflict: refused and reported, never mixed into the legitimate capture's provenance.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlsaudit/agg.h"
#include "tlsaudit/merge.h"
#include "store_internal.h"

#define STAT_COL(name, desc) ", " #name

static const char sql_in_captures[] =
	"SELECT id, sha256, path, sensor, format, options, linktypes, file_bytes, packets, first_ns, last_ns, status,"
	" warnings, read_started, read_finished" TA_STATS_FIELDS(STAT_COL) " FROM captures ORDER BY id";

struct in_capture {
	int64_t id;
	struct store_capture c;
	char read_started[64], read_finished[64];
	bool has_finished;
};

static void read_capture(sqlite3_stmt *st, struct in_capture *ic)
{
	struct store_capture *c = &ic->c;
	char hex[80];
	int i = 0;
	memset(ic, 0, sizeof(*ic));
	ic->id = sqlite3_column_int64(st, i++);
	store_col_text(st, i++, hex, sizeof(hex));
	c->sha256_valid = store_sha256_parse(hex, strlen(hex), c->sha256);
	store_col_text(st, i++, c->path, sizeof(c->path));
	store_col_text(st, i++, c->sensor, sizeof(c->sensor));
	store_col_text(st, i++, c->format, sizeof(c->format));
	store_col_text(st, i++, c->options, sizeof(c->options));
	store_col_text(st, i++, c->facts.linktypes, sizeof(c->facts.linktypes));
	c->file_bytes = (uint64_t)sqlite3_column_int64(st, i++);
	i++; /* packets: the frames counter below */
	c->facts.first_ns = sqlite3_column_int64(st, i++);
	c->facts.last_ns = sqlite3_column_int64(st, i++);
	c->facts.have_time = c->facts.first_ns || c->facts.last_ns;
	store_col_text(st, i++, c->status, sizeof(c->status));
	store_col_text(st, i++, c->facts.warnings, sizeof(c->facts.warnings));
	store_col_text(st, i++, ic->read_started, sizeof(ic->read_started));
	ic->has_finished = sqlite3_column_type(st, i) != SQLITE_NULL;
	store_col_text(st, i++, ic->read_finished, sizeof(ic->read_finished));
#define STAT_READ(name, desc) c->facts.stats.name = (uint64_t)sqlite3_column_int64(st, i++);
	TA_STATS_FIELDS(STAT_READ)
#undef STAT_READ
}

/* ---- the rows of one input capture ---- */

struct digest {
	uint64_t sum, n;
};

static int digest_row(const struct ta_conn *c, void *ctx)
{
	struct digest *d = ctx;
	d->sum += store_row_digest(c);
	d->n++;
	return 0;
}

struct copy {
	struct store_inserter *in;
	int64_t capture_id;
	struct agg *agg;
	uint64_t n, sum;
	int64_t min, max;
	char *err;
	size_t errlen;
	int ret;
};

static int copy_row(const struct ta_conn *c, void *ctx)
{
	struct copy *k = ctx;
	int64_t id;
	int r = store_insert_conn(k->in, k->capture_id, c, &id, k->err, k->errlen);
	if (r < 0) {
		k->ret = r;
		return 1;
	}
	if (agg_add(k->agg, c) < 0) {
		k->ret = -ENOMEM;
		return 1;
	}
	if (!k->min)
		k->min = id;
	k->max = id;
	k->n++;
	k->sum += store_row_digest(c);
	return 0;
}

/* The output's capture with this identity, its row count and digest; id 0 if none. */
static int find_same(sqlite3 *db, const struct store_capture *c, int64_t *ret_id, uint64_t *ret_n, uint64_t *ret_sum,
		     char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char hex[65];
	int rc;
	*ret_id = 0;
	if (c->sha256_valid) {
		rc = sqlite3_prepare_v2(
			db,
			"SELECT id, connections, rows_digest FROM captures WHERE sha256 = ?1 AND options = ?2"
			" ORDER BY id LIMIT 1",
			-1, &st, NULL);
		if (rc == SQLITE_OK) {
			store_sha256_hex(c->sha256, hex);
			sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, c->options, -1, SQLITE_TRANSIENT);
		}
	} else {
		rc = sqlite3_prepare_v2(
			db,
			"SELECT id, connections, rows_digest FROM captures WHERE sha256 IS NULL AND sensor = ?1"
			" AND path = ?2 AND first_ns = ?3 AND packets = ?4 ORDER BY id LIMIT 1",
			-1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, c->sensor, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, c->path, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 3, c->facts.first_ns);
			sqlite3_bind_int64(st, 4, (int64_t)c->facts.stats.frames);
		}
	}
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "look up capture", err, errlen);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_id = sqlite3_column_int64(st, 0);
		*ret_n = (uint64_t)sqlite3_column_int64(st, 1);
		*ret_sum = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_db_err(db, rc, "look up capture", err, errlen);
}

static int finish_capture(sqlite3 *db, int64_t id, const struct in_capture *ic, const struct copy *k, char *err,
			  size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "UPDATE captures SET read_started = ?2, read_finished = ?3, connections = ?4,"
				    " rows_digest = ?5, conn_min = ?6, conn_max = ?7, owner_pid = 0, owner_start = 0,"
				    " owner_boot = '' WHERE id = ?1",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "merge capture", err, errlen);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, ic->read_started, -1, SQLITE_TRANSIENT);
	if (ic->has_finished)
		sqlite3_bind_text(st, 3, ic->read_finished, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)k->n);
	sqlite3_bind_int64(st, 5, (int64_t)k->sum);
	sqlite3_bind_int64(st, 6, k->min);
	sqlite3_bind_int64(st, 7, k->max);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_db_err(db, rc, "merge capture", err, errlen);
}

/* Copy one input capture in one transaction. */
static int copy_capture(struct store *out, struct store *in, struct store_inserter *ins, const struct in_capture *ic,
			uint64_t *ret_rows, char *err, size_t errlen)
{
	sqlite3 *db = out->db;
	struct copy k = {.in = ins, .err = err, .errlen = errlen};
	int r = store_exec(db, "BEGIN IMMEDIATE", "begin merge", err, errlen);
	if (r < 0)
		return r;
	int64_t id = store_insert_capture(db, &ic->c, err, errlen);
	if (id < 0) {
		r = (int)id;
		goto fail;
	}
	if ((r = store_update_capture(db, id, &ic->c, err, errlen)) < 0 || (r = agg_new(&k.agg)) < 0)
		goto fail;
	k.capture_id = id;
	r = store_foreach_record(in, ic->id, copy_row, &k, err, errlen);
	if (k.ret < 0)
		r = k.ret;
	if (r < 0 || (r = finish_capture(db, id, ic, &k, err, errlen)) < 0 ||
	    (r = store_upsert_summary(ins, k.agg, err, errlen)) < 0 ||
	    (r = store_exec(db, "COMMIT", "commit merge", err, errlen)) < 0)
		goto fail;
	agg_free(k.agg);
	*ret_rows = k.n;
	return 0;
fail:
	agg_free(k.agg);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int store_merge(struct store *s, const char *in_path, struct merge_stats *ms, char *err, size_t errlen)
{
	struct store *in = NULL;
	int r;

	struct stat a, b;
	const char *main_file = sqlite3_db_filename(s->db, "main");
	if (stat(in_path, &a) == 0 && main_file && stat(main_file, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino) {
		store_set_err(err, errlen, "%s: is the output database itself", in_path);
		return -EINVAL;
	}
	if ((r = store_open(in_path, STORE_FOREIGN, &in, err, errlen)) < 0)
		return r == -ENOENT || r == -EINVAL || r == -ELOOP ? -EINVAL : r;
	r = store_merge_from(s, in, ms, err, errlen);
	store_close(in);
	return r;
}

int store_merge_from(struct store *s, struct store *in, struct merge_stats *ms, char *err, size_t errlen)
{
	struct store_inserter *ins = NULL;
	sqlite3_stmt *st = NULL;
	const char *in_path = in->path;
	int r = 0;

	if (in->mode != STORE_FOREIGN) {
		store_set_err(err, errlen, "%s: a merge input is opened as a foreign database", in_path);
		return -EINVAL;
	}
	int rc = sqlite3_prepare_v2(in->db, sql_in_captures, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = store_db_err(in->db, rc, in_path, err, errlen);
		goto out;
	}
	int64_t last_id = INT64_MIN;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct in_capture *ic = malloc(sizeof(*ic));
		if (!ic) {
			r = -ENOMEM;
			break;
		}
		read_capture(st, ic);
		/* ids come in ascending order from an intact table: a repeat means a corrupt B-tree */
		if (ic->id <= last_id) {
			store_set_err(err, errlen,
				      "%s: captures table is corrupt (capture id %" PRId64 " after %" PRId64 ")",
				      in_path, ic->id, last_id);
			free(ic);
			r = -EINVAL;
			break;
		}
		last_id = ic->id;
		bool counted = !strcmp(ic->c.status, "complete") || !strcmp(ic->c.status, "cut") ||
			       !strcmp(ic->c.status, "running") || !strcmp(ic->c.status, "terminated");
		if (!counted) {
			ms->captures_skipped++;
			free(ic);
			continue;
		}
		struct digest d = {0};
		int64_t same = 0;
		uint64_t same_n = 0, same_sum = 0;
		if ((r = store_foreach_record(in, ic->id, digest_row, &d, err, errlen)) < 0 ||
		    (r = find_same(s->db, &ic->c, &same, &same_n, &same_sum, err, errlen)) < 0) {
			free(ic);
			break;
		}
		if (same && same_n == d.n && same_sum == d.sum) {
			ms->captures_known++;
			ms->connections_known += d.n;
		} else if (same) {
			/* the paths are long at worst: a cut message still says which capture */
			if (!ms->captures_conflict &&
			    snprintf(ms->conflict, sizeof(ms->conflict),
				     "%s: capture %" PRId64 " (%s) has the identity of capture %" PRId64
				     " of the output but other connections (%" PRIu64 " against %" PRIu64
				     "): not merged",
				     in_path, ic->id, ic->c.path, same, d.n, same_n) >= (int)sizeof(ms->conflict))
				ms->conflict[sizeof(ms->conflict) - 2] = '.';
			ms->captures_conflict++;
		} else {
			uint64_t rows = 0;
			/* the output's statements are made for the first capture copied: an input whose captures are
			 * all known (a merge run again) prepares none */
			if ((!ins && (r = store_inserter_new(s->db, &ins, err, errlen)) < 0) ||
			    (r = copy_capture(s, in, ins, ic, &rows, err, errlen)) < 0) {
				free(ic);
				break;
			}
			ms->captures_added++;
			ms->connections_added += rows;
		}
		free(ic);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_db_err(in->db, rc, in_path, err, errlen);
	if (r == 0)
		r = store_probe_merge(s, in, ms, err, errlen);
out:
	sqlite3_finalize(st);
	store_inserter_free(ins);
	return r;
}
