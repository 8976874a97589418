/* Which boot program (or iPXE script URL) a DHCP client gets: the decision
 * table of docs/CONFIG.md, kept pure so it is tested row by row. */
#ifndef RACKBOOT_BOOT_POLICY_H
#define RACKBOOT_BOOT_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct dhcp_msg;
struct rb_config;

/* What the request says about the firmware that sent it. */
struct boot_client {
	bool has_arch;        /* option 93 present */
	uint16_t arch;        /* first architecture of option 93 */
	bool pxe;             /* vendor class (60) starts with "PXEClient" */
	bool http;            /* vendor class starts with "HTTPClient" */
	bool ipxe;            /* user class "iPXE" or option 175 present */
};

enum boot_kind {
	BOOT_NONE = 0,        /* not a network-boot client: an address only */
	BOOT_IPXE_SCRIPT,     /* iPXE: the URL of its script */
	BOOT_TFTP,            /* PXE firmware: a program over TFTP */
	BOOT_HTTP,            /* UEFI HTTP boot: a program URL */
};

struct boot_decision {
	enum boot_kind kind;
	char file[128];       /* the reply's `file` field: a path or a URL */
	const char *vendor_class;  /* option 60 to send back, or NULL */
	const char *why;      /* short reason, for logs ("efi-x64 pxe", ...) */
};

void boot_client_from_msg(const struct dhcp_msg *m, struct boot_client *bc);
/* Short name of the client's architecture ("bios", "efi-x64", "efi-arm64",
 * "efi-ia32"), "" when it sent none or one we do not name. */
const char *boot_arch_name(const struct boot_client *bc);
/* Decide for one client. server_ip is host order. Returns false when the
 * client is a network-boot client we have no program for (e.g. an unknown
 * architecture): it then gets no boot information, and `why` says so. */
bool boot_decide(const struct rb_config *c, uint32_t server_ip,
		 const struct boot_client *bc, struct boot_decision *d);

#endif
