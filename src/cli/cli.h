/* cli.h - command-line front end: subcommands and exit statuses. */
#ifndef TLSAUDIT_CLI_H
#define TLSAUDIT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/limits.h"
#include "tlsaudit/store.h"

/* Exit statuses (README "Exit status"; `tlsaudit --help`). */
enum {
	EXIT_OK = 0,	     /* every input read completely */
	EXIT_USAGE = 1,	     /* bad command line */
	EXIT_INPUT = 2,	     /* an input could not be opened or is not a capture */
	EXIT_DAMAGED = 3,    /* an input was cut or damaged; what came before it is stored */
	EXIT_DB = 4,	     /* the database could not be opened or written */
	EXIT_INTERNAL = 5,   /* out of memory or another internal failure */
	EXIT_VIOLATION = 10, /* report/diff --fail-on-violation: a host violates the policy */
	EXIT_PRIV = 6,	     /* capture: permission denied, or the privilege drop failed */
};

struct read_opts {
	const char *db_path;
	const char *filter; /* BPF expression or NULL */
	bool json;
	bool quiet;
	bool no_ndpi;
	bool ndpi_every_flow; /* nDPI's DPI on every flow (README "Application labels") */
	unsigned jobs;
	uint64_t count; /* -c: stop each capture after this many packets (that pass the filter); 0 = all */
	struct ta_limits lim;
	struct progress *progress; /* the progress line (progress.h), NULL when not shown */
};

struct agg;
struct store_writer;

/* What reading one capture gave. */
struct analyze_result {
	int status;	     /* EXIT_*; -1: not read (an earlier database error stopped the run) */
	int64_t id;	     /* capture that holds the file's connections, 0 if none */
	bool dup;	     /* an identical analysis was already stored */
	struct agg *summary; /* per host and role of this capture (NULL for a duplicate); owned */
};

/* Analyze one capture into the database through the writer w. Messages go to stderr. */
void analyze_file(const char *path, const struct read_opts *o, struct store_writer *w, struct analyze_result *ret);
/* The analysis options that change results, as stored with the capture (README "tlsaudit read": reading the same capture again). */
void cli_analysis_options(const struct read_opts *o, const struct ta_capture_facts *f, char *buf, size_t len);

int cmd_read(int argc, char **argv);
int cmd_report(int argc, char **argv); /* report.c */
int cmd_diff(int argc, char **argv);   /* diff.c */
int cmd_merge(int argc, char **argv);  /* merge.c */
int cmd_probe(int argc, char **argv);  /* probe.c: which versions a server accepts when asked */
/* report.c: "2026-11-27", "2026-11-27T12:00:00Z", "2026-11-27 12:00:00", "@UNIXSECONDS" -> ns (UTC) */
bool cli_parse_time(const char *opt, const char *s, int64_t *ret_ns);
int cmd_capture(int argc, char **argv); /* capture.c: live sensor */
int cmd_export(int argc, char **argv);	/* export.c */
int cmd_prune(int argc, char **argv);	/* prune.c */

/* Usage errors (main.c): one line on stderr, "tlsaudit CMD: <what is wrong> (see tlsaudit CMD --help)";
 * return EXIT_USAGE. cli_bad_option explains what getopt_long returned for c ('?' or ':'; the command's
 * optstring starts with ':' so a missing value is told apart). */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *cmd, const char *fmt, ...);
int cli_bad_option(const char *cmd, int c, char **argv);

/* "90d", "24h", "30m", "45s", "2w" (one number, one unit) -> seconds (prune.c); false (and a message) if not */
bool cli_parse_duration(const char *opt, const char *s, int64_t *ret_s);

/* The limit options shared by `read` and `capture` (limits_opt.c, from TA_LIMIT_OPTIONS): their getopt ids
 * live above every command's own. */
#define CLI_LIMIT_OPT_BASE				      0x4000
#define TA_LIMIT_COUNT(field, opt, kind, def, min, max, help) +1
#define CLI_LIMIT_NOPTS					      (0 TA_LIMIT_OPTIONS(TA_LIMIT_COUNT))
extern const struct option cli_limit_longopts[CLI_LIMIT_NOPTS + 1];
const char *cli_limit_usage(void);
/* 1: c was a limit option and is applied; 0: not one; -1: bad value (said on stderr) */
int cli_limit_option(int c, const char *arg, struct ta_limits *l);
/* a size with an optional K/M/G/T suffix (powers of 1024; KiB/MB/... accepted) */
bool cli_parse_size(const char *opt, const char *s, uint64_t max, uint64_t *ret);
/* longopts = a command's own options followed by the limit options; n_own
 * entries of own (without the terminator); out holds n_own + CLI_LIMIT_NOPTS + 1 */
void cli_longopts_join(const struct option *own, size_t n_own, struct option *out);

/* parse a non-negative integer option; false (and a message) if invalid */
bool cli_parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *ret);

#endif
