/* The DHCP server's in-memory view of every address it knows: bindings
 * (offered, bound, free, declined) indexed by address and by client, and
 * the search for a free address in a subnet's ranges. One thread owns it.
 *
 * The lease store is the durable copy; this is rebuilt from it at start.
 * An address is handed to at most one client at a time: an OFFER holds its
 * address for the hold time, a bound lease until it expires, a reservation
 * forever. */
#ifndef RACKBOOT_DHCP_POOL_H
#define RACKBOOT_DHCP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp/lease_store.h"

struct rb_config;
struct rb_subnet;

enum pool_state {
	POOL_FREE = LEASE_FREE,         /* released/expired; remembered for its last client */
	POOL_BOUND = LEASE_BOUND,
	POOL_DECLINED = LEASE_DECLINED,
	POOL_OFFERED = 3,               /* in memory only: never stored */
};

struct pool_binding {
	uint32_t ip;                    /* host order */
	uint8_t hw[16], hwlen;
	uint8_t state;                  /* enum pool_state */
	int64_t expires;                /* end of lease, offer hold or decline quarantine */
	char hostname[64];
};

struct dhcp_pool;

struct dhcp_pool *pool_new(void);
void pool_free(struct dhcp_pool *p);
/* Addresses of static reservations: never offered to anyone else. Call
 * again after a config reload (replaces the set). */
void pool_set_reserved(struct dhcp_pool *p, const struct rb_config *c);
/* Take a row of the lease store at start. */
void pool_restore(struct dhcp_pool *p, const struct lease *l);

struct pool_binding *pool_by_ip(struct dhcp_pool *p, uint32_t ip);
/* The client's most recent binding (whatever its state), or NULL. */
struct pool_binding *pool_by_hw(struct dhcp_pool *p, const uint8_t *hw, uint8_t hwlen);
/* Held by its client now (offered or bound, not expired), or quarantined. */
bool pool_busy(const struct pool_binding *b, int64_t now);
bool pool_owned_by(const struct pool_binding *b, const uint8_t *hw, uint8_t hwlen);
bool pool_in_ranges(const struct rb_subnet *s, uint32_t ip);
bool pool_is_reserved(const struct dhcp_pool *p, uint32_t ip);

/* The address to offer this client in subnet s (RFC 2131 4.3.1 order):
 * its live or remembered binding, else `requested` if free, else the first
 * never-used address, else a free one, taken in turn. Returns 0 if the
 * subnet is exhausted (remembered for the rest of that second). Changes no
 * binding, only where the next search starts. */
uint32_t pool_choose(struct dhcp_pool *p, const struct rb_subnet *s, const uint8_t *hw,
		     uint8_t hwlen, uint32_t requested, int64_t now);
/* Record that ip now belongs to hw in `state` until `expires`. The client's
 * previous address, if it held another one, is freed and returned in
 * *released (else NULL) so that the caller can store that change too.
 * Returns the binding of ip. */
struct pool_binding *pool_assign(struct dhcp_pool *p, uint32_t ip, const uint8_t *hw,
				 uint8_t hwlen, uint8_t state, int64_t expires,
				 struct pool_binding **released);
/* The row to store for a binding. */
void pool_to_lease(const struct pool_binding *b, int64_t now, struct lease *l);

struct pool_stats { size_t bindings, bound, offered, declined; };
void pool_stats(const struct dhcp_pool *p, int64_t now, struct pool_stats *st);

#endif
