/* test_peer_discover.c - jxta_peer_discover and _discover_settle between
 * two peers of this process on 127.0.0.1 (a rendezvous publishing
 * advertisements, an edge asking for them): the plain search waits out its
 * time-out when fewer advertisements exist than it wants, the settling one
 * ends once its answers stopped coming, with every advertisement that
 * exists; bad arguments are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jxta.h>
#include <jxta/peer.h>
#include <jxta/tcp.h>

#include "testutil.h"

static char dir[64];
static jxta_peer_t *rdv, *edge;

typedef struct {
    jxta_peer_t *p;
    char *out;
    size_t cap;
} addr_query_t;

static int listen_addr_fn(void *ud)
{
    addr_query_t *q = ud;
    const jxta_addr_t *pub = jxta_tcp_public_addr(jxta_endpoint_tcp(jxta_peer_endpoint(q->p)));
    if (!pub)
        return JXTA_ENOTFOUND;
    jxta_addr_format(pub, q->out, q->cap);
    return 0;
}

static jxta_peer_t *open_peer(const char *name, int rendezvous, const char *listen,
                              const char *seed)
{
    char home[128];
    snprintf(home, sizeof home, "%s/%s", dir, name);
    jxta_peer_options_t o;
    jxta_peer_options_default(&o);
    o.home = home;
    o.name = name;
    o.listen = listen;
    o.rendezvous = rendezvous;
    if (seed)
        o.seeds[o.nseeds++] = seed;
    jxta_peer_t *p = NULL;
    ck_assert_int_eq(jxta_peer_open(&o, &p), 0);
    return p;
}

/* A rendezvous publishing `n` pipe advertisements named "settle-<i>", an
 * edge with its lease. */
static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_peer_discover-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    rdv = open_peer("rdv", 1, "tcp://127.0.0.1:0", NULL);
    char addr[JXTA_ADDR_TEXT_MAX];
    addr_query_t q = {rdv, addr, sizeof addr};
    ck_assert_int_eq(jxta_peer_run(rdv, listen_addr_fn, &q, 5000), 0);
    edge = open_peer("edge", 0, "", addr);
    ck_assert_int_eq(jxta_peer_wait_rdv(edge, jxta_peer_net_group(edge), 20000), 0);
    jxta_group_t *ng = jxta_peer_net_group(rdv);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "settle-%d", i);
        jxta_id_t id;
        jxta_adv_t *adv = NULL;
        ck_assert_int_eq(jxta_id_new_pipe(&id, jxta_group_id(ng)), 0);
        ck_assert_int_eq(jxta_pipe_adv_new(&id, JXTA_PIPE_UNICAST, name, &adv), 0);
        ck_assert_int_eq(jxta_peer_publish(rdv, ng, adv, 1), 0);
        jxta_adv_free(adv);
    }
}

static void teardown(void)
{
    jxta_peer_close(edge);
    jxta_peer_close(rdv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_settle_ends_early_with_everything)
{
    jxta_group_t *ng = jxta_peer_net_group(edge);
    jxta_adv_t **advs = NULL;
    size_t n = 0;
    /* wants 16, 3 exist: ends 200 ms after the last answer, long before
     * its 20 s time-out, with all three */
    uint64_t t0 = tu_now_ms();
    ck_assert_int_eq(jxta_peer_discover_settle(edge, ng, 2, "Name", "settle-*", 16, 1, 200,
                                               20000, &advs, &n),
                     0);
    uint64_t took = tu_now_ms() - t0;
    ck_assert_uint_eq(n, 3);
    ck_assert_msg(took < 10000, "took %llu ms: it waited out the time-out",
                  (unsigned long long)took);
    jxta_peer_free_advs(advs, n);

    /* enough = 4 of the 3 that exist: never settles, the time-out ends it */
    t0 = tu_now_ms();
    ck_assert_int_eq(jxta_peer_discover_settle(edge, ng, 2, "Name", "settle-*", 16, 4, 100, 1500,
                                               &advs, &n),
                     0);
    took = tu_now_ms() - t0;
    ck_assert_uint_eq(n, 3);
    ck_assert_msg(took >= 1400, "ended after %llu ms, before its time-out",
                  (unsigned long long)took);
    jxta_peer_free_advs(advs, n);

    /* the plain search waits out its time-out too */
    t0 = tu_now_ms();
    ck_assert_int_eq(jxta_peer_discover(edge, ng, 2, "Name", "settle-*", 16, 1500, &advs, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_ge(tu_now_ms() - t0, 1400);
    jxta_peer_free_advs(advs, n);

    /* nothing matches: JXTA_ETIMEDOUT at the time-out, settle or not */
    ck_assert_int_eq(jxta_peer_discover_settle(edge, ng, 2, "Name", "nothing-*", 16, 1, 100, 500,
                                               &advs, &n),
                     JXTA_ETIMEDOUT);
    ck_assert_ptr_null(advs);
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* A search started by a peer that just joined (no lease yet: its first
 * query cannot go out) asks again soon - after 250 ms, then doubling - not
 * only after 2 s. */
START_TEST(test_fresh_peer_asks_again_soon)
{
    char addr[JXTA_ADDR_TEXT_MAX];
    addr_query_t q = {rdv, addr, sizeof addr};
    ck_assert_int_eq(jxta_peer_run(rdv, listen_addr_fn, &q, 5000), 0);
    jxta_peer_t *fresh = open_peer("fresh", 0, "", addr);
    jxta_adv_t **advs = NULL;
    size_t n = 0;
    uint64_t t0 = tu_now_ms();
    ck_assert_int_eq(jxta_peer_discover(fresh, jxta_peer_net_group(fresh), 2, "Name",
                                        "settle-1", 1, 20000, &advs, &n),
                     0);
    uint64_t took = tu_now_ms() - t0;
    ck_assert_uint_eq(n, 1);
    jxta_peer_free_advs(advs, n);
    jxta_peer_close(fresh);
    /* under valgrind (JXTA_TEST_SCALE set) the lease itself may take that long */
    if (!getenv("JXTA_TEST_SCALE"))
        ck_assert_msg(took < 1900, "found after %llu ms: the second ask waited 2 s",
                      (unsigned long long)took);
}
END_TEST

START_TEST(test_settle_bad_arguments)
{
    jxta_group_t *ng = jxta_peer_net_group(edge);
    jxta_adv_t **advs = NULL;
    size_t n = 0;
    tu_log_capture();
    ck_assert_int_eq(jxta_peer_discover_settle(edge, ng, 2, "Name", "x", 4, 1, -1, 100, &advs, &n),
                     JXTA_EINVAL);
    ck_assert_int_eq(jxta_peer_discover_settle(edge, ng, 2, "Name", "x", 0, 1, 10, 100, &advs, &n),
                     JXTA_EINVAL);
    ck_assert_int_eq(jxta_peer_discover_settle(edge, ng, 7, "Name", "x", 4, 1, 10, 100, &advs, &n),
                     JXTA_EINVAL);
    ck_assert_uint_eq(tu_log_count(), 3); /* each said why */
    tu_log_release();
}
END_TEST

static Suite *discover_suite(void)
{
    Suite *s = suite_create("peer_discover");
    TCase *tc = tcase_create("discover");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_settle_ends_early_with_everything);
    tcase_add_test(tc, test_fresh_peer_asks_again_soon);
    tcase_add_test(tc, test_settle_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(discover_suite());
}
