/* test_endpoint.c - three in-process peers on one loop: A listens and
 * forwards (as a rendezvous does), B and C do not listen and connect to A.
 * Checks direct and routed delivery, the demultiplexing order, group
 * mangling for a child group, forwarding B -> A -> C through the gateway,
 * connection notifications and unreachable destinations. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>
#include <jxta/endpoint.h>

#include "testutil.h"

typedef struct {
    int count;
    int routed;
    jxta_id_t src_peer, group;
    char service[JXTA_ADDR_SERVICE_MAX], param[JXTA_ADDR_PARAM_MAX], body[64];
} rx_t;

static void rx_fn(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    rx_t *r = ud;
    r->count++;
    r->routed = info->routed;
    r->group = *info->group;
    if (info->src_peer)
        r->src_peer = *info->src_peer;
    snprintf(r->service, sizeof r->service, "%s", info->dst->service);
    snprintf(r->param, sizeof r->param, "%s", info->dst->param);
    const jxta_msg_elem_t *e = jxta_msg_find(m, "", "body");
    size_t len = 0;
    const uint8_t *b = e ? jxta_msg_elem_body(e, &len) : NULL;
    snprintf(r->body, sizeof r->body, "%.*s", (int)len, b ? (const char *)b : "");
    /* transport and router elements never reach listeners */
    if (jxta_msg_find(m, "jxta", "EndpointRouterMsg") ||
        jxta_msg_find(m, "jxta", "EndpointSourceAddress"))
        r->count = -1000;
}

typedef struct {
    int ups, downs;
    jxta_id_t last;
} watch_t;

static void watch_fn(void *ud, const jxta_id_t *peer, int up, int err)
{
    watch_t *w = ud;
    (void)err;
    if (up)
        w->ups++;
    else
        w->downs++;
    w->last = *peer;
}

static jxta_endpoint_t *mk(jxta_loop_t *l, int listen)
{
    jxta_tcp_config_t cfg;
    jxta_tcp_config_default(&cfg);
    jxta_id_new_peer(&cfg.peer_id, &jxta_id_net_group);
    cfg.listen = listen;
    cfg.first_frame_delay_ms = 10;
    jxta_endpoint_t *ep;
    ck_assert_int_eq(jxta_endpoint_new(l, &cfg, &ep), 0);
    return ep;
}

static jxta_msg_t *body_msg(const char *text)
{
    jxta_msg_t *m;
    ck_assert_int_eq(jxta_msg_new(&m), 0);
    ck_assert_int_eq(jxta_msg_add_text(m, "", "body", text), 0);
    return m;
}

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 30)

static void send_ok(jxta_endpoint_t *ep, const jxta_id_t *group, const char *dest,
                    const char *text)
{
    jxta_addr_t a;
    ck_assert_int_eq(jxta_addr_from_string(&a, dest), 0);
    jxta_msg_t *m = body_msg(text);
    int rc = jxta_endpoint_send(ep, group, m, &a, NULL, NULL);
    ck_assert_msg(rc == 0, "send to %s: %s", dest, jxta_strerror(rc));
    jxta_msg_free(m);
}

START_TEST(test_direct_routed_forwarded)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_endpoint_t *a = mk(l, 1), *b = mk(l, 0), *c = mk(l, 0);
    jxta_endpoint_set_forwarding(a, 1);
    jxta_id_t ida_v = *jxta_endpoint_peer_id(a), idb_v = *jxta_endpoint_peer_id(b),
              idc_v = *jxta_endpoint_peer_id(c);
    const jxta_id_t *ida = &ida_v, *idb = &idb_v, *idc = &idc_v;
    watch_t wa = {0};
    ck_assert_int_eq(jxta_endpoint_watch(a, watch_fn, &wa), 0);

    rx_t ra_any = {0}, ra_exact = {0}, rb = {0}, rc_ng = {0}, rc_child = {0};
    ck_assert_int_eq(jxta_endpoint_listen(a, &jxta_id_net_group, "Svc", NULL, rx_fn, &ra_any), 0);
    ck_assert_int_eq(jxta_endpoint_listen(a, &jxta_id_net_group, "Svc", "exact", rx_fn, &ra_exact),
                     0);
    ck_assert_int_eq(jxta_endpoint_listen(a, &jxta_id_net_group, "Svc", "exact", rx_fn, &ra_exact),
                     JXTA_EEXIST);
    ck_assert_int_eq(jxta_endpoint_listen(b, &jxta_id_net_group, "Back", NULL, rx_fn, &rb), 0);
    ck_assert_int_eq(jxta_endpoint_listen(c, &jxta_id_net_group, "Hello", "p/q", rx_fn, &rc_ng), 0);
    jxta_id_t child;
    jxta_id_new_group(&child, &jxta_id_net_group);
    ck_assert_int_eq(jxta_endpoint_listen(c, &child, "Hello", "p/q", rx_fn, &rc_child), 0);

    char a_addr[JXTA_ADDR_TEXT_MAX], dest[JXTA_ADDR_TEXT_MAX + 64];
    jxta_addr_format(jxta_tcp_public_addr(jxta_endpoint_tcp(a)), a_addr, sizeof a_addr);

    /* 1. Direct sends from B and C to A's address: exact param wins, others go to "any". */
    snprintf(dest, sizeof dest, "%s/Svc/exact", a_addr);
    send_ok(b, &jxta_id_net_group, dest, "one");
    snprintf(dest, sizeof dest, "%s/Svc/other", a_addr);
    send_ok(c, &jxta_id_net_group, dest, "two");
    RUN_UNTIL(l, ra_exact.count == 1 && ra_any.count == 1);
    ck_assert_str_eq(ra_exact.body, "one");
    ck_assert(!ra_exact.routed);
    ck_assert(jxta_id_equal(&ra_exact.src_peer, idb));
    ck_assert(jxta_id_is_net_group(&ra_exact.group));
    ck_assert_str_eq(ra_any.param, "other");
    ck_assert(jxta_id_equal(&ra_any.src_peer, idc));
    ck_assert_int_eq(wa.ups, 2);

    /* 2. A answers B through the router over B's own (incoming) connection. */
    jxta_id_text_t t;
    snprintf(dest, sizeof dest, "jxta://%s/Back/x", jxta_id_unique_value(idb, &t));
    send_ok(a, &jxta_id_net_group, dest, "reply");
    RUN_UNTIL(l, rb.count == 1);
    ck_assert(rb.routed);
    ck_assert(jxta_id_equal(&rb.src_peer, ida));
    ck_assert_str_eq(rb.param, "x");

    /* 3. B to C: B has no connection to C; through the gateway A, which forwards. */
    snprintf(dest, sizeof dest, "jxta://%s/Hello/p/q", jxta_id_unique_value(idc, &t));
    jxta_addr_t dc;
    jxta_addr_from_string(&dc, dest);
    jxta_msg_t *m = body_msg("lost");
    ck_assert_int_eq(jxta_endpoint_send(b, &jxta_id_net_group, m, &dc, NULL, NULL),
                     JXTA_EUNREACH);
    jxta_msg_free(m);
    jxta_endpoint_set_gateway(b, ida);
    send_ok(b, &jxta_id_net_group, dest, "via A");
    RUN_UNTIL(l, rc_ng.count == 1);
    ck_assert_str_eq(rc_ng.body, "via A");
    ck_assert(jxta_id_equal(&rc_ng.src_peer, idb));
    ck_assert_str_eq(rc_ng.param, "p/q");

    /* 4. The same in a child group: mangled in the router header, delivered in that group. */
    send_ok(b, &child, dest, "child");
    RUN_UNTIL(l, rc_child.count == 1);
    ck_assert(jxta_id_equal(&rc_child.group, &child));
    ck_assert_int_eq(rc_ng.count, 1);

    /* 5. Without forwarding A drops what is not for it. */
    jxta_endpoint_set_forwarding(a, 0);
    send_ok(b, &jxta_id_net_group, dest, "dropped");
    send_ok(a, &jxta_id_net_group, dest, "direct from A");
    RUN_UNTIL(l, rc_ng.count == 2);
    ck_assert_str_eq(rc_ng.body, "direct from A");

    /* 6. C goes away: A is told. */
    jxta_endpoint_free(c);
    RUN_UNTIL(l, wa.downs == 1);
    ck_assert(jxta_id_equal(&wa.last, idc));
    ck_assert(!jxta_endpoint_connected(a, idc));
    ck_assert(jxta_endpoint_connected(a, idb));

    jxta_endpoint_free(b);
    jxta_endpoint_free(a);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_learnt_route)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_endpoint_t *a = mk(l, 1), *b = mk(l, 0);
    rx_t ra = {0};
    ck_assert_int_eq(jxta_endpoint_listen(a, &jxta_id_net_group, "Svc", NULL, rx_fn, &ra), 0);
    /* B knows A only from A's route advertisement: it dials A's address. */
    jxta_adv_t *route;
    ck_assert_int_eq(jxta_endpoint_local_route(a, &route), 0);
    ck_assert_int_eq(jxta_endpoint_learn_route(b, route), 0);
    jxta_adv_free(route);
    jxta_id_text_t t;
    char dest[256];
    snprintf(dest, sizeof dest, "jxta://%s/Svc", jxta_id_unique_value(jxta_endpoint_peer_id(a), &t));
    send_ok(b, &jxta_id_net_group, dest, "hi");
    send_ok(b, &jxta_id_net_group, dest, "again"); /* reuses the connection being set up */
    RUN_UNTIL(l, ra.count == 2);
    ck_assert(ra.routed);
    ck_assert_uint_eq(jxta_tcp_conn_count(jxta_endpoint_tcp(a)), 1);
    /* A non-listening peer's route has no address. */
    ck_assert_int_eq(jxta_endpoint_local_route(b, &route), 0);
    const char *eas[2];
    ck_assert_uint_eq(jxta_ra_endpoints(route, eas, 2), 0);
    jxta_adv_free(route);
    jxta_endpoint_free(b);
    jxta_endpoint_free(a);
    jxta_loop_free(l);
}
END_TEST

/* Two listening peers that know each other only through a gateway: the
 * first message B -> C (through A) carries B's route, so C answers B
 * directly; C's answer carries C's route, so B's next message goes direct
 * too.  The gateway carries the first exchange only. */
START_TEST(test_relayed_peers_go_direct)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_endpoint_t *a = mk(l, 1), *b = mk(l, 1), *c = mk(l, 1);
    jxta_endpoint_set_forwarding(a, 1);
    jxta_endpoint_set_route_to_destinations(b, 1);
    jxta_endpoint_set_route_to_destinations(c, 1);
    jxta_id_t ida = *jxta_endpoint_peer_id(a), idb = *jxta_endpoint_peer_id(b),
              idc = *jxta_endpoint_peer_id(c);
    rx_t rb = {0}, rc = {0};
    ck_assert_int_eq(jxta_endpoint_listen(b, &jxta_id_net_group, "Svc", NULL, rx_fn, &rb), 0);
    ck_assert_int_eq(jxta_endpoint_listen(c, &jxta_id_net_group, "Svc", NULL, rx_fn, &rc), 0);
    char a_addr[JXTA_ADDR_TEXT_MAX], dest[JXTA_ADDR_TEXT_MAX + 64];
    jxta_addr_format(jxta_tcp_public_addr(jxta_endpoint_tcp(a)), a_addr, sizeof a_addr);
    snprintf(dest, sizeof dest, "%s/Hello", a_addr);
    send_ok(b, &jxta_id_net_group, dest, "b up"); /* both connect to A only */
    send_ok(c, &jxta_id_net_group, dest, "c up");
    RUN_UNTIL(l, jxta_endpoint_connected(a, &idb) && jxta_endpoint_connected(a, &idc));
    jxta_endpoint_set_gateway(b, &ida);
    jxta_endpoint_set_gateway(c, &ida);
    ck_assert(!jxta_endpoint_connected(b, &idc));
    jxta_id_text_t t;
    char to_a[256], to_c[256], to_b[256];
    /* a routed message to A first: A has seen both routes, the gateway is not new */
    snprintf(to_a, sizeof to_a, "jxta://%s/Hello", jxta_id_unique_value(&ida, &t));
    send_ok(b, &jxta_id_net_group, to_a, "b routed");
    send_ok(c, &jxta_id_net_group, to_a, "c routed");

    snprintf(to_c, sizeof to_c, "jxta://%s/Svc", jxta_id_unique_value(&idc, &t));
    snprintf(to_b, sizeof to_b, "jxta://%s/Svc", jxta_id_unique_value(&idb, &t));
    send_ok(b, &jxta_id_net_group, to_c, "first, relayed");
    RUN_UNTIL(l, rc.count == 1);
    ck_assert(jxta_id_equal(&rc.src_peer, &idb));
    send_ok(c, &jxta_id_net_group, to_b, "answer, direct");
    RUN_UNTIL(l, rb.count == 1 && jxta_endpoint_connected(c, &idb));
    ck_assert_str_eq(rb.body, "answer, direct");
    send_ok(b, &jxta_id_net_group, to_c, "second, direct");
    RUN_UNTIL(l, rc.count == 2);
    ck_assert_str_eq(rc.body, "second, direct");
    ck_assert(jxta_endpoint_connected(b, &idc));

    jxta_endpoint_free(c);
    jxta_endpoint_free(b);
    jxta_endpoint_free(a);
    jxta_loop_free(l);
}
END_TEST

typedef struct {
    jxta_loop_t *loop;
    int rc;
} loop_thread_t;

static void *run_loop(void *arg)
{
    loop_thread_t *lt = arg;
    lt->rc = jxta_loop_run(lt->loop);
    return NULL;
}

static void read_count(jxta_loop_t *l, void *arg)
{
    (void)l;
    rx_t *r = arg;
    r->routed = r->count; /* copy taken on the loop thread */
}

static void stop_loop(jxta_loop_t *l, void *arg)
{
    (void)arg;
    jxta_loop_stop(l);
}

/* A peer whose connection closes is dialled again at once: alive, the
 * probe is an ordinary connection; its process gone (nothing listens
 * there any more), the watchers hear "gone". */
typedef struct {
    int n;
    jxta_id_t last;
} gone_t;

static void gone_fn(void *ud, const jxta_id_t *peer)
{
    gone_t *g = ud;
    g->n++;
    g->last = *peer;
}

START_TEST(test_gone_peer)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_endpoint_t *a = mk(l, 1), *b = mk(l, 1);
    jxta_id_t ida = *jxta_endpoint_peer_id(a), idb = *jxta_endpoint_peer_id(b);
    watch_t wa = {0};
    gone_t ga = {0};
    ck_assert_int_eq(jxta_endpoint_watch(a, watch_fn, &wa), 0);
    ck_assert_int_eq(jxta_endpoint_watch_gone(a, gone_fn, &ga), 0);
    rx_t ra = {0};
    ck_assert_int_eq(jxta_endpoint_listen(a, &jxta_id_net_group, "Svc", NULL, rx_fn, &ra), 0);
    char a_addr[JXTA_ADDR_TEXT_MAX], dest[JXTA_ADDR_TEXT_MAX + 64];
    jxta_addr_format(jxta_tcp_public_addr(jxta_endpoint_tcp(a)), a_addr, sizeof a_addr);
    snprintf(dest, sizeof dest, "%s/Svc/x", a_addr);
    send_ok(b, &jxta_id_net_group, dest, "hello");
    RUN_UNTIL(l, ra.count == 1 && wa.ups == 1);

    /* B closes its connection but lives: A's probe connects again */
    jxta_tcp_close(jxta_tcp_conn_for_peer(jxta_endpoint_tcp(b), &ida), 0);
    RUN_UNTIL(l, wa.downs == 1 && wa.ups == 2);
    ck_assert(jxta_endpoint_connected(a, &idb));
    ck_assert_int_eq(ga.n, 0);

    /* B's process ends (its endpoint, and listener, gone): A hears it */
    jxta_endpoint_free(b);
    RUN_UNTIL(l, ga.n == 1);
    ck_assert(jxta_id_equal(&ga.last, &idb));
    ck_assert_int_eq(wa.downs, 2);

    /* Asked: D talked to A, then ended while nobody watched (no probe at
     * the close); A asks later and hears it.  A peer with no known
     * address cannot be asked about. */
    jxta_endpoint_unwatch_gone(a, gone_fn, &ga);
    jxta_endpoint_t *d = mk(l, 1);
    jxta_id_t idd = *jxta_endpoint_peer_id(d);
    send_ok(d, &jxta_id_net_group, dest, "from d");
    RUN_UNTIL(l, ra.count == 2 && wa.ups == 3);
    ck_assert_int_eq(jxta_endpoint_probe(a, &idd), 0); /* connected: nothing to ask */
    jxta_endpoint_free(d);
    RUN_UNTIL(l, wa.downs == 3);
    ck_assert_int_eq(jxta_endpoint_watch_gone(a, gone_fn, &ga), 0);
    ck_assert_int_eq(ga.n, 1);
    ck_assert_int_eq(jxta_endpoint_probe(a, &idd), 0);
    RUN_UNTIL(l, ga.n == 2);
    ck_assert(jxta_id_equal(&ga.last, &idd));
    jxta_id_t nobody;
    jxta_id_new_peer(&nobody, &jxta_id_net_group);
    ck_assert_int_eq(jxta_endpoint_probe(a, &nobody), JXTA_ENOTFOUND);
    jxta_endpoint_unwatch_gone(a, gone_fn, &ga);
    jxta_endpoint_free(a);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_send_sync_from_another_thread)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    jxta_endpoint_t *a = mk(l, 1), *b = mk(l, 0);
    rx_t ra = {0};
    ck_assert_int_eq(jxta_endpoint_listen(a, &jxta_id_net_group, "Svc", NULL, rx_fn, &ra), 0);
    jxta_addr_t dest, nowhere;
    jxta_addr_with_service(&dest, jxta_tcp_public_addr(jxta_endpoint_tcp(a)), "Svc", NULL);
    jxta_id_t stranger;
    jxta_id_new_peer(&stranger, &jxta_id_net_group);
    jxta_addr_for_peer(&nowhere, &stranger, "Svc", NULL);
    jxta_msg_t *m = body_msg("sync");
    /* Loop not running: the call gives up after its time-out. */
    ck_assert_int_eq(jxta_endpoint_send_sync(b, &jxta_id_net_group, m, &dest, 100),
                     JXTA_ETIMEDOUT);
    loop_thread_t lt = {l, 0};
    pthread_t th;
    pthread_create(&th, NULL, run_loop, &lt);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(jxta_endpoint_send_sync(b, &jxta_id_net_group, m, &dest, 5000), 0);
    ck_assert_int_eq(jxta_endpoint_send_sync(b, &jxta_id_net_group, m, &nowhere, 5000),
                     JXTA_EUNREACH);
    /* Written to the socket means delivered soon after: wait on the loop's view. */
    for (int i = 0; i < 500; i++) {
        ck_assert_int_eq(jxta_loop_call(l, read_count, &ra, 5000), 0);
        if (ra.routed == 20)
            break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL); /* polling interval only; the condition decides */
    }
    ck_assert_int_eq(ra.routed, 20);
    ck_assert_int_eq(jxta_loop_call(l, stop_loop, NULL, 5000), 0);
    pthread_join(th, NULL);
    ck_assert_int_eq(lt.rc, 0);
    jxta_msg_free(m);
    jxta_endpoint_free(b);
    jxta_endpoint_free(a);
    jxta_loop_free(l);
}
END_TEST

static Suite *endpoint_suite(void)
{
    Suite *s = suite_create("endpoint");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_direct_routed_forwarded);
    tcase_add_test(tc, test_relayed_peers_go_direct);
    tcase_add_test(tc, test_learnt_route);
    tcase_add_test(tc, test_send_sync_from_another_thread);
    tcase_add_test(tc, test_gone_peer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(endpoint_suite());
}
