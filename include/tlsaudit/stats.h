/* stats.h - per-capture counters: everything dropped, capped or skipped is
 * counted here, stored with the capture and shown by reports. */
#ifndef TLSAUDIT_STATS_H
#define TLSAUDIT_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* X-macro: name, meaning. One list drives the struct, the store columns and the text output. */
#define TA_STATS_FIELDS(X)                                                                 \
	X(frames, "frames read")                                                           \
	X(frame_bytes, "captured bytes of all frames")                                     \
	X(tcp_packets, "TCP packets decoded")                                              \
	X(not_tcp, "frames that were not TCP over IP")                                     \
	X(ip_fragments, "IP fragments (not reassembled)")                                  \
	X(snaplen_cut, "frames shorter than on the wire (snaplen)")                        \
	X(decode_errors, "frames with truncated or malformed headers")                     \
	X(unsupported_link, "frames of an unsupported link type")                          \
	X(filtered_out, "frames rejected by the BPF filter")                               \
	X(flows, "TCP flows tracked")                                                      \
	X(flows_tls, "flows with a TLS hello")                                             \
	X(flows_evicted, "flows evicted at the flow-table limit")                          \
	X(flows_idle, "flows ended by the idle timeout")                                   \
	X(reasm_bytes_capped, "segments dropped at the per-direction reassembly cap")      \
	X(reasm_ooo_dropped, "out-of-order segments dropped at the segment-queue cap")     \
	X(reasm_gaps, "gaps (missing segments) skipped in a stream")                       \
	X(reasm_overlap_conflicts, "overlapping segments with different bytes")            \
	X(duplicate_frames, "exact duplicate frames (counted once)")                       \
	X(mem_capped, "allocations refused at the total memory cap")                       \
	X(hs_too_big, "handshake messages over the reassembly cap")                        \
	X(certs_capped, "server certificates over the --max-cert-bytes cap (not decoded)") \
	X(ndpi_flows, "flows given to nDPI to learn a label not known yet")                \
	X(pcap_received, "packets received by libpcap (live capture)")                     \
	X(kernel_drops, "packets dropped by the kernel (live capture)")                    \
	X(if_drops, "packets dropped by the interface (live capture)")

struct ta_stats {
#define TA_STATS_MEMBER(name, desc) uint64_t name;
	TA_STATS_FIELDS(TA_STATS_MEMBER)
#undef TA_STATS_MEMBER
};

/* What the pipeline learns about a capture besides its connections. */
struct ta_capture_facts {
	int64_t first_ns, last_ns; /* first/last packet time (0 if none) */
	bool have_time;		   /* a packet was seen (first_ns/last_ns are valid) */
	char linktypes[128];	   /* comma-separated link type names */
	char warnings[2048];	   /* newline-separated human-readable warnings */
	struct ta_stats stats;
};

#endif
