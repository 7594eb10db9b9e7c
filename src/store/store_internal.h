/* store_internal.h - what the store's own source files share (never included
 * outside src/store: <sqlite3.h> stays behind the store's contract). */
#ifndef TLSAUDIT_STORE_INTERNAL_H
#define TLSAUDIT_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "tlsaudit/store.h"

/* Per-host-per-role aggregation over the rows of CTE r (family, ip, role, ...). */
#define R_COLS                                                                                       \
	"established, outcome, alert, negotiated_version, negotiated_version_id, negotiated_level, " \
	"client_max_level, ts_ns, last_ns"
#define SUMMARY_TAIL                                                                                 \
	"agg AS (SELECT family, ip, role, count(*) AS connections, sum(established) AS established," \
	" sum(outcome <> 'established') AS failed, max(client_max_level) AS max_offered,"            \
	" min(negotiated_level) AS min_negotiated, max(negotiated_level) AS max_negotiated,"         \
	" min(ts_ns) AS first_ns, max(last_ns) AS last_ns FROM r GROUP BY family, ip, role),"        \
	"vc AS (SELECT family, ip, role, coalesce(min(negotiated_version), 'none') AS v,"            \
	" coalesce(negotiated_version_id, -1) AS k, count(*) AS n FROM r"                            \
	" GROUP BY family, ip, role, negotiated_version_id),"                                        \
	"vs AS (SELECT family, ip, role, group_concat(v || ' x' || n, ', ') AS versions"             \
	" FROM (SELECT * FROM vc ORDER BY family, ip, role, k) GROUP BY family, ip, role),"          \
	"fc AS (SELECT family, ip, role,"                                                            \
	" CASE WHEN outcome = 'alert' AND alert IS NOT NULL THEN alert ELSE outcome END AS f,"       \
	" count(*) AS n FROM r WHERE outcome <> 'established' GROUP BY 1, 2, 3, 4),"                 \
	"fs AS (SELECT family, ip, role, group_concat(f || ' x' || n, ', ') AS failures"             \
	" FROM (SELECT * FROM fc ORDER BY family, ip, role, n DESC, f) GROUP BY family, ip, role) "  \
	"SELECT agg.family, agg.ip, agg.role, agg.connections, agg.established, agg.failed,"         \
	" agg.max_offered, agg.min_negotiated, agg.max_negotiated, vs.versions,"                     \
	" coalesce(fs.failures, ''), agg.first_ns, agg.last_ns"                                      \
	" FROM agg JOIN vs USING (family, ip, role) LEFT JOIN fs USING (family, ip, role)"

#define SUMMARY_COLS                                                                                       \
	"family, ip, role, connections, established, failed, max_offered, min_negotiated, max_negotiated," \
	" versions, failures, first_ns, last_ns"

/* The SQL of migration step from -> from + 1 (static), NULL past the last; for tests that build an
 * old-version database. */
const char *store_migration_sql(size_t from);
/* The open connection (borrowed): for queries in the store's other files. */
sqlite3 *store_db(struct store *s);
/* printf into a caller's error buffer (NULL/0 accepted). */
__attribute__((format(printf, 3, 4))) void store_set_err(char *err, size_t errlen, const char *fmt, ...);
/* SQLite result code -> negative errno-style code. */
int store_map_rc(int rc);
/* "what: sqlite message" into err; returns store_map_rc(rc). */
int store_db_err(sqlite3 *db, int rc, const char *what, char *err, size_t errlen);
/* Recompute the host_summary rows of every host that capture_id's connections touch (both roles, whole
 * database); runs inside the caller's transaction if one is open. */
int store_summary_refresh(struct store *s, int64_t capture_id, char *err, size_t errlen);

#endif
