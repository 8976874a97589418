/* What the TFTP fast-path tests share (test_bpf_tftp.c, test_bpf_tftp_veth.c):
 * both production programs loaded from their skeletons with one instance of
 * every shared map (as the loader's pinning gives), in a network namespace
 * of the test's own; the counters and events; checksum arithmetic done the
 * test's own way. Include after <cmocka.h> and "table.h". */
#ifndef RACKBOOT_TEST_BPF_TFTP_H
#define RACKBOOT_TEST_BPF_TFTP_H

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath/tftp_hot.h"
#include "xdp.skel.h"
#include "tc.skel.h"


/* ------------------------------------------------------------------ */
/* The environment: both programs sharing one set of maps               */

enum prog { P_XDP, P_TC, P__N };
static const char *const prog_name[P__N] = { "xdp", "tc" };

enum verdict { V_END, V_PASS, V_DROP, V_TX };
static const char *const verdict_name[] = { "end", "PASS", "DROP", "TX" };

static struct {
	bool ok;
	struct rb_xdp *xdp;
	struct rb_tc *tc;
	int prog_fd[P__N];
	int files_fd, meta_fd, sessions_fd, counters_fd;
	struct ring_buffer *events;
	int ncpus;
} g;

static struct event_log {
	struct rb_ev_tftp ev[64];
	unsigned n;
} evlog;

static inline int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	if (len >= sizeof(struct rb_ev_tftp) && evlog.n < ARRAY_LEN(evlog.ev))
		memcpy(&evlog.ev[evlog.n++], data, sizeof(struct rb_ev_tftp));
	return 0;
}

static inline int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int r = -1;

	if (s < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return r;
}

/* Both programs loaded, in a network namespace of the test's own with lo
 * up; 0 also when not root (then g.ok stays false and tests skip). */
static inline int bpf_env_setup(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "# not root: BPF tests skipped\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) || lo_up()) {
		fprintf(stderr, "# unshare/lo: %s\n", strerror(errno));
		return -1;
	}
	g.xdp = rb_xdp__open_and_load();
	if (!g.xdp) {
		fprintf(stderr, "# loading xdp.bpf.o: %s\n", strerror(errno));
		return -1;
	}
	g.tc = rb_tc__open();
	if (!g.tc)
		return -1;
	/* one instance of every shared map, as the loader's pinning gives */
	struct bpf_map *tc_maps[] = { g.tc->maps.rb_tftp_sessions, g.tc->maps.rb_tftp_files,
				      g.tc->maps.rb_tftp_file_meta, g.tc->maps.rb_counters,
				      g.tc->maps.rb_events };
	struct bpf_map *xdp_maps[] = { g.xdp->maps.rb_tftp_sessions, g.xdp->maps.rb_tftp_files,
				       g.xdp->maps.rb_tftp_file_meta, g.xdp->maps.rb_counters,
				       g.xdp->maps.rb_events };
	for (size_t i = 0; i < ARRAY_LEN(tc_maps); i++)
		if (bpf_map__reuse_fd(tc_maps[i], bpf_map__fd(xdp_maps[i])))
			return -1;
	if (rb_tc__load(g.tc)) {
		fprintf(stderr, "# loading tc.bpf.o: %s\n", strerror(errno));
		return -1;
	}
	g.prog_fd[P_XDP] = bpf_program__fd(g.xdp->progs.rb_xdp);
	g.prog_fd[P_TC] = bpf_program__fd(g.tc->progs.rb_tc);
	g.files_fd = bpf_map__fd(g.xdp->maps.rb_tftp_files);
	g.meta_fd = bpf_map__fd(g.xdp->maps.rb_tftp_file_meta);
	g.sessions_fd = bpf_map__fd(g.xdp->maps.rb_tftp_sessions);
	g.counters_fd = bpf_map__fd(g.xdp->maps.rb_counters);
	g.events = ring_buffer__new(bpf_map__fd(g.xdp->maps.rb_events), on_event, NULL, NULL);
	g.ncpus = libbpf_num_possible_cpus();
	if (!g.events || g.ncpus <= 0)
		return -1;

	g.ok = true;
	return 0;
}

static inline void bpf_env_teardown(void)
{
	ring_buffer__free(g.events);
	rb_tc__destroy(g.tc);
	rb_xdp__destroy(g.xdp);
}

#define NEED_BPF()                  \
	do {                        \
		if (!g.ok)          \
			skip();     \
	} while (0)

static inline uint64_t counter(enum rb_counter c)
{
	uint64_t v[256] = { 0 };
	uint32_t k = c;
	uint64_t sum = 0;

	if (g.ncpus > 256 || bpf_map_lookup_elem(g.counters_fd, &k, v))
		return UINT64_MAX;
	for (int i = 0; i < g.ncpus; i++)
		sum += v[i];
	return sum;
}

/* ------------------------------------------------------------------ */
/* Checksums, summed the test's own way                                  */

static inline uint32_t sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The IP header and UDP checksums of a frame, summed anew: both must
 * come out as all ones (and the UDP one must not be "none"). */
static inline const char *bad_checksums(const uint8_t *f, size_t len)
{
	if (len < 42)
		return "short frame";
	const uint8_t *ip = f + 14, *udp = f + 34;
	size_t ulen = get16(udp + 4);
	if (fold(sum16(ip, 20)) != 0xffff)
		return "IP header checksum";
	if (34 + ulen > len || get16(ip + 2) != 20 + ulen)
		return "lengths";
	if (get16(udp + 6) == 0)
		return "UDP checksum missing";
	if (fold(sum16(ip + 12, 8) + 17 + (uint32_t)ulen + sum16(udp, ulen)) != 0xffff)
		return "UDP checksum";
	return NULL;
}

#endif
