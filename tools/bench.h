/* bench.h - helpers shared by the benchmarks in tools/: a monotonic clock,
 * percentiles, whole-buffer socket I/O, the raw-TCP baseline (one loopback
 * connection between two threads playing the same patterns as the JXTA
 * figures it is compared with), payload and size-label helpers, and option
 * parsing with a clear error. */
#ifndef JXTA_TOOLS_BENCH_H
#define JXTA_TOOLS_BENCH_H

#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

uint64_t bench_now_ns(void);
/* qsort comparator for doubles. */
int bench_cmp_double(const void *a, const void *b);
/* Nearest-rank percentile (q in 0..1) of n sorted samples. */
double bench_percentile(const double *sorted, size_t n, double q);
/* Blocking socket I/O of exactly n bytes; 0, or -1 on error or EOF. */
int bench_read_full(int fd, void *p, size_t n);
int bench_write_full(int fd, const void *p, size_t n);
/* Parse a whole number in [lo, hi] for option `opt`; prints
 * "prog: opt needs ..." and returns -1 otherwise. */
int bench_parse_u64(const char *prog, const char *opt, const char *v, uint64_t lo, uint64_t hi,
                    uint64_t *out);

/* Round-trip payload and acknowledgement size of every benchmark. */
#define BENCH_SMALL 16

void bench_put_be64(uint8_t *p, uint64_t v);
uint64_t bench_get_be64(const uint8_t *p);
/* Payload buffer of len bytes: byte i is (i * 31 + 7) mod 256 (a sender
 * writes its 8-byte big-endian sequence number over the first bytes).
 * malloc'd, NULL when out of memory. */
uint8_t *bench_payload_new(size_t len);
/* "64KiB", "1MiB", "100B". */
void bench_size_label(size_t n, char *out, size_t cap);

/* ---- raw TCP baseline ----------------------------------------------------
 * Frames are a 4-byte big-endian length then the payload (sequence number
 * first).  Blocking sockets, TCP_NODELAY, send/receive time-outs. */
typedef struct bench_raw {
    int fd;
    uint8_t *tx, *rx; /* tx: 4-byte length + payload */
    size_t cap;
} bench_raw_t;

enum bench_raw_role {
    BENCH_RAW_ECHO, /* answer count + warm small frames */
    BENCH_RAW_PING, /* small round trips, samples[i] in microseconds after warm */
    BENCH_RAW_SEND, /* count frames of size, at most window unacknowledged; elapsed ns */
    BENCH_RAW_RECV  /* receive count frames of size, acknowledge each with a small one */
};

typedef struct bench_raw_job {
    bench_raw_t *r;
    enum bench_raw_role role;
    uint64_t count, warm, window;
    size_t size;
    double *samples;
    uint64_t elapsed;
    int rc;
} bench_raw_job_t;

/* Connect *a to *b over 127.0.0.1 with buffers for size-byte payloads and
 * socket time-outs of timeout_s.  0, or -1 with a reason in err. */
int bench_raw_setup(bench_raw_t *a, bench_raw_t *b, size_t size, unsigned timeout_s, char *err,
                    size_t errcap);
/* Run `mine` on this thread and `theirs` on a helper thread until both end.
 * 0, or -1 (connection broken, bad frame, socket time-out or no thread). */
int bench_raw_pair(bench_raw_job_t *mine, bench_raw_job_t *theirs);
void bench_raw_close(bench_raw_t *r);

/* ---- driver and loop threads ---------------------------------------------
 * The driver thread starts a step on the peers' loops and waits for one of
 * their callbacks to finish it, bounded by the run's overall deadline; a
 * SIGALRM set for the same time-out backs every wait up (a phase stuck in
 * a blocking call still ends the run, naming the phase). */
typedef struct bench_step {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    int done, err;
    char errmsg[256];
} bench_step_t;

void bench_step_init(bench_step_t *s);
void bench_step_begin(bench_step_t *s);
/* Loop threads: the step is over (err 0) or failed (fmt says why); only the
 * first call counts. */
void bench_step_finish(bench_step_t *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bench_step_vfinish(bench_step_t *s, int err, const char *fmt, va_list ap);
/* Driver: wait for the finish until `deadline`; on time-out or failure
 * print "PROG: ..." naming `phase` and exit 1. */
void bench_step_wait(bench_step_t *s, const char *prog, const struct timespec *deadline,
                     unsigned timeout_s, const char *phase);
/* The run's overall time-out: *deadline (may be NULL) = now + timeout_s on
 * CLOCK_MONOTONIC, for the bounded waits; and SIGALRM armed for the same
 * time, which prints "PROG: overall time-out (--timeout) exceeded during
 * <*phase>" and exits 1 (it also covers phases stuck in blocking calls). */
void bench_timeout_start(const char *prog, volatile const char *const *phase, unsigned timeout_s,
                         struct timespec *deadline);

/* Remove the directory tree `dir` (depth first, links not followed): the
 * benchmarks' work directories.  0, or -1 if something stayed. */
int bench_remove_tree(const char *dir);

#endif
