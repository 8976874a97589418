/* rackboot-storm's command line: parsed into a storm_cfg, with the value
 * parsers (mix, start, phases, MAC) exposed for the unit tests. */
#ifndef RACKBOOT_STORM_ARGS_H
#define RACKBOOT_STORM_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storm/storm_node.h"

#define STORM_MAX_NODES 200000

struct storm_cfg {
	const char *ifname;
	unsigned nodes;
	double ramp_rate;          /* nodes started per second; 0 = all at once */
	unsigned mix[SK__N];       /* weights */
	uint8_t mac_base[6];
	int last_phase;            /* enum storm_phase: stop after it */
	double timeout_scale;      /* multiplies every protocol timeout */
	double max_time;           /* seconds, hard bound of the run */
	double proxy_wait;         /* seconds to wait for a proxyDHCP offer (before scaling) */
	const char *json_path;
	bool progress;
};

/* "bios=50,uefi=40,ipxe=10": weights by kind, any order, each at most
 * once, at least one non-zero. 0 or -1 with a message in err. */
int storm_parse_mix(const char *s, unsigned w[SK__N], char *err, size_t errlen);
/* "all" (rate 0) or "ramp:RATE" (nodes per second, > 0). */
int storm_parse_start(const char *s, double *rate, char *err, size_t errlen);
/* Comma list of dhcp, tftp, ipxe_dhcp (or ipxe-dhcp), http; must be the
 * start of that sequence (http brings ipxe_dhcp with it). *last = the
 * last phase to run. */
int storm_parse_phases(const char *s, int *last, char *err, size_t errlen);
/* aa:bb:cc:dd:ee:ff or aa-bb-...; 0 or -1. */
int storm_parse_mac(const char *s, uint8_t mac[6]);
/* MAC of node i: the base plus i, as one 48-bit number. */
void storm_node_mac(const uint8_t base[6], uint32_t i, uint8_t mac[6]);
/* i such that storm_node_mac(base, i) == mac, or -1 if below the base. */
int64_t storm_mac_index(const uint8_t base[6], const uint8_t mac[6]);

/* The kind of each of n nodes: weighted round robin (the smooth kind, as
 * nginx balances upstreams), so every prefix of the sequence holds the
 * kinds in proportion and a ramp starts them interleaved; the totals are
 * exact when n is a multiple of the weights' sum. */
void storm_mix_assign(const unsigned w[SK__N], unsigned n, uint8_t *kinds);

/* The whole command line. 0 ok, 1 help printed (exit 0), -1 error with
 * err set (exit 2). */
int storm_args_parse(int argc, char **argv, struct storm_cfg *cfg, char *err, size_t errlen);
void storm_usage(FILE *f);

#endif
