/* The TFTP server: one io_uring event loop serving every transfer of the
 * process (no process or thread per transfer). See docs/ARCHITECTURE.md. */
#ifndef RACKBOOT_TFTP_SERVER_H
#define RACKBOOT_TFTP_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tftp/tftp_files.h"
#include "tftp/tftp_options.h"

struct remap_rules;
struct tftp_server;
struct hist;
struct fp_tftp;

struct tftp_server_opts {
	struct tftp_limits limits;
	struct tftp_roots *roots;
	bool create, permissive;
	int verbosity;
	bool port_range;             /* transfer ports in [port_lo, port_hi] */
	unsigned port_lo, port_hi;
	long idle_exit_ms;           /* inetd mode: exit when idle this long; <0 never */
	struct hist *durations;      /* NULL, or where completed transfer times go */
	/* NULL, or told of every transfer that ends (for the node timeline);
	 * `kernel`: the fast path served it to the end */
	void (*on_done)(void *arg, const struct sockaddr_storage *peer, const char *filename,
			uint64_t bytes, uint64_t dur_us, bool ok, bool kernel);
	void *on_done_arg;
	/* NULL, or the eBPF fast path: transfers of hot files are handed to
	 * the kernel once the request is accepted (fastpath/tftp_kernel.h) */
	struct fp_tftp *kernel;
};

/* Serve the bound UDP sockets `fds` (ownership passes to the server). */
struct tftp_server *tftp_server_new(const struct tftp_server_opts *o, const int *fds,
				    int nfds, char *err, size_t errlen);
/* Install remap rules (or NULL); the server owns them from now on. */
void tftp_server_set_rules(struct tftp_server *s, struct remap_rules *r);
/* Run the loop in the calling thread until tftp_server_stop() (or the idle
 * timeout). Returns 0, or -errno on a fatal loop error. */
int tftp_server_run(struct tftp_server *s);
/* From any thread (not a signal handler): ask the loop to return. */
void tftp_server_stop(struct tftp_server *s);
/* From any thread: the loop takes these rules up at its next iteration
 * (SIGHUP reload without stopping transfers). */
void tftp_server_offer_rules(struct tftp_server *s, struct remap_rules *r);
void tftp_server_free(struct tftp_server *s);
/* Before tftp_server_run: hand hot transfers to the kernel from now on
 * (the fast path loads after the sockets are open). */
void tftp_server_set_kernel(struct tftp_server *s, struct fp_tftp *k);

/* Counters since start; `active` is the transfers in progress now. */
struct tftp_server_stats {
	unsigned long long requests, completed, failed, active, bad_packets;
	/* the fast path: transfers handed to the kernel, finished there, and
	 * taken back to userspace (stalled, or a packet it passed up) */
	unsigned long long kernel_handed, kernel_completed, kernel_taken_back;
};
void tftp_server_stats(const struct tftp_server *s, struct tftp_server_stats *st);

#endif
