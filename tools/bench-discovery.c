/* bench-discovery - how fast an advertisement published on one edge is found
 * by another through a rendezvous, and how much SRDI an idle overlay sends,
 * with a raw TCP round trip measured in the same process and run.
 *
 * One rendezvous and N edges (--edges, default 100) on 127.0.0.1, all in
 * this process, each assembled as tools/jxta-peer.c assembles a peer:
 * endpoint (TCP), rendezvous lease protocol, propagation, resolver, route
 * resolver, an in-memory cache and discovery; every peer publishes its own
 * peer advertisement, as JXSE does.  The rendezvous listens on an
 * ephemeral port; the edges do not listen and lease from it.  There is no
 * PeerView (a single rendezvous has nobody to probe).
 *
 * Threads: --loops L event loops (default 2), each on its own thread.  The
 * rendezvous has loop 0 to itself and the edges are spread round robin over
 * loops 1..L-1; with --loops 1 every peer shares one loop.  The driver
 * thread (main) never touches a peer's state: it starts each step with
 * jxta_loop_post/jxta_loop_call, the step runs from callbacks on the loop
 * threads (nothing there blocks; conditions are checked by a 1 ms timer),
 * and the callback that sees the end wakes the driver through a condition
 * variable.  Every wait is bounded by --timeout (an alarm backs it up);
 * exceeding it exits 1 naming the phase.
 *
 * Measured:
 *   (a) --rounds R times: pick a random edge P and another random edge Q;
 *       after a random pause of up to one SRDI period (so the publish falls
 *       anywhere in P's push cycle) P publishes a new pipe advertisement
 *       with a unique Name; time until its SRDI entries are in the
 *       rendezvous' index (publish-to-findable: jxta_discovery_index_size
 *       grows by the advertisement's entries, checked every 1 ms on the
 *       rendezvous' loop); then Q sends
 *       jxta_discovery_query(adv, Name=<name>, threshold 1, walked) and we
 *       time until Q's found callback reports that advertisement
 *       (discovery latency: Q -> rendezvous -> P -> Q).  Before the next
 *       round the overlay settles: Q's SRDI push of the copy it now caches
 *       reaches the rendezvous, so every round starts with no SRDI in
 *       flight.  Baseline: the median round trip of a 16-byte ping-pong
 *       between two blocking TCP sockets (TCP_NODELAY) in two threads.
 *   (b) SRDI at rest: the edges' discovery services are re-created with the
 *       SRDI period --rest-srdi-ms (default 1000; skipped when equal to
 *       --srdi-ms), which makes each edge push its full index once, as
 *       after a new lease (reported as the re-push); then the overlay idles
 *       --rest-s seconds and the SRDI messages and bytes (element bodies,
 *       as jxta_discovery_srdi_sent counts them) the edges push during that
 *       window are reported per edge per minute. */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>

#include "bench.h"
#include "cli.h"

static const char *prog = "bench-discovery";

#define SETUP_MS 10000
#define RAW_COUNT 10000 /* raw round trips measured */
#define RAW_WARMUP 1000
#define RAW_SIZE 16
#define ADV_LIFE_MS (2 * 3600 * 1000LL)

static void usage(FILE *out)
{
    fprintf(out,
        "usage: bench-discovery [options]\n"
        "\n"
        "Benchmark JXTA-C discovery with 1 rendezvous and N edges in this process on\n"
        "127.0.0.1: time from a publish on one edge to its entry in the rendezvous'\n"
        "SRDI index, time for another edge's query to find it (with the raw TCP round\n"
        "trip of the same run as a baseline), and the SRDI traffic of an idle overlay.\n"
        "\n"
        "  --edges N          edges (default 100, 2..2000)\n"
        "  --rounds R         publish/query rounds (default 200)\n"
        "  --srdi-ms MS       edge SRDI push period during the rounds (default 200)\n"
        "  --rest-s S         idle window for the SRDI-at-rest figure (default 10)\n"
        "  --rest-srdi-ms MS  edge SRDI push period during that window (default 1000)\n"
        "  --loops L          event loop threads: the rendezvous has the first to itself,\n"
        "                     the edges share the others; 1 = everyone on one (default 2)\n"
        "  --seed S           random choice of publishers and queriers (default 1)\n"
        "  --timeout SECS     give up (exit 1) if the whole run takes longer (default 300)\n"
        "  --log-level L      library log on stderr: error, warn (default), info, debug\n"
        "\n"
        "Exit status: 0 when every measurement completed, 1 on an error or time-out,\n"
        "2 on bad options.\n"
        "\n"
        "example:\n"
        "  bench-discovery --edges 200 --rounds 500 --loops 3\n");
}

/* ---- small helpers ---------------------------------------------------- */

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t rng_state;

static uint64_t rng_next(void) /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t rng_below(size_t n)
{
    return (size_t)(rng_next() % n);
}

/* ---- time-out --------------------------------------------------------- */

static volatile const char *phase = "start-up";
static char phase_buf[160];
static unsigned timeout_s = 300;
static struct timespec deadline; /* CLOCK_MONOTONIC: start + timeout_s */

static void set_phase(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_phase(const char *fmt, ...)
{
    /* two buffers, so the alarm handler never sees one being rewritten */
    static char bufs[2][sizeof phase_buf];
    static int which;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(bufs[which], sizeof bufs[which], fmt, ap);
    va_end(ap);
    phase = bufs[which];
    which ^= 1;
}

static void check_deadline(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ts.tv_sec > deadline.tv_sec ||
        (ts.tv_sec == deadline.tv_sec && ts.tv_nsec >= deadline.tv_nsec))
        cli_fail(1, prog, "overall time-out of %u s exceeded during %s", timeout_s,
                 (const char *)phase);
}

/* ---- the peers -------------------------------------------------------- */

typedef struct bench bench_t;

typedef struct lp {
    jxta_loop_t *loop;
    pthread_t thread;
    int running;
    bench_t *b;
    int index;
} lp_t;

typedef struct node {
    bench_t *b;
    int index; /* -1 = the rendezvous */
    lp_t *lp;
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_propagate_t *prop;
    jxta_resolver_t *res;
    jxta_route_resolver_t *route;
    jxta_cm_t *cm;
    jxta_discovery_t *disc;
    jxta_adv_t *pa;
    jxta_id_t id;
    int setup_rc;
    /* the query in progress (on its loop thread only, read by the driver
     * after finish()) */
    int want_active;
    long want_qid;
    char want_name[64];
    uint64_t t_query, t_found;
    /* a publish in progress */
    char pub_name[64];
    uint64_t t_pub;
    int pub_rc;
    /* counter snapshots (taken on its loop thread) */
    uint64_t srdi_msgs, srdi_bytes;
    int has_lease;
    /* rendezvous snapshots */
    uint64_t index_size, clients;
} node_t;

/* The rendezvous' index size, checked on its loop every millisecond until
 * it has grown by `add` since the watch started, or (`add` 0) until it
 * reaches `target`. */
typedef struct watch {
    bench_t *b;
    jxta_timer_t timer;
    node_t *n; /* the rendezvous */
    uint64_t add;
    uint64_t start, target, value;
    uint64_t limit_ms; /* give up quietly after this long (0 = never) */
    uint64_t give_up_at;
    uint64_t t_hit; /* bench_now_ns() when it held */
    int hit;
} watch_t;

struct bench {
    uint64_t edges, rounds, srdi_ms, rest_s, rest_srdi_ms, loops, seed;
    bench_step_t step; /* driver <-> loop hand-off */
    lp_t *lps;
    node_t rdv;
    node_t *nodes; /* the edges */
    jxta_addr_t seed_addr;
    watch_t w;
};

/* Called on a loop thread: the step is over (err 0) or failed. */
static void finish(bench_t *b, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void finish(bench_t *b, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bench_step_vfinish(&b->step, err, fmt, ap);
    va_end(ap);
}

static void step_begin(bench_t *b)
{
    bench_step_begin(&b->step);
}

/* Driver thread: wait for finish(), bounded by the time-out. */
static void step_wait(bench_t *b)
{
    bench_step_wait(&b->step, prog, &deadline, timeout_s, (const char *)phase);
}

/* Driver thread: run fn on lp's loop and wait for it. */
static void call_on(lp_t *lp, jxta_post_fn fn, void *arg)
{
    if (jxta_loop_call(lp->loop, fn, arg, SETUP_MS) < 0)
        cli_fail(1, prog, "loop %d did not answer in %d ms during %s", lp->index, SETUP_MS,
                 (const char *)phase);
}

static void post_on(lp_t *lp, jxta_post_fn fn, void *arg)
{
    if (jxta_loop_post(lp->loop, fn, arg) < 0)
        cli_fail(1, prog, "cannot post to loop %d during %s", lp->index, (const char *)phase);
}

/* ---- watches (loop side) ---------------------------------------------- */

static uint64_t watch_value(const watch_t *w)
{
    return jxta_discovery_index_size(w->n->disc);
}

static int watch_check(watch_t *w)
{
    w->value = watch_value(w);
    if (w->value >= w->target) {
        w->t_hit = bench_now_ns();
        w->hit = 1;
        finish(w->b, 0, NULL);
        return 1;
    }
    if (w->limit_ms && jxta_loop_now(w->n->lp->loop) >= w->give_up_at) {
        finish(w->b, 0, NULL); /* not hit: the driver decides */
        return 1;
    }
    return 0;
}

static void watch_tick(jxta_timer_t *t)
{
    watch_t *w = t->data;
    if (!watch_check(w))
        jxta_timer_start(&w->timer, 1);
}

/* Through jxta_loop_call: note the value now, then check every 1 ms.  The
 * driver calls step_begin() first and step_wait() later. */
static void watch_arm(jxta_loop_t *loop, void *arg)
{
    watch_t *w = arg;
    jxta_timer_init(loop, &w->timer, watch_tick);
    w->timer.data = w;
    w->hit = 0;
    w->start = watch_value(w);
    if (w->add)
        w->target = w->start + w->add;
    w->give_up_at = jxta_loop_now(loop) + w->limit_ms;
    if (!watch_check(w))
        jxta_timer_start(&w->timer, 1);
}

static void watch_start(bench_t *b, uint64_t add, uint64_t target, uint64_t limit_ms)
{
    watch_t *w = &b->w;
    node_t *n = &b->rdv;
    w->b = b;
    w->n = n;
    w->add = add;
    w->target = target;
    w->limit_ms = limit_ms;
    call_on(n->lp, watch_arm, w);
}

/* ---- peer assembly (loop side) ---------------------------------------- */

static void on_found(void *ud, int type, const char *xml, size_t len, const jxta_id_t *from,
                     long qid)
{
    node_t *n = ud;
    (void)from;
    if (!n->want_active || qid != n->want_qid || type != JXTA_DISC_ADV)
        return;
    char needle[96];
    snprintf(needle, sizeof needle, "<Name>%s</Name>", n->want_name);
    if (!memmem(xml, len, needle, strlen(needle)))
        return;
    n->t_found = bench_now_ns();
    n->want_active = 0;
    finish(n->b, 0, NULL);
}

static int disc_start(node_t *n, uint64_t srdi_ms)
{
    jxta_discovery_config_t dc;
    jxta_discovery_config_default(&dc);
    dc.srdi_ms = srdi_ms;
    int rc = jxta_discovery_new(n->res, n->rdv, n->cm, &dc, &n->disc);
    if (rc == 0)
        jxta_discovery_on_found(n->disc, on_found, n);
    return rc;
}

static void node_setup(jxta_loop_t *loop, void *arg)
{
    node_t *n = arg;
    bench_t *b = n->b;
    int is_rdv = n->index < 0;
    jxta_tcp_config_t tc;
    jxta_adv_t *ra = NULL;
    char name[32];
    (void)loop;
    int rc = jxta_id_new_peer(&n->id, &jxta_id_net_group);
    if (rc < 0)
        goto out;
    jxta_tcp_config_default(&tc);
    tc.peer_id = n->id;
    tc.listen = is_rdv;
    snprintf(tc.listen_host, sizeof tc.listen_host, "127.0.0.1");
    tc.listen_port = 0;
    if ((rc = jxta_endpoint_new(n->lp->loop, &tc, &n->ep)) < 0)
        goto out;
    if (is_rdv)
        snprintf(name, sizeof name, "bench-rdv");
    else
        snprintf(name, sizeof name, "bench-edge-%d", n->index);
    if ((rc = jxta_pa_new(&n->id, &jxta_id_net_group, name, &n->pa)) < 0 ||
        (rc = jxta_endpoint_local_route(n->ep, &ra)) < 0 || (rc = jxta_pa_set_route(n->pa, ra)) < 0)
        goto out;
    jxta_rdv_config_t rc_;
    jxta_rdv_config_default(&rc_);
    rc_.role = is_rdv ? JXTA_RDV_RENDEZVOUS : JXTA_RDV_EDGE;
    rc_.max_clients = (size_t)b->edges + 16;
    rc_.retry_ms = 2000;
    if (!is_rdv) {
        rc_.seeds[0] = b->seed_addr;
        rc_.nseeds = 1;
    }
    if ((rc = jxta_rdv_new(n->ep, n->pa, &rc_, NULL, NULL, &n->rdv)) < 0 ||
        (rc = jxta_propagate_new(n->ep, n->rdv, &jxta_id_net_group, &n->prop)) < 0 ||
        (rc = jxta_resolver_new(n->ep, n->prop, &jxta_id_net_group, &n->res)) < 0 ||
        (rc = jxta_route_resolver_new(n->res, &n->route)) < 0 ||
        (rc = jxta_cm_open(NULL, NULL, wall_ms(), &n->cm)) < 0 ||
        (rc = disc_start(n, b->srdi_ms)) < 0)
        goto out;
    rc = jxta_discovery_publish(n->disc, n->pa, JXTA_CM_FOREVER, JXTA_CM_DEFAULT_EXPIRATION_MS);
    if (rc == 0 && is_rdv)
        rc = jxta_addr_with_service(&b->seed_addr, jxta_tcp_public_addr(jxta_endpoint_tcp(n->ep)),
                                    NULL, NULL);
out:
    jxta_adv_free(ra);
    n->setup_rc = rc;
}

static void node_teardown(jxta_loop_t *loop, void *arg)
{
    node_t *n = arg;
    (void)loop;
    jxta_discovery_free(n->disc);
    jxta_cm_close(n->cm);
    jxta_route_resolver_free(n->route);
    jxta_resolver_free(n->res);
    jxta_propagate_free(n->prop);
    if (n->rdv)
        jxta_rdv_discard(n->rdv); /* the whole overlay goes: no goodbyes */
    jxta_endpoint_free(n->ep);
    jxta_adv_free(n->pa);
    n->disc = NULL;
    n->cm = NULL;
    n->route = NULL;
    n->res = NULL;
    n->prop = NULL;
    n->rdv = NULL;
    n->ep = NULL;
    n->pa = NULL;
}

/* New discovery service with another SRDI period (same cache). */
static void node_new_period(jxta_loop_t *loop, void *arg)
{
    node_t *n = arg;
    (void)loop;
    jxta_discovery_free(n->disc);
    n->disc = NULL;
    n->setup_rc = disc_start(n, n->b->rest_srdi_ms);
}

static void node_snapshot(jxta_loop_t *loop, void *arg)
{
    node_t *n = arg;
    (void)loop;
    jxta_discovery_srdi_sent(n->disc, &n->srdi_msgs, &n->srdi_bytes);
    n->has_lease = jxta_rdv_has_lease(n->rdv, NULL);
}

/* All edges on one loop, in one call. */
typedef struct lp_job {
    bench_t *b;
    lp_t *lp;
    jxta_post_fn fn;
} lp_job_t;

static void lp_each(jxta_loop_t *loop, void *arg)
{
    lp_job_t *j = arg;
    for (uint64_t i = 0; i < j->b->edges; i++)
        if (j->b->nodes[i].lp == j->lp)
            j->fn(loop, &j->b->nodes[i]);
}

/* Driver: run fn for every edge, on the edges' loops. */
static void edges_each(bench_t *b, jxta_post_fn fn)
{
    for (uint64_t l = 0; l < b->loops; l++) {
        lp_job_t j = {b, &b->lps[l], fn};
        call_on(&b->lps[l], lp_each, &j);
    }
}

static void rdv_snapshot(jxta_loop_t *loop, void *arg)
{
    node_t *n = arg;
    (void)loop;
    n->index_size = jxta_discovery_index_size(n->disc);
    n->clients = jxta_rdv_client_count(n->rdv);
}

static void *loop_thread(void *arg)
{
    lp_t *lp = arg;
    int rc = jxta_loop_run(lp->loop);
    if (rc < 0)
        finish(lp->b, rc, "loop %d failed: %s", lp->index, jxta_strerror(rc));
    return NULL;
}

/* ---- one round (loop side) -------------------------------------------- */

static void do_publish(jxta_loop_t *loop, void *arg)
{
    node_t *p = arg;
    jxta_id_t pipe_id;
    jxta_adv_t *adv = NULL;
    (void)loop;
    int rc = jxta_id_new_pipe(&pipe_id, &jxta_id_net_group);
    if (rc == 0)
        rc = jxta_pipe_adv_new(&pipe_id, "JxtaUnicast", p->pub_name, &adv);
    uint64_t t = bench_now_ns();
    if (rc == 0)
        rc = jxta_discovery_publish(p->disc, adv, ADV_LIFE_MS, ADV_LIFE_MS);
    jxta_adv_free(adv);
    pthread_mutex_lock(&p->b->step.mu);
    p->t_pub = t;
    p->pub_rc = rc;
    pthread_mutex_unlock(&p->b->step.mu);
    if (rc < 0)
        finish(p->b, rc, "edge %d: publish: %s", p->index, jxta_strerror(rc));
}

static void do_query(jxta_loop_t *loop, void *arg)
{
    node_t *q = arg;
    (void)loop;
    q->want_active = 1;
    q->t_found = 0;
    q->t_query = bench_now_ns();
    int rc = jxta_discovery_query(q->disc, JXTA_DISC_ADV, "Name", q->want_name, 1, NULL,
                                  &q->want_qid);
    if (rc < 0) {
        q->want_active = 0;
        finish(q->b, rc, "edge %d: query: %s", q->index, jxta_strerror(rc));
    }
}

/* ---- raw TCP baseline ------------------------------------------------- */

typedef struct raw_job {
    int fd, ping;
    double *samples;
    int rc;
} raw_job_t;

/* 16-byte frames: the sequence number in the first 8 bytes. */
static void raw_run(raw_job_t *j)
{
    uint8_t buf[RAW_SIZE] = {0};
    j->rc = -1;
    for (uint64_t i = 0; i < RAW_WARMUP + RAW_COUNT; i++) {
        if (j->ping) {
            uint64_t t = bench_now_ns();
            memcpy(buf, &i, sizeof i);
            if (bench_write_full(j->fd, buf, sizeof buf) < 0 || bench_read_full(j->fd, buf, sizeof buf) < 0 ||
                memcmp(buf, &i, sizeof i) != 0)
                return;
            if (i >= RAW_WARMUP)
                j->samples[i - RAW_WARMUP] = (double)(bench_now_ns() - t) / 1000.0;
        } else if (bench_read_full(j->fd, buf, sizeof buf) < 0 || bench_write_full(j->fd, buf, sizeof buf) < 0) {
            return;
        }
    }
    j->rc = 0;
}

static void *raw_thread(void *arg)
{
    raw_run(arg);
    return NULL;
}

/* Median raw round trip in microseconds. */
static double raw_rtt(void)
{
    set_phase("raw TCP round trips");
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sl) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&sa, &sl) < 0)
        cli_fail(1, prog, "raw TCP: cannot listen on 127.0.0.1: %s", strerror(errno));
    int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (a < 0 || connect(a, (struct sockaddr *)&sa, sl) < 0)
        cli_fail(1, prog, "raw TCP: cannot connect: %s", strerror(errno));
    int c = accept(l, NULL, NULL);
    if (c < 0)
        cli_fail(1, prog, "raw TCP: accept: %s", strerror(errno));
    close(l);
    int fds[2] = {a, c};
    for (int i = 0; i < 2; i++) {
        int one = 1;
        struct timeval tv = {.tv_sec = timeout_s};
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    double *s = malloc(RAW_COUNT * sizeof *s);
    if (!s)
        cli_fail(1, prog, "out of memory");
    raw_job_t ping = {a, 1, s, 0}, echo = {c, 0, NULL, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, raw_thread, &echo) != 0)
        cli_fail(1, prog, "cannot start a thread");
    raw_run(&ping);
    if (ping.rc < 0)
        shutdown(a, SHUT_RDWR); /* unblock the echo side */
    pthread_join(t, NULL);
    close(a);
    close(c);
    if (ping.rc < 0 || echo.rc < 0)
        cli_fail(1, prog, "raw TCP round trips failed: connection broken or socket time-out");
    qsort(s, RAW_COUNT, sizeof *s, bench_cmp_double);
    double m = bench_percentile(s, RAW_COUNT, 0.5);
    free(s);
    return m;
}

/* ---- options ---------------------------------------------------------- */

static int parse_opts(int argc, char **argv, bench_t *b, const char **log_level)
{
    uint64_t timeout = 300;
    b->edges = 100;
    b->rounds = 200;
    b->srdi_ms = 200;
    b->rest_s = 10;
    b->rest_srdi_ms = 1000;
    b->loops = 2;
    b->seed = 1;
    static const struct {
        const char *name;
        uint64_t lo, hi;
        size_t off;
    } num[] = {
        {"--edges", 2, 2000, offsetof(bench_t, edges)},
        {"--rounds", 1, 1000000, offsetof(bench_t, rounds)},
        {"--srdi-ms", 1, 3600000, offsetof(bench_t, srdi_ms)},
        {"--rest-s", 1, 86400, offsetof(bench_t, rest_s)},
        {"--rest-srdi-ms", 1, 3600000, offsetof(bench_t, rest_srdi_ms)},
        {"--loops", 1, 64, offsetof(bench_t, loops)},
        {"--seed", 1, UINT64_MAX, offsetof(bench_t, seed)},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int known = strcmp(a, "--timeout") == 0 || strcmp(a, "--log-level") == 0;
        size_t k = 0;
        for (; k < sizeof num / sizeof num[0] && !known; k++)
            if (strcmp(a, num[k].name) == 0)
                break;
        if (!known && k == sizeof num / sizeof num[0]) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
            return -1;
        }
        if (!v) {
            fprintf(stderr, "%s: %s needs a value\n", prog, a);
            return -1;
        }
        i++;
        int rc = 0;
        if (strcmp(a, "--timeout") == 0)
            rc = bench_parse_u64(prog, a, v, 1, 86400, &timeout);
        else if (strcmp(a, "--log-level") == 0)
            *log_level = v;
        else
            rc = bench_parse_u64(prog, a, v, num[k].lo, num[k].hi, (uint64_t *)((char *)b + num[k].off));
        if (rc < 0)
            return -1;
    }
    if (b->loops > b->edges + 1) {
        fprintf(stderr, "%s: --loops %llu is more than the %llu peers\n", prog,
                (unsigned long long)b->loops, (unsigned long long)b->edges + 1);
        return -1;
    }
    timeout_s = (unsigned)timeout;
    return 0;
}

/* Each peer holds one socket (the rendezvous one per edge, plus its
 * listener); each loop an epoll and an eventfd. */
static void check_fd_limit(const bench_t *b)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)(2 * b->edges + 3 * b->loops + 64);
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
        return;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        cli_fail(1, prog, "%llu edges need about %llu file descriptors; the limit is %llu "
                          "(raise it with ulimit -n)",
                 (unsigned long long)b->edges, (unsigned long long)need,
                 (unsigned long long)rl.rlim_max);
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        cli_fail(1, prog, "cannot raise the file descriptor limit to %llu: %s",
                 (unsigned long long)need, strerror(errno));
}

/* ---- main ------------------------------------------------------------- */

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Driver: sum of the edges' SRDI counters (snapshots on their loops). */
static void edges_srdi(bench_t *b, uint64_t *msgs, uint64_t *bytes, uint64_t *pushed,
                       uint64_t *leases)
{
    edges_each(b, node_snapshot);
    *msgs = *bytes = *pushed = *leases = 0;
    for (uint64_t i = 0; i < b->edges; i++) {
        *msgs += b->nodes[i].srdi_msgs;
        *bytes += b->nodes[i].srdi_bytes;
        *pushed += b->nodes[i].srdi_msgs > 0;
        *leases += (uint64_t)b->nodes[i].has_lease;
    }
}

/* Driver: wait until the rendezvous' index size has not changed for
 * `quiet_ms` (SRDI pushes in flight have landed). */
static size_t rdv_index_settle(bench_t *b, uint64_t quiet_ms)
{
    uint64_t last = UINT64_MAX, since = bench_now_ns();
    for (;;) {
        check_deadline();
        call_on(b->rdv.lp, rdv_snapshot, &b->rdv);
        uint64_t v = b->rdv.index_size;
        if (v != last) {
            last = v;
            since = bench_now_ns();
        } else if (bench_now_ns() - since >= quiet_ms * 1000000u) {
            return (size_t)v;
        }
        sleep_ms(10);
    }
}

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
    check_fd_limit(&b);
    signal(SIGPIPE, SIG_IGN);
    bench_timeout_start(prog, &phase, timeout_s, &deadline);
    bench_step_init(&b.step);
    rng_state = b.seed * 0x9E3779B97F4A7C15ULL + 1;
    uint64_t t_start = bench_now_ns();

    double *pub_s = malloc(b.rounds * sizeof *pub_s), *disc_s = malloc(b.rounds * sizeof *disc_s);
    b.lps = calloc(b.loops, sizeof *b.lps);
    b.nodes = calloc(b.edges, sizeof *b.nodes);
    if (!pub_s || !disc_s || !b.lps || !b.nodes)
        cli_fail(1, prog, "out of memory");

    /* Loops, then the rendezvous, then the edges. */
    set_phase("start-up (loops)");
    for (uint64_t l = 0; l < b.loops; l++) {
        lp_t *lp = &b.lps[l];
        lp->b = &b;
        lp->index = (int)l;
        int rc = jxta_loop_new(&lp->loop);
        if (rc < 0)
            cli_fail(1, prog, "cannot create an event loop: %s", jxta_strerror(rc));
        if (pthread_create(&lp->thread, NULL, loop_thread, lp) != 0)
            cli_fail(1, prog, "cannot start a loop thread");
        lp->running = 1;
        char tn[16];
        snprintf(tn, sizeof tn, "bench-loop-%d", (int)l);
        pthread_setname_np(lp->thread, tn);
    }
    b.rdv.b = &b;
    b.rdv.index = -1;
    b.rdv.lp = &b.lps[0];
    set_phase("start-up (rendezvous)");
    call_on(b.rdv.lp, node_setup, &b.rdv);
    if (b.rdv.setup_rc < 0)
        cli_fail(1, prog, "cannot start the rendezvous: %s", jxta_strerror(b.rdv.setup_rc));
    set_phase("start-up (edges)");
    for (uint64_t i = 0; i < b.edges; i++) {
        node_t *n = &b.nodes[i];
        n->b = &b;
        n->index = (int)i;
        n->lp = b.loops == 1 ? &b.lps[0] : &b.lps[1 + i % (b.loops - 1)];
        call_on(n->lp, node_setup, n);
        if (n->setup_rc < 0)
            cli_fail(1, prog, "cannot start edge %llu: %s", (unsigned long long)i,
                     jxta_strerror(n->setup_rc));
    }

    /* Every edge leased and its first (full) SRDI push indexed. */
    uint64_t msgs, bytes, pushed, leases;
    set_phase("leases and first SRDI pushes of %llu edges", (unsigned long long)b.edges);
    for (;;) {
        check_deadline();
        edges_srdi(&b, &msgs, &bytes, &pushed, &leases);
        call_on(b.rdv.lp, rdv_snapshot, &b.rdv);
        if (leases == b.edges && pushed == b.edges && b.rdv.clients == b.edges)
            break;
        sleep_ms(20);
    }
    uint64_t setup_msgs = msgs, setup_bytes = bytes;
    size_t index0 = rdv_index_settle(&b, 2 * b.srdi_ms + 100);
    double setup_s = (double)(bench_now_ns() - t_start) / 1e9;

    char raddr[JXTA_ADDR_TEXT_MAX];
    jxta_addr_format(&b.seed_addr, raddr, sizeof raddr);
    printf("bench-discovery: 1 rendezvous (%s) + %llu edges (no listener), %llu loop thread%s "
           "(%s); ready in %.1f s, %zu index entries\n",
           raddr, (unsigned long long)b.edges, (unsigned long long)b.loops,
           b.loops > 1 ? "s" : "",
           b.loops > 1 ? "rendezvous alone on one, edges on the others" : "all peers on it",
           setup_s, index0);
    printf("  %llu rounds: random edge P publishes a pipe advertisement, another random edge Q "
           "queries Name=<it> (threshold 1, walked); SRDI period %llu ms; baseline: raw TCP "
           "16-byte round trip, 2 threads, TCP_NODELAY\n",
           (unsigned long long)b.rounds, (unsigned long long)b.srdi_ms);
    fflush(stdout);

    double raw_us = raw_rtt();

    /* (a) the rounds */
    unsigned settle_missed = 0;
    uint64_t settle_ms = 5 * b.srdi_ms + 2000;
    for (uint64_t r = 0; r < b.rounds; r++) {
        node_t *p = &b.nodes[rng_below((size_t)b.edges)];
        node_t *q = &b.nodes[rng_below((size_t)b.edges - 1)];
        if (q >= p)
            q++;
        snprintf(p->pub_name, sizeof p->pub_name, "bench-discovery-%llu-%llu",
                 (unsigned long long)b.seed, (unsigned long long)r);

        /* Publish at a random point of the SRDI period: the settle step
         * below ends right after a push, and edges sharing a loop tick
         * together, so without this every publish would wait the same. */
        set_phase("round %llu: random pause", (unsigned long long)r + 1);
        sleep_ms(rng_below((size_t)b.srdi_ms));

        /* publish -> entries in the rendezvous' index */
        set_phase("round %llu: publish on edge %d until indexed at the rendezvous",
                  (unsigned long long)r + 1, p->index);
        step_begin(&b);
        watch_start(&b, 1, 0, 0);
        post_on(p->lp, do_publish, p);
        step_wait(&b);
        /* one SRDI message carries all its entries: `grown` is the whole push */
        uint64_t t_idx = b.w.t_hit, grown = b.w.value - b.w.start, idx_after = b.w.value;
        pthread_mutex_lock(&b.step.mu);
        uint64_t t_pub = p->t_pub;
        pthread_mutex_unlock(&b.step.mu);
        pub_s[r] = (double)(t_idx - t_pub) / 1e6;

        /* query from Q until found */
        set_phase("round %llu: query from edge %d for edge %d's advertisement",
                  (unsigned long long)r + 1, q->index, p->index);
        snprintf(q->want_name, sizeof q->want_name, "%s", p->pub_name);
        step_begin(&b);
        post_on(q->lp, do_query, q);
        step_wait(&b);
        disc_s[r] = (double)(q->t_found - q->t_query) / 1e6;

        /* settle: Q's push of its cached copy lands at the rendezvous */
        set_phase("round %llu: edge %d's SRDI push of the copy it cached",
                  (unsigned long long)r + 1, q->index);
        step_begin(&b);
        watch_start(&b, 0, idx_after + grown, settle_ms);
        step_wait(&b);
        if (!b.w.hit)
            settle_missed++;
    }

    qsort(pub_s, b.rounds, sizeof *pub_s, bench_cmp_double);
    qsort(disc_s, b.rounds, sizeof *disc_s, bench_cmp_double);
    double pm = bench_percentile(pub_s, b.rounds, 0.5), p99 = bench_percentile(pub_s, b.rounds, 0.99);
    double dm = bench_percentile(disc_s, b.rounds, 0.5), d99 = bench_percentile(disc_s, b.rounds, 0.99);
    double pmean = 0;
    for (uint64_t r = 0; r < b.rounds; r++)
        pmean += pub_s[r] / (double)b.rounds;
    printf("publish-to-findable median %.1f ms  p99 %.1f ms  (min %.1f, mean %.1f; publish on P -> "
           "its entries in the rendezvous' SRDI index, checked every 1 ms)\n",
           pm, p99, pub_s[0], pmean);
    printf("discovery median %.2f ms  p99 %.2f ms  (raw TCP rtt median %.1f us, ratio %.1fx; "
           "query from Q -> found callback on Q)\n",
           dm, d99, raw_us, dm * 1000.0 / raw_us);
    if (settle_missed)
        printf("  note: in %u round(s) the querier's SRDI push of its cached copy did not reach "
               "the rendezvous within %llu ms\n",
               settle_missed, (unsigned long long)settle_ms);
    fflush(stdout);

    /* (b) SRDI at rest */
    uint64_t rounds_msgs, rounds_bytes;
    edges_srdi(&b, &rounds_msgs, &rounds_bytes, &pushed, &leases);
    rounds_msgs -= setup_msgs;
    rounds_bytes -= setup_bytes;
    if (b.rest_srdi_ms != b.srdi_ms) {
        set_phase("re-creating the edges' discovery with an SRDI period of %llu ms",
                  (unsigned long long)b.rest_srdi_ms);
        edges_each(&b, node_new_period);
        for (uint64_t i = 0; i < b.edges; i++)
            if (b.nodes[i].setup_rc < 0)
                cli_fail(1, prog, "edge %llu: cannot restart discovery: %s",
                         (unsigned long long)i, jxta_strerror(b.nodes[i].setup_rc));
        /* each new service pushes its full index once, then only deltas */
        for (;;) {
            check_deadline();
            edges_srdi(&b, &msgs, &bytes, &pushed, &leases);
            if (pushed == b.edges)
                break;
            sleep_ms(20);
        }
        printf("srdi full re-push %.2f msgs/edge  %.0f B/edge  (new SRDI period %llu ms, as after "
               "a new lease)\n",
               (double)msgs / (double)b.edges, (double)bytes / (double)b.edges,
               (unsigned long long)b.rest_srdi_ms);
        fflush(stdout);
        rdv_index_settle(&b, 200);
    }
    set_phase("SRDI at rest (%llu s idle)", (unsigned long long)b.rest_s);
    uint64_t m0, b0, m1, b1;
    edges_srdi(&b, &m0, &b0, &pushed, &leases);
    uint64_t t0 = bench_now_ns();
    sleep_ms(b.rest_s * 1000);
    check_deadline();
    edges_srdi(&b, &m1, &b1, &pushed, &leases);
    double minutes = (double)(bench_now_ns() - t0) / 60e9;
    if (leases != b.edges)
        printf("  note: %llu of %llu edges lost their lease while idle\n",
               (unsigned long long)(b.edges - leases), (unsigned long long)b.edges);
    printf("srdi at rest %.2f msgs/edge/min  %.1f B/edge/min  (%llu s idle, SRDI period %llu ms: "
           "%llu msgs, %llu B from %llu edges; during the rounds %.2f msgs/edge, %.0f B/edge)\n",
           (double)(m1 - m0) / (double)b.edges / minutes,
           (double)(b1 - b0) / (double)b.edges / minutes, (unsigned long long)b.rest_s,
           (unsigned long long)b.rest_srdi_ms, (unsigned long long)(m1 - m0),
           (unsigned long long)(b1 - b0), (unsigned long long)b.edges,
           (double)rounds_msgs / (double)b.edges, (double)rounds_bytes / (double)b.edges);
    fflush(stdout);

    /* Shutdown: edges, then the rendezvous, then the loops. */
    set_phase("shutdown");
    edges_each(&b, node_teardown);
    call_on(b.rdv.lp, node_teardown, &b.rdv);
    for (uint64_t l = 0; l < b.loops; l++) {
        jxta_loop_stop(b.lps[l].loop);
        pthread_join(b.lps[l].thread, NULL);
        jxta_loop_free(b.lps[l].loop);
    }
    free(b.lps);
    free(b.nodes);
    free(pub_s);
    free(disc_s);
    printf("done in %.1f s\n", (double)(bench_now_ns() - t_start) / 1e9);
    return 0;
}
