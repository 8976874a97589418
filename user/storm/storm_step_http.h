/* The HTTP step of rackboot-storm: iPXE's script, kernel and initrds for
 * one node over a TCP connection (storm_step_http.c). The whole HTTP
 * phase. */
#ifndef RACKBOOT_STORM_STEP_HTTP_H
#define RACKBOOT_STORM_STEP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storm/storm_io.h"

void sth_begin(struct storm_io *s, struct storm_node *n);
/* A completion of op (OP_TCP_*) on the node's current connection. */
void sth_on_cqe(struct storm_io *s, struct storm_node *n, unsigned op, int res,
		const uint8_t *data, size_t len, bool more);
void sth_on_timer(struct storm_io *s, struct storm_node *n);
void sth_abort(struct storm_io *s, struct storm_node *n);
void sth_free(struct storm_node *n);                 /* at exit: no I/O */

#endif
