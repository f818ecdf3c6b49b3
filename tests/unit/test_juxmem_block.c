/* test_juxmem_block.c - the JuxMem provider and client state machines in a
 * deterministic simulated network.
 *
 * Every message goes through the real wire encoding (juxmem elements in a
 * version-0 JXTA message) and is delayed by a seeded random amount, so
 * messages overtake each other; some tests also duplicate and drop them.
 * Time is simulated: leases, retransmissions and failure detection run in
 * milliseconds of simulated time and each test finishes in well under a
 * second of real time.  The invariants checked are the ones of issue 6:
 * K clients doing M increments under acquire/release give exactly K*M;
 * readers never see a torn block; a dead holder's writes never appear and
 * its token is refused; memory is accounted exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "block.h"
#include "testutil.h"

/* ---- simulated network ------------------------------------------------------ */

#define SIM_NODES 16
#define SIM_TICK 10
/* Check's ck_assert records every passing assertion (a write each): the
 * per-message checks of the simulation only report failures. */
#define SIM_REQUIRE(cond)                                                                      \
    do {                                                                                       \
        if (!(cond))                                                                           \
            ck_abort_msg("simulation: %s", #cond);                                             \
    } while (0)

typedef struct node {
    jxta_id_t id;
    juxmem_provider_t *prov;
    juxmem_client_t *cli;
    juxmem_fanout_t *fan;
    int dead;
    int side; /* network partition: messages cross only between equal sides */
} node_t;

typedef struct pkt {
    uint64_t at;
    jxta_id_t to;
    uint8_t *bytes;
    size_t len;
} pkt_t;

typedef struct sim {
    uint64_t now, next_tick, rng;
    node_t nodes[SIM_NODES];
    size_t nn;
    pkt_t *q;
    size_t nq, cap;
    unsigned drop_pm, dup_pm, max_delay;
    jxta_id_t data;
    uint64_t size;
    juxmem_block_cfg_t cfg;
    size_t sent, delivered;
    size_t ev_lost, ev_seq, ev_suspect;
    jxta_id_t last_lost, last_suspect;
} sim_t;

static uint64_t rnd(sim_t *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 0x2545F4914F6CDD1DULL;
}

static node_t *sim_node(sim_t *s, const jxta_id_t *id)
{
    for (size_t i = 0; i < s->nn; i++)
        if (jxta_id_equal(&s->nodes[i].id, id))
            return &s->nodes[i];
    return NULL;
}

static void sim_push(sim_t *s, const jxta_id_t *to, const uint8_t *b, size_t len)
{
    if (s->nq == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->q = realloc(s->q, s->cap * sizeof *s->q);
        SIM_REQUIRE(s->q != NULL);
    }
    pkt_t *p = &s->q[s->nq++];
    p->at = s->now + 1 + (s->max_delay ? rnd(s) % s->max_delay : 0);
    p->to = *to;
    p->bytes = malloc(len);
    memcpy(p->bytes, b, len);
    p->len = len;
}

/* Send what a node produced: every message through the wire encoding. */
static void sim_send(sim_t *s, juxmem_out_t *o)
{
    SIM_REQUIRE(o->err == 0);
    for (size_t i = 0; i < o->n; i++) {
        const node_t *src = sim_node(s, &o->v[i].m.from), *dst = sim_node(s, &o->v[i].to);
        if (src && dst && src->side != dst->side)
            continue; /* partitioned */
        jxta_buf_t b = JXTA_BUF_INIT;
        SIM_REQUIRE(juxmem_pmsg_to_wire(&o->v[i].m, &b) == 0);
        s->sent++;
        unsigned copies = 1 + (rnd(s) % 1000 < s->dup_pm);
        for (unsigned k = 0; k < copies; k++)
            if (rnd(s) % 1000 >= s->drop_pm)
                sim_push(s, &o->v[i].to, b.data, b.len);
        jxta_buf_free(&b);
    }
    for (size_t i = 0; i < o->nev; i++) {
        if (o->ev[i].kind == JUXMEM_EV_COPY_LOST) {
            s->ev_lost++;
            s->last_lost = o->ev[i].peer;
        }
        if (o->ev[i].kind == JUXMEM_EV_SEQUENCER)
            s->ev_seq++;
        if (o->ev[i].kind == JUXMEM_EV_SUSPECT) {
            s->ev_suspect++;
            s->last_suspect = o->ev[i].peer;
        }
    }
    juxmem_out_clear(o);
}

static void sim_deliver(sim_t *s, pkt_t *p)
{
    node_t *n = sim_node(s, &p->to);
    if (!n || n->dead)
        return;
    juxmem_pmsg_t m;
    SIM_REQUIRE(juxmem_pmsg_from_wire(p->bytes, p->len, &m) == 0);
    juxmem_out_t o;
    juxmem_out_init(&o);
    if (n->prov)
        juxmem_provider_handle(n->prov, &m, s->now, &o);
    if (n->cli)
        juxmem_client_handle(n->cli, &m, s->now, &o);
    if (n->fan)
        juxmem_fanout_handle(n->fan, &m, s->now, &o);
    juxmem_pmsg_clear(&m);
    s->delivered++;
    sim_send(s, &o);
}

/* Advance to the next event (a delivery or a tick) and process it. */
static void sim_step(sim_t *s)
{
    uint64_t next = s->next_tick;
    for (size_t i = 0; i < s->nq; i++)
        if (s->q[i].at < next)
            next = s->q[i].at;
    s->now = next;
    for (;;) { /* due packets, in random order */
        size_t due = 0, pick = 0;
        for (size_t i = 0; i < s->nq; i++)
            if (s->q[i].at <= s->now && rnd(s) % ++due == 0)
                pick = i;
        if (!due)
            break;
        pkt_t p = s->q[pick];
        s->q[pick] = s->q[--s->nq];
        sim_deliver(s, &p);
        free(p.bytes);
    }
    if (s->now >= s->next_tick) {
        s->next_tick += SIM_TICK;
        for (size_t i = 0; i < s->nn; i++) {
            node_t *n = &s->nodes[i];
            if (n->dead)
                continue;
            juxmem_out_t o;
            juxmem_out_init(&o);
            if (n->prov)
                juxmem_provider_tick(n->prov, s->now, &o);
            if (n->cli)
                juxmem_client_tick(n->cli, s->now, &o);
            if (n->fan)
                juxmem_fanout_tick(n->fan, s->now, &o);
            sim_send(s, &o);
        }
    }
}

static jxta_id_t peer_id(unsigned i)
{
    jxta_id_t id;
    char seed[32];
    uint8_t sha[20];
    snprintf(seed, sizeof seed, "juxmem-test-peer-%u", i);
    jxta_seed_from_text(sha, seed);
    ck_assert_int_eq(jxta_id_peer_from_seed(&id, &jxta_id_net_group, sha, sizeof sha), 0);
    return id;
}

static int id_cmp_qsort(const void *a, const void *b)
{
    return jxta_id_cmp(a, b);
}

/* `np` providers holding one block of `size` bytes (allocated through
 * ALLOC messages), and `nc` clients; providers sorted by peer ID, so
 * nodes[0] is the first sequencer. */
static void sim_init(sim_t *s, uint64_t seed, size_t np, size_t nc, uint64_t size,
                     const juxmem_block_cfg_t *cfg)
{
    memset(s, 0, sizeof *s);
    s->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    s->max_delay = 20;
    s->size = size;
    if (cfg)
        s->cfg = *cfg;
    else
        juxmem_block_cfg_default(&s->cfg);
    ck_assert_int_eq(juxmem_data_id_new(&s->data), 0);
    jxta_id_t ids[SIM_NODES];
    for (size_t i = 0; i < np; i++)
        ids[i] = peer_id((unsigned)i);
    qsort(ids, np, sizeof ids[0], id_cmp_qsort);
    juxmem_member_t members[SIM_NODES];
    memset(members, 0, sizeof members);
    for (size_t i = 0; i < np; i++) {
        node_t *n = &s->nodes[s->nn++];
        n->id = ids[i];
        members[i].peer = ids[i];
        snprintf(members[i].cluster, sizeof members[i].cluster, "c%zu", i % 2);
        ck_assert_int_eq(juxmem_provider_new(&n->id, members[i].cluster, 1u << 20, &s->cfg,
                                             &n->prov),
                         0);
    }
    /* the allocator: ALLOC to every provider, through the network */
    jxta_id_t alloc_id = peer_id(999);
    juxmem_out_t o;
    juxmem_out_init(&o);
    for (size_t i = 0; i < np; i++) {
        juxmem_pmsg_t m;
        juxmem_pmsg_init(&m, JUXMEM_MSG_ALLOC, &s->data, &alloc_id);
        m.seq = 1;
        m.size = size;
        m.epoch = 1;
        for (size_t k = 0; k < np; k++)
            ck_assert_int_eq(juxmem_pmsg_add_member(&m, &members[k].peer, members[k].cluster), 0);
        ck_assert_int_eq(juxmem_provider_handle(s->nodes[i].prov, &m, 0, &o), 0);
        ck_assert_uint_eq(o.n, 1);
        ck_assert_int_eq(o.v[0].m.type, JUXMEM_MSG_ALLOC_REPLY);
        ck_assert_int_eq(o.v[0].m.status, 0);
        ck_assert_uint_eq(o.v[0].m.size, (1u << 20) - size);
        juxmem_pmsg_clear(&m);
        juxmem_out_clear(&o);
    }
    for (size_t i = 0; i < nc; i++) {
        node_t *n = &s->nodes[s->nn++];
        n->id = peer_id((unsigned)(100 + i));
        ck_assert_int_eq(juxmem_client_new(&n->id, &s->data, size, members, np, &s->cfg,
                                           &n->cli),
                         0);
    }
}

static void sim_free(sim_t *s)
{
    for (size_t i = 0; i < s->nn; i++) {
        juxmem_provider_free(s->nodes[i].prov);
        juxmem_client_free(s->nodes[i].cli);
        juxmem_fanout_free_op(s->nodes[i].fan);
    }
    for (size_t i = 0; i < s->nq; i++)
        free(s->q[i].bytes);
    free(s->q);
}

static node_t *client_node(sim_t *s, size_t k)
{
    for (size_t i = 0; i < s->nn; i++)
        if (s->nodes[i].cli && k-- == 0)
            return &s->nodes[i];
    ck_abort_msg("no client %zu", k);
    return NULL;
}

static void start_acquire(sim_t *s, node_t *n, int mode)
{
    juxmem_out_t o;
    juxmem_out_init(&o);
    SIM_REQUIRE(juxmem_client_acquire(n->cli, mode, s->now, 60000, &o) == 0);
    if (!n->dead)
        sim_send(s, &o);
    juxmem_out_clear(&o);
}

static void start_release(sim_t *s, node_t *n)
{
    juxmem_out_t o;
    juxmem_out_init(&o);
    SIM_REQUIRE(juxmem_client_release(n->cli, s->now, 60000, &o) == 0);
    if (!n->dead)
        sim_send(s, &o);
    juxmem_out_clear(&o);
}

/* Run until `client` is idle; returns its result. */
static int wait_client(sim_t *s, node_t *n, uint64_t limit_ms)
{
    uint64_t end = s->now + limit_ms;
    while (juxmem_client_busy(n->cli) && s->now < end)
        sim_step(s);
    ck_assert_msg(!juxmem_client_busy(n->cli), "client still busy at %llu ms",
                  (unsigned long long)s->now);
    return juxmem_client_result(n->cli);
}

/* Do all live copies hold the same version? */
static int copies_in_step(sim_t *s)
{
    uint64_t version = 0;
    int first = 1;
    for (size_t i = 0; i < s->nn; i++) {
        node_t *n = &s->nodes[i];
        juxmem_block_info_t info;
        if (!n->prov || n->dead || juxmem_provider_block_info(n->prov, &s->data, s->now, &info))
            continue;
        if (!first && info.version != version)
            return 0;
        version = info.version;
        first = 0;
    }
    return 1;
}

/* All live copies agree on the version and the bytes, once the copies a
 * release did not wait for (it needs a majority) have caught up: within
 * a few heartbeats, without any new request. */
static void check_copies_agree(sim_t *s)
{
    uint64_t end = s->now + 10 * s->cfg.hb_ms + 10 * s->cfg.rto_ms;
    while (!copies_in_step(s) && s->now < end)
        sim_step(s);
    uint8_t *first = NULL, *buf = malloc((size_t)s->size);
    uint64_t version = 0;
    for (size_t i = 0; i < s->nn; i++) {
        node_t *n = &s->nodes[i];
        juxmem_block_info_t info;
        if (!n->prov || n->dead || juxmem_provider_block_info(n->prov, &s->data, s->now, &info))
            continue;
        ck_assert_int_eq(juxmem_provider_peek(n->prov, &s->data, 0, buf, (size_t)s->size), 0);
        if (!first) {
            first = malloc((size_t)s->size);
            memcpy(first, buf, (size_t)s->size);
            version = info.version;
        } else {
            ck_assert_uint_eq(info.version, version);
            ck_assert(memcmp(first, buf, (size_t)s->size) == 0);
        }
    }
    ck_assert_ptr_nonnull(first);
    free(first);
    free(buf);
}

/* ---- K clients x M increments ------------------------------------------------- */

typedef struct prog {
    int phase, done;
} prog_t;

/* One step of "acquire; x = read; write x + 1; release" for every client;
 * a failed acquire or a refused (stale) release is simply tried again. */
static void drive_counters(sim_t *s, prog_t *pr, size_t k, int m)
{
    for (size_t i = 0; i < k; i++) {
        node_t *n = client_node(s, i);
        if (n->dead || juxmem_client_busy(n->cli) || pr[i].done == m)
            continue;
        if (pr[i].phase == 0) {
            start_acquire(s, n, JUXMEM_MODE_EXCL);
            pr[i].phase = 1;
        } else if (pr[i].phase == 1) {
            if (juxmem_client_result(n->cli) != 0) {
                pr[i].phase = 0;
                continue;
            }
            uint64_t x;
            SIM_REQUIRE(juxmem_client_read(n->cli, 8, &x, sizeof x) == 0);
            x++;
            SIM_REQUIRE(juxmem_client_write(n->cli, 8, &x, sizeof x) == 0);
            start_release(s, n);
            pr[i].phase = 2;
        } else {
            int rc = juxmem_client_result(n->cli);
            if (rc != 0 && rc != JUXMEM_ESTALE)
                ck_abort_msg("release: %s (%d) at %llu ms", jxta_strerror(rc), rc,
                             (unsigned long long)s->now);
            if (rc == 0)
                pr[i].done++;
            pr[i].phase = 0;
        }
    }
}

static int all_done(const prog_t *pr, size_t k, int m)
{
    for (size_t i = 0; i < k; i++)
        if (pr[i].done < m)
            return 0;
    return 1;
}

static uint64_t read_counter(sim_t *s)
{
    node_t *n = client_node(s, 0);
    start_acquire(s, n, JUXMEM_MODE_SHARED);
    ck_assert_int_eq(wait_client(s, n, 120000), 0);
    uint64_t x;
    ck_assert_int_eq(juxmem_client_read(n->cli, 8, &x, sizeof x), 0);
    ck_assert_int_eq(juxmem_client_write(n->cli, 8, &x, sizeof x), JUXMEM_ENOTLOCKED);
    start_release(s, n);
    ck_assert_int_eq(wait_client(s, n, 120000), 0);
    return x;
}

static void run_counters(uint64_t seed, unsigned dup_pm, unsigned drop_pm, size_t k, int m)
{
    sim_t s;
    sim_init(&s, seed, 3, k, 64, NULL);
    s.dup_pm = dup_pm;
    s.drop_pm = drop_pm;
    prog_t pr[SIM_NODES] = {{0, 0}};
    while (!all_done(pr, k, m) && s.now < 3600000) {
        drive_counters(&s, pr, k, m);
        sim_step(&s);
    }
    ck_assert_msg(all_done(pr, k, m), "increments not done in simulated time");
    s.drop_pm = 0;
    ck_assert_uint_eq(read_counter(&s), (uint64_t)k * (uint64_t)m);
    check_copies_agree(&s);
    sim_free(&s);
}

START_TEST(counter_reordered)
{
    run_counters(1, 0, 0, 4, 50);
}
END_TEST

START_TEST(counter_reordered_duplicated)
{
    run_counters(2, 300, 0, 4, 50);
    run_counters(3, 500, 0, 8, 20);
}
END_TEST

START_TEST(counter_lossy)
{
    run_counters(4, 100, 100, 4, 30);
    run_counters(5, 50, 200, 3, 20);
}
END_TEST

/* ---- readers never see a torn block --------------------------------------------- */

static void run_torn(uint64_t seed, unsigned drop_pm)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.inline_max = 3000; /* 8 KiB blocks are fetched in READ chunks */
    sim_t s;
    sim_init(&s, seed, 3, 5, 8192, &cfg);
    s.dup_pm = 200;
    s.drop_pm = drop_pm;
    uint8_t *buf = malloc(8192);
    int phase[5] = {0}, done[5] = {0};
    size_t reads = 0;
    const int rounds = 20;
    for (;;) {
        int all = 1;
        for (size_t i = 0; i < 5; i++) {
            node_t *n = client_node(&s, i);
            int writer = i < 2;
            all &= done[i] == rounds;
            if (juxmem_client_busy(n->cli) || done[i] == rounds)
                continue;
            if (phase[i] == 0) {
                start_acquire(&s, n, writer ? JUXMEM_MODE_EXCL : JUXMEM_MODE_SHARED);
                phase[i] = 1;
            } else if (phase[i] == 1) {
                SIM_REQUIRE(juxmem_client_result(n->cli) == 0);
                SIM_REQUIRE(juxmem_client_read(n->cli, 0, buf, 8192) == 0);
                for (size_t b = 1; b < 8192; b++)
                    if (buf[b] != buf[0])
                        ck_abort_msg("torn block at byte %zu", b);
                if (writer) {
                    memset(buf, (int)(((unsigned)done[i] * 2 + (unsigned)i + 1) & 0xFF), 8192);
                    for (size_t off = 0; off < 8192; off += 512) /* many small writes */
                        SIM_REQUIRE(juxmem_client_write(n->cli, off, buf + off, 512) == 0);
                } else {
                    reads++;
                }
                start_release(&s, n);
                phase[i] = 2;
            } else {
                SIM_REQUIRE(juxmem_client_result(n->cli) == 0);
                done[i]++;
                phase[i] = 0;
            }
        }
        if (all)
            break;
        sim_step(&s);
        SIM_REQUIRE(s.now < 600000);
    }
    ck_assert_uint_eq(reads, 3 * rounds);
    check_copies_agree(&s);
    free(buf);
    sim_free(&s);
}

START_TEST(no_torn_reads)
{
    run_torn(5, 0);
    run_torn(6, 50);
}
END_TEST

/* ---- a holder that dies ------------------------------------------------------------ */

START_TEST(dead_holder_loses_lock)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.lease_ms = 2000;
    sim_t s;
    sim_init(&s, 6, 3, 2, 256, &cfg);
    node_t *a = client_node(&s, 0), *b = client_node(&s, 1);
    start_acquire(&s, a, JUXMEM_MODE_EXCL);
    ck_assert_int_eq(wait_client(&s, a, 10000), 0);
    uint64_t a_granted = s.now, a_token = juxmem_client_token(a->cli);
    uint8_t aa[16];
    memset(aa, 0xAA, sizeof aa);
    ck_assert_int_eq(juxmem_client_write(a->cli, 0, aa, sizeof aa), 0);
    a->dead = 1; /* A stops: nothing from or to it */

    start_acquire(&s, b, JUXMEM_MODE_EXCL);
    ck_assert_int_eq(wait_client(&s, b, 20000), 0);
    ck_assert_uint_ge(s.now, a_granted + cfg.lease_ms - 50); /* not before A's lease ended */
    ck_assert_uint_gt(juxmem_client_token(b->cli), a_token);
    uint8_t got[16];
    ck_assert_int_eq(juxmem_client_read(b->cli, 0, got, sizeof got), 0);
    for (size_t i = 0; i < sizeof got; i++)
        ck_assert_uint_eq(got[i], 0); /* A's buffered writes never appeared */
    uint8_t bb[4] = {0xBB, 0xBB, 0xBB, 0xBB};
    ck_assert_int_eq(juxmem_client_write(b->cli, 0, bb, sizeof bb), 0);
    start_release(&s, b);
    ck_assert_int_eq(wait_client(&s, b, 10000), 0);

    a->dead = 0; /* A comes back and releases with its old token */
    start_release(&s, a);
    ck_assert_int_eq(wait_client(&s, a, 10000), JUXMEM_ESTALE);
    ck_assert_int_eq(juxmem_client_held(a->cli), 0);
    ck_assert_int_eq(juxmem_client_read(a->cli, 0, got, 1), JUXMEM_ENOTLOCKED);
    check_copies_agree(&s);
    ck_assert_int_eq(juxmem_provider_peek(s.nodes[1].prov, &s.data, 0, got, sizeof got), 0);
    ck_assert_uint_eq(got[0], 0xBB);
    ck_assert_uint_eq(got[4], 0);

    /* A reacquires: its stale cache was dropped, it sees B's data */
    start_acquire(&s, a, JUXMEM_MODE_SHARED);
    ck_assert_int_eq(wait_client(&s, a, 10000), 0);
    ck_assert_int_eq(juxmem_client_read(a->cli, 0, got, sizeof got), 0);
    ck_assert_uint_eq(got[0], 0xBB);
    ck_assert_uint_eq(got[5], 0);
    sim_free(&s);
}
END_TEST

START_TEST(renew_keeps_lock)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.lease_ms = 1000;
    sim_t s;
    sim_init(&s, 12, 3, 2, 16, &cfg);
    s.dup_pm = 200;
    node_t *a = client_node(&s, 0), *b = client_node(&s, 1);
    start_acquire(&s, a, JUXMEM_MODE_EXCL);
    ck_assert_int_eq(wait_client(&s, a, 5000), 0);
    ck_assert_uint_gt(juxmem_client_lease_left(a->cli, s.now), 900);
    ck_assert_uint_le(juxmem_client_lease_left(a->cli, s.now), 1000);
    uint8_t v = 0x5A;
    ck_assert_int_eq(juxmem_client_write(a->cli, 3, &v, 1), 0);
    start_acquire(&s, b, JUXMEM_MODE_SHARED); /* waits behind A */
    uint64_t start = s.now;
    juxmem_out_t o;
    juxmem_out_init(&o);
    for (int i = 0; i < 4; i++) { /* 4 x 600 ms: well past one lease */
        while (s.now < start + 600 * (uint64_t)(i + 1))
            sim_step(&s);
        ck_assert_int_eq(juxmem_client_renew(a->cli, s.now, 2000, &o), 0);
        sim_send(&s, &o);
        ck_assert_int_eq(wait_client(&s, a, 2000), 0);
        ck_assert_int_eq(juxmem_client_held(a->cli), JUXMEM_MODE_EXCL);
        ck_assert(juxmem_client_busy(b->cli));
    }
    start_release(&s, a);
    ck_assert_int_eq(wait_client(&s, a, 5000), 0);
    ck_assert_int_eq(wait_client(&s, b, 5000), 0);
    uint8_t got;
    ck_assert_int_eq(juxmem_client_read(b->cli, 3, &got, 1), 0);
    ck_assert_uint_eq(got, 0x5A);
    /* B's lease runs out: its renew is refused, the lock is gone */
    while (juxmem_client_lease_left(b->cli, s.now) > 0 || s.now < start + 10000)
        sim_step(&s);
    ck_assert_int_eq(juxmem_client_renew(b->cli, s.now, 2000, &o), 0);
    sim_send(&s, &o);
    ck_assert_int_eq(wait_client(&s, b, 3000), JUXMEM_ESTALE);
    ck_assert_int_eq(juxmem_client_held(b->cli), 0);
    ck_assert_int_eq(juxmem_client_renew(b->cli, s.now, 2000, &o), JUXMEM_ENOTLOCKED);
    juxmem_out_clear(&o);
    sim_free(&s);
}
END_TEST

START_TEST(lock_timeout_and_unreachable)
{
    sim_t s;
    sim_init(&s, 7, 2, 2, 32, NULL);
    node_t *a = client_node(&s, 0), *b = client_node(&s, 1);
    start_acquire(&s, a, JUXMEM_MODE_EXCL);
    ck_assert_int_eq(wait_client(&s, a, 10000), 0);
    /* B times out behind A's lock (A is alive and holds it) */
    juxmem_out_t o;
    juxmem_out_init(&o);
    ck_assert_int_eq(juxmem_client_acquire(b->cli, JUXMEM_MODE_EXCL, s.now, 1000, &o), 0);
    sim_send(&s, &o);
    ck_assert_int_eq(wait_client(&s, b, 5000), JUXMEM_ELOCKTIMEOUT);
    ck_assert_int_eq(juxmem_client_acquire(a->cli, JUXMEM_MODE_EXCL, s.now, 1000, &o),
                     JXTA_EINVAL);
    start_release(&s, a);
    ck_assert_int_eq(wait_client(&s, a, 10000), 0);
    /* B's cancelled request does not hold the lock: A gets it again at once */
    start_acquire(&s, a, JUXMEM_MODE_EXCL);
    ck_assert_int_eq(wait_client(&s, a, 2000), 0);
    start_release(&s, a);
    ck_assert_int_eq(wait_client(&s, a, 2000), 0);
    /* every provider gone: unreachable */
    s.nodes[0].dead = s.nodes[1].dead = 1;
    ck_assert_int_eq(juxmem_client_acquire(b->cli, JUXMEM_MODE_SHARED, s.now, 2000, &o), 0);
    sim_send(&s, &o);
    ck_assert_int_eq(wait_client(&s, b, 5000), JUXMEM_EUNREACH);
    ck_assert_int_eq(juxmem_client_release(b->cli, s.now, 100, &o), JUXMEM_ENOTLOCKED);
    juxmem_out_clear(&o);
    sim_free(&s);
}
END_TEST

/* ---- the sequencer dies; a copy is re-created ------------------------------------------ */

static void run_failover(uint64_t seed, unsigned drop_pm)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.hb_ms = 200;
    cfg.fail_ms = 1000;
    sim_t s;
    sim_init(&s, seed, 3, 3, 64, &cfg);
    s.dup_pm = 200;
    s.drop_pm = drop_pm;
    prog_t pr[3] = {{0, 0}};
    const int m = 30;
    int killed = 0;
    while (!all_done(pr, 3, m) && s.now < 3600000) {
        drive_counters(&s, pr, 3, m);
        sim_step(&s);
        if (!killed && pr[0].done + pr[1].done + pr[2].done >= 20) {
            s.nodes[0].dead = 1; /* the first sequencer (lowest peer ID) */
            killed = 1;
        }
    }
    ck_assert(all_done(pr, 3, m));
    ck_assert_uint_ge(s.ev_seq, 1);
    ck_assert_uint_ge(s.ev_lost, 1);
    if (!drop_pm) /* the dead sequencer is reported lost once (one re-creation) */
        ck_assert_uint_eq(s.ev_lost, 1);
    ck_assert(jxta_id_equal(&s.last_lost, &s.nodes[0].id));
    /* the survivor elected is the more up-to-date one (the lower peer ID
     * when they are level): either may be it */
    juxmem_block_info_t info;
    size_t seq = 1;
    ck_assert_int_eq(juxmem_provider_block_info(s.nodes[1].prov, &s.data, s.now, &info), 0);
    if (!info.is_sequencer) {
        seq = 2;
        ck_assert_int_eq(juxmem_provider_block_info(s.nodes[2].prov, &s.data, s.now, &info), 0);
    }
    ck_assert_int_eq(info.is_sequencer, 1);
    ck_assert_uint_ge(info.epoch, 2);
    ck_assert_uint_eq(info.nmembers, 2);
    ck_assert_uint_eq(read_counter(&s), 3 * m);
    check_copies_agree(&s);

    /* re-create the lost copy on a fresh provider */
    node_t *n = &s.nodes[s.nn++];
    n->id = peer_id(50);
    ck_assert_int_eq(juxmem_provider_new(&n->id, "c9", 4096, &cfg, &n->prov), 0);
    juxmem_member_t mem[3];
    memcpy(mem, info.members, 2 * sizeof mem[0]);
    memset(&mem[2], 0, sizeof mem[2]);
    mem[2].peer = n->id;
    strcpy(mem[2].cluster, "c9");
    ck_assert_int_eq(juxmem_provider_alloc(n->prov, &s.data, 64, mem, 3, &info.sequencer,
                                           info.epoch, s.now),
                     0);
    ck_assert_uint_eq(juxmem_provider_used(n->prov), 64);
    juxmem_out_t o;
    juxmem_out_init(&o);
    ck_assert_int_eq(
        juxmem_provider_add_copy(s.nodes[3 - seq].prov, &s.data, &n->id, "c9", s.now, &o),
        JXTA_EINVAL); /* not the sequencer */
    ck_assert_int_eq(juxmem_provider_add_copy(s.nodes[seq].prov, &s.data, &n->id, "c9", s.now, &o),
                     0);
    sim_send(&s, &o);
    for (int i = 0; i < 200; i++)
        sim_step(&s);
    juxmem_block_info_t ni;
    ck_assert_int_eq(juxmem_provider_block_info(n->prov, &s.data, s.now, &ni), 0);
    ck_assert_uint_eq(ni.version, info.version); /* the shared read wrote nothing */
    ck_assert_uint_eq(ni.nmembers, 3);
    uint64_t x;
    ck_assert_int_eq(juxmem_provider_peek(n->prov, &s.data, 8, &x, sizeof x), 0);
    ck_assert_uint_eq(x, 3 * m);
    /* one more increment now reaches the new copy too */
    pr[0].done = m - 1;
    while (pr[0].done < m)
        drive_counters(&s, pr, 3, m), sim_step(&s);
    check_copies_agree(&s);
    ck_assert_int_eq(juxmem_provider_peek(n->prov, &s.data, 8, &x, sizeof x), 0);
    ck_assert_uint_eq(x, 3 * m + 1);
    juxmem_out_clear(&o);
    sim_free(&s);
}

START_TEST(sequencer_failover)
{
    run_failover(8, 0);
    run_failover(9, 50);
}
END_TEST

/* A peer's process ends and the endpoint says so (connection closed,
 * redial refused): every live peer hears it at once. */
/* The endpoint's verdict on a dead peer reaches only node `to`. */
static void sim_gone_to(sim_t *s, size_t victim, size_t to)
{
    node_t *n = &s->nodes[to];
    juxmem_out_t o;
    juxmem_out_init(&o);
    if (n->prov)
        juxmem_provider_peer_gone(n->prov, &s->nodes[victim].id, s->now, &o);
    if (n->cli)
        juxmem_client_peer_gone(n->cli, &s->nodes[victim].id, s->now, &o);
    sim_send(s, &o);
}

static void sim_kill_gone(sim_t *s, size_t k)
{
    s->nodes[k].dead = 1;
    for (size_t i = 0; i < s->nn; i++)
        if (!s->nodes[i].dead)
            sim_gone_to(s, k, i);
}

/* With that verdict a dead sequencer is replaced, and a dead copy dropped
 * (for re-creation), in a few round trips of simulated time - not after
 * the heartbeats' fail_ms - and nothing acknowledged is lost. */
static void run_gone(uint64_t seed, size_t victim)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.hb_ms = 400;
    cfg.fail_ms = 2000;
    sim_t s;
    sim_init(&s, seed, 3, 2, 64, &cfg);
    s.dup_pm = 100;
    prog_t pr[2] = {{0, 0}};
    while (pr[0].done + pr[1].done < 10 && s.now < 600000)
        drive_counters(&s, pr, 2, 20), sim_step(&s);
    size_t lost_before = s.ev_lost, seq_before = s.ev_seq;
    int done_before = pr[0].done + pr[1].done;
    uint64_t killed = s.now;
    sim_kill_gone(&s, victim);
    while (pr[0].done + pr[1].done < done_before + 2 && s.now < killed + 600000)
        drive_counters(&s, pr, 2, 20), sim_step(&s);
    ck_assert_msg(s.now < killed + cfg.fail_ms / 2, "writes resumed %llu ms after the kill",
                  (unsigned long long)(s.now - killed));
    ck_assert_uint_eq(s.ev_lost, lost_before + 1); /* dropped at once, for re-creation */
    ck_assert(jxta_id_equal(&s.last_lost, &s.nodes[victim].id));
    if (victim == 0)
        ck_assert_uint_eq(s.ev_seq, seq_before + 1);
    while (!all_done(pr, 2, 20) && s.now < killed + 600000)
        drive_counters(&s, pr, 2, 20), sim_step(&s);
    ck_assert(all_done(pr, 2, 20));
    ck_assert_uint_eq(read_counter(&s), 40);
    check_copies_agree(&s);
    /* the clients learnt the new list of copies from their grants */
    for (size_t k = 0; k < 2; k++) {
        juxmem_member_t mem[JUXMEM_MAX_COPIES];
        size_t n = juxmem_client_copies(client_node(&s, k)->cli, mem, JUXMEM_MAX_COPIES);
        ck_assert_uint_eq(n, 2);
        for (size_t i = 0; i < n; i++)
            ck_assert(!jxta_id_equal(&mem[i].peer, &s.nodes[victim].id));
    }
    sim_free(&s);
}

/* A copy that dies with no verdict (nothing closed: it never had a direct
 * connection) is reported SUSPECT once, a heartbeat period and a half
 * after it last answered - the service then asks the transport. */
START_TEST(silent_copy_suspected_once)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.hb_ms = 400;
    cfg.fail_ms = 2000;
    sim_t s;
    sim_init(&s, 51, 3, 1, 64, &cfg);
    prog_t pr[1] = {{0, 0}};
    while (pr[0].done < 3 && s.now < 600000)
        drive_counters(&s, pr, 1, 3), sim_step(&s);
    ck_assert_uint_eq(s.ev_suspect, 0); /* nobody late under normal traffic */
    s.nodes[2].dead = 1;
    uint64_t killed = s.now;
    while (s.ev_suspect == 0 && s.now < killed + cfg.fail_ms)
        sim_step(&s);
    ck_assert_uint_eq(s.ev_suspect, 1);
    ck_assert(jxta_id_equal(&s.last_suspect, &s.nodes[2].id));
    ck_assert_uint_lt(s.now, killed + cfg.hb_ms * 2 + 2 * SIM_TICK);
    while (s.now < killed + cfg.fail_ms - SIM_TICK) /* until it is dropped: once */
        sim_step(&s);
    ck_assert_uint_eq(s.ev_suspect, 1);
    sim_free(&s);
}
END_TEST

START_TEST(gone_peer_fast_failover)
{
    run_gone(41, 0); /* the sequencer */
    run_gone(42, 0);
    run_gone(43, 2); /* another copy */
}
END_TEST

/* A split vote after the sequencer's death: the verdict reaches the copy
 * that ranks second first, which stands (the other, not knowing yet,
 * refuses: "the sequencer is alive"), then the first-ranked one, which
 * stands for the same term.  Each refuses the other (one vote per term)
 * and the dead sequencer cannot vote: neither can win that term, and the
 * candidates must see so at once and settle it in a later term - within
 * a few heartbeat periods, not after a whole candidacy (fail_ms) and a
 * retry (it took about 1.5 x fail_ms: test_juxmem_failover saw 7 s). */
static void run_split_vote(uint64_t seed)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.hb_ms = 400;
    cfg.fail_ms = 2000;
    sim_t s;
    sim_init(&s, seed, 3, 2, 64, &cfg);
    prog_t pr[2] = {{0, 0}};
    while (pr[0].done + pr[1].done < 10 && s.now < 600000)
        drive_counters(&s, pr, 2, 20), sim_step(&s);
    int done_before = pr[0].done + pr[1].done;
    uint64_t killed = s.now;
    s.nodes[0].dead = 1;
    for (size_t k = 0; k < 2; k++)
        sim_gone_to(&s, 0, s.nn - 2 + k); /* the clients */
    sim_gone_to(&s, 0, 2);                /* the second-ranked copy stands */
    while (s.now < killed + cfg.hb_ms / 4)
        drive_counters(&s, pr, 2, 20), sim_step(&s);
    sim_gone_to(&s, 0, 1); /* the first-ranked copy learns it now: same term */
    while (pr[0].done + pr[1].done < done_before + 2 && s.now < killed + 600000)
        drive_counters(&s, pr, 2, 20), sim_step(&s);
    ck_assert_msg(s.now < killed + cfg.fail_ms / 2, "seed %llu: writes resumed %llu ms after the kill",
                  (unsigned long long)seed, (unsigned long long)(s.now - killed));
    while (!all_done(pr, 2, 20) && s.now < killed + 600000)
        drive_counters(&s, pr, 2, 20), sim_step(&s);
    ck_assert(all_done(pr, 2, 20));
    ck_assert_uint_eq(read_counter(&s), 40);
    check_copies_agree(&s);
    sim_free(&s);
}

START_TEST(split_vote_settled_quickly)
{
    for (uint64_t seed = 71; seed < 87; seed++)
        run_split_vote(seed);
}
END_TEST

/* The sequencer dies right after adding a copy: the survivors hold
 * different views (the new copy and whoever heard of it, and the others).
 * An election must still happen (candidates carry their view; voters with
 * an older one adopt it), and nothing acknowledged is lost. */
static void run_view_change_failover(uint64_t seed, unsigned drop_pm)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.hb_ms = 200;
    cfg.fail_ms = 1000;
    sim_t s;
    sim_init(&s, seed, 3, 2, 64, &cfg);
    s.drop_pm = drop_pm;
    prog_t pr[2] = {{0, 0}};
    while (!all_done(pr, 2, 5) && s.now < 600000)
        drive_counters(&s, pr, 2, 5), sim_step(&s);
    ck_assert(all_done(pr, 2, 5));
    juxmem_block_info_t info;
    ck_assert_int_eq(juxmem_provider_block_info(s.nodes[0].prov, &s.data, s.now, &info), 0);
    ck_assert_int_eq(info.is_sequencer, 1);
    node_t *n = &s.nodes[s.nn++];
    n->id = peer_id(60);
    ck_assert_int_eq(juxmem_provider_new(&n->id, "c9", 4096, &cfg, &n->prov), 0);
    juxmem_member_t mem[4];
    memcpy(mem, info.members, 3 * sizeof mem[0]);
    memset(&mem[3], 0, sizeof mem[3]);
    mem[3].peer = n->id;
    strcpy(mem[3].cluster, "c9");
    ck_assert_int_eq(juxmem_provider_alloc(n->prov, &s.data, 64, mem, 4, &info.sequencer,
                                           info.epoch, s.now),
                     0);
    juxmem_out_t o;
    juxmem_out_init(&o);
    ck_assert_int_eq(juxmem_provider_add_copy(s.nodes[0].prov, &s.data, &n->id, "c9", s.now, &o),
                     0);
    sim_send(&s, &o); /* the new copy's STATE is on its way; nobody else knows */
    s.nodes[0].dead = 1;
    pr[0].done = pr[1].done = 0;
    while (!all_done(pr, 2, 5) && s.now < 600000)
        drive_counters(&s, pr, 2, 5), sim_step(&s);
    ck_assert_msg(all_done(pr, 2, 5), "no sequencer elected after the view change");
    s.drop_pm = 0;
    ck_assert_uint_eq(read_counter(&s), 20);
    check_copies_agree(&s);
    juxmem_out_clear(&o);
    sim_free(&s);
}

START_TEST(view_change_then_failover)
{
    run_view_change_failover(31, 0);
    run_view_change_failover(32, 30);
}
END_TEST

/* ---- a partition: the minority refuses, the majority goes on ---------------------------- */

static void run_partition(uint64_t seed, unsigned drop_pm)
{
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.hb_ms = 200;
    cfg.fail_ms = 1000;
    sim_t s;
    sim_init(&s, seed, 3, 2, 64, &cfg); /* nodes 0-2 copies (0 the sequencer), 3-4 clients */
    s.dup_pm = 100;
    s.drop_pm = drop_pm;
    prog_t pr[2] = {{0, 0}};
    while (!all_done(pr, 2, 5) && s.now < 600000)
        drive_counters(&s, pr, 2, 5), sim_step(&s);
    ck_assert(all_done(pr, 2, 5));
    ck_assert_uint_eq(read_counter(&s), 10);

    /* the sequencer and client 0 on one side, two copies and client 1 on the other */
    node_t *seq = &s.nodes[0], *c0 = client_node(&s, 0), *c1 = client_node(&s, 1);
    seq->side = c0->side = 1;
    uint64_t cut = s.now;
    while (s.now < cut + 3 * cfg.fail_ms / 2)
        sim_step(&s);
    juxmem_block_info_t info;
    ck_assert_int_eq(juxmem_provider_block_info(seq->prov, &s.data, s.now, &info), 0);
    ck_assert_int_eq(info.has_quorum, 0);
    start_acquire(&s, c0, JUXMEM_MODE_EXCL); /* the minority refuses */
    ck_assert_int_eq(wait_client(&s, c0, 120000), JUXMEM_ENOQUORUM);

    /* the majority elected a sequencer and goes on */
    pr[0].done = 5;
    pr[1].done = 0;
    while (pr[1].done < 5 && s.now < cut + 600000)
        drive_counters(&s, pr, 2, 5), sim_step(&s);
    ck_assert_int_eq(pr[1].done, 5);
    ck_assert_int_eq(juxmem_provider_block_info(s.nodes[1].prov, &s.data, s.now, &info), 0);
    ck_assert_uint_ge(info.epoch, 2);
    ck_assert_int_eq(info.has_quorum, 1);
    jxta_id_t new_seq = info.is_sequencer ? s.nodes[1].id : info.sequencer;
    ck_assert(!jxta_id_equal(&new_seq, &seq->id));

    /* healed: the former sequencer learns it is out (its copy freed),
     * the copies converge, client 0 works again through them */
    seq->side = c0->side = 0;
    uint64_t healed = s.now;
    while (juxmem_provider_block_info(seq->prov, &s.data, s.now, &info) == 0 &&
           s.now < healed + 60000)
        sim_step(&s);
    ck_assert_int_eq(juxmem_provider_block_info(seq->prov, &s.data, s.now, &info),
                     JUXMEM_ENODATA);
    pr[0].done = 4;
    while (pr[0].done < 5 && s.now < healed + 600000)
        drive_counters(&s, pr, 2, 5), sim_step(&s);
    ck_assert_int_eq(pr[0].done, 5);
    ck_assert_uint_eq(read_counter(&s), 10 + 5 + 1); /* nothing acknowledged lost */
    s.drop_pm = 0;
    check_copies_agree(&s);
    (void)c1;
    sim_free(&s);
}

START_TEST(partition_minority_refuses)
{
    run_partition(77, 0);
    run_partition(78, 30);
}
END_TEST

/* JUXMEM_SIM_SWEEP=N runs the network tests over N more seeds (a soak
 * run by hand; not part of make check). */
START_TEST(seed_sweep)
{
    const char *n = getenv("JUXMEM_SIM_SWEEP");
    const char *from = getenv("JUXMEM_SIM_FROM"); /* replay one seed: FROM=seed SWEEP=1 */
    uint64_t first = from ? strtoull(from, NULL, 10) : 1000;
    for (uint64_t seed = first; n && seed < first + strtoull(n, NULL, 10); seed++) {
        fprintf(stderr, "sweep: seed %llu\n", (unsigned long long)seed);
        run_counters(seed, 200, 50, 4, 10);
        run_failover(seed, seed % 2 ? 50 : 0);
        if (seed % 10 == 0)
            run_torn(seed, 50);
        if (seed % 5 == 0)
            run_partition(seed, seed % 2 ? 30 : 0);
        if (seed % 5 == 2)
            run_view_change_failover(seed, seed % 2 ? 30 : 0);
        if (seed % 5 == 1)
            run_gone(seed, seed % 3 ? 0 : 2);
    }
}
END_TEST

/* ---- allocation and free through the network ---------------------------------------- */

static int run_fanout(sim_t *s, node_t *n, uint64_t limit_ms)
{
    uint64_t end = s->now + limit_ms;
    while (juxmem_fanout_busy(n->fan) && s->now < end)
        sim_step(s);
    ck_assert(!juxmem_fanout_busy(n->fan));
    int rc = juxmem_fanout_result(n->fan);
    juxmem_fanout_free_op(n->fan);
    n->fan = NULL;
    for (int i = 0; i < 100; i++) /* let duplicates and stragglers arrive */
        sim_step(s);
    return rc;
}

static void start_fanout(sim_t *s, node_t *n, int alloc, const jxta_id_t *data, uint64_t size,
                         size_t first, size_t np)
{
    juxmem_member_t mem[SIM_NODES];
    memset(mem, 0, sizeof mem);
    for (size_t i = 0; i < np; i++)
        mem[i].peer = s->nodes[first + i].id;
    juxmem_out_t o;
    juxmem_out_init(&o);
    if (alloc)
        ck_assert_int_eq(juxmem_fanout_alloc(&n->id, data, size, mem, np, &s->cfg, s->now, 3000,
                                             &o, &n->fan),
                         0);
    else
        ck_assert_int_eq(juxmem_fanout_free(&n->id, data, mem, np, &s->cfg, s->now, 3000, &o,
                                            &n->fan),
                         0);
    sim_send(s, &o);
}

START_TEST(alloc_and_free_fanout)
{
    sim_t s;
    sim_init(&s, 11, 3, 1, 64, NULL); /* providers offer 1 MiB, 64 bytes in use */
    s.dup_pm = 300;
    s.drop_pm = 100;
    node_t *c = client_node(&s, 0);
    uint64_t base = juxmem_provider_used(s.nodes[0].prov);
    jxta_id_t d;
    ck_assert_int_eq(juxmem_data_id_new(&d), 0);
    start_fanout(&s, c, 1, &d, 1000, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 10000), 0);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(juxmem_provider_used(s.nodes[i].prov), base + 1000);
    /* the new block works: its copies elected their sequencer */
    juxmem_block_info_t info;
    ck_assert_int_eq(juxmem_provider_block_info(s.nodes[0].prov, &d, s.now, &info), 0);
    ck_assert_int_eq(info.is_sequencer, 1);
    ck_assert_uint_eq(info.nmembers, 3);
    /* free: exactly returned; again: a double free; unknown: no such data */
    start_fanout(&s, c, 0, &d, 0, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 10000), 0);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(juxmem_provider_used(s.nodes[i].prov), base);
    tu_log_capture();
    start_fanout(&s, c, 0, &d, 0, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 10000), JUXMEM_EFREED);
    jxta_id_t unknown;
    ck_assert_int_eq(juxmem_data_id_new(&unknown), 0);
    start_fanout(&s, c, 0, &unknown, 0, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 10000), JUXMEM_ENODATA);
    /* more than one provider can give: refused, and nothing stays reserved
     * even though ALLOCs are duplicated and delayed */
    jxta_id_t big;
    ck_assert_int_eq(juxmem_data_id_new(&big), 0);
    ck_assert_int_eq(juxmem_provider_alloc(s.nodes[1].prov, &unknown, 1, &(juxmem_member_t){s.nodes[1].id, ""}, 1, NULL, 1, s.now), JUXMEM_ENODATA);
    start_fanout(&s, c, 1, &big, (1u << 20) - 64, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 10000), 0); /* exactly what is free: fits */
    jxta_id_t more;
    ck_assert_int_eq(juxmem_data_id_new(&more), 0);
    start_fanout(&s, c, 1, &more, 1, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 10000), JUXMEM_ENOSPACE);
    start_fanout(&s, c, 0, &big, 0, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 10000), 0);
    /* one provider a bit fuller: the other two are undone */
    /* refused everywhere, and the undo is remembered: a late ALLOC cannot create it */
    ck_assert_int_eq(juxmem_provider_alloc(s.nodes[2].prov, &more, 1, &(juxmem_member_t){s.nodes[2].id, ""}, 1, NULL, 1, s.now), JUXMEM_ENODATA);
    jxta_id_t filler, last;
    ck_assert_int_eq(juxmem_data_id_new(&filler), 0);
    ck_assert_int_eq(juxmem_data_id_new(&last), 0);
    juxmem_member_t self2 = {s.nodes[2].id, ""};
    ck_assert_int_eq(juxmem_provider_alloc(s.nodes[2].prov, &filler, 1000, &self2, 1, NULL, 1, s.now), 0);
    start_fanout(&s, c, 1, &last, (1u << 20) - 64 - 500, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 10000), JUXMEM_ENOSPACE);
    for (int i = 0; i < 300; i++)
        sim_step(&s);
    ck_assert_uint_eq(juxmem_provider_used(s.nodes[0].prov), base);
    ck_assert_uint_eq(juxmem_provider_used(s.nodes[1].prov), base);
    ck_assert_uint_eq(juxmem_provider_used(s.nodes[2].prov), base + 1000);
    /* a provider that does not answer: unreachable, the others undone */
    s.nodes[1].dead = 1;
    ck_assert_int_eq(juxmem_data_id_new(&last), 0);
    start_fanout(&s, c, 1, &last, 10, 0, 3);
    ck_assert_int_eq(run_fanout(&s, c, 20000), JUXMEM_EUNREACH);
    for (int i = 0; i < 300; i++)
        sim_step(&s);
    ck_assert_uint_eq(juxmem_provider_used(s.nodes[0].prov), base);
    ck_assert_uint_eq(juxmem_provider_used(s.nodes[2].prov), base + 1000);
    tu_log_release();
    sim_free(&s);
}
END_TEST

/* ---- memory accounting ---------------------------------------------------------------- */

START_TEST(memory_accounting)
{
    jxta_id_t self = peer_id(1), other = peer_id(2), d1, d2, d3;
    ck_assert_int_eq(juxmem_data_id_new(&d1), 0);
    ck_assert_int_eq(juxmem_data_id_new(&d2), 0);
    ck_assert_int_eq(juxmem_data_id_new(&d3), 0);
    juxmem_provider_t *p;
    ck_assert_int_eq(juxmem_provider_new(&self, "c", 1000, NULL, &p), 0);
    juxmem_member_t mem[2];
    memset(mem, 0, sizeof mem);
    mem[0].peer = self;
    mem[1].peer = other;
    tu_log_capture();
    ck_assert_int_eq(juxmem_provider_alloc(p, &d1, 600, mem, 2, NULL, 1, 0), 0);
    ck_assert_int_eq(juxmem_provider_alloc(p, &d1, 600, mem, 2, NULL, 1, 0), 0); /* repeat */
    ck_assert_uint_eq(juxmem_provider_used(p), 600);
    ck_assert_int_eq(juxmem_provider_alloc(p, &d1, 700, mem, 2, NULL, 1, 0), JXTA_EEXIST);
    ck_assert_int_eq(juxmem_provider_alloc(p, &d2, 401, mem, 2, NULL, 1, 0), JUXMEM_ENOSPACE);
    ck_assert_int_eq(juxmem_provider_alloc(p, &d2, 400, mem, 2, NULL, 1, 0), 0);
    ck_assert_uint_eq(juxmem_provider_used(p), 1000);
    ck_assert_uint_eq(juxmem_provider_free_bytes(p), 0);
    ck_assert_int_eq(juxmem_provider_alloc(p, &d3, 1, mem, 2, NULL, 1, 0), JUXMEM_ENOSPACE);
    ck_assert_int_eq(juxmem_provider_alloc(p, &d3, 0, mem, 2, NULL, 1, 0), JXTA_EINVAL);
    ck_assert_int_eq(juxmem_provider_alloc(p, &d3, 1, mem + 1, 1, NULL, 1, 0), JXTA_EINVAL);
    ck_assert_uint_eq(juxmem_provider_nblocks(p), 2);

    /* free through messages: FREED carries the free bytes; a repeat of the
     * same FREE is answered 0, another FREE is a double free */
    juxmem_out_t o;
    juxmem_out_init(&o);
    juxmem_pmsg_t m;
    juxmem_pmsg_init(&m, JUXMEM_MSG_FREE, &d1, &other);
    m.seq = 7;
    ck_assert_int_eq(juxmem_provider_handle(p, &m, 0, &o), 0);
    ck_assert_uint_eq(o.n, 1);
    ck_assert_int_eq(o.v[0].m.type, JUXMEM_MSG_FREED);
    ck_assert_int_eq(o.v[0].m.status, 0);
    ck_assert_uint_eq(o.v[0].m.size, 600);
    ck_assert_uint_eq(juxmem_provider_used(p), 400);
    ck_assert_int_eq(juxmem_provider_handle(p, &m, 0, &o), 0);
    ck_assert_int_eq(o.v[1].m.status, 0);
    m.seq = 8;
    size_t logs = tu_log_count();
    ck_assert_int_eq(juxmem_provider_handle(p, &m, 0, &o), JUXMEM_EFREED);
    ck_assert_int_eq(o.v[2].m.status, JUXMEM_EFREED);
    ck_assert_uint_gt(tu_log_count(), logs);
    ck_assert_uint_eq(juxmem_provider_used(p), 400);
    /* a late ALLOC for the freed block does not bring it back */
    ck_assert_int_eq(juxmem_provider_alloc(p, &d1, 600, mem, 2, NULL, 1, 0), JUXMEM_ENODATA);
    jxta_id_t d4;
    ck_assert_int_eq(juxmem_data_id_new(&d4), 0);
    ck_assert_int_eq(juxmem_provider_free_block(p, &d4, &other, 1, NULL), JUXMEM_ENODATA);
    ck_assert_int_eq(juxmem_provider_free_block(p, &d4, &other, 1, NULL), JUXMEM_ENODATA);
    /* an ALLOC overtaken by that FREE does not create the block */
    ck_assert_int_eq(juxmem_provider_alloc(p, &d4, 1, mem, 2, NULL, 1, 0), JUXMEM_ENODATA);
    /* requests for blocks not held here */
    juxmem_pmsg_init(&m, JUXMEM_MSG_ACQUIRE, &d1, &other);
    m.seq = 1;
    m.mode = JUXMEM_MODE_EXCL;
    ck_assert_int_eq(juxmem_provider_handle(p, &m, 0, &o), JUXMEM_ENODATA);
    ck_assert_int_eq(o.v[3].m.type, JUXMEM_MSG_DENY);
    ck_assert_int_eq(o.v[3].m.status, JUXMEM_ENODATA);
    /* ALLOC message beyond the offer */
    juxmem_pmsg_init(&m, JUXMEM_MSG_ALLOC, &d3, &other);
    m.seq = 1;
    m.size = 601;
    ck_assert_int_eq(juxmem_pmsg_add_member(&m, &self, "c"), 0);
    ck_assert_int_eq(juxmem_provider_handle(p, &m, 0, &o), JUXMEM_ENOSPACE);
    ck_assert_int_eq(o.v[4].m.type, JUXMEM_MSG_ALLOC_REPLY);
    ck_assert_int_eq(o.v[4].m.status, JUXMEM_ENOSPACE);
    ck_assert_uint_eq(o.v[4].m.size, 600);
    m.size = 600;
    ck_assert_int_eq(juxmem_provider_handle(p, &m, 0, &o), 0);
    ck_assert_uint_eq(juxmem_provider_free_bytes(p), 0);
    juxmem_pmsg_clear(&m);
    ck_assert_int_eq(juxmem_provider_free_block(p, &d2, NULL, 0, &o), 0);
    ck_assert_int_eq(juxmem_provider_free_block(p, &d3, NULL, 0, &o), 0);
    ck_assert_uint_eq(juxmem_provider_used(p), 0);
    ck_assert_uint_eq(juxmem_provider_free_bytes(p), 1000);
    ck_assert_uint_eq(juxmem_provider_nblocks(p), 0);
    tu_log_release();
    juxmem_out_clear(&o);
    juxmem_provider_free(p);
}
END_TEST

START_TEST(many_blocks)
{
    jxta_id_t self = peer_id(1), ids[51];
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.max_blocks = 50;
    juxmem_provider_t *p;
    ck_assert_int_eq(juxmem_provider_new(&self, NULL, 1u << 20, &cfg, &p), 0);
    juxmem_member_t me;
    memset(&me, 0, sizeof me);
    me.peer = self;
    for (size_t i = 0; i < 51; i++) {
        ck_assert_int_eq(juxmem_data_id_new(&ids[i]), 0);
        ck_assert_int_eq(juxmem_provider_alloc(p, &ids[i], i + 1, &me, 1, NULL, 1, 0),
                         i < 50 ? 0 : JUXMEM_ENOSPACE);
    }
    ck_assert_uint_eq(juxmem_provider_used(p), 50 * 51 / 2);
    juxmem_block_info_t info;
    for (size_t i = 0; i < 50; i++) {
        ck_assert_int_eq(juxmem_provider_block_info(p, &ids[i], 0, &info), 0);
        ck_assert_uint_eq(info.size, i + 1);
    }
    for (size_t k = 0; k < 50; k++) { /* free in a scrambled order */
        size_t i = (k * 17) % 50;
        ck_assert_int_eq(juxmem_provider_free_block(p, &ids[i], NULL, 0, NULL), 0);
        ck_assert_int_eq(juxmem_provider_block_info(p, &ids[i], 0, &info), JUXMEM_ENODATA);
    }
    ck_assert_uint_eq(juxmem_provider_used(p), 0);
    ck_assert_uint_eq(juxmem_provider_nblocks(p), 0);
    juxmem_provider_free(p);
}
END_TEST

/* ---- a copy: order, duplicates, fencing, epochs ------------------------------------------ */

static juxmem_pmsg_t update_msg(const jxta_id_t *data, const jxta_id_t *from, uint32_t epoch,
                                uint64_t version, uint64_t token, uint8_t byte)
{
    juxmem_pmsg_t m;
    juxmem_pmsg_init(&m, JUXMEM_MSG_UPDATE, data, from);
    m.epoch = epoch;
    m.version = version;
    m.token = token;
    ck_assert_int_eq(juxmem_pmsg_add_range(&m, version % 8, &byte, 1), 0);
    return m;
}

static int last_ack(const juxmem_out_t *o, uint64_t *version)
{
    ck_assert_uint_gt(o->n, 0);
    const juxmem_pmsg_t *a = &o->v[o->n - 1].m;
    ck_assert_int_eq(a->type, JUXMEM_MSG_ACK);
    *version = a->version;
    return a->status;
}

START_TEST(copy_orders_and_fences)
{
    jxta_id_t seqp = peer_id(1), self = peer_id(2), data;
    if (jxta_id_cmp(&seqp, &self) > 0) { /* the sequencer has the lowest ID */
        jxta_id_t t = seqp;
        seqp = self;
        self = t;
    }
    ck_assert_int_eq(juxmem_data_id_new(&data), 0);
    juxmem_provider_t *p;
    ck_assert_int_eq(juxmem_provider_new(&self, NULL, 100, NULL, &p), 0);
    juxmem_member_t mem[2];
    memset(mem, 0, sizeof mem);
    mem[0].peer = seqp;
    mem[1].peer = self;
    ck_assert_int_eq(juxmem_provider_alloc(p, &data, 8, mem, 2, NULL, 1, 0), 0);
    juxmem_out_t o;
    juxmem_out_init(&o);
    uint64_t v;
    const uint64_t T = 1ull << 32;
    tu_log_capture();

    /* out of order: 3 and 2 wait for 1 */
    juxmem_pmsg_t u3 = update_msg(&data, &seqp, 1, 3, T + 3, 3);
    juxmem_pmsg_t u2 = update_msg(&data, &seqp, 1, 2, T + 2, 2);
    juxmem_pmsg_t u1 = update_msg(&data, &seqp, 1, 1, T + 1, 1);
    ck_assert_int_eq(juxmem_provider_handle(p, &u3, 1, &o), 0);
    ck_assert_int_eq(last_ack(&o, &v), JUXMEM__EBEHIND);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(juxmem_provider_handle(p, &u2, 2, &o), 0);
    ck_assert_int_eq(juxmem_provider_handle(p, &u3, 3, &o), 0); /* duplicate while buffered */
    ck_assert_int_eq(juxmem_provider_handle(p, &u1, 4, &o), 0);
    ck_assert_int_eq(last_ack(&o, &v), 0);
    ck_assert_uint_eq(v, 3);
    uint8_t b[8];
    ck_assert_int_eq(juxmem_provider_peek(p, &data, 0, b, 8), 0);
    ck_assert_uint_eq(b[1], 1);
    ck_assert_uint_eq(b[2], 2);
    ck_assert_uint_eq(b[3], 3);
    /* duplicates are acknowledged, not re-applied */
    ck_assert_int_eq(juxmem_provider_handle(p, &u2, 5, &o), 0);
    ck_assert_int_eq(last_ack(&o, &v), 0);
    ck_assert_uint_eq(v, 3);

    /* a stale token can never overwrite newer data */
    juxmem_pmsg_t st = update_msg(&data, &seqp, 1, 4, T + 2, 9);
    size_t logs = tu_log_count();
    ck_assert_int_eq(juxmem_provider_handle(p, &st, 6, &o), JUXMEM_ESTALE);
    ck_assert_int_eq(last_ack(&o, &v), JUXMEM_ESTALE);
    ck_assert_uint_gt(tu_log_count(), logs);
    ck_assert_int_eq(juxmem_provider_peek(p, &data, 4, b, 1), 0);
    ck_assert_uint_eq(b[0], 0);
    /* an update from a peer outside the group is refused */
    jxta_id_t stranger = peer_id(77);
    juxmem_pmsg_t sx = update_msg(&data, &stranger, 9, 4, 9 * T + 1, 9);
    ck_assert_int_eq(juxmem_provider_handle(p, &sx, 7, &o), JXTA_EPROTO);
    /* a former epoch is refused once a newer one was seen */
    juxmem_pmsg_t e2 = update_msg(&data, &seqp, 2, 4, 2 * T + 1, 4);
    ck_assert_int_eq(juxmem_provider_handle(p, &e2, 8, &o), 0);
    juxmem_pmsg_t e1 = update_msg(&data, &seqp, 1, 5, T + 9, 5);
    ck_assert_int_eq(juxmem_provider_handle(p, &e1, 9, &o), JUXMEM_ESTALE);
    juxmem_block_info_t info;
    ck_assert_int_eq(juxmem_provider_block_info(p, &data, 9, &info), 0);
    ck_assert_uint_eq(info.version, 4);
    ck_assert_uint_eq(info.epoch, 2);
    ck_assert_uint_eq(info.last_token, 2 * T + 1);
    ck_assert_int_eq(info.is_sequencer, 0);
    /* a non-sequencer redirects lock requests to the sequencer */
    juxmem_pmsg_t acq;
    juxmem_pmsg_init(&acq, JUXMEM_MSG_ACQUIRE, &data, &stranger);
    acq.seq = 1;
    acq.mode = JUXMEM_MODE_SHARED;
    ck_assert_int_eq(juxmem_provider_handle(p, &acq, 10, &o), JUXMEM__EREDIRECT);
    ck_assert_int_eq(o.v[o.n - 1].m.type, JUXMEM_MSG_DENY);
    ck_assert(jxta_id_equal(&o.v[o.n - 1].m.hint, &seqp));
    /* reads: exact version only */
    juxmem_pmsg_t rd;
    juxmem_pmsg_init(&rd, JUXMEM_MSG_READ, &data, &stranger);
    rd.seq = 2;
    rd.ref = 1;
    rd.size = 3;
    rd.version = 4;
    ck_assert_int_eq(juxmem_provider_handle(p, &rd, 11, &o), 0);
    ck_assert_int_eq(o.v[o.n - 1].m.type, JUXMEM_MSG_DATA);
    ck_assert_uint_eq(o.v[o.n - 1].m.ranges[0].data[0], 1);
    rd.version = 5;
    ck_assert_int_eq(juxmem_provider_handle(p, &rd, 12, &o), JUXMEM__EBEHIND);
    rd.version = 4;
    rd.size = 8;
    ck_assert_int_eq(juxmem_provider_handle(p, &rd, 13, &o), JUXMEM_ERANGE);
    juxmem_pmsg_t *all[] = {&u1, &u2, &u3, &st, &sx, &e2, &e1, &acq, &rd};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        juxmem_pmsg_clear(all[i]);
    tu_log_release();
    juxmem_out_clear(&o);
    juxmem_provider_free(p);
}
END_TEST

/* Found by fuzz_juxmem: an UPDATE claiming the last possible epoch made the
 * copy stand, later, for epoch 0 (overflow) and send an invalid VOTE.  It
 * now stays put, and everything it sends is valid. */
START_TEST(hostile_last_epoch)
{
    jxta_id_t self = peer_id(1), seq = peer_id(2), data;
    ck_assert_int_eq(juxmem_data_id_new(&data), 0);
    juxmem_provider_t *p;
    ck_assert_int_eq(juxmem_provider_new(&self, NULL, 4096, NULL, &p), 0);
    juxmem_member_t mem[2];
    memset(mem, 0, sizeof mem);
    mem[0].peer = self;
    mem[1].peer = seq;
    ck_assert_int_eq(juxmem_provider_alloc(p, &data, 64, mem, 2, &seq, 1, 0), 0);
    tu_log_capture();
    juxmem_out_t o;
    juxmem_out_init(&o);
    juxmem_pmsg_t u = update_msg(&data, &seq, UINT32_MAX, 1, ((uint64_t)UINT32_MAX << 32) | 1, 7);
    ck_assert_int_eq(juxmem_provider_handle(p, &u, 1, &o), 0);
    for (uint64_t t = 1000; t <= 400000; t += 1000)
        juxmem_provider_tick(p, t, &o);
    for (size_t i = 0; i < o.n; i++)
        ck_assert_int_eq(juxmem_pmsg_check(&o.v[i].m), 0);
    ck_assert_uint_ge(tu_log_count(), 1); /* "no term left" */
    tu_log_release();
    juxmem_pmsg_clear(&u);
    juxmem_out_clear(&o);
    juxmem_provider_free(p);
}
END_TEST

/* A VOTE carries the candidate's view, which voters with an older one
 * adopt.  From a peer outside our view that is only believed for a copy
 * re-created just before the sequencer died (the sender joins, at most one
 * member leaves, same term); any other view a non-member pushes leaves the
 * member list as it was, and its vote is refused. */
static juxmem_pmsg_t vote_msg(const jxta_id_t *data, const jxta_id_t *from, uint64_t view,
                              const jxta_id_t *members, size_t n)
{
    juxmem_pmsg_t v;
    juxmem_pmsg_init(&v, JUXMEM_MSG_VOTE, data, from);
    v.epoch = 2;
    v.version = 100;
    v.ref = 1;
    v.token = view;
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(juxmem_pmsg_add_member(&v, &members[i], "c"), 0);
    return v;
}

static int vote_status(const juxmem_out_t *o, const jxta_id_t *to)
{
    for (size_t i = o->n; i-- > 0;)
        if (o->v[i].m.type == JUXMEM_MSG_VOTED && jxta_id_equal(&o->v[i].to, to))
            return o->v[i].m.status;
    return 1;
}

static int is_member(const juxmem_block_info_t *info, const jxta_id_t *peer)
{
    for (size_t i = 0; i < info->nmembers; i++)
        if (jxta_id_equal(&info->members[i].peer, peer))
            return 1;
    return 0;
}

START_TEST(vote_view_from_outsider)
{
    jxta_id_t self = peer_id(1), seq = peer_id(2), other = peer_id(3), out = peer_id(9),
              out2 = peer_id(10), data;
    ck_assert_int_eq(juxmem_data_id_new(&data), 0);
    juxmem_provider_t *p;
    ck_assert_int_eq(juxmem_provider_new(&self, NULL, 4096, NULL, &p), 0);
    juxmem_member_t mem[3];
    memset(mem, 0, sizeof mem);
    mem[0].peer = self;
    mem[1].peer = seq;
    mem[2].peer = other;
    ck_assert_int_eq(juxmem_provider_alloc(p, &data, 64, mem, 3, &seq, 1, 0), 0);
    juxmem_out_t o;
    juxmem_out_init(&o);
    uint64_t now = 60000; /* the sequencer has long been silent */
    juxmem_block_info_t info;
    struct {
        uint64_t view;
        jxta_id_t m[5];
        size_t n;
    } bad[] = {
        {(1ull << 32) | 1, {self, out, out2}, 3},       /* two members replaced */
        {(1ull << 32) | 1, {self, seq, other, out, out2}, 5}, /* two added */
        {(2ull << 32) | 1, {self, seq, out}, 3},        /* a later term's view */
        {(1ull << 32) | 7, {self, seq, other, out}, 4}, /* far ahead in the term */
    };
    tu_log_capture();
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        juxmem_pmsg_t v = vote_msg(&data, &out, bad[k].view, bad[k].m, bad[k].n);
        juxmem_provider_handle(p, &v, now, &o);
        juxmem_pmsg_clear(&v);
        ck_assert_int_ne(vote_status(&o, &out), 0);
        ck_assert_int_eq(juxmem_provider_block_info(p, &data, now, &info), 0);
        ck_assert_uint_eq(info.nmembers, 3);
        ck_assert(is_member(&info, &seq) && is_member(&info, &other) && !is_member(&info, &out));
    }
    tu_log_release();
    /* the re-created copy's view (it joined, `other` left, same term) is taken */
    jxta_id_t good[3] = {self, seq, out};
    juxmem_pmsg_t v = vote_msg(&data, &out, (1ull << 32) | 2, good, 3);
    ck_assert_int_eq(juxmem_provider_handle(p, &v, now, &o), 0);
    juxmem_pmsg_clear(&v);
    ck_assert_int_eq(juxmem_provider_block_info(p, &data, now, &info), 0);
    ck_assert_uint_eq(info.nmembers, 3);
    ck_assert(is_member(&info, &out) && !is_member(&info, &other));
    ck_assert_int_eq(vote_status(&o, &out), 0);
    juxmem_out_clear(&o);
    juxmem_provider_free(p);
}
END_TEST

/* ---- the sequencer alone: reply cache, FIFO, shared locks, leases ------------------------- */

START_TEST(sequencer_requests)
{
    jxta_id_t self = peer_id(1), c1 = peer_id(2), c2 = peer_id(3), c3 = peer_id(4), data;
    ck_assert_int_eq(juxmem_data_id_new(&data), 0);
    juxmem_block_cfg_t cfg;
    juxmem_block_cfg_default(&cfg);
    cfg.lease_ms = 100;
    juxmem_provider_t *p;
    ck_assert_int_eq(juxmem_provider_new(&self, NULL, 100, &cfg, &p), 0);
    juxmem_member_t mem;
    memset(&mem, 0, sizeof mem);
    mem.peer = self;
    ck_assert_int_eq(juxmem_provider_alloc(p, &data, 16, &mem, 1, NULL, 1, 0), 0);
    juxmem_out_t o;
    juxmem_out_init(&o);
    juxmem_pmsg_t a1, a2;
    juxmem_pmsg_init(&a1, JUXMEM_MSG_ACQUIRE, &data, &c1);
    a1.seq = 1;
    a1.mode = JUXMEM_MODE_SHARED;
    juxmem_pmsg_init(&a2, JUXMEM_MSG_ACQUIRE, &data, &c2);
    a2.seq = 1;
    a2.mode = JUXMEM_MODE_SHARED;
    ck_assert_int_eq(juxmem_provider_handle(p, &a1, 0, &o), 0);
    ck_assert_int_eq(juxmem_provider_handle(p, &a2, 0, &o), 0);
    ck_assert_uint_eq(o.n, 2); /* two readers at once */
    ck_assert_int_eq(o.v[0].m.type, JUXMEM_MSG_GRANT);
    ck_assert_int_eq(o.v[1].m.type, JUXMEM_MSG_GRANT);
    uint64_t t1 = o.v[0].m.token, t2 = o.v[1].m.token;
    ck_assert_uint_gt(t2, t1);
    ck_assert_uint_eq(t1 >> 32, 1); /* epoch in the high half */
    /* a repeated acquire is answered from the cache with the same grant */
    ck_assert_int_eq(juxmem_provider_handle(p, &a1, 1, &o), 0);
    ck_assert_uint_eq(o.n, 3);
    ck_assert_uint_eq(o.v[2].m.token, t1);
    /* a writer waits for both readers */
    juxmem_pmsg_t a3;
    juxmem_pmsg_init(&a3, JUXMEM_MSG_ACQUIRE, &data, &c3);
    a3.seq = 1;
    a3.mode = JUXMEM_MODE_EXCL;
    juxmem_pmsg_t r2;
    juxmem_pmsg_init(&r2, JUXMEM_MSG_RELEASE, &data, &c2);
    r2.seq = 2;
    r2.token = t2;
    juxmem_out_clear(&o);
    ck_assert_int_eq(juxmem_provider_handle(p, &r2, 2, &o), 0);
    ck_assert_int_eq(o.v[0].m.type, JUXMEM_MSG_RELEASED);
    ck_assert_int_eq(o.v[0].m.status, 0);
    /* c1's shared grant is still held: the exclusive request waits until
     * that lease runs out */
    ck_assert_int_eq(juxmem_provider_handle(p, &a3, 3, &o), 0);
    ck_assert_uint_eq(o.n, 1);
    juxmem_block_info_t info;
    ck_assert_int_eq(juxmem_provider_block_info(p, &data, 3, &info), 0);
    ck_assert_int_eq(info.locked, 2);
    ck_assert_uint_eq(info.queued, 1);
    juxmem_provider_tick(p, 99, &o);
    ck_assert_uint_eq(o.n, 1);
    juxmem_provider_tick(p, 101, &o);
    ck_assert_uint_eq(o.n, 2);
    ck_assert_int_eq(o.v[1].m.type, JUXMEM_MSG_GRANT);
    uint64_t t3 = o.v[1].m.token;
    ck_assert_uint_gt(t3, t2);
    ck_assert_int_eq(juxmem_provider_block_info(p, &data, 101, &info), 0);
    ck_assert_int_eq(info.locked, 1);
    ck_assert(jxta_id_equal(&info.holder, &c3));
    /* renew extends the lease; a stale renew is refused */
    juxmem_pmsg_t rn;
    juxmem_pmsg_init(&rn, JUXMEM_MSG_ACQUIRE, &data, &c3);
    rn.seq = 3;
    rn.mode = JUXMEM_MODE_EXCL;
    rn.flags = JUXMEM_F_RENEW;
    rn.token = t3;
    ck_assert_int_eq(juxmem_provider_handle(p, &rn, 150, &o), 0);
    ck_assert_uint_eq(o.v[o.n - 1].m.token, t3);
    juxmem_provider_tick(p, 220, &o); /* would have expired at 201 */
    ck_assert_int_eq(juxmem_provider_block_info(p, &data, 220, &info), 0);
    ck_assert_int_eq(info.locked, 1);
    rn.seq = 4;
    rn.token = t1;
    ck_assert_int_eq(juxmem_provider_handle(p, &rn, 221, &o), JUXMEM_ESTALE);
    /* release with writes: single copy, answered at once with version 1 */
    juxmem_pmsg_t r1;
    juxmem_pmsg_init(&r1, JUXMEM_MSG_RELEASE, &data, &c3);
    r1.seq = 5;
    r1.token = t3;
    ck_assert_int_eq(juxmem_pmsg_add_range(&r1, 4, "abcd", 4), 0);
    size_t before = o.n;
    ck_assert_int_eq(juxmem_provider_handle(p, &r1, 222, &o), 0);
    ck_assert_int_eq(o.v[before].m.type, JUXMEM_MSG_RELEASED);
    ck_assert_int_eq(o.v[before].m.status, 0);
    ck_assert_uint_eq(o.v[before].m.version, 1);
    /* the same release again: same answer, applied once */
    ck_assert_int_eq(juxmem_provider_handle(p, &r1, 223, &o), 0);
    ck_assert_uint_eq(o.v[before + 1].m.version, 1);
    ck_assert_int_eq(juxmem_provider_block_info(p, &data, 223, &info), 0);
    ck_assert_uint_eq(info.version, 1);
    ck_assert_int_eq(info.locked, 0);
    /* released again with a new sequence number: the token is stale */
    r1.seq = 6;
    r1.token = t1;
    ck_assert_int_eq(juxmem_provider_handle(p, &r1, 224, &o), JUXMEM_ESTALE);
    /* an older request of the client is ignored */
    before = o.n;
    ck_assert_int_eq(juxmem_provider_handle(p, &a3, 225, &o), 0);
    ck_assert_uint_eq(o.n, before);
    char got[4];
    ck_assert_int_eq(juxmem_provider_peek(p, &data, 4, got, 4), 0);
    ck_assert(memcmp(got, "abcd", 4) == 0);
    /* a restarted client (numbers far below its last ones) is served */
    a2.seq = 1ull << 41;
    before = o.n;
    ck_assert_int_eq(juxmem_provider_handle(p, &a2, 226, &o), 0);
    ck_assert_int_eq(o.v[before].m.type, JUXMEM_MSG_GRANT);
    a2.seq = 3;
    ck_assert_int_eq(juxmem_provider_handle(p, &a2, 227, &o), 0);
    ck_assert_uint_eq(o.n, before + 2);
    ck_assert_int_eq(o.v[before + 1].m.type, JUXMEM_MSG_GRANT);
    a2.seq = 2; /* and its own late duplicates are still ignored */
    ck_assert_int_eq(juxmem_provider_handle(p, &a2, 228, &o), 0);
    ck_assert_uint_eq(o.n, before + 2);
    /* a client asking again gave up what it held (a lost GRANT, a CANCEL
     * gone astray): c2's shared grant does not block its exclusive request */
    a2.seq = 4;
    a2.mode = JUXMEM_MODE_EXCL;
    ck_assert_int_eq(juxmem_provider_handle(p, &a2, 229, &o), 0);
    ck_assert_uint_eq(o.n, before + 3);
    ck_assert_int_eq(o.v[before + 2].m.type, JUXMEM_MSG_GRANT);
    ck_assert_int_eq(o.v[before + 2].m.mode, JUXMEM_MODE_EXCL);
    ck_assert_int_eq(juxmem_provider_block_info(p, &data, 229, &info), 0);
    ck_assert_int_eq(info.locked, 1);
    ck_assert(jxta_id_equal(&info.holder, &c2));
    juxmem_pmsg_clear(&r1);
    juxmem_out_clear(&o);
    juxmem_provider_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("juxmem_block");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, memory_accounting);
    tcase_add_test(tc, many_blocks);
    tcase_add_test(tc, copy_orders_and_fences);
    tcase_add_test(tc, sequencer_requests);
    tcase_add_test(tc, hostile_last_epoch);
    tcase_add_test(tc, vote_view_from_outsider);
    suite_add_tcase(s, tc);
    TCase *net = tcase_create("simulated network");
    tcase_set_timeout(net, 120);
    tcase_add_test(net, counter_reordered);
    tcase_add_test(net, counter_reordered_duplicated);
    tcase_add_test(net, counter_lossy);
    tcase_add_test(net, no_torn_reads);
    tcase_add_test(net, dead_holder_loses_lock);
    tcase_add_test(net, lock_timeout_and_unreachable);
    tcase_add_test(net, renew_keeps_lock);
    tcase_add_test(net, sequencer_failover);
    tcase_add_test(net, partition_minority_refuses);
    tcase_add_test(net, view_change_then_failover);
    tcase_add_test(net, gone_peer_fast_failover);
    tcase_add_test(net, split_vote_settled_quickly);
    tcase_add_test(net, silent_copy_suspected_once);
    tcase_add_test(net, alloc_and_free_fanout);
    tcase_add_test(net, seed_sweep);
    suite_add_tcase(s, net);
    return tu_run(s);
}
