/* classify.c - nDPI 4.2 adapter: application protocol, flow risks and JA3 client hash per flow. */

/*
 * Design note.
 *
 * This is the only file that includes nDPI. nDPI's TLS parser is not trusted for anything tlsaudit reports
 * as a TLS fact (versions come from src/tls); nDPI only contributes its protocol label, its risk bitmap and
 * its JA3 client hash, as a second opinion.
 *
 * Cost limits: one detection module per struct classify (about 240 KiB for the struct itself plus its
 * automata; one per thread, nDPI's module is not thread-safe). Per flow, one struct classify_flow
 * (sizeof(struct ndpi_flow_struct) is 688 bytes on Debian 12's libndpi 4.2 x86-64, plus
 * nDPI's own reassembly buffer while it holds part of a TLS record: classify_trim()), allocated on the first packet and
 * released as soon as nDPI is done with the flow; only our small struct classify_flow (the result) lives
 * on until classify_finish(). At most max_packets packets (CLASSIFY_MAX_PACKETS_DEFAULT) are fed to nDPI
 * per flow.
 *
 * Direction: nDPI 4.2 normally derives the packet direction from the addresses and ports. The caller
 * knows better (it saw the SYN), so we turn that off (ndpi_pref_direction_detect_disable) and tell
 * nDPI the direction per packet through flow->packet_direction: 0 = client to server, 1 = the reverse.
 *
 * Unknown flows: we call ndpi_detection_giveup() without port-based guessing; a flow that nDPI did not
 * recognise from its payload reports protocol "" rather than a guess from the port number.
 *
 * Between packets nDPI's flow is kept packed (pack_flow): the 688-byte struct is mostly zeros while a flow
 * waits for its next packet (after a ClientHello about 140 of its bytes are set, in a dozen runs), so it is
 * stored as its non-zero runs (zpack.h), exactly sized, and unpacked into a fresh ndpi_flow_malloc() struct byte for
 * byte before nDPI sees the flow again. That is lossless because the struct holds no pointer into itself and nDPI's
 * module keeps no pointer to a flow between calls (4.2: the packet state lives in the module; a flow's own
 * allocations - its strings, the TLS reassembly buffer - are referenced from the bytes and move with them).
 * A handshake in progress waiting for its server (bench/flows.sh "mid") thus costs nDPI ~150 bytes, not 688.
 */

#include "tlsaudit/classify.h"
#include "classify_internal.h"
#include "tlsaudit/zpack.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

struct classify {
	struct ndpi_detection_module_struct *ndpi; /* owned */
	uint32_t max_packets;			   /* per-flow cap on packets fed to nDPI */
};

/* 24 bytes, and behind them in the same allocation what the flow's stage needs: nothing while nDPI reads a packet
 * of it, nDPI's flow packed (pack_flow) while it waits for the next, and once decided - the nDPI flow freed -
 * the result (112 bytes that a handshake in progress does not need to carry). */
struct classify_flow {
	struct ndpi_flow_struct *ndpi; /* owned; NULL while packed and once decided */
	ndpi_protocol proto;	       /* what the last ndpi_detection_process_packet() returned */
	uint32_t packets;	       /* packets fed so far */
	uint16_t packed_len;	       /* bytes of the packed nDPI flow at packed(); 0 = none */
	bool decided;		       /* nDPI finished (or the cap was hit) */
	bool have_res;		       /* res[0] is there: decided, and the memory for it was had */
	struct classify_result res[];  /* once decided: the final result; before, the packed flow's bytes */
};

/* ---- packing nDPI's flow between packets -------------------------------- */

/* The packed nDPI flow: a 4-byte header with ndpi_flow_extra() (for classify_flow_cost()), then its zpack(). */
static uint8_t *packed(struct classify_flow *f)
{
	return (uint8_t *)f->res;
}

/* The heap bytes nDPI holds for a flow beside the struct (its TLS reassembly buffer) */
static uint32_t ndpi_flow_extra(const struct ndpi_flow_struct *nf)
{
	return nf->l4_proto == IPPROTO_TCP ? nf->l4.tcp.tls.message.buffer_len : 0;
}

/* Keep the live nDPI flow packed; *fs moves. It stays live when packing would not save memory or the memory is
 * refused. */
static void pack_flow(struct classify_flow **fs)
{
	uint8_t buf[4 + ZPACK_BOUND(SIZEOF_FLOW_STRUCT)];
	uint32_t extra = ndpi_flow_extra((*fs)->ndpi);
	memcpy(buf, &extra, 4);
	size_t n = 4 + zpack((*fs)->ndpi, SIZEOF_FLOW_STRUCT, buf + 4);
	if (n + 32 >= SIZEOF_FLOW_STRUCT || n > UINT16_MAX)
		return;
	struct classify_flow *f = realloc(*fs, sizeof(*f) + n);
	if (!f)
		return;
	memcpy(packed(f), buf, n);
	ndpi_free(f->ndpi); /* the struct's memory only: what it points to is referenced from the packed bytes */
	f->ndpi = NULL;
	f->packed_len = (uint16_t)n;
	*fs = f;
}

/* Bring a packed flow back to life; false when no memory (then it stays packed). */
static bool unpack_flow(struct classify_flow *f)
{
	if (f->packed_len == 0)
		return true;
	struct ndpi_flow_struct *nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
	if (!nf)
		return false;
	(void)zunpack(packed(f) + 4, f->packed_len - 4u, nf, SIZEOF_FLOW_STRUCT); /* made by pack_flow() */
	f->ndpi = nf;
	f->packed_len = 0;
	return true;
}

/* The flow was never unpacked again (out of memory at the end): free what its bytes point to as well. */
static void drop_packed(struct classify_flow *f)
{
	if (f->packed_len == 0)
		return;
	struct ndpi_flow_struct nf;
	(void)zunpack(packed(f) + 4, f->packed_len - 4u, &nf, sizeof(nf));
	ndpi_free_flow_data(&nf);
	f->packed_len = 0;
}

/* ndpi_init_detection_module() "MUST NOT run in parallel" (ndpi_api.h); we serialise exit as well. */
static pthread_mutex_t classify_init_lock = PTHREAD_MUTEX_INITIALIZER;

static void classify_errmsg(char *err, size_t errlen, const char *msg)
{
	size_t n;

	if (!err || errlen == 0)
		return;
	n = strlen(msg);
	if (n >= errlen)
		n = errlen - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

int classify_new(struct classify **ret, char *err, size_t errlen)
{
	struct classify *c;
	NDPI_PROTOCOL_BITMASK all;

	c = calloc(1, sizeof(*c));
	if (!c) {
		classify_errmsg(err, errlen, "classify: out of memory");
		return -ENOMEM;
	}
	c->max_packets = CLASSIFY_MAX_PACKETS_DEFAULT;

	pthread_mutex_lock(&classify_init_lock);
	c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (c->ndpi) {
		/* Debian's build has NDPI_ENABLE_DEBUG_MESSAGES off; make sure nothing is printed anyway. */
		ndpi_set_log_level(c->ndpi, NDPI_LOG_ERROR);
		set_ndpi_debug_function(c->ndpi, NULL);
		ndpi_set_detection_preferences(c->ndpi, ndpi_pref_direction_detect_disable, 1);
		NDPI_BITMASK_SET_ALL(all);
		ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
		ndpi_finalize_initialization(c->ndpi);
	}
	pthread_mutex_unlock(&classify_init_lock);

	if (!c->ndpi) {
		free(c);
		classify_errmsg(err, errlen, "classify: ndpi_init_detection_module failed");
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void classify_free(struct classify *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&classify_init_lock);
	ndpi_exit_detection_module(c->ndpi);
	pthread_mutex_unlock(&classify_init_lock);
	free(c);
}

struct ndpi_detection_module_struct *classify_module(struct classify *c)
{
	return c->ndpi;
}

void classify_set_max_packets(struct classify *c, uint32_t n)
{
	c->max_packets = n ? n : 1;
}

static bool classify_is_detected(ndpi_protocol p)
{
	return p.master_protocol != NDPI_PROTOCOL_UNKNOWN || p.app_protocol != NDPI_PROTOCOL_UNKNOWN;
}

static bool classify_carries_tls(ndpi_protocol p)
{
	static const uint16_t tls_ids[] = {
		NDPI_PROTOCOL_TLS,	  NDPI_PROTOCOL_DTLS,	    NDPI_PROTOCOL_QUIC,
		NDPI_PROTOCOL_MAIL_SMTPS, NDPI_PROTOCOL_MAIL_IMAPS, NDPI_PROTOCOL_MAIL_POPS,
	};

	for (size_t i = 0; i < sizeof(tls_ids) / sizeof(tls_ids[0]); i++)
		if (p.master_protocol == tls_ids[i] || p.app_protocol == tls_ids[i])
			return true;
	return false;
}

/* Copy nDPI's JA3 client hash if it is one: protos is a union shared with other protocols' state. */
static void classify_copy_ja3(char out[33], const char *ja3)
{
	for (size_t i = 0; i < 32; i++) {
		char ch = ja3[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return;
	}
	if (ja3[32] != '\0')
		return;
	memcpy(out, ja3, 33);
}

/* Give up if undecided, take nDPI's verdict into the flow's result and release the nDPI flow; *fs may move. */
static void classify_decide(struct classify *c, struct classify_flow **fs)
{
	struct classify_flow *f = *fs;
	ndpi_protocol p = f->proto;
	struct classify_result r;

	memset(&r, 0, sizeof(r));
	if (!unpack_flow(f)) {
		drop_packed(f); /* out of memory: decided without a result, as a flow nDPI never saw */
		f->decided = true;
		return;
	}
	if (!classify_is_detected(p)) {
		uint8_t guessed = 0;
		p = ndpi_detection_giveup(c->ndpi, f->ndpi, 0, &guessed);
	}
	if (classify_is_detected(p))
		ndpi_protocol2name(c->ndpi, p, r.protocol, (u_int)sizeof(r.protocol));
	r.risks = f->ndpi->risk;
	if (classify_carries_tls(p))
		classify_copy_ja3(r.ja3, f->ndpi->protos.tls_quic.ja3_client);

	ndpi_free_flow(f->ndpi);
	f->ndpi = NULL;
	f->decided = true;
	struct classify_flow *g = realloc(f, sizeof(*f) + sizeof(r));
	if (!g)
		return; /* out of memory: decided without a result, as a flow nDPI never saw */
	g->have_res = true;
	g->res[0] = r;
	*fs = g;
}

/* nDPI 4.2 keeps the TLS reassembly buffer of a flow (2 KiB, allocated on its first TLS packet) until the flow
 * is freed, also while it holds nothing: between a ClientHello and the ServerHello that is most of what a
 * handshake in progress costs. An empty one is released here; nDPI allocates it again, empty, on the next
 * packet it needs it for (tls.c ndpi_search_tls_tcp_memory: a NULL buffer is allocated; the expected
 * sequence numbers live beside it, in message.next_seq, and stay). */
static void classify_trim(struct ndpi_flow_struct *nf)
{
	if (nf->l4_proto != IPPROTO_TCP)
		return;
	message_t *m = &nf->l4.tcp.tls.message;
	if (m->buffer && m->buffer_used == 0) {
		ndpi_free(m->buffer);
		m->buffer = NULL;
		m->buffer_len = 0;
	}
}

bool classify_packet(struct classify *c, struct classify_flow **fs, const uint8_t *l3, size_t l3_len, int64_t ts_ns,
		     bool from_client)
{
	struct classify_flow *f = *fs;
	uint64_t ts_ms;
	unsigned short len;

	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return false; /* no state: classify_finish() reports an empty result */
		/* nDPI wants a zeroed flow from its own allocator (ndpiReader: ndpi_flow_malloc + memset) */
		f->ndpi = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
		if (!f->ndpi) {
			free(f);
			return false;
		}
		memset(f->ndpi, 0, SIZEOF_FLOW_STRUCT);
		*fs = f;
	}
	if (f->decided)
		return false;
	if (!unpack_flow(f))
		return true; /* out of memory for a moment: this packet is not seen, as past the snaplen */

	/* An IPv4/IPv6 packet cannot exceed 65535 bytes outside jumbograms; nDPI takes an unsigned short and
	 * rejects a packet shorter than its IP header's length, which is what clamping produces. */
	len = l3_len > USHRT_MAX ? USHRT_MAX : (unsigned short)l3_len;
	ts_ms = ts_ns > 0 ? (uint64_t)ts_ns / 1000000u : 0; /* pre-1970 captures exist; nDPI's clock is unsigned */

	f->ndpi->packet_direction = from_client ? 0 : 1;
	f->proto = ndpi_detection_process_packet(c->ndpi, f->ndpi, l3, len, ts_ms);
	f->packets++;
	classify_trim(f->ndpi);

	/* nDPI keeps a detected TLS flow open until it saw the certificate (for JA3S, issuer, risks). */
	if ((classify_is_detected(f->proto) && !ndpi_extra_dissection_possible(c->ndpi, f->ndpi)) ||
	    f->packets >= c->max_packets)
		classify_decide(c, fs);
	else
		pack_flow(fs);
	return !(*fs)->decided;
}

bool classify_current(struct classify *c, const struct classify_flow *f, char *out, size_t outlen)
{
	if (outlen)
		out[0] = '\0';
	if (!f || !outlen)
		return false;
	if (f->decided) {
		if (f->have_res)
			snprintf(out, outlen, "%s", f->res[0].protocol);
		return out[0] != '\0';
	}
	if (!classify_is_detected(f->proto))
		return false;
	ndpi_protocol2name(c->ndpi, f->proto, out, (u_int)outlen);
	return out[0] != '\0';
}

void classify_finish(struct classify *c, struct classify_flow **fs, struct classify_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!*fs)
		return;
	if (!(*fs)->decided)
		classify_decide(c, fs);
	struct classify_flow *f = *fs;
	if (f->have_res)
		*out = f->res[0];
	free(f);
	*fs = NULL;
}

const char *classify_risk_name(unsigned bit)
{
	const char *s;

	if (bit == NDPI_NO_RISK || bit >= NDPI_MAX_RISK)
		return NULL;
	s = ndpi_risk2str((ndpi_risk_enum)bit);
	/* For values it has no name for, ndpi_risk2str() prints the number into a static buffer. */
	if (!s || (s[0] >= '0' && s[0] <= '9'))
		return NULL;
	return s;
}

size_t classify_flow_cost(const struct classify_flow *fs)
{
	if (!fs)
		return 0;
	if (fs->packed_len) {
		uint32_t extra;
		memcpy(&extra, fs->res, 4);
		return sizeof(*fs) + fs->packed_len + extra;
	}
	if (!fs->ndpi)
		return sizeof(*fs) + (fs->have_res ? sizeof(fs->res[0]) : 0);
	return sizeof(*fs) + SIZEOF_FLOW_STRUCT + ndpi_flow_extra(fs->ndpi);
}
