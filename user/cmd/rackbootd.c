/* rackbootd: the boot server. DHCP (full or proxy) with PXE/iPXE boot
 * logic and durable leases, and TFTP from the same process.
 * See rackbootd(8) (docs/man/rackbootd.8) and docs/CONFIG.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "dhcp/dhcp_fastpath.h"
#include "dhcp/dhcp_server.h"
#include "http/http_server.h"
#include "dhcp/lease_store.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "core/node_table.h"
#include "fastpath/fastpath_metrics.h"
#include "fastpath/kmod.h"
#include "fastpath/loader.h"
#include "fastpath/tftp_kernel.h"
#include "tftp/tftp_files.h"
#include "tftp/tftp_server.h"

#define DEFAULT_STATE_DIR "/var/lib/rackboot"

/* The command line, kept so that a SIGHUP reload applies it again on top
 * of the re-read file: flags always win over the file. */
struct flags {
	const char *config, *interface, *address, *root, *range, *state_dir, *inventory;
	long tftp_port, http_port;
	long max_streams, max_conns, retry_after;     /* -1: default */
	long header_timeout, idle_timeout;           /* seconds; -1: default */
	const char *bpf_attach;                      /* NULL: auto */
	int kmod;                                    /* fastpath_opts.kmod */
	bool proxy, no_bpf, bpf_remove, to_stderr, list_leases;
	int verbosity;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: rackbootd [options]\n"
"Network boot server: DHCP (or proxyDHCP) with PXE/iPXE boot logic, and TFTP.\n"
"\n"
"  --config FILE         configuration file (docs/CONFIG.md); flags override it\n"
"  --interface IF        interface that DHCP serves (required)\n"
"  --address IP[/N]      this server's address on IF (required)\n"
"  --root DIR            directory served over TFTP and HTTP (required)\n"
"  --dhcp-range A,B      serve addresses A..B on the address's subnet\n"
"                        (prefix from --address/N, else from IF, else /24)\n"
"  --proxy-dhcp          proxyDHCP: boot information only, beside another\n"
"                        DHCP server; ports 67 and 4011\n"
"  --tftp-port N         TFTP port (default 69)\n"
"  --http-port N         HTTP port (default 80): files beneath --root,\n"
"                        /boot.ipxe (each node's script), /metrics\n"
"  --max-streams N       concurrent large HTTP downloads (>= 1 MiB) before\n"
"                        answering 503 with Retry-After (default 256; 0 = no cap)\n"
"  --retry-after S       the Retry-After of that 503, seconds (default 5)\n"
"  --max-connections N   open HTTP connections (default 4096)\n"
"  --header-timeout S    seconds to receive a request head (default 10)\n"
"  --idle-timeout S      keep-alive wait for the next request (default 30)\n"
"  --state-dir DIR       lease database directory (default " DEFAULT_STATE_DIR ")\n"
"  --inventory FILE      host inventory (one host per line, docs/CONFIG.md)\n"
"  --no-bpf              serve everything from userspace: no eBPF fast path\n"
"  --bpf-attach MODE     where the fast path attaches: auto (default: TC on\n"
"                        veth, else XDP native or generic, with TC behind),\n"
"                        xdp, xdp-generic or tc\n"
"  --bpf-remove          detach the fast path from --interface and remove its\n"
"                        pinned maps (/sys/fs/bpf/rackboot/IF), then exit\n"
"  --kmod MODE           the rackboot.ko module (kern/): auto (default: use it\n"
"                        when loaded: every file served from the page cache),\n"
"                        require (no fast path without it) or forbid\n"
"  --list-leases         print the leases in --state-dir and exit\n"
"  --stderr              log to stderr instead of syslog\n"
"  -v, --verbose         log every DHCP reply (-vv: every request)\n"
"  -h, --help            this text\n"
"  -V, --version         version\n"
"\n"
"Signals: SIGHUP reloads the configuration and inventory (on error the old\n"
"one stays); SIGTERM or SIGINT stops after pending lease writes and detaches\n"
"the fast path; SIGQUIT stops the same way but leaves the fast path attached\n"
"and its maps pinned, for a restart or upgrade that adopts them.\n");
}

static long parse_port(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == 0 || *end || v < 1 || v > 65535) {
		fprintf(stderr, "rackbootd: %s: bad port '%s'\n", what, s);
		exit(EX_USAGE);
	}
	return v;
}

static long parse_count(const char *s, const char *what, long min)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == 0 || *end || v < min || v > 1000000) {
		fprintf(stderr, "rackbootd: %s: bad number '%s'\n", what, s);
		exit(EX_USAGE);
	}
	return v;
}

static void parse_flags(int argc, char **argv, struct flags *f)
{
	enum { O_CONFIG = 256, O_IF, O_ADDR, O_ROOT, O_RANGE, O_PROXY, O_TFTP, O_HTTP,
	       O_STATE, O_INV, O_NOBPF, O_LIST, O_STDERR, O_STREAMS, O_CONNS, O_RETRY,
	       O_HDR_TO, O_IDLE_TO, O_BPF_ATTACH, O_BPF_REMOVE, O_KMOD };
	static const struct option opts[] = {
		{ "config", required_argument, 0, O_CONFIG },
		{ "interface", required_argument, 0, O_IF },
		{ "address", required_argument, 0, O_ADDR },
		{ "root", required_argument, 0, O_ROOT },
		{ "dhcp-range", required_argument, 0, O_RANGE },
		{ "proxy-dhcp", no_argument, 0, O_PROXY },
		{ "tftp-port", required_argument, 0, O_TFTP },
		{ "http-port", required_argument, 0, O_HTTP },
		{ "state-dir", required_argument, 0, O_STATE },
		{ "inventory", required_argument, 0, O_INV },
		{ "no-bpf", no_argument, 0, O_NOBPF },
		{ "bpf-attach", required_argument, 0, O_BPF_ATTACH },
		{ "bpf-remove", no_argument, 0, O_BPF_REMOVE },
		{ "kmod", required_argument, 0, O_KMOD },
		{ "list-leases", no_argument, 0, O_LIST },
		{ "stderr", no_argument, 0, O_STDERR },
		{ "max-streams", required_argument, 0, O_STREAMS },
		{ "max-connections", required_argument, 0, O_CONNS },
		{ "retry-after", required_argument, 0, O_RETRY },
		{ "header-timeout", required_argument, 0, O_HDR_TO },
		{ "idle-timeout", required_argument, 0, O_IDLE_TO },
		{ "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	int c;
	memset(f, 0, sizeof(*f));
	f->max_streams = f->max_conns = f->retry_after = -1;
	f->header_timeout = f->idle_timeout = -1;
	while ((c = getopt_long(argc, argv, "vhV", opts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG: f->config = optarg; break;
		case O_IF: f->interface = optarg; break;
		case O_ADDR: f->address = optarg; break;
		case O_ROOT: f->root = optarg; break;
		case O_RANGE: f->range = optarg; break;
		case O_PROXY: f->proxy = true; break;
		case O_TFTP: f->tftp_port = parse_port(optarg, "--tftp-port"); break;
		case O_HTTP: f->http_port = parse_port(optarg, "--http-port"); break;
		case O_STATE: f->state_dir = optarg; break;
		case O_INV: f->inventory = optarg; break;
		case O_NOBPF: f->no_bpf = true; break;
		case O_BPF_ATTACH: {
			enum fp_attach a;
			if (fp_attach_parse(optarg, &a)) {
				fprintf(stderr, "rackbootd: --bpf-attach: expected auto, xdp, "
					"xdp-generic or tc, got '%s'\n", optarg);
				exit(EX_USAGE);
			}
			f->bpf_attach = optarg;
			break;
		}
		case O_BPF_REMOVE: f->bpf_remove = true; break;
		case O_KMOD: {
			enum fp_kmod_use u;
			if (fp_kmod_use_parse(optarg, &u)) {
				fprintf(stderr, "rackbootd: --kmod: expected auto, require or forbid, "
					"got '%s'\n", optarg);
				exit(EX_USAGE);
			}
			f->kmod = 1 + (int)u;
			break;
		}
		case O_LIST: f->list_leases = true; break;
		case O_STDERR: f->to_stderr = true; break;
		case O_STREAMS: f->max_streams = parse_count(optarg, "--max-streams", 0); break;
		case O_CONNS: f->max_conns = parse_count(optarg, "--max-connections", 1); break;
		case O_RETRY: f->retry_after = parse_count(optarg, "--retry-after", 1); break;
		case O_HDR_TO: f->header_timeout = parse_count(optarg, "--header-timeout", 1); break;
		case O_IDLE_TO: f->idle_timeout = parse_count(optarg, "--idle-timeout", 1); break;
		case 'v': f->verbosity++; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("rackbootd 0.1\n"); exit(0);
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rackbootd: unexpected argument '%s'\n", argv[optind]);
		exit(EX_USAGE);
	}
}

/* The prefix length of `ip` on interface `ifname`, or 0 if not found. */
static unsigned interface_prefix(const char *ifname, uint32_t ip)
{
	struct ifaddrs *ifa, *i;
	unsigned prefix = 0;
	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask ||
		    strcmp(i->ifa_name, ifname))
			continue;
		if (ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr) != ip)
			continue;
		prefix = (unsigned)__builtin_popcount(
			((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
	}
	freeifaddrs(ifa);
	return prefix;
}

static int add_range_subnet(struct rb_config *c, const char *spec, char *err, size_t errlen)
{
	char lo_s[64], *comma = strchr(spec, ',');
	uint32_t lo, hi;
	if (!comma || (size_t)(comma - spec) >= sizeof(lo_s)) {
		snprintf(err, errlen, "--dhcp-range: expected START,END, got '%s'", spec);
		return -1;
	}
	memcpy(lo_s, spec, (size_t)(comma - spec));
	lo_s[comma - spec] = 0;
	if (rb_parse_ipv4(lo_s, &lo) || rb_parse_ipv4(comma + 1, &hi) || lo > hi) {
		snprintf(err, errlen, "--dhcp-range: bad range '%s'", spec);
		return -1;
	}
	unsigned prefix = c->prefix;
	if (!prefix && c->interface[0])
		prefix = interface_prefix(c->interface, c->address);
	if (!prefix)
		prefix = 24;
	uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
	uint32_t net = (c->address ? c->address : lo) & mask;
	/* The range joins the subnet the file already defines, if any. */
	for (size_t i = 0; i < c->nsubnets; i++) {
		struct rb_subnet *s = &c->subnets[i];
		if (s->net == net && s->mask == mask) {
			if (s->nranges == RB_MAX_RANGES) {
				snprintf(err, errlen, "--dhcp-range: subnet %.200s has too many ranges", s->where);
				return -1;
			}
			s->ranges[s->nranges++] = (struct rb_range){ lo, hi };
			return 0;
		}
	}
	struct rb_subnet *n = realloc(c->subnets, (c->nsubnets + 1) * sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->subnets = n;
	struct rb_subnet *s = &n[c->nsubnets++];
	memset(s, 0, sizeof(*s));
	s->net = net;
	s->mask = mask;
	s->ranges[0] = (struct rb_range){ lo, hi };
	s->nranges = 1;
	snprintf(s->where, sizeof(s->where), "--dhcp-range %s", spec);
	return 0;
}

/* File first, then the flags on top, then the cross-checks. */
static struct rb_config *build_config(const struct flags *f, char *err, size_t errlen)
{
	struct rb_config *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rb_config_init(c);
	/* --inventory replaces the file's `inventory` setting: preset, the
	 * loader reads it instead of the one the file names. */
	if (f->config && f->inventory)
		snprintf(c->inventory, sizeof(c->inventory), "%s", f->inventory);
	if (f->config && rb_config_load(c, f->config, err, errlen))
		goto fail;
	if (f->interface)
		snprintf(c->interface, sizeof(c->interface), "%s", f->interface);
	if (f->address) {
		uint32_t ip;
		unsigned prefix = 0;
		if (strchr(f->address, '/') ? rb_parse_cidr(f->address, &ip, &prefix)
					    : rb_parse_ipv4(f->address, &ip)) {
			snprintf(err, errlen, "--address: bad address '%s'", f->address);
			goto fail;
		}
		c->address = ip;
		c->prefix = prefix;
	}
	if (f->root)
		snprintf(c->root, sizeof(c->root), "%s", f->root);
	if (f->state_dir)
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", f->state_dir);
	if (!c->state_dir[0])
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", DEFAULT_STATE_DIR);
	if (f->tftp_port)
		c->tftp_port = (unsigned)f->tftp_port;
	if (f->http_port)
		c->http_port = (unsigned)f->http_port;
	if (f->proxy)
		c->proxy_dhcp = true;
	if (f->no_bpf)
		c->no_bpf = true;
	if (!f->config && f->inventory && rb_inventory_load(c, f->inventory, err, errlen))
		goto fail;
	if (f->range && add_range_subnet(c, f->range, err, errlen))
		goto fail;
	if (rb_config_check(c, err, errlen))
		goto fail;
	return c;
fail:
	rb_config_free(c);
	free(c);
	return NULL;
}

static void print_row(const struct lease *l, void *arg)
{
	static const char *const states[] = { "free", "bound", "declined" };
	char ip[INET_ADDRSTRLEN], hw[64] = "", when[32];
	struct in_addr a = { l->ip };
	struct tm tm;
	time_t t = (time_t)l->expires;
	(void)arg;
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	for (unsigned i = 0, n = 0; i < l->hwlen && n + 4 < sizeof(hw); i++)
		n += (unsigned)snprintf(hw + n, sizeof(hw) - n, i ? ":%02x" : "%02x", l->hw[i]);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* a bound lease past its end is free for the taking: say so */
	const char *state = l->state < 3 ? states[l->state] : "?";
	if (l->state == LEASE_BOUND && l->expires <= time(NULL))
		state = "expired";
	printf("%-15s  %-17s  %-8s  %-20s  %s\n", ip, hw, state, when, l->hostname);
}

static int list_leases(const char *dir)
{
	char err[512];
	struct lease_store *st = lease_store_open_ro(dir, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "rackbootd: %s\n", err);
		return EX_NOINPUT;
	}
	printf("%-15s  %-17s  %-8s  %-20s  %s\n", "ip", "mac", "state", "expires", "hostname");
	int rc = lease_store_load(st, print_row, NULL, err, sizeof(err));
	lease_store_close(st);
	if (rc) {
		fprintf(stderr, "rackbootd: %s\n", err);
		return EX_DATAERR;
	}
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* One socket per loop on the same address (SO_REUSEPORT): the kernel
 * spreads clients over the loops. */
static int open_socket(const struct rb_config *c, int type, unsigned port)
{
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(c->address) };
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4096) < 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

#define MAX_LOOPS 16

struct loop {
	pthread_t thread;
	struct tftp_server *tftp;
	struct dhcp_server *dhcp;
	struct http_server *http;
	int rc;
};

static void *loop_main(void *arg)
{
	struct loop *l = arg;
	l->rc = l->tftp ? tftp_server_run(l->tftp)
	      : l->http ? http_server_run(l->http) : dhcp_server_run(l->dhcp);
	kill(getpid(), SIGUSR1);   /* a loop ending by itself is fatal: tell main */
	return NULL;
}

/* What /metrics shows besides HTTP's own families. */
struct daemon_metrics {
	struct dhcp_server *dhcp;
	struct fastpath *fp;
	struct loop *loops;
	int nloops;
	struct hist tftp_durations;
};

static void daemon_metrics(struct mbuf *b, void *arg)
{
	struct daemon_metrics *m = arg;
	struct dhcp_server_stats d;
	dhcp_server_stats(m->dhcp, &d);
	metric_family(b, "rackboot_dhcp_messages_total", "counter", "DHCP messages by kind.");
	const struct { const char *l; unsigned long long v; } dm[] = {
		{ "type=\"received\"", d.received }, { "type=\"malformed\"", d.malformed },
		{ "type=\"discover\"", d.discover }, { "type=\"offer\"", d.offer },
		{ "type=\"request\"", d.request }, { "type=\"ack\"", d.ack }, { "type=\"nak\"", d.nak },
		{ "type=\"decline\"", d.decline }, { "type=\"release\"", d.release },
		{ "type=\"inform\"", d.inform }, { "type=\"ignored\"", d.ignored },
		{ "type=\"answered_in_kernel\"", d.kernel },
	};
	for (size_t i = 0; i < sizeof(dm) / sizeof(dm[0]); i++)
		metric_sample(b, "rackboot_dhcp_messages_total", dm[i].l, dm[i].v);
	metric_counter(b, "rackboot_lease_commits_total", "Lease store transactions committed.",
		       d.commits);
	metric_counter(b, "rackboot_lease_rows_total", "Lease rows written.", d.lease_rows);
	metric_counter(b, "rackboot_lease_store_errors_total",
		       "ACKs withheld because their lease could not be committed.", d.store_errors);
	metric_hist(b, "rackboot_dhcp_reply_seconds",
		    "Request arrival to reply sent (an ACK after its lease is durable).",
		    dhcp_server_latency(m->dhcp));
	struct tftp_server_stats sum = { 0 }, t;
	for (int i = 0; i < m->nloops; i++) {
		if (!m->loops[i].tftp)
			continue;
		tftp_server_stats(m->loops[i].tftp, &t);
		sum.requests += t.requests, sum.completed += t.completed, sum.failed += t.failed;
		sum.active += t.active, sum.bad_packets += t.bad_packets;
		sum.kernel_handed += t.kernel_handed, sum.kernel_completed += t.kernel_completed;
		sum.kernel_taken_back += t.kernel_taken_back;
	}
	metric_counter(b, "rackboot_tftp_requests_total", "TFTP requests.", sum.requests);
	metric_counter(b, "rackboot_tftp_transfers_completed_total", "TFTP transfers completed.",
		       sum.completed);
	metric_counter(b, "rackboot_tftp_transfers_failed_total", "TFTP transfers failed.",
		       sum.failed);
	metric_gauge(b, "rackboot_tftp_transfers_active", "TFTP transfers in progress.",
		     (int64_t)sum.active);
	metric_counter(b, "rackboot_tftp_bad_packets_total", "Malformed TFTP datagrams.",
		       sum.bad_packets);
	metric_hist(b, "rackboot_tftp_transfer_seconds", "Completed TFTP transfer durations.",
		    &m->tftp_durations);
	metric_family(b, "rackboot_tftp_kernel_sessions_total", "counter",
		      "TFTP transfers handed to the eBPF fast path, finished there, taken back.");
	metric_sample(b, "rackboot_tftp_kernel_sessions_total", "event=\"handed_over\"",
		      sum.kernel_handed);
	metric_sample(b, "rackboot_tftp_kernel_sessions_total", "event=\"completed\"",
		      sum.kernel_completed);
	metric_sample(b, "rackboot_tftp_kernel_sessions_total", "event=\"taken_back\"",
		      sum.kernel_taken_back);
	fastpath_metrics(b, m->fp);
}

/* The DHCP side of the fast path reads the programs' maps by name and
 * their events in the DHCP thread, before it reads its sockets (so that a
 * REQUEST finds the kernel's OFFER held). TFTP records need no action:
 * the transfer's socket tells its loop. */
static int fastpath_map_of(const void *fp, const char *name)
{
	return fastpath_map_fd(fp, name);
}

static void fastpath_record(void *dfp, const void *rec, size_t len)
{
	dhcp_fastpath_event(dfp, rec, len);
}

static void fastpath_drain(void *fp)
{
	fastpath_poll_events(fp, 0);
}

/* DHCP answered in the kernel: NULL (and a log line) when it cannot be. */
static struct dhcp_fastpath *dhcp_kernel(struct fastpath *fp, struct rb_config *cfg,
					  struct dhcp_server *dhcp)
{
	char err[512];
	struct dhcp_fastpath_opts o = { 0 };
	struct dhcp_fastpath *dfp = NULL;
	/* XDP may answer only where XDP_TX delivers: a NIC driver's native
	 * XDP, never veth or generic XDP's loop back into the stack */
	o.xdp = !strcmp(fastpath_mode(fp), "xdp-native+tc");
	if (!dhcp_fastpath_probe(cfg, &o.link, err, sizeof(err)))
		dfp = dhcp_fastpath_new(dhcp, fastpath_map_of, fp, &o, err, sizeof(err));
	if (!dfp || fastpath_set_event_handler(fp, fastpath_record, dfp)) {
		log_msg(LOG_WARNING, "DHCP stays in userspace (the fast path serves TFTP only): %s",
			dfp ? "cannot read the programs' events" : err);
		dhcp_fastpath_free(dfp);
		return NULL;
	}
	dhcp_server_set_fastpath(dhcp, dfp);
	dhcp_server_watch(dhcp, fastpath_events_fd(fp), fastpath_drain, fp);
	return dfp;
}

/* A TFTP transfer ended: on the timeline of the node at that address. */
static void tftp_done(void *arg, const struct sockaddr_storage *peer, const char *filename,
		      uint64_t bytes, uint64_t dur_us, bool ok, bool kernel)
{
	if (peer->ss_family != AF_INET)
		return;
	struct node_event e = { .kind = NEV_TFTP, .ok = ok, .bytes = bytes,
				.dur_ms = (uint32_t)(dur_us / 1000) };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e.t_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - e.dur_ms;
	snprintf(e.what, sizeof(e.what), "%s%s", filename, kernel ? " (kernel)" : "");
	node_table_event_ip(arg, ntohl(((const struct sockaddr_in *)peer)->sin_addr.s_addr), &e);
}

static void apply_http_flags(const struct flags *f, struct http_shared *sh)
{
	http_shared_init(sh);
	if (f->max_streams >= 0)
		sh->max_streams = (unsigned)f->max_streams;
	if (f->max_conns >= 0)
		sh->max_conns = (unsigned)f->max_conns;
	if (f->retry_after >= 0)
		sh->retry_after_s = (unsigned)f->retry_after;
	if (f->header_timeout >= 0)
		sh->header_timeout_ms = (unsigned)f->header_timeout * 1000;
	if (f->idle_timeout >= 0)
		sh->idle_timeout_ms = (unsigned)f->idle_timeout * 1000;
}

int main(int argc, char **argv)
{
	struct flags f;
	char err[1024];
	int rc = 0;

	parse_flags(argc, argv, &f);
	if (f.list_leases)
		return list_leases(f.state_dir ? f.state_dir : DEFAULT_STATE_DIR);
	log_init("rackbootd", f.to_stderr);
	struct rb_config *cfg = build_config(&f, err, sizeof(err));
	if (!cfg) {
		log_msg(LOG_ERR, "%s", err);
		if (!f.to_stderr)
			fprintf(stderr, "rackbootd: %s\n", err);
		return EX_CONFIG;
	}
	if (f.bpf_remove) {
		if (fastpath_remove(cfg->interface, NULL, err, sizeof(err))) {
			log_msg(LOG_ERR, "--bpf-remove: %s", err);
			return EX_OSERR;
		}
		log_msg(LOG_NOTICE, "fast path removed from %s", cfg->interface);
		return 0;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	static struct daemon_metrics dm;
	struct fastpath *fp;
	static struct http_shared hsh;
	struct node_table *nodes = node_table_new();
	if (!nodes) {
		log_msg(LOG_ERR, "out of memory");
		return EX_OSERR;
	}
	apply_http_flags(&f, &hsh);
	hsh.metrics = daemon_metrics;
	hsh.metrics_arg = &dm;

	/* TFTP and HTTP: one io_uring loop each per CPU on the server address. */
	struct tftp_roots roots;
	char *dirs[1] = { cfg->root };
	if (tftp_roots_open(&roots, dirs, 1, true, err, sizeof(err))) {
		log_msg(LOG_ERR, "--root %s: %s", cfg->root, err);
		return EX_NOINPUT;
	}
	struct tftp_server_opts so = { .roots = &roots, .verbosity = f.verbosity,
				       .idle_exit_ms = -1, .durations = &dm.tftp_durations,
				       .on_done = tftp_done, .on_done_arg = nodes };
	tftp_limits_default(&so.limits);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int per = ncpu < 1 ? 1 : ncpu > MAX_LOOPS ? MAX_LOOPS : (int)ncpu;
	struct loop loops[2 * MAX_LOOPS + 1];
	int nloops = 0;
	memset(loops, 0, sizeof(loops));
	for (int i = 0; i < per; i++) {
		int fd = open_socket(cfg, SOCK_DGRAM, cfg->tftp_port);
		if (fd < 0) {
			log_msg(LOG_ERR, "TFTP port %u on %s: %s", cfg->tftp_port, cfg->interface,
				strerror(errno));
			return EX_OSERR;
		}
		loops[nloops].tftp = tftp_server_new(&so, &fd, 1, err, sizeof(err));
		if (!loops[nloops++].tftp) {
			log_msg(LOG_ERR, "%s", err);
			return EX_OSERR;
		}
	}
	for (int i = 0; i < per; i++) {
		int fd = open_socket(cfg, SOCK_STREAM, cfg->http_port);
		struct rb_config *hcfg = fd < 0 ? NULL : build_config(&f, err, sizeof(err));
		if (fd < 0 || !hcfg) {
			log_msg(LOG_ERR, "HTTP port %u: %s", cfg->http_port, fd < 0 ? strerror(errno) : err);
			return EX_OSERR;
		}
		struct http_server_opts ho = { .shared = &hsh, .root_fd = roots.dir[0].fd,
					       .nodes = nodes, .cfg = hcfg, .verbosity = f.verbosity };
		loops[nloops].http = http_server_new(&ho, &fd, 1, err, sizeof(err));
		if (!loops[nloops++].http) {
			log_msg(LOG_ERR, "%s", err);
			return EX_OSERR;
		}
	}

	/* DHCP, with its leases (proxyDHCP hands out none). */
	struct lease_store *store = NULL;
	if (!cfg->proxy_dhcp) {
		if (mkdir_p(cfg->state_dir) < 0) {
			log_msg(LOG_ERR, "--state-dir %s: %s", cfg->state_dir, strerror(errno));
			return EX_CANTCREAT;
		}
		store = lease_store_open(cfg->state_dir, err, sizeof(err));
		if (!store) {
			log_msg(LOG_ERR, "%s", err);
			return EX_DATAERR;
		}
	}
	/* Every loop owns its own copy of the configuration (it swaps it on
	 * reload); this thread keeps one to compare reloads against. */
	struct rb_config *dcfg = build_config(&f, err, sizeof(err));
	if (!dcfg) {
		log_msg(LOG_ERR, "%s", err);
		return EX_CONFIG;
	}
	struct dhcp_server_opts dopts = { .cfg = dcfg, .store = store, .verbosity = f.verbosity,
					  .nodes = nodes };
	struct dhcp_server *dhcp = dhcp_server_new(&dopts, err, sizeof(err));
	if (!dhcp) {
		log_msg(LOG_ERR, "%s", err);
		return EX_OSERR;
	}
	/* The fast path is a cache of this daemon's decisions: if it cannot
	 * load, everything is served from userspace and nodes still boot.
	 * Loaded last, so that no error exit above leaves it attached. */
	fp = NULL;
	if (!cfg->no_bpf) {
		struct fastpath_opts fo = { .ifname = cfg->interface, .kmod = f.kmod };
		if (f.bpf_attach)
			fp_attach_parse(f.bpf_attach, &fo.attach);
		fp = fastpath_open(&fo, err, sizeof(err));
		if (!fp)
			log_msg(LOG_WARNING, "eBPF fast path unavailable on %s, serving everything "
				"from userspace: %s", cfg->interface, err);
		else
			log_msg(LOG_NOTICE, "eBPF fast path on %s: %s, %s", cfg->interface,
				fastpath_mode(fp), fastpath_adopted(fp) ? "adopted pinned maps"
				: "new maps");
	}
	/* Hot by default: the boot programs the boot policy hands out. */
	const char *hot_names[3 + RB_MAX_HOT] = { cfg->boot_bios, cfg->boot_efi_x64,
						  cfg->boot_efi_arm64 };
	for (unsigned i = 0; i < cfg->ntftp_hot; i++)
		hot_names[3 + i] = cfg->tftp_hot[i];
	struct fp_tftp_opts ko = { .names = hot_names, .nnames = 3 + cfg->ntftp_hot,
				   .max_size = cfg->tftp_hot_max };
	struct fp_tftp *kernel = fp ? fp_tftp_new(fp, &ko) : NULL;
	for (int i = 0; kernel && i < nloops; i++)
		if (loops[i].tftp)
			tftp_server_set_kernel(loops[i].tftp, kernel);
	struct dhcp_fastpath *dfp = fp ? dhcp_kernel(fp, cfg, dhcp) : NULL;

	dm.dhcp = dhcp;
	dm.fp = fp;
	dm.loops = loops;
	char a[INET_ADDRSTRLEN];
	struct in_addr ia = { htonl(cfg->address) };
	log_msg(LOG_NOTICE, "serving %s on %s (%s): DHCP %s, TFTP port %u and HTTP port %u from %s, "
		"%d loops each", cfg->interface, inet_ntop(AF_INET, &ia, a, sizeof(a)),
		cfg->proxy_dhcp ? "proxyDHCP" : "DHCP server",
		cfg->proxy_dhcp ? "67+4011 (boot info only)" : "67+4011", cfg->tftp_port,
		cfg->http_port, cfg->root, per);

	loops[nloops++].dhcp = dhcp;
	dm.nloops = nloops;
	int started = 0;
	bool keep_fastpath = false;
	for (; started < nloops; started++)
		if (pthread_create(&loops[started].thread, NULL, loop_main, &loops[started])) {
			log_msg(LOG_ERR, "cannot start a thread");
			rc = EX_OSERR;
			break;
		}
	while (!rc) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig == SIGHUP) {
			struct rb_config *n[2 * MAX_LOOPS + 1];
			int ok = 1;
			for (int i = 0; i < nloops && ok; i++) {
				n[i] = loops[i].tftp ? NULL : build_config(&f, err, sizeof(err));
				if (!loops[i].tftp && !n[i]) {
					ok = 0;
					for (int j = 0; j < i; j++)
						if (n[j]) {
							rb_config_free(n[j]);
							free(n[j]);
						}
				}
			}
			if (!ok) {
				log_msg(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
				continue;
			}
			struct rb_config *c0 = loops[nloops - 1].dhcp ? n[nloops - 1] : NULL;
			if (c0 && (strcmp(c0->root, cfg->root) || c0->tftp_port != cfg->tftp_port ||
				   c0->http_port != cfg->http_port ||
				   strcmp(c0->interface, cfg->interface) || c0->address != cfg->address ||
				   c0->proxy_dhcp != cfg->proxy_dhcp))
				log_msg(LOG_WARNING, "reload: interface, address, root, ports and "
					"proxy mode take effect at restart only");
			/* each loop takes its copy; ours stays the one the sockets
			 * were opened with, which later reloads compare against */
			for (int i = 0; i < nloops; i++) {
				if (loops[i].http)
					http_server_offer_config(loops[i].http, n[i]);
				else if (loops[i].dhcp)
					dhcp_server_offer_config(loops[i].dhcp, n[i]);
			}
			log_msg(LOG_INFO, "configuration reloaded");
		} else if (sig == SIGUSR1) {
			log_msg(LOG_ERR, "an event loop stopped unexpectedly");
			rc = EX_SOFTWARE;
		} else if (sig > 0) {
			keep_fastpath = sig == SIGQUIT;
			log_msg(LOG_NOTICE, "stopping on signal %d%s", sig, keep_fastpath && fp ?
				", leaving the fast path attached for the next daemon" : "");
			break;
		}
	}
	if (keep_fastpath && kernel)
		fp_tftp_keep_sessions(kernel);
	for (int i = 0; i < started; i++) {
		if (loops[i].tftp)
			tftp_server_stop(loops[i].tftp);
		else if (loops[i].http)
			http_server_stop(loops[i].http);
		else
			dhcp_server_stop(loops[i].dhcp);
	}
	for (int i = 0; i < started; i++)
		pthread_join(loops[i].thread, NULL);
	struct dhcp_server_stats st;
	dhcp_server_stats(dhcp, &st);
	dhcp_fastpath_free(dfp);     /* the maps stay for the next daemon */
	dhcp_server_free(dhcp);      /* flushes the lease writer first */
	log_msg(LOG_NOTICE, "stopped: %llu DHCP packets, %llu malformed, %llu offers, %llu acks, "
		"%llu naks, %llu lease commits (%llu rows); %llu HTTP requests",
		st.received, st.malformed, st.offer, st.ack, st.nak, st.commits, st.lease_rows,
		(unsigned long long)hsh.requests);
	for (int i = 0; i < nloops; i++) {
		if (loops[i].tftp)
			tftp_server_free(loops[i].tftp);
		else if (loops[i].http)
			http_server_free(loops[i].http);
	}
	tftp_roots_close(&roots);
	fp_tftp_free(kernel);
	fastpath_close(fp, keep_fastpath);
	node_table_free(nodes);
	rb_config_free(cfg);
	free(cfg);
	if (store)
		lease_store_close(store);
	return rc;
}
