/* probe.h - active confirmation: which protocol versions a server accepts when a client asks for exactly one.
 * specification: RFC 8446 4.1.2 (ClientHello, supported_versions, key_share), RFC 5246 7.4.1.2 and appendix E
 * (TLS 1.2 and older hellos), RFC 6101 5.6.1.2 (SSL 3.0), draft-hickman-netscape-ssl-00 (SSLv2 CLIENT-HELLO),
 * RFC 6066 3 (server_name), RFC 7685 (padding), RFC 5746 3.3 (renegotiation SCSV), RFC 7507 (no fallback SCSV
 * is sent); STARTTLS dialogues in the client role: RFC 3207, RFC 3501 6.2.1, RFC 2595 4, RFC 4217 4,
 * RFC 4511 4.14, RFC 6120 5.4, PostgreSQL protocol 53.2.9, MySQL Protocol::SSLRequest.
 *
 * Contract. The hello builder is pure: it writes one record from the options and the random bytes it is given.
 * probe_endpoint_run() opens one TCP connection per version (the targets named by the caller only, never a
 * range), runs the STARTTLS dialogue when asked, sends the hello and feeds the answer to our own TLS stage
 * (tls.h) until the ServerHello, an alert, the end of the connection or the deadline decides. The handshake is
 * never completed, so no key is ever computed and no crypto library is needed. Library code never prints; it
 * returns results and negative errno values.
 */
#ifndef TLSAUDIT_PROBE_H
#define TLSAUDIT_PROBE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsaudit/limits.h"

/* What one attempt gave (names: names_probe_result(), names.h; stored as these numbers). */
enum probe_result {
	PROBE_ACCEPTED = 0,	/* a ServerHello (or TLS 1.3 HelloRetryRequest) for the version offered */
	PROBE_OTHER_VERSION,	/* a ServerHello for another version than the only one offered: refused */
	PROBE_ALERT,		/* an alert instead of a ServerHello: refused */
	PROBE_RESET,		/* the connection was reset */
	PROBE_CLOSED,		/* the server closed without a ServerHello or alert */
	PROBE_TIMEOUT,		/* no decisive answer before the deadline */
	PROBE_NOT_TLS,		/* the server answered with bytes that are not TLS */
	PROBE_STARTTLS_REFUSED, /* the plaintext upgrade was refused (no hello was sent) */
	PROBE_UNREACHABLE,	/* the TCP connection could not be made (no hello was sent) */
	PROBE_SKIPPED,		/* not tried: the cap on connections of this run was reached */
	PROBE_R_COUNT_
};

/* The versions a probe can try, lowest first: SSL 2.0 (SSLv2-format hello, only on request) .. TLS 1.3. */
#define PROBE_N_VERSIONS 6
/* header-only (the store and the report use it without linking the probe library) */
static const uint16_t probe_versions[PROBE_N_VERSIONS] = {0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304};

/* The index of v in probe_versions, or -1. */
static inline int probe_version_slot(uint16_t v)
{
	switch (v) {
	case 0x0002: return 0;
	case 0x0300: return 1;
	case 0x0301: return 2;
	case 0x0302: return 3;
	case 0x0303: return 4;
	case 0x0304: return 5;
	default: return -1;
	}
}

/* ---- the hello builder (probe_hello.c) ---- */

#define PROBE_HELLO_MAX	   1024 /* bytes of the largest hello built (TLS 1.2 with a 255-byte SNI: ~700) */
#define PROBE_RANDOM_BYTES 96	/* client random, TLS 1.3 legacy_session_id, X25519 key share (SSLv2: 16) */

struct probe_hello_opts {
	uint16_t version;      /* one of probe_versions[] */
	const char *sni;       /* server_name host_name bytes (borrowed), NULL for none; not sent in SSL 2.0/3.0 */
	size_t sni_len;	       /* at most TA_MAX_SNI */
	const uint8_t *random; /* PROBE_RANDOM_BYTES bytes (borrowed): the caller's randomness */
};

/* Build the ClientHello record for o->version into buf[cap]: a TLSPlaintext record (SSLv2 format for 0x0002)
 * as a client limited to that one version would send it. Returns 0 and *ret_len, -EINVAL for a version not in
 * probe_versions or an SNI over TA_MAX_SNI, -ENOSPC when cap is too small. */
int probe_hello_build(const struct probe_hello_opts *o, uint8_t *buf, size_t cap, size_t *ret_len);
/* The cipher suites offered for a version (borrowed, static; SSLv2: the 24-bit kinds). */
size_t probe_hello_ciphers(uint16_t version, const uint32_t **ret);

/* ---- targets (probe_target.c) ---- */

#define PROBE_MAX_ADDRS 16 /* addresses probed per name (getaddrinfo order); more are counted, not probed */

struct probe_endpoint {
	char target[256];  /* as given on the command line, NUL-terminated */
	char host[256];	   /* the host part (a name, or the address text) */
	bool host_is_name; /* host is a name, not an address literal */
	uint8_t family;	   /* 4 or 6 */
	uint8_t addr[16];  /* network order; IPv4 in the first 4 bytes */
	char ip[48];	   /* canonical text of addr */
	uint16_t port;
	unsigned starttls; /* enum starttls_proto; 0 plain TLS */
	bool has_sni;
	uint16_t sni_len;
	char sni[TA_MAX_SNI + 1]; /* NUL-terminated */
};

/* Split "host", "host:port", "[v6]" or "[v6]:port" into host[256] and port (*ret_has_port false: none given).
 * Returns 0 or -EINVAL. */
int probe_target_split(const char *s, char host[256], uint16_t *ret_port, bool *ret_has_port);
/* The default port of a STARTTLS protocol (smtp 25, imap 143, ...; plain TLS 443). */
uint16_t probe_default_port(unsigned starttls);
/* Resolve host (getaddrinfo, TCP, both families) into up to max endpoints with target, host, port, starttls
 * and address filled (SNI left to the caller). Duplicate addresses are dropped. *ret_more counts addresses
 * over max. Returns the number found (>= 1), or a negative value: -ENOENT the name does not resolve,
 * -EAGAIN a temporary resolver failure, -EINVAL a bad host; err gets gai_strerror's text. */
int probe_resolve(const char *target, const char *host, uint16_t port, unsigned starttls, struct probe_endpoint *out,
		  size_t max, size_t *ret_more, char *err, size_t errlen);

/* ---- one endpoint (probe_run.c) ---- */

struct probe_answer {
	uint16_t version;	 /* tried; 0 when no hello was sent (unreachable, upgrade refused) */
	uint8_t result;		 /* enum probe_result */
	uint16_t server_version; /* the ServerHello's version (supported_versions deciding); 0 none */
	bool has_cipher;
	uint16_t cipher; /* the ServerHello's cipher_suite */
	bool hrr;	 /* TLS 1.3: the server asked for another key share (cipher not known then) */
	bool has_alert;
	uint8_t alert_level, alert_desc, alert_sender; /* sender: enum tls_dir (always the server here) */
	int64_t ts_ns;				       /* wall clock when the attempt began */
	bool has_rtt;
	uint32_t rtt_us; /* hello sent -> the answer that decided (ServerHello, alert, close, reset) */
	uint16_t detail_len;
	char detail[128]; /* raw bytes, NUL-terminated: the server's first line when it is not TLS, its answer to
			   * the upgrade request, or the local error ("Connection refused") */
};

struct probe_opts {
	unsigned timeout_ms; /* each attempt: connect, dialogue and answer (0 = PROBE_DEF_TIMEOUT_MS) */
	unsigned delay_ms;   /* pause between two attempts to the same endpoint */
	uint32_t versions;   /* bit i: try probe_versions[i] */
	atomic_uint *budget; /* connections this run may still open (shared by all threads); NULL: no cap */
	const char *ehlo;    /* SMTP EHLO / XMPP domain override; NULL: the local address / the host */
};
#define PROBE_DEF_TIMEOUT_MS 5000
#define PROBE_DEF_DELAY_MS   50
#define PROBE_DEF_VERSIONS   0x3eu /* SSL 3.0 .. TLS 1.3 */

/* Probe one endpoint: one connection per version in o->versions, lowest first, o->delay_ms apart. Writes one
 * answer per attempt into out (PROBE_N_VERSIONS entries) and returns how many. An attempt that could not reach
 * the server (unreachable, upgrade refused, dialogue timeout) ends the endpoint: its answer has version 0 and
 * the versions after it are not tried. Blocks up to (attempts) x (timeout + delay). */
size_t probe_endpoint_run(const struct probe_endpoint *e, const struct probe_opts *o,
			  struct probe_answer out[PROBE_N_VERSIONS]);

/* Run the STARTTLS client dialogue of proto (enum starttls_proto) on the connected socket fd (borrowed; made
 * non-blocking) within timeout_ms. domain: the EHLO/XMPP name ("" or NULL: the local address literal). Returns
 * 0 when the server agreed (TLS starts now), 1 when it refused (detail[cap] gets its answer, raw bytes,
 * NUL-terminated, *ret_detail_len its length), or a negative errno when the connection ended or timed out first
 * (-ETIMEDOUT, -ECONNRESET, -EPIPE, another errno). */
int probe_starttls_fd(int fd, unsigned proto, const char *domain, unsigned timeout_ms, char *detail, size_t cap,
		      uint16_t *ret_detail_len);

/* Judge one attempt from the bytes it exchanged (the network-free part of probe_endpoint_run, for tests):
 * hello is what was sent, server what came back, how the connection ended (0 still open / deadline, 1 closed,
 * 2 reset). Fills result, server_version, cipher, alert and detail of *a. */
enum probe_end { PROBE_END_DEADLINE = 0, PROBE_END_CLOSED, PROBE_END_RESET };
void probe_judge(uint16_t version, const uint8_t *hello, size_t hello_len, const uint8_t *server, size_t server_len,
		 enum probe_end end, struct probe_answer *a);

/* ---- output (probe_out.c) ---- */

/* Versions accepted, as a bit mask over probe_versions[] (bit i = probe_versions[i]). */
uint32_t probe_accepted_mask(const struct probe_answer *a, size_t n);
/* One NDJSON object (README "Probe output") for an endpoint and its answers, with '\n'. */
void probe_write_json(FILE *fp, const struct probe_endpoint *e, const struct probe_answer *a, size_t n);
/* The human lines for an endpoint: a header line and one line per answer. */
void probe_write_text(FILE *fp, const struct probe_endpoint *e, const struct probe_answer *a, size_t n);

#endif
