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
	      "                       [--since T] [--until T] [--host ADDR[/LEN]]... [--role client|server]\n"
	      "                       [--sensor NAME]...\n"
	      "\n"
	      "Writes the stored connections, capture by capture in the order they were stored and within a\n"
	      "capture in order of first packet: ndjson is the line `read --json` printed for it (the same\n"
	      "bytes), ecs an Elastic Common Schema document per line, zeek a Zeek ssl.log with its header.\n"
	      "\n"
	      "  --db PATH            database (default tlsaudit.db); opened read-only\n"
	      "  --format F           ndjson (default), ecs or zeek\n"
	      "  -o, --output FILE    write there instead of standard output\n",
	      fp);
	fputs(cli_select_usage(), fp);
	fputs("\n"
	      "exit status: 0 ok; 1 bad command line; 4 database error; 5 internal error or write failed.\n",
	      fp);
}

/* ---- the selection (select_opt.c: --since, --until, --host, --role, --sensor) ---------------------------- */

enum { OPT_DB = 256, OPT_FORMAT };

/* a connection counts when an endpoint in the selected role is in a selected prefix: the report's rule */
static bool host_selected(const struct rep_query *q, const struct ta_conn *r)
{
	return report_query_endpoint(q, 0, r->family, r->client_ip) ||
	       report_query_endpoint(q, 1, r->family, r->server_ip);
}

/* ---- the walk ---------------------------------------------------------------------------------------- */

struct export_run {
	struct store *st;
	const struct out_event_format *fmt;
	const struct rep_query *q; /* the selection, as reports take it (cli_select_query) */
	FILE *fp;
	struct out_event_ctx ctx;
	uint64_t written;
	int status; /* EXIT_* of the first failure */
	char err[512];
};

static int export_record(const struct ta_conn *r, void *arg)
{
	struct export_run *x = arg;
	if (!host_selected(x->q, r))
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
	if (!report_query_sensor(x->q, c->sensor))
		return 0;
	struct store_select w = {.has_since = x->q->has_since,
				 .has_until = x->q->has_until,
				 .since_ns = x->q->since_ns,
				 .until_ns = x->q->until_ns,
				 .capture_id = c->id};
	x->ctx.sensor = c->sensor;
	x->ctx.capture = c->path;
	int r = store_select_records(x->st, &w, export_record, x, x->err, sizeof(x->err));
	if (r != 0 && x->status == EXIT_OK)
		x->status = EXIT_DB; /* a write failure set EXIT_INTERNAL in export_record already */
	return r;
}

int cmd_export(int argc, char **argv)
{
	static const struct option own[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
	};
	enum { N_OWN = sizeof(own) / sizeof(own[0]) };
	struct option longopts[N_OWN + CLI_SELECT_NOPTS + 1];
	memcpy(longopts, own, sizeof(own));
	memcpy(longopts + N_OWN, cli_select_longopts, sizeof(cli_select_longopts)); /* with its terminator */
	const char *db = "tlsaudit.db", *out = NULL;
	const struct out_event_format *fmt = &out_format_ndjson;
	struct cli_select sel;
	char err[512];
	int64_t now_ns = cli_now_ns();
	int c;

	cli_select_init(&sel);
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
			int sr = cli_select_option(c, optarg, now_ns, &sel, err, sizeof(err));
			if (sr < 0)
				return cli_usage_error("export", "%s", err);
			if (sr == 0)
				return cli_bad_option("export", '?', argv);
		}
		}
	}
	if (optind < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (cli_db_missing(db, false))
		return EXIT_DB;

	struct rep_query q;
	cli_select_query(&sel, 0, &q);
	struct export_run x = {.fmt = fmt, .q = &q};
	x.ctx.now_ns = now_ns;
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
