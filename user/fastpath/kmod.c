/* See kmod.h. */
#include "fastpath/kmod.h"

#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rackboot_abi.h"

struct fp_kmod {
	int fd;
};

int fp_kmod_use_parse(const char *s, enum fp_kmod_use *out)
{
	static const struct { const char *n; enum fp_kmod_use u; } t[] = {
		{ "auto", FP_KMOD_AUTO }, { "require", FP_KMOD_REQUIRE }, { "forbid", FP_KMOD_FORBID },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n)) {
			*out = t[i].u;
			return 0;
		}
	return -1;
}

int fp_kmod_use_env(enum fp_kmod_use *out)
{
	const char *s = getenv("RACKBOOT_KMOD");
	*out = FP_KMOD_AUTO;
	return s && *s ? fp_kmod_use_parse(s, out) : 0;
}

bool fp_kmod_available(char *why, size_t whylen)
{
	static const char *const kfuncs[] = { "bpf_rb_skb_read", "bpf_rb_xdp_read", "bpf_rb_xdp_emit" };
	if (access(RB_KMOD_BTF, R_OK)) {
		snprintf(why, whylen, "rackboot.ko is not loaded (no %s)", RB_KMOD_BTF);
		return false;
	}
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct btf *mod = vmlinux ? btf__parse_split(RB_KMOD_BTF, vmlinux) : NULL;
	bool ok = mod != NULL;
	for (size_t i = 0; ok && i < sizeof(kfuncs) / sizeof(kfuncs[0]); i++)
		if (btf__find_by_name_kind(mod, kfuncs[i], BTF_KIND_FUNC) < 0) {
			snprintf(why, whylen, "rackboot.ko's BTF has no kfunc %s (another version?)",
				 kfuncs[i]);
			ok = false;
		}
	if (!mod)
		snprintf(why, whylen, "cannot read %s: %s", RB_KMOD_BTF, strerror(errno));
	btf__free(mod);
	btf__free(vmlinux);
	return ok;
}

struct fp_kmod *fp_kmod_open(char *err, size_t errlen)
{
	int fd = open(RB_KMOD_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", RB_KMOD_DEV, strerror(errno));
		return NULL;
	}
	int v = ioctl(fd, RB_IOC_VERSION);
	struct fp_kmod *k = v == RB_KMOD_ABI_VERSION ? calloc(1, sizeof(*k)) : NULL;
	if (!k) {
		snprintf(err, errlen, "%s: ABI version %d, this build speaks %d", RB_KMOD_DEV, v,
			 RB_KMOD_ABI_VERSION);
		close(fd);
		return NULL;
	}
	k->fd = fd;
	return k;
}

void fp_kmod_close(struct fp_kmod *k)
{
	if (!k)
		return;
	close(k->fd);                /* the module drops every file registered */
	free(k);
}

/* The /proc/self/map_files name of the mapping that holds `p`, if it maps
 * the file `st` names. */
static int mapping_of(const void *p, const struct stat *st, char *name, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	char line[512];
	int r = -ENOENT;
	uintptr_t a = (uintptr_t)p;
	while (fgets(line, sizeof(line), f)) {
		uintmax_t lo, hi, ino;
		unsigned maj, mnr;
		if (sscanf(line, "%jx-%jx %*s %*s %x:%x %ju", &lo, &hi, &maj, &mnr, &ino) != 5 ||
		    a < lo || a >= hi)
			continue;
		if (ino == (uintmax_t)st->st_ino && makedev(maj, mnr) == st->st_dev) {
			snprintf(name, len, "/proc/self/map_files/%jx-%jx", lo, hi);
			r = 0;
		}
		break;
	}
	fclose(f);
	return r;
}

int fp_kmod_register_mapped(struct fp_kmod *k, const void *data, uint64_t size,
			    const struct stat *st, uint32_t *id)
{
	*id = 0;
	if (size == 0)
		return 0;
	char name[96];
	int r = mapping_of(data, st, name, sizeof(name));
	if (r)
		return r;
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat now;
	struct rb_kmod_file rf = { .fd = fd };
	if (fstat(fd, &now) || now.st_ino != st->st_ino || now.st_dev != st->st_dev)
		r = -ESTALE;
	else if (ioctl(k->fd, RB_IOC_REGISTER, &rf))
		r = -errno;
	else
		*id = rf.id;
	close(fd);                   /* the module holds its own reference */
	return r;
}

int fp_kmod_unregister(struct fp_kmod *k, uint32_t id)
{
	if (!id)
		return 0;
	return ioctl(k->fd, RB_IOC_UNREGISTER, &id) ? -errno : 0;
}
