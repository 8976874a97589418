/* The SQLite lease store and its group-commit writer, against real files in
 * a fresh /tmp directory per test (not /dev/shm: fsync should cost what it
 * costs on the disk the daemon uses). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dhcp/lease_store.h"
#include "lib/log.h"
#include "table.h"

static char dir[96];
static char dbpath[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rackboot-leases-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/leases.sqlite3", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* A row whose every field derives from its address, so a loaded row can be
 * checked from its ip alone. */
static struct lease mk(uint32_t host_ip, uint8_t state)
{
	struct lease l;

	memset(&l, 0, sizeof(l));
	l.ip = htonl(host_ip);
	l.hwlen = 6;
	for (int i = 0; i < 6; i++)
		l.hw[i] = (uint8_t)(host_ip >> (i % 4 * 8)) ^ (uint8_t)i;
	l.state = state;
	l.expires = 1700000000 + host_ip % 1000;
	l.updated = 1600000000 + host_ip % 777;
	snprintf(l.hostname, sizeof(l.hostname), "host-%u", host_ip);
	return l;
}

static void check_equal(const struct lease *a, const struct lease *b)
{
	assert_int_equal(a->ip, b->ip);
	assert_int_equal(a->hwlen, b->hwlen);
	assert_memory_equal(a->hw, b->hw, a->hwlen);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->updated, b->updated);
	assert_string_equal(a->hostname, b->hostname);
}

struct vec {
	struct lease *v;
	size_t n, cap;
};

static void collect(const struct lease *l, void *arg)
{
	struct vec *v = arg;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->v = realloc(v->v, v->cap * sizeof(*v->v));
		assert_non_null(v->v);
	}
	v->v[v->n++] = *l;
}

static struct vec load_all(struct lease_store *s)
{
	struct vec v = { 0 };
	char err[512];

	if (lease_store_load(s, collect, &v, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	return v;
}

static struct lease_store *open_ok(void)
{
	char err[512];
	struct lease_store *s = lease_store_open(dir, err, sizeof(err));

	if (!s)
		fail_msg("open: %s", err);
	return s;
}

static sqlite3 *raw_open(void)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the store ---- */

static void test_commit_reload(void **state)
{
	/* Out of order, with addresses whose top bit is set (sorted as
	 * unsigned), every state, hw lengths 1..16, empty and full names. */
	static const uint32_t ips[] = { 0xc0a80105, 0x0a000002, 0xffffffff, 0x00000000,
					0x80000001, 0x0a000001, 0x7fffffff };
	struct lease in[ARRAY_LEN(ips)];
	struct lease_store *s;
	struct vec v;
	char err[512];

	for (size_t i = 0; i < ARRAY_LEN(ips); i++)
		in[i] = mk(ips[i], (uint8_t)(i % 3));
	in[1].hwlen = 1;
	in[2].hwlen = 16;
	memset(in[2].hw, 0xab, 16);
	in[3].hostname[0] = 0;
	memset(in[4].hostname, 'x', 63);
	in[4].hostname[63] = 0;
	in[5].expires = -1;
	in[6].expires = INT64_MAX;
	in[6].updated = INT64_MIN;

	s = open_ok();
	assert_int_equal(lease_store_commit(s, in, 4, err, sizeof(err)), 0);
	assert_int_equal(lease_store_commit(s, in + 4, ARRAY_LEN(in) - 4, err, sizeof(err)), 0);
	lease_store_close(s);

	/* Sorted by ip, all fields back, through both kinds of handle
	 * (read-only after the daemon closed cleanly: no -wal/-shm left). */
	for (int ro = 0; ro < 2; ro++) {
		static const int order[] = { 3, 5, 1, 6, 4, 0, 2 };

		s = ro ? lease_store_open_ro(dir, err, sizeof(err)) : lease_store_open(dir, err, sizeof(err));
		if (!s)
			fail_msg("open (ro=%d): %s", ro, err);
		v = load_all(s);
		assert_int_equal(v.n, ARRAY_LEN(in));
		for (size_t i = 0; i < v.n; i++)
			check_equal(&v.v[i], &in[order[i]]);
		free(v.v);
		lease_store_close(s);
	}
}

static void test_replace_by_ip(void **state)
{
	struct lease_store *s = open_ok();
	struct lease a = mk(0x0a000005, LEASE_BOUND), b = mk(0x0a000005, LEASE_FREE);
	struct lease pair[2];
	struct vec v;
	char err[512];

	b.hw[0] ^= 0xff;
	b.hwlen = 8;
	strcpy(b.hostname, "other");
	b.expires = 42;
	assert_int_equal(lease_store_commit(s, &a, 1, err, sizeof(err)), 0);
	assert_int_equal(lease_store_commit(s, &b, 1, err, sizeof(err)), 0);
	v = load_all(s);
	assert_int_equal(v.n, 1);
	check_equal(&v.v[0], &b);
	free(v.v);

	/* Within one transaction: the later row wins. */
	pair[0] = b;
	pair[1] = a;
	assert_int_equal(lease_store_commit(s, pair, 2, err, sizeof(err)), 0);
	v = load_all(s);
	assert_int_equal(v.n, 1);
	check_equal(&v.v[0], &a);
	free(v.v);
	lease_store_close(s);
}

/* ---- the writer ---- */

struct acks {
	uintptr_t next;        /* cookie expected next: submission order */
	unsigned ok, failed, out_of_order;
	bool seen[8];          /* results for small cookies, by value */
	bool result[8];
};

static void on_done(void *cookie, bool ok, void *arg)
{
	struct acks *a = arg;
	uintptr_t c = (uintptr_t)cookie;

	if (c != a->next)
		a->out_of_order++;
	a->next = c + 1;
	if (ok)
		a->ok++;
	else
		a->failed++;
	if (c < ARRAY_LEN(a->seen)) {
		a->seen[c] = true;
		a->result[c] = ok;
	}
}

enum { BURST = 10000 };

static void test_writer_burst(void **state)
{
	struct lease_store *s = open_ok();
	struct acks a = { .next = 1 };
	struct lease_writer *w = lease_writer_new(s, on_done, &a);
	unsigned long long commits, rows;
	double t0, t1;
	struct vec v;

	assert_non_null(w);
	t0 = now();
	for (uint32_t i = 0; i < BURST; i++) {
		struct lease l = mk(0x0a000000 + i, LEASE_BOUND);

		lease_writer_submit(w, &l, (void *)(uintptr_t)(i + 1));
	}
	lease_writer_flush(w);
	t1 = now();
	lease_writer_stats(w, &commits, &rows);
	print_message("burst of %d rows: %.3f s, %llu commits: %.0f rows/s, %.0f commits/s\n",
		      BURST, t1 - t0, commits, rows / (t1 - t0), commits / (t1 - t0));
	assert_int_equal(a.ok, BURST);
	assert_int_equal(a.failed, 0);
	assert_int_equal(a.out_of_order, 0);
	assert_int_equal(rows, BURST);
	/* The submits take about a millisecond and each commit an fsync, so
	 * the batches are large; this only fails if every single commit
	 * finished before the next submit, i.e. no grouping at all.
	 * test_writer_groups proves the grouping deterministically. */
	assert_true(commits < rows);

	/* For comparison, no grouping: each row waits for its own commit. */
	t0 = now();
	for (uint32_t i = 0; i < 200; i++) {
		struct lease l = mk(0x0a000000 + i, LEASE_BOUND);

		lease_writer_submit(w, &l, (void *)(uintptr_t)(BURST + i + 1));
		lease_writer_flush(w);
	}
	t1 = now();
	print_message("200 rows one commit each: %.3f s, %.0f commits/s\n", t1 - t0, 200 / (t1 - t0));
	assert_int_equal(a.ok, BURST + 200);
	lease_writer_free(w);
	lease_store_close(s);

	s = open_ok();
	v = load_all(s);
	assert_int_equal(v.n, BURST);
	for (size_t i = 0; i < v.n; i++) {
		struct lease e = mk(0x0a000000 + (uint32_t)i, LEASE_BOUND);
		check_equal(&v.v[i], &e);
	}
	free(v.v);
	lease_store_close(s);
}

/* Another connection holds the write lock while the rows are submitted: the
 * writer's first transaction (at most the rows it took before blocking)
 * waits in busy_timeout, so everything else must go in a second one. */
static void test_writer_groups(void **state)
{
	struct lease_store *s = open_ok();
	struct acks a = { .next = 1 };
	struct lease_writer *w = lease_writer_new(s, on_done, &a);
	sqlite3 *db = raw_open();
	unsigned long long commits, rows;

	assert_non_null(w);
	raw_exec(db, "BEGIN IMMEDIATE");
	for (uint32_t i = 0; i < BURST; i++) {
		struct lease l = mk(0x0a000000 + i, LEASE_BOUND);

		lease_writer_submit(w, &l, (void *)(uintptr_t)(i + 1));
	}
	usleep(20 * 1000);
	assert_int_equal(a.ok + a.failed, 0);      /* nothing acknowledged while blocked */
	raw_exec(db, "COMMIT");
	lease_writer_flush(w);
	lease_writer_stats(w, &commits, &rows);
	assert_int_equal(a.ok, BURST);
	assert_int_equal(a.out_of_order, 0);
	assert_int_equal(rows, BURST);
	assert_in_range(commits, 1, 2);
	lease_writer_free(w);
	sqlite3_close(db);
	lease_store_close(s);
}

/* A failed transaction fails every entry of its batch; a bad row fails
 * alone; NULL cookies are not notified; free flushes. */
static void test_writer_failures(void **state)
{
	struct lease_store *s = open_ok();
	struct acks a = { .next = 1 };
	struct lease_writer *w = lease_writer_new(s, on_done, &a);
	sqlite3 *db = raw_open();
	struct lease boom = mk(0x0a0000ff, LEASE_BOUND), good = mk(0x0a000001, LEASE_BOUND);
	struct lease bad = mk(0x0a000002, LEASE_BOUND), other = mk(0x0a000003, LEASE_BOUND);
	unsigned long long commits, rows;
	struct vec v;

	assert_non_null(w);
	/* Any transaction writing 10.0.0.255 aborts. */
	raw_exec(db, "CREATE TRIGGER boom BEFORE INSERT ON leases WHEN NEW.ip = 167772415"
		     " BEGIN SELECT RAISE(ABORT, 'boom'); END");
	lease_writer_submit(w, &boom, (void *)1);
	lease_writer_flush(w);
	assert_true(a.seen[1]);
	assert_false(a.result[1]);
	lease_writer_stats(w, &commits, &rows);
	assert_int_equal(commits, 0);
	assert_int_equal(rows, 0);

	bad.hwlen = 0;
	lease_writer_submit(w, &good, (void *)2);
	lease_writer_submit(w, &bad, (void *)3);
	lease_writer_submit(w, &other, NULL);    /* not notified: 4 follows 3 */
	lease_writer_submit(w, &other, (void *)4);
	lease_writer_flush(w);
	lease_writer_stats(w, &commits, &rows);
	assert_in_range(commits, 1, 3);
	assert_int_equal(rows, 3);
	assert_true(a.result[2]);
	assert_false(a.result[3]);
	assert_true(a.result[4]);
	assert_int_equal(a.ok, 2);
	assert_int_equal(a.failed, 2);
	assert_int_equal(a.out_of_order, 0);

	/* free flushes what is still queued. */
	lease_writer_submit(w, &good, (void *)5);
	lease_writer_free(w);
	assert_true(a.seen[5] && a.result[5]);
	v = load_all(s);
	assert_int_equal(v.n, 2);
	check_equal(&v.v[0], &good);
	check_equal(&v.v[1], &other);
	free(v.v);
	sqlite3_close(db);
	lease_store_close(s);
}

/* ---- durability: kill -9 while acknowledging ---- */

static void pipe_ack(void *cookie, bool ok, void *arg)
{
	uint32_t ip = (uint32_t)(uintptr_t)cookie;

	if (ok && write(*(int *)arg, &ip, sizeof(ip)) != sizeof(ip))
		_exit(3);
}

/* The child: what the DHCP server does, one submit per request, the ACK
 * (here: the ip written to the pipe) only from done(ok). */
static void __attribute__((noreturn)) child(int fd, uint32_t base)
{
	char err[512];
	struct lease_store *s = lease_store_open(dir, err, sizeof(err));
	struct lease_writer *w;

	if (!s) {
		fprintf(stderr, "child: %s\n", err);
		_exit(2);
	}
	w = lease_writer_new(s, pipe_ack, &fd);
	if (!w)
		_exit(2);
	for (uint32_t i = 0; i < 100000; i++) {
		struct lease l = mk(base + i, LEASE_BOUND);

		lease_writer_submit(w, &l, (void *)(uintptr_t)(base + i));
		usleep(20);
	}
	lease_writer_flush(w);
	for (;;)
		pause();
}

static int cmp_ip(const void *k, const void *e)
{
	uint32_t a = *(const uint32_t *)k, b = ntohl(((const struct lease *)e)->ip);

	return a < b ? -1 : a > b;
}

struct acked {
	uint32_t *v;
	size_t n, cap;
};

static size_t read_acks(int fd, struct acked *a, int timeout_ms)
{
	uint32_t buf[1024];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	r = read(fd, buf, sizeof(buf));
	if (r <= 0)
		return 0;
	/* Each ack is one 4-byte write: pipe writes that small are atomic. */
	assert_int_equal(r % 4, 0);
	for (size_t i = 0; i < (size_t)r / 4; i++) {
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 1024;
			a->v = realloc(a->v, a->cap * sizeof(*a->v));
			assert_non_null(a->v);
		}
		a->v[a->n++] = buf[i];
	}
	return (size_t)r / 4;
}

static void test_kill9(void **state)
{
	/* Kill points: right after the first ack, after a few hundred, and
	 * at fixed times into the stream. The rounds share the directory,
	 * so each one also recovers the previous round's hot WAL. */
	static const struct { unsigned acks; int ms; } kill_at[] = {
		{ 1, 0 }, { 300, 0 }, { 0, 37 }, { 0, 200 }, { 2000, 0 },
	};
	struct acked a = { 0 };

	for (size_t r = 0; r < ARRAY_LEN(kill_at); r++) {
		uint32_t base = 0x0a000000 + ((uint32_t)r << 20);
		size_t before = a.n, at_kill;
		double t0, deadline;
		int fds[2], status;
		struct lease_store *s;
		struct vec v;
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child(fds[1], base);
		}
		close(fds[1]);
		t0 = now();
		deadline = t0 + (kill_at[r].ms ? kill_at[r].ms / 1000.0 : 10.0);
		while (now() < deadline && (!kill_at[r].acks || a.n - before < kill_at[r].acks)) {
			int left = (int)((deadline - now()) * 1000) + 1;

			read_acks(fds[0], &a, left);
			if (waitpid(pid, &status, WNOHANG) == pid)
				fail_msg("round %zu: child exited early (status %#x)", r, status);
		}
		kill(pid, SIGKILL);
		at_kill = a.n - before;
		while (read_acks(fds[0], &a, 5000) > 0)   /* acks already in the pipe */
			;
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		if (!at_kill)
			fail_msg("round %zu: no ack before the kill: nothing tested", r);
		print_message("round %zu: killed after %.0f ms, %zu acks read by then, %zu in all\n",
			      r, (now() - t0) * 1000, at_kill, a.n - before);

		/* Every ack of every round so far survived. */
		s = open_ok();
		v = load_all(s);
		lease_store_close(s);
		assert_true(v.n >= a.n);
		for (size_t i = 0; i < a.n; i++) {
			const struct lease *l = bsearch(&a.v[i], v.v, v.n, sizeof(*v.v), cmp_ip);
			struct lease e = mk(a.v[i], LEASE_BOUND);

			if (!l)
				fail_msg("round %zu: acknowledged %#x is missing", r, a.v[i]);
			check_equal(l, &e);
		}
		free(v.v);
	}
	free(a.v);
}

/* ---- a read-only lister while the daemon writes ---- */

static unsigned count_rows;
static void count(const struct lease *l, void *arg)
{
	(void)l;
	(void)arg;
	count_rows++;
}

static void test_ro_while_writing(void **state)
{
	struct lease_store *s = open_ok();
	struct acks a = { .next = 1 };
	struct lease_writer *w = lease_writer_new(s, on_done, &a);
	struct lease_store *ro;
	char err[512];
	unsigned total = 0;

	assert_non_null(w);
	ro = lease_store_open_ro(dir, err, sizeof(err));
	if (!ro)
		fail_msg("open_ro: %s", err);
	for (int round = 0; round < 20; round++) {
		unsigned flushed = total;

		for (int i = 0; i < 500; i++, total++) {
			struct lease l = mk(0x0a000000 + total, LEASE_BOUND);

			lease_writer_submit(w, &l, (void *)(uintptr_t)(total + 1));
		}
		/* While those commit: a consistent snapshot, never BUSY. */
		count_rows = 0;
		if (lease_store_load(ro, count, NULL, err, sizeof(err)) != 0)
			fail_msg("round %d: load during commits: %s", round, err);
		assert_in_range(count_rows, flushed, total);
		lease_writer_flush(w);
		count_rows = 0;
		if (lease_store_load(ro, count, NULL, err, sizeof(err)) != 0)
			fail_msg("round %d: load after flush: %s", round, err);
		assert_int_equal(count_rows, total);
	}
	/* The lister cannot write. */
	{
		struct lease l = mk(0x0b000000, LEASE_BOUND);

		assert_int_equal(lease_store_commit(ro, &l, 1, err, sizeof(err)), -1);
		assert_non_null(strstr(err, dbpath));
	}
	lease_store_close(ro);
	lease_writer_free(w);
	lease_store_close(s);
	assert_int_equal(a.ok, total);
}

/* ---- errors: always name the file, never recreate ---- */

static void expect_open_fails(bool ro, const char *path, const char *what)
{
	char err[512] = "";
	struct lease_store *s = ro ? lease_store_open_ro(dir, err, sizeof(err))
				   : lease_store_open(dir, err, sizeof(err));

	if (s)
		fail_msg("open (ro=%d) succeeded, expected: %s", ro, what);
	if (strncmp(err, path, strlen(path)) != 0 || !strstr(err, ": ") || !strstr(err, what))
		fail_msg("open (ro=%d): '%s' does not start with %s or lacks '%s'", ro, err, path, what);
}

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void test_missing_dir(void **state)
{
	char saved[sizeof(dir)], path[160];

	/* Point dir at a subdirectory that does not exist. */
	memcpy(saved, dir, sizeof(saved));
	snprintf(dir, sizeof(dir), "%.64s/nope", saved);
	snprintf(path, sizeof(path), "%s/leases.sqlite3", dir);
	expect_open_fails(false, path, "No such file or directory");
	expect_open_fails(true, path, "unable to open");
	memcpy(dir, saved, sizeof(saved));

	/* open_ro never creates the store. */
	expect_open_fails(true, dbpath, "unable to open");
	assert_int_equal(access(dbpath, F_OK), -1);
}

static void test_not_a_database(void **state)
{
	char buf[64] = "";
	FILE *f;

	put(dbpath, "not a database\n");
	expect_open_fails(false, dbpath, "file is not a database");
	expect_open_fails(true, dbpath, "file is not a database");
	f = fopen(dbpath, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "not a database\n");   /* left as it was */
}

static void test_future_or_foreign_schema(void **state)
{
	sqlite3 *db;

	lease_store_close(open_ok());
	db = raw_open();
	raw_exec(db, "PRAGMA user_version = 2");
	sqlite3_close(db);
	expect_open_fails(false, dbpath, "schema version 2 is newer");
	expect_open_fails(true, dbpath, "schema version 2 is newer");

	/* Someone else's database (or ours with the version lost). */
	db = raw_open();
	raw_exec(db, "PRAGMA user_version = 0");
	sqlite3_close(db);
	expect_open_fails(false, dbpath, "not a rackboot lease store");
	expect_open_fails(true, dbpath, "not a rackboot lease store");

	/* A foreign file is refused before anything in it is changed (the
	 * journal mode, here). */
	assert_int_equal(unlink(dbpath), 0);
	db = raw_open();
	raw_exec(db, "CREATE TABLE t (x); PRAGMA journal_mode=DELETE");
	sqlite3_close(db);
	expect_open_fails(false, dbpath, "not a rackboot lease store");
	db = raw_open();
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "delete");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

struct bad_row {
	const char *values;    /* for INSERT INTO leases VALUES (...) */
	const char *expect;
};

static int check_bad_row(const struct bad_row *b)
{
	char sql[512], err[512] = "";
	struct vec v = { 0 };
	struct lease_store *s;
	sqlite3 *db = raw_open();
	int rc;

	snprintf(sql, sizeof(sql), "DELETE FROM leases;"
		 " INSERT INTO leases VALUES (167772160, x'020000000001', 1, 0, 0, 'fine');"
		 " INSERT INTO leases VALUES %s", b->values);
	raw_exec(db, sql);
	sqlite3_close(db);
	s = open_ok();
	rc = lease_store_load(s, collect, &v, err, sizeof(err));
	lease_store_close(s);
	free(v.v);
	if (rc != -1 || strncmp(err, dbpath, strlen(dbpath)) != 0 || !strstr(err, b->expect)) {
		print_error("%s: rc %d, err '%s', expected '%s'\n", b->values, rc, err, b->expect);
		return 1;
	}
	return 0;
}

static void test_bad_rows(void **state)
{
	static const struct bad_row rows[] = {
		{ "(167772161, x'000102030405060708090a0b0c0d0e0f10', 1, 0, 0, '')",
		  ": row ip=10.0.0.1: bad hw length 17" },
		{ "(167772161, x'', 1, 0, 0, '')", ": row ip=10.0.0.1: bad hw length 0" },
		{ "(4294967295, x'01', 3, 0, 0, '')", ": row ip=255.255.255.255: bad state 3" },
		{ "(167772161, x'01', -1, 0, 0, '')", ": row ip=10.0.0.1: bad state -1" },
		{ "(167772161, x'01', 1, 0, 0, printf('%.64c', 'a'))",
		  ": row ip=10.0.0.1: bad hostname length 64" },
		{ "(4294967296, x'01', 1, 0, 0, '')", ": row ip=4294967296: bad ip" },
		{ "(-1, x'01', 1, 0, 0, '')", ": row ip=-1: bad ip" },
	};

	lease_store_close(open_ok());
	RUN_TABLE(rows, check_bad_row, "bad rows");
}

static void test_commit_refuses_bad_rows(void **state)
{
	struct lease_store *s = open_ok();
	struct lease ls[2] = { mk(0x0a000001, LEASE_BOUND), mk(0x0a000002, LEASE_BOUND) };
	char err[512];
	struct vec v;

	ls[1].state = 9;
	assert_int_equal(lease_store_commit(s, ls, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, dbpath));
	assert_non_null(strstr(err, ": row ip=10.0.0.2: bad state 9"));
	ls[1].state = LEASE_DECLINED;
	memset(ls[1].hostname, 'h', sizeof(ls[1].hostname));    /* unterminated */
	assert_int_equal(lease_store_commit(s, ls, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad hostname length 64"));
	v = load_all(s);
	assert_int_equal(v.n, 0);                               /* all or nothing */
	free(v.v);
	lease_store_close(s);
}

/* A damaged page: the error names the file (the operator restores it from
 * backup); nothing is recreated. */
static void test_corrupt(void **state)
{
	struct lease_store *s = open_ok();
	struct lease *ls = calloc(3000, sizeof(*ls));
	char err[512] = "", junk[4096];
	struct vec v = { 0 };
	int fd, rc;

	assert_non_null(ls);
	for (uint32_t i = 0; i < 3000; i++)
		ls[i] = mk(0x0a000000 + i, LEASE_BOUND);
	assert_int_equal(lease_store_commit(s, ls, 3000, err, sizeof(err)), 0);
	free(ls);
	lease_store_close(s);     /* checkpoints: the rows are in the main file */

	/* Page 2 is the table's root (an interior page by now). */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(dbpath, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 4096), (ssize_t)sizeof(junk));
	close(fd);

	s = lease_store_open(dir, err, sizeof(err));
	if (s) {
		rc = lease_store_load(s, collect, &v, err, sizeof(err));
		lease_store_close(s);
		free(v.v);
		assert_int_equal(rc, -1);
	}
	if (strncmp(err, dbpath, strlen(dbpath)) != 0 || !strstr(err, "malformed"))
		fail_msg("unexpected error: '%s'", err);
	print_message("%s\n", err);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_commit_reload),
		T(test_replace_by_ip),
		T(test_writer_burst),
		T(test_writer_groups),
		T(test_writer_failures),
		T(test_kill9),
		T(test_ro_while_writing),
		T(test_missing_dir),
		T(test_not_a_database),
		T(test_future_or_foreign_schema),
		T(test_bad_rows),
		T(test_commit_refuses_bad_rows),
		T(test_corrupt),
	};

	log_init("test_lease_store", true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
