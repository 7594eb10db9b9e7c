/* analyze.c - one capture file through the pipeline into the database writer:
 * capture -> pipeline (decode, flow, tls, classify, record) -> store queue. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "tlsaudit/capture.h"
#include "tlsaudit/pipeline.h"
#include "tlsaudit/store.h"

struct sink_ctx {
	struct store_queue *q;
};

static int sink_conn(void *ctx, const struct ta_conn *c)
{
	struct sink_ctx *s = ctx;
	return store_queue_conn(s->q, c);
}

/* append "; name=value" (or "name=value" first) */
static void opt_add(char *buf, size_t len, const char *name, const char *value)
{
	size_t used = strnlen(buf, len);
	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s=%s", used ? "; " : "", name, value);
}

void cli_analysis_options(const struct read_opts *o, const struct ta_capture_facts *f, char *buf, size_t len)
{
	const struct ta_stats *s = &f->stats;
	struct ta_limits def;
	char v[64];

	buf[0] = '\0';
	if (o->filter)
		opt_add(buf, len, "filter", o->filter);
	if (o->no_ndpi)
		opt_add(buf, len, "ndpi", "off");
	else if (o->ndpi_every_flow)
		opt_add(buf, len, "ndpi", "every-flow");
	if (o->count) {
		snprintf(v, sizeof(v), "%" PRIu64, o->count);
		opt_add(buf, len, "count", v); /* -c stopped the read before the end */
	}
	/* limits change results only when they dropped something: then every non-default limit is part of the
	 * analysis' identity */
	if (!(s->flows_evicted || s->reasm_bytes_capped || s->reasm_ooo_dropped || s->mem_capped || s->hs_too_big ||
	      s->certs_capped))
		return;
	ta_limits_default(&def);
#define LIMIT_OPTION(field, opt, kind, d, min, max, help)         \
	if (o->lim.field != def.field) {                          \
		snprintf(v, sizeof(v), "%" PRIu64, o->lim.field); \
		opt_add(buf, len, opt, v);                        \
	}
	TA_LIMIT_OPTIONS(LIMIT_OPTION)
#undef LIMIT_OPTION
	if (!buf[0])
		opt_add(buf, len, "limits", "default");
}

/* What one file added to the progress line so far: the line shows the sum over the files being read. */
struct progress_mark {
	uint64_t bytes, packets, conns;
};

static void progress_since(struct progress *p, struct progress_mark *m, const struct capfile *cf,
			   const struct ta_stats *s)
{
	if (!p)
		return;
	uint64_t b = capfile_file_bytes(cf);
	progress_add(p, b - m->bytes, s->frames - m->packets, s->flows_tls - m->conns);
	*m = (struct progress_mark){b, s->frames, s->flows_tls};
}

void analyze_file(const char *path, const struct read_opts *o, struct store_writer *w, struct analyze_result *ret)
{
	char err[512];
	struct capfile *cf = NULL;
	struct capfilter *flt = NULL;
	struct pipeline *pl = NULL;
	struct store_queue *q = NULL;
	struct sink_ctx sink = {0};
	struct store_capture *c = calloc(1, sizeof(*c));

	memset(ret, 0, sizeof(*ret));
	ret->status = EXIT_OK;
	if (!c) {
		ret->status = EXIT_INTERNAL;
		return;
	}
	if (capfile_open(path, &cf, err, sizeof(err)) < 0) {
		progress_message(o->progress, "tlsaudit: %s", err);
		ret->status = EXIT_INPUT;
		goto out;
	}
	if (o->filter && capfilter_new(o->filter, &flt, err, sizeof(err)) < 0) {
		progress_message(o->progress, "tlsaudit: filter: %s", err);
		ret->status = EXIT_USAGE;
		goto out;
	}
	struct pipeline_opts po = {
		.lim = o->lim, .ndpi = !o->no_ndpi, .ndpi_every_flow = o->ndpi_every_flow, .name = path, .filter = flt};
	struct pipeline_sink ps = {.conn = sink_conn, .ctx = &sink};
	if (pipeline_new(&po, &ps, &c->facts, &pl, err, sizeof(err)) < 0) {
		progress_message(o->progress, "tlsaudit: %s: %s", path, err);
		ret->status = EXIT_INTERNAL;
		goto out;
	}
	if (store_queue_new(w, pipeline_dict(pl), &q) < 0) {
		ret->status = EXIT_INTERNAL;
		goto out;
	}
	sink.q = q;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (gethostname(c->sensor, sizeof(c->sensor) - 1) < 0)
		c->sensor[0] = '\0';
	snprintf(c->status, sizeof(c->status), "reading");
	const struct cap_info *ci = capfile_info(cf);
	snprintf(c->format, sizeof(c->format), "%s%s%s", ci->format == CAP_PCAPNG ? "pcapng" : "pcap",
		 ci->compression[0] ? "+" : "", ci->compression);
	if (store_queue_capture_begin(q, c) < 0) {
		ret->status = EXIT_INTERNAL;
		goto out;
	}

	bool cut = false, stopped = false;
	struct progress_mark mark = {0};
	for (;;) {
		struct cap_frame fr;
		enum cap_status cs = capfile_next(cf, &fr, err, sizeof(err));
		if (cs == CAP_EOF)
			break;
		if (cs == CAP_CUT || cs == CAP_BAD) {
			progress_message(o->progress, "tlsaudit: warning: %s", err);
			pipeline_warn(&c->facts, err);
			cut = true;
			ret->status = EXIT_DAMAGED;
			break;
		}
		pipeline_frame(pl, &fr);
		if (pipeline_sink_error(pl))
			break;
		if (o->progress && (c->facts.stats.frames & 15) == 0)
			progress_since(o->progress, &mark, cf, &c->facts.stats);
		/* -c N: N packets that passed the filter, as tcpdump counts; a file of exactly N is read whole */
		if (o->count && c->facts.stats.frames - c->facts.stats.filtered_out >= o->count) {
			if (capfile_next(cf, &fr, err, sizeof(err)) == CAP_EOF)
				break;
			char note[96];
			snprintf(note, sizeof(note), "stopped after %" PRIu64 " packets (-c)", o->count);
			pipeline_warn(&c->facts, note);
			stopped = true;
			break;
		}
	}
	if (!pipeline_sink_error(pl))
		pipeline_finish(pl, cut);
	progress_since(o->progress, &mark, cf, &c->facts.stats);

	ci = capfile_info(cf);
	c->file_bytes = ci->bytes_read;
	memcpy(c->sha256, ci->sha256, sizeof(c->sha256));
	c->sha256_valid = ci->sha256_valid;
	snprintf(c->status, sizeof(c->status), "%s", cut ? "cut" : "complete");
	struct read_opts ao = *o;
	if (!stopped)
		ao.count = 0;
	cli_analysis_options(&ao, &c->facts, c->options, sizeof(c->options));
	struct store_capture_result res;
	if (store_queue_capture_end(q, c, &res, err, sizeof(err)) < 0) {
		progress_message(o->progress, "tlsaudit: %s: %s", path, err);
		ret->status = EXIT_DB;
		goto out;
	}
	ret->id = res.id;
	ret->dup = res.duplicate;
	ret->summary = res.summary;
out:
	store_queue_free(q); /* gives the dict's references back before the pipeline (and its dict) goes */
	pipeline_free(pl);
	capfilter_free(flt);
	capfile_free(cf);
	free(c);
}
