/* capture.c - `tlsaudit capture`: a live sensor. Interface in, connections into
 * SQLite (committed at least every --commit-interval), NDJSON streamed out.
 *
 * Design note. Order of start-up is the security model: open the device (the
 * only step that needs CAP_NET_RAW), then drop to -Z USER (groups, gid, uid,
 * every capability, no_new_privs), and only then touch the log file, the
 * database, the evidence file or any packet. The loop is single-threaded:
 * ppoll() on pcap's descriptor with the signals unblocked only inside ppoll,
 * so a signal is never lost between the check of its flag and the wait, and
 * the timeout drives the commit timer on an idle link. Records reach the
 * store in the open batch as their handshake is decided; every tick commits
 * the batch and the capture row's counters, so kill -9 loses at most one tick.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tlsaudit/agg.h"
#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"
#include "tlsaudit/output.h"
#include "tlsaudit/pipeline.h"
#include "tlsaudit/store.h"

#define CAPTURE_DEF_USER	 "tlsaudit" /* used when it exists ... */
#define CAPTURE_FALLBACK_USER	 "nobody"   /* ... else this one */
#define CAPTURE_DEF_COMMIT_MS	 1000
#define CAPTURE_DEF_SUMMARY_S	 60
#define CAPTURE_DEF_EVIDENCE_MAX ((uint64_t)1 << 30)
#define CAPTURE_DISPATCH_BATCH	 4096 /* frames per pcap_dispatch before the clock is checked */

struct capture_opts {
	struct read_opts r; /* db, json, quiet, nDPI, limits: as `read` */
	struct caplive_opts live;
	const char *user;	    /* -Z; NULL = default */
	bool no_drop;		    /* --no-drop-privileges */
	uint64_t duration_s, count; /* 0 = unlimited */
	uint64_t commit_ms, summary_s;
	const char *wfile, *log_file;
	uint64_t evidence_max;
	int64_t retention_s; /* --retention: prune connections older than this (0 = keep everything) */
	bool list;	     /* -D: list the interfaces and exit */
	char *filter_buf;    /* owned: positional filter words joined */
};

#define CAPTURE_PRUNE_EVERY_NS ((int64_t)3600 * 1000000000) /* --retention: prune at start, then hourly */

/* ---- signals ---------------------------------------------------------------------------------- */

static volatile sig_atomic_t g_stop, g_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		g_hup = 1;
	else
		g_stop = sig;
}

/* Handlers without SA_RESTART; the signals stay blocked except inside ppoll. */
static void signals_setup(sigset_t *ret_wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, ret_wait_mask);
	sigdelset(ret_wait_mask, SIGINT);
	sigdelset(ret_wait_mask, SIGTERM);
	sigdelset(ret_wait_mask, SIGHUP);
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- privileges ------------------------------------------------------------------------------- */

/* Empty the capability bounding set, so that nothing this process or a child ever executes can regain a
 * capability (capabilities(7) "Capability bounding set"). Needs CAP_SETPCAP: done while still root, before
 * setuid. Capability numbers this kernel does not know answer EINVAL and are skipped. */
static int capbset_clear(void)
{
	for (unsigned long cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/* Clear the effective, permitted, inheritable and ambient sets (and the bounding set where still allowed:
 * a non-root start without CAP_SETPCAP keeps the bounding set its parent gave, e.g. the unit's
 * CapabilityBoundingSet). */
static int caps_clear(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	(void)capbset_clear();
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

/* Become user (NULL: keep the uid, drop capabilities only). Returns 0 or an
 * EXIT_* status after printing one line. */
static int drop_privileges(const struct capture_opts *o, char *who, size_t wholen)
{
	uid_t uid = getuid();
	const char *name = o->user;
	struct passwd *pw = NULL;

	if (o->no_drop) {
		snprintf(who, wholen, "%s (privileges kept: --no-drop-privileges)", uid == 0 ? "root" : "this user");
		return EXIT_OK;
	}
	if (uid == 0 || geteuid() == 0) {
		if (!name) {
			name = getpwnam(CAPTURE_DEF_USER) ? CAPTURE_DEF_USER : CAPTURE_FALLBACK_USER;
		}
		errno = 0;
		pw = getpwnam(name);
		if (!pw) {
			fprintf(stderr,
				"tlsaudit: -Z %s: no such user; refusing to keep running as root (use -Z USER, or "
				"--no-drop-privileges)\n",
				name);
			return EXIT_PRIV;
		}
		if (pw->pw_uid == 0) {
			fprintf(stderr, "tlsaudit: -Z %s: user has uid 0; use --no-drop-privileges to run as root\n",
				name);
			return EXIT_PRIV;
		}
		int r = capbset_clear(); /* while CAP_SETPCAP is still ours */
		if (r < 0) {
			fprintf(stderr, "tlsaudit: cannot clear the capability bounding set: %s\n", strerror(-r));
			return EXIT_PRIV;
		}
		if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
			fprintf(stderr, "tlsaudit: cannot switch to user %s: %s\n", name, strerror(errno));
			return EXIT_PRIV;
		}
		/* the drop must be irreversible */
		if (setuid(0) == 0 || seteuid(0) == 0) {
			fprintf(stderr, "tlsaudit: privilege drop to %s could be undone; stopping\n", name);
			return EXIT_PRIV;
		}
	} else if (name) {
		pw = getpwnam(name);
		if (!pw || pw->pw_uid != uid) {
			fprintf(stderr, "tlsaudit: -Z %s: not running as root, cannot change user (already uid %u)\n",
				name, (unsigned)uid);
			return EXIT_PRIV;
		}
	}
	int r = caps_clear();
	if (r < 0) {
		fprintf(stderr, "tlsaudit: cannot drop capabilities: %s\n", strerror(-r));
		return EXIT_PRIV;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	pw = getpwuid(getuid());
	snprintf(who, wholen, "%s (uid %u, gid %u)", pw ? pw->pw_name : "?", (unsigned)getuid(), (unsigned)getgid());
	return EXIT_OK;
}

/* ---- log file --------------------------------------------------------------------------------- */

/* stderr goes to path (appended); called again on SIGHUP after logrotate moved it. */
static int log_reopen(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640); /* a link is refused */
	if (fd < 0)
		return -errno;
	fflush(stderr);
	if (dup2(fd, STDERR_FILENO) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/* ---- the run ---------------------------------------------------------------------------------- */

struct capture_run {
	const struct capture_opts *o;
	struct store *st;
	struct store_writer *writer;
	struct store_queue *q;
	struct store_capture *cap;
	struct pipeline *pl;
	struct pcapng_writer *w;
	uint64_t records;
	uint64_t frames_seen; /* for --count */
	int64_t next_prune;   /* --retention: monotonic time of the next prune */
	int64_t next_summary; /* --summary-interval: monotonic time of the next host summary merge */
	bool pruned_note;     /* the capture's warnings say that retention pruned */
	int db_failed;	      /* first store error */
	int w_failed;	      /* evidence write error, reported once */
	char err[512];
};

static int emit_record(void *ctx, const struct ta_conn *r)
{
	struct capture_run *run = ctx;

	run->records++;
	if (run->o->r.json) {
		struct out_event_ctx ev = {.sensor = run->cap->sensor, .capture = run->o->live.iface};
		out_ndjson_event(stdout, r, &ev);
		fflush(stdout);
	}
	if (run->db_failed)
		return -1;
	int rc = store_queue_conn(run->q, r);
	if (rc < 0)
		run->db_failed = rc;
	return rc;
}

static void on_frame(const struct cap_frame *fr, void *ctx)
{
	struct capture_run *run = ctx;
	char err[256];

	run->frames_seen++;
	if (run->o->count && run->frames_seen > run->o->count)
		return;
	bool keep = pipeline_frame(run->pl, fr);
	if (keep && run->w && !run->w_failed && pcapng_writer_packet(run->w, fr, err, sizeof(err)) < 0) {
		run->w_failed = 1;
		fprintf(stderr, "tlsaudit: warning: %s; evidence file stopped\n", err);
	}
}

/* Counters from libpcap into the capture row's statistics. */
static void take_pcap_stats(struct capture_run *run, struct caplive *cl)
{
	struct caplive_stats ps;
	char err[256];

	if (caplive_stats(cl, &ps, err, sizeof(err)) == 0) {
		run->cap->facts.stats.pcap_received = ps.received;
		run->cap->facts.stats.kernel_drops = ps.kernel_drops;
		run->cap->facts.stats.if_drops = ps.if_drops;
	}
}

static void capture_usage(FILE *fp)
{
	fputs("usage: tlsaudit capture -i IFACE [--db PATH] [--json] [-f BPF | BPF...] [-Z USER]\n"
	      "                        [--duration S] [--count N] [--commit-interval S] [-w FILE] [options]\n"
	      "       tlsaudit capture -D\n"
	      "\n"
	      "Captures TCP on a network interface, stores every connection with a TLS handshake\n"
	      "in the SQLite database (committed at least every --commit-interval) and, with\n"
	      "--json, streams one NDJSON line per connection as soon as its handshake is decided.\n"
	      "Runs until SIGINT/SIGTERM, --duration or --count; SIGHUP reopens -w and --log files.\n"
	      "\n"
	      "  -i, --interface IFACE   interface to capture on; 'any' = all (Linux cooked v2)\n"
	      "  -D, --list-interfaces   list the interfaces libpcap can capture on, as tcpdump -D\n"
	      "  --db PATH               database (default tlsaudit.db); opened after the privilege drop,\n"
	      "                          so its directory must be writable by the -Z user\n"
	      "  --json                  NDJSON on stdout, one line per connection, flushed per line\n"
	      "  -f, --filter BPF        pcap filter, combined as 'tcp and (BPF)'; or give it as words\n"
	      "  --no-tcp-filter         use BPF alone (no 'tcp and'), e.g. for tunnelled traffic\n"
	      "  -Z, --user USER         after opening the device run as USER (default: 'tlsaudit' if\n"
	      "                          that user exists, else 'nobody'); a uid 0 user is refused\n"
	      "  --no-drop-privileges    keep running as root\n"
	      "  --duration S            stop after S seconds\n"
	      "  -c, --count N           stop after N packets\n"
	      "  --commit-interval S     commit to the database at least every S seconds (default 1;\n"
	      "                          decimals allowed, e.g. 0.2)\n"
	      "  --summary-interval S    refresh the per-host summary every S seconds (default 60)\n"
	      "  -w FILE                 pcapng evidence file with the handshake packets of each flow\n"
	      "  --evidence-max N        stop writing -w at N bytes (default 1073741824; 0 = no bound)\n"
	      "  --log FILE              messages to FILE instead of stderr (reopened on SIGHUP)\n"
	      "  --retention AGE         delete connections older than AGE (90d, 12h) at start and hourly,\n"
	      "                          as `tlsaudit prune --older-than AGE` does\n",
	      fp);
	fprintf(fp, "  -B, --buffer-size KIB   kernel capture buffer in KiB (default %zu)\n",
		(size_t)(CAPLIVE_DEF_BUFFER / 1024));
	fputs("  -s, --snaplen N         bytes captured per packet (default 262144)\n"
	      "  --immediate             deliver every packet at once (default: 100 ms batches)\n"
	      "  -p, --no-promiscuous    do not put the interface into promiscuous mode\n"
	      "  -q, --quiet             no start/stop messages\n"
	      "  --no-ndpi, and the limits below: as in `read`\n"
	      "\n"
	      "exit status: 0 stopped by signal, --duration or --count; 1 bad command line or filter;\n"
	      "2 the interface (or -w/--log file) could not be opened; 3 the capture failed while\n"
	      "running (everything before is stored); 4 database error; 5 internal error;\n"
	      "6 permission denied (capturing needs root or CAP_NET_RAW) or the privilege drop failed.\n",
	      fp);
	fputs(cli_limit_usage(), fp);
}

enum {
	OPT_DB = 256,
	OPT_JSON,
	OPT_NO_NDPI,
	OPT_NO_DROP,
	OPT_DURATION,
	OPT_COMMIT,
	OPT_SUMMARY,
	OPT_EVIDENCE_MAX,
	OPT_LOG,
	OPT_IMMEDIATE,
	OPT_NO_TCP,
	OPT_RETENTION,
};

/* "1", "0.25", "2.5": seconds with up to 3 decimals -> ms; false (and a message) if invalid */
static bool parse_seconds_ms(const char *opt, const char *s, uint64_t max_s, uint64_t *ret_ms)
{
	char whole[32], frac[4] = "000";
	const char *dot = strchr(s, '.');
	size_t n = dot ? (size_t)(dot - s) : strlen(s);
	uint64_t w = 0, f = 0;

	if (n == 0 || n >= sizeof(whole)) {
		fprintf(stderr, "tlsaudit: %s: '%s' is not a number of seconds\n", opt, s);
		return false;
	}
	memcpy(whole, s, n);
	whole[n] = '\0';
	if (!cli_parse_u64(opt, whole, max_s, &w))
		return false;
	if (dot) {
		size_t k = strlen(dot + 1);
		if (k == 0 || k > 3 || strspn(dot + 1, "0123456789") != k) {
			fprintf(stderr, "tlsaudit: %s: '%s' is not a number of seconds (at most 3 decimals)\n", opt, s);
			return false;
		}
		memcpy(frac, dot + 1, k);
		if (!cli_parse_u64(opt, frac, 999, &f))
			return false;
	}
	*ret_ms = w * 1000 + f;
	return true;
}

static int parse_args(int argc, char **argv, struct capture_opts *o)
{
	static const struct option own[] = {
		{"interface", required_argument, NULL, 'i'},
		{"db", required_argument, NULL, OPT_DB},
		{"json", no_argument, NULL, OPT_JSON},
		{"filter", required_argument, NULL, 'f'},
		{"no-tcp-filter", no_argument, NULL, OPT_NO_TCP},
		{"user", required_argument, NULL, 'Z'},
		{"no-drop-privileges", no_argument, NULL, OPT_NO_DROP},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"count", required_argument, NULL, 'c'},
		{"commit-interval", required_argument, NULL, OPT_COMMIT},
		{"summary-interval", required_argument, NULL, OPT_SUMMARY},
		{"evidence-max", required_argument, NULL, OPT_EVIDENCE_MAX},
		{"log", required_argument, NULL, OPT_LOG},
		{"buffer-size", required_argument, NULL, 'B'},
		{"snaplen", required_argument, NULL, 's'},
		{"immediate", no_argument, NULL, OPT_IMMEDIATE},
		{"no-promiscuous", no_argument, NULL, 'p'},
		{"quiet", no_argument, NULL, 'q'},
		{"no-ndpi", no_argument, NULL, OPT_NO_NDPI},
		{"list-interfaces", no_argument, NULL, 'D'},
		{"retention", required_argument, NULL, OPT_RETENTION},
		{"help", no_argument, NULL, 'h'},
	};
	struct option longopts[sizeof(own) / sizeof(own[0]) + CLI_LIMIT_NOPTS + 1];
	cli_longopts_join(own, sizeof(own) / sizeof(own[0]), longopts);
	uint64_t v;
	int c;

	optind = 1;
	/* '+': stop at the first word, so a filter like "port 443" needs no quoting */
	while ((c = getopt_long(argc, argv, "+:i:f:Z:c:w:B:s:pqhD", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->live.iface = optarg; break;
		case OPT_DB: o->r.db_path = optarg; break;
		case OPT_JSON: o->r.json = true; break;
		case 'f': o->r.filter = optarg; break;
		case OPT_NO_TCP: o->live.tcp_only = false; break;
		case 'Z': o->user = optarg; break;
		case OPT_NO_DROP: o->no_drop = true; break;
		case OPT_DURATION:
			if (!cli_parse_u64("--duration", optarg, 86400ull * 3650, &o->duration_s) || o->duration_s == 0)
				return EXIT_USAGE;
			break;
		case 'c':
			if (!cli_parse_u64("--count", optarg, UINT64_MAX / 2, &o->count) || o->count == 0)
				return EXIT_USAGE;
			break;
		case OPT_COMMIT:
			if (!parse_seconds_ms("--commit-interval", optarg, 3600, &o->commit_ms) || o->commit_ms < 10) {
				fprintf(stderr, "tlsaudit: --commit-interval must be between 0.01 and 3600 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case OPT_SUMMARY:
			if (!cli_parse_u64("--summary-interval", optarg, 86400, &o->summary_s) || o->summary_s == 0)
				return EXIT_USAGE;
			break;
		case 'w': o->wfile = optarg; break;
		case OPT_EVIDENCE_MAX:
			if (!cli_parse_u64("--evidence-max", optarg, UINT64_MAX / 2, &o->evidence_max))
				return EXIT_USAGE;
			break;
		case OPT_LOG: o->log_file = optarg; break;
		case 'B':
			if (!cli_parse_u64("--buffer-size", optarg, 1024 * 1024, &v) || v < 64)
				return EXIT_USAGE;
			o->live.buffer_bytes = (size_t)v * 1024;
			break;
		case 's':
			if (!cli_parse_u64("--snaplen", optarg, 262144, &v) || v < 64)
				return EXIT_USAGE;
			o->live.snaplen = (uint32_t)v;
			break;
		case OPT_IMMEDIATE: o->live.immediate = true; break;
		case 'p': o->live.promisc = false; break;
		case 'q': o->r.quiet = true; break;
		case OPT_NO_NDPI: o->r.no_ndpi = true; break;
		case 'D': o->list = true; break;
		case OPT_RETENTION:
			if (!cli_parse_duration("--retention", optarg, &o->retention_s) || o->retention_s == 0)
				return EXIT_USAGE;
			break;
		case 'h': capture_usage(stdout); return -1;
		case '?':
		case ':': return cli_bad_option("capture", c, argv);
		default: {
			int lr = cli_limit_option(c, optarg, &o->r.lim);
			if (lr < 0)
				return EXIT_USAGE;
			if (lr == 0)
				return cli_bad_option("capture", '?', argv);
		}
		}
	}
	if (o->list)
		return EXIT_OK;
	if (!o->live.iface)
		return cli_usage_error("capture", "no interface given (-i IFACE; -D lists them)");
	if (optind < argc) {
		size_t n = 1;
		if (o->r.filter)
			return cli_usage_error("capture", "give the filter either with -f or as words, not both");
		for (int i = optind; i < argc; i++)
			n += strlen(argv[i]) + 1;
		o->filter_buf = calloc(1, n);
		if (!o->filter_buf)
			return EXIT_INTERNAL;
		size_t off = 0;
		for (int i = optind; i < argc; i++)
			off += (size_t)snprintf(o->filter_buf + off, n - off, "%s%s", i > optind ? " " : "", argv[i]);
		o->r.filter = o->filter_buf;
	}
	o->live.filter = o->r.filter;
	return EXIT_OK;
}

/* -D: one line per interface, as tcpdump -D prints them */
static void print_dev(const struct caplive_dev *d, void *ctx)
{
	(void)ctx;
	printf("%u.%s", d->index, d->name);
	if (d->description)
		printf(" (%s)", d->description);
	const char *flags[5];
	size_t n = 0;
	if (d->loopback)
		flags[n++] = "Loopback";
	if (d->up)
		flags[n++] = "Up";
	if (d->running)
		flags[n++] = "Running";
	if (d->wireless)
		flags[n++] = "Wireless";
	if (d->connection)
		flags[n++] = d->connection;
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : " [", flags[i]);
	puts(n ? "]" : "");
}

static int list_interfaces(void)
{
	char err[512];
	if (caplive_list(print_dev, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		return EXIT_INPUT;
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
}

/* --retention: connections older than the age go, through the writer (it trims this capture, and its
 * counters follow); one line on stderr unless -q. */
static int capture_prune(struct capture_run *run)
{
	struct store_prune_opts po = {.has_before = true};
	struct store_prune_result res;
	char err[512];
	po.before_ns = now_ns(CLOCK_REALTIME) - run->o->retention_s * 1000000000;
	if (store_queue_prune(run->q, &po, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s: retention: %s\n", run->o->r.db_path, err);
		return EXIT_DB;
	}
	if (res.connections && !run->pruned_note) {
		/* this capture's row says so too, once (its warnings are ours: the writer copies them each tick) */
		char note[160];
		snprintf(note, sizeof(note), "retention: connections older than %" PRId64 " s pruned while capturing",
			 run->o->retention_s);
		pipeline_warn(&run->cap->facts, note);
		run->pruned_note = true;
	}
	if (!run->o->r.quiet && (res.connections || res.captures))
		fprintf(stderr,
			"tlsaudit: retention: %" PRIu64 " connections and %" PRIu64 " captures older than %" PRId64
			" s deleted\n",
			res.connections, res.captures, run->o->retention_s);
	return EXIT_OK;
}

/* Counters and the capture row: what every tick does; the writer commits them with the rows so far and,
 * every --summary-interval, merges the host summary of the connections since the last merge. */
static int capture_tick(struct capture_run *run, struct caplive *cl, int64_t now)
{
	char err[512];
	bool summary = now >= run->next_summary;

	take_pcap_stats(run, cl);
	if (run->w && !run->w_failed && pcapng_writer_flush(run->w, err, sizeof(err)) < 0) {
		run->w_failed = 1;
		fprintf(stderr, "tlsaudit: warning: %s; evidence file stopped\n", err);
	}
	if (run->db_failed)
		return EXIT_DB;
	if (store_queue_capture_progress(run->q, run->cap, summary) < 0)
		return EXIT_DB;
	if (summary)
		run->next_summary = now + (int64_t)run->o->summary_s * 1000000000;
	return EXIT_OK;
}

static int capture_loop(struct capture_run *run, struct caplive *cl, const sigset_t *wait_mask)
{
	const struct capture_opts *o = run->o;
	int64_t start = now_ns(CLOCK_MONOTONIC);
	int64_t commit_ns = (int64_t)o->commit_ms * 1000000;
	int64_t next_commit = start + commit_ns;
	run->next_summary = start + (int64_t)o->summary_s * 1000000000;
	int64_t end = o->duration_s ? start + (int64_t)o->duration_s * 1000000000 : INT64_MAX;
	struct pollfd pfd = {.fd = caplive_fd(cl), .events = POLLIN};
	char err[512];

	for (;;) {
		if (g_stop)
			return EXIT_OK;
		if (g_hup) {
			g_hup = 0;
			if (o->log_file && log_reopen(o->log_file) < 0)
				fprintf(stderr, "tlsaudit: warning: cannot reopen log file %s\n", o->log_file);
			if (run->w) {
				if (pcapng_writer_reopen(run->w, err, sizeof(err)) < 0)
					fprintf(stderr, "tlsaudit: warning: %s\n", err);
				else
					run->w_failed = 0;
			}
		}
		int n = caplive_dispatch(cl, CAPTURE_DISPATCH_BATCH, on_frame, run, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "tlsaudit: %s: %s\n", o->live.iface, err);
			return EXIT_DAMAGED;
		}
		if (run->db_failed)
			return EXIT_DB;
		if (o->count && run->frames_seen >= o->count)
			return EXIT_OK;
		int64_t now = now_ns(CLOCK_MONOTONIC);
		if (now >= end)
			return EXIT_OK;
		if (now >= next_commit) {
			pipeline_expire(run->pl, now_ns(CLOCK_REALTIME));
			if (capture_tick(run, cl, now) != EXIT_OK)
				return EXIT_DB;
			next_commit = now + commit_ns;
			if (o->retention_s && now >= run->next_prune) {
				if (capture_prune(run) != EXIT_OK)
					return EXIT_DB;
				run->next_prune = now + CAPTURE_PRUNE_EVERY_NS;
			}
		}
		if (n >= CAPTURE_DISPATCH_BATCH)
			continue; /* more may be waiting: read on before sleeping */
		int64_t wait = next_commit - now;
		if (end - now < wait)
			wait = end - now;
		if (wait > 100000000) /* TPACKET_V3 blocks may not wake poll(): look again at least every 100 ms */
			wait = 100000000;
		struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
		if (ppoll(pfd.fd >= 0 ? &pfd : NULL, pfd.fd >= 0 ? 1 : 0, &ts, wait_mask) < 0 && errno != EINTR) {
			fprintf(stderr, "tlsaudit: poll: %s\n", strerror(errno));
			return EXIT_INTERNAL;
		}
	}
}

int cmd_capture(int argc, char **argv)
{
	struct capture_opts o = {
		.r = {.db_path = "tlsaudit.db", .jobs = 1},
		.live = {.tcp_only = true, .promisc = true, .timeout_ms = CAPLIVE_DEF_TIMEOUT_MS},
		.commit_ms = CAPTURE_DEF_COMMIT_MS,
		.summary_s = CAPTURE_DEF_SUMMARY_S,
		.evidence_max = CAPTURE_DEF_EVIDENCE_MAX,
	};
	struct capture_run run = {.o = &o};
	struct caplive *cl = NULL;
	sigset_t wait_mask;
	char err[512], who[128];
	int status, rc;

	ta_limits_default(&o.r.lim);
	status = parse_args(argc, argv, &o);
	if (status != EXIT_OK) {
		free(o.filter_buf);
		return status < 0 ? EXIT_OK : status;
	}
	if (o.list) {
		free(o.filter_buf);
		return list_interfaces();
	}
	signals_setup(&wait_mask);

	/* 1. the device: the only step that needs privileges */
	rc = caplive_open(&o.live, &cl, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		status = rc == -EPERM	 ? EXIT_PRIV
			 : rc == -EINVAL ? EXIT_USAGE
			 : rc == -ENOMEM ? EXIT_INTERNAL
					 : EXIT_INPUT;
		goto out;
	}
	/* 2. drop privileges before anything else is touched */
	if ((status = drop_privileges(&o, who, sizeof(who))) != EXIT_OK)
		goto out;
	if (o.log_file && log_reopen(o.log_file) < 0) {
		fprintf(stderr, "tlsaudit: cannot open log file %s: %s\n", o.log_file, strerror(errno));
		status = EXIT_INPUT;
		goto out;
	}
	/* 3. database, evidence file, classifier: as the unprivileged user */
	if (store_open(o.r.db_path, STORE_RW, &run.st, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"tlsaudit: %s (the database is opened as %s: its directory must be writable by that user)\n",
			err, who);
		status = EXIT_DB;
		goto out;
	}
	if (o.wfile && pcapng_writer_open(o.wfile, o.evidence_max, &run.w, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		status = EXIT_INPUT;
		goto out;
	}
	run.cap = calloc(1, sizeof(*run.cap));
	if (!run.cap) {
		status = EXIT_INTERNAL;
		goto out;
	}
	snprintf(run.cap->path, sizeof(run.cap->path), "%s", o.live.iface);
	if (gethostname(run.cap->sensor, sizeof(run.cap->sensor) - 1) < 0)
		run.cap->sensor[0] = '\0';
	snprintf(run.cap->format, sizeof(run.cap->format), "live");
	snprintf(run.cap->status, sizeof(run.cap->status), "running");
	if (o.r.filter) {
		char w[sizeof(run.cap->facts.warnings)];
		snprintf(w, sizeof(w), "live filter: %s%s%s", o.live.tcp_only ? "tcp and (" : "", o.r.filter,
			 o.live.tcp_only ? ")" : "");
		pipeline_warn(&run.cap->facts, w);
	}
	cli_analysis_options(&o.r, &run.cap->facts, run.cap->options, sizeof(run.cap->options));
	struct pipeline_opts po = {.lim = o.r.lim, .ndpi = !o.r.no_ndpi, .name = o.live.iface};
	struct pipeline_sink ps = {.conn = emit_record, .ctx = &run};
	struct store_writer_opts wo = {.commit_ms = (unsigned)o.commit_ms, .live_summaries = true};
	if (pipeline_new(&po, &ps, &run.cap->facts, &run.pl, err, sizeof(err)) < 0 ||
	    store_writer_start(run.st, &wo, &run.writer, err, sizeof(err)) < 0 ||
	    store_queue_new(run.writer, pipeline_dict(run.pl), &run.q) < 0) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		status = EXIT_INTERNAL;
		goto out;
	}
	if (store_queue_capture_begin(run.q, run.cap) < 0 || store_queue_sync(run.q, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s: %s\n", o.r.db_path, err);
		status = EXIT_DB;
		goto out;
	}
	if (!o.r.quiet)
		fprintf(stderr, "tlsaudit: capturing on %s (%s) as %s into %s\n", o.live.iface,
			decode_link_name(caplive_linktype(cl)) ? decode_link_name(caplive_linktype(cl)) : "?", who,
			o.r.db_path);

	status = capture_loop(&run, cl, &wait_mask);

	/* 4. the end: finish open flows, record counters and the end */
	if (status == EXIT_DB) {
		fprintf(stderr, "tlsaudit: %s: %s\n", o.r.db_path, run.err);
		goto out;
	}
	pipeline_finish(run.pl, false);
	take_pcap_stats(&run, cl);
	snprintf(run.cap->status, sizeof(run.cap->status), "%s", status == EXIT_OK ? "complete" : "cut");
	struct ta_stats *stats = &run.cap->facts.stats;
	if (run.w && pcapng_writer_skipped(run.w)) {
		char w[160];
		snprintf(w, sizeof(w), "%" PRIu64 " handshake packets not written to %s (size bound or link types)",
			 pcapng_writer_skipped(run.w), o.wfile);
		pipeline_warn(&run.cap->facts, w);
	}
	if (stats->kernel_drops || stats->if_drops) {
		char w[200];
		snprintf(w, sizeof(w),
			 "packets lost before analysis: %" PRIu64 " dropped by the kernel, %" PRIu64
			 " by the interface",
			 stats->kernel_drops, stats->if_drops);
		fprintf(stderr, "tlsaudit: warning: %s: %s\n", o.live.iface, w);
		pipeline_warn(&run.cap->facts, w);
	}
	cli_analysis_options(&o.r, &run.cap->facts, run.cap->options, sizeof(run.cap->options));
	struct store_capture_result res;
	memset(&res, 0, sizeof(res));
	if (run.db_failed || store_queue_capture_end(run.q, run.cap, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsaudit: %s: %s\n", o.r.db_path, run.db_failed ? "database write failed" : err);
		status = EXIT_DB;
		goto out;
	}
	agg_free(res.summary);
	if (!o.r.quiet)
		fprintf(stderr,
			"tlsaudit: %s: stopped%s%s; %" PRIu64 " packets received, %" PRIu64
			" dropped by kernel, %" PRIu64 " dropped by interface; %" PRIu64
			" TLS connections stored as capture %" PRId64 "\n",
			o.live.iface, g_stop ? " by " : "",
			g_stop == SIGINT    ? "SIGINT"
			: g_stop == SIGTERM ? "SIGTERM"
					    : "",
			stats->pcap_received, stats->kernel_drops, stats->if_drops, run.records, res.id);
out:
	if (run.w && pcapng_writer_close(run.w, err, sizeof(err)) < 0 && status == EXIT_OK) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		status = EXIT_INPUT;
	}
	store_queue_free(run.q);
	if (run.writer && store_writer_stop(run.writer, err, sizeof(err)) < 0 && status == EXIT_OK) {
		fprintf(stderr, "tlsaudit: %s: %s\n", o.r.db_path, err);
		status = EXIT_DB;
	}
	pipeline_free(run.pl);
	store_close(run.st);
	caplive_free(cl);
	free(run.cap);
	free(o.filter_buf);
	return status;
}
