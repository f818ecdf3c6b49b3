/* test_pipe.c - the pipe service between in-process peers on one loop.
 *
 * Edges do not listen, so everything between them goes through their
 * rendezvous.  Unicast: binding edge->edge through the rendezvous,
 * rendezvous->edge and edge->rendezvous, messages arriving unchanged; a
 * long run on one pipe (none lost or repeated, order kept); blocking poll,
 * wait_bound and send_sync from an application thread; rebinding when the
 * input pipe moves to another peer and when its host dies.  Propagate:
 * listeners on edges of two rendezvous in one view and on a rendezvous
 * each get every message once.  Captured JXSE traffic: a C host and a C
 * rendezvous answer the captured Java queries with the documents JXSE
 * sent, and a C edge's pipe SRDI is the Java edge's byte for byte.
 * Hostile documents are dropped with a log line. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 15)

/* JXTA_TEST_SCALE=10 divides the long runs by 10 (valgrind). */
static unsigned long scaled(unsigned long n)
{
    const char *s = getenv("JXTA_TEST_SCALE");
    unsigned long d = s ? strtoul(s, NULL, 10) : 1;
    return d > 1 ? n / d : n;
}

typedef struct node {
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_propagate_t *prop;
    jxta_resolver_t *res;
    jxta_pipes_t *ps;
    jxta_adv_t *pa;
    jxta_id_t id;
} node_t;

/* Short timings, so rebinding is quick; the long run keeps JXSE's 20 min
 * verification (a sanitized, loaded machine may take longer than the
 * short time-out to answer behind thousands of messages). */
static uint64_t verify_ms = 400;

static void test_cfg(jxta_pipes_config_t *c)
{
    jxta_pipes_config_default(c);
    c->resolve_retry_ms = 100;
    c->resolve_timeout_ms = 3000;
    c->verify_ms = verify_ms;
}

static void start_services(node_t *n, int with_pipes)
{
    n->id = *jxta_endpoint_peer_id(n->ep);
    ck_assert_int_eq(jxta_propagate_new(n->ep, n->rdv, &jxta_id_net_group, &n->prop), 0);
    ck_assert_int_eq(jxta_resolver_new(n->ep, n->prop, &jxta_id_net_group, &n->res), 0);
    if (with_pipes) {
        jxta_pipes_config_t c;
        test_cfg(&c);
        ck_assert_int_eq(jxta_pipes_new(n->res, n->rdv, n->prop, n->pa, &c, &n->ps), 0);
    }
}

static void start(jxta_loop_t *l, node_t *n, jxta_rdv_role_t role, const jxta_addr_t *seed)
{
    memset(n, 0, sizeof *n);
    tu_peer(l, role, seed, &n->ep, &n->rdv, &n->pa);
    start_services(n, 1);
}

static void stop(node_t *n)
{
    jxta_pipes_free(n->ps);
    jxta_resolver_free(n->res);
    jxta_propagate_free(n->prop);
    jxta_rdv_discard(n->rdv);
    jxta_endpoint_free(n->ep);
    jxta_adv_free(n->pa);
    memset(n, 0, sizeof *n);
}

static jxta_addr_t addr_of(node_t *n)
{
    return *jxta_tcp_public_addr(jxta_endpoint_tcp(n->ep));
}

/* Two rendezvous that know each other, as a PeerView makes them. */
static void link_rdvs(node_t *a, node_t *b)
{
    jxta_adv_t *ra;
    jxta_endpoint_local_route(a->ep, &ra);
    jxta_endpoint_learn_route(b->ep, ra);
    jxta_adv_free(ra);
    jxta_endpoint_local_route(b->ep, &ra);
    jxta_endpoint_learn_route(a->ep, ra);
    jxta_adv_free(ra);
    jxta_propagate_set_view(a->prop, &b->id, 1);
    jxta_propagate_set_view(b->prop, &a->id, 1);
}

static size_t index_entries(node_t *r)
{
    jxta_pipes_stats_t st;
    jxta_pipes_stats(r->ps, &st);
    return st.index_entries;
}

/* ---- receiving ------------------------------------------------------------ */

typedef struct sink {
    unsigned long count, next, out_of_order, dup, extra_elems;
    int propagated;
    jxta_id_t last_src;
} sink_t;

static unsigned long msg_seq(const jxta_msg_t *m)
{
    const jxta_msg_elem_t *e = jxta_msg_find(m, "", "seq");
    ck_assert_ptr_nonnull(e);
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    char t[32];
    ck_assert_uint_lt(len, sizeof t);
    memcpy(t, b, len);
    t[len] = '\0';
    return strtoul(t, NULL, 10);
}

static void on_msg(void *ud, jxta_input_pipe_t *ip, jxta_msg_t *m, const jxta_pipe_msg_info_t *info)
{
    sink_t *s = ud;
    (void)ip;
    unsigned long seq = msg_seq(m);
    if (seq < s->next)
        s->dup++;
    else if (seq > s->next)
        s->out_of_order++;
    s->next = seq + 1;
    s->count++;
    if (jxta_msg_count(m) != 1)
        s->extra_elems++;
    s->propagated = info->propagated;
    if (info->src_peer)
        s->last_src = *info->src_peer;
    jxta_msg_free(m);
}

static jxta_msg_t *make_msg(unsigned long seq)
{
    jxta_msg_t *m;
    char t[32];
    snprintf(t, sizeof t, "%lu", seq);
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    ck_assert_int_eq(jxta_msg_add_text(m, "", "seq", t), 0);
    return m;
}

typedef struct binding {
    int bound, lost, timedout;
    jxta_id_t peer;
} binding_t;

static void on_bound(void *ud, jxta_output_pipe_t *op, const jxta_id_t *peer, int err)
{
    binding_t *b = ud;
    (void)op;
    if (err == 0) {
        b->bound++;
        b->peer = *peer;
    } else if (err == JXTA_ETIMEDOUT) {
        b->timedout++;
    } else {
        b->lost++;
    }
}

static int sent_ok, sent_err;
static void on_sent(void *ud, int status)
{
    (void)ud;
    if (status == 0)
        sent_ok++;
    else
        sent_err++;
}

/* Send seq numbers [from, to) on op, keeping at most `window` in flight. */
static void send_range(jxta_loop_t *l, jxta_output_pipe_t *op, unsigned long from,
                       unsigned long to, int window)
{
    int base_ok = sent_ok, base_err = sent_err;
    unsigned long seq = from;
    uint64_t end = tu_now_ms() + 15000;
    while (seq < to && tu_now_ms() < end) {
        if ((long)(seq - from) - (sent_ok - base_ok) - (sent_err - base_err) >= window) {
            jxta_loop_run_once(l, 5);
            continue;
        }
        jxta_msg_t *m = make_msg(seq);
        int rc = jxta_output_pipe_send(op, m, on_sent, NULL);
        ck_assert_msg(rc == 0 || rc == JXTA_EBUSY, "send: %s", jxta_strerror(rc));
        if (rc == 0) {
            ck_assert_uint_eq(jxta_msg_count(m), 1); /* left as it was */
            seq++;
        } else {
            jxta_loop_run_once(l, 5);
        }
        jxta_msg_free(m);
    }
    ck_assert_uint_eq(seq, to);
}

/* ---- unicast ---------------------------------------------------------------- */

START_TEST(test_unicast_bind_and_send)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a, b;
    start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = addr_of(&r);
    start(l, &a, JXTA_RDV_EDGE, &seed);
    start(l, &b, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(b.rdv, NULL));

    /* edge -> edge through the rendezvous */
    jxta_id_t pipe;
    jxta_id_new_pipe(&pipe, &jxta_id_net_group);
    sink_t sb = {0};
    jxta_input_pipe_t *ib;
    ck_assert_int_eq(jxta_input_pipe_open(b.ps, &pipe, JXTA_PIPE_UNICAST, on_msg, &sb, &ib), 0);
    ck_assert_int_eq(jxta_input_pipe_open(b.ps, &pipe, JXTA_PIPE_UNICAST, on_msg, &sb, &ib),
                     JXTA_EEXIST);
    RUN_UNTIL(l, index_entries(&r) == 1);
    binding_t ba = {0};
    jxta_output_pipe_t *oa;
    ck_assert_int_eq(jxta_output_pipe_open(a.ps, &pipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound, &ba,
                                           &oa),
                     0);
    /* sent before the binding: held, then delivered in order */
    send_range(l, oa, 0, 5, 100);
    RUN_UNTIL(l, ba.bound == 1);
    ck_assert(jxta_id_equal(&ba.peer, &b.id));
    jxta_id_t peer;
    ck_assert_int_eq(jxta_output_pipe_peer(oa, &peer), 0);
    ck_assert(jxta_id_equal(&peer, &b.id));
    send_range(l, oa, 5, 20, 100);
    RUN_UNTIL(l, sb.count == 20);
    ck_assert_uint_eq(sb.out_of_order + sb.dup + sb.extra_elems, 0);
    ck_assert(jxta_id_equal(&sb.last_src, &a.id));
    ck_assert_int_eq(sb.propagated, 0);
    ck_assert(!jxta_endpoint_connected(a.ep, &b.id)); /* it went through r */
    jxta_pipes_stats_t st;
    jxta_pipes_stats(r.ps, &st);
    ck_assert_uint_ge(st.queries_forwarded, 1);

    /* rendezvous -> edge: r finds b in its own index */
    binding_t br = {0};
    jxta_output_pipe_t *or_;
    ck_assert_int_eq(jxta_output_pipe_open(r.ps, &pipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound, &br,
                                           &or_),
                     0);
    RUN_UNTIL(l, br.bound == 1);
    ck_assert(jxta_id_equal(&br.peer, &b.id));
    sb.next = 100;
    send_range(l, or_, 100, 110, 100);
    RUN_UNTIL(l, sb.count == 30);
    ck_assert(jxta_id_equal(&sb.last_src, &r.id));

    /* edge -> rendezvous: r answers for its own pipe */
    jxta_id_t rpipe;
    jxta_id_new_pipe(&rpipe, &jxta_id_net_group);
    sink_t sr = {0};
    jxta_input_pipe_t *ir;
    ck_assert_int_eq(jxta_input_pipe_open(r.ps, &rpipe, JXTA_PIPE_UNICAST, on_msg, &sr, &ir), 0);
    binding_t ba2 = {0};
    jxta_output_pipe_t *oa2;
    ck_assert_int_eq(jxta_output_pipe_open(a.ps, &rpipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound,
                                           &ba2, &oa2),
                     0);
    RUN_UNTIL(l, ba2.bound == 1);
    ck_assert(jxta_id_equal(&ba2.peer, &r.id));
    send_range(l, oa2, 0, 10, 100);
    RUN_UNTIL(l, sr.count == 10);
    ck_assert_uint_eq(sr.out_of_order + sr.dup + sr.extra_elems, 0);

    /* a pipe nobody hosts: no binding, held messages time out */
    jxta_id_t nopipe;
    jxta_id_new_pipe(&nopipe, &jxta_id_net_group);
    binding_t bn = {0};
    jxta_output_pipe_t *on;
    ck_assert_int_eq(jxta_output_pipe_open(a.ps, &nopipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound,
                                           &bn, &on),
                     0);
    int err0 = sent_err;
    jxta_msg_t *m = make_msg(1);
    ck_assert_int_eq(jxta_output_pipe_send(on, m, on_sent, NULL), 0);
    jxta_msg_free(m);
    RUN_UNTIL(l, bn.timedout == 1 && sent_err == err0 + 1);
    ck_assert_int_eq(bn.bound, 0);
    ck_assert_int_eq(jxta_output_pipe_peer(on, NULL), JXTA_ENOTFOUND);
    jxta_output_pipe_close(on);

    /* the input pipe closes: b's entry leaves r's index, and r's output
     * pipe, bound to b, notices at once */
    jxta_input_pipe_close(ib);
    RUN_UNTIL(l, index_entries(&r) == 0);
    ck_assert_int_eq(br.lost, 1);
    ck_assert_int_eq(jxta_output_pipe_peer(or_, NULL), JXTA_ENOTFOUND);
    jxta_output_pipe_close(or_);

    jxta_output_pipe_close(oa);
    jxta_output_pipe_close(oa2);
    jxta_input_pipe_close(ir);
    stop(&a);
    stop(&b);
    stop(&r);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_unicast_many_in_order)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a, b;
    verify_ms = 1200000;
    start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = addr_of(&r);
    start(l, &a, JXTA_RDV_EDGE, &seed);
    start(l, &b, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(b.rdv, NULL));
    jxta_id_t pipe;
    jxta_id_new_pipe(&pipe, &jxta_id_net_group);
    sink_t sb = {0};
    jxta_input_pipe_t *ib;
    ck_assert_int_eq(jxta_input_pipe_open(b.ps, &pipe, JXTA_PIPE_UNICAST, on_msg, &sb, &ib), 0);
    RUN_UNTIL(l, index_entries(&r) == 1);
    binding_t ba = {0};
    jxta_output_pipe_t *oa;
    ck_assert_int_eq(jxta_output_pipe_open(a.ps, &pipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound, &ba,
                                           &oa),
                     0);
    RUN_UNTIL(l, ba.bound == 1);
    unsigned long n = scaled(20000);
    uint64_t t0 = tu_now_ms();
    send_range(l, oa, 0, n, 256);
    RUN_UNTIL(l, sb.count == n);
    ck_assert_uint_eq(sb.out_of_order, 0);
    ck_assert_uint_eq(sb.dup, 0);
    ck_assert_uint_eq(sb.extra_elems, 0);
    ck_assert_int_eq(ba.lost, 0);
    uint64_t recv, drop;
    jxta_input_pipe_counts(ib, &recv, &drop);
    ck_assert_uint_eq(recv, n);
    ck_assert_uint_eq(drop, 0);
    fprintf(stderr, "test_pipe: %lu messages edge->rdv->edge in %llu ms\n", n,
            (unsigned long long)(tu_now_ms() - t0));
    jxta_output_pipe_close(oa);
    jxta_input_pipe_close(ib);
    stop(&a);
    stop(&b);
    stop(&r);
    jxta_loop_free(l);
    verify_ms = 400;
}
END_TEST

/* ---- blocking calls from an application thread ---------------------------------- */

typedef struct app {
    jxta_input_pipe_t *ip;
    jxta_output_pipe_t *op;
    unsigned long n;
    int bound_rc, send_rc, poll_timeout_rc, poll_rc;
    unsigned long got, in_order;
    atomic_int done;
} app_t;

static void *app_thread(void *arg)
{
    app_t *a = arg;
    a->bound_rc = jxta_output_pipe_wait_bound(a->op, 10000);
    jxta_msg_t *m = NULL;
    a->poll_timeout_rc = jxta_input_pipe_poll(a->ip, 20, &m); /* nothing yet */
    a->send_rc = 0;
    for (unsigned long i = 0; i < a->n && a->send_rc == 0; i++) {
        jxta_msg_t *s = make_msg(i);
        a->send_rc = jxta_output_pipe_send_sync(a->op, s, 10000);
        jxta_msg_free(s);
    }
    a->in_order = 1;
    for (unsigned long i = 0; i < a->n; i++) {
        a->poll_rc = jxta_input_pipe_poll(a->ip, 10000, &m);
        if (a->poll_rc < 0)
            break;
        if (msg_seq(m) != i)
            a->in_order = 0;
        jxta_msg_free(m);
        a->got++;
    }
    atomic_store(&a->done, 1);
    return NULL;
}

START_TEST(test_blocking_calls)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a, b;
    start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = addr_of(&r);
    start(l, &a, JXTA_RDV_EDGE, &seed);
    start(l, &b, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(b.rdv, NULL));
    jxta_id_t pipe;
    jxta_id_new_pipe(&pipe, &jxta_id_net_group);
    app_t app = {0};
    app.n = scaled(300);
    ck_assert_int_eq(jxta_input_pipe_open(b.ps, &pipe, JXTA_PIPE_UNICAST, NULL, NULL, &app.ip),
                     0);
    ck_assert_int_eq(jxta_output_pipe_open(a.ps, &pipe, JXTA_PIPE_UNICAST, NULL, 0, NULL, NULL,
                                           &app.op),
                     0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, app_thread, &app), 0);
    RUN_UNTIL(l, atomic_load(&app.done));
    pthread_join(th, NULL);
    ck_assert_int_eq(app.bound_rc, 0);
    ck_assert_int_eq(app.poll_timeout_rc, JXTA_ETIMEDOUT);
    ck_assert_int_eq(app.send_rc, 0);
    ck_assert_int_eq(app.poll_rc, 0);
    ck_assert_uint_eq(app.got, app.n);
    ck_assert_uint_eq(app.in_order, 1);
    /* on the loop thread, poll only looks */
    jxta_msg_t *m = NULL;
    ck_assert_int_eq(jxta_input_pipe_poll(app.ip, 1000, &m), JXTA_ETIMEDOUT);
    jxta_output_pipe_close(app.op);
    jxta_input_pipe_close(app.ip);
    stop(&a);
    stop(&b);
    stop(&r);
    jxta_loop_free(l);
}
END_TEST

/* send_sync waits while an unbound pipe's queue is full */
typedef struct pusher {
    jxta_output_pipe_t *op;
    int rc;
    atomic_int started, done;
} pusher_t;

static void *push_thread(void *arg)
{
    pusher_t *p = arg;
    jxta_msg_t *m = make_msg(1000);
    atomic_store(&p->started, 1);
    p->rc = jxta_output_pipe_send_sync(p->op, m, 10000);
    jxta_msg_free(m);
    atomic_store(&p->done, 1);
    return NULL;
}

START_TEST(test_send_sync_back_pressure)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a, b;
    start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = addr_of(&r);
    start(l, &a, JXTA_RDV_EDGE, &seed);
    start(l, &b, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(b.rdv, NULL));
    jxta_id_t pipe;
    jxta_id_new_pipe(&pipe, &jxta_id_net_group);
    pusher_t p = {0};
    ck_assert_int_eq(jxta_output_pipe_open(a.ps, &pipe, JXTA_PIPE_UNICAST, NULL, 0, NULL, NULL,
                                           &p.op),
                     0);
    /* nobody hosts it yet: fill the queue */
    unsigned long held = 0;
    for (;;) {
        jxta_msg_t *m = make_msg(held);
        int rc = jxta_output_pipe_send(p.op, m, NULL, NULL);
        jxta_msg_free(m);
        if (rc == JXTA_EBUSY)
            break;
        ck_assert_int_eq(rc, 0);
        held++;
    }
    ck_assert_uint_eq(held, 1000);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, push_thread, &p), 0);
    RUN_UNTIL(l, atomic_load(&p.started));
    for (int i = 0; i < 20; i++)
        jxta_loop_run_once(l, 5);
    ck_assert_int_eq(atomic_load(&p.done), 0); /* waiting for room */
    sink_t sb = {0};
    jxta_input_pipe_t *ib;
    ck_assert_int_eq(jxta_input_pipe_open(b.ps, &pipe, JXTA_PIPE_UNICAST, on_msg, &sb, &ib), 0);
    RUN_UNTIL(l, atomic_load(&p.done) && sb.count == 1001);
    pthread_join(th, NULL);
    ck_assert_int_eq(p.rc, 0);
    ck_assert_uint_eq(sb.out_of_order + sb.dup, 0);
    jxta_output_pipe_close(p.op);
    jxta_input_pipe_close(ib);
    stop(&a);
    stop(&b);
    stop(&r);
    jxta_loop_free(l);
}
END_TEST

/* ---- rebinding ----------------------------------------------------------------- */

/* Send one message every few ms until `cond` holds. */
#define SEND_UNTIL(l, op, seqvar, cond)                                                     \
    do {                                                                                   \
        uint64_t _end = tu_now_ms() + 15000;                                               \
        while (!(cond) && tu_now_ms() < _end) {                                            \
            jxta_msg_t *_m = make_msg((seqvar)++);                                         \
            int _rc = jxta_output_pipe_send(op, _m, NULL, NULL);                           \
            ck_assert(_rc == 0 || _rc == JXTA_EBUSY);                                      \
            jxta_msg_free(_m);                                                             \
            for (int _i = 0; _i < 3; _i++)                                                 \
                jxta_loop_run_once(l, 5);                                                  \
        }                                                                                  \
        ck_assert_msg((cond), "not reached: %s", #cond);                                   \
    } while (0)

START_TEST(test_rebind)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a, b, c, d;
    start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = addr_of(&r);
    start(l, &a, JXTA_RDV_EDGE, &seed);
    start(l, &b, JXTA_RDV_EDGE, &seed);
    start(l, &c, JXTA_RDV_EDGE, &seed);
    start(l, &d, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL) && jxta_rdv_has_lease(b.rdv, NULL) &&
                     jxta_rdv_has_lease(c.rdv, NULL) && jxta_rdv_has_lease(d.rdv, NULL));
    jxta_id_t pipe;
    jxta_id_new_pipe(&pipe, &jxta_id_net_group);
    sink_t sb = {0}, sc = {0}, sd = {0};
    jxta_input_pipe_t *ib, *ic, *id;
    ck_assert_int_eq(jxta_input_pipe_open(b.ps, &pipe, JXTA_PIPE_UNICAST, on_msg, &sb, &ib), 0);
    RUN_UNTIL(l, index_entries(&r) == 1);
    binding_t ba = {0};
    jxta_output_pipe_t *oa;
    ck_assert_int_eq(jxta_output_pipe_open(a.ps, &pipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound, &ba,
                                           &oa),
                     0);
    RUN_UNTIL(l, ba.bound == 1);
    unsigned long seq = 0;
    SEND_UNTIL(l, oa, seq, sb.count >= 3);

    /* the input pipe moves from b to c: a rebinds to c */
    jxta_input_pipe_close(ib);
    sc.next = seq;
    ck_assert_int_eq(jxta_input_pipe_open(c.ps, &pipe, JXTA_PIPE_UNICAST, on_msg, &sc, &ic), 0);
    SEND_UNTIL(l, oa, seq, sc.count >= 3);
    ck_assert(jxta_id_equal(&ba.peer, &c.id));
    ck_assert_int_ge(ba.lost, 1);
    ck_assert_int_ge(ba.bound, 2);

    /* c dies; d opens the pipe: a rebinds to d */
    stop(&c);
    sd.next = seq;
    ck_assert_int_eq(jxta_input_pipe_open(d.ps, &pipe, JXTA_PIPE_UNICAST, on_msg, &sd, &id), 0);
    SEND_UNTIL(l, oa, seq, sd.count >= 3);
    ck_assert(jxta_id_equal(&ba.peer, &d.id));
    ck_assert_uint_eq(sd.dup, 0);

    jxta_output_pipe_close(oa);
    stop(&a);
    stop(&b);
    stop(&d);
    stop(&r);
    jxta_loop_free(l);
}
END_TEST

/* ---- propagate ----------------------------------------------------------------- */

START_TEST(test_propagate_once_per_listener)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r1, r2, e1, e2, e3, e4;
    start(l, &r1, JXTA_RDV_RENDEZVOUS, NULL);
    start(l, &r2, JXTA_RDV_RENDEZVOUS, NULL);
    link_rdvs(&r1, &r2);
    jxta_addr_t s1 = addr_of(&r1), s2 = addr_of(&r2);
    start(l, &e1, JXTA_RDV_EDGE, &s1);
    start(l, &e2, JXTA_RDV_EDGE, &s1);
    start(l, &e3, JXTA_RDV_EDGE, &s2);
    start(l, &e4, JXTA_RDV_EDGE, &s2); /* sender, not listening */
    RUN_UNTIL(l, jxta_rdv_has_lease(e1.rdv, NULL) && jxta_rdv_has_lease(e2.rdv, NULL) &&
                     jxta_rdv_has_lease(e3.rdv, NULL) && jxta_rdv_has_lease(e4.rdv, NULL));
    jxta_id_t pipe;
    jxta_id_new_pipe(&pipe, &jxta_id_net_group);
    sink_t s[4] = {{0}};
    node_t *listeners[4] = {&e1, &e2, &e3, &r2};
    jxta_input_pipe_t *ip[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(jxta_input_pipe_open(listeners[i]->ps, &pipe, JXTA_PIPE_PROPAGATE, on_msg,
                                              &s[i], &ip[i]),
                         0);
    RUN_UNTIL(l, index_entries(&r1) == 2 && index_entries(&r2) == 1);
    /* from an edge of r2, and from r1 itself */
    node_t *senders[2] = {&e4, &r1};
    unsigned long n = scaled(500), seq = 0;
    for (int k = 0; k < 2; k++) {
        jxta_output_pipe_t *op;
        ck_assert_int_eq(jxta_output_pipe_open(senders[k]->ps, &pipe, JXTA_PIPE_PROPAGATE, NULL, 0,
                                               NULL, NULL, &op),
                         0);
        int ok0 = sent_ok;
        for (unsigned long i = 0; i < n; i++) {
            jxta_msg_t *m = make_msg(seq++);
            ck_assert_int_eq(jxta_output_pipe_send(op, m, on_sent, NULL), 0);
            ck_assert_uint_eq(jxta_msg_count(m), 1);
            jxta_msg_free(m);
            if (i % 16 == 0)
                jxta_loop_run_once(l, 0);
        }
        ck_assert_int_eq(sent_ok, ok0 + (int)n);
        RUN_UNTIL(l, s[0].count == seq && s[1].count == seq && s[2].count == seq &&
                         s[3].count == seq);
        jxta_output_pipe_close(op);
    }
    /* nothing more arrives late */
    for (int i = 0; i < 30; i++)
        jxta_loop_run_once(l, 5);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(s[i].count, 2 * n);
        ck_assert_uint_eq(s[i].dup, 0);
        ck_assert_uint_eq(s[i].extra_elems, 0);
        ck_assert_int_eq(s[i].propagated, 1);
    }
    /* unicast across the view: an edge of r2 binds to a pipe of r1 */
    jxta_id_t upipe;
    jxta_id_new_pipe(&upipe, &jxta_id_net_group);
    sink_t su = {0};
    jxta_input_pipe_t *iu;
    ck_assert_int_eq(jxta_input_pipe_open(r1.ps, &upipe, JXTA_PIPE_UNICAST, on_msg, &su, &iu), 0);
    binding_t bu = {0};
    jxta_output_pipe_t *ou;
    ck_assert_int_eq(jxta_output_pipe_open(e4.ps, &upipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound,
                                           &bu, &ou),
                     0);
    RUN_UNTIL(l, bu.bound == 1);
    ck_assert(jxta_id_equal(&bu.peer, &r1.id));
    send_range(l, ou, 0, 10, 100);
    RUN_UNTIL(l, su.count == 10);
    ck_assert_uint_eq(su.out_of_order + su.dup, 0);
    jxta_output_pipe_close(ou);
    jxta_input_pipe_close(iu);
    /* explicit receivers: only e1 gets these */
    jxta_output_pipe_t *op;
    ck_assert_int_eq(jxta_output_pipe_open(r1.ps, &pipe, JXTA_PIPE_PROPAGATE, &e1.id, 1, NULL,
                                           NULL, &op),
                     0);
    jxta_msg_t *m = make_msg(seq);
    ck_assert_int_eq(jxta_output_pipe_send(op, m, NULL, NULL), 0);
    jxta_msg_free(m);
    RUN_UNTIL(l, s[0].count == 2 * n + 1);
    for (int i = 0; i < 30; i++)
        jxta_loop_run_once(l, 5);
    ck_assert_uint_eq(s[1].count + s[2].count + s[3].count, 6 * n);
    jxta_output_pipe_close(op);
    for (int i = 0; i < 4; i++)
        jxta_input_pipe_close(ip[i]);
    stop(&e1);
    stop(&e2);
    stop(&e3);
    stop(&e4);
    stop(&r1);
    stop(&r2);
    jxta_loop_free(l);
}
END_TEST

/* ---- captured JXSE traffic -------------------------------------------------------- */

static const char JAVA_RDV[] =
    "urn:jxta:uuid-59616261646162614E50472050325033FD22FF0D29884878838A986D8171351603";
static const char JAVA_EDGE[] =
    "urn:jxta:uuid-59616261646162614E504720503250334F43FC842D294D3EBC30A151E71E90F703";
static const char ECHO_PIPE[] =
    "urn:jxta:uuid-59616261646162614E5047205032503371B1525A86824F3BAF3789DEC3FA3E2C04";
static const char EDGE_PIPE[] =
    "urn:jxta:uuid-59616261646162614E50472050325033E3EBF68EDE16406BA1E098AAD33BD25F04";

/* The first message of edge-listening whose element `elem` (ORes, IRes or
 * Srdi of jxta-NetGroup) carries `needle`; its element text is put in
 * *text (malloc'd) when asked. */
static jxta_msg_t *captured(const char *elem, const char *needle, char **text)
{
    char *dir = tu_vector_path("edge-listening/decoded/frames");
    char **names;
    size_t n = tu_list(dir, ".jxmg", &names);
    jxta_msg_t *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        uint8_t *bytes = tu_read(path, &len);
        jxta_msg_t *m;
        ck_assert_int_eq(jxta_msg_decode(bytes, len, NULL, &m), 0);
        free(bytes);
        const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", elem);
        char *t = NULL;
        if (e && strcmp(elem, "jxta-NetGroupSrdi") == 0) {
            jxta_srdi_t sd;
            jxta_srdi_init(&sd);
            char *h = NULL;
            if (jxta_srdi_element_decode(e, NULL, &h, &sd) == 0 && strstr(h, needle))
                t = strdup(h);
            free(h);
            jxta_srdi_clear(&sd);
        } else if (e) {
            size_t bl;
            const uint8_t *b = jxta_msg_elem_body(e, &bl);
            if (memmem(b, bl, needle, strlen(needle)) &&
                memmem(b, bl, JXTA_PIPE_RESOLVER_HANDLER, strlen(JXTA_PIPE_RESOLVER_HANDLER))) {
                t = malloc(bl + 1);
                memcpy(t, b, bl);
                t[bl] = '\0';
            }
        }
        if (t) {
            found = m;
            if (text)
                *text = t;
            else
                free(t);
        } else {
            jxta_msg_free(m);
        }
    }
    tu_free_list(names);
    free(dir);
    ck_assert_msg(found != NULL, "no captured %s with %s", elem, needle);
    return found;
}

/* The PeerAdv carried by a captured answer (the answering peer's PA). */
static jxta_adv_t *captured_answer_pa(const char *needle, char **response)
{
    char *text;
    jxta_msg_t *m = captured("jxta-NetGroupIRes", needle, &text);
    jxta_rr_t rr;
    ck_assert_int_eq(jxta_rr_parse(text, strlen(text), &rr), 0);
    jxta_pipe_res_t *a;
    ck_assert_int_eq(jxta_pipe_res_parse(rr.response, strlen(rr.response), &a), 0);
    jxta_adv_t *pa;
    ck_assert_int_eq(jxta_adv_parse(a->peer_adv, strlen(a->peer_adv), &pa), 0);
    *response = strdup(rr.response);
    jxta_pipe_res_free(a);
    jxta_rr_clear(&rr);
    free(text);
    jxta_msg_free(m);
    return pa;
}

/* A peer with a given identity and peer advertisement (taken over). */
static void start_as(jxta_loop_t *l, node_t *n, jxta_rdv_role_t role, const jxta_addr_t *seed,
                     const char *id, jxta_adv_t *pa, int with_pipes)
{
    memset(n, 0, sizeof *n);
    jxta_tcp_config_t tc;
    jxta_tcp_config_default(&tc);
    ck_assert_int_eq(jxta_id_from_string(&tc.peer_id, id), 0);
    tc.listen = role == JXTA_RDV_RENDEZVOUS;
    tc.first_frame_delay_ms = 5;
    ck_assert_int_eq(jxta_endpoint_new(l, &tc, &n->ep), 0);
    jxta_rdv_config_t rc;
    jxta_rdv_config_default(&rc);
    rc.role = role;
    rc.retry_ms = 300;
    if (seed) {
        rc.seeds[0] = *seed;
        rc.nseeds = 1;
    }
    ck_assert_int_eq(jxta_rdv_new(n->ep, pa, &rc, NULL, NULL, &n->rdv), 0);
    n->pa = pa;
    start_services(n, with_pipes);
}

static char *got_response;
static long got_qid;
static void capture_response(void *ud, jxta_resolver_t *r, const jxta_rr_t *rsp,
                             const jxta_id_t *from)
{
    (void)ud;
    (void)r;
    (void)from;
    free(got_response);
    got_response = strdup(rsp->response);
    got_qid = rsp->qid;
}

static uint8_t *got_srdi;
static size_t got_srdi_len;
static void capture_srdi(void *ud, jxta_resolver_t *r, const jxta_msg_elem_t *e,
                         const jxta_id_t *from)
{
    (void)ud;
    (void)r;
    (void)from;
    size_t len;
    const uint8_t *b = jxta_msg_elem_body(e, &len);
    free(got_srdi);
    got_srdi = malloc(len);
    memcpy(got_srdi, b, len);
    got_srdi_len = len;
}

/* Hand the element `elem` of captured message m to n's resolver, as if
 * `from` had sent it. */
static void feed(node_t *n, jxta_msg_t *m, const char *elem, const jxta_id_t *from)
{
    jxta_addr_t src, dst;
    jxta_id_text_t t;
    jxta_addr_for_peer(&src, from, NULL, NULL);
    ck_assert_int_eq(jxta_addr_set(&dst, "jxta", "local",
                                   jxta_id_str(jxta_wk_id(JXTA_WK_CLASS_RESOLVER), &t), elem),
                     0);
    ck_assert_int_eq(jxta_endpoint_deliver(n->ep, &jxta_id_net_group, m, &src, &dst, from, 1), 0);
}

START_TEST(test_java_host_queries)
{
    /* A C edge with the Java edge's identity and advertisement, listening
     * on the Java edge's pipe: its SRDI is the Java edge's, byte for byte,
     * and the Java rendezvous' directed query gets the Java edge's answer. */
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    char *want_edge, *want_rdv;
    jxta_adv_t *edge_pa = captured_answer_pa(EDGE_PIPE, &want_edge);
    jxta_adv_t *rdv_pa = captured_answer_pa(ECHO_PIPE, &want_rdv);
    node_t r, e;
    start_as(l, &r, JXTA_RDV_RENDEZVOUS, NULL, JAVA_RDV, rdv_pa, 0);
    ck_assert_int_eq(jxta_resolver_register(r.res, JXTA_PIPE_RESOLVER_HANDLER, NULL,
                                            capture_response, NULL),
                     0);
    ck_assert_int_eq(jxta_resolver_watch_srdi(r.res, capture_srdi, NULL), 0);
    jxta_addr_t seed = addr_of(&r);
    start_as(l, &e, JXTA_RDV_EDGE, &seed, JAVA_EDGE, edge_pa, 1);
    RUN_UNTIL(l, jxta_rdv_has_lease(e.rdv, NULL));
    jxta_id_t pipe;
    ck_assert_int_eq(jxta_id_from_string(&pipe, EDGE_PIPE), 0);
    jxta_input_pipe_t *ip;
    ck_assert_int_eq(jxta_input_pipe_open(e.ps, &pipe, JXTA_PIPE_UNICAST, NULL, NULL, &ip), 0);
    RUN_UNTIL(l, got_srdi != NULL);
    jxta_msg_t *srdi = captured("jxta-NetGroupSrdi", JXTA_PIPE_RESOLVER_HANDLER, NULL);
    size_t wl;
    const uint8_t *wb = jxta_msg_elem_body(jxta_msg_find(srdi, "jxta", "jxta-NetGroupSrdi"), &wl);
    ck_assert_uint_eq(got_srdi_len, wl);
    ck_assert_mem_eq(got_srdi, wb, wl);
    jxta_msg_free(srdi);

    /* the Java rendezvous' query (directed at the edge) */
    jxta_msg_t *q = captured("jxta-NetGroupORes", EDGE_PIPE, NULL);
    feed(&e, q, "jxta-NetGroupORes", &r.id);
    jxta_msg_free(q);
    RUN_UNTIL(l, got_response != NULL);
    ck_assert_int_eq(got_qid, 4);
    ck_assert_str_eq(got_response, want_edge);

    jxta_input_pipe_close(ip);
    stop(&e);
    stop(&r);
    free(got_response);
    got_response = NULL;
    free(got_srdi);
    got_srdi = NULL;
    free(want_edge);
    free(want_rdv);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_java_rdv_queries)
{
    /* A C rendezvous with the Java rendezvous' identity, hosting the echo
     * pipe: the Java edge's query gets the Java rendezvous' answer, and the
     * Java edge's pipe SRDI lands in its index. */
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    char *want_edge, *want_rdv;
    jxta_adv_t *edge_pa = captured_answer_pa(EDGE_PIPE, &want_edge);
    jxta_adv_t *rdv_pa = captured_answer_pa(ECHO_PIPE, &want_rdv);
    node_t r, e;
    start_as(l, &r, JXTA_RDV_RENDEZVOUS, NULL, JAVA_RDV, rdv_pa, 1);
    jxta_addr_t seed = addr_of(&r);
    start_as(l, &e, JXTA_RDV_EDGE, &seed, JAVA_EDGE, edge_pa, 0);
    ck_assert_int_eq(jxta_resolver_register(e.res, JXTA_PIPE_RESOLVER_HANDLER, NULL,
                                            capture_response, NULL),
                     0);
    RUN_UNTIL(l, jxta_rdv_has_lease(e.rdv, NULL));
    jxta_id_t echo, edge_pipe;
    ck_assert_int_eq(jxta_id_from_string(&echo, ECHO_PIPE), 0);
    ck_assert_int_eq(jxta_id_from_string(&edge_pipe, EDGE_PIPE), 0);
    jxta_input_pipe_t *ip;
    ck_assert_int_eq(jxta_input_pipe_open(r.ps, &echo, JXTA_PIPE_UNICAST, NULL, NULL, &ip), 0);

    jxta_msg_t *q = captured("jxta-NetGroupORes", ECHO_PIPE, NULL);
    feed(&r, q, "jxta-NetGroupORes", &e.id);
    jxta_msg_free(q);
    RUN_UNTIL(l, got_response != NULL);
    ck_assert_int_eq(got_qid, 2);
    ck_assert_str_eq(got_response, want_rdv);

    /* the Java edge's pipe SRDI */
    jxta_msg_t *srdi = captured("jxta-NetGroupSrdi", JXTA_PIPE_RESOLVER_HANDLER, NULL);
    feed(&r, srdi, "jxta-NetGroupSrdi", &e.id);
    jxta_msg_free(srdi);
    ck_assert_uint_eq(index_entries(&r), 1);
    /* and r binds to it when asked: a directed query goes to the Java edge */
    binding_t br = {0};
    jxta_output_pipe_t *op;
    ck_assert_int_eq(jxta_output_pipe_open(r.ps, &edge_pipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound,
                                           &br, &op),
                     0);
    jxta_pipes_stats_t st;
    jxta_pipes_stats(r.ps, &st);
    ck_assert_uint_ge(st.queries_sent, 1);
    /* the captured Java answer to that kind of query binds it */
    jxta_output_pipe_close(op);
    jxta_input_pipe_close(ip);
    stop(&e);
    stop(&r);
    free(got_response);
    got_response = NULL;
    free(want_edge);
    free(want_rdv);
    jxta_loop_free(l);
}
END_TEST

/* ---- hostile input ---------------------------------------------------------------- */

static void feed_doc(node_t *n, const char *elem, const char *doc, const jxta_id_t *from)
{
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    ck_assert_int_eq(jxta_msg_add(m, "jxta", elem, JXTA_MSG_MIME_XML, doc, strlen(doc)), 0);
    feed(n, m, elem, from);
    jxta_msg_free(m);
}

static void feed_answer(node_t *n, long qid, const jxta_pipe_res_t *a, const jxta_id_t *from)
{
    char *text;
    ck_assert_int_eq(jxta_pipe_res_to_string(a, &text), 0);
    jxta_rr_t rr = {(char *)JXTA_PIPE_RESOLVER_HANDLER, qid, text};
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_rr_write(&rr, &b), 0);
    jxta_buf_append(&b, "", 1);
    feed_doc(n, "jxta-NetGroupIRes", (const char *)b.data, from);
    jxta_buf_free(&b);
    free(text);
}

static void feed_query(node_t *n, const char *text, const jxta_id_t *from)
{
    jxta_rq_t q;
    memset(&q, 0, sizeof q);
    q.handler = (char *)JXTA_PIPE_RESOLVER_HANDLER;
    q.qid = 77;
    q.src = *from;
    q.query = (char *)text;
    jxta_buf_t b = JXTA_BUF_INIT;
    ck_assert_int_eq(jxta_rq_write(&q, &b), 0);
    jxta_buf_append(&b, "", 1);
    feed_doc(n, "jxta-NetGroupORes", (const char *)b.data, from);
    jxta_buf_free(&b);
}

static void feed_wire(node_t *n, const char *hdr, const char *seq, int with_hdr)
{
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    jxta_msg_add_text(m, "", "seq", seq);
    if (with_hdr)
        jxta_msg_add(m, "jxta", JXTA_WIRE_HEADER_ELEMENT, JXTA_MSG_MIME_XML, hdr, strlen(hdr));
    jxta_addr_t src, dst;
    jxta_id_text_t t;
    jxta_addr_for_peer(&src, &n->id, NULL, NULL);
    jxta_addr_set(&dst, "jxta", "local", JXTA_WIRE_SERVICE,
                  jxta_id_unique_value(&jxta_id_net_group, &t));
    ck_assert_int_eq(jxta_endpoint_deliver(n->ep, &jxta_id_net_group, m, &src, &dst, NULL, 1), 0);
    jxta_msg_free(m);
}

START_TEST(test_hostile)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, a;
    start(l, &r, JXTA_RDV_RENDEZVOUS, NULL);
    jxta_addr_t seed = addr_of(&r);
    start(l, &a, JXTA_RDV_EDGE, &seed);
    RUN_UNTIL(l, jxta_rdv_has_lease(a.rdv, NULL));
    jxta_id_t pipe, other, stranger;
    jxta_id_new_pipe(&pipe, &jxta_id_net_group);
    jxta_id_new_pipe(&other, &jxta_id_net_group);
    jxta_id_new_peer(&stranger, &jxta_id_net_group);
    /* a wants a pipe nobody hosts */
    binding_t ba = {0};
    jxta_output_pipe_t *oa;
    ck_assert_int_eq(jxta_output_pipe_open(a.ps, &pipe, JXTA_PIPE_UNICAST, NULL, 0, on_bound, &ba,
                                           &oa),
                     0);
    tu_log_capture();
    jxta_log_set_level(JXTA_LOG_WARN);
    size_t logs = tu_log_count();
    jxta_pipe_res_t *ans;
    /* Found=true for a pipe a did not ask about */
    ck_assert_int_eq(jxta_pipe_res_new_answer(&other, NULL, &stranger, 1, NULL, &ans), 0);
    feed_answer(&a, 1, ans, &stranger);
    jxta_pipe_res_free(ans);
    ck_assert_uint_gt(tu_log_count(), logs);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "did not ask"));
    /* the right pipe but a QueryID a never used */
    logs = tu_log_count();
    ck_assert_int_eq(jxta_pipe_res_new_answer(&pipe, NULL, &stranger, 1, NULL, &ans), 0);
    feed_answer(&a, 999999, ans, &stranger);
    ck_assert_uint_gt(tu_log_count(), logs);
    /* the right QueryID, but sent by another peer than the one it names */
    logs = tu_log_count();
    feed_answer(&a, 1, ans, &r.id);
    ck_assert_uint_gt(tu_log_count(), logs);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "another peer"));
    jxta_pipe_res_free(ans);
    /* a PeerAdv of another peer: refused by the document parser */
    logs = tu_log_count();
    {
        char doc[4096];
        jxta_id_text_t t1, t2;
        char *pa_text;
        ck_assert_int_eq(jxta_adv_to_string(r.pa, 0, &pa_text), 0);
        jxta_buf_t esc = JXTA_BUF_INIT;
        jxta_xml_escape_text(&esc, pa_text, strlen(pa_text));
        snprintf(doc, sizeof doc,
                 "<?xml version=\"1.0\"?><jxta:PipeResolver xmlns:jxta=\"http://jxta.org\">"
                 "<MsgType>Answer</MsgType><PipeId>%s</PipeId><Type>JxtaUnicast</Type>"
                 "<Peer>%s</Peer><Found>true</Found><PeerAdv>%.*s</PeerAdv></jxta:PipeResolver>",
                 jxta_id_str(&pipe, &t1), jxta_id_str(&stranger, &t2), (int)esc.len,
                 (const char *)esc.data);
        jxta_rr_t rr = {(char *)JXTA_PIPE_RESOLVER_HANDLER, 1, doc};
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_rr_write(&rr, &b), 0);
        jxta_buf_append(&b, "", 1);
        feed_doc(&a, "jxta-NetGroupIRes", (const char *)b.data, &stranger);
        jxta_buf_free(&b);
        jxta_buf_free(&esc);
        free(pa_text);
    }
    ck_assert_uint_gt(tu_log_count(), logs);
    /* garbage and queries posing as answers and the other way round */
    static const char *bad[] = {
        "not xml at all",
        "<?xml version=\"1.0\"?><jxta:PipeResolver xmlns:jxta=\"http://jxta.org\">"
        "<MsgType>Query</MsgType></jxta:PipeResolver>",
        "<?xml version=\"1.0\"?><jxta:PipeResolver xmlns:jxta=\"http://jxta.org\">"
        "<MsgType>Bogus</MsgType><PipeId>x</PipeId><Type>JxtaUnicast</Type></jxta:PipeResolver>",
        "<?xml version=\"1.0\"?><jxta:Other xmlns:jxta=\"http://jxta.org\"/>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        logs = tu_log_count();
        feed_query(&r, bad[i], &a.id);
        ck_assert_uint_gt(tu_log_count(), logs);
        jxta_rr_t rr = {(char *)JXTA_PIPE_RESOLVER_HANDLER, 1, (char *)bad[i]};
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_rr_write(&rr, &b), 0);
        jxta_buf_append(&b, "", 1);
        logs = tu_log_count();
        feed_doc(&a, "jxta-NetGroupIRes", (const char *)b.data, &r.id);
        ck_assert_uint_gt(tu_log_count(), logs);
        jxta_buf_free(&b);
    }
    {
        jxta_pipe_res_t *q;
        char *text;
        ck_assert_int_eq(jxta_pipe_res_new_query(&pipe, NULL, NULL, 0, &q), 0);
        ck_assert_int_eq(jxta_pipe_res_to_string(q, &text), 0);
        jxta_rr_t rr = {(char *)JXTA_PIPE_RESOLVER_HANDLER, 1, text};
        jxta_buf_t b = JXTA_BUF_INIT;
        ck_assert_int_eq(jxta_rr_write(&rr, &b), 0);
        jxta_buf_append(&b, "", 1);
        logs = tu_log_count();
        feed_doc(&a, "jxta-NetGroupIRes", (const char *)b.data, &r.id);
        ck_assert_uint_gt(tu_log_count(), logs);
        ck_assert_ptr_nonnull(strstr(tu_log_last(), "query received as an answer"));
        jxta_buf_free(&b);
        free(text);
        jxta_pipe_res_free(q);
        ck_assert_int_eq(jxta_pipe_res_new_answer(&pipe, NULL, &stranger, 1, NULL, &q), 0);
        ck_assert_int_eq(jxta_pipe_res_to_string(q, &text), 0);
        logs = tu_log_count();
        feed_query(&r, text, &a.id);
        ck_assert_uint_gt(tu_log_count(), logs);
        free(text);
        jxta_pipe_res_free(q);
    }
    ck_assert_int_eq(ba.bound, 0);

    /* wire messages: no header, bad headers, spent TTL, duplicates, unknown pipes */
    sink_t sw = {0};
    jxta_input_pipe_t *iw;
    ck_assert_int_eq(jxta_input_pipe_open(r.ps, &other, JXTA_PIPE_PROPAGATE, on_msg, &sw, &iw), 0);
    logs = tu_log_count();
    feed_wire(&r, NULL, "0", 0);
    ck_assert_uint_gt(tu_log_count(), logs);
    jxta_id_text_t t1, t2;
    char hdr[1024];
    static const char *bad_hdr[] = {
        "<JxtaWire><PipeId>@</PipeId><MsgId>m1</MsgId><TTL>0</TTL></JxtaWire>",
        "<JxtaWire><PipeId>@</PipeId><MsgId>m1</MsgId><TTL>x</TTL></JxtaWire>",
        "<JxtaWire><PipeId>@</PipeId><TTL>5</TTL></JxtaWire>",
        "<JxtaWire><PipeId>@",
        "<Other><PipeId>@</PipeId><MsgId>m1</MsgId><TTL>5</TTL></Other>",
        "<JxtaWire><PipeId>urn:jxta:jxta-NetGroup</PipeId><MsgId>m1</MsgId><TTL>5</TTL></JxtaWire>",
    };
    for (size_t i = 0; i < sizeof bad_hdr / sizeof bad_hdr[0]; i++) {
        const char *at = strchr(bad_hdr[i], '@');
        if (at)
            snprintf(hdr, sizeof hdr, "%.*s%s%s", (int)(at - bad_hdr[i]), bad_hdr[i],
                     jxta_id_str(&other, &t1), at + 1);
        else
            snprintf(hdr, sizeof hdr, "%s", bad_hdr[i]);
        logs = tu_log_count();
        feed_wire(&r, hdr, "0", 1);
        ck_assert_uint_gt(tu_log_count(), logs);
    }
    ck_assert_uint_eq(sw.count, 0);
    snprintf(hdr, sizeof hdr,
             "<JxtaWire><SrcPeer>%s</SrcPeer><PipeId>%s</PipeId><MsgId>m-1</MsgId><TTL>3</TTL>"
             "</JxtaWire>",
             jxta_id_str(&stranger, &t2), jxta_id_str(&other, &t1));
    for (int i = 0; i < 5; i++) /* the same message again and again: once */
        feed_wire(&r, hdr, "0", 1);
    ck_assert_uint_eq(sw.count, 1);
    ck_assert(jxta_id_equal(&sw.last_src, &stranger));
    snprintf(hdr, sizeof hdr,
             "<JxtaWire><PipeId>%s</PipeId><MsgId>m-2</MsgId><TTL>3</TTL></JxtaWire>",
             jxta_id_str(&pipe, &t1));
    feed_wire(&r, hdr, "1", 1); /* nobody listens on that pipe */
    ck_assert_uint_eq(sw.count, 1);
    /* a unicast message for a pipe we do not have */
    {
        jxta_msg_t *m = make_msg(5);
        jxta_addr_t src, dst;
        jxta_addr_for_peer(&src, &a.id, NULL, NULL);
        jxta_addr_set(&dst, "jxta", "local", JXTA_PIPE_SERVICE, jxta_id_str(&pipe, &t1));
        ck_assert_int_eq(jxta_endpoint_deliver(r.ep, &jxta_id_net_group, m, &src, &dst, &a.id, 1),
                         0);
        jxta_addr_set(&dst, "jxta", "local", JXTA_PIPE_SERVICE, "not-an-id");
        ck_assert_int_eq(jxta_endpoint_deliver(r.ep, &jxta_id_net_group, m, &src, &dst, &a.id, 1),
                         0);
        jxta_msg_free(m);
    }
    /* bad arguments */
    jxta_input_pipe_t *ip;
    jxta_output_pipe_t *op;
    ck_assert_int_eq(jxta_input_pipe_open(r.ps, &stranger, JXTA_PIPE_UNICAST, NULL, NULL, &ip),
                     JXTA_EBADID);
    ck_assert_int_eq(jxta_input_pipe_open(r.ps, &pipe, JXTA_PIPE_UNICAST_SECURE, NULL, NULL, &ip),
                     JXTA_EINVAL);
    ck_assert_int_eq(jxta_output_pipe_open(r.ps, &pipe, "Nonsense", NULL, 0, NULL, NULL, &op),
                     JXTA_EINVAL);
    ck_assert_int_eq(jxta_output_pipe_open(r.ps, &pipe, JXTA_PIPE_UNICAST, &pipe, 1, NULL, NULL,
                                           &op),
                     JXTA_EBADID);
    tu_log_release();
    /* an unbound pipe holds send_queue_max messages, then pushes back */
    int held = 0, rc = 0, err0 = sent_err;
    while (rc == 0 && held <= 1000) {
        jxta_msg_t *m = make_msg((unsigned long)held);
        rc = jxta_output_pipe_send(oa, m, on_sent, NULL);
        jxta_msg_free(m);
        if (rc == 0)
            held++;
    }
    ck_assert_int_eq(rc, JXTA_EBUSY);
    ck_assert_int_eq(held, 1000);
    jxta_input_pipe_close(iw);
    jxta_output_pipe_close(oa);
    ck_assert_int_eq(sent_err, err0 + held); /* each told it was dropped */
    stop(&a);
    stop(&r);
    jxta_loop_free(l);
}
END_TEST

static Suite *pipe_suite(void)
{
    Suite *s = suite_create("pipe");
    TCase *tc = tcase_create("unicast");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_unicast_bind_and_send);
    tcase_add_test(tc, test_unicast_many_in_order);
    tcase_add_test(tc, test_blocking_calls);
    tcase_add_test(tc, test_send_sync_back_pressure);
    tcase_add_test(tc, test_rebind);
    suite_add_tcase(s, tc);
    tc = tcase_create("jxse");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_java_host_queries);
    tcase_add_test(tc, test_java_rdv_queries);
    tcase_add_test(tc, test_hostile);
    suite_add_tcase(s, tc);
    tc = tcase_create("propagate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_propagate_once_per_listener);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(pipe_suite());
}
