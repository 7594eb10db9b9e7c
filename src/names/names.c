/* names.c - the names module (include/tlsaudit/names.h): every number that reaches an output as text.
 * specification: IANA TLS registries (cipher suites, alerts, supported groups, extension types), RFC 8446
 * section 6 (alerts), draft-hickman-netscape-ssl-00 appendix A (SSLv2 cipher kinds), nDPI 4.2 ndpi_risk2str().
 *
 * Design note: tables are sorted by value and searched by bisection, or small switch statements; each kind has
 * exactly one fallback form (names_sql_fallback gives the same form to the store's SQL views, and
 * tests/names checks the two agree for every value). Nothing here allocates or depends on another stage's
 * code: the bit tables take their masks from the stages' headers.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tlsaudit/cert.h"
#include "tlsaudit/names.h"
#include "tlsaudit/probe.h"
#include "tlsaudit/record.h"
#include "tlsaudit/starttls.h"
#include "tlsaudit/tls.h"

struct id_name {
	uint32_t id;
	const char *name;
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *bisect(const struct id_name *t, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].id == id)
			return t[mid].name;
		if (t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- versions -------------------------------------------------------------------------------- */

/* Draft names: draft-ietf-tls-tls13-NN sends 0x7f00 | NN. Facebook's Fizz used 0xfb17 and 0xfb1a for its
 * builds of drafts 23 and 26. Google's 0x7e0X experiments carry no draft number, so they stay unnamed;
 * 0x7f1d and later were never published drafts and stay unnamed too. */
static const char *const draft_names[] = {
	"TLS 1.3 (draft 0)",  "TLS 1.3 (draft 1)",  "TLS 1.3 (draft 2)",  "TLS 1.3 (draft 3)",	"TLS 1.3 (draft 4)",
	"TLS 1.3 (draft 5)",  "TLS 1.3 (draft 6)",  "TLS 1.3 (draft 7)",  "TLS 1.3 (draft 8)",	"TLS 1.3 (draft 9)",
	"TLS 1.3 (draft 10)", "TLS 1.3 (draft 11)", "TLS 1.3 (draft 12)", "TLS 1.3 (draft 13)", "TLS 1.3 (draft 14)",
	"TLS 1.3 (draft 15)", "TLS 1.3 (draft 16)", "TLS 1.3 (draft 17)", "TLS 1.3 (draft 18)", "TLS 1.3 (draft 19)",
	"TLS 1.3 (draft 20)", "TLS 1.3 (draft 21)", "TLS 1.3 (draft 22)", "TLS 1.3 (draft 23)", "TLS 1.3 (draft 24)",
	"TLS 1.3 (draft 25)", "TLS 1.3 (draft 26)", "TLS 1.3 (draft 27)", "TLS 1.3 (draft 28)",
};

const char *names_version_known(uint16_t v)
{
	switch (v) {
	case 0x0002: return "SSL 2.0";
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	case 0xfb17: return "TLS 1.3 (Facebook draft 23)";
	case 0xfb1a: return "TLS 1.3 (Facebook draft 26)";
	default: break;
	}
	if ((v >> 8) == 0x7f && (size_t)(v & 0xff) < N_ELEMS(draft_names))
		return draft_names[v & 0xff];
	return NULL;
}

const char *names_version(uint16_t v, char buf[static NAMES_BUF])
{
	const char *n = names_version_known(v);
	if (n)
		return n;
	snprintf(buf, NAMES_BUF, "0x%04x", (unsigned)v);
	return buf;
}

/* ---- cipher suites ---------------------------------------------------------------------------- */

/* Generated, sorted by id (binary search below). Source: Wireshark 4.0.17's table,
 * restricted to names in IANA style and to code points IANA assigns:
 *
 *   tshark -G values | grep -P '^V\ttls.handshake.ciphersuite\t' |
 *     awk -F'\t' '$4 ~ /^TLS_/ && !(($3>=96 && $3<=102) || ($3>=128 && $3<=131) ||
 *                 ($3>=52243 && $3<=52245) || ($3>=58384 && $3<=58399))
 *                 {printf "\t{ 0x%04x, \"%s\" },\n", $3, $4}' | sort
 *
 * Left out: GREASE (RFC 8701), SSL_FORTEZZA_* 0x001c/0x001d (IANA: reserved), the
 * EXPORT1024 drafts 0x0060-0x0066 and old GOST 0x0080-0x0083 (IANA: unassigned/reserved),
 * the pre-RFC ChaCha20 code points 0xcc13-0xcc15, the Salsa20 drafts 0xe410-0xe41f, the
 * Chinese SM 0xe0xx suites and the SSL_RSA_FIPS private-use values. */
static const struct id_name cipher_names[] = {
	{0x0000, "TLS_NULL_WITH_NULL_NULL"},
	{0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
	{0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA"},
	{0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA"},
	{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
	{0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA"},
	{0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x001e, "TLS_KRB5_WITH_DES_CBC_SHA"},
	{0x001f, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA"},
	{0x0020, "TLS_KRB5_WITH_RC4_128_SHA"},
	{0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA"},
	{0x0022, "TLS_KRB5_WITH_DES_CBC_MD5"},
	{0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5"},
	{0x0024, "TLS_KRB5_WITH_RC4_128_MD5"},
	{0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5"},
	{0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA"},
	{0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA"},
	{0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA"},
	{0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5"},
	{0x002a, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x002b, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5"},
	{0x002c, "TLS_PSK_WITH_NULL_SHA"},
	{0x002d, "TLS_DHE_PSK_WITH_NULL_SHA"},
	{0x002e, "TLS_RSA_PSK_WITH_NULL_SHA"},
	{0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x003b, "TLS_RSA_WITH_NULL_SHA256"},
	{0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
	{0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"},
	{0x008a, "TLS_PSK_WITH_RC4_128_SHA"},
	{0x008b, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0x008e, "TLS_DHE_PSK_WITH_RC4_128_SHA"},
	{0x008f, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA"},
	{0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA"},
	{0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA"},
	{0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA"},
	{0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA"},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"},
	{0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA"},
	{0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA"},
	{0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"},
	{0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"},
	{0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA"},
	{0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00a0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"},
	{0x00a1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00a4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00a5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00b0, "TLS_PSK_WITH_NULL_SHA256"},
	{0x00b1, "TLS_PSK_WITH_NULL_SHA384"},
	{0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256"},
	{0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384"},
	{0x00b6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00b7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256"},
	{0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384"},
	{0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00bb, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00bc, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00bd, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00bf, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c6, "TLS_SM4_GCM_SM3"},
	{0x00c7, "TLS_SM4_CCM_SM3"},
	{0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
	{0x1301, "TLS_AES_128_GCM_SHA256"},
	{0x1302, "TLS_AES_256_GCM_SHA384"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, "TLS_AES_128_CCM_SHA256"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256"},
	{0x5600, "TLS_FALLBACK_SCSV"},
	{0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
	{0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA"},
	{0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xc01a, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA"},
	{0xc01b, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc01c, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0xc01d, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"},
	{0xc01e, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"},
	{0xc01f, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"},
	{0xc020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"},
	{0xc021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"},
	{0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"},
	{0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA"},
	{0xc034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
	{0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"},
	{0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA"},
	{0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256"},
	{0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384"},
	{0xc03c, "TLS_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc03d, "TLS_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc03e, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256"},
	{0xc03f, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384"},
	{0xc040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256"},
	{0xc043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384"},
	{0xc044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256"},
	{0xc047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384"},
	{0xc048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc04a, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc04b, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc04c, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc04d, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc04e, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc04f, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"},
	{0xc057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"},
	{0xc058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256"},
	{0xc059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384"},
	{0xc05a, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256"},
	{0xc05b, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384"},
	{0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc05e, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc05f, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xc065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xc066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xc067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xc068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xc069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xc06a, "TLS_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xc06b, "TLS_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xc06c, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xc06d, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xc06e, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xc06f, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xc070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xc071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc07a, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc07b, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc07c, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc07d, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc07e, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc07f, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc08a, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc08b, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc08c, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc08d, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc08e, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc08f, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc09a, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc09b, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc09c, "TLS_RSA_WITH_AES_128_CCM"},
	{0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
	{0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"},
	{0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"},
	{0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"},
	{0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"},
	{0xc0a4, "TLS_PSK_WITH_AES_128_CCM"},
	{0xc0a5, "TLS_PSK_WITH_AES_256_CCM"},
	{0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM"},
	{0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM"},
	{0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8"},
	{0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8"},
	{0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8"},
	{0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8"},
	{0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xc0b0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256"},
	{0xc0b1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384"},
	{0xc0b2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256"},
	{0xc0b3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384"},
	{0xc0b4, "TLS_SHA256_SHA256"},
	{0xc0b5, "TLS_SHA384_SHA384"},
	{0xc0ff, "TLS_ECJPAKE_WITH_AES_128_CCM_8"},
	{0xc100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC"},
	{0xc101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC"},
	{0xc102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT"},
	{0xc103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L"},
	{0xc104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L"},
	{0xc105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S"},
	{0xc106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S"},
	{0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
	{0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"},
	{0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"},
	{0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"},
};

const char *names_cipher_known(uint16_t id)
{
	return bisect(cipher_names, N_ELEMS(cipher_names), id);
}

const char *names_cipher(uint16_t id, char buf[static NAMES_BUF])
{
	const char *n = names_cipher_known(id);
	if (n)
		return n;
	snprintf(buf, NAMES_BUF, "0x%04X", (unsigned)id);
	return buf;
}

static uint32_t cipher_flags_of(const char *n)
{
	uint32_t f = 0;
	size_t len = strlen(n);
	if (strstr(n, "_RC4_"))
		f |= NAMES_CIPHER_RC4;
	if (strstr(n, "_3DES_"))
		f |= NAMES_CIPHER_3DES;
	if (strstr(n, "EXPORT"))
		f |= NAMES_CIPHER_EXPORT;
	if (strstr(n, "_WITH_NULL_") || strcmp(n, "TLS_NULL_WITH_NULL_NULL") == 0)
		f |= NAMES_CIPHER_NULL;
	if (strstr(n, "_anon_"))
		f |= NAMES_CIPHER_ANON;
	if (strstr(n, "_CBC_") && len > 4 && strcmp(n + len - 4, "_SHA") == 0)
		f |= NAMES_CIPHER_CBC_SHA1;
	if (strstr(n, "_DES_CBC_") || strstr(n, "_DES40_") || strstr(n, "_IDEA_") || strstr(n, "_RC2_"))
		f |= NAMES_CIPHER_DES;
	if (len > 4 && strcmp(n + len - 4, "_MD5") == 0)
		f |= NAMES_CIPHER_MD5;
	return f;
}

/* each named suite's flags, read from its name once (0: not yet; else CIPHER_FLAGS_KNOWN | flags): a hello
 * offers dozens of suites, so the name is not searched again for each */
#define CIPHER_FLAGS_KNOWN 0x100u
static _Atomic uint16_t cipher_flags_memo[N_ELEMS(cipher_names)];
_Static_assert(NAMES_CIPHER_MD5 < CIPHER_FLAGS_KNOWN, "the flags fit below the marker");

uint32_t names_cipher_flags(uint16_t id)
{
	size_t lo = 0, hi = N_ELEMS(cipher_names);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cipher_names[mid].id == id) {
			uint16_t v = atomic_load_explicit(&cipher_flags_memo[mid], memory_order_relaxed);
			if (!v) {
				v = (uint16_t)(CIPHER_FLAGS_KNOWN | cipher_flags_of(cipher_names[mid].name));
				atomic_store_explicit(&cipher_flags_memo[mid], v, memory_order_relaxed);
			}
			return v & ~CIPHER_FLAGS_KNOWN;
		}
		if (cipher_names[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* draft-hickman-netscape-ssl-00 appendix A: the seven SSLv2 CIPHER-KIND values, named as Wireshark's
 * tls.handshake.cipherspec names them (SSL2_*, not the draft's SSL_CK_*). */
static const struct id_name sslv2_names[] = {
	{0x010080, "SSL2_RC4_128_WITH_MD5"},	      {0x020080, "SSL2_RC4_128_EXPORT40_WITH_MD5"},
	{0x030080, "SSL2_RC2_128_CBC_WITH_MD5"},      {0x040080, "SSL2_RC2_128_CBC_EXPORT40_WITH_MD5"},
	{0x050080, "SSL2_IDEA_128_CBC_WITH_MD5"},     {0x060040, "SSL2_DES_64_CBC_WITH_MD5"},
	{0x0700c0, "SSL2_DES_192_EDE3_CBC_WITH_MD5"},
};

const char *names_sslv2_cipher_known(uint32_t kind)
{
	return bisect(sslv2_names, N_ELEMS(sslv2_names), kind);
}

const char *names_sslv2_cipher(uint32_t kind, char buf[static NAMES_BUF])
{
	const char *n = names_sslv2_cipher_known(kind);
	if (n)
		return n;
	snprintf(buf, NAMES_BUF, "0x%06X", (unsigned)(kind & 0xffffff));
	return buf;
}

const char *names_conn_cipher(uint32_t cipher, bool sslv2, char buf[static NAMES_BUF])
{
	return sslv2 ? names_sslv2_cipher(cipher, buf) : names_cipher((uint16_t)cipher, buf);
}

/* ---- alerts ------------------------------------------------------------------------------------ */

/* RFC 8446 section 6 AlertDescription, plus the values IANA keeps from earlier RFCs (decryption_failed,
 * no_certificate, export_restriction, no_renegotiation, the RFC 6066 ones) and ech_required (121). */
static const struct id_name alert_names[] = {
	{0, "close_notify"},
	{10, "unexpected_message"},
	{20, "bad_record_mac"},
	{21, "decryption_failed"},
	{22, "record_overflow"},
	{30, "decompression_failure"},
	{40, "handshake_failure"},
	{41, "no_certificate"},
	{42, "bad_certificate"},
	{43, "unsupported_certificate"},
	{44, "certificate_revoked"},
	{45, "certificate_expired"},
	{46, "certificate_unknown"},
	{47, "illegal_parameter"},
	{48, "unknown_ca"},
	{49, "access_denied"},
	{50, "decode_error"},
	{51, "decrypt_error"},
	{60, "export_restriction"},
	{70, "protocol_version"},
	{71, "insufficient_security"},
	{80, "internal_error"},
	{86, "inappropriate_fallback"},
	{90, "user_canceled"},
	{100, "no_renegotiation"},
	{109, "missing_extension"},
	{110, "unsupported_extension"},
	{111, "certificate_unobtainable"},
	{112, "unrecognized_name"},
	{113, "bad_certificate_status_response"},
	{114, "bad_certificate_hash_value"},
	{115, "unknown_psk_identity"},
	{116, "certificate_required"},
	{120, "no_application_protocol"},
	{121, "ech_required"},
};

const char *names_alert_known(uint8_t desc)
{
	return bisect(alert_names, N_ELEMS(alert_names), desc);
}

const char *names_alert(uint8_t desc, char buf[static NAMES_BUF])
{
	const char *n = names_alert_known(desc);
	if (n)
		return n;
	snprintf(buf, NAMES_BUF, "0x%02X", (unsigned)desc);
	return buf;
}

const char *names_alert_level(uint8_t level)
{
	return level == 1 ? "warning" : level == 2 ? "fatal" : "unknown";
}

const char *names_side(unsigned side)
{
	return side == 0 ? "client" : "server";
}

/* ---- supported groups and extensions ----------------------------------------------------------- */

/* IANA "TLS Supported Groups" (RFC 8422, RFC 7919, RFC 8446, RFC 8734, draft-kwiatkowski-tls-ecdhe-mlkem) */
static const struct id_name group_names[] = {
	{1, "sect163k1"},
	{2, "sect163r1"},
	{3, "sect163r2"},
	{4, "sect193r1"},
	{5, "sect193r2"},
	{6, "sect233k1"},
	{7, "sect233r1"},
	{8, "sect239k1"},
	{9, "sect283k1"},
	{10, "sect283r1"},
	{11, "sect409k1"},
	{12, "sect409r1"},
	{13, "sect571k1"},
	{14, "sect571r1"},
	{15, "secp160k1"},
	{16, "secp160r1"},
	{17, "secp160r2"},
	{18, "secp192k1"},
	{19, "secp192r1"},
	{20, "secp224k1"},
	{21, "secp224r1"},
	{22, "secp256k1"},
	{23, "secp256r1"},
	{24, "secp384r1"},
	{25, "secp521r1"},
	{26, "brainpoolP256r1"},
	{27, "brainpoolP384r1"},
	{28, "brainpoolP512r1"},
	{29, "x25519"},
	{30, "x448"},
	{31, "brainpoolP256r1tls13"},
	{32, "brainpoolP384r1tls13"},
	{33, "brainpoolP512r1tls13"},
	{34, "GC256A"},
	{35, "GC256B"},
	{36, "GC256C"},
	{37, "GC256D"},
	{38, "GC512A"},
	{39, "GC512B"},
	{40, "GC512C"},
	{41, "curveSM2"},
	{256, "ffdhe2048"},
	{257, "ffdhe3072"},
	{258, "ffdhe4096"},
	{259, "ffdhe6144"},
	{260, "ffdhe8192"},
	{512, "MLKEM512"},
	{513, "MLKEM768"},
	{514, "MLKEM1024"},
	{4587, "SecP256r1MLKEM768"},
	{4588, "X25519MLKEM768"},
	{4589, "SecP384r1MLKEM1024"},
	{25497, "X25519Kyber768Draft00"},
	{25498, "SecP256r1Kyber768Draft00"},
	{65281, "arbitrary_explicit_prime_curves"},
	{65282, "arbitrary_explicit_char2_curves"},
};

const char *names_group_known(uint16_t id)
{
	return bisect(group_names, N_ELEMS(group_names), id);
}

const char *names_group(uint16_t id, char buf[static NAMES_BUF])
{
	const char *n = names_group_known(id);
	if (n)
		return n;
	snprintf(buf, NAMES_BUF, "0x%04x", (unsigned)id);
	return buf;
}

/* IANA "TLS ExtensionType Values" (the assigned ones a capture shows; GREASE values stay unnamed) */
static const struct id_name extension_names[] = {
	{0, "server_name"},
	{1, "max_fragment_length"},
	{2, "client_certificate_url"},
	{3, "trusted_ca_keys"},
	{4, "truncated_hmac"},
	{5, "status_request"},
	{6, "user_mapping"},
	{7, "client_authz"},
	{8, "server_authz"},
	{9, "cert_type"},
	{10, "supported_groups"},
	{11, "ec_point_formats"},
	{12, "srp"},
	{13, "signature_algorithms"},
	{14, "use_srtp"},
	{15, "heartbeat"},
	{16, "application_layer_protocol_negotiation"},
	{17, "status_request_v2"},
	{18, "signed_certificate_timestamp"},
	{19, "client_certificate_type"},
	{20, "server_certificate_type"},
	{21, "padding"},
	{22, "encrypt_then_mac"},
	{23, "extended_master_secret"},
	{24, "token_binding"},
	{25, "cached_info"},
	{26, "tls_lts"},
	{27, "compress_certificate"},
	{28, "record_size_limit"},
	{29, "pwd_protect"},
	{30, "pwd_clear"},
	{31, "password_salt"},
	{32, "ticket_pinning"},
	{33, "tls_cert_with_extern_psk"},
	{34, "delegated_credential"},
	{35, "session_ticket"},
	{36, "TLMSP"},
	{37, "TLMSP_proxying"},
	{38, "TLMSP_delegate"},
	{39, "supported_ekt_ciphers"},
	{41, "pre_shared_key"},
	{42, "early_data"},
	{43, "supported_versions"},
	{44, "cookie"},
	{45, "psk_key_exchange_modes"},
	{47, "certificate_authorities"},
	{48, "oid_filters"},
	{49, "post_handshake_auth"},
	{50, "signature_algorithms_cert"},
	{51, "key_share"},
	{52, "transparency_info"},
	{53, "connection_id_deprecated"},
	{54, "connection_id"},
	{55, "external_id_hash"},
	{56, "external_session_id"},
	{57, "quic_transport_parameters"},
	{58, "ticket_request"},
	{59, "dnssec_chain"},
	{60, "sequence_number_encryption_algorithms"},
	{61, "rrc"},
	{17513, "application_settings"},
	{30031, "channel_id_old"},
	{30032, "channel_id"},
	{64768, "ech_outer_extensions"},
	{65037, "encrypted_client_hello"},
	{65281, "renegotiation_info"},
};

const char *names_extension_known(uint16_t id)
{
	return bisect(extension_names, N_ELEMS(extension_names), id);
}

const char *names_extension(uint16_t id, char buf[static NAMES_BUF])
{
	const char *n = names_extension_known(id);
	if (n)
		return n;
	snprintf(buf, NAMES_BUF, "0x%04x", (unsigned)id);
	return buf;
}

/* ---- outcomes ------------------------------------------------------------------------------------ */

static const char *const outcome_names[OUT_COUNT_] = {
	[OUT_ESTABLISHED] = "established",
	[OUT_ALERT] = "alert",
	[OUT_RESET] = "reset",
	[OUT_NO_SERVER_REPLY] = "no_server_reply",
	[OUT_SERVER_NOT_TLS] = "server_not_tls",
	[OUT_CLOSED] = "closed",
	[OUT_TRUNCATED] = "truncated",
	[OUT_INCOMPLETE] = "incomplete",
	[OUT_STARTTLS_REFUSED] = "starttls_refused",
};

/* A capture that ended, or lost the bytes that decide, tells nothing about the handshake: unknown, not failed
 * (README "Outcome"). Everything else that is not established is a failure the peers saw. */
static const enum ta_outcome_class outcome_classes[OUT_COUNT_] = {
	[OUT_ESTABLISHED] = OUTCLASS_ESTABLISHED,
	[OUT_ALERT] = OUTCLASS_FAILED,
	[OUT_RESET] = OUTCLASS_FAILED,
	[OUT_NO_SERVER_REPLY] = OUTCLASS_FAILED,
	[OUT_SERVER_NOT_TLS] = OUTCLASS_FAILED,
	[OUT_CLOSED] = OUTCLASS_FAILED,
	[OUT_TRUNCATED] = OUTCLASS_UNKNOWN,
	[OUT_INCOMPLETE] = OUTCLASS_UNKNOWN,
	[OUT_STARTTLS_REFUSED] = OUTCLASS_FAILED,
};

const char *names_outcome(unsigned o)
{
	return o < OUT_COUNT_ ? outcome_names[o] : "unknown";
}

unsigned names_outcome_parse(const char *s, size_t len)
{
	for (unsigned i = 0; i < OUT_COUNT_; i++)
		if (strlen(outcome_names[i]) == len && memcmp(outcome_names[i], s, len) == 0)
			return i;
	return OUT_COUNT_;
}

enum ta_outcome_class names_outcome_class(unsigned o)
{
	return o < OUT_COUNT_ ? outcome_classes[o] : OUTCLASS_UNKNOWN;
}

const char *names_outcome_class_name(enum ta_outcome_class c)
{
	switch (c) {
	case OUTCLASS_ESTABLISHED: return "established";
	case OUTCLASS_FAILED: return "failed";
	case OUTCLASS_UNKNOWN: break;
	}
	return "unknown";
}

/* ---- bit masks: flags, anomalies, nDPI risks ------------------------------------------------------ */

struct bit_name {
	uint64_t mask;
	const char *name;
};

/* NDJSON `flags` (README "NDJSON fields"); the order is the bit order and part of the contract */
static const struct bit_name flag_names[] = {
	{REC_F_TRUNCATED, "truncated"},
	{REC_F_GAP_CLIENT, "gap_client"},
	{REC_F_GAP_SERVER, "gap_server"},
	{REC_F_RST_CLIENT, "rst_client"},
	{REC_F_RST_SERVER, "rst_server"},
	{REC_F_FIN_CLIENT, "fin_client"},
	{REC_F_FIN_SERVER, "fin_server"},
	{REC_F_SSLV2_HELLO, "sslv2_client_hello"},
	{REC_F_CAP_BYTES, "reassembly_cap"},
	{REC_F_EVICTED, "evicted"},
	{REC_F_IDLE, "idle_timeout"},
	{REC_F_MULTI_CH, "multiple_client_hellos"},
	{REC_F_PLAINTEXT_PREFIX, "plaintext_before_tls"},
	{REC_F_FRAGMENTS, "ip_fragments"},
	{REC_F_NO_SYN, "no_tcp_handshake"},
	{REC_F_ECH, "ech"},
	{REC_F_EARLY_DATA, "early_data"},
	{REC_F_UNIDIRECTIONAL, "unidirectional"},
	{REC_F_MALFORMED, "malformed"},
	{REC_F_CERT_CAPPED, "cert_capped"},
	{REC_F_ESTABLISHED_INFERRED, "established_inferred"},
	{REC_F_DUPLICATES, "duplicate_frames"},
};

/* NDJSON `anomalies`: the TLS stage's TLS_AN_* bits, then the certificate stage's CERT_AN_* bits shifted to
 * bit 32 and up (record.h REC_CERT_AN_SHIFT) */
static const struct bit_name anomaly_names[] = {
	{TLS_AN_CIPHERS_CAPPED, "ciphers_capped"},
	{TLS_AN_EXTS_CAPPED, "extensions_capped"},
	{TLS_AN_DUP_EXTENSION, "duplicate_extension"},
	{TLS_AN_BAD_EXTENSION, "bad_extension"},
	{TLS_AN_SNI_TRUNCATED, "sni_truncated"},
	{TLS_AN_TRAILING_BYTES, "trailing_bytes"},
	{TLS_AN_ODD_CIPHER_LEN, "odd_cipher_length"},
	{TLS_AN_HS_TOO_BIG, "handshake_too_big"},
	{TLS_AN_RECORD_TOO_BIG, "record_too_big"},
	{TLS_AN_NOT_TLS, "not_tls"},
	{TLS_AN_PLAINTEXT_PREFIX, "plaintext_prefix"},
	{TLS_AN_MULTIPLE_CH, "multiple_client_hellos"},
	{TLS_AN_VERSIONS_CAPPED, "versions_capped"},
	{TLS_AN_GROUPS_CAPPED, "groups_capped"},
	{TLS_AN_SIGALGS_CAPPED, "sigalgs_capped"},
	{TLS_AN_ALPN_CAPPED, "alpn_capped"},
	{TLS_AN_CERT_CAPPED, "cert_capped"},
	{TLS_AN_CERT_MALFORMED, "cert_malformed"},
	{(uint64_t)CERT_AN_NAME_TRUNCATED << REC_CERT_AN_SHIFT, "cert_name_truncated"},
	{(uint64_t)CERT_AN_SANS_CAPPED << REC_CERT_AN_SHIFT, "cert_sans_capped"},
	{(uint64_t)CERT_AN_SAN_TRUNCATED << REC_CERT_AN_SHIFT, "cert_san_truncated"},
	{(uint64_t)CERT_AN_TRAILING_BYTES << REC_CERT_AN_SHIFT, "cert_trailing_bytes"},
	{(uint64_t)CERT_AN_BAD_TIME << REC_CERT_AN_SHIFT, "cert_bad_time"},
	{(uint64_t)CERT_AN_UNKNOWN_KEY << REC_CERT_AN_SHIFT, "cert_unknown_key"},
};

/* nDPI 4.2's ndpi_risk_enum, bit i named as ndpi_risk2str(i) names it (tests/classify checks every bit
 * against the library): the database keeps nDPI's bit numbers */
static const char *const risk_names[] = {
	NULL,
	"XSS Attack",
	"SQL Injection",
	"RCE Injection",
	"Binary Application Transfer",
	"Known Protocol on Non Standard Port",
	"Self-signed Certificate",
	"Obsolete TLS Version (1.1 or older)",
	"Weak TLS Cipher",
	"TLS Expired Certificate",
	"TLS Certificate Mismatch",
	"HTTP Suspicious User-Agent",
	"HTTP Numeric IP Address",
	"HTTP Suspicious URL",
	"HTTP Suspicious Header",
	"TLS (probably) Not Carrying HTTPS",
	"Suspicious DGA Domain name",
	"Malformed Packet",
	"SSH Obsolete Client Version/Cipher",
	"SSH Obsolete Server Version/Cipher",
	"SMB Insecure Version",
	"TLS Suspicious ESNI Usage",
	"Unsafe Protocol",
	"Suspicious DNS Traffic",
	"Missing SNI TLS Extension",
	"HTTP Suspicious Content",
	"Risky ASN",
	"Risky Domain Name",
	"Possibly Malicious JA3 Fingerprint",
	"Possibly Malicious SSL Cert. SHA1 Fingerprint",
	"Desktop/File Sharing Session",
	"Uncommon TLS ALPN",
	"TLS Certificate Validity Too Long",
	"TLS Suspicious Extension",
	"TLS Fatal Alert",
	"Suspicious Entropy",
	"Clear-Text Credentials",
	"DNS Packet Larger Than 512 bytes",
	"Fragmented DNS Message",
	"Text Contains Non-Printable Characters",
	"Possible Exploit Detected",
	"TLS Certificate About To Expire",
};

static const char *bit_lookup(const struct bit_name *t, size_t n, unsigned bit)
{
	if (bit >= 64)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (t[i].mask == (uint64_t)1 << bit)
			return t[i].name;
	return NULL;
}

const char *names_bit(enum names_kind k, unsigned bit)
{
	switch (k) {
	case NAMES_FLAG: return bit_lookup(flag_names, N_ELEMS(flag_names), bit);
	case NAMES_ANOMALY: return bit_lookup(anomaly_names, N_ELEMS(anomaly_names), bit);
	case NAMES_RISK: return bit < N_ELEMS(risk_names) ? risk_names[bit] : NULL;
	default: return NULL;
	}
}

/* ---- STARTTLS ---------------------------------------------------------------------------------------- */

static const char *const starttls_names[STARTTLS_COUNT_] = {
	[STARTTLS_SMTP] = "smtp",
	[STARTTLS_IMAP] = "imap",
	[STARTTLS_POP3] = "pop3",
	[STARTTLS_FTP] = "ftp",
	[STARTTLS_LDAP] = "ldap",
	[STARTTLS_XMPP] = "xmpp",
	[STARTTLS_POSTGRESQL] = "postgresql",
	[STARTTLS_MYSQL] = "mysql",
	[STARTTLS_IRC] = "irc",
	[STARTTLS_RDP] = "rdp",
};

const char *names_starttls(unsigned proto)
{
	return proto < STARTTLS_COUNT_ ? starttls_names[proto] : NULL;
}

/* ---- probe results ------------------------------------------------------------------------------------- */

static const char *const probe_result_names[PROBE_R_COUNT_] = {
	[PROBE_ACCEPTED] = "accepted",
	[PROBE_OTHER_VERSION] = "other_version",
	[PROBE_ALERT] = "alert",
	[PROBE_RESET] = "reset",
	[PROBE_CLOSED] = "closed",
	[PROBE_TIMEOUT] = "timeout",
	[PROBE_NOT_TLS] = "not_tls",
	[PROBE_STARTTLS_REFUSED] = "starttls_refused",
	[PROBE_UNREACHABLE] = "unreachable",
	[PROBE_SKIPPED] = "skipped",
};

const char *names_probe_result(unsigned r)
{
	return r < PROBE_R_COUNT_ ? probe_result_names[r] : NULL;
}

/* ---- every name of a kind (the store's name tables) --------------------------------------------------- */

static const char *const kind_tables[NAMES_KIND_COUNT_] = {
	[NAMES_VERSION] = "tls_versions",
	[NAMES_CIPHER] = "cipher_suites",
	[NAMES_SSLV2_CIPHER] = "sslv2_ciphers",
	[NAMES_ALERT] = "alerts",
	[NAMES_GROUP] = "groups",
	[NAMES_OUTCOME] = "outcomes",
	[NAMES_FLAG] = "flags",
	[NAMES_ANOMALY] = "anomalies",
	[NAMES_RISK] = "risks",
	[NAMES_STARTTLS] = "starttls_protocols",
	[NAMES_PROBE_RESULT] = "probe_results",
};

const char *names_kind_table(enum names_kind k)
{
	return (unsigned)k < NAMES_KIND_COUNT_ ? kind_tables[k] : NULL;
}

/* SQL expressions over a column (written where %s stands) that render an unnamed value exactly as the
 * functions above do */
static const char *const sql_fallbacks[NAMES_KIND_COUNT_] = {
	[NAMES_VERSION] = "printf('0x%04x', %s)",
	[NAMES_CIPHER] = "printf('0x%04X', %s)",
	[NAMES_SSLV2_CIPHER] = "printf('0x%06X', %s)",
	[NAMES_ALERT] = "printf('0x%02X', %s)",
	[NAMES_GROUP] = "printf('0x%04x', %s)",
	[NAMES_OUTCOME] = "'unknown'",
	[NAMES_FLAG] = "NULL",
	[NAMES_ANOMALY] = "NULL",
	[NAMES_RISK] = "NULL",
	[NAMES_STARTTLS] = "NULL",
	[NAMES_PROBE_RESULT] = "'unknown'",
};

const char *names_sql_fallback(enum names_kind k)
{
	return (unsigned)k < NAMES_KIND_COUNT_ ? sql_fallbacks[k] : "NULL";
}

static int each_table(const struct id_name *t, size_t n, int (*fn)(void *, uint32_t, const char *), void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		int r = fn(ctx, t[i].id, t[i].name);
		if (r)
			return r;
	}
	return 0;
}

static int each_bits(const struct bit_name *t, size_t n, int (*fn)(void *, uint32_t, const char *), void *ctx)
{
	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name = bit_lookup(t, n, bit);
		int r = name ? fn(ctx, bit, name) : 0;
		if (r)
			return r;
	}
	return 0;
}

int names_each(enum names_kind k, int (*fn)(void *ctx, uint32_t id, const char *name), void *ctx)
{
	int r = 0;

	switch (k) {
	case NAMES_VERSION:
		for (uint32_t v = 0; v <= 0xffff && r == 0; v++) {
			const char *n = names_version_known((uint16_t)v);
			if (n)
				r = fn(ctx, v, n);
		}
		return r;
	case NAMES_CIPHER: return each_table(cipher_names, N_ELEMS(cipher_names), fn, ctx);
	case NAMES_SSLV2_CIPHER: return each_table(sslv2_names, N_ELEMS(sslv2_names), fn, ctx);
	case NAMES_ALERT: return each_table(alert_names, N_ELEMS(alert_names), fn, ctx);
	case NAMES_GROUP: return each_table(group_names, N_ELEMS(group_names), fn, ctx);
	case NAMES_OUTCOME:
		for (uint32_t o = 0; o < OUT_COUNT_ && r == 0; o++)
			r = fn(ctx, o, outcome_names[o]);
		return r;
	case NAMES_FLAG: return each_bits(flag_names, N_ELEMS(flag_names), fn, ctx);
	case NAMES_ANOMALY: return each_bits(anomaly_names, N_ELEMS(anomaly_names), fn, ctx);
	case NAMES_RISK:
		for (uint32_t b = 1; b < N_ELEMS(risk_names) && r == 0; b++)
			r = fn(ctx, b, risk_names[b]);
		return r;
	case NAMES_STARTTLS:
		for (uint32_t p = 1; p < STARTTLS_COUNT_ && r == 0; p++)
			r = fn(ctx, p, starttls_names[p]);
		return r;
	case NAMES_PROBE_RESULT:
		for (uint32_t p = 0; p < PROBE_R_COUNT_ && r == 0; p++)
			r = fn(ctx, p, probe_result_names[p]);
		return r;
	case NAMES_KIND_COUNT_: break;
	}
	return 0;
}
