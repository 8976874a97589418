/* Unit tests for the filename remap engine (user/remap.c).
 *
 * Table driven: each row is {rules, input, request, client, expected result
 * or error, why}. Expected values come from tftpd-hpa's tftpd.8 "FILENAME
 * REMAPPING", its sample.rules and tftpd/remap.c. All rows are run and every
 * failing row is printed by name before the test fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tftp/remap.h"

/* ------------------------------------------------------------------ */
/* Mapping rows                                                        */

struct map_row {
	const char *why;
	const char *rules;
	const char *in;
	int is_write;    /* 1 = WRQ (PUT) */
	int family;      /* AF_INET, AF_INET6, or 0 = no client given */
	const char *ip;  /* client address for \i and \x */
	int steps;       /* max_steps; 0 = default */
	size_t outlen;   /* 0 = 512 */
	int use_valid;   /* pass valid_dot_ok() as the E callback */
	int rc;          /* expected return */
	const char *out; /* expected output when rc == 0 */
	const char *msg; /* expected *errmsg when rc != 0 (NULL = don't care) */
};

/* E callback: a "transferable file" is any name ending in ".ok". */
static int valid_dot_ok(const char *name, void *arg)
{
	size_t n = strlen(name);
	int *calls = arg;

	(*calls)++;
	return n >= 3 && !strcmp(name + n - 3, ".ok");
}

#define V4 .family = AF_INET, .ip = "192.0.2.169"
#define V6 .family = AF_INET6, .ip = "2001:db8::1"
#define OK(s) .rc = 0, .out = (s)
#define ERR(e, m) .rc = (e), .msg = (m)

/* tftpd-hpa's sample.rules, verbatim (tabs and comments included). */
static const char sample_rules[] =
	"#\n"
	"# Sample rule file for the -m (remapping option)\n"
	"#\n"
	"ri\t^[a-z]:\t\t\t\t# Remove \"drive letters\"\n"
	"rg\t\\\\\t\t/\t\t# Convert backslashes to slashes\n"
	"rg\t\\#\t\t@\t\t# Convert hash marks to @ signs\n"
	"rg\t/../\t\t/..no../\t# Convert /../ to /..no../\n"
	"e\t^ok/\t\t\t\t# These are always ok\n"
	"r\t^[^/]\t\t/tftpboot/\\0\t# Convert non-absolute files\n"
	"a\t\\.pvt$\t\t\t\t# Reject requests for private files\n";

static const struct map_row map_rows[] = {
	/* --- sample.rules -------------------------------------------- */
	{"sample: drive letter dropped, backslashes become slashes", sample_rules,
	 "C:\\boot\\pxelinux.0", V4, OK("/boot/pxelinux.0")},
	{"sample: hash marks become @, relative name gets /tftpboot/", sample_rules, "a#b#c", V4,
	 OK("/tftpboot/a@b@c")},
	{"sample: /../ defused", sample_rules, "/x/../etc/passwd", V4, OK("/x/..no../etc/passwd")},
	{"sample: the /../ regex has unescaped dots, so /ab/ matches too", sample_rules, "/ab/c", V4,
	 OK("/..no../c")},
	{"sample: e ^ok/ ends processing before the /tftpboot/ prefix", sample_rules, "ok/file", V4,
	 OK("ok/file")},
	{"sample: relative name prefixed with \\0", sample_rules, "pxelinux.0", V4,
	 OK("/tftpboot/pxelinux.0")},
	{"sample: .pvt denied with the standard TFTP message", sample_rules, "secret.pvt", V4,
	 ERR(-EACCES, "Access denied")},
	{"sample: ri matches an upper-case drive letter", sample_rules, "D:x", V4, OK("/tftpboot/x")},

	/* --- man page --------------------------------------------------- */
	{"man: a single caret always matches", "r ^ /srv/tftp/", "pxelinux.0", V4,
	 OK("/srv/tftp/pxelinux.0")},
	{"man: by default all rules run even after a match", "r a b\nr b c", "a", V4, OK("c")},

	/* --- r, g, gg ----------------------------------------------------- */
	{"r replaces only the first match", "r foo bar", "/foo/foo", V4, OK("/bar/foo")},
	{"r without replacement deletes the match", "r \\.gz$", "/a.gz", V4, OK("/a")},
	{"r that does not match leaves the name alone", "r ^/x/ /y/", "/a", V4, OK("/a")},
	{"rg replaces every match", "rg foo bar", "/foo/foo", V4, OK("/bar/bar")},
	{"rg rescans from the start, including replacements", "rg aa a", "aaaa", V4, OK("a")},
	{"rgg continues after each replacement (sed s///g)", "rgg aa a", "aaaa", V4, OK("aa")},
	{"rgg: ^ does not match again mid-string", "rgg ^. x", "abc", V4, OK("xbc")},
	{"rg: ^. matches its own result forever -> deadman", "rg ^. x", "abc", V4,
	 ERR(-ELOOP, "Remap table failure")},
	{"rg on an empty-matching regex never settles -> deadman", "rg x* y", "abc", V4,
	 .steps = 100, ERR(-ELOOP, "Remap table failure")},
	{"...or outgrows the work limit first (1 byte per step)", "rg x* y", "abc", V4,
	 ERR(-ENAMETOOLONG, "Remap table failure")},
	{"g without r is ignored (plain match)", "g a\nr ^ ok:", "a", V4, OK("ok:a")},
	{"ggg is the same as gg", "rggg aa a", "aaaa", V4, OK("aa")},

	/* --- i -------------------------------------------------------------- */
	{"i: case-insensitive match", "ri ^/BOOT/ /boot/", "/Boot/x", V4, OK("/boot/x")},
	{"without i the match is case sensitive", "r ^/BOOT/ /boot/", "/Boot/x", V4,
	 OK("/Boot/x")},
	{"i works with ~", "a~i ^/BOOT/", "/boot/x", V4, OK("/boot/x")},

	/* --- e, s ------------------------------------------------------------ */
	{"e ends processing when it matches", "e ^/ok/\nr ^ /no", "/ok/x", V4, OK("/ok/x")},
	{"e does nothing when it does not match", "e ^/ok/\nr ^ /no", "/x", V4, OK("/no/x")},
	{"re rewrites, then ends", "re ^/b/ /a/\nr ^/a/ /", "/b/b/x", V4, OK("/a/b/x")},
	{"rs rewrites, then restarts from the first rule", "r ^/a/ /\nrs ^/b/ /a/", "/b/b/x", V4,
	 OK("/x")},
	{"same rules without s: one pass only", "r ^/a/ /\nr ^/b/ /a/", "/b/b/x", V4, OK("/a/b/x")},
	{"s that keeps matching -> deadman", "s ^", "x", V4, ERR(-ELOOP, "Remap table failure")},

	/* --- a ---------------------------------------------------------------- */
	{"a denies with the standard message", "a \\.pvt$", "/x.pvt", V4,
	 ERR(-EACCES, "Access denied")},
	{"a that does not match lets the name through", "a \\.pvt$", "/x.cfg", V4, OK("/x.cfg")},
	{"a replacement is a custom message; \\0 is the match only",
	 "a \\.pvt$ No\\ private\\ files\\ (\\0)", "/x.pvt", V4,
	 ERR(-EACCES, "No private files (.pvt)")},
	{"a message may quote the client address", "a ^/secret Go\\ away\\ \\i", "/secret", V4,
	 ERR(-EACCES, "Go away 192.0.2.169")},
	{"a message that expands to nothing -> standard message", "a ^(x?)/ \\1", "/foo", V4,
	 ERR(-EACCES, "Access denied")},
	{"a message truncated to outlen", "a ^ No\\ private\\ files", "/x", V4, .outlen = 5,
	 ERR(-EACCES, "No p")},
	{"a message may use submatches", "a ^/(a)/(b) [\\2\\1]", "/a/b", V4,
	 ERR(-EACCES, "[ba]")},
	{"a after a rewrite sees the rewritten name", "r ^ /tftpboot/\na ^/tftpboot/x$", "x", V4,
	 ERR(-EACCES, "Access denied")},

	/* --- G, P, 4, 6 -------------------------------------------------------- */
	{"G applies to RRQ", "rG ^ get:", "f", V4, OK("get:f")},
	{"G is skipped for WRQ", "rG ^ get:", "f", .is_write = 1, V4, OK("f")},
	{"P applies to WRQ", "rP ^ put:", "f", .is_write = 1, V4, OK("put:f")},
	{"P is skipped for RRQ", "rP ^ put:", "f", V4, OK("f")},
	{"aP denies uploads only (RRQ)", "aP ^", "f", V4, OK("f")},
	{"aP denies uploads only (WRQ)", "aP ^", "f", .is_write = 1, V4,
	 ERR(-EACCES, "Access denied")},
	{"4 applies to IPv4 clients", "r4 ^ v4:\nr6 ^ v6:", "f", V4, OK("v4:f")},
	{"6 applies to IPv6 clients", "r4 ^ v4:\nr6 ^ v6:", "f", V6, OK("v6:f")},
	{"G and P together never apply", "rGP ^ x", "f", V4, OK("f")},
	{"no client: 4 and 6 never apply", "r4 ^ v4:\nr6 ^ v6:", "f", OK("f")},

	/* --- ~ ----------------------------------------------------------------- */
	{"a~ denies what does not match", "a~ ^/tftpboot/", "/etc/passwd", V4,
	 ERR(-EACCES, "Access denied")},
	{"a~ allows what matches", "a~ ^/tftpboot/", "/tftpboot/x", V4, OK("/tftpboot/x")},
	{"e~ ends when the regex does not match", "e~ ^/\nr ^ /", "x", V4, OK("x")},
	{"e~ does nothing when the regex matches", "e~ ^/\nr ^ /pre", "/x", V4, OK("/pre/x")},
	{"~: \\0 in a message is empty (no submatches)", "a~ ^/ [\\0]", "x", V4,
	 ERR(-EACCES, "[]")},

	/* --- E ----------------------------------------------------------------- */
	{"rE keeps a valid result and ends", "rE ^pxe/(.*)$ cache/\\1.ok\nr $ .miss", "pxe/x", V4,
	 .use_valid = 1, OK("cache/x.ok")},
	{"rE undoes an invalid result and goes on", "rE ^(.*)$ \\1.bad\nr $ .miss", "x", V4,
	 .use_valid = 1, OK("x.miss")},
	{"E without r ends if the name is valid", "E ^a\nr $ .miss", "a.ok", V4, .use_valid = 1,
	 OK("a.ok")},
	{"E without r goes on if the name is invalid", "E ^a\nr $ .miss", "a.bad", V4,
	 .use_valid = 1, OK("a.bad.miss")},
	{"E with no callback acts like e", "rE ^(.*)$ \\1.bad\nr $ .miss", "x", V4,
	 OK("x.bad")},
	{"E that does not match: callback not consulted, processing goes on",
	 "rE ^zzz x.ok\nr $ .miss", "a", V4, .use_valid = 1, OK("a.miss")},

	/* --- j and labels -------------------------------------------------------- */
	{"j jumps to a label", "j ^/pxe/ pxe\nr ^ /default\ne ^\n:pxe\nr ^/pxe/ /tftpboot/",
	 "/pxe/x", V4, OK("/tftpboot/x")},
	{"j that does not match falls through", "j ^/pxe/ pxe\nr ^ /default\ne ^\n:pxe\nr ^ NO",
	 "/y", V4, OK("/default/y")},
	{"j target built from a submatch", "j ^/(a|b)/ L\\1\ne ^\n:La\nr ^ A\ne ^\n:Lb\nr ^ B",
	 "/b/x", V4, OK("B/b/x")},
	{"': name' is a label too", "j ^ there\nr ^ skipped\n: there\nr ^ here:", "x", V4,
	 OK("here:x")},
	{"j backwards makes a loop the deadman stops", ":top\nj ^ top", "x", V4,
	 ERR(-ELOOP, "Remap table failure")},
	{"j to a missing label fails the mapping", "j ^ nowhere", "x", V4,
	 ERR(-ENOENT, "Remap table failure")},
	{"j with an empty label fails the mapping", "j ^", "x", V4,
	 ERR(-EINVAL, "Remap table failure")},
	{"labels cost no steps", ":a\n:b\n:c\nr ^ x", "y", V4, .steps = 1, OK("xy")},

	/* --- replacement escapes ------------------------------------------------- */
	{"\\1..\\9 and \\0", "r ^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$ \\9\\8\\7\\6\\5\\4\\3\\2\\1-\\0",
	 "abcdefghij", V4, OK("ihgfedcba-abcdefghij")},
	{"groups in the regex, only \\0 used", "r ^(a)(b)$ <\\0>", "ab", V4, OK("<ab>")},
	{"\\9 with nine groups, rg", "rg ^(x)(x)(x)(x)(x)(x)(x)(x)(y) \\9", "xxxxxxxxy", V4,
	 OK("y")},
	{"an unmatched group expands to nothing", "r ^(x)?a [\\1]", "a", V4, OK("[]")},
	{"a group the regex does not have expands to nothing", "r a [\\5]", "a", V4, OK("[]")},
	{"\\i IPv4 dotted quad", "r ^ \\i/", "f", V4, OK("192.0.2.169/f")},
	{"\\i IPv6 colon form", "r ^ \\i/", "f", V6, OK("2001:db8::1/f")},
	{"\\x IPv4: 8 upper-case hex digits", "r ^ \\x/", "f", V4, OK("C00002A9/f")},
	{"\\x IPv6: 32 upper-case hex digits", "r ^ \\x/", "f", V6,
	 OK("20010DB8000000000000000000000001/f")},
	{"\\x IPv4 with leading zeros", "r ^ \\x", "", .family = AF_INET, .ip = "10.0.0.1",
	 OK("0A000001")},
	{"\\L lowers \\x", "r ^ \\L\\x", "", V4, OK("c00002a9")},
	{"\\U raises \\i", "r ^ \\U\\i", "", .family = AF_INET6, .ip = "2001:db8::abcd",
	 OK("2001:DB8::ABCD")},
	{"no client: \\i and \\x are plain letters", "r ^ [\\i\\x]", "f", OK("[ix]f")},
	{"\\U upper-cases submatches", "r ^/(.*)$ /\\U\\1", "/pxelinux.cfg/01-aa", V4,
	 OK("/PXELINUX.CFG/01-AA")},
	{"\\L then \\E", "r ^(.*)-(.*)$ \\L\\1\\E-\\2", "ABC-DEF", V4, OK("abc-DEF")},
	{"\\U covers literal text but not the unmatched rest", "r ^ \\Uboot/", "x", V4,
	 OK("BOOT/x")},
	{"\\U then \\L switches mode", "r ^(..)(..)$ \\U\\1\\L\\2", "abCD", V4, OK("ABcd")},
	{"case folding leaves non-ASCII bytes alone", "r ^(.*)$ \\U\\1", "caf\xc3\xa9", V4,
	 OK("CAF\xc3\xa9")},
	{"\\\\ is a backslash", "r / \\\\", "a/b", V4, OK("a\\b")},
	{"\\\\ is not case folded away", "r ^ \\U\\\\x", "y", V4, OK("\\Xy")},
	{"'\\ ' is a space in the replacement", "r _ \\ ", "a_b", V4, OK("a b")},
	{"'\\ ' is a space in the regex", "r a\\ b X", "a b", V4, OK("X")},
	{"\\# in regex and replacement", "rg @ \\#", "a@b@c", V4, OK("a#b#c")},
	{"an unknown escape quotes the character", "r a \\q\\-", "a", V4, OK("q-")},
	{"a trailing lone backslash is literal", "r a b\\", "a", V4, OK("b\\")},
	{"\\\\ in the regex matches a backslash", "rg \\\\ /", "a\\b\\c", V4, OK("a/b/c")},

	/* --- rule file syntax ------------------------------------------------------ */
	{"# starts a comment mid-token", "r a b#c", "a", V4, OK("b")},
	{"# comment after the replacement", "r a b # c d", "a", V4, OK("b")},
	{"comment-only and blank lines are ignored", "# x\n\n   \n\t# y\nr a b\n", "a", V4,
	 OK("b")},
	{"\\\\# still comments (the backslash is escaped)", "r a b\\\\#c", "a", V4, OK("b\\")},
	{"CRLF line endings", "r a b\r\nr b c\r\n", "a", V4, OK("c")},
	{"no trailing newline", "r a b", "a", V4, OK("b")},
	{"tokens after the replacement are ignored", "r a b c d", "a", V4, OK("b")},
	{"empty rule set maps to itself", "", "/x", V4, OK("/x")},

	/* --- step limit ---------------------------------------------------------------- */
	{"three rules fit in three steps", "r ^ a\nr ^ b\nr ^ c", "", V4, .steps = 3, OK("cba")},
	{"three rules do not fit in two steps", "r ^ a\nr ^ b\nr ^ c", "", V4, .steps = 2,
	 ERR(-ELOOP, "Remap table failure")},
	{"rules filtered by G/P/4/6 cost no steps", "rP ^ z\nr6 ^ z\nr ^ a\nr ^ b", "", V4,
	 .steps = 2, OK("ba")},
	{"each g repeat is a step (3 steps suffice)", "rg a b", "aaa", V4, .steps = 3,
	 OK("bbb")},
	{"each g repeat is a step (2 are too few)", "rg a b", "aaa", V4, .steps = 2,
	 ERR(-ELOOP, "Remap table failure")},
	{"a rule that does not match still costs a step", "r zzz y\nr ^ a", "", V4, .steps = 1,
	 ERR(-ELOOP, "Remap table failure")},

	/* --- output size ---------------------------------------------------------------- */
	{"result exactly fills out", "r ^ ab", "c", V4, .outlen = 4, OK("abc")},
	{"result one byte too long", "r ^ ab", "cd", V4, .outlen = 4,
	 ERR(-ENAMETOOLONG, "Remap table failure")},
	{"no rules: input too long for out", "", "abcd", V4, .outlen = 4,
	 ERR(-ENAMETOOLONG, "Remap table failure")},
	{"runaway growth stops at the work limit", "rg .* \\0\\0", "ab", V4,
	 ERR(-ENAMETOOLONG, "Remap table failure")},
};

static int check_map_row(const struct map_row *t)
{
	char err[256];
	char out[512];
	unsigned char addr[16];
	struct remap_client client = {t->is_write, t->family, addr};
	struct remap_rules *rs;
	const char *msg = NULL;
	size_t outlen = t->outlen ? t->outlen : sizeof(out);
	int calls = 0;
	int rc, bad = 0;

	if (t->family && inet_pton(t->family, t->ip, addr) != 1) {
		print_error("row \"%s\": bad test address %s\n", t->why, t->ip);
		return 1;
	}
	rs = remap_parse(t->rules, strlen(t->rules), "map.rules", t->steps, err, sizeof(err));
	if (!rs) {
		print_error("row \"%s\": rules rejected: %s\n", t->why, err);
		return 1;
	}
	memset(out, 'X', sizeof(out));
	rc = remap_apply(rs, t->in, t->family ? &client : NULL, t->use_valid ? valid_dot_ok : NULL,
			 &calls, out, outlen, &msg);
	if (rc != t->rc) {
		print_error("row \"%s\": rc %d (%s), want %d\n", t->why, rc,
			    rc ? (msg ? msg : "(null)") : out, t->rc);
		bad = 1;
	} else if (rc == 0 && strcmp(out, t->out)) {
		print_error("row \"%s\": got \"%s\", want \"%s\"\n", t->why, out, t->out);
		bad = 1;
	} else if (rc != 0 && t->msg && (!msg || strcmp(msg, t->msg))) {
		print_error("row \"%s\": message \"%s\", want \"%s\"\n", t->why, msg ? msg : "(null)",
			    t->msg);
		bad = 1;
	} else if (rc == 0 && msg) {
		print_error("row \"%s\": errmsg set on success\n", t->why);
		bad = 1;
	}
	remap_free(rs);
	return bad;
}

static void test_map_table(void **state)
{
	(void)state;
	RUN_TABLE(map_rows, check_map_row, "mapping rows");
}

/* ------------------------------------------------------------------ */
/* Rule file errors                                                    */

struct parse_row {
	const char *why;
	const char *rules;
	const char *err; /* exact message */
};

static const struct parse_row parse_rows[] = {
	{"unknown operation letter", "r ^ a\nz foo", "map.rules:2: unknown operation 'z'"},
	{"unknown letter inside a valid set", "rgx a b", "map.rules:1: unknown operation 'x'"},
	{"non-printable operation byte", "\x01 a", "map.rules:1: unknown operation '\\x01'"},
	{"line numbers count comments and blank lines", "# c\n\nr a b\n  # d\nQ x",
	 "map.rules:5: unknown operation 'Q'"},
	{"line numbers count CRLF lines", "r a b\r\n\r\nq x\r\n",
	 "map.rules:3: unknown operation 'q'"},
	{"bad regex: unmatched (", "r a b\nr ( x", "map.rules:2: bad regex: Unmatched ( or \\("},
	{"bad regex: unmatched [", "e [a", "map.rules:1: bad regex: Unmatched [, [^, [:, [., or [="},
	{"bad regex: trailing backslash", "e \\", "map.rules:1: bad regex: Trailing backslash"},
	{"bad regex: *a", "e *a", "map.rules:1: bad regex: Invalid preceding regular expression"},
	{"missing regex", "r", "map.rules:1: missing regex"},
	{"missing regex: only a comment follows", "e # ^x", "map.rules:1: missing regex"},
	{"r~", "r~ a", "map.rules:1: operations 'r' and '~' cannot be combined"},
	{"ra", "ra a", "map.rules:1: operations 'r' and 'a' cannot be combined"},
	{"rj", "rj a b", "map.rules:1: operations 'r' and 'j' cannot be combined"},
	{"aj", "aj a b", "map.rules:1: operations 'a' and 'j' cannot be combined"},
	{"as", "sa a", "map.rules:1: operations 'a' and 's' cannot be combined"},
	{"ej", "ej a b", "map.rules:1: operations 'e' and 'j' cannot be combined"},
	{"ae", "ea a", "map.rules:1: operations 'a' and 'e' cannot be combined"},
	{"es", "es a", "map.rules:1: operations 'e' and 's' cannot be combined"},
	{"eE", "eE a", "map.rules:1: operations 'e' and 'E' cannot be combined"},
	{"Ej", "Ej a", "map.rules:1: operations 'E' and 'j' cannot be combined"},
	{"aE", "aE a", "map.rules:1: operations 'a' and 'E' cannot be combined"},
	{"Es", "Es a", "map.rules:1: operations 'E' and 's' cannot be combined"},
	{"first error wins", "x a\nr (", "map.rules:1: unknown operation 'x'"},
};

static void test_parse_errors(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		const struct parse_row *t = &parse_rows[i];
		char err[256] = "";
		struct remap_rules *rs;

		errno = 0;
		rs = remap_parse(t->rules, strlen(t->rules), "map.rules", 0, err, sizeof(err));
		if (rs) {
			print_error("row \"%s\": rules accepted\n", t->why);
			remap_free(rs);
			failed++;
		} else if (strcmp(err, t->err) || errno != EINVAL) {
			print_error("row \"%s\": error \"%s\" (errno %d), want \"%s\"\n", t->why, err,
				    errno, t->err);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* API corners                                                         */

static void test_counts_and_text_nuls(void **state)
{
	static const char text[] = "r a b\n\0:l\0abel\nr\0 b c\n";
	char err[128];
	char out[16];
	struct remap_rules *rs;

	(void)state;
	rs = remap_parse("", 0, NULL, 0, err, sizeof(err));
	assert_non_null(rs);
	assert_int_equal(remap_rule_count(rs), 0);
	remap_free(rs);

	/* NUL bytes in the file are dropped, as tftpd-hpa's reader does. */
	rs = remap_parse(text, sizeof(text) - 1, "t", 0, err, sizeof(err));
	assert_non_null(rs);
	assert_int_equal(remap_rule_count(rs), 3);
	assert_int_equal(remap_apply(rs, "a", NULL, NULL, NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "c");
	remap_free(rs);

	assert_int_equal(remap_rule_count(NULL), 0);
	remap_free(NULL);
}

static void test_null_rules_is_identity(void **state)
{
	char out[8];
	const char *msg = "unset";

	(void)state;
	assert_int_equal(remap_apply(NULL, "/a", NULL, NULL, NULL, out, sizeof(out), &msg), 0);
	assert_string_equal(out, "/a");
	assert_null(msg);
	assert_int_equal(remap_apply(NULL, NULL, NULL, NULL, NULL, out, sizeof(out), &msg),
			 -EINVAL);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_remap_XXXXXX";
	char err[256];
	char want[300];
	char out[64];
	struct remap_rules *rs;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, sample_rules, strlen(sample_rules)), (ssize_t)strlen(sample_rules));
	close(fd);

	rs = remap_load_file(path, 0, err, sizeof(err));
	assert_non_null(rs);
	assert_int_equal(remap_rule_count(rs), 7);
	assert_int_equal(remap_apply(rs, "pxelinux.0", NULL, NULL, NULL, out, sizeof(out), NULL),
			 0);
	assert_string_equal(out, "/tftpboot/pxelinux.0");
	remap_free(rs);

	/* Errors name the file as given. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "r [x\n", 5), 5);
	close(fd);
	rs = remap_load_file(path, 0, err, sizeof(err));
	assert_null(rs);
	snprintf(want, sizeof(want), "%s:11: bad regex: Unmatched [, [^, [:, [., or [=", path);
	assert_string_equal(err, want);

	unlink(path);
	rs = remap_load_file(path, 0, err, sizeof(err));
	assert_null(rs);
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
}

struct log_capture {
	int calls;
	char last[256];
};

static void capture_log(void *arg, int priority, int verbosity, const char *msg)
{
	struct log_capture *cap = arg;

	(void)priority;
	(void)verbosity;
	cap->calls++;
	snprintf(cap->last, sizeof(cap->last), "%s", msg);
}

static void test_deadman_is_logged(void **state)
{
	struct log_capture cap = {0, ""};
	struct remap_rules *rs;
	char out[32];

	(void)state;
	rs = remap_parse("s ^", 3, "t", 5, NULL, 0);
	assert_non_null(rs);
	remap_set_log(rs, capture_log, &cap, 0);
	assert_int_equal(remap_apply(rs, "x", NULL, NULL, NULL, out, sizeof(out), NULL), -ELOOP);
	assert_int_equal(cap.calls, 1);
	assert_string_equal(cap.last, "remap: Breaking loop after 5 steps, input = x, last = x");
	remap_free(rs);
}

static void test_trace_only_when_verbose(void **state)
{
	struct log_capture cap = {0, ""};
	struct remap_rules *rs;
	char out[32];

	(void)state;
	rs = remap_parse("r a b", 5, "t", 0, NULL, 0);
	assert_non_null(rs);
	remap_set_log(rs, capture_log, &cap, 0);
	assert_int_equal(remap_apply(rs, "a", NULL, NULL, NULL, out, sizeof(out), NULL), 0);
	assert_int_equal(cap.calls, 0);
	remap_set_log(rs, capture_log, &cap, 3);
	assert_int_equal(remap_apply(rs, "a", NULL, NULL, NULL, out, sizeof(out), NULL), 0);
	assert_true(cap.calls >= 3);
	assert_string_equal(cap.last, "remap: done: b");
	remap_free(rs);
}

/* Two rule sets alive at once (SIGHUP reload) do not disturb each other. */
static void test_independent_rule_sets(void **state)
{
	struct remap_rules *a = remap_parse("r ^ A", 5, "a", 0, NULL, 0);
	struct remap_rules *b = remap_parse("r ^ B", 5, "b", 1, NULL, 0);
	char out[8];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(remap_apply(a, "x", NULL, NULL, NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "Ax");
	remap_free(a);
	assert_int_equal(remap_apply(b, "x", NULL, NULL, NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "Bx");
	remap_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_table),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_counts_and_text_nuls),
		cmocka_unit_test(test_null_rules_is_identity),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_deadman_is_logged),
		cmocka_unit_test(test_trace_only_when_verbose),
		cmocka_unit_test(test_independent_rule_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
