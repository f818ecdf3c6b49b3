/* test_juxmem_churn.c - JuxMem data stays available and correct while
 * providers come and go (issue 7).
 *
 * Real juxmemd processes on 127.0.0.1: a rendezvous, a manager and 16
 * providers in cluster c0.  An in-process client (libjuxmem) allocates a
 * block with 3 copies; a worker thread runs lock/read/write/release loops
 * on it (three exclusive read-modify-writes of a unique value, then one
 * shared read), every operation recorded in a history (tools/history.h).
 * Every 2 s for 60 s a provider holding a copy (juxmem_stat's copies,
 * matched to a process by its READY peer=<id> line) is killed with SIGKILL
 * and a fresh provider joins, so the pool keeps 16 providers.  Kills 2, 6,
 * 10, ... take the sequencer's provider (the one that printed SEQUENCER),
 * the others a copy chosen at random among the rest, so every run covers
 * both a copy's loss and the sequencer's.  After each
 * kill the test asserts, each within a bound:
 *   - the degree is restored: stat shows `requested` copies again, none of
 *     them the killed peer;
 *   - the data is available: the worker gets another write acknowledged.
 * At the end the history checker must find no violation (no acknowledged
 * write lost, every read current, no value out of nowhere), every
 * surviving daemon stops cleanly on SIGTERM and no log holds a sanitizer
 * report.  JXTA_TEST_SCALE=N shortens the run to 60/N s (at least 3
 * kills).  The next kill waits for the previous repair, so a slow repair
 * stretches the run instead of killing a majority of the copies at once;
 * the repair bound fails the test first.  Every wait is bounded, every
 * process stopped by PID (the runner does not fork, so the teardown always
 * runs), and the work directory, with every log and the history as CSV, is
 * kept when the test fails. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jxta.h>

#include "../../tools/history.h"
#include "../unit/testutil.h"
#include "juxmem.h"
#include "proc.h"

#ifndef TOOLS_DIR
#define TOOLS_DIR "tools"
#endif

static const char *daemon_bin = TOOLS_DIR "/juxmemd";

#define NPROVIDERS 16
#define COPIES 3
#define KILL_EVERY_MS 2000
#define RUN_MS 60000
#define FAIL_MS "2000"  /* juxmemd --fail-ms: a dead copy is dropped after 2 s, a dead
                           sequencer replaced after about 4 s */
#define RESTORE_MS 15000 /* a kill's repair: degree back to COPIES */
#define PROGRESS_MS 10000 /* an acknowledged write after each repair */
#define BLOCK_SIZE 4096
#define MAX_PROVS 56 /* tests/multi/proc.c tracks 64 processes */

static char workdir[256];
static int passed;
static char rdv_addr[128];
static tproc_t *rdv, *mgr;
static tproc_t *provs[MAX_PROVS];
static char peers[MAX_PROVS][JXTA_ID_TEXT_MAX];
static int dead[MAX_PROVS];
static size_t nprovs;
static uint64_t t_setup, t_ready;

static juxmem_t *client;
static jxta_id_t block;
static jm_hist_t *hist;

static unsigned long scaled(unsigned long n)
{
    const char *s = getenv("JXTA_TEST_SCALE");
    unsigned long d = s ? strtoul(s, NULL, 10) : 1;
    return d > 1 && n / d > 0 ? n / d : n;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t le64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void le64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the worker ---------------------------------------------------------------
 * It never asserts (Check's assertions belong to the main thread): it
 * records every operation and counts the acknowledged writes. */

static pthread_t worker;
static int worker_running;
static atomic_int worker_stop;
static atomic_ulong acked, failed, indet;
static uint64_t t0_us;

static void worker_op(unsigned long i, uint64_t *counter)
{
    int shared = i % 4 == 3;
    jm_hist_op_t h = {.client = 1, .kind = shared ? JM_HIST_READ : JM_HIST_RMW};
    h.start_us = now_us() - t0_us;
    int rc = shared ? juxmem_acquire_read(client, &block) : juxmem_acquire(client, &block);
    uint8_t buf[BLOCK_SIZE];
    if (rc < 0) {
        h.outcome = JM_HIST_FAIL;
    } else {
        rc = juxmem_read(client, &block, 0, buf, 8);
        if (rc == 0)
            h.read = le64_get(buf);
        if (rc == 0 && !shared) {
            h.written = (++*counter << 8) | 1;
            memset(buf, (int)(h.written & 0xff), sizeof buf);
            le64_put(buf, h.written);
            rc = juxmem_write(client, &block, 0, buf, sizeof buf);
        }
        if (rc < 0) {
            juxmem_release(client, &block);
            h.outcome = JM_HIST_FAIL;
        } else {
            h.outcome = juxmem_release(client, &block) == 0 ? JM_HIST_OK : JM_HIST_INDET;
        }
    }
    h.end_us = now_us() - t0_us;
    if (h.outcome == JM_HIST_FAIL)
        h.written = 0;
    jm_hist_add(hist, &h);
    if (h.outcome == JM_HIST_OK && !shared)
        atomic_fetch_add(&acked, 1);
    else if (h.outcome == JM_HIST_FAIL)
        atomic_fetch_add(&failed, 1);
    else if (h.outcome == JM_HIST_INDET)
        atomic_fetch_add(&indet, 1);
    if (h.outcome != JM_HIST_OK)
        pause_ms(20); /* no busy loop on an error returned at once */
}

static void *worker_main(void *arg)
{
    (void)arg;
    uint64_t counter = 0;
    for (unsigned long i = 0; !atomic_load(&worker_stop); i++)
        worker_op(i, &counter);
    return NULL;
}

static void worker_join(void)
{
    if (!worker_running)
        return;
    atomic_store(&worker_stop, 1);
    pthread_join(worker, NULL);
    worker_running = 0;
}

/* ---- the overlay ------------------------------------------------------------- */

static tproc_t *spawn_daemon(const char *name, const char *const *opts)
{
    const char *extra[24] = {"--listen", "tcp://127.0.0.1:0", "--fail-ms", FAIL_MS};
    size_t n = 4;
    if (rdv_addr[0]) {
        extra[n++] = "--seed";
        extra[n++] = rdv_addr;
    }
    for (size_t i = 0; opts[i]; i++)
        extra[n++] = opts[i];
    extra[n] = NULL;
    return tproc_peer(daemon_bin, workdir, name, extra);
}

static unsigned prov_seq;

static size_t spawn_provider(void)
{
    ck_assert_uint_lt(nprovs, MAX_PROVS);
    char name[32];
    snprintf(name, sizeof name, "prov-%u", prov_seq++);
    const char *popts[] = {"--provider", "4M", "--cluster", "c0", NULL};
    provs[nprovs] = spawn_daemon(name, popts);
    peers[nprovs][0] = '\0';
    dead[nprovs] = 0;
    return nprovs++;
}

static void wait_provider_ready(size_t i)
{
    char line[512];
    ck_assert_msg(tproc_wait(provs[i], "READY", 1, 20000, line, sizeof line), "%s not ready",
                  tproc_name(provs[i]));
    ck_assert(tproc_field(line, "peer", peers[i], sizeof peers[i]));
}

static void setup(void)
{
    passed = 0;
    nprovs = 0;
    prov_seq = 0;
    rdv_addr[0] = '\0';
    client = NULL;
    hist = NULL;
    worker_running = 0;
    atomic_store(&worker_stop, 0);
    atomic_store(&acked, 0);
    atomic_store(&failed, 0);
    atomic_store(&indet, 0);
    t_setup = tu_now_ms();
    tproc_workdir(workdir, sizeof workdir, "juxmem-churn");
    char line[512];
    const char *rdv_opts[] = {"--rdv", NULL};
    rdv = spawn_daemon("rdv", rdv_opts);
    ck_assert_msg(tproc_wait(rdv, "READY", 1, 15000, line, sizeof line), "rdv not ready");
    ck_assert(tproc_field(line, "listen", rdv_addr, sizeof rdv_addr));
    const char *mopts[] = {"--manager", "--cluster", "c0", NULL};
    mgr = spawn_daemon("mgr-c0", mopts);
    for (int k = 0; k < NPROVIDERS; k++)
        spawn_provider();
    ck_assert_msg(tproc_wait(mgr, "READY", 1, 15000, NULL, 0), "manager not ready");
    for (size_t i = 0; i < nprovs; i++)
        wait_provider_ready(i);
    char want[64];
    snprintf(want, sizeof want, "MANAGER cluster=c0 providers=%d", NPROVIDERS);
    ck_assert_msg(tproc_wait(mgr, want, 1, 30000, NULL, 0), "manager: no '%s'", want);

    char home[512];
    snprintf(home, sizeof home, "%s/client", workdir);
    juxmem_options_t jo;
    juxmem_options_default(&jo);
    jo.home = home;
    jo.name = "client";
    jo.listen = "tcp://127.0.0.1:0";
    jo.seeds[0] = rdv_addr;
    jo.nseeds = 1;
    jo.timeout_ms = 5000;
    jo.fail_ms = strtoull(FAIL_MS, NULL, 10);
    ck_assert_int_eq(juxmem_open(&jo, &client), 0);
    juxmem_attr_t attr;
    juxmem_attr_default(&attr);
    uint64_t end = tu_now_ms() + 30000;
    int rc;
    while ((rc = juxmem_alloc(client, BLOCK_SIZE, 1, COPIES, &attr, &block)) ==
               JUXMEM_ENOCLUSTER &&
           tu_now_ms() < end)
        pause_ms(100);
    ck_assert_msg(rc == 0, "allocation: %s", juxmem_strerror(rc));
    hist = jm_hist_new();
    ck_assert_ptr_nonnull(hist);
    t_ready = tu_now_ms();
}

static void save_history(void)
{
    if (!hist || !workdir[0])
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/history.csv", workdir);
    jm_hist_save_file(hist, path);
}

static void teardown(void)
{
    worker_join();
    if (!passed)
        save_history();
    if (client)
        juxmem_close(client);
    client = NULL;
    jm_hist_free(hist);
    hist = NULL;
    tproc_cleanup();
    if (passed)
        tproc_workdir_remove(workdir);
    else if (workdir[0])
        fprintf(stderr, "test_juxmem_churn: logs and history.csv kept in %s\n", workdir);
}

/* ---- stat helpers ------------------------------------------------------------ */

typedef struct degree {
    int rc;
    juxmem_stat_t st;
} degree_t;

static void stat_block(degree_t *d)
{
    d->rc = juxmem_stat(client, &block, &d->st);
}

static int holds_copy(const juxmem_stat_t *st, const char *peer)
{
    for (size_t c = 0; c < st->ncopies && c < JUXMEM_MAX_COPIES; c++) {
        char text[JXTA_ID_TEXT_MAX];
        jxta_id_format(&st->copies[c], text, sizeof text);
        if (strcmp(text, peer) == 0)
            return 1;
    }
    return 0;
}

/* Is provs[i] the block's sequencer?  The only live provider that ever
 * printed SEQUENCER (every former one was killed by this test). */
static int is_sequencer(size_t i)
{
    tproc_pump(0);
    return tproc_count(provs[i], "SEQUENCER") > 0;
}

/* A live provider process holding a copy, chosen at random among the
 * sequencer (want_seq) or the others; waits (bounded) for a stat that
 * names one. */
static size_t pick_victim(unsigned *rng, int want_seq)
{
    uint64_t end = tu_now_ms() + 5000;
    degree_t d;
    for (;;) {
        stat_block(&d);
        size_t cand[JUXMEM_MAX_COPIES], nc = 0;
        for (size_t i = 0; d.rc == 0 && i < nprovs; i++)
            if (!dead[i] && peers[i][0] && holds_copy(&d.st, peers[i]) &&
                is_sequencer(i) == want_seq && nc < JUXMEM_MAX_COPIES)
                cand[nc++] = i;
        if (nc > 0) {
            *rng = *rng * 1103515245u + 12345u;
            return cand[(*rng >> 16) % nc];
        }
        ck_assert_msg(tu_now_ms() < end,
                      "no live provider process holds a copy%s: stat %s, %zu copies",
                      want_seq ? " as sequencer" : " but the sequencer",
                      juxmem_strerror(d.rc), d.rc == 0 ? d.st.ncopies : 0);
        pause_ms(50);
    }
}

/* What each daemon reported (event lines counted), for a failure's log. */
static void dump_events(void)
{
    static const char *const what[] = {"COPY added", "COPY-LOST", "SEQUENCER", "REPAIRED",
                                       "REPAIR-FAILED", "COPY freed"};
    tproc_pump(0);
    for (size_t i = 0; i < nprovs + 1; i++) {
        tproc_t *p = i < nprovs ? provs[i] : mgr;
        char line[256];
        int n = snprintf(line, sizeof line, "  %s%s:", tproc_name(p),
                         i < nprovs && dead[i] ? " (killed)" : "");
        int any = 0;
        for (size_t w = 0; w < sizeof what / sizeof what[0] && n > 0 && (size_t)n < sizeof line;
             w++) {
            size_t c = tproc_count(p, what[w]);
            if (c) {
                n += snprintf(line + n, sizeof line - (size_t)n, " %s x%zu", what[w], c);
                any = 1;
            }
        }
        if (any)
            fprintf(stderr, "%s\n", line);
    }
}

/* The longest juxmem_stat call of the run.  A stat waits for each copy
 * it asks that does not answer (at most 3 s) before the next, unless the
 * endpoint says that peer ended (the wait then ends at once).  Every
 * victim here held a copy the client had warmed a connection to, so no
 * stat should wait at all: once one asked the victim first for 1.9 s (no
 * verdict ended the wait), and earlier, when the client's list of copies
 * kept every dead copy ever seen, a stat at the end of a run took 13 s. */
static uint64_t stat_longest_ms;
#define STAT_BOUND_MS 1500

/* Poll until the degree is back without the killed peer; returns the time
 * it took (ms), failing the test after RESTORE_MS. */
static uint64_t wait_restored(const char *killed, uint64_t t_kill, unsigned k)
{
    degree_t d = {0};
    for (;;) {
        uint64_t t_stat = tu_now_ms();
        stat_block(&d);
        if (tu_now_ms() - t_stat > stat_longest_ms)
            stat_longest_ms = tu_now_ms() - t_stat;
        if (d.rc == 0 && d.st.requested == COPIES && d.st.ncopies == d.st.requested &&
            !holds_copy(&d.st, killed) && !d.st.repairing && !d.st.why)
            return tu_now_ms() - t_kill;
        if (tu_now_ms() - t_kill > RESTORE_MS)
            break;
        pause_ms(50);
    }
    fprintf(stderr, "test_juxmem_churn: event lines of the daemons so far:\n");
    dump_events();
    ck_abort_msg("kill %u: degree not restored %d ms after the kill: stat %s, ncopies %zu of "
                 "%u, killed peer %s, repairing %d, why %s",
                 k, RESTORE_MS, juxmem_strerror(d.rc), d.rc == 0 ? d.st.ncopies : 0,
                 d.rc == 0 ? d.st.requested : 0,
                 d.rc == 0 && holds_copy(&d.st, killed) ? "still listed" : "gone",
                 d.rc == 0 ? d.st.repairing : -1, juxmem_strerror(d.rc == 0 ? d.st.why : 0));
    return 0;
}

/* An acknowledged write after `since` ones: the data is available again. */
static void wait_progress(unsigned long since, unsigned k)
{
    uint64_t end = tu_now_ms() + PROGRESS_MS;
    while (atomic_load(&acked) <= since && tu_now_ms() < end)
        pause_ms(10);
    ck_assert_msg(atomic_load(&acked) > since,
                  "kill %u: no write acknowledged for %d ms after the repair (%lu failed, %lu "
                  "indeterminate so far)",
                  k, PROGRESS_MS, atomic_load(&failed), atomic_load(&indet));
}

/* ---- the test ------------------------------------------------------------------ */

START_TEST(test_churn_keeps_data)
{
    unsigned long run_ms = scaled(RUN_MS);
    unsigned rng = (unsigned)time(NULL);
    fprintf(stderr,
            "test_juxmem_churn: a kill every %d ms (or once the previous one is repaired) for "
            "%lu ms, at least 3 (victim seed %u)\n",
            KILL_EVERY_MS, run_ms, rng);
    t0_us = now_us();
    ck_assert_int_eq(pthread_create(&worker, NULL, worker_main, NULL), 0);
    worker_running = 1;
    uint64_t start = tu_now_ms(), sum_restore = 0, max_restore = 0;
    uint64_t due = start + KILL_EVERY_MS;
    unsigned nkills = 0;
    for (unsigned k = 1; k <= 3 || due <= start + run_ms; k++) {
        if (tu_now_ms() < due)
            pause_ms((long)(due - tu_now_ms()));
        due += KILL_EVERY_MS;
        nkills = k;
        size_t v = pick_victim(&rng, k % 4 == 2);
        char killed[JXTA_ID_TEXT_MAX];
        snprintf(killed, sizeof killed, "%s", peers[v]);
        unsigned long before = atomic_load(&acked);
        uint64_t t_kill = tu_now_ms();
        tproc_signal(provs[v], SIGKILL);
        ck_assert_int_eq(tproc_reap(provs[v], 5000), 128 + SIGKILL);
        dead[v] = 1;
        size_t fresh = spawn_provider();
        wait_provider_ready(fresh);
        fprintf(stderr, "test_juxmem_churn: %5.1f s kill %u: %s%s\n",
                (double)(t_kill - start) / 1000.0, k, tproc_name(provs[v]),
                k % 4 == 2 ? " (the sequencer)" : "");
        uint64_t took = wait_restored(killed, t_kill, k);
        fprintf(stderr, "test_juxmem_churn: %5.1f s   degree restored after %llu ms\n",
                (double)(tu_now_ms() - start) / 1000.0, (unsigned long long)took);
        sum_restore += took;
        max_restore = took > max_restore ? took : max_restore;
        wait_progress(before, k);
        if (due < tu_now_ms())
            due = tu_now_ms(); /* the repair took longer than the period: kill now */
    }
    worker_join();

    /* a last shared read, then the verdict */
    jm_hist_op_t fin = {.client = 2, .kind = JM_HIST_READ};
    fin.start_us = now_us() - t0_us;
    ck_assert_int_eq(juxmem_acquire_read(client, &block), 0);
    uint8_t b[8];
    ck_assert_int_eq(juxmem_read(client, &block, 0, b, 8), 0);
    fin.read = le64_get(b);
    ck_assert_int_eq(juxmem_release(client, &block), 0);
    fin.end_us = now_us() - t0_us;
    fin.outcome = JM_HIST_OK;
    ck_assert_int_eq(jm_hist_add(hist, &fin), 0);
    jm_hist_verdict_t verdict;
    int rc = jm_hist_check(hist, &verdict);
    ck_assert_int_ge(rc, 0);
    fprintf(stderr,
            "test_juxmem_churn: %u kills, degree restored in %llu ms on average (max %llu); "
            "%zu operations: %zu writes acknowledged, %lu failed, %lu indeterminate (%zu took "
            "effect), chain %zu\n",
            nkills, (unsigned long long)(sum_restore / nkills), (unsigned long long)max_restore,
            verdict.ops, verdict.acked_writes, atomic_load(&failed), atomic_load(&indet),
            verdict.indet_applied, verdict.chain);
    ck_assert_msg(verdict.ok, "history: %s", verdict.why);
    ck_assert_uint_ge(verdict.acked_writes, nkills);
    fprintf(stderr, "test_juxmem_churn: longest stat %llu ms\n",
            (unsigned long long)stat_longest_ms);
    ck_assert_msg(stat_longest_ms < STAT_BOUND_MS,
                  "a stat took %llu ms: it asked several dead copies first",
                  (unsigned long long)stat_longest_ms);

    /* every surviving daemon stops cleanly, and no log holds a sanitizer report */
    juxmem_close(client);
    client = NULL;
    tproc_t *live[2 + MAX_PROVS];
    size_t nlive = 0;
    live[nlive++] = rdv;
    live[nlive++] = mgr;
    for (size_t i = 0; i < nprovs; i++)
        if (!dead[i])
            live[nlive++] = provs[i];
    for (size_t i = 0; i < nlive; i++)
        tproc_signal(live[i], SIGTERM);
    for (size_t i = 0; i < nlive; i++) {
        int st = tproc_reap(live[i], 10000);
        ck_assert_msg(st == 0, "%s exit %d", tproc_name(live[i]), st);
    }
    for (size_t i = 0; i < 2 + nprovs; i++) {
        const char *name = i == 0 ? "rdv" : i == 1 ? "mgr-c0" : tproc_name(provs[i - 2]);
        char path[512];
        snprintf(path, sizeof path, "%s/%s.log", workdir, name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char line[1024];
        int bad = 0;
        while (fgets(line, sizeof line, f))
            bad |= strstr(line, "AddressSanitizer") || strstr(line, "LeakSanitizer") ||
                   strstr(line, "runtime error:");
        fclose(f);
        ck_assert_msg(!bad, "sanitizer report in %s", path);
    }
    fprintf(stderr, "test_juxmem_churn: overlay ready in %llu ms, test ran %llu ms\n",
            (unsigned long long)(t_ready - t_setup), (unsigned long long)(tu_now_ms() - t_ready));
    passed = 1;
}
END_TEST

int main(void)
{
    Suite *s = suite_create("juxmem under churn (multi-process)");
    TCase *tc = tcase_create("churn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_churn_keeps_data);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    /* No fork: a failed assertion returns to the runner, which then runs the
     * teardown (the worker joined, every process stopped by its PID). */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed_tests = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed_tests == 0 ? 0 : 1;
}
