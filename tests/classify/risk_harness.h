/* risk_harness.h - drives real nDPI (classify_packet/classify_finish) and tlsaudit's TLS stage side by side
 * over the TCP packets of a capture, and derives per connection the facts classify_risk_combine() takes.
 * Test code only.
 *
 * nDPI is fed exactly as src/flow feeds it today: every payload packet of a connection, in arrival order,
 * direction = "sent by the endpoint whose packet created the flow", until classify says it is done or
 * the connection ends (RST, FIN from both sides, end of capture). Our facts come from tf_feed() over a
 * simple in-order reassembly of each direction, and from a record walker over the reassembled streams
 * (record boundaries, where each message ended, which packet delivered it). */
#ifndef TLSAUDIT_TEST_RISK_HARNESS_H
#define TLSAUDIT_TEST_RISK_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/classify.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/names.h"
#include "tlsaudit/tls.h"
#include "../tls_facts_test.h"

#define RH_MAX_STREAM (512u * 1024u) /* bytes of each direction kept for the walker */
#define RH_MAX_PKTS   4096u	     /* payload packets whose stream positions are remembered */
#define RH_MAX_OOO    64u	     /* out-of-order segments queued per direction */

/* One finished connection, borrowed by the callback. */
struct rh_conn {
	uint64_t index;			/* order of creation within the run */
	uint8_t family;			/* 4 or 6 */
	uint8_t addr[2][16];		/* [0] = creator's address */
	uint16_t ports[2];		/* [0] = creator's port */
	int client;			/* endpoint (0 creator, 1 other) the TLS stage took as client */
	bool tls_hello;			/* a ClientHello, ServerHello or plaintext alert was seen */
	struct classify_result real;	/* what nDPI reported (classify_finish) */
	const struct tls_facts *tls;	/* our TLS stage's facts */
	struct classify_risk_conn conn; /* derived per-connection facts */
	uint32_t payload_pkts;		/* payload packets of the connection */
	uint32_t fed;			/* of which fed to nDPI */
	bool reordered;			/* a payload packet arrived with an unexpected seq within the first 32 */
	bool encrypted_fatal_like;	/* a record of type 21 after its side's CCS whose first byte is 2 */
	bool start_seen;		/* both directions' SYNs (or first bytes) seen */
	uint32_t ch_msgs;		/* ClientHello messages in the client stream */
	uint32_t client_records, server_records; /* TLS records the walker read */
};

typedef void (*rh_conn_fn)(const struct rh_conn *rc, void *ctx);

struct rh;

/* c is borrowed (the nDPI module for the run's connections); max_packets is what c was given with
 * classify_set_max_packets() (0 = the default). */
int rh_new(struct classify *c, uint32_t max_packets, rh_conn_fn fn, void *ctx, struct rh **ret);
/* Feed one decoded TCP packet (borrowed for the call). */
void rh_packet(struct rh *h, const struct pkt *p);
/* Finish every open connection (end of capture) and free h; accepts NULL. */
void rh_free(struct rh *h);

/* The parts of a connection, computed from its facts with classify_risk.c's functions (test helper). */
void rh_parts(struct classify *c, const struct rh_conn *rc, struct classify_risk_parts *parts);

#endif
