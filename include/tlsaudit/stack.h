/* stack.h - which TLS client stack (SChannel, OpenSSL, JSSE, GnuTLS, NSS, Go, ...) sent a ClientHello.
 * specification: RFC 8446 section 4.1.2 (ClientHello), RFC 8701 (GREASE); the matching rule is
 * in src/stack/stack.c (design note) and README "Which client stack sent the hello".
 *
 * Contract: stack_identify() compares one parsed ClientHello (struct tls_client_hello, from the
 * tls stage) with a generated table of known stacks (src/stack/stack_table.c) and names the
 * closest one. It reads only the hello; everything it returns is a static string or lives in
 * the caller's struct stack_match; it allocates nothing, keeps no state between calls and may
 * be called from several threads at once. The hello is untrusted: counts are clamped to the
 * struct's own array sizes. Cost: a binary search on a hash plus a bounded scan of the table
 * (about 120 entries): microseconds, meant for once per distinct hello shape.
 */
#ifndef TLSAUDIT_STACK_H
#define TLSAUDIT_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsaudit/tls.h"

enum stack_match_kind {
	STACK_NONE = 0, /* nothing in the table is close */
	STACK_EXACT,	/* every feature the stack fixes agrees with one entry (what an application or a
			 * version limit may change left aside), and no entry of another family agrees */
	STACK_CLOSE,	/* the most similar entry; differed says what did not agree */
};

#define STACK_DIFFERED_LEN 96

struct stack_match {
	enum stack_match_kind kind;
	const char *key;		   /* stable table key, e.g. "schannel-ie-8-10-win7"; NULL for STACK_NONE */
	const char *family;		   /* "schannel", "openssl", "java", ... (see stack_family_info) */
	const char *library;		   /* the TLS library under the product: "nss" for family "firefox" */
	const char *name;		   /* human name, e.g. "Windows 7 / Server 2008 R2 SChannel (IE 8-10 Win 7)" */
	const char *windows;		   /* SChannel entries: the Windows release(s); else NULL */
	const char *versions;		   /* versions the entry's clients support, e.g. "TLS 1.0-1.2" */
	const char *also;		   /* keys of other entries that agree just as well, or NULL */
	unsigned score;			   /* similarity 0..1000 (1000 for STACK_EXACT) */
	char differed[STACK_DIFFERED_LEN]; /* STACK_CLOSE: e.g. "ciphers: 2 missing; extension order" */
};

/* Identify the stack that sent ch (borrowed for the call). Fills *out completely. */
void stack_identify(const struct tls_client_hello *ch, struct stack_match *out);

/* "exact", "close"; NULL for STACK_NONE. */
const char *stack_match_kind_name(enum stack_match_kind k);

/* Remediation facts of a family: where the client's lowest/highest TLS version is set.
 * Each sentence was checked against the stack's own documentation (source names it). */
struct stack_family {
	const char *family;	     /* key used in struct stack_match.family */
	const char *name;	     /* "Windows SChannel (IE, Edge up to 18, .NET Framework, Win32 programs)" */
	const char *library;	     /* TLS library */
	const char *version_setting; /* where the client's minimum/maximum version is set */
	const char *old_versions;    /* which releases cannot offer TLS 1.2, or NULL */
	const char *source;	     /* documents the sentences were checked against */
};

/* Facts of a family ("schannel", ...); NULL for an unknown name. */
const struct stack_family *stack_family_info(const char *family);
/* All families, for listing: *ret_n gets the count. */
const struct stack_family *stack_families(size_t *ret_n);

/* What SChannel's client does by default on a Windows release (struct stack_match.windows
 * holds one or more of these names, separated by "; "). */
struct stack_windows {
	const char *windows;	    /* "Windows 7 / Server 2008 R2" */
	const char *client_default; /* TLS versions on for SChannel clients without registry changes */
	const char *remedy;	    /* what makes TLS 1.2 available to clients */
};

/* Facts of one Windows release name (exact string as in stack_match.windows); NULL if unknown. */
const struct stack_windows *stack_windows_info(const char *windows);

#endif
