/* decode.h - link layer to TCP: a borrowed view of one captured packet.
 * specification: IEEE 802.3/802.1Q/802.1ad/802.1ah/802.11, LINKTYPE_* of tcpdump.org/linktypes,
 * RFC 791 (IPv4), RFC 8200 (IPv6 and extension headers), RFC 9293 (TCP), RFC 1661/1662 (PPP),
 * RFC 2516 (PPPoE), RFC 3032 (MPLS), RFC 4213 (6in4), RFC 2784/2890/1701/2637 (GRE),
 * RFC 7348 (VXLAN), RFC 8926 (Geneve), RFC 8300 (NSH); the full list is in decode.c.
 */
#ifndef TLSAUDIT_DECODE_H
#define TLSAUDIT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* LINKTYPE_* values used by tlsaudit (pcap and pcapng headers carry these) */
enum {
	LINK_NULL = 0, /* BSD loopback, host-endian AF_ value */
	LINK_ETHERNET = 1,
	LINK_PPP = 9,	       /* PPP, with or without the 0xff 0x03 address/control bytes */
	LINK_PPP_HDLC = 50,    /* PPP in HDLC-like framing, or Cisco HDLC (0x0f/0x8f address) */
	LINK_PPP_ETHER = 51,   /* a PPPoE header without the Ethernet header */
	LINK_RAW = 101,	       /* raw IPv4/IPv6 */
	LINK_C_HDLC = 104,     /* Cisco HDLC (RFC 1547 4.3.1) */
	LINK_IEEE802_11 = 105, /* 802.11 frames (data frames with LLC/SNAP are followed) */
	LINK_LOOP = 108,       /* OpenBSD loopback, network-endian AF_ value */
	LINK_LINUX_SLL = 113,
	LINK_IEEE802_11_RADIOTAP = 127, /* radiotap header, then an 802.11 frame */
	LINK_PPP_PPPD = 166,		/* like PPP_HDLC with a direction byte in place of the address */
	LINK_IPV4 = 228,
	LINK_IPV6 = 229,
	LINK_LINUX_SLL2 = 276,
};

/* pkt.flags */
enum {
	PKT_IPV4_FRAGMENT = 1u << 0, /* IPv4 (or IPv6 fragment header) fragment: not reassembled, counted */
	PKT_SNAPLEN_CUT = 1u << 1,   /* caplen < wire length: payload shorter than the segment */
	PKT_TUNNELLED = 1u << 2,     /* inner packet of a tunnel: IP-in-IP, GRE, ERSPAN, VXLAN, Geneve, GTP-U,
				      * PPPoE... (the ENCAP_* kinds marked "tunnel" below) */
	PKT_BAD_CHECKSUM = 1u << 3,  /* reserved: checksums are not verified (offload makes them useless) */
	PKT_ENCAP_UNSUPPORTED =
		1u << 4, /* with DECODE_NOT_TCP: a recognised encapsulation carries a payload
			  * we do not follow (GRE protocol, encrypted 802.11 / CAPWAP DTLS,
			  * L2TPv3, an MPLS payload that is neither IP nor Ethernet...); encaps says how far we got */
};

/* pkt.encaps: the kinds of header peeled between the link header and the innermost IP header,
 * one bit per kind however often it occurs (Ethernet, IP and capture pseudo-headers such as
 * Linux cooked or radiotap have no bit). Set on every status, so a frame that stops at an
 * unsupported payload still says which encapsulations led there. */
enum {
	ENCAP_VLAN = 1u << 0,	     /* 802.1Q / 802.1ad / 0x9100 tags */
	ENCAP_MPLS = 1u << 1,	     /* MPLS label stack (RFC 3032) */
	ENCAP_PPPOE = 1u << 2,	     /* tunnel: PPPoE session (RFC 2516) */
	ENCAP_PPP = 1u << 3,	     /* PPP or Cisco HDLC framing (link type, PPTP, L2TP) */
	ENCAP_IPIP = 1u << 4,	     /* tunnel: IPv4/IPv6 in IPv4/IPv6 (4in4, 6in4, 4in6, 6in6) */
	ENCAP_GRE = 1u << 5,	     /* tunnel: GRE versions 0 and 1, over IP or UDP 4754 */
	ENCAP_ERSPAN = 1u << 6,	     /* tunnel: ERSPAN type I, II, III */
	ENCAP_VXLAN = 1u << 7,	     /* tunnel: VXLAN and VXLAN-GBP (UDP 4789) */
	ENCAP_VXLAN_GPE = 1u << 8,   /* tunnel: VXLAN-GPE (UDP 4790) */
	ENCAP_GENEVE = 1u << 9,	     /* tunnel: Geneve (UDP 6081) */
	ENCAP_GTPU = 1u << 10,	     /* tunnel: GTP-U (UDP 2152) */
	ENCAP_NSH = 1u << 11,	     /* tunnel: Network Service Header (RFC 8300) */
	ENCAP_CISCO_META = 1u << 12, /* Cisco MetaData / SGT tag (EtherType 0x8909) */
	ENCAP_PBB = 1u << 13,	     /* tunnel: 802.1ah I-TAG, MAC-in-MAC */
	ENCAP_MPLS_PW = 1u << 14,    /* tunnel: Ethernet pseudowire over MPLS (EoMPLS), with or without control word */
	ENCAP_TEREDO = 1u << 15,     /* tunnel: Teredo (UDP 3544) */
	ENCAP_TZSP = 1u << 16,	     /* tunnel: TZSP (UDP 37008, MikroTik sniffer streaming) */
	ENCAP_L2TP = 1u << 17,	     /* tunnel: L2TPv2 data (UDP 1701) */
	ENCAP_CAPWAP = 1u << 18,     /* tunnel: CAPWAP data channel (UDP 5247) */
	ENCAP_ETHERIP = 1u << 19,    /* tunnel: EtherIP (IP protocol 97) */
	ENCAP_VNTAG = 1u << 20,	     /* Cisco VN-Tag (EtherType 0x8926) */
	ENCAP_LLC_SNAP = 1u << 21,   /* 802.2 LLC + SNAP header (802.3 length frames, 802.11) */
	ENCAP_IEEE80211 = 1u << 22,  /* 802.11 data frame (link type, TZSP, CAPWAP) */
};

enum tcp_flag { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10 };

struct pkt {
	int64_t ts_ns;		  /* capture time, ns since the epoch */
	uint8_t family;		  /* 4 or 6 (of the innermost IP header) */
	uint8_t src[16], dst[16]; /* IPv4 uses the first 4 bytes, rest zero */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t tcp_flags;	 /* enum tcp_flag bits */
	uint32_t flags;		 /* PKT_* */
	const uint8_t *l3;	 /* innermost IP header (borrowed), for nDPI */
	size_t l3_len;		 /* captured bytes from l3 to the end of the IP payload */
	const uint8_t *payload;	 /* TCP payload (borrowed) */
	size_t payload_len;	 /* captured payload bytes */
	size_t payload_wire_len; /* payload length the IP header claims (>= payload_len) */
	uint32_t encaps;	 /* ENCAP_* bits: encapsulations peeled on the way to the innermost IP */
	uint16_t ip_id;		 /* innermost IPv4 identification, or the low 16 bits of the IPv6 flow label */
	uint16_t tcp_csum;	 /* TCP checksum as sent: with ip_id, what tells two copies of a frame apart */
};

enum decode_status {
	DECODE_OK = 0,
	DECODE_NOT_TCP,		 /* IP but not TCP (or not IP at all): ignored */
	DECODE_FRAGMENT,	 /* IP fragment: counted, flags set, not decoded further */
	DECODE_TRUNCATED,	 /* captured bytes end inside a header */
	DECODE_MALFORMED,	 /* header lengths contradict each other */
	DECODE_UNSUPPORTED_LINK, /* link type we do not decode */
};

/* Decode one frame. data is borrowed and must stay valid while *out is used.
 * wire_len is the original length (>= caplen). Never reads outside data[0..caplen).
 * Encapsulations nest at most 10 layers deep (a VLAN tag stack or an MPLS label stack is one
 * layer); a deeper frame is DECODE_MALFORMED. Inner payloads we do not decode (not IP, an
 * unknown tunnel payload) are DECODE_NOT_TCP; DECODE_UNSUPPORTED_LINK is for link types only. */
enum decode_status decode_packet(uint32_t linktype, const uint8_t *data, size_t caplen, size_t wire_len, int64_t ts_ns,
				 struct pkt *out);

/* Is this link type decoded? Name for messages ("EN10MB", "LINUX_SLL2"...), or NULL if unknown. */
bool decode_link_supported(uint32_t linktype);
const char *decode_link_name(uint32_t linktype);

#endif
