/* test_classify.c - classify (nDPI 4.2 adapter) fed with real packets from the shared pcap corpus. */

/*
 * The packet decoder is a separate stage; to test classify on its own this file reads Ethernet captures
 * with libpcap and does a minimal Ethernet (+802.1Q) / IPv4 / IPv6 / TCP split itself. Test code only.
 *
 * Expected values were observed with this adapter and cross-checked against Debian 12's ndpiReader 4.2
 * (`ndpiReader -d -i FILE -v 2`, flow lines) and, for JA3, against tshark 4.0.17
 * (`tshark -r FILE -Y tls.handshake.type==1 -T fields -e tls.handshake.ja3 -e tls.handshake.ja3_full`;
 * md5(ja3_full) == ja3 checked with md5sum).
 */

#include "tlsaudit/classify.h"

#include <dirent.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TEST_MAX_FLOWS 64
#define TEST_MAX_RISKS 4

static int test_failures;

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
			test_failures++;                                                \
		}                                                                       \
	} while (0)

struct test_key {
	uint8_t addr[2][16]; /* [0] = client, [1] = server */
	uint16_t port[2];
	uint8_t family; /* 4 or 6 */
};

struct test_flow {
	struct test_key key;
	struct classify_flow *cf;
	bool feeding;		/* classify still wants packets */
	unsigned fed;		/* packets fed */
	size_t recognised_cost; /* classify_flow_cost() after the packet nDPI first recognised, if it wanted more */
	struct classify_result res;
	bool finished;
};

struct test_capture {
	struct test_flow flows[TEST_MAX_FLOWS];
	size_t nflows;
};

/* A borrowed view of one TCP/IP packet inside a frame. */
struct test_pkt {
	const uint8_t *l3;
	size_t l3_len;
	uint8_t family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t tcp_flags;
};

static uint16_t test_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Minimal Ethernet / 802.1Q / IPv4 / IPv6 / TCP split; false for anything else. */
static bool test_split(const uint8_t *frame, size_t caplen, struct test_pkt *pkt)
{
	size_t off = 12, l4off;
	uint16_t type;
	uint8_t proto;

	if (caplen < 14)
		return false;
	type = test_be16(frame + off);
	off += 2;
	while (type == 0x8100 || type == 0x88a8) {
		if (caplen - off < 4)
			return false;
		type = test_be16(frame + off + 2);
		off += 4;
	}
	pkt->l3 = frame + off;
	pkt->l3_len = caplen - off;
	memset(pkt->src, 0, sizeof(pkt->src));
	memset(pkt->dst, 0, sizeof(pkt->dst));
	if (type == 0x0800) {
		size_t ihl, tot;
		if (pkt->l3_len < 20 || (pkt->l3[0] >> 4) != 4)
			return false;
		ihl = (size_t)(pkt->l3[0] & 0x0f) * 4;
		tot = test_be16(pkt->l3 + 2);
		if (ihl < 20 || tot < ihl || tot > pkt->l3_len)
			return false;
		pkt->l3_len = tot; /* drop Ethernet padding */
		proto = pkt->l3[9];
		pkt->family = 4;
		memcpy(pkt->src, pkt->l3 + 12, 4);
		memcpy(pkt->dst, pkt->l3 + 16, 4);
		l4off = ihl;
	} else if (type == 0x86dd) {
		size_t plen;
		if (pkt->l3_len < 40 || (pkt->l3[0] >> 4) != 6)
			return false;
		plen = test_be16(pkt->l3 + 4);
		if (plen > pkt->l3_len - 40)
			return false;
		pkt->l3_len = 40 + plen;
		proto = pkt->l3[6]; /* no extension headers in the captures used here */
		pkt->family = 6;
		memcpy(pkt->src, pkt->l3 + 8, 16);
		memcpy(pkt->dst, pkt->l3 + 24, 16);
		l4off = 40;
	} else {
		return false;
	}
	if (proto != 6 || pkt->l3_len - l4off < 20)
		return false;
	pkt->sport = test_be16(pkt->l3 + l4off);
	pkt->dport = test_be16(pkt->l3 + l4off + 2);
	pkt->tcp_flags = pkt->l3[l4off + 13];
	return true;
}

/* Find the flow of pkt; *from_client tells the direction. New flows: client = sender of the first packet
 * (the captures used here all start with the SYN). */
static struct test_flow *test_lookup(struct test_capture *cap, const struct test_pkt *pkt, bool *from_client)
{
	for (size_t i = 0; i < cap->nflows; i++) {
		struct test_key *k = &cap->flows[i].key;
		if (k->family != pkt->family)
			continue;
		if (!memcmp(k->addr[0], pkt->src, 16) && !memcmp(k->addr[1], pkt->dst, 16) &&
		    k->port[0] == pkt->sport && k->port[1] == pkt->dport) {
			*from_client = true;
			return &cap->flows[i];
		}
		if (!memcmp(k->addr[1], pkt->src, 16) && !memcmp(k->addr[0], pkt->dst, 16) &&
		    k->port[1] == pkt->sport && k->port[0] == pkt->dport) {
			*from_client = false;
			return &cap->flows[i];
		}
	}
	if (cap->nflows == TEST_MAX_FLOWS)
		return NULL;
	struct test_flow *f = &cap->flows[cap->nflows++];
	memset(f, 0, sizeof(*f));
	f->key.family = pkt->family;
	memcpy(f->key.addr[0], pkt->src, 16);
	memcpy(f->key.addr[1], pkt->dst, 16);
	f->key.port[0] = pkt->sport;
	f->key.port[1] = pkt->dport;
	f->feeding = true;
	*from_client = true;
	return f;
}

/* Run a whole capture through c; every flow is finished. Returns 0 or -1 (capture unreadable). */
static int test_run(struct classify *c, const char *dir, const char *name, struct test_capture *cap)
{
	char path[4096], errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int rc;

	memset(cap, 0, sizeof(*cap));
	rc = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (rc < 0 || (size_t)rc >= sizeof(path))
		return -1;
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "FAIL: cannot open %s: %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "FAIL: %s: link type %d is not Ethernet\n", path, pcap_datalink(p));
		pcap_close(p);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct test_pkt pkt;
		struct test_flow *f;
		bool from_client;
		int64_t ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec; /* nano precision */

		if (!test_split(data, h->caplen, &pkt))
			continue;
		f = test_lookup(cap, &pkt, &from_client);
		if (!f || !f->feeding)
			continue;
		CHECK(f->fed > 0 || f->cf == NULL, "flow state must not exist before the first packet");
		f->feeding = classify_packet(c, &f->cf, pkt.l3, pkt.l3_len, ts_ns, from_client);
		f->fed++;
		CHECK(f->cf != NULL, "flow state must exist after the first packet");
		char now[64];
		if (f->feeding && !f->recognised_cost && classify_current(c, f->cf, now, sizeof(now)))
			f->recognised_cost = classify_flow_cost(f->cf);
	}
	pcap_close(p);
	for (size_t i = 0; i < cap->nflows; i++) {
		classify_finish(c, &cap->flows[i].cf, &cap->flows[i].res);
		CHECK(cap->flows[i].cf == NULL, "classify_finish must clear *fs");
		cap->flows[i].finished = true;
	}
	return 0;
}

/* The flow whose server port is port (first one). */
static const struct test_flow *test_flow_by_port(const struct test_capture *cap, uint16_t port)
{
	for (size_t i = 0; i < cap->nflows; i++)
		if (cap->flows[i].key.port[1] == port)
			return &cap->flows[i];
	return NULL;
}

static void test_print_risks(FILE *out, uint64_t risks)
{
	for (unsigned b = 0; b < 64; b++) {
		if (!(risks & ((uint64_t)1 << b)))
			continue;
		const char *n = classify_risk_name(b);
		fprintf(out, " [%u:%s]", b, n ? n : "?");
	}
}

/* One expected nDPI verdict for one flow of one capture. */
struct test_case {
	const char *pcap;
	uint16_t server_port;
	const char *protocol;
	const char *risks[TEST_MAX_RISKS]; /* nDPI risk names, exact set */
	const char *ja3;
	unsigned max_fed; /* packets nDPI needed, upper bound */
};

static const struct test_case test_cases[] = {
	/* ndpiReader: [proto: 91/TLS] [Risk: ** TLS (probably) Not Carrying HTTPS **** Missing SNI TLS Extension **]
	 * [TLSv1.2][JA3C: bd9c99b3a0f752c3ab8b052a79e9de3e]; tshark ja3 agrees. DPI packets 8. */
	{.pcap = "zeek__tls1.2.pcap",
	 .server_port = 443,
	 .protocol = "TLS",
	 .risks = {"TLS (probably) Not Carrying HTTPS", "Missing SNI TLS Extension"},
	 .ja3 = "bd9c99b3a0f752c3ab8b052a79e9de3e",
	 .max_fed = 12},
	/* ndpiReader: [proto: 91.126/TLS.Google][Risk: ** Obsolete TLS Version (1.1 or older) **][TLSv1]
	 * [JA3C: 503053a0c5b2bd9b9334bf7f3d3b8852]; tshark ja3 agrees. DPI packets 10. No SNI in the hello but
	 * nDPI 4.2 does not flag it here (Google is recognised from the server address). */
	{.pcap = "arkime__openssl-tls1.pcap",
	 .server_port = 443,
	 .protocol = "TLS.Google",
	 .risks = {"Obsolete TLS Version (1.1 or older)"},
	 .ja3 = "503053a0c5b2bd9b9334bf7f3d3b8852",
	 .max_fed = 12},
	/* ndpiReader: [proto: 91.126/TLS.Google][Risk: ** Obsolete TLS Version (1.1 or older) **** Missing SNI TLS
	 * Extension **][TLSv1.1][JA3C: 5eb6e1fe80f696450a62a48bb3d6a965]; tshark ja3 agrees. DPI packets 10. */
	{.pcap = "zeek__tls1_1.pcap",
	 .server_port = 443,
	 .protocol = "TLS.Google",
	 .risks = {"Obsolete TLS Version (1.1 or older)", "Missing SNI TLS Extension"},
	 .ja3 = "5eb6e1fe80f696450a62a48bb3d6a965",
	 .max_fed = 12},
	/* ndpiReader: [proto: 91.126/TLS.Google][Risk: ** Obsolete TLS Version (1.1 or older) **** Missing SNI TLS
	 * Extension **][TLSv1.1][JA3C: a314eb64cee6cb832aaaa372c8295bab]. */
	{.pcap = "arkime__openssl-tls1_1.pcap",
	 .server_port = 443,
	 .protocol = "TLS.Google",
	 .risks = {"Obsolete TLS Version (1.1 or older)", "Missing SNI TLS Extension"},
	 .ja3 = "a314eb64cee6cb832aaaa372c8295bab",
	 .max_fed = 12},
	/* ndpiReader: [proto: 3.126/SMTP.Google][ClearText], no risk, no JA3: nDPI 4.2 does not follow STARTTLS
	 * into the TLS handshake (so it is "SMTP", not "SMTPS"). */
	{.pcap = "zeek__smtp-starttls.pcap",
	 .server_port = 25,
	 .protocol = "SMTP.Google",
	 .risks = {NULL},
	 .ja3 = "",
	 .max_fed = CLASSIFY_MAX_PACKETS_DEFAULT},
};

static uint64_t test_risk_mask(const char *const names[TEST_MAX_RISKS], bool *ok)
{
	uint64_t m = 0;

	*ok = true;
	for (size_t i = 0; i < TEST_MAX_RISKS && names[i]; i++) {
		bool found = false;
		for (unsigned b = 0; b < 64; b++) {
			const char *n = classify_risk_name(b);
			if (n && !strcmp(n, names[i])) {
				m |= (uint64_t)1 << b;
				found = true;
			}
		}
		if (!found)
			*ok = false;
	}
	return m;
}

static void test_corpus(struct classify *c, const char *dir)
{
	static struct test_capture cap;

	for (size_t i = 0; i < sizeof(test_cases) / sizeof(test_cases[0]); i++) {
		const struct test_case *tc = &test_cases[i];
		const struct test_flow *f;
		uint64_t want;
		bool names_ok;

		if (test_run(c, dir, tc->pcap, &cap) != 0) {
			test_failures++;
			continue;
		}
		f = test_flow_by_port(&cap, tc->server_port);
		CHECK(f != NULL, "%s: no flow to port %u", tc->pcap, tc->server_port);
		if (!f)
			continue;
		printf("%s: protocol \"%s\" ja3 \"%s\" fed %u%s, %zu bytes once recognised, risks", tc->pcap,
		       f->res.protocol, f->res.ja3, f->fed, f->feeding ? " (still wanted more)" : "",
		       f->recognised_cost);
		test_print_risks(stdout, f->res.risks);
		putchar('\n');

		want = test_risk_mask(tc->risks, &names_ok);
		CHECK(names_ok, "%s: an expected risk name is unknown to nDPI", tc->pcap);
		CHECK(!strcmp(f->res.protocol, tc->protocol), "%s: protocol \"%s\", want \"%s\"", tc->pcap,
		      f->res.protocol, tc->protocol);
		CHECK(f->res.risks == want, "%s: risks %#llx, want %#llx", tc->pcap, (unsigned long long)f->res.risks,
		      (unsigned long long)want);
		CHECK(!strcmp(f->res.ja3, tc->ja3), "%s: ja3 \"%s\", want \"%s\"", tc->pcap, f->res.ja3, tc->ja3);
		CHECK(f->fed <= tc->max_fed, "%s: nDPI took %u packets, want <= %u", tc->pcap, f->fed, tc->max_fed);
		CHECK(!f->feeding || f->fed == 0, "%s: classify still wanted packets at end of capture", tc->pcap);
		/* Between packets nDPI's 688-byte flow is held packed (classify.c pack_flow): recognised from their
		 * ClientHello, these flows wait for the server with no partial TLS record in nDPI's buffer, so they
		 * cost their packed bytes (measured 130-300) and the 24-byte classify_flow. */
		if (tc->ja3[0])
			CHECK(f->recognised_cost > 0 && f->recognised_cost < 400,
			      "%s: %zu bytes held while waiting for the server", tc->pcap, f->recognised_cost);
	}
}

/* The per-flow cap: with 1, the first packet is also the last one fed. */
static void test_cap(struct classify *c, const char *dir)
{
	static struct test_capture cap;

	classify_set_max_packets(c, 1);
	if (test_run(c, dir, "zeek__tls1.2.pcap", &cap) != 0) {
		test_failures++;
	} else {
		const struct test_flow *f = test_flow_by_port(&cap, 443);
		CHECK(f && f->fed == 1 && !f->feeding, "cap of 1 packet not honoured");
		/* A SYN alone tells nDPI nothing; no port guess, so no name. */
		CHECK(f && f->res.protocol[0] == '\0', "undecided flow named \"%s\"", f ? f->res.protocol : "");
		CHECK(f && f->res.ja3[0] == '\0', "undecided flow has a ja3");
	}
	classify_set_max_packets(c, CLASSIFY_MAX_PACKETS_DEFAULT);
}

static void test_api(struct classify *c)
{
	struct classify_flow *fs = NULL;
	struct classify_result r;

	memset(&r, 0x5a, sizeof(r));
	classify_finish(c, &fs, &r);
	CHECK(fs == NULL && r.protocol[0] == '\0' && r.risks == 0 && r.ja3[0] == '\0', "finish on NULL flow");

	CHECK(classify_risk_name(0) == NULL, "bit 0 is 'no risk'");
	CHECK(classify_risk_name(64) == NULL, "out of range");
	CHECK(classify_risk_name(63) == NULL, "beyond nDPI 4.2's last risk");
	/* NDPI_TLS_OBSOLETE_VERSION = 7 in nDPI 4.2's ndpi_risk_enum */
	CHECK(classify_risk_name(7) && !strcmp(classify_risk_name(7), "Obsolete TLS Version (1.1 or older)"),
	      "risk 7 is \"%s\"", classify_risk_name(7) ? classify_risk_name(7) : "(null)");
	classify_free(NULL);
}

/* One module per thread: creating and using them in parallel must work (init is serialised inside). */
struct test_thread_arg {
	const char *dir;
	int failures;
};

static void *test_thread(void *p)
{
	struct test_thread_arg *a = p;
	struct classify *c = NULL;
	char err[256];
	struct test_capture *cap = malloc(sizeof(*cap));

	if (!cap || classify_new(&c, err, sizeof(err)) != 0) {
		a->failures++;
		free(cap);
		return NULL;
	}
	if (test_run(c, a->dir, "arkime__openssl-tls1.pcap", cap) != 0)
		a->failures++;
	else {
		const struct test_flow *f = test_flow_by_port(cap, 443);
		if (!f || strcmp(f->res.protocol, "TLS.Google") != 0)
			a->failures++;
	}
	classify_free(c);
	free(cap);
	return NULL;
}

static void test_threads(const char *dir)
{
	enum { N = 4 };
	pthread_t t[N];
	struct test_thread_arg a[N];

	for (int i = 0; i < N; i++) {
		a[i].dir = dir;
		a[i].failures = 0;
		CHECK(pthread_create(&t[i], NULL, test_thread, &a[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		CHECK(a[i].failures == 0, "thread %d", i);
	}
}

/* Every Ethernet .pcap of the corpus (several are fuzzer-made): invariants only, run under the sanitizers. */
static void test_sweep(struct classify *c, const char *dir)
{
	static struct test_capture cap;
	unsigned files = 0, flows = 0, named = 0, capped = 0, fed = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	CHECK(d != NULL, "cannot open %s", dir);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char errbuf[PCAP_ERRBUF_SIZE], path[4096];
		pcap_t *p;
		int rc;

		if (n < 5 || strcmp(de->d_name + n - 5, ".pcap") != 0)
			continue;
		rc = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (rc < 0 || (size_t)rc >= sizeof(path))
			continue;
		p = pcap_open_offline(path, errbuf);
		if (!p)
			continue;
		rc = pcap_datalink(p);
		pcap_close(p);
		if (rc != DLT_EN10MB)
			continue;
		if (test_run(c, dir, de->d_name, &cap) != 0) {
			test_failures++;
			continue;
		}
		files++;
		for (size_t i = 0; i < cap.nflows; i++) {
			const struct test_flow *f = &cap.flows[i];
			size_t jl = strlen(f->res.ja3);
			flows++;
			named += f->res.protocol[0] != '\0';
			capped += f->fed == CLASSIFY_MAX_PACKETS_DEFAULT;
			if (getenv("TEST_CLASSIFY_VERBOSE") && f->fed == CLASSIFY_MAX_PACKETS_DEFAULT)
				printf("capped: %s port %u \"%s\"\n", de->d_name, f->key.port[1], f->res.protocol);
			fed += f->fed;
			CHECK(f->fed <= CLASSIFY_MAX_PACKETS_DEFAULT, "%s: fed %u", de->d_name, f->fed);
			CHECK(jl == 0 || jl == 32, "%s: ja3 \"%s\"", de->d_name, f->res.ja3);
			CHECK(memchr(f->res.protocol, '\0', sizeof(f->res.protocol)) != NULL, "%s: protocol",
			      de->d_name);
			for (unsigned b = 0; b < 64; b++)
				CHECK(!(f->res.risks & ((uint64_t)1 << b)) || classify_risk_name(b), "%s: risk bit %u",
				      de->d_name, b);
		}
	}
	closedir(d);
	printf("sweep: %u captures, %u TCP flows, %u named by nDPI, %u packets fed, %u flows hit the cap\n", files,
	       flows, named, fed, capped);
	CHECK(files >= 50, "only %u Ethernet captures found in %s", files, dir);
}

int main(int argc, char **argv)
{
	struct classify *c = NULL;
	char err[256];

	if (argc != 2) {
		fprintf(stderr, "usage: %s PCAP_DIR\n", argv[0]);
		return 2;
	}
	if (classify_new(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "FAIL: classify_new: %s\n", err);
		return 1;
	}
	test_api(c);
	struct stat sb;
	bool have_corpus = stat(argv[1], &sb) == 0 && S_ISDIR(sb.st_mode);
	if (have_corpus) {
		test_corpus(c, argv[1]);
		test_cap(c, argv[1]);
		test_sweep(c, argv[1]);
	}
	classify_free(c);
	if (have_corpus)
		test_threads(argv[1]);
	else
		printf("SKIP: nDPI on real packets needs the shared corpus: %s not found (-Dcorpus=DIR or "
		       "TLSAUDIT_CORPUS at setup)\n",
		       argv[1]);

	if (test_failures) {
		fprintf(stderr, "%d failure(s)\n", test_failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
