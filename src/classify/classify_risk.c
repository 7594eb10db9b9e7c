/* classify_risk.c - nDPI 4.2's TLS flow risks and JA3 client hash, recomputed from tlsaudit's parsed facts.
 * specification: nDPI 4.2 (github.com/ntop/nDPI tag 4.2, commit 8b5c6af7, = Debian 12 libndpi 4.2-2):
 * src/lib/protocols/tls.c, src/lib/ndpi_main.c, src/lib/ndpi_utils.c. */

/*
 * Design note.
 *
 * Running nDPI's DPI on every packet of every TLS flow costs too much, so only the first flow of a
 * label-cache key gets real DPI (for its label); the risks and nDPI's JA3 of every flow are computed
 * here from facts tlsaudit parses anyway. The point of this file is to be *faithful*: each rule below is
 * nDPI 4.2's, quirks included, written from its source; tests/classify/test_classify_risk.c compares the
 * result with real nDPI (classify_packet/classify_finish) on hand-made flows and on every TLS flow of
 * the corpus. Bits are nDPI's ndpi_risk_enum values (bit r = 1 << r), named by ndpi_risk2str().
 *
 * Configuration assumed (classify.c): ndpi_init_detection_module(ndpi_no_prefs), no protocol, category,
 * risk or malicious-list files loaded, direction detection off, every payload packet of the flow fed in
 * order up to classify's cap, giveup without guessing. Hence never set on a TCP TLS flow here:
 * MALICIOUS_JA3, MALICIOUS_SHA1_CERTIFICATE, RISKY_DOMAIN, RISKY_ASN (their lists are empty), trusted
 * issuer DNs (none: every self-signed certificate counts), the HTTP, DNS, SSH, SMB risks. Plaintext
 * dissectors may set CLEAR_TEXT_CREDENTIALS on a STARTTLS-like flow (USER/PASS, AUTH before the
 * upgrade): that needs the plaintext dialogue, which is not among our facts (see classify_risk_combine).
 *
 * 1. How nDPI reaches the TLS rules at all (tls.c ndpi_search_tls_tcp, ndpi_search_tls_tcp_memory,
 *    processTLSBlock; ndpi_main.c ndpi_detection_process_packet, ndpi_extra_dissection_possible).
 *    - One reassembly buffer for BOTH directions; a packet is appended when its TCP seq equals the
 *      direction's expected one (the first packet of a direction always). The buffer is parsed as TLS
 *      records from its first byte: a flow whose first payload bytes are not a TLS record (STARTTLS,
 *      MySQL/PostgreSQL/RDP upgrades, capture started mid-stream) never gets its hello read
 *      (conn.tls_at_start). A later packet that is out of sequence, or the first one of the other
 *      direction when it does not start that direction's stream with a TLS record (an HTTP or SMTP
 *      answer, a capture that lost it), leaves garbage in the buffer: nothing from it on is read
 *      (conn.pkt_desync).
 *    - Records are split into handshake messages ("blocks"); a message that does not end inside its
 *      record sets something_went_wrong: the buffer is never consumed again (before detection) or the
 *      extra dissection ends (after). So a ClientHello spanning records is never read (no TLS at all);
 *      a ServerHello or Certificate spanning records ends the dissection there (conn.*_one_record).
 *    - Blocks: 1 ClientHello and 2 ServerHello go to processClientServerHello(); 11 Certificate goes to
 *      processCertificate() once a hello was processed. Any record type but 23 is split (an alert or
 *      CCS is too short to be). Every record of type 21 (alert, plaintext or not) with length >= 2 and
 *      first body byte 2 sets TLS_FATAL_ALERT.
 *    - After the hello that detects TLS, at most 12 further packets are dissected
 *      (tlsInitExtraPacketProcessing: max_extra_packets_to_check = 12 + 4 * num_tls_blocks_to_follow,
 *      the latter 0), and nDPI dissects at most 32 packets per flow (NDPI_MAX_NUM_PKTS_PER_FLOW_TO_DISSECT).
 *    - classify stops feeding once ndpi_extra_dissection_possible() says no: for master-or-app TLS when
 *      a Certificate was processed (certificate_processed), or at once for SMTPS/IMAPS/POPS (the port
 *      refinement below makes them the master, which the function does not list). A ServerHello after
 *      which ssl_version >= 0x0304 (TLS 1.3, drafts, HelloRetryRequest) sets certificate_processed too.
 *    - Once certificate_processed, handshake messages are no longer split: a second ClientHello after a
 *      HelloRetryRequest, or the real ServerHello after it, are never read.
 *
 * 2. ClientHello (processClientServerHello, handshake_type 1). ssl_version := legacy_version.
 *    - TLS_OBSOLETE_VERSION: legacy_version < 0x0303 (the client's, not the negotiated version).
 *    - TLS_SUSPICIOUS_EXTENSION (checkExtensions, every extension incl. GREASE): type > 59, not 65281, not
 *      in {65486 ESNI, 13172 NPN, 17513 ALPS, 30032 Channel ID, 65445 QUIC TP, the 16 GREASE values, 1035,
 *      16696, 102, 129, 52243, 52244, 57363, 65279, 65413}; or type 53/54 (DTLS only) on TCP; or an
 *      extension running past the handshake message (our parser rejects such a hello).
 *    - server_name: nDPI reads the first entry's length without looking at its type, keeps the LAST 79
 *      bytes (host_server_name[80]), lowercased (ndpi_hostname_sni_set), and from then on uses it as a C
 *      string: INVALID_CHARACTERS if a byte before the first NUL is outside 0x20..0x7e
 *      (ndpi_is_printable_string); a name starting with NUL is "no host name".
 *    - SUSPICIOUS_DGA_DOMAIN: ndpi_check_dga_name(host) unless the name matched nDPI's host automaton
 *      (also a label); masked for hosts containing ".local", ".msftconnecttest.com",
 *      "amupdatedl.microsoft.com", "update.microsoft.com.akadns.net", ".windowsupdate.com",
 *      ".ras.microsoft.com", "e5.sk", "sophosxl.net" (ndpi_add_domain_risk_exceptions). Only for the
 *      first ClientHello: for a later one the flow is already detected and the DGA check returns early.
 *      This needs the host automaton: classify_risk_host().
 *    - ALPN: the list, joined with ',' into a 256-byte buffer (an entry that does not fit ends it), is
 *      stored if none was stored before; its presence is what counts below.
 *    - ESNI (65486): nDPI stores its encrypted name if its walk of the body (suite, key share, record
 *      digest, encrypted_sni) ends inside the extension and strictly before the end of the message: a
 *      well-formed ESNI that is not the hello's last extension.
 *    - End-of-hello checks, reached when the extensions block fits the message or is absent (not for a
 *      hello ending with one stray byte after the compression methods):
 *      TLS_NOT_CARRYING_HTTPS: ssl_version >= 0x0303 and no ALPN list stored yet;
 *      TLS_SUSPICIOUS_ESNI_USAGE: ESNI stored and a host name;
 *      TLS_MISSING_SNI: no host name, ssl_version >= 0x0302, no ESNI.
 *      (ssl_version here is this hello's legacy_version; host, ALPN, ESNI persist from earlier hellos.)
 *    - JA3 (the same function): "legacy_version,ciphers,extensions,groups,point formats", decimal, '-'
 *      joined; GREASE (both bytes equal, low nibble 0xa) dropped from ciphers, extensions and groups
 *      (0 kept); groups read as (extension length - 2) / 2 values, point formats as extension length - 1
 *      bytes; more than 512 of any list = no JA3 (invalid_ja3); written with snprintf into a 1024-byte
 *      buffer, an element that does not fit ends its list (the separators still written while they fit),
 *      md5 of strlen() bytes. Each processed ClientHello overwrites the JA3; one that yields none leaves
 *      the previous one.
 *
 * 3. ServerHello (same function, handshake_type 2; also a HelloRetryRequest).
 *    - The cipher sits after the session id unless legacy_version >= 0x7f15 (nDPI's test; ours differs for
 *      0x7f00..0x7f14, 0x0304 and >= 0x7f16, so such hellos are marked inexact).
 *    - TLS_WEAK_CIPHER: ndpi_is_safe_ssl_cipher(cipher) == NDPI_CIPHER_WEAK. The INSECURE answer (RC4
 *      suites) does NOT set it: nDPI compares the result with 1 only.
 *    - TLS_SUSPICIOUS_EXTENSION: checkExtensions on each extension, as above.
 *    - supported_versions (length >= 2): ssl_version := its value.
 *    - ALPN: TLS_UNCOMMON_ALPN (tlsCheckUncommonALPN) if an entry of the STORED list (normally the
 *      client's) has no common ALPN as a case-sensitive substring (is_a_common_alpn: an Aho-Corasick
 *      automaton without end anchors; an empty entry is uncommon). The server's own list is stored only
 *      when the client sent none, and its malformations (also UNCOMMON) and non-printable bytes
 *      (INVALID_CHARACTERS) need the server's ALPN bytes, which are not among our facts.
 *    - A HelloRetryRequest: TLS 1.3 suite (never weak), extensions <= 59: no risk; ssl_version >= 0x0304.
 *
 * 4. Certificate (processCertificate, processCertificateElements), the server's first one only.
 *    - MALFORMED_PACKET: message >= 64 KiB, shorter than 7 bytes, or certificate_list length + 3 !=
 *      message length (conn.cert_malformed); nothing else is read then.
 *    - The leaf (only) is scanned byte by byte from its first byte to 10 bytes before its end (nDPI
 *      bounds the loop by the leaf's length in message coordinates) for byte patterns, anywhere:
 *      55 04 {03,06,07,08,0a,0b}: an RDN CN/C/L/ST/O/OU whose value (length byte at +4, at most 63 bytes,
 *      strncpy so up to a NUL) is appended as "CN=value" to a 2048-byte buffer if all printable;
 *      30 1e 17: a validity (notBefore, notAfter as UTCTime, parsed by glibc strptime("%y%m%d%H%M%SZ"):
 *      years 69..99 = 19xx; timegm truncated to u_int32_t). The buffer up to the first validity is the
 *      issuer DN, the buffer after it (reset) the subject DN. At each validity, with t = the packet's
 *      time in s (u32): TLS_CERT_VALIDITY_TOO_LONG if notBefore > 1598918400 and (u32)(notAfter -
 *      notBefore) > 34387200; TLS_CERTIFICATE_EXPIRED if t < notBefore or t > notAfter, else
 *      TLS_CERTIFICATE_ABOUT_TO_EXPIRE if t > notBefore and t > (u32)(notAfter - 30 * 86400).
 *      55 1d 11: subjectAltName, walked with nDPI's own skips; each rfc822Name/dNSName/ipAddress (as
 *      text) lowercased; INVALID_CHARACTERS if not printable; a bad length ends the walk with
 *      TLS_SUSPICIOUS_EXTENSION; TLS_CERTIFICATE_MISMATCH when a host name is set and no entry equals it
 *      or, for "*.x", has ".x" somewhere in the host with no '.' before it (strstr semantics).
 *      TLS_SELFSIGNED_CERTIFICATE: issuer DN string == subject DN string. INVALID_CHARACTERS also when the
 *      issuer DN overflowed its buffer (nDPI then tests the buffer's NUL).
 *    - Our reading differs from nDPI only where nDPI reads past the leaf (patterns in its last bytes).
 *
 * 5. Labels and ports (ndpi_main.c ndpi_detection_process_packet, ndpi_reconcile_protocols,
 *    ndpi_check_subprotocol_risk, tls.c ndpi_tls_refine_master_protocol). Decided on the packet that
 *    detects the flow (the ClientHello's, client to server), with the label of that moment:
 *    - KNOWN_PROTOCOL_ON_NON_STANDARD_PORT: found = the protocol whose default TCP port is min(sport,
 *      dport), else max(); if found is neither master nor app: unless the label is HTTP.ntop or master is
 *      TLS and found is IMAPS/POPS/SMTPS, set when dport is not a default port of (master ? master : app);
 *      otherwise, unless HTTP.ntop, when that protocol has default ports and neither port is one of them
 *      nor of app's.
 *    - UNSAFE_PROTOCOL: app's breed is unsafe, potentially dangerous or dangerous.
 *    - DESKTOP_OR_FILE_SHARING_SESSION: app AnyDesk (TCP), RDP or VNC (and master RDP/VNC: their
 *      dissectors set it on detection).
 *    We get the label nDPI ended with; a label refined later (certificate subject or SAN matching a
 *    host pattern) is applied here as if it had been there from the start.
 *
 * 6. What nDPI 4.2's label of such a flow depends on (for the label cache key):
 *    - the SNI: nDPI's host name (last 79 bytes, lowercased) against its host automaton ("TLS.Google");
 *      a DGA-looking "www.*.com/.net" name becomes "TLS.Tor" (tls.c, after ndpi_check_dga_name);
 *    - IPv4 lists, port-specific entries included (ndpi_guess_host_protocol_id ->
 *      ndpi_network_port_ptree_match): the sender of the flow's first payload packet first (for TLS the
 *      CLIENT), then the receiver. A client address in a list labels all its flows; IPv6: no lists;
 *    - ports of the packet carrying the hello, either end: 465/587 -> SMTPS, 993 -> IMAPS, 995 -> POPS
 *      (ndpi_tls_refine_master_protocol), so a client port counts too;
 *    - the certificate: when the SNI matched nothing (an IP-list label does not stop it) each SAN
 *      dNSName against the host automaton; with no subprotocol yet, the subject DN against the
 *      certificate-subject automaton, whose result is also cached in the module (tls_cert_cache, LRU of
 *      1024 keyed by IPv4 server address + port as a plain sum) and applied at the hello of LATER flows
 *      to that server: per-thread cross-flow state;
 *    - a plaintext start: the plaintext dissectors decide (SMTP, POP, FTP_CONTROL, IMAP -> IMAPS after
 *      STARTTLS, XMPP -> Jabber, LDAP misread as MQTT, PostgreSQL, MySQL, RDP), never the TLS one;
 *    - the packet layout of section 1, which can leave it "" or non-TLS.
 *    Not: ALPN, ciphers, versions, extensions (no JA3 list loaded), anything after the certificate.
 *    classify_ip_protocol() gives the IP-list part for a key.
 *
 * 7. Facts used beyond the parsed hellos (struct classify_risk_conn) and why: nDPI's answer depends on
 *    its packet-level reading (section 1), so the packet numbers of the events, whether each message
 *    lay within one record, and where the one shared buffer breaks are needed. The leaf's DER is needed
 *    rather than struct cert_info: nDPI's self-signed test compares DN strings built from six attribute
 *    types (cert_info keeps only CNs, and its self_signed also verifies the signature), its expiry tests
 *    see UTCTime only (cert_info converts GeneralizedTime too) and its SAN walk has its own quirks.
 *    Not among our facts, so approximated (exact = false, or listed in the conformance test): the
 *    server's ALPN bytes (checked only when the client sent no ALPN, or malformed), the ESNI body (taken
 *    as well-formed), the HelloRetryRequest's own fields (taken as harmless), the bytes of a ClientHello
 *    past our parser's first error, the first byte of encrypted alert records (nDPI reads a level out of
 *    ciphertext), the label of the moment of detection, the plaintext dialogue (CLEAR_TEXT_CREDENTIALS).
 *
 * The per-connection combine (classify_risk_combine) replays section 1 with packet numbers.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include <ndpi_api.h>

#include "classify_internal.h"
#include "tlsaudit/classify.h"
#include "tlsaudit/reader.h"
#include "tlsaudit/tls.h"

#define RISK(r) ((uint64_t)1 << (r))

/* nDPI constants used below (tls.c, ndpi_main.c). */
#define NDPI_HOST_MAX	    79		   /* sizeof(flow->host_server_name) - 1 */
#define NDPI_JA3_STR_LEN    1024	   /* JA3_STR_LEN */
#define NDPI_MAX_NUM_JA3    512		   /* MAX_NUM_JA3 */
#define NDPI_ALPN_BUF	    256		   /* char alpn_str[256] */
#define NDPI_RDN_BUF	    2048	   /* char rdnSeqBuf[2048] */
#define NDPI_RDN_VALUE	    64		   /* char buffer[64] */
#define NDPI_TLS_THRESHOLD  34387200u	   /* TLS_THRESHOLD */
#define NDPI_TLS_LIMIT_DATE 1598918400u	   /* TLS_LIMIT_DATE */
#define NDPI_EXPIRE_SOON    (30u * 86400u) /* tls_certificate_expire_in_x_days (30) * 86400 */
#define NDPI_EXTRA_PACKETS  12u		   /* max_extra_packets_to_check */
#define NDPI_MAX_PACKETS    32u		   /* NDPI_MAX_NUM_PKTS_PER_FLOW_TO_DISSECT */
#define NDPI_CERT_OFFSET    10u		   /* first certificate's offset in the handshake message */

enum { EXT_SNI = 0, EXT_ALPN = 16, EXT_SUPPORTED_VERSIONS = 43, EXT_ESNI = 65486, EXT_RENEGOTIATION = 65281 };

/* nDPI's ndpi_isprint() on a (signed) char: bytes >= 0x80 are not printable. */
static bool risk_isprint(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

static bool risk_has_ext(const uint16_t *exts, size_t n, uint16_t type)
{
	for (size_t i = 0; i < n; i++)
		if (exts[i] == type)
			return true;
	return false;
}

/* tls.c checkExtensions(): the extension-type part (is_dtls = 0). */
static bool risk_ext_suspicious(uint16_t id)
{
	static const uint16_t allowed[] = {
		65486, 13172, 17513, 30032, 65445,					     /* named */
		2570,  6682,  10794, 14906, 19018, 23130, 27242, 31354, 35466, 39578, 43690, /* GREASE */
		47802, 51914, 56026, 60138, 64250, 1035,  16696, 102,	129,   52243, 52244, /* "groups", "ciphers" */
		57363, 65279, 65413,
	};

	if (id == 53 || id == 54)
		return true; /* DTLS-only extensions on TCP */
	if (id <= 59 || id == EXT_RENEGOTIATION)
		return false;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i] == id)
			return false;
	return true;
}

static uint64_t risk_exts(const uint16_t *exts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (risk_ext_suspicious(exts[i]))
			return RISK(NDPI_TLS_SUSPICIOUS_EXTENSION);
	return 0;
}

/* ---- ClientHello --------------------------------------------------------- */

/* nDPI's host_server_name from ch's server_name (ndpi_hostname_sni_set): the last NDPI_HOST_MAX bytes,
 * lowercased (tolower, C locale), up to the first NUL. Returns its strlen(). */
static size_t risk_ndpi_name(const char *sni, size_t len, char out[NDPI_HOST_MAX + 1])
{
	size_t keep = len < NDPI_HOST_MAX ? len : NDPI_HOST_MAX, n = 0;

	for (size_t i = 0; i < keep; i++) {
		char c = sni[len - keep + i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[keep] = '\0';
	while (n < keep && out[n] != '\0')
		n++;
	return n;
}

static size_t risk_ndpi_host(const struct tls_client_hello *ch, char out[NDPI_HOST_MAX + 1])
{
	return risk_ndpi_name(ch->sni, ch->sni_len <= TLS_MAX_SNI ? ch->sni_len : TLS_MAX_SNI, out);
}

/* is_a_common_alpn(): some common ALPN (load_common_alpns) occurs in s[0..len), case-sensitively (the
 * automaton's lowercase feature is switched on after its patterns are added, so it is refused). */
#define ALPN(x)                  \
	{                        \
		x, sizeof(x) - 1 \
	}
static const struct {
	const char *s;
	size_t len;
} risk_common_alpns[] = {
	ALPN("http/0.9"),
	ALPN("http/1.0"),
	ALPN("http/1.1"),
	ALPN("spdy/1"),
	ALPN("spdy/2"),
	ALPN("spdy/3"),
	ALPN("spdy/3.1"),
	ALPN("stun.turn"),
	ALPN("stun.nat-discovery"),
	ALPN("h2"),
	ALPN("h2c"),
	ALPN("h2-16"),
	ALPN("h2-15"),
	ALPN("h2-14"),
	ALPN("h2-fb"),
	ALPN("webrtc"),
	ALPN("c-webrtc"),
	ALPN("ftp"),
	ALPN("imap"),
	ALPN("pop3"),
	ALPN("managesieve"),
	ALPN("coap"),
	ALPN("xmpp-client"),
	ALPN("xmpp-server"),
	ALPN("acme-tls/1"),
	ALPN("mqtt"),
	ALPN("dot"),
	ALPN("ntske/1"),
	ALPN("sunrpc"),
	ALPN("h3"),
	ALPN("smb"),
	ALPN("irc"),
	ALPN("h3-T051"),
	ALPN("h3-T050"),
	ALPN("h3-32"),
	ALPN("h3-30"),
	ALPN("h3-29"),
	ALPN("h3-28"),
	ALPN("h3-27"),
	ALPN("h3-24"),
	ALPN("h3-22"),
	ALPN("hq-30"),
	ALPN("hq-29"),
	ALPN("hq-28"),
	ALPN("hq-27"),
	ALPN("h3-fb-05"),
	ALPN("h1q-fb"),
	ALPN("doq-i00"),
	ALPN("apns-security-v3"),
	ALPN("apns-pack-v1"),
};
#undef ALPN

static bool risk_alpn_common(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(risk_common_alpns) / sizeof(risk_common_alpns[0]); i++) {
		size_t pl = risk_common_alpns[i].len;
		for (size_t at = 0; pl <= len && at <= len - pl; at++)
			if (s[at] == risk_common_alpns[i].s[0] && memcmp(s + at, risk_common_alpns[i].s, pl) == 0)
				return true;
	}
	return false;
}

/* The ALPN string nDPI stores for ch (tls.c, extension 16 of a ClientHello) and whether
 * tlsCheckUncommonALPN() would flag it. Sets *exact false when our copy of the list was capped. */
static bool risk_alpn_uncommon(const struct tls_client_hello *ch, bool *exact)
{
	char s[NDPI_ALPN_BUF];
	size_t n = 0;
	struct br r = br_make(ch->alpn, ch->alpn_len <= TLS_MAX_ALPN_BYTES ? ch->alpn_len : TLS_MAX_ALPN_BYTES);

	if (ch->anomalies & TLS_AN_ALPN_CAPPED)
		*exact = false;
	while (!br_empty(&r)) {
		size_t l = br_u8(&r);
		if (l > br_left(&r))
			break; /* (s_offset + alpn_len) > tot_alpn_len */
		if (n + l + 1 >= sizeof(s) - 1)
			break; /* ((uint32_t)alpn_str_len + alpn_len + 1) < (sizeof(alpn_str) - 1) failed */
		if (n > 0)
			s[n++] = ',';
		br_copy(&r, s + n, l);
		n += l;
	}
	s[n] = '\0';
	n = strlen(s); /* ndpi_strdup() */

	/* tlsCheckUncommonALPN(): each ','-separated entry, the last one up to the NUL */
	size_t start = 0;
	for (;;) {
		size_t end = start;
		while (end < n && s[end] != ',')
			end++;
		if (!risk_alpn_common(s + start, end - start))
			return true;
		if (end >= n)
			return false;
		start = end + 1;
	}
}

/* snprintf-append exactly as tls.c does: advance only if the whole element fit. */
static bool risk_ja3_put(char *s, size_t *len, const char *sep, unsigned v)
{
	int rc = snprintf(s + *len, NDPI_JA3_STR_LEN - *len, "%s%u", sep, v);
	if (rc > 0 && *len + (size_t)rc < NDPI_JA3_STR_LEN) {
		*len += (size_t)rc;
		return true;
	}
	return false;
}

static void risk_ja3_sep(char *s, size_t *len)
{
	int rc = snprintf(s + *len, NDPI_JA3_STR_LEN - *len, ",");
	if (rc > 0 && *len + (size_t)rc < NDPI_JA3_STR_LEN)
		*len += (size_t)rc;
}

/* One JA3 list: values[0..n) without GREASE (if skip_grease). Returns false if nDPI would find more
 * than NDPI_MAX_NUM_JA3 of them (invalid_ja3). */
static bool risk_ja3_list(char *s, size_t *len, const uint16_t *v, size_t n, bool skip_grease)
{
	size_t kept = 0;
	bool full = false;

	for (size_t i = 0; i < n; i++) {
		if (skip_grease && tls_is_grease(v[i]))
			continue;
		if (++kept > NDPI_MAX_NUM_JA3)
			return false;
		if (!full && !risk_ja3_put(s, len, kept > 1 ? "-" : "", v[i]))
			full = true; /* the loop breaks here in nDPI; counting went on while parsing */
	}
	return true;
}

static size_t risk_non_grease(const uint16_t *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += !tls_is_grease(v[i]);
	return k;
}

/* Whether nDPI's parse of ch reaches its end-of-hello code (JA3 and the checks): the extensions block
 * fits or is absent; a hello ending with one stray byte after the compression methods does not. */
static bool risk_hello_checks(const struct tls_client_hello *ch, bool *exact)
{
	if (ch->n_exts_total == 0 && (ch->anomalies & TLS_AN_TRAILING_BYTES)) {
		/* either one stray byte (nDPI stops: offset + 1 == total_len) or an empty extensions block
		 * followed by junk (nDPI goes on); our parser does not tell them apart */
		*exact = false;
		return false;
	}
	return true;
}

bool classify_ndpi_ja3(const struct tls_client_hello *ch, char out[33])
{
	char s[NDPI_JA3_STR_LEN];
	size_t len = 0;
	bool exact = true;
	uint16_t pf[TLS_MAX_POINT_FORMATS];
	unsigned char md[16];

	out[0] = '\0';
	if (ch->sslv2_format || !risk_hello_checks(ch, &exact))
		return false;
	for (size_t i = 0; i < TLS_MAX_POINT_FORMATS && i < ch->n_point_formats; i++)
		pf[i] = ch->point_formats[i];

	int rc = snprintf(s, sizeof(s), "%u,", (unsigned)ch->legacy_version);
	if (rc <= 0)
		return false;
	len = (size_t)rc;
	size_t nc = ch->n_ciphers < TLS_MAX_CIPHERS ? ch->n_ciphers : TLS_MAX_CIPHERS;
	size_t ne = ch->n_exts < TLS_MAX_EXTS ? ch->n_exts : TLS_MAX_EXTS;
	size_t ng = ch->n_groups < TLS_MAX_GROUPS ? ch->n_groups : TLS_MAX_GROUPS;
	size_t np = ch->n_point_formats < TLS_MAX_POINT_FORMATS ? ch->n_point_formats : TLS_MAX_POINT_FORMATS;
	/* values past our caps are only counted: taken as non-GREASE for nDPI's 512 rule. They would also
	 * follow in the string, which matters only when it is not full yet (classify_risk_hello: inexact) */
	size_t more_c = ch->n_ciphers_total > nc ? ch->n_ciphers_total - nc : 0;
	size_t more_e = ch->n_exts_total > ne ? ch->n_exts_total - ne : 0;
	if (risk_non_grease(ch->ciphers, nc) + more_c > NDPI_MAX_NUM_JA3 ||
	    risk_non_grease(ch->exts, ne) + more_e > NDPI_MAX_NUM_JA3)
		return false;
	if (!risk_ja3_list(s, &len, ch->ciphers, nc, true))
		return false;
	risk_ja3_sep(s, &len);
	if (!risk_ja3_list(s, &len, ch->exts, ne, true))
		return false;
	risk_ja3_sep(s, &len);
	if (!risk_ja3_list(s, &len, ch->groups, ng, true))
		return false;
	risk_ja3_sep(s, &len);
	if (!risk_ja3_list(s, &len, pf, np, false))
		return false;

	ndpi_md5((const u_char *)s, strlen(s), md);
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return true;
}

void classify_risk_hello(const struct tls_client_hello *ch, bool complete, struct classify_risk_hello *out)
{
	size_t n_exts = ch->n_exts <= TLS_MAX_EXTS ? ch->n_exts : TLS_MAX_EXTS;

	memset(out, 0, sizeof(*out));
	out->exact = true;
	if (ch->sslv2_format)
		return; /* nDPI's record parser reads an SSLv2 header as garbage: never a hello */
	out->valid = true;
	out->version = ch->legacy_version;
	/* ssl_version and this risk come first in processClientServerHello, before anything can fail */
	if (ch->legacy_version < 0x0303)
		out->risks |= RISK(NDPI_TLS_OBSOLETE_VERSION);
	if (!complete) {
		out->exact = false; /* where nDPI's own parse stops, and what it read before, is unknown */
		return;
	}
	out->risks |= risk_exts(ch->exts, n_exts);

	/* what our parser keeps is what nDPI reads only when nothing was capped or malformed */
	if (ch->anomalies & (TLS_AN_CIPHERS_CAPPED | TLS_AN_EXTS_CAPPED | TLS_AN_BAD_EXTENSION | TLS_AN_SNI_TRUNCATED |
			     TLS_AN_ODD_CIPHER_LEN | TLS_AN_GROUPS_CAPPED))
		out->exact = false;
	if (ch->n_point_formats >= TLS_MAX_POINT_FORMATS)
		out->exact = false; /* our parser keeps 8 point formats and does not flag more */
	if (risk_has_ext(ch->exts, n_exts, EXT_SNI) && !ch->has_sni)
		out->exact = false; /* nDPI would read some length out of an SNI we found no host_name in */

	if (ch->has_sni) {
		out->sets_host = true;
		classify_risk_hello_host(ch->sni, ch->sni_len <= TLS_MAX_SNI ? ch->sni_len : TLS_MAX_SNI, false, out);
	}
	if (risk_has_ext(ch->exts, n_exts, EXT_ALPN)) {
		out->has_alpn = true;
		out->alpn_uncommon = risk_alpn_uncommon(ch, &out->exact);
	}
	out->esni = risk_has_ext(ch->exts, n_exts, EXT_ESNI);
	if (out->esni) {
		/* nDPI stores the ESNI only if its walk of the body works out (we keep no body: taken as
		 * well-formed) and the encrypted name ends before the handshake message does
		 * (e_offset + e_sni_len < payload_packet_len): not when it is the message's last extension */
		out->exact = false;
		if (n_exts == ch->n_exts_total && n_exts > 0 && ch->exts[n_exts - 1] == EXT_ESNI &&
		    !(ch->anomalies & TLS_AN_TRAILING_BYTES))
			out->esni = false;
	}
	out->checks = risk_hello_checks(ch, &out->exact);
	out->has_ja3 = classify_ndpi_ja3(ch, out->ja3);
}

void classify_risk_hello_host(const char *sni, size_t len, bool truncated, struct classify_risk_hello *out)
{
	char host[NDPI_HOST_MAX + 1];

	if (!out->sets_host)
		return;
	size_t hl = risk_ndpi_name(sni, len, host);
	out->host_nonempty = hl > 0;
	out->risks &= ~RISK(NDPI_INVALID_CHARACTERS);
	for (size_t i = 0; i < hl; i++)
		if (!risk_isprint((uint8_t)host[i])) {
			out->risks |= RISK(NDPI_INVALID_CHARACTERS);
			break;
		}
	if (truncated)
		out->exact = false;
}

/* ---- ServerHello --------------------------------------------------------- */

void classify_risk_server(const struct tls_server_hello *sh, struct classify_risk_server *out)
{
	size_t n_exts = sh->n_exts <= TLS_MAX_EXTS ? sh->n_exts : TLS_MAX_EXTS;
	uint16_t v = sh->legacy_version;

	memset(out, 0, sizeof(*out));
	out->exact = !(sh->anomalies & TLS_AN_EXTS_CAPPED) && !sh->sslv2_format;
	/* nDPI skips a session id unless legacy_version >= 0x7f15; our parser knows the draft forms */
	if (v == 0x0304 || (v >= 0x7f00 && v < 0x7f15) || v >= 0x7f16)
		out->exact = false;
	if (ndpi_is_safe_ssl_cipher(sh->cipher) == NDPI_CIPHER_WEAK)
		out->risks |= RISK(NDPI_TLS_WEAK_CIPHER);
	out->risks |= risk_exts(sh->exts, n_exts);
	if (risk_has_ext(sh->exts, n_exts, EXT_SUPPORTED_VERSIONS))
		out->version = sh->selected_version;
	out->has_alpn = risk_has_ext(sh->exts, n_exts, EXT_ALPN);
}

/* ---- Certificate --------------------------------------------------------- */

/* The scan state of processCertificateElements(), over the leaf in nDPI's message coordinates: byte k of
 * the handshake message is der[k - NDPI_CERT_OFFSET]; the message is taken to end with the leaf. */
struct risk_cert_scan {
	struct br der;		/* the leaf */
	size_t msg_len;		/* packet->payload_packet_len */
	char rdn[NDPI_RDN_BUF]; /* rdnSeqBuf */
	size_t rdn_len;		/* rdn_len (may pass the buffer's size, as in nDPI) */
	char issuer[NDPI_RDN_BUF];
	bool have_issuer, have_subject;
	unsigned num_found;
	uint32_t not_before, not_after;
	char host[NDPI_HOST_MAX + 1];
	struct classify_risk_cert *out;
};

static uint8_t risk_at(const struct risk_cert_scan *s, size_t k)
{
	return k < NDPI_CERT_OFFSET ? 0 : br_peek(&s->der, k - NDPI_CERT_OFFSET);
}

/* strncpy(dst, &payload[k], n) + NUL: stops at a NUL byte, dst holds n + 1. */
static void risk_copy_str(const struct risk_cert_scan *s, size_t k, size_t n, char *dst)
{
	size_t i = 0;
	for (; i < n; i++) {
		uint8_t c = risk_at(s, k + i);
		if (c == 0)
			break;
		dst[i] = (char)c;
	}
	for (; i <= n; i++)
		dst[i] = '\0';
}

/* tls.c extractRDNSequence(): -1 stop, 0 not printable, 1 appended. */
static int risk_rdn(struct risk_cert_scan *s, size_t k, const char *label)
{
	uint8_t str_len = risk_at(s, k + 4);
	char value[NDPI_RDN_VALUE];

	if (s->rdn_len >= sizeof(s->rdn))
		return -1;
	if (k + 4 + str_len >= s->msg_len)
		return -1;
	size_t len = str_len < sizeof(value) - 1 ? str_len : sizeof(value) - 1;
	risk_copy_str(s, k + 5, len, value);
	for (size_t j = 0; j < len; j++)
		if (!risk_isprint((uint8_t)value[j]))
			return 0; /* strncpy padded with NULs: a short value is "not printable" too */
	int rc = snprintf(s->rdn + s->rdn_len, sizeof(s->rdn) - s->rdn_len, "%s%s=%s", s->rdn_len > 0 ? ", " : "",
			  label, value);
	if (rc > 0)
		s->rdn_len += (size_t)rc;
	return 1;
}

static bool risk_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static bool risk_isspace(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* glibc strptime's get_number(): spaces, then up to 2 digits, stopping early when the value times 10
 * would exceed the maximum. */
static bool risk_get_number(const char **p, int lo, int hi, int *ret)
{
	const char *rp = *p;
	int val = 0, n = 2;

	while (risk_isspace(*rp))
		rp++;
	if (!risk_isdigit(*rp))
		return false;
	do {
		val = val * 10 + (*rp++ - '0');
	} while (--n > 0 && val * 10 <= hi && risk_isdigit(*rp));
	if (val < lo || val > hi)
		return false;
	*p = rp;
	*ret = val;
	return true;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static int64_t risk_days(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* strptime(s, "%y%m%d%H%M%SZ") then timegm(), truncated to u_int32_t as nDPI stores it. */
static bool risk_utctime(const char *s, uint32_t *ret)
{
	int yy, mo, dd, hh, mi, ss;

	if (!risk_get_number(&s, 0, 99, &yy) || !risk_get_number(&s, 1, 12, &mo) || !risk_get_number(&s, 1, 31, &dd) ||
	    !risk_get_number(&s, 0, 23, &hh) || !risk_get_number(&s, 0, 59, &mi) || !risk_get_number(&s, 0, 61, &ss))
		return false;
	if (*s != 'Z')
		return false;
	int64_t year = yy >= 69 ? 1900 + yy : 2000 + yy;
	int64_t t = risk_days(year, mo, 1) + dd - 1; /* timegm() normalises a day past the month's end */
	t = t * 86400 + hh * 3600 + mi * 60 + ss;
	*ret = (uint32_t)t;
	return true;
}

/* The validity at message offset i ("30 1e 17"). */
static void risk_validity(struct risk_cert_scan *s, size_t i)
{
	uint8_t len = risk_at(s, i + 3);
	size_t off = i + 4;
	char date[32];

	if (s->num_found == 0) {
		s->num_found++;
		if (s->rdn_len && !s->have_issuer) {
			memcpy(s->issuer, s->rdn, sizeof(s->issuer));
			s->issuer[sizeof(s->issuer) - 1] = '\0';
			s->have_issuer = true;
			/* ndpi_is_printable_string(rdnSeqBuf, rdn_len): fails only on the NUL of a full buffer */
			if (s->rdn_len > strlen(s->rdn))
				s->out->risks |= RISK(NDPI_INVALID_CHARACTERS);
		}
		s->rdn_len = 0;
	}
	if (off + len >= s->msg_len)
		return;
	if (len < sizeof(date) - 1) {
		risk_copy_str(s, i + 4, len, date);
		(void)risk_utctime(date, &s->not_before);
	}
	off += len;
	if (off + 1 >= s->msg_len)
		return;
	len = risk_at(s, off + 1);
	off += 2;
	if (off + len >= s->msg_len)
		return;
	if (len < sizeof(date) - 1) {
		risk_copy_str(s, off, len, date);
		(void)risk_utctime(date, &s->not_after);
	}
	if (s->not_before > NDPI_TLS_LIMIT_DATE && (uint32_t)(s->not_after - s->not_before) > NDPI_TLS_THRESHOLD)
		s->out->risks |= RISK(NDPI_TLS_CERT_VALIDITY_TOO_LONG);
	if (s->out->n_validity < CLASSIFY_RISK_MAX_VALIDITY) {
		s->out->not_before[s->out->n_validity] = s->not_before;
		s->out->not_after[s->out->n_validity] = s->not_after;
		s->out->n_validity++;
	} else {
		s->out->exact = false;
	}
}

/* The subjectAltName at message offset i ("55 1d 11"); returns the offset nDPI's loop goes on from. */
static size_t risk_san(struct risk_cert_scan *s, size_t i)
{
	size_t m = s->msg_len;
	bool matched = s->host[0] == '\0';

	i += 3;
	i += risk_at(s, i) == 0x04 ? 1 : 4;
	if (i >= m)
		return i;
	i += (risk_at(s, i) & 0x80) ? (risk_at(s, i) & 0x7f) : 0;
	if (i >= m)
		return i;
	i += 2;
	if (i >= m)
		return i;
	i += (risk_at(s, i) & 0x80) ? (risk_at(s, i) & 0x7f) : 0;
	i++;
	while (i < m) {
		uint8_t type = risk_at(s, i);
		if (type != 0x81 && type != 0x82 && type != 0x87)
			break;
		if (!(i < m - 1 && i + risk_at(s, i + 1) + 2 < m)) {
			s->out->risks |= RISK(NDPI_TLS_SUSPICIOUS_EXTENSION);
			break;
		}
		uint8_t len = risk_at(s, i + 1);
		char name[256];
		i += 2;
		if (len == 0 || i + len > m)
			break;
		if (type == 0x87) {
			uint8_t a[16];
			for (size_t j = 0; j < 16; j++)
				a[j] = risk_at(s, i + j);
			if (len == 4)
				snprintf(name, sizeof(name), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
			else if (len != 16 || !inet_ntop(AF_INET6, a, name, sizeof(name)))
				name[0] = '\0';
		} else {
			risk_copy_str(s, i, len, name);
		}
		size_t nl = strlen(name);
		for (size_t j = 0; j < nl; j++)
			if (name[j] >= 'A' && name[j] <= 'Z')
				name[j] = (char)(name[j] - 'A' + 'a');
		for (size_t j = 0; j < nl; j++)
			if (!risk_isprint((uint8_t)name[j])) {
				s->out->risks |= RISK(NDPI_INVALID_CHARACTERS);
				break;
			}
		if (!matched) {
			if (name[0] == '*') {
				const char *label = strstr(s->host, name + 1);
				if (label) {
					const char *dot = strchr(s->host, '.');
					if (!dot || dot <= label)
						matched = true;
				}
			} else if (strcmp(s->host, name) == 0) {
				matched = true;
			}
		}
		i += len;
	}
	if (!matched)
		s->out->risks |= RISK(NDPI_TLS_CERTIFICATE_MISMATCH);
	return i;
}

void classify_risk_cert(const uint8_t *der, size_t der_len, const struct tls_client_hello *host,
			struct classify_risk_cert *out)
{
	static const struct {
		uint8_t oid;
		const char *label;
	} rdns[] = {{0x03, "CN"}, {0x06, "C"}, {0x07, "L"}, {0x08, "ST"}, {0x0a, "O"}, {0x0b, "OU"}};
	struct risk_cert_scan s;

	memset(out, 0, sizeof(*out));
	out->exact = true;
	memset(&s, 0, sizeof(s));
	s.out = out;
	s.der = br_make(der, der_len);
	s.msg_len = NDPI_CERT_OFFSET + der_len;
	if (host && host->has_sni)
		(void)risk_ndpi_host(host, s.host);
	if (der_len == 0 || der_len >= ((size_t)1 << 16))
		return; /* processCertificate() stops before the leaf (a leaf >= 64 KiB has a non-zero first byte) */

	/* for(i = p_offset; i < certificate_len; i++): i is a u_int16_t; certificate_len = der_len */
	for (size_t i = NDPI_CERT_OFFSET; i < der_len; i++) {
		uint8_t a = risk_at(&s, i), b = risk_at(&s, i + 1), c = risk_at(&s, i + 2);
		if (a == 0x55 && b == 0x04) {
			bool stop = false;
			for (size_t r = 0; r < sizeof(rdns) / sizeof(rdns[0]); r++)
				if (c == rdns[r].oid) {
					stop = risk_rdn(&s, i, rdns[r].label) < 0;
					break;
				}
			if (stop)
				break;
		} else if (a == 0x30 && b == 0x1e && c == 0x17) {
			risk_validity(&s, i);
		} else if (a == 0x55 && b == 0x1d && c == 0x11) {
			i = risk_san(&s, i);
		}
	}
	if (s.rdn_len) {
		s.have_subject = true;
		if (s.have_issuer && strcmp(s.rdn, s.issuer) == 0)
			out->risks |= RISK(NDPI_TLS_SELFSIGNED_CERTIFICATE);
	}
}

/* ---- labels -------------------------------------------------------------- */

/* nDPI's static protocol tables, copied once per process from the first module seen: names, breeds,
 * default TCP ports, and the port -> protocol map of its default-port tree (ndpi_get_guessed_protocol_id). */
#define RISK_MAX_PROTOS	 1024
#define RISK_PROTO_NAME	 48
#define RISK_MAX_PORTMAP 4096

struct risk_proto {
	char name[RISK_PROTO_NAME];
	size_t name_len;
	uint16_t id;
	uint8_t breed;
	uint16_t tcp_ports[MAX_DEFAULT_PORTS];
};

struct risk_portmap {
	uint16_t port, proto;
};

static struct {
	atomic_bool built; /* set (release) once the rest is filled; then read-only */
	size_t n_protos;
	struct risk_proto protos[RISK_MAX_PROTOS];
	size_t n_ports;
	struct risk_portmap ports[RISK_MAX_PORTMAP]; /* sorted by port */
} risk_tables;
static pthread_mutex_t risk_tables_lock = PTHREAD_MUTEX_INITIALIZER;

static int risk_tables_build(struct ndpi_detection_module_struct *ndpi)
{
	ndpi_proto_defaults_t *defs = ndpi_get_proto_defaults(ndpi);
	u_int n = ndpi_get_num_supported_protocols(ndpi);
	int rc = 0;

	if (atomic_load_explicit(&risk_tables.built, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&risk_tables_lock);
	if (atomic_load_explicit(&risk_tables.built, memory_order_relaxed))
		goto out;
	if (!defs || n > RISK_MAX_PROTOS) {
		rc = -ENOMEM;
		goto out;
	}
	risk_tables.n_protos = 0;
	for (u_int i = 0; i < n; i++) {
		struct risk_proto *p;
		if (!defs[i].protoName || strlen(defs[i].protoName) >= RISK_PROTO_NAME)
			continue;
		p = &risk_tables.protos[risk_tables.n_protos++];
		p->name_len = strlen(defs[i].protoName);
		memcpy(p->name, defs[i].protoName, p->name_len + 1);
		p->id = (uint16_t)i;
		p->breed = (uint8_t)defs[i].protoBreed;
		memcpy(p->tcp_ports, defs[i].tcp_default_ports, sizeof(p->tcp_ports));
	}
	risk_tables.n_ports = 0;
	for (uint32_t port = 1; port <= 0xffff; port++) {
		u_int8_t user = 0;
		u_int16_t id = ndpi_guess_protocol_id(ndpi, NULL, IPPROTO_TCP, (u_int16_t)port, (u_int16_t)port, &user);
		if (id == NDPI_PROTOCOL_UNKNOWN)
			continue;
		if (risk_tables.n_ports == RISK_MAX_PORTMAP) {
			rc = -ENOMEM;
			goto out;
		}
		risk_tables.ports[risk_tables.n_ports].port = (uint16_t)port;
		risk_tables.ports[risk_tables.n_ports].proto = id;
		risk_tables.n_ports++;
	}
	atomic_store_explicit(&risk_tables.built, true, memory_order_release);
out:
	pthread_mutex_unlock(&risk_tables_lock);
	return rc;
}

static const struct risk_proto *risk_proto_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < risk_tables.n_protos; i++) {
		const struct risk_proto *p = &risk_tables.protos[i];
		if (p->name_len == len && memcmp(p->name, name, len) == 0)
			return p;
	}
	return NULL;
}

/* ndpi_get_guessed_protocol_id() for one port: 0 if no protocol has it as a default port. */
static uint16_t risk_port_proto(uint16_t port)
{
	size_t lo = 0, hi = risk_tables.n_ports;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (risk_tables.ports[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < risk_tables.n_ports && risk_tables.ports[lo].port == port ? risk_tables.ports[lo].proto : 0;
}

static bool risk_is(uint16_t id, uint16_t a, uint16_t b, uint16_t c, uint16_t d)
{
	return id != 0 && (id == a || id == b || id == c || id == d);
}

int classify_label_info(struct classify *c, const char *label, struct classify_label *out)
{
	const struct risk_proto *m = NULL, *a = NULL;
	size_t len = strlen(label);
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = risk_tables_build(classify_module(c))) != 0)
		return rc;
	if (len == 0)
		return 0; /* unknown: nothing follows from the label */
	/* ndpi_protocol2name(): "master.app", or "app" when there is no (other) master */
	a = risk_proto_by_name(label, len);
	for (size_t dot = 0; !a && dot < len; dot++) {
		if (label[dot] != '.')
			continue;
		m = risk_proto_by_name(label, dot);
		a = m ? risk_proto_by_name(label + dot + 1, len - dot - 1) : NULL;
		if (!a)
			m = NULL;
	}
	if (!a)
		return -EINVAL;

	out->known = true;
	out->master = m ? m->id : 0;
	out->app = a->id;
	memcpy(out->ports[0], (m ? m : a)->tcp_ports, sizeof(out->ports[0]));
	memcpy(out->ports[1], a->tcp_ports, sizeof(out->ports[1]));
	if (a->breed == NDPI_PROTOCOL_UNSAFE || a->breed == NDPI_PROTOCOL_POTENTIALLY_DANGEROUS ||
	    a->breed == NDPI_PROTOCOL_DANGEROUS)
		out->risks |= RISK(NDPI_UNSAFE_PROTOCOL);
	if (risk_is(out->app, NDPI_PROTOCOL_ANYDESK, NDPI_PROTOCOL_RDP, NDPI_PROTOCOL_VNC, 0) ||
	    risk_is(out->master, NDPI_PROTOCOL_RDP, NDPI_PROTOCOL_VNC, 0, 0))
		out->risks |= RISK(NDPI_DESKTOP_OR_FILE_SHARING_SESSION);
	out->tls = risk_is(out->master, NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_MAIL_SMTPS, NDPI_PROTOCOL_MAIL_IMAPS,
			   NDPI_PROTOCOL_MAIL_POPS) ||
		   risk_is(out->app, NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_MAIL_SMTPS, NDPI_PROTOCOL_MAIL_IMAPS,
			   NDPI_PROTOCOL_MAIL_POPS);
	uint16_t top = out->master ? out->master : out->app;
	out->window_ends_early = top != NDPI_PROTOCOL_TLS && top != NDPI_PROTOCOL_DTLS;
	/* classify.c classify_carries_tls() */
	out->carries_ja3 =
		risk_is(out->master, NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_DTLS, NDPI_PROTOCOL_QUIC, 0) ||
		risk_is(out->master, NDPI_PROTOCOL_MAIL_SMTPS, NDPI_PROTOCOL_MAIL_IMAPS, NDPI_PROTOCOL_MAIL_POPS, 0) ||
		risk_is(out->app, NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_DTLS, NDPI_PROTOCOL_QUIC, 0) ||
		risk_is(out->app, NDPI_PROTOCOL_MAIL_SMTPS, NDPI_PROTOCOL_MAIL_IMAPS, NDPI_PROTOCOL_MAIL_POPS, 0);
	out->ntop = out->master == NDPI_PROTOCOL_HTTP && out->app == NDPI_PROTOCOL_NTOP;
	return 0;
}

/* ---- the SNI's part ------------------------------------------------------ */

/* ndpi_add_domain_risk_exceptions(): the host-risk-mask automaton (no end anchor) masks the DGA bit when
 * one of these occurs in the host and the match handler records it (at the start, after '.' or '-', or
 * for a pattern beginning with '.'). */
static bool risk_dga_exception(const char *host)
{
	static const char *const domains[] = {
		".local",
		".msftconnecttest.com",
		"amupdatedl.microsoft.com",
		"update.microsoft.com.akadns.net",
		".windowsupdate.com",
		".ras.microsoft.com",
		"e5.sk",
		"sophosxl.net",
	};

	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		for (const char *at = strstr(host, domains[i]); at; at = strstr(at + 1, domains[i])) {
			size_t start = (size_t)(at - host);
			if (domains[i][0] == '.' || start <= 1 || host[start - 1] == '.' || host[start - 1] == '-')
				return true;
		}
	}
	return false;
}

uint64_t classify_risk_host(struct classify *c, const struct tls_client_hello *ch)
{
	char host[NDPI_HOST_MAX + 1];

	if (!ch || !ch->has_sni || ch->sslv2_format)
		return 0;
	if (risk_ndpi_host(ch, host) == 0)
		return 0;
	/* flow = NULL: the check itself, without setting anything; it returns early for a host that matches
	 * nDPI's host automaton (ndpi_match_string_subprotocol), which is also when nDPI's SNI match made
	 * the flow detected before the check */
	if (ndpi_check_dga_name(classify_module(c), NULL, host, 1) == 0)
		return 0;
	if (risk_dga_exception(host))
		return 0;
	return RISK(NDPI_SUSPICIOUS_DGA_DOMAIN);
}

bool classify_host_named(struct classify *c, const struct tls_client_hello *ch)
{
	char host[NDPI_HOST_MAX + 1];
	ndpi_protocol_match_result m;
	ndpi_protocol_category_t cat;

	if (!ch || !ch->has_sni || ch->sslv2_format)
		return false;
	size_t n = risk_ndpi_host(ch, host);
	char *what = host;
	if (n > 2 && host[0] == '*' && host[1] == '.') {
		what++;
		n--;
	}
	if (n == 0)
		return false;
	memset(&m, 0, sizeof(m));
	if (ndpi_match_string_subprotocol(classify_module(c), what, (u_int)n, &m) > 0)
		return true;
	return ndpi_get_custom_category_match(classify_module(c), what, (u_int)n, &cat) != -1;
}

uint16_t classify_ip_protocol(struct classify *c, uint8_t family, const uint8_t *addr, uint16_t port)
{
	struct in_addr a;

	if (family != 4)
		return 0;
	memcpy(&a.s_addr, addr, 4);
	return ndpi_network_port_ptree_match(classify_module(c), &a, htons(port));
}

/* ---- per connection ------------------------------------------------------ */

static bool risk_port_in(const uint16_t ports[5], uint16_t p)
{
	for (size_t i = 0; i < 5 && ports[i] != 0; i++)
		if (ports[i] == p)
			return true;
	return false;
}

/* ndpi_detection_process_packet()'s risk_checked block, on the detecting packet (sport -> dport). */
static uint64_t risk_ports(const struct classify_label *l, uint16_t sport, uint16_t dport)
{
	uint16_t lo = sport < dport ? sport : dport, hi = sport < dport ? dport : sport;
	uint16_t found = 0;

	if (sport && dport) {
		found = risk_port_proto(lo);
		if (!found)
			found = risk_port_proto(hi);
	}
	if (found && found != l->master && found != l->app) {
		bool exception = l->ntop || (l->master == NDPI_PROTOCOL_TLS &&
					     (found == NDPI_PROTOCOL_MAIL_IMAPS || found == NDPI_PROTOCOL_MAIL_POPS ||
					      found == NDPI_PROTOCOL_MAIL_SMTPS));
		if (!exception && !risk_port_in(l->ports[0], dport))
			return RISK(NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT);
	} else if (!l->ntop && l->ports[0][0] != 0) {
		if (!risk_port_in(l->ports[0], sport) && !risk_port_in(l->ports[0], dport) &&
		    !risk_port_in(l->ports[1], sport) && !risk_port_in(l->ports[1], dport))
			return RISK(NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT);
	}
	return 0;
}

/* The flow state processClientServerHello() carries from one hello to the next. */
struct risk_state {
	uint64_t risks;
	uint16_t version; /* ssl_version */
	bool host;	  /* host_server_name[0] != 0 */
	bool alpn;	  /* an ALPN list stored */
	bool alpn_uncommon;
	bool esni;
	const char *ja3;
};

static void risk_apply_hello(struct risk_state *st, const struct classify_risk_hello *h)
{
	st->risks |= h->risks;
	st->version = h->version;
	if (h->sets_host)
		st->host = h->host_nonempty;
	if (h->has_alpn && !st->alpn) {
		st->alpn = true;
		st->alpn_uncommon = h->alpn_uncommon;
	}
	st->esni = st->esni || h->esni;
	if (!h->checks)
		return;
	if (st->version >= 0x0303 && !st->alpn)
		st->risks |= RISK(NDPI_TLS_NOT_CARRYING_HTTPS);
	if (st->esni && st->host)
		st->risks |= RISK(NDPI_TLS_SUSPICIOUS_ESNI_USAGE);
	if (!st->host && st->version >= 0x0302 && !st->esni)
		st->risks |= RISK(NDPI_TLS_MISSING_SNI);
	if (h->has_ja3)
		st->ja3 = h->ja3;
}

enum { EV_CH2, EV_SH, EV_CERT, EV_ALERT }; /* same-packet order */

uint64_t classify_risk_combine(const struct classify_risk_parts *p, const struct classify_risk_conn *c,
			       const char **ret_ja3)
{
	const struct classify_label *l = &p->label;
	struct risk_state st = {0};
	uint32_t cap = c->max_packets ? c->max_packets : 1, det, end;
	bool from_client;

	if (ret_ja3)
		*ret_ja3 = "";
	if (cap > NDPI_MAX_PACKETS)
		cap = NDPI_MAX_PACKETS;
	if (c->pkt_desync && c->pkt_desync - 1 < cap)
		cap = c->pkt_desync - 1; /* nDPI's buffer holds garbage from that packet on */
	/* the record loop flags a fatal alert whether or not a hello was ever read (a server that answers a
	 * connection with nothing but an alert) */
	uint64_t alert =
		c->tls_at_start && c->pkt_fatal_alert && c->pkt_fatal_alert <= cap ? RISK(NDPI_TLS_FATAL_ALERT) : 0;
	if (!l->known)
		return alert;

	/* the packet on which nDPI's TLS dissector detects the flow */
	if (l->tls && c->tls_at_start && p->have_ch && p->ch.valid && c->ch_one_record && c->pkt_ch &&
	    c->pkt_ch <= cap) {
		det = c->pkt_ch;
		from_client = true;
	} else if (l->tls && c->tls_at_start && !p->have_ch && c->pkt_ch == 0 && (p->have_sh || c->sh_is_hrr) &&
		   c->sh_one_record && c->pkt_sh && c->pkt_sh <= cap) {
		det = c->pkt_sh; /* only the server's side was seen */
		from_client = false;
	} else {
		/* nDPI never read a hello: the label's own rules only (the detecting packet taken as the
		 * client's) */
		return l->risks | risk_ports(l, c->client_port, c->server_port) | alert;
	}

	end = l->window_ends_early ? det : det + NDPI_EXTRA_PACKETS;
	if (end > cap)
		end = cap;
	if (from_client) {
		risk_apply_hello(&st, &p->ch);
		if (p->ch.sets_host)
			st.risks |= p->host_risks;
	}

	/* the later events in packet order (ties in protocol order) */
	struct {
		uint32_t pkt;
		int kind;
	} ev[4];
	size_t n = 0;
	if (p->have_ch2 && c->pkt_ch2 && from_client)
		ev[n].pkt = c->pkt_ch2, ev[n++].kind = EV_CH2;
	if ((p->have_sh || c->sh_is_hrr) && c->pkt_sh && from_client)
		ev[n].pkt = c->pkt_sh, ev[n++].kind = EV_SH;
	if (c->pkt_cert)
		ev[n].pkt = c->pkt_cert, ev[n++].kind = EV_CERT;
	if (c->pkt_fatal_alert)
		ev[n].pkt = c->pkt_fatal_alert, ev[n++].kind = EV_ALERT;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (ev[j].pkt < ev[j - 1].pkt ||
					     (ev[j].pkt == ev[j - 1].pkt && ev[j].kind < ev[j - 1].kind));
		     j--) {
			uint32_t tp = ev[j].pkt;
			int tk = ev[j].kind;
			ev[j].pkt = ev[j - 1].pkt, ev[j].kind = ev[j - 1].kind;
			ev[j - 1].pkt = tp, ev[j - 1].kind = tk;
		}

	bool stopped = false, sh_done = !from_client; /* an SH-detected flow has processed its ServerHello */
	if (!from_client) {
		if (!c->sh_is_hrr)
			st.risks |= p->sh.risks;
		st.version = c->sh_is_hrr ? 0x0304 : (p->sh.version ? p->sh.version : st.version);
		if (st.version >= 0x0304)
			end = det;
	}
	for (size_t i = 0; i < n && !stopped; i++) {
		if (ev[i].pkt > end)
			break;
		switch (ev[i].kind) {
		case EV_CH2: risk_apply_hello(&st, &p->ch2); break;
		case EV_SH:
			if (sh_done)
				break;
			sh_done = true;
			if (!c->sh_one_record) {
				stopped = true; /* something_went_wrong */
				break;
			}
			if (c->sh_is_hrr) {
				st.version = 0x0304;
			} else {
				st.risks |= p->sh.risks;
				if (p->sh.version)
					st.version = p->sh.version;
				/* the uncommon-ALPN check of the stored list; with none stored it would be the
				 * server's own list, which our facts do not hold: taken as common */
				if (p->sh.has_alpn && st.alpn && st.alpn_uncommon)
					st.risks |= RISK(NDPI_TLS_UNCOMMON_ALPN);
			}
			if (st.version >= 0x0304)
				end = ev[i].pkt; /* certificate_processed */
			break;
		case EV_CERT:
			if (st.version >= 0x0304 && sh_done)
				break;
			if (!c->cert_one_record) {
				stopped = true;
				break;
			}
			if (c->cert_malformed) {
				st.risks |= RISK(NDPI_MALFORMED_PACKET);
			} else if (p->have_cert) { /* else a leaf we did not keep (capped): its rules unknown */
				uint32_t t = (uint32_t)c->cert_time_s;
				st.risks |= p->cert.risks;
				for (size_t k = 0; k < p->cert.n_validity && k < CLASSIFY_RISK_MAX_VALIDITY; k++) {
					uint32_t nb = p->cert.not_before[k], na = p->cert.not_after[k];
					if (t < nb || t > na)
						st.risks |= RISK(NDPI_TLS_CERTIFICATE_EXPIRED);
					else if (t > nb && t > (uint32_t)(na - NDPI_EXPIRE_SOON))
						st.risks |= RISK(NDPI_TLS_CERTIFICATE_ABOUT_TO_EXPIRE);
				}
			}
			end = ev[i].pkt; /* certificate_processed: classify stops after this packet */
			break;
		case EV_ALERT: st.risks |= RISK(NDPI_TLS_FATAL_ALERT); break;
		default: break;
		}
	}

	st.risks |= l->risks;
	st.risks |= from_client ? risk_ports(l, c->client_port, c->server_port)
				: risk_ports(l, c->server_port, c->client_port);
	if (ret_ja3 && l->carries_ja3 && st.ja3)
		*ret_ja3 = st.ja3;
	return st.risks;
}
