/* test_rdv.c - the lease protocol between in-process peers on one loop:
 * grants and renewals with a short lease, failover to the second seed when
 * the first rendezvous vanishes, Disconnect on shutdown, expiry of a client
 * that vanished silently, and the client limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>
#include <jxta/endpoint.h>
#include <jxta/rdv.h>

#include "testutil.h"

typedef struct {
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_id_t id;
    int grants, renewals, losses, connected, disconnected;
    jxta_id_t lease_from;
    char last_reason[64];
} node_t;

static void ev_granted(void *ud, const jxta_id_t *rdv, uint64_t ms, int renewal)
{
    node_t *n = ud;
    (void)ms;
    if (renewal)
        n->renewals++;
    else
        n->grants++;
    n->lease_from = *rdv;
}

static void ev_lost(void *ud, const jxta_id_t *rdv, const char *reason)
{
    node_t *n = ud;
    (void)rdv;
    n->losses++;
    snprintf(n->last_reason, sizeof n->last_reason, "%s", reason);
}

static void ev_conn(void *ud, const jxta_id_t *peer)
{
    (void)peer;
    ((node_t *)ud)->connected++;
}

static void ev_disc(void *ud, const jxta_id_t *peer, const char *reason)
{
    node_t *n = ud;
    (void)peer;
    n->disconnected++;
    snprintf(n->last_reason, sizeof n->last_reason, "%s", reason);
}

static const jxta_rdv_events_t events = {ev_granted, ev_lost, ev_conn, ev_disc};

static void node_start(jxta_loop_t *l, node_t *n, jxta_rdv_role_t role, const jxta_addr_t *seeds,
                       size_t nseeds, size_t max_clients)
{
    memset(n, 0, sizeof *n);
    jxta_tcp_config_t tc;
    jxta_tcp_config_default(&tc);
    jxta_id_new_peer(&tc.peer_id, &jxta_id_net_group);
    n->id = tc.peer_id;
    tc.listen = role == JXTA_RDV_RENDEZVOUS;
    tc.first_frame_delay_ms = 5;
    ck_assert_int_eq(jxta_endpoint_new(l, &tc, &n->ep), 0);
    jxta_adv_t *pa, *ra;
    ck_assert_int_eq(jxta_pa_new(&n->id, &jxta_id_net_group, "test", &pa), 0);
    ck_assert_int_eq(jxta_endpoint_local_route(n->ep, &ra), 0);
    ck_assert_int_eq(jxta_pa_set_route(pa, ra), 0);
    jxta_adv_free(ra);
    jxta_rdv_config_t rc;
    jxta_rdv_config_default(&rc);
    rc.role = role;
    rc.lease_ms = 600;
    rc.gc_ms = 100;
    rc.retry_ms = 300;
    if (max_clients)
        rc.max_clients = max_clients;
    for (size_t i = 0; i < nseeds; i++)
        rc.seeds[i] = seeds[i];
    rc.nseeds = nseeds;
    ck_assert_int_eq(jxta_rdv_new(n->ep, pa, &rc, &events, n, &n->rdv), 0);
    jxta_adv_free(pa);
}

static void node_stop(jxta_loop_t *l, node_t *n)
{
    jxta_rdv_free(n->rdv);
    /* let the goodbye reach the wire, as the daemon does */
    for (int i = 0; i < 200 && jxta_tcp_queued_bytes(jxta_endpoint_tcp(n->ep)); i++)
        jxta_loop_run_once(l, 10);
    jxta_endpoint_free(n->ep);
}

/* Vanish without a word (like SIGKILL): sockets closed, nothing sent. */
static void node_kill(node_t *n)
{
    jxta_rdv_discard(n->rdv);
    n->rdv = NULL;
    jxta_endpoint_free(n->ep);
    n->ep = NULL;
}

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 30)

START_TEST(test_lease_renew_failover_expire)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r1, r2, e[3];
    node_start(l, &r1, JXTA_RDV_RENDEZVOUS, NULL, 0, 0);
    node_start(l, &r2, JXTA_RDV_RENDEZVOUS, NULL, 0, 0);
    jxta_addr_t seeds[2] = {*jxta_tcp_public_addr(jxta_endpoint_tcp(r1.ep)),
                            *jxta_tcp_public_addr(jxta_endpoint_tcp(r2.ep))};
    for (int i = 0; i < 3; i++)
        node_start(l, &e[i], JXTA_RDV_EDGE, seeds, 2, 0);
    /* Grants from the first seed, then renewals before the 600 ms lease ends. */
    RUN_UNTIL(l, e[0].grants && e[1].grants && e[2].grants);
    ck_assert_int_eq(r1.connected, 3);
    ck_assert_uint_eq(jxta_rdv_client_count(r1.rdv), 3);
    for (int i = 0; i < 3; i++) {
        ck_assert(jxta_id_equal(&e[i].lease_from, &r1.id));
        jxta_id_t held;
        ck_assert(jxta_rdv_has_lease(e[i].rdv, &held));
        ck_assert(jxta_id_equal(&held, &r1.id));
    }
    RUN_UNTIL(l, e[0].renewals >= 3 && e[1].renewals >= 3 && e[2].renewals >= 3);
    ck_assert_int_eq(e[0].losses, 0);
    ck_assert_int_eq(r1.connected, 3); /* renewals are not new clients */

    /* The first rendezvous vanishes: every edge fails over to the second. */
    node_kill(&r1);
    RUN_UNTIL(l, r2.connected == 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(e[i].losses, 1);
        ck_assert_str_eq(e[i].last_reason, "connection-lost");
        RUN_UNTIL(l, e[i].grants == 2);
        ck_assert(jxta_id_equal(&e[i].lease_from, &r2.id));
    }
    /* Orderly shutdown of an edge: the rendezvous hears its Disconnect. */
    node_stop(l, &e[0]);
    RUN_UNTIL(l, r2.disconnected == 1);
    ck_assert_str_eq(r2.last_reason, "disconnected");
    /* An edge that vanishes is expired after its lease. */
    node_kill(&e[1]);
    RUN_UNTIL(l, r2.disconnected == 2);
    ck_assert_str_eq(r2.last_reason, "expired");
    ck_assert_uint_eq(jxta_rdv_client_count(r2.rdv), 1);
    /* The rendezvous shuts down in order: the last edge is told. */
    jxta_rdv_free(r2.rdv);
    r2.rdv = NULL;
    RUN_UNTIL(l, e[2].losses == 2);
    ck_assert_str_eq(e[2].last_reason, "disconnected");
    jxta_endpoint_free(r2.ep);
    node_stop(l, &e[2]);
    jxta_loop_free(l);
}
END_TEST

START_TEST(test_client_limit)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    node_t r, e[3];
    node_start(l, &r, JXTA_RDV_RENDEZVOUS, NULL, 0, 2);
    jxta_addr_t seed = *jxta_tcp_public_addr(jxta_endpoint_tcp(r.ep));
    for (int i = 0; i < 3; i++)
        node_start(l, &e[i], JXTA_RDV_EDGE, &seed, 1, 0);
    tu_log_capture();
    RUN_UNTIL(l, r.connected == 2 && tu_log_count() >= 1);
    for (int i = 0; i < 20; i++)
        jxta_loop_run_once(l, 10);
    ck_assert_uint_eq(jxta_rdv_client_count(r.rdv), 2);
    ck_assert_int_eq(e[0].grants + e[1].grants + e[2].grants, 2);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "maximum"));
    tu_log_release();
    for (int i = 0; i < 3; i++)
        node_stop(l, &e[i]);
    node_stop(l, &r);
    jxta_loop_free(l);
}
END_TEST

static Suite *rdv_suite(void)
{
    Suite *s = suite_create("rdv");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lease_renew_failover_expire);
    tcase_add_test(tc, test_client_limit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(rdv_suite());
}
