/* limits_opt.c - the limit options `read` and `capture` share, made from the one list in limits.h
 * (TA_LIMIT_OPTIONS): names, parser, usage text and defaults cannot drift apart. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum {
#define LIMIT_ID(field, opt, kind, def, min, max, help) OPT_LIMIT_##field,
	OPT_LIMIT_FIRST_ = CLI_LIMIT_OPT_BASE - 1,
	TA_LIMIT_OPTIONS(LIMIT_ID)
#undef LIMIT_ID
		OPT_LIMIT_END_
};
_Static_assert(OPT_LIMIT_END_ - CLI_LIMIT_OPT_BASE == CLI_LIMIT_NOPTS, "one option per limit");

const struct option cli_limit_longopts[CLI_LIMIT_NOPTS + 1] = {
#define LIMIT_OPT(field, opt, kind, def, min, max, help) {opt, required_argument, NULL, OPT_LIMIT_##field},
	TA_LIMIT_OPTIONS(LIMIT_OPT)
#undef LIMIT_OPT
		{NULL, 0, NULL, 0},
};

enum limit_kind { COUNT, BYTES, SECONDS };

bool cli_parse_size(const char *opt, const char *s, uint64_t max, uint64_t *ret)
{
	char *end = NULL;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
		fprintf(stderr, "tlsaudit: %s needs a size such as 65536, 64K, 64M, 1G or 64MiB\n", opt);
		return false;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mul = 1;
	if (end != s && *end) {
		static const struct {
			const char *suffix;
			uint64_t mul;
		} units[] = {
			{"K", 1ull << 10},   {"KB", 1ull << 10},  {"KiB", 1ull << 10}, {"M", 1ull << 20},
			{"MB", 1ull << 20},  {"MiB", 1ull << 20}, {"G", 1ull << 30},   {"GB", 1ull << 30},
			{"GiB", 1ull << 30}, {"T", 1ull << 40},	  {"TiB", 1ull << 40}, {"B", 1},
		};
		mul = 0;
		const char *u = end;
		while (*u == ' ')
			u++;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcasecmp(u, units[i].suffix) == 0)
				mul = units[i].mul;
	}
	if (errno || end == s || mul == 0 || v > max / mul) {
		fprintf(stderr,
			"tlsaudit: %s: '%s' is not a size between 0 and %" PRIu64 " bytes (suffixes K, M, G, T)\n", opt,
			s, max);
		return false;
	}
	*ret = v * mul;
	return true;
}

static void usage_line(char *buf, size_t len, size_t *off, const char *opt, enum limit_kind kind, uint64_t def,
		       const char *help)
{
	char left[40], d[40];
	snprintf(left, sizeof(left), "--%s %s", opt, kind == BYTES ? "SIZE" : kind == SECONDS ? "S" : "N");
	if (kind == BYTES && def >= (1u << 20) && def % (1u << 20) == 0)
		snprintf(d, sizeof(d), "%" PRIu64 "M", def >> 20);
	else if (kind == BYTES && def >= 1024 && def % 1024 == 0)
		snprintf(d, sizeof(d), "%" PRIu64 "K", def >> 10);
	else
		snprintf(d, sizeof(d), "%" PRIu64, def);
	int w = snprintf(buf + *off, len - *off, "  %-22s %s (default %s)\n", left, help, d);
	if (w > 0 && (size_t)w < len - *off)
		*off += (size_t)w;
}

const char *cli_limit_usage(void)
{
	static char buf[4096];
	if (buf[0])
		return buf;
	size_t off = (size_t)snprintf(
		buf, sizeof(buf),
		"limits (hitting one is counted in the capture's statistics, never fatal; sizes take K, M,\n"
		"G suffixes in powers of 1024):\n");
#define LIMIT_USAGE(field, opt, kind, def, min, max, help) \
	usage_line(buf, sizeof(buf), &off, opt, kind, (uint64_t)(def), help);
	TA_LIMIT_OPTIONS(LIMIT_USAGE)
#undef LIMIT_USAGE
	return buf;
}

static bool below(uint64_t v, uint64_t min)
{
	return v < min;
}

int cli_limit_option(int c, const char *arg, struct ta_limits *l)
{
	uint64_t v = 0;
	switch (c) {
#define LIMIT_CASE(field, opt, kind, def, min, max, help)                                                       \
	case OPT_LIMIT_##field:                                                                                 \
		if (!(kind == BYTES ? cli_parse_size("--" opt, arg, (uint64_t)(max), &v)                        \
				    : cli_parse_u64("--" opt, arg, (uint64_t)(max), &v)))                       \
			return -1;                                                                              \
		if (below(v, (uint64_t)(min))) {                                                                \
			fprintf(stderr, "tlsaudit: --%s must be at least %" PRIu64 "\n", opt, (uint64_t)(min)); \
			return -1;                                                                              \
		}                                                                                               \
		l->field = v;                                                                                   \
		return 1;
		TA_LIMIT_OPTIONS(LIMIT_CASE)
#undef LIMIT_CASE
	default: return 0;
	}
}

void cli_longopts_join(const struct option *own, size_t n_own, struct option *out)
{
	for (size_t i = 0; i < n_own; i++)
		out[i] = own[i];
	for (size_t i = 0; i <= CLI_LIMIT_NOPTS; i++)
		out[n_own + i] = cli_limit_longopts[i];
}
