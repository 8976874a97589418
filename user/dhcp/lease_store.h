/* Durable DHCP leases: SQLite in WAL mode under the state directory.
 *
 * The store is the source of truth across restarts; the DHCP server keeps
 * its own in-memory index and only writes through here. A binding is
 * acknowledged to a client only after the transaction that records it has
 * committed (synchronous=FULL: the WAL is fsynced at each commit).
 *
 * lease_writer runs one thread that takes every binding submitted while the
 * previous transaction was committing and commits them together (group
 * commit): under a storm one fsync covers hundreds of ACKs. */
#ifndef RACKBOOT_LEASE_STORE_H
#define RACKBOOT_LEASE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lease_state {
	LEASE_FREE = 0,       /* released or expired: row kept for the client's next visit */
	LEASE_BOUND = 1,      /* acknowledged to the client until `expires` */
	LEASE_DECLINED = 2,   /* a client reported the address in use (DHCPDECLINE) */
};

struct lease {
	uint32_t ip;          /* network order; the primary key */
	uint8_t hw[16];       /* client hardware address (chaddr) */
	uint8_t hwlen;
	uint8_t state;        /* enum lease_state */
	int64_t expires;      /* unix seconds */
	int64_t updated;      /* unix seconds of this write */
	char hostname[64];    /* option 12 as sent by the client, sanitised; may be "" */
};

struct lease_store;

/* Open (creating) DIR/leases.sqlite3. DIR must exist. On error returns NULL
 * with a message naming the file in err. */
struct lease_store *lease_store_open(const char *dir, char *err, size_t errlen);
/* Open an existing store read-only (for listing while the daemon runs). */
struct lease_store *lease_store_open_ro(const char *dir, char *err, size_t errlen);
/* Call cb for every row, ordered by ip. Returns 0, or -1 with err set. */
int lease_store_load(struct lease_store *s, void (*cb)(const struct lease *l, void *arg),
		     void *arg, char *err, size_t errlen);
/* Write n rows (insert or replace by ip) in one transaction. 0 or -1 + err. */
int lease_store_commit(struct lease_store *s, const struct lease *ls, size_t n,
		       char *err, size_t errlen);
void lease_store_close(struct lease_store *s);

/* Group-commit writer. done(cookie, ok, arg) is called from the writer thread
 * once the lease submitted with `cookie` is durable (ok=true) or its
 * transaction failed (ok=false: the caller must not acknowledge it). */
typedef void (*lease_done_fn)(void *cookie, bool ok, void *arg);
struct lease_writer;
struct lease_writer *lease_writer_new(struct lease_store *s, lease_done_fn done, void *arg);
/* Queue one row; never blocks on disk. cookie may be NULL (nothing to notify). */
void lease_writer_submit(struct lease_writer *w, const struct lease *l, void *cookie);
/* Wait until everything submitted so far is committed and notified. */
void lease_writer_flush(struct lease_writer *w);
/* Flush, stop the thread, free. The store stays open (caller closes it). */
void lease_writer_free(struct lease_writer *w);
/* Counters: transactions committed and rows written since start. */
void lease_writer_stats(struct lease_writer *w, unsigned long long *commits,
			unsigned long long *rows);

#endif
