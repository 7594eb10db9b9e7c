/* test_capfile.c - tests of the pcap/pcapng reader (capfile_*) on real captures and built files.
 * specification: include/tlsaudit/capture.h; expected values come from tshark (command beside each).
 * argv[1] is the shared corpus directory (meson's corpus_dir); without it only the tests built here run.
 */
#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "../check.h"

static const char *corpus;

#define CHECK_STR(a, b)                                                                                     \
	do {                                                                                                \
		checks++;                                                                                   \
		if (strcmp((a), (b)) != 0) {                                                                \
			failures++;                                                                         \
			fprintf(stderr, "%s:%d: got \"%s\"\n%*sexpected \"%s\"\n", __FILE__, __LINE__, (a), \
				(int)strlen(__FILE__) + 2, "", (b));                                        \
		}                                                                                           \
	} while (0)

/* ---- helpers ---- */

struct buf {
	uint8_t *d;
	size_t n, cap;
};

static void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->d = realloc(b->d, b->cap);
		if (!b->d)
			abort();
	}
	if (n)
		memcpy(b->d + b->n, p, n);
	b->n += n;
}

static bool big_endian_out; /* byte order of the file being built */

static void buf_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	if (!big_endian_out) {
		x[0] = (uint8_t)v;
		x[1] = (uint8_t)(v >> 8);
	}
	buf_put(b, x, 2);
}

static void buf_u32(struct buf *b, uint32_t v)
{
	if (big_endian_out) {
		buf_u16(b, (uint16_t)(v >> 16));
		buf_u16(b, (uint16_t)v);
	} else {
		buf_u16(b, (uint16_t)v);
		buf_u16(b, (uint16_t)(v >> 16));
	}
}

static void buf_u64(struct buf *b, uint64_t v)
{
	if (big_endian_out) {
		buf_u32(b, (uint32_t)(v >> 32));
		buf_u32(b, (uint32_t)v);
	} else {
		buf_u32(b, (uint32_t)v);
		buf_u32(b, (uint32_t)(v >> 32));
	}
}

static char corpus_path_buf[4096];
static const char *corpus_file(const char *name)
{
	snprintf(corpus_path_buf, sizeof(corpus_path_buf), "%s/pcaps/%s", corpus, name);
	return corpus_path_buf;
}

static struct buf read_whole(const char *path)
{
	struct buf b = {0};
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s:%d: cannot open %s: %s\n", __FILE__, __LINE__, path, strerror(errno));
		exit(1);
	}
	uint8_t tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_put(&b, tmp, n);
	fclose(f);
	return b;
}

static char tmp_path[256];
static const char *write_tmp(const void *p, size_t n)
{
	snprintf(tmp_path, sizeof(tmp_path), "%s/ta-capfile-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(tmp_path);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n)) {
		fprintf(stderr, "%s:%d: cannot write %s\n", __FILE__, __LINE__, tmp_path);
		exit(1);
	}
	close(fd);
	return tmp_path;
}

/* what a whole read of a capture gives */
struct summary {
	enum cap_status end;
	char err[512];
	unsigned frames, tcp;
	int64_t first_ts, last_ts;
	bool have_tcp;
	struct pkt first_tcp;
	unsigned first_tcp_frame;
	uint64_t offsets[64]; /* of the first 64 frames */
	size_t caplens[64];
	int64_t ts[64];
	struct cap_info info;
};

static void summarize(struct capfile *cf, struct summary *s)
{
	struct cap_frame fr;
	while ((s->end = capfile_next(cf, &fr, s->err, sizeof(s->err))) == CAP_OK) {
		if (s->frames == 0)
			s->first_ts = fr.ts_ns;
		s->last_ts = fr.ts_ns;
		if (s->frames < 64) {
			s->offsets[s->frames] = fr.offset;
			s->caplens[s->frames] = fr.caplen;
			s->ts[s->frames] = fr.ts_ns;
		}
		s->frames++;
		struct pkt p;
		if (decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p) == DECODE_OK) {
			if (!s->have_tcp) {
				s->first_tcp = p;
				s->first_tcp_frame = s->frames;
				s->first_tcp.payload = NULL; /* borrowed: gone after the next frame */
				s->first_tcp.l3 = NULL;
				s->have_tcp = true;
			}
			s->tcp++;
		}
	}
	s->info = *capfile_info(cf);
}

/* open + summarize; returns the open result */
static int read_capture(const char *path, struct summary *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	struct capfile *cf;
	int rc = capfile_open(path, &cf, err, errlen);
	if (rc < 0)
		return rc;
	summarize(cf, s);
	capfile_free(cf);
	return 0;
}

static void addr_str(const struct pkt *p, const uint8_t *a, char *out, size_t n)
{
	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)n);
}

/* ---- real captures, against tshark ---- */

struct corpus_case {
	const char *file;
	enum cap_format format;
	uint32_t linktype;
	unsigned frames;       /* tshark -r F | wc -l */
	const char *first_ts;  /* tshark -r F -T fields -e frame.time_epoch | head -1 */
	unsigned tcp;	       /* tshark -r F -Y 'tcp && !icmp && !icmpv6' | wc -l */
	unsigned tcp_frame;    /* first TCP frame, and its addresses and ports: */
	const char *src, *dst; /* tshark -r F -Y 'tcp && !icmpv6' -T fields -e frame.number -e ip.src
				* -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport | head -1
				* (the innermost address for tunnels) */
	uint16_t sport, dport;
	bool tunnelled;
};

static const struct corpus_case corpus_cases[] = {
	/* pcap us, DLT_NULL from a little-endian host */
	{"arkime__ssl-selfsign.pcap", CAP_PCAP, 0, 20, "1519400125.658635000", 20, 1, "10.180.152.137",
	 "10.180.152.137", 60101, 4443, false},
	/* pcap despite the name, DLT_NULL, IPv6 */
	{"ja4__ipv6.pcapng", CAP_PCAP, 0, 9, "1593980608.621087000", 9, 1, "2001:4998:ef83:14:8000::100d",
	 "2606:4700::6811:d209", 64034, 443, false},
	{"zeek__irc-starttls.pcap", CAP_PCAP, 113, 20, "1438145937.325196000", 20, 1, "203.143.168.47", "185.18.76.170",
	 55123, 6667, false},
	{"zeek__openjdk-25.0.2-zeek.org.pcap", CAP_PCAP, 276, 6, "1776243128.835142000", 6, 1, "192.168.64.6",
	 "192.0.78.150", 55058, 443, false},
	/* raw IP: 8 of 946 frames are not TCP */
	{"ndpi__ocs.pcap", CAP_PCAP, 101, 946, "1449652784.341686000", 938, 1, "192.168.180.2", "64.233.184.188", 47699,
	 5228, false},
	/* 802.1Q */
	{"arkime__mysql-tls.pcap", CAP_PCAP, 1, 10, "1482552218.498935000", 10, 1, "10.10.10.10", "10.10.10.11", 41324,
	 3306, false},
	/* 6in4: tshark also shows TCP inside 2 ICMPv6 errors (frames 3, 45), which are not TCP packets */
	{"ndpi__6in4tunnel.pcap", CAP_PCAP, 1, 127, "1444236893.450580000", 75, 22,
	 "2001:470:1f17:13f:3e97:eff:fe73:4dec", "2a03:2880:1010:6f03:face:b00c:0:2", 53234, 443, true},
	/* VXLAN (tshark: vxlan.vni 1111) */
	{"ndpi__vxlan.pcap", CAP_PCAP, 1, 127, "1639650442.645225000", 119, 5, "10.10.20.4", "157.240.224.35", 45226,
	 443, true},
	{"arkime__pppoe.pcap", CAP_PCAP, 1, 10, "1193676055.856435000", 10, 1, "172.202.246.57", "64.12.189.217", 1063,
	 443, true},
	/* pcapng */
	{"ja4__tls-sni.pcapng", CAP_PCAPNG, 1, 84, "1675707151.805776000", 64, 1, "192.168.1.168", "142.251.16.94",
	 50112, 443, false},
	/* pcapng, SLL, nanosecond if_tsresol */
	{"ndpi__tls_heur__trojan-tcp-tls.pcapng", CAP_PCAPNG, 113, 100, "1725367999.181087334", 84, 1, "127.0.0.1",
	 "127.0.0.1", 60654, 1080, false},
	/* pcapng, DLT_NULL */
	{"ndpi__pgsql2.pcapng", CAP_PCAPNG, 0, 19, "1682508779.830421000", 19, 1, "10.220.20.67", "10.220.20.67", 58574,
	 60102, false},
	/* TSO: 3 packets have IPv4 total length 0 (tshark: "bogus, payload length ...") and are decoded */
	{"ja4__browsers-x509.pcapng", CAP_PCAPNG, 1, 179, "1691545909.738087000", 179, 1, "172.27.7.31",
	 "13.107.21.239", 54524, 443, false},
	/* ICMP errors quoting TCP are not TCP: tshark -Y 'tcp && !icmp' */
	{"ja4__latest.pcapng", CAP_PCAPNG, 1, 209, NULL, 137, 0, NULL, NULL, 0, 0, false},
};

static void ts_str(int64_t ns, char *out, size_t n)
{
	snprintf(out, n, "%lld.%09lld", (long long)(ns / 1000000000), (long long)(ns % 1000000000));
}

static void test_corpus(void)
{
	for (size_t i = 0; i < sizeof(corpus_cases) / sizeof(corpus_cases[0]); i++) {
		const struct corpus_case *c = &corpus_cases[i];
		struct summary s;
		char err[512] = "";
		const char *path = corpus_file(c->file);
		int rc = read_capture(path, &s, err, sizeof(err));
		if (rc < 0) {
			failures++;
			fprintf(stderr, "%s:%d: %s: open failed: %s\n", __FILE__, __LINE__, c->file, err);
			continue;
		}
		int before = failures;
		CHECK_EQ(s.end, CAP_EOF);
		CHECK_EQ(s.info.format, c->format);
		CHECK_EQ(s.info.n_linktypes, 1);
		CHECK_EQ(s.info.linktypes[0], c->linktype);
		CHECK_EQ(s.frames, c->frames);
		CHECK_EQ(s.tcp, c->tcp);
		struct stat st;
		CHECK(stat(path, &st) == 0 && s.info.bytes_read == (uint64_t)st.st_size);
		CHECK(s.info.sha256_valid);
		if (c->first_ts) {
			char ts[64];
			ts_str(s.first_ts, ts, sizeof(ts));
			CHECK_STR(ts, c->first_ts);
		}
		if (c->src) {
			char a[64], b[64];
			CHECK_EQ(s.first_tcp_frame, c->tcp_frame);
			addr_str(&s.first_tcp, s.first_tcp.src, a, sizeof(a));
			addr_str(&s.first_tcp, s.first_tcp.dst, b, sizeof(b));
			CHECK_STR(a, c->src);
			CHECK_STR(b, c->dst);
			CHECK_EQ(s.first_tcp.sport, c->sport);
			CHECK_EQ(s.first_tcp.dport, c->dport);
			CHECK_EQ(!!(s.first_tcp.flags & PKT_TUNNELLED), c->tunnelled);
		}
		if (failures != before)
			fprintf(stderr, "  (in %s)\n", c->file);
	}
}

/* sha256sum arkime__mysql-tls.pcap; record offsets and sizes from
 * tshark -r arkime__mysql-tls.pcap -T fields -e frame.cap_len: 78 78 70 148 70 106 70 226 70 943 */
static const uint8_t mysql_sha[32] = {0x20, 0xf0, 0x8e, 0x0d, 0x07, 0xe2, 0xed, 0x6d, 0x38, 0x1f, 0x3c,
				      0xd5, 0x6c, 0x27, 0x27, 0xcc, 0x14, 0x9b, 0x26, 0x6d, 0x6a, 0xca,
				      0x91, 0xf3, 0xb9, 0x65, 0x75, 0x11, 0x89, 0x51, 0x4b, 0x91};
static const unsigned mysql_caplen[10] = {78, 78, 70, 148, 70, 106, 70, 226, 70, 943};

static void test_sha_and_offsets(void)
{
	struct summary s;
	char err[512];
	CHECK_EQ(read_capture(corpus_file("arkime__mysql-tls.pcap"), &s, err, sizeof(err)), 0);
	CHECK(s.info.sha256_valid && memcmp(s.info.sha256, mysql_sha, 32) == 0);
	uint64_t off = 24;
	for (unsigned i = 0; i < 10; i++) {
		CHECK_EQ(s.offsets[i], off);
		CHECK_EQ(s.caplens[i], mysql_caplen[i]);
		off += 16 + mysql_caplen[i];
	}
	CHECK_EQ(s.info.bytes_read, off);
	CHECK_EQ(s.info.snaplen, 16384); /* capinfos -l */
	CHECK(!s.info.nanosecond);
}

static void test_stdin(void)
{
	int saved = dup(STDIN_FILENO);
	FILE *f = fopen(corpus_file("arkime__mysql-tls.pcap"), "rb");
	CHECK(f != NULL && saved >= 0);
	if (!f)
		return;
	dup2(fileno(f), STDIN_FILENO);
	struct summary s;
	char err[512];
	CHECK_EQ(read_capture("-", &s, err, sizeof(err)), 0);
	CHECK_EQ(s.frames, 10);
	CHECK_EQ(s.end, CAP_EOF);
	CHECK(s.info.sha256_valid && memcmp(s.info.sha256, mysql_sha, 32) == 0);
	dup2(saved, STDIN_FILENO);
	close(saved);
	fclose(f);

	/* a pipe is not seekable; errors name stdin */
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	CHECK(write(pfd[1], "junk", 4) == 4);
	close(pfd[1]);
	saved = dup(STDIN_FILENO);
	dup2(pfd[0], STDIN_FILENO);
	struct capfile *cf;
	CHECK(capfile_open("-", &cf, err, sizeof(err)) < 0);
	CHECK_STR(err, "stdin: not a pcap or pcapng capture (starts with 0x6a756e6b)");
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(pfd[0]);
}

static void test_bad_files(void)
{
	char err[512], want[600];
	struct capfile *cf;
	const char *p = write_tmp("", 0);
	CHECK(capfile_open(p, &cf, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s: empty file", p);
	CHECK_STR(err, want);
	unlink(p);

	p = write_tmp("hello world\n", 12);
	CHECK(capfile_open(p, &cf, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s: not a pcap or pcapng capture (starts with 0x68656c6c)", p);
	CHECK_STR(err, want);
	unlink(p);

	CHECK_EQ(capfile_open("/nonexistent/x.pcap", &cf, err, sizeof(err)), -ENOENT);
	CHECK_STR(err, "/nonexistent/x.pcap: No such file or directory");

	/* a record claiming 2 MiB */
	struct buf b = {0};
	big_endian_out = false;
	buf_u32(&b, 0xa1b2c3d4);
	buf_u16(&b, 2);
	buf_u16(&b, 4);
	buf_u64(&b, 0);
	buf_u32(&b, 65535);
	buf_u32(&b, 1);
	buf_u32(&b, 1);
	buf_u32(&b, 0);
	buf_u32(&b, 2u << 20);
	buf_u32(&b, 2u << 20);
	p = write_tmp(b.d, b.n);
	CHECK_EQ(capfile_open(p, &cf, err, sizeof(err)), 0);
	struct cap_frame fr;
	CHECK_EQ(capfile_next(cf, &fr, err, sizeof(err)), CAP_BAD);
	snprintf(want, sizeof(want), "%s: record at offset 24 claims 2097152 bytes", p);
	CHECK_STR(err, want);
	CHECK_EQ(capfile_next(cf, &fr, err, sizeof(err)), CAP_BAD); /* sticky */
	CHECK_STR(err, want);
	capfile_free(cf);
	unlink(p);
	free(b.d);

	/* pcap version 3 and a header cut short */
	b = (struct buf){0};
	buf_u32(&b, 0xa1b2c3d4);
	buf_u16(&b, 3);
	buf_u16(&b, 0);
	buf_u64(&b, 0);
	buf_u64(&b, 0);
	p = write_tmp(b.d, b.n);
	CHECK(capfile_open(p, &cf, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s: unsupported pcap version 3.0", p);
	CHECK_STR(err, want);
	unlink(p);
	p = write_tmp(b.d, 10);
	CHECK(capfile_open(p, &cf, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s: file ends inside the pcap file header (10 of 24 bytes present)", p);
	CHECK_STR(err, want);
	unlink(p);
	free(b.d);
}

/* a file cut inside record 5 (offset 24 + 94 + 94 + 86 + 164 = 462, 16 + 70 = 86 bytes) */
static void test_cut(void)
{
	struct buf whole = read_whole(corpus_file("arkime__mysql-tls.pcap"));
	const char *p = write_tmp(whole.d, 482);
	struct summary s;
	char err[512], want[600];
	CHECK_EQ(read_capture(p, &s, err, sizeof(err)), 0);
	CHECK_EQ(s.frames, 4);
	CHECK_EQ(s.end, CAP_CUT);
	snprintf(want, sizeof(want), "%s: file ends inside a packet record at offset 462 (20 of 86 bytes present)", p);
	CHECK_STR(s.err, want);
	CHECK(s.info.sha256_valid);
	CHECK_EQ(s.info.bytes_read, 482);
	unlink(p);

	/* cut inside a record header */
	p = write_tmp(whole.d, 470);
	CHECK_EQ(read_capture(p, &s, err, sizeof(err)), 0);
	CHECK_EQ(s.frames, 4);
	snprintf(want, sizeof(want), "%s: file ends inside a packet record at offset 462 (8 of 16 bytes present)", p);
	CHECK_STR(s.err, want);
	unlink(p);
	free(whole.d);
}

/* every prefix of a small file: open fails cleanly or the frames before the cut come back intact */
static void prefix_sweep(const char *name, bool pcapng)
{
	struct buf whole = read_whole(corpus_file(name));
	struct summary full;
	char err[512];
	CHECK_EQ(read_capture(corpus_file(name), &full, err, sizeof(err)), 0);
	CHECK(full.frames <= 64);
	int before = failures;
	for (size_t n = 0; n <= whole.n && failures == before; n++) {
		const char *p = write_tmp(whole.d, n);
		struct summary s;
		int rc = read_capture(p, &s, err, sizeof(err));
		unlink(p);
		if (rc < 0) {
			CHECK(n < (full.frames ? full.offsets[0] : 24));
			CHECK(strstr(err, p) == err);
			continue;
		}
		CHECK(s.frames <= full.frames);
		for (unsigned i = 0; i < s.frames && i < 64; i++) {
			CHECK_EQ(s.offsets[i], full.offsets[i]);
			CHECK_EQ(s.ts[i], full.ts[i]);
		}
		if (!pcapng) {
			/* pcap records are back to back: count the complete ones */
			unsigned expect = 0;
			bool boundary = n == 24;
			for (unsigned i = 0; i < full.frames; i++) {
				uint64_t end = full.offsets[i] + 16 + full.caplens[i];
				if (end <= n)
					expect++;
				if (end == n)
					boundary = true;
			}
			CHECK_EQ(s.frames, expect);
			CHECK_EQ(s.end, boundary ? CAP_EOF : CAP_CUT);
		} else {
			CHECK(s.end == CAP_EOF || s.end == CAP_CUT);
			/* every packet block that ends before the next one starts is complete */
			for (unsigned i = 0; i + 1 < full.frames; i++)
				if (full.offsets[i + 1] <= n)
					CHECK(s.frames > i);
		}
		if (n == whole.n) {
			CHECK_EQ(s.frames, full.frames);
			CHECK_EQ(s.end, CAP_EOF);
		}
		CHECK_EQ(s.info.bytes_read, n);
		if (failures != before)
			fprintf(stderr, "  (%s prefix of %zu bytes)\n", name, n);
	}
	free(whole.d);
}

/* ---- built files ---- */

/* the frames of a real capture, to re-serialize */
struct frames {
	unsigned n;
	int64_t ts[64];
	uint32_t wire[64];
	struct buf data[64];
	uint32_t linktype;
};

static void load_frames(const char *name, struct frames *f)
{
	memset(f, 0, sizeof(*f));
	char err[512];
	struct capfile *cf;
	if (capfile_open(corpus_file(name), &cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, err);
		exit(1);
	}
	struct cap_frame fr;
	while (f->n < 64 && capfile_next(cf, &fr, err, sizeof(err)) == CAP_OK) {
		f->ts[f->n] = fr.ts_ns;
		f->wire[f->n] = (uint32_t)fr.wire_len;
		buf_put(&f->data[f->n], fr.data, fr.caplen);
		f->linktype = fr.linktype;
		f->n++;
	}
	capfile_free(cf);
}

static void free_frames(struct frames *f)
{
	for (unsigned i = 0; i < f->n; i++)
		free(f->data[i].d);
}

/* pcap with nanosecond timestamps, either byte order (what editcap -F nsecpcap writes) */
static void test_nsec_pcap(bool be)
{
	struct frames f;
	load_frames("arkime__mysql-tls.pcap", &f);
	struct buf b = {0};
	big_endian_out = be;
	buf_u32(&b, 0xa1b23c4d);
	buf_u16(&b, 2);
	buf_u16(&b, 4);
	buf_u64(&b, 0);
	buf_u32(&b, 262144);
	buf_u32(&b, 1 | (0x10u << 28) | (1u << 26)); /* FCS bits: 4-byte FCS present flag, ignored */
	for (unsigned i = 0; i < f.n; i++) {
		int64_t ts = f.ts[i] + 7 * (int64_t)i; /* sub-microsecond part */
		buf_u32(&b, (uint32_t)(ts / 1000000000));
		buf_u32(&b, (uint32_t)(ts % 1000000000));
		buf_u32(&b, (uint32_t)f.data[i].n);
		buf_u32(&b, i == 3 ? 10 : f.wire[i]); /* caplen > wire length is tolerated */
		buf_put(&b, f.data[i].d, f.data[i].n);
	}
	const char *p = write_tmp(b.d, b.n);
	struct summary s;
	char err[512];
	CHECK_EQ(read_capture(p, &s, err, sizeof(err)), 0);
	CHECK(s.info.nanosecond);
	CHECK_EQ(s.info.linktypes[0], 1);
	CHECK_EQ(s.frames, f.n);
	CHECK_EQ(s.tcp, f.n);
	for (unsigned i = 0; i < f.n; i++)
		CHECK_EQ(s.ts[i], f.ts[i] + 7 * (int64_t)i);
	/* 1482552218.498935000 + 0 ns: tshark -r (this file) -T fields -e frame.time_epoch */
	CHECK_EQ(s.ts[0], INT64_C(1482552218498935000));
	unlink(p);
	free(b.d);
	free_frames(&f);
}

static void ng_block(struct buf *b, uint32_t type, const struct buf *body)
{
	uint32_t len = (uint32_t)(12 + ((body->n + 3) & ~(size_t)3));
	buf_u32(b, type);
	buf_u32(b, len);
	buf_put(b, body->d, body->n);
	static const uint8_t zero[4];
	buf_put(b, zero, ((body->n + 3) & ~(size_t)3) - body->n);
	buf_u32(b, len);
}

static void ng_shb(struct buf *b)
{
	struct buf body = {0};
	buf_u32(&body, 0x1a2b3c4d);
	buf_u16(&body, 1);
	buf_u16(&body, 0);
	buf_u64(&body, UINT64_MAX);
	ng_block(b, 0x0a0d0d0a, &body);
	free(body.d);
}

/* IDB; tsresol 0xff = none, tsoffset 0 = none */
static void ng_idb(struct buf *b, uint16_t link, uint32_t snaplen, uint8_t tsresol, int64_t tsoffset)
{
	struct buf body = {0};
	buf_u16(&body, link);
	buf_u16(&body, 0);
	buf_u32(&body, snaplen);
	buf_u16(&body, 2); /* if_name */
	buf_u16(&body, 3);
	buf_put(&body, "lo\0\0", 4);
	if (tsresol != 0xff) {
		buf_u16(&body, 9);
		buf_u16(&body, 1);
		uint8_t v[4] = {tsresol, 0, 0, 0};
		buf_put(&body, v, 4);
	}
	if (tsoffset) {
		buf_u16(&body, 14);
		buf_u16(&body, 8);
		buf_u64(&body, (uint64_t)tsoffset);
	}
	buf_u16(&body, 0);
	buf_u16(&body, 0);
	ng_block(b, 1, &body);
	free(body.d);
}

static void ng_epb(struct buf *b, uint32_t ifc, uint64_t units, const struct buf *data, uint32_t wire)
{
	struct buf body = {0};
	buf_u32(&body, ifc);
	buf_u32(&body, (uint32_t)(units >> 32));
	buf_u32(&body, (uint32_t)units);
	buf_u32(&body, (uint32_t)data->n);
	buf_u32(&body, wire);
	buf_put(&body, data->d, data->n);
	while (body.n % 4)
		buf_put(&body, "", 1);
	buf_u16(&body, 1); /* opt_comment */
	buf_u16(&body, 2);
	buf_put(&body, "hi\0\0", 4);
	ng_block(b, 6, &body);
	free(body.d);
}

/* Two interfaces of different link types (Ethernet us, SLL ns) interleaved, skipped NRB and ISB,
 * then a big-endian section with a 2^-20 s interface, tsoffset, an obsolete PB and an SPB. The file
 * was checked once with tshark (TA_CAPTURE_KEEP=path keeps a copy):
 * tshark -r F -T fields -e frame.interface_id -e frame.time_epoch -e tcp.srcport */
static void test_pcapng_mixed(void)
{
	struct frames eth, sll;
	load_frames("arkime__mysql-tls.pcap", &eth);
	load_frames("zeek__irc-starttls.pcap", &sll);
	struct buf b = {0}, body = {0};
	big_endian_out = false;
	ng_shb(&b);
	ng_idb(&b, 1, 65535, 0xff, 0);
	buf_u16(&body, 0); /* NRB: just the end record */
	buf_u16(&body, 0);
	ng_block(&b, 4, &body);
	ng_idb(&b, 113, 0, 9, 0);
	unsigned total = 0;
	size_t first_epb = b.n;
	for (unsigned i = 0; i < 20; i++) {
		if (i < eth.n) {
			ng_epb(&b, 0, (uint64_t)(eth.ts[i] / 1000), &eth.data[i], eth.wire[i]);
			total++;
		}
		ng_epb(&b, 1, (uint64_t)sll.ts[i], &sll.data[i], sll.wire[i]);
		total++;
	}
	body.n = 0;
	buf_u32(&body, 0); /* ISB */
	buf_u64(&body, 0);
	ng_block(&b, 5, &body);

	/* second section, big-endian */
	big_endian_out = true;
	ng_shb(&b);
	ng_idb(&b, 1, 64, 0x94, -100); /* 2^-20 s, snaplen 64 */
	body.n = 0;		       /* obsolete PB: ifc 0, drops 0, ts = 1600000000.5 s */
	buf_u16(&body, 0);
	buf_u16(&body, 0);
	uint64_t units = ((uint64_t)1600000000 << 20) | (1u << 19);
	buf_u32(&body, (uint32_t)(units >> 32));
	buf_u32(&body, (uint32_t)units);
	buf_u32(&body, (uint32_t)eth.data[0].n);
	buf_u32(&body, eth.wire[0]);
	buf_put(&body, eth.data[0].d, eth.data[0].n);
	while (body.n % 4)
		buf_put(&body, "", 1);
	ng_block(&b, 2, &body);
	body.n = 0; /* SPB: original length 78, clipped to the snaplen of 64 */
	buf_u32(&body, eth.wire[1]);
	buf_put(&body, eth.data[1].d, 64); /* the data is min(snaplen, original length) */
	ng_block(&b, 3, &body);
	total += 2;

	const char *keep = getenv("TA_CAPTURE_KEEP");
	if (keep) {
		FILE *kf = fopen(keep, "wb");
		if (kf) {
			fwrite(b.d, 1, b.n, kf);
			fclose(kf);
		}
	}

	const char *p = write_tmp(b.d, b.n);
	struct capfile *cf;
	char err[512];
	CHECK_EQ(capfile_open(p, &cf, err, sizeof(err)), 0);
	struct cap_frame fr;
	unsigned n = 0, tcp = 0, n_eth = 0, n_sll = 0;
	enum cap_status st;
	while ((st = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK) {
		struct pkt pk;
		if (decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &pk) == DECODE_OK)
			tcp++;
		if (n < 30) {
			if (fr.ifindex == 0) {
				CHECK_EQ(fr.linktype, 1);
				CHECK_EQ(fr.ts_ns, eth.ts[n_eth]);
				n_eth++;
			} else {
				CHECK_EQ(fr.linktype, 113);
				CHECK_EQ(fr.ts_ns, sll.ts[n_sll]);
				n_sll++;
			}
		} else if (n == 30) {
			CHECK_EQ(fr.ts_ns, INT64_C(1599999900500000000));
			CHECK_EQ(fr.caplen, eth.data[0].n);
		} else if (n == 31) {
			CHECK_EQ(fr.ts_ns, INT64_C(1599999900500000000)); /* SPB: time of the previous packet */
			CHECK_EQ(fr.caplen, 64);
			CHECK_EQ(fr.wire_len, 78);
		}
		n++;
	}
	CHECK_EQ(st, CAP_EOF);
	CHECK_EQ(n, total);
	CHECK_EQ(n_eth, 10);
	CHECK_EQ(n_sll, 20);
	CHECK_EQ(tcp, total - 1); /* the SPB clipped to 64 bytes ends inside the SYN's TCP options */
	const struct cap_info *ci = capfile_info(cf);
	CHECK_EQ(ci->format, CAP_PCAPNG);
	CHECK_EQ(ci->n_linktypes, 2);
	CHECK_EQ(ci->linktypes[0], 1);
	CHECK_EQ(ci->linktypes[1], 113);
	CHECK_EQ(ci->skipped_blocks, 2);
	CHECK_EQ(ci->snaplen, 65535);
	CHECK_EQ(ci->bytes_read, b.n);
	capfile_free(cf);
	unlink(p);

	/* garbage: bad block length, trailing length, interface id; each names its offset */
	size_t shb_len = 28, idb_off = 28;
	struct buf g = {0};
	buf_put(&g, b.d, b.n);
	g.d[idb_off + 4] = 0x1d; /* IDB length 0x1d... not a multiple of 4 */
	p = write_tmp(g.d, g.n);
	CHECK_EQ(capfile_open(p, &cf, err, sizeof(err)), 0);
	CHECK_EQ(capfile_next(cf, &fr, err, sizeof(err)), CAP_BAD);
	CHECK(strstr(err, "block at offset 28 has invalid length") != NULL);
	capfile_free(cf);
	unlink(p);

	memcpy(g.d, b.d, b.n);
	uint8_t *trail = g.d + shb_len - 4;
	trail[0] ^= 4; /* SHB trailing length */
	p = write_tmp(g.d, g.n);
	CHECK(capfile_open(p, &cf, err, sizeof(err)) < 0);
	CHECK(strstr(err, "block at offset 0: trailing length 24 differs from 28") != NULL);
	unlink(p);

	memcpy(g.d, b.d, b.n);
	/* first EPB: interface id 7 */
	g.d[first_epb + 8] = 7;
	p = write_tmp(g.d, g.n);
	CHECK_EQ(capfile_open(p, &cf, err, sizeof(err)), 0);
	CHECK_EQ(capfile_next(cf, &fr, err, sizeof(err)), CAP_BAD);
	char want[600];
	snprintf(want, sizeof(want), "%s: block at offset %zu references interface 7 but the section defines 2", p,
		 first_epb);
	CHECK_STR(err, want);
	capfile_free(cf);
	unlink(p);

	/* cut inside the last block */
	p = write_tmp(b.d, b.n - 6);
	struct summary s;
	CHECK_EQ(read_capture(p, &s, err, sizeof(err)), 0);
	CHECK_EQ(s.frames, total - 1);
	CHECK_EQ(s.end, CAP_CUT);
	CHECK(strstr(s.err, "file ends inside a packet record at offset") != NULL);
	unlink(p);

	free(g.d);
	free(b.d);
	free(body.d);
	free_frames(&eth);
	free_frames(&sll);
}

/* if_tsresol extremes: whole seconds, 10^-19, 2^-63, a huge negative if_tsoffset, and a
 * resolution that cannot be represented (10^-20) */
static void test_pcapng_timestamps(void)
{
	static const struct {
		uint8_t tsresol;
		int64_t tsoffset;
		uint64_t units;
		int64_t expect;
	} cases[] = {
		{0, 0, 1600000000u, INT64_C(1600000000000000000)},
		{0, 0, UINT64_MAX, INT64_MAX},			     /* saturates, no overflow */
		{19, 0, UINT64_C(16000000000000000000), 1600000000}, /* 1.6 s in 10^-19 units */
		{0xbf, 0, UINT64_C(1) << 63, 1000000000},	     /* 1 s in 2^-63 units */
		{0x81, 0, 3, 1500000000},			     /* 1.5 s in 2^-1 units */
		{6, INT64_MIN + 1, 5, -(INT64_MAX / 1000000000) * 1000000000 + 5000},
		{9, -1, 1, -999999999},
	};
	struct buf b = {0}, body = {0};
	big_endian_out = false;
	ng_shb(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ng_idb(&b, 101, 0, cases[i].tsresol, cases[i].tsoffset);
	buf_put(&body, "\x45", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ng_epb(&b, (uint32_t)i, cases[i].units, &body, 1);
	const char *p = write_tmp(b.d, b.n);
	struct capfile *cf;
	char err[512];
	CHECK_EQ(capfile_open(p, &cf, err, sizeof(err)), 0);
	struct cap_frame fr;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(capfile_next(cf, &fr, err, sizeof(err)), CAP_OK);
		CHECK_EQ(fr.ts_ns, cases[i].expect);
	}
	CHECK_EQ(capfile_next(cf, &fr, err, sizeof(err)), CAP_EOF);
	capfile_free(cf);
	unlink(p);

	size_t idb_at = b.n;
	ng_idb(&b, 1, 0, 20, 0);
	p = write_tmp(b.d, b.n);
	CHECK_EQ(capfile_open(p, &cf, err, sizeof(err)), 0);
	enum cap_status st;
	while ((st = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK)
		;
	CHECK_EQ(st, CAP_BAD);
	char want[600];
	snprintf(want, sizeof(want), "%s: interface description block at offset %zu has unusable if_tsresol 0x14", p,
		 idb_at);
	CHECK_STR(err, want);
	capfile_free(cf);
	unlink(p);
	free(b.d);
	free(body.d);
}

/* ---- a capture in memory reads as the same file ---- */

/* gzip (RFC 1952), xz and zstd of b, made with the libraries the reader decodes with */
static struct buf compress_buf(const struct buf *b, const char *how)
{
	struct buf o = {0};
	size_t cap = b->n + b->n / 2 + 1024;
	o.d = malloc(cap);
	if (!o.d)
		abort();
	o.cap = cap;
	if (strcmp(how, "gzip") == 0) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			abort();
		z.next_in = b->d;
		z.avail_in = (uInt)b->n;
		z.next_out = o.d;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			abort();
		o.n = cap - z.avail_out;
		deflateEnd(&z);
	} else if (strcmp(how, "xz") == 0) {
		size_t pos = 0;
		if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, b->d, b->n, o.d, &pos, cap) != LZMA_OK)
			abort();
		o.n = pos;
	} else {
		size_t r = ZSTD_compress(o.d, cap, b->d, b->n, 3);
		if (ZSTD_isError(r))
			abort();
		o.n = r;
	}
	return o;
}

static void same_summary(const struct summary *a, const struct summary *b, const char *what, size_t cut)
{
	bool same = a->end == b->end && a->frames == b->frames && a->tcp == b->tcp && a->first_ts == b->first_ts &&
		    a->last_ts == b->last_ts && a->info.bytes_read == b->info.bytes_read &&
		    a->info.sha256_valid == b->info.sha256_valid && memcmp(a->info.sha256, b->info.sha256, 32) == 0 &&
		    strcmp(a->info.compression, b->info.compression) == 0 &&
		    memcmp(a->offsets, b->offsets, sizeof(a->offsets)) == 0;
	/* messages name the source: the file's path, or the name given to capfile_open_mem */
	const char *ea = strchr(a->err, ':'), *eb = strchr(b->err, ':');
	same = same && (ea ? eb && strcmp(ea, eb) == 0 : !eb);
	CHECK(same);
	if (!same)
		fprintf(stderr, "  %s cut at %zu: file %d/%u frames/%s, memory %d/%u frames/%s\n", what, cut, a->end,
			a->frames, a->err, b->end, b->frames, b->err);
}

/* open result and summary of bytes d[0..n) read from a file and from memory */
static void mem_vs_file(const uint8_t *d, size_t n, const char *what, size_t cut)
{
	char errf[512] = "", errm[512] = "";
	struct summary sf, sm;
	memset(&sm, 0, sizeof(sm));
	const char *p = write_tmp(d, n);
	int rf = read_capture(p, &sf, errf, sizeof(errf));
	unlink(p);
	struct capfile *cf;
	int rm = capfile_open_mem(d, n, p, &cf, errm, sizeof(errm));
	if (rm == 0) {
		summarize(cf, &sm);
		capfile_free(cf);
	}
	CHECK_EQ(rm, rf);
	if (rf < 0) {
		CHECK(strcmp(errf, errm) == 0);
		if (strcmp(errf, errm) != 0)
			fprintf(stderr, "  %s cut at %zu: '%s' vs '%s'\n", what, cut, errf, errm);
		return;
	}
	same_summary(&sf, &sm, what, cut);
}

/* capfile_open_mem runs the same detection, decompression, hashing and parsing as capfile_open: a sample, its
 * gzip, xz and zstd forms, every cut of them (a step through the larger ones), and a capture over 1 MiB whose
 * records span the source's blocks */
static void test_mem_matches_file(const char *samples)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tls12-sni.pcap", samples);
	struct buf plain = read_whole(path);
	static const char *const how[] = {"plain", "gzip", "xz", "zstd"};
	for (size_t h = 0; h < sizeof(how) / sizeof(how[0]); h++) {
		struct buf c = h == 0 ? plain : compress_buf(&plain, how[h]);
		size_t step = c.n > 2000 ? 7 : 1;
		for (size_t k = 0; k <= c.n; k += step)
			mem_vs_file(c.d, k, how[h], k);
		mem_vs_file(c.d, c.n, how[h], c.n);
		if (h)
			free(c.d);
	}
	/* over 1 MiB: the records of the sample repeated (times moved on), so blocks end inside records */
	struct buf big = {0};
	buf_put(&big, plain.d, 24);
	while (big.n < (3u << 20) / 2)
		buf_put(&big, plain.d + 24, plain.n - 24);
	mem_vs_file(big.d, big.n, "1.5 MiB", big.n);
	struct buf bigz = compress_buf(&big, "zstd");
	mem_vs_file(bigz.d, bigz.n, "1.5 MiB zstd", bigz.n);
	struct summary s;
	struct capfile *cf;
	char err[512];
	memset(&s, 0, sizeof(s));
	CHECK_EQ(capfile_open_mem(big.d, big.n, "big", &cf, err, sizeof(err)), 0);
	summarize(cf, &s);
	capfile_free(cf);
	CHECK_EQ(s.end, CAP_EOF);
	CHECK_EQ(s.info.bytes_read, big.n);
	free(bigz.d);
	free(big.d);
	free(plain.d);
}

/* A file over 1 MiB is mapped: a capture that grows after the open is read to its new end (the bytes after the
 * mapping by read(2)), with the hash of all of them; one cut shorter while it is read stops with an error (no
 * SIGBUS), the hash not claimed, the frames before the cut intact. */
static void test_mapped_grow_shrink(const char *samples)
{
	char path[4096], err[512];
	snprintf(path, sizeof(path), "%s/tls12-sni.pcap", samples);
	struct buf plain = read_whole(path);
	/* 8 MiB: more than the reader runs ahead of the consumer (a few 1 MiB blocks), so it cannot have reached
	 * the end before the bytes are appended */
	struct buf big = {0};
	buf_put(&big, plain.d, 24);
	while (big.n < (8u << 20))
		buf_put(&big, plain.d + 24, plain.n - 24);
	size_t first = big.n;
	unsigned per_copy = 0;
	{
		struct capfile *cf;
		struct summary s;
		memset(&s, 0, sizeof(s));
		CHECK_EQ(capfile_open_mem(plain.d, plain.n, "one", &cf, err, sizeof(err)), 0);
		summarize(cf, &s);
		capfile_free(cf);
		per_copy = s.frames;
	}
	size_t copies = (first - 24) / (plain.n - 24);

	/* grows: opened (and mapped) at `first` bytes, then as many again appended while the reader is inside them */
	const char *p = write_tmp(big.d, big.n);
	struct capfile *cf;
	CHECK_EQ(capfile_open(p, &cf, err, sizeof(err)), 0);
	struct cap_frame fr;
	CHECK_EQ(capfile_next(cf, &fr, err, sizeof(err)), CAP_OK);
	FILE *fp = fopen(p, "ab");
	CHECK(fp != NULL);
	for (size_t i = 0; fp && i < copies; i++)
		fwrite(plain.d + 24, 1, plain.n - 24, fp);
	if (fp)
		fclose(fp);
	unsigned frames = 1;
	enum cap_status st;
	while ((st = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK)
		frames++;
	CHECK_EQ(st, CAP_EOF);
	CHECK_EQ(frames, (unsigned)(2 * copies * per_copy));
	const struct cap_info *in = capfile_info(cf);
	CHECK(in->sha256_valid);
	struct buf grown = read_whole(p);
	CHECK_EQ(in->bytes_read, grown.n);
	struct capfile *cm;
	struct summary sm;
	memset(&sm, 0, sizeof(sm));
	CHECK_EQ(capfile_open_mem(grown.d, grown.n, "grown", &cm, err, sizeof(err)), 0);
	summarize(cm, &sm);
	capfile_free(cm);
	CHECK(sm.info.sha256_valid && memcmp(sm.info.sha256, in->sha256, 32) == 0);
	capfile_free(cf);
	unlink(p);
	free(grown.d);

	/* shrinks: 8 MiB mapped, cut to 1.25 MiB after the first frame */
	struct buf huge = {0};
	buf_put(&huge, plain.d, 24);
	while (huge.n < (8u << 20))
		buf_put(&huge, plain.d + 24, plain.n - 24);
	p = write_tmp(huge.d, huge.n);
	CHECK_EQ(capfile_open(p, &cf, err, sizeof(err)), 0);
	CHECK_EQ(capfile_next(cf, &fr, err, sizeof(err)), CAP_OK);
	CHECK_EQ(truncate(p, (5 << 20) / 4), 0);
	frames = 1;
	while ((st = capfile_next(cf, &fr, err, sizeof(err))) == CAP_OK)
		frames++;
	CHECK(st == CAP_BAD || st == CAP_CUT);
	CHECK(strstr(err, "shrank") != NULL);
	if (!strstr(err, "shrank"))
		fprintf(stderr, "  shrunk file: status %d, '%s'\n", st, err);
	CHECK(!capfile_info(cf)->sha256_valid);
	CHECK(frames >= ((5u << 20) / 4 - 24) / (plain.n - 24) * per_copy / 2);
	capfile_free(cf);
	unlink(p);
	free(huge.d);
	free(big.d);
	free(plain.d);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "%s:%d: usage: test_capfile CORPUS_DIR SAMPLES_DIR\n", __FILE__, __LINE__);
		return 1;
	}
	corpus = argv[1];
	/* built in the test, or from samples/ */
	test_bad_files();
	test_pcapng_timestamps();
	test_mem_matches_file(argv[2]);
	test_mapped_grow_shrink(argv[2]);
	struct stat st;
	if (stat(corpus_file("arkime__mysql-tls.pcap"), &st) != 0) {
		printf("SKIP: the tests on real captures (and the pcap/pcapng files built from their frames) need the "
		       "shared corpus: %s not found (-Dcorpus=DIR or TLSAUDIT_CORPUS at setup)\n",
		       corpus_path_buf);
	} else {
		test_corpus();
		test_sha_and_offsets();
		test_stdin();
		test_cut();
		prefix_sweep("arkime__mysql-tls.pcap", false);
		prefix_sweep("ndpi__smtps.pcapng", true);
		test_nsec_pcap(false);
		test_nsec_pcap(true);
		test_pcapng_mixed();
	}
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
