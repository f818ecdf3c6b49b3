/* history.h - record the operations a workload made on one JuxMem block and
 * check afterwards that the block behaved as one atomic 64-bit register.
 *
 * The workload keeps a 64-bit value in the block (0 before any write).
 * Each operation is either an exclusive read-modify-write critical section
 * (acquire, read the value, write a new value no other operation ever
 * writes, release) or a shared read (acquire_read, read, release).  Its
 * outcome is what the client saw:
 *   ok     acquire and release returned 0 (for a write: acknowledged);
 *   fail   acquire (or the read) failed: nothing was read, nothing written;
 *   indet  acquire succeeded and the value was read, but the release
 *          returned an error or timed out: the write may or may not have
 *          taken effect.
 * Times are microseconds on one monotonic clock shared by every client
 * recorded in the history (written as milliseconds with 3 decimals in
 * CSV).  The checker's exact rules are stated at the top of history.c.
 *
 * The recorder is thread-safe (one history per run, appended to by every
 * client thread); checking, saving and loading are made once recording is
 * over. */
#ifndef JUXMEM_TOOLS_HISTORY_H
#define JUXMEM_TOOLS_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    JM_HIST_RMW = 0, /* exclusive critical section: read, then write `written` */
    JM_HIST_READ = 1 /* shared read */
} jm_hist_kind_t;

typedef enum {
    JM_HIST_OK = 0,   /* acknowledged */
    JM_HIST_FAIL = 1, /* failed definitely: nothing read, nothing written */
    JM_HIST_INDET = 2 /* read done, release failed: the write may have taken effect */
} jm_hist_outcome_t;

typedef struct jm_hist_op {
    uint32_t client;
    jm_hist_kind_t kind;
    jm_hist_outcome_t outcome;
    uint64_t start_us; /* before acquire / acquire_read was called */
    uint64_t end_us;   /* after release returned (or the failure) */
    uint64_t read;     /* the value read (not for JM_HIST_FAIL) */
    uint64_t written;  /* JM_HIST_RMW with ok/indet: the value written, never 0 */
} jm_hist_op_t;

typedef struct jm_hist jm_hist_t;

/* NULL when out of memory. */
jm_hist_t *jm_hist_new(void);
void jm_hist_free(jm_hist_t *h);
/* Append one operation (thread-safe).  0, JXTA_EINVAL (bad kind/outcome,
 * end before start, an RMW writing 0) or JXTA_ENOMEM. */
int jm_hist_add(jm_hist_t *h, const jm_hist_op_t *op);
size_t jm_hist_count(const jm_hist_t *h);
/* The i-th operation in recording order (NULL if out of range). */
const jm_hist_op_t *jm_hist_op(const jm_hist_t *h, size_t i);

typedef struct jm_hist_verdict {
    int ok;             /* 1: no violation */
    char why[640];      /* the first violation, in plain words ("" when ok) */
    size_t ops, reads_checked;
    size_t acked_writes;   /* RMW ok */
    size_t indet_applied;  /* RMW indet whose value was observed (so it took effect) */
    size_t indet_unknown;  /* RMW indet never observed (taken as not applied) */
    size_t failed;         /* fail outcomes */
    size_t chain;          /* writes on the chain */
} jm_hist_verdict_t;

/* Check the history (rules in history.c).  Returns 0 when it is correct,
 * 1 on a violation (v->why says which operations and why), JXTA_ENOMEM. */
int jm_hist_check(const jm_hist_t *h, jm_hist_verdict_t *v);

/* CSV: the header line
 *   client,kind,start_ms,end_ms,outcome,read,written
 * then one line per operation, e.g. "3,rmw,12.345,13.001,ok,17,262147";
 * kind rmw|read, outcome ok|fail|indet, read and written decimal or "-"
 * when there is none.  Returns 0 or JXTA_EIO. */
int jm_hist_save(const jm_hist_t *h, FILE *f);
int jm_hist_save_file(const jm_hist_t *h, const char *path);
/* Append the operations of a CSV text to h.  Any malformed line rejects
 * the whole text (h unchanged): JXTA_EINVAL with "line N: <reason>" in
 * err (and a log line); JXTA_ENOMEM; JXTA_EIO for a file that cannot be
 * read.  Empty lines and a trailing newline are accepted. */
int jm_hist_parse(jm_hist_t *h, const char *text, size_t len, char *err, size_t errcap);
int jm_hist_load_file(jm_hist_t *h, const char *path, char *err, size_t errcap);

#endif
