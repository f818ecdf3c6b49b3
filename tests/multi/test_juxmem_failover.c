/* test_juxmem_failover.c - JuxMem keeps its data and its service while
 * peers die with SIGKILL, with real processes on 127.0.0.1.
 *
 * The overlay: two rendezvous (rdv0, rdv1: every other peer is seeded with
 * both), one cluster "a" run by two managers (a primary and a backup) with
 * five providers (a sixth joins later), every daemon granting 2 s lock
 * leases.  The test process
 * is a libjuxmem client: it allocates an 8-byte counter with three copies
 * and runs an increment loop on a thread of its own (acquire, read, write
 * v + 1, release), counting the acknowledged releases (0), the refused ones
 * (JUXMEM_ESTALE: nothing written) and the indeterminate ones (any other
 * error: the write may or may not have been applied).  At every acquire
 * the value read must lie between the acknowledged count and that plus
 * the indeterminate ones: no acknowledged increment is ever lost.  While
 * the loop runs, in turn, with SIGKILL:
 *   1. a provider holding a copy (not the sequencer): the loop goes on, and
 *      juxmem_stat shows three live copies again (none the dead one), the
 *      sequencer reporting REPAIRED;
 *   2. the primary manager: the backup announces itself primary (the
 *      take-over time is printed), a provider joins, an allocation on every
 *      live provider (the new one included) is served, and a cluster
 *      advertisement names the backup first;
 *   3. a rendezvous (rdv0, the first seed of everybody);
 *   4. a lock holder (a `juxmem lock` process, killed while HOLDING): the
 *      loop gets the lock back when its lease ends;
 *   5. the sequencer (the copy with the lowest peer ID): another copy takes
 *      over, the loop goes on and the degree is restored again.
 * After each, the loop must make progress within a bound (the stall is
 * printed).  A second overlay (clusters "a" with three providers and "b"
 * with one) checks that a copy lost from a cluster left without room is
 * re-created in the other cluster, with the current data.  Every wait is bounded; every process is stopped by its PID;
 * the work directory is removed when the test passed. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>
#include <jxta/peer.h>

#include "../unit/testutil.h"
#include "juxmem.h"
#include "proc.h"
#include "service.h"

#ifndef TOOLS_DIR
#define TOOLS_DIR "tools"
#endif

static const char *daemon_bin = TOOLS_DIR "/juxmemd";
static const char *cli_bin = TOOLS_DIR "/juxmem";

#define LEASE_MS "2000"
#define NPROV 6 /* the last one joins after the primary manager's death */
#define COPIES 3

static char workdir[256];
static int passed;
static char rdv_addr[2][128];
static tproc_t *rdv[2], *mgr[2], *prov[NPROV];
static jxta_id_t mgr_id[2], prov_id[NPROV];
static juxmem_t *cli;

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the increment loop ------------------------------------------------------ */

static struct {
    pthread_t th;
    int running;
    pthread_mutex_t mu;
    int stop;               /* (mu) */
    jxta_id_t id;
    uint64_t acked, indet, stale, acq_fail; /* (mu) */
    uint64_t last_ack_ms;   /* (mu) */
    int bad;                /* (mu) a value outside [acked, acked + indet] */
    uint64_t bad_v, bad_acked, bad_indet;
} lp = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int loop_stopping(void)
{
    pthread_mutex_lock(&lp.mu);
    int s = lp.stop;
    pthread_mutex_unlock(&lp.mu);
    return s;
}

static void *incr_loop(void *arg)
{
    (void)arg;
    while (!loop_stopping()) {
        int rc = juxmem_acquire(cli, &lp.id);
        if (rc < 0) {
            pthread_mutex_lock(&lp.mu);
            lp.acq_fail++;
            pthread_mutex_unlock(&lp.mu);
            pause_ms(50);
            continue;
        }
        uint64_t v = 0;
        rc = juxmem_read(cli, &lp.id, 0, &v, sizeof v);
        if (rc == 0) {
            pthread_mutex_lock(&lp.mu);
            if (!lp.bad && (v < lp.acked || v > lp.acked + lp.indet)) {
                lp.bad = 1;
                lp.bad_v = v;
                lp.bad_acked = lp.acked;
                lp.bad_indet = lp.indet;
            }
            pthread_mutex_unlock(&lp.mu);
            v++;
            rc = juxmem_write(cli, &lp.id, 0, &v, sizeof v);
        }
        int wrote = rc == 0;
        rc = juxmem_release(cli, &lp.id);
        pthread_mutex_lock(&lp.mu);
        if (wrote && rc == 0) {
            lp.acked++;
            lp.last_ack_ms = tu_now_ms();
        } else if (wrote && rc == JUXMEM_ESTALE) {
            lp.stale++;
        } else if (wrote) {
            lp.indet++;
        }
        pthread_mutex_unlock(&lp.mu);
    }
    return NULL;
}

static uint64_t acked_now(void)
{
    pthread_mutex_lock(&lp.mu);
    uint64_t a = lp.acked;
    pthread_mutex_unlock(&lp.mu);
    return a;
}

static void check_invariant(void)
{
    pthread_mutex_lock(&lp.mu);
    int bad = lp.bad;
    uint64_t v = lp.bad_v, a = lp.bad_acked, i = lp.bad_indet;
    pthread_mutex_unlock(&lp.mu);
    ck_assert_msg(!bad, "counter read %" PRIu64 " with %" PRIu64 " acknowledged and %" PRIu64
                        " indeterminate increments", v, a, i);
}

/* The loop makes `n` more acknowledged increments within timeout_ms;
 * returns how long it took. */
static uint64_t wait_progress(uint64_t n, int timeout_ms, const char *after)
{
    uint64_t t0 = tu_now_ms(), from = acked_now();
    while (acked_now() < from + n && tu_now_ms() - t0 < (uint64_t)timeout_ms)
        pause_ms(20);
    check_invariant();
    ck_assert_msg(acked_now() >= from + n, "the loop stalled after %s (%" PRIu64 " acked)",
                  after, acked_now());
    return tu_now_ms() - t0;
}

static void loop_stop(void)
{
    if (!lp.running)
        return;
    pthread_mutex_lock(&lp.mu);
    lp.stop = 1;
    pthread_mutex_unlock(&lp.mu);
    pthread_join(lp.th, NULL);
    lp.running = 0;
}

/* ---- the overlay ------------------------------------------------------------ */

static tproc_t *spawn_daemon(const char *name, const char *const *opts)
{
    const char *extra[24] = {"--listen", "tcp://127.0.0.1:0", "--lock-lease-ms", LEASE_MS};
    size_t n = 4;
    for (int i = 0; i < 2; i++)
        if (rdv_addr[i][0]) {
            extra[n++] = "--seed";
            extra[n++] = rdv_addr[i];
        }
    for (size_t i = 0; opts[i]; i++)
        extra[n++] = opts[i];
    extra[n] = NULL;
    return tproc_peer(daemon_bin, workdir, name, extra);
}

static void ready_id(tproc_t *p, jxta_id_t *id)
{
    char line[512], text[256];
    ck_assert_msg(tproc_wait(p, "READY", 1, 15000, line, sizeof line), "%s not ready",
                  tproc_name(p));
    ck_assert(tproc_field(line, "peer", text, sizeof text));
    ck_assert_int_eq(jxta_id_from_string(id, text), 0);
}

/* The manager whose last role line says primary (-1: none). */
static int primary_index(void)
{
    int found = -1;
    for (int i = 0; i < 2; i++) {
        char line[512];
        size_t c = mgr[i] ? tproc_count(mgr[i], "MANAGER role=") : 0;
        if (c && tproc_wait(mgr[i], "MANAGER role=", c, 0, line, sizeof line) &&
            strstr(line, "role=primary"))
            found = found < 0 ? i : -2;
    }
    return found;
}

static void setup(void)
{
    passed = 0;
    memset(rdv_addr, 0, sizeof rdv_addr);
    tproc_workdir(workdir, sizeof workdir, "juxmem-failover");
    char line[512];
    const char *rdv_opts[] = {"--rdv", NULL};
    rdv[0] = spawn_daemon("rdv0", rdv_opts);
    ck_assert_msg(tproc_wait(rdv[0], "READY", 1, 15000, line, sizeof line), "rdv0 not ready");
    ck_assert(tproc_field(line, "listen", rdv_addr[0], sizeof rdv_addr[0]));
    rdv[1] = spawn_daemon("rdv1", rdv_opts);
    ck_assert_msg(tproc_wait(rdv[1], "READY", 1, 15000, line, sizeof line), "rdv1 not ready");
    ck_assert(tproc_field(line, "listen", rdv_addr[1], sizeof rdv_addr[1]));
    const char *mopts[] = {"--manager", "--cluster", "a", NULL};
    mgr[0] = spawn_daemon("mgr0", mopts);
    mgr[1] = spawn_daemon("mgr1", mopts);
    for (int i = 0; i < NPROV - 1; i++) {
        char name[16];
        snprintf(name, sizeof name, "prov%d", i);
        const char *popts[] = {"--provider", "1M", "--cluster", "a", NULL};
        prov[i] = spawn_daemon(name, popts);
    }
    for (int i = 0; i < 2; i++)
        ready_id(mgr[i], &mgr_id[i]);
    for (int i = 0; i < NPROV - 1; i++)
        ready_id(prov[i], &prov_id[i]);
    /* both managers know every provider; exactly one is primary */
    char want[64];
    snprintf(want, sizeof want, "MANAGER cluster=a providers=%d", NPROV - 1);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(tproc_wait(mgr[i], want, 1, 20000, NULL, 0), "mgr%d: no '%s'", i, want);
    uint64_t t0 = tu_now_ms();
    while (primary_index() < 0 && tu_now_ms() - t0 < 10000)
        tproc_pump(100);
    ck_assert_msg(primary_index() >= 0, "not exactly one primary manager");

    char home[512];
    snprintf(home, sizeof home, "%s/client", workdir);
    juxmem_options_t o;
    juxmem_options_default(&o);
    o.home = home;
    o.listen = "tcp://127.0.0.1:0";
    o.seeds[0] = rdv_addr[0];
    o.seeds[1] = rdv_addr[1];
    o.nseeds = 2;
    o.lock_lease_ms = 2000;
    o.timeout_ms = 15000;
    ck_assert_int_eq(juxmem_open(&o, &cli), 0);
}

/* The cross-cluster overlay: one rendezvous, cluster "a" (a manager, three
 * providers: full once one dies) and cluster "b" (a manager, one provider). */
static void setup_full(void)
{
    passed = 0;
    memset(rdv_addr, 0, sizeof rdv_addr);
    tproc_workdir(workdir, sizeof workdir, "juxmem-failover");
    char line[512];
    const char *rdv_opts[] = {"--rdv", NULL};
    rdv[0] = spawn_daemon("rdv0", rdv_opts);
    ck_assert_msg(tproc_wait(rdv[0], "READY", 1, 15000, line, sizeof line), "rdv0 not ready");
    ck_assert(tproc_field(line, "listen", rdv_addr[0], sizeof rdv_addr[0]));
    const char *ma[] = {"--manager", "--cluster", "a", NULL};
    const char *mb[] = {"--manager", "--cluster", "b", NULL};
    const char *pa[] = {"--provider", "1M", "--cluster", "a", NULL};
    const char *pb[] = {"--provider", "1M", "--cluster", "b", NULL};
    mgr[0] = spawn_daemon("mgr0", ma);
    mgr[1] = spawn_daemon("mgr1", mb);
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "prov%d", i);
        prov[i] = spawn_daemon(name, i < 3 ? pa : pb);
    }
    for (int i = 0; i < 2; i++)
        ready_id(mgr[i], &mgr_id[i]);
    for (int i = 0; i < 4; i++)
        ready_id(prov[i], &prov_id[i]);
    ck_assert(tproc_wait(mgr[0], "MANAGER cluster=a providers=3", 1, 20000, NULL, 0));
    ck_assert(tproc_wait(mgr[1], "MANAGER cluster=b providers=1", 1, 20000, NULL, 0));
    char home[512];
    snprintf(home, sizeof home, "%s/client", workdir);
    juxmem_options_t o;
    juxmem_options_default(&o);
    o.home = home;
    o.listen = "tcp://127.0.0.1:0";
    o.seeds[0] = rdv_addr[0];
    o.nseeds = 1;
    /* the client looks for its own cluster first: without it, it asks the
     * rendezvous for one cluster advertisement, which may be b's (too small) */
    o.cluster = "a";
    o.lock_lease_ms = 2000;
    o.timeout_ms = 15000;
    ck_assert_int_eq(juxmem_open(&o, &cli), 0);
}

static void teardown(void)
{
    loop_stop();
    juxmem_close(cli);
    cli = NULL;
    tproc_cleanup();
    memset(rdv, 0, sizeof rdv);
    memset(mgr, 0, sizeof mgr);
    memset(prov, 0, sizeof prov);
    if (passed)
        tproc_workdir_remove(workdir);
    else if (workdir[0])
        fprintf(stderr, "test_juxmem_failover: logs kept in %s\n", workdir);
}

static int sanitizer_report(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    int bad = 0;
    while (!bad && fgets(line, sizeof line, f))
        bad = strstr(line, "AddressSanitizer") || strstr(line, "LeakSanitizer") ||
              strstr(line, "runtime error:");
    fclose(f);
    return bad;
}

/* The end of a passing test: the client closes, every daemon still alive
 * stops cleanly on SIGTERM (exit 0) and no log holds a sanitizer report
 * (the killed ones' included). */
static void stop_all(void)
{
    juxmem_close(cli);
    cli = NULL;
    tproc_t *all[2 + 2 + NPROV] = {rdv[0], rdv[1], mgr[0], mgr[1]};
    for (int i = 0; i < NPROV; i++)
        all[4 + i] = prov[i];
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i])
            tproc_signal(all[i], SIGTERM);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) {
            int st = tproc_reap(all[i], 10000);
            ck_assert_msg(st == 0, "%s exit %d", tproc_name(all[i]), st);
        }
    const char *names[] = {"rdv0", "rdv1", "mgr0", "mgr1", "prov0", "prov1", "prov2", "prov3",
                           "prov4", "prov5", "holder"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.log", workdir, names[i]);
        ck_assert_msg(!sanitizer_report(path), "sanitizer report in %s", path);
    }
}

static void kill9(tproc_t **p)
{
    tproc_signal(*p, SIGKILL);
    ck_assert_int_eq(tproc_reap(*p, 5000), 128 + SIGKILL);
    *p = NULL;
}

/* The allocation may come before the cluster advertisement reaches the
 * rendezvous (or, after the primary died, while its advertisement still
 * lives there): retried for a bounded time. */
static int alloc_retry(uint64_t size, unsigned providers, int timeout_ms, jxta_id_t *id)
{
    uint64_t t0 = tu_now_ms();
    int rc;
    while ((rc = juxmem_alloc(cli, size, 1, providers, NULL, id)) < 0 &&
           tu_now_ms() - t0 < (uint64_t)timeout_ms)
        pause_ms(200);
    return rc;
}

/* A cluster advertisement for "a" whose first manager is `first`. */
static int adv_names_first(const jxta_id_t *first)
{
    jxta_adv_t **advs = NULL;
    size_t n = 0;
    int found = 0;
    if (jxta_peer_discover(juxmem_peer(cli), cli->jm, 2, "Name", "a", 8, 1500, &advs, &n) < 0)
        return 0;
    juxmem_cluster_info_t *ci = malloc(sizeof *ci);
    for (size_t i = 0; ci && i < n && !found; i++)
        found = juxmem_cluster_adv_get(advs[i], ci) == 0 && ci->nmanagers >= 1 &&
                jxta_id_equal(&ci->managers[0], first);
    free(ci);
    jxta_peer_free_advs(advs, n);
    return found;
}

/* The longest juxmem_stat call since it was last reset.  A stat waits up
 * to timeout_ms / copies (3 s here) for each copy that does not answer
 * before it asks the next: one that asked a dead peer first shows here. */
static uint64_t stat_longest_ms;

static int stat_restored(const jxta_id_t *dead, juxmem_stat_t *st)
{
    uint64_t t0 = tu_now_ms();
    int rc = juxmem_stat(cli, &lp.id, st);
    if (tu_now_ms() - t0 > stat_longest_ms)
        stat_longest_ms = tu_now_ms() - t0;
    if (rc < 0 || st->ncopies != COPIES || st->requested != COPIES || st->repairing)
        return 0;
    for (size_t i = 0; i < st->ncopies; i++)
        if (jxta_id_equal(&st->copies[i], dead))
            return 0;
    return 1;
}

START_TEST(test_failover_under_writes)
{
    uint64_t t_start = tu_now_ms();
    ck_assert_int_eq(alloc_retry(8, COPIES, 20000, &lp.id), 0);
    juxmem_stat_t *st = calloc(1, sizeof *st);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(juxmem_stat(cli, &lp.id, st), 0);
    ck_assert_uint_eq(st->ncopies, COPIES);
    lp.stop = 0;
    ck_assert_int_eq(pthread_create(&lp.th, NULL, incr_loop, NULL), 0);
    lp.running = 1;
    wait_progress(5, 15000, "start");

    /* 1. a provider holding a copy, not the sequencer (the lowest ID) */
    size_t low = 0, high = 0;
    for (size_t i = 1; i < st->ncopies; i++) {
        if (jxta_id_cmp(&st->copies[i], &st->copies[low]) < 0)
            low = i;
        if (jxta_id_cmp(&st->copies[i], &st->copies[high]) > 0)
            high = i;
    }
    int victim = -1, seq = -1;
    for (int i = 0; i < NPROV; i++) {
        if (jxta_id_equal(&prov_id[i], &st->copies[high]))
            victim = i;
        if (jxta_id_equal(&prov_id[i], &st->copies[low]))
            seq = i;
    }
    ck_assert_int_ge(victim, 0);
    ck_assert_int_ge(seq, 0);
    jxta_id_t dead = prov_id[victim];
    uint64_t t0 = tu_now_ms();
    kill9(&prov[victim]);
    uint64_t stall = wait_progress(3, 20000, "a provider's death");
    while (!stat_restored(&dead, st) && tu_now_ms() - t0 < 30000)
        pause_ms(250);
    ck_assert_msg(stat_restored(&dead, st), "degree not restored: %zu copies of %u, repairing %d",
                  st->ncopies, st->requested, st->repairing);
    uint64_t t_degree = tu_now_ms() - t0;
    ck_assert_msg(tproc_wait(prov[seq], "REPAIRED data=", 1, 5000, NULL, 0),
                  "no REPAIRED line from the sequencer");
    /* REPAIRED names the new copy: not the dead peer, one of the copies the
     * stat lists now, the one the sequencer re-created, three copies */
    char line[512], text[256], made[256];
    ck_assert(tproc_wait(prov[seq], "REPAIRED data=", 1, 0, line, sizeof line));
    ck_assert_msg(tproc_field(line, "peer", text, sizeof text) && strstr(line, "copies=3"), "%s",
                  line);
    jxta_id_t fresh;
    ck_assert_int_eq(jxta_id_from_string(&fresh, text), 0);
    ck_assert_msg(!jxta_id_equal(&fresh, &dead), "re-created on the dead peer: %s", line);
    int listed = 0;
    for (size_t i = 0; i < st->ncopies; i++)
        listed |= jxta_id_equal(&st->copies[i], &fresh);
    ck_assert_msg(listed, "the re-created copy %s is not among the block's copies", text);
    ck_assert(tproc_wait(prov[seq], "COPY recreated data=", 1, 0, line, sizeof line));
    ck_assert(tproc_field(line, "peer", made, sizeof made));
    ck_assert_str_eq(made, text);
    fprintf(stderr, "provider killed: loop went on in %" PRIu64 " ms, 3 copies again in %" PRIu64
                    " ms\n", stall, t_degree);

    /* 2. the primary manager */
    int p = primary_index();
    ck_assert_int_ge(p, 0);
    int b = 1 - p;
    size_t before = tproc_count(mgr[b], "MANAGER role=primary");
    t0 = tu_now_ms();
    kill9(&mgr[p]);
    ck_assert_msg(tproc_wait(mgr[b], "MANAGER role=primary", before + 1, 15000, NULL, 0),
                  "the backup manager did not take over");
    uint64_t takeover = tu_now_ms() - t0;
    /* a provider joins now: the backup counts it, and an allocation on
     * every live provider (the four left and the new one) is served */
    const char *popts[] = {"--provider", "1M", "--cluster", "a", NULL};
    prov[NPROV - 1] = spawn_daemon("prov5", popts);
    ready_id(prov[NPROV - 1], &prov_id[NPROV - 1]);
    jxta_id_t other;
    ck_assert_int_eq(alloc_retry(4096, NPROV - 1, 30000, &other), 0);
    uint64_t t_alloc = tu_now_ms() - t0;
    juxmem_stat_t *st2 = calloc(1, sizeof *st2);
    ck_assert_ptr_nonnull(st2);
    ck_assert_int_eq(juxmem_stat(cli, &other, st2), 0);
    int joined = 0;
    for (size_t i = 0; i < st2->ncopies; i++)
        joined |= jxta_id_equal(&st2->copies[i], &prov_id[NPROV - 1]);
    ck_assert_msg(st2->ncopies == NPROV - 1 && joined, "the joining provider holds no copy");
    free(st2);
    ck_assert_int_eq(juxmem_free(cli, &other), 0);
    uint64_t t1 = tu_now_ms();
    while (!adv_names_first(&mgr_id[b]) && tu_now_ms() - t1 < 15000)
        pause_ms(250);
    ck_assert_msg(adv_names_first(&mgr_id[b]), "no cluster advertisement names the backup first");
    stall = wait_progress(3, 10000, "the primary manager's death");
    fprintf(stderr, "primary manager killed: backup primary after %" PRIu64 " ms, allocation "
                    "served after %" PRIu64 " ms\n", takeover, t_alloc);

    /* 3. a rendezvous (everybody's first seed) */
    kill9(&rdv[0]);
    stall = wait_progress(3, 20000, "a rendezvous' death");
    fprintf(stderr, "rendezvous killed: loop went on in %" PRIu64 " ms\n", stall);

    /* 4. a lock holder */
    char home[512], idtext[JXTA_ID_TEXT_MAX + 1];
    jxta_id_text_t t;
    snprintf(home, sizeof home, "%s/holder", workdir);
    snprintf(idtext, sizeof idtext, "%s", jxta_id_str(&lp.id, &t));
    const char *argv[] = {cli_bin, "--home", home, "--seed", rdv_addr[1], "lock", idtext,
                          "--hold-ms", "60000", NULL};
    tproc_t *holder = tproc_spawn("holder", workdir, argv);
    ck_assert_msg(tproc_wait(holder, "HOLDING", 1, 30000, NULL, 0), "the holder got no lock");
    t0 = tu_now_ms();
    kill9(&holder);
    stall = wait_progress(3, 15000, "a lock holder's death");
    fprintf(stderr, "lock holder killed: loop went on in %" PRIu64 " ms\n", stall);

    /* 5. the sequencer itself (the copy with the lowest peer ID) */
    dead = prov_id[seq];
    t0 = tu_now_ms();
    kill9(&prov[seq]);
    stall = wait_progress(3, 30000, "the sequencer's death");
    stat_longest_ms = 0;
    while (!stat_restored(&dead, st) && tu_now_ms() - t0 < 40000)
        pause_ms(250);
    ck_assert_msg(stat_restored(&dead, st), "degree not restored: %zu copies of %u, repairing %d",
                  st->ncopies, st->requested, st->repairing);
    fprintf(stderr, "sequencer killed: loop went on in %" PRIu64 " ms, 3 copies again in %" PRIu64
                    " ms (longest stat %" PRIu64 " ms)\n", stall, tu_now_ms() - t0,
            stat_longest_ms);
    /* the client's stat asks the sequencer it follows now and the live
     * copies before the dead one: no stat waits out the dead sequencer */
    ck_assert_msg(stat_longest_ms < 3000, "a stat took %" PRIu64 " ms: it waited for the dead "
                  "sequencer", stat_longest_ms);

    /* the end: every acknowledged increment is there, three copies */
    loop_stop();
    check_invariant();
    ck_assert_int_eq(juxmem_acquire_read(cli, &lp.id), 0);
    uint64_t v = 0;
    ck_assert_int_eq(juxmem_read(cli, &lp.id, 0, &v, sizeof v), 0);
    ck_assert_int_eq(juxmem_release(cli, &lp.id), 0);
    fprintf(stderr, "final %" PRIu64 ": %" PRIu64 " acknowledged, %" PRIu64
                    " indeterminate, %" PRIu64 " refused, %" PRIu64 " failed acquires; %" PRIu64
                    " ms in all\n", v, lp.acked, lp.indet, lp.stale, lp.acq_fail,
            tu_now_ms() - t_start);
    ck_assert_uint_ge(v, lp.acked);
    ck_assert_uint_le(v, lp.acked + lp.indet);
    t0 = tu_now_ms();
    while (!stat_restored(&dead, st) && tu_now_ms() - t0 < 15000)
        pause_ms(250);
    ck_assert_msg(stat_restored(&dead, st), "%zu copies at the end", st->ncopies);
    free(st);
    stop_all();
    passed = 1;
}
END_TEST

/* A copy lost in a cluster with no room left is re-created in another. */
START_TEST(test_repair_in_other_cluster)
{
    ck_assert_int_eq(alloc_retry(8, COPIES, 20000, &lp.id), 0);
    juxmem_stat_t *st = calloc(1, sizeof *st);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(juxmem_stat(cli, &lp.id, st), 0);
    ck_assert_uint_eq(st->ncopies, COPIES);
    size_t low = 0, high = 0;
    for (size_t i = 0; i < st->ncopies; i++) {
        ck_assert_str_eq(st->copy_cluster[i], "a");
        if (jxta_id_cmp(&st->copies[i], &st->copies[low]) < 0)
            low = i;
        if (jxta_id_cmp(&st->copies[i], &st->copies[high]) > 0)
            high = i;
    }
    int victim = -1, seq = -1;
    for (int i = 0; i < 3; i++) {
        if (jxta_id_equal(&prov_id[i], &st->copies[high]))
            victim = i;
        if (jxta_id_equal(&prov_id[i], &st->copies[low]))
            seq = i;
    }
    ck_assert_int_ge(victim, 0);
    ck_assert_int_ge(seq, 0);
    /* some writes first: the new copy must get them */
    for (uint64_t v = 1; v <= 5; v++) {
        ck_assert_int_eq(juxmem_acquire(cli, &lp.id), 0);
        ck_assert_int_eq(juxmem_write(cli, &lp.id, 0, &v, sizeof v), 0);
        ck_assert_int_eq(juxmem_release(cli, &lp.id), 0);
    }
    jxta_id_t dead = prov_id[victim];
    uint64_t t0 = tu_now_ms();
    kill9(&prov[victim]);
    while (!stat_restored(&dead, st) && tu_now_ms() - t0 < 40000)
        pause_ms(250);
    ck_assert_msg(stat_restored(&dead, st), "degree not restored: %zu copies of %u, repairing %d",
                  st->ncopies, st->requested, st->repairing);
    int in_b = 0;
    for (size_t i = 0; i < st->ncopies; i++)
        in_b |= strcmp(st->copy_cluster[i], "b") == 0 && jxta_id_equal(&st->copies[i], &prov_id[3]);
    ck_assert_msg(in_b, "the new copy is not on cluster b's provider");
    ck_assert_msg(tproc_wait(prov[seq], "REPAIRED data=", 1, 5000, NULL, 0), "no REPAIRED line");
    char line[512];
    ck_assert(tproc_wait(prov[seq], "REPAIRED data=", 1, 0, line, sizeof line));
    ck_assert_msg(strstr(line, "cluster=b") && strstr(line, "copies=3"), "%s", line);
    fprintf(stderr, "copy lost in a full cluster: re-created in the other in %" PRIu64 " ms\n",
            tu_now_ms() - t0);
    /* the new copy holds the data: read it with the sequencer gone too (at
     * once: REPAIRED comes once every member knows the new member list) */
    kill9(&prov[seq]);
    t0 = tu_now_ms();
    uint64_t v = 0;
    int rc, tries = 0;
    /* until the two copies left have elected a sequencer (a majority) */
    while ((rc = juxmem_acquire_read(cli, &lp.id)) < 0 && tu_now_ms() - t0 < 45000) {
        tries++;
        pause_ms(200);
    }
    fprintf(stderr, "then the sequencer killed: read after %" PRIu64 " ms (%d failed tries)\n",
            tu_now_ms() - t0, tries);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(juxmem_read(cli, &lp.id, 0, &v, sizeof v), 0);
    ck_assert_int_eq(juxmem_release(cli, &lp.id), 0);
    ck_assert_uint_eq(v, 5);
    free(st);
    stop_all();
    passed = 1;
}
END_TEST

int main(void)
{
    Suite *s = suite_create("juxmem fail-over (multi-process)");
    TCase *tc = tcase_create("failover");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 150);
    tcase_add_test(tc, test_failover_under_writes);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("full cluster");
    tcase_add_checked_fixture(tf, setup_full, teardown);
    tcase_set_timeout(tf, 120);
    tcase_add_test(tf, test_repair_in_other_cluster);
    suite_add_tcase(s, tf);
    SRunner *sr = srunner_create(s);
    /* No fork: a failed assertion returns to the runner, which then runs the
     * teardown (stopping the loop and every process by its PID). */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
