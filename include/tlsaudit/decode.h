/* decode.h - link layer to TCP: a borrowed view of one captured packet.
 * specification: IEEE 802.3/802.1Q/802.1ad, LINKTYPE_* of tcpdump.org/linktypes,
 * RFC 791 (IPv4), RFC 8200 (IPv6 and extension headers), RFC 9293 (TCP),
 * RFC 2516 (PPPoE), RFC 4213 (6in4), RFC 7348 (VXLAN), RFC 2784 (GRE).
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
	LINK_RAW = 101,	 /* raw IPv4/IPv6 */
	LINK_LOOP = 108, /* OpenBSD loopback, network-endian AF_ value */
	LINK_LINUX_SLL = 113,
	LINK_IPV4 = 228,
	LINK_IPV6 = 229,
	LINK_LINUX_SLL2 = 276,
};

/* pkt.flags */
enum {
	PKT_IPV4_FRAGMENT = 1u << 0, /* IPv4 (or IPv6 fragment header) fragment: not reassembled, counted */
	PKT_SNAPLEN_CUT = 1u << 1,   /* caplen < wire length: payload shorter than the segment */
	PKT_TUNNELLED = 1u << 2,     /* inner packet of 6in4 / VXLAN / GRE / PPPoE */
	PKT_BAD_CHECKSUM = 1u << 3,  /* reserved: checksums are not verified (offload makes them useless) */
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
 * wire_len is the original length (>= caplen). Never reads outside data[0..caplen). */
enum decode_status decode_packet(uint32_t linktype, const uint8_t *data, size_t caplen, size_t wire_len, int64_t ts_ns,
				 struct pkt *out);

/* Is this link type decoded? Name for messages ("EN10MB", "LINUX_SLL2"...), or NULL if unknown. */
bool decode_link_supported(uint32_t linktype);
const char *decode_link_name(uint32_t linktype);

#endif
