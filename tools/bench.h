/* bench.h - helpers shared by the benchmarks in tools/: a monotonic clock,
 * percentiles, whole-buffer socket I/O for the raw-TCP baselines, and
 * option parsing with a clear error. */
#ifndef JXTA_TOOLS_BENCH_H
#define JXTA_TOOLS_BENCH_H

#include <stddef.h>
#include <stdint.h>

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

#endif
