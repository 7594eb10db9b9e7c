/* devlist.c - the interfaces libpcap can capture on (pcap_findalldevs), for `capture -D` as tcpdump -D lists
 * them: name, description and state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "tlsaudit/capture.h"

int caplive_list(caplive_dev_fn fn, void *ctx, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;

	if (pcap_findalldevs(&all, ebuf) != 0) {
		snprintf(err, errlen, "cannot list interfaces: %s", ebuf);
		return -EIO;
	}
	unsigned i = 0;
	for (pcap_if_t *d = all; d; d = d->next) {
		struct caplive_dev dev = {
			.index = ++i,
			.name = d->name,
			.description = d->description,
			.loopback = (d->flags & PCAP_IF_LOOPBACK) != 0,
			.up = (d->flags & PCAP_IF_UP) != 0,
			.running = (d->flags & PCAP_IF_RUNNING) != 0,
			.wireless = (d->flags & PCAP_IF_WIRELESS) != 0,
		};
		switch (d->flags & PCAP_IF_CONNECTION_STATUS) {
		case PCAP_IF_CONNECTION_STATUS_CONNECTED: dev.connection = "Connected"; break;
		case PCAP_IF_CONNECTION_STATUS_DISCONNECTED: dev.connection = "Disconnected"; break;
		default: dev.connection = NULL; break;
		}
		fn(&dev, ctx);
	}
	pcap_freealldevs(all);
	return 0;
}
