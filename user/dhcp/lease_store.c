/* Durable leases; see lease_store.h.
 *
 * One SQLite connection per store. Once a lease_writer exists, only its
 * thread touches the connection (statements and transactions are per
 * connection, so a concurrent load/commit from another thread would mix
 * into the writer's transaction); load before starting the writer. */
#include "dhcp/lease_store.h"
#include "lib/log.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 5000

struct lease_store {
	sqlite3 *db;
	sqlite3_stmt *ins, *sel, *begin, *commit, *rollback;
	char path[PATH_MAX];
};

/* Every message starts with the file name: the operator has to know which
 * file to look at, and there may be several state directories. */
static void __attribute__((format(printf, 4, 5)))
seterr(const char *path, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void dberr(const struct lease_store *s, char *err, size_t errlen)
{
	int sys = sqlite3_system_errno(s->db);

	/* "unable to open database file" alone does not say why. */
	if (sys && (sqlite3_errcode(s->db) & 0xff) == SQLITE_CANTOPEN)
		seterr(s->path, err, errlen, "%s (%s)", sqlite3_errmsg(s->db), strerror(sys));
	else
		seterr(s->path, err, errlen, "%s", sqlite3_errmsg(s->db));
}

static const char *fmt_ip(uint32_t host, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", host >> 24, (host >> 16) & 0xff,
		 (host >> 8) & 0xff, host & 0xff);
	return buf;
}

/* The invariants load relies on; commit enforces the same ones so that a
 * row it wrote can always be read back. Returns false with why filled. */
static bool row_ok(size_t hwlen, int64_t state, size_t hostlen, char *why, size_t whylen)
{
	if (hwlen < 1 || hwlen > 16)
		snprintf(why, whylen, "bad hw length %zu", hwlen);
	else if (state < LEASE_FREE || state > LEASE_DECLINED)
		snprintf(why, whylen, "bad state %" PRId64, state);
	else if (hostlen >= sizeof(((struct lease *)0)->hostname))
		snprintf(why, whylen, "bad hostname length %zu", hostlen);
	else
		return true;
	return false;
}

static bool lease_ok(const struct lease *l, char *why, size_t whylen)
{
	return row_ok(l->hwlen, l->state, strnlen(l->hostname, sizeof(l->hostname)),
		      why, whylen);
}

/* Single-value query (PRAGMAs, counts). */
static int query_int(struct lease_store *s, const char *sql, int64_t *v, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		dberr(s, err, errlen);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else
		dberr(s, err, errlen);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int exec(struct lease_store *s, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		dberr(s, err, errlen);
		return -1;
	}
	return 0;
}

static int check_version(struct lease_store *s, int64_t v, char *err, size_t errlen)
{
	if (v == SCHEMA_VERSION)
		return 0;
	if (v > SCHEMA_VERSION)
		seterr(s->path, err, errlen,
		       "schema version %" PRId64 " is newer than this rackboot supports (%d); "
		       "refusing to open it", v, SCHEMA_VERSION);
	else
		seterr(s->path, err, errlen,
		       "not a rackboot lease store (schema version %" PRId64 ")", v);
	return -1;
}

/* 1: empty, the schema must be created; 0: ours, current; -1: anything
 * else, refused and never recreated: that file may hold the only copy of
 * the leases. */
static int classify(struct lease_store *s, char *err, size_t errlen)
{
	int64_t v, objects;

	if (query_int(s, "PRAGMA user_version", &v, err, errlen) < 0 ||
	    query_int(s, "SELECT count(*) FROM sqlite_master", &objects, err, errlen) < 0)
		return -1;
	if (v == 0 && objects == 0)
		return 1;
	if (v == 0) {
		seterr(s->path, err, errlen,
		       "not a rackboot lease store (%" PRId64 " schema objects, no version)",
		       objects);
		return -1;
	}
	return check_version(s, v, err, errlen);
}

/* Under BEGIN IMMEDIATE so two processes starting at once do not both
 * create. */
static int init_schema(struct lease_store *s, char *err, size_t errlen)
{
	int c;

	if (exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	c = classify(s, err, errlen);
	if (c < 0)
		goto fail;
	if (c == 1 && exec(s, "CREATE TABLE leases ("
			      " ip INTEGER PRIMARY KEY,"      /* host order: sorts as addresses */
			      " hw BLOB NOT NULL,"
			      " state INTEGER NOT NULL,"
			      " expires INTEGER NOT NULL,"
			      " updated INTEGER NOT NULL,"
			      " hostname TEXT NOT NULL);"
			      "PRAGMA user_version = 1", err, errlen) < 0)
		goto fail;
	if (exec(s, "COMMIT", err, errlen) == 0)
		return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static struct lease_store *store_open(const char *dir, bool ro, char *err, size_t errlen)
{
	struct lease_store *s = calloc(1, sizeof(*s));
	int c;
	int flags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if (!s) {
		seterr(dir, err, errlen, "out of memory");
		return NULL;
	}
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/leases.sqlite3", dir) >= sizeof(s->path)) {
		seterr(dir, err, errlen, "path too long");
		free(s);
		return NULL;
	}
	if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK) {
		if (s->db)
			dberr(s, err, errlen);
		else
			seterr(s->path, err, errlen, "out of memory");
		goto fail;
	}
	/* The lister and the daemon wait for each other's brief locks (WAL
	 * recovery, checkpoints) instead of failing with SQLITE_BUSY. */
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	/* The first statement reads the header: a garbage file fails here,
	 * and a file that is not ours is refused before anything (such as
	 * the journal mode) is changed in it. */
	c = classify(s, err, errlen);
	if (c < 0)
		goto fail;
	if (ro && c == 1) {
		seterr(s->path, err, errlen, "no lease table yet");
		goto fail;
	}
	if (!ro) {
		sqlite3_stmt *st;
		const char *mode;
		bool wal;

		/* WAL: readers never block the writer and vice versa.
		 * synchronous=FULL: each COMMIT fsyncs the WAL, so a row is on
		 * disk before its ACK leaves (NORMAL would lose the last
		 * transactions on power loss). */
		if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK) {
			dberr(s, err, errlen);
			goto fail;
		}
		if (sqlite3_step(st) != SQLITE_ROW) {
			dberr(s, err, errlen);
			sqlite3_finalize(st);
			goto fail;
		}
		mode = (const char *)sqlite3_column_text(st, 0);
		wal = mode && strcmp(mode, "wal") == 0;
		if (!wal)
			seterr(s->path, err, errlen, "cannot use WAL journal (got '%s')",
			       mode ? mode : "?");
		sqlite3_finalize(st);
		if (!wal || exec(s, "PRAGMA synchronous=FULL", err, errlen) < 0 ||
		    init_schema(s, err, errlen) < 0)
			goto fail;
	}
	/* Prepared once: the writer runs these for every batch. */
	if (sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO leases"
			       " (ip, hw, state, expires, updated, hostname) VALUES (?,?,?,?,?,?)",
			       -1, SQLITE_PREPARE_PERSISTENT, &s->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "SELECT ip, hw, state, expires, updated, hostname"
			       " FROM leases ORDER BY ip", -1, SQLITE_PREPARE_PERSISTENT,
			       &s->sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT,
			       &s->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT,
			       &s->commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT,
			       &s->rollback, NULL) != SQLITE_OK) {
		dberr(s, err, errlen);
		goto fail;
	}
	return s;
fail:
	lease_store_close(s);
	return NULL;
}

struct lease_store *lease_store_open(const char *dir, char *err, size_t errlen)
{
	return store_open(dir, false, err, errlen);
}

struct lease_store *lease_store_open_ro(const char *dir, char *err, size_t errlen)
{
	return store_open(dir, true, err, errlen);
}

void lease_store_close(struct lease_store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->sel);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_close(s->db);
	free(s);
}

int lease_store_load(struct lease_store *s, void (*cb)(const struct lease *l, void *arg),
		     void *arg, char *err, size_t errlen)
{
	int rc, ret = -1;

	while ((rc = sqlite3_step(s->sel)) == SQLITE_ROW) {
		struct lease l = { 0 };
		int64_t ip = sqlite3_column_int64(s->sel, 0);
		const void *hw = sqlite3_column_blob(s->sel, 1);
		size_t hwlen = (size_t)sqlite3_column_bytes(s->sel, 1);
		int64_t state = sqlite3_column_int64(s->sel, 2);
		const unsigned char *host = sqlite3_column_text(s->sel, 5);
		size_t hostlen = (size_t)sqlite3_column_bytes(s->sel, 5);
		char why[64], ipbuf[16];

		if (ip < 0 || ip > UINT32_MAX) {
			seterr(s->path, err, errlen, "row ip=%" PRId64 ": bad ip", ip);
			goto out;
		}
		if (!row_ok(hwlen, state, hostlen, why, sizeof(why))) {
			seterr(s->path, err, errlen, "row ip=%s: %s",
			       fmt_ip((uint32_t)ip, ipbuf), why);
			goto out;
		}
		l.ip = htonl((uint32_t)ip);
		memcpy(l.hw, hw, hwlen);
		l.hwlen = (uint8_t)hwlen;
		l.state = (uint8_t)state;
		l.expires = sqlite3_column_int64(s->sel, 3);
		l.updated = sqlite3_column_int64(s->sel, 4);
		if (hostlen)
			memcpy(l.hostname, host, hostlen);
		cb(&l, arg);
	}
	if (rc == SQLITE_DONE)
		ret = 0;
	else
		dberr(s, err, errlen);
out:
	/* Reset ends the read transaction so the WAL can be checkpointed. */
	sqlite3_reset(s->sel);
	return ret;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int lease_store_commit(struct lease_store *s, const struct lease *ls, size_t n,
		       char *err, size_t errlen)
{
	char why[64], ipbuf[16];

	for (size_t i = 0; i < n; i++) {
		if (!lease_ok(&ls[i], why, sizeof(why))) {
			seterr(s->path, err, errlen, "row ip=%s: %s",
			       fmt_ip(ntohl(ls[i].ip), ipbuf), why);
			return -1;
		}
	}
	if (step_done(s->begin) < 0) {
		dberr(s, err, errlen);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct lease *l = &ls[i];

		sqlite3_bind_int64(s->ins, 1, ntohl(l->ip));
		sqlite3_bind_blob(s->ins, 2, l->hw, l->hwlen, SQLITE_STATIC);
		sqlite3_bind_int(s->ins, 3, l->state);
		sqlite3_bind_int64(s->ins, 4, l->expires);
		sqlite3_bind_int64(s->ins, 5, l->updated);
		sqlite3_bind_text(s->ins, 6, l->hostname,
				  (int)strnlen(l->hostname, sizeof(l->hostname)), SQLITE_STATIC);
		if (step_done(s->ins) < 0)
			goto fail;
	}
	if (step_done(s->commit) == 0)
		return 0;
fail:
	/* Message first: ROLLBACK would replace it. */
	dberr(s, err, errlen);
	if (!sqlite3_get_autocommit(s->db))
		step_done(s->rollback);
	return -1;
}

/* ---- group-commit writer ---- */

struct pending {
	void *cookie;
	bool bad;              /* refused at submit; not in leases[] */
};

/* Submission queue. leases[] holds the rows to write, ents[] one entry per
 * submission (in order) for the notifications. Two of these are swapped
 * between submitters and the thread so their arrays are reused. */
struct queue {
	struct lease *leases;
	struct pending *ents;
	size_t nleases, nents, cap;
};

struct lease_writer {
	struct lease_store *s;
	lease_done_fn done;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;     /* queue not empty, or stop */
	pthread_cond_t idle;     /* a batch was notified */
	struct queue q, spare;   /* q: under mu; spare: the thread's own */
	unsigned long long submitted, finished;  /* entries; under mu */
	unsigned long long commits, rows;        /* under mu */
	bool stop;
};

static void process(struct lease_writer *w, struct queue *b)
{
	char err[PATH_MAX + 256];
	bool ok = true;

	if (b->nleases && lease_store_commit(w->s, b->leases, b->nleases, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "lease commit of %zu rows failed: %s", b->nleases, err);
		ok = false;
	}
	for (size_t i = 0; i < b->nents; i++)
		if (b->ents[i].cookie)
			w->done(b->ents[i].cookie, ok && !b->ents[i].bad, w->arg);
	pthread_mutex_lock(&w->mu);
	if (ok && b->nleases) {
		w->commits++;
		w->rows += b->nleases;
	}
	w->finished += b->nents;
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->mu);
	b->nleases = b->nents = 0;
}

static void *writer_main(void *p)
{
	struct lease_writer *w = p;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct queue b;

		while (!w->q.nents && !w->stop)
			pthread_cond_wait(&w->work, &w->mu);
		if (!w->q.nents)
			break;
		/* Take everything queued; submitters continue into the
		 * (empty) spare arrays while this batch commits. */
		b = w->q;
		w->q = w->spare;
		pthread_mutex_unlock(&w->mu);
		process(w, &b);
		w->spare = b;
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct lease_writer *lease_writer_new(struct lease_store *s, lease_done_fn done, void *arg)
{
	struct lease_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->s = s;
	w->done = done;
	w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->idle);
		free(w);
		return NULL;
	}
	return w;
}

static void queue_grow(struct queue *q)
{
	size_t cap = q->cap ? q->cap * 2 : 64;
	struct lease *l = realloc(q->leases, cap * sizeof(*l));
	struct pending *e;

	if (l)
		q->leases = l;
	e = realloc(q->ents, cap * sizeof(*e));
	if (!l || !e) {
		/* The caller is owed a done() for this cookie and there is no
		 * way to give one; losing it silently would leak the caller's
		 * state. */
		log_msg(LOG_ERR, "lease writer: out of memory");
		abort();
	}
	q->ents = e;
	q->cap = cap;
}

void lease_writer_submit(struct lease_writer *w, const struct lease *l, void *cookie)
{
	char why[64], ipbuf[16];
	bool bad = !lease_ok(l, why, sizeof(why));

	/* A bad row is refused on its own (done(false) in its turn) rather
	 * than failing the whole batch in lease_store_commit. */
	if (bad)
		log_msg(LOG_ERR, "%s: row ip=%s: %s: not written", w->s->path,
			fmt_ip(ntohl(l->ip), ipbuf), why);
	pthread_mutex_lock(&w->mu);
	if (w->q.nents == w->q.cap)
		queue_grow(&w->q);
	if (!bad)
		w->q.leases[w->q.nleases++] = *l;
	w->q.ents[w->q.nents++] = (struct pending){ cookie, bad };
	w->submitted++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

/* Must not be called from done(): the thread would wait for itself. */
void lease_writer_flush(struct lease_writer *w)
{
	pthread_mutex_lock(&w->mu);
	for (unsigned long long target = w->submitted; w->finished < target;)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void lease_writer_free(struct lease_writer *w)
{
	if (!w)
		return;
	lease_writer_flush(w);
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	free(w->q.leases);
	free(w->q.ents);
	free(w->spare.leases);
	free(w->spare.ents);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	free(w);
}

void lease_writer_stats(struct lease_writer *w, unsigned long long *commits,
			unsigned long long *rows)
{
	pthread_mutex_lock(&w->mu);
	if (commits)
		*commits = w->commits;
	if (rows)
		*rows = w->rows;
	pthread_mutex_unlock(&w->mu);
}
