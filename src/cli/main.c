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
	      "  help             this text; `tlsaudit COMMAND --help` for a command\n"
	      "  version          print the version\n"
	      "\n"
	      "exit status: 0 ok; 1 bad command line; 2 input not readable or not a capture;\n"
	      "3 input cut or damaged (what came before is stored); 4 database error;\n"
	      "5 internal error.\n",
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
