/* Path resolution beneath the roots and opening files; see tftp_files.h. */
#include "tftp/tftp_files.h"
#include "proto/tftp_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Secure mode resolves as a chroot would (RESOLVE_IN_ROOT: ".." stops at
 * the root, absolute symlinks start from it), so tftpd-hpa's -s behaviour
 * holds even without chroot. Directory-list mode keeps every path beneath
 * the directory it matched (RESOLVE_BENEATH: any escape is refused). */
static int openat2_beneath(const struct tftp_roots *r, int dirfd, const char *path, int flags,
			   mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = (r->secure ? RESOLVE_IN_ROOT : RESOLVE_BENEATH) | RESOLVE_NO_MAGICLINKS,
	};

	if (!*path)
		path = ".";
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

void tftp_err_from_errno(struct tftp_err *e, int err)
{
	e->sys = err;
	e->msg = NULL;
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		e->code = TFTP_ENOTFOUND;
		break;
	case EACCES:
	case EPERM:
	case EXDEV:          /* RESOLVE_BENEATH refused an escape */
	case ELOOP:
		e->code = TFTP_EACCESS;
		break;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		e->code = TFTP_ENOSPACE;
		break;
	default:
		e->code = 0;
		e->msg = strerror(err);
	}
}

static void set_err(struct tftp_err *e, uint16_t code, const char *msg)
{
	e->code = code;
	e->msg = msg;
	e->sys = 0;
}

int tftp_roots_open(struct tftp_roots *r, char *const *dirs, int n, bool secure,
		    char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->secure = secure;
	if (n > TFTP_MAX_ROOTS) {
		snprintf(err, errlen, "too many directories (at most %d)", TFTP_MAX_ROOTS);
		return -E2BIG;
	}
	for (int i = 0; i < n; i++) {
		char *canon = realpath(dirs[i], NULL);
		int fd = canon ? open(canon, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

		if (fd < 0) {
			int saved = errno;
			snprintf(err, errlen, "%s: %s", dirs[i], strerror(saved));
			free(canon);
			tftp_roots_close(r);
			return -saved;
		}
		r->dir[r->n].path = canon;
		r->dir[r->n].fd = fd;
		r->n++;
	}
	return 0;
}

void tftp_roots_close(struct tftp_roots *r)
{
	for (int i = 0; i < r->n; i++) {
		close(r->dir[i].fd);
		free(r->dir[i].path);
	}
	r->n = 0;
}

int tftp_resolve(const struct tftp_roots *r, const char *name, int *dirfd,
		 const char **rel, struct tftp_err *e)
{
	if (r->n == 0) {
		set_err(e, TFTP_EACCESS, "No directory configured");
		return -EACCES;
	}
	if (r->secure) {
		while (*name == '/')
			name++;
		*dirfd = r->dir[0].fd;
		*rel = name;
		return 0;
	}
	if (*name != '/') {
		set_err(e, TFTP_EACCESS, "Only absolute filenames allowed");
		return -EACCES;
	}
	for (int i = 0; i < r->n; i++) {
		size_t l = strlen(r->dir[i].path);
		const char *p = r->dir[i].path;

		if (l == 1 && *p == '/')
			l = 0;                      /* root "/" itself */
		if (!strncmp(name, p, l) && name[l] == '/') {
			const char *rest = name + l;
			while (*rest == '/')
				rest++;
			*dirfd = r->dir[i].fd;
			*rel = rest;
			return 0;
		}
	}
	set_err(e, TFTP_EACCESS, "Forbidden directory");
	return -EACCES;
}

int tftp_open_read(const struct tftp_roots *r, const char *name, bool permissive,
		   struct stat *st, struct tftp_err *e)
{
	const char *rel;
	int dirfd, fd;

	if (tftp_resolve(r, name, &dirfd, &rel, e))
		return -1;
	/* O_NONBLOCK: a FIFO or device in the root must not block the loop
	 * (it is refused below; reads of regular files ignore the flag) */
	fd = openat2_beneath(r, dirfd, rel, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0) {
		tftp_err_from_errno(e, errno);
		return -1;
	}
	if (fstat(fd, st) < 0) {
		tftp_err_from_errno(e, errno);
		close(fd);
		return -1;
	}
	if (S_ISDIR(st->st_mode)) {
		tftp_err_from_errno(e, EISDIR);   /* tftpd-hpa: the read fails so */
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		set_err(e, TFTP_EACCESS, "Not a regular file");
		close(fd);
		return -1;
	}
	if (!permissive && !(st->st_mode & S_IROTH)) {
		set_err(e, TFTP_EACCESS, "File must have global read permissions");
		close(fd);
		return -1;
	}
	return fd;
}

/* Split "a/b/c" into parent "a/b" (or "") and base "c". */
static int split_path(const char *rel, char **parent, char **base)
{
	const char *slash = strrchr(rel, '/');

	*parent = slash ? strndup(rel, (size_t)(slash - rel)) : strdup("");
	*base = strdup(slash ? slash + 1 : rel);
	if (!*parent || !*base || !**base) {
		free(*parent);
		free(*base);
		return -EINVAL;
	}
	return 0;
}

/* Open or create the target itself; the kernel checks permissions as the
 * (dropped) user, and we add tftpd-hpa's world-writable rule. */
static int open_target(const struct tftp_roots *r, int dirfd, const char *rel, bool create, bool permissive,
		       struct tftp_upload *u, struct tftp_err *e)
{
	struct stat st;
	int fd = openat2_beneath(r, dirfd, rel, O_WRONLY, 0);

	if (fd < 0 && errno == ENOENT && create) {
		fd = openat2_beneath(r, dirfd, rel, O_WRONLY | O_CREAT | O_EXCL, 0666);
		u->created = fd >= 0;
	}
	if (fd < 0) {
		tftp_err_from_errno(e, errno);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		set_err(e, TFTP_EACCESS, "Not a regular file");
		close(fd);
		return -1;
	}
	if (!u->created && !permissive && !(st.st_mode & S_IWOTH)) {
		set_err(e, TFTP_EACCESS, "File must have global write permissions");
		close(fd);
		return -1;
	}
	return fd;
}

/* A private file beside the target, renamed over it on commit. */
static int open_temp(struct tftp_upload *u, int target_fd)
{
	struct stat st, lst;
	char name[NAME_MAX + 1];

	if (fstat(target_fd, &st) < 0)
		return -1;
	/* A symlinked target is written through, in place: renaming would
	 * replace the link, not the file it names. */
	if (fstatat(u->dirfd, u->base, &lst, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(lst.st_mode))
		return -1;
	for (int attempt = 0; attempt < 8; attempt++) {
		int fd;

		snprintf(name, sizeof(name), ".%.200s.rackboot-%d-%d", u->base, getpid(), rand());
		fd = openat(u->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    st.st_mode & 07777);
		if (fd >= 0) {
			fchmod(fd, st.st_mode & 07777);   /* the umask must not narrow it */
			u->tmp = strdup(name);
			if (!u->tmp) {
				unlinkat(u->dirfd, name, 0);
				close(fd);
				return -1;
			}
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

int tftp_upload_open(const struct tftp_roots *r, const char *name, bool create,
		     bool permissive, struct tftp_upload *u, struct tftp_err *e)
{
	const char *rel;
	char *parent = NULL;
	int dirfd, target;

	memset(u, 0, sizeof(*u));
	u->fd = u->dirfd = -1;
	if (tftp_resolve(r, name, &dirfd, &rel, e))
		return -1;
	if (split_path(rel, &parent, &u->base)) {
		set_err(e, TFTP_EACCESS, "Invalid pathname specified");
		return -1;
	}
	u->dirfd = openat2_beneath(r, dirfd, parent, O_PATH | O_DIRECTORY, 0);
	free(parent);
	if (u->dirfd < 0) {
		tftp_err_from_errno(e, errno);
		tftp_upload_abort(u);
		return -1;
	}
	target = open_target(r, dirfd, rel, create, permissive, u, e);
	if (target < 0) {
		tftp_upload_abort(u);
		return -1;
	}
	u->fd = open_temp(u, target);
	if (u->fd >= 0) {
		close(target);
	} else {
		/* No room for a temp file (e.g. directory not writable): write
		 * in place like tftpd-hpa. */
		u->fd = target;
		if (ftruncate(target, 0) < 0) {
			set_err(e, TFTP_EACCESS, "Cannot reset file size");
			tftp_upload_abort(u);
			return -1;
		}
	}
	return 0;
}

int tftp_upload_commit(struct tftp_upload *u)
{
	int ret = 0;

	if (fsync(u->fd) < 0)
		ret = -errno;
	else if (u->tmp && renameat(u->dirfd, u->tmp, u->dirfd, u->base) < 0)
		ret = -errno;
	if (!ret) {
		free(u->tmp);
		u->tmp = NULL;
		u->created = false;        /* it is ours to keep now */
	}
	return ret;
}

void tftp_upload_abort(struct tftp_upload *u)
{
	if (u->tmp)
		unlinkat(u->dirfd, u->tmp, 0);
	if (u->created && u->base)
		unlinkat(u->dirfd, u->base, 0);
	if (u->fd >= 0)
		close(u->fd);
	if (u->dirfd >= 0)
		close(u->dirfd);
	free(u->tmp);
	free(u->base);
	memset(u, 0, sizeof(*u));
	u->fd = u->dirfd = -1;
}
