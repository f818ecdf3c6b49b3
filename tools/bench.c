/* bench.c - see bench.h. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_percentile(const double *s, size_t n, double q)
{
    size_t k = (size_t)ceil(q * (double)n);
    return s[k ? k - 1 : 0];
}

int bench_read_full(int fd, void *p, size_t n)
{
    uint8_t *q = p;
    while (n) {
        ssize_t r = recv(fd, q, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        q += r;
        n -= (size_t)r;
    }
    return 0;
}

int bench_write_full(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t r = send(fd, q, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        q += r;
        n -= (size_t)r;
    }
    return 0;
}

int bench_parse_u64(const char *prog, const char *opt, const char *v, uint64_t lo, uint64_t hi,
                    uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || x < lo || x > hi) {
        fprintf(stderr, "%s: %s needs a whole number from %llu to %llu, not '%s'\n", prog, opt,
                (unsigned long long)lo, (unsigned long long)hi, v);
        return -1;
    }
    *out = x;
    return 0;
}
