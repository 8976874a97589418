/* in.tftpd's command line: tftpd-hpa 5.2's options and the long ones added
 * since, parsed into a plain struct (no side effects, unit-tested). */
#ifndef RACKBOOT_TFTPD_ARGS_H
#define RACKBOOT_TFTPD_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tftp/tftp_options.h"

#define TFTPD_MAX_ADDRS 16
#define TFTPD_MAX_THREADS 64

struct tftpd_args {
	int family;                  /* AF_UNSPEC, AF_INET (-4), AF_INET6 (-6) */
	bool create, secure, permissive;
	bool standalone, foreground, systemd, use_stderr, version;
	const char *user;            /* -u, default "nobody" */
	mode_t umask;                /* -U */
	bool umask_set;
	const char *pidfile;         /* -P */
	long idle_timeout_s;         /* -t; -1 = default */
	struct tftp_limits limits;   /* -B -W -r -T --window-bytes --reject-all */
	bool port_range;             /* -R */
	unsigned port_lo, port_hi;
	const char *map_file;        /* -m */
	int map_steps;               /* --map-steps */
	const char *map_test;        /* --map-test FILE */
	int verbosity;               /* -v, --verbosity */
	int threads;                 /* --threads: event loops; 0 = one per CPU */
	const char *service;         /* -S/--port/--service, default "tftp" */
	const char *fastpath_if;     /* --fastpath IF: the eBPF fast path; NULL = off */
	unsigned long long fastpath_max; /* --fastpath-max-size: largest hot file */
	const char *fastpath_kmod;   /* --fastpath-kmod auto|require|forbid, NULL: env */
	const char *addrs[TFTPD_MAX_ADDRS];
	int n_addrs;
	char **dirs;
	int n_dirs;
};

/* Parse argv. Returns 0, or a sysexits code (EX_USAGE) with err set. */
int tftpd_parse_args(int argc, char **argv, struct tftpd_args *a, char *err, size_t errlen);

/* Split "[addr][:port]" (IPv6 in brackets) into host (NULL = any) and
 * port (NULL = default). Writes into buf. Returns 0 or -EINVAL. */
int tftpd_split_address(const char *spec, char *buf, size_t buflen,
			const char **host, const char **port);

#endif
