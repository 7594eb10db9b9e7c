/* diff.c - `tlsaudit diff`: per host and role, what changed between a "before" and an "after" - two databases,
 * or two time windows of one database - in the report's formats. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report_cli.h"
#include "tlsaudit/report.h"

static void diff_usage(FILE *fp)
{
	fputs("usage: tlsaudit diff --before A.db --after B.db [options]\n"
	      "       tlsaudit diff --db X.db --split T [options]\n"
	      "       tlsaudit diff --db X.db --before-until T1 --after-since T2 [options]\n"
	      "\n"
	      "Per host and role: before -> after, e.g.\n"
	      "  fixed 10.0.0.5 as client: TLS 1.0 (3 failed to 54.244.248.254:443) -> TLS 1.2 (12 established)\n"
	      "\n"
	      "  --before A, --before-db A   database with the \"before\" state\n"
	      "  --after B, --after-db B     database with the \"after\" state\n"
	      "  --db PATH                   database for a side not given above (default tlsaudit.db)\n"
	      "  --before-since T, --before-until T, --after-since T, --after-until T\n"
	      "                              time window of each side (since inclusive, until exclusive)\n"
	      "  --split T                   same as --before-until T --after-since T\n"
	      "  --min-version V, --host ADDR, --format F, -o FILE   as for `tlsaudit report`\n"
	      "  --fail-on-violation         exit 10 when a host violates the policy in the \"after\" state\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 4 database error; 5 internal error;\n"
	      "10 the \"after\" state violates the policy (only with --fail-on-violation).\n",
	      fp);
}

enum {
	OPT_BEFORE = 256,
	OPT_AFTER,
	OPT_DB,
	OPT_BS,
	OPT_BU,
	OPT_AS,
	OPT_AU,
	OPT_SPLIT,
	OPT_FORMAT,
	OPT_MIN,
	OPT_HOST,
	OPT_FAIL
};

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"before", required_argument, NULL, OPT_BEFORE},
		{"before-db", required_argument, NULL, OPT_BEFORE},
		{"after", required_argument, NULL, OPT_AFTER},
		{"after-db", required_argument, NULL, OPT_AFTER},
		{"db", required_argument, NULL, OPT_DB},
		{"before-since", required_argument, NULL, OPT_BS},
		{"before-until", required_argument, NULL, OPT_BU},
		{"after-since", required_argument, NULL, OPT_AS},
		{"after-until", required_argument, NULL, OPT_AU},
		{"split", required_argument, NULL, OPT_SPLIT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, 'o'},
		{"min-version", required_argument, NULL, OPT_MIN},
		{"host", required_argument, NULL, OPT_HOST},
		{"fail-on-violation", no_argument, NULL, OPT_FAIL},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *bdb = NULL, *adb = NULL, *db = "tlsaudit.db", *out = NULL;
	struct rep_query bq = {.min_level = 0x0303}, aq = {.min_level = 0x0303};
	enum rep_format fmt = REP_FMT_TEXT;
	uint16_t level = 0x0303;
	char host[48] = "";
	bool fail = false;
	int64_t t;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BEFORE: bdb = optarg; break;
		case OPT_AFTER: adb = optarg; break;
		case OPT_DB: db = optarg; break;
		case 'o': out = optarg; break;
		case OPT_BS:
		case OPT_BU:
		case OPT_AS:
		case OPT_AU:
		case OPT_SPLIT:
			if (!cli_parse_time("time option", optarg, &t))
				return EXIT_USAGE;
			if (c == OPT_BS)
				bq.has_since = true, bq.since_ns = t;
			if (c == OPT_BU || c == OPT_SPLIT)
				bq.has_until = true, bq.until_ns = t;
			if (c == OPT_AS || c == OPT_SPLIT)
				aq.has_since = true, aq.since_ns = t;
			if (c == OPT_AU)
				aq.has_until = true, aq.until_ns = t;
			break;
		case OPT_FORMAT:
			if (!report_format_parse(optarg, &fmt)) {
				fprintf(stderr, "tlsaudit: --format: '%s' is not text, md, csv, json or html\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MIN:
			if (!report_version_parse(optarg, &level)) {
				fprintf(stderr, "tlsaudit: --min-version: '%s' is not a version (\"TLS 1.2\")\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_HOST:
			if (!cli_parse_host(optarg, host))
				return EXIT_USAGE;
			break;
		case OPT_FAIL: fail = true; break;
		case 'h': diff_usage(stdout); return EXIT_OK;
		default: return cli_bad_option("diff", c, argv);
		}
	}
	if (optind < argc) {
		return cli_usage_error("diff", "unexpected argument '%s'", argv[optind]);
	}
	if (!bdb)
		bdb = db;
	if (!adb)
		adb = db;
	bool windows = bq.has_since || bq.has_until || aq.has_since || aq.has_until;
	if (strcmp(bdb, adb) == 0 && !windows) {
		return cli_usage_error("diff", "before and after are the same; give two databases (--before/--after)"
					       " or two time windows (--split T, --before-until/--after-since)");
	}
	const char *paths[2] = {bdb, adb};
	for (int i = 0; i < 2; i++)
		if (cli_db_missing(paths[i], false))
			return EXIT_DB;
	bq.min_level = aq.min_level = level;
	memcpy(bq.host, host, sizeof(host));
	memcpy(aq.host, host, sizeof(host));
	struct rep_data *before = NULL, *after = NULL;
	struct rep_diff *d = NULL;
	int rc = cli_load_report(bdb, &bq, &before);
	if (rc == EXIT_OK)
		rc = cli_load_report(adb, &aq, &after);
	if (rc == EXIT_OK && report_diff_build(before, after, &d) < 0) {
		fprintf(stderr, "tlsaudit: out of memory\n");
		rc = EXIT_INTERNAL;
	}
	if (rc == EXIT_OK) {
		FILE *fp = cli_open_output(out);
		if (!fp)
			rc = EXIT_INTERNAL; /* output not writable */
		else
			rc = cli_close_output(fp, out, report_diff_write(fp, fmt, d));
	}
	if (rc == EXIT_OK && fail && report_overall(after) == REP_VIOLATION)
		rc = EXIT_VIOLATION;
	report_diff_free(d);
	report_data_free(before);
	report_data_free(after);
	return rc;
}
