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
#include "tlsaudit/decode.h"
#include "tlsaudit/flow.h"
#include "tlsaudit/output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int emit(const struct ta_record *r, void *ctx)
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
		struct flow_limits lim;
		flow_limits_default(&lim);
		lim.max_flows = 64;
		lim.max_memory = 1 << 20;
		struct ta_stats st;
		memset(&st, 0, sizeof(st));
		struct flow_table *t = NULL;
		if (out && flow_table_new(&lim, NULL, &st, emit, out, &t) == 0) {
			struct cap_frame fr;
			enum cap_status cs;
			while ((cs = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK) {
				struct pkt p;
				enum decode_status ds =
					decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p);
				if (ds == DECODE_OK)
					flow_packet(t, &p);
				else if (ds == DECODE_FRAGMENT)
					flow_fragment(t, &p);
			}
			flow_table_flush(t, cs != CAP_EOF);
			flow_table_free(t);
		}
		if (out)
			fclose(out);
		capfile_free(cf);
	}
	close(fd);
	return 0;
}
