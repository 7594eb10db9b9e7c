/* diff.c - `tlsaudit diff`: per host and role, what changed between a "before" and an "after" - two databases,
 * or two time windows of one database - in the report's formats, most important change first. */
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
	      "Per host and role: before -> after, most important first (regressed, new problems, changed, improved,\n"
	      "fixed, gone, unchanged), e.g.\n"
	      "  fixed 10.0.0.5 as client: TLS 1.0 (3 failed to 54.244.248.254:443) -> TLS 1.2 (12 established)\n"
	      "\n"
	      "  --before A, --before-db A   database with the \"before\" state\n"
	      "  --after B, --after-db B     database with the \"after\" state\n"
	      "  --db PATH                   database for a side not given above (default tlsaudit.db)\n"
	      "  --before-since T, --before-until T, --after-since T, --after-until T\n"
	      "                              time window of each side (since inclusive, until exclusive)\n"
	      "  --split T                   same as --before-until T --after-since T\n"
	      "  --since T, --until T        a window both sides share (the per-side options win)\n",
	      fp);
	fputs("  --host, --role, --sensor    as for `tlsaudit report`, on both sides\n", fp);
	fputs(report_opts_usage, fp);
	fputs("  (--fail-on-violation and --fail-on-risk judge the \"after\" side)\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 4 database error; 5 internal error; with --fail-on-violation:\n"
	      "10 the \"after\" state violates the policy, 12 it holds no connection and no probe, 13 it is stale\n"
	      "(--max-age); with --fail-on-risk also 11 a host is at risk after.\n",
	      fp);
}

enum { OPT_BEFORE = 256, OPT_AFTER, OPT_DB, OPT_BS, OPT_BU, OPT_AS, OPT_AU, OPT_SPLIT };

int cmd_diff(int argc, char **argv)
{
	static const struct option own[] = {
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
		{"help", no_argument, NULL, 'h'},
	};
	enum { N_OWN = sizeof(own) / sizeof(own[0]) };
	struct option longopts[N_OWN + CLI_SELECT_NOPTS + REPORT_OPT_COUNT + 1];
	report_longopts_join(own, N_OWN, longopts);
	const char *bdb = NULL, *adb = NULL, *db = "tlsaudit.db";
	struct report_opts o;
	struct cli_select sel;
	struct {
		bool set;
		int64_t t;
	} side[4] = {{0}}; /* before since/until, after since/until */
	int64_t t;
	char err[512];
	int c, r;
	report_opts_init(&o);
	cli_select_init(&sel);
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--now") == 0 &&
		    report_option(REPORT_OPT_NOW, argv[i + 1], &o, err, sizeof(err)) < 0)
			return cli_usage_error("diff", "%s", err);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		if (c == 'o')
			c = REPORT_OPT_OUTPUT;
		if ((r = cli_select_option(c, optarg, o.now_ns, &sel, err, sizeof(err))) != 0 ||
		    (r = report_option(c, optarg, &o, err, sizeof(err))) != 0) {
			if (r < 0)
				return cli_usage_error("diff", "%s", err);
			continue;
		}
		switch (c) {
		case OPT_BEFORE: bdb = optarg; break;
		case OPT_AFTER: adb = optarg; break;
		case OPT_DB: db = optarg; break;
		case OPT_BS:
		case OPT_BU:
		case OPT_AS:
		case OPT_AU:
		case OPT_SPLIT:
			if (!cli_time_parse(optarg, o.now_ns, &t))
				return cli_usage_error(
					"diff",
					"--%s: '%s' is not a time (2026-11-27T22:50:00Z, \"2026-11-27 22:50\","
					" -7d, @SECONDS)",
					c == OPT_BS   ? "before-since"
					: c == OPT_BU ? "before-until"
					: c == OPT_AS ? "after-since"
					: c == OPT_AU ? "after-until"
						      : "split",
					optarg);
			if (c == OPT_BS)
				side[0].set = true, side[0].t = t;
			if (c == OPT_BU || c == OPT_SPLIT)
				side[1].set = true, side[1].t = t;
			if (c == OPT_AS || c == OPT_SPLIT)
				side[2].set = true, side[2].t = t;
			if (c == OPT_AU)
				side[3].set = true, side[3].t = t;
			break;
		case 'h': diff_usage(stdout); return EXIT_OK;
		default: return cli_bad_option("diff", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("diff", "unexpected argument '%s'", argv[optind]);
	report_opts_finish(&o);
	if (o.show_policy) {
		report_policy_write(stdout, &o.policy);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
	}
	if (!bdb)
		bdb = db;
	if (!adb)
		adb = db;
	bool windows = side[0].set || side[1].set || side[2].set || side[3].set;
	if (strcmp(bdb, adb) == 0 && !windows) {
		return cli_usage_error("diff", "before and after are the same; give two databases (--before/--after)"
					       " or two time windows (--split T, --before-until/--after-since)");
	}
	struct rep_query bq, aq;
	cli_select_query(&sel, o.policy.min_level, &bq);
	aq = bq;
	if (side[0].set)
		bq.has_since = true, bq.since_ns = side[0].t;
	if (side[1].set)
		bq.has_until = true, bq.until_ns = side[1].t;
	if (side[2].set)
		aq.has_since = true, aq.since_ns = side[2].t;
	if (side[3].set)
		aq.has_until = true, aq.until_ns = side[3].t;
	struct rep_data *before = NULL, *after = NULL;
	struct rep_diff *d = NULL;
	int rc = cli_load_report(bdb, &bq, &o, &before);
	if (rc == EXIT_OK)
		rc = cli_load_report(adb, &aq, &o, &after);
	if (rc == EXIT_OK && report_diff_build(before, after, &d) < 0) {
		fprintf(stderr, "tlsaudit: out of memory\n");
		rc = EXIT_INTERNAL;
	}
	if (rc == EXIT_OK) {
		FILE *fp = cli_open_output(o.out);
		if (!fp)
			rc = EXIT_INTERNAL; /* output not writable */
		else
			rc = cli_close_output(fp, o.out, report_diff_write(fp, o.format, d, &o.render));
	}
	if (rc == EXIT_OK)
		rc = report_exit_status(after, &o);
	report_diff_free(d);
	report_data_free(before);
	report_data_free(after);
	return rc;
}
