/* Where a TFTP filename leads, and opening it with tftpd-hpa's rules.
 *
 * Every open is resolved beneath a directory fd with openat2(2) and
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: no "..", absolute symlink or
 * /proc magic link can leave the root, whatever the encoding, and with or
 * without chroot. Secure mode (-s): one root, the filename is relative to
 * it. Otherwise: absolute filenames that must lie under one of the listed
 * directories (tftpd-hpa's "Forbidden directory" rule).
 *
 * Uploads are written to a temporary file beside the target and renamed
 * over it when complete, so a failed or aborted upload never destroys the
 * file it was replacing, and readers never see half a file. */
#ifndef RACKBOOT_TFTP_FILES_H
#define RACKBOOT_TFTP_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/stat.h>

#define TFTP_MAX_ROOTS 16

struct tftp_roots {
	bool secure;
	int n;
	struct {
		char *path;              /* canonical absolute path, no trailing / */
		int fd;
	} dir[TFTP_MAX_ROOTS];
};

struct tftp_err {
	uint16_t code;               /* TFTP error code */
	const char *msg;             /* NULL: the code's standard message */
	int sys;                     /* errno behind it, for logs; 0 if none */
};

/* Open the directories. Returns 0 or -errno with err naming the directory. */
int tftp_roots_open(struct tftp_roots *r, char *const *dirs, int n, bool secure,
		    char *err, size_t errlen);
void tftp_roots_close(struct tftp_roots *r);

/* Which root and which path beneath it does `name` mean? Pure apart from
 * reading r. Returns 0, or -EACCES with e filled. */
int tftp_resolve(const struct tftp_roots *r, const char *name, int *dirfd,
		 const char **rel, struct tftp_err *e);

/* Open for reading: regular, world-readable unless permissive. Returns fd
 * (and *st) or -1 with e filled. */
int tftp_open_read(const struct tftp_roots *r, const char *name, bool permissive,
		   struct stat *st, struct tftp_err *e);

struct tftp_upload {
	int fd;                      /* where the data goes */
	int dirfd;                   /* parent directory of the target */
	char *tmp;                   /* temp name in dirfd, NULL if writing in place */
	char *base;                  /* target name in dirfd */
	bool created;                /* target did not exist before */
};

/* Open for writing with tftpd-hpa's rules: an existing world-writable file
 * (unless permissive), or any new file with `create`. Returns 0 or -1 with
 * e filled. */
int tftp_upload_open(const struct tftp_roots *r, const char *name, bool create,
		     bool permissive, struct tftp_upload *u, struct tftp_err *e);
/* Make the upload durable and visible (fsync, rename). Returns 0 or -errno. */
int tftp_upload_commit(struct tftp_upload *u);
/* Abandon it: the previous content of the target stays. */
void tftp_upload_abort(struct tftp_upload *u);

/* Map an errno from open/read/write to a TFTP error (tftpd-hpa's mapping). */
void tftp_err_from_errno(struct tftp_err *e, int err);

#endif
