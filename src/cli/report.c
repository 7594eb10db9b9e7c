/* report.c - `tlsaudit report`: per-host verdicts against a minimum-version policy, remediation, charts; text,
 * Markdown, CSV, JSON or self-contained HTML. Also the option parsing shared with `tlsaudit diff`. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report_cli.h"
#include "tlsaudit/report.h"

static void report_usage(FILE *fp)
{
	fputs("usage: tlsaudit report [--db PATH] [--format text|md|csv|json|html] [-o FILE]\n"
	      "                       [--min-version \"TLS 1.2\"] [--since T] [--until T] [--host ADDR]\n"
	      "                       [--fail-on-violation]\n"
	      "\n"
	      "Per host and role (client/server): connections, versions offered and negotiated, failures, peers,\n"
	      "SNI names, first/last seen, a verdict against the policy (ok, at risk, violation), remediation\n"
	      "hints, and the capture inventory with every lost or skipped packet counter.\n"
	      "\n"
	      "  --db PATH            database (default tlsaudit.db)\n"
	      "  --format F           text (default), md, csv (one row per host and role), json, html\n"
	      "  -o, --output FILE    write there instead of standard output\n"
	      "  --min-version V      lowest acceptable version (default \"TLS 1.2\")\n"
	      "  --since T, --until T connections whose first packet is >= since and < until; T is 2026-11-27,\n"
	      "                       2026-11-27T12:00:00Z or @UNIXSECONDS (UTC)\n"
	      "  --host ADDR          only this address (in either role)\n"
	      "  --fail-on-violation  exit 10 when a host violates the policy\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 4 database error; 5 internal error;\n"
	      "10 a host violates the policy (only with --fail-on-violation).\n",
	      fp);
}

/* ".123456789" (1 to 9 digits) after seconds -> nanoseconds; nothing there is 0. */
static bool parse_frac(char **p, int64_t *ret)
{
	int64_t v = 0, scale = 100000000;
	char *s = *p;
	if (*s != '.')
		return true;
	s++;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (scale == 0)
			return false;
		v += (*s - '0') * scale;
		scale /= 10;
	}
	*ret = v;
	*p = s;
	return true;
}

bool cli_parse_time(const char *opt, const char *s, int64_t *ret_ns)
{
	struct tm tm;
	const char *end = NULL;
	memset(&tm, 0, sizeof(tm));
	int64_t frac = 0;
	if (s[0] == '@') {
		char *e = NULL;
		errno = 0;
		if (s[1] < '0' || s[1] > '9')
			goto bad;
		long long v = strtoll(s + 1, &e, 10);
		if (errno || v < 0 || v > 32503680000LL || !parse_frac(&e, &frac) || *e)
			goto bad;
		*ret_ns = (int64_t)v * 1000000000 + frac;
		return true;
	}
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end)
		goto bad;
	if (*end == 'T' || *end == ' ') {
		end = strptime(end + 1, "%H:%M:%S", &tm);
		if (!end)
			goto bad;
		char *e = (char *)(uintptr_t)end; /* parse_frac only advances it */
		if (!parse_frac(&e, &frac))
			goto bad;
		end = e;
	}
	if (*end == 'Z')
		end++;
	if (*end)
		goto bad;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		goto bad;
	*ret_ns = (int64_t)t * 1000000000 + frac;
	return true;
bad:
	fprintf(stderr, "tlsaudit: %s: '%s' is not a time (2026-11-27, 2026-11-27T12:00:00Z or @SECONDS, UTC)\n", opt,
		s);
	return false;
}

/* Canonical text of an address (so 2001:DB8::1 matches the stored 2001:db8::1). */
bool cli_parse_host(const char *s, char out[48])
{
	uint8_t b[16];
	if (inet_pton(AF_INET, s, b) == 1)
		return inet_ntop(AF_INET, b, out, 48) != NULL;
	if (inet_pton(AF_INET6, s, b) == 1)
		return inet_ntop(AF_INET6, b, out, 48) != NULL;
	fprintf(stderr, "tlsaudit: --host: '%s' is not an IPv4 or IPv6 address\n", s);
	return false;
}

int cli_load_report(const char *db_path, const struct rep_query *q, struct rep_data **ret)
{
	char err[512];
	struct store *st = NULL;
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
	report_evaluate(*ret);
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

enum { OPT_DB = 256, OPT_FORMAT, OPT_MIN, OPT_SINCE, OPT_UNTIL, OPT_HOST, OPT_FAIL };

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, 'o'},
		{"min-version", required_argument, NULL, OPT_MIN},
		{"since", required_argument, NULL, OPT_SINCE},
		{"until", required_argument, NULL, OPT_UNTIL},
		{"host", required_argument, NULL, OPT_HOST},
		{"fail-on-violation", no_argument, NULL, OPT_FAIL},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "tlsaudit.db", *out = NULL;
	enum rep_format fmt = REP_FMT_TEXT;
	struct rep_query q = {.min_level = 0x0303};
	bool fail = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db = optarg; break;
		case 'o': out = optarg; break;
		case OPT_FORMAT:
			if (!report_format_parse(optarg, &fmt)) {
				fprintf(stderr, "tlsaudit: --format: '%s' is not text, md, csv, json or html\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MIN:
			if (!report_version_parse(optarg, &q.min_level)) {
				fprintf(stderr, "tlsaudit: --min-version: '%s' is not a version (\"TLS 1.2\")\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SINCE:
			if (!cli_parse_time("--since", optarg, &q.since_ns))
				return EXIT_USAGE;
			q.has_since = true;
			break;
		case OPT_UNTIL:
			if (!cli_parse_time("--until", optarg, &q.until_ns))
				return EXIT_USAGE;
			q.has_until = true;
			break;
		case OPT_HOST:
			if (!cli_parse_host(optarg, q.host))
				return EXIT_USAGE;
			break;
		case OPT_FAIL: fail = true; break;
		case 'h': report_usage(stdout); return EXIT_OK;
		default: return cli_bad_option("report", c, argv);
		}
	}
	if (optind < argc) {
		return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
	}
	if (cli_db_missing(db, true))
		return EXIT_DB;
	struct rep_data *d = NULL;
	int rc = cli_load_report(db, &q, &d);
	if (rc != EXIT_OK)
		return rc;
	FILE *fp = cli_open_output(out);
	if (!fp) {
		report_data_free(d);
		return EXIT_INTERNAL; /* output not writable (README: 5) */
	}
	rc = cli_close_output(fp, out, report_write(fp, fmt, d));
	if (rc == EXIT_OK && fail && report_overall(d) == REP_VIOLATION)
		rc = EXIT_VIOLATION;
	report_data_free(d);
	return rc;
}
