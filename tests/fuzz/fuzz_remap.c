/* libFuzzer target for the remap engine (user/remap.c).
 *
 * Input layout:
 *   byte 0      control bits: 0 WRQ, 1 IPv6 client, 2 pass an E callback,
 *               3 tiny out buffer, 4-5 step limit (1/4/32/128),
 *               6 trace logging on, 7 tiny error buffer
 *   bytes 1..   rule file text up to and including the last '\n';
 *               the filename is what follows it (up to the first NUL).
 * Seeds are plain text: a digit or letter as control byte, rules, a newline,
 * a filename.
 *
 * Inputs that only stress glibc's regex compiler are skipped (see
 * regcomp_may_explode()).
 *
 * Checks: never crash or leak, results are NUL-terminated inside out,
 * return codes are the documented ones, and applying twice is
 * deterministic. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tftp/remap.h"

/* Bounds keep each run fast. A mapping costs at most about two regexec()
 * calls per step, each over a work string of at most REMAP_WORK_MIN bytes
 * here, and glibc's submatch extraction is superlinear in that length
 * (about 0.6 ms for "(.*)$" on 4 KiB). The step limit is what bounds the
 * run time, so keep it small; the 4096 default is covered by unit tests. */
#define MAX_RULES_LEN 2048
#define MAX_NAME_LEN 512

static const int step_limits[4] = {1, 4, 32, 128};

/* glibc's regcomp() implements x+ as xx* and x{m,n} as m..n copies of x,
 * duplicating the parsed subtree each time, so "a++++..." or nested
 * "((a{1,99}){1,99}){1,99}" need exponential memory inside regcomp()
 * itself. tftpd-hpa has the same exposure; the rule file is trusted
 * configuration. Such inputs only test glibc, so skip them: no braces and
 * only a few '+' in the rule text. */
static int regcomp_may_explode(const uint8_t *rules, size_t len)
{
	size_t plus = 0;

	for (size_t i = 0; i < len; i++) {
		if (rules[i] == '{')
			return 1;
		if (rules[i] == '+')
			plus++;
	}
	return plus > 6;
}

static int valid_len3(const char *name, void *arg)
{
	(void)arg;
	return strlen(name) % 3 == 0;
}

static void sink_log(void *arg, int priority, int verbosity, const char *msg)
{
	size_t *total = arg;

	(void)priority;
	(void)verbosity;
	*total += strlen(msg); /* touch every byte of the message */
}

static int rc_is_documented(int rc)
{
	return rc == 0 || rc == -EACCES || rc == -ELOOP || rc == -ENAMETOOLONG ||
	       rc == -ENOENT || rc == -EINVAL || rc == -ENOMEM;
}

/* Run one mapping and check the invariants the daemon relies on. */
static int apply_checked(const struct remap_rules *rs, const char *name,
			 const struct remap_client *c, int use_valid, char *out, size_t outlen,
			 const char **msg)
{
	int rc = remap_apply(rs, name, c, use_valid ? valid_len3 : NULL, NULL, out, outlen, msg);

	if (!rc_is_documented(rc))
		abort();
	if (rc == 0 && (!memchr(out, '\0', outlen) || *msg))
		abort();
	if (rc != 0 && !*msg)
		abort();
	if (rc == -EACCES && strlen(*msg) >= 4096) /* ASan checks it is terminated */
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				       0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef};
	static const uint8_t v4[4] = {192, 0, 2, 34};
	char err[256];
	char out1[1024], out2[1024];
	const char *msg1, *msg2;
	size_t rules_len = 0, name_len, logged = 0;
	struct remap_client client;
	struct remap_rules *rs;
	char *name;
	uint8_t ctl;
	int rc1, rc2;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	for (size_t i = size; i > 0; i--) {
		if (data[i - 1] == '\n') {
			rules_len = i;
			break;
		}
	}
	name_len = strnlen((const char *)data + rules_len, size - rules_len);
	if (rules_len > MAX_RULES_LEN || name_len > MAX_NAME_LEN)
		return 0;
	if (regcomp_may_explode(data, rules_len))
		return 0;

	rs = remap_parse((const char *)data, rules_len, "fuzz.rules", step_limits[(ctl >> 4) & 3],
			 err, (ctl & 0x80) ? 8 : sizeof(err));
	if (!rs) {
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	if (ctl & 0x40)
		remap_set_log(rs, sink_log, &logged, 5);

	name = malloc(name_len + 1);
	if (!name)
		abort();
	memcpy(name, data + rules_len, name_len);
	name[name_len] = '\0';

	client.is_write = ctl & 1;
	client.family = (ctl & 2) ? AF_INET6 : AF_INET;
	client.addr = (ctl & 2) ? (const void *)v6 : (const void *)v4;
	{
		size_t outlen = (ctl & 8) ? 16 : sizeof(out1);

		rc1 = apply_checked(rs, name, &client, ctl & 4, out1, outlen, &msg1);
		rc2 = apply_checked(rs, name, &client, ctl & 4, out2, outlen, &msg2);
	}
	/* Same rules, same input: same answer (catches reads of stale state). */
	if (rc1 != rc2 || (rc1 == 0 && strcmp(out1, out2)))
		abort();
	if (rc1 == -EACCES && strcmp(msg1, msg2))
		abort();

	free(name);
	remap_free(rs);
	return 0;
}
