/* rackbootd's configuration: the config file, the host inventory file, and
 * the command-line flags for the common case, all into one struct rb_config.
 * The file format is documented in docs/CONFIG.md and rackbootd.conf(5).
 * Every error names the file and line at fault. */
#ifndef RACKBOOT_CONFIG_H
#define RACKBOOT_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RB_MAX_ADDRS  8     /* routers or DNS servers in one option */
#define RB_MAX_RANGES 16    /* ranges in one subnet */

/* DHCP options handed out; a host's set overrides its subnet's field by field. */
enum rb_param_bit {
	RBP_ROUTERS = 1 << 0, RBP_DNS = 1 << 1, RBP_DOMAIN = 1 << 2, RBP_MTU = 1 << 3,
	RBP_LEASE = 1 << 4,
};
struct rb_dhcp_params {
	unsigned set;                        /* enum rb_param_bit */
	uint32_t routers[RB_MAX_ADDRS];      /* network order */
	unsigned nrouters;
	uint32_t dns[RB_MAX_ADDRS];
	unsigned ndns;
	char domain[128];
	uint16_t mtu;
	uint32_t lease_time;                 /* seconds */
};

struct rb_range { uint32_t lo, hi; };      /* host order, inclusive */

struct rb_subnet {
	uint32_t net, mask;                  /* host order */
	struct rb_range ranges[RB_MAX_RANGES];
	unsigned nranges;
	struct rb_dhcp_params params;
	char where[PATH_MAX + 16];           /* "file:line" of its definition */
};

/* What a node boots once iPXE runs. Either kernel (+initrd, cmdline) or a
 * raw iPXE script (inline text or read from a file at load time). */
struct rb_profile {
	char name[64];
	char kernel[256], initrd[256];
	char cmdline[1024];
	char *script;                        /* malloc'd iPXE script text, or NULL */
	char where[PATH_MAX + 16];
};

struct rb_host {
	char name[64];                       /* hostname handed out (option 12) */
	uint8_t mac[6];
	uint32_t ip;                         /* reserved address, host order; 0 = none */
	int profile;                         /* index into profiles, -1 = the default */
	struct rb_dhcp_params params;
	char where[PATH_MAX + 16];
};

struct rb_config_priv;                     /* config.c's own bookkeeping */

struct rb_config {
	char interface[IF_NAMESIZE];
	uint32_t address;                    /* host order; 0 = unset */
	unsigned prefix;                     /* of --address a.b.c.d/N; 0 = unset */
	char root[PATH_MAX];
	char state_dir[PATH_MAX];
	char inventory[PATH_MAX];            /* "" = none */
	unsigned tftp_port, http_port;       /* defaults 69 and 80 */
	bool proxy_dhcp, no_bpf;
	/* boot files by firmware, relative to root (defaults in config.c) */
	char boot_bios[128], boot_efi_x64[128], boot_efi_arm64[128];
	/* TFTP files served from the eBPF fast path besides the boot files
	 * (tftp-hot), and the largest file it serves (tftp-hot-max-size) */
#define RB_MAX_HOT 16
	char tftp_hot[RB_MAX_HOT][128];
	unsigned ntftp_hot;
	uint64_t tftp_hot_max;
	struct rb_dhcp_params defaults;      /* global options: apply to every subnet */
	struct rb_subnet *subnets;  size_t nsubnets;
	struct rb_host *hosts;      size_t nhosts;
	struct rb_profile *profiles; size_t nprofiles;
	int default_profile;                 /* index, or -1: serve root/boot.ipxe */
	/* Private to config.c: array capacities and the MAC -> host hash index
	 * behind rb_host_by_mac. NULL after rb_config_init; freed by
	 * rb_config_free. Copying the struct (to swap configs) is fine. */
	struct rb_config_priv *priv;
};

/* Defaults only (ports, boot file names, empty tables). */
void rb_config_init(struct rb_config *c);
/* Read a config file into c (on top of what is there). 0, or -1 with
 * "file:line: message" in err. Reads the inventory it names too, after the
 * whole file; if c->inventory is already set on entry (--inventory), that
 * file is read instead of the one the file names. On error c may be partly
 * filled: rb_config_free it. */
int rb_config_load(struct rb_config *c, const char *path, char *err, size_t errlen);
/* Read an inventory file (one host per line, see docs/CONFIG.md); profiles
 * it names must already be in c. Sets c->inventory to path on success. */
int rb_inventory_load(struct rb_config *c, const char *path, char *err, size_t errlen);
/* Cross-checks after everything is loaded and flags applied: ranges inside
 * their subnet and not overlapping, reservations unique by MAC and address,
 * profiles exist, required settings present. 0, or -1 + err. */
int rb_config_check(const struct rb_config *c, char *err, size_t errlen);
void rb_config_free(struct rb_config *c);

/* Lookups used per packet. */
const struct rb_host *rb_host_by_mac(const struct rb_config *c, const uint8_t mac[6]);
const struct rb_subnet *rb_subnet_for(const struct rb_config *c, uint32_t ip_host_order);
/* Profile for a host (NULL host = unknown node): its own, else the default, else NULL. */
const struct rb_profile *rb_profile_for(const struct rb_config *c, const struct rb_host *h);
/* Effective params for a host in a subnet: global defaults < subnet < host. */
void rb_params_effective(const struct rb_config *c, const struct rb_subnet *s,
			 const struct rb_host *h, struct rb_dhcp_params *out);

/* Small parsers shared with the flag handling (0 on success, -1 otherwise). */
int rb_parse_ipv4(const char *s, uint32_t *ip_host_order);
int rb_parse_mac(const char *s, uint8_t mac[6]);
int rb_parse_cidr(const char *s, uint32_t *net, unsigned *prefix);

#endif
