/* bench.c - see bench.h. */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

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

void bench_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

uint64_t bench_get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

uint8_t *bench_payload_new(size_t len)
{
    uint8_t *p = malloc(len);
    if (p)
        for (size_t i = 0; i < len; i++)
            p[i] = (uint8_t)(i * 31u + 7u);
    return p;
}

void bench_size_label(size_t n, char *out, size_t cap)
{
    if (n >= 1024 && n % (1024 * 1024) == 0)
        snprintf(out, cap, "%zuMiB", n / (1024 * 1024));
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, cap, "%zuKiB", n / 1024);
    else
        snprintf(out, cap, "%zuB", n);
}

/* ---- raw TCP baseline ------------------------------------------------- */

static int raw_send(bench_raw_t *r, uint64_t seq, size_t len)
{
    r->tx[0] = (uint8_t)(len >> 24);
    r->tx[1] = (uint8_t)(len >> 16);
    r->tx[2] = (uint8_t)(len >> 8);
    r->tx[3] = (uint8_t)len;
    bench_put_be64(r->tx + 4, seq);
    return bench_write_full(r->fd, r->tx, 4 + len);
}

/* Receive one frame; checks its length and sequence number. */
static int raw_recv(bench_raw_t *r, uint64_t want_seq, size_t want_len)
{
    uint8_t h[4];
    if (bench_read_full(r->fd, h, 4) < 0)
        return -1;
    size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    if (len != want_len || len > r->cap || bench_read_full(r->fd, r->rx, len) < 0)
        return -1;
    return bench_get_be64(r->rx) == want_seq ? 0 : -1;
}

static void raw_run(bench_raw_job_t *j)
{
    bench_raw_t *r = j->r;
    j->rc = -1;
    switch (j->role) {
    case BENCH_RAW_ECHO:
        for (uint64_t i = 0; i < j->warm + j->count; i++)
            if (raw_recv(r, i, BENCH_SMALL) < 0 || raw_send(r, i, BENCH_SMALL) < 0)
                return;
        break;
    case BENCH_RAW_PING:
        for (uint64_t i = 0; i < j->warm + j->count; i++) {
            uint64_t t = bench_now_ns();
            if (raw_send(r, i, BENCH_SMALL) < 0 || raw_recv(r, i, BENCH_SMALL) < 0)
                return;
            if (i >= j->warm)
                j->samples[i - j->warm] = (double)(bench_now_ns() - t) / 1000.0;
        }
        break;
    case BENCH_RAW_SEND: {
        uint64_t t0 = bench_now_ns(), acked = 0;
        for (uint64_t i = 0; i < j->count; i++) {
            while (i - acked >= j->window)
                if (raw_recv(r, acked++, BENCH_SMALL) < 0)
                    return;
            if (raw_send(r, i, j->size) < 0)
                return;
        }
        while (acked < j->count)
            if (raw_recv(r, acked++, BENCH_SMALL) < 0)
                return;
        j->elapsed = bench_now_ns() - t0;
        break;
    }
    case BENCH_RAW_RECV:
        for (uint64_t i = 0; i < j->count; i++)
            if (raw_recv(r, i, j->size) < 0 || raw_send(r, i, BENCH_SMALL) < 0)
                return;
        break;
    }
    j->rc = 0;
}

static void *raw_thread(void *arg)
{
    raw_run(arg);
    return NULL;
}

int bench_raw_pair(bench_raw_job_t *mine, bench_raw_job_t *theirs)
{
    pthread_t t;
    if (pthread_create(&t, NULL, raw_thread, theirs) != 0)
        return -1;
    raw_run(mine);
    if (mine->rc < 0)
        shutdown(mine->r->fd, SHUT_RDWR); /* unblock the other side */
    pthread_join(t, NULL);
    return mine->rc < 0 || theirs->rc < 0 ? -1 : 0;
}

int bench_raw_setup(bench_raw_t *ra, bench_raw_t *rb, size_t size, unsigned timeout_s, char *err,
                    size_t errcap)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    ra->fd = rb->fd = -1;
    ra->tx = ra->rx = rb->tx = rb->rx = NULL;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sl) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&sa, &sl) < 0) {
        snprintf(err, errcap, "raw TCP: cannot listen on 127.0.0.1: %s", strerror(errno));
        goto fail;
    }
    ra->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ra->fd < 0 || connect(ra->fd, (struct sockaddr *)&sa, sl) < 0) {
        snprintf(err, errcap, "raw TCP: cannot connect: %s", strerror(errno));
        goto fail;
    }
    rb->fd = accept(l, NULL, NULL);
    if (rb->fd < 0) {
        snprintf(err, errcap, "raw TCP: accept: %s", strerror(errno));
        goto fail;
    }
    close(l);
    l = -1;
    bench_raw_t *rs[2] = {ra, rb};
    for (int i = 0; i < 2; i++) {
        int one = 1;
        struct timeval tv = {.tv_sec = timeout_s};
        setsockopt(rs[i]->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(rs[i]->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(rs[i]->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        rs[i]->cap = size > BENCH_SMALL ? size : BENCH_SMALL;
        rs[i]->tx = malloc(4 + rs[i]->cap);
        rs[i]->rx = malloc(rs[i]->cap);
        uint8_t *pat = bench_payload_new(rs[i]->cap);
        if (!rs[i]->tx || !rs[i]->rx || !pat) {
            free(pat);
            snprintf(err, errcap, "out of memory");
            goto fail;
        }
        memcpy(rs[i]->tx + 4, pat, rs[i]->cap);
        free(pat);
    }
    return 0;
fail:
    if (l >= 0)
        close(l);
    bench_raw_close(ra);
    bench_raw_close(rb);
    return -1;
}

void bench_raw_close(bench_raw_t *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->tx);
    free(r->rx);
    r->fd = -1;
    r->tx = r->rx = NULL;
}

/* ---- driver and loop threads ------------------------------------------------ */

void bench_step_init(bench_step_t *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
}

void bench_step_begin(bench_step_t *s)
{
    pthread_mutex_lock(&s->mu);
    s->done = 0;
    s->err = 0;
    s->errmsg[0] = '\0';
    pthread_mutex_unlock(&s->mu);
}

void bench_step_vfinish(bench_step_t *s, int err, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&s->mu);
    if (!s->done) {
        s->done = 1;
        s->err = err;
        if (fmt)
            vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
}

void bench_step_finish(bench_step_t *s, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bench_step_vfinish(s, err, fmt, ap);
    va_end(ap);
}

void bench_step_wait(bench_step_t *s, const char *prog, const struct timespec *deadline,
                     unsigned timeout_s, const char *phase)
{
    pthread_mutex_lock(&s->mu);
    while (!s->done) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, deadline) == ETIMEDOUT && !s->done) {
            pthread_mutex_unlock(&s->mu);
            fprintf(stderr, "%s: overall time-out of %u s exceeded during %s\n", prog, timeout_s,
                    phase);
            exit(1);
        }
    }
    int err = s->err;
    pthread_mutex_unlock(&s->mu);
    if (err) {
        fprintf(stderr, "%s: %s failed: %s\n", prog, phase, s->errmsg);
        exit(1);
    }
}

static const char *alarm_prog = "bench";
static volatile const char *const *alarm_phase;

static void on_alarm(int sig)
{
    (void)sig;
    static const char a[] = ": overall time-out (--timeout) exceeded during ";
    const char *p = alarm_phase ? (const char *)*alarm_phase : "?";
    ssize_t r = write(2, alarm_prog, strlen(alarm_prog));
    r = write(2, a, sizeof a - 1);
    r = write(2, p, strlen(p));
    r = write(2, "\n", 1);
    (void)r;
    _exit(1);
}

void bench_timeout_start(const char *prog, volatile const char *const *phase, unsigned timeout_s,
                         struct timespec *deadline)
{
    alarm_prog = prog;
    alarm_phase = phase;
    signal(SIGALRM, on_alarm);
    if (deadline) {
        clock_gettime(CLOCK_MONOTONIC, deadline);
        deadline->tv_sec += timeout_s;
    }
    alarm(timeout_s);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int bench_remove_tree(const char *dir)
{
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -1 : 0;
}
