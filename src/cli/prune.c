/* prune.c - `tlsaudit prune`: retention. Connections older than a time (packet time), or all but the newest N
 * captures, deleted with what depends on them (store_prune.c); optionally VACUUM. AGE is parsed by
 * cli_parse_duration (select_opt.c), as `capture --retention` and `report --max-age` are. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tlsaudit/store.h"

static void prune_usage(FILE *fp)
{
	fputs("usage: tlsaudit prune [--db PATH] --older-than AGE [--keep-captures N] [--vacuum] [-q]\n"
	      "       tlsaudit prune [--db PATH] --keep-captures N [--vacuum] [-q]\n"
	      "\n"
	      "Deletes connections whose first packet is older than AGE (packet time, as reports count it), and\n"
	      "with --keep-captures all but the newest N captures, in one transaction: captures left without\n"
	      "connections go, the others keep a note of what was pruned; the per-host summaries of the hosts\n"
	      "involved are counted again from what stays; hello shapes, certificates, strings and hosts that\n"
	      "nothing references any more are deleted (kept while another process writes the database).\n"
	      "Captures being written (a running sensor, a read in progress) are not touched: a sensor prunes\n"
	      "its own capture with `capture --retention AGE`.\n"
	      "\n"
	      "  --db PATH            database (default tlsaudit.db)\n"
	      "  --older-than AGE     AGE is a number and a unit: 90d, 12h, 30m, 3600s, 2w (or 1d12h)\n"
	      "  --keep-captures N    keep only the newest N captures\n"
	      "  --vacuum             then give the free pages back to the file system (rewrites the file)\n"
	      "  -q, --quiet          no summary line\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 4 database error (nothing deleted); 5 internal error.\n",
	      fp);
}

/* database and WAL bytes on disk */
static uint64_t db_bytes(const char *path)
{
	char wal[4200];
	struct stat st;
	uint64_t n = 0;
	if (stat(path, &st) == 0)
		n += (uint64_t)st.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &st) == 0)
		n += (uint64_t)st.st_size;
	return n;
}

enum { OPT_DB = 256, OPT_OLDER, OPT_KEEP, OPT_VACUUM };

int cmd_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"older-than", required_argument, NULL, OPT_OLDER},
		{"keep-captures", required_argument, NULL, OPT_KEEP},
		{"vacuum", no_argument, NULL, OPT_VACUUM},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "tlsaudit.db";
	struct store_prune_opts po = {0};
	bool vacuum = false, quiet = false;
	int64_t age = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db = optarg; break;
		case OPT_OLDER:
			if (!cli_parse_duration("--older-than", optarg, &age))
				return EXIT_USAGE;
			po.has_before = true;
			break;
		case OPT_KEEP:
			if (!cli_parse_u64("--keep-captures", optarg, INT64_MAX, &po.keep_captures) ||
			    !po.keep_captures)
				return cli_usage_error("prune", "--keep-captures needs a number above 0");
			break;
		case OPT_VACUUM: vacuum = true; break;
		case 'q': quiet = true; break;
		case 'h': prune_usage(stdout); return EXIT_OK;
		default: return cli_bad_option("prune", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("prune", "unexpected argument '%s'", argv[optind]);
	if (!po.has_before && !po.keep_captures)
		return cli_usage_error("prune", "say what goes: --older-than AGE and/or --keep-captures N");
	if (cli_db_missing(db, false))
		return EXIT_DB;
	if (po.has_before)
		po.before_ns = cli_now_ns() - age * 1000000000;

	char err[512];
	struct store *st = NULL;
	struct store_prune_result res;
	uint64_t before = db_bytes(db);
	if (store_open(db, STORE_RW, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		return EXIT_DB;
	}
	int r = store_prune(st, &po, &res, err, sizeof(err));
	if (r == 0 && vacuum)
		r = store_vacuum(st, err, sizeof(err));
	store_close(st);
	if (r < 0) {
		fprintf(stderr, "tlsaudit: %s: %s\n", db, err);
		return r == -ENOMEM ? EXIT_INTERNAL : EXIT_DB;
	}
	if (!quiet) {
		printf("%s: %" PRIu64 " connections and %" PRIu64 " captures deleted, %" PRIu64
		       " captures trimmed, %" PRIu64 " host summaries recounted; unreferenced shared rows",
		       db, res.connections, res.captures, res.captures_trimmed, res.summaries);
		if (res.shared_kept)
			printf(" kept (another process is writing)");
		else
			printf(" deleted: %" PRIu64 " hosts, %" PRIu64 " strings, %" PRIu64 " client hellos, %" PRIu64
			       " server hellos, %" PRIu64 " certificates",
			       res.hosts, res.strings, res.client_hellos, res.server_hellos, res.certificates);
		printf("; %" PRIu64 " -> %" PRIu64 " bytes on disk%s\n", before, db_bytes(db),
		       vacuum ? "" : " (free pages are reused; --vacuum gives them back)");
	}
	return EXIT_OK;
}
