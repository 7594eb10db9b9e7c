/* fuzz_flow.c - fuzz target: flow table, reassembly and what the pipeline does with the streams (TLS,
 * STARTTLS, records), on synthetic packets. The input is a script of TCP segments between a few endpoints: per
 * segment a header (endpoint pair, flags, sequence offset, length) and then payload bytes, so overlaps, holes,
 * retransmissions with different bytes, SYN data, resets, duplicates and eviction are all reachable with tiny
 * limits; and every connection's TLS state is packed whenever it waits (--pack-after 0). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlsaudit/num.h"
#include "tlsaudit/pipeline.h"
#include "tlsaudit/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, const struct ta_conn *r)
{
	(void)ctx;
	return r->client_port == 0xffff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pipeline_opts o;
	memset(&o, 0, sizeof(o));
	ta_limits_default(&o.lim);
	o.lim.max_flows = 4;
	o.lim.max_dir_bytes = 4096;
	o.lim.max_segments = 8;
	o.lim.max_handshake = 2048;
	o.lim.max_plaintext = 1024;
	o.lim.max_memory = 64 * 1024;
	o.lim.idle_s = 1;
	o.lim.pack_after = 0; /* every connection waiting for bytes packs its TLS state (fuzz_capture: never) */
	o.quiet_warnings = true;
	static struct ta_capture_facts facts;
	memset(&facts, 0, sizeof(facts));
	struct pipeline_sink ps = {.conn = sink};
	struct pipeline *t;
	char err[128];
	if (pipeline_new(&o, &ps, &facts, &t, err, sizeof(err)) < 0)
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
		if ((sel >> 4) == 15) /* a clock jump to the other end of int64 (pcapng if_tsoffset can do it) */
			now = now >= 0 ? INT64_MIN + (int64_t)off : INT64_MAX - (int64_t)off;
		else
			now = ta_sat_add_i64(now, (int64_t)(sel >> 4) * 100000000); /* up to 1.4 s: idle timeout */
		p.ts_ns = now;
		pipeline_packet(t, &p);
	}
	pipeline_finish(t, (size & 1) != 0);
	pipeline_free(t);
	return 0;
}
