/* tls_facts_test.h - test helper: a TLS stage connection (struct tls_conn) plus copies of what its events handed
 * out (the first ClientHello, the second one, the last ServerHello, the leaf certificate), refreshed after every
 * feed, so that tests can look at a connection's facts the way the pipeline's record builder does. Test code
 * only: the stage itself keeps none of these copies. */
#ifndef TLSAUDIT_TESTS_TLS_FACTS_H
#define TLSAUDIT_TESTS_TLS_FACTS_H

#include <stdlib.h>
#include <string.h>

#include "tlsaudit/tls.h"

struct tls_facts {
	struct tls_conn *conn;
	/* the stage's state, refreshed after every feed (same names) */
	bool have_ch;
	uint8_t ch_status, n_client_hellos;
	uint16_t ch_records;
	bool ch_sent_after_sh, have_sh, hrr;
	uint16_t negotiated_version;
	uint32_t sslv2_cipher24;
	bool have_alert;
	uint8_t alert_level, alert_desc;
	enum tls_dir alert_sender;
	bool fatal_alert, fatal_before_done, resumed;
	uint32_t anomalies;
	struct tls_dir_view dir[2];
	/* what the events handed out */
	struct tls_client_hello ch;   /* the first ClientHello (also a partial one) */
	struct tls_client_hello *ch2; /* the second, when it parsed */
	struct tls_server_hello sh;   /* the last non-HRR ServerHello */
	struct {
		uint8_t *der;
		size_t der_len;
		bool leaf_done;
		uint32_t chain_len;
	} cert;
};

static inline void tf_on_ch(void *ctx, const struct tls_client_hello *ch, enum tls_status st)
{
	struct tls_facts *f = ctx;
	const struct tls_state *s = tls_conn_state(f->conn);
	if (s->n_client_hellos == 1)
		f->ch = *ch;
	else if (s->n_client_hellos == 2 && st == TLS_OK && !f->ch2 && s->have_ch) {
		f->ch2 = malloc(sizeof(*f->ch2));
		if (f->ch2)
			*f->ch2 = *ch;
	}
}

static inline void tf_on_sh(void *ctx, const struct tls_server_hello *sh)
{
	struct tls_facts *f = ctx;
	f->sh = *sh;
}

static inline void tf_on_cert(void *ctx, const uint8_t *der, size_t len)
{
	struct tls_facts *f = ctx;
	free(f->cert.der);
	f->cert.der = malloc(len ? len : 1);
	if (f->cert.der) {
		memcpy(f->cert.der, der, len);
		f->cert.der_len = len;
		f->cert.leaf_done = true;
	}
}

static const struct tls_events tf_events = {
	.client_hello = tf_on_ch, .server_hello = tf_on_sh, .certificate = tf_on_cert};

static inline void tf_sync(struct tls_facts *f)
{
	const struct tls_state *s = tls_conn_state(f->conn);
	f->have_ch = s->have_ch;
	f->ch_status = s->ch_status;
	f->n_client_hellos = s->n_client_hellos;
	f->ch_records = s->ch_records;
	f->ch_sent_after_sh = s->ch_sent_after_sh;
	f->have_sh = s->have_sh;
	f->hrr = s->hrr;
	f->negotiated_version = s->negotiated_version;
	f->sslv2_cipher24 = s->sslv2_cipher24;
	f->have_alert = s->have_alert;
	f->alert_level = s->alert_level;
	f->alert_desc = s->alert_desc;
	f->alert_sender = (enum tls_dir)s->alert_sender;
	f->fatal_alert = s->fatal_alert;
	f->fatal_before_done = s->fatal_before_done;
	f->resumed = s->resumed;
	f->anomalies = s->anomalies;
	f->cert.chain_len = s->cert_chain_len;
	memcpy(f->dir, s->dir, sizeof(f->dir));
}

static inline void tf_init(struct tls_facts *f)
{
	memset(f, 0, sizeof(*f));
}

static inline size_t tf_feed(struct tls_facts *f, enum tls_dir dir, const uint8_t *data, size_t len,
			     const struct tls_limits *lim)
{
	if (!f->conn && tls_conn_new(lim, &tf_events, f, &f->conn) < 0)
		abort();
	size_t used = tls_conn_feed(f->conn, dir, data, len, false);
	tf_sync(f);
	return used;
}

static inline void tf_done(struct tls_facts *f)
{
	tls_conn_free(f->conn);
	free(f->ch2);
	free(f->cert.der);
	memset(f, 0, sizeof(*f));
}

static inline bool tf_established(const struct tls_facts *f)
{
	return f->conn && tls_established(tls_conn_state(f->conn), NULL);
}

static inline bool tf_done_p(const struct tls_facts *f)
{
	return f->conn && tls_done(tls_conn_state(f->conn));
}

static inline uint16_t tf_negotiated(const struct tls_facts *f)
{
	return f->have_sh ? f->negotiated_version : 0;
}

#endif
