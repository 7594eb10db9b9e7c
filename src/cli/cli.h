/* cli.h - command-line front end: subcommands and exit statuses. */
#ifndef TLSAUDIT_CLI_H
#define TLSAUDIT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsaudit/flow.h"
#include "tlsaudit/store.h"

/* Exit statuses (README "Exit status"; `tlsaudit --help`). */
enum {
	EXIT_OK = 0,          /* every input read completely */
	EXIT_USAGE = 1,       /* bad command line */
	EXIT_INPUT = 2,       /* an input could not be opened or is not a capture */
	EXIT_DAMAGED = 3,     /* an input was cut or damaged; what came before it is stored */
	EXIT_DB = 4,          /* the database could not be opened or written */
	EXIT_INTERNAL = 5,    /* out of memory or another internal failure */
};

struct read_opts {
	const char *db_path;
	const char *filter;   /* BPF expression or NULL */
	bool json;
	bool quiet;
	bool no_ndpi;
	unsigned jobs;
	uint32_t ndpi_packets; /* packets per flow given to nDPI at most */
	struct flow_limits lim;
};

/* Analyze one capture into the store; *ret_capture_id is the capture that now
 * holds its connections (an earlier identical capture if it was read before).
 * Returns an EXIT_* status; messages go to stderr. */
int analyze_file(const char *path, const struct read_opts *o, struct store *st, int64_t *ret_capture_id,
		 bool *ret_duplicate);

int cmd_read(int argc, char **argv);

/* parse a non-negative integer option; false (and a message) if invalid */
bool cli_parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *ret);

#endif
