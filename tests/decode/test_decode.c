/* test_decode.c - unit tests of decode_packet() on hand-built frames of every link type and tunnel.
 * specification: include/tlsaudit/decode.h. Every frame is also decoded at every truncated length
 * (never a crash, never DECODE_OK unless the cut is a flagged snaplen cut inside the payload).
 */
#include "tlsaudit/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

struct bytes {
	uint8_t d[2048];
	size_t n;
};

static void put8(struct bytes *b, unsigned v)
{
	b->d[b->n++] = (uint8_t)v;
}
static void put16(struct bytes *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}
static void put32(struct bytes *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}
static void putn(struct bytes *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}
static void putb(struct bytes *b, const struct bytes *in)
{
	putn(b, in->d, in->n);
}

static const uint8_t SRC4[4] = {192, 0, 2, 1}, DST4[4] = {198, 51, 100, 7};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
		     DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};
static const char PAYLOAD[] = "\x16\x03\x01 hello, TLS";
#define PAYLOAD_LEN (sizeof(PAYLOAD) - 1)

/* TCP 40000 -> 443, seq 1000, ack 2000, PSH|ACK, 12 bytes of options */
static struct bytes tcp_seg(void)
{
	struct bytes b = {.n = 0};
	put16(&b, 40000);
	put16(&b, 443);
	put32(&b, 1000);
	put32(&b, 2000);
	put16(&b, (8u << 12) | TCP_PSH | TCP_ACK);
	put16(&b, 65535);
	put32(&b, 0);
	put32(&b, 0x01010101); /* NOP x4 */
	put32(&b, 0x0101080a); /* NOP NOP timestamp... */
	put32(&b, 0x01010101);
	putn(&b, PAYLOAD, PAYLOAD_LEN);
	return b;
}

static struct bytes ip4(unsigned proto, const struct bytes *l4, uint16_t frag)
{
	struct bytes b = {.n = 0};
	put8(&b, 0x45);
	put8(&b, 0);
	put16(&b, (unsigned)(20 + l4->n));
	put16(&b, 0x1234);
	put16(&b, frag);
	put8(&b, 64);
	put8(&b, proto);
	put16(&b, 0);
	putn(&b, SRC4, 4);
	putn(&b, DST4, 4);
	putb(&b, l4);
	return b;
}

static struct bytes ip6(unsigned next, const struct bytes *l4)
{
	struct bytes b = {.n = 0};
	put32(&b, 0x60000000);
	put16(&b, (unsigned)l4->n);
	put8(&b, next);
	put8(&b, 64);
	putn(&b, SRC6, 16);
	putn(&b, DST6, 16);
	putb(&b, l4);
	return b;
}

/* an IPv6 extension header of 8 bytes in front of body */
static struct bytes ext6(unsigned next, const struct bytes *body)
{
	struct bytes b = {.n = 0};
	put8(&b, next);
	put8(&b, 0);
	put16(&b, 0x0104); /* PadN */
	put32(&b, 0);
	putb(&b, body);
	return b;
}

static struct bytes frag6(unsigned next, unsigned offset, bool more, const struct bytes *body)
{
	struct bytes b = {.n = 0};
	put8(&b, next);
	put8(&b, 0);
	put16(&b, (offset << 3) | (more ? 1 : 0));
	put32(&b, 0xabcdef);
	putb(&b, body);
	return b;
}

static struct bytes eth(unsigned type, const struct bytes *in)
{
	struct bytes b = {.n = 0};
	static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
	putn(&b, macs, 12);
	put16(&b, type);
	putb(&b, in);
	return b;
}

static struct bytes prefix(const uint8_t *hdr, size_t n, const struct bytes *in)
{
	struct bytes b = {.n = 0};
	putn(&b, hdr, n);
	putb(&b, in);
	return b;
}

static struct bytes udp(unsigned dport, const struct bytes *in)
{
	struct bytes b = {.n = 0};
	put16(&b, 5555);
	put16(&b, dport);
	put16(&b, (unsigned)(8 + in->n));
	put16(&b, 0);
	putb(&b, in);
	return b;
}

static struct bytes vxlan(const struct bytes *inner_eth)
{
	struct bytes b = {.n = 0};
	put32(&b, 0x08000000);
	put32(&b, 0x00045600);
	putb(&b, inner_eth);
	return b;
}

/* full check of a decoded TCP packet against tcp_seg() */
static void check_tcp(const struct pkt *p, int family, const uint8_t *frame, size_t len, int line)
{
	int before = failures;
	CHECK_EQ(p->family, family);
	CHECK_EQ(p->sport, 40000);
	CHECK_EQ(p->dport, 443);
	CHECK_EQ(p->seq, 1000);
	CHECK_EQ(p->ack, 2000);
	CHECK_EQ(p->tcp_flags, TCP_PSH | TCP_ACK);
	CHECK_EQ(p->payload_len, PAYLOAD_LEN);
	CHECK_EQ(p->payload_wire_len, PAYLOAD_LEN);
	CHECK(p->payload && memcmp(p->payload, PAYLOAD, PAYLOAD_LEN) == 0);
	CHECK(p->payload >= frame && p->payload + p->payload_len <= frame + len);
	CHECK(p->l3 >= frame && p->l3 + p->l3_len <= frame + len);
	CHECK(p->l3 && p->l3_len > 0 && (p->l3[0] >> 4) == family);
	if (family == 4) {
		CHECK(memcmp(p->src, SRC4, 4) == 0 && memcmp(p->dst, DST4, 4) == 0);
		CHECK_EQ(p->l3_len, 20 + 32 + PAYLOAD_LEN);
	} else {
		CHECK(memcmp(p->src, SRC6, 16) == 0 && memcmp(p->dst, DST6, 16) == 0);
	}
	if (failures != before)
		fprintf(stderr, "  (frame built at line %d)\n", line);
}

/* Decode at every shorter caplen: with wire_len == caplen the packet is truncated and
 * must never decode; with the true wire_len a cut in the payload is an OK snaplen cut. */
static void sweep(uint32_t link, const struct bytes *f, int line)
{
	uint8_t *copy = malloc(f->n ? f->n : 1);
	for (size_t cut = 0; cut < f->n; cut++) {
		struct pkt p;
		memcpy(copy, f->d, cut); /* exact-size heap copy: ASan catches any overread */
		enum decode_status st = decode_packet(link, cut ? copy : NULL, cut, cut, 0, &p);
		if (st == DECODE_OK) {
			failures++;
			fprintf(stderr, "%s:%d: link %u frame (line %d) cut at %zu/%zu decoded OK\n", __FILE__,
				__LINE__, link, line, cut, f->n);
		}
		st = decode_packet(link, cut ? copy : NULL, cut, f->n, 0, &p);
		if (st == DECODE_OK) {
			checks++;
			if (!(p.flags & PKT_SNAPLEN_CUT) || p.payload_len >= PAYLOAD_LEN ||
			    p.payload_wire_len != PAYLOAD_LEN || memcmp(p.payload, PAYLOAD, p.payload_len) != 0) {
				failures++;
				fprintf(stderr, "%s:%d: link %u frame (line %d) snaplen cut at %zu: bad result\n",
					__FILE__, __LINE__, link, line, cut);
			}
		}
	}
	free(copy);
}

/* decode f as link, expect OK with the standard TCP segment, then sweep all prefixes */
static uint32_t expect_tcp(uint32_t link, const struct bytes *f, int family, int line)
{
	uint8_t *copy = malloc(f->n);
	memcpy(copy, f->d, f->n);
	struct pkt p;
	enum decode_status st = decode_packet(link, copy, f->n, f->n, 42, &p);
	checks++;
	if (st != DECODE_OK) {
		failures++;
		fprintf(stderr, "%s:%d: frame built at line %d: status %d\n", __FILE__, __LINE__, line, st);
	} else {
		check_tcp(&p, family, copy, f->n, line);
		CHECK_EQ(p.ts_ns, 42);
	}
	free(copy);
	sweep(link, f, line);
	return st == DECODE_OK ? p.flags : 0xffffffffu;
}

static enum decode_status status_of(uint32_t link, const struct bytes *f, struct pkt *p)
{
	return decode_packet(link, f->d, f->n, f->n, 0, p);
}

static void test_link_types(void)
{
	struct bytes t = tcp_seg();
	struct bytes v4 = ip4(6, &t, 0x4000); /* DF set: not a fragment */
	struct bytes v6 = ip6(6, &t);

	struct bytes f = eth(0x0800, &v4);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 4, __LINE__), 0);
	f = eth(0x86dd, &v6);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 6, __LINE__), 0);

	/* 802.1ad outer + 802.1Q inner tag */
	struct bytes tagged = {.n = 0};
	put16(&tagged, 0x0064);
	put16(&tagged, 0x8100);
	put16(&tagged, 0x00c8);
	put16(&tagged, 0x86dd);
	putb(&tagged, &v6);
	f = eth(0x88a8, &tagged);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 6, __LINE__), 0);

	/* ethernet padding after a short IPv4 packet is not payload */
	f = eth(0x0800, &v4);
	for (int i = 0; i < 10; i++)
		put8(&f, 0xee);
	struct pkt p;
	CHECK_EQ(status_of(LINK_ETHERNET, &f, &p), DECODE_OK);
	CHECK_EQ(p.payload_len, PAYLOAD_LEN);

	/* NULL: little-endian writer (AF_INET = 2), big-endian writer (Darwin AF_INET6 = 30) */
	static const uint8_t null_le4[4] = {2, 0, 0, 0}, null_be30[4] = {0, 0, 0, 30};
	static const uint8_t null_le24[4] = {24, 0, 0, 0}, loop24[4] = {0, 0, 0, 24}, loop2[4] = {0, 0, 0, 2};
	f = prefix(null_le4, 4, &v4);
	CHECK_EQ(expect_tcp(LINK_NULL, &f, 4, __LINE__), 0);
	f = prefix(null_be30, 4, &v6);
	CHECK_EQ(expect_tcp(LINK_NULL, &f, 6, __LINE__), 0);
	f = prefix(null_le24, 4, &v6);
	CHECK_EQ(expect_tcp(LINK_NULL, &f, 6, __LINE__), 0);
	f = prefix(loop24, 4, &v6);
	CHECK_EQ(expect_tcp(LINK_LOOP, &f, 6, __LINE__), 0);
	f = prefix(loop2, 4, &v4);
	CHECK_EQ(expect_tcp(LINK_LOOP, &f, 4, __LINE__), 0);
	f = prefix(null_le4, 4, &v4);
	CHECK_EQ(status_of(LINK_LOOP, &f, &p), DECODE_NOT_TCP); /* LOOP is network order only */

	/* raw IP */
	CHECK_EQ(expect_tcp(LINK_RAW, &v4, 4, __LINE__), 0);
	CHECK_EQ(expect_tcp(LINK_RAW, &v6, 6, __LINE__), 0);
	CHECK_EQ(expect_tcp(LINK_IPV4, &v4, 4, __LINE__), 0);
	CHECK_EQ(expect_tcp(LINK_IPV6, &v6, 6, __LINE__), 0);
	CHECK_EQ(status_of(LINK_IPV4, &v6, &p), DECODE_MALFORMED);

	/* Linux cooked v1: protocol at offset 14; v2: protocol at offset 0 */
	uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
	f = prefix(sll, 16, &v4);
	CHECK_EQ(expect_tcp(LINK_LINUX_SLL, &f, 4, __LINE__), 0);
	uint8_t sll2[20] = {0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
	f = prefix(sll2, 20, &v6);
	CHECK_EQ(expect_tcp(LINK_LINUX_SLL2, &f, 6, __LINE__), 0);
}

static void test_tunnels(void)
{
	struct bytes t = tcp_seg();
	struct bytes v4 = ip4(6, &t, 0);
	struct bytes v6 = ip6(6, &t);
	struct bytes f, in;
	struct pkt p;

	/* PPPoE session, PPP IPv4 and IPv6, then 4 bytes of ethernet padding */
	in.n = 0;
	put16(&in, 0x1100);
	put16(&in, 0x0042);
	put16(&in, (unsigned)(2 + v4.n));
	put16(&in, 0x0021);
	putb(&in, &v4);
	f = eth(0x8864, &in);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 4, __LINE__), PKT_TUNNELLED);
	put32(&f, 0);
	CHECK_EQ(status_of(LINK_ETHERNET, &f, &p), DECODE_OK);
	in.n = 0;
	put16(&in, 0x1100);
	put16(&in, 0x0042);
	put16(&in, (unsigned)(2 + v6.n));
	put16(&in, 0x0057);
	putb(&in, &v6);
	f = eth(0x8864, &in);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 6, __LINE__), PKT_TUNNELLED);

	/* MPLS, two labels */
	in.n = 0;
	put32(&in, 0x00010040);
	put32(&in, 0x00020140);
	putb(&in, &v4);
	f = eth(0x8847, &in);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 4, __LINE__), 0);

	/* 6in4 */
	in = ip4(41, &v6, 0);
	f = eth(0x0800, &in);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 6, __LINE__), PKT_TUNNELLED);

	/* IPv6 over IPv6 and IPv4 over IPv6 */
	in = ip6(41, &v6);
	CHECK_EQ(expect_tcp(LINK_RAW, &in, 6, __LINE__), PKT_TUNNELLED);
	in = ip6(4, &v4);
	CHECK_EQ(expect_tcp(LINK_RAW, &in, 4, __LINE__), PKT_TUNNELLED);

	/* GRE with key and sequence number carrying IPv4 */
	struct bytes gre = {.n = 0};
	put16(&gre, 0x3000);
	put16(&gre, 0x0800);
	put32(&gre, 7);
	put32(&gre, 9);
	putb(&gre, &v4);
	in = ip4(47, &gre, 0);
	f = eth(0x0800, &in);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 4, __LINE__), PKT_TUNNELLED);

	/* GRE with checksum, transparent ethernet bridging, inner IPv6 */
	gre.n = 0;
	put16(&gre, 0x8000);
	put16(&gre, 0x6558);
	put32(&gre, 0);
	struct bytes inner = eth(0x86dd, &v6);
	putb(&gre, &inner);
	in = ip6(47, &gre);
	CHECK_EQ(expect_tcp(LINK_RAW, &in, 6, __LINE__), PKT_TUNNELLED);

	/* GRE version 1 (PPTP) is not followed */
	gre.n = 0;
	put16(&gre, 0x0001);
	put16(&gre, 0x0800);
	putb(&gre, &v4);
	in = ip4(47, &gre, 0);
	CHECK_EQ(status_of(LINK_RAW, &in, &p), DECODE_NOT_TCP);

	/* VXLAN: ether / IPv4 / UDP 4789 / VXLAN / ether / IPv4 / TCP */
	inner = eth(0x0800, &v4);
	struct bytes vx = vxlan(&inner);
	struct bytes u = udp(4789, &vx);
	in = ip4(17, &u, 0);
	f = eth(0x0800, &in);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 4, __LINE__), PKT_TUNNELLED);
	u = udp(4790, &vx);
	in = ip4(17, &u, 0);
	f = eth(0x0800, &in);
	CHECK_EQ(status_of(LINK_ETHERNET, &f, &p), DECODE_NOT_TCP);

	/* nesting: 4 levels of IPv6-in-IPv6 decode, 5 are refused */
	in = v6;
	for (int i = 0; i < 4; i++)
		in = ip6(41, &in);
	CHECK_EQ(status_of(LINK_RAW, &in, &p), DECODE_OK);
	in = ip6(41, &in);
	CHECK_EQ(status_of(LINK_RAW, &in, &p), DECODE_MALFORMED);
}

static void test_ipv6_ext_and_fragments(void)
{
	struct bytes t = tcp_seg();
	struct bytes f, in;
	struct pkt p;

	/* hop-by-hop, routing, destination options, then an atomic fragment */
	in = frag6(6, 0, false, &t);
	in = ext6(44, &in);
	in = ext6(60, &in);
	in = ext6(43, &in);
	f = ip6(0, &in);
	CHECK_EQ(expect_tcp(LINK_RAW, &f, 6, __LINE__), 0);

	/* AH: payload len 4 -> (4 + 2) * 4 = 24 bytes */
	in.n = 0;
	put8(&in, 6);
	put8(&in, 4);
	put16(&in, 0);
	for (int i = 0; i < 5; i++)
		put32(&in, (uint32_t)i);
	putb(&in, &t);
	f = ip6(51, &in);
	CHECK_EQ(expect_tcp(LINK_RAW, &f, 6, __LINE__), 0);

	/* first fragment: ports counted, offset fragment: no ports */
	in = frag6(6, 0, true, &t);
	f = ip6(44, &in);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_FRAGMENT);
	CHECK(p.flags & PKT_IPV4_FRAGMENT);
	CHECK_EQ(p.sport, 40000);
	CHECK_EQ(p.family, 6);
	in = frag6(6, 100, false, &t);
	f = ip6(44, &in);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_FRAGMENT);
	CHECK_EQ(p.sport, 0);

	/* 9 extension headers: over the bound */
	in = t;
	for (int i = 0; i < 9; i++)
		in = ext6(i ? 60 : 6, &in);
	f = ip6(60, &in);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_MALFORMED);
	/* 8 are fine */
	in = t;
	for (int i = 0; i < 8; i++)
		in = ext6(i ? 60 : 6, &in);
	f = ip6(60, &in);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_OK);

	/* no next header */
	f = ip6(59, &t);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_NOT_TCP);

	/* IPv4 fragments: first (MF) with ports and addresses, later without ports */
	f = ip4(6, &t, 0x2000);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_FRAGMENT);
	CHECK(p.flags & PKT_IPV4_FRAGMENT);
	CHECK_EQ(p.dport, 443);
	CHECK_EQ(p.family, 4);
	CHECK(memcmp(p.src, SRC4, 4) == 0);
	f = ip4(6, &t, 0x0010);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_FRAGMENT);
	CHECK_EQ(p.dport, 0);
	CHECK(memcmp(p.dst, DST4, 4) == 0);
}

static void test_malformed_and_cut(void)
{
	struct bytes t = tcp_seg();
	struct bytes f, in;
	struct pkt p;

	/* snaplen cut: 30 payload bytes missing, the frame says it was longer */
	f = ip4(6, &t, 0);
	size_t full = f.n;
	CHECK_EQ(decode_packet(LINK_RAW, f.d, full - 5, full, 0, &p), DECODE_OK);
	CHECK(p.flags & PKT_SNAPLEN_CUT);
	CHECK_EQ(p.payload_len, PAYLOAD_LEN - 5);
	CHECK_EQ(p.payload_wire_len, PAYLOAD_LEN);
	CHECK_EQ(decode_packet(LINK_RAW, f.d, full - 5, full - 5, 0, &p), DECODE_TRUNCATED);

	/* TSO: IPv4 total length 0, the packet runs to the end of the frame */
	f.d[2] = 0;
	f.d[3] = 0;
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_OK);
	CHECK_EQ(p.payload_len, PAYLOAD_LEN);
	CHECK_EQ(p.payload_wire_len, PAYLOAD_LEN);

	/* IHL 4 */
	f = ip4(6, &t, 0);
	f.d[0] = 0x44;
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_MALFORMED);
	/* total length shorter than the header */
	f = ip4(6, &t, 0);
	f.d[3] = 10;
	f.d[2] = 0;
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_MALFORMED);
	/* TCP data offset 4 */
	f = ip4(6, &t, 0);
	f.d[20 + 12] = 0x40;
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_MALFORMED);
	/* TCP data offset 15: longer than the IP payload */
	in = t;
	in.n = 40;
	f = ip4(6, &in, 0);
	f.d[20 + 12] = 0xf0;
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_MALFORMED);
	/* IPv6 jumbo (payload length 0) */
	f = ip6(6, &t);
	f.d[4] = 0;
	f.d[5] = 0;
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_MALFORMED);
	/* 9 VLAN tags */
	in.n = 0;
	for (int i = 0; i < 9; i++) {
		put16(&in, 1);
		put16(&in, 0x8100);
	}
	put16(&in, 1);
	put16(&in, 0x0800);
	struct bytes v4 = ip4(6, &t, 0);
	putb(&in, &v4);
	f = eth(0x8100, &in);
	CHECK_EQ(status_of(LINK_ETHERNET, &f, &p), DECODE_MALFORMED);

	/* not TCP */
	struct bytes u = udp(53, &t);
	f = ip4(17, &u, 0);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_NOT_TCP);
	f = ip4(1, &t, 0);
	CHECK_EQ(status_of(LINK_RAW, &f, &p), DECODE_NOT_TCP);
	f = eth(0x0806, &t);
	CHECK_EQ(status_of(LINK_ETHERNET, &f, &p), DECODE_NOT_TCP);
	in.n = 0;
	put8(&in, 0x20);
	CHECK_EQ(status_of(LINK_RAW, &in, &p), DECODE_NOT_TCP);
	CHECK_EQ(decode_packet(LINK_RAW, NULL, 0, 0, 0, &p), DECODE_TRUNCATED);

	/* unsupported link types */
	f = ip4(6, &t, 0);
	CHECK_EQ(status_of(105, &f, &p), DECODE_UNSUPPORTED_LINK);
	CHECK_EQ(status_of(9, &f, &p), DECODE_UNSUPPORTED_LINK);
}

static void test_link_names(void)
{
	static const struct {
		uint32_t link;
		const char *name;
		bool supported;
	} cases[] = {
		{0, "NULL", true},	    {1, "EN10MB", true},
		{101, "RAW", true},	    {108, "LOOP", true},
		{113, "LINUX_SLL", true},   {228, "IPV4", true},
		{229, "IPV6", true},	    {276, "LINUX_SLL2", true},
		{105, "IEEE802_11", false}, {127, "IEEE802_11_RADIO", false},
		{9, "PPP", false},	    {65000, NULL, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *n = decode_link_name(cases[i].link);
		checks++;
		if (!((n == NULL && cases[i].name == NULL) || (n && cases[i].name && strcmp(n, cases[i].name) == 0))) {
			failures++;
			fprintf(stderr, "%s:%d: decode_link_name(%u) = %s, expected %s\n", __FILE__, __LINE__,
				cases[i].link, n ? n : "NULL", cases[i].name ? cases[i].name : "NULL");
		}
		CHECK_EQ(decode_link_supported(cases[i].link), cases[i].supported);
	}
}

int main(void)
{
	test_link_types();
	test_tunnels();
	test_ipv6_ext_and_fragments();
	test_malformed_and_cut();
	test_link_names();
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
