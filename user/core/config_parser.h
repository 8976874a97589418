/* The config file parser's state, shared by config_file.c (blocks, the
 * line loop, profile references) and config_settings.c (the table of
 * settings and their handlers), and by nothing else. */
#ifndef RACKBOOT_CONFIG_PARSER_H
#define RACKBOOT_CONFIG_PARSER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config_internal.h"

enum blk { BLK_NONE, BLK_SUBNET, BLK_PROFILE, BLK_HOST };
extern const char *const cfg_blk_name[];   /* by enum blk, for messages */

#define SLOT_MAC 22        /* the 'mac' setting's slot: a host block needs one */

struct key;                /* one setting (config_settings.c) */
struct pending;            /* a profile named before it may be defined (config_file.c) */

struct parser {
	struct reader r;
	struct rb_config *c;
	char dir[PATH_MAX];      /* directory of the file, "" if given without one */
	bool inventory_preset;   /* c->inventory was set before the load: it wins */
	enum blk blk;
	unsigned blk_line;
	size_t blk_idx;          /* index of the subnet/profile/host being defined */
	const struct key *cur;   /* setting being handled, for messages */
	unsigned gseen[32], bseen[32];        /* line a slot was set at, 0 = not set */
	const struct key *gkey[32], *bkey[32];
	struct pending *pend;
	size_t npend, pendcap;
};

/* "FILE:LINE: " + message for the current line into the error; returns -1. */
__attribute__((format(printf, 2, 3))) int cfg_perr(struct parser *p, const char *fmt, ...);
/* Note that host (SIZE_MAX: default-profile) names profile name, resolved
 * at the end of the file. */
int cfg_add_pending(struct parser *p, size_t host, const char *name);
/* A setting line: look it up in the table, check where it is and how many
 * values it has, and hand it to its handler. */
int cfg_do_setting(struct parser *p, struct toks *t);

#endif
