/* probe_hello.c - the one ClientHello builder of `tlsaudit probe`: a hello that offers exactly one version.
 * specification: RFC 8446 4.1.2 + 4.2 (TLS 1.3 ClientHello, supported_versions, key_share, signature_algorithms,
 * psk_key_exchange_modes), RFC 5246 7.4.1.2 + appendix E.2 (TLS 1.2 and older), RFC 6101 5.6.1.2 (SSL 3.0: no
 * extensions), draft-hickman-netscape-ssl-00 (SSLv2 CLIENT-HELLO), RFC 6066 3 (server_name), RFC 8422 5.1
 * (supported_groups, ec_point_formats), RFC 7627 (extended_master_secret), RFC 7685 (padding), RFC 5746 3.3
 * (TLS_EMPTY_RENEGOTIATION_INFO_SCSV), RFC 7507 (TLS_FALLBACK_SCSV: deliberately not sent).
 *
 * Design note. Each hello is what a client limited to that one version sends, so the answer is about the
 * version and nothing else:
 * - SSL 3.0: record and legacy_version 0x0300, no extensions at all (SSL 3.0 has none; so no server_name).
 * - TLS 1.0 / 1.1: record 0x0301, legacy_version 0x0301 / 0x0302; server_name, ec_point_formats,
 *   supported_groups, session_ticket; no signature_algorithms (TLS 1.2 only) and no supported_versions.
 * - TLS 1.2: as TLS 1.1 plus signature_algorithms and extended_master_secret; legacy_version 0x0303 and no
 *   supported_versions (a TLS 1.2 client does not send it).
 * - TLS 1.3: legacy_version 0x0303, supported_versions = {0x0304} only, the five TLS 1.3 suites, a 32-byte
 *   legacy_session_id (compatibility mode), key_share with an X25519 share of 32 random bytes and the P-256
 *   generator point as a secp256r1 share (both valid public values; the handshake is never completed, so no
 *   private key exists), psk_key_exchange_modes. A server that wants another group answers with a
 *   HelloRetryRequest, which still proves TLS 1.3.
 * The cipher list of SSL 3.0 .. TLS 1.1 is broad (ECDHE/DHE/RSA with AES, Camellia, SEED, IDEA, 3DES, RC4,
 * DES, export, anonymous and NULL suites, strongest first) so that a server that speaks the version finds a
 * suite; TLS 1.2 adds its AEAD and SHA-2 suites in front. TLS_FALLBACK_SCSV is never sent: it would make a
 * server that knows a higher version refuse, and the question is whether a client that knows only this version
 * gets in. Hellos whose handshake message is 256..511 bytes long get a padding extension up to 512 (RFC 7685;
 * some servers fail on that size range).
 */
#include <errno.h>
#include <string.h>

#include "tlsaudit/probe.h"

/* ---- suites ---- */

/* SSL 3.0 .. TLS 1.1 (and the tail of TLS 1.2): IANA values, strongest first */
#define LEGACY_SUITES                                                                                           \
	0xC00A, 0xC014, 0x0039, 0x0038, 0x0088, 0x0087, 0xC005, 0xC00F, 0x0035, 0x0084, 0xC009, 0xC013, 0x0033, \
		0x0032, 0x0045, 0x0044, 0xC004, 0xC00E, 0x002F, 0x0041, 0x0096, 0x009A, 0x0099, 0x0007, 0xC008, \
		0xC012, 0x0016, 0x0013, 0xC003, 0xC00D, 0x000A, 0xC007, 0xC011, 0xC002, 0xC00C, 0x0005, 0x0004, \
		0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003, 0xC019, 0x003A, 0x0089, 0xC018, \
		0x0034, 0x0046, 0xC017, 0x001B, 0xC016, 0x0018, 0x001A, 0x0019, 0x0017, 0xC010, 0xC006, 0xC015, \
		0x0002, 0x0001, 0x00FF

static const uint32_t suites_legacy[] = {LEGACY_SUITES};

static const uint32_t suites_tls12[] = {
	0xC02C, 0xC030, 0x009F, 0xCCA9, 0xCCA8, 0xCCAA, 0xC0AD, 0xC09F, 0xC024, 0xC028,	       0x006B, 0x006A, 0xC073,
	0xC077, 0x00C4, 0x00C3, 0xC02B, 0xC02F, 0x009E, 0xC0AC, 0xC09E, 0xC023, 0xC027,	       0x0067, 0x0040, 0xC072,
	0xC076, 0x00BE, 0x00BD, 0xC02E, 0xC032, 0xC02D, 0xC031, 0x00A3, 0x00A2, 0x009D,	       0xC09D, 0x003D, 0x00C0,
	0x009C, 0xC09C, 0x003C, 0x00BA, 0x00A7, 0x00A6, 0x006D, 0x006C, 0x003B, LEGACY_SUITES,
};

static const uint32_t suites_tls13[] = {0x1302, 0x1303, 0x1301, 0x1304, 0x1305, 0x00FF};

/* draft-hickman appendix C: CIPHER-KIND values (3 bytes) */
static const uint32_t suites_sslv2[] = {0x0700C0, 0x050080, 0x030080, 0x010080, 0x060040, 0x040080, 0x020080};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

size_t probe_hello_ciphers(uint16_t version, const uint32_t **ret)
{
	switch (version) {
	case 0x0002: *ret = suites_sslv2; return N_OF(suites_sslv2);
	case 0x0300:
	case 0x0301:
	case 0x0302: *ret = suites_legacy; return N_OF(suites_legacy);
	case 0x0303: *ret = suites_tls12; return N_OF(suites_tls12);
	case 0x0304: *ret = suites_tls13; return N_OF(suites_tls13);
	default: *ret = NULL; return 0;
	}
}

/* supported_groups: x25519, secp256r1, secp384r1, secp521r1, x448, ffdhe2048, ffdhe3072 */
static const uint16_t groups[] = {0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101};
/* signature_algorithms (TLS 1.2 and 1.3): ECDSA, RSA-PSS, EdDSA, PKCS#1, then SHA-1 and DSA for old servers */
static const uint16_t sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806,
				   0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301,
				   0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202};

/* SEC 1 2.7.2 uncompressed encoding of the P-256 base point G (FIPS 186-4 D.1.2.3): a valid secp256r1 share */
static const uint8_t p256_g[65] = {
	0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
	0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f,
	0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce,
	0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

enum {
	EXT_SERVER_NAME = 0,
	EXT_SUPPORTED_GROUPS = 10,
	EXT_EC_POINT_FORMATS = 11,
	EXT_SIGNATURE_ALGORITHMS = 13,
	EXT_PADDING = 21,
	EXT_EXTENDED_MASTER_SECRET = 23,
	EXT_SESSION_TICKET = 35,
	EXT_SUPPORTED_VERSIONS = 43,
	EXT_PSK_KEY_EXCHANGE_MODES = 45,
	EXT_KEY_SHARE = 51,
};

/* ---- a bounded writer over our own output buffer ---- */

struct bw {
	uint8_t *p;
	size_t cap, len;
	bool err; /* sticky: a write did not fit */
};

static void bw_bytes(struct bw *w, const void *src, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void bw_u8(struct bw *w, uint8_t v)
{
	bw_bytes(w, &v, 1);
}

static void bw_u16(struct bw *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	bw_bytes(w, b, 2);
}

static void bw_u24(struct bw *w, uint32_t v)
{
	uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	bw_bytes(w, b, 3);
}

/* Open a length field of n (1..3) bytes; returns its offset, closed by bw_close. */
static size_t bw_open(struct bw *w, size_t n)
{
	size_t at = w->len;
	static const uint8_t zero[3] = {0};
	bw_bytes(w, zero, n);
	return at;
}

/* Write the length of what follows the field at `at` (n bytes wide) into it. */
static void bw_close(struct bw *w, size_t at, size_t n)
{
	if (w->err)
		return;
	size_t v = w->len - at - n;
	if (v >> (8 * n)) {
		w->err = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		w->p[at + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void ext_u16_list(struct bw *w, uint16_t type, const uint16_t *v, size_t n)
{
	bw_u16(w, type);
	size_t ext = bw_open(w, 2), list = bw_open(w, 2);
	for (size_t i = 0; i < n; i++)
		bw_u16(w, v[i]);
	bw_close(w, list, 2);
	bw_close(w, ext, 2);
}

/* ---- the hellos ---- */

/* draft-hickman-netscape-ssl-00 "Client Only Protocol Messages":
 *   char MSG-CLIENT-HELLO; char CLIENT-VERSION-MSB, CLIENT-VERSION-LSB; char CIPHER-SPECS-LENGTH-MSB, -LSB;
 *   char SESSION-ID-LENGTH-MSB, -LSB; char CHALLENGE-LENGTH-MSB, -LSB;
 *   char CIPHER-SPECS-DATA[(MSB<<8)|LSB]; char SESSION-ID-DATA[...]; char CHALLENGE-DATA[...]
 * in a record with a 2-byte header (high bit set, 15-bit length). */
static void sslv2_hello(struct bw *w, const uint8_t *random)
{
	size_t n = N_OF(suites_sslv2);
	size_t body = 1 + 2 + 2 + 2 + 2 + 3 * n + 16;
	bw_u16(w, (uint16_t)(0x8000 | body));
	bw_u8(w, 1); /* SSL2_MT_CLIENT_HELLO */
	bw_u16(w, 0x0002);
	bw_u16(w, (uint16_t)(3 * n));
	bw_u16(w, 0);
	bw_u16(w, 16);
	for (size_t i = 0; i < n; i++)
		bw_u24(w, suites_sslv2[i]);
	bw_bytes(w, random, 16);
}

/* RFC 8446 4.1.2 (and RFC 5246 7.4.1.2 for the older versions):
 *   struct {
 *       ProtocolVersion legacy_version;
 *       Random random;
 *       opaque legacy_session_id<0..32>;
 *       CipherSuite cipher_suites<2..2^16-2>;
 *       opaque legacy_compression_methods<1..2^8-1>;
 *       Extension extensions<8..2^16-1>;
 *   } ClientHello;
 * wrapped in Handshake { HandshakeType msg_type = 1; uint24 length; } and a TLSPlaintext record. */
static void tls_hello(struct bw *w, const struct probe_hello_opts *o)
{
	uint16_t v = o->version;
	bool tls13 = v == 0x0304, tls12 = v == 0x0303, ssl3 = v == 0x0300;
	const uint32_t *suites;
	size_t n_suites = probe_hello_ciphers(v, &suites);

	bw_u8(w, 22); /* handshake */
	/* RFC 8446 5.1 / RFC 5246 E.1: clients put 0x0301 in the first record; SSL 3.0 its own version */
	bw_u16(w, ssl3 ? 0x0300 : 0x0301);
	size_t rec = bw_open(w, 2);
	size_t hs_start = w->len;
	bw_u8(w, 1); /* client_hello */
	size_t hs = bw_open(w, 3);
	bw_u16(w, tls13 ? 0x0303 : v);
	bw_bytes(w, o->random, 32);
	if (tls13) {
		bw_u8(w, 32);
		bw_bytes(w, o->random + 32, 32);
	} else {
		bw_u8(w, 0);
	}
	size_t cs = bw_open(w, 2);
	for (size_t i = 0; i < n_suites; i++)
		bw_u16(w, (uint16_t)suites[i]);
	bw_close(w, cs, 2);
	bw_u8(w, 1);
	bw_u8(w, 0); /* null compression */
	if (!ssl3) {
		size_t exts = bw_open(w, 2);
		if (o->sni) {
			/* RFC 6066 3: ServerNameList { NameType host_name(0); HostName<1..2^16-1> } */
			bw_u16(w, EXT_SERVER_NAME);
			size_t e = bw_open(w, 2), list = bw_open(w, 2);
			bw_u8(w, 0);
			size_t name = bw_open(w, 2);
			bw_bytes(w, o->sni, o->sni_len);
			bw_close(w, name, 2);
			bw_close(w, list, 2);
			bw_close(w, e, 2);
		}
		if (!tls13) {
			/* RFC 8422 5.1.2: ECPointFormatList<1..2^8-1> = { uncompressed } */
			bw_u16(w, EXT_EC_POINT_FORMATS);
			bw_u16(w, 2);
			bw_u8(w, 1);
			bw_u8(w, 0);
		}
		ext_u16_list(w, EXT_SUPPORTED_GROUPS, groups, tls13 || tls12 ? N_OF(groups) : 4);
		if (!tls13) {
			bw_u16(w, EXT_SESSION_TICKET); /* RFC 5077 3.2: empty, asks for a ticket */
			bw_u16(w, 0);
		}
		if (tls12 || tls13)
			ext_u16_list(w, EXT_SIGNATURE_ALGORITHMS, sigalgs, N_OF(sigalgs));
		if (tls12) {
			bw_u16(w, EXT_EXTENDED_MASTER_SECRET);
			bw_u16(w, 0);
		}
		if (tls13) {
			/* RFC 8446 4.2.1: ProtocolVersion versions<2..254> */
			bw_u16(w, EXT_SUPPORTED_VERSIONS);
			bw_u16(w, 3);
			bw_u8(w, 2);
			bw_u16(w, 0x0304);
			/* RFC 8446 4.2.9: PskKeyExchangeMode ke_modes<1..255> = { psk_dhe_ke } */
			bw_u16(w, EXT_PSK_KEY_EXCHANGE_MODES);
			bw_u16(w, 2);
			bw_u8(w, 1);
			bw_u8(w, 1);
			/* RFC 8446 4.2.8: KeyShareEntry client_shares<0..2^16-1>; { NamedGroup group; opaque
			 * key_exchange<1..2^16-1>; } */
			bw_u16(w, EXT_KEY_SHARE);
			size_t e = bw_open(w, 2), list = bw_open(w, 2);
			bw_u16(w, 0x001d);
			bw_u16(w, 32);
			bw_bytes(w, o->random + 64, 32);
			bw_u16(w, 0x0017);
			bw_u16(w, sizeof(p256_g));
			bw_bytes(w, p256_g, sizeof(p256_g));
			bw_close(w, list, 2);
			bw_close(w, e, 2);
		}
		/* RFC 7685: pad a handshake message of 256..511 bytes to 512 (+4 for the padding's own header) */
		size_t msg = w->len - hs_start;
		if (msg >= 256 && msg < 512) {
			size_t pad = 512 - msg >= 4 + 1 ? 512 - msg - 4 : 1;
			static const uint8_t zeros[256] = {0};
			bw_u16(w, EXT_PADDING);
			bw_u16(w, (uint16_t)pad);
			bw_bytes(w, zeros, pad);
		}
		bw_close(w, exts, 2);
	}
	bw_close(w, hs, 3);
	bw_close(w, rec, 2);
}

int probe_hello_build(const struct probe_hello_opts *o, uint8_t *buf, size_t cap, size_t *ret_len)
{
	bool known = false;
	for (size_t i = 0; i < PROBE_N_VERSIONS; i++)
		known |= probe_versions[i] == o->version;
	if (!known || !o->random || (o->sni && (o->sni_len == 0 || o->sni_len > TA_MAX_SNI)))
		return -EINVAL;
	struct bw w = {.p = buf, .cap = cap, .len = 0, .err = false};
	if (o->version == 0x0002)
		sslv2_hello(&w, o->random);
	else
		tls_hello(&w, o);
	if (w.err)
		return -ENOSPC;
	*ret_len = w.len;
	return 0;
}
