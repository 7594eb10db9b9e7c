/* fuzz_capture.c - fuzz target: the whole pipeline on a capture file: our
 * pcap/pcapng reader, the decoder, flows, TLS and the NDJSON writer (no nDPI,
 * no database: those are libraries with their own fuzzing). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	char path[64], err[512];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct capfile *cf;
	if (capfile_open(path, &cf, err, sizeof(err)) == 0) {
		FILE *out = fopen("/dev/null", "w");
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
		if (out && pipeline_new(&o, &ps, &facts, &t, err, sizeof(err)) == 0) {
			struct cap_frame fr;
			enum cap_status cs;
			while ((cs = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK)
				pipeline_frame(t, &fr);
			pipeline_finish(t, cs != CAP_EOF);
			pipeline_free(t);
		}
		if (out)
			fclose(out);
		capfile_free(cf);
	}
	close(fd);
	return 0;
}
