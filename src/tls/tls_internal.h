/* tls_internal.h - helpers shared between the files of the TLS stage (not a contract). */
#ifndef TLSAUDIT_TLS_INTERNAL_H
#define TLSAUDIT_TLS_INTERNAL_H

#include "tlsaudit/tls.h"

/* Is data[0..len) the start of a 2-byte-header SSLv2 CLIENT-HELLO (server=false) or
 * SERVER-HELLO (server=true)? Looks only at the bytes present: TLS_OK when every header
 * field agrees, TLS_NEED_MORE when those present agree, TLS_UNSUPPORTED otherwise. */
enum tls_status tls_sslv2_hello_start(const uint8_t *data, size_t len, bool server);

#endif
