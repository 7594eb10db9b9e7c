/* decode.c - one captured frame, link layer to TCP, as a borrowed struct pkt.
 * specification: LINKTYPE_* (tcpdump.org/linktypes.html), IEEE 802.3 / 802.1Q / 802.1ad / 802.1ah,
 * IEEE 802.11-2020 9.2 (data frames), IEEE 802.2 + RFC 1042 (LLC/SNAP), radiotap.org,
 * RFC 1661 + RFC 1662 (PPP), RFC 1547 4.3.1 (Cisco HDLC), RFC 2516 (PPPoE), RFC 3032 (MPLS),
 * RFC 4385 + RFC 4448 (Ethernet pseudowire control word), RFC 791 (IPv4), RFC 8200 (IPv6),
 * RFC 4302 (AH), RFC 2003 / RFC 2473 / RFC 4213 (IP in IP), RFC 3378 (EtherIP), RFC 4023 (MPLS in IP),
 * RFC 2784 + RFC 2890 + RFC 1701 (GRE), RFC 2637 4.1 (PPTP enhanced GRE), RFC 8086 (GRE in UDP),
 * draft-foschiano-erspan-03 (ERSPAN I/II/III), RFC 7348 (VXLAN), draft-smith-vxlan-group-policy
 * (VXLAN-GBP), draft-ietf-nvo3-vxlan-gpe-12 (VXLAN-GPE), RFC 8926 (Geneve), RFC 8300 (NSH),
 * 3GPP TS 29.281 (GTP-U), RFC 4380 (Teredo), RFC 2661 (L2TPv2), RFC 5415 + RFC 5416 (CAPWAP),
 * TZSP (Wireshark packet-tzsp.c), Cisco MetaData (Snort cisco_meta codec), Cisco VN-Tag,
 * WCCPv2 GRE redirection (draft-param-wccp-v2rev1 4.12), RFC 9293 (TCP).
 *
 * Design note: every layer gets a struct br limited to the bytes that layer may
 * use (an IPv4 packet's reader stops at its total length, so ethernet padding is
 * never taken for TCP payload). Encapsulations recurse through decode_ethertype(),
 * decode_ether() and decode_ip*(); every header that can lead back into them passes
 * decode_enter(), which counts the layer against DECODE_MAX_TUNNEL (whatever its
 * kind: a VLAN tag stack, an MPLS label stack, a Cisco MetaData tag and a VXLAN
 * header each count one), records its kind in pkt.encaps and, for a tunnel, sets
 * PKT_TUNNELLED. Every loop (VLAN tags, MPLS labels, IPv6 extension headers, option
 * lists) has a fixed bound. The decoder never allocates and never writes outside *out.
 */
#include "tlsaudit/decode.h"
#include "tlsaudit/reader.h"

#include <string.h>

#define DECODE_MAX_TUNNEL  10 /* nested encapsulation layers of any kind */
#define DECODE_MAX_VLAN	   8  /* stacked 802.1Q / 802.1ad tags */
#define DECODE_MAX_MPLS	   8  /* MPLS label stack entries */
#define DECODE_MAX_EXTHDR  8  /* IPv6 extension headers */
#define DECODE_MAX_OPTIONS 64 /* Geneve options, NSH context headers, TZSP tags, GRE SREs, GTP-U extensions */

enum {
	ETH_IPV4 = 0x0800,
	ETH_IPV6 = 0x86dd,
	ETH_VLAN = 0x8100,
	ETH_QINQ = 0x88a8,
	ETH_QINQ_OLD = 0x9100,
	ETH_PPPOE_SESSION = 0x8864,
	ETH_MPLS = 0x8847,
	ETH_MPLS_MCAST = 0x8848,
	ETH_TEB = 0x6558,	 /* transparent ethernet bridging (GRE, Geneve) */
	ETH_ERSPAN = 0x88be,	 /* GRE: ERSPAN type I and II */
	ETH_ERSPAN3 = 0x22eb,	 /* GRE: ERSPAN type III */
	ETH_PPP = 0x880b,	 /* GRE version 1: PPP */
	ETH_WCCP = 0x883e,	 /* GRE: WCCP redirection */
	ETH_CISCO_META = 0x8909, /* Cisco MetaData (SGT) */
	ETH_PBB = 0x88e7,	 /* 802.1ah I-TAG */
	ETH_NSH = 0x894f,	 /* Network Service Header */
	ETH_VNTAG = 0x8926,	 /* Cisco VN-Tag */
	ETH_MAX_LENGTH = 1500,	 /* EtherType values up to this are 802.3 lengths */
	ETH_MIN_TYPE = 0x0600,	 /* and from this on EtherTypes */
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
	IPPROTO_V_ETHERIP = 97,
	IPPROTO_V_MPLS = 137,
};

enum {
	UDP_L2TP = 1701,
	UDP_GTPU = 2152,
	UDP_TEREDO = 3544,
	UDP_GRE = 4754,
	UDP_VXLAN = 4789,
	UDP_VXLAN_GPE = 4790,
	UDP_CAPWAP_DATA = 5247,
	UDP_GENEVE = 6081,
	UDP_TZSP = 37008,
};

enum {
	PPP_IPV4 = 0x0021,
	PPP_IPV6 = 0x0057,
	PPP_MPLS = 0x0281,
	PPP_MPLS_MCAST = 0x0283,
	PPP_COMPRESSED = 0x00fd, /* CCP / MPPE: compressed or encrypted datagram */
};

struct dctx {
	bool frame_cut;	   /* caplen < wire_len: a short IP packet is a snaplen cut, not a lie */
	size_t uncaptured; /* wire_len - caplen */
	unsigned depth;	   /* encapsulation layers so far */
	struct pkt *out;
};

static enum decode_status decode_ether(struct dctx *c, struct br r);
static enum decode_status decode_ethertype(struct dctx *c, uint16_t type, struct br r);
static enum decode_status decode_ip(struct dctx *c, struct br r);
static enum decode_status decode_ip4(struct dctx *c, struct br r);
static enum decode_status decode_ip6(struct dctx *c, struct br r);
static enum decode_status decode_mpls(struct dctx *c, struct br r);
static enum decode_status decode_nsh(struct dctx *c, struct br r);
static enum decode_status decode_gre(struct dctx *c, struct br r);
static enum decode_status decode_80211(struct dctx *c, struct br r, bool fc_maybe_swapped, bool data_pad);

/* enter one encapsulation layer of kind encap (ENCAP_* bit): bounded depth; a tunnel
 * (a new packet or frame inside) also flags the packet PKT_TUNNELLED. false: too deep. */
static bool decode_enter(struct dctx *c, uint32_t encap, bool tunnel)
{
	if (c->depth >= DECODE_MAX_TUNNEL)
		return false;
	c->depth++;
	c->out->encaps |= encap;
	if (tunnel)
		c->out->flags |= PKT_TUNNELLED;
	return true;
}

/* a recognised encapsulation whose payload we do not follow */
static enum decode_status decode_unsupported(struct dctx *c)
{
	c->out->flags |= PKT_ENCAP_UNSUPPORTED;
	return DECODE_NOT_TCP;
}

/* a reader over the next bytes of r (which must be error-free), at most n of them: drops
 * trailing padding; offsets in the result count from its start */
static struct br decode_trim(struct br r, size_t n)
{
	size_t left = br_left(&r);
	return br_make(r.base + r.off, n < left ? n : left);
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
	/* the fixed header as a reader of its own: once it is known to be there, its reads need no checks */
	struct br h = br_sub(&r, 20);
	if (!br_ok(&h))
		return wire_len < 20 ? DECODE_MALFORMED : DECODE_TRUNCATED;
	uint16_t sport = br_u16(&h);
	uint16_t dport = br_u16(&h);
	uint32_t seq = br_u32(&h);
	uint32_t ack = br_u32(&h);
	uint16_t off_flags = br_u16(&h);
	br_skip(&h, 2); /* window */
	uint16_t csum = br_u16(&h);

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
	out->tcp_csum = csum;
	out->payload_len = br_left(&r);
	out->payload = br_ptr(&r, out->payload_len);
	out->payload_wire_len = wire_len - hdr_len;
	return DECODE_OK;
}

/* ---- PPP, PPPoE, L2TP ---------------------------------------------------- */

/* RFC 1661 section 2: the PPP protocol field, then the datagram. With protocol field
 * compression (section 6.5) an odd first byte is a 1-byte field. */
static enum decode_status decode_ppp_proto(struct dctx *c, struct br r)
{
	uint16_t proto = (br_peek(&r, 0) & 1) ? br_u8(&r) : br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	switch (proto) {
	case PPP_IPV4: return decode_ip4(c, r);
	case PPP_IPV6: return decode_ip6(c, r);
	case PPP_MPLS:
	case PPP_MPLS_MCAST: return decode_mpls(c, r);
	case PPP_COMPRESSED: return decode_unsupported(c);
	default: return DECODE_NOT_TCP; /* LCP, IPCP, CHAP...: control traffic */
	}
}

/* RFC 1662 section 3.1 HDLC-like framing, as PPTP and L2TP carry it:
 *  | Address 0xff | Control 0x03 | Protocol | Information |   (no flags, no FCS)
 * address and control may be left out (RFC 1661 section 6.6, ACFC). */
static enum decode_status decode_ppp_frame(struct dctx *c, struct br r)
{
	if (!decode_enter(c, ENCAP_PPP, false))
		return DECODE_MALFORMED;
	if (br_peek(&r, 0) == 0xff && br_peek(&r, 1) == 0x03)
		br_skip(&r, 2);
	return decode_ppp_proto(c, r);
}

/* PPP link types. LINKTYPE_PPP: HDLC-like framing or none; LINKTYPE_PPP_HDLC: 0xff 0x03, or Cisco
 * HDLC; LINKTYPE_PPP_PPPD: a direction byte (0 in, 1 out) in place of 0xff; LINKTYPE_C_HDLC:
 * Cisco HDLC only. Cisco HDLC (RFC 1547 section 4.3.1):
 *  | Address 0x0f (unicast) / 0x8f (broadcast) | Control 0x00 | Protocol = EtherType (16) | */
static enum decode_status decode_ppp_link(struct dctx *c, struct br r, uint32_t link)
{
	uint8_t addr = br_peek(&r, 0), ctl = br_peek(&r, 1);
	if (br_left(&r) < 2)
		return DECODE_TRUNCATED;
	if (!decode_enter(c, ENCAP_PPP, false))
		return DECODE_MALFORMED;
	if ((link == LINK_C_HDLC || link == LINK_PPP_HDLC) && (addr == 0x0f || addr == 0x8f) && ctl == 0x00) {
		br_skip(&r, 2);
		uint16_t type = br_u16(&r);
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		return decode_ethertype(c, type, r);
	}
	switch (link) {
	case LINK_PPP:
		if (addr == 0xff && ctl == 0x03)
			br_skip(&r, 2);
		break;
	case LINK_PPP_HDLC:
		if (addr != 0xff || ctl != 0x03)
			return DECODE_NOT_TCP;
		br_skip(&r, 2);
		break;
	case LINK_PPP_PPPD:
		if ((addr != 0x00 && addr != 0x01) || ctl != 0x03)
			return DECODE_NOT_TCP;
		br_skip(&r, 2);
		break;
	default: return DECODE_NOT_TCP; /* C_HDLC without the Cisco address */
	}
	return decode_ppp_proto(c, r);
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
	r = decode_trim(r, len); /* drop ethernet padding */
	if (!decode_enter(c, ENCAP_PPPOE, true))
		return DECODE_MALFORMED;
	return decode_ppp_proto(c, r);
}

/* RFC 2661 section 3.1, L2TPv2 (UDP 1701):
 *  |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
 *  |           Tunnel ID           |           Session ID          |
 *  |             Ns (opt)          |             Nr (opt)          |
 *  |      Offset Size (opt)        |    Offset pad... (opt)
 * data messages (T clear) carry a PPP frame. Control messages and L2TPv3 (whose cookie
 * length is configured, not on the wire) are not followed. */
static enum decode_status decode_l2tp(struct dctx *c, struct br r)
{
	size_t start = r.off;
	uint16_t flags = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((flags & 0x000f) == 3)
		return decode_unsupported(c);
	if ((flags & 0x000f) != 2 || (flags & 0x8000))
		return DECODE_NOT_TCP;
	size_t len = (flags & 0x4000) ? br_u16(&r) : 0;
	br_skip(&r, 4); /* tunnel id, session id */
	if (flags & 0x0800)
		br_skip(&r, 4); /* Ns, Nr */
	if (flags & 0x0200)
		br_skip(&r, br_u16(&r)); /* offset size, offset pad */
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (flags & 0x4000) {
		size_t hdr = r.off - start;
		if (len < hdr)
			return DECODE_MALFORMED;
		r = decode_trim(r, len - hdr);
	}
	if (!decode_enter(c, ENCAP_L2TP, true))
		return DECODE_MALFORMED;
	return decode_ppp_frame(c, r);
}

/* ---- 802.11, LLC/SNAP, radiotap ------------------------------------------- */

/* IEEE 802.2 LLC with a SNAP header (RFC 1042; OUI 00-00-f8 is 802.1H bridge tunnel):
 *  | DSAP 0xaa | SSAP 0xaa | Control 0x03 | OUI (24) | Protocol ID = EtherType (16) | */
static enum decode_status decode_llc(struct dctx *c, struct br r)
{
	uint8_t dsap = br_u8(&r), ssap = br_u8(&r), ctl = br_u8(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (dsap != 0xaa || ssap != 0xaa || ctl != 0x03)
		return DECODE_NOT_TCP; /* STP, NetBIOS, ...: not SNAP */
	uint32_t oui = br_u24(&r);
	uint16_t type = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (oui != 0x000000 && oui != 0x0000f8)
		return DECODE_NOT_TCP; /* vendor protocol ids (CDP, ...) */
	if (!decode_enter(c, ENCAP_LLC_SNAP, false))
		return DECODE_MALFORMED;
	return decode_ethertype(c, type, r);
}

/* IEEE 802.11-2020 section 9.2 MAC frame, data frames only:
 *  | Frame Control | Duration | Address 1 | Address 2 | Address 3 | Sequence Control |
 *  | Address 4 (ToDS and FromDS) | QoS Control (QoS subtypes) | HT Control (QoS and +HTC) | body
 * Frame Control (little-endian): byte 0 protocol version (bits 0-1), type (2-3, 2 = data),
 * subtype (4-7: bit 6 "no data", bit 7 QoS); byte 1 flags ToDS 0x01, FromDS 0x02, More
 * Fragments 0x04, Protected 0x40, +HTC 0x80. The body is LLC/SNAP. Cisco controllers send
 * Frame Control byte-swapped inside CAPWAP (fc_maybe_swapped: taken as swapped when only the
 * swapped order reads as a version-0 data frame). data_pad: radiotap says the header is padded
 * to a multiple of 4 bytes. Protected frames are encrypted and A-MSDUs are not unpacked. */
static enum decode_status decode_80211(struct dctx *c, struct br r, bool fc_maybe_swapped, bool data_pad)
{
	size_t start = r.off;
	uint8_t fc0 = br_u8(&r), fc1 = br_u8(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (fc_maybe_swapped && (fc0 & 0x0f) != 0x08 && (fc1 & 0x0f) == 0x08) {
		uint8_t t = fc0;
		fc0 = fc1;
		fc1 = t;
	}
	if ((fc0 & 0x0f) != 0x08 || (fc0 & 0x40))
		return DECODE_NOT_TCP; /* management, control (10-byte ACKs...), version != 0, or no data */
	br_skip(&r, 2 + 18);	       /* duration, three addresses */
	uint16_t seq_ctl = br_le16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (!decode_enter(c, ENCAP_IEEE80211, false))
		return DECODE_MALFORMED;
	if (fc1 & 0x40)
		return decode_unsupported(c); /* protected: encrypted body */
	if ((fc1 & 0x04) || (seq_ctl & 0x000f))
		return DECODE_NOT_TCP; /* 802.11 fragment: not reassembled */
	if ((fc1 & 0x03) == 0x03)
		br_skip(&r, 6); /* Address 4 (WDS / mesh) */
	if (fc0 & 0x80) {
		uint16_t qos = br_le16(&r);
		if (fc1 & 0x80)
			br_skip(&r, 4); /* HT Control */
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		if (qos & 0x0080)
			return decode_unsupported(c); /* A-MSDU */
	}
	if (data_pad)
		br_skip(&r, (4 - (r.off - start) % 4) % 4);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	return decode_llc(c, r);
}

/* radiotap header (radiotap.org), little-endian:
 *  | it_version 0 | it_pad | it_len (16) | it_present (32) [more while bit 31] | fields ...
 * Only the Flags field (present bit 1, after TSFT = bit 0, 8 bytes aligned to 8) is read:
 * 0x20 = the 802.11 header is padded to 32 bits. An FCS (0x10) is cut off by the IP length. */
static enum decode_status decode_radiotap(struct dctx *c, struct br r)
{
	struct br h = r;
	uint8_t ver = br_u8(&h);
	br_skip(&h, 1);
	uint16_t len = br_le16(&h);
	uint32_t present = br_le32(&h);
	if (!br_ok(&h))
		return DECODE_TRUNCATED;
	if (ver != 0 || len < 8)
		return DECODE_MALFORMED;
	h = decode_trim(r, len); /* the radiotap header alone: alignment counts from its start */
	br_skip(&r, len);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	br_skip(&h, 8);
	for (uint32_t more = present, n = 0; more & 0x80000000u; n++) {
		if (n >= 8)
			return DECODE_MALFORMED;
		more = br_le32(&h); /* extended presence bitmaps */
	}
	bool pad = false;
	if (present & 0x2) {
		if (present & 0x1)
			br_skip(&h, (8 - h.off % 8) % 8 + 8); /* TSFT, aligned to 8 */
		pad = (br_u8(&h) & 0x20) != 0;
	}
	if (!br_ok(&h))
		return DECODE_MALFORMED; /* fields run past it_len */
	return decode_80211(c, r, false, pad);
}

/* ---- UDP tunnels ------------------------------------------------------------ */

/* 3GPP TS 29.281 section 5.1 GTP-U header (mobile networks):
 *  | Ver |PT|R|E|S|PN|  Message Type  |            Length             |
 *  |                 Tunnel Endpoint Identifier                       |
 *  | Sequence Number (opt)            | N-PDU (opt)  | Next ext (opt)  |
 * Only version 1 T-PDUs (type 255) carrying IPv4/IPv6 are followed; extension
 * headers are walked by their length (in 4-byte units), at most 8 of them. */
static enum decode_status decode_gtpu(struct dctx *c, struct br r)
{
	uint8_t flags = br_u8(&r), type = br_u8(&r);
	uint16_t len = br_u16(&r);
	br_skip(&r, 4); /* TEID */
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((flags >> 5) != 1 || !(flags & 0x10) || type != 255)
		return DECODE_NOT_TCP;
	r = decode_trim(r, len); /* Length counts the bytes after the mandatory 8 */
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
	if (!decode_enter(c, ENCAP_GTPU, true))
		return DECODE_MALFORMED;
	return decode_ip(c, r);
}

/* RFC 7348 section 5 VXLAN, with the group policy of draft-smith-vxlan-group-policy
 * (G bit, Group Policy ID = the SGT in Cisco SD-Access) read as reserved:
 *  |G|R|R|R|I|R|R|R|R|D|R|R|A|R|R|R|        Group Policy ID        |
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 * followed by the inner Ethernet frame. */
static enum decode_status decode_vxlan(struct dctx *c, struct br r)
{
	uint8_t vx_flags = br_u8(&r);
	br_skip(&r, 7);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (!(vx_flags & 0x08))
		return DECODE_NOT_TCP; /* VNI not valid: not VXLAN as we know it */
	if (!decode_enter(c, ENCAP_VXLAN, true))
		return DECODE_MALFORMED;
	return decode_ether(c, r);
}

/* the Next Protocol registry shared by VXLAN-GPE and NSH (RFC 8300 section 11.2.5):
 * 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS */
static enum decode_status decode_next_proto(struct dctx *c, uint8_t next, struct br r)
{
	switch (next) {
	case 1: return decode_ip4(c, r);
	case 2: return decode_ip6(c, r);
	case 3: return decode_ether(c, r);
	case 4: return decode_nsh(c, r);
	case 5: return decode_mpls(c, r);
	default: return decode_unsupported(c);
	}
}

/* draft-ietf-nvo3-vxlan-gpe-12 section 3, VXLAN-GPE (UDP 4790):
 *  |R|R|Ver|I|P|B|O|       Reserved                |Next Protocol  |
 *  |                VXLAN Network Identifier (VNI) |   Reserved    | */
static enum decode_status decode_vxlan_gpe(struct dctx *c, struct br r)
{
	uint8_t flags = br_u8(&r);
	br_skip(&r, 2);
	uint8_t next = br_u8(&r);
	br_skip(&r, 4);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (flags & 0x30)
		return DECODE_NOT_TCP; /* version 0 only */
	if (!decode_enter(c, ENCAP_VXLAN_GPE, true))
		return DECODE_MALFORMED;
	return decode_next_proto(c, next, r);
}

/* RFC 8926 section 3.4 Geneve (UDP 6081):
 *  |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *  |        Virtual Network Identifier (VNI)       |    Reserved   |
 *  |                    Variable-Length Options                    |
 * Opt Len in 4-byte units; each option (section 3.5):
 *  |          Option Class         |      Type     |R|R|R| Length  |  + Length * 4 bytes
 * Protocol Type is an EtherType: 0x6558 Ethernet (AWS / Azure mirroring), 0x0800 IPv4
 * (AWS Gateway Load Balancer). */
static enum decode_status decode_geneve(struct dctx *c, struct br r)
{
	uint8_t ver_optlen = br_u8(&r);
	br_skip(&r, 1);
	uint16_t proto = br_u16(&r);
	br_skip(&r, 4);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((ver_optlen >> 6) != 0)
		return DECODE_NOT_TCP;
	struct br opts = br_sub(&r, (size_t)(ver_optlen & 0x3f) * 4);
	if (!br_ok(&opts))
		return DECODE_TRUNCATED;
	for (unsigned n = 0; !br_empty(&opts); n++) {
		if (n >= DECODE_MAX_OPTIONS)
			return DECODE_MALFORMED;
		br_skip(&opts, 3); /* class, type */
		br_skip(&opts, (size_t)(br_u8(&opts) & 0x1f) * 4);
		if (!br_ok(&opts))
			return DECODE_MALFORMED; /* an option runs past Opt Len */
	}
	if (!decode_enter(c, ENCAP_GENEVE, true))
		return DECODE_MALFORMED;
	if (proto == ETH_TEB)
		return decode_ether(c, r);
	return decode_ethertype(c, proto, r);
}

/* RFC 4380 section 5.1.1 Teredo (UDP 3544): IPv6 in UDP, optionally after an
 * authentication indicator and/or an origin indication:
 *  | 0x0001 | ID-len | AU-len | Client id (ID-len) | Auth value (AU-len) | Nonce (8) | Confirmation |
 *  | 0x0000 | Origin port (16) | Origin IPv4 address (32) | */
static enum decode_status decode_teredo(struct dctx *c, struct br r)
{
	if (br_left(&r) >= 2 && br_peek(&r, 0) == 0x00 && br_peek(&r, 1) == 0x01) {
		br_skip(&r, 2);
		uint8_t id_len = br_u8(&r), au_len = br_u8(&r);
		br_skip(&r, (size_t)id_len + au_len + 9);
	}
	if (br_left(&r) >= 2 && br_peek(&r, 0) == 0x00 && br_peek(&r, 1) == 0x00)
		br_skip(&r, 8);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((br_peek(&r, 0) >> 4) != 6)
		return DECODE_NOT_TCP; /* bubbles (no payload) and other traffic on the port */
	if (!decode_enter(c, ENCAP_TEREDO, true))
		return DECODE_MALFORMED;
	return decode_ip6(c, r);
}

/* TZSP (UDP 37008; MikroTik RouterOS "sniffer streaming", as Wireshark packet-tzsp.c reads it):
 *  | Version 1 | Type | Encapsulation (16) | tagged fields ... | End (0x01) | packet
 * Types 0 (received tag list) and 1 (packet for transmit) carry a packet; tags are 0 = one
 * byte of padding, 1 = end, else | tag | length | value |. Encapsulation 1 = Ethernet,
 * 18 = 802.11. */
static enum decode_status decode_tzsp(struct dctx *c, struct br r)
{
	uint8_t ver = br_u8(&r), type = br_u8(&r);
	uint16_t encap = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (ver != 1 || type > 1)
		return DECODE_NOT_TCP; /* keepalives, configuration */
	for (unsigned n = 0;; n++) {
		if (n >= DECODE_MAX_OPTIONS)
			return DECODE_MALFORMED;
		uint8_t tag = br_u8(&r);
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		if (tag == 1)
			break;
		if (tag != 0)
			br_skip(&r, br_u8(&r));
	}
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (!decode_enter(c, ENCAP_TZSP, true))
		return DECODE_MALFORMED;
	switch (encap) {
	case 1: return decode_ether(c, r);
	case 18: return decode_80211(c, r, false, false);
	default: return decode_unsupported(c); /* Prism / AVS radio headers, token ring... */
	}
}

/* RFC 5415 section 4.3 CAPWAP data channel (UDP 5247):
 *  |CAPWAP Preamble|  HLEN   |   RID   | WBID    |T|F|L|W|M|K|Flags|
 *  |          Fragment ID          |     Frag Offset         |Rsvd |
 *  |                 (optional) Radio MAC Address                  |
 *  |            (optional) Wireless Specific Information           |
 * Preamble: version 0, type 0 (1 = DTLS: encrypted). HLEN: the header in 4-byte words.
 * T clear: the payload is an 802.3 frame; T set: the native frame of the binding WBID
 * (1 = IEEE 802.11, RFC 5416). Fragments (F) and keep-alives (K) are not followed. */
static enum decode_status decode_capwap(struct dctx *c, struct br r)
{
	uint32_t w = br_u32(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((w >> 28) != 0)
		return DECODE_NOT_TCP;
	if ((w >> 24) != 0)
		return decode_unsupported(c); /* DTLS */
	size_t hlen = (size_t)((w >> 19) & 0x1f) * 4;
	unsigned wbid = (w >> 9) & 0x1f;
	if (hlen < 8)
		return DECODE_MALFORMED;
	br_skip(&r, hlen - 4);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (w & ((1u << 7) | (1u << 3)))
		return DECODE_NOT_TCP; /* fragment, keep-alive */
	if (!decode_enter(c, ENCAP_CAPWAP, true))
		return DECODE_MALFORMED;
	if (!(w & (1u << 8)))
		return decode_ether(c, r);
	if (wbid == 1)
		return decode_80211(c, r, true, false);
	return decode_unsupported(c);
}

/* is p a well-known port its protocol uses in both directions? */
static bool decode_udp_symmetric(uint16_t p)
{
	return p == UDP_GTPU || p == UDP_TEREDO || p == UDP_L2TP || p == UDP_CAPWAP_DATA;
}

/* RFC 768 UDP header, then the tunnels on their IANA ports. VXLAN, VXLAN-GPE, Geneve,
 * GRE-in-UDP and TZSP are sent to their port (the source port is a flow hash); GTP-U,
 * Teredo, L2TP and CAPWAP data use theirs in both directions. */
static enum decode_status decode_udp(struct dctx *c, struct br r)
{
	uint16_t sport = br_u16(&r);
	uint16_t dport = br_u16(&r);
	uint16_t len = br_u16(&r);
	br_skip(&r, 2); /* checksum */
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (len >= 8)
		r = decode_trim(r, (size_t)len - 8);
	switch (dport) {
	case UDP_VXLAN: return decode_vxlan(c, r);
	case UDP_VXLAN_GPE: return decode_vxlan_gpe(c, r);
	case UDP_GENEVE: return decode_geneve(c, r);
	case UDP_GRE: return decode_gre(c, r);
	case UDP_TZSP: return decode_tzsp(c, r);
	default: break;
	}
	switch (decode_udp_symmetric(dport) ? dport : sport) {
	case UDP_GTPU: return decode_gtpu(c, r);
	case UDP_TEREDO: return decode_teredo(c, r);
	case UDP_L2TP: return decode_l2tp(c, r);
	case UDP_CAPWAP_DATA: return decode_capwap(c, r);
	default: return DECODE_NOT_TCP;
	}
}

/* ---- GRE, ERSPAN ------------------------------------------------------------- */

/* draft-foschiano-erspan-03. Type I (GRE 0x88be with no GRE flags at all, as Wireshark tells
 * it): the mirrored Ethernet frame follows the GRE header. Type II (version 1), section 4.1:
 *  |  Ver  |          VLAN         | COS | En|T|    Session ID     |
 *  |      Reserved         |                  Index                |
 * Type III (version 2, GRE 0x22eb), section 4.2:
 *  |  Ver  |          VLAN         | COS |BSO|T|     Session ID    |
 *  |                          Timestamp                            |
 *  |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 *  |        Platform Specific SubHeader (8 octets, if O)           |
 * FT 0 = Ethernet frame, 2 = IP packet. */
static enum decode_status decode_erspan(struct dctx *c, uint16_t gre_flags, struct br r)
{
	if (!decode_enter(c, ENCAP_ERSPAN, true))
		return DECODE_MALFORMED;
	if (gre_flags == 0)
		return decode_ether(c, r); /* type I */
	uint16_t w0 = br_u16(&r);
	br_skip(&r, 2);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	switch (w0 >> 12) {
	case 1:
		br_skip(&r, 4); /* reserved, index */
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		return decode_ether(c, r);
	case 2: {
		br_skip(&r, 6); /* timestamp, SGT */
		uint16_t w5 = br_u16(&r);
		if (w5 & 0x0001)
			br_skip(&r, 8); /* platform specific subheader */
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		switch ((w5 >> 10) & 0x1f) {
		case 0: return decode_ether(c, r);
		case 2: return decode_ip(c, r);
		default: return decode_unsupported(c);
		}
	}
	default: return decode_unsupported(c);
	}
}

/* RFC 2637 section 4.1 enhanced GRE (PPTP), version 1:
 *  |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 *  |    Key (HW) Payload Length    |       Key (LW) Call ID        |
 *  |                  Sequence Number (Optional)                   |
 *  |               Acknowledgment Number (Optional)                |
 * K must be set and the protocol is PPP (0x880b); the payload is a PPP frame. */
static enum decode_status decode_gre_v1(struct dctx *c, uint16_t gflags, uint16_t proto, struct br r)
{
	if (proto != ETH_PPP || !(gflags & 0x2000) || (gflags & 0xc000))
		return decode_unsupported(c);
	uint16_t plen = br_u16(&r);
	br_skip(&r, 2); /* call id */
	if (gflags & 0x1000)
		br_skip(&r, 4); /* sequence number */
	if (gflags & 0x0080)
		br_skip(&r, 4); /* acknowledgment number */
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (plen == 0)
		return DECODE_NOT_TCP; /* an acknowledgment alone */
	r = decode_trim(r, plen);
	if (!decode_enter(c, ENCAP_GRE, true))
		return DECODE_MALFORMED;
	return decode_ppp_frame(c, r);
}

/* RFC 2784 section 2.1 with the RFC 2890 key and sequence number fields and the RFC 1701
 * routing present bit:
 *  |C|R|K|S|s|Recur|  Flags  | Ver |         Protocol Type         |
 *  |      Checksum (optional)      |       Offset (optional)       |
 *  |                         Key (optional)                        |
 *  |                 Sequence Number (Optional)                    |
 *  |                         Routing (optional): SREs              |
 * RFC 1701: Checksum and Offset are present when C or R is set; a Source Route Entry is
 *  | Address Family (16) | SRE Offset (8) | SRE Length (8) | Routing Information ... |
 * and the list ends with address family 0, length 0. The protocol type is an EtherType,
 * plus 0x6558 (Ethernet), 0x88be / 0x22eb (ERSPAN) and 0x883e (WCCP). */
static enum decode_status decode_gre(struct dctx *c, struct br r)
{
	uint16_t gflags = br_u16(&r);
	uint16_t proto = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((gflags & 0x7) == 1)
		return decode_gre_v1(c, gflags, proto, r);
	if ((gflags & 0x7) != 0)
		return decode_unsupported(c);
	if (gflags & 0xc000)
		br_skip(&r, 4); /* checksum, offset */
	if (gflags & 0x2000)
		br_skip(&r, 4); /* key */
	if (gflags & 0x1000)
		br_skip(&r, 4); /* sequence number */
	for (unsigned n = 0; gflags & 0x4000; n++) {
		if (n >= DECODE_MAX_OPTIONS)
			return DECODE_MALFORMED;
		uint16_t af = br_u16(&r);
		br_skip(&r, 1);
		uint8_t sre_len = br_u8(&r);
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		if (af == 0 && sre_len == 0)
			break;
		br_skip(&r, sre_len);
	}
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (!decode_enter(c, ENCAP_GRE, true))
		return DECODE_MALFORMED;
	switch (proto) {
	case ETH_TEB: return decode_ether(c, r);
	case ETH_ERSPAN:
	case ETH_ERSPAN3: return decode_erspan(c, gflags, r);
	case ETH_WCCP:
		/* WCCPv2 adds a 4-byte redirect header, WCCPv1 none: told apart by the IPv4
		 * version nibble, as Wireshark does */
		if ((br_peek(&r, 0) >> 4) != 4)
			br_skip(&r, 4);
		return decode_ip(c, r);
	default: return decode_ethertype(c, proto, r);
	}
}

/* ---- IP ------------------------------------------------------------------------- */

/* RFC 3378 section 3 EtherIP: | Version 3 (4 bits) | Reserved (12) | then an Ethernet frame */
static enum decode_status decode_etherip(struct dctx *c, struct br r)
{
	uint16_t hdr = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((hdr >> 12) != 3)
		return DECODE_NOT_TCP;
	if (!decode_enter(c, ENCAP_ETHERIP, true))
		return DECODE_MALFORMED;
	return decode_ether(c, r);
}

/* the transport (or tunnel) inside an IP packet; r is the captured IP payload */
static enum decode_status decode_l4(struct dctx *c, uint8_t proto, struct br r, size_t wire_len)
{
	switch (proto) {
	case IPPROTO_V_TCP: return decode_tcp(c, r, wire_len);
	case IPPROTO_V_IPV6:
		if (!decode_enter(c, ENCAP_IPIP, true))
			return DECODE_MALFORMED;
		return decode_ip6(c, r);
	case IPPROTO_V_IPIP:
		if (!decode_enter(c, ENCAP_IPIP, true))
			return DECODE_MALFORMED;
		return decode_ip4(c, r);
	case IPPROTO_V_GRE: return decode_gre(c, r);
	case IPPROTO_V_UDP: return decode_udp(c, r);
	case IPPROTO_V_ETHERIP: return decode_etherip(c, r);
	case IPPROTO_V_MPLS:
		c->out->flags |= PKT_TUNNELLED; /* the label stack is counted by decode_mpls() */
		return decode_mpls(c, r);
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
	struct br h = br_sub(&r, 20); /* the fixed header: checked once */
	if (!br_ok(&h))
		return DECODE_TRUNCATED;
	uint8_t ver_ihl = br_u8(&h);
	br_skip(&h, 1);
	uint16_t total = br_u16(&h);
	uint16_t id = br_u16(&h);
	uint16_t frag = br_u16(&h);
	br_skip(&h, 1);
	uint8_t proto = br_u8(&h);
	br_skip(&h, 2);
	const uint8_t *src = br_ptr(&h, 4);
	const uint8_t *dst = br_ptr(&h, 4);
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
	out->ip_id = id;

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
	struct br h = br_sub(&r, 40); /* the fixed header: checked once */
	if (!br_ok(&h))
		return DECODE_TRUNCATED;
	uint8_t ver = br_u8(&h);
	br_skip(&h, 1);
	uint16_t flow_label = br_u16(&h); /* its low 16 bits */
	uint16_t plen = br_u16(&h);
	uint8_t next = br_u8(&h);
	br_skip(&h, 1);
	const uint8_t *src = br_ptr(&h, 16);
	const uint8_t *dst = br_ptr(&h, 16);
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
	out->ip_id = flow_label;

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

/* ---- MPLS, Ethernet and its tags ------------------------------------------------- */

/* EtherTypes that make an MPLS payload look like an Ethernet frame (see decode_mpls) */
static bool decode_pw_ethertype(uint16_t type)
{
	switch (type) {
	case ETH_IPV4:
	case ETH_IPV6:
	case ETH_VLAN:
	case ETH_QINQ:
	case ETH_MPLS:
	case ETH_PPPOE_SESSION: return true;
	default: return false;
	}
}

/* RFC 3032 section 2.1 label stack entry:
 *  |                Label                  | Exp |S|       TTL     |
 * After the bottom entry (S set) nothing names the payload. Its first nibble (RFC 4385
 * section 3) says IPv4 (4), IPv6 (6) or the associated channel (1, OAM); anything else is
 * taken as an Ethernet pseudowire (EoMPLS, RFC 4448), with the control word of RFC 4385
 *  |0 0 0 0| Flags |FRG|  Length   |     Sequence Number           |
 * when the EtherType 16 bytes in is one we follow and the frame read without a control word
 * is not VLAN-tagged, else without one (Cisco's default) when the EtherType at 12 is one we
 * follow. Wireshark guesses from the MAC addresses' vendor prefixes instead; both agree on
 * the frames of tests/decode. */
static enum decode_status decode_mpls(struct dctx *c, struct br r)
{
	if (!decode_enter(c, ENCAP_MPLS, false))
		return DECODE_MALFORMED;
	for (unsigned n = 0;; n++) {
		if (n >= DECODE_MAX_MPLS)
			return DECODE_MALFORMED;
		uint32_t lse = br_u32(&r);
		if (!br_ok(&r))
			return DECODE_TRUNCATED;
		if (lse & 0x100)
			break;
	}
	if (br_empty(&r))
		return DECODE_TRUNCATED;
	uint8_t nibble = br_peek(&r, 0) >> 4;
	switch (nibble) {
	case 4: return decode_ip4(c, r);
	case 6: return decode_ip6(c, r);
	case 1: return DECODE_NOT_TCP; /* associated channel: OAM */
	default: break;
	}
	if (br_left(&r) < 18) /* too short for an Ethernet header after a control word */
		return c->frame_cut ? DECODE_TRUNCATED : decode_unsupported(c);
	uint16_t type12 = (uint16_t)(br_peek(&r, 12) << 8 | br_peek(&r, 13));
	uint16_t type16 = (uint16_t)(br_peek(&r, 16) << 8 | br_peek(&r, 17));
	bool tagged = type12 == ETH_VLAN || type12 == ETH_QINQ;
	if (nibble == 0 && !tagged && decode_pw_ethertype(type16))
		br_skip(&r, 4); /* control word */
	else if (!decode_pw_ethertype(type12))
		return decode_unsupported(c);
	if (!decode_enter(c, ENCAP_MPLS_PW, true))
		return DECODE_MALFORMED;
	return decode_ether(c, r);
}

/* Cisco MetaData, the TrustSec inline SGT tag, after EtherType 0x8909 (as Snort's cisco_meta
 * codec and Wireshark's packet-cisco-metadata.c read it):
 *  |    Version    |    Length     | OptLen|   Option Type (13)  |      SGT (16)      |
 *  |  ... more 4-byte options  ... |       EtherType (16)        |
 * Version 1; Length counts 8-byte units from Version through the EtherType (1 for the usual
 * single SGT option, 8 bytes); each option is 4 bytes (type 1 = SGT). Wireshark 4.0 reads
 * only the 8-byte form. */
static enum decode_status decode_cmd(struct dctx *c, struct br r)
{
	uint8_t ver = br_u8(&r), len8 = br_u8(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (ver != 1)
		return decode_unsupported(c);
	if (len8 == 0)
		return DECODE_MALFORMED;
	br_skip(&r, (size_t)len8 * 8 - 4); /* options */
	uint16_t type = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (!decode_enter(c, ENCAP_CISCO_META, false))
		return DECODE_MALFORMED;
	return decode_ethertype(c, type, r);
}

/* Cisco VN-Tag (802.1Qbh draft) after EtherType 0x8926:
 *  |d|p|  Destination VIF (14)   |l|r|ver|   Source VIF (12)     |  EtherType (16) | */
static enum decode_status decode_vntag(struct dctx *c, struct br r)
{
	br_skip(&r, 4);
	uint16_t type = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (!decode_enter(c, ENCAP_VNTAG, false))
		return DECODE_MALFORMED;
	return decode_ethertype(c, type, r);
}

/* IEEE 802.1ah backbone service instance tag after EtherType 0x88e7 (802.1Q-2018 9.7):
 *  | PCP | D | U | Res |            I-SID (24 bits)            |
 * then the customer frame: C-DA, C-SA, EtherType... */
static enum decode_status decode_pbb(struct dctx *c, struct br r)
{
	br_skip(&r, 4);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (!decode_enter(c, ENCAP_PBB, true))
		return DECODE_MALFORMED;
	return decode_ether(c, r);
}

/* RFC 8300 section 2.2 Network Service Header (EtherType 0x894f, VXLAN-GPE next protocol 4):
 *  |Ver|O|U|    TTL    |   Length  |U|U|U|U|MD Type| Next Protocol |
 *  |          Service Path Identifier (SPI)        | Service Index |
 * Length: the whole NSH in 4-byte words. MD Type 1 (section 2.4): 16 bytes of fixed context,
 * Length 6. MD Type 2 (section 2.5): variable-length context headers
 *  |          Metadata Class       |      Type     |U|    Length   |  value, padded to 4 */
static enum decode_status decode_nsh(struct dctx *c, struct br r)
{
	uint16_t w = br_u16(&r);
	uint8_t md = br_u8(&r) & 0x0f;
	uint8_t next = br_u8(&r);
	br_skip(&r, 4); /* SPI, SI */
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if ((w >> 14) != 0)
		return DECODE_NOT_TCP;
	size_t len = (size_t)(w & 0x3f) * 4;
	if (len < 8)
		return DECODE_MALFORMED;
	struct br ctx = br_sub(&r, len - 8);
	if (!br_ok(&ctx))
		return DECODE_TRUNCATED;
	if (md == 1) {
		if (len != 24)
			return DECODE_MALFORMED;
	} else if (md == 2) {
		for (unsigned n = 0; !br_empty(&ctx); n++) {
			if (n >= DECODE_MAX_OPTIONS)
				return DECODE_MALFORMED;
			br_skip(&ctx, 3); /* class, type */
			size_t vlen = br_u8(&ctx) & 0x7f;
			br_skip(&ctx, (vlen + 3) & ~(size_t)3);
			if (!br_ok(&ctx))
				return DECODE_MALFORMED; /* a context header runs past Length */
		}
	} else {
		return decode_unsupported(c); /* reserved / experimental MD types */
	}
	if (!decode_enter(c, ENCAP_NSH, true))
		return DECODE_MALFORMED;
	return decode_next_proto(c, next, r);
}

/* payload of an Ethernet / SLL frame by EtherType, after any VLAN tags (IEEE 802.1Q 9.6):
 *  |      TPID (0x8100/0x88a8)     | PCP |D|        VID            |
 * A tag stack counts as one layer. */
static enum decode_status decode_ethertype(struct dctx *c, uint16_t type, struct br r)
{
	if (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
		if (!decode_enter(c, ENCAP_VLAN, false))
			return DECODE_MALFORMED;
		for (unsigned n = 0; type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD; n++) {
			if (n >= DECODE_MAX_VLAN)
				return DECODE_MALFORMED;
			br_skip(&r, 2);
			type = br_u16(&r);
			if (!br_ok(&r))
				return DECODE_TRUNCATED;
		}
	}
	switch (type) {
	case ETH_IPV4: return decode_ip4(c, r);
	case ETH_IPV6: return decode_ip6(c, r);
	case ETH_PPPOE_SESSION: return decode_pppoe(c, r);
	case ETH_MPLS:
	case ETH_MPLS_MCAST: return decode_mpls(c, r);
	case ETH_CISCO_META: return decode_cmd(c, r);
	case ETH_PBB: return decode_pbb(c, r);
	case ETH_NSH: return decode_nsh(c, r);
	case ETH_VNTAG: return decode_vntag(c, r);
	default: return DECODE_NOT_TCP;
	}
}

/* IEEE 802.3 frame: destination MAC, source MAC, EtherType (no FCS in captures). A value up
 * to 1500 is the length of an 802.3 frame whose payload starts with an LLC header. */
static enum decode_status decode_ether(struct dctx *c, struct br r)
{
	br_skip(&r, 12);
	uint16_t type = br_u16(&r);
	if (!br_ok(&r))
		return DECODE_TRUNCATED;
	if (type <= ETH_MAX_LENGTH)
		return decode_llc(c, decode_trim(r, type));
	if (type < ETH_MIN_TYPE)
		return DECODE_NOT_TCP;
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
	case LINK_PPP:
	case LINK_PPP_HDLC:
	case LINK_PPP_PPPD:
	case LINK_C_HDLC: return decode_ppp_link(&c, r, linktype);
	case LINK_PPP_ETHER: return decode_pppoe(&c, r);
	case LINK_IEEE802_11: return decode_80211(&c, r, false, false);
	case LINK_IEEE802_11_RADIOTAP: return decode_radiotap(&c, r);
	default: return DECODE_UNSUPPORTED_LINK;
	}
}

bool decode_link_supported(uint32_t linktype)
{
	switch (linktype) {
	case LINK_NULL:
	case LINK_ETHERNET:
	case LINK_PPP:
	case LINK_PPP_HDLC:
	case LINK_PPP_ETHER:
	case LINK_RAW:
	case LINK_C_HDLC:
	case LINK_IEEE802_11:
	case LINK_LOOP:
	case LINK_LINUX_SLL:
	case LINK_IEEE802_11_RADIOTAP:
	case LINK_PPP_PPPD:
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
