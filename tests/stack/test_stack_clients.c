/* test_stack_clients.c - the stack matcher (src/stack) against the shared client list and corpus.
 * Usage: test_stack_clients CLIENTS_JSON CORPUS_DIR [--verbose]
 *
 * 1. Self-identification: every hello of client-hellos.json (parsed here with the tls stage)
 *    is STACK_EXACT on the table entry that lists it as a source.
 * 2. Leave-one-out: for each entry built from ONE source, the table without that entry names
 *    what for the hello? Figures: exact/close of the same family, of the same library under
 *    another family, of a wrong library, and no match. A wrong-library "exact" fails the test;
 *    wrong-library "close" is reported (and may not grow beyond LOO_WRONG_CLOSE_MAX).
 * 3. Corpus: each ClientHello of every capture in CORPUS_DIR/pcaps is identified and listed;
 *    where the capture's name says which client sent it, another family fails the test.
 * Exit 77 (meson: skipped) when the shared files are absent. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hellos.h"
#include "stack_internal.h"
#include "tlsaudit/stack.h"

#define LOO_WRONG_CLOSE_MAX 1 /* measured: Java 6u45 (SSLv2 hello) is closest to Android 2.3.7 (Harmony JSSE) */

static int failures;
static bool verbose;

#define FAIL(...)                                               \
	do {                                                    \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                   \
		fputc('\n', stderr);                            \
		failures++;                                     \
	} while (0)

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	do {
		if (cap - len < 65536) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = hl_xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* the string value of "key" at or after p (json.dump output: no escapes in these values) */
static const char *json_str(const char *p, const char *key, char *out, size_t out_len)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	const char *q = strstr(p, pat);
	if (!q)
		return NULL;
	q += strlen(pat);
	size_t n = 0;
	while (*q && *q != '"' && n + 1 < out_len)
		out[n++] = *q++;
	out[n] = '\0';
	return q;
}

/* the table entry that lists "client-hellos.json: NAME" among its sources */
static size_t entry_of(const char *name)
{
	char want[300];
	snprintf(want, sizeof(want), "client-hellos.json: %s", name);
	size_t wl = strlen(want);
	for (size_t i = 0; i < stack_n_entries; i++) {
		const char *s = stack_entries[i].sources;
		for (const char *p = strstr(s, want); p; p = strstr(p + 1, want))
			if ((p == s || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ';'))
				return i;
	}
	return SIZE_MAX;
}

static size_t n_sources(const struct stack_entry *e)
{
	size_t n = 1;
	for (const char *p = e->sources; *p; p++)
		n += *p == ';';
	return n;
}

/* the prefilter must not change the answer: the same hello scored against every entry */
static unsigned prefilter_checked, prefilter_differs;
static void compare_full(const struct tls_client_hello *ch, size_t exclude, const struct stack_match *m,
			 const char *what)
{
	struct stack_match full;
	stack_identify_excluding(ch, exclude, true, &full);
	prefilter_checked++;
	if (full.kind != m->kind || (full.key != m->key && (!full.key || !m->key || strcmp(full.key, m->key) != 0))) {
		prefilter_differs++;
		FAIL("%s: prefiltered %s, full scan %s", what, m->key ? m->key : "-", full.key ? full.key : "-");
	}
}

struct loo {
	unsigned runs, same_exact, same_close, lib_exact, lib_close, wrong_exact, wrong_close, none;
	unsigned crawler_runs;
};

static void clients(const char *path)
{
	char *js = slurp(path);
	if (!js) {
		printf("clients: %s absent, skipped\n", path);
		return;
	}
	unsigned total = 0, self_exact = 0, self_crawler = 0;
	struct loo loo = {0};
	char name[256], hex[8192];
	const char *p = js;
	while ((p = json_str(p, "name", name, sizeof(name))) != NULL) {
		p = json_str(p, "record_hex", hex, sizeof(hex));
		if (!p) {
			FAIL("%s: no record_hex", name);
			break;
		}
		total++;
		static struct tls_client_hello ch;
		if (!hello_from_hex(hex, &ch)) {
			FAIL("%s: the tls stage does not parse its hello", name);
			continue;
		}
		size_t want = entry_of(name);
		if (want == SIZE_MAX) {
			FAIL("%s: no table entry lists it (run scripts/make-stack-table.py)", name);
			continue;
		}
		const struct stack_entry *we = &stack_entries[want];
		struct stack_match m;
		stack_identify(&ch, &m);
		bool crawler = strcmp(we->family, "crawler") == 0;
		if (m.kind == STACK_EXACT && strcmp(m.key, we->key) == 0)
			self_exact++;
		else if (crawler && m.kind == STACK_CLOSE && m.also && strcmp(m.also, we->key) == 0)
			self_crawler++; /* a crawler names no stack: the closest stack, "same hello as" it */
		else
			FAIL("%s: %s %s (%s), want exact %s", name,
			     stack_match_kind_name(m.kind) ? stack_match_kind_name(m.kind) : "none",
			     m.key ? m.key : "-", m.differed, we->key);

		/* leave-one-out: only entries with this one source disappear from the table */
		if (n_sources(we) != 1)
			continue;
		stack_identify_excluding(&ch, want, false, &m);
		compare_full(&ch, want, &m, name);
		if (crawler) {
			loo.crawler_runs++;
			if (verbose)
				printf("loo crawler %-32s -> %s %s %s\n", name,
				       stack_match_kind_name(m.kind) ? stack_match_kind_name(m.kind) : "none",
				       m.key ? m.key : "-", m.differed);
			continue;
		}
		loo.runs++;
		const char *verdict;
		if (m.kind == STACK_NONE) {
			loo.none++;
			verdict = "none";
		} else if (strcmp(m.family, we->family) == 0) {
			verdict = m.kind == STACK_EXACT ? (loo.same_exact++, "same-exact")
							: (loo.same_close++, "same-close");
		} else if (strcmp(m.library, we->library) == 0) {
			verdict =
				m.kind == STACK_EXACT ? (loo.lib_exact++, "lib-exact") : (loo.lib_close++, "lib-close");
		} else if (m.kind == STACK_EXACT) {
			loo.wrong_exact++;
			verdict = "WRONG-EXACT";
			FAIL("leave-one-out %s (%s): exact %s (%s)", name, we->family, m.key, m.family);
		} else {
			loo.wrong_close++;
			verdict = "WRONG-close";
		}
		if (verbose || verdict[0] == 'W')
			printf("loo %-11s %-34s (%s) -> %s %s [%u] %s\n", verdict, name, we->family,
			       m.key ? m.key : "-", m.family ? m.family : "", m.score, m.differed);
	}
	free(js);
	printf("clients: %u hellos, %u identified as themselves with exact, %u crawlers as the closest stack with "
	       "\"same hello as\" themselves\n",
	       total, self_exact, self_crawler);
	printf("leave-one-out: %u runs (entries with one source; %u crawler runs not counted): "
	       "same family %u exact + %u close, same library %u exact + %u close, "
	       "wrong family %u exact + %u close, no match %u\n",
	       loo.runs, loo.crawler_runs, loo.same_exact, loo.same_close, loo.lib_exact, loo.lib_close,
	       loo.wrong_exact, loo.wrong_close, loo.none);
	if (total != 177)
		FAIL("clients: %u hellos, want 177", total);
	if (loo.wrong_close > LOO_WRONG_CLOSE_MAX)
		FAIL("leave-one-out: %u wrong-family close, more than %d", loo.wrong_close, LOO_WRONG_CLOSE_MAX);
}

/* corpus captures whose name says which client sent every ClientHello in them */
static const struct {
	const char *capture_part; /* substring of the file name */
	const char *family;
} known[] = {
	{"arkime__openssl-", "openssl"}, {"chrome", "boringssl"}, {"-ff52", "firefox"}, {"openjdk", "java"},
	{"wolfssl", "wolfssl"},		 {"curl", "openssl"},
};

static void corpus(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/pcaps", dir);
	DIR *d = opendir(path);
	if (!d) {
		printf("corpus: %s absent, skipped\n", path);
		return;
	}
	char *names[512];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < 512)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	for (size_t i = 1; i < n; i++) /* sorted, so the listing is stable */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	unsigned hellos = 0, exact = 0, close = 0, none = 0, checked = 0;
	double us_total = 0, us_max = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/pcaps/%s", dir, names[i]);
		struct hello_list l = {0};
		if (hellos_from_capture(path, &l) < 0)
			FAIL("%s: cannot open", path);
		const char *want = NULL;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strstr(names[i], known[k].capture_part))
				want = known[k].family;
		for (size_t h = 0; h < l.n; h++) {
			struct stack_match m;
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			stack_identify(&l.v[h].ch, &m);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			compare_full(&l.v[h].ch, SIZE_MAX, &m, names[i]);
			double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
			us_total += us;
			us_max = us > us_max ? us : us_max;
			hellos++;
			exact += m.kind == STACK_EXACT;
			close += m.kind == STACK_CLOSE;
			none += m.kind == STACK_NONE;
			const char *kind = stack_match_kind_name(m.kind);
			printf("corpus %s %s: %s [%u] %s%s%s%s\n", names[i], l.v[h].conn, kind ? kind : "none", m.score,
			       m.key ? m.key : "", m.family ? " (" : "", m.family ? m.family : "", m.family ? ")" : "");
			if (m.differed[0])
				printf("    differed: %s\n", m.differed);
			if (want) {
				checked++;
				if (m.kind == STACK_NONE || strcmp(m.family, want) != 0)
					FAIL("%s %s: %s, want family %s", names[i], l.v[h].conn,
					     m.family ? m.family : "no match", want);
			}
		}
		free(l.v);
		free(names[i]);
	}
	printf("corpus: %u ClientHellos: %u exact, %u close, %u no match; %u from known clients checked\n", hellos,
	       exact, close, none, checked);
	printf("corpus: stack_identify %.1f us per hello on average, %.1f us at most\n",
	       hellos ? us_total / hellos : 0.0, us_max);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s CLIENTS_JSON CORPUS_DIR [--verbose]\n", argv[0]);
		return 2;
	}
	verbose = argc > 3 && strcmp(argv[3], "--verbose") == 0;
	FILE *a = fopen(argv[1], "rb");
	DIR *b = opendir(argv[2]);
	if (!a && !b) {
		printf("neither %s nor %s: skipped\n", argv[1], argv[2]);
		return 77;
	}
	if (a)
		fclose(a);
	if (b)
		closedir(b);
	clients(argv[1]);
	corpus(argv[2]);
	printf("prefilter: %u lookups compared with a full scan, %u differ\n", prefilter_checked, prefilter_differs);
	return failures ? 1 : 0;
}
