/* Unit tests for per-node iPXE scripts (user/boot_script.c): rendering a
 * profile with a node's facts, and checking templates at load time.
 *
 * Table driven. A render row is {why, profile, vars, the script wanted
 * (NULL: render must fail), cap (0: a page), whether boot_script_check
 * accepts the profile}. Every render writes into a buffer that ends at an
 * unmapped page, so a write one byte too far faults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"
#include "guard_page.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/boot_script.h"
#include "core/config.h"

/* A node as the HTTP server would describe it. */
#define NODE                                                                          \
	{.mac = "52:54:00:12:34:56", .ip = "10.0.0.42", .hostname = "node42",          \
	 .arch = "efi-x64", .server = "10.0.0.1:8080", .profile = "compute"}

#define KERNEL(k, i, c) {.name = "p", .kernel = k, .initrd = i, .cmdline = c}
#define SCRIPT(s)       {.name = "p", .script = (char *)(s)}

/* For the exact-capacity rows: its length + 1 fits, its length does not. */
#define SMALL "#!ipxe\nkernel http://10.0.0.1:8080/k\nboot\n"

struct row {
	const char *why;
	struct rb_profile prof;
	struct boot_vars vars;
	const char *want;    /* NULL: render returns -1 */
	size_t cap;          /* 0: a whole page */
	bool bad;            /* boot_script_check refuses the profile */
};

static const struct row rows[] = {
	/* --- kernel profiles ------------------------------------------------- */
	{"kernel, initrd and cmdline, all with templates",
	 KERNEL("images/{{arch}}/vmlinuz", "images/{{arch}}/initrd.img",
		"console=ttyS0 hostname={{hostname}} BOOTIF={{mac}} ip={{ip}} "
		"ks={{base_url}}/ks/{{profile}}.cfg"),
	 NODE,
	 .want = "#!ipxe\n"
	 "kernel http://10.0.0.1:8080/images/efi-x64/vmlinuz console=ttyS0 hostname=node42 "
	 "BOOTIF=52:54:00:12:34:56 ip=10.0.0.42 ks=http://10.0.0.1:8080/ks/compute.cfg "
	 "initrd=initrd.img\n"
	 "initrd http://10.0.0.1:8080/images/efi-x64/initrd.img\n"
	 "boot\n"},
	{"the documented example (docs/CONFIG.md)",
	 KERNEL("vmlinuz", "initrd.img", "console=ttyS0 ip=dhcp"),
	 {.server = "10.0.0.1:80"},
	 .want = "#!ipxe\nkernel http://10.0.0.1:80/vmlinuz console=ttyS0 ip=dhcp initrd=initrd.img\n"
	 "initrd http://10.0.0.1:80/initrd.img\nboot\n"},
	{"kernel only: no initrd= argument, no initrd line",
	 KERNEL("vmlinuz", "", ""), NODE,
	 .want = "#!ipxe\nkernel http://10.0.0.1:8080/vmlinuz\nboot\n"},
	{"kernel and cmdline, no initrd",
	 KERNEL("vmlinuz", "", "quiet"), NODE,
	 .want = "#!ipxe\nkernel http://10.0.0.1:8080/vmlinuz quiet\nboot\n"},
	{"kernel and initrd, no cmdline: one space before initrd=",
	 KERNEL("vmlinuz", "initrd.img", ""), NODE,
	 .want = "#!ipxe\nkernel http://10.0.0.1:8080/vmlinuz initrd=initrd.img\n"
	 "initrd http://10.0.0.1:8080/initrd.img\nboot\n"},
	{"a cmdline that renders empty adds no space",
	 KERNEL("vmlinuz", "", "{{hostname}}"), {.server = "s"},
	 .want = "#!ipxe\nkernel http://s/vmlinuz\nboot\n"},
	{"http and https URLs are used as they are",
	 KERNEL("https://mirror.example/k/vmlinuz", "http://mirror.example:81/k/initrd.gz", "x"),
	 NODE,
	 .want = "#!ipxe\nkernel https://mirror.example/k/vmlinuz x initrd=initrd.gz\n"
	 "initrd http://mirror.example:81/k/initrd.gz\nboot\n"},
	{"a kernel that renders to a URL ({{base_url}}) is used as it is",
	 KERNEL("{{base_url}}/k/vmlinuz", "{{ base_url }}/k/initrd", ""), NODE,
	 .want = "#!ipxe\nkernel http://10.0.0.1:8080/k/vmlinuz initrd=initrd\n"
	 "initrd http://10.0.0.1:8080/k/initrd\nboot\n"},
	{"a URL with templates in it",
	 KERNEL("http://{{server}}/{{hostname}}/vmlinuz", "", ""), NODE,
	 .want = "#!ipxe\nkernel http://10.0.0.1:8080/node42/vmlinuz\nboot\n"},
	{"initrd in directories: initrd= names the last component",
	 KERNEL("a/b/vmlinuz", "images/fedora/40/initramfs-x86_64.img", "ro"), NODE,
	 .want = "#!ipxe\nkernel http://10.0.0.1:8080/a/b/vmlinuz ro initrd=initramfs-x86_64.img\n"
	 "initrd http://10.0.0.1:8080/images/fedora/40/initramfs-x86_64.img\nboot\n"},
	{"initrd URL with a query: the name stops before '?'",
	 KERNEL("vmlinuz", "https://h/x/initrd.img?token=abc/def", ""), {.server = "s"},
	 .want = "#!ipxe\nkernel http://s/vmlinuz initrd=initrd.img\n"
	 "initrd https://h/x/initrd.img?token=abc/def\nboot\n"},
	{"a path with a leading slash does not give '//'",
	 KERNEL("/boot/vmlinuz", "", ""), {.server = "s"},
	 .want = "#!ipxe\nkernel http://s/boot/vmlinuz\nboot\n"},
	{"cmdline may use {{kernel}} and {{initrd}} (the URLs)",
	 KERNEL("vmlinuz", "i.img", "k={{kernel}} i={{initrd}}"), {.server = "s"},
	 .want = "#!ipxe\nkernel http://s/vmlinuz k=http://s/vmlinuz i=http://s/i.img initrd=i.img\n"
	 "initrd http://s/i.img\nboot\n"},
	{"initrd may use {{kernel}}", KERNEL("k", "{{kernel}}.initrd", ""), {.server = "s"},
	 .want = "#!ipxe\nkernel http://s/k initrd=k.initrd\ninitrd http://s/k.initrd\nboot\n"},
	{"iPXE's ${...} passes through a cmdline",
	 KERNEL("vmlinuz", "", "BOOTIF=${net0/mac} ip=${ip}"), {.server = "s"},
	 .want = "#!ipxe\nkernel http://s/vmlinuz BOOTIF=${net0/mac} ip=${ip}\nboot\n"},

	/* --- raw scripts ---------------------------------------------------- */
	{"raw script with variables, iPXE's ${...} untouched",
	 SCRIPT("#!ipxe\necho {{hostname}} ({{mac}}, {{arch}}) via ${net0/mac}\n"
		"chain {{base_url}}/menus/{{profile}}.ipxe?ip={{ip}}&mac=${mac:hexhyp}\n"),
	 NODE,
	 .want = "#!ipxe\necho node42 (52:54:00:12:34:56, efi-x64) via ${net0/mac}\n"
	 "chain http://10.0.0.1:8080/menus/compute.ipxe?ip=10.0.0.42&mac=${mac:hexhyp}\n"},
	{"a raw script without templates is served as it is",
	 SCRIPT("#!ipxe\nset x ${y}\n:label\ngoto label\n"), NODE,
	 .want = "#!ipxe\nset x ${y}\n:label\ngoto label\n"},
	{"blanks inside the braces",
	 SCRIPT("#!ipxe\n{{ mac }} {{\tip\t}} {{  hostname}} {{server  }}\n"), NODE,
	 .want = "#!ipxe\n52:54:00:12:34:56 10.0.0.42 node42 10.0.0.1:8080\n"},
	{"a template at the very start and end, side by side",
	 SCRIPT("{{arch}}{{profile}}"), NODE, .want = "efi-x64compute"},
	{"a lone '{', '}' and '}}' are text",
	 SCRIPT("#!ipxe\nif { x } }} {y} ${a}\n"), NODE, .want = "#!ipxe\nif { x } }} {y} ${a}\n"},
	{"the profile variables are empty in a raw script",
	 SCRIPT("#!ipxe\n[{{kernel}}][{{initrd}}][{{cmdline}}]\n"), NODE, .want = "#!ipxe\n[][][]\n"},
	{"a value is inserted once, not expanded again",
	 SCRIPT("#!ipxe\necho {{hostname}}\n"), {.hostname = "{{mac}}", .mac = "m"},
	 .want = "#!ipxe\necho {{mac}}\n"},
	{"empty (NULL) vars are empty strings; base_url is then just http://",
	 SCRIPT("#!ipxe\n[{{mac}}][{{ip}}][{{hostname}}][{{arch}}][{{server}}][{{profile}}]"
		"[{{base_url}}]\n"),
	 {0}, .want = "#!ipxe\n[][][][][][][http://]\n"},
	{"a template in the last line without a newline", SCRIPT("#!ipxe\necho {{ip}}"), NODE,
	 .want = "#!ipxe\necho 10.0.0.42"},

	/* --- refused values ---------------------------------------------------- */
	{"a hostname with a newline is refused",
	 SCRIPT("#!ipxe\necho {{hostname}}\n"), {.hostname = "x\nshell"}, .want = NULL},
	{"a hostname with a CR is refused", SCRIPT("#!ipxe\necho {{hostname}}\n"),
	 {.hostname = "x\rshell"}, .want = NULL},
	{"a newline in the server refuses base_url too", SCRIPT("#!ipxe\n{{base_url}}\n"),
	 {.server = "s\nx"}, .want = NULL},
	{"a newline in a value used by the cmdline", KERNEL("k", "", "h={{hostname}}"),
	 {.server = "s", .hostname = "a\n"}, .want = NULL},
	{"a newline in a value used by the kernel", KERNEL("{{hostname}}/k", "", ""),
	 {.server = "s", .hostname = "a\nb"}, .want = NULL},
	{"a newline in a value the script does not use is harmless",
	 SCRIPT("#!ipxe\necho {{mac}}\n"), {.hostname = "x\nshell", .mac = "m"},
	 .want = "#!ipxe\necho m\n"},

	/* --- bad templates (refused at load; render fails too) ----------------- */
	{"unknown variable in a cmdline", KERNEL("k", "", "a={{nosuch}}"), NODE, .bad = true},
	{"unknown variable in a script", SCRIPT("#!ipxe\necho {{ MAC }}\n"), NODE, .bad = true},
	{"unclosed braces in a script", SCRIPT("#!ipxe\necho {{mac\n"), NODE, .bad = true},
	{"'}}' on the next line does not close", SCRIPT("#!ipxe\necho {{mac\n}}\n"), NODE, .bad = true},
	{"'{{}}' is an unknown (empty) name", SCRIPT("#!ipxe\n{{}}\n"), NODE, .bad = true},
	{"'{{{mac}}}': '{{' always starts a variable", SCRIPT("#!ipxe\n{{{mac}}}\n"), NODE, .bad = true},
	{"the kernel cannot use {{kernel}}", KERNEL("{{kernel}}", "", ""), NODE, .bad = true},
	{"the kernel cannot use {{cmdline}}", KERNEL("k{{cmdline}}", "", "x"), NODE, .bad = true},
	{"the cmdline cannot use {{cmdline}}", KERNEL("k", "", "{{cmdline}}"), NODE, .bad = true},
	{"neither kernel nor script", KERNEL("", "i", "c"), NODE, .want = NULL},

	/* --- capacity ---------------------------------------------------------- */
	{"cap == length + 1 fits", KERNEL("k", "", ""), {.server = "10.0.0.1:8080"}, .want = SMALL,
	 .cap = sizeof(SMALL)},
	{"cap == length does not", KERNEL("k", "", ""), {.server = "10.0.0.1:8080"}, .want = NULL,
	 .cap = sizeof(SMALL) - 1},
	{"cap 1", KERNEL("k", "", ""), {.server = "s"}, .want = NULL, .cap = 1},
	{"raw script: cap == length + 1 fits", SCRIPT("#!ipxe\n{{mac}}\n"), {.mac = "m"},
	 .want = "#!ipxe\nm\n", .cap = 10},
	{"raw script: cap == length does not", SCRIPT("#!ipxe\n{{mac}}\n"), {.mac = "m"},
	 .want = NULL, .cap = 9},
	{"raw script ending in a variable: cap == length does not",
	 SCRIPT("#!ipxe\n{{mac}}"), {.mac = "mm"}, .want = NULL, .cap = 9},
};

static int check_row(const struct row *r)
{
	size_t cap = r->cap ? r->cap : page_size;
	char *out = (char *)guard_out(cap);
	char err[256];
	int n, c, bad = 0;

	n = boot_script_render(&r->prof, &r->vars, out, cap);
	if (r->want && (n < 0 || (size_t)n != strlen(r->want) || strcmp(out, r->want))) {
		print_error("row \"%s\": render %d:\n%s\n--- want:\n%s\n", r->why, n,
			    n < 0 ? "(failed)" : out, r->want);
		bad = 1;
	} else if (!r->want && n != -1) {
		print_error("row \"%s\": render %d, want -1:\n%s\n", r->why, n, out);
		bad = 1;
	} else if (!r->want && out[0] != '\0') {
		print_error("row \"%s\": failed render left \"%s\", want \"\"\n", r->why, out);
		bad = 1;
	}
	if (!r->prof.kernel[0] && !r->prof.script)
		return bad; /* not a profile the config would hold */
	c = boot_script_check(&r->prof, err, sizeof(err));
	if (c != (r->bad ? -1 : 0)) {
		print_error("row \"%s\": check %d (%s), want %d\n", r->why, c, err, r->bad ? -1 : 0);
		bad = 1;
	}
	return bad;
}

static void test_render_rows(void **state)
{
	(void)state;
	RUN_TABLE(rows, check_row, "render rows");
}

/* boot_script_check's messages: what, and in which field or script line. */
struct check_row {
	const char *why;
	struct rb_profile prof;
	const char *err;  /* NULL: accepted */
};

static const struct check_row check_rows[] = {
	{"every variable, in every place it is allowed",
	 {.name = "p", .kernel = "{{mac}}{{ip}}{{hostname}}{{arch}}{{server}}{{profile}}{{base_url}}",
	  .initrd = "{{kernel}}", .cmdline = "{{kernel}} {{initrd}} {{ profile }}"}, NULL},
	{"a script may use them all",
	 SCRIPT("#!ipxe\n{{mac}}{{ip}}{{hostname}}{{arch}}{{server}}{{profile}}{{base_url}}"
		"{{kernel}}{{initrd}}{{cmdline}}\n"), NULL},
	{"unknown in cmdline", KERNEL("k", "", "x={{foo}}"),
	 "unknown template variable '{{foo}}' in cmdline"},
	{"unknown in kernel", KERNEL("{{hostnme}}/k", "", ""),
	 "unknown template variable '{{hostnme}}' in kernel"},
	{"unknown in initrd", KERNEL("k", "{{ bogus }}", ""),
	 "unknown template variable '{{ bogus }}' in initrd"},
	{"unknown in a script, with its line", SCRIPT("#!ipxe\necho ok\n\nkernel {{kernell}}\n"),
	 "unknown template variable '{{kernell}}' in script line 4"},
	{"names are case sensitive", SCRIPT("#!ipxe\n{{MAC}}\n"),
	 "unknown template variable '{{MAC}}' in script line 2"},
	{"unclosed in a script, with its line", SCRIPT("#!ipxe\necho {{mac}}\necho {{mac\n}}\n"),
	 "unclosed '{{' in script line 3"},
	{"unclosed at the very end", SCRIPT("#!ipxe\n{{"), "unclosed '{{' in script line 2"},
	{"unclosed: a single '}'", KERNEL("k", "", "{{mac}"), "unclosed '{{' in cmdline"},
	{"the first problem is reported", KERNEL("{{a}}", "{{b}}", "{{c"),
	 "unknown template variable '{{a}}' in kernel"},
	{"a long unknown name is shortened",
	 SCRIPT("#!ipxe\n{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}\n"),
	 "unknown template variable '{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...}}' "
	 "in script line 2"},
	{"kernel cannot use initrd", KERNEL("{{initrd}}", "i", ""),
	 "template variable '{{initrd}}' cannot be used in kernel"},
	{"initrd cannot use cmdline", KERNEL("k", "{{ cmdline }}", ""),
	 "template variable '{{cmdline}}' cannot be used in initrd"},
};

static int check_check_row(const struct check_row *r)
{
	char err[256] = "x";
	int rc = boot_script_check(&r->prof, err, sizeof(err));

	if (!r->err && (rc != 0 || err[0])) {
		print_error("row \"%s\": check %d \"%s\", want 0 and \"\"\n", r->why, rc, err);
		return 1;
	}
	if (r->err && (rc != -1 || strncmp(err, r->err, strlen(r->err)))) {
		print_error("row \"%s\": check %d \"%s\", want -1 \"%s\"\n", r->why, rc, err, r->err);
		return 1;
	}
	return 0;
}

static void test_check_rows(void **state)
{
	(void)state;
	RUN_TABLE(check_rows, check_check_row, "check rows");
}

/* Arguments at the edges: no buffer, no vars, no err buffer, a tiny err. */
static void test_edges(void **state)
{
	struct rb_profile k = KERNEL("vmlinuz", "", ""), bad = KERNEL("k", "", "{{x}}");
	char out[64], err[8];

	(void)state;
	assert_int_equal(boot_script_render(&k, NULL, out, sizeof(out)),
			 (int)strlen("#!ipxe\nkernel http:///vmlinuz\nboot\n"));
	assert_string_equal(out, "#!ipxe\nkernel http:///vmlinuz\nboot\n");
	assert_int_equal(boot_script_render(&k, NULL, NULL, 64), -1);
	assert_int_equal(boot_script_render(&k, NULL, out, 0), -1);
	assert_int_equal(boot_script_render(NULL, NULL, out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(boot_script_check(&bad, NULL, 0), -1);
	assert_int_equal(boot_script_check(&bad, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown");
	assert_int_equal(boot_script_check(NULL, err, sizeof(err)), -1);
	assert_int_equal(boot_script_check(&k, NULL, 0), 0);
}

/* Long values: refused when the result does not fit, never truncated;
 * fine when it does. */
static void test_long_values(void **state)
{
	static char script[100000], host[5000], out[200000];
	struct rb_profile p = {.name = "p"};
	struct boot_vars v = {.hostname = host};
	size_t n = 7;

	(void)state;
	memset(host, 'h', sizeof(host) - 1);
	memcpy(script, "#!ipxe\n", 7);
	while (n + 14 < sizeof(script)) {
		memcpy(script + n, "{{hostname}}\n", 13);
		n += 13;
	}
	script[n] = '\0';
	p.script = script;
	/* About 7700 lines of 5000 bytes: much bigger than out. */
	assert_int_equal(boot_script_render(&p, &v, out, sizeof(out)), -1);
	assert_string_equal(out, "");
	/* A short script with the same long value fits. */
	p.script = (char *)"#!ipxe\n{{hostname}}\n";
	assert_int_equal(boot_script_render(&p, &v, out, sizeof(out)), 7 + 4999 + 1);
	assert_int_equal(strspn(out + 7, "h"), 4999);
	/* A long value through the kernel line. */
	strcpy(p.kernel, "{{hostname}}");
	strcpy(p.cmdline, "h={{hostname}}");
	p.script = NULL;
	assert_int_equal(boot_script_render(&p, &v, out, sizeof(out)),
			 (int)strlen("#!ipxe\nkernel http:/// h=") + 2 * 4999 +
				 (int)strlen("\nboot\n"));
	assert_int_equal(strspn(out + strlen("#!ipxe\nkernel http:///"), "h"), 4999);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_rows),
		cmocka_unit_test(test_check_rows),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_long_values),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
