/* in.tftpd command-line parsing; see tftpd_args.h. */
#include "tftp/tftpd_args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

enum {
	OPT_VERBOSITY = 256, OPT_STDERR, OPT_MAP_TEST, OPT_MAP_STEPS,
	OPT_SYSTEMD, OPT_WINDOW_BYTES, OPT_REJECT_ALL, OPT_HELP, OPT_THREADS,
	OPT_FASTPATH, OPT_FASTPATH_MAX, OPT_FASTPATH_KMOD,
};

static const struct option long_opts[] = {
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "create", no_argument, NULL, 'c' },
	{ "secure", no_argument, NULL, 's' },
	{ "chroot", no_argument, NULL, 's' },
	{ "permissive", no_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "verbosity", required_argument, NULL, OPT_VERBOSITY },
	{ "version", no_argument, NULL, 'V' },
	{ "listen", no_argument, NULL, 'l' },
	{ "foreground", no_argument, NULL, 'L' },
	{ "address", required_argument, NULL, 'a' },
	{ "blocksize", required_argument, NULL, 'B' },
	{ "windowsize", required_argument, NULL, 'W' },
	{ "window-bytes", required_argument, NULL, OPT_WINDOW_BYTES },
	{ "user", required_argument, NULL, 'u' },
	{ "umask", required_argument, NULL, 'U' },
	{ "refuse", required_argument, NULL, 'r' },
	{ "reject-all", no_argument, NULL, OPT_REJECT_ALL },
	{ "timeout", required_argument, NULL, 't' },
	{ "retransmit", required_argument, NULL, 'T' },
	{ "port-range", required_argument, NULL, 'R' },
	{ "ports", required_argument, NULL, 'R' },
	{ "service", required_argument, NULL, 'S' },
	{ "port", required_argument, NULL, 'S' },
	{ "map-file", required_argument, NULL, 'm' },
	{ "map-steps", required_argument, NULL, OPT_MAP_STEPS },
	{ "pidfile", required_argument, NULL, 'P' },
	{ "stderr", no_argument, NULL, OPT_STDERR },
	{ "map-test", required_argument, NULL, OPT_MAP_TEST },
	{ "systemd", no_argument, NULL, OPT_SYSTEMD },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "fastpath", required_argument, NULL, OPT_FASTPATH },
	{ "fastpath-max-size", required_argument, NULL, OPT_FASTPATH_MAX },
	{ "fastpath-kmod", required_argument, NULL, OPT_FASTPATH_KMOD },
	{ NULL, 0, NULL, 0 },
};
static const char short_opts[] = "46cspvVlLa:B:W:u:U:r:t:T:R:S:m:P:";

static bool parse_ulong(const char *s, int base, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoul(s, &end, base);
	return !*end && !errno;
}

#define USAGE_ERR(...) do { snprintf(err, errlen, __VA_ARGS__); return EX_USAGE; } while (0)

static int parse_one(int c, const char *arg, struct tftpd_args *a, char *err, size_t errlen)
{
	unsigned long v;

	switch (c) {
	case '4': a->family = AF_INET; break;
	case '6': a->family = AF_INET6; break;
	case 'c': a->create = true; break;
	case 's': a->secure = true; break;
	case 'p': a->permissive = true; break;
	case 'l': a->standalone = true; break;
	case 'L': a->standalone = a->foreground = true; break;
	case 'v': a->verbosity++; break;
	case 'V': a->version = true; break;
	case OPT_STDERR: a->use_stderr = true; break;
	case OPT_SYSTEMD: a->systemd = a->foreground = true; break;
	case OPT_REJECT_ALL: a->limits.reject_all = true; break;
	case 'a':
		if (a->n_addrs == TFTPD_MAX_ADDRS)
			USAGE_ERR("Too many -a options (at most %d)", TFTPD_MAX_ADDRS);
		a->addrs[a->n_addrs++] = arg;
		a->standalone = true;
		break;
	case 'S':
		if (!*arg)
			USAGE_ERR("Missing service name");
		a->service = arg;
		break;
	case 't':
		if (!parse_ulong(arg, 10, &v))
			USAGE_ERR("Bad timeout value: %s", arg);
		a->idle_timeout_s = (long)v;
		break;
	case 'B':
		if (!parse_ulong(arg, 10, &v) || v < 512 || v > TFTP_MAX_BLKSIZE)
			USAGE_ERR("Bad maximum blocksize value (range 512-%d): %s", TFTP_MAX_BLKSIZE, arg);
		a->limits.max_blksize = (unsigned)v;
		break;
	case 'W':
		if (!parse_ulong(arg, 10, &v))
			USAGE_ERR("Invalid maximum windowsize value: %s", arg);
		/* Like tftpd-hpa: 0 means 1; above our per-transfer cap, the cap. */
		a->limits.max_windowsize = v < 1 ? 1 : v > TFTP_MAX_WINDOW ? TFTP_MAX_WINDOW : (unsigned)v;
		break;
	case OPT_WINDOW_BYTES:
		if (!parse_ulong(arg, 10, &v))
			USAGE_ERR("Bad window-bytes value: %s", arg);
		a->limits.max_window_bytes = v;
		break;
	case 'T':
		if (!parse_ulong(arg, 10, &v) || v < 10000 || v > 255000000)
			USAGE_ERR("Bad timeout value: %s", arg);
		a->limits.timeout_us = (unsigned)v;
		break;
	case 'R': {
		unsigned lo, hi;
		char tail;
		if (sscanf(arg, "%u:%u%c", &lo, &hi, &tail) != 2 || lo > hi || hi >= 65535 || lo == 0)
			USAGE_ERR("Bad port range: %s", arg);
		a->port_range = true;
		a->port_lo = lo;
		a->port_hi = hi;
		break;
	}
	case 'u': a->user = arg; break;
	case 'U':
		if (!parse_ulong(arg, 8, &v) || v > 0777)
			USAGE_ERR("Invalid umask: %s", arg);
		a->umask = (mode_t)v;
		a->umask_set = true;
		break;
	case 'r': {
		int id = tftp_option_id(arg);
		if (id < 0)
			USAGE_ERR("Unknown option: %s", arg);
		a->limits.refused |= 1u << id;
		break;
	}
	case 'm':
		if (a->map_file)
			USAGE_ERR("Multiple -m options");
		a->map_file = arg;
		break;
	case OPT_MAP_STEPS:
		if (!parse_ulong(arg, 0, &v) || v == 0 || v > 1000000000)
			USAGE_ERR("Bad --map-steps option: %s", arg);
		a->map_steps = (int)v;
		break;
	case OPT_MAP_TEST:
		a->map_test = arg;
		a->use_stderr = a->foreground = true;
		break;
	case OPT_THREADS:
		if (!parse_ulong(arg, 10, &v) || v < 1 || v > TFTPD_MAX_THREADS)
			USAGE_ERR("Bad --threads value (1-%d): %s", TFTPD_MAX_THREADS, arg);
		a->threads = (int)v;
		break;
	case OPT_VERBOSITY:
		a->verbosity = atoi(arg);
		break;
	case OPT_FASTPATH:
		if (!*arg || strlen(arg) >= 16)
			USAGE_ERR("Bad --fastpath interface name: %s", arg);
		a->fastpath_if = arg;
		break;
	case OPT_FASTPATH_KMOD:
		if (strcmp(arg, "auto") && strcmp(arg, "require") && strcmp(arg, "forbid"))
			USAGE_ERR("Bad --fastpath-kmod value (auto, require, forbid): %s", arg);
		a->fastpath_kmod = arg;
		break;
	case OPT_FASTPATH_MAX:
		if (!parse_ulong(arg, 10, &v) || v < 1)
			USAGE_ERR("Bad --fastpath-max-size value: %s", arg);
		a->fastpath_max = v;
		break;
	case 'P': a->pidfile = arg; break;
	default:
		return EX_USAGE;
	}
	return 0;
}

int tftpd_parse_args(int argc, char **argv, struct tftpd_args *a, char *err, size_t errlen)
{
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->family = AF_UNSPEC;
	a->user = "nobody";
	a->idle_timeout_s = -1;
	a->map_steps = 4096;
	a->service = "tftp";
	tftp_limits_default(&a->limits);
	err[0] = 0;
	optind = 0;          /* 0, not 1: glibc then forgets a half-parsed bundle */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == OPT_HELP)
			USAGE_ERR("help");
		if (c == '?' || c == ':') {
			if (optopt > 0 && optopt < 256 && strchr(short_opts, optopt))
				USAGE_ERR("Option requires an argument: '%c'", optopt);
			if (optopt >= 256)
				USAGE_ERR("Option requires an argument: %s", argv[optind - 1]);
			if (optopt && optopt < 256)
				USAGE_ERR("Unknown option: '%c'", optopt);
			USAGE_ERR("Unknown option: %s", argv[optind - 1]);
		}
		rc = parse_one(c, optarg, a, err, errlen);
		if (rc)
			return rc;
	}
	if (a->systemd && a->n_addrs)
		USAGE_ERR("--systemd is mutually exclusive with the --address, --standalone and --foreground options");
	a->dirs = argv + optind;
	a->n_dirs = argc - optind;
	return 0;
}

int tftpd_split_address(const char *spec, char *buf, size_t buflen,
			const char **host, const char **port)
{
	char *colon;

	if (strlen(spec) + 1 > buflen)
		return -EINVAL;
	strcpy(buf, spec);
	*host = NULL;
	*port = NULL;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		*close = 0;
		*host = buf + 1;
		if (close[1] == ':' && close[2])
			*port = close + 2;
		return 0;
	}
	colon = strrchr(buf, ':');
	/* More than one colon without brackets: a bare IPv6 address. */
	if (colon && strchr(buf, ':') != colon)
		colon = NULL;
	if (colon) {
		*colon = 0;
		if (colon[1])
			*port = colon + 1;
	}
	if (buf[0])
		*host = buf;
	return 0;
}
