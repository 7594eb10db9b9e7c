/* store_internal.h - what the store's own source files share (never included
 * outside src/store: <sqlite3.h> stays behind the store's contract). */
#ifndef TLSAUDIT_STORE_INTERNAL_H
#define TLSAUDIT_STORE_INTERNAL_H

#include <stddef.h>

#include <sqlite3.h>

#include "tlsaudit/store.h"

/* The open connection (borrowed): for queries in the store's other files. */
sqlite3 *store_db(struct store *s);
/* printf into a caller's error buffer (NULL/0 accepted). */
__attribute__((format(printf, 3, 4))) void store_set_err(char *err, size_t errlen, const char *fmt, ...);
/* SQLite result code -> negative errno-style code. */
int store_map_rc(int rc);
/* "what: sqlite message" into err; returns store_map_rc(rc). */
int store_db_err(sqlite3 *db, int rc, const char *what, char *err, size_t errlen);

#endif
