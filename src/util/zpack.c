/* zpack.c - runs of non-zero bytes (zpack.h).
 *
 * The format: records of [zeros before: u8][length: u8][length bytes], in order, covering the input from its
 * start; what no record covers is zero. A gap of more than 255 zeros is carried by records of length 0. Zero
 * gaps shorter than ZPACK_MIN_GAP stay inside a run, where they cost less than a record header. A struct of a
 * few hundred bytes with a few dozen set in a dozen places packs into about a fifth of its size; the cost is a
 * pass over the bytes each way.
 */
#include "tlsaudit/zpack.h"

#include <string.h>

#define ZPACK_MIN_GAP 3 /* zeros that end a run: a record header is 2 bytes */

size_t zpack(const void *src, size_t n, uint8_t *out)
{
	const uint8_t *b = src;
	size_t o = 0, i = 0;

	while (i < n) {
		size_t start = i;
		while (start < n && b[start] == 0)
			start++;
		if (start == n)
			break;
		size_t gap = start - i;
		for (; gap > 255; gap -= 255) {
			out[o++] = 255;
			out[o++] = 0;
		}
		/* the run: up to 255 bytes, through zero gaps shorter than ZPACK_MIN_GAP */
		size_t end = start + 1;
		for (size_t j = end, zeros = 0; j < n && j - start < 255 && zeros < ZPACK_MIN_GAP; j++) {
			zeros = b[j] == 0 ? zeros + 1 : 0;
			if (b[j] != 0)
				end = j + 1;
		}
		out[o++] = (uint8_t)gap;
		out[o++] = (uint8_t)(end - start);
		memcpy(out + o, b + start, end - start);
		o += end - start;
		i = end;
	}
	return o;
}

bool zunpack(const uint8_t *in, size_t in_len, void *dst, size_t n)
{
	uint8_t *b = dst;
	size_t i = 0, o = 0;

	memset(b, 0, n);
	while (o < in_len) {
		if (in_len - o < 2)
			goto bad;
		size_t gap = in[o], len = in[o + 1];
		o += 2;
		if (len > in_len - o || gap > n - i || len > n - i - gap)
			goto bad;
		i += gap;
		memcpy(b + i, in + o, len);
		i += len;
		o += len;
	}
	return true;
bad:
	memset(b, 0, n);
	return false;
}
