/* probe.c - `tlsaudit probe`: ask the servers named on the command line which versions they accept (one hello
 * per version), print the answers (text or NDJSON) and store them next to the passive evidence.
 *
 * Design note. -j threads take the endpoints in order, each probes one endpoint at a time (its versions one by
 * one, --delay apart); answers are printed and stored in the order of the command line, whatever order they
 * finish in. One atomic counter caps the connections of the whole run. Only named targets are probed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tlsaudit/names.h"
#include "tlsaudit/output.h"
#include "tlsaudit/probe.h"
#include "tlsaudit/report.h"
#include "tlsaudit/starttls.h"
#include "tlsaudit/store.h"
#include "tlsaudit/tls.h"

#define PROBE_MAX_JOBS	  64
#define PROBE_DEF_JOBS	  4
#define PROBE_DEF_MAXCONN 500

static void probe_usage(FILE *fp)
{
	fputs("usage: tlsaudit probe [--db PATH] [--json] [--starttls PROTO] [--sni NAME] [--timeout S]\n"
	      "                      [-j N] [options] TARGET...\n"
	      "\n"
	      "Asks each server which protocol versions it accepts: one connection per version (SSL 3.0, TLS 1.0,\n"
	      "1.1, 1.2, 1.3; SSL 2.0 with --sslv2), each offering only that version, and records the answer\n"
	      "(accepted with version and cipher, or the alert, reset, close, timeout, non-TLS answer). The\n"
	      "handshake is never completed. TARGET is host, host:port, [IPv6]:port or a name (every address of\n"
	      "a name is probed). Only the targets named here are probed: probe hosts you run, or have their\n"
	      "owner's permission to test.\n"
	      "\n"
	      "  --db PATH             database (default tlsaudit.db; created if missing)\n"
	      "  --no-store            do not write to a database\n"
	      "  --json                one NDJSON object per target address on stdout\n"
	      "  -q, --quiet           no text output (errors still go to stderr)\n"
	      "  --starttls PROTO      upgrade first: smtp, imap, pop3, ftp, ldap, xmpp, postgresql, mysql\n"
	      "  --sni NAME            server_name to send (default: the target's name; none for an address)\n"
	      "  --no-sni              send no server_name\n"
	      "  --ehlo NAME           SMTP EHLO / XMPP domain (default: our address literal / the target)\n"
	      "  --sslv2               also try SSL 2.0 (an SSLv2-format CLIENT-HELLO)\n"
	      "  --timeout S           seconds for each attempt: connect, dialogue and answer (default 5)\n"
	      "  --delay MS            pause between two attempts to the same server (default 50)\n"
	      "  -j, --jobs N          servers probed at a time (default 4, at most 64)\n"
	      "  --max-connections N   connections this run may open in all (default 500)\n"
	      "  --min-version V       policy for --fail-on-violation (default \"TLS 1.2\"), as in `report`\n"
	      "  --fail-on-violation   exit 10 when a server accepts a version below the policy\n"
	      "\n"
	      "exit status: 0 every target answered; 1 bad command line; 2 a target could not be reached (name\n"
	      "not resolved, connection failed) - the others are still probed and stored; 4 database error;\n"
	      "5 internal error; 10 (with --fail-on-violation) a server accepts a version below the policy,\n"
	      "which takes precedence over 2.\n",
	      fp);
}

enum {
	OPT_DB = 256,
	OPT_NO_STORE,
	OPT_JSON,
	OPT_STARTTLS,
	OPT_SNI,
	OPT_NO_SNI,
	OPT_EHLO,
	OPT_SSLV2,
	OPT_TIMEOUT,
	OPT_DELAY,
	OPT_MAXCONN,
	OPT_MIN,
	OPT_FAIL,
};

/* what one endpoint gave (or why it has no address) */
struct slot {
	struct probe_endpoint e;
	bool resolved; /* false: the name did not resolve; err says why */
	char err[128];
	struct probe_answer a[PROBE_N_VERSIONS];
	size_t n;
	bool done;
};

struct run {
	struct slot *s;
	size_t n;
	struct probe_opts po;
	size_t next_take, next_emit; /* guarded by mu */
	pthread_mutex_t mu;
	/* output and store, used by whoever emits (under mu) */
	bool json, quiet;
	struct store *st;
	char sensor[64];
	uint16_t min_level;
	bool unreachable, violation, db_failed, write_failed;
	size_t skipped; /* attempts not made: the connection cap */
};

static bool parse_seconds(const char *opt, const char *s, unsigned *ret_ms)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 3600) {
		fprintf(stderr, "tlsaudit: %s: '%s' is not a number of seconds between 0 and 3600\n", opt, s);
		return false;
	}
	*ret_ms = (unsigned)(v * 1000 + 0.5);
	if (*ret_ms == 0)
		*ret_ms = 1;
	return true;
}

static bool parse_starttls(const char *s, unsigned *ret)
{
	static const unsigned supported[] = {STARTTLS_SMTP, STARTTLS_IMAP, STARTTLS_POP3,	STARTTLS_FTP,
					     STARTTLS_LDAP, STARTTLS_XMPP, STARTTLS_POSTGRESQL, STARTTLS_MYSQL};
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (strcmp(s, names_starttls(supported[i])) == 0) {
			*ret = supported[i];
			return true;
		}
	fprintf(stderr, "tlsaudit: --starttls: '%s' is not smtp, imap, pop3, ftp, ldap, xmpp, postgresql or mysql\n",
		s);
	return false;
}

static void to_store(const struct run *r, const struct slot *sl, const struct probe_answer *a, struct store_probe *p)
{
	const struct probe_endpoint *e = &sl->e;
	memset(p, 0, sizeof(*p));
	p->ts_ns = a->ts_ns;
	snprintf(p->sensor, sizeof(p->sensor), "%s", r->sensor);
	p->target_len = (uint16_t)strnlen(e->target, sizeof(e->target) - 1);
	memcpy(p->target, e->target, p->target_len);
	p->family = e->family;
	memcpy(p->addr, e->addr, 16);
	p->port = e->port;
	p->starttls = (uint8_t)e->starttls;
	p->has_sni = e->has_sni;
	p->sni_len = e->sni_len;
	memcpy(p->sni, e->sni, e->sni_len);
	p->version = a->version;
	p->result = a->result;
	p->server_version = a->server_version;
	p->has_cipher = a->has_cipher;
	p->cipher = a->cipher;
	p->hello_retry_request = a->hrr;
	p->has_alert = a->has_alert;
	p->alert_level = a->alert_level;
	p->alert_desc = a->alert_desc;
	p->alert_sender = a->alert_sender;
	p->has_rtt = a->has_rtt;
	p->rtt_us = a->rtt_us;
	p->detail_len = a->detail_len;
	memcpy(p->detail, a->detail, a->detail_len);
}

/* An unresolved target as NDJSON: no address, one result. */
static void json_unresolved(FILE *fp, const struct slot *sl)
{
	fputs("{\"target\":", fp);
	out_json_string(fp, sl->e.target, strlen(sl->e.target));
	fprintf(fp, ",\"address\":null,\"family\":null,\"port\":%u,\"starttls\":", (unsigned)sl->e.port);
	const char *stls = names_starttls(sl->e.starttls);
	if (stls)
		out_json_string(fp, stls, strlen(stls));
	else
		fputs("null", fp);
	fputs(",\"sni\":null,\"ts\":null,\"accepted\":[],\"results\":[{\"version\":null,\"result\":\"unreachable\","
	      "\"server_version\":null,\"cipher\":null,\"hello_retry_request\":false,\"alert\":null,"
	      "\"alert_level\":null,\"alert_sender\":null,\"rtt_ms\":null,\"detail\":",
	      fp);
	out_json_string(fp, sl->err, strlen(sl->err));
	fputs(",\"ts\":null}]}\n", fp);
}

/* Print and store one finished slot (called under mu, in command-line order). */
static void emit(struct run *r, struct slot *sl)
{
	if (!sl->resolved) {
		r->unreachable = true;
		if (r->json)
			json_unresolved(stdout, sl);
		else if (!r->quiet) {
			out_text_string(stdout, sl->e.target, strlen(sl->e.target));
			fputs(": not resolved: ", stdout);
			out_text_string(stdout, sl->err, strlen(sl->err));
			fputc('\n', stdout);
		}
		return;
	}
	for (size_t i = 0; i < sl->n; i++) {
		if (sl->a[i].result == PROBE_UNREACHABLE)
			r->unreachable = true;
		if (sl->a[i].result == PROBE_SKIPPED)
			r->skipped++;
		if (sl->a[i].result == PROBE_ACCEPTED && tls_version_rank(sl->a[i].version) < r->min_level)
			r->violation = true;
	}
	if (r->json)
		probe_write_json(stdout, &sl->e, sl->a, sl->n);
	else if (!r->quiet)
		probe_write_text(stdout, &sl->e, sl->a, sl->n);
	if (fflush(stdout) != 0)
		r->write_failed = true;
	if (r->st && !r->db_failed) {
		struct store_probe p[PROBE_N_VERSIONS];
		char err[512];
		for (size_t i = 0; i < sl->n; i++)
			to_store(r, sl, &sl->a[i], &p[i]);
		if (store_probe_add(r->st, p, sl->n, err, sizeof(err)) < 0) {
			fprintf(stderr, "tlsaudit: %s\n", err);
			r->db_failed = true;
		}
	}
}

static void *worker(void *arg)
{
	struct run *r = arg;
	for (;;) {
		pthread_mutex_lock(&r->mu);
		size_t i = r->next_take < r->n ? r->next_take++ : r->n;
		pthread_mutex_unlock(&r->mu);
		if (i == r->n)
			return NULL;
		struct slot *sl = &r->s[i];
		if (sl->resolved)
			sl->n = probe_endpoint_run(&sl->e, &r->po, sl->a);
		pthread_mutex_lock(&r->mu);
		sl->done = true;
		while (r->next_emit < r->n && r->s[r->next_emit].done)
			emit(r, &r->s[r->next_emit++]);
		pthread_mutex_unlock(&r->mu);
	}
}

/* Resolve every target into slots (one per address; one unresolved slot per name that gives none). */
static int expand_targets(int argc, char **argv, unsigned starttls, const char *sni, bool no_sni, struct slot **ret,
			  size_t *ret_n)
{
	size_t cap = (size_t)argc * PROBE_MAX_ADDRS + 1, n = 0;
	struct slot *s = calloc(cap, sizeof(*s));
	struct probe_endpoint *eps = calloc(PROBE_MAX_ADDRS, sizeof(*eps));
	if (!s || !eps) {
		free(s);
		free(eps);
		fprintf(stderr, "tlsaudit: out of memory\n");
		return EXIT_INTERNAL;
	}
	for (int i = 0; i < argc; i++) {
		char host[256], err[128];
		uint16_t port = 0;
		bool has_port;
		if (probe_target_split(argv[i], host, &port, &has_port) < 0) {
			fprintf(stderr, "tlsaudit probe: '%s' is not host, host:port or [IPv6]:port\n", argv[i]);
			free(s);
			free(eps);
			return EXIT_USAGE;
		}
		if (!has_port)
			port = probe_default_port(starttls);
		size_t more = 0;
		int k = probe_resolve(argv[i], host, port, starttls, eps, PROBE_MAX_ADDRS, &more, err, sizeof(err));
		if (k < 0) {
			struct slot *sl = &s[n++];
			snprintf(sl->e.target, sizeof(sl->e.target), "%s", argv[i]);
			sl->e.port = port;
			sl->e.starttls = starttls;
			snprintf(sl->err, sizeof(sl->err), "%s", err);
			fprintf(stderr, "tlsaudit: %s: %s\n", argv[i], err);
			continue;
		}
		if (more)
			fprintf(stderr, "tlsaudit: %s: %zu more addresses than the %d probed\n", argv[i], more,
				PROBE_MAX_ADDRS);
		for (int a = 0; a < k; a++) {
			struct slot *sl = &s[n++];
			sl->e = eps[a];
			sl->resolved = true;
			const char *name = sni ? sni : (!no_sni && eps[a].host_is_name) ? eps[a].host : NULL;
			if (name) {
				sl->e.has_sni = true;
				sl->e.sni_len = (uint16_t)strlen(name);
				memcpy(sl->e.sni, name, sl->e.sni_len + 1);
			}
		}
	}
	free(eps);
	*ret = s;
	*ret_n = n;
	return EXIT_OK;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"no-store", no_argument, NULL, OPT_NO_STORE},
		{"json", no_argument, NULL, OPT_JSON},
		{"quiet", no_argument, NULL, 'q'},
		{"starttls", required_argument, NULL, OPT_STARTTLS},
		{"sni", required_argument, NULL, OPT_SNI},
		{"no-sni", no_argument, NULL, OPT_NO_SNI},
		{"ehlo", required_argument, NULL, OPT_EHLO},
		{"sslv2", no_argument, NULL, OPT_SSLV2},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"delay", required_argument, NULL, OPT_DELAY},
		{"jobs", required_argument, NULL, 'j'},
		{"max-connections", required_argument, NULL, OPT_MAXCONN},
		{"min-version", required_argument, NULL, OPT_MIN},
		{"fail-on-violation", no_argument, NULL, OPT_FAIL},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = "tlsaudit.db", *sni = NULL, *ehlo = NULL;
	bool store = true, json = false, quiet = false, no_sni = false, fail = false;
	unsigned starttls = 0, timeout_ms = PROBE_DEF_TIMEOUT_MS;
	uint32_t versions = PROBE_DEF_VERSIONS;
	uint64_t delay = PROBE_DEF_DELAY_MS, jobs = PROBE_DEF_JOBS, maxconn = PROBE_DEF_MAXCONN;
	uint16_t min_level = 0x0303;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qj:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db = optarg; break;
		case OPT_NO_STORE: store = false; break;
		case OPT_JSON: json = true; break;
		case 'q': quiet = true; break;
		case OPT_STARTTLS:
			if (!parse_starttls(optarg, &starttls))
				return EXIT_USAGE;
			break;
		case OPT_SNI:
			if (!*optarg || strlen(optarg) > TA_MAX_SNI) {
				fprintf(stderr, "tlsaudit: --sni: 1 to %d bytes\n", TA_MAX_SNI);
				return EXIT_USAGE;
			}
			sni = optarg;
			break;
		case OPT_NO_SNI: no_sni = true; break;
		case OPT_EHLO: ehlo = optarg; break;
		case OPT_SSLV2: versions |= 1u; break;
		case OPT_TIMEOUT:
			if (!parse_seconds("--timeout", optarg, &timeout_ms))
				return EXIT_USAGE;
			break;
		case OPT_DELAY:
			if (!cli_parse_u64("--delay", optarg, 60000, &delay))
				return EXIT_USAGE;
			break;
		case 'j':
			if (!cli_parse_u64("--jobs", optarg, PROBE_MAX_JOBS, &jobs) || jobs == 0) {
				if (jobs == 0)
					fprintf(stderr, "tlsaudit: --jobs: at least 1\n");
				return EXIT_USAGE;
			}
			break;
		case OPT_MAXCONN:
			if (!cli_parse_u64("--max-connections", optarg, 1000000, &maxconn))
				return EXIT_USAGE;
			break;
		case OPT_MIN:
			if (!report_version_parse(optarg, &min_level)) {
				fprintf(stderr, "tlsaudit: --min-version: '%s' is not a version (\"TLS 1.2\")\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_FAIL: fail = true; break;
		case 'h': probe_usage(stdout); return EXIT_OK;
		default: probe_usage(stderr); return EXIT_USAGE;
		}
	}
	if (sni && no_sni) {
		fprintf(stderr, "tlsaudit probe: --sni and --no-sni exclude each other\n");
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "tlsaudit probe: name at least one TARGET\n");
		probe_usage(stderr);
		return EXIT_USAGE;
	}
	struct run r;
	memset(&r, 0, sizeof(r));
	int rc = expand_targets(argc - optind, argv + optind, starttls, sni, no_sni, &r.s, &r.n);
	if (rc != EXIT_OK)
		return rc;
	char err[512];
	if (store &&
	    (store_open(db, STORE_RW, &r.st, err, sizeof(err)) < 0 || store_probe_check(r.st, err, sizeof(err)) < 0)) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		store_close(r.st);
		free(r.s);
		return EXIT_DB;
	}
	if (gethostname(r.sensor, sizeof(r.sensor) - 1) < 0)
		r.sensor[0] = '\0';
	atomic_uint budget = (unsigned)maxconn;
	r.po = (struct probe_opts){.timeout_ms = timeout_ms,
				   .delay_ms = (unsigned)delay,
				   .versions = versions,
				   .budget = &budget,
				   .ehlo = ehlo};
	r.json = json;
	r.quiet = quiet;
	r.min_level = min_level;
	pthread_mutex_init(&r.mu, NULL);
	size_t nt = jobs < r.n ? (size_t)jobs : r.n;
	pthread_t th[PROBE_MAX_JOBS];
	size_t started = 0;
	for (size_t i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, worker, &r) == 0)
			started++;
	worker(&r); /* this thread works too */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&r.mu);
	if (r.skipped)
		fprintf(stderr,
			"tlsaudit: --max-connections %" PRIu64 " reached: the rest of the targets were not probed\n",
			maxconn);
	store_close(r.st);
	free(r.s);
	if (r.write_failed) {
		fprintf(stderr, "tlsaudit: standard output: write failed\n");
		return EXIT_INTERNAL;
	}
	if (r.db_failed)
		return EXIT_DB;
	if (fail && r.violation)
		return EXIT_VIOLATION;
	return r.unreachable ? EXIT_INPUT : EXIT_OK;
}
