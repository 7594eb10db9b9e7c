/* pipeline.c - per-frame work shared by `tlsaudit read` and `tlsaudit capture`:
 * capture frame -> counters -> (BPF) -> decode -> flow (reassembly -> tls, classify). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pipeline.h"
#include "tlsaudit/decode.h"

void pipeline_warn(struct store_capture *c, const char *msg)
{
	size_t used = strnlen(c->warnings, sizeof(c->warnings));
	if (used + 2 >= sizeof(c->warnings))
		return;
	snprintf(c->warnings + used, sizeof(c->warnings) - used, "%s%s", used ? "\n" : "", msg);
}

static void note_linktype(struct store_capture *c, uint32_t lt, bool *seen_unsupported)
{
	const char *name = decode_link_name(lt);
	char buf[32];
	if (!name) {
		snprintf(buf, sizeof(buf), "%u", lt);
		name = buf;
	}
	if (strstr(c->linktypes, name))
		return;
	size_t used = strnlen(c->linktypes, sizeof(c->linktypes));
	snprintf(c->linktypes + used, sizeof(c->linktypes) - used, "%s%s", used ? "," : "", name);
	if (!decode_link_supported(lt) && !*seen_unsupported) {
		*seen_unsupported = true;
		char w[160];
		snprintf(w, sizeof(w), "unsupported link type %s: its frames are skipped", name);
		pipeline_warn(c, w);
	}
}

int pipeline_init(struct pipeline *pl, const char *name, struct store_capture *cap, const struct flow_limits *lim,
		  struct classify *cls, struct capfilter *flt, flow_emit_fn emit, void *emit_ctx)
{
	memset(pl, 0, sizeof(*pl));
	pl->cap = cap;
	pl->name = name;
	pl->flt = flt;
	pl->last_lt = UINT32_MAX;
	return flow_table_new(lim, cls, &cap->stats, emit, emit_ctx, &pl->ft);
}

bool pipeline_frame(struct pipeline *pl, const struct cap_frame *fr)
{
	struct store_capture *c = pl->cap;
	char err[256];

	c->stats.frames++;
	c->stats.frame_bytes += fr->caplen;
	if (c->first_ns == 0 || fr->ts_ns < c->first_ns)
		c->first_ns = fr->ts_ns;
	if (fr->ts_ns > c->last_ns)
		c->last_ns = fr->ts_ns;
	if (fr->linktype != pl->last_lt) {
		note_linktype(c, fr->linktype, &pl->unsupported_warned);
		pl->last_lt = fr->linktype;
	}
	if (pl->flt) {
		int m = capfilter_match(pl->flt, fr, err, sizeof(err));
		if (m < 0 && !pl->filter_warned) {
			pl->filter_warned = true;
			fprintf(stderr, "tlsaudit: warning: %s: filter: %s\n", pl->name, err);
			pipeline_warn(c, err);
		}
		if (m <= 0) {
			c->stats.filtered_out++;
			return false;
		}
	}
	struct pkt p;
	enum decode_status ds = decode_packet(fr->linktype, fr->data, fr->caplen, fr->wire_len, fr->ts_ns, &p);
	if (fr->caplen < fr->wire_len)
		c->stats.snaplen_cut++;
	switch (ds) {
	case DECODE_OK: c->stats.tcp_packets++; return flow_packet(pl->ft, &p);
	case DECODE_FRAGMENT:
		c->stats.ip_fragments++;
		flow_fragment(pl->ft, &p);
		break;
	case DECODE_NOT_TCP: c->stats.not_tcp++; break;
	case DECODE_UNSUPPORTED_LINK: c->stats.unsupported_link++; break;
	case DECODE_TRUNCATED:
		if (fr->caplen < fr->wire_len) {
			flow_note_snaplen(pl->ft, &p);
			break;
		}
		c->stats.decode_errors++;
		break;
	case DECODE_MALFORMED: c->stats.decode_errors++; break;
	}
	return false;
}

void pipeline_finish(struct pipeline *pl, bool cut)
{
	struct store_capture *c = pl->cap;

	flow_table_flush(pl->ft, cut);
	if (c->stats.snaplen_cut) {
		char w[160];
		snprintf(w, sizeof(w), "%" PRIu64 " of %" PRIu64 " frames were cut short by the snapshot length",
			 c->stats.snaplen_cut, c->stats.frames);
		fprintf(stderr, "tlsaudit: warning: %s: %s\n", pl->name, w);
		pipeline_warn(c, w);
	}
	if (c->stats.ip_fragments) {
		char w[160];
		snprintf(w, sizeof(w), "%" PRIu64 " IP fragments were not reassembled", c->stats.ip_fragments);
		fprintf(stderr, "tlsaudit: warning: %s: %s\n", pl->name, w);
		pipeline_warn(c, w);
	}
	if (c->stats.frames == 0 && !cut) {
		fprintf(stderr, "tlsaudit: warning: %s: capture holds no packets\n", pl->name);
		pipeline_warn(c, "capture holds no packets");
	}
}

void pipeline_done(struct pipeline *pl)
{
	flow_table_free(pl->ft);
	pl->ft = NULL;
}
