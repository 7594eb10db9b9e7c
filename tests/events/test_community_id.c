/* test_community_id.c - out_community_id against the Community ID v1 spec's published TCP vectors (the spec's
 * baseline, also in Zeek's community_id_v1 btest) and against IPv6 and equal-address values computed with the
 * reference implementation (corelight/pycommunityid 1.5.0, CommunityID(seed).calc(FlowTuple.make_tcp(...))). */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "../check.h"
#include "tlsaudit/output.h"

static const struct {
	const char *a;
	uint16_t pa;
	const char *b;
	uint16_t pb;
	uint16_t seed;
	const char *want;
} vectors[] = {
	/* spec baseline: 1.2.3.4:1122 -> 5.6.7.8:3344 TCP */
	{"1.2.3.4", 1122, "5.6.7.8", 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
	{"1.2.3.4", 1122, "5.6.7.8", 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
	/* pycommunityid 1.5.0 */
	{"2001:db8::5", 50123, "2001:db8::443", 443, 0, "1:4vOyKMXJIPS2C8GojeWyjcYgF9Y="},
	{"fe80:1:203:405:607:809:a0b:c0d", 50000, "fe80:1011:1213:1415:1617:1819:1a1b:1c1d", 443, 0,
	 "1:hDUCLHCCFXBJ+UBR3Xl/GnLHUCw="},
	{"fe80:1:203:405:607:809:a0b:c0d", 50000, "fe80:1011:1213:1415:1617:1819:1a1b:1c1d", 443, 1,
	 "1:MkKWL7I3qHDGHcagyMzxSmjTzug="},
	/* equal addresses: the ports decide the order */
	{"10.0.0.5", 443, "10.0.0.5", 50123, 0, "1:Aenj+llbe0vRj9gHxfXSvXMijdk="},
};

static void addr(const char *s, uint8_t *family, uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, s, ip) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, s, ip) == 1)
		*family = 6;
	else
		*family = 0;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		uint8_t fa, fb, a[16], b[16];
		char got[OUT_COMMUNITY_ID_LEN];
		addr(vectors[i].a, &fa, a);
		addr(vectors[i].b, &fb, b);
		CHECK(fa == fb && fa != 0);
		/* either direction gives the same id */
		CHECK(out_community_id(fa, a, vectors[i].pa, b, vectors[i].pb, vectors[i].seed, got));
		if (strcmp(got, vectors[i].want) != 0)
			fprintf(stderr, "vector %zu: %s, expected %s\n", i, got, vectors[i].want);
		CHECK(strcmp(got, vectors[i].want) == 0);
		CHECK(out_community_id(fa, b, vectors[i].pb, a, vectors[i].pa, vectors[i].seed, got));
		CHECK(strcmp(got, vectors[i].want) == 0);
	}
	/* no family: no id */
	uint8_t z[16] = {0};
	char got[OUT_COMMUNITY_ID_LEN] = "x";
	CHECK(!out_community_id(0, z, 1, z, 2, 0, got) && got[0] == '\0');
	printf("community_id: %d/%d checks passed\n", checks - failures, checks);
	return failures ? 1 : 0;
}
