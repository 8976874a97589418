/* See loader.h. libbpf does the loading; this file decides where maps are
 * pinned, whether pinned maps can be adopted, and where programs attach. */
#include "fastpath/loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fastpath/kmod.h"
#include "lib/log.h"
#include "tc.skel.h"
#include "xdp.skel.h"

#define BPF_FS_MAGIC_NUM 0xcafe4a11
#define DEFAULT_PIN_ROOT "/sys/fs/bpf/rackboot"
/* Our clsact filter: a fixed handle and priority, so a restarted daemon
 * replaces its predecessor's filter instead of stacking a second one. */
#define TC_HANDLE   0x5242
#define TC_PRIORITY 1

struct fastpath {
	struct rb_tc *tc;
	struct rb_xdp *xdp;          /* NULL: TC only */
	int ifindex;
	__u32 xdp_flags;             /* XDP_FLAGS_DRV_MODE or _SKB_MODE when attached */
	bool tc_attached, adopted;
	char mode[32];
	struct ring_buffer *events;
	fastpath_event_fn ev_fn;
	void *ev_arg;
	struct fp_kmod *kmod;        /* rackboot.ko: the variant of bpf/kmod/ is loaded */
};

/* libbpf's last warning, to say why a load failed in one line. */
static __thread char libbpf_last[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[sizeof(libbpf_last)];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n > 0) {
		while (n > 0 && (line[n - 1] == '\n' || (size_t)n >= sizeof(line)))
			line[--n] = 0;
		if (n > 0)
			memcpy(libbpf_last, line, (size_t)n + 1);
	}
	return 0;
}

int fp_attach_parse(const char *s, enum fp_attach *out)
{
	static const struct { const char *n; enum fp_attach a; } t[] = {
		{ "auto", FP_ATTACH_AUTO }, { "xdp", FP_ATTACH_XDP },
		{ "xdp-generic", FP_ATTACH_XDP_GENERIC }, { "tc", FP_ATTACH_TC },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n)) {
			*out = t[i].a;
			return 0;
		}
	return -1;
}

static int mkdir_p(const char *path)
{
	char buf[512];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0700) && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs s;
	return statfs(path, &s) == 0 && (unsigned long)s.f_type == BPF_FS_MAGIC_NUM;
}

/* The pin root must be on bpffs; under /sys/fs/bpf we mount it when it is
 * missing (after `ip netns exec`, which mounts a fresh sysfs). */
static int ensure_bpffs(const char *root, char *err, size_t errlen)
{
	if (!strncmp(root, "/sys/fs/bpf", 11) && !is_bpffs("/sys/fs/bpf")) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			snprintf(err, errlen, "cannot mount bpffs on /sys/fs/bpf: %s", strerror(errno));
			return -1;
		}
	}
	int r = mkdir_p(root);
	if (r) {
		snprintf(err, errlen, "cannot create %s: %s", root, strerror(-r));
		return -1;
	}
	if (!is_bpffs(root)) {
		snprintf(err, errlen, "%s is not on a BPF filesystem", root);
		return -1;
	}
	return 0;
}

static bool driver_is(const char *ifname, const char *driver)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool r = ioctl(fd, SIOCETHTOOL, &ifr) == 0 && !strcmp(info.driver, driver);
	close(fd);
	return r;
}

/* A pinned map can be adopted only if it is what this build would create;
 * one from an incompatible version is unpinned (and logged by the caller
 * through `replaced`) so a fresh one takes its place. */
static int check_pin(struct bpf_map *m, const char *path, bool *adopted, int *replaced)
{
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	int r = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (r)
		return -errno;
	if (info.type == bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	    info.value_size == bpf_map__value_size(m) &&
	    info.max_entries == bpf_map__max_entries(m) &&
	    info.map_flags == bpf_map__map_flags(m)) {
		*adopted = true;
		return 0;
	}
	if (unlink(path))
		return -errno;
	(*replaced)++;
	return 0;
}

static int set_pins(struct bpf_object *obj, const char *dir, bool *adopted, int *replaced,
		    char *err, size_t errlen)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;            /* .rodata, .bss: per object */
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(m));
		int r = check_pin(m, path, adopted, replaced);
		if (!r)
			r = bpf_map__set_pin_path(m, path);
		if (r) {
			snprintf(err, errlen, "map %s: %s", path, strerror(-r));
			return -1;
		}
	}
	return 0;
}

static int attach_tc(struct fastpath *fp, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = fp->ifindex, .attach_point = BPF_TC_INGRESS);
	int r = bpf_tc_hook_create(&hook);
	if (r && r != -EEXIST) {
		snprintf(err, errlen, "clsact on ifindex %d: %s", fp->ifindex, strerror(-r));
		return -1;
	}
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY,
		    .prog_fd = bpf_program__fd(fp->tc->progs.rb_tc), .flags = BPF_TC_F_REPLACE);
	r = bpf_tc_attach(&hook, &opts);
	if (r) {
		snprintf(err, errlen, "TC ingress attach: %s", strerror(-r));
		return -1;
	}
	fp->tc_attached = true;
	return 0;
}

static void detach_tc(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);
	bpf_tc_detach(&hook, &opts);
}

static int attach_xdp(struct fastpath *fp, __u32 flags, char *err, size_t errlen)
{
	int r = bpf_xdp_attach(fp->ifindex, bpf_program__fd(fp->xdp->progs.rb_xdp), flags, NULL);
	if (r) {
		snprintf(err, errlen, "XDP (%s) attach: %s",
			 flags & XDP_FLAGS_DRV_MODE ? "native" : "generic", strerror(-r));
		return -1;
	}
	fp->xdp_flags = flags;
	return 0;
}

/* Load the TC object, and the XDP one unless attaching TC only; both pin
 * (or adopt) their maps in `dir`, so they share them. */
static int load(struct fastpath *fp, const char *dir, bool want_xdp, char *err, size_t errlen)
{
	int replaced = 0;
	fp->tc = fp->kmod ? fp_kmod_tc_open() : rb_tc__open();
	if (!fp->tc) {
		snprintf(err, errlen, "cannot open the TC program: %s", strerror(errno));
		return -1;
	}
	if (set_pins(fp->tc->obj, dir, &fp->adopted, &replaced, err, errlen))
		return -1;
	int r = rb_tc__load(fp->tc);
	if (r) {
		snprintf(err, errlen, "cannot load the TC program: %s (%s)", strerror(-r),
			 libbpf_last);
		return -1;
	}
	if (!want_xdp)
		return 0;
	fp->xdp = fp->kmod ? fp_kmod_xdp_open() : rb_xdp__open();
	if (!fp->xdp) {
		snprintf(err, errlen, "cannot open the XDP program: %s", strerror(errno));
		return -1;
	}
	bool dummy = false;
	if (set_pins(fp->xdp->obj, dir, &dummy, &replaced, err, errlen))
		return -1;
	r = rb_xdp__load(fp->xdp);
	if (r) {
		snprintf(err, errlen, "cannot load the XDP program: %s (%s)", strerror(-r),
			 libbpf_last);
		return -1;
	}
	return 0;
}

struct fastpath *fastpath_open(const struct fastpath_opts *o, char *err, size_t errlen)
{
	libbpf_set_print(libbpf_print);
	libbpf_last[0] = 0;
	const char *root = o->pin_root ? o->pin_root : DEFAULT_PIN_ROOT;
	struct fastpath *fp = calloc(1, sizeof(*fp));
	if (!fp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fp->ifindex = (int)if_nametoindex(o->ifname);
	if (!fp->ifindex) {
		snprintf(err, errlen, "interface %s: %s", o->ifname, strerror(errno));
		goto fail;
	}
	char dir[512];
	if (snprintf(dir, sizeof(dir), "%s/%s", root, o->ifname) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "pin path too long");
		goto fail;
	}
	if (ensure_bpffs(dir, err, errlen))
		goto fail;

	enum fp_attach a = o->attach;
	if (a == FP_ATTACH_AUTO && driver_is(o->ifname, "veth"))
		a = FP_ATTACH_TC;
	/* ---- rackboot.ko (kmod.h): its variant, when it is there and wanted */
	enum fp_kmod_use use = (enum fp_kmod_use)(o->kmod - 1);
	if (o->kmod <= 0 && fp_kmod_use_env(&use)) {
		snprintf(err, errlen, "RACKBOOT_KMOD=%s: expected auto, require or forbid",
			 getenv("RACKBOOT_KMOD"));
		goto fail;
	}
	char why[256] = "RACKBOOT_KMOD=forbid";
	if (use != FP_KMOD_FORBID && fp_kmod_available(why, sizeof(why)))
		fp->kmod = fp_kmod_open(why, sizeof(why));
	if (fp->kmod && load(fp, dir, a != FP_ATTACH_TC, why, sizeof(why))) {
		rb_tc__destroy(fp->tc);
		rb_xdp__destroy(fp->xdp);
		fp->tc = NULL;
		fp->xdp = NULL;
		fp_kmod_close(fp->kmod);
		fp->kmod = NULL;
	}
	if (!fp->kmod && use == FP_KMOD_REQUIRE) {
		snprintf(err, errlen, "rackboot.ko required (RACKBOOT_KMOD=require): %s", why);
		goto fail;
	}
	if (fp->kmod)
		log_msg(LOG_NOTICE, "rackboot.ko on %s: TFTP blocks of any file from the page "
			"cache, XDP sends windows", o->ifname);
	else
		log_msg(LOG_NOTICE, "rackboot.ko not used on %s (%s): hot files are copied "
			"into BPF maps", o->ifname, why);
	/* ---- */
	if (!fp->tc && load(fp, dir, a != FP_ATTACH_TC, err, errlen))
		goto fail;
	if (attach_tc(fp, err, errlen))
		goto fail;
	if (a == FP_ATTACH_TC) {
		snprintf(fp->mode, sizeof(fp->mode), "tc");
	} else {
		char e1[256];
		if (a != FP_ATTACH_XDP_GENERIC &&
		    !attach_xdp(fp, XDP_FLAGS_DRV_MODE, e1, sizeof(e1))) {
			snprintf(fp->mode, sizeof(fp->mode), "xdp-native+tc");
		} else if (a == FP_ATTACH_XDP) {
			snprintf(err, errlen, "%s", e1);
			goto fail;
		} else if (!attach_xdp(fp, XDP_FLAGS_SKB_MODE, err, errlen)) {
			snprintf(fp->mode, sizeof(fp->mode), "xdp-generic+tc");
		} else {
			goto fail;
		}
	}
	return fp;
fail:
	fastpath_close(fp, false);
	return NULL;
}

const char *fastpath_mode(const struct fastpath *fp) { return fp->mode; }
bool fastpath_adopted(const struct fastpath *fp) { return fp->adopted; }
int fastpath_ifindex(const struct fastpath *fp) { return fp->ifindex; }
struct fp_kmod *fastpath_kmod(const struct fastpath *fp) { return fp->kmod; }

int fastpath_map_fd(const struct fastpath *fp, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(fp->tc->obj, name);
	return m ? bpf_map__fd(m) : -1;
}

void fastpath_counters(const struct fastpath *fp, uint64_t out[RB_CNT__N])
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(fp->tc->maps.rb_counters);
	memset(out, 0, sizeof(uint64_t) * RB_CNT__N);
	if (ncpu <= 0 || fd < 0)
		return;
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (__u32 k = 0; k < RB_CNT__N; k++)
		if (!bpf_map_lookup_elem(fd, &k, v))
			for (int c = 0; c < ncpu; c++)
				out[k] += v[c];
	free(v);
}

static int on_ring(void *ctx, void *data, size_t len)
{
	struct fastpath *fp = ctx;
	if (len >= sizeof(struct rb_event_hdr) && fp->ev_fn)
		fp->ev_fn(fp->ev_arg, data, len);
	return 0;
}

int fastpath_set_event_handler(struct fastpath *fp, fastpath_event_fn fn, void *arg)
{
	fp->ev_fn = fn;
	fp->ev_arg = arg;
	if (fp->events)
		return 0;
	fp->events = ring_buffer__new(bpf_map__fd(fp->tc->maps.rb_events), on_ring, fp, NULL);
	return fp->events ? 0 : -errno;
}

int fastpath_events_fd(const struct fastpath *fp)
{
	return fp->events ? ring_buffer__epoll_fd(fp->events) : -1;
}

int fastpath_poll_events(struct fastpath *fp, int timeout_ms)
{
	if (!fp->events)
		return -EINVAL;
	return timeout_ms ? ring_buffer__poll(fp->events, timeout_ms)
			  : ring_buffer__consume(fp->events);
}

void fastpath_close(struct fastpath *fp, bool keep_attached)
{
	if (!fp)
		return;
	if (!keep_attached) {
		if (fp->xdp_flags)
			bpf_xdp_detach(fp->ifindex, fp->xdp_flags, NULL);
		if (fp->tc_attached)
			detach_tc(fp->ifindex);
	}
	ring_buffer__free(fp->events);
	rb_xdp__destroy(fp->xdp);
	rb_tc__destroy(fp->tc);
	fp_kmod_close(fp->kmod);     /* after the programs: their files go with it */
	free(fp);
}

int fastpath_remove(const char *ifname, const char *pin_root, char *err, size_t errlen)
{
	int ifindex = (int)if_nametoindex(ifname);
	if (ifindex) {
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
		detach_tc(ifindex);
	}
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", pin_root ? pin_root : DEFAULT_PIN_ROOT, ifname);
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && unlinkat(dirfd(d), e->d_name, 0) && !r) {
			r = -errno;
			snprintf(err, errlen, "%s/%s: %s", dir, e->d_name, strerror(errno));
		}
	closedir(d);
	if (!r && rmdir(dir)) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
	}
	return r;
}
