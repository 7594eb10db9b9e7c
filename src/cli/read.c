/* read.c - `tlsaudit read`: capture files in, connections into SQLite,
 * NDJSON or a human summary out. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "tlsaudit/classify.h"
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
	      "  -j, --jobs N         analyze N files at a time (separate processes, one database)\n"
	      "  --no-ndpi            skip nDPI classification (l7_protocol and risks stay empty)\n"
	      "\n"
	      "exit status: 0 all inputs read; 1 bad command line; 2 an input could not be\n"
	      "opened or is not a capture; 3 an input was cut or damaged (everything before\n"
	      "the damage is stored); 4 database error; 5 internal error.\n",
	      fp);
	fputs(cli_limit_usage, fp);
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
};

static int print_record(const struct ta_record *r, void *ctx)
{
	(void)ctx;
	return out_ndjson_record(stdout, r);
}

static int print_summary(const struct store_host_summary *h, void *ctx)
{
	FILE *fp = ctx;
	out_text_summary_row(fp, h);
	return 0;
}

struct job_result {
	int status; /* EXIT_*; -1: not read (an earlier database error stopped the run) */
	int64_t id; /* capture holding the file's connections, 0 if none */
	bool dup;   /* an identical capture was already stored */
};

/* One message per finished file, worker -> parent. */
struct job_msg {
	int32_t index;
	struct job_result res;
};

/* `read -j N`: N worker processes share the files (file i goes to worker
 * i mod N), each with its own database connection and nDPI instance; SQLite's
 * WAL and the capture hash keep the shared database consistent and free of
 * duplicates. Processes, not threads: nothing is shared that could race. */
static int read_parallel(char **files, int nfiles, const struct read_opts *o, struct job_result *res)
{
	int fds[2];
	if (pipe(fds) < 0)
		return -errno;
	unsigned workers = o->jobs < (unsigned)nfiles ? o->jobs : (unsigned)nfiles;
	for (int i = 0; i < nfiles; i++)
		res[i].status = -1;
	fflush(NULL);
	for (unsigned w = 0; w < workers; w++) {
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "tlsaudit: fork: %s\n", strerror(errno));
			break;
		}
		if (pid > 0)
			continue;
		close(fds[0]);
		char err[512];
		struct store *st = NULL;
		int rc = EXIT_OK;
		if (store_open(o->db_path, &st, err, sizeof(err)) < 0) {
			fprintf(stderr, "tlsaudit: %s\n", err);
			rc = EXIT_DB;
		} else {
			store_set_busy_timeout(st, 600000);
			store_set_buffered(st, true);
		}
		for (int i = (int)w; i < nfiles; i += (int)workers) {
			struct job_msg m = {.index = i};
			if (rc == EXIT_DB || rc == EXIT_INTERNAL)
				m.res.status = -1;
			else
				m.res.status = rc = analyze_file(files[i], o, st, &m.res.id, &m.res.dup);
			if (write(fds[1], &m, sizeof(m)) != (ssize_t)sizeof(m))
				_exit(EXIT_INTERNAL);
		}
		store_close(st);
		_exit(0);
	}
	close(fds[1]);
	struct job_msg m;
	ssize_t n;
	while ((n = read(fds[0], &m, sizeof(m))) == (ssize_t)sizeof(m))
		if (m.index >= 0 && m.index < nfiles)
			res[m.index] = m.res;
	close(fds[0]);
	while (wait(NULL) > 0)
		;
	return 0;
}

int cmd_read(int argc, char **argv)
{
	static const struct option own[] = {
		{"db", required_argument, NULL, OPT_DB},  {"json", no_argument, NULL, OPT_JSON},
		{"filter", required_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'},
		{"jobs", required_argument, NULL, 'j'},	  {"no-ndpi", no_argument, NULL, OPT_NO_NDPI},
		{"help", no_argument, NULL, 'h'},
	};
	struct option longopts[sizeof(own) / sizeof(own[0]) + CLI_LIMIT_NOPTS + 1];
	cli_longopts_join(own, sizeof(own) / sizeof(own[0]), longopts);
	struct read_opts o = {.db_path = "tlsaudit.db", .jobs = 1, .ndpi_packets = CLASSIFY_MAX_PACKETS_DEFAULT};
	flow_limits_default(&o.lim);
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
		case 'h': read_usage(stdout); return EXIT_OK;
		default: {
			int lr = cli_limit_option(c, optarg, &o);
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
	/* open (create, migrate) once before any worker starts */
	if (store_open(o.db_path, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		return EXIT_DB;
	}
	int nfiles = argc - optind;
	struct job_result *res = calloc((size_t)nfiles, sizeof(*res));
	if (!res) {
		store_close(st);
		return EXIT_INTERNAL;
	}
	if (o.jobs > 1 && nfiles > 1) {
		store_close(st);
		st = NULL;
		if (read_parallel(argv + optind, nfiles, &o, res) < 0) {
			free(res);
			return EXIT_INTERNAL;
		}
		if (store_open(o.db_path, &st, err, sizeof(err)) < 0) {
			fprintf(stderr, "tlsaudit: %s\n", err);
			free(res);
			return EXIT_DB;
		}
	} else {
		for (int i = 0; i < nfiles; i++) {
			res[i].status = analyze_file(argv[optind + i], &o, st, &res[i].id, &res[i].dup);
			if (res[i].status == EXIT_DB || res[i].status == EXIT_INTERNAL) {
				for (int k = i + 1; k < nfiles; k++)
					res[k].status = -1; /* not read */
				break;
			}
		}
	}
	int worst = EXIT_OK;
	FILE *human = o.json ? stderr : stdout;
	for (int i = optind; i < argc; i++) {
		const struct job_result *jr = &res[i - optind];
		if (jr->status < 0)
			break;
		if (jr->status > worst)
			worst = jr->status;
		int64_t id = jr->id;
		bool dup = jr->dup;
		if (id == 0)
			continue;
		if (dup && !o.quiet)
			fprintf(stderr, "tlsaudit: %s: already in %s as capture %" PRId64 "; nothing added\n", argv[i],
				o.db_path, id);
		if (o.json) {
			if (store_foreach_record(st, id, print_record, NULL, err, sizeof(err)) < 0) {
				fprintf(stderr, "tlsaudit: %s\n", err);
				worst = EXIT_DB;
				break;
			}
			fflush(stdout);
		} else if (!o.quiet) {
			fprintf(human, "%s (capture %" PRId64 " in %s):\n", argv[i], id, o.db_path);
			out_text_summary_header(human);
			if (store_foreach_summary(st, id, print_summary, human, err, sizeof(err)) < 0) {
				fprintf(stderr, "tlsaudit: %s\n", err);
				worst = EXIT_DB;
				break;
			}
			fputc('\n', human);
		}
	}
	store_close(st);
	free(res);
	return worst;
}
