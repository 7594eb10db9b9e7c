/* starttls.c - which plaintext protocol upgraded to TLS in-band, told from the first bytes of each side.
 * specification: RFC 3207 (SMTP), RFC 5321 4.2 (replies), RFC 3501 6.2.1 (IMAP), RFC 2595 4 +
 * RFC 1939 (POP3 STLS), RFC 4217 4 + RFC 959 4.2 (FTP AUTH TLS), RFC 4511 4.14 + 5.1 (LDAP StartTLS,
 * BER definite lengths), RFC 6120 5.4 (XMPP), PostgreSQL protocol 53.2.9 (SSLRequest, GSSENCRequest),
 * MySQL Protocol::Handshake v10 + Protocol::SSLRequest, IRCv3 tls extension (670/691),
 * MS-RDPBCGR 2.2.1.1 + 2.2.1.2 (X.224 Connection Request/Confirm, RDP_NEG_*).
 *
 * Design note: the flow stage gives us at most TLS_PLAINTEXT_KEEP bytes per side, with no
 * timing between the two sides, so the server's answer to the upgrade request is found by
 * counting: each client command before the request consumes one server reply (SMTP, FTP,
 * POP3), or the request's IMAP tag / LDAP messageID picks it out. Each detector claims the
 * dialogue only when it sees the client's request (proto stays NONE otherwise: a plaintext
 * SMTP session without STARTTLS is not an upgrade), and says accepted/refused only when the
 * server's answer is inside the bytes given - except MySQL, whose server never answers an
 * SSLRequest in plaintext (the client starts TLS at once). Detectors are tried binary first
 * (their first bytes are exact), then XMPP, then the line protocols. Every byte is read
 * through struct br (reader.h); a dialogue cut anywhere just leaves fields unset.
 *
 * reply: text protocols store the server's answer line without its line end; binary ones
 * store a short rendering: PostgreSQL the byte ('S', 'N', 'E'), LDAP the resultCode and RDP
 * the selectedProtocol / failureCode in decimal, XMPP the answering element; MySQL "".
 *
 * Limit: only the first STARTTLS_MAX_LOOK bytes of each side are looked at (the flow stage
 * passes at most TLS_PLAINTEXT_KEEP), which bounds the quadratic searches.
 */
#include <string.h>

#include "tlsaudit/reader.h"
#include "tlsaudit/starttls.h"

#define STARTTLS_MAX_LOOK 4096 /* bytes of each side looked at */

/* ---- small helpers over the reader ---- */

static uint8_t starttls_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Does r hold s at offset at (case-insensitive)? */
static bool starttls_ci_at(const struct br *r, size_t at, const char *s)
{
	size_t n = strlen(s);
	if (at > br_left(r) || n > br_left(r) - at)
		return false;
	for (size_t i = 0; i < n; i++)
		if (starttls_lower(br_peek(r, at + i)) != starttls_lower((uint8_t)s[i]))
			return false;
	return true;
}

/* Does r hold s at offset at (exact)? */
static bool starttls_at(const struct br *r, size_t at, const char *s)
{
	size_t n = strlen(s);
	if (at > br_left(r) || n > br_left(r) - at)
		return false;
	for (size_t i = 0; i < n; i++)
		if (br_peek(r, at + i) != (uint8_t)s[i])
			return false;
	return true;
}

/* First offset >= from where r holds s (exact), or SIZE_MAX. */
static size_t starttls_find(const struct br *r, size_t from, const char *s)
{
	for (size_t i = from; i < br_left(r); i++)
		if (starttls_at(r, i, s))
			return i;
	return SIZE_MAX;
}

/* Does r begin with s (case-insensitive), or is all of r the start of s (r was cut)? */
static bool starttls_begins(const struct br *r, const char *s)
{
	size_t n = strlen(s), have = br_left(r);
	if (have >= n)
		return starttls_ci_at(r, 0, s);
	for (size_t i = 0; i < have; i++)
		if (starttls_lower(br_peek(r, i)) != starttls_lower((uint8_t)s[i]))
			return false;
	return true;
}

/* Next line of r as a sub-reader without its CR LF (or LF). A last line without LF (the
 * buffer was cut) is returned too, with *ret_complete false. False when r is empty. */
static bool starttls_line(struct br *r, struct br *ret_line, bool *ret_complete)
{
	size_t left = br_left(r), n = 0;

	if (left == 0)
		return false;
	while (n < left && br_peek(r, n) != '\n')
		n++;
	bool complete = n < left;
	size_t body = (n > 0 && br_peek(r, n - 1) == '\r') ? n - 1 : n;
	*ret_line = br_sub(r, body);
	br_skip(r, n - body + (complete ? 1 : 0));
	*ret_complete = complete;
	return true;
}

static bool starttls_is_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Next space-separated word of line (leading spaces skipped); false when none is left. */
static bool starttls_word(struct br *line, struct br *ret_word)
{
	while (!br_empty(line) && starttls_is_space(br_peek(line, 0)))
		br_skip(line, 1);
	if (br_empty(line))
		return false;
	size_t n = 0;
	while (n < br_left(line) && !starttls_is_space(br_peek(line, n)))
		n++;
	*ret_word = br_sub(line, n);
	return true;
}

/* Is word exactly s (case-insensitive)? */
static bool starttls_word_is(const struct br *word, const char *s)
{
	return br_left(word) == strlen(s) && starttls_ci_at(word, 0, s);
}

/* The first word of line, compared with s (line itself is not consumed). */
static bool starttls_cmd_is(struct br line, const char *s)
{
	struct br w;
	return starttls_word(&line, &w) && starttls_word_is(&w, s);
}

/* Copies up to sizeof(out->reply) - 1 bytes of r (not consumed) into out->reply. */
static void starttls_set_reply(struct starttls_result *out, struct br r)
{
	size_t n = br_left(&r);
	if (n > sizeof(out->reply) - 1)
		n = sizeof(out->reply) - 1;
	memset(out->reply, 0, sizeof(out->reply));
	br_copy(&r, out->reply, n);
}

static void starttls_set_reply_num(struct starttls_result *out, uint32_t v)
{
	char tmp[12];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp));
	memset(out->reply, 0, sizeof(out->reply));
	for (size_t i = 0; i < n; i++)
		out->reply[i] = tmp[n - 1 - i];
}

static void starttls_claim(struct starttls_result *out, enum starttls_proto p)
{
	out->proto = p;
	out->requested = true;
}

/* ---- numeric replies: SMTP (RFC 5321 4.2.1) and FTP (RFC 959 4.2) ----
 *   reply      = code SP text CRLF / *(code "-" text CRLF) code SP text CRLF
 * FTP allows any text lines inside a multi-line reply, up to the line "code SP"; SMTP
 * repeats "code-" on each line, which the same rule accepts. 1yz replies are preliminary
 * (FTP) and do not answer a command. */

struct starttls_replies {
	struct br r; /* server bytes not yet read */
	bool dead;   /* not a reply stream (or out of sync): no more replies */
};

/* A line cut before its code is complete: 0..2 digits. */
static bool starttls_code_cut(const struct br *line)
{
	if (br_left(line) >= 3)
		return false;
	for (size_t i = 0; i < br_left(line); i++)
		if (br_peek(line, i) < '0' || br_peek(line, i) > '9')
			return false;
	return true;
}

/* 3-digit code at the start of line, followed by SP, '-' or the end of the line. */
static bool starttls_code(const struct br *line, uint16_t *ret_code, bool *ret_multi)
{
	uint16_t v = 0;

	if (br_left(line) < 3)
		return false;
	for (size_t i = 0; i < 3; i++) {
		uint8_t c = br_peek(line, i);
		if (c < '0' || c > '9')
			return false;
		v = (uint16_t)(v * 10 + (c - '0'));
	}
	uint8_t sep = br_left(line) > 3 ? br_peek(line, 3) : ' ';
	if (sep != ' ' && sep != '-')
		return false;
	*ret_code = v;
	*ret_multi = (sep == '-');
	return true;
}

/* The next final (non-1yz) reply: its code and first line. False when the bytes end first
 * (a reply whose first line is present counts, even if cut) or are not replies. */
static bool starttls_next_reply(struct starttls_replies *it, uint16_t *ret_code, struct br *ret_first)
{
	struct br line;
	bool complete;

	while (!it->dead && starttls_line(&it->r, &line, &complete)) {
		uint16_t code;
		bool multi;
		if (!starttls_code(&line, &code, &multi)) {
			it->dead = complete || !starttls_code_cut(&line);
			break;
		}
		struct br first = line;
		while (multi && complete && starttls_line(&it->r, &line, &complete)) {
			uint16_t c2;
			bool m2;
			if (starttls_code(&line, &c2, &m2) && c2 == code && !m2)
				multi = false;
		}
		if (code >= 100 && code < 200)
			continue;
		*ret_code = code;
		*ret_first = first;
		return true;
	}
	return false;
}

/* what a walk over a numeric-reply dialogue found */
struct starttls_numeric_walk {
	bool have_greeting; /* the server's first reply is there */
	uint16_t greet_code;
	bool hello;	  /* SMTP EHLO/HELO/LHLO before the request */
	bool have_answer; /* the reply to the request is there */
	uint16_t answer_code;
	struct br answer; /* first line of that reply (borrowed from the server bytes) */
};

static bool starttls_smtp_request(struct br line)
{
	return starttls_cmd_is(line, "STARTTLS");
}

static bool starttls_ftp_request(struct br line)
{
	struct br w;
	if (!starttls_word(&line, &w) || !starttls_word_is(&w, "AUTH") || !starttls_word(&line, &w))
		return false;
	/* RFC 4217 4: "TLS"; "SSL", "TLS-C", "TLS-P" are the pre-RFC names still sent */
	return starttls_word_is(&w, "TLS") || starttls_word_is(&w, "SSL") || starttls_word_is(&w, "TLS-C") ||
	       starttls_word_is(&w, "TLS-P");
}

/* One reply per command, in order - unless the capture lost some of the client's lines: then the server has
 * more replies after the answer than the client has commands after the request, and the answer is that many
 * replies later (e.g. the EHLO lost: STARTTLS would pair with the EHLO's 250). A lost reply (fewer replies)
 * leaves the pairing as it is. client: the lines after the request; it: the replies after the answer. */
static void starttls_numeric_realign(struct br client, struct starttls_replies it, struct starttls_numeric_walk *w)
{
	struct br line, first, last = w->answer;
	bool complete;
	uint16_t code, last_code = w->answer_code;
	size_t commands = 0, replies = 0;

	while (starttls_line(&client, &line, &complete) && complete)
		commands++;
	struct starttls_replies count = it;
	while (starttls_next_reply(&count, &code, &first))
		replies++;
	for (size_t i = 0; replies > commands && i < replies - commands; i++) {
		if (!starttls_next_reply(&it, &last_code, &last))
			break;
	}
	w->answer = last;
	w->answer_code = last_code;
}

/* Walks the client's command lines, one server reply each, up to the first line for which
 * is_request() holds; true when that line exists (*w says what else was seen). False also
 * when the server's bytes are not numeric replies. */
static bool starttls_numeric_walk(struct br client, struct br server, bool (*is_request)(struct br),
				  struct starttls_numeric_walk *w)
{
	struct starttls_replies it = {.r = server, .dead = false};
	struct br line, first;
	bool complete;
	uint16_t code;

	memset(w, 0, sizeof(*w));
	if (starttls_next_reply(&it, &code, &first)) {
		w->have_greeting = true;
		w->greet_code = code;
	} else if (it.dead) {
		return false; /* the server spoke, but not in numeric replies */
	}
	while (starttls_line(&client, &line, &complete)) {
		if (is_request(line)) {
			if (starttls_next_reply(&it, &code, &first)) {
				w->have_answer = true;
				w->answer_code = code;
				w->answer = first;
				starttls_numeric_realign(client, it, w);
			}
			return true;
		}
		if (!complete)
			break;
		if (starttls_cmd_is(line, "EHLO") || starttls_cmd_is(line, "HELO") || starttls_cmd_is(line, "LHLO"))
			w->hello = true;
		bool answered = starttls_next_reply(&it, &code, &first);
		/* SMTP DATA: after 354 the message follows up to "." and gets one more reply */
		if (starttls_cmd_is(line, "DATA") && (!answered || code == 354)) {
			while (starttls_line(&client, &line, &complete) && complete)
				if (br_left(&line) == 1 && br_peek(&line, 0) == '.')
					break;
			(void)starttls_next_reply(&it, &code, &first);
		}
	}
	return false;
}

/* The client's request not captured: a greeting with code greet and, as the last reply, the code that agrees
 * to the upgrade (see starttls_detect_answer). */
static bool starttls_numeric_answer_only(struct br server, uint16_t greet, uint16_t agree, enum starttls_proto p,
					 struct starttls_result *out)
{
	struct starttls_replies it = {.r = server, .dead = false};
	struct br last;
	uint16_t code, first_code = 0, last_code = 0;
	size_t n = 0;

	while (starttls_next_reply(&it, &code, &last)) {
		if (n++ == 0)
			first_code = code;
		last_code = code;
	}
	if (it.dead || n < 2 || first_code != greet || last_code != agree)
		return false;
	starttls_claim(out, p); /* the agreement proves the request */
	out->accepted = true;
	starttls_set_reply(out, last);
	return true;
}

/* RFC 3207 4: 220 Ready to start TLS; 454 TLS not available (any 4yz/5yz refuses) */
static bool starttls_try_smtp(struct br client, struct br server, struct starttls_result *out)
{
	struct starttls_numeric_walk w;

	if (!starttls_numeric_walk(client, server, starttls_smtp_request, &w))
		return false;
	/* RFC 5321 4.3.1: the greeting is 220, 554 (or 421); NNTP (200/201) has STARTTLS too.
	 * Without a greeting, only an SMTP client says EHLO/HELO (LMTP: LHLO) first. */
	if (w.have_greeting && w.greet_code != 220 && w.greet_code != 554 && w.greet_code != 421)
		return false;
	if (!w.have_greeting && !w.hello)
		return false;
	starttls_claim(out, STARTTLS_SMTP);
	if (w.have_answer) {
		starttls_set_reply(out, w.answer);
		out->accepted = (w.answer_code == 220);
		out->refused = (w.answer_code / 100 == 4 || w.answer_code / 100 == 5);
	}
	return true;
}

/* RFC 4217 4: 234 accepted; 4yz/5yz (431, 504, 534...) refused; 334 means ADAT (GSSAPI) */
static bool starttls_try_ftp(struct br client, struct br server, struct starttls_result *out)
{
	struct starttls_numeric_walk w;

	if (!starttls_numeric_walk(client, server, starttls_ftp_request, &w))
		return false;
	/* RFC 959 5.4: the connection greeting is 220 (or 120 first, skipped, or 421) */
	if (w.have_greeting && w.greet_code != 220 && w.greet_code != 421)
		return false;
	starttls_claim(out, STARTTLS_FTP);
	if (w.have_answer) {
		starttls_set_reply(out, w.answer);
		out->accepted = (w.answer_code == 234);
		out->refused = (w.answer_code / 100 == 4 || w.answer_code / 100 == 5);
	}
	return true;
}

/* ---- IMAP (RFC 3501 6.2.1): "tag STARTTLS" -> "tag OK" / "tag NO" / "tag BAD" ---- */

/* A tag is 1..64 printable non-space bytes, not "*" or "+" (RFC 3501 9: tag = 1*<any
 * ASTRING-CHAR except "+">). */
static bool starttls_imap_tag(const struct br *w)
{
	size_t n = br_left(w);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = br_peek(w, i);
		if (c <= 0x20 || c >= 0x7f || c == '+' || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' ||
		    c == '"' || c == '\\')
			return false;
	}
	return true;
}

static bool starttls_same(const struct br *a, const struct br *b)
{
	size_t n = br_left(a);
	if (n != br_left(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (br_peek(a, i) != br_peek(b, i))
			return false;
	return true;
}

/* The client's "tag STARTTLS" line: true and its tag when present. */
static bool starttls_imap_request(struct br client, struct br *ret_tag)
{
	struct br line, tag, cmd;
	bool complete;

	while (starttls_line(&client, &line, &complete)) {
		if (starttls_word(&line, &tag) && starttls_imap_tag(&tag) && starttls_word(&line, &cmd) &&
		    starttls_word_is(&cmd, "STARTTLS") && !starttls_word(&line, &cmd)) {
			*ret_tag = tag;
			return true;
		}
		if (!complete)
			break;
	}
	return false;
}

/* Commands before the request that used the same tag (some clients use one tag
 * throughout): their tagged answers come before the request's. */
static size_t starttls_imap_earlier(struct br client, const struct br *tag)
{
	struct br line, t, cmd;
	bool complete;
	size_t n = 0;

	while (starttls_line(&client, &line, &complete) && complete) {
		if (!starttls_word(&line, &t) || !starttls_same(&t, tag))
			continue;
		if (starttls_word(&line, &cmd) && starttls_word_is(&cmd, "STARTTLS"))
			break;
		n++;
	}
	return n;
}

/* The client's STARTTLS not captured: the server's last line is a tagged OK after an untagged greeting. */
static bool starttls_imap_answer_only(struct br server, struct starttls_result *out)
{
	struct br line, last, t, status;
	bool complete, have = false;

	if (!starttls_begins(&server, "* "))
		return false;
	while (starttls_line(&server, &line, &complete) && complete) {
		last = line;
		have = true;
	}
	struct br words = last;
	if (!have || !starttls_word(&words, &t) || starttls_at(&t, 0, "*") || starttls_at(&t, 0, "+") ||
	    !starttls_word(&words, &status) || !starttls_word_is(&status, "OK"))
		return false;
	starttls_claim(out, STARTTLS_IMAP);
	starttls_set_reply(out, last);
	out->accepted = true;
	return true;
}

static bool starttls_try_imap(struct br client, struct br server, struct starttls_result *out)
{
	struct br tag, line, t, status;
	bool complete;

	/* RFC 3501 7.1: the greeting is untagged OK, PREAUTH or BYE */
	if (!starttls_begins(&server, "* "))
		return false;
	if (!starttls_imap_request(client, &tag))
		return false;
	starttls_claim(out, STARTTLS_IMAP);
	size_t skip = starttls_imap_earlier(client, &tag);
	while (starttls_line(&server, &line, &complete)) {
		struct br whole = line;
		if (!starttls_word(&line, &t) || !starttls_same(&t, &tag))
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		if (!starttls_word(&line, &status))
			break; /* cut after the tag */
		starttls_set_reply(out, whole);
		out->accepted = starttls_word_is(&status, "OK");
		out->refused = starttls_word_is(&status, "NO") || starttls_word_is(&status, "BAD");
		break;
	}
	return true;
}

/* ---- POP3 (RFC 2595 4, RFC 1939 3): "STLS" -> "+OK" / "-ERR" ----
 * Each command gets one status line; some get a multi-line body after +OK, ended by ".".
 * SASL AUTH exchanges "+ challenge" / client line pairs, one reply per client line. */

static bool starttls_pop3_status(const struct br *line)
{
	return starttls_ci_at(line, 0, "+OK") || starttls_ci_at(line, 0, "-ERR") || starttls_at(line, 0, "+ ") ||
	       (br_left(line) == 1 && br_peek(line, 0) == '+');
}

/* RFC 1939 / RFC 2449: commands answered with a multi-line body after +OK */
static bool starttls_pop3_multiline(struct br line)
{
	struct br w, arg;
	if (!starttls_word(&line, &w))
		return false;
	bool has_arg = starttls_word(&line, &arg);
	if (starttls_word_is(&w, "CAPA") || starttls_word_is(&w, "RETR") || starttls_word_is(&w, "TOP"))
		return true;
	return !has_arg &&
	       (starttls_word_is(&w, "LIST") || starttls_word_is(&w, "UIDL") || starttls_word_is(&w, "AUTH"));
}

/* Reads the next status line into *ret_line; with multi, also the body after +OK. A line
 * that is not a status line where one is due is taken as an unexpected body and skipped
 * up to its ".". False when the bytes end first. */
static bool starttls_pop3_next(struct br *server, bool multi, struct br *ret_line)
{
	struct br line;
	bool complete;

	while (starttls_line(server, &line, &complete)) {
		if (!starttls_pop3_status(&line)) {
			while (complete && starttls_line(server, &line, &complete))
				if (br_left(&line) == 1 && br_peek(&line, 0) == '.')
					break;
			continue;
		}
		*ret_line = line;
		if (multi && complete && starttls_ci_at(&line, 0, "+OK")) {
			struct br body;
			while (starttls_line(server, &body, &complete) && complete)
				if (br_left(&body) == 1 && br_peek(&body, 0) == '.')
					break;
		}
		return true;
	}
	return false;
}

static bool starttls_try_pop3(struct br client, struct br server, struct starttls_result *out)
{
	struct br line, status;
	bool complete;

	/* RFC 1939 4: the greeting is a positive status line (-ERR when the server is unavailable) */
	if (!starttls_begins(&server, "+OK") && !starttls_begins(&server, "-ERR"))
		return false;
	bool have_status = starttls_pop3_next(&server, false, &status); /* greeting */
	while (starttls_line(&client, &line, &complete)) {
		if (starttls_cmd_is(line, "STLS")) {
			starttls_claim(out, STARTTLS_POP3);
			if (have_status && starttls_pop3_next(&server, false, &status)) {
				starttls_set_reply(out, status);
				out->accepted = starttls_ci_at(&status, 0, "+OK");
				out->refused = starttls_ci_at(&status, 0, "-ERR");
			}
			return true;
		}
		if (!complete)
			break;
		if (have_status)
			have_status = starttls_pop3_next(&server, starttls_pop3_multiline(line), &status);
	}
	return false;
}

/* The STLS line not captured: the server's last status line, +OK after a +OK greeting. */
static bool starttls_pop3_answer_only(struct br server, struct starttls_result *out)
{
	struct br status;
	size_t n = 0;
	if (!starttls_begins(&server, "+OK"))
		return false;
	while (starttls_pop3_next(&server, false, &status))
		n++;
	if (n < 2 || !starttls_ci_at(&status, 0, "+OK"))
		return false;
	starttls_claim(out, STARTTLS_POP3);
	starttls_set_reply(out, status);
	out->accepted = true;
	return true;
}

/* ---- IRC (IRCv3 tls): "STARTTLS" -> 670 RPL_STARTTLS / 691 ERR_STARTTLS ----
 *   message = [":" prefix SP] command [params] CRLF  (RFC 2812 2.3.1) */

/* The command word of an IRC line (after the optional prefix). */
static bool starttls_irc_command(struct br line, struct br *ret_cmd)
{
	struct br w;
	if (!starttls_word(&line, &w))
		return false;
	if (starttls_at(&w, 0, ":") && !starttls_word(&line, &w))
		return false;
	*ret_cmd = w;
	return true;
}

static bool starttls_try_irc(struct br client, struct br server, struct starttls_result *out)
{
	struct br line, cmd;
	bool complete, found = false;

	/* servers open with ":prefix ..." lines or NOTICE/PING/ERROR; anything else is not IRC */
	if (!br_empty(&server)) {
		struct br s = server;
		if (!starttls_line(&s, &line, &complete) || !starttls_irc_command(line, &cmd))
			return false;
		if (!starttls_at(&server, 0, ":") && !starttls_word_is(&cmd, "NOTICE") &&
		    !starttls_word_is(&cmd, "PING") && !starttls_word_is(&cmd, "ERROR"))
			return false;
	}
	while (starttls_line(&client, &line, &complete)) {
		if (starttls_cmd_is(line, "STARTTLS")) {
			found = true;
			break;
		}
		if (!complete)
			break;
	}
	if (!found)
		return false;
	starttls_claim(out, STARTTLS_IRC);
	while (starttls_line(&server, &line, &complete)) {
		if (!starttls_irc_command(line, &cmd))
			continue;
		/* ERR_UNKNOWNCOMMAND "<client> STARTTLS :Unknown command": a server without the tls cap */
		bool unknown = starttls_word_is(&cmd, "421") && starttls_find(&line, 0, " STARTTLS") != SIZE_MAX;
		if (starttls_word_is(&cmd, "670") || starttls_word_is(&cmd, "691") || unknown) {
			starttls_set_reply(out, line);
			out->accepted = starttls_word_is(&cmd, "670");
			out->refused = !out->accepted;
			break;
		}
	}
	return true;
}

/* ---- XMPP (RFC 6120 5.4.2): <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> ----
 * The server answers <proceed xmlns='...xmpp-tls'/> or <failure xmlns='...xmpp-tls'/>. */

#define STARTTLS_XMPP_NS "urn:ietf:params:xml:ns:xmpp-tls"

/* Length of the start tag beginning at offset at (up to and including '>', or to the end
 * of the bytes when it is cut). */
static size_t starttls_tag_len(const struct br *r, size_t at)
{
	size_t n = 0;
	while (at + n < br_left(r) && br_peek(r, at + n) != '>')
		n++;
	return at + n < br_left(r) ? n + 1 : n;
}

/* Offset of the element <name ...> (name followed by space, '/' or '>') at or after from,
 * or SIZE_MAX. */
static size_t starttls_find_elem(const struct br *r, size_t from, const char *open)
{
	for (size_t at = starttls_find(r, from, open); at != SIZE_MAX; at = starttls_find(r, at + 1, open)) {
		size_t end = at + strlen(open);
		if (end >= br_left(r))
			return SIZE_MAX; /* cut right after the name: cannot tell */
		uint8_t c = br_peek(r, end);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>')
			return at;
	}
	return SIZE_MAX;
}

/* Value of the xmlns attribute of the start tag tag[0..len): 1 the TLS namespace, 0 absent,
 * -1 another namespace (or cut inside it). Either quote style (XML 1.0 AttValue). */
static int starttls_xmlns(const struct br *tag)
{
	size_t at = starttls_find(tag, 0, "xmlns");
	while (at != SIZE_MAX) {
		size_t i = at + 5;
		if (i < br_left(tag) && br_peek(tag, i) == ':') { /* xmlns:prefix, not the default */
			at = starttls_find(tag, i, "xmlns");
			continue;
		}
		while (i < br_left(tag) && starttls_is_space(br_peek(tag, i)))
			i++;
		if (i >= br_left(tag) || br_peek(tag, i) != '=')
			return -1;
		i++;
		while (i < br_left(tag) && starttls_is_space(br_peek(tag, i)))
			i++;
		uint8_t q = br_peek(tag, i);
		if (i >= br_left(tag) || (q != '\'' && q != '"'))
			return -1;
		i++;
		if (!starttls_at(tag, i, STARTTLS_XMPP_NS))
			return -1;
		i += strlen(STARTTLS_XMPP_NS);
		return (i < br_left(tag) && br_peek(tag, i) == q) ? 1 : -1;
	}
	return 0;
}

/* The start tag at offset at of r, as a sub-reader. */
static struct br starttls_tag_at(const struct br *r, size_t at)
{
	struct br t = *r;
	br_skip(&t, at);
	return br_sub(&t, starttls_tag_len(r, at));
}

static bool starttls_try_xmpp(struct br client, struct br server, struct starttls_result *out)
{
	bool found = false;

	for (size_t at = starttls_find_elem(&client, 0, "<starttls"); at != SIZE_MAX;
	     at = starttls_find_elem(&client, at + 1, "<starttls")) {
		struct br tag = starttls_tag_at(&client, at);
		if (starttls_xmlns(&tag) == 1) {
			found = true;
			break;
		}
	}
	if (!found)
		return false;
	starttls_claim(out, STARTTLS_XMPP);
	/* the first <proceed> or TLS <failure> (a <failure> of another namespace, e.g. SASL, is
	 * not the answer; one whose start tag is cut cannot be told yet) */
	size_t p = starttls_find_elem(&server, 0, "<proceed");
	size_t f = starttls_find_elem(&server, 0, "<failure");
	while (f != SIZE_MAX && f < p) {
		struct br tag = starttls_tag_at(&server, f);
		size_t n = br_left(&tag);
		if (n == 0 || br_peek(&tag, n - 1) != '>')
			return true;
		if (starttls_xmlns(&tag) >= 0)
			break;
		f = starttls_find_elem(&server, f + 1, "<failure");
	}
	if (p == SIZE_MAX && f == SIZE_MAX)
		return true;
	size_t at = p < f ? p : f;
	starttls_set_reply(out, starttls_tag_at(&server, at));
	out->accepted = (at == p);
	out->refused = (at == f);
	return true;
}

/* ---- PostgreSQL (protocol 53.2.9): SSLRequest -> 'S' / 'N' ----
 *   SSLRequest:     Int32(8) Int32(80877103)
 *   GSSENCRequest:  Int32(8) Int32(80877104)  (GSSAPI encryption, not TLS; after 'N' the
 *                   client may go on with an SSLRequest on the same connection) */

#define STARTTLS_PG_SSL	   80877103u
#define STARTTLS_PG_GSSENC 80877104u

static bool starttls_try_postgresql(struct br client, struct br server, struct starttls_result *out)
{
	for (;;) {
		uint32_t len = br_u32(&client), code = br_u32(&client);
		if (!br_ok(&client) || len != 8 || (code != STARTTLS_PG_SSL && code != STARTTLS_PG_GSSENC))
			return false;
		uint8_t answer = br_u8(&server);
		if (code == STARTTLS_PG_SSL) {
			starttls_claim(out, STARTTLS_POSTGRESQL);
			if (br_ok(&server)) {
				char txt[2] = {(char)answer, 0};
				starttls_set_reply(out, br_make((const uint8_t *)txt, 1));
				out->accepted = (answer == 'S');
				/* 'E': a server too old for SSLRequest sends an ErrorResponse */
				out->refused = (answer == 'N' || answer == 'E');
			}
			return true;
		}
		if (!br_ok(&server) || answer != 'N')
			return false; /* GSSAPI encryption ('G'), or no answer yet */
	}
}

/* ---- MySQL: Protocol::HandshakeV10 from the server, then Protocol::SSLRequest ----
 *   packet      = int<3> payload_length, int<1> sequence_id, payload
 *   HandshakeV10: int<1> 10, string<NUL> server_version, int<4> thread id,
 *                 string[8] auth-plugin-data-part-1, int<1> 0 filler, int<2> capabilities...
 *   SSLRequest:  (sequence 1, 32 bytes) int<4> client_flag with CLIENT_SSL, int<4> max packet,
 *                int<1> charset, string[23] zero
 * The server says nothing more in plaintext: the client's next bytes are a ClientHello. */

#define STARTTLS_MYSQL_CLIENT_SSL 0x00000800u

static bool starttls_try_mysql(struct br client, struct br server, struct starttls_result *out)
{
	uint32_t slen = br_u8(&server);
	slen |= (uint32_t)br_u8(&server) << 8;
	slen |= (uint32_t)br_u8(&server) << 16;
	uint8_t sseq = br_u8(&server), proto = br_u8(&server);
	if (!br_ok(&server) || sseq != 0 || proto != 10 || slen < 1 + 2 + 4 + 8 + 1 + 2)
		return false;
	/* server_version: printable, NUL-terminated, inside the packet */
	size_t n = 0, vmax = slen - 1;
	while (n < vmax && n < br_left(&server) && br_peek(&server, n) != 0) {
		uint8_t c = br_peek(&server, n);
		if (c < 0x20 || c >= 0x7f)
			return false;
		n++;
	}
	if (n == 0 || n >= vmax || n >= br_left(&server))
		return false;

	uint32_t clen = br_u8(&client);
	clen |= (uint32_t)br_u8(&client) << 8;
	clen |= (uint32_t)br_u8(&client) << 16;
	uint8_t cseq = br_u8(&client);
	uint32_t flags = br_le32(&client);
	if (!br_ok(&client) || clen != 32 || cseq != 1 || !(flags & STARTTLS_MYSQL_CLIENT_SSL))
		return false;
	starttls_claim(out, STARTTLS_MYSQL);
	out->accepted = true; /* no plaintext answer exists: the request is the upgrade */
	return true;
}

/* ---- RDP (MS-RDPBCGR 2.2.1.1, 2.2.1.2) ----
 *   TPKT (RFC 1006): u8 3, u8 0, u16 length
 *   X.224 (ISO 8073): u8 length indicator (header bytes after it), u8 code (0xE0 CR, 0xD0
 *                     CC), u16 dst-ref, u16 src-ref, u8 class, variable part
 *   CR variable part: [routingToken or "Cookie: mstshash=..." CRLF] [RDP_NEG_REQ]
 *   RDP_NEG_REQ/RSP/FAILURE: u8 type (1/2/3), u8 flags, u16le length (8), u32le value */

enum {
	STARTTLS_RDP_SSL = 0x1,	      /* PROTOCOL_SSL */
	STARTTLS_RDP_HYBRID = 0x2,    /* PROTOCOL_HYBRID (CredSSP over TLS) */
	STARTTLS_RDP_RDSTLS = 0x4,    /* PROTOCOL_RDSTLS (TLS) */
	STARTTLS_RDP_HYBRID_EX = 0x8, /* PROTOCOL_HYBRID_EX (TLS) */
};

/* The X.224 variable part of the TPDU in r with the given code (high nibble), or false. */
static bool starttls_x224(struct br *r, uint8_t want, struct br *ret_var)
{
	uint8_t version = br_u8(r), reserved = br_u8(r);
	uint16_t tlen = br_u16(r);
	if (!br_ok(r) || version != 3 || reserved != 0 || tlen < 4 + 7)
		return false;
	struct br tpdu = br_sub(r, (size_t)tlen - 4);
	uint8_t li = br_u8(&tpdu);
	struct br hdr = br_sub(&tpdu, li);
	uint8_t code = br_u8(&hdr);
	br_skip(&hdr, 2 + 2 + 1);
	if (!br_ok(&tpdu) || !br_ok(&hdr) || (code & 0xf0) != want)
		return false;
	*ret_var = hdr;
	return true;
}

/* RDP_NEG_* structure at the start of r: its type and value; false when absent. */
static bool starttls_rdp_neg(struct br *r, uint8_t *ret_type, uint32_t *ret_value)
{
	uint8_t type = br_u8(r);
	br_skip(r, 1); /* flags */
	uint16_t len = br_le16(r);
	uint32_t v = br_le32(r);
	if (!br_ok(r) || len != 8)
		return false;
	*ret_type = type;
	*ret_value = v;
	return true;
}

static bool starttls_try_rdp(struct br client, struct br server, struct starttls_result *out)
{
	struct br var;
	uint8_t type;
	uint32_t value;

	if (!starttls_x224(&client, 0xe0, &var))
		return false;
	if (br_peek(&var, 0) != 0x01) { /* skip the cookie / routing token up to its CR LF */
		size_t crlf = starttls_find(&var, 0, "\r\n");
		if (crlf == SIZE_MAX)
			return false;
		br_skip(&var, crlf + 2);
	}
	if (!starttls_rdp_neg(&var, &type, &value) || type != 0x01)
		return false;
	if (!(value & (STARTTLS_RDP_SSL | STARTTLS_RDP_HYBRID | STARTTLS_RDP_RDSTLS | STARTTLS_RDP_HYBRID_EX)))
		return false; /* standard RDP security: no TLS asked for */
	starttls_claim(out, STARTTLS_RDP);
	if (!starttls_x224(&server, 0xd0, &var))
		return true;
	if (br_empty(&var)) { /* no RDP_NEG_RSP: the server picked standard RDP security */
		out->refused = true;
		starttls_set_reply_num(out, 0);
		return true;
	}
	if (!starttls_rdp_neg(&var, &type, &value) || (type != 0x02 && type != 0x03))
		return true;
	starttls_set_reply_num(out, value);
	out->accepted = (type == 0x02 && value != 0);
	out->refused = !out->accepted;
	return true;
}

/* ---- LDAP (RFC 4511 4.14): ExtendedRequest 1.3.6.1.4.1.1466.20037 -> ExtendedResponse ----
 *   LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE {...}, controls [0] OPTIONAL }
 *   ExtendedRequest ::= [APPLICATION 23] SEQUENCE { requestName [0] LDAPOID, requestValue [1] OPTIONAL }
 *   ExtendedResponse ::= [APPLICATION 24] SEQUENCE { COMPONENTS OF LDAPResult (resultCode
 *       ENUMERATED, matchedDN, diagnosticMessage, referral [3] OPTIONAL), responseName [10]
 *       OPTIONAL, responseValue [11] OPTIONAL }
 * RFC 4511 5.1: BER definite lengths only (short form, or long form of 1..4 octets here). */

#define STARTTLS_LDAP_OID "1.3.6.1.4.1.1466.20037"

/* One BER TLV with a single-octet tag: *ret_tag and its contents as a sub-reader. */
static bool starttls_ber(struct br *r, uint8_t *ret_tag, struct br *ret_body)
{
	uint8_t tag = br_u8(r), l0 = br_u8(r);
	size_t len = l0;

	if (!br_ok(r) || (tag & 0x1f) == 0x1f)
		return false; /* multi-octet tags are not used by LDAP */
	if (l0 & 0x80) {
		size_t n = l0 & 0x7f;
		if (n == 0 || n > 4)
			return false; /* indefinite form (forbidden) or absurd */
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = (len << 8) | br_u8(r);
	}
	struct br body = br_sub(r, len);
	if (!br_ok(r))
		return false;
	*ret_tag = tag;
	*ret_body = body;
	return true;
}

/* INTEGER / ENUMERATED contents of 1..4 octets, non-negative (messageID, resultCode). */
static bool starttls_ber_uint(struct br body, uint32_t *ret)
{
	size_t n = br_left(&body);
	uint32_t v = 0;
	if (n == 0 || n > 4 || (br_peek(&body, 0) & 0x80))
		return false;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | br_u8(&body);
	*ret = v;
	return true;
}

/* The next LDAPMessage of r: messageID, protocolOp tag and contents. */
static bool starttls_ldap_msg(struct br *r, uint32_t *ret_id, uint8_t *ret_op, struct br *ret_op_body)
{
	struct br msg, idb;
	uint8_t tag;

	if (!starttls_ber(r, &tag, &msg) || tag != 0x30)
		return false;
	if (!starttls_ber(&msg, &tag, &idb) || tag != 0x02 || !starttls_ber_uint(idb, ret_id))
		return false;
	return starttls_ber(&msg, ret_op, ret_op_body);
}

static bool starttls_try_ldap(struct br client, struct br server, struct starttls_result *out)
{
	uint32_t id, want = 0;
	uint8_t op, tag;
	struct br body, field;
	bool found = false;

	while (!found && starttls_ldap_msg(&client, &id, &op, &body)) {
		if (op != 0x77) /* [APPLICATION 23] constructed: ExtendedRequest */
			continue;
		if (starttls_ber(&body, &tag, &field) && tag == 0x80 && br_left(&field) == strlen(STARTTLS_LDAP_OID) &&
		    starttls_at(&field, 0, STARTTLS_LDAP_OID)) {
			found = true;
			want = id;
		}
	}
	if (!found)
		return false;
	starttls_claim(out, STARTTLS_LDAP);
	while (starttls_ldap_msg(&server, &id, &op, &body)) {
		uint32_t result;
		if (op != 0x78 || id != want) /* [APPLICATION 24] constructed: ExtendedResponse */
			continue;
		if (!starttls_ber(&body, &tag, &field) || tag != 0x0a || !starttls_ber_uint(field, &result))
			break;
		starttls_set_reply_num(out, result);
		out->accepted = (result == 0); /* success */
		out->refused = !out->accepted;
		break;
	}
	return true;
}

/* ---- the contract ---- */

typedef bool (*starttls_detector)(struct br client, struct br server, struct starttls_result *out);

/* binary protocols first (exact first bytes), then XMPP, then line protocols, most
 * specific first: IMAP tags, POP3 STLS, FTP AUTH TLS, SMTP (needs EHLO or a 220 greeting),
 * IRC (what is left of a bare STARTTLS) */
static const starttls_detector starttls_detectors[] = {
	starttls_try_postgresql, starttls_try_mysql, starttls_try_rdp, starttls_try_ldap, starttls_try_xmpp,
	starttls_try_imap,	 starttls_try_pop3,  starttls_try_ftp, starttls_try_smtp, starttls_try_irc,
};

/* the first STARTTLS_MAX_LOOK bytes of one side (NULL: none) */
static struct br starttls_view(const uint8_t *p, size_t n)
{
	return br_make(p, p ? (n < STARTTLS_MAX_LOOK ? n : STARTTLS_MAX_LOOK) : 0);
}

bool starttls_detect_answer(const uint8_t *server, size_t server_len, struct starttls_result *out)
{
	struct br s = starttls_view(server, server_len);
	memset(out, 0, sizeof(*out));
	if (starttls_numeric_answer_only(s, 220, 220, STARTTLS_SMTP, out) ||
	    starttls_numeric_answer_only(s, 220, 234, STARTTLS_FTP, out) || starttls_imap_answer_only(s, out) ||
	    starttls_pop3_answer_only(s, out))
		return true;
	memset(out, 0, sizeof(*out));
	return false;
}

void starttls_detect(const uint8_t *client, size_t client_len, const uint8_t *server, size_t server_len,
		     struct starttls_result *out)
{
	struct br c = starttls_view(client, client_len), s = starttls_view(server, server_len);

	for (size_t i = 0; i < sizeof(starttls_detectors) / sizeof(starttls_detectors[0]); i++) {
		memset(out, 0, sizeof(*out));
		if (starttls_detectors[i](c, s, out))
			return;
	}
	memset(out, 0, sizeof(*out));
}
