/* store_prune.c - retention (include/tlsaudit/store.h "retention"): connections whose first packet is older than
 * a time, or all but the newest N captures, deleted with everything that depends on them, in one transaction.
 *
 * Design note. What must stay consistent when rows go:
 *  - captures: a capture that keeps none of its connections (and whose packets are all older than the cutoff,
 *    or that is beyond --keep-captures) is deleted; one that keeps some is trimmed - its connections count,
 *    rows digest (the merge identity: a sum, so the removed rows' digests are subtracted) and conn_min follow,
 *    and a warning line says what was pruned (a live capture's warnings belong to its producer, which adds
 *    its own line). Captures being written (status reading or running: RW opens have
 *    marked dead writers' captures already) are never touched, except the live capture of the writer that
 *    runs the prune itself (store_queue_prune), whose in-memory counters the writer adjusts.
 *  - the per-host summary (host_stats, host_failures): the hosts of removed rows lose their summary rows,
 *    which are aggregated again from the rows they keep, with the one aggregator (agg.h) and the one UPSERT
 *    (store_upsert_summary). Other hosts' rows are not touched, so a prune costs the removed rows plus the
 *    remaining rows of the hosts involved, not the whole database.
 *  - shared rows (hosts, strings, client and server hello shapes, certificates) that no connection or summary
 *    references any more are deleted - unless another process is writing (a reading/running capture not ours):
 *    its writer remembers row ids it has inserted and would point new rows at deleted ones; then they stay
 *    until the next prune (result.shared_kept).
 * The file does not shrink by itself (SQLite reuses the free pages); store_vacuum gives them back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/agg.h"
#include "store_internal.h"

static int exec_changes(sqlite3 *db, const char *sql, uint64_t *ret, const char *what, char *err, size_t errlen)
{
	int r = store_exec(db, sql, what, err, errlen);
	if (r == 0 && ret)
		*ret += (uint64_t)sqlite3_changes(db);
	return r;
}

static bool is_own(const struct store_prune_live *own, size_t n_own, int64_t id, size_t *ret_i)
{
	for (size_t i = 0; i < n_own; i++)
		if (own[i].capture_id == id) {
			*ret_i = i;
			return true;
		}
	return false;
}

/* The connections to delete into temp table prune_conn, the captures to delete into prune_cap. */
static int select_victims(sqlite3 *db, const struct store_prune_opts *o, const struct store_prune_live *own,
			  size_t n_own, char *err, size_t errlen)
{
	static const char setup[] = "DROP TABLE IF EXISTS temp.prune_conn; DROP TABLE IF EXISTS temp.prune_cap;"
				    " DROP TABLE IF EXISTS temp.prune_keep; DROP TABLE IF EXISTS temp.prune_hosts;"
				    " CREATE TEMP TABLE prune_conn (id INTEGER PRIMARY KEY, capture_id INTEGER);"
				    " CREATE TEMP TABLE prune_cap (id INTEGER PRIMARY KEY);"
				    " CREATE TEMP TABLE prune_keep (id INTEGER PRIMARY KEY);"
				    " CREATE TEMP TABLE prune_hosts (id INTEGER PRIMARY KEY);";
	int r = store_exec(db, setup, "prepare prune", err, errlen);
	if (r < 0)
		return r;
	/* captures that may be touched: not being written, or written by the caller */
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT id, status IN ('reading', 'running') FROM captures", -1, &st, NULL);
	sqlite3_stmt *ins = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO prune_keep (id) VALUES (?1)", -1, &ins, NULL);
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		size_t k;
		int64_t id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_int(st, 1) && !is_own(own, n_own, id, &k)) {
			sqlite3_bind_int64(ins, 1, id);
			if (sqlite3_step(ins) != SQLITE_DONE)
				rc = SQLITE_ERROR;
			sqlite3_reset(ins);
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "prepare prune", err, errlen);

	if (o->has_before) {
		st = NULL;
		rc = sqlite3_prepare_v2(
			db,
			"INSERT OR IGNORE INTO prune_conn (id, capture_id) SELECT id, capture_id FROM conn"
			" WHERE ts_ns < ?1 AND capture_id NOT IN (SELECT id FROM prune_keep)",
			-1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, o->before_ns);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_OK)
			return store_db_err(db, rc, "select old connections", err, errlen);
	}
	if (o->keep_captures) {
		st = NULL;
		rc = sqlite3_prepare_v2(db,
					"INSERT OR IGNORE INTO prune_cap (id) SELECT id FROM captures WHERE id NOT IN"
					" (SELECT id FROM captures ORDER BY id DESC LIMIT ?1) AND id NOT IN"
					" (SELECT id FROM prune_keep)",
					-1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1,
					   (int64_t)(o->keep_captures > INT64_MAX ? INT64_MAX : o->keep_captures));
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_OK)
			return store_db_err(db, rc, "select old captures", err, errlen);
	}
	/* own captures are trimmed, never deleted */
	for (size_t i = 0; i < n_own; i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "DELETE FROM prune_cap WHERE id = %" PRId64, own[i].capture_id);
		if ((r = store_exec(db, sql, "prepare prune", err, errlen)) < 0)
			return r;
	}
	return store_exec(db,
			  "INSERT OR IGNORE INTO prune_conn (id, capture_id) SELECT id, capture_id FROM conn"
			  " WHERE capture_id IN (SELECT id FROM prune_cap);"
			  " INSERT OR IGNORE INTO prune_hosts (id) SELECT client_id FROM conn WHERE id IN"
			  " (SELECT id FROM prune_conn) UNION SELECT server_id FROM conn WHERE id IN"
			  " (SELECT id FROM prune_conn);",
			  "select pruned connections", err, errlen);
}

struct digest_sum {
	uint64_t n, digest;
};

static int digest_row(const struct ta_conn *c, void *ctx)
{
	struct digest_sum *d = ctx;
	d->n++;
	d->digest += store_row_digest(c);
	return 0;
}

/* Captures that keep some of their connections: counters, digest, range and a warning follow. */
static int trim_captures(sqlite3 *db, const struct store_prune_opts *o, struct store_prune_live *own, size_t n_own,
			 struct store_prune_result *res, char *err, size_t errlen)
{
	sqlite3_stmt *caps = NULL, *rows = NULL, *up = NULL, *left = NULL;
	struct store_reader *rd = NULL;
	int ret = store_reader_new(db, &rd, err, errlen);
	if (ret < 0)
		return ret;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT capture_id, count(*) FROM prune_conn WHERE capture_id NOT IN"
				    " (SELECT id FROM prune_cap) GROUP BY capture_id ORDER BY capture_id",
				    -1, &caps, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"SELECT " STORE_CONN_COLS
					" FROM conn c WHERE c.id IN (SELECT id FROM prune_conn"
					" WHERE capture_id = ?1)",
					-1, &rows, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(
			db,
			"UPDATE captures SET connections = max(connections - ?2, 0), rows_digest = rows_digest - ?3,"
			" conn_min = coalesce((SELECT min(id) FROM conn WHERE capture_id = ?1 AND id NOT IN"
			" (SELECT id FROM prune_conn)), 0), conn_max = CASE WHEN (SELECT max(id) FROM conn WHERE"
			" capture_id = ?1 AND id NOT IN (SELECT id FROM prune_conn)) IS NULL THEN 0 ELSE conn_max END,"
			" warnings = warnings || CASE warnings WHEN '' THEN '' ELSE char(10) END || ?4 WHERE id = ?1",
			-1, &up, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(
			db,
			"SELECT 1 FROM conn WHERE capture_id = ?1 AND id NOT IN (SELECT id FROM prune_conn)"
			" LIMIT 1",
			-1, &left, NULL);
	if (rc != SQLITE_OK) {
		ret = store_db_err(db, rc, "prepare trim", err, errlen);
		goto out;
	}
	while ((rc = sqlite3_step(caps)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(caps, 0);
		struct digest_sum d = {0};
		sqlite3_reset(rows);
		sqlite3_bind_int64(rows, 1, id);
		if ((ret = store_reader_run(rd, rows, digest_row, &d, err, errlen)) != 0)
			goto out;
		/* rows the reader could not resolve (hostile or damaged) still count as removed */
		uint64_t n = (uint64_t)sqlite3_column_int64(caps, 1);
		char note[160], when[STORE_TS_LEN];
		if (o->has_before) {
			store_format_ts(o->before_ns, when, sizeof(when));
			snprintf(note, sizeof(note), "pruned: %" PRIu64 " connections before %s removed", n, when);
		} else {
			snprintf(note, sizeof(note), "pruned: %" PRIu64 " connections removed", n);
		}
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, id);
		sqlite3_bind_int64(up, 2, (int64_t)n);
		sqlite3_bind_int64(up, 3, (int64_t)d.digest);
		sqlite3_bind_text(up, 4, note, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(up) != SQLITE_DONE) {
			ret = store_db_err(db, sqlite3_errcode(db), "trim capture", err, errlen);
			goto out;
		}
		size_t k;
		if (is_own(own, n_own, id, &k)) {
			own[k].conns_removed = n;
			own[k].digest_removed = d.digest;
		}
		/* trimmed: it keeps some; one that keeps none goes below when its packets are old too */
		sqlite3_reset(left);
		sqlite3_bind_int64(left, 1, id);
		if (sqlite3_step(left) == SQLITE_ROW)
			res->captures_trimmed++;
	}
	if (rc != SQLITE_DONE)
		ret = store_db_err(db, rc, "trim captures", err, errlen);
out:
	sqlite3_finalize(caps);
	sqlite3_finalize(rows);
	sqlite3_finalize(up);
	sqlite3_finalize(left);
	store_reader_free(rd);
	return ret < 0 ? ret : ret ? -EIO : 0;
}

static int add_row(const struct ta_conn *c, void *ctx)
{
	return agg_add(ctx, c) < 0 ? -ENOMEM : 0;
}

static int resummarize(sqlite3 *db, struct store_inserter *in, struct store_prune_result *res, char *err, size_t errlen)
{
	struct agg *all = NULL, *keep = NULL;
	struct store_reader *rd = NULL;
	sqlite3_stmt *rows = NULL, *member = NULL;
	int ret = store_exec(db,
			     "DELETE FROM host_stats WHERE host_id IN (SELECT id FROM prune_hosts);"
			     " DELETE FROM host_failures WHERE host_id IN (SELECT id FROM prune_hosts);",
			     "clear host summaries", err, errlen);
	if (ret < 0)
		return ret;
	if ((ret = agg_new(&all)) < 0 || (ret = agg_new(&keep)) < 0 ||
	    (ret = store_reader_new(db, &rd, err, errlen)) < 0)
		goto out;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT " STORE_CONN_COLS " FROM conn c WHERE (c.client_id IN (SELECT id FROM"
				    " prune_hosts) OR c.server_id IN (SELECT id FROM prune_hosts)) AND c.capture_id IN"
				    " (SELECT id FROM captures WHERE status IN ('complete', 'cut', 'running',"
				    " 'terminated'))",
				    -1, &rows, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"SELECT 1 FROM hosts WHERE addr = ?1 AND id IN (SELECT id FROM prune_hosts)",
					-1, &member, NULL);
	if (rc != SQLITE_OK) {
		ret = store_db_err(db, rc, "prepare summary", err, errlen);
		goto out;
	}
	if ((ret = store_reader_run(rd, rows, add_row, all, err, errlen)) != 0)
		goto out;
	/* keep the entries of the hosts in prune_hosts only: their peers' summaries were not cleared */
	agg_sort(all);
	for (size_t i = 0; i < agg_count(all); i++) {
		const struct agg_host *h = agg_at(all, i);
		sqlite3_reset(member);
		sqlite3_bind_blob(member, 1, h->ip, h->family == 6 ? 16 : 4, SQLITE_TRANSIENT);
		if (sqlite3_step(member) != SQLITE_ROW)
			continue;
		struct agg_host *k = agg_get(keep, h->family, h->ip, (enum agg_role)h->role);
		if (!k) {
			ret = -ENOMEM;
			goto out;
		}
		agg_counts_merge(&k->n, &h->n);
		for (size_t f = 0; f < h->n_reasons; f++)
			agg_reason_add(k, h->reasons[f].code, h->reasons[f].count);
		res->summaries++;
	}
	ret = store_upsert_summary(in, keep, err, errlen);
out:
	sqlite3_finalize(rows);
	sqlite3_finalize(member);
	store_reader_free(rd);
	agg_free(all);
	agg_free(keep);
	if (ret == -ENOMEM)
		store_set_err(err, errlen, "out of memory");
	return ret < 0 ? ret : ret ? -ENOMEM : 0;
}

/* Shared rows nobody references (design note). */
static int drop_orphans(sqlite3 *db, struct store_prune_result *res, char *err, size_t errlen)
{
	int r;
	if ((r = exec_changes(db,
			      "DELETE FROM strings WHERE id NOT IN (SELECT sni_id FROM conn WHERE sni_id IS NOT NULL"
			      " UNION SELECT l7_id FROM conn WHERE l7_id IS NOT NULL UNION SELECT alpn_id FROM conn"
			      " WHERE alpn_id IS NOT NULL)",
			      &res->strings, "drop strings", err, errlen)) < 0 ||
	    (r = exec_changes(db,
			      "DELETE FROM client_hellos WHERE id NOT IN (SELECT hello_id FROM conn WHERE hello_id IS"
			      " NOT NULL UNION SELECT hello2_id FROM conn WHERE hello2_id IS NOT NULL)",
			      &res->client_hellos, "drop client hellos", err, errlen)) < 0 ||
	    (r = exec_changes(db,
			      "DELETE FROM server_hellos WHERE id NOT IN (SELECT server_hello_id FROM conn WHERE"
			      " server_hello_id IS NOT NULL)",
			      &res->server_hellos, "drop server hellos", err, errlen)) < 0 ||
	    (r = exec_changes(db,
			      "DELETE FROM certificates WHERE id NOT IN (SELECT cert_id FROM conn WHERE cert_id IS NOT"
			      " NULL)",
			      &res->certificates, "drop certificates", err, errlen)) < 0)
		return r;
	return exec_changes(db,
			    "DELETE FROM hosts WHERE id NOT IN (SELECT client_id FROM conn UNION SELECT server_id FROM"
			    " conn UNION SELECT host_id FROM host_stats UNION SELECT host_id FROM host_failures)",
			    &res->hosts, "drop hosts", err, errlen);
}

/* The row range the trimmed own captures have now (the writer's counters follow). */
static int own_ranges(sqlite3 *db, struct store_prune_live *own, size_t n_own, char *err, size_t errlen)
{
	if (!n_own)
		return 0;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT conn_min, conn_max FROM captures WHERE id = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_db_err(db, rc, "read capture range", err, errlen);
	for (size_t i = 0; i < n_own; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, own[i].capture_id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			own[i].conn_min = sqlite3_column_int64(st, 0);
			own[i].conn_max = sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int store_prune_db(sqlite3 *db, struct store_inserter *in, const struct store_prune_opts *o,
		   struct store_prune_live *own, size_t n_own, struct store_prune_result *res, char *err, size_t errlen)
{
	int r;
	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < n_own; i++)
		own[i].conns_removed = own[i].digest_removed = 0;
	if ((r = select_victims(db, o, own, n_own, err, errlen)) < 0 ||
	    (r = trim_captures(db, o, own, n_own, res, err, errlen)) < 0 ||
	    (r = exec_changes(db, "DELETE FROM conn WHERE id IN (SELECT id FROM prune_conn)", &res->connections,
			      "delete connections", err, errlen)) < 0)
		goto out;
	/* captures left without connections whose packets are all older than the cutoff go too */
	if (o->has_before) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(db,
					    "INSERT OR IGNORE INTO prune_cap (id) SELECT id FROM captures k WHERE"
					    " last_ns < ?1 AND id NOT IN (SELECT id FROM prune_keep) AND NOT EXISTS"
					    " (SELECT 1 FROM conn WHERE capture_id = k.id)",
					    -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, o->before_ns);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_OK) {
			r = store_db_err(db, rc, "select empty captures", err, errlen);
			goto out;
		}
		for (size_t i = 0; i < n_own; i++) {
			char sql[96];
			snprintf(sql, sizeof(sql), "DELETE FROM prune_cap WHERE id = %" PRId64, own[i].capture_id);
			if ((r = store_exec(db, sql, "prune", err, errlen)) < 0)
				goto out;
		}
	}
	if ((r = exec_changes(db, "DELETE FROM captures WHERE id IN (SELECT id FROM prune_cap)", &res->captures,
			      "delete captures", err, errlen)) < 0 ||
	    (r = resummarize(db, in, res, err, errlen)) < 0)
		goto out;
	/* another process writing: its writer remembers row ids (design note) */
	int64_t others = 0;
	if ((r = store_query_int(db, "SELECT count(*) FROM captures WHERE status IN ('reading', 'running')", &others,
				 err, errlen)) < 0)
		goto out;
	res->shared_kept = (uint64_t)others > n_own;
	if (!res->shared_kept && (r = drop_orphans(db, res, err, errlen)) < 0)
		goto out;
	r = own_ranges(db, own, n_own, err, errlen);
out:
	store_exec(db,
		   "DROP TABLE IF EXISTS temp.prune_conn; DROP TABLE IF EXISTS temp.prune_cap;"
		   " DROP TABLE IF EXISTS temp.prune_keep; DROP TABLE IF EXISTS temp.prune_hosts;",
		   "drop prune tables", NULL, 0);
	return r;
}

int store_prune(struct store *s, const struct store_prune_opts *o, struct store_prune_result *ret, char *err,
		size_t errlen)
{
	struct store_inserter *in = NULL;
	struct store_prune_result res;
	if (s->mode != STORE_RW || s->writer_active) {
		store_set_err(err, errlen, "database not open for writing");
		return -EINVAL;
	}
	int r = store_inserter_new(s->db, &in, err, errlen);
	if (r < 0)
		return r;
	if ((r = store_exec(s->db, "BEGIN IMMEDIATE", "begin prune", err, errlen)) == 0) {
		r = store_prune_db(s->db, in, o, NULL, 0, &res, err, errlen);
		/* the inserter's statements must be reset before COMMIT; freeing finalizes them */
		store_inserter_free(in);
		in = NULL;
		if (r == 0)
			r = store_exec(s->db, "COMMIT", "commit prune", err, errlen);
		if (r < 0 && !sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	store_inserter_free(in);
	if (r == 0)
		*ret = res;
	return r;
}

int store_vacuum(struct store *s, char *err, size_t errlen)
{
	if (s->mode != STORE_RW || s->writer_active) {
		store_set_err(err, errlen, "database not open for writing");
		return -EINVAL;
	}
	int r = store_exec(s->db, "VACUUM", "vacuum", err, errlen);
	if (r == 0)
		r = store_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint", err, errlen);
	return r;
}
