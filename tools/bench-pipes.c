/* bench-pipes - how fast two JXTA-C peers talk through unicast pipes,
 * measured against raw TCP sockets in the same process and run.
 *
 * Two peers on 127.0.0.1, each with its own jxta_loop_t on its own thread,
 * assembled below the peer-group layer as the overlay tests assemble them
 * (tests/unit/testutil.c, tu_peer): endpoint, peer advertisement with its
 * route, rendezvous service, propagation, resolver and the pipe service of
 * the Net Peer Group.  B is a rendezvous listening on an ephemeral port; A
 * is an edge that does not listen and leases from B (its seed).  Each peer
 * opens one unicast input pipe; once A's pipe SRDI has reached B, each
 * opens an output pipe to the other's input pipe and both bind through the
 * Pipe Binding Protocol (A's query is answered by B for its own pipe; B's
 * query is forwarded to A through B's SRDI index).  Every message then
 * goes jxta://<peer>/PipeService/<pipe ID> over the one connection A
 * opened.  Messages are built fresh for every send (jxta_msg_new,
 * jxta_msg_add, jxta_output_pipe_send, free), as an application would.
 *
 * Measured, each after a warm-up:
 *   rtt16   16-byte payload ping-pong: A sends on its output pipe, B's
 *           listener answers on its own: median and p99 round trip;
 *   window  SIZE-byte messages one way, at most W outstanding, each
 *           acknowledged by a 16-byte message on the reverse pipe, A->B and
 *           B->A, in MB/s (10^6 payload bytes/s).
 * The baseline repeats the same patterns over one raw TCP connection between
 * two threads (tools/bench.c: blocking sockets, TCP_NODELAY, 4-byte length
 * prefix + the same payload); each raw figure is taken right before its
 * pipe twin.  The time each output pipe took to bind is printed too (not a
 * target).
 *
 * The driver thread never touches a peer's state directly: it starts each
 * phase with jxta_loop_post/jxta_loop_call (conditions on a peer's state
 * are checked by a 1 ms timer on its loop), the phase runs entirely from
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
#include <jxta/pipe.h>

#include "bench.h"
#include "cli.h"

static const char *prog = "bench-pipes";

#define SMALL BENCH_SMALL /* round-trip payload and ack size */
#define SETUP_MS 10000

static void usage(FILE *out)
{
    fprintf(out,
        "usage: bench-pipes [options]\n"
        "\n"
        "Benchmark JXTA-C unicast pipes between two in-process peers on 127.0.0.1\n"
        "(a rendezvous B and an edge A leasing from it, each with its own event loop\n"
        "thread) against raw TCP sockets: 16-byte round trips A->B->A, and SIZE-byte\n"
        "messages one way with W outstanding, each acknowledged on the reverse pipe,\n"
        "in both directions.  Every figure is printed with its raw-TCP baseline.\n"
        "\n"
        "  --count N        measured round trips (default 10000)\n"
        "  --warmup N       unmeasured round trips first (default 1000)\n"
        "  --messages N     bulk messages per measurement (default 2000)\n"
        "  --size BYTES     bulk message payload, 16..8388608 (default 65536)\n"
        "  --window W       most bulk messages outstanding, 1..1024 (default 16)\n"
        "  --timeout SECS   give up (exit 1) if the whole run takes longer (default 120)\n"
        "  --log-level L    library log on stderr: error, warn (default), info, debug\n"
        "\n"
        "Targets printed alongside: round trip <= 1.5x raw, bulk >= 60%% of raw.\n"
        "Exit status: 0 when every measurement completed (targets missed or not),\n"
        "1 on an error or time-out, 2 on bad options.\n"
        "\n"
        "example:\n"
        "  bench-pipes --count 20000 --window 32\n");
}

/* ---- time-out --------------------------------------------------------- */

static volatile const char *phase = "start-up";
static unsigned timeout_s = 120;
static struct timespec deadline; /* CLOCK_MONOTONIC: start + timeout_s */

/* Milliseconds left before the deadline (at least 1). */
static int ms_left(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms = (long long)(deadline.tv_sec - now.tv_sec) * 1000 +
                   (deadline.tv_nsec - now.tv_nsec) / 1000000;
    return ms < 1 ? 1 : ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* ---- the peers -------------------------------------------------------- */

typedef struct bench bench_t;

/* What a peer's input pipe listener does with a message in this phase. */
enum mode {
    MODE_IDLE,   /* nothing expected */
    MODE_PING,   /* A: a pong ends a round trip, send the next ping */
    MODE_ECHO,   /* B: answer each ping */
    MODE_SOURCE, /* bulk sender: acks release the window */
    MODE_SINK    /* bulk receiver: check each message, acknowledge it */
};

typedef struct peer {
    const char *name; /* "A" or "B" */
    bench_t *b;
    jxta_loop_t *loop;
    pthread_t thread;
    int running;
    int is_rdv;
    jxta_endpoint_t *ep;
    jxta_adv_t *pa;
    jxta_rdv_t *rdv;
    jxta_propagate_t *prop;
    jxta_resolver_t *res;
    jxta_pipes_t *ps;
    jxta_input_pipe_t *in;
    jxta_output_pipe_t *out;
    jxta_id_t in_id, out_id; /* pipe IDs (set by the driver before use) */
    int setup_rc;
    uint8_t *buf; /* outgoing payload, touched on the loop thread only */
    jxta_timer_t check;
    int check_armed;
    enum mode mode;

    /* binding of the output pipe */
    uint64_t t_open, t_bound;
    int bound_err;

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
    bench_step_t step; /* driver <-> loop hand-off */
    peer_t a, b;
    jxta_addr_t b_tcp; /* B's public address, A's seed */
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

/* Driver thread: run fn on p's loop and wait for it. */
static void call_on(peer_t *p, jxta_post_fn fn)
{
    if (jxta_loop_call(p->loop, fn, p, SETUP_MS) < 0)
        cli_fail(1, prog, "peer %s: its loop did not answer in %d ms during %s", p->name,
                 SETUP_MS, (const char *)phase);
}

static void post_on(peer_t *p, jxta_post_fn fn)
{
    if (jxta_loop_post(p->loop, fn, p) < 0)
        cli_fail(1, prog, "cannot post to peer %s's loop during %s", p->name, (const char *)phase);
}

/* ---- messages (loop side) --------------------------------------------- */

static void on_sent(void *ud, int status)
{
    peer_t *p = ud;
    if (status < 0)
        finish(p->b, status, "peer %s: a pipe send was dropped: %s", p->name,
               jxta_strerror(status));
}

static int send_payload(peer_t *p, uint64_t seq, size_t len)
{
    jxta_msg_t *m;
    bench_put_be64(p->buf, seq);
    int rc = jxta_msg_new(&m);
    if (rc == 0) {
        rc = jxta_msg_add(m, "", "Payload", NULL, p->buf, len);
        if (rc == 0)
            rc = jxta_output_pipe_send(p->out, m, on_sent, p);
        jxta_msg_free(m);
    }
    if (rc < 0)
        finish(p->b, rc, "peer %s: jxta_output_pipe_send: %s", p->name, jxta_strerror(rc));
    return rc;
}

static void bulk_pump(peer_t *p)
{
    while (p->sent < p->count && p->sent - p->acked < p->window)
        if (send_payload(p, p->sent++, p->size) < 0)
            return;
}

static void on_pong(peer_t *p, uint64_t seq, size_t len)
{
    uint64_t t = bench_now_ns();
    if (seq != p->rtt_i || len != SMALL) {
        finish(p->b, JXTA_EPROTO, "peer A: pong %llu (%zu bytes), expected %llu (%d bytes)",
               (unsigned long long)seq, len, (unsigned long long)p->rtt_i, SMALL);
        return;
    }
    if (p->rtt_i >= p->rtt_warm)
        p->samples[p->rtt_i - p->rtt_warm] = (double)(t - p->rtt_t) / 1000.0;
    if (++p->rtt_i == p->rtt_total) {
        p->mode = MODE_IDLE;
        finish(p->b, 0, NULL);
        return;
    }
    p->rtt_t = bench_now_ns();
    send_payload(p, p->rtt_i, SMALL);
}

static void on_data(peer_t *p, uint64_t seq, const uint8_t *body, size_t len)
{
    if (seq != p->rx_next || len != p->rx_size ||
        body[len - 1] != (uint8_t)((len - 1) * 31u + 7u)) {
        finish(p->b, JXTA_EPROTO, "peer %s: data %llu (%zu bytes), expected %llu (%zu bytes)",
               p->name, (unsigned long long)seq, len, (unsigned long long)p->rx_next,
               p->rx_size);
        return;
    }
    p->rx_next++;
    send_payload(p, seq, SMALL);
}

static void on_ack(peer_t *p, uint64_t seq, size_t len)
{
    if (seq != p->acked || seq >= p->sent || len != SMALL) {
        finish(p->b, JXTA_EPROTO, "peer %s: ack %llu (%zu bytes), expected %llu", p->name,
               (unsigned long long)seq, len, (unsigned long long)p->acked);
        return;
    }
    if (++p->acked == p->count) {
        p->t1 = bench_now_ns();
        p->mode = MODE_IDLE;
        finish(p->b, 0, NULL);
        return;
    }
    bulk_pump(p);
}

/* The input pipe's listener. */
static void on_pipe_msg(void *ud, jxta_input_pipe_t *ip, jxta_msg_t *m,
                        const jxta_pipe_msg_info_t *info)
{
    peer_t *p = ud;
    (void)ip;
    const jxta_msg_elem_t *e = jxta_msg_find(m, "", "Payload");
    size_t len = 0;
    const uint8_t *body = e ? jxta_msg_elem_body(e, &len) : NULL;
    if (info->propagated || !jxta_id_equal(info->pipe_id, &p->in_id)) {
        finish(p->b, JXTA_EPROTO, "peer %s: message on an unexpected pipe", p->name);
    } else if (!body || len < 8) {
        finish(p->b, JXTA_EPROTO, "peer %s: pipe message without a valid payload", p->name);
    } else {
        uint64_t seq = bench_get_be64(body);
        switch (p->mode) {
        case MODE_PING:
            on_pong(p, seq, len);
            break;
        case MODE_ECHO:
            if (len != SMALL)
                finish(p->b, JXTA_EPROTO, "peer B: ping %llu of %zu bytes, expected %d",
                       (unsigned long long)seq, len, SMALL);
            else
                send_payload(p, seq, SMALL);
            break;
        case MODE_SINK:
            on_data(p, seq, body, len);
            break;
        case MODE_SOURCE:
            on_ack(p, seq, len);
            break;
        case MODE_IDLE:
            finish(p->b, JXTA_EPROTO, "peer %s: unexpected pipe message %llu (%zu bytes)",
                   p->name, (unsigned long long)seq, len);
            break;
        }
    }
    jxta_msg_free(m);
}

/* ---- peer assembly (loop side) ---------------------------------------- */

static void *loop_thread(void *arg)
{
    peer_t *p = arg;
    int rc = jxta_loop_run(p->loop);
    if (rc < 0)
        finish(p->b, rc, "peer %s: event loop failed: %s", p->name, jxta_strerror(rc));
    return NULL;
}

static void peer_setup(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    bench_t *b = p->b;
    jxta_tcp_config_t tc;
    jxta_rdv_config_t rc;
    jxta_pipes_config_t pc;
    jxta_adv_t *ra = NULL;
    char name[32];
    int err;
    (void)loop;
    jxta_tcp_config_default(&tc);
    if ((err = jxta_id_new_peer(&tc.peer_id, &jxta_id_net_group)) < 0)
        goto out;
    tc.listen = p->is_rdv;
    snprintf(tc.listen_host, sizeof tc.listen_host, "127.0.0.1");
    tc.listen_port = 0;
    tc.first_frame_delay_ms = 5; /* both ends are ours: no welcome race to wait out */
    /* room for a full window of bulk messages (the default is 8 MiB) */
    size_t need = (size_t)(b->window + 2) * (b->size + 4096);
    if (need > tc.max_queue_bytes)
        tc.max_queue_bytes = need;
    snprintf(name, sizeof name, "bench-pipes-%s", p->name);
    if ((err = jxta_endpoint_new(p->loop, &tc, &p->ep)) < 0 ||
        (err = jxta_pa_new(&tc.peer_id, &jxta_id_net_group, name, &p->pa)) < 0 ||
        (err = jxta_endpoint_local_route(p->ep, &ra)) < 0 ||
        (err = jxta_pa_set_route(p->pa, ra)) < 0)
        goto out;
    jxta_rdv_config_default(&rc);
    rc.role = p->is_rdv ? JXTA_RDV_RENDEZVOUS : JXTA_RDV_EDGE;
    rc.retry_ms = 300;
    if (!p->is_rdv) {
        rc.seeds[0] = b->b_tcp;
        rc.nseeds = 1;
    }
    jxta_pipes_config_default(&pc);
    if ((err = jxta_rdv_new(p->ep, p->pa, &rc, NULL, NULL, &p->rdv)) < 0 ||
        (err = jxta_propagate_new(p->ep, p->rdv, &jxta_id_net_group, &p->prop)) < 0 ||
        (err = jxta_resolver_new(p->ep, p->prop, &jxta_id_net_group, &p->res)) < 0 ||
        (err = jxta_pipes_new(p->res, p->rdv, p->prop, p->pa, &pc, &p->ps)) < 0)
        goto out;
    if (p->is_rdv)
        err = jxta_addr_with_service(&b->b_tcp, jxta_tcp_public_addr(jxta_endpoint_tcp(p->ep)),
                                     NULL, NULL);
out:
    jxta_adv_free(ra);
    p->setup_rc = err;
}

static void peer_teardown(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    if (p->check_armed)
        jxta_timer_stop(&p->check);
    if (p->out)
        jxta_output_pipe_close(p->out);
    if (p->in)
        jxta_input_pipe_close(p->in);
    jxta_pipes_free(p->ps);
    jxta_resolver_free(p->res);
    jxta_propagate_free(p->prop);
    if (p->rdv)
        jxta_rdv_discard(p->rdv); /* both peers go: no goodbyes */
    jxta_endpoint_free(p->ep);
    jxta_adv_free(p->pa);
    p->out = NULL;
    p->in = NULL;
    p->ps = NULL;
    p->res = NULL;
    p->prop = NULL;
    p->rdv = NULL;
    p->ep = NULL;
    p->pa = NULL;
}

/* Conditions on a peer's state, checked every millisecond on its loop:
 * A has a lease from B; B's pipe index holds A's input pipe. */
static int check_holds(peer_t *p)
{
    if (!p->is_rdv)
        return jxta_rdv_has_lease(p->rdv, NULL);
    jxta_pipes_stats_t st;
    jxta_pipes_stats(p->ps, &st);
    return st.index_entries >= 1;
}

static void check_tick(jxta_timer_t *t)
{
    peer_t *p = t->data;
    if (check_holds(p))
        finish(p->b, 0, NULL);
    else
        jxta_timer_start(&p->check, 1);
}

static void check_arm(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    if (!p->check_armed) {
        jxta_timer_init(loop, &p->check, check_tick);
        p->check.data = p;
        p->check_armed = 1;
    }
    check_tick(&p->check);
}

static void open_input(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    p->setup_rc = jxta_input_pipe_open(p->ps, &p->in_id, JXTA_PIPE_UNICAST, on_pipe_msg, p, &p->in);
}

static void on_bound(void *ud, jxta_output_pipe_t *op, const jxta_id_t *peer, int err)
{
    peer_t *p = ud;
    (void)op;
    if (peer && !p->t_bound)
        p->t_bound = bench_now_ns();
    else if (!peer)
        p->bound_err = err; /* reported by the driver if binding never succeeds */
}

static void open_output(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    p->t_open = bench_now_ns();
    p->setup_rc = jxta_output_pipe_open(p->ps, &p->out_id, JXTA_PIPE_UNICAST, NULL, 0, on_bound,
                                        p, &p->out);
}

/* Through jxta_loop_call, before each phase. */
static void set_echo(jxta_loop_t *loop, void *arg)
{
    (void)loop;
    ((peer_t *)arg)->mode = MODE_ECHO;
}

static void set_sink(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    p->mode = MODE_SINK;
    p->rx_next = 0;
    p->rx_size = p->b->size;
}

static void set_idle(jxta_loop_t *loop, void *arg)
{
    (void)loop;
    ((peer_t *)arg)->mode = MODE_IDLE;
}

static void start_rtt(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    p->mode = MODE_PING;
    p->rtt_i = 0;
    p->rtt_t = bench_now_ns();
    send_payload(p, 0, SMALL);
}

static void start_bulk(jxta_loop_t *loop, void *arg)
{
    peer_t *p = arg;
    (void)loop;
    p->mode = MODE_SOURCE;
    p->sent = p->acked = 0;
    p->t0 = bench_now_ns();
    bulk_pump(p);
}

/* ---- driver side ------------------------------------------------------ */

static void peer_start(bench_t *b, peer_t *p, int is_rdv)
{
    p->b = b;
    p->is_rdv = is_rdv;
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
    call_on(p, peer_setup);
    if (p->setup_rc < 0)
        cli_fail(1, prog, "peer %s: cannot assemble endpoint, rendezvous, resolver and pipes: %s",
                 p->name, jxta_strerror(p->setup_rc));
}

static void peer_stop(peer_t *p)
{
    if (!p->running)
        return;
    call_on(p, peer_teardown);
    jxta_loop_stop(p->loop);
    pthread_join(p->thread, NULL);
    jxta_loop_free(p->loop);
    free(p->buf);
    p->running = 0;
}

/* Through jxta_loop_call: nothing; once it returns, whatever the loop
 * wrote before (bind times, binding errors) is visible to the driver. */
static void barrier(jxta_loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
}

/* Wait (on p's loop, 1 ms checks) until check_holds(p). */
static void wait_for(bench_t *b, peer_t *p, const char *what)
{
    phase_begin(b, what);
    post_on(p, check_arm);
    phase_wait(b);
}

/* Open the pipes and bind them; returns when both output pipes are bound. */
static void pipes_connect(bench_t *b)
{
    peer_t *ps[2] = {&b->a, &b->b};
    jxta_id_t to_a, to_b;
    if (jxta_id_new_pipe(&to_a, &jxta_id_net_group) < 0 ||
        jxta_id_new_pipe(&to_b, &jxta_id_net_group) < 0)
        cli_fail(1, prog, "cannot make pipe IDs");
    b->a.in_id = b->b.out_id = to_a;
    b->b.in_id = b->a.out_id = to_b;
    phase = "opening the input pipes";
    for (int i = 0; i < 2; i++) {
        call_on(ps[i], open_input);
        if (ps[i]->setup_rc < 0)
            cli_fail(1, prog, "peer %s: jxta_input_pipe_open: %s", ps[i]->name,
                     jxta_strerror(ps[i]->setup_rc));
    }
    wait_for(b, &b->b, "A's input pipe SRDI reaching B's index");
    phase = "opening the output pipes";
    for (int i = 0; i < 2; i++) {
        call_on(ps[i], open_output);
        if (ps[i]->setup_rc < 0)
            cli_fail(1, prog, "peer %s: jxta_output_pipe_open: %s", ps[i]->name,
                     jxta_strerror(ps[i]->setup_rc));
    }
    phase = "binding the output pipes";
    for (int i = 0; i < 2; i++) {
        int rc = jxta_output_pipe_wait_bound(ps[i]->out, ms_left());
        call_on(ps[i], barrier); /* on_bound has run: t_bound, bound_err readable */
        if (rc < 0) {
            int why = ps[i]->bound_err;
            cli_fail(1, prog, "peer %s: output pipe to peer %s's input pipe not bound: %s%s%s",
                     ps[i]->name, ps[1 - i]->name, jxta_strerror(rc),
                     why ? "; last binding error: " : "", why ? jxta_strerror(why) : "");
        }
    }
}

static void pipe_rtt(bench_t *b, double *samples)
{
    peer_t *a = &b->a;
    phase = "pipe round trips (set-up)";
    call_on(&b->b, set_echo);
    phase_begin(b, "pipe round trips");
    a->samples = samples;
    a->rtt_warm = b->warmup;
    a->rtt_total = b->warmup + b->count;
    post_on(a, start_rtt);
    phase_wait(b);
    call_on(&b->b, set_idle);
}

/* Returns the sender's elapsed nanoseconds. */
static uint64_t pipe_bulk(bench_t *b, peer_t *tx, peer_t *rx, uint64_t count, const char *what)
{
    phase = what;
    call_on(rx, set_sink);
    phase_begin(b, what);
    tx->count = count;
    tx->window = b->window;
    tx->size = b->size;
    post_on(tx, start_bulk);
    phase_wait(b);
    call_on(rx, set_idle);
    return tx->t1 - tx->t0;
}

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

static void report_rtt(double *pp, double *raw, size_t n)
{
    qsort(pp, n, sizeof *pp, bench_cmp_double);
    qsort(raw, n, sizeof *raw, bench_cmp_double);
    double pm = bench_percentile(pp, n, 0.5), rm = bench_percentile(raw, n, 0.5);
    double p99 = bench_percentile(pp, n, 0.99), r99 = bench_percentile(raw, n, 0.99);
    int ok = pm <= 1.5 * rm;
    missed += !ok;
    printf("rtt%d median %.1f us (raw %.1f us, ratio %.2fx)  p99 %.1f us (raw %.1f us, "
           "ratio %.2fx)  [target median <= 1.50x: %s]\n",
           SMALL, pm, rm, pm / rm, p99, r99, p99 / r99, ok ? "ok" : "MISSED");
    fflush(stdout);
}

static void report_bulk(const bench_t *b, const char *dir, uint64_t count, uint64_t pipe_ns,
                        uint64_t raw_ns)
{
    char sl[32];
    bench_size_label(b->size, sl, sizeof sl);
    double bytes = (double)count * (double)b->size;
    double e = bytes / ((double)pipe_ns / 1e9) / 1e6, r = bytes / ((double)raw_ns / 1e9) / 1e6;
    int ok = e >= 0.6 * r;
    missed += !ok;
    int prec = r < 10 ? 2 : 0; /* small --size: keep the digits that matter */
    printf("%s window %llu %s %.*f MB/s (raw %.*f MB/s, %.0f%% of raw)  [target >= 60%%: %s]\n",
           sl, (unsigned long long)b->window, dir, prec, e, prec, r, 100.0 * e / r,
           ok ? "ok" : "MISSED");
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

    double *pipe_s = malloc(b.count * sizeof *pipe_s), *raw_s = malloc(b.count * sizeof *raw_s);
    if (!pipe_s || !raw_s)
        cli_fail(1, prog, "out of memory for %llu samples", (unsigned long long)b.count);
    uint64_t bulk_warm = b.messages / 10 ? b.messages / 10 : 1;
    uint64_t t_start = bench_now_ns();

    /* Peers: B is the rendezvous, A an edge that leases from it. */
    b.a.name = "A";
    b.b.name = "B";
    peer_start(&b, &b.b, 1);
    peer_start(&b, &b.a, 0);
    wait_for(&b, &b.a, "A's lease from B");
    pipes_connect(&b);
    bench_raw_t ra, rb;
    raw_setup(&ra, &rb, b.size);

    char baddr[JXTA_ADDR_TEXT_MAX], sl[32];
    jxta_addr_format(&b.b_tcp, baddr, sizeof baddr);
    bench_size_label(b.size, sl, sizeof sl);
    printf("bench-pipes: rendezvous B (%s) and edge A (no listener, leased from B), one loop "
           "thread each; one unicast pipe each way, messages jxta://<peer>/%s/<pipe>\n",
           baddr, JXTA_PIPE_SERVICE);
    printf("  binding: A's output pipe %.1f ms, B's %.1f ms\n",
           (double)(b.a.t_bound - b.a.t_open) / 1e6, (double)(b.b.t_bound - b.b.t_open) / 1e6);
    printf("  rtt: %llu round trips of %d bytes after %llu warm-up; bulk: %llu x %s after %llu "
           "warm-up, window %llu, 16-byte acks on the reverse pipe; baseline: raw TCP, 2 "
           "threads, TCP_NODELAY\n",
           (unsigned long long)b.count, SMALL, (unsigned long long)b.warmup,
           (unsigned long long)b.messages, sl, (unsigned long long)bulk_warm,
           (unsigned long long)b.window);
    fflush(stdout);

    /* (1) round trips: raw first, then the pipes. */
    bench_raw_job_t ping = {&ra, BENCH_RAW_PING, b.count, b.warmup, 1, SMALL, raw_s, 0, 0};
    bench_raw_job_t echo = {&rb, BENCH_RAW_ECHO, b.count, b.warmup, 1, SMALL, NULL, 0, 0};
    raw_pair(&ping, &echo, "raw round trips");
    pipe_rtt(&b, pipe_s);
    report_rtt(pipe_s, raw_s, (size_t)b.count);

    /* (2) windowed bulk, each direction warmed once. */
    for (int d = 0; d < 2; d++) {
        peer_t *tx = d == 0 ? &b.a : &b.b, *rx = d == 0 ? &b.b : &b.a;
        bench_raw_t *rtx = d == 0 ? &ra : &rb, *rrx = d == 0 ? &rb : &ra;
        const char *dir = d == 0 ? "A->B" : "B->A";
        char what[96];
        bench_raw_job_t ws = {rtx, BENCH_RAW_SEND, bulk_warm, 0, b.window, b.size, NULL, 0, 0};
        bench_raw_job_t wr = {rrx, BENCH_RAW_RECV, bulk_warm, 0, b.window, b.size, NULL, 0, 0};
        snprintf(what, sizeof what, "raw bulk warm-up %s", dir);
        raw_pair(d == 0 ? &ws : &wr, d == 0 ? &wr : &ws, what);
        snprintf(what, sizeof what, "pipe bulk warm-up %s", dir);
        pipe_bulk(&b, tx, rx, bulk_warm, what);
        bench_raw_job_t s = {rtx, BENCH_RAW_SEND, b.messages, 0, b.window, b.size, NULL, 0, 0};
        bench_raw_job_t r = {rrx, BENCH_RAW_RECV, b.messages, 0, b.window, b.size, NULL, 0, 0};
        snprintf(what, sizeof what, "raw window %s", dir);
        raw_pair(d == 0 ? &s : &r, d == 0 ? &r : &s, what);
        snprintf(what, sizeof what, "pipe window %s", dir);
        uint64_t pipe_ns = pipe_bulk(&b, tx, rx, b.messages, what);
        report_bulk(&b, dir, b.messages, pipe_ns, s.elapsed);
    }

    phase = "shutdown";
    peer_stop(&b.a);
    peer_stop(&b.b);
    bench_raw_close(&ra);
    bench_raw_close(&rb);
    free(pipe_s);
    free(raw_s);
    printf("done in %.1f s: %d of 3 figures off target\n", (double)(bench_now_ns() - t_start) / 1e9,
           missed);
    return 0;
}
