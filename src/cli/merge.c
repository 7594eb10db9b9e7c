/* merge.c - `tlsaudit merge OUT.db IN.db...`: combine databases of several sensors or capture batches; running it
 * again adds nothing. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tlsaudit/merge.h"
#include "tlsaudit/output.h"

static void merge_usage(FILE *fp)
{
	fputs("usage: tlsaudit merge [-q] OUT.db IN.db...\n"
	      "\n"
	      "Copies the captures and connections of each IN.db (opened read-only) into OUT.db (created if\n"
	      "missing) without duplicates: a capture is identified by its sha256, or for stdin/live captures by\n"
	      "(sensor, path, first packet time, packets); a connection by (capture, seq). Each capture keeps its\n"
	      "sensor, path, hash and counters, so every merged connection still says where it came from.\n"
	      "Probe attempts (`tlsaudit probe`) are copied too, each once (identity: address, port, STARTTLS,\n"
	      "time, version, sensor).\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 2 an input is missing or not a tlsaudit database of this\n"
	      "schema version (the other inputs are still merged); 4 database error; 5 internal error.\n",
	      fp);
}

/* An error message names files (paths come from the command line and from the inputs): escaped. */
static void merge_error(const char *err)
{
	fputs("tlsaudit: ", stderr);
	out_text_string(stderr, err, strlen(err));
	fputc('\n', stderr);
}

int cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': merge_usage(stdout); return EXIT_OK;
		default: return cli_bad_option("merge", c, argv);
		}
	}
	if (argc - optind < 2) {
		return cli_usage_error("merge", "need OUT.db and at least one IN.db");
	}
	char err[512];
	struct store *st = NULL;
	const char *outp = argv[optind];
	if (store_open(outp, STORE_RW, &st, err, sizeof(err)) < 0) {
		merge_error(err);
		return EXIT_DB;
	}
	int worst = EXIT_OK;
	for (int i = optind + 1; i < argc; i++) {
		struct merge_stats ms = {0};
		int r = store_merge(st, argv[i], &ms, err, sizeof(err));
		if (r < 0) {
			merge_error(err);
			int code = r == -EINVAL || r == -ENOENT || r == -EACCES ? EXIT_INPUT
				   : r == -ENOMEM				? EXIT_INTERNAL
										: EXIT_DB;
			if (code > worst)
				worst = code;
			if (code != EXIT_INPUT)
				break;
			continue;
		}
		if (ms.captures_conflict) { /* the input's capture path is attacker-chosen: escaped */
			fputs("tlsaudit: ", stderr);
			out_text_string(stderr, ms.conflict, strlen(ms.conflict));
			if (ms.captures_conflict > 1)
				fprintf(stderr, " (and %" PRIu64 " more)", ms.captures_conflict - 1);
			fputc('\n', stderr);
		}
		if (!quiet) {
			out_text_string(stdout, argv[i], strlen(argv[i]));
			printf(": %" PRIu64 " captures added, %" PRIu64 " already present, %" PRIu64
			       " skipped (interrupted), %" PRIu64 " refused (conflict); %" PRIu64
			       " connections added, %" PRIu64 " already present\n",
			       ms.captures_added, ms.captures_known, ms.captures_skipped, ms.captures_conflict,
			       ms.connections_added, ms.connections_known);
		}
		if (!quiet && (ms.probes_added || ms.probes_known || ms.probes_conflict)) {
			out_text_string(stdout, argv[i], strlen(argv[i]));
			printf(": %" PRIu64 " probe attempts added, %" PRIu64 " already present, %" PRIu64
			       " refused (conflict)\n",
			       ms.probes_added, ms.probes_known, ms.probes_conflict);
		}
		if ((ms.captures_conflict || ms.probes_conflict) && EXIT_INPUT > worst)
			worst = EXIT_INPUT;
	}
	if (store_check(st, err, sizeof(err)) < 0) {
		fputs("tlsaudit: ", stderr);
		out_text_string(stderr, outp, strlen(outp));
		fprintf(stderr, ": %s\n", err);
		worst = EXIT_DB;
	}
	store_close(st);
	return worst;
}
