/* probe_hello_dump.c - write every hello the probe builder makes, one per line: "VERSION SNI HEX" (SNI "-" for
 * none), for hello_tshark.py to put into a capture and compare tshark's and our pipeline's reading of it. The
 * random bytes are fixed, so the output is reproducible. */
#include <stdio.h>
#include <string.h>

#include "tlsaudit/probe.h"

int main(void)
{
	uint8_t rnd[PROBE_RANDOM_BYTES], buf[PROBE_HELLO_MAX];
	const char *snis[] = {NULL, "mail.example.com"};
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(0xa5 ^ i);
	for (size_t v = 0; v < PROBE_N_VERSIONS; v++)
		for (size_t s = 0; s < 2; s++) {
			struct probe_hello_opts o = {.version = probe_versions[v],
						     .sni = snis[s],
						     .sni_len = snis[s] ? strlen(snis[s]) : 0,
						     .random = rnd};
			size_t n = 0;
			if (probe_hello_build(&o, buf, sizeof(buf), &n) < 0)
				return 1;
			printf("0x%04x %s ", probe_versions[v], snis[s] ? snis[s] : "-");
			for (size_t i = 0; i < n; i++)
				printf("%02x", buf[i]);
			putchar('\n');
		}
	return 0;
}
