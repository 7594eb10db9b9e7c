/* pipeline_internal.h - what the files of src/pipeline share: the label cache (label.c). */
#ifndef TLSAUDIT_PIPELINE_INTERNAL_H
#define TLSAUDIT_PIPELINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "tlsaudit/classify.h"
#include "tlsaudit/dict.h"
#include "tlsaudit/limits.h"

/* What nDPI 4.2's label of a TLS flow depends on (src/classify/classify_risk.c, design note section 6). */
struct label_key {
	uint8_t start;	/* 1: the first payload packet began a TLS record; 2: a plaintext start */
	uint8_t family; /* 4 or 6 */
	uint8_t server[16];
	uint16_t server_port;
	uint16_t ip_proto;	    /* classify_ip_protocol() of the client address, else of the server address */
	uint16_t client_port;	    /* only nDPI's implicit-TLS ports (465, 587, 993, 995); else 0 */
	uint16_t server_ip_proto;   /* by_name: classify_ip_protocol() of the server address; else 0 */
	bool by_name;		    /* the SNI names nDPI's protocol (classify_host_named): server is zero */
	const struct dict_str *sni; /* borrowed; NULL: none */
	uint64_t hash;
};

/* The connection's facts a key is made of. */
struct label_facts {
	bool tls_start;
	uint8_t family;
	const uint8_t *server_ip, *client_ip; /* 16 bytes each */
	uint16_t server_port, client_port;
	const struct dict_str *sni; /* NULL: none */
};

struct plabel;

/* mem charges the tables (may be NULL). */
int plabel_new(struct classify *cls, struct dict *d, const struct dict_mem *mem, struct plabel **ret);
void plabel_free(struct plabel *l); /* accepts NULL */

void plabel_key(struct plabel *l, const struct label_facts *f, struct label_key *k);
/* Is the label of k known? true: *ret_label is it (a reference for the caller; NULL = nDPI gives none). */
bool plabel_lookup(struct plabel *l, const struct label_key *k, const struct dict_str **ret_label);
/* A flow whose key's label is not known is about to be fed to nDPI to learn it: true when it may (it is the
 * key's learner now), false when another flow is learning the key (this one waits for that answer). */
bool plabel_begin(struct plabel *l, const struct label_key *k);
/* The learner of k is done: learnt says nDPI finished dissecting on its own and gave label (NULL: none). A
 * learner cut short (learnt false) teaches the key nothing - the key's next flow learns again - but its label
 * is the answer for the flows that waited on it. */
void plabel_end(struct plabel *l, const struct label_key *k, bool learnt, const struct dict_str *label);
/* What the learner of k has said so far (borrowed label; NULL: nothing yet), for the flows waiting on it. */
void plabel_interim(struct plabel *l, const struct label_key *k, const struct dict_str *label);
/* The answer for a flow that waited on k's learner: the label learnt, else what the learner said so far or when
 * it was cut short; a reference for the caller, NULL for none. */
const struct dict_str *plabel_awaited(struct plabel *l, const struct label_key *k);
/* classify_label_info() of a label, remembered (the result lives as long as l; tmp may be used). */
const struct classify_label *plabel_info(struct plabel *l, const struct dict_str *label, struct classify_label *tmp);

/* The parts of the risks (struct classify_risk_parts), each remembered per distinct input. */
uint64_t plabel_host_risks(struct plabel *l, const struct dict_str *sni, bool sslv2);
/* classify_host_named() of the SNI, remembered per SNI (NULL: false). */
bool plabel_host_named(struct plabel *l, const struct dict_str *sni);
/* The risk bits the host name adds to a certificate's part (CERTIFICATE_MISMATCH); cert may be NULL (not
 * remembered then). */
uint64_t plabel_cert_mismatch(struct plabel *l, const struct dict_cert *cert, const uint8_t *der, size_t len,
			      const struct dict_str *sni);

#endif
