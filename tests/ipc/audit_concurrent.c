/*
 * audit_concurrent: 4 forked processes append 200 lines each to one log at
 * the same time; the result is seq 1..800 with no gap or repeat, every
 * process's lines present in its own order, and an intact chain.
 */
#include <sys/wait.h>

#include "audit_util.h"

#define PROCS 4
#define EACH 200

struct _tally {
	uint64_t n;
	bool ok;
	pid_t pid[PROCS];
	int next[PROCS]; /* the next i expected from child c */
};

static int _each(const struct aud_entry *e, void *arg)
{
	struct _tally *t = arg;
	int c = -1, i = -1;
	t->n++;
	if (e->seq != t->n || sscanf(e->detail, "child=%d i=%d", &c, &i) != 2 ||
	    c < 0 || c >= PROCS || i != t->next[c] || e->pid != t->pid[c]) {
		fprintf(stderr, "line %llu unexpected: %.*s\n",
		    (unsigned long long)t->n, (int)e->line_len, e->line);
		t->ok = false;
		return 0;
	}
	t->next[c]++;
	return 0;
}

int main(void)
{
	char dir[128], path[256], err[512];
	au_tmpdir(dir, sizeof(dir), "audit-conc");
	snprintf(path, sizeof(path), "%s/conc.audit", dir);
	struct _tally t = { .ok = true };
	for (int c = 0; c < PROCS; c++) {
		pid_t pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			for (int i = 0; i < EACH; i++) {
				char d[64];
				snprintf(d, sizeof(d), "child=%d i=%d", c, i);
				/* Every 50th syncs, to mix slow appends in. */
				if (aud_append_flags(dir, "conc", AUD_EXPORT,
					(uint64_t)(c + 1), d,
					i % 50 ? AUD_NO_SYNC : 0, err,
					sizeof(err))) {
					fprintf(stderr, "child %d: %s\n", c,
					    err);
					_exit(1);
				}
			}
			_exit(0);
		}
		t.pid[c] = pid;
	}
	for (int c = 0; c < PROCS; c++) {
		int st;
		REQUIRE(waitpid(t.pid[c], &st, 0) == t.pid[c]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	struct aud_report rep;
	CHECK_EQ_INT(aud_verify(path, &rep, err, sizeof(err)), 0);
	CHECK_EQ_INT(rep.lines, PROCS * EACH);
	CHECK_EQ_INT(rep.last_seq, PROCS * EACH);
	CHECK_EQ_INT(aud_read(path, _each, &t, err, sizeof(err)), 0);
	CHECK_EQ_INT(t.n, PROCS * EACH);
	CHECK(t.ok);
	for (int c = 0; c < PROCS; c++)
		CHECK_EQ_INT(t.next[c], EACH);
	au_rmdir(dir);
	return check_done("audit_concurrent");
}
