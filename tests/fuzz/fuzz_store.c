/* fuzz_store.c - fuzz target: the store's handling of a foreign database (include/tlsaudit/store.h
 * STORE_FOREIGN). The input is the bytes of an SQLite file (seeds: a real small database made from samples/ by
 * tests/fuzz/make_store_seed.sh). It is opened the way merge opens an input (read-only, defensive, exact schema
 * check) and read the way merge and report read it: the capture list, every record, the report's facts rendered
 * in every format, and then a real merge into an output database. SQLite itself is Debian's (not instrumented);
 * what is measured is our side: the schema check, the record reader (store_read.c), merge identity and the
 * report's loading and escaping of whatever the file holds. The input is opened once (SQLite parses its schema
 * on open: the costliest step of an execution) and the same handle is read and merged (store_merge_from).
 *
 * Under AddressSanitizer SQLite's own allocations (some ten thousand per execution) go to glibc's allocator
 * through SQLITE_CONFIG_MALLOC instead of ASan's (its stack traces and quarantine were a third of an
 * execution), with the checks our code needs kept by hand: the bytes before and after every block SQLite hands
 * out are poisoned, and a freed block stays poisoned until glibc gives it out again, so reading past a column's
 * text or a finalized statement's row is still caught. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tlsaudit/merge.h"
#include "tlsaudit/report.h"
#include "tlsaudit/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#endif

#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>

void *__libc_malloc(size_t n); /* glibc's allocator, behind ASan's interceptors */
void __libc_free(void *p);

#define SQL_HEAD 16 /* the block's size, before it (keeps SQLite's 8-byte alignment) */
#define SQL_TAIL 32 /* poisoned bytes after it */

static int sql_size(void *p)
{
	if (!p)
		return 0;
	uint8_t *h = (uint8_t *)p - SQL_HEAD;
	ASAN_UNPOISON_MEMORY_REGION(h, sizeof(int));
	int n;
	memcpy(&n, h, sizeof(n));
	ASAN_POISON_MEMORY_REGION(h, SQL_HEAD);
	return n;
}

static void *sql_malloc(int n)
{
	if (n <= 0)
		return NULL;
	size_t full = SQL_HEAD + (size_t)n + SQL_TAIL;
	uint8_t *h = __libc_malloc(full);
	if (!h)
		return NULL;
	ASAN_UNPOISON_MEMORY_REGION(h, full);
	memcpy(h, &n, sizeof(n));
	ASAN_POISON_MEMORY_REGION(h, SQL_HEAD);
	ASAN_POISON_MEMORY_REGION(h + SQL_HEAD + n, SQL_TAIL);
	return h + SQL_HEAD;
}

static void sql_free(void *p)
{
	if (!p)
		return;
	int n = sql_size(p);
	uint8_t *h = (uint8_t *)p - SQL_HEAD;
	ASAN_POISON_MEMORY_REGION(h, SQL_HEAD + (size_t)n + SQL_TAIL);
	__libc_free(h);
}

static void *sql_realloc(void *p, int n)
{
	void *q = sql_malloc(n);
	if (q && p) {
		int old = sql_size(p);
		memcpy(q, p, (size_t)(old < n ? old : n));
		sql_free(p);
	}
	return q;
}

static int sql_roundup(int n)
{
	return n > INT32_MAX - 7 ? n : (n + 7) & ~7;
}

static int sql_init(void *ctx)
{
	(void)ctx;
	return SQLITE_OK;
}

static void sql_shutdown(void *ctx)
{
	(void)ctx;
}

static void sql_allocator(void)
{
	static const sqlite3_mem_methods m = {sql_malloc,  sql_free, sql_realloc,  sql_size,
					      sql_roundup, sql_init, sql_shutdown, NULL};
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
		abort(); /* SQLite was used before: the checks above would not hold */
}
#else
static void sql_allocator(void) {}
#endif

#define OUT_RESET 512 /* inputs merged into one output database before it is made again */

static char dir[256], in_path[300], out_path[300];
static struct store *out;
static unsigned merged;

static void unlink_db(const char *path)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[320];
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

static void cleanup(void)
{
	store_close(out);
	out = NULL;
	unlink_db(in_path);
	unlink_db(out_path);
	rmdir(dir);
}

static int setup(void)
{
	if (dir[0])
		return 0;
	sql_allocator(); /* before SQLite's first use */
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/tlsaudit-fuzz-store.%ld", base, (long)getpid());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	snprintf(in_path, sizeof(in_path), "%s/in.db", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.db", dir);
	atexit(cleanup);
	return 0;
}

static int count_record(const struct ta_conn *r, void *ctx)
{
	(*(uint64_t *)ctx) += r->client_port;
	return 0;
}

static int count_capture(const struct store_capture_row *c, void *ctx)
{
	(*(uint64_t *)ctx) += c->connections;
	return 0;
}

/* what report, diff and export do with a database, on the foreign handle */
static void read_like_report(struct store *s)
{
	char err[512];
	uint64_t sink = 0;
	(void)store_foreach_capture(s, false, count_capture, &sink, err, sizeof(err));
	(void)store_foreach_record(s, 0, count_record, &sink, err, sizeof(err));
	struct rep_query q = {.min_level = 0x0303};
	struct rep_data *d = NULL;
	if (report_load(s, &q, &d, err, sizeof(err)) < 0)
		return;
	struct rep_policy pol;
	report_policy_default(&pol);
	report_evaluate(d, &pol);
	struct rep_render colored = {.color = true};
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		for (int f = 0; f < REP_FMT_COUNT_; f++)
			(void)report_write(null, (enum rep_format)f, d, NULL);
		(void)report_write(null, REP_FMT_TEXT, d, &colored);
		struct rep_diff *df = NULL;
		if (report_diff_build(d, d, &df) == 0) {
			(void)report_diff_write(null, REP_FMT_TEXT, df, NULL);
			report_diff_free(df);
		}
		fclose(null);
	}
	report_data_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	if (setup() < 0)
		return 0;
	unlink_db(in_path);
	int fd = open(in_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return 0;
	ssize_t w = size ? write(fd, data, size) : 0;
	close(fd);
	if (w != (ssize_t)size)
		return 0;

	/* one foreign open, as merge makes it: read the way report reads, then merged */
	struct store *in = NULL;
	if (store_open(in_path, STORE_FOREIGN, &in, err, sizeof(err)) < 0)
		return 0;
	read_like_report(in);
	if (!out || merged >= OUT_RESET) {
		store_close(out);
		out = NULL;
		unlink_db(out_path);
		merged = 0;
		if (store_open(out_path, STORE_RW, &out, err, sizeof(err)) < 0) {
			store_close(in);
			return 0;
		}
	}
	struct merge_stats ms = {0};
	(void)store_merge_from(out, in, &ms, err, sizeof(err));
	store_close(in);
	merged++;
	return 0;
}
