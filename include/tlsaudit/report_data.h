/* report_data.h - the facts a report is made of, loaded from the store: per host and role, a timeline of
 * old-version use and the capture inventory. Plain values only (no SQLite types); verdicts are computed by the
 * report library (include/tlsaudit/report.h) from these counts. */
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
#define REP_TIMELINE_BUCKETS 24

/* Negotiated-version columns of the per-host chart and counts. */
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

enum rep_verdict { REP_OK = 0, REP_AT_RISK, REP_VIOLATION };

/* rep_host.reasons: why a host and role is not ok (set by report_evaluate) */
enum {
	REP_R_MAX_OLD = 1u << 0,	/* client: a ClientHello offered at most a version below the policy */
	REP_R_MAX_OLD_FAILED = 1u << 1, /* ... and that handshake failed (the Exchange push-notification case) */
	REP_R_NEG_OLD = 1u << 2,	/* a version below the policy was negotiated */
	REP_R_OFFERS_OLD = 1u << 3,	/* client: supported_versions still lists a version below the policy */
	REP_R_PROBE_OLD = 1u << 4, /* server: a probe (`tlsaudit probe`) shows it accepts a version below the policy */
};

struct rep_query {
	char host[48]; /* canonical address text, "" = every host */
	bool has_since, has_until;
	int64_t since_ns;   /* connections whose first packet is >= since ... */
	int64_t until_ns;   /* ... and < until */
	uint16_t min_level; /* policy: lowest acceptable version (0x0303 = TLS 1.2) */
};

struct rep_peer {
	char ip[48];
	uint16_t port; /* server port (role client); 0 for the client side of a server role */
	uint64_t connections, established, failed;
};

struct rep_sni {
	uint16_t len;
	char bytes[TA_MAX_SNI + 1]; /* raw bytes from the wire (attacker-chosen), NUL-terminated for convenience */
	uint64_t connections;
};

struct rep_reason {
	char name[32]; /* alert name for alert outcomes, else the outcome name */
	uint64_t count;
};

struct rep_host {
	uint8_t family;
	char ip[48];
	char role[8]; /* "client" or "server" */
	uint64_t connections, established, failed;
	uint16_t max_offered, min_offered;	 /* client_max_level over the connections (0 = unknown) */
	uint16_t min_negotiated, max_negotiated; /* negotiated_level, 0 if nothing negotiated */
	uint64_t by_version[REP_V_COUNT];	 /* connections per negotiated version */
	uint64_t old_offered;			 /* ClientHello maximum below the policy */
	uint64_t old_offered_failed;		 /* ... and not established */
	uint64_t old_negotiated;		 /* negotiated below the policy */
	uint64_t offers_old;			 /* supported_versions lists a version below the policy */
	struct rep_reason reasons[REP_MAX_REASONS];
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
	unsigned reasons_mask;		   /* REP_R_*, set by report_evaluate */
	enum rep_verdict verdict;	   /* set by report_evaluate */
	/* probes of this address (role server): the union over its probed endpoints */
	size_t probe_endpoints;	 /* 0: never probed (in the window) */
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
	char format[8];
	char linktypes[128];
	char status[16];
	char warnings[2048];
	char options[512]; /* the analysis options that change results */
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
	enum rep_verdict verdict; /* set by report_evaluate: violation when a version below the policy is accepted */
};

struct rep_data {
	struct rep_query q;
	struct rep_host *hosts; /* ordered by family, address, role */
	size_t n_hosts;
	struct rep_capture *captures; /* ordered by id */
	size_t n_captures;
	struct rep_bucket timeline[REP_TIMELINE_BUCKETS];
	size_t n_buckets;
	int64_t bucket_ns;
	uint64_t connections;
	int64_t first_ns, last_ns; /* of the selected connections (0 if none) */
	struct rep_probe *probes;  /* ordered by family, address, port, STARTTLS, SNI */
	size_t n_probes;
};

/* Load the report facts for query q (copied) from the store. Connections of captures still 'reading' are left
 * out. *ret is owned by the caller (report_data_free). Returns 0 or a negative errno; err gets the message. */
int report_load(struct store *s, const struct rep_query *q, struct rep_data **ret, char *err, size_t errlen);
void report_data_free(struct rep_data *d); /* accepts NULL */
/* Add the probes of the query's window and host to d (report_load calls it): d->probes, and a server row
 * (no connections) for every probed address that has none, so a probed server is judged even if no client was
 * seen. Returns 0 or a negative errno. */
int report_load_probes(struct store *s, struct rep_data *d, char *err, size_t errlen);

#endif
