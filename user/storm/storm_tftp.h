/* The TFTP client of one simulated node, as firmware behaves (pure state
 * machine: packets and timeouts in, packets to send out; no I/O, no clock).
 *
 *   BIOS (PXE ROM / iPXE-like): RRQ file octet blksize B tsize 0 -> OACK ->
 *     ACK 0 -> DATA 1.. each ACKed (windowsize 1).
 *   UEFI (EDK2): RRQ file octet tsize 0 -> OACK (tsize) -> ERROR 8 (abort:
 *     it only wanted the size) -> from a new UDP port, RRQ file octet
 *     blksize 1468 windowsize 4 tsize 0 -> OACK -> ACK 0 -> DATA, the last
 *     block of each window ACKed.
 *
 * Why a new port for the real request (as EDK2, which opens a new UDP
 * instance per MTFTP operation): a retransmitted probe leaves a second
 * probe session on the server, whose OACK (tsize only) would otherwise be
 * taken for the answer to the real request — a whole file at blksize 512
 * through a session nobody meant.
 *
 * Retransmission: on a timeout the last RRQ or ACK goes out again, like
 * firmware does; a run of `max_retries` timeouts without progress fails.
 * The received size must equal the tsize the server announced. */
#ifndef RACKBOOT_STORM_TFTP_H
#define RACKBOOT_STORM_TFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum stftp_style { STFTP_BIOS, STFTP_UEFI };
enum stftp_state { STFTP_PROBE, STFTP_RRQ, STFTP_DATA, STFTP_DONE, STFTP_FAILED };
enum stftp_fail { STFTP_F_NONE, STFTP_F_TIMEOUT, STFTP_F_ERROR, STFTP_F_SIZE, STFTP_F_PROTOCOL };

/* Action bits returned by stftp_start/input/timeout. Several may be set;
 * in this order: send ERR (to err_port), switch to a NEW_PORT (a fresh
 * local UDP port; the old one is done), send RRQ (to the server's port),
 * send ACK (to peer_port). */
#define STFTP_SEND_ERR  0x01u
#define STFTP_SEND_RRQ  0x02u
#define STFTP_SEND_ACK  0x04u
#define STFTP_PROGRESS  0x08u      /* something new arrived: restart the timer */
#define STFTP_DONE      0x10u
#define STFTP_FAIL      0x20u
#define STFTP_NEW_PORT  0x40u

#define STFTP_RRQ_MAX   600

struct stftp {
	uint8_t style, state, fail, retries;
	uint16_t want_blksize, want_window;
	uint16_t blksize, window, win_count;
	uint16_t peer_port;        /* the server's TID for this request; 0 until it answers */
	uint16_t err_port;         /* where err[] goes */
	uint16_t errcode;          /* the server's, when fail == STFTP_F_ERROR */
	int64_t tsize;             /* announced size; -1 unknown */
	uint64_t next;             /* absolute number of the next expected block */
	uint64_t bytes;
	uint64_t gap_acked_for, dup_acked_for;
	uint32_t strays, gaps, dups, retransmits;
	char file[256];
	uint8_t rrq[STFTP_RRQ_MAX];
	uint16_t rrq_len;
	uint8_t ack[4];
	uint8_t err[32];
	uint16_t err_len;
};

/* Prepare a transfer of `file`; blksize is the BIOS request (ignored for
 * UEFI, which asks for 1468 and windowsize 4). Returns -1 if the name does
 * not fit in a request. */
int stftp_init(struct stftp *t, enum stftp_style style, const char *file, uint16_t blksize);
/* The first request: STFTP_SEND_RRQ. */
unsigned stftp_start(struct stftp *t);
/* A datagram from the server's address, UDP source port `port`. */
unsigned stftp_input(struct stftp *t, uint16_t port, const uint8_t *p, size_t len);
/* The retransmission timer fired. */
unsigned stftp_timeout(struct stftp *t, unsigned max_retries);

#endif
