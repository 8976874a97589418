/* The boot decision table (docs/CONFIG.md, "Which boot file a node gets").
 * Firmware identifies itself by option 93 (RFC 4578 processor architecture,
 * IANA registry), option 60 (PXEClient or HTTPClient) and, once iPXE runs,
 * by user class "iPXE" or its encapsulated option 175. */
#include "core/boot_policy.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "proto/dhcp_proto.h"

/* IANA "Processor Architecture Types" (option 93). */
enum {
	ARCH_BIOS = 0, ARCH_EFI_IA32 = 6, ARCH_EFI_BC = 7, ARCH_EFI_X64 = 9,
	ARCH_EFI_ARM64 = 11, ARCH_EFI_X64_HTTP = 16, ARCH_EFI_ARM64_HTTP = 19,
};

void boot_client_from_msg(const struct dhcp_msg *m, struct boot_client *bc)
{
	memset(bc, 0, sizeof(*bc));
	/* Option 93 is a list of 16-bit types; firmware sends one. */
	const struct dhcp_opt_ref *a = &m->opt[DHO_CLIENT_ARCH];
	if (a->present && a->len >= 2) {
		bc->has_arch = true;
		bc->arch = (uint16_t)(a->data[0] << 8 | a->data[1]);
	}
	bc->pxe = dhcp_opt_prefix(m, DHO_VENDOR_CLASS, "PXEClient");
	bc->http = dhcp_opt_prefix(m, DHO_VENDOR_CLASS, "HTTPClient");
	bc->ipxe = dhcp_user_class_has(m, "iPXE") || m->opt[DHO_IPXE_ENCAP].present;
}

const char *boot_arch_name(const struct boot_client *bc)
{
	if (!bc->has_arch)
		return bc->pxe ? "bios" : "";
	switch (bc->arch) {
	case ARCH_BIOS: return "bios";
	case ARCH_EFI_IA32: return "efi-ia32";
	case ARCH_EFI_BC:
	case ARCH_EFI_X64:
	case ARCH_EFI_X64_HTTP: return "efi-x64";
	case ARCH_EFI_ARM64:
	case ARCH_EFI_ARM64_HTTP: return "efi-arm64";
	default: return "";
	}
}

static bool http_url(char *out, size_t len, uint32_t ip, unsigned port, const char *path)
{
	int n = snprintf(out, len, "http://%u.%u.%u.%u:%u/%s", ip >> 24, (ip >> 16) & 255,
			 (ip >> 8) & 255, ip & 255, port, path);
	return n > 0 && (size_t)n < len;
}

static bool set_file(struct boot_decision *d, const char *f)
{
	size_t n = strlen(f);
	if (n >= sizeof(d->file))
		return false;
	memcpy(d->file, f, n + 1);
	return true;
}

bool boot_decide(const struct rb_config *c, uint32_t server_ip,
		 const struct boot_client *bc, struct boot_decision *d)
{
	memset(d, 0, sizeof(*d));
	/* iPXE first: it also sends PXEClient and an architecture, but it
	 * already runs, so it wants its script, not another iPXE binary. */
	if (bc->ipxe) {
		d->kind = BOOT_IPXE_SCRIPT;
		d->why = "ipxe";
		return http_url(d->file, sizeof(d->file), server_ip, c->http_port, "boot.ipxe");
	}
	if (bc->http) {
		const char *prog = NULL;
		if (bc->has_arch && bc->arch == ARCH_EFI_X64_HTTP)
			prog = c->boot_efi_x64, d->why = "efi-x64 http";
		else if (bc->has_arch && bc->arch == ARCH_EFI_ARM64_HTTP)
			prog = c->boot_efi_arm64, d->why = "efi-arm64 http";
		if (!prog) {
			d->why = "http boot client of unsupported architecture";
			return false;
		}
		d->kind = BOOT_HTTP;
		d->vendor_class = "HTTPClient";   /* EDK2 ignores offers without it */
		return http_url(d->file, sizeof(d->file), server_ip, c->http_port, prog);
	}
	if (bc->pxe) {
		const char *prog = NULL;
		switch (bc->has_arch ? bc->arch : ARCH_BIOS) {
		case ARCH_BIOS: prog = c->boot_bios; d->why = "bios pxe"; break;
		case ARCH_EFI_BC:
		case ARCH_EFI_X64: prog = c->boot_efi_x64; d->why = "efi-x64 pxe"; break;
		case ARCH_EFI_ARM64: prog = c->boot_efi_arm64; d->why = "efi-arm64 pxe"; break;
		default: break;
		}
		if (!prog) {
			d->why = "pxe client of unsupported architecture";
			return false;
		}
		d->kind = BOOT_TFTP;
		d->vendor_class = "PXEClient";
		return set_file(d, prog);
	}
	d->why = "not a network boot client";
	return true;
}
