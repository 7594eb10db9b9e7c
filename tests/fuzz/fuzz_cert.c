/* fuzz_cert.c - fuzz target: the X.509 leaf parser (src/cert/, RFC 5280) on arbitrary DER bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size heap copy, so a read past the end is caught by ASan */
	uint8_t *der = malloc(size ? size : 1);
	struct cert_info ci;

	if (!der)
		return 0;
	if (size)
		memcpy(der, data, size);
	enum cert_status st = cert_parse(der, size, &ci);
	/* the same bytes again (now remembered by the process): the same answer */
	static struct cert_info again;
	if (cert_parse(der, size, &again) != st || memcmp(&again, &ci, sizeof(ci)) != 0)
		abort();
	if (st == CERT_OK) {
		/* the packed SAN list must stay inside its own bytes */
		size_t off = 0;
		for (unsigned i = 0; i < ci.n_sans; i++) {
			if (off >= ci.sans_len || ci.sans[off] > ci.sans_len - off - 1)
				abort();
			off += 1u + ci.sans[off];
		}
		if (off != ci.sans_len || ci.subject_cn_len > CERT_MAX_NAME || ci.issuer_cn_len > CERT_MAX_NAME)
			abort();
		(void)cert_expired(&ci, 0);
	}
	free(der);
	return 0;
}
