/* conformance_classify_risk.c - classify_risk.c against real nDPI 4.2 on every TLS connection of the shared
 * corpus (argv[1] = corpus pcaps directory) and of samples/ (argv[2]).
 *
 * For each TCP connection in which our TLS stage saw a ClientHello or ServerHello, real nDPI is fed the
 * connection's packets as src/flow feeds it today (risk_harness.c), and classify_risk_combine() is
 * computed from our own facts of the same connection, with nDPI's label as the only input taken from
 * nDPI. Risks and nDPI's JA3 must be equal; the few connections where nDPI's answer cannot follow from
 * the facts are listed in known[] below, each with the bits that differ and the cause found in the
 * bytes. A listed difference that disappears fails the test too (the table must stay true).
 * Exit 77 (skipped) when the corpus is absent. */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "risk_harness.h"
#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"

/* A difference explained from the bytes. */
struct known_diff {
	const char *pcap;
	uint16_t client_port, server_port;
	uint64_t real_only, ours_only; /* risk bits only nDPI / only we report */
	bool ja3_differs;
	const char *cause;
};

#define R(x) ((uint64_t)1 << (x))

static const struct known_diff known[] = {
	{"ndpi__tls-esni-fuzzed.pcap", 49897, 443, R(24), 0, false,
	 "fuzzed encrypted_server_name: its Encrypted SNI Length says 45203 in a 366-byte extension (tshark: "
	 "\"Vector length 45203 is too large\"), so nDPI's walk of the body stores no ESNI and it reports Missing "
	 "SNI; our facts keep only the extension's type (taken as a valid ESNI, which suppresses Missing SNI)"},
	{"ndpi__tls_invalid_reads.pcap", 58552, 443, R(33), 0, true,
	 "the extensions block (93 bytes) has 18 bytes of junk after its last extension; read as an extension "
	 "(type 0x47e3, length 0x4fc6) it runs past the message: nDPI's checkExtensions() flags it and nDPI "
	 "still builds a JA3 from the five extensions before it; our parser rejects the hello as malformed"},
	{"ndpi__tls_missing_ch_frag.pcap", 33063, 443, R(33), 0, true,
	 "the capture lost the ClientHello's second segment (bytes 1025-1505 of 1505); nDPI keeps one buffer "
	 "for both directions, so the server's first segment was appended to the incomplete hello and nDPI "
	 "parsed a 'ClientHello' of 1020 real and 481 server bytes (junk extensions, a JA3 of that mixture); "
	 "our stream has a hole and no hello"},
	{NULL, 0, 0, 0, 0, false, NULL},
};

/* The label cache the new design uses: key -> the label of the key's first connection (per capture, as
 * one nDPI module per capture). */
#define KEY_MAX 4096
struct key_entry {
	uint16_t sni_len;
	bool has_sni, tls_start;
	char sni[256];
	uint8_t family, server[16];
	uint16_t server_port, client_ip_proto;
	char label[64];
};

struct stats {
	struct key_entry keys[KEY_MAX];
	size_t n_keys;
	unsigned cache_hits, cache_same_label, cache_same_risks, cache_same_ja3;
	unsigned bit_real[64], bit_both[64], with_risks;
	unsigned files, conns, equal, known, unexplained, ja3_compared, ja3_equal;
	bool verbose;
	uint32_t max_packets; /* classify's packet cap for the run (0 = default) */
	const char *pcap;
	struct classify *c;
	bool known_hit[sizeof(known) / sizeof(known[0])];
};

static void print_bits(const char *what, uint64_t m)
{
	printf(" %s:", what);
	for (unsigned b = 0; b < 64; b++)
		if (m & ((uint64_t)1 << b)) {
			const char *n = classify_risk_name(b);
			printf(" [%u %s]", b, n ? n : "?");
		}
}

static void on_conn(const struct rh_conn *rc, void *ctx)
{
	struct stats *st = ctx;
	struct classify_risk_parts parts;
	const char *ja3 = "";

	if (!rc->tls_hello)
		return;
	rh_parts(st->c, rc, &parts);
	uint64_t ours = classify_risk_combine(&parts, &rc->conn, &ja3);
	uint64_t real = rc->real.risks;
	bool ja3_eq = strcmp(ja3, rc->real.ja3) == 0;

	st->conns++;
	st->with_risks += real != 0;
	for (unsigned b = 0; b < 64; b++)
		if (real & ((uint64_t)1 << b)) {
			st->bit_real[b]++;
			st->bit_both[b] += (ours >> b) & 1;
		}

	/* the key: SNI, server address and port, TLS from the first byte or not, and nDPI's IP-list protocol
	 * of the client address (nDPI looks at the client's address first) */
	struct key_entry k;
	const struct tls_facts *t = rc->tls;
	memset(&k, 0, sizeof(k));
	k.has_sni = (t->have_ch || t->n_client_hellos) && t->ch.has_sni;
	if (k.has_sni) {
		k.sni_len = t->ch.sni_len;
		memcpy(k.sni, t->ch.sni, t->ch.sni_len);
	}
	k.tls_start = rc->conn.tls_at_start;
	k.family = rc->family;
	memcpy(k.server, rc->addr[1 - rc->client], 16);
	k.server_port = rc->conn.server_port;
	k.client_ip_proto = classify_ip_protocol(st->c, rc->family, rc->addr[rc->client], rc->conn.client_port);
	struct key_entry *hit = NULL;
	for (size_t i = 0; i < st->n_keys && !hit; i++) {
		struct key_entry *e = &st->keys[i];
		if (e->has_sni == k.has_sni && e->sni_len == k.sni_len && !memcmp(e->sni, k.sni, k.sni_len) &&
		    e->tls_start == k.tls_start && e->family == k.family && !memcmp(e->server, k.server, 16) &&
		    e->server_port == k.server_port && e->client_ip_proto == k.client_ip_proto)
			hit = e;
	}
	if (hit) {
		struct classify_risk_parts cp = parts;
		const char *cja3 = "";
		st->cache_hits++;
		st->cache_same_label += !strcmp(hit->label, rc->real.protocol);
		(void)classify_label_info(st->c, hit->label, &cp.label);
		uint64_t cr = classify_risk_combine(&cp, &rc->conn, &cja3);
		st->cache_same_risks += cr == real;
		st->cache_same_ja3 += !strcmp(cja3, rc->real.ja3);
		if (strcmp(hit->label, rc->real.protocol) || cr != real)
			printf("CACHE %s %u->%u label \"%s\", first of its key \"%s\"%s\n", st->pcap,
			       rc->conn.client_port, rc->conn.server_port, rc->real.protocol, hit->label,
			       cr == real ? " (same risks)" : "");
	} else if (st->n_keys < KEY_MAX) {
		snprintf(k.label, sizeof(k.label), "%s", rc->real.protocol);
		st->keys[st->n_keys++] = k;
	}

	if (rc->real.ja3[0] || ja3[0]) {
		st->ja3_compared++;
		st->ja3_equal += ja3_eq;
	}
	if (ours == real && ja3_eq) {
		st->equal++;
		return;
	}
	for (size_t i = 0; known[i].pcap; i++) {
		const struct known_diff *kd = &known[i];
		if (strcmp(kd->pcap, st->pcap) || kd->client_port != rc->conn.client_port ||
		    kd->server_port != rc->conn.server_port)
			continue;
		if (kd->real_only == (real & ~ours) && kd->ours_only == (ours & ~real) && kd->ja3_differs == !ja3_eq) {
			st->known++;
			st->known_hit[i] = true;
			return;
		}
	}
	st->unexplained++;
	printf("DIFF %s %u->%u label \"%s\" fed %u/%u%s%s", st->pcap, rc->conn.client_port, rc->conn.server_port,
	       rc->real.protocol, rc->fed, rc->payload_pkts, rc->reordered ? " reordered" : "",
	       rc->encrypted_fatal_like ? " enc-fatal-like" : "");
	print_bits("real-only", real & ~ours);
	print_bits("ours-only", ours & ~real);
	if (!ja3_eq)
		printf(" ja3 real \"%s\" ours \"%s\"", rc->real.ja3, ja3);
	printf("\n     facts: start %d ch %u/%d ch2 %u sh %u/%d%s cert %u/%d%s alert %u have ch %d ch2 %d sh %d cert %d"
	       " exact %d/%d/%d/%d ch_status %u n_ch %u\n",
	       rc->conn.tls_at_start, rc->conn.pkt_ch, rc->conn.ch_one_record, rc->conn.pkt_ch2, rc->conn.pkt_sh,
	       rc->conn.sh_one_record, rc->conn.sh_is_hrr ? " hrr" : "", rc->conn.pkt_cert, rc->conn.cert_one_record,
	       rc->conn.cert_malformed ? " malformed" : "", rc->conn.pkt_fatal_alert, parts.have_ch, parts.have_ch2,
	       parts.have_sh, parts.have_cert, parts.ch.exact, parts.ch2.exact, parts.sh.exact, parts.cert.exact,
	       rc->tls->ch_status, rc->ch_msgs);
}

static int run_file(struct stats *st, const char *dir, const char *name)
{
	char path[4096], err[256];
	struct capfile *cf = NULL;
	struct cap_frame fr;
	struct rh *h = NULL;
	struct classify *c = NULL;
	int rc = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (rc < 0 || (size_t)rc >= sizeof(path))
		return -1;
	if (capfile_open(path, &cf, err, sizeof(err)) < 0) {
		printf("FAIL %s: %s\n", path, err);
		return -1;
	}
	/* one nDPI module per capture, as `tlsaudit read` has one per file */
	if (classify_new(&c, err, sizeof(err)) != 0 || rh_new(c, st->max_packets, on_conn, st, &h) != 0) {
		printf("FAIL %s\n", err);
		capfile_free(cf);
		classify_free(c);
		return -1;
	}
	if (st->max_packets)
		classify_set_max_packets(c, st->max_packets);
	st->c = c;
	st->pcap = name;
	st->n_keys = 0;
	while (capfile_next(cf, &fr, err, sizeof(err)) == CAP_OK) {
		struct pkt p;
		if (decode_packet(fr.linktype, fr.data, fr.caplen, fr.wire_len, fr.ts_ns, &p) != DECODE_OK)
			continue;
		rh_packet(h, &p);
	}
	rh_free(h);
	capfile_free(cf);
	classify_free(c);
	st->files++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* every regular file of dir (sorted), or only *.pcap when pcap_only */
static int run_dir(struct stats *st, const char *dir, bool pcap_only)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[1024];
	size_t n = 0;
	int fails = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0])) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		if (pcap_only && (l < 5 || strcmp(de->d_name + l - 5, ".pcap") != 0))
			continue;
		if (!pcap_only && !(l > 5 && (!strcmp(de->d_name + l - 5, ".pcap") ||
					      (l > 7 && !strcmp(de->d_name + l - 7, ".pcapng")))))
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (run_file(st, dir, names[i]) != 0)
			fails++;
		free(names[i]);
	}
	return fails;
}

int main(int argc, char **argv)
{
	static struct stats st;
	struct stat sb;
	int fails = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CORPUS_PCAPS_DIR SAMPLES_DIR [NDPI_PACKETS]\n", argv[0]);
		return 2;
	}
	if (stat(argv[1], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		printf("SKIP: no corpus at %s\n", argv[1]);
		return 77;
	}
	if (argc > 3)
		st.max_packets = (uint32_t)strtoul(argv[3], NULL, 10);
	fails += run_dir(&st, argv[1], false);
	fails += run_dir(&st, argv[2], true);

	for (size_t i = 0; known[i].pcap && !st.max_packets; i++)
		if (!st.known_hit[i]) {
			printf("STALE known difference: %s %u->%u (%s)\n", known[i].pcap, known[i].client_port,
			       known[i].server_port, known[i].cause);
			fails++;
		}
	printf("risk bits nDPI set (connections; of them also ours):");
	for (unsigned b = 0; b < 64; b++)
		if (st.bit_real[b])
			printf(" [%s %u/%u]", classify_risk_name(b), st.bit_real[b], st.bit_both[b]);
	printf("\nconnections with a risk: %u\n", st.with_risks);
	printf("label cache by (SNI, server address, server port, TLS at start, client address's IP-list protocol):"
	       " %u connections had an earlier one with their key; same label %u, same risks %u, same JA3 %u\n",
	       st.cache_hits, st.cache_same_label, st.cache_same_risks, st.cache_same_ja3);
	printf("files %u, TLS connections %u: equal %u, known differences %u, unexplained %u; JA3 compared %u, "
	       "equal %u\n",
	       st.files, st.conns, st.equal, st.known, st.unexplained, st.ja3_compared, st.ja3_equal);
	return (fails || st.unexplained) ? 1 : 0;
}
