/* num.h - integer arithmetic on values that come from captures and databases: saturating, never undefined.
 * Packet times (ns since the epoch) come from the capture; a file can put them anywhere in int64, so every
 * difference, sum and product of times goes through these. */
#ifndef TLSAUDIT_NUM_H
#define TLSAUDIT_NUM_H

#include <stdbool.h>
#include <stdint.h>

static inline int64_t ta_sat_add_i64(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static inline int64_t ta_sat_sub_i64(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static inline int64_t ta_sat_mul_i64(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return (a < 0) == (b < 0) ? INT64_MAX : INT64_MIN;
	return r;
}

static inline uint64_t ta_sat_add_u64(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t ta_min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* floor(ns / 1e9) for any int64 */
static inline int64_t ta_ns_to_s(int64_t ns)
{
	return ns >= 0 ? ns / 1000000000 : -((-(ns + 1)) / 1000000000) - 1;
}

/* (b - a) as an unsigned span, 0 when b < a */
static inline uint64_t ta_span_u64(int64_t a, int64_t b)
{
	return b > a ? (uint64_t)b - (uint64_t)a : 0;
}

#endif
