/* check.h - the counting check macros shared by the decode and capture tests:
 * a failed check prints file:line and the values, and the run goes on. */
#ifndef TLSAUDIT_TEST_CHECK_H
#define TLSAUDIT_TEST_CHECK_H

#include <stdio.h>

static int failures; /* checks that failed */
static int checks;   /* checks run */

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		checks++;                                                                        \
		if (!(cond)) {                                                                   \
			failures++;                                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                                                              \
	do {                                                                                                        \
		long long a_ = (long long)(a), b_ = (long long)(b);                                                 \
		checks++;                                                                                           \
		if (a_ != b_) {                                                                                     \
			failures++;                                                                                 \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, a_, #b, \
				b_);                                                                                \
		}                                                                                                   \
	} while (0)

#endif
