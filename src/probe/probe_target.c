/* probe_target.c - what a target on the command line names: host[:port] or [IPv6]:port, and the addresses of a
 * name. specification: RFC 3986 3.2.2 (bracketed IPv6 literals with a port), POSIX getaddrinfo(3).
 *
 * Design note. Only what the user named is probed: a name gives its own addresses (every one, up to
 * PROBE_MAX_ADDRS, in the resolver's order, duplicates dropped), never a range or a neighbour.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsaudit/probe.h"
#include "tlsaudit/starttls.h"

static bool parse_port(const char *s, uint16_t *ret)
{
	unsigned long v = 0;
	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s > 5)
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*ret = (uint16_t)v;
	return true;
}

int probe_target_split(const char *s, char host[256], uint16_t *ret_port, bool *ret_has_port)
{
	size_t n = strlen(s);
	*ret_has_port = false;
	if (n == 0 || n >= 256)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close == s + 1)
			return -EINVAL;
		size_t hl = (size_t)(close - s - 1);
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		uint8_t b[16];
		if (inet_pton(AF_INET6, host, b) != 1)
			return -EINVAL;
		if (close[1] == '\0')
			return 0;
		if (close[1] != ':' || !parse_port(close + 2, ret_port))
			return -EINVAL;
		*ret_has_port = true;
		return 0;
	}
	const char *colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':')) {
		/* a bare IPv6 literal (no port can be given without brackets) */
		uint8_t b[16];
		if (inet_pton(AF_INET6, s, b) != 1)
			return -EINVAL;
		memcpy(host, s, n + 1);
		return 0;
	}
	size_t hl = colon ? (size_t)(colon - s) : n;
	if (hl == 0)
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	for (size_t i = 0; i < hl; i++) {
		char c = host[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			  c == '.' || c == '_';
		if (!ok)
			return -EINVAL;
	}
	if (colon) {
		if (!parse_port(colon + 1, ret_port))
			return -EINVAL;
		*ret_has_port = true;
	}
	return 0;
}

uint16_t probe_default_port(unsigned starttls)
{
	switch (starttls) {
	case STARTTLS_SMTP: return 25;
	case STARTTLS_IMAP: return 143;
	case STARTTLS_POP3: return 110;
	case STARTTLS_FTP: return 21;
	case STARTTLS_LDAP: return 389;
	case STARTTLS_XMPP: return 5222;
	case STARTTLS_POSTGRESQL: return 5432;
	case STARTTLS_MYSQL: return 3306;
	default: return 443;
	}
}

int probe_resolve(const char *target, const char *host, uint16_t port, unsigned starttls, struct probe_endpoint *out,
		  size_t max, size_t *ret_more, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	uint8_t b[16];
	bool literal = inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* no AI_ADDRCONFIG: every address of the name is probed, and one this host cannot reach is shown as
	 * unreachable rather than silently left out */
	hints.ai_flags = literal ? AI_NUMERICHOST : 0;
	*ret_more = 0;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NODATA)
		rc = EAI_NONAME;
	if (rc != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return rc == EAI_AGAIN ? -EAGAIN : rc == EAI_NONAME || rc == EAI_FAIL ? -ENOENT : -EINVAL;
	}
	size_t n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct probe_endpoint e;
		memset(&e, 0, sizeof(e));
		if (ai->ai_family == AF_INET) {
			e.family = 4;
			memcpy(e.addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			e.family = 6;
			memcpy(e.addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = out[i].family == e.family && memcmp(out[i].addr, e.addr, 16) == 0;
		if (dup)
			continue;
		if (n == max) {
			(*ret_more)++;
			continue;
		}
		snprintf(e.target, sizeof(e.target), "%s", target);
		snprintf(e.host, sizeof(e.host), "%s", host);
		e.host_is_name = !literal;
		inet_ntop(e.family == 6 ? AF_INET6 : AF_INET, e.addr, e.ip, sizeof(e.ip));
		e.port = port;
		e.starttls = starttls;
		out[n++] = e;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "no IPv4 or IPv6 address");
		return -ENOENT;
	}
	return (int)n;
}
