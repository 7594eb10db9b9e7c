/* report_cli.h - what the report and diff commands share (report.c): the report options beyond the selection
 * (policy, --top, --max-age, --now, colour and width), loading and evaluating a report, output files. */
#ifndef TLSAUDIT_REPORT_CLI_H
#define TLSAUDIT_REPORT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "tlsaudit/report.h"

/* The options report and diff have in common, beyond --since/--until/--host/--role/--sensor. */
struct report_opts {
	struct rep_policy policy;
	struct rep_render render;
	enum rep_format format;
	const char *out;
	int64_t now_ns; /* --now, else the clock */
	int color;	/* -1 never, 0 auto, 1 always */
	bool fail_violation, fail_risk;
	bool show_policy;
};

#define REPORT_OPT_BASE	 0x4200 /* getopt ids of report_longopts */
#define REPORT_OPT_COUNT 14	/* entries of report_longopts */
enum report_opt_id {
	REPORT_OPT_FORMAT = REPORT_OPT_BASE,
	REPORT_OPT_OUTPUT,
	REPORT_OPT_MIN,
	REPORT_OPT_POLICY,
	REPORT_OPT_SET,
	REPORT_OPT_SHOW_POLICY,
	REPORT_OPT_TOP,
	REPORT_OPT_MAX_AGE,
	REPORT_OPT_NOW,
	REPORT_OPT_FAIL,
	REPORT_OPT_FAIL_RISK,
	REPORT_OPT_COLOR,
	REPORT_OPT_WIDTH,
};
extern const struct option report_longopts[REPORT_OPT_COUNT + 1];
extern const char report_opts_usage[];
void report_opts_init(struct report_opts *o);
/* 1: c was one of report_longopts and is applied; 0: not one; -1: bad value (err says why, for the command's
 * cli_usage_error) */
int report_option(int c, const char *arg, struct report_opts *o, char *err, size_t errlen);
/* After parsing: colour and width from the terminal (stdout a TTY, COLUMNS, NO_COLOR, TERM). */
void report_opts_finish(struct report_opts *o);
/* longopts = own options (n_own, without terminator), then selection, then report options; out holds
 * n_own + CLI_SELECT_NOPTS + REPORT_OPT_COUNT + 1. */
void report_longopts_join(const struct option *own, size_t n_own, struct option *out);

/* The selection as the report library's query (min_level from the policy). */
void cli_select_query(const struct cli_select *s, uint16_t min_level, struct rep_query *q);
/* Open db, load q, stamp the provenance and evaluate with o's policy into *ret; returns an EXIT_* status
 * (message printed). */
int cli_load_report(const char *db_path, const struct rep_query *q, const struct report_opts *o, struct rep_data **ret);
/* The exit status of a report or diff whose "after" side is d (with --fail-on-*). */
int report_exit_status(const struct rep_data *d, const struct report_opts *o);
FILE *cli_open_output(const char *path);			/* NULL (message printed) on failure */
int cli_close_output(FILE *fp, const char *path, int write_rc); /* EXIT_OK or EXIT_INTERNAL */

#endif
