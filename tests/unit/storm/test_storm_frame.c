/* Unit tests for rackboot-storm's Ethernet/IPv4/UDP framing
 * (user/storm_frame.c): checksums verify, frames parse back, malformed
 * frames are refused, and the classic BPF program accepts exactly UDP to
 * port 68 — run by the kernel itself: a filter attached to an AF_UNIX
 * datagram socket sees each datagram as packet bytes from offset 0, just
 * as it sees a frame on an AF_PACKET socket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard_page.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "storm/storm_frame.h"

static const uint8_t MAC[6] = { 0x02, 0x53, 0, 0, 0, 7 };

static size_t sample(uint8_t *f, size_t plen, uint16_t dport)
{
	uint8_t pl[1500];
	for (size_t i = 0; i < plen; i++)
		pl[i] = (uint8_t)(i * 7 + 1);
	return storm_frame_udp(f, SF_MAX, MAC, 0, htonl(0xffffffff), 68, dport, 0x1234, pl, plen);
}

static void test_build_checksums(void **state)
{
	uint8_t f[SF_MAX];
	for (size_t plen = 0; plen < 600; plen += 37) {
		size_t len = sample(f, plen, 67);
		assert_int_equal(len, SF_HDR_LEN + plen);
		assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
		assert_memory_equal(f + 6, MAC, 6);
		assert_int_equal(f[12], 0x08);
		assert_int_equal(f[13], 0x00);
		const uint8_t *ip = f + SF_ETH_LEN;
		/* a valid header sums to 0xffff: folded and inverted, 0 */
		assert_int_equal(storm_csum_fold(storm_csum_add(0, ip, SF_IP_LEN)), 0);
		uint8_t ph[4] = { 0, 17, (uint8_t)((SF_UDP_LEN + plen) >> 8), (uint8_t)(SF_UDP_LEN + plen) };
		uint32_t s = storm_csum_add(0, ip + 12, 8);
		s = storm_csum_add(s, ph, 4);
		s = storm_csum_add(s, ip + SF_IP_LEN, SF_UDP_LEN + plen);
		assert_int_equal(storm_csum_fold(s), 0);
	}
}

static void test_build_too_big(void **state)
{
	uint8_t f[SF_MAX], pl[1600] = { 0 };
	assert_int_equal(storm_frame_udp(f, SF_MAX, MAC, 0, 0, 68, 67, 1, pl, 1473), 0);
	assert_int_equal(storm_frame_udp(f, 100, MAC, 0, 0, 68, 67, 1, pl, 300), 0);
	assert_int_equal(storm_frame_udp(f, SF_MAX, MAC, 0, 0, 68, 67, 1, pl, 1472), SF_MAX);
}

static void test_parse_round_trip(void **state)
{
	uint8_t f[SF_MAX];
	size_t len = sample(f, 300, 68), plen;
	uint32_t src;
	uint16_t sport;
	const uint8_t *in = guard_flush(f, len);
	const uint8_t *p = storm_frame_udp_payload(in, len, 68, &plen, &src, &sport);
	assert_non_null(p);
	assert_int_equal(plen, 300);
	assert_int_equal(p - in, SF_HDR_LEN);
	assert_int_equal(sport, 68);
	assert_int_equal(src, 0);
	assert_int_equal(p[299], (uint8_t)(299 * 7 + 1));
	/* every prefix: refused, never read past the end */
	for (size_t cut = 0; cut < len; cut++)
		assert_null(storm_frame_udp_payload(guard_flush(f, cut), cut, 68, &plen, &src, &sport));
}

static void test_parse_rejects(void **state)
{
	uint8_t f[SF_MAX], g[SF_MAX + 8];
	size_t len = sample(f, 300, 68), plen;
	uint32_t src;
	uint16_t sport;

	assert_null(storm_frame_udp_payload(f, len, 67, &plen, &src, &sport));       /* other port */
	memcpy(g, f, len);
	g[12] = 0x86; g[13] = 0xdd;                                                 /* IPv6 */
	assert_null(storm_frame_udp_payload(g, len, 68, &plen, &src, &sport));
	memcpy(g, f, len);
	g[SF_ETH_LEN + 9] = 6;                                                      /* TCP */
	assert_null(storm_frame_udp_payload(g, len, 68, &plen, &src, &sport));
	memcpy(g, f, len);
	g[SF_ETH_LEN + 6] = 0x20;                                                   /* MF: a fragment */
	assert_null(storm_frame_udp_payload(g, len, 68, &plen, &src, &sport));
	memcpy(g, f, len);
	g[SF_ETH_LEN + 7] = 0x10;                                                   /* an offset */
	assert_null(storm_frame_udp_payload(g, len, 68, &plen, &src, &sport));
	memcpy(g, f, len);
	g[SF_ETH_LEN + 6] = 0x40;                                                   /* DF is fine */
	assert_non_null(storm_frame_udp_payload(g, len, 68, &plen, &src, &sport));
	memcpy(g, f, len);
	g[SF_ETH_LEN + 2] = 0x10;                                                   /* IP length > frame */
	assert_null(storm_frame_udp_payload(g, len, 68, &plen, &src, &sport));
	memcpy(g, f, len);
	g[SF_ETH_LEN + SF_IP_LEN + 4] = 0x10;                                       /* UDP length > IP */
	assert_null(storm_frame_udp_payload(g, len, 68, &plen, &src, &sport));
	memcpy(g, f, len);
	g[SF_ETH_LEN] = 0x44;                                                       /* IHL 4 */
	assert_null(storm_frame_udp_payload(g, len, 68, &plen, &src, &sport));
	/* Ethernet padding after a short datagram is not payload */
	memcpy(g, f, len);
	memset(g + len, 0, 8);
	assert_non_null(storm_frame_udp_payload(g, len + 8, 68, &plen, &src, &sport));
	assert_int_equal(plen, 300);
}

/* Does the kernel, running the program, let this datagram through? */
static bool passes(int rx, int tx, const uint8_t *f, size_t len)
{
	uint8_t b[SF_MAX];
	assert_int_equal(send(tx, f, len, 0), (ssize_t)len);
	ssize_t r = recv(rx, b, sizeof(b), MSG_DONTWAIT);
	return r == (ssize_t)len;
}

static void test_bpf_program(void **state)
{
	struct sock_filter prog[SF_BPF_LEN];
	struct sock_fprog fp = { .len = SF_BPF_LEN, .filter = prog };
	int sv[2];
	uint8_t f[SF_MAX], g[SF_MAX];
	size_t len = sample(f, 300, 68);

	storm_frame_bpf(prog, 68);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)), 0);
	assert_true(passes(sv[0], sv[1], f, len));
	size_t glen = sample(g, 300, 67);                 /* to the server's port */
	assert_false(passes(sv[0], sv[1], g, glen));
	memcpy(g, f, len);
	g[12] = 0x08; g[13] = 0x06;                       /* ARP */
	assert_false(passes(sv[0], sv[1], g, len));
	memcpy(g, f, len);
	g[SF_ETH_LEN + 9] = 6;                            /* TCP to port 68 */
	assert_false(passes(sv[0], sv[1], g, len));
	memcpy(g, f, len);
	g[SF_ETH_LEN + 7] = 0x08;                         /* a later fragment */
	assert_false(passes(sv[0], sv[1], g, len));
	memcpy(g, f, len);
	g[SF_ETH_LEN + 6] = 0x20;                         /* the first fragment: its header is there */
	assert_true(passes(sv[0], sv[1], g, len));
	/* IP options move the UDP header: the program follows the IHL */
	memcpy(g, f, SF_ETH_LEN);
	memcpy(g + SF_ETH_LEN, f + SF_ETH_LEN, SF_IP_LEN);
	g[SF_ETH_LEN] = 0x46;
	memset(g + SF_ETH_LEN + SF_IP_LEN, 1, 4);         /* 4 bytes of NOP options */
	memcpy(g + SF_ETH_LEN + 24, f + SF_ETH_LEN + SF_IP_LEN, len - SF_ETH_LEN - SF_IP_LEN);
	assert_true(passes(sv[0], sv[1], g, len + 4));
	g[SF_ETH_LEN + 24 + 3] = 67;
	assert_false(passes(sv[0], sv[1], g, len + 4));
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_checksums),
		cmocka_unit_test(test_build_too_big),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_bpf_program),
	};
	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
