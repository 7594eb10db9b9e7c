/* live.c - live capture from a network interface through libpcap (pcap_create/pcap_activate).
 *
 * Design note. The handle is put in non-blocking mode and read with
 * pcap_dispatch() after poll() on its selectable descriptor: the caller's loop
 * owns the clock (commit timer, signals), and an idle link never blocks it.
 * libpcap's counters are 32-bit; caplive_stats() extends them to 64 bits by
 * accumulating differences modulo 2^32, so a sensor running for weeks reports
 * honest totals. "-i any" asks for Linux cooked v2 (it carries the interface
 * index) and falls back to whatever the handle offers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "tlsaudit/capture.h"
#include "tlsaudit/decode.h"

struct caplive {
	pcap_t *p;
	uint32_t linktype;			 /* LINKTYPE_* */
	bool nano;				 /* timestamps in ns (else us) */
	u_int last_recv, last_drop, last_ifdrop; /* last raw pcap_stats values */
	struct caplive_stats total;		 /* 64-bit accumulations */
	caplive_frame_fn fn;			 /* during caplive_dispatch */
	void *fn_ctx;
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* DLT_* as returned by pcap_datalink() -> LINKTYPE_* as stored in files; they differ only for a few. */
static uint32_t dlt_to_linktype(int dlt)
{
#ifdef DLT_RAW
	if (dlt == DLT_RAW)
		return LINK_RAW;
#endif
	return (uint32_t)dlt;
}

static int map_activate_error(int rc)
{
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE: return -ENODEV;
	case PCAP_ERROR_IFACE_NOT_UP: return -ENETDOWN;
	case PCAP_ERROR_PERM_DENIED: return -EPERM;
#ifdef PCAP_ERROR_PROMISC_PERM_DENIED
	case PCAP_ERROR_PROMISC_PERM_DENIED: return -EPERM;
#endif
	case PCAP_ERROR_RFMON_NOTSUP: return -EOPNOTSUPP;
	default: return -EIO;
	}
}

/* Prefer Linux cooked v2 on "any": it names the interface of each packet. */
static void prefer_sll2(pcap_t *p)
{
#ifdef DLT_LINUX_SLL2
	int *dlts = NULL;
	int n = pcap_list_datalinks(p, &dlts);
	for (int i = 0; i < n; i++) {
		if (dlts[i] == DLT_LINUX_SLL2) {
			pcap_set_datalink(p, DLT_LINUX_SLL2);
			break;
		}
	}
	if (n > 0)
		pcap_free_datalinks(dlts);
#else
	(void)p;
#endif
}

static int apply_filter(struct caplive *c, const struct caplive_opts *o, char *err, size_t errlen)
{
	const char *user = o->filter && *o->filter ? o->filter : NULL;
	char *expr = NULL;
	size_t n;
	struct bpf_program prog;
	int ret = 0;

	if (!user && !o->tcp_only)
		return 0;
	n = (user ? strlen(user) : 0) + 16;
	expr = malloc(n);
	if (!expr)
		return -ENOMEM;
	if (user && o->tcp_only)
		snprintf(expr, n, "tcp and (%s)", user);
	else
		snprintf(expr, n, "%s", user ? user : "tcp");
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		set_err(err, errlen, "bad filter '%s': %s", user ? user : expr, pcap_geterr(c->p));
		ret = -EINVAL;
		goto out;
	}
	if (pcap_setfilter(c->p, &prog) < 0) {
		set_err(err, errlen, "cannot set filter '%s': %s", expr, pcap_geterr(c->p));
		ret = -EINVAL;
	}
	pcap_freecode(&prog);
out:
	free(expr);
	return ret;
}

int caplive_open(const struct caplive_opts *o, struct caplive **ret, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct caplive *c;
	int rc, r;

	ebuf[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c) {
		set_err(err, errlen, "%s: out of memory", o->iface);
		return -ENOMEM;
	}
	c->p = pcap_create(o->iface, ebuf);
	if (!c->p) {
		set_err(err, errlen, "%s: %s", o->iface, ebuf);
		free(c);
		return -ENODEV;
	}
	pcap_set_snaplen(c->p, (int)(o->snaplen ? o->snaplen : CAPLIVE_DEF_SNAPLEN));
	pcap_set_promisc(c->p, o->promisc ? 1 : 0);
	pcap_set_timeout(c->p, o->timeout_ms > 0 ? o->timeout_ms : CAPLIVE_DEF_TIMEOUT_MS);
	pcap_set_buffer_size(c->p, (int)(o->buffer_bytes && o->buffer_bytes < (size_t)1 << 30 ? o->buffer_bytes
											      : CAPLIVE_DEF_BUFFER));
	if (o->immediate)
		pcap_set_immediate_mode(c->p, 1);
	c->nano = pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO) == 0;

	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *detail = pcap_geterr(c->p);
		r = map_activate_error(rc);
		if (r == -ENODEV)
			set_err(err, errlen, "%s: no such network interface", o->iface);
		else if (r == -EPERM)
			set_err(err, errlen, "%s: permission denied (capturing needs root or CAP_NET_RAW): %s",
				o->iface, detail);
		else if (r == -ENETDOWN)
			set_err(err, errlen, "%s: interface is not up: %s", o->iface, detail);
		else
			set_err(err, errlen, "%s: %s", o->iface, detail && *detail ? detail : pcap_statustostr(rc));
		pcap_close(c->p);
		free(c);
		return r;
	}
	if (c->nano && pcap_get_tstamp_precision(c->p) != PCAP_TSTAMP_PRECISION_NANO)
		c->nano = false;
	if (strcmp(o->iface, "any") == 0)
		prefer_sll2(c->p);
	c->linktype = dlt_to_linktype(pcap_datalink(c->p));
	if ((r = apply_filter(c, o, err, errlen)) < 0) {
		caplive_free(c);
		return r;
	}
	if (pcap_setnonblock(c->p, 1, ebuf) < 0) {
		set_err(err, errlen, "%s: cannot make the handle non-blocking: %s", o->iface, ebuf);
		caplive_free(c);
		return -EIO;
	}
	*ret = c;
	return 0;
}

int caplive_fd(const struct caplive *c)
{
	return pcap_get_selectable_fd(c->p);
}

uint32_t caplive_linktype(const struct caplive *c)
{
	return c->linktype;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct caplive *c = (struct caplive *)user;
	struct cap_frame fr;

	memset(&fr, 0, sizeof(fr));
	fr.ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * (c->nano ? 1 : 1000);
	fr.linktype = c->linktype;
	fr.data = bytes;
	fr.caplen = h->caplen;
	fr.wire_len = h->len > h->caplen ? h->len : h->caplen;
	c->fn(&fr, c->fn_ctx);
}

int caplive_dispatch(struct caplive *c, int max, caplive_frame_fn fn, void *ctx, char *err, size_t errlen)
{
	int n;

	c->fn = fn;
	c->fn_ctx = ctx;
	n = pcap_dispatch(c->p, max > 0 ? max : -1, on_packet, (u_char *)c);
	if (n == PCAP_ERROR) {
		set_err(err, errlen, "capture failed: %s", pcap_geterr(c->p));
		return -ENETDOWN;
	}
	if (n < 0) /* PCAP_ERROR_BREAK: not used by us */
		return 0;
	return n;
}

int caplive_stats(struct caplive *c, struct caplive_stats *ret, char *err, size_t errlen)
{
	struct pcap_stat ps;

	if (pcap_stats(c->p, &ps) < 0) {
		set_err(err, errlen, "pcap_stats: %s", pcap_geterr(c->p));
		return -EIO;
	}
	/* unsigned subtraction is modulo 2^32: a wrapped counter still adds its true delta */
	c->total.received += (u_int)(ps.ps_recv - c->last_recv);
	c->total.kernel_drops += (u_int)(ps.ps_drop - c->last_drop);
	c->total.if_drops += (u_int)(ps.ps_ifdrop - c->last_ifdrop);
	c->last_recv = ps.ps_recv;
	c->last_drop = ps.ps_drop;
	c->last_ifdrop = ps.ps_ifdrop;
	*ret = c->total;
	return 0;
}

void caplive_free(struct caplive *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c);
}
