/* probe_internal.h - what the probe library's files share: the judge over our TLS stage, the socket of one
 * attempt with its deadline and transcript, and the STARTTLS client dialogues. Never included outside
 * src/probe. */
#ifndef TLSAUDIT_PROBE_INTERNAL_H
#define TLSAUDIT_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/probe.h"
#include "tlsaudit/tls.h"

#define PROBE_RX_BUF	   (64 * 1024)	/* server bytes held while the TLS stage wants more of a record */
#define PROBE_TRANSCRIPT   4096		/* plaintext bytes kept per side of a STARTTLS dialogue */
#define PROBE_MAX_EXCHANGE (256 * 1024) /* server bytes read in one attempt before it counts as not TLS */

/* ---- the judge (probe_judge.c): server bytes through our TLS stage until they decide ---- */

struct probe_judge {
	struct tls_conn *tls; /* owned */
	uint16_t version;     /* tried */
	uint8_t pend[PROBE_RX_BUF];
	size_t pend_len;       /* bytes the TLS stage left for more to be appended */
	uint64_t server_bytes; /* every server byte seen */
	uint8_t first[128];    /* the first server bytes, for a non-TLS answer's first line */
	size_t first_len;
	bool decided;
};

/* Start judging an attempt whose client sent hello (borrowed for the call). Returns 0 or -ENOMEM. */
int probe_judge_start(struct probe_judge *j, uint16_t version, const uint8_t *hello, size_t len);
/* Feed server bytes (borrowed); returns true once the answer is decided (then a->... can be filled). */
bool probe_judge_feed(struct probe_judge *j, const uint8_t *data, size_t len);
/* Decided "not TLS", but the first line of the server's answer (its detail) is not complete yet. */
bool probe_judge_wants_line(const struct probe_judge *j);
/* The verdict: decided, or how the connection ended when not. */
void probe_judge_finish(struct probe_judge *j, enum probe_end end, struct probe_answer *a);
void probe_judge_done(struct probe_judge *j);

/* ---- one attempt's socket (probe_io.c) ---- */

struct probe_io {
	int fd;
	int64_t deadline; /* CLOCK_MONOTONIC ns */
	/* the plaintext dialogue so far (STARTTLS): what each side sent, capped at PROBE_TRANSCRIPT */
	uint8_t client[PROBE_TRANSCRIPT], server[PROBE_TRANSCRIPT];
	size_t client_len, server_len;
	size_t server_seen; /* server bytes read (beyond the cap too) */
};

enum probe_io_status {
	PROBE_IO_OK = 0,
	PROBE_IO_CLOSED,  /* the peer closed */
	PROBE_IO_RESET,	  /* the peer reset */
	PROBE_IO_TIMEOUT, /* the deadline passed */
	PROBE_IO_ERROR,	  /* another socket error (errno kept in *ret_errno) */
};

int64_t probe_now_mono(void);
int64_t probe_now_wall(void);
/* Connect to e within the deadline. Returns PROBE_IO_OK, PROBE_IO_TIMEOUT or PROBE_IO_ERROR (*ret_errno). */
enum probe_io_status probe_io_connect(struct probe_io *io, const struct probe_endpoint *e, int *ret_errno);
void probe_io_close(struct probe_io *io);
/* Send all of data (plaintext dialogue bytes are also kept in the transcript when record is true). */
enum probe_io_status probe_io_send(struct probe_io *io, const void *data, size_t len, bool record, int *ret_errno);
/* Wait for and read some bytes into buf[cap] (*ret_n > 0 on PROBE_IO_OK). */
enum probe_io_status probe_io_recv(struct probe_io *io, uint8_t *buf, size_t cap, size_t *ret_n, int *ret_errno);
/* Read plaintext into the server transcript until done(io, ctx) says the awaited answer is complete. */
enum probe_io_status probe_io_await(struct probe_io *io, bool (*done)(const struct probe_io *io, void *ctx), void *ctx,
				    int *ret_errno);
/* The local address of the connection as an SMTP address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]"). */
void probe_io_local_literal(const struct probe_io *io, char *buf, size_t len);

/* ---- STARTTLS in the client role (probe_starttls.c) ---- */

enum probe_upgrade {
	PROBE_UP_OK = 0,  /* the server agreed: TLS starts now */
	PROBE_UP_REFUSED, /* the server said no (or is not speaking the protocol): answer in detail */
	PROBE_UP_IO,	  /* the connection failed or timed out during the dialogue (*ret_io says how) */
};

/* Run the dialogue of proto (enum starttls_proto) on io. domain: the name for EHLO/XMPP ("" = local address
 * literal / the endpoint host). On PROBE_UP_REFUSED, detail gets the server's answer (raw bytes). */
enum probe_upgrade probe_starttls(struct probe_io *io, unsigned proto, const char *domain, enum probe_io_status *ret_io,
				  int *ret_errno, char *detail, size_t detail_cap, uint16_t *ret_detail_len);

/* Copy the first line of p[0..n) (without CR LF, at most cap - 1 bytes) into dst, NUL-terminated. */
uint16_t probe_first_line(const uint8_t *p, size_t n, char *dst, size_t cap);

#endif
