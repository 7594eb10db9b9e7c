/* fingerprint.h - TLS client and server fingerprints from parsed hellos.
 * JA3/JA3S: Salesforce's definition (MD5 of "version,ciphers,extensions,groups,
 * point formats", GREASE removed). JA4: the BSD-3-licensed JA4 TLS client
 * fingerprint of FoxIO (the rest of JA4+ is deliberately not implemented: its
 * licence forbids commercial use). */
#ifndef TLSAUDIT_FINGERPRINT_H
#define TLSAUDIT_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsaudit/tls.h"

#define FP_JA3_LEN 33 /* 32 hex digits + NUL */
#define FP_JA4_LEN 40 /* "t13d1516h2_8daaf6152771_e5627efa2ab1" + NUL */

/* JA3 of a ClientHello: md5 hex into out. If str/str_len are given, the
 * pre-hash string is written there too (truncated to fit, NUL-terminated). */
void fp_ja3(const struct tls_client_hello *ch, char out[static FP_JA3_LEN], char *str, size_t str_len);
/* JA3S of a ServerHello: md5("version,cipher,extensions") */
void fp_ja3s(const struct tls_server_hello *sh, char out[static FP_JA3_LEN], char *str, size_t str_len);
/* JA4 ("t" for TCP; quic selects "q"). raw, if given, receives the JA4_r form
 * (sorted hex lists, unhashed), truncated to raw_len. */
void fp_ja4(const struct tls_client_hello *ch, bool quic, char out[static FP_JA4_LEN], char *raw, size_t raw_len);

#endif
