/* analyze.c - one capture file through the pipeline:
 * capture -> decode -> flow (reassembly -> tls, classify) -> store. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tlsaudit/capture.h"
#include "tlsaudit/classify.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/flow.h"
#include "tlsaudit/store.h"

struct emit_ctx {
	struct store *st;
	int64_t capture_id;
	int failed;          /* first store error, reported once */
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

static void add_warning(struct store_capture *c, const char *msg)
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
		add_warning(c, w);
	}
}

int analyze_file(const char *path, const struct read_opts *o, struct store *st, int64_t *ret_capture_id,
		 bool *ret_duplicate)
{
	char err[512];
	int status = EXIT_OK;
	struct capfile *cf = NULL;
	struct capfilter *flt = NULL;
	struct classify *cls = NULL;
	struct flow_table *ft = NULL;
	struct store_capture *c = calloc(1, sizeof(*c));
	struct emit_ctx ec = { .st = st };
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
	if (flow_table_new(&o->lim, cls, &c->stats, emit_record, &ec, &ft) < 0) {
		status = EXIT_INTERNAL;
		goto out;
	}

	bool unsupported_warned = false, cut = false, filter_warned = false;
	uint32_t last_lt = UINT32_MAX;
	for (;;) {
		struct cap_frame fr;
		enum cap_status cs = capfile_next(cf, &fr, err, sizeof(err));
		if (cs == CAP_EOF)
			break;
		if (cs == CAP_CUT || cs == CAP_BAD) {
			fprintf(stderr, "tlsaudit: warning: %s\n", err);
			add_warning(c, err);
			cut = true;
			status = EXIT_DAMAGED;
			break;
		}
		c->stats.frames++;
		c->stats.frame_bytes += fr.caplen;
		if (c->first_ns == 0 || fr.ts_ns < c->first_ns)
			c->first_ns = fr.ts_ns;
		if (fr.ts_ns > c->last_ns)
			c->last_ns = fr.ts_ns;
		if (fr.linktype != last_lt) {
			note_linktype(c, fr.linktype, &unsupported_warned);
			last_lt = fr.linktype;
		}
		if (flt) {
			int m = capfilter_match(flt, &fr, err, sizeof(err));
			if (m < 0 && !filter_warned) {
				filter_warned = true;
				fprintf(stderr, "tlsaudit: warning: %s: filter: %s\n", path, err);
				add_warning(c, err);
			}
			if (m <= 0) {
				c->stats.filtered_out++;
				continue;
			}
		}
		struct pkt p;
		enum decode_status ds = decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p);
		if (fr.caplen < fr.wire_len)
			c->stats.snaplen_cut++;
		switch (ds) {
		case DECODE_OK:
			c->stats.tcp_packets++;
			flow_packet(ft, &p);
			break;
		case DECODE_FRAGMENT:
			c->stats.ip_fragments++;
			flow_fragment(ft, &p);
			break;
		case DECODE_NOT_TCP:
			c->stats.not_tcp++;
			break;
		case DECODE_UNSUPPORTED_LINK:
			c->stats.unsupported_link++;
			break;
		case DECODE_TRUNCATED:
			if (fr.caplen < fr.wire_len) {
				flow_note_snaplen(ft, &p);
				break;
			}
			c->stats.decode_errors++;
			break;
		case DECODE_MALFORMED:
			c->stats.decode_errors++;
			break;
		}
		if (ec.failed)
			break;
	}
	flow_table_flush(ft, cut);

	ci = capfile_info(cf);
	c->file_bytes = ci->bytes_read;
	memcpy(c->sha256, ci->sha256, sizeof(c->sha256));
	c->sha256_valid = ci->sha256_valid;
	snprintf(c->status, sizeof(c->status), "%s", cut ? "cut" : "complete");
	if (c->stats.snaplen_cut) {
		char w[160];
		snprintf(w, sizeof(w), "%" PRIu64 " of %" PRIu64 " frames were cut short by the snapshot length",
			 c->stats.snaplen_cut, c->stats.frames);
		fprintf(stderr, "tlsaudit: warning: %s: %s\n", path, w);
		add_warning(c, w);
	}
	if (c->stats.ip_fragments) {
		char w[160];
		snprintf(w, sizeof(w), "%" PRIu64 " IP fragments were not reassembled", c->stats.ip_fragments);
		fprintf(stderr, "tlsaudit: warning: %s: %s\n", path, w);
		add_warning(c, w);
	}
	if (c->stats.frames == 0 && !cut) {
		fprintf(stderr, "tlsaudit: warning: %s: capture holds no packets\n", path);
		add_warning(c, "capture holds no packets");
	}
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
	flow_table_free(ft);
	classify_free(cls);
	capfilter_free(flt);
	capfile_free(cf);
	free(c);
	return status;
}
