/* test_peerview.c - three rendezvous form one PeerView from partial seeds,
 * propagate a walk to every member exactly once, drop a member that
 * vanishes after the timeout, and drop at once one that says goodbye. */
#include <stdio.h>
#include <string.h>

#include <jxta.h>

#include "testutil.h"

typedef struct {
    jxta_endpoint_t *ep;
    jxta_rdv_t *rdv;
    jxta_propagate_t *prop;
    jxta_peerview_t *pv;
    jxta_id_t id;
    int joins, leaves, got;
} rdv_t;

static void on_change(void *ud, const jxta_id_t *peer, int joined)
{
    rdv_t *r = ud;
    (void)peer;
    if (joined)
        r->joins++;
    else
        r->leaves++;
}

static void on_x(void *ud, jxta_msg_t *m, const jxta_ep_info_t *info)
{
    (void)m;
    (void)info;
    ((rdv_t *)ud)->got++;
}

static void start(jxta_loop_t *l, rdv_t *r, const jxta_addr_t *seed)
{
    memset(r, 0, sizeof *r);
    tu_peer(l, JXTA_RDV_RENDEZVOUS, NULL, &r->ep, &r->rdv, NULL);
    r->id = *jxta_endpoint_peer_id(r->ep);
    ck_assert_int_eq(jxta_propagate_new(r->ep, r->rdv, &jxta_id_net_group, &r->prop), 0);
    jxta_peerview_config_t pc;
    jxta_peerview_config_default(&pc);
    pc.probe_ms = 100;
    pc.member_timeout_ms = 600;
    pc.name = "rdv";
    if (seed) {
        pc.seeds[0] = *seed;
        pc.nseeds = 1;
    }
    ck_assert_int_eq(jxta_peerview_new(r->ep, r->prop, &pc, on_change, r, &r->pv), 0);
    ck_assert_int_eq(jxta_endpoint_listen(r->ep, &jxta_id_net_group, "X", NULL, on_x, r), 0);
}

static void stop(rdv_t *r, int graceful)
{
    if (graceful)
        jxta_peerview_free(r->pv);
    else
        jxta_peerview_discard(r->pv);
    jxta_propagate_free(r->prop);
    jxta_rdv_discard(r->rdv);
    jxta_endpoint_free(r->ep);
}

#define RUN_UNTIL(loop, cond) TU_RUN_UNTIL(loop, cond, 30)

START_TEST(test_three_rendezvous)
{
    jxta_loop_t *l;
    ck_assert_int_eq(jxta_loop_new(&l), 0);
    rdv_t r1, r2, r3;
    start(l, &r1, NULL);
    jxta_addr_t s1 = *jxta_tcp_public_addr(jxta_endpoint_tcp(r1.ep));
    start(l, &r2, &s1);
    start(l, &r3, &s1);
    /* r2 and r3 only know r1, yet everyone ends up knowing everyone. */
    RUN_UNTIL(l, jxta_peerview_size(r1.pv) == 2 && jxta_peerview_size(r2.pv) == 2 &&
                     jxta_peerview_size(r3.pv) == 2);
    /* Members are sorted by ID text. */
    jxta_id_text_t a, b;
    ck_assert_int_lt(strcmp(jxta_id_str(jxta_peerview_member(r1.pv, 0), &a),
                            jxta_id_str(jxta_peerview_member(r1.pv, 1), &b)),
                     0);
    /* A walk from r2 reaches r1 and r3 once each (r3 also gets r1's copy,
     * and drops it). */
    jxta_msg_t *m;
    jxta_msg_new(&m);
    jxta_msg_add_text(m, "", "hello", "view");
    ck_assert_int_eq(jxta_propagate_walk(r2.prop, m, "X", NULL, 0), 0);
    jxta_msg_free(m);
    RUN_UNTIL(l, r1.got == 1 && r3.got == 1);
    for (int i = 0; i < 30; i++)
        jxta_loop_run_once(l, 10);
    ck_assert_int_eq(r1.got, 1);
    ck_assert_int_eq(r3.got, 1);
    ck_assert_int_eq(r2.got, 0);
    /* r3 vanishes: dropped after the member time-out. */
    stop(&r3, 0);
    RUN_UNTIL(l, jxta_peerview_size(r1.pv) == 1 && jxta_peerview_size(r2.pv) == 1);
    ck_assert_int_ge(r1.leaves, 1);
    /* r2 leaves in order: r1 drops it at once. */
    int before = r1.leaves;
    stop(&r2, 1);
    RUN_UNTIL(l, jxta_peerview_size(r1.pv) == 0);
    ck_assert_int_eq(r1.leaves, before + 1);
    stop(&r1, 1);
    jxta_loop_free(l);
}
END_TEST

static Suite *peerview_suite(void)
{
    Suite *s = suite_create("peerview");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_three_rendezvous);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(peerview_suite());
}
