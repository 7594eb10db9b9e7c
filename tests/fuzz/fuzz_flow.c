/* fuzz_flow.c - fuzz target: flow table and reassembly. The input is a script
 * of synthetic TCP segments between a few endpoints: per segment a header
 * (endpoint pair, flags, sequence offset, length) and then payload bytes, so
 * overlaps, holes, retransmissions with different bytes, SYN data, resets and
 * table eviction are all reachable with tiny limits. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlsaudit/flow.h"
#include "tlsaudit/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(const struct ta_record *r, void *ctx)
{
	(void)ctx;
	return r->client_port == 0xffff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_limits lim;
	flow_limits_default(&lim);
	lim.max_flows = 4;
	lim.max_dir_bytes = 4096;
	lim.max_segments = 8;
	lim.max_handshake = 2048;
	lim.max_plaintext = 1024;
	lim.max_memory = 64 * 1024;
	lim.idle_ns = 1000;
	struct ta_stats st;
	memset(&st, 0, sizeof(st));
	struct flow_table *t;
	if (flow_table_new(&lim, NULL, &st, sink, NULL, &t) < 0)
		return 0;
	struct br r = br_make(data, size);
	uint32_t base[8] = {1000, 50000, 7, 0xfffffff0u, 1, 2, 3, 4};
	int64_t now = 0;
	while (br_left(&r) >= 5) {
		uint8_t sel = br_u8(&r), flags = br_u8(&r);
		uint16_t off = br_u16(&r);
		uint8_t len = br_u8(&r);
		size_t plen = len <= br_left(&r) ? len : br_left(&r);
		const uint8_t *payload = br_ptr(&r, plen);
		struct pkt p;
		memset(&p, 0, sizeof(p));
		int pair = sel & 3, dir = (sel >> 2) & 1;
		p.family = 4;
		uint8_t a[4] = {10, 0, 0, (uint8_t)(1 + pair)}, b[4] = {10, 0, 1, 1};
		memcpy(p.src, dir ? b : a, 4);
		memcpy(p.dst, dir ? a : b, 4);
		p.sport = dir ? 443 : (uint16_t)(40000 + pair);
		p.dport = dir ? (uint16_t)(40000 + pair) : 443;
		p.seq = base[pair * 2 + dir] + off;
		p.tcp_flags = flags & 0x1f;
		p.payload = payload;
		p.payload_len = plen;
		p.payload_wire_len = plen + ((sel >> 3) & 1);
		now += (sel >> 4) * 100;
		p.ts_ns = now;
		flow_packet(t, &p);
	}
	flow_table_flush(t, (size & 1) != 0);
	flow_table_free(t);
	return 0;
}
