/* rackboot-storm command line (see storm_args.h). */
#include "storm/storm_args.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int err_at(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err_at(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

int storm_parse_mix(const char *s, unsigned w[SK__N], char *err, size_t errlen)
{
	bool seen[SK__N] = { false };
	unsigned total = 0;
	const char *p = s;

	memset(w, 0, sizeof(unsigned) * SK__N);
	while (*p) {
		const char *eq = strchr(p, '='), *comma = strchr(p, ',');
		if (!comma)
			comma = p + strlen(p);
		if (!eq || eq > comma)
			return err_at(err, errlen, "--mix: want KIND=WEIGHT, got '%.*s'", (int)(comma - p), p);
		int k = -1;
		for (int i = 0; i < SK__N; i++)
			if ((size_t)(eq - p) == strlen(storm_kind_name(i)) &&
			    !strncmp(p, storm_kind_name(i), (size_t)(eq - p)))
				k = i;
		if (k < 0)
			return err_at(err, errlen, "--mix: unknown kind '%.*s' (bios, uefi, ipxe)",
				      (int)(eq - p), p);
		if (seen[k])
			return err_at(err, errlen, "--mix: '%s' given twice", storm_kind_name(k));
		seen[k] = true;
		char *e;
		errno = 0;
		unsigned long v = strtoul(eq + 1, &e, 10);
		if (e != comma || e == eq + 1 || eq[1] == '-' || errno || v > 1000000)
			return err_at(err, errlen, "--mix: bad weight for %s", storm_kind_name(k));
		w[k] = (unsigned)v;
		total += (unsigned)v;
		p = *comma ? comma + 1 : comma;
		if (*comma && !*p)
			return err_at(err, errlen, "--mix: trailing comma");
	}
	if (!total)
		return err_at(err, errlen, "--mix: every weight is 0");
	return 0;
}

int storm_parse_start(const char *s, double *rate, char *err, size_t errlen)
{
	if (!strcmp(s, "all")) {
		*rate = 0;
		return 0;
	}
	if (!strncmp(s, "ramp:", 5)) {
		char *e;
		double r = strtod(s + 5, &e);
		if (e != s + 5 && !*e && r > 0 && r <= 1e7) {
			*rate = r;
			return 0;
		}
	}
	return err_at(err, errlen, "--start: want 'all' or 'ramp:RATE' (nodes per second), got '%s'", s);
}

int storm_parse_phases(const char *s, int *last, char *err, size_t errlen)
{
	bool want[PH__N] = { false };
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, ",");
		int ph = -1;
		if (n == 4 && !strncmp(p, "dhcp", 4)) ph = PH_DHCP;
		else if (n == 4 && !strncmp(p, "tftp", 4)) ph = PH_TFTP;
		else if (n == 9 && (!strncmp(p, "ipxe_dhcp", 9) || !strncmp(p, "ipxe-dhcp", 9))) ph = PH_IPXE_DHCP;
		else if (n == 4 && !strncmp(p, "http", 4)) ph = PH_HTTP;
		if (ph < 0)
			return err_at(err, errlen, "--phases: unknown phase '%.*s' (dhcp, tftp, ipxe_dhcp, http)",
				      (int)n, p);
		want[ph] = true;
		p += n;
		if (*p == ',' && !*++p)
			return err_at(err, errlen, "--phases: trailing comma");
	}
	if (want[PH_HTTP])
		want[PH_IPXE_DHCP] = true;     /* iPXE asks DHCP for its script first */
	int l = -1;
	for (int i = 0; i < PH__N; i++)
		if (want[i])
			l = i;
	if (l < 0)
		return err_at(err, errlen, "--phases: empty");
	for (int i = 0; i <= l; i++)
		if (!want[i])
			return err_at(err, errlen, "--phases: '%s' is missing (phases run in the order "
				      "dhcp,tftp,ipxe_dhcp,http; list a prefix)", storm_phase_name(i));
	*last = l;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int storm_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17 || (s[2] != ':' && s[2] != '-'))
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *q = s + 3 * i;
		int hi = hexval(q[0]), lo = hexval(q[1]);
		if (hi < 0 || lo < 0 || (i < 5 && q[2] != s[2]))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static uint64_t mac48(const uint8_t m[6])
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | m[i];
	return v;
}

void storm_node_mac(const uint8_t base[6], uint32_t i, uint8_t mac[6])
{
	uint64_t v = (mac48(base) + i) & 0xffffffffffffull;
	for (int k = 5; k >= 0; k--, v >>= 8)
		mac[k] = (uint8_t)v;
}

int64_t storm_mac_index(const uint8_t base[6], const uint8_t mac[6])
{
	uint64_t b = mac48(base), m = mac48(mac);
	return m >= b ? (int64_t)(m - b) : -1;
}

void storm_mix_assign(const unsigned w[SK__N], unsigned n, uint8_t *kinds)
{
	int64_t cur[SK__N] = { 0 }, total = 0;
	for (int k = 0; k < SK__N; k++)
		total += w[k];
	for (unsigned i = 0; i < n; i++) {
		int best = -1;
		for (int k = 0; k < SK__N; k++) {
			if (!w[k])
				continue;
			cur[k] += w[k];
			if (best < 0 || cur[k] > cur[best])
				best = k;
		}
		cur[best] -= total;
		kinds[i] = (uint8_t)best;
	}
}

void storm_usage(FILE *f)
{
	fprintf(f,
		"usage: rackboot-storm --interface IF [options]\n"
		"Simulates N network-booting nodes from one process against a boot server:\n"
		"PXE DHCP, TFTP of the boot program, iPXE DHCP, HTTP of the script, kernel\n"
		"and initrd, each node with its own MAC and leased address.\n"
		"\n"
		"  --interface IF        client interface (required; run in its namespace)\n"
		"  --nodes N             simulated nodes (default 1)\n"
		"  --start all|ramp:R    start every node at once, or R nodes per second\n"
		"  --mix bios=W,uefi=W,ipxe=W   firmware mix by weight (default bios=50,uefi=40,ipxe=10);\n"
		"                        ipxe nodes already run iPXE: DHCP then HTTP, no TFTP\n"
		"  --mac-base MAC        MAC of node 0; node i has MAC+i (default 02:53:00:00:00:00)\n"
		"  --phases LIST         stop after the last listed of dhcp,tftp,ipxe_dhcp,http\n"
		"                        (default all; 'dhcp,tftp' = PXE DHCP and TFTP only)\n"
		"  --timeout-scale F     multiply every protocol timeout (DHCP 4,8,16,32 s; TFTP 4 s;\n"
		"                        HTTP idle 30 s; proxy-offer wait) by F (default 1)\n"
		"  --proxy-wait S        how long an address offer without boot information waits\n"
		"                        for a proxyDHCP offer (default 1 s, scaled)\n"
		"  --max-time S          hard bound of the whole run (default 600)\n"
		"  --json FILE           per-node data (times, bytes, retries, failure) as JSON\n"
		"  --progress            a status line on stderr every second\n"
		"  -h, --help            this text\n"
		"Exit status: 0 every node booted, 1 some failed, 2 usage or setup error.\n");
}

static int num(const char *s, double lo, double hi, double *out)
{
	char *e;
	errno = 0;
	double v = strtod(s, &e);
	if (e == s || *e || errno || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

int storm_args_parse(int argc, char **argv, struct storm_cfg *cfg, char *err, size_t errlen)
{
	static const struct option lo[] = {
		{ "interface", required_argument, 0, 'i' },
		{ "nodes", required_argument, 0, 'n' },
		{ "start", required_argument, 0, 's' },
		{ "mix", required_argument, 0, 'm' },
		{ "mac-base", required_argument, 0, 'M' },
		{ "phases", required_argument, 0, 'p' },
		{ "timeout-scale", required_argument, 0, 'T' },
		{ "proxy-wait", required_argument, 0, 'W' },
		{ "max-time", required_argument, 0, 'X' },
		{ "json", required_argument, 0, 'j' },
		{ "progress", no_argument, 0, 'P' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	static const uint8_t def_mac[6] = { 0x02, 0x53, 0, 0, 0, 0 };
	double v;
	int c;

	*cfg = (struct storm_cfg){
		.nodes = 1, .last_phase = PH_HTTP, .timeout_scale = 1, .max_time = 600,
		.proxy_wait = 1, .mix = { 50, 40, 10 },
	};
	memcpy(cfg->mac_base, def_mac, 6);
	optind = 0;                      /* glibc: full re-initialisation (tests parse twice) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (strlen(optarg) >= 16 || !*optarg)
				return err_at(err, errlen, "--interface: bad name '%s'", optarg);
			cfg->ifname = optarg;
			break;
		case 'n':
			if (num(optarg, 1, STORM_MAX_NODES, &v) < 0 || v != (unsigned)v)
				return err_at(err, errlen, "--nodes: want 1..%d, got '%s'", STORM_MAX_NODES, optarg);
			cfg->nodes = (unsigned)v;
			break;
		case 's':
			if (storm_parse_start(optarg, &cfg->ramp_rate, err, errlen) < 0)
				return -1;
			break;
		case 'm':
			if (storm_parse_mix(optarg, cfg->mix, err, errlen) < 0)
				return -1;
			break;
		case 'M':
			if (storm_parse_mac(optarg, cfg->mac_base) < 0 || (cfg->mac_base[0] & 1))
				return err_at(err, errlen, "--mac-base: want a unicast MAC, got '%s'", optarg);
			break;
		case 'p':
			if (storm_parse_phases(optarg, &cfg->last_phase, err, errlen) < 0)
				return -1;
			break;
		case 'T':
			if (num(optarg, 0.001, 100, &cfg->timeout_scale) < 0)
				return err_at(err, errlen, "--timeout-scale: want 0.001..100, got '%s'", optarg);
			break;
		case 'W':
			if (num(optarg, 0, 60, &cfg->proxy_wait) < 0)
				return err_at(err, errlen, "--proxy-wait: want 0..60 seconds, got '%s'", optarg);
			break;
		case 'X':
			if (num(optarg, 0.1, 86400, &cfg->max_time) < 0)
				return err_at(err, errlen, "--max-time: want 0.1..86400 seconds, got '%s'", optarg);
			break;
		case 'j': cfg->json_path = optarg; break;
		case 'P': cfg->progress = true; break;
		case 'h': return 1;
		default:
			return err_at(err, errlen, "unknown or incomplete option '%s'",
				      optind > 0 && optind <= argc ? argv[optind - 1] : "?");
		}
	}
	if (optind != argc)
		return err_at(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (!cfg->ifname)
		return err_at(err, errlen, "--interface is required");
	/* node MACs count up in the lower five octets only: a carry into the
	 * first would make them multicast or globally administered */
	uint8_t last[6];
	storm_node_mac(cfg->mac_base, cfg->nodes - 1, last);
	if (last[0] != cfg->mac_base[0])
		return err_at(err, errlen, "--mac-base: %u nodes would wrap into the first octet", cfg->nodes);
	return 0;
}
