/* Unit tests for in.tftpd's command line (user/tftpd_args.c).
 *
 * Table driven: each row is {why, argv, expected}. The expected result is
 * either a sysexits code with the error text, or a compact description of
 * every field that differs from the defaults ("secure blksize=1468
 * dir=/srv"), so a row also fails when an option sets something it should
 * not. Option semantics follow tftpd-hpa's tftpd.c and tftpd.8. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "tftp/tftpd_args.h"

/* Appends " word" to buf. */
static void add(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n && n + 1 < cap)
		buf[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* Everything that differs from a plain `in.tftpd` run, in a fixed order. */
static void describe(const struct tftpd_args *a, char *buf, size_t cap)
{
	struct tftp_limits d;

	buf[0] = 0;
	tftp_limits_default(&d);
	if (a->family == AF_INET)
		add(buf, cap, "ipv4");
	else if (a->family == AF_INET6)
		add(buf, cap, "ipv6");
	else if (a->family != AF_UNSPEC)
		add(buf, cap, "family=%d", a->family);
	if (a->create) add(buf, cap, "create");
	if (a->secure) add(buf, cap, "secure");
	if (a->permissive) add(buf, cap, "permissive");
	if (a->standalone) add(buf, cap, "listen");
	if (a->foreground) add(buf, cap, "foreground");
	if (a->systemd) add(buf, cap, "systemd");
	if (a->use_stderr) add(buf, cap, "stderr");
	if (a->version) add(buf, cap, "version");
	if (strcmp(a->user, "nobody")) add(buf, cap, "user=%s", a->user);
	if (a->umask_set) add(buf, cap, "umask=%03o", (unsigned)a->umask);
	else if (a->umask) add(buf, cap, "umask-without-flag=%o", (unsigned)a->umask);
	if (a->pidfile) add(buf, cap, "pidfile=%s", a->pidfile);
	if (a->idle_timeout_s != -1) add(buf, cap, "idle=%ld", a->idle_timeout_s);
	if (a->limits.max_blksize != d.max_blksize) add(buf, cap, "blksize=%u", a->limits.max_blksize);
	if (a->limits.max_windowsize != d.max_windowsize)
		add(buf, cap, "window=%u", a->limits.max_windowsize);
	if (a->limits.max_window_bytes != d.max_window_bytes)
		add(buf, cap, "window-bytes=%" PRIu64, a->limits.max_window_bytes);
	for (int id = 0; id < TFTP_OPT_COUNT; id++)
		if (a->limits.refused & (1u << id))
			add(buf, cap, "refuse=%s", tftp_option_name(id));
	if (a->limits.refused >> TFTP_OPT_COUNT) add(buf, cap, "refuse-bits=%#x", a->limits.refused);
	if (a->limits.reject_all) add(buf, cap, "reject-all");
	if (a->limits.timeout_us != d.timeout_us) add(buf, cap, "retransmit=%u", a->limits.timeout_us);
	if (a->port_range) add(buf, cap, "ports=%u:%u", a->port_lo, a->port_hi);
	else if (a->port_lo || a->port_hi) add(buf, cap, "ports-without-flag");
	if (a->map_file) add(buf, cap, "map=%s", a->map_file);
	if (a->map_steps != 4096) add(buf, cap, "map-steps=%d", a->map_steps);
	if (a->map_test) add(buf, cap, "map-test=%s", a->map_test);
	if (a->verbosity) add(buf, cap, "v=%d", a->verbosity);
	if (a->threads) add(buf, cap, "threads=%d", a->threads);
	if (a->fastpath_if) add(buf, cap, "fastpath=%s", a->fastpath_if);
	if (a->fastpath_max) add(buf, cap, "fastpath-max=%llu", a->fastpath_max);
	if (a->fastpath_kmod) add(buf, cap, "fastpath-kmod=%s", a->fastpath_kmod);
	if (strcmp(a->service, "tftp")) add(buf, cap, "service=%s", a->service);
	for (int i = 0; i < a->n_addrs; i++)
		add(buf, cap, "addr=%s", a->addrs[i]);
	for (int i = 0; i < a->n_dirs; i++)
		add(buf, cap, "dir=%s", a->dirs[i]);
}

struct args_row {
	const char *why;
	const char *argv[12];        /* after argv[0] */
	int rc;                      /* 0 or EX_USAGE */
	const char *want;            /* description, or the error text */
};

#define OKS(s) .rc = 0, .want = (s)
#define USAGE(s) .rc = EX_USAGE, .want = (s)

static const struct args_row rows[] = {
	{"no arguments: defaults", {NULL}, OKS("")},
	{"typical inetd line", {"-s", "/srv/tftp"}, OKS("secure dir=/srv/tftp")},
	{"typical standalone line (Debian)",
	 {"--listen", "--user", "tftp", "--address", ":69", "--secure", "/srv/tftp"},
	 OKS("secure listen user=tftp addr=:69 dir=/srv/tftp")},

	/* Flags, short and long */
	{"-4", {"-4"}, OKS("ipv4")},
	{"--ipv4", {"--ipv4"}, OKS("ipv4")},
	{"-6", {"-6"}, OKS("ipv6")},
	{"--ipv6", {"--ipv6"}, OKS("ipv6")},
	{"-4 then -6: the last wins", {"-4", "-6"}, OKS("ipv6")},
	{"-c", {"-c"}, OKS("create")},
	{"--create", {"--create"}, OKS("create")},
	{"-s", {"-s"}, OKS("secure")},
	{"--secure", {"--secure"}, OKS("secure")},
	{"--chroot is --secure", {"--chroot"}, OKS("secure")},
	{"-p", {"-p"}, OKS("permissive")},
	{"--permissive", {"--permissive"}, OKS("permissive")},
	{"-l", {"-l"}, OKS("listen")},
	{"--listen", {"--listen"}, OKS("listen")},
	{"-L implies -l", {"-L"}, OKS("listen foreground")},
	{"--foreground", {"--foreground"}, OKS("listen foreground")},
	{"-V", {"-V"}, OKS("version")},
	{"--version", {"--version"}, OKS("version")},
	{"bundled flags -scvl", {"-scvl"}, OKS("create secure listen v=1")},

	/* -a / --address: repeatable, implies standalone */
	{"-a", {"-a", "0.0.0.0:69"}, OKS("listen addr=0.0.0.0:69")},
	{"--address=", {"--address=[::]:69"}, OKS("listen addr=[::]:69")},
	{"-a repeated keeps order", {"-a", "10.0.0.1", "-a", "[fe80::1]:6969", "--address", ":69"},
	 OKS("listen addr=10.0.0.1 addr=[fe80::1]:6969 addr=:69")},
	{"-a attached value", {"-a127.0.0.1"}, OKS("listen addr=127.0.0.1")},
	{"-a eleven times",
	 {"-a1", "-a2", "-a3", "-a4", "-a5", "-a6", "-a7", "-a8", "-a9", "-a10", "-a11"},
	 OKS("listen addr=1 addr=2 addr=3 addr=4 addr=5 addr=6 addr=7 addr=8 addr=9 addr=10 addr=11")},

	/* -B / --blocksize: 512..65464 */
	{"-B 511", {"-B", "511"}, USAGE("Bad maximum blocksize value (range 512-65464): 511")},
	{"-B 512", {"-B", "512"}, OKS("blksize=512")},
	{"-B 1468", {"-B1468"}, OKS("blksize=1468")},
	{"-B 65464", {"-B", "65464"}, OKS("")},
	{"-B 65465", {"-B", "65465"}, USAGE("Bad maximum blocksize value (range 512-65464): 65465")},
	{"-B abc", {"-B", "abc"}, USAGE("Bad maximum blocksize value (range 512-65464): abc")},
	{"-B empty", {"-B", ""}, USAGE("Bad maximum blocksize value (range 512-65464): ")},
	{"-B -1", {"-B", "-1"}, USAGE("Bad maximum blocksize value (range 512-65464): -1")},
	{"-B 1000x", {"-B", "1000x"}, USAGE("Bad maximum blocksize value (range 512-65464): 1000x")},
	{"--blocksize", {"--blocksize", "1024"}, OKS("blksize=1024")},

	/* -W / --windowsize */
	{"-W 8", {"-W", "8"}, OKS("window=8")},
	{"-W 0 means 1", {"-W", "0"}, OKS("window=1")},
	{"-W above the cap: the cap", {"-W", "1000"}, OKS("")},
	{"-W 64", {"--windowsize", "64"}, OKS("")},
	{"-W abc", {"-W", "abc"}, USAGE("Invalid maximum windowsize value: abc")},
	{"--window-bytes", {"--window-bytes", "1048576"}, OKS("window-bytes=1048576")},
	{"--window-bytes bad", {"--window-bytes", "1M"}, USAGE("Bad window-bytes value: 1M")},

	/* -u / -U */
	{"-u", {"-u", "tftp"}, OKS("user=tftp")},
	{"--user", {"--user", "daemon"}, OKS("user=daemon")},
	{"-U octal", {"-U", "022"}, OKS("umask=022")},
	{"-U without leading 0 is still octal", {"-U", "77"}, OKS("umask=077")},
	{"-U 0", {"--umask", "0"}, OKS("umask=000")},
	{"-U 8 is not octal", {"-U", "8"}, USAGE("Invalid umask: 8")},
	{"-U 0x12", {"-U", "0x12"}, USAGE("Invalid umask: 0x12")},
	{"-U 1000 out of range", {"-U", "1000"}, USAGE("Invalid umask: 1000")},
	{"-U empty", {"-U", ""}, USAGE("Invalid umask: ")},

	/* -r / --refuse */
	{"-r blksize", {"-r", "blksize"}, OKS("refuse=blksize")},
	{"-r is case-insensitive", {"-r", "TSIZE"}, OKS("refuse=tsize")},
	{"-r repeated", {"-r", "windowsize", "--refuse", "rollover", "-r", "utimeout"},
	 OKS("refuse=utimeout refuse=rollover refuse=windowsize")},
	{"-r unknown option", {"-r", "multicast"}, USAGE("Unknown option: multicast")},
	{"--reject-all", {"--reject-all"}, OKS("reject-all")},

	/* -t (idle timeout, seconds), -T (retransmit, microseconds) */
	{"-t 900", {"-t", "900"}, OKS("idle=900")},
	{"--timeout 0", {"--timeout", "0"}, OKS("idle=0")},
	{"-t bad", {"-t", "15m"}, USAGE("Bad timeout value: 15m")},
	{"-T 9999", {"-T", "9999"}, USAGE("Bad timeout value: 9999")},
	{"-T 10000", {"-T", "10000"}, OKS("retransmit=10000")},
	{"-T 255000000", {"--retransmit", "255000000"}, OKS("retransmit=255000000")},
	{"-T 255000001", {"-T", "255000001"}, USAGE("Bad timeout value: 255000001")},
	{"-T huge", {"-T", "99999999999999999999"}, USAGE("Bad timeout value: 99999999999999999999")},

	/* -R / --port-range */
	{"-R 4096:32767", {"-R", "4096:32767"}, OKS("ports=4096:32767")},
	{"--port-range single port", {"--port-range", "5000:5000"}, OKS("ports=5000:5000")},
	{"--ports alias", {"--ports", "1:2"}, OKS("ports=1:2")},
	{"-R hi 65534", {"-R", "60000:65534"}, OKS("ports=60000:65534")},
	{"-R hi 65535 (tftpd-hpa: >= 65535 refused)", {"-R", "60000:65535"},
	 USAGE("Bad port range: 60000:65535")},
	{"-R hi 70000", {"-R", "1000:70000"}, USAGE("Bad port range: 1000:70000")},
	{"-R lo > hi", {"-R", "2000:1000"}, USAGE("Bad port range: 2000:1000")},
	{"-R lo 0", {"-R", "0:1000"}, USAGE("Bad port range: 0:1000")},
	{"-R one number", {"-R", "1000"}, USAGE("Bad port range: 1000")},
	{"-R with dash", {"-R", "1000-2000"}, USAGE("Bad port range: 1000-2000")},
	{"-R letters", {"-R", "a:b"}, USAGE("Bad port range: a:b")},
	{"-R trailing garbage", {"-R", "1000:2000x"}, USAGE("Bad port range: 1000:2000x")},
	{"-R empty", {"-R", ""}, USAGE("Bad port range: ")},
	{"-R negative wraps and is refused", {"-R", "-1:5"}, USAGE("Bad port range: -1:5")},

	/* -S / --port / --service */
	{"-S", {"-S", "6969"}, OKS("service=6969")},
	{"--port", {"--port", "6969"}, OKS("service=6969")},
	{"--service", {"--service", "tftp-alt"}, OKS("service=tftp-alt")},
	{"-S empty", {"-S", ""}, USAGE("Missing service name")},

	/* -m, --map-test, --map-steps */
	{"-m", {"-m", "/etc/tftp.rules"}, OKS("map=/etc/tftp.rules")},
	{"--map-file", {"--map-file", "r"}, OKS("map=r")},
	{"-m twice", {"-m", "a", "-m", "b"}, USAGE("Multiple -m options")},
	{"-m and --map-file", {"-m", "a", "--map-file", "a"}, USAGE("Multiple -m options")},
	{"--map-test", {"-m", "r", "--map-test", "-"}, OKS("foreground stderr map=r map-test=-")},
	{"--map-steps", {"--map-steps", "100"}, OKS("map-steps=100")},
	{"--map-steps hex", {"--map-steps", "0x10"}, OKS("map-steps=16")},
	{"--map-steps 0", {"--map-steps", "0"}, USAGE("Bad --map-steps option: 0")},
	{"--map-steps too big", {"--map-steps", "1000000001"},
	 USAGE("Bad --map-steps option: 1000000001")},
	{"--map-steps bad", {"--map-steps", "x"}, USAGE("Bad --map-steps option: x")},

	/* -P, -v, --verbosity, --stderr, --systemd */
	{"-P", {"-P", "/run/tftpd.pid"}, OKS("pidfile=/run/tftpd.pid")},
	{"--pidfile", {"--pidfile", "p"}, OKS("pidfile=p")},
	{"-v", {"-v"}, OKS("v=1")},
	{"-vv", {"-vv"}, OKS("v=2")},
	{"-v -v --verbose", {"-v", "-v", "--verbose"}, OKS("v=3")},
	{"--verbosity", {"--verbosity", "5"}, OKS("v=5")},
	{"--verbosity then -v", {"--verbosity=2", "-v"}, OKS("v=3")},
	{"--stderr", {"--stderr"}, OKS("stderr")},
	{"--systemd implies foreground", {"--systemd"}, OKS("foreground systemd")},
	{"--systemd with -a", {"--systemd", "-a", ":69"},
	 USAGE("--systemd is mutually exclusive with the --address, --standalone and --foreground options")},

	/* --threads (rackboot) */
	{"--threads 4", {"--threads", "4"}, OKS("threads=4")},
	{"--threads at the maximum", {"--threads=64"}, OKS("threads=64")},
	{"--threads 0", {"--threads", "0"}, .rc = EX_USAGE},
	{"--threads above the maximum", {"--threads", "65"}, .rc = EX_USAGE},
	{"--threads abc", {"--threads", "abc"}, .rc = EX_USAGE},
	{"--fastpath is off unless asked (a drop-in behaves like tftpd-hpa)",
	 {"-l", "-s", "/srv"}, OKS("secure listen dir=/srv")},
	{"--fastpath IF", {"--fastpath", "eth1"}, OKS("fastpath=eth1")},
	{"--fastpath with size and module", {"--fastpath=eth1", "--fastpath-max-size", "1048576",
	 "--fastpath-kmod", "forbid"}, OKS("fastpath=eth1 fastpath-max=1048576 fastpath-kmod=forbid")},
	{"--fastpath with an empty name", {"--fastpath", ""}, .rc = EX_USAGE},
	{"--fastpath with a name longer than IFNAMSIZ", {"--fastpath", "abcdefghijklmnopq"},
	 .rc = EX_USAGE},
	{"--fastpath-max-size 0", {"--fastpath-max-size", "0"}, .rc = EX_USAGE},
	{"--fastpath-kmod sometimes", {"--fastpath-kmod", "sometimes"}, .rc = EX_USAGE},

	/* Directories */
	{"several directories", {"-s", "/srv/tftp", "/srv/other"}, OKS("secure dir=/srv/tftp dir=/srv/other")},
	{"options after directories (GNU permutation)", {"/srv/tftp", "-c", "-s"},
	 OKS("create secure dir=/srv/tftp")},
	{"-- ends options", {"--", "-s"}, OKS("dir=-s")},

	/* Unknown options, missing arguments */
	{"unknown short option", {"-x"}, USAGE("Unknown option: 'x'")},
	{"unknown long option", {"--bogus"}, USAGE("Unknown option: --bogus")},
	{"unknown long option with value", {"--bogus=1"}, USAGE("Unknown option: --bogus=1")},
	{"-h is not an option", {"-h"}, USAGE("Unknown option: 'h'")},
	{"--help", {"--help"}, USAGE("help")},
	{"-B without its value", {"-B"}, .rc = EX_USAGE},
	{"--blocksize without its value", {"--blocksize"}, .rc = EX_USAGE},
	{"long option taking no value given one", {"--secure=1"}, .rc = EX_USAGE},
};

static int check_row(const struct args_row *t)
{
	char *argv[16];
	char err[256], got[1024];
	struct tftpd_args a;
	int argc = 0, rc;

	argv[argc++] = (char *)"in.tftpd";
	for (int i = 0; i < 12 && t->argv[i]; i++)
		argv[argc++] = (char *)t->argv[i];
	argv[argc] = NULL;
	memset(err, 'Z', sizeof(err));
	err[sizeof(err) - 1] = 0;
	rc = tftpd_parse_args(argc, argv, &a, err, sizeof(err));
	if (rc != t->rc) {
		if (rc == 0)
			describe(&a, got, sizeof(got));
		print_error("row \"%s\": rc %d (%s), want %d\n", t->why, rc, rc ? err : got, t->rc);
		return 1;
	}
	if (rc) {
		if (t->want && strcmp(err, t->want)) {
			print_error("row \"%s\": error \"%s\", want \"%s\"\n", t->why, err, t->want);
			return 1;
		}
		if (!err[0]) {
			print_error("row \"%s\": empty error text\n", t->why);
			return 1;
		}
		return 0;
	}
	describe(&a, got, sizeof(got));
	if (strcmp(got, t->want)) {
		print_error("row \"%s\": got \"%s\", want \"%s\"\n", t->why, got, t->want);
		return 1;
	}
	if (err[0]) {
		print_error("row \"%s\": error text \"%s\" on success\n", t->why, err);
		return 1;
	}
	return 0;
}

static void test_args_table(void **state)
{
	(void)state;
	RUN_TABLE(rows, check_row, "argument rows");
}

/* TFTPD_MAX_ADDRS -a options are fine, one more is an error. */
static void test_too_many_addresses(void **state)
{
	char *argv[TFTPD_MAX_ADDRS + 3];
	char err[256];
	struct tftpd_args a;
	int argc = 0;

	(void)state;
	argv[argc++] = (char *)"in.tftpd";
	for (int i = 0; i < TFTPD_MAX_ADDRS; i++)
		argv[argc++] = (char *)"-a:69";
	argv[argc] = NULL;
	assert_int_equal(tftpd_parse_args(argc, argv, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n_addrs, TFTPD_MAX_ADDRS);
	argv[argc++] = (char *)"-a:70";
	argv[argc] = NULL;
	assert_int_equal(tftpd_parse_args(argc, argv, &a, err, sizeof(err)), EX_USAGE);
	assert_string_equal(err, "Too many -a options (at most 16)");
}

/* A small error buffer is never overrun and stays terminated. */
static void test_small_error_buffer(void **state)
{
	char *argv[] = {(char *)"in.tftpd", (char *)"-B", (char *)"1", NULL};
	char err[9];
	struct tftpd_args a;

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(tftpd_parse_args(3, argv, &a, err, 8), EX_USAGE);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'Z');
}

/* tftpd_parse_args must not depend on an earlier call: an error in the
 * middle of a bundle ("-xv") must not leak the rest of that bundle into
 * the next parse (getopt keeps its position unless optind is reset to 0). */
static void test_reparse_after_error_in_bundle(void **state)
{
	char *bad[] = {(char *)"in.tftpd", (char *)"-xv", NULL};
	char *good[] = {(char *)"in.tftpd", (char *)"/srv", NULL};
	char err[256];
	struct tftpd_args a;

	(void)state;
	assert_int_equal(tftpd_parse_args(2, bad, &a, err, sizeof(err)), EX_USAGE);
	assert_string_equal(err, "Unknown option: 'x'");
	assert_int_equal(tftpd_parse_args(2, good, &a, err, sizeof(err)), 0);
	assert_int_equal(a.verbosity, 0);
	assert_int_equal(a.n_dirs, 1);
	assert_string_equal(a.dirs[0], "/srv");
}

/* Two parses in a row give the same result (no state kept). */
static void test_parse_twice(void **state)
{
	char *argv[] = {(char *)"in.tftpd", (char *)"-vvs", (char *)"-B", (char *)"1024",
			(char *)"/srv", NULL};
	char err[256];
	struct tftpd_args a, b;

	(void)state;
	assert_int_equal(tftpd_parse_args(5, argv, &a, err, sizeof(err)), 0);
	assert_int_equal(tftpd_parse_args(5, argv, &b, err, sizeof(err)), 0);
	assert_int_equal(a.verbosity, 2);
	assert_int_equal(b.verbosity, 2);
	assert_int_equal(b.limits.max_blksize, 1024);
	assert_true(b.secure);
	assert_int_equal(b.n_dirs, 1);
}

/* ------------------------------------------------------------------ */
/* tftpd_split_address                                                 */

struct split_row {
	const char *why;
	const char *spec;
	size_t buflen;               /* 0 = 64 */
	int rc;
	const char *host;            /* NULL = any */
	const char *port;            /* NULL = default */
};

static const struct split_row split_rows[] = {
	{"empty: any address, default port", "", 0, 0, NULL, NULL},
	{"\":\": any, default", ":", 0, 0, NULL, NULL},
	{"IPv4 only", "1.2.3.4", 0, 0, "1.2.3.4", NULL},
	{"IPv4 with port", "1.2.3.4:69", 0, 0, "1.2.3.4", "69"},
	{"port only", ":6969", 0, 0, NULL, "6969"},
	{"IPv6 in brackets with port", "[::1]:69", 0, 0, "::1", "69"},
	{"IPv6 in brackets", "[::1]", 0, 0, "::1", NULL},
	{"IPv6 in brackets, empty port", "[::1]:", 0, 0, "::1", NULL},
	{"bare IPv6 (several colons)", "::1", 0, 0, "::1", NULL},
	{"bare IPv6 full", "fe80::1:2:3", 0, 0, "fe80::1:2:3", NULL},
	{"unclosed bracket", "[::1", 0, -EINVAL, NULL, NULL},
	{"junk after bracket", "[::1]69", 0, -EINVAL, NULL, NULL},
	{"host name with service name", "host:tftp", 0, 0, "host", "tftp"},
	{"host name only", "tftp.example.com", 0, 0, "tftp.example.com", NULL},
	{"host with empty port", "host:", 0, 0, "host", NULL},
	{"buffer exactly large enough", "1.2.3.4:69", 11, 0, "1.2.3.4", "69"},
	{"buffer one byte short", "1.2.3.4:69", 10, -EINVAL, NULL, NULL},
};

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void test_split_address_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(split_rows) / sizeof(split_rows[0]); i++) {
		const struct split_row *t = &split_rows[i];
		char buf[80];
		size_t buflen = t->buflen ? t->buflen : 64;
		const char *host = "unset", *port = "unset";
		int rc;

		memset(buf, 'Z', sizeof(buf));
		rc = tftpd_split_address(t->spec, buf, buflen, &host, &port);
		if (rc != t->rc) {
			print_error("row \"%s\": rc %d, want %d\n", t->why, rc, t->rc);
			failed++;
			continue;
		}
		if (buf[buflen] != 'Z') {
			print_error("row \"%s\": wrote past buflen\n", t->why);
			failed++;
			continue;
		}
		if (rc)
			continue;
		if (!same(host, t->host) || !same(port, t->port)) {
			print_error("row \"%s\": host %s%s%s port %s%s%s, want %s / %s\n", t->why,
				    host ? "\"" : "", host ? host : "NULL", host ? "\"" : "",
				    port ? "\"" : "", port ? port : "NULL", port ? "\"" : "",
				    t->host ? t->host : "NULL", t->port ? t->port : "NULL");
			failed++;
		}
		if ((host && (host < buf || host >= buf + buflen)) ||
		    (port && (port < buf || port >= buf + buflen))) {
			print_error("row \"%s\": results not inside buf\n", t->why);
			failed++;
		}
	}
	if (failed)
		fail_msg("%d of %zu split rows failed", failed, sizeof(split_rows) / sizeof(split_rows[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_table),
		cmocka_unit_test(test_too_many_addresses),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_parse_twice),
		cmocka_unit_test(test_split_address_table),
		cmocka_unit_test(test_reparse_after_error_in_bundle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
