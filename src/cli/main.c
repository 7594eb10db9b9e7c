/* main.c - the tlsaudit command: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *fp)
{
	fputs("usage: tlsaudit COMMAND [options]\n"
	      "\n"
	      "Proves which TLS versions a network really speaks, from the wire.\n"
	      "\n"
	      "commands:\n"
	      "  read FILE...     analyze pcap/pcapng captures into the database\n"
	      "  capture -i IFACE live sensor on an interface (drops root, commits every second)\n"
	      "  report           per-host verdicts, remediation, charts (text|md|csv|json|html)\n"
	      "  diff             before/after per host and role (two databases or two time windows)\n"
	      "  merge OUT IN...  combine databases of several sensors, idempotently\n"
	      "  probe TARGET...  which versions a server accepts when asked (active; only named targets)\n"
	      "  help             this text; `tlsaudit COMMAND --help` for a command\n"
	      "  version          print the version\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 2 input not readable or not a capture;\n"
	      "3 input cut or damaged (what came before is stored); 4 database error;\n"
	      "5 internal error; 6 capture: permission denied or privilege drop failed;\n"
	      "10 report/diff --fail-on-violation: a host violates the policy.\n",
	      fp);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "read") == 0)
		return cmd_read(argc - 1, argv + 1);
	if (strcmp(cmd, "capture") == 0)
		return cmd_capture(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "diff") == 0)
		return cmd_diff(argc - 1, argv + 1);
	if (strcmp(cmd, "merge") == 0)
		return cmd_merge(argc - 1, argv + 1);
	if (strcmp(cmd, "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("tlsaudit %s\n", TLSAUDIT_VERSION);
		return EXIT_OK;
	}
	fprintf(stderr, "tlsaudit: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
