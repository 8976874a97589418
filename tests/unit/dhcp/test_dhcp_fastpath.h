/* What the DHCP fast-path tests share (test_dhcp_fastpath_diff.c,
 * test_dhcp_fastpath_wire.c): both production programs loaded from their
 * skeletons with one instance of every map, as the loader's pinning
 * makes them; requests as each kind of firmware sends them, as DHCP
 * payloads and as Ethernet frames; checksum arithmetic done the test's
 * own way. Include after <cmocka.h> and "table.h". */
#ifndef RACKBOOT_TEST_DHCP_FASTPATH_H
#define RACKBOOT_TEST_DHCP_FASTPATH_H

#define MAYBE_UNUSED __attribute__((unused))

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath_abi.h"
#include "core/config.h"
#include "lib/log.h"
#include "proto/dhcp_proto.h"
#include "dhcp/dhcp_fastpath.h"
#include "dhcp/dhcp_server.h"
#include "dhcp/lease_store.h"
#include "xdp.skel.h"
#include "tc.skel.h"

#define SRV       "10.1.0.1"
#define XDP_PASS_ 2
#define XDP_TX_   3
#define TC_OK_    0
#define TC_REDIR_ 7

static const uint8_t MAYBE_UNUSED srv_mac[6] = { 0x02, 0x5e, 0x00, 0x00, 0x00, 0x01 };

/* ------------------------------------------------------------------ */
/* Both programs, sharing every map                                     */

enum prog { P_XDP, P_TC, P__N };
static const char *const MAYBE_UNUSED prog_name[P__N] = { "xdp", "tc" };

static struct {
	bool ok;
	struct rb_xdp *xdp;
	struct rb_tc *tc;
	int prog_fd[P__N];
	struct ring_buffer *events;
} g;

static inline int map_fd(const void *arg, const char *name)
{
	(void)arg;
	return bpf_object__find_map_fd_by_name(g.tc->obj, name);
}

static inline int env_setup(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "# not root: BPF tests skipped\n");
		return 0;
	}
	g.tc = rb_tc__open_and_load();
	g.xdp = rb_xdp__open();
	if (!g.tc || !g.xdp)
		return -1;
	struct bpf_map *m;
	bpf_object__for_each_map(m, g.xdp->obj) {
		int fd = bpf_object__find_map_fd_by_name(g.tc->obj, bpf_map__name(m));
		if (fd >= 0 && bpf_map__reuse_fd(m, fd))
			return -1;
	}
	if (rb_xdp__load(g.xdp))
		return -1;
	g.prog_fd[P_XDP] = bpf_program__fd(g.xdp->progs.rb_xdp);
	g.prog_fd[P_TC] = bpf_program__fd(g.tc->progs.rb_tc);
	g.ok = true;
	return 0;
}

#define NEED_BPF()          \
	do {                \
		if (!g.ok)  \
			skip(); \
	} while (0)

/* Run one program over a frame: its verdict, the frame it leaves. */
static inline int run(enum prog p, const uint8_t *in, size_t len, uint8_t *out, uint32_t *outlen)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = 2048, .repeat = 1);
	if (bpf_prog_test_run_opts(g.prog_fd[p], &o))
		return -1;
	*outlen = o.data_size_out;
	return (int)o.retval;
}

/* A configuration: `text` written to DIR/rackbootd.conf and loaded. */
static inline struct rb_config *config_from(const char *dir, const char *text)
{
	char path[128], err[512];
	snprintf(path, sizeof(path), "%s/rackbootd.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	struct rb_config *c = calloc(1, sizeof(*c));
	rb_config_init(c);
	if (rb_config_load(c, path, err, sizeof(err)) || rb_config_check(c, err, sizeof(err)))
		fail_msg("config: %s", err);
	return c;
}

/* ------------------------------------------------------------------ */
/* The fast path of a server, as the daemon sets it up                  */

static struct dhcp_fastpath *fp;

static inline int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	return dhcp_fastpath_event(fp, data, len) < 0 ? -1 : 0;
}

/* Fill the maps for server s; its events are read from g.events. */
static inline void fp_start(struct dhcp_server *s, const struct dhcp_fastpath_opts *o)
{
	char err[256];
	fp = dhcp_fastpath_new(s, map_fd, NULL, o, err, sizeof(err));
	if (!fp)
		fail_msg("dhcp_fastpath_new: %s", err);
	dhcp_server_set_fastpath(s, fp);
	g.events = ring_buffer__new(bpf_map__fd(g.tc->maps.rb_events), on_event, NULL, NULL);
	assert_non_null(g.events);
}

/* Undo fp_start(), and leave no client entry or stock for the next test. */
static inline void fp_stop(struct dhcp_server *s)
{
	int fd = bpf_map__fd(g.tc->maps.rb_dhcp_clients);
	struct rb_dhcp_client_key k;
	uint32_t v;

	ring_buffer__consume(g.events);
	ring_buffer__free(g.events);
	g.events = NULL;
	dhcp_server_set_fastpath(s, NULL);
	dhcp_fastpath_free(fp);
	fp = NULL;
	while (!bpf_map_get_next_key(fd, NULL, &k))
		bpf_map_delete_elem(fd, &k);
	while (!bpf_map_lookup_and_delete_elem(bpf_map__fd(g.tc->maps.rb_dhcp_stock), NULL, &v))
		;
}

/* ------------------------------------------------------------------ */
/* Requests as firmware sends them                                      */

/* One option; data NULL: filled in per client (len CID: 61 = type 1 +
 * MAC; len UUID: 97 = type 0 + a UUID from the MAC). */
struct opt { uint8_t code; const char *data; int len; };
#define O(c, lit) { c, lit, (int)sizeof(lit) - 1 }
#define CID  -1
#define UUID -2
#define O_CID { 61, NULL, CID }
#define O_UUID { 97, NULL, UUID }
#define DISC O(53, "\x01")
#define REQ O(53, "\x03")

/* parameter request lists, as captured from the firmware (see
 * user/storm/storm_dhcp.c) */
#define PRL_BIOS O(55, "\x01\x02\x03\x04\x05\x06\x0b\x0c\x0d\x0f\x10\x11\x12\x16\x17\x1c\x28\x29" \
		       "\x2a\x2b\x32\x33\x36\x3a\x3b\x3c\x42\x43\x80\x81\x82\x83\x84\x85\x86\x87")
#define PRL_UEFI O(55, "\x01\x02\x03\x04\x05\x06\x0c\x0d\x0f\x11\x12\x16\x17\x1c\x28\x29\x2a\x2b" \
		       "\x32\x33\x36\x3a\x3b\x3c\x42\x43\x61\x80\x81\x82\x83\x84\x85\x86\x87")
#define PRL_IPXE O(55, "\x01\x03\x06\x07\x0c\x0f\x11\x1a\x2b\x3c\x42\x43\x77\x80\x81\x82\x83\x84" \
		       "\x85\x86\x87\xaf\xcb")
#define IPXE_175 O(175, "\xb1\x05\x01\x80\x86\x10\x0e\xeb\x03\x01\x15\x01\x13\x01\x01\x17\x01\x01" \
			"\x15\x01\x01\x10\x01\x02")

/* SeaBIOS with the iPXE NIC ROM: iPXE 1.21 in a BIOS */
static const struct opt MAYBE_UNUSED seabios_ipxe[] = {
	DISC, O(57, "\x05\xc0"), O_CID, PRL_IPXE, O(93, "\x00\x00"), O(94, "\x01\x02\x01"),
	O(60, "PXEClient:Arch:00000:UNDI:002001"), O_UUID, O(77, "iPXE"), IPXE_175,
};
/* the same without a UUID (QEMU without -uuid) */
static const struct opt MAYBE_UNUSED seabios_ipxe_nouuid[] = {
	DISC, O(57, "\x05\xc0"), O_CID, PRL_IPXE, O(93, "\x00\x00"), O(94, "\x01\x02\x01"),
	O(60, "PXEClient:Arch:00000:UNDI:002001"), O(77, "iPXE"), IPXE_175,
};
/* an Intel PXE 2.1 BIOS ROM */
static const struct opt MAYBE_UNUSED intel_bios[] = {
	DISC, O(57, "\x04\xec"), PRL_BIOS, O(93, "\x00\x00"), O(94, "\x01\x02\x01"),
	O(60, "PXEClient:Arch:00000:UNDI:002001"), O_UUID,
};
/* EDK2 (OVMF) PXE, x64: arch 7 */
static const struct opt MAYBE_UNUSED edk2_x64[] = {
	DISC, O(57, "\x05\xc0"), PRL_UEFI, O(93, "\x00\x07"), O(94, "\x01\x03\x10"),
	O(60, "PXEClient:Arch:00007:UNDI:003016"), O_UUID,
};
/* ... as some firmware says it: arch 9, no maximum size */
static const struct opt MAYBE_UNUSED efi9[] = {
	DISC, PRL_UEFI, O(93, "\x00\x09"), O(94, "\x01\x03\x10"),
	O(60, "PXEClient:Arch:00009:UNDI:003016"), O_UUID,
};
/* EDK2 UEFI HTTP boot, x64: arch 16, HTTPClient */
static const struct opt MAYBE_UNUSED edk2_http[] = {
	DISC, O(57, "\x05\xc0"), PRL_UEFI, O(93, "\x00\x10"), O(94, "\x01\x03\x01"),
	O(60, "HTTPClient:Arch:00016:UNDI:003001"), O_UUID,
};
/* EDK2 on arm64: PXE (11) and HTTP (19) */
static const struct opt MAYBE_UNUSED edk2_arm64[] = {
	DISC, O(57, "\x05\xc0"), PRL_UEFI, O(93, "\x00\x0b"), O(94, "\x01\x03\x10"),
	O(60, "PXEClient:Arch:00011:UNDI:003016"), O_UUID,
};
static const struct opt MAYBE_UNUSED edk2_arm64_http[] = {
	DISC, O(57, "\x05\xc0"), PRL_UEFI, O(93, "\x00\x13"), O(94, "\x01\x03\x01"),
	O(60, "HTTPClient:Arch:00019:UNDI:003001"), O_UUID,
};
/* iPXE (ipxe.efi) that says so only with option 175 */
static const struct opt MAYBE_UNUSED ipxe_efi_175[] = {
	DISC, O(57, "\x05\xc0"), O_CID, PRL_IPXE, O(93, "\x00\x07"), O(94, "\x01\x03\x0a"),
	O(60, "PXEClient:Arch:00007:UNDI:003010"), O_UUID, IPXE_175,
};
/* iPXE with an RFC 3004 user class and a host name */
static const struct opt MAYBE_UNUSED ipxe_rfc3004[] = {
	DISC, O(57, "\x05\xc0"), O_CID, O(12, "node9"), O(93, "\x00\x00"),
	O(60, "PXEClient:Arch:00000:UNDI:002001"), O(77, "\x04gPXE\x04iPXE"), O_UUID,
};
/* busybox udhcpc and dhclient: no network boot */
static const struct opt MAYBE_UNUSED udhcpc[] = {
	DISC, O_CID, O(57, "\x02\x40"), O(60, "udhcp 1.35.0"), O(12, "box"),
	O(55, "\x01\x03\x06\x0c\x0f\x1c\x2a\x33\x36\x3a\x3b"),
};
static const struct opt MAYBE_UNUSED dhclient[] = {
	DISC, O(12, "deb"), O(55, "\x01\x1c\x02\x03\x0f\x06\x77\x0c\x2c\x2f\x1a\x79\x2a"),
};
/* EDK2's request to the boot server (port 4011) after a proxy offer */
static const struct opt MAYBE_UNUSED edk2_binl[] = {
	REQ, O(57, "\x05\xc0"), PRL_UEFI, O(93, "\x00\x07"), O(94, "\x01\x03\x10"),
	O(60, "PXEClient:Arch:00007:UNDI:003016"), O_UUID,
};
static const struct opt MAYBE_UNUSED ipxe_binl[] = {
	REQ, O(57, "\x05\xc0"), O_CID, PRL_IPXE, O(93, "\x00\x00"), O(94, "\x01\x02\x01"),
	O(60, "PXEClient:Arch:00000:UNDI:002001"), O_UUID, O(77, "iPXE"), IPXE_175,
};
static const struct opt MAYBE_UNUSED http_binl[] = {
	REQ, O(57, "\x05\xc0"), PRL_UEFI, O(93, "\x00\x10"),
	O(60, "HTTPClient:Arch:00016:UNDI:003001"), O_UUID,
};

#define FW(a) a, ARRAY_LEN(a)

struct req {
	const struct opt *opts;
	size_t nopts;
	unsigned client;              /* MAC 02:00:00:00:HI:LO */
	bool bcast;                   /* the broadcast flag */
	bool pad;                     /* padded to 300 bytes, as many ROMs do */
	uint16_t dport, sport;        /* 0: 67 and 68 */
	const char *src, *dst;        /* IP; NULL: 0.0.0.0, 255.255.255.255 */
	const char *ciaddr;
};

static inline void client_mac(unsigned c, uint8_t mac[6])
{
	static const uint8_t base[6] = { 2, 0, 0, 0, 0, 0 };
	memcpy(mac, base, 6);
	mac[4] = (uint8_t)(c >> 8), mac[5] = (uint8_t)c;
}

static inline uint32_t a4(const char *s)
{
	struct in_addr a = { 0 };
	if (s)
		inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static inline size_t put_opt(uint8_t *p, size_t n, const struct opt *o, const uint8_t mac[6])
{
	p[n++] = o->code;
	if (o->len == CID) {
		p[n++] = 7, p[n++] = 1;
		memcpy(p + n, mac, 6);
		return n + 6;
	}
	if (o->len == UUID) {
		static const uint8_t pfx[4] = { 0x8c, 0x4d, 0x2e, 0x1a };
		p[n++] = 17, p[n++] = 0;
		memcpy(p + n, pfx, 4), memcpy(p + n + 4, mac, 6), memcpy(p + n + 10, mac, 6);
		return n + 16;
	}
	p[n++] = (uint8_t)o->len;
	memcpy(p + n, o->data, (size_t)o->len);
	return n + (size_t)o->len;
}

/* The DHCP payload of r. */
static inline size_t payload(const struct req *r, uint8_t *p)
{
	uint8_t mac[6];
	uint32_t v = htonl(0x5000 + r->client), ci = a4(r->ciaddr);
	size_t n = DHCP_MIN_LEN;

	client_mac(r->client, mac);
	memset(p, 0, 1500);
	p[0] = BOOTREQUEST, p[1] = 1, p[2] = 6;
	memcpy(p + 4, &v, 4);
	p[8] = 0, p[9] = 4;                     /* secs: the server never echoes them */
	if (r->bcast)
		p[10] = 0x80;
	memcpy(p + 12, &ci, 4);
	memcpy(p + 28, mac, 6);
	v = htonl(DHCP_MAGIC);
	memcpy(p + 236, &v, 4);
	for (size_t i = 0; i < r->nopts; i++)
		n = put_opt(p, n, &r->opts[i], mac);
	p[n++] = DHO_END;
	return r->pad && n < 300 ? 300 : n;
}

static inline uint16_t csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* UDP checksum over the frame's IP pseudo-header and UDP segment (the
 * frame has a 20-byte IP header); 0xffff when the segment checks out. */
static inline uint16_t udp_sum(const uint8_t *f)
{
	uint16_t ulen = (uint16_t)(f[38] << 8 | f[39]);
	uint32_t sum = 17u + ulen;
	sum += csum16(f + 26, 8, 0);
	return csum16(f + 34, ulen, sum);
}

static inline void fix_udp(uint8_t *f)
{
	f[40] = f[41] = 0;
	uint16_t c = (uint16_t)~udp_sum(f);
	if (!c)
		c = 0xffff;
	f[40] = (uint8_t)(c >> 8), f[41] = (uint8_t)c;
}

static inline void fix_ip(uint8_t *f)
{
	size_t ihl = (size_t)(f[14] & 15) * 4;
	f[24] = f[25] = 0;
	uint16_t c = (uint16_t)~csum16(f + 14, ihl, 0);
	f[24] = (uint8_t)(c >> 8), f[25] = (uint8_t)c;
}

/* The Ethernet frame of r, its DHCP payload at f + 42. */
static inline size_t frame(const struct req *r, uint8_t *f)
{
	uint8_t mac[6];
	size_t n = payload(r, f + 42);
	uint32_t src = a4(r->src), dst = r->dst ? a4(r->dst) : 0xffffffff;
	uint16_t ulen = (uint16_t)(8 + n), dport = r->dport ? r->dport : 67;
	uint16_t sport = r->sport ? r->sport : 68;

	client_mac(r->client, mac);
	memset(f, 0xff, 6);
	if (r->dst)
		memcpy(f, srv_mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x00;
	f[14] = 0x45, f[15] = 0;
	f[16] = (uint8_t)((20 + ulen) >> 8), f[17] = (uint8_t)(20 + ulen);
	f[18] = 0x12, f[19] = 0x34, f[20] = f[21] = 0;
	f[22] = 64, f[23] = 17;
	memcpy(f + 26, &src, 4);
	memcpy(f + 30, &dst, 4);
	fix_ip(f);
	f[34] = (uint8_t)(sport >> 8), f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8), f[37] = (uint8_t)dport;
	f[38] = (uint8_t)(ulen >> 8), f[39] = (uint8_t)ulen;
	fix_udp(f);
	return 42 + n;
}

#endif
