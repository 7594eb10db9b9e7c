/* export.c - `tlsaudit export`: stored connections out again, without the capture: our NDJSON exactly as
 * `read --json` printed it, ECS JSON for Elastic, or a Zeek ssl.log. Reads through the store's read API
 * (STORE_RO: never takes the write lock, so it runs beside a live sensor). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report_cli.h"
#include "tlsaudit/output.h"
#include "tlsaudit/store.h"

static void export_usage(FILE *fp)
{
	fputs("usage: tlsaudit export [--db PATH] [--format ndjson|ecs|zeek] [-o FILE]\n"
	      "                       [--since T] [--until T] [--host ADDR]...\n"
	      "\n"
	      "Writes the stored connections, capture by capture in the order they were stored and within a\n"
	      "capture in order of first packet: ndjson is the line `read --json` printed for it (the same\n"
	      "bytes), ecs an Elastic Common Schema document per line, zeek a Zeek ssl.log with its header.\n"
	      "\n"
	      "  --db PATH            database (default tlsaudit.db); opened read-only\n"
	      "  --format F           ndjson (default), ecs or zeek\n"
	      "  -o, --output FILE    write there instead of standard output\n"
	      "  --since T, --until T connections whose first packet is >= since and < until; T is 2026-11-27,\n"
	      "                       2026-11-27T12:00:00Z, @UNIXSECONDS (UTC) or -7d, -24h, -30m (ago)\n"
	      "  --host ADDR          only connections with this address in either role (repeatable)\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 4 database error; 5 internal error or write failed.\n",
	      fp);
}

/* ---- the selection options (--since, --until, --host) -----------------------------------------------------
 * A minimal parser of its own, behind export_select_option(): the shared selection module (CIDR hosts, roles,
 * sensors, local times) replaces this function and struct when it lands. */

#define EXPORT_MAX_HOSTS 64

struct export_select {
	struct store_select window; /* since / until */
	char hosts[EXPORT_MAX_HOSTS][48];
	size_t n_hosts;
};

enum { OPT_DB = 256, OPT_FORMAT, OPT_SINCE, OPT_UNTIL, OPT_HOST };

/* "-7d" (ago) or an absolute time (cli_parse_time) -> ns */
static bool parse_when(const char *opt, const char *s, int64_t *ret_ns)
{
	if (s[0] == '-' && s[1] >= '0' && s[1] <= '9') {
		int64_t sec;
		if (!cli_parse_duration(opt, s + 1, &sec))
			return false;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		*ret_ns = ((int64_t)now.tv_sec - sec) * 1000000000 + now.tv_nsec;
		return true;
	}
	return cli_parse_time(opt, s, ret_ns);
}

/* 1: c was a selection option and is applied; 0: not one; -1: bad value (said on stderr) */
static int export_select_option(int c, const char *arg, struct export_select *sel)
{
	switch (c) {
	case OPT_SINCE:
		if (!parse_when("--since", arg, &sel->window.since_ns))
			return -1;
		sel->window.has_since = true;
		return 1;
	case OPT_UNTIL:
		if (!parse_when("--until", arg, &sel->window.until_ns))
			return -1;
		sel->window.has_until = true;
		return 1;
	case OPT_HOST:
		if (sel->n_hosts >= EXPORT_MAX_HOSTS) {
			fprintf(stderr, "tlsaudit: --host: at most %d addresses\n", EXPORT_MAX_HOSTS);
			return -1;
		}
		if (!cli_parse_host(arg, sel->hosts[sel->n_hosts]))
			return -1;
		sel->n_hosts++;
		return 1;
	default: return 0;
	}
}

static bool host_selected(const struct export_select *sel, const struct ta_conn *r)
{
	char c[48], s[48];
	if (!sel->n_hosts)
		return true;
	out_ip(r->family, r->client_ip, c);
	out_ip(r->family, r->server_ip, s);
	for (size_t i = 0; i < sel->n_hosts; i++)
		if (strcmp(sel->hosts[i], c) == 0 || strcmp(sel->hosts[i], s) == 0)
			return true;
	return false;
}

/* ---- the walk ---------------------------------------------------------------------------------------- */

struct export_run {
	struct store *st;
	const struct out_event_format *fmt;
	const struct export_select *sel;
	FILE *fp;
	struct out_event_ctx ctx;
	uint64_t written;
	int status; /* EXIT_* of the first failure */
	char err[512];
};

static int export_record(const struct ta_conn *r, void *arg)
{
	struct export_run *x = arg;
	if (!host_selected(x->sel, r))
		return 0;
	if (x->fmt->record(x->fp, r, &x->ctx) < 0) {
		x->status = EXIT_INTERNAL;
		return -EIO;
	}
	x->written++;
	return 0;
}

static int export_capture(const struct store_capture_row *c, void *arg)
{
	struct export_run *x = arg;
	struct store_select w = x->sel->window;
	w.capture_id = c->id;
	x->ctx.sensor = c->sensor;
	x->ctx.capture = c->path;
	int r = store_select_records(x->st, &w, export_record, x, x->err, sizeof(x->err));
	if (r != 0 && x->status == EXIT_OK)
		x->status = EXIT_DB; /* a write failure set EXIT_INTERNAL in export_record already */
	return r;
}

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, 'o'},
		{"since", required_argument, NULL, OPT_SINCE},
		{"until", required_argument, NULL, OPT_UNTIL},
		{"host", required_argument, NULL, OPT_HOST},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "tlsaudit.db", *out = NULL;
	const struct out_event_format *fmt = &out_format_ndjson;
	struct export_select sel;
	int c;

	memset(&sel, 0, sizeof(sel));
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db = optarg; break;
		case 'o': out = optarg; break;
		case OPT_FORMAT:
			fmt = out_event_format_find(optarg);
			if (!fmt)
				return cli_usage_error("export", "--format: '%s' is not ndjson, ecs or zeek", optarg);
			break;
		case 'h': export_usage(stdout); return EXIT_OK;
		case '?':
		case ':': return cli_bad_option("export", c, argv);
		default: {
			int sr = export_select_option(c, optarg, &sel);
			if (sr < 0)
				return EXIT_USAGE;
			if (sr == 0)
				return cli_bad_option("export", '?', argv);
		}
		}
	}
	if (optind < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (cli_db_missing(db, false))
		return EXIT_DB;

	struct export_run x = {.fmt = fmt, .sel = &sel};
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	x.ctx.now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (store_open(db, STORE_RO, &x.st, x.err, sizeof(x.err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", x.err);
		return EXIT_DB;
	}
	x.fp = cli_open_output(out);
	if (!x.fp) {
		store_close(x.st);
		return EXIT_INTERNAL; /* output not writable */
	}
	int wr = fmt->begin ? fmt->begin(x.fp, &x.ctx) : 0;
	if (wr == 0 && store_foreach_capture(x.st, true, export_capture, &x, x.err, sizeof(x.err)) < 0 &&
	    x.status == EXIT_OK)
		x.status = EXIT_DB;
	if (x.status == EXIT_DB)
		fprintf(stderr, "tlsaudit: %s: %s\n", db, x.err);
	x.ctx.sensor = x.ctx.capture = NULL;
	if (wr == 0 && fmt->end)
		wr = fmt->end(x.fp, &x.ctx);
	int rc = cli_close_output(x.fp, out, wr < 0 || x.status == EXIT_INTERNAL ? -1 : 0);
	store_close(x.st);
	return x.status != EXIT_OK ? x.status : rc;
}
