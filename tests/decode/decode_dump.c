/* decode_dump.c - test helper: decode_packet() on every frame of a capture, one line each.
 * specification: include/tlsaudit/decode.h; read by tests/decode/encap_test.py.
 *
 * Line format (space-separated): frame number, status, encaps (hex), flags (hex), family,
 * source address (hex, 4 or 16 bytes), source port, destination address, destination port,
 * raw sequence number, payload length, payload (hex, "-" if empty). Addresses and ports
 * are "-" unless the status is DECODE_OK.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"

static void hex(const uint8_t *p, size_t n)
{
	if (n == 0)
		fputs("-", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: decode_dump CAPTURE\n");
		return 2;
	}
	char err[256];
	struct capfile *cf;
	if (capfile_open(argv[1], &cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "decode_dump: %s\n", err);
		return 2;
	}
	struct cap_frame fr;
	enum cap_status cs;
	unsigned long n = 0;
	while ((cs = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK) {
		struct pkt p;
		enum decode_status st = decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p);
		printf("%lu %d %x %x %u ", ++n, (int)st, p.encaps, p.flags, p.family);
		if (st == DECODE_OK) {
			size_t alen = p.family == 4 ? 4 : 16;
			hex(p.src, alen);
			printf(" %u ", p.sport);
			hex(p.dst, alen);
			printf(" %u %u %zu ", p.dport, p.seq, p.payload_len);
			hex(p.payload, p.payload_len);
		} else {
			fputs("- - - - - 0 -", stdout);
		}
		putchar('\n');
	}
	capfile_free(cf);
	if (cs != CAP_EOF) {
		fprintf(stderr, "decode_dump: %s\n", err);
		return 1;
	}
	return 0;
}
