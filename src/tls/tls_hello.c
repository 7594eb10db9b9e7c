/* tls_hello.c - ClientHello / ServerHello / SSLv2 CLIENT-HELLO parsers.
 * specification: RFC 8446 sections 4.1.2, 4.1.3, 4.2 (TLS 1.3), RFC 5246 section 7.4.1
 * (TLS 1.2), RFC 6066 section 3 (SNI), RFC 7301 section 3.1 (ALPN), RFC 8701 (GREASE),
 * draft-hickman-netscape-ssl-00 (SSL 2.0), draft-ietf-tls-tls13-14..21 (draft ServerHello).
 *
 * All reads go through struct br. Each parser fills its output struct from zero; on a
 * status other than TLS_OK the output holds the fields read before the error (in wire
 * order: legacy_version, then session id, ciphers, ...), the rest zero.
 * Status: TLS_TRUNCATED when a length field points past the end of the message body
 * (the body is complete, so nothing more can come), TLS_MALFORMED when values or nested
 * lengths contradict the specification. Problems inside one extension's body only set
 * TLS_AN_BAD_EXTENSION: the rest of the hello is still worth reporting.
 */
#include <string.h>

#include "tlsaudit/reader.h"
#include "tlsaudit/tls.h"
#include "tls_internal.h"

enum {
	EXT_SERVER_NAME = 0,
	EXT_SUPPORTED_GROUPS = 10,
	EXT_EC_POINT_FORMATS = 11,
	EXT_SIGNATURE_ALGORITHMS = 13,
	EXT_ALPN = 16,
	EXT_SESSION_TICKET = 35,
	EXT_PRE_SHARED_KEY = 41,
	EXT_EARLY_DATA = 42,
	EXT_SUPPORTED_VERSIONS = 43,
	EXT_KEY_SHARE = 51,
	EXT_ECH = 0xfe0d,
};

/* RFC 8446 section 4.1.3: SHA-256("HelloRetryRequest") */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* one bit per extension type, for RFC 8446 section 4.2 "MUST NOT be more than one
 * extension of the same type" (covers extensions beyond the TLS_MAX_EXTS cap too) */
struct ext_seen {
	uint64_t bits[65536 / 64];
};

/* true if type was already seen */
static bool ext_seen_test_set(struct ext_seen *s, uint16_t type)
{
	uint64_t bit = (uint64_t)1 << (type % 64);
	bool was = (s->bits[type / 64] & bit) != 0;

	s->bits[type / 64] |= bit;
	return was;
}

/* Read a vector of u16 values into out[cap]; returns how many were stored, sets
 * *ret_total to how many were on the wire, and flags odd lengths via the reader. */
static uint16_t read_u16_list(struct br *v, uint16_t *out, size_t cap, size_t *ret_total, bool *odd)
{
	size_t total = br_left(v) / 2, n = total < cap ? total : cap;

	*odd = (br_left(v) % 2) != 0;
	(void)br_u16s(v, out, n);
	br_skip(v, (total - n) * 2 + *odd);
	*ret_total = total;
	return (uint16_t)n;
}

/* RFC 6066 section 3:
 *   struct { NameType name_type; select (name_type) { case host_name: HostName; } name; } ServerName;
 *   opaque HostName<1..2^16-1>;
 *   struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 * Keeps the first host_name, raw bytes (attacker-chosen: consumers escape). */
static void parse_sni(struct br *body, struct tls_client_hello *ch)
{
	struct br list = br_vec16(body);

	while (br_ok(&list) && !br_empty(&list)) {
		uint8_t name_type = br_u8(&list);
		struct br name = br_vec16(&list);
		if (!br_ok(&list))
			break;
		if (name_type != 0 || ch->has_sni)
			continue;
		size_t n = br_left(&name);
		if (n > TLS_MAX_SNI) {
			ch->anomalies |= TLS_AN_SNI_TRUNCATED;
			n = TLS_MAX_SNI;
		}
		br_copy(&name, ch->sni, n);
		ch->sni[n] = '\0';
		ch->sni_len = (uint16_t)n;
		ch->has_sni = true;
	}
	if (!br_ok(&list) || !br_ok(body) || !br_empty(body))
		ch->anomalies |= TLS_AN_BAD_EXTENSION;
}

/* RFC 7301 section 3.1: opaque ProtocolName<1..2^8-1>; ProtocolName protocol_name_list<2..2^16-1>.
 * Stores the raw list body (capped) and checks its inner structure. */
static void parse_alpn(struct br *body, struct tls_client_hello *ch)
{
	struct br list = br_vec16(body);
	size_t n = br_left(&list);

	if (br_ok(&list)) {
		struct br check = list;
		while (br_ok(&check) && !br_empty(&check)) {
			struct br name = br_vec8(&check);
			if (br_ok(&name) && br_empty(&name))
				check.err = true; /* ProtocolName<1..>: empty name */
		}
		if (!br_ok(&check))
			ch->anomalies |= TLS_AN_BAD_EXTENSION;
		if (n > TLS_MAX_ALPN_BYTES) {
			ch->anomalies |= TLS_AN_ALPN_CAPPED;
			n = TLS_MAX_ALPN_BYTES;
		}
		br_copy(&list, ch->alpn, n);
		ch->alpn_len = (uint16_t)n;
	}
	if (!br_ok(&list) || !br_ok(body) || !br_empty(body))
		ch->anomalies |= TLS_AN_BAD_EXTENSION;
}

/* A u16 list inside an extension: outer vector with a 1- or 2-byte length prefix. */
static uint8_t parse_u16_ext(struct br *body, bool len8, uint16_t *out, size_t cap, uint32_t cap_flag,
			     struct tls_client_hello *ch)
{
	struct br v = len8 ? br_vec8(body) : br_vec16(body);
	size_t total = 0;
	bool odd = false;
	uint8_t n = 0;

	if (br_ok(&v))
		n = (uint8_t)read_u16_list(&v, out, cap, &total, &odd);
	if (total > cap)
		ch->anomalies |= cap_flag;
	if (odd || !br_ok(&v) || !br_ok(body) || !br_empty(body))
		ch->anomalies |= TLS_AN_BAD_EXTENSION;
	return n;
}

static void parse_ch_extension(uint16_t type, struct br *body, struct tls_client_hello *ch)
{
	switch (type) {
	case EXT_SERVER_NAME: parse_sni(body, ch); break;
	case EXT_SUPPORTED_GROUPS:
		ch->n_groups = parse_u16_ext(body, false, ch->groups, TLS_MAX_GROUPS, TLS_AN_GROUPS_CAPPED, ch);
		break;
	case EXT_SIGNATURE_ALGORITHMS:
		ch->n_sigalgs = parse_u16_ext(body, false, ch->sigalgs, TLS_MAX_SIGALGS, TLS_AN_SIGALGS_CAPPED, ch);
		break;
	case EXT_SUPPORTED_VERSIONS:
		/* RFC 8446 4.2.1: ProtocolVersion versions<2..254> in the ClientHello */
		ch->has_supported_versions = true;
		ch->n_versions = parse_u16_ext(body, true, ch->versions, TLS_MAX_VERSIONS, TLS_AN_VERSIONS_CAPPED, ch);
		break;
	case EXT_EC_POINT_FORMATS: {
		/* RFC 8422 5.1.2: ECPointFormat ec_point_format_list<1..2^8-1> */
		struct br v = br_vec8(body);
		while (br_ok(&v) && !br_empty(&v)) {
			uint8_t pf = br_u8(&v);
			if (ch->n_point_formats < TLS_MAX_POINT_FORMATS)
				ch->point_formats[ch->n_point_formats++] = pf;
		}
		if (!br_ok(&v) || !br_ok(body) || !br_empty(body))
			ch->anomalies |= TLS_AN_BAD_EXTENSION;
		break;
	}
	case EXT_ALPN: parse_alpn(body, ch); break;
	case EXT_SESSION_TICKET:
		/* RFC 5077 3.2: empty = asks for a ticket, non-empty = presents one */
		ch->has_session_ticket = !br_empty(body);
		break;
	case EXT_PRE_SHARED_KEY: ch->has_psk = true; break;
	case EXT_EARLY_DATA: ch->has_early_data = true; break;
	case EXT_ECH: ch->has_ech = true; break;
	default: break;
	}
}

/* RFC 8446 section 4.1.2:
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id<0..32>;
 *       CipherSuite cipher_suites<2..2^16-2>;
 *       opaque legacy_compression_methods<1..2^8-1>;
 *       Extension extensions<8..2^16-1>;
 *   } ClientHello;
 * RFC 5246 7.4.1.2: the extensions block may be absent entirely (SSL 3.0 / TLS 1.0 clients).
 * body is the handshake message body (after the 4-byte header), borrowed. */
enum tls_status tls_parse_client_hello(const uint8_t *body, size_t len, struct tls_client_hello *out)
{
	struct br r = br_make(body, len);

	memset(out, 0, sizeof(*out));
	out->legacy_version = br_u16(&r);
	br_skip(&r, 32); /* random */
	struct br sid = br_vec8(&r);
	if (!br_ok(&r))
		return TLS_TRUNCATED;
	if (br_left(&sid) > 32)
		return TLS_MALFORMED;
	out->session_id_len = (uint8_t)br_left(&sid);

	struct br cs = br_vec16(&r);
	if (!br_ok(&r))
		return TLS_TRUNCATED;
	size_t total = 0;
	bool odd = false;
	out->n_ciphers = read_u16_list(&cs, out->ciphers, TLS_MAX_CIPHERS, &total, &odd);
	out->n_ciphers_total = (uint16_t)total; /* <= 32767: the vector is at most 65535 bytes */
	if (odd)
		out->anomalies |= TLS_AN_ODD_CIPHER_LEN;
	if (total > TLS_MAX_CIPHERS)
		out->anomalies |= TLS_AN_CIPHERS_CAPPED;

	struct br comp = br_vec8(&r);
	if (!br_ok(&r))
		return TLS_TRUNCATED;
	out->n_compression_total = (uint8_t)br_left(&comp); /* a vec8 holds at most 255 */
	while (!br_empty(&comp)) {
		uint8_t method = br_u8(&comp);
		if (out->n_compression < TLS_MAX_COMPRESSION)
			out->compression[out->n_compression++] = method;
	}

	if (br_empty(&r))
		return TLS_OK; /* no extensions block */
	if (br_left(&r) < 2) {
		/* one stray byte where the extensions length belongs (seen from old clients
		 * with an empty compression list; Wireshark also reads on) */
		out->anomalies |= TLS_AN_TRAILING_BYTES;
		return TLS_OK;
	}

	struct br exts = br_vec16(&r);
	if (!br_ok(&r))
		return TLS_TRUNCATED;
	if (!br_empty(&r))
		out->anomalies |= TLS_AN_TRAILING_BYTES;

	struct ext_seen seen;
	memset(&seen, 0, sizeof(seen));
	while (!br_empty(&exts)) {
		uint16_t type = br_u16(&exts);
		struct br ext_body = br_vec16(&exts);
		if (!br_ok(&exts))
			return TLS_MALFORMED; /* an extension runs past the extensions block */
		if (ext_seen_test_set(&seen, type))
			out->anomalies |= TLS_AN_DUP_EXTENSION;
		if (out->n_exts < TLS_MAX_EXTS)
			out->exts[out->n_exts++] = type;
		else
			out->anomalies |= TLS_AN_EXTS_CAPPED;
		if (out->n_exts_total < UINT16_MAX)
			out->n_exts_total++;
		parse_ch_extension(type, &ext_body, out);
	}
	return TLS_OK;
}

/* One ServerHello extension body (borrowed). A body that contradicts its own length sets TLS_AN_BAD_EXTENSION. */
static void parse_sh_extension(uint16_t type, struct br *eb, struct tls_server_hello *out)
{
	switch (type) {
	case EXT_SUPPORTED_VERSIONS:
		/* RFC 8446 4.2.1: ServerHello carries one ProtocolVersion selected_version */
		out->selected_version = br_u16(eb);
		if (!br_ok(eb))
			out->selected_version = 0;
		break;
	case EXT_KEY_SHARE:
		/* RFC 8446 4.2.8: ServerHello: KeyShareEntry server_share { NamedGroup group; opaque
		 * key_exchange<1..2^16-1>; }; HelloRetryRequest: NamedGroup selected_group */
		out->key_share_group = br_u16(eb);
		if (!out->is_hrr) {
			struct br kx = br_vec16(eb);
			(void)kx;
		}
		if (!br_ok(eb))
			out->key_share_group = 0;
		break;
	case EXT_ALPN: {
		/* RFC 7301 3.1: the server's ProtocolNameList holds exactly one ProtocolName */
		struct br list = br_vec16(eb);
		struct br name = br_vec8(&list);
		if (br_ok(&list) && br_empty(&list) && !br_empty(&name)) {
			out->alpn_len = (uint8_t)br_left(&name);
			br_copy(&name, out->alpn, out->alpn_len);
		} else {
			eb->err = true;
		}
		break;
	}
	case EXT_PRE_SHARED_KEY:
		out->has_psk = true;
		br_skip(eb, br_left(eb));
		break;
	case EXT_SESSION_TICKET:
		out->has_session_ticket = true;
		br_skip(eb, br_left(eb));
		break;
	default: br_skip(eb, br_left(eb)); break;
	}
	if (!br_ok(eb) || !br_empty(eb))
		out->anomalies |= TLS_AN_BAD_EXTENSION;
}

/* Drafts before 22 (0x7f00..0x7f15) and early builds saying 0x0304 sent a ServerHello
 * without legacy_session_id_echo and legacy_compression_method (draft-ietf-tls-tls13-21
 * section 4.1.3: version, random, cipher_suite, extensions). */
static bool sh_is_short_draft_form(uint16_t v)
{
	return v == 0x0304 || (v >= 0x7f00 && v < 0x7f16);
}

/* RFC 8446 section 4.1.3:
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id_echo<0..32>;
 *       CipherSuite cipher_suite;
 *       uint8 legacy_compression_method = 0;
 *       Extension extensions<6..2^16-1>;
 *   } ServerHello;
 * body is the handshake message body (after the 4-byte header), borrowed. */
enum tls_status tls_parse_server_hello(const uint8_t *body, size_t len, struct tls_server_hello *out)
{
	struct br r = br_make(body, len);

	memset(out, 0, sizeof(*out));
	out->legacy_version = br_u16(&r);
	const uint8_t *random = br_ptr(&r, 32);
	if (!br_ok(&r) || !random)
		return TLS_TRUNCATED;
	out->is_hrr = memcmp(random, hrr_random, sizeof(hrr_random)) == 0;

	if (sh_is_short_draft_form(out->legacy_version)) {
		out->cipher = br_u16(&r);
	} else {
		struct br sid = br_vec8(&r);
		out->cipher = br_u16(&r);
		out->compression = br_u8(&r);
		if (!br_ok(&r))
			return TLS_TRUNCATED;
		if (br_left(&sid) > 32)
			return TLS_MALFORMED;
		out->session_id_len = (uint8_t)br_left(&sid);
		br_copy(&sid, out->session_id, out->session_id_len);
	}
	if (!br_ok(&r))
		return TLS_TRUNCATED;

	if (br_empty(&r))
		return TLS_OK; /* RFC 5246 7.4.1.3: extensions may be absent */
	/* From here on only the extensions can be wrong: the version and cipher already read stay valid, so a
	 * damaged block is reported (exts_malformed, TLS_AN_BAD_EXTENSION) rather than dropping the hello. */
	if (br_left(&r) < 2) {
		out->anomalies |= TLS_AN_TRAILING_BYTES;
		return TLS_OK;
	}
	struct br exts = br_vec16(&r);
	if (!br_ok(&r)) {
		out->exts_malformed = true;
		out->anomalies |= TLS_AN_BAD_EXTENSION;
		return TLS_OK;
	}
	if (!br_empty(&r))
		out->anomalies |= TLS_AN_TRAILING_BYTES;

	struct ext_seen seen;
	memset(&seen, 0, sizeof(seen));
	while (!br_empty(&exts)) {
		uint16_t type = br_u16(&exts);
		struct br eb = br_vec16(&exts);
		if (!br_ok(&exts)) {
			out->exts_malformed = true; /* an extension runs past the block */
			out->anomalies |= TLS_AN_BAD_EXTENSION;
			break;
		}
		if (ext_seen_test_set(&seen, type))
			out->anomalies |= TLS_AN_DUP_EXTENSION;
		if (out->n_exts < TLS_MAX_EXTS)
			out->exts[out->n_exts++] = type;
		else
			out->anomalies |= TLS_AN_EXTS_CAPPED;
		if (out->n_exts_total < UINT16_MAX)
			out->n_exts_total++;
		parse_sh_extension(type, &eb, out);
	}
	return TLS_OK;
}

/* draft-hickman-netscape-ssl-00, "Client Only Protocol Messages":
 *   char MSG-CLIENT-HELLO (1)
 *   char CLIENT-VERSION-MSB, CLIENT-VERSION-LSB
 *   char CIPHER-SPECS-LENGTH-MSB, -LSB
 *   char SESSION-ID-LENGTH-MSB, -LSB
 *   char CHALLENGE-LENGTH-MSB, -LSB
 *   char CIPHER-SPECS-DATA[(MSB<<8)|LSB]     (3 bytes each)
 *   char SESSION-ID-DATA[(MSB<<8)|LSB]
 *   char CHALLENGE-DATA[(MSB<<8)|LSB]
 * after a 2-byte record header (high bit set, 15-bit length). The 3-byte header form
 * (with padding) is not used for a hello and is reported as TLS_UNSUPPORTED.
 * rec is borrowed and starts at the record header. TLS_NEED_MORE: the record is not
 * complete in rec[0..len). Specs whose first byte is 0 are TLS suites (RFC 5246 E.2)
 * and go into ciphers[]. */
enum tls_status tls_parse_sslv2_client_hello(const uint8_t *rec, size_t len, struct tls_client_hello *out,
					     size_t *ret_rec_len)
{
	struct br r = br_make(rec, len);

	memset(out, 0, sizeof(*out));
	if (br_left(&r) < 2)
		return TLS_NEED_MORE;
	uint16_t hdr = br_u16(&r);
	if (!(hdr & 0x8000))
		return TLS_UNSUPPORTED;
	size_t rec_len = hdr & 0x7fff;
	if (br_left(&r) < rec_len) {
		/* before committing to NEED_MORE, make sure what is there is a CLIENT-HELLO */
		if (br_left(&r) >= 1 && br_peek(&r, 0) != 1)
			return TLS_UNSUPPORTED;
		return TLS_NEED_MORE;
	}
	struct br m = br_sub(&r, rec_len);
	uint8_t type = br_u8(&m);
	if (!br_ok(&m))
		return TLS_MALFORMED;
	if (type != 1)
		return TLS_UNSUPPORTED;
	out->legacy_version = br_u16(&m);
	size_t cs_len = br_u16(&m);
	size_t sid_len = br_u16(&m);
	size_t chal_len = br_u16(&m);
	struct br cs = br_sub(&m, cs_len);
	br_skip(&m, sid_len);
	br_skip(&m, chal_len);
	if (!br_ok(&m))
		return TLS_MALFORMED; /* the lengths add up to more than the record */
	if (cs_len % 3 != 0 || sid_len > 32 || chal_len > 32)
		return TLS_MALFORMED;
	if (!br_empty(&m))
		out->anomalies |= TLS_AN_TRAILING_BYTES;

	out->record_version = 0x0002;
	out->sslv2_format = true;
	out->session_id_len = (uint8_t)sid_len;
	while (!br_empty(&cs)) {
		uint32_t spec = br_u24(&cs);
		if (spec > 0xffff)
			continue; /* an SSLv2 CIPHER-KIND, not a TLS suite */
		if (out->n_ciphers < TLS_MAX_CIPHERS)
			out->ciphers[out->n_ciphers++] = (uint16_t)spec;
		else
			out->anomalies |= TLS_AN_CIPHERS_CAPPED;
		out->n_ciphers_total++;
	}
	*ret_rec_len = 2 + rec_len;
	return TLS_OK;
}

enum tls_status tls_sslv2_hello_start(const uint8_t *data, size_t len, bool server)
{
	struct br r = br_make(data, len);
	uint8_t b[13] = {0};
	size_t need = server ? 13 : 11, have = br_left(&r) < need ? br_left(&r) : need;

	br_copy(&r, b, have);
	if (have >= 1 && !(b[0] & 0x80))
		return TLS_UNSUPPORTED;
	size_t rec_len = have >= 2 ? (size_t)(((b[0] & 0x7f) << 8) | b[1]) : 0;
	if (have >= 2 && rec_len < need - 2)
		return TLS_UNSUPPORTED;
	if (!server) {
		/* type 1, version 0x0002 or 0x03xx, cipher specs a non-zero multiple of 3,
		 * session id 0 or 16, challenge 16..32, and the lengths add up */
		if (have >= 3 && b[2] != 1)
			return TLS_UNSUPPORTED;
		if (have >= 4 && b[3] != 0x00 && b[3] != 0x03)
			return TLS_UNSUPPORTED;
		if (have >= 5 && (b[3] == 0x00 ? b[4] != 0x02 : b[4] > 0x04))
			return TLS_UNSUPPORTED;
		if (have < 11)
			return TLS_NEED_MORE;
		size_t cs = (size_t)((b[5] << 8) | b[6]), sid = (size_t)((b[7] << 8) | b[8]);
		size_t chal = (size_t)((b[9] << 8) | b[10]);
		if (cs == 0 || cs % 3 != 0 || (sid != 0 && sid != 16) || chal < 16 || chal > 32 ||
		    9 + cs + sid + chal != rec_len)
			return TLS_UNSUPPORTED;
		return TLS_OK;
	}
	/* SERVER-HELLO: type 4, session-id-hit 0/1, certificate type, version 0x0002, then
	 * certificate, cipher specs (multiple of 3) and connection id (16..32) add up */
	if (have >= 3 && b[2] != 4)
		return TLS_UNSUPPORTED;
	if (have >= 4 && b[3] > 1)
		return TLS_UNSUPPORTED;
	if (have >= 6 && b[5] != 0x00)
		return TLS_UNSUPPORTED;
	if (have >= 7 && b[6] != 0x02)
		return TLS_UNSUPPORTED;
	if (have < 13)
		return TLS_NEED_MORE;
	size_t cert = (size_t)((b[7] << 8) | b[8]), cs = (size_t)((b[9] << 8) | b[10]);
	size_t cid = (size_t)((b[11] << 8) | b[12]);
	if (cs % 3 != 0 || cid < 16 || cid > 32 || 11 + cert + cs + cid != rec_len)
		return TLS_UNSUPPORTED;
	return TLS_OK;
}
