/* test_format.c - the escapers of src/output/format.c, table-driven: every human-facing format shows C0 and C1
 * controls, bidi overrides and invisible format characters visibly, JSON escapes them losslessly, Markdown never
 * makes a link of a wire string, CSV neutralises formulas. Expected strings are written by hand from the rules
 * (README "Formats and escaping"), byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsaudit/output.h"

typedef void (*esc_fn)(FILE *fp, const char *s, size_t len);

struct tcase {
	const char *name;
	esc_fn fn;
	const char *in;
	size_t in_len; /* 0: strlen */
	const char *want;
};

static const struct tcase cases[] = {
	/* text: every byte outside printable ASCII, and the backslash, as \xNN */
	{"text C1", out_text_string,
	 "a\xc2\x9b"
	 "b",
	 0, "a\\xc2\\x9bb"},
	{"text RLO", out_text_string, "x\xe2\x80\xaey", 0, "x\\xe2\\x80\\xaey"},
	{"text ESC", out_text_string, "\x1b[2J", 0, "\\x1b[2J"},
	/* terminal lines: readable UTF-8, controls and unsafe code points visible */
	{"term utf8", out_term_string, "caf\xc3\xa9.pcap", 0, "caf\xc3\xa9.pcap"},
	{"term ESC BEL", out_term_string, "x\x1b]0;t\x07.pcap", 0, "x\\x1b]0;t\\x07.pcap"},
	{"term C1", out_term_string,
	 "\xc2\x9b"
	 "31m",
	 0, "\\u{009b}31m"},
	{"term RLO", out_term_string,
	 "gpj\xe2\x80\xae"
	 "exe",
	 0, "gpj\\u{202e}exe"},
	{"term backslash", out_term_string, "a\\x1b", 0, "a\\x5cx1b"},
	{"term invalid", out_term_string, "\xff\xc0\xaf", 0, "\\xff\\xc0\\xaf"},
	/* CSV: quoted, formulas neutralised, controls and unsafe code points visible */
	{"csv formula", out_csv_string, "=HYPERLINK(\"x\")", 0, "\"'=HYPERLINK(\"\"x\"\")\""},
	{"csv C1", out_csv_string,
	 "a\xc2\x85"
	 "b",
	 0, "\"a\\u{0085}b\""},
	{"csv RLO", out_csv_string,
	 "txt\xe2\x80\xae"
	 "exe",
	 0, "\"txt\\u{202e}exe\""},
	{"csv ZWSP", out_csv_string, "exa\xe2\x80\x8bmple", 0, "\"exa\\u{200b}mple\""},
	{"csv tag char", out_csv_string, "a\xf3\xa0\x80\x81", 0, "\"a\\u{e0001}\""},
	{"csv umlaut kept", out_csv_string, "m\xc3\xbcller", 0, "\"m\xc3\xbcller\""},
	/* Markdown: no autolink survives, controls visible with the backslash escaped */
	{"md url", out_md_string, "http://evil.example/x", 0, "http\\://evil.example/x"},
	{"md www", out_md_string, "WWW.evil.example", 0, "WWW\\.evil.example"},
	{"md email", out_md_string, "user@evil.example", 0, "user`@`evil.example"},
	{"md email at the start", out_md_string, "@evil.example", 0, "`@`evil.example"},
	{"md at after a space", out_md_string, "with @SECLEVEL=0", 0, "with @SECLEVEL=0"},
	{"md ip", out_md_string, "127.0.0.1", 0, "127.0.0.1"},
	{"md punct", out_md_string, "a|b*c_[d](e)", 0, "a\\|b\\*c\\_\\[d\\]\\(e\\)"},
	{"md html", out_md_string, "<script>&", 0, "&lt;script&gt;&amp;"},
	{"md C1", out_md_string,
	 "a\xc2\x9b"
	 "b",
	 0, "a\\\\u{009b}b"},
	{"md RLO", out_md_string,
	 "a\xe2\x80\xae"
	 "b",
	 0, "a\\\\u{202e}b"},
	{"md ESC", out_md_string,
	 "a\x1b"
	 "b",
	 0, "a\\\\x1bb"},
	/* HTML: entities; controls and unsafe code points as visible text (an entity would still reorder) */
	{"html RLO", out_html_string, "a\xe2\x80\xae<b>", 0, "a\\u{202e}&lt;b&gt;"},
	{"html C1", out_html_string, "\xc2\x9b", 0, "\\u{009b}"},
	/* JSON: RFC 8259 escapes, lossless; invalid UTF-8 as U+FFFD */
	{"json C1", out_json_string,
	 "a\xc2\x9b"
	 "b",
	 0, "\"a\\u009bb\""},
	{"json RLO", out_json_string, "\xe2\x80\xae", 0, "\"\\u202e\""},
	{"json tag char", out_json_string, "\xf3\xa0\x80\x81", 0, "\"\\udb40\\udc01\""},
	{"json control", out_json_string, "\x01\n", 0, "\"\\u0001\\n\""},
	{"json invalid", out_json_string, "\xff", 0, "\"\\ufffd\""},
	{"json NUL inside", out_json_string, "a\0b", 3, "\"a\\u0000b\""},
	{"json emoji kept", out_json_string, "\xf0\x9f\x98\x80", 0, "\"\xf0\x9f\x98\x80\""},
};

int main(void)
{
	int fails = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (!m)
			return 2;
		t->fn(m, t->in, t->in_len ? t->in_len : strlen(t->in));
		fclose(m);
		if (len != strlen(t->want) || memcmp(buf, t->want, len) != 0) {
			printf("FAIL %s: got [%.*s] want [%s]\n", t->name, (int)len, buf, t->want);
			fails++;
		} else {
			printf("ok   %s\n", t->name);
		}
		free(buf);
	}
	uint32_t unsafe[] = {0x80, 0x9f, 0xad, 0x61c, 0x200b, 0x200e, 0x202a, 0x202e, 0x2066, 0x2069, 0xfeff, 0xe0001};
	uint32_t safe[] = {0xa0, 0xe9, 0x3b1, 0x200a, 0x2030, 0x4e2d, 0x1f600};
	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
		if (!out_cp_unsafe(unsafe[i])) {
			printf("FAIL U+%04X should be unsafe\n", (unsigned)unsafe[i]);
			fails++;
		}
	for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
		if (out_cp_unsafe(safe[i])) {
			printf("FAIL U+%04X should be shown\n", (unsigned)safe[i]);
			fails++;
		}
	printf("%d failures\n", fails);
	return fails != 0;
}
