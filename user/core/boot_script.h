/* Per-node iPXE scripts: a profile (kernel + initrd + command line, or a raw
 * script) rendered with the node's facts. Template syntax: {{name}} where
 * name is one of the variables below; iPXE's own ${...} settings pass
 * through untouched. Unknown names are refused when the configuration is
 * loaded (boot_script_check), never at boot time. */
#ifndef RACKBOOT_BOOT_SCRIPT_H
#define RACKBOOT_BOOT_SCRIPT_H

#include <stddef.h>

struct rb_profile;

/* The facts about one node. Empty strings where unknown. */
struct boot_vars {
	const char *mac;        /* "52:54:00:12:34:56" */
	const char *ip;         /* the node's address */
	const char *hostname;
	const char *arch;       /* "bios", "efi-x64", "efi-arm64", ... */
	const char *server;     /* "10.0.0.1:8080": this server as the node reaches it */
	const char *profile;    /* profile name */
};

/* Variables: mac ip hostname arch server profile, and
 * base_url ("http://{{server}}"), kernel, initrd, cmdline (the profile's,
 * themselves rendered). Returns the length written (NUL-terminated), or -1
 * if out is too small or the template is invalid. */
int boot_script_render(const struct rb_profile *p, const struct boot_vars *v, char *out,
		       size_t cap);
/* Validate every template in a profile (kernel, initrd, cmdline, script).
 * 0, or -1 with err "unknown template variable '{{x}}' in cmdline". */
int boot_script_check(const struct rb_profile *p, char *err, size_t errlen);

#endif
