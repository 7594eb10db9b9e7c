/* select_opt.c - which connections a command looks at: the time, host, role and sensor options of `report`,
 * `diff` and `export`, parsed in one place (cli.h "Selection options"), and the one duration grammar (also
 * `prune --older-than`, `capture --retention`, `report --max-age`).
 * specification: RFC 3339 section 5.6 (date-time); RFC 4632 section 3.1 and RFC 4291 section 2.3 (prefixes).
 *
 * Times: RFC 3339 ("2026-11-27T22:50:00Z", "...+01:00", a fraction of up to 9 digits), the same with a space
 * instead of the T, "YYYY-MM-DD[ HH:MM[:SS]]" in the local time zone unless Z or an offset follows, "@SECONDS"
 * since the epoch, and relative "-7d", "-24h", "-30m", "-90s", "-2w" (before now; "now" itself too). Strict:
 * every field has its digits and range, nothing may follow. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli.h"

#define NS_PER_S 1000000000LL
/* 2262-04-11: the last whole second whose ns (and a fraction) still fit in int64 */
#define MAX_S (INT64_MAX / NS_PER_S - 1)

int64_t cli_now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* exactly n digits at *p -> *ret; advances */
static bool digits(const char **p, int n, int *ret)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

/* ".123456789" (1 to 9 digits) -> ns; nothing there is 0 */
static bool fraction(const char **p, int64_t *ret)
{
	const char *s = *p;
	int64_t v = 0, scale = NS_PER_S / 10;
	*ret = 0;
	if (*s != '.')
		return true;
	s++;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (scale == 0)
			return false;
		v += (*s - '0') * scale;
		scale /= 10;
	}
	*ret = v;
	*p = s;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* seconds of a relative time unit, 0 if not one */
static int64_t unit_s(char u)
{
	switch (u) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	case 'w': return 7 * 86400;
	}
	return 0;
}

/* the digits at *pp as a number of seconds, at most MAX_S; *pp moves past them */
static bool seconds(const char **pp, int64_t *ret)
{
	int64_t v = 0;
	for (; **pp >= '0' && **pp <= '9'; (*pp)++) {
		v = v * 10 + (**pp - '0');
		if (v > MAX_S)
			return false;
	}
	*ret = v;
	return true;
}

bool cli_duration_parse(const char *s, int64_t *ret_ns)
{
	int64_t total = 0;
	const char *p = s;
	if (!*p)
		return false;
	while (*p) {
		if (*p < '0' || *p > '9')
			return false;
		int64_t v;
		if (!seconds(&p, &v))
			return false;
		int64_t mul = 1;
		if (*p) {
			mul = unit_s(*p);
			if (!mul)
				return false;
			p++;
		} else if (p != s && total) {
			return false; /* "1h30" is ambiguous */
		}
		if (v > MAX_S / mul || total + v * mul > MAX_S)
			return false;
		total += v * mul;
	}
	*ret_ns = total * NS_PER_S;
	return true;
}

bool cli_time_parse(const char *s, int64_t now_ns, int64_t *ret_ns)
{
	const char *p = s;
	int64_t frac = 0;

	if (strcmp(s, "now") == 0) {
		*ret_ns = now_ns;
		return true;
	}
	if (*p == '-' && p[1] >= '0' && p[1] <= '9') { /* relative: -7d, -24h, -1h30m */
		int64_t d;
		if (!cli_duration_parse(p + 1, &d) || strspn(p + 1, "0123456789") == strlen(p + 1))
			return false; /* a bare "-5" has no unit */
		*ret_ns = now_ns - d;
		return true;
	}
	if (*p == '@') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		int64_t v;
		if (!seconds(&p, &v) || !fraction(&p, &frac) || *p)
			return false;
		*ret_ns = v * NS_PER_S + frac;
		return true;
	}

	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
		return false;
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return false;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec) || !fraction(&p, &frac))
				return false;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return false;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t;
	if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-') {
		int off = 0;
		if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;
			if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
				return false;
			off = sign * (oh * 3600 + om * 60);
		} else {
			p++;
		}
		if (*p)
			return false;
		t = timegm(&tm);
		if (t == (time_t)-1)
			return false;
		t -= off;
	} else {
		if (*p)
			return false;
		tm.tm_isdst = -1; /* local time; mktime decides whether DST applies */
		t = mktime(&tm);
		if (t == (time_t)-1)
			return false;
	}
	if (t < 0 || t > MAX_S)
		return false;
	*ret_ns = (int64_t)t * NS_PER_S + frac;
	return true;
}

bool cli_parse_duration(const char *opt, const char *s, int64_t *ret_s)
{
	int64_t ns;
	size_t n = s ? strlen(s) : 0;
	/* an age needs its unit: "90" alone is more likely a typing mistake than 90 seconds */
	if (n && unit_s(s[n - 1]) && cli_duration_parse(s, &ns)) {
		*ret_s = ns / NS_PER_S;
		return true;
	}
	fprintf(stderr, "tlsaudit: %s: '%s' is not an age (a number and one of s, m, h, d, w: 90d, 12h, 1h30m)\n", opt,
		s ? s : "");
	return false;
}

bool cli_net_parse(const char *s, struct cli_net *ret)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	struct cli_net net;
	memset(&net, 0, sizeof(net));
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, net.addr) == 1)
		net.family = 4;
	else if (inet_pton(AF_INET6, buf, net.addr) == 1)
		net.family = 6;
	else
		return false;
	unsigned max = net.family == 4 ? 32 : 128, prefix = max;
	if (slash) {
		const char *p = slash + 1;
		if (!*p || strlen(p) > 3 || strspn(p, "0123456789") != strlen(p))
			return false;
		prefix = (unsigned)strtoul(p, NULL, 10);
		if (prefix > max)
			return false;
	}
	net.prefix = (uint8_t)prefix;
	/* the address's host bits are dropped: 10.0.0.5/24 is 10.0.0.0/24 */
	for (unsigned bit = prefix; bit < max; bit++)
		net.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	*ret = net;
	return true;
}

bool cli_net_contains(const struct cli_net *n, uint8_t family, const uint8_t ip[16])
{
	if (n->family != family)
		return false;
	unsigned full = n->prefix / 8, rest = n->prefix % 8;
	if (memcmp(n->addr, ip, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (n->addr[full] & mask) == (ip[full] & mask);
}

void cli_net_text(const struct cli_net *n, char buf[static 64])
{
	char a[48] = "?";
	inet_ntop(n->family == 6 ? AF_INET6 : AF_INET, n->addr, a, sizeof(a));
	if (n->prefix == (n->family == 6 ? 128 : 32))
		snprintf(buf, 64, "%s", a);
	else
		snprintf(buf, 64, "%s/%u", a, (unsigned)n->prefix);
}

void cli_select_init(struct cli_select *s)
{
	memset(s, 0, sizeof(*s));
	s->role = CLI_ROLE_ANY;
}

enum { OPT_SINCE = CLI_SELECT_OPT_BASE, OPT_UNTIL, OPT_HOST, OPT_ROLE, OPT_SENSOR, OPT_SELECT_END_ };
_Static_assert(OPT_SELECT_END_ - CLI_SELECT_OPT_BASE == CLI_SELECT_NOPTS, "one id per selection option");

const struct option cli_select_longopts[CLI_SELECT_NOPTS + 1] = {
	{"since", required_argument, NULL, OPT_SINCE},	 {"until", required_argument, NULL, OPT_UNTIL},
	{"host", required_argument, NULL, OPT_HOST},	 {"role", required_argument, NULL, OPT_ROLE},
	{"sensor", required_argument, NULL, OPT_SENSOR}, {NULL, 0, NULL, 0},
};

const char *cli_select_usage(void)
{
	return "  --since T, --until T connections whose first packet is >= since and < until; T is\n"
	       "                       2026-11-27T22:50:00Z (RFC 3339, any offset), \"2026-11-27 22:50[:00]\" or\n"
	       "                       2026-11-27 (local time unless Z or +01:00 follows), -7d, -24h, -30m (ago),\n"
	       "                       now, @UNIXSECONDS\n"
	       "  --host ADDR[/LEN]    only these hosts (IPv4/IPv6 address or CIDR prefix; repeatable, up to 32)\n"
	       "  --role client|server only host roles of this role (with --host: connections where the host\n"
	       "                       plays it)\n"
	       "  --sensor NAME        only captures made on this sensor (host name; repeatable, up to 8)\n";
}

int cli_select_option(int c, const char *arg, int64_t now_ns, struct cli_select *s, char *err, size_t errlen)
{
	int64_t t;
	switch (c) {
	case OPT_SINCE:
	case OPT_UNTIL:
		if (!cli_time_parse(arg, now_ns, &t)) {
			snprintf(
				err, errlen,
				"--%s: '%s' is not a time (2026-11-27T22:50:00Z, \"2026-11-27 22:50\" local, -7d, -24h,"
				" @SECONDS)",
				c == OPT_SINCE ? "since" : "until", arg);
			return -1;
		}
		if (c == OPT_SINCE)
			s->has_since = true, s->since_ns = t;
		else
			s->has_until = true, s->until_ns = t;
		return 1;
	case OPT_HOST:
		if (s->n_nets == CLI_SELECT_MAX_NETS) {
			snprintf(err, errlen, "--host: at most %d given", CLI_SELECT_MAX_NETS);
			return -1;
		}
		if (!cli_net_parse(arg, &s->nets[s->n_nets])) {
			snprintf(err, errlen, "--host: '%s' is not an IPv4 or IPv6 address or prefix (10.0.0.0/24)",
				 arg);
			return -1;
		}
		s->n_nets++;
		return 1;
	case OPT_ROLE:
		if (strcmp(arg, "client") == 0)
			s->role = CLI_ROLE_CLIENT;
		else if (strcmp(arg, "server") == 0)
			s->role = CLI_ROLE_SERVER;
		else {
			snprintf(err, errlen, "--role: '%s' is not client or server", arg);
			return -1;
		}
		return 1;
	case OPT_SENSOR:
		if (s->n_sensors == CLI_SELECT_MAX_SENSORS) {
			snprintf(err, errlen, "--sensor: at most %d given", CLI_SELECT_MAX_SENSORS);
			return -1;
		}
		if (!*arg || strlen(arg) >= sizeof(s->sensors[0])) {
			snprintf(err, errlen, "--sensor: '%s' is not a sensor name (1 to 63 bytes)", arg);
			return -1;
		}
		snprintf(s->sensors[s->n_sensors++], sizeof(s->sensors[0]), "%s", arg);
		return 1;
	}
	return 0;
}
