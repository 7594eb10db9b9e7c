/* fuzz_decode.c - fuzz target: the packet decoder, link layer to TCP.
 * Byte 0 picks the link type (index into links[]); the rest is the frame. */
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* new link types go at the end: seeds name theirs by index (tests/fuzz/make_seeds.py DECODE_LINKS) */
static const uint32_t links[] = {LINK_NULL,    LINK_ETHERNET,	LINK_RAW,
				 LINK_LOOP,    LINK_LINUX_SLL,	LINK_IPV4,
				 LINK_IPV6,    LINK_LINUX_SLL2, 147 /* unsupported */,
				 LINK_PPP,     LINK_PPP_HDLC,	LINK_PPP_ETHER,
				 LINK_C_HDLC,  LINK_IEEE802_11, LINK_IEEE802_11_RADIOTAP,
				 LINK_PPP_PPPD};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t lt = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	struct pkt p;
	/* wire length claims a little more than captured, like a snaplen cut */
	enum decode_status st = decode_packet(lt, data + 1, size - 1, size - 1 + (data[0] >> 6), 0, &p);
	if (st == DECODE_OK) {
		volatile uint8_t sink = 0;
		for (size_t i = 0; i < p.payload_len; i++)
			sink ^= p.payload[i]; /* the payload view must be inside the frame */
		for (size_t i = 0; i < p.l3_len; i++)
			sink ^= p.l3[i];
		(void)sink;
	}
	return 0;
}
