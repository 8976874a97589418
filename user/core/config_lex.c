/* Lines and tokens: reading a file line by line and splitting a line into
 * tokens (whitespace separated, '#' starts a comment, "double quotes" keep
 * spaces and '#'), with "FILE:LINE: message" errors. Separate because both
 * file formats, the config file and the inventory, are read through it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/config_internal.h"

/* Next line into r->buf without its line ending. 1, 0 at EOF, -1 error. */
int cfg_read_line(struct reader *r)
{
	ssize_t n;

	n = getline(&r->buf, &r->bufcap, r->f);
	if (n < 0) {
		if (ferror(r->f))
			return cfg_errat(r->err, r->errlen, r->path, r->line + 1, "read error: %s",
					 strerror(errno));
		return 0;
	}
	r->line++;
	if (strlen(r->buf) != (size_t)n)
		return cfg_errat(r->err, r->errlen, r->path, r->line, "NUL byte in line");
	while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r'))
		r->buf[--n] = '\0';
	return 1;
}

bool cfg_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Split r->buf into tokens (decoded into r->tok). Whitespace separates,
 * '#' outside quotes ends the line, "..." keeps spaces and '#' (\" and \\
 * escape inside quotes); quoted and bare parts next to each other make
 * one token. */
int cfg_tokenize(struct reader *r, struct toks *t)
{
	size_t len = strlen(r->buf);
	const char *s = r->buf;
	char *out;

	if (len + 1 > r->tokcap) {
		char *b = realloc(r->tok, len + 1);

		if (!b)
			return cfg_errat(r->err, r->errlen, r->path, r->line, "out of memory");
		r->tok = b;
		r->tokcap = len + 1;
	}
	out = r->tok;
	t->n = 0;
	for (;;) {
		bool q = false;

		while (cfg_blank(*s))
			s++;
		if (!*s || *s == '#')
			return 0;
		if (t->n == MAX_TOKENS)
			return cfg_errat(r->err, r->errlen, r->path, r->line,
					 "too many values on one line (max %d)", MAX_TOKENS - 1);
		t->v[t->n] = out;
		while (*s && !cfg_blank(*s) && *s != '#') {
			if (*s != '"') {
				*out++ = *s++;
				continue;
			}
			q = true;
			for (s++; *s != '"'; s++) {
				if (!*s)
					return cfg_errat(r->err, r->errlen, r->path, r->line,
							 "unterminated quote");
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*out++ = *s;
			}
			s++;
		}
		*out++ = '\0';
		t->quoted[t->n++] = q;
	}
}

bool cfg_bare(const struct toks *t, int i, const char *word)
{
	return i < t->n && !t->quoted[i] && !strcmp(t->v[i], word);
}

int cfg_open_file(struct reader *r, const char *path, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->err = err;
	r->errlen = errlen;
	r->f = fopen(path, "re");
	if (!r->f)
		return cfg_errf(err, errlen, "%s: %s", path, strerror(errno));
	return 0;
}

void cfg_close_file(struct reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	free(r->tok);
	r->f = NULL;
	r->buf = r->tok = NULL;
}
