/* testutil.h - helpers for the Check unit tests: locating the JXSE vectors
 * in ../shared (read in place, never copied), reading files, listing a
 * directory, and capturing log lines so tests can assert that bad input
 * was logged. */
#ifndef JXTA_TESTUTIL_H
#define JXTA_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

/* $JXTA_VECTORS (set by make check) or ../shared/jxta/vectors/jxse-2.5. */
const char *tu_vectors_dir(void);
/* Join the vectors dir and a relative path; malloc'd, caller frees. */
char *tu_vector_path(const char *rel);
/* Read a whole file; fails the current test if it cannot. Caller frees. */
uint8_t *tu_read(const char *path, size_t *len);
/* Sorted names (not paths) in `dir` ending with `suffix`; returns count,
 * *names is a NULL-terminated malloc'd array (free with tu_free_list). */
size_t tu_list(const char *dir, const char *suffix, char ***names);
void tu_free_list(char **names);

/* Capture log lines at WARN and above in memory instead of stderr. */
void tu_log_capture(void);
size_t tu_log_count(void);
const char *tu_log_last(void); /* "" if none */
void tu_log_release(void);

/* Monotonic milliseconds. */
uint64_t tu_now_ms(void);

/* Run `loop` until `cond` holds, failing the test after `seconds`. */
#define TU_RUN_UNTIL(loop, cond, seconds)                                                      \
    do {                                                                                       \
        uint64_t _tu_end = tu_now_ms() + (uint64_t)(seconds)*1000u;                            \
        while (!(cond) && tu_now_ms() < _tu_end)                                               \
            ck_assert_int_ge(jxta_loop_run_once(loop, 10), 0);                                 \
        ck_assert_msg((cond), "condition not reached in %ds: %s", (int)(seconds), #cond);      \
    } while (0)

/* An in-process peer for the overlay tests: a fresh peer ID, an endpoint
 * (listening on 127.0.0.1 when it is a rendezvous, short post-welcome
 * delay), its peer advertisement with route, and the rendezvous service in
 * `role` with at most one `seed` (NULL for none) and a 300 ms retry.
 * *pa (may be NULL) receives the peer advertisement (caller frees). */
struct jxta_endpoint;
struct jxta_rdv;
struct jxta_adv;
struct jxta_loop;
struct jxta_addr;
void tu_peer(struct jxta_loop *l, int role, const struct jxta_addr *seed,
             struct jxta_endpoint **ep, struct jxta_rdv **rdv, struct jxta_adv **pa);

/* Run a suite with the usual runner; returns the process exit status. */
int tu_run(Suite *s);

#endif
