/* community_id.c - the Community ID of a TCP connection, so our events join Zeek's conn.log and Suricata's eve.json.
 * specification: Community ID Flow Hashing, version 1 (corelight/community-id-spec): base64 (RFC 4648 section 4,
 * padded) of SHA-1 over seed (u16, network order), source address, destination address, protocol (u8), one
 * zero padding byte, source port, destination port (u16 each, network order), after ordering the endpoints so
 * that the smaller (address, port) pair comes first; the text is "1:" followed by the base64.
 */
#include <string.h>

#include <openssl/evp.h>

#include "tlsaudit/output.h"

#define CID_PROTO_TCP 6

/* the spec's ordering: addresses compared as bytes, then ports, the smaller endpoint is the source */
static bool endpoint_less(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb, size_t alen)
{
	int c = memcmp(a, b, alen);
	return c < 0 || (c == 0 && pa < pb);
}

bool out_community_id(uint8_t family, const uint8_t client_ip[16], uint16_t client_port, const uint8_t server_ip[16],
		      uint16_t server_port, uint16_t seed, char out[static OUT_COMMUNITY_ID_LEN])
{
	size_t alen = family == 6 ? 16 : family == 4 ? 4 : 0;
	uint8_t buf[2 + 16 + 16 + 2 + 2 + 2];
	size_t n = 0;

	out[0] = '\0';
	if (!alen)
		return false;
	const uint8_t *src = client_ip, *dst = server_ip;
	uint16_t sp = client_port, dp = server_port;
	if (!endpoint_less(src, sp, dst, dp, alen)) {
		src = server_ip;
		dst = client_ip;
		sp = server_port;
		dp = client_port;
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, src, alen);
	n += alen;
	memcpy(buf + n, dst, alen);
	n += alen;
	buf[n++] = CID_PROTO_TCP;
	buf[n++] = 0; /* padding */
	buf[n++] = (uint8_t)(sp >> 8);
	buf[n++] = (uint8_t)sp;
	buf[n++] = (uint8_t)(dp >> 8);
	buf[n++] = (uint8_t)dp;

	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(buf, n, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
		return false;
	memcpy(out, "1:", 2);
	/* 20 bytes -> 28 base64 characters and a NUL */
	if (EVP_EncodeBlock((unsigned char *)out + 2, md, (int)mdlen) != 28)
		return false;
	return true;
}
