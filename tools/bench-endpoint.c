/* bench-endpoint - how fast two JXTA-C peers talk through the endpoint,
 * measured against raw TCP sockets in the same process and run.
 *
 * Two peers on 127.0.0.1, each with its own jxta_loop_t on its own thread:
 * B listens on an ephemeral port, A does not listen and dials B.  They talk
 * the way the rendezvous service does between an edge and its seed: A's
 * first message goes to tcp://127.0.0.1:<port>/JxtaBench/hello (the seed's
 * address is all an edge knows at first), B answers routed to
 * jxta://<A>/JxtaBench/... (a non-listening peer is reachable only over the
 * connection it opened), and from then on both sides address each other as
 * jxta://<peer>/JxtaBench/<param>, so every message carries a router header
 * (EndpointRouterMsg) and crosses the one connection A opened.  --direct
 * makes A keep addressing B by tcp:// (no router header A->B) instead.
 * Messages are built fresh for every send (jxta_msg_new, jxta_msg_add, send,
 * free) in the Net Peer Group, as a service would.
 *
 * Measured, each after a warm-up:
 *   rtt16   16-byte payload ping-pong A->B->A: median and p99 round trip;
 *   bulk    SIZE-byte messages one way, each acknowledged by a 16-byte
 *           message: stop-and-wait (1 outstanding) and windowed (up to W
 *           outstanding), A->B and B->A, in MB/s (10^6 payload bytes/s).
 * The baseline repeats the same patterns over one raw TCP connection between
 * two threads (blocking sockets, TCP_NODELAY, 4-byte length prefix + the
 * same payload); each raw figure is taken right before its endpoint twin.
 *
 * The driver thread never touches a peer's state directly: it starts each
 * phase with jxta_loop_post/jxta_loop_call, the phase runs entirely from
 * callbacks on the loop threads (nothing there blocks), and the last
 * callback wakes the driver through a condition variable.  Every wait is
 * bounded by --timeout (an alarm backs it up); exceeding it is an error. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>

#include "bench.h"
#include "cli.h"

static const char *prog = "bench-endpoint";

#define SERVICE "JxtaBench"
#define SMALL BENCH_SMALL /* round-trip payload and ack size */
#define SETUP_MS 10000

static void usage(FILE *out)
{
    fprintf(out,
        "usage: bench-endpoint [options]\n"
        "\n"
        "Benchmark the JXTA-C endpoint between two in-process peers on 127.0.0.1\n"
        "(each with its own event loop thread) against raw TCP sockets: 16-byte\n"
        "round trips, and SIZE-byte messages one way, stop-and-wait and windowed,\n"
        "in both directions.  Every figure is printed with its raw-TCP baseline.\n"
        "\n"
        "  --count N        measured round trips (default 10000)\n"
        "  --warmup N       unmeasured round trips first (default 1000)\n"
        "  --messages N     bulk messages per measurement (default 2000)\n"
        "  --size BYTES     bulk message payload, 16..8388608 (default 65536)\n"
        "  --window W       windowed bulk: most messages outstanding, 1..1024 (default 16)\n"
        "  --direct         A addresses B as tcp://host:port/... (no router header A->B)\n"
        "                   instead of jxta://<B>/... as a peer does once it knows B\n"
        "  --timeout SECS   give up (exit 1) if the whole run takes longer (default 120)\n"
        "  --log-level L    library log on stderr: error, warn (default), info, debug\n"
        "\n"
        "Targets printed alongside: round trip <= 1.5x raw, bulk >= 60%% of raw.\n"
        "Exit status: 0 when every measurement completed (targets missed or not),\n"
        "1 on an error or time-out, 2 on bad options.\n"
        "\n"
        "example:\n"
        "  bench-endpoint --count 20000 --window 32\n");
}

/* ---- time-out --------------------------------------------------------- */

static volatile const char *phase = "start-up";
static unsigned timeout_s = 120;
static struct timespec deadline; /* CLOCK_MONOTONIC: start + timeout_s */

/* ---- the endpoint peers ----------------------------------------------- */

typedef struct bench bench_t;

typedef struct peer {
    const char *name; /* "A" or "B" */
    bench_t *b;
    jxta_loop_t *loop;
    pthread_t thread;
    int running;
    jxta_endpoint_t *ep;
    int listen;
    int setup_rc;
    uint8_t *buf; /* outgoing payload, touched on the loop thread only */
    int other_known;
    jxta_addr_t to_ping, to_pong, to_data, to_ack;

    /* bulk sender (phase parameters written by the driver before the post) */
    uint64_t count, window, sent, acked;
    size_t size;
    uint64_t t0, t1;
    /* bulk receiver */
    uint64_t rx_next;
    size_t rx_size;
    /* round trips (A only) */
    uint64_t rtt_total, rtt_warm, rtt_i, rtt_t;
    double *samples;
} peer_t;

struct bench {
    size_t size;
    uint64_t count, warmup, messages, window;
    int direct;
    bench_step_t step; /* driver <-> loop hand-off */
    peer_t a, b;
    jxta_addr_t b_tcp; /* B's public address */
};

/* Called on a loop thread: the phase is over (err 0) or failed. */
static void finish(bench_t *b, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void finish(bench_t *b, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bench_step_vfinish(&b->step, err, fmt, ap);
    va_end(ap);
}

static void phase_begin(bench_t *b, const char *what)
{
    phase = what;
    bench_step_begin(&b->step);
}

/* Driver thread: wait for finish(), bounded by the time-out. */
static void phase_wait(bench_t *b)
{
    bench_step_wait(&b->step, prog, &deadline, timeout_s, (const char *)phase);
}

static void on_sent(void *ud, int status)
{
    peer_t *p = ud;
    if (status < 0)
        finish(p->b, status, "peer %s: a send was dropped: %s", p->name, jxta_strerror(status));
}

static int send_payload(peer_t *p, const jxta_addr_t *dest, uint64_t seq, size_t len)
{
    jxta_msg_t *m;
    bench_put_be64(p->buf, seq);
    int rc = jxta_msg_new(&m);
    if (rc < 0)
        return rc;
    rc = jxta_msg_add(m, "", "Payload", NULL, p->buf, len);
    if (rc == 0)
        rc = jxta_endpoint_send(p->ep, &jxta_id_net_group, m, dest, on_sent, p);
    jxta_msg_free(m);
    if (rc < 0)
        finish(p->b, rc, "peer %s: jxta_endpoint_send: %s", p->name, jxta_strerror(rc));
    return rc;
}

/* Where to send to the other peer, once we know it. */
static int learn_other(peer_t *p, const jxta_id_t *other, int direct)
{
    int rc = 0;
    const char *params[4] = {"ping", "pong", "data", "ack"};
    jxta_addr_t *outs[4] = {&p->to_ping, &p->to_pong, &p->to_data, &p->to_ack};
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = direct ? jxta_addr_with_service(outs[i], &p->b->b_tcp, SERVICE, params[i])
                    : jxta_addr_for_peer(outs[i], other, SERVICE, params[i]);
    p->other_known = rc == 0;
    return rc;
}

static void bulk_pump(peer_t *p)
{
    while (p->sent < p->count && p->sent - p->acked < p->window)
        if (send_payload(p, &p->to_data, p->sent++, p->size) < 0)
            return;
}

static void on_message(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    peer_t *p = ud;
    bench_t *b = p->b;
    const char *param = info->dst->param;
    const jxta_msg_elem_t *e = jxta_msg_find(m, "", "Payload");
    size_t len = 0;
    const uint8_t *body = e ? jxta_msg_elem_body(e, &len) : NULL;
    if (!body || len < 8) {
        finish(b, JXTA_EPROTO, "peer %s: '%s' message without a valid payload", p->name, param);
        return;
    }
    uint64_t seq = bench_get_be64(body);

    if (strcmp(param, "hello") == 0) { /* B: first contact from A */
        if (!info->src_peer || learn_other(p, info->src_peer, 0) < 0) {
            finish(b, JXTA_EPROTO, "peer B: hello without a source peer");
            return;
        }
        jxta_addr_t dest;
        jxta_addr_for_peer(&dest, info->src_peer, SERVICE, "welcome");
        send_payload(p, &dest, seq, SMALL);
    } else if (strcmp(param, "welcome") == 0) { /* A: B answered, routed */
        if (!info->routed || !info->src_peer) {
            finish(b, JXTA_EPROTO, "peer A: B's answer did not come routed");
            return;
        }
        if (learn_other(p, info->src_peer, b->direct) < 0)
            finish(b, JXTA_EINVAL, "peer A: cannot address B");
        else
            finish(b, 0, NULL);
    } else if (strcmp(param, "ping") == 0) { /* B: echo */
        send_payload(p, &p->to_pong, seq, len);
    } else if (strcmp(param, "pong") == 0) { /* A: one round trip done */
        uint64_t t = bench_now_ns();
        if (seq != p->rtt_i || len != SMALL) {
            finish(b, JXTA_EPROTO, "peer A: pong %llu (%zu bytes), expected %llu (%d bytes)",
                   (unsigned long long)seq, len, (unsigned long long)p->rtt_i, SMALL);
            return;
        }
        if (p->rtt_i >= p->rtt_warm)
            p->samples[p->rtt_i - p->rtt_warm] = (double)(t - p->rtt_t) / 1000.0;
        if (++p->rtt_i == p->rtt_total) {
            finish(b, 0, NULL);
            return;
        }
        p->rtt_t = bench_now_ns();
        send_payload(p, &p->to_ping, p->rtt_i, SMALL);
    } else if (strcmp(param, "data") == 0) { /* receiver: check, acknowledge */
        if (seq == 0)
            p->rx_next = 0;
        if (seq != p->rx_next || len != p->rx_size ||
            body[len - 1] != (uint8_t)((len - 1) * 31u + 7u)) {
            finish(b, JXTA_EPROTO, "peer %s: data %llu (%zu bytes), expected %llu (%zu bytes)",
                   p->name, (unsigned long long)seq, len, (unsigned long long)p->rx_next,
                   p->rx_size);
            return;
        }
        p->rx_next++;
        send_payload(p, &p->to_ack, seq, SMALL);
    } else if (strcmp(param, "ack") == 0) { /* sender */
        if (seq != p->acked || seq >= p->sent) {
            finish(b, JXTA_EPROTO, "peer %s: ack %llu, expected %llu", p->name,
                   (unsigned long long)seq, (unsigned long long)p->acked);
            return;
        }
        if (++p->acked == p->count) {
            p->t1 = bench_now_ns();
            finish(b, 0, NULL);
            return;
        }
        bulk_pump(p);
    } else {
        finish(b, JXTA_EPROTO, "peer %s: unexpected message for '%s'", p->name, param);
    }
}

static void *loop_thread(void *arg)
{
    peer_t *p = arg;
    int rc = jxta_loop_run(p->loop);
    if (rc < 0)
        finish(p->b, rc, "peer %s: event loop failed: %s", p->name, jxta_strerror(rc));
    return NULL;
}

/* On the loop thread. */
static void peer_setup(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    bench_t *b = p->b;
    jxta_tcp_config_t tc;
    jxta_id_t pid;
    (void)loop;
    p->setup_rc = jxta_id_new_peer(&pid, &jxta_id_net_group);
    if (p->setup_rc < 0)
        return;
    jxta_tcp_config_default(&tc);
    tc.peer_id = pid;
    tc.listen = p->listen;
    snprintf(tc.listen_host, sizeof tc.listen_host, "127.0.0.1");
    tc.listen_port = 0;
    /* room for a full window of bulk messages (the default is 8 MiB) */
    size_t need = (size_t)(b->window + 2) * (b->size + 4096);
    if (need > tc.max_queue_bytes)
        tc.max_queue_bytes = need;
    p->setup_rc = jxta_endpoint_new(p->loop, &tc, &p->ep);
    if (p->setup_rc == 0)
        p->setup_rc = jxta_endpoint_listen(p->ep, &jxta_id_net_group, SERVICE, NULL, on_message, p);
    if (p->setup_rc == 0 && p->listen)
        jxta_addr_with_service(&b->b_tcp, jxta_tcp_public_addr(jxta_endpoint_tcp(p->ep)), NULL,
                               NULL);
}

static void peer_teardown(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    jxta_endpoint_free(p->ep);
    p->ep = NULL;
}

static void start_hello(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    jxta_addr_t dest;
    (void)loop;
    int rc = jxta_addr_with_service(&dest, &p->b->b_tcp, SERVICE, "hello");
    if (rc < 0)
        finish(p->b, rc, "cannot build B's address");
    else
        send_payload(p, &dest, 0, SMALL);
}

static void start_rtt(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    p->rtt_i = 0;
    p->rtt_t = bench_now_ns();
    send_payload(p, &p->to_ping, 0, SMALL);
}

static void start_bulk(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    p->sent = p->acked = 0;
    p->t0 = bench_now_ns();
    bulk_pump(p);
}

static void set_rx(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    p->rx_next = 0;
    p->rx_size = p->b->size;
}

static void peer_start(bench_t *b, peer_t *p, int listen)
{
    p->b = b;
    p->listen = listen;
    p->buf = bench_payload_new(b->size > SMALL ? b->size : SMALL);
    if (!p->buf)
        cli_fail(1, prog, "out of memory");
    int rc = jxta_loop_new(&p->loop);
    if (rc < 0)
        cli_fail(1, prog, "cannot create an event loop: %s", jxta_strerror(rc));
    if (pthread_create(&p->thread, NULL, loop_thread, p) != 0)
        cli_fail(1, prog, "cannot start a loop thread");
    p->running = 1;
    char tn[16];
    snprintf(tn, sizeof tn, "bench-loop-%s", p->name);
    pthread_setname_np(p->thread, tn);
    p->setup_rc = JXTA_ETIMEDOUT;
    if (jxta_loop_call(p->loop, peer_setup, p, SETUP_MS) < 0)
        cli_fail(1, prog, "peer %s: its loop did not answer in %d ms", p->name, SETUP_MS);
    if (p->setup_rc < 0)
        cli_fail(1, prog, "peer %s: cannot start the endpoint: %s", p->name,
                 jxta_strerror(p->setup_rc));
}

static void peer_stop(peer_t *p)
{
    if (!p->running)
        return;
    if (jxta_loop_call(p->loop, peer_teardown, p, SETUP_MS) < 0)
        cli_fail(1, prog, "peer %s: its loop did not answer in %d ms", p->name, SETUP_MS);
    jxta_loop_stop(p->loop);
    pthread_join(p->thread, NULL);
    jxta_loop_free(p->loop);
    free(p->buf);
    p->running = 0;
}

/* The measurements, endpoint side. */
static void ep_rtt(bench_t *b, double *samples)
{
    peer_t *a = &b->a;
    phase_begin(b, "endpoint round trips");
    a->samples = samples;
    a->rtt_warm = b->warmup;
    a->rtt_total = b->warmup + b->count;
    if (jxta_loop_post(a->loop, start_rtt, a) < 0)
        cli_fail(1, prog, "cannot post to peer A's loop");
    phase_wait(b);
}

/* Returns the sender's elapsed nanoseconds. */
static uint64_t ep_bulk(bench_t *b, peer_t *tx, peer_t *rx, uint64_t count, uint64_t window,
                        const char *what)
{
    phase_begin(b, what);
    if (jxta_loop_call(rx->loop, set_rx, rx, SETUP_MS) < 0)
        cli_fail(1, prog, "peer %s: its loop did not answer in %d ms", rx->name, SETUP_MS);
    tx->count = count;
    tx->window = window;
    tx->size = b->size;
    if (jxta_loop_post(tx->loop, start_bulk, tx) < 0)
        cli_fail(1, prog, "cannot post to peer %s's loop", tx->name);
    phase_wait(b);
    return tx->t1 - tx->t0;
}

/* ---- raw TCP baseline (tools/bench.c) -------------------------------- */

static void raw_setup(bench_raw_t *ra, bench_raw_t *rb, size_t size)
{
    char err[160];
    if (bench_raw_setup(ra, rb, size, timeout_s, err, sizeof err) < 0)
        cli_fail(1, prog, "%s", err);
}

/* Run `mine` on this thread (A) and `theirs` on a helper thread (B). */
static void raw_pair(bench_raw_job_t *mine, bench_raw_job_t *theirs, const char *what)
{
    phase = what;
    if (bench_raw_pair(mine, theirs) < 0)
        cli_fail(1, prog, "%s failed: connection broken, bad frame or socket time-out", what);
}

/* ---- reporting -------------------------------------------------------- */

static int missed;

static void report_rtt(double *ep, double *raw, size_t n)
{
    qsort(ep, n, sizeof *ep, bench_cmp_double);
    qsort(raw, n, sizeof *raw, bench_cmp_double);
    double em = bench_percentile(ep, n, 0.5), rm = bench_percentile(raw, n, 0.5);
    double e99 = bench_percentile(ep, n, 0.99), r99 = bench_percentile(raw, n, 0.99);
    int ok = em <= 1.5 * rm;
    missed += !ok;
    printf("rtt%d median %.1f us (raw %.1f us, ratio %.2fx)  p99 %.1f us (raw %.1f us, "
           "ratio %.2fx)  [target median <= 1.50x: %s]\n",
           SMALL, em, rm, em / rm, e99, r99, e99 / r99, ok ? "ok" : "MISSED");
    fflush(stdout);
}

static void report_bulk(const bench_t *b, const char *mode, const char *dir, uint64_t count,
                        uint64_t ep_ns, uint64_t raw_ns)
{
    char sl[32];
    bench_size_label(b->size, sl, sizeof sl);
    double bytes = (double)count * (double)b->size;
    double e = bytes / ((double)ep_ns / 1e9) / 1e6, r = bytes / ((double)raw_ns / 1e9) / 1e6;
    int ok = e >= 0.6 * r;
    missed += !ok;
    printf("%s %s %s %.0f MB/s (raw %.0f MB/s, %.0f%% of raw)  [target >= 60%%: %s]\n", sl, mode,
           dir, e, r, 100.0 * e / r, ok ? "ok" : "MISSED");
    fflush(stdout);
}

/* ---- options ---------------------------------------------------------- */

static int parse_opts(int argc, char **argv, bench_t *b, const char **log_level)
{
    uint64_t size = 65536, timeout = 120;
    b->count = 10000;
    b->warmup = 1000;
    b->messages = 2000;
    b->window = 16;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = strcmp(a, "--count") == 0 || strcmp(a, "--warmup") == 0 ||
                    strcmp(a, "--messages") == 0 || strcmp(a, "--size") == 0 ||
                    strcmp(a, "--window") == 0 || strcmp(a, "--timeout") == 0 ||
                    strcmp(a, "--log-level") == 0;
        if (takes && !v) {
            fprintf(stderr, "%s: %s needs a value\n", prog, a);
            return -1;
        }
        if (takes)
            i++;
        int rc = 0;
        if (strcmp(a, "--count") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 100000000, &b->count);
        else if (strcmp(a, "--warmup") == 0)
            rc = bench_parse_u64(prog, a, v, 0, 100000000, &b->warmup);
        else if (strcmp(a, "--messages") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 100000000, &b->messages);
        else if (strcmp(a, "--size") == 0)
            rc = bench_parse_u64(prog, a, v, SMALL, 8u << 20, &size);
        else if (strcmp(a, "--window") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 1024, &b->window);
        else if (strcmp(a, "--timeout") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 86400, &timeout);
        else if (strcmp(a, "--log-level") == 0)
            *log_level = v;
        else if (strcmp(a, "--direct") == 0)
            b->direct = 1;
        else {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    b->size = (size_t)size;
    timeout_s = (unsigned)timeout;
    return 0;
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    static bench_t b;
    const char *log_level = NULL;
    if (parse_opts(argc, argv, &b, &log_level) < 0)
        return 2;
    if (log_level && cli_set_log_level(prog, log_level) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    bench_timeout_start(prog, &phase, timeout_s, &deadline);
    bench_step_init(&b.step);

    double *ep_s = malloc(b.count * sizeof *ep_s), *raw_s = malloc(b.count * sizeof *raw_s);
    if (!ep_s || !raw_s)
        cli_fail(1, prog, "out of memory for %llu samples", (unsigned long long)b.count);
    uint64_t bulk_warm = b.messages / 10 ? b.messages / 10 : 1;
    uint64_t t_start = bench_now_ns();

    /* Peers: B listens, A dials it; first contact as an edge makes it. */
    b.a.name = "A";
    b.b.name = "B";
    peer_start(&b, &b.b, 1);
    peer_start(&b, &b.a, 0);
    char baddr[JXTA_ADDR_TEXT_MAX];
    jxta_addr_format(&b.b_tcp, baddr, sizeof baddr);
    phase_begin(&b, "first contact (welcome exchange, hello)");
    if (jxta_loop_post(b.a.loop, start_hello, &b.a) < 0)
        cli_fail(1, prog, "cannot post to peer A's loop");
    phase_wait(&b);
    bench_raw_t ra, rb;
    raw_setup(&ra, &rb, b.size);

    char sl[32];
    bench_size_label(b.size, sl, sizeof sl);
    printf("bench-endpoint: peers A (no listener) and B (%s), one loop thread each; "
           "A->B %s, B->A jxta://<A>/%s (routed)\n",
           baddr, b.direct ? "tcp:// (direct)" : "jxta://<B>/" SERVICE " (routed)", SERVICE);
    printf("  rtt: %llu round trips of %d bytes after %llu warm-up; bulk: %llu x %s after %llu "
           "warm-up, window %llu; baseline: raw TCP, 2 threads, TCP_NODELAY\n",
           (unsigned long long)b.count, SMALL, (unsigned long long)b.warmup,
           (unsigned long long)b.messages, sl, (unsigned long long)bulk_warm,
           (unsigned long long)b.window);
    fflush(stdout);

    /* (a) round trips: raw first, then the endpoint. */
    bench_raw_job_t ping = {&ra, BENCH_RAW_PING, b.count, b.warmup, 1, SMALL, raw_s, 0, 0};
    bench_raw_job_t echo = {&rb, BENCH_RAW_ECHO, b.count, b.warmup, 1, SMALL, NULL, 0, 0};
    raw_pair(&ping, &echo, "raw round trips");
    ep_rtt(&b, ep_s);
    report_rtt(ep_s, raw_s, (size_t)b.count);

    /* (b) bulk: warm each direction once, then stop-and-wait and windowed. */
    struct {
        const char *mode;
        uint64_t window;
    } modes[2] = {{"stop-and-wait", 1}, {"window", b.window}};
    for (int m = 0; m < 2; m++) {
        for (int d = 0; d < 2; d++) {
            peer_t *tx = d == 0 ? &b.a : &b.b, *rx = d == 0 ? &b.b : &b.a;
            bench_raw_t *rtx = d == 0 ? &ra : &rb, *rrx = d == 0 ? &rb : &ra;
            const char *dir = d == 0 ? "A->B" : "B->A";
            char what[96];
            if (m == 0) {
                bench_raw_job_t s = {rtx, BENCH_RAW_SEND, bulk_warm, 0, b.window, b.size, NULL, 0, 0};
                bench_raw_job_t r = {rrx, BENCH_RAW_RECV, bulk_warm, 0, b.window, b.size, NULL, 0, 0};
                snprintf(what, sizeof what, "raw bulk warm-up %s", dir);
                raw_pair(d == 0 ? &s : &r, d == 0 ? &r : &s, what);
                snprintf(what, sizeof what, "endpoint bulk warm-up %s", dir);
                ep_bulk(&b, tx, rx, bulk_warm, b.window, what);
            }
            bench_raw_job_t s = {rtx, BENCH_RAW_SEND, b.messages, 0, modes[m].window, b.size, NULL, 0, 0};
            bench_raw_job_t r = {rrx, BENCH_RAW_RECV, b.messages, 0, modes[m].window, b.size, NULL, 0, 0};
            snprintf(what, sizeof what, "raw %s %s", modes[m].mode, dir);
            raw_pair(d == 0 ? &s : &r, d == 0 ? &r : &s, what);
            snprintf(what, sizeof what, "endpoint %s %s", modes[m].mode, dir);
            uint64_t ep_ns = ep_bulk(&b, tx, rx, b.messages, modes[m].window, what);
            report_bulk(&b, modes[m].mode, dir, b.messages, ep_ns, s.elapsed);
        }
    }

    phase = "shutdown";
    peer_stop(&b.a);
    peer_stop(&b.b);
    bench_raw_close(&ra);
    bench_raw_close(&rb);
    free(ep_s);
    free(raw_s);
    printf("done in %.1f s: %d of 5 figures off target\n", (double)(bench_now_ns() - t_start) / 1e9,
           missed);
    return 0;
}
