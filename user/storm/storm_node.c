/* Names of node kinds, phases and failure reasons (see storm_node.h). */
#include "storm/storm_node.h"

#include <stdio.h>

const char *storm_kind_name(int kind)
{
	static const char *const n[SK__N] = { "bios", "uefi", "ipxe" };
	return kind >= 0 && kind < SK__N ? n[kind] : "?";
}

const char *storm_phase_name(int phase)
{
	static const char *const n[PH__N] = { "dhcp", "tftp", "ipxe_dhcp", "http" };
	return phase >= 0 && phase < PH__N ? n[phase] : "?";
}

const char *storm_boot_from_name(int from)
{
	static const char *const n[BF__N] = { "none", "offer", "proxy-offer", "ack", "proxy-ack" };
	return from >= 0 && from < BF__N ? n[from] : "?";
}

const char *storm_reason_str(int reason, unsigned code, char *buf, unsigned cap)
{
	static const char *const n[R__N] = {
		[R_NONE] = "none",
		[R_DHCP_TIMEOUT] = "dhcp-timeout",
		[R_DHCP_NAK] = "dhcp-nak",
		[R_DHCP_NO_BOOTFILE] = "dhcp-no-bootfile",
		[R_PROXY_TIMEOUT] = "proxy-timeout",
		[R_ADDR] = "address-add-failed",
		[R_TFTP_TIMEOUT] = "tftp-timeout",
		[R_TFTP_ERROR] = "tftp-error-",
		[R_TFTP_SIZE] = "tftp-size-mismatch",
		[R_TFTP_PROTOCOL] = "tftp-protocol",
		[R_HTTP_STATUS] = "http-status-",
		[R_HTTP_TIMEOUT] = "http-timeout",
		[R_HTTP_SHORT] = "http-short-body",
		[R_HTTP_CONNECT] = "http-connect",
		[R_HTTP_PROTOCOL] = "http-protocol",
		[R_HTTP_SCRIPT] = "http-bad-script",
		[R_HTTP_URL] = "http-bad-url",
		[R_SOCKET] = "socket",
		[R_DEADLINE] = "deadline",
		[R_INTERRUPTED] = "interrupted",
	};
	const char *s = reason >= 0 && reason < R__N ? n[reason] : "?";
	if (reason == R_TFTP_ERROR || reason == R_HTTP_STATUS)
		snprintf(buf, cap, "%s%u", s, code);
	else
		snprintf(buf, cap, "%s", s);
	return buf;
}
