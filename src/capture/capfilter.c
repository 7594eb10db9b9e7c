/* capfilter.c - BPF filter expressions over frames of any link type, via libpcap.
 * specification: pcap-filter(7), pcap_compile(3PCAP), pcap_offline_filter(3PCAP).
 *
 * Design note: a BPF program is compiled for one link type, but a pcapng file can mix
 * link types. The expression is compiled once for Ethernet in capfilter_new() to
 * reject syntax errors early, then compiled lazily for each link type a frame uses,
 * keeping a small cache (CAPFILTER_CACHE entries, round-robin replacement). A link
 * type the expression cannot be compiled for is cached as failed.
 */
#include "tlsaudit/capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap.h>

#define CAPFILTER_CACHE	  4
#define CAPFILTER_SNAPLEN 262144

struct capfilter_prog {
	bool used;
	bool failed;		 /* cannot compile for this link type */
	uint32_t linktype;	 /* LINKTYPE_ value */
	struct bpf_program prog; /* owned when used && !failed */
};

struct capfilter {
	char *expr; /* owned copy */
	struct capfilter_prog cache[CAPFILTER_CACHE];
	unsigned next; /* next slot to replace */
};

/* compile expr for linktype into *prog; err gets pcap's message on failure */
static int capfilter_compile(const char *expr, uint32_t linktype, struct bpf_program *prog, char *err, size_t errlen)
{
	/* A pcap file header alone, read by libpcap from memory: the compiler then sees a
	 * savefile, exactly as in "tcpdump -r", which matters for LINKTYPE_NULL (BSD AF_
	 * values instead of this host's) and maps LINKTYPE_ to DLT_ values for us. */
	uint8_t hdr[24];
	struct {
		uint32_t magic;
		uint16_t major, minor;
		uint32_t zone, sigfigs, snaplen, linktype;
	} h = {0xa1b2c3d4u, 2, 4, 0, 0, CAPFILTER_SNAPLEN, linktype};
	memcpy(hdr, &h.magic, 4); /* host byte order, field by field: no padding assumptions */
	memcpy(hdr + 4, &h.major, 2);
	memcpy(hdr + 6, &h.minor, 2);
	memcpy(hdr + 8, &h.zone, 4);
	memcpy(hdr + 12, &h.sigfigs, 4);
	memcpy(hdr + 16, &h.snaplen, 4);
	memcpy(hdr + 20, &h.linktype, 4);
	char perr[PCAP_ERRBUF_SIZE] = "";
	FILE *mf = fmemopen(hdr, sizeof(hdr), "rb");
	pcap_t *p = mf ? pcap_fopen_offline(mf, perr) : NULL;
	if (!p) {
		if (mf)
			fclose(mf);
		if (err && errlen)
			snprintf(err, errlen, "filter: cannot set up a filter compiler for link type %u: %s", linktype,
				 perr);
		return -EINVAL;
	}
	int rc = 0;
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "filter \"%s\" for link type %u: %s", expr, linktype, pcap_geterr(p));
		rc = -EINVAL;
	}
	pcap_close(p);
	return rc;
}

int capfilter_new(const char *expr, struct capfilter **ret, char *err, size_t errlen)
{
	struct capfilter *f = calloc(1, sizeof(*f));
	if (f)
		f->expr = strdup(expr);
	if (!f || !f->expr) {
		free(f);
		if (err && errlen)
			snprintf(err, errlen, "filter: out of memory");
		return -ENOMEM;
	}
	struct capfilter_prog *slot = &f->cache[0];
	int rc = capfilter_compile(expr, 1, &slot->prog, err, errlen);
	if (rc < 0) {
		capfilter_free(f);
		return rc;
	}
	slot->used = true;
	slot->linktype = 1;
	f->next = 1;
	*ret = f;
	return 0;
}

int capfilter_match(struct capfilter *f, const struct cap_frame *fr, char *err, size_t errlen)
{
	struct capfilter_prog *slot = NULL;
	for (unsigned i = 0; i < CAPFILTER_CACHE; i++) {
		if (f->cache[i].used && f->cache[i].linktype == fr->linktype) {
			slot = &f->cache[i];
			break;
		}
	}
	if (!slot) {
		slot = &f->cache[f->next];
		f->next = (f->next + 1) % CAPFILTER_CACHE;
		if (slot->used && !slot->failed)
			pcap_freecode(&slot->prog);
		memset(slot, 0, sizeof(*slot));
		slot->used = true;
		slot->linktype = fr->linktype;
		if (capfilter_compile(f->expr, fr->linktype, &slot->prog, err, errlen) < 0) {
			slot->failed = true;
			return -EINVAL;
		}
	}
	if (slot->failed)
		return -EINVAL; /* err was set when the failure was first seen */

	struct pcap_pkthdr h;
	memset(&h, 0, sizeof(h));
	int64_t s = fr->ts_ns / 1000000000;
	int64_t ns = fr->ts_ns % 1000000000;
	if (ns < 0) {
		ns += 1000000000;
		s--;
	}
	h.ts.tv_sec = (time_t)s;
	h.ts.tv_usec = (suseconds_t)(ns / 1000);
	h.caplen = fr->caplen > UINT32_MAX ? UINT32_MAX : (bpf_u_int32)fr->caplen;
	h.len = fr->wire_len > UINT32_MAX ? UINT32_MAX : (bpf_u_int32)fr->wire_len;
	return pcap_offline_filter(&slot->prog, &h, fr->data) != 0 ? 1 : 0;
}

void capfilter_free(struct capfilter *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < CAPFILTER_CACHE; i++)
		if (f->cache[i].used && !f->cache[i].failed)
			pcap_freecode(&f->cache[i].prog);
	free(f->expr);
	free(f);
}
