/* Filename remapping: the rule-file language of tftpd-hpa's -m/--map-file.
 *
 * A rule file holds one rule per line (`#` starts a comment unless written
 * `\#`, blank lines are ignored):
 *
 *     OPS REGEX [REPLACEMENT]      e.g.   rg  \\  /
 *     :LABEL
 *
 * OPS is a set of letters: r (replace), g (repeat replace, rescanning from
 * the start), gg (repeat, sed-style, after the previous replacement),
 * i (ignore case), e (end if matched), E (end if the result is a
 * transferable file, otherwise undo), s (restart at the first rule),
 * a (deny; REPLACEMENT, if any, is the message for the client), j (jump to
 * the label named by REPLACEMENT), G / P (RRQ / WRQ only), 4 / 6 (IPv4 /
 * IPv6 only), ~ (act when REGEX does *not* match).  REGEX is a POSIX
 * extended regular expression.  REPLACEMENT understands \0-\9, \i (client
 * address), \x (client address in hex), \U, \L, \E (case folding) and \\.
 * Tokens are whitespace separated; `\ ` keeps a space inside a token.
 *
 * Rule sets are immutable after loading and carry no global state, so a
 * new set can be loaded while the old one is still in use (SIGHUP reload).
 */
#ifndef RACKBOOT_REMAP_H
#define RACKBOOT_REMAP_H

#include <stddef.h>

/* tftpd-hpa's --map-steps default: rule evaluations allowed per mapping. */
#define REMAP_DEFAULT_STEPS 4096

/* Intermediate strings may grow to the largest of this (PATH_MAX),
 * `outlen` and the input length before the mapping fails with
 * -ENAMETOOLONG. It stops `rg .* \0\0` style rules long before the step
 * limit would: each step is a regexec() over the whole string, and glibc's
 * submatch extraction is superlinear in its length. */
#define REMAP_WORK_MIN 4096

/* What tftpd-hpa sends with TFTP error 2 when an `a` rule has no message,
 * and when the mapping itself fails (step limit, bad jump). */
#define REMAP_MSG_DENIED "Access denied"
#define REMAP_MSG_FAILURE "Remap table failure"

struct remap_rules; /* opaque */

struct remap_client {
	int is_write;     /* WRQ (1) or RRQ (0) */
	int family;       /* AF_INET or AF_INET6 */
	const void *addr; /* struct in_addr* or struct in6_addr* */
};

/* Callback for the E flag: return 1 if name is a file that could be
 * transferred. May be NULL (E then acts like e). */
typedef int (*remap_valid_fn)(const char *name, void *arg);

/* Optional diagnostics. `verbosity` is the tftpd-hpa -v level at which the
 * message is meant to be shown (0 = always, e.g. "Breaking loop"); only
 * messages with verbosity <= the level given to remap_set_log are built.
 * `priority` is a syslog priority (LOG_ERR, LOG_INFO). */
typedef void (*remap_log_fn)(void *arg, int priority, int verbosity, const char *msg);

/* Load rules from a file / from memory. `name` (or `path`) prefixes error
 * messages: "map.rules:7: bad regex: ...". max_steps <= 0 selects
 * REMAP_DEFAULT_STEPS. On error returns NULL with errno set and the first
 * problem described in err (if errlen > 0); no partial rule set is
 * returned, so a failed reload can keep the previous rules. */
struct remap_rules *remap_load_file(const char *path, int max_steps, char *err, size_t errlen);
struct remap_rules *remap_parse(const char *text, size_t len, const char *name, int max_steps,
				char *err, size_t errlen);
void remap_free(struct remap_rules *r);

/* Number of rules and labels loaded (for "loaded N rules" logs). */
size_t remap_rule_count(const struct remap_rules *r);

/* Route run-time diagnostics of this rule set to fn (NULL = silent). */
void remap_set_log(struct remap_rules *r, remap_log_fn fn, void *arg, int verbosity);

/* Map `in`. Returns 0 and writes the result to out (NUL-terminated) on
 * success; r == NULL maps every name to itself.
 *   -EACCES        an `a` rule denied it. *errmsg = message for the client:
 *                  the rule's expanded REPLACEMENT, written into out
 *                  (truncated to outlen if need be), or REMAP_MSG_DENIED.
 *   -ELOOP         the step limit was hit.
 *   -ENAMETOOLONG  out is too small, or a work string outgrew its limit.
 *   -ENOENT        a j rule named a label that does not exist.
 *   -EINVAL        a j rule with an empty label, or bad arguments.
 *   -ENOMEM        out of memory.
 * For every error but -EACCES, *errmsg = REMAP_MSG_FAILURE, which is what
 * tftpd-hpa sends. errmsg may be NULL. c may be NULL (an RRQ from an
 * unknown family: 4 and 6 rules never apply, \i and \x expand to i, x). */
int remap_apply(const struct remap_rules *r, const char *in, const struct remap_client *c,
		remap_valid_fn valid, void *valid_arg, char *out, size_t outlen, const char **errmsg);

#endif
