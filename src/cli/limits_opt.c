/* limits_opt.c - the limit options `read` and `capture` share: one list of
 * names, one parser, so the two commands cannot drift apart. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

const struct option cli_limit_longopts[CLI_LIMIT_NOPTS + 1] = {
	{"ndpi-packets", required_argument, NULL, OPT_NDPI_PACKETS},
	{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
	{"max-dir-bytes", required_argument, NULL, OPT_MAX_DIR},
	{"max-segments", required_argument, NULL, OPT_MAX_SEGS},
	{"max-handshake", required_argument, NULL, OPT_MAX_HS},
	{"max-plaintext", required_argument, NULL, OPT_MAX_PLAIN},
	{"max-memory", required_argument, NULL, OPT_MAX_MEM},
	{"idle-timeout", required_argument, NULL, OPT_IDLE},
	{"max-cert-bytes", required_argument, NULL, OPT_MAX_CERT},
	{NULL, 0, NULL, 0},
};

const char cli_limit_usage[] =
	"limits (hitting one is counted in the capture's statistics, never fatal):\n"
	"  --max-flows N        concurrent TCP flows tracked (default 262144)\n"
	"  --max-dir-bytes N    bytes buffered per flow direction (default 131072)\n"
	"  --max-segments N     out-of-order segments queued per direction (default 64)\n"
	"  --max-handshake N    largest handshake message reassembled (default 65536)\n"
	"  --max-plaintext N    plaintext searched for TLS after STARTTLS/proxies (default 65536)\n"
	"  --max-cert-bytes N   largest server certificate (DER) kept and decoded (default 65536)\n"
	"  --max-memory N       flows, buffers and nDPI state together, bytes (default 1073741824)\n"
	"  --idle-timeout S     seconds of packet time before an idle flow is finished (default 300)\n"
	"  --ndpi-packets N     payload packets per flow given to nDPI at most (default 32)\n";

int cli_limit_option(int c, const char *arg, struct read_opts *o)
{
	uint64_t v;
	struct flow_limits *l = &o->lim;
	switch (c) {
	case OPT_NDPI_PACKETS:
		if (!cli_parse_u64("--ndpi-packets", arg, 1000, &v) || v == 0)
			return -1;
		o->ndpi_packets = (uint32_t)v;
		return 1;
	case OPT_MAX_FLOWS:
		if (!cli_parse_u64("--max-flows", arg, 100000000, &v) || v == 0)
			return -1;
		l->max_flows = v;
		return 1;
	case OPT_MAX_DIR:
		if (!cli_parse_u64("--max-dir-bytes", arg, 1u << 30, &v) || v < 1024)
			return -1;
		l->max_dir_bytes = v;
		return 1;
	case OPT_MAX_SEGS:
		if (!cli_parse_u64("--max-segments", arg, 65536, &v))
			return -1;
		l->max_segments = v;
		return 1;
	case OPT_MAX_HS:
		if (!cli_parse_u64("--max-handshake", arg, 1u << 24, &v) || v < 256)
			return -1;
		l->max_handshake = v;
		return 1;
	case OPT_MAX_PLAIN:
		if (!cli_parse_u64("--max-plaintext", arg, 1u << 30, &v))
			return -1;
		l->max_plaintext = v;
		return 1;
	case OPT_MAX_MEM:
		if (!cli_parse_u64("--max-memory", arg, UINT64_MAX / 2, &v) || v < 65536)
			return -1;
		l->max_memory = v;
		return 1;
	case OPT_IDLE:
		if (!cli_parse_u64("--idle-timeout", arg, 86400 * 365, &v) || v == 0)
			return -1;
		l->idle_ns = (int64_t)v * 1000000000;
		return 1;
	case OPT_MAX_CERT:
		if (!cli_parse_u64("--max-cert-bytes", arg, 1u << 24, &v) || v == 0)
			return -1;
		l->max_cert_bytes = v;
		return 1;
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
