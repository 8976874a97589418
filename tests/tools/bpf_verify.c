/* bpf_verify: does the running kernel's verifier accept every program of
 * the BPF objects given? One TAP line per program:
 *
 *   ok - tc.bpf.o/rb_tc loads on 6.1.0-57-amd64 (sched_cls: 412 insns, 2330 processed by the verifier)
 *     # verification time 1480 usec / stack depth 56 / processed 2330 insns (limit 1000000) ...
 *   not ok - xdp.bpf.o/rb_xdp loads on 6.1.0-57-amd64 (xdp: Permission denied: R3 invalid mem access 'scalar')
 *     # libbpf: prog 'rb_xdp': BPF program load failed: Permission denied
 *     # <the last lines of the verifier log>
 *
 * Each program is loaded alone (the others of its object not loaded), with
 * libbpf doing the CO-RE relocations against the kernel's own BTF
 * (/sys/kernel/btf/vmlinux), then closed: nothing is attached and no map is
 * pinned (pin paths are cleared), so it is safe on a host where rackbootd
 * runs. "insns" is what the kernel kept (bpf_prog_info.xlated_prog_len / 8),
 * "processed" the verifier's work (bpf_prog_info.verified_insns, 5.16+, or
 * the "processed N insns" line of its statistics), which the 1,000,000 limit
 * applies to.
 *
 * A load first asks only for the verifier's statistics (log level 4: cheap
 * on success); a failed one is loaded again with the full log (level 1).
 * Before 6.4 the kernel keeps the head of a log that does not fit and fails
 * with ENOSPC, so there the buffer doubles until the log fits (up to
 * LOG_MAX); from 6.4 on it keeps the tail, which is all that is printed.
 *
 * Linked static (Makefile: build/tools/bpf_verify) so that it runs in the
 * busybox initramfs of tests/e2e/bpf_verifier.sh, on Debian 12's kernel.
 * Exit status: 0 if every program loaded, 1 otherwise, 2 on bad usage.
 * -v: libbpf's debug output to stderr. */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define LOG_STATS    4                   /* BPF_LOG_STATS */
#define LOG_LEVEL1   1
#define STATS_SIZE   (64u << 10)
#ifndef LOG_START                       /* -DLOG_START=4096 tests the growth */
#define LOG_START    (16u << 20)
#endif
#define LOG_MAX      (256u << 20)   /* the guest has 512 MiB */
#define TAIL_LINES   40
#define LIBBPF_LINES 12

static bool verbose;
static char release[65];
static bool log_keeps_head;             /* kernel before 6.4 */

/* An error of libbpf (-errno or one of its own, LIBBPF_ERRNO__*) in words. */
static const char *errstr(int err)
{
	static char buf[128];
	if (libbpf_strerror(err, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "error %d", err);
	return buf;
}

/* libbpf's warnings of the current load, for a failure's report. */
static char *libbpf_msgs;
static size_t libbpf_len, libbpf_cap;

static int on_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG) {
		if (verbose)
			vfprintf(stderr, fmt, ap);
		return 0;
	}
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n <= 0)
		return 0;
	if (libbpf_len + (size_t)n + 1 > libbpf_cap) {
		size_t cap = (libbpf_len + (size_t)n + 1) * 2;
		char *p = realloc(libbpf_msgs, cap);
		if (!p)
			return 0;
		libbpf_msgs = p;
		libbpf_cap = cap;
	}
	vsnprintf(libbpf_msgs + libbpf_len, (size_t)n + 1, fmt, ap);
	libbpf_len += (size_t)n;
	return 0;
}

/* The last `max` non-empty lines of text, each as "  # <prefix>line". */
static void print_tail(const char *prefix, const char *text, int max)
{
	if (!text)
		return;
	int total = 0;
	for (const char *l = text, *e; *l; l = *e ? e + 1 : e) {
		e = strchrnul(l, '\n');
		total += e > l;
	}
	int skip = total > max ? total - max : 0;
	for (const char *l = text, *e; *l; l = *e ? e + 1 : e) {
		e = strchrnul(l, '\n');
		if (e == l)
			continue;
		if (skip > 0)
			skip--;
		else
			printf("  # %s%.*s\n", prefix, (int)(e - l), l);
	}
}

/* The verifier's reason: the last non-empty line of its log that is not
 * one of the statistics it appends ("processed N insns ..."). */
static void last_line(const char *text, char *out, size_t outlen)
{
	out[0] = 0;
	for (const char *l = text, *e; l && *l; l = *e ? e + 1 : e) {
		e = strchrnul(l, '\n');
		if (e > l && strncmp(l, "processed ", 10) && strncmp(l, "verification time ", 18) &&
		    strncmp(l, "stack depth ", 12))
			snprintf(out, outlen, "%.*s", (int)(e - l), l);
	}
}

/* The first line of text starting with `key`, into out (no newline). */
static bool find_line(const char *text, const char *key, char *out, size_t outlen)
{
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		if (!strncmp(l, key, strlen(key))) {
			snprintf(out, outlen, "%.*s", (int)len, l);
			return true;
		}
		l = e ? e + 1 : l + len;
	}
	return false;
}

struct result {
	int err;                       /* 0: loaded; else -errno */
	char type[32];
	__u32 xlated, verified;
};

/* Open `path` anew and load only program `name` with the verifier log at
 * `level` into buf. */
static void load_one(const char *path, const char *name, __u32 level, char *buf, size_t size,
		     struct result *r)
{
	memset(r, 0, sizeof(*r));
	libbpf_len = 0;
	if (libbpf_msgs)
		libbpf_msgs[0] = 0;
	buf[0] = 0;
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		r->err = -errno;
		return;
	}
	struct bpf_program *p, *target = NULL;
	bpf_object__for_each_program(p, obj) {
		bool me = !strcmp(bpf_program__name(p), name);
		bpf_program__set_autoload(p, me);
		if (me)
			target = p;
	}
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);     /* never touch bpffs */
	if (!target) {
		r->err = -ENOENT;
		goto out;
	}
	snprintf(r->type, sizeof(r->type), "%s",
		 libbpf_bpf_prog_type_str(bpf_program__type(target)) ?: "unknown");
	bpf_program__set_log_level(target, level);
	bpf_program__set_log_buf(target, buf, size);
	r->err = bpf_object__load(obj);
	if (r->err)
		goto out;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(target), &info, &len)) {
		r->xlated = info.xlated_prog_len / 8;
		/* verified_insns exists since 5.16: only if the kernel filled it */
		if (len >= offsetof(struct bpf_prog_info, verified_insns) + sizeof(info.verified_insns))
			r->verified = info.verified_insns;
	}
out:
	bpf_object__close(obj);
}

static int verify(const char *path, const char *obj_name, const char *name)
{
	static char stats[STATS_SIZE];
	struct result r;
	load_one(path, name, LOG_STATS, stats, sizeof(stats), &r);
	if (!r.err) {
		unsigned processed = r.verified;
		char line[256];
		if (!processed && find_line(stats, "processed ", line, sizeof(line)))
			sscanf(line, "processed %u", &processed);
		printf("ok - %s/%s loads on %s (%s: %u insns, %u processed by the verifier)\n",
		       obj_name, name, release, r.type, r.xlated, processed);
		/* the statistics, one line: how close to the limits it runs */
		char sum[1024] = "", *s = sum;
		for (const char *l = stats; *l;) {
			const char *e = strchr(l, '\n');
			size_t n = e ? (size_t)(e - l) : strlen(l);
			if (n && s + n + 4 < sum + sizeof(sum))
				s += sprintf(s, "%s%.*s", s == sum ? "" : " / ", (int)n, l);
			l += n + (e ? 1 : 0);
		}
		if (sum[0])
			printf("  # %s\n", sum);
		return 0;
	}

	/* Again with the whole log, in a buffer large enough to hold it. */
	char *log = NULL;
	int first_err = r.err;
	for (size_t size = LOG_START; size <= LOG_MAX; size *= 2) {
		char *bigger = malloc(size);
		if (!bigger) {       /* report what the last one held */
			fprintf(stderr, "bpf_verify: no memory for a %zu MiB log\n", size >> 20);
			break;
		}
		free(log);
		log = bigger;
		load_one(path, name, LOG_LEVEL1, log, size, &r);
		if (r.err != -ENOSPC || !log_keeps_head)
			break;
	}
	if (!r.err) {   /* should not happen: the verifier is deterministic */
		printf("not ok - %s/%s loads on %s (%s: failed with %s, then loaded with the full log)\n",
		       obj_name, name, release, r.type, errstr(first_err));
		free(log);
		return 1;
	}
	char why[200];
	last_line(log, why, sizeof(why));
	if (!why[0])
		last_line(libbpf_msgs, why, sizeof(why));
	printf("not ok - %s/%s loads on %s (%s: %s: %s)\n", obj_name, name, release,
	       r.type[0] ? r.type : "?", errstr(r.err), why);
	print_tail("", libbpf_msgs, LIBBPF_LINES);
	if (log && log[0]) {
		printf("  # --- the last %d lines of the verifier log%s ---\n", TAIL_LINES,
		       r.err == -ENOSPC && log_keeps_head ? " (it did not fit: the end of its head)" : "");
		print_tail("", log, TAIL_LINES);
	}
	free(log);
	return 1;
}

static int verify_object(const char *path)
{
	const char *obj_name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	libbpf_len = 0;
	if (libbpf_msgs)
		libbpf_msgs[0] = 0;
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		printf("not ok - %s opens (%s)\n", obj_name, errstr(-errno));
		print_tail("", libbpf_msgs, LIBBPF_LINES);
		return 1;
	}
	/* the names first: every load below reopens the file */
	size_t n = 0;
	char (*names)[128] = NULL;
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj) {
		void *q = realloc(names, (n + 1) * sizeof(*names));
		if (!q)
			break;
		names = q;
		snprintf(names[n++], sizeof(*names), "%s", bpf_program__name(p));
	}
	bpf_object__close(obj);
	if (!n) {
		printf("not ok - %s holds at least one program\n", obj_name);
		return 1;
	}
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		failed += verify(path, obj_name, names[i]);
		fflush(stdout);
	}
	free(names);
	return failed;
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "v")) != -1) {
		if (opt == 'v')
			verbose = true;
		else
			goto usage;
	}
	if (optind >= argc)
		goto usage;
	struct utsname u;
	snprintf(release, sizeof(release), "%s", uname(&u) ? "unknown-kernel" : u.release);
	unsigned major = 0, minor = 0;
	sscanf(release, "%u.%u", &major, &minor);
	log_keeps_head = major < 6 || (major == 6 && minor < 4);
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(on_libbpf);
	int failed = 0;
	for (int i = optind; i < argc; i++)
		failed += verify_object(argv[i]);
	free(libbpf_msgs);
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: %s [-v] OBJECT.bpf.o...\n", argv[0]);
	return 2;
}
