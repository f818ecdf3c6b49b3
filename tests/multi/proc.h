/* proc.h - child processes for multi-process tests: spawn a tool with its
 * stdout on a pipe, collect its lines, wait (bounded) for a line matching
 * a substring, signal it, and reap it by PID.  Every process spawned is
 * registered, and tproc_cleanup() stops any still running (SIGTERM, then
 * SIGKILL after a grace period), so a failing test leaves nothing behind.
 * stderr of each child goes to a log file in the test's directory. */
#ifndef JXTA_TEST_PROC_H
#define JXTA_TEST_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct tproc tproc_t;

/* argv[0] is the program path.  Returns NULL (and fails the test) on error. */
tproc_t *tproc_spawn(const char *name, const char *logdir, const char *const argv[]);
pid_t tproc_pid(const tproc_t *p);
const char *tproc_name(const tproc_t *p);
/* Read whatever every live child has written (waits up to timeout_ms for
 * something to arrive). */
void tproc_pump(int timeout_ms);
/* Lines so far containing `sub`. */
size_t tproc_count(const tproc_t *p, const char *sub);
/* Wait until `p` has printed at least `n` lines containing `sub`; returns
 * 1, or 0 after timeout_ms.  The last matching line is copied to out. */
int tproc_wait(tproc_t *p, const char *sub, size_t n, int timeout_ms, char *out, size_t cap);
void tproc_signal(tproc_t *p, int sig);
/* Wait for exit (bounded); returns the exit status, 128+signal, or -1 on
 * time-out (the process is then killed with SIGKILL and reaped). */
int tproc_reap(tproc_t *p, int timeout_ms);
/* Stop every child still running, reap them all, free everything. */
void tproc_cleanup(void);
/* A jxta-peer daemon `name` with its home in workdir/name, logging at info
 * level to workdir/name.log, plus `extra` arguments (NULL-terminated). */
tproc_t *tproc_peer(const char *bin, const char *workdir, const char *name,
                    const char *const *extra);
/* A fresh work directory "/tmp/<prefix>-XXXXXX" (into dir[cap]) and, in
 * tproc_workdir_remove, its removal after tproc_cleanup. */
void tproc_workdir(char *dir, size_t cap, const char *prefix);
void tproc_workdir_remove(char *dir);

/* The value of "key=<value>" in a line (up to the next space). */
int tproc_field(const char *line, const char *key, char *out, size_t cap);

#endif
