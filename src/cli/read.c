/* read.c - `tlsaudit read`: capture files in, connections into SQLite,
 * NDJSON or a human summary out. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "cli.h"
#include "tlsaudit/agg.h"
#include "tlsaudit/output.h"
#include "tlsaudit/store.h"

static void read_usage(FILE *fp)
{
	fputs("usage: tlsaudit read [--db PATH] [--json] [-f BPF] [options] FILE...\n"
	      "\n"
	      "Reads pcap/pcapng captures (FILE '-' is standard input), stores every TCP\n"
	      "connection with a TLS handshake in the SQLite database and prints a summary\n"
	      "per host and role, or with --json one NDJSON object per connection.\n"
	      "\n"
	      "  --db PATH            database (default tlsaudit.db; created if missing)\n"
	      "  --json               NDJSON on stdout, one line per connection; messages on stderr\n"
	      "  -f, --filter BPF     only frames matching this pcap filter expression\n"
	      "  -q, --quiet          no summary (errors and warnings still go to stderr)\n"
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
	(void)ctx;
	return out_ndjson_record(stdout, r);
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
	for (unsigned k = 1; k < n && k < 256; k++)
		if (pthread_create(&t[started], NULL, job_main, &j) == 0)
			started++;
	job_main(&j); /* this thread is one of the workers */
	for (unsigned k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	pthread_mutex_destroy(&j.mu);
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
		{"ndpi-every-flow", no_argument, NULL, OPT_NDPI_EVERY},
		{"help", no_argument, NULL, 'h'},
	};
	struct option longopts[sizeof(own) / sizeof(own[0]) + CLI_LIMIT_NOPTS + 1];
	cli_longopts_join(own, sizeof(own) / sizeof(own[0]), longopts);
	struct read_opts o = {.db_path = "tlsaudit.db", .jobs = 1};
	ta_limits_default(&o.lim);
	uint64_t v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:qj:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: o.db_path = optarg; break;
		case OPT_JSON: o.json = true; break;
		case 'f': o.filter = optarg; break;
		case 'q': o.quiet = true; break;
		case 'j':
			if (!cli_parse_u64("-j", optarg, 256, &v) || v == 0)
				return EXIT_USAGE;
			o.jobs = (unsigned)v;
			break;
		case OPT_NO_NDPI: o.no_ndpi = true; break;
		case OPT_NDPI_EVERY: o.ndpi_every_flow = true; break;
		case 'h': read_usage(stdout); return EXIT_OK;
		default: {
			int lr = cli_limit_option(c, optarg, &o.lim);
			if (lr < 0)
				return EXIT_USAGE;
			if (lr == 0) {
				read_usage(stderr);
				return EXIT_USAGE;
			}
		}
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tlsaudit read: no capture file given\n");
		read_usage(stderr);
		return EXIT_USAGE;
	}

	char err[512];
	struct store *st = NULL;
	struct store_writer *w = NULL;
	if (store_open(o.db_path, STORE_RW, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		return EXIT_DB;
	}
	int nfiles = argc - optind;
	struct analyze_result *res = calloc((size_t)nfiles, sizeof(*res));
	if (!res || store_writer_start(st, NULL, &w, err, sizeof(err)) < 0) {
		if (res)
			fprintf(stderr, "tlsaudit: %s\n", err);
		free(res);
		store_close(st);
		return EXIT_INTERNAL;
	}
	read_files(argv + optind, nfiles, &o, w, res);
	int worst = EXIT_OK;
	if (store_writer_stop(w, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s: %s\n", o.db_path, err);
		worst = EXIT_DB;
	}
	FILE *human = o.json ? stderr : stdout;
	for (int i = optind; i < argc; i++) {
		struct analyze_result *jr = &res[i - optind];
		if (jr->status < 0)
			break;
		if (jr->status > worst)
			worst = jr->status;
		if (jr->id == 0)
			continue;
		if (jr->dup && !o.quiet)
			fprintf(stderr, "tlsaudit: %s: already in %s as capture %" PRId64 "; nothing added\n", argv[i],
				o.db_path, jr->id);
		if (o.json) {
			if (store_foreach_record(st, jr->id, print_record, NULL, err, sizeof(err)) < 0) {
				fprintf(stderr, "tlsaudit: %s\n", err);
				worst = EXIT_DB;
				break;
			}
			fflush(stdout);
		} else if (!o.quiet) {
			if (!jr->summary && store_capture_summary(st, jr->id, &jr->summary, err, sizeof(err)) < 0) {
				fprintf(stderr, "tlsaudit: %s\n", err);
				worst = EXIT_DB;
				break;
			}
			fprintf(human, "%s (capture %" PRId64 " in %s):\n", argv[i], jr->id, o.db_path);
			out_text_summary(human, jr->summary);
			fputc('\n', human);
		}
	}
	for (int i = 0; i < nfiles; i++)
		agg_free(res[i].summary);
	store_close(st);
	free(res);
	return worst;
}
