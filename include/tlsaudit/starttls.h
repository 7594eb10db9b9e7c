/* starttls.h - which plaintext protocol upgraded to TLS in-band, told from the
 * dialogue (not the port), and whether the upgrade was refused.
 * specification: RFC 3207 (SMTP), RFC 3501 6.2.1 (IMAP), RFC 2595 (POP3 STLS),
 * RFC 4217 (FTP AUTH TLS), RFC 4511 4.14 (LDAP StartTLS), RFC 6120 5 (XMPP),
 * PostgreSQL protocol 53.2.9 (SSLRequest), MySQL Protocol::SSLRequest,
 * IRCv3 tls extension (IRC), MS-RDPBCGR 2.2.1.1/2.2.1.2 (RDP negotiation). */
#ifndef TLSAUDIT_STARTTLS_H
#define TLSAUDIT_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum starttls_proto {
	STARTTLS_NONE = 0,
	STARTTLS_SMTP,
	STARTTLS_IMAP,
	STARTTLS_POP3,
	STARTTLS_FTP,
	STARTTLS_LDAP,
	STARTTLS_XMPP,
	STARTTLS_POSTGRESQL,
	STARTTLS_MYSQL,
	STARTTLS_IRC,
	STARTTLS_RDP,
	STARTTLS_COUNT_
};

struct starttls_result {
	enum starttls_proto proto; /* STARTTLS_NONE: no upgrade dialogue recognised */
	bool requested;		   /* the client asked to upgrade */
	bool accepted;		   /* the server agreed */
	bool refused;		   /* the server said no (e.g. SMTP 454, POP3 -ERR, PostgreSQL 'N') */
	char reply[64];		   /* the server's answer: text protocols the line as sent (raw bytes),
				    * binary ones a short decimal/char code; NUL-terminated */
};

/* Look at the first plaintext bytes of each direction (borrowed; client =
 * bytes the TLS client sent). Never reads outside the given lengths. */
void starttls_detect(const uint8_t *client, size_t client_len, const uint8_t *server, size_t server_len,
		     struct starttls_result *out);

/* For a server that went on to TLS right after these plaintext bytes, when starttls_detect() found no
 * upgrade because the client's request was not captured (a hole in its dialogue): the server's last reply
 * before TLS is the answer that TLS followed, so an SMTP greeting (220) ending in 220, an FTP greeting ending
 * in 234, an IMAP greeting ending in a tagged OK or a POP3 greeting ending in +OK names the upgrade
 * (requested and accepted, reply set). Only valid with that condition: a server's bytes cut anywhere else
 * end in the answer to some other command. */
bool starttls_detect_answer(const uint8_t *server, size_t server_len, struct starttls_result *out);

/* Names ("smtp", "imap", ...: the NDJSON `starttls` value) come from names_starttls() (names.h). */

#endif
