/* kmod_test: rackboot.ko (kern/rackboot.c) on the kernel it runs on, from
 * insmod to rmmod, as TAP lines. Run as root in the guest of
 * tests/e2e/kmod_module.sh (Debian 12's 6.1 kernel), static like
 * bpf_verify:
 *
 *   kmod_test MODULE.ko KMOD_TEST.bpf.o [-- COMMAND...]
 *
 *  1. loads the module (finit_module): /dev/rackboot (0600), its BTF in
 *     /sys/kernel/btf/rackboot, RB_IOC_VERSION;
 *  2. who may register: not a user without CAP_NET_ADMIN and CAP_BPF,
 *     even holding the device open; CAP_NET_ADMIN alone or CAP_BPF alone
 *     may; what may be registered (a readable regular file);
 *  3. loads KMOD_TEST.bpf.o (sched_cls and xdp programs that call the
 *     kfuncs) and, by BPF_PROG_TEST_RUN on crafted frames, reads files of
 *     many sizes at offsets up to, at and past their end: the bytes, the
 *     zero padding, the counts, the checksums and every frame byte outside
 *     the read, exactly; a file truncated, rewritten and grown with a hole
 *     while registered; bad ids, lengths and frame ranges;
 *  4. XDP: copies emitted by bpf_rb_xdp_emit leave by the device (lo) and
 *     arrive, in order, on a UDP socket;
 *  5. runs COMMAND, if given, while the module is loaded (the e2e test
 *     runs bpf_verify on the fast path's module variant there);
 *  6. rmmod is refused while a program using the kfuncs is loaded, and
 *     while /dev/rackboot is open; succeeds after; the kfunc programs no
 *     longer load.
 * Exit status 0 when every line is ok. */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kmod_test.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int failures, tests;

static void report(bool good, const char *fmt, ...)
{
	va_list ap;
	tests++;
	failures += !good;
	printf("%s - ", good ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void note(const char *fmt, ...)
{
	va_list ap;
	printf("  # ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/rackboot/refcnt", "r");
	long n = -1;
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static int rmmod(void)
{
	return syscall(SYS_delete_module, "rackboot", O_NONBLOCK) ? -errno : 0;
}

/* ---- registration --------------------------------------------------------- */

static int reg(int dev, int fd, struct rb_kmod_file *out)
{
	struct rb_kmod_file f = { .fd = fd };
	if (ioctl(dev, RB_IOC_REGISTER, &f))
		return -errno;
	if (out)
		*out = f;
	return 0;
}

static int unreg(int dev, __u32 id)
{
	return ioctl(dev, RB_IOC_UNREGISTER, &id) ? -errno : 0;
}

/* Keep only the capabilities in `keep` (effective and permitted). */
static int caps_only(__u64 keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return -1;
	for (int i = 0; i < 2; i++) {
		__u32 k = (__u32)(keep >> (32 * i));
		d[i].effective &= k;
		d[i].permitted &= k;
		d[i].inheritable &= k;
	}
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* What a child does after dropping privileges (drop, unless NULL): open
 * /dev/rackboot, or register fd through dev. Its result (0 or -errno;
 * -1000 - errno when drop failed) comes back through a pipe. */
struct job {
	int (*drop)(void *);
	void *drop_arg;
	bool open_dev;
	int dev, fd;
};

static int in_child(const struct job *j)
{
	int p[2], r = -9999;
	if (pipe(p))
		return r;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		int e;
		if (j->drop && j->drop(j->drop_arg)) {
			e = -1000 - errno;
		} else if (j->open_dev) {
			int fd = open(RB_KMOD_DEV, O_RDWR);
			e = fd < 0 ? -errno : 0;
		} else {
			e = reg(j->dev, j->fd, NULL);
		}
		_exit(write(p[1], &e, sizeof(e)) == sizeof(e) ? 0 : 1);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &r, sizeof(r)) != sizeof(r))
		r = -9999;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r;
}

static int drop_to_nobody(void *arg)
{
	(void)arg;
	return setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534) ? -1 : 0;
}

static int keep_caps(void *arg)
{
	return caps_only(*(__u64 *)arg);
}

static int reg_as(int dev, int fd, int (*drop)(void *), void *arg)
{
	struct job j = { .drop = drop, .drop_arg = arg, .dev = dev, .fd = fd };
	return in_child(&j);
}

static int open_as_nobody(void)
{
	struct job j = { .drop = drop_to_nobody, .open_dev = true };
	return in_child(&j);
}

/* ---- files ---------------------------------------------------------------- */

#define DIR_FILES "/tmp/kmod"

struct tfile {
	char path[64];
	int fd;
	__u32 id;
	size_t size;
	unsigned char *data;         /* what it holds */
};

static unsigned rnd_state = 12345;
static unsigned char rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (unsigned char)(rnd_state >> 16);
}

static bool make_file(struct tfile *t, size_t size)
{
	snprintf(t->path, sizeof(t->path), DIR_FILES "/f%zu", size);
	t->size = size;
	t->data = malloc(size ? size : 1);
	for (size_t i = 0; i < size; i++)
		t->data[i] = rnd();
	int w = open(t->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (w < 0 || !t->data || write(w, t->data, size) != (ssize_t)size) {
		if (w >= 0)
			close(w);
		return false;
	}
	close(w);
	t->fd = open(t->path, O_RDONLY);
	return t->fd >= 0;
}

/* ---- reads through the programs ------------------------------------------ */

#define FRAME_MAX  (RB_KMOD_READ_MAX + 256)
#define FILL(i)    ((unsigned char)(0xa5 ^ (i)))

static struct kt_io *io;             /* the object's .bss, mapped */
static int prog_skb_read, prog_xdp_read, prog_xdp_emit;

struct run {
	int ret;                     /* the kfunc's */
	struct rb_kmod_read out;
	unsigned char frame[FRAME_MAX];  /* the frame after the program */
	__u32 frame_len;
	int err;                     /* of BPF_PROG_TEST_RUN itself */
};

static void run_read(int prog, __u32 frame_len, const struct rb_kmod_read *in, struct run *r)
{
	static unsigned char frame[FRAME_MAX];
	for (__u32 i = 0; i < frame_len; i++)
		frame[i] = FILL(i);
	memset(io, 0, sizeof(*io));
	io->in = *in;
	io->ret = 12345;
	memset(r, 0, sizeof(*r));
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = frame_len,
		    .data_out = r->frame, .data_size_out = sizeof(r->frame), .repeat = 1);
	r->err = bpf_prog_test_run_opts(prog, &o) ? -errno : 0;
	r->frame_len = o.data_size_out;
	r->ret = io->ret;
	r->out = io->out;
}

/* The 16-bit one's-complement sum of bytes in memory order (as
 * csum_partial, folded), for comparing with rd.csum folded. */
static __u16 fold(__u64 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}
static __u16 sum_bytes(const unsigned char *p, size_t n)
{
	__u64 s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (__u16)(p[i] | p[i + 1] << 8);
	if (n & 1)
		s += p[n - 1];
	return fold(s);
}

/* Check one successful read of t at off, len bytes at pkt_off. */
static bool check_read(const char *what, const struct tfile *t, __u64 off, __u32 pkt_off,
		       __u32 len, __u32 frame_len, const struct run *r, char *why, size_t whylen)
{
	__u64 avail = off <= t->size ? t->size - off : 0;
	__u32 want = avail < len ? (__u32)avail : len;
	if (r->err || r->ret) {
		snprintf(why, whylen, "%s: test run %d, kfunc %d", what, r->err, r->ret);
		return false;
	}
	if (r->frame_len != frame_len || r->out.copied != want || r->out.size != t->size) {
		snprintf(why, whylen, "%s: frame %u (want %u), copied %u (want %u), size %llu (want %zu)",
			 what, r->frame_len, frame_len, r->out.copied, want,
			 (unsigned long long)r->out.size, t->size);
		return false;
	}
	for (__u32 i = 0; i < frame_len; i++) {
		unsigned char exp = i < pkt_off || i >= pkt_off + len ? FILL(i)
				    : i - pkt_off < want ? t->data[off + i - pkt_off] : 0;
		if (r->frame[i] != exp) {
			snprintf(why, whylen, "%s: frame byte %u is %#x, want %#x (%s)", what, i,
				 r->frame[i], exp,
				 i < pkt_off || i >= pkt_off + len ? "outside the read"
				 : i - pkt_off < want ? "file byte" : "zero padding");
			return false;
		}
	}
	if (fold(r->out.csum) != sum_bytes(r->frame + pkt_off, len) &&
	    !(fold(r->out.csum) == 0xffff && sum_bytes(r->frame + pkt_off, len) == 0) &&
	    !(fold(r->out.csum) == 0 && sum_bytes(r->frame + pkt_off, len) == 0xffff)) {
		snprintf(why, whylen, "%s: csum %#x folds to %#x, the bytes sum to %#x", what,
			 r->out.csum, fold(r->out.csum), sum_bytes(r->frame + pkt_off, len));
		return false;
	}
	return true;
}

/* A read that must fail with `err`: the frame is unchanged, or (zeroed)
 * its read range is all zeros. */
static bool check_fail(const char *what, int err, bool zeroed, __u32 pkt_off, __u32 len,
		       __u32 frame_len, const struct run *r, char *why, size_t whylen)
{
	if (r->err || r->ret != err) {
		snprintf(why, whylen, "%s: test run %d, kfunc %d (want %d)", what, r->err, r->ret, err);
		return false;
	}
	for (__u32 i = 0; i < frame_len; i++) {
		bool in = zeroed && i >= pkt_off && i < pkt_off + len;
		if (r->frame[i] != (in ? 0 : FILL(i))) {
			snprintf(why, whylen, "%s: frame byte %u changed to %#x", what, i, r->frame[i]);
			return false;
		}
	}
	return true;
}

struct prog {
	const char *name;
	int *fd;
	__u32 frame_max;             /* XDP test runs keep a frame in one page */
};

static void read_matrix(const struct prog *p, struct tfile *files, int nfiles)
{
	static const __u32 lens[] = { 1, 8, 512, 1468 };
	char why[256] = "", scratch[256];
	int runs = 0, bad = 0;
	for (int f = 0; f < nfiles; f++) {
		struct tfile *t = &files[f];
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			__u32 len = lens[l];
			__u64 offs[] = { 0, t->size / 2, t->size ? t->size - 1 : 0,
					 t->size > len ? t->size - len : 0, t->size,
					 t->size > 4096 ? 4096 - 3 : 0, t->size > 8192 ? 8192 + 511 : 0 };
			for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
				/* the read at the frame's start, after the TFTP headers,
				 * and flush with its end */
				__u32 frame_len = len + 46 + 17 <= p->frame_max ? len + 46 + 17 : p->frame_max;
				__u32 pkts[] = { 0, 46, frame_len - len };
				for (size_t k = 0; k < 3; k++) {
					struct rb_kmod_read in = { .id = t->id, .file_off = offs[o],
								   .pkt_off = pkts[k], .len = len };
					struct run r;
					char what[160];
					run_read(*p->fd, frame_len, &in, &r);
					snprintf(what, sizeof(what), "%zu-byte file, %u at %llu into frame+%u",
						 t->size, len, (unsigned long long)offs[o], pkts[k]);
					runs++;
					if (!check_read(what, t, offs[o], pkts[k], len, frame_len, &r,
							bad ? scratch : why, sizeof(why)))
						bad++;
				}
			}
		}
	}
	report(!bad, "%s: %d reads of %d files (0 B to %zu B) at offsets from 0 to the end: "
	       "bytes, zero padding, counts, checksums and the rest of the frame exact%s%s",
	       p->name, runs, nfiles, files[nfiles - 1].size, bad ? "; first failure: " : "", bad ? why : "");
	if (bad)
		note("%d of %d reads wrong", bad, runs);
}

/* Reads that must fail, and the edges of what is allowed. */
static void read_errors(const struct prog *p, const struct tfile *t, __u32 unknown_id)
{
	struct run r;
	char why[256];
	struct { const char *what; __u64 off; __u32 id, pkt_off, len, frame_len; int err; bool zeroed; } c[] = {
		{ "1 byte past the end", t->size + 1, t->id, 46, 512, 600, -ERANGE, true },
		{ "far past the end", t->size + 100000, t->id, 46, 512, 600, -ERANGE, true },
		{ "an id never registered", 0, unknown_id, 46, 512, 600, -ENOENT, true },
		{ "id 0", 0, 0, 46, 512, 600, -ENOENT, true },
		{ "length 0", 0, t->id, 46, 0, 600, -EINVAL, false },
		{ "length RB_KMOD_READ_MAX + 1", 0, t->id, 0, RB_KMOD_READ_MAX + 1, 600, -EINVAL, false },
		{ "one byte past the frame", 0, t->id, 89, 512, 600, -EFAULT, false },
		{ "an offset past the frame", 0, t->id, 0xfffffff0u, 32, 600, -EFAULT, false },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct rb_kmod_read in = { .id = c[i].id, .file_off = c[i].off, .pkt_off = c[i].pkt_off,
					   .len = c[i].len };
		run_read(*p->fd, c[i].frame_len, &in, &r);
		bool good = check_fail(c[i].what, c[i].err, c[i].zeroed, c[i].pkt_off, c[i].len,
				       c[i].frame_len, &r, why, sizeof(why));
		report(good, "%s: a read of %s fails with %s (%d), the frame %s%s%s", p->name, c[i].what,
		       strerrorname_np(-c[i].err), c[i].err,
		       c[i].zeroed ? "range zeroed" : "untouched", good ? "" : ": ", good ? "" : why);
	}
}

/* ---- a file that changes under its registration ---------------------------- */

static void changing_file(int dev, const struct prog *p)
{
	char why[256];
	struct tfile t = { 0 };
	struct run r;
	rnd_state = 777;
	if (!make_file(&t, 10000)) {
		report(false, "%s: a 10000-byte file for the truncation tests", p->name);
		return;
	}
	struct rb_kmod_file rf = { 0 };
	if (reg(dev, t.fd, &rf)) {
		report(false, "%s: register the 10000-byte file: %s", p->name, strerror(errno));
		return;
	}
	t.id = rf.id;
	int w = open(t.path, O_WRONLY);
	bool good = w >= 0 && ftruncate(w, 3000) == 0;
	t.size = 3000;
	/* a block across the new end: short, zero-padded, the new size */
	struct rb_kmod_read in = { .id = t.id, .file_off = 2000, .pkt_off = 46, .len = 1468 };
	run_read(*p->fd, 1514, &in, &r);
	good = good && check_read("truncated to 3000, 1468 at 2000", &t, 2000, 46, 1468, 1514, &r,
				  why, sizeof(why));
	report(good, "%s: truncated to 3000 bytes while registered: a block across the new end is "
	       "short (1000 bytes), zero-padded, size 3000%s%s", p->name, good ? "" : ": ", good ? "" : why);
	in.file_off = 5000;
	run_read(*p->fd, 1514, &in, &r);
	good = check_fail("truncated, read at 5000", -ERANGE, true, 46, 1468, 1514, &r, why, sizeof(why));
	report(good, "%s: ... and a block past the new end fails (-ERANGE), never old bytes%s%s", p->name,
	       good ? "" : ": ", good ? "" : why);
	in.file_off = 3000;
	run_read(*p->fd, 1514, &in, &r);
	good = check_read("truncated, read at the end", &t, 3000, 46, 1468, 1514, &r, why, sizeof(why));
	report(good, "%s: ... a block at the new end is all zeros (copied 0)%s%s", p->name,
	       good ? "" : ": ", good ? "" : why);

	/* rewritten in place: the page cache has the new bytes at once */
	for (size_t i = 0; i < 3000; i++)
		t.data[i] = (unsigned char)~t.data[i];
	good = pwrite(w, t.data, 3000, 0) == 3000;
	in.file_off = 1024;
	run_read(*p->fd, 1514, &in, &r);
	good = good && check_read("rewritten, 1468 at 1024", &t, 1024, 46, 1468, 1514, &r, why, sizeof(why));
	report(good, "%s: rewritten while registered: the next read has the new bytes%s%s", p->name,
	       good ? "" : ": ", good ? "" : why);

	/* grown by a write at 9000: 3000..8999 a hole, its pages not in the cache */
	good = pwrite(w, "tail", 4, 9000) == 4;
	in.file_off = 5000;
	run_read(*p->fd, 1514, &in, &r);
	good = good && check_fail("hole", -EAGAIN, true, 46, 1468, 1514, &r, why, sizeof(why));
	report(good, "%s: a page not in the page cache (a hole) fails with -EAGAIN, the range zeroed, "
	       "nothing waited for%s%s", p->name, good ? "" : ": ", good ? "" : why);
	if (w >= 0)
		close(w);
	unreg(dev, t.id);
	close(t.fd);
	unlink(t.path);
	free(t.data);
}

/* ---- XDP: emitted copies arrive ------------------------------------------------ */

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s >= 0 && !ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (s >= 0)
		close(s);
	/* a frame to 127.0.0.1 that comes in on lo without the route the
	 * stack's own loopback traffic carries is a martian unless this is on */
	int f = open("/proc/sys/net/ipv4/conf/lo/route_localnet", O_WRONLY);
	if (f >= 0) {
		if (write(f, "1", 1) != 1)
			note("cannot set lo's route_localnet: %s", strerror(errno));
		close(f);
	}
}

static void xdp_emit(void)
{
	enum { PORT = 40069, N = 4, PAYLOAD = 16 };
	lo_up();
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 2 };
	if (s < 0 || bind(s, (void *)&a, sizeof(a)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		report(false, "xdp: a UDP socket on 127.0.0.1:%d: %s", PORT, strerror(errno));
		return;
	}
	/* Ethernet (to lo's all-zero address), IPv4 127.0.0.2 -> 127.0.0.1 (a
	 * source that is not one of the guest's own addresses), UDP
	 * without checksum, payload 0, 1, 2...: byte 42 is the copy's number */
	unsigned char f[14 + 20 + 8 + PAYLOAD] = { 0 };
	f[12] = 0x08;
	unsigned char *ip = f + 14;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + PAYLOAD;
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 127, ip[15] = 2, ip[16] = 127, ip[19] = 1;
	__u32 sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	__u16 c = (__u16)~fold(sum);
	ip[10] = c >> 8, ip[11] = c & 0xff;
	unsigned char *udp = ip + 20;
	udp[0] = 0x9c, udp[1] = 0x40;   /* 40000 */
	udp[2] = PORT >> 8, udp[3] = PORT & 0xff;
	udp[5] = 8 + PAYLOAD;
	for (int i = 0; i < PAYLOAD; i++)
		udp[8 + i] = (unsigned char)i;
	memset(io, 0, sizeof(*io));
	io->emits = N;
	unsigned char out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = sizeof(f), .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_xdp_emit, &o) ? -errno : 0;
	bool good = !err && o.retval == 1 /* XDP_DROP */;
	for (int k = 0; k < N; k++)
		good = good && io->emit_ret[k] == 0;
	report(good, "xdp: bpf_rb_xdp_emit sent %d copies of the frame out of lo (test run %d, "
	       "verdict %u, returns %d %d %d %d)", N, err, o.retval, io->emit_ret[0], io->emit_ret[1],
	       io->emit_ret[2], io->emit_ret[3]);
	int got = 0;
	bool order = true;
	unsigned char b[64];
	for (int k = 0; k < N; k++) {
		ssize_t n = recv(s, b, sizeof(b), 0);
		if (n != PAYLOAD)
			break;
		order = order && b[0] == k && !memcmp(b + 1, udp + 9, PAYLOAD - 1);
		got++;
	}
	report(got == N && order, "xdp: all %d arrived on 127.0.0.1:%d in order, each the frame as it was "
	       "when emitted (received %d, %s)", N, PORT, got, order ? "in order" : "out of order or wrong");
	close(s);
}

/* ---- the whole run ------------------------------------------------------------- */

static struct bpf_object *load_test_object(const char *path, char *err, size_t errlen)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	int r = bpf_object__load(obj);
	if (r) {
		snprintf(err, errlen, "load %s: %s", path, strerror(-r));
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static char libbpf_last[512];
static int on_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_DEBUG) {
		vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, ap);
		libbpf_last[strcspn(libbpf_last, "\n")] = 0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (argc > 3 && strcmp(argv[3], "--"))) {
		fprintf(stderr, "usage: %s MODULE.ko KMOD_TEST.bpf.o [-- COMMAND...]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(on_libbpf);
	const char *ko = argv[1], *bpfobj = argv[2];
	char err[600];
	struct stat st;

	/* 1. insmod */
	int kfd = open(ko, O_RDONLY | O_CLOEXEC);
	double t0 = now_s();
	int r = kfd >= 0 && !syscall(SYS_finit_module, kfd, "", 0) ? 0 : -errno;
	report(!r, "insmod %s (%s, %.2fs)", ko, r ? strerror(-r) : "loaded", now_s() - t0);
	if (r)
		return 1;
	close(kfd);
	bool dev_ok = false;
	for (int i = 0; i < 50 && !(dev_ok = !stat(RB_KMOD_DEV, &st)); i++)
		usleep(100000);              /* devtmpfs makes the node: bounded wait */
	report(dev_ok && S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0600,
	       "%s appears, a character device of mode 0600 (mode %o)", RB_KMOD_DEV,
	       dev_ok ? st.st_mode & 07777 : 0);
	long btf_bytes = 0;
	int bfd = open(RB_KMOD_BTF, O_RDONLY | O_CLOEXEC);
	for (ssize_t n; bfd >= 0 && (n = read(bfd, err, sizeof(err))) > 0;)
		btf_bytes += n;
	if (bfd >= 0)
		close(bfd);
	report(btf_bytes > 0, "the module's BTF is in %s (%ld bytes)", RB_KMOD_BTF, btf_bytes);
	long ref_idle = module_refcnt();
	int dev = open(RB_KMOD_DEV, O_RDWR | O_CLOEXEC);
	long ref0 = module_refcnt();
	report(ref_idle == 0 && ref0 == 1, "an open %s holds the module (refcnt %ld -> %ld)", RB_KMOD_DEV,
	       ref_idle, ref0);
	int ver = dev >= 0 ? ioctl(dev, RB_IOC_VERSION) : -1;
	report(ver == RB_KMOD_ABI_VERSION, "RB_IOC_VERSION is %d (%d)", RB_KMOD_ABI_VERSION, ver);
	if (dev < 0)
		return 1;

	/* 2. who may register what */
	mkdir(DIR_FILES, 0755);
	struct tfile small = { 0 };
	rnd_state = 1;
	if (!make_file(&small, 100))
		report(false, "a test file in %s: %s", DIR_FILES, strerror(errno));
	r = open_as_nobody();
	report(r == -EACCES, "an unprivileged user (uid 65534) cannot open %s (%s)", RB_KMOD_DEV,
	       r ? strerrorname_np(-r) ?: "?" : "opened!");
	r = reg_as(dev, small.fd, drop_to_nobody, NULL);
	report(r == -EPERM, "an unprivileged user holding %s open cannot register a file (%s)",
	       RB_KMOD_DEV, r ? strerrorname_np(-r) ?: "?" : "registered!");
	__u64 none = 0, net_admin = 1ull << CAP_NET_ADMIN, bpf = 1ull << CAP_BPF,
	      all_but = ~(net_admin | bpf);
	r = reg_as(dev, small.fd, keep_caps, &all_but);
	report(r == -EPERM, "root without CAP_NET_ADMIN and CAP_BPF (every other capability kept) "
	       "cannot register (%s)", r ? strerrorname_np(-r) ?: "?" : "registered!");
	r = reg_as(dev, small.fd, keep_caps, &none);
	report(r == -EPERM, "root without any capability cannot register (%s)",
	       r ? strerrorname_np(-r) ?: "?" : "registered!");
	r = reg_as(dev, small.fd, keep_caps, &net_admin);
	report(r == 0, "CAP_NET_ADMIN alone may register (%s)", r ? strerrorname_np(-r) ?: "?" : "ok");
	r = reg_as(dev, small.fd, keep_caps, &bpf);
	report(r == 0, "CAP_BPF alone may register (%s)", r ? strerrorname_np(-r) ?: "?" : "ok");
	int dirfd = open(DIR_FILES, O_RDONLY | O_DIRECTORY);
	int wfd = open(small.path, O_WRONLY);
	r = reg(dev, 12345, NULL);
	report(r == -EBADF, "registering a descriptor that is not open fails (%s)", strerrorname_np(-r) ?: "ok");
	r = reg(dev, dirfd, NULL);
	report(r == -EINVAL, "registering a directory fails (%s)", strerrorname_np(-r) ?: "ok");
	r = reg(dev, wfd, NULL);
	report(r == -EBADF, "registering a file open for writing only fails (%s)", strerrorname_np(-r) ?: "ok");
	r = reg(dev, dev, NULL);
	report(r == -EINVAL, "registering /dev/rackboot itself fails (%s)", strerrorname_np(-r) ?: "ok");
	close(dirfd);
	close(wfd);

	/* 3. the programs, and the files they read */
	t0 = now_s();
	struct bpf_object *obj = load_test_object(bpfobj, err, sizeof(err));
	report(obj != NULL, "%s loads: sched_cls and xdp programs calling the kfuncs (%.2fs)%s%s%s",
	       bpfobj, now_s() - t0, obj ? "" : ": ", obj ? "" : err, obj ? "" : libbpf_last);
	if (!obj)
		return 1;
	/* kt lives in the object's .bss map: mapped here (a skeleton would) */
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		const char *n = bpf_map__name(m);
		if (strlen(n) > 4 && !strcmp(n + strlen(n) - 4, ".bss") &&
		    bpf_map__value_size(m) >= sizeof(*io)) {
			void *p = mmap(NULL, bpf_map__value_size(m), PROT_READ | PROT_WRITE, MAP_SHARED,
				       bpf_map__fd(m), 0);
			io = p == MAP_FAILED ? NULL : p;
		}
	}
	prog_skb_read = bpf_program__fd(bpf_object__find_program_by_name(obj, "kt_skb_read"));
	prog_xdp_read = bpf_program__fd(bpf_object__find_program_by_name(obj, "kt_xdp_read"));
	prog_xdp_emit = bpf_program__fd(bpf_object__find_program_by_name(obj, "kt_xdp_emit"));
	if (!io || prog_skb_read < 0 || prog_xdp_read < 0 || prog_xdp_emit < 0) {
		report(false, "the test object has kt (.bss) and its three programs");
		return 1;
	}
	long ref1 = module_refcnt();
	report(ref1 == ref0 + 3, "each of the 3 loaded programs holds the module (refcnt %ld -> %ld)",
	       ref0, ref1);

	static const size_t sizes[] = { 0, 1, 7, 511, 512, 513, 1467, 1468, 1469, 4095, 4096,
					4097, 65536 + 3, (1 << 20) + 7 };
	enum { NF = sizeof(sizes) / sizeof(sizes[0]) };
	struct tfile files[NF];
	bool made = true;
	rnd_state = 42;
	for (int i = 0; i < NF; i++) {
		memset(&files[i], 0, sizeof(files[i]));
		struct rb_kmod_file rf = { 0 };
		made = made && make_file(&files[i], sizes[i]) && !reg(dev, files[i].fd, &rf) &&
		       rf.size == sizes[i] && rf.id != 0;
		files[i].id = rf.id;
	}
	report(made, "%d files of 0 B to %zu B registered, each with its own id and its size", NF,
	       sizes[NF - 1]);
	struct prog progs[] = {
		{ "sched_cls (bpf_rb_skb_read)", &prog_skb_read, FRAME_MAX },
		{ "xdp (bpf_rb_xdp_read)", &prog_xdp_read, 1514 },
	};
	for (int i = 0; i < 2; i++) {
		read_matrix(&progs[i], files, NF);
		read_errors(&progs[i], &files[NF - 1], 0x7ffffff0u);
		changing_file(dev, &progs[i]);
	}
	{       /* the largest frame a test run takes (it must fit a page with
		 * the skb's headroom and shared info): 3 pages' worth of bytes */
		struct run rr;
		char why[256];
		enum { BIG = 3500 };
		struct rb_kmod_read in = { .id = files[NF - 1].id, .file_off = 4096 - 100,
					   .pkt_off = 0, .len = BIG };
		run_read(prog_skb_read, BIG, &in, &rr);
		bool good = check_read("3500 bytes", &files[NF - 1], 4096 - 100, 0, BIG, BIG, &rr, why,
				       sizeof(why));
		report(good, "sched_cls: one read of %d bytes across two page boundaries%s%s", BIG,
		       good ? "" : ": ", good ? "" : why);
	}

	/* ids: only their owner unregisters them; closing the device drops them */
	int dev2 = open(RB_KMOD_DEV, O_RDWR | O_CLOEXEC);
	struct rb_kmod_file f2a = { 0 }, f2b = { 0 };
	bool good = dev2 >= 0 && !reg(dev2, files[3].fd, &f2a) && !reg(dev2, files[4].fd, &f2b);
	r = unreg(dev, f2a.id);
	report(good && r == -ENOENT, "a descriptor cannot unregister another's file (%s)",
	       r ? strerrorname_np(-r) ?: "?" : "unregistered!");
	struct run rr;
	struct rb_kmod_read in = { .id = f2b.id, .len = 8, .pkt_off = 0 };
	run_read(prog_skb_read, 64, &in, &rr);
	bool readable = rr.ret == 0;
	close(dev2);
	/* (the files' references go after an RCU grace period; the id at once) */
	run_read(prog_skb_read, 64, &in, &rr);
	report(readable && rr.ret == -ENOENT, "closing a /dev/rackboot descriptor drops the files it "
	       "registered (kfunc %d before, %d after)", readable ? 0 : -1, rr.ret);
	r = unreg(dev, files[0].id);
	in.id = files[0].id;
	run_read(prog_skb_read, 64, &in, &rr);
	report(!r && rr.ret == -ENOENT, "RB_IOC_UNREGISTER: the id reads no more (%d, kfunc %d); "
	       "again: %s", r, rr.ret, strerrorname_np(-unreg(dev, files[0].id)) ?: "ok");

	/* 4. XDP sends a window */
	xdp_emit();

	/* 5. while the module is loaded: what the caller wants run */
	if (argc > 4) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			execvp(argv[4], argv + 4);
			printf("not ok - exec %s: %s\n", argv[4], strerror(errno));
			_exit(127);
		}
		int ws = 0;
		waitpid(pid, &ws, 0);
		note("%s exited %d", argv[4], WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
	}

	/* 6. unloading */
	r = rmmod();
	report(r == -EBUSY || r == -EAGAIN, "rmmod is refused while programs using the kfuncs are loaded "
	       "(%s, refcnt %ld)", r ? strerrorname_np(-r) ?: "?" : "unloaded!", module_refcnt());
	if (!r)
		return 1;
	bpf_object__close(obj);
	io = NULL;
	/* the programs are freed after an RCU grace period, in a worker: the
	 * module's reference goes with them */
	double until = now_s() + 10;
	while (module_refcnt() > ref0 && now_s() < until)
		usleep(50000);
	r = rmmod();
	report(r == -EBUSY || r == -EAGAIN, "rmmod is refused while %s is open (%s, refcnt %ld)",
	       RB_KMOD_DEV, r ? strerrorname_np(-r) ?: "?" : "unloaded!", module_refcnt());
	if (!r)
		return 1;
	close(dev);
	for (int i = 0; i < NF; i++)
		close(files[i].fd);
	t0 = now_s();
	do {
		r = rmmod();
		if (r == -EBUSY || r == -EAGAIN)
			usleep(50000);
	} while ((r == -EBUSY || r == -EAGAIN) && now_s() < until + 10);
	report(!r, "rmmod succeeds once they are gone (%s, after %.2fs)", r ? strerror(-r) : "unloaded",
	       now_s() - t0);
	report(stat(RB_KMOD_DEV, &st) && stat(RB_KMOD_BTF, &st) && stat("/sys/module/rackboot", &st),
	       "%s, %s and /sys/module/rackboot are gone", RB_KMOD_DEV, RB_KMOD_BTF);
	libbpf_last[0] = 0;
	obj = load_test_object(bpfobj, err, sizeof(err));
	report(!obj, "without the module the programs calling its kfuncs do not load (%s)",
	       obj ? "loaded!" : libbpf_last[0] ? libbpf_last : err);
	if (obj)
		bpf_object__close(obj);
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
