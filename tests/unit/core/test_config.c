/* Unit tests for rackbootd's config file (user/core/config_file.c and
 * config_settings.c, with the value parsers of config_values.c and the
 * life cycle of config.c). The inventory, the lookups and the cross-checks
 * have their own test_config_*.c; config_fixture.h is what they share.
 *
 * Table driven: each config row is {why, config text, inventory text, the
 * stage expected to fail (load or check) and a substring of its error,
 * which always includes "FILE:LINE"}, or a verify function for rows that
 * load. Files are written into a mkdtemp directory: t.conf, hosts.txt and
 * a few iPXE scripts. Every row runs; every failing row is printed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"

#include "config_fixture.h"

/* ------------------------------------------------------------------ */
/* Verify functions for rows that load                                 */

static int v_interface(const struct rb_config *c)
{
	EXPECT(!strcmp(c->interface, "enp1s0f1"));
	return 0;
}

static int v_address_prefix(const struct rb_config *c)
{
	EXPECT(c->address == ip("192.168.7.2"));
	EXPECT(c->prefix == 23);
	return 0;
}

static int v_address_plain(const struct rb_config *c)
{
	EXPECT(c->address == ip("192.168.7.2"));
	EXPECT(c->prefix == 0);
	return 0;
}

static int v_paths_absolute(const struct rb_config *c)
{
	EXPECT(!strcmp(c->root, "/srv/boot"));
	EXPECT(!strcmp(c->state_dir, "/var/lib/rb"));
	return 0;
}

static int v_paths_relative(const struct rb_config *c)
{
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "%s/srv", dir);
	EXPECT(!strcmp(c->root, want));
	snprintf(want, sizeof(want), "%s/state/x", dir);
	EXPECT(!strcmp(c->state_dir, want));
	return 0;
}

static int v_ports(const struct rb_config *c)
{
	EXPECT(c->tftp_port == 6969);
	EXPECT(c->http_port == 65535);
	return 0;
}

static int v_port_min(const struct rb_config *c)
{
	EXPECT(c->tftp_port == 1);
	EXPECT(c->http_port == 80);
	return 0;
}

static int v_proxy_nobpf(const struct rb_config *c)
{
	EXPECT(c->proxy_dhcp);
	EXPECT(c->no_bpf);
	return 0;
}

static int v_noproxy_bpf(const struct rb_config *c)
{
	EXPECT(!c->proxy_dhcp);
	EXPECT(!c->no_bpf);
	return 0;
}

static int v_bootfiles(const struct rb_config *c)
{
	EXPECT(!strcmp(c->boot_bios, "bios/undionly.kpxe"));
	EXPECT(!strcmp(c->boot_efi_x64, "efi/snp.efi"));
	EXPECT(!strcmp(c->boot_efi_arm64, "arm/snp.efi"));
	return 0;
}

static int v_tftp_hot(const struct rb_config *c)
{
	EXPECT(c->ntftp_hot == 2);
	EXPECT(!strcmp(c->tftp_hot[0], "snponly.efi"));
	EXPECT(!strcmp(c->tftp_hot[1], "x/y.bin"));
	EXPECT(c->tftp_hot_max == 1048576);
	return 0;
}

static int v_tftp_hot_default(const struct rb_config *c)
{
	EXPECT(c->ntftp_hot == 0);
	EXPECT(c->tftp_hot_max == 64ull << 20);
	return 0;
}

static int v_globals_dhcp(const struct rb_config *c)
{
	const struct rb_dhcp_params *d = &c->defaults;

	EXPECT(d->set == (RBP_ROUTERS | RBP_DNS | RBP_DOMAIN | RBP_MTU | RBP_LEASE));
	EXPECT(d->nrouters == 1 && d->routers[0] == nip("10.0.0.254"));
	EXPECT(d->ndns == 2 && d->dns[0] == nip("10.0.0.53") && d->dns[1] == nip("10.0.0.54"));
	EXPECT(!strcmp(d->domain, "example.net"));
	EXPECT(d->mtu == 1500);
	EXPECT(d->lease_time == 3600);
	return 0;
}

static int v_eight_dns(const struct rb_config *c)
{
	EXPECT(c->defaults.ndns == 8);
	EXPECT(c->defaults.dns[7] == nip("10.0.0.8"));
	EXPECT(c->defaults.set == RBP_DNS);
	return 0;
}

#define V_LEASE(fn, secs)                                  \
	static int fn(const struct rb_config *c)          \
	{                                                  \
		EXPECT(c->defaults.lease_time == (secs)); \
		EXPECT(c->defaults.set == RBP_LEASE);     \
		return 0;                                  \
	}
V_LEASE(v_lease_60, 60)
V_LEASE(v_lease_600, 600)
V_LEASE(v_lease_90m, 90 * 60)
V_LEASE(v_lease_2d, 2 * 86400)
V_LEASE(v_lease_365d, 365 * 86400)
V_LEASE(v_lease_120s, 120)

static int v_mtu_bounds(const struct rb_config *c)
{
	EXPECT(c->defaults.mtu == 68);
	EXPECT(c->subnets[0].params.mtu == 65535);
	return 0;
}

static int v_subnet(const struct rb_config *c)
{
	const struct rb_subnet *s = &c->subnets[0];

	EXPECT(c->nsubnets == 1);
	EXPECT(s->net == ip("10.0.0.0") && s->mask == ip("255.255.255.0"));
	EXPECT(s->nranges == 2);
	EXPECT(s->ranges[0].lo == ip("10.0.0.100") && s->ranges[0].hi == ip("10.0.0.199"));
	EXPECT(s->ranges[1].lo == ip("10.0.0.200") && s->ranges[1].hi == ip("10.0.0.210"));
	EXPECT(s->params.set == (RBP_ROUTERS | RBP_DNS | RBP_DOMAIN | RBP_MTU | RBP_LEASE));
	EXPECT(s->params.routers[0] == nip("10.0.0.1") && s->params.nrouters == 1);
	EXPECT(s->params.dns[0] == nip("10.0.0.1") && s->params.ndns == 1);
	EXPECT(!strcmp(s->params.domain, "rack1.example.net"));
	EXPECT(s->params.mtu == 9000 && s->params.lease_time == 3600);
	EXPECT(ends_with(s->where, "/t.conf:2"));
	EXPECT(c->defaults.set == 0);
	return 0;
}

static int v_two_subnets(const struct rb_config *c)
{
	EXPECT(c->nsubnets == 2);
	EXPECT(c->subnets[1].net == ip("10.0.1.0") && c->subnets[1].mask == ip("255.255.255.128"));
	EXPECT(c->subnets[1].nranges == 0);
	EXPECT(ends_with(c->subnets[1].where, "/t.conf:4"));
	return 0;
}

static int v_sixteen_ranges(const struct rb_config *c)
{
	EXPECT(c->subnets[0].nranges == RB_MAX_RANGES);
	return 0;
}

static int v_slash32(const struct rb_config *c)
{
	EXPECT(c->subnets[0].mask == 0xffffffffu);
	EXPECT(c->subnets[0].ranges[0].lo == ip("10.9.9.9"));
	return 0;
}

static int v_kernel_profile(const struct rb_config *c)
{
	const struct rb_profile *p = &c->profiles[0];

	EXPECT(c->nprofiles == 1);
	EXPECT(!strcmp(p->name, "compute"));
	EXPECT(!strcmp(p->kernel, "vmlinuz"));
	EXPECT(!strcmp(p->initrd, "initrd.img"));
	EXPECT(!strcmp(p->cmdline, "console=ttyS0 ip=dhcp"));
	EXPECT(p->script == NULL);
	EXPECT(ends_with(p->where, "/t.conf:1"));
	EXPECT(c->default_profile == -1);
	return 0;
}

static int v_url_kernel(const struct rb_config *c)
{
	EXPECT(!strcmp(c->profiles[0].kernel, "http://10.0.0.9/k/vmlinuz"));
	EXPECT(!strcmp(c->profiles[0].initrd, "https://10.0.0.9/k/initrd"));
	EXPECT(c->profiles[0].cmdline[0] == '\0');
	return 0;
}

/* Templates are kept as written; boot_script.c renders them per node. */
static int v_templates(const struct rb_config *c)
{
	EXPECT(!strcmp(c->profiles[0].kernel, "{{ arch }}/vmlinuz"));
	EXPECT(!strcmp(c->profiles[0].initrd, "http://{{server}}/i/{{arch}}.img"));
	EXPECT(!strcmp(c->profiles[0].cmdline, "hostname={{hostname}} BOOTIF=${net0/mac}"));
	EXPECT(!strcmp(c->profiles[1].script, "#!ipxe\nchain {{base_url}}/{{ mac }}.ipxe\n"));
	return 0;
}

static int v_quotes(const struct rb_config *c)
{
	EXPECT(!strcmp(c->profiles[0].cmdline, "a # b \"c\" \\d \\e"));
	EXPECT(!strcmp(c->profiles[0].kernel, "vmlinuz")); /* "vm"linuz: one token */
	return 0;
}

static int v_empty_cmdline(const struct rb_config *c)
{
	EXPECT(c->profiles[0].cmdline[0] == '\0');
	return 0;
}

static int v_heredoc(const struct rb_config *c)
{
	EXPECT(c->profiles[0].script != NULL);
	EXPECT(!strcmp(c->profiles[0].script, "#!ipxe\necho hello # not a comment\n  chain \"x\"\n\n"));
	EXPECT(c->profiles[0].kernel[0] == '\0');
	/* the setting after the heredoc was parsed, on its own line number */
	EXPECT(c->defaults.mtu == 1400);
	return 0;
}

static int v_heredoc_spaced(const struct rb_config *c)
{
	EXPECT(!strcmp(c->profiles[0].script, "#!ipxe\nEND2\n"));
	return 0;
}

static int v_quoted_script(const struct rb_config *c)
{
	EXPECT(!strcmp(c->profiles[0].script, "#!ipxe\n"));
	return 0;
}

static int v_script_file(const struct rb_config *c)
{
	EXPECT(!strcmp(c->profiles[0].script, "#!ipxe\necho rescue\n"));
	return 0;
}

static int v_default_profile(const struct rb_config *c)
{
	EXPECT(c->nprofiles == 2);
	EXPECT(c->default_profile == 1);
	EXPECT(rb_profile_for(c, NULL) == &c->profiles[1]);
	return 0;
}

static int v_host(const struct rb_config *c)
{
	const struct rb_host *h = &c->hosts[0];
	static const uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 1};

	EXPECT(c->nhosts == 1);
	EXPECT(!strcmp(h->name, "node01"));
	EXPECT(!memcmp(h->mac, mac, 6));
	EXPECT(h->ip == ip("10.0.0.11"));
	EXPECT(h->profile == 0);
	EXPECT(h->params.set == (RBP_ROUTERS | RBP_DNS | RBP_DOMAIN | RBP_MTU | RBP_LEASE));
	EXPECT(h->params.routers[0] == nip("10.0.0.1"));
	EXPECT(h->params.ndns == 2);
	EXPECT(!strcmp(h->params.domain, "n.example"));
	EXPECT(h->params.mtu == 1400 && h->params.lease_time == 7200);
	EXPECT(ends_with(h->where, "/t.conf:4"));
	EXPECT(rb_host_by_mac(c, mac) == h);
	return 0;
}

static int v_host_minimal(const struct rb_config *c)
{
	EXPECT(c->nhosts == 1);
	EXPECT(c->hosts[0].ip == 0 && c->hosts[0].profile == -1 && c->hosts[0].params.set == 0);
	return 0;
}

static int v_forward_profile(const struct rb_config *c)
{
	EXPECT(c->hosts[0].profile == 0);
	EXPECT(c->default_profile == 0);
	return 0;
}

static int v_reservation_in_range(const struct rb_config *c)
{
	EXPECT(c->hosts[0].ip == ip("10.0.0.150"));
	return 0;
}

static int v_empty(const struct rb_config *c)
{
	EXPECT(c->nsubnets == 0 && c->nhosts == 0 && c->nprofiles == 0);
	EXPECT(c->tftp_port == 69 && c->http_port == 80);
	return 0;
}

static int v_inventory_setting(const struct rb_config *c)
{
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "%s/hosts.txt", dir);
	EXPECT(!strcmp(c->inventory, want));
	EXPECT(c->nhosts == 2);
	EXPECT(c->hosts[0].profile == 0);
	EXPECT(!strcmp(c->hosts[1].name, "n2"));
	snprintf(want, sizeof(want), "%s/hosts.txt:2", dir);
	EXPECT(!strcmp(c->hosts[1].where, want));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Config rows                                                         */

struct conf_row {
	const char *why;
	const char *conf;   /* t.conf */
	const char *inv;    /* hosts.txt, or NULL */
	int stage;          /* OK_ROW, or the stage that must fail */
	const char *err;    /* substring of the error */
	const char *err2;   /* a second substring, or NULL */
	int (*verify)(const struct rb_config *c);
	bool bare;          /* check without filling interface/address/root */
};

static const struct conf_row conf_rows[] = {
	/* --- every global setting ------------------------------------------ */
	{"interface", "interface enp1s0f1\n", .verify = v_interface},
	{"address with prefix", "address 192.168.7.2/23\n", .verify = v_address_prefix},
	{"address without prefix", "address 192.168.7.2\n", .verify = v_address_plain},
	{"absolute root and state-dir", "root /srv/boot\nstate-dir /var/lib/rb\n",
	 .verify = v_paths_absolute},
	{"relative root and state-dir are relative to the config's directory",
	 "root srv\nstate-dir state/x\n", .verify = v_paths_relative},
	{"ports", "tftp-port 6969\nhttp-port 65535\n", .verify = v_ports},
	{"port 1", "tftp-port 1\n", .verify = v_port_min},
	{"proxy-dhcp yes, bpf no", "proxy-dhcp yes\nbpf no\n", .verify = v_proxy_nobpf},
	{"proxy-dhcp no, bpf yes", "proxy-dhcp no\nbpf yes\n", .verify = v_noproxy_bpf},
	{"boot files", "boot-bios bios/undionly.kpxe\nboot-efi-x64 efi/snp.efi\n"
		       "boot-efi-arm64 arm/snp.efi\n", .verify = v_bootfiles},
	{"tftp-hot and tftp-hot-max-size", "tftp-hot snponly.efi x/y.bin\ntftp-hot-max-size 1048576\n",
	 .verify = v_tftp_hot},
	{"tftp-hot defaults: the boot files only, 64 MiB", "", .verify = v_tftp_hot_default},
	{"tftp-hot-max-size 0 is an error", "tftp-hot-max-size 0\n",
	 ERRL("t.conf:1: bad tftp-hot-max-size '0'")},
	{"tftp-hot twice is an error", "tftp-hot a\ntftp-hot b\n", ERRL("t.conf:2:")},
	{"global DHCP options", "router 10.0.0.254\ndns 10.0.0.53 10.0.0.54\ndomain example.net\n"
				"mtu 1500\nlease-time 1h\n", .verify = v_globals_dhcp},
	{"eight DNS servers", "dns 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 10.0.0.7 10.0.0.8\n",
	 .verify = v_eight_dns},
	{"lease-time 60 (minimum)", "lease-time 60\n", .verify = v_lease_60},
	{"lease-time in plain seconds", "lease-time 600\n", .verify = v_lease_600},
	{"lease-time 90m", "lease-time 90m\n", .verify = v_lease_90m},
	{"lease-time 2d", "lease-time 2d\n", .verify = v_lease_2d},
	{"lease-time 365d (maximum)", "lease-time 365d\n", .verify = v_lease_365d},
	{"lease-time 120s", "lease-time 120s\n", .verify = v_lease_120s},
	{"mtu 68 and 65535", "mtu 68\nsubnet 10.0.0.0/24 {\nmtu 65535\n}\n", .verify = v_mtu_bounds},
	{"default-profile", PROFILE_K "profile compute {\nkernel k2\n}\ndefault-profile compute\n",
	 .verify = v_default_profile},
	{"inventory setting, relative to the config's directory",
	 PROFILE_K "inventory hosts.txt\n", "52:54:00:00:00:01 - - k\n52:54:00:00:00:02 10.0.0.12 n2\n",
	 .verify = v_inventory_setting},
	{"an empty file", "", .verify = v_empty},
	{"only comments and blank lines", "# a\n\n   \n\t# b\n", .verify = v_empty},

	/* --- syntax: comments, quotes, line endings ----------------------------- */
	{"comment after a value", "interface enp1s0f1 # the rack side\n", .verify = v_interface},
	{"comment glued to a value", "interface enp1s0f1#x\n", .verify = v_interface},
	{"CRLF line endings", "interface enp1s0f1\r\n\r\n", .verify = v_interface},
	{"no newline at the end", "interface enp1s0f1", .verify = v_interface},
	{"tabs separate tokens", "\tinterface\t\tenp1s0f1\t\n", .verify = v_interface},
	{"a quoted value", "interface \"enp1s0f1\"\n", .verify = v_interface},
	{"quotes keep spaces and #, \\\" and \\\\ escape, other backslashes stay",
	 "profile p {\nkernel \"vm\"linuz\ncmdline \"a # b \\\"c\\\" \\\\d \\e\"\n}\n",
	 .verify = v_quotes},
	{"an empty quoted cmdline", "profile p {\nkernel k\ncmdline \"\"\n}\n",
	 .verify = v_empty_cmdline},
	{"unterminated quote", "interface eth0\ndomain \"abc\n", ERRL("t.conf:2: unterminated quote")},
	{"too many values on one line",
	 "dns 1.0.0.1 1.0.0.2 1.0.0.3 1.0.0.4 1.0.0.5 1.0.0.6 1.0.0.7 1.0.0.8 1.0.0.9 1.0.0.10 "
	 "1.0.0.11 1.0.0.12 1.0.0.13 1.0.0.14 1.0.0.15 1.0.0.16 1.0.0.17 1.0.0.18 1.0.0.19 "
	 "1.0.0.20 1.0.0.21 1.0.0.22 1.0.0.23 1.0.0.24 1.0.0.25 1.0.0.26 1.0.0.27 1.0.0.28 "
	 "1.0.0.29 1.0.0.30 1.0.0.31 1.0.0.32\n",
	 ERRL("t.conf:1: too many values on one line (max 31)")},

	/* --- unknown and misplaced settings, counts, duplicates ------------------ */
	{"unknown setting at top level", "interface eth0\n\nfoo bar\n",
	 ERRL("t.conf:3: unknown setting 'foo'")},
	{"unknown setting in a subnet block", "subnet 10.0.0.0/24 {\n  rnage 10.0.0.5 10.0.0.9\n}\n",
	 ERRL("t.conf:2: unknown setting 'rnage' in subnet block")},
	{"unknown setting in a profile block", "profile p {\nkernal k\n}\n",
	 ERRL("t.conf:2: unknown setting 'kernal' in profile block")},
	{"unknown setting in a host block", "host h {\nmca 52:54:00:00:00:01\n}\n",
	 ERRL("t.conf:2: unknown setting 'mca' in host block")},
	{"a global setting inside a subnet", "subnet 10.0.0.0/24 {\ninterface eth0\n}\n",
	 ERRL("t.conf:2: setting 'interface' is not allowed in subnet block")},
	{"range at top level", "range 10.0.0.5 10.0.0.9\n",
	 ERRL("t.conf:1: setting 'range' is not allowed at top level")},
	{"kernel in a host block", "host h {\nkernel k\n}\n",
	 ERRL("t.conf:2: setting 'kernel' is not allowed in host block")},
	{"profile setting in a subnet block", "subnet 10.0.0.0/24 {\nprofile x\n}\n",
	 ERRL("t.conf:2: setting 'profile' is not allowed in subnet block")},
	{"a setting with no value", "interface\n", ERRL("t.conf:1: 'interface' takes one value")},
	{"a setting with two values", "root /a /b\n", ERRL("t.conf:1: 'root' takes one value")},
	{"range with one address", "subnet 10.0.0.0/24 {\nrange 10.0.0.5\n}\n",
	 ERRL("t.conf:2: 'range' takes two addresses (START END)")},
	{"router with nine addresses",
	 "router 1.0.0.1 1.0.0.2 1.0.0.3 1.0.0.4 1.0.0.5 1.0.0.6 1.0.0.7 1.0.0.8 1.0.0.9\n",
	 ERRL("t.conf:1: 'router' takes 1 to 8 addresses")},
	{"a global setting given twice", "mtu 1500\n# x\nmtu 9000\n",
	 ERRL("t.conf:3: 'mtu' already set at line 1")},
	{"a subnet setting given twice", "subnet 10.0.0.0/24 {\ndomain a.b\ndomain c.d\n}\n",
	 ERRL("t.conf:3: 'domain' already set at line 2")},
	{"the same setting in two blocks is fine",
	 "subnet 10.0.0.0/24 {\nmtu 1500\n}\nsubnet 10.0.1.0/24 {\nmtu 1500\n}\nmtu 1400\n",
	 .verify = NULL},
	{"script and script-file exclude each other",
	 "profile p {\nscript-file rescue.ipxe\nscript \"#!ipxe\"\n}\n",
	 ERRL("t.conf:3: 'script' conflicts with 'script-file' at line 2")},

	/* --- value checks ------------------------------------------------------------ */
	{"interface name too long", "interface abcdefghijklmnop\n",
	 ERRL("t.conf:1: interface name 'abcdefghijklmnop' too long (max 15 characters)")},
	{"interface name with a slash", "interface a/b\n", ERRL("t.conf:1: bad interface name 'a/b'")},
	{"bad address", "address 10.0.0.256\n", ERRL("t.conf:1: bad address '10.0.0.256'")},
	{"address is not a dotted quad", "address 10.1\n", ERRL("t.conf:1: bad address '10.1'")},
	{"address prefix /33", "address 10.0.0.1/33\n", ERRL("t.conf:1: bad address '10.0.0.1/33'")},
	{"address prefix /0", "address 10.0.0.1/0\n", ERRL("t.conf:1: bad address '10.0.0.1/0'")},
	{"address 0.0.0.0", "address 0.0.0.0\n",
	 ERRL("t.conf:1: '0.0.0.0' is not a usable unicast address")},
	{"address multicast", "address 224.0.0.1/24\n",
	 ERRL("t.conf:1: '224.0.0.1/24' is not a usable unicast address")},
	{"empty root", "root \"\"\n", ERRL("t.conf:1: empty path for 'root'")},
	{"tftp-port 0", "tftp-port 0\n", ERRL("t.conf:1: tftp-port 0 out of range (1..65535)")},
	{"http-port 65536", "http-port 65536\n",
	 ERRL("t.conf:1: http-port 65536 out of range (1..65535)")},
	{"port not a number", "http-port 8o\n", ERRL("t.conf:1: bad http-port '8o' (want a number)")},
	{"negative port", "tftp-port -1\n", ERRL("t.conf:1: bad tftp-port '-1' (want a number)")},
	{"huge port", "tftp-port 99999999999999999999\n", ERRL("t.conf:1: bad tftp-port")},
	{"proxy-dhcp maybe", "proxy-dhcp maybe\n",
	 ERRL("t.conf:1: bad proxy-dhcp 'maybe' (want yes or no)")},
	{"bpf YES (case matters)", "bpf YES\n", ERRL("t.conf:1: bad bpf 'YES' (want yes or no)")},
	{"boot file name too long",
	 "boot-bios aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	 ERRL("t.conf:1: 'boot-bios' value too long (max 127 characters)")},
	{"empty boot file name", "boot-efi-x64 \"\"\n",
	 ERRL("t.conf:1: empty value for 'boot-efi-x64'")},
	{"bad router", "router 10.0.0.1 10.0.0.x\n", ERRL("t.conf:1: bad address '10.0.0.x'")},
	{"router 0.0.0.0", "router 0.0.0.0\n",
	 ERRL("t.conf:1: '0.0.0.0' is not a usable unicast address")},
	{"bad dns", "dns ::1\n", ERRL("t.conf:1: bad address '::1'")},
	{"domain with an empty label", "domain a..b\n", ERRL("t.conf:1: bad domain 'a..b'")},
	{"domain with a space", "domain \"a b\"\n", ERRL("t.conf:1: bad domain 'a b'")},
	{"domain too long",
	 "domain aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa."
	 "aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa.aaaaaaaaaa\n",
	 ERRL("t.conf:1: bad domain")},
	{"mtu 67", "mtu 67\n", ERRL("t.conf:1: mtu 67 out of range (68..65535)")},
	{"mtu 65536", "mtu 65536\n", ERRL("t.conf:1: mtu 65536 out of range (68..65535)")},
	{"mtu not a number", "mtu big\n", ERRL("t.conf:1: bad mtu 'big' (want a number)")},
	{"lease-time 59", "lease-time 59\n", ERRL("t.conf:1: lease-time 59 out of range (60s..365d)")},
	{"lease-time 30s", "lease-time 30s\n", ERRL("t.conf:1: lease-time 30s out of range (60s..365d)")},
	{"lease-time 366d", "lease-time 366d\n",
	 ERRL("t.conf:1: lease-time 366d out of range (60s..365d)")},
	{"lease-time that overflows", "lease-time 9999999999d\n",
	 ERRL("t.conf:1: lease-time 9999999999d out of range (60s..365d)")},
	{"lease-time 1y (no such suffix)", "lease-time 1y\n",
	 ERRL("t.conf:1: bad lease-time '1y' (want seconds, or a number with s, m, h or d)")},
	{"lease-time h (no number)", "lease-time h\n", ERRL("t.conf:1: bad lease-time 'h'")},
	{"lease-time 1.5h", "lease-time 1.5h\n", ERRL("t.conf:1: bad lease-time '1.5h'")},

	/* --- blocks ---------------------------------------------------------------- */
	{"subnet block with every setting",
	 "# subnet\nsubnet 10.0.0.0/24 {\n    range 10.0.0.100 10.0.0.199\n    range 10.0.0.200 10.0.0.210\n"
	 "    router 10.0.0.1\n    dns 10.0.0.1\n    domain rack1.example.net\n    mtu 9000\n"
	 "    lease-time 3600\n}\n",
	 .verify = v_subnet},
	{"two subnets, one without ranges",
	 "subnet 10.0.0.0/24 {\nrange 10.0.0.10 10.0.0.20\n}\nsubnet 10.0.1.0/25 {\n}\n",
	 .verify = v_two_subnets},
	{"sixteen ranges",
	 "subnet 10.0.0.0/24 {\nrange 10.0.0.10 10.0.0.10\nrange 10.0.0.11 10.0.0.11\n"
	 "range 10.0.0.12 10.0.0.12\nrange 10.0.0.13 10.0.0.13\nrange 10.0.0.14 10.0.0.14\n"
	 "range 10.0.0.15 10.0.0.15\nrange 10.0.0.16 10.0.0.16\nrange 10.0.0.17 10.0.0.17\n"
	 "range 10.0.0.18 10.0.0.18\nrange 10.0.0.19 10.0.0.19\nrange 10.0.0.20 10.0.0.20\n"
	 "range 10.0.0.21 10.0.0.21\nrange 10.0.0.22 10.0.0.22\nrange 10.0.0.23 10.0.0.23\n"
	 "range 10.0.0.24 10.0.0.24\nrange 10.0.0.25 10.0.0.25\n}\n",
	 .verify = v_sixteen_ranges},
	{"seventeen ranges",
	 "subnet 10.0.0.0/24 {\nrange 10.0.0.10 10.0.0.10\nrange 10.0.0.11 10.0.0.11\n"
	 "range 10.0.0.12 10.0.0.12\nrange 10.0.0.13 10.0.0.13\nrange 10.0.0.14 10.0.0.14\n"
	 "range 10.0.0.15 10.0.0.15\nrange 10.0.0.16 10.0.0.16\nrange 10.0.0.17 10.0.0.17\n"
	 "range 10.0.0.18 10.0.0.18\nrange 10.0.0.19 10.0.0.19\nrange 10.0.0.20 10.0.0.20\n"
	 "range 10.0.0.21 10.0.0.21\nrange 10.0.0.22 10.0.0.22\nrange 10.0.0.23 10.0.0.23\n"
	 "range 10.0.0.24 10.0.0.24\nrange 10.0.0.25 10.0.0.25\nrange 10.0.0.26 10.0.0.26\n}\n",
	 ERRL("t.conf:18: too many ranges in one subnet (max 16)")},
	{"a /32 subnet may use its only address", "subnet 10.9.9.9/32 {\nrange 10.9.9.9 10.9.9.9\n}\n",
	 .verify = v_slash32},
	{"subnet with host bits set", "subnet 10.0.0.1/24 {\n}\n",
	 ERRL("t.conf:1: subnet 10.0.0.1/24 has host bits set (network is 10.0.0.0/24)")},
	{"subnet without a prefix", "subnet 10.0.0.0 {\n}\n",
	 ERRL("t.conf:1: bad subnet '10.0.0.0' (want NET/PREFIX, prefix 0..32)")},
	{"subnet prefix /33", "subnet 10.0.0.0/33 {\n}\n", ERRL("t.conf:1: bad subnet '10.0.0.0/33'")},
	{"range outside its subnet", "subnet 10.0.0.0/24 {\nrange 10.0.1.5 10.0.1.9\n}\n",
	 ERRL("t.conf:2: range 10.0.1.5-10.0.1.9 is outside subnet 10.0.0.0/24")},
	{"range partly outside its subnet", "subnet 10.0.0.0/24 {\nrange 10.0.0.250 10.0.1.9\n}\n",
	 ERRL("t.conf:2: range 10.0.0.250-10.0.1.9 is outside subnet 10.0.0.0/24")},
	{"range start after end", "subnet 10.0.0.0/24 {\nrange 10.0.0.9 10.0.0.5\n}\n",
	 ERRL("t.conf:2: range 10.0.0.9-10.0.0.5: start is after end")},
	{"range with the network address", "subnet 10.0.0.0/24 {\nrange 10.0.0.0 10.0.0.5\n}\n",
	 ERRL("t.conf:2: range 10.0.0.0-10.0.0.5 contains the network or broadcast address of 10.0.0.0/24")},
	{"range with the broadcast address", "subnet 10.0.0.0/24 {\nrange 10.0.0.200 10.0.0.255\n}\n",
	 ERRL("t.conf:2: range 10.0.0.200-10.0.0.255 contains the network or broadcast address")},
	{"bad range address", "subnet 10.0.0.0/24 {\nrange 10.0.0.9 10.0.0.x\n}\n",
	 ERRL("t.conf:2: bad address '10.0.0.x'")},
	{"overlapping ranges in one subnet",
	 "subnet 10.0.0.0/24 {\nrange 10.0.0.10 10.0.0.20\nrange 10.0.0.30 10.0.0.40\n"
	 "range 10.0.0.20 10.0.0.25\n}\n",
	 ERRL("t.conf:4: range 10.0.0.20-10.0.0.25 overlaps range 10.0.0.10-10.0.0.20")},
	{"a range containing another", "subnet 10.0.0.0/24 {\nrange 10.0.0.10 10.0.0.20\n"
				       "range 10.0.0.5 10.0.0.50\n}\n",
	 ERRL("t.conf:3: range 10.0.0.5-10.0.0.50 overlaps range 10.0.0.10-10.0.0.20")},
	{"block not closed at EOF", "interface eth0\nsubnet 10.0.0.0/24 {\nrange 10.0.0.5 10.0.0.9\n",
	 ERRL("t.conf:3: block 'subnet' not closed (opened at line 2)")},
	{"block not closed on its last line", "subnet 10.0.0.0/24 {\n",
	 ERRL("t.conf:1: block 'subnet' not closed (opened at line 1)")},
	{"nested blocks", "subnet 10.0.0.0/24 {\nhost h {\n}\n}\n",
	 ERRL("t.conf:2: blocks cannot be nested (subnet block opened at line 1 not closed)")},
	{"'}' without a block", "interface eth0\n}\n", ERRL("t.conf:2: '}' without an open block")},
	{"text after '}'", "subnet 10.0.0.0/24 {\n} x\n", ERRL("t.conf:2: unexpected text after '}'")},
	{"unknown block", "group g {\n}\n", ERRL("t.conf:1: unknown block 'group'")},
	{"block keyword without '{'", "subnet 10.0.0.0/24\n{\n}\n",
	 ERRL("t.conf:1: want 'subnet NET/PREFIX {' on one line")},
	{"block without an argument", "profile {\n}\n", ERRL("t.conf:1: want 'profile NAME {' on one line")},
	{"block with two arguments", "host a b {\n}\n", ERRL("t.conf:1: want 'host NAME {' on one line")},
	{"a quoted '{' does not open a block", "domain \"{\"\n", ERRL("t.conf:1: bad domain '{'")},

	/* --- profiles ---------------------------------------------------------------------- */
	{"kernel profile", "profile compute {\n    kernel vmlinuz\n    initrd initrd.img\n"
			   "    cmdline \"console=ttyS0 ip=dhcp\"\n}\n",
	 .verify = v_kernel_profile},
	{"kernel and initrd as http(s) URLs",
	 "profile p {\nkernel http://10.0.0.9/k/vmlinuz\ninitrd https://10.0.0.9/k/initrd\n}\n",
	 .verify = v_url_kernel},
	{"profile with kernel and script",
	 "profile both {\nkernel vmlinuz\nscript <<END\n#!ipxe\nEND\n}\n",
	 ERRL("t.conf:1: profile 'both' has both kernel and script")},
	{"profile with kernel and script-file", "\nprofile both {\nscript-file rescue.ipxe\nkernel k\n}\n",
	 ERRL("t.conf:2: profile 'both' has both kernel and script")},
	{"profile with neither", "profile empty {\n}\n",
	 ERRL("t.conf:1: profile 'empty' has neither kernel nor script")},
	{"profile with only an initrd", "profile p {\ninitrd i\n}\n",
	 ERRL("t.conf:1: profile 'p' has neither kernel nor script")},
	{"initrd with a script", "profile p {\ninitrd i\nscript-file rescue.ipxe\n}\n",
	 ERRL("t.conf:1: profile 'p': initrd and cmdline go with kernel, not script")},
	{"duplicate profile", PROFILE_K "\nprofile k {\nkernel x\n}\n",
	 ERRL("t.conf:5: duplicate profile 'k' (first at "), "t.conf:1)"},
	{"bad profile name", "profile \"a b\" {\n}\n", ERRL("t.conf:1: bad profile name 'a b'")},
	{"kernel path with ..", "profile p {\nkernel ../../etc/shadow\n}\n",
	 ERRL("t.conf:2: bad kernel '../../etc/shadow'")},
	{"kernel path with /../", "profile p {\nkernel a/../../b\n}\n", ERRL("t.conf:2: bad kernel")},
	{"a name with two dots is fine", "profile p {\nkernel a..b/vmlinuz\n}\n", .verify = NULL},
	{"kernel by ftp", "profile p {\nkernel ftp://h/k\n}\n", ERRL("t.conf:2: bad kernel 'ftp://h/k'")},

	/* --- templates in profiles (boot_script_check, at the profile's line) -------------- */
	{"templates in kernel, initrd, cmdline and script; blanks inside braces",
	 "profile k {\nkernel \"{{ arch }}/vmlinuz\"\ninitrd http://{{server}}/i/{{arch}}.img\n"
	 "cmdline \"hostname={{hostname}} BOOTIF=${net0/mac}\"\n}\n"
	 "profile s {\nscript <<END\n#!ipxe\nchain {{base_url}}/{{ mac }}.ipxe\nEND\n}\n",
	 .verify = v_templates},
	{"unknown template variable in cmdline",
	 "interface eth0\nprofile p {\nkernel k\ncmdline \"a={{nosuch}}\"\n}\n",
	 ERRL("t.conf:2: profile 'p': unknown template variable '{{nosuch}}' in cmdline")},
	{"unknown template variable in kernel", "profile p {\nkernel {{hostnme}}/k\n}\n",
	 ERRL("t.conf:1: profile 'p': unknown template variable '{{hostnme}}' in kernel")},
	{"unclosed template in a heredoc, by script line",
	 "\nprofile p {\nscript <<END\n#!ipxe\necho {{mac}}\necho {{mac\nEND\n}\n",
	 ERRL("t.conf:2: profile 'p': unclosed '{{' in script line 3")},
	{"unknown template variable in a script-file", "\n\nprofile s {\nscript-file tmpl.ipxe\n}\n",
	 ERRL("t.conf:3: profile 's': unknown template variable '{{bogus}}' in script line 3")},
	{"the kernel cannot refer to itself", "profile p {\nkernel {{kernel}}\n}\n",
	 ERRL("t.conf:1: profile 'p': template variable '{{kernel}}' cannot be used in kernel")},
	{"a blank outside the braces is still refused in a kernel",
	 "profile p {\nkernel \"{{ arch }} /vmlinuz\"\n}\n", ERRL("t.conf:2: bad kernel")},
	{"a blank in an http URL kernel is refused", "profile p {\nkernel \"http://h/a b\"\n}\n",
	 ERRL("t.conf:2: bad kernel 'http://h/a b'")},
	{"initrd with a space", "profile p {\nkernel k\ninitrd \"a b\"\n}\n",
	 ERRL("t.conf:3: bad initrd 'a b'")},
	{"empty kernel", "profile p {\nkernel \"\"\n}\n", ERRL("t.conf:2: empty value for 'kernel'")},
	{"cmdline too long",
	 "profile p {\nkernel k\ncmdline "
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "\n}\n",
	 ERRL("t.conf:3: 'cmdline' value too long (max 1023 characters)")},

	/* --- heredoc and script files ---------------------------------------------------------- */
	{"heredoc script kept verbatim, setting after it on the right line",
	 "profile inline {\n    script <<END   # heredoc\n#!ipxe\necho hello # not a comment\n"
	 "  chain \"x\"\n\n   END   \n}\nmtu 1400\n",
	 .verify = v_heredoc},
	{"heredoc with '<< TAG', a line that only contains the tag ends it",
	 "profile p {\nscript << END\n#!ipxe\nEND2\nEND\n}\n", .verify = v_heredoc_spaced},
	{"heredoc not terminated", "profile p {\nscript <<END\n#!ipxe\nEN\n",
	 ERRL("t.conf:4: heredoc 'END' not terminated (opened at line 2)")},
	{"heredoc without #!ipxe", "profile p {\n\nscript <<END\necho hi\nEND\n}\n",
	 ERRL("t.conf:3: script does not start with '#!ipxe'")},
	{"empty heredoc", "profile p {\nscript <<END\nEND\n}\n", ERRL("t.conf:2: empty script")},
	{"error after a heredoc has the right line", "profile p {\nscript <<X\n#!ipxe\n\nX\nbogus\n}\n",
	 ERRL("t.conf:6: unknown setting 'bogus' in profile block")},
	{"a one-line quoted script", "profile p {\nscript \"#!ipxe\"\n}\n", .verify = v_quoted_script},
	{"a quoted <<END is not a heredoc", "profile p {\nscript \"<<END\"\n}\n",
	 ERRL("t.conf:2: script does not start with '#!ipxe'")},
	{"heredoc without a tag", "profile p {\nscript <<\n#!ipxe\n}\n",
	 ERRL("t.conf:2: 'script' takes <<TAG (a heredoc) or one quoted value")},
	{"script with two values", "profile p {\nscript a b\n}\n",
	 ERRL("t.conf:2: 'script' takes <<TAG (a heredoc) or one quoted value")},
	{"script-file relative to the config's directory", "profile rescue {\nscript-file rescue.ipxe\n}\n",
	 .verify = v_script_file},
	{"script-file missing", "profile p {\nscript-file nothere.ipxe\n}\n",
	 ERRL("/nothere.ipxe': No such file or directory"), "t.conf:2: script-file '"},
	{"script-file without #!ipxe", "profile p {\nscript-file plain.txt\n}\n",
	 ERRL("/plain.txt' does not start with '#!ipxe'"), "t.conf:2: script-file '"},

	/* --- hosts ------------------------------------------------------------------------------- */
	{"host block with every setting",
	 PROFILE_K "host node01 {\n    mac 52:54:00:00:00:01\n    address 10.0.0.11\n    profile k\n"
	 "    router 10.0.0.1\n    dns 10.0.0.1 10.0.0.2\n    domain n.example\n    mtu 1400\n"
	 "    lease-time 2h\n}\n",
	 .verify = v_host},
	{"host with only a mac", "host h1 {\nmac 52-54-00-AA-bb-01\n}\n", .verify = v_host_minimal},
	{"host without a mac", "\nhost node01 {\naddress 10.0.0.5\n}\n",
	 ERRL("t.conf:2: host 'node01' has no mac")},
	{"host with a bad mac", "host h {\nmac zz:54:00:00:00:01\n}\n",
	 ERRL("t.conf:2: bad MAC address 'zz:54:00:00:00:01'")},
	{"host with a bad address", "host h {\nmac 52:54:00:00:00:01\naddress 10.0.0.300\n}\n",
	 ERRL("t.conf:3: bad address '10.0.0.300'")},
	{"host address 255.255.255.255", "host h {\naddress 255.255.255.255\n}\n",
	 ERRL("t.conf:2: '255.255.255.255' is not a usable unicast address")},
	{"bad hostname", "host node_01 {\n}\n", ERRL("t.conf:1: bad hostname 'node_01'")},
	{"hostname of 64 characters",
	 "host aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {\n}\n",
	 ERRL("t.conf:1: bad hostname")},
	{"duplicate host mac", "host a {\nmac 52:54:00:00:00:01\n}\nhost b {\nmac 52:54:00:00:00:01\n}\n",
	 ERRL("t.conf:5: duplicate host mac 52:54:00:00:00:01 (first at "), "t.conf:1)"},
	{"duplicate mac in another spelling", "host a {\nmac 52:54:00:00:00:0a\n}\nhost b {\nmac 52-54-00-00-00-0A\n}\n",
	 ERRL("t.conf:5: duplicate host mac 52:54:00:00:00:0a")},
	{"host and inventory with the same mac",
	 "host a {\nmac 52:54:00:00:00:01\n}\ninventory hosts.txt\n", "\n52:54:00:00:00:01\n",
	 ERRL("hosts.txt:2: duplicate host mac 52:54:00:00:00:01 (first at "), "t.conf:1)"},
	{"host refers to an unknown profile", "host n1 {\nmac 52:54:00:00:00:01\nprofile nope\n}\n",
	 ERRL("t.conf:3: unknown profile 'nope' (host 'n1')")},
	{"default-profile unknown", PROFILE_K "default-profile nope\n",
	 ERRL("t.conf:4: unknown profile 'nope' (default-profile)")},
	{"profiles may be defined after use",
	 "default-profile late\nhost h {\nmac 52:54:00:00:00:01\nprofile late\n}\nprofile late {\nkernel k\n}\n",
	 .verify = v_forward_profile},
	{"a reservation inside a dynamic range is allowed",
	 "subnet 10.0.0.0/24 {\nrange 10.0.0.100 10.0.0.199\n}\nhost h {\nmac 52:54:00:00:00:01\n"
	 "address 10.0.0.150\n}\n",
	 .verify = v_reservation_in_range},
	{"two hosts with the same address",
	 "host a {\nmac 52:54:00:00:00:01\naddress 10.0.0.11\n}\n"
	 "host b {\nmac 52:54:00:00:00:02\naddress 10.0.0.11\n}\n",
	 ERRC("t.conf:5: duplicate host address 10.0.0.11 (first at "), "t.conf:1)"},
	{"a host and an inventory line with the same address",
	 "host a {\nmac 52:54:00:00:00:01\naddress 10.0.0.11\n}\ninventory hosts.txt\n",
	 "52:54:00:00:00:02 10.0.0.11\n",
	 ERRC("hosts.txt:1: duplicate host address 10.0.0.11 (first at "), "t.conf:1)"},
	{"host reserved the server's address", "host a {\nmac 52:54:00:00:00:01\naddress 10.0.0.1\n}\n",
	 ERRC("t.conf:1: host address 10.0.0.1 is the server's own address")},

	/* --- cross-checks (rb_config_check) ------------------------------------------------------------ */
	{"overlapping subnets", "subnet 10.0.0.0/24 {\n}\nsubnet 10.0.0.0/16 {\n}\n",
	 ERRC("t.conf:3: subnet 10.0.0.0/16 overlaps subnet 10.0.0.0/24 (at "), "t.conf:1)"},
	{"the same subnet twice", "subnet 10.0.0.0/24 {\n}\n\nsubnet 10.0.0.0/24 {\n}\n",
	 ERRC("t.conf:4: subnet 10.0.0.0/24 overlaps subnet 10.0.0.0/24 (at "), "t.conf:1)"},
	{"range with the server address",
	 "address 10.0.0.1/24\nsubnet 10.0.0.0/24 {\nrange 10.0.0.1 10.0.0.50\n}\n",
	 ERRC("t.conf:2: range 10.0.0.1-10.0.0.50 contains the server address 10.0.0.1")},
	{"ranges with proxy-dhcp", "proxy-dhcp yes\nsubnet 10.0.0.0/24 {\nrange 10.0.0.5 10.0.0.9\n}\n",
	 ERRC("t.conf:2: address ranges cannot be used with proxy-dhcp")},
	{"check wants an interface", "address 10.0.0.1\nroot /srv\n",
	 ERRC("no interface set (config 'interface' or --interface)"), .bare = true},
	{"check wants an address", "interface eth0\nroot /srv\n",
	 ERRC("no server address set (config 'address' or --address)"), .bare = true},
	{"check wants a root", "interface eth0\naddress 10.0.0.1\n",
	 ERRC("no root directory set (config 'root' or --root)"), .bare = true},
	{"interface, address and root are enough", "interface eth0\naddress 10.0.0.1\nroot /srv\n",
	 .bare = true},
};

static int check_conf_row(const struct conf_row *t)
{
	char path[PATH_MAX + 64], err[PATH_MAX + 512] = "";
	struct rb_config c;
	int rc, bad = 0;

	write_text("t.conf", t->conf);
	if (t->inv)
		write_text("hosts.txt", t->inv);
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	rb_config_init(&c);
	rc = rb_config_load(&c, path, err, sizeof(err));
	if (t->stage == LOAD) {
		if (rc == 0) {
			print_error("row \"%s\": loaded, want error \"%s\"\n", t->why, t->err);
			bad = 1;
		}
		goto matched;
	}
	if (rc != 0) {
		print_error("row \"%s\": load failed: %s\n", t->why, err);
		bad = 1;
		goto out;
	}
	if (!t->bare)
		fill_required(&c);
	rc = rb_config_check(&c, err, sizeof(err));
	if (t->stage == CHECK) {
		if (rc == 0) {
			print_error("row \"%s\": check passed, want error \"%s\"\n", t->why, t->err);
			bad = 1;
		}
		goto matched;
	}
	if (rc != 0) {
		print_error("row \"%s\": check failed: %s\n", t->why, err);
		bad = 1;
	} else if (t->verify && t->verify(&c)) {
		print_error("row \"%s\": verify failed\n", t->why);
		bad = 1;
	}
	goto out;
matched:
	if (!bad && (!strstr(err, t->err) || (t->err2 && !strstr(err, t->err2)))) {
		print_error("row \"%s\": error \"%s\", want \"%s\"%s%s\n", t->why, err, t->err,
			    t->err2 ? " and " : "", t->err2 ? t->err2 : "");
		bad = 1;
	}
out:
	rb_config_free(&c);
	if (t->inv)
		remove_file("hosts.txt");
	return bad;
}

static void test_config_rows(void **state)
{
	(void)state;
	RUN_TABLE(conf_rows, check_conf_row, "config rows");
}

/* ------------------------------------------------------------------ */
/* The small parsers                                                   */

enum { P_IPV4, P_MAC, P_CIDR };

struct parse_row {
	int which;
	const char *in;
	int rc;
	uint32_t ip;          /* P_IPV4, P_CIDR (host order) */
	unsigned prefix;      /* P_CIDR */
	uint8_t mac[6];       /* P_MAC */
};

static const struct parse_row parse_rows[] = {
	{P_IPV4, "10.0.0.1", .rc = 0, .ip = 0x0a000001},
	{P_IPV4, "255.255.255.255", .rc = 0, .ip = 0xffffffff},
	{P_IPV4, "0.0.0.0", .rc = 0, .ip = 0},
	{P_IPV4, "10.0.0", .rc = -1},
	{P_IPV4, "10.0.0.1.", .rc = -1},
	{P_IPV4, "10.0.0.256", .rc = -1},
	{P_IPV4, "010.0.0.1", .rc = -1},     /* inet_pton refuses leading zeros */
	{P_IPV4, " 10.0.0.1", .rc = -1},
	{P_IPV4, "10.0.0.1/24", .rc = -1},
	{P_IPV4, "", .rc = -1},
	{P_IPV4, "0x0a.0.0.1", .rc = -1},
	{P_MAC, "52:54:00:ab:CD:ef", .rc = 0, .mac = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}},
	{P_MAC, "52-54-00-ab-cd-ef", .rc = 0, .mac = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}},
	{P_MAC, "ff:ff:ff:ff:ff:ff", .rc = 0, .mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	{P_MAC, "52:54:00:ab:cd", .rc = -1},
	{P_MAC, "52:54:00:ab:cd:ef:01", .rc = -1},
	{P_MAC, "52:54:00:ab:cd:eg", .rc = -1},
	{P_MAC, "52:54-00:ab:cd:ef", .rc = -1},
	{P_MAC, "52.54.00.ab.cd.ef", .rc = -1},
	{P_MAC, "5254.00ab.cdef", .rc = -1},
	{P_MAC, "525400abcdef", .rc = -1},
	{P_MAC, "52:54:00:ab:cd:e ", .rc = -1},
	{P_MAC, "", .rc = -1},
	{P_CIDR, "10.0.0.0/24", .rc = 0, .ip = 0x0a000000, .prefix = 24},
	{P_CIDR, "10.0.0.1/24", .rc = 0, .ip = 0x0a000001, .prefix = 24}, /* host bits are the caller's business */
	{P_CIDR, "0.0.0.0/0", .rc = 0, .ip = 0, .prefix = 0},
	{P_CIDR, "10.1.2.3/32", .rc = 0, .ip = 0x0a010203, .prefix = 32},
	{P_CIDR, "10.0.0.0/33", .rc = -1},
	{P_CIDR, "10.0.0.0/", .rc = -1},
	{P_CIDR, "10.0.0.0", .rc = -1},
	{P_CIDR, "10.0.0.0/2a", .rc = -1},
	{P_CIDR, "10.0.0.0/-1", .rc = -1},
	{P_CIDR, "10.0.0.0/100", .rc = -1},
	{P_CIDR, "10.0.0/8", .rc = -1},
	{P_CIDR, "/8", .rc = -1},
};

static int check_parse_row(const struct parse_row *t)
{
	uint32_t v = 0xdeadbeef;
	unsigned prefix = 99;
	uint8_t mac[6] = {0};
	int rc;

	switch (t->which) {
	case P_IPV4: rc = rb_parse_ipv4(t->in, &v); break;
	case P_MAC:  rc = rb_parse_mac(t->in, mac); break;
	default:     rc = rb_parse_cidr(t->in, &v, &prefix); break;
	}
	if (rc != t->rc) {
		print_error("parse \"%s\": rc %d, want %d\n", t->in, rc, t->rc);
		return 1;
	}
	if (rc)
		return 0;
	if ((t->which == P_IPV4 || t->which == P_CIDR) && v != t->ip) {
		print_error("parse \"%s\": 0x%08x, want 0x%08x\n", t->in, v, t->ip);
		return 1;
	}
	if (t->which == P_CIDR && prefix != t->prefix) {
		print_error("parse \"%s\": prefix %u, want %u\n", t->in, prefix, t->prefix);
		return 1;
	}
	if (t->which == P_MAC && memcmp(mac, t->mac, 6)) {
		print_error("parse \"%s\": wrong bytes\n", t->in);
		return 1;
	}
	return 0;
}

static void test_parsers(void **state)
{
	(void)state;
	RUN_TABLE(parse_rows, check_parse_row, "parser rows");
}

/* ------------------------------------------------------------------ */
/* Whole files and lookups                                             */

static const char full_example[] =
	"# global settings\n"
	"interface eth0\n"
	"address 10.0.0.1/24          # server address (and optionally prefix)\n"
	"root /srv/rackboot           # directory served over TFTP and HTTP\n"
	"state-dir /var/lib/rackboot  # lease database\n"
	"inventory hosts.txt          # relative paths are relative to this file's directory\n"
	"tftp-port 69\n"
	"http-port 80\n"
	"proxy-dhcp no                # yes|no\n"
	"bpf yes                      # yes|no  (no = no_bpf)\n"
	"boot-bios undionly.kpxe      # defaults: undionly.kpxe, ipxe.efi, ipxe-arm64.efi\n"
	"boot-efi-x64 ipxe.efi\n"
	"boot-efi-arm64 ipxe-arm64.efi\n"
	"default-profile compute\n"
	"router 10.0.0.254            # global DHCP options (apply to every subnet)\n"
	"dns 10.0.0.53 10.0.0.54\n"
	"domain example.net\n"
	"mtu 1500\n"
	"lease-time 1h                # seconds, or with suffix s m h d\n"
	"\n"
	"subnet 10.0.0.0/24 {\n"
	"    range 10.0.0.100 10.0.0.199      # several range lines allowed (max RB_MAX_RANGES)\n"
	"    range 10.0.0.200 10.0.0.210\n"
	"    router 10.0.0.1\n"
	"    dns 10.0.0.1\n"
	"    domain rack1.example.net\n"
	"    mtu 9000\n"
	"    lease-time 3600\n"
	"}\n"
	"\n"
	"profile compute {\n"
	"    kernel vmlinuz                   # paths relative to root (or absolute http URLs)\n"
	"    initrd initrd.img\n"
	"    cmdline \"console=ttyS0 ip=dhcp\"\n"
	"}\n"
	"profile rescue {\n"
	"    script-file rescue.ipxe          # raw iPXE script read at load time (relative to config dir)\n"
	"}\n"
	"profile inline {\n"
	"    script <<END                     # heredoc: lines up to a line that is exactly END (after trimming whitespace)\n"
	"#!ipxe\n"
	"echo hello\n"
	"END\n"
	"}\n"
	"\n"
	"host node01 {\n"
	"    mac 52:54:00:00:00:01\n"
	"    address 10.0.0.11\n"
	"    profile compute\n"
	"    router 10.0.0.1                  # per-host overrides of router/dns/domain/mtu/lease-time\n"
	"}\n";

static void test_full_example(void **state)
{
	static const uint8_t m1[6] = {0x52, 0x54, 0, 0, 0, 1}, m2[6] = {0x52, 0x54, 0, 0, 0, 2};
	char path[PATH_MAX + 64], err[PATH_MAX + 512];
	const struct rb_host *h;
	struct rb_dhcp_params e;
	struct rb_config c;

	(void)state;
	write_text("t.conf", full_example);
	write_text("hosts.txt", "52:54:00:00:00:02 10.0.0.12 node02 compute\n");
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	rb_config_init(&c);
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	if (rb_config_check(&c, err, sizeof(err)))
		fail_msg("check: %s", err);

	assert_string_equal(c.interface, "eth0");
	assert_int_equal(c.address, ip("10.0.0.1"));
	assert_int_equal(c.prefix, 24);
	assert_string_equal(c.root, "/srv/rackboot");
	assert_string_equal(c.state_dir, "/var/lib/rackboot");
	snprintf(path, sizeof(path), "%s/hosts.txt", dir);
	assert_string_equal(c.inventory, path);
	assert_int_equal(c.tftp_port, 69);
	assert_int_equal(c.http_port, 80);
	assert_false(c.proxy_dhcp);
	assert_false(c.no_bpf);
	assert_string_equal(c.boot_bios, "undionly.kpxe");
	assert_string_equal(c.boot_efi_x64, "ipxe.efi");
	assert_string_equal(c.boot_efi_arm64, "ipxe-arm64.efi");
	assert_int_equal(c.nsubnets, 1);
	assert_int_equal(c.subnets[0].nranges, 2);
	assert_int_equal(c.nprofiles, 3);
	assert_int_equal(c.default_profile, 0);
	assert_string_equal(c.profiles[0].name, "compute");
	assert_string_equal(c.profiles[0].cmdline, "console=ttyS0 ip=dhcp");
	assert_string_equal(c.profiles[1].script, "#!ipxe\necho rescue\n");
	assert_string_equal(c.profiles[2].script, "#!ipxe\necho hello\n");
	assert_true(ends_with(c.profiles[2].where, "/t.conf:39"));
	assert_int_equal(c.nhosts, 2);

	h = rb_host_by_mac(&c, m1);
	assert_non_null(h);
	assert_string_equal(h->name, "node01");
	assert_true(ends_with(h->where, "/t.conf:46"));
	rb_params_effective(&c, rb_subnet_for(&c, h->ip), h, &e);
	assert_int_equal(e.nrouters, 1);
	assert_int_equal(e.routers[0], nip("10.0.0.1"));   /* host */
	assert_int_equal(e.ndns, 1);
	assert_int_equal(e.dns[0], nip("10.0.0.1"));       /* subnet */
	assert_string_equal(e.domain, "rack1.example.net");
	assert_int_equal(e.mtu, 9000);
	assert_int_equal(e.lease_time, 3600);
	assert_ptr_equal(rb_profile_for(&c, h), &c.profiles[0]);

	h = rb_host_by_mac(&c, m2);
	assert_non_null(h);
	assert_string_equal(h->name, "node02");
	assert_int_equal(h->ip, ip("10.0.0.12"));
	assert_ptr_equal(rb_profile_for(&c, h), &c.profiles[0]);

	rb_config_free(&c);
	remove_file("hosts.txt");
}

/* script-file, inventory and root follow the config file's directory,
 * whatever the working directory; errors name files as they were reached. */
static void test_relative_paths(void **state)
{
	char cwd[PATH_MAX], sub[PATH_MAX + 64], path[PATH_MAX + 64], want[PATH_MAX + 64];
	char err[PATH_MAX + 512];
	struct rb_config c;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(sub, sizeof(sub), "%s/etc", dir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/etc/rb", dir);
	mkdir(sub, 0755);
	write_text("etc/rb/t.conf", "root ../../srv\nstate-dir /var/x\ninventory hosts.txt\n"
				    "profile p {\nscript-file scripts/p.ipxe\n}\n");
	snprintf(sub, sizeof(sub), "%s/etc/rb/scripts", dir);
	mkdir(sub, 0755);
	write_text("etc/rb/scripts/p.ipxe", "#!ipxe\nchain http://x/y\n");
	write_text("etc/rb/hosts.txt", "52:54:00:00:00:01 - h1 p\n");

	/* An absolute config path. */
	snprintf(path, sizeof(path), "%s/etc/rb/t.conf", dir);
	rb_config_init(&c);
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	snprintf(want, sizeof(want), "%s/etc/rb/../../srv", dir);
	assert_string_equal(c.root, want);
	assert_string_equal(c.state_dir, "/var/x");
	snprintf(want, sizeof(want), "%s/etc/rb/hosts.txt", dir);
	assert_string_equal(c.inventory, want);
	assert_string_equal(c.profiles[0].script, "#!ipxe\nchain http://x/y\n");
	assert_int_equal(c.hosts[0].profile, 0);
	rb_config_free(&c);

	/* A relative config path from elsewhere. */
	assert_int_equal(chdir(dir), 0);
	rb_config_init(&c);
	if (rb_config_load(&c, "etc/rb/t.conf", err, sizeof(err)))
		fail_msg("load: %s", err);
	assert_string_equal(c.inventory, "etc/rb/hosts.txt");
	assert_string_equal(c.root, "etc/rb/../../srv");
	assert_string_equal(c.profiles[0].script, "#!ipxe\nchain http://x/y\n");
	rb_config_free(&c);

	/* From the config's own directory: names stay as written, so do errors. */
	assert_int_equal(chdir("etc/rb"), 0);
	write_text("etc/rb/hosts.txt", "52:54:00:00:00:01\nzz:...\n");
	rb_config_init(&c);
	assert_int_equal(rb_config_load(&c, "t.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "hosts.txt:2: bad MAC address 'zz:...'");
	rb_config_free(&c);
	write_text("etc/rb/t.conf", "profile p {\nscript-file scripts/none.ipxe\n}\n");
	rb_config_init(&c);
	assert_int_equal(rb_config_load(&c, "t.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:2: script-file 'scripts/none.ipxe': No such file or directory");
	rb_config_free(&c);
	assert_int_equal(chdir(cwd), 0);
}

static void test_init_and_free(void **state)
{
	char path[PATH_MAX + 64], err[PATH_MAX + 512];
	struct rb_config c, fresh;

	(void)state;
	rb_config_init(&fresh);
	assert_int_equal(fresh.tftp_port, 69);
	assert_int_equal(fresh.http_port, 80);
	assert_string_equal(fresh.boot_bios, "undionly.kpxe");
	assert_string_equal(fresh.boot_efi_x64, "ipxe.efi");
	assert_string_equal(fresh.boot_efi_arm64, "ipxe-arm64.efi");
	assert_int_equal(fresh.default_profile, -1);
	assert_int_equal(fresh.nsubnets + fresh.nhosts + fresh.nprofiles, 0);
	assert_null(fresh.subnets);
	assert_null(fresh.priv);
	assert_string_equal(fresh.interface, "");
	assert_int_equal(fresh.address, 0);
	assert_false(fresh.proxy_dhcp);
	assert_false(fresh.no_bpf);

	write_text("t.conf", full_example);
	write_text("hosts.txt", "52:54:00:00:00:02 10.0.0.12 node02 compute\n");
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	rb_config_init(&c);
	for (int round = 0; round < 3; round++) {
		if (rb_config_load(&c, path, err, sizeof(err)))
			fail_msg("load: %s", err);
		assert_int_equal(c.nprofiles, 3);
		rb_config_free(&c);
		/* Free leaves c as rb_config_init does (and ready to reuse). */
		assert_memory_equal(&c, &fresh, sizeof(c));
	}
	rb_config_free(&c); /* twice is harmless */

	/* A failed load leaves a config that frees cleanly (LeakSanitizer checks). */
	write_text("t.conf", "profile a {\nscript <<E\n#!ipxe\nE\n}\nsubnet 10.0.0.0/24 {\n"
			     "host x {\n");
	rb_config_init(&c);
	assert_int_equal(rb_config_load(&c, path, err, sizeof(err)), -1);
	rb_config_free(&c);
	remove_file("hosts.txt");
}

static void test_file_errors(void **state)
{
	char path[PATH_MAX + 64], want[PATH_MAX + 128], err[PATH_MAX + 512];
	struct rb_config c;

	(void)state;
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	rb_config_init(&c);
	assert_int_equal(rb_config_load(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(rb_inventory_load(&c, path, err, sizeof(err)), -1);
	assert_string_equal(err, want);

	/* The inventory the file names is missing: the message names it. */
	write_text("t.conf", "inventory missing.txt\n");
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	assert_int_equal(rb_config_load(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/missing.txt: No such file or directory", dir);
	assert_string_equal(err, want);
	rb_config_free(&c);

	/* A NUL byte. */
	write_file("t.conf", "interface eth0\nmtu 1\0" "500\n", 25);
	rb_config_init(&c);
	assert_int_equal(rb_config_load(&c, path, err, sizeof(err)), -1);
	assert_true(ends_with(err, "t.conf:2: NUL byte in line"));
	rb_config_free(&c);

	/* No err buffer: still fails cleanly. */
	write_text("t.conf", "bogus\n");
	rb_config_init(&c);
	assert_int_equal(rb_config_load(&c, path, NULL, 0), -1);
	rb_config_free(&c);

	/* A very long line is fine (no fixed line buffer). */
	{
		size_t n = 100000;
		char *big = malloc(n + 32);

		assert_non_null(big);
		memcpy(big, "# ", 2);
		memset(big + 2, 'x', n);
		memcpy(big + 2 + n, "\nmtu 1500\n", 11);
		write_text("t.conf", big);
		free(big);
		rb_config_init(&c);
		assert_int_equal(rb_config_load(&c, path, err, sizeof(err)), 0);
		assert_int_equal(c.defaults.mtu, 1500);
		rb_config_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_rows),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_init_and_free),
		cmocka_unit_test(test_file_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
