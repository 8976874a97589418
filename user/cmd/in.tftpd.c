/* in.tftpd: rackboot's TFTP server with tftpd-hpa's command line.
 *
 * Reads like tftpd-hpa's main: parse options, load the remap rules, open
 * the directories and sockets (standalone, systemd or inetd's fd 0),
 * daemonize, chroot (-s, when root), drop privileges (-u), then hand the
 * sockets to the io_uring server loop. Exit codes are sysexits(3). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <linux/capability.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "fastpath/kmod.h"
#include "fastpath/loader.h"
#include "fastpath/tftp_kernel.h"
#include "lib/log.h"
#include "tftp/remap.h"
#include "tftp/tftp_files.h"
#include "tftp/tftp_server.h"
#include "tftp/tftpd_args.h"

#define VERSION "rackboot in.tftpd 0.1 (tftp-hpa 5.2 compatible), with remap, with io_uring"


/* The map file is re-read on SIGHUP, possibly after chroot: keep its
 * directory open so the reload does not depend on the filesystem view. */
static struct {
	int dirfd;
	char *base;
	const char *path;
	int steps;
} mapfile = { .dirfd = -1 };


static void usage(const char *why)
{
	if (why && strcmp(why, "help"))
		fprintf(stderr, "in.tftpd: %s\n", why);
	fprintf(stderr,
		"Usage: in.tftpd [options] directory...\n"
		"  -4 -6                IPv4 / IPv6 only\n"
		"  -l, --listen         standalone mode (default: inetd, socket on fd 0)\n"
		"  -L, --foreground     standalone, do not detach\n"
		"  -a [addr][:port]     listen address (repeatable)\n"
		"  -S, --port SERVICE   default port (\"tftp\")\n"
		"  -s, --secure         paths relative to the (single) directory; chroot when root\n"
		"  -c, --create         allow new files to be created\n"
		"  -u, --user USER      run as USER (default nobody)\n"
		"  -U, --umask MASK     umask for created files\n"
		"  -p, --permissive     no checks beyond the system's permissions\n"
		"  -P, --pidfile FILE   write the pid (standalone)\n"
		"  -t, --timeout SEC    inetd mode: exit after SEC idle (default 900)\n"
		"  -T, --retransmit US  retransmit timeout in microseconds (default 1000000)\n"
		"  -m, --map-file FILE  filename remap rules (reloaded on SIGHUP)\n"
		"      --map-steps N    remap rule evaluations per request (4096)\n"
		"      --map-test FILE  print the remapping of each line of FILE and exit\n"
		"  -r, --refuse OPT     never accept RFC 2347 option OPT\n"
		"      --reject-all     accept no options\n"
		"  -B, --blocksize MAX  maximum block size (512-65464)\n"
		"  -W, --windowsize MAX maximum RFC 7440 window (1-%d)\n"
		"      --window-bytes N cap blksize x windowsize\n"
		"  -R, --port-range L:H transfer ports from L to H\n"
		"      --systemd        sockets from systemd (LISTEN_FDS)\n"
		"  -v, --verbose        more logging (repeatable); --verbosity N\n"
		"      --stderr         log to stderr instead of syslog\n"
		"      --threads N      event loops in standalone mode (default: one per CPU)\n"
		"      --fastpath IF    serve downloads from the eBPF fast path on interface IF\n"
		"                       (off by default; standalone or --systemd only)\n"
		"      --fastpath-max-size N  largest file served in the kernel (bytes,\n"
		"                       default 64 MiB)\n"
		"      --fastpath-kmod M  rackboot.ko: auto (default), require, forbid\n"
		"  -V, --version        print version and exit\n", TFTP_MAX_WINDOW);
}

static char *read_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	while (buf && (r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	*len = n;
	return buf;
}

/* Returns the rules, or NULL with err set and *rc the sysexits code. */
static struct remap_rules *load_rules(char *err, size_t errlen, int *rc)
{
	int fd = openat(mapfile.dirfd, mapfile.base, O_RDONLY | O_CLOEXEC);
	struct remap_rules *r;
	size_t len;
	char *text;

	if (fd < 0) {
		snprintf(err, errlen, "Cannot open map file: %s: %s", mapfile.path, strerror(errno));
		*rc = EX_NOINPUT;
		return NULL;
	}
	*rc = EX_DATAERR;
	text = read_all(fd, &len);
	close(fd);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", mapfile.path);
		return NULL;
	}
	r = remap_parse(text, len, mapfile.path, mapfile.steps, err, errlen);
	free(text);
	return r;
}

static int open_mapfile(const char *path, int steps)
{
	char *d = strdup(path), *b = strdup(path);

	if (!d || !b)
		return -ENOMEM;
	mapfile.dirfd = open(dirname(d), O_PATH | O_DIRECTORY | O_CLOEXEC);
	mapfile.base = strdup(basename(b));
	mapfile.path = path;
	mapfile.steps = steps;
	free(d);
	free(b);
	return mapfile.dirfd < 0 ? -errno : 0;
}

/* SIGHUP: new rules replace the old only if they load cleanly. Each loop
 * gets its own copy: rule sets are immutable but not shared across threads. */
static void reload_rules(struct tftp_server **srv, int n)
{
	char err[512];
	int rc;

	if (!mapfile.base)
		return;
	for (int i = 0; i < n; i++) {
		struct remap_rules *r = load_rules(err, sizeof(err), &rc);
		if (!r) {
			log_msg(LOG_ERR, "%s; keeping the previous rules", err);
			return;
		}
		tftp_server_offer_rules(srv[i], r);
	}
	log_msg(LOG_NOTICE, "reloaded map file %s", mapfile.path);
}

/* As tftpd-hpa's --map-test: no file counts as transferable, so an E rule
 * never ends processing. */
static int never_valid(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return 0;
}

/* --map-test: remap each input line as a request from a documentation
 * address would be, and print the result. */
static int map_test(struct remap_rules *r, const struct tftpd_args *a)
{
	static const unsigned char ip4[4] = { 192, 0, 2, 34 };
	static const unsigned char ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					       0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef };
	struct remap_client c = {
		.is_write = a->create, .family = a->family == AF_INET6 ? AF_INET6 : AF_INET,
		.addr = a->family == AF_INET6 ? (const void *)ip6 : (const void *)ip4,
	};
	FILE *f = fopen(a->map_test, "r");
	char line[65536], out[65536];

	if (!f) {
		log_msg(LOG_ERR, "%s: cannot open map test file: %s", a->map_test, strerror(errno));
		return EX_NOINPUT;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *msg = NULL;
		char *nl = strchr(line, '\n');

		if (!nl)
			continue;
		*nl = 0;
		if (remap_apply(r, line, &c, never_valid, NULL, out, sizeof(out), &msg) == 0)
			printf("%s\n", out);
		else
			printf("ERROR: %s\n", msg ? msg : "Access denied");
	}
	fclose(f);
	return 0;
}

/* reuseport: one socket per event loop on the same address; the kernel
 * spreads requests over them by the client's address and port. */
static int bind_one(const struct addrinfo *ai, bool v6only, bool reuseport)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, v6only ? sizeof(one) : 0);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Open every -a address (default: all addresses, both families). */
static int open_listeners(const struct tftpd_args *a, int *fds, int max, bool reuseport)
{
	const char *specs[TFTPD_MAX_ADDRS] = { ":" };
	int nspecs = a->n_addrs ? a->n_addrs : 1, n = 0;

	for (int i = 0; i < a->n_addrs; i++)
		specs[i] = a->addrs[i];
	for (int i = 0; i < nspecs; i++) {
		struct addrinfo hints = { .ai_family = a->family, .ai_socktype = SOCK_DGRAM,
					  .ai_flags = AI_PASSIVE };
		struct addrinfo *res, *ai;
		const char *host, *port;
		char buf[512];
		int rc;

		if (tftpd_split_address(specs[i], buf, sizeof(buf), &host, &port)) {
			log_msg(LOG_ERR, "Bad address: %s", specs[i]);
			return -1;
		}
		rc = getaddrinfo(host, port ? port : a->service, &hints, &res);
		if (rc) {
			log_msg(LOG_ERR, "cannot resolve local bind address: %s: %s", specs[i],
				gai_strerror(rc));
			continue;
		}
		for (ai = res; ai && n < max; ai = ai->ai_next) {
			/* With both families bound, the v6 socket must not claim v4. */
			int fd = bind_one(ai, a->family == AF_INET6 || !host, reuseport);
			if (fd < 0) {
				log_msg(LOG_ERR, "cannot bind to local %s socket: %s",
					ai->ai_family == AF_INET6 ? "IPv6" : "IPv4", strerror(errno));
				continue;
			}
			fds[n++] = fd;
		}
		freeaddrinfo(res);
	}
	return n;
}

static int systemd_fds(int *fds, int max)
{
	const char *nfds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	int n;

	if (!nfds || !pid || atol(pid) != getpid() || (n = atoi(nfds)) <= 0)
		return 0;
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++)
		fds[i] = 3 + i;
	return n;
}

/* With the fast path, the unprivileged server still creates the BPF maps
 * that hold a hot file when it is first asked for: it keeps CAP_BPF, and
 * only that, across the change of user. */
static int keep_cap_bpf(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	d[CAP_BPF / 32].permitted = d[CAP_BPF / 32].effective = 1u << (CAP_BPF % 32);
	return (int)syscall(SYS_capset, &h, d);
}

static int drop_privileges(const struct passwd *pw, bool do_chroot, const char *root,
			   bool keep_bpf)
{
	if (do_chroot && getuid() == 0) {
		if (chroot(root) < 0 || chdir("/") < 0) {
			log_msg(LOG_ERR, "chroot: %s", strerror(errno));
			return EX_OSERR;
		}
	}
	if (getuid() != 0)
		return 0;      /* nothing to drop */
	if (setgroups(0, NULL) < 0 && errno != EPERM) {
		log_msg(LOG_ERR, "cannot clear group list");
		return EX_OSERR;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 && errno != EPERM) {
		log_msg(LOG_ERR, "cannot set groups for user %s", pw->pw_name);
		return EX_OSERR;
	}
	if (keep_bpf && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		log_msg(LOG_ERR, "cannot keep CAP_BPF: %s", strerror(errno));
		return EX_OSERR;
	}
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		log_msg(LOG_ERR, "cannot drop privileges: %s", strerror(errno));
		return EX_OSERR;
	}
	if (keep_bpf && pw->pw_uid != 0 && keep_cap_bpf() < 0) {
		log_msg(LOG_ERR, "cannot keep CAP_BPF: %s", strerror(errno));
		return EX_OSERR;
	}
	return 0;
}

static void write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		log_msg(LOG_ERR, "cannot open pid file '%s' for writing: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", getpid());
	if (fclose(f))
		log_msg(LOG_ERR, "error writing pid file '%s': %s", path, strerror(errno));
}

/* With a pid file and a privilege drop or chroot, the serving process can
 * no longer remove the file at exit. A small root parent keeps the pid in
 * the file, forwards signals to the server and removes the file when the
 * server ends, as tftpd-hpa's never-dropping listener does. Returns in the
 * child; the parent exits here. */
static pid_t child_pid;
static int verbosity;            /* -v, for the exit summary */
static void forward_signal(int sig) { if (child_pid > 0) kill(child_pid, sig); }

static void supervise(const char *pidfile, int fds[][TFTPD_MAX_ADDRS * 2], const int *nfds,
		      int nloops, struct tftp_roots *roots)
{
	struct sigaction sa = { .sa_handler = forward_signal };
	int status, rc;

	child_pid = fork();
	if (child_pid < 0) {
		log_msg(LOG_ERR, "fork: %s", strerror(errno));
		exit(EX_OSERR);
	}
	if (child_pid == 0)
		return;
	for (int l = 0; l < nloops; l++)
		for (int i = 0; i < nfds[l]; i++)
			close(fds[l][i]);
	tftp_roots_close(roots);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (waitpid(child_pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = EX_OSERR << 8;
			break;
		}
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
	if (unlink(pidfile) < 0) {
		log_msg(LOG_WARNING, "error removing pid file '%s': %s", pidfile, strerror(errno));
		rc = rc ? rc : EX_OSERR;
	}
	exit(rc);
}

/* At exit, with -v: what all the loops did, in one line. */
static void log_totals(struct tftp_server **srv, int n)
{
	struct tftp_server_stats sum = { 0 }, st;

	if (verbosity < 1)
		return;
	for (int i = 0; i < n; i++) {
		tftp_server_stats(srv[i], &st);
		sum.requests += st.requests;
		sum.completed += st.completed;
		sum.failed += st.failed;
		sum.active += st.active;
		sum.bad_packets += st.bad_packets;
		sum.kernel_handed += st.kernel_handed;
		sum.kernel_completed += st.kernel_completed;
		sum.kernel_taken_back += st.kernel_taken_back;
	}
	log_msg(LOG_NOTICE, "exiting: %llu requests, %llu transfers completed, %llu failed, "
		"%llu cut short, %llu bad packets", sum.requests, sum.completed, sum.failed,
		sum.active, sum.bad_packets);
	if (sum.kernel_handed)
		log_msg(LOG_NOTICE, "fast path: %llu transfers handed to the kernel, %llu finished "
			"there, %llu taken back", sum.kernel_handed, sum.kernel_completed,
			sum.kernel_taken_back);
}

/* One event loop per thread; the main thread only handles signals. */
struct worker {
	struct tftp_server *srv;
	pthread_t thread;
	int rc;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->rc = tftp_server_run(w->srv);
	kill(getpid(), SIGUSR1);          /* tell the main thread */
	return NULL;
}

/* Block the signals in every thread (the workers inherit the mask) and
 * take them synchronously in the main thread. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Run the loops until a stop signal, or until every loop has ended by
 * itself (inetd idle timeout). SIGHUP reloads the rules (standalone);
 * in inetd mode it stops, as in tftpd-hpa. Returns a sysexits code. */
static int run_workers(struct tftp_server **srv, int n, bool standalone)
{
	struct worker w[TFTPD_MAX_THREADS];
	sigset_t set;
	int running = 0, rc = 0;

	block_signals(&set);
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){ .srv = srv[i] };
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i])) {
			log_msg(LOG_ERR, "cannot start event loop thread");
			for (int j = 0; j < i; j++)
				tftp_server_stop(srv[j]);
			n = i;
			rc = EX_OSERR;
			break;
		}
		running++;
	}
	while (running > 0 && !rc) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig == SIGHUP && standalone) {
			reload_rules(srv, n);
		} else if (sig == SIGUSR1) {
			running--;               /* a loop ended: idle, or an error */
		} else if (sig > 0) {
			break;
		}
	}
	for (int i = 0; i < n; i++)
		tftp_server_stop(srv[i]);
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].rc)
			rc = EX_IOERR;
	}
	log_totals(srv, n);
	return rc;
}

int main(int argc, char **argv)
{
	struct tftpd_args a;
	struct tftp_roots roots;
	struct tftp_server_opts so;
	struct remap_rules *rules = NULL;
	struct tftp_server *srv[TFTPD_MAX_THREADS];
	struct passwd *pw;
	char err[1024];
	static int fds[TFTPD_MAX_THREADS][TFTPD_MAX_ADDRS * 2];
	int nfds[TFTPD_MAX_THREADS], nloops = 1, nsrv = 0, rc;

	rc = tftpd_parse_args(argc, argv, &a, err, sizeof(err));
	if (rc) {
		usage(err);
		return rc;
	}
	if (a.version) {
		printf("%s\n", VERSION);
		return 0;
	}
	log_init("in.tftpd", a.use_stderr);
	verbosity = a.verbosity;
	if (a.map_file) {
		if (open_mapfile(a.map_file, a.map_steps)) {
			log_msg(LOG_ERR, "Cannot open map file: %s: %s", a.map_file, strerror(errno));
			return EX_NOINPUT;
		}
		rules = load_rules(err, sizeof(err), &rc);
		if (!rules) {
			log_msg(LOG_ERR, "%s", err);
			return rc;
		}
	}
	if (a.map_test) {
		rc = rules ? map_test(rules, &a) : EX_USAGE;
		if (!rules)
			log_msg(LOG_ERR, "--map-test needs a map file (-m)");
		remap_free(rules);
		return rc;
	}
	if (a.n_dirs == 0) {
		log_msg(LOG_ERR, "directory list not specified");
		return EX_USAGE;
	}
	if (a.secure && a.n_dirs != 1) {
		log_msg(LOG_ERR, "-s requires exactly one directory");
		return EX_USAGE;
	}
	if (tftp_roots_open(&roots, a.dirs, a.n_dirs, a.secure, err, sizeof(err))) {
		log_msg(LOG_ERR, "%s", err);
		return EX_NOINPUT;
	}
	pw = getpwnam(a.user);
	if (!pw) {
		log_msg(LOG_ERR, "no user %s: %s", a.user, strerror(errno ? errno : ENOENT));
		return EX_NOUSER;
	}
	if (a.pidfile && !a.standalone) {
		log_msg(LOG_WARNING, "not in standalone mode, ignoring pid file");
		a.pidfile = NULL;
	}
	if (a.systemd) {
		nfds[0] = systemd_fds(fds[0], TFTPD_MAX_ADDRS);
		if (!nfds[0]) {
			log_msg(LOG_ERR, "--systemd specified, but no file descriptors passed");
			return EX_NOINPUT;
		}
	} else if (a.standalone) {
		nloops = a.threads > 0 ? a.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
		if (nloops < 1)
			nloops = 1;
		if (nloops > TFTPD_MAX_THREADS)
			nloops = TFTPD_MAX_THREADS;
		for (int i = 0; i < nloops; i++) {
			nfds[i] = open_listeners(&a, fds[i], TFTPD_MAX_ADDRS * 2, nloops > 1);
			if (nfds[i] <= 0) {
				log_msg(LOG_ERR, "no listen addresses available");
				return EX_NOINPUT;
			}
		}
		if (!a.foreground && daemon(1, 1) < 0) {
			log_msg(LOG_ERR, "cannot daemonize: %s", strerror(errno));
			return EX_OSERR;
		}
	} else {
		fds[0][0] = dup(0);        /* inetd: the request socket is fd 0 */
		if (fds[0][0] < 0) {
			log_msg(LOG_ERR, "dup failed: %s", strerror(errno));
			return EX_OSERR;
		}
		nfds[0] = 1;
	}
	if (a.pidfile) {
		write_pidfile(a.pidfile);
		if (getuid() == 0 && (a.secure || pw->pw_uid != 0)) {
			supervise(a.pidfile, fds, nfds, nloops, &roots);
			a.pidfile = NULL;       /* the parent removes it */
		}
	}
	if (a.umask_set || !a.permissive)
		umask(a.umask);
	/* The fast path loads while we are still root (and before chroot hides
	 * bpffs); a daemon that cannot load it serves from userspace. */
	struct fastpath *fp = NULL;
	struct fp_tftp *kernel = NULL;
	if (a.fastpath_if) {
		if (!a.standalone && !a.systemd) {
			log_msg(LOG_ERR, "--fastpath needs standalone (-l) or --systemd mode");
			return EX_USAGE;
		}
		struct fastpath_opts fo = { .ifname = a.fastpath_if };
		enum fp_kmod_use ku;
		if (a.fastpath_kmod && !fp_kmod_use_parse(a.fastpath_kmod, &ku))
			fo.kmod = 1 + (int)ku;
		fp = fastpath_open(&fo, err, sizeof(err));
		struct fp_tftp_opts ko = { .all = true, .max_size = a.fastpath_max ? a.fastpath_max
								  : FP_TFTP_DEFAULT_MAX_SIZE };
		if (fp)
			kernel = fp_tftp_new(fp, &ko);
		if (!kernel)
			log_msg(LOG_WARNING, "eBPF fast path unavailable on %s, serving from userspace: %s",
				a.fastpath_if, fp ? "out of memory" : err);
		else
			log_msg(LOG_NOTICE, "eBPF fast path on %s: %s", a.fastpath_if, fastpath_mode(fp));
	}
	rc = drop_privileges(pw, a.secure, roots.dir[0].path, kernel != NULL);
	if (rc) {
		fp_tftp_free(kernel);
		fastpath_close(fp, false);
		return rc;
	}

	so = (struct tftp_server_opts){
		.limits = a.limits, .roots = &roots, .create = a.create,
		.permissive = a.permissive, .verbosity = a.verbosity,
		.port_range = a.port_range, .port_lo = a.port_lo, .port_hi = a.port_hi,
		.idle_exit_ms = -1, .kernel = kernel,
	};
	if (!a.standalone && !a.systemd) {
		long t = a.idle_timeout_s < 0 ? 900 : a.idle_timeout_s;
		so.idle_exit_ms = t ? t * 1000 : -1;
	}
	for (nsrv = 0; nsrv < nloops; nsrv++) {
		srv[nsrv] = tftp_server_new(&so, fds[nsrv], nfds[nsrv], err, sizeof(err));
		if (!srv[nsrv]) {
			log_msg(LOG_ERR, "%s", err);
			rc = EX_OSERR;
			break;
		}
		if (nsrv == 0)
			tftp_server_set_rules(srv[0], rules);
		else if (mapfile.base) {
			int lrc;
			struct remap_rules *r = load_rules(err, sizeof(err), &lrc);
			if (!r) {
				log_msg(LOG_ERR, "%s", err);
				rc = lrc;
				nsrv++;
				break;
			}
			tftp_server_set_rules(srv[nsrv], r);
		}
	}
	if (!rc)
		rc = run_workers(srv, nsrv, a.standalone);
	for (int i = 0; i < nsrv; i++)
		tftp_server_free(srv[i]);
	fp_tftp_free(kernel);
	fastpath_close(fp, false);
	free(mapfile.base);
	if (mapfile.dirfd >= 0)
		close(mapfile.dirfd);
	tftp_roots_close(&roots);
	if (a.pidfile && unlink(a.pidfile) < 0) {
		log_msg(LOG_WARNING, "error removing pid file '%s': %s", a.pidfile, strerror(errno));
		return EX_OSERR;
	}
	return rc;
}
