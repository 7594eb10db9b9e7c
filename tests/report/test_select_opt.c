/* test_select_opt.c - the selection options of report, diff and export (src/cli/select_opt.c): every time form
 * (RFC 3339 with offsets and fractions, local "YYYY-MM-DD[ HH:MM[:SS]]" in a fixed POSIX time zone, relative,
 * @seconds), durations, prefixes and their matching, and what must be refused. Expected values are computed
 * by hand from the calendar (1795819800 = 2026-11-27T22:50:00Z, checked with Python's calendar.timegm). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/cli/cli.h"
#include "../check.h"

#define S  1000000000LL
#define T0 1795819800LL /* 2026-11-27T22:50:00Z */

int main(void)
{
	/* a fixed zone without tzdata: Central European Time, UTC+1 in November, UTC+2 in July */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	const int64_t now = (T0 + 3600) * S; /* 2026-11-27T23:50:00Z */
	static const struct {
		const char *in;
		int64_t want;
	} ok[] = {
		{"2026-11-27T22:50:00Z", T0 * S},
		{"2026-11-27t22:50:00z", T0 * S},
		{"2026-11-27 22:50:00Z", T0 * S},
		{"2026-11-27T22:50:00.5Z", T0 * S + 500000000},
		{"2026-11-27T22:50:00.123456789Z", T0 * S + 123456789},
		{"2026-11-27T23:50:00+01:00", T0 * S},
		{"2026-11-27T17:20:00-05:30", T0 * S},
		{"2026-11-27 23:50", T0 * S},		/* local: CET = UTC+1 */
		{"2026-11-27 23:50:00", T0 * S},	/* local */
		{"2026-11-27T23:50:00", T0 * S},	/* no offset: local as well */
		{"2026-11-28", (T0 + 600) * S},		/* local midnight = 2026-11-27T23:00:00Z */
		{"2026-07-01 02:00", 1782864000LL * S}, /* summer: CEST = UTC+2, so 2026-07-01T00:00:00Z */
		{"2026-11-28Z", (T0 + 70 * 60) * S},	/* midnight UTC */
		{"@1795819800", T0 * S},
		{"@1795819800.25", T0 * S + 250000000},
		{"now", now},
		{"-1h", T0 * S},
		{"-60m", T0 * S},
		{"-3600s", T0 * S},
		{"-1h30m", now - 5400 * S},
		{"-7d", now - 7 * 86400 * S},
		{"-2w", now - 14 * 86400 * S},
		{"2024-02-29T00:00:00Z", 1709164800LL * S}, /* leap day */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t got = 0;
		bool r = cli_time_parse(ok[i].in, now, &got);
		CHECK(r);
		if (got != ok[i].want)
			fprintf(stderr, "%s: got %lld want %lld\n", ok[i].in, (long long)got, (long long)ok[i].want);
		CHECK(got == ok[i].want);
	}
	static const char *const bad[] = {
		"",
		"yesterday",
		"2026-13-01",
		"2026-02-29",
		"2026-11-31",
		"2026-11-27T24:00:00Z",
		"2026-11-27T22:60Z",
		"2026-11-27T22:50:00+1",
		"2026-11-27T22:50:00Zx",
		"2026-11-27 22",
		"26-11-27",
		"-5",
		"-5y",
		"-h",
		"@",
		"@-5",
		"@12x",
		"2026-11-27T22:50:00.Z",
		"2026-11-27T22:50:00.1234567890Z",
		"1969-12-31",
		"3001-01-01",
		"2026/11/27",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t got = 12345;
		bool r = cli_time_parse(bad[i], now, &got);
		if (r)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CHECK(!r);
		CHECK(got == 12345); /* unchanged on failure */
	}

	/* durations */
	static const struct {
		const char *in;
		int64_t want_s;
	} dur[] = {{"90s", 90},	    {"30m", 1800},   {"24h", 86400}, {"7d", 604800},
		   {"2w", 1209600}, {"1h30m", 5400}, {"3600", 3600}, {"0", 0}};
	for (size_t i = 0; i < sizeof(dur) / sizeof(dur[0]); i++) {
		int64_t got = -1;
		CHECK(cli_duration_parse(dur[i].in, &got));
		CHECK(got == dur[i].want_s * S);
	}
	static const char *const bad_dur[] = {"", "h", "1y", "1h30", "-1h", "1.5h", "99999999999999d"};
	for (size_t i = 0; i < sizeof(bad_dur) / sizeof(bad_dur[0]); i++) {
		int64_t got = 0;
		CHECK(!cli_duration_parse(bad_dur[i], &got));
	}

	/* prefixes */
	struct cli_net n;
	char text[64];
	uint8_t a[16] = {10, 0, 5, 77}, b[16] = {10, 0, 6, 1};
	CHECK(cli_net_parse("10.0.5.9/24", &n));
	CHECK(n.family == 4 && n.prefix == 24 && n.addr[3] == 0); /* host bits dropped */
	cli_net_text(&n, text);
	CHECK(strcmp(text, "10.0.5.0/24") == 0);
	CHECK(cli_net_contains(&n, 4, a));
	CHECK(!cli_net_contains(&n, 4, b));
	CHECK(!cli_net_contains(&n, 6, a));
	CHECK(cli_net_parse("10.0.4.0/23", &n) && cli_net_contains(&n, 4, a) && !cli_net_contains(&n, 4, b));
	CHECK(cli_net_parse("10.0.5.77", &n) && n.prefix == 32 && cli_net_contains(&n, 4, a));
	cli_net_text(&n, text);
	CHECK(strcmp(text, "10.0.5.77") == 0);
	CHECK(cli_net_parse("0.0.0.0/0", &n) && cli_net_contains(&n, 4, b));
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5};
	CHECK(cli_net_parse("2001:DB8:1:2::/64", &n) && n.family == 6 && n.prefix == 64 && cli_net_contains(&n, 6, v6));
	cli_net_text(&n, text);
	CHECK(strcmp(text, "2001:db8:1:2::/64") == 0);
	CHECK(cli_net_parse("2001:db8:1:3::/64", &n) && !cli_net_contains(&n, 6, v6));
	CHECK(cli_net_parse("2001:db8::/29", &n) && cli_net_contains(&n, 6, v6));
	static const char *const bad_net[] = {"",
					      "x",
					      "10.0.0.0/33",
					      "10.0.0.0/",
					      "10.0.0.0/-1",
					      "/24",
					      "2001:db8::/129",
					      "10.0.0.0/2a",
					      "10.0.0.0/0024",
					      "10.0.0.256"};
	for (size_t i = 0; i < sizeof(bad_net) / sizeof(bad_net[0]); i++)
		CHECK(!cli_net_parse(bad_net[i], &n));

	/* the getopt glue: repeatable --host, --role, --sensor */
	struct cli_select sel;
	char err[256] = "";
	cli_select_init(&sel);
	CHECK(sel.role == CLI_ROLE_ANY);
	const struct option *o = cli_select_longopts;
	int host = 0, role = 0, sensor = 0, since = 0;
	for (; o->name; o++) {
		if (strcmp(o->name, "host") == 0)
			host = o->val;
		if (strcmp(o->name, "role") == 0)
			role = o->val;
		if (strcmp(o->name, "sensor") == 0)
			sensor = o->val;
		if (strcmp(o->name, "since") == 0)
			since = o->val;
	}
	CHECK(cli_select_option(host, "10.0.0.0/24", now, &sel, err, sizeof(err)) == 1);
	CHECK(cli_select_option(host, "2001:db8::1", now, &sel, err, sizeof(err)) == 1);
	CHECK(sel.n_nets == 2 && sel.nets[1].family == 6 && sel.nets[1].prefix == 128);
	CHECK(cli_select_option(role, "server", now, &sel, err, sizeof(err)) == 1 && sel.role == CLI_ROLE_SERVER);
	CHECK(cli_select_option(role, "both", now, &sel, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "--role: 'both' is not client or server") == 0);
	CHECK(cli_select_option(sensor, "edge-1", now, &sel, err, sizeof(err)) == 1 && sel.n_sensors == 1);
	CHECK(cli_select_option(since, "-24h", now, &sel, err, sizeof(err)) == 1 && sel.has_since &&
	      sel.since_ns == now - 86400 * S);
	CHECK(cli_select_option(since, "tomorrow", now, &sel, err, sizeof(err)) == -1);
	CHECK(cli_select_option('x', "", now, &sel, err, sizeof(err)) == 0);
	for (int i = 0; i < CLI_SELECT_MAX_NETS; i++)
		cli_select_option(host, "10.1.0.0/16", now, &sel, err, sizeof(err));
	CHECK(sel.n_nets == CLI_SELECT_MAX_NETS);
	CHECK(cli_select_option(host, "10.2.0.0/16", now, &sel, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "--host: at most 32 given") == 0);

	/* times and durations whose nanoseconds do not fit in int64 are refused, not wrapped */
	int64_t big = 0;
	CHECK(cli_time_parse("2262-04-10T00:00:00Z", now, &big) && big > 0);
	CHECK(!cli_time_parse("2300-01-01T00:00:00Z", now, &big));
	CHECK(!cli_time_parse("@9999999999", now, &big));
	CHECK(cli_duration_parse("100000d", &big) && big == 100000LL * 86400 * S);
	CHECK(!cli_duration_parse("200000d", &big));

	/* ages (prune --older-than, capture --retention): a unit is required */
	int64_t age = 0;
	CHECK(cli_parse_duration("--older-than", "90d", &age) && age == 90 * 86400);
	CHECK(cli_parse_duration("--older-than", "1h30m", &age) && age == 5400);
	CHECK(!cli_parse_duration("--older-than", "90", &age));
	CHECK(!cli_parse_duration("--older-than", "x", &age));
	CHECK(!cli_parse_duration("--older-than", "", &age));
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
