/* What the config*.c files share with each other and nobody else: the
 * error helpers and value parsers (config_values.c), the table growers and
 * the host index (config.c), the line reader and tokenizer (config_lex.c).
 * Not part of the API: the rest of the program includes config.h only. */
#ifndef RACKBOOT_CONFIG_INTERNAL_H
#define RACKBOOT_CONFIG_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"

/* --- errors and values (config_values.c) --------------------------- */

/* message into err; returns -1. */
__attribute__((format(printf, 3, 4))) int cfg_errf(char *err, size_t errlen, const char *fmt, ...);
/* "FILE:LINE: " + message into err; returns -1. */
__attribute__((format(printf, 5, 6))) int cfg_errat(char *err, size_t errlen, const char *file,
						    unsigned line, const char *fmt, ...);
/* A struct's "file:line", or "command line" if it has none. */
const char *cfg_wh(const char *where);

uint32_t cfg_mask_of(unsigned prefix);
unsigned cfg_prefix_of(uint32_t mask);
bool cfg_mask_ok(uint32_t mask);          /* ones then zeros */
const char *cfg_ipstr(uint32_t ip, char buf[INET_ADDRSTRLEN]);
const char *cfg_macstr(const uint8_t m[6], char buf[18]);
/* A decimal number (digits only) no larger than max. */
int cfg_parse_uint(const char *s, unsigned long max, unsigned long *out);
/* Seconds, or a number with suffix s, m, h or d. -1 if malformed, -2 if
 * too large to be a lease time at all. */
int cfg_parse_duration(const char *s, unsigned long *out);
bool cfg_hostname_ok(const char *s);     /* option 12 hostname */
bool cfg_name_ok(const char *s);         /* profile name */
bool cfg_domain_ok(const char *s);       /* option 15 domain */
bool cfg_unicast_ok(uint32_t ip);        /* an address a host or the server may have */

/* --- the tables and the host index (config.c) ---------------------- */

/* A new zeroed element at the end of the table, or NULL out of memory. */
struct rb_subnet *cfg_new_subnet(struct rb_config *c);
struct rb_profile *cfg_new_profile(struct rb_config *c);
struct rb_host *cfg_new_host(struct rb_config *c);       /* profile -1 */
size_t cfg_mac_hash(const uint8_t m[6]);
/* Index hosts[0..n). Returns 0, or -1 out of memory. */
int cfg_index_upto(struct rb_config *c, size_t n);
/* The host with this MAC among hosts[0..n) (n = hosts already added), or -1. */
long cfg_host_find(struct rb_config *c, size_t n, const uint8_t mac[6]);
long cfg_profile_find(const struct rb_config *c, const char *name);

/* --- lines and tokens (config_lex.c) ------------------------------- */

#define MAX_TOKENS    32           /* per line: a setting and its values */

struct reader {
	FILE *f;
	const char *path;
	unsigned line;       /* number of the line in buf */
	char *buf;  size_t bufcap;
	char *tok;  size_t tokcap;
	char *err;  size_t errlen;
};

struct toks {
	int n;
	char *v[MAX_TOKENS];
	bool quoted[MAX_TOKENS];  /* any part of it was in double quotes */
};

int cfg_open_file(struct reader *r, const char *path, char *err, size_t errlen);
void cfg_close_file(struct reader *r);
/* Next line into r->buf without its line ending. 1, 0 at EOF, -1 error. */
int cfg_read_line(struct reader *r);
/* Split r->buf into tokens (decoded into r->tok); 0, or -1 + error. */
int cfg_tokenize(struct reader *r, struct toks *t);
bool cfg_blank(char ch);                 /* whitespace inside a line: space, \t, \r, \v, \f */
/* Token i is word, not quoted. */
bool cfg_bare(const struct toks *t, int i, const char *word);

#endif
