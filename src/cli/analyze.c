/* analyze.c - one capture file through the pipeline:
 * capture -> decode -> flow (reassembly -> tls, classify) -> store. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pipeline.h"
#include "tlsaudit/capture.h"
#include "tlsaudit/classify.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/flow.h"
#include "tlsaudit/store.h"

struct emit_ctx {
	struct store *st;
	int64_t capture_id;
	int failed; /* first store error, reported once */
	char err[256];
};

static int emit_record(const struct ta_record *r, void *ctx)
{
	struct emit_ctx *e = ctx;
	if (e->failed)
		return -1;
	int rc = store_add_record(e->st, e->capture_id, r, e->err, sizeof(e->err));
	if (rc < 0)
		e->failed = rc;
	return rc;
}

int analyze_file(const char *path, const struct read_opts *o, struct store *st, int64_t *ret_capture_id,
		 bool *ret_duplicate)
{
	char err[512];
	int status = EXIT_OK;
	struct capfile *cf = NULL;
	struct capfilter *flt = NULL;
	struct classify *cls = NULL;
	struct pipeline pl;
	bool pl_ready = false;
	struct store_capture *c = calloc(1, sizeof(*c));
	struct emit_ctx ec = {.st = st};
	if (!c)
		return EXIT_INTERNAL;

	int rc = capfile_open(path, &cf, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		status = EXIT_INPUT;
		goto out;
	}
	if (o->filter && capfilter_new(o->filter, &flt, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: filter: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}
	if (!o->no_ndpi) {
		if (classify_new(&cls, err, sizeof(err)) < 0) {
			fprintf(stderr, "tlsaudit: nDPI: %s\n", err);
			status = EXIT_INTERNAL;
			goto out;
		}
		classify_set_max_packets(cls, o->ndpi_packets);
	}

	snprintf(c->path, sizeof(c->path), "%s", path);
	if (gethostname(c->sensor, sizeof(c->sensor) - 1) < 0)
		c->sensor[0] = '\0';
	snprintf(c->status, sizeof(c->status), "reading");
	const struct cap_info *ci = capfile_info(cf);
	snprintf(c->format, sizeof(c->format), "%s", ci->format == CAP_PCAPNG ? "pcapng" : "pcap");
	if (store_capture_begin(st, c, &ec.capture_id, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		status = EXIT_DB;
		goto out;
	}
	if (pipeline_init(&pl, path, c, &o->lim, cls, flt, emit_record, &ec) < 0) {
		status = EXIT_INTERNAL;
		goto out;
	}
	pl_ready = true;

	bool cut = false;
	for (;;) {
		struct cap_frame fr;
		enum cap_status cs = capfile_next(cf, &fr, err, sizeof(err));
		if (cs == CAP_EOF)
			break;
		if (cs == CAP_CUT || cs == CAP_BAD) {
			fprintf(stderr, "tlsaudit: warning: %s\n", err);
			pipeline_warn(c, err);
			cut = true;
			status = EXIT_DAMAGED;
			break;
		}
		pipeline_frame(&pl, &fr);
		if (ec.failed)
			break;
	}
	pipeline_finish(&pl, cut);

	ci = capfile_info(cf);
	c->file_bytes = ci->bytes_read;
	memcpy(c->sha256, ci->sha256, sizeof(c->sha256));
	c->sha256_valid = ci->sha256_valid;
	snprintf(c->status, sizeof(c->status), "%s", cut ? "cut" : "complete");
	if (ec.failed) {
		fprintf(stderr, "tlsaudit: %s: %s\n", path, ec.err);
		status = EXIT_DB;
		goto out;
	}
	int64_t final_id = ec.capture_id;
	if (store_capture_end(st, ec.capture_id, c, &final_id, err, sizeof(err)) < 0 ||
	    store_commit(st, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		status = EXIT_DB;
		goto out;
	}
	*ret_capture_id = final_id;
	*ret_duplicate = final_id != ec.capture_id;
out:
	if (pl_ready)
		pipeline_done(&pl);
	classify_free(cls);
	capfilter_free(flt);
	capfile_free(cf);
	free(c);
	return status;
}
