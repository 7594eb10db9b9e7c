/* hints.c - remediation hints as data: one table, keyed by role, by what was seen (REP_R_* bits) and, for clients,
 * by the client stack's family and Windows release (report.h says how a hint is chosen).
 * Facts: Microsoft "TLS registry settings", "Transport Layer Security best practices with .NET Framework",
 * "Exchange Server TLS guidance" (2018); OpenSSL SSL_CONF_cmd(3); Oracle JSSE Reference Guide; GnuTLS manual
 * "System-wide configuration of the library"; Go crypto/tls; nginx ngx_http_ssl_module, Apache mod_ssl, Postfix
 * postconf(5), Dovecot ssl_min_protocol. Checked against ../shared/KNOWLEDGE.md (README "Remediation hints").
 * The hints are written for a TLS 1.2 minimum. Renderers print these strings as they are (they are ours, not
 * from the wire) and add the host's own numbers, stack and Windows release facts (stack.h) next to them. */
#include "tlsaudit/report.h"

#define SCH	"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols"
#define SCH_REG "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols"
#define SCH_PS	"HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols"
#define NET4	"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319"
#define NET_REG(wow, v)                                                            \
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\" wow "Microsoft\\.NETFramework\\" v "]\n" \
	"\"SchUseStrongCrypto\"=dword:00000001\n"                                  \
	"\"SystemDefaultTlsVersions\"=dword:00000001\n"

#define REG_HEAD "Windows Registry Editor Version 5.00\n\n"
#define REG_TLS12_CLIENT                                                                  \
	"; TLS 1.2 for SChannel clients (off by default on Windows 7 / Server 2008 R2)\n" \
	"[" SCH_REG "\\TLS 1.2\\Client]\n"                                                \
	"\"Enabled\"=dword:00000001\n"                                                    \
	"\"DisabledByDefault\"=dword:00000000\n\n"
#define NET_REG_4    NET_REG("", "v4.0.30319")
#define NET_REG_4W   NET_REG("Wow6432Node\\", "v4.0.30319")
#define NET_REG_35   NET_REG("", "v2.0.50727")
#define NET_REG_35W  NET_REG("Wow6432Node\\", "v2.0.50727")
#define REG_NET_HEAD "; .NET Framework 4.x and 3.5 (64- and 32-bit): strong crypto, and the versions SChannel offers\n"
#define REG_NET	     REG_NET_HEAD NET_REG_4 "\n" NET_REG_4W "\n" NET_REG_35 "\n" NET_REG_35W

#define PS_HEAD "# PowerShell as administrator; restart the program's service (or the server) afterwards\n"
#define PS_TLS12_CLIENT                                                                              \
	"$p = '" SCH_PS "\\TLS 1.2\\Client'\n"                                                       \
	"if (-not (Test-Path $p)) { New-Item -Path $p -Force | Out-Null }\n"                         \
	"New-ItemProperty -Path $p -Name 'Enabled' -Value 1 -PropertyType DWord -Force | Out-Null\n" \
	"New-ItemProperty -Path $p -Name 'DisabledByDefault' -Value 0 -PropertyType DWord -Force | Out-Null\n"
/* only the .NET keys that exist (a 32-bit Windows has no Wow6432Node, a system without .NET 3.5 no v2.0) */
#define PS_NET                                                                                                      \
	"foreach ($k in 'HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319',\n"                                 \
	"               'HKLM:\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v4.0.30319',\n"                    \
	"               'HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v2.0.50727',\n"                                 \
	"               'HKLM:\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v2.0.50727') {\n"                  \
	"    if (Test-Path $k) {\n"                                                                                 \
	"        New-ItemProperty -Path $k -Name 'SchUseStrongCrypto' -Value 1 -PropertyType DWord -Force | "       \
	"Out-Null\n"                                                                                                \
	"        New-ItemProperty -Path $k -Name 'SystemDefaultTlsVersions' -Value 1 -PropertyType DWord -Force | " \
	"Out-Null\n"                                                                                                \
	"    }\n"                                                                                                   \
	"}\n"
#define PS_OFF(ver, side)                                                    \
	"$p = '" SCH_PS "\\" ver "\\" side "'\n"                             \
	"if (-not (Test-Path $p)) { New-Item -Path $p -Force | Out-Null }\n" \
	"New-ItemProperty -Path $p -Name 'Enabled' -Value 0 -PropertyType DWord -Force | Out-Null\n"
#define REG_OFF(ver, side) "[" SCH_REG "\\" ver "\\" side "]\n\"Enabled\"=dword:00000000\n"

#define STEP_EXCHANGE                                                                                            \
	"If the program is Exchange: TLS 1.2 needs Exchange 2016 CU8 or Exchange 2013 CU19 with .NET 4.7.1, or " \
	"Exchange 2010 SP3 RU19 with .NET 3.5.1 and its hotfix (KB3154518 on 2008 R2 SP1, KB3154519 on 2012, "   \
	"KB3154520 on 2012 R2; KB3156421 for .NET 4.5.1/4.5.2); Exchange 2007 has no supported path. After the " \
	"change re-sync the room calendars so that the push subscriptions are re-created."
#define STEP_RESTART                                                                                            \
	"Restart the program's service (SChannel and .NET read these settings when a process starts), capture " \
	"again and compare with `tlsaudit diff`."
#define STEP_DISABLE_CLIENT "Once TLS 1.2 works: " SCH "\\TLS 1.0\\Client and \\TLS 1.1\\Client: DWORD Enabled=0."
#define STEP_FIND_PROGRAM_WIN                                                                           \
	"Find the program: it connected to the peers and SNI names listed for this host; on the host, " \
	"`netstat -b -n` (as administrator) names the program of each connection."

#define SNIP_REG_WIN7                                                                                            \
	{                                                                                                        \
		"Registry file (.reg): TLS 1.2 for SChannel clients and .NET", REG_HEAD REG_TLS12_CLIENT REG_NET \
	}
#define SNIP_PS_WIN7                                                   \
	{                                                              \
		"PowerShell: the same", PS_HEAD PS_TLS12_CLIENT PS_NET \
	}
#define SNIP_REG_NET                                                                             \
	{                                                                                        \
		"Registry file (.reg): .NET uses the versions SChannel offers", REG_HEAD REG_NET \
	}
#define SNIP_PS_NET                                    \
	{                                              \
		"PowerShell: the same", PS_HEAD PS_NET \
	}

#define OLD (REP_R_MAX_OLD | REP_R_MAX_OLD_FAILED | REP_R_NEG_OLD)

const struct rep_hint rep_hints[] = {
	/* ---- client stacks: Windows SChannel, by release */
	{
		.id = "schannel-client-xp",
		.action = "Replace or proxy Windows XP / Server 2003 clients",
		.role = "client",
		.when = OLD,
		.family = "schannel",
		.windows = "Windows XP / Server 2003",
		.title = "A Windows XP / Server 2003 SChannel client offers only SSL 3.0 and TLS 1.0: this release has "
			 "no"
			 " TLS 1.1 or 1.2, no setting adds them.",
		.steps = {"Move the program to a supported Windows release, or send its traffic through a proxy that "
			  "speaks TLS 1.2 to the server.",
			  NULL},
	},
	{
		.id = "schannel-client-vista",
		.action = "Update Server 2008 and turn TLS 1.2 on for its clients",
		.role = "client",
		.when = OLD,
		.family = "schannel",
		.windows = "Windows Vista / Server 2008",
		.title = "A Windows Vista / Server 2008 SChannel client offers only old versions: Server 2008 SP2 gets "
			 "TLS 1.1/1.2 from an update, then the client keys turn TLS 1.2 on.",
		.steps = {"Install the update that adds TLS 1.1 and 1.2 to Server 2008 SP2 (KB4019276).",
			  "Then apply the registry values below (TLS 1.2\\Client on, .NET strong crypto).",
			  STEP_EXCHANGE, STEP_RESTART, STEP_DISABLE_CLIENT, NULL},
		.snippets = {SNIP_REG_WIN7, SNIP_PS_WIN7},
	},
	{
		.id = "schannel-client-win7",
		.action = "Turn TLS 1.2 on for Windows 7 / Server 2008 R2 clients (registry)",
		.role = "client",
		.when = OLD,
		.family = "schannel",
		.windows = "Windows 7 / Server 2008 R2",
		.title = "A Windows 7 / Server 2008 R2 SChannel client (the Exchange push-notification case when the "
			 "program is Exchange) offers only old versions: on this release TLS 1.2 exists but is off for "
			 "clients until the registry turns it on.",
		.steps = {"Turn TLS 1.2 on for SChannel clients: " SCH "\\TLS 1.2\\Client: DWORD Enabled=1, "
			  "DisabledByDefault=0.",
			  ".NET programs: " NET4 " (and Wow6432Node, and v2.0.50727 for .NET 3.5 with its hotfix "
			  "KB3154518): DWORD SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1.",
			  STEP_EXCHANGE, STEP_RESTART, STEP_DISABLE_CLIENT, NULL},
		.snippets = {SNIP_REG_WIN7, SNIP_PS_WIN7},
	},
	{
		.id = "schannel-client",
		.action = "Let .NET programs use TLS 1.2 (registry)",
		.role = "client",
		.when = OLD,
		.family = "schannel",
		.title = "A Windows SChannel client offers only old versions although SChannel on Windows 8 / Server "
			 "2012"
			 " and later offers TLS 1.2: the program limits it (typically .NET without strong crypto).",
		.steps = {".NET programs: " NET4 " (and Wow6432Node, and v2.0.50727 for .NET 3.5): DWORD "
			  "SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1.",
			  "Check that " SCH "\\TLS 1.2\\Client does not turn TLS 1.2 off (Enabled=0 or "
			  "DisabledByDefault=1).",
			  STEP_EXCHANGE, STEP_RESTART, STEP_DISABLE_CLIENT, NULL},
		.snippets = {SNIP_REG_NET, SNIP_PS_NET},
	},
	{
		.id = "schannel-client-fallback",
		.action = "Turn TLS 1.0/1.1 off for Windows clients",
		.role = "client",
		.when = REP_R_OFFERS_OLD,
		.unless = OLD,
		.family = "schannel",
		.title = "A Windows SChannel client negotiates a current version but still offers TLS 1.0/1.1 as a "
			 "fallback.",
		.steps = {"Turn the old versions off for SChannel clients once every server it talks to speaks TLS 1.2 "
			  "(this report shows its peers): " SCH "\\TLS 1.0\\Client and \\TLS 1.1\\Client: DWORD "
			  "Enabled=0.",
			  STEP_RESTART, NULL},
		.snippets = {{"Registry file (.reg): TLS 1.0 and 1.1 off for SChannel clients",
			      REG_HEAD REG_OFF("TLS 1.0", "Client") "\n" REG_OFF("TLS 1.1", "Client")},
			     {"PowerShell: the same", PS_HEAD PS_OFF("TLS 1.0", "Client") PS_OFF("TLS 1.1", "Client")}},
	},
	/* ---- client stacks: other libraries */
	{
		.id = "openssl-client",
		.action = "Raise OpenSSL clients to TLS 1.2",
		.role = "client",
		.when = OLD | REP_R_OFFERS_OLD,
		.family = "openssl",
		.title = "An OpenSSL-based client (curl, Python, Perl, openssl, most Unix programs) uses old versions.",
		.steps = {"If the program is told to use an old version (curl --tlsv1.0/--tls-max, openssl s_client "
			  "-tls1, Python SSLContext.maximum_version, a cipher string with @SECLEVEL=0), remove that.",
			  "System-wide (OpenSSL 1.1.0 and later): MinProtocol = TLSv1.2 in the system_default section "
			  "of openssl.cnf (Debian sets it since Debian 10; `openssl version -d` shows the directory).",
			  "OpenSSL 0.9.8 and 1.0.0 cannot offer TLS 1.2 (1.0.1 added it): upgrade the library or the "
			  "program that bundles it.",
			  NULL},
		.snippets =
			{{"openssl.cnf: the system default minimum",
			  "openssl_conf = openssl_init\n\n[openssl_init]\nssl_conf = ssl_sect\n\n[ssl_sect]\n"
			  "system_default = system_default_sect\n\n[system_default_sect]\nMinProtocol = TLSv1.2\n"}},
	},
	{
		.id = "java-client",
		.action = "Raise Java clients to TLS 1.2",
		.role = "client",
		.when = OLD | REP_R_OFFERS_OLD,
		.family = "java",
		.title = "A Java (SunJSSE) client uses old versions.",
		.steps =
			{"Start its JVM with -Djdk.tls.client.protocols=TLSv1.2,TLSv1.3 (JDK 8, 7u95, 6u121 and "
			 "later; HttpsURLConnection also reads https.protocols), or remove the program's own "
			 "SSLSocket.setEnabledProtocols() limit.",
			 "Versions listed in jdk.tls.disabledAlgorithms of java.security ($JAVA_HOME/conf/security "
			 "since JDK 9, jre/lib/security in JDK 8) are never used: TLSv1 and TLSv1.1 are listed there "
			 "by default since 8u291 / 11.0.11 (April 2021).",
			 "Java 6 cannot offer TLS 1.2; Java 7 can but its client offers TLS 1.0 unless told otherwise.",
			 NULL},
		.snippets = {{"JVM option", "-Djdk.tls.client.protocols=TLSv1.2,TLSv1.3\n"}},
	},
	{
		.id = "gnutls-client",
		.action = "Raise GnuTLS clients to TLS 1.2",
		.role = "client",
		.when = OLD | REP_R_OFFERS_OLD,
		.family = "gnutls",
		.title = "A GnuTLS-based client (wget, gnutls-cli, apt, msmtp, exim on Debian) uses old versions.",
		.steps = {"The program's priority string decides (e.g. NORMAL:-VERS-ALL:+VERS-TLS1.0 forces TLS 1.0): "
			  "use NORMAL:-VERS-TLS1.0:-VERS-TLS1.1.",
			  "System-wide since GnuTLS 3.6.9: /etc/gnutls/config, section [overrides], one "
			  "disabled-version line per version.",
			  NULL},
		.snippets = {{"/etc/gnutls/config",
			      "[overrides]\ndisabled-version = tls1.0\ndisabled-version = tls1.1\n"}},
	},
	{
		.id = "go-client",
		.action = "Raise Go programs to TLS 1.2",
		.role = "client",
		.when = OLD | REP_R_OFFERS_OLD,
		.family = "go",
		.title = "A Go (crypto/tls) client uses old versions: Go programs set their versions in code.",
		.steps = {"In the program: tls.Config{MinVersion: tls.VersionTLS12} and no MaxVersion below TLS 1.2; "
			  "since Go 1.18 TLS 1.2 is a client's default minimum, so rebuilding with a current Go helps "
			  "unless the code lowers it.",
			  NULL},
		.snippets = {{"Go", "cfg := &tls.Config{MinVersion: tls.VersionTLS12}\n"}},
	},
	{
		.id = "stack-client",
		.action = "Raise the other client stacks to TLS 1.2",
		.role = "client",
		.when = OLD | REP_R_OFFERS_OLD,
		.family = "*",
		.title = "A client stack uses old versions: its version range is set where its stack's facts say "
			 "(listed below per stack).",
		.steps = {"Raise the minimum version where the stack sets it (below), or update the program if its "
			  "release cannot offer TLS 1.2.",
			  NULL},
	},
	{
		.id = "unknown-client-windows",
		.action = "Find and fix the unidentified Windows programs",
		.role = "client",
		.when = OLD | REP_R_OFFERS_OLD,
		.family = "",
		.win = REP_HW_WINDOWS,
		.title = "A client whose hellos match no known stack uses old versions; the same address also sends "
			 "SChannel hellos, so it runs Windows.",
		.steps =
			{STEP_FIND_PROGRAM_WIN,
			 "If it is a .NET or SChannel program, the .NET values below let it offer what SChannel offers "
			 "(on Windows 7 / Server 2008 R2 also turn " SCH "\\TLS 1.2\\Client on: Enabled=1, "
			 "DisabledByDefault=0).",
			 "If it brings its own TLS library (Java, an OpenSSL copy in its folder), set that library's "
			 "minimum (Java: -Djdk.tls.client.protocols=TLSv1.2,TLSv1.3).",
			 STEP_RESTART, NULL},
		.snippets = {SNIP_REG_NET, SNIP_PS_NET},
	},
	{
		.id = "unknown-client",
		.action = "Find and fix the unidentified client programs",
		.role = "client",
		.when = OLD | REP_R_OFFERS_OLD,
		.family = "",
		.win = REP_HW_NOT_WINDOWS,
		.title = "A client whose hellos match no known stack uses old versions (no sign that the host runs "
			 "Windows).",
		.steps = {"Find the program: it connected to the peers and SNI names listed for this host; on a Unix "
			  "host `ss -tpn` names the process of each connection. Its JA4 (above) identifies the hello.",
			  "Raise its minimum version where its TLS library sets it: OpenSSL MinProtocol = TLSv1.2 "
			  "(openssl.cnf), Java -Djdk.tls.client.protocols=TLSv1.2,TLSv1.3, GnuTLS priority "
			  "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1, Go tls.Config.MinVersion; an embedded device needs a "
			  "firmware update.",
			  NULL},
	},
	/* ---- servers */
	{
		.id = "server-old-version-windows",
		.action = "Turn TLS 1.0/1.1 off on the Windows servers",
		.role = "server",
		.when = REP_R_NEG_OLD,
		.win = REP_HW_WINDOWS,
		.title = "As TLS server this host accepted an old version, and it runs Windows (its own client hellos "
			 "are "
			 "SChannel): for IIS, Exchange (OWA, EWS, SMTP, IMAP/POP) and other SChannel servers the "
			 "\\Server "
			 "keys decide.",
		.steps = {"First check the impact list of this server: those clients fail once the old versions are "
			  "off.",
			  SCH "\\TLS 1.2\\Server: DWORD Enabled=1, DisabledByDefault=0; then \\TLS 1.0\\Server and "
			      "\\TLS 1.1\\Server: DWORD Enabled=0.",
			  "Restart the server. On Exchange 2010/2013/2016 aim for TLS 1.2: Exchange's HealthChecker "
			  "treats TLS 1.3 enabled on these versions as an error.",
			  NULL},
		.snippets =
			{{"Registry file (.reg): SChannel server TLS 1.2 on, TLS 1.0 and 1.1 off",
			  REG_HEAD "[" SCH_REG "\\TLS 1.2\\Server]\n\"Enabled\"=dword:00000001\n"
				   "\"DisabledByDefault\"=dword:00000000\n\n" REG_OFF("TLS 1.0", "Server") "\n" REG_OFF(
					   "TLS 1.1", "Server")},
			 {"PowerShell: the same", PS_HEAD
			  "$p = '" SCH_PS "\\TLS 1.2\\Server'\n"
			  "if (-not (Test-Path $p)) { New-Item -Path $p -Force | Out-Null }\n"
			  "New-ItemProperty -Path $p -Name 'Enabled' -Value 1 -PropertyType DWord -Force | Out-Null\n"
			  "New-ItemProperty -Path $p -Name 'DisabledByDefault' -Value 0 -PropertyType DWord -Force | "
			  "Out-Null\n" PS_OFF("TLS 1.0", "Server") PS_OFF("TLS 1.1", "Server")}},
	},
	{
		.id = "server-old-version",
		.action = "Turn TLS 1.0/1.1 off on the servers",
		.role = "server",
		.when = REP_R_NEG_OLD,
		.win = REP_HW_NOT_WINDOWS,
		.title = "As TLS server this host accepted an old version: raise the minimum in the server software.",
		.steps = {"First check the impact list of this server: those clients fail once the old versions are "
			  "off.",
			  "nginx: ssl_protocols TLSv1.2 TLSv1.3; Apache httpd: SSLProtocol -all +TLSv1.2 +TLSv1.3; "
			  "Postfix: smtpd_tls_protocols and smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, "
			  "!TLSv1.1; Dovecot: ssl_min_protocol = TLSv1.2.",
			  "A Windows server (IIS, Exchange): " SCH "\\TLS 1.0\\Server and \\TLS 1.1\\Server: DWORD "
			  "Enabled=0, TLS 1.2\\Server Enabled=1 and DisabledByDefault=0, then restart.",
			  NULL},
	},
	{
		.id = "server-certificate-expiry",
		.action = "Renew expiring certificates",
		.role = "server",
		.when = REP_R_CERT_EXPIRED | REP_R_CERT_EXPIRING,
		.title = "This server sent a certificate that expired, or expires soon, relative to when it was used.",
		.steps = {"Renew the certificate named above and install it with its chain; reload the service.",
			  "Clients that check certificates refuse an expired one: the failures listed for this server "
			  "may be that.",
			  NULL},
	},
	{
		.id = "server-certificate-weak",
		.action = "Reissue weak certificates",
		.role = "server",
		.when = REP_R_CERT_WEAK_KEY | REP_R_CERT_SHA1,
		.title = "This server's certificate has a short RSA key or a SHA-1/MD5 signature.",
		.steps = {"Issue a new certificate with an RSA key of at least 2048 bits (or an EC key) signed with "
			  "SHA-256 or better, and install it.",
			  NULL},
	},
	{
		.id = "server-certificate-self-signed",
		.action = "Replace self-signed certificates",
		.role = "server",
		.when = REP_R_CERT_SELF_SIGNED,
		.title = "This server sends a self-signed certificate: clients can only trust it by pinning it.",
		.steps = {"Use a certificate from your CA (internal or public) if clients other than pinned ones "
			  "connect; otherwise record it as accepted in the policy (cert_self_signed = ignore).",
			  NULL},
	},
	{
		.id = "server-weak-ciphers",
		.action = "Remove weak cipher suites from servers",
		.role = "server",
		.when = REP_R_CIPHER_NEGOTIATED,
		.title = "This server negotiated weak cipher suites (named above).",
		.steps =
			{"Remove them from the server's cipher list: nginx ssl_ciphers / Apache SSLCipherSuite "
			 "HIGH:!aNULL:!MD5:!RC4:!3DES; Postfix smtpd_tls_exclude_ciphers = aNULL, RC4, 3DES, MD5, DES; "
			 "Windows: the SSL Cipher Suite Order group policy (or Disable-TlsCipherSuite on Server 2016 "
			 "and later).",
			 NULL},
	},
	{
		.id = "client-weak-ciphers",
		.action = "Remove weak cipher suites from clients",
		.role = "client",
		.when = REP_R_CIPHER_OFFERED,
		.title = "This client offers weak cipher suites (named above): a server that prefers them would use "
			 "them.",
		.steps = {"Remove them from the client's cipher list in its TLS settings (OpenSSL: CipherString in the "
			  "system_default section; SChannel: the SSL Cipher Suite Order group policy).",
			  NULL},
	},
	{
		.id = "server-accepts-old",
		.action = "Turn the old versions off on the servers a probe found accepting them",
		.role = "server",
		.when = REP_R_PROBE_OLD,
		.unless = REP_R_NEG_OLD,
		.title = "A probe shows this server accepts an old version when a client asks for it, even if no"
			 " client has used it yet: turn the old versions off on the server side.",
		.steps = {"Windows (IIS, Exchange OWA/EWS, SMTP STARTTLS, IMAP/POP): " SCH
			  "\\TLS 1.0\\Server and \\TLS 1.1\\Server: DWORD Enabled=0 (and SSL 3.0 / SSL 2.0 likewise); "
			  "keep"
			  " \\TLS 1.2\\Server Enabled=1, DisabledByDefault=0; restart.",
			  "OpenSSL-based servers: nginx `ssl_protocols TLSv1.2 TLSv1.3;`, Apache `SSLProtocol -all"
			  " +TLSv1.2 +TLSv1.3`, Postfix `smtpd_tls_protocols = >=TLSv1.2` (3.6 and later; older:"
			  " `!SSLv2, !SSLv3, !TLSv1, !TLSv1.1`), Dovecot `ssl_min_protocol = TLSv1.2`; reload the "
			  "service.",
			  "Probe again (`tlsaudit probe --db DB HOST:PORT`) and compare with `tlsaudit diff`.", NULL},
	},
};
const size_t rep_n_hints = sizeof(rep_hints) / sizeof(rep_hints[0]);
