/* The TFTP step of rackboot-storm: the boot program for one node over
 * its UDP socket (storm_step_tftp.c). The whole TFTP phase. */
#ifndef RACKBOOT_STORM_STEP_TFTP_H
#define RACKBOOT_STORM_STEP_TFTP_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "storm/storm_io.h"

void stt_begin(struct storm_io *s, struct storm_node *n);
void stt_on_recv(struct storm_io *s, struct storm_node *n, const struct sockaddr_in *src,
		 const uint8_t *p, size_t len);
void stt_on_timer(struct storm_io *s, struct storm_node *n);
void stt_abort(struct storm_io *s, struct storm_node *n);

#endif
