/* fuzz_probe.c - fuzz target: what `tlsaudit probe` does with a server's bytes. Byte 0 bit 7 picks the part:
 * set - the judge (probe_judge) on the rest as the answer to a probe hello (version from byte 1, how the
 * connection ended from byte 0 bits 4-5); clear - the STARTTLS client dialogue (protocol from byte 1) against the
 * rest as everything the server says, through a socketpair that then reaches end of file. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsaudit/names.h"
#include "tlsaudit/probe.h"
#include "tlsaudit/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void judge(uint8_t sel, uint8_t vsel, const uint8_t *p, size_t n)
{
	static const uint8_t rnd[PROBE_RANDOM_BYTES] = {1};
	uint8_t hello[PROBE_HELLO_MAX];
	size_t hl = 0;
	uint16_t v = probe_versions[vsel % PROBE_N_VERSIONS];
	struct probe_hello_opts o = {.version = v, .sni = "fuzz.example", .sni_len = 12, .random = rnd};
	if (probe_hello_build(&o, hello, sizeof(hello), &hl) < 0)
		abort();
	uint8_t *server = malloc(n ? n : 1); /* exact size: a read past the end is caught by ASan */
	if (!server)
		return;
	if (n)
		memcpy(server, p, n);
	struct probe_answer a;
	probe_judge(v, hello, hl, server, n, (enum probe_end)((sel >> 4) % 3), &a);
	free(server);
	/* the contract: a named result, accepted only for the version offered, an alert only with its result, a
	 * detail (only for a non-TLS answer) within its buffer */
	if (!names_probe_result(a.result) || a.version != v || (a.result == PROBE_ACCEPTED && a.server_version != v) ||
	    (a.has_alert != (a.result == PROBE_ALERT)) || a.detail_len >= sizeof(a.detail) ||
	    a.detail[a.detail_len] != '\0' || (a.detail_len > 0 && a.result != PROBE_NOT_TLS))
		abort();
}

static void dialogue(uint8_t psel, const uint8_t *p, size_t n)
{
	static const unsigned protos[] = {STARTTLS_SMTP, STARTTLS_IMAP, STARTTLS_POP3,	     STARTTLS_FTP,
					  STARTTLS_LDAP, STARTTLS_XMPP, STARTTLS_POSTGRESQL, STARTTLS_MYSQL};
	int sv[2];
	if (n > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	/* everything the server says is there at once, then end of file: the dialogue never waits */
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(sv[1], p + off, n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(sv[1], SHUT_WR);
	char detail[128];
	uint16_t dl = 0;
	int r = probe_starttls_fd(sv[0], protos[psel % 8], "fuzz.example", 2000, detail, sizeof(detail), &dl);
	if (r > 1 || (r == 1 && (dl >= sizeof(detail) || detail[dl] != '\0')))
		abort();
	close(sv[0]);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (data[0] & 0x80)
		judge(data[0], data[1], data + 2, size - 2);
	else
		dialogue(data[1], data + 2, size - 2);
	return 0;
}
