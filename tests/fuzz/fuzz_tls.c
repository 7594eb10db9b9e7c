/* fuzz_tls.c - fuzz target: the TLS record/handshake parser, both directions.
 * Input layout: byte 0 = chunk size seed; then the bytes are dealt to the
 * client and server streams alternately in chunks, so records, handshake
 * reassembly across records and partial records are all exercised. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlsaudit/reader.h"
#include "tlsaudit/names.h"
#include "tlsaudit/tls.h"
#include "../tls_facts_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct br r = br_make(data, size);
	size_t chunk = (size_t)(br_u8(&r) % 64) + 1;
	struct tls_facts f;
	struct tls_limits lim = {.max_handshake = 4096, .max_plaintext = 2048};
	tf_init(&f);
	static uint8_t pending[2][TLS_MAX_RECORD * 2 + 64];
	size_t plen[2] = {0, 0};
	int dir = 0;
	while (!br_empty(&r)) {
		size_t n = br_left(&r) < chunk ? br_left(&r) : chunk;
		const uint8_t *p = br_ptr(&r, n);
		if (plen[dir] + n > sizeof(pending[dir]))
			plen[dir] = 0;
		memcpy(pending[dir] + plen[dir], p, n);
		plen[dir] += n;
		size_t used = tf_feed(&f, (enum tls_dir)dir, pending[dir], plen[dir], &lim);
		if (used > plen[dir])
			__builtin_trap(); /* contract: never consumes more than it was given */
		memmove(pending[dir], pending[dir] + used, plen[dir] - used);
		plen[dir] -= used;
		dir ^= 1;
	}
	(void)tf_established(&f);
	(void)tf_done_p(&f);
	(void)tf_negotiated(&f);
	if (f.have_ch)
		(void)tls_client_max_version(&f.ch);
	tf_done(&f);

	/* the hello parsers directly, on the raw input */
	struct tls_client_hello ch;
	struct tls_server_hello sh;
	size_t rec_len;
	(void)tls_parse_client_hello(data, size, &ch);
	(void)tls_parse_server_hello(data, size, &sh);
	(void)tls_parse_sslv2_client_hello(data, size, &ch, &rec_len);
	(void)tls_looks_like_client_hello(data, size);
	return 0;
}
