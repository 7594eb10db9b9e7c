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
	EXIT_AT_RISK = 11,   /* report/diff --fail-on-risk: a host is at risk (none violates) */
	EXIT_NO_DATA = 12,   /* report/diff --fail-on-violation: the selection holds no connection, no probe */
	EXIT_STALE = 13,     /* report/diff --fail-on-violation --max-age: the newest data is too old */
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
/* The analysis options that change results, as stored with the capture (README "tlsaudit read": reading the
 * same capture again). */
void cli_analysis_options(const struct read_opts *o, const struct ta_capture_facts *f, char *buf, size_t len);

int cmd_read(int argc, char **argv);
int cmd_report(int argc, char **argv);	/* report.c */
int cmd_diff(int argc, char **argv);	/* diff.c */
int cmd_merge(int argc, char **argv);	/* merge.c */
int cmd_probe(int argc, char **argv);	/* probe.c: which versions a server accepts when asked */
int cmd_capture(int argc, char **argv); /* capture.c: live sensor */
int cmd_export(int argc, char **argv);	/* export.c */
int cmd_prune(int argc, char **argv);	/* prune.c */

/* Usage errors (main.c): one line on stderr, "tlsaudit CMD: <what is wrong> (see tlsaudit CMD --help)";
 * return EXIT_USAGE. cli_bad_option explains what getopt_long returned for c ('?' or ':'; the command's
 * optstring starts with ':' so a missing value is told apart). */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *cmd, const char *fmt, ...);
/* "tlsaudit: " + the formatted line + newline, with control characters in it made visible (file names and
 * messages that carry them come from the user's directory or from an input). */
__attribute__((format(printf, 2, 3))) void cli_msg(FILE *fp, const char *fmt, ...);
int cli_bad_option(const char *cmd, int c, char **argv);

/* malloc arenas for n threads analysing at once (main.c) */
void cli_malloc_arenas(unsigned n);
/* true (and "no such database" on stderr, with how to make one when hint) when nothing is at db; a path that
 * is there but is not a database of ours (a symbolic link, dangling or not; a FIFO) is left to store_open to
 * refuse with its reason. lstat, never access(): a link is not followed. */
bool cli_db_missing(const char *db, bool hint);

/* An age: "90d", "24h", "30m", "45s", "2w", "1h30m" (cli_duration_parse, ending in a unit) -> seconds
 * (select_opt.c; prune --older-than, capture --retention); false (and a message on stderr) if not. */
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

/* ---- Selection options (select_opt.c): which connections report, diff and export look at ---------------- */

#define CLI_SELECT_MAX_NETS    32
#define CLI_SELECT_MAX_SENSORS 8
#define CLI_SELECT_OPT_BASE    0x4100 /* getopt ids of the selection options, above the limit options' */
#define CLI_SELECT_NOPTS       5

enum { CLI_ROLE_ANY = -1, CLI_ROLE_CLIENT = 0, CLI_ROLE_SERVER = 1 }; /* the roles are enum agg_role's */

/* An address prefix: 10.0.0.0/24, 2001:db8::/64; one address is a /32 or /128. Host bits are zero. */
struct cli_net {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint8_t prefix;
};

struct cli_select {
	bool has_since, has_until;
	int64_t since_ns, until_ns; /* first packet >= since and < until */
	struct cli_net nets[CLI_SELECT_MAX_NETS];
	size_t n_nets; /* 0: every host */
	int role;      /* CLI_ROLE_* */
	char sensors[CLI_SELECT_MAX_SENSORS][64];
	size_t n_sensors; /* 0: every sensor */
};

int64_t cli_now_ns(void); /* the wall clock, ns since the epoch */
/* RFC 3339 ("2026-11-27T22:50:00Z", "+01:00" offsets, fractions), "YYYY-MM-DD[ HH:MM[:SS]]" (local time unless
 * Z or an offset follows), "@SECONDS[.frac]", relative "-7d" "-24h" "-30m" "-90s" "-2w" and "now" against
 * now_ns. false (no message) when s is none of these. */
bool cli_time_parse(const char *s, int64_t now_ns, int64_t *ret_ns);
/* "90s", "30m", "24h", "7d", "2w", "1h30m" or plain seconds -> ns; false if not one. */
bool cli_duration_parse(const char *s, int64_t *ret_ns);
/* "10.0.0.5", "10.0.0.0/24", "2001:db8::/64" (host bits dropped); false if not one. */
bool cli_net_parse(const char *s, struct cli_net *ret);
bool cli_net_contains(const struct cli_net *n, uint8_t family, const uint8_t ip[16]);
void cli_net_text(const struct cli_net *n, char buf[static 64]); /* "10.0.0.0/24", "10.0.0.5" */

void cli_select_init(struct cli_select *s);
/* --since, --until, --host (repeatable), --role, --sensor (repeatable); ids from CLI_SELECT_OPT_BASE */
extern const struct option cli_select_longopts[CLI_SELECT_NOPTS + 1];
const char *cli_select_usage(void);
/* 1: c was a selection option and is applied; 0: not one; -1: bad value (err says why, "--since: ...", for the
 * command's cli_usage_error) */
int cli_select_option(int c, const char *arg, int64_t now_ns, struct cli_select *s, char *err, size_t errlen);

/* parse a non-negative integer option; false (and a message) if invalid */
bool cli_parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *ret);

#endif
