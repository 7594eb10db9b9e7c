/* report_data.h - the facts a report is made of, loaded from the store: per host and role the counts by
 * outcome class and version, the client stacks a host's hellos came from, the server certificates, weak ciphers
 * and nDPI risks it showed (posture), the clients a server would lose under the policy (impact), a timeline
 * of old-version use, the capture inventory, and what probed servers accept when asked (`tlsaudit probe`). Plain values
 * only (no SQLite types); verdicts are computed by the report library (include/tlsaudit/report.h) from these counts. */
#ifndef TLSAUDIT_REPORT_DATA_H
#define TLSAUDIT_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/limits.h"
#include "tlsaudit/record.h"
#include "tlsaudit/stats.h"
#include "tlsaudit/store.h"

#define REP_MAX_PEERS	     TA_AGG_MAX_PEERS	/* peers kept per host and role; the rest are counted */
#define REP_MAX_SNIS	     TA_AGG_MAX_SNIS	/* distinct SNI values kept per host and role */
#define REP_MAX_REASONS	     TA_AGG_MAX_REASONS /* distinct failure reasons kept per host and role */
#define REP_MAX_STACKS	     TA_AGG_MAX_STACKS	/* client stacks kept per host (client role) */
#define REP_MAX_CERTS	     4			/* distinct leaf certificates kept per server */
#define REP_MAX_IMPACT	     16			/* clients kept per server in the impact list */
#define REP_MAX_RISKS	     16			/* distinct nDPI risks kept per host and role */
#define REP_MAX_NETS	     32			/* --host prefixes */
#define REP_MAX_SENSORS	     8			/* --sensor names */
#define REP_TIMELINE_BUCKETS 24

/* Version columns of the per-host chart and counts. */
enum rep_vcol {
	REP_V_NONE,
	REP_V_SSL2,
	REP_V_SSL3,
	REP_V_TLS10,
	REP_V_TLS11,
	REP_V_TLS12,
	REP_V_TLS13,
	REP_V_OTHER,
	REP_V_COUNT
};

/* Per host and role, in order of severity: ok < no TLS seen < at risk < violation. "No TLS seen": no reason
 * against it, and no TLS version seen for it either (a client that sent no ClientHello; a server that negotiated
 * nothing and refused no hello: STARTTLS refused, a capture cut before the answer). The report as a whole can
 * also have no data (nothing selected) or be stale (--max-age: the newest connection is too old), never a host's
 * verdict; it is "no TLS seen" only when every host role is. */
enum rep_verdict { REP_OK = 0, REP_NO_TLS, REP_AT_RISK, REP_VIOLATION, REP_STALE, REP_NO_DATA };

/* Why a host and role is not ok (rep_host.reasons_mask, set by report_evaluate). Each reason has a level in the
 * policy (struct rep_policy.level, indexed by the bit number). */
enum {
	REP_R_MAX_OLD = 1u << 0,	   /* client: a ClientHello offered at most a version below the policy and the
					    * handshake was established or its outcome is unknown */
	REP_R_MAX_OLD_FAILED = 1u << 1,	   /* ... and the handshake failed (the Exchange push-notification case) */
	REP_R_NEG_OLD = 1u << 2,	   /* a version below the policy was negotiated */
	REP_R_OFFERS_OLD = 1u << 3,	   /* client: supported_versions still lists a version below the policy */
	REP_R_CERT_EXPIRED = 1u << 4,	   /* server: a leaf certificate was used after its notAfter */
	REP_R_CERT_EXPIRING = 1u << 5,	   /* server: ... expires within expiring_days of its last use */
	REP_R_CERT_SELF_SIGNED = 1u << 6,  /* server: a self-signed leaf */
	REP_R_CERT_WEAK_KEY = 1u << 7,	   /* server: an RSA key shorter than rsa_min_bits */
	REP_R_CERT_SHA1 = 1u << 8,	   /* server: signed with SHA-1 (or MD5) */
	REP_R_CIPHER_NEGOTIATED = 1u << 9, /* a weak suite (weak_kinds) was negotiated */
	REP_R_CIPHER_OFFERED = 1u << 10,   /* client: a hello offers a weak suite (weak_kinds) */
	REP_R_NDPI_RISK = 1u << 11,	   /* nDPI flagged a risk (not in ndpi_ignore) */
	REP_R_PROBE_OLD = 1u << 12,	   /* server: a probe (`tlsaudit probe`) found it accepting a version below
					    * the policy at its latest attempt */
};
#define REP_R_COUNT 13

/* What a reason does to the verdict. */
enum rep_level { REP_LEVEL_IGNORE = 0, REP_LEVEL_INFO, REP_LEVEL_AT_RISK, REP_LEVEL_VIOLATION };

/* The policy (README "Policy"): the lowest acceptable version, a level per reason and the thresholds. */
struct rep_policy {
	uint16_t min_level;	    /* lowest acceptable version (0x0303) */
	uint8_t level[REP_R_COUNT]; /* enum rep_level per reason bit number */
	uint32_t rsa_min_bits;	    /* REP_R_CERT_WEAK_KEY below this (2048) */
	uint32_t expiring_days;	    /* REP_R_CERT_EXPIRING within this many days of the last use (30) */
	uint32_t weak_kinds;	    /* 1u << enum rep_weak: which weak kinds the cipher reasons count */
	uint64_t ndpi_ignore;	    /* nDPI risk bits never counted */
	int64_t max_age_ns;	    /* > 0: the report is stale when its newest connection is older */
};

/* An address prefix (--host): a single address is a /32 or /128; host bits are zero. */
struct rep_net {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint8_t prefix;
};

enum rep_role_filter { REP_ROLE_ANY = 0, REP_ROLE_CLIENT, REP_ROLE_SERVER };

struct rep_query {
	struct rep_net nets[REP_MAX_NETS]; /* connections with an endpoint in one of these (n_nets 0: all) ... */
	size_t n_nets;
	uint8_t role; /* ... in this role (enum rep_role_filter); only host roles that match are rows */
	char sensors[REP_MAX_SENSORS][64]; /* only captures of these sensors (n_sensors 0: all) */
	size_t n_sensors;
	bool has_since, has_until;
	int64_t since_ns;   /* connections whose first packet is >= since ... */
	int64_t until_ns;   /* ... and < until */
	uint16_t min_level; /* policy: lowest acceptable version (0x0303 = TLS 1.2); sets the timeline's "old" */
};

/* Count and time range of the connections that showed one fact. */
struct rep_span {
	uint64_t n;
	int64_t first_ns, last_ns;
};

struct rep_peer {
	uint8_t family;
	uint8_t addr[16];
	char ip[48];
	uint16_t port; /* server port (role client); 0 for the client side of a server role */
	uint64_t connections, established, failed, unknown;
};

struct rep_sni {
	uint16_t len;
	char bytes[TA_MAX_SNI + 1]; /* raw bytes from the wire (attacker-chosen), NUL-terminated for convenience */
	uint64_t connections;
};

struct rep_reason {
	char name[32];	/* alert name for alert outcomes, else the outcome name */
	uint8_t class_; /* enum ta_outcome_class of the reason (alerts and refusals: failed) */
	uint64_t count;
};

/* One client stack of a host (role client), from the stack identified per hello shape (stack.h). */
struct rep_stack {
	char key[32];	  /* stack table key; "" when the hello matched no known stack */
	char family[16];  /* "schannel", "openssl", ...; "" when unknown */
	char name[80];	  /* "Windows 7 / Server 2008 R2 SChannel (IE 8-10 Win 7)" */
	char windows[48]; /* schannel: the Windows release named by the entry, else "" */
	uint8_t match;	  /* 0 none, 1 exact, 2 close */
	char ja4[40];	  /* JA4 of its first hello (to look an unidentified stack up) */
	uint64_t connections, established, failed, unknown;
	uint16_t max_offered, min_offered;			       /* highest / lowest ClientHello maximum (rank) */
	uint64_t old_offered, old_offered_failed, old_offered_unknown; /* maximum below the policy; of those ... */
	uint64_t old_negotiated, offers_old;
	uint32_t offers;	   /* DICT_OFFERS_* of any hello */
	int64_t first_ns, last_ns; /* its connections */
};

/* One leaf certificate a server sent (role server). Strings are raw bytes from the certificate. */
struct rep_cert {
	char sha256[65];
	uint16_t subject_len, issuer_len;
	char subject[TA_CERT_MAX_NAME + 1], issuer[TA_CERT_MAX_NAME + 1]; /* CNs, NUL-terminated */
	int64_t not_before, not_after;					  /* seconds since the epoch */
	char key_type[32];
	uint32_t key_bits;
	char sig_alg[64];
	bool self_signed;
	struct rep_span seen;	 /* connections that showed it */
	uint64_t expired_at_use; /* of those, connections after its notAfter */
};

/* One client a server would lose if it required the policy's minimum (role server): the client's hellos to
 * this server offered at most a version below it. */
struct rep_impact {
	uint8_t family;
	uint8_t addr[16];
	char ip[48];
	uint64_t connections, established, failed, unknown; /* those old-only hellos, by outcome class */
	uint16_t max_offered;				    /* their highest maximum (rank) */
	int64_t last_ns;
	char stack[80];	  /* stack name of the last such hello, "" if unknown */
	uint16_t sni_len; /* SNI of the last such hello (raw bytes), 0 if none */
	char sni[TA_MAX_SNI + 1];
};

/* nDPI risk bits seen on a host role's connections. */
struct rep_risk {
	uint8_t bit; /* ndpi_risk_enum value (names_bit(NAMES_RISK, bit)) */
	struct rep_span seen;
};

/* Weak-cipher kinds (posture): NAMES_CIPHER_* bits of the negotiated suite, DICT_OFFERS_* of the offered list. */
enum rep_weak {
	REP_WEAK_RC4,
	REP_WEAK_3DES,
	REP_WEAK_EXPORT,
	REP_WEAK_NULL, /* NULL encryption or anonymous key exchange */
	REP_WEAK_DES,  /* single DES, IDEA, RC2 */
	REP_WEAK_MD5,  /* an MD5 MAC */
	REP_WEAK_CBC_SHA1,
	REP_WEAK_COUNT
};

struct rep_host {
	uint8_t family;
	uint8_t addr[16];
	char ip[48];
	char role[8];					    /* "client" or "server" */
	uint64_t connections, established, failed, unknown; /* outcome classes (names_outcome_class) */
	uint16_t max_offered, min_offered;		    /* ClientHello maximum over the connections (0 = none) */
	uint16_t min_negotiated, max_negotiated;	    /* negotiated_level, 0 if nothing negotiated */
	uint64_t by_version[REP_V_COUNT];		    /* connections per negotiated version */
	uint64_t offered_by_version[REP_V_COUNT];	    /* connections per ClientHello maximum */
	uint64_t est_by_version[REP_V_COUNT];		    /* established, per negotiated version */
	uint64_t failed_by_offered[REP_V_COUNT];	    /* failed, per ClientHello maximum */
	uint64_t unknown_by_offered[REP_V_COUNT];	    /* outcome unknown, per ClientHello maximum */
	uint64_t old_offered;				    /* ClientHello maximum below the policy */
	uint64_t old_offered_failed;			    /* ... and the handshake failed */
	uint64_t old_offered_unknown;			    /* ... and its outcome is unknown */
	uint64_t old_negotiated;			    /* negotiated below the policy */
	uint64_t offers_old;				    /* supported_versions lists a version below the policy */
	struct rep_reason reasons[REP_MAX_REASONS];	    /* failed and unknown outcomes, most frequent first */
	size_t n_reasons;
	uint64_t other_reason_connections;
	struct rep_peer peers[REP_MAX_PEERS]; /* most connections first */
	size_t n_peers;
	uint64_t other_peer_connections;
	struct rep_sni snis[REP_MAX_SNIS];
	size_t n_snis;
	uint64_t other_sni_connections;
	uint64_t no_sni_connections;
	int64_t first_ns, last_ns;	   /* first / last packet of the host's connections in this role */
	int64_t old_first_ns, old_last_ns; /* the same for connections that used or offered only an old version */
	/* client role: the stacks of its hellos (most connections first) */
	struct rep_stack *stacks; /* owned; REP_MAX_STACKS entries, NULL when none */
	size_t n_stacks;
	uint64_t other_stack_connections; /* hellos of further stacks */
	uint64_t no_hello_connections;	  /* connections without a ClientHello */
	/* posture */
	struct rep_cert *certs; /* server role: owned; REP_MAX_CERTS entries, NULL when none */
	size_t n_certs;
	uint64_t other_cert_connections;
	struct rep_span weak_negotiated[REP_WEAK_COUNT]; /* negotiated suite of that kind */
	struct rep_span weak_offered[REP_WEAK_COUNT];	 /* client role: a hello that offers that kind */
	struct rep_risk risks[REP_MAX_RISKS];		 /* nDPI risks, by bit */
	size_t n_risks;
	uint64_t other_risk_connections;
	/* server role: the clients it would lose under the policy, most connections first */
	struct rep_impact *impact; /* owned; REP_MAX_IMPACT entries, NULL when none */
	size_t n_impact;
	uint64_t impact_clients;     /* distinct such clients (counted beyond the list) */
	uint64_t impact_connections; /* their old-only hellos */
	/* set by report_evaluate */
	unsigned reasons_mask;	  /* REP_R_* whose level is at least info */
	enum rep_verdict verdict; /* REP_OK .. REP_VIOLATION (REP_NO_TLS included) */
	bool windows;		  /* this address also sent SChannel hellos (evidence that it runs Windows) */
	/* probes of this address (role server): the union over its probed endpoints in the selection */
	size_t probe_endpoints;	 /* 0: not probed */
	uint32_t probe_accepted; /* bit i: probe_versions[i] accepted at the latest attempt (REP_PROBE_VERSIONS) */
	int64_t probe_last_ns;	 /* the latest attempt */
};

struct rep_bucket {
	int64_t start_ns;
	uint64_t connections, old; /* all connections / those that used or offered only an old version */
};

struct rep_capture {
	int64_t id;
	char sha256[65]; /* "" when unknown (stdin, live) */
	char path[1024];
	char sensor[64];
	char format[16];
	char linktypes[128];
	char status[16];
	char warnings[2048];
	char options[512]; /* the analysis options that change results (filter, ndpi=off, limits that dropped data) */
	uint64_t file_bytes, packets, connections;
	int64_t first_ns, last_ns;
	struct ta_stats stats;
};

/* ---- probes (`tlsaudit probe`): what a server accepts when asked, per endpoint (store_probe.c) ---- */

#define REP_PROBE_VERSIONS 6 /* SSL 2.0, SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3 (probe.h probe_versions) */

/* The latest attempt for one version at one endpoint. */
struct rep_probe_try {
	bool tried;
	uint16_t version;
	uint8_t result; /* enum probe_result, named by names_probe_result() */
	uint16_t server_version;
	bool has_cipher;
	uint16_t cipher;
	bool hrr;
	bool has_alert;
	uint8_t alert_level, alert_desc, alert_sender;
	bool has_rtt;
	uint32_t rtt_us;
	int64_t ts_ns;
	uint16_t detail_len;
	char detail[128]; /* raw bytes from the server (attacker-chosen) */
};

/* One probed endpoint: address, port, STARTTLS protocol and SNI. */
struct rep_probe {
	uint8_t family;
	uint8_t addr[16];
	char ip[48];
	uint16_t port;
	uint8_t starttls; /* enum starttls_proto; 0 plain TLS */
	bool has_sni;
	uint16_t sni_len;
	char sni[TA_MAX_SNI + 1]; /* raw bytes (chosen by whoever ran the probe, or taken from a name) */
	char target[256];	  /* the latest target text, raw bytes */
	char sensor[64];	  /* the sensor of the latest attempt */
	struct rep_probe_try tries[REP_PROBE_VERSIONS]; /* index as probe_versions */
	struct rep_probe_try failure;			/* the latest attempt that sent no hello (unreachable, ...) */
	uint32_t accepted;				/* bit i: tries[i] accepted */
	int64_t first_ns, last_ns;			/* the attempts shown */
	enum rep_verdict verdict; /* set by report_evaluate: the policy's level of probe_accepts_old when a
				   * version below the minimum is accepted, else REP_OK */
};

/* Where a report comes from: filled by the caller (the CLI knows its version, clock and database path). */
struct rep_provenance {
	char version[32];     /* tlsaudit version */
	int64_t generated_ns; /* generation time (--now, else the clock) */
	char db[1024];	      /* database path as given */
};

struct rep_data {
	struct rep_query q;
	struct rep_provenance prov;
	struct rep_host *hosts; /* ordered by family, address, role */
	size_t n_hosts;
	struct rep_capture *captures; /* ordered by id: the captures the selection read from */
	size_t n_captures;
	struct rep_bucket timeline[REP_TIMELINE_BUCKETS];
	size_t n_buckets;
	int64_t bucket_ns;
	uint64_t connections;
	uint64_t established, failed, unknown; /* of the selected connections */
	uint64_t est_by_version[REP_V_COUNT];  /* ... established, by negotiated version */
	uint64_t failed_by_offered[REP_V_COUNT], unknown_by_offered[REP_V_COUNT]; /* ... by ClientHello maximum */
	int64_t first_ns, last_ns;	 /* of the selected connections (0 if none) */
	uint64_t db_connections;	 /* every connection reports count, whatever the selection ... */
	int64_t db_first_ns, db_last_ns; /* ... and their time range (to explain "no data") */
	struct rep_probe *probes;	 /* the selected probe endpoints, ordered by family, address, port,
					  * STARTTLS, SNI; probes count as data ("no data" needs neither) */
	size_t n_probes;
	/* set by report_evaluate */
	struct rep_policy policy;
	size_t *rank;		  /* owned: host indices, worst first (verdict, severity, address order) */
	enum rep_verdict overall; /* the report's verdict (REP_NO_DATA, REP_STALE, else the worst host's) */
};

/* Load the report facts for query q (copied) from the store. Connections of captures still 'reading' are left
 * out. *ret is owned by the caller (report_data_free). Returns 0 or a negative errno; err gets the message. */
int report_load(struct store *s, const struct rep_query *q, struct rep_data **ret, char *err, size_t errlen);
/* The selection rule of reports (store_report.c), also for whoever filters connections by a query (`export`):
 * is this endpoint (role 0 client, 1 server) in a --host prefix and of the --role (true without prefixes when the
 * role fits); is this capture sensor one of the --sensor names (true without any). */
bool report_query_endpoint(const struct rep_query *q, int role, uint8_t family, const uint8_t ip[16]);
bool report_query_sensor(const struct rep_query *q, const char *sensor);
void report_data_free(struct rep_data *d); /* accepts NULL */
/* Add the probes of the query's selection (time window by attempt time; --host prefixes, --sensor names and
 * --role server by the probed address and the probing machine; none with --role client) to d (report_load
 * calls it): d->probes, and a server row (no connections) for every probed address that has none, so a
 * probed server is judged even if no client was seen. Returns 0 or a negative errno. */
int report_load_probes(struct store *s, struct rep_data *d, char *err, size_t errlen);

#endif
