/* rackboot-storm's engine: one thread, one io_uring, every simulated node
 * a small state machine driven by completions and one timer each. The
 * engine owns the node's lifecycle and the dispatch; the layers point down:
 *
 *   storm_engine.c        the loop, node lifecycle, dispatch of completions
 *                         and timers to the steps
 *   storm_step_dhcp.c     DORA over one AF_PACKET socket, leased addresses
 *   storm_step_proxy.c    the ProxyDHCPREQUEST on port 4011 after a proxy offer
 *   storm_step_tftp.c     TFTP over the node's UDP socket (storm_tftp.c decides)
 *   storm_step_http.c     a TCP connection per node in HTTP
 *   storm_dhcp_node.c     what the DORA and port-4011 steps share (pure)
 *   storm_io.c, storm_io_udp.c  ring, buffers, timers, deferred closes, a
 *                         node's UDP socket; the outcome calls a step
 *                         reports through (storm_io.h), implemented here
 *
 * Only this file includes the step headers; no step includes another's
 * or this one.
 *
 * Sends of one loop iteration go to the kernel with one io_uring_enter
 * (DHCP frames with one sendmmsg, address changes with one netlink
 * sendmsg per 256); every receive is a multishot operation drawing from
 * a provided-buffer ring, so a datagram costs no system call of its own. */
#ifndef RACKBOOT_STORM_ENGINE_H
#define RACKBOOT_STORM_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "storm/storm_args.h"
#include "storm/storm_io.h"
#include "storm/storm_node.h"
#include "storm/storm_step_dhcp.h"

struct storm {
	struct storm_io io;                 /* ring, buffers, timers, clock, nodes, counters */
	struct sdh dhcp;                    /* the packet socket and the leased addresses */

	uint64_t t0_abs;                    /* CLOCK_MONOTONIC ns at start */
	uint64_t end_at;                    /* --max-time, ns since t0 */
	uint64_t last_progress;
	unsigned next_start;                /* first node not started yet */
	volatile sig_atomic_t *stop;        /* set by a signal handler */

	unsigned running[PH__N], done, failed;
};

int storm_init(struct storm *s, const struct storm_cfg *cfg, volatile sig_atomic_t *stop,
	       char *err, size_t errlen);
void storm_run(struct storm *s);
/* Remove every address added, close everything. */
void storm_fini(struct storm *s);

#endif
