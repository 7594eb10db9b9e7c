/* merge.h - combine tlsaudit databases (several sensors or capture batches) into one, idempotently. */
#ifndef TLSAUDIT_MERGE_H
#define TLSAUDIT_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/store.h"

struct merge_stats {
	uint64_t captures_added;    /* capture rows copied */
	uint64_t captures_known;    /* captures that the output already had (same identity) */
	uint64_t captures_skipped;  /* captures not counted in the input (still reading, or interrupted) */
	uint64_t captures_conflict; /* same identity as a capture of the output, other connections: refused */
	uint64_t connections_added;
	uint64_t connections_known; /* rows the output already had (same capture identity and seq) */
	uint64_t probes_added;	    /* probe attempts copied (`tlsaudit probe`) */
	uint64_t probes_known;	    /* attempts the output already had, identical */
	uint64_t probes_conflict;   /* same identity (address, port, STARTTLS, time, version, sensor), other facts */
	char conflict[1536];	    /* the first conflict in words (its capture path is the input's: raw bytes) */
};

/* Merge the database at in_path into the open store s (STORE_RW, no writer running). The input is opened as a
 * foreign database (read-only, defensive, exact schema); each of its captures is one transaction with its rows
 * and its share of the host summary. Capture identity: sha256 and analysis options when known, else (sensor,
 * path, first_ns, packets); a capture whose identity is known with other rows is a conflict (refused, counted,
 * the first described in st->conflict). Adds to *st. Returns 0 or a negative errno; -EINVAL for an input that is not a
 * tlsaudit database, has another schema version or a schema that is not exactly ours.
 * Probe attempts follow the captures, in one transaction (store_probe.c). */
int store_merge(struct store *s, const char *in_path, struct merge_stats *st, char *err, size_t errlen);
/* The same from an input already open as STORE_FOREIGN (borrowed; its path names it in messages). */
int store_merge_from(struct store *s, struct store *in, struct merge_stats *st, char *err, size_t errlen);

#endif
