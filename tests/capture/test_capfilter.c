/* test_capfilter.c - capfilter_* against tcpdump on real captures, and per-link-type compilation.
 * specification: include/tlsaudit/capture.h. argv[1] is the shared corpus directory.
 */
#include "tlsaudit/capture.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../check.h"

static const char *corpus;

/* frames of file matching expr, or -1 */
static long count_matches(const char *file, const char *expr)
{
	char path[4096], err[512];
	snprintf(path, sizeof(path), "%s/pcaps/%s", corpus, file);
	struct capfile *cf;
	struct capfilter *f;
	if (capfile_open(path, &cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, err);
		return -1;
	}
	if (capfilter_new(expr, &f, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, err);
		capfile_free(cf);
		return -1;
	}
	long n = 0;
	struct cap_frame fr;
	while (capfile_next(cf, &fr, err, sizeof(err)) == CAP_OK) {
		int m = capfilter_match(f, &fr, err, sizeof(err));
		if (m < 0) {
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, err);
			n = -1;
			break;
		}
		n += m;
	}
	capfilter_free(f);
	capfile_free(cf);
	return n;
}

/* expected: tcpdump -r F 'EXPR' 2>/dev/null | wc -l */
static const struct {
	const char *file, *expr;
	long expect;
} cases[] = {
	{"ndpi__ocs.pcap", "tcp port 443", 77},			       /* raw IP (LINKTYPE 101 -> DLT_RAW) */
	{"ja4__tls-sni.pcapng", "tcp port 443", 63},		       /* pcapng, Ethernet */
	{"zeek__openjdk-25.0.2-zeek.org.pcap", "tcp port 443", 6},     /* SLL2 */
	{"ndpi__tls_heur__trojan-tcp-tls.pcapng", "tcp port 443", 32}, /* SLL */
	{"arkime__ssl-selfsign.pcap", "tcp port 4443", 20},	       /* NULL */
	{"arkime__pppoe.pcap", "tcp port 443", 0},		       /* BPF needs "pppoes" */
	{"arkime__pppoe.pcap", "pppoes and tcp port 443", 10},
	{"arkime__mysql-tls.pcap", "tcp port 3306", 0}, /* BPF needs "vlan" */
	{"arkime__mysql-tls.pcap", "vlan and tcp port 3306", 10},
	{"ja4__ipv6.pcapng", "ip6 and tcp", 9},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "%s:%d: usage: test_capfilter CORPUS_DIR\n", __FILE__, __LINE__);
		return 1;
	}
	corpus = argv[1];
	char probe[4096];
	struct stat st;
	snprintf(probe, sizeof(probe), "%s/pcaps/ndpi__ocs.pcap", corpus);
	bool have_corpus = stat(probe, &st) == 0;
	if (!have_corpus)
		printf("SKIP: the filters against tcpdump on real captures need the shared corpus: %s: %s "
		       "(-Dcorpus=DIR "
		       "or TLSAUDIT_CORPUS at setup)\n",
		       probe, strerror(errno));
	for (size_t i = 0; have_corpus && i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n = count_matches(cases[i].file, cases[i].expr);
		if (n != cases[i].expect) {
			failures++;
			fprintf(stderr, "%s:%d: %s '%s': %ld matches, tcpdump says %ld\n", __FILE__, __LINE__,
				cases[i].file, cases[i].expr, n, cases[i].expect);
		}
		checks++;
	}

	/* syntax errors come back from capfilter_new with pcap's text */
	char err[512] = "";
	struct capfilter *f;
	CHECK(capfilter_new("tcp port", &f, err, sizeof(err)) < 0);
	CHECK(strstr(err, "syntax error") != NULL);
	CHECK(capfilter_new("tcp port 99999999", &f, err, sizeof(err)) < 0);

	/* a link type the expression cannot be compiled for: negative, message once */
	CHECK_EQ(capfilter_new("tcp", &f, err, sizeof(err)), 0);
	static const uint8_t junk[4] = {1, 2, 3, 4};
	struct cap_frame fr = {.ts_ns = 0, .linktype = 147 /* USER0 */, .data = junk, .caplen = 4, .wire_len = 4};
	err[0] = 0;
	CHECK(capfilter_match(f, &fr, err, sizeof(err)) < 0);
	CHECK(err[0] != 0);
	err[0] = 0;
	CHECK(capfilter_match(f, &fr, err, sizeof(err)) < 0);
	CHECK(err[0] == 0);
	/* more link types than cache slots: still right */
	static const uint32_t links[] = {1, 101, 113, 276, 0, 1, 101, 228, 229};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		fr.linktype = links[i];
		CHECK_EQ(capfilter_match(f, &fr, err, sizeof(err)), 0);
	}
	capfilter_free(f);
	capfilter_free(NULL);

	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
