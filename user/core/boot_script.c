/* Per-node iPXE scripts (see boot_script.h and docs/CONFIG.md, "profile
 * blocks").
 *
 * A template is text with {{name}} in it, optional blanks inside the braces
 * ({{ mac }}). "{{" always starts a variable: its "}}" must follow on the
 * same line, and the name must be one of vars[] below. Everything else,
 * iPXE's own ${...} included, is copied as it is. Expansion is one pass: a
 * value that itself contains "{{" is inserted literally.
 *
 * Values are inserted verbatim, except that a value with a line break
 * (LF or CR) makes the render fail: a hostname sent by a DHCP client must
 * not be able to add lines to an iPXE script. (A NUL cannot be inside a C
 * string; it simply ends the value.)
 *
 * The profile fields are rendered in order kernel, initrd, cmdline, then
 * the script; each may use the profile variables (kernel, initrd, cmdline)
 * of the fields before it only, so no field refers to itself. */
#include "core/boot_script.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

enum var {
	V_MAC, V_IP, V_HOSTNAME, V_ARCH, V_SERVER, V_PROFILE, V_BASE_URL,
	V_KERNEL, V_INITRD, V_CMDLINE, NVARS
};

static const char *const vars[NVARS] = {
	"mac", "ip", "hostname", "arch", "server", "profile", "base_url",
	"kernel", "initrd", "cmdline",
};

/* Fields of a profile, in the order they are rendered. */
enum field { F_KERNEL, F_INITRD, F_CMDLINE, F_SCRIPT };

static const char *const field_name[] = {"kernel", "initrd", "cmdline", "script"};

/* May variable v be used in field f? The profile's own values only in the
 * fields rendered after them. */
static bool var_allowed(enum var v, enum field f)
{
	switch (v) {
	case V_KERNEL:  return f > F_KERNEL;
	case V_INITRD:  return f > F_INITRD;
	case V_CMDLINE: return f > F_CMDLINE;
	default:        return true;
	}
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One variable reference; s points at its "{{". */
struct ref {
	const char *end;        /* just past "}}" (parse ok or unknown name) */
	const char *name;       /* the name, blanks trimmed */
	size_t namelen;
};

enum { REF_OK = 0, REF_UNCLOSED = -1, REF_UNKNOWN = -2 };

/* The variable at s ("{{" ... "}}" on one line). Its index, or REF_UNCLOSED
 * (no "}}" before the end of the line), or REF_UNKNOWN (r->end is set). */
static int parse_ref(const char *s, struct ref *r)
{
	const char *p = s + 2, *e;

	for (e = p; *e && *e != '\n' && !(e[0] == '}' && e[1] == '}'); e++)
		;
	if (e[0] != '}')
		return REF_UNCLOSED;
	r->end = e + 2;
	while (p < e && blank(*p))
		p++;
	while (e > p && blank(e[-1]))
		e--;
	r->name = p;
	r->namelen = (size_t)(e - p);
	for (int v = 0; v < NVARS; v++)
		if (strlen(vars[v]) == r->namelen && !memcmp(vars[v], p, r->namelen))
			return v;
	return REF_UNKNOWN;
}

/* ------------------------------------------------------------------ */
/* Checking                                                            */

/* 0, or -1 with the first problem of template t (field f) in err. */
static int check_field(const char *t, enum field f, char *err, size_t errlen)
{
	unsigned line = 1;
	char where[32];

	for (const char *s = t; *s; s++) {
		struct ref r;
		int v;

		if (*s == '\n') {
			line++;
			continue;
		}
		if (s[0] != '{' || s[1] != '{')
			continue;
		if (f == F_SCRIPT)
			snprintf(where, sizeof(where), "script line %u", line);
		else
			snprintf(where, sizeof(where), "%s", field_name[f]);
		v = parse_ref(s, &r);
		if (v == REF_UNCLOSED) {
			if (err && errlen)
				snprintf(err, errlen, "unclosed '{{' in %s", where);
			return -1;
		}
		if (v == REF_UNKNOWN) {
			int n = (int)(r.end - s);

			if (err && errlen)
				snprintf(err, errlen, "unknown template variable '%.*s%s' in %s",
					 n > 64 ? 60 : n, s, n > 64 ? "...}}" : "", where);
			return -1;
		}
		if (!var_allowed((enum var)v, f)) {
			if (err && errlen)
				snprintf(err, errlen,
					 "template variable '{{%s}}' cannot be used in %s "
					 "(only after it: kernel, initrd, cmdline, script)",
					 vars[v], where);
			return -1;
		}
		s = r.end - 1;
	}
	return 0;
}

int boot_script_check(const struct rb_profile *p, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!p) {
		if (err && errlen)
			snprintf(err, errlen, "no profile");
		return -1;
	}
	if (check_field(p->kernel, F_KERNEL, err, errlen) < 0 ||
	    check_field(p->initrd, F_INITRD, err, errlen) < 0 ||
	    check_field(p->cmdline, F_CMDLINE, err, errlen) < 0)
		return -1;
	if (p->script && check_field(p->script, F_SCRIPT, err, errlen) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */

/* An output buffer; buf NULL only counts. ok turns false, for good, when
 * something does not fit or a value is refused. */
struct out {
	char *buf;
	size_t cap, len;
	bool ok;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (!o->ok)
		return;
	if (o->buf) {
		if (n >= o->cap - o->len) { /* room for the NUL too */
			o->ok = false;
			return;
		}
		memcpy(o->buf + o->len, s, n);
		o->buf[o->len + n] = '\0';
	} else if (n > SIZE_MAX - 1 - o->len) {
		o->ok = false;
		return;
	}
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A value from outside: refused if it would break the script's line. */
static void put_value(struct out *o, const char *s)
{
	if (strpbrk(s, "\r\n")) {
		o->ok = false;
		return;
	}
	puts_(o, s);
}

/* The values of the variables, for one render. */
struct ctx {
	const char *val[NVARS];  /* V_BASE_URL unused: written as "http://" + server */
};

static void put_var(struct out *o, const struct ctx *c, enum var v)
{
	if (v == V_BASE_URL) {
		puts_(o, "http://");
		put_value(o, c->val[V_SERVER]);
	} else {
		put_value(o, c->val[v]);
	}
}

/* Template t of field f into o. */
static void expand(struct out *o, const char *t, enum field f, const struct ctx *c)
{
	const char *s = t;

	while (o->ok && *s) {
		const char *b = strstr(s, "{{");
		struct ref r;
		int v;

		if (!b) {
			puts_(o, s);
			return;
		}
		put(o, s, (size_t)(b - s));
		v = parse_ref(b, &r);
		if (v < 0 || !var_allowed((enum var)v, f)) {
			o->ok = false;
			return;
		}
		put_var(o, c, (enum var)v);
		s = r.end;
	}
}

/* Template t of field f into a fresh malloc'd string, or NULL. */
static char *expand_alloc(const char *t, enum field f, const struct ctx *c)
{
	struct out o = {NULL, 0, 0, true};
	char *s;

	expand(&o, t, f, c);
	if (!o.ok || !(s = malloc(o.len + 1)))
		return NULL;
	o = (struct out){s, o.len + 1, 0, true};
	s[0] = '\0';
	expand(&o, t, f, c);
	if (!o.ok) {
		free(s);
		return NULL;
	}
	return s;
}

static bool is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* Field f (kernel or initrd) as the URL iPXE fetches: rendered, then as it
 * is if it is an http(s) URL, else "http://SERVER/" + the path. */
static char *url_alloc(const char *t, enum field f, const struct ctx *c)
{
	char *path = expand_alloc(t, f, c), *url;
	const char *rel;
	struct out o = {NULL, 0, 0, true};

	if (!path || is_url(path))
		return path;
	for (rel = path; *rel == '/'; rel++)
		;
	put_var(&o, c, V_BASE_URL);
	put(&o, "/", 1);
	puts_(&o, rel);
	url = o.ok ? malloc(o.len + 1) : NULL;
	if (url) {
		o = (struct out){url, o.len + 1, 0, true};
		put_var(&o, c, V_BASE_URL);
		put(&o, "/", 1);
		puts_(&o, rel);
	}
	free(path);
	return url;
}

/* The name iPXE gives the initrd image: the last path component of its
 * URL, without a ?query. */
static void put_basename(struct out *o, const char *url)
{
	size_t end = strcspn(url, "?#"), start = end;

	while (start > 0 && url[start - 1] != '/')
		start--;
	put(o, url + start, end - start);
}

/* The script a kernel profile becomes. */
static void kernel_script(struct out *o, const struct ctx *c)
{
	const char *k = c->val[V_KERNEL], *i = c->val[V_INITRD], *cmd = c->val[V_CMDLINE];

	puts_(o, "#!ipxe\nkernel ");
	put_value(o, k);
	if (cmd[0]) {
		put(o, " ", 1);
		put_value(o, cmd);
	}
	if (i[0]) {
		put(o, " initrd=", 8);
		put_basename(o, i);
		puts_(o, "\ninitrd ");
		put_value(o, i);
	}
	puts_(o, "\nboot\n");
}

int boot_script_render(const struct rb_profile *p, const struct boot_vars *v, char *out,
		       size_t cap)
{
	static const struct boot_vars none;
	char *kernel = NULL, *initrd = NULL, *cmdline = NULL;
	struct out o = {out, cap, 0, true};
	struct ctx c;
	int rc = -1;

	if (!out || !cap)
		return -1;
	out[0] = '\0';
	if (!p || (!p->script && !p->kernel[0]))
		return -1;
	if (!v)
		v = &none;
	c.val[V_MAC] = v->mac ? v->mac : "";
	c.val[V_IP] = v->ip ? v->ip : "";
	c.val[V_HOSTNAME] = v->hostname ? v->hostname : "";
	c.val[V_ARCH] = v->arch ? v->arch : "";
	c.val[V_SERVER] = v->server ? v->server : "";
	c.val[V_PROFILE] = v->profile ? v->profile : "";
	c.val[V_BASE_URL] = "";
	c.val[V_KERNEL] = c.val[V_INITRD] = c.val[V_CMDLINE] = "";
	if (p->kernel[0]) {
		if (!(kernel = url_alloc(p->kernel, F_KERNEL, &c)))
			goto done;
		c.val[V_KERNEL] = kernel;
	}
	if (p->initrd[0]) {
		if (!(initrd = url_alloc(p->initrd, F_INITRD, &c)))
			goto done;
		c.val[V_INITRD] = initrd;
	}
	if (p->cmdline[0]) {
		if (!(cmdline = expand_alloc(p->cmdline, F_CMDLINE, &c)))
			goto done;
		c.val[V_CMDLINE] = cmdline;
	}
	if (p->script)
		expand(&o, p->script, F_SCRIPT, &c);
	else
		kernel_script(&o, &c);
	if (o.ok && o.len <= INT_MAX)
		rc = (int)o.len;
done:
	free(kernel);
	free(initrd);
	free(cmdline);
	if (rc < 0)
		out[0] = '\0';
	return rc;
}
