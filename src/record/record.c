/* record.c - names of connection outcomes (the NDJSON `outcome` word). */
#include <string.h>

#include "tlsaudit/record.h"

static const char *const outcome_names[OUT_COUNT_] = {
	[OUT_ESTABLISHED] = "established",
	[OUT_ALERT] = "alert",
	[OUT_RESET] = "reset",
	[OUT_NO_SERVER_REPLY] = "no_server_reply",
	[OUT_SERVER_NOT_TLS] = "server_not_tls",
	[OUT_CLOSED] = "closed",
	[OUT_TRUNCATED] = "truncated",
	[OUT_INCOMPLETE] = "incomplete",
	[OUT_STARTTLS_REFUSED] = "starttls_refused",
};

const char *rec_outcome_name(enum rec_outcome o)
{
	if ((unsigned)o >= OUT_COUNT_)
		return "unknown";
	return outcome_names[o];
}

enum rec_outcome rec_outcome_from_name(const char *s)
{
	for (unsigned i = 0; i < OUT_COUNT_; i++)
		if (strcmp(outcome_names[i], s) == 0)
			return (enum rec_outcome)i;
	return OUT_COUNT_;
}
