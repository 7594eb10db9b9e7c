/* decode.c - one captured frame, link layer to TCP, as a borrowed struct pkt.
 * specification: LINKTYPE_* (tcpdump.org/linktypes.html), IEEE 802.3 / 802.1Q / 802.1ad,
 * RFC 2516 (PPPoE), RFC 3032 (MPLS), RFC 791 (IPv4), RFC 8200 (IPv6), RFC 4302 (AH),
 * RFC 4213 (6in4), RFC 2784 + RFC 2890 (GRE), RFC 7348 (VXLAN), RFC 9293 (TCP).
 *
 * Design note: every layer gets a struct br limited to the bytes that layer may
 * use (an IPv4 packet's reader stops at its total length, so ethernet padding is
 * never taken for TCP payload). Tunnels recurse through decode_ip()/decode_ether()
 * with a depth counter; every loop (VLAN tags, MPLS labels, IPv6 extension headers)
 * has a fixed bound. The decoder never allocates and never writes outside *out.
 */
#include "tlsaudit/decode.h"
#include "tlsaudit/reader.h"

#include <string.h>

#define DECODE_MAX_TUNNEL 4 /* nested 6in4 / GRE / VXLAN / IP-in-IP / PPPoE layers */
#define DECODE_MAX_VLAN	  8 /* stacked 802.1Q / 802.1ad tags */
#define DECODE_MAX_MPLS	  8 /* MPLS label stack entries */
#define DECODE_MAX_EXTHDR 8 /* IPv6 extension headers */

enum {
	ETH_IPV4 = 0x0800,
	ETH_IPV6 = 0x86dd,
	ETH_VLAN = 0x8100,
	ETH_QINQ = 0x88a8,
	ETH_QINQ_OLD = 0x9100,
	ETH_PPPOE_SESSION = 0x8864,
	ETH_MPLS = 0x8847,
	ETH_MPLS_MCAST = 0x8848,
	ETH_TEB = 0x6558, /* GRE transparent ethernet bridging */
};

enum {
	IPPROTO_V_HOPOPTS = 0,
	IPPROTO_V_IPIP = 4,
	IPPROTO_V_TCP = 6,
	IPPROTO_V_UDP = 17,
	IPPROTO_V_IPV6 = 41,
	IPPROTO_V_ROUTING = 43,
	IPPROTO_V_FRAGMENT = 44,
	IPPROTO_V_GRE = 47,
	IPPROTO_V_AH = 51,
	IPPROTO_V_NONE = 59,
	IPPROTO_V_DSTOPTS = 60,
};

#define VXLAN_PORT 4789
#define GTPU_PORT  2152

struct dctx {
	bool frame_cut;	   /* caplen < wire_len: a short IP packet is a snaplen cut, not a lie */
	size_t uncaptured; /* wire_len - caplen */
	unsigned depth;	   /* tunnel nesting so far */
	struct pkt *out;
};

static enum decode_status decode_ether(struct dctx *c, struct br r);
static enum decode_status decode_ip(struct dctx *c, struct br r);
static enum decode_status decode_ip4(struct dctx *c, struct br r);
static enum decode_status decode_ip6(struct dctx *c, struct br r);

/* enter an inner layer: bounded depth, flag the packet as tunnelled */
static bool decode_enter_tunnel(struct dctx *c)
{
	if (c->depth >= DECODE_MAX_TUNNEL)
		return false;
	c->depth++;
	c->out->flags |= PKT_TUNNELLED;
	return true;
}

/* RFC 9293 section 3.1: the TCP header.
 *  0                   1                   2                   3
 *  |          Source Port          |       Destination Port        |
 *  |                        Sequence Number                        |
 *  |                    Acknowledgment Number                      |
 *  |  DOff |  Rsrvd  |C|E|U|A|P|R|S|F|             Window          |
 *  |           Checksum            |         Urgent Pointer        |
 *  |                     [Options]                                 |
 * r holds the captured part of the IP payload, wire_len what the IP header claims. */
static enum decode_status decode_tcp(struct dctx *c, struct br r, size_t wire_len)
{
	struct pkt *out = c->out;
	uint16_t sport = br_u16(&r);
	uint16_t dport = br_u16(&r);
	uint32_t seq = br_u32(&r);
	uint32_t ack = br_u32(&r);
	uint16_t off_flags = br_u16(&r);
	br_skip(&r, 6); /* window, checksum, urgent pointer */
	if (!br_ok(&r))
		return wire_len < 20 ? DECODE_MALFORMED : DECODE_TRUNCATED;

	size_t hdr_len = (size_t)(off_flags >> 12) * 4;
	if (hdr_len < 20 || hdr_len > wire_len)
		return DECODE_MALFORMED;
	br_skip(&r, hdr_len - 20);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;

	out->sport = sport;
	out->dport = dport;
	out->seq = seq;
	out->ack = ack;
	out->tcp_flags = (uint8_t)(off_flags & 0xff);
	out->payload_len = br_left(&r);
	out->payload = br_ptr(&r, out->payload_len);
	out->payload_wire_len = wire_len - hdr_len;
	return DECODE_OK;
}

/* 3GPP TS 29.281 section 5.1 GTP-U header (mobile networks):
 *  | Ver |PT|R|E|S|PN|  Message Type  |            Length             |
 *  |                 Tunnel Endpoint Identifier                       |
 *  | Sequence Number (opt)            | N-PDU (opt)  | Next ext (opt)  |
 * Only version 1 T-PDUs (type 255) carrying IPv4/IPv6 are followed; extension
 * headers are walked by their length (in 4-byte units), at most 8 of them. */
static enum decode_status decode_gtpu(struct dctx *c, struct br r)
{
	uint8_t flags = br_u8(&r), type = br_u8(&r);
	br_skip(&r, 6); /* length, TEID */
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((flags >> 5) != 1 || !(flags & 0x10) || type != 255)
		return DECODE_NOT_TCP;
	if (flags & 0x07) {
		br_skip(&r, 3); /* sequence number, N-PDU number */
		uint8_t next = br_u8(&r);
		for (unsigned i = 0; next != 0 && (flags & 0x04); i++) {
			if (i == 8)
				return DECODE_MALFORMED;
			uint8_t units = br_u8(&r);
			if (units == 0)
				return DECODE_MALFORMED;
			br_skip(&r, (size_t)units * 4 - 2);
			next = br_u8(&r);
		}
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
	}
	if (!decode_enter_tunnel(c))
		return DECODE_MALFORMED;
	return decode_ip(c, r);
}

/* RFC 768 UDP header; GTP-U and VXLAN (RFC 7348 section 5) is followed:
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 * followed by the inner Ethernet frame. */
static enum decode_status decode_udp(struct dctx *c, struct br r)
{
	br_skip(&r, 2); /* source port */
	uint16_t dport = br_u16(&r);
	br_skip(&r, 4); /* length, checksum */
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (dport == GTPU_PORT)
		return decode_gtpu(c, r);
	if (dport != VXLAN_PORT)
		return DECODE_NOT_TCP;
	uint8_t vx_flags = br_u8(&r);
	br_skip(&r, 7);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (!(vx_flags & 0x08))
		return DECODE_NOT_TCP; /* VNI not valid: not VXLAN as we know it */
	if (!decode_enter_tunnel(c))
		return DECODE_MALFORMED;
	return decode_ether(c, r);
}

/* RFC 2784 section 2.1 with the RFC 2890 key and sequence number fields:
 *  |C| |K|S| Reserved0       | Ver |         Protocol Type         |
 *  |      Checksum (optional)      |       Reserved1 (Optional)    |
 *  |                         Key (optional)                        |
 *  |                 Sequence Number (Optional)                    |
 * Version 1 (PPTP) and RFC 1701 routing are not followed. */
static enum decode_status decode_gre(struct dctx *c, struct br r)
{
	uint16_t gflags = br_u16(&r);
	uint16_t proto = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((gflags & 0x7) != 0 || (gflags & 0x4000))
		return DECODE_NOT_TCP;
	if (gflags & 0x8000)
		br_skip(&r, 4);
	if (gflags & 0x2000)
		br_skip(&r, 4);
	if (gflags & 0x1000)
		br_skip(&r, 4);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (proto != ETH_IPV4 && proto != ETH_IPV6 && proto != ETH_TEB)
		return DECODE_NOT_TCP;
	if (!decode_enter_tunnel(c))
		return DECODE_MALFORMED;
	if (proto == ETH_TEB)
		return decode_ether(c, r);
	return proto == ETH_IPV4 ? decode_ip4(c, r) : decode_ip6(c, r);
}

/* the transport (or tunnel) inside an IP packet; r is the captured IP payload */
static enum decode_status decode_l4(struct dctx *c, uint8_t proto, struct br r, size_t wire_len)
{
	switch (proto) {
	case IPPROTO_V_TCP: return decode_tcp(c, r, wire_len);
	case IPPROTO_V_IPV6:
		if (!decode_enter_tunnel(c))
			return DECODE_MALFORMED;
		return decode_ip6(c, r);
	case IPPROTO_V_IPIP:
		if (!decode_enter_tunnel(c))
			return DECODE_MALFORMED;
		return decode_ip4(c, r);
	case IPPROTO_V_GRE: return decode_gre(c, r);
	case IPPROTO_V_UDP: return decode_udp(c, r);
	default: return DECODE_NOT_TCP;
	}
}

/* Limit r to the IP packet's claimed length. Captured bytes beyond it are link
 * padding and are dropped; fewer captured bytes is a snaplen cut when the frame was
 * longer on the wire, else the packet is truncated. Returns DECODE_OK or a status. */
static enum decode_status decode_ip_limit(struct dctx *c, struct br *r, size_t claimed)
{
	size_t left = br_left(r);
	if (left > claimed) {
		*r = br_make(r->base + r->off, claimed);
		return DECODE_OK;
	}
	if (left < claimed) {
		if (!c->frame_cut)
			return DECODE_TRUNCATED;
		c->out->flags |= PKT_SNAPLEN_CUT;
	}
	*r = br_make(r->base + r->off, left);
	return DECODE_OK;
}

static void decode_set_addrs(struct pkt *out, uint8_t family, const uint8_t *src, const uint8_t *dst, size_t alen)
{
	out->family = family;
	memset(out->src, 0, sizeof(out->src));
	memset(out->dst, 0, sizeof(out->dst));
	memcpy(out->src, src, alen);
	memcpy(out->dst, dst, alen);
}

/* ports of a first fragment, when they were captured */
static void decode_fragment_ports(struct pkt *out, uint8_t proto, struct br r)
{
	if (proto != IPPROTO_V_TCP)
		return;
	uint16_t sport = br_u16(&r);
	uint16_t dport = br_u16(&r);
	if (br_ok(&r)) {
		out->sport = sport;
		out->dport = dport;
	}
}

/* RFC 791 section 3.1:
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  |         Identification        |Flags|      Fragment Offset    |
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  |                       Source Address                          |
 *  |                    Destination Address                        |
 *  |                    Options                    |    Padding    | */
static enum decode_status decode_ip4(struct dctx *c, struct br r)
{
	struct pkt *out = c->out;
	const uint8_t *l3 = r.err ? NULL : r.base + r.off;
	uint8_t ver_ihl = br_u8(&r);
	br_skip(&r, 1);
	uint16_t total = br_u16(&r);
	br_skip(&r, 2);
	uint16_t frag = br_u16(&r);
	br_skip(&r, 1);
	uint8_t proto = br_u8(&r);
	br_skip(&r, 2);
	const uint8_t *src = br_ptr(&r, 4);
	const uint8_t *dst = br_ptr(&r, 4);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((ver_ihl >> 4) != 4)
		return DECODE_MALFORMED;
	size_t ihl = (size_t)(ver_ihl & 0x0f) * 4;
	if (ihl < 20)
		return DECODE_MALFORMED;
	br_skip(&r, ihl - 20);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	/* Total Length 0: the sending host captured before TCP segmentation offload filled
	 * it in (Wireshark's "TSO" case); the packet runs to the end of the frame */
	size_t claimed = total;
	if (total == 0)
		claimed = ihl + br_left(&r) + c->uncaptured;
	if (claimed < ihl)
		return DECODE_MALFORMED;

	enum decode_status st = decode_ip_limit(c, &r, claimed - ihl);
	if (st != DECODE_OK)
		return st;

	decode_set_addrs(out, 4, src, dst, 4);
	out->l3 = l3;
	out->l3_len = ihl + br_left(&r);

	if ((frag & 0x2000) || (frag & 0x1fff)) {
		out->flags |= PKT_IPV4_FRAGMENT;
		if ((frag & 0x1fff) == 0)
			decode_fragment_ports(out, proto, r);
		return DECODE_FRAGMENT;
	}
	return decode_l4(c, proto, r, claimed - ihl);
}

/* RFC 8200 section 3:
 *  |Version| Traffic Class |           Flow Label                  |
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  |                  Source Address (128 bits)                    |
 *  |               Destination Address (128 bits)                  |
 * then the extension header chain of section 4. */
static enum decode_status decode_ip6(struct dctx *c, struct br r)
{
	struct pkt *out = c->out;
	const uint8_t *l3 = r.err ? NULL : r.base + r.off;
	uint8_t ver = br_u8(&r);
	br_skip(&r, 3);
	uint16_t plen = br_u16(&r);
	uint8_t next = br_u8(&r);
	br_skip(&r, 1);
	const uint8_t *src = br_ptr(&r, 16);
	const uint8_t *dst = br_ptr(&r, 16);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((ver >> 4) != 6)
		return DECODE_MALFORMED;
	if (plen == 0)
		return DECODE_MALFORMED; /* jumbogram (RFC 2675) or TSO: not decoded */

	enum decode_status st = decode_ip_limit(c, &r, plen);
	if (st != DECODE_OK)
		return st;

	decode_set_addrs(out, 6, src, dst, 16);
	out->l3 = l3;
	out->l3_len = 40 + br_left(&r);

	size_t wire = plen; /* payload bytes the header claims, after the headers seen so far */
	for (unsigned n = 0;; n++) {
		size_t hlen;
		uint8_t nh;
		switch (next) {
		case IPPROTO_V_HOPOPTS:
		case IPPROTO_V_ROUTING:
		case IPPROTO_V_DSTOPTS:
		case IPPROTO_V_AH:
			/* RFC 8200 4.3: Next Header, Hdr Ext Len in 8-octet units not counting
			 * the first 8; RFC 4302 2.2: AH Payload Len in 4-octet units minus 2 */
			nh = br_peek(&r, 0);
			hlen = br_peek(&r, 1);
			if (br_left(&r) < 2)
				return wire < 2 ? DECODE_MALFORMED : DECODE_TRUNCATED;
			hlen = next == IPPROTO_V_AH ? (hlen + 2) * 4 : (hlen + 1) * 8;
			break;
		case IPPROTO_V_FRAGMENT: {
			/* RFC 8200 4.5:
			 *  |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
			 *  |                         Identification                        | */
			struct br f = r;
			nh = br_u8(&f);
			br_skip(&f, 1);
			uint16_t offm = br_u16(&f);
			br_skip(&f, 4);
			if (!br_ok(&f))
				return wire < 8 ? DECODE_MALFORMED : DECODE_TRUNCATED;
			hlen = 8;
			if ((offm >> 3) != 0 || (offm & 1)) {
				out->flags |= PKT_IPV4_FRAGMENT;
				if ((offm >> 3) == 0)
					decode_fragment_ports(out, nh, f);
				return DECODE_FRAGMENT;
			}
			break; /* atomic fragment: the payload is whole */
		}
		case IPPROTO_V_NONE: return DECODE_NOT_TCP;
		default: return decode_l4(c, next, r, wire);
		}
		if (n >= DECODE_MAX_EXTHDR)
			return DECODE_MALFORMED;
		if (hlen > wire)
			return DECODE_MALFORMED;
		br_skip(&r, hlen);
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		wire -= hlen;
		next = nh;
	}
}

/* IP of either version, chosen by the version nibble */
static enum decode_status decode_ip(struct dctx *c, struct br r)
{
	if (br_empty(&r))
		return DECODE_TRUNCATED;
	switch (br_peek(&r, 0) >> 4) {
	case 4: return decode_ip4(c, r);
	case 6: return decode_ip6(c, r);
	default: return DECODE_NOT_TCP;
	}
}

/* RFC 2516 section 4 (session stage) then the PPP protocol field (RFC 1661 2):
 *  | VER | TYPE  |      CODE     |          SESSION_ID           |
 *  |            LENGTH           |           payload             | */
static enum decode_status decode_pppoe(struct dctx *c, struct br r)
{
	uint8_t ver_type = br_u8(&r);
	uint8_t code = br_u8(&r);
	br_skip(&r, 2);
	uint16_t len = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (ver_type != 0x11 || code != 0)
		return DECODE_NOT_TCP;
	if (len < br_left(&r))
		r = br_make(r.base + r.off, len); /* drop ethernet padding */
	/* PPP protocol field compression (RFC 1661 6.5): an odd first byte is a 1-byte field */
	uint16_t proto = (br_peek(&r, 0) & 1) ? br_u8(&r) : br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (proto != 0x0021 && proto != 0x0057)
		return DECODE_NOT_TCP;
	if (!decode_enter_tunnel(c))
		return DECODE_MALFORMED;
	return proto == 0x0021 ? decode_ip4(c, r) : decode_ip6(c, r);
}

/* RFC 3032 section 2.1 label stack entry:
 *  |                Label                  | Exp |S|       TTL     |
 * after the bottom entry (S set) the payload is IP, told by its version nibble */
static enum decode_status decode_mpls(struct dctx *c, struct br r)
{
	for (unsigned n = 0;; n++) {
		if (n >= DECODE_MAX_MPLS)
			return DECODE_MALFORMED;
		uint32_t lse = br_u32(&r);
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		if (lse & 0x100)
			break;
	}
	return decode_ip(c, r);
}

/* payload of an Ethernet / SLL frame by ethertype, after any VLAN tags (IEEE 802.1Q 9.6):
 *  |      TPID (0x8100/0x88a8)     | PCP |D|        VID            | */
static enum decode_status decode_ethertype(struct dctx *c, uint16_t type, struct br r)
{
	for (unsigned n = 0; type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD; n++) {
		if (n >= DECODE_MAX_VLAN)
			return DECODE_MALFORMED;
		br_skip(&r, 2);
		type = br_u16(&r);
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
	}
	switch (type) {
	case ETH_IPV4: return decode_ip4(c, r);
	case ETH_IPV6: return decode_ip6(c, r);
	case ETH_PPPOE_SESSION: return decode_pppoe(c, r);
	case ETH_MPLS:
	case ETH_MPLS_MCAST: return decode_mpls(c, r);
	default: return DECODE_NOT_TCP;
	}
}

/* IEEE 802.3 frame: destination MAC, source MAC, ethertype (no FCS in captures) */
static enum decode_status decode_ether(struct dctx *c, struct br r)
{
	br_skip(&r, 12);
	uint16_t type = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	return decode_ethertype(c, type, r);
}

/* LINKTYPE_NULL / LINKTYPE_LOOP: 4-byte address family. NULL is in the capturing host's
 * byte order, which the file does not record, so both orders are accepted. IPv6 is
 * AF_INET6 of OpenBSD/NetBSD (24), FreeBSD (28) or Darwin (30). */
static enum decode_status decode_null(struct dctx *c, struct br r, bool any_order)
{
	uint32_t af = br_u32(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (any_order && (af & 0xffff) == 0)
		af = ((af >> 24) & 0xff) | ((af >> 8) & 0xff00); /* little-endian writer */
	switch (af) {
	case 2: return decode_ip4(c, r);
	case 24:
	case 28:
	case 30: return decode_ip6(c, r);
	default: return DECODE_NOT_TCP;
	}
}

/* LINKTYPE_LINUX_SLL: packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2) */
static enum decode_status decode_sll(struct dctx *c, struct br r)
{
	br_skip(&r, 14);
	uint16_t proto = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	return decode_ethertype(c, proto, r);
}

/* LINKTYPE_LINUX_SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) pkttype(1) addr len(1) addr(8) */
static enum decode_status decode_sll2(struct dctx *c, struct br r)
{
	uint16_t proto = br_u16(&r);
	br_skip(&r, 18);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	return decode_ethertype(c, proto, r);
}

enum decode_status decode_packet(uint32_t linktype, const uint8_t *data, size_t caplen, size_t wire_len, int64_t ts_ns,
				 struct pkt *out)
{
	memset(out, 0, sizeof(*out));
	out->ts_ns = ts_ns;
	struct dctx c = {.frame_cut = wire_len > caplen,
			 .uncaptured = wire_len > caplen ? wire_len - caplen : 0,
			 .depth = 0,
			 .out = out};
	static const uint8_t none[1];
	struct br r = data ? br_make(data, caplen) : br_make(none, 0);

	switch (linktype) {
	case LINK_NULL: return decode_null(&c, r, true);
	case LINK_LOOP: return decode_null(&c, r, false);
	case LINK_ETHERNET: return decode_ether(&c, r);
	case LINK_RAW: return decode_ip(&c, r);
	case LINK_IPV4: return decode_ip4(&c, r);
	case LINK_IPV6: return decode_ip6(&c, r);
	case LINK_LINUX_SLL: return decode_sll(&c, r);
	case LINK_LINUX_SLL2: return decode_sll2(&c, r);
	default: return DECODE_UNSUPPORTED_LINK;
	}
}

bool decode_link_supported(uint32_t linktype)
{
	switch (linktype) {
	case LINK_NULL:
	case LINK_ETHERNET:
	case LINK_RAW:
	case LINK_LOOP:
	case LINK_LINUX_SLL:
	case LINK_IPV4:
	case LINK_IPV6:
	case LINK_LINUX_SLL2: return true;
	default: return false;
	}
}

/* names as libpcap 1.10's pcap_datalink_val_to_name() spells them, by LINKTYPE_ value
 * (checked against libpcap for every entry; the common types only) */
static const struct {
	uint32_t linktype;
	const char *name;
} decode_link_names[] = {
	{0, "NULL"},
	{1, "EN10MB"},
	{6, "IEEE802"},
	{7, "ARCNET"},
	{8, "SLIP"},
	{9, "PPP"},
	{10, "FDDI"},
	{50, "PPP_SERIAL"},
	{51, "PPP_ETHER"},
	{100, "ATM_RFC1483"},
	{101, "RAW"},
	{104, "C_HDLC"},
	{105, "IEEE802_11"},
	{107, "FRELAY"},
	{108, "LOOP"},
	{113, "LINUX_SLL"},
	{114, "LTALK"},
	{117, "PFLOG"},
	{119, "PRISM_HEADER"},
	{122, "IP_OVER_FC"},
	{123, "SUNATM"},
	{127, "IEEE802_11_RADIO"},
	{129, "ARCNET_LINUX"},
	{138, "APPLE_IP_OVER_IEEE1394"},
	{143, "DOCSIS"},
	{144, "LINUX_IRDA"},
	{163, "IEEE802_11_RADIO_AVS"},
	{166, "PPP_PPPD"},
	{187, "BLUETOOTH_HCI_H4"},
	{189, "USB_LINUX"},
	{192, "PPI"},
	{195, "IEEE802_15_4"},
	{197, "ERF"},
	{201, "BLUETOOTH_HCI_H4_WITH_PHDR"},
	{220, "USB_LINUX_MMAPPED"},
	{226, "IPNET"},
	{227, "CAN_SOCKETCAN"},
	{228, "IPV4"},
	{229, "IPV6"},
	{230, "IEEE802_15_4_NOFCS"},
	{231, "DBUS"},
	{239, "NFLOG"},
	{240, "NETANALYZER"},
	{241, "NETANALYZER_TRANSPARENT"},
	{242, "IPOIB"},
	{249, "USBPCAP"},
	{251, "BLUETOOTH_LE_LL"},
	{253, "NETLINK"},
	{254, "BLUETOOTH_LINUX_MONITOR"},
	{256, "BLUETOOTH_LE_LL_WITH_PHDR"},
	{258, "PKTAP"},
	{263, "WATTSTOPPER_DLM"},
	{266, "USB_DARWIN"},
	{271, "VSOCK"},
	{272, "NORDIC_BLE"},
	{274, "ETHERNET_MPACKET"},
	{276, "LINUX_SLL2"},
};

const char *decode_link_name(uint32_t linktype)
{
	for (size_t i = 0; i < sizeof(decode_link_names) / sizeof(decode_link_names[0]); i++)
		if (decode_link_names[i].linktype == linktype)
			return decode_link_names[i].name;
	return NULL;
}
