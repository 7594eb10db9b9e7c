/* test_stack.c - unit tests of the stack matcher (src/stack): the generated table's consistency,
 * hellos built from table entries and changed the way applications change them, hostile counts,
 * and the real Debian 12 captures of samples/stacks (argv[1]), default and narrowed ranges.
 * Needs nothing outside the repository. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hellos.h"
#include "stack_internal.h"
#include "tlsaudit/names.h"
#include "tlsaudit/stack.h"

static int failures, checks;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		checks++;                                               \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                   \
			fputc('\n', stderr);                            \
			failures++;                                     \
		}                                                       \
	} while (0)

static const struct stack_entry *entry(const char *key)
{
	for (size_t i = 0; i < stack_n_entries; i++)
		if (strcmp(stack_entries[i].key, key) == 0)
			return &stack_entries[i];
	fprintf(stderr, "no table entry %s\n", key);
	exit(2);
}

/* memcpy that accepts the table's NULL arrays of length 0 */
static void copy(void *dst, const void *src, size_t n)
{
	if (n)
		memcpy(dst, src, n);
}

/* A hello with exactly an entry's features (what its stack sends by default). */
static void hello_of(const struct stack_entry *e, struct tls_client_hello *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->record_version = e->record_version;
	ch->sslv2_format = e->sslv2;
	bool tls13 = tls_version_is_13(e->max_version);
	ch->legacy_version = tls13 ? 0x0303 : e->max_version;
	if (tls13) {
		ch->has_supported_versions = true;
		ch->versions[0] = e->max_version;
		ch->versions[1] = 0x0303;
		ch->n_versions = 2;
	}
	copy(ch->ciphers, e->ciphers, e->n_ciphers * sizeof(uint16_t));
	ch->n_ciphers = ch->n_ciphers_total = e->n_ciphers;
	copy(ch->exts, e->exts, e->n_exts * sizeof(uint16_t));
	ch->n_exts = ch->n_exts_total = e->n_exts;
	copy(ch->groups, e->groups, e->n_groups * sizeof(uint16_t));
	ch->n_groups = e->n_groups;
	copy(ch->sigalgs, e->sigalgs, e->n_sigalgs * sizeof(uint16_t));
	ch->n_sigalgs = e->n_sigalgs;
	copy(ch->point_formats, e->point_formats, e->n_point_formats);
	ch->n_point_formats = e->n_point_formats;
	copy(ch->compression, e->compression, e->n_compression);
	ch->n_compression = ch->n_compression_total = e->n_compression;
}

static void add_ext(struct tls_client_hello *ch, size_t at, uint16_t type)
{
	memmove(&ch->exts[at + 1], &ch->exts[at], (ch->n_exts - at) * sizeof(uint16_t));
	ch->exts[at] = type;
	ch->n_exts++;
}

static void remove_value(uint16_t *v, uint16_t *n, uint16_t x)
{
	uint16_t k = 0;
	for (uint16_t i = 0; i < *n; i++)
		if (v[i] != x)
			v[k++] = v[i];
	*n = k;
}

static void remove_value8(uint16_t *v, uint8_t *n, uint16_t x)
{
	uint16_t m = *n;
	remove_value(v, &m, x);
	*n = (uint8_t)m;
}

static void expect(const struct tls_client_hello *ch, enum stack_match_kind kind, const char *key, const char *what)
{
	struct stack_match m;
	stack_identify(ch, &m);
	const char *k = stack_match_kind_name(m.kind);
	CHECK(m.kind == kind && (!key || (m.key && strcmp(m.key, key) == 0)), "%s: %s %s (%s), want %s %s", what,
	      k ? k : "none", m.key ? m.key : "-", m.differed,
	      stack_match_kind_name(kind) ? stack_match_kind_name(kind) : "none", key ? key : "");
}

static void expect_family(const struct tls_client_hello *ch, const char *family, const char *what)
{
	struct stack_match m;
	stack_identify(ch, &m);
	CHECK(m.family && strcmp(m.family, family) == 0, "%s: family %s, want %s", what, m.family ? m.family : "none",
	      family);
}

/* ---- the table as generated ----------------------------------------------------------- */

static void test_table(void)
{
	CHECK(stack_n_entries > 100, "only %zu entries", stack_n_entries);
	for (size_t i = 0; i < stack_n_entries; i++) {
		const struct stack_entry *e = &stack_entries[i];
		CHECK(stack_entry_base_hash(e) == e->base_hash, "%s: generator and matcher hash differently", e->key);
		uint64_t sig[3][4];
		stack_entry_signature(e, sig);
		CHECK(memcmp(sig, e->sig, sizeof(sig)) == 0, "%s: generator and matcher sign differently", e->key);
		CHECK(stack_family_info(e->family) != NULL, "%s: family %s has no remediation facts", e->key,
		      e->family);
		CHECK(e->n_ciphers > 0 && e->name && e->versions && e->sources, "%s: incomplete", e->key);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(stack_entries[j].key, e->key) != 0, "%s: duplicate key", e->key);
		if (strcmp(e->family, "schannel") == 0) {
			CHECK(e->windows != NULL, "%s: SChannel entry without a Windows release", e->key);
			/* "; "-separated release names, each one known */
			for (const char *w = e->windows; w && *w;) {
				const char *end = strstr(w, "; ");
				char one[128];
				snprintf(one, sizeof(one), "%.*s", (int)(end ? (size_t)(end - w) : strlen(w)), w);
				CHECK(stack_windows_info(one) != NULL, "%s: no facts for \"%s\"", e->key, one);
				w = end ? end + 2 : NULL;
			}
		} else {
			CHECK(e->windows == NULL, "%s: Windows release on a non-SChannel entry", e->key);
		}
	}
	for (size_t i = 1; i < stack_n_entries; i++)
		CHECK(stack_index[i - 1].hash <= stack_index[i].hash, "index not sorted at %zu", i);
	/* lowest versions from the IANA names: TLS 1.3 suite, AEAD, ECDHE-CBC-SHA, RSA-CBC-SHA, SCSV */
	static const struct {
		uint16_t id;
		unsigned code;
	} mins[] = {{0x1301, 3}, {0xc02f, 2}, {0x003c, 2}, {0xc013, 1}, {0x002f, 0}, {0x00ff, 0}, {0x5600, 0}};
	for (size_t i = 0; i < sizeof(mins) / sizeof(mins[0]); i++) {
		unsigned code = (unsigned)(stack_cipher_min_bits[mins[i].id >> 5] >> ((mins[i].id & 31) * 2)) & 3;
		CHECK(code == mins[i].code, "suite 0x%04x: lowest-version code %u, want %u", mins[i].id, code,
		      mins[i].code);
	}
	size_t n;
	const struct stack_family *f = stack_families(&n);
	for (size_t i = 0; i < n; i++)
		CHECK(f[i].version_setting && f[i].source && f[i].name, "family %s incomplete", f[i].family);
	CHECK(strcmp(stack_match_kind_name(STACK_EXACT), "exact") == 0, "kind name");
	CHECK(strcmp(stack_match_kind_name(STACK_CLOSE), "close") == 0, "kind name");
	CHECK(stack_match_kind_name(STACK_NONE) == NULL, "kind name");
	CHECK(stack_family_info(NULL) == NULL && stack_family_info("nope") == NULL, "unknown family");
}

/* ---- what applications and version limits change --------------------------------------- */

static void test_variations(void)
{
	static struct tls_client_hello ch;
	const struct stack_entry *ossl = entry("openssl-303"); /* OpenSSL 3.0: TLS 1.3, fixed order */
	const struct stack_entry *chrome = entry("boringssl-chromium-137-win11"); /* shuffles */
	const struct stack_entry *win7 = entry("schannel-ie-8-10-win7");

	hello_of(ossl, &ch);
	expect(&ch, STACK_EXACT, "openssl-303", "OpenSSL 3.0 as in the table");

	/* SNI, ALPN, session ticket, padding: soft, in any position */
	hello_of(ossl, &ch);
	add_ext(&ch, 0, 0);
	add_ext(&ch, 3, 16);
	add_ext(&ch, 5, 35);
	add_ext(&ch, ch.n_exts, 21);
	expect(&ch, STACK_EXACT, "openssl-303", "OpenSSL 3.0 with SNI, ALPN, ticket, padding");

	/* GREASE anywhere is ignored */
	hello_of(ossl, &ch);
	memmove(&ch.ciphers[1], &ch.ciphers[0], ch.n_ciphers * sizeof(uint16_t));
	ch.ciphers[0] = 0x3a3a;
	ch.n_ciphers++;
	add_ext(&ch, 0, 0x5a5a);
	ch.groups[ch.n_groups++] = 0x8a8a;
	expect(&ch, STACK_EXACT, "openssl-303", "OpenSSL 3.0 with GREASE");

	/* limited to TLS 1.2: 1.3 suites, supported_versions, key_share, psk modes, FFDHE groups go */
	hello_of(ossl, &ch);
	ch.legacy_version = 0x0303;
	ch.n_versions = 0;
	ch.has_supported_versions = false;
	for (uint16_t c = 0x1301; c <= 0x1305; c++)
		remove_value(ch.ciphers, &ch.n_ciphers, c);
	remove_value(ch.exts, &ch.n_exts, 43);
	remove_value(ch.exts, &ch.n_exts, 51);
	remove_value(ch.exts, &ch.n_exts, 45);
	for (uint16_t g = 0x0100; g <= 0x0104; g++)
		remove_value8(ch.groups, &ch.n_groups, g);
	expect(&ch, STACK_EXACT, NULL, "OpenSSL 3.0 limited to TLS 1.2");
	expect_family(&ch, "openssl", "OpenSSL 3.0 limited to TLS 1.2");

	/* ... and to TLS 1.0: also the TLS 1.2 suites and signature_algorithms */
	ch.legacy_version = 0x0301;
	uint16_t k = 0;
	for (uint16_t i = 0; i < ch.n_ciphers; i++) {
		const char *name = names_cipher_known(ch.ciphers[i]);
		if (!name || (!strstr(name, "GCM") && !strstr(name, "CHACHA") && !strstr(name, "SHA256") &&
			      !strstr(name, "SHA384")))
			ch.ciphers[k++] = ch.ciphers[i];
	}
	ch.n_ciphers = k;
	remove_value(ch.exts, &ch.n_exts, 13);
	ch.n_sigalgs = 0;
	expect(&ch, STACK_EXACT, NULL, "OpenSSL 3.0 limited to TLS 1.0"); /* 1.1.1 and 3.0 look alike then */
	expect_family(&ch, "openssl", "OpenSSL 3.0 limited to TLS 1.0");

	/* a version limit removes, it never reorders: two suites swapped -> close, order named */
	uint16_t t = ch.ciphers[0];
	ch.ciphers[0] = ch.ciphers[1];
	ch.ciphers[1] = t;
	struct stack_match m;
	stack_identify(&ch, &m);
	CHECK(m.kind == STACK_CLOSE && strcmp(m.family, "openssl") == 0 && strstr(m.differed, "ciphers order"),
	      "swapped suites: %s %s \"%s\"", stack_match_kind_name(m.kind) ? stack_match_kind_name(m.kind) : "none",
	      m.key ? m.key : "-", m.differed);

	/* a TLS 1.2 suite missing at TLS 1.3: not what a version limit does -> close, "1 missing" */
	hello_of(ossl, &ch);
	remove_value(ch.ciphers, &ch.n_ciphers, 0xc02c);
	stack_identify(&ch, &m);
	CHECK(m.kind == STACK_CLOSE && strcmp(m.key, "openssl-303") == 0 && strstr(m.differed, "ciphers: 1 missing"),
	      "suite missing: %s \"%s\"", m.key ? m.key : "-", m.differed);

	/* a suite the stack never sends -> close, "1 extra" */
	hello_of(ossl, &ch);
	ch.ciphers[ch.n_ciphers++] = 0x0005;
	stack_identify(&ch, &m);
	CHECK(m.kind == STACK_CLOSE && strcmp(m.key, "openssl-303") == 0 && strstr(m.differed, "ciphers: 1 extra"),
	      "suite added: %s \"%s\"", m.key ? m.key : "-", m.differed);

	/* an application that offers TLS 1.3 only drops the older suites and TLS 1.2-only sigalgs */
	hello_of(ossl, &ch);
	ch.versions[0] = 0x0304;
	ch.n_versions = 1;
	k = 0;
	for (uint16_t i = 0; i < ch.n_ciphers; i++)
		if ((ch.ciphers[i] >> 8) == 0x13 || ch.ciphers[i] == 0x00ff)
			ch.ciphers[k++] = ch.ciphers[i];
	ch.n_ciphers = k;
	static const uint16_t old_sigalgs[] = {0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602};
	for (size_t i = 0; i < sizeof(old_sigalgs) / sizeof(old_sigalgs[0]); i++)
		remove_value8(ch.sigalgs, &ch.n_sigalgs, old_sigalgs[i]);
	expect(&ch, STACK_EXACT, "openssl-303", "OpenSSL 3.0 offering TLS 1.3 only");

	/* Chrome 110+ shuffles its extensions: any order is exact for it */
	hello_of(chrome, &ch);
	for (uint16_t i = 0; i < ch.n_exts / 2; i++) {
		uint16_t x = ch.exts[i];
		ch.exts[i] = ch.exts[ch.n_exts - 1 - i];
		ch.exts[ch.n_exts - 1 - i] = x;
	}
	stack_identify(&ch, &m);
	CHECK(m.kind == STACK_EXACT && strcmp(m.library, "boringssl") == 0, "shuffled Chromium 137: %s %s \"%s\"",
	      stack_match_kind_name(m.kind) ? stack_match_kind_name(m.kind) : "none", m.key ? m.key : "-", m.differed);
	/* a repeated extension is never exact */
	ch.exts[ch.n_exts++] = ch.exts[0];
	stack_identify(&ch, &m);
	CHECK(m.kind != STACK_EXACT, "repeated extension still exact (%s)", m.key ? m.key : "-");

	/* ... but a stack with a fixed order is only close when its order changes */
	hello_of(ossl, &ch);
	uint16_t x = ch.exts[0];
	ch.exts[0] = ch.exts[1];
	ch.exts[1] = x;
	stack_identify(&ch, &m);
	CHECK(m.kind == STACK_CLOSE && strcmp(m.key, "openssl-303") == 0 && strstr(m.differed, "extension order"),
	      "OpenSSL with swapped extensions: %s \"%s\"", m.key ? m.key : "-", m.differed);

	/* Windows 7's SChannel default and its remediation facts */
	hello_of(win7, &ch);
	stack_identify(&ch, &m);
	CHECK(m.kind == STACK_EXACT && strcmp(m.family, "schannel") == 0 && m.windows &&
		      strcmp(m.windows, "Windows 7 / Server 2008 R2") == 0,
	      "IE 8-10 Win 7: %s %s", m.key ? m.key : "-", m.windows ? m.windows : "-");
	const struct stack_windows *w = stack_windows_info(m.windows);
	CHECK(w && strstr(w->client_default, "off for clients") && strstr(w->remedy, "DisabledByDefault=0"),
	      "Windows 7 facts");

	/* an SSLv2-format hello is not the TLS-format hello with the same suites */
	hello_of(win7, &ch);
	ch.sslv2_format = true;
	ch.n_exts = 0;
	ch.n_groups = ch.n_point_formats = ch.n_compression = 0;
	stack_identify(&ch, &m);
	CHECK(m.kind != STACK_EXACT || strcmp(m.family, "schannel") == 0, "SSLv2 form: %s", m.key ? m.key : "-");

	/* nothing to go on */
	memset(&ch, 0, sizeof(ch));
	expect(&ch, STACK_NONE, NULL, "empty hello");
	ch.ciphers[0] = 0x002f;
	ch.n_ciphers = 1;
	ch.legacy_version = 0x0303;
	expect(&ch, STACK_NONE, NULL, "one suite, nothing else");
	stack_identify(NULL, &m);
	CHECK(m.kind == STACK_NONE && m.key == NULL && m.differed[0] == '\0', "NULL hello");
}

/* the tls stage keeps the compression methods the matcher compares (legacy_compression_methods,
 * RFC 5246 7.4.1.2): bytes built here, checked field by field */
static void test_compression_parse(void)
{
	uint8_t body[128];
	size_t n = 0;
	body[n++] = 0x03;
	body[n++] = 0x01; /* legacy_version TLS 1.0 */
	memset(body + n, 0x11, 32);
	n += 32;       /* random */
	body[n++] = 0; /* session id */
	body[n++] = 0;
	body[n++] = 4; /* two suites */
	body[n++] = 0x00;
	body[n++] = 0x2f;
	body[n++] = 0x00;
	body[n++] = 0x35;
	body[n++] = 2; /* DEFLATE, null: what OpenSSL 0.9.8 sent */
	body[n++] = 1;
	body[n++] = 0;
	static struct tls_client_hello ch;
	CHECK(tls_parse_client_hello(body, n, &ch) == TLS_OK, "parse");
	CHECK(ch.n_compression == 2 && ch.n_compression_total == 2 && ch.compression[0] == 1 && ch.compression[1] == 0,
	      "compression %u/%u: %u %u", ch.n_compression, ch.n_compression_total, ch.compression[0],
	      ch.compression[1]);
	/* more methods than TLS_MAX_COMPRESSION: the first ones kept, all counted */
	n -= 3;
	body[n++] = 20;
	for (uint8_t i = 0; i < 20; i++)
		body[n++] = (uint8_t)(0x40 + i);
	CHECK(tls_parse_client_hello(body, n, &ch) == TLS_OK, "parse");
	CHECK(ch.n_compression == TLS_MAX_COMPRESSION && ch.n_compression_total == 20 && ch.compression[0] == 0x40 &&
		      ch.compression[TLS_MAX_COMPRESSION - 1] == 0x40 + TLS_MAX_COMPRESSION - 1,
	      "capped compression %u/%u", ch.n_compression, ch.n_compression_total);
	/* a compression vector running past the body: truncated, nothing read beyond */
	CHECK(tls_parse_client_hello(body, n - 1, &ch) == TLS_TRUNCATED, "cut compression");
}

/* counts beyond the struct's arrays (a corrupted struct) are clamped, never followed */
static void test_hostile(void)
{
	static struct tls_client_hello ch;
	struct stack_match m;
	hello_of(entry("openssl-303"), &ch);
	ch.n_ciphers = 60000;
	ch.n_exts = 60000;
	ch.n_groups = 255;
	ch.n_sigalgs = 255;
	ch.n_point_formats = 255;
	ch.n_compression = 255;
	ch.n_versions = 255;
	stack_identify(&ch, &m);
	CHECK(m.differed[sizeof(m.differed) - 1] == '\0' && strlen(m.differed) < sizeof(m.differed), "differed");
	/* every value repeated: all lists full of one value */
	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0303;
	for (size_t i = 0; i < TLS_MAX_CIPHERS; i++)
		ch.ciphers[i] = 0xc02f;
	ch.n_ciphers = TLS_MAX_CIPHERS;
	for (size_t i = 0; i < TLS_MAX_EXTS; i++)
		ch.exts[i] = 10;
	ch.n_exts = TLS_MAX_EXTS;
	stack_identify(&ch, &m);
	CHECK(m.kind != STACK_EXACT, "repeated values exact (%s)", m.key ? m.key : "-");
	/* every cipher value once (512 distinct), every extension distinct */
	for (size_t i = 0; i < TLS_MAX_CIPHERS; i++)
		ch.ciphers[i] = (uint16_t)(0xc000 + i);
	for (size_t i = 0; i < TLS_MAX_EXTS; i++)
		ch.exts[i] = (uint16_t)(100 + i);
	stack_identify(&ch, &m);
	CHECK(m.kind == STACK_NONE, "random values named %s", m.key ? m.key : "-");

	/* every entry's hello with values overwritten at random (fixed seed): answers stay well-formed */
	uint32_t seed = 12345;
	for (size_t round = 0; round < 20; round++)
		for (size_t i = 0; i < stack_n_entries; i++) {
			hello_of(&stack_entries[i], &ch);
			for (int k = 0; k < 8; k++) {
				seed = seed * 1103515245u + 12345u;
				uint16_t v = (uint16_t)(seed >> 8);
				switch ((seed >> 24) % 6) {
				case 0: ch.ciphers[v % TLS_MAX_CIPHERS] = v; break;
				case 1: ch.exts[v % TLS_MAX_EXTS] = v; break;
				case 2: ch.groups[v % TLS_MAX_GROUPS] = v; break;
				case 3: ch.n_ciphers = (uint16_t)(v % (TLS_MAX_CIPHERS + 1)); break;
				case 4: ch.n_exts = (uint16_t)(v % (TLS_MAX_EXTS + 1)); break;
				default:
					ch.versions[0] = v;
					ch.n_versions = 1;
					break;
				}
			}
			stack_identify(&ch, &m);
			bool sane = memchr(m.differed, '\0', sizeof(m.differed)) != NULL &&
				    (m.kind == STACK_NONE ? m.key == NULL : m.key && m.family && m.name && m.library);
			CHECK(sane, "random hello from %s: malformed answer", stack_entries[i].key);
		}
}

/* ---- our own captures: samples/stacks/<stack>-<version>-<program>[-variant].pcap ---------- */

static const char *family_of_capture(const char *name)
{
	static const char *const prefixes[][2] = {
		{"openssl-", "openssl"}, {"gnutls-", "gnutls"},	  {"nss-", "nss"},	   {"java-", "java"},
		{"go-", "go"},		 {"mbedtls-", "mbedtls"}, {"wolfssl-", "wolfssl"},
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i][0], strlen(prefixes[i][0])) == 0)
			return prefixes[i][1];
	return NULL;
}

static void test_captures(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		CHECK(false, "cannot open %s", dir);
		return;
	}
	unsigned files = 0, narrowed = 0, right = 0, exact = 0, narrowed_exact = 0;
	static struct tls_client_hello all[128];
	size_t n_all = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".pcap") != 0)
			continue;
		char path[4096], name[256];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		struct hello_list l = {0};
		CHECK(hellos_from_capture(path, &l) == 0 && l.n == 1, "%s: %zu hellos", name, l.n);
		if (l.n != 1) {
			free(l.v);
			continue;
		}
		files++;
		bool is_narrowed = strstr(name, "-tls1") != NULL;
		narrowed += is_narrowed;
		const char *want = family_of_capture(name);
		struct stack_match m;
		stack_identify(&l.v[0].ch, &m);
		const char *k = stack_match_kind_name(m.kind);
		printf("capture %-34s %-5s %-30s %s\n", name, k ? k : "none", m.key ? m.key : "-", m.differed);
		bool ok = want && m.family && strcmp(m.family, want) == 0;
		right += ok;
		exact += m.kind == STACK_EXACT;
		narrowed_exact += is_narrowed && m.kind == STACK_EXACT;
		CHECK(ok, "%s: family %s, want %s", name, m.family ? m.family : "none", want ? want : "?");
		/* every capture with its stack's default range is a source of an entry: exact on it */
		if (!is_narrowed) {
			char src[300];
			snprintf(src, sizeof(src), "samples/stacks/%s.pcap", name);
			CHECK(m.kind == STACK_EXACT && m.key && strstr(entry(m.key)->sources, src),
			      "%s: not exact on the entry built from it (%s)", name, m.key ? m.key : "-");
		}
		if (n_all < sizeof(all) / sizeof(all[0]))
			all[n_all++] = l.v[0].ch;
		free(l.v);
	}
	closedir(d);
	printf("captures: %u files (%u narrowed), family right for %u, exact %u (narrowed: %u exact)\n", files,
	       narrowed, right, exact, narrowed_exact);
	CHECK(files >= 40 && narrowed >= 20, "%u captures, %u narrowed", files, narrowed);

	/* cost: all of them, 200 times; a loose bound only (not a benchmark) */
	struct timespec t0, t1;
	struct stack_match m;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int r = 0; r < 200; r++)
		for (size_t i = 0; i < n_all; i++)
			stack_identify(&all[i], &m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) /
		    (200.0 * (double)(n_all ? n_all : 1));
	printf("stack_identify: %.2f us per hello (%zu hellos x 200)\n", us, n_all);
	CHECK(us < 500, "%.1f us per hello", us);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SAMPLES_STACKS_DIR\n", argv[0]);
		return 2;
	}
	test_table();
	test_variations();
	test_hostile();
	test_compression_parse();
	test_captures(argv[1]);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
