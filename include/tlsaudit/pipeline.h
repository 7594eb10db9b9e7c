/* pipeline.h - one capture's frames to connection records: counters, optional BPF filter, decode, flow
 * (reassembly), TLS, STARTTLS, classification, record. The one wiring of the stages, used by `read`,
 * `capture`, the fuzzers and the tests alike.
 *
 * Contract. A pipeline belongs to one thread. Frames are borrowed for the call. Each finished connection in
 * which a TLS hello (or a refused STARTTLS upgrade) was seen reaches the sink once, as a ta_conn whose dict
 * references are valid for the call only (dict_ref() them to keep them; they belong to pipeline_dict()). The
 * sink may not call back into the pipeline. Order: connections reach the sink as they are decided, which is
 * not the order of their first packets (ta_conn.seq gives that order).
 */
#ifndef TLSAUDIT_PIPELINE_H
#define TLSAUDIT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/limits.h"
#include "tlsaudit/record.h"
#include "tlsaudit/stats.h"

struct dict;
struct capfilter;

struct pipeline_opts {
	struct ta_limits lim;
	bool ndpi;		  /* classify with nDPI (application labels) */
	bool ndpi_every_flow;	  /* give nDPI every flow and report its own risks (a reference for tests; slow) */
	const char *name;	  /* input name for messages */
	struct capfilter *filter; /* borrowed; NULL = every frame */
	bool quiet_warnings;	  /* do not print warnings on stderr (they are still added to facts) */
};

struct pipeline_sink {
	int (*conn)(void *ctx, const struct ta_conn *c); /* non-zero: the sink failed (remembered, see below) */
	void *ctx;
};

struct pipeline;

/* facts is borrowed and updated as frames go by (counters, times, link types, warnings). Returns 0 or a
 * negative errno with err set. */
int pipeline_new(const struct pipeline_opts *o, const struct pipeline_sink *sink, struct ta_capture_facts *facts,
		 struct pipeline **ret, char *err, size_t errlen);
/* One frame. Returns true when the frame belongs to a TCP flow whose handshake was still undecided (the
 * evidence worth keeping). */
bool pipeline_frame(struct pipeline *pl, const struct cap_frame *fr);
/* One decoded TCP packet (tests and fuzzers that make their own packets; frames go through pipeline_frame). */
bool pipeline_packet(struct pipeline *pl, const struct pkt *p);
/* Finish flows idle since before now_ns - idle timeout (live capture: wall clock). */
void pipeline_expire(struct pipeline *pl, int64_t now_ns);
/* End of input: finish every open flow (cut = the input ended mid-packet) and add the end-of-input warnings. */
void pipeline_finish(struct pipeline *pl, bool cut);
/* The first non-zero result of the sink, 0 if none. */
int pipeline_sink_error(const struct pipeline *pl);
/* The dict that the records' references belong to. */
struct dict *pipeline_dict(struct pipeline *pl);
/* Append a line to facts->warnings (bounded). */
void pipeline_warn(struct ta_capture_facts *facts, const char *msg);
size_t pipeline_memory(const struct pipeline *pl); /* flow table and shared entries, bytes */
void pipeline_free(struct pipeline *pl);	   /* ends nothing; accepts NULL */

#endif
