/* store_util.c - small helpers of the store: errors, values, the owning process of a capture, row digests. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlsaudit/dict.h"
#include "store_internal.h"

/* ---- errors ---- */

void store_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int store_map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: return -EACCES;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_MISMATCH: return -EINVAL;
	case SQLITE_CONSTRAINT: return -EEXIST;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_TOOBIG: return -E2BIG;
	case SQLITE_INTERRUPT: return -ETIMEDOUT;
	default: return -EIO;
	}
}

int store_db_err(sqlite3 *db, int rc, const char *what, char *err, size_t errlen)
{
	if ((rc & 0xff) == SQLITE_NOTADB)
		store_set_err(err, errlen, "%s: not a database (%s)", what,
			      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	else if ((rc & 0xff) == SQLITE_INTERRUPT)
		store_set_err(err, errlen, "%s: the query took too long (the database is hostile or damaged)", what);
	else
		store_set_err(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return store_map_rc(rc);
}

int store_exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_db_err(db, rc, what, err, errlen);
}

int store_query_int(sqlite3 *db, const char *sql, int64_t *ret, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*ret = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*ret = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : store_db_err(db, rc, sql, err, errlen);
}

/* ---- values ---- */

void store_format_ts(int64_t ns, char *buf, size_t len)
{
	int64_t frac = ns % 1000000000;
	int64_t sec = ns / 1000000000;
	struct tm tm;

	if (frac < 0) {
		frac += 1000000000;
		sec -= 1;
	}
	time_t t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "%" PRId64 "ns", ns);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(frac / 1000));
}

void store_format_s(int64_t sec, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)sec;

	if ((int64_t)t != sec || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "%" PRId64 "s", sec);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

void store_now_ts(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	store_format_ts((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, buf, len);
}

/* Well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF) and no NUL byte. */
bool store_utf8_text_ok(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t n;
		uint32_t cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n > len - i - 1)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

void store_bind_wire_text(sqlite3_stmt *st, int i, const char *s, size_t n)
{
	if (store_utf8_text_ok((const uint8_t *)s, n))
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_blob(st, i, s, (int)n, SQLITE_TRANSIENT);
}

void store_sha256_hex(const uint8_t h[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[64] = '\0';
}

void store_col_text(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

bool store_sha256_parse(const char *t, size_t n, uint8_t out[32])
{
	if (!t || n != 64)
		return false;
	for (size_t i = 0; i < 32; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char ch = t[2 * i + (size_t)k];
			unsigned d = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
				     : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
							      : 16u;
			if (d > 15)
				return false;
			v = v << 4 | d;
		}
		out[i] = (uint8_t)v;
	}
	return true;
}

/* ---- the process that owns a capture row ---- */

static void read_boot_id(char boot[40])
{
	FILE *fp = fopen("/proc/sys/kernel/random/boot_id", "re");
	boot[0] = '\0';
	if (!fp)
		return;
	if (!fgets(boot, 40, fp))
		boot[0] = '\0';
	fclose(fp);
	boot[strcspn(boot, "\n")] = '\0';
}

/* field 22 of /proc/PID/stat: start time in clock ticks after boot; 0 if unknown */
static int64_t proc_start(int64_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%" PRId64 "/stat", pid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p + 1, ' ');
	}
	if (!p)
		return 0;
	return strtoll(p + 1, NULL, 10);
}

void store_owner_self(int64_t *ret_pid, int64_t *ret_start, char boot[40])
{
	*ret_pid = (int64_t)getpid();
	*ret_start = proc_start(*ret_pid);
	read_boot_id(boot);
}

bool store_owner_alive(int64_t pid, int64_t start, const char *boot)
{
	char now[40];
	read_boot_id(now);
	if (pid <= 0 || pid > INT32_MAX || strcmp(now, boot) != 0)
		return false;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	return proc_start(pid) == start; /* a recycled pid has another start time */
}

/* ---- row digests ---- */

static uint64_t dmix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 29);
}

static uint64_t dbytes(uint64_t h, const uint8_t *p, size_t n)
{
	h = dmix(h, n);
	for (size_t i = 0; i < n; i++)
		h = dmix(h, p[i]);
	return h;
}

static uint64_t dentry(uint64_t h, const void *entry)
{
	const struct dict_entry *e = entry;
	return e ? dmix(h, e->key_digest) : dmix(h, 0xfe);
}

/* A fixed-key hash of everything a row stores: the same record gives the same digest in every process. */
uint64_t store_row_digest(const struct ta_conn *c)
{
	uint64_t h = 0x54415341ULL;
	h = dmix(h, c->seq);
	h = dmix(h, (uint64_t)c->ts_ns);
	h = dmix(h, (uint64_t)c->last_ns);
	h = dmix(h, c->family);
	h = dbytes(h, c->client_ip, 16);
	h = dbytes(h, c->server_ip, 16);
	h = dmix(h, (uint64_t)c->client_port << 16 | c->server_port);
	h = dentry(h, c->hello);
	h = dentry(h, c->hello2);
	h = dentry(h, c->server);
	h = c->cert ? dbytes(h, c->cert->info.sha256, 32) : dmix(h, 0xfe);
	h = dentry(h, c->sni);
	h = dentry(h, c->alpn);
	h = dentry(h, c->l7);
	h = dmix(h, c->negotiated_version);
	h = dmix(h, c->has_cipher ? c->cipher : 0x1000000u);
	h = dmix(h, c->cipher_sslv2);
	h = dmix(h, c->has_alert ? (uint64_t)c->alert_sender << 16 | (uint64_t)c->alert_level << 8 | c->alert_desc
				 : 1u << 24);
	h = dmix(h, (uint64_t)c->outcome << 8 | (uint64_t)c->starttls);
	h = dmix(h, (uint64_t)c->established | (uint64_t)c->resumed << 1 | (uint64_t)c->hello_retry_request << 2 |
			    (uint64_t)c->cert_expired << 3 | (uint64_t)c->ndpi_ja3_from << 4);
	h = dmix(h, c->flags);
	h = dmix(h, c->anomalies);
	h = dmix(h, c->risks);
	h = dmix(h, c->kx_group);
	h = dmix(h, c->cert_chain_len);
	h = dmix(h, c->pkts[0]);
	h = dmix(h, c->pkts[1]);
	h = dmix(h, c->bytes[0]);
	h = dmix(h, c->bytes[1]);
	h = dmix(h, c->dup_frames);
	return h;
}
