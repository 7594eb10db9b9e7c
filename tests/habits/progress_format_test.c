/* progress_format_test.c - the text of read's progress line (src/cli/progress.c): sizes, counts with
 * thousands separators, percentage, rate and the ETA computed from them, and no percentage or ETA when the
 * size of the input is not known (a pipe). */
#include <string.h>

#include "../check.h"
#include "progress.h"

static void expect(const struct progress_sample *s, const char *want)
{
	char buf[256];
	int n = progress_format(s, buf, sizeof(buf));
	checks++;
	if (n != (int)strlen(want) || strcmp(buf, want) != 0) {
		failures++;
		fprintf(stderr, "got  \"%s\"\nwant \"%s\"\n", buf, want);
	}
}

int main(void)
{
	/* 212.4 MB in 1 s of 500.1 MB: 287.7 MB left at 212.4 MB/s is 1.35 s */
	expect(&(struct progress_sample){212400000, 500100000, 815032, 50320, 1000000000ull},
	       "212.4 MB of 500.1 MB (42%), 815,032 packets, 50,320 TLS connections, 212.4 MB/s, ETA 0:01");
	/* 1 GB of 40 GB in 100 s: 10 MB/s, 3,900 s left = 1:05:00; sizes from 1 GB on in GB */
	expect(&(struct progress_sample){1000000000, 40000000000ull, 1, 0, 100000000000ull},
	       "1.00 GB of 40.00 GB (2%), 1 packets, 0 TLS connections, 10.0 MB/s, ETA 1:05:00");
	/* a pipe: no size, so no percentage and no ETA; below 1 MB in kB */
	expect(&(struct progress_sample){46000, 0, 242, 3, 2000000000ull},
	       "46.0 kB, 242 packets, 3 TLS connections, 0.0 MB/s");
	/* a file that grew while being read: never above 100%, ETA 0 */
	expect(&(struct progress_sample){2000000, 1000000, 1234567, 1000, 1000000000ull},
	       "2.0 MB of 1.0 MB (100%), 1,234,567 packets, 1,000 TLS connections, 2.0 MB/s, ETA 0:00");
	/* nothing read yet: rate 0, no ETA */
	expect(&(struct progress_sample){0, 1000, 0, 0, 0},
	       "0.0 kB of 1.0 kB (0%), 0 packets, 0 TLS connections, 0.0 MB/s");
	fprintf(stderr, "progress_format: %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
