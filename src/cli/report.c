/* report.c - `tlsaudit report`: per-host verdicts against a policy, posture, impact, remediation per client
 * stack, charts; text, Markdown, CSV, JSON or self-contained HTML. Also the options report and diff share. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report_cli.h"
#include "tlsaudit/report.h"

#define POLICY_FILE_MAX (64 * 1024)

const char report_opts_usage[] =
	"  --format F           text (default), md, csv (one row per host and role), json, html\n"
	"  -o, --output FILE    write there instead of standard output\n"
	"  --min-version V      lowest acceptable version (default \"TLS 1.2\"; policy key min_version)\n"
	"  --policy FILE        policy file: \"key = value\" lines (README \"Policy\"); later --set wins\n"
	"  --set KEY=VALUE      one policy setting, e.g. --set cert_self_signed=at-risk (repeatable)\n"
	"  --show-policy        print the policy in effect (file syntax) and exit\n"
	"  --top N              rows per section of text, md and html (default 20; csv and json list all)\n"
	"  --max-age D          stale when the newest selected connection (else probe) is older than D (30m, 7d)\n"
	"  --now T              evaluate and stamp the report as of T instead of the clock (reproducible)\n"
	"  --fail-on-violation  exit 10 on a violation, 12 when nothing is selected, 13 when stale\n"
	"  --fail-on-risk       as --fail-on-violation, and exit 11 when a host is at risk\n"
	"  --color WHEN         text: auto (default: a terminal without NO_COLOR), always, never\n"
	"  --width N            text: line width (default: the terminal's, else 100)\n";

const struct option report_longopts[REPORT_OPT_COUNT + 1] = {
	{"format", required_argument, NULL, REPORT_OPT_FORMAT},
	{"output", required_argument, NULL, REPORT_OPT_OUTPUT},
	{"min-version", required_argument, NULL, REPORT_OPT_MIN},
	{"policy", required_argument, NULL, REPORT_OPT_POLICY},
	{"set", required_argument, NULL, REPORT_OPT_SET},
	{"show-policy", no_argument, NULL, REPORT_OPT_SHOW_POLICY},
	{"top", required_argument, NULL, REPORT_OPT_TOP},
	{"max-age", required_argument, NULL, REPORT_OPT_MAX_AGE},
	{"now", required_argument, NULL, REPORT_OPT_NOW},
	{"fail-on-violation", no_argument, NULL, REPORT_OPT_FAIL},
	{"fail-on-risk", no_argument, NULL, REPORT_OPT_FAIL_RISK},
	{"color", required_argument, NULL, REPORT_OPT_COLOR},
	{"width", required_argument, NULL, REPORT_OPT_WIDTH},
	{"colour", required_argument, NULL, REPORT_OPT_COLOR}, /* REPORT_OPT_COUNT entries up to here */
	{NULL, 0, NULL, 0},
};

void report_opts_init(struct report_opts *o)
{
	memset(o, 0, sizeof(*o));
	report_policy_default(&o->policy);
	o->format = REP_FMT_TEXT;
	o->now_ns = cli_now_ns();
}

static int load_policy_file(const char *path, struct rep_policy *p, char *msg, size_t msglen)
{
	char err[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, msglen, "--policy %s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = malloc(POLICY_FILE_MAX + 1);
	size_t n = 0;
	ssize_t r = 0;
	while (buf && n <= POLICY_FILE_MAX && (r = read(fd, buf + n, POLICY_FILE_MAX + 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (!buf || r < 0) {
		snprintf(msg, msglen, "--policy %s: %s", path, buf ? strerror(errno) : "out of memory");
		free(buf);
		return -1;
	}
	if (n > POLICY_FILE_MAX) {
		snprintf(msg, msglen, "--policy %s: larger than %d bytes", path, POLICY_FILE_MAX);
		free(buf);
		return -1;
	}
	int rc = report_policy_parse(p, buf, n, err, sizeof(err));
	free(buf);
	if (rc < 0) {
		snprintf(msg, msglen, "--policy %s: %s", path, err);
		return -1;
	}
	return 0;
}

/* a whole number from lo to hi */
static bool number(const char *s, uint64_t lo, uint64_t hi, uint64_t *ret)
{
	if (!*s || strlen(s) > 12 || strspn(s, "0123456789") != strlen(s))
		return false;
	uint64_t v = strtoull(s, NULL, 10);
	if (v < lo || v > hi)
		return false;
	*ret = v;
	return true;
}

int report_option(int c, const char *arg, struct report_opts *o, char *err, size_t errlen)
{
	char why[256];
	uint64_t v;
	switch (c) {
	case REPORT_OPT_FORMAT:
		if (!report_format_parse(arg, &o->format)) {
			snprintf(err, errlen, "--format: '%s' is not text, md, csv, json or html", arg);
			return -1;
		}
		return 1;
	case REPORT_OPT_OUTPUT: o->out = arg; return 1;
	case REPORT_OPT_MIN:
		if (!report_version_parse(arg, &o->policy.min_level)) {
			snprintf(err, errlen, "--min-version: '%s' is not a version (\"TLS 1.2\")", arg);
			return -1;
		}
		return 1;
	case REPORT_OPT_POLICY: return load_policy_file(arg, &o->policy, err, errlen) < 0 ? -1 : 1;
	case REPORT_OPT_SET: {
		const char *eq = strchr(arg, '=');
		char k[64];
		if (!eq || (size_t)(eq - arg) >= sizeof(k) || eq == arg) {
			snprintf(err, errlen, "--set: '%s' is not KEY=VALUE", arg);
			return -1;
		}
		memcpy(k, arg, (size_t)(eq - arg));
		k[eq - arg] = '\0';
		if (report_policy_set(&o->policy, k, eq + 1, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--set: %s", why);
			return -1;
		}
		return 1;
	}
	case REPORT_OPT_SHOW_POLICY: o->show_policy = true; return 1;
	case REPORT_OPT_TOP:
		if (!number(arg, 1, 100000, &v)) {
			snprintf(err, errlen, "--top: '%s' is not a number from 1 to 100000", arg);
			return -1;
		}
		o->render.top = (size_t)v;
		return 1;
	case REPORT_OPT_MAX_AGE:
		if (!cli_duration_parse(arg, &o->policy.max_age_ns) || o->policy.max_age_ns <= 0) {
			snprintf(err, errlen, "--max-age: '%s' is not a duration (30m, 24h, 7d, 3600)", arg);
			return -1;
		}
		return 1;
	case REPORT_OPT_NOW:
		if (!cli_time_parse(arg, cli_now_ns(), &o->now_ns)) {
			snprintf(err, errlen, "--now: '%s' is not a time (2026-11-27T22:50:00Z, -1h, @SECONDS)", arg);
			return -1;
		}
		return 1;
	case REPORT_OPT_FAIL: o->fail_violation = true; return 1;
	case REPORT_OPT_FAIL_RISK: o->fail_violation = o->fail_risk = true; return 1;
	case REPORT_OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			o->color = 0;
		else if (strcmp(arg, "always") == 0)
			o->color = 1;
		else if (strcmp(arg, "never") == 0)
			o->color = -1;
		else {
			snprintf(err, errlen, "--color: '%s' is not auto, always or never", arg);
			return -1;
		}
		return 1;
	case REPORT_OPT_WIDTH:
		if (!number(arg, 40, 1000, &v)) {
			snprintf(err, errlen, "--width: '%s' is not a number from 40 to 1000", arg);
			return -1;
		}
		o->render.width = (unsigned)v;
		return 1;
	}
	return 0;
}

static unsigned env_columns(void)
{
	const char *c = getenv("COLUMNS");
	if (!c || !*c || strspn(c, "0123456789") != strlen(c) || strlen(c) > 4)
		return 0;
	unsigned v = (unsigned)strtoul(c, NULL, 10);
	return v >= 40 ? v : 0;
}

void report_opts_finish(struct report_opts *o)
{
	bool to_tty = (!o->out || strcmp(o->out, "-") == 0) && isatty(STDOUT_FILENO);
	if (!o->render.width) {
		unsigned w = env_columns();
		struct winsize ws;
		if (!w && to_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
			w = ws.ws_col;
		o->render.width = w ? w : 100;
	}
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	if (o->color > 0)
		o->render.color = true;
	else if (o->color == 0)
		o->render.color = to_tty && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
	if (o->format != REP_FMT_TEXT)
		o->render.color = false;
}

void report_longopts_join(const struct option *own, size_t n_own, struct option *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n_own; i++)
		out[k++] = own[i];
	for (size_t i = 0; i < CLI_SELECT_NOPTS; i++)
		out[k++] = cli_select_longopts[i];
	for (size_t i = 0; i <= REPORT_OPT_COUNT; i++)
		out[k++] = report_longopts[i];
}

void cli_select_query(const struct cli_select *s, uint16_t min_level, struct rep_query *q)
{
	memset(q, 0, sizeof(*q));
	q->has_since = s->has_since;
	q->has_until = s->has_until;
	q->since_ns = s->since_ns;
	q->until_ns = s->until_ns;
	for (size_t i = 0; i < s->n_nets && i < REP_MAX_NETS; i++) {
		q->nets[i].family = s->nets[i].family;
		memcpy(q->nets[i].addr, s->nets[i].addr, 16);
		q->nets[i].prefix = s->nets[i].prefix;
		q->n_nets++;
	}
	q->role = s->role == CLI_ROLE_CLIENT   ? REP_ROLE_CLIENT
		  : s->role == CLI_ROLE_SERVER ? REP_ROLE_SERVER
					       : REP_ROLE_ANY;
	for (size_t i = 0; i < s->n_sensors && i < REP_MAX_SENSORS; i++)
		snprintf(q->sensors[q->n_sensors++], sizeof(q->sensors[0]), "%s", s->sensors[i]);
	q->min_level = min_level;
}

int cli_load_report(const char *db_path, const struct rep_query *q, const struct report_opts *o, struct rep_data **ret)
{
	char err[512];
	struct store *st = NULL;
	if (cli_db_missing(db_path, true))
		return EXIT_DB;
	if (store_open(db_path, STORE_RO, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		return EXIT_DB;
	}
	int r = report_load(st, q, ret, err, sizeof(err));
	store_close(st);
	if (r < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		return r == -ENOMEM ? EXIT_INTERNAL : EXIT_DB;
	}
	struct rep_data *d = *ret;
	snprintf(d->prov.version, sizeof(d->prov.version), "%s", TLSAUDIT_VERSION);
	d->prov.generated_ns = o->now_ns;
	snprintf(d->prov.db, sizeof(d->prov.db), "%s", db_path);
	report_evaluate(d, &o->policy);
	return EXIT_OK;
}

int report_exit_status(const struct rep_data *d, const struct report_opts *o)
{
	if (!o->fail_violation)
		return EXIT_OK;
	switch (report_overall(d)) {
	case REP_NO_DATA:
	case REP_NO_TLS: return EXIT_NO_DATA; /* every host role: nothing to judge */
	case REP_STALE: return EXIT_STALE;
	case REP_VIOLATION: return EXIT_VIOLATION;
	case REP_AT_RISK: return o->fail_risk ? EXIT_AT_RISK : EXIT_OK;
	case REP_OK: return EXIT_OK;
	}
	return EXIT_OK;
}

/* -o FILE is written to a temporary file beside it and renamed over it once complete, so a full disk or a
 * crash never leaves a truncated report under the name (the old file stays). A path that exists and is not a
 * regular file (/dev/stdout, a FIFO, /dev/null) is written in place. One output at a time per process. */
static char out_tmp[4096];

FILE *cli_open_output(const char *path)
{
	struct stat st;
	out_tmp[0] = '\0';
	if (!path || strcmp(path, "-") == 0)
		return stdout;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		FILE *fp = fopen(path, "w");
		if (!fp)
			fprintf(stderr, "tlsaudit: %s: %s\n", path, strerror(errno));
		return fp;
	}
	int n = snprintf(out_tmp, sizeof(out_tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(out_tmp)) {
		fprintf(stderr, "tlsaudit: %s: path too long\n", path);
		out_tmp[0] = '\0';
		return NULL;
	}
	int fd = mkstemp(out_tmp);
	if (fd < 0) {
		fprintf(stderr, "tlsaudit: %s: %s\n", path, strerror(errno));
		out_tmp[0] = '\0';
		return NULL;
	}
	mode_t um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um); /* what fopen(path, "w") would have made */
	FILE *fp = fdopen(fd, "w");
	if (!fp) {
		fprintf(stderr, "tlsaudit: %s: %s\n", path, strerror(errno));
		close(fd);
		unlink(out_tmp);
		out_tmp[0] = '\0';
	}
	return fp;
}

int cli_close_output(FILE *fp, const char *path, int write_rc)
{
	int bad = write_rc < 0, e = 0;
	if (fp != stdout) {
		bad |= fflush(fp) != 0 || ferror(fp);
		if (bad)
			e = errno;
		if (!bad && out_tmp[0] && fsync(fileno(fp)) != 0) {
			bad = 1;
			e = errno;
		}
		if (fclose(fp) != 0 && !bad) {
			bad = 1;
			e = errno;
		}
		if (out_tmp[0]) {
			if (!bad && rename(out_tmp, path) != 0) {
				bad = 1;
				e = errno;
			}
			if (bad)
				unlink(out_tmp);
			out_tmp[0] = '\0';
		}
	} else {
		bad |= fflush(fp) != 0 || ferror(fp);
		if (bad)
			e = errno;
	}
	if (bad) {
		fprintf(stderr, "tlsaudit: %s: write failed%s%s\n", path ? path : "standard output", e ? ": " : "",
			e ? strerror(e) : "");
		return EXIT_INTERNAL;
	}
	return EXIT_OK;
}

static void report_usage(FILE *fp)
{
	fputs("usage: tlsaudit report [--db PATH] [--format text|md|csv|json|html] [-o FILE] [--min-version V]\n"
	      "                       [--since T] [--until T] [--host ADDR[/LEN]]... [--role client|server]\n"
	      "                       [--sensor NAME]... [--top N] [--policy FILE] [--set KEY=VALUE]...\n"
	      "                       [--max-age D] [--fail-on-violation | --fail-on-risk]\n"
	      "\n"
	      "Per host and role (client/server): connections by outcome (established, failed, unknown), versions\n"
	      "offered and negotiated, client stacks, certificates, weak ciphers, nDPI risks, peers, SNI names, the\n"
	      "clients a server would lose under the policy, what probed servers accept (`tlsaudit probe`), a verdict\n"
	      "(ok, at risk, violation), remediation per client stack, and the provenance: version, time, database,\n"
	      "sensors, captures with their options and every lost or skipped packet counter.\n"
	      "\n"
	      "  --db PATH            database (default tlsaudit.db)\n",
	      fp);
	fputs(cli_select_usage(), fp);
	fputs(report_opts_usage, fp);
	fputs("\n"
	      "exit status: 0 ok; 1 bad command line; 4 database error; 5 internal error; with --fail-on-violation:\n"
	      "10 a host violates the policy, 12 nothing is selected (no data: no connection, no probe) or no host\n"
	      "showed TLS, 13 stale (--max-age); with --fail-on-risk also 11 a host is at risk.\n",
	      fp);
}

int cmd_report(int argc, char **argv)
{
	static const struct option own[] = {
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
	};
	struct option longopts[2 + CLI_SELECT_NOPTS + REPORT_OPT_COUNT + 1];
	report_longopts_join(own, 2, longopts);
	const char *db = "tlsaudit.db";
	struct report_opts o;
	struct cli_select sel;
	char err[512];
	int c, r;
	report_opts_init(&o);
	cli_select_init(&sel);
	/* --now first: relative times (--since -7d) count from it */
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--now") == 0 &&
		    report_option(REPORT_OPT_NOW, argv[i + 1], &o, err, sizeof(err)) < 0)
			return cli_usage_error("report", "%s", err);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		if (c == 'o')
			c = REPORT_OPT_OUTPUT;
		if ((r = cli_select_option(c, optarg, o.now_ns, &sel, err, sizeof(err))) != 0 ||
		    (r = report_option(c, optarg, &o, err, sizeof(err))) != 0) {
			if (r < 0)
				return cli_usage_error("report", "%s", err);
			continue;
		}
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': report_usage(stdout); return EXIT_OK;
		default: return cli_bad_option("report", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
	report_opts_finish(&o);
	if (o.show_policy) {
		report_policy_write(stdout, &o.policy);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
	}
	struct rep_query q;
	cli_select_query(&sel, o.policy.min_level, &q);
	struct rep_data *d = NULL;
	int rc = cli_load_report(db, &q, &o, &d);
	if (rc != EXIT_OK)
		return rc;
	FILE *fp = cli_open_output(o.out);
	if (!fp) {
		report_data_free(d);
		return EXIT_INTERNAL; /* output not writable (README: 5) */
	}
	rc = cli_close_output(fp, o.out, report_write(fp, o.format, d, &o.render));
	if (rc == EXIT_OK)
		rc = report_exit_status(d, &o);
	report_data_free(d);
	return rc;
}
