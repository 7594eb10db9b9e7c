/* agg.h - per host and role aggregation of connection records: the one place that counts connections,
 * outcome classes, versions offered and negotiated, failure reasons and first/last times per host. Used while
 * reading (the read summary, the database's host_summary merged with an UPSERT), by reports and by diff.
 *
 * Everything in struct agg_counts is additive (sums, minima, maxima), so two aggregates of disjoint sets of
 * connections merge into the aggregate of their union, and a policy (the lowest acceptable version) can be
 * applied afterwards: counts are kept per version column, not per policy.
 */
#ifndef TLSAUDIT_AGG_H
#define TLSAUDIT_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/limits.h"
#include "tlsaudit/record.h"

/* Version columns (by rank: TLS 1.3 drafts count as TLS 1.3). */
enum agg_vcol {
	AGG_V_NONE, /* no version (no ServerHello; no supported_versions list) */
	AGG_V_SSL2,
	AGG_V_SSL3,
	AGG_V_TLS10,
	AGG_V_TLS11,
	AGG_V_TLS12,
	AGG_V_TLS13,
	AGG_V_OTHER,
	AGG_V_COUNT
};
enum agg_vcol agg_vcol_of(uint16_t version);
uint16_t agg_vcol_rank(enum agg_vcol c);    /* the rank of a column (0 for NONE; 0xffff for OTHER) */
const char *agg_vcol_name(enum agg_vcol c); /* "none", "SSL 2.0", ... "TLS 1.3", "other" */

enum agg_role { AGG_CLIENT = 0, AGG_SERVER = 1 };

/* A failure reason: an outcome (rec_outcome) or, for alerts, 0x100 | the alert description. */
struct agg_reason {
	uint16_t code;
	uint64_t count;
};
const char *agg_reason_name(uint16_t code, char buf[static 16]);

struct agg_counts {
	uint64_t connections, established, failed, unknown;	     /* outcome classes (names_outcome_class) */
	uint64_t negotiated[AGG_V_COUNT];			     /* by negotiated version */
	uint64_t offered_max[AGG_V_COUNT];			     /* by the first ClientHello's maximum */
	uint64_t offered_max_failed[AGG_V_COUNT];		     /* ... of connections not established (failed
								      * or unknown: see offered_max_unknown) */
	uint64_t offered_max_unknown[AGG_V_COUNT];		     /* ... of those, outcome class unknown */
	uint64_t neg_established[AGG_V_COUNT];			     /* established, by negotiated version */
	uint64_t lowest_listed[AGG_V_COUNT];			     /* by the lowest version in supported_versions */
	int64_t first_ns, last_ns;				     /* first / last packet of the connections */
	int64_t max_first_ns[AGG_V_COUNT], max_last_ns[AGG_V_COUNT]; /* same, by offered maximum */
	int64_t neg_first_ns[AGG_V_COUNT], neg_last_ns[AGG_V_COUNT]; /* same, by negotiated version */
	uint16_t max_offered, min_offered;			     /* ClientHello maximum (rank), 0 = none */
	uint16_t max_negotiated, min_negotiated;		     /* negotiated (rank), 0 = none */
};

struct agg_host {
	uint8_t family;
	uint8_t ip[16];
	uint8_t role; /* enum agg_role */
	struct agg_counts n;
	struct agg_reason reasons[TA_AGG_MAX_REASONS]; /* failure reasons, most frequent first after agg_sort */
	size_t n_reasons;
	uint64_t other_reasons; /* connections whose reason did not fit */
};

struct agg;

int agg_new(struct agg **ret);
void agg_free(struct agg *a); /* accepts NULL */
/* Count one connection for both of its hosts (client and server role). Returns 0 or -ENOMEM. */
int agg_add(struct agg *a, const struct ta_conn *c);
/* The row of (family, ip, role), created empty if missing; NULL out of memory. */
struct agg_host *agg_get(struct agg *a, uint8_t family, const uint8_t ip[16], enum agg_role role);
/* Merge counts of src into dst (same key) / merge a whole aggregate. */
void agg_counts_merge(struct agg_counts *dst, const struct agg_counts *src);
void agg_reason_add(struct agg_host *h, uint16_t code, uint64_t n);
int agg_merge(struct agg *dst, const struct agg *src);
/* Hosts in order: family, address bytes, role (10.0.0.5 before 10.0.0.10); reasons most frequent first. */
size_t agg_count(const struct agg *a);
const struct agg_host *agg_at(struct agg *a, size_t i); /* after agg_sort */
void agg_sort(struct agg *a);
bool agg_empty(const struct agg *a);

/* Policy helpers: sums over the version columns below min_rank. */
uint64_t agg_sum_below(const uint64_t v[AGG_V_COUNT], uint16_t min_rank);
/* First and last time of connections that offered at most, or negotiated, a version below min_rank; false if
 * there were none. */
bool agg_old_times(const struct agg_counts *n, uint16_t min_rank, int64_t *ret_first, int64_t *ret_last);

#endif
