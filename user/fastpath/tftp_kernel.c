/* See tftp_kernel.h. One mutex guards the hot-file list: lookups are per
 * request (not per packet), and a load copies the file into the maps once. */
#include "fastpath/tftp_kernel.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fastpath/kmod.h"
#include "fastpath/loader.h"
#include "fastpath/tftp_hot.h"
#include "lib/log.h"
#include "rackboot_abi.h"

/* One loaded version of a file. A newer version of the same name makes it
 * stale: it stays in its slot until its last transfer ends. */
struct fp_hot {
	struct fp_hot *next;
	char *name;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct tftp_hot_file f;
	unsigned refs;
	bool stale;
	bool kmod;                   /* registered with rackboot.ko (f.slot: its id) */
};

struct fp_tftp {
	pthread_mutex_t mu;
	int files_fd, meta_fd, sessions_fd, ifindex;
	char **names;
	size_t nnames;
	bool all;
	uint64_t max_size;
	struct fp_hot *hot;
	/* slots a previous daemon's sessions still use (adopted maps): kept
	 * until those sessions are gone, then released */
	bool orphan_slot[RB_TFTP_FILE_SLOTS];
	bool keep_sessions;          /* stopping for a restart: leave them running */
	struct fp_tftp_stats st;
	struct fp_kmod *kmod;        /* rackboot.ko: any file is hot, registered, not copied */
	bool kmod_off;               /* ... but this process cannot register (no /proc) */
};

uint64_t fp_tftp_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct slot_use {
	struct fp_tftp *t;
	bool used[RB_TFTP_FILE_SLOTS];
	bool reap;                   /* delete sessions that are over */
};

static int mark_slot(const struct rb_tftp_key *k, const struct rb_tftp_session *s, void *arg)
{
	struct slot_use *u = arg;
	if (u->reap && s->state != RB_TFTP_ACTIVE) {
		tftp_hot_session_delete(u->t->sessions_fd, k);
		return 0;
	}
	if (s->slot < RB_TFTP_FILE_SLOTS && s->file_gen != RB_KMOD_SESSION_GEN)
		u->used[s->slot] = true;
	return 0;
}

/* Maps adopted from a previous daemon: its finished sessions go, its
 * active ones finish in the kernel on the slots they hold (orphan slots),
 * and every other slot is emptied: this daemon does not know which file
 * it held. */
static void adopt(struct fp_tftp *t)
{
	struct slot_use u = { .t = t, .reap = true };
	tftp_hot_session_foreach(t->sessions_fd, mark_slot, &u);
	for (uint32_t i = 0; i < RB_TFTP_FILE_SLOTS; i++) {
		struct rb_tftp_file_meta m;
		t->orphan_slot[i] = u.used[i];
		if (!u.used[i] && tftp_hot_meta(t->meta_fd, i, &m) == 0 && m.gen)
			tftp_hot_release(t->files_fd, t->meta_fd, i);
	}
}

struct fp_tftp *fp_tftp_new(struct fastpath *fp, const struct fp_tftp_opts *o)
{
	struct fp_tftp *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	t->files_fd = fastpath_map_fd(fp, "rb_tftp_files");
	t->meta_fd = fastpath_map_fd(fp, "rb_tftp_file_meta");
	t->sessions_fd = fastpath_map_fd(fp, "rb_tftp_sessions");
	t->ifindex = fastpath_ifindex(fp);
	t->all = o->all;
	t->max_size = o->max_size ? o->max_size : FP_TFTP_DEFAULT_MAX_SIZE;
	t->kmod = fastpath_kmod(fp);
	t->names = calloc(o->nnames + 1, sizeof(char *));
	if (!t->names || t->files_fd < 0 || t->meta_fd < 0 || t->sessions_fd < 0)
		goto fail;
	for (size_t i = 0; i < o->nnames; i++) {
		const char *n = o->names[i];
		while (*n == '/')
			n++;
		if (!*n)
			continue;
		if (!(t->names[t->nnames] = strdup(n)))
			goto fail;
		t->nnames++;
	}
	adopt(t);
	return t;
fail:
	fp_tftp_free(t);
	return NULL;
}

static void hot_unload(struct fp_tftp *t, struct fp_hot *h)
{
	if (h->kmod)
		fp_kmod_unregister(t->kmod, h->f.slot);
	else
		tftp_hot_release(t->files_fd, t->meta_fd, h->f.slot);
	t->st.hot_files--;
	t->st.hot_bytes -= (uint64_t)h->size;
	free(h->name);
	free(h);
}

void fp_tftp_free(struct fp_tftp *t)
{
	if (!t)
		return;
	/* The files stay loaded in their slots: a daemon that adopts the maps
	 * empties the slots no session uses. */
	for (struct fp_hot *h = t->hot, *n; h; h = n) {
		n = h->next;
		free(h->name);
		free(h);
	}
	for (size_t i = 0; t->names && i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static bool is_hot_name(const struct fp_tftp *t, const char *name)
{
	if (t->all)
		return true;
	for (size_t i = 0; i < t->nnames; i++)
		if (!strcmp(t->names[i], name))
			return true;
	return false;
}

static bool same_file(const struct fp_hot *h, const struct stat *st)
{
	return h->dev == st->st_dev && h->ino == st->st_ino && h->size == st->st_size &&
	       h->mtime.tv_sec == st->st_mtim.tv_sec && h->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Make room: unload one file no transfer uses (the oldest loaded). */
static bool evict_one(struct fp_tftp *t)
{
	struct fp_hot **victim = NULL;
	for (struct fp_hot **p = &t->hot; *p; p = &(*p)->next)
		if (!(*p)->refs)
			victim = p;          /* the list is newest first */
	if (!victim)
		return false;
	struct fp_hot *h = *victim;
	*victim = h->next;
	hot_unload(t, h);
	return true;
}

/* Free the orphan slots no session uses any more (this daemon never
 * loads into them: they are not empty). */
static void reap_orphans(struct fp_tftp *t)
{
	bool any = false;
	for (unsigned i = 0; i < RB_TFTP_FILE_SLOTS; i++)
		any |= t->orphan_slot[i];
	if (!any)
		return;
	struct slot_use u = { .t = t };
	tftp_hot_session_foreach(t->sessions_fd, mark_slot, &u);
	for (uint32_t i = 0; i < RB_TFTP_FILE_SLOTS; i++)
		if (t->orphan_slot[i] && !u.used[i]) {
			tftp_hot_release(t->files_fd, t->meta_fd, i);
			t->orphan_slot[i] = false;
		}
}

static struct fp_hot *load(struct fp_tftp *t, const char *name, const void *data,
			   uint64_t size, const struct stat *st)
{
	static const uint8_t none[1];
	bool kmod = t->kmod && !t->kmod_off;
	if (!kmod && (size > t->max_size || !is_hot_name(t, name)))
		return NULL;         /* (rackboot.ko turned off meanwhile: hot by the old rules only) */
	struct fp_hot *h = calloc(1, sizeof(*h));
	if (!h || !(h->name = strdup(name))) {
		free(h);
		return NULL;
	}
	int r = -ENOSPC;
	/* rackboot.ko: the module reads the very file mapped; else (no
	 * /proc/self/map_files in a chroot, say) a hot file is copied into
	 * the maps, as without it */
	uint32_t id;
	if (kmod && !(r = fp_kmod_register_mapped(t->kmod, data, size, st, &id))) {
		h->f = (struct tftp_hot_file){ .slot = id, .gen = RB_KMOD_SESSION_GEN, .size = size };
		h->kmod = true;
	} else if (kmod) {
		bool hot = size <= t->max_size && is_hot_name(t, name);
		/* no /proc, or not allowed its map_files: not this file's fault */
		t->kmod_off = r == -ENOENT || r == -EACCES || r == -EPERM;
		log_msg(LOG_WARNING, "fast path: rackboot.ko cannot have %s: %s; %s%s", name,
			strerror(-r), hot ? "copying it into BPF maps" : "serving it from userspace",
			t->kmod_off ? "; hot files are copied into BPF maps from now on" : "");
		r = hot ? -ENOSPC : r;
	}
	while (r == -ENOSPC &&
	       (r = tftp_hot_load(t->files_fd, t->meta_fd, data ? data : none, size, &h->f)) ==
	       -ENOSPC) {
		reap_orphans(t);
		if (!evict_one(t))
			break;
	}
	if (r) {
		t->st.load_failures++;
		log_msg(LOG_WARNING, "fast path: cannot load %s (%llu bytes) into the kernel: %s; "
			"serving it from userspace", name, (unsigned long long)size, strerror(-r));
		free(h->name);
		free(h);
		return NULL;
	}
	h->dev = st->st_dev;
	h->ino = st->st_ino;
	h->size = st->st_size;
	h->mtime = st->st_mtim;
	h->next = t->hot;
	t->hot = h;
	t->st.loads++;
	t->st.hot_files++;
	t->st.hot_bytes += size;
	return h;
}

struct fp_hot *fp_tftp_hot_get(struct fp_tftp *t, const char *name, const void *data,
			       uint64_t size, const struct stat *st)
{
	while (*name == '/')
		name++;
	/* (rackboot.ko: every file, of any size; load() decides under the lock) */
	if ((uint64_t)st->st_size != size ||
	    (!t->kmod && (size > t->max_size || !is_hot_name(t, name))))
		return NULL;
	pthread_mutex_lock(&t->mu);
	struct fp_hot *found = NULL;
	for (struct fp_hot **p = &t->hot; *p;) {
		struct fp_hot *h = *p;
		if (strcmp(h->name, name) || h->stale) {
			p = &h->next;
		} else if (same_file(h, st)) {
			found = h;
			p = &h->next;
		} else {
			/* the file changed: the old copy serves its transfers to the end */
			h->stale = true;
			if (!h->refs) {
				*p = h->next;
				hot_unload(t, h);
				continue;
			}
			p = &h->next;
		}
	}
	if (!found)
		found = load(t, name, data, size, st);
	if (found)
		found->refs++;
	pthread_mutex_unlock(&t->mu);
	return found;
}

void fp_tftp_hot_put(struct fp_tftp *t, struct fp_hot *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&t->mu);
	if (--h->refs == 0 && h->stale) {
		for (struct fp_hot **p = &t->hot; *p; p = &(*p)->next)
			if (*p == h) {
				*p = h->next;
				break;
			}
		hot_unload(t, h);
	}
	pthread_mutex_unlock(&t->mu);
}

int fp_tftp_handover(struct fp_tftp *t, struct fp_hot *h, const struct fp_tftp_handover *a)
{
	struct rb_tftp_session s;
	tftp_hot_session_init(&s, &h->f, a->blksize, a->windowsize, a->rollover,
			      (uint64_t)a->dup_gap_us * 1000);
	s.acked = a->acked;
	s.sent = a->sent;
	s.last_send_ns = fp_tftp_now_ns();
	s.ifindex = (__u32)t->ifindex;
	s.ip_id = (__u16)(s.last_send_ns >> 10);
	return tftp_hot_session_insert(t->sessions_fd, &a->key, &s);
}

static void to_status(const struct rb_tftp_session *s, struct fp_tftp_status *out)
{
	*out = (struct fp_tftp_status){
		.state = (enum rb_tftp_state)s->state, .acked = s->acked, .sent = s->sent,
		.frames = s->frames, .last_ack_ns = s->last_ack_ns,
		.acked_any = s->last_ack_ns != 0,
	};
}

int fp_tftp_status(struct fp_tftp *t, const struct rb_tftp_key *k, struct fp_tftp_status *out)
{
	struct rb_tftp_session s;
	int r = tftp_hot_session_get(t->sessions_fd, k, &s);
	if (!r)
		to_status(&s, out);
	return r;
}

int fp_tftp_take_back(struct fp_tftp *t, const struct rb_tftp_key *k, struct fp_tftp_status *out)
{
	struct rb_tftp_session s;
	int r = tftp_hot_session_take(t->sessions_fd, k, out ? &s : NULL);
	if (!r && out)
		to_status(&s, out);
	return r;
}

int fp_tftp_abandon(struct fp_tftp *t, const struct rb_tftp_key *k)
{
	return t->keep_sessions ? 0 : tftp_hot_session_delete(t->sessions_fd, k);
}

void fp_tftp_keep_sessions(struct fp_tftp *t)
{
	t->keep_sessions = true;
}

void fp_tftp_stats(struct fp_tftp *t, struct fp_tftp_stats *out)
{
	pthread_mutex_lock(&t->mu);
	*out = t->st;
	pthread_mutex_unlock(&t->mu);
}
