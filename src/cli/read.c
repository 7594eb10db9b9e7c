/* read.c - `tlsaudit read`: capture files in, connections into SQLite,
 * NDJSON or a human summary out. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "tlsaudit/agg.h"
#include "tlsaudit/output.h"
#include "tlsaudit/store.h"

static void read_usage(FILE *fp)
{
	fputs("usage: tlsaudit read [--db PATH] [--json] [-c N] [options] FILE... [BPF...]\n"
	      "       tlsaudit read [options] -r FILE [-r FILE...] [BPF...]\n"
	      "\n"
	      "Reads pcap/pcapng captures (FILE '-' is standard input), stores every TCP\n"
	      "connection with a TLS handshake in the SQLite database and prints a summary\n"
	      "per host and role, or with --json one NDJSON object per connection.\n"
	      "\n"
	      "Files and filter words: with -r, every word after the options is the filter (as\n"
	      "tcpdump -r F port 443); with -f, every word is a file. Otherwise the words are files\n"
	      "up to the first one that is not an existing file and does not look like a file name\n"
	      "(no '/', not '-', no .pcap/.pcapng/.cap/.gz/.xz/.zst ending): it and the words after\n"
	      "it are the filter. So `read a.pcap port 443` reads a.pcap with 'port 443'.\n"
	      "\n"
	      "  --db PATH            database (default tlsaudit.db; created if missing)\n"
	      "  --json               NDJSON on stdout, one line per connection; messages on stderr\n"
	      "  -r, --read FILE      a capture to read (repeatable; then all words are the filter)\n"
	      "  -f, --filter BPF     only frames matching this pcap filter expression\n"
	      "  -c, --count N        stop each capture after N packets (that pass the filter)\n"
	      "  -q, --quiet          no summary and no progress line (errors and warnings still go to stderr)\n"
	      "  -j, --jobs N         analyze N files at a time (threads, one database writer)\n"
	      "  --no-ndpi            skip nDPI classification (l7_protocol and risks stay empty)\n"
	      "  --ndpi-every-flow    run nDPI's DPI on every flow and report its own risks\n"
	      "                       (slow; a reference for the label cache, README \"Application labels\")\n"
	      "\n"
	      "exit status: 0 all inputs read; 1 bad command line; 2 an input could not be\n"
	      "opened or is not a capture; 3 an input was cut or damaged (everything before\n"
	      "the damage is stored); 4 database error; 5 internal error.\n",
	      fp);
	fputs(cli_limit_usage(), fp);
}

bool cli_parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *ret)
{
	char *end = NULL;
	errno = 0;
	if (!s || !*s || *s == '-') {
		fprintf(stderr, "tlsaudit: %s needs a non-negative number\n", opt);
		return false;
	}
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max) {
		fprintf(stderr, "tlsaudit: %s: '%s' is not a number between 0 and %" PRIu64 "\n", opt, s, max);
		return false;
	}
	*ret = v;
	return true;
}

enum {
	OPT_DB = 256,
	OPT_JSON,
	OPT_NO_NDPI,
	OPT_NDPI_EVERY,
};

static int print_record(const struct ta_conn *r, void *ctx)
{
	return out_ndjson_event(stdout, r, ctx);
}

/* --json for one stored capture: its connections with the capture's own path and sensor, exactly as
 * `tlsaudit export` prints them. */
static int print_capture(struct store *st, int64_t id, char *err, size_t errlen)
{
	struct store_capture_row row;
	int r = store_get_capture(st, id, &row, err, errlen);
	if (r < 0)
		return r;
	struct out_event_ctx ctx = {.sensor = row.sensor, .capture = row.path};
	return store_foreach_record(st, id, print_record, &ctx, err, errlen);
}

/* `read -j N`: N threads share the files (each takes the next one), each with its own pipeline (and nDPI
 * module) and its own queue into the one database writer. */
struct jobs {
	char **files;
	int nfiles;
	const struct read_opts *o;
	struct store_writer *w;
	struct analyze_result *res;
	int next; /* guarded by mu */
	bool stop;
	pthread_mutex_t mu;
};

static void *job_main(void *arg)
{
	struct jobs *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->mu);
		int i = j->stop ? j->nfiles : j->next++;
		pthread_mutex_unlock(&j->mu);
		if (i >= j->nfiles)
			return NULL;
		analyze_file(j->files[i], j->o, j->w, &j->res[i]);
		if (j->res[i].status == EXIT_DB || j->res[i].status == EXIT_INTERNAL) {
			pthread_mutex_lock(&j->mu);
			j->stop = true; /* later files are not read */
			pthread_mutex_unlock(&j->mu);
		}
	}
}

static void read_files(char **files, int nfiles, const struct read_opts *o, struct store_writer *w,
		       struct analyze_result *res)
{
	struct jobs j = {.files = files, .nfiles = nfiles, .o = o, .w = w, .res = res};
	unsigned n = o->jobs < (unsigned)nfiles ? o->jobs : (unsigned)nfiles;
	pthread_t t[256];
	unsigned started = 0;

	for (int i = 0; i < nfiles; i++)
		res[i].status = -1;
	pthread_mutex_init(&j.mu, NULL);
	if (n > 1)
		cli_malloc_arenas(n);
	for (unsigned k = 1; k < n && k < 256; k++)
		if (pthread_create(&t[started], NULL, job_main, &j) == 0)
			started++;
	job_main(&j); /* this thread is one of the workers */
	for (unsigned k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	pthread_mutex_destroy(&j.mu);
}

/* The bytes of all inputs, or 0 when one of them has no size known in advance (stdin, a FIFO). */
static uint64_t inputs_size(char **files, int nfiles)
{
	uint64_t total = 0;
	for (int i = 0; i < nfiles; i++) {
		struct stat sb;
		if (strcmp(files[i], "-") == 0 || stat(files[i], &sb) < 0 || !S_ISREG(sb.st_mode))
			return 0;
		total += (uint64_t)sb.st_size;
	}
	return total;
}

/* The run itself: files in, database, summaries or NDJSON out. */
static int read_run(const struct read_opts *po, char **files, int nfiles)
{
	const struct read_opts o = *po;
	char err[512];
	struct store *st = NULL;
	struct store_writer *w = NULL;
	if (store_open(o.db_path, STORE_RW, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		return EXIT_DB;
	}
	struct analyze_result *res = calloc((size_t)nfiles, sizeof(*res));
	if (!res || store_writer_start(st, NULL, &w, err, sizeof(err)) < 0) {
		if (res)
			fprintf(stderr, "tlsaudit: %s\n", err);
		free(res);
		store_close(st);
		return EXIT_INTERNAL;
	}
	struct read_opts ro = o;
	if (!o.quiet && isatty(STDERR_FILENO))
		progress_start(inputs_size(files, nfiles), &ro.progress);
	read_files(files, nfiles, &ro, w, res);
	progress_stop(ro.progress);
	int worst = EXIT_OK;
	if (store_writer_stop(w, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s: %s\n", o.db_path, err);
		worst = EXIT_DB;
	}
	FILE *human = o.json ? stderr : stdout;
	for (int i = 0; i < nfiles; i++) {
		struct analyze_result *jr = &res[i];
		if (jr->status < 0)
			break;
		if (jr->status > worst)
			worst = jr->status;
		if (jr->id == 0)
			continue;
		if (jr->dup && !o.quiet)
			cli_msg(stderr, "%s: already in %s as capture %" PRId64 "; nothing added", files[i], o.db_path,
				jr->id);
		if (o.json) {
			err[0] = '\0';
			int pr = print_capture(st, jr->id, err, sizeof(err));
			/* NDJSON that did not reach stdout is lost output: an error, whatever its size */
			if (ferror(stdout) || fflush(stdout) != 0) {
				fprintf(stderr, "tlsaudit: standard output: write failed: %s\n", strerror(errno));
				worst = EXIT_DB;
				break;
			}
			if (pr < 0) {
				fprintf(stderr, "tlsaudit: %s\n",
					err[0] ? err : "reading the stored connections failed");
				worst = EXIT_DB;
				break;
			}
		} else if (!o.quiet) {
			if (!jr->summary && store_capture_summary(st, jr->id, &jr->summary, err, sizeof(err)) < 0) {
				fprintf(stderr, "tlsaudit: %s\n", err);
				worst = EXIT_DB;
				break;
			}
			out_term_string(human, files[i], strlen(files[i])); /* a file name may hold escapes */
			fprintf(human, " (capture %" PRId64 " in ", jr->id);
			out_term_string(human, o.db_path, strlen(o.db_path));
			fputs("):\n", human);
			out_text_summary(human, jr->summary);
			fputc('\n', human);
		}
	}
	if (!o.json && (ferror(stdout) || fflush(stdout) != 0)) {
		fprintf(stderr, "tlsaudit: standard output: write failed: %s\n", strerror(errno));
		if (worst < EXIT_DB)
			worst = EXIT_DB;
	}
	for (int i = 0; i < nfiles; i++)
		agg_free(res[i].summary);
	store_close(st);
	free(res);
	return worst;
}

/* Does a word that is not an existing file still look like a file name (then it is reported as a missing
 * capture rather than taken as the start of a filter)? BPF words have no '/' before their first space and
 * no capture suffix. */
static bool looks_like_path(const char *w)
{
	static const char *const suffixes[] = {".pcap", ".pcapng", ".cap", ".ntar", ".gz", ".xz", ".zst", ".bz2"};
	if (strcmp(w, "-") == 0)
		return true;
	if (strchr(w, ' '))
		return false;
	if (strchr(w, '/'))
		return true;
	size_t n = strlen(w);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && strcasecmp(w + n - k, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static bool is_file(const char *w)
{
	struct stat st;
	return stat(w, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* words[0..n) joined by spaces into a new string (caller frees), or NULL */
static char *join_words(char **words, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	char *s = calloc(1, len);
	if (!s)
		return NULL;
	size_t off = 0;
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%s", i ? " " : "", words[i]);
	return s;
}

/* The capture files and the filter of a `read` command line: -r files, -f, trailing words (read_usage). On
 * success *ret_files (owned, NULL-terminated) and *ret_filter_buf (owned, or NULL) are set. */
static int split_words(char **rfiles, int nr, char **words, int nw, struct read_opts *o, char ***ret_files, int *ret_n,
		       char **ret_filter_buf)
{
	int nfiles = nr, nfilter = 0;
	char **filter_words = NULL;

	if (nr > 0) {
		filter_words = words;
		nfilter = nw;
	} else if (o->filter) {
		nfiles = nw;
	} else {
		int i = 0;
		while (i < nw && (is_file(words[i]) || looks_like_path(words[i])))
			i++;
		nfiles = i;
		filter_words = words + i;
		nfilter = nw - i;
	}
	if (nfilter > 0 && o->filter)
		return cli_usage_error("read", "give the filter either with -f or as words, not both");
	if (nfiles == 0)
		return cli_usage_error("read",
				       nfilter ? "no capture file given ('%s' is not a file: it starts the"
						 " filter; give files with -r FILE)"
					       : "no capture file given%s",
				       nfilter ? words[0] : "");
	char **files = calloc((size_t)nfiles + 1, sizeof(*files));
	if (!files)
		return EXIT_INTERNAL;
	for (int i = 0; i < nfiles; i++)
		files[i] = nr > 0 ? rfiles[i] : words[i];
	*ret_filter_buf = NULL;
	if (nfilter > 0) {
		*ret_filter_buf = join_words(filter_words, nfilter);
		if (!*ret_filter_buf) {
			free(files);
			return EXIT_INTERNAL;
		}
		o->filter = *ret_filter_buf;
	}
	*ret_files = files;
	*ret_n = nfiles;
	return EXIT_OK;
}

int cmd_read(int argc, char **argv)
{
	static const struct option own[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"json", no_argument, NULL, OPT_JSON},
		{"filter", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"jobs", required_argument, NULL, 'j'},
		{"no-ndpi", no_argument, NULL, OPT_NO_NDPI},
		{"read", required_argument, NULL, 'r'},
		{"count", required_argument, NULL, 'c'},
		{"ndpi-every-flow", no_argument, NULL, OPT_NDPI_EVERY},
		{"help", no_argument, NULL, 'h'},
	};
	struct option longopts[sizeof(own) / sizeof(own[0]) + CLI_LIMIT_NOPTS + 1];
	cli_longopts_join(own, sizeof(own) / sizeof(own[0]), longopts);
	struct read_opts o = {.db_path = "tlsaudit.db", .jobs = 1};
	ta_limits_default(&o.lim);
	char **rfiles = calloc((size_t)argc + 1, sizeof(*rfiles));
	int nr = 0;
	uint64_t v;
	int c;
	if (!rfiles)
		return EXIT_INTERNAL;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:qj:r:c:h", longopts, NULL)) != -1) {
		int bad = EXIT_OK;
		switch (c) {
		case OPT_DB: o.db_path = optarg; break;
		case OPT_JSON: o.json = true; break;
		case 'f': o.filter = optarg; break;
		case 'q': o.quiet = true; break;
		case 'r': rfiles[nr++] = optarg; break;
		case 'c':
			if (!cli_parse_u64("-c", optarg, UINT64_MAX / 2, &o.count) || o.count == 0)
				bad = cli_usage_error("read", "-c needs a number of packets above 0");
			break;
		case 'j':
			if (!cli_parse_u64("-j", optarg, 256, &v) || v == 0)
				bad = cli_usage_error("read", "-j needs a number of jobs between 1 and 256");
			else
				o.jobs = (unsigned)v;
			break;
		case OPT_NO_NDPI: o.no_ndpi = true; break;
		case OPT_NDPI_EVERY: o.ndpi_every_flow = true; break;
		case 'h':
			read_usage(stdout);
			free(rfiles);
			return EXIT_OK;
		case '?':
		case ':': bad = cli_bad_option("read", c, argv); break;
		default: {
			int lr = cli_limit_option(c, optarg, &o.lim);
			if (lr <= 0)
				bad = lr < 0 ? EXIT_USAGE : cli_bad_option("read", '?', argv);
		}
		}
		if (bad != EXIT_OK) {
			free(rfiles);
			return bad;
		}
	}
	char **files = NULL, *filter_buf = NULL;
	int nfiles = 0;
	int sr = split_words(rfiles, nr, argv + optind, argc - optind, &o, &files, &nfiles, &filter_buf);
	free(rfiles);
	if (sr != EXIT_OK)
		return sr;
	int rc = read_run(&o, files, nfiles);
	free(files);
	free(filter_buf);
	return rc;
}
