/* probe_judge.c - what a server's answer to one probe hello means, decided by our own TLS stage (tls.h).
 * specification: RFC 8446 4.1.3 (ServerHello, supported_versions, HelloRetryRequest), RFC 8446 6 (alerts),
 * RFC 5246 7.4.1.3, draft-hickman-netscape-ssl-00 (SERVER-HELLO).
 *
 * Design note. The judge is the pipeline's use of the TLS stage in miniature: the hello we sent is fed as the
 * client direction, every server byte as the server direction, and the stage's state says what happened. A
 * fatal alert, a ServerHello (any version: the one offered is accepted, another one is not) or a
 * HelloRetryRequest (only TLS 1.3 has one) decide at once; a warning alert does not (some servers warn
 * unrecognized_name and go on), so it only decides when the connection then ends. Bytes that the TLS stage
 * never took for a record are "not TLS", whatever else happened after them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe_internal.h"
#include "tlsaudit/names.h"

int probe_judge_start(struct probe_judge *j, uint16_t version, const uint8_t *hello, size_t len)
{
	j->tls = NULL;
	j->version = version;
	j->pend_len = 0;
	j->server_bytes = 0;
	j->first_len = 0;
	j->decided = false;
	int r = tls_conn_new(NULL, NULL, NULL, &j->tls);
	if (r < 0)
		return r;
	/* our hello is whole and well-formed: the client side consumes it at once */
	(void)tls_conn_feed(j->tls, TLS_DIR_CLIENT, hello, len, false);
	return 0;
}

/* A TLS server's first byte begins a record: anything skipped before one means the server speaks something
 * else (plaintext is never part of a plain TLS answer; a STARTTLS dialogue is over before the judge starts). */
static bool not_tls(const struct tls_dir_view *sv, uint64_t server_bytes)
{
	return sv->plaintext_skipped > 0 || (server_bytes > 0 && !sv->started && sv->dead);
}

static bool decided(const struct tls_state *s, uint64_t server_bytes)
{
	const struct tls_dir_view *sv = &s->dir[TLS_DIR_SERVER];
	if (not_tls(sv, server_bytes))
		return true;
	if (s->have_sh || s->hrr)
		return true;
	if (s->have_alert && s->alert_sender == TLS_DIR_SERVER && s->fatal_alert)
		return true;
	return false;
}

bool probe_judge_feed(struct probe_judge *j, const uint8_t *data, size_t len)
{
	size_t keep = sizeof(j->first) - j->first_len;
	if (keep > len)
		keep = len;
	memcpy(j->first + j->first_len, data, keep);
	j->first_len += keep;
	j->server_bytes += len;
	if (j->decided)
		return true;
	while (len > 0) {
		/* append what fits after the bytes the stage left, feed, keep the rest it leaves */
		size_t room = sizeof(j->pend) - j->pend_len;
		size_t n = len < room ? len : room;
		memcpy(j->pend + j->pend_len, data, n);
		j->pend_len += n;
		data += n;
		len -= n;
		size_t used = tls_conn_feed(j->tls, TLS_DIR_SERVER, j->pend, j->pend_len, false);
		if (used > j->pend_len)
			used = j->pend_len;
		memmove(j->pend, j->pend + used, j->pend_len - used);
		j->pend_len -= used;
		if (decided(tls_conn_state(j->tls), j->server_bytes)) {
			j->decided = true;
			return true;
		}
		if (used == 0 && j->pend_len == sizeof(j->pend)) {
			j->pend_len = 0; /* the stage keeps at most one small record: this cannot be TLS */
			break;
		}
	}
	return false;
}

bool probe_judge_wants_line(const struct probe_judge *j)
{
	if (!j->decided || !not_tls(&tls_conn_state(j->tls)->dir[TLS_DIR_SERVER], j->server_bytes))
		return false;
	if (j->first_len == sizeof(j->first))
		return false;
	for (size_t i = 0; i < j->first_len; i++)
		if (j->first[i] == '\n' || j->first[i] == '\r')
			return false;
	return true;
}

uint16_t probe_first_line(const uint8_t *p, size_t n, char *dst, size_t cap)
{
	size_t k = 0;
	while (k < n && k + 1 < cap && p[k] != '\n' && p[k] != '\r')
		k++;
	memcpy(dst, p, k);
	dst[k] = '\0';
	return (uint16_t)k;
}

void probe_judge_finish(struct probe_judge *j, enum probe_end end, struct probe_answer *a)
{
	const struct tls_state *s = tls_conn_state(j->tls);
	const struct tls_dir_view *sv = &s->dir[TLS_DIR_SERVER];

	a->version = j->version;
	a->server_version = 0;
	a->has_cipher = false;
	a->hrr = false;
	a->has_alert = false;
	a->detail_len = 0;
	a->detail[0] = '\0';
	if (not_tls(sv, j->server_bytes) || (j->server_bytes > 0 && !sv->started)) {
		a->result = PROBE_NOT_TLS;
		a->detail_len = probe_first_line(j->first, j->first_len, a->detail, sizeof(a->detail));
		return;
	}
	if (s->have_sh || s->hrr) {
		if (s->have_sh) {
			a->server_version = s->negotiated_version;
			if (!s->sh_sslv2) {
				a->has_cipher = true;
				a->cipher = s->sh_cipher;
			}
		} else {
			a->hrr = true; /* RFC 8446 4.1.4: only a TLS 1.3 server sends one */
			a->server_version = 0x0304;
		}
		a->result = a->server_version == j->version ? PROBE_ACCEPTED : PROBE_OTHER_VERSION;
		return;
	}
	if (s->have_alert && s->alert_sender == TLS_DIR_SERVER) {
		a->result = PROBE_ALERT;
		a->has_alert = true;
		a->alert_level = s->alert_level;
		a->alert_desc = s->alert_desc;
		a->alert_sender = s->alert_sender;
		return;
	}
	a->result = end == PROBE_END_RESET ? PROBE_RESET : end == PROBE_END_CLOSED ? PROBE_CLOSED : PROBE_TIMEOUT;
}

void probe_judge_done(struct probe_judge *j)
{
	tls_conn_free(j->tls);
	j->tls = NULL;
}

void probe_judge(uint16_t version, const uint8_t *hello, size_t hello_len, const uint8_t *server, size_t server_len,
		 enum probe_end end, struct probe_answer *a)
{
	struct probe_judge *j = malloc(sizeof(*j));
	memset(a, 0, sizeof(*a));
	a->version = version;
	a->result = PROBE_TIMEOUT;
	if (!j)
		return;
	if (probe_judge_start(j, version, hello, hello_len) == 0) {
		(void)probe_judge_feed(j, server, server_len);
		probe_judge_finish(j, end, a);
		probe_judge_done(j);
	}
	free(j);
}
