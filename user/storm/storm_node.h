/* rackboot-storm: what one simulated node is and how far it got. Shared by
 * the engine and its steps (storm_engine.c, storm_step_*.c), the report
 * (storm_report.c) and the command-line parser (storm_args.c). No I/O
 * here. */
#ifndef RACKBOOT_STORM_NODE_H
#define RACKBOOT_STORM_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/timer_heap.h"

/* The firmware a node starts as. SK_IPXE is a node already running iPXE
 * (it skips the PXE DORA and TFTP and begins at the iPXE DHCP). */
enum storm_kind { SK_BIOS, SK_UEFI, SK_IPXE, SK__N };

/* The steps of a boot, in order. PXE nodes run all four; iPXE nodes the
 * last two. Each has its own start/end time in the report. */
enum storm_phase { PH_DHCP, PH_TFTP, PH_IPXE_DHCP, PH_HTTP, PH__N };

enum storm_state { NS_WAITING, NS_ACTIVE, NS_DONE, NS_FAILED };

/* Why a node failed. Rendered as "dhcp-timeout", "tftp-error-1",
 * "http-status-404"... by storm_reason_str (the code is the N). */
enum storm_reason {
	R_NONE,
	R_DHCP_TIMEOUT,        /* no OFFER, or no ACK, after every retransmission */
	R_DHCP_NAK,
	R_DHCP_NO_BOOTFILE,    /* an address but nothing to boot */
	R_PROXY_TIMEOUT,       /* no ProxyDHCPACK on port 4011 after every retransmission */
	R_ADDR,                /* the leased address could not be added locally */
	R_TFTP_TIMEOUT,
	R_TFTP_ERROR,          /* ERROR packet, code in fail_code */
	R_TFTP_SIZE,           /* bytes received != tsize */
	R_TFTP_PROTOCOL,       /* a packet no server should send */
	R_HTTP_STATUS,         /* final status other than 200, code in fail_code */
	R_HTTP_TIMEOUT,        /* no byte for the idle timeout */
	R_HTTP_SHORT,          /* connection closed before Content-Length bytes */
	R_HTTP_CONNECT,        /* connect() failed */
	R_HTTP_PROTOCOL,       /* unparsable response, chunked, no Content-Length */
	R_HTTP_SCRIPT,         /* the script names no kernel */
	R_HTTP_URL,            /* a URL we cannot fetch (https, a host name) */
	R_SOCKET,              /* a local socket call failed */
	R_DEADLINE,            /* --max-time reached in this phase */
	R_INTERRUPTED,         /* SIGINT/SIGTERM */
	R__N
};

/* Which reply of a DORA the boot information came from, in the order one
 * overrides another (an ACK's file beats an offer's; the port-4011 ACK
 * beats everything). */
enum storm_boot_from { BF_NONE, BF_OFFER, BF_PROXY_OFFER, BF_ACK, BF_PROXY_ACK, BF__N };

/* Per-phase timing, nanoseconds since the run started. */
struct storm_span {
	uint64_t start, end;
	uint32_t retries;          /* retransmissions (DHCP incl. port 4011, TFTP) or
				      503 retries (HTTP) */
	bool started, ended;
	uint8_t boot_from;         /* DHCP phases: enum storm_boot_from */
};

struct storm_tftp_io;
struct storm_http_io;
struct storm_proxy_io;

struct storm_node {
	struct heap_node timer;    /* first: the engine maps heap nodes back */
	uint64_t deadline;         /* the real deadline; the heap entry may be earlier
				      (re-filed when it fires: O(1) per packet) */
	uint32_t idx;
	uint8_t mac[6];
	uint8_t kind;              /* enum storm_kind */
	uint8_t state;             /* enum storm_state */
	uint8_t phase;             /* current (or failing) phase */
	uint8_t step;              /* storm_engine.c: which step runs the phase now */
	uint8_t reason;            /* enum storm_reason */
	uint16_t fail_code;        /* TFTP error code or HTTP status */
	uint16_t arch;             /* option 93 */
	uint16_t gen;              /* bumped when a socket closes: stale completions */

	/* DHCP (both DORAs) */
	uint8_t dstate;            /* storm_step_dhcp.c: selecting, requesting, ... */
	uint8_t attempt;           /* transmissions of the current message */
	bool have_addr_offer, have_proxy_offer, addr_added;
	uint32_t xid;
	uint64_t dhcp_start;       /* for the secs field */
	uint64_t collect_until;    /* proxy-offer window end, 0 = none */
	uint32_t offer_ip, offer_sid, ip, server_id;   /* network order */
	uint8_t prefix;
	uint8_t boot_rank;         /* enum storm_boot_from of the boot file so far */
	bool proxy_ask;            /* the proxy offer sends this firmware to port 4011 */
	uint8_t proxy_acks;        /* ProxyDHCPACKs taken (both DORAs) */
	uint32_t proxy_server;     /* network order: the proxy offer's server */
	uint32_t next_server;      /* network order: TFTP server */
	char *bootfile;            /* PXE: the NBP; iPXE: the script URL (malloc) */

	/* the active phase's I/O state, allocated for its duration */
	int fd;
	struct storm_tftp_io *tftp;
	struct storm_http_io *http;
	struct storm_proxy_io *proxy;   /* in a DHCP phase: the port-4011 exchange */

	struct storm_span span[PH__N];
	uint64_t finished;         /* ns since the run started: done or failed */
	uint64_t tftp_bytes, http_bytes, script_bytes;
	uint64_t tftp_tsize;       /* what the server announced, 0 if none */
	uint16_t tftp_blksize, tftp_window;   /* as negotiated (512/1 without an OACK) */
	uint32_t http_503;         /* 503 answers waited out */
};

/* A coin toss per node that does not follow index parity (the mix is
 * interleaved, so with bios=1,uefi=1 every BIOS node has an even index):
 * the top bit of a multiplicative hash. */
static inline unsigned storm_node_coin(uint32_t idx)
{
	return (idx * 0x9e3779b1u) >> 31;
}

const char *storm_kind_name(int kind);      /* "bios", "uefi", "ipxe" */
const char *storm_phase_name(int phase);    /* "dhcp", "tftp", "ipxe_dhcp", "http" */
/* "offer", "proxy-offer", "ack", "proxy-ack"; "none" */
const char *storm_boot_from_name(int from);
/* "tftp-error-1" etc. into buf; returns buf. */
const char *storm_reason_str(int reason, unsigned code, char *buf, unsigned cap);

#endif
