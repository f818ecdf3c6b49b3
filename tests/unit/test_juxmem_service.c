/* test_juxmem_service.c - the JuxMem service layer end to end, in one
 * process: a rendezvous, a cluster manager, two providers and a client,
 * each a real JuxMem peer (juxmem_open, its own loop thread) on 127.0.0.1.
 * Checked: the manager learns its providers; alloc reserves exactly on
 * them (their free memory drops by the block size); write under acquire,
 * release, read back under acquire_read from another peer that only knew
 * the data ID (attach through the jxta:JuxMemData advertisement); stat
 * names the copies and the version; free returns the memory, a second
 * free is JUXMEM_EFREED; impossible allocations give JUXMEM_ENOCLUSTER
 * and JUXMEM_ENOSPACE. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>
#include <jxta/peer.h>

#include "service.h"
#include "testutil.h"

static char *mkhome(void)
{
    char *d = strdup("/tmp/juxmem-svc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static void rmhome(char *d)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    ck_assert_int_eq(system(cmd), 0);
    free(d);
}

struct port_call {
    juxmem_t *j;
    char text[64];
};

static int port_fn(void *ud)
{
    struct port_call *c = ud;
    jxta_tcp_t *tcp = jxta_endpoint_tcp(jxta_peer_endpoint(juxmem_peer(c->j)));
    jxta_addr_format(jxta_tcp_public_addr(tcp), c->text, sizeof c->text);
    return 0;
}

struct free_call {
    juxmem_t *j;
    uint64_t free_bytes;
};

static int free_fn(void *ud)
{
    struct free_call *c = ud;
    c->free_bytes = juxmem_provider_free_bytes(c->j->prov);
    return 0;
}

static uint64_t provider_free(juxmem_t *j)
{
    struct free_call c = {j, 0};
    ck_assert_int_eq(jxta_peer_run(juxmem_peer(j), free_fn, &c, 5000), 0);
    return c.free_bytes;
}

static int noffers_fn(void *ud)
{
    juxmem_t *j = ud;
    return (int)j->noffers;
}

/* K threads on two peers each add 1 to a counter in the block M times. */
struct counter_arg {
    juxmem_t *j;
    jxta_id_t id;
    int rounds, failures;
};

static void *counter_thread(void *ud)
{
    struct counter_arg *a = ud;
    for (int i = 0; i < a->rounds; i++) {
        uint64_t v = 0;
        if (juxmem_acquire(a->j, &a->id) != 0) {
            a->failures++;
            continue;
        }
        if (juxmem_read(a->j, &a->id, 0, &v, sizeof v) != 0)
            a->failures++;
        v++;
        if (juxmem_write(a->j, &a->id, 0, &v, sizeof v) != 0)
            a->failures++;
        if (juxmem_release(a->j, &a->id) != 0)
            a->failures++;
    }
    return NULL;
}

START_TEST(test_service_end_to_end)
{
    enum { RDV, MGR, P1, P2, CLI, N };
    char *home[N];
    juxmem_t *j[N];
    juxmem_options_t o;
    for (int i = 0; i < N; i++)
        home[i] = mkhome();

    juxmem_options_default(&o);
    o.lock_lease_ms = 1500;
    o.home = home[RDV];
    o.listen = "tcp://127.0.0.1:0";
    o.rendezvous = 1;
    o.timeout_ms = 10000;
    ck_assert_int_eq(juxmem_open(&o, &j[RDV]), 0);
    struct port_call pc = {.j = j[RDV]};
    ck_assert_int_eq(jxta_peer_run(juxmem_peer(j[RDV]), port_fn, &pc, 5000), 0);

    juxmem_options_default(&o);
    o.lock_lease_ms = 1500;
    o.timeout_ms = 10000;
    o.seeds[0] = pc.text;
    o.nseeds = 1;
    o.cluster = "a";
    o.home = home[MGR];
    o.listen = "tcp://127.0.0.1:0";
    o.manager = 1;
    ck_assert_int_eq(juxmem_open(&o, &j[MGR]), 0);
    o.manager = 0;
    o.listen = "";
    o.provide_bytes = 1 << 20;
    o.home = home[P1];
    ck_assert_int_eq(juxmem_open(&o, &j[P1]), 0);
    o.home = home[P2];
    ck_assert_int_eq(juxmem_open(&o, &j[P2]), 0);
    o.provide_bytes = 0;
    o.cluster = NULL;
    o.home = home[CLI];
    ck_assert_int_eq(juxmem_open(&o, &j[CLI]), 0);

    /* the manager learns both providers (bounded wait on the condition) */
    uint64_t t0 = tu_now_ms();
    while (jxta_peer_run(juxmem_peer(j[MGR]), noffers_fn, j[MGR], 5000) < 2 &&
           tu_now_ms() - t0 < 20000)
        usleep(50 * 1000);
    ck_assert_int_eq(jxta_peer_run(juxmem_peer(j[MGR]), noffers_fn, j[MGR], 5000), 2);

    /* impossible requests */
    jxta_id_t id;
    ck_assert_int_eq(juxmem_alloc(j[CLI], 4096, 2, 1, NULL, &id), JUXMEM_ENOCLUSTER);
    ck_assert_int_eq(juxmem_alloc(j[CLI], 4096, 1, 3, NULL, &id), JUXMEM_ENOCLUSTER);
    ck_assert_int_eq(juxmem_alloc(j[CLI], 2 << 20, 1, 2, NULL, &id), JUXMEM_ENOSPACE);
    ck_assert_int_eq(juxmem_alloc(j[CLI], 0, 1, 2, NULL, &id), JXTA_EINVAL);

    /* alloc: exact accounting on both providers */
    ck_assert_int_eq(juxmem_alloc(j[CLI], 4096, 1, 2, NULL, &id), 0);
    ck_assert_uint_eq(provider_free(j[P1]), (1 << 20) - 4096);
    ck_assert_uint_eq(provider_free(j[P2]), (1 << 20) - 4096);

    /* write under the exclusive lock, release to every copy */
    const char msg[] = "hello juxmem";
    ck_assert_int_eq(juxmem_write(j[CLI], &id, 0, msg, sizeof msg), JUXMEM_ENOTLOCKED);
    ck_assert_int_eq(juxmem_acquire(j[CLI], &id), 0);
    ck_assert_int_eq(juxmem_write(j[CLI], &id, 100, msg, sizeof msg), 0);
    ck_assert_int_eq(juxmem_write(j[CLI], &id, 4090, msg, sizeof msg), JUXMEM_ERANGE);
    ck_assert_int_eq(juxmem_release(j[CLI], &id), 0);

    /* another peer knowing only the ID reads it back */
    char buf[sizeof msg];
    ck_assert_int_eq(juxmem_attach(j[MGR], &id), 0);
    ck_assert_int_eq(juxmem_acquire_read(j[MGR], &id), 0);
    ck_assert_int_eq(juxmem_read(j[MGR], &id, 100, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, msg);
    ck_assert_int_eq(juxmem_write(j[MGR], &id, 0, msg, 1), JUXMEM_ENOTLOCKED);
    ck_assert_int_eq(juxmem_release(j[MGR], &id), 0);

    /* sequential consistency across threads and peers */
    enum { K = 4, M = 15 };
    pthread_t th[K];
    struct counter_arg ca[K];
    for (int i = 0; i < K; i++) {
        ca[i] = (struct counter_arg){.j = j[i % 2 ? MGR : CLI], .id = id, .rounds = M};
        ck_assert_int_eq(pthread_create(&th[i], NULL, counter_thread, &ca[i]), 0);
    }
    for (int i = 0; i < K; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(ca[i].failures, 0);
    }
    uint64_t count = 0;
    ck_assert_int_eq(juxmem_acquire_read(j[CLI], &id), 0);
    ck_assert_int_eq(juxmem_read(j[CLI], &id, 0, &count, sizeof count), 0);
    ck_assert_int_eq(juxmem_release(j[CLI], &id), 0);
    ck_assert_uint_eq(count, K * M);

    /* a live holder keeps its lock past the lease (renewed by the service) */
    ck_assert_int_eq(juxmem_acquire(j[CLI], &id), 0);
    struct timespec hold = {3, 500 * 1000000L}; /* the scenario: a long critical section */
    nanosleep(&hold, NULL);
    count++;
    ck_assert_int_eq(juxmem_write(j[CLI], &id, 0, &count, sizeof count), 0);
    ck_assert_int_eq(juxmem_release(j[CLI], &id), 0);
    ck_assert_int_eq(juxmem_acquire_read(j[MGR], &id), 0);
    ck_assert_int_eq(juxmem_read(j[MGR], &id, 0, &count, sizeof count), 0);
    ck_assert_int_eq(juxmem_release(j[MGR], &id), 0);
    ck_assert_uint_eq(count, K * M + 1);

    juxmem_stat_t *st = calloc(1, sizeof *st);
    ck_assert_int_eq(juxmem_stat(j[CLI], &id, st), 0);
    ck_assert_uint_eq(st->size, 4096);
    ck_assert_uint_eq(st->version, 2 + K * M);
    ck_assert_uint_eq(st->ncopies, 2);
    ck_assert_uint_eq(st->clusters, 1);
    ck_assert_uint_eq(st->providers, 2);
    ck_assert_int_eq(st->locked, 0);
    ck_assert_str_eq(st->copy_cluster[0], "a");
    int p1 = jxta_id_equal(&st->copies[0], jxta_peer_id(juxmem_peer(j[P1]))) ||
             jxta_id_equal(&st->copies[1], jxta_peer_id(juxmem_peer(j[P1])));
    ck_assert(p1);
    free(st);

    /* free returns the memory exactly; twice is an error */
    ck_assert_int_eq(juxmem_free(j[CLI], &id), 0);
    ck_assert_uint_eq(provider_free(j[P1]), 1 << 20);
    ck_assert_uint_eq(provider_free(j[P2]), 1 << 20);
    ck_assert_int_eq(juxmem_free(j[CLI], &id), JUXMEM_EFREED);
    ck_assert_int_eq(juxmem_free(j[MGR], &id), JUXMEM_EFREED);
    ck_assert_int_eq(juxmem_acquire(j[CLI], &id), JUXMEM_ENODATA);
    /* a peer that never knew the block: its advertisement may outlive it */
    int rc = juxmem_acquire(j[P2], &id);
    ck_assert_msg(rc == JUXMEM_ENODATA, "%s", juxmem_strerror(rc));

    for (int i = N; i > 0; i--) {
        juxmem_close(j[i - 1]);
        rmhome(home[i - 1]);
    }
}
END_TEST

START_TEST(test_service_bad_options)
{
    juxmem_options_t o;
    juxmem_t *j = NULL;
    tu_log_capture();
    juxmem_options_default(&o);
    ck_assert_int_eq(juxmem_open(&o, &j), JXTA_EINVAL); /* no home */
    o.home = "/tmp/juxmem-svc-never";
    o.provide_bytes = 100; /* provider without a cluster */
    ck_assert_int_eq(juxmem_open(&o, &j), JXTA_EINVAL);
    o.cluster = "";
    ck_assert_int_eq(juxmem_open(&o, &j), JXTA_EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_uint_ge(tu_log_count(), 3);
    tu_log_release();
    ck_assert_str_eq(juxmem_strerror(JUXMEM_EFREED), "data already freed");
}
END_TEST

START_TEST(test_service_texts)
{
    const char *P = "urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303";
    const char *Q = "urn:jxta:uuid-59616261646162614E50472050325033D8A85E4EAAEA4EA4A3929AD996BADE7D03";
    char text[1024];
    uint64_t size;
    unsigned want;
    tu_log_capture();
    ck_assert_int_eq(juxmem__parse_alloc_query("65536 2", &size, &want), 0);
    ck_assert_uint_eq(size, 65536);
    ck_assert_uint_eq(want, 2);
    const char *bad_q[] = {"", "1", "0 2", "5 0", "5 65", "-5 2", " 5 2", "5 2 ", "5  2", "5 2x",
                           "99999999999999999999 1"};
    for (size_t i = 0; i < sizeof bad_q / sizeof bad_q[0]; i++)
        ck_assert_int_eq(juxmem__parse_alloc_query(bad_q[i], &size, &want), JXTA_EPROTO);

    /* a cluster hello and a manager's answer */
    char cl[JUXMEM_CLUSTER_NAME_MAX + 1];
    int mgr;
    uint64_t off, fr;
    ck_assert_int_eq(juxmem__parse_hello("H rennes 1 1048576 4096", cl, sizeof cl, &mgr, &off, &fr),
                     0);
    ck_assert_str_eq(cl, "rennes");
    ck_assert_int_eq(mgr, 1);
    ck_assert_uint_eq(off, 1048576);
    ck_assert_uint_eq(fr, 4096);
    ck_assert_int_eq(juxmem__parse_hello("H a 0 0 0", cl, sizeof cl, &mgr, &off, &fr), 0);
    const char *bad_h[] = {"", "H", "H a", "H a 1 5", "H a 2 5 5", "H a 0 5 6", "H  a 0 5 5",
                           "H a 0 5 5 ", "X a 0 5 5", "H a 0 -5 5", "H a 0 5 5\n",
                           "H a 0 99999999999999999999 5"};
    for (size_t i = 0; i < sizeof bad_h / sizeof bad_h[0]; i++)
        ck_assert_int_eq(juxmem__parse_hello(bad_h[i], cl, sizeof cl, &mgr, &off, &fr),
                         JXTA_EPROTO);
    ck_assert_int_eq(juxmem__parse_hello("H abcdefgh 0 5 5", cl, 4, &mgr, &off, &fr), JXTA_EPROTO);
    jxta_id_t ids[2];
    size_t nids;
    snprintf(text, sizeof text, "L rennes\n%s\n%s\n", P, Q);
    ck_assert_int_eq(juxmem__parse_manager_list(text, cl, sizeof cl, ids, 2, &nids), 0);
    ck_assert_uint_eq(nids, 2);
    ck_assert_str_eq(cl, "rennes");
    snprintf(text, sizeof text, "L rennes\n%s", P); /* its last newline lost */
    ck_assert_int_eq(juxmem__parse_manager_list(text, cl, sizeof cl, ids, 2, &nids), 0);
    ck_assert_uint_eq(nids, 1);
    snprintf(text, sizeof text, "L rennes\n%s\n%s\n", P, P); /* twice */
    ck_assert_int_eq(juxmem__parse_manager_list(text, cl, sizeof cl, ids, 2, &nids), JXTA_EPROTO);
    snprintf(text, sizeof text, "L rennes\n%s\n%s\n%s\n", P, Q, P); /* too many */
    ck_assert_int_eq(juxmem__parse_manager_list(text, cl, sizeof cl, ids, 2, &nids), JXTA_EPROTO);
    const char *bad_l[] = {"", "L", "L a", "L a\n", "L a\nxyz\n", "L a\n\n",
                           "L a\nurn:jxta:jxta-NetGroup\n"};
    for (size_t i = 0; i < sizeof bad_l / sizeof bad_l[0]; i++)
        ck_assert_int_eq(juxmem__parse_manager_list(bad_l[i], cl, sizeof cl, ids, 2, &nids),
                         JXTA_EPROTO);

    juxmem_member_t m[4];
    size_t n;
    snprintf(text, sizeof text, "0 rennes\n%s\n%s\n", P, Q);
    ck_assert_int_eq(juxmem__parse_alloc_answer(text, m, 4, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(m[1].cluster, "rennes");
    ck_assert_int_eq(juxmem__parse_alloc_answer("-200", m, 4, &n), JUXMEM_ENOSPACE);
    ck_assert_int_eq(juxmem__parse_alloc_answer("-208", m, 4, &n), JUXMEM_ENOCLUSTER);
    ck_assert_int_eq(juxmem__parse_alloc_answer("0 a\n", m, 4, &n), JXTA_EPROTO); /* nobody */
    snprintf(text, sizeof text, "0 a\n%s\n%s\n", P, P);
    ck_assert_int_eq(juxmem__parse_alloc_answer(text, m, 4, &n), JXTA_EPROTO); /* twice */
    snprintf(text, sizeof text, "0 a\n%s\n%s\n", P, Q);
    ck_assert_int_eq(juxmem__parse_alloc_answer(text, m, 1, &n), JXTA_EPROTO); /* too many */
    ck_assert_int_eq(juxmem__parse_alloc_answer("1 a", m, 4, &n), JXTA_EPROTO);
    ck_assert_int_eq(juxmem__parse_alloc_answer("-99999", m, 4, &n), JXTA_EPROTO);
    ck_assert_int_eq(juxmem__parse_alloc_answer("0 a\nurn:jxta:jxta-NetGroup", m, 4, &n),
                     JXTA_EPROTO);

    juxmem_stat_t *st = calloc(1, sizeof *st);
    jxta_id_t redirect;
    snprintf(text, sizeof text, "0 4096 3 1 9000 2 %s 7 1 0\n%s a\n%s -\n", P, P, Q);
    ck_assert_int_eq(juxmem__parse_stat_answer(text, st, &redirect), 0);
    ck_assert_uint_eq(st->version, 3);
    ck_assert_uint_eq(st->epoch, 7);
    ck_assert_int_eq(st->repairing, 1);
    ck_assert_int_eq(st->why, JUXMEM_ENOQUORUM);
    ck_assert_int_eq(st->locked, 1);
    ck_assert_uint_eq(st->lease_left_ms, 9000);
    ck_assert_uint_eq(st->ncopies, 2);
    ck_assert_str_eq(st->copy_cluster[0], "a");
    ck_assert_str_eq(st->copy_cluster[1], "");
    snprintf(text, sizeof text, "0 4096 3 0 0 0 - 1 0 1\n");
    ck_assert_int_eq(juxmem__parse_stat_answer(text, st, &redirect), 0);
    ck_assert_int_eq(st->why, 0);
    /* the term and flags are required and bounded */
    ck_assert_int_eq(juxmem__parse_stat_answer("0 4096 3 0 0 0 -\n", st, &redirect), JXTA_EPROTO);
    ck_assert_int_eq(juxmem__parse_stat_answer("0 4096 3 0 0 0 - 1 2 1\n", st, &redirect),
                     JXTA_EPROTO);
    ck_assert_int_eq(juxmem__parse_stat_answer("0 4096 3 0 0 0 - 4294967296 0 1\n", st, &redirect),
                     JXTA_EPROTO);
    ck_assert_int_eq(juxmem__parse_stat_answer("0 4096 3 0 0 0 - 1 0 1 9\n", st, &redirect),
                     JXTA_EPROTO);
    snprintf(text, sizeof text, "R %s", Q);
    ck_assert_int_eq(juxmem__parse_stat_answer(text, st, &redirect), 1);
    ck_assert_int_eq(juxmem__parse_stat_answer("-201", st, &redirect), JUXMEM_ENODATA);
    snprintf(text, sizeof text, "0 4096 3 3 9000 0 - 1 0 1\n"); /* lock state 3 */
    ck_assert_int_eq(juxmem__parse_stat_answer(text, st, &redirect), JXTA_EPROTO);
    snprintf(text, sizeof text, "0 4096 3 0 0 2 - 1 0 1\n%s a\n", P); /* one copy of two */
    ck_assert_int_eq(juxmem__parse_stat_answer(text, st, &redirect), JXTA_EPROTO);
    ck_assert_int_eq(juxmem__parse_stat_answer("R x", st, &redirect), JXTA_EPROTO);
    free(st);
    ck_assert_uint_ge(tu_log_count(), 10);
    tu_log_release();
}
END_TEST

/* Re-creation order: in-flight ones always step (they free slots); of the
 * waiting, the blocks with the fewest live copies first (then the earliest
 * deadline), and no more than the limit in flight at once. */
START_TEST(test_repair_plan)
{
    juxmem_repair_key_t k[6] = {
        {2, 500, 0}, /* 0: waiting, 2 copies left */
        {1, 900, 0}, /* 1: waiting, 1 copy left: most endangered */
        {2, 100, 0}, /* 2: waiting, 2 left, earlier deadline than 0 */
        {3, 50, 1},  /* 3: in flight */
        {1, 950, 0}, /* 4: waiting, 1 left, later than 1 */
        {0, 10, 0},  /* 5: waiting, no copy left to copy from: still first of the waiting */
    };
    size_t order[6];
    size_t n = juxmem__repair_plan(k, 6, 2, order); /* one in flight: one more may start */
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(order[0], 3);
    ck_assert_uint_eq(order[1], 5);
    n = juxmem__repair_plan(k, 6, 4, order);
    ck_assert_uint_eq(n, 4);
    const size_t want[4] = {3, 5, 1, 4};
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(order[i], want[i]);
    n = juxmem__repair_plan(k, 6, 100, order); /* everything, in order */
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(order[4], 2);
    ck_assert_uint_eq(order[5], 0);
    k[0].in_flight = k[2].in_flight = 1; /* three in flight, limit 2: only those step */
    n = juxmem__repair_plan(k, 6, 2, order);
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < n; i++)
        ck_assert(k[order[i]].in_flight);
    ck_assert_uint_eq(juxmem__repair_plan(k, 0, 2, order), 0);
}
END_TEST

START_TEST(test_service_data_adv)
{
    ck_assert_int_eq(juxmem_adv_register(), 0);
    ck_assert_int_eq(juxmem_adv_register(), 0);
    juxmem_block_adv_info_t *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    ck_assert_int_eq(juxmem_data_id_new(&a->data), 0);
    a->size = 4096;
    a->clusters = 2;
    a->providers = 1;
    a->ncopies = 2;
    jxta_id_new_peer(&a->copies[0].peer, &jxta_id_net_group);
    jxta_id_new_peer(&a->copies[1].peer, &jxta_id_net_group);
    strcpy(a->copies[0].cluster, "a");
    jxta_adv_t *adv, *back;
    ck_assert_int_eq(juxmem_block_adv_new(a, &adv), 0);
    char *xml;
    ck_assert_int_eq(jxta_adv_to_string(adv, 0, &xml), 0);
    ck_assert_ptr_nonnull(strstr(xml, "<jxta:JuxMemData"));
    ck_assert_int_eq(jxta_adv_parse(xml, strlen(xml), &back), 0);
    ck_assert_int_eq(juxmem_block_adv_get(back, b), 0);
    ck_assert_mem_eq(a, b, sizeof *a);
    /* indexed by Id, keyed by the data ID */
    jxta_adv_index_entry_t idx[4];
    ck_assert_uint_eq(jxta_adv_index(back, idx, 4), 1);
    free(xml);
    jxta_adv_free(back);
    jxta_adv_free(adv);
    /* refused: a copy twice, an ID that is not a JuxMem block */
    tu_log_capture();
    a->copies[1] = a->copies[0];
    ck_assert_int_eq(juxmem_block_adv_new(a, &adv), 0);
    ck_assert_int_eq(jxta_adv_to_string(adv, 0, &xml), 0);
    ck_assert_int_eq(jxta_adv_parse(xml, strlen(xml), &back), JXTA_EPROTO);
    free(xml);
    jxta_adv_free(adv);
    a->copies[1].peer = a->copies[0].peer;
    jxta_id_new_group(&a->data, &jxta_id_net_group);
    ck_assert_int_eq(juxmem_block_adv_new(a, &adv), JXTA_EINVAL);
    tu_log_release();
    free(a);
    free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("juxmem_service");
    TCase *tc = tcase_create("service");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_service_bad_options);
    tcase_add_test(tc, test_service_texts);
    tcase_add_test(tc, test_service_data_adv);
    tcase_add_test(tc, test_repair_plan);
    tcase_add_test(tc, test_service_end_to_end);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
