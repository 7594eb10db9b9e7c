/* stack_family.c - remediation facts per client stack family: where its TLS version range is set.
 * specification: each stack's own documentation, named in .source; checked 2026 (see README
 * "Which client stack sent the hello"). Static data only. */
#include <string.h>

#include "tlsaudit/stack.h"

static const struct stack_family families[] = {
	{
		.family = "schannel",
		.name = "Windows SChannel (IE, Edge up to 18, .NET Framework, Exchange, PowerShell, Win32 programs)",
		.library = "schannel",
		.version_setting =
			"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS "
			"1.2\\Client: "
			"Enabled=1 and DisabledByDefault=0 (TLS 1.0\\Client and TLS 1.1\\Client: Enabled=0 once 1.2 "
			"works); "
			".NET Framework programs also need SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 under "
			"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 and v2.0.50727 (and Wow6432Node); "
			"restart the "
			"service, it caches its credentials.",
		.old_versions = "Windows XP / Server 2003 cannot offer TLS 1.1 or 1.2; Windows 7 / Server 2008 R2 can, "
				"but not by default (see stack_windows_info).",
		.source = "Microsoft: TLS registry settings; Transport Layer Security best practices with .NET "
			  "Framework; "
			  "Support for SSL/TLS protocols on Windows (Microsoft blog archive)",
	},
	{
		.family = "openssl",
		.name = "OpenSSL (openssl s_client, curl, Python ssl, Node.js, Perl, Ruby, most Unix daemons)",
		.library = "openssl",
		.version_setting =
			"The program's own setting (SSL_CTX_set_min_proto_version; curl --tlsv1.2, Python "
			"SSLContext.minimum_version, Node.js minVersion) or, since OpenSSL 1.1.0, MinProtocol / "
			"MaxProtocol in the system_default section that openssl.cnf names through openssl_conf "
			"and ssl_conf. OpenSSL 3.0 refuses TLS 1.0/1.1 below security level 0 (@SECLEVEL=0).",
		.old_versions = "OpenSSL 0.9.8 and 1.0.0 cannot offer TLS 1.2 (1.0.1 added it).",
		.source =
			"OpenSSL: SSL_CONF_cmd(3), SSL_CTX_set_min_proto_version(3), CHANGES.md of 3.0 (security level "
			"of SHA-1/MD5 signatures)",
	},
	{
		.family = "libressl",
		.name = "LibreSSL (OpenBSD, macOS's openssl and curl up to LibreSSL 3.x)",
		.library = "libressl",
		.version_setting = "The program's own setting: SSL_CTX_set_min_proto_version(), or "
				   "tls_config_set_protocols() for libtls programs.",
		.old_versions = NULL,
		.source = "OpenBSD manual pages: SSL_CTX_set_min_proto_version(3), tls_config_set_protocols(3)",
	},
	{
		.family = "gnutls",
		.name = "GnuTLS (gnutls-cli, wget, apt, msmtp, exim on Debian, GNOME programs)",
		.library = "gnutls",
		.version_setting =
			"The program's priority string (e.g. NORMAL:-VERS-TLS1.0:-VERS-TLS1.1; gnutls-cli "
			"--priority, wget --ciphers), or system-wide since GnuTLS 3.6.9 in /etc/gnutls/config, "
			"section [overrides]: disabled-version = tls1.0 (one line per version).",
		.old_versions = NULL,
		.source = "GnuTLS manual: Priority strings; System-wide configuration of the library, Disabling "
			  "algorithms and protocols",
	},
	{
		.family = "nss",
		.name = "Mozilla NSS in other programs (tstclnt, curl and 389-ds on older Red Hat, Chrome before 38)",
		.library = "nss",
		.version_setting = "The program's own setting: SSL_VersionRangeSet() / SSL_VersionRangeSetDefault() "
				   "(tstclnt -V min:max).",
		.old_versions = "NSS before 3.15.1 (2013) has no TLS 1.2.",
		.source = "NSS ssl.h; MozillaZine Knowledge Base: security.tls.version.*",
	},
	{
		.family = "firefox",
		.name = "Firefox, Thunderbird, Tor Browser (Gecko over Mozilla NSS)",
		.library = "nss",
		.version_setting = "about:config security.tls.version.min and security.tls.version.max (0 = SSL 3.0, "
				   "1 = TLS 1.0, 2 = TLS 1.1, 3 = TLS 1.2, 4 = TLS 1.3; the default minimum is 3 in "
				   "current releases); an enterprise policy can lock them.",
		.old_versions = "Firefox before 27 does not offer TLS 1.2 by default (TLS 1.2 arrived with NSS 3.15.1 "
				"in Gecko 24).",
		.source = "MozillaZine Knowledge Base: security.tls.version.*; CIS Mozilla Firefox ESR benchmark "
			  "(security.tls.version.min default 3)",
	},
	{
		.family = "boringssl",
		.name = "Chrome, Chromium, Edge 79+, Opera 15+ and Android's BoringSSL",
		.library = "boringssl",
		.version_setting =
			"The browser decides: Google announced (2018) that Chrome disables TLS 1.0/1.1 from "
			"Chrome 81; the SSLVersionMin policy sets the minimum. A hello without TLS 1.2 comes "
			"from an outdated browser: update it.",
		.old_versions = "Chrome before 30 does not offer TLS 1.2.",
		.source = "Google Security Blog: Modernizing Transport Security (2018); Chromium policy templates "
			  "(SSLVersionMin, SSLVersionFallbackMin)",
	},
	{
		.family = "android",
		.name = "Android's own TLS stack (SSLSocket, HttpsURLConnection, the system WebView of old releases)",
		.library = "boringssl",
		.version_setting =
			"The app's SSLSocket.setEnabledProtocols() (or its own TLS library); the defaults "
			"come with the Android release: TLS 1.1/1.2 are supported from API 16 (4.1) but enabled "
			"for clients by default only from API 20 (5.0).",
		.old_versions = "Android 4.0 and older cannot offer TLS 1.2.",
		.source = "Android developer reference: javax.net.ssl.SSLSocket (protocol table)",
	},
	{
		.family = "java",
		.name = "Java SunJSSE (OpenJDK, Oracle JDK: application servers, agents, Java programs)",
		.library = "jsse",
		.version_setting =
			"System property jdk.tls.client.protocols (e.g. -Djdk.tls.client.protocols=TLSv1.2,"
			"TLSv1.3; JDK 8, 7u95, 6u121 and later), https.protocols for HttpsURLConnection, or the "
			"program's SSLSocket.setEnabledProtocols(); versions listed in jdk.tls.disabledAlgorithms "
			"of java.security ($JAVA_HOME/conf/security since JDK 9, jre/lib/security in JDK 8) are "
			"never used (TLSv1 and TLSv1.1 are listed since 8u291 / 11.0.11, April 2021).",
		.old_versions = "Java 6 offers TLS 1.0 only; Java 7 has TLS 1.2 but its client offers TLS 1.0 unless "
				"told otherwise.",
		.source =
			"Oracle: JSSE Reference Guide; Java blog Diagnosing TLS, SSL, and HTTPS (2014); How to enable "
			"TLS 1.2 as the default protocol on Java SE 7 clients; JDK java.security file",
	},
	{
		.family = "go",
		.name = "Go crypto/tls (Go programs: agents, exporters, CLI tools)",
		.library = "go",
		.version_setting = "tls.Config.MinVersion / MaxVersion in the program's code; since Go 1.18 a client's "
				   "default minimum is TLS 1.2.",
		.old_versions = NULL,
		.source = "Go crypto/tls documentation (Config.MinVersion), Go 1.18 release notes",
	},
	{
		.family = "apple",
		.name = "Apple's TLS stack (Safari, Mail, macOS/iOS apps: Secure Transport, Network.framework)",
		.library = "apple",
		.version_setting =
			"Follows the OS release; an app can raise its minimum (NSURLSessionConfiguration's "
			"TLS minimum, App Transport Security's NSExceptionMinimumTLSVersion). Update the OS.",
		.old_versions = "Safari 6 and older on OS X offer TLS 1.0 only.",
		.source = "Apple developer documentation: NSURLSessionConfiguration, NSAppTransportSecurity",
	},
	{
		.family = "presto",
		.name = "Opera 12 and older (Presto engine, own TLS stack)",
		.library = "presto",
		.version_setting = "Nothing to set: the browser has been discontinued since 2013; replace it.",
		.old_versions = "Opera 12 offers TLS 1.0 only by default (client-hellos.json: Opera 12.15).",
		.source = "client-hellos.json (Opera 12.15 Win 7)",
	},
	{
		.family = "mbedtls",
		.name = "Mbed TLS (embedded devices, IoT firmware)",
		.library = "mbedtls",
		.version_setting = "The program's code: mbedtls_ssl_conf_min_version() / _max_version() (2.x), "
				   "mbedtls_ssl_conf_min_tls_version() (3.x); firmware needs a vendor update.",
		.old_versions = NULL,
		.source = "Mbed TLS ssl.h",
	},
	{
		.family = "wolfssl",
		.name = "wolfSSL (embedded devices, appliances)",
		.library = "wolfssl",
		.version_setting =
			"The program's code: the method it creates its context with (wolfTLSv1_2_client_method, "
			"wolfSSLv23_client_method) and wolfSSL_CTX_SetMinVersion().",
		.old_versions = NULL,
		.source = "wolfSSL ssl.h",
	},
	{
		.family = "crawler",
		.name = "Web crawlers (Googlebot, Bingbot, ...): named clients whose TLS stack is not known",
		.library = "unknown",
		.version_setting = "Not a program on your network: nothing to set.",
		.old_versions = NULL,
		.source = "client-hellos.json (testssl.sh client simulation data)",
	},
};

static const struct stack_windows windows[] = {
	{"Windows XP / Server 2003", "SSL 3.0, TLS 1.0",
	 "None in SChannel (no TLS 1.1/1.2): replace the system or send its traffic through a TLS 1.2 proxy."},
	{"Windows Vista / Server 2008", "SSL 3.0, TLS 1.0",
	 "Server 2008 SP2: the 2017 update that adds TLS 1.1/1.2 (KB4019276), then the TLS 1.2\\Client keys."},
	{"Windows 7 / Server 2008 R2", "TLS 1.0 (TLS 1.1 and 1.2 exist but are off for clients)",
	 "TLS 1.2\\Client: Enabled=1, DisabledByDefault=0; .NET: SchUseStrongCrypto=1, SystemDefaultTlsVersions=1 "
	 "(.NET 3.5 needs KB3154518 first); restart the service."},
	{"Windows 8 / Server 2012", "TLS 1.0, 1.1, 1.2",
	 "SChannel offers TLS 1.2; a program that does not sets its own range (.NET: SchUseStrongCrypto=1, "
	 "SystemDefaultTlsVersions=1; .NET 3.5 needs KB3154519 first)."},
	{"Windows 8.1 / Server 2012 R2", "TLS 1.0, 1.1, 1.2",
	 "SChannel offers TLS 1.2; a program that does not sets its own range (.NET: SchUseStrongCrypto=1, "
	 "SystemDefaultTlsVersions=1; .NET 3.5 needs KB3154520 first)."},
	{"Windows 10 / Server 2016 and 2019", "TLS 1.0, 1.1, 1.2",
	 "SChannel offers TLS 1.2; a program that does not sets its own range (.NET: SchUseStrongCrypto=1, "
	 "SystemDefaultTlsVersions=1)."},
	{"Windows Phone 8.0", "TLS 1.0 (as its IE 10 offers)", "None: the platform is unsupported."},
	{"Windows Phone 8.1", "TLS 1.0, 1.1, 1.2 (as its IE 11 offers)", "None needed for TLS 1.2."},
	{"Windows 10 Mobile", "TLS 1.0, 1.1, 1.2 (as its Edge offers)", "None needed for TLS 1.2."},
};

const struct stack_family *stack_family_info(const char *family)
{
	if (!family)
		return NULL;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i].family, family) == 0)
			return &families[i];
	return NULL;
}

const struct stack_family *stack_families(size_t *ret_n)
{
	*ret_n = sizeof(families) / sizeof(families[0]);
	return families;
}

const struct stack_windows *stack_windows_info(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		if (strcmp(windows[i].windows, name) == 0)
			return &windows[i];
	return NULL;
}
