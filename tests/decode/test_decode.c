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
 * must never decode; with the true wire_len a cut in the payload is an OK snaplen cut.
 * The last tail bytes are a trailer after the IP packet (padding, FCS): cuts there are skipped. */
static void sweep_tail(uint32_t link, const struct bytes *f, size_t tail, int line)
{
	uint8_t *copy = malloc(f->n ? f->n : 1);
	for (size_t cut = 0; cut + tail < f->n; cut++) {
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

static void sweep(uint32_t link, const struct bytes *f, int line)
{
	sweep_tail(link, f, 0, line);
}

static uint32_t last_encaps; /* pkt.encaps of the last expect_tcp() */

/* decode f as link, expect OK with the standard TCP segment, then sweep all prefixes
 * (but those that only cut tail trailer bytes) */
static uint32_t expect_tcp_tail(uint32_t link, const struct bytes *f, int family, size_t tail, int line)
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
		last_encaps = p.encaps;
	}
	free(copy);
	sweep_tail(link, f, tail, line);
	return st == DECODE_OK ? p.flags : 0xffffffffu;
}

static uint32_t expect_tcp(uint32_t link, const struct bytes *f, int family, int line)
{
	return expect_tcp_tail(link, f, family, 0, line);
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

	/* GRE version 1 carries PPP (PPTP) only: IPv4 directly is not followed */
	gre.n = 0;
	put16(&gre, 0x0001);
	put16(&gre, 0x0800);
	putb(&gre, &v4);
	in = ip4(47, &gre, 0);
	CHECK_EQ(status_of(LINK_RAW, &in, &p), DECODE_NOT_TCP);
	CHECK(p.flags & PKT_ENCAP_UNSUPPORTED);

	/* VXLAN: ether / IPv4 / UDP 4789 / VXLAN / ether / IPv4 / TCP */
	inner = eth(0x0800, &v4);
	struct bytes vx = vxlan(&inner);
	struct bytes u = udp(4789, &vx);
	in = ip4(17, &u, 0);
	f = eth(0x0800, &in);
	CHECK_EQ(expect_tcp(LINK_ETHERNET, &f, 4, __LINE__), PKT_TUNNELLED);
	u = udp(4791, &vx);
	in = ip4(17, &u, 0);
	f = eth(0x0800, &in);
	CHECK_EQ(status_of(LINK_ETHERNET, &f, &p), DECODE_NOT_TCP);

	/* nesting: 10 levels of IPv6-in-IPv6 decode, 11 are refused */
	in = v6;
	for (int i = 0; i < 10; i++)
		in = ip6(41, &in);
	CHECK_EQ(status_of(LINK_RAW, &in, &p), DECODE_OK);
	CHECK_EQ(p.encaps, ENCAP_IPIP);
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
	CHECK_EQ(status_of(189, &f, &p), DECODE_UNSUPPORTED_LINK);
	CHECK_EQ(status_of(147, &f, &p), DECODE_UNSUPPORTED_LINK);
	CHECK_EQ(status_of(119, &f, &p), DECODE_UNSUPPORTED_LINK);
}

/* ---- encapsulations: one table, every frame also cut at every length ---------------- */

static unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	fprintf(stderr, "bad hex digit '%c' in a test literal\n", c);
	exit(2);
}

/* hex bytes (spaces ignored) followed by in (may be NULL) */
static struct bytes hb(const char *hex, const struct bytes *in)
{
	struct bytes b = {.n = 0};
	for (const char *c = hex; *c;) {
		if (*c == ' ') {
			c++;
			continue;
		}
		put8(&b, hexval(c[0]) << 4 | hexval(c[1]));
		c += 2;
	}
	if (in)
		putb(&b, in);
	return b;
}

static struct bytes udp_sd(unsigned sport, unsigned dport, const struct bytes *in)
{
	struct bytes b = udp(dport, in);
	b.d[0] = (uint8_t)(sport >> 8);
	b.d[1] = (uint8_t)sport;
	return b;
}

/* IPv4 / UDP to dport / payload, in Ethernet */
static struct bytes eth_udp(unsigned sport, unsigned dport, const struct bytes *in)
{
	struct bytes u = udp_sd(sport, dport, in);
	struct bytes i = ip4(17, &u, 0x4000);
	return eth(0x0800, &i);
}

static struct bytes eth_gre(const char *gre_hex, const struct bytes *in)
{
	struct bytes g = hb(gre_hex, in);
	struct bytes i = ip4(47, &g, 0x4000);
	return eth(0x0800, &i);
}

static struct bytes V4, V6, E4, E6; /* the standard segment in IPv4 / IPv6, bare and in Ethernet */
static const char LLC4[] = "aaaa03 000000 0800";
static const char ADDRS[] = "020000000001 020000000002 020000000003"; /* three 802.11 addresses */

static struct bytes w_cmd(const char *hex, const struct bytes *in)
{
	struct bytes c = hb(hex, in);
	return eth(0x8909, &c);
}
static struct bytes f_cmd1(void)
{
	return w_cmd("01 01 0001 0064 0800", &V4);
}
static struct bytes f_cmd2(void)
{
	return w_cmd("01 02 0001 0064 2001 1234 0001 0065 86dd", &V6);
}
static struct bytes f_cmd_ver2(void)
{
	return w_cmd("02 01 0001 0064 0800", &V4);
}
static struct bytes f_cmd_len0(void)
{
	return w_cmd("01 00 0001 0064 0800", &V4);
}
static struct bytes f_cmd_vlan(void)
{
	struct bytes v = hb("000a 0800", &V4);
	return w_cmd("01 01 0001 0064 8100", &v);
}

static struct bytes f_geneve_eth(void)
{
	struct bytes g = hb("02 00 6558 00123400 0103 8001 0000002a", &E4);
	return eth_udp(49153, 6081, &g);
}
static struct bytes f_geneve_ip6(void)
{
	struct bytes g = hb("00 00 86dd 00000100", &V6);
	return eth_udp(49153, 6081, &g);
}
static struct bytes f_geneve_overrun(void)
{
	struct bytes g = hb("01 00 6558 00000000 0103 8002", &E4);
	return eth_udp(49153, 6081, &g);
}
static struct bytes f_geneve_v1(void)
{
	struct bytes g = hb("40 00 6558 00000000", &E4);
	return eth_udp(49153, 6081, &g);
}
static struct bytes f_vxlan_gbp_vlan(void)
{
	struct bytes v = hb("0014 0800", &V4);
	struct bytes in = eth(0x8100, &v);
	struct bytes x = hb("88 00 0011 00138900", &in);
	return eth_udp(49153, 4789, &x);
}
static struct bytes gpe(const char *hex, const struct bytes *in)
{
	struct bytes g = hb(hex, in);
	return eth_udp(49153, 4790, &g);
}
static struct bytes f_gpe_ip4(void)
{
	return gpe("0c 00 00 01 00000700", &V4);
}
static struct bytes f_gpe_ip6(void)
{
	return gpe("0c 00 00 02 00000700", &V6);
}
static struct bytes f_gpe_eth(void)
{
	return gpe("0c 00 00 03 00000700", &E4);
}
static struct bytes f_gpe_nsh(void)
{
	struct bytes n = hb("0fc6 01 01 000042ff 00000000 00000000 00000000 00000000", &V4);
	return gpe("0c 00 00 04 00000700", &n);
}
static struct bytes f_gpe_mpls(void)
{
	struct bytes m = hb("003e8140", &V6);
	return gpe("0c 00 00 05 00000700", &m);
}
static struct bytes f_gpe_unknown(void)
{
	return gpe("0c 00 00 7f 00000700", &V4);
}
static struct bytes f_gpe_v1(void)
{
	return gpe("1c 00 00 01 00000700", &V4);
}

static struct bytes f_nsh_md2(void)
{
	struct bytes n = hb("0fc6 02 02 000043fe 0000 0104 00000011 0101 0203 61626300", &V6);
	return eth(0x894f, &n);
}
static struct bytes f_nsh_nsh(void)
{
	struct bytes inner = hb("0fc2 02 03 000043fd", &E4); /* MD type 2 without context, then Ethernet */
	struct bytes n = hb("0fc6 01 04 000042ff 00000000 00000000 00000000 00000000", &inner);
	return eth(0x894f, &n);
}
static struct bytes f_nsh_md1_len5(void)
{
	struct bytes n = hb("0fc5 01 01 000042ff 00000000 00000000 00000000", &V4);
	return eth(0x894f, &n);
}
static struct bytes f_nsh_tlv_overrun(void)
{
	struct bytes n = hb("0fc3 02 01 000043fe 0000 0108", &V4);
	return eth(0x894f, &n);
}
static struct bytes f_nsh_md15(void)
{
	struct bytes n = hb("0fc2 0f 01 000043fe", &V4);
	return eth(0x894f, &n);
}

static struct bytes f_gre_routing(void)
{
	return eth_gre("4000 0800 0000 0000 0800 00 04 0a000001 0000 00 00", &V4);
}
static struct bytes f_gre_v2(void)
{
	return eth_gre("0002 0800", &V4);
}
static struct bytes f_gre_mpls(void)
{
	struct bytes m = hb("003e8140", &V4);
	struct bytes g = hb("0000 8847", &m);
	struct bytes i = ip6(47, &g);
	return eth(0x86dd, &i);
}
static struct bytes pptp(unsigned flags, const char *ppp_hex, const struct bytes *in, bool ack)
{
	struct bytes ppp = hb(ppp_hex, in);
	struct bytes g = {.n = 0};
	put16(&g, flags);
	put16(&g, 0x880b);
	put16(&g, (unsigned)ppp.n);
	put16(&g, 0x4000);
	if (flags & 0x1000)
		put32(&g, 5);
	if (ack)
		put32(&g, 4);
	putb(&g, &ppp);
	struct bytes i = ip4(47, &g, 0x4000);
	return eth(0x0800, &i);
}
static struct bytes f_pptp(void)
{
	return pptp(0x3081, "ff03 0021", &V4, true);
}
static struct bytes f_pptp_compressed(void)
{
	return pptp(0x3001, "21", &V4, false);
}
static struct bytes f_pptp_v6(void)
{
	return pptp(0x2001, "ff03 0057", &V6, false);
}
static struct bytes f_pptp_mppe(void)
{
	return pptp(0x3001, "ff03 00fd 9000 1234 5678 9abc", NULL, false);
}
static struct bytes f_pptp_ack_only(void)
{
	return eth_gre("2081 880b 0000 4000 00000004", NULL);
}
static struct bytes f_pptp_no_key(void)
{
	return eth_gre("1001 880b 00000005", &V4);
}

static struct bytes f_erspan1(void)
{
	return eth_gre("0000 88be", &E4);
}
static struct bytes f_erspan2(void)
{
	struct bytes v = hb("000a 0800", &V4);
	struct bytes in = eth(0x8100, &v);
	return eth_gre("1000 88be 00000001 100a 1864 00012345", &in);
}
static struct bytes f_erspan3_sub(void)
{
	return eth_gre("1000 22eb 00000001 2000 00c8 00000000 0011 0033 0c000123 00000000", &E4);
}
static struct bytes f_erspan3_ip(void)
{
	return eth_gre("1000 22eb 00000001 2000 00c8 00000000 0011 0800", &V6);
}
static struct bytes f_erspan3_ft3(void)
{
	return eth_gre("1000 22eb 00000001 2000 00c8 00000000 0011 0c00", &E4);
}
static struct bytes f_erspan_ver3(void)
{
	return eth_gre("1000 88be 00000001 300a 1864 00012345", &E4);
}
static struct bytes f_wccp2(void)
{
	return eth_gre("0000 883e 00000001", &V4);
}
static struct bytes f_wccp1(void)
{
	return eth_gre("0000 883e", &V4);
}
static struct bytes f_gre_udp(void)
{
	struct bytes g = hb("0000 86dd", &V6);
	return eth_udp(49153, 4754, &g);
}

static struct bytes w_mpls(const char *hex, const struct bytes *in)
{
	struct bytes m = hb(hex, in);
	return eth(0x8847, &m);
}
static struct bytes f_mpls1(void)
{
	return w_mpls("003e8140", &V4);
}
static struct bytes f_mpls3_v6(void)
{
	return w_mpls("00010040 007d0040 07530140", &V6);
}
static struct bytes f_mpls_cw(void)
{
	struct bytes cw = hb("00000007", &E4);
	return w_mpls("00011040 00064140", &cw);
}
static struct bytes f_mpls_nocw(void)
{
	return w_mpls("00011040 00064140", &E4);
}
static struct bytes f_mpls_nocw_tagged(void)
{
	struct bytes v = hb("0014 0800", &V4);
	struct bytes e = eth(0x8100, &v);
	return w_mpls("00064140", &e);
}
static struct bytes f_mpls_ach(void)
{
	return w_mpls("00064140 10000007", &V4);
}
static struct bytes f_mpls_9(void)
{
	return w_mpls("00001040 00001040 00001040 00001040 00001040 00001040 00001040 00001040 00001140", &V4);
}
static struct bytes f_mpls_junk(void)
{
	return w_mpls("00001140 51525354 55565758 595a5b5c 5d5e5f60 61626364", NULL);
}

static struct bytes f_mpls_short(void)
{
	return w_mpls("00001140 5152535455565758", NULL);
}
static struct bytes f_ppp_hdlc(void)
{
	return hb("ff03 0021", &V4);
}
static struct bytes f_ppp_bare(void)
{
	return hb("0021", &V4);
}
static struct bytes f_ppp_pfc(void)
{
	return hb("21", &V4);
}
static struct bytes f_ppp_v6(void)
{
	return hb("ff03 0057", &V6);
}
static struct bytes f_ppp_mpls(void)
{
	struct bytes m = hb("003e8140", &V4);
	return hb("ff03 0281", &m);
}
static struct bytes f_ppp_lcp(void)
{
	return hb("ff03 c021 0101 0004", NULL);
}
static struct bytes f_chdlc(void)
{
	return hb("0f00 0800", &V4);
}
static struct bytes f_chdlc_v6(void)
{
	return hb("8f00 86dd", &V6);
}
static struct bytes f_pppd_in(void)
{
	return hb("0003 0021", &V4);
}
static struct bytes f_pppd_out(void)
{
	return hb("0103 0057", &V6);
}
static struct bytes f_ppp_ether(void)
{
	struct bytes b = hb("1100 0042", NULL);
	put16(&b, (unsigned)(2 + V4.n));
	put16(&b, 0x0021);
	putb(&b, &V4);
	return b;
}

static struct bytes f_pbb(void)
{
	struct bytes v = hb("0014 0800", &V4);
	struct bytes cust = eth(0x8100, &v);
	struct bytes t = hb("012c 88e7 00010203", &cust);
	return eth(0x88a8, &t);
}
static struct bytes f_vntag(void)
{
	struct bytes t = hb("80110022 86dd", &V6);
	return eth(0x8926, &t);
}
static struct bytes llc_frame(const char *llc_hex, const struct bytes *in, size_t pad)
{
	struct bytes body = hb(llc_hex, in);
	struct bytes b = hb("000102030405 00060708090a", NULL);
	put16(&b, (unsigned)body.n);
	putb(&b, &body);
	for (size_t i = 0; i < pad; i++)
		put8(&b, 0xee);
	return b;
}
static struct bytes f_llc_snap(void)
{
	return llc_frame(LLC4, &V4, 0);
}
static struct bytes f_llc_snap_pad(void)
{
	return llc_frame("aaaa03 0000f8 86dd", &V6, 7);
}
static struct bytes f_llc_stp(void)
{
	return llc_frame("424203 0000 00 00 8000000102030405 00000000 8000000102030405 8001 0000 1400 0200 0f00", NULL,
			 0);
}
static struct bytes f_ether_type_gap(void)
{
	return eth(0x05f0, &V4);
} /* neither a length nor a type */

static struct bytes f_ipip(void)
{
	struct bytes i = ip4(4, &V4, 0x4000);
	return eth(0x0800, &i);
}
static struct bytes f_etherip(void)
{
	struct bytes e = hb("3000", &E6);
	struct bytes i = ip4(97, &e, 0x4000);
	return eth(0x0800, &i);
}
static struct bytes f_etherip_v1(void)
{
	struct bytes e = hb("1000", &E6);
	struct bytes i = ip4(97, &e, 0x4000);
	return eth(0x0800, &i);
}
static struct bytes f_mpls_in_ip(void)
{
	struct bytes m = hb("001f4140", &V4);
	struct bytes i = ip6(137, &m);
	return eth(0x86dd, &i);
}

static struct bytes f_gtpu_ext(void)
{
	struct bytes b = hb("36 ff", NULL);
	put16(&b, (unsigned)(8 + V4.n));
	put32(&b, 0x1000);
	struct bytes rest = hb("0001 00 85 01 10 09 00", &V4);
	putb(&b, &rest);
	return eth_udp(2152, 40000, &b); /* GTP-U by its source port */
}
static struct bytes f_teredo(void)
{
	struct bytes t = hb("0001 00 00 0102030405060708 00 0000 1234 0a000001", &V6);
	return eth_udp(40001, 3544, &t);
}
static struct bytes f_teredo_bubble(void)
{
	struct bytes t = hb("0000 1234 0a000001", NULL);
	return eth_udp(3544, 40001, &t);
}

static struct bytes w80211(const char *fc_hex, const char *tail_hex, const struct bytes *in)
{
	struct bytes body = hb((in->d[0] >> 4) == 6 ? "aaaa03 000000 86dd" : LLC4, in);
	struct bytes t = hb(tail_hex, &body);
	struct bytes a = hb(ADDRS, &t);
	struct bytes d = hb("0000", &a);
	return hb(fc_hex, &d);
}
static struct bytes f_wlan_fromds(void)
{
	return w80211("0802", "1000", &V4);
}
static struct bytes f_wlan_qos(void)
{
	return w80211("8801", "1000 0000", &V4);
}
static struct bytes f_wlan_wds(void)
{
	return w80211("0803", "1000 020000000004", &V4);
}
static struct bytes f_wlan_htc(void)
{
	return w80211("8881", "1000 0000 00000000", &V4);
}
static struct bytes f_wlan_protected(void)
{
	return w80211("0841", "1000", &V4);
}
static struct bytes f_wlan_null(void)
{
	return w80211("4801", "1000", &V4);
}
static struct bytes f_wlan_morefrag(void)
{
	return w80211("0805", "1000", &V4);
}
static struct bytes f_wlan_fragnum(void)
{
	return w80211("0801", "1100", &V4);
}
static struct bytes f_wlan_beacon(void)
{
	return w80211("8000", "1000", &V4);
}
static struct bytes f_wlan_ack(void)
{
	return hb("d400 0000 020000000001", NULL);
} /* a 10-byte ACK */
static struct bytes f_radiotap_ack(void)
{
	struct bytes a = f_wlan_ack();
	return hb("00 00 0800 00000000", &a);
}
static struct bytes f_wlan_amsdu(void)
{
	return w80211("8801", "1000 8000", &V4);
}
static struct bytes f_radiotap_pad(void)
{
	struct bytes w = w80211("8801", "1000 0000", &V4);
	struct bytes f = hb("00 00 0900 02000000 20", NULL); /* Flags: data pad */
	putn(&f, w.d, 26);				     /* the QoS data header */
	put16(&f, 0);					     /* pad to 28 */
	putn(&f, w.d + 26, w.n - 26);
	return f;
}
static struct bytes f_radiotap_ext(void)
{
	struct bytes w = w80211("0801", "1000", &V4);
	struct bytes f = hb("00 00 1e00 0f000080 00000000 00000000 0102030405060708 10 02 8509a000", &w);
	put32(&f, 0xdeadbeef); /* FCS */
	return f;
}
static struct bytes f_radiotap_v1(void)
{
	struct bytes w = w80211("0801", "1000", &V4);
	return hb("01 00 0800 00000000", &w);
}
static struct bytes f_radiotap_short_len(void)
{
	struct bytes w = w80211("0801", "1000", &V4);
	return hb("00 00 0400 00000000", &w);
}
static struct bytes f_radiotap_fields_past_len(void)
{
	struct bytes w = w80211("0801", "1000", &V4);
	return hb("00 00 0800 03000000", &w);
}

static struct bytes f_tzsp_eth(void)
{
	struct bytes t = hb("01 00 0001 00 0a01ff 01", &E4);
	return eth_udp(49153, 37008, &t);
}
static struct bytes f_tzsp_80211(void)
{
	struct bytes w = w80211("0802", "1000", &V6);
	struct bytes t = hb("01 00 0012 01", &w);
	return eth_udp(49153, 37008, &t);
}
static struct bytes f_tzsp_keepalive(void)
{
	struct bytes t = hb("01 04 0001 01", NULL);
	return eth_udp(49153, 37008, &t);
}
static struct bytes f_tzsp_prism(void)
{
	struct bytes t = hb("01 00 0077 01", &E4);
	return eth_udp(49153, 37008, &t);
}
static struct bytes f_tzsp_pad64(void)
{
	struct bytes t = hb("01 00 0001", NULL);
	for (int i = 0; i < 64; i++)
		put8(&t, 0);
	put8(&t, 1);
	putb(&t, &E4);
	return eth_udp(49153, 37008, &t);
}

static struct bytes f_l2tp(void)
{
	struct bytes ppp = hb("ff03 0021", &V4);
	struct bytes b = hb("4a02", NULL);
	put16(&b, (unsigned)(16 + ppp.n));
	struct bytes rest = hb("0001 0002 0003 0004 0002 abcd", &ppp);
	putb(&b, &rest);
	return eth_udp(1701, 1701, &b);
}
static struct bytes f_l2tp_plain(void)
{
	struct bytes ppp = hb("0057", &V6); /* no length, no Ns/Nr, PPP without address/control */
	struct bytes b = hb("0002 0001 0002", &ppp);
	return eth_udp(40000, 1701, &b);
}
static struct bytes f_l2tp_control(void)
{
	struct bytes b = hb("c802 0014 0001 0000 0000 0000 8008 0000 0000 0001", NULL);
	return eth_udp(1701, 1701, &b);
}
static struct bytes f_l2tpv3(void)
{
	struct bytes b = hb("0003 0000 00001234", &E4);
	return eth_udp(1701, 1701, &b);
}
static struct bytes f_l2tp_short_len(void)
{
	struct bytes ppp = hb("ff03 0021", &V4);
	struct bytes b = hb("4002 0004 0001 0002", &ppp);
	return eth_udp(1701, 1701, &b);
}

static struct bytes f_capwap_eth(void)
{
	struct bytes c = hb("00100200 00000000", &E4);
	return eth_udp(41000, 5247, &c);
}
static struct bytes f_capwap_80211_swapped(void)
{
	struct bytes w = w80211("0108", "1000", &V4);
	struct bytes c = hb("00100300 00000000", &w);
	return eth_udp(5247, 41000, &c);
}
static struct bytes f_capwap_80211(void)
{
	struct bytes w = w80211("0802", "1000", &V6);
	struct bytes c = hb("00200310 00000000 06020000 00000100", &w); /* HLEN 4, M: radio MAC */
	return eth_udp(41000, 5247, &c);
}
static struct bytes f_capwap_dtls(void)
{
	struct bytes c = hb("01000000 17fefd00 01000000 00000100", NULL);
	return eth_udp(41000, 5247, &c);
}
static struct bytes f_capwap_fragment(void)
{
	struct bytes c = hb("00100280 00010000", &E4);
	return eth_udp(41000, 5247, &c);
}
static struct bytes f_capwap_hlen1(void)
{
	struct bytes c = hb("00080200 00000000", &E4);
	return eth_udp(41000, 5247, &c);
}

/* eleven Cisco MetaData tags in a row (the twelfth layer counting the VLAN stack) */
static struct bytes nested_cmd(int n)
{
	struct bytes in = V4;
	for (int i = 0; i < n; i++)
		in = hb(i == 0 ? "01 01 0001 0064 0800" : "01 01 0001 0064 8909", &in);
	return eth(0x8909, &in);
}
static struct bytes f_cmd_x10(void)
{
	return nested_cmd(10);
}
static struct bytes f_cmd_x11(void)
{
	return nested_cmd(11);
}
/* VLAN / CMD / MPLS / PW / VXLAN / GRE / ERSPAN: every layer kind counts */
static struct bytes f_mixed_deep(int extra)
{
	struct bytes in = E4;
	struct bytes x = hb("08 00 0000 00138900", &in);
	in = eth_udp(49153, 4789, &x);				    /* VXLAN: 1 */
	in = eth_gre("1000 88be 00000001 100a 1864 00012345", &in); /* GRE, ERSPAN: 3 */
	struct bytes cw = hb("00000007", &in);
	struct bytes m = hb("00064140", &cw);		 /* MPLS, PW: 5 */
	struct bytes c = hb("01 01 0001 0064 8847", &m); /* CMD: 6 */
	struct bytes v = hb("0014 8909", &c);		 /* VLAN: 7 */
	in = eth(0x8100, &v);
	for (int i = 0; i < extra; i++) {
		struct bytes g = hb("0000 6558", &in); /* GRE: 8, 9, 10, 11 */
		struct bytes i4 = ip4(47, &g, 0x4000);
		in = eth(0x0800, &i4);
	}
	return in;
}
static struct bytes f_mixed_10(void)
{
	return f_mixed_deep(3);
}
static struct bytes f_mixed_11(void)
{
	return f_mixed_deep(4);
}

#define OK_ DECODE_OK
#define T_  PKT_TUNNELLED
#define U_  PKT_ENCAP_UNSUPPORTED

static const struct encap_case {
	const char *name;
	uint32_t link;
	struct bytes (*build)(void);
	enum decode_status status;
	int family;	 /* of the inner packet, when OK */
	uint32_t flags;	 /* PKT_TUNNELLED / PKT_ENCAP_UNSUPPORTED expected */
	uint32_t encaps; /* ENCAP_* expected */
	size_t trailer;	 /* bytes after the IP packet (padding, FCS) */
} encap_cases[] = {
	{"cmd", LINK_ETHERNET, f_cmd1, OK_, 4, 0, ENCAP_CISCO_META},
	{"cmd 3 options", LINK_ETHERNET, f_cmd2, OK_, 6, 0, ENCAP_CISCO_META},
	{"cmd then vlan", LINK_ETHERNET, f_cmd_vlan, OK_, 4, 0, ENCAP_CISCO_META | ENCAP_VLAN},
	{"cmd version 2", LINK_ETHERNET, f_cmd_ver2, DECODE_NOT_TCP, 0, U_, 0},
	{"cmd length 0", LINK_ETHERNET, f_cmd_len0, DECODE_MALFORMED, 0, 0, 0},
	{"geneve ethernet", LINK_ETHERNET, f_geneve_eth, OK_, 4, T_, ENCAP_GENEVE},
	{"geneve ipv6", LINK_ETHERNET, f_geneve_ip6, OK_, 6, T_, ENCAP_GENEVE},
	{"geneve option overrun", LINK_ETHERNET, f_geneve_overrun, DECODE_MALFORMED, 0, 0, 0},
	{"geneve version 1", LINK_ETHERNET, f_geneve_v1, DECODE_NOT_TCP, 0, 0, 0},
	{"vxlan-gbp vlan", LINK_ETHERNET, f_vxlan_gbp_vlan, OK_, 4, T_, ENCAP_VXLAN | ENCAP_VLAN},
	{"gpe ipv4", LINK_ETHERNET, f_gpe_ip4, OK_, 4, T_, ENCAP_VXLAN_GPE},
	{"gpe ipv6", LINK_ETHERNET, f_gpe_ip6, OK_, 6, T_, ENCAP_VXLAN_GPE},
	{"gpe ethernet", LINK_ETHERNET, f_gpe_eth, OK_, 4, T_, ENCAP_VXLAN_GPE},
	{"gpe nsh md1", LINK_ETHERNET, f_gpe_nsh, OK_, 4, T_, ENCAP_VXLAN_GPE | ENCAP_NSH},
	{"gpe mpls", LINK_ETHERNET, f_gpe_mpls, OK_, 6, T_, ENCAP_VXLAN_GPE | ENCAP_MPLS},
	{"gpe unknown next", LINK_ETHERNET, f_gpe_unknown, DECODE_NOT_TCP, 0, T_ | U_, ENCAP_VXLAN_GPE},
	{"gpe version 1", LINK_ETHERNET, f_gpe_v1, DECODE_NOT_TCP, 0, 0, 0},
	{"nsh md2", LINK_ETHERNET, f_nsh_md2, OK_, 6, T_, ENCAP_NSH},
	{"nsh in nsh", LINK_ETHERNET, f_nsh_nsh, OK_, 4, T_, ENCAP_NSH},
	{"nsh md1 length 5", LINK_ETHERNET, f_nsh_md1_len5, DECODE_MALFORMED, 0, 0, 0},
	{"nsh md2 overrun", LINK_ETHERNET, f_nsh_tlv_overrun, DECODE_MALFORMED, 0, 0, 0},
	{"nsh md type 15", LINK_ETHERNET, f_nsh_md15, DECODE_NOT_TCP, 0, U_, 0},
	{"gre routing", LINK_ETHERNET, f_gre_routing, OK_, 4, T_, ENCAP_GRE},
	{"gre version 2", LINK_ETHERNET, f_gre_v2, DECODE_NOT_TCP, 0, U_, 0},
	{"gre mpls", LINK_ETHERNET, f_gre_mpls, OK_, 4, T_, ENCAP_GRE | ENCAP_MPLS},
	{"pptp", LINK_ETHERNET, f_pptp, OK_, 4, T_, ENCAP_GRE | ENCAP_PPP},
	{"pptp acfc+pfc", LINK_ETHERNET, f_pptp_compressed, OK_, 4, T_, ENCAP_GRE | ENCAP_PPP},
	{"pptp ipv6", LINK_ETHERNET, f_pptp_v6, OK_, 6, T_, ENCAP_GRE | ENCAP_PPP},
	{"pptp mppe", LINK_ETHERNET, f_pptp_mppe, DECODE_NOT_TCP, 0, T_ | U_, ENCAP_GRE | ENCAP_PPP},
	{"pptp ack only", LINK_ETHERNET, f_pptp_ack_only, DECODE_NOT_TCP, 0, 0, 0},
	{"pptp without key", LINK_ETHERNET, f_pptp_no_key, DECODE_NOT_TCP, 0, U_, 0},
	{"erspan I", LINK_ETHERNET, f_erspan1, OK_, 4, T_, ENCAP_GRE | ENCAP_ERSPAN},
	{"erspan II vlan", LINK_ETHERNET, f_erspan2, OK_, 4, T_, ENCAP_GRE | ENCAP_ERSPAN | ENCAP_VLAN},
	{"erspan III subheader", LINK_ETHERNET, f_erspan3_sub, OK_, 4, T_, ENCAP_GRE | ENCAP_ERSPAN},
	{"erspan III ip", LINK_ETHERNET, f_erspan3_ip, OK_, 6, T_, ENCAP_GRE | ENCAP_ERSPAN},
	{"erspan III ft 3", LINK_ETHERNET, f_erspan3_ft3, DECODE_NOT_TCP, 0, T_ | U_, ENCAP_GRE | ENCAP_ERSPAN},
	{"erspan version 3", LINK_ETHERNET, f_erspan_ver3, DECODE_NOT_TCP, 0, T_ | U_, ENCAP_GRE | ENCAP_ERSPAN},
	{"wccp v2", LINK_ETHERNET, f_wccp2, OK_, 4, T_, ENCAP_GRE},
	{"wccp v1", LINK_ETHERNET, f_wccp1, OK_, 4, T_, ENCAP_GRE},
	{"gre in udp", LINK_ETHERNET, f_gre_udp, OK_, 6, T_, ENCAP_GRE},
	{"mpls 1", LINK_ETHERNET, f_mpls1, OK_, 4, 0, ENCAP_MPLS},
	{"mpls 3 ipv6", LINK_ETHERNET, f_mpls3_v6, OK_, 6, 0, ENCAP_MPLS},
	{"eompls cw", LINK_ETHERNET, f_mpls_cw, OK_, 4, T_, ENCAP_MPLS | ENCAP_MPLS_PW},
	{"eompls no cw", LINK_ETHERNET, f_mpls_nocw, OK_, 4, T_, ENCAP_MPLS | ENCAP_MPLS_PW},
	{"eompls no cw tagged", LINK_ETHERNET, f_mpls_nocw_tagged, OK_, 4, T_, ENCAP_MPLS | ENCAP_MPLS_PW | ENCAP_VLAN},
	{"mpls ach", LINK_ETHERNET, f_mpls_ach, DECODE_NOT_TCP, 0, 0, ENCAP_MPLS},
	{"mpls 9 labels", LINK_ETHERNET, f_mpls_9, DECODE_MALFORMED, 0, 0, ENCAP_MPLS},
	{"mpls unknown payload", LINK_ETHERNET, f_mpls_junk, DECODE_NOT_TCP, 0, U_, ENCAP_MPLS},
	{"mpls short unknown payload", LINK_ETHERNET, f_mpls_short, DECODE_NOT_TCP, 0, U_, ENCAP_MPLS},
	{"ppp ff03", LINK_PPP, f_ppp_hdlc, OK_, 4, 0, ENCAP_PPP},
	{"ppp bare", LINK_PPP, f_ppp_bare, OK_, 4, 0, ENCAP_PPP},
	{"ppp pfc", LINK_PPP, f_ppp_pfc, OK_, 4, 0, ENCAP_PPP},
	{"ppp ipv6", LINK_PPP, f_ppp_v6, OK_, 6, 0, ENCAP_PPP},
	{"ppp mpls", LINK_PPP, f_ppp_mpls, OK_, 4, 0, ENCAP_PPP | ENCAP_MPLS},
	{"ppp lcp", LINK_PPP, f_ppp_lcp, DECODE_NOT_TCP, 0, 0, ENCAP_PPP},
	{"ppp_hdlc", LINK_PPP_HDLC, f_ppp_hdlc, OK_, 4, 0, ENCAP_PPP},
	{"ppp_hdlc cisco", LINK_PPP_HDLC, f_chdlc, OK_, 4, 0, ENCAP_PPP},
	{"ppp_hdlc without ff03", LINK_PPP_HDLC, f_ppp_bare, DECODE_NOT_TCP, 0, 0, ENCAP_PPP},
	{"c_hdlc", LINK_C_HDLC, f_chdlc, OK_, 4, 0, ENCAP_PPP},
	{"c_hdlc ipv6", LINK_C_HDLC, f_chdlc_v6, OK_, 6, 0, ENCAP_PPP},
	{"c_hdlc given ppp", LINK_C_HDLC, f_ppp_hdlc, DECODE_NOT_TCP, 0, 0, ENCAP_PPP},
	{"pppd in", LINK_PPP_PPPD, f_pppd_in, OK_, 4, 0, ENCAP_PPP},
	{"pppd out", LINK_PPP_PPPD, f_pppd_out, OK_, 6, 0, ENCAP_PPP},
	{"pppd given ff03", LINK_PPP_PPPD, f_ppp_hdlc, DECODE_NOT_TCP, 0, 0, ENCAP_PPP},
	{"ppp_ether", LINK_PPP_ETHER, f_ppp_ether, OK_, 4, T_, ENCAP_PPPOE},
	{"pbb", LINK_ETHERNET, f_pbb, OK_, 4, T_, ENCAP_VLAN | ENCAP_PBB},
	{"vntag", LINK_ETHERNET, f_vntag, OK_, 6, 0, ENCAP_VNTAG},
	{"llc snap", LINK_ETHERNET, f_llc_snap, OK_, 4, 0, ENCAP_LLC_SNAP},
	{"llc snap 802.1h padded", LINK_ETHERNET, f_llc_snap_pad, OK_, 6, 0, ENCAP_LLC_SNAP, 7},
	{"llc stp", LINK_ETHERNET, f_llc_stp, DECODE_NOT_TCP, 0, 0, 0},
	{"ethertype 0x05f0", LINK_ETHERNET, f_ether_type_gap, DECODE_NOT_TCP, 0, 0, 0},
	{"4in4", LINK_ETHERNET, f_ipip, OK_, 4, T_, ENCAP_IPIP},
	{"etherip", LINK_ETHERNET, f_etherip, OK_, 6, T_, ENCAP_ETHERIP},
	{"etherip version 1", LINK_ETHERNET, f_etherip_v1, DECODE_NOT_TCP, 0, 0, 0},
	{"mpls in ipv6", LINK_ETHERNET, f_mpls_in_ip, OK_, 4, T_, ENCAP_MPLS},
	{"gtpu extension", LINK_ETHERNET, f_gtpu_ext, OK_, 4, T_, ENCAP_GTPU},
	{"teredo auth origin", LINK_ETHERNET, f_teredo, OK_, 6, T_, ENCAP_TEREDO},
	{"teredo bubble", LINK_ETHERNET, f_teredo_bubble, DECODE_NOT_TCP, 0, 0, 0},
	{"802.11 fromds", LINK_IEEE802_11, f_wlan_fromds, OK_, 4, 0, ENCAP_IEEE80211 | ENCAP_LLC_SNAP},
	{"802.11 qos", LINK_IEEE802_11, f_wlan_qos, OK_, 4, 0, ENCAP_IEEE80211 | ENCAP_LLC_SNAP},
	{"802.11 wds", LINK_IEEE802_11, f_wlan_wds, OK_, 4, 0, ENCAP_IEEE80211 | ENCAP_LLC_SNAP},
	{"802.11 +htc", LINK_IEEE802_11, f_wlan_htc, OK_, 4, 0, ENCAP_IEEE80211 | ENCAP_LLC_SNAP},
	{"802.11 protected", LINK_IEEE802_11, f_wlan_protected, DECODE_NOT_TCP, 0, U_, ENCAP_IEEE80211},
	{"802.11 null data", LINK_IEEE802_11, f_wlan_null, DECODE_NOT_TCP, 0, 0, 0},
	{"802.11 more fragments", LINK_IEEE802_11, f_wlan_morefrag, DECODE_NOT_TCP, 0, 0, ENCAP_IEEE80211},
	{"802.11 fragment 1", LINK_IEEE802_11, f_wlan_fragnum, DECODE_NOT_TCP, 0, 0, ENCAP_IEEE80211},
	{"802.11 beacon", LINK_IEEE802_11, f_wlan_beacon, DECODE_NOT_TCP, 0, 0, 0},
	{"802.11 ack", LINK_IEEE802_11, f_wlan_ack, DECODE_NOT_TCP, 0, 0, 0},
	{"radiotap ack", LINK_IEEE802_11_RADIOTAP, f_radiotap_ack, DECODE_NOT_TCP, 0, 0, 0},
	{"802.11 a-msdu", LINK_IEEE802_11, f_wlan_amsdu, DECODE_NOT_TCP, 0, U_, ENCAP_IEEE80211},
	{"radiotap data pad", LINK_IEEE802_11_RADIOTAP, f_radiotap_pad, OK_, 4, 0, ENCAP_IEEE80211 | ENCAP_LLC_SNAP},
	{"radiotap ext tsft fcs", LINK_IEEE802_11_RADIOTAP, f_radiotap_ext, OK_, 4, 0, ENCAP_IEEE80211 | ENCAP_LLC_SNAP,
	 4},
	{"radiotap version 1", LINK_IEEE802_11_RADIOTAP, f_radiotap_v1, DECODE_MALFORMED, 0, 0, 0},
	{"radiotap length 4", LINK_IEEE802_11_RADIOTAP, f_radiotap_short_len, DECODE_MALFORMED, 0, 0, 0},
	{"radiotap fields past length", LINK_IEEE802_11_RADIOTAP, f_radiotap_fields_past_len, DECODE_MALFORMED, 0, 0,
	 0},
	{"tzsp ethernet", LINK_ETHERNET, f_tzsp_eth, OK_, 4, T_, ENCAP_TZSP},
	{"tzsp 802.11", LINK_ETHERNET, f_tzsp_80211, OK_, 6, T_, ENCAP_TZSP | ENCAP_IEEE80211 | ENCAP_LLC_SNAP},
	{"tzsp keepalive", LINK_ETHERNET, f_tzsp_keepalive, DECODE_NOT_TCP, 0, 0, 0},
	{"tzsp prism", LINK_ETHERNET, f_tzsp_prism, DECODE_NOT_TCP, 0, T_ | U_, ENCAP_TZSP},
	{"tzsp 64 padding tags", LINK_ETHERNET, f_tzsp_pad64, DECODE_MALFORMED, 0, 0, 0},
	{"l2tp length seq offset", LINK_ETHERNET, f_l2tp, OK_, 4, T_, ENCAP_L2TP | ENCAP_PPP},
	{"l2tp plain", LINK_ETHERNET, f_l2tp_plain, OK_, 6, T_, ENCAP_L2TP | ENCAP_PPP},
	{"l2tp control", LINK_ETHERNET, f_l2tp_control, DECODE_NOT_TCP, 0, 0, 0},
	{"l2tpv3", LINK_ETHERNET, f_l2tpv3, DECODE_NOT_TCP, 0, U_, 0},
	{"l2tp length < header", LINK_ETHERNET, f_l2tp_short_len, DECODE_MALFORMED, 0, 0, 0},
	{"capwap 802.3", LINK_ETHERNET, f_capwap_eth, OK_, 4, T_, ENCAP_CAPWAP},
	{"capwap 802.11 swapped", LINK_ETHERNET, f_capwap_80211_swapped, OK_, 4, T_,
	 ENCAP_CAPWAP | ENCAP_IEEE80211 | ENCAP_LLC_SNAP},
	{"capwap 802.11 radio mac", LINK_ETHERNET, f_capwap_80211, OK_, 6, T_,
	 ENCAP_CAPWAP | ENCAP_IEEE80211 | ENCAP_LLC_SNAP},
	{"capwap dtls", LINK_ETHERNET, f_capwap_dtls, DECODE_NOT_TCP, 0, U_, 0},
	{"capwap fragment", LINK_ETHERNET, f_capwap_fragment, DECODE_NOT_TCP, 0, 0, 0},
	{"capwap hlen 1", LINK_ETHERNET, f_capwap_hlen1, DECODE_MALFORMED, 0, 0, 0},
	{"10 cmd tags", LINK_ETHERNET, f_cmd_x10, OK_, 4, 0, ENCAP_CISCO_META},
	{"11 cmd tags", LINK_ETHERNET, f_cmd_x11, DECODE_MALFORMED, 0, 0, ENCAP_CISCO_META},
	{"10 mixed layers", LINK_ETHERNET, f_mixed_10, OK_, 4, T_,
	 ENCAP_VXLAN | ENCAP_GRE | ENCAP_ERSPAN | ENCAP_MPLS | ENCAP_MPLS_PW | ENCAP_CISCO_META | ENCAP_VLAN},
	{"11 mixed layers", LINK_ETHERNET, f_mixed_11, DECODE_MALFORMED, 0, T_,
	 ENCAP_GRE | ENCAP_ERSPAN | ENCAP_MPLS | ENCAP_MPLS_PW | ENCAP_CISCO_META | ENCAP_VLAN},
};

static void test_encapsulations(void)
{
	struct bytes t = tcp_seg();
	V4 = ip4(6, &t, 0x4000);
	V6 = ip6(6, &t);
	E4 = eth(0x0800, &V4);
	E6 = eth(0x86dd, &V6);
	for (size_t i = 0; i < sizeof(encap_cases) / sizeof(encap_cases[0]); i++) {
		const struct encap_case *ec = &encap_cases[i];
		struct bytes f = ec->build();
		int before = failures;
		if (ec->status == DECODE_OK) {
			uint32_t flags = expect_tcp_tail(ec->link, &f, ec->family, ec->trailer, __LINE__);
			CHECK_EQ(flags, ec->flags);
			CHECK_EQ(last_encaps, ec->encaps);
		} else {
			struct pkt p;
			CHECK_EQ(status_of(ec->link, &f, &p), ec->status);
			CHECK_EQ(p.flags & (PKT_TUNNELLED | PKT_ENCAP_UNSUPPORTED), ec->flags);
			CHECK_EQ(p.encaps, ec->encaps);
			sweep(ec->link, &f, __LINE__);
		}
		if (failures != before)
			fprintf(stderr, "  (encapsulation case \"%s\")\n", ec->name);
	}
}

static void test_link_names(void)
{
	static const struct {
		uint32_t link;
		const char *name;
		bool supported;
	} cases[] = {
		{0, "NULL", true},	   {1, "EN10MB", true},
		{101, "RAW", true},	   {108, "LOOP", true},
		{113, "LINUX_SLL", true},  {228, "IPV4", true},
		{229, "IPV6", true},	   {276, "LINUX_SLL2", true},
		{105, "IEEE802_11", true}, {127, "IEEE802_11_RADIO", true},
		{9, "PPP", true},	   {50, "PPP_SERIAL", true},
		{51, "PPP_ETHER", true},   {104, "C_HDLC", true},
		{166, "PPP_PPPD", true},   {119, "PRISM_HEADER", false},
		{189, "USB_LINUX", false}, {65000, NULL, false},
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
	test_encapsulations();
	test_link_names();
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
