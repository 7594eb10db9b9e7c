/* progress.h - a one-line progress display for long reads, on a terminal only (progress.c).
 *
 * Contract. The reading threads add what they did (file bytes, packets, TLS connections) with
 * progress_add(); a thread of its own redraws one line on stderr twice a second, starting after the first
 * second (a short read shows nothing), and clears it at progress_stop(). Messages that other code prints on
 * stderr while the line is shown go through progress_message() so they do not land inside the line.
 * A NULL progress (stderr is not a terminal, or -q) is accepted everywhere and does nothing. */
#ifndef TLSAUDIT_PROGRESS_H
#define TLSAUDIT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress;

/* What the line shows. total_bytes 0: the size is not known (a pipe), so no percentage or ETA. */
struct progress_sample {
	uint64_t bytes, total_bytes, packets, conns;
	uint64_t elapsed_ns;
};

/* Starts the display for inputs of total_bytes (0 if unknown). *ret is NULL when the display cannot start. */
void progress_start(uint64_t total_bytes, struct progress **ret);
void progress_add(struct progress *p, uint64_t bytes, uint64_t packets, uint64_t conns);
/* fmt is printed (with a newline) on stderr as a line of its own. */
__attribute__((format(printf, 2, 3))) void progress_message(struct progress *p, const char *fmt, ...);
void progress_stop(struct progress *p);

/* The line's text, e.g. "212.4 MB of 500.1 MB (42%), 815,032 packets, 50,320 TLS connections, 241.3 MB/s,
 * ETA 0:01". Returns its length (as snprintf). */
int progress_format(const struct progress_sample *s, char *buf, size_t len);

#endif
