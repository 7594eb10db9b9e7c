/* probe_starttls.c - the STARTTLS dialogues of `tlsaudit probe`, in the client role.
 * specification: RFC 3207 (SMTP STARTTLS), RFC 5321 4.1.1.1 + 4.2 (EHLO, replies), RFC 3501 6.2.1 (IMAP
 * STARTTLS), RFC 2595 4 (POP3 STLS), RFC 4217 4 (FTP AUTH TLS), RFC 4511 4.14 (LDAP StartTLS extended
 * operation), RFC 6120 4.2 + 5.4 (XMPP stream header, <starttls/>), PostgreSQL protocol 53.2.9 (SSLRequest),
 * MySQL Protocol::HandshakeV10 + Protocol::SSLRequest.
 *
 * Design note. This file only drives the dialogue: it sends each command and waits until the server's answer
 * is complete (a final numeric reply, a status line, a tagged line, a BER message, an XML element, a packet).
 * Whether the upgrade was accepted is decided by the same detector that reads captures (starttls_detect,
 * starttls.h) over the transcript of both sides, so a dialogue judged here and one seen on the wire can never
 * disagree about what a "220" or a "-ERR" means, and the protocol names are the names module's. A refused
 * upgrade is a result (PROBE_UP_REFUSED with the server's answer), not an error. Every server byte is read
 * through the bounded reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_internal.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/starttls.h"

#define LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"
#define XMPP_TLS_NS	  "urn:ietf:params:xml:ns:xmpp-tls"
#define MYSQL_CLIENT_SSL  0x0800u

/* what a wait is for: the server's bytes from `from` on */
struct awaited {
	size_t from;
	const char *tag; /* IMAP: the tag of the tagged answer */
};

static struct br server_part(const struct probe_io *io, size_t from)
{
	struct br r = br_make(io->server, io->server_len);
	br_skip(&r, from);
	return r;
}

/* The next complete line of r (without its LF) into *ret_line; false when no LF follows. */
static bool next_line(struct br *r, struct br *ret_line)
{
	size_t n = 0, left = br_left(r);
	while (n < left && br_peek(r, n) != '\n')
		n++;
	if (n == left)
		return false;
	*ret_line = br_sub(r, n);
	br_skip(r, 1);
	return true;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5321 4.2 / RFC 959 4.2: a final reply is complete at a line "ddd" or "ddd SP text" (not "ddd-"); 1yz
 * replies are preliminary. A line that is not a reply line ends the wait too (the detector then refuses). */
static bool numeric_done(const struct probe_io *io, void *ctx)
{
	struct awaited *w = ctx;
	struct br r = server_part(io, w->from), line;
	while (next_line(&r, &line)) {
		uint8_t c0 = br_peek(&line, 0), c1 = br_peek(&line, 1), c2 = br_peek(&line, 2);
		if (br_left(&line) < 3 || !is_digit(c0) || !is_digit(c1) || !is_digit(c2))
			return true;
		uint8_t sep = br_left(&line) > 3 ? br_peek(&line, 3) : ' ';
		if (sep != '-' && c0 != '1')
			return true;
	}
	return false;
}

static bool line_done(const struct probe_io *io, void *ctx)
{
	struct awaited *w = ctx;
	struct br r = server_part(io, w->from), line;
	return next_line(&r, &line);
}

/* RFC 3501 2.2.2: untagged lines ("* ...") come before the tagged completion "tag SP status ..." */
static bool imap_tagged_done(const struct probe_io *io, void *ctx)
{
	struct awaited *w = ctx;
	struct br r = server_part(io, w->from), line;
	size_t tl = strlen(w->tag);
	while (next_line(&r, &line)) {
		bool tagged = br_left(&line) > tl;
		for (size_t i = 0; tagged && i < tl; i++)
			tagged = br_peek(&line, i) == (uint8_t)w->tag[i];
		if ((tagged && br_peek(&line, tl) == ' ') || br_peek(&line, 0) != '*')
			return true;
	}
	return false;
}

/* RFC 4511 5.1: one BER LDAPMessage SEQUENCE (definite length) is complete; anything else ends the wait */
static bool ldap_done(const struct probe_io *io, void *ctx)
{
	struct awaited *w = ctx;
	struct br r = server_part(io, w->from);
	if (br_left(&r) < 2)
		return false;
	uint8_t tag = br_u8(&r), l0 = br_u8(&r);
	if (tag != 0x30)
		return true;
	size_t len = l0;
	if (l0 & 0x80) {
		size_t n = l0 & 0x7f;
		if (n == 0 || n > 4)
			return true;
		if (br_left(&r) < n)
			return false;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | br_u8(&r);
	}
	return br_left(&r) >= len;
}

static bool contains(struct br r, const char *s)
{
	size_t n = strlen(s);
	for (size_t at = 0; at + n <= br_left(&r); at++) {
		size_t i = 0;
		while (i < n && br_peek(&r, at + i) == (uint8_t)s[i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* RFC 6120 4.3.2: the stream features end with </stream:features> (or are empty); an error ends the stream */
static bool xmpp_features_done(const struct probe_io *io, void *ctx)
{
	struct awaited *w = ctx;
	struct br r = server_part(io, w->from);
	return contains(r, "</stream:features>") || contains(r, "<stream:features/>") ||
	       contains(r, "</stream:stream>") || contains(r, "</stream:error>");
}

/* RFC 6120 5.4.2.3: <proceed .../> or <failure .../> (the detector checks the namespace) */
static bool xmpp_answer_done(const struct probe_io *io, void *ctx)
{
	struct awaited *w = ctx;
	struct br r = server_part(io, w->from);
	return contains(r, "<proceed") || contains(r, "<failure") || contains(r, "</stream:stream>") ||
	       contains(r, "</stream:error>");
}

static bool one_byte_done(const struct probe_io *io, void *ctx)
{
	struct awaited *w = ctx;
	return io->server_len > w->from;
}

/* MySQL: int<3> payload_length, int<1> sequence_id, payload */
static bool mysql_packet_done(const struct probe_io *io, void *ctx)
{
	struct awaited *w = ctx;
	struct br r = server_part(io, w->from);
	uint32_t len = br_u8(&r);
	len |= (uint32_t)br_u8(&r) << 8;
	len |= (uint32_t)br_u8(&r) << 16;
	br_skip(&r, 1);
	return br_ok(&r) && br_left(&r) >= len;
}

struct dialogue {
	struct probe_io *io;
	enum probe_io_status io_st;
	int err;
	struct awaited w;
};

/* send a command (kept in the transcript), then wait for done */
static bool say(struct dialogue *d, const void *cmd, size_t len, bool (*done)(const struct probe_io *, void *))
{
	d->w.from = d->io->server_len;
	if (len && (d->io_st = probe_io_send(d->io, cmd, len, true, &d->err)) != PROBE_IO_OK)
		return false;
	d->io_st = probe_io_await(d->io, done, &d->w, &d->err);
	return d->io_st == PROBE_IO_OK;
}

static bool say_str(struct dialogue *d, const char *cmd, bool (*done)(const struct probe_io *, void *))
{
	return say(d, cmd, strlen(cmd), done);
}

/* The first reply code of the server bytes from `from` (0 if none). */
static unsigned reply_code(const struct probe_io *io, size_t from)
{
	struct br r = server_part(io, from);
	uint8_t a = br_peek(&r, 0), b = br_peek(&r, 1), c = br_peek(&r, 2);
	if (!is_digit(a) || !is_digit(b) || !is_digit(c))
		return 0;
	return (unsigned)(a - '0') * 100 + (unsigned)(b - '0') * 10 + (unsigned)(c - '0');
}

/* The last reply line of the bytes from `from` (a multi-line reply's final line holds its code too) as the
 * detail of a refusal. */
static uint16_t last_line(const struct probe_io *io, size_t from, char *detail, size_t cap)
{
	struct br r = server_part(io, from), line, last = br_make(NULL, 0);
	bool any = false;
	while (next_line(&r, &line)) {
		last = line;
		any = true;
	}
	if (!any)
		last = r;
	size_t n = br_left(&last);
	const uint8_t *p = br_ptr(&last, n);
	return p ? probe_first_line(p, n, detail, cap) : 0;
}

static enum probe_upgrade smtp_like(struct dialogue *d, unsigned proto, const char *domain)
{
	char cmd[320];
	if (!say(d, NULL, 0, numeric_done))
		return PROBE_UP_IO;
	unsigned greet = reply_code(d->io, 0);
	if (greet != 220)
		return PROBE_UP_REFUSED;
	if (proto == STARTTLS_SMTP) {
		snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", domain);
		if (!say_str(d, cmd, numeric_done))
			return PROBE_UP_IO;
		if (reply_code(d->io, d->w.from) != 250)
			return PROBE_UP_REFUSED;
		return say_str(d, "STARTTLS\r\n", numeric_done) ? PROBE_UP_OK : PROBE_UP_IO;
	}
	return say_str(d, "AUTH TLS\r\n", numeric_done) ? PROBE_UP_OK : PROBE_UP_IO;
}

/* RFC 4511 4.14.1: LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0]
 * "1.3.6.1.4.1.1466.20037" } } */
static bool ldap_request(struct dialogue *d)
{
	uint8_t m[64];
	size_t oid = strlen(LDAP_STARTTLS_OID), n = 0;
	m[n++] = 0x30;
	m[n++] = (uint8_t)(3 + 2 + 2 + oid);
	m[n++] = 0x02, m[n++] = 0x01, m[n++] = 0x01;
	m[n++] = 0x77, m[n++] = (uint8_t)(2 + oid);
	m[n++] = 0x80, m[n++] = (uint8_t)oid;
	memcpy(m + n, LDAP_STARTTLS_OID, oid);
	n += oid;
	return say(d, m, n, ldap_done);
}

/* MySQL Protocol::HandshakeV10: int<1> 10, string<NUL> server_version, int<4> thread id, string[8] auth data,
 * int<1> filler, int<2> capability_flags_1 ... ; an ERR_Packet (0xff, int<2> code, text) instead refuses. */
static enum probe_upgrade mysql(struct dialogue *d, char *detail, size_t cap, uint16_t *ret_len)
{
	if (!say(d, NULL, 0, mysql_packet_done))
		return PROBE_UP_IO;
	struct br r = server_part(d->io, 0);
	br_skip(&r, 4);
	uint8_t kind = br_u8(&r);
	if (kind == 0xff) {
		br_skip(&r, 2);
		size_t n = br_left(&r);
		const uint8_t *p = br_ptr(&r, n);
		*ret_len = p ? probe_first_line(p, n, detail, cap) : 0;
		return PROBE_UP_REFUSED;
	}
	size_t v = 0;
	while (v < br_left(&r) && br_peek(&r, v) != 0)
		v++;
	br_skip(&r, v + 1 + 4 + 8 + 1);
	uint16_t caps = br_le16(&r);
	if (!br_ok(&r) || kind != 10 || !(caps & MYSQL_CLIENT_SSL)) {
		*ret_len = (uint16_t)snprintf(detail, cap, "%s",
					      kind != 10 || !br_ok(&r) ? "not a MySQL handshake"
								       : "server does not offer SSL");
		return PROBE_UP_REFUSED;
	}
	/* Protocol::SSLRequest, sequence 1: client_flag (CLIENT_PROTOCOL_41 | CLIENT_SSL |
	 * CLIENT_SECURE_CONNECTION), max_packet_size 16 MiB, character_set utf8mb4 (45), 23 zero bytes */
	uint8_t req[4 + 32] = {32, 0, 0, 1, 0x00, 0x8a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 45};
	d->io_st = probe_io_send(d->io, req, sizeof(req), true, &d->err);
	return d->io_st == PROBE_IO_OK ? PROBE_UP_OK : PROBE_UP_IO;
}

enum probe_upgrade probe_starttls(struct probe_io *io, unsigned proto, const char *domain, enum probe_io_status *ret_io,
				  int *ret_errno, char *detail, size_t detail_cap, uint16_t *ret_detail_len)
{
	struct dialogue d = {.io = io, .io_st = PROBE_IO_OK, .err = 0, .w = {0, "a1"}};
	char literal[64], cmd[512];
	enum probe_upgrade up;

	*ret_detail_len = 0;
	detail[0] = '\0';
	if (!domain || !*domain) {
		probe_io_local_literal(io, literal, sizeof(literal));
		domain = literal;
	}
	switch (proto) {
	case STARTTLS_SMTP:
	case STARTTLS_FTP: up = smtp_like(&d, proto, domain); break;
	case STARTTLS_IMAP:
		up = !say(&d, NULL, 0, line_done)			? PROBE_UP_IO
		     : say_str(&d, "a1 STARTTLS\r\n", imap_tagged_done) ? PROBE_UP_OK
									: PROBE_UP_IO;
		break;
	case STARTTLS_POP3:
		up = !say(&d, NULL, 0, line_done)	  ? PROBE_UP_IO
		     : say_str(&d, "STLS\r\n", line_done) ? PROBE_UP_OK
							  : PROBE_UP_IO;
		break;
	case STARTTLS_LDAP: up = ldap_request(&d) ? PROBE_UP_OK : PROBE_UP_IO; break;
	case STARTTLS_XMPP:
		/* RFC 6120 4.7: to= the service domain; version 1.0 asks for stream features */
		snprintf(cmd, sizeof(cmd),
			 "<?xml version='1.0'?><stream:stream xmlns='jabber:client'"
			 " xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>",
			 domain);
		up = !say_str(&d, cmd, xmpp_features_done)				    ? PROBE_UP_IO
		     : say_str(&d, "<starttls xmlns='" XMPP_TLS_NS "'/>", xmpp_answer_done) ? PROBE_UP_OK
											    : PROBE_UP_IO;
		break;
	case STARTTLS_POSTGRESQL: {
		static const uint8_t ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}; /* 8, 80877103 */
		up = say(&d, ssl_request, sizeof(ssl_request), one_byte_done) ? PROBE_UP_OK : PROBE_UP_IO;
		break;
	}
	case STARTTLS_MYSQL: up = mysql(&d, detail, detail_cap, ret_detail_len); break;
	default:
		*ret_detail_len = (uint16_t)snprintf(detail, detail_cap, "STARTTLS protocol not supported by probe");
		return PROBE_UP_REFUSED;
	}
	if (up == PROBE_UP_IO) {
		*ret_io = d.io_st;
		*ret_errno = d.err;
		return up;
	}
	if (up == PROBE_UP_REFUSED && *ret_detail_len)
		return up;
	/* the verdict on the upgrade: the capture detector over both sides' bytes */
	struct starttls_result res;
	starttls_detect(io->client, io->client_len, io->server, io->server_len, &res);
	if (up == PROBE_UP_OK && res.proto == proto && res.accepted)
		return PROBE_UP_OK;
	if (res.proto == proto && res.reply[0])
		*ret_detail_len = probe_first_line((const uint8_t *)res.reply, strnlen(res.reply, sizeof(res.reply)),
						   detail, detail_cap);
	else
		*ret_detail_len = last_line(io, d.w.from, detail, detail_cap);
	if (proto == STARTTLS_SMTP || proto == STARTTLS_FTP || proto == STARTTLS_POP3)
		(void)probe_io_send(io, "QUIT\r\n", 6, false, &d.err); /* leave politely */
	return PROBE_UP_REFUSED;
}

int probe_starttls_fd(int fd, unsigned proto, const char *domain, unsigned timeout_ms, char *detail, size_t cap,
		      uint16_t *ret_detail_len)
{
	struct probe_io *io = malloc(sizeof(*io));
	enum probe_io_status st = PROBE_IO_OK;
	int err = 0;
	if (!io || cap == 0) {
		free(io);
		return -ENOMEM;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		free(io);
		return -errno;
	}
	io->fd = fd;
	io->client_len = io->server_len = io->server_seen = 0;
	io->deadline = probe_now_mono() + (int64_t)timeout_ms * 1000000;
	enum probe_upgrade up = probe_starttls(io, proto, domain, &st, &err, detail, cap, ret_detail_len);
	free(io);
	if (up == PROBE_UP_OK)
		return 0;
	if (up == PROBE_UP_REFUSED)
		return 1;
	return st == PROBE_IO_TIMEOUT  ? -ETIMEDOUT
	       : st == PROBE_IO_RESET  ? -ECONNRESET
	       : st == PROBE_IO_CLOSED ? -EPIPE
				       : -(err ? err : EIO);
}
