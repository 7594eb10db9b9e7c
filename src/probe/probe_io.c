/* probe_io.c - the TCP socket of one probe attempt: non-blocking connect, send and receive, each bounded by the
 * attempt's deadline. specification: POSIX connect(2)/poll(2) (EINPROGRESS, SO_ERROR), RFC 5321 4.1.3 (address
 * literals for EHLO).
 *
 * Design note. Every wait is a poll() on one descriptor against one monotonic deadline, so an attempt can never
 * take longer than its timeout whatever the server does (trickling bytes, never answering, a full receive
 * window). Signals: MSG_NOSIGNAL on every send, so a reset peer is an answer, not a SIGPIPE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe_internal.h"

int64_t probe_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t probe_now_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* poll() for events until the deadline: 1 ready, 0 deadline passed, -1 error (errno) */
static int wait_for(struct probe_io *io, short events)
{
	for (;;) {
		int64_t left = io->deadline - probe_now_mono();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = io->fd, .events = events};
		int ms = (int)((left + 999999) / 1000000);
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

enum probe_io_status probe_io_connect(struct probe_io *io, const struct probe_endpoint *e, int *ret_errno)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	memset(&ss, 0, sizeof(ss));
	if (e->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(e->port);
		memcpy(&s6->sin6_addr, e->addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(e->port);
		memcpy(&s4->sin_addr, e->addr, 4);
		sl = sizeof(*s4);
	}
	io->client_len = io->server_len = io->server_seen = 0;
	io->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (io->fd < 0) {
		*ret_errno = errno;
		return PROBE_IO_ERROR;
	}
	int one = 1;
	(void)setsockopt(io->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* each hello is one write */
	if (connect(io->fd, (struct sockaddr *)&ss, sl) == 0)
		return PROBE_IO_OK;
	if (errno != EINPROGRESS) {
		*ret_errno = errno;
		return PROBE_IO_ERROR;
	}
	int w = wait_for(io, POLLOUT);
	if (w == 0)
		return PROBE_IO_TIMEOUT;
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (w < 0 || getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
		*ret_errno = errno;
		return PROBE_IO_ERROR;
	}
	if (soerr) {
		*ret_errno = soerr;
		return PROBE_IO_ERROR;
	}
	return PROBE_IO_OK;
}

void probe_io_close(struct probe_io *io)
{
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
}

static enum probe_io_status err_status(int e, int *ret_errno)
{
	*ret_errno = e;
	if (e == ECONNRESET || e == EPIPE)
		return PROBE_IO_RESET;
	return PROBE_IO_ERROR;
}

enum probe_io_status probe_io_send(struct probe_io *io, const void *data, size_t len, bool record, int *ret_errno)
{
	const uint8_t *p = data;
	if (record) {
		size_t keep = sizeof(io->client) - io->client_len;
		if (keep > len)
			keep = len;
		memcpy(io->client + io->client_len, p, keep);
		io->client_len += keep;
	}
	while (len > 0) {
		ssize_t n = send(io->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = wait_for(io, POLLOUT);
			if (w == 0)
				return PROBE_IO_TIMEOUT;
			if (w < 0)
				return err_status(errno, ret_errno);
			continue;
		}
		return err_status(n < 0 ? errno : EPIPE, ret_errno);
	}
	return PROBE_IO_OK;
}

enum probe_io_status probe_io_recv(struct probe_io *io, uint8_t *buf, size_t cap, size_t *ret_n, int *ret_errno)
{
	for (;;) {
		ssize_t n = recv(io->fd, buf, cap, 0);
		if (n > 0) {
			*ret_n = (size_t)n;
			return PROBE_IO_OK;
		}
		if (n == 0)
			return PROBE_IO_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return err_status(errno, ret_errno);
		int w = wait_for(io, POLLIN);
		if (w == 0)
			return PROBE_IO_TIMEOUT;
		if (w < 0)
			return err_status(errno, ret_errno);
	}
}

enum probe_io_status probe_io_await(struct probe_io *io, bool (*done)(const struct probe_io *io, void *ctx), void *ctx,
				    int *ret_errno)
{
	uint8_t buf[2048];
	while (!done(io, ctx)) {
		if (io->server_seen >= PROBE_TRANSCRIPT)
			return PROBE_IO_CLOSED; /* a dialogue answer never needs this much: the peer talks nonsense */
		size_t n = 0;
		size_t want = sizeof(buf);
		/* read only what the transcript holds, so the bytes after the answer (none, in a dialogue that
		 * follows the protocol) are not lost to the TLS stage */
		if (want > PROBE_TRANSCRIPT - io->server_len)
			want = PROBE_TRANSCRIPT - io->server_len;
		enum probe_io_status st = probe_io_recv(io, buf, want, &n, ret_errno);
		if (st != PROBE_IO_OK)
			return st;
		memcpy(io->server + io->server_len, buf, n);
		io->server_len += n;
		io->server_seen += n;
	}
	return PROBE_IO_OK;
}

void probe_io_local_literal(const struct probe_io *io, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];

	snprintf(buf, len, "[127.0.0.1]");
	if (getsockname(io->fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip)))
		snprintf(buf, len, "[IPv6:%s]", ip);
	else if (ss.ss_family == AF_INET && inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip)))
		snprintf(buf, len, "[%s]", ip);
}
