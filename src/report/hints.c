/* hints.c - remediation hints as data: one table, keyed by role and by what was seen (REP_R_* bits).
 * Facts: Microsoft "TLS registry settings", "Transport Layer Security best practices with .NET Framework",
 * "Exchange Server TLS guidance" (2018); see ../shared/KNOWLEDGE.md. Renderers print these strings as they are
 * (they are ours, not from the wire) and add the host's own numbers next to them. */
#include "tlsaudit/report.h"

#define SCHANNEL  "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols"
#define NET4	  "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319"
#define NET4_WOW  "HKLM\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v4.0.30319"
#define NET35	  "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v2.0.50727"
#define NET35_WOW "HKLM\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v2.0.50727"

#define STEP_UPDATES                                                                                      \
	"Apply the updates that make TLS 1.2 possible: Exchange 2016 CU8 or Exchange 2013 CU19 with .NET" \
	" 4.7.1; Exchange 2010 SP3 RU19 with .NET 3.5.1 and KB3154518 (2008 R2 SP1) / KB3154519 (2012) /" \
	" KB3154520 (2012 R2), KB3156421 for .NET 4.5.1/4.5.2. Exchange 2007 has no supported path."
#define STEP_SCHANNEL_CLIENT                                                                               \
	"SChannel: " SCHANNEL "\\TLS 1.2\\Client: DWORD Enabled=1 and DisabledByDefault=0 (Windows Server" \
	" 2008 R2 has TLS 1.2 off by default; 2012 and later have it on)."
#define STEP_NET                                                                                          \
	".NET 4.x: " NET4 " and " NET4_WOW ": DWORD SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1;" \
	" .NET 3.5: the same two values under " NET35 " and " NET35_WOW "."
#define STEP_RESTART                                                                                     \
	"Restart the server (services cache their TLS settings), re-sync the room calendars so the push" \
	" subscriptions are re-created, capture again and compare with `tlsaudit diff`."
#define STEP_DISABLE_CLIENT \
	"Once TLS 1.2 works: " SCHANNEL "\\TLS 1.0\\Client and ...\\TLS 1.1\\Client: DWORD Enabled=0."

const struct rep_hint rep_hints[] = {
	{
		.id = "client-old-hello-failed",
		.role = "client",
		.when = REP_R_MAX_OLD_FAILED,
		.title = "Outbound handshakes fail because this host offers only old TLS versions (the Exchange"
			 " push-notification case: SChannel/.NET without the TLS 1.2 updates and settings).",
		.steps = {STEP_UPDATES, STEP_SCHANNEL_CLIENT, STEP_NET, STEP_RESTART, STEP_DISABLE_CLIENT, NULL},
	},
	{
		.id = "client-old-version",
		.role = "client",
		.when = REP_R_MAX_OLD | REP_R_NEG_OLD,
		.unless = REP_R_MAX_OLD_FAILED,
		.title = "As TLS client this host still uses an old version for outbound connections: fix the"
			 " client side (SChannel \\Client keys, .NET settings), not the server keys.",
		.steps = {STEP_SCHANNEL_CLIENT, STEP_NET, STEP_RESTART, STEP_DISABLE_CLIENT, NULL},
	},
	{
		.id = "client-still-offers-old",
		.role = "client",
		.when = REP_R_OFFERS_OLD,
		.title = "This host negotiates a current version but still offers old ones, so an old or downgraded"
			 " server would get an old version.",
		.steps = {STEP_DISABLE_CLIENT " Restart the server afterwards.", NULL},
	},
	{
		.id = "server-old-version",
		.role = "server",
		.when = REP_R_NEG_OLD,
		.title = "As TLS server this host accepted an old version (inbound: OWA, EWS, SMTP STARTTLS, IMAP/POP):"
			 " fix the \\Server keys.",
		.steps =
			{
				"SChannel: " SCHANNEL "\\TLS 1.2\\Server: DWORD Enabled=1 and DisabledByDefault=0.",
				"When the clients that connect here speak TLS 1.2 (see their client rows in this "
				"report): " SCHANNEL "\\TLS 1.0\\Server and ...\\TLS 1.1\\Server: DWORD Enabled=0.",
				"Restart the server. On Exchange 2013/2016/2010 aim for TLS 1.2: Exchange's "
				"HealthChecker treats"
				" TLS 1.3 enabled on these versions as an error.",
				NULL,
			},
	},
	{
		.id = "server-accepts-old",
		.role = "server",
		.when = REP_R_PROBE_OLD,
		.unless = REP_R_NEG_OLD,
		.title = "A probe shows this server accepts an old version when a client asks for it, even if no"
			 " client has used it yet: turn the old versions off on the server side.",
		.steps =
			{
				"Windows (IIS, Exchange OWA/EWS, SMTP STARTTLS, IMAP/POP): " SCHANNEL
				"\\TLS 1.0\\Server and ...\\TLS 1.1\\Server: DWORD Enabled=0 (and SSL 3.0 / SSL 2.0"
				" likewise); keep " SCHANNEL
				"\\TLS 1.2\\Server Enabled=1, DisabledByDefault=0; restart.",
				"OpenSSL-based servers: nginx `ssl_protocols TLSv1.2 TLSv1.3;`, Apache `SSLProtocol "
				"-all"
				" +TLSv1.2 +TLSv1.3`, Postfix `smtpd_tls_protocols = >=TLSv1.2` (3.6 and later; older:"
				" `!SSLv2, !SSLv3, !TLSv1, !TLSv1.1`), Dovecot `ssl_min_protocol = TLSv1.2`; reload "
				"the service.",
				"Probe again (`tlsaudit probe --db DB HOST:PORT`) and compare with `tlsaudit diff`.",
				NULL,
			},
	},
};
const size_t rep_n_hints = sizeof(rep_hints) / sizeof(rep_hints[0]);
