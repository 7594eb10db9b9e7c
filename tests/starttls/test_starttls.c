/* test_starttls.c - tests of the STARTTLS detector (src/starttls/) on real and synthetic dialogues.
 * specification: include/tlsaudit/starttls.h.
 *
 * Real dialogues are read at test time from the shared corpus (argv[1] = <corpus>/pcaps; the
 * corpus is never copied into the repository): the first TCP connection of a capture is
 * decoded with the capture and decode stages, each direction's payload is put in sequence
 * order (retransmissions and overlaps dropped by tracking the next expected sequence number),
 * and each side is cut where the TLS stage would cut it - the stream is fed to tf_feed() and
 * the plaintext it kept (tls_dir_state.plain, at most TLS_PLAINTEXT_KEEP bytes) is what
 * starttls_detect() sees, as in the flow stage. Expected values were read with
 * `tshark -r <capture> -q -z follow,tcp,ascii,0` (and `,raw,0` for the binary protocols).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/starttls.h"
#include "tlsaudit/names.h"
#include "tlsaudit/tls.h"
#include "../tls_facts_test.h"

static unsigned failures, checks;

#define CHECK(cond, ...)                                                                         \
	do {                                                                                     \
		checks++;                                                                        \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                            \
			fputc('\n', stderr);                                                     \
			failures++;                                                              \
		}                                                                                \
	} while (0)

/* ---- reading one connection out of a capture ---- */

#define STREAM_CAP 65536 /* stream bytes kept per direction: far past the first record */

struct seg {
	uint32_t seq;
	size_t len;
	uint8_t *data; /* owned */
};

struct side {
	uint8_t addr[16];
	uint16_t port;
	bool have_isn; /* SYN seen: isn is its sequence number + 1 */
	uint32_t isn;
	struct seg *segs; /* owned */
	size_t n_segs, cap_segs;
};

struct conn {
	bool have;
	uint8_t family;
	struct side s[2]; /* 0 = client, 1 = server */
};

static int side_of(const struct conn *c, const struct pkt *p)
{
	for (int d = 0; d < 2; d++) {
		const struct side *a = &c->s[d], *b = &c->s[1 - d];
		if (p->family == c->family && p->sport == a->port && p->dport == b->port &&
		    memcmp(p->src, a->addr, 16) == 0 && memcmp(p->dst, b->addr, 16) == 0)
			return d;
	}
	return -1;
}

static void add_seg(struct side *sd, uint32_t seq, const uint8_t *data, size_t len)
{
	if (sd->n_segs == sd->cap_segs) {
		sd->cap_segs = sd->cap_segs ? 2 * sd->cap_segs : 64;
		sd->segs = realloc(sd->segs, sd->cap_segs * sizeof(*sd->segs));
		if (!sd->segs)
			abort();
	}
	uint8_t *copy = malloc(len);
	if (!copy)
		abort();
	memcpy(copy, data, len);
	sd->segs[sd->n_segs++] = (struct seg){.seq = seq, .len = len, .data = copy};
}

/* In-order bytes of one side (malloc'd): from the ISN (or the first segment), each step
 * takes the segment that covers the next expected sequence number and appends only what
 * is new, so retransmitted and overlapping bytes are dropped; a gap ends the stream. */
static uint8_t *side_stream(const struct side *sd, size_t *ret_len)
{
	uint8_t *out = malloc(STREAM_CAP);
	size_t n = 0;
	if (!out)
		abort();
	if (sd->n_segs == 0) {
		*ret_len = 0;
		return out;
	}
	uint32_t next = sd->have_isn ? sd->isn : sd->segs[0].seq;
	for (bool progress = true; progress && n < STREAM_CAP;) {
		progress = false;
		for (size_t i = 0; i < sd->n_segs; i++) {
			const struct seg *g = &sd->segs[i];
			uint32_t off = next - g->seq; /* modulo 2^32 */
			if (off >= g->len)
				continue;
			size_t k = g->len - off;
			if (k > STREAM_CAP - n)
				k = STREAM_CAP - n;
			memcpy(out + n, g->data + off, k);
			n += k;
			next += (uint32_t)k;
			progress = true;
			break;
		}
	}
	*ret_len = n;
	return out;
}

/* The two sides of the capture's first TCP connection, cut like the TLS stage: the
 * plaintext each side sent before its first record, at most TLS_PLAINTEXT_KEEP bytes.
 * *ret_started: whether each side's TLS started. False when the file cannot be read. */
static bool load_dialogue(const char *dir, const char *file, uint8_t plain[2][TLS_PLAINTEXT_KEEP], size_t plain_len[2],
			  bool started[2])
{
	char path[4096], err[256];
	struct capfile *cf;
	struct cap_frame fr;
	struct conn c;
	enum cap_status st;

	memset(&c, 0, sizeof(c));
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return false;
	if (capfile_open(path, &cf, err, sizeof(err)) != 0) {
		fprintf(stderr, "test_starttls: %s\n", err);
		return false;
	}
	while ((st = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK) {
		struct pkt p;
		if (decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p) != DECODE_OK)
			continue;
		if (!c.have) {
			/* the first packet names the connection; a SYN-ACK is sent by the server */
			int cl = (p.tcp_flags & TCP_SYN) && (p.tcp_flags & TCP_ACK) ? 1 : 0;
			c.have = true;
			c.family = p.family;
			memcpy(c.s[cl].addr, p.src, 16);
			memcpy(c.s[1 - cl].addr, p.dst, 16);
			c.s[cl].port = p.sport;
			c.s[1 - cl].port = p.dport;
		}
		int d = side_of(&c, &p);
		if (d < 0)
			continue;
		struct side *sd = &c.s[d];
		if (p.tcp_flags & TCP_SYN) {
			sd->have_isn = true;
			sd->isn = p.seq + 1;
		}
		if (p.payload_len)
			add_seg(sd, p.seq, p.payload, p.payload_len);
	}
	capfile_free(cf);
	if (st == CAP_BAD) {
		fprintf(stderr, "test_starttls: %s\n", err);
		return false;
	}

	struct tls_facts *f = malloc(sizeof(*f));
	if (!f)
		abort();
	tf_init(f);
	for (int d = 0; d < 2; d++) {
		size_t n;
		uint8_t *s = side_stream(&c.s[d], &n);
		(void)tf_feed(f, d == 0 ? TLS_DIR_CLIENT : TLS_DIR_SERVER, s, n, NULL);
		plain_len[d] = f->dir[d].plain_len;
		if (plain_len[d])
			memcpy(plain[d], f->dir[d].plain, plain_len[d]);
		started[d] = f->dir[d].started;
		free(s);
		for (size_t i = 0; i < c.s[d].n_segs; i++)
			free(c.s[d].segs[i].data);
		free(c.s[d].segs);
	}
	tf_done(f);
	free(f);
	return c.have;
}

/* ---- invariants that hold for any input ---- */

static void check_sane(const struct starttls_result *r, const char *what)
{
	CHECK(r->reply[sizeof(r->reply) - 1] == 0, "%s: reply not NUL-terminated", what);
	CHECK(!(r->accepted && r->refused), "%s: accepted and refused", what);
	CHECK(!(r->accepted || r->refused) || r->requested, "%s: an answer without a request", what);
	CHECK(r->proto != STARTTLS_NONE || (!r->requested && r->reply[0] == 0), "%s: NONE with facts", what);
	CHECK(r->requested == (r->proto != STARTTLS_NONE), "%s: requested but no protocol", what);
	CHECK((unsigned)r->proto < STARTTLS_COUNT_, "%s: protocol %u", what, (unsigned)r->proto);
}

/* Where the server's answer to the request starts in its bytes: the answer is the last
 * thing a server says in plaintext in these dialogues (TLS, or nothing, follows). */
static size_t answer_start(enum starttls_proto p, const uint8_t *s, size_t n)
{
	switch (p) {
	case STARTTLS_POSTGRESQL: return n ? n - 1 : 0;
	case STARTTLS_LDAP:
	case STARTTLS_RDP: return 0; /* the server's only message */
	case STARTTLS_XMPP:
		for (size_t i = n; i-- > 0;)
			if (s[i] == '<' && i + 2 < n && (s[i + 1] == 'p' || s[i + 1] == 'f'))
				return i;
		return 0;
	default: /* the start of the last line */
	{
		size_t end = n;
		while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
			end--;
		while (end > 0 && s[end - 1] != '\n')
			end--;
		return end;
	}
	}
}

/* Every prefix and suffix of each side (the other side whole): no crash, sane results, and
 * no answer claimed before the server's answer is there (MySQL has none to wait for); once
 * visible, the answer stays. The full dialogue's result is *full. */
static void sweep(const char *name, const uint8_t *c, size_t cn, const uint8_t *s, size_t sn,
		  const struct starttls_result *full)
{
	struct starttls_result r;
	size_t ans = answer_start(full->proto, s, sn);
	bool seen = false;

	for (size_t k = 0; k <= sn; k++) {
		starttls_detect(c, cn, s, k, &r);
		check_sane(&r, name);
		if (full->proto == STARTTLS_MYSQL)
			continue;
		if (k <= ans)
			CHECK(!r.accepted && !r.refused,
			      "%s: answer claimed from %zu of %zu server bytes (answer at %zu)", name, k, sn, ans);
		if (seen)
			CHECK(r.accepted == full->accepted && r.refused == full->refused,
			      "%s: answer lost at %zu server bytes", name, k);
		seen = seen || r.accepted || r.refused;
	}
	for (size_t k = 0; k <= cn; k++) {
		starttls_detect(c, k, s, sn, &r);
		check_sane(&r, name);
		starttls_detect(c + k, cn - k, s, sn, &r); /* suffixes */
		check_sane(&r, name);
	}
	for (size_t k = 0; k <= sn; k++) {
		starttls_detect(c, cn, s + k, sn - k, &r);
		check_sane(&r, name);
	}
	/* both sides cut together, a coarse grid */
	for (size_t a = 0; a <= cn; a += 7)
		for (size_t b = 0; b <= sn; b += 7) {
			starttls_detect(c, a, s, b, &r);
			check_sane(&r, name);
			CHECK(full->proto == STARTTLS_MYSQL || b > ans || (!r.accepted && !r.refused),
			      "%s: answer claimed at %zu/%zu", name, a, b);
		}
}

/* ---- real dialogues ---- */

struct real_case {
	const char *file;
	enum starttls_proto proto;
	const char *reply; /* expected starttls_result.reply; NULL: not checked */
};

static const struct real_case real_cases[] = {
	{"zeek__smtp-starttls.pcap", STARTTLS_SMTP, "220 2.0.0 Ready to start TLS"},
	{"arkime__smtp-starttls.pcap", STARTTLS_SMTP, "220 2.0.0 Ready to start TLS"},
	{"suricata-verify__smtp-startssl__input.pcap", STARTTLS_SMTP, "220 2.0.0 Ready to start TLS"},
	{"zeek__imap-starttls.pcap", STARTTLS_IMAP, NULL}, /* 512-byte cut inside ". OK Begin TLS..." */
	{"zeek__pop3-starttls.pcap", STARTTLS_POP3, "+OK Begin TLS negotiation now"},
	{"ndpi__pop3_stls.pcap", STARTTLS_POP3, "+OK Ready to start TLS negotiation."},
	{"zeek__ftp-auth-tls.pcap", STARTTLS_FTP, "234 Proceed with negotiation."},
	{"ndpi__ftp-start-tls.pcap", STARTTLS_FTP, "234 Proceed with negotiation."},
	{"zeek__ldap-starttls.pcap", STARTTLS_LDAP, "0"},
	{"arkime__ldap-ssl.pcap", STARTTLS_LDAP, "0"},
	/* the server's plaintext is 525 bytes: it fits in TLS_PLAINTEXT_KEEP (1024) whole */
	{"zeek__xmpp-starttls.pcap", STARTTLS_XMPP, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"},
	{"suricata-verify__pgsql-upgrade-tls__input.pcap", STARTTLS_POSTGRESQL, "S"},
	{"zeek__psql-aws-ssl-require.pcap", STARTTLS_POSTGRESQL, "S"},
	{"ndpi__pgsql2.pcapng", STARTTLS_POSTGRESQL, "S"},
	{"arkime__mysql-tls.pcap", STARTTLS_MYSQL, ""},
	{"zeek__tls-13-amazon-rds.pcap", STARTTLS_MYSQL, ""},
	{"zeek__irc-starttls.pcap", STARTTLS_IRC,
	 ":irc.joulunet.org 670  :STARTTLS successful, go ahead with TLS "}, /* 63 bytes */
	{"ndpi__rdp_over_tls.pcap", STARTTLS_RDP, "2"},			     /* PROTOCOL_HYBRID */
	{"zeek__rdp-to-ssl.pcap", STARTTLS_RDP, "2"},			     /* PROTOCOL_HYBRID too */
	/* not STARTTLS: a proxy greeting before TLS, and plain TLS */
	{"zeek__socks-with-ssl.pcap", STARTTLS_NONE, ""},
	{"ja4__https-connect.pcap", STARTTLS_NONE, ""},
	{"zeek__tls1.2.pcap", STARTTLS_NONE, ""},
};

static void test_real(const char *dir)
{
	static uint8_t plain[2][TLS_PLAINTEXT_KEEP];
	size_t plen[2];
	bool started[2];
	struct starttls_result r;

	for (size_t i = 0; i < sizeof(real_cases) / sizeof(real_cases[0]); i++) {
		const struct real_case *rc = &real_cases[i];
		bool ok = load_dialogue(dir, rc->file, plain, plen, started);
		CHECK(ok, "%s: cannot read the capture", rc->file);
		if (!ok)
			continue;
		/* every capture here starts TLS on both sides */
		CHECK(started[0] && started[1], "%s: TLS did not start (client %d server %d)", rc->file, started[0],
		      started[1]);
		starttls_detect(plain[0], plen[0], plain[1], plen[1], &r);
		check_sane(&r, rc->file);
		printf("%-48s client %3zu server %3zu bytes -> %-10s requested %d accepted %d refused %d reply "
		       "\"%s\"\n",
		       rc->file, plen[0], plen[1], r.proto ? names_starttls(r.proto) : "none", r.requested, r.accepted,
		       r.refused, r.reply);
		CHECK(r.proto == rc->proto, "%s: protocol %s, expected %s", rc->file,
		      r.proto ? names_starttls(r.proto) : "none", rc->proto ? names_starttls(rc->proto) : "none");
		CHECK(r.accepted == (rc->proto != STARTTLS_NONE), "%s: accepted %d", rc->file, r.accepted);
		CHECK(!r.refused, "%s: refused", rc->file);
		if (rc->reply)
			CHECK(strcmp(r.reply, rc->reply) == 0, "%s: reply \"%s\", expected \"%s\"", rc->file, r.reply,
			      rc->reply);
		if (rc->proto == STARTTLS_NONE && strcmp(rc->file, "zeek__tls1.2.pcap") == 0)
			CHECK(plen[0] == 0 && plen[1] == 0, "%s: plain TLS has plaintext %zu/%zu", rc->file, plen[0],
			      plen[1]);
		if (rc->proto == STARTTLS_IMAP)
			CHECK(strncmp(r.reply, ". OK", 4) == 0, "%s: reply \"%s\"", rc->file, r.reply);
		sweep(rc->file, plain[0], plen[0], plain[1], plen[1], &r);
	}
}

/* ---- synthetic dialogues ---- */

struct syn_case {
	const char *name;
	const char *client;
	size_t client_len;
	const char *server;
	size_t server_len;
	enum starttls_proto proto;
	bool requested, accepted, refused;
	const char *reply;
};

#define B(s) s, sizeof(s) - 1

static const struct syn_case syn_cases[] = {
	/* refusals */
	{"smtp 454", B("EHLO a.example\r\nSTARTTLS\r\nQUIT\r\n"),
	 B("220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available due to local problem\r\n"),
	 STARTTLS_SMTP, true, false, true, "454 4.7.0 TLS not available due to local problem"},
	{"imap NO", B("a1 CAPABILITY\r\na2 STARTTLS\r\n"),
	 B("* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 NO TLS unavailable\r\n"), STARTTLS_IMAP,
	 true, false, true, "a2 NO TLS unavailable"},
	{"imap BAD", B("x STARTTLS\n"), B("* OK hi\nx BAD no\n"), STARTTLS_IMAP, true, false, true, "x BAD no"},
	{"pop3 -ERR", B("CAPA\r\nSTLS\r\n"),
	 B("+OK POP3 ready\r\n+OK capa\r\nUSER\r\nSTLS\r\n.\r\n-ERR TLS not available\r\n"), STARTTLS_POP3, true, false,
	 true, "-ERR TLS not available"},
	{"ftp 534", B("FEAT\r\nAUTH TLS\r\n"),
	 B("220 ftp\r\n211-Features:\r\n AUTH TLS\r\n211 End\r\n534 Request denied for policy reasons.\r\n"),
	 STARTTLS_FTP, true, false, true, "534 Request denied for policy reasons."},
	{"ldap protocolError",
	 B("\x30\x1d\x02\x01\x01\x77\x18\x80\x16"
	   "1.3.6.1.4.1.1466.20037"),
	 B("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00"), STARTTLS_LDAP, true, false, true, "2"},
	{"xmpp failure",
	 B("<?xml version='1.0'?><stream:stream to='x'><starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>"),
	 B("<stream:stream id='1'><stream:features/><failure xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>"),
	 STARTTLS_XMPP, true, false, true, "<failure xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>"},
	{"postgresql N", B("\x00\x00\x00\x08\x04\xd2\x16\x2f"), B("N"), STARTTLS_POSTGRESQL, true, false, true, "N"},
	{"irc 691", B("CAP LS\r\nSTARTTLS\r\n"),
	 B(":irc.example NOTICE * :*** Looking up your hostname\r\n:irc.example CAP * LS :tls\r\n"
	   ":irc.example 691 * :STARTTLS failed\r\n"),
	 STARTTLS_IRC, true, false, true, ":irc.example 691 * :STARTTLS failed"},
	{"rdp negotiation failure", B("\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00"),
	 B("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x03\x00\x08\x00\x02\x00\x00\x00"), STARTTLS_RDP, true, false,
	 true, "2"}, /* SSL_NOT_ALLOWED_BY_SERVER */
	{"rdp standard security selected",
	 B("\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x01\x00\x00\x00"),
	 B("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x00\x00\x00\x00"), STARTTLS_RDP, true, false,
	 true, "0"},
	/* acceptances in other spellings */
	{"smtp lower case, LF only", B("ehlo a\nstarttls\n"), B("220 hi\n250 ok\n220 go ahead\n"), STARTTLS_SMTP, true,
	 true, false, "220 go ahead"},
	{"smtp AUTH LOGIN before", B("EHLO a\r\nAUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\nSTARTTLS\r\n"),
	 B("220 hi\r\n250 ok\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n220 go\r\n"), STARTTLS_SMTP, true,
	 true, false, "220 go"},
	{"smtp DATA before", B("HELO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSTARTTLS\r\n.\r\nSTARTTLS\r\n"),
	 B("220 hi\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n220 tls\r\n"), STARTTLS_SMTP, true, true,
	 false, "220 tls"},
	{"smtp no server bytes", B("EHLO a\r\nSTARTTLS\r\n"), B(""), STARTTLS_SMTP, true, false, false, ""},
	{"ftp AUTH SSL, 120 first", B("AUTH SSL\r\n"), B("120 wait\r\n220-hello\r\n220 ready\r\n234 AUTH SSL OK\r\n"),
	 STARTTLS_FTP, true, true, false, "234 AUTH SSL OK"},
	{"ftp AUTH TLS-C", B("auth tls-c\r\n"), B("220 x\r\n234 ok\r\n"), STARTTLS_FTP, true, true, false, "234 ok"},
	{"imap one tag throughout", B(". CAPABILITY\r\n. STARTTLS\r\n"),
	 B("* OK x\r\n* CAPABILITY STARTTLS\r\n. OK CAPABILITY completed\r\n. OK Begin TLS\r\n"), STARTTLS_IMAP, true,
	 true, false, ". OK Begin TLS"},
	{"pop3 AUTH list before", B("AUTH\r\nSTLS\r\n"), B("+OK hi\r\n+OK\r\nPLAIN\r\n.\r\n+OK go\r\n"), STARTTLS_POP3,
	 true, true, false, "+OK go"},
	{"xmpp double quotes, proceed", B("<stream:stream><starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>"),
	 B("<stream:stream><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
	   "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
	 STARTTLS_XMPP, true, true, false, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"},
	{"postgresql GSSENC refused then SSL", B("\x00\x00\x00\x08\x04\xd2\x16\x30\x00\x00\x00\x08\x04\xd2\x16\x2f"),
	 B("NS"), STARTTLS_POSTGRESQL, true, true, false, "S"},
	{"ldap long-form lengths, id 300",
	 B("\x30\x81\x20\x02\x02\x01\x2c\x77\x82\x00\x18\x80\x16"
	   "1.3.6.1.4.1.1466.20037"),
	 B("\x30\x81\x0d\x02\x02\x01\x2c\x78\x07\x0a\x01\x00\x04\x00\x04\x00"), STARTTLS_LDAP, true, true, false, "0"},
	{"ldap bind first",
	 B("\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00"
	   "\x30\x1d\x02\x01\x02\x77\x18\x80\x16"
	   "1.3.6.1.4.1.1466.20037"),
	 B("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
	   "\x30\x0c\x02\x01\x02\x78\x07\x0a\x01\x00\x04\x00\x04\x00"),
	 STARTTLS_LDAP, true, true, false, "0"},
	{"mysql SSLRequest",
	 B("\x20\x00\x00\x01\x05\xae\xff\x20\x00\x00\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	   "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
	 B("\x16\x00\x00\x00\x0a"
	   "8.0.1\x00"
	   "\x01\x00\x00\x00"
	   "abcdefgh\x00\xff\xff"),
	 STARTTLS_MYSQL, true, true, false, ""},
	/* not STARTTLS */
	{"mysql login without CLIENT_SSL",
	 B("\x20\x00\x00\x01\x05\xa6\xff\x20\x00\x00\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	   "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
	 B("\x16\x00\x00\x00\x0a"
	   "8.0.1\x00"
	   "\x01\x00\x00\x00"
	   "abcdefgh\x00\xff\xff"),
	 STARTTLS_NONE, false, false, false, ""},
	{"postgresql GSSENC accepted", B("\x00\x00\x00\x08\x04\xd2\x16\x30"), B("G"), STARTTLS_NONE, false, false,
	 false, ""},
	{"rdp standard security requested",
	 B("\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00"),
	 B("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x00\x00\x00\x00"), STARTTLS_NONE, false, false,
	 false, ""},
	{"socks5", B("\x05\x01\x00\x05\x01\x00\x03\x0bexample.com\x01\xbb"),
	 B("\x05\x00\x05\x00\x00\x01\x00\x00\x00\x00\x01\xbb"), STARTTLS_NONE, false, false, false, ""},
	{"socks4", B("\x04\x01\x01\xbb\x5d\xb8\xd8\x22user\x00"), B("\x00\x5a\x00\x00\x00\x00\x00\x00"), STARTTLS_NONE,
	 false, false, false, ""},
	{"http connect", B("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
	 B("HTTP/1.1 200 Connection established\r\n\r\n"), STARTTLS_NONE, false, false, false, ""},
	{"nntp starttls is not smtp", B("CAPABILITIES\r\nSTARTTLS\r\n"),
	 B("200 news ready\r\n101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n382 Continue\r\n"), STARTTLS_NONE,
	 false, false, false, ""},
	{"smtp without starttls", B("EHLO a\r\nMAIL FROM:<a@b>\r\n"), B("220 hi\r\n250 ok\r\n250 ok\r\n"),
	 STARTTLS_NONE, false, false, false, ""},
	{"xmpp sasl failure is not the answer", B("<stream:stream><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
	 B("<stream:stream><failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"), STARTTLS_XMPP, true, false, false,
	 ""},
	{"empty", B(""), B(""), STARTTLS_NONE, false, false, false, ""},
};

static void test_synthetic(void)
{
	struct starttls_result r;

	for (size_t i = 0; i < sizeof(syn_cases) / sizeof(syn_cases[0]); i++) {
		const struct syn_case *sc = &syn_cases[i];
		const uint8_t *c = (const uint8_t *)sc->client, *s = (const uint8_t *)sc->server;
		starttls_detect(c, sc->client_len, s, sc->server_len, &r);
		check_sane(&r, sc->name);
		CHECK(r.proto == sc->proto, "%s: protocol %s, expected %s", sc->name,
		      r.proto ? names_starttls(r.proto) : "none", sc->proto ? names_starttls(sc->proto) : "none");
		CHECK(r.requested == sc->requested && r.accepted == sc->accepted && r.refused == sc->refused,
		      "%s: requested %d accepted %d refused %d", sc->name, r.requested, r.accepted, r.refused);
		CHECK(strcmp(r.reply, sc->reply) == 0, "%s: reply \"%s\", expected \"%s\"", sc->name, r.reply,
		      sc->reply);
		sweep(sc->name, c, sc->client_len, s, sc->server_len, &r);
	}
	/* NULL with length 0 is allowed */
	starttls_detect(NULL, 0, NULL, 0, &r);
	CHECK(r.proto == STARTTLS_NONE, "NULL input");
	/* a long reply is cut to the buffer, NUL-terminated */
	static const char longc[] = "EHLO a\r\nSTARTTLS\r\n";
	char longs[300] = "220 hi\r\n250 ok\r\n454 ";
	size_t n = strlen(longs);
	memset(longs + n, 'x', sizeof(longs) - n - 1);
	longs[sizeof(longs) - 1] = 0;
	starttls_detect((const uint8_t *)longc, strlen(longc), (const uint8_t *)longs, strlen(longs), &r);
	CHECK(r.refused && strlen(r.reply) == sizeof(r.reply) - 1, "long reply: %zu", strlen(r.reply));
}

/* starttls_detect_answer: the server's side alone, for a server that went on to TLS. The dialogues are the
 * server halves recorded in samples/starttls.pcap (scripts/make-starttls-samples.sh) and ones that end in the
 * answer to some other command. */
static void test_answer_only(void)
{
	static const struct {
		const char *server;
		enum starttls_proto proto;
		const char *reply;
	} cases[] = {
		{"220 mail.example.test ESMTP tlsaudit-sample\r\n250-mail.example.test\r\n250-PIPELINING\r\n"
		 "250-SIZE 10240000\r\n250-8BITMIME\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n",
		 STARTTLS_SMTP, "220 2.0.0 Ready to start TLS"},
		{"220 (vsFTPd 3.0.3)\r\n234 Proceed with negotiation.\r\n", STARTTLS_FTP,
		 "234 Proceed with negotiation."},
		{"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\n"
		 "a1 OK done\r\na2 OK Begin TLS negotiation now\r\n",
		 STARTTLS_IMAP, "a2 OK Begin TLS negotiation now"},
		{"+OK POP3 ready\r\n+OK Capability list follows\r\nSTLS\r\n.\r\n+OK Begin TLS\r\n", STARTTLS_POP3,
		 "+OK Begin TLS"},
		/* the last reply does not agree to an upgrade: nothing */
		{"220 mail.example.test ESMTP\r\n250-mail.example.test\r\n250 STARTTLS\r\n", STARTTLS_NONE, ""},
		{"220 mail.example.test ESMTP\r\n", STARTTLS_NONE, ""}, /* the greeting alone */
		{"220 x\r\n454 4.7.0 TLS not available\r\n", STARTTLS_NONE, ""},
		{"* OK ready\r\n* BYE\r\n", STARTTLS_NONE, ""},
		{"* OK ready\r\na1 NO no\r\n", STARTTLS_NONE, ""},
		{"+OK ready\r\n-ERR no\r\n", STARTTLS_NONE, ""},
		{"HTTP/1.1 200 Connection established\r\n\r\n", STARTTLS_NONE, ""},
		{"", STARTTLS_NONE, ""},
	};
	struct starttls_result r;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *sv = cases[i].server;
		bool found = starttls_detect_answer((const uint8_t *)sv, strlen(sv), &r);
		check_sane(&r, "answer only");
		CHECK(found == (cases[i].proto != STARTTLS_NONE) && r.proto == cases[i].proto &&
			      strcmp(r.reply, cases[i].reply) == 0 && r.accepted == found && r.requested == found &&
			      !r.refused,
		      "answer only %zu: found %d proto %d reply \"%s\"", i, found, r.proto, r.reply);
		/* every prefix: no crash, and never a protocol the whole dialogue does not have */
		for (size_t k = 0; k < strlen(sv); k++) {
			starttls_detect_answer((const uint8_t *)sv, k, &r);
			check_sane(&r, "answer only prefix");
			CHECK(r.proto == STARTTLS_NONE || r.proto == cases[i].proto, "answer only %zu at %zu: proto %d",
			      i, k, r.proto);
		}
	}
	starttls_detect_answer(NULL, 0, &r);
	CHECK(r.proto == STARTTLS_NONE, "answer only: NULL input");
}

static void test_names(void)
{
	CHECK(names_starttls(STARTTLS_NONE) == NULL, "NONE has no name");
	CHECK(names_starttls(STARTTLS_COUNT_) == NULL, "COUNT_ has no name");
	static const char *const want[STARTTLS_COUNT_] = {NULL,	  "smtp",	"imap",	 "pop3", "ftp", "ldap",
							  "xmpp", "postgresql", "mysql", "irc",	 "rdp"};
	for (int p = 1; p < STARTTLS_COUNT_; p++)
		CHECK(names_starttls((enum starttls_proto)p) &&
			      strcmp(names_starttls((enum starttls_proto)p), want[p]) == 0,
		      "name of %d", p);
}

int main(int argc, char **argv)
{
	struct stat sb;

	if (argc != 2) {
		fprintf(stderr, "usage: test_starttls CORPUS_PCAPS_DIR\n");
		return 1;
	}
	test_names();
	test_synthetic();
	test_answer_only();
	if (stat(argv[1], &sb) != 0 || !S_ISDIR(sb.st_mode))
		printf("SKIP: the real dialogues are read from the shared corpus: %s not found (-Dcorpus=DIR or "
		       "TLSAUDIT_CORPUS at setup)\n",
		       argv[1]);
	else
		test_real(argv[1]);
	printf("%u checks, %u failures\n", checks, failures);
	return failures ? 1 : 0;
}
