/* report_cli.h - helpers shared by the report and diff commands (report.c). */
#ifndef TLSAUDIT_REPORT_CLI_H
#define TLSAUDIT_REPORT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "tlsaudit/report_data.h"

bool cli_parse_host(const char *s, char out[48]);
/* Open db, load and evaluate q into *ret; returns an EXIT_* status (message printed). */
int cli_load_report(const char *db_path, const struct rep_query *q, struct rep_data **ret);
FILE *cli_open_output(const char *path);			/* NULL (message printed) on failure */
int cli_close_output(FILE *fp, const char *path, int write_rc); /* EXIT_OK or EXIT_INTERNAL */

#endif
