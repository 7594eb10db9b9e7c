/* pipeline.h - the per-frame work shared by `read` and `capture`: counters,
 * link types, optional userspace BPF, decode, and the flow table. */
#ifndef TLSAUDIT_CLI_PIPELINE_H
#define TLSAUDIT_CLI_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/flow.h"
#include "tlsaudit/store.h"

struct classify;

struct pipeline {
	struct store_capture *cap; /* borrowed: counters, link types, times, warnings */
	const char *name;	   /* input name for messages */
	struct capfilter *flt;	   /* borrowed, NULL = every frame */
	struct flow_table *ft;	   /* owned */
	uint32_t last_lt;	   /* link type of the previous frame */
	bool unsupported_warned, filter_warned;
};

/* Set up the flow table (emit is called per finished connection). cls and flt
 * are borrowed and may be NULL. Returns 0 or a negative errno. */
int pipeline_init(struct pipeline *pl, const char *name, struct store_capture *cap, const struct flow_limits *lim,
		  struct classify *cls, struct capfilter *flt, flow_emit_fn emit, void *emit_ctx);
/* One frame through filter, decode and flow. Returns true when the frame belongs
 * to a TCP flow whose handshake is still undecided (evidence worth keeping). */
bool pipeline_frame(struct pipeline *pl, const struct cap_frame *fr);
/* End of input: finish every open flow (cut = the input ended mid-packet) and
 * add the end-of-input warnings (snaplen, fragments, empty) to cap. */
void pipeline_finish(struct pipeline *pl, bool cut);
/* Append a line to cap->warnings (bounded). */
void pipeline_warn(struct store_capture *cap, const char *msg);
void pipeline_done(struct pipeline *pl);

#endif
