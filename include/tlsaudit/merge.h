/* merge.h - combine tlsaudit databases (several sensors or capture batches) into one, idempotently. */
#ifndef TLSAUDIT_MERGE_H
#define TLSAUDIT_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/store.h"

struct merge_stats {
	uint64_t captures_added;   /* capture rows copied */
	uint64_t captures_known;   /* captures that the output already had (same identity) */
	uint64_t captures_skipped; /* captures still 'reading' in the input (interrupted runs) */
	uint64_t connections_added;
	uint64_t connections_known; /* rows the output already had (same capture identity and seq) */
};

/* Merge the database at in_path into the open store s. The input is ATTACHed read-only after its marker
 * (application_id) and schema version were checked; everything from one input is one transaction, including
 * the host_summary refresh. Capture identity: sha256 when known, else (sensor, path, first_ns, packets);
 * connection identity: (capture identity, seq). Adds to *st. Returns 0 or a negative errno; -EINVAL for an
 * input that is not a tlsaudit database or has another schema version. */
int store_merge(struct store *s, const char *in_path, struct merge_stats *st, char *err, size_t errlen);

#endif
