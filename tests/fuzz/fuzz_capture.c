/* fuzz_capture.c - fuzz target: the whole pipeline on a capture file: our
 * pcap/pcapng reader, the decoder, flows, TLS and the NDJSON writer (no nDPI,
 * no database: those are libraries with their own fuzzing). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/output.h"
#include "tlsaudit/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int emit(void *ctx, const struct ta_conn *r)
{
	return out_ndjson_record(ctx, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	char err[512];
	struct capfile *cf;
	if (!out && !(out = fopen("/dev/null", "w")))
		return 0;
	/* in memory, read on this thread: the parsing, decompression and hashing of a file, without a reader
	 * thread per input */
	if (capfile_open_mem(data, size, "fuzz", &cf, err, sizeof(err)) == 0) {
		struct pipeline_opts o;
		memset(&o, 0, sizeof(o));
		ta_limits_default(&o.lim);
		o.lim.max_flows = 64;
		o.lim.max_memory = 1 << 20;
		o.quiet_warnings = true;
		static struct ta_capture_facts facts;
		memset(&facts, 0, sizeof(facts));
		struct pipeline_sink ps = {.conn = emit, .ctx = out};
		struct pipeline *t = NULL;
		if (pipeline_new(&o, &ps, &facts, &t, err, sizeof(err)) == 0) {
			struct cap_frame fr;
			enum cap_status cs;
			while ((cs = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK)
				pipeline_frame(t, &fr);
			pipeline_finish(t, cs != CAP_EOF);
			pipeline_free(t);
		}
		capfile_free(cf);
	}
	return 0;
}
