/* test_prune_writer.c - retention through the writer thread (store_queue_prune), as `capture --retention` runs
 * it: a live capture that loses its oldest connections mid-run must end exactly like a capture that never had
 * them - same connections count and rows digest (the merge identity), same per-host summary, same shared rows
 * - and the database must pass integrity_check and foreign_key_check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../check.h"
#include "tlsaudit/agg.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/record.h"
#include "tlsaudit/store.h"

#define T0  1700000000000000000LL /* 2023-11-14T22:13:20Z */
#define SEC 1000000000LL

static char err[512];

static void conn_of(struct dict *d, int i, struct ta_conn *c)
{
	char sni[32];
	memset(c, 0, sizeof(*c));
	c->seq = (uint64_t)i;
	c->ts_ns = T0 + i * SEC;
	c->last_ns = c->ts_ns + SEC / 10;
	c->family = 4;
	c->client_ip[0] = 10, c->client_ip[3] = (uint8_t)i; /* one client per connection */
	c->server_ip[0] = 10, c->server_ip[2] = 1, c->server_ip[3] = 1;
	c->client_port = (uint16_t)(50000 + i);
	c->server_port = 443;
	snprintf(sni, sizeof(sni), i < 5 ? "old%d.example" : "keep.example", i);
	c->sni = dict_str_get(d, DICT_STR_SNI, sni, strlen(sni));
	c->negotiated_version = i % 2 ? 0x0303 : 0x0301;
	c->has_cipher = true;
	c->cipher = 0xc02f;
	c->established = i % 3 != 0;
	c->outcome = c->established ? OUT_ESTABLISHED : OUT_RESET;
	c->pkts[0] = 5, c->pkts[1] = 4;
	c->bytes[0] = 300 + (uint64_t)i, c->bytes[1] = 1300;
}

/* Write connections [first, n) as one live capture; with prune_at > 0, prune everything before T0 + prune_at s
 * once the connections below prune_at + 3 are in. */
static int write_live(const char *path, int first, int n, int prune_at, struct store_prune_result *pres)
{
	struct store *s = NULL;
	struct store_writer *w = NULL;
	struct store_queue *q = NULL;
	struct dict *d = NULL;
	struct store_capture *cap = calloc(1, sizeof(*cap));
	struct store_writer_opts wo = {.commit_ms = 50, .live_summaries = true};
	int r = cap ? dict_new(NULL, 1 << 20, &d) : -1;

	if (r == 0)
		r = store_open(path, STORE_RW, &s, err, sizeof(err));
	if (r == 0)
		r = store_writer_start(s, &wo, &w, err, sizeof(err));
	if (r == 0)
		r = store_queue_new(w, d, &q);
	if (r == 0) {
		snprintf(cap->path, sizeof(cap->path), "eth0");
		snprintf(cap->sensor, sizeof(cap->sensor), "sensor1");
		snprintf(cap->format, sizeof(cap->format), "live");
		snprintf(cap->status, sizeof(cap->status), "running");
		r = store_queue_capture_begin(q, cap);
	}
	for (int i = first; r == 0 && i < n; i++) {
		struct ta_conn c;
		conn_of(d, i, &c);
		r = store_queue_conn(q, &c);
		dict_conn_unref(d, &c);
		if (r == 0 && i % 4 == 3)
			r = store_queue_capture_progress(q, cap, true); /* live summaries merged as the sensor does */
		if (r == 0 && prune_at && i == prune_at + 3) {
			struct store_prune_opts po = {.has_before = true, .before_ns = T0 + prune_at * SEC};
			r = store_queue_prune(q, &po, pres, err, sizeof(err));
		}
	}
	if (r == 0) {
		struct store_capture_result res;
		snprintf(cap->status, sizeof(cap->status), "complete");
		cap->facts.have_time = true;
		cap->facts.first_ns = T0;
		cap->facts.last_ns = T0 + n * SEC;
		r = store_queue_capture_end(q, cap, &res, err, sizeof(err));
		CHECK(r == 0 && res.conns == (uint64_t)(n - (prune_at ? prune_at : first)));
		agg_free(res.summary);
	}
	store_queue_free(q);
	int r2 = w ? store_writer_stop(w, err, sizeof(err)) : 0;
	if (r == 0 && r2 == 0)
		r = store_check(s, err, sizeof(err));
	store_close(s);
	dict_free(d);
	free(cap);
	return r ? r : r2;
}

/* the text of every row of a query, for comparing two databases */
static char *rows_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(st); i++)
				fprintf(fp, "%s|",
					sqlite3_column_text(st, i) ? (const char *)sqlite3_column_text(st, i) : "");
			fputc('\n', fp);
		}
	else
		fprintf(fp, "error: %s\n", db ? sqlite3_errmsg(db) : "open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	fclose(fp);
	return buf;
}

static void same(const char *a, const char *b, const char *sql)
{
	char *x = rows_text(a, sql), *y = rows_text(b, sql);
	checks++;
	if (strcmp(x, y) != 0) {
		failures++;
		fprintf(stderr, "differs: %s\n--- pruned:\n%s--- reference:\n%s", sql, x, y);
	}
	free(x);
	free(y);
}

int main(void)
{
	char dir[] = "/tmp/tlsaudit-prune-XXXXXX", pa[300], pb[300];
	if (!mkdtemp(dir))
		return 1;
	snprintf(pa, sizeof(pa), "%s/pruned.db", dir);
	snprintf(pb, sizeof(pb), "%s/reference.db", dir);

	struct store_prune_result res;
	memset(&res, 0, sizeof(res));
	int r = write_live(pa, 0, 12, 5, &res);
	if (r)
		fprintf(stderr, "pruned run: %d %s\n", r, err);
	CHECK(r == 0);
	CHECK_EQ(res.connections, 5);
	CHECK_EQ(res.captures, 0); /* the live capture is trimmed, never deleted */
	CHECK_EQ(res.captures_trimmed, 1);
	CHECK_EQ(res.strings, 5); /* old0..old4.example */
	CHECK_EQ(res.hosts, 5);	  /* their clients */
	CHECK(!res.shared_kept);
	r = write_live(pb, 5, 12, 0, &res);
	CHECK(r == 0);

	same(pa, pb, "SELECT connections, rows_digest, status FROM captures");
	same(pa, pb, "SELECT count(*) FROM conn");
	same(pa, pb, "SELECT * FROM host_summary ORDER BY ip, role");
	same(pa, pb, "SELECT kind, value FROM strings ORDER BY kind, value");
	same(pa, pb, "SELECT ip FROM hosts ORDER BY ip");
	same(pa, pb,
	     "SELECT seq, ts_ns, client_port, version, outcome, state, pkts_c2s, bytes_c2s FROM conn ORDER BY seq");
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	printf("prune-writer: %d/%d checks passed\n", checks - failures, checks);
	return failures ? 1 : 0;
}
