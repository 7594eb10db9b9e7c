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

/* What nDPI says of a flow so far, without giving up: its "master.app" name into out (as in struct
 * classify_result); false (out "") while it has recognised nothing. Accepts fs == NULL. */
bool classify_current(struct classify *c, const struct classify_flow *fs, char *out, size_t outlen);

/* Heap bytes a flow's classifier state holds (nDPI's flow and its reassembly buffer), for the caller's memory
 * cap; 0 for NULL. */
size_t classify_flow_cost(const struct classify_flow *fs);

/* nDPI's name of risk bit i ("Obsolete TLS Version (1.1 or older)"...), NULL if none. */
const char *classify_risk_name(unsigned bit);

/* ---- nDPI 4.2's TLS risks and JA3 from tlsaudit's own parsed facts (classify_risk.c) ----
 *
 * The rules, each with the nDPI function it comes from, are written down at the top of
 * src/classify/classify_risk.c. Usage: compute each part once per distinct input (a ClientHello
 * shape, a ServerHello shape, a certificate with the host name asked for, a label, an SNI), keep
 * the small plain structs, and call classify_risk_combine() per connection. No part keeps a pointer
 * to its input; none needs an nDPI flow. classify_label_info() and classify_risk_host() read nDPI's
 * static tables through a struct classify (no packet is dissected); the other functions need nothing
 * from nDPI but its pure helpers. */
struct tls_client_hello;
struct tls_server_hello;

/* What nDPI's ClientHello processing (tls.c processClientServerHello) takes from one ClientHello. */
struct classify_risk_hello {
	uint64_t risks;	    /* set by this hello alone: OBSOLETE_VERSION, SUSPICIOUS_EXTENSION, INVALID_CHARACTERS */
	uint16_t version;   /* legacy_version: nDPI's ssl_version once it has read this hello */
	bool valid;	    /* nDPI would parse it (a TLS-format hello; SSLv2 CLIENT-HELLOs never are) */
	bool checks;	    /* nDPI reaches its end-of-hello checks (the extensions block fits or is absent) */
	bool sets_host;	    /* a server_name nDPI reads: its host name becomes this hello's SNI */
	bool host_nonempty; /* ... and that host name is not "" (a name starting with a NUL byte is "") */
	bool has_alpn;	    /* an ALPN extension: nDPI keeps its list (the first hello with one wins) */
	bool alpn_uncommon; /* that list has an entry nDPI's is_a_common_alpn() does not match */
	bool esni;	    /* an encrypted_server_name (0xffce) extension */
	bool has_ja3;	    /* nDPI computes a JA3 from it (ja3 below) */
	bool exact;	    /* our parsed facts hold everything nDPI reads from this hello */
	char ja3[33];	    /* nDPI's JA3 client hash, "" when has_ja3 is false */
};

/* ch is borrowed for the call. complete: ch was parsed without error (tls_facts.have_ch); false when it
 * holds only the fields read before a parse error (tls_facts.ch_status != TLS_OK): then only what nDPI
 * sets before it could fail (its version) is computed, and exact is false. */
void classify_risk_hello(const struct tls_client_hello *ch, bool complete, struct classify_risk_hello *out);

/* The part of classify_risk_hello() that reads the host name's bytes, so that a part computed once per hello
 * shape (which leaves the name out) can be completed per connection: out was computed for a hello with the
 * same shape; sni[0..len) (any bytes) is this connection's host name (truncated: it was longer than kept). Sets
 * host_nonempty and the INVALID_CHARACTERS bit from it. Does nothing when out->sets_host is false. */
void classify_risk_hello_host(const char *sni, size_t len, bool truncated, struct classify_risk_hello *out);

/* nDPI 4.2's JA3 client hash of ch (tls.c processClientServerHello: its caps, its GREASE test, its
 * 1024-byte string). Returns false (out = "") when nDPI computes none for this hello. */
bool classify_ndpi_ja3(const struct tls_client_hello *ch, char out[33]);

/* What nDPI takes from one ServerHello (or HelloRetryRequest). */
struct classify_risk_server {
	uint64_t risks;	  /* WEAK_CIPHER, SUSPICIOUS_EXTENSION */
	uint16_t version; /* supported_versions value nDPI takes as ssl_version; 0 = none (ssl_version stays) */
	bool has_alpn;	  /* an ALPN extension: nDPI runs its uncommon-ALPN check on the stored list */
	bool exact;	  /* false for draft ServerHellos nDPI misreads (legacy_version 0x7f00..0x7f14, 0x0304) */
};

void classify_risk_server(const struct tls_server_hello *sh, struct classify_risk_server *out);

#define CLASSIFY_RISK_MAX_VALIDITY 4 /* validity checks kept per certificate (nDPI runs one per match) */

/* What nDPI takes from the server's leaf certificate (tls.c processCertificateElements). */
struct classify_risk_cert {
	uint64_t risks;	    /* SELFSIGNED, CERT_VALIDITY_TOO_LONG, CERTIFICATE_MISMATCH, SUSPICIOUS_EXTENSION,
			     * INVALID_CHARACTERS */
	uint8_t n_validity; /* expiry checks nDPI runs, each on the values below */
	uint32_t not_before[CLASSIFY_RISK_MAX_VALIDITY], not_after[CLASSIFY_RISK_MAX_VALIDITY]; /* nDPI's u32 */
	bool exact;
};

/* der[0..der_len) is the leaf's DER (borrowed); host is the ClientHello whose server_name nDPI holds
 * when the certificate arrives (normally the first; NULL if none): the mismatch rule compares with it.
 * Cache per (certificate, SNI). */
void classify_risk_cert(const uint8_t *der, size_t der_len, const struct tls_client_hello *host,
			struct classify_risk_cert *out);

/* nDPI's label, as protocol ids with what its risk rules need. */
struct classify_label {
	uint16_t master, app;	/* ids ("TLS.Google" = TLS, Google; "IMAPS" = 0, IMAPS); 0 = unknown */
	uint16_t ports[2][5];	/* TCP default ports of (master ? master : app) and of app */
	uint64_t risks;		/* set for the label alone: UNSAFE_PROTOCOL, DESKTOP_OR_FILE_SHARING_SESSION */
	bool known;		/* the label named protocols nDPI has */
	bool tls;		/* nDPI's TLS dissector labelled the flow (TLS, SMTPS, IMAPS or POPS in it) */
	bool window_ends_early; /* nDPI stops with the hello (master-or-app is not TLS: SMTPS, IMAPS, POPS) */
	bool carries_ja3;	/* classify reports nDPI's JA3 for this label */
	bool ntop;		/* HTTP.ntop: nDPI's port rule skips it */
};

/* Parse label ("" = nDPI did not recognise the flow). c is only read (its protocol tables; on the first
 * call also its default-port tree, copied into a process-wide table). Returns 0, or -EINVAL for a label
 * nDPI 4.2 cannot have produced (out->known false, no risks). Cache per label. */
int classify_label_info(struct classify *c, const char *label, struct classify_label *out);

/* The SNI's part: SUSPICIOUS_DGA_DOMAIN (ndpi_check_dga_name on nDPI's host name, with nDPI's risk
 * exceptions). Reads c's host-name automaton; no flow. ch may be NULL (no SNI: 0). Cache per SNI. */
uint64_t classify_risk_host(struct classify *c, const struct tls_client_hello *ch);

/* Does nDPI's host-name automaton name a protocol for the hello's server name? What tls.c's
 * ndpi_match_hostname_protocol() decides at the first ClientHello (on nDPI's host name, a leading "*."
 * dropped; a custom category match counts too). When it does, the flow is labelled by the name: nDPI then
 * neither reads the certificate's names nor applies its per-server certificate cache, and its DGA check
 * returns early. Reads c's automata only; no flow. ch may be NULL (false). */
bool classify_host_named(struct classify *c, const struct tls_client_hello *ch);

/* The protocol nDPI's IP lists give addr:port (ndpi_network_port_ptree_match; addr in network order, port
 * in host order), 0 = none; always 0 for IPv6 (nDPI 4.2 has no IPv6 lists). This is how nDPI labels a
 * TLS flow whose SNI matches no host pattern ("TLS.Google" from a Google address); it looks up the
 * sender of the flow's first payload packet (for TLS the client) before the receiver, so a client
 * address in a list labels every flow of that client. Reads c's tables only. */
uint16_t classify_ip_protocol(struct classify *c, uint8_t family, const uint8_t *addr, uint16_t port);

/* Per-connection facts, in the order nDPI would have met them. Packet numbers count the payload-carrying
 * TCP packets of the connection in both directions, 1-based, as they are (or would be) fed to
 * classify_packet(); 0 = never. A "completed" number is that of the packet that delivered the last byte
 * of the record holding the message. */
struct classify_risk_conn {
	uint16_t client_port, server_port;
	uint32_t max_packets;	  /* classify_set_max_packets() value (nDPI itself stops after 32) */
	uint32_t pkt_ch, pkt_ch2; /* first and second ClientHello completed */
	uint32_t pkt_sh;	  /* first ServerHello or HelloRetryRequest completed */
	uint32_t pkt_cert;	  /* the server's Certificate message completed */
	uint32_t pkt_fatal_alert; /* the first plaintext fatal alert record (either side) */
	uint32_t pkt_desync;	  /* first packet after which nDPI's one buffer for both directions no longer
				   * holds their TLS records: a direction's first payload packet that does not
				   * start the direction's stream or does not start a TLS record (plaintext,
				   * SSLv2), or a packet carrying new bytes not at the next expected seq (out of
				   * order, partial overlap); nothing at or after it is read. 0 = none */
	int64_t cert_time_s;	  /* seconds since the epoch of pkt_cert (nDPI's clock for the expiry rules) */
	bool tls_at_start;	  /* the first payload packet starts its direction's stream with a TLS record
				   * (i.e. pkt_desync != 1 and there is a payload packet) */
	bool ch_one_record;	  /* the first ClientHello lay within one TLS record */
	bool sh_one_record;	  /* the first ServerHello/HRR lay within one TLS record */
	bool cert_one_record;	  /* the Certificate message lay within one TLS record */
	bool sh_is_hrr;		  /* the first ServerHello was a HelloRetryRequest */
	bool cert_malformed;	  /* Certificate lengths contradict (list + 3 != message length, < 7 bytes) */
};

/* The parts of one connection (copies; have_* say which exist). */
struct classify_risk_parts {
	bool have_ch, have_ch2, have_sh, have_cert;
	struct classify_risk_hello ch, ch2;
	struct classify_risk_server sh; /* the ServerHello (unused when a HelloRetryRequest came first) */
	struct classify_risk_cert cert;
	struct classify_label label; /* nDPI's label for the connection (from a real DPI run or a cache) */
	uint64_t host_risks;	     /* classify_risk_host() of the ClientHello */
};

/* nDPI's risk mask for the connection. *ret_ja3 (may be NULL) gets the JA3 classify would report: a
 * pointer into p (p->ch.ja3 or p->ch2.ja3), or "" when none. A few dozen ns; no allocation. */
uint64_t classify_risk_combine(const struct classify_risk_parts *p, const struct classify_risk_conn *c,
			       const char **ret_ja3);

#endif
