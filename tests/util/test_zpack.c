/* test_zpack.c - zpack/zunpack: exact round trips, the sizes the format promises, malformed input refused. */
#include "tlsaudit/zpack.h"

#include <stdlib.h>
#include <string.h>

#include "../check.h"

static size_t round_trip(const uint8_t *b, size_t n)
{
	uint8_t out[ZPACK_BOUND(2048)], back[2048];
	size_t k = zpack(b, n, out);
	CHECK(k <= ZPACK_BOUND(n));
	CHECK(zunpack(out, k, back, n));
	CHECK(memcmp(back, b, n) == 0);
	return k;
}

int main(void)
{
	uint8_t b[2048];

	/* all zeros: nothing to keep */
	memset(b, 0, sizeof(b));
	CHECK_EQ(round_trip(b, 688), 0);
	/* one byte at the end, after 687 zeros: gaps of 255 carried by empty records, then [177][1][x] */
	b[687] = 0x5b;
	CHECK_EQ(round_trip(b, 688), 2 + 2 + 3);
	b[687] = 0;
	/* two set bytes two zeros apart stay one run ([0][4]...); three zeros apart they are two records */
	b[0] = 1, b[3] = 2;
	CHECK_EQ(round_trip(b, 16), 2 + 4);
	b[3] = 0, b[4] = 2;
	CHECK_EQ(round_trip(b, 16), 3 + 3);
	/* no zeros at all: runs of 255 */
	memset(b, 0xff, sizeof(b));
	CHECK_EQ(round_trip(b, 600), 600 + 2 * 3);
	/* the worst case: a set byte after every third zero */
	memset(b, 0, sizeof(b));
	for (size_t i = 3; i < 2048; i += 4)
		b[i] = 7;
	CHECK(round_trip(b, 2048) <= ZPACK_BOUND(2048));
	/* a sparse struct like the ones packed: 1,000 random ones of 352 bytes with ~25 set */
	srand(1);
	for (int t = 0; t < 1000; t++) {
		memset(b, 0, 352);
		for (int k = 0; k < 25; k++)
			b[rand() % 352] = (uint8_t)(1 + rand() % 255);
		CHECK(round_trip(b, 352) < 25 * 3 + 8);
	}

	/* what zunpack refuses, leaving dst zeroed: a cut header, a run past the input, a run past dst */
	uint8_t dst[8];
	const uint8_t cut[] = {0};
	const uint8_t past_in[] = {0, 4, 1, 2};
	const uint8_t past_dst[] = {6, 3, 1, 2, 3};
	memset(dst, 0xaa, sizeof(dst));
	CHECK(!zunpack(cut, sizeof(cut), dst, sizeof(dst)));
	CHECK(!zunpack(past_in, sizeof(past_in), dst, sizeof(dst)));
	CHECK(!zunpack(past_dst, sizeof(past_dst), dst, sizeof(dst)));
	CHECK(dst[0] == 0 && dst[7] == 0);
	const uint8_t fits[] = {5, 3, 1, 2, 3};
	CHECK(zunpack(fits, sizeof(fits), dst, sizeof(dst)) && dst[5] == 1 && dst[7] == 3 && dst[4] == 0);

	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
