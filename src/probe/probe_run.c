/* probe_run.c - one endpoint, one version at a time: connect, upgrade (STARTTLS), hello, judge.
 * specification: the probe contract in include/tlsaudit/probe.h.
 *
 * Design note. Attempts to one endpoint are strictly sequential and o->delay_ms apart, one TCP connection each,
 * so a probe never floods the server it asks; parallelism is across endpoints (the caller's threads). The
 * connection budget is one atomic counter shared by every thread: an attempt that cannot take a connection from
 * it is "skipped", not made. An attempt that could not get as far as sending a hello (connect failed, upgrade
 * refused, the dialogue timed out) says nothing about versions and ends the endpoint.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "probe_internal.h"
#include "tlsaudit/starttls.h"

static void fill_random(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r < 0 && errno != EINTR) {
			/* no kernel randomness: the bytes only need to differ between attempts, never to be secret */
			for (size_t i = 0; i < n; i++)
				p[i] = (uint8_t)(probe_now_mono() >> (8 * (i % 8)));
			return;
		}
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool take_connection(atomic_uint *budget)
{
	if (!budget)
		return true;
	unsigned cur = atomic_load(budget);
	while (cur > 0)
		if (atomic_compare_exchange_weak(budget, &cur, cur - 1))
			return true;
	return false;
}

static void set_error_detail(struct probe_answer *a, const char *what, int e)
{
	int n = snprintf(a->detail, sizeof(a->detail), "%s%s%s", what, e ? ": " : "", e ? strerror(e) : "");
	a->detail_len = (uint16_t)(n < 0 ? 0 : (size_t)n >= sizeof(a->detail) ? sizeof(a->detail) - 1 : (size_t)n);
}

static uint32_t rtt_since(int64_t t0)
{
	int64_t us = (probe_now_mono() - t0) / 1000;
	return us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* One attempt. Returns true when the endpoint can go on with the next version. */
static bool attempt(const struct probe_endpoint *e, const struct probe_opts *o, uint16_t version, struct probe_judge *j,
		    struct probe_io *io, struct probe_answer *a)
{
	uint8_t rnd[PROBE_RANDOM_BYTES], hello[PROBE_HELLO_MAX], buf[16384];
	size_t hello_len = 0;
	int err = 0;

	memset(a, 0, sizeof(*a));
	a->version = version;
	a->ts_ns = probe_now_wall();
	fill_random(rnd, sizeof(rnd));
	struct probe_hello_opts ho = {
		.version = version, .sni = e->has_sni ? e->sni : NULL, .sni_len = e->sni_len, .random = rnd};
	if (probe_hello_build(&ho, hello, sizeof(hello), &hello_len) < 0) {
		a->result = PROBE_SKIPPED;
		set_error_detail(a, "hello not built", 0);
		return true;
	}
	if (!take_connection(o->budget)) {
		a->result = PROBE_SKIPPED;
		set_error_detail(a, "connection cap of this run reached", 0);
		return false;
	}
	io->deadline = probe_now_mono() + (int64_t)(o->timeout_ms ? o->timeout_ms : PROBE_DEF_TIMEOUT_MS) * 1000000;
	enum probe_io_status st = probe_io_connect(io, e, &err);
	if (st != PROBE_IO_OK) {
		probe_io_close(io);
		a->version = 0;
		a->result = PROBE_UNREACHABLE;
		set_error_detail(a, st == PROBE_IO_TIMEOUT ? "connect: timed out" : "connect", err);
		return false;
	}
	if (e->starttls) {
		enum probe_io_status ist = PROBE_IO_OK;
		const char *domain = o->ehlo ? o->ehlo : e->starttls == STARTTLS_XMPP ? e->host : "";
		enum probe_upgrade up = probe_starttls(io, e->starttls, domain, &ist, &err, a->detail,
						       sizeof(a->detail), &a->detail_len);
		if (up != PROBE_UP_OK) {
			probe_io_close(io);
			a->version = 0;
			if (up == PROBE_UP_REFUSED) {
				a->result = PROBE_STARTTLS_REFUSED;
			} else {
				a->result = ist == PROBE_IO_TIMEOUT ? PROBE_TIMEOUT
					    : ist == PROBE_IO_RESET ? PROBE_RESET
								    : PROBE_CLOSED;
				set_error_detail(a, "during the STARTTLS dialogue", ist == PROBE_IO_ERROR ? err : 0);
			}
			return false;
		}
	}
	if (probe_judge_start(j, version, hello, hello_len) < 0) {
		probe_io_close(io);
		a->result = PROBE_SKIPPED;
		set_error_detail(a, "out of memory", 0);
		return false;
	}
	enum probe_end end = PROBE_END_DEADLINE;
	int64_t t0 = probe_now_mono(); /* before the send: on loopback the answer can come before send returns */
	st = probe_io_send(io, hello, hello_len, false, &err);
	uint64_t total = 0;
	bool done = false;
	if (st == PROBE_IO_RESET)
		end = PROBE_END_RESET;
	while (st == PROBE_IO_OK && !done) {
		size_t n = 0;
		st = probe_io_recv(io, buf, sizeof(buf), &n, &err);
		if (st == PROBE_IO_OK) {
			total += n;
			done = (probe_judge_feed(j, buf, n) && !probe_judge_wants_line(j)) ||
			       total > PROBE_MAX_EXCHANGE;
		} else if (st == PROBE_IO_CLOSED) {
			end = PROBE_END_CLOSED;
		} else if (st == PROBE_IO_RESET || st == PROBE_IO_ERROR) {
			end = PROBE_END_RESET;
		}
	}
	if (st != PROBE_IO_TIMEOUT) {
		a->has_rtt = true;
		a->rtt_us = rtt_since(t0);
	}
	int64_t ts = a->ts_ns;
	probe_judge_finish(j, end, a);
	a->ts_ns = ts;
	probe_judge_done(j);
	probe_io_close(io);
	return true;
}

size_t probe_endpoint_run(const struct probe_endpoint *e, const struct probe_opts *o,
			  struct probe_answer out[PROBE_N_VERSIONS])
{
	struct probe_judge *j = malloc(sizeof(*j));
	struct probe_io *io = malloc(sizeof(*io));
	size_t n = 0;

	if (!j || !io) {
		free(j);
		free(io);
		memset(&out[0], 0, sizeof(out[0]));
		out[0].result = PROBE_SKIPPED;
		out[0].ts_ns = probe_now_wall();
		set_error_detail(&out[0], "out of memory", 0);
		return 1;
	}
	io->fd = -1;
	for (size_t i = 0; i < PROBE_N_VERSIONS; i++) {
		if (!(o->versions & (1u << i)))
			continue;
		if (n > 0 && o->delay_ms)
			sleep_ms(o->delay_ms);
		bool go_on = attempt(e, o, probe_versions[i], j, io, &out[n]);
		n++;
		if (!go_on)
			break;
	}
	free(j);
	free(io);
	return n;
}
