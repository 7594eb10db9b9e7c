/* classify.h - application protocol and risk flags from nDPI (libndpi 4.2).
 * The only stage that sees nDPI's headers; its types never leave src/classify. */
#ifndef TLSAUDIT_CLASSIFY_H
#define TLSAUDIT_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most packets of one flow fed to nDPI; a TLS flow needs about 8-10 (handshake up to the certificate). */
#define CLASSIFY_MAX_PACKETS_DEFAULT 32u

struct classify;      /* one per thread: the nDPI detection module */
struct classify_flow; /* per-flow state, allocated lazily; nDPI's part freed once decided, rest by finish */

int classify_new(struct classify **ret, char *err, size_t errlen);
void classify_free(struct classify *c);

/* Override CLASSIFY_MAX_PACKETS_DEFAULT for flows started afterwards (0 is taken as 1). */
void classify_set_max_packets(struct classify *c, uint32_t n);

/* Feed one IP packet (l3 = IP header, borrowed) of a flow. *fs is created on
 * first use. from_client tells the direction. Returns true while nDPI wants
 * more packets; false once it has decided (the caller stops feeding). */
bool classify_packet(struct classify *c, struct classify_flow **fs, const uint8_t *l3, size_t l3_len, int64_t ts_ns,
		     bool from_client);

struct classify_result {
	char protocol[64]; /* e.g. "TLS", "TLS.Google", "SMTPS"; "" if unknown */
	uint64_t risks;	   /* bitmask, bit i = nDPI risk enum value i */
	char ja3[33];	   /* nDPI's JA3 client hash, "" if none */
};

/* Finish: give up if undecided (no port-based guessing), fill *out, free the flow state (*fs = NULL).
 * Accepts *fs == NULL (fills an empty result). protocol is nDPI's "master.app" name, "" when nDPI did
 * not recognise the payload. */
void classify_finish(struct classify *c, struct classify_flow **fs, struct classify_result *out);

/* Heap bytes a flow's classifier state holds (an estimate for nDPI's own
 * reassembly buffers), for the caller's memory cap; 0 for NULL. */
size_t classify_flow_cost(const struct classify_flow *fs);

/* nDPI's name of risk bit i ("Obsolete TLS Version (1.1 or older)"...), NULL if none. */
const char *classify_risk_name(unsigned bit);

#endif
