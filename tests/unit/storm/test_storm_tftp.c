/* Unit tests for the firmware-like TFTP client (user/storm_tftp.c): the
 * BIOS and EDK2 exchanges step by step, windows, gaps and duplicates,
 * retransmission and give-up, errors, size checks, stray TIDs, servers
 * that ignore options, and block numbers past 65535. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "storm/storm_tftp.h"
#include "proto/tftp_proto.h"

static uint8_t pkt[70000];

static size_t oack(const char *pairs, size_t n)
{
	pkt[0] = 0;
	pkt[1] = TFTP_OACK;
	memcpy(pkt + 2, pairs, n);
	return 2 + n;
}
/* sizeof: the last value keeps its terminating NUL, as on the wire */
#define OACK(s) oack(s, sizeof(s))

static size_t data(uint16_t block, size_t len)
{
	pkt[0] = 0;
	pkt[1] = TFTP_DATA;
	pkt[2] = (uint8_t)(block >> 8);
	pkt[3] = (uint8_t)block;
	memset(pkt + 4, 'x', len);
	return 4 + len;
}

static uint16_t ack_block(const struct stftp *t)
{
	assert_int_equal(t->ack[1], TFTP_ACK);
	return (uint16_t)(t->ack[2] << 8 | t->ack[3]);
}

#define IN(t, port, len) stftp_input((t), (port), pkt, (len))

static void test_bios_exchange(void **state)
{
	struct stftp t;
	assert_int_equal(stftp_init(&t, STFTP_BIOS, "undionly.kpxe", 1432), 0);
	assert_int_equal(stftp_start(&t), STFTP_SEND_RRQ);
	static const char want[] = "\0\1undionly.kpxe\0octet\0blksize\0" "1432\0tsize\0" "0";
	assert_int_equal(t.rrq_len, sizeof(want));
	assert_memory_equal(t.rrq, want, sizeof(want));

	assert_int_equal(IN(&t, 40000, OACK("blksize\0" "1432\0tsize\0" "3000")),
			 STFTP_SEND_ACK | STFTP_PROGRESS);
	assert_int_equal(ack_block(&t), 0);
	assert_int_equal(t.peer_port, 40000);
	assert_int_equal(t.tsize, 3000);
	assert_int_equal(IN(&t, 40000, data(1, 1432)), STFTP_SEND_ACK | STFTP_PROGRESS);
	assert_int_equal(ack_block(&t), 1);
	assert_int_equal(IN(&t, 40000, data(2, 1432)), STFTP_SEND_ACK | STFTP_PROGRESS);
	assert_int_equal(IN(&t, 40000, data(3, 136)), STFTP_SEND_ACK | STFTP_PROGRESS | STFTP_DONE);
	assert_int_equal(ack_block(&t), 3);
	assert_int_equal(t.bytes, 3000);
	assert_int_equal(t.state, STFTP_DONE);
	assert_int_equal(IN(&t, 40000, data(3, 136)), 0);          /* after the end: nothing */
}

static void test_uefi_exchange(void **state)
{
	struct stftp t;
	assert_int_equal(stftp_init(&t, STFTP_UEFI, "ipxe.efi", 0), 0);
	static const char probe[] = "\0\1ipxe.efi\0octet\0tsize\0" "0";
	assert_int_equal(t.rrq_len, sizeof(probe));
	assert_memory_equal(t.rrq, probe, sizeof(probe));

	/* the size probe: OACK, abort with error 8, ask again for real from
	 * a new port */
	assert_int_equal(IN(&t, 50000, OACK("tsize\0" "10000")),
			 STFTP_SEND_ERR | STFTP_NEW_PORT | STFTP_SEND_RRQ | STFTP_PROGRESS);
	assert_int_equal(t.err[1], TFTP_ERROR);
	assert_int_equal(t.err[3], TFTP_EOPTNEG);
	assert_int_equal(t.err_port, 50000);
	assert_int_equal(t.peer_port, 0);
	static const char real[] = "\0\1ipxe.efi\0octet\0blksize\0" "1468\0windowsize\0" "4\0tsize\0" "0";
	assert_int_equal(t.rrq_len, sizeof(real));
	assert_memory_equal(t.rrq, real, sizeof(real));
	/* (the probe session's repeats go to the old port, closed: never here) */
	assert_int_equal(t.state, STFTP_RRQ);
	assert_int_equal(stftp_timeout(&t, 6), STFTP_SEND_RRQ);       /* the real RRQ again */
	assert_memory_equal(t.rrq, real, sizeof(real));

	assert_int_equal(IN(&t, 50001, OACK("blksize\0" "1468\0windowsize\0" "4\0tsize\0" "10000")),
			 STFTP_SEND_ACK | STFTP_PROGRESS);
	assert_int_equal(ack_block(&t), 0);
	assert_int_equal(t.window, 4);
	/* 10000 = 6 * 1468 + 1192: ACK after block 4, then the short block 7 */
	for (uint16_t b = 1; b <= 3; b++)
		assert_int_equal(IN(&t, 50001, data(b, 1468)), STFTP_PROGRESS);
	assert_int_equal(IN(&t, 50001, data(4, 1468)), STFTP_SEND_ACK | STFTP_PROGRESS);
	assert_int_equal(ack_block(&t), 4);
	assert_int_equal(IN(&t, 50001, data(5, 1468)), STFTP_PROGRESS);
	assert_int_equal(IN(&t, 50001, data(6, 1468)), STFTP_PROGRESS);
	assert_int_equal(IN(&t, 50001, data(7, 1192)), STFTP_SEND_ACK | STFTP_PROGRESS | STFTP_DONE);
	assert_int_equal(ack_block(&t), 7);
	assert_int_equal(t.bytes, 10000);
}

static void to_data(struct stftp *t, uint16_t port, const char *opts, size_t n)
{
	unsigned a = stftp_input(t, port, pkt, oack(opts, n));
	assert_true(a & STFTP_SEND_ACK);
	assert_int_equal(t->state, STFTP_DATA);
}

#define TO_DATA(t, port, s) to_data((t), (port), (s), sizeof(s))

static void test_window_gap_and_duplicate(void **state)
{
	struct stftp t;
	stftp_init(&t, STFTP_UEFI, "f", 0);
	assert_true(IN(&t, 7000, OACK("tsize\0" "100000")) & STFTP_NEW_PORT);
	TO_DATA(&t, 7001, "blksize\0" "1468\0windowsize\0" "4");
	assert_int_equal(IN(&t, 7001, data(1, 1468)), STFTP_PROGRESS);
	/* block 2 lost: 3 arrives, ACK 1 once; 4 arrives, nothing more */
	assert_int_equal(IN(&t, 7001, data(3, 1468)), STFTP_SEND_ACK);
	assert_int_equal(ack_block(&t), 1);
	assert_int_equal(IN(&t, 7001, data(4, 1468)), 0);
	assert_int_equal(t.gaps, 2);
	/* the server goes back to 2: a new window of 4 from there */
	assert_int_equal(IN(&t, 7001, data(2, 1468)), STFTP_PROGRESS);
	assert_int_equal(IN(&t, 7001, data(3, 1468)), STFTP_PROGRESS);
	assert_int_equal(IN(&t, 7001, data(4, 1468)), STFTP_PROGRESS);
	assert_int_equal(IN(&t, 7001, data(5, 1468)), STFTP_SEND_ACK | STFTP_PROGRESS);
	assert_int_equal(ack_block(&t), 5);
	/* an old block again: re-ACK the newest once per position */
	assert_int_equal(IN(&t, 7001, data(3, 1468)), STFTP_SEND_ACK);
	assert_int_equal(ack_block(&t), 5);
	assert_int_equal(IN(&t, 7001, data(4, 1468)), 0);
	assert_int_equal(t.dups, 2);
	assert_int_equal(t.bytes, 5 * 1468);
}

static void test_duplicate_window1(void **state)
{
	struct stftp t;
	stftp_init(&t, STFTP_BIOS, "f", 512);
	TO_DATA(&t, 9000, "blksize\0" "512");
	assert_int_equal(IN(&t, 9000, data(1, 512)), STFTP_SEND_ACK | STFTP_PROGRESS);
	/* with window 1 every duplicate is answered (the server lost our ACK) */
	assert_int_equal(IN(&t, 9000, data(1, 512)), STFTP_SEND_ACK);
	assert_int_equal(IN(&t, 9000, data(1, 512)), STFTP_SEND_ACK);
	assert_int_equal(ack_block(&t), 1);
	/* a repeated OACK after data flowed is ignored */
	assert_int_equal(IN(&t, 9000, OACK("blksize\0" "512")), 0);
}

static void test_timeouts(void **state)
{
	struct stftp t;
	stftp_init(&t, STFTP_BIOS, "f", 1456);
	for (int i = 0; i < 6; i++)
		assert_int_equal(stftp_timeout(&t, 6), STFTP_SEND_RRQ);
	assert_int_equal(stftp_timeout(&t, 6), STFTP_FAIL);
	assert_int_equal(t.fail, STFTP_F_TIMEOUT);
	assert_int_equal(t.retransmits, 6);

	stftp_init(&t, STFTP_BIOS, "f", 1456);
	TO_DATA(&t, 9000, "blksize\0" "1456");
	assert_int_equal(stftp_timeout(&t, 3), STFTP_SEND_ACK);          /* ACK 0 again */
	assert_int_equal(ack_block(&t), 0);
	assert_int_equal(IN(&t, 9000, data(1, 1456)), STFTP_SEND_ACK | STFTP_PROGRESS);
	/* progress resets the count */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(stftp_timeout(&t, 3), STFTP_SEND_ACK);
		assert_int_equal(ack_block(&t), 1);
	}
	assert_int_equal(stftp_timeout(&t, 3), STFTP_FAIL);
}

static void test_error_and_strays(void **state)
{
	struct stftp t;
	static const uint8_t nf[] = "\0\5\0\1File not found";
	stftp_init(&t, STFTP_BIOS, "missing", 1432);
	assert_int_equal(stftp_input(&t, 41000, nf, sizeof(nf)), STFTP_FAIL);
	assert_int_equal(t.fail, STFTP_F_ERROR);
	assert_int_equal(t.errcode, 1);

	stftp_init(&t, STFTP_UEFI, "missing", 0);
	assert_int_equal(stftp_input(&t, 41000, nf, sizeof(nf)), STFTP_FAIL);   /* the probe fails too */
	assert_int_equal(t.errcode, 1);

	stftp_init(&t, STFTP_BIOS, "f", 1432);
	TO_DATA(&t, 41000, "blksize\0" "1432");
	/* another TID: a duplicate session. Ignored, even its errors */
	assert_int_equal(IN(&t, 41001, data(1, 1432)), 0);
	assert_int_equal(stftp_input(&t, 41001, nf, sizeof(nf)), 0);
	assert_int_equal(t.strays, 2);
	assert_int_equal(t.state, STFTP_DATA);
	/* garbage from the peer ends it */
	static const uint8_t junk[] = "\0\x09zz";
	assert_int_equal(stftp_input(&t, 41000, junk, 4), STFTP_FAIL);
	assert_int_equal(t.fail, STFTP_F_PROTOCOL);
}

static void test_size_checks(void **state)
{
	struct stftp t;
	stftp_init(&t, STFTP_BIOS, "f", 1432);
	TO_DATA(&t, 1000, "blksize\0" "1432\0tsize\0" "2000");
	assert_int_equal(IN(&t, 1000, data(1, 1432)), STFTP_SEND_ACK | STFTP_PROGRESS);
	/* the file ends short of tsize: ACKed (the server is done), but failed */
	assert_int_equal(IN(&t, 1000, data(2, 100)), STFTP_SEND_ACK | STFTP_FAIL);
	assert_int_equal(t.fail, STFTP_F_SIZE);

	stftp_init(&t, STFTP_BIOS, "f", 1432);
	TO_DATA(&t, 1000, "blksize\0" "1432\0tsize\0" "1000");
	assert_int_equal(IN(&t, 1000, data(1, 1432)), STFTP_FAIL);        /* more than announced */
	assert_int_equal(t.fail, STFTP_F_SIZE);

	stftp_init(&t, STFTP_BIOS, "f", 1432);
	TO_DATA(&t, 1000, "blksize\0" "1432");
	assert_int_equal(IN(&t, 1000, data(1, 1433)), STFTP_FAIL);        /* bigger than blksize */
	assert_int_equal(t.fail, STFTP_F_PROTOCOL);
}

static void test_bad_oack(void **state)
{
	struct stftp t;
	stftp_init(&t, STFTP_BIOS, "f", 1432);
	/* more than we asked for: refuse with error 8 and give up */
	assert_int_equal(IN(&t, 1000, OACK("blksize\0" "1468")), STFTP_SEND_ERR | STFTP_FAIL);
	assert_int_equal(t.err[3], TFTP_EOPTNEG);
	stftp_init(&t, STFTP_BIOS, "f", 1432);
	assert_int_equal(IN(&t, 1000, OACK("blksize\0" "12x")), STFTP_SEND_ERR | STFTP_FAIL);
	stftp_init(&t, STFTP_BIOS, "f", 1432);
	assert_int_equal(IN(&t, 1000, OACK("blksize")), STFTP_SEND_ERR | STFTP_FAIL);   /* no value */
	stftp_init(&t, STFTP_BIOS, "f", 1432);
	/* options we did not ask for are ignored, names are case-insensitive */
	assert_int_equal(IN(&t, 1000, OACK("BLKSIZE\0" "1024\0timeout\0" "3")), STFTP_SEND_ACK | STFTP_PROGRESS);
	assert_int_equal(t.blksize, 1024);
}

static void test_server_ignores_options(void **state)
{
	struct stftp t;
	stftp_init(&t, STFTP_BIOS, "f", 1432);
	assert_int_equal(IN(&t, 3000, data(1, 512)), STFTP_SEND_ACK | STFTP_PROGRESS);
	assert_int_equal(t.blksize, 512);
	assert_int_equal(IN(&t, 3000, data(2, 0)), STFTP_SEND_ACK | STFTP_PROGRESS | STFTP_DONE);
	assert_int_equal(t.bytes, 512);
	assert_int_equal(t.tsize, -1);

	/* EDK2's probe answered with data: abort that, ask for real */
	stftp_init(&t, STFTP_UEFI, "f", 0);
	assert_int_equal(IN(&t, 3000, data(1, 512)),
			 STFTP_SEND_ERR | STFTP_NEW_PORT | STFTP_SEND_RRQ | STFTP_PROGRESS);
	assert_int_equal(t.state, STFTP_RRQ);
}

static void test_block_rollover(void **state)
{
	struct stftp t;
	stftp_init(&t, STFTP_BIOS, "big", 8);
	TO_DATA(&t, 2000, "blksize\0" "8");
	uint32_t blocks = 70000;
	for (uint32_t b = 1; b <= blocks; b++) {
		unsigned a = IN(&t, 2000, data((uint16_t)b, 8));
		assert_int_equal(a, STFTP_SEND_ACK | STFTP_PROGRESS);
		assert_int_equal(ack_block(&t), (uint16_t)b);
	}
	assert_int_equal(IN(&t, 2000, data((uint16_t)(blocks + 1), 0)), STFTP_SEND_ACK | STFTP_PROGRESS | STFTP_DONE);
	assert_int_equal(t.bytes, (uint64_t)blocks * 8);
}

static void test_long_name(void **state)
{
	struct stftp t;
	char name[600];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	assert_int_equal(stftp_init(&t, STFTP_BIOS, name, 1432), -1);
	name[250] = 0;
	assert_int_equal(stftp_init(&t, STFTP_UEFI, name, 1432), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bios_exchange),
		cmocka_unit_test(test_uefi_exchange),
		cmocka_unit_test(test_window_gap_and_duplicate),
		cmocka_unit_test(test_duplicate_window1),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_error_and_strays),
		cmocka_unit_test(test_size_checks),
		cmocka_unit_test(test_bad_oack),
		cmocka_unit_test(test_server_ignores_options),
		cmocka_unit_test(test_block_rollover),
		cmocka_unit_test(test_long_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
