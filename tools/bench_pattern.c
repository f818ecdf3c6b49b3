/* bench_pattern.c - see bench_pattern.h.
 *
 * The client is the calling thread; the sequencer a poll() loop over its
 * client connection and its copies' connections; each other copy a thread
 * blocked in recv().  Every message starts with the iteration number
 * (big-endian), so an acknowledgement of an older update is never counted
 * for a newer one.  Closing the client's connection ends the sequencer,
 * which closes the copies' connections, which ends the copies. */
#include "bench_pattern.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define MAX_COPIES 64

typedef struct pattern {
    unsigned copies, need; /* acknowledgements the sequencer waits for */
    size_t size;
    unsigned timeout_s;
    bench_raw_t client, seq_side;           /* client <-> sequencer */
    bench_raw_t to_copy[MAX_COPIES];        /* sequencer's end, [1..copies-1] */
    bench_raw_t at_copy[MAX_COPIES];        /* copy's end */
    uint8_t *block[MAX_COPIES];             /* each peer's copy of the data */
    int seq_rc, copy_rc[MAX_COPIES];
} pattern_t;

typedef struct copy_arg {
    pattern_t *p;
    unsigned k;
} copy_arg_t;

/* Copy k: apply every update and acknowledge it. */
static void *copy_thread(void *arg)
{
    copy_arg_t *a = arg;
    pattern_t *p = a->p;
    bench_raw_t *r = &p->at_copy[a->k];
    uint8_t ack[BENCH_SMALL] = {0};
    while (bench_read_full(r->fd, r->rx, p->size) == 0) {
        memcpy(p->block[a->k], r->rx, p->size);
        memcpy(ack, r->rx, 8);
        if (bench_write_full(r->fd, ack, sizeof ack) < 0) {
            p->copy_rc[a->k] = -1;
            break;
        }
    }
    shutdown(r->fd, SHUT_RDWR);
    return NULL;
}

/* The sequencer: grant, then on release fan the bytes out and answer once
 * `need` copies acknowledged this iteration's update. */
static void *seq_thread(void *arg)
{
    pattern_t *p = arg;
    struct pollfd pf[MAX_COPIES];
    pf[0] = (struct pollfd){.fd = p->seq_side.fd, .events = POLLIN};
    for (unsigned k = 1; k < p->copies; k++)
        pf[k] = (struct pollfd){.fd = p->to_copy[k].fd, .events = POLLIN};
    uint8_t small[BENCH_SMALL] = {0};
    uint64_t iter = 0;
    int want_acquire = 1, waiting = 0;
    unsigned got = 0;
    int rc = -1;
    for (;;) {
        int n = poll(pf, p->copies, (int)p->timeout_s * 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* error or time-out */
        if (pf[0].revents) {
            bench_raw_t *c = &p->seq_side;
            if (want_acquire) {
                if (bench_read_full(c->fd, small, sizeof small) < 0) {
                    rc = 0; /* the client is done */
                    break;
                }
                if (bench_write_full(c->fd, small, sizeof small) < 0)
                    break;
                want_acquire = 0;
            } else {
                if (bench_read_full(c->fd, c->rx, p->size) < 0)
                    break;
                iter = bench_get_be64(c->rx);
                memcpy(p->block[0], c->rx, p->size);
                for (unsigned k = 1; k < p->copies; k++)
                    if (bench_write_full(p->to_copy[k].fd, c->rx, p->size) < 0)
                        goto out;
                got = 0;
                waiting = 1;
            }
        }
        for (unsigned k = 1; k < p->copies; k++) {
            if (!pf[k].revents)
                continue;
            if (bench_read_full(p->to_copy[k].fd, small, sizeof small) < 0)
                goto out;
            if (waiting && bench_get_be64(small) == iter)
                got++;
        }
        if (waiting && got >= p->need) {
            bench_put_be64(small, iter);
            if (bench_write_full(p->seq_side.fd, small, sizeof small) < 0)
                break;
            waiting = 0;
            want_acquire = 1;
        }
    }
out:
    p->seq_rc = rc;
    for (unsigned k = 1; k < p->copies; k++)
        shutdown(p->to_copy[k].fd, SHUT_RDWR);
    shutdown(p->seq_side.fd, SHUT_RDWR);
    return NULL;
}

/* The client: acquire round trip, then release and wait for its answer. */
static int client_run(pattern_t *p, uint64_t count, uint64_t warm, double *samples)
{
    bench_raw_t *c = &p->client;
    uint8_t small[BENCH_SMALL] = {0};
    for (uint64_t i = 0; i < warm + count; i++) {
        uint64_t t0 = bench_now_ns();
        bench_put_be64(small, i);
        if (bench_write_full(c->fd, small, sizeof small) < 0 ||
            bench_read_full(c->fd, small, sizeof small) < 0)
            return -1;
        bench_put_be64(c->tx + 4, i);
        if (bench_write_full(c->fd, c->tx + 4, p->size) < 0 ||
            bench_read_full(c->fd, small, sizeof small) < 0 || bench_get_be64(small) != i)
            return -1;
        if (i >= warm)
            samples[i - warm] = (double)(bench_now_ns() - t0) / 1000.0;
    }
    return 0;
}

static void pattern_close(pattern_t *p)
{
    bench_raw_close(&p->client);
    bench_raw_close(&p->seq_side);
    for (unsigned k = 0; k < MAX_COPIES; k++) {
        bench_raw_close(&p->to_copy[k]);
        bench_raw_close(&p->at_copy[k]);
        free(p->block[k]);
    }
}

int bench_pattern_run(unsigned copies, size_t size, uint64_t count, uint64_t warm,
                      unsigned timeout_s, double *samples, char *err, size_t errcap)
{
    if (copies < 1 || copies > MAX_COPIES || size < BENCH_SMALL || size > (16u << 20)) {
        snprintf(err, errcap, "raw pattern: copies 1..%d and size %d..16MiB", MAX_COPIES,
                 BENCH_SMALL);
        return -1;
    }
    pattern_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    p->copies = copies;
    p->need = copies / 2; /* a majority counts the sequencer itself */
    p->size = size;
    p->timeout_s = timeout_s;
    p->client.fd = p->seq_side.fd = -1;
    for (unsigned k = 0; k < MAX_COPIES; k++)
        p->to_copy[k].fd = p->at_copy[k].fd = -1;
    int rc = bench_raw_setup(&p->client, &p->seq_side, size, timeout_s, err, errcap);
    for (unsigned k = 1; rc == 0 && k < copies; k++)
        rc = bench_raw_setup(&p->to_copy[k], &p->at_copy[k], size, timeout_s, err, errcap);
    for (unsigned k = 0; rc == 0 && k < copies; k++)
        if (!(p->block[k] = malloc(size))) {
            snprintf(err, errcap, "out of memory");
            rc = -1;
        }
    if (rc < 0) {
        pattern_close(p);
        free(p);
        return -1;
    }
    pthread_t seq, th[MAX_COPIES];
    copy_arg_t args[MAX_COPIES];
    unsigned started = 0;
    int seq_started = pthread_create(&seq, NULL, seq_thread, p) == 0;
    for (unsigned k = 1; seq_started && k < copies; k++) {
        args[k] = (copy_arg_t){p, k};
        if (pthread_create(&th[k], NULL, copy_thread, &args[k]) != 0)
            break;
        started = k;
    }
    rc = seq_started && started + 1 == copies ? client_run(p, count, warm, samples) : -1;
    shutdown(p->client.fd, SHUT_RDWR); /* ends the sequencer, which ends the copies */
    if (seq_started)
        pthread_join(seq, NULL);
    else
        for (unsigned k = 1; k < copies; k++)
            shutdown(p->at_copy[k].fd, SHUT_RDWR);
    for (unsigned k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
    for (unsigned k = 1; k < copies; k++)
        if (p->copy_rc[k] < 0)
            rc = -1;
    if (rc == 0 && p->seq_rc < 0)
        rc = -1;
    if (rc < 0)
        snprintf(err, errcap, "raw pattern: connection broken, bad answer or socket time-out");
    /* every copy applied every update: all hold the client's last bytes */
    for (unsigned k = 0; rc == 0 && k < copies; k++)
        if (memcmp(p->block[k], p->client.tx + 4, size) != 0) {
            snprintf(err, errcap, "raw pattern: copy %u does not hold the last update", k);
            rc = -1;
        }
    pattern_close(p);
    free(p);
    return rc;
}
