/* stack_rules.h - what an application or a version limit changes in a stack's ClientHello.
 * specification: RFC 8446 sections 4.1.2 and 4.2 (which extensions exist for TLS 1.3 only),
 * RFC 5246 section 7.4.1.4.1 (signature_algorithms: TLS 1.2), RFC 7919 (FFDHE groups),
 * RFC 8701 (GREASE).
 *
 * One place for these rules: src/stack/stack.c expands the lists below, and
 * scripts/make-stack-table.py reads this file (the X(...) lines) to merge identical table
 * entries and to compute each entry's narrowing-invariant hash. Cipher suites get their
 * lowest version from their IANA names in src/names/names.c (the generator writes the
 * result into stack_table.c): a name without _WITH_ is a TLS 1.3 suite; GCM, CCM, CHACHA20
 * and SHA-256/384 MACs need TLS 1.2; ECDH(E) suites need TLS 1.0 (RFC 4492 extensions).
 *
 * "Soft" values are chosen per application or per connection (server name, ALPN, session
 * tickets, OCSP/SCT requests, padding that depends on the hello's length, resumption): the
 * exact match ignores them and only uses them to order equally good candidates.
 * A value with a lowest version above the hello's highest offered version is one the stack
 * MAY leave out when an application narrows the version range (OpenSSL drops the FFDHE
 * groups without TLS 1.3, Go keeps supported_versions): the match allows its absence, never
 * its presence where the table has none. The same holds the other way for a hello that offers
 * TLS 1.3 only: it may leave out every suite of TLS 1.2 and older and the signature schemes
 * TLS 1.3 forbids.
 */
#ifndef TLSAUDIT_STACK_RULES_H
#define TLSAUDIT_STACK_RULES_H

/* extension types an application decides per connection */
#define STACK_SOFT_EXTS(X)                                                                            \
	X(0)	 /* server_name: set by the application (none for an IP literal) */                   \
	X(5)	 /* status_request: OCSP stapling requested by the application */                     \
	X(16)	 /* application_layer_protocol_negotiation */                                         \
	X(18)	 /* signed_certificate_timestamp: requested by the application */                     \
	X(21)	 /* padding: added or not depending on the hello's length (RFC 7685) */               \
	X(35)	 /* session_ticket: SSL_OP_NO_TICKET and the like */                                  \
	X(41)	 /* pre_shared_key: resumption */                                                     \
	X(42)	 /* early_data: resumption */                                                         \
	X(44)	 /* cookie: second hello after a HelloRetryRequest */                                 \
	X(49)	 /* post_handshake_auth: enabled by the application (curl does, s_client does not) */ \
	X(57)	 /* quic_transport_parameters: QUIC, not TLS over TCP */                              \
	X(13172) /* next_protocol_negotiation: enabled with an NPN callback */                        \
	X(65486) /* encrypted_server_name (ESNI drafts): needs a DNS record */

/* cipher suites an application adds or removes per connection */
#define STACK_SOFT_CIPHERS(X) X(0x5600) /* TLS_FALLBACK_SCSV: a browser's fallback retry (RFC 7507) */

/* extension type, lowest version it is sent for (all others: TLS 1.0, RFC 3546) */
#define STACK_EXT_MIN(X)                                                          \
	X(13, 0x0303)	 /* signature_algorithms: TLS 1.2 (RFC 5246 7.4.1.4.1) */ \
	X(27, 0x0304)	 /* compress_certificate: TLS 1.3 only (RFC 8879) */      \
	X(34, 0x0304)	 /* delegated_credential: TLS 1.3 only (RFC 9345) */      \
	X(43, 0x0304)	 /* supported_versions */                                 \
	X(45, 0x0304)	 /* psk_key_exchange_modes */                             \
	X(50, 0x0303)	 /* signature_algorithms_cert: used from TLS 1.2 */       \
	X(51, 0x0304)	 /* key_share */                                          \
	X(17513, 0x0304) /* application_settings (ALPS), TLS 1.3 only */          \
	X(17613, 0x0304) /* application_settings, new code point */               \
	X(65037, 0x0304) /* encrypted_client_hello: TLS 1.3 only */

/* named group, lowest version it is offered for (all others: TLS 1.0, RFC 8422) */
#define STACK_GROUP_MIN(X)                                                             \
	X(0x0100, 0x0304) /* ffdhe2048: OpenSSL and NSS offer FFDHE groups with 1.3 */ \
	X(0x0101, 0x0304) /* ffdhe3072 */                                              \
	X(0x0102, 0x0304) /* ffdhe4096 */                                              \
	X(0x0103, 0x0304) /* ffdhe6144 */                                              \
	X(0x0104, 0x0304) /* ffdhe8192 */                                              \
	X(0x0200, 0x0304) /* MLKEM512 */                                               \
	X(0x0201, 0x0304) /* MLKEM768 */                                               \
	X(0x0202, 0x0304) /* MLKEM1024 */                                              \
	X(0x11eb, 0x0304) /* SecP256r1MLKEM768 */                                      \
	X(0x11ec, 0x0304) /* X25519MLKEM768 */                                         \
	X(0x11ed, 0x0304) /* SecP384r1MLKEM1024 */                                     \
	X(0x6399, 0x0304) /* X25519Kyber768Draft00 */                                  \
	X(0x639a, 0x0304) /* SecP256r1Kyber768Draft00 */

/* signature schemes TLS 1.3 does not allow in CertificateVerify (RFC 8446 4.2.3: SHA-1,
 * SHA-224, DSA): a stack limited to TLS 1.3 (OpenSSL) may leave them out */
#define STACK_SIGALG_TLS12_ONLY(X)         \
	X(0x0201) /* rsa_pkcs1_sha1 */     \
	X(0x0202) /* dsa_sha1 */           \
	X(0x0203) /* ecdsa_sha1 */         \
	X(0x0301) /* SHA-224 with RSA */   \
	X(0x0302) /* SHA-224 with DSA */   \
	X(0x0303) /* SHA-224 with ECDSA */ \
	X(0x0402) /* dsa_sha256 */         \
	X(0x0502) /* dsa_sha384 */         \
	X(0x0602) /* dsa_sha512 */

#endif
