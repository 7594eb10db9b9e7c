/* main.c - the tlsaudit command: dispatch to subcommands, `help COMMAND`, and the one-line usage errors that
 * every command shares (cli_usage_error, cli_bad_option). */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "tlsaudit/output.h"

static void usage(FILE *fp)
{
	fputs("usage: tlsaudit COMMAND [options]\n"
	      "\n"
	      "Proves which TLS versions a network really speaks, from the wire.\n"
	      "\n"
	      "commands:\n"
	      "  read FILE... [BPF]  analyze pcap/pcapng captures into the database (also -r FILE)\n"
	      "  capture -i IFACE    live sensor on an interface (drops root, commits every second); -D lists\n"
	      "  report              per-host verdicts, remediation, charts (text|md|csv|json|html)\n"
	      "  diff                before/after per host and role (two databases or two time windows)\n"
	      "  merge OUT IN...     combine databases of several sensors, idempotently\n"
	      "  probe TARGET...     which versions a server accepts when asked (active; only named targets)\n"
	      "  export              stored connections out again: NDJSON, ECS JSON or a Zeek ssl.log\n"
	      "  prune               retention: delete connections and captures older than a time\n"
	      "  help [COMMAND]      this text, or the options of COMMAND (same as COMMAND --help)\n"
	      "  version             print the version\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 2 input not readable or not a capture;\n"
	      "3 input cut or damaged (what came before is stored); 4 database error;\n"
	      "5 internal error; 6 capture: permission denied or privilege drop failed;\n"
	      "10 report/diff --fail-on-violation: a host violates the policy.\n",
	      fp);
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{"read", cmd_read},   {"capture", cmd_capture}, {"report", cmd_report}, {"diff", cmd_diff},
	{"merge", cmd_merge}, {"export", cmd_export},	{"prune", cmd_prune},	{"probe", cmd_probe},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void cli_msg(FILE *fp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tlsaudit: ", fp);
	out_term_vline(fp, fmt, ap);
	va_end(ap);
}

bool cli_db_missing(const char *db, bool hint)
{
	struct stat st;
	if (lstat(db, &st) == 0 || errno != ENOENT)
		return false; /* a symbolic link or another non-file is the store's to refuse, with its reason */
	if (hint)
		cli_msg(stderr, "%s: no such database (run `tlsaudit read --db %s CAPTURE` first)", db, db);
	else
		cli_msg(stderr, "%s: no such database", db);
	return true;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tlsaudit %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see tlsaudit %s --help)\n", cmd);
	return EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *word = optind > 0 ? argv[optind - 1] : "";
	/* getopt_long leaves optind past the word it stopped at; for a short option inside a bundle (-qx) that
	 * word is the bundle, so name the letter */
	if (c == ':') {
		if (optopt > 0 && optopt < 256 && word[0] == '-' && word[1] != '-')
			return cli_usage_error(cmd, "option -%c needs a value", optopt);
		return cli_usage_error(cmd, "option %s needs a value", word);
	}
	if (optopt > 0 && optopt < 256)
		return cli_usage_error(cmd, "unknown option -%c", optopt);
	return cli_usage_error(cmd, "unknown option %s", word);
}

/* `tlsaudit help read` is `tlsaudit read --help` */
static int help_for(const char *name)
{
	const struct command *c = find_command(name);
	if (!c) {
		fprintf(stderr, "tlsaudit help: unknown command '%s' (see tlsaudit --help)\n", name);
		return EXIT_USAGE;
	}
	char help[] = "--help";
	char *argv[] = {(char *)(uintptr_t)c->name, help, NULL};
	return c->run(2, argv);
}

/* Malloc arenas for n threads that analyse at once. glibc gives every thread its own arena, and memory freed in
 * one arena cannot serve another, so the process's peak was the sum of each thread's peak: the parser, the
 * writer and the hashing thread of one `read` took 238 MiB for 100,000 handshakes in progress with an arena
 * each, 216 MiB with one (bench/flows.sh), at no measured cost in speed on hs.pcap. `read -j N` asks for N
 * (its workers would otherwise queue on one lock). MALLOC_ARENA_MAX in the environment still decides. */
void cli_malloc_arenas(unsigned n)
{
#ifdef M_ARENA_MAX
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, (int)(n ? n : 1));
#else
	(void)n;
#endif
}

int main(int argc, char **argv)
{
	opterr = 0; /* every command says what is wrong in its own words (cli_bad_option) */
	cli_malloc_arenas(1);
	if (argc < 2) {
		fprintf(stderr, "tlsaudit: no command given: read, capture, report, diff, merge, export or prune"
				" (see tlsaudit --help)\n");
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	const struct command *c = find_command(cmd);
	if (c)
		return c->run(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc > 2)
			return help_for(argv[2]);
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("tlsaudit %s\n", TLSAUDIT_VERSION);
		return EXIT_OK;
	}
	struct stat st;
	if (stat(cmd, &st) == 0 && S_ISREG(st.st_mode)) {
		fprintf(stderr, "tlsaudit: unknown command '%s'; to analyze that file: tlsaudit read %s\n", cmd, cmd);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "-r") == 0) {
		fprintf(stderr, "tlsaudit: give a command first: tlsaudit read -r FILE (see tlsaudit --help)\n");
		return EXIT_USAGE;
	}
	fprintf(stderr, "tlsaudit: unknown command '%s' (see tlsaudit --help)\n", cmd);
	return EXIT_USAGE;
}
