/* progress.c - the progress line of long reads (progress.h): counters the readers add to, one thread that
 * redraws a line on stderr (carriage return, then the text, then erase to the end of line: VT100/ECMA-48). */
#include "progress.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tlsaudit/output.h"

#define PROGRESS_FIRST_NS  1000000000ull /* nothing for reads shorter than this */
#define PROGRESS_REDRAW_NS 500000000ull

struct progress {
	_Atomic uint64_t bytes, packets, conns;
	uint64_t total_bytes;
	uint64_t start_ns;
	pthread_t thread;
	pthread_mutex_t mu; /* guards stop, shown and every write to stderr */
	pthread_cond_t cv;
	bool stop, shown;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 1234567 -> "1,234,567" */
static void fmt_count(uint64_t v, char *buf, size_t len)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o < len ? o : len - 1] = '\0';
}

static void fmt_size(uint64_t v, char *buf, size_t len)
{
	if (v >= 1000000000ull)
		snprintf(buf, len, "%.2f GB", (double)v / 1e9);
	else if (v < 1000000)
		snprintf(buf, len, "%.1f kB", (double)v / 1e3);
	else
		snprintf(buf, len, "%.1f MB", (double)v / 1e6);
}

int progress_format(const struct progress_sample *s, char *buf, size_t len)
{
	char done[32], total[32], pk[32], cn[32], pct[16] = "", eta[32] = "";
	double secs = (double)s->elapsed_ns / 1e9;
	double rate = secs > 0 ? (double)s->bytes / secs : 0;

	fmt_size(s->bytes, done, sizeof(done));
	fmt_count(s->packets, pk, sizeof(pk));
	fmt_count(s->conns, cn, sizeof(cn));
	total[0] = '\0';
	if (s->total_bytes) {
		uint64_t b = s->bytes < s->total_bytes ? s->bytes : s->total_bytes;
		char t[24];
		fmt_size(s->total_bytes, t, sizeof(t));
		snprintf(total, sizeof(total), " of %s", t);
		snprintf(pct, sizeof(pct), " (%u%%)", (unsigned)(b * 100.0 / (double)s->total_bytes));
		if (rate > 0) {
			uint64_t left = (uint64_t)((double)(s->total_bytes - b) / rate + 0.5);
			if (left >= 3600)
				snprintf(eta, sizeof(eta), ", ETA %" PRIu64 ":%02u:%02u", left / 3600,
					 (unsigned)(left / 60 % 60), (unsigned)(left % 60));
			else
				snprintf(eta, sizeof(eta), ", ETA %u:%02u", (unsigned)(left / 60),
					 (unsigned)(left % 60));
		}
	}
	return snprintf(buf, len, "%s%s%s, %s packets, %s TLS connections, %.1f MB/s%s", done, total, pct, pk, cn,
			rate / 1e6, eta);
}

static void draw(struct progress *p)
{
	char line[256];
	struct progress_sample s = {
		.bytes = atomic_load_explicit(&p->bytes, memory_order_relaxed),
		.total_bytes = p->total_bytes,
		.packets = atomic_load_explicit(&p->packets, memory_order_relaxed),
		.conns = atomic_load_explicit(&p->conns, memory_order_relaxed),
		.elapsed_ns = now_ns() - p->start_ns,
	};
	progress_format(&s, line, sizeof(line));
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->shown = true;
}

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	uint64_t next = p->start_ns + PROGRESS_FIRST_NS;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct timespec ts = {.tv_sec = (time_t)(next / 1000000000ull),
				      .tv_nsec = (long)(next % 1000000000ull)};
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (p->stop || now_ns() < next)
			continue;
		draw(p);
		next = now_ns() + PROGRESS_REDRAW_NS;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void progress_start(uint64_t total_bytes, struct progress **ret)
{
	struct progress *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;

	*ret = NULL;
	if (!p)
		return;
	p->total_bytes = total_bytes;
	p->start_ns = now_ns();
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&p->thread, NULL, progress_main, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return;
	}
	*ret = p;
}

void progress_add(struct progress *p, uint64_t bytes, uint64_t packets, uint64_t conns)
{
	if (!p)
		return;
	atomic_fetch_add_explicit(&p->bytes, bytes, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->packets, packets, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->conns, conns, memory_order_relaxed);
}

void progress_message(struct progress *p, const char *fmt, ...)
{
	if (p) {
		pthread_mutex_lock(&p->mu);
		if (p->shown)
			fputs("\r\033[K", stderr);
	}
	/* file names and messages that carry them come from the user's directory or from an input */
	va_list ap;
	va_start(ap, fmt);
	out_term_vline(stderr, fmt, ap);
	va_end(ap);
	if (p) {
		if (p->shown)
			draw(p);
		pthread_mutex_unlock(&p->mu);
	}
}

void progress_stop(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
