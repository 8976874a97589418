/* Unit tests for the boot decision table (user/boot_policy.c), row by row
 * as docs/CONFIG.md states it, plus how a request is classified. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <stdio.h>
#include <string.h>

#include "core/boot_policy.h"
#include "core/config.h"
#include "proto/dhcp_proto.h"

struct row {
	const char *why;
	struct boot_client in;
	bool ok;
	enum boot_kind kind;
	const char *file, *vc;
};

#define ARCH(a) .has_arch = true, .arch = (a)
static const struct row rows[] = {
	{"BIOS PXE ROM (arch 0)", {ARCH(0), .pxe = true}, true, BOOT_TFTP, "undionly.kpxe", "PXEClient"},
	{"PXE ROM without option 93 is BIOS", {.pxe = true}, true, BOOT_TFTP, "undionly.kpxe", "PXEClient"},
	{"EFI byte code (7) is x64 in practice (EDK2 sends 7)", {ARCH(7), .pxe = true}, true, BOOT_TFTP, "ipxe.efi", "PXEClient"},
	{"EFI x64 (9)", {ARCH(9), .pxe = true}, true, BOOT_TFTP, "ipxe.efi", "PXEClient"},
	{"EFI arm64 (11)", {ARCH(11), .pxe = true}, true, BOOT_TFTP, "ipxe-arm64.efi", "PXEClient"},
	{"EFI IA32 (6): no program for it", {ARCH(6), .pxe = true}, false, BOOT_NONE, "", NULL},
	{"UEFI HTTP boot x64 (16)", {ARCH(16), .http = true}, true, BOOT_HTTP, "http://10.0.0.1:8080/ipxe.efi", "HTTPClient"},
	{"UEFI HTTP boot arm64 (19)", {ARCH(19), .http = true}, true, BOOT_HTTP, "http://10.0.0.1:8080/ipxe-arm64.efi", "HTTPClient"},
	{"HTTPClient with a PXE arch: unsupported", {ARCH(0), .http = true}, false, BOOT_NONE, "", NULL},
	{"iPXE (user class) on BIOS: its script", {ARCH(0), .pxe = true, .ipxe = true}, true, BOOT_IPXE_SCRIPT, "http://10.0.0.1:8080/boot.ipxe", NULL},
	{"iPXE on EFI: its script", {ARCH(9), .pxe = true, .ipxe = true}, true, BOOT_IPXE_SCRIPT, "http://10.0.0.1:8080/boot.ipxe", NULL},
	{"iPXE without PXEClient still gets its script", {.ipxe = true}, true, BOOT_IPXE_SCRIPT, "http://10.0.0.1:8080/boot.ipxe", NULL},
	{"an ordinary DHCP client: nothing", {0}, true, BOOT_NONE, "", NULL},
	{"arch without a vendor class: nothing", {ARCH(9)}, true, BOOT_NONE, "", NULL},
};

static struct rb_config cfg;

static int check_row(const struct row *r)
{
	struct boot_decision d;
	bool ok = boot_decide(&cfg, 0x0a000001, &r->in, &d);
	const char *vc = d.vendor_class ? d.vendor_class : "(none)";
	const char *want_vc = r->vc ? r->vc : "(none)";
	if (ok == r->ok && d.kind == r->kind && !strcmp(d.file, r->file) && !strcmp(vc, want_vc))
		return 0;
	printf("# %s: got ok=%d kind=%d file='%s' vc=%s; want ok=%d kind=%d file='%s' vc=%s\n",
	       r->why, ok, d.kind, d.file, vc, r->ok, r->kind, r->file, want_vc);
	return 1;
}

static void test_decision_table(void **state)
{
	(void)state;
	rb_config_init(&cfg);
	cfg.http_port = 8080;
	RUN_TABLE(rows, check_row, "boot decisions");
	rb_config_free(&cfg);
}

/* Configured boot file names are what PXE clients get. */
static void test_configured_names(void **state)
{
	(void)state;
	struct boot_client bios = { .pxe = true }, x64 = { .has_arch = true, .arch = 9, .pxe = true };
	struct boot_decision d;
	rb_config_init(&cfg);
	snprintf(cfg.boot_bios, sizeof(cfg.boot_bios), "bios/ipxe.pxe");
	snprintf(cfg.boot_efi_x64, sizeof(cfg.boot_efi_x64), "snponly.efi");
	assert_true(boot_decide(&cfg, 1, &bios, &d));
	assert_string_equal(d.file, "bios/ipxe.pxe");
	assert_true(boot_decide(&cfg, 1, &x64, &d));
	assert_string_equal(d.file, "snponly.efi");
	rb_config_free(&cfg);
}

/* Building a request and classifying it: option 93, 60, 77 and 175. */
static size_t build_req(uint8_t *buf, const uint8_t *opts, size_t olen)
{
	memset(buf, 0, 600);
	buf[0] = 1, buf[1] = 1, buf[2] = 6;
	buf[236] = 0x63, buf[237] = 0x82, buf[238] = 0x53, buf[239] = 0x63;
	memcpy(buf + 240, opts, olen);
	buf[240 + olen] = 255;
	return 300;
}

static void test_classify(void **state)
{
	(void)state;
	static const uint8_t edk2[] = { 53, 1, 1, 93, 2, 0, 7, 60, 32,
		'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0', '0',
		'0', '0', '7', ':', 'U', 'N', 'D', 'I', ':', '0', '0', '3', '0', '1', '6' };
	static const uint8_t ipxe[] = { 53, 1, 1, 77, 4, 'i', 'P', 'X', 'E', 93, 2, 0, 0 };
	static const uint8_t ipxe175[] = { 53, 1, 1, 175, 3, 177, 1, 1 };
	static const uint8_t http[] = { 53, 1, 1, 93, 2, 0, 16, 60, 10,
		'H', 'T', 'T', 'P', 'C', 'l', 'i', 'e', 'n', 't' };
	uint8_t buf[600];
	struct dhcp_msg m;
	struct boot_client bc;

	assert_int_equal(dhcp_parse(buf, build_req(buf, edk2, sizeof(edk2)), &m), DHCP_OK);
	boot_client_from_msg(&m, &bc);
	assert_true(bc.has_arch && bc.arch == 7 && bc.pxe && !bc.http && !bc.ipxe);
	assert_int_equal(dhcp_parse(buf, build_req(buf, ipxe, sizeof(ipxe)), &m), DHCP_OK);
	boot_client_from_msg(&m, &bc);
	assert_true(bc.ipxe && bc.has_arch && bc.arch == 0 && !bc.pxe);
	assert_int_equal(dhcp_parse(buf, build_req(buf, ipxe175, sizeof(ipxe175)), &m), DHCP_OK);
	boot_client_from_msg(&m, &bc);
	assert_true(bc.ipxe && !bc.has_arch);
	assert_int_equal(dhcp_parse(buf, build_req(buf, http, sizeof(http)), &m), DHCP_OK);
	boot_client_from_msg(&m, &bc);
	assert_true(bc.http && bc.arch == 16 && !bc.pxe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_configured_names),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
