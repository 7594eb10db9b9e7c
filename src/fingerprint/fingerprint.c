/* fingerprint.c - JA3/JA3S (Salesforce) and JA4 TLS client (FoxIO, BSD-3) fingerprints; specification: FoxIO JA4
 * technical details + reference python/ja4.py, salesforce/ja3 README.
 *
 * Design note: the fingerprints are computed from the parsed hello only (struct
 * tls_client_hello / tls_server_hello), never from packet bytes, so everything
 * here is bounded by the TLS stage's capped arrays (TLS_MAX_*): a field cut by
 * a cap is fingerprinted as stored. Each pre-hash string is built in a local
 * fixed buffer large enough for the largest capped hello (FP_STR_MAX), so the
 * hash is always taken over the whole string even when the caller's str/raw
 * buffer is small; only the copy handed back is truncated.
 *
 * Where the JA4 prose and FoxIO's reference implementation (python/ja4.py,
 * whose outputs are the test vectors) disagree, the reference wins:
 *   - ALPN whose first byte is outside ASCII is "99" (the prose says hex digits).
 *   - signature algorithms are appended ("_" + list) only if extension 13 is
 *     present; with 13 present and an empty list the trailing "_" stays.
 *   - the extension hash is "000000000000" only when there are no extensions at
 *     all (GREASE included, as the reference tests its unfiltered list).
 * Cases the reference cannot express (it reads tshark's text, not bytes):
 *   - one-byte ALPN value "h" gives "hh" (prose: first and last character);
 *   - last byte outside ASCII gives '9' for that character (FoxIO Rust rule);
 *   - a control byte (< 0x20 or 0x7f) at either end: the prose rule, first and
 *     last hex digit of the value's hex encoding, so the fingerprint stays
 *     printable.
 *   - supported_versions present but holding only GREASE: legacy_version is used.
 * GREASE is removed from signature algorithms too (FoxIO sigalg-grease vector).
 */
#include "tlsaudit/fingerprint.h"

#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

/* Largest pre-hash string: 256 ciphers + 64 extensions + 40 sigalgs at
 * 5 bytes each ("ffff,") for JA4, or 6 bytes each ("65535-") plus 32 groups
 * and 8 point formats for JA3; 4096 covers both with room to spare. */
#define FP_STR_MAX 4096

/* bounded string builder: writes nothing past cap-1, remembers truncation */
struct fp_buf {
	char *p;
	size_t cap, len; /* cap >= 1; p[len] is always NUL */
	bool truncated;
};

static void fp_buf_init(struct fp_buf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->truncated = false;
	p[0] = '\0';
}

static void fp_buf_putc(struct fp_buf *b, char c)
{
	if (b->len + 1 >= b->cap) {
		b->truncated = true;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void fp_buf_puts(struct fp_buf *b, const char *s)
{
	while (*s)
		fp_buf_putc(b, *s++);
}

static void fp_buf_putu(struct fp_buf *b, unsigned v)
{
	char tmp[12];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp));
	while (n)
		fp_buf_putc(b, tmp[--n]);
}

static const char fp_hexdig[] = "0123456789abcdef";

static void fp_buf_puthex4(struct fp_buf *b, uint16_t v)
{
	fp_buf_putc(b, fp_hexdig[(v >> 12) & 0xf]);
	fp_buf_putc(b, fp_hexdig[(v >> 8) & 0xf]);
	fp_buf_putc(b, fp_hexdig[(v >> 4) & 0xf]);
	fp_buf_putc(b, fp_hexdig[v & 0xf]);
}

/* Copy src into the caller's optional buffer dst[0..dst_len), NUL-terminated, truncated to fit. */
static void fp_copy_out(char *dst, size_t dst_len, const char *src, size_t src_len)
{
	if (!dst || dst_len == 0)
		return;
	size_t n = src_len < dst_len - 1 ? src_len : dst_len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Lowercase hex digest of data[0..len) with md into out (2*digest length + NUL, at most out_len);
 * on a digest failure (e.g. MD5 unavailable under a FIPS provider) out is the empty string. */
/* OpenSSL 3 looks implicit EVP_md5()/EVP_sha256() up in its provider store on
 * every use (a lock round trip per hello); fetch them once. */
static EVP_MD *fp_md5, *fp_sha256;
static pthread_once_t fp_md_once = PTHREAD_ONCE_INIT;
static void fp_md_init(void)
{
	fp_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	fp_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}
static const EVP_MD *fp_md(bool sha256)
{
	pthread_once(&fp_md_once, fp_md_init);
	return sha256 ? fp_sha256 : fp_md5;
}

static void fp_digest_hex(const EVP_MD *md, const char *data, size_t len, char *out, size_t out_len)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dig_len = 0;
	out[0] = '\0';
	if (!md || EVP_Digest(data, len, dig, &dig_len, md, NULL) != 1)
		return;
	size_t n = 0;
	for (unsigned int i = 0; i < dig_len && n + 2 < out_len; i++) {
		out[n++] = fp_hexdig[dig[i] >> 4];
		out[n++] = fp_hexdig[dig[i] & 0xf];
	}
	out[n] = '\0';
}

/* a list of uint16 as decimals joined by '-', GREASE left out if skip_grease */
static void fp_put_dec_list(struct fp_buf *b, const uint16_t *v, size_t n, bool skip_grease)
{
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (skip_grease && tls_is_grease(v[i]))
			continue;
		if (!first)
			fp_buf_putc(b, '-');
		fp_buf_putu(b, v[i]);
		first = false;
	}
}

void fp_ja3(const struct tls_client_hello *ch, char out[static FP_JA3_LEN], char *str, size_t str_len)
{
	char s[FP_STR_MAX];
	struct fp_buf b;
	fp_buf_init(&b, s, sizeof(s));

	fp_buf_putu(&b, ch->legacy_version);
	fp_buf_putc(&b, ',');
	fp_put_dec_list(&b, ch->ciphers, ch->n_ciphers < TLS_MAX_CIPHERS ? ch->n_ciphers : TLS_MAX_CIPHERS, true);
	fp_buf_putc(&b, ',');
	fp_put_dec_list(&b, ch->exts, ch->n_exts < TLS_MAX_EXTS ? ch->n_exts : TLS_MAX_EXTS, true);
	fp_buf_putc(&b, ',');
	fp_put_dec_list(&b, ch->groups, ch->n_groups < TLS_MAX_GROUPS ? ch->n_groups : TLS_MAX_GROUPS, true);
	fp_buf_putc(&b, ',');
	size_t npf = ch->n_point_formats < TLS_MAX_POINT_FORMATS ? ch->n_point_formats : TLS_MAX_POINT_FORMATS;
	for (size_t i = 0; i < npf; i++) {
		if (i)
			fp_buf_putc(&b, '-');
		fp_buf_putu(&b, ch->point_formats[i]);
	}

	fp_digest_hex(fp_md(false), s, b.len, out, FP_JA3_LEN);
	fp_copy_out(str, str_len, s, b.len);
}

void fp_ja3s(const struct tls_server_hello *sh, char out[static FP_JA3_LEN], char *str, size_t str_len)
{
	char s[FP_STR_MAX];
	struct fp_buf b;
	fp_buf_init(&b, s, sizeof(s));

	fp_buf_putu(&b, sh->legacy_version);
	fp_buf_putc(&b, ',');
	fp_buf_putu(&b, sh->cipher);
	fp_buf_putc(&b, ',');
	/* servers do not send GREASE (RFC 8701 section 4); kept as seen, like the reference ja3s */
	fp_put_dec_list(&b, sh->exts, sh->n_exts < TLS_MAX_EXTS ? sh->n_exts : TLS_MAX_EXTS, false);

	fp_digest_hex(fp_md(false), s, b.len, out, FP_JA3_LEN);
	fp_copy_out(str, str_len, s, b.len);
}

/* JA4 two-character version code */
static const char *fp_ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static bool fp_is_control(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

/* The two ALPN characters of JA4 from the raw ProtocolNameList body (u8 len, bytes)*
 * (RFC 7301 section 3.1); rules in the design note at the top. */
static void fp_ja4_alpn(const struct tls_client_hello *ch, char ret[static 3])
{
	size_t body = ch->alpn_len < TLS_MAX_ALPN_BYTES ? ch->alpn_len : TLS_MAX_ALPN_BYTES;
	ret[0] = '0';
	ret[1] = '0';
	ret[2] = '\0';
	if (body < 2)
		return; /* no ALPN, or no non-empty first value */
	size_t n = ch->alpn[0];
	if (n == 0)
		return;
	if (n > body - 1)
		n = body - 1; /* first value cut by the TLS stage's cap: use what is stored */
	const uint8_t *v = &ch->alpn[1];
	uint8_t first = v[0], last = v[n - 1];
	if (first > 0x7f) {
		ret[0] = '9';
		ret[1] = '9';
		return;
	}
	if (fp_is_control(first) || fp_is_control(last)) {
		ret[0] = fp_hexdig[first >> 4];
		ret[1] = fp_hexdig[last & 0xf];
		return;
	}
	ret[0] = (char)first;
	ret[1] = last > 0x7f ? '9' : (char)last;
}

static int fp_cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

/* Copy v[0..n) without GREASE (and without ext SNI/ALPN if drop_sni_alpn) into dst; returns the count. */
static size_t fp_filter(uint16_t *dst, const uint16_t *v, size_t n, bool drop_sni_alpn)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (tls_is_grease(v[i]))
			continue;
		if (drop_sni_alpn && (v[i] == 0x0000 || v[i] == 0x0010))
			continue;
		dst[k++] = v[i];
	}
	return k;
}

static void fp_put_hex_list(struct fp_buf *b, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fp_buf_putc(b, ',');
		fp_buf_puthex4(b, v[i]);
	}
}

/* first 12 hex digits of SHA-256 of s[0..len) into out (13 bytes) */
static void fp_sha12(const char *s, size_t len, char out[static 13])
{
	char hex[2 * 32 + 1];
	fp_digest_hex(fp_md(true), s, len, hex, sizeof(hex));
	if (strlen(hex) < 12) {
		memcpy(out, "000000000000", 13);
		return;
	}
	memcpy(out, hex, 12);
	out[12] = '\0';
}

void fp_ja4(const struct tls_client_hello *ch, bool quic, char out[static FP_JA4_LEN], char *raw, size_t raw_len)
{
	size_t n_ciphers = ch->n_ciphers < TLS_MAX_CIPHERS ? ch->n_ciphers : TLS_MAX_CIPHERS;
	size_t n_exts = ch->n_exts < TLS_MAX_EXTS ? ch->n_exts : TLS_MAX_EXTS;
	size_t n_versions = ch->n_versions < TLS_MAX_VERSIONS ? ch->n_versions : TLS_MAX_VERSIONS;
	size_t n_sigalgs = ch->n_sigalgs < TLS_MAX_SIGALGS ? ch->n_sigalgs : TLS_MAX_SIGALGS;

	/* version: highest non-GREASE supported_versions value, else legacy_version */
	uint16_t version = ch->legacy_version;
	if (ch->has_supported_versions) {
		uint16_t best = 0;
		for (size_t i = 0; i < n_versions; i++)
			if (!tls_is_grease(ch->versions[i]) && ch->versions[i] > best)
				best = ch->versions[i];
		if (best)
			version = best;
	}

	uint16_t ciphers[TLS_MAX_CIPHERS];
	size_t nc = fp_filter(ciphers, ch->ciphers, n_ciphers, false);
	qsort(ciphers, nc, sizeof(ciphers[0]), fp_cmp_u16);

	/* The count covers extensions the TLS stage did not store (assumed non-GREASE). */
	size_t ext_count = 0;
	bool has_sigalgs_ext = false;
	for (size_t i = 0; i < n_exts; i++) {
		if (!tls_is_grease(ch->exts[i]))
			ext_count++;
		if (ch->exts[i] == 0x000d)
			has_sigalgs_ext = true;
	}
	if (ch->n_exts_total > n_exts)
		ext_count += ch->n_exts_total - n_exts;
	uint16_t exts[TLS_MAX_EXTS];
	size_t ne = fp_filter(exts, ch->exts, n_exts, true);
	qsort(exts, ne, sizeof(exts[0]), fp_cmp_u16);

	uint16_t sigalgs[TLS_MAX_SIGALGS];
	size_t ns = fp_filter(sigalgs, ch->sigalgs, n_sigalgs, false);

	char alpn[3];
	fp_ja4_alpn(ch, alpn);

	/* part a: t13d1516h2 */
	char a[11];
	struct fp_buf ba;
	fp_buf_init(&ba, a, sizeof(a));
	fp_buf_putc(&ba, quic ? 'q' : 't');
	fp_buf_puts(&ba, fp_ja4_version(version));
	fp_buf_putc(&ba, ch->has_sni ? 'd' : 'i');
	size_t cc = nc > 99 ? 99 : nc, ec = ext_count > 99 ? 99 : ext_count;
	fp_buf_putc(&ba, (char)('0' + cc / 10));
	fp_buf_putc(&ba, (char)('0' + cc % 10));
	fp_buf_putc(&ba, (char)('0' + ec / 10));
	fp_buf_putc(&ba, (char)('0' + ec % 10));
	fp_buf_puts(&ba, alpn);

	/* part b: sorted ciphers */
	char bstr[FP_STR_MAX];
	struct fp_buf bb;
	fp_buf_init(&bb, bstr, sizeof(bstr));
	fp_put_hex_list(&bb, ciphers, nc);
	char bhash[13];
	if (nc)
		fp_sha12(bstr, bb.len, bhash);
	else
		memcpy(bhash, "000000000000", 13);

	/* part c: sorted extensions (no SNI, ALPN), then "_" + signature algorithms in wire order */
	char cstr[FP_STR_MAX];
	struct fp_buf bc;
	fp_buf_init(&bc, cstr, sizeof(cstr));
	fp_put_hex_list(&bc, exts, ne);
	if (has_sigalgs_ext) {
		fp_buf_putc(&bc, '_');
		fp_put_hex_list(&bc, sigalgs, ns);
	}
	char chash[13];
	if (n_exts)
		fp_sha12(cstr, bc.len, chash);
	else
		memcpy(chash, "000000000000", 13);

	struct fp_buf bo;
	fp_buf_init(&bo, out, FP_JA4_LEN);
	fp_buf_puts(&bo, a);
	fp_buf_putc(&bo, '_');
	fp_buf_puts(&bo, bhash);
	fp_buf_putc(&bo, '_');
	fp_buf_puts(&bo, chash);

	if (raw && raw_len) {
		struct fp_buf br;
		fp_buf_init(&br, raw, raw_len);
		fp_buf_puts(&br, a);
		fp_buf_putc(&br, '_');
		fp_buf_puts(&br, bstr);
		fp_buf_putc(&br, '_');
		fp_buf_puts(&br, cstr);
	}
}
