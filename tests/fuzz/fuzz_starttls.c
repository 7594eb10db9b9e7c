/* fuzz_starttls.c - fuzz target: the STARTTLS detector (src/starttls/) on two plaintext sides.
 * Bytes 0-1 (big-endian) pick where the rest splits into client and server bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/names.h"
#include "tlsaudit/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* an exact-size heap copy, so a read past either side's end is caught by ASan */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t rest = size - 2;
	size_t split = (((size_t)data[0] << 8) | data[1]) % (rest + 1);
	uint8_t *client = dup_exact(data + 2, split);
	uint8_t *server = dup_exact(data + 2 + split, rest - split);
	if (client && server) {
		struct starttls_result r;
		starttls_detect(client, split, server, rest - split, &r);
		/* the contract's invariants: a NUL-terminated reply, and no answer without a request */
		if (r.reply[sizeof(r.reply) - 1] != 0 || (r.accepted && r.refused) ||
		    ((r.accepted || r.refused) && !r.requested) || (r.proto != STARTTLS_NONE) != r.requested ||
		    (r.proto != STARTTLS_NONE && names_starttls(r.proto) == NULL))
			abort();
	}
	free(client);
	free(server);
	return 0;
}
